//! SK-42 / Pulkovo 1942: delimit must land where PROJ's own cs2cs lands, to
//! 1 cm, and name the operation it used.

use std::io::Write;
use std::process::{Command, Stdio};

use delimit::io::{ReadOptions, read_layer};
use geo::{Distance, Geodesic, Point};

use crate::util::require_tool;

/// A Gauss–Krüger zone 8 point near 39.5°N 46°E (easting, northing).
const E: f64 = 8_586_100.0;
const N: f64 = 4_374_500.0;

fn cs2cs(args: &[&str], input: &str) -> Vec<f64> {
    require_tool("cs2cs");
    let mut child = Command::new("cs2cs").args(args).stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().unwrap();
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    String::from_utf8(out.stdout).unwrap().split_whitespace().filter_map(|t| t.parse().ok()).collect()
}

#[test]
fn sk42_point_matches_cs2cs_to_a_centimetre_and_names_the_operation() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("sk42.geojson");
    std::fs::write(
        &p,
        format!(
            r#"{{"type":"FeatureCollection","crs":{{"type":"name","properties":{{"name":"urn:ogc:def:crs:EPSG::28408"}}}},
            "features":[{{"type":"Feature","properties":{{"owner":"AAA"}},"geometry":{{"type":"Point","coordinates":[{E},{N}]}}}}]}}"#
        ),
    )
    .unwrap();
    let layer = read_layer(&p, &ReadOptions::default()).unwrap();
    let Some(geo::Geometry::Point(got)) = &layer.features[0].geometry else { panic!("a point") };

    // cs2cs takes EPSG axis order: northing, easting in; latitude, longitude out.
    let r = cs2cs(&["-d", "12", "EPSG:28408", "EPSG:4326"], &format!("{N} {E}\n"));
    let want = Point::new(r[1], r[0]);
    let d = Geodesic.distance(*got, want);
    assert!(d < 0.01, "delimit {got:?} vs cs2cs {want:?}: {d} m apart");

    // The datum shift is real (about 104 m here): ignoring it is the classic error.
    let r = cs2cs(
        &[
            "-d",
            "12",
            "+proj=tmerc +lat_0=0 +lon_0=45 +k=1 +x_0=8500000 +y_0=0 +ellps=krass +units=m",
            "+to",
            "+proj=longlat +ellps=krass",
        ],
        &format!("{E} {N}\n"),
    );
    let no_shift = Point::new(r[0], r[1]);
    let shift = Geodesic.distance(*got, no_shift);
    assert!((90.0..120.0).contains(&shift), "datum shift {shift} m");

    let op = layer.provenance.operation.as_ref().expect("an operation was applied");
    assert!(op.name.contains("Pulkovo 1942 to WGS 84 (16)"), "{}", op.name);
    assert_eq!(op.accuracy_m, Some(4.5));
    assert_eq!(layer.provenance.source_crs, "EPSG:28408");
    assert_eq!(layer.provenance.crs_from, "file");
}

#[test]
fn src_crs_overrides_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("utm.geojson");
    std::fs::write(
        &p,
        r#"{"type":"Feature","properties":{},"geometry":{"type":"Point","coordinates":[500000,4400000]}}"#,
    )
    .unwrap();
    let opts = ReadOptions { src_crs: Some("EPSG:32638".into()), ..Default::default() };
    let layer = read_layer(&p, &opts).unwrap();
    let Some(geo::Geometry::Point(pt)) = &layer.features[0].geometry else { panic!() };
    assert!((pt.x() - 45.0).abs() < 1e-9, "{pt:?}");
    assert_eq!(layer.provenance.crs_from, "--src-crs");
}
