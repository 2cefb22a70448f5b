//! Named points (settlements) in an R-tree.

use geo::{Distance, Geodesic, Point, Polygon};
use rstar::primitives::GeomWithData;
use rstar::{AABB, RTree};

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
    /// let places = delimit::index::Places::new(Some(&s), "name");
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
