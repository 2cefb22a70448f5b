//! Same inputs and flags, same bytes: every writer, run twice with one
//! thread and twice with two.

use std::path::Path;

use crate::util::{delimit, fixture, ogrinfo_listing, run};

/// Run `args` (with `{out}` standing for the output path) four times, with
/// RAYON_NUM_THREADS 1, 2, 1, 2, and return what `read` makes of each output.
fn four_runs(name: &str, args: &[&str], read: impl Fn(&Path) -> Vec<u8>) -> Vec<Vec<u8>> {
    let dir = tempfile::tempdir().unwrap();
    ["1", "2", "1", "2"]
        .iter()
        .enumerate()
        .map(|(i, threads)| {
            let out = dir.path().join(format!("{i}-{name}"));
            let out_s = out.display().to_string();
            let args: Vec<String> = args.iter().map(|a| a.replace("{out}", &out_s)).collect();
            let r = run(delimit().env("RAYON_NUM_THREADS", threads).args(&args));
            assert!(r.code == 0 || r.code == 1, "{name}: {}", r.stderr);
            let mut bytes = r.stdout.into_bytes();
            bytes.extend(read(&out));
            bytes
        })
        .collect()
}

fn same(name: &str, outs: &[Vec<u8>]) {
    assert!(
        outs.len() == 4 && outs.windows(2).all(|w| w[0] == w[1]),
        "{name}: outputs differ between runs or thread counts"
    );
}

fn bytes(p: &Path) -> Vec<u8> {
    std::fs::read(p).unwrap()
}

#[test]
fn gaps_lines_and_corridor_are_byte_identical() {
    same("gaps", &four_runs("gaps.geojson", &["gaps", "--all", "--json", "-o", "{out}"], bytes));
    same("lines", &four_runs("runs.geojson", &["lines", "--json", "-o", "{out}"], bytes));
    same("corridor", &four_runs("corridor.geojson", &["corridor", "measure", "--json", "-o", "{out}"], bytes));
}

/// The two halves of the bidirectional search run on two threads whatever
/// RAYON_NUM_THREADS says; their meetings are scheduled so that the paths
/// do not depend on timing.
#[test]
fn least_cost_routes_are_byte_identical() {
    let (c, l, k) = (
        fixture("corridor/barrier.toml"),
        fixture("corridor/barrier-legal.geojson"),
        fixture("corridor/barrier-control.geojson"),
    );
    let (c, l, k) = (c.to_str().unwrap(), l.to_str().unwrap(), k.to_str().unwrap());
    let args = [
        "corridor",
        "route",
        "--json",
        "--from",
        "40.0,45.05",
        "--to",
        "40.0,45.25",
        "--cell",
        "100",
        "--margin-km",
        "12",
        "--alternatives",
        "3",
        "--constraints",
        c,
        "--legal",
        l,
        "--control",
        k,
        "-o",
        "{out}",
    ];
    same("corridor route", &four_runs("routes.geojson", &args, bytes));
}

#[test]
fn village_batches_are_byte_identical() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("points.csv");
    std::fs::write(&csv, "name,lat,lon\nVoskepar,,\nMeghri,,\nArtsvashen,,\na point,40.5,45.5\nQazax,,\n").unwrap();
    let csv = csv.display().to_string();
    same("village", &four_runs("village.geojson", &["village", "--json", "--file", &csv, "--geojson", "{out}"], bytes));
}

#[test]
fn qgis_projects_and_packages_are_byte_identical() {
    let outs = four_runs("q", &["qgis", "--json", "-o", "{out}"], |dir| {
        // The project byte for byte; the GeoPackage by its content listing
        // (SQLite pages may be laid out differently for the same content).
        let mut v = bytes(&dir.join("delimit.qgs"));
        v.extend(ogrinfo_listing(&dir.join("delimit.gpkg")).into_bytes());
        v
    });
    // --json prints the output paths, which differ by run: compare the rest.
    let strip = |b: &Vec<u8>| {
        let s = String::from_utf8_lossy(b).into_owned();
        s.lines()
            .filter(|l| !l.contains("\"gpkg\"") && !l.contains("\"project\""))
            .collect::<Vec<_>>()
            .join("\n")
            .into_bytes()
    };
    same("qgis", &outs.iter().map(strip).collect::<Vec<_>>());
}
