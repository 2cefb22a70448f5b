//! `delimit corridor measure` on synthetic fixtures (fixtures/corridor/make.py,
//! with pyproj references).

use serde_json::Value;

use crate::util::{delimit, fixture, run};

fn measure() -> (i32, Value) {
    let r = run(delimit()
        .args(["corridor", "measure", "--json", "--routes"])
        .arg(fixture("corridor/routes.geojson"))
        .arg("--constraints")
        .arg(fixture("corridor/constraints.toml"))
        .arg("--legal")
        .arg(fixture("lines/legal.geojson"))
        .arg("--control")
        .arg(fixture("corridor/control.geojson")));
    assert!(r.code == 0 || r.code == 1, "{}", r.stderr);
    (r.code, serde_json::from_str(&r.stdout).unwrap())
}

fn expected() -> Value {
    serde_json::from_str(&std::fs::read_to_string(fixture("corridor/expected.json")).unwrap()).unwrap()
}

fn route<'a>(v: &'a Value, name: &str) -> &'a Value {
    v["routes"].as_array().unwrap().iter().find(|r| r["name"] == name).unwrap()
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap()
}

fn verdict<'a>(r: &'a Value, rule: &str) -> &'a Value {
    r["verdicts"].as_array().unwrap().iter().find(|v| v["rule"].as_str().unwrap().contains(rule)).unwrap()
}

/// Geodesic metres between two points, each `{"lat", "lon"}` (delimit's
/// JSON) or `[lon, lat]` (the pyproj references in expected.json).
fn metres(a: &Value, b: &Value) -> f64 {
    use geo::Distance;
    let p = |v: &Value| match v.as_object() {
        Some(o) => geo::Point::new(f(&o["lon"]), f(&o["lat"])),
        None => geo::Point::new(f(&v[0]), f(&v[1])),
    };
    geo::Geodesic.distance(p(a), p(b))
}

#[test]
fn a_straight_route_across_one_border() {
    let (code, v) = measure();
    assert_eq!(code, 1, "some verdicts fail");
    let e = expected();
    let r = route(&v, "cross");
    let x = r["crossings"].as_array().unwrap();
    assert_eq!(x.len(), 1);
    assert!(metres(&x[0]["at"], &e["cross_crossing"]) < 1.0, "{}", x[0]);
    let by = &r["by_jurisdiction_m"];
    assert!((f(&by["AAA|AAA"]) - f(&e["cross_aaa_m"])).abs() < 1.0);
    assert!((f(&by["BBB|BBB"]) - f(&e["cross_bbb_m"])).abs() < 1.0);
    assert_eq!(verdict(r, "clearance")["measured"], 0.0);
}

#[test]
fn a_dip_into_the_neighbour_fails_sovereignty() {
    let (_, v) = measure();
    let e = expected();
    let r = route(&v, "dip");
    let x = r["crossings"].as_array().unwrap();
    assert_eq!(x.len(), 2);
    for (got, want) in x.iter().zip(e["dip_crossings"].as_array().unwrap()) {
        assert!(metres(&got["at"], want) < 1.0, "{got}");
    }
    let s = verdict(r, "legal territory");
    assert_eq!(s["status"], "FAIL");
    assert!((f(&s["measured"]) * 1e3 - f(&e["dip_outside_m"])).abs() < 1.0, "{s}");
}

#[test]
fn a_parallel_route_too_close_fails_clearance_at_the_right_distance() {
    let (_, v) = measure();
    let e = expected();
    let r = route(&v, "parallel");
    let c = verdict(r, "clearance");
    assert_eq!(c["status"], "FAIL");
    assert!((f(&c["measured"]) - f(&e["parallel_clearance_m"])).abs() < 1.0, "{c}");
    assert_eq!(verdict(r, "legal territory")["status"], "PASS");
    assert!(r["crossings"].as_array().unwrap().is_empty());
}

#[test]
fn a_protected_line_crossing_is_found() {
    let (_, v) = measure();
    let e = expected();
    let r = route(&v, "cross");
    let p = r["protected_crossings"].as_array().unwrap();
    assert_eq!(p.len(), 1);
    assert_eq!(p[0]["name"], "old highway");
    assert!(metres(&p[0]["at"], &e["protected_crossing"]) < 1.0);
    assert_eq!(verdict(route(&v, "dip"), "protected")["status"], "PASS");
}

