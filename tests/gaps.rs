//! `delimit gaps`: golden fixtures, independent references, the embedded
//! sample, determinism and output formats.

use std::path::Path;

use serde_json::Value;

use crate::util::{delimit, fixture, root, run};

const CASES: [&str; 5] = ["exclave", "shift50", "penetrate2km", "contested", "sk42"];

/// Run gaps on a fixture case and return the written features' properties.
fn gaps_case(case: &str, dir: &Path, extra: &[&str]) -> Vec<Value> {
    let out = dir.join(format!("{case}.geojson"));
    let r = run(delimit()
        .arg("gaps")
        .arg("--legal")
        .arg(fixture(&format!("gaps/{case}/legal.geojson")))
        .arg("--control")
        .arg(fixture(&format!("gaps/{case}/control.geojson")))
        .arg("--no-settlements")
        .args(["--all", "-o"])
        .arg(&out)
        .args(extra));
    assert_eq!(r.code, 0, "{case}: {}", r.stderr);
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    v["features"].as_array().unwrap().iter().map(|f| f["properties"].clone()).collect()
}

/// The fields a golden file keeps, sorted so that order is not compared.
fn normalise(features: &[Value]) -> Vec<Value> {
    let mut v: Vec<Value> = features
        .iter()
        .map(|p| {
            serde_json::json!({
                "class": p["class"], "owner": p["owner"], "controller": p["controller"],
                "legal_unit": p["legal_unit"], "area_km2": p["area_km2"], "width_m": p["width_m"],
                "depth_m": p["depth_m"], "sliver": p["sliver"],
            })
        })
        .collect();
    v.sort_by(|a, b| {
        (a["class"].as_str(), a["owner"].as_str(), a["controller"].as_str())
            .cmp(&(b["class"].as_str(), b["owner"].as_str(), b["controller"].as_str()))
            .then(a["area_km2"].as_f64().unwrap().total_cmp(&b["area_km2"].as_f64().unwrap()))
    });
    v
}

fn close(a: &Value, b: &Value, rel: f64, abs: f64) -> bool {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => (x - y).abs() <= abs.max(rel * y.abs()),
        _ => a == b,
    }
}

/// Golden files: fixtures/gaps/<case>/expected.json. UPDATE_GOLDEN=1
/// rewrites them, so that a reviewer reads the diff. Areas are compared to
/// 1e-6 relative (or 1 m² for slivers), depths to 0.5 m, widths to 0.5 m or
/// 2e-4 relative (width_m's precision is 1e-4 of a piece's extent).
#[test]
fn golden_fixtures() {
    let dir = tempfile::tempdir().unwrap();
    for case in CASES {
        let got = normalise(&gaps_case(case, dir.path(), &[]));
        let path = fixture(&format!("gaps/{case}/expected.json"));
        if std::env::var_os("UPDATE_GOLDEN").is_some() {
            std::fs::write(&path, serde_json::to_string_pretty(&got).unwrap() + "\n").unwrap();
            continue;
        }
        let want: Vec<Value> = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(got.len(), want.len(), "{case}: {got:#?}");
        for (g, w) in got.iter().zip(&want) {
            for k in ["class", "owner", "controller", "legal_unit", "sliver"] {
                assert_eq!(g[k], w[k], "{case} {k}");
            }
            assert!(close(&g["area_km2"], &w["area_km2"], 1e-6, 1e-6), "{case} area {g} vs {w}");
            assert!(close(&g["width_m"], &w["width_m"], 2e-4, 0.5), "{case} width {g} vs {w}");
            assert!(close(&g["depth_m"], &w["depth_m"], 0.0, 0.5), "{case} depth {g} vs {w}");
        }
    }
}

fn reference(case: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(fixture(&format!("gaps/{case}/reference.json"))).unwrap()).unwrap()
}

fn one<'a>(f: &'a [Value], class: &str, owner: &str, controller: &str) -> &'a Value {
    let v: Vec<&Value> =
        f.iter().filter(|p| p["class"] == class && p["owner"] == owner && p["controller"] == controller).collect();
    assert_eq!(v.len(), 1, "{class} {owner}->{controller}: {f:#?}");
    v[0]
}

