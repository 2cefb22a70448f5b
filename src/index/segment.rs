//! Distances from a point to one lon/lat-straight edge: the exact
//! geodesic search, and the cheap bounds that decide which edges need it.

use geo::{Coord, Distance, Geodesic, Point};

/// A lower bound in metres for a Euclidean distance of `d_deg` degrees
/// around latitude `lat`: a degree is at least 110.5 km along a meridian
/// and 111.3·cos(φ) km along a parallel, at the highest latitude reachable.
pub fn lower_bound_m(lat: f64, d_deg: f64) -> f64 {
    let phi = (lat.abs() + d_deg).min(90.0).to_radians();
    d_deg * 110_000.0 * phi.cos()
}

/// The geodesically nearest point to `p` on the lon/lat-straight segment
/// a–b, and its distance: golden-section search on the segment parameter
/// (the distance is unimodal along a segment this short compared with the
/// Earth), with the end points checked too.
pub fn nearest_on_segment(p: Point<f64>, a: Coord<f64>, b: Coord<f64>) -> (Point<f64>, f64) {
    search_segment(p, a, b)
}

/// [`nearest_on_segment`], remembered for the current place (see [`Memo`]):
/// for the edge index, whose searches from one place share edges.
pub(super) fn nearest_on_segment_memo(p: Point<f64>, a: Coord<f64>, b: Coord<f64>) -> (Point<f64>, f64) {
    let key = [a.x, a.y, b.x, b.y].map(f64::to_bits);
    if let Some(hit) = MEMO.with(|m| m.borrow_mut().at(p).searches.get(&key).copied()) {
        return hit;
    }
    let found = search_segment(p, a, b);
    MEMO.with(|m| m.borrow_mut().at(p).searches.insert(key, found));
    found
}

/// What one place has already asked of this thread, by exact inputs: one
/// question asks for the same edge more than once (the legal and the
/// control line share most of their edges). It holds one place at a time
/// and starts again when the place changes, so it never outlives the
/// question; the same inputs give the same bits, so it changes no answer.
#[derive(Default)]
struct Memo {
    place: Option<[u64; 2]>,
    searches: std::collections::HashMap<[u64; 4], (Point<f64>, f64)>,
    images: std::collections::HashMap<[u64; 2], (f64, f64, f64)>,
}

impl Memo {
    fn at(&mut self, p: Point<f64>) -> &mut Memo {
        let place = [p.x().to_bits(), p.y().to_bits()];
        if self.place != Some(place) {
            self.place = Some(place);
            self.searches.clear();
            self.images.clear();
        }
        self
    }
}

thread_local! {
    static MEMO: std::cell::RefCell<Memo> = std::cell::RefCell::new(Memo::default());
}

fn search_segment(p: Point<f64>, a: Coord<f64>, b: Coord<f64>) -> (Point<f64>, f64) {
    // Search near the planar foot first (a few dozen geodesic evaluations
    // instead of sixty); if the minimum lands on that bracket's edge, the
    // planar guess was off (a very long edge) and the whole edge is searched.
    let t0 = planar_m(p, a, b).0;
    let (lo, hi) = ((t0 - 0.05).max(0.0), (t0 + 0.05).min(1.0));
    let (q, d, t) = golden(p, a, b, lo, hi, 36);
    let interior_edge = |x: f64, edge: f64| (x - edge).abs() < 1e-6 && edge != 0.0 && edge != 1.0;
    if interior_edge(t, lo) || interior_edge(t, hi) {
        let (q, d, _) = golden(p, a, b, 0.0, 1.0, 60);
        return (q, d);
    }
    (q, d)
}

/// WGS 84 for the one-call inverse (distance and azimuth together).
static WGS84: std::sync::LazyLock<geographiclib_rs::Geodesic> =
    std::sync::LazyLock::new(geographiclib_rs::Geodesic::wgs84);

