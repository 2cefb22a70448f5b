//! Ask about one place: who it belongs to on the legal basis, who holds
//! it, which gap it sits in, and how far it is from each line.
//!
//! A [`Context`] is built once from the layers (indexes over polygons and
//! boundary edges, the name index, and the `held_by_other` pieces of the
//! gaps overlay) and answers any number of queries; [`Context::classify`]
//! is the fast path for large batches of points.
//!
//! **On a boundary.** A point exactly on an edge of a legal unit belongs to
//! neither side: its legal status is `boundary`, every unit it touches is
//! listed, and `owner` is empty. The same rule holds for control. No
//! rounding decides it.

pub mod batch;
pub mod names;
pub mod text;

use geo::{BoundingRect, Coord, Distance as _, Geodesic, Geometry, MultiPolygon, Point};
use rayon::prelude::*;
use rstar::RTree;
use rstar::primitives::GeomWithData;
use serde::Serialize;

use crate::error::Result;
use crate::index::{EdgeIndex, Nearest, PolygonIndex, Position};
use crate::layer::Layer;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use crate::overlay::{Class, Gap, GapsOptions, UnitOverlay};
use names::{Lookup, MatchKind, NameIndex};

/// Other owners' lines are listed within this distance, m.
const LINES_RADIUS_M: f64 = 50_000.0;
/// Half the side of the box in which other owners' edges are looked for,
/// degrees (50 km of latitude and more; of longitude up to about 44°).
const LINES_BOX_DEG: f64 = LINES_RADIUS_M / 80_000.0;

/// Options for a [`Context`].
#[derive(Debug, Clone)]
pub struct VillageOptions {
    /// Field names and tolerance, as for `gaps`.
    pub gaps: GapsOptions,
    /// Field with the alternate names of a settlement.
    pub alt_names_field: String,
    /// Radius for settlements across the line, km.
    pub radius_km: f64,
}

impl Default for VillageOptions {
    fn default() -> Self {
        VillageOptions { gaps: GapsOptions::default(), alt_names_field: "alternatenames".into(), radius_km: 5.0 }
    }
}

/// The layers and their indexes, built once per batch.
pub struct Context<'a> {
    legal: &'a Layer,
    control: &'a Layer,
    settlements: &'a Layer,
    admin1: Option<&'a Layer>,
    opts: VillageOptions,
    legal_idx: PolygonIndex,
    control_idx: PolygonIndex,
    admin_idx: Option<PolygonIndex>,
    /// Admin-1 edges (tiling level), for the nearest unit and the distance
    /// to a neighbouring one.
    admin_edges: Option<EdgeIndex>,
    /// The admin layer's positional accuracy, m.
    admin_accuracy_m: f64,
    legal_edges: EdgeIndex,
    control_edges: EdgeIndex,
    /// Legal units' boxes, for the nearest-gap search.
    unit_boxes: RTree<GeomWithData<rstar::primitives::Rectangle<[f64; 2]>, usize>>,
    overlay: UnitOverlay<'a>,
    /// Per legal unit, its held_by_other and contested pieces, computed on
    /// first use and shared by the rest of the batch.
    pieces: Mutex<BTreeMap<usize, Arc<UnitPieces>>>,
    names: NameIndex,
    places: RTree<GeomWithData<[f64; 2], usize>>,
    /// Look through a window before overlaying a unit for the nearest gap
    /// (see [`Context::for_batches`]).
    window_prefilter: bool,
}

/// The pieces of one legal unit where the controller is not the owner.
struct UnitPieces {
    gaps: Vec<Gap>,
    index: PolygonIndex,
    edges: EdgeIndex,
}

/// How far the nearest-gap search looks, m.
pub const NEAREST_GAP_SEARCH_M: f64 = 50_000.0;

/// A settlement, as matched.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Place {
    /// Feature id in the settlements layer.
    pub id: String,
    /// Its primary name.
    pub name: String,
    /// How the query matched it.
    pub matched_by: MatchKind,
    /// Alternate names in Armenian script.
    pub names_hy: Vec<String>,
    /// Alternate names in Cyrillic.
    pub names_ru: Vec<String>,
    /// Alternate names in Latin script (Azerbaijani and transliterations).
    pub names_latin: Vec<String>,
    /// What the data is known to get wrong or leave out about this place
    /// (the settlements layer's `data_note`, with its citation).
    pub data_note: Option<String>,
}

/// The positional accuracy assumed for an admin layer that states none, m.
pub const DEFAULT_ADMIN_ACCURACY_M: f64 = 1000.0;