/// Against values computed independently (GeographicLib via pyproj on
/// Shapely geometry; distances set by construction): fixtures/gaps/make.py.
#[test]
fn fixtures_agree_with_independent_references() {
    let dir = tempfile::tempdir().unwrap();
    let rel = |a: f64, b: f64| ((a - b) / b).abs();

    let f = gaps_case("exclave", dir.path(), &[]);
    let r = reference("exclave");
    let g = one(&f, "held_by_other", "B", "A");
    assert!(rel(g["area_km2"].as_f64().unwrap(), r["held_by_other_B_A_km2"].as_f64().unwrap()) < 1e-6);
    assert!((g["depth_m"].as_f64().unwrap() - r["depth_m"].as_f64().unwrap()).abs() < 1.0, "{g}");
    assert_eq!(g["sliver"], false);

    let f = gaps_case("shift50", dir.path(), &[]);
    let g = one(&f, "held_by_other", "B", "A");
    assert!(
        rel(g["area_km2"].as_f64().unwrap(), reference("shift50")["held_by_other_B_A_km2"].as_f64().unwrap()) < 1e-6
    );
    assert!((g["width_m"].as_f64().unwrap() - 50.0).abs() < 0.5, "{g}");
    assert_eq!(g["sliver"], true, "a 50 m shift is a sliver at the default 100 m");
    // Every non-owner piece is a sliver: there is no real gap.
    assert!(f.iter().filter(|p| p["class"] != "held_by_owner").all(|p| p["sliver"] == true));

    for case in ["penetrate2km", "sk42"] {
        let f = gaps_case(case, dir.path(), &[]);
        let g = one(&f, "held_by_other", "A", "B");
        assert!(
            rel(g["area_km2"].as_f64().unwrap(), reference(case)["held_by_other_A_B_km2"].as_f64().unwrap()) < 1e-5,
            "{case} {g}"
        );
        let depth = g["depth_m"].as_f64().unwrap();
        assert!((depth - 2000.0).abs() <= 20.0, "{case}: depth {depth} not 2000 m ± 1%");
        assert_eq!(g["sliver"], false);
        // Nothing else is a real gap (the SK-42 round trip leaves only mm-wide slivers).
        assert_eq!(f.iter().filter(|p| p["class"] != "held_by_owner" && p["sliver"] == false).count(), 1, "{case}");
    }

    let f = gaps_case("contested", dir.path(), &[]);
    let r = reference("contested");
    let c = one(&f, "contested_control", "A", "X|Y");
    assert!(rel(c["area_km2"].as_f64().unwrap(), r["contested_A_XY_km2"].as_f64().unwrap()) < 1e-6);
    let x = one(&f, "held_by_other", "A", "X");
    assert!(rel(x["area_km2"].as_f64().unwrap(), r["held_by_other_A_X_km2"].as_f64().unwrap()) < 1e-6);
}

#[test]
fn a_legal_dual_claim_is_refused_with_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("gaps.geojson");
    let r = run(delimit()
        .arg("gaps")
        .arg("--legal")
        .arg(fixture("gaps/dualclaim/legal.geojson"))
        .arg("--control")
        .arg(fixture("gaps/dualclaim/control.geojson"))
        .arg("-o")
        .arg(&out));
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("the legal basis is not a partition") && r.stderr.contains("dual claim: A and B"),
        "{}",
        r.stderr
    );
    assert!(!out.exists());
}

