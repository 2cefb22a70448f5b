//! Results as features: one attribute table per result kind, shared by the
//! subcommands' `-o`, the QGIS GeoPackage and the report, so that a field
//! is named and rounded the same way wherever it appears.

use geo::{Geometry, LineString, Point};
use serde_json::{Map, Value};

use crate::check::Report;
use crate::corridor::RouteReport;
use crate::layer::Feature;
use crate::lines::{Deviation, PairLine, Progress};
use crate::overlay::Gap;

/// Round to `places` decimals; `+ 0.0` turns -0 into 0 so outputs do not
/// flip sign in the last place between platforms.
fn round(x: f64, places: i32) -> f64 {
    let k = 10f64.powi(places);
    (x * k).round() / k + 0.0
}

fn feature(id: String, index: usize, geometry: Geometry<f64>, properties: Map<String, Value>) -> Feature {
    Feature { id, index, geometry: Some(geometry), properties }
}

/// Gap pieces, in the order given: class, owner, controller, measures.
///
/// ```
/// let r = delimit::overlay::gaps(
///     &delimit::sample::load("legal.geojson", &Default::default()).unwrap(),
///     &delimit::sample::load("control.geojson", &Default::default()).unwrap(),
///     None, &Default::default()).unwrap();
/// let held: Vec<_> = r.gaps.iter().filter(|g| g.class.as_str() == "held_by_other").collect();
/// let f = delimit::export::gap_features(&held);
/// assert_eq!(f.len(), held.len());
/// assert_eq!(f[0].properties["class"], "held_by_other");
/// ```
pub fn gap_features(gaps: &[&Gap]) -> Vec<Feature> {
    gaps.iter()
        .enumerate()
        .map(|(i, g)| {
            let mut p = Map::new();
            p.insert("id".into(), g.id.clone().into());
            p.insert("class".into(), g.class.as_str().into());
            p.insert("owner".into(), g.owner.clone().into());
            p.insert("controller".into(), g.controller.clone().into());
            p.insert("legal_unit".into(), g.legal_unit.clone().into());
            p.insert("control_ids".into(), g.control_ids.join(", ").into());
            p.insert("control_source".into(), g.control_source.clone().into());
            p.insert("as_of".into(), g.as_of.clone().into());
            p.insert("area_km2".into(), round(g.area_m2 / 1e6, 6).into());
            p.insert("perimeter_km".into(), round(g.perimeter_m / 1e3, 4).into());
            p.insert("depth_m".into(), g.depth_m.map(|d| round(d, 1)).into());
            p.insert("width_m".into(), round(g.width_m, 1).into());
            p.insert("settlements".into(), g.settlements.join("; ").into());
            p.insert("sliver".into(), g.sliver.into());
            feature(g.id.clone(), i, g.geometry.clone().into(), p)
        })
        .collect()
}

/// Deviation stations: points on the legal line with their signed offset.
///
/// ```
/// let d = delimit::lines::Deviation::default();
/// assert!(delimit::export::station_features(&d).is_empty());
/// ```
pub fn station_features(d: &Deviation) -> Vec<Feature> {
    d.stations
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let mut p = Map::new();
            p.insert("pair".into(), s.pair.clone().into());
            p.insert("part".into(), s.part.into());
            p.insert("chainage_km".into(), round(s.chainage_km, 4).into());
            p.insert("offset_m".into(), round(s.offset_m, 2).into());
            p.insert("abs_offset_m".into(), round(s.offset_m.abs(), 2).into());
            p.insert("side".into(), s.side.clone().into());
            p.insert("band".into(), s.band.as_str().into());
            feature(format!("s{}", i + 1), i, Geometry::Point(s.point), p)
        })
        .collect()
}

