//! Measures on the WGS 84 ellipsoid, in metres and square metres: lengths
//! and perimeters along geodesics (GeographicLib via geo), areas of the
//! polygons the overlay computes (edges straight in lon/lat) integrated
//! exactly on the ellipsoid. Nothing here is planar.

use geo::{Geodesic, GeodesicArea, Geometry, Length, MultiPolygon, Polygon};

/// WGS 84 semi-major axis, m.
const WGS84_A: f64 = 6_378_137.0;
/// WGS 84 flattening.
const WGS84_F: f64 = 1.0 / 298.257_223_563;

/// ∫₀^φ M(φ')·N(φ')·cos φ' dφ' on WGS 84: the ellipsoidal area between the
/// equator and latitude φ per radian of longitude (closed form).
fn band(phi: f64) -> f64 {
    let e2 = WGS84_F * (2.0 - WGS84_F);
    let e = e2.sqrt();
    let s = phi.sin();
    WGS84_A * WGS84_A * (1.0 - e2) * (s / (2.0 * (1.0 - e2 * s * s)) + (e * s).atanh() / (2.0 * e))
}

/// 5-point Gauss–Legendre nodes on [−1, 1] and their weights: exact for
/// polynomials to degree 9, used along each edge (spans of at most 1°).
const X: [f64; 5] = [-0.906_179_845_938_664, -0.538_469_310_105_683, 0.0, 0.538_469_310_105_683, 0.906_179_845_938_664];
const W: [f64; 5] =
    [0.236_926_885_056_189, 0.478_628_670_499_366, 0.568_888_888_888_889, 0.478_628_670_499_366, 0.236_926_885_056_189];

/// Signed ellipsoidal area of a ring whose edges are straight in lon/lat,
/// counter-clockwise positive: −∮ band(φ) dλ, each edge integrated by
/// 5-point Gauss–Legendre (edges over 1° are split first).
fn ring_area_signed(ring: &geo::LineString<f64>) -> f64 {
    let mut sum = 0.0;
    for l in ring.lines() {
        let (x0, y0, x1, y1) = (l.start.x, l.start.y, l.end.x, l.end.y);
        let n = ((x1 - x0).abs().max((y1 - y0).abs())).ceil().max(1.0) as usize;
        for k in 0..n {
            let (t0, t1) = (k as f64 / n as f64, (k + 1) as f64 / n as f64);
            let (xa, ya) = (x0 + t0 * (x1 - x0), y0 + t0 * (y1 - y0));
            let (xb, yb) = (x0 + t1 * (x1 - x0), y0 + t1 * (y1 - y0));
            let dlon = (xb - xa).to_radians();
            if dlon == 0.0 {
                continue;
            }
            let mean: f64 =
                X.iter().zip(W).map(|(x, w)| w * band((ya + (yb - ya) * (x + 1.0) / 2.0).to_radians())).sum::<f64>()
                    / 2.0;
            sum += dlon * mean;
        }
    }
    -sum
}

/// Area in m² of one polygon on the WGS 84 ellipsoid, whatever the winding
/// of its rings.
///
/// The polygon is the one the overlay computes with: edges run straight in
/// lon/lat, as in GEOS and PostGIS geometry. Its area is integrated exactly
/// on the ellipsoid, so cutting a polygon into pieces never changes the
/// sum, and a zero-width sliver has zero area. GeographicLib's geodesic
/// polygon area reads each edge as a geodesic instead; the two differ by
/// the lens between each edge and its geodesic, about L³·tan(lat)/(12·R):
/// under 1 m² for edges shorter than 400 m (OSM, the bundled data), ~14 m²
/// for a 1 km edge. Read as geodesics, a 1 mm-wide sliver along a 10 km
/// straight edge would have a lens of ~10 000 m²: an artefact, not land.
///
/// ```
/// // A 1°×1° cell at the equator. Its top edge is the parallel at 1°N;
/// // GeographicLib reads it as a geodesic, which bows 4.2 m north over
/// // 111 km, and reports 0.31 km² more (12 308.778 km²).
/// let cell = geo::wkt!(POLYGON((0. 0., 1. 0., 1. 1., 0. 1., 0. 0.)));
/// let km2 = delimit::measure::polygon_area_m2(&cell) / 1e6;
/// assert!((km2 - 12308.464).abs() < 0.001, "{km2}");
/// let geodesic = delimit::measure::geodesic_polygon_area_m2(&cell) / 1e6;
/// assert!((geodesic - 12308.778).abs() < 0.001, "{geodesic}");
/// // Winding does not matter; a zero-width sliver has no area.
/// let cw = geo::wkt!(POLYGON((0. 0., 0. 1., 1. 1., 1. 0., 0. 0.)));
/// assert!((delimit::measure::polygon_area_m2(&cw) / 1e6 - km2).abs() < 1e-9);
/// let sliver = geo::wkt!(POLYGON((0. 40., 0.05 40.05, 0.1 40.1, 0. 40.)));
/// assert!(delimit::measure::polygon_area_m2(&sliver) < 1e-3);
/// ```
pub fn polygon_area_m2(p: &Polygon<f64>) -> f64 {
    let holes: f64 = p.interiors().iter().map(|r| ring_area_signed(r).abs()).sum();
    (ring_area_signed(p.exterior()).abs() - holes).max(0.0)
}

