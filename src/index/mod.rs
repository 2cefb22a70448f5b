//! Point location against a polygon layer, and the nearest boundary edge
//! with a geodesic distance: the indexes behind `village`, built once and
//! shared across a batch.
//!
//! [`PolygonIndex`] holds an R-tree over every polygon's box and, per
//! polygon, its edges bucketed into horizontal bands, so that a
//! point-in-polygon test looks at a handful of edges instead of the ring
//! (the "prepared geometry" idea of GEOS). A point exactly on an edge is
//! reported as on the boundary, never decided by rounding.
//!
//! [`EdgeIndex`] holds every polygon edge in an R-tree with a key (owner or
//! controller), and finds the geodesically nearest point on an edge whose
//! key differs from a given one.
//!
//! [`Places`] holds named points for the nearest-settlement questions, and
//! [`segment`]'s functions measure one edge: exactly, or by bounds.

mod edges;
mod places;
mod polygons;
pub mod segment;

pub use edges::{EdgeIndex, Nearest};
pub use places::Places;
pub use polygons::{PolygonIndex, Position};
pub(crate) use segment::planar_m;
pub use segment::{LocalFrame, chord_bounds_m, chord_lower_bound_m, lower_bound_m, nearest_on_segment};

#[cfg(test)]
mod tests {
    use super::polygons::Prepared;
    use super::*;
    use geo::{Contains, polygon};
    use geo::{Coord, MultiPolygon, Point, Polygon};

    #[test]
    fn banded_test_agrees_with_geo_contains() {
        // A star with a hole: many edges, several bands.
        let n = 40;
        let ring: Vec<(f64, f64)> = (0..n)
            .map(|i| {
                let a = i as f64 / n as f64 * std::f64::consts::TAU;
                let r = if i % 2 == 0 { 1.0 } else { 0.5 };
                (r * a.cos(), r * a.sin())
            })
            .collect();
        let hole = vec![(-0.1, -0.1), (-0.1, 0.1), (0.1, 0.1), (0.1, -0.1)];
        let poly = Polygon::new(ring.into(), vec![hole.into()]);
        let prep = Prepared::new(&poly);
        let mut checked = 0;
        for i in 0..200 {
            for j in 0..200 {
                let c = Coord { x: -1.1 + i as f64 * 0.011, y: -1.1 + j as f64 * 0.0113 };
                let want = poly.contains(&Point::from(c));
                match prep.position(c) {
                    Position::Boundary => {}
                    pos => {
                        assert_eq!(pos == Position::Inside, want, "{c:?}");
                        checked += 1;
                    }
                }
            }
        }
        assert!(checked > 39_000);
    }

    #[test]
    fn boundary_points_are_boundary() {
        let p = polygon![(x: 0.0, y: 0.0), (x: 4.0, y: 0.0), (x: 4.0, y: 4.0), (x: 0.0, y: 4.0)];
        let prep = Prepared::new(&p);
        for c in [(0.0, 0.0), (2.0, 0.0), (4.0, 2.0), (0.0, 3.0)] {
            assert_eq!(prep.position(Coord { x: c.0, y: c.1 }), Position::Boundary, "{c:?}");
        }
    }

    /// The chord bounds hold the distance the search finds between them, over
    /// edges from 10 m to 50 km long, near and far, at any latitude.
    #[test]
    fn the_chord_bound_is_a_lower_bound() {
        use proptest::prelude::*;
        let mut runner = proptest::test_runner::TestRunner::deterministic();
        let strategy = (-70.0..70.0f64, -1.0..1.0f64, -1.0..1.0f64, 1e-4..0.45f64, 0.0..std::f64::consts::TAU);
        runner
            .run(&strategy, |(lat, dx, dy, len, ang)| {
                let p = Point::new(45.0, lat);
                let a = Coord { x: 45.0 + dx * 0.5, y: lat + dy * 0.5 };
                let b = Coord { x: a.x + len * ang.cos(), y: (a.y + len * ang.sin()).clamp(-89.0, 89.0) };
                let exact = nearest_on_segment(p, a, b).1;
                let (lb, ub) = chord_bounds_m(p, a, b);
                prop_assert!(lb <= exact + 1e-6, "lb {lb} > exact {exact} for {p:?} {a:?} {b:?}");
                prop_assert!(ub >= exact - 1e-6, "ub {ub} < exact {exact} for {p:?} {a:?} {b:?}");
                Ok(())
            })
            .unwrap();
    }

