//! Validity of one feature's geometry: coordinates, rings, holes and parts.

use geo::line_intersection::{LineIntersection, line_intersection};
use geo::{
    BooleanOps, BoundingRect, Coord, CoordsIter, Geometry, InteriorPoint, Line, LineString, Polygon,
    coordinate_position::CoordPos,
};
use rstar::{RTree, RTreeObject, primitives::GeomWithData, primitives::Rectangle};

use super::{Problem, Severity};
use crate::measure;

fn problem(code: &'static str, severity: Severity, id: &str, message: String, at: Option<Coord<f64>>) -> Problem {
    Problem {
        code,
        severity,
        feature: id.to_string(),
        other: None,
        message,
        location: at.map(|c| [c.x, c.y]),
        area_km2: None,
        width_m: None,
    }
}

pub(super) fn check_geometry(id: &str, g: &Geometry<f64>, min_area_m2: f64, out: &mut Vec<Problem>) {
    // Coordinates first: nothing else means anything with NaN in it.
    let mut bad = 0usize;
    let mut first_bad = None;
    let mut swapped = 0usize;
    let mut out_of_range = None;
    let mut n = 0usize;
    for c in g.coords_iter() {
        n += 1;
        if !c.x.is_finite() || !c.y.is_finite() {
            bad += 1;
            first_bad.get_or_insert(c);
            continue;
        }
        // 1e-9° of slack: exporters leave float noise such as
        // 180.00000000000006 (Natural Earth's Antarctica).
        if c.x.abs() > 180.0 + 1e-9 || c.y.abs() > 90.0 + 1e-9 {
            out_of_range.get_or_insert(c);
            if c.y.abs() <= 180.0 && c.x.abs() <= 90.0 {
                swapped += 1;
            }
        }
    }
    if n == 0 {
        out.push(problem("empty", Severity::Error, id, "the geometry has no coordinates".into(), None));
        return;
    }
    if bad > 0 {
        out.push(problem("non_finite", Severity::Error, id, format!("{bad} coordinate(s) are NaN or infinite"), None));
        return;
    }
    if let Some(c) = out_of_range {
        let (code, msg) = if swapped > 0 {
            (
                "swapped_axes",
                format!(
                    "({}, {}) is out of lon/lat range but fits as (lat, lon): are the axes swapped?",
                    crate::io::short_number(c.x),
                    crate::io::short_number(c.y)
                ),
            )
        } else {
            (
                "out_of_range",
                format!(
                    "({}, {}) is outside lon ±180 / lat ±90: is this projected data without a CRS? pass --src-crs",
                    crate::io::short_number(c.x),
                    crate::io::short_number(c.y)
                ),
            )
        };
        // Report the raw coordinate: there is no valid lon/lat location to give.
        out.push(problem(code, Severity::Error, id, msg, None));
        return;
    }
    if let Some(l) = crate::io::antimeridian_edge(g) {
        out.push(problem(
            "antimeridian",
            Severity::Error,
            id,
            format!(
                "an edge spans {:.1}° of longitude: the geometry crosses the antimeridian and is read the long way round; split it at ±180° (ogr2ogr -wrapdateline)",
                (l.end.x - l.start.x).abs()
            ),
            Some(l.start),
        ));
        return;
    }
    match g {
        Geometry::Polygon(p) => polygon(id, p, 0, out),
        Geometry::MultiPolygon(m) => {
            for (i, p) in m.0.iter().enumerate() {
                polygon(id, p, i, out);
            }
            parts_overlap(id, &m.0, min_area_m2, out);
        }
        Geometry::LineString(l) => duplicates(id, &l.0, "the line", out),
        Geometry::MultiLineString(m) => {
            for l in &m.0 {
                duplicates(id, &l.0, "a line", out);
            }
        }
        Geometry::GeometryCollection(c) => {
            for g in c.iter() {
                check_geometry(id, g, min_area_m2, out);
            }
        }
        _ => {}
    }
}

