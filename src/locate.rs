//! Point location against a polygon layer, and the nearest boundary edge
//! with a geodesic distance: the indexes behind `village`, built once and
//! shared across a batch.
//!
//! [`PolygonIndex`] holds an R-tree over every polygon's box and, per
//! polygon, its edges bucketed into horizontal bands, so that a
//! point-in-polygon test looks at a handful of edges instead of the ring
//! (the "prepared geometry" idea of GEOS). A point exactly on an edge is
//! reported as on the boundary, never decided by rounding.
//!
//! [`EdgeIndex`] holds every polygon edge in an R-tree with a key (owner or
//! controller), and finds the geodesically nearest point on an edge whose
//! key differs from a given one.

use std::collections::BTreeMap;

use geo::{Bearing, Coord, Distance, Geodesic, LineString, MultiPolygon, Point, Polygon};
use rstar::primitives::{GeomWithData, Line, Rectangle};
use rstar::{AABB, RTree};

/// Where a point lies relative to a polygon.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Position {
    /// Strictly inside.
    Inside,
    /// On an edge or vertex (exactly, in floating point).
    Boundary,
    /// Outside.
    Outside,
}

/// One polygon with its edges bucketed by horizontal band.
#[derive(Debug, Clone)]
struct Prepared {
    y0: f64,
    band_h: f64,
    /// Per band, the edges whose y-range meets it.
    bands: Vec<Vec<[Coord<f64>; 2]>>,
}

impl Prepared {
    fn new(p: &Polygon<f64>) -> Prepared {
        let edges: Vec<[Coord<f64>; 2]> = std::iter::once(p.exterior())
            .chain(p.interiors())
            .flat_map(|r| r.0.windows(2).map(|w| [w[0], w[1]]))
            .filter(|[a, b]| a != b)
            .collect();
        let (y0, y1) = edges
            .iter()
            .flat_map(|e| [e[0].y, e[1].y])
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), y| (lo.min(y), hi.max(y)));
        // About four edges per band on average keeps each test short.
        let n = (edges.len() / 4).clamp(1, 1 << 16);
        let band_h = if y1 > y0 { (y1 - y0) / n as f64 } else { 1.0 };
        let mut bands = vec![Vec::new(); n];
        for e in edges {
            let (lo, hi) = (e[0].y.min(e[1].y), e[0].y.max(e[1].y));
            let b0 = (((lo - y0) / band_h) as usize).min(n - 1);
            let b1 = (((hi - y0) / band_h) as usize).min(n - 1);
            for b in &mut bands[b0..=b1] {
                b.push(e);
            }
        }
        Prepared { y0, band_h, bands }
    }

    fn position(&self, p: Coord<f64>) -> Position {
        let n = self.bands.len();
        let b = (p.y - self.y0) / self.band_h;
        if !(0.0..=n as f64).contains(&b) {
            return Position::Outside;
        }
        let b = (b as usize).min(n - 1);
        let mut inside = false;
        for [a, c] in &self.bands[b] {
            // Exactly on the edge: collinear and within its box.
            let cross = (c.x - a.x) * (p.y - a.y) - (c.y - a.y) * (p.x - a.x);
            if cross == 0.0 && p.x >= a.x.min(c.x) && p.x <= a.x.max(c.x) && p.y >= a.y.min(c.y) && p.y <= a.y.max(c.y)
            {
                return Position::Boundary;
            }
            // Crossing number with the half-open rule, so that a vertex on
            // the ray is counted once.
            if (a.y > p.y) != (c.y > p.y) {
                let x = a.x + (p.y - a.y) / (c.y - a.y) * (c.x - a.x);
                if p.x < x {
                    inside = !inside;
                }
            }
        }
        if inside { Position::Inside } else { Position::Outside }
    }
}

/// Point location against every polygon of a layer.
#[derive(Debug, Clone)]
pub struct PolygonIndex {
    tree: RTree<GeomWithData<Rectangle<[f64; 2]>, usize>>,
    polygons: Vec<(usize, Lazy)>,
}

/// A polygon prepared on the first point that falls in its box: a single
/// query meets two or three of a layer's polygons, and preparing the rest
/// would cost more than the query.
#[derive(Debug, Clone)]
struct Lazy {
    polygon: Polygon<f64>,
    prepared: std::sync::OnceLock<Prepared>,
}

impl Lazy {
    fn get(&self) -> &Prepared {
        self.prepared.get_or_init(|| Prepared::new(&self.polygon))
    }
}