#[test]
fn an_unknown_constraint_key_names_the_key_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let c = dir.path().join("c.toml");
    std::fs::write(&c, "transit_state = \"AAA\"\n\n[[clearance]]\nboundry = \"AAA|BBB\"\nmin_m = 200\n").unwrap();
    let r = run(delimit()
        .args(["corridor", "measure", "--routes"])
        .arg(fixture("corridor/routes.geojson"))
        .arg("--constraints")
        .arg(&c));
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("boundry") && r.stderr.contains("line 4"), "{}", r.stderr);
}

/// A GeoTIFF in UTM 38N (EPSG:32638), `w`×`h` pixels of `px` metres from
/// (`x0`, `n_top`), whose elevation rises 2 m per 100 m of northing,
/// written with GDAL by the test.
fn plane(path: &std::path::Path, (w, h, px): (usize, usize, f64), (x0, n_top): (f64, f64)) {
    use gdal::raster::Buffer;
    let drv = gdal::DriverManager::get_driver_by_name("GTiff").unwrap();
    let mut ds = drv.create_with_band_type::<f64, _>(path, w, h, 1).unwrap();
    ds.set_geo_transform(&[x0, px, 0.0, n_top, 0.0, -px]).unwrap();
    ds.set_spatial_ref(&gdal::spatial_ref::SpatialRef::from_epsg(32638).unwrap()).unwrap();
    let data: Vec<f64> = (0..w * h).map(|i| 0.02 * (n_top - ((i / w) as f64 + 0.5) * px - 4_400_000.0)).collect();
    let mut buf = Buffer::new((w, h), data);
    ds.rasterband(1).unwrap().write((0, 0), (w, h), &mut buf).unwrap();
}

/// Covers 45.1°E, 39.9–40.1°N: easting ~508.5 km, northing ~4416–4439 km.
fn plane_dem(path: &std::path::Path) {
    plane(path, (400, 800, 30.0), (502_000.0, 4_445_000.0));
}

#[test]
fn a_2_percent_plane_reads_2_percent() {
    let dir = tempfile::tempdir().unwrap();
    let dem = dir.path().join("plane.tif");
    plane_dem(&dem);
    let c = dir.path().join("c.toml");
    std::fs::write(&c, "transit_state = \"AAA\"\n[max_grade_pct]\nroad = 1.5\nrail = 2.5\n").unwrap();
    let r = run(delimit()
        .args(["corridor", "measure", "--json", "--routes"])
        .arg(fixture("corridor/routes.geojson"))
        .arg("--constraints")
        .arg(&c)
        .arg("--dem")
        .arg(&dem)
        .arg("--legal")
        .arg(fixture("lines/legal.geojson"))
        .arg("--control")
        .arg(fixture("corridor/control.geojson")));
    assert_eq!(r.code, 1, "the road fails its 1.5% rule: {}", r.stderr);
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    // Due north: the full 2% (UTM scale 0.9996 and grid convergence near
    // 45.1°E change it by under 0.001).
    let cross = route(&v, "cross");
    let g = f(&cross["profile"]["max_grade_pct"]);
    assert!((g - 2.0).abs() < 0.05, "{g}");
    assert_eq!(verdict(cross, "grade")["status"], "FAIL");
    // The net climb equals 2% of the northing gained, within a metre.
    let p = &cross["profile"];
    assert!((f(&p["ascent_m"]) - 0.02 * 11_103.0).abs() < 1.0, "{p}");
    // Due east along a parallel: nearly flat.
    let par = route(&v, "parallel");
    assert!(f(&par["profile"]["max_grade_pct"]) < 0.1);
    assert_eq!(verdict(par, "grade")["status"], "PASS");
}

fn route_run(margin_km: &str, extra: &[&str]) -> (i32, Value) {
    let r = run(barrier_route("40.0,45.05", "40.0,45.25").args(["--margin-km", margin_km]).args(extra));
    assert!(r.code == 0 || r.code == 1, "{}", r.stderr);
    (r.code, serde_json::from_str(&r.stdout).unwrap())
}

