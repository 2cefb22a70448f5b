//! What the overlay returns: classes, pieces, the conservation check and
//! the summary rows, with the options that shaped them.

use super::*;

/// What a piece of the union is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Class {
    /// Legally of the owner, held by another party: a gap.
    HeldByOther,
    /// Two or more controllers claim to hold it.
    ContestedControl,
    /// Two legal units of different owners overlap here (within the
    /// sliver tolerance: wider overlaps are refused). One piece, naming
    /// both owners, counted in neither unit.
    DualClaim,
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
            Class::DualClaim => "dual_claim",
            Class::HeldByOwner => "held_by_owner",
            Class::Unassigned => "unassigned",
            Class::OutsideBasis => "outside_basis",
        }
    }
}

/// An integer grid chosen inside the crate (`changes` overlays each window
/// on its run's grid); opaque elsewhere.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FixedGrid(pub(crate) super::grid::Grid);

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
    /// A box the run's integer grid must also hold, besides the two
    /// layers: runs given the same box snap to the same grid, so their
    /// pieces share vertices (`changes` overlays one basis with many
    /// snapshots so).
    pub extent: Option<Rect<f64>>,
    /// The run's integer grid, fixed by the caller ([`FixedGrid`]); it must
    /// hold both layers. Overrides `extent`.
    pub grid: Option<FixedGrid>,
    /// Measure each piece's area only: width, depth and perimeter are left
    /// at 0, `sliver` false and settlements empty. For callers that only
    /// sum areas (`changes` checks its identity with such runs).
    pub areas_only: bool,
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
            extent: None,
            areas_only: false,
            grid: None,
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
    pub(super) fn empty(layer: &'static str, unit: &str) -> Conservation {
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
    /// Legal overlaps narrower than the tolerance: each is a `dual_claim`
    /// piece (different owners) or counted once (one owner).
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
