//! One integer grid per overlay job. Every operation on a legal unit runs on
//! the same grid, so the pieces it is cut into share their vertices exactly
//! and their areas add up exactly in integer arithmetic.

use geo::{Coord, LineString, MultiPolygon, Polygon, Rect};
use i_overlay::i_float::int::point::IntPoint;

/// Integer shapes: shapes → contours (first outer, then holes) → points.
pub(crate) type IntShapes = Vec<Vec<Vec<IntPoint>>>;

/// A power-of-two grid centred on a box: x_int = round((x − cx) · 2^e).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Grid {
    cx: f64,
    cy: f64,
    scale: f64,
}

impl Grid {
    /// The finest grid that keeps `rect` within ±2^29 (i_overlay's working
    /// range, with headroom for intersections).
    pub(crate) fn for_rect(rect: Rect<f64>) -> Grid {
        let (cx, cy) = ((rect.min().x + rect.max().x) / 2.0, (rect.min().y + rect.max().y) / 2.0);
        let half = (rect.width().max(rect.height()) / 2.0).max(1e-9);
        let e = 29 - half.log2().ceil() as i32;
        Grid { cx, cy, scale: 2f64.powi(e) }
    }

    /// One grid step, degrees.
    #[cfg(test)]
    pub(crate) fn step(self) -> f64 {
        1.0 / self.scale
    }

    pub(crate) fn to_int(self, c: Coord<f64>) -> IntPoint {
        IntPoint::new(((c.x - self.cx) * self.scale).round() as i32, ((c.y - self.cy) * self.scale).round() as i32)
    }

    pub(crate) fn to_float(self, p: IntPoint) -> Coord<f64> {
        Coord { x: p.x as f64 / self.scale + self.cx, y: p.y as f64 / self.scale + self.cy }
    }

    /// Polygons onto the grid, oriented (outer counter-clockwise, holes
    /// clockwise) so that the non-zero fill rule reads them right.
    ///
    /// Each ring is oriented by the exact signed area of its integer ring,
    /// never by the turn at one vertex: geo's `winding_order` looks only
    /// at the lexicographically least vertex (leftmost, then lowest), and
    /// where snapping has made that vertex a zero-width spike it answers
    /// `None`. A counter-clockwise hole was
    /// then left as it came and the non-zero rule filled it (issue 30: 5
    /// of 50 real holes counted as `contested_control`). A ring whose
    /// snapped area is 0 encloses nothing either way.
    pub(crate) fn shapes(&self, m: &MultiPolygon<f64>) -> IntShapes {
        m.0.iter()
            .map(|p| {
                std::iter::once(p.exterior())
                    .chain(p.interiors())
                    .enumerate()
                    .map(|(k, r)| {
                        let mut pts: Vec<IntPoint> = r.0.iter().map(|c| self.to_int(*c)).collect();
                        // i_overlay takes open paths.
                        if pts.len() > 1 && pts.first() == pts.last() {
                            pts.pop();
                        }
                        pts.dedup();
                        // Shell counter-clockwise (positive), holes clockwise.
                        let a = twice_signed_area(&pts);
                        if (k == 0 && a < 0) || (k > 0 && a > 0) {
                            pts.reverse();
                        }
                        pts
                    })
                    .filter(|r| r.len() >= 3)
                    .collect::<Vec<_>>()
            })
            .filter(|s: &Vec<Vec<IntPoint>>| !s.is_empty())
            .collect()
    }

    /// Back to polygons, rings closed, in OGC form (see [`ogc`]).
    pub(crate) fn polygons(&self, shapes: &IntShapes) -> Vec<Polygon<f64>> {
        let ring = |c: &Vec<IntPoint>| {
            // Sized for the closing vertex: pushing it onto an exact-size
            // Vec would double the capacity of every ring (60 MB at world scale).
            let mut v: Vec<Coord<f64>> = Vec::with_capacity(c.len() + 1);
            v.extend(c.iter().map(|p| self.to_float(*p)));
            if let Some(f) = v.first().copied() {
                v.push(f);
            }
            LineString::new(v)
        };
        shapes
            .iter()
            .filter(|s| !s.is_empty())
            .flat_map(|s| ogc(s))
            .map(|s| Polygon::new(ring(&s[0]), s[1..].iter().map(ring).collect()))
            .collect()
    }

    /// Planar area in square degrees of integer shapes (exact shoelace in
    /// i128, then scaled).
    #[cfg(test)]
    pub(crate) fn area(&self, shapes: &IntShapes) -> f64 {
        let twice: i128 = shapes.iter().flat_map(|s| s.iter()).map(|c| twice_signed_area(c)).sum();
        (twice as f64 / 2.0) / (self.scale * self.scale)
    }
}

