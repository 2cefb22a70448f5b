//! GDAL and PROJ load on first use (src/lazylink.rs): not at start, and
//! still whenever a command needs them.

#![cfg(lazy_link)]

use std::path::{Path, PathBuf};

use crate::util::{delimit, root, run};

/// One point in UTM 38N (Voskepar, roughly), with the CRS in the file.
fn utm_point(dir: &Path) -> PathBuf {
    let p = dir.join("utm.geojson");
    std::fs::write(
        &p,
        r#"{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::32638"}},
"features":[{"type":"Feature","id":"a","properties":{},"geometry":{"type":"Point","coordinates":[338000,4548000]}}]}"#,
    )
    .unwrap();
    p
}

/// The soname the binary was built against, found as build.rs finds it.
fn soname(lib: &str) -> String {
    let out = std::process::Command::new("cc").arg(format!("-print-file-name=lib{lib}.so")).output().expect("cc runs");
    let path = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let out = std::process::Command::new("objdump").args(["-p", &path]).output().expect("objdump runs");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.trim().strip_prefix("SONAME").map(|s| s.trim().to_string()))
        .unwrap_or_else(|| panic!("no SONAME in {path}"))
}

/// Which shared objects a run loaded, from the dynamic loader's own trace.
fn loaded(args: &[&str]) -> (i32, String) {
    let out = delimit().args(args).env("LD_DEBUG", "files").output().unwrap();
    let trace = String::from_utf8_lossy(&out.stderr).into_owned();
    (out.status.code().unwrap(), trace)
}

#[test]
fn neither_library_is_a_startup_dependency() {
    let bin = assert_cmd::cargo::cargo_bin("delimit");
    let out = std::process::Command::new("objdump").arg("-p").arg(&bin).output().expect("objdump (binutils) runs");
    let needed: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.trim().strip_prefix("NEEDED").map(|s| s.trim().to_string()))
        .collect();
    assert!(!needed.is_empty(), "no NEEDED entries read from {}", bin.display());
    for lib in &needed {
        assert!(!lib.starts_with("libgdal") && !lib.starts_with("libproj"), "{lib} is linked at start: {needed:?}");
    }
}

#[test]
fn a_sample_query_loads_neither_and_a_geopackage_loads_gdal() {
    let (code, trace) = loaded(&["village", "Voskepar"]);
    assert_eq!(code, 0, "{trace}");
    assert!(trace.contains("libsqlite3"), "the trace did not list libraries: {trace}");
    assert!(!trace.contains("libgdal.so") && !trace.contains("libproj.so"), "village on the sample loaded GDAL or PROJ");

    let dir = tempfile::tempdir().unwrap();
    let gpkg = dir.path().join("legal.gpkg");
    let st = std::process::Command::new("ogr2ogr")
        .args(["-f", "GPKG"])
        .arg(&gpkg)
        .arg(root().join("data/legal.geojson"))
        .status()
        .expect("ogr2ogr (gdal-bin) runs");
    assert!(st.success());
    let (code, trace) = loaded(&["info", gpkg.to_str().unwrap()]);
    assert_eq!(code, 0, "{trace}");
    assert!(trace.contains("libgdal.so"), "reading a GeoPackage did not load GDAL");
    // A projected input needs PROJ.
    let utm = utm_point(dir.path());
    let (code, trace) = loaded(&["info", utm.to_str().unwrap()]);
    assert_eq!(code, 0, "{trace}");
    assert!(trace.contains("libproj.so"), "a UTM input did not load PROJ");
}

#[test]
fn a_missing_library_is_a_clear_error_not_a_crash() {
    // An empty file where the loader looks first: dlopen fails.
    let dir = tempfile::tempdir().unwrap();
    for lib in ["gdal", "proj"] {
        std::fs::write(dir.path().join(soname(lib)), b"").unwrap();
    }
    let utm = utm_point(dir.path());
    let r = run(delimit().env("LD_LIBRARY_PATH", dir.path()).args(["info", utm.to_str().unwrap()]));
    assert_eq!(r.code, 1, "{}", r.stderr);
    let named = ["gdal", "proj"].iter().any(|l| r.stderr.contains(&format!("error: cannot load {}: ", soname(l))));
    assert!(named, "{}", r.stderr);
    assert!(r.stderr.contains("hint:"), "{}", r.stderr);
    // Commands that need neither still run.
    let r = run(delimit().env("LD_LIBRARY_PATH", dir.path()).args(["village", "Voskepar"]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("Voskepar"));
}
