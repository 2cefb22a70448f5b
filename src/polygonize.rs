//! A legal basis from digitised boundary lines: the 1976 line as an
//! analyst digitises it (LineStrings with the owner on their left and on
//! their right, often one map sheet at a time), closed by a frame and
//! turned into labelled faces.
//!
//! The lines and the frame are noded together on one integer grid (the
//! overlay's), the frame is cut into faces, and every face takes the owner
//! that the lines bounding it name on its side. A face whose lines disagree
//! is a conflict, reported with its location and never labelled. Endpoints
//! closer than the snap distance are joined first, and every snap, dangle
//! and overshoot is reported.

use geo::orient::Direction;
use geo::{Coord, LineString, MultiPolygon, Orient, Point, Polygon};
use i_overlay::core::fill_rule::FillRule;
use i_overlay::string::slice::IntSlice;
use rstar::{AABB, RTree, primitives::GeomWithData, primitives::Line as RLine};
use serde::Serialize;

use crate::error::{Error, Result};
use crate::layer::{Feature, Layer};
use crate::overlay::grid::Grid;

/// Where a line is cut short: the segment index and the cut point.
type Cut = (usize, Coord<f64>);

/// Options for [`polygonize`].
#[derive(Debug, Clone)]
pub struct Options {
    /// Field with the owner on the left of the line's direction.
    pub left_field: String,
    /// Field with the owner on its right.
    pub right_field: String,
    /// Endpoints closer than this are joined, m.
    pub snap_m: f64,
    /// Where the snap distance came from (recorded with the result).
    pub snap_from: String,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            left_field: "left".into(),
            right_field: "right".into(),
            snap_m: snap_for_scale(100_000.0),
            snap_from: "default: 1:100 000 source scale".into(),
        }
    }
}

/// The snap distance for a source scale: 0.25 mm on the map, the usual
/// drafting tolerance of a line on a printed sheet (25 m at 1:100 000).
///
/// ```
/// assert_eq!(delimit::polygonize::snap_for_scale(100_000.0), 25.0);
/// assert_eq!(delimit::polygonize::snap_for_scale(50_000.0), 12.5);
/// ```
pub fn snap_for_scale(denominator: f64) -> f64 {
    denominator * 0.25e-3
}

/// Something found while building the faces.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    /// `snap`, `dangle`, `overshoot`, `conflict`, `unlabelled` or `from_frame`.
    pub code: &'static str,
    /// Line feature id (for a face: the face id).
    pub feature: String,
    /// Where, [lon, lat].
    pub at: [f64; 2],
    /// How far: the snap's move, the overshoot's length, m.
    pub distance_m: Option<f64>,
    /// In words.
    pub message: String,
}

/// One face.
#[derive(Debug, Clone, PartialEq)]
pub struct Face {
    /// `face-N`, in order of owner then area, largest first.
    pub id: String,
    /// The owner the bounding lines name; `None` for a conflict or a face
    /// no line bounds.
    pub owner: Option<String>,
    /// Every owner the bounding lines name on this face's side.
    pub claimed_by: Vec<String>,
    /// The face.
    pub polygon: Polygon<f64>,
    /// Geodesic area, m².
    pub area_m2: f64,
}

/// What [`polygonize`] returns.
#[derive(Debug, Clone)]
pub struct Polygonized {
    /// Every face inside the frame.
    pub faces: Vec<Face>,
    /// Snaps, dangles, overshoots, conflicts and unlabelled faces.
    pub findings: Vec<Finding>,
    /// The snap distance used, m, and where it came from.
    pub snap_m: f64,
    /// Where the snap distance came from.
    pub snap_from: String,
}

impl Polygonized {
    /// Faces without an owner (conflicts and unlabelled faces).
    pub fn unresolved(&self) -> impl Iterator<Item = &Face> {
        self.faces.iter().filter(|f| f.owner.is_none())
    }

    /// The labelled faces as a legal basis: one feature per face, with
    /// `owner` (under `owner_field`), and the lines' provenance.
    pub fn to_layer(&self, lines: &Layer, owner_field: &str) -> Layer {
        let features = self
            .faces
            .iter()
            .filter_map(|f| {
                let owner = f.owner.clone()?;
                let mut p = serde_json::Map::new();
                p.insert(owner_field.into(), owner.into());
                p.insert("face".into(), f.id.clone().into());
                p.insert("area_km2".into(), ((f.area_m2 / 1e6 * 1e6).round() / 1e6).into());
                p.insert("source".into(), format!("polygonized from {}", lines.provenance.path).into());
                Some(Feature { id: f.id.clone(), index: 0, geometry: Some(f.polygon.clone().into()), properties: p })
            })
            .enumerate()
            .map(|(i, mut f)| {
                f.index = i;
                f
            })
            .collect();
        Layer {
            name: "legal".into(),
            role: Some(crate::layer::Role::Legal),
            features,
            fields: Vec::new(),
            provenance: lines.provenance.clone(),
            notes: Vec::new(),
        }
    }
}

