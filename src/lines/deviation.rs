//! How far the line of control departs from the legal line: stations at a
//! geodesic step, signed offsets, and runs of one sign and band.

use super::*;

/// The deviation band of an offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Band {
    /// Within the tolerance.
    Within,
    /// Tolerance to 500 m.
    To500m,
    /// 500 m to 2 km.
    To2km,
    /// More than 2 km.
    Over2km,
}

impl Band {
    /// The band of an absolute offset.
    ///
    /// ```
    /// use delimit::lines::Band;
    /// assert_eq!(Band::of(80.0, 100.0), Band::Within);
    /// assert_eq!(Band::of(300.0, 100.0), Band::To500m);
    /// assert_eq!(Band::of(2000.0, 100.0), Band::To2km);
    /// assert_eq!(Band::of(2000.5, 100.0), Band::Over2km);
    /// ```
    pub fn of(abs_m: f64, tolerance_m: f64) -> Band {
        if abs_m <= tolerance_m {
            Band::Within
        } else if abs_m <= 500.0 {
            Band::To500m
        } else if abs_m <= 2000.0 {
            Band::To2km
        } else {
            Band::Over2km
        }
    }

    /// The label written to outputs.
    pub fn as_str(self) -> &'static str {
        match self {
            Band::Within => "within_tolerance",
            Band::To500m => "tolerance_500m",
            Band::To2km => "500m_2km",
            Band::Over2km => "over_2km",
        }
    }
}

/// One station on the legal line.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Station {
    /// Owner pair, "A|B".
    pub pair: String,
    /// Index of the line within the pair (0 is the longest).
    pub part: usize,
    /// Geodesic distance from the part's origin (its first vertex), km.
    pub chainage_km: f64,
    /// Signed offset to the control line, m: positive when the control
    /// line lies in A's legal territory, negative in B's.
    pub offset_m: f64,
    /// On whose legal side the control line lies (`on_line` when the station
    /// is on it, or the side cannot be told).
    pub side: String,
    /// Deviation band.
    pub band: Band,
    /// The station.
    #[serde(skip)]
    pub point: Point<f64>,
    /// The nearest control point.
    #[serde(skip)]
    pub control_point: Point<f64>,
}

/// A stretch of constant sign and band (for styling), or of constant sign
/// beyond the tolerance (a deviating run).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Run {
    /// Owner pair.
    pub pair: String,
    /// Line part.
    pub part: usize,
    /// Whose legal territory the control line lies in.
    pub side: String,
    /// Band (the largest, for a deviating run).
    pub band: Band,
    /// Chainage at the first station, km.
    pub from_km: f64,
    /// Chainage at the last station, km.
    pub to_km: f64,
    /// Largest absolute offset, m.
    pub max_offset_m: f64,
    /// Mean signed offset, m.
    pub mean_offset_m: f64,
    /// The settlement nearest the run's middle station, if a layer was given.
    pub nearest_settlement: Option<String>,
    /// The legal line between the two stations.
    #[serde(skip)]
    pub geometry: LineString<f64>,
}

/// Per pair.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PairSummary {
    /// Owner pair.
    pub pair: String,
    /// Legal line length, km.
    pub length_km: f64,
    /// Control line length for the same pair, km (0 when none).
    pub control_length_km: f64,
    /// Where chainage 0 is: [lon, lat] of the first vertex of each part.
    pub origins: Vec<[f64; 2]>,
    /// Length within the tolerance, km.
    pub within_km: f64,
    /// Length per band, km (by station spacing).
    pub by_band_km: BTreeMap<&'static str, f64>,
    /// Hausdorff distance between legal and control lines, m.
    pub hausdorff_m: Option<f64>,
    /// The ten longest deviating runs.
    pub longest_runs: Vec<Run>,
}

/// Options for [`deviation`].
#[derive(Debug, Clone)]
pub struct LinesOptions {
    /// Station spacing, m.
    pub step_m: f64,
    /// Offsets at or below this are within tolerance, m.
    pub tolerance_m: f64,
    /// Settlement name field.
    pub name_field: String,
}

