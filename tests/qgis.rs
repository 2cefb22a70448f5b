//! `delimit qgis`: the project opens in a real QGIS (Debian's python3-qgis,
//! headless), and the outputs are deterministic.

use std::path::Path;

use crate::util::{artefacts, delimit, ogrinfo_listing, require_tool, root, run};

fn has_pyqgis() -> bool {
    std::process::Command::new("/usr/bin/python3")
        .args(["-c", "import qgis.core"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

/// Write a project, then open it with tests/qgis/check_project.py.
fn check_in_qgis(dir: &Path, extra: &[&str]) -> String {
    assert!(has_pyqgis(), "PyQGIS is needed by this test: `make test` installs Debian's python3-qgis (see README)");
    let r = run(delimit().arg("qgis").arg("-o").arg(dir).arg("--json").args(extra));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let expected = dir.join("expected.json");
    std::fs::write(&expected, &r.stdout).unwrap();
    strict_xml(&dir.join("delimit.qgs"));
    let out = std::process::Command::new("/usr/bin/python3")
        .arg(root().join("tests/qgis/check_project.py"))
        .arg(dir.join("delimit.qgs"))
        .arg(&expected)
        .arg(dir.join("map.png"))
        .env("QT_QPA_PLATFORM", "offscreen")
        .env("XDG_RUNTIME_DIR", std::env::temp_dir())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "QGIS check failed:\n{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    stdout
}

/// Issue 31 §24: a project is XML to a strict parser (expat), not only to
/// QGIS, which took the last of two `background` attributes on one element.
fn strict_xml(path: &Path) {
    let out = std::process::Command::new("/usr/bin/python3")
        .args(["-c", "import sys, xml.parsers.expat as e; p = e.ParserCreate(); p.ParseFile(open(sys.argv[1], 'rb'))"])
        .arg(path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{} is not well-formed XML: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn sample_project_opens_in_qgis_with_styles_crs_and_counts() {
    let dir = artefacts("qgis-sample");
    let log = check_in_qgis(&dir, &[]);
    assert!(log.contains("project CRS EPSG:32638"), "{log}");
    assert!(log.contains("default styles picked up from layer_styles"), "{log}");
    assert!(log.contains("settlement labels scale-limited: 0 at the full extent"), "{log}");
    assert!(log.contains("route lines cased in"), "{log}");
    assert!(log.contains("layout 'delimit A4' exported"), "{log}");
    assert!(dir.join("map.png").exists() && dir.join("map-layout.pdf").exists() && dir.join("map-layout.png").exists());
}

#[test]
fn hostile_names_round_trip_through_the_project() {
    let dir = artefacts("qgis-hostile");
    let hostile = crate::util::hostile_inputs();
    let hostile: Vec<&str> = hostile.iter().map(String::as_str).collect();
    let log = check_in_qgis(&dir, &hostile);
    // check_project.py compared the categories with the owner values; here,
    // that the hostile one was among them.
    assert!(
        log.contains("legal categories equal the owner values: ['<script>alert("),
        "the hostile owner is not a category value:\n{log}"
    );
    let qgs = std::fs::read_to_string(dir.join("delimit.qgs")).unwrap();
    assert!(!qgs.contains("<script>"), "raw markup in the project");
}

#[test]
fn styles_table_is_registered_and_filled_with_bound_values() {
    require_tool("sqlite3");
    let dir = tempfile::tempdir().unwrap();
    let r = run(delimit().arg("qgis").arg("-o").arg(dir.path()));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let q = |sql: &str| {
        let o = std::process::Command::new("sqlite3").arg(dir.path().join("delimit.gpkg")).arg(sql).output().unwrap();
        String::from_utf8_lossy(&o.stdout).trim().to_string()
    };
    assert_eq!(q("SELECT data_type FROM gpkg_contents WHERE table_name = 'layer_styles'"), "attributes");
    // One default style per layer, each naming a layer that exists.
    let styled = q(
        "SELECT group_concat(f_table_name, ',') FROM (SELECT f_table_name FROM layer_styles WHERE useAsDefault = 1 ORDER BY f_table_name)",
    );
    let layers = q(
        "SELECT group_concat(table_name, ',') FROM (SELECT table_name FROM gpkg_contents WHERE data_type = 'features' ORDER BY table_name)",
    );
    assert_eq!(styled, layers);
    assert!(q("SELECT styleQML FROM layer_styles WHERE f_table_name = 'gaps'").contains(r#"type="categorizedSymbol""#));
}

#[test]
fn same_inputs_give_identical_project_and_package_whatever_the_threads() {
    require_tool("ogrinfo");
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    for (dir, threads) in [(&a, "1"), (&b, "2")] {
        let r = run(delimit().env("RAYON_NUM_THREADS", threads).arg("qgis").arg("-o").arg(dir.path()));
        assert_eq!(r.code, 0, "{}", r.stderr);
    }
    let read = |d: &tempfile::TempDir| std::fs::read(d.path().join("delimit.qgs")).unwrap();
    assert!(read(&a) == read(&b), "the projects differ");
    let (la, lb) = (ogrinfo_listing(&a.path().join("delimit.gpkg")), ogrinfo_listing(&b.path().join("delimit.gpkg")));
    assert!(la.len() > 10_000, "listing too short to mean anything");
    assert!(la == lb, "ogrinfo -al listings differ");
}

#[test]
fn refuses_existing_outputs_and_wrong_extensions() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("delimit.qgs"), "keep").unwrap();
    let r = run(delimit().arg("qgis").arg("-o").arg(dir.path()));
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("--force"), "{}", r.stderr);
    assert_eq!(std::fs::read_to_string(dir.path().join("delimit.qgs")).unwrap(), "keep");
    assert!(!dir.path().join("delimit.gpkg").exists(), "a partial output was left");

    let r = run(delimit()
        .arg("qgis")
        .arg("--gpkg")
        .arg(dir.path().join("x.geojson"))
        .arg("--project")
        .arg(dir.path().join("p.qgs")));
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains(".gpkg"), "{}", r.stderr);
}

/// The filter flags reach the project: its `gaps` layer holds the pieces
/// `gaps` keeps with the same flags, and the GeoPackage metadata says so.
#[test]
fn filters_choose_the_projects_gap_pieces() {
    crate::util::require_tool("ogrinfo");
    let dir = tempfile::tempdir().unwrap();
    let flags = ["--pair", "ARM,AZE", "--no-slivers"];
    let r = crate::util::run(crate::util::delimit().arg("qgis").arg("-o").arg(dir.path().join("p")).args(flags));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("filter: --pair ARM,AZE --no-slivers; left out"), "{}", r.stderr);
    let g = crate::util::run(crate::util::delimit().args(["gaps", "--all", "--json"]).args(flags));
    let want: serde_json::Value = serde_json::from_str(&g.stdout).unwrap();
    let want_n: u64 = want["summary"]["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["features"].as_u64().unwrap() + r["sliver_features"].as_u64().unwrap())
        .sum();
    let info = std::process::Command::new("ogrinfo")
        .args(["-ro", "-so"])
        .arg(dir.path().join("p/delimit.gpkg"))
        .arg("gaps")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&info.stdout);
    assert!(text.contains(&format!("Feature Count: {want_n}")), "want {want_n}: {text}");
    assert!(text.contains(r#""filter":"--pair ARM,AZE --no-slivers""#), "{text}");
}

/// With a control series, the project has a `changes` layer whose temporal
/// properties are set (start and end from the date fields), and the
/// project's temporal range is the series. The snapshots are synthetic: a
/// box of the sample's Armenian legal territory held by AZE that grows,
/// then shrinks.
#[test]
fn a_series_gives_a_time_aware_changes_layer() {
    let dir = artefacts("qgis-series");
    let series = dir.join("series");
    std::fs::create_dir_all(&series).unwrap();
    for (date, x1) in [("2024-01-01", 45.05), ("2024-02-01", 45.08), ("2024-03-01", 45.03)] {
        std::fs::write(
            series.join(format!("synthetic_{date}.geojson")),
            format!(
                r#"{{"type":"FeatureCollection","features":[{{"type":"Feature","properties":{{"controller":"AZE","source":"synthetic test series"}},"geometry":{{"type":"Polygon","coordinates":[[[45.0,40.0],[{x1},40.0],[{x1},40.05],[45.0,40.05],[45.0,40.0]]]}}}}]}}"#
            ),
        )
        .unwrap();
    }
    let glob = series.join("synthetic_*.geojson");
    let log = check_in_qgis(&dir, &["--series", glob.to_str().unwrap()]);
    assert!(
        log.contains(
            "layer delimit_changes temporal: to_date to superseded_date (dates); project range 2024-01-01 .. 2024-03-01"
        ),
        "{log}"
    );
    // 45.05–45.08°E changes hands on 2024-02-01 and back on 2024-03-01.
    assert!(log.contains("1 hidden from a later change"), "{log}");
}
