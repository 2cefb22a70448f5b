//! Issue 19: the status of the data (observed, approximate, illustrative)
//! travels into every output a reader sees, and village answers state no
//! false facts.

use serde_json::Value;

use crate::util::{delimit, run};

fn json(args: &[&str]) -> Value {
    let r = run(delimit().args(args).arg("--json"));
    assert!(r.code == 0 || r.code == 1, "{args:?}: {}", r.stderr);
    serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{args:?}: {e}: {}", r.stdout))
}

/// Every command on the sample says, in text and in JSON, that the control
/// layer is illustrative; every feature written carries `data_status`.
#[test]
fn every_output_of_the_sample_says_it_is_illustrative() {
    let dir = tempfile::tempdir().unwrap();
    let cmds: [&[&str]; 6] = [
        &["gaps"],
        &["lines"],
        &["progress"],
        &["corridor", "measure"],
        &["village", "Voskepar"],
        &["village", "--at", "40.0,45.0"],
    ];
    for (i, args) in cmds.iter().enumerate() {
        let text = run(delimit().args(*args));
        assert!(text.code == 0 || text.code == 1, "{args:?}: {}", text.stderr);
        let v = json(args);
        // Each input that is not observed has its line under the summary.
        let inputs = v["provenance"]["inputs"].as_array().unwrap();
        let mut caveats = 0;
        for i in inputs.iter().filter(|i| i["status"] != "observed") {
            let line = format!(
                "note: {} input {} ({})",
                i["status"].as_str().unwrap().to_uppercase(),
                i["role"].as_str().unwrap(),
                i["path"].as_str().unwrap()
            );
            assert!(text.stdout.contains(&line), "{args:?} lacks {line:?}:\n{}", text.stdout);
            caveats += 1;
        }
        assert!(caveats > 0, "{args:?}: every sample run has an input that is not observed");
        let worst = if inputs.iter().any(|i| i["status"] == "illustrative") { "illustrative" } else { "approximate" };
        assert_eq!(v["provenance"]["status"], worst, "{args:?}");
        if args[0] == "village" {
            assert_eq!(v["answers"][0]["control"]["data_status"], "illustrative");
            continue;
        }
        // Features written to a file, GeoJSON and GeoPackage.
        for ext in ["geojson", "gpkg"] {
            let out = dir.path().join(format!("out{i}.{ext}"));
            let r = run(delimit().args(*args).arg("-o").arg(&out));
            assert!(r.code == 0 || r.code == 1, "{args:?}: {}", r.stderr);
            let listing =
                if ext == "gpkg" { crate::util::ogrinfo_listing(&out) } else { std::fs::read_to_string(&out).unwrap() };
            let written = listing.matches("data_status").count();
            assert!(written > 0, "{args:?} {ext}: no data_status");
            assert!(
                !listing.contains("\"data_status\":\"observed\"")
                    && !listing.contains("data_status (String) = observed"),
                "{args:?} {ext}: a feature says observed"
            );
        }
    }
}

