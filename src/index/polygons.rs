//! Point in polygon: an R-tree over the polygons' boxes and, per polygon,
//! its edges in horizontal bands.

use geo::{Coord, MultiPolygon, Polygon};
use rstar::RTree;
use rstar::primitives::{GeomWithData, Rectangle};

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
pub(super) struct Prepared {
    y0: f64,
    band_h: f64,
    /// Per band, the edges whose y-range meets it.
    bands: Vec<Vec<[Coord<f64>; 2]>>,
}

impl Prepared {
    pub(super) fn new(p: &Polygon<f64>) -> Prepared {
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

    pub(super) fn position(&self, p: Coord<f64>) -> Position {
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
    /// use delimit::index::{PolygonIndex, Position};
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
