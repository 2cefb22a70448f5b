//! `delimit village` on the embedded sample.

use serde_json::Value;

use crate::util::{delimit, fixture, listing, run};

fn ask(args: &[&str]) -> Value {
    let r = run(delimit().arg("village").args(args).arg("--json"));
    assert_eq!(r.code, 0, "stderr: {}", r.stderr);
    serde_json::from_str(&r.stdout).expect("JSON")
}

fn one(args: &[&str]) -> Value {
    let v = ask(args);
    let a = v["answers"].as_array().unwrap();
    assert_eq!(a.len(), 1);
    a[0].clone()
}

fn reference(name: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(fixture(&format!("village/{name}.json"))).unwrap()).unwrap()
}

#[test]
fn artsvashen_is_legally_arm_held_by_aze_under_both_names() {
    let a = one(&["Artsvashen"]);
    assert_eq!(a["legal"]["key"], "ARM");
    assert_eq!(a["legal"]["unit"], "Artsvashen exclave");
    assert_eq!(a["control"]["key"], "AZE");
    let gap = &a["gap"];
    assert_eq!(gap["owner"], "ARM");
    assert_eq!(gap["controller"], "AZE");
    assert!((gap["area_km2"].as_f64().unwrap() - 39.421).abs() < 0.001, "{gap}");
    // The Azerbaijani name, in Azerbaijani Latin and folded; narrowed by province.
    for name in ["Başkənd", "Baskend"] {
        let b = one(&[name, "--in", "Gegharkunik"]);
        assert_eq!(b["place"]["id"], "manual-artsvashen", "{name}");
        assert_eq!(b["gap"]["id"], gap["id"], "{name}");
    }
    // Armenian and Russian script.
    assert_eq!(one(&["Արծվաշեն"])["gap"]["id"], gap["id"]);
    assert_eq!(one(&["Арцвашен"])["gap"]["id"], gap["id"]);
}

#[test]
fn a_place_in_yukhari_askipara_is_the_reverse() {
    // The exclave's reference point (shared/DOMAIN.md).
    let a = one(&["--at", "41.07,45.00"]);
    assert_eq!(a["legal"]["key"], "AZE");
    assert_eq!(a["legal"]["unit"], "Yukhari Askipara exclave");
    assert_eq!(a["control"]["key"], "ARM");
    assert_eq!(a["gap"]["owner"], "AZE");
    assert_eq!(a["gap"]["controller"], "ARM");
    assert!((a["gap"]["area_km2"].as_f64().unwrap() - 32.379).abs() < 0.001);
}

#[test]
fn voskepar_distance_matches_geographiclib_to_a_metre() {
    let a = one(&["Voskepar"]);
    assert_eq!(a["legal"]["key"], "ARM");
    assert_eq!(a["control"]["key"], "ARM");
    assert!(a["gap"].is_null());
    assert_eq!(a["province"], "Tavush");
    let line = &a["legal_line"];
    assert_eq!(line["other"], "AZE");
    let want = reference("voskepar");
    let (got, exp) = (line["distance_m"].as_f64().unwrap(), want["distance_m"].as_f64().unwrap());
    assert!((got - exp).abs() < 1.0, "delimit {got} m, pyproj {exp} m");
    // Transliteration variants and scripts find the same place.
    for q in ["Voskapar", "VOSKEPAR", "Ոսկեպար", "Воскепар"] {
        assert_eq!(one(&[q])["place"]["id"], "616074", "{q}");
    }
}

#[test]
fn meghri_reports_the_iran_border() {
    let a = one(&["Meghri"]);
    assert_eq!(a["legal"]["key"], "ARM");
    let want = reference("meghri");
    let irn = a["legal_lines"].as_array().unwrap().iter().find(|d| d["other"] == "IRN").expect("an IRN line").clone();
    let (got, exp) = (irn["distance_m"].as_f64().unwrap(), want["distance_m"].as_f64().unwrap());
    assert!((got - exp).abs() < 1.0, "delimit {got} m, pyproj {exp} m");
    assert_eq!(a["legal_line"]["other"], "IRN", "Iran is Meghri's nearest other owner");
}