/// Split a ring at its repeated vertices into simple loops (exact: integer
/// coordinates, no vertex moves).
fn loops(c: &[IntPoint]) -> Vec<Vec<IntPoint>> {
    let mut out = Vec::new();
    let mut path: Vec<IntPoint> = Vec::with_capacity(c.len());
    let mut seen: std::collections::HashMap<IntPoint, usize> = std::collections::HashMap::new();
    for &p in c {
        if let Some(&i) = seen.get(&p) {
            // The path came back to p: cut the loop off.
            let lp: Vec<IntPoint> = path.drain(i + 1..).collect();
            for q in &lp {
                seen.remove(q);
            }
            let mut l = vec![p];
            l.extend(lp);
            if l.len() >= 3 {
                out.push(l);
            }
        } else {
            seen.insert(p, path.len());
            path.push(p);
        }
    }
    if path.len() >= 3 {
        out.push(path);
    }
    out
}

#[cfg(test)]
fn contains(ring: &[IntPoint], p: IntPoint) -> bool {
    let n = ring.len();
    crossings_odd(p, (0..n).map(|i| (ring[i], ring[(i + 1) % n])))
}

/// i_overlay's standard extraction may return a ring that touches itself
/// at a vertex (a hole pinched into the shell, or two lobes joined at a
/// point). OGC forbids it. Split every ring into simple loops. A loop wound
/// like the contour it came from keeps that contour's role (the first
/// contour is the shell, the others holes); a loop wound the other way takes
/// the opposite role. Each hole then goes to the smallest shell that holds
/// it. Areas are unchanged. (Roles come from the shape's structure, not
/// from a winding convention: i_overlay's OGC mode returns holes
/// counter-clockwise.)
pub(crate) fn ogc(shape: &[Vec<IntPoint>]) -> Vec<Vec<Vec<IntPoint>>> {
    let mut shells: Vec<Vec<IntPoint>> = Vec::new();
    let mut holes: Vec<Vec<IntPoint>> = Vec::new();
    for (j, ring) in shape.iter().enumerate() {
        let sign = twice_signed_area(ring).signum();
        for l in loops(ring) {
            let a = twice_signed_area(&l);
            if a == 0 {
                continue;
            }
            let same = a.signum() == sign;
            if (j == 0) == same { shells.push(l) } else { holes.push(l) }
        }
    }
    if shells.len() == 1 && holes.len() + 1 == shape.len() {
        // Nothing was pinched: keep the shape as it came.
        let mut v = vec![shells.pop().expect("one shell")];
        v.extend(holes);
        return vec![v];
    }
    let mut out: Vec<Vec<Vec<IntPoint>>> = shells.into_iter().map(|s| vec![s]).collect();
    if out.len() == 1 {
        // One shell: every hole is its (the search below would find it, or
        // fall back to it).
        out[0].extend(holes);
        return out;
    }
    // Each hole goes to the smallest shell holding one of its vertices
    // strictly inside. Shells are tried smallest first among those whose
    // box meets the hole's, through an index of each shell's edges: a
    // mainland of 10⁶ vertices with thousands of lakes cost 10⁶ per lake
    // vertex walked (41% of a world run with every island kept).
    let boxes: Vec<[i32; 4]> = out.iter().map(|s| int_box(&s[0])).collect();
    let areas: Vec<i128> = out.iter().map(|s| twice_signed_area(&s[0]).abs()).collect();
    let mut by_area: Vec<usize> = (0..out.len()).collect();
    by_area.sort_by_key(|&i| areas[i]);
    let mut index: Vec<Option<RingIndex>> = (0..out.len()).map(|_| None).collect();
    let mut placed: Vec<(usize, Vec<IntPoint>)> = Vec::with_capacity(holes.len());
    for h in holes {
        let hb = int_box(&h);
        let owner = by_area.iter().copied().find(|&i| {
            let b = boxes[i];
            if b[0] > hb[2] || hb[0] > b[2] || b[1] > hb[3] || hb[1] > b[3] {
                return false;
            }
            let idx = index[i].get_or_insert_with(|| RingIndex::new(&out[i][0]));
            h.iter().any(|&p| idx.strictly_inside(p))
        });
        // Degenerate: keep the area accounted for by the first shell.
        placed.push((owner.unwrap_or(0), h));
    }
    for (i, h) in placed {
        out[i].push(h);
    }
    out
}

/// [min x, min y, max x, max y] of integer points.
fn int_box(c: &[IntPoint]) -> [i32; 4] {
    c.iter().fold([i32::MAX, i32::MAX, i32::MIN, i32::MIN], |b, p| {
        [b[0].min(p.x), b[1].min(p.y), b[2].max(p.x), b[3].max(p.y)]
    })
}

