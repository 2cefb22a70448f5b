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
