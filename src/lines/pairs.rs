//! Pair lines: the boundary between each two parties, from the polygons'
//! shared edges or given directly (a line layer with `a` and `b` fields),
//! and choosing one pair of them.

use std::path::Path;

use geo::{Geometry, MultiLineString};

use super::*;
use crate::error::{Error, Result};
use crate::layer::Layer;

/// The pair lines of a layer already read from `path`.
pub fn pair_lines_of(path: &Path, layer: &Layer) -> Result<Vec<PairLine>> {
    let mut by: std::collections::BTreeMap<(String, String), MultiLineString<f64>> = Default::default();
    for f in &layer.features {
        let (Some(a), Some(b)) = (f.text("a"), f.text("b")) else {
            return Err(Error::FieldValue {
                path: path.to_path_buf(),
                feature: f.id.clone(),
                field: "a / b".into(),
                problem: "a boundary line needs the two parties in fields `a` and `b`".into(),
            });
        };
        let key = if a <= b { (a, b) } else { (b, a) };
        let lines = match &f.geometry {
            Some(Geometry::LineString(l)) => vec![l.clone()],
            Some(Geometry::MultiLineString(m)) => m.0.clone(),
            _ => {
                return Err(Error::Geometry {
                    path: path.to_path_buf(),
                    feature: f.id.clone(),
                    message: "is not a LineString".into(),
                    hint: Some("--legal-lines and --control-lines take LineStrings".into()),
                });
            }
        };
        by.entry(key).or_insert_with(|| MultiLineString(vec![])).0.extend(lines);
    }
    Ok(by
        .into_iter()
        .map(|((a, b), line)| {
            let length_m = line.0.iter().map(line_length_m).sum();
            PairLine { a, b, line, length_m }
        })
        .collect())
}

pub fn filter_pair(lines: Vec<PairLine>, pair: Option<&str>) -> Result<Vec<PairLine>> {
    let Some(p) = pair else { return Ok(lines) };
    // One reading of a pair in every command: `A,B` or `A|B`.
    let (a, b) = crate::overlay::parse_pair(p)?;
    let (a, b) = (a.as_str(), b.as_str());
    let available: Vec<String> = lines.iter().map(PairLine::pair).collect();
    let kept: Vec<PairLine> = lines.into_iter().filter(|l| (l.a == a && l.b == b) || (l.a == b && l.b == a)).collect();
    if kept.is_empty() {
        return Err(Error::Usage {
            option: "--pair".into(),
            message: format!("no boundary between {a} and {b}"),
            hint: Some(format!("pairs: {}", available.join(", "))),
        });
    }
    Ok(kept)
}

/// A straight edge, lon/lat.
pub(super) type Segment = (Coord<f64>, Coord<f64>);

/// Grid to which vertices are snapped before shared edges are matched, degrees.
pub const SNAP_DEG: f64 = 1e-7;
/// Chains whose ends are closer than this are joined, metres.
pub const JOIN_M: f64 = 1.0;

/// The boundary between two parties.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PairLine {
    /// First party (sort order).
    pub a: String,
    /// Second party.
    pub b: String,
    /// The shared boundary, merged.
    #[serde(skip)]
    pub line: MultiLineString<f64>,
    /// Geodesic length, m.
    pub length_m: f64,
}

impl PairLine {
    /// "A|B".
    pub fn pair(&self) -> String {
        format!("{}|{}", self.a, self.b)
    }
}

pub(super) fn snap(m: &MultiPolygon<f64>) -> MultiPolygon<f64> {
    use geo::MapCoords;
    m.map_coords(|c| Coord { x: (c.x / SNAP_DEG).round() * SNAP_DEG, y: (c.y / SNAP_DEG).round() * SNAP_DEG })
}

/// Geodesic length of a line, m.
pub fn line_length_m(l: &LineString<f64>) -> f64 {
    l.0.windows(2).map(|w| Geodesic.distance(Point(w[0]), Point(w[1]))).sum()
}

/// The shared boundary of every pair of keys that touch, in pair order,
/// with edges matched exactly only (after the [`SNAP_DEG`] snap).
///
/// ```
/// use delimit::lines::pair_lines;
/// let legal = delimit::sample::load("legal.geojson", &Default::default()).unwrap();
/// let pairs = pair_lines(&legal, "owner");
/// let arm_aze = pairs.iter().find(|p| p.a == "ARM" && p.b == "AZE").unwrap();
/// assert!(arm_aze.length_m > 900_000.0);
/// ```
pub fn pair_lines(layer: &Layer, key_field: &str) -> Vec<PairLine> {
    pair_lines_within(layer, key_field, 0.0)
}