/// Geodesic polygon area (GeographicLib: edges read as geodesics), m².
/// For comparison with tools that read edges so (pyproj, PostGIS geography).
///
/// ```
/// let cell = geo::wkt!(POLYGON((0. 0., 1. 0., 1. 1., 0. 1., 0. 0.)));
/// assert!((delimit::measure::geodesic_polygon_area_m2(&cell) / 1e6 - 12308.778).abs() < 0.01);
/// ```
pub fn geodesic_polygon_area_m2(p: &Polygon<f64>) -> f64 {
    let ring = |r: &geo::LineString<f64>| Polygon::new(r.clone(), vec![]).geodesic_area_signed().abs();
    let holes: f64 = p.interiors().iter().map(ring).sum();
    (ring(p.exterior()) - holes).max(0.0)
}

/// Area in m² of a polygonal geometry on the WGS 84 ellipsoid (see
/// [`polygon_area_m2`]); 0 for points and lines.
///
/// ```
/// let cell = geo::wkt!(POLYGON((0. 0., 1. 0., 1. 1., 0. 1., 0. 0.)));
/// let km2 = delimit::measure::area_m2(&cell.into()) / 1e6;
/// assert!((km2 - 12308.464).abs() < 0.001, "{km2}");
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

/// Length in m of the edge from `a` to `b` read as the overlay reads it:
/// straight in lon/lat (λ and φ linear in one parameter), measured on the
/// WGS 84 ellipsoid. ds = √((M·dφ)² + (N·cos φ·dλ)²), integrated by
/// 5-point Gauss–Legendre on spans of at most 1°, as areas are.
///
/// Because the curve is the same one wherever it is cut, lengths add up:
/// the length from `a` to any point `x` on the edge plus from `x` to `b`
/// is the edge's length (to rounding). Geodesic lengths do not: a point
/// on the lon/lat line lies off the geodesic, and the two geodesics via it
/// are longer (10.9 mm over a 146 km route in Syunik, cut at 40 borders).
/// Along a meridian the two agree; elsewhere they differ by the lens
/// between edge and geodesic, about L³/(24·R²)·tan²(lat)-small: under a
/// millimetre for edges shorter than 10 km at these latitudes.
///
/// ```
/// use delimit::measure::straight_edge_length_m;
/// use geo::coord;
/// // A meridian arc: the same as the geodesic (GeographicLib: 110574.389 m).
/// let m = straight_edge_length_m(coord! { x: 0.0, y: 0.0 }, coord! { x: 0.0, y: 1.0 });
/// assert!((m - 110_574.389).abs() < 0.001, "{m}");
/// // Cut anywhere on the edge, the parts add up to the whole.
/// let (a, b) = (coord! { x: 45.1, y: 39.2 }, coord! { x: 46.3, y: 39.9 });
/// let x = coord! { x: a.x + 0.37 * (b.x - a.x), y: a.y + 0.37 * (b.y - a.y) };
/// let whole = straight_edge_length_m(a, b);
/// assert!((straight_edge_length_m(a, x) + straight_edge_length_m(x, b) - whole).abs() < 1e-8 * whole);
/// ```
pub fn straight_edge_length_m(a: geo::Coord<f64>, b: geo::Coord<f64>) -> f64 {
    let e2 = WGS84_F * (2.0 - WGS84_F);
    let (dlon, dlat) = ((b.x - a.x).to_radians(), (b.y - a.y).to_radians());
    if dlon == 0.0 && dlat == 0.0 {
        return 0.0;
    }
    let n = ((b.x - a.x).abs().max((b.y - a.y).abs())).ceil().max(1.0) as usize;
    let speed = |t: f64| {
        let phi = (a.y + t * (b.y - a.y)).to_radians();
        let w = 1.0 - e2 * phi.sin().powi(2);
        let (m, nn) = (WGS84_A * (1.0 - e2) / (w * w.sqrt()), WGS84_A / w.sqrt());
        ((m * dlat).powi(2) + (nn * phi.cos() * dlon).powi(2)).sqrt()
    };
    let mut sum = 0.0;
    for k in 0..n {
        let (t0, t1) = (k as f64 / n as f64, (k + 1) as f64 / n as f64);
        let half = (t1 - t0) / 2.0;
        sum += half * X.iter().zip(W).map(|(x, w)| w * speed(t0 + half * (x + 1.0))).sum::<f64>();
    }
    sum
}