/// The report has a banner and a watermark; the QGIS project's title and
/// layer names carry the status, and so does the GeoPackage's provenance.
#[test]
fn report_and_qgis_carry_the_status() {
    let dir = tempfile::tempdir().unwrap();
    for (fmt, name) in [("html", "r.html"), ("md", "r.md")] {
        let r = run(delimit().current_dir(dir.path()).args(["report", "--format", fmt, "-o", name]));
        assert!(r.code == 0 || r.code == 1, "{}", r.stderr);
        let text = std::fs::read_to_string(dir.path().join(name)).unwrap();
        assert!(text.contains("ILLUSTRATIVE DATA: not a statement of fact."), "{fmt}");
        assert!(text.contains("ILLUSTRATIVE input control"), "{fmt}");
        if fmt == "html" {
            assert!(text.contains(r#"class="watermark""#) && text.contains(">ILLUSTRATIVE DATA</text>"));
        }
    }
    let r = run(delimit().current_dir(dir.path()).args(["qgis", "-o", "q"]));
    assert!(r.code == 0 || r.code == 1, "{}", r.stderr);
    assert!(r.stdout.contains("note: ILLUSTRATIVE input control"), "{}", r.stdout);
    let qgs = std::fs::read_to_string(dir.path().join("q/delimit.qgs")).unwrap();
    assert!(qgs.contains("<title>delimit: legal basis and de facto control (ILLUSTRATIVE data)</title>"));
    // Each layer names its own inputs' status (issue 30: every layer carried
    // the run's least certain one, so the legal layer, APPROXIMATE, read
    // [illustrative]); the title keeps the run's.
    let name_of = |title: &str| {
        qgs.lines()
            .find_map(|l| l.trim().strip_prefix("<layername>").filter(|n| n.starts_with(title)))
            .map(|n| n.trim_end_matches("</layername>").to_string())
            .unwrap_or_else(|| panic!("no layer {title}"))
    };
    assert_eq!(name_of("Legal basis"), "Legal basis [approximate]");
    assert_eq!(name_of("Legal line"), "Legal line (per owner pair) [approximate]");
    assert_eq!(name_of("De facto control"), "De facto control [illustrative]");
    assert_eq!(name_of("Gaps"), "Gaps (legal owner × controller) [illustrative]");
    assert_eq!(name_of("Settlements"), "Settlements", "the settlements are GeoNames, observed");
    // With the control layer called observed, its layer says nothing, and
    // the legal layer's tag is unchanged.
    let r = run(delimit().current_dir(dir.path()).args(["qgis", "-o", "q2", "--status", "control=observed"]));
    assert!(r.code == 0 || r.code == 1, "{}", r.stderr);
    let qgs2 = std::fs::read_to_string(dir.path().join("q2/delimit.qgs")).unwrap();
    assert!(qgs2.contains("<layername>De facto control</layername>"), "control tagged by another input's status");
    assert!(qgs2.contains("<layername>Legal basis [approximate]</layername>"));
    let gpkg = std::fs::read(dir.path().join("q/delimit.gpkg")).unwrap();
    let needle = br#""status":"illustrative""#;
    assert!(gpkg.windows(needle.len()).any(|w| w == needle), "the GeoPackage's provenance lacks the status");
}

/// `--status` overrides a file's: the sample control called observed says
/// nothing, and a user file called approximate says so.
#[test]
fn the_status_flag_overrides_the_file() {
    let v = json(&["gaps", "--status", "control=observed", "--status", "legal=observed"]);
    assert_eq!(v["provenance"]["status"], "observed", "{}", v["provenance"]);
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(crate::util::root().join("data/control-osm2024.geojson"), dir.path().join("c.geojson")).unwrap();
    let r = run(delimit().current_dir(dir.path()).args([
        "gaps",
        "--control",
        "c.geojson",
        "--status",
        "control=approximate",
    ]));
    assert!(r.stdout.contains("note: APPROXIMATE input control (c.geojson)"), "{}", r.stdout);
    let bad = run(delimit().args(["gaps", "--status", "control=guessed"]));
    assert_eq!(bad.code, 2);
    assert!(bad.stderr.contains("unknown status `guessed`"), "{}", bad.stderr);
}

fn village(q: &[&str]) -> String {
    let r = run(delimit().arg("village").args(q));
    assert_eq!(r.code, 0, "{q:?}: {}", r.stderr);
    r.stdout
}

#[test]
fn village_answers_state_no_false_facts() {
    // Shusha: no invented date, no placeholder code.
    let s = village(&["Shusha"]);
    assert!(s.contains("control:      AZE (feature control-AZE-mainland) (illustrative sample, no date)"), "{s}");
    assert!(!s.contains("as of 2017") && !s.contains("AZ-X01"), "{s}");
    assert!(s.contains("province:     Şuşa\n"), "{s}");
    // Karki: the missing exclave is said, with its citation.
    let k = village(&["Karki"]);
    assert!(k.contains("NOTE:         Karki (Tigranashen) was a Soviet-era exclave"), "{k}");
    assert!(k.contains("en Wikipedia \"Karki, Azerbaijan\""), "{k}");
    // Lachin: the town is 1.9 km inside Natural Earth's Şuşa, whose
    // boundary is good to about 5 km: both units are named.
    let l = village(&["Lachin"]);
    assert!(l.contains("province:     Şuşa (AZ-SUS)\n                or Laçın, 1,914 m away: within the admin layer's accuracy of about 5,080 m"), "{l}");
    // Agarak on the Iran border lies outside the coarse admin layer: the nearest unit.
    let a = village(&["175008"]);
    assert!(a.contains("province:     Syunik (AM-SU)\n                nearest unit,"), "{a}");
    // Voskepar: the nearest other-held area says whose it is and who holds it.
    let v = village(&["Voskepar"]);
    assert!(v.contains("nearest gap:  g05a23070bc: AZE's legal territory held by ARM"), "{v}");
    assert!(!v.contains("Exact"), "{v}");
}

/// Without constraints, `corridor measure` measures and states no verdict.
#[test]
fn corridor_without_constraints_states_no_verdict() {
    let routes = crate::util::root().join("data/routes.geojson");
    let r = run(delimit().args(["corridor", "measure", "--routes"]).arg(&routes));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(!r.stdout.contains("FAIL") && !r.stdout.contains("PASS"), "{}", r.stdout);
    let v = json(&["corridor", "measure", "--routes", routes.to_str().unwrap()]);
    assert!(v["routes"].as_array().unwrap().iter().all(|r| r["verdicts"].as_array().unwrap().is_empty()), "{v}");
}
