//! `changes`: control over time. What changed hands between control
//! snapshots, when, from whom to whom, and whose legal territory it was.
//!
//! # Method
//! 1. Each snapshot is overlaid with the legal basis ([`gaps`]), all on one
//!    grid (the box of the basis and every snapshot): the *held series*,
//!    per date, owner and party.
//! 2. For each period, the pieces of the first date (each knows its owner,
//!    legal unit and controller) are overlaid with the second snapshot, on
//!    the same grid. Each resulting piece has a controller before and after;
//!    those that differ are the changes.
//! 3. Exactness: for every period, owner and party, the area the second
//!    overlay gives before and after must equal the held series at both
//!    dates (two independent overlays), to 1e-9 of the owner's legal area.
//!    Then held(t2) = held(t1) + gained − lost holds to that tolerance; a
//!    failure is an error naming the period, owner and party.
//!
//! A snapshot identical to the one before (same controllers, same
//! coordinates) is not overlaid again: it costs its reading only.
//!
//! Control outside the legal basis is not followed here: changes are
//! measured against the legal basis, as the question is whose legal
//! territory changed hands.

use std::collections::BTreeMap;

use geo::{BoundingRect, CoordsIter, Geometry, InteriorPoint, Polygon, Rect};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::layer::{Feature, Layer, Provenance, Role};
use crate::overlay::{Class, Gap, GapsOptions, gaps};

/// One control snapshot with its date and where the date came from.
#[derive(Debug, Clone)]
pub struct Snapshot {
    /// `YYYY-MM-DD`.
    pub date: String,
    /// `field as_of` or `file name`.
    pub date_from: String,
    /// The control polygons in force at that date.
    pub layer: Layer,
}