fn duplicates(id: &str, pts: &[Coord<f64>], what: &str, out: &mut Vec<Problem>) {
    let dups: Vec<Coord<f64>> = pts.windows(2).filter(|w| w[0] == w[1]).map(|w| w[0]).collect();
    if let Some(first) = dups.first() {
        out.push(problem(
            "duplicate_vertex",
            Severity::Warning,
            id,
            format!("{what} repeats a vertex {} time(s) in a row", dups.len()),
            Some(*first),
        ));
    }
}

/// Spikes: the ring runs out to a vertex and straight back along itself.
fn spikes(id: &str, ring: &LineString<f64>, label: &str, out: &mut Vec<Problem>) {
    // Work on the ring without the closing vertex and without repeats, cyclically.
    let mut v: Vec<Coord<f64>> = Vec::with_capacity(ring.0.len());
    for c in ring.0.iter().take(ring.0.len().saturating_sub(1)) {
        if v.last() != Some(c) {
            v.push(*c);
        }
    }
    while v.len() > 1 && v.first() == v.last() {
        v.pop();
    }
    let n = v.len();
    if n < 3 {
        return;
    }
    for i in 0..n {
        let a = v[(i + n - 1) % n];
        let b = v[i];
        let c = v[(i + 1) % n];
        let (ba, bc) = (a - b, c - b);
        let cross = ba.x * bc.y - ba.y * bc.x;
        let dot = ba.x * bc.x + ba.y * bc.y;
        let scale = (ba.x.hypot(ba.y)) * (bc.x.hypot(bc.y));
        // Collinear to 1e-10 rad and pointing the same way: a zero-width
        // spike. It encloses no area: GEOS's is_valid accepts it, and the
        // overlay's snap rounding collapses it (as OverlayNG does), so it
        // is a warning, not a refusal.
        if dot > 0.0 && cross.abs() <= 1e-10 * scale {
            out.push(problem(
                "spike",
                Severity::Warning,
                id,
                format!(
                    "{label} has a zero-width spike (the boundary doubles back on itself); it encloses no area and the overlay removes it"
                ),
                Some(b),
            ));
        }
    }
}

type Seg = GeomWithData<Rectangle<[f64; 2]>, (usize, usize)>;

/// Self-intersections within a ring and crossings between rings of one polygon.
fn intersections(id: &str, rings: &[&LineString<f64>], poly: usize, out: &mut Vec<Problem>) {
    let mut segs = Vec::new();
    let mut lines: Vec<Vec<Line<f64>>> = Vec::with_capacity(rings.len());
    for (r, ring) in rings.iter().enumerate() {
        // Zero-length segments are reported as duplicates; skip them here.
        let ls: Vec<Line<f64>> = ring.lines().filter(|l| l.start != l.end).collect();
        for (s, l) in ls.iter().enumerate() {
            segs.push(Seg::new(Rectangle::from_corners([l.start.x, l.start.y], [l.end.x, l.end.y]), (r, s)));
        }
        lines.push(ls);
    }
    let tree = RTree::bulk_load(segs);
    let mut reported_self = vec![false; rings.len()];
    let mut reported_cross = false;
    for a in tree.iter() {
        let (ra, sa) = a.data;
        let env = a.geom().envelope();
        for b in tree.locate_in_envelope_intersecting(&env) {
            let (rb, sb) = b.data;
            if (rb, sb) <= (ra, sa) {
                continue;
            }
            let la = lines[ra][sa];
            let lb = lines[rb][sb];
            let Some(hit) = line_intersection(la, lb) else { continue };
            if ra == rb {
                let n = lines[ra].len();
                let adjacent = sb == sa + 1 || (sa == 0 && sb == n - 1);
                if adjacent {
                    // Neighbours share a vertex by construction; only an
                    // overlap along their length is a fault (a spike, reported apart).
                    continue;
                }
                if !reported_self[ra] {
                    reported_self[ra] = true;
                    let at = match hit {
                        LineIntersection::SinglePoint { intersection, .. } => intersection,
                        LineIntersection::Collinear { intersection } => intersection.start,
                    };
                    let what = if ra == 0 { "the exterior ring".to_string() } else { format!("hole {ra}") };
                    out.push(problem(
                        "self_intersection",
                        Severity::Error,
                        id,
                        format!("{what} of polygon {poly} intersects itself"),
                        Some(at),
                    ));
                }
            } else {
                // Rings of one polygon may touch at a point (OGC), never cross or share a stretch.
                let crossing = match hit {
                    LineIntersection::SinglePoint { is_proper, .. } => is_proper,
                    LineIntersection::Collinear { .. } => true,
                };
                if crossing && !reported_cross {
                    reported_cross = true;
                    let at = match hit {
                        LineIntersection::SinglePoint { intersection, .. } => intersection,
                        LineIntersection::Collinear { intersection } => intersection.start,
                    };
                    out.push(problem(
                        "ring_crossing",
                        Severity::Error,
                        id,
                        format!("rings {ra} and {rb} of polygon {poly} cross or overlap"),
                        Some(at),
                    ));
                }
            }
        }
    }
}