impl PolygonIndex {
    /// Index `(feature index, geometry)` pairs.
    ///
    /// ```
    /// use delimit::locate::{PolygonIndex, Position};
    /// use geo::{polygon, MultiPolygon};
    /// let sq = MultiPolygon(vec![polygon![(x: 0.0, y: 0.0), (x: 2.0, y: 0.0), (x: 2.0, y: 2.0), (x: 0.0, y: 2.0)]]);
    /// let idx = PolygonIndex::new([(7, &sq)]);
    /// assert_eq!(idx.locate(geo::coord! { x: 1.0, y: 1.0 }), vec![(7, Position::Inside)]);
    /// assert_eq!(idx.locate(geo::coord! { x: 2.0, y: 1.0 }), vec![(7, Position::Boundary)]);
    /// assert!(idx.locate(geo::coord! { x: 3.0, y: 1.0 }).is_empty());
    /// ```
    pub fn new<'a>(features: impl IntoIterator<Item = (usize, &'a MultiPolygon<f64>)>) -> PolygonIndex {
        let mut polygons = Vec::new();
        let mut boxes = Vec::new();
        for (fi, mp) in features {
            for p in &mp.0 {
                let Some(r) = geo::BoundingRect::bounding_rect(p) else { continue };
                boxes.push(GeomWithData::new(
                    Rectangle::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]),
                    polygons.len(),
                ));
                polygons.push((fi, Lazy { polygon: p.clone(), prepared: std::sync::OnceLock::new() }));
            }
        }
        PolygonIndex { tree: RTree::bulk_load(boxes), polygons }
    }

    /// Index the polygonal features of a layer for which `keep` holds.
    pub fn of_layer(layer: &crate::layer::Layer, keep: impl Fn(&crate::layer::Feature) -> bool) -> PolygonIndex {
        let polys: Vec<(usize, std::borrow::Cow<'_, MultiPolygon<f64>>)> = layer
            .features
            .iter()
            .enumerate()
            .filter(|(_, f)| keep(f))
            .filter_map(|(i, f)| Some((i, f.polygons()?)))
            .collect();
        PolygonIndex::new(polys.iter().map(|(i, m)| (*i, m.as_ref())))
    }

    /// The features whose polygons contain or touch `c`, in feature order,
    /// each once (inside wins over boundary when a feature has several
    /// polygons).
    pub fn locate(&self, c: Coord<f64>) -> Vec<(usize, Position)> {
        let mut out: Vec<(usize, Position)> = Vec::new();
        for hit in self.tree.locate_all_at_point(&[c.x, c.y]) {
            let (fi, prep) = &self.polygons[hit.data];
            match prep.get().position(c) {
                Position::Outside => {}
                pos => match out.iter_mut().find(|(f, _)| f == fi) {
                    Some(e) if pos == Position::Inside => e.1 = pos,
                    Some(_) => {}
                    None => out.push((*fi, pos)),
                },
            }
        }
        out.sort_by_key(|e| e.0);
        out
    }

    /// The first feature that strictly contains `c`, if any: the fast path
    /// for batch classification.
    pub fn first_inside(&self, c: Coord<f64>) -> Option<usize> {
        let mut best: Option<usize> = None;
        for hit in self.tree.locate_all_at_point(&[c.x, c.y]) {
            let (fi, prep) = &self.polygons[hit.data];
            if best.is_none_or(|b| *fi < b) && prep.get().position(c) == Position::Inside {
                best = Some(*fi);
            }
        }
        best
    }
}

/// The nearest point of a boundary.
#[derive(Debug, Clone, PartialEq)]
pub struct Nearest {
    /// Geodesic distance, metres.
    pub distance_m: f64,
    /// Initial azimuth from the query point, degrees clockwise from north (0–360).
    pub bearing_deg: f64,
    /// The nearest point on the boundary.
    pub point: Point<f64>,
    /// The key of the polygon whose edge it is.
    pub key: String,
    /// The feature index of that polygon.
    pub feature: usize,
}

/// Polygon edges with a key, for nearest-boundary queries.
/// One edge in the index, with (key number, ring number).
type EdgeEntry = GeomWithData<Line<[f64; 2]>, (u32, usize)>;

#[derive(Debug, Clone)]
pub struct EdgeIndex {
    tree: RTree<EdgeEntry>,
    keys: Vec<String>,
    /// The same edges, one tree per feature and one per key, built on first
    /// use: a bound for one feature (or for every key but one) is then a
    /// few steps in a small tree, not a walk past every other edge.
    by_feature: std::sync::OnceLock<BTreeMap<usize, RTree<Line<[f64; 2]>>>>,
    by_key: std::sync::OnceLock<Vec<RTree<EdgeEntry>>>,
}

