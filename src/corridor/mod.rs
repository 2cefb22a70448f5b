//! Transit-route options measured against sovereignty constraints.
//!
//! A route is split exactly where it crosses a legal or a control boundary
//! (edges are straight in lon/lat, so the crossings are segment
//! intersections), and each piece is labelled with its legal owner and
//! controller. From the pieces come the km per jurisdiction and the border
//! crossings; clearances and protected-line crossings are measured against
//! the named lines. Each constraint gets a verdict with the measured
//! number and the limit. The module takes no position: the constraints
//! file states one, and the verdicts only compare.

mod constraints;
mod dem;
pub mod plan;
pub mod raster;
mod route;
pub mod text;

pub use constraints::{Checkpoint, Clearance, Constraints, Protected, Reciprocal};
pub use dem::{Dem, Profile};
pub use route::{CostGrid, GridStats, PENALTY, SlopeStats, apply_slope, apply_slope_with, build_grid};

use std::borrow::Cow;
use std::collections::BTreeMap;

use geo::{Coord, Distance, Geodesic, LineString, MultiPolygon, Point};
use serde::Serialize;

use crate::index::{EdgeIndex, Places, PolygonIndex, Position};
use crate::layer::Layer;
use crate::lines::PairLine;
use crate::position;

/// A piece of a route in one jurisdiction.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Piece {
    /// Legal owner (none outside the basis; `boundary` along one).
    pub owner: Option<String>,
    /// Controller.
    pub controller: Option<String>,
    /// Length on the ellipsoid of its edges straight in lon/lat, m.
    pub length_m: f64,
    /// Chainage from, m.
    pub from_m: f64,
    /// The piece.
    #[serde(skip)]
    pub geometry: LineString<f64>,
}

/// A point where the route passes from one legal owner to another.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Crossing {
    /// Where.
    pub at: position::Position,
    /// Chainage, m.
    pub chainage_m: f64,
    /// Owner before.
    pub from: Option<String>,
    /// Owner after.
    pub to: Option<String>,
    /// The allowed checkpoint it falls within, if any.
    pub checkpoint: Option<String>,
    /// Whether it crosses the transit state's legal border (one side is
    /// the transit state). Only these are held to its checkpoints; the
    /// others are changes of jurisdiction between other parties, such as
    /// AZE↔IRN along the Araz.
    pub transit_border: bool,
}

/// The closest approach to a named boundary.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClearanceResult {
    /// The boundary, "A|B".
    pub boundary: String,
    /// Minimum geodesic distance, m (None when that boundary does not exist).
    pub min_m: Option<f64>,
    /// Where on the route.
    pub at: Option<position::Position>,
    /// The nearest boundary point.
    pub to: Option<position::Position>,
}

/// A crossing of a protected line.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProtectedCrossing {
    /// The protected line's name.
    pub name: String,
    /// Where.
    pub at: position::Position,
}

/// PASS, FAIL or N/A for one constraint.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Verdict {
    /// The rule.
    pub rule: String,
    /// `PASS`, `FAIL` or `N/A`.
    pub status: &'static str,
    /// What was measured.
    pub measured: Option<f64>,
    /// The limit.
    pub limit: Option<f64>,
    /// The unit of `measured` and `limit`: `km`, `m`, `%` or `count`.
    pub unit: &'static str,
    /// A short explanation (where it fails).
    pub detail: String,
}

impl Verdict {
    /// A measured value or limit with its unit: `134.625 km`, `14 crossings`.
    pub fn with_unit(&self, x: Option<f64>) -> String {
        match (x, self.unit) {
            (None, _) => "none".into(),
            (Some(x), "count") => format!("{x:.0}"),
            (Some(x), "m") => format!("{} m", crate::units::thousands(x, 0)),
            (Some(x), "%") => format!("{x:.2}%"),
            (Some(x), u) => format!("{x:.3} {u}"),
        }
    }
}

