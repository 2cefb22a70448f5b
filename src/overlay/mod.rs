//! `gaps`: the overlay of a legal basis and a control layer, classifying
//! every square metre of their union as held by its owner, held by another
//! party, unassigned, outside the legal basis, or contested.
//!
//! # Method
//! 1. Each polygon is covered by quadtree cells (`ST_Subdivide`-like) and
//!    the control cells are bulk-loaded into an R-tree; the legal cells
//!    query it for candidates.
//! 2. Each legal unit is cut on one integer grid shared by all its
//!    operations: first the area where controllers overlap (contested), then
//!    each controller's area in turn, each split taken from one i_overlay
//!    graph, so the two halves tile what was left exactly. What remains is
//!    unassigned. Control polygons are cut by the legal units the same way;
//!    what remains is outside the basis.
//! 3. Conservation is checked per unit: the pieces' areas must add up to
//!    the unit's, to 1e-9 relative (planar) and 1e-6 (geodesic).
//!
//! Units are processed in parallel; results are collected in input order,
//! so the output is the same for any number of threads.

mod clip;
mod filter;
pub(crate) mod grid;
mod index;
pub use filter::{Filtered, GapFilter, parse_pair};
pub(crate) mod split;

use std::borrow::Cow;
use std::collections::BTreeMap;

use geo::{BoundingRect, Geometry, InteriorPoint, Intersects, MultiLineString, MultiPolygon, Point, Polygon, Rect};
use rayon::prelude::*;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::boundary::EdgeSet;
use crate::check::{CheckOptions, Severity, check_layer};
use crate::error::{Error, Result};
use crate::layer::{Layer, Role};
use crate::measure;
use grid::{Grid, IntShapes};

/// What a piece of the union is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Class {
    /// Legally of the owner, held by another party: a gap.
    HeldByOther,
    /// Two or more controllers claim to hold it.
    ContestedControl,
    /// Legally of the owner and held by it.
    HeldByOwner,
    /// Legal area that no control polygon covers.
    Unassigned,
    /// Control area outside every legal unit.
    OutsideBasis,
}

impl Class {
    /// The name used in outputs.
    pub fn as_str(self) -> &'static str {
        match self {
            Class::HeldByOther => "held_by_other",
            Class::ContestedControl => "contested_control",
            Class::HeldByOwner => "held_by_owner",
            Class::Unassigned => "unassigned",
            Class::OutsideBasis => "outside_basis",
        }
    }
}

/// Options for [`gaps`].
#[derive(Debug, Clone)]
pub struct GapsOptions {
    /// Field holding the legal owner.
    pub owner_field: String,
    /// Field holding the controller.
    pub controller_field: String,
    /// Field holding the control date.
    pub as_of_field: String,
    /// Field holding the control source.
    pub source_field: String,
    /// Field holding the settlement name.
    pub name_field: String,
    /// Sliver width in metres; `None` takes it from the inputs'
    /// `positional_accuracy_m` property, else 100 m.
    pub tolerance_m: Option<f64>,
    /// Repair inputs (snap to the grid and self-union) instead of refusing
    /// invalid geometry.
    pub repair: bool,
}

impl Default for GapsOptions {
    fn default() -> Self {
        let f = crate::layer::FieldNames::default();
        GapsOptions {
            owner_field: f.owner,
            controller_field: f.controller,
            as_of_field: f.as_of,
            source_field: f.source,
            name_field: f.name,
            tolerance_m: None,
            repair: false,
        }
    }
}

/// One output piece.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Gap {
    /// Stable id: a hash of class, legal unit, controller and an interior
    /// point; unchanged when unrelated features change.
    pub id: String,
    /// Its class.
    pub class: Class,
    /// Legal owner (none outside the basis).
    pub owner: Option<String>,
    /// Controller; contested pieces list every controller, joined by `|`.
    pub controller: Option<String>,
    /// Id of the legal unit.
    pub legal_unit: Option<String>,
    /// Ids of the control polygons involved.
    pub control_ids: Vec<String>,
    /// Their `source` values, distinct, in order.
    pub control_source: Option<String>,
    /// Their `as_of` values, distinct, in order.
    pub as_of: Option<String>,
    /// Geodesic area, m².
    pub area_m2: f64,
    /// Geodesic perimeter, m.
    pub perimeter_m: f64,
    /// For `held_by_other`: the farthest any point lies from the owner's
    /// legal boundary with the controller, m.
    pub depth_m: Option<f64>,
    /// Largest inscribed circle's diameter, m.
    pub width_m: f64,
    /// Names of the settlements inside.
    pub settlements: Vec<String>,
    /// Narrower than the tolerance: a digitising sliver.
    pub sliver: bool,
    /// The piece.
    #[serde(skip)]
    pub geometry: Polygon<f64>,
}

/// How well one unit's pieces add up to it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Conservation {
    /// `legal` or `control`.
    pub layer: &'static str,
    /// Feature id.
    pub unit: String,
    /// The unit's geodesic area, m².
    pub area_m2: f64,
    /// Relative difference on the overlay grid: pieces against the unit
    /// plus the noding of each cut. Exact arithmetic: 0 unless a piece is
    /// missing or doubled.
    pub planar_rel: f64,
    /// Relative difference on the ellipsoid: pieces against the unit on the grid.
    pub geodesic_rel: f64,
    /// How much snapping the crossings onto the grid changed the unit, m².
    pub cut_effect_m2: f64,
    /// How much putting the unit itself on the overlay grid moved its area, m².
    pub snap_m2: f64,
}

