//! Whether pieces form a polygon coverage, as GEOS's `CoverageValidator`
//! defines it: no two pieces overlap, and neighbours share their common
//! boundary vertex for vertex. Used by the tests (the property test of
//! random partitions, and the CLI tests through the same GEOS check); kept
//! in the library so that any caller can check its own pieces.

use geo::kernels::{Kernel, Orientation, RobustKernel};
use geo::orient::Direction;
use geo::{Coord, Line, Orient, Polygon};
use rayon::prelude::*;
use rstar::{RTree, primitives::GeomWithData};

/// What breaks a coverage, counted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CoverageDefects {
    /// Edges that two pieces both run along in the same direction: their
    /// interiors overlap on that side.
    pub doubled_edges: usize,
    /// Vertices that lie inside another piece's edge instead of being a
    /// vertex of it too (a T-junction: the neighbours do not match).
    pub unmatched_vertices: usize,
}

impl CoverageDefects {
    /// No defect found.
    pub fn is_valid(&self) -> bool {
        self.doubled_edges == 0 && self.unmatched_vertices == 0
    }
}

fn key(c: Coord<f64>) -> (u64, u64) {
    // -0.0 and 0.0 are one point.
    ((c.x + 0.0).to_bits(), (c.y + 0.0).to_bits())
}

/// The coverage defects of `pieces`, in O(n log n) in their vertices.
/// Exact: vertices are compared by value and collinearity with robust
/// predicates. A piece lying wholly inside another without touching its
/// boundary is not seen here; area conservation catches that.
///
/// ```
/// use delimit::overlay::coverage_defects;
/// use geo::polygon;
/// let a = polygon![(x: 0.0, y: 0.0), (x: 1.0, y: 0.0), (x: 1.0, y: 1.0), (x: 0.0, y: 1.0)];
/// let b = polygon![(x: 1.0, y: 0.0), (x: 2.0, y: 0.0), (x: 2.0, y: 1.0), (x: 1.0, y: 1.0)];
/// assert!(coverage_defects(&[a.clone(), b]).is_valid());
/// // A neighbour with a vertex in the middle of the shared edge does not match.
/// let c = polygon![(x: 1.0, y: 0.0), (x: 2.0, y: 0.0), (x: 2.0, y: 1.0), (x: 1.0, y: 1.0), (x: 1.0, y: 0.5)];
/// assert_eq!(coverage_defects(&[a.clone(), c]).unmatched_vertices, 1);
/// // Two pieces over the same ground.
/// assert!(coverage_defects(&[a.clone(), a]).doubled_edges > 0);
/// ```
pub fn coverage_defects(pieces: &[Polygon<f64>]) -> CoverageDefects {
    let oriented: Vec<Polygon<f64>> = pieces.par_iter().map(|p| p.orient(Direction::Default)).collect();
    let mut edges: Vec<((u64, u64), (u64, u64))> = Vec::new();
    let mut lines: Vec<GeomWithData<Line<f64>, ()>> = Vec::new();
    let mut vertices: Vec<Coord<f64>> = Vec::new();
    for p in &oriented {
        for r in std::iter::once(p.exterior()).chain(p.interiors()) {
            for l in r.lines().filter(|l| l.start != l.end) {
                edges.push((key(l.start), key(l.end)));
                lines.push(GeomWithData::new(l, ()));
                vertices.push(l.start);
            }
        }
    }
    edges.par_sort_unstable();
    let doubled_edges = edges.windows(2).filter(|w| w[0] == w[1]).count();
    vertices.par_sort_unstable_by(|a, b| key(*a).cmp(&key(*b)));
    vertices.dedup_by(|a, b| key(*a) == key(*b));
    let tree = RTree::bulk_load(lines);
    let unmatched_vertices = vertices
        .par_iter()
        .filter(|&&v| {
            let env = rstar::AABB::from_point(geo::Point(v));
            tree.locate_in_envelope_intersecting(&env).any(|l| {
                let l = l.geom();
                v != l.start && v != l.end && RobustKernel::orient2d(l.start, l.end, v) == Orientation::Collinear
            })
        })
        .count();
    CoverageDefects { doubled_edges, unmatched_vertices }
}