/// Metres between two nearby lon/lat points (local equirectangular).
fn metres(a: Coord<f64>, b: Coord<f64>) -> f64 {
    let kx = 111_320.0 * ((a.y + b.y) / 2.0).to_radians().cos();
    ((b.x - a.x) * kx).hypot((b.y - a.y) * 110_950.0)
}

/// One digitised line: its feature, its owners and its (snapped) points.
struct Line {
    feature: String,
    left: String,
    right: String,
    pts: Vec<Coord<f64>>,
}

/// Refuse a lines layer that [`polygonize`] would refuse (a feature that
/// is not a line, or lacks a side), before any frame is sought for it.
///
/// ```
/// use delimit::polygonize::{validate_lines, Options};
/// let l = delimit::io::read_geojson_bytes("l.geojson".as_ref(), br#"{"type":"Feature",
///   "properties":{"left":"A"},"geometry":{"type":"LineString","coordinates":[[45,40],[45,41]]}}"#,
///   &Default::default()).unwrap();
/// let e = validate_lines(&l, &Options::default()).unwrap_err();
/// assert!(e.to_string().contains("right"));
/// ```
pub fn validate_lines(layer: &Layer, opts: &Options) -> Result<()> {
    read_lines(layer, opts).map(|_| ())
}

fn read_lines(layer: &Layer, opts: &Options) -> Result<Vec<Line>> {
    let path = std::path::PathBuf::from(&layer.provenance.path);
    let mut out = Vec::new();
    for f in &layer.features {
        let side = |field: &str| {
            f.text(field).ok_or_else(|| Error::FieldValue {
                path: path.clone(),
                feature: f.id.clone(),
                field: field.to_string(),
                problem: "is missing: a boundary line needs the owner on its left and on its right (walking the line as digitised); name the fields with --left-field and --right-field".into(),
            })
        };
        let (left, right) = (side(&opts.left_field)?, side(&opts.right_field)?);
        for (field, v) in [(&opts.left_field, &left), (&opts.right_field, &right)] {
            if let Some(problem) = crate::io::party_code_problem(v) {
                return Err(Error::FieldValue { path, feature: f.id.clone(), field: field.clone(), problem });
            }
        }
        let parts: Vec<&LineString<f64>> = match &f.geometry {
            Some(geo::Geometry::LineString(l)) => vec![l],
            Some(geo::Geometry::MultiLineString(m)) => m.0.iter().collect(),
            _ => {
                return Err(Error::Geometry {
                    path,
                    feature: f.id.clone(),
                    message: "is not a LineString".into(),
                    hint: Some("--legal-lines takes boundary lines; give polygons with --legal".into()),
                });
            }
        };
        for l in parts {
            let mut pts = l.0.clone();
            pts.dedup();
            if pts.len() >= 2 {
                out.push(Line { feature: f.id.clone(), left: left.clone(), right: right.clone(), pts });
            }
        }
    }
    Ok(out)
}

/// Join endpoints within `snap_m` of each other: each group moves to its
/// first endpoint (in input order), so the result does not depend on the
/// order of the search.
fn snap_endpoints(lines: &mut [Line], snap_m: f64, findings: &mut Vec<Finding>) -> Vec<usize> {
    let ends: Vec<(usize, bool, Coord<f64>)> = lines
        .iter()
        .enumerate()
        .flat_map(|(i, l)| [(i, false, l.pts[0]), (i, true, *l.pts.last().expect("≥ 2 points"))])
        .collect();
    let tree = RTree::bulk_load(
        ends.iter().enumerate().map(|(k, e)| GeomWithData::new([e.2.x, e.2.y], k)).collect::<Vec<_>>(),
    );
    let mut group: Vec<usize> = (0..ends.len()).collect();
    // Degrees that surely hold snap_m at these latitudes (|lat| < 70°).
    let r_deg = snap_m / 111_320.0 / 70f64.to_radians().cos();
    for k in 0..ends.len() {
        if group[k] != k {
            continue;
        }
        let c = ends[k].2;
        let env = AABB::from_corners([c.x - r_deg, c.y - r_deg], [c.x + r_deg, c.y + r_deg]);
        let mut near: Vec<usize> =
            tree.locate_in_envelope(&env).map(|g| g.data).filter(|&j| j > k && group[j] == j).collect();
        near.sort_unstable();
        for j in near {
            let d = metres(c, ends[j].2);
            if d <= snap_m {
                group[j] = k;
                if d > 0.0 {
                    findings.push(Finding {
                        code: "snap",
                        feature: lines[ends[j].0].feature.clone(),
                        at: [c.x, c.y],
                        distance_m: Some(d),
                        message: format!("endpoint moved {d:.2} m onto the endpoint of {}", lines[ends[k].0].feature),
                    });
                }
            }
        }
    }
    for (j, &(i, last, _)) in ends.iter().enumerate() {
        let to = ends[group[j]].2;
        let l = &mut lines[i];
        if last {
            *l.pts.last_mut().expect("≥ 2 points") = to;
        } else {
            l.pts[0] = to;
        }
    }
    // How many endpoints share each endpoint's position.
    ends.iter().enumerate().map(|(j, _)| group.iter().filter(|&&g| g == group[j]).count()).collect()
}