/// Whether `code` is an ISO 3166-2 subdivision code (`AM-TV`, `AZ-SUS`),
/// not a placeholder such as Natural Earth's `AZ-X01~`.
fn is_iso_3166_2(code: &str) -> bool {
    let Some((country, sub)) = code.split_once('-') else { return false };
    country.len() == 2
        && country.bytes().all(|b| b.is_ascii_uppercase())
        && (1..=3).contains(&sub.len())
        && sub.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

/// Where a point stands against one layer.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Side {
    /// `inside`, `boundary` or `none` (no polygon covers it).
    pub status: &'static str,
    /// Owner or controller (empty on a boundary between two).
    pub key: Option<String>,
    /// Feature id(s): one inside, every touching one on a boundary.
    pub features: Vec<String>,
    /// The unit name (`unit` or `name` property) of the first feature.
    pub unit: Option<String>,
    /// Control only: source and date.
    pub source: Option<String>,
    /// Control only: as of.
    pub as_of: Option<String>,
    /// How far the layer can be taken as fact (`illustrative`,
    /// `approximate`, `observed`): an answer from a sample says so.
    pub data_status: crate::layer::DataStatus,
}

/// The nearest point of a line.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Distance {
    /// The party on the other side of that line.
    pub other: String,
    /// Geodesic distance, m.
    pub distance_m: f64,
    /// Initial bearing from the place, degrees from north.
    pub bearing_deg: f64,
    /// Compass point of the bearing (N, NNE, …).
    pub compass: &'static str,
    /// The nearest point.
    pub point: crate::position::Position,
}

/// The gap a place lies in, or the nearest one.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct GapRef {
    /// The gap's id, as `delimit gaps` writes it.
    pub id: String,
    /// `held_by_other` or `contested_control`.
    pub class: &'static str,
    /// Legal owner.
    pub owner: Option<String>,
    /// Controller.
    pub controller: Option<String>,
    /// Geodesic area, km².
    pub area_km2: f64,
    /// A digitising sliver.
    pub sliver: bool,
    /// 0 when the place is inside.
    pub distance_m: f64,
    /// Bearing from the place to its nearest point (0 inside).
    pub bearing_deg: f64,
}

/// A settlement on the other side of the legal line.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Across {
    /// Feature id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Its legal owner.
    pub owner: Option<String>,
    /// Its controller.
    pub controller: Option<String>,
    /// Geodesic distance from the place, m.
    pub distance_m: f64,
}

/// Everything known about one place.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Answer {
    /// The query as given.
    pub query: String,
    /// The settlement, for a name query.
    pub place: Option<Place>,
    /// Longitude.
    pub lon: f64,
    /// Latitude.
    pub lat: f64,
    /// Legal basis.
    pub legal: Side,
    /// Province or district (admin-1).
    pub province: Option<String>,
    /// Its ISO 3166-2 code (a placeholder code is not shown).
    pub province_iso: Option<String>,
    /// Why the province is uncertain, where it is: the place lies in no
    /// unit (the nearest is given), or within the admin layer's accuracy
    /// of another unit.
    pub province_note: Option<String>,
    /// De facto control.
    pub control: Side,
    /// The `held_by_other` piece the place lies in.
    pub gap: Option<GapRef>,
    /// Nearest legal boundary with another owner.
    pub legal_line: Option<Distance>,
    /// Nearest control boundary with another controller.
    pub control_line: Option<Distance>,
    /// Nearest boundary with each other owner that the place's owner borders
    /// within 50 km, nearest first.
    pub legal_lines: Vec<Distance>,
    /// The nearest area held by a party other than its legal owner (other
    /// than the one the place is in), slivers excluded, within 50 km.
    pub nearest_gap: Option<GapRef>,
    /// Settlements within the radius whose legal owner differs.
    pub across: Vec<Across>,
}

/// A query that did not resolve to one place.
#[derive(Debug, Clone, PartialEq)]
pub enum Unresolved {
    /// Several places match; each with its province and country.
    Ambiguous(Vec<String>),
    /// Nothing matches; the closest names.
    NotFound(Vec<String>),
    /// The name matches these places, but none passes the `--in` filter.
    NotWithin(Vec<String>),
}

/// A lon/lat box surely containing every point within `r` metres of `p`:
/// 1° is at least 110 km of latitude and 111·cos φ km of longitude.
fn window(p: Point<f64>, r: f64) -> geo::Rect<f64> {
    let dlat = r / 110_000.0;
    let dlon = (r / (111_000.0 * (p.y().abs() + dlat).min(89.0).to_radians().cos())).min(180.0);
    geo::Rect::new(geo::coord! { x: p.x() - dlon, y: p.y() - dlat }, geo::coord! { x: p.x() + dlon, y: p.y() + dlat })
}

/// 16-point compass name of a bearing.
///
/// ```
/// assert_eq!(delimit::village::compass(0.0), "N");
/// assert_eq!(delimit::village::compass(100.0), "E");
/// assert_eq!(delimit::village::compass(350.0), "N");
/// assert_eq!(delimit::village::compass(202.5), "SSW");
/// ```
pub fn compass(bearing_deg: f64) -> &'static str {
    const P: [&str; 16] =
        ["N", "NNE", "NE", "ENE", "E", "ESE", "SE", "SSE", "S", "SSW", "SW", "WSW", "W", "WNW", "NW", "NNW"];
    P[((bearing_deg.rem_euclid(360.0) / 22.5 + 0.5) as usize) % 16]
}