    /// The local frame's bound never exceeds the distance the search finds,
    /// at any latitude to ±85° and out to a few hundred kilometres.
    #[test]
    fn the_frame_bound_is_a_lower_bound() {
        use proptest::prelude::*;
        let mut runner = proptest::test_runner::TestRunner::deterministic();
        let strategy = (-85.0..85.0f64, -3.0..3.0f64, -3.0..3.0f64, 1e-4..0.5f64, 0.0..std::f64::consts::TAU);
        runner
            .run(&strategy, |(lat, dx, dy, len, ang)| {
                let p = Point::new(10.0, lat);
                let a = Coord { x: 10.0 + dx, y: (lat + dy).clamp(-89.0, 89.0) };
                let b = Coord { x: a.x + len * ang.cos(), y: (a.y + len * ang.sin()).clamp(-89.0, 89.0) };
                let exact = nearest_on_segment(p, a, b).1;
                let lb = LocalFrame::at(p).lower_bound_m(a, b);
                prop_assert!(lb <= exact, "lb {lb} > exact {exact} for {p:?} {a:?} {b:?}");
                Ok(())
            })
            .unwrap();
    }

    /// With the per-key and per-feature trees (batches) or without them (one
    /// question), every search gives the same answer, to the bit.
    #[test]
    fn batch_trees_change_no_answer() {
        let layer = crate::sample::load("legal.geojson", &Default::default()).unwrap();
        let plain = EdgeIndex::of_layer(&layer, "owner", |_| true);
        let batch = EdgeIndex::of_layer(&layer, "owner", |_| true);
        batch.prepare_for_batches();
        let mut state: u64 = 0x2545_f491_4f6c_dd1d;
        for _ in 0..150 {
            state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            let (u, v) = ((state >> 11) as f64 / (1u64 << 53) as f64, (state & 0xffff) as f64 / 65536.0);
            let p = Point::new(43.5 + 3.2 * u, 38.5 + 3.0 * v);
            let env = rstar::AABB::from_corners([p.x() - 0.6, p.y() - 0.6], [p.x() + 0.6, p.y() + 0.6]);
            assert_eq!(plain.keys_in(&env), batch.keys_in(&env), "{p:?}");
            for k in ["ARM", "AZE", "IRN", "GEO"] {
                assert_eq!(plain.nearest(p, Some(k), None), batch.nearest(p, Some(k), None), "{p:?} {k}");
                assert_eq!(plain.lower_bound_not(p, k), batch.lower_bound_not(p, k), "{p:?} {k}");
            }
            for f in 0..layer.features.len() {
                assert_eq!(plain.lower_bound_feature(p, f), batch.lower_bound_feature(p, f), "{p:?} {f}");
            }
        }
    }

    /// The indexed search finds what a scan of every edge finds.
    #[test]
    fn nearest_equals_the_scan_of_every_edge() {
        let layer = crate::sample::load("legal.geojson", &Default::default()).unwrap();
        let rings: Vec<(usize, String, MultiPolygon<f64>)> = layer
            .features
            .iter()
            .enumerate()
            .filter_map(|(i, f)| Some((i, f.text("owner")?, f.polygons()?.into_owned())))
            .collect();
        let idx = EdgeIndex::new(rings.iter().map(|(i, k, m)| (*i, k.as_str(), m)));
        let mut edges: Vec<(Coord<f64>, Coord<f64>, &str)> = Vec::new();
        for (_, k, m) in &rings {
            for poly in &m.0 {
                for ring in std::iter::once(poly.exterior()).chain(poly.interiors()) {
                    for l in ring.lines() {
                        edges.push((l.start, l.end, k.as_str()));
                    }
                }
            }
        }
        for (i, (x, y)) in [(45.06, 41.06), (46.24, 38.9), (45.6, 40.99), (44.5, 40.2), (46.0, 39.5), (45.3, 40.3)]
            .into_iter()
            .enumerate()
        {
            let p = Point::new(x, y);
            let not = ["ARM", "AZE"][i % 2];
            let got = idx.nearest(p, None, Some(not)).unwrap();
            let scan = edges
                .iter()
                .filter(|e| e.2 != not)
                .map(|e| nearest_on_segment(p, e.0, e.1).1)
                .fold(f64::INFINITY, f64::min);
            assert!((got.distance_m - scan).abs() < 1e-6, "{p:?}: index {} scan {scan}", got.distance_m);
        }
    }

    #[test]
    fn nearest_on_segment_beats_vertices() {
        let (q, d) =
            nearest_on_segment(Point::new(45.0, 40.01), Coord { x: 44.9, y: 40.0 }, Coord { x: 45.1, y: 40.0 });
        // The foot is at 45.0 (by symmetry) and the distance is about 0.01° of latitude.
        assert!((q.x() - 45.0).abs() < 1e-6, "{q:?}");
        assert!((d - 1110.5).abs() < 2.0, "{d}");
    }
}