fn polygon(id: &str, p: &Polygon<f64>, index: usize, out: &mut Vec<Problem>) {
    let mut rings: Vec<&LineString<f64>> = vec![p.exterior()];
    rings.extend(p.interiors());
    for (r, ring) in rings.iter().enumerate() {
        let label =
            if r == 0 { format!("the exterior of polygon {index}") } else { format!("hole {r} of polygon {index}") };
        duplicates(id, &ring.0, &label, out);
        spikes(id, ring, &label, out);
    }
    intersections(id, &rings, index, out);
    // Holes must lie inside the shell (and not inside one another). Rings
    // that cross are reported above; otherwise a hole is wholly in or out,
    // and its first vertex off the shell decides. That vertex is located
    // through an R-tree of the shell's segments (on the boundary: a
    // segment through it; inside: an odd count of segments crossed by a
    // ray), not by walking the shell: a mainland of 10⁶ vertices with
    // 5,000 lakes took minutes.
    if p.interiors().is_empty() {
        return;
    }
    let shell: Vec<Line<f64>> = p.exterior().lines().filter(|l| l.start != l.end).collect();
    let tree: RTree<GeomWithData<Rectangle<[f64; 2]>, usize>> = RTree::bulk_load(
        shell
            .iter()
            .enumerate()
            .map(|(k, l)| GeomWithData::new(Rectangle::from_corners(l.start.into(), l.end.into()), k))
            .collect(),
    );
    let Some(bb) = p.exterior().bounding_rect() else { return };
    let position = |c: Coord<f64>| -> CoordPos {
        let at = rstar::AABB::from_point([c.x, c.y]);
        let on = tree.locate_in_envelope_intersecting(&at).any(|s| {
            let l = shell[s.data];
            <geo::kernels::RobustKernel as geo::kernels::Kernel<f64>>::orient2d(l.start, l.end, c)
                == geo::kernels::Orientation::Collinear
        });
        if on {
            return CoordPos::OnBoundary;
        }
        if c.x > bb.max().x || c.y < bb.min().y || c.y > bb.max().y || c.x < bb.min().x {
            return CoordPos::Outside;
        }
        let ray = rstar::AABB::from_corners([c.x, c.y], [bb.max().x, c.y]);
        let crossings = tree.locate_in_envelope_intersecting(&ray).filter(|s| crosses_ray(shell[s.data], c)).count();
        if crossings % 2 == 1 { CoordPos::Inside } else { CoordPos::Outside }
    };
    for (h, hole) in p.interiors().iter().enumerate() {
        let first_off = hole.0.iter().map(|c| (c, position(*c))).find(|(_, pos)| *pos != CoordPos::OnBoundary);
        if let Some((c, CoordPos::Outside)) = first_off {
            out.push(problem(
                "hole_outside_shell",
                Severity::Error,
                id,
                format!("hole {} of polygon {index} lies outside its exterior ring", h + 1),
                Some(*c),
            ));
        }
    }
}

/// Whether segment `l` crosses the ray from `c` towards +x (half-open in
/// y, so a vertex on the ray counts once): one term of an even-odd count.
fn crosses_ray(l: Line<f64>, c: Coord<f64>) -> bool {
    let (y0, y1) = (l.start.y, l.end.y);
    if (y0 > c.y) == (y1 > c.y) {
        return false;
    }
    let x = l.start.x + (c.y - y0) / (y1 - y0) * (l.end.x - l.start.x);
    x > c.x
}