/// Everything measured for one route.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RouteReport {
    /// Route name.
    pub name: String,
    /// `rail`, `road`, …
    pub kind: Option<String>,
    /// Length on the ellipsoid of its edges straight in lon/lat, m: the
    /// sum of its pieces' lengths.
    pub length_m: f64,
    /// Pieces in route order.
    pub pieces: Vec<Piece>,
    /// km per (owner, controller), "owner|controller" → m.
    pub by_jurisdiction_m: BTreeMap<String, f64>,
    /// Legal border crossings.
    pub crossings: Vec<Crossing>,
    /// Closest approach to each named boundary.
    pub clearances: Vec<ClearanceResult>,
    /// Protected-line crossings.
    pub protected_crossings: Vec<ProtectedCrossing>,
    /// Settlements within the buffer: (name, distance m).
    pub settlements: Vec<(String, f64)>,
    /// Elevation profile, when a DEM was given.
    pub profile: Option<Profile>,
    /// One per constraint.
    pub verdicts: Vec<Verdict>,
}

/// Grade window and station spacing for profiles, m.
pub const GRADE_WINDOW_M: f64 = 200.0;
/// Profile station spacing, m.
pub const PROFILE_STEP_M: f64 = 10.0;

/// GDAL transformations from lon/lat (WGS 84) to `srs` and back, both in
/// lon/lat (x = longitude) axis order; `srs` is set to that order too.
pub fn lonlat_transforms(
    srs: &mut gdal::spatial_ref::SpatialRef,
) -> std::result::Result<(gdal::spatial_ref::CoordTransform, gdal::spatial_ref::CoordTransform), gdal::errors::GdalError>
{
    use gdal::spatial_ref::{AxisMappingStrategy, CoordTransform, SpatialRef};
    srs.set_axis_mapping_strategy(AxisMappingStrategy::TraditionalGisOrder);
    let mut wgs = SpatialRef::from_epsg(4326)?;
    wgs.set_axis_mapping_strategy(AxisMappingStrategy::TraditionalGisOrder);
    Ok((CoordTransform::new(&wgs, srs)?, CoordTransform::new(srs, &wgs)?))
}

/// A lon/lat pair as a reader reads it: `38.90358°N 46.24253°E`.
fn at_text(at: position::Position) -> String {
    at.to_string()
}

/// "2 crossing(s) of its legal border; 12 other change(s) of jurisdiction".
fn crossing_summary(crossings: &[Crossing]) -> String {
    let own = crossings.iter().filter(|x| x.transit_border).count();
    let other = crossings.len() - own;
    let mut s = format!("{own} crossing(s) of its legal border");
    if other > 0 {
        s.push_str(&format!("; {other} other change(s) of jurisdiction"));
    }
    s
}

/// Parameter along a–b where it meets c–d (proper or touching), if it does.
fn intersect(a: Coord<f64>, b: Coord<f64>, c: Coord<f64>, d: Coord<f64>) -> Option<f64> {
    let r = (b.x - a.x, b.y - a.y);
    let s = (d.x - c.x, d.y - c.y);
    let den = r.0 * s.1 - r.1 * s.0;
    if den == 0.0 {
        return None; // parallel or collinear: no single crossing point
    }
    let q = (c.x - a.x, c.y - a.y);
    let t = (q.0 * s.1 - q.1 * s.0) / den;
    let u = (q.0 * r.1 - q.1 * r.0) / den;
    ((0.0..=1.0).contains(&t) && (0.0..=1.0).contains(&u)).then_some(t)
}

/// The layers a route is measured against, indexed once.
pub struct Context<'a> {
    legal: &'a Layer,
    control: &'a Layer,
    owner_field: String,
    controller_field: String,
    legal_idx: PolygonIndex,
    control_idx: PolygonIndex,
    edges: EdgeIndex,
    boundaries: Vec<PairLine>,
    places: Places,
}