/// As [`pair_lines`], and where two neighbours were digitised apart (a
/// sliver or a gap along their border), an edge of the first party (sort
/// order) whose ends and middle all lie within `match_m` metres of the
/// second party's boundary, and nearer to it than to any other party's,
/// is part of their line too. The line then follows the first party's
/// digitisation there.
///
/// ```
/// use delimit::lines::pair_lines_within;
/// let legal = delimit::sample::load("legal.geojson", &Default::default()).unwrap();
/// let exact = pair_lines_within(&legal, "owner", 0.0);
/// let near = pair_lines_within(&legal, "owner", 100.0);
/// let len = |v: &[delimit::lines::PairLine], b: &str| v.iter().find(|p| p.a == "ARM" && p.b == b).unwrap().length_m;
/// // OSM 2017 draws ARM and IRN apart along the Araks in places.
/// assert!(len(&near, "IRN") > len(&exact, "IRN") + 5_000.0);
/// assert!((len(&near, "AZE") - len(&exact, "AZE")).abs() < 1_000.0);
/// ```
pub fn pair_lines_within(layer: &Layer, key_field: &str, match_m: f64) -> Vec<PairLine> {
    let mut by_key: BTreeMap<String, MultiPolygon<f64>> = BTreeMap::new();
    for f in &layer.features {
        let (Some(k), Some(m)) = (f.text(key_field), f.polygons()) else { continue };
        by_key.entry(k).or_insert_with(|| MultiPolygon(vec![])).0.extend(snap(&m).0);
    }
    let keys: Vec<&String> = by_key.keys().collect();
    // Near matches: for each edge of each party, the nearest other party
    // within match_m (all three points), decided once.
    let mut near: BTreeMap<(usize, usize), Vec<Segment>> = BTreeMap::new();
    if match_m > 0.0 {
        let index = EdgeIndex::new(by_key.iter().enumerate().map(|(i, (k, m))| (i, k.as_str(), m)));
        for (i, a) in keys.iter().enumerate() {
            for (s, e) in crate::boundary::edges(&by_key[*a]) {
                // The party nearest the middle; both ends within reach of it
                // too (an end at a tripoint is equally near a third party).
                let mid = Coord { x: (s.x + e.x) / 2.0, y: (s.y + e.y) / 2.0 };
                let Some((other, _, d)) = index.nearest_planar_within(Point(mid), None, Some(a), match_m) else {
                    continue;
                };
                let ends_near =
                    [s, e].iter().all(|&c| index.nearest_planar_within(Point(c), Some(other), None, match_m).is_some());
                if d <= match_m
                    && ends_near
                    && let Some(j) = keys.iter().position(|k| k.as_str() == other)
                    && i < j
                {
                    near.entry((i, j)).or_default().push((s, e));
                }
            }
        }
    }
    let mut out = Vec::new();
    for i in 0..keys.len() {
        for j in i + 1..keys.len() {
            let (a, b) = (&by_key[keys[i]], &by_key[keys[j]]);
            if !boxes_touch(a, b) {
                continue;
            }
            let shared = match near.get(&(i, j)) {
                // The near edges of A include its exactly shared ones.
                Some(edges) => join(crate::boundary::chain(edges)),
                None => join(shared_edges(a, b)),
            };
            if shared.0.is_empty() {
                continue;
            }
            let length_m = shared.0.iter().map(line_length_m).sum();
            out.push(PairLine { a: keys[i].clone(), b: keys[j].clone(), line: shared, length_m });
        }
    }
    out
}

pub(super) fn boxes_touch(a: &MultiPolygon<f64>, b: &MultiPolygon<f64>) -> bool {
    use geo::{BoundingRect, Intersects};
    matches!((a.bounding_rect(), b.bounding_rect()), (Some(x), Some(y)) if x.intersects(&y))
}

/// Join chains whose ends are within [`JOIN_M`]: greedy, in order, so the
/// result is deterministic. Longest first afterwards.
pub(super) fn join(m: MultiLineString<f64>) -> MultiLineString<f64> {
    let mut lines: Vec<Vec<Coord<f64>>> = m.0.into_iter().map(|l| l.0).collect();
    let close = |a: Coord<f64>, b: Coord<f64>| Geodesic.distance(Point(a), Point(b)) <= JOIN_M;
    let mut changed = true;
    while changed {
        changed = false;
        'outer: for i in 0..lines.len() {
            for j in 0..lines.len() {
                if i == j || lines[i].is_empty() || lines[j].is_empty() {
                    continue;
                }
                let (ie, js) = (*lines[i].last().unwrap_or(&Coord::zero()), lines[j][0]);
                let (is_, je) = (lines[i][0], *lines[j].last().unwrap_or(&Coord::zero()));
                let joined = if close(ie, js) {
                    let mut v = std::mem::take(&mut lines[i]);
                    v.extend(lines[j].iter().skip(usize::from(ie == js)));
                    Some(v)
                } else if close(ie, je) {
                    let mut v = std::mem::take(&mut lines[i]);
                    v.extend(lines[j].iter().rev().skip(usize::from(ie == je)));
                    Some(v)
                } else if close(is_, je) && i < j {
                    let mut v = lines[j].clone();
                    v.extend(lines[i].iter().skip(usize::from(is_ == je)));
                    Some(v)
                } else {
                    None
                };
                if let Some(v) = joined {
                    // A closed ring that only touched itself stays as it is.
                    lines[i] = v;
                    lines[j] = Vec::new();
                    changed = true;
                    break 'outer;
                }
            }
        }
        lines.retain(|l| !l.is_empty());
    }
    // Chainage runs from the western end (the southern one on a meridian),
    // whatever the rings' direction was.
    for l in &mut lines {
        let (f, e) = (l[0], l[l.len() - 1]);
        if f != e && (e.x, e.y) < (f.x, f.y) {
            l.reverse();
        }
    }
    let mut out: Vec<LineString<f64>> = lines.into_iter().map(LineString::new).collect();
    out.sort_by(|a, b| line_length_m(b).total_cmp(&line_length_m(a)).then_with(|| cmp_first(a, b)));
    MultiLineString(out)
}

pub(super) fn cmp_first(a: &LineString<f64>, b: &LineString<f64>) -> std::cmp::Ordering {
    let (x, y) = (a.0.first().copied().unwrap_or(Coord::zero()), b.0.first().copied().unwrap_or(Coord::zero()));
    x.x.total_cmp(&y.x).then(x.y.total_cmp(&y.y))
}