impl Conservation {
    /// A unit without geometry: nothing to conserve.
    fn empty(layer: &'static str, unit: &str) -> Conservation {
        Conservation {
            layer,
            unit: unit.to_string(),
            area_m2: 0.0,
            planar_rel: 0.0,
            geodesic_rel: 0.0,
            cut_effect_m2: 0.0,
            snap_m2: 0.0,
        }
    }
}

/// The outcome of [`gaps`].
#[derive(Debug, Clone, Serialize)]
pub struct GapsResult {
    /// Every piece, by legal unit then control polygon, in input order.
    pub gaps: Vec<Gap>,
    /// Per unit.
    pub conservation: Vec<Conservation>,
    /// Sliver tolerance used, m.
    pub tolerance_m: f64,
    /// Where it came from.
    pub tolerance_from: String,
    /// Legal overlaps narrower than the tolerance, counted in both units.
    pub legal_slivers: Vec<crate::check::Problem>,
}

/// One row of the per-class summary: a class, an owner and a controller,
/// with real pieces and slivers counted apart.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SummaryRow {
    /// The class.
    pub class: Class,
    /// Legal owner, `-` for none.
    pub owner: String,
    /// Controller, `-` for none.
    pub controller: String,
    /// Pieces wider than the tolerance.
    pub features: u64,
    /// Their area, km².
    pub km2: f64,
    /// Slivers.
    pub sliver_features: u64,
    /// Their area, km².
    pub sliver_km2: f64,
}

impl GapsResult {
    /// Totals per class, owner and controller, sorted so.
    ///
    /// ```
    /// let load = |n| delimit::sample::load(n, &Default::default()).unwrap();
    /// let r = delimit::overlay::gaps(&load("legal.geojson"), &load("control.geojson"), None, &Default::default()).unwrap();
    /// let rows = r.summary();
    /// let total: f64 = rows.iter().map(|x| x.km2 + x.sliver_km2).sum();
    /// let pieces: f64 = r.gaps.iter().map(|g| g.area_m2 / 1e6).sum();
    /// assert!((total - pieces).abs() < 1e-6 * pieces);
    /// ```
    pub fn summary(&self) -> Vec<SummaryRow> {
        let mut rows: std::collections::BTreeMap<(Class, String, String), SummaryRow> = Default::default();
        for g in &self.gaps {
            let (owner, controller) =
                (g.owner.clone().unwrap_or_else(|| "-".into()), g.controller.clone().unwrap_or_else(|| "-".into()));
            let row = rows.entry((g.class, owner.clone(), controller.clone())).or_insert(SummaryRow {
                class: g.class,
                owner,
                controller,
                features: 0,
                km2: 0.0,
                sliver_features: 0,
                sliver_km2: 0.0,
            });
            if g.sliver {
                row.sliver_features += 1;
                row.sliver_km2 += g.area_m2 / 1e6;
            } else {
                row.features += 1;
                row.km2 += g.area_m2 / 1e6;
            }
        }
        rows.into_values().collect()
    }
}

/// Relative tolerances of the conservation check.
pub const PLANAR_TOLERANCE: f64 = 1e-9;
/// On the ellipsoid, against the unit as given.
pub const GEODESIC_TOLERANCE: f64 = 1e-6;

/// `r` grown to cover every box given.
fn grow(r: Rect<f64>, boxes: impl Iterator<Item = Option<Rect<f64>>>) -> Rect<f64> {
    boxes.fold(r, |acc, b| union_rect(Some(acc), b).unwrap_or(acc))
}

fn union_rect(a: Option<Rect<f64>>, b: Option<Rect<f64>>) -> Option<Rect<f64>> {
    match (a, b) {
        (Some(a), Some(b)) => Some(Rect::new(
            geo::coord! { x: a.min().x.min(b.min().x), y: a.min().y.min(b.min().y) },
            geo::coord! { x: a.max().x.max(b.max().x), y: a.max().y.max(b.max().y) },
        )),
        (a, b) => a.or(b),
    }
}

/// Refuse invalid geometry (or repair it), and a legal basis with real dual claims.
fn validate(layer: &Layer, role: Role, opts: &GapsOptions, tolerance_m: f64) -> Result<Vec<crate::check::Problem>> {
    let key = match role {
        Role::Legal => opts.owner_field.clone(),
        _ => opts.controller_field.clone(),
    };
    let copts = CheckOptions { role, key_field: Some(key), min_area_m2: 1.0, tolerance_m };
    let report = check_layer(layer, &copts);
    // Holes between legal units are not a defect for the overlay: control
    // over them comes out as outside_basis. Broken rings and real dual
    // claims are: areas over them mean nothing.
    let errors: Vec<&crate::check::Problem> =
        report.problems.iter().filter(|p| p.severity == Severity::Error && p.code != "gap").collect();
    if let Some(first) = errors.first() {
        let at = first.location.map(|[x, y]| format!(" at lon {x:.6} lat {y:.6}")).unwrap_or_default();
        let (what, hint) = match first.code {
            "dual_claim" | "overlap" => (
                "the legal basis is not a partition",
                format!("two legal units overlap by more than the {tolerance_m} m sliver tolerance; fix the legal layer (see `delimit check --role legal`), or raise --tolerance-m if it is a digitising difference"),
            ),
            _ => (
                "invalid geometry",
                "run `delimit check` for every problem, or pass --repair to snap the inputs to the overlay grid and self-union them".to_string(),
            ),
        };
        return Err(Error::InvalidInput {
            path: layer.provenance.path.clone().into(),
            message: format!(
                "{what}: {} error(s); first: [{}] {}{at}: {}",
                errors.len(),
                first.feature,
                first.code,
                first.message
            ),
            hint,
        });
    }
    Ok(report.problems.into_iter().filter(|p| p.code == "dual_claim_sliver" || p.code == "overlap_sliver").collect())
}