impl EdgeIndex {
    /// Index every polygon edge of a layer's features for which `keep`
    /// holds, keyed by `key_field` (empty when missing).
    pub fn of_layer(
        layer: &crate::layer::Layer,
        key_field: &str,
        keep: impl Fn(&crate::layer::Feature) -> bool,
    ) -> EdgeIndex {
        let polys: Vec<(usize, String, std::borrow::Cow<'_, MultiPolygon<f64>>)> = layer
            .features
            .iter()
            .enumerate()
            .filter(|(_, f)| keep(f))
            .filter_map(|(i, f)| Some((i, f.text(key_field).unwrap_or_default(), f.polygons()?)))
            .collect();
        EdgeIndex::new(polys.iter().map(|(i, k, m)| (*i, k.as_str(), m.as_ref())))
    }

    /// Index every edge of `(feature index, key, geometry)`.
    pub fn new<'a>(features: impl IntoIterator<Item = (usize, &'a str, &'a MultiPolygon<f64>)>) -> EdgeIndex {
        Self::from_rings(features.into_iter().flat_map(|(fi, key, mp)| {
            mp.0.iter().flat_map(move |p| std::iter::once(p.exterior()).chain(p.interiors()).map(move |r| (fi, key, r)))
        }))
    }

    /// Index every edge of `(feature index, key, line)`.
    ///
    /// ```
    /// use delimit::locate::EdgeIndex;
    /// use geo::{line_string, Point};
    /// let l = line_string![(x: 45.0, y: 40.0), (x: 45.2, y: 40.0)];
    /// let idx = EdgeIndex::from_rings([(0, "ARM|AZE", &l)]);
    /// let n = idx.nearest(Point::new(45.1, 40.01), None, None).unwrap();
    /// assert!((n.distance_m - 1110.5).abs() < 2.0);
    /// ```
    pub fn from_rings<'a>(lines: impl IntoIterator<Item = (usize, &'a str, &'a LineString<f64>)>) -> EdgeIndex {
        let mut keys: Vec<String> = Vec::new();
        let mut edges = Vec::new();
        for (fi, key, r) in lines {
            let k = match keys.iter().position(|x| x == key) {
                Some(k) => k,
                None => {
                    keys.push(key.to_string());
                    keys.len() - 1
                }
            } as u32;
            // Sized once per ring: the layer's edges are tens of thousands,
            // and growing by doubling copies them all again several times.
            edges.reserve(r.0.len().saturating_sub(1));
            for w in r.0.windows(2) {
                if w[0] != w[1] {
                    edges.push(GeomWithData::new(Line::new([w[0].x, w[0].y], [w[1].x, w[1].y]), (k, fi)));
                }
            }
        }
        EdgeIndex {
            tree: RTree::bulk_load(edges),
            keys,
            by_feature: std::sync::OnceLock::new(),
            by_key: std::sync::OnceLock::new(),
        }
    }

    /// The geodesically nearest boundary point whose key is `want` (when
    /// given) and is not `not`.
    ///
    /// ```
    /// use delimit::locate::EdgeIndex;
    /// use geo::{polygon, MultiPolygon, Point};
    /// let a = MultiPolygon(vec![polygon![(x: 45.0, y: 40.0), (x: 45.1, y: 40.0), (x: 45.1, y: 40.1), (x: 45.0, y: 40.1)]]);
    /// let b = MultiPolygon(vec![polygon![(x: 45.1, y: 40.0), (x: 45.2, y: 40.0), (x: 45.2, y: 40.1), (x: 45.1, y: 40.1)]]);
    /// let idx = EdgeIndex::new([(0, "ARM", &a), (1, "AZE", &b)]);
    /// let n = idx.nearest(Point::new(45.05, 40.05), None, Some("ARM")).unwrap();
    /// assert_eq!(n.key, "AZE");
    /// assert!((n.distance_m - 4263.0).abs() < 5.0); // 0.05° of longitude at 40.05°N
    /// assert!((n.bearing_deg - 90.0).abs() < 0.1);
    /// ```
    pub fn nearest(&self, p: Point<f64>, want: Option<&str>, not: Option<&str>) -> Option<Nearest> {
        let want_k = match want {
            Some(w) => Some(self.keys.iter().position(|k| k == w)? as u32),
            None => None,
        };
        let not_k = not.and_then(|n| self.keys.iter().position(|k| k == n)).map(|k| k as u32);
        match want_k {
            // One key: its own tree, without walking past other keys' edges.
            Some(w) if not_k == Some(w) => None,
            Some(w) => self.nearest_in(&self.key_trees()[w as usize], p, |_, _| true),
            None => self.nearest_by(p, |k, _| not_k != Some(k)),
        }
    }

    /// The geodesically nearest boundary point of a feature for which
    /// `keep(feature)` holds.
    pub fn nearest_where(&self, p: Point<f64>, keep: impl Fn(usize) -> bool) -> Option<Nearest> {
        self.nearest_by(p, |_, fi| keep(fi))
    }

    /// A lower bound, in metres, of the geodesic distance from `p` to the
    /// nearest edge of a feature for which `keep(feature)` holds, from the
    /// nearest such edge in degrees: a few R-tree steps where
    /// [`EdgeIndex::nearest_where`] runs geodesic searches.
    ///
    /// ```
    /// use delimit::locate::EdgeIndex;
    /// use geo::{line_string, Point};
    /// let l = line_string![(x: 45.0, y: 40.0), (x: 45.2, y: 40.0)];
    /// let idx = EdgeIndex::from_rings([(0, "ARM|AZE", &l)]);
    /// let p = Point::new(45.1, 40.01);
    /// let lb = idx.lower_bound_where(p, |_| true).unwrap();
    /// assert!(lb > 0.0 && lb <= idx.nearest_where(p, |_| true).unwrap().distance_m);
    /// assert!(idx.lower_bound_where(p, |f| f == 1).is_none());
    /// ```
    pub fn lower_bound_where(&self, p: Point<f64>, keep: impl Fn(usize) -> bool) -> Option<f64> {
        self.lower_bound_by(p, |_, fi| keep(fi))
    }

    /// [`EdgeIndex::lower_bound_where`] for the edges of one feature, from
    /// that feature's own tree: the same figure, without walking past
    /// every nearer edge of other features.
    ///
    /// ```
    /// use delimit::locate::EdgeIndex;
    /// use geo::{line_string, Point};
    /// let (a, b) = (line_string![(x: 45.0, y: 40.0), (x: 45.2, y: 40.0)], line_string![(x: 45.0, y: 40.1), (x: 45.2, y: 40.1)]);
    /// let idx = EdgeIndex::from_rings([(0, "ARM", &a), (1, "AZE", &b)]);
    /// let p = Point::new(45.1, 40.01);
    /// assert_eq!(idx.lower_bound_feature(p, 1), idx.lower_bound_where(p, |f| f == 1));
    /// assert_eq!(idx.lower_bound_feature(p, 7), None);
    /// ```
    pub fn lower_bound_feature(&self, p: Point<f64>, feature: usize) -> Option<f64> {
        let trees = self.by_feature.get_or_init(|| {
            let mut by: BTreeMap<usize, Vec<Line<[f64; 2]>>> = BTreeMap::new();
            for e in self.tree.iter() {
                by.entry(e.data.1).or_default().push(*e.geom());
            }
            by.into_iter().map(|(f, v)| (f, RTree::bulk_load(v))).collect()
        });
        let d2 = trees.get(&feature)?.nearest_neighbor_iter_with_distance_2(&[p.x(), p.y()]).next()?.1;
        Some(lower_bound_m(p.y(), d2.sqrt()))
    }

    /// [`EdgeIndex::lower_bound_where`] for edges whose key is not `not`.
    ///
    /// ```
    /// use delimit::locate::EdgeIndex;
    /// use geo::{line_string, Point};
    /// let (a, b) = (line_string![(x: 45.0, y: 40.0), (x: 45.2, y: 40.0)], line_string![(x: 45.0, y: 40.1), (x: 45.2, y: 40.1)]);
    /// let idx = EdgeIndex::from_rings([(0, "ARM", &a), (1, "AZE", &b)]);
    /// let p = Point::new(45.1, 40.01);
    /// // The nearest edge is ARM's; the bound for "not ARM" is to AZE's, ~10 km away.
    /// let lb = idx.lower_bound_not(p, "ARM").unwrap();
    /// assert!(lb > 5_000.0 && lb <= idx.nearest(p, None, Some("ARM")).unwrap().distance_m);
    /// ```
    pub fn lower_bound_not(&self, p: Point<f64>, not: &str) -> Option<f64> {
        let not_k = self.keys.iter().position(|k| k == not);
        // The nearest edge of every other key, each from its own tree.
        let d2 = self
            .key_trees()
            .iter()
            .enumerate()
            .filter(|(k, _)| Some(*k) != not_k)
            .filter_map(|(_, t)| t.nearest_neighbor_iter_with_distance_2(&[p.x(), p.y()]).next().map(|x| x.1))
            .min_by(f64::total_cmp)?;
        Some(lower_bound_m(p.y(), d2.sqrt()))
    }

    fn lower_bound_by(&self, p: Point<f64>, keep: impl Fn(u32, usize) -> bool) -> Option<f64> {
        let (_, d2) =
            self.tree.nearest_neighbor_iter_with_distance_2(&[p.x(), p.y()]).find(|(e, _)| keep(e.data.0, e.data.1))?;
        Some(lower_bound_m(p.y(), d2.sqrt()))
    }

    /// Every edge whose box meets the box of a–b: (start, end, key, feature).
    pub fn edges_near(
        &self,
        a: Coord<f64>,
        b: Coord<f64>,
    ) -> impl Iterator<Item = (Coord<f64>, Coord<f64>, &str, usize)> + '_ {
        let env = AABB::from_corners([a.x.min(b.x), a.y.min(b.y)], [a.x.max(b.x), a.y.max(b.y)]);
        self.tree.locate_in_envelope_intersecting(&env).map(move |e| {
            let (f, t) = (e.geom().from, e.geom().to);
            (Coord { x: f[0], y: f[1] }, Coord { x: t[0], y: t[1] }, self.keys[e.data.0 as usize].as_str(), e.data.1)
        })
    }

    /// The distinct keys with an edge meeting `env`, in key order of first indexing.
    ///
    /// ```
    /// use delimit::locate::EdgeIndex;
    /// use geo::line_string;
    /// let (a, b) = (line_string![(x: 45.0, y: 40.0), (x: 45.2, y: 40.0)], line_string![(x: 46.0, y: 41.0), (x: 46.2, y: 41.0)]);
    /// let idx = EdgeIndex::from_rings([(0, "ARM", &a), (1, "AZE", &b)]);
    /// let env = rstar::AABB::from_corners([44.9, 39.9], [45.5, 40.5]);
    /// assert_eq!(idx.keys_in(&env), ["ARM"]);
    /// ```
    pub fn keys_in(&self, env: &AABB<[f64; 2]>) -> Vec<String> {
        // One look into each key's own tree: a key is in or out after its
        // first edge there, not after every edge in the box.
        self.key_trees()
            .iter()
            .enumerate()
            .filter(|(_, t)| t.locate_in_envelope_intersecting(env).next().is_some())
            .map(|(k, _)| self.keys[k].clone())
            .collect()
    }

    fn key_trees(&self) -> &[RTree<EdgeEntry>] {
        self.by_key.get_or_init(|| {
            let mut by: Vec<Vec<EdgeEntry>> = vec![Vec::new(); self.keys.len()];
            for e in self.tree.iter() {
                by[e.data.0 as usize].push(*e);
            }
            by.into_iter().map(RTree::bulk_load).collect()
        })
    }

    /// The nearest edge whose key is `want` (when given) and not `not`, by the local planar metric
    /// (within 1% of geodesic over a few hundred km): its key and distance
    /// in metres, and the feature. For matching within a tolerance, where the geodesic
    /// search would cost a hundred times more.
    pub fn nearest_planar(&self, p: Point<f64>, want: Option<&str>, not: Option<&str>) -> Option<(&str, usize, f64)> {
        self.nearest_planar_within(p, want, not, f64::INFINITY)
    }

    /// [`EdgeIndex::nearest_planar`], for a caller that only wants an edge
    /// within `max_m`: the search stops once nothing nearer can remain,
    /// instead of walking every closer edge of the wrong key to one far
    /// away (an edge on a layer's outer frame has no other party for
    /// hundreds of kilometres). Any answer it gives is the one
    /// `nearest_planar` gives.
    ///
    /// ```
    /// use delimit::locate::EdgeIndex;
    /// use geo::{line_string, Point};
    /// let l = line_string![(x: 45.0, y: 40.0), (x: 45.2, y: 40.0)];
    /// let idx = EdgeIndex::from_rings([(0, "ARM|AZE", &l)]);
    /// let p = Point::new(45.1, 40.01); // ~1.1 km away
    /// assert!(idx.nearest_planar_within(p, None, None, 500.0).is_none());
    /// assert_eq!(idx.nearest_planar_within(p, None, None, 5_000.0), idx.nearest_planar(p, None, None));
    /// ```
    pub fn nearest_planar_within(
        &self,
        p: Point<f64>,
        want: Option<&str>,
        not: Option<&str>,
        max_m: f64,
    ) -> Option<(&str, usize, f64)> {
        let want_k = match want {
            Some(w) => Some(self.keys.iter().position(|k| k == w)? as u32),
            None => None,
        };
        let not_k = not.and_then(|n| self.keys.iter().position(|k| k == n)).map(|k| k as u32);
        let mut best: Option<(u32, usize, f64)> = None;
        for (e, d2) in self.tree.nearest_neighbor_iter_with_distance_2(&[p.x(), p.y()]) {
            let bound = best.map_or(max_m, |(_, _, b)| b.min(max_m));
            if lower_bound_m(p.y(), d2.sqrt()) > bound * 1.02 {
                break;
            }
            let (k, fi) = e.data;
            if not_k == Some(k) || want_k.is_some_and(|w| w != k) {
                continue;
            }
            let (a, c) = (e.geom().from, e.geom().to);
            let d = planar_m(p, Coord { x: a[0], y: a[1] }, Coord { x: c[0], y: c[1] }).1;
            if best.is_none_or(|(_, _, b)| d < b) {
                best = Some((k, fi, d));
            }
        }
        best.filter(|b| b.2 <= max_m).map(|(k, fi, d)| (self.keys[k as usize].as_str(), fi, d))
    }

    fn nearest_by(&self, p: Point<f64>, keep: impl Fn(u32, usize) -> bool) -> Option<Nearest> {
        self.nearest_in(&self.tree, p, keep)
    }

    fn nearest_in(&self, tree: &RTree<EdgeEntry>, p: Point<f64>, keep: impl Fn(u32, usize) -> bool) -> Option<Nearest> {
        // First the candidates, in order of distance in degrees, each with
        // a lower and an upper bound of its geodesic distance from the
        // chord in p's azimuthal equidistant frame (`chord_bounds_m`): the
        // least upper bound so far ends the walk and drops edges that
        // cannot win. Then the geodesic search, on candidates in order of
        // their lower bound, until none left can beat the best: usually
        // one search. Equal distances (two edges meeting at the nearest
        // vertex, or a boundary indexed once per owner) are settled by the
        // point, then the key's name and the feature, so that
        // the answer does not depend on how a tree was built.
        let mut upper = f64::INFINITY;
        let frame = LocalFrame::at(p);
        // (lower bound, ends, key, feature)
        type Candidate = (f64, Coord<f64>, Coord<f64>, u32, usize);
        let mut cands: Vec<Candidate> = Vec::new();
        let mut images: std::collections::HashMap<(u64, u64), (f64, f64, f64)> = Default::default();
        for (e, d2) in tree.nearest_neighbor_iter_with_distance_2(&[p.x(), p.y()]) {
            if lower_bound_m(p.y(), d2.sqrt()) > upper {
                break;
            }
            let (k, fi) = e.data;
            if !keep(k, fi) {
                continue;
            }
            // Ends in a fixed order: a boundary shared by two owners is
            // indexed once for each, drawn in opposite directions, and the
            // two must give the same answer to the bit.
            let (a, c) =
                if e.geom().from <= e.geom().to { (e.geom().from, e.geom().to) } else { (e.geom().to, e.geom().from) };
            let (a, c) = (Coord { x: a[0], y: a[1] }, Coord { x: c[0], y: c[1] });
            // A local planar bound first: an edge it puts beyond the upper
            // bound is skipped without geodesics at all.
            if frame.lower_bound_m(a, c) > upper {
                continue;
            }
            // Neighbouring candidates share their ends: each end's image is
            // computed once per search.
            let mut image =
                |v: Coord<f64>| *images.entry((v.x.to_bits(), v.y.to_bits())).or_insert_with(|| vertex_image(p, v));
            let (ia, ic) = (image(a), image(c));
            let (lo, hi) = chord_bounds_of(a, c, ia, ic);
            if lo > upper {
                continue;
            }
            upper = upper.min(hi);
            cands.push((lo, a, c, k, fi));
        }
        cands.sort_by(|x, y| x.0.total_cmp(&y.0));
        let order = |x: &(f64, Point<f64>, u32, usize)| (x.0, x.1.x(), x.1.y(), self.keys[x.2 as usize].as_str(), x.3);
        let mut best: Option<(f64, Point<f64>, u32, usize)> = None;
        for (lo, a, c, k, fi) in cands {
            if best.is_some_and(|b| lo > b.0) {
                break;
            }
            let (q, dist) = nearest_on_segment(p, a, c);
            let this = (dist, q, k, fi);
            if best.is_none_or(|b| order(&this).partial_cmp(&order(&b)) == Some(std::cmp::Ordering::Less)) {
                best = Some(this);
            }
        }
        let (dist, q, k, fi) = best?;
        let az = Geodesic.bearing(p, q);
        Some(Nearest {
            distance_m: dist,
            bearing_deg: if dist == 0.0 { 0.0 } else { az.rem_euclid(360.0) },
            point: q,
            key: self.keys[k as usize].clone(),
            feature: fi,
        })
    }
}