#[test]
fn least_cost_routes_go_round_a_barrier_on_both_sides() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("routes.geojson");
    let cost = dir.path().join("cost.tif");
    let (code, v) =
        route_run("12", &["--alternatives", "2", "-o", out.to_str().unwrap(), "--cost-out", cost.to_str().unwrap()]);
    assert_eq!(code, 0);
    let opts = v["options"].as_array().unwrap();
    assert_eq!(opts.len(), 2);
    let mut sides = Vec::new();
    for o in opts {
        let r = &o["route"];
        assert_eq!(verdict(r, "legal territory")["status"], "PASS", "{r}");
        // Straight is 17.1 km; round the wall (to 39.92° or 40.08°) is longer.
        assert!(f(&r["length_m"]) > 25_000.0);
        sides.push(f(&o["cost"]));
    }
    // The written pieces: one option passes north of 40.08°, the other south of 39.92°.
    let gj: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let (mut north, mut south) = (false, false);
    for feat in gj["features"].as_array().unwrap().iter().filter(|f| f["properties"]["kind"] == "piece") {
        for c in feat["geometry"]["coordinates"].as_array().unwrap() {
            north |= f(&c[1]) > 40.08;
            south |= f(&c[1]) < 39.92;
        }
    }
    assert!(north && south, "both sides of the wall");
    assert!(sides[1] > sides[0], "the second option costs more (its corridor is penalised)");
    // The cost raster: impassable cells are no-data, and match the grid's count.
    let ds = gdal::Dataset::open(&cost).unwrap();
    let band = ds.rasterband(1).unwrap();
    assert_eq!(band.no_data_value(), Some(-1.0));
    let data = band.read_band_as::<f64>().unwrap();
    let blocked = data.data().iter().filter(|&&x| x == -1.0).count();
    assert_eq!(blocked as u64, v["provenance"]["parameters"]["grid"]["outside_legal_cells"].as_u64().unwrap());
}

/// No route is an error (exit 1, `error: no route: …` naming why), with
/// the reason in --json too, and nothing written (issue 18).
#[test]
fn no_route_is_a_clear_answer() {
    let dir = tempfile::tempdir().unwrap();
    let (out, cost) = (dir.path().join("r.geojson"), dir.path().join("c.tif"));
    let r = run(barrier_route("40.0,45.05", "40.0,45.25")
        .args(["--margin-km", "2", "-o"])
        .arg(&out)
        .arg("--cost-out")
        .arg(&cost));
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.starts_with("error: no route: no passable path"), "{}", r.stderr);
    assert!(r.stderr.contains("hint: nothing was written"), "{}", r.stderr);
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    assert!(v["options"].as_array().unwrap().is_empty());
    assert!(v["no_route"].as_str().unwrap().contains("no passable path"), "{v}");
    assert!(crate::util::listing(dir.path()).is_empty(), "{:?}", crate::util::listing(dir.path()));
}

#[test]
fn a_vector_file_as_dem_is_a_clear_error() {
    let r = run(delimit()
        .args(["corridor", "measure", "--routes"])
        .arg(fixture("corridor/routes.geojson"))
        .arg("--dem")
        .arg(fixture("lines/legal.geojson")));
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("is not a raster"), "{}", r.stderr);
}

