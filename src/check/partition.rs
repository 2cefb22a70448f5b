//! The partition test: units of a legal basis may share edges but must not
//! overlap (a dual claim) and must not leave holes between them.

use geo::orient::Direction;
use geo::{BooleanOps, BoundingRect, Geometry, InteriorPoint, Intersects, MultiPolygon, Orient, Polygon};
use rayon::prelude::*;
use rstar::{RTree, RTreeObject, primitives::GeomWithData, primitives::Rectangle};

use super::{CheckOptions, Problem, Severity};
use crate::layer::{Layer, Role};
use crate::measure;

fn as_multipolygon(g: &Geometry<f64>) -> Option<MultiPolygon<f64>> {
    match g {
        Geometry::Polygon(p) => Some(MultiPolygon(vec![p.clone()])),
        Geometry::MultiPolygon(m) => Some(m.clone()),
        _ => None,
    }
}

pub(super) fn check(layer: &Layer, opts: &CheckOptions, out: &mut Vec<Problem>) {
    let units: Vec<(usize, MultiPolygon<f64>)> = layer
        .features
        .iter()
        .enumerate()
        .filter_map(|(i, f)| f.geometry.as_ref().and_then(as_multipolygon).map(|m| (i, m.orient(Direction::Default))))
        .collect();
    let key = |i: usize| opts.key_field.as_deref().and_then(|k| layer.features[i].text(k)).unwrap_or_default();

    // Candidate pairs from an R-tree of unit boxes.
    let boxes: Vec<GeomWithData<Rectangle<[f64; 2]>, usize>> = units
        .iter()
        .enumerate()
        .filter_map(|(u, (_, m))| {
            m.bounding_rect()
                .map(|r| GeomWithData::new(Rectangle::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]), u))
        })
        .collect();
    let tree = RTree::bulk_load(boxes.clone());
    let mut pairs: Vec<(usize, usize)> = Vec::new();
    for b in &boxes {
        let env = b.geom().envelope();
        for c in tree.locate_in_envelope_intersecting(&env) {
            if c.data > b.data {
                pairs.push((b.data, c.data));
            }
        }
    }
    pairs.sort_unstable();

    // Ordered collect: the same problems in the same order for any thread count.
    let overlaps: Vec<Problem> = pairs
        .par_iter()
        .filter_map(|&(a, b)| {
            let common = units[a].1.intersection(&units[b].1);
            let area = measure::multipolygon_area_m2(&common);
            if area <= opts.min_area_m2 {
                return None;
            }
            let (fa, fb) = (units[a].0, units[b].0);
            let (ka, kb) = (key(fa), key(fb));
            // Only the sliver decision needs the width: stop once it is settled.
            let width = common.0.iter().map(|p| measure::width_m_capped(p, 1.0, opts.tolerance_m)).fold(0.0, f64::max);
            let sliver = width < opts.tolerance_m;
            let (code, severity, what) = match opts.role {
                Role::Legal if ka != kb && sliver => {
                    ("dual_claim_sliver", Severity::Warning, format!("sliver: {ka} and {kb} both hold"))
                }
                Role::Legal if ka != kb => {
                    ("dual_claim", Severity::Error, format!("dual claim: {ka} and {kb} both hold"))
                }
                Role::Legal if sliver => {
                    ("overlap_sliver", Severity::Warning, format!("sliver: two {ka} units overlap on"))
                }
                Role::Legal => ("overlap", Severity::Error, format!("two {ka} units overlap on")),
                // Overlapping controllers are a finding, not a defect: never an error, never hidden.
                _ if ka != kb => {
                    ("contested_control", Severity::Warning, format!("contested control: {ka} and {kb} both hold"))
                }
                _ => ("overlap", Severity::Warning, format!("two {ka} control areas overlap on")),
            };
            Some(Problem {
                code,
                severity,
                feature: layer.features[fa].id.clone(),
                other: Some(layer.features[fb].id.clone()),
                message: if sliver {
                    format!("{what} {:.6} km², at most {width:.0} m wide", area / 1e6)
                } else {
                    format!("{what} {:.6} km², at least {width:.0} m wide", area / 1e6)
                },
                location: largest(&common).and_then(|p| p.interior_point()).map(|p| [p.x(), p.y()]),
                area_km2: Some(area / 1e6),
                width_m: Some(width),
            })
        })
        .collect();
    out.extend(overlaps);

    if opts.role != Role::Legal || units.is_empty() {
        return;
    }
    // Gaps: holes in the union of each unit with its neighbours. No
    // world-sized union: i_overlay is fast on these local ones, and
    // geo::unary_union (fill rule taken from the first ring) hung on six
    // Canadian provinces of Natural Earth admin-1 that GEOS unions in 0.16 s.
    // A gap enclosed by units none of which neighbours all the others would
    // be missed; every sliver between two or three units is found.
    let mut neighbours: Vec<Vec<usize>> = vec![Vec::new(); units.len()];
    for &(a, b) in &pairs {
        neighbours[a].push(b);
        neighbours[b].push(a);
    }
    let found: Vec<Vec<(Polygon<f64>, f64)>> = (0..units.len())
        .into_par_iter()
        .map(|u| {
            let mut group: Vec<&MultiPolygon<f64>> = vec![&units[u].1];
            group.extend(neighbours[u].iter().map(|&k| &units[k].1));
            let union = union_nonzero(&group);
            let ubox = units[u].1.bounding_rect();
            let mut out = Vec::new();
            for part in &union.0 {
                for hole in part.interiors() {
                    let hole = Polygon::new(hole.clone(), vec![]);
                    // Only holes this unit borders; its neighbours report theirs.
                    if !matches!((hole.bounding_rect(), ubox), (Some(h), Some(b)) if h.intersects(&b)) {
                        continue;
                    }
                    let area = measure::polygon_area_m2(&hole);
                    if area > opts.min_area_m2 {
                        out.push((hole, area));
                    }
                }
            }
            out
        })
        .collect();
    // The same hole is seen from each unit around it: keep one, then measure.
    let mut seen = std::collections::BTreeSet::new();
    let holes: Vec<(Polygon<f64>, f64, Option<[f64; 2]>)> = found
        .into_iter()
        .flatten()
        .filter_map(|(hole, area)| {
            let at = hole.interior_point().map(|p| [p.x(), p.y()]);
            let key = at.map(|[x, y]| ((x * 1e5).round() as i64, (y * 1e5).round() as i64));
            seen.insert(key).then_some((hole, area, at))
        })
        .collect();
    let gaps: Vec<Problem> = holes
        .par_iter()
        .map(|(hole, area, at)| {
            let width = measure::width_m_capped(hole, 1.0, opts.tolerance_m);
            let (code, severity, what) = if width < opts.tolerance_m {
                ("gap_sliver", Severity::Warning, format!("a sliver gap of {:.6} km², {width:.0} m wide,", area / 1e6))
            } else {
                ("gap", Severity::Error, format!("a gap of {:.6} km², at least {width:.0} m wide,", area / 1e6))
            };
            Problem {
                code,
                severity,
                feature: String::new(),
                other: None,
                message: format!("{what} between units belongs to no unit"),
                location: *at,
                area_km2: Some(area / 1e6),
                width_m: Some(width),
            }
        })
        .collect();
    out.extend(gaps);
}

