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
    use geo::BoundingRect;
    use std::collections::BinaryHeap;

    // The inscribed radius of any polygon is at most 2·area/perimeter, so
    // the width is at most 4·area/perimeter: a piece under a metre by that
    // bound needs no search.
    let perimeter = length_m(&Geometry::Polygon(p.clone()));
    if perimeter <= 0.0 {
        return 0.0;
    }
    let bound = 4.0 * polygon_area_m2(p) / perimeter;
    if bound < 1.0 {
        return bound;
    }
    let Some(bb) = p.bounding_rect() else { return 0.0 };
    let prep = Prepared::new(p, LocalFrame::around(bb));
    let sdist = |x: f64, y: f64| {
        let d = prep.boundary_distance(x, y);
        if prep.inside(x, y) { d } else { -d }
    };
    #[derive(PartialEq)]
    struct Cell(f64, f64, f64, f64, f64); // x, y, half, d, max
    impl Eq for Cell {}
    impl Ord for Cell {
        fn cmp(&self, o: &Self) -> std::cmp::Ordering {
            self.4.total_cmp(&o.4)
        }
    }
    impl PartialOrd for Cell {
        fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
            Some(self.cmp(o))
        }
    }
    let cell = |x: f64, y: f64, h: f64| {
        let d = sdist(x, y);
        Cell(x, y, h, d, d + h * std::f64::consts::SQRT_2)
    };
    let [x0, y0, x1, y1] = prep.bbox;
    let size = (x1 - x0).min(y1 - y0);
    if size <= 0.0 {
        return 0.0;
    }
    let half = size / 2.0;
    let mut queue = BinaryHeap::new();
    let mut x = x0;
    while x < x1 {
        let mut y = y0;
        while y < y1 {
            queue.push(cell(x + half, y + half, half));
            y += size;
        }
        x += size;
    }
    let mut best = cell((x0 + x1) / 2.0, (y0 + y1) / 2.0, 0.0).3;
    // Bound the work on pathological inputs; real pieces converge in a few hundred cells.
    let mut budget = 200_000;
    while let Some(Cell(x, y, h, d, max)) = queue.pop() {
        best = best.max(d);
        if max - best <= precision_m || budget == 0 {
            break;
        }
        budget -= 1;
        let h2 = h / 2.0;
        for (dx, dy) in [(-1.0, -1.0), (1.0, -1.0), (-1.0, 1.0), (1.0, 1.0)] {
            queue.push(cell(x + dx * h2, y + dy * h2, h2));
        }
    }
    (2.0 * best.max(0.0)).min(bound)
}

/// A polygon in a local metric frame, with its edges indexed: boundary
/// distance and point-in-polygon in O(log n).
struct Prepared {
    edges: rstar::RTree<rstar::primitives::Line<[f64; 2]>>,
    bbox: [f64; 4],
}

impl Prepared {
    fn new(p: &Polygon<f64>, frame: LocalFrame) -> Prepared {
        let mut bbox = [f64::INFINITY, f64::INFINITY, f64::NEG_INFINITY, f64::NEG_INFINITY];
        let edges = std::iter::once(p.exterior())
            .chain(p.interiors())
            .flat_map(|r| r.lines())
            .map(|l| {
                let (a, b) = (frame.to_m(l.start), frame.to_m(l.end));
                for q in [a, b] {
                    bbox = [bbox[0].min(q[0]), bbox[1].min(q[1]), bbox[2].max(q[0]), bbox[3].max(q[1])];
                }
                rstar::primitives::Line::new(a, b)
            })
            .collect();
        Prepared { edges: rstar::RTree::bulk_load(edges), bbox }
    }

    fn boundary_distance(&self, x: f64, y: f64) -> f64 {
        use rstar::PointDistance;
        self.edges.nearest_neighbor(&[x, y]).map_or(f64::INFINITY, |l| l.distance_2(&[x, y]).sqrt())
    }

