//! The malformed-input corpus: every case must give a clear `error:` message
//! naming what is wrong, exit code 2, no panic, and leave no output behind.

use std::path::Path;

use crate::util::{delimit, listing, run};

const SQUARE: &str = "[[[45,40],[45.1,40],[45.1,40.1],[45,40.1],[45,40]]]";

fn fc(features: &str) -> String {
    format!(r#"{{"type":"FeatureCollection","features":[{features}]}}"#)
}

fn feature(props: &str, geometry: &str) -> String {
    format!(r#"{{"type":"Feature","properties":{props},"geometry":{geometry}}}"#)
}

fn poly(coords: &str) -> String {
    format!(r#"{{"type":"Polygon","coordinates":{coords}}}"#)
}

struct Case {
    name: &'static str,
    file: &'static str,
    bytes: Vec<u8>,
    /// Extra arguments; `{dir}` becomes the case's folder.
    args: &'static [&'static str],
    /// Every one of these must appear in stderr.
    expect: &'static [&'static str],
}

fn cases() -> Vec<Case> {
    let ok = fc(&feature(r#"{"owner":"AAA"}"#, &poly(SQUARE))).into_bytes();
    let mut big = String::from(r#"{"type":"FeatureCollection","features":["#);
    let f = feature(r#"{"owner":"AAA"}"#, &poly(SQUARE));
    while big.len() < 10 * 1024 * 1024 {
        big.push_str(&f);
        big.push(',');
    }
    // Cut mid-feature: a 10 MB single line that ends too early.
    big.truncate(10 * 1024 * 1024);
    let mut latin1 = fc(&feature(r#"{"owner":"AAA","name":"Ba#kend"}"#, &poly(SQUARE))).into_bytes();
    let hash = latin1.iter().position(|&b| b == b'#').unwrap();
    latin1[hash] = 0xFE; // CP1251/latin-1 byte: not UTF-8

    vec![
        Case { name: "truncated JSON", file: "legal.geojson", bytes: ok[..ok.len() - 20].to_vec(), args: &[], expect: &["not valid JSON at line 1", "hint: the file ends too early"] },
        Case { name: "wrong top-level type", file: "legal.geojson", bytes: br#"{"type":"FeatureCollectio","features":[]}"#.to_vec(), args: &[], expect: &["unknown top-level type `FeatureCollectio`"] },
        Case { name: "polygon nested one level short", file: "legal.geojson", bytes: fc(&feature(r#"{"owner":"AAA"}"#, &poly("[[45,40],[45.1,40],[45.1,40.1],[45,40]]"))).into_bytes(), args: &[], expect: &["feature #1", "Polygon coordinates are nested 2 deep", "hint: one level of brackets is missing"] },
        Case { name: "empty FeatureCollection", file: "legal.geojson", bytes: fc("").into_bytes(), args: &[], expect: &["has no features"] },
        Case { name: "missing owner field", file: "legal.geojson", bytes: fc(&feature(r#"{"ISO_A3":"AAA","name":"x"}"#, &poly(SQUARE))).into_bytes(), args: &[], expect: &["field `owner` (legal key) not found", "hint: the file has: ISO_A3, name; pick one with --owner-field NAME"] },
        Case { name: "null geometry", file: "legal.geojson", bytes: fc(&feature(r#"{"owner":"AAA"}"#, "null")).into_bytes(), args: &[], expect: &["feature 1: has a null geometry"] },
        Case { name: "NaN coordinates", file: "legal.geojson", bytes: fc(&feature(r#"{"owner":"AAA"}"#, &poly("[[[45,40],[NaN,40],[45.1,40.1],[45,40]]]"))).into_bytes(), args: &[], expect: &["not valid JSON", "hint: NaN and Infinity are not JSON"] },
        Case { name: "4D coordinates", file: "legal.geojson", bytes: fc(&feature(r#"{"owner":"AAA"}"#, &poly("[[[45,40,0,1],[45.1,40,0,1],[45.1,40.1,0,1],[45,40,0,1]]]"))).into_bytes(), args: &[], expect: &["a position has 4 values", "RFC 7946"] },
        Case { name: "one-value position", file: "legal.geojson", bytes: fc(&feature(r#"{"owner":"AAA"}"#, &poly("[[[45],[45.1,40],[45.1,40.1],[45]]]"))).into_bytes(), args: &[], expect: &["feature 1"] },
        Case { name: "string coordinate", file: "legal.geojson", bytes: fc(&feature(r#"{"owner":"AAA"}"#, &poly(r#"[[["45","40"],[45.1,40],[45.1,40.1],[45,40]]]"#))).into_bytes(), args: &[], expect: &["feature #1", "a string, not a number"] },
        Case { name: "non-UTF-8 name", file: "legal.geojson", bytes: latin1, args: &[], expect: &["not UTF-8 at line 1", "hint: GeoJSON must be UTF-8", "iconv"] },
        Case { name: "10 MB single line, truncated", file: "legal.geojson", bytes: big.into_bytes(), args: &[], expect: &["not valid JSON at line 1"] },
        Case { name: "crs member EPSG:28408 on degree coordinates", file: "legal.geojson", bytes: format!(r#"{{"type":"FeatureCollection","crs":{{"type":"name","properties":{{"name":"urn:ogc:def:crs:EPSG::28408"}}}},"features":[{}]}}"#, feature(r#"{"owner":"AAA"}"#, &poly(SQUARE))).into_bytes(), args: &[], expect: &["do not fit the declared CRS EPSG:28408", "hint: if the coordinates are lon/lat, pass --src-crs EPSG:4326"] },
        Case { name: "unknown extension", file: "legal.xyz", bytes: ok.clone(), args: &[], expect: &["unknown format `.xyz`", "hint: use .geojson"] },
        Case { name: "output folder does not exist", file: "legal.geojson", bytes: ok.clone(), args: &["-o", "{dir}/missing/problems.geojson"], expect: &["output folder", "does not exist"] },
        Case { name: "top level is an array", file: "legal.geojson", bytes: b"[1,2,3]".to_vec(), args: &[], expect: &["the top level is an array"] },
        Case { name: "feature with the wrong type", file: "legal.geojson", bytes: fc(r#"{"type":"Featur","properties":{},"geometry":null}"#).into_bytes(), args: &[], expect: &["feature #1: `type` is `Featur`, expected `Feature`"] },
        Case { name: "lower-case geometry type", file: "legal.geojson", bytes: fc(&feature(r#"{"owner":"AAA"}"#, &format!(r#"{{"type":"polygon","coordinates":{SQUARE}}}"#))).into_bytes(), args: &[], expect: &["unknown geometry type `polygon`", "case-sensitive"] },
        Case { name: "null owner", file: "legal.geojson", bytes: fc(&[feature(r#"{"owner":"AAA"}"#, &poly(SQUARE)), feature(r#"{"owner":null}"#, &poly(SQUARE))].join(",")).into_bytes(), args: &[], expect: &["feature 2: field `owner` is missing or null"] },
        Case { name: "point in a legal layer", file: "legal.geojson", bytes: fc(&feature(r#"{"owner":"AAA"}"#, r#"{"type":"Point","coordinates":[45,40]}"#)).into_bytes(), args: &[], expect: &["is a Point, which a legal layer cannot use"] },
        Case { name: "empty file", file: "legal.geojson", bytes: Vec::new(), args: &[], expect: &["not valid JSON at line 1", "ends too early"] },
        Case { name: "features is not an array", file: "legal.geojson", bytes: br#"{"type":"FeatureCollection","features":{}}"#.to_vec(), args: &[], expect: &["`features` is an object, not an array"] },
        Case { name: "unknown CRS in --src-crs", file: "legal.geojson", bytes: ok.clone(), args: &["--src-crs", "EPSG:99999999"], expect: &["unknown CRS `EPSG:99999999`", "hint: give it as AUTHORITY:CODE"] },
        Case { name: "unknown CRS in the file", file: "legal.geojson", bytes: br#"{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"EPSG:12345678"}},"features":[]}"#.to_vec(), args: &[], expect: &["unknown CRS `EPSG:12345678`"] },
        Case { name: "unknown --format", file: "legal.dat", bytes: ok.clone(), args: &["--format", "nosuchdriver"], expect: &["invalid value for --format", "ogrinfo --formats"] },
        Case { name: "not a GeoPackage", file: "legal.gpkg", bytes: ok.clone(), args: &[], expect: &["GDAL GDALOpenEx failed"] },
        Case { name: "unknown role", file: "legal.geojson", bytes: ok.clone(), args: &["--role", "owner"], expect: &["invalid value 'owner' for '--role <ROLE>'", "possible values: legal, control"] },
        Case { name: "unknown output extension", file: "legal.geojson", bytes: ok.clone(), args: &["-o", "{dir}/problems.txt"], expect: &["unknown format `.txt`"] },
    ]
}

fn run_case(c: &Case, dir: &Path) -> crate::util::Run {
    let input = dir.join(c.file);
    std::fs::write(&input, &c.bytes).unwrap();
    let mut cmd = delimit();
    cmd.current_dir(dir).arg("check").arg(&input);
    if !c.args.contains(&"--role") {
        cmd.args(["--role", "legal"]);
    }
    for a in c.args {
        cmd.arg(a.replace("{dir}", &dir.display().to_string()));
    }
    if !c.args.contains(&"-o") {
        cmd.arg("-o").arg(dir.join("problems.geojson"));
    }
    run(&mut cmd)
}

#[test]
fn every_malformed_input_gets_a_clear_error_exit_2_and_no_output() {
    let all = cases();
    assert!(all.len() >= 20, "the corpus has {} cases", all.len());
    let mut failures = Vec::new();
    for c in &all {
        let dir = tempfile::tempdir().unwrap();
        let r = run_case(c, dir.path());
        let mut why = Vec::new();
        if r.code != 2 {
            why.push(format!("exit {} (want 2)", r.code));
        }
        if !r.stderr.starts_with("error: ") {
            why.push("stderr does not start with `error: `".into());
        }
        if r.stderr.contains("panicked") || r.stderr.contains("RUST_BACKTRACE") {
            why.push("panicked".into());
        }
        if r.stderr.len() > 2000 {
            why.push(format!("stderr is {} bytes: too long to read", r.stderr.len()));
        }
        for e in c.expect {
            if !r.stderr.contains(e) {
                why.push(format!("stderr lacks {e:?}"));
            }
        }
        if !r.stdout.is_empty() {
            why.push("stdout is not empty".into());
        }
        let left = listing(dir.path());
        if left != [c.file] {
            why.push(format!("left behind: {left:?}"));
        }
        if !why.is_empty() {
            failures.push(format!("{}: {}\n    stderr: {}", c.name, why.join("; "), r.stderr.trim()));
        }
    }
    assert!(failures.is_empty(), "{} case(s) failed:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn existing_output_is_refused_without_force_and_inputs_never_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("legal.geojson");
    let body = fc(&feature(r#"{"owner":"AAA"}"#, &poly(SQUARE)));
    std::fs::write(&input, &body).unwrap();
    let out = dir.path().join("problems.geojson");
    std::fs::write(&out, "keep me").unwrap();

    let r = run(delimit().args(["check", "--role", "legal"]).arg(&input).arg("-o").arg(&out));
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("already exists") && r.stderr.contains("hint: pass --force"), "{}", r.stderr);
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "keep me");

    let r = run(delimit().args(["check", "--role", "legal", "--force"]).arg(&input).arg("-o").arg(&input));
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("is one of the inputs"), "{}", r.stderr);
    assert_eq!(std::fs::read_to_string(&input).unwrap(), body);

    let r = run(delimit().args(["check", "--role", "legal", "--force"]).arg(&input).arg("-o").arg(&out));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(std::fs::read_to_string(&out).unwrap().starts_with("{\"type\":\"FeatureCollection\""));
    assert_eq!(listing(dir.path()), ["legal.geojson", "problems.geojson"]);
}

#[test]
fn three_d_positions_are_accepted_with_a_warning() {
    // RFC 7946 allows an altitude; delimit works in 2D and says it dropped Z.
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("legal.geojson");
    std::fs::write(
        &input,
        fc(&feature(r#"{"owner":"AAA"}"#, &poly("[[[45,40,900],[45.1,40,910],[45.1,40.1,905],[45,40,900]]]"))),
    )
    .unwrap();
    let r = run(delimit().args(["check", "--role", "legal"]).arg(&input));
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("warning: z_dropped"), "{}", r.stdout);
}

#[test]
fn stdin_is_read_with_a_dash() {
    let r = run(delimit()
        .args(["check", "--role", "legal", "-"])
        .write_stdin(fc(&feature(r#"{"owner":"AAA"}"#, &poly(SQUARE)))));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.starts_with("-: 1 features checked as legal"), "{}", r.stdout);
}
