//! `delimit changes` on synthetic series written into a temporary folder:
//! the inputs' three forms, partial snapshots, the outputs and the errors.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::util::*;

/// A legal basis: A west of 45.1°E, B east of it (45.0–45.2°E, 40.0–40.1°N).
fn legal(dir: &Path) -> PathBuf {
    let p = dir.join("legal.geojson");
    std::fs::write(&p, fc("owner", &[("A", 45.0, 45.1, None), ("B", 45.1, 45.2, None)])).unwrap();
    p
}

/// A FeatureCollection of boxes spanning 40.0–40.1°N: (key, x0, x1, date).
fn fc(field: &str, boxes: &[(&str, f64, f64, Option<&str>)]) -> String {
    let fs: Vec<String> = boxes
        .iter()
        .map(|(k, x0, x1, d)| {
            let mut parts: Vec<String> = Vec::new();
            if !k.is_empty() {
                parts.push(format!(r#""{field}":"{k}""#));
            }
            if let Some(d) = d {
                parts.push(format!(r#""as_of":"{d}""#));
            }
            let props = format!("{{{}}}", parts.join(","));
            format!(
                r#"{{"type":"Feature","properties":{props},"geometry":{{"type":"Polygon","coordinates":[[[{x0},40.0],[{x1},40.0],[{x1},40.1],[{x0},40.1],[{x0},40.0]]]}}}}"#
            )
        })
        .collect();
    format!(r#"{{"type":"FeatureCollection","features":[{}]}}"#, fs.join(","))
}

/// The front at `x`: A holds west of it, B east.
fn front(dir: &Path, name: &str, x: f64, date: Option<&str>) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, fc("controller", &[("A", 45.0, x, date), ("B", x, 45.2, date)])).unwrap();
    p
}

/// `changes` between two dated control files, written to `out`.
fn two_dates(legal: &Path, a: &Path, b: &Path, out: &Path, extra: &[&str]) -> Run {
    run(delimit()
        .args(["changes", "--no-settlements"])
        .args(extra)
        .arg("--legal")
        .arg(legal)
        .arg("--control")
        .arg(a)
        .arg("--control")
        .arg(b)
        .arg("-o")
        .arg(out))
}

fn json_run(args: &[&std::ffi::OsStr]) -> Value {
    let r = run(delimit().args(["changes", "--json", "--no-settlements"]).args(args));
    assert_eq!(r.code, 0, "{}", r.stderr);
    serde_json::from_str(&r.stdout).unwrap()
}

fn km2(x0: f64, x1: f64) -> f64 {
    delimit::measure::polygon_area_m2(
        &geo::Rect::new(geo::coord! { x: x0, y: 40.0 }, geo::coord! { x: x1, y: 40.1 }).to_polygon(),
    ) / 1e6
}

fn row<'a>(v: &'a Value, from: &str, owner: &str, party: &str) -> &'a Value {
    v["periods"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["from_date"] == from && p["owner"] == owner && p["party"] == party)
        .unwrap_or_else(|| panic!("no row {from} {owner} {party}: {v}"))
}

/// The same series given three ways gives the same periods; a square of
/// front moving east 1 km a day crosses the legal boundary on day 3.
#[test]
fn a_front_moving_east_given_three_ways() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let legal = legal(d);
    let xs = [45.08, 45.09, 45.1, 45.11];
    std::fs::create_dir(d.join("series")).unwrap();
    let mut files = Vec::new();
    let mut one = Vec::new();
    for (k, x) in xs.iter().enumerate() {
        let date = format!("2024-01-0{}", k + 1);
        files.push(front(d, &format!("front-{k}.geojson"), *x, Some(&date)));
        front(&d.join("series"), &format!("front_{}.geojson", date.replace('-', "")), *x, None);
        one.push(("A", 45.0, *x, date.clone()));
        one.push(("B", *x, 45.2, date));
    }
    let single = d.join("single.geojson");
    let boxes: Vec<(&str, f64, f64, Option<&str>)> =
        one.iter().map(|(k, a, b, s)| (*k, *a, *b, Some(s.as_str()))).collect();
    std::fs::write(&single, fc("controller", &boxes)).unwrap();

    let mut a: Vec<&std::ffi::OsStr> = vec!["--legal".as_ref(), legal.as_os_str()];
    for f in &files {
        a.push("--control".as_ref());
        a.push(f.as_os_str());
    }
    let by_control = json_run(&a);
    let glob = format!("{}/series/front_*.geojson", d.display());
    let by_glob = json_run(&["--legal".as_ref(), legal.as_os_str(), "--series".as_ref(), glob.as_ref()]);
    let by_field = json_run(&["--legal".as_ref(), legal.as_os_str(), "--series".as_ref(), single.as_os_str()]);
    assert_eq!(by_glob["dates"][0]["from"], "file name", "{}", by_glob["dates"]);
    assert_eq!(by_field["dates"][0]["from"], "field as_of");
    for v in [&by_control, &by_glob, &by_field] {
        assert_eq!(v["dates"].as_array().unwrap().len(), 4);
        for (k, owner) in [(0, "A"), (1, "A"), (2, "B")] {
            let from = format!("2024-01-0{}", k + 1);
            let r = row(v, &from, owner, "A");
            let want = km2(xs[k], xs[k + 1]);
            let got = r["gained_km2"].as_f64().unwrap();
            assert!((got - want).abs() < 1e-9 * want.max(1.0) * 100.0, "{from}: gained {got} vs {want}");
            assert!((r["gained_from"]["B"].as_f64().unwrap() - want).abs() < 1e-6);
            let identity = r["held_before_km2"].as_f64().unwrap() + got - r["lost_km2"].as_f64().unwrap();
            assert!((r["held_after_km2"].as_f64().unwrap() - identity).abs() < 1e-6, "{r}");
        }
        assert!(v["identity"]["worst"].as_f64().unwrap() <= 1e-9);
    }
    // The held series: B's legal territory held by A appears on day 4.
    let held = by_field["held"].as_array().unwrap();
    let b_by_a = held.iter().find(|h| h["date"] == "2024-01-04" && h["owner"] == "B" && h["party"] == "A").unwrap();
    assert!((b_by_a["km2"].as_f64().unwrap() - km2(45.1, 45.11)).abs() < 1e-6);

    // -o: one feature per changed piece; --csv-series: the held series.
    let out = d.join("changes.geojson");
    let csv = d.join("held.csv");
    let r = run(delimit()
        .args(["changes", "--no-settlements", "--legal"])
        .arg(&legal)
        .arg("--series")
        .arg(&single)
        .arg("-o")
        .arg(&out)
        .arg("--csv-series")
        .arg(&csv));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("held series") && r.stdout.contains("identity"), "{}", r.stdout);
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let fs = v["features"].as_array().unwrap();
    assert_eq!(fs.len(), 3, "{v}");
    for f in fs {
        let p = &f["properties"];
        for k in [
            "id",
            "from_date",
            "to_date",
            "owner",
            "legal_unit",
            "controller_before",
            "controller_after",
            "area_km2",
            "width_m",
            "sliver",
            "settlements",
        ] {
            assert!(p.get(k).is_some(), "{k} missing: {p}");
        }
        assert_eq!((p["controller_before"].as_str(), p["controller_after"].as_str()), (Some("B"), Some("A")));
    }
    let text = std::fs::read_to_string(&csv).unwrap();
    assert!(text.starts_with("date,owner,party,km2\n") && text.lines().count() > 8, "{text}");

    // --between skips the days between; --since drops the first.
    let v = json_run(&[
        "--legal".as_ref(),
        legal.as_os_str(),
        "--series".as_ref(),
        single.as_os_str(),
        "--between".as_ref(),
        "2024-01-01".as_ref(),
        "2024-01-04".as_ref(),
    ]);
    assert_eq!(v["dates"].as_array().unwrap().len(), 2);
    let total: f64 = v["periods"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["party"] == "A")
        .map(|p| p["gained_km2"].as_f64().unwrap())
        .sum();
    assert!((total - km2(45.08, 45.11)).abs() < 1e-6, "{total}");
    let v = json_run(&[
        "--legal".as_ref(),
        legal.as_os_str(),
        "--series".as_ref(),
        single.as_os_str(),
        "--since".as_ref(),
        "2024-01-02".as_ref(),
    ]);
    assert_eq!(v["dates"].as_array().unwrap().len(), 3);
}