    /// Even-odd ray casting to the east, over the edges the ray can meet.
    fn inside(&self, x: f64, y: f64) -> bool {
        if x < self.bbox[0] || x > self.bbox[2] || y < self.bbox[1] || y > self.bbox[3] {
            return false;
        }
        let env = rstar::AABB::from_corners([x, y], [self.bbox[2] + 1.0, y]);
        let mut inside = false;
        for l in self.edges.locate_in_envelope_intersecting(&env) {
            let ([ax, ay], [bx, by]) = (l.from, l.to);
            if (ay > y) != (by > y) && x < ax + (y - ay) / (by - ay) * (bx - ax) {
                inside = !inside;
            }
        }
        inside
    }
}

/// A local equirectangular frame (metres) around a box: good to well under
/// 1 % for shapes up to a few hundred kilometres across.
#[derive(Debug, Clone, Copy)]
struct LocalFrame {
    lon0: f64,
    lat0: f64,
    kx: f64,
    ky: f64,
}

impl LocalFrame {
    fn around(r: geo::Rect<f64>) -> LocalFrame {
        let (lon0, lat0) = ((r.min().x + r.max().x) / 2.0, (r.min().y + r.max().y) / 2.0);
        let ky = EARTH_RADIUS_M * std::f64::consts::PI / 180.0;
        LocalFrame { lon0, lat0, kx: lat0.to_radians().cos() * ky, ky }
    }
    fn to_m(&self, c: geo::Coord<f64>) -> [f64; 2] {
        [(c.x - self.lon0) * self.kx, (c.y - self.lat0) * self.ky]
    }
}

fn closest_point(l: &rstar::primitives::Line<[f64; 2]>, p: [f64; 2]) -> [f64; 2] {
    let (a, b) = (l.from, l.to);
    let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
    let len2 = dx * dx + dy * dy;
    if len2 == 0.0 {
        return a;
    }
    let t = (((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / len2).clamp(0.0, 1.0);
    [a[0] + t * dx, a[1] + t * dy]
}

/// Line segments indexed once, for many "how far from this line" queries.
pub struct LineIndex {
    tree: rstar::RTree<rstar::primitives::Line<[f64; 2]>>,
}

impl std::fmt::Debug for LineIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LineIndex").field("segments", &self.tree.size()).finish()
    }
}

impl LineIndex {
    /// Index the segments of `lines` (lon/lat).
    pub fn new(lines: &geo::MultiLineString<f64>) -> LineIndex {
        let segs = lines
            .0
            .iter()
            .flat_map(|l| l.lines())
            .map(|l| rstar::primitives::Line::new([l.start.x, l.start.y], [l.end.x, l.end.y]))
            .collect();
        LineIndex { tree: rstar::RTree::bulk_load(segs) }
    }

    /// The largest distance in metres from a vertex of `p` to the lines: a
    /// lower bound of [`LineIndex::farthest_from`], within half the
    /// polygon's width of it.
    pub fn farthest_vertex(&self, p: &Polygon<f64>) -> Option<f64> {
        use geo::{Distance, Geodesic, Point};
        let mut best: Option<f64> = None;
        for c in p.exterior().0.iter().chain(p.interiors().iter().flat_map(|r| r.0.iter())) {
            // Nearest in degrees, then measured on the ellipsoid; close enough
            // for picking a segment at sliver scale.
            let l = self.tree.nearest_neighbor(&[c.x, c.y])?;
            let foot = closest_point(l, [c.x, c.y]);
            let d = Geodesic.distance(Point::new(c.x, c.y), Point::new(foot[0], foot[1]));
            best = Some(best.map_or(d, |b: f64| b.max(d)));
        }
        best
    }

    /// See [`farthest_from_lines_m`].
    pub fn farthest_from(&self, p: &Polygon<f64>, precision_m: f64) -> Option<f64> {
        use geo::BoundingRect;
        use rstar::PointDistance;
        let bb = p.bounding_rect()?;
        let first = p.exterior().0.first()?;
        // Every segment that can be nearest to some point of p lies within
        // (distance from one vertex) + (p's diagonal) of p's box.
        let d0 = self.tree.nearest_neighbor(&[first.x, first.y])?.distance_2(&[first.x, first.y]).sqrt();
        let r = d0 + bb.width().hypot(bb.height());
        let env = rstar::AABB::from_corners([bb.min().x - r, bb.min().y - r], [bb.max().x + r, bb.max().y + r]);
        let near: Vec<geo::LineString<f64>> = self
            .tree
            .locate_in_envelope_intersecting(&env)
            .map(|l| geo::LineString::from(vec![(l.from[0], l.from[1]), (l.to[0], l.to[1])]))
            .collect();
        farthest_from_lines_m(p, &geo::MultiLineString(near), precision_m)
    }
}

