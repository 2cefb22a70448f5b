//! Boundaries between units: the edges two polygon layers share, merged into
//! lines.
//!
//! Boundaries digitised from one topology (OSM relations, a GIS partition)
//! share their vertices exactly, so shared edges are found by exact
//! coordinate matching, independent of direction, and chained end to end.

use std::collections::{BTreeMap, HashSet};

use geo::{Coord, LineString, MultiLineString, MultiPolygon};

/// A coordinate as a hashable, totally ordered key (bit pattern; -0.0 folded into 0.0).
fn key(c: Coord<f64>) -> (u64, u64) {
    ((c.x + 0.0).to_bits(), (c.y + 0.0).to_bits())
}

pub(crate) fn edges(m: &MultiPolygon<f64>) -> impl Iterator<Item = (Coord<f64>, Coord<f64>)> + '_ {
    m.0.iter()
        .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
        .flat_map(|r| r.lines().map(|l| (l.start, l.end)))
        .filter(|(a, b)| a != b)
}

/// The edges that `a` and `b` have in common, merged into maximal lines.
///
/// Edges are matched exactly, in either direction. Lines follow `a`'s
/// ring order, and the output order is deterministic.
///
/// ```
/// use delimit::boundary::shared_edges;
/// let west = geo::wkt!(MULTIPOLYGON(((0. 0., 1. 0., 1. 1., 1. 2., 0. 2., 0. 0.))));
/// let east = geo::wkt!(MULTIPOLYGON(((1. 0., 2. 0., 2. 2., 1. 2., 1. 1., 1. 0.))));
/// let shared = shared_edges(&west, &east);
/// assert_eq!(shared.0.len(), 1);
/// assert_eq!(shared.0[0], geo::wkt!(LINESTRING(1. 0., 1. 1., 1. 2.)));
/// ```
pub fn shared_edges(a: &MultiPolygon<f64>, b: &MultiPolygon<f64>) -> MultiLineString<f64> {
    EdgeSet::of(b).shared_with(a)
}

/// The edges of one polygon set, for finding many polygons' shared edges
/// with it: built once, not once per polygon (with 50,000 units against
/// one party, rebuilding it per unit was quadratic).
pub(crate) struct EdgeSet(HashSet<((u64, u64), (u64, u64))>);

impl EdgeSet {
    pub(crate) fn of(b: &MultiPolygon<f64>) -> EdgeSet {
        EdgeSet(edges(b).map(|(s, e)| (key(s), key(e))).collect())
    }

    /// [`shared_edges`] of `a` with the set's polygons.
    pub(crate) fn shared_with(&self, a: &MultiPolygon<f64>) -> MultiLineString<f64> {
        let common: Vec<(Coord<f64>, Coord<f64>)> = edges(a)
            .filter(|(s, e)| self.0.contains(&(key(*s), key(*e))) || self.0.contains(&(key(*e), key(*s))))
            .collect();
        chain(&common)
    }
}

/// Chain directed edges into maximal lines: start at edges whose start is
/// not another edge's end (then close remaining cycles), in input order.
pub(crate) fn chain(edges: &[(Coord<f64>, Coord<f64>)]) -> MultiLineString<f64> {
    let mut by_start: BTreeMap<(u64, u64), Vec<usize>> = BTreeMap::new();
    let mut ends: HashSet<(u64, u64)> = HashSet::new();
    for (i, (s, e)) in edges.iter().enumerate() {
        by_start.entry(key(*s)).or_default().push(i);
        ends.insert(key(*e));
    }
    let mut used = vec![false; edges.len()];
    let mut lines = Vec::new();
    let walk = |start: usize, used: &mut Vec<bool>| {
        let mut pts = vec![edges[start].0, edges[start].1];
        used[start] = true;
        loop {
            let last = *pts.last().expect("non-empty");
            let next = by_start.get(&key(last)).and_then(|v| v.iter().copied().find(|&j| !used[j]));
            match next {
                Some(j) => {
                    used[j] = true;
                    pts.push(edges[j].1);
                }
                None => break,
            }
        }
        LineString::new(pts)
    };
    // Open chains first, from their true starts.
    for i in 0..edges.len() {
        if !used[i] && !ends.contains(&key(edges[i].0)) {
            lines.push(walk(i, &mut used));
        }
    }
    // What is left is closed rings (an exclave wholly inside the other unit).
    for i in 0..edges.len() {
        if !used[i] {
            lines.push(walk(i, &mut used));
        }
    }
    MultiLineString(lines)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exclave_ring_is_one_closed_line() {
        let outer = geo::wkt!(MULTIPOLYGON(((0. 0., 4. 0., 4. 4., 0. 4., 0. 0.),(1. 1., 1. 2., 2. 2., 2. 1., 1. 1.))));
        let exclave = geo::wkt!(MULTIPOLYGON(((1. 1., 2. 1., 2. 2., 1. 2., 1. 1.))));
        let s = shared_edges(&outer, &exclave);
        assert_eq!(s.0.len(), 1);
        assert_eq!(s.0[0].0.len(), 5);
        assert_eq!(s.0[0].0.first(), s.0[0].0.last());
    }

    #[test]
    fn disjoint_units_share_nothing() {
        let a = geo::wkt!(MULTIPOLYGON(((0. 0., 1. 0., 1. 1., 0. 0.))));
        let b = geo::wkt!(MULTIPOLYGON(((5. 5., 6. 5., 6. 6., 5. 5.))));
        assert!(shared_edges(&a, &b).0.is_empty());
    }
}
