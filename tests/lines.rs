//! `delimit lines` and `delimit progress` on synthetic fixtures
//! (fixtures/lines/make.py, with pyproj references) and on the sample.

use serde_json::Value;

use crate::util::{delimit, fixture, run};

fn expected() -> Value {
    serde_json::from_str(&std::fs::read_to_string(fixture("lines/expected.json")).unwrap()).unwrap()
}

fn lines_json(control: &str) -> Value {
    let r = run(delimit()
        .args(["lines", "--json", "--legal"])
        .arg(fixture("lines/legal.geojson"))
        .arg("--control")
        .arg(fixture(&format!("lines/{control}.geojson"))));
    assert_eq!(r.code, 0, "{}", r.stderr);
    serde_json::from_str(&r.stdout).unwrap()
}

fn stations(control: &str) -> Vec<Value> {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("st.geojson");
    let r = run(delimit()
        .args(["lines", "--write", "stations", "--legal"])
        .arg(fixture("lines/legal.geojson"))
        .arg("--control")
        .arg(fixture(&format!("lines/{control}.geojson")))
        .arg("-o")
        .arg(&out));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    v["features"].as_array().unwrap().iter().map(|f| f["properties"].clone()).collect()
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap()
}

#[test]
fn a_constant_300_m_offset_reads_300_m_everywhere() {
    let st = stations("offset300");
    assert!(st.len() > 250);
    for s in &st {
        assert!((f(&s["offset_m"]) + 300.0).abs() < 1.0, "{s}");
        assert_eq!(s["side"], "BBB", "the control line lies on BBB's side: {s}");
        assert_eq!(s["band"], "tolerance_500m");
    }
}

#[test]
fn a_2_km_bulge_is_one_run_at_the_right_chainage() {
    let v = lines_json("bulge");
    let p = &v["pairs"][0];
    let runs = p["longest_runs"].as_array().unwrap();
    assert_eq!(runs.len(), 1, "{runs:?}");
    let r = &runs[0];
    // The bulge spans chainage 10–14 km; stations within the 100 m
    // tolerance of its mouth are within tolerance.
    assert!((10.0..=10.3).contains(&f(&r["from_km"])), "{r}");
    assert!((13.7..=14.0).contains(&f(&r["to_km"])), "{r}");
    assert!((f(&r["max_offset_m"]) - 2000.0).abs() < 1.0, "{r}");
    assert_eq!(r["side"], "AAA");
    assert!((f(&p["hausdorff_m"]) - 2000.0).abs() < 1.0);
}

#[test]
fn a_crossing_line_changes_sign_at_the_crossing() {
    let st = stations("crossing");
    let cross_km = f(&expected()["crossing_chainage_m"]) / 1000.0;
    for s in &st {
        let (ch, off) = (f(&s["chainage_km"]), f(&s["offset_m"]));
        if (ch - cross_km).abs() <= 0.1 {
            continue; // the station at the crossing itself
        }
        let want = if ch < cross_km { 1.0 } else { -1.0 };
        assert_eq!(off.signum(), want, "{s}");
    }
    // The last positive and the first negative station straddle the crossing.
    let last_pos = st.iter().filter(|s| f(&s["offset_m"]) > 0.0).map(|s| f(&s["chainage_km"])).fold(0.0, f64::max);
    let first_neg =
        st.iter().filter(|s| f(&s["offset_m"]) < 0.0).map(|s| f(&s["chainage_km"])).fold(f64::INFINITY, f64::min);
    assert!(last_pos < cross_km && first_neg > cross_km, "{last_pos} {first_neg} {cross_km}");
    assert!(first_neg - last_pos <= 0.2 + 1e-9);
}

#[test]
fn lengths_match_geographiclib() {
    let e = expected();
    let rel = |a: f64, b: f64| ((a - b) / b).abs();
    let b = lines_json("bulge");
    assert!(rel(f(&b["pairs"][0]["length_km"]) * 1e3, f(&e["legal_line_m"])) < 1e-6);
    assert!(rel(f(&b["pairs"][0]["control_length_km"]) * 1e3, f(&e["bulge_control_line_m"])) < 1e-6);
    let c = lines_json("crossing");
    assert!(rel(f(&c["pairs"][0]["control_length_km"]) * 1e3, f(&e["crossing_control_line_m"])) < 1e-6);
}

#[test]
fn progress_counts_the_segment_on_the_line_and_reports_the_far_one() {
    let r = run(delimit()
        .args(["progress", "--json", "--legal"])
        .arg(fixture("lines/legal.geojson"))
        .arg("--segments")
        .arg(fixture("lines/segments.geojson")));
    assert_eq!(r.code, 1, "a segment far from every line is a problem: {}", r.stderr);
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    let e = expected();
    let all = v["progress"]["sectors"].as_array().unwrap().iter().find(|s| s["sector"] == "all").unwrap().clone();
    assert!((f(&all["delimited_km"]) * 1e3 - f(&e["segment_on_line_m"])).abs() < 1.0, "{all}");
    assert!((f(&all["length_km"]) * 1e3 - f(&e["legal_line_m"])).abs() < 1e-3);
    let pct = f(&all["percent_delimited"]);
    assert!((pct - 100.0 * 3000.0 / f(&e["legal_line_m"])).abs() < 0.01);
    let problems = v["progress"]["problems"].as_array().unwrap();
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0]["segment"], "far");
    let d = f(&problems[0]["distance_m"]);
    assert!((d - f(&e["far_segment_distance_m"])).abs() < 20.0, "{d}");
}

#[test]
fn sample_progress_and_line_length() {
    let r = run(delimit().args(["progress", "--json"]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    let sectors = v["progress"]["sectors"].as_array().unwrap();
    let all = sectors.iter().find(|s| s["pair"] == "ARM|AZE" && s["sector"] == "all").unwrap();
    // Only the Voskepar–Baghanis 4.9 km of the 12.7 km is placed in the sample.
    assert!((f(&all["delimited_km"]) - 4.9).abs() < 0.05, "{all}");
    assert!(f(&all["length_km"]) > 900.0);
    let tavush = sectors.iter().find(|s| s["pair"] == "ARM|AZE" && s["sector"] == "Tavush | Qazax").unwrap();
    assert!((f(&tavush["delimited_km"]) - 4.9).abs() < 0.05, "{tavush}");
}

#[test]
fn lines_output_is_deterministic() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = Vec::new();
    for threads in ["1", "2"] {
        let out = dir.path().join(format!("runs{threads}.geojson"));
        let r = run(delimit().args(["lines", "-o"]).arg(&out).env("RAYON_NUM_THREADS", threads));
        assert_eq!(r.code, 0, "{}", r.stderr);
        bytes.push(std::fs::read(&out).unwrap());
    }
    assert_eq!(bytes[0], bytes[1]);
}
