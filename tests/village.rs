//! `delimit village` on the embedded sample.

use serde_json::Value;

use crate::util::{delimit, fixture, run};

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
    // The exclave's reference point (en/sco Wikipedia "Artsvashen", as in data/SOURCES.md).
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
fn batch_keeps_order_and_a_bad_row_stops_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.csv");
    std::fs::write(&good, "name,lat,lon\nMeghri,,\nfirst point,41.07,45.00\nVoskepar,,\n").unwrap();
    let out = dir.path().join("out.geojson");
    let r = run(delimit().args(["village", "--json", "--file"]).arg(&good).arg("--geojson").arg(&out));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    let q: Vec<&str> = v["answers"].as_array().unwrap().iter().map(|a| a["query"].as_str().unwrap()).collect();
    assert_eq!(q, ["Meghri", "first point", "Voskepar"]);
    assert_eq!(v["counts"]["ok"], 3);
    let gj: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let places = gj["features"].as_array().unwrap().iter().filter(|f| f["properties"]["kind"] == "place").count();
    assert_eq!(places, 3);
    assert!(
        r.stderr.contains(&format!("wrote {} features to {}", gj["features"].as_array().unwrap().len(), out.display())),
        "{}",
        r.stderr
    );

    // A malformed row is answered `invalid` with its line; the rows after it are still answered.
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "name,lat,lon\nMeghri,,\nsomewhere,41.07,east\nVoskepar,,\n").unwrap();
    let r = run(delimit().args(["village", "--json", "--file"]).arg(&bad));
    assert_eq!(r.code, 1, "{}", r.stderr);
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    let a = v["answers"].as_array().unwrap();
    assert_eq!(a.len(), 3);
    assert_eq!((a[1]["status"].as_str(), a[1]["line"].as_u64()), (Some("invalid"), Some(3)));
    assert!(a[1]["reason"].as_str().unwrap().contains("east"));
    assert_eq!(a[2]["place"]["name"], "Voskepar");
}

/// The acceptance batch of issue 17: 20 rows, one unknown, one ambiguous,
/// one malformed, one outside the data and one swapped.
#[test]
fn a_20_row_batch_answers_every_row_with_its_status() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("places.csv");
    let rows = [
        "Voskepar,,,",
        "Meghri,,,",
        "Artsvashen,,,",
        "Tovuz,,,",
        "Kapan,,,",
        "Goris,,,",
        "Ijevan,,,",
        "Sisian,,,",
        "Qazax,,,",
        "Dilijan,,,",
        "Berd,,,",
        "Jermuk,,,",
        "Vernashen,,,",
        "Nowhereville,,,",        // 15: no_match
        "Bashkend,,,",            // 16: ambiguous
        "bad,41.0,east,",         // 17: invalid
        "far,10,10,",             // 18: outside_data
        "swapped,45.0,41.07,",    // 19: invalid (swapped)
        "Bashkend,,,Vayots Dzor", // 20: the row's own province resolves it
        "Voskepar,,,Syunik",      // 21: no_match under the row's filter
    ];
    std::fs::write(&f, format!("name,lat,lon,province\n{}\n", rows.join("\n"))).unwrap();
    let csv = dir.path().join("answers.csv");
    let r = run(delimit().args(["village", "--json", "--file"]).arg(&f).arg("-o").arg(&csv));
    assert_eq!(r.code, 1, "{}", r.stderr);
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    let a = v["answers"].as_array().unwrap();
    assert_eq!(a.len(), 20);
    let status =
        |line: u64| a.iter().find(|x| x["line"] == line).map(|x| x["status"].as_str().unwrap().to_string()).unwrap();
    for line in 2..=14 {
        assert_eq!(status(line), "ok", "line {line}");
    }
    assert_eq!(status(15), "no_match");
    assert_eq!(status(16), "ambiguous");
    assert_eq!(a[14]["candidates"].as_array().unwrap().len(), 4);
    assert_eq!(status(17), "invalid");
    assert_eq!(status(18), "outside_data");
    assert_eq!(status(19), "invalid");
    assert!(a[17]["reason"].as_str().unwrap().contains("did you mean 41.07,45"), "{}", a[17]);
    assert_eq!(status(20), "ok");
    assert_eq!(a[18]["place"]["name"], "Vernashen");
    assert_eq!(status(21), "no_match");
    assert!(a[19]["candidates"][0].as_str().unwrap().contains("Tavush"));
    let counts = &v["counts"];
    assert_eq!(
        (counts["ok"].as_u64(), counts["no_match"].as_u64(), counts["ambiguous"].as_u64()),
        (Some(14), Some(2), Some(1))
    );
    assert_eq!((counts["invalid"].as_u64(), counts["outside_data"].as_u64()), (Some(2), Some(1)));
    assert!(
        r.stderr.contains("answered 20 rows: 14 ok, 2 no_match, 1 ambiguous, 2 invalid, 1 outside_data"),
        "{}",
        r.stderr
    );

    // The flat table reads back through GDAL with one row per question.
    crate::util::require_tool("ogrinfo");
    let info = std::process::Command::new("ogrinfo").args(["-ro", "-al", "-so"]).arg(&csv).output().unwrap();
    let text = String::from_utf8_lossy(&info.stdout);
    assert!(text.contains("Feature Count: 20"), "{text}");
    for field in ["status", "query", "owner", "controller", "lat", "lon"] {
        assert!(text.contains(&format!("{field}: ")), "{field} missing: {text}");
    }
}