/// The largest distance in metres from any point of `p` to `lines`: how far
/// a gap reaches from the boundary it crossed. `None` when `lines` is empty.
///
/// The maximum lies at a vertex (a tongue of control pushed across a line)
/// or inside (an exclave held whole, ringed by the line), so every vertex is
/// tried and the interior is searched branch-and-bound to `precision_m`.
///
/// ```
/// // A 0.02° × 0.01° block north of the line y = 40 (the border): its far
/// // edge is 0.01° (≈1112 m) from it.
/// let block = geo::wkt!(POLYGON((45. 40., 45.02 40., 45.02 40.01, 45. 40.01, 45. 40.)));
/// let border = geo::wkt!(MULTILINESTRING((44.9 40., 45.1 40.)));
/// let d = delimit::measure::farthest_from_lines_m(&block, &border, 1.0).unwrap();
/// assert!((d - 1112.0).abs() < 3.0, "{d}");
/// ```
pub fn farthest_from_lines_m(p: &Polygon<f64>, lines: &geo::MultiLineString<f64>, precision_m: f64) -> Option<f64> {
    use geo::BoundingRect;
    use rstar::primitives::Line as RLine;
    use rstar::{PointDistance, RTree};
    use std::collections::BinaryHeap;

    let segs: Vec<geo::Line<f64>> = lines.0.iter().flat_map(|l| l.lines()).collect();
    if segs.is_empty() {
        return None;
    }
    let bb = p.bounding_rect()?;
    let frame = LocalFrame::around(bb);
    let tree = RTree::bulk_load(segs.iter().map(|l| RLine::new(frame.to_m(l.start), frame.to_m(l.end))).collect());
    let dist = |x: f64, y: f64| -> f64 {
        tree.nearest_neighbor(&[x, y]).map(|l| l.distance_2(&[x, y]).sqrt()).unwrap_or(f64::INFINITY)
    };
    let prep = Prepared::new(p, frame);
    let mut best = p.exterior().0.iter().map(|c| frame.to_m(*c)).map(|[x, y]| dist(x, y)).fold(0.0, f64::max);
    let [x0, y0, x1, y1] = prep.bbox;
    let size = (x1 - x0).max(y1 - y0);
    if size <= 0.0 {
        return Some(best);
    }
    #[derive(PartialEq)]
    struct Cell(f64, f64, f64, f64); // x, y, half, upper bound
    impl Eq for Cell {}
    impl Ord for Cell {
        fn cmp(&self, o: &Self) -> std::cmp::Ordering {
            self.3.total_cmp(&o.3)
        }
    }
    impl PartialOrd for Cell {
        fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
            Some(self.cmp(o))
        }
    }
    let half = size / 2.0;
    let mut queue = BinaryHeap::new();
    queue.push(Cell(x0 + half, y0 + half, half, dist(x0 + half, y0 + half) + half * std::f64::consts::SQRT_2));
    let mut budget = 100_000;
    while let Some(Cell(x, y, h, upper)) = queue.pop() {
        if upper - best <= precision_m || budget == 0 {
            break;
        }
        budget -= 1;
        if prep.inside(x, y) {
            best = best.max(dist(x, y));
        }
        let h2 = h / 2.0;
        for (dx, dy) in [(-1.0, -1.0), (1.0, -1.0), (-1.0, 1.0), (1.0, 1.0)] {
            let (cx, cy) = (x + dx * h2, y + dy * h2);
            // Skip quarters wholly outside the polygon: beyond a tongue's
            // tip the distance to the line keeps growing, and those points
            // are not part of the gap.
            if !prep.inside(cx, cy) && prep.boundary_distance(cx, cy) > h2 * std::f64::consts::SQRT_2 {
                continue;
            }
            queue.push(Cell(cx, cy, h2, dist(cx, cy) + h2 * std::f64::consts::SQRT_2));
        }
    }
    Some(best)
}
