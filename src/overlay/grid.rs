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

    fn to_int(&self, c: Coord<f64>) -> IntPoint {
        IntPoint::new(((c.x - self.cx) * self.scale).round() as i32, ((c.y - self.cy) * self.scale).round() as i32)
    }

    fn to_float(&self, p: IntPoint) -> Coord<f64> {
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

    /// Back to polygons, one per shape, rings closed.
    pub(crate) fn polygons(&self, shapes: &IntShapes) -> Vec<Polygon<f64>> {
        shapes
            .iter()
            .filter(|s| !s.is_empty())
            .map(|s| {
                let ring = |c: &Vec<IntPoint>| {
                    let mut v: Vec<Coord<f64>> = c.iter().map(|p| self.to_float(*p)).collect();
                    if let Some(f) = v.first().copied() {
                        v.push(f);
                    }
                    LineString::new(v)
                };
                Polygon::new(ring(&s[0]), s[1..].iter().map(ring).collect())
            })
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