#[test]
fn an_exact_primary_name_wins_over_alternate_names() {
    let a = one(&["Tovuz"]);
    assert_eq!(a["place"]["name"], "Tovuz");
    assert_eq!(a["place"]["matched_by"], "primary");
}

#[test]
fn json_on_an_ambiguous_name_prints_the_candidates_with_exit_1() {
    let r = run(delimit().args(["village", "Bashkend", "--json"]));
    assert_eq!(r.code, 1, "{}", r.stderr);
    let v: Value = serde_json::from_str(&r.stdout).expect("JSON on stdout");
    assert_eq!(v["answers"][0]["status"], "ambiguous");
    assert_eq!(v["answers"][0]["candidates"].as_array().unwrap().len(), 4);
}

#[test]
fn a_swapped_at_is_refused_with_the_hint_and_hemispheres_parse() {
    let r = run(delimit().args(["village", "--at", "46.4,39.2"]));
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("hint: did you mean --at 39.2,46.4 (LAT,LON)?"), "{}", r.stderr);
    let plain = one(&["--at", "41.0645,45.0563"]);
    for form in ["41.0645N,45.0563E", "45.0563E 41.0645N", "N41.0645 E45.0563"] {
        let a = one(&["--at", form]);
        assert_eq!((a["lat"].as_f64(), a["lon"].as_f64()), (plain["lat"].as_f64(), plain["lon"].as_f64()), "{form}");
        assert_eq!(a["legal"], plain["legal"], "{form}");
    }
    let r = run(delimit().args(["village", "--at", "41.06N,45.05N"]));
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("hint: give LAT,LON"), "{}", r.stderr);
}

