//! `delimit info`.

use crate::util::{delimit, fixture, run};

#[test]
fn info_reports_counts_types_bbox_fields_and_vertices() {
    let r = run(delimit().args(["info", "--json"]).arg(fixture("check/partition_ok/legal.geojson")));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let l = &v[0]["layers"][0];
    assert_eq!(l["features"], 3);
    assert_eq!(l["geometry_types"]["Polygon"], 3);
    assert_eq!(l["vertices"], 20);
    assert_eq!(l["bbox_wgs84"], serde_json::json!([45.0, 40.0, 45.4, 40.2]));
    let names: Vec<&str> = l["fields"].as_array().unwrap().iter().map(|f| f["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["owner", "unit", "note"]);
    assert_eq!(l["provenance"]["sha256"].as_str().unwrap().len(), 64);
}

#[test]
fn info_human_form_names_the_crs_handling() {
    let r = run(delimit().arg("info").arg(fixture("check/overlap/legal.geojson")));
    assert_eq!(r.code, 0);
    assert!(r.stdout.contains("2 features (Polygon 2)"), "{}", r.stdout);
    assert!(r.stdout.contains("crs: EPSG:4326 (assumed (no CRS in file)); no transformation"), "{}", r.stdout);
}

/// A file's status is stated: the sample control layer is illustrative,
/// a plain fixture says nothing (observed).
#[test]
fn info_states_a_layer_that_is_not_observed() {
    let r = run(delimit().arg("info").arg(crate::util::root().join("data/control.geojson")));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.contains("    status: ILLUSTRATIVE: The legal layer with the Soviet-era exclave holdings"),
        "{}",
        r.stdout
    );
    let plain = run(delimit().arg("info").arg(fixture("check/overlap/legal.geojson")));
    assert!(!plain.stdout.contains("status:"), "{}", plain.stdout);
}
