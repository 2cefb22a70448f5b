//! The command line itself: shell completions and man pages.

use crate::util::{delimit, run};

#[test]
fn bash_completions_parse_and_name_every_command() {
    let r = run(delimit().args(["completions", "bash"]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("delimit.bash");
    std::fs::write(&f, &r.stdout).unwrap();
    let check = std::process::Command::new("bash").arg("-n").arg(&f).output().unwrap();
    assert!(check.status.success(), "bash -n: {}", String::from_utf8_lossy(&check.stderr));
    for cmd in ["gaps", "village", "corridor", "completions", "man"] {
        assert!(r.stdout.contains(cmd), "{cmd} missing");
    }
    for shell in ["zsh", "fish", "powershell"] {
        let r = run(delimit().args(["completions", shell]));
        assert_eq!(r.code, 0, "{shell}: {}", r.stderr);
        assert!(r.stdout.contains("gaps"), "{shell}");
    }
    assert_eq!(run(delimit().args(["completions", "tcsh"])).code, 2);
}

#[test]
fn man_pages_render_with_man() {
    crate::util::require_tool("man");
    let dir = tempfile::tempdir().unwrap();
    let r = run(delimit().arg("man").arg(dir.path()));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let mut pages: Vec<String> =
        std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    pages.sort();
    assert!(pages.contains(&"delimit.1".to_string()) && pages.contains(&"delimit-gaps.1".to_string()), "{pages:?}");
    for page in ["delimit.1", "delimit-gaps.1", "delimit-village.1"] {
        let out = std::process::Command::new("man")
            .arg("-l")
            .arg(dir.path().join(page))
            .env("MANPAGER", "cat")
            .env("MANWIDTH", "100")
            .output()
            .unwrap();
        assert!(out.status.success(), "{page}: {}", String::from_utf8_lossy(&out.stderr));
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("NAME") && text.contains("OPTIONS"), "{page}: {text}");
    }
    let village = std::process::Command::new("man")
        .arg("-l")
        .arg(dir.path().join("delimit-village.1"))
        .env("MANPAGER", "cat")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&village.stdout).contains("--file"));
    // Issue 30 §9: every page a page names exists, and each has the global
    // options, EXIT STATUS, EXAMPLES and a SYNOPSIS that is a command line.
    for want in
        ["delimit-corridor-measure.1", "delimit-corridor-route.1", "delimit-data-export.1", "delimit-data-list.1"]
    {
        assert!(pages.contains(&want.to_string()), "no {want}: {pages:?}");
    }
    for page in &pages {
        let out = std::process::Command::new("man")
            .arg("-l")
            .arg(dir.path().join(page))
            .env("MANPAGER", "cat")
            .env("MANWIDTH", "200")
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        for r in text.split_whitespace().filter(|w| w.starts_with("delimit-") && w.contains("(1)")) {
            let named =
                format!("{}.1", r.trim_end_matches(|c: char| !c.is_alphanumeric() && c != ')').trim_end_matches("(1)"));
            assert!(pages.contains(&named), "{page} names {r}, which has no page");
        }
        for section in ["EXIT STATUS", "EXAMPLES", "--max-memory", "--quiet"] {
            assert!(text.contains(section), "{page}: no {section}");
        }
        let command = page.trim_end_matches(".1").replace('-', " ");
        // man sets the synopsis with wide spaces: compared word by word.
        let synopsis: String =
            text.split("SYNOPSIS").nth(1).unwrap_or_default().split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(
            synopsis.starts_with(&command),
            "{page}: SYNOPSIS is not `{command} …`: {}",
            &synopsis[..synopsis.len().min(120)]
        );
    }
    // A second run without --force refuses to replace the pages.
    assert_eq!(run(delimit().arg("man").arg(dir.path())).code, 2);
    // Without a folder, the top page goes to stdout.
    let r = run(delimit().arg("man"));
    assert!(
        r.stdout.starts_with(".ie") || r.stdout.contains(".TH delimit"),
        "{}",
        &r.stdout[..r.stdout.len().min(200)]
    );
}

#[test]
fn quiet_leaves_stderr_empty_and_verbose_names_the_inputs() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("g.geojson");
    let r = run(delimit().args(["gaps", "--quiet", "-o"]).arg(&out));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(out.exists());
    assert_eq!(r.stderr, "", "--quiet prints nothing on stderr but errors");
    assert!(r.stdout.contains("conservation:"), "the results still go to stdout");

    let out2 = dir.path().join("g2.geojson");
    let r = run(delimit().args(["-v", "gaps", "-o"]).arg(&out2));
    assert_eq!(r.code, 0, "{}", r.stderr);
    for want in [
        "read embedded:data/legal.geojson as legal: 9 features",
        "read embedded:data/control.geojson as control",
        "wrote ",
        "done in ",
    ] {
        assert!(r.stderr.contains(want), "{want} missing: {}", r.stderr);
    }
    // An error is still printed under --quiet.
    let r = run(delimit().args(["gaps", "-q", "--legal", "/nonexistent.geojson"]));
    assert_eq!(r.code, 2);
    assert!(r.stderr.starts_with("error:"), "{}", r.stderr);
    assert_eq!(run(delimit().args(["gaps", "-q", "-v"])).code, 2, "--quiet and -v conflict");
}