/// A date as `YYYY-MM-DD`, from `YYYY-MM-DD`, `YYYYMMDD` or an ISO 8601
/// date-time (its date part). None when it is not a calendar date.
///
/// ```
/// use delimit::changes::parse_date;
/// assert_eq!(parse_date("2023-09-19").as_deref(), Some("2023-09-19"));
/// assert_eq!(parse_date("20230919").as_deref(), Some("2023-09-19"));
/// assert_eq!(parse_date("2023-09-19T06:00:00Z").as_deref(), Some("2023-09-19"));
/// assert_eq!(parse_date("2023-02-30"), None);
/// assert_eq!(parse_date("September 2023"), None);
/// ```
pub fn parse_date(s: &str) -> Option<String> {
    let s = s.trim();
    let (y, m, d) = if s.len() >= 10 && s.as_bytes()[4] == b'-' && s.as_bytes()[7] == b'-' {
        if s.len() > 10 && s.as_bytes()[10] != b'T' && s.as_bytes()[10] != b' ' {
            return None;
        }
        (s.get(0..4)?, s.get(5..7)?, s.get(8..10)?)
    } else if s.len() == 8 {
        (s.get(0..4)?, s.get(4..6)?, s.get(6..8)?)
    } else {
        return None;
    };
    let all_digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
    if !(all_digits(y) && all_digits(m) && all_digits(d)) {
        return None;
    }
    let (yy, mm, dd): (u32, u32, u32) = (y.parse().ok()?, m.parse().ok()?, d.parse().ok()?);
    let leap = (yy % 4 == 0 && yy % 100 != 0) || yy % 400 == 0;
    let days = [31, if leap { 29 } else { 28 }, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    (1..=12).contains(&mm).then_some(())?;
    (1..=days[mm as usize - 1]).contains(&dd).then_some(())?;
    Some(format!("{y}-{m}-{d}"))
}

/// The first date written `YYYY-MM-DD` or `YYYYMMDD` in a file name.
///
/// ```
/// use delimit::changes::date_in_name;
/// assert_eq!(date_in_name("front_2024-04-19.geojson").as_deref(), Some("2024-04-19"));
/// assert_eq!(date_in_name("isw-20220901-ua.gpkg").as_deref(), Some("2022-09-01"));
/// assert_eq!(date_in_name("positions.geojson"), None);
/// ```
pub fn date_in_name(name: &str) -> Option<String> {
    let b = name.as_bytes();
    for i in 0..b.len() {
        // Not inside a longer run of digits.
        if i > 0 && b[i - 1].is_ascii_digit() {
            continue;
        }
        for len in [10, 8] {
            if let Some(t) = name.get(i..i + len)
                && !name.as_bytes().get(i + len).is_some_and(u8::is_ascii_digit)
                && let Some(d) = parse_date(t)
            {
                return Some(d);
            }
        }
    }
    None
}

/// A feature's date, or an error naming the file, the feature and the field.
fn date_of(path: &str, f: &Feature, time_field: &str, v: &str) -> Result<String> {
    parse_date(v).ok_or_else(|| Error::FieldValue {
        path: path.into(),
        feature: f.id.clone(),
        field: time_field.into(),
        problem: format!("`{v}` is not a date (YYYY-MM-DD)"),
    })
}

fn series_error(path: &str, message: String, hint: &str) -> Error {
    Error::InvalidInput { path: path.into(), message, hint: hint.into() }
}

/// One file as one snapshot: its date is the one value of `time_field`
/// its features share, else the first date in its file name.
pub fn snapshot_of_file(layer: Layer, time_field: &str) -> Result<Snapshot> {
    let path = layer.provenance.path.clone();
    if layer.features.is_empty() {
        return Err(series_error(
            &path,
            "the snapshot has no features".into(),
            "an empty snapshot says nothing about control; leave it out of the series",
        ));
    }
    let mut dates: Vec<String> = Vec::new();
    for f in &layer.features {
        if let Some(v) = f.text(time_field) {
            let d = date_of(&path, f, time_field, &v)?;
            if !dates.contains(&d) {
                dates.push(d);
            }
        }
    }
    dates.sort();
    match dates.len() {
        1 => Ok(Snapshot { date: dates.remove(0), date_from: format!("field {time_field}"), layer }),
        0 => {
            let name =
                std::path::Path::new(&path).file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            match date_in_name(&name) {
                Some(date) => Ok(Snapshot { date, date_from: "file name".into(), layer }),
                None => Err(series_error(
                    &path,
                    format!(
                        "the snapshot has no date: no feature has `{time_field}`, and the file name holds no YYYY-MM-DD or YYYYMMDD"
                    ),
                    "add the date to the file name (positions_2024-04-19.geojson), set --time-field, or give the features an as_of",
                )),
            }
        }
        _ => Err(series_error(
            &path,
            format!("one file holds {} dates in `{time_field}` ({})", dates.len(), dates.join(", ")),
            "a file with several dates is a series: pass it as --series FILE (it is split by --time-field)",
        )),
    }
}

/// One layer split into snapshots by the date in `time_field`.
pub fn split_series(layer: Layer, time_field: &str) -> Result<Vec<Snapshot>> {
    let path = layer.provenance.path.clone();
    let mut by: BTreeMap<String, Vec<Feature>> = BTreeMap::new();
    let Layer { name, role, features, fields, provenance, notes } = layer;
    for f in features {
        let Some(v) = f.text(time_field) else {
            return Err(Error::FieldValue {
                path: path.clone().into(),
                feature: f.id.clone(),
                field: time_field.into(),
                problem: "is missing: every feature of a series needs its date".into(),
            });
        };
        let d = date_of(&path, &f, time_field, &v)?;
        by.entry(d).or_default().push(f);
    }
    if by.is_empty() {
        return Err(series_error(&path, "the series has no features".into(), "check the file and --layer"));
    }
    Ok(by
        .into_iter()
        .map(|(date, features)| Snapshot {
            date,
            date_from: format!("field {time_field}"),
            layer: Layer {
                name: name.clone(),
                role,
                features,
                fields: fields.clone(),
                provenance: provenance.clone(),
                notes: notes.clone(),
            },
        })
        .collect())
}

/// Order snapshots by date; two with one date is an error naming both.
pub fn order(mut snaps: Vec<Snapshot>) -> Result<Vec<Snapshot>> {
    snaps.sort_by(|a, b| a.date.cmp(&b.date));
    for w in snaps.windows(2) {
        if w[0].date == w[1].date {
            return Err(series_error(
                &w[1].layer.provenance.path,
                format!(
                    "two snapshots are dated {}: {} and {}",
                    w[0].date, w[0].layer.provenance.path, w[1].layer.provenance.path
                ),
                "each snapshot needs its own date; merge the two or correct one date",
            ));
        }
    }
    Ok(snaps)
}

/// What legal area no control polygon covers counts as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Rest {
    /// Held by no one (`-`): the default, and what the data says.
    #[default]
    Unassigned,
    /// Held by its legal owner: an assumption for partial snapshots that
    /// map only one party's positions. Every output states it.
    Owner,
}

