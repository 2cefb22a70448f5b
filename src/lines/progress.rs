//! How much of each legal line is delimited, per sector.

use std::collections::BTreeMap;

use geo::{Coord, Distance, Geodesic, Geometry, LineString, Point};
use serde::Serialize;

use super::{PairLine, Walk, stations_along};
use crate::index::{EdgeIndex, PolygonIndex};
use crate::layer::Layer;

/// Options for [`progress`].
#[derive(Debug, Clone)]
pub struct ProgressOptions {
    /// A segment whose median distance to every legal line exceeds this is
    /// a problem, not a match, m.
    pub max_distance_m: f64,
    /// Sampling step along segments and lines, m.
    pub step_m: f64,
}

impl Default for ProgressOptions {
    fn default() -> Self {
        ProgressOptions { max_distance_m: 500.0, step_m: 50.0 }
    }
}

/// Per pair and sector.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SectorProgress {
    /// Owner pair, "A|B".
    pub pair: String,
    /// The admin-1 units on either side, "A's unit | B's unit" (pair order); `all` for the pair total.
    pub sector: String,
    /// Legal line length, km.
    pub length_km: f64,
    /// Delimited, km.
    pub delimited_km: f64,
    /// Remaining, km.
    pub remaining_km: f64,
    /// Delimited share, percent.
    pub percent_delimited: f64,
}

/// A piece of the legal line, delimited or pending.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SplitPart {
    /// Owner pair.
    pub pair: String,
    /// Line part within the pair.
    pub part: usize,
    /// Sector.
    pub sector: String,
    /// `delimited` or `pending`.
    pub status: &'static str,
    /// Chainage from, km.
    pub from_km: f64,
    /// Chainage to, km.
    pub to_km: f64,
    /// Geometry.
    #[serde(skip)]
    pub geometry: LineString<f64>,
}

/// A segment matched to a legal line.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MatchedSegment {
    /// Segment feature id.
    pub segment: String,
    /// Pair it lies on.
    pub pair: String,
    /// Line part.
    pub part: usize,
    /// Chainage range on the legal line, km.
    pub from_km: f64,
    /// Chainage range on the legal line, km.
    pub to_km: f64,
    /// Median distance of its samples from the legal line, m.
    pub median_distance_m: f64,
    /// Largest distance, m.
    pub max_distance_m: f64,
}

/// A segment that lies far from every legal line.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SegmentProblem {
    /// Segment feature id.
    pub segment: String,
    /// Median distance of its samples from the nearest legal line, m.
    pub distance_m: f64,
    /// That line's pair.
    pub nearest_pair: Option<String>,
}

/// The outcome of [`progress`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Progress {
    /// Per pair (sector `all`) and per sector.
    pub sectors: Vec<SectorProgress>,
    /// Matched segments.
    pub matched: Vec<MatchedSegment>,
    /// Segments not matched.
    pub problems: Vec<SegmentProblem>,
    /// The legal lines split into delimited and pending parts.
    #[serde(skip)]
    pub parts: Vec<SplitPart>,
}

fn lines_of(g: Option<&Geometry<f64>>) -> Vec<LineString<f64>> {
    match g {
        Some(Geometry::LineString(l)) => vec![l.clone()],
        Some(Geometry::MultiLineString(m)) => m.0.clone(),
        _ => Vec::new(),
    }
}

/// Chainage (m) of point `p`, which lies on `l` (or near it): the nearest
/// edge (by the local planar metric, exact enough to pick the edge) and
/// the geodesic distance along it.
fn chainage_of(walk: &Walk<'_>, l: &LineString<f64>, p: Point<f64>) -> f64 {
    let i =
        l.0.windows(2)
            .map(|w| crate::index::planar_m(p, w[0], w[1]).1)
            .enumerate()
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .map_or(0, |(i, _)| i);
    let (q, _) = crate::index::nearest_on_segment(p, l.0[i], l.0[i + 1]);
    walk.chainage_at_vertex(i) + Geodesic.distance(Point(l.0[i]), q)
}

