//! `-o PG:…`: gaps written into PostGIS through GDAL's PostgreSQL driver,
//! checked with SQL. The test starts its own server on loopback
//! (`tests/postgis/cluster.sh`, Debian's postgresql + postgis from `make
//! test-deps`) and stops it when done.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use geo::GeodesicArea;

use crate::util::{delimit, require_tool, root, run};

/// A running throwaway server; stopped on drop, pass or fail.
pub(crate) struct Cluster {
    dir: PathBuf,
    port: String,
    _tmp: tempfile::TempDir,
}

impl Cluster {
    pub(crate) fn start() -> Cluster {
        require_tool("psql");
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("pg");
        let out = std::process::Command::new(root().join("tests/postgis/cluster.sh"))
            .arg("start")
            .arg(&dir)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "could not start PostgreSQL + PostGIS (`make test-deps` installs postgresql and postgresql-15-postgis-3): {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let port = String::from_utf8_lossy(&out.stdout).trim().to_string();
        Cluster { dir, port, _tmp: tmp }
    }

    pub(crate) fn target(&self) -> String {
        format!("PG:host=127.0.0.1 port={} dbname=delimit user=postgres", self.port)
    }

    /// Rows of a query, fields split on `|`.
    fn query(&self, sql: &str) -> Vec<Vec<String>> {
        let out = std::process::Command::new("psql")
            .args([
                "-h",
                "127.0.0.1",
                "-p",
                &self.port,
                "-U",
                "postgres",
                "-d",
                "delimit",
                "-qAt",
                "-v",
                "ON_ERROR_STOP=1",
                "-c",
                sql,
            ])
            .output()
            .unwrap();
        assert!(out.status.success(), "{sql}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).lines().map(|l| l.split('|').map(str::to_string).collect()).collect()
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = std::process::Command::new(root().join("tests/postgis/cluster.sh")).arg("stop").arg(&self.dir).output();
    }
}

/// Each feature's geodesic area (edges as geodesics, GeographicLib through
/// geo), from delimit's own GeoJSON output of the same run, by id.
fn geodesic_km2_by_id(path: &Path) -> BTreeMap<String, f64> {
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    v["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let g: geo::Geometry<f64> =
                serde_json::from_value::<geojson::Geometry>(f["geometry"].clone()).unwrap().try_into().unwrap();
            let area = match g {
                geo::Geometry::MultiPolygon(m) => m.geodesic_area_unsigned(),
                geo::Geometry::Polygon(p) => p.geodesic_area_unsigned(),
                other => panic!("not polygonal: {other:?}"),
            };
            (f["properties"]["id"].as_str().unwrap().to_string(), area / 1e6)
        })
        .collect()
}