/// A loose endpoint inside the frame and within the snap distance of its
/// edge is carried onto the edge and half a metre past it, so that the line
/// cuts the frame whatever the rounding (a line that stops a hair short of
/// the frame cuts nothing). The half metre outside bounds no face.
fn snap_to_frame(
    lines: &mut [Line],
    shared: &[usize],
    frame: &MultiPolygon<f64>,
    frame_idx: &crate::index::PolygonIndex,
    snap_m: f64,
    findings: &mut Vec<Finding>,
) {
    // Oriented, the region lies left of every edge: outward is to the right.
    let oriented = frame.orient(Direction::Default);
    let edges: Vec<(Coord<f64>, Coord<f64>)> = crate::boundary::edges(&oriented).collect();
    let tree = RTree::bulk_load(
        edges
            .iter()
            .enumerate()
            .map(|(k, (a, b))| GeomWithData::new(RLine::new([a.x, a.y], [b.x, b.y]), k))
            .collect::<Vec<_>>(),
    );
    let r_deg = snap_m / 111_320.0 / 70f64.to_radians().cos() + 1e-9;
    for (k, &n) in shared.iter().enumerate() {
        if n != 1 {
            continue;
        }
        let (i, last) = (k / 2, k % 2 == 1);
        let l = &mut lines[i];
        let end = if last { *l.pts.last().expect("≥ 2") } else { l.pts[0] };
        let outside = frame_idx.locate(end).is_empty();
        let env = AABB::from_corners([end.x - r_deg, end.y - r_deg], [end.x + r_deg, end.y + r_deg]);
        let best = tree
            .locate_in_envelope_intersecting(&env)
            .map(|s| {
                let (a, b) = (
                    Coord { x: s.geom().from[0], y: s.geom().from[1] },
                    Coord { x: s.geom().to[0], y: s.geom().to[1] },
                );
                let (t, d) = crate::index::planar_m(Point(end), a, b);
                (d, Coord { x: a.x + t * (b.x - a.x), y: a.y + t * (b.y - a.y) }, a, b)
            })
            .min_by(|x, y| x.0.total_cmp(&y.0));
        let Some((d, p, a, b)) = best else { continue };
        // Outside the frame the slicing trims it; on the edge or inside
        // within the snap it is carried out.
        if d > snap_m || (outside && d > 1e-6) {
            continue;
        }
        // Half a metre past the edge, along its outward normal.
        let (kx, ky) = (111_320.0 * end.y.to_radians().cos(), 110_950.0);
        let (ex, ey) = ((b.x - a.x) * kx, (b.y - a.y) * ky);
        let len = ex.hypot(ey);
        if len == 0.0 {
            continue;
        }
        let to = Coord { x: p.x + ey / len * 0.5 / kx, y: p.y - ex / len * 0.5 / ky };
        // Appended, not moved: the line's own last segment keeps its
        // direction, so where it meets the edge does not shift.
        // An end already on the edge stays as it is; the half metre past
        // is added only where it does lie outside (not at a reflex corner).
        let tail: Vec<Coord<f64>> = if d < 1e-6 {
            continue;
        } else if frame_idx.locate(to).is_empty() {
            vec![p, to]
        } else {
            vec![p]
        };
        if last {
            l.pts.extend(tail);
        } else {
            let mut v: Vec<Coord<f64>> = tail.into_iter().rev().collect();
            v.extend(l.pts.iter().copied());
            l.pts = v;
        }
        if d > 1e-3 {
            findings.push(Finding {
                code: "snap",
                feature: l.feature.clone(),
                at: [p.x, p.y],
                distance_m: Some(d),
                message: format!("endpoint carried {d:.3} m onto the frame"),
            });
        }
    }
}

type Seg = GeomWithData<RLine<[f64; 2]>, (usize, usize)>;

fn segments(lines: &[Line], frame: &MultiPolygon<f64>) -> Vec<Seg> {
    let mut v: Vec<Seg> = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        for (k, w) in l.pts.windows(2).enumerate() {
            v.push(GeomWithData::new(RLine::new([w[0].x, w[0].y], [w[1].x, w[1].y]), (i, k)));
        }
    }
    // The frame's edges carry usize::MAX as their line.
    for p in &frame.0 {
        for r in std::iter::once(p.exterior()).chain(p.interiors()) {
            for (k, w) in r.0.windows(2).enumerate() {
                v.push(GeomWithData::new(RLine::new([w[0].x, w[0].y], [w[1].x, w[1].y]), (usize::MAX, k)));
            }
        }
    }
    v
}

