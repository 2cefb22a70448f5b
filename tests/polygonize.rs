//! `delimit polygonize` and `--legal-lines`: the legal basis built from
//! boundary lines with left and right owners.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::util::{delimit, fixture, run};

fn fx(name: &str) -> String {
    fixture(&format!("polygonize/{name}")).display().to_string()
}

/// `polygonize --json` on a fixture against the fixture frame.
fn polygonize(lines: &str, extra: &[&str]) -> (i32, Value) {
    let r = run(delimit()
        .args(["polygonize", "--legal-lines", &fx(lines), "--frame", &fx("frame.geojson"), "--json"])
        .args(extra));
    assert!(r.code == 0 || r.code == 1, "{}", r.stderr);
    (r.code, serde_json::from_str(&r.stdout).unwrap())
}

fn findings<'a>(v: &'a Value, code: &str) -> Vec<&'a Value> {
    v["findings"].as_array().unwrap().iter().filter(|f| f["code"] == code).collect()
}

fn owners(v: &Value) -> Vec<(String, f64)> {
    v["faces"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["owner"].as_str().unwrap_or("-").to_string(), f["area_km2"].as_f64().unwrap()))
        .collect()
}

#[test]
fn sample_lines_give_back_the_bundled_polygons() {
    let r = run(delimit()
        .args(["polygonize", "--legal-lines"])
        .arg(crate::util::root().join("data/legal-lines.geojson"))
        .arg("--json"));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    let got: BTreeMap<String, f64> = v["by_owner"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| (o["owner"].as_str().unwrap().to_string(), o["km2"].as_f64().unwrap()))
        .collect();
    let legal = delimit::sample::load("legal.geojson", &Default::default()).unwrap();
    let mut want: BTreeMap<String, f64> = BTreeMap::new();
    for f in &legal.features {
        let owner = f.text("owner").unwrap();
        if owner == "ARM" || owner == "AZE" {
            *want.entry(owner).or_default() += delimit::measure::multipolygon_area_m2(&f.polygons().unwrap()) / 1e6;
        }
    }
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        want.keys().collect::<Vec<_>>(),
        "faces of other owners, or unresolved ones"
    );
    for (owner, km2) in &want {
        let rel = (got[owner] - km2).abs() / km2;
        assert!(rel < 1e-4, "{owner}: {} km² from the lines, {km2} km² bundled ({rel:e})", got[owner]);
    }
    // The exclaves are faces of their own.
    assert_eq!(v["faces"].as_array().unwrap().iter().filter(|f| f["owner"] == "ARM").count(), 2);
    assert!(
        findings(&v, "conflict").is_empty()
            && findings(&v, "unlabelled").is_empty()
            && findings(&v, "dangle").is_empty()
    );
}

