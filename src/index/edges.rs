//! Boundary edges in an R-tree, keyed by owner or controller: the
//! geodesically nearest boundary point, and bounds that avoid searching.

use std::collections::BTreeMap;

use geo::{Bearing, Coord, Geodesic, LineString, MultiPolygon, Point};
use rstar::primitives::{GeomWithData, Line};
use rstar::{AABB, RTree};

use super::segment::{chord_bounds_of, nearest_on_segment_memo, vertex_image};
use super::*;

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
    /// use delimit::index::EdgeIndex;
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
    /// use delimit::index::EdgeIndex;
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
            // With the per-key trees built (for batches), one key's own
            // tree; else a walk of the shared tree. The same answer: ties
            // do not depend on how a tree was built.
            Some(w) => match self.by_key.get() {
                Some(trees) => self.nearest_in(&trees[w as usize], p, |_, _| true),
                None => self.nearest_by(p, |k, _| k == w),
            },
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
    /// use delimit::index::EdgeIndex;
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
    /// use delimit::index::EdgeIndex;
    /// use geo::{line_string, Point};
    /// let (a, b) = (line_string![(x: 45.0, y: 40.0), (x: 45.2, y: 40.0)], line_string![(x: 45.0, y: 40.1), (x: 45.2, y: 40.1)]);
    /// let idx = EdgeIndex::from_rings([(0, "ARM", &a), (1, "AZE", &b)]);
    /// let p = Point::new(45.1, 40.01);
    /// let walked = idx.lower_bound_feature(p, 1);
    /// idx.prepare_for_batches();
    /// assert_eq!(idx.lower_bound_feature(p, 1), walked);
    /// assert_eq!(idx.lower_bound_feature(p, 7), None);
    /// ```
    pub fn lower_bound_feature(&self, p: Point<f64>, feature: usize) -> Option<f64> {
        let Some(trees) = self.by_feature.get() else { return self.lower_bound_where(p, |f| f == feature) };
        let d2 = trees.get(&feature)?.nearest_neighbor_iter_with_distance_2(&[p.x(), p.y()]).next()?.1;
        Some(lower_bound_m(p.y(), d2.sqrt()))
    }

    /// Build the per-key and per-feature trees now: for many questions,
    /// each then searches one owner's or one unit's edges instead of
    /// walking past every nearer edge. One question is faster without
    /// them. Answers are the same either way.
    pub fn prepare_for_batches(&self) {
        self.by_key.get_or_init(|| {
            let mut by: Vec<Vec<EdgeEntry>> = vec![Vec::new(); self.keys.len()];
            for e in self.tree.iter() {
                by[e.data.0 as usize].push(*e);
            }
            by.into_iter().map(RTree::bulk_load).collect()
        });
        self.by_feature.get_or_init(|| {
            let mut by: BTreeMap<usize, Vec<Line<[f64; 2]>>> = BTreeMap::new();
            for e in self.tree.iter() {
                by.entry(e.data.1).or_default().push(*e.geom());
            }
            by.into_iter().map(|(f, v)| (f, RTree::bulk_load(v))).collect()
        });
    }

    /// [`EdgeIndex::lower_bound_where`] for edges whose key is not `not`.
    ///
    /// ```
    /// use delimit::index::EdgeIndex;
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
        let Some(trees) = self.by_key.get() else {
            let not_k = not_k.map(|k| k as u32);
            return self.lower_bound_by(p, |k, _| not_k != Some(k));
        };
        // The nearest edge of every other key, each from its own tree.
        let d2 = trees
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
    /// use delimit::index::EdgeIndex;
    /// use geo::line_string;
    /// let (a, b) = (line_string![(x: 45.0, y: 40.0), (x: 45.2, y: 40.0)], line_string![(x: 46.0, y: 41.0), (x: 46.2, y: 41.0)]);
    /// let idx = EdgeIndex::from_rings([(0, "ARM", &a), (1, "AZE", &b)]);
    /// let env = rstar::AABB::from_corners([44.9, 39.9], [45.5, 40.5]);
    /// assert_eq!(idx.keys_in(&env), ["ARM"]);
    /// ```
    pub fn keys_in(&self, env: &AABB<[f64; 2]>) -> Vec<String> {
        let Some(trees) = self.by_key.get() else {
            let mut ks: Vec<u32> = self.tree.locate_in_envelope_intersecting(env).map(|e| e.data.0).collect();
            ks.sort_unstable();
            ks.dedup();
            return ks.into_iter().map(|k| self.keys[k as usize].clone()).collect();
        };
        // One look into each key's own tree: a key is in or out after its
        // first edge there, not after every edge in the box.
        trees
            .iter()
            .enumerate()
            .filter(|(_, t)| t.locate_in_envelope_intersecting(env).next().is_some())
            .map(|(k, _)| self.keys[k].clone())
            .collect()
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
    /// use delimit::index::EdgeIndex;
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
            // Neighbouring candidates share their ends: `vertex_image`
            // computes each end's image once per place.
            let (ia, ic) = (vertex_image(p, a), vertex_image(p, c));
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
            let (q, dist) = nearest_on_segment_memo(p, a, c);
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