/// Snap to a fine grid and self-union each polygon that `check` finds
/// invalid: removes self-intersections and spikes. Valid features are left
/// exactly as they are: snapping them too would move shared borders by
/// different amounts and open micro-gaps between every pair of neighbours.
/// Repair the invalid features only; the layer is copied only when one is.
fn repair(layer: &mut Cow<'_, Layer>, key: &str) -> Result<()> {
    let copts =
        CheckOptions { role: Role::Routes, key_field: Some(key.to_string()), min_area_m2: 1.0, tolerance_m: 0.0 };
    let broken: std::collections::BTreeSet<String> = check_layer(layer, &copts)
        .problems
        .into_iter()
        .filter(|p| p.severity == Severity::Error)
        .map(|p| p.feature)
        .collect();
    if broken.is_empty() {
        return Ok(());
    }
    for f in layer.to_mut().features.iter_mut().filter(|f| broken.contains(&f.id)) {
        let Some(m) = f.polygons() else { continue };
        let Some(bb) = m.bounding_rect() else { continue };
        let g = Grid::for_rect(bb);
        // The standard extraction, then our own split of self-touching rings
        // (in `Grid::polygons`): i_overlay's OGC extraction asserted on a
        // bow-tie with a collinear spike (found by fuzz/overlay, see the
        // regression test `repair_of_a_spiked_bow_tie_does_not_panic`).
        let shapes = g.shapes(&m);
        let fixed = contained(&f.id, &[], &[], || split::union(&shapes))?;
        drop(m);
        f.geometry = Some(Geometry::MultiPolygon(MultiPolygon(g.polygons(&fixed))));
    }
    Ok(())
}

/// Sliver tolerance: given, or from the inputs' stated accuracy, or 100 m.
fn tolerance(legal: &Layer, control: &Layer, given: Option<f64>) -> (f64, String) {
    if let Some(t) = given {
        return (t, "--tolerance-m".into());
    }
    let stated = |l: &Layer| {
        l.features
            .iter()
            .filter_map(|f| f.properties.get("positional_accuracy_m").and_then(serde_json::Value::as_f64))
            .fold(None, |a: Option<f64>, b| Some(a.map_or(b, |a| a.max(b))))
    };
    match (stated(legal), stated(control)) {
        (Some(a), Some(b)) => {
            ((a * a + b * b).sqrt(), format!("inputs' positional_accuracy_m ({a} m and {b} m, combined)"))
        }
        (Some(a), None) | (None, Some(a)) => (a, "one input's positional_accuracy_m".into()),
        (None, None) => (crate::check::DEFAULT_TOLERANCE_M, "default (1:100k map accuracy)".into()),
    }
}

struct Unit<'a> {
    id: String,
    key: String,
    geom: Cow<'a, MultiPolygon<f64>>,
    bbox: Option<Rect<f64>>,
}

fn units<'a>(layer: &'a Layer, key: &str) -> Vec<Unit<'a>> {
    layer
        .features
        .iter()
        .map(|f| {
            let geom = f.polygons().unwrap_or_else(|| Cow::Owned(MultiPolygon(vec![])));
            Unit { id: f.id.clone(), key: f.text(key).unwrap_or_default(), bbox: geom.bounding_rect(), geom }
        })
        .collect()
}

/// A raw piece before its attributes are measured.
struct RawPiece {
    class: Class,
    unit: Option<usize>,
    controller: Option<String>,
    controls: Vec<usize>,
    polygon: Polygon<f64>,
}