#[test]
fn gaps_go_into_postgis_and_its_areas_agree() {
    let pg = Cluster::start();
    let dir = tempfile::tempdir().unwrap();
    let r = run(delimit().current_dir(dir.path()).args(["gaps", "--all", "-o", &pg.target()]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    // Full precision: the default 7 decimals (1 cm) would move small areas by ~1e-7.
    let r = run(delimit().current_dir(dir.path()).args(["gaps", "--all", "--precision", "15", "-o", "gaps.geojson"]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let ours = geodesic_km2_by_id(&dir.path().join("gaps.geojson"));

    // PostGIS reads edges as geodesics; delimit's `area_km2` is the area of
    // the polygon whose edges are straight in lon/lat (as drawn in QGIS), so
    // for that comparison PostGIS measures the polygon segmentized to
    // 0.0001° along those straight edges.
    let rows = pg.query(
        "SELECT id, area_km2, ST_Area(wkb_geometry::geography) / 1e6, \
         ST_Area(ST_Segmentize(wkb_geometry, 0.0001)::geography) / 1e6, ST_SRID(wkb_geometry) FROM gaps ORDER BY id",
    );
    assert_eq!(rows.len(), ours.len(), "PostGIS holds {} rows, the GeoJSON {}", rows.len(), ours.len());
    let mut compared = 0;
    for row in &rows {
        let f = |i: usize| row[i].parse::<f64>().unwrap();
        let (id, area_km2, geography, straight) = (&row[0], f(1), f(2), f(3));
        assert_eq!(row[4], "4326");
        let geodesic = ours[id];
        // The same geometry measured the same way by two libraries: to
        // 1e-8 relative, plus 0.01 m² for the cancellation in slivers.
        assert!(
            (geography - geodesic).abs() <= 1e-8 * geodesic + 1e-8,
            "{id}: PostGIS {geography} km², geo {geodesic} km²"
        );
        // delimit's reported figure, printed to 1e-6 km²: compared where
        // that rounding is below 1e-6 relative.
        if area_km2 >= 1.0 {
            assert!((straight / area_km2 - 1.0).abs() < 1e-6, "{id}: PostGIS {straight} km², delimit {area_km2} km²");
            compared += 1;
        }
    }
    assert!(compared >= 5, "only {compared} features of 1 km² or more");

    // An existing table is kept without --force, replaced with it.
    let before = pg.query("SELECT count(*) FROM gaps");
    let r = run(delimit().current_dir(dir.path()).args(["gaps", "-o", &pg.target()]));
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("already exists") && r.stderr.contains("--force"), "{}", r.stderr);
    assert_eq!(pg.query("SELECT count(*) FROM gaps"), before);
    let r = run(delimit().current_dir(dir.path()).args(["gaps", "--force", "-o", &pg.target()]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let held = pg.query("SELECT count(*) FROM gaps WHERE class = 'held_by_owner'");
    assert_eq!(held, [["0"]], "without --all only the gap classes are written");

    // A database that is not there: a clear error, nothing written anywhere.
    let bad = format!("PG:host=127.0.0.1 port={} dbname=nosuch user=postgres", pg.port);
    let r = run(delimit().current_dir(dir.path()).args(["gaps", "-o", &bad]));
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.starts_with("error: ") && r.stderr.contains("nosuch"), "{}", r.stderr);

    // PostGIS as an input: the sample's legal layer loaded with ogr2ogr
    // gives the same pieces and totals as the same layer read from GeoJSON.
    require_tool("ogr2ogr");
    std::fs::create_dir(dir.path().join("sample")).unwrap();
    let r = run(delimit().current_dir(dir.path()).args(["data", "export", "sample"]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let legal = dir.path().join("sample/legal.geojson");
    let load = std::process::Command::new("ogr2ogr")
        .args(["-f", "PostgreSQL", &pg.target()])
        .arg(&legal)
        .args(["-nln", "units", "-lco", "GEOMETRY_NAME=geom"])
        .output()
        .unwrap();
    assert!(load.status.success(), "ogr2ogr: {}", String::from_utf8_lossy(&load.stderr));
    let from_file = run(delimit().args(["gaps", "--json", "--no-settlements", "--legal"]).arg(&legal));
    let from_db =
        run(delimit().args(["gaps", "--json", "--no-settlements", "--legal", &pg.target(), "--layer", "units"]));
    assert_eq!(from_db.code, 0, "{}", from_db.stderr);
    let (a, b): (serde_json::Value, serde_json::Value) =
        (serde_json::from_str(&from_file.stdout).unwrap(), serde_json::from_str(&from_db.stdout).unwrap());
    assert_eq!(a["summary"]["rows"], b["summary"]["rows"], "the same classes, counts and km² from either source");
    let input = &b["provenance"]["inputs"][0];
    assert!(input["path"].as_str().unwrap().starts_with("PG:"), "{input}");
    assert_eq!(input["sha256"].as_str().unwrap().len(), 64, "a content hash stands in for the file's");
    // The hash is of the content: a second read gives the same.
    let again =
        run(delimit().args(["gaps", "--json", "--no-settlements", "--legal", &pg.target(), "--layer", "units"]));
    let c: serde_json::Value = serde_json::from_str(&again.stdout).unwrap();
    assert_eq!(c["provenance"]["inputs"][0]["sha256"], input["sha256"]);

    // Issue 30 §7: legal and control as two tables of one database, each
    // named by `|layername=` (one --layer cannot name both).
    let control = dir.path().join("sample/control.geojson");
    let load = std::process::Command::new("ogr2ogr")
        .args(["-f", "PostgreSQL", &pg.target()])
        .arg(&control)
        .args(["-nln", "holdings", "-lco", "GEOMETRY_NAME=geom"])
        .output()
        .unwrap();
    assert!(load.status.success(), "ogr2ogr: {}", String::from_utf8_lossy(&load.stderr));
    let both = run(delimit().args([
        "gaps",
        "--json",
        "--no-settlements",
        "--legal",
        &format!("{}|layername=units", pg.target()),
        "--control",
        &format!("{}|layername=holdings", pg.target()),
    ]));
    assert_eq!(both.code, 0, "{}", both.stderr);
    let files = run(delimit()
        .args(["gaps", "--json", "--no-settlements", "--legal"])
        .arg(&legal)
        .arg("--control")
        .arg(&control));
    let (d, e): (serde_json::Value, serde_json::Value) =
        (serde_json::from_str(&both.stdout).unwrap(), serde_json::from_str(&files.stdout).unwrap());
    assert_eq!(d["summary"]["rows"], e["summary"]["rows"], "two tables of one database read as the two files");
    let layers: Vec<&str> =
        d["provenance"]["inputs"].as_array().unwrap().iter().map(|i| i["layer"].as_str().unwrap()).collect();
    assert_eq!(layers, ["units", "holdings"]);

    // Issue 31 §14: a password in the connection string reaches no output
    // and no message (the throwaway server trusts loopback, so the
    // password is given and ignored). Before: in the provenance, the
    // report, the project's metadata and the summary line.
    let secret = format!("{} password=hunter2|layername=units", pg.target());
    let out = tempfile::tempdir().unwrap();
    for args in [
        vec!["gaps", "--json", "--no-settlements", "--legal", &secret, "-o", "pieces.geojson"],
        vec!["report", "--legal", &secret, "-o", "report.html"],
        vec!["qgis", "--legal", &secret, "-o", "project"],
    ] {
        let r = run(delimit().current_dir(out.path()).args(&args));
        assert_eq!(r.code, 0, "{args:?}: {}", r.stderr);
        assert!(!r.stdout.contains("hunter2") && !r.stderr.contains("hunter2"), "{args:?}: {}{}", r.stdout, r.stderr);
    }
    let mut leaked = Vec::new();
    let mut stack = vec![out.path().to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if std::fs::read(&p).unwrap().windows(7).any(|w| w == b"hunter2") {
                leaked.push(p);
            }
        }
    }
    assert!(leaked.is_empty(), "the password is in {leaked:?}");

    // Issue 31 §1: an input table is never the output, with --force or
    // without, however the connection or the table is spelled. Before, the
    // 9 legal units were dropped and replaced by 19 gap pieces, exit 0.
    let load = std::process::Command::new("ogr2ogr")
        .args(["-f", "PostgreSQL", "-overwrite", &pg.target()])
        .arg(&legal)
        .args(["-nln", "gaps", "-lco", "GEOMETRY_NAME=geom"])
        .output()
        .unwrap();
    assert!(load.status.success(), "ogr2ogr: {}", String::from_utf8_lossy(&load.stderr));
    let count = || pg.query("SELECT count(*) FROM gaps")[0][0].clone();
    let before = count();
    let other_spelling = pg.target().replace("host=127.0.0.1", "host=localhost");
    for (input, layer) in [(pg.target(), "gaps"), (other_spelling.clone(), "public.gaps")] {
        for force in [true, false] {
            let mut cmd = delimit();
            cmd.args(["gaps", "--no-settlements", "--legal", &input, "--layer", layer, "-o", &pg.target()]);
            if force {
                cmd.arg("--force");
            }
            let r = run(&mut cmd);
            assert_eq!(r.code, 2, "{input} {layer} force={force}: {}", r.stderr);
            assert!(r.stderr.contains("input"), "{}", r.stderr);
            assert_eq!(count(), before, "the input table was replaced ({input} {layer})");
        }
    }
}
