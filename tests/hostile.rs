//! The hostile-input corpus across subcommands (issue 9). `malformed.rs`
//! holds the broken-file cases for the reader; here are the monsters (10⁶
//! vertices, 100,000 features, 1 GB of GeoJSON, a zip bomb, nesting, 1e308,
//! markup in names) and bad input to every subcommand. Each case asserts a
//! clear error or a correct result, no panic, and no partial output.

use std::io::Write;
use std::path::{Path, PathBuf};

use geo::{GeodesicArea, Polygon};
use serde_json::Value;

use crate::util::{delimit, fixture, listing, run};

fn fc(features: &[String]) -> String {
    format!(r#"{{"type":"FeatureCollection","features":[{}]}}"#, features.join(","))
}

fn square_feature(props: &str, x: f64, y: f64, d: f64) -> String {
    rect_feature(props, [x, y, x + d, y + d])
}

fn rect_feature(props: &str, [x0, y0, x1, y1]: [f64; 4]) -> String {
    format!(
        r#"{{"type":"Feature","properties":{props},"geometry":{{"type":"Polygon","coordinates":[[[{x0},{y0}],[{x1},{y0}],[{x1},{y1}],[{x0},{y1}],[{x0},{y0}]]]}}}}"#
    )
}

fn write(dir: &Path, name: &str, body: impl AsRef<[u8]>) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, body).unwrap();
    p
}

/// One refused input: the command line (`{dir}` is the case's folder, which
/// holds `files`), and what stderr must say.
struct Refused {
    name: &'static str,
    files: Vec<(&'static str, Vec<u8>)>,
    args: &'static [&'static str],
    expect: &'static [&'static str],
}