/// Run the overlay. Pure: no I/O, no printing.
///
/// ```
/// use delimit::io::{read_geojson_bytes, ReadOptions};
/// use delimit::layer::Role;
/// use delimit::overlay::{gaps, Class, GapsOptions};
/// let legal = read_geojson_bytes("legal.geojson".as_ref(), br#"{"type":"FeatureCollection","features":[
///   {"type":"Feature","id":"a","properties":{"owner":"A"},"geometry":{"type":"Polygon","coordinates":[[[0,0],[0.1,0],[0.1,0.1],[0,0.1],[0,0]]]}}]}"#,
///   &ReadOptions { role: Some(Role::Legal), ..Default::default() }).unwrap();
/// let control = read_geojson_bytes("control.geojson".as_ref(), br#"{"type":"FeatureCollection","features":[
///   {"type":"Feature","id":"b","properties":{"controller":"B"},"geometry":{"type":"Polygon","coordinates":[[[0.05,0],[0.2,0],[0.2,0.1],[0.05,0.1],[0.05,0]]]}}]}"#,
///   &ReadOptions { role: Some(Role::Control), ..Default::default() }).unwrap();
/// let r = gaps(&legal, &control, None, &GapsOptions::default()).unwrap();
/// let held: f64 = r.gaps.iter().filter(|g| g.class == Class::HeldByOther).map(|g| g.area_m2).sum();
/// let free: f64 = r.gaps.iter().filter(|g| g.class == Class::Unassigned).map(|g| g.area_m2).sum();
/// assert!((held - free).abs() / held < 1e-6); // half held by B, half by no one
/// assert!(r.gaps.iter().any(|g| g.class == Class::OutsideBasis));
/// ```
pub fn gaps(legal: &Layer, control: &Layer, settlements: Option<&Layer>, opts: &GapsOptions) -> Result<GapsResult> {
    let (tolerance_m, tolerance_from) = tolerance(legal, control, opts.tolerance_m);
    let (mut legal, mut control) = (Cow::Borrowed(legal), Cow::Borrowed(control));
    if opts.repair {
        repair(&mut legal, &opts.owner_field)?;
        repair(&mut control, &opts.controller_field)?;
    }
    let (legal, control) = (legal.as_ref(), control.as_ref());
    let legal_slivers = validate(legal, Role::Legal, opts, tolerance_m)?;
    validate(control, Role::Control, opts, tolerance_m)?;

    let lu = units(legal, &opts.owner_field);
    let cu = units(control, &opts.controller_field);
    let (l_cover, c_cover): (Vec<_>, Vec<_>) = rayon::join(
        || lu.par_iter().map(|u| index::cover(&u.geom)).collect(),
        || cu.par_iter().map(|u| index::cover(&u.geom)).collect(),
    );
    let (c_index, l_index) = rayon::join(|| index::Index::new(&c_cover), || index::Index::new(&l_cover));

    // Legal side.
    let legal_out: Vec<Result<(Vec<RawPiece>, Conservation)>> = lu
        .par_iter()
        .enumerate()
        .map(|(i, u)| {
            let cands = c_index.candidates(&l_cover[i]);
            contained(&u.id, &cands, &cu, || cut_legal(i, u, &cands, &cu))
        })
        .collect();
    // Control side.
    let control_out: Vec<Result<(Vec<RawPiece>, Conservation)>> = cu
        .par_iter()
        .enumerate()
        .map(|(j, u)| {
            let cands = l_index.candidates(&c_cover[j]);
            let others: Vec<usize> = c_index.candidates(&c_cover[j]).into_iter().filter(|&k| k != j).collect();
            contained(&u.id, &cands, &lu, || cut_control(j, u, &cands, &lu, &others, &cu))
        })
        .collect();

    let mut raw = Vec::new();
    let mut conservation = Vec::new();
    for r in legal_out.into_iter().chain(control_out) {
        let (pieces, c) = r?;
        raw.extend(pieces);
        conservation.push(c);
    }
    if let Some(bad) =
        conservation.iter().find(|c| c.planar_rel > PLANAR_TOLERANCE || c.geodesic_rel > GEODESIC_TOLERANCE)
    {
        return Err(Error::Conservation {
            unit: format!("{} unit {}", bad.layer, bad.unit),
            message: format!(
                "its pieces differ from its area by {:.3e} (planar) and {:.3e} (geodesic), beyond {PLANAR_TOLERANCE:e} and {GEODESIC_TOLERANCE:e}",
                bad.planar_rel, bad.geodesic_rel
            ),
        });
    }

    let ctx = Attrs::new(legal, &lu, control, &cu, settlements, opts, tolerance_m, &raw);
    let gaps = raw.into_par_iter().map(|p| ctx.measure(p)).collect();
    Ok(GapsResult { gaps, conservation, tolerance_m, tolerance_from, legal_slivers })
}

/// The stable id of a piece: a hash of class, legal unit, controller and an
/// interior point.
fn piece_id(class: Class, legal_unit: Option<&str>, controller: Option<&str>, inner: Option<Point<f64>>) -> String {
    let key = format!(
        "{}|{}|{}|{}",
        class.as_str(),
        legal_unit.unwrap_or(""),
        controller.unwrap_or(""),
        inner.map(|pt| format!("{:.6},{:.6}", pt.x(), pt.y())).unwrap_or_default()
    );
    let digest = Sha256::digest(key.as_bytes());
    format!("g{}", digest.iter().take(5).map(|b| format!("{b:02x}")).collect::<String>())
}

/// The overlay of single legal units, on demand: the same pieces and ids as
/// [`gaps`] gives for those units, without the rest of the layer. For
/// queries about one place (`village`), where overlaying the whole layer
/// would cost more than the question.
///
/// The inputs are not validated here; run [`gaps`] or `check` for that.
/// Pieces carry id, class, owner, controller, area, perimeter, width and
/// the sliver flag; depth and settlements are left empty.
///
/// ```
/// use delimit::overlay::{gaps, Class, GapsOptions, UnitOverlay};
/// let load = |n| delimit::sample::load(n, &Default::default()).unwrap();
/// let (legal, control) = (load("legal.geojson"), load("control.geojson"));
/// let opts = GapsOptions::default();
/// let i = legal.features.iter().position(|f| f.text("unit").as_deref() == Some("Artsvashen exclave")).unwrap();
/// let one = UnitOverlay::new(&legal, &control, &opts).pieces(i).unwrap();
/// let all = gaps(&legal, &control, None, &opts).unwrap();
/// let held: Vec<_> = one.iter().filter(|g| g.class == Class::HeldByOther).collect();
/// assert_eq!(held.len(), 1);
/// assert!(all.gaps.iter().any(|g| g.id == held[0].id && g.area_m2 == held[0].area_m2));
/// ```
pub struct UnitOverlay<'a> {
    legal: &'a Layer,
    lu: Vec<Unit<'a>>,
    cu: Vec<Unit<'a>>,
    c_index: index::Index,
    tolerance_m: f64,
}