#[test]
fn without_routes_the_illustrative_sample_is_measured_under_the_sample_constraints() {
    let r = crate::util::run(crate::util::delimit().args(["corridor", "measure", "--json"]));
    // The straight sample lines cross borders outside the one checkpoint: a FAIL, exit 1.
    assert_eq!(r.code, 1, "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let routes = v["routes"].as_array().unwrap();
    assert_eq!(routes.len(), 2);
    assert_eq!(v["provenance"]["parameters"]["constraints"], "embedded:data/corridor.toml");
    for route in routes {
        assert!(route["name"].as_str().unwrap().starts_with("Illustrative"));
        // The pieces add up to the route: to 1e-5, because a piece ends at a
        // point interpolated on the lon/lat segment, which is off the
        // segment's geodesic (measured: 0.24 m in 170 km for option A).
        let by: f64 = route["by_jurisdiction_m"].as_object().unwrap().values().map(|x| x.as_f64().unwrap()).sum();
        let len = route["length_m"].as_f64().unwrap();
        assert!((by - len).abs() < 1e-5 * len, "{by} vs {len}");
        assert!(route["by_jurisdiction_m"]["ARM|ARM"].as_f64().unwrap() > 30_000.0);
        let rules: Vec<&str> =
            route["verdicts"].as_array().unwrap().iter().map(|x| x["rule"].as_str().unwrap()).collect();
        assert!(
            rules.iter().any(|r| r.contains("checkpoints")) && rules.iter().any(|r| r.contains("ARM|IRN")),
            "{rules:?}"
        );
    }
}

/// Issue 30: the checkpoint rule counts crossings of the transit state's
/// legal border only. Each sample option crosses ARM's border twice; its
/// other changes of jurisdiction (AZE↔IRN near Julfa, Ordubad and Horadiz)
/// are listed, flagged, and not held to ARM's checkpoints.
#[test]
fn only_the_transit_states_border_is_held_to_its_checkpoints() {
    let r = crate::util::run(crate::util::delimit().args(["corridor", "measure", "--json"]));
    assert_eq!(r.code, 1, "{}", r.stderr);
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    for route in v["routes"].as_array().unwrap() {
        let x = route["crossings"].as_array().unwrap();
        let own: Vec<&Value> = x.iter().filter(|c| c["transit_border"] == true).collect();
        assert_eq!(own.len(), 2, "{}: {own:?}", route["name"]);
        for c in &own {
            assert!(c["from"] == "ARM" || c["to"] == "ARM", "{c}");
            assert!(c["at"]["lat"].is_f64() && c["at"]["lon"].is_f64(), "{c}");
        }
        let others: Vec<&Value> = x.iter().filter(|c| c["transit_border"] == false).collect();
        assert!(!others.is_empty(), "{}: the sample options also pass AZE↔IRN", route["name"]);
        for c in &others {
            assert!(c["from"] != "ARM" && c["to"] != "ARM", "{c}");
        }
        let sov = verdict(route, "km outside the transit state's legal territory");
        let detail = sov["detail"].as_str().unwrap();
        assert!(detail.starts_with("2 crossing(s) of its legal border; "), "{detail}");
        assert!(detail.contains(&format!("{} other change(s) of jurisdiction", others.len())), "{detail}");
        let cp = verdict(route, "checkpoints");
        let unallowed = own.iter().filter(|c| c["checkpoint"].is_null()).count();
        assert_eq!(f(&cp["measured"]), unallowed as f64, "{cp}");
    }
    // The text lists the two kinds apart.
    let t = crate::util::run(crate::util::delimit().args(["corridor", "measure"]));
    assert!(t.stdout.contains("  crossing ARM") || t.stdout.contains("→ ARM at"), "{}", t.stdout);
    assert!(
        t.stdout.contains("  change of jurisdiction AZE → IRN")
            || t.stdout.contains("  change of jurisdiction IRN → AZE"),
        "{}",
        t.stdout
    );
}

/// 100 m pixels over 480–540 km E and 4400–4460 km N: covers the barrier fixture's grid.
fn wide_plane_dem(path: &std::path::Path) {
    plane(path, (600, 600, 100.0), (480_000.0, 4_460_000.0));
}

#[test]
fn a_dem_adds_a_slope_cost_and_its_grade_limit_is_a_hard_rule() {
    let dir = tempfile::tempdir().unwrap();
    let dem = dir.path().join("plane.tif");
    wide_plane_dem(&dem);
    let base = std::fs::read_to_string(fixture("corridor/barrier.toml")).unwrap();
    let with_limit = |limit: f64| {
        let c = dir.path().join(format!("c{limit}.toml"));
        std::fs::write(&c, format!("{base}\n[max_grade_pct]\nrail = {limit}\n")).unwrap();
        c
    };
    let run_with = |c: &std::path::Path, dem_args: &[&std::ffi::OsStr]| {
        let r = run(delimit()
            .args([
                "corridor",
                "route",
                "--json",
                "--from",
                "40.0,45.05",
                "--to",
                "40.0,45.25",
                "--cell",
                "200",
                "--margin-km",
                "12",
            ])
            .arg("--constraints")
            .arg(c)
            .arg("--legal")
            .arg(fixture("corridor/barrier-legal.geojson"))
            .arg("--control")
            .arg(fixture("corridor/barrier-control.geojson"))
            .args(dem_args));
        assert!(r.code == 0 || r.code == 1, "{}", r.stderr);
        (r.code, serde_json::from_str::<Value>(&r.stdout).unwrap())
    };
    let c = with_limit(2.5);
    let (_, flat) = run_with(&c, &[]);
    let (code, sloped) = run_with(&c, &["--dem".as_ref(), dem.as_os_str()]);
    assert_eq!(code, 0, "{sloped}");
    // A uniform 2% everywhere: every cell costs 1 + (2/2.5)² = 1.64 times
    // as much, so the same path costs 1.64 times as much.
    let ratio = f(&sloped["options"][0]["cost"]) / f(&flat["options"][0]["cost"]);
    assert!((ratio - 1.64).abs() < 0.01, "{ratio}");
    assert_eq!(sloped["provenance"]["parameters"]["grid"]["slope"]["too_steep"], 0);
    // The generated route is measured on the DEM as `measure` does.
    let g = f(&sloped["options"][0]["route"]["profile"]["max_grade_pct"]);
    assert!(g > 1.5 && g < 2.05, "{g}");

    // Under a 1.5% limit nothing is passable, and the answer says why.
    let (code, v) = run_with(&with_limit(1.5), &["--dem".as_ref(), dem.as_os_str()]);
    assert_eq!(code, 1);
    let why = v["no_route"].as_str().unwrap();
    assert!(why.contains("steeper than the rail limit of 1.5%"), "{why}");
}

/// `--from` and `--to` are LAT,LON like every point flag; a swapped pair
/// is refused before any grid is built.
#[test]
fn a_swapped_from_or_to_is_refused_with_the_hint() {
    let (code, v) = route_run("12", &[]);
    assert_eq!(code, 0);
    let first = &v["options"][0]["route"];
    assert!(first.is_object(), "{v}");
    let r = run(&mut barrier_route("45.05,40.0", "40.0,45.25"));
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("hint: did you mean --from 40,45.05 (LAT,LON)?"), "{}", r.stderr);
    assert!(r.stdout.is_empty());
}

