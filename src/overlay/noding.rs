//! Snap rounding: every ring of the run onto one integer grid, noded once
//! for all the units that touch it.
//!
//! Cut one unit at a time, each on its own grid, two neighbours saw their
//! common border snapped differently, and each cut of a unit re-snapped
//! the crossings of the one before. The pieces then overlapped by
//! fractions of a millimetre along shared borders, and two control
//! polygons that only share an edge left zero-width "contested" slivers.
//!
//! Here, as in GEOS's OverlayNG with a fixed precision model, every vertex
//! and every crossing of two edges is a *hot pixel* (the unit square around
//! a grid point), and every edge that passes through a hot pixel is routed
//! through its centre. Edges then meet only at shared vertices: a crossing
//! is a vertex of both edges, a vertex lying on (or within half a grid step
//! of) another edge is a vertex of that edge too, and two edges that run
//! within half a step of each other collapse onto the same vertices. The
//! overlay of noded rings inserts nothing, so every cut of every unit
//! selects whole edges of one arrangement, and neighbouring pieces share
//! their common boundary vertex for vertex: a polygon coverage.
//!
//! Inserting a vertex bends an edge by less than a grid step, which can
//! make it pass through another hot pixel; rounds repeat on the edges that
//! changed until none does (iterated snap rounding).
//!
//! Work: one R-tree of edges per round (and a small one of the round's
//! crossings), one query per edge: O(n log n) in the number of vertices,
//! in parallel.

use geo::{Coord, LineString, MultiPolygon, Polygon};
use i_overlay::i_float::int::point::IntPoint;
use rayon::prelude::*;
use rstar::{AABB, RTree, RTreeObject};

use super::grid::Grid;

/// The most rounds before giving up on a fixed point. Each round after the
/// first only handles edges bent by the one before; in practice two or
/// three suffice. What is left unnoded is noded by the overlay itself,
/// exactly as before this pass existed.
const MAX_ROUNDS: usize = 8;

/// What snap rounding did, for the record.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct NodingStats {
    /// Rounds run.
    pub rounds: usize,
    /// Proper crossings found (each became a vertex of both edges).
    pub crossings: usize,
    /// Vertices inserted into edges.
    pub inserted: usize,
    /// Whether the last round inserted nothing.
    pub converged: bool,
}

/// An edge: 24 bytes (i32 on the grid), so that the world's ten million
/// edges and their tree fit in a few hundred MB. Arithmetic is in i64/i128.
#[derive(Clone, Copy)]
struct Seg {
    a32: [i32; 2],
    b32: [i32; 2],
    ring: u32,
    k: u32,
}

impl Seg {
    fn a(&self) -> [i64; 2] {
        [self.a32[0] as i64, self.a32[1] as i64]
    }
    fn b(&self) -> [i64; 2] {
        [self.b32[0] as i64, self.b32[1] as i64]
    }
}

impl RTreeObject for Seg {
    type Envelope = AABB<[i32; 2]>;
    fn envelope(&self) -> Self::Envelope {
        AABB::from_corners(self.a32, self.b32)
    }
}

/// A hot pixel, by its centre.
type Pixel = [i32; 2];

fn p32(v: [i64; 2]) -> [i32; 2] {
    [v[0] as i32, v[1] as i32]
}

fn orient(a: [i64; 2], b: [i64; 2], c: [i64; 2]) -> i128 {
    (b[0] - a[0]) as i128 * (c[1] - a[1]) as i128 - (b[1] - a[1]) as i128 * (c[0] - a[0]) as i128
}

/// `n / d` rounded to the nearest integer, halves away from zero.
fn round_div(n: i128, d: i128) -> i64 {
    let (n, d) = if d < 0 { (-n, -d) } else { (n, d) };
    let q = if n >= 0 { (2 * n + d) / (2 * d) } else { -((-2 * n + d) / (2 * d)) };
    q as i64
}

