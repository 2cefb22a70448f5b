//! One integer grid per overlay job. Every operation on a legal unit runs on
//! the same grid, so the pieces it is cut into share their vertices exactly
//! and their areas add up exactly in integer arithmetic.

use geo::orient::Direction;
use geo::{Coord, LineString, MultiPolygon, Orient, Polygon, Rect};
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
    pub(crate) fn shapes(&self, m: &MultiPolygon<f64>) -> IntShapes {
        m.orient(Direction::Default)
            .0
            .iter()
            .map(|p| {
                std::iter::once(p.exterior())
                    .chain(p.interiors())
                    .map(|r| {
                        let mut pts: Vec<IntPoint> = r.0.iter().map(|c| self.to_int(*c)).collect();
                        // i_overlay takes open paths.
                        if pts.len() > 1 && pts.first() == pts.last() {
                            pts.pop();
                        }
                        pts.dedup();
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

fn contains(ring: &[IntPoint], p: IntPoint) -> bool {
    let (x, y) = (p.x as i64, p.y as i64);
    let mut inside = false;
    let n = ring.len();
    for i in 0..n {
        let (a, b) = (ring[i], ring[(i + 1) % n]);
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
    for h in holes {
        // A hole's vertex may lie on its shell (they touch); test a vertex
        // strictly inside some shell, preferring the smallest.
        let owner = (0..out.len())
            .filter(|&i| h.iter().any(|&p| contains(&out[i][0], p) && !out[i][0].contains(&p)))
            .min_by_key(|&i| twice_signed_area(&out[i][0]).abs());
        match owner {
            Some(i) => out[i].push(h),
            // Degenerate: keep the area accounted for by the first shell.
            None => {
                if let Some(first) = out.first_mut() {
                    first.push(h)
                }
            }
        }
    }
    out
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