fn refused_cases() -> Vec<Refused> {
    let huge = fc(&[square_feature(r#"{"owner":"AAA","controller":"AAA"}"#, 45.0, 40.0, 0.1).replacen(
        "[[[45,",
        "[[[1e308,",
        1,
    )])
    .into_bytes();
    let beyond =
        fc(&[square_feature(r#"{"owner":"AAA"}"#, 45.0, 40.0, 0.1).replacen("[[[45,", "[[[1e309,", 1)]).into_bytes();
    let route_huge = br#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"name":"r","kind":"road"},"geometry":{"type":"LineString","coordinates":[[45,40],[1e308,40.1]]}}]}"#.to_vec();
    let nest = |depth: usize| {
        let inner = r#"{"type":"Polygon","coordinates":[[[45,40],[45.1,40],[45.1,40.1],[45,40]]]}"#;
        let g =
            format!("{}{inner}{}", r#"{"type":"GeometryCollection","geometries":["#.repeat(depth), "]}".repeat(depth));
        format!(r#"{{"type":"FeatureCollection","features":[{{"type":"Feature","properties":{{"owner":"AAA"}},"geometry":{g}}}]}}"#).into_bytes()
    };
    let sample_legal = std::fs::read(crate::util::root().join("data/legal.geojson")).unwrap();
    let lines_as_polygons = sample_legal.clone();
    vec![
        Refused {
            name: "1e308 in a legal layer (gaps)",
            files: vec![("legal.geojson", huge.clone())],
            args: &["gaps", "--legal", "{dir}/legal.geojson", "-o", "{dir}/gaps.geojson"],
            expect: &["feature 1", "position (1e308, 40) is not a lon/lat position", "--src-crs"],
        },
        Refused {
            name: "1e308 in a legal layer (village)",
            files: vec![("legal.geojson", huge.clone())],
            args: &["village", "Voskepar", "--legal", "{dir}/legal.geojson", "--geojson", "{dir}/v.geojson"],
            expect: &["position (1e308, 40)"],
        },
        Refused {
            name: "1e308 in a control layer (lines)",
            files: vec![("control.geojson", huge.clone())],
            args: &["lines", "--control", "{dir}/control.geojson", "-o", "{dir}/runs.geojson"],
            expect: &["control.geojson", "position (1e308, 40)"],
        },
        Refused {
            name: "1e308 in a route (corridor measure)",
            files: vec![("routes.geojson", route_huge)],
            args: &["corridor", "measure", "--routes", "{dir}/routes.geojson", "-o", "{dir}/pieces.geojson"],
            expect: &["routes.geojson", "position (1e308, 40.1)"],
        },
        Refused {
            name: "1e309, beyond f64 (check)",
            files: vec![("legal.geojson", beyond)],
            args: &["check", "--role", "legal", "{dir}/legal.geojson", "-o", "{dir}/p.geojson"],
            expect: &["number out of range", "64-bit float"],
        },
        Refused {
            name: "GeometryCollections nested 100,000 deep (gaps)",
            files: vec![("legal.geojson", nest(100_000))],
            args: &["gaps", "--legal", "{dir}/legal.geojson", "-o", "{dir}/gaps.geojson"],
            expect: &["recursion limit exceeded", "128 levels"],
        },
        Refused {
            name: "GeometryCollections nested 20 deep (check)",
            files: vec![("legal.geojson", nest(20))],
            args: &["check", "--role", "legal", "{dir}/legal.geojson", "-o", "{dir}/p.geojson"],
            expect: &["is a GeometryCollection, which a legal layer cannot use"],
        },
        Refused {
            name: "--at outside the globe (village)",
            files: vec![],
            args: &["village", "--at", "91,45", "--geojson", "{dir}/v.geojson"],
            expect: &["latitude 91 is out of range", "latitude first"],
        },
        Refused {
            name: "--at not a position (village)",
            files: vec![],
            args: &["village", "--at", "abc", "--geojson", "{dir}/v.geojson"],
            expect: &["`abc` is not two coordinates (LAT,LON)"],
        },
        Refused {
            name: "--step 0 (lines)",
            files: vec![],
            args: &["lines", "--step", "0", "-o", "{dir}/runs.geojson"],
            expect: &["--step", "0 is not a positive length"],
        },
        Refused {
            name: "constraints that are not TOML (corridor measure)",
            files: vec![("c.toml", b"transit_state = \"ARM\"\n[[checkpoint]\nname = 1\n".to_vec())],
            args: &["corridor", "measure", "--constraints", "{dir}/c.toml", "-o", "{dir}/pieces.geojson"],
            expect: &["c.toml", "line 2"],
        },
        Refused {
            name: "--format pdf (report)",
            files: vec![],
            args: &["report", "--format", "pdf", "-o", "{dir}/r.pdf"],
            expect: &["invalid value 'pdf'"],
        },
        Refused {
            name: "polygons given as boundary lines (polygonize)",
            files: vec![("lines.geojson", lines_as_polygons)],
            args: &["polygonize", "--legal-lines", "{dir}/lines.geojson", "-o", "{dir}/faces.geojson"],
            expect: &["lines.geojson", "feature", "field `left`", "--left-field"],
        },
        Refused {
            name: "a report sent to a database (report)",
            files: vec![],
            args: &["report", "-o", "PG:host=127.0.0.1 dbname=delimit"],
            expect: &["is a database; this output is a file"],
        },
        Refused {
            name: "an archive member that is not there (check)",
            files: vec![],
            args: &["check", "--role", "legal", "/vsizip/{dir}/none.zip/legal.geojson", "-o", "{dir}/p.geojson"],
            expect: &["none.zip"],
        },
    ]
}

#[test]
fn every_refused_input_gets_a_clear_error_exit_2_and_no_output() {
    let mut failures = Vec::new();
    for c in refused_cases() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().display().to_string();
        for (name, body) in &c.files {
            write(dir.path(), name, body);
        }
        let args: Vec<String> = c.args.iter().map(|a| a.replace("{dir}", &d)).collect();
        let r = run(delimit().current_dir(dir.path()).args(&args));
        let mut why = Vec::new();
        if r.code != 2 {
            why.push(format!("exit {} (want 2)", r.code));
        }
        if !r.stderr.starts_with("error: ") {
            why.push("stderr does not start with `error: `".into());
        }
        if r.stderr.contains("panicked") {
            why.push("panicked".into());
        }
        for e in c.expect {
            if !r.stderr.contains(e) {
                why.push(format!("stderr lacks {e:?}"));
            }
        }
        if !r.stdout.is_empty() {
            why.push(format!("stdout is not empty: {}", r.stdout.chars().take(200).collect::<String>()));
        }
        let want: Vec<String> = {
            let mut v: Vec<String> = c.files.iter().map(|(n, _)| n.to_string()).collect();
            v.sort();
            v
        };
        if listing(dir.path()) != want {
            why.push(format!("left behind: {:?}", listing(dir.path())));
        }
        if !why.is_empty() {
            failures.push(format!("{}: {}\n    stderr: {}", c.name, why.join("; "), r.stderr.trim()));
        }
    }
    assert!(failures.is_empty(), "{} case(s) failed:\n{}", failures.len(), failures.join("\n"));
}

fn gaps_json(args: &[&str], dir: &Path) -> Value {
    let r = run(delimit().current_dir(dir).args(["gaps", "--json", "--all"]).args(args));
    assert_eq!(r.code, 0, "{}", r.stderr);
    serde_json::from_str(&r.stdout).unwrap()
}

fn row<'a>(v: &'a Value, class: &str, owner: &str, controller: &str) -> &'a Value {
    v["summary"]["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["class"] == class && r["owner"] == owner && r["controller"] == controller)
        .unwrap_or_else(|| panic!("no {class} {owner}→{controller} row in {}", v["summary"]))
}

fn km2(r: &Value) -> f64 {
    r["km2"].as_f64().unwrap() + r["sliver_km2"].as_f64().unwrap()
}

fn pieces(r: &Value) -> u64 {
    r["features"].as_u64().unwrap() + r["sliver_features"].as_u64().unwrap()
}

/// A polygon of 10⁶ vertices (a circle of 0.5°), split by a meridian
/// through its centre between two controllers: reflection in a meridian
/// is an isometry of the ellipsoid, so the halves are equal, and together
/// they are the circle's geodesic area as geo measures it here.
#[test]
fn a_polygon_of_a_million_vertices_is_split_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let n = 1_000_000;
    let ring: Vec<(f64, f64)> = (0..n)
        .map(|k| {
            let t = std::f64::consts::TAU * k as f64 / n as f64;
            (45.0 + 0.5 * t.cos(), 40.0 + 0.5 * t.sin())
        })
        .collect();
    let mut coords = String::with_capacity(n * 40);
    for (x, y) in ring.iter().chain(std::iter::once(&ring[0])) {
        coords.push_str(&format!("[{x},{y}],"));
    }
    coords.pop();
    let legal = format!(
        r#"{{"type":"FeatureCollection","features":[{{"type":"Feature","properties":{{"owner":"AAA"}},"geometry":{{"type":"Polygon","coordinates":[[{coords}]]}}}}]}}"#
    );
    write(dir.path(), "legal.geojson", legal);
    let control = fc(&[
        rect_feature(r#"{"controller":"BBB"}"#, [44.0, 39.0, 45.0, 41.0]),
        rect_feature(r#"{"controller":"AAA"}"#, [45.0, 39.0, 46.0, 41.0]),
    ]);
    write(dir.path(), "control.geojson", control);
    let v = gaps_json(&["--legal", "legal.geojson", "--control", "control.geojson"], dir.path());
    let (west, east) = (km2(row(&v, "held_by_other", "AAA", "BBB")), km2(row(&v, "held_by_owner", "AAA", "AAA")));
    let whole = Polygon::new(ring.into_iter().map(geo::Coord::from).collect::<Vec<_>>().into(), vec![])
        .geodesic_area_unsigned()
        / 1e6;
    assert!((west - east).abs() < 1e-5, "halves {west} and {east} km²");
    assert!((west + east - whole).abs() < 1e-5, "halves add to {} km², the circle is {whole}", west + east);
}

/// 100,000 separate squares of 0.001°, owners alternating, all under one
/// controller: 50,000 pieces held by the other party, of the squares' own
/// area. Before the fix this never finished (each unit was cut out of the
/// control polygon one by one, and each unit's boundary was sought in a
/// set rebuilt per unit).
#[test]
fn a_hundred_thousand_tiny_features_are_each_counted() {
    let dir = tempfile::tempdir().unwrap();
    let mut feats = Vec::with_capacity(100_000);
    let mut bbb_m2 = 0.0;
    for i in 0..400 {
        for j in 0..250 {
            let (x, y, d) = (44.0 + i as f64 * 0.002, 39.5 + j as f64 * 0.002, 0.001);
            let owner = if (i + j) % 2 == 1 { "AAA" } else { "BBB" };
            feats.push(square_feature(&format!(r#"{{"owner":"{owner}"}}"#), x, y, d));
            if owner == "BBB" {
                bbb_m2 += Polygon::new(vec![(x, y), (x + d, y), (x + d, y + d), (x, y + d), (x, y)].into(), vec![])
                    .geodesic_area_unsigned();
            }
        }
    }
    write(dir.path(), "legal.geojson", fc(&feats));
    write(dir.path(), "control.geojson", fc(&[square_feature(r#"{"controller":"AAA"}"#, 43.9, 39.4, 1.1)]));
    let v = gaps_json(&["--legal", "legal.geojson", "--control", "control.geojson"], dir.path());
    let other = row(&v, "held_by_other", "BBB", "AAA");
    assert_eq!(pieces(other), 50_000);
    assert_eq!(pieces(row(&v, "held_by_owner", "AAA", "AAA")), 50_000);
    assert!((km2(other) - bbb_m2 / 1e6).abs() < 1e-5, "{} km² against {}", km2(other), bbb_m2 / 1e6);
    assert_eq!(v["summary"]["conservation"]["max_planar_rel"], 0.0);
}

/// A GeoJSON over 1 GiB (10,800 squares, each with a 100 kB property) is
/// streamed: the file is mapped read-only and only the fields a command
/// reads are kept, so `gaps` runs under a 256 MiB heap limit (`ulimit -d`,
/// which a read-only file map does not count). Documented in
/// docs/RELIABILITY.md.
#[test]
fn a_gigabyte_of_geojson_is_streamed_within_256_mib_of_heap() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("legal.geojson");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    let note = "x".repeat(100_000);
    f.write_all(br#"{"type":"FeatureCollection","features":["#).unwrap();
    let mut n = 0;
    for i in 0..100 {
        for j in 0..108 {
            if n > 0 {
                f.write_all(b",").unwrap();
            }
            let props = format!(r#"{{"owner":"AAA","note":"{note}"}}"#);
            f.write_all(square_feature(&props, 44.0 + i as f64 * 0.02, 39.0 + j as f64 * 0.02, 0.01).as_bytes())
                .unwrap();
            n += 1;
        }
    }
    f.write_all(b"]}").unwrap();
    f.into_inner().unwrap().sync_all().unwrap();
    assert!(std::fs::metadata(&path).unwrap().len() > 1 << 30);
    // Control over the first column of squares only.
    write(
        dir.path(),
        "control.geojson",
        fc(&[rect_feature(r#"{"controller":"BBB"}"#, [43.995, 38.995, 44.015, 41.2])]),
    );
    // assert_cmd runs the binary directly; the limit needs a shell.
    let bin = assert_cmd::cargo::cargo_bin("delimit");
    let out = std::process::Command::new("sh")
        .current_dir(dir.path())
        .args(["-c", "ulimit -d 262144 && exec \"$0\" gaps --json --legal legal.geojson --control control.geojson"])
        .arg(&bin)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(pieces(row(&v, "held_by_other", "AAA", "BBB")), 108);
    assert_eq!(v["summary"]["conservation"]["legal_units"], 10_800);
    assert_eq!(pieces(row(&v, "unassigned", "AAA", "-")), 10_800 - 108);
}

/// Write a zip with one member through Python's zipfile (Debian's python3;
/// Rust's std has no zip writer), streaming `repeat` MiB of spaces into the
/// middle of a valid GeoJSON, so the archive inflates ~1,000:1.
fn zip_with_padding(zip: &Path, member: &str, body: &[u8], padding_mib: usize) {
    let (head, tail) = body.split_at(body.len() - 2);
    let script = format!(
        "import sys, zipfile\nwith zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_DEFLATED) as z:\n    with z.open({member:?}, 'w', force_zip64=True) as f:\n        f.write(bytes.fromhex(sys.argv[2]))\n        chunk = b' ' * (1 << 20)\n        for _ in range({padding_mib}):\n            f.write(chunk)\n        f.write(bytes.fromhex(sys.argv[3]))\n"
    );
    let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
    let out = std::process::Command::new("python3")
        .args(["-c", &script])
        .arg(zip)
        .arg(hex(head))
        .arg(hex(tail))
        .output()
        .expect("python3 runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn a_zip_bomb_behind_vsizip_is_refused_before_it_inflates() {
    let dir = tempfile::tempdir().unwrap();
    let body = fc(&[square_feature(r#"{"owner":"AAA"}"#, 45.0, 40.0, 0.1)]);
    let zip = dir.path().join("bomb.zip");
    zip_with_padding(&zip, "legal.geojson", body.as_bytes(), 512);
    assert!(std::fs::metadata(&zip).unwrap().len() < 2 << 20, "the bomb should be small");
    let member = format!("/vsizip/{}/legal.geojson", zip.display());
    let started = std::time::Instant::now();
    let r = run(delimit()
        .current_dir(dir.path())
        .args(["gaps", "--legal", &member, "-o"])
        .arg(dir.path().join("gaps.geojson")));
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("inflates to 512 MiB")
            && r.stderr.contains("probable zip bomb")
            && r.stderr.contains("hint: if the data is genuine, unpack"),
        "{}",
        r.stderr
    );
    assert!(started.elapsed().as_secs() < 20, "refused only after {:?}", started.elapsed());
    assert_eq!(listing(dir.path()), ["bomb.zip"]);

    // An honest archive is read through GDAL, with the same answer as the
    // file itself; its provenance hash is the archive's.
    let plain = write(dir.path(), "legal.geojson", &body);
    let ok = dir.path().join("ok.zip");
    zip_with_padding(&ok, "legal.geojson", body.as_bytes(), 0);
    let member = format!("/vsizip/{}/legal.geojson", ok.display());
    let a = gaps_json(&["--legal", &member], dir.path());
    let b = gaps_json(&["--legal", plain.to_str().unwrap()], dir.path());
    assert_eq!(a["summary"]["rows"], b["summary"]["rows"]);
}

/// `</script><script>` as a party and a place name: the report holds it
/// as text, and the QGIS project as XML text.
#[test]
fn a_script_breaking_name_stays_text_in_report_and_project() {
    let dir = tempfile::tempdir().unwrap();
    let evil = "</script><script>alert(1)</script>";
    let swap = |rel: &str| {
        let text = std::fs::read_to_string(fixture(rel)).unwrap();
        text.replace(r#"<script>alert('B')</script>&\"B\""#, evil)
            .replace(r#"<script>alert(\"x\")</script> & <b>Q</b>"#, evil)
    };
    let inputs: Vec<PathBuf> = ["legal", "control", "settlements"]
        .iter()
        .map(|n| write(dir.path(), &format!("{n}.geojson"), swap(&format!("report/hostile-{n}.geojson"))))
        .collect();
    for p in &inputs {
        assert!(std::fs::read_to_string(p).unwrap().contains(evil), "{} lacks the name", p.display());
    }
    for (args, written) in [(["report", "-o", "r.html"], "r.html"), (["qgis", "-o", "q"], "q/delimit.qgs")] {
        let r = run(delimit().current_dir(dir.path()).args(args).args([
            "--legal",
            "legal.geojson",
            "--control",
            "control.geojson",
            "--settlements",
            "settlements.geojson",
            "--no-routes",
        ]));
        assert!(r.code == 0 || r.code == 1, "{}", r.stderr);
        let text = std::fs::read_to_string(dir.path().join(written)).unwrap();
        assert!(
            !text.to_lowercase().contains("<script") && !text.to_lowercase().contains("</script"),
            "markup leaked into {written}"
        );
        assert!(
            text.contains("&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;"),
            "the name is missing from {written}"
        );
    }
}