/// `--cost-out` is written through the guarded output path: refused when it
/// exists, replaced with `--force`, never staged under a fixed name beside
/// the target (a planted `cost.tif.partial` symlink is left alone).
#[test]
fn cost_out_is_guarded_and_takes_force() {
    let dir = tempfile::tempdir().unwrap();
    let cost = dir.path().join("cost.tif");
    std::fs::write(&cost, b"old").unwrap();
    let planted = dir.path().join("victim.txt");
    std::fs::write(&planted, b"keep").unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(&planted, dir.path().join("cost.tif.partial")).unwrap();
    let r = run(barrier_route("40.0,45.05", "40.0,45.25").arg("--cost-out").arg(&cost));
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("already exists"), "{}", r.stderr);
    let (code, _) = route_run("12", &["--cost-out", cost.to_str().unwrap(), "--force"]);
    assert_eq!(code, 0);
    let tif = std::fs::read(&cost).unwrap();
    assert_eq!(&tif[..2], b"II", "a little-endian GeoTIFF replaced the old file");
    assert_eq!(std::fs::read(&planted).unwrap(), b"keep", "the planted symlink's target is untouched");
    let left: Vec<String> =
        crate::util::listing(dir.path()).into_iter().filter(|n| n.starts_with(".delimit-tmp")).collect();
    assert!(left.is_empty(), "{left:?}");
}

/// `corridor route` across the barrier fixture, between two LAT,LON points.
fn barrier_route(from: &str, to: &str) -> assert_cmd::Command {
    let mut c = delimit();
    c.args(["corridor", "route", "--json", "--from", from, "--to", to, "--cell", "200"])
        .arg("--constraints")
        .arg(fixture("corridor/barrier.toml"))
        .arg("--legal")
        .arg(fixture("corridor/barrier-legal.geojson"))
        .arg("--control")
        .arg(fixture("corridor/barrier-control.geojson"));
    c
}

