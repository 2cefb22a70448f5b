//! Clip polygons to a rectangle before the overlay.
//!
//! A small legal unit next to a continent-sized control polygon would
//! otherwise feed every vertex of the continent to the overlay of that
//! unit. Only what lies inside the unit matters, so candidates are first
//! cut to the unit's box, widened so that the cut lines stay clear of the
//! unit (the pieces inside are then the same).
//!
//! Sutherland–Hodgman per ring: linear, and the rings it returns may run
//! along the box edge where a concave ring leaves and re-enters it. Those
//! zero-width doublings lie outside the unit and the overlay's fill rule
//! cancels them.

use std::borrow::Cow;

use geo::{BoundingRect, Coord, LineString, MultiPolygon, Polygon, Rect};

/// `r` widened by 1% of its larger side (at least 1e-6°).
pub(crate) fn widen(r: Rect<f64>) -> Rect<f64> {
    let m = (r.width().max(r.height()) * 0.01).max(1e-6);
    Rect::new(Coord { x: r.min().x - m, y: r.min().y - m }, Coord { x: r.max().x + m, y: r.max().y + m })
}

/// `m` clipped to `r`; borrowed when it already lies inside.
pub(crate) fn to_rect<'a>(
    m: &'a MultiPolygon<f64>,
    bbox: Option<Rect<f64>>,
    r: Rect<f64>,
) -> Cow<'a, MultiPolygon<f64>> {
    match bbox {
        Some(b)
            if b.min().x >= r.min().x && b.min().y >= r.min().y && b.max().x <= r.max().x && b.max().y <= r.max().y =>
        {
            Cow::Borrowed(m)
        }
        _ => Cow::Owned(MultiPolygon(
            m.0.iter()
                .filter(|p| p.bounding_rect().is_some_and(|b| intersects(b, r)))
                .filter_map(|p| polygon_to_rect(p, r))
                .collect(),
        )),
    }
}

/// One polygon clipped to `r` (None when nothing of it lies inside).
pub(crate) fn polygon_to_rect(p: &Polygon<f64>, r: Rect<f64>) -> Option<Polygon<f64>> {
    let ext = ring(p.exterior(), r)?;
    Some(Polygon::new(ext, p.interiors().iter().filter_map(|h| ring(h, r)).collect()))
}

fn intersects(a: Rect<f64>, b: Rect<f64>) -> bool {
    a.min().x <= b.max().x && b.min().x <= a.max().x && a.min().y <= b.max().y && b.min().y <= a.max().y
}

fn ring(l: &LineString<f64>, r: Rect<f64>) -> Option<LineString<f64>> {
    let mut pts: Vec<Coord<f64>> = l.0.clone();
    if pts.len() > 1 && pts.first() == pts.last() {
        pts.pop();
    }
    // Each pass keeps one side of one box edge: inside(c), and the crossing
    // of an edge a→b with that line.
    type Side = (fn(Coord<f64>, f64) -> bool, fn(Coord<f64>, Coord<f64>, f64) -> Coord<f64>, f64);
    let passes: [Side; 4] = [
        (|c, v| c.x >= v, |a, b, v| Coord { x: v, y: a.y + (b.y - a.y) * (v - a.x) / (b.x - a.x) }, r.min().x),
        (|c, v| c.x <= v, |a, b, v| Coord { x: v, y: a.y + (b.y - a.y) * (v - a.x) / (b.x - a.x) }, r.max().x),
        (|c, v| c.y >= v, |a, b, v| Coord { x: a.x + (b.x - a.x) * (v - a.y) / (b.y - a.y), y: v }, r.min().y),
        (|c, v| c.y <= v, |a, b, v| Coord { x: a.x + (b.x - a.x) * (v - a.y) / (b.y - a.y), y: v }, r.max().y),
    ];
    for (inside, cross, v) in passes {
        if pts.is_empty() {
            return None;
        }
        let mut out = Vec::with_capacity(pts.len() + 4);
        let mut prev = *pts.last()?;
        for &cur in &pts {
            match (inside(cur, v), inside(prev, v)) {
                (true, true) => out.push(cur),
                (true, false) => {
                    out.push(cross(prev, cur, v));
                    out.push(cur);
                }
                (false, true) => out.push(cross(prev, cur, v)),
                (false, false) => {}
            }
            prev = cur;
        }
        pts = out;
    }
    pts.dedup();
    if pts.len() < 3 {
        return None;
    }
    pts.push(pts[0]);
    Some(LineString::new(pts))
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{Area, BooleanOps, polygon};

    #[test]
    fn clipping_keeps_what_lies_inside_the_box() {
        // A concave ring (a U) with a hole, leaving and re-entering the box.
        let u = polygon!(
            exterior: [(x: 0.0, y: 0.0), (x: 10.0, y: 0.0), (x: 10.0, y: 10.0), (x: 7.0, y: 10.0), (x: 7.0, y: 3.0),
                       (x: 3.0, y: 3.0), (x: 3.0, y: 10.0), (x: 0.0, y: 10.0)],
            interiors: [[(x: 1.0, y: 1.0), (x: 2.0, y: 1.0), (x: 2.0, y: 2.0), (x: 1.0, y: 2.0)]],
        );
        let m = MultiPolygon(vec![u]);
        let r = Rect::new(Coord { x: -1.0, y: 2.0 }, Coord { x: 11.0, y: 8.0 });
        let c = to_rect(&m, m.bounding_rect(), r);
        // Inside a smaller box, clipped and unclipped agree.
        let probe = MultiPolygon(vec![Rect::new(Coord { x: 0.5, y: 2.5 }, Coord { x: 9.5, y: 7.5 }).to_polygon()]);
        let a = c.intersection(&probe).unsigned_area();
        let b = m.intersection(&probe).unsigned_area();
        assert!((a - b).abs() < 1e-9, "{a} {b}");
        assert!(a > 0.0);
    }

    #[test]
    fn a_polygon_inside_the_box_is_borrowed() {
        let m = MultiPolygon(vec![Rect::new(Coord { x: 1.0, y: 1.0 }, Coord { x: 2.0, y: 2.0 }).to_polygon()]);
        let r = Rect::new(Coord { x: 0.0, y: 0.0 }, Coord { x: 3.0, y: 3.0 });
        assert!(matches!(to_rect(&m, m.bounding_rect(), r), Cow::Borrowed(_)));
    }
}