#[test]
fn a_point_on_the_boundary_is_on_the_boundary() {
    // A vertex shared by the ARM and AZE mainland polygons of legal.geojson
    // (found by the test, so it does not depend on a hard-coded figure).
    let legal: Value = serde_json::from_slice(delimit::sample::file("legal.geojson").unwrap().bytes).unwrap();
    let verts = |owner: &str| -> std::collections::BTreeSet<(String, String)> {
        let mut s = std::collections::BTreeSet::new();
        for f in legal["features"].as_array().unwrap() {
            if f["properties"]["owner"] == owner && f["properties"]["unit"] == "mainland" {
                for poly in f["geometry"]["coordinates"].as_array().unwrap() {
                    for c in poly[0].as_array().unwrap() {
                        s.insert((c[0].to_string(), c[1].to_string()));
                    }
                }
            }
        }
        s
    };
    let (arm, aze) = (verts("ARM"), verts("AZE"));
    let shared = arm.intersection(&aze).nth(100).expect("ARM and AZE share vertices");
    let at = format!("{},{}", shared.1, shared.0);
    for _ in 0..2 {
        let a = one(&["--at", &at]);
        assert_eq!(a["legal"]["status"], "boundary", "{a}");
        assert!(a["legal"]["key"].is_null());
        assert_eq!(a["legal"]["features"].as_array().unwrap().len(), 2);
        assert_eq!(a["legal_line"]["distance_m"], 0.0);
    }
}

#[test]
fn ambiguous_and_unknown_names_exit_1_with_help() {
    let r = run(delimit().args(["village", "Bashkend"]));
    assert_eq!(r.code, 1);
    for who in ["Artsvashen", "Vernashen", "Saralanj", "Vayots Dzor"] {
        assert!(r.stderr.contains(who), "{who} missing from: {}", r.stderr);
    }
    assert!(r.stderr.contains("--in"));
    let r = run(delimit().args(["village", "Voskeparr"]));
    assert_eq!(r.code, 0, "a doubled letter folds: {}", r.stderr);
    let r = run(delimit().args(["village", "Vozkiparo"]));
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("no place matches"), "{}", r.stderr);
    assert!(r.stderr.contains("Voskepar"), "the hint names the closest: {}", r.stderr);
}

#[test]
fn batch_keeps_order_and_a_bad_row_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.csv");
    std::fs::write(&good, "name,lat,lon\nMeghri,,\nfirst point,41.07,45.00\nVoskepar,,\n").unwrap();
    let out = dir.path().join("out.geojson");
    let r = run(delimit().args(["village", "--json", "--file"]).arg(&good).arg("--geojson").arg(&out));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    let q: Vec<&str> = v["answers"].as_array().unwrap().iter().map(|a| a["query"].as_str().unwrap()).collect();
    assert_eq!(q, ["Meghri", "first point", "Voskepar"]);
    let gj: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let places = gj["features"].as_array().unwrap().iter().filter(|f| f["properties"]["kind"] == "place").count();
    assert_eq!(places, 3);

    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "name,lat,lon\nMeghri,,\nsomewhere,41.07,east\nVoskepar,,\n").unwrap();
    let out2 = dir.path().join("out2.geojson");
    let before = listing(dir.path());
    let r = run(delimit().args(["village", "--file"]).arg(&bad).arg("--geojson").arg(&out2));
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("line 3"), "{}", r.stderr);
    assert!(r.stderr.contains("east"), "{}", r.stderr);
    assert_eq!(listing(dir.path()), before, "nothing written");
}

#[test]
fn output_is_deterministic() {
    let a = run(delimit().args(["village", "Voskepar", "Meghri", "Artsvashen", "--json"]).env("RAYON_NUM_THREADS", "1"));
    let b = run(delimit().args(["village", "Voskepar", "Meghri", "Artsvashen", "--json"]).env("RAYON_NUM_THREADS", "2"));
    assert_eq!(a.code, 0);
    assert_eq!(a.stdout, b.stdout);
}