/// Deviation runs: stretches of the legal line of constant side and band.
///
/// ```
/// let d = delimit::lines::Deviation::default();
/// assert!(delimit::export::run_features(&d).is_empty());
/// ```
pub fn run_features(d: &Deviation) -> Vec<Feature> {
    d.band_runs
        .iter()
        .enumerate()
        .map(|(i, run)| {
            let mut p = Map::new();
            p.insert("pair".into(), run.pair.clone().into());
            p.insert("part".into(), run.part.into());
            p.insert("side".into(), run.side.clone().into());
            p.insert("band".into(), run.band.as_str().into());
            p.insert("chainage_from_km".into(), round(run.from_km, 4).into());
            p.insert("chainage_to_km".into(), round(run.to_km, 4).into());
            p.insert("length_km".into(), round(run.to_km - run.from_km, 4).into());
            p.insert("max_offset_m".into(), round(run.max_offset_m, 1).into());
            p.insert("offset_m".into(), round(run.mean_offset_m, 1).into());
            p.insert("nearest_settlement".into(), run.nearest_settlement.clone().into());
            feature(format!("r{}", i + 1), i, Geometry::LineString(run.geometry.clone()), p)
        })
        .collect()
}

/// Boundary lines, one feature per owner pair.
///
/// ```
/// let legal = delimit::sample::load("legal.geojson", &Default::default()).unwrap();
/// let lines = delimit::lines::pair_lines(&legal, "owner");
/// let f = delimit::export::pair_line_features(&lines);
/// assert!(f.iter().any(|f| f.id == "ARM|AZE"));
/// ```
pub fn pair_line_features(lines: &[PairLine]) -> Vec<Feature> {
    lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let mut p = Map::new();
            p.insert("pair".into(), l.pair().into());
            p.insert("a".into(), l.a.clone().into());
            p.insert("b".into(), l.b.clone().into());
            p.insert("parts".into(), l.line.0.len().into());
            p.insert("length_km".into(), round(l.length_m / 1e3, 4).into());
            feature(l.pair(), i, Geometry::MultiLineString(l.line.clone()), p)
        })
        .collect()
}

/// The legal lines split into delimited and pending parts, per sector.
///
/// ```
/// let p = delimit::lines::Progress { sectors: vec![], matched: vec![], problems: vec![], parts: vec![] };
/// assert!(delimit::export::progress_features(&p).is_empty());
/// ```
pub fn progress_features(p: &Progress) -> Vec<Feature> {
    p.parts
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let mut m = Map::new();
            m.insert("pair".into(), s.pair.clone().into());
            m.insert("part".into(), s.part.into());
            m.insert("sector".into(), s.sector.clone().into());
            m.insert("status".into(), s.status.into());
            m.insert("chainage_from_km".into(), round(s.from_km, 4).into());
            m.insert("chainage_to_km".into(), round(s.to_km, 4).into());
            m.insert("length_km".into(), round(s.to_km - s.from_km, 4).into());
            feature(format!("p{}", i + 1), i, Geometry::LineString(s.geometry.clone()), m)
        })
        .collect()
}

/// What [`route_features`] returns: each measured route's pieces by
/// jurisdiction, its border crossings and its closest approaches.
#[derive(Debug, Clone, Default)]
pub struct RouteFeatures {
    /// Lines, one per jurisdiction piece.
    pub pieces: Vec<Feature>,
    /// Points where a route passes from one legal owner to another.
    pub crossings: Vec<Feature>,
    /// Two-point lines from a route to the boundary it comes closest to.
    pub clearances: Vec<Feature>,
}

impl RouteFeatures {
    /// All three, in one list with a `kind` field (`piece`, `crossing`,
    /// `clearance`), as `corridor -o` writes them to a single layer.
    pub fn into_single_layer(self) -> Vec<Feature> {
        let mut out: Vec<Feature> = Vec::new();
        for mut f in self.pieces.into_iter().chain(self.crossings).chain(self.clearances) {
            f.index = out.len();
            f.id = format!("{}", out.len() + 1);
            out.push(f);
        }
        out
    }
}

/// A least-cost path over a given cost raster, as one line feature with
/// its cost and cell count.
pub fn raster_route_features(r: &crate::corridor::raster::RasterRoute) -> Vec<Feature> {
    let mut m = Map::new();
    m.insert("cost".into(), r.cost.into());
    m.insert("cells".into(), r.cells.into());
    vec![Feature { id: "1".into(), index: 0, geometry: Some(Geometry::LineString(r.line.clone())), properties: m }]
}