impl Default for LinesOptions {
    fn default() -> Self {
        LinesOptions { step_m: 100.0, tolerance_m: 100.0, name_field: "name".into() }
    }
}

/// Stations, runs and per-pair summaries.
#[derive(Debug, Clone, Default)]
pub struct Deviation {
    /// Every station, by pair, part and chainage.
    pub stations: Vec<Station>,
    /// Runs of constant sign and band.
    pub band_runs: Vec<Run>,
    /// Deviating runs (constant sign, beyond tolerance).
    pub deviating_runs: Vec<Run>,
    /// Per pair.
    pub pairs: Vec<PairSummary>,
}

/// Points along a line every `step` metres (geodesic), with chainage; the
/// last vertex is always a station.
pub fn stations_along(l: &LineString<f64>, step_m: f64) -> Vec<(f64, Point<f64>)> {
    let mut out = Vec::new();
    let Some(&first) = l.0.first() else { return out };
    out.push((0.0, Point(first)));
    let mut done = 0.0; // chainage at the start of the current edge
    let mut next = step_m;
    for w in l.0.windows(2) {
        let len = Geodesic.distance(Point(w[0]), Point(w[1]));
        while next < done + len - 1e-9 {
            // Within one short edge the geodesic and the lon/lat-straight
            // parameterisations agree to far below a metre.
            let t = (next - done) / len;
            out.push((next, Point::new(w[0].x + t * (w[1].x - w[0].x), w[0].y + t * (w[1].y - w[0].y))));
            next += step_m;
        }
        done += len;
    }
    let last = *l.0.last().unwrap_or(&first);
    if out.last().is_none_or(|(c, _)| done - c > 1e-6) {
        out.push((done, Point(last)));
    }
    out
}

/// A line with its cumulative geodesic chainage at each vertex, for
/// repeated lookups by chainage (binary search, not a walk).
#[derive(Debug, Clone)]
pub struct Walk<'a> {
    line: &'a LineString<f64>,
    cum: Vec<f64>,
}