/// Where segment p–q meets a–b, as the parameter along p–q.
fn meet(p: Coord<f64>, q: Coord<f64>, a: Coord<f64>, b: Coord<f64>) -> Option<f64> {
    let d = (q.x - p.x) * (b.y - a.y) - (q.y - p.y) * (b.x - a.x);
    if d == 0.0 {
        return None;
    }
    let t = ((a.x - p.x) * (b.y - a.y) - (a.y - p.y) * (b.x - a.x)) / d;
    let u = ((a.x - p.x) * (q.y - p.y) - (a.y - p.y) * (q.x - p.x)) / d;
    ((0.0..=1.0).contains(&t) && (0.0..=1.0).contains(&u)).then_some(t)
}

/// Distance from `c` to the nearest segment other than those of line
/// `skip`, m (infinite beyond about 100 m).
fn nearest_other(tree: &RTree<Seg>, c: Coord<f64>, skip: usize) -> f64 {
    nearest_where(tree, c, |line| line != skip)
}

fn nearest_where(tree: &RTree<Seg>, c: Coord<f64>, keep: impl Fn(usize) -> bool) -> f64 {
    let r = 1e-3;
    let env = AABB::from_corners([c.x - r, c.y - r], [c.x + r, c.y + r]);
    tree.locate_in_envelope_intersecting(&env)
        .filter(|s| keep(s.data.0))
        .map(|s| {
            crate::index::planar_m(
                Point(c),
                Coord { x: s.geom().from[0], y: s.geom().from[1] },
                Coord { x: s.geom().to[0], y: s.geom().to[1] },
            )
            .1
        })
        .fold(f64::INFINITY, f64::min)
}

/// An endpoint that meets nothing: an overshoot when its line crossed
/// another line or the frame on the way to it, else a dangle.
/// An endpoint that meets nothing, and where its tail past the last
/// crossing starts: (segment, counted from the loose end; the crossing).
/// The tail bounds no face, so it must not vote for one.
fn classify_loose_end(
    tree: &RTree<Seg>,
    lines: &[Line],
    i: usize,
    last: bool,
    snap_m: f64,
) -> (Option<Finding>, Option<(usize, Coord<f64>)>) {
    let l = &lines[i];
    let end = if last { *l.pts.last().expect("≥ 2") } else { l.pts[0] };
    if nearest_other(tree, end, i) < 0.01 {
        return (None, None); // on another line or the frame: connected
    }
    // Walk back from the loose end to the first crossing.
    let pts: Vec<Coord<f64>> = if last { l.pts.iter().rev().copied().collect() } else { l.pts.clone() };
    let mut walked = 0.0;
    for (j, w) in pts.windows(2).enumerate() {
        let (p, q) = (w[0], w[1]);
        let env = AABB::from_corners([p.x.min(q.x), p.y.min(q.y)], [p.x.max(q.x), p.y.max(q.y)]);
        let t = tree
            .locate_in_envelope_intersecting(&env)
            .filter(|s| s.data.0 != i)
            .filter_map(|s| {
                meet(
                    p,
                    q,
                    Coord { x: s.geom().from[0], y: s.geom().from[1] },
                    Coord { x: s.geom().to[0], y: s.geom().to[1] },
                )
            })
            .fold(f64::INFINITY, f64::min);
        let at = Coord { x: p.x + t * (q.x - p.x), y: p.y + t * (q.y - p.y) };
        // Meeting something at its own other end is how a line connects,
        // not a crossing it runs past: such an end is a dangle. (Within a
        // metre: the far end may carry the half metre past the frame.)
        let far_end = pts[pts.len() - 1];
        if t.is_finite() && metres(at, far_end) > 1.0 {
            let len = walked + metres(p, at);
            if len <= snap_m {
                return (None, Some((j, at))); // trimmed by the noding, within the tolerance
            }
            let f = Finding {
                code: "overshoot",
                feature: l.feature.clone(),
                at: [end.x, end.y],
                distance_m: Some(len),
                message: format!(
                    "runs {len:.1} m past the line it crosses at {:.6}, {:.6} (more than the {snap_m} m snap)",
                    at.y, at.x
                ),
            };
            return (Some(f), Some((j, at)));
        }
        walked += metres(p, q);
    }
    (
        Some(Finding {
            code: "dangle",
            feature: l.feature.clone(),
            at: [end.x, end.y],
            distance_m: None,
            message: "ends without meeting another line or the frame".into(),
        }),
        None,
    )
}