/// A lower bound of the geodesic distance from `p` to the lon/lat-straight
/// edge a–b, m. Both ends are placed exactly in the azimuthal equidistant
/// frame centred on `p` (where the distance from `p` is the radius), and
/// the distance to the chord between them is taken, less a bound on how
/// far the edge's image strays from that chord: the bow of a lon/lat line
/// against a geodesic, L²·tan φ / 8R, plus the frame's own bending of
/// lines off its centre, of order L²·D / R², both doubled. For a 1 km edge
/// that is under 0.2 m; a long edge gets a bound so loose that it is
/// always searched.
///
/// ```
/// use delimit::index::{chord_lower_bound_m, nearest_on_segment};
/// use geo::{Coord, Point};
/// let p = Point::new(45.0, 40.2);
/// let (a, b) = (Coord { x: 44.99, y: 40.0 }, Coord { x: 45.02, y: 40.001 });
/// let exact = nearest_on_segment(p, a, b).1;
/// let lb = chord_lower_bound_m(p, a, b);
/// assert!(lb <= exact && exact - lb < 0.5, "{lb} {exact}");
/// ```
pub fn chord_lower_bound_m(p: Point<f64>, a: Coord<f64>, b: Coord<f64>) -> f64 {
    chord_bounds_m(p, a, b).0
}

/// [`chord_lower_bound_m`] and the matching upper bound: the chord's
/// distance less and plus the same allowance.
pub fn chord_bounds_m(p: Point<f64>, a: Coord<f64>, b: Coord<f64>) -> (f64, f64) {
    chord_bounds_of(a, b, vertex_image(p, a), vertex_image(p, b))
}

/// A vertex in the azimuthal equidistant frame centred on `p`: east and
/// north in metres, and its geodesic distance from `p`.
pub(super) fn vertex_image(p: Point<f64>, v: Coord<f64>) -> (f64, f64, f64) {
    let key = [v.x, v.y].map(f64::to_bits);
    if let Some(hit) = MEMO.with(|m| m.borrow_mut().at(p).images.get(&key).copied()) {
        return hit;
    }
    let image = compute_vertex_image(p, v);
    MEMO.with(|m| m.borrow_mut().at(p).images.insert(key, image));
    image
}

fn compute_vertex_image(p: Point<f64>, v: Coord<f64>) -> (f64, f64, f64) {
    use geographiclib_rs::InverseGeodesic;
    let (s, az, _, _): (f64, f64, f64, f64) = WGS84.inverse(p.y(), p.x(), v.y, v.x);
    let r = az.to_radians();
    (s * r.sin(), s * r.cos(), s)
}

/// [`chord_bounds_m`] from the ends' images.
pub(super) fn chord_bounds_of(a: Coord<f64>, b: Coord<f64>, ia: (f64, f64, f64), ib: (f64, f64, f64)) -> (f64, f64) {
    let ((ax, ay, da), (bx, by, db)) = (ia, ib);
    let (dx, dy) = (bx - ax, by - ay);
    let len2 = dx * dx + dy * dy;
    let t = if len2 > 0.0 { (-(ax * dx + ay * dy) / len2).clamp(0.0, 1.0) } else { 0.0 };
    let (fx, fy) = (ax + t * dx, ay + t * dy);
    let chord = (fx * fx + fy * fy).sqrt();
    // The smallest radius of curvature on WGS 84 (meridional, at the
    // equator): a smaller R only loosens the bound.
    const R: f64 = 6_335_439.0;
    let tan = a.y.abs().max(b.y.abs()).min(89.0).to_radians().tan();
    let d = da.max(db);
    let stray = 2.0 * (len2 * tan / (8.0 * R) + len2 * d / (R * R)) + 1e-3;
    (chord - stray, chord + stray)
}

/// A local equirectangular frame at a point, with the ellipsoid's own radii
/// there, and a bound on how far its distances can stray from geodesic
/// ones. A lon/lat-straight edge is straight in it, so the distance to an
/// edge is one projection; the bound makes it a lower bound.
#[derive(Debug, Clone, Copy)]
pub struct LocalFrame {
    lon0: f64,
    lat0: f64,
    kx: f64,
    ky: f64,
}

impl LocalFrame {
    /// The frame at `p`: metres per degree of longitude (N cos φ) and of
    /// latitude (M) on WGS 84.
    pub fn at(p: Point<f64>) -> LocalFrame {
        const A: f64 = 6_378_137.0;
        const E2: f64 = 0.006_694_379_990_141_317;
        let phi = p.y().to_radians();
        let w = (1.0 - E2 * phi.sin().powi(2)).sqrt();
        let (n, m) = (A / w, A * (1.0 - E2) / (w * w * w));
        let rad = std::f64::consts::PI / 180.0;
        LocalFrame { lon0: p.x(), lat0: p.y(), kx: n * phi.cos() * rad, ky: m * rad }
    }

