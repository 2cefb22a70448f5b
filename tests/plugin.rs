//! The QGIS Processing plugin (qgis-plugin/), built as `make plugin`
//! builds it and installed from its zip in a real, headless QGIS; and what
//! it stands on: `delimit describe --json` and `--progress json`.

use std::path::PathBuf;

use crate::util::{artefacts, delimit, root, run};

fn binary() -> PathBuf {
    match std::env::var_os("DELIMIT_TEST_BIN") {
        Some(b) => PathBuf::from(b),
        None => PathBuf::from(env!("CARGO_BIN_EXE_delimit")),
    }
}

fn describe() -> serde_json::Value {
    let r = run(delimit().args(["describe", "--json"]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    serde_json::from_str(&r.stdout).unwrap()
}

/// Every `--flag` that a command's --help shows is in the description, and
/// nothing else: the description is read from the same clap tree.
#[test]
fn describe_lists_every_flag_of_every_command() {
    let d = describe();
    let globals: Vec<String> =
        d["globals"].as_array().unwrap().iter().filter_map(|p| p["flag"].as_str().map(String::from)).collect();
    let mut checked = 0;
    for c in d["commands"].as_array().unwrap() {
        let argv: Vec<&str> = c["argv"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
        let help = run(delimit().args(&argv).arg("--help")).stdout;
        // Option lines: "  -o, --output <FILE>" or "      --legal <FILE>"
        // (help text is indented further).
        let mut from_help: Vec<String> = help
            .lines()
            .filter(|l| {
                let indent = l.len() - l.trim_start().len();
                (2..=6).contains(&indent) && l.trim_start().starts_with('-')
            })
            .filter_map(|l| l.split([' ', ',', '.']).find(|w| w.starts_with("--")).map(String::from))
            .filter(|w| w != "--help" && w != "--version")
            .collect();
        from_help.sort();
        from_help.dedup();
        let mut described: Vec<String> = c["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|p| p["flag"].as_str().map(String::from))
            .chain(globals.iter().cloned())
            .collect();
        described.sort();
        for flag in &described {
            assert!(
                help.match_indices(flag.as_str()).any(|(i, _)| {
                    help[i + flag.len()..].chars().next().is_none_or(|ch| !(ch.is_ascii_alphanumeric() || ch == '-'))
                }),
                "{}: {flag} is described but not in --help",
                c["name"]
            );
            checked += 1;
        }
        for flag in &from_help {
            assert!(described.contains(flag), "{}: --help lists {flag}, the description does not", c["name"]);
        }
    }
    assert!(checked > 300, "only {checked} flags checked");
}

/// Kinds, defaults, choices and ranges come from the parsers themselves.
#[test]
fn describe_gives_types_defaults_choices_and_ranges() {
    let d = describe();
    let cmd = |name: &str| d["commands"].as_array().unwrap().iter().find(|c| c["name"] == name).unwrap().clone();
    let param = |c: &serde_json::Value, flag: &str| {
        c["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["flag"] == flag)
            .unwrap_or_else(|| panic!("{flag}"))
            .clone()
    };
    let gaps = cmd("gaps");
    let p = param(&gaps, "--precision");
    assert_eq!(
        (p["kind"].as_str(), p["min"].as_i64(), p["max"].as_i64(), p["default"].as_str()),
        (Some("integer"), Some(0), Some(15), Some("7"))
    );
    let p = param(&gaps, "--tolerance-m");
    assert_eq!(
        (p["kind"].as_str(), p["min"].as_f64(), p["min_exclusive"].as_bool()),
        (Some("number"), Some(0.0), Some(false))
    );
    assert_eq!(param(&gaps, "--owner-field")["kind"], "field");
    assert_eq!(param(&gaps, "--output")["kind"], "output");
    assert_eq!(param(&gaps, "--legal")["kind"], "layer");
    assert_eq!(param(&gaps, "--as-of")["kind"], "date");
    let lines = cmd("lines");
    let p = param(&lines, "--step");
    assert_eq!((p["min"].as_f64(), p["min_exclusive"].as_bool()), (Some(0.0), Some(true)));
    let p = param(&lines, "--write");
    assert_eq!((p["kind"].as_str(), p["default"].as_str()), (Some("choice"), Some("runs")));
    assert_eq!(p["choices"], serde_json::json!(["stations", "runs", "lines"]));
    let route = cmd("corridor_route");
    assert_eq!(route["argv"], serde_json::json!(["corridor", "route"]));
    assert_eq!(
        (param(&route, "--from")["kind"].as_str(), param(&route, "--from")["required"].as_bool()),
        (Some("point"), Some(true))
    );
    assert_eq!(param(&route, "--alternatives")["max"].as_i64(), Some(delimit::limits::MAX_ALTERNATIVES as i64));
    assert_eq!(param(&route, "--cost-out")["kind"], "output_raster");
    assert_eq!(param(&route, "--dem")["kind"], "raster");
    let changes = cmd("changes");
    let p = param(&changes, "--between");
    // Two values, given once (issue 31 §7: a second pair was ignored).
    assert_eq!((p["values"].as_u64(), p["repeatable"].as_bool()), (Some(2), Some(false)));
    assert_eq!(param(&changes, "--control")["repeatable"], true);
    assert!(
        d["commands"].as_array().unwrap().iter().all(|c| c["name"] != "help"),
        "clap's help command is not a command"
    );
    assert_eq!(d["version"], env!("CARGO_PKG_VERSION"));
}

/// A value the parser refuses is refused before any work, with exit 2,
/// and the description's range says why.
#[test]
fn numbers_out_of_range_are_usage_errors() {
    let r = run(delimit().args(["lines", "--step", "0"]));
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("--step") && r.stderr.contains("0 is not a positive number"), "{}", r.stderr);
    let r = run(delimit().args(["gaps", "--tolerance-m=-5"]));
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("-5 is not a non-negative number"), "{}", r.stderr);
}

/// `--progress json`: one JSON object per line on stderr, percentages in
/// order and ending at 100, and stdout unchanged.
#[test]
fn progress_json_reports_steps_and_percentages() {
    let series = crate::util::fixture("changes/series/*.geojson");
    let legal = crate::util::fixture("changes/legal.geojson");
    let r = run(delimit()
        .args(["changes", "--progress", "json", "--json", "--legal"])
        .arg(&legal)
        .arg("--series")
        .arg(&series));
    assert_eq!(r.code, 0, "{}", r.stderr);
    serde_json::from_str::<serde_json::Value>(&r.stdout).expect("stdout is the JSON summary alone");
    let progress: Vec<serde_json::Value> =
        r.stderr.lines().filter(|l| l.starts_with('{')).map(|l| serde_json::from_str(l).unwrap()).collect();
    let percents: Vec<f64> = progress.iter().filter_map(|p| p["progress"]["percent"].as_f64()).collect();
    assert!(percents.len() >= 4, "{}", r.stderr);
    assert!(percents.windows(2).all(|w| w[0] <= w[1]), "{percents:?}");
    assert_eq!(percents.last(), Some(&100.0));
    assert!(progress.iter().any(|p| p["progress"]["step"].as_str().is_some_and(|s| s.contains("snapshot"))));
    // Without the flag, no JSON on stderr (not a terminal: no spinner either).
    let r = run(delimit().args(["changes", "--json", "--legal"]).arg(&legal).arg("--series").arg(&series));
    assert!(!r.stderr.lines().any(|l| l.starts_with('{')), "{}", r.stderr);
}

/// A GeoPackage an analysis writes carries delimit's default style in
/// `layer_styles`, which QGIS applies when it opens the layer.
#[test]
fn gpkg_outputs_carry_their_default_style() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("gaps.gpkg");
    let r = run(delimit().arg("gaps").arg("-o").arg(&out));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let db = rusqlite::Connection::open(&out).unwrap();
    let (table, qml, default): (String, String, bool) = db
        .query_row("SELECT f_table_name, styleQML, useAsDefault FROM layer_styles", [], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .unwrap();
    assert_eq!(table, "gaps");
    assert!(default);
    assert!(qml.contains("categorizedSymbol") && qml.contains("held_by_other"), "{qml}");
    // A GeoJSON output has no such table, and its bytes do not change.
    let a = dir.path().join("a.geojson");
    assert_eq!(run(delimit().arg("gaps").arg("-o").arg(&a)).code, 0);
    assert!(!std::fs::read_to_string(&a).unwrap().contains("styleQML"));
}

/// The plugin, installed from the zip `make plugin` builds, in a real
/// headless QGIS: every algorithm on the sample against the CLI, styles,
/// a missing field's message, cancellation and a model
/// (tests/qgis/check_plugin.py says what each check does).
#[test]
fn the_processing_plugin_runs_every_algorithm_in_qgis() {
    let has_pyqgis = std::process::Command::new("/usr/bin/python3")
        .args(["-c", "import qgis.core"])
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(has_pyqgis, "PyQGIS is needed by this test: `make test` installs Debian's python3-qgis (see README)");
    let dir = artefacts("qgis-plugin");
    let zip = dir.join("delimit_processing.zip");
    let build = std::process::Command::new("/usr/bin/python3")
        .arg(root().join("qgis-plugin/build.py"))
        .arg(binary())
        .arg(&zip)
        .output()
        .unwrap();
    assert!(build.status.success(), "build.py: {}", String::from_utf8_lossy(&build.stderr));
    // A PostGIS layer among the inputs: the control layer in a throwaway server.
    let pg = crate::postgis::Cluster::start();
    crate::util::require_tool("ogr2ogr");
    let loaded = std::process::Command::new("ogr2ogr")
        .args(["-f", "PostgreSQL", &pg.target(), "-nln", "control", "-lco", "GEOMETRY_NAME=geom"])
        .arg(root().join("data/control.geojson"))
        .output()
        .unwrap();
    assert!(loaded.status.success(), "ogr2ogr into PostGIS: {}", String::from_utf8_lossy(&loaded.stderr));
    let pg_uri = pg.target().trim_start_matches("PG:").to_string() + " table=\"public\".\"control\" (geom)";
    let work = dir.join("work");
    let tmp = dir.join("tmp");
    std::fs::create_dir_all(&work).unwrap();
    std::fs::create_dir_all(&tmp).unwrap();
    let out = std::process::Command::new("/usr/bin/python3")
        .arg(root().join("tests/qgis/check_plugin.py"))
        .arg(&zip)
        .arg(binary())
        .arg(root())
        .arg(&work)
        .arg(&pg_uri)
        .env("QT_QPA_PLATFORM", "offscreen")
        .env("TMPDIR", &tmp)
        .env("XDG_RUNTIME_DIR", &tmp)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "QGIS plugin check failed:\n{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    for expected in [
        "provider `delimit` registered",
        "every CLI flag",
        "gaps (control as a memory layer): same summary as the CLI",
        "changes: 4 memory-layer snapshots",
        "gaps with the control layer in PostGIS",
        "a missing field gives delimit's error:/hint: through Processing",
        "no output, no temporary files",
        "model check -> gaps -> qgis_project ran headless",
    ] {
        assert!(stdout.contains(expected), "missing `{expected}` in:\n{stdout}");
    }
    for png in ["plugin-gaps.png", "toolbox.png", "dialog-gaps.png"] {
        assert!(work.join(png).exists(), "{png}");
    }
}
