//! Boundary lines between parties, how far the line of control departs
//! from the legal line, and how much of the legal line is delimited.
//!
//! **Lines from polygons.** For every pair of keys (owners, or
//! controllers), the edges their polygons share are merged into lines.
//! Vertices are first snapped to a grid of [`SNAP_DEG`] (1e-7°, about
//! 1 cm), so that neighbours digitised from one topology but written with
//! different rounding still share their edges; then shared edges are
//! chained end to end, and chains whose ends lie within [`JOIN_M`] of each
//! other are joined, so a tiny mismatch does not break a line in pieces.
//!
//! **Offsets.** The legal line is walked at a geodesic step. At each
//! station the offset is the geodesic distance to the nearest point of the
//! control line of the same pair. Its sign says in whose legal territory
//! that control point lies: positive inside the first party of the pair
//! (in sort order), negative inside the second. A control line inside A's
//! unit means the other party holds some of A's land there.

mod deviation;
mod pairs;
mod progress;

pub use deviation::*;
pub use pairs::*;
pub use progress::{Progress, ProgressOptions, SectorProgress, SegmentProblem, SplitPart, progress};

use std::collections::BTreeMap;

use geo::{Coord, Distance, Geodesic, LineString, MultiPolygon, Point};
use serde::Serialize;

use crate::boundary::shared_edges;
use crate::index::{EdgeIndex, PolygonIndex, Position};
use crate::layer::Layer;

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{MultiLineString, line_string};

    #[test]
    fn stations_are_a_step_apart_and_end_at_the_end() {
        let l = line_string![(x: 45.0, y: 40.0), (x: 45.01, y: 40.0), (x: 45.01, y: 40.01)];
        let st = stations_along(&l, 100.0);
        let total = line_length_m(&l);
        assert!((st.last().unwrap().0 - total).abs() < 1e-6);
        for w in st.windows(2).take(st.len() - 2) {
            assert!((w[1].0 - w[0].0 - 100.0).abs() < 1e-9);
            // On one edge the spacing is geodesic on the ground too (to well
            // under a metre); across the corner it is the chord, shorter.
            let d = Geodesic.distance(w[0].1, w[1].1);
            let same_edge = w[0].1.y() == w[1].1.y() || w[0].1.x() == w[1].1.x();
            if same_edge {
                assert!((d - 100.0).abs() < 0.5, "{w:?}");
            } else {
                assert!(d < 100.0, "{w:?}");
            }
        }
    }

    #[test]
    fn substring_measures_what_it_was_asked() {
        let l = line_string![(x: 45.0, y: 40.0), (x: 45.1, y: 40.0)];
        let s = Walk::new(&l).substring(1000.0, 3500.0);
        assert!((line_length_m(&s) - 2500.0).abs() < 0.5);
        let l2 = line_string![(x: 45.0, y: 40.0), (x: 45.05, y: 40.0), (x: 45.05, y: 40.05)];
        let w = Walk::new(&l2);
        for (a, b) in [(0.0, 100.0), (1000.0, 6000.0), (4000.0, w.length_m())] {
            let x = w.substring(a, b);
            assert!((line_length_m(&x) - (b - a)).abs() < 0.5, "{a} {b}");
        }
    }

    #[test]
    fn near_ends_are_joined() {
        let m = MultiLineString(vec![
            line_string![(x: 0.0, y: 0.0), (x: 0.001, y: 0.0)],
            line_string![(x: 0.001, y: 0.000_000_1), (x: 0.002, y: 0.0)],
        ]);
        assert_eq!(join(m).0.len(), 1);
    }
}