/// Route pieces, crossings and clearances.
///
/// ```
/// let f = delimit::export::route_features(&[]);
/// assert!(f.pieces.is_empty() && f.crossings.is_empty());
/// ```
pub fn route_features(reports: &[RouteReport]) -> RouteFeatures {
    let mut out = RouteFeatures::default();
    let push = |list: &mut Vec<Feature>, prefix: &str, g: Geometry<f64>, p: Map<String, Value>| {
        let i = list.len();
        list.push(feature(format!("{prefix}{}", i + 1), i, g, p));
    };
    for r in reports {
        for p in &r.pieces {
            let mut m = Map::new();
            m.insert("kind".into(), "piece".into());
            m.insert("route".into(), r.name.clone().into());
            m.insert("owner".into(), p.owner.clone().into());
            m.insert("controller".into(), p.controller.clone().into());
            m.insert("length_km".into(), round(p.length_m / 1e3, 6).into());
            push(&mut out.pieces, "piece", Geometry::LineString(p.geometry.clone()), m);
        }
        for x in &r.crossings {
            let mut m = Map::new();
            m.insert("kind".into(), "crossing".into());
            m.insert("route".into(), r.name.clone().into());
            m.insert("from".into(), x.from.clone().into());
            m.insert("to".into(), x.to.clone().into());
            m.insert("checkpoint".into(), x.checkpoint.clone().into());
            m.insert("transit_border".into(), x.transit_border.into());
            push(&mut out.crossings, "crossing", Geometry::Point(x.at.point()), m);
        }
        for c in &r.clearances {
            if let (Some(a), Some(b), Some(d)) = (c.at, c.to, c.min_m) {
                let mut m = Map::new();
                m.insert("kind".into(), "clearance".into());
                m.insert("route".into(), r.name.clone().into());
                m.insert("boundary".into(), c.boundary.clone().into());
                m.insert("distance_m".into(), round(d, 1).into());
                let line = LineString::new(vec![a.coord(), b.coord()]);
                push(&mut out.clearances, "clearance", Geometry::LineString(line), m);
            }
        }
    }
    out
}

/// Problems that have a location, as points (a problem without one, such as
/// an empty layer, has nothing to draw).
///
/// ```
/// let legal = delimit::sample::load("legal.geojson", &Default::default()).unwrap();
/// let r = delimit::check::check_layer(&legal, &delimit::check::CheckOptions::for_role(delimit::Role::Legal));
/// let f = delimit::export::problem_features(&r);
/// assert_eq!(f.len(), r.problems.iter().filter(|p| p.location.is_some()).count());
/// ```
pub fn problem_features(r: &Report) -> Vec<Feature> {
    r.problems
        .iter()
        .filter_map(|p| p.location.map(|at| (p, at)))
        .enumerate()
        .map(|(i, (p, at))| {
            let mut m = Map::new();
            m.insert("code".into(), p.code.into());
            m.insert("severity".into(), serde_json::to_value(p.severity).unwrap_or(Value::Null));
            m.insert("feature".into(), p.feature.clone().into());
            m.insert("other".into(), p.other.clone().into());
            m.insert("message".into(), p.message.clone().into());
            m.insert("area_km2".into(), p.area_km2.into());
            m.insert("width_m".into(), p.width_m.into());
            feature(format!("problem{}", i + 1), i, Geometry::Point(Point::new(at[0], at[1])), m)
        })
        .collect()
}

/// A batch's columns and delimit's own fields in one row: the row's own
/// columns first, under their own names, then delimit's. Where a column of
/// the batch (of any row: one schema for the whole output) has the name of
/// one of delimit's fields, compared without case as GeoPackage and
/// Shapefile compare them, delimit's field is `delimit_NAME`.
struct Row<'a> {
    taken: &'a std::collections::BTreeSet<String>,
    p: Map<String, Value>,
}