/// A ring's edges in horizontal strips, and its vertices, for point-in-ring
/// tests that cost the edges of one strip instead of the whole ring.
struct RingIndex<'a> {
    ring: &'a [IntPoint],
    vertices: std::collections::HashSet<IntPoint>,
    y0: i64,
    height: i64,
    /// Per strip, the indices i of the edges (ring[i], ring[i + 1]) whose
    /// y-span meets it.
    strips: Vec<Vec<u32>>,
}

impl<'a> RingIndex<'a> {
    fn new(ring: &'a [IntPoint]) -> RingIndex<'a> {
        let n = ring.len();
        let b = int_box(ring);
        let (y0, y1) = (b[1] as i64, b[3] as i64);
        let count = (n / 8).clamp(1, 1 << 16) as i64;
        let height = ((y1 - y0) / count + 1).max(1);
        let mut strips: Vec<Vec<u32>> = vec![Vec::new(); ((y1 - y0) / height + 1) as usize];
        for i in 0..n {
            let (a, c) = (ring[i].y as i64, ring[(i + 1) % n].y as i64);
            for s in (a.min(c) - y0) / height..=(a.max(c) - y0) / height {
                strips[s as usize].push(i as u32);
            }
        }
        RingIndex { ring, vertices: ring.iter().copied().collect(), y0, height, strips }
    }

    /// Inside and not a vertex of the ring (a hole may touch its shell).
    fn strictly_inside(&self, p: IntPoint) -> bool {
        let y = p.y as i64;
        if self.vertices.contains(&p) || y < self.y0 {
            return false;
        }
        let Some(strip) = self.strips.get(((y - self.y0) / self.height) as usize) else { return false };
        let n = self.ring.len();
        let edges = strip.iter().map(|&i| (self.ring[i as usize], self.ring[(i as usize + 1) % n]));
        crossings_odd(p, edges)
    }
}

/// Whether a ray from p to +x crosses the edges an odd number of times
/// (the even-odd rule, exact in integers).
fn crossings_odd(p: IntPoint, edges: impl Iterator<Item = (IntPoint, IntPoint)>) -> bool {
    let (x, y) = (p.x as i64, p.y as i64);
    let mut inside = false;
    for (a, b) in edges {
        let (ax, ay, bx, by) = (a.x as i64, a.y as i64, b.x as i64, b.y as i64);
        if (ay > y) != (by > y) {
            // x < ax + (y − ay)(bx − ax)/(by − ay), without division.
            let lhs = (x - ax) * (by - ay);
            let rhs = (y - ay) * (bx - ax);
            if (by > ay && lhs < rhs) || (by < ay && lhs > rhs) {
                inside = !inside;
            }
        }
    }
    inside
}

/// Twice the signed area of a closed integer ring (counter-clockwise positive).
pub(crate) fn twice_signed_area(c: &[IntPoint]) -> i128 {
    let n = c.len();
    (0..n)
        .map(|i| {
            let (a, b) = (c[i], c[(i + 1) % n]);
            a.x as i128 * b.y as i128 - b.x as i128 * a.y as i128
        })
        .sum()
}

/// Planar area in square degrees of float polygons.
#[cfg(test)]
pub(crate) fn planar_area(m: &MultiPolygon<f64>) -> f64 {
    use geo::Area;
    m.0.iter().map(|p| p.unsigned_area()).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(x: i32, y: i32) -> IntPoint {
        IntPoint::new(x, y)
    }

    #[test]
    fn a_pinched_hole_becomes_a_hole() {
        // A square whose ring dips in to trace a hole touching at (10, 5).
        let ring = vec![p(0, 0), p(10, 0), p(10, 5), p(6, 4), p(6, 6), p(10, 5), p(10, 10), p(0, 10)];
        let out = ogc(std::slice::from_ref(&ring));
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].len(), 2, "{out:?}");
        let total: i128 = out.iter().flatten().map(|c| twice_signed_area(c)).sum();
        assert_eq!(total, twice_signed_area(&ring));
    }

    /// Issue 30: a hole whose lowest-left vertex is a zero-width spike
    /// (the ring runs out to it and straight back) has no turn there, so a
    /// one-vertex orientation test cannot tell which way it is stored. Its
    /// exact area can: stored either way round it must come out clockwise.
    #[test]
    fn a_hole_with_a_spike_at_its_lowest_left_vertex_is_oriented_by_its_area() {
        use geo::coord;
        let g = Grid::for_rect(Rect::new(coord! { x: 0.0, y: 0.0 }, coord! { x: 8.0, y: 8.0 }));
        let shell = LineString::from(vec![(0.0, 0.0), (8.0, 0.0), (8.0, 8.0), (0.0, 8.0), (0.0, 0.0)]);
        // Counter-clockwise: the square x 2..3, y 1..3, with a spike out to (1, 1).
        let ccw = LineString::from(vec![(1.0, 1.0), (3.0, 1.0), (3.0, 3.0), (2.0, 3.0), (2.0, 1.0), (1.0, 1.0)]);
        let mut cw = ccw.clone();
        cw.0.reverse();
        for hole in [ccw, cw] {
            let s = g.shapes(&MultiPolygon(vec![Polygon::new(shell.clone(), vec![hole])]));
            assert!(twice_signed_area(&s[0][0]) > 0, "shell counter-clockwise");
            assert!(twice_signed_area(&s[0][1]) < 0, "hole clockwise");
            // 64 − 2 square degrees under the non-zero rule.
            assert_eq!(g.area(&s), 62.0);
        }
    }

    #[test]
    fn a_counter_clockwise_hole_is_still_a_hole() {
        let shell = vec![p(0, 0), p(10, 0), p(10, 10), p(0, 10)];
        let hole = vec![p(2, 2), p(4, 2), p(4, 4), p(2, 4)]; // wound like the shell
        let out = ogc(&[shell, hole]);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].len(), 2);
    }

    #[test]
    fn two_lobes_joined_at_a_point_become_two_polygons() {
        let ring = vec![p(0, 0), p(5, 0), p(5, 5), p(10, 5), p(10, 10), p(5, 10), p(5, 5), p(0, 5)];
        let out = ogc(std::slice::from_ref(&ring));
        assert_eq!(out.len(), 2, "{out:?}");
        let total: i128 = out.iter().flatten().map(|c| twice_signed_area(c)).sum();
        assert_eq!(total, twice_signed_area(&ring));
    }

    #[test]
    fn each_hole_goes_to_the_lobe_that_holds_it() {
        // Two lobes joined at (5, 5), each with a hole; the hole of the
        // right lobe comes first.
        let ring = vec![p(0, 0), p(5, 0), p(5, 5), p(10, 5), p(10, 10), p(5, 10), p(5, 5), p(0, 5)];
        let right_hole = vec![p(7, 7), p(7, 8), p(8, 8), p(8, 7)];
        let left_hole = vec![p(1, 1), p(1, 2), p(2, 2), p(2, 1)];
        let out = ogc(&[ring, right_hole.clone(), left_hole.clone()]);
        assert_eq!(out.len(), 2, "{out:?}");
        for shape in &out {
            assert_eq!(shape.len(), 2, "{out:?}");
            let hole = &shape[1];
            assert!(hole.iter().all(|&q| contains(&shape[0], q)), "{out:?}");
        }
        assert!(out.iter().any(|s| s[1] == right_hole) && out.iter().any(|s| s[1] == left_hole));
    }

    #[test]
    fn the_strip_index_agrees_with_walking_the_whole_ring() {
        // A star of 2,000 vertices: many edges per strip, spikes in and out.
        let n = 2000;
        let ring: Vec<IntPoint> = (0..n)
            .map(|i| {
                let t = i as f64 / n as f64 * std::f64::consts::TAU;
                let r = if i % 2 == 0 { 10_000.0 } else { 4_000.0 + (i % 7) as f64 * 500.0 };
                p((r * t.cos()).round() as i32, (r * t.sin()).round() as i32)
            })
            .collect();
        let idx = RingIndex::new(&ring);
        let mut inside = 0;
        for x in (-10_500..10_500).step_by(377) {
            for y in (-10_500..10_500).step_by(211) {
                let q = p(x, y);
                let want = contains(&ring, q) && !ring.contains(&q);
                assert_eq!(idx.strictly_inside(q), want, "{q:?}");
                inside += usize::from(want);
            }
        }
        assert!(inside > 100, "{inside}");
        // Its own vertices are not strictly inside.
        assert!(ring.iter().all(|&v| !idx.strictly_inside(v)));
    }

    #[test]
    fn round_trip_lands_on_the_grid_and_keeps_area() {
        let m = geo::wkt!(MULTIPOLYGON(((45. 40., 45.1 40., 45.1 40.1, 45. 40.1, 45. 40.))));
        let g = Grid::for_rect(Rect::new(Coord { x: 44.0, y: 39.0 }, Coord { x: 46.0, y: 41.0 }));
        let s = g.shapes(&m);
        // Snapping moves each vertex by at most half a step: the area by at
        // most perimeter × half a step.
        let bound = 0.4 * (0.5 / g.scale);
        assert!((g.area(&s) - 0.01).abs() <= bound, "{} {:?}", g.area(&s), s);
        // On the grid, integer area is exact: the float round trip gives it back.
        assert_eq!(g.area(&g.shapes(&MultiPolygon(g.polygons(&s)))), g.area(&s));
        let back = g.polygons(&s);
        assert!((planar_area(&MultiPolygon(back)) - g.area(&s)).abs() < 1e-15);
        assert!(1.0 / g.scale < 1e-8);
    }
}