#[test]
fn embedded_sample_every_exclave_is_held_by_the_other_party() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("gaps.geojson");
    let r = run(delimit().current_dir(dir.path()).args(["gaps", "--json", "-o"]).arg(&out));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let f: Vec<&Value> = v["features"].as_array().unwrap().iter().map(|f| &f["properties"]).collect();
    let real: Vec<&&Value> = f.iter().filter(|p| p["class"] == "held_by_other" && p["sliver"] == false).collect();
    let mut units: Vec<(String, String, String)> = real
        .iter()
        .map(|p| {
            (
                p["legal_unit"].as_str().unwrap().into(),
                p["owner"].as_str().unwrap().into(),
                p["controller"].as_str().unwrap().into(),
            )
        })
        .collect();
    units.sort();
    assert_eq!(
        units,
        [
            ("ARM-artsvashen-exclave".into(), "ARM".into(), "AZE".into()),
            ("AZE-barkhudarly-exclave".into(), "AZE".into(), "ARM".into()),
            ("AZE-yukhari-askipara-exclave".into(), "AZE".into(), "ARM".into()),
        ]
    );
    // Each at the exclave's own area (data/SOURCES.md: 39.421, 9.870, 32.379 km²).
    for (unit, km2) in [
        ("ARM-artsvashen-exclave", 39.421),
        ("AZE-barkhudarly-exclave", 9.870),
        ("AZE-yukhari-askipara-exclave", 32.379),
    ] {
        let a = real.iter().find(|p| p["legal_unit"] == unit).unwrap()["area_km2"].as_f64().unwrap();
        assert!((a - km2).abs() < 0.001, "{unit}: {a}");
    }
    // The provenance travels with the output.
    assert_eq!(v["metadata"]["inputs"][0]["path"], "embedded:data/legal.geojson");
    let summary: Value = serde_json::from_str(&r.stdout).unwrap();
    assert!(summary["summary"]["conservation"]["max_planar_rel"].as_f64().unwrap() <= 1e-9);
}

#[test]
fn output_is_byte_identical_for_any_thread_count() {
    let dir = tempfile::tempdir().unwrap();
    let mut outs = Vec::new();
    for (i, threads) in ["1", "2", "1", "2"].iter().enumerate() {
        let out = dir.path().join(format!("g{i}.geojson"));
        let r = run(delimit()
            .env("RAYON_NUM_THREADS", threads)
            .args(["gaps", "--control"])
            .arg(root().join("data/control-osm2024.geojson"))
            .arg("-o")
            .arg(&out));
        assert_eq!(r.code, 0, "{}", r.stderr);
        outs.push(std::fs::read(&out).unwrap());
    }
    assert!(outs.windows(2).all(|w| w[0] == w[1]), "outputs differ between runs or thread counts");
}

#[test]
fn gpkg_and_flatgeobuf_outputs_carry_the_same_features() {
    let dir = tempfile::tempdir().unwrap();
    for ext in ["gpkg", "fgb"] {
        let out = dir.path().join(format!("gaps.{ext}"));
        let r = run(delimit().args(["gaps", "-o"]).arg(&out));
        assert_eq!(r.code, 0, "{ext}: {}", r.stderr);
        let l = delimit::io::read_layer(&out, &Default::default()).unwrap();
        assert!(l.features.iter().any(|f| f.text("class").as_deref() == Some("held_by_other")), "{ext}");
        assert!(l.fields.iter().any(|f| f.name == "depth_m"), "{ext}");
    }
}

/// Class totals agree with GeoPandas/GEOS + pyproj within 0.1% (recorded in
/// fixtures/peers/gaps_sample.json by bench/peers/gaps_geopandas.py).
#[test]
fn class_totals_agree_with_geopandas() {
    let peer: Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("peers/gaps_sample.json")).unwrap()).unwrap();
    for case in peer["cases"].as_array().unwrap() {
        let r = run(delimit()
            .args(["gaps", "--all", "--json", "--no-settlements", "--legal"])
            .arg(root().join(case["legal"].as_str().unwrap()))
            .arg("--control")
            .arg(root().join(case["control"].as_str().unwrap())));
        assert_eq!(r.code, 0, "{}", r.stderr);
        let v: Value = serde_json::from_str(&r.stdout).unwrap();
        let mut ours = std::collections::BTreeMap::<String, f64>::new();
        for row in v["summary"]["rows"].as_array().unwrap() {
            *ours.entry(row["class"].as_str().unwrap().into()).or_default() +=
                row["km2"].as_f64().unwrap() + row["sliver_km2"].as_f64().unwrap();
        }
        for (class, want) in case["totals_km2"].as_object().unwrap() {
            let want = want.as_f64().unwrap();
            let got = ours.get(class).copied().unwrap_or(0.0);
            let ok = if want < 1.0 { (got - want).abs() < 0.001 } else { ((got - want) / want).abs() < 1e-3 };
            assert!(ok, "{} × {}: {class}: delimit {got} km² vs GeoPandas {want} km²", case["legal"], case["control"]);
        }
    }
}

fn gaps_json(args: &[&str]) -> Value {
    let r = run(delimit().args(["gaps", "--json"]).args(args));
    assert_eq!(r.code, 0, "{}", r.stderr);
    serde_json::from_str(&r.stdout).unwrap()
}