/// Named points (settlements) in an R-tree.
#[derive(Debug, Clone)]
pub struct Places {
    points: Vec<(Point<f64>, String)>,
    tree: RTree<GeomWithData<[f64; 2], usize>>,
}

impl Places {
    /// The Point features of `layer` that have a `name_field`.
    ///
    /// ```
    /// let s = delimit::sample::load("settlements.geojson", &Default::default()).unwrap();
    /// let places = delimit::locate::Places::new(Some(&s), "name");
    /// assert_eq!(places.nearest(geo::Point::new(45.0563, 41.0645)), Some("Voskepar"));
    /// ```
    pub fn new(layer: Option<&crate::layer::Layer>, name_field: &str) -> Places {
        let points: Vec<(Point<f64>, String)> = layer
            .map(|s| {
                s.features
                    .iter()
                    .filter_map(|f| match (&f.geometry, f.text(name_field)) {
                        (Some(geo::Geometry::Point(p)), Some(n)) => Some((*p, n)),
                        _ => None,
                    })
                    .collect()
            })
            .unwrap_or_default();
        let tree = RTree::bulk_load(
            points.iter().enumerate().map(|(i, (p, _))| GeomWithData::new([p.x(), p.y()], i)).collect(),
        );
        Places { points, tree }
    }