/// Options for [`changes`].
#[derive(Debug, Clone, Default)]
pub struct ChangesOptions {
    /// The overlay's options (fields, tolerance, repair).
    pub gaps: GapsOptions,
    /// Controller of every control feature that has none.
    pub controller: Option<String>,
    /// What uncovered legal area counts as.
    pub rest: Rest,
    /// Compare these two dates directly, skipping those between.
    pub between: Option<(String, String)>,
    /// Leave out snapshots before this date.
    pub since: Option<String>,
}

/// One piece that changed controller between two snapshots.
#[derive(Debug, Clone, Serialize)]
pub struct Change {
    /// Stable: a hash of the dates, legal unit, controllers and an interior point.
    pub id: String,
    pub from_date: String,
    pub to_date: String,
    /// Legal owner (both, joined by `|`, on a dual claim).
    pub owner: String,
    /// Legal unit id.
    pub legal_unit: String,
    /// Controller at `from_date` (`-`: no one; `A|B`: contested).
    pub controller_before: String,
    /// Controller at `to_date`.
    pub controller_after: String,
    /// Area on the ellipsoid, m².
    pub area_m2: f64,
    /// Largest inscribed circle's diameter, m.
    pub width_m: f64,
    /// Narrower than the tolerance: a redigitised line, not a move.
    pub sliver: bool,
    /// Settlements inside.
    pub settlements: Vec<String>,
    #[serde(skip)]
    pub geometry: Polygon<f64>,
}

/// km² of an owner's legal territory held by a party on a date.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Held {
    pub date: String,
    pub owner: String,
    /// Controller (`-`: no one).
    pub party: String,
    pub km2: f64,
}

/// One period, owner and party: held before, gained, lost, held after.
#[derive(Debug, Clone, Serialize)]
pub struct PeriodRow {
    pub from_date: String,
    pub to_date: String,
    pub owner: String,
    pub party: String,
    pub held_before_km2: f64,
    pub gained_km2: f64,
    pub lost_km2: f64,
    pub held_after_km2: f64,
    /// km² gained, by the party it came from.
    pub gained_from: BTreeMap<String, f64>,
    /// km² lost, by the party it went to.
    pub lost_to: BTreeMap<String, f64>,
}

/// The outcome of [`changes`].
#[derive(Debug, Clone, Serialize)]
pub struct ChangesResult {
    /// The dates compared, with where each came from.
    pub dates: Vec<(String, String)>,
    /// Pieces that changed controller, by period then legal unit.
    pub changes: Vec<Change>,
    /// The held series.
    pub held: Vec<Held>,
    /// Per period, owner and party.
    pub periods: Vec<PeriodRow>,
    /// Periods whose two snapshots are identical (not overlaid again).
    pub unchanged_periods: usize,
    /// Worst deviation of the identity, as a fraction of the owner's legal area.
    pub worst_identity: f64,
    /// Sliver tolerance, m.
    pub tolerance_m: f64,
}

/// The identity's tolerance, as a fraction of the owner's legal area.
pub const IDENTITY_TOLERANCE: f64 = 1e-9;

fn digest(layer: &Layer, field: &str) -> [u8; 32] {
    let mut h = Sha256::new();
    for f in &layer.features {
        h.update(f.text(field).unwrap_or_default().as_bytes());
        h.update([0]);
        if let Some(g) = &f.geometry {
            for c in g.coords_iter() {
                h.update(c.x.to_le_bytes());
                h.update(c.y.to_le_bytes());
            }
        }
        h.update([1]);
    }
    h.finalize().into()
}

fn party_of(g: &Gap, rest: Rest) -> String {
    match (&g.controller, g.class, rest) {
        (Some(c), _, _) => c.clone(),
        (None, Class::Unassigned, Rest::Owner) => g.owner.clone().unwrap_or_else(|| "-".into()),
        _ => "-".into(),
    }
}

