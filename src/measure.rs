//! Geodesic measures on the WGS 84 ellipsoid (GeographicLib via geo), in
//! metres and square metres. Nothing here is planar.

use geo::orient::Direction;
use geo::{Geodesic, GeodesicArea, Geometry, Length, MultiPolygon, Orient, Polygon};

/// Area in m² of one polygon, whatever the winding of its rings.
///
/// GeographicLib reads a clockwise exterior as "everything but this", so
/// geo's unsigned geodesic area of a clockwise square is the Earth minus the
/// square. Rings from files come in either winding; orient them first.
///
/// ```
/// let ccw = geo::wkt!(POLYGON((0. 0., 1. 0., 1. 1., 0. 1., 0. 0.)));
/// let cw = geo::wkt!(POLYGON((0. 0., 0. 1., 1. 1., 1. 0., 0. 0.)));
/// let a = delimit::measure::polygon_area_m2(&ccw);
/// assert!((a - delimit::measure::polygon_area_m2(&cw)).abs() < 1e-6);
/// assert!(a < 1.3e10);
/// ```
pub fn polygon_area_m2(p: &Polygon<f64>) -> f64 {
    p.orient(Direction::Default).geodesic_area_unsigned()
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