/// A partial snapshot: one polygon, no fields. --controller names its
/// holder, and --rest owner (an assumption, said so) gives the rest to its
/// legal owner.
#[test]
fn partial_snapshots_take_a_controller_and_state_the_rest_assumption() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let legal = legal(d);
    let write = |name: &str, x: f64| {
        let p = d.join(name);
        std::fs::write(&p, fc("controller", &[("", 45.0, x, None)])).unwrap();
        p
    };
    let (a, b) = (write("a_2024-03-01.geojson", 45.1), write("a_2024-03-08.geojson", 45.13));
    let r = run(delimit()
        .args(["changes", "--no-settlements", "--controller", "A", "--rest", "owner", "--legal"])
        .arg(&legal)
        .args(["--control".as_ref(), a.as_os_str(), "--control".as_ref(), b.as_os_str()]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("ASSUMPTION --rest owner"), "{}", r.stdout);
    let v = json_run(&[
        "--controller".as_ref(),
        "A".as_ref(),
        "--rest".as_ref(),
        "owner".as_ref(),
        "--legal".as_ref(),
        legal.as_os_str(),
        "--control".as_ref(),
        a.as_os_str(),
        "--control".as_ref(),
        b.as_os_str(),
    ]);
    assert!(v["assumption"].as_str().unwrap().contains("assumption"));
    let r = row(&v, "2024-03-01", "B", "A");
    assert!((r["gained_km2"].as_f64().unwrap() - km2(45.1, 45.13)).abs() < 1e-6);
    assert!(r["gained_from"].get("B").is_some(), "{r}");
}