/// Build the faces of `frame` cut by the boundary lines of `lines`.
///
/// ```
/// use delimit::layer::{Feature, Layer};
/// // A square frame cut north–south by one line; walking north, the
/// // west is on the left.
/// let line = geo::wkt!(LINESTRING(1. 0., 1. 2.));
/// let mut f = Feature { id: "l1".into(), index: 0, geometry: Some(line.into()), properties: Default::default() };
/// f.properties.insert("left".into(), "W".into());
/// f.properties.insert("right".into(), "E".into());
/// let lines = Layer { features: vec![f], ..delimit::sample::load("segments.geojson", &Default::default()).unwrap() };
/// let frame = geo::wkt!(MULTIPOLYGON(((0. 0., 2. 0., 2. 2., 0. 2., 0. 0.))));
/// let r = delimit::polygonize::polygonize(&lines, &frame, &[], &Default::default()).unwrap();
/// let owners: Vec<_> = r.faces.iter().map(|f| f.owner.clone().unwrap()).collect();
/// assert_eq!(owners, ["E", "W"]);
/// assert!(r.findings.is_empty());
/// ```
pub fn polygonize(
    layer: &Layer,
    frame: &MultiPolygon<f64>,
    frame_parties: &[(String, MultiPolygon<f64>)],
    opts: &Options,
) -> Result<Polygonized> {
    let mut findings = Vec::new();
    let mut lines = read_lines(layer, opts)?;
    let path = std::path::PathBuf::from(&layer.provenance.path);
    if lines.is_empty() {
        return Err(Error::Empty { path, layer: layer.name.clone() });
    }
    let shared = snap_endpoints(&mut lines, opts.snap_m, &mut findings);
    let frame_idx = crate::index::PolygonIndex::new(std::iter::once((0usize, frame)));
    snap_to_frame(&mut lines, &shared, frame, &frame_idx, opts.snap_m, &mut findings);

    // The frame must hold the lines: a line outside it would bound nothing.
    let tree = RTree::bulk_load(segments(&lines, frame));
    for l in &lines {
        for c in &l.pts {
            if frame_idx.locate(*c).is_empty()
                && nearest_where(&tree, *c, |line| line == usize::MAX) > opts.snap_m.max(0.01)
            {
                return Err(Error::InvalidInput {
                    path,
                    message: format!("feature {}: the line leaves the frame at {:.6}, {:.6}", l.feature, c.y, c.x),
                    hint: "give a --frame that covers every line (the frame closes the network; faces outside it are not built)".into(),
                });
            }
        }
    }
    let ends: Vec<(usize, bool)> = (0..lines.len()).flat_map(|i| [(i, false), (i, true)]).collect();
    // What each line votes with: the line less any overshooting tail.
    let mut cuts: Vec<[Option<Cut>; 2]> = vec![[None, None]; lines.len()];
    for (k, &(i, last)) in ends.iter().enumerate() {
        if shared[k] == 1 {
            let (finding, cut) = classify_loose_end(&tree, &lines, i, last, opts.snap_m);
            findings.extend(finding);
            cuts[i][usize::from(last)] = cut;
        }
    }
    let voting: Vec<Vec<Coord<f64>>> = lines
        .iter()
        .zip(&cuts)
        .map(|(l, [first, last])| {
            let n = l.pts.len();
            let from = first.map_or(0, |(j, _)| j + 1);
            let to = last.map_or(n, |(j, _)| n - 1 - j);
            if from >= to {
                return Vec::new(); // crossed twice within one segment: nothing left between
            }
            first
                .map(|(_, at)| at)
                .into_iter()
                .chain(l.pts[from..to].iter().copied())
                .chain(last.map(|(_, at)| at))
                .collect()
        })
        .collect();

    // Cut the frame on the overlay grid.
    let mut rect_pts: Vec<Coord<f64>> = lines.iter().flat_map(|l| l.pts.iter().copied()).collect();
    rect_pts.extend(frame.0.iter().flat_map(|p| p.exterior().0.iter().copied()));
    let rect = geo::BoundingRect::bounding_rect(&geo::MultiPoint::from(
        rect_pts.iter().map(|c| Point(*c)).collect::<Vec<_>>(),
    ))
    .ok_or(Error::Empty { path: path.clone(), layer: layer.name.clone() })?;
    let grid = Grid::for_rect(rect);
    let shapes = grid.shapes(frame);
    let paths: Vec<Vec<i_overlay::i_float::int::point::IntPoint>> = lines
        .iter()
        .map(|l| {
            let mut p: Vec<_> = l.pts.iter().map(|c| grid.to_int(*c)).collect();
            p.dedup();
            p
        })
        .filter(|p| p.len() >= 2)
        .collect();
    let cut = shapes.slice_by_paths(&paths, FillRule::NonZero);
    // Grid vertices go back to the coordinates they came from (the lines'
    // and the frame polygons'), so that the faces share their vertices
    // with the layers they will be overlaid with: no sub-millimetre slivers.
    let mut originals: std::collections::HashMap<i_overlay::i_float::int::point::IntPoint, Coord<f64>> =
        Default::default();
    let frame_vertices = frame_parties
        .iter()
        .flat_map(|(_, m)| m.0.iter())
        .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
        .flat_map(|r| r.0.iter());
    for c in lines.iter().flat_map(|l| l.pts.iter()).chain(frame_vertices) {
        originals.entry(grid.to_int(*c)).or_insert(*c);
    }
    let polys: Vec<Polygon<f64>> = grid
        .polygons(&cut)
        .into_iter()
        .map(|mut p| {
            let restore = |r: &mut LineString<f64>| {
                r.0.iter_mut().for_each(|c| *c = originals.get(&grid.to_int(*c)).copied().unwrap_or(*c))
            };
            p.exterior_mut(restore);
            p.interiors_mut(|rs| rs.iter_mut().for_each(restore));
            p
        })
        .collect();

    // Label the faces: every line segment votes, with its length, for its
    // left owner in the face just left of it and its right owner in the
    // face just right of it. A line inside one face (one that fails to
    // separate two owners) puts two owners on that face: a conflict.
    let polys: Vec<Polygon<f64>> = polys.into_iter().map(|p| p.orient(Direction::Default)).collect();
    let multis: Vec<MultiPolygon<f64>> = polys.iter().map(|p| MultiPolygon(vec![p.clone()])).collect();
    let face_idx = crate::index::PolygonIndex::new(multis.iter().enumerate());
    let mut votes: Vec<std::collections::BTreeMap<String, (f64, Coord<f64>)>> = vec![Default::default(); polys.len()];
    for (l, pts) in lines.iter().zip(&voting) {
        for w in pts.windows(2) {
            let (a, b) = (w[0], w[1]);
            let (dx, dy) = (b.x - a.x, b.y - a.y);
            let n = dx.hypot(dy);
            // A segment shorter than the 1 cm probe offset cannot say which
            // side is which (the snap onto the frame makes such stubs).
            if n == 0.0 || metres(a, b) < 0.05 {
                continue;
            }
            let m = Coord { x: (a.x + b.x) / 2.0, y: (a.y + b.y) / 2.0 };
            // About 1 cm either side, well inside the face a segment bounds.
            let off = 1e-7 / n;
            for (owner, sign) in [(&l.left, 1.0), (&l.right, -1.0)] {
                let probe = Coord { x: m.x - sign * dy * off, y: m.y + sign * dx * off };
                if let Some(f) = face_idx.first_inside(probe) {
                    let e = votes[f].entry(owner.clone()).or_insert((0.0, m));
                    e.0 += metres(a, b);
                }
            }
        }
    }
    let mut faces: Vec<Face> = Vec::new();
    let first_face_finding = findings.len();
    let mut face_of: Vec<usize> = Vec::new();
    for (k, poly) in polys.into_iter().enumerate() {
        let claimed_by: Vec<String> = votes[k].keys().cloned().collect();
        let area_m2 = crate::measure::geodesic_polygon_area_m2(&poly);
        let inside = geo::InteriorPoint::interior_point(&poly).map(|p| p.0).unwrap_or_default();
        let mut owner = (claimed_by.len() == 1).then(|| claimed_by[0].clone());
        if claimed_by.len() > 1 {
            // Located where the weaker claim is made.
            let (_, at) = votes[k].values().min_by(|a, b| a.0.total_cmp(&b.0)).copied().expect("≥ 2 votes");
            findings.push(Finding {
                code: "conflict",
                feature: String::new(),
                at: [at.x, at.y],
                distance_m: None,
                message: format!(
                    "the lines bounding this face ({:.3} km²) name {} on its side; not labelled",
                    area_m2 / 1e6,
                    claimed_by.join(" and ")
                ),
            });
        } else if claimed_by.is_empty() {
            // No line bounds it (an island, say): the frame polygon's party
            // when exactly one holds it, reported either way.
            let holders: Vec<&String> = frame_parties
                .iter()
                .filter(|(_, m)| geo::Intersects::intersects(m, &Point(inside)))
                .map(|(o, _)| o)
                .collect();
            let mut distinct = holders.clone();
            distinct.sort();
            distinct.dedup();
            if distinct.len() == 1 {
                owner = Some(distinct[0].clone());
                findings.push(Finding {
                    code: "from_frame",
                    feature: String::new(),
                    at: [inside.x, inside.y],
                    distance_m: None,
                    message: format!("no boundary line bounds this face ({:.3} km²); labelled {} from the frame polygon that holds it", area_m2 / 1e6, distinct[0]),
                });
            } else {
                findings.push(Finding {
                    code: "unlabelled",
                    feature: String::new(),
                    at: [inside.x, inside.y],
                    distance_m: None,
                    message: format!(
                        "no boundary line bounds this face ({:.3} km²), and the frame names no single party for it",
                        area_m2 / 1e6
                    ),
                });
            }
        }
        faces.push(Face { id: String::new(), owner, claimed_by, polygon: poly, area_m2 });
        face_of.resize(findings.len() - first_face_finding, k);
    }
    // Ids in a stable order: owner, then area, largest first.
    let mut order_of: Vec<usize> = (0..faces.len()).collect();
    order_of.sort_by(|&a, &b| faces[a].owner.cmp(&faces[b].owner).then(faces[b].area_m2.total_cmp(&faces[a].area_m2)));
    let mut sorted: Vec<Face> = order_of.iter().map(|&i| faces[i].clone()).collect();
    for (n, f) in sorted.iter_mut().enumerate() {
        f.id = format!("face-{}", n + 1);
    }
    // Face findings name the face by its final id.
    let mut new_id = vec![String::new(); sorted.len()];
    for (n, &k) in order_of.iter().enumerate() {
        new_id[k] = format!("face-{}", n + 1);
    }
    for (fd, &k) in findings[first_face_finding..].iter_mut().zip(&face_of) {
        fd.feature = new_id[k].clone();
    }
    findings.sort_by(|a, b| {
        a.code
            .cmp(b.code)
            .then(a.feature.cmp(&b.feature))
            .then(a.at[0].total_cmp(&b.at[0]))
            .then(a.at[1].total_cmp(&b.at[1]))
    });
    Ok(Polygonized { faces: sorted, findings, snap_m: opts.snap_m, snap_from: opts.snap_from.clone() })
}

