//! The pieces of `gaps` form a polygon coverage, checked by GEOS itself:
//! `shapely.coverage_invalid_edges` (GEOS CoverageValidator, what
//! `gdal vector check-coverage` runs in GDAL 3.11+) finds no invalid edge,
//! and the pieces' areas add up to their union's (nothing counted twice).
//! Run on the sample with both control layers, on every gaps fixture, and
//! on a generated case of many small units of very different sizes.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::util::*;

/// GEOS's verdict on each file of pieces (tests/peers/coverage.py).
fn geos_coverage(files: &[PathBuf]) -> Vec<Value> {
    python_peer("coverage.py", &files.iter().map(|f| f.as_os_str()).collect::<Vec<_>>())
}

/// `gaps --all` of one case into `dir/name.geojson` at full precision.
fn pieces(dir: &Path, name: &str, args: &[&str]) -> PathBuf {
    let out = dir.join(format!("{name}.geojson"));
    let r = run(delimit().args(["gaps", "--all", "--no-settlements", "--precision", "15", "-o"]).arg(&out).args(args));
    assert_eq!(r.code, 0, "{name}: {}", r.stderr);
    out
}

/// Many small units on a grid whose cells span three orders of magnitude,
/// with owners in a checkerboard of three, under control polygons that cut
/// across them at odd angles (each unit used to be cut on its own grid).
fn generated(dir: &Path) -> (PathBuf, PathBuf) {
    let mut x = vec![45.0f64];
    let mut y = vec![40.0f64];
    for i in 0..14 {
        // Widths from 1e-4° to 1e-1°, in a fixed order.
        x.push(x[i] + 10f64.powf(-4.0 + ((i * 7) % 13) as f64 / 4.0) * 1.000_000_3);
        y.push(y[i] + 10f64.powf(-4.0 + ((i * 5) % 13) as f64 / 4.0) * 0.999_999_1);
    }
    let ring = |pts: &[(f64, f64)]| {
        let mut s = String::from("[[");
        for (k, (a, b)) in pts.iter().chain(std::iter::once(&pts[0])).enumerate() {
            let _ = write!(s, "{}[{a},{b}]", if k > 0 { "," } else { "" });
        }
        s + "]]"
    };
    let mut legal = String::from(r#"{"type":"FeatureCollection","features":["#);
    for i in 0..x.len() - 1 {
        for j in 0..y.len() - 1 {
            let owner = ["A", "B", "C"][(i + 2 * j) % 3];
            let r = ring(&[(x[i], y[j]), (x[i + 1], y[j]), (x[i + 1], y[j + 1]), (x[i], y[j + 1])]);
            let sep = if i + j > 0 { "," } else { "" };
            let _ = write!(
                legal,
                r#"{sep}{{"type":"Feature","id":"u{i}_{j}","properties":{{"owner":"{owner}"}},"geometry":{{"type":"Polygon","coordinates":{r}}}}}"#
            );
        }
    }
    legal.push_str("]}");
    let (w, h) = (x[x.len() - 1] - 45.0, y[y.len() - 1] - 40.0);
    let star = |cx: f64, cy: f64, r: f64, n: usize, turn: f64| {
        let pts: Vec<(f64, f64)> = (0..n)
            .map(|k| {
                let a = k as f64 / n as f64 * std::f64::consts::TAU + turn;
                let rr = if k % 2 == 0 { r } else { r * 0.55 };
                (cx + rr * a.cos(), cy + rr * a.sin())
            })
            .collect();
        ring(&pts)
    };
    let controls = [
        ("B", star(45.0 + w * 0.4, 40.0 + h * 0.45, w.min(h) * 0.6, 14, 0.1)),
        ("A", star(45.0 + w * 0.7, 40.0 + h * 0.6, w.min(h) * 0.5, 18, 0.37)),
        ("C", star(45.0 + w * 0.2, 40.0 + h * 0.8, w.min(h) * 0.3, 10, 0.9)),
    ];
    let mut control = String::from(r#"{"type":"FeatureCollection","features":["#);
    for (k, (c, r)) in controls.iter().enumerate() {
        let sep = if k > 0 { "," } else { "" };
        let _ = write!(
            control,
            r#"{sep}{{"type":"Feature","id":"c{k}","properties":{{"controller":"{c}"}},"geometry":{{"type":"Polygon","coordinates":{r}}}}}"#
        );
    }
    control.push_str("]}");
    let (l, c) = (dir.join("many-legal.geojson"), dir.join("many-control.geojson"));
    std::fs::write(&l, legal).unwrap();
    std::fs::write(&c, control).unwrap();
    (l, c)
}

#[test]
fn gaps_pieces_are_a_polygon_coverage_by_geos() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let data = |f: &str| root().join("data").join(f).display().to_string();
    let fx = |f: &str| fixture(f).display().to_string();
    let mut files = vec![
        pieces(d, "sample-control", &["--control", &data("control.geojson")]),
        pieces(d, "sample-osm2024", &["--control", &data("control-osm2024.geojson")]),
        pieces(d, "ne-osm2024", &["--legal", &data("legal-ne.geojson"), "--control", &data("control-osm2024.geojson")]),
    ];
    for case in ["contested", "exclave", "penetrate2km", "shift50", "sk42"] {
        let (l, c) = (fx(&format!("gaps/{case}/legal.geojson")), fx(&format!("gaps/{case}/control.geojson")));
        files.push(pieces(d, case, &["--legal", &l, "--control", &c]));
    }
    // The dual-claim fixture, its overlap let through as a sliver.
    let (l, c) = (fx("gaps/dualclaim/legal.geojson"), fx("gaps/dualclaim/control.geojson"));
    files.push(pieces(d, "dualclaim", &["--legal", &l, "--control", &c, "--tolerance-m", "100000"]));
    let (l, c) = generated(d);
    files.push(pieces(d, "generated", &["--legal", &l.display().to_string(), "--control", &c.display().to_string()]));

    for v in geos_coverage(&files) {
        let file = v["file"].as_str().unwrap();
        let n = v["pieces"].as_u64().unwrap();
        assert!(n > 0, "{file}: no pieces");
        assert_eq!(v["invalid_pieces"], 0, "{file}: GEOS finds invalid coverage edges: {v}");
        assert_eq!(v["valid_pieces"].as_u64().unwrap(), n, "{file}: invalid polygons: {v}");
        let (sum, union) = (v["sum_area_deg2"].as_f64().unwrap(), v["union_area_deg2"].as_f64().unwrap());
        assert!((sum - union).abs() <= 1e-12 * union, "{file}: pieces {sum} deg² vs their union {union} deg²");
    }
}

/// A sliver overlap of two owners' legal units is one `dual_claim` piece,
/// naming both, counted in neither unit: every unit's pieces plus its share
/// of the claim add up to it, and the claim's area is the overlap's.
#[test]
fn a_sliver_dual_claim_is_one_piece_naming_both_owners() {
    let r = run(delimit()
        .args(["gaps", "--all", "--json", "--tolerance-m", "100000", "--legal"])
        .arg(fixture("gaps/dualclaim/legal.geojson"))
        .arg("--control")
        .arg(fixture("gaps/dualclaim/control.geojson")));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    let rows = v["summary"]["rows"].as_array().unwrap();
    let dual: Vec<&Value> = rows.iter().filter(|r| r["class"] == "dual_claim").collect();
    assert!(!dual.is_empty(), "{}", r.stdout);
    assert!(dual.iter().all(|r| r["owner"] == "A|B"), "{dual:?}");
    let reference: Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("gaps/dualclaim/reference.json")).unwrap()).unwrap();
    let km2: f64 = dual.iter().map(|r| r["km2"].as_f64().unwrap() + r["sliver_km2"].as_f64().unwrap()).sum();
    let want = reference["dual_claim_km2"].as_f64().expect("reference dual_claim_km2");
    assert!((km2 - want).abs() / want < 1e-6, "dual claim {km2} km² vs the overlap {want} km²");
}