/// Match segments to legal lines and measure progress per sector.
///
/// Sectors come from `admin1` (polygons with `name` and `country`; only
/// `level` admin1 when that field exists): for each side, the unit of that
/// owner's country containing the line's point, else the nearest one.
///
/// ```
/// use delimit::lines::{pair_lines, progress, ProgressOptions};
/// let load = |n| delimit::sample::load(n, &Default::default()).unwrap();
/// let (legal, segments, admin1) = (load("legal.geojson"), load("segments.geojson"), load("admin1.geojson"));
/// let lines = pair_lines(&legal, "owner");
/// let p = progress(&lines, &segments, Some(&admin1), &ProgressOptions::default());
/// let total = p.sectors.iter().find(|s| s.pair == "ARM|AZE" && s.sector == "all").unwrap();
/// assert!((total.delimited_km - 4.9).abs() < 0.05);
/// assert!(p.problems.is_empty());
/// ```
pub fn progress(lines: &[PairLine], segments: &Layer, admin1: Option<&Layer>, opts: &ProgressOptions) -> Progress {
    // Every part of every pair in one index; the key is the pair's position.
    let keys: Vec<String> = (0..lines.len()).map(|i| i.to_string()).collect();
    let index = EdgeIndex::from_rings(
        lines
            .iter()
            .enumerate()
            .flat_map(|(i, pl)| pl.line.0.iter().enumerate().map(move |(j, l)| (j, i, l)))
            .map(|(j, i, l)| (j, keys[i].as_str(), l)),
    );
    let mut delimited: BTreeMap<(usize, usize), Vec<(f64, f64)>> = BTreeMap::new();
    let mut matched = Vec::new();
    let mut problems = Vec::new();
    for f in &segments.features {
        let samples: Vec<Point<f64>> =
            lines_of(f.geometry.as_ref()).iter().flat_map(|l| stations_along(l, opts.step_m)).map(|(_, p)| p).collect();
        let near: Vec<crate::index::Nearest> = samples.iter().filter_map(|&p| index.nearest(p, None, None)).collect();
        if near.is_empty() {
            problems.push(SegmentProblem { segment: f.id.clone(), distance_m: f64::INFINITY, nearest_pair: None });
            continue;
        }
        // The pair and part most samples are nearest to.
        let mut votes: BTreeMap<(String, usize), usize> = BTreeMap::new();
        for n in &near {
            *votes.entry((n.key.clone(), n.feature)).or_default() += 1;
        }
        let ((key, part), _) = votes
            .iter()
            .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
            .map(|(k, v)| (k.clone(), *v))
            .unwrap_or_default();
        let li: usize = key.parse().unwrap_or(0);
        let mut d: Vec<f64> = near.iter().map(|n| n.distance_m).collect();
        d.sort_by(f64::total_cmp);
        let median = d[d.len() / 2];
        let pair = lines[li].pair();
        if median > opts.max_distance_m {
            problems.push(SegmentProblem { segment: f.id.clone(), distance_m: median, nearest_pair: Some(pair) });
            continue;
        }
        let l = &lines[li].line.0[part];
        let walk = Walk::new(l);
        let ch: Vec<f64> =
            near.iter().filter(|n| n.key == key && n.feature == part).map(|n| chainage_of(&walk, l, n.point)).collect();
        let (from, to) = ch.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &c| (a.min(c), b.max(c)));
        delimited.entry((li, part)).or_default().push((from, to));
        matched.push(MatchedSegment {
            segment: f.id.clone(),
            pair,
            part,
            from_km: from / 1e3,
            to_km: to / 1e3,
            median_distance_m: median,
            max_distance_m: *d.last().unwrap_or(&0.0),
        });
    }

    // Each side's unit: the admin-1 unit of that owner's country that
    // contains the point, else the nearest one. Admin-1 layers are often
    // coarser than the legal line (Natural Earth runs ~1 km off OSM), so a
    // point offset to one side cannot be trusted to land in the right unit.
    let tiling = |f: &crate::layer::Feature| f.text("level").is_none_or(|l| l == "admin1");
    let admin: Option<(PolygonIndex, &Layer)> = admin1.map(|a| (PolygonIndex::of_layer(a, tiling), a));
    let edges: Option<EdgeIndex> = admin1.map(|a| EdgeIndex::of_layer(a, "country", tiling));
    let unit_of = |c: Coord<f64>, country: &str| -> String {
        let (Some((idx, layer)), Some(e)) = (&admin, &edges) else { return "?".into() };
        let inside =
            idx.locate(c).into_iter().find(|&(i, _)| layer.features[i].text("country").as_deref() == Some(country));
        let i = match inside {
            Some((i, _)) => Some(i),
            None => e.nearest_planar(Point(c), Some(country), None).map(|(_, f, _)| f),
        };
        i.and_then(|i| layer.features[i].text("name")).unwrap_or_else(|| "?".into())
    };

    let mut totals: BTreeMap<(String, String), (f64, f64)> = BTreeMap::new();
    let mut parts_out = Vec::new();
    for (li, pl) in lines.iter().enumerate() {
        let pair = pl.pair();
        totals.entry((pair.clone(), "all".into())).or_default();
        for (part, l) in pl.line.0.iter().enumerate() {
            let ivals = delimited.get(&(li, part)).cloned().unwrap_or_default();
            let walk = Walk::new(l);
            let st = stations_along(l, opts.step_m);
            let mut cuts: Vec<f64> = st.iter().map(|s| s.0).collect();
            for (a, b) in &ivals {
                cuts.push(*a);
                cuts.push(*b);
            }
            cuts.sort_by(f64::total_cmp);
            cuts.dedup_by(|a, b| (*a - *b).abs() < 1e-6);
            let total = st.last().map_or(0.0, |s| s.0);
            let mut cur: Option<(String, &'static str, f64, f64)> = None;
            for w in cuts.windows(2) {
                let (a, b) = (w[0], w[1].min(total));
                if b <= a {
                    continue;
                }
                let mid_m = (a + b) / 2.0;
                let mid = walk.point_at(mid_m);
                let sector = format!("{} | {}", unit_of(mid, &pl.a), unit_of(mid, &pl.b));
                let status =
                    if ivals.iter().any(|(x, y)| mid_m >= *x && mid_m <= *y) { "delimited" } else { "pending" };
                for key in [(pair.clone(), "all".to_string()), (pair.clone(), sector.clone())] {
                    let e = totals.entry(key).or_default();
                    e.0 += b - a;
                    if status == "delimited" {
                        e.1 += b - a;
                    }
                }
                match &mut cur {
                    Some((s, st_, _, to)) if *s == sector && *st_ == status => *to = b,
                    _ => {
                        if let Some((s, st_, from, to)) = cur.take() {
                            parts_out.push(SplitPart {
                                pair: pair.clone(),
                                part,
                                sector: s,
                                status: st_,
                                from_km: from / 1e3,
                                to_km: to / 1e3,
                                geometry: walk.substring(from, to),
                            });
                        }
                        cur = Some((sector, status, a, b));
                    }
                }
            }
            if let Some((s, st_, from, to)) = cur.take() {
                parts_out.push(SplitPart {
                    pair: pair.clone(),
                    part,
                    sector: s,
                    status: st_,
                    from_km: from / 1e3,
                    to_km: to / 1e3,
                    geometry: walk.substring(from, to),
                });
            }
        }
    }
    let sectors = totals
        .into_iter()
        .map(|((pair, sector), (len, del))| SectorProgress {
            pair,
            sector,
            length_km: len / 1e3,
            delimited_km: del / 1e3,
            remaining_km: (len - del) / 1e3,
            percent_delimited: if len > 0.0 { 100.0 * del / len } else { 0.0 },
        })
        .collect();
    Progress { sectors, matched, problems, parts: parts_out }
}