/// Positions in text name their hemispheres, as everywhere in delimit
/// (`38.90358°N 46.24253°E`), never a bare `38.90358,46.24253`.
#[test]
fn verdict_positions_name_their_hemispheres() {
    let r = run(delimit().args(["corridor", "measure"]));
    assert!(r.code == 0 || r.code == 1, "{}", r.stderr);
    let lines: Vec<&str> = r.stdout.lines().filter(|l| l.contains(" at ") && l.contains('°')).collect();
    assert!(!lines.is_empty(), "{}", r.stdout);
    for l in &lines {
        assert!(l.contains("°N ") && l.contains("°E"), "{l}");
    }
    let bare = bare_pair(&r.stdout);
    assert!(bare.is_none(), "a bare LAT,LON pair: {bare:?}");
}

/// The first `12.34567,45.67890`-like pair in `text`, if any.
fn bare_pair(text: &str) -> Option<String> {
    text.split(|c: char| c.is_whitespace() || c == ';' || c == '(' || c == ')').find_map(|w| {
        let (a, b) = w.split_once(',')?;
        let num = |s: &str| s.len() > 4 && s.contains('.') && s.parse::<f64>().is_ok();
        (num(a) && num(b)).then(|| w.to_string())
    })
}

/// One edge convention: crossings are found on edges straight in lon/lat,
/// and lengths are measured along those same edges on the ellipsoid, so a
/// route's pieces add up to its length, and the km per jurisdiction agree
/// with an independent computation (shapely cuts the route segmentized to
/// 1e-4°, pyproj.Geod measures the parts: tests/peers/corridor_lengths.py)
/// within 1 mm per 100 km. Run on the sample's two routes (long edges across
/// several borders) and on a zigzag of 30–60 km edges across the ARM–AZE
/// border, where the geodesic reading of the pieces overran the route.
#[test]
fn route_pieces_add_up_to_the_route_and_agree_with_shapely_and_pyproj() {
    let dir = tempfile::tempdir().unwrap();
    let zigzag = dir.path().join("zigzag.geojson");
    let pts: Vec<String> = (0..9)
        .map(|k| {
            let (lon, lat) = (45.0 + 0.3 * k as f64, if k % 2 == 0 { 40.4 } else { 41.0 });
            format!("[{lon},{lat}]")
        })
        .collect();
    std::fs::write(
        &zigzag,
        format!(
            r#"{{"type":"FeatureCollection","features":[{{"type":"Feature","properties":{{"name":"zigzag","kind":"road"}},"geometry":{{"type":"LineString","coordinates":[{}]}}}}]}}"#,
            pts.join(",")
        ),
    )
    .unwrap();
    let legal = crate::util::root().join("data/legal.geojson");
    for routes in [crate::util::root().join("data/routes.geojson"), zigzag] {
        let r = run(delimit().args(["corridor", "measure", "--json", "--routes"]).arg(&routes));
        assert_eq!(r.code, 0, "{}", r.stderr);
        let ours: Value = serde_json::from_str(&r.stdout).unwrap();
        let peers = crate::util::python_peer("corridor_lengths.py", &[legal.as_os_str(), routes.as_os_str()]);
        for peer in peers {
            let name = peer["name"].as_str().unwrap();
            let ours = route(&ours, name);
            let length = f(&ours["length_m"]);
            let pieces: f64 = ours["pieces"].as_array().unwrap().iter().map(|p| f(&p["length_m"])).sum();
            assert!((pieces - length).abs() < 1e-9 * length, "{name}: pieces {pieces} m vs route {length} m");
            // 1 mm per 100 km.
            let tol = 1e-8 * length;
            assert!((length - f(&peer["length_m"])).abs() < tol, "{name}: {length} m vs pyproj {}", peer["length_m"]);
            let mut by_owner = std::collections::BTreeMap::<String, f64>::new();
            for (k, m) in ours["by_jurisdiction_m"].as_object().unwrap() {
                *by_owner.entry(k.split('|').next().unwrap().to_string()).or_default() += f(m);
            }
            let theirs = peer["by_owner_m"].as_object().unwrap();
            assert_eq!(by_owner.len(), theirs.len(), "{name}: {by_owner:?} vs {theirs:?}");
            for (owner, m) in theirs {
                let got = by_owner[owner.as_str()];
                assert!((got - f(m)).abs() < tol, "{name}: {owner} {got} m vs shapely+pyproj {m} m");
            }
        }
    }
}