    /// Every place, in layer order.
    pub fn iter(&self) -> impl Iterator<Item = (Point<f64>, &str)> {
        self.points.iter().map(|(p, n)| (*p, n.as_str()))
    }

    /// Names of the places inside `poly`, in layer order.
    pub fn inside(&self, poly: &Polygon<f64>) -> Vec<String> {
        use geo::{BoundingRect, Contains};
        let Some(bb) = poly.bounding_rect() else { return Vec::new() };
        let env = AABB::from_corners([bb.min().x, bb.min().y], [bb.max().x, bb.max().y]);
        let mut hits: Vec<usize> =
            self.tree.locate_in_envelope(&env).map(|g| g.data).filter(|&i| poly.contains(&self.points[i].0)).collect();
        hits.sort_unstable();
        hits.into_iter().map(|i| self.points[i].1.clone()).collect()
    }

    /// The geodesically nearest place's name: the eight nearest in degrees
    /// are measured, which is ample where places are dense.
    pub fn nearest(&self, p: Point<f64>) -> Option<&str> {
        self.tree
            .nearest_neighbor_iter(&[p.x(), p.y()])
            .take(8)
            .min_by(|a, b| {
                let (da, db) =
                    (Geodesic.distance(p, self.points[a.data].0), Geodesic.distance(p, self.points[b.data].0));
                da.total_cmp(&db).then(a.data.cmp(&b.data))
            })
            .map(|g| self.points[g.data].1.as_str())
    }
}

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
/// use delimit::locate::{chord_lower_bound_m, nearest_on_segment};
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
fn vertex_image(p: Point<f64>, v: Coord<f64>) -> (f64, f64, f64) {
    use geographiclib_rs::InverseGeodesic;
    let (s, az, _, _): (f64, f64, f64, f64) = WGS84.inverse(p.y(), p.x(), v.y, v.x);
    let r = az.to_radians();
    (s * r.sin(), s * r.cos(), s)
}

