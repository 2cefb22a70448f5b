//! `delimit check` on the fixtures under fixtures/check/.

use crate::util::{delimit, fixture, run};

fn check_json(case: &str) -> (i32, serde_json::Value) {
    let r = run(delimit()
        .args(["check", "--role", "legal", "--json"])
        .arg(fixture(&format!("check/{case}/legal.geojson"))));
    assert!(r.stderr.is_empty(), "{}", r.stderr);
    (r.code, serde_json::from_str(&r.stdout).expect("json"))
}

#[test]
fn bowtie_self_intersection_is_found_at_the_crossing() {
    let (code, v) = check_json("bowtie");
    assert_eq!(code, 1);
    let p = v["problems"].as_array().unwrap().iter().find(|p| p["code"] == "self_intersection").expect("found");
    assert_eq!(p["feature"], "bowtie");
    let loc = p["location"].as_array().unwrap();
    assert!((loc[0].as_f64().unwrap() - 45.05).abs() < 1e-9 && (loc[1].as_f64().unwrap() - 40.05).abs() < 1e-9);
}

#[test]
fn dual_claim_area_matches_geos_and_geographiclib() {
    let expected: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("check/overlap/expected.json")).unwrap()).unwrap();
    let want = expected["overlap_km2"].as_f64().unwrap();
    let tol = expected["tolerance_relative"].as_f64().unwrap();
    let (code, v) = check_json("overlap");
    assert_eq!(code, 1);
    let probs = v["problems"].as_array().unwrap();
    assert_eq!(probs.len(), 1, "{probs:?}");
    let p = &probs[0];
    assert_eq!(p["code"], "dual_claim");
    assert_eq!((p["feature"].as_str(), p["other"].as_str()), (Some("west"), Some("east")));
    let got = p["area_km2"].as_f64().unwrap();
    assert!(((got - want) / want).abs() < tol, "delimit {got} km² vs reference {want} km²");
}

#[test]
fn exclave_cut_out_of_its_mainland_is_a_clean_partition() {
    let (code, v) = check_json("partition_ok");
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["errors"], 0);
    assert_eq!(v["warnings"], 0);
}

#[test]
fn unfilled_hole_is_a_gap_with_its_area() {
    let (code, v) = check_json("gap");
    assert_eq!(code, 1);
    let p = &v["problems"][0];
    assert_eq!(p["code"], "gap");
    // 0.05° × 0.05° near 40°N: about 23.68 km²; the Earth-sized answer of a
    // clockwise ring would be 5e8.
    let a = p["area_km2"].as_f64().unwrap();
    assert!((a - 23.6785).abs() < 0.01, "{a}");
}

#[test]
fn problems_are_written_as_points() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("problems.geojson");
    let r = run(delimit()
        .args(["check", "--role", "legal"])
        .arg(fixture("check/overlap/legal.geojson"))
        .arg("-o")
        .arg(&out));
    assert_eq!(r.code, 1);
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let f = &v["features"][0];
    assert_eq!(f["geometry"]["type"], "Point");
    assert_eq!(f["properties"]["code"], "dual_claim");
}

#[test]
fn control_overlap_between_controllers_is_contested_not_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("control.geojson");
    let src =
        std::fs::read_to_string(fixture("check/overlap/legal.geojson")).unwrap().replace("\"owner\"", "\"controller\"");
    std::fs::write(&p, src).unwrap();
    let r = run(delimit().args(["check", "--role", "control", "--json"]).arg(&p));
    assert_eq!(r.code, 0, "{}", r.stdout);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["problems"][0]["code"], "contested_control");
    assert_eq!(v["problems"][0]["severity"], "warning");
}

#[test]
fn a_narrow_overlap_is_a_sliver_warning_with_its_width() {
    let (code, v) = check_json("sliver");
    assert_eq!(code, 0, "slivers are warnings: {v}");
    let p = &v["problems"][0];
    assert_eq!(p["code"], "dual_claim_sliver");
    assert_eq!(p["severity"], "warning");
    // 0.0003° of longitude at 40°N is 25.6 m.
    let w = p["width_m"].as_f64().unwrap();
    assert!((w - 25.6).abs() < 1.0, "{w}");
    // A tolerance below its width makes it a real dual claim.
    let r = run(delimit()
        .args(["check", "--role", "legal", "--json", "--tolerance-m", "10"])
        .arg(fixture("check/sliver/legal.geojson")));
    assert_eq!(r.code, 1);
    assert!(r.stdout.contains("\"code\": \"dual_claim\""), "{}", r.stdout);
}