/// Real (non-sliver) rows of `gaps --json` for the ARM–AZE classes.
fn real_gaps(extra: &[&str]) -> Vec<(String, String, String, u64, f64)> {
    let r = run(delimit().args(["gaps", "--json"]).args(extra));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    v["summary"]["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["features"].as_u64().unwrap() > 0 && x["class"] != "outside_basis")
        .map(|x| {
            (
                x["class"].as_str().unwrap().into(),
                x["owner"].as_str().unwrap().into(),
                x["controller"].as_str().unwrap().into(),
                x["features"].as_u64().unwrap(),
                x["km2"].as_f64().unwrap(),
            )
        })
        .filter(|x: &(String, String, String, u64, f64)| x.1 == "ARM" || x.1 == "AZE")
        .collect()
}

#[test]
fn gaps_on_the_lines_are_the_gaps_on_the_polygons() {
    let lines = crate::util::root().join("data/legal-lines.geojson").display().to_string();
    let from_polygons = real_gaps(&[]);
    let from_lines = real_gaps(&["--legal-lines", &lines]);
    assert_eq!(from_polygons.len(), from_lines.len(), "{from_polygons:?}\n{from_lines:?}");
    for (p, l) in from_polygons.iter().zip(&from_lines) {
        assert_eq!((&p.0, &p.1, &p.2, p.3), (&l.0, &l.1, &l.2, l.3));
        assert!((p.4 - l.4).abs() <= 1e-4 * p.4, "{p:?} vs {l:?}");
    }
    assert!(from_lines.iter().any(|x| x.0 == "held_by_other"), "no gap to compare");
}

#[test]
fn a_10_m_gap_at_a_sheet_edge_is_snapped_and_reported() {
    let (code, v) = polygonize("gap10.geojson", &[]);
    assert_eq!(code, 0);
    let snaps = findings(&v, "snap");
    assert_eq!(snaps.len(), 1, "{v}");
    assert!((snaps[0]["distance_m"].as_f64().unwrap() - 10.0).abs() < 0.01, "{}", snaps[0]);
    assert_eq!(snaps[0]["at"][1].as_f64().unwrap(), 40.2);
    let (_, base) = polygonize("base.geojson", &[]);
    assert_eq!(owners(&v).iter().map(|o| &o.0).collect::<Vec<_>>(), ["A", "B"]);
    for (a, b) in owners(&v).iter().zip(owners(&base)) {
        assert!((a.1 - b.1).abs() < 1e-6 * b.1, "{a:?} vs {b:?}");
    }
    // With a snap below the gap, the two owners leak into one face.
    let (code, v) = polygonize("gap10.geojson", &["--snap-m", "5"]);
    assert_eq!(code, 1);
    assert_eq!(findings(&v, "conflict").len(), 1, "{v}");
}

#[test]
fn the_snap_follows_the_source_scale() {
    // 1:25 000 → 6.25 m: the 10 m gap is no longer closed.
    let (code, v) = polygonize("gap10.geojson", &["--scale", "25000"]);
    assert_eq!(code, 1);
    assert_eq!(v["provenance"]["parameters"]["snap_m"], 6.25);
}

#[test]
fn a_dangle_is_reported_not_dropped() {
    let (code, v) = polygonize("dangle.geojson", &[]);
    assert_eq!(code, 0);
    let d = findings(&v, "dangle");
    assert_eq!(d.len(), 2, "{v}");
    assert!(d.iter().all(|f| f["feature"] == "d1"));
    assert_eq!(owners(&v).iter().map(|o| &o.0).collect::<Vec<_>>(), ["A", "B"]);
}

#[test]
fn an_overshoot_is_reported_with_its_length() {
    let (code, v) = polygonize("overshoot.geojson", &[]);
    assert_eq!(code, 0);
    let o = findings(&v, "overshoot");
    assert_eq!(o.len(), 1, "{v}");
    assert_eq!(o[0]["feature"], "o1");
    let len = o[0]["distance_m"].as_f64().unwrap();
    // 0.02° of longitude at 40.3°N past the boundary at 45.29°E.
    assert!((len - 0.02 * 111_320.0 * 40.3f64.to_radians().cos()).abs() < 20.0, "{len}");
    // The tail in B does not vote A into B.
    assert!(owners(&v).iter().all(|o| o.0 != "-"), "{v}");
}

#[test]
fn conflicting_labels_are_reported_with_their_location_and_refused_as_a_basis() {
    let (code, v) = polygonize("conflict.geojson", &[]);
    assert_eq!(code, 1);
    let c = findings(&v, "conflict");
    assert_eq!(c.len(), 2, "both faces: {v}");
    for f in &c {
        assert!(
            (f["at"][0].as_f64().unwrap() - 45.295).abs() < 1e-9 && (f["at"][1].as_f64().unwrap() - 40.25).abs() < 1e-9,
            "{f}"
        );
    }
    let r = run(delimit().args(["gaps", "--legal-lines", &fx("conflict.geojson"), "--frame", &fx("frame.geojson")]));
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("cannot be labelled") && r.stderr.contains("40.250000, 45.295000"), "{}", r.stderr);
    assert!(r.stderr.contains("hint: inspect the faces"), "{}", r.stderr);
}

