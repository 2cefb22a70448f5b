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
            expect: &["--step", "0 is not a positive number"],
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

/// What is wrong with an error run: its exit code, a first line that is not
/// `error: `, a panic, or an expected text missing from stderr.
fn error_problems(r: &crate::util::Run, code: i32, expect: &[&str]) -> Vec<String> {
    let mut why = Vec::new();
    if r.code != code {
        why.push(format!("exit {} (want {code})", r.code));
    }
    if !r.stderr.starts_with("error: ") {
        why.push("stderr does not start with `error: `".into());
    }
    if r.stderr.contains("panicked") {
        why.push("panicked".into());
    }
    for e in expect {
        if !r.stderr.contains(e) {
            why.push(format!("stderr lacks {e:?}"));
        }
    }
    why
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
        let mut why = error_problems(&r, 2, c.expect);
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

// ---------------------------------------------------------------------
// Where analysis meets the filesystem (issue 18): every case runs in a
// folder holding the sample data, and must leave it exactly as it was.

/// Whether `s` is safe to print on a terminal: no control character but
/// the newline, no bidirectional control.
fn terminal_safe(s: &str) -> bool {
    !s.chars().any(|c| {
        (c.is_control() && c != '\n')
            || matches!(c, '\u{200e}' | '\u{200f}' | '\u{061c}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    })
}

/// Every file under `dir` (recursively), with the sha256 of its bytes (or
/// of its link target's name, for a link; or its kind, for a special file).
fn snapshot(dir: &Path) -> std::collections::BTreeMap<String, String> {
    use sha2::Digest;
    use std::os::unix::fs::FileTypeExt;
    let mut out = std::collections::BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            let p = e.path();
            let rel = p.strip_prefix(dir).unwrap().display().to_string();
            let ft = e.file_type().unwrap();
            let v = if ft.is_symlink() {
                format!("link to {}", std::fs::read_link(&p).unwrap().display())
            } else if ft.is_dir() {
                stack.push(p.clone());
                "folder".into()
            } else if ft.is_fifo() {
                "fifo".into()
            } else {
                format!("{:x}", sha2::Sha256::digest(std::fs::read(&p).unwrap()))
            };
            out.insert(rel, v);
        }
    }
    out
}

/// The sample data, as `delimit data export` writes it, in `dir`.
fn sample_into(dir: &Path) {
    for f in ["legal.geojson", "control.geojson", "legal-lines.geojson", "settlements.geojson", "corridor.toml"] {
        std::fs::copy(crate::util::root().join("data").join(f), dir.join(f)).unwrap();
    }
    for f in ["barrier.toml", "barrier-legal.geojson", "barrier-control.geojson"] {
        std::fs::copy(fixture("corridor").join(f), dir.join(f)).unwrap();
    }
}

fn mkfifo(p: &Path) {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(p.as_os_str().as_bytes()).unwrap();
    // SAFETY: a NUL-terminated path that outlives the call.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
}

fn ogr2ogr(dir: &Path, args: &[&str]) {
    crate::util::require_tool("ogr2ogr");
    let o = std::process::Command::new("ogr2ogr").current_dir(dir).args(args).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

fn legal_with_owner(owner: &str) -> Vec<u8> {
    let props = serde_json::json!({ "owner": owner, "controller": owner }).to_string();
    fc(&[square_feature(&props, 45.0, 40.0, 0.1), square_feature(r#"{"owner":"BBB"}"#, 45.1, 40.0, 0.1)]).into_bytes()
}

/// One case: `setup` adds to the sample folder, `args` run there (`{dir}`
/// is the folder), and stderr must hold every `expect`.
struct Guarded {
    name: &'static str,
    setup: Box<dyn Fn(&Path)>,
    args: Vec<String>,
    expect: &'static [&'static str],
    code: i32,
}

fn case(name: &'static str, args: &str, expect: &'static [&'static str]) -> Guarded {
    Guarded { name, setup: Box::new(|_| {}), args: args.split(' ').map(String::from).collect(), expect, code: 2 }
}

impl Guarded {
    fn with(mut self, setup: impl Fn(&Path) + 'static) -> Self {
        self.setup = Box::new(setup);
        self
    }
    fn exit(mut self, code: i32) -> Self {
        self.code = code;
        self
    }
}

/// A route over the barrier fixture, copied into the case's folder.
const BARRIER: &str = "corridor route --from 40.0,45.05 --to 40.0,45.25 --constraints {dir}/barrier.toml --legal {dir}/barrier-legal.geojson --control {dir}/barrier-control.geojson --cell 200";

fn guarded_cases() -> Vec<Guarded> {
    let write_to = |name: &'static str, body: Vec<u8>| move |d: &Path| std::fs::write(d.join(name), &body).unwrap();
    let constraints = |body: &'static str| write_to("c.toml", body.as_bytes().to_vec());
    vec![
        // 1. Inputs are never overwritten, even with --force.
        case("--geojson onto --legal-lines", "village Voskepar --legal-lines {dir}/legal-lines.geojson --geojson {dir}/legal-lines.geojson --force", &["legal-lines.geojson", "one of the inputs", "even with --force"]),
        case("corridor measure -o onto --legal-lines", "corridor measure --legal-lines {dir}/legal-lines.geojson -o {dir}/legal-lines.geojson --force", &["legal-lines.geojson", "one of the inputs"]),
        case("report -o onto --legal-lines", "report --legal-lines {dir}/legal-lines.geojson -o {dir}/legal-lines.geojson --force", &["legal-lines.geojson", "one of the inputs"]),
        case("corridor route -o onto --legal", &format!("{BARRIER} -o {{dir}}/barrier-legal.geojson --force"), &["barrier-legal.geojson", "one of the inputs"]),
        case("qgis --gpkg onto --frame", "qgis --legal-lines {dir}/legal-lines.geojson --frame {dir}/frame.gpkg --gpkg {dir}/frame.gpkg --project {dir}/p.qgs --force --no-routes", &["frame.gpkg", "one of the inputs"])
            .with(|d| ogr2ogr(d, &["frame.gpkg", "legal.geojson"])),
        case("corridor measure -o onto the constraints' [protected] file", "corridor measure --constraints {dir}/c.toml -o {dir}/protected.geojson --force", &["protected.geojson", "one of the inputs"])
            .with(|d| {
                std::fs::write(d.join("c.toml"), "transit_state = \"ARM\"\n[protected]\nfile = \"protected.geojson\"\n").unwrap();
                std::fs::write(d.join("protected.geojson"), r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"name":"p"},"geometry":{"type":"LineString","coordinates":[[46.0,39.0],[46.1,39.1]]}}]}"#).unwrap();
            }),
        case("-o x.shp onto an input x.dbf read with --format", "gaps --legal {dir}/in.dbf --format shp -o {dir}/in.shp --force", &["in.shp", "one of the inputs"])
            .with(|d| ogr2ogr(d, &["in.shp", "legal.geojson"])),
        case("-o onto a shapefile input through its sidecar name", "gaps --legal {dir}/in.shp -o {dir}/in.dbf --output-format geojson --force", &["in.dbf", "one of the inputs"])
            .with(|d| ogr2ogr(d, &["in.shp", "legal.geojson"])),
        case("-o through a symlink to an input", "gaps --legal {dir}/legal.geojson -o {dir}/link.geojson --force", &["link.geojson", "one of the inputs"])
            .with(|d| std::os::unix::fs::symlink(d.join("legal.geojson"), d.join("link.geojson")).unwrap()),
        case("-o onto a hard link of an input", "gaps --legal {dir}/legal.geojson -o {dir}/hard.geojson --force", &["hard.geojson", "one of the inputs"])
            .with(|d| std::fs::hard_link(d.join("legal.geojson"), d.join("hard.geojson")).unwrap()),
        case("--cost-out onto an input", &format!("{BARRIER} --cost-out {{dir}}/barrier-control.geojson --force"), &["barrier-control.geojson", "one of the inputs"]),
        // 2. report and qgis read --legal-lines and --frame.
        case("report --legal-lines that does not exist", "report -o {dir}/r.html --legal-lines {dir}/nonexistent.geojson", &["nonexistent.geojson"]),
        case("qgis --frame that does not exist (no folder left)", "qgis -o {dir}/q --legal-lines {dir}/legal-lines.geojson --frame {dir}/nonexistent.geojson", &["nonexistent.geojson"]),
        // 4. Options that size the work are bounded.
        case("lines --step 1e-300", "lines --step 1e-300 -o {dir}/l.geojson", &["--step", "1e-300", "stations", "limit of 2 GiB", "--max-memory"]),
        case("lines --step 0.01", "lines --step 0.01", &["--step 0.01 m", "stations"]),
        case("report --step 0.01", "report -o {dir}/r.html --step 0.01", &["--step 0.01 m"]),
        case("qgis --step 0.01 (no folder left)", "qgis -o {dir}/q --step 0.01", &["--step 0.01 m"]),
        case("--max-memory 1M makes the default step too fine", "lines --max-memory 1M", &["--step 100 m", "limit of 1 MiB"]),
        case("corridor route --alternatives 100000", &format!("{BARRIER} --alternatives 100000"), &["--alternatives", "1..=100"]),
        case("corridor route --cell 0.01", &format!("{BARRIER} -o {{dir}}/r.geojson").replace("--cell 200", "--cell 0.01"), &["--cell", "grid cells"]),
        case("corridor route --margin-km 100000", &format!("{BARRIER} --margin-km 100000"), &["--margin-km", "grid cells"]),
        case("--max-memory that is not a size", "gaps --max-memory lots", &["--max-memory", "not a size"]),
        // 5. Special files are never replaced.
        // Through a link in the case's folder, never /dev/null itself: a
        // broken build run as root (DELIMIT_TEST_BIN) would replace the
        // machine's /dev/null; here it replaces only the link.
        case("report -o a link to /dev/null --force", "report -o {dir}/devnull --force", &["devnull", "character device"])
            .with(|d| std::os::unix::fs::symlink("/dev/null", d.join("devnull")).unwrap()),
        case("report -o a link to /proc/self/fd/1", "report -o {dir}/fd1 --force", &["fd1", "not a file"])
            .with(|d| std::os::unix::fs::symlink("/proc/self/fd/1", d.join("fd1")).unwrap()),
        case("report -o a FIFO", "report -o {dir}/fifo --force", &["fifo", "FIFO"]).with(|d| mkfifo(&d.join("fifo"))),
        case("gaps -o a folder", "gaps -o {dir}/sub.geojson --force", &["sub.geojson", "folder"])
            .with(|d| std::fs::create_dir(d.join("sub.geojson")).unwrap()),
        case("gaps -o into a GDAL virtual path", "gaps -o /vsizip/{dir}/x.zip/g.geojson", &["-o", "virtual path"]),
        // 9. Existing sidecars need --force.
        case("-o out.shp over an existing out.dbf", "gaps -o {dir}/out.shp", &["out.dbf", "already exists", "--force"])
            .with(write_to("out.dbf", b"someone's table".to_vec())),
        // 7 and 8. Party codes and terminal injection.
        case("an owner with ESC sequences", "gaps --legal {dir}/bad.geojson", &["bad.geojson", "feature 1", "owner", "control"])
            .with(write_to("bad.geojson", legal_with_owner("A\u{1b}]0;pwned\u{7}\u{1b}[2J"))),
        case("an owner with a fake hint line", "gaps --legal {dir}/bad.geojson", &["bad.geojson", "owner", "\\n"])
            .with(write_to("bad.geojson", legal_with_owner("A\nhint: all is well\r"))),
        case("an owner with U+202E", "gaps --legal {dir}/bad.geojson", &["bad.geojson", "owner", "bidirectional"])
            .with(write_to("bad.geojson", legal_with_owner("\u{202e}MRA"))),
        case("an owner with NUL", "gaps --legal {dir}/bad.geojson -o {dir}/g.gpkg", &["bad.geojson", "owner"])
            .with(write_to("bad.geojson", legal_with_owner("A\u{0}B"))),
        case("an owner with |", "gaps --legal {dir}/bad.geojson", &["bad.geojson", "owner", "`|`", "A|B"])
            .with(write_to("bad.geojson", legal_with_owner("A|B"))),
        case("a whitespace-only controller", "gaps --control {dir}/bad.geojson", &["bad.geojson", "controller", "whitespace"])
            .with(write_to("bad.geojson", legal_with_owner("   "))),
        case("a field name with ESC", "gaps --owner-field own\u{1b}[31mer", &["legal key", "--owner-field"]),
        // 11. Reads that never lie.
        case("a FIFO no process writes to", "gaps --legal {dir}/fifo.geojson", &["fifo.geojson", "pipe", "gave no data"]).with(|d| mkfifo(&d.join("fifo.geojson"))),
        case("a GeoPackage from a pipe", "gaps --legal /dev/stdin --format gpkg", &["/dev/stdin"]),
        case("a /vsicurl/ DEM", "corridor measure --dem /vsicurl/http://127.0.0.1:9/dem.tif", &["/vsicurl/", "network"]),
        case("a /vsicurl/ legal layer", "gaps --legal /vsicurl/http://127.0.0.1:9/legal.geojson", &["network"]),
        case("an https:// legal layer", "gaps --legal https://127.0.0.1:9/legal.geojson", &["network"]),
        case("a lone surrogate in a name", "gaps --legal {dir}/bad.geojson", &["bad.geojson", "lone UTF-16 surrogate"])
            .with(write_to("bad.geojson", br#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"owner":"A\ud800"},"geometry":null}]}"#.to_vec())),
        case("a polygon across the antimeridian", "gaps --legal {dir}/am.geojson --control {dir}/am.geojson", &["am.geojson", "antimeridian", "-wrapdateline"])
            .with(write_to("am.geojson", fc(&[rect_feature(r#"{"owner":"FJI","controller":"FJI"}"#, [179.5, -17.0, -179.5, -16.0])]).into_bytes())),
        case("--repair given, and the hint no longer says to pass it", "gaps --legal {dir}/deg.geojson --control {dir}/deg.geojson --repair", &["deg.geojson", "could not mend", "Fix Geometries"])
            .with(write_to("deg.geojson", fc(&[
                r#"{"type":"Feature","properties":{"owner":"AAA","controller":"AAA"},"geometry":{"type":"Polygon","coordinates":[[[45,40],[45.1,40],[45,40]]]}}"#.to_string(),
                rect_feature(r#"{"owner":"BBB","controller":"BBB"}"#, [45.0, 40.0, 45.1, 40.1]),
            ]).into_bytes())),
        // Constraints are validated in full.
        case("constraints with a NaN limit", "corridor measure --constraints {dir}/c.toml", &["c.toml", "line 2", "max_km_outside_legal", "finite"])
            .with(constraints("transit_state = \"ARM\"\nmax_km_outside_legal = nan\n")),
        case("constraints with an infinite radius", "corridor measure --constraints {dir}/c.toml", &["c.toml", "line 6", "radius_m"])
            .with(constraints("transit_state = \"ARM\"\n[[checkpoint]]\nname = \"x\"\nlon = 46.0\nlat = 39.0\nradius_m = inf\n")),
        case("constraints with an empty transit state", "corridor measure --constraints {dir}/c.toml", &["c.toml", "line 1", "transit_state"])
            .with(constraints("transit_state = \"\"\n")),
        case("constraints with a boundary without |", "corridor measure --constraints {dir}/c.toml", &["c.toml", "line 3", "boundary", "ARM|IRN"])
            .with(constraints("transit_state = \"ARM\"\n[[clearance]]\nboundary = \"ARMIRN\"\nmin_m = 100\n")),
        case("constraints naming a transit state not in the legal layer", "corridor measure --constraints {dir}/c.toml", &["c.toml", "XYZ", "not an owner", "ARM"])
            .with(constraints("transit_state = \"XYZ\"\n")),
        // corridor route with no route: an error, and nothing written.
        case("corridor route with no route", &format!("{BARRIER} -o {{dir}}/r.geojson --cost-out {{dir}}/c.tif").replace("40.0,45.25", "40.0,45.6"), &["no route", "nothing was written"]).exit(1),
    ]
}

#[test]
fn every_guarded_case_exits_cleanly_and_leaves_the_folder_as_it_was() {
    let mut failures = Vec::new();
    let cases = guarded_cases();
    assert!(cases.len() >= 30, "the issue asks for at least 30 cases");
    for c in cases {
        let dir = tempfile::tempdir().unwrap();
        sample_into(dir.path());
        (c.setup)(dir.path());
        let before = snapshot(dir.path());
        let d = dir.path().display().to_string();
        let args: Vec<String> = c.args.iter().map(|a| a.replace("{dir}", &d)).collect();
        let o = delimit()
            .current_dir(dir.path())
            .args(&args)
            .timeout(std::time::Duration::from_secs(120))
            .output()
            .unwrap();
        let r = crate::util::Run {
            // Killed by a signal or the timeout: no exit code at all.
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        };
        let mut why = error_problems(&r, c.code, c.expect);
        if !terminal_safe(&r.stderr) {
            why.push(format!("stderr is not terminal-safe: {:?}", r.stderr));
        }
        if r.stderr.lines().filter(|l| l.starts_with("hint:")).count() > 1 {
            why.push("more than one hint: line".into());
        }
        if r.stderr.contains(".delimit-tmp") {
            why.push("stderr names a temporary path".into());
        }
        let after = snapshot(dir.path());
        if after != before {
            let changed: Vec<&String> =
                after.keys().chain(before.keys()).filter(|k| after.get(*k) != before.get(*k)).collect();
            why.push(format!("the folder changed: {changed:?}"));
        }
        if !why.is_empty() {
            failures.push(format!("{}: {}\n    stderr: {}", c.name, why.join("; "), r.stderr.trim()));
        }
    }
    assert!(failures.is_empty(), "{} case(s) failed:\n{}", failures.len(), failures.join("\n"));
}

/// Defect 3: a GeoPackage with a corrupted page is an error naming the
/// layer and the feature, wherever the page is; it used to give 8 of 9
/// units (exit 0), or "no features".
#[test]
fn a_corrupted_geopackage_page_is_an_error_not_a_smaller_layer() {
    let dir = tempfile::tempdir().unwrap();
    let feats: Vec<String> = (0..9)
        .map(|i| {
            let props = format!(r#"{{"owner":"P{i}","controller":"P{i}","tag":"FEATURE-{i:04}{}"}}"#, "x".repeat(3000));
            square_feature(&props, 45.0 + i as f64 * 0.1, 40.0, 0.1)
        })
        .collect();
    write(dir.path(), "nine.geojson", fc(&feats));
    ogr2ogr(dir.path(), &["nine.gpkg", "nine.geojson"]);
    let bytes = std::fs::read(dir.path().join("nine.gpkg")).unwrap();
    for (tag, feature) in [("FEATURE-0008", "feature 9"), ("FEATURE-0000", "feature 1")] {
        let at = bytes.windows(tag.len()).position(|w| w == tag.as_bytes()).unwrap();
        // SQLite's default page: 4,096 bytes. Overwrite the one holding the feature.
        let page = at / 4096 * 4096;
        let mut broken = bytes.clone();
        broken[page..page + 4096].fill(0xff);
        let p = write(dir.path(), "broken.gpkg", &broken);
        let r = run(delimit().arg("gaps").arg("--legal").arg(&p).arg("--control").arg(&p));
        assert_eq!(r.code, 2, "{tag}: {}", r.stderr);
        assert!(r.stderr.starts_with("error: ") && r.stderr.contains("broken.gpkg"), "{}", r.stderr);
        assert!(r.stderr.contains("layer `nine`") && r.stderr.contains(feature), "{}", r.stderr);
        assert!(r.stdout.is_empty());
    }
}

/// Defect 11: process substitution and a file that starts with a BOM are
/// read as the file itself (same rows).
#[test]
fn a_pipe_and_a_bom_read_like_the_file() {
    let dir = tempfile::tempdir().unwrap();
    sample_into(dir.path());
    let mut bom = b"\xef\xbb\xbf".to_vec();
    bom.extend(std::fs::read(dir.path().join("legal.geojson")).unwrap());
    write(dir.path(), "bom.geojson", bom);
    let rows = |legal: &str| -> Value {
        let o = std::process::Command::new("bash")
            .current_dir(dir.path())
            .arg("-c")
            .arg(format!("\"$0\" gaps --json --legal {legal} --control control.geojson"))
            .arg(assert_cmd::cargo::cargo_bin("delimit"))
            .output()
            .unwrap();
        assert!(o.status.success(), "{legal}: {}", String::from_utf8_lossy(&o.stderr));
        serde_json::from_slice::<Value>(&o.stdout).unwrap()["summary"].clone()
    };
    let file = rows("legal.geojson");
    assert_eq!(rows("<(cat legal.geojson)"), file);
    assert_eq!(rows("bom.geojson"), file);
    assert!(!file.is_null() && file.to_string().contains("held_by_other"), "{file}");
}

/// Defect 11: reading through /vsigzip/ writes nothing beside the input.
#[test]
fn reading_a_gzip_writes_nothing_beside_it() {
    let dir = tempfile::tempdir().unwrap();
    let gz = dir.path().join("legal.geojson.gz");
    {
        let o = std::process::Command::new("gzip")
            .args(["-c"])
            .arg(crate::util::root().join("data/legal.geojson"))
            .output()
            .unwrap();
        std::fs::write(&gz, o.stdout).unwrap();
    }
    let before = listing(dir.path());
    let r = run(delimit().arg("check").arg("--role").arg("legal").arg(format!("/vsigzip/{}", gz.display())));
    assert!(r.code == 0 || r.code == 1, "{}", r.stderr);
    assert!(r.stdout.contains("9 features") || r.stdout.contains("features"), "{}", r.stdout);
    assert_eq!(listing(dir.path()), before, "a .gz.properties (or other file) appeared");
}

/// Defect 10: names from the inputs stay text in the Markdown report.
#[test]
fn markdown_escapes_html_links_and_table_cells() {
    let dir = tempfile::tempdir().unwrap();
    let evil = r#"<img src=x onerror=alert(1)> [click](javascript:alert(1)) a|b \"#;
    let legal = fc(&[
        rect_feature(&serde_json::json!({"owner":"AAA","name": evil}).to_string(), [45.0, 40.0, 45.1, 40.1]),
        rect_feature(&serde_json::json!({"owner":"BBB","name":"b"}).to_string(), [45.1, 40.0, 45.2, 40.1]),
        rect_feature(&serde_json::json!({"owner":"AAA","name":"main"}).to_string(), [45.2, 40.0, 45.6, 40.1]),
    ]);
    let control = fc(&[rect_feature(r#"{"controller":"BBB"}"#, [45.0, 40.0, 45.6, 40.1])]);
    write(dir.path(), "legal.geojson", legal);
    write(dir.path(), "control.geojson", control);
    let r = run(delimit().current_dir(dir.path()).args([
        "report",
        "--format",
        "md",
        "-o",
        "r.md",
        "--legal",
        "legal.geojson",
        "--control",
        "control.geojson",
        "--no-routes",
    ]));
    assert!(r.code == 0 || r.code == 1, "{}", r.stderr);
    let md = std::fs::read_to_string(dir.path().join("r.md")).unwrap();
    assert!(md.contains(r"\<img src=x onerror=alert(1)\> \[click\](javascript:alert(1)) a\|b \\"), "{md}");
    // No `<` or `[` from the name is left unescaped.
    for (i, c) in md.char_indices().filter(|(_, c)| matches!(c, '<' | '[')) {
        assert!(md[..i].ends_with('\\'), "unescaped {c} at byte {i}: {md}");
    }
    // Every table row has as many cells as its header.
    for table in md.split("\n\n").filter(|b| b.starts_with('|')) {
        let cells = |l: &str| l.replace(r"\\", "").replace(r"\|", "").matches('|').count();
        let mut lines = table.lines();
        let n = cells(lines.next().unwrap());
        for l in lines {
            assert_eq!(cells(l), n, "row {l:?} in\n{table}");
        }
    }
}

/// Defect 7: a unit name with ESC and bidi controls is escaped in text on
/// stdout, and kept exactly in --json.
#[test]
fn names_are_escaped_on_the_terminal_and_exact_in_json() {
    let dir = tempfile::tempdir().unwrap();
    let name = "Evil\u{1b}[2J\u{202e}town";
    let props = serde_json::json!({"owner": "AAA", "controller": "AAA", "name": name}).to_string();
    write(dir.path(), "legal.geojson", fc(&[rect_feature(&props, [45.0, 40.0, 45.1, 40.1])]));
    let args = ["village", "--at", "40.05,45.05", "--legal", "legal.geojson", "--control", "legal.geojson"];
    let text = run(delimit().current_dir(dir.path()).args(args));
    assert!(text.code == 0 || text.code == 1, "{}", text.stderr);
    assert!(terminal_safe(&text.stdout) && terminal_safe(&text.stderr), "{:?}", text.stdout);
    assert!(text.stdout.contains(r"Evil\u{1b}[2J\u{202e}town"), "{}", text.stdout);
    let json = run(delimit().current_dir(dir.path()).args(args).arg("--json"));
    assert!(json.stdout.contains(r"Evil\u001b[2J"), "{}", json.stdout);
    assert!(json.stdout.contains('\u{202e}'), "JSON keeps the exact text");
}

/// `check` reports a ring across the antimeridian; other commands refuse it.
#[test]
fn check_reports_a_ring_across_the_antimeridian() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "am.geojson", fc(&[rect_feature(r#"{"owner":"FJI"}"#, [179.5, -17.0, -179.5, -16.0])]));
    let r = run(delimit().args(["check", "--role", "legal", "--json"]).arg(&p));
    assert_eq!(r.code, 1, "{}", r.stderr);
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    let codes: Vec<&str> = v["problems"].as_array().unwrap().iter().filter_map(|p| p["code"].as_str()).collect();
    assert!(codes.contains(&"antimeridian"), "{codes:?}");
}

/// SIGINT and SIGTERM mid-write leave the previous output as it was and no
/// temporary file or folder behind; the exit code is 128 + the signal.
#[test]
fn a_signal_mid_write_leaves_the_previous_output_and_no_temporaries() {
    let bin = assert_cmd::cargo::cargo_bin("delimit");
    let dir = tempfile::tempdir().unwrap();
    sample_into(dir.path());
    std::fs::copy(crate::util::root().join("data/control-osm2024.geojson"), dir.path().join("osm.geojson")).unwrap();
    let runs: [(&str, Vec<&str>); 2] = [
        ("q", vec!["qgis", "-o", "q", "--force"]),
        ("big.gpkg", vec!["gaps", "--all", "--control", "osm.geojson", "-o", "big.gpkg", "--force"]),
    ];
    for (target, args) in &runs {
        // The previous output.
        let first = std::process::Command::new(&bin).current_dir(dir.path()).args(args).output().unwrap();
        assert!(first.status.code().is_some_and(|c| c <= 1), "{}", String::from_utf8_lossy(&first.stderr));
        for sig in [libc::SIGINT, libc::SIGTERM] {
            let before = snapshot(dir.path());
            let mut child = std::process::Command::new(&bin)
                .current_dir(dir.path())
                .args(args)
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .unwrap();
            // Wait until the write has begun: a temporary folder exists.
            let folder = if *target == "q" { dir.path().join("q") } else { dir.path().to_path_buf() };
            let started = std::time::Instant::now();
            let mid_write = loop {
                if listing(&folder).iter().any(|n| n.starts_with(".delimit-tmp-")) {
                    break true;
                }
                if child.try_wait().unwrap().is_some() || started.elapsed().as_secs() > 120 {
                    break false;
                }
                std::thread::sleep(std::time::Duration::from_millis(1));
            };
            assert!(mid_write, "{target}: the run ended before its write could be interrupted");
            // SAFETY: a plain kill(2) of our own child.
            unsafe { libc::kill(child.id() as i32, sig) };
            let status = child.wait().unwrap();
            assert_eq!(status.code(), Some(128 + sig), "{target}: {status:?}");
            let after = snapshot(dir.path());
            assert_eq!(after, before, "{target}, signal {sig}: the folder changed");
        }
    }
}

/// A loopback HTTP server that counts the connections it accepts and
/// answers each with the same GeoJSON (or 404): what a fetch would see.
fn counting_server(body: &'static str) -> (u16, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::io::Read;
    use std::sync::atomic::Ordering;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let count = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let seen = count.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { continue };
            seen.fetch_add(1, Ordering::SeqCst);
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf);
            let _ = write!(
                s,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    (port, count)
}

/// Issue 31 §12: a VRT whose source is on the network is refused before
/// GDAL opens it, however the URL is spelled, and nested VRTs too; the
/// server sees no request. (Before: 6 requests, exit 0.)
#[test]
fn a_vrt_pointing_at_the_network_makes_no_request() {
    let (port, count) = counting_server(r#"{"type":"FeatureCollection","features":[]}"#);
    let dir = tempfile::tempdir().unwrap();
    let vector = |src: &str| {
        format!(
            "<OGRVRTDataSource><OGRVRTLayer name=\"legal\"><SrcDataSource>{src}</SrcDataSource><SrcLayer>legal</SrcLayer></OGRVRTLayer></OGRVRTDataSource>"
        )
    };
    let url = format!("http://127.0.0.1:{port}/legal.geojson");
    write(dir.path(), "plain.vrt", vector(&url));
    write(dir.path(), "entity.vrt", vector(&url.replacen('h', "&#104;", 1)));
    write(dir.path(), "curl.vrt", vector(&format!("/vsicurl/{url}.delimit-no-network")));
    write(
        dir.path(),
        "outer.vrt",
        "<OGRVRTDataSource><OGRVRTLayer name=\"legal\"><SrcDataSource relativeToVRT=\"1\">plain.vrt</SrcDataSource></OGRVRTLayer></OGRVRTDataSource>",
    );
    write(
        dir.path(),
        "dem.vrt",
        format!(
            "<VRTDataset rasterXSize=\"10\" rasterYSize=\"10\"><VRTRasterBand dataType=\"Float32\" band=\"1\"><SimpleSource><SourceFilename relativeToVRT=\"0\">/vsicurl/{url}</SourceFilename></SimpleSource></VRTRasterBand></VRTDataset>"
        ),
    );
    for name in ["plain.vrt", "entity.vrt", "curl.vrt", "outer.vrt"] {
        let r = run(delimit()
            .current_dir(dir.path())
            .args(["gaps", "--legal", name, "--format", "OGR_VRT"])
            .env("NO_PROXY", "*"));
        assert_eq!(r.code, 2, "{name}: {}", r.stderr);
        assert!(r.stderr.contains("network source"), "{name}: {}", r.stderr);
    }
    let r = run(delimit().current_dir(dir.path()).args(["corridor", "measure", "--dem", "dem.vrt"]));
    assert_eq!(r.code, 2, "dem: {}", r.stderr);
    assert!(r.stderr.contains("network source"), "dem: {}", r.stderr);
    assert_eq!(count.load(std::sync::atomic::Ordering::SeqCst), 0, "requests reached the server");
}

/// Issue 31 §12: whatever else asks GDAL for a URL (a driver's own fetch,
/// a `/vsicurl/` name with the allowed extension), GDAL goes through a
/// proxy that refuses: the server sees no request.
#[test]
fn gdal_fetches_nothing_once_delimit_has_set_it_up() {
    let (port, count) = counting_server(r#"{"type":"FeatureCollection","features":[]}"#);
    delimit::io::gdal_init();
    for url in
        [format!("/vsicurl/http://127.0.0.1:{port}/x.delimit-no-network"), format!("http://127.0.0.1:{port}/x.geojson")]
    {
        assert!(gdal::Dataset::open(&url).is_err(), "{url} opened");
    }
    assert_eq!(count.load(std::sync::atomic::Ordering::SeqCst), 0, "requests reached the server");
}

/// Issue 31 §12: the provenance hash of a VRT covers the files it names,
/// so it changes when they do.
#[test]
fn a_vrts_hash_changes_with_its_source() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(crate::util::root().join("data/legal.geojson"), dir.path().join("legal.geojson")).unwrap();
    write(
        dir.path(),
        "legal.vrt",
        "<OGRVRTDataSource><OGRVRTLayer name=\"legal\"><SrcDataSource relativeToVRT=\"1\">legal.geojson</SrcDataSource><SrcLayer>legal</SrcLayer></OGRVRTLayer></OGRVRTDataSource>",
    );
    let hash = || {
        let r = run(delimit().current_dir(dir.path()).args([
            "gaps",
            "--legal",
            "legal.vrt",
            "--format",
            "OGR_VRT",
            "--json",
        ]));
        assert_eq!(r.code, 0, "{}", r.stderr);
        let v: Value = serde_json::from_str(&r.stdout).unwrap();
        let inputs = v["provenance"]["inputs"].as_array().cloned().unwrap_or_default();
        inputs
            .iter()
            .find(|i| i["path"].as_str().is_some_and(|p| p.ends_with("legal.vrt")))
            .map(|i| i["sha256"].clone())
            .unwrap()
    };
    let before = hash();
    let text = std::fs::read_to_string(dir.path().join("legal.geojson")).unwrap();
    std::fs::write(dir.path().join("legal.geojson"), text.replacen("\"ARM\"", "\"ARM\" ", 1)).unwrap();
    assert_ne!(before, hash(), "the hash did not follow the VRT's source");
}

/// Issue 31 §2: a write that runs out of room exits 1, names the target
/// and the OS cause, and places nothing, in every output format. Before,
/// FlatGeobuf, KML and GML were cut short with exit 0, and the rest failed
/// with exit 2 and "error: '6'". Past `ulimit -f` (SIGXFSZ killed the run
/// with no message) always; on a full 512 KiB tmpfs too when run as root,
/// as CI is.
#[test]
fn a_write_that_runs_out_of_room_fails_and_places_nothing() {
    let bin = match std::env::var_os("DELIMIT_TEST_BIN") {
        Some(b) => PathBuf::from(b),
        None => PathBuf::from(env!("CARGO_BIN_EXE_delimit")),
    };
    let exts = ["fgb", "kml", "gml", "gpkg", "shp", "csv", "geojson"];
    // `shown` is the target as given on the command line.
    let check = |dir: &Path, shown: &Path, r: &crate::util::Run, how: &str| {
        assert_eq!(r.code, 1, "{how} {}: {}", shown.display(), r.stderr);
        assert!(r.stderr.starts_with(&format!("error: cannot write {}", shown.display())), "{how}: {}", r.stderr);
        assert!(r.stderr.contains("\ncause: "), "{how} {}: {}", shown.display(), r.stderr);
        assert_eq!(listing(dir), Vec::<String>::new(), "{how} {}: files left", shown.display());
    };
    // A file size limit of 100 KiB: the pieces of `--all` need about 560 KiB.
    let dir = tempfile::tempdir().unwrap();
    for ext in exts {
        let r = run(assert_cmd::Command::new("sh")
            .current_dir(dir.path())
            .arg("-c")
            .arg(format!("ulimit -f 100; exec \"$0\" gaps --all -o g.{ext}"))
            .arg(&bin));
        check(dir.path(), Path::new(&format!("g.{ext}")), &r, "ulimit -f");
    }
    // A full file system.
    let mnt = tempfile::tempdir().unwrap();
    let mounted = unsafe { libc::geteuid() } == 0
        && std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=512k", "tmpfs"])
            .arg(mnt.path())
            .status()
            .is_ok_and(|s| s.success());
    if !mounted {
        eprintln!("SKIPPED the full-disk half: not root, or tmpfs could not be mounted (the ulimit half ran)");
        return;
    }
    struct Unmount<'a>(&'a Path);
    impl Drop for Unmount<'_> {
        fn drop(&mut self) {
            let _ = std::process::Command::new("umount").arg(self.0).status();
        }
    }
    let _unmount = Unmount(mnt.path());
    for ext in exts {
        let target = mnt.path().join(format!("g.{ext}"));
        let r = run(delimit().args(["gaps", "--all", "-o"]).arg(&target));
        check(mnt.path(), &target, &r, "tmpfs");
        assert!(
            r.stderr.contains("No space left on device") || r.stderr.contains("disk is full"),
            "tmpfs .{ext}: {}",
            r.stderr
        );
    }
    let r = run(delimit().args(["qgis", "-o"]).arg(mnt.path().join("project")));
    assert_eq!(r.code, 1, "qgis: {}", r.stderr);
    assert_eq!(listing(mnt.path()), Vec::<String>::new(), "qgis: files left");
}

/// Issue 31 §15: a text cell that a spreadsheet would run as a formula
/// gets a leading `'` in CSV outputs (before: `=HYPERLINK(…)` reached the
/// cell as it was), and `--csv-raw` writes it as it is.
#[test]
fn csv_cells_never_start_a_formula_unless_asked() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(crate::util::root().join("data/legal.geojson")).unwrap();
    let evil = r#"=HYPERLINK(\"http://example.org/x\",\"open\")"#;
    let text = text.replacen("\"ARM-artsvashen-exclave\"", &format!("\"{evil}\""), 1);
    assert!(text.contains("HYPERLINK"));
    let legal = write(dir.path(), "legal.geojson", text);
    let cells = |args: &[&str], out: &str| -> Vec<String> {
        let r = run(delimit()
            .current_dir(dir.path())
            .args(["gaps", "--all", "--no-settlements", "--legal"])
            .arg(&legal)
            .args(args)
            .args(["-o", out]));
        assert_eq!(r.code, 0, "{}", r.stderr);
        let mut rdr = csv::Reader::from_path(dir.path().join(out)).unwrap();
        rdr.records().flat_map(|r| r.unwrap().iter().map(str::to_string).collect::<Vec<_>>()).collect()
    };
    let safe = cells(&[], "safe.csv");
    assert!(safe.iter().any(|c| c.starts_with("'=HYPERLINK")), "the unit's pieces are written");
    let bad: Vec<&String> = safe
        .iter()
        .filter(|c| {
            c.starts_with(['=', '+', '@']) || (c.starts_with('-') && c.as_str() != "-" && c.parse::<f64>().is_err())
        })
        .collect();
    assert!(bad.is_empty(), "{bad:?}");
    let raw = cells(&["--csv-raw"], "raw.csv");
    assert!(raw.iter().any(|c| c.starts_with("=HYPERLINK")), "--csv-raw writes cells as they are");
}

/// Issue 31 §13: a database server that accepts the connection and never
/// answers fails the run after the connect timeout (PGCONNECT_TIMEOUT,
/// 10 s unless set), as input and as output, and an output is checked
/// before the work. Before, both hung.
#[test]
fn a_silent_database_server_times_out_as_input_and_as_output() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for s in listener.incoming() {
            held.push(s); // accepted, never answered
        }
    });
    let pg = format!("PG:host=127.0.0.1 port={port} dbname=x user=u password=hunter2");
    // The default (10 s) once; then 2 s, as the user may set it.
    for (args, timeout) in [
        (vec!["gaps", "--legal", pg.as_str()], None),
        (vec!["gaps", "--legal", pg.as_str()], Some("2")),
        (vec!["gaps", "-o", pg.as_str()], Some("2")),
    ] {
        let t = std::time::Instant::now();
        let mut cmd = delimit();
        cmd.args(&args).timeout(std::time::Duration::from_secs(60));
        match timeout {
            Some(s) => cmd.env("PGCONNECT_TIMEOUT", s),
            None => cmd.env_remove("PGCONNECT_TIMEOUT"),
        };
        let r = run(&mut cmd);
        let took = t.elapsed();
        assert_eq!(r.code, 2, "{args:?}: {}", r.stderr);
        assert!(took.as_secs() < 30, "{args:?} took {took:?}");
        assert!(!r.stdout.contains("conservation"), "{args:?}: the work ran before the output was checked");
        assert!(!r.stderr.contains("hunter2") && !r.stdout.contains("hunter2"), "{args:?}: {}", r.stderr);
    }
}

/// Issue 31 §19: QGIS's `layer_styles` table is never a data layer, in any
/// case (SQLite names are case-insensitive). Before, a package of styles
/// only said "holds 1 layers (layer_styles); choose one", and
/// `LAYER_STYLES` beside one data layer made the package ambiguous.
#[test]
fn layer_styles_is_not_a_data_layer_in_any_case() {
    crate::util::require_tool("ogr2ogr");
    let dir = tempfile::tempdir().unwrap();
    let legal = crate::util::root().join("data/legal.geojson");
    let ogr = |args: &[&str]| {
        let ok = std::process::Command::new("ogr2ogr").current_dir(dir.path()).args(args).status().unwrap();
        assert!(ok.success(), "{args:?}");
    };
    let l = legal.to_str().unwrap();
    ogr(&["-f", "GPKG", "styles.gpkg", l, "-nln", "layer_styles"]);
    ogr(&["-f", "GPKG", "both.gpkg", l, "-nln", "LAYER_STYLES"]);
    ogr(&["-update", "both.gpkg", l, "-nln", "units"]);
    let r = run(delimit().current_dir(dir.path()).args(["gaps", "--no-settlements", "--legal", "styles.gpkg"]));
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("layer_styles table") && !r.stderr.contains("choose one"), "{}", r.stderr);
    let r = run(delimit().current_dir(dir.path()).args(["gaps", "--no-settlements", "--legal", "both.gpkg"]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("9 units"), "{}", r.stdout);
}