/// Where two edges cross properly (each strictly separates the other's
/// endpoints), rounded to the grid. The rational crossing point does not
/// depend on the order of the edges, nor does its rounding: both edges get
/// the same vertex.
fn crossing(s: &Seg, t: &Seg) -> Option<[i64; 2]> {
    let (sa, sb, ta, tb) = (s.a(), s.b(), t.a(), t.b());
    let (d1, d2) = (orient(sa, sb, ta), orient(sa, sb, tb));
    if d1 == 0 || d2 == 0 || (d1 > 0) == (d2 > 0) {
        return None;
    }
    let (d3, d4) = (orient(ta, tb, sa), orient(ta, tb, sb));
    if d3 == 0 || d4 == 0 || (d3 > 0) == (d4 > 0) {
        return None;
    }
    // s.a + (s.b − s.a) · d3 / (d3 − d4)
    let den = d3 - d4;
    let x = sa[0] as i128 * den + (sb[0] - sa[0]) as i128 * d3;
    let y = sa[1] as i128 * den + (sb[1] - sa[1]) as i128 * d3;
    Some([round_div(x, den), round_div(y, den)])
}

/// Whether edge `s` meets the closed unit square centred on `v` (passes
/// within half a grid step of `v` in both axes). Closed, not open: a
/// crossing that falls exactly on a pixel corner (it does, on real data)
/// must still route both its edges through the pixel it was rounded to.
/// Exact: doubled coordinates keep the square's corners on the integers.
fn through_pixel(s: &Seg, v: [i64; 2]) -> bool {
    let (sa, sb) = (s.a(), s.b());
    let (a, b) = ([2 * sa[0], 2 * sa[1]], [2 * sb[0], 2 * sb[1]]);
    let (cx, cy) = (2 * v[0], 2 * v[1]);
    if a[0].min(b[0]) > cx + 1 || a[0].max(b[0]) < cx - 1 || a[1].min(b[1]) > cy + 1 || a[1].max(b[1]) < cy - 1 {
        return false;
    }
    let (mut all_pos, mut all_neg) = (true, true);
    for c in [[cx - 1, cy - 1], [cx + 1, cy - 1], [cx + 1, cy + 1], [cx - 1, cy + 1]] {
        let o = orient(a, b, c);
        all_pos &= o > 0;
        all_neg &= o < 0;
    }
    !all_pos && !all_neg
}

/// `geoms` onto grid `g`, snap-rounded together: the same polygons and
/// rings, with every vertex on the grid and the vertices the others put on
/// them. A ring that snapping collapses (an islet smaller than a grid
/// step) is dropped, and a polygon with it.
pub(crate) fn node_all(geoms: &[&MultiPolygon<f64>], g: Grid) -> (Vec<MultiPolygon<f64>>, NodingStats) {
    // Ring counts per polygon per geometry, to put the rings back.
    let mut shape: Vec<Vec<usize>> = Vec::with_capacity(geoms.len());
    let mut rings: Vec<Vec<IntPoint>> = Vec::new();
    for m in geoms {
        shape.push(m.0.iter().map(|p| 1 + p.interiors().len()).collect());
        for p in &m.0 {
            for r in std::iter::once(p.exterior()).chain(p.interiors()) {
                let mut pts: Vec<IntPoint> = r.0.iter().map(|c| g.to_int(*c)).collect();
                if pts.len() > 1 && pts.first() == pts.last() {
                    pts.pop();
                }
                pts.dedup();
                rings.push(pts);
            }
        }
    }
    let stats = snap_round(&mut rings);
    let ring = |r: &Vec<IntPoint>| -> Option<LineString<f64>> {
        let mut v: Vec<Coord<f64>> = Vec::with_capacity(r.len() + 1);
        v.extend(r.iter().map(|p| g.to_float(*p)));
        v.dedup();
        if v.len() > 1 && v.first() == v.last() {
            v.pop();
        }
        if v.len() < 3 {
            return None;
        }
        v.push(v[0]);
        Some(LineString::new(v))
    };
    let mut it = rings.iter();
    let out = shape
        .iter()
        .map(|polys| {
            MultiPolygon(
                polys
                    .iter()
                    .filter_map(|&n| {
                        let rs: Vec<&Vec<IntPoint>> = it.by_ref().take(n).collect();
                        let ext = ring(rs[0])?;
                        Some(Polygon::new(ext, rs[1..].iter().filter_map(|r| ring(r)).collect()))
                    })
                    .collect(),
            )
        })
        .collect();
    (out, stats)
}

fn p32i(p: IntPoint) -> [i32; 2] {
    [p.x, p.y]
}