impl<'a> Row<'a> {
    fn new(taken: &'a std::collections::BTreeSet<String>, given: &Map<String, Value>) -> Row<'a> {
        Row { taken, p: given.clone() }
    }

    fn put(&mut self, key: &str, v: impl Into<Value>) {
        let mut k = key.to_string();
        while self.taken.contains(&k.to_lowercase()) {
            k = format!("delimit_{k}");
        }
        self.p.insert(k, v.into());
    }
}

/// The lower-cased names of every column the batch's rows brought.
fn batch_columns(replies: &[crate::village::batch::Reply]) -> std::collections::BTreeSet<String> {
    replies.iter().flat_map(|r| r.given.keys().map(|k| k.to_lowercase())).collect()
}

/// Places as points, and a line from each to its nearest legal and control
/// boundary points, for QGIS. Each place carries its row's own columns (see
/// [`village_rows`]) and the caveats its answer has.
pub fn village_features(replies: &[crate::village::batch::Reply]) -> Vec<Feature> {
    let taken = batch_columns(replies);
    let mut out = Vec::new();
    for (r, a) in replies.iter().filter_map(|r| r.answer.as_ref().map(|a| (r, a))) {
        let here = Point::new(a.lon, a.lat);
        let mut p = Row::new(&taken, &r.given);
        p.put("kind", "place");
        p.put("query", a.query.clone());
        p.put("name", a.place.as_ref().map(|p| p.name.clone()));
        p.put("legal_status", a.legal.status);
        p.put("owner", a.legal.key.clone());
        p.put("province", a.province.clone());
        p.put("province_note", a.province_note.clone());
        p.put("controller", a.control.key.clone());
        p.put("gap_id", a.gap.as_ref().map(|g| g.id.clone()));
        p.put("legal_line_m", a.legal_line.as_ref().map(|d| (d.distance_m * 10.0).round() / 10.0));
        p.put("control_line_m", a.control_line.as_ref().map(|d| (d.distance_m * 10.0).round() / 10.0));
        p.put("data_note", a.place.as_ref().and_then(|p| p.data_note.clone()));
        let id = format!("{}", out.len() + 1);
        out.push(Feature { id, index: out.len(), geometry: Some(Geometry::Point(here)), properties: p.p });
        for (kind, d) in [("legal_line", &a.legal_line), ("control_line", &a.control_line)] {
            if let Some(d) = d {
                let mut q = serde_json::Map::new();
                q.insert("kind".into(), kind.into());
                q.insert("query".into(), a.query.clone().into());
                q.insert("other".into(), d.other.clone().into());
                q.insert("distance_m".into(), ((d.distance_m * 10.0).round() / 10.0).into());
                q.insert("bearing_deg".into(), ((d.bearing_deg * 10.0).round() / 10.0).into());
                let line = LineString::from(vec![(a.lon, a.lat), (d.point.lon, d.point.lat)]);
                let id = format!("{}", out.len() + 1);
                out.push(Feature { id, index: out.len(), geometry: Some(Geometry::LineString(line)), properties: q });
            }
        }
    }
    out
}

/// The replies as a flat table: one row per question, a point where there
/// is an answer (CSV gets `lon` and `lat` columns, and WKT).
pub fn village_rows(replies: &[crate::village::batch::Reply]) -> Vec<Feature> {
    let taken = batch_columns(replies);
    replies
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let a = r.answer.as_ref();
            let place = a.and_then(|a| a.place.as_ref());
            let m = |d: Option<&crate::village::Distance>| d.map(|d| (d.distance_m * 10.0).round() / 10.0);
            let mut p = Row::new(&taken, &r.given);
            p.put("line", r.line);
            p.put("query", r.query_text());
            p.put("status", r.status.as_str());
            p.put("name", place.map(|p| p.name.clone()));
            p.put("settlement_id", place.map(|p| p.id.clone()));
            p.put("lat", a.map(|a| a.lat));
            p.put("lon", a.map(|a| a.lon));
            p.put("legal_status", a.map(|a| a.legal.status));
            p.put("owner", a.and_then(|a| a.legal.key.clone()));
            p.put("province", a.and_then(|a| a.province.clone()));
            p.put("province_note", a.and_then(|a| a.province_note.clone()));
            p.put("controller", a.and_then(|a| a.control.key.clone()));
            p.put("gap_id", a.and_then(|a| a.gap.as_ref()).map(|g| g.id.clone()));
            p.put("legal_line_m", m(a.and_then(|a| a.legal_line.as_ref())));
            p.put("control_line_m", m(a.and_then(|a| a.control_line.as_ref())));
            p.put("data_note", place.and_then(|p| p.data_note.clone()));
            p.put("candidates", r.candidates.join("; "));
            p.put("reason", r.reason.clone());
            Feature {
                id: format!("{}", i + 1),
                index: i,
                geometry: a.map(|a| Geometry::Point(Point::new(a.lon, a.lat))),
                properties: p.p,
            }
        })
        .collect()
}