fn poisoned() -> crate::Error {
    crate::Error::Overlay { unit: "(cache)".into(), others: Vec::new(), message: "a previous overlay panicked".into() }
}

impl<'a> Context<'a> {
    /// Build the indexes. The overlay of a legal unit runs when a query first
    /// needs it.
    ///
    /// ```
    /// use delimit::village::{Context, VillageOptions};
    /// let load = |n| delimit::sample::load(n, &Default::default()).unwrap();
    /// let (legal, control, places, admin) = (load("legal.geojson"), load("control.geojson"),
    ///     load("settlements.geojson"), load("admin1.geojson"));
    /// let ctx = Context::new(&legal, &control, &places, Some(&admin), VillageOptions::default()).unwrap();
    /// let a = ctx.ask_name("Voskepar").unwrap().unwrap();
    /// assert_eq!(a.legal.key.as_deref(), Some("ARM"));
    /// assert_eq!(a.legal_line.unwrap().other, "AZE");
    /// ```
    pub fn new(
        legal: &'a Layer,
        control: &'a Layer,
        settlements: &'a Layer,
        admin1: Option<&'a Layer>,
        opts: VillageOptions,
    ) -> Result<Context<'a>> {
        let g = &opts.gaps;
        let unit_boxes = RTree::bulk_load(
            legal
                .features
                .iter()
                .enumerate()
                .filter_map(|(i, f)| {
                    let r = f.polygons()?.bounding_rect()?;
                    Some(GeomWithData::new(
                        rstar::primitives::Rectangle::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]),
                        i,
                    ))
                })
                .collect(),
        );
        // Only the tiling level: the Nakhchivan AR overlaps its districts.
        let admin_idx = admin1.map(|a| PolygonIndex::of_layer(a, |f| f.text("level").is_none_or(|l| l == "admin1")));
        let admin_edges =
            admin1.map(|a| EdgeIndex::of_layer(a, "name", |f| f.text("level").is_none_or(|l| l == "admin1")));
        // The layer's own statement of accuracy, else that of a 1:10m map
        // (Natural Earth admin-1): 0.5 mm at 1:10,000,000 is 5 km; 1 km is
        // what its boundaries achieve in the region against OSM.
        let admin_accuracy_m = admin1
            .and_then(|a| {
                a.features.iter().filter_map(|f| f.properties.get("positional_accuracy_m")?.as_f64()).reduce(f64::max)
            })
            .unwrap_or(DEFAULT_ADMIN_ACCURACY_M);
        let places = RTree::bulk_load(
            settlements
                .features
                .iter()
                .enumerate()
                .filter_map(|(i, f)| match &f.geometry {
                    Some(Geometry::Point(p)) => Some(GeomWithData::new([p.x(), p.y()], i)),
                    _ => None,
                })
                .collect(),
        );
        // The indexes are independent and each is deterministic on its own,
        // so they are built side by side whatever the thread count: on the
        // embedded sample this is most of a single query's time.
        let (((legal_edges, control_edges), names), ((legal_idx, control_idx), overlay)) = rayon::join(
            || {
                rayon::join(
                    || {
                        rayon::join(
                            || EdgeIndex::of_layer(legal, &g.owner_field, |_| true),
                            || EdgeIndex::of_layer(control, &g.controller_field, |_| true),
                        )
                    },
                    || NameIndex::new(settlements, &g.name_field, &opts.alt_names_field),
                )
            },
            || {
                rayon::join(
                    || {
                        rayon::join(
                            || PolygonIndex::of_layer(legal, |_| true),
                            || PolygonIndex::of_layer(control, |_| true),
                        )
                    },
                    || UnitOverlay::new(legal, control, g),
                )
            },
        );
        Ok(Context {
            legal,
            control,
            settlements,
            admin1,
            legal_idx,
            control_idx,
            admin_idx,
            admin_edges,
            admin_accuracy_m,
            legal_edges,
            control_edges,
            unit_boxes,
            overlay,
            pieces: Mutex::new(BTreeMap::new()),
            names,
            places,
            opts,
            window_prefilter: true,
        })
    }

    /// The sliver tolerance the gaps were classified with, m.
    /// Tune for many questions: overlay a unit whole, once, the first time
    /// a nearest-gap search reaches it, instead of first checking a window
    /// around each place (which is cheaper for one question and repeated
    /// for every one). Answers are the same either way
    /// (`the_window_prefilter_never_changes_an_answer`).
    pub fn for_batches(mut self) -> Self {
        self.window_prefilter = false;
        rayon::join(|| self.legal_edges.prepare_for_batches(), || self.control_edges.prepare_for_batches());
        self
    }

    pub fn tolerance_m(&self) -> f64 {
        self.overlay.tolerance_m()
    }

    fn unit_pieces(&self, unit: usize) -> Result<Arc<UnitPieces>> {
        if let Some(p) = self.pieces.lock().map_err(|_| poisoned())?.get(&unit) {
            return Ok(p.clone());
        }
        let gaps: Vec<Gap> =
            self.overlay.pieces_of(unit, |c| matches!(c, Class::HeldByOther | Class::ContestedControl))?;
        let mps: Vec<MultiPolygon<f64>> = gaps.iter().map(|g| MultiPolygon(vec![g.geometry.clone()])).collect();
        let up = Arc::new(UnitPieces {
            index: PolygonIndex::new(mps.iter().enumerate()),
            edges: EdgeIndex::new(mps.iter().enumerate().map(|(i, m)| (i, "gap", m))),
            gaps,
        });
        self.pieces.lock().map_err(|_| poisoned())?.insert(unit, up.clone());
        Ok(up)
    }

    /// Resolve a name (or a settlement id) to one settlement, among the
    /// places that match every filter in
    /// `within`: a province (name or ISO code), a legal owner, or a country
    /// code of the settlements layer (`countrycode`).
    pub fn resolve_within(&self, query: &str, within: &[&str]) -> std::result::Result<(usize, MatchKind), Unresolved> {
        match self.names.lookup(query) {
            Lookup::Found(kind, all) => {
                let filters: Vec<String> = within.iter().map(|w| names::fold(w)).filter(|w| !w.is_empty()).collect();
                let hits: Vec<usize> = all
                    .iter()
                    .copied()
                    .filter(|&i| filters.iter().all(|w| self.place_keys(i).iter().any(|k| names::fold(k) == *w)))
                    .collect();
                match hits.as_slice() {
                    [one] => Ok((*one, kind)),
                    [] => Err(Unresolved::NotWithin(all.iter().map(|&i| self.describe(i)).collect())),
                    many => Err(Unresolved::Ambiguous(many.iter().map(|&i| self.describe(i)).collect())),
                }
            }
            Lookup::NotFound(s) => Err(Unresolved::NotFound(s)),
        }
    }

    /// What `--in` may name for a settlement: its legal owner, its
    /// province's name and ISO code, and its country code.
    fn place_keys(&self, i: usize) -> Vec<String> {
        let (owner, province) = self.owner_and_province(i);
        let iso = self.point_of(i).and_then(|p| self.province(p.0).1);
        let country = self.settlements.features[i].text("countrycode");
        [owner, province, iso, country].into_iter().flatten().collect()
    }

    fn point_of(&self, i: usize) -> Option<Point<f64>> {
        match &self.settlements.features[i].geometry {
            Some(Geometry::Point(p)) => Some(*p),
            _ => None,
        }
    }

    fn owner_and_province(&self, i: usize) -> (Option<String>, Option<String>) {
        let Some(p) = self.point_of(i) else { return (None, None) };
        let owner = self.legal_side(p.0).key;
        (owner, self.province(p.0).0)
    }

    /// "Name (id; province, owner)" for an ambiguity list.
    fn describe(&self, i: usize) -> String {
        let f = &self.settlements.features[i];
        let (owner, province) = self.owner_and_province(i);
        format!(
            "{} (id {}; {}, legal owner {})",
            f.text(&self.opts.gaps.name_field).unwrap_or_default(),
            f.id,
            province.unwrap_or_else(|| "no province".into()),
            owner.unwrap_or_else(|| "none".into())
        )
    }

    /// Answer for a name: `Ok(Err(..))` when it does not resolve to one place.
    pub fn ask_name(&self, query: &str) -> Result<std::result::Result<Answer, Unresolved>> {
        self.ask_name_among(query, &[])
    }

    /// Answer for a name, restricted as in [`Context::resolve_within`].
    pub fn ask_name_among(&self, query: &str, within: &[&str]) -> Result<std::result::Result<Answer, Unresolved>> {
        let (i, kind) = match self.resolve_within(query, within) {
            Ok(x) => x,
            Err(u) => return Ok(Err(u)),
        };
        let Some(p) = self.point_of(i) else {
            return Ok(Err(Unresolved::NotFound(Vec::new())));
        };
        let f = &self.settlements.features[i];
        let mut place = Place {
            id: f.id.clone(),
            name: f.text(&self.opts.gaps.name_field).unwrap_or_default(),
            matched_by: kind,
            names_hy: Vec::new(),
            names_ru: Vec::new(),
            names_latin: Vec::new(),
            data_note: f.text("data_note").filter(|n| !n.trim().is_empty()),
        };
        if let Some(serde_json::Value::Array(a)) = f.properties.get(&self.opts.alt_names_field) {
            for n in a.iter().filter_map(|v| v.as_str()) {
                if n.chars().any(|c| ('\u{0530}'..='\u{058F}').contains(&c)) {
                    place.names_hy.push(n.to_string());
                } else if n.chars().any(|c| ('\u{0400}'..='\u{04FF}').contains(&c)) {
                    place.names_ru.push(n.to_string());
                } else if n.chars().all(|c| c.is_ascii() || ('\u{00C0}'..='\u{02FF}').contains(&c)) {
                    place.names_latin.push(n.to_string());
                }
            }
        }
        let mut a = self.ask_point(p, query)?;
        a.place = Some(place);
        a.across.retain(|x| x.id != f.id);
        Ok(Ok(a))
    }

    fn legal_side(&self, c: Coord<f64>) -> Side {
        self.side(self.legal_idx.locate(c), self.legal, &self.opts.gaps.owner_field, false)
    }

    fn side(&self, hits: Vec<(usize, Position)>, layer: &Layer, key_field: &str, control: bool) -> Side {
        let on_boundary = hits.iter().any(|h| h.1 == Position::Boundary);
        let inside: Vec<usize> = hits.iter().filter(|h| h.1 == Position::Inside).map(|h| h.0).collect();
        let feats: Vec<usize> = if on_boundary { hits.iter().map(|h| h.0).collect() } else { inside };
        let keys: Vec<String> = {
            let mut k: Vec<String> = feats.iter().filter_map(|&i| layer.features[i].text(key_field)).collect();
            k.dedup();
            k
        };
        let status = if feats.is_empty() {
            "none"
        } else if on_boundary && keys.len() != 1 {
            "boundary"
        } else {
            "inside"
        };
        let first = feats.first().map(|&i| &layer.features[i]);
        let distinct = |field: &str| -> Option<String> {
            let mut v: Vec<String> =
                feats.iter().filter_map(|&i| layer.features[i].text(field)).filter(|t| !t.trim().is_empty()).collect();
            v.dedup();
            (!v.is_empty()).then(|| v.join("; "))
        };
        Side {
            status,
            // One key when every touching polygon agrees (a boundary inside one
            // owner's territory, between two of its units, is still its own).
            key: (keys.len() == 1).then(|| keys[0].clone()),
            features: feats.iter().map(|&i| layer.features[i].id.clone()).collect(),
            unit: first.and_then(|f| f.text("unit").or_else(|| f.text("name"))),
            source: if control { distinct(&self.opts.gaps.source_field) } else { None },
            as_of: if control { distinct(&self.opts.gaps.as_of_field) } else { None },
            data_status: layer.provenance.status,
        }
    }

    /// The unit a point lies in, or else the nearest one (a place on the
    /// coast or a border, just outside the admin layer's coarser outline).
    fn province(&self, c: Coord<f64>) -> (Option<String>, Option<String>) {
        let (name, iso, _) = self.province_detail(c, self.admin_idx.as_ref().is_some_and(|i| i.locate(c).is_empty()));
        (name, iso)
    }

    /// The admin-1 unit a point lies in: its name, its ISO 3166-2 code
    /// (only a real one), and with `explain`, a note where the answer is
    /// uncertain: in no unit (the nearest is given), or within the layer's
    /// positional accuracy of another unit.
    fn province_detail(&self, c: Coord<f64>, explain: bool) -> (Option<String>, Option<String>, Option<String>) {
        let (Some(idx), Some(layer)) = (&self.admin_idx, self.admin1) else { return (None, None, None) };
        let unit = |i: usize| {
            let f = &layer.features[i];
            (f.text("name"), f.text("iso_3166_2").filter(|c| is_iso_3166_2(c)))
        };
        let inside = idx.locate(c).first().map(|&(i, _)| i);
        let acc = self.admin_accuracy_m;
        match (inside, explain.then_some(()).and(self.admin_edges.as_ref())) {
            (Some(i), None) => {
                let (n, iso) = unit(i);
                (n, iso, None)
            }
            (Some(i), Some(edges)) => {
                let (n, iso) = unit(i);
                let near = edges.nearest_where(Point(c), |k| k != i).filter(|x| x.distance_m <= acc);
                let note = near.map(|x| {
                    format!(
                        "or {}, {} m away: within the admin layer's accuracy of about {} m",
                        x.key,
                        crate::units::thousands(x.distance_m.round(), 0),
                        crate::units::thousands(acc.round(), 0)
                    )
                });
                (n, iso, note)
            }
            (None, Some(edges)) => match edges.nearest(Point(c), None, None) {
                // Just outside a coarse outline (a coast, a border): the
                // nearest unit, said to be the nearest.
                Some(x) if x.distance_m <= acc => {
                    let (n, iso) = unit(x.feature);
                    let d = crate::units::thousands(x.distance_m.round(), 0);
                    (n, iso, Some(format!("nearest unit, {d} m away: the place lies in none")))
                }
                // Farther than the layer's accuracy from every unit: no
                // province (issue 30: 10,10 was "Armavir, 4,707,349 m away").
                Some(x) => {
                    let (n, _) = unit(x.feature);
                    (
                        None,
                        None,
                        Some(format!(
                            "in no unit of the admin layer: the nearest, {}, is {} m away, beyond its accuracy of about {} m",
                            n.as_deref().unwrap_or(&x.key),
                            crate::units::thousands(x.distance_m.round(), 0),
                            crate::units::thousands(acc.round(), 0)
                        )),
                    )
                }
                None => (None, None, None),
            },
            (None, None) => (None, None, None),
        }
    }

    fn distance(n: Nearest) -> Distance {
        Distance {
            other: n.key,
            distance_m: n.distance_m,
            bearing_deg: n.bearing_deg,
            compass: compass(n.bearing_deg),
            point: crate::position::Position::of(n.point.0),
        }
    }

    /// Answer for a point; `query` is echoed back.
    pub fn ask_point(&self, p: Point<f64>, query: &str) -> Result<Answer> {
        let c = p.0;
        // Located once, used for the sides, the gap and the nearest-gap bound.
        let legal_hits = self.legal_idx.locate(c);
        let control_hits = self.control_idx.locate(c);
        let legal = self.side(legal_hits.clone(), self.legal, &self.opts.gaps.owner_field, false);
        let control = self.side(control_hits.clone(), self.control, &self.opts.gaps.controller_field, true);
        let (province, province_iso, province_note) = self.province_detail(c, true);
        let owner = legal.key.clone();
        let controller = control.key.clone();
        // On a boundary, the nearest line of another party is that boundary:
        // distance 0, the other party being any touching one.
        let legal_lines = self.legal_lines(p, owner.as_deref());
        // The nearest line of any other owner is the first of those, when
        // it is nearer than any owner outside the search box can be and no
        // other owner's line is as near: the same answer, without a second
        // search.
        let box_m = crate::index::lower_bound_m(c.y, LINES_BOX_DEG);
        let legal_line = match (&owner, legal.status) {
            (Some(_), _)
                if legal_lines.first().is_some_and(|d| d.distance_m < box_m)
                    && legal_lines.get(1).is_none_or(|d| d.distance_m > legal_lines[0].distance_m) =>
            {
                legal_lines.first().cloned()
            }
            (Some(o), _) => self.legal_edges.nearest(p, None, Some(o)).map(Self::distance),
            (None, "boundary") => self.legal_edges.nearest(p, None, None).map(Self::distance),
            _ => None,
        };
        let control_line = match (&controller, control.status) {
            (Some(k), _) => self.control_edges.nearest(p, None, Some(k)).map(Self::distance),
            (None, "boundary") => self.control_edges.nearest(p, None, None).map(Self::distance),
            _ => None,
        };

        let gap_ref = |g: &Gap, distance_m: f64, bearing_deg: f64| GapRef {
            id: g.id.clone(),
            class: g.class.as_str(),
            owner: g.owner.clone(),
            controller: g.controller.clone(),
            area_km2: g.area_m2 / 1e6,
            sliver: g.sliver,
            distance_m,
            bearing_deg,
        };
        // The place is in a piece only where control differs from the legal
        // owner (or is contested): only then is its unit overlaid.
        let mut gap = None;
        if legal.status == "inside"
            && control.key.is_some()
            && (control.key != owner || control.features.len() > 1)
            && let Some(&(u, _)) = legal_hits.first()
        {
            let up = self.unit_pieces(u)?;
            if let Some(&(k, _)) = up.index.locate(c).first() {
                gap = Some(gap_ref(&up.gaps[k], 0.0, 0.0));
            }
        }
        let nearest_gap = self
            .nearest_gap(p, &legal_hits, &control_hits, gap.as_ref().map(|g| g.id.as_str()))?
            .map(|(g, n)| gap_ref(&g, n.distance_m, n.bearing_deg));
        let across = self.across(p, owner.as_deref());
        Ok(Answer {
            query: query.to_string(),
            place: None,
            lon: p.x(),
            lat: p.y(),
            legal,
            province,
            province_iso,
            province_note,
            control,
            gap,
            legal_line,
            control_line,
            legal_lines,
            nearest_gap,
            across,
        })
    }

    /// The nearest line of each other owner with an edge in the box of
    /// [`LINES_BOX_DEG`] around `p`, within 50 km, nearest first.
    fn legal_lines(&self, p: Point<f64>, owner: Option<&str>) -> Vec<Distance> {
        let Some(o) = owner else { return Vec::new() };
        let (c, deg) = (p.0, LINES_BOX_DEG);
        let env = rstar::AABB::from_corners([c.x - deg, c.y - deg], [c.x + deg, c.y + deg]);
        let mut out: Vec<Distance> = self
            .legal_edges
            .keys_in(&env)
            .into_iter()
            .filter(|k| k != o)
            .filter_map(|k| self.legal_edges.nearest(p, Some(&k), None))
            .filter(|n| n.distance_m <= LINES_RADIUS_M)
            .map(Self::distance)
            .collect();
        out.sort_by(|a, b| a.distance_m.total_cmp(&b.distance_m).then_with(|| a.other.cmp(&b.other)));
        out
    }

    /// The nearest held_by_other piece that is not a sliver (other than
    /// `except`), within [`NEAREST_GAP_SEARCH_M`]: legal units are overlaid
    /// nearest box first until no closer piece can exist.
    /// `legal_here` and `control_here` are the polygons at `p`.
    fn nearest_gap(
        &self,
        p: Point<f64>,
        legal_here: &[(usize, Position)],
        control_here: &[(usize, Position)],
        except: Option<&str>,
    ) -> Result<Option<(Gap, Nearest)>> {
        // A held_by_other piece of unit u lies in u and in a control polygon
        // of another controller, so it is at least as far as either: a
        // lower bound that costs two index queries, where the overlay of a
        // mainland costs hundreds of milliseconds. Units are overlaid in
        // order of that bound until it passes the best piece found.
        // The bounds come from the nearest edges in degrees (a few R-tree
        // steps each), not geodesic searches: they only order the units and
        // stop the search, and an exact distance would cost more than the
        // overlay of a small unit.
        let mut cands: Vec<(f64, usize)> = Vec::new();
        let mut d_other_of: BTreeMap<String, f64> = BTreeMap::new();
        for (unit, d2) in self.unit_boxes.nearest_neighbor_iter_with_distance_2(&[p.x(), p.y()]) {
            if crate::index::lower_bound_m(p.y(), d2.sqrt()) > NEAREST_GAP_SEARCH_M {
                break;
            }
            let u = unit.data;
            let owner = self.legal.features[u].text(&self.opts.gaps.owner_field).unwrap_or_default();
            let d_unit = if legal_here.iter().any(|&(f, _)| f == u) {
                0.0
            } else {
                self.legal_edges.lower_bound_feature(p, u).unwrap_or(f64::INFINITY)
            };
            let d_other = *d_other_of.entry(owner.clone()).or_insert_with(|| {
                let held_by_other_here = control_here.iter().any(|&(k, _)| {
                    self.control.features[k].text(&self.opts.gaps.controller_field).as_deref() != Some(owner.as_str())
                });
                if held_by_other_here {
                    0.0
                } else {
                    self.control_edges.lower_bound_not(p, &owner).unwrap_or(f64::INFINITY)
                }
            });
            let bound = d_unit.max(d_other);
            if bound <= NEAREST_GAP_SEARCH_M {
                cands.push((bound, u));
            }
        }
        cands.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        let mut best: Option<(Gap, Nearest)> = None;
        for (bound, unit) in cands {
            if best.as_ref().is_some_and(|(_, n)| bound > n.distance_m) {
                break;
            }
            // Only pieces within the search radius matter: a unit with none
            // held by another party inside a window around it is not
            // overlaid whole. The window reaches a kilometre beyond the
            // radius, so a piece that comes within it shows inside.
            let radius = best.as_ref().map_or(NEAREST_GAP_SEARCH_M, |(_, n)| n.distance_m);
            let cached = self.pieces.lock().map_err(|_| poisoned())?.contains_key(&unit);
            if self.window_prefilter && !cached && !self.overlay.held_by_other_in(unit, window(p, radius + 1000.0))? {
                continue;
            }
            let up = self.unit_pieces(unit)?;
            let keep = |k: usize| {
                let g = &up.gaps[k];
                g.class == Class::HeldByOther && !g.sliver && Some(g.id.as_str()) != except
            };
            let inside = up.index.locate(p.0).into_iter().find(|&(k, _)| keep(k));
            let found = match inside {
                Some((k, _)) => {
                    Some((k, Nearest { distance_m: 0.0, bearing_deg: 0.0, point: p, key: "gap".into(), feature: k }))
                }
                None => up.edges.nearest_where(p, keep).map(|n| (n.feature, n)),
            };
            if let Some((k, n)) = found {
                let better = best.as_ref().is_none_or(|(g, b)| {
                    n.distance_m < b.distance_m || (n.distance_m == b.distance_m && up.gaps[k].id < g.id)
                });
                if n.distance_m <= NEAREST_GAP_SEARCH_M && better {
                    best = Some((up.gaps[k].clone(), n));
                }
            }
        }
        Ok(best)
    }

    fn across(&self, p: Point<f64>, owner: Option<&str>) -> Vec<Across> {
        let r = self.opts.radius_km * 1000.0;
        let w = window(p, r);
        let env = rstar::AABB::from_corners([w.min().x, w.min().y], [w.max().x, w.max().y]);
        let mut out: Vec<Across> = self
            .places
            .locate_in_envelope(&env)
            .filter_map(|g| {
                let q = Point::new(g.geom()[0], g.geom()[1]);
                let d = Geodesic.distance(p, q);
                if d > r {
                    return None;
                }
                let theirs = self.legal_side(q.0).key;
                if theirs.as_deref() == owner {
                    return None;
                }
                let f = &self.settlements.features[g.data];
                Some(Across {
                    id: f.id.clone(),
                    name: f.text(&self.opts.gaps.name_field).unwrap_or_default(),
                    owner: theirs,
                    controller: self
                        .control_idx
                        .first_inside(q.0)
                        .and_then(|k| self.control.features[k].text(&self.opts.gaps.controller_field)),
                    distance_m: d,
                })
            })
            .collect();
        out.sort_by(|a, b| a.distance_m.total_cmp(&b.distance_m).then_with(|| a.id.cmp(&b.id)));
        out
    }

    /// Batch classification: for each point, the legal feature and the
    /// control feature that strictly contain it (indices into the layers).
    /// Order equals input order; parallel, deterministic.
    pub fn classify(&self, points: &[Coord<f64>]) -> Vec<(Option<usize>, Option<usize>)> {
        points.par_iter().map(|&c| (self.legal_idx.first_inside(c), self.control_idx.first_inside(c))).collect()
    }

    /// The box of the legal layer, for generating test points.
    pub fn legal_bbox(&self) -> Option<geo::Rect<f64>> {
        self.legal.features.iter().filter_map(|f| f.geometry.as_ref()?.bounding_rect()).reduce(|a, b| {
            geo::Rect::new(
                geo::coord! { x: a.min().x.min(b.min().x), y: a.min().y.min(b.min().y) },
                geo::coord! { x: a.max().x.max(b.max().x), y: a.max().y.max(b.max().y) },
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(name: &str) -> Layer {
        crate::sample::load(name, &Default::default()).unwrap()
    }

    /// The window test only skips overlays that could not change the
    /// answer: with it and without it, every answer is the same, at random
    /// points over the sample and at random points near each gap.
    #[test]
    fn the_window_prefilter_never_changes_an_answer() {
        let (legal, control, places, admin) = (
            sample("legal.geojson"),
            sample("control.geojson"),
            sample("settlements.geojson"),
            sample("admin1.geojson"),
        );
        let fast = Context::new(&legal, &control, &places, Some(&admin), VillageOptions::default()).unwrap();
        let full =
            Context::new(&legal, &control, &places, Some(&admin), VillageOptions::default()).unwrap().for_batches();
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move || {
            state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        // The gaps' own centres, then uniform over the sample's box.
        let mut points: Vec<Point<f64>> = Vec::new();
        for (lon, lat) in [(45.37, 40.64), (45.07, 41.07), (45.24, 41.02), (45.0, 41.13)] {
            for _ in 0..15 {
                points.push(Point::new(lon + (next() - 0.5) * 0.4, lat + (next() - 0.5) * 0.4));
            }
        }
        for _ in 0..60 {
            points.push(Point::new(43.5 + next() * 7.2, 38.4 + next() * 3.5));
        }
        let mut found = 0;
        for p in points {
            let (a, b) = (fast.ask_point(p, "q").unwrap(), full.ask_point(p, "q").unwrap());
            found += usize::from(a.nearest_gap.is_some());
            assert_eq!(a, b, "at {p:?}");
            // And the bounds that order and stop the search lose nothing:
            // every unit's every piece, searched without them.
            let mut best: Option<(f64, String)> = None;
            for u in 0..legal.features.len() {
                let up = full.unit_pieces(u).unwrap();
                for (k, g) in up.gaps.iter().enumerate() {
                    if g.class != Class::HeldByOther || g.sliver || a.gap.as_ref().is_some_and(|h| h.id == g.id) {
                        continue;
                    }
                    let d = if up.index.locate(p.0).iter().any(|&(i, _)| i == k) {
                        0.0
                    } else {
                        up.edges.nearest_where(p, |f| f == k).unwrap().distance_m
                    };
                    if d <= NEAREST_GAP_SEARCH_M
                        && best.as_ref().is_none_or(|(bd, bid)| d < *bd || (d == *bd && g.id < *bid))
                    {
                        best = Some((d, g.id.clone()));
                    }
                }
            }
            assert_eq!(a.nearest_gap.map(|g| (g.distance_m, g.id)), best, "at {p:?}");
        }
        // The test means something only if both outcomes occur.
        assert!(found > 20 && found < 110, "{found} of 120 points have a nearest gap");
    }
}