/// Sum of km² (pieces and slivers) over summary rows that pass `keep`.
fn total(v: &Value, keep: impl Fn(&Value) -> bool) -> (u64, f64) {
    v["summary"]["rows"].as_array().unwrap().iter().filter(|r| keep(r)).fold((0, 0.0), |(n, a), r| {
        (
            n + r["features"].as_u64().unwrap() + r["sliver_features"].as_u64().unwrap(),
            a + r["km2"].as_f64().unwrap() + r["sliver_km2"].as_f64().unwrap(),
        )
    })
}

#[test]
fn every_filter_keeps_what_the_unfiltered_run_says_and_counts_the_rest() {
    let control = root().join("data/control-osm2024.geojson").display().to_string();
    let all = gaps_json(&["--control", &control]);
    let (n_all, km2_all) = total(&all, |_| true);
    let s = |r: &Value, k: &str| r[k].as_str().unwrap_or_default().to_string();
    type Keep = Box<dyn Fn(&Value) -> bool>;
    let cases: Vec<(Vec<&str>, Keep)> = vec![
        (
            vec!["--pair", "AZE,ARM"],
            Box::new(move |r: &Value| {
                // A dual claim has two owners, a contested piece two controllers.
                let (o, c) = (s(r, "owner"), s(r, "controller"));
                let (os, cs): (Vec<&str>, Vec<&str>) = (o.split('|').collect(), c.split('|').collect());
                (os.contains(&"ARM") && cs.contains(&"AZE")) || (os.contains(&"AZE") && cs.contains(&"ARM"))
            }),
        ),
        (vec!["--owner", "AZE"], Box::new(move |r: &Value| s(r, "owner").split('|').any(|o| o == "AZE"))),
        (vec!["--controller", "ARM"], Box::new(move |r: &Value| s(r, "controller").split('|').any(|c| c == "ARM"))),
        (
            vec!["--class", "held_by_other", "--class", "unassigned"],
            Box::new(move |r: &Value| ["held_by_other", "unassigned"].contains(&s(r, "class").as_str())),
        ),
    ];
    for (flags, keep) in cases {
        let mut args = vec!["--control", control.as_str()];
        args.extend(&flags);
        let f = gaps_json(&args);
        let (n, km2) = total(&f, |_| true);
        let (want_n, want_km2) = total(&all, &keep);
        assert_eq!(n, want_n, "{flags:?}");
        assert!((km2 - want_km2).abs() < 1e-5, "{flags:?}: {km2} vs {want_km2}");
        // What was left out is counted, and adds up to the whole.
        let left = &f["summary"]["filter"];
        assert_eq!(left["left_out_pieces"].as_u64().unwrap() + n, n_all, "{flags:?}");
        assert!((left["left_out_km2"].as_f64().unwrap() + km2 - km2_all).abs() < 1e-4, "{flags:?}");
    }
    // Slivers and small pieces: checked on the written features.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("f.geojson");
    let r = run(delimit()
        .args(["gaps", "--all", "--no-slivers", "--min-area-km2", "1", "--control", &control, "-o"])
        .arg(&out));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("filter: --min-area-km2 1 --no-slivers; left out"), "{}", r.stdout);
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let f = v["features"].as_array().unwrap();
    assert!(!f.is_empty());
    assert!(
        f.iter().all(|x| x["properties"]["sliver"] == false && x["properties"]["area_km2"].as_f64().unwrap() >= 1.0)
    );
    // A bad filter fails before any work, naming the flag.
    let r = run(delimit().args(["gaps", "--class", "gap"]));
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("--class") && r.stderr.contains("held_by_other"), "{}", r.stderr);
    let r = run(delimit().args(["gaps", "--pair", "ARM"]));
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("--pair"), "{}", r.stderr);
}