/// [`chord_bounds_m`] from the ends' images.
fn chord_bounds_of(a: Coord<f64>, b: Coord<f64>, ia: (f64, f64, f64), ib: (f64, f64, f64)) -> (f64, f64) {
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
    /// use delimit::locate::{LocalFrame, nearest_on_segment};
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

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{Contains, polygon};

    #[test]
    fn banded_test_agrees_with_geo_contains() {
        // A star with a hole: many edges, several bands.
        let n = 40;
        let ring: Vec<(f64, f64)> = (0..n)
            .map(|i| {
                let a = i as f64 / n as f64 * std::f64::consts::TAU;
                let r = if i % 2 == 0 { 1.0 } else { 0.5 };
                (r * a.cos(), r * a.sin())
            })
            .collect();
        let hole = vec![(-0.1, -0.1), (-0.1, 0.1), (0.1, 0.1), (0.1, -0.1)];
        let poly = Polygon::new(ring.into(), vec![hole.into()]);
        let prep = Prepared::new(&poly);
        let mut checked = 0;
        for i in 0..200 {
            for j in 0..200 {
                let c = Coord { x: -1.1 + i as f64 * 0.011, y: -1.1 + j as f64 * 0.0113 };
                let want = poly.contains(&Point::from(c));
                match prep.position(c) {
                    Position::Boundary => {}
                    pos => {
                        assert_eq!(pos == Position::Inside, want, "{c:?}");
                        checked += 1;
                    }
                }
            }
        }
        assert!(checked > 39_000);
    }

    #[test]
    fn boundary_points_are_boundary() {
        let p = polygon![(x: 0.0, y: 0.0), (x: 4.0, y: 0.0), (x: 4.0, y: 4.0), (x: 0.0, y: 4.0)];
        let prep = Prepared::new(&p);
        for c in [(0.0, 0.0), (2.0, 0.0), (4.0, 2.0), (0.0, 3.0)] {
            assert_eq!(prep.position(Coord { x: c.0, y: c.1 }), Position::Boundary, "{c:?}");
        }
    }

    /// The chord bounds hold the distance the search finds between them, over
    /// edges from 10 m to 50 km long, near and far, at any latitude.
    #[test]
    fn the_chord_bound_is_a_lower_bound() {
        use proptest::prelude::*;
        let mut runner = proptest::test_runner::TestRunner::deterministic();
        let strategy = (-70.0..70.0f64, -1.0..1.0f64, -1.0..1.0f64, 1e-4..0.45f64, 0.0..std::f64::consts::TAU);
        runner
            .run(&strategy, |(lat, dx, dy, len, ang)| {
                let p = Point::new(45.0, lat);
                let a = Coord { x: 45.0 + dx * 0.5, y: lat + dy * 0.5 };
                let b = Coord { x: a.x + len * ang.cos(), y: (a.y + len * ang.sin()).clamp(-89.0, 89.0) };
                let exact = nearest_on_segment(p, a, b).1;
                let (lb, ub) = chord_bounds_m(p, a, b);
                prop_assert!(lb <= exact + 1e-6, "lb {lb} > exact {exact} for {p:?} {a:?} {b:?}");
                prop_assert!(ub >= exact - 1e-6, "ub {ub} < exact {exact} for {p:?} {a:?} {b:?}");
                Ok(())
            })
            .unwrap();
    }

    /// The local frame's bound never exceeds the distance the search finds,
    /// at any latitude to ±85° and out to a few hundred kilometres.
    #[test]
    fn the_frame_bound_is_a_lower_bound() {
        use proptest::prelude::*;
        let mut runner = proptest::test_runner::TestRunner::deterministic();
        let strategy = (-85.0..85.0f64, -3.0..3.0f64, -3.0..3.0f64, 1e-4..0.5f64, 0.0..std::f64::consts::TAU);
        runner
            .run(&strategy, |(lat, dx, dy, len, ang)| {
                let p = Point::new(10.0, lat);
                let a = Coord { x: 10.0 + dx, y: (lat + dy).clamp(-89.0, 89.0) };
                let b = Coord { x: a.x + len * ang.cos(), y: (a.y + len * ang.sin()).clamp(-89.0, 89.0) };
                let exact = nearest_on_segment(p, a, b).1;
                let lb = LocalFrame::at(p).lower_bound_m(a, b);
                prop_assert!(lb <= exact, "lb {lb} > exact {exact} for {p:?} {a:?} {b:?}");
                Ok(())
            })
            .unwrap();
    }

    /// The indexed search finds what a scan of every edge finds.
    #[test]
    fn nearest_equals_the_scan_of_every_edge() {
        let layer = crate::sample::load("legal.geojson", &Default::default()).unwrap();
        let rings: Vec<(usize, String, MultiPolygon<f64>)> = layer
            .features
            .iter()
            .enumerate()
            .filter_map(|(i, f)| Some((i, f.text("owner")?, f.polygons()?.into_owned())))
            .collect();
        let idx = EdgeIndex::new(rings.iter().map(|(i, k, m)| (*i, k.as_str(), m)));
        let mut edges: Vec<(Coord<f64>, Coord<f64>, &str)> = Vec::new();
        for (_, k, m) in &rings {
            for poly in &m.0 {
                for ring in std::iter::once(poly.exterior()).chain(poly.interiors()) {
                    for l in ring.lines() {
                        edges.push((l.start, l.end, k.as_str()));
                    }
                }
            }
        }
        for (i, (x, y)) in [(45.06, 41.06), (46.24, 38.9), (45.6, 40.99), (44.5, 40.2), (46.0, 39.5), (45.3, 40.3)]
            .into_iter()
            .enumerate()
        {
            let p = Point::new(x, y);
            let not = ["ARM", "AZE"][i % 2];
            let got = idx.nearest(p, None, Some(not)).unwrap();
            let scan = edges
                .iter()
                .filter(|e| e.2 != not)
                .map(|e| nearest_on_segment(p, e.0, e.1).1)
                .fold(f64::INFINITY, f64::min);
            assert!((got.distance_m - scan).abs() < 1e-6, "{p:?}: index {} scan {scan}", got.distance_m);
        }
    }

    #[test]
    fn nearest_on_segment_beats_vertices() {
        let (q, d) =
            nearest_on_segment(Point::new(45.0, 40.01), Coord { x: 44.9, y: 40.0 }, Coord { x: 45.1, y: 40.0 });
        // The foot is at 45.0 (by symmetry) and the distance is about 0.01° of latitude.
        assert!((q.x() - 45.0).abs() < 1e-6, "{q:?}");
        assert!((d - 1110.5).abs() < 2.0, "{d}");
    }
}