/// Snap-round `rings` (open rings of integer points, as i_overlay takes
/// them) in place, all against all.
pub(crate) fn snap_round(rings: &mut [Vec<IntPoint>]) -> NodingStats {
    let mut stats = NodingStats::default();
    // Dirty edges: those to check against every hot pixel. All at first;
    // after that only the edges a round bent.
    let mut dirty: Vec<Vec<bool>> = rings.iter().map(|r| vec![true; r.len()]).collect();
    for _ in 0..MAX_ROUNDS {
        stats.rounds += 1;
        let segs: Vec<Seg> = rings
            .iter()
            .enumerate()
            .flat_map(|(ri, r)| {
                let n = r.len();
                (0..if n >= 2 { n } else { 0 }).map(move |k| Seg {
                    a32: p32i(r[k]),
                    b32: p32i(r[(k + 1) % n]),
                    ring: ri as u32,
                    k: k as u32,
                })
            })
            .filter(|s| s.a32 != s.b32)
            .collect();
        let is_dirty = |s: &Seg| dirty[s.ring as usize][s.k as usize];
        // The tree owns the edges; the queries below walk references to them.
        let tree = RTree::bulk_load(segs);
        let segs: Vec<&Seg> = tree.iter().collect();
        // One query per dirty edge finds both kinds of hot pixel near it:
        // its crossings with any edge, and the vertices of the edges whose
        // boxes meet its own (every vertex near it is one of those), which
        // it passes through. No tree of vertices is needed.
        let near: Vec<(usize, Vec<Pixel>, Vec<Pixel>)> = segs
            .par_iter()
            .enumerate()
            .filter(|(_, s)| is_dirty(s))
            .filter_map(|(i, s)| {
                let (mut cross, mut hits) = (Vec::new(), Vec::new());
                for t in tree.locate_in_envelope_intersecting(&s.envelope()) {
                    if let Some(c) = crossing(s, t) {
                        cross.push(p32(c));
                    }
                    for v in [t.a32, t.b32] {
                        if v != s.a32 && v != s.b32 && through_pixel(s, [v[0] as i64, v[1] as i64]) {
                            hits.push(v);
                        }
                    }
                }
                // Most edges meet nothing: keep only those that do.
                (!cross.is_empty() || !hits.is_empty()).then_some((i, cross, hits))
            })
            .collect();
        let mut crossings: Vec<Pixel> = near.iter().flat_map(|(_, c, _)| c.iter().copied()).collect();
        crossings.par_sort_unstable();
        crossings.dedup();
        stats.crossings += crossings.len();
        let mut hits: Vec<Vec<Pixel>> = Vec::new();
        let mut hit_of: std::collections::HashMap<usize, usize> = std::collections::HashMap::new();
        for (i, _, h) in near {
            if !h.is_empty() {
                hit_of.insert(i, hits.len());
                hits.push(h);
            }
        }
        // The new crossings are hot pixels for every edge.
        let new_pixels = RTree::bulk_load(crossings);
        let inserts: Vec<(u32, u32, Vec<Pixel>)> = segs
            .par_iter()
            .enumerate()
            .filter_map(|(i, s)| {
                let (sa, sb) = (s.a(), s.b());
                let mut found: Vec<Pixel> = new_pixels
                    .locate_in_envelope_intersecting(&s.envelope())
                    .copied()
                    .filter(|&v| v != s.a32 && v != s.b32 && through_pixel(s, [v[0] as i64, v[1] as i64]))
                    .collect();
                if let Some(&h) = hit_of.get(&i) {
                    found.extend_from_slice(&hits[h]);
                }
                if found.is_empty() {
                    return None;
                }
                // In order along the edge.
                let (dx, dy) = ((sb[0] - sa[0]) as i128, (sb[1] - sa[1]) as i128);
                found.sort_unstable_by_key(|v| {
                    ((v[0] as i64 - sa[0]) as i128 * dx + (v[1] as i64 - sa[1]) as i128 * dy, *v)
                });
                found.dedup();
                Some((s.ring, s.k, found))
            })
            .collect();
        stats.inserted += inserts.iter().map(|(_, _, v)| v.len()).sum::<usize>();
        if inserts.is_empty() {
            stats.converged = true;
            break;
        }
        let mut by_ring: Vec<Vec<(u32, Vec<Pixel>)>> = vec![Vec::new(); rings.len()];
        for (r, k, v) in inserts {
            by_ring[r as usize].push((k, v));
        }
        let next: Vec<Option<(Vec<IntPoint>, Vec<bool>)>> = by_ring
            .into_par_iter()
            .enumerate()
            .map(|(ri, mut ins)| {
                if ins.is_empty() {
                    return None;
                }
                ins.sort_unstable_by_key(|(k, _)| *k);
                let r = &rings[ri];
                let mut pts = Vec::with_capacity(r.len() + ins.iter().map(|(_, v)| v.len()).sum::<usize>());
                let mut d = Vec::with_capacity(pts.capacity());
                let mut it = ins.into_iter().peekable();
                for (k, &p) in r.iter().enumerate() {
                    pts.push(p);
                    match it.peek() {
                        Some((kk, _)) if *kk as usize == k => {
                            let (_, vs) = it.next().expect("peeked");
                            d.push(true);
                            for v in vs {
                                pts.push(IntPoint::new(v[0], v[1]));
                                d.push(true);
                            }
                        }
                        _ => d.push(false),
                    }
                }
                Some((pts, d))
            })
            .collect();
        for (ri, n) in next.into_iter().enumerate() {
            match n {
                Some((pts, d)) => {
                    rings[ri] = pts;
                    dirty[ri] = d;
                }
                None => dirty[ri].iter_mut().for_each(|x| *x = false),
            }
        }
    }
    stats
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(x: i32, y: i32) -> IntPoint {
        IntPoint::new(x, y)
    }

    #[test]
    fn a_crossing_becomes_a_vertex_of_both_edges() {
        let mut rings =
            vec![vec![p(0, 0), p(10, 0), p(10, 10), p(0, 10)], vec![p(5, -5), p(15, -5), p(15, 5), p(5, 5)]];
        let s = snap_round(&mut rings);
        assert!(s.converged);
        assert!(rings[0].contains(&p(10, 5)) && rings[1].contains(&p(10, 5)), "{rings:?}");
        assert!(rings[0].contains(&p(5, 0)) && rings[1].contains(&p(5, 0)), "{rings:?}");
    }

    #[test]
    fn a_vertex_near_an_edge_is_put_on_it() {
        // (5, 10) lies on the first square's top edge; (3, 0) of the second
        // ring is a vertex of the first's bottom edge only after noding.
        let mut rings = vec![vec![p(0, 0), p(10, 0), p(10, 10), p(0, 10)], vec![p(3, 0), p(3, -4), p(7, -4), p(7, 0)]];
        snap_round(&mut rings);
        assert_eq!(rings[0], vec![p(0, 0), p(3, 0), p(7, 0), p(10, 0), p(10, 10), p(0, 10)]);
        // An edge passing a vertex by less than half a step is bent onto it.
        let mut rings = vec![vec![p(0, 0), p(10, 1), p(10, 10)], vec![p(5, 0), p(5, -3), p(8, -3)]];
        snap_round(&mut rings);
        assert_eq!(rings[0], vec![p(0, 0), p(5, 0), p(10, 1), p(10, 10)]);
    }

    #[test]
    fn rounding_is_the_same_from_either_edge() {
        for (s, t) in [([0, 0, 7, 3], [1, 5, 6, -2]), ([-3, -9, 11, 4], [9, -8, -2, 6])] {
            let a = Seg { a32: [s[0], s[1]], b32: [s[2], s[3]], ring: 0, k: 0 };
            let b = Seg { a32: [t[0], t[1]], b32: [t[2], t[3]], ring: 1, k: 0 };
            let rev = Seg { a32: b.b32, b32: b.a32, ..b };
            assert_eq!(crossing(&a, &b), crossing(&b, &a));
            assert_eq!(crossing(&a, &b), crossing(&a, &rev));
            assert!(crossing(&a, &b).is_some());
        }
        assert_eq!(round_div(5, 2), 3);
        assert_eq!(round_div(-5, 2), -3);
        assert_eq!(round_div(7, -2), -4);
        assert_eq!(round_div(4, 3), 1);
    }

    #[test]
    fn a_crossing_on_a_pixel_corner_is_a_vertex_of_both_edges() {
        // Two long near-parallel borders from the sample (Armenia and
        // Azerbaijan, legal against OSM 2024) cross exactly on the corner
        // of a grid cell, at (-218221315.5, 86776324.5).
        let mut rings = vec![
            vec![p(-219338007, 86506144), p(-217104624, 87046505), p(-217104624, 80000000)],
            vec![p(-219338007, 86506171), p(-217104624, 87046478), p(-217104624, 90000000)],
        ];
        assert!(snap_round(&mut rings).converged);
        assert!(rings[0].contains(&p(-218221316, 86776325)), "{rings:?}");
        assert!(rings[1].contains(&p(-218221316, 86776325)), "{rings:?}");
    }
}
