//! Geodesic measures on the WGS 84 ellipsoid (GeographicLib via geo), in
//! metres and square metres. Nothing here is planar.

use geo::{Geodesic, GeodesicArea, Geometry, Length, MultiPolygon, Polygon};

/// Area in m² of one polygon, whatever the winding of its rings.
///
/// GeographicLib reads a clockwise ring as "everything but this", so geo's
/// unsigned geodesic area of a clockwise square is the Earth minus the
/// square, and a degenerate sliver whose winding cannot be told comes out
/// Earth-sized. Rings from files and overlays come in either winding, so
/// each ring is measured signed (small either way) and its magnitude used:
/// exterior minus holes. Valid for polygons smaller than half the Earth.
///
/// ```
/// let ccw = geo::wkt!(POLYGON((0. 0., 1. 0., 1. 1., 0. 1., 0. 0.)));
/// let cw = geo::wkt!(POLYGON((0. 0., 0. 1., 1. 1., 1. 0., 0. 0.)));
/// let a = delimit::measure::polygon_area_m2(&ccw);
/// assert!((a - delimit::measure::polygon_area_m2(&cw)).abs() < 1e-6);
/// assert!(a < 1.3e10);
/// // A zero-width sliver has no area, not the Earth's.
/// let sliver = geo::wkt!(POLYGON((0. 0., 1. 0., 2. 0., 0. 0.)));
/// assert!(delimit::measure::polygon_area_m2(&sliver) < 1.0);
/// ```
pub fn polygon_area_m2(p: &Polygon<f64>) -> f64 {
    let ring = |r: &geo::LineString<f64>| Polygon::new(r.clone(), vec![]).geodesic_area_signed().abs();
    let holes: f64 = p.interiors().iter().map(ring).sum();
    (ring(p.exterior()) - holes).max(0.0)
}

/// Area in m² of a polygonal geometry; 0 for points and lines.
///
/// ```
/// // A 1°×1° cell at the equator is about 12 308 km² on WGS 84.
/// let cell = geo::wkt!(POLYGON((0. 0., 1. 0., 1. 1., 0. 1., 0. 0.)));
/// let km2 = delimit::measure::area_m2(&cell.into()) / 1e6;
/// assert!((km2 - 12308.778).abs() < 0.01, "{km2}");
/// ```
pub fn area_m2(g: &Geometry<f64>) -> f64 {
    match g {
        Geometry::Polygon(p) => polygon_area_m2(p),
        Geometry::MultiPolygon(m) => multipolygon_area_m2(m),
        Geometry::GeometryCollection(c) => c.iter().map(area_m2).sum(),
        Geometry::Rect(r) => polygon_area_m2(&r.to_polygon()),
        Geometry::Triangle(t) => polygon_area_m2(&t.to_polygon()),
        _ => 0.0,
    }
}

/// Area in m² of a multipolygon, summed part by part so that parts with
/// opposite windings never cancel.
///
/// ```
/// let m = geo::wkt!(MULTIPOLYGON(((0. 0., 0.1 0., 0.1 0.1, 0. 0.1, 0. 0.)),((1. 0., 1. 0.1, 1.1 0.1, 1.1 0., 1. 0.))));
/// let a = delimit::measure::multipolygon_area_m2(&m);
/// assert!(a > 2.4e8 && a < 2.5e8);
/// ```
pub fn multipolygon_area_m2(m: &MultiPolygon<f64>) -> f64 {
    m.0.iter().map(polygon_area_m2).sum()
}

/// Perimeter in metres of a polygonal geometry (exterior and holes), or the
/// length of a linear one.
///
/// ```
/// let l = geo::wkt!(LINESTRING(0. 0., 0. 1.));
/// let m = delimit::measure::length_m(&l.into());
/// assert!((m - 110574.389).abs() < 0.01, "{m}");
/// ```
pub fn length_m(g: &Geometry<f64>) -> f64 {
    match g {
        Geometry::Polygon(p) => p.geodesic_perimeter(),
        Geometry::MultiPolygon(m) => m.0.iter().map(|p| p.geodesic_perimeter()).sum(),
        Geometry::LineString(l) => Geodesic.length(l),
        Geometry::MultiLineString(m) => m.0.iter().map(|l| Geodesic.length(l)).sum(),
        Geometry::Line(l) => Geodesic.length(l),
        Geometry::GeometryCollection(c) => c.iter().map(length_m).sum(),
        _ => 0.0,
    }
}