fn f_name(p: &Path) -> String {
    p.file_name().unwrap().to_string_lossy().into_owned()
}

#[test]
fn undated_duplicate_and_empty_snapshots_are_refused_naming_the_files() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let legal = legal(d);
    let undated = front(d, "front.geojson", 45.1, None);
    let dated = front(d, "front_2024-01-01.geojson", 45.1, None);
    let same = front(d, "other.geojson", 45.12, Some("2024-01-01"));
    let empty = d.join("empty_2024-02-01.geojson");
    std::fs::write(&empty, r#"{"type":"FeatureCollection","features":[]}"#).unwrap();
    for (files, want) in [
        (vec![&undated, &dated], "has no date"),
        (vec![&dated, &same], "two snapshots are dated 2024-01-01"),
        (vec![&dated, &empty], "has no features"),
    ] {
        let mut cmd = delimit();
        cmd.args(["changes", "--legal"]).arg(&legal);
        for f in &files {
            cmd.arg("--control").arg(f);
        }
        let r = run(&mut cmd);
        assert_eq!(r.code, 2, "{}", r.stderr);
        assert!(r.stderr.contains(want), "{want}: {}", r.stderr);
        assert!(r.stderr.starts_with("error:") && files.iter().any(|f| r.stderr.contains(&f_name(f))), "{}", r.stderr);
    }
}

/// A snapshot in another CRS is transformed on load, with its operation
/// recorded, and compares with one in lon/lat.
#[test]
fn a_snapshot_in_another_crs_works_with_its_operation_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let legal = legal(d);
    let a = front(d, "front_2024-01-01.geojson", 45.1, None);
    let b = front(d, "front_2024-01-02.geojson", 45.12, None);
    let utm = d.join("front_utm_2024-01-02.gpkg");
    require_tool("ogr2ogr");
    let st = std::process::Command::new("ogr2ogr").args(["-t_srs", "EPSG:32638"]).arg(&utm).arg(&b).status().unwrap();
    assert!(st.success());
    let plain = json_run(&[
        "--legal".as_ref(),
        legal.as_os_str(),
        "--control".as_ref(),
        a.as_os_str(),
        "--control".as_ref(),
        b.as_os_str(),
    ]);
    let v = json_run(&[
        "--legal".as_ref(),
        legal.as_os_str(),
        "--control".as_ref(),
        a.as_os_str(),
        "--control".as_ref(),
        utm.as_os_str(),
    ]);
    let inputs = v["provenance"]["inputs"].as_array().unwrap();
    assert!(
        inputs
            .iter()
            .any(|i| i["source_crs"].as_str().unwrap_or_default().contains("32638") && !i["operation"].is_null()),
        "{inputs:?}"
    );
    let g = |v: &Value| row(v, "2024-01-01", "B", "A")["gained_km2"].as_f64().unwrap();
    // Round trip through UTM: the same area to well under a square metre.
    assert!((g(&v) - g(&plain)).abs() < 1e-6, "{} vs {}", g(&v), g(&plain));
}