/// Length in m of a line whose edges are straight in lon/lat, on the
/// ellipsoid ([`straight_edge_length_m`] per edge).
pub fn straight_line_length_m(l: &geo::LineString<f64>) -> f64 {
    l.0.windows(2).map(|w| straight_edge_length_m(w[0], w[1])).sum()
}

/// Estimated width in metres of a polygon: the diameter of its largest
/// inscribed circle (pole of inaccessibility, Mapbox's polylabel algorithm)
/// to within `precision_m`.
///
/// Works in a local frame centred on the polygon, scaled by the WGS 84 radii
/// of curvature there, which is accurate to well under 1 % for shapes up to
/// a few hundred kilometres across: enough to tell a digitising sliver (metres wide) from a real area
/// (kilometres wide). Not for continent-sized polygons.
///
/// ```
/// // A 0.01° × 0.001° strip at 40°N: about 111 m wide (north–south).
/// let strip = geo::wkt!(POLYGON((45. 40., 45.01 40., 45.01 40.001, 45. 40.001, 45. 40.)));
/// let w = delimit::measure::width_m(&strip, 0.5);
/// assert!((w - 111.2).abs() < 1.5, "{w}");
/// ```
pub fn width_m(p: &Polygon<f64>, precision_m: f64) -> f64 {
    width_m_capped(p, precision_m, f64::INFINITY)
}

/// [`width_m`], stopping as soon as the width is known to reach `cap`
/// (then the value returned is a lower bound ≥ `cap`): enough to tell a
/// sliver from a real area without resolving a country-sized polygon.
/// Precision is also relaxed to 1e-4 of the polygon's extent.
///
/// ```
/// let strip = geo::wkt!(POLYGON((45. 40., 45.01 40., 45.01 40.001, 45. 40.001, 45. 40.)));
/// // Narrower than the cap: the full estimate.
/// assert!((delimit::measure::width_m_capped(&strip, 0.5, 1000.0) - 111.2).abs() < 1.5);
/// // Wider than the cap: a lower bound at least the cap.
/// assert!(delimit::measure::width_m_capped(&strip, 0.5, 50.0) >= 50.0);
/// ```
pub fn width_m_capped(p: &Polygon<f64>, precision_m: f64, cap: f64) -> f64 {
    use geo::BoundingRect;
    use std::collections::BinaryHeap;

    // (No 4·area/perimeter shortcut: that bounds the inscribed circle of
    // convex polygons only, and a jagged river-channel gap is not convex.)
    let Some(bb) = p.bounding_rect() else { return 0.0 };
    let frame = LocalFrame::around(bb);
    let prep = Prepared::new(p, frame);
    // The inscribed circle lies inside the convex hull, so its diameter is at
    // most the hull's minimum width: valid for any polygon, and it settles
    // the sub-metre slivers an overlay leaves without a search.
    let hull_width = min_hull_width(p, frame);
    if hull_width < 1.0 {
        return hull_width;
    }
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
    let precision_m = precision_m.max(1e-4 * (x1 - x0).max(y1 - y0));
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
    let mut budget = 20_000;
    while let Some(Cell(x, y, h, d, max)) = queue.pop() {
        best = best.max(d);
        if max - best <= precision_m || 2.0 * best >= hull_width - precision_m || 2.0 * best >= cap || budget == 0 {
            break;
        }
        budget -= 1;
        let h2 = h / 2.0;
        for (dx, dy) in [(-1.0, -1.0), (1.0, -1.0), (-1.0, 1.0), (1.0, 1.0)] {
            queue.push(cell(x + dx * h2, y + dy * h2, h2));
        }
    }
    (2.0 * best.max(0.0)).min(hull_width)
}