fn union(a: Option<Rect<f64>>, b: Option<Rect<f64>>) -> Option<Rect<f64>> {
    match (a, b) {
        (Some(a), Some(b)) => Some(Rect::new(
            geo::coord! { x: a.min().x.min(b.min().x), y: a.min().y.min(b.min().y) },
            geo::coord! { x: a.max().x.max(b.max().x), y: a.max().y.max(b.max().y) },
        )),
        (a, b) => a.or(b),
    }
}

/// Control over time against the legal basis.
///
/// ```
/// use delimit::changes::{changes, ChangesOptions, Snapshot};
/// use delimit::io::{read_geojson_bytes, ReadOptions};
/// use delimit::layer::Role;
/// let fc = |props: &str, x0: f64, x1: f64| format!(r#"{{"type":"FeatureCollection","features":[
///   {{"type":"Feature","properties":{props},"geometry":{{"type":"Polygon","coordinates":[[[{x0},0],[{x1},0],[{x1},0.1],[{x0},0.1],[{x0},0]]]}}}}]}}"#);
/// let read = |text: String, role| read_geojson_bytes("t.geojson".as_ref(), text.as_bytes(), &ReadOptions { role: Some(role), ..Default::default() }).unwrap();
/// let legal = read(fc(r#"{"owner":"A"}"#, 0.0, 0.2), Role::Legal);
/// // B holds the west half on day 1 and the west three quarters on day 2.
/// let day = |d: &str, x1: f64| Snapshot { date: d.into(), date_from: "test".into(),
///     layer: read(fc(r#"{"controller":"B"}"#, 0.0, x1), Role::Control) };
/// let r = changes(&legal, &[day("2024-01-01", 0.1), day("2024-01-02", 0.15)], None, &ChangesOptions::default()).unwrap();
/// assert_eq!(r.changes.len(), 1);
/// let c = &r.changes[0];
/// assert_eq!((c.controller_before.as_str(), c.controller_after.as_str()), ("-", "B"));
/// let held = |d: &str| r.held.iter().find(|h| h.date == d && h.party == "B").unwrap().km2;
/// assert!((held("2024-01-02") - held("2024-01-01") - c.area_m2 / 1e6).abs() < 1e-9);
/// ```
pub fn changes(
    legal: &Layer,
    snapshots: &[Snapshot],
    settlements: Option<&Layer>,
    opts: &ChangesOptions,
) -> Result<ChangesResult> {
    let cf = opts.gaps.controller_field.clone();
    // Partial snapshots: one controller for every feature that has none.
    let snaps: Vec<Snapshot> = snapshots
        .iter()
        .filter(|s| opts.since.as_ref().is_none_or(|d| s.date >= *d))
        .map(|s| {
            let mut s = s.clone();
            if let Some(c) = &opts.controller {
                for f in &mut s.layer.features {
                    if f.text(&cf).is_none_or(|v| v.trim().is_empty()) {
                        f.properties.insert(cf.clone(), c.clone().into());
                    }
                }
            }
            s
        })
        .collect();
    for s in &snaps {
        if let Some(f) = s.layer.features.iter().find(|f| f.text(&cf).is_none_or(|v| v.trim().is_empty())) {
            return Err(Error::FieldValue {
                path: s.layer.provenance.path.clone().into(),
                feature: f.id.clone(),
                field: cf.clone(),
                problem: "is missing: give every feature its controller, or pass --controller CODE for a snapshot of one party's positions".into(),
            });
        }
    }
    let snaps: Vec<Snapshot> = match &opts.between {
        Some((a, b)) => {
            let find = |d: &str| {
                snaps.iter().find(|s| s.date == d).cloned().ok_or_else(|| Error::Usage {
                    option: "--between".into(),
                    message: format!("no snapshot is dated {d}"),
                    hint: Some(format!(
                        "dates: {}",
                        snaps.iter().map(|s| s.date.as_str()).collect::<Vec<_>>().join(", ")
                    )),
                })
            };
            let (a, b) = if a <= b { (a, b) } else { (b, a) };
            vec![find(a)?, find(b)?]
        }
        None => snaps,
    };
    if snaps.len() < 2 {
        return Err(Error::Usage {
            option: "--control/--series".into(),
            message: format!("{} snapshot(s) to compare; changes need two or more", snaps.len()),
            hint: Some("give two or more dated control layers (or lower --since)".into()),
        });
    }

    // One grid for every overlay of the run.
    let extent = snaps.iter().fold(
        legal
            .features
            .iter()
            .filter_map(|f| f.geometry.as_ref()?.bounding_rect())
            .reduce(|a, b| union(Some(a), Some(b)).unwrap_or(a)),
        |acc, s| {
            union(
                acc,
                s.layer
                    .features
                    .iter()
                    .filter_map(|f| f.geometry.as_ref()?.bounding_rect())
                    .reduce(|a, b| union(Some(a), Some(b)).unwrap_or(a)),
            )
        },
    );
    let gopts = GapsOptions { extent, ..opts.gaps.clone() };

    // The held series, one overlay per distinct snapshot.
    let digests: Vec<[u8; 32]> = snaps.iter().map(|s| digest(&s.layer, &cf)).collect();
    let mut per_date: Vec<std::sync::Arc<crate::overlay::GapsResult>> = Vec::new();
    for (k, s) in snaps.iter().enumerate() {
        if k > 0 && digests[k] == digests[k - 1] {
            let prev = per_date[k - 1].clone();
            per_date.push(prev);
            continue;
        }
        per_date.push(std::sync::Arc::new(gaps(legal, &s.layer, None, &gopts)?));
    }
    let tolerance_m = per_date[0].tolerance_m;
    let held_map = |r: &crate::overlay::GapsResult| {
        let mut m: BTreeMap<(String, String), f64> = BTreeMap::new();
        for g in r.gaps.iter().filter(|g| g.legal_unit.is_some()) {
            *m.entry((g.owner.clone().unwrap_or_default(), party_of(g, opts.rest))).or_default() += g.area_m2;
        }
        m
    };
    let helds: Vec<BTreeMap<(String, String), f64>> = per_date.iter().map(|r| held_map(r)).collect();
    let mut owner_area: BTreeMap<String, f64> = BTreeMap::new();
    for ((o, _), a) in &helds[0] {
        *owner_area.entry(o.clone()).or_default() += a;
    }

    let mut out = ChangesResult {
        dates: snaps.iter().map(|s| (s.date.clone(), s.date_from.clone())).collect(),
        changes: Vec::new(),
        held: Vec::new(),
        periods: Vec::new(),
        unchanged_periods: 0,
        worst_identity: 0.0,
        tolerance_m,
    };
    for (k, h) in helds.iter().enumerate() {
        for ((o, p), a) in h {
            out.held.push(Held { date: snaps[k].date.clone(), owner: o.clone(), party: p.clone(), km2: a / 1e6 });
        }
    }

    for k in 1..snaps.len() {
        let (t1, t2) = (&snaps[k - 1].date, &snaps[k].date);
        let mut before: BTreeMap<(String, String), f64> = BTreeMap::new();
        let mut after: BTreeMap<(String, String), f64> = BTreeMap::new();
        let mut moved: Vec<Change> = Vec::new();
        if digests[k] == digests[k - 1] {
            out.unchanged_periods += 1;
            before = helds[k - 1].clone();
            after = before.clone();
        } else {
            // The pieces of t1, each knowing its owner, unit and controller.
            let pieces: Vec<&Gap> = per_date[k - 1].gaps.iter().filter(|g| g.legal_unit.is_some()).collect();
            let key = gopts.owner_field.clone();
            let stage = Layer {
                name: format!("pieces {t1}"),
                role: Some(Role::Legal),
                features: pieces
                    .iter()
                    .enumerate()
                    .map(|(i, g)| {
                        let mut p = serde_json::Map::new();
                        p.insert(key.clone(), party_of(g, opts.rest).into());
                        Feature {
                            id: format!("p{i}"),
                            index: i,
                            geometry: Some(Geometry::Polygon(g.geometry.clone())),
                            properties: p,
                        }
                    })
                    .collect(),
                fields: vec![],
                provenance: Provenance {
                    path: format!("pieces of {t1}"),
                    layer: "pieces".into(),
                    source_crs: "EPSG:4326".into(),
                    ..Default::default()
                },
                notes: vec![],
            };
            let sopts = GapsOptions { tolerance_m: Some(tolerance_m), repair: false, ..gopts.clone() };
            let r = gaps(&stage, &snaps[k].layer, settlements, &sopts)?;
            for g in r.gaps.iter().filter(|g| g.legal_unit.is_some()) {
                let Some(i) =
                    g.legal_unit.as_deref().and_then(|u| u.strip_prefix('p')).and_then(|n| n.parse::<usize>().ok())
                else {
                    continue;
                };
                let src = pieces[i];
                let owner = src.owner.clone().unwrap_or_default();
                let b = party_of(src, opts.rest);
                let a = match (&g.controller, g.class) {
                    (Some(c), _) => c.clone(),
                    (None, _) if opts.rest == Rest::Owner => owner.clone(),
                    _ => "-".into(),
                };
                *before.entry((owner.clone(), b.clone())).or_default() += g.area_m2;
                *after.entry((owner.clone(), a.clone())).or_default() += g.area_m2;
                if a != b {
                    let unit = src.legal_unit.clone().unwrap_or_default();
                    let inner = g.geometry.interior_point();
                    let hash = Sha256::digest(
                        format!(
                            "{t1}|{t2}|{unit}|{b}|{a}|{}",
                            inner.map(|p| format!("{:.6},{:.6}", p.x(), p.y())).unwrap_or_default()
                        )
                        .as_bytes(),
                    );
                    moved.push(Change {
                        id: format!("c{}", hash.iter().take(5).map(|b| format!("{b:02x}")).collect::<String>()),
                        from_date: t1.clone(),
                        to_date: t2.clone(),
                        owner,
                        legal_unit: unit,
                        controller_before: b,
                        controller_after: a,
                        area_m2: g.area_m2,
                        width_m: g.width_m,
                        sliver: g.sliver,
                        settlements: g.settlements.clone(),
                        geometry: g.geometry.clone(),
                    });
                }
            }
        }
        // The identity, against the two dates' own overlays.
        let keys: std::collections::BTreeSet<(String, String)> =
            helds[k - 1].keys().chain(helds[k].keys()).chain(before.keys()).chain(after.keys()).cloned().collect();
        for (o, p) in keys {
            let scale = owner_area.get(&o).copied().unwrap_or(0.0).max(1.0);
            let get = |m: &BTreeMap<(String, String), f64>| m.get(&(o.clone(), p.clone())).copied().unwrap_or(0.0);
            let dev = ((get(&before) - get(&helds[k - 1])).abs()).max((get(&after) - get(&helds[k])).abs()) / scale;
            out.worst_identity = out.worst_identity.max(dev);
            if dev > IDENTITY_TOLERANCE {
                return Err(Error::Conservation {
                    unit: format!("period {t1} → {t2}, owner {o}, party {p}"),
                    message: format!(
                        "held(t2) = held(t1) + gained − lost is off by {dev:.3e} of {o}'s legal area (limit {IDENTITY_TOLERANCE:e})"
                    ),
                });
            }
            let mut row = PeriodRow {
                from_date: t1.clone(),
                to_date: t2.clone(),
                owner: o.clone(),
                party: p.clone(),
                held_before_km2: get(&helds[k - 1]) / 1e6,
                gained_km2: 0.0,
                lost_km2: 0.0,
                held_after_km2: get(&helds[k]) / 1e6,
                gained_from: BTreeMap::new(),
                lost_to: BTreeMap::new(),
            };
            for c in moved.iter().filter(|c| c.owner == o) {
                if c.controller_after == p {
                    row.gained_km2 += c.area_m2 / 1e6;
                    *row.gained_from.entry(c.controller_before.clone()).or_default() += c.area_m2 / 1e6;
                }
                if c.controller_before == p {
                    row.lost_km2 += c.area_m2 / 1e6;
                    *row.lost_to.entry(c.controller_after.clone()).or_default() += c.area_m2 / 1e6;
                }
            }
            out.periods.push(row);
        }
        out.changes.extend(moved);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::{ReadOptions, read_geojson_bytes};

    fn layer(role: Role, features: &[(&str, f64, f64, f64, f64)]) -> Layer {
        let key = if role == Role::Legal { "owner" } else { "controller" };
        let fs: Vec<String> = features
            .iter()
            .map(|(k, x0, y0, x1, y1)| {
                let props = if k.is_empty() { String::new() } else { format!(r#""{key}":"{k}""#) };
                format!(
                    r#"{{"type":"Feature","properties":{{{props}}},"geometry":{{"type":"Polygon","coordinates":[[[{x0},{y0}],[{x1},{y0}],[{x1},{y1}],[{x0},{y1}],[{x0},{y0}]]]}}}}"#
                )
            })
            .collect();
        let text = format!(r#"{{"type":"FeatureCollection","features":[{}]}}"#, fs.join(","));
        let opts = ReadOptions { role: Some(role), key_optional: true, ..Default::default() };
        read_geojson_bytes("t.geojson".as_ref(), text.as_bytes(), &opts).unwrap()
    }

    fn snap(date: &str, features: &[(&str, f64, f64, f64, f64)]) -> Snapshot {
        Snapshot { date: date.into(), date_from: "test".into(), layer: layer(Role::Control, features) }
    }

    fn area(x0: f64, y0: f64, x1: f64, y1: f64) -> f64 {
        crate::measure::polygon_area_m2(
            &geo::Rect::new(geo::coord! { x: x0, y: y0 }, geo::coord! { x: x1, y: y1 }).to_polygon(),
        )
    }

    fn legal() -> Layer {
        // A west of 45.1°E, B east of it.
        layer(Role::Legal, &[("A", 45.0, 40.0, 45.1, 40.1), ("B", 45.1, 40.0, 45.2, 40.1)])
    }

    #[test]
    fn a_front_that_moves_east_across_a_legal_boundary_day_by_day() {
        // A holds up to 45.08, 45.09, 45.10, 45.11: the last day crosses
        // into B's legal territory.
        let days: Vec<Snapshot> = (0..4)
            .map(|d| {
                let x = 45.08 + 0.01 * d as f64;
                snap(&format!("2024-01-0{}", d + 1), &[("A", 45.0, 40.0, x, 40.1), ("B", x, 40.0, 45.2, 40.1)])
            })
            .collect();
        let r = changes(
            &legal(),
            &days,
            None,
            &ChangesOptions {
                gaps: GapsOptions { tolerance_m: Some(1.0), ..Default::default() },
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(r.dates.len(), 4);
        for d in 0..3 {
            let x = 45.08 + 0.01 * d as f64;
            let moved: Vec<&Change> =
                r.changes.iter().filter(|c| c.from_date == format!("2024-01-0{}", d + 1)).collect();
            let total: f64 = moved.iter().map(|c| c.area_m2).sum();
            let want = area(x, 40.0, x + 0.01, 40.1);
            // The run's grid moves each corner by up to half a step (2e-10°).
            assert!((total - want).abs() / want < 1e-8, "day {d}: {total} vs {want}");
            assert!(moved.iter().all(|c| c.controller_before == "B" && c.controller_after == "A"));
            // Whose legal territory: A's until the front passes 45.10.
            let owner = if d < 2 { "A" } else { "B" };
            assert!(moved.iter().all(|c| c.owner == owner), "day {d}: {moved:?}");
        }
        // The identity, per period and party.
        for row in &r.periods {
            let want = row.held_before_km2 + row.gained_km2 - row.lost_km2;
            assert!((row.held_after_km2 - want).abs() < 1e-9 * 200.0, "{row:?}");
        }
        assert!(r.worst_identity <= IDENTITY_TOLERANCE);
    }

    #[test]
    fn gain_loss_regain_and_a_trade_in_one_period_and_an_unchanged_day() {
        let base = [("A", 45.0, 40.0, 45.1, 40.1), ("B", 45.1, 40.0, 45.2, 40.1)];
        // Day 2: B takes a strip of A's; day 3: A takes it back; day 4: the
        // same as day 3; day 5: they trade two strips.
        let taken = [("A", 45.0, 40.0, 45.09, 40.1), ("B", 45.09, 40.0, 45.2, 40.1)];
        let traded = [
            ("A", 45.0, 40.0, 45.1, 40.05),
            ("A", 45.1, 40.05, 45.12, 40.1),
            ("B", 45.0, 40.05, 45.1, 40.1),
            ("B", 45.12, 40.05, 45.2, 40.1),
            ("B", 45.1, 40.0, 45.2, 40.05),
        ];
        let days = vec![
            snap("2024-01-01", &base),
            snap("2024-01-02", &taken),
            snap("2024-01-03", &base),
            snap("2024-01-04", &base),
            snap("2024-01-05", &traded),
        ];
        let r = changes(&legal(), &days, None, &ChangesOptions::default()).unwrap();
        assert_eq!(r.unchanged_periods, 1);
        assert!(r.changes.iter().all(|c| c.from_date != "2024-01-03"), "no change on an identical day");
        let km2 = |from: &str, b: &str, a: &str| -> f64 {
            r.changes
                .iter()
                .filter(|c| c.from_date == from && c.controller_before == b && c.controller_after == a)
                .map(|c| c.area_m2 / 1e6)
                .sum()
        };
        let strip = area(45.09, 40.0, 45.1, 40.1) / 1e6;
        assert!((km2("2024-01-01", "A", "B") - strip).abs() < 1e-9 * strip * 100.0);
        assert!((km2("2024-01-02", "B", "A") - strip).abs() < 1e-9 * strip * 100.0);
        // The trade: A gives the NW half-strip of its own, takes a strip of B's.
        let gave = area(45.0, 40.05, 45.1, 40.1) / 1e6;
        let took = area(45.1, 40.05, 45.12, 40.1) / 1e6;
        assert!((km2("2024-01-04", "A", "B") - gave).abs() < 1e-6 * gave);
        assert!((km2("2024-01-04", "B", "A") - took).abs() < 1e-6 * took);
        let row = r.periods.iter().find(|p| p.from_date == "2024-01-04" && p.owner == "B" && p.party == "A").unwrap();
        assert!((row.gained_km2 - took).abs() < 1e-6 * took && row.gained_from["B"] > 0.0, "{row:?}");
    }

    #[test]
    fn partial_snapshots_with_one_controller_and_the_rest_to_the_owner() {
        // Only A's positions are mapped, with no controller field.
        let partial = |date: &str, x: f64| snap(date, &[("", 45.0, 40.0, x, 40.1)]);
        let days = vec![partial("2024-01-01", 45.1), partial("2024-01-02", 45.15)];
        let opts = ChangesOptions { controller: Some("A".into()), rest: Rest::Owner, ..Default::default() };
        let r = changes(&legal(), &days, None, &opts).unwrap();
        let moved: f64 = r.changes.iter().map(|c| c.area_m2).sum();
        assert!(r.changes.iter().all(|c| c.controller_before == "B" && c.controller_after == "A" && c.owner == "B"));
        let want = area(45.1, 40.0, 45.15, 40.1);
        assert!((moved - want).abs() / want < 1e-8);
        // Without --rest owner, what no polygon covers is held by no one.
        let r = changes(&legal(), &days, None, &ChangesOptions { controller: Some("A".into()), ..Default::default() })
            .unwrap();
        assert!(r.changes.iter().all(|c| c.controller_before == "-"));
    }

    #[test]
    fn dates_come_from_the_field_or_the_name_and_duplicates_are_refused() {
        let mut l = layer(Role::Control, &[("A", 45.0, 40.0, 45.1, 40.1)]);
        l.provenance.path = "/x/front_20240419.geojson".into();
        let s = snapshot_of_file(l.clone(), "as_of").unwrap();
        assert_eq!((s.date.as_str(), s.date_from.as_str()), ("2024-04-19", "file name"));
        l.features[0].properties.insert("as_of".into(), "2024-05-01".into());
        let s2 = snapshot_of_file(l.clone(), "as_of").unwrap();
        assert_eq!((s2.date.as_str(), s2.date_from.as_str()), ("2024-05-01", "field as_of"));
        l.provenance.path = "/x/front.geojson".into();
        l.features[0].properties.remove("as_of");
        assert!(matches!(snapshot_of_file(l, "as_of"), Err(Error::InvalidInput { .. })));
        let e = order(vec![s2.clone(), s2]).unwrap_err();
        assert!(e.to_string().contains("2024-05-01"), "{e}");
    }
}