/// Which fields name a party in a frame or control layer.
#[derive(Debug, Clone, Copy)]
pub struct FrameFields<'a> {
    pub owner: &'a str,
    pub controller: &'a str,
}

/// A frame, and its polygons by party (for faces no line bounds).
pub type FramePolygons = (MultiPolygon<f64>, Vec<(String, MultiPolygon<f64>)>);

/// The frame that closes a network of boundary lines: the union of
/// `frame` (when given: a feature with an owner or controller also names
/// the party of the faces no line bounds), else of the control polygons
/// held by the parties the lines name, else of the bundled legal layer's
/// polygons of those parties.
pub fn frame_for(
    lines: &Layer,
    opts: &Options,
    frame: Option<&Layer>,
    control: Option<&Layer>,
    fields: FrameFields<'_>,
) -> Result<FramePolygons> {
    // The frame is found from the parties the lines name: lines that name
    // none (polygons, or no side fields) are refused for that first.
    validate_lines(lines, opts)?;
    if let Some(f) = frame {
        let polys: Vec<_> = f.features.iter().filter_map(|x| x.polygons()).collect();
        if polys.is_empty() {
            return Err(Error::InvalidInput {
                path: f.provenance.path.clone().into(),
                message: "has no polygons".into(),
                hint: "--frame takes polygons whose union closes the line network".into(),
            });
        }
        let parties = f
            .features
            .iter()
            .filter_map(|x| {
                Some((x.text(fields.owner).or_else(|| x.text(fields.controller))?, x.polygons()?.into_owned()))
            })
            .collect();
        return Ok((frame_of(&polys.iter().map(|c| c.as_ref()).collect::<Vec<_>>()), parties));
    }
    let parties: std::collections::BTreeSet<String> =
        lines.features.iter().flat_map(|f| [f.text(&opts.left_field), f.text(&opts.right_field)]).flatten().collect();
    let pick = |layer: &Layer, field: &str| -> Vec<(String, MultiPolygon<f64>)> {
        layer
            .features
            .iter()
            .filter_map(|f| Some((f.text(field).filter(|k| parties.contains(k))?, f.polygons()?.into_owned())))
            .collect()
    };
    let mut polys = control.map(|c| pick(c, fields.controller)).unwrap_or_default();
    if polys.is_empty() {
        let bundled = crate::sample::load("legal.geojson", &crate::io::ReadOptions::default())?;
        polys = pick(&bundled, "owner");
    }
    if polys.is_empty() {
        return Err(Error::Usage {
            option: "--frame".into(),
            message: format!(
                "no control or bundled polygon belongs to {}",
                parties.into_iter().collect::<Vec<_>>().join(", ")
            ),
            hint: Some("give --frame FILE: polygons whose union closes the line network".into()),
        });
    }
    Ok((frame_of(&polys.iter().map(|(_, m)| m).collect::<Vec<_>>()), polys))
}