impl<'a> Walk<'a> {
    /// Measure `line` once.
    pub fn new(line: &'a LineString<f64>) -> Walk<'a> {
        let mut cum = Vec::with_capacity(line.0.len());
        let mut done = 0.0;
        cum.push(0.0);
        for w in line.0.windows(2) {
            done += Geodesic.distance(Point(w[0]), Point(w[1]));
            cum.push(done);
        }
        Walk { line, cum }
    }

    /// Chainage at vertex `i`, m.
    pub fn chainage_at_vertex(&self, i: usize) -> f64 {
        self.cum.get(i).copied().unwrap_or_else(|| self.length_m())
    }

    /// Total length, m.
    pub fn length_m(&self) -> f64 {
        *self.cum.last().unwrap_or(&0.0)
    }

    /// The point at chainage `ch` (m), clamped to the line.
    pub fn point_at(&self, ch: f64) -> Coord<f64> {
        let n = self.cum.len();
        if n < 2 {
            return self.line.0.first().copied().unwrap_or(Coord::zero());
        }
        let i = self.cum.partition_point(|&c| c <= ch).clamp(1, n - 1);
        let (a, b) = (self.line.0[i - 1], self.line.0[i]);
        let len = self.cum[i] - self.cum[i - 1];
        let t = if len > 0.0 { ((ch - self.cum[i - 1]) / len).clamp(0.0, 1.0) } else { 0.0 };
        Coord { x: a.x + t * (b.x - a.x), y: a.y + t * (b.y - a.y) }
    }

    /// The part between two chainages (m).
    pub fn substring(&self, from_m: f64, to_m: f64) -> LineString<f64> {
        let mut pts = vec![self.point_at(from_m)];
        let start = self.cum.partition_point(|&c| c <= from_m);
        let end = self.cum.partition_point(|&c| c < to_m);
        for i in start..end.min(self.line.0.len()) {
            if pts.last() != Some(&self.line.0[i]) {
                pts.push(self.line.0[i]);
            }
        }
        let last = self.point_at(to_m);
        pts.push(last);
        LineString::new(pts)
    }
}

/// Walk every legal pair line and measure its offset to the control line of
/// the same pair.
///
/// `legal_lines` and `control_lines` come from [`pair_lines`] (or from line
/// layers); `legal` locates which side a control point is on.
#[allow(clippy::too_many_arguments)]
/// Refuse a station spacing whose stations would not fit the memory
/// budget ([`crate::limits`]): every station is held until the runs are
/// built. Cheap; call it before other work.
pub fn check_budget(legal_lines: &[PairLine], control_lines: &[PairLine], step_m: f64) -> crate::Result<()> {
    let total_m: f64 = legal_lines.iter().chain(control_lines).map(|l| l.length_m).sum();
    crate::limits::check(
        "--step",
        &format!("{} m", crate::io::short_number(step_m)),
        total_m / step_m,
        crate::limits::STATION_BYTES,
        "stations",
        "give a larger --step",
    )
}

/// Stations along each legal line, offsets to the control line, runs and
/// per-pair summaries (see the module docs). Fails only when `opts.step_m`
/// is over the memory budget ([`check_budget`]).
pub fn deviation(
    legal_lines: &[PairLine],
    control_lines: &[PairLine],
    legal: &Layer,
    owner_field: &str,
    control: Option<(&Layer, &str)>,
    settlements: Option<&Layer>,
    opts: &LinesOptions,
) -> crate::Result<Deviation> {
    let where_control = control.map(|(c, _)| PolygonIndex::of_layer(c, |_| true));
    let controller_at = |p: Point<f64>| -> Option<String> {
        let (layer, field) = control?;
        let hits = where_control.as_ref()?.locate(p.0);
        if hits.iter().any(|h| h.1 == Position::Boundary) {
            return None;
        }
        let keys: Vec<String> = hits.iter().filter_map(|&(i, _)| layer.features[i].text(field)).collect();
        // Contested (two controllers) tells nothing about the side.
        if keys.windows(2).any(|w| w[0] != w[1]) { None } else { keys.into_iter().next() }
    };
    let where_legal = PolygonIndex::of_layer(legal, |_| true);
    let owner_at = |p: Point<f64>| -> Option<String> {
        let hits = where_legal.locate(p.0);
        if hits.iter().any(|h| h.1 == Position::Boundary) {
            return None;
        }
        hits.first().and_then(|&(i, _)| legal.features[i].text(owner_field))
    };
    let places = crate::index::Places::new(settlements, &opts.name_field);
    let nearest_place = |p: Point<f64>| places.nearest(p).map(str::to_string);

    check_budget(legal_lines, control_lines, opts.step_m)?;
    let mut out =
        Deviation { stations: Vec::new(), band_runs: Vec::new(), deviating_runs: Vec::new(), pairs: Vec::new() };
    for pl in legal_lines {
        let pair = pl.pair();
        let control = control_lines.iter().find(|c| c.a == pl.a && c.b == pl.b);
        let c_index = control.map(|c| EdgeIndex::from_rings(c.line.0.iter().enumerate().map(|(i, l)| (i, "c", l))));
        let mut summary = PairSummary {
            pair: pair.clone(),
            length_km: pl.length_m / 1e3,
            control_length_km: control.map_or(0.0, |c| c.length_m / 1e3),
            origins: pl.line.0.iter().filter_map(|l| l.0.first().map(|c| [c.x, c.y])).collect(),
            within_km: 0.0,
            by_band_km: BTreeMap::new(),
            hausdorff_m: None,
            longest_runs: Vec::new(),
        };
        let mut pair_runs: Vec<Run> = Vec::new();
        let mut directed_max: f64 = 0.0;
        for (part, l) in pl.line.0.iter().enumerate() {
            let Some(ci) = &c_index else { break };
            let mut st: Vec<Station> = Vec::new();
            let walk = Walk::new(l);
            for (ch, p) in stations_along(l, opts.step_m) {
                let Some(n) = ci.nearest(p, None, None) else { continue };
                let side_owner = if n.distance_m <= 1e-6 {
                    None
                } else {
                    // A station on a control edge (the ends of a line often
                    // are) is read a metre along the line.
                    let held = controller_at(p)
                        .or_else(|| controller_at(Point(walk.point_at(ch + 1.0))))
                        .or_else(|| controller_at(Point(walk.point_at(ch - 1.0))));
                    match held {
                        // Held by B: the control line lies on A's side, and vice versa.
                        Some(c) if c == pl.b => Some(pl.a.clone()),
                        Some(c) if c == pl.a => Some(pl.b.clone()),
                        _ => owner_at(n.point),
                    }
                };
                let sign = match side_owner.as_deref() {
                    Some(o) if o == pl.a => 1.0,
                    Some(o) if o == pl.b => -1.0,
                    _ => 0.0,
                };
                directed_max = directed_max.max(n.distance_m);
                st.push(Station {
                    pair: pair.clone(),
                    part,
                    chainage_km: ch / 1e3,
                    offset_m: sign * n.distance_m,
                    side: side_owner.unwrap_or_else(|| "on_line".into()),
                    band: Band::of(n.distance_m, opts.tolerance_m),
                    point: p,
                    control_point: n.point,
                });
            }
            // Length per band: each station stands for half the way to each neighbour.
            for (k, s) in st.iter().enumerate() {
                let prev = if k > 0 { st[k - 1].chainage_km } else { s.chainage_km };
                let next = st.get(k + 1).map_or(s.chainage_km, |n| n.chainage_km);
                let share = (next - prev) / 2.0;
                *summary.by_band_km.entry(s.band.as_str()).or_default() += share;
                if s.band == Band::Within {
                    summary.within_km += share;
                }
            }
            let runs_by = |same: &dyn Fn(&Station, &Station) -> bool, keep: &dyn Fn(&Station) -> bool| -> Vec<Run> {
                let mut runs = Vec::new();
                let mut k = 0;
                while k < st.len() {
                    let mut e = k;
                    while e + 1 < st.len() && same(&st[k], &st[e + 1]) {
                        e += 1;
                    }
                    if keep(&st[k]) {
                        let seg = &st[k..=e];
                        let mid = seg[seg.len() / 2].point;
                        runs.push(Run {
                            pair: pair.clone(),
                            part,
                            side: st[k].side.clone(),
                            band: seg.iter().map(|s| s.band).max().unwrap_or(Band::Within),
                            from_km: st[k].chainage_km,
                            to_km: st[e].chainage_km,
                            max_offset_m: seg.iter().map(|s| s.offset_m.abs()).fold(0.0, f64::max),
                            mean_offset_m: seg.iter().map(|s| s.offset_m).sum::<f64>() / seg.len() as f64,
                            nearest_settlement: nearest_place(mid),
                            geometry: walk.substring(st[k].chainage_km * 1e3, st[e].chainage_km * 1e3),
                        });
                    }
                    k = e + 1;
                }
                runs
            };
            let sign = |s: &Station| if s.band == Band::Within { 0.0 } else { s.offset_m.signum() };
            out.band_runs.extend(runs_by(&|a, b| a.band == b.band && sign(a) == sign(b), &|_| true));
            pair_runs.extend(runs_by(&|a, b| sign(a) == sign(b), &|s| s.band != Band::Within));
            out.stations.extend(st);
        }
        // Hausdorff: the larger of the two directed distances, the reverse
        // one by walking the control line against the legal line.
        if let Some(c) = control {
            let l_index = EdgeIndex::from_rings(pl.line.0.iter().enumerate().map(|(i, l)| (i, "l", l)));
            let mut back: f64 = 0.0;
            for l in &c.line.0 {
                for (_, p) in stations_along(l, opts.step_m) {
                    if let Some(n) = l_index.nearest(p, None, None) {
                        back = back.max(n.distance_m);
                    }
                }
            }
            summary.hausdorff_m = Some(directed_max.max(back));
        }
        let mut longest = pair_runs.clone();
        longest.sort_by(|a, b| {
            (b.to_km - b.from_km)
                .total_cmp(&(a.to_km - a.from_km))
                .then(a.part.cmp(&b.part))
                .then(a.from_km.total_cmp(&b.from_km))
        });
        longest.truncate(10);
        summary.longest_runs = longest;
        out.deviating_runs.extend(pair_runs);
        out.pairs.push(summary);
    }
    Ok(out)
}