/// Minimum width in metres of a polygon's convex hull (rotating calipers,
/// checked edge by edge).
fn min_hull_width(p: &Polygon<f64>, frame: LocalFrame) -> f64 {
    use geo::{ConvexHull, MapCoords};
    let local = p.exterior().map_coords(|c| {
        let [x, y] = frame.to_m(c);
        geo::Coord { x, y }
    });
    let hull = local.convex_hull();
    let pts = &hull.exterior().0;
    let n = pts.len().saturating_sub(1);
    if n < 3 {
        return 0.0;
    }
    let mut best = f64::INFINITY;
    let mut j = 1;
    // The hull is counter-clockwise: walk the antipodal point with the edge.
    for i in 0..n {
        let (a, b) = (pts[i], pts[i + 1]);
        let len = (b.x - a.x).hypot(b.y - a.y);
        if len == 0.0 {
            continue;
        }
        let dist = |c: geo::Coord<f64>| ((b.x - a.x) * (c.y - a.y) - (b.y - a.y) * (c.x - a.x)).abs() / len;
        while dist(pts[(j + 1) % n]) >= dist(pts[j % n]) {
            j += 1;
            if j > 3 * n {
                break;
            }
        }
        best = best.min(dist(pts[j % n]));
    }
    best
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

/// A local equirectangular frame (metres) around a box, scaled by the WGS 84
/// radii of curvature at its centre latitude: good to about 1e-4 for shapes
/// a few tens of kilometres across, and to well under 1 % at a few hundred.
#[derive(Debug, Clone, Copy)]
struct LocalFrame {
    lon0: f64,
    lat0: f64,
    kx: f64,
    ky: f64,
}

impl LocalFrame {
    fn around(r: geo::Rect<f64>) -> LocalFrame {
        const A: f64 = 6_378_137.0;
        const F: f64 = 1.0 / 298.257_223_563;
        let e2 = F * (2.0 - F);
        let (lon0, lat0) = ((r.min().x + r.max().x) / 2.0, (r.min().y + r.max().y) / 2.0);
        let s2 = lat0.to_radians().sin().powi(2);
        let w = (1.0 - e2 * s2).sqrt();
        let (n, m) = (A / w, A * (1.0 - e2) / (w * w * w));
        let rad = std::f64::consts::PI / 180.0;
        LocalFrame { lon0, lat0, kx: n * lat0.to_radians().cos() * rad, ky: m * rad }
    }
    fn to_m(self, c: geo::Coord<f64>) -> [f64; 2] {
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

#[cfg(test)]
mod tests {
    use super::*;

    /// With short edges (OSM-like, ~100 m) the ellipsoidal area of the
    /// lon/lat polygon and GeographicLib's geodesic area agree to ~1e-9:
    /// the lens of a 100 m edge at 40° is ~0.01 m².
    #[test]
    fn agrees_with_geographiclib_on_short_edges() {
        use geo::Densify;
        let star = geo::wkt!(POLYGON((45. 40., 45.3 40.1, 45.2 40.4, 44.9 40.35, 44.8 40.1, 45. 40.)));
        let dense = geo::Euclidean.densify(&star, 0.001);
        let (a, g) = (polygon_area_m2(&dense), geodesic_polygon_area_m2(&dense));
        assert!(((a - g) / g).abs() < 5e-9, "{a} vs {g}");
        // Densifying does not change the lon/lat polygon, so not its area.
        assert!(((polygon_area_m2(&star) - a) / a).abs() < 1e-12);
    }

    /// A square with long thin spikes: the perimeter is huge, the area
    /// barely more than the square's, and the inscribed circle is still the
    /// square's. (A 4·area/perimeter bound would call it a sliver.)
    #[test]
    fn hull_width_of_a_strip() {
        let strip = geo::wkt!(POLYGON((45. 40., 45.01 40., 45.01 40.001, 45. 40.001, 45. 40.)));
        let f = LocalFrame::around(geo::Rect::new(geo::coord! { x: 45., y: 40. }, geo::coord! { x: 45.01, y: 40.001 }));
        assert!((min_hull_width(&strip, f) - 111.0).abs() < 0.5);
    }

    #[test]
    fn width_of_a_spiky_non_convex_polygon_is_its_core() {
        let mut ring = vec![(0.0, 0.0), (0.01, 0.0)];
        for i in 0..20 {
            let y = 0.0005 * i as f64;
            ring.extend([(0.01, y), (0.05, y + 0.00001), (0.01, y + 0.00002)]);
        }
        ring.extend([(0.01, 0.01), (0.0, 0.01), (0.0, 0.0)]);
        let p = Polygon::new(ring.into(), vec![]);
        let w = width_m(&p, 0.5);
        // 0.01° of longitude at the equator: 1113 m (the square's side).
        assert!((w - 1105.0).abs() < 15.0, "{w}");
    }
}
