//! Candidate search: each polygon is covered by quadtree cells holding at
//! most a few dozen of its edges (or lying wholly inside it), in the spirit
//! of PostGIS `ST_Subdivide`. A country's bounding box overlaps everything;
//! its cells do not.

use geo::{BoundingRect, Contains, Coord, Intersects, Line, MultiPolygon, Point, Rect};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RTree};

/// Edges per cell before it is split.
const MAX_EDGES: usize = 64;
/// Deepest split: 4^10 cells at most per polygon.
const MAX_DEPTH: u32 = 10;

/// Cells covering a polygon.
pub(crate) fn cover(m: &MultiPolygon<f64>) -> Vec<Rect<f64>> {
    let Some(bb) = m.bounding_rect() else { return Vec::new() };
    let edges: Vec<Line<f64>> =
        m.0.iter().flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors())).flat_map(|r| r.lines()).collect();
    let all: Vec<usize> = (0..edges.len()).collect();
    let mut out = Vec::new();
    split(m, &edges, bb, &all, 0, &mut out);
    out
}

fn split(
    m: &MultiPolygon<f64>,
    edges: &[Line<f64>],
    cell: Rect<f64>,
    inside: &[usize],
    depth: u32,
    out: &mut Vec<Rect<f64>>,
) {
    if inside.is_empty() {
        // No boundary here: the cell is wholly in or wholly out.
        if m.contains(&Point(cell.center())) {
            out.push(cell);
        }
        return;
    }
    if inside.len() <= MAX_EDGES || depth >= MAX_DEPTH {
        out.push(cell);
        return;
    }
    let (c, lo, hi) = (cell.center(), cell.min(), cell.max());
    for (a, b) in [
        (lo, c),
        (Coord { x: c.x, y: lo.y }, Coord { x: hi.x, y: c.y }),
        (Coord { x: lo.x, y: c.y }, Coord { x: c.x, y: hi.y }),
        (c, hi),
    ] {
        let q = Rect::new(a, b);
        let sub: Vec<usize> = inside.iter().copied().filter(|&i| edges[i].intersects(&q)).collect();
        split(m, edges, q, &sub, depth + 1, out);
    }
}

type Cell = GeomWithData<Rectangle<[f64; 2]>, usize>;

/// An R-tree over the cells of many polygons, answering "which polygons
/// may touch this one?".
pub(crate) struct Index {
    tree: RTree<Cell>,
}

impl Index {
    /// Index the covers of `polys` (bulk-loaded).
    pub(crate) fn new(covers: &[Vec<Rect<f64>>]) -> Index {
        let cells: Vec<Cell> = covers
            .iter()
            .enumerate()
            .flat_map(|(i, rects)| {
                rects
                    .iter()
                    .map(move |r| Cell::new(Rectangle::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]), i))
            })
            .collect();
        Index { tree: RTree::bulk_load(cells) }
    }

    /// Indices of polygons with a cell touching one of `cells`, sorted.
    pub(crate) fn candidates(&self, cells: &[Rect<f64>]) -> Vec<usize> {
        let mut out: Vec<usize> = cells
            .iter()
            .flat_map(|r| {
                let env = AABB::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]);
                self.tree.locate_in_envelope_intersecting(&env).map(|c| c.data).collect::<Vec<_>>()
            })
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }
}

impl std::fmt::Debug for Index {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Index").field("cells", &self.tree.size()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_l_shape_is_covered_without_its_empty_corner() {
        // An L whose bounding box has an empty quarter, with enough vertices to split.
        let mut pts = vec![];
        for i in 0..=100 {
            pts.push((i as f64 / 100.0 * 2.0, 0.0));
        }
        // Thin arms: the inner corner (0.5, 0.5) is off the quadrant lines,
        // so the top-right quadrant holds no edge at all.
        pts.extend([(2.0, 0.5), (0.5, 0.5), (0.5, 2.0), (0.0, 2.0), (0.0, 0.0)]);
        let l = MultiPolygon(vec![geo::Polygon::new(pts.into(), vec![])]);
        let cells = cover(&l);
        let far_corner = Rect::new(Coord { x: 1.6, y: 1.6 }, Coord { x: 1.9, y: 1.9 });
        assert!(!cells.iter().any(|c| c.intersects(&far_corner)), "{cells:?}");
        let idx = Index::new(&[cells]);
        assert!(idx.candidates(&[far_corner]).is_empty());
        assert_eq!(idx.candidates(&[Rect::new(Coord { x: 0.1, y: 0.1 }, Coord { x: 0.2, y: 0.2 })]), [0]);
    }
}
