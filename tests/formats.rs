//! Reading and writing through GDAL: GPKG, Shapefile, FlatGeobuf, CSV, KML,
//! and a GeoPackage in SK-42 made by ogr2ogr.

use std::process::Command;

use delimit::io::{ReadOptions, WriteOptions, read_layer, write_layer};
use delimit::layer::Role;
use geo::{Area, CoordsIter};

use crate::util::{fixture, require_tool};

fn legal_opts() -> ReadOptions {
    ReadOptions { role: Some(Role::Legal), ..Default::default() }
}

#[test]
fn round_trip_through_every_writer_keeps_geometry_and_fields() {
    let src = read_layer(&fixture("check/partition_ok/legal.geojson"), &legal_opts()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    for ext in ["geojson", "gpkg", "fgb", "shp"] {
        let out = dir.path().join(format!("legal.{ext}"));
        write_layer(&out, "legal", &src.features, &[], &WriteOptions::default()).unwrap();
        let back = read_layer(&out, &legal_opts()).unwrap_or_else(|e| panic!("{ext}: {e}"));
        assert_eq!(back.features.len(), src.features.len(), "{ext}");
        for (a, b) in src.features.iter().zip(&back.features) {
            assert_eq!(a.text("owner"), b.text("owner"), "{ext}");
            assert_eq!(a.id, b.id, "{ext}: ids survive the round trip");
            let (ga, gb) = (a.geometry.as_ref().unwrap(), b.geometry.as_ref().unwrap());
            assert_eq!(ga.coords_count(), gb.coords_count(), "{ext}");
            assert!((ga.unsigned_area() - gb.unsigned_area()).abs() < 1e-12, "{ext}");
        }
        assert_eq!(back.provenance.source_crs, "EPSG:4326", "{ext}");
    }
}

#[test]
fn gpkg_in_sk42_from_ogr2ogr_comes_back_to_wgs84() {
    require_tool("ogr2ogr");
    let dir = tempfile::tempdir().unwrap();
    let sk = dir.path().join("sk42.gpkg");
    let st = Command::new("ogr2ogr")
        .args(["-f", "GPKG", "-t_srs", "EPSG:28408"])
        .arg(&sk)
        .arg(fixture("check/partition_ok/legal.geojson"))
        .status()
        .unwrap();
    assert!(st.success());
    let back = read_layer(&sk, &legal_opts()).unwrap();
    let orig = read_layer(&fixture("check/partition_ok/legal.geojson"), &legal_opts()).unwrap();
    assert_eq!(back.provenance.source_crs, "EPSG:28408");
    assert!(back.provenance.operation.as_ref().unwrap().name.contains("Pulkovo 1942"));
    // GDAL and delimit both use PROJ's preferred operation here: the round
    // trip closes to well under a millimetre (1e-8° ≈ 1 mm).
    for (a, b) in orig.features.iter().zip(&back.features) {
        for (ca, cb) in a.geometry.as_ref().unwrap().coords_iter().zip(b.geometry.as_ref().unwrap().coords_iter()) {
            assert!((ca.x - cb.x).abs() < 1e-8 && (ca.y - cb.y).abs() < 1e-8, "{ca:?} vs {cb:?}");
        }
    }
}

#[test]
fn csv_with_wkt_and_kml_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("legal.csv");
    std::fs::write(&csv, "WKT,owner\n\"POLYGON((45 40,45.1 40,45.1 40.1,45 40))\",AAA\n").unwrap();
    let l = read_layer(&csv, &legal_opts()).unwrap();
    assert_eq!(l.features[0].text("owner").as_deref(), Some("AAA"));
    assert!(matches!(l.features[0].geometry, Some(geo::Geometry::Polygon(_))));

    let kml = dir.path().join("pts.kml");
    let src = read_layer(&fixture("check/partition_ok/legal.geojson"), &legal_opts()).unwrap();
    write_layer(&kml, "legal", &src.features, &[], &WriteOptions::default()).unwrap();
    let back = read_layer(&kml, &ReadOptions::default()).unwrap();
    assert_eq!(back.features.len(), 3);
}

#[test]
fn multi_layer_gpkg_needs_a_layer_name() {
    require_tool("ogr2ogr");
    let dir = tempfile::tempdir().unwrap();
    let g = dir.path().join("two.gpkg");
    for (name, case) in [("a", "overlap"), ("b", "gap")] {
        let update: &[&str] = if name == "a" { &[] } else { &["-update"] };
        let st = Command::new("ogr2ogr")
            .args(["-f", "GPKG", "-nln", name])
            .args(update)
            .arg(&g)
            .arg(fixture(&format!("check/{case}/legal.geojson")))
            .status()
            .unwrap();
        assert!(st.success());
    }
    let e = read_layer(&g, &legal_opts()).unwrap_err();
    assert!(e.to_string().contains("holds 2 layers (a, b)"), "{e}");
    let opts = ReadOptions { layer: Some("b".into()), ..legal_opts() };
    assert_eq!(read_layer(&g, &opts).unwrap().features.len(), 1);
}