/// Union by i_overlay with the non-zero fill rule.
fn union_nonzero(ms: &[&MultiPolygon<f64>]) -> MultiPolygon<f64> {
    use i_overlay::core::fill_rule::FillRule;
    use i_overlay::core::overlay_rule::OverlayRule;
    use i_overlay::float::overlay::{FloatOverlay, OverlayOptions};
    let paths: Vec<Vec<[f64; 2]>> = ms
        .iter()
        .flat_map(|m| m.0.iter())
        .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
        .map(|r| r.0.iter().map(|c| [c.x, c.y]).collect())
        .collect();
    let shapes = FloatOverlay::with_subj_custom(&paths, OverlayOptions::ogc(), Default::default())
        .overlay(OverlayRule::Subject, FillRule::NonZero);
    MultiPolygon(
        shapes
            .into_iter()
            .filter(|s| !s.is_empty())
            .map(|s| {
                let ring = |c: &Vec<[f64; 2]>| {
                    let mut v: Vec<geo::Coord<f64>> = c.iter().map(|p| geo::Coord { x: p[0], y: p[1] }).collect();
                    v.extend(v.first().copied());
                    geo::LineString::new(v)
                };
                Polygon::new(ring(&s[0]), s[1..].iter().map(ring).collect())
            })
            .collect(),
    )
}

fn largest(m: &MultiPolygon<f64>) -> Option<&Polygon<f64>> {
    m.0.iter().max_by(|a, b| measure::polygon_area_m2(a).total_cmp(&measure::polygon_area_m2(b)))
}