#[test]
fn dash_writes_geojson_and_geojsonseq_to_stdout_and_nothing_else() {
    let r = run(delimit().args(["gaps", "-o", "-"]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v: Value = serde_json::from_str(&r.stdout).expect("stdout is one GeoJSON document");
    let n = v["features"].as_array().unwrap().len();
    assert!(n > 0);
    assert!(r.stderr.contains(&format!("wrote {n} features to stdout")), "{}", r.stderr);
    assert!(r.stderr.contains("conservation:"), "the summary goes to stderr: {}", r.stderr);

    let r = run(delimit().args(["gaps", "-o", "-", "--output-format", "geojsonseq"]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    // RFC 8142: every record is RS, one JSON text, LF.
    let records: Vec<&str> = r.stdout.split('\u{1e}').collect();
    assert_eq!(records[0], "", "the stream opens with RS");
    assert_eq!(records.len() - 1, n);
    for rec in &records[1..] {
        assert!(rec.ends_with('\n'));
        let f: Value = serde_json::from_str(rec).unwrap();
        assert_eq!(f["type"], "Feature");
    }
    let r = run(delimit().args(["gaps", "-o", "-", "--output-format", "gpkg"]));
    assert_eq!(r.code, 2);
    assert!(r.stdout.is_empty());
}

#[test]
fn csv_output_has_a_wkt_column_and_reads_back_through_gdal() {
    crate::util::require_tool("ogrinfo");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("g.csv");
    let r = run(delimit().args(["gaps", "--json", "-o"]).arg(&out));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let written = serde_json::from_str::<Value>(&r.stdout).unwrap()["features_written"].as_u64().unwrap();
    assert!(written > 0);
    let info = std::process::Command::new("ogrinfo").args(["-ro", "-al", "-so"]).arg(&out).output().unwrap();
    let text = String::from_utf8_lossy(&info.stdout);
    assert!(text.contains(&format!("Feature Count: {written}")), "{text}");
    assert!(text.contains("Extent: (44."), "the WKT column is read as geometry: {text}");
    assert!(text.contains("area_km2: Real"), "the .csvt sidecar keeps numbers numbers: {text}");
    assert!(std::fs::read_to_string(&out).unwrap().starts_with("WKT,"));
    // Without -o, nothing is written and nothing is counted as written.
    let v = gaps_json(&[]);
    assert_eq!(v["features_written"], 0);
}

#[test]
fn gpkg_output_is_byte_identical_from_run_to_run() {
    // Every command that writes a GeoPackage layer (issue 20 §4); qgis's
    // package is compared in tests/determinism.rs.
    let cmds: [&[&str]; 7] = [
        &["gaps", "--all"],
        &["lines"],
        &["progress"],
        &["check", "--role", "legal", "data/legal.geojson"],
        &["corridor", "measure"],
        &["polygonize", "--legal-lines", "data/legal-lines.geojson"],
        &["village", "Voskepar", "Karki", "--geojson"],
    ];
    let dir = tempfile::tempdir().unwrap();
    for args in cmds {
        let args: Vec<String> = args
            .iter()
            .map(|a| if a.starts_with("data/") { root().join(a).display().to_string() } else { a.to_string() })
            .collect();
        let (a, b) = (dir.path().join(format!("{}-a.gpkg", args[0])), dir.path().join(format!("{}-b.gpkg", args[0])));
        for p in [&a, &b] {
            let out = if args[0] == "village" { vec![] } else { vec!["-o".to_string()] };
            let r = run(delimit().args(&args).args(&out).arg(p));
            assert!(r.code == 0 || r.code == 1, "{args:?}: {}", r.stderr);
            // gpkg_contents.last_change is stamped to the second: runs a second apart differ unless pinned.
            std::thread::sleep(std::time::Duration::from_millis(1100));
        }
        assert!(std::fs::read(&a).unwrap() == std::fs::read(&b).unwrap(), "two runs of {args:?} -o x.gpkg differ");
    }
}

#[test]
fn the_summary_table_is_aligned_and_sorted_by_class_then_area() {
    let r = run(delimit().args(["gaps", "--control"]).arg(root().join("data/control-osm2024.geojson")));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let lines: Vec<&str> =
        r.stdout.lines().skip_while(|l| !l.starts_with("class")).take_while(|l| !l.is_empty()).collect();
    assert!(lines.len() > 3, "{}", r.stdout);
    // Right-aligned numbers: every row ends at the header's last column.
    let width = lines[0].chars().count();
    assert!(lines.iter().all(|l| l.chars().count() == width), "{}", lines.join("\n"));
    let rows: Vec<(String, f64)> = lines[1..]
        .iter()
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (f[0].to_string(), f[4].replace(',', "").trim_start_matches('<').parse::<f64>().unwrap())
        })
        .collect();
    let order = ["held_by_other", "contested_control", "dual_claim", "held_by_owner", "unassigned", "outside_basis"];
    for w in rows.windows(2) {
        let (ca, cb) =
            (order.iter().position(|c| *c == w[0].0).unwrap(), order.iter().position(|c| *c == w[1].0).unwrap());
        assert!(ca < cb || (ca == cb && w[0].1 >= w[1].1), "out of order: {:?}", w);
    }
    assert!(r.stdout.contains(','), "thousands separators on large areas");
}

/// Shapefile keeps ten characters of a field name: every shortened field
/// is named on stderr, old name and new, and the names match the file's.
#[test]
fn shapefile_output_names_every_shortened_field() {
    crate::util::require_tool("ogrinfo");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("g.shp");
    let r = run(delimit().args(["gaps", "-o"]).arg(&out));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let info = std::process::Command::new("ogrinfo").args(["-ro", "-al", "-so"]).arg(&out).output().unwrap();
    let text = String::from_utf8_lossy(&info.stdout);
    for (long, short) in
        [("control_source", "control_so"), ("settlements", "settlement"), ("perimeter_km", "perimeter_")]
    {
        assert!(r.stderr.contains(&format!("note: field `{long}` is written as `{short}`")), "{long}: {}", r.stderr);
        assert!(text.contains(&format!("{short}: ")), "{short} not in the file: {text}");
    }
    // A name that fits is not mentioned.
    assert!(!r.stderr.contains("field `owner`"), "{}", r.stderr);
}

/// A GeoJSON Text Sequence written by delimit reads back (through GDAL)
/// with every feature.
#[test]
fn geojsonseq_files_read_back() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("g.geojsons");
    let r = run(delimit().args(["gaps", "--json", "-o"]).arg(&out));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let n = serde_json::from_str::<Value>(&r.stdout).unwrap()["features_written"].as_u64().unwrap();
    let info = run(delimit().args(["info", "--json"]).arg(&out));
    assert_eq!(info.code, 0, "{}", info.stderr);
    assert!(info.stdout.contains("GeoJSONSeq"), "{}", info.stdout);
    assert!(info.stdout.contains(&format!("\"features\": {n}")), "{n} features: {}", info.stdout);
}

/// A zero-width spike, collinear to within 1e-12° (as GEOS accepts it), is
/// a warning and the overlay removes it: the unit's area is the area
/// without the spike (issue 20).
#[test]
fn a_near_collinear_spike_is_overlaid_as_if_absent() {
    let dir = tempfile::tempdir().unwrap();
    let poly = |ring: &str| {
        format!(
            r#"{{"type":"FeatureCollection","features":[{{"type":"Feature","properties":{{"owner":"AAA","controller":"AAA"}},"geometry":{{"type":"Polygon","coordinates":[[{ring}]]}}}}]}}"#
        )
    };
    let spiked = dir.path().join("spiked.geojson");
    std::fs::write(&spiked, poly("[45.0,40.0],[45.1,40.0],[45.1,40.05],[45.2,40.050000000001],[45.1,40.050000000002],[45.1,40.1],[45.0,40.1],[45.0,40.0]")).unwrap();
    let plain = dir.path().join("plain.geojson");
    std::fs::write(&plain, poly("[45.0,40.0],[45.1,40.0],[45.1,40.1],[45.0,40.1],[45.0,40.0]")).unwrap();
    let km2 = |p: &std::path::Path| -> f64 {
        let r = run(delimit().args(["gaps", "--all", "--json", "--legal"]).arg(p).arg("--control").arg(p));
        assert_eq!(r.code, 0, "{}", r.stderr);
        let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
        v["summary"]["rows"][0]["km2"].as_f64().unwrap()
    };
    let (a, b) = (km2(&spiked), km2(&plain));
    assert!((a - b).abs() <= 1e-9 * b, "{a} vs {b}");
    let check = run(delimit().args(["check", "--role", "legal"]).arg(&spiked));
    assert_eq!(check.code, 0, "a warning, not an error: {}", check.stdout);
    assert!(check.stdout.contains("warning: spike"), "{}", check.stdout);
}