impl<'a> UnitOverlay<'a> {
    /// Index the control layer once.
    pub fn new(legal: &'a Layer, control: &'a Layer, opts: &GapsOptions) -> UnitOverlay<'a> {
        let (tolerance_m, _) = tolerance(legal, control, opts.tolerance_m);
        let lu = units(legal, &opts.owner_field);
        let cu = units(control, &opts.controller_field);
        let c_cover: Vec<Vec<Rect<f64>>> = cu.iter().map(|u| index::cover(&u.geom)).collect();
        let c_index = index::Index::new(&c_cover);
        UnitOverlay { legal, lu, cu, c_index, tolerance_m }
    }

    /// The sliver tolerance in use, m.
    pub fn tolerance_m(&self) -> f64 {
        self.tolerance_m
    }

    /// Every piece of legal unit `i` (a feature index of the legal layer).
    pub fn pieces(&self, i: usize) -> Result<Vec<Gap>> {
        self.pieces_of(i, |_| true)
    }

    /// The pieces of legal unit `i` whose class passes `keep`. Only those
    /// are measured: the agreed piece of a mainland is the whole country,
    /// and its width alone costs more than the rest of a `village` query.
    ///
    /// ```
    /// use delimit::overlay::{Class, GapsOptions, UnitOverlay};
    /// let load = |n| delimit::sample::load(n, &Default::default()).unwrap();
    /// let (legal, control) = (load("legal.geojson"), load("control.geojson"));
    /// let ov = UnitOverlay::new(&legal, &control, &GapsOptions::default());
    /// let i = legal.features.iter().position(|f| f.text("unit").as_deref() == Some("Artsvashen exclave")).unwrap();
    /// let held = ov.pieces_of(i, |c| c == Class::HeldByOther).unwrap();
    /// let all = ov.pieces(i).unwrap();
    /// assert_eq!(held.len(), 1);
    /// assert!(all.iter().any(|g| g.id == held[0].id && g.width_m == held[0].width_m));
    /// ```
    /// Whether a `held_by_other` piece of legal unit `i` meets `window`
    /// (some of the unit there is held by one party other than its owner,
    /// and by no other), from the overlay of the unit cut to the window. Where the answer is no, a query looking
    /// only inside the window can skip the unit's whole overlay: for a
    /// mainland, ten times the cost. Shapes thinner than the overlay's grid
    /// (about 1e-5 of the window) are not seen, so a window should reach
    /// beyond what it must find by more than that.
    ///
    /// ```
    /// use delimit::overlay::{GapsOptions, UnitOverlay};
    /// use geo::{coord, Rect};
    /// let load = |n| delimit::sample::load(n, &Default::default()).unwrap();
    /// let (legal, control) = (load("legal.geojson"), load("control.geojson"));
    /// let ov = UnitOverlay::new(&legal, &control, &GapsOptions::default());
    /// let i = legal.features.iter().position(|f| f.text("unit").as_deref() == Some("Artsvashen exclave")).unwrap();
    /// // Artsvashen (held by another party) is at 45.37°E 40.64°N.
    /// let near = Rect::new(coord! { x: 45.2, y: 40.5 }, coord! { x: 45.5, y: 40.8 });
    /// let far = Rect::new(coord! { x: 46.0, y: 39.0 }, coord! { x: 46.3, y: 39.3 });
    /// assert!(ov.held_by_other_in(i, near).unwrap());
    /// assert!(!ov.held_by_other_in(i, far).unwrap());
    /// ```
    pub fn held_by_other_in(&self, i: usize, window: Rect<f64>) -> Result<bool> {
        let u = &self.lu[i];
        let Some(ub) = u.bbox else { return Ok(false) };
        let Some(w) = intersection_rect(ub, window) else { return Ok(false) };
        let unit = clip::to_rect(&u.geom, u.bbox, w);
        let cands = self.c_index.candidates(&index::cover(&unit));
        let clip_to = clip::widen(w);
        contained(&u.id, &cands, &self.cu, || {
            let g = Grid::for_rect(clip_to);
            let whole = g.shapes(&unit);
            let mut by_key: BTreeMap<&str, IntShapes> = BTreeMap::new();
            for &k in &cands {
                by_key.entry(self.cu[k].key.as_str()).or_default().extend(g.shapes(&clip::to_rect(
                    &self.cu[k].geom,
                    self.cu[k].bbox,
                    clip_to,
                )));
            }
            // As `cut_legal` carves it: a held_by_other piece is where one
            // party other than the owner, and no other party, holds the unit
            // (where two overlap, the piece is contested_control).
            by_key.iter().filter(|(key, _)| **key != u.key).any(|(key, shapes)| {
                let held = split::intersect(&whole, shapes);
                let others: IntShapes =
                    by_key.iter().filter(|(k, _)| k != &key).flat_map(|(_, s)| s.iter().cloned()).collect();
                split::twice_area(&split::split(&held, &others).outside) > 0
            })
        })
    }

    pub fn pieces_of(&self, i: usize, keep: impl Fn(Class) -> bool) -> Result<Vec<Gap>> {
        let u = &self.lu[i];
        let cands = self.c_index.candidates(&index::cover(&u.geom));
        let (raw, _) = contained(&u.id, &cands, &self.cu, || cut_legal(i, u, &cands, &self.cu))?;
        Ok(raw
            .into_iter()
            .filter(|p| keep(p.class))
            .map(|p| {
                let poly = p.polygon;
                let width_m = measure::width_m(&poly, 0.5);
                let legal_unit = self.legal.features[i].id.clone();
                Gap {
                    id: piece_id(p.class, Some(&legal_unit), p.controller.as_deref(), poly.interior_point()),
                    class: p.class,
                    owner: Some(u.key.clone()),
                    controller: p.controller,
                    legal_unit: Some(legal_unit),
                    control_ids: p.controls.iter().map(|&k| self.cu[k].id.clone()).collect(),
                    control_source: None,
                    as_of: None,
                    area_m2: measure::polygon_area_m2(&poly),
                    perimeter_m: measure::length_m(&Geometry::Polygon(poly.clone())),
                    depth_m: None,
                    width_m,
                    settlements: Vec::new(),
                    sliver: width_m < self.tolerance_m,
                    geometry: poly,
                }
            })
            .collect())
    }
}