/// A line redigitised 20 m east between two snapshots: every changed piece
/// is a sliver (narrower than the 100 m tolerance), classified, not dropped.
#[test]
fn a_redigitised_line_moving_20_m_gives_slivers_only() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let legal = legal(d);
    // 20 m of longitude at 40°N.
    let dx = 20.0 / (111_320.0 * 40f64.to_radians().cos());
    let a = front(d, "f_2024-05-01.geojson", 45.1, None);
    let b = front(d, "f_2024-05-02.geojson", 45.1 + dx, None);
    let out = d.join("c.geojson");
    let r = two_dates(&legal, &a, &b, &out, &["--tolerance-m", "100"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let fs = v["features"].as_array().unwrap();
    assert!(!fs.is_empty());
    for f in fs {
        let p = &f["properties"];
        assert_eq!(p["sliver"], true, "{p}");
        assert!((p["width_m"].as_f64().unwrap() - 20.0).abs() < 1.0, "{p}");
    }
}

/// The same inputs give byte-identical outputs with 1 or 2 threads.
#[test]
fn changes_are_byte_identical_across_thread_counts() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let legal = legal(d);
    let files: Vec<PathBuf> = [45.07, 45.1, 45.13]
        .iter()
        .enumerate()
        .map(|(k, x)| front(d, &format!("f_2024-06-0{}.geojson", k + 1), *x, None))
        .collect();
    let mut outs = Vec::new();
    for (i, threads) in ["1", "2", "1", "2"].iter().enumerate() {
        let (o, c) = (d.join(format!("c{i}.geojson")), d.join(format!("h{i}.csv")));
        let mut cmd = delimit();
        cmd.env("RAYON_NUM_THREADS", threads).args(["changes", "--legal"]).arg(&legal);
        for f in &files {
            cmd.arg("--control").arg(f);
        }
        let r = run(cmd.arg("-o").arg(&o).arg("--csv-series").arg(&c));
        assert_eq!(r.code, 0, "{}", r.stderr);
        outs.push((std::fs::read(&o).unwrap(), std::fs::read(&c).unwrap(), r.stdout));
    }
    assert!(outs.windows(2).all(|w| w[0] == w[1]), "outputs differ between thread counts");
}

/// `gaps --as-of DATE --series …` overlays the snapshot in force at DATE:
/// the latest on or before it, named in the summary; before the first, a
/// usage error.
#[test]
fn gaps_as_of_takes_the_snapshot_in_force() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let legal = legal(d);
    std::fs::create_dir(d.join("series")).unwrap();
    for (date, x) in [("20240101", 45.08), ("20240110", 45.12)] {
        front(&d.join("series"), &format!("front_{date}.geojson"), x, None);
    }
    let glob = d.join("series").join("front_*.geojson");
    let held = |as_of: &str| -> (f64, Value) {
        let r = run(delimit()
            .args(["gaps", "--json", "--no-settlements", "--legal"])
            .arg(&legal)
            .arg("--series")
            .arg(&glob)
            .args(["--as-of", as_of]));
        assert_eq!(r.code, 0, "{}", r.stderr);
        let v: Value = serde_json::from_str(&r.stdout).unwrap();
        let km2: f64 = v["summary"]["rows"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["class"] == "held_by_other")
            .map(|r| r["km2"].as_f64().unwrap())
            .sum();
        (km2, v["summary"]["snapshot"].clone())
    };
    // On 2024-01-09 the first snapshot is in force: B holds 45.08–45.1 of A's.
    let (k, snap) = held("2024-01-09");
    assert!((k - km2(45.08, 45.1)).abs() < 1e-5, "{k} {snap}");
    assert_eq!(snap["snapshot"], "2024-01-01");
    assert_eq!(snap["date_from"], "file name");
    // From 2024-01-10 on, the second: A holds 45.1–45.12 of B's.
    let (k, snap) = held("2024-03-01");
    assert!((k - km2(45.1, 45.12)).abs() < 1e-5, "{k} {snap}");
    assert_eq!(snap["snapshot"], "2024-01-10");
    let r = run(delimit()
        .args(["gaps", "--no-settlements", "--legal"])
        .arg(&legal)
        .arg("--series")
        .arg(&glob)
        .args(["--as-of", "2023-12-31"]));
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("--as-of") && r.stderr.contains("2024-01-01"), "{}", r.stderr);
}