/// `--file -` answers each line as it arrives: the first answer is read
/// back while stdin is still open.
#[test]
fn file_dash_streams_one_json_line_per_answer() {
    use std::io::{BufRead, BufReader, Write};
    let bin = assert_cmd::cargo::cargo_bin("delimit");
    let mut child = std::process::Command::new(bin)
        .args(["village", "--file", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    writeln!(stdin, "Voskepar").unwrap();
    stdin.flush().unwrap();
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    let v: Value = serde_json::from_str(&first).unwrap();
    assert_eq!(
        (v["status"].as_str(), v["place"]["name"].as_str(), v["line"].as_u64()),
        (Some("ok"), Some("Voskepar"), Some(1))
    );
    // Still open: a second question gets a second line.
    writeln!(stdin, "41.07N 45.00E").unwrap();
    writeln!(stdin, "Vozkiparo").unwrap();
    drop(stdin);
    let rest: Vec<Value> = stdout.lines().map(|l| serde_json::from_str(&l.unwrap()).unwrap()).collect();
    assert_eq!(rest.len(), 2);
    assert_eq!(rest[0]["legal"]["key"], "AZE");
    assert_eq!(rest[1]["status"], "no_match");
    assert_eq!(child.wait().unwrap().code(), Some(1));
}

#[test]
fn output_is_deterministic() {
    let a =
        run(delimit().args(["village", "Voskepar", "Meghri", "Artsvashen", "--json"]).env("RAYON_NUM_THREADS", "1"));
    let b =
        run(delimit().args(["village", "Voskepar", "Meghri", "Artsvashen", "--json"]).env("RAYON_NUM_THREADS", "2"));
    assert_eq!(a.code, 0);
    assert_eq!(a.stdout, b.stdout);
}

/// `--in` takes a country code as well as a province, and repeated flags
/// all apply: three places are called Agarak, one of them in Lori.
#[test]
fn in_takes_country_codes_and_repeats() {
    let r = run(delimit().args(["village", "Agarak", "--in", "AM", "--json"]));
    assert_eq!(r.code, 1);
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["answers"][0]["status"], "ambiguous");
    assert_eq!(v["answers"][0]["candidates"].as_array().unwrap().len(), 3, "all three are in AM");
    let a = one(&["Agarak", "--in", "AM", "--in", "Lori"]);
    assert_eq!(a["province"], "Lori");
}

/// Issue 30: a batch keeps every column the user gave, under its own name,
/// in CSV, GeoJSON and JSON; delimit's fields that share a name with one of
/// them are `delimit_NAME`; each row's caveats travel with it (Karki's cited
/// note, Lachin's "or Laçın" hedge); and a point far from every admin unit
/// has no province.
#[test]
fn a_batch_keeps_the_users_columns_and_its_caveats() {
    let dir = tempfile::tempdir().unwrap();
    let csv_in = dir.path().join("pts.csv");
    std::fs::write(
        &csv_in,
        "id,name,lat,lon,my_note\nv1,Voskepar,,,first\nv2,,40.9,45.2,second\nv3,Karki,,,third\nv4,Lachin,,,fourth\nfar,,10,10,far away\n",
    )
    .unwrap();
    let (out_csv, out_gj) = (dir.path().join("out.csv"), dir.path().join("out.geojson"));
    let r =
        run(delimit().args(["village", "--file"]).arg(&csv_in).arg("-o").arg(&out_csv).arg("--geojson").arg(&out_gj));
    assert!(r.code == 0 || r.code == 1, "{}", r.stderr);
    // CSV: the user's columns first, as given, then delimit's.
    let text = std::fs::read_to_string(&out_csv).unwrap();
    let mut rdr = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = rdr.headers().unwrap().iter().map(str::to_string).collect();
    let at = |c: &str| header.iter().position(|h| h == c).unwrap_or_else(|| panic!("no column {c}: {header:?}"));
    for c in ["id", "name", "lat", "lon", "my_note", "delimit_name", "delimit_lat", "delimit_lon", "status", "province"]
    {
        at(c);
    }
    let rows: Vec<csv::StringRecord> = rdr.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 5);
    let ids: Vec<&str> = rows.iter().map(|r| &r[at("id")]).collect();
    assert_eq!(ids, ["v1", "v2", "v3", "v4", "far"], "the user's ids, not delimit's row numbers");
    assert_eq!(&rows[1][at("my_note")], "second");
    assert_eq!(&rows[0][at("delimit_name")], "Voskepar");
    assert!(rows[2][at("data_note")].contains("exclave"), "Karki's note: {:?}", &rows[2]);
    assert!(rows[3][at("province_note")].contains("Laçın"), "Lachin's hedge: {:?}", &rows[3]);
    assert_eq!(&rows[4][at("province")], "", "a point 4,700 km from every unit has no province");
    assert!(rows[4][at("province_note")].contains("beyond its accuracy"), "{:?}", &rows[4]);
    // GeoJSON: the place points carry the same columns and caveats.
    let gj: Value = serde_json::from_str(&std::fs::read_to_string(&out_gj).unwrap()).unwrap();
    let places: Vec<&Value> =
        gj["features"].as_array().unwrap().iter().filter(|f| f["properties"]["kind"] == "place").collect();
    let karki = places.iter().find(|f| f["properties"]["id"] == "v3").expect("Karki's point keeps its id");
    assert_eq!(karki["properties"]["my_note"], "third");
    assert!(karki["properties"]["data_note"].as_str().unwrap().contains("exclave"));
    // JSON: each answer carries its row as given.
    let r = run(delimit().args(["village", "--json", "--file"]).arg(&csv_in));
    assert_eq!(r.code, 1, "one row is outside the data: {}", r.stderr);
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    let a = &v["answers"].as_array().unwrap()[0];
    assert_eq!(a["input"]["my_note"], "first");
    assert_eq!(a["input"]["id"], "v1");
    // The nearest legal point is named, not a bare pair.
    assert!(a["legal_line"]["point"]["lat"].is_f64() && a["legal_line"]["point"]["lon"].is_f64(), "{a}");
}