/// The overlap of two boxes, if they share more than a line.
fn intersection_rect(a: Rect<f64>, b: Rect<f64>) -> Option<Rect<f64>> {
    let (x0, y0) = (a.min().x.max(b.min().x), a.min().y.max(b.min().y));
    let (x1, y1) = (a.max().x.min(b.max().x), a.max().y.min(b.max().y));
    (x0 < x1 && y0 < y1).then(|| Rect::new(geo::Coord { x: x0, y: y0 }, geo::Coord { x: x1, y: y1 }))
}

/// i_overlay has panicked on some inputs in the past (georust/geo#1189,
/// #1273). A panic in one unit becomes an error naming the features.
fn contained<T>(unit: &str, cands: &[usize], others: &[Unit], f: impl FnOnce() -> T) -> Result<T> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).map_err(|e| {
        let msg = e
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| e.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".into());
        Error::Overlay {
            unit: unit.to_string(),
            others: cands.iter().map(|&k| others[k].id.clone()).collect(),
            message: msg,
        }
    })
}

fn cut_legal(i: usize, u: &Unit, cands: &[usize], cu: &[Unit]) -> (Vec<RawPiece>, Conservation) {
    let mut pieces = Vec::new();
    let area = measure::multipolygon_area_m2(&u.geom);
    let Some(ub) = u.bbox else {
        return (pieces, Conservation::empty("legal", &u.id));
    };
    let clip_to = clip::widen(ub);
    let geoms: Vec<(usize, Cow<'_, MultiPolygon<f64>>)> =
        cands.iter().map(|&k| (k, clip::to_rect(&cu[k].geom, cu[k].bbox, clip_to))).collect();
    let g = Grid::for_rect(grow(ub, geoms.iter().map(|(_, m)| m.bounding_rect())));
    let mut groups: BTreeMap<&str, (IntShapes, Vec<usize>)> = BTreeMap::new();
    for (k, geom) in &geoms {
        let e = groups.entry(cu[*k].key.as_str()).or_default();
        e.0.extend(g.shapes(geom));
        e.1.push(*k);
    }
    let whole = g.shapes(&u.geom);
    let mut rest = whole.clone();
    let mut cut_twice: i128 = 0;
    let mut noding: i128 = 0;
    let mut emit =
        |class: Class, controller: Option<String>, controls: Vec<usize>, shapes: &IntShapes, cut: &mut i128| {
            *cut += split::twice_area(shapes);
            for polygon in g.polygons(shapes) {
                pieces.push(RawPiece {
                    class,
                    unit: Some(i),
                    controller: controller.clone(),
                    controls: controls.clone(),
                    polygon,
                });
            }
        };
    // Contested first: wherever two controllers' areas overlap, pair by
    // pair (where three overlap, the first pair in key order takes it).
    let keys: Vec<&str> = groups.keys().copied().collect();
    for a in 0..keys.len() {
        for b in a + 1..keys.len() {
            let both = split::intersect(&groups[keys[a]].0, &groups[keys[b]].0);
            if both.is_empty() {
                continue;
            }
            let cut = split::split(&rest, &both);
            let ks: Vec<usize> = groups[keys[a]].1.iter().chain(&groups[keys[b]].1).copied().collect();
            emit(Class::ContestedControl, Some(format!("{}|{}", keys[a], keys[b])), ks, &cut.inside, &mut cut_twice);
            noding += cut.noding;
            rest = cut.outside;
        }
    }
    for (key, (shapes, ks)) in &groups {
        let cut = split::split(&rest, shapes);
        let class = if *key == u.key { Class::HeldByOwner } else { Class::HeldByOther };
        emit(class, Some(key.to_string()), ks.clone(), &cut.inside, &mut cut_twice);
        noding += cut.noding;
        rest = cut.outside;
    }
    emit(Class::Unassigned, None, Vec::new(), &rest, &mut cut_twice);

    let geodesic: f64 = pieces.iter().map(|p| measure::polygon_area_m2(&p.polygon)).sum();
    let snapped: f64 = g.polygons(&whole).iter().map(measure::polygon_area_m2).sum();
    let c = conservation("legal", &u.id, area, snapped, geodesic, split::twice_area(&whole), cut_twice, noding);
    (pieces, c)
}

/// The control side: what of control polygon `j` no legal unit covers.
/// Where it overlaps another control polygon there, the overlap is counted
/// once: the lower-indexed polygon of each pair keeps it (as
/// `contested_control` between two controllers, or as its own
/// `outside_basis` when both have the same one), and the higher-indexed one
/// gives it away.
fn cut_control(
    j: usize,
    u: &Unit,
    cands: &[usize],
    lu: &[Unit],
    others: &[usize],
    cu: &[Unit],
) -> (Vec<RawPiece>, Conservation) {
    let mut pieces = Vec::new();
    let area = measure::multipolygon_area_m2(&u.geom);
    let Some(ub) = u.bbox else {
        return (pieces, Conservation::empty("control", &u.id));
    };
    let clip_to = clip::widen(ub);
    let legal_geoms: Vec<Cow<'_, MultiPolygon<f64>>> =
        cands.iter().map(|&k| clip::to_rect(&lu[k].geom, lu[k].bbox, clip_to)).collect();
    let other_geoms: Vec<(usize, Cow<'_, MultiPolygon<f64>>)> =
        others.iter().map(|&k| (k, clip::to_rect(&cu[k].geom, cu[k].bbox, clip_to))).collect();
    let g = Grid::for_rect(grow(
        ub,
        legal_geoms.iter().chain(other_geoms.iter().map(|(_, m)| m)).map(|m| m.bounding_rect()),
    ));
    let whole = g.shapes(&u.geom);
    let mut rest = whole.clone();
    let (mut cut_twice, mut noding, mut geodesic_sum) = (0i128, 0i128, 0.0);
    let mut take = |rest: &mut IntShapes, other: &IntShapes, noding: &mut i128| {
        let cut = split::split(rest, other);
        cut_twice += split::twice_area(&cut.inside);
        let polys = g.polygons(&cut.inside);
        geodesic_sum += polys.iter().map(measure::polygon_area_m2).sum::<f64>();
        *noding += cut.noding;
        *rest = cut.outside;
        polys
    };
    // All legal units in one cut (non-zero fill: overlaps between them do
    // not matter here). One at a time, the rest gained a hole per unit and
    // each cut re-noded all of them: 100,000 small units under one control
    // polygon never finished.
    let legal_shapes: IntShapes = legal_geoms.iter().flat_map(|geom| g.shapes(geom)).collect();
    if !legal_shapes.is_empty() {
        take(&mut rest, &legal_shapes, &mut noding);
    }
    // Given away to lower-indexed polygons, which count it; likewise in one cut.
    let given: IntShapes = other_geoms.iter().filter(|(k, _)| *k < j).flat_map(|(_, geom)| g.shapes(geom)).collect();
    if !given.is_empty() {
        take(&mut rest, &given, &mut noding);
    }
    // Kept as contested with higher-indexed polygons of another controller.
    for (k, geom) in other_geoms.iter().filter(|(k, _)| *k > j && cu[*k].key != u.key) {
        let k = *k;
        let (a, b) = if u.key <= cu[k].key { (&u.key, &cu[k].key) } else { (&cu[k].key, &u.key) };
        for polygon in take(&mut rest, &g.shapes(geom), &mut noding) {
            pieces.push(RawPiece {
                class: Class::ContestedControl,
                unit: None,
                controller: Some(format!("{a}|{b}")),
                controls: vec![j, k],
                polygon,
            });
        }
    }
    cut_twice += split::twice_area(&rest);
    for polygon in g.polygons(&rest) {
        geodesic_sum += measure::polygon_area_m2(&polygon);
        pieces.push(RawPiece {
            class: Class::OutsideBasis,
            unit: None,
            controller: Some(u.key.clone()),
            controls: vec![j],
            polygon,
        });
    }
    let snapped: f64 = g.polygons(&whole).iter().map(measure::polygon_area_m2).sum();
    let c = conservation("control", &u.id, area, snapped, geodesic_sum, split::twice_area(&whole), cut_twice, noding);
    (pieces, c)
}

/// The conservation figures of one unit.
///
/// Planar, on the grid, exactly: the pieces must equal the unit plus what
/// noding (inserting snapped crossings) changed at each cut; any difference
/// is a missing or doubled piece. On the ellipsoid: the pieces must add up
/// to the unit as it stands on the grid; areas there are additive, so only
/// the snapping of crossing vertices separates them. How far the grid moved
/// the unit itself (a unit cut against a continent-sized polygon sits on a
/// coarser grid) is reported apart, as `snap_m2`.
#[allow(clippy::too_many_arguments)]
fn conservation(
    layer: &'static str,
    unit: &str,
    area: f64,
    snapped: f64,
    pieces_area: f64,
    whole_twice: i128,
    pieces_twice: i128,
    noding_twice: i128,
) -> Conservation {
    let rel = |a: f64, b: f64| if b > 0.0 { ((a - b) / b).abs() } else { a.abs() };
    let planar_rel = if whole_twice == 0 {
        0.0
    } else {
        ((pieces_twice - whole_twice - noding_twice) as f64 / whole_twice as f64).abs()
    };
    // Noding's effect in m², scaled by the unit's own m² per grid unit.
    let cut_effect_m2 = if whole_twice == 0 { 0.0 } else { snapped * noding_twice as f64 / whole_twice as f64 };
    Conservation {
        layer,
        unit: unit.to_string(),
        area_m2: area,
        planar_rel,
        // The same identity as the planar one: the unit on the grid plus the
        // noding of its cuts (in m², through the unit's own m²-per-grid-unit).
        geodesic_rel: rel(pieces_area, snapped + cut_effect_m2),
        cut_effect_m2,
        snap_m2: snapped - area,
    }
}

/// Everything needed to measure a piece's attributes.
struct Attrs<'a> {
    legal: &'a Layer,
    lu: &'a [Unit<'a>],
    control: &'a Layer,
    cu: &'a [Unit<'a>],
    places: crate::index::Places,
    opts: &'a GapsOptions,
    tolerance_m: f64,
    /// The owner's legal boundary with each controller, per legal unit.
    lines: BTreeMap<(usize, String), measure::LineIndex>,
}