/// The union of polygons, as a frame: the outline the lines are closed by.
///
/// ```
/// let a = geo::wkt!(MULTIPOLYGON(((0. 0., 1. 0., 1. 1., 0. 1., 0. 0.))));
/// let b = geo::wkt!(MULTIPOLYGON(((1. 0., 2. 0., 2. 1., 1. 1., 1. 0.))));
/// let f = delimit::polygonize::frame_of(&[&a, &b]);
/// assert_eq!(f.0.len(), 1);
/// assert!((geo::Area::unsigned_area(&f) - 2.0).abs() < 1e-12);
/// ```
pub fn frame_of(polygons: &[&MultiPolygon<f64>]) -> MultiPolygon<f64> {
    let rects: Vec<geo::Rect<f64>> = polygons.iter().filter_map(|m| geo::BoundingRect::bounding_rect(*m)).collect();
    let Some(rect) = rects.iter().copied().reduce(|a, b| {
        geo::Rect::new(
            Coord { x: a.min().x.min(b.min().x), y: a.min().y.min(b.min().y) },
            Coord { x: a.max().x.max(b.max().x), y: a.max().y.max(b.max().y) },
        )
    }) else {
        return MultiPolygon(Vec::new());
    };
    let grid = Grid::for_rect(rect);
    let shapes: crate::overlay::grid::IntShapes = polygons.iter().flat_map(|m| grid.shapes(m)).collect();
    MultiPolygon(grid.polygons(&crate::overlay::split::union(&shapes)))
}