/// Issue 30 §6: the exclaves' villages that the sample's own notes name
/// are findable, by either language's spelling, and lie in their exclaves
/// (their coordinates are cited in data/SOURCES.md).
#[test]
fn the_villages_the_notes_name_are_findable() {
    for (names, unit, id) in [
        (["Barkhudarly", "Barxudarlı"], "AZE-barkhudarly-exclave", "manual-barkhudarly"),
        (["Yukhari Askipara", "Yuxarı Əskipara"], "AZE-yukhari-askipara-exclave", "manual-yukhari-askipara"),
    ] {
        for n in names {
            let a = one(&[n]);
            assert_eq!(a["place"]["id"], id, "{n}");
            assert_eq!(a["legal"]["key"], "AZE", "{n}");
            assert_eq!(a["legal"]["features"][0], unit, "{n}");
            assert_eq!(a["control"]["key"], "ARM", "{n}: the sample control holds the exclave for ARM");
        }
    }
}

/// Issue 31 §10: a line that is not UTF-8, or holds a NUL, is an `invalid`
/// row with its number and the batch goes on (before: exit 2, 0 of 4 rows
/// answered); a line longer than the cap ends the batch with an error that
/// names it, after the rows before it; `-o` still writes the GeoPackage.
#[test]
fn a_stream_answers_around_bad_bytes_and_refuses_endless_lines() {
    let dir = tempfile::tempdir().unwrap();
    let r = delimit()
        .current_dir(dir.path())
        .args(["village", "--file", "-", "-o", "answers.gpkg"])
        .write_stdin(&b"Voskepar\n\xff\xfe\nVos\x00kepar\n41.07,45.00\n"[..])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&r.stdout);
    let rows: Vec<serde_json::Value> = stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let status: Vec<&str> = rows.iter().map(|v| v["status"].as_str().unwrap()).collect();
    assert_eq!(status, ["ok", "invalid", "invalid", "ok"], "{stdout}");
    assert_eq!(rows[1]["line"], 2);
    assert!(rows[1]["reason"].as_str().unwrap().contains("not UTF-8"), "{}", rows[1]);
    assert!(rows[2]["reason"].as_str().unwrap().contains("NUL"), "{}", rows[2]);
    assert_eq!(r.status.code(), Some(1), "{}", String::from_utf8_lossy(&r.stderr));
    assert!(dir.path().join("answers.gpkg").is_file(), "{}", String::from_utf8_lossy(&r.stderr));

    let mut endless = b"Voskepar\n".to_vec();
    endless.extend(std::iter::repeat_n(b'x', 200_000));
    let r = delimit().args(["village", "--file", "-"]).write_stdin(endless).output().unwrap();
    assert_eq!(r.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&r.stderr);
    assert!(stderr.contains("line 2") && stderr.contains("longer than"), "{stderr}");
    assert_eq!(String::from_utf8_lossy(&r.stdout).lines().count(), 1, "the row before is answered");
}
