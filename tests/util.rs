//! Helpers shared by the CLI tests.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

/// The repository root (where Cargo.toml is).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A fixture path under `fixtures/`.
pub fn fixture(rel: &str) -> PathBuf {
    root().join("fixtures").join(rel)
}

/// The delimit binary, run from a temporary folder so nothing leaks into the repo.
/// `DELIMIT_TEST_BIN` runs the suite against another build instead (to
/// show that a new test fails on the code before a fix).
pub fn delimit() -> Command {
    match std::env::var_os("DELIMIT_TEST_BIN") {
        Some(bin) => Command::new(bin),
        None => Command::cargo_bin("delimit").expect("binary built"),
    }
}

/// The output of a run, decoded.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

pub fn run(cmd: &mut Command) -> Run {
    let out = cmd.output().expect("delimit runs");
    Run {
        code: out.status.code().expect("exited, not killed by a signal"),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Files in a folder, sorted, hidden temporaries included.
pub fn listing(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    v.sort();
    v
}

/// An external tool the tests compare against; `make deps` installs it.
pub fn require_tool(name: &str) {
    let found = std::process::Command::new("sh")
        .args(["-c", &format!("command -v {name}")])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    assert!(found, "`{name}` is needed by this test; `make deps` installs it (gdal-bin, proj-bin)");
}

/// A fresh folder under target/artefacts/ that outlives the test, for what
/// CI keeps and a person looks at (rendered maps, screenshots).
pub fn artefacts(name: &str) -> PathBuf {
    let d = root().join("target").join("artefacts").join(name);
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// `--legal`, `--control` and `--settlements` pointing at the fixtures
/// whose owner, controller and a settlement are named like markup.
pub fn hostile_inputs() -> Vec<String> {
    ["legal", "control", "settlements"]
        .iter()
        .flat_map(|n| [format!("--{n}"), fixture(&format!("report/hostile-{n}.geojson")).display().to_string()])
        .collect()
}

/// `ogrinfo -al -ro` of a file without its first line (which names the
/// file): the content, for comparing two outputs.
pub fn ogrinfo_listing(path: &Path) -> String {
    require_tool("ogrinfo");
    let o = std::process::Command::new("ogrinfo").args(["-al", "-ro"]).arg(path).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).lines().skip(1).collect::<Vec<_>>().join("\n")
}

/// Run a Python peer (tests/peers/*.py) with the hash-pinned packages that
/// `make test-deps` installs into target/peers; one JSON object per line.
pub fn python_peer(script: &str, args: &[&std::ffi::OsStr]) -> Vec<serde_json::Value> {
    let out = std::process::Command::new("/usr/bin/python3")
        .arg(root().join("tests/peers").join(script))
        .args(args)
        .env("PYTHONPATH", root().join("target/peers"))
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "{script} failed (`make test-deps` installs shapely and pyproj into target/peers): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}