/// A legal basis from boundary lines, refused while any face is a conflict
/// or bounded by no line: such a face is never labelled silently.
pub fn legal_from_lines(
    lines: &Layer,
    frame: &MultiPolygon<f64>,
    frame_parties: &[(String, MultiPolygon<f64>)],
    opts: &Options,
    owner_field: &str,
) -> Result<(Layer, Polygonized)> {
    let r = polygonize(lines, frame, frame_parties, opts)?;
    let bad: Vec<String> = r
        .findings
        .iter()
        .filter(|f| f.code == "conflict" || f.code == "unlabelled")
        .map(|f| format!("{} at {:.6}, {:.6}: {}", f.feature, f.at[1], f.at[0], f.message))
        .collect();
    if !bad.is_empty() {
        return Err(Error::InvalidInput {
            path: lines.provenance.path.clone().into(),
            message: format!("{} face(s) cannot be labelled: {}", bad.len(), bad.join("; ")),
            hint: "inspect the faces with `delimit polygonize --legal-lines FILE -o faces.gpkg`; a gap at a sheet edge larger than --snap-m leaks two owners into one face".into(),
        });
    }
    let layer = r.to_layer(lines, owner_field);
    Ok((layer, r))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(feature: &str, pts: &[(f64, f64)]) -> Line {
        Line {
            feature: feature.into(),
            left: "A".into(),
            right: "B".into(),
            pts: pts.iter().map(|&(x, y)| Coord { x, y }).collect(),
        }
    }

    #[test]
    fn endpoints_snap_to_the_first_of_their_group_whatever_the_order() {
        // Three ends within 25 m of each other at 40°N (1e-4° ≈ 8.5 m of longitude).
        let mut lines = vec![
            line("a", &[(45.0, 40.0), (45.1, 40.0)]),
            line("b", &[(45.1001, 40.0), (45.2, 40.1)]),
            line("c", &[(45.1002, 40.0), (45.1, 40.2)]),
        ];
        let mut f = Vec::new();
        let shared = snap_endpoints(&mut lines, 25.0, &mut f);
        assert_eq!(lines[1].pts[0], Coord { x: 45.1, y: 40.0 });
        assert_eq!(lines[2].pts[0], Coord { x: 45.1, y: 40.0 });
        assert_eq!(shared, vec![1, 3, 3, 1, 3, 1]);
        assert_eq!(f.len(), 2);
        assert!(f.iter().all(|x| x.code == "snap" && x.distance_m.unwrap() > 8.0 && x.distance_m.unwrap() < 18.0));
    }

    #[test]
    fn ends_farther_than_the_snap_stay_apart() {
        let mut lines = vec![line("a", &[(45.0, 40.0), (45.1, 40.0)]), line("b", &[(45.1005, 40.0), (45.2, 40.1)])];
        let mut f = Vec::new();
        let shared = snap_endpoints(&mut lines, 25.0, &mut f);
        assert_eq!(shared, vec![1, 1, 1, 1]);
        assert!(f.is_empty());
        assert_eq!(lines[1].pts[0].x, 45.1005);
    }

    #[test]
    fn segments_meet_only_within_both() {
        let c = |x, y| Coord { x, y };
        assert_eq!(meet(c(0.0, 0.0), c(2.0, 0.0), c(1.0, -1.0), c(1.0, 1.0)), Some(0.5));
        assert_eq!(meet(c(0.0, 0.0), c(2.0, 0.0), c(3.0, -1.0), c(3.0, 1.0)), None);
        assert_eq!(meet(c(0.0, 0.0), c(2.0, 0.0), c(0.0, 1.0), c(2.0, 1.0)), None);
    }
}