/// Parts of a MultiPolygon may touch but not overlap.
///
/// O(n log n) in the vertices: candidate pairs come from an R-tree of the
/// parts' boxes; a pair is looked at closely only when a segment of one
/// meets a segment of the other (found in one pass over an R-tree of all
/// segments), or, with no such meeting, when one part lies inside the
/// other (one vertex, located by counting the other's segments crossed by
/// a ray, through the same tree). Only those pairs get a boolean
/// intersection. A country with 13,730 islands and a mainland whose box
/// holds most of them used to intersect the mainland with each island.
fn parts_overlap(id: &str, parts: &[Polygon<f64>], min_area_m2: f64, out: &mut Vec<Problem>) {
    if parts.len() < 2 {
        return;
    }
    let boxes: Vec<Option<geo::Rect<f64>>> = parts.iter().map(|p| p.bounding_rect()).collect();
    let box_tree: RTree<GeomWithData<Rectangle<[f64; 2]>, usize>> = RTree::bulk_load(
        boxes
            .iter()
            .enumerate()
            .filter_map(|(i, b)| {
                b.map(|b| GeomWithData::new(Rectangle::from_corners(b.min().into(), b.max().into()), i))
            })
            .collect(),
    );
    // Every segment of every ring, with its part.
    let lines: Vec<Vec<Line<f64>>> = parts
        .iter()
        .map(|p| std::iter::once(p.exterior()).chain(p.interiors()).flat_map(|r| r.lines()).collect())
        .collect();
    let seg_tree: RTree<Seg> = RTree::bulk_load(
        lines
            .iter()
            .enumerate()
            .flat_map(|(p, ls)| {
                ls.iter()
                    .enumerate()
                    .map(move |(k, l)| GeomWithData::new(Rectangle::from_corners(l.start.into(), l.end.into()), (p, k)))
            })
            .collect(),
    );
    // Pairs whose boundaries meet (cross, touch or share a stretch).
    let mut meeting = std::collections::BTreeSet::new();
    for a in seg_tree.iter() {
        let (pa, ka) = a.data;
        for b in seg_tree.locate_in_envelope_intersecting(&a.geom().envelope()) {
            let (pb, kb) = b.data;
            if pb <= pa || meeting.contains(&(pa, pb)) {
                continue;
            }
            if line_intersection(lines[pa][ka], lines[pb][kb]).is_some() {
                meeting.insert((pa, pb));
            }
        }
    }
    // Whether `c` lies inside part `p`: segments of p crossed by the ray
    // from c towards +x, counted through the tree (even-odd).
    let inside = |c: Coord<f64>, p: usize| -> bool {
        let Some(b) = boxes[p] else { return false };
        if c.x > b.max().x || c.y < b.min().y || c.y > b.max().y {
            return false;
        }
        let ray = rstar::AABB::from_corners([c.x, c.y], [b.max().x, c.y]);
        let crossings = seg_tree
            .locate_in_envelope_intersecting(&ray)
            .filter(|s| s.data.0 == p)
            .filter(|s| crosses_ray(lines[p][s.data.1], c))
            .count();
        crossings % 2 == 1
    };
    let mut candidates: Vec<(usize, usize)> = Vec::new();
    for a in box_tree.iter() {
        for b in box_tree.locate_in_envelope_intersecting(&a.geom().envelope()) {
            let (i, j) = (a.data, b.data);
            if j <= i {
                continue;
            }
            let nested = || {
                let vi = parts[i].exterior().0.first().copied();
                let vj = parts[j].exterior().0.first().copied();
                vi.is_some_and(|v| inside(v, j)) || vj.is_some_and(|v| inside(v, i))
            };
            if meeting.contains(&(i, j)) || nested() {
                candidates.push((i, j));
            }
        }
    }
    candidates.sort_unstable();
    for (i, j) in candidates {
        // The overlap lies in both boxes: each part is cut to the other's
        // (widened) box first, so that an island touching a mainland of
        // 10⁶ vertices costs the island's size, not the mainland's.
        let (a, b) = (&parts[i], &parts[j]);
        let common = match (boxes[i], boxes[j]) {
            (Some(bi), Some(bj)) => {
                use crate::overlay::clip::{polygon_to_rect, widen};
                match (polygon_to_rect(a, widen(bj)), polygon_to_rect(b, widen(bi))) {
                    (Some(ca), Some(cb)) => ca.intersection(&cb),
                    _ => geo::MultiPolygon(vec![]),
                }
            }
            _ => geo::MultiPolygon(vec![]),
        };
        let area = measure::multipolygon_area_m2(&common);
        if area > min_area_m2 {
            let mut p = problem(
                "parts_overlap",
                Severity::Error,
                id,
                format!("parts {i} and {j} of the MultiPolygon overlap by {:.6} km²", area / 1e6),
                common.interior_point().map(|p| p.0),
            );
            p.area_km2 = Some(area / 1e6);
            p.width_m = Some(common.0.iter().map(|p| measure::width_m_capped(p, 1.0, 1e4)).fold(0.0, f64::max));
            out.push(p);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::polygon;

    fn square(x: f64, y: f64, d: f64) -> Polygon<f64> {
        polygon![(x: x, y: y), (x: x + d, y: y), (x: x + d, y: y + d), (x: x, y: y + d)]
    }

    /// Islands inside a mainland's hole (every island's box inside the
    /// mainland's): no overlap; an island in the mainland itself, one that
    /// overlaps another island, and one touching the mainland are told
    /// apart. The R-tree path must give the answer the pairwise
    /// intersection of every part would.
    #[test]
    fn part_overlaps_are_found_through_the_trees_as_by_every_pair() {
        let mainland = Polygon::new(
            square(0.0, 0.0, 10.0).exterior().clone(),
            vec![LineString::from(square(1.0, 1.0, 8.0).exterior().0.iter().rev().copied().collect::<Vec<_>>())],
        );
        let mut parts = vec![mainland];
        for i in 0..200 {
            parts.push(square(1.5 + (i % 20) as f64 * 0.35, 1.5 + (i / 20) as f64 * 0.35, 0.2));
        }
        let clean = |parts: &[Polygon<f64>]| {
            let mut out = Vec::new();
            parts_overlap("f", parts, 1.0, &mut out);
            out
        };
        assert!(clean(&parts).is_empty(), "{:?}", clean(&parts));
        // In the ring of land itself (0.2° from the outer edge): overlaps part 0.
        parts.push(square(0.2, 0.2, 0.3));
        // Overlapping island 1 by half its width.
        parts.push(square(1.6, 1.5, 0.2));
        // Touching the mainland's inner edge from inside the hole: no area in common.
        parts.push(square(1.0, 5.0, 0.2));
        let found: Vec<String> = clean(&parts).iter().map(|p| p.message.clone()).collect();
        let n = parts.len();
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(found[0].starts_with(&format!("parts 0 and {} ", n - 3)), "{found:?}");
        assert!(found[1].starts_with(&format!("parts 1 and {} ", n - 2)), "{found:?}");
        // The same as the pairwise check of every part.
        let mut pairwise = Vec::new();
        for i in 0..n {
            for j in i + 1..n {
                if measure::multipolygon_area_m2(&parts[i].intersection(&parts[j])) > 1.0 {
                    pairwise.push((i, j));
                }
            }
        }
        assert_eq!(pairwise, vec![(0, n - 3), (1, n - 2)]);
    }

    /// A spike collinear to within 1e-12° is a warning (GEOS accepts it; the
    /// overlay collapses it), not a refusal.
    #[test]
    fn a_near_collinear_spike_is_a_warning() {
        // Out from the right side to a tip and back, 2e-12° apart at the base.
        let spiked: Geometry<f64> = polygon![
            (x: 45.0, y: 40.0), (x: 45.1, y: 40.0), (x: 45.1, y: 40.05), (x: 45.2, y: 40.05 + 1e-12),
            (x: 45.1, y: 40.05 + 2e-12), (x: 45.1, y: 40.1), (x: 45.0, y: 40.1)
        ]
        .into();
        let ps = run(spiked);
        let spike = ps.iter().find(|p| p.code == "spike").expect("the spike is reported");
        assert_eq!(spike.severity, Severity::Warning);
        assert!(ps.iter().all(|p| p.severity == Severity::Warning), "{ps:?}");
    }

    fn run(g: Geometry<f64>) -> Vec<Problem> {
        let mut out = Vec::new();
        check_geometry("f", &g, 1.0, &mut out);
        out
    }

    fn codes(g: Geometry<f64>) -> Vec<&'static str> {
        run(g).into_iter().map(|p| p.code).collect()
    }

    #[test]
    fn a_valid_square_with_a_hole_is_clean() {
        let p = geo::wkt!(POLYGON((0. 0., 4. 0., 4. 4., 0. 4., 0. 0.),(1. 1., 1. 2., 2. 2., 2. 1., 1. 1.)));
        assert!(codes(p.into()).is_empty());
    }

    #[test]
    fn spike_is_found_where_it_turns() {
        let p = geo::wkt!(POLYGON((0. 0., 4. 0., 4. 2., 6. 2., 4. 2., 4. 4., 0. 4., 0. 0.)));
        let ps = run(p.into());
        let s = ps.iter().find(|p| p.code == "spike").expect("spike");
        assert_eq!(s.location, Some([6.0, 2.0]));
    }

    #[test]
    fn hole_outside_shell() {
        let p = geo::wkt!(POLYGON((0. 0., 1. 0., 1. 1., 0. 1., 0. 0.),(5. 5., 5. 6., 6. 6., 6. 5., 5. 5.)));
        assert!(codes(p.into()).contains(&"hole_outside_shell"));
    }

    #[test]
    fn hole_crossing_the_shell() {
        let p = geo::wkt!(POLYGON((0. 0., 2. 0., 2. 2., 0. 2., 0. 0.),(1. 1., 3. 1., 3. 1.5, 1. 1.5, 1. 1.)));
        assert!(codes(p.into()).contains(&"ring_crossing"));
    }

    #[test]
    fn hole_touching_shell_at_a_point_is_fine() {
        let p = geo::wkt!(POLYGON((0. 0., 4. 0., 4. 4., 0. 4., 0. 0.),(0. 2., 1. 1., 1. 3., 0. 2.)));
        assert!(
            codes(p.into()).is_empty(),
            "{:?}",
            run(geo::wkt!(POLYGON((0. 0., 4. 0., 4. 4., 0. 4., 0. 0.),(0. 2., 1. 1., 1. 3., 0. 2.))).into())
        );
    }

    #[test]
    fn duplicate_vertex_is_a_warning() {
        let p = geo::wkt!(POLYGON((0. 0., 1. 0., 1. 0., 1. 1., 0. 1., 0. 0.)));
        let ps = run(p.into());
        assert_eq!(ps.len(), 1);
        assert_eq!((ps[0].code, ps[0].severity), ("duplicate_vertex", Severity::Warning));
    }

    #[test]
    fn nan_and_swapped_and_projected() {
        let nan = Geometry::Point(geo::Point::new(f64::NAN, 1.0));
        assert_eq!(codes(nan), ["non_finite"]);
        let swapped = Geometry::Point(geo::Point::new(40.0, 145.0));
        assert_eq!(codes(swapped), ["swapped_axes"]);
        let projected = Geometry::Point(geo::Point::new(8586100.0, 4374500.0));
        assert_eq!(codes(projected), ["out_of_range"]);
    }

    #[test]
    fn overlapping_parts() {
        let m = geo::wkt!(MULTIPOLYGON(((0. 0., 0.1 0., 0.1 0.1, 0. 0.1, 0. 0.)),((0.05 0., 0.15 0., 0.15 0.1, 0.05 0.1, 0.05 0.))));
        let ps = run(m.into());
        let p = ps.iter().find(|p| p.code == "parts_overlap").unwrap();
        // 0.05° × 0.1° at the equator: about 61.5 km².
        assert!((p.area_km2.unwrap() - 61.5).abs() < 0.5, "{p:?}");
    }
}