impl<'a> Context<'a> {
    /// Index the legal and control layers; `boundaries` are the named lines
    /// for clearance rules (from `lines::pair_lines_within`).
    pub fn new(
        legal: &'a Layer,
        control: &'a Layer,
        owner_field: &str,
        controller_field: &str,
        boundaries: Vec<PairLine>,
        settlements: Option<&Layer>,
        name_field: &str,
    ) -> Context<'a> {
        let polys = |l: &'a Layer| -> Vec<(usize, Cow<'a, MultiPolygon<f64>>)> {
            l.features.iter().enumerate().filter_map(|(i, f)| Some((i, f.polygons()?))).collect()
        };
        let (lm, cm) = (polys(legal), polys(control));
        // One tree for both layers' edges: a route is split wherever it
        // crosses either.
        let edges = EdgeIndex::new(
            lm.iter()
                .map(|(i, m)| (*i, "legal", m.as_ref()))
                .chain(cm.iter().map(|(i, m)| (*i, "control", m.as_ref()))),
        );
        Context {
            legal,
            control,
            owner_field: owner_field.to_string(),
            controller_field: controller_field.to_string(),
            legal_idx: PolygonIndex::new(lm.iter().map(|(i, m)| (*i, m.as_ref()))),
            control_idx: PolygonIndex::new(cm.iter().map(|(i, m)| (*i, m.as_ref()))),
            edges,
            boundaries,
            places: Places::new(settlements, name_field),
        }
    }

    fn key_at(&self, idx: &PolygonIndex, layer: &Layer, field: &str, c: Coord<f64>) -> Option<String> {
        let hits = idx.locate(c);
        if hits.iter().any(|h| h.1 == Position::Boundary) {
            return Some("boundary".into());
        }
        let mut keys: Vec<String> = hits.iter().filter_map(|&(i, _)| layer.features[i].text(field)).collect();
        keys.dedup();
        match keys.len() {
            0 => None,
            1 => keys.pop(),
            _ => Some(keys.join("|")),
        }
    }

    /// Split a route at every legal and control boundary and label the pieces.
    pub fn pieces(&self, route: &LineString<f64>) -> Vec<Piece> {
        let mut out: Vec<Piece> = Vec::new();
        let mut chain = 0.0;
        for w in route.0.windows(2) {
            let (a, b) = (w[0], w[1]);
            let mut ts: Vec<f64> = vec![0.0, 1.0];
            for (c, d, _, _) in self.edges.edges_near(a, b) {
                if let Some(t) = intersect(a, b, c, d) {
                    ts.push(t);
                }
            }
            ts.sort_by(f64::total_cmp);
            ts.dedup_by(|x, y| (*x - *y).abs() < 1e-12);
            let at = |t: f64| Coord { x: a.x + t * (b.x - a.x), y: a.y + t * (b.y - a.y) };
            for s in ts.windows(2) {
                let (p, q) = (at(s[0]), at(s[1]));
                // The crossings are found on the edge straight in lon/lat, so
                // the edge is measured as that curve: the pieces then add up
                // to the route's length exactly (see measure::straight_edge_length_m).
                let len = crate::measure::straight_edge_length_m(p, q);
                if len == 0.0 {
                    continue;
                }
                let mid = at((s[0] + s[1]) / 2.0);
                let owner = self.key_at(&self.legal_idx, self.legal, &self.owner_field, mid);
                let controller = self.key_at(&self.control_idx, self.control, &self.controller_field, mid);
                match out.last_mut() {
                    Some(last) if last.owner == owner && last.controller == controller => {
                        last.length_m += len;
                        last.geometry.0.push(q);
                    }
                    _ => out.push(Piece {
                        owner,
                        controller,
                        length_m: len,
                        from_m: chain,
                        geometry: LineString::new(vec![p, q]),
                    }),
                }
                chain += len;
            }
        }
        out
    }

    /// Measure one route against the constraints.
    ///
    /// ```
    /// use delimit::corridor::{Constraints, Context};
    /// use delimit::lines::pair_lines;
    /// let load = |n| delimit::sample::load(n, &Default::default()).unwrap();
    /// let (legal, control) = (load("legal.geojson"), load("control.geojson"));
    /// let ctx = Context::new(&legal, &control, "owner", "controller", pair_lines(&legal, "owner"), None, "name");
    /// // Meghri to Kajaran (GeoNames 174823 and 174880, in the sample), straight.
    /// let places = load("settlements.geojson");
    /// let at = |id: &str| match places.features.iter().find(|f| f.id == id).unwrap().geometry {
    ///     Some(geo::Geometry::Point(p)) => p.0,
    ///     _ => unreachable!(),
    /// };
    /// let route = geo::LineString::new(vec![at("174823"), at("174880")]);
    /// let c: Constraints = toml::from_str("transit_state = \"ARM\"\nmax_km_outside_legal = 0.0").unwrap();
    /// let r = ctx.measure("Meghri-Kajaran", Some("road"), &route, &c, None, 0.0);
    /// assert!(r.crossings.is_empty());
    /// assert_eq!(r.verdicts[0].status, "PASS");
    /// ```
    pub fn measure(
        &self,
        name: &str,
        kind: Option<&str>,
        route: &LineString<f64>,
        c: &Constraints,
        protected: Option<&[(String, LineString<f64>)]>,
        buffer_km: f64,
    ) -> RouteReport {
        let pieces = self.pieces(route);
        let length_m = crate::measure::straight_line_length_m(route);
        let mut by: BTreeMap<String, f64> = BTreeMap::new();
        for p in &pieces {
            let k = format!("{}|{}", p.owner.as_deref().unwrap_or("-"), p.controller.as_deref().unwrap_or("-"));
            *by.entry(k).or_default() += p.length_m;
        }
        // Crossings: where the legal owner changes (a piece running along a
        // boundary is skipped over, so A→boundary→B is one crossing).
        let mut crossings = Vec::new();
        let mut prev: Option<&Piece> = None;
        for p in pieces.iter().filter(|p| p.owner.as_deref() != Some("boundary")) {
            if let Some(q) = prev
                && q.owner != p.owner
            {
                let at = p.geometry.0[0];
                let checkpoint = c
                    .checkpoint
                    .iter()
                    .find(|k| Geodesic.distance(Point::new(k.lon, k.lat), Point(at)) <= k.radius_m)
                    .map(|k| k.name.clone());
                let transit_border = !c.transit_state.is_empty()
                    && [&q.owner, &p.owner].iter().any(|o| o.as_deref() == Some(&c.transit_state));
                crossings.push(Crossing {
                    at: position::Position::of(at),
                    chainage_m: p.from_m,
                    from: q.owner.clone(),
                    to: p.owner.clone(),
                    checkpoint,
                    transit_border,
                });
            }
            prev = Some(p);
        }
        let clearances: Vec<ClearanceResult> =
            c.clearance.iter().map(|cl| self.clearance(route, &cl.boundary)).collect();
        let mut protected_crossings = Vec::new();
        for (pname, line) in protected.unwrap_or(&[]) {
            for w in route.0.windows(2) {
                for v in line.0.windows(2) {
                    if let Some(t) = intersect(w[0], w[1], v[0], v[1]) {
                        let at = Coord { x: w[0].x + t * (w[1].x - w[0].x), y: w[0].y + t * (w[1].y - w[0].y) };
                        protected_crossings
                            .push(ProtectedCrossing { name: pname.clone(), at: position::Position::of(at) });
                    }
                }
            }
        }
        let route_edges = EdgeIndex::from_rings([(0, "route", route)]);
        let mut settlements: Vec<(String, f64)> = self
            .places
            .iter()
            .filter_map(|(p, n)| {
                let d = route_edges.nearest(p, None, None)?.distance_m;
                (d <= buffer_km * 1000.0).then(|| (n.to_string(), d))
            })
            .collect();
        settlements.sort_by(|a, b| a.1.total_cmp(&b.1).then_with(|| a.0.cmp(&b.0)));

        let t = &c.transit_state;
        // `+ 0.0`: an empty f64 sum is -0.0.
        let outside =
            |f: &dyn Fn(&Piece) -> bool| pieces.iter().filter(|p| f(p)).map(|p| p.length_m).sum::<f64>() + 0.0;
        let mut verdicts = Vec::new();
        let limit_verdict = |rule: &str, measured: f64, limit: Option<f64>, detail: String| Verdict {
            rule: rule.into(),
            status: match limit {
                None => "N/A",
                Some(l) if measured <= l + 1e-9 => "PASS",
                Some(_) => "FAIL",
            },
            measured: Some(measured),
            limit,
            unit: "km",
            detail,
        };
        let out_legal =
            outside(&|p: &Piece| p.owner.as_deref() != Some(t.as_str()) && p.owner.as_deref() != Some("boundary"));
        verdicts.push(limit_verdict(
            "km outside the transit state's legal territory",
            out_legal / 1e3,
            c.max_km_outside_legal,
            crossing_summary(&crossings),
        ));
        let out_control = outside(&|p: &Piece| {
            p.controller.as_deref() != Some(t.as_str()) && p.controller.as_deref() != Some("boundary")
        });
        verdicts.push(limit_verdict(
            "km outside the transit state's control",
            out_control / 1e3,
            c.max_km_outside_control,
            String::new(),
        ));
        // Only the transit state's own border is held to its checkpoints.
        let unallowed: Vec<&Crossing> =
            crossings.iter().filter(|x| x.transit_border && x.checkpoint.is_none()).collect();
        verdicts.push(Verdict {
            rule: "border crossings only at allowed checkpoints".into(),
            // No checkpoints listed: a rule the constraints do not state.
            status: if c.checkpoint.is_empty() {
                "N/A"
            } else if unallowed.is_empty() {
                "PASS"
            } else {
                "FAIL"
            },
            measured: Some(unallowed.len() as f64),
            limit: Some(0.0),
            unit: "count",
            detail: unallowed.iter().map(|x| at_text(x.at)).collect::<Vec<_>>().join("; "),
        });
        for (cl, r) in c.clearance.iter().zip(&clearances) {
            verdicts.push(match r.min_m {
                None => Verdict {
                    rule: format!("clearance from {}", cl.boundary),
                    status: "N/A",
                    measured: None,
                    limit: Some(cl.min_m),
                    unit: "m",
                    detail: "no such boundary".into(),
                },
                Some(m) => Verdict {
                    rule: format!("clearance from {}", cl.boundary),
                    status: if m >= cl.min_m { "PASS" } else { "FAIL" },
                    measured: Some(m),
                    limit: Some(cl.min_m),
                    unit: "m",
                    detail: r.at.map(|a| format!("closest at {}", at_text(a))).unwrap_or_default(),
                },
            });
        }
        if c.protected.is_some() {
            verdicts.push(Verdict {
                rule: "no at-grade crossing of protected lines".into(),
                status: if protected_crossings.is_empty() { "PASS" } else { "FAIL" },
                measured: Some(protected_crossings.len() as f64),
                limit: Some(0.0),
                unit: "count",
                detail: protected_crossings
                    .iter()
                    .map(|x| format!("{} at {}", x.name, at_text(x.at)))
                    .collect::<Vec<_>>()
                    .join("; "),
            });
        }
        if let Some(r) = &c.reciprocal
            && r.route == name
        {
            let foreign = outside(&|p: &Piece| p.owner.as_deref() != Some(t.as_str()));
            verdicts.push(limit_verdict(
                "reciprocal route: km under foreign jurisdiction",
                foreign / 1e3,
                Some(r.max_km_foreign),
                String::new(),
            ));
        }
        // No constraints file, no transit state: the route is measured and
        // no verdict is stated, since no one stated a rule.
        if t.is_empty() {
            verdicts.clear();
        }
        RouteReport {
            name: name.to_string(),
            kind: kind.map(str::to_string),
            length_m,
            pieces,
            by_jurisdiction_m: by,
            crossings,
            clearances,
            protected_crossings,
            settlements,
            profile: None,
            verdicts,
        }
    }

    /// As [`Context::measure`], with the elevation profile and the grade rule
    /// for the route's kind.
    #[allow(clippy::too_many_arguments)]
    pub fn measure_with_dem(
        &self,
        name: &str,
        kind: Option<&str>,
        route: &LineString<f64>,
        c: &Constraints,
        protected: Option<&[(String, LineString<f64>)]>,
        buffer_km: f64,
        dem: &Dem,
    ) -> crate::Result<RouteReport> {
        let mut r = self.measure(name, kind, route, c, protected, buffer_km);
        let p = dem.profile(route, PROFILE_STEP_M, GRADE_WINDOW_M)?;
        if let Some(limit) = kind.and_then(|k| c.max_grade_pct.get(k)) {
            r.verdicts.push(Verdict {
                rule: format!("grade over {GRADE_WINDOW_M} m ({})", kind.unwrap_or_default()),
                status: match p.max_grade_pct {
                    None => "N/A",
                    Some(g) if g <= *limit => "PASS",
                    Some(_) => "FAIL",
                },
                measured: p.max_grade_pct,
                limit: Some(*limit),
                unit: "%",
                detail: p.max_grade_at_m.map(|a| format!("steepest from km {:.3}", a / 1e3)).unwrap_or_default(),
            });
        }
        r.profile = Some(p);
        Ok(r)
    }

    /// Closest approach of `route` to the boundary "A|B" (either order):
    /// route vertices and stations every 25 m against the boundary's edges,
    /// and the boundary's vertices against the route's edges.
    fn clearance(&self, route: &LineString<f64>, boundary: &str) -> ClearanceResult {
        let (a, b) = boundary.split_once('|').unwrap_or((boundary, ""));
        let Some(pl) = self.boundaries.iter().find(|p| (p.a == a && p.b == b) || (p.a == b && p.b == a)) else {
            return ClearanceResult { boundary: boundary.into(), min_m: None, at: None, to: None };
        };
        let bidx = EdgeIndex::from_rings(pl.line.0.iter().enumerate().map(|(i, l)| (i, "b", l)));
        let ridx = EdgeIndex::from_rings([(0, "r", route)]);
        let mut best: Option<(f64, Coord<f64>, Coord<f64>)> = None;
        // A route that crosses the boundary has no clearance at all.
        for w in route.0.windows(2) {
            for (c, d, _, _) in bidx.edges_near(w[0], w[1]) {
                if let Some(t) = intersect(w[0], w[1], c, d) {
                    let at = Coord { x: w[0].x + t * (w[1].x - w[0].x), y: w[0].y + t * (w[1].y - w[0].y) };
                    return ClearanceResult {
                        boundary: boundary.into(),
                        min_m: Some(0.0),
                        at: Some(position::Position::of(at)),
                        to: Some(position::Position::of(at)),
                    };
                }
            }
        }
        // The closest approach of route stations (every 25 m) to the
        // boundary, and of boundary vertices to the route. Each point gets a
        // lower bound first (a few R-tree steps); points are searched
        // geodesically in order of it, until the bound passes the best
        // distance found: thousands of searches become a few dozen. Ties go
        // to the earlier point (stations first, then vertices), as a plain
        // scan in that order would give.
        enum Probe {
            Station(Point<f64>),
            Vertex(Coord<f64>),
        }
        let mut probes: Vec<(f64, usize, Probe)> = Vec::new();
        for (_, p) in crate::lines::stations_along(route, 25.0) {
            if let Some(lb) = bidx.lower_bound_where(p, |_| true) {
                probes.push((lb, probes.len(), Probe::Station(p)));
            }
        }
        for l in &pl.line.0 {
            for &c in &l.0 {
                if let Some(lb) = ridx.lower_bound_where(Point(c), |_| true) {
                    probes.push((lb, probes.len(), Probe::Vertex(c)));
                }
            }
        }
        probes.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        let mut best_seq = usize::MAX;
        for (lb, seq, probe) in probes {
            if best.is_some_and(|b| lb > b.0) {
                break;
            }
            let found = match probe {
                Probe::Station(p) => bidx.nearest(p, None, None).map(|n| (n.distance_m, p.0, n.point.0)),
                Probe::Vertex(c) => ridx.nearest(Point(c), None, None).map(|n| (n.distance_m, n.point.0, c)),
            };
            if let Some(f) = found
                && best.is_none_or(|b| f.0 < b.0 || (f.0 == b.0 && seq < best_seq))
            {
                best = Some(f);
                best_seq = seq;
            }
        }
        ClearanceResult {
            boundary: boundary.into(),
            min_m: best.map(|b| b.0),
            at: best.map(|b| position::Position::of(b.1)),
            to: best.map(|b| position::Position::of(b.2)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The ordered, bounded search finds what a plain scan of every station
    /// and every boundary vertex finds, to the bit: routes near the Iran
    /// lines of the sample.
    #[test]
    fn clearance_equals_the_plain_scan() {
        let legal = crate::sample::load("legal.geojson", &Default::default()).unwrap();
        let control = crate::sample::load("control.geojson", &Default::default()).unwrap();
        let lines = crate::lines::pair_lines_within(&legal, "owner", 0.0);
        let ctx = Context::new(&legal, &control, "owner", "controller", lines, None, "name");
        let routes = [
            LineString::from(vec![(46.00, 39.30), (46.20, 39.25), (46.40, 39.20)]),
            LineString::from(vec![(46.45, 38.80), (46.45, 39.40)]),
        ];
        let mut crossing = 0;
        for route in &routes {
            // The two short lines (tens of km): the plain scan of the
            // 970 km ARM–AZE line would take a minute unoptimised.
            for boundary in ["AZE|IRN", "ARM|IRN"] {
                let got = ctx.clearance(route, boundary);
                let (a, b) = boundary.split_once('|').unwrap();
                let pl = ctx.boundaries.iter().find(|p| (p.a == a && p.b == b) || (p.a == b && p.b == a)).unwrap();
                let bidx = EdgeIndex::from_rings(pl.line.0.iter().enumerate().map(|(i, l)| (i, "b", l)));
                let ridx = EdgeIndex::from_rings([(0, "r", route)]);
                if got.min_m == Some(0.0) {
                    crossing += 1;
                    continue;
                }
                let mut best: Option<(f64, Coord<f64>, Coord<f64>)> = None;
                for (_, p) in crate::lines::stations_along(route, 25.0) {
                    let n = bidx.nearest(p, None, None).unwrap();
                    if best.is_none_or(|b| n.distance_m < b.0) {
                        best = Some((n.distance_m, p.0, n.point.0));
                    }
                }
                for &c in pl.line.0.iter().flat_map(|l| &l.0) {
                    let n = ridx.nearest(Point(c), None, None).unwrap();
                    if best.is_none_or(|b| n.distance_m < b.0) {
                        best = Some((n.distance_m, n.point.0, c));
                    }
                }
                let best = best.unwrap();
                assert_eq!(got.min_m, Some(best.0), "{boundary}");
                assert_eq!(got.at, Some(position::Position::of(best.1)), "{boundary}");
                assert_eq!(got.to, Some(position::Position::of(best.2)), "{boundary}");
            }
        }
        assert!(crossing < 2, "{crossing} of 4 cross: too few compared");
    }

    #[test]
    fn segments_cross_where_they_should() {
        let t = intersect(
            Coord { x: 0.0, y: 0.0 },
            Coord { x: 2.0, y: 0.0 },
            Coord { x: 0.5, y: -1.0 },
            Coord { x: 0.5, y: 1.0 },
        );
        assert_eq!(t, Some(0.25));
        assert_eq!(
            intersect(
                Coord { x: 0.0, y: 0.0 },
                Coord { x: 1.0, y: 0.0 },
                Coord { x: 2.0, y: -1.0 },
                Coord { x: 2.0, y: 1.0 }
            ),
            None
        );
    }
}