impl<'a> Attrs<'a> {
    // Each argument is one of the run's layers or its parts; bundling them
    // in a struct would only rename them.
    #[allow(clippy::too_many_arguments)]
    fn new(
        legal: &'a Layer,
        lu: &'a [Unit<'a>],
        control: &'a Layer,
        cu: &'a [Unit<'a>],
        settlements: Option<&'a Layer>,
        opts: &'a GapsOptions,
        tolerance_m: f64,
        raw: &[RawPiece],
    ) -> Attrs<'a> {
        let places = crate::index::Places::new(settlements, &opts.name_field);
        // Only the (unit, controller) pairs that hold gaps need a boundary,
        // and only those controllers' legal territory is gathered.
        let mut pairs: Vec<(usize, String)> = raw
            .iter()
            .filter(|p| p.class == Class::HeldByOther)
            .filter_map(|p| Some((p.unit?, p.controller.clone()?)))
            .collect();
        pairs.sort();
        pairs.dedup();
        let wanted: std::collections::BTreeSet<&str> = pairs.iter().map(|(_, c)| c.as_str()).collect();
        let mut by_owner: BTreeMap<&str, MultiPolygon<f64>> = BTreeMap::new();
        for u in lu.iter().filter(|u| wanted.contains(u.key.as_str())) {
            by_owner.entry(u.key.as_str()).or_insert_with(|| MultiPolygon(vec![])).0.extend(u.geom.0.iter().cloned());
        }
        let by_owner: BTreeMap<&str, EdgeSet> = by_owner.into_iter().map(|(k, m)| (k, EdgeSet::of(&m))).collect();
        let lines = pairs
            .into_par_iter()
            .map(|(i, c)| {
                let line = by_owner
                    .get(c.as_str())
                    .map(|theirs| theirs.shared_with(&lu[i].geom))
                    .unwrap_or_else(|| MultiLineString(vec![]));
                ((i, c), measure::LineIndex::new(&line))
            })
            .collect();
        Attrs { legal, lu, control, cu, places, opts, tolerance_m, lines }
    }

    fn distinct(&self, controls: &[usize], field: &str) -> Option<String> {
        let mut v: Vec<String> = Vec::new();
        for &k in controls {
            if let Some(s) = self.control.features[k].text(field)
                && !v.contains(&s)
            {
                v.push(s);
            }
        }
        (!v.is_empty()).then(|| v.join("; "))
    }

    fn measure(&self, p: RawPiece) -> Gap {
        let poly = &p.polygon;
        let area_m2 = measure::polygon_area_m2(poly);
        let width_m = measure::width_m(poly, 0.5);
        let owner = p.unit.map(|i| self.lu[i].key.clone());
        let inner = poly.interior_point();
        let bb = poly.bounding_rect();
        // The control polygons of the piece's controller(s) whose box meets it.
        let controls: Vec<usize> = p
            .controls
            .iter()
            .copied()
            .filter(|&k| matches!((bb, self.cu[k].bbox), (Some(a), Some(b)) if a.intersects(&b)))
            .collect();
        let controller = p.controller.clone();
        let sliver = width_m < self.tolerance_m;
        let depth_m = match (p.class, p.unit, &p.controller) {
            (Class::HeldByOther, Some(i), Some(c)) => self.lines.get(&(i, c.clone())).and_then(|l| {
                // In a sliver every point is within width/2 of its edge, so
                // the vertices give the depth to within that: the interior
                // search, which must resolve the whole length of a sliver
                // to the precision, is kept for real gaps.
                if sliver { l.farthest_vertex(poly) } else { l.farthest_from(poly, 0.5) }
            }),
            _ => None,
        };
        let settlements = self.places.inside(poly);
        let legal_unit = p.unit.map(|i| self.legal.features[i].id.clone());
        let id = piece_id(p.class, legal_unit.as_deref(), controller.as_deref(), inner);
        Gap {
            id,
            class: p.class,
            owner,
            controller,
            legal_unit,
            control_ids: controls.iter().map(|&k| self.cu[k].id.clone()).collect(),
            control_source: self.distinct(&controls, &self.opts.source_field),
            as_of: self.distinct(&controls, &self.opts.as_of_field),
            area_m2,
            perimeter_m: measure::length_m(&Geometry::Polygon(poly.clone())),
            depth_m,
            width_m,
            settlements,
            sliver,
            geometry: p.polygon,
        }
    }
}

#[cfg(test)]
mod tests;