    /// The frame's distance from its point to the edge a–b, m.
    pub fn distance_m(&self, a: Coord<f64>, b: Coord<f64>) -> f64 {
        let (ax, ay) = ((a.x - self.lon0) * self.kx, (a.y - self.lat0) * self.ky);
        let (bx, by) = ((b.x - self.lon0) * self.kx, (b.y - self.lat0) * self.ky);
        let (dx, dy) = (bx - ax, by - ay);
        let len2 = dx * dx + dy * dy;
        let t = if len2 > 0.0 { (-(ax * dx + ay * dy) / len2).clamp(0.0, 1.0) } else { 0.0 };
        let (fx, fy) = (ax + t * dx, ay + t * dy);
        (fx * fx + fy * fy).sqrt()
    }

    /// A lower bound of the geodesic distance from the frame's point to the
    /// edge a–b, m. The frame's error grows with the distance d: the scale
    /// of longitude changes by tan φ per radian of latitude moved, the
    /// radii by under 3 % of that, and the flat frame departs from the
    /// ellipsoid by (d/R)²; each is doubled here, with d itself overstated.
    ///
    /// ```
    /// use delimit::index::{LocalFrame, nearest_on_segment};
    /// use geo::{Coord, Point};
    /// let p = Point::new(45.0, 60.0);
    /// let (a, b) = (Coord { x: 45.5, y: 60.4 }, Coord { x: 46.0, y: 60.1 });
    /// let exact = nearest_on_segment(p, a, b).1;
    /// let lb = LocalFrame::at(p).lower_bound_m(a, b);
    /// assert!(lb <= exact && lb > 0.9 * exact, "{lb} {exact}");
    /// ```
    pub fn lower_bound_m(&self, a: Coord<f64>, b: Coord<f64>) -> f64 {
        const R: f64 = 6_335_439.0;
        let d = self.distance_m(a, b);
        let q = (1.1 * d + 10.0) / R;
        let tan = (self.lat0.abs().to_radians() + q).min(89.9_f64.to_radians()).tan();
        let s = 2.0 * (tan + 0.03) * q + 2.0 * q * q + 1e-4;
        d * (1.0 - s) - 0.1
    }
}

/// Parameter of the foot of `p` on a–b and the distance, in a local
/// equirectangular metric around `p` (metres).
pub(crate) fn planar_m(p: Point<f64>, a: Coord<f64>, b: Coord<f64>) -> (f64, f64) {
    let kx = 111_320.0 * p.y().to_radians().cos();
    let ky = 110_950.0;
    let (ax, ay) = ((a.x - p.x()) * kx, (a.y - p.y()) * ky);
    let (bx, by) = ((b.x - p.x()) * kx, (b.y - p.y()) * ky);
    let (dx, dy) = (bx - ax, by - ay);
    let len2 = dx * dx + dy * dy;
    let t = if len2 > 0.0 { (-(ax * dx + ay * dy) / len2).clamp(0.0, 1.0) } else { 0.0 };
    let (fx, fy) = (ax + t * dx, ay + t * dy);
    (t, (fx * fx + fy * fy).sqrt())
}

/// Golden-section search for the geodesic minimum on [lo, hi] of the
/// segment parameter, end points of the whole segment included.
fn golden(p: Point<f64>, a: Coord<f64>, b: Coord<f64>, lo: f64, hi: f64, steps: usize) -> (Point<f64>, f64, f64) {
    let at = |t: f64| Point::new(a.x + t * (b.x - a.x), a.y + t * (b.y - a.y));
    let f = |t: f64| Geodesic.distance(p, at(t));
    let g = 0.5 * (5f64.sqrt() - 1.0);
    let (mut lo, mut hi) = (lo, hi);
    let (mut x1, mut x2) = (hi - g * (hi - lo), lo + g * (hi - lo));
    let (mut f1, mut f2) = (f(x1), f(x2));
    // 60 steps shrink the interval by 0.618^60 ≈ 3e-13, 36 steps a tenth of
    // it by 3e-9: far below a millimetre either way.
    for _ in 0..steps {
        if f1 < f2 {
            hi = x2;
            x2 = x1;
            f2 = f1;
            x1 = hi - g * (hi - lo);
            f1 = f(x1);
        } else {
            lo = x1;
            x1 = x2;
            f1 = f2;
            x2 = lo + g * (hi - lo);
            f2 = f(x2);
        }
    }
    let mut best = (0.5 * (lo + hi), f(0.5 * (lo + hi)));
    for t in [0.0, 1.0] {
        let d = f(t);
        if d < best.1 {
            best = (t, d);
        }
    }
    (at(best.0), best.1, best.0)
}