#[test]
fn lines_in_sk42_give_the_same_faces_to_a_centimetre() {
    let dir = tempfile::tempdir().unwrap();
    let out = |n: &str| dir.path().join(format!("{n}.geojson"));
    for name in ["base", "base-28408"] {
        let r = run(delimit()
            .args([
                "polygonize",
                "--legal-lines",
                &fx(&format!("{name}.geojson")),
                "--frame",
                &fx("frame.geojson"),
                "--precision",
                "10",
                "-o",
            ])
            .arg(out(name)));
        assert_eq!(r.code, 0, "{}", r.stderr);
    }
    let faces = |n: &str| -> Vec<Value> {
        let v: Value = serde_json::from_str(&std::fs::read_to_string(out(n)).unwrap()).unwrap();
        v["features"].as_array().unwrap().clone()
    };
    let (a, b) = (faces("base"), faces("base-28408"));
    assert_eq!(a.len(), 2);
    assert_eq!(a.len(), b.len());
    let pts = |f: &Value| -> Vec<(f64, f64)> {
        f["geometry"]["coordinates"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|r| r.as_array().unwrap().iter())
            .map(|c| (c[0].as_f64().unwrap(), c[1].as_f64().unwrap()))
            .collect()
    };
    for (fa, fb) in a.iter().zip(&b) {
        assert_eq!(fa["properties"]["owner"], fb["properties"]["owner"]);
        // Every vertex of each within 1 cm of a vertex of the other (the SK-42
        // end, 0.04 mm inside the frame after the round trip, is carried
        // onto it: one extra vertex, as close).
        let (pa, pb) = (pts(fa), pts(fb));
        for (xs, ys) in [(&pa, &pb), (&pb, &pa)] {
            for p in xs {
                let d = ys
                    .iter()
                    .map(|q| ((p.0 - q.0) * 111_320.0 * p.1.to_radians().cos()).hypot((p.1 - q.1) * 110_950.0))
                    .fold(f64::INFINITY, f64::min);
                assert!(d < 0.01, "vertex {p:?} is {d} m from the other faces' vertices");
            }
        }
        let area = |f: &Value| f["properties"]["area_km2"].as_f64().unwrap();
        assert!((area(fa) - area(fb)).abs() < 1e-5, "{} vs {} km²", area(fa), area(fb));
    }
}

#[test]
fn lines_without_sides_and_a_short_frame_are_clear_errors() {
    let r =
        run(delimit().args(["polygonize", "--legal-lines", &fx("nosides.geojson"), "--frame", &fx("frame.geojson")]));
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("nosides.geojson") && r.stderr.contains("feature x1") && r.stderr.contains("`left`"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("--left-field"), "{}", r.stderr);

    let r = run(delimit().args([
        "polygonize",
        "--legal-lines",
        &fx("base.geojson"),
        "--frame",
        &fx("small-frame.geojson"),
    ]));
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("leaves the frame") && r.stderr.contains("feature n1"), "{}", r.stderr);
    assert!(r.stderr.contains("hint: give a --frame"), "{}", r.stderr);

    let r = run(delimit().args(["gaps", "--legal", &fx("frame.geojson"), "--legal-lines", &fx("base.geojson")]));
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("not both"), "{}", r.stderr);
}

#[test]
fn polygonize_writes_the_faces_for_qgis() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("faces.gpkg");
    let r = run(delimit()
        .args(["polygonize", "--legal-lines", &fx("conflict.geojson"), "--frame", &fx("frame.geojson"), "-o"])
        .arg(&out));
    assert_eq!(r.code, 1, "a conflict exits 1: {}", r.stderr);
    let layer = delimit::io::read_layer(&out, &Default::default()).unwrap();
    assert_eq!(layer.features.len(), 2);
    assert!(layer.features.iter().all(|f| f.text("status").as_deref() == Some("conflict")));
}