/// Each change names the admin-1 units it lies in.
#[test]
fn changes_name_their_admin1_units() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let legal = legal(d);
    let admin = d.join("admin1.geojson");
    std::fs::write(
        &admin,
        fc("country", &[("A", 45.0, 45.1, None), ("B", 45.1, 45.2, None)])
            .replacen(r#""country":"A""#, r#""country":"A","name":"West province""#, 1)
            .replacen(r#""country":"B""#, r#""country":"B","name":"East district""#, 1),
    )
    .unwrap();
    let (a, b) = (front(d, "f_2024-01-01.geojson", 45.08, None), front(d, "f_2024-01-02.geojson", 45.12, None));
    let out = d.join("changes.geojson");
    let r = run(delimit()
        .args(["changes", "--no-settlements", "--legal"])
        .arg(&legal)
        .arg("--control")
        .arg(&a)
        .arg("--control")
        .arg(&b)
        .arg("--admin1")
        .arg(&admin)
        .arg("-o")
        .arg(&out));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let names: Vec<(&str, &str)> = v["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["properties"]["owner"].as_str().unwrap(), f["properties"]["admin1"].as_str().unwrap()))
        .collect();
    assert!(names.contains(&("A", "West province")), "{names:?}");
    assert!(names.contains(&("B", "East district")), "{names:?}");
}

/// The README's example: the synthetic fixture series (fixtures/changes,
/// written by its make.py). Known answers for every period, and the
/// ILLUSTRATIVE status in the summary, the JSON and the written layer.
#[test]
fn the_fixture_series_gives_its_known_answers_and_says_it_is_illustrative() {
    let fx = crate::util::root().join("fixtures/changes");
    let glob = fx.join("series").join("front_*.geojson");
    let area = |x0: f64, y0: f64, x1: f64, y1: f64| {
        delimit::measure::polygon_area_m2(
            &geo::Rect::new(geo::coord! { x: x0, y: y0 }, geo::coord! { x: x1, y: y1 }).to_polygon(),
        ) / 1e6
    };
    let v =
        json_run(&["--legal".as_ref(), fx.join("legal.geojson").as_os_str(), "--series".as_ref(), glob.as_os_str()]);
    let gained = |from: &str, owner: &str| row(&v, from, owner, "A")["gained_km2"].as_f64().unwrap();
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * 100.0;
    assert!(close(gained("2024-01-01", "A"), km2(45.08, 45.09)), "{v}");
    assert!(close(gained("2024-02-01", "A"), area(45.09, 40.03, 45.1, 40.07)), "{v}");
    assert!(close(gained("2024-02-01", "B"), area(45.1, 40.03, 45.12, 40.07)), "{v}");
    assert_eq!(v["unchanged_periods"], 1);
    let statuses: Vec<&str> =
        v["provenance"]["inputs"].as_array().unwrap().iter().filter_map(|i| i["status"].as_str()).collect();
    assert!(statuses.len() >= 5 && statuses.iter().filter(|s| **s == "illustrative").count() >= 5, "{statuses:?}");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("changes.geojson");
    let r = run(delimit()
        .args(["changes", "--no-settlements", "--legal"])
        .arg(fx.join("legal.geojson"))
        .arg("--series")
        .arg(&glob)
        .arg("-o")
        .arg(&out));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let text = format!("{}{}", r.stdout, r.stderr);
    assert!(text.contains("ILLUSTRATIVE input control (4 files:"), "{text}");
    assert!(std::fs::read_to_string(&out).unwrap().contains("illustrative"), "the written layer does not say it");
}

/// Issue 30: snapshots whose control hole is stored counter-clockwise and
/// whose leftmost vertex V snapping turns into a zero-width spike (the
/// legal unit's top edge passes half a grid step below V and crosses V's
/// steep edge within a step of it) pass `changes`' own identity check, and
/// the hole A fills stays A's. Read as filled, the hole was contested A|B,
/// and the check failed (as on 3 of 4 periods of a real series).
#[test]
fn snapshots_with_counter_clockwise_holes_keep_the_identity() {
    let dir = tempfile::tempdir().unwrap();
    // The run's grid on the 66° box: 2^-23° a step.
    let step = 2f64.powi(-23);
    let ring = |pts: &[(f64, f64)]| {
        let v: Vec<String> = pts.iter().chain(std::iter::once(&pts[0])).map(|(x, y)| format!("[{x},{y}]")).collect();
        format!("[{}]", v.join(","))
    };
    let d = |deg: f64, r: f64| (30.0 + r * f64::to_radians(deg).cos(), -2.0 + r * f64::to_radians(deg).sin());
    // Counter-clockwise; V = (30, −2) leftmost, its edges at −60° and −30°.
    let spiky = [(30.0, -2.0), d(-60.0, 6.0), (38.0, -6.0), d(-30.0, 6.0)];
    let square = [(0.0, -33.0), (66.0, -33.0), (66.0, 33.0), (0.0, 33.0)];
    let second = [(25.0, -9.0), (26.0, -9.0), (26.0, -8.0), (25.0, -8.0)];
    let feature = |k: &str, rings: &[String]| {
        format!(
            r#"{{"type":"Feature","properties":{{"controller":"{k}"}},"geometry":{{"type":"Polygon","coordinates":[{}]}}}}"#,
            rings.join(",")
        )
    };
    let snapshot = |name: &str, holes: &[&[(f64, f64)]]| {
        let mut b = vec![ring(&square)];
        b.extend(holes.iter().map(|h| ring(h)));
        let mut fs = vec![feature("B", &b)];
        fs.extend(holes.iter().map(|h| feature("A", &[ring(h)])));
        std::fs::write(
            dir.path().join(name),
            format!(r#"{{"type":"FeatureCollection","features":[{}]}}"#, fs.join(",")),
        )
        .unwrap();
    };
    std::fs::create_dir(dir.path().join("series")).unwrap();
    snapshot("series/2024-01-01.geojson", &[&spiky]);
    snapshot("series/2024-02-01.geojson", &[&spiky, &second]);
    let legal = dir.path().join("legal.geojson");
    let unit = ring(&[(20.0, -10.0), (40.0, -10.0), (40.0, -2.0 - 0.5 * step), (20.0, -2.0 - 0.5 * step)]);
    std::fs::write(
        &legal,
        format!(
            r#"{{"type":"FeatureCollection","features":[{{"type":"Feature","properties":{{"owner":"A"}},"geometry":{{"type":"Polygon","coordinates":[{unit}]}}}}]}}"#
        ),
    )
    .unwrap();
    let glob = format!("{}/series/*.geojson", dir.path().display());
    // Exit 0: the identity check (last date whole against the first plus
    // every change) passed.
    let v = json_run(&["--legal".as_ref(), legal.as_os_str(), "--series".as_ref(), glob.as_ref()]);
    // Only the second hole changed hands, B → A; nothing was contested.
    let second_km2 = delimit::measure::polygon_area_m2(
        &geo::Rect::new(geo::coord! { x: 25.0, y: -9.0 }, geo::coord! { x: 26.0, y: -8.0 }).to_polygon(),
    ) / 1e6;
    let a = row(&v, "2024-01-01", "A", "A");
    assert!((a["gained_km2"].as_f64().unwrap() - second_km2).abs() < 1e-6 * second_km2, "{a}");
    let b = row(&v, "2024-01-01", "A", "B");
    assert!((b["lost_km2"].as_f64().unwrap() - second_km2).abs() < 1e-6 * second_km2, "{b}");
    let text = v.to_string();
    assert!(!text.contains("A|B"), "a hole was read as filled: {text}");
    // Issue 30 §8: this legal layer lies far from the Caucasus, so the
    // embedded admin-1 and settlements layers are not inputs.
    assert!(!text.contains("embedded:data/admin1.geojson"), "{}", v["provenance"]);
    assert!(!text.contains("embedded:data/settlements.geojson"), "{}", v["provenance"]);
}

/// Issue 30 §1.4: a changed piece measures as written what it is reported
/// as (within 1e-6 or 1 m²), and a period's written pieces sum to its
/// totals. A legal unit at 100°E widens the run's grid to about 1.3 cm a
/// step, so that the grid and the input differ on an 11 km sliver by tens
/// of m² (the written geometry was the snapped one).
#[test]
fn written_changes_measure_what_they_report() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let legal = d.join("legal.geojson");
    std::fs::write(&legal, fc("owner", &[("A", 45.0, 45.1, None), ("B", 45.1, 45.2, None), ("C", 100.0, 100.1, None)]))
        .unwrap();
    let dx = 20.0 / (111_320.0 * 40f64.to_radians().cos());
    let a = front(d, "f_2024-05-01.geojson", 45.1 - 0.0123457, None);
    let b = front(d, "f_2024-05-02.geojson", 45.1 + dx, None);
    let out = d.join("c.gpkg");
    let r = two_dates(&legal, &a, &b, &out, &["--json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    let written = delimit::io::read_layer(&out, &Default::default()).unwrap();
    assert!(!written.features.is_empty());
    let mut sum_by_after: std::collections::BTreeMap<String, f64> = Default::default();
    for f in &written.features {
        let reported = f.properties["area_km2"].as_f64().unwrap() * 1e6;
        let measured = match &f.geometry {
            Some(geo::Geometry::Polygon(p)) => delimit::measure::polygon_area_m2(p),
            Some(geo::Geometry::MultiPolygon(m)) => delimit::measure::multipolygon_area_m2(m),
            g => panic!("{g:?}"),
        };
        assert!(
            (measured - reported).abs() <= (1e-6 * reported).max(1.0),
            "{}: written {measured} m², reported {reported} m²",
            f.id
        );
        *sum_by_after.entry(f.text("controller_after").unwrap()).or_default() += reported;
    }
    // A gains what it gains in the written pieces, to the 1 mm² of area_km2.
    let gained = row(&v, "2024-05-01", "B", "A")["gained_km2"].as_f64().unwrap() * 1e6
        + row(&v, "2024-05-01", "A", "A")["gained_km2"].as_f64().unwrap() * 1e6;
    let written_a = sum_by_after.get("A").copied().unwrap_or(0.0);
    assert!((gained - written_a).abs() < 0.01, "periods {gained} m², written {written_a} m²");
}

/// Issue 31 §5, §8: a series glob matches as the shell would. A linked
/// snapshot is read (before: skipped, 3 of 4 dates, exit 0), a FIFO that
/// matches is refused by name, hidden files (`._…` from macOS) are left
/// out, and six stars match in linear time (before: over 20 s).
#[test]
fn a_series_glob_follows_links_refuses_fifos_and_skips_hidden_files() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let legal = legal(d);
    let s = d.join("series");
    std::fs::create_dir(&s).unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    for (k, x) in [45.08, 45.09, 45.1, 45.11].iter().enumerate() {
        let name = format!("front_2024010{}.geojson", k + 1);
        if k == 2 {
            let real = front(elsewhere.path(), &name, *x, None);
            std::os::unix::fs::symlink(&real, s.join(&name)).unwrap();
        } else {
            front(&s, &name, *x, None);
        }
    }
    // A hidden copy with a date of its own would be a fifth snapshot.
    front(&s, "._front_20240105.geojson", 45.15, None);
    let glob = format!("{}/front_*.geojson", s.display());
    let v = json_run(&["--legal".as_ref(), legal.as_os_str(), "--series".as_ref(), glob.as_ref()]);
    let dates: Vec<&str> = v["dates"].as_array().unwrap().iter().map(|d| d["date"].as_str().unwrap()).collect();
    assert_eq!(dates, ["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-04"]);
    let r = run(delimit().args(["changes", "--no-settlements", "--legal"]).arg(&legal).args(["--series", &glob]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("series: 4 file(s) match"), "{}", r.stdout);

    // Six stars against many names: linear, not exponential.
    let stars = format!("{}/*f*r*o*n*t*.geojson", s.display());
    let t = std::time::Instant::now();
    let v = json_run(&["--legal".as_ref(), legal.as_os_str(), "--series".as_ref(), stars.as_ref()]);
    assert_eq!(v["dates"].as_array().unwrap().len(), 4);
    assert!(t.elapsed().as_secs() < 20, "six stars took {:?}", t.elapsed());

    // A FIFO that matches is refused by name, not skipped.
    let fifo = s.join("front_20240106.geojson");
    let ok = std::process::Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(ok.success());
    let r = run(delimit().args(["changes", "--no-settlements", "--legal"]).arg(&legal).args(["--series", &glob]));
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("front_20240106.geojson") && r.stderr.contains("not a regular file"), "{}", r.stderr);
}

/// Issue 31 §6, §7: dates and controllers are checked like everything else
/// from a user. Before, each of these exited 0 (a second --between was
/// ignored, `Tgarbage` read as a date, two observations on one day merged
/// into one snapshot contested over the whole territory).
#[test]
fn bad_dates_controllers_and_same_day_observations_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let legal = legal(d);
    let (a, b) = (front(d, "a.geojson", 45.08, Some("2024-01-01")), front(d, "b.geojson", 45.09, Some("2024-02-01")));
    for (extra, expect) in [
        (vec!["--between", "2024-01-01", "2024-01-01"], "both dates"),
        (vec!["--between", "2024-01-01Tgarbage", "2024-02-01"], "is not a date"),
        (vec!["--between", "2024-01-01", "2024-02-01", "--between", "2024-01-01", "2024-02-01"], "multiple times"),
        (vec!["--controller", "A|B"], "`|`"),
        (vec!["--controller", "-"], "held by no one"),
        (vec!["--controller", ""], "empty"),
        (vec!["--controller", "A\nerror: forged"], "control"),
    ] {
        let r = two_dates(&legal, &a, &b, &d.join("out.geojson"), &extra);
        assert_eq!(r.code, 2, "{extra:?}: {}", r.stderr);
        assert!(r.stderr.contains(expect), "{extra:?}: {}", r.stderr);
        assert_eq!(r.stderr.lines().filter(|l| l.starts_with("error:")).count(), 1, "{extra:?}: {}", r.stderr);
    }
    // A date with a time is still a date.
    let r = two_dates(
        &legal,
        &a,
        &b,
        &d.join("ok.geojson"),
        &["--between", "2024-01-01T00:00:00Z", "2024-02-01T12:30+04:00"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);

    // One file, two observations on one day at different times.
    let single = d.join("single.geojson");
    std::fs::write(
        &single,
        fc(
            "controller",
            &[
                ("A", 45.0, 45.2, Some("2024-03-01T06:00Z")),
                ("B", 45.0, 45.2, Some("2024-03-01T18:00Z")),
                ("A", 45.0, 45.1, Some("2024-04-01")),
            ],
        ),
    )
    .unwrap();
    let r = run(delimit().args(["changes", "--no-settlements", "--legal"]).arg(&legal).arg("--series").arg(&single));
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("different times") && r.stderr.contains("2024-03-01T18:00Z"), "{}", r.stderr);

    // A missing file is missing, not of an unknown format.
    let r = run(delimit().args(["gaps", "--legal", "/nonexistent"]));
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("No such file"), "{}", r.stderr);
}