/// Mean Earth radius (IUGG) in metres, for the local frame of [`width_m`].
const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// Estimated width in metres of a polygon: the diameter of its largest
/// inscribed circle (pole of inaccessibility, Mapbox's polylabel algorithm)
/// to within `precision_m`.
///
/// Works in a local equirectangular frame centred on the polygon, which is
/// accurate to well under 1 % for shapes up to a few hundred kilometres
/// across: enough to tell a digitising sliver (metres wide) from a real area
/// (kilometres wide). Not for continent-sized polygons.
///
/// ```
/// // A 0.01° × 0.001° strip at 40°N: about 111 m wide (north–south).
/// let strip = geo::wkt!(POLYGON((45. 40., 45.01 40., 45.01 40.001, 45. 40.001, 45. 40.)));
/// let w = delimit::measure::width_m(&strip, 0.5);
/// assert!((w - 111.2).abs() < 1.5, "{w}");
/// ```
pub fn width_m(p: &Polygon<f64>, precision_m: f64) -> f64 {
    use geo::{BoundingRect, Contains, Distance, Euclidean, MapCoords, Point};
    use std::collections::BinaryHeap;

    let Some(bb) = p.bounding_rect() else { return 0.0 };
    let (lon0, lat0) = ((bb.min().x + bb.max().x) / 2.0, (bb.min().y + bb.max().y) / 2.0);
    let kx = lat0.to_radians().cos() * EARTH_RADIUS_M * std::f64::consts::PI / 180.0;
    let ky = EARTH_RADIUS_M * std::f64::consts::PI / 180.0;
    let local = p.map_coords(|c| geo::Coord { x: (c.x - lon0) * kx, y: (c.y - lat0) * ky });
    let rings: Vec<&geo::LineString<f64>> = std::iter::once(local.exterior()).chain(local.interiors()).collect();
    // Signed distance to the boundary: positive inside.
    let sdist = |x: f64, y: f64| -> f64 {
        let pt = Point::new(x, y);
        let d = rings.iter().map(|r| Euclidean.distance(&pt, *r)).fold(f64::INFINITY, f64::min);
        if local.contains(&pt) { d } else { -d }
    };
    #[derive(PartialEq)]
    struct Cell {
        x: f64,
        y: f64,
        h: f64,
        d: f64,
        max: f64,
    }
    impl Eq for Cell {}
    impl Ord for Cell {
        fn cmp(&self, o: &Self) -> std::cmp::Ordering {
            self.max.total_cmp(&o.max)
        }
    }
    impl PartialOrd for Cell {
        fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
            Some(self.cmp(o))
        }
    }
    let cell = |x: f64, y: f64, h: f64| {
        let d = sdist(x, y);
        Cell { x, y, h, d, max: d + h * std::f64::consts::SQRT_2 }
    };
    let Some(lb) = local.bounding_rect() else { return 0.0 };
    let (w, h) = (lb.width(), lb.height());
    let size = w.min(h);
    if size <= 0.0 {
        return 0.0;
    }
    let half = size / 2.0;
    let mut queue = BinaryHeap::new();
    let mut x = lb.min().x;
    while x < lb.max().x {
        let mut y = lb.min().y;
        while y < lb.max().y {
            queue.push(cell(x + half, y + half, half));
            y += size;
        }
        x += size;
    }
    // Seed with the centroid-ish bbox centre, as polylabel does.
    let mut best = cell(lb.min().x + w / 2.0, lb.min().y + h / 2.0, 0.0);
    // Bound the work on pathological inputs; slivers converge in a few hundred cells.
    let mut budget = 200_000;
    while let Some(c) = queue.pop() {
        if c.d > best.d {
            best = Cell { x: c.x, y: c.y, h: 0.0, d: c.d, max: c.d };
        }
        if c.max - best.d <= precision_m || budget == 0 {
            continue;
        }
        budget -= 1;
        let h2 = c.h / 2.0;
        for (dx, dy) in [(-1.0, -1.0), (1.0, -1.0), (-1.0, 1.0), (1.0, 1.0)] {
            queue.push(cell(c.x + dx * h2, c.y + dy * h2, h2));
        }
    }
    2.0 * best.d.max(0.0)
}