/// Issue 30 §8, one convention everywhere: `--pair A,B` in every command,
/// `wrote …` on stderr from `report` and `qgis` too, `data export DIR`
/// creates DIR, and the gaps table names its sliver columns apart.
#[test]
fn one_convention_in_every_command() {
    let dir = tempfile::tempdir().unwrap();
    // --pair A,B and A|B give the same lines.
    let comma = run(delimit().args(["lines", "--json", "--pair", "ARM,AZE"]));
    let bar = run(delimit().args(["lines", "--json", "--pair", "ARM|AZE"]));
    assert_eq!(comma.code, 0, "{}", comma.stderr);
    assert_eq!(comma.stdout, bar.stdout);
    let v: serde_json::Value = serde_json::from_str(&comma.stdout).unwrap();
    assert_eq!(v["pairs"].as_array().unwrap().len(), 1);
    // What was written goes to stderr.
    let r = run(delimit().current_dir(dir.path()).args(["report", "-o", "r.html"]));
    assert!(r.code == 0 || r.code == 1, "{}", r.stderr);
    assert!(r.stderr.contains("wrote r.html ("), "{}", r.stderr);
    assert!(!r.stdout.contains("wrote "), "{}", r.stdout);
    let r = run(delimit().current_dir(dir.path()).args(["qgis", "-o", "q"]));
    assert!(r.code == 0 || r.code == 1, "{}", r.stderr);
    assert!(r.stderr.contains("wrote q/delimit.gpkg and q/delimit.qgs"), "{}", r.stderr);
    assert!(!r.stdout.contains("wrote "), "{}", r.stdout);
    // data export makes its folder, and refuses a file in its place.
    let r = run(delimit().current_dir(dir.path()).args(["data", "export", "new/sub"]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(dir.path().join("new/sub/SOURCES.md").is_file());
    std::fs::write(dir.path().join("afile"), "x").unwrap();
    let r = run(delimit().current_dir(dir.path()).args(["data", "export", "afile"]));
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("exists and is not a folder") && r.stderr.contains("hint:"), "{}", r.stderr);
    // A legal layer far from the sample region gets no sample settlements,
    // and the run says so.
    std::fs::write(
        dir.path().join("far.geojson"),
        r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"owner":"A","controller":"A"},"geometry":{"type":"Polygon","coordinates":[[[10,10],[11,10],[11,11],[10,11],[10,10]]]}}]}"#,
    )
    .unwrap();
    let r = run(delimit().current_dir(dir.path()).args([
        "gaps",
        "--json",
        "--legal",
        "far.geojson",
        "--control",
        "far.geojson",
    ]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(!r.stdout.contains("settlements.geojson"), "{}", r.stdout);
    assert!(r.stderr.contains("embedded:data/settlements.geojson lies outside the legal layer"), "{}", r.stderr);
    // The gaps table: slivers are counted in their own columns only.
    let r = run(delimit().arg("gaps"));
    assert!(r.stdout.contains("pieces (not slivers)") && r.stdout.contains("sliver pieces"), "{}", r.stdout);
}

/// Issue 30 §9: in `--help`, a command's own options come first, the
/// legal-lines options under their own heading, and the global options in
/// their own section last; `-h` stays short.
#[test]
fn help_lists_the_global_options_last_in_their_own_section() {
    for cmd in [vec!["gaps"], vec!["lines"], vec!["corridor", "measure"], vec!["village"]] {
        let r = run(delimit().args(&cmd).arg("--help"));
        assert_eq!(r.code, 0, "{}", r.stderr);
        let headings: Vec<&str> = r
            .stdout
            .lines()
            .filter(|l| l.ends_with(':') && l.len() < 30 && l.starts_with(|c: char| c.is_ascii_uppercase()))
            .collect();
        // Positional arguments, then the command's own options, first.
        let own = headings.iter().position(|h| *h == "Options:");
        assert!(own.is_some_and(|i| headings[..i].iter().all(|h| *h == "Arguments:")), "{cmd:?}: {headings:?}");
        assert_eq!(headings.last(), Some(&"Global options:"), "{cmd:?}: {headings:?}");
        let global = r.stdout.split("Global options:").nth(1).unwrap();
        for flag in ["--quiet", "--verbose", "--max-memory", "--progress"] {
            assert!(global.contains(flag), "{cmd:?}: {flag} not under Global options");
        }
        let short = run(delimit().args(&cmd).arg("-h"));
        assert!(short.stdout.lines().count() < r.stdout.lines().count(), "{cmd:?}: -h is not shorter than --help");
    }
    // The top command keeps its description above the usage.
    let top = run(delimit().arg("--help"));
    assert!(top.stdout.starts_with("Measured geometry for land-boundary delimitation."), "{}", top.stdout);
    let r = run(delimit().args(["gaps", "--help"]));
    let lines = r.stdout.split("Legal basis as lines:").nth(1).expect("a legal-lines heading");
    assert!(lines.split("Output:").next().unwrap().contains("--legal-lines"), "{}", r.stdout);
}