/// A GeoPackage layer whose name is SQL (quotes, a statement, a comment):
/// read by name like any other, and the overlay gives what the GeoJSON
/// gives. GDAL quotes identifiers; delimit never builds SQL from them.
#[test]
fn a_gpkg_layer_named_with_sql_quotes_is_just_a_name() {
    require_tool("ogr2ogr");
    let dir = tempfile::tempdir().unwrap();
    let gpkg = dir.path().join("q.gpkg");
    let name = r#"legal'; DROP TABLE "gpkg_contents" --"#;
    let st = Command::new("ogr2ogr")
        .args(["-f", "GPKG"])
        .arg(&gpkg)
        .arg(fixture("gaps/exclave/legal.geojson"))
        .args(["-nln", name])
        .status()
        .unwrap();
    assert!(st.success());
    let control = fixture("gaps/exclave/control.geojson");
    let json = |legal: &std::path::Path| -> serde_json::Value {
        let r = crate::util::run(
            crate::util::delimit()
                .args(["gaps", "--no-settlements", "--json", "--legal"])
                .arg(legal)
                .arg("--control")
                .arg(&control),
        );
        assert_eq!(r.code, 0, "{}", r.stderr);
        serde_json::from_str(&r.stdout).unwrap()
    };
    let (a, b) = (json(&gpkg), json(&fixture("gaps/exclave/legal.geojson")));
    assert_eq!(a["summary"]["rows"], b["summary"]["rows"]);
    // The table is still there, and so is the catalogue.
    let layer = read_layer(&gpkg, &ReadOptions { layer: Some(name.into()), ..legal_opts() }).unwrap();
    assert_eq!(layer.features.len(), 3);
    assert!(delimit::io::layer_names(&gpkg, None).unwrap().contains(&name.to_string()));
}

/// Issue 30 §7: legal and control as two layers of one GeoPackage, as a
/// team shares them, each named `FILE|layername=NAME` (the form QGIS and
/// GDAL write); the result is the two files' result, and the package is
/// an input no output may replace.
#[test]
fn two_layers_of_one_geopackage_are_two_inputs() {
    require_tool("ogr2ogr");
    let dir = tempfile::tempdir().unwrap();
    let data = crate::util::root().join("data");
    let team = dir.path().join("team.gpkg");
    for (src, name, update) in [("legal.geojson", "basis", false), ("control.geojson", "holdings", true)] {
        let mut c = Command::new("ogr2ogr");
        c.args(["-f", "GPKG"]);
        if update {
            c.arg("-update");
        }
        let out = c.arg(&team).arg(data.join(src)).args(["-nln", name]).output().unwrap();
        assert!(out.status.success(), "ogr2ogr: {}", String::from_utf8_lossy(&out.stderr));
    }
    let layer = |n: &str| format!("{}|layername={n}", team.display());
    let pkg = crate::util::run(crate::util::delimit().args([
        "gaps",
        "--json",
        "--no-settlements",
        "--legal",
        &layer("basis"),
        "--control",
        &layer("holdings"),
    ]));
    assert_eq!(pkg.code, 0, "{}", pkg.stderr);
    let files = crate::util::run(
        crate::util::delimit()
            .args(["gaps", "--json", "--no-settlements", "--legal"])
            .arg(data.join("legal.geojson"))
            .arg("--control")
            .arg(data.join("control.geojson")),
    );
    let (a, b): (serde_json::Value, serde_json::Value) =
        (serde_json::from_str(&pkg.stdout).unwrap(), serde_json::from_str(&files.stdout).unwrap());
    assert_eq!(a["summary"]["rows"], b["summary"]["rows"]);
    let layers: Vec<&str> =
        a["provenance"]["inputs"].as_array().unwrap().iter().map(|i| i["layer"].as_str().unwrap()).collect();
    assert_eq!(layers, ["basis", "holdings"]);
    // The package is an input, even named through a layer.
    let before = std::fs::read(&team).unwrap();
    let r = crate::util::run(
        crate::util::delimit()
            .args(["gaps", "--legal", &layer("basis"), "--control", &layer("holdings"), "--force", "-o"])
            .arg(&team),
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("input"), "{}", r.stderr);
    assert_eq!(std::fs::read(&team).unwrap(), before, "the input package was rewritten");
}
