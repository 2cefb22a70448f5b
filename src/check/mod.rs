//! `check`: is a layer fit to be a legal basis or a control layer? Geometry
//! validity, coordinate sanity, and for a legal basis the partition test
//! (no unit overlaps another, no hole between units).
//!
//! Every problem carries the feature id and a lon/lat location, so that it
//! can be written as a point layer and inspected in QGIS.

mod partition;
mod rings;

use rayon::prelude::*;
use serde::Serialize;

use crate::layer::{Layer, Role};

/// How bad a problem is. Errors make `check` exit 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// The layer cannot be trusted for overlays until this is fixed.
    Error,
    /// Worth knowing; overlays still work.
    Warning,
}

/// One problem found in a layer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Problem {
    /// Machine code, e.g. `self_intersection`, `dual_claim`, `gap`.
    pub code: &'static str,
    /// Error or warning.
    pub severity: Severity,
    /// Id of the feature concerned.
    pub feature: String,
    /// The other feature, for problems between two (overlaps).
    pub other: Option<String>,
    /// What is wrong, in words.
    pub message: String,
    /// Where, as [lon, lat].
    pub location: Option<[f64; 2]>,
    /// Geodesic area in km², for overlaps and gaps.
    pub area_km2: Option<f64>,
    /// Estimated width in metres (largest inscribed circle), for overlaps and gaps.
    pub width_m: Option<f64>,
}

/// Default sliver tolerance: 1:100k sheets are good to about 50–70 m, and
/// two digitisations of one line each carry that error.
pub const DEFAULT_TOLERANCE_M: f64 = 100.0;

/// Options for [`check_layer`].
#[derive(Debug, Clone)]
pub struct CheckOptions {
    /// The role to check against: a legal basis must also be a partition.
    pub role: Role,
    /// Field holding the owner (legal) or controller (control).
    pub key_field: Option<String>,
    /// Overlaps and gaps smaller than this many m² are not reported. i_overlay
    /// can leave slivers of a few mm² where edges are shared; 1 m² is far
    /// below any map's accuracy and far above that noise.
    pub min_area_m2: f64,
    /// Overlaps and gaps narrower than this (metres, largest inscribed
    /// circle) are digitising slivers: reported as warnings, never dropped.
    pub tolerance_m: f64,
}

impl CheckOptions {
    /// Defaults for a role: key field from the default names, 1 m² threshold.
    pub fn for_role(role: Role) -> CheckOptions {
        let names = crate::layer::FieldNames::default();
        CheckOptions {
            role,
            key_field: names.key_for(role).map(|(f, _)| f.to_string()),
            min_area_m2: 1.0,
            tolerance_m: DEFAULT_TOLERANCE_M,
        }
    }
}

/// The outcome of a check.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// The role checked against.
    pub role: Role,
    /// Number of features checked.
    pub features: usize,
    /// Problems, sorted by severity, code, feature, then location.
    pub problems: Vec<Problem>,
}

impl Report {
    /// Number of errors.
    pub fn errors(&self) -> usize {
        self.problems.iter().filter(|p| p.severity == Severity::Error).count()
    }

    /// Number of warnings.
    pub fn warnings(&self) -> usize {
        self.problems.iter().filter(|p| p.severity == Severity::Warning).count()
    }
}

/// Check a layer. Pure: no I/O, no printing.
///
/// ```
/// use delimit::check::{check_layer, CheckOptions};
/// use delimit::layer::{Feature, Layer, Role};
/// # fn layer(features: Vec<Feature>) -> Layer {
/// #   Layer { name: "t".into(), role: Some(Role::Legal), features, fields: vec![],
/// #     provenance: delimit::layer::Provenance { path: "t".into(), layer: "t".into(),
/// #       sha256: String::new(), driver: String::new(), source_crs: "EPSG:4326".into(),
/// #       crs_from: "file".into(), ..Default::default() }, notes: vec![] }
/// # }
/// // A bow-tie: the ring crosses itself at (0.5, 0.5).
/// let bowtie = geo::wkt!(POLYGON((0. 0., 1. 1., 1. 0., 0. 1., 0. 0.)));
/// let mut f = Feature { id: "bow".into(), index: 0, geometry: Some(bowtie.into()), properties: Default::default() };
/// f.properties.insert("owner".into(), "X".into());
/// let report = check_layer(&layer(vec![f]), &CheckOptions::for_role(Role::Legal));
/// let p = report.problems.iter().find(|p| p.code == "self_intersection").unwrap();
/// assert_eq!(p.location, Some([0.5, 0.5]));
/// ```
pub fn check_layer(layer: &Layer, opts: &CheckOptions) -> Report {
    check_with(layer, opts, true)
}

/// [`check_layer`] without the overlaps and gaps between features when
/// `partition` is false: for a control layer they are findings, never
/// errors, so the overlay's validation skips them.
pub(crate) fn check_with(layer: &Layer, opts: &CheckOptions, partition: bool) -> Report {
    let mut problems = Vec::new();
    for n in &layer.notes {
        let (severity, code) = match n.code {
            "z_dropped" => (Severity::Warning, "z_dropped"),
            other => (Severity::Error, other),
        };
        problems.push(Problem {
            code,
            severity,
            feature: n.feature.clone(),
            other: None,
            message: n.message.clone(),
            location: n.location,
            area_km2: None,
            width_m: None,
        });
    }
    let mut seen = std::collections::HashMap::new();
    for f in &layer.features {
        if let Some(first) = seen.insert(f.id.as_str(), f.index) {
            problems.push(Problem {
                code: "duplicate_id",
                severity: Severity::Warning,
                feature: f.id.clone(),
                other: None,
                message: format!("id `{}` is used by features at positions {} and {}", f.id, first + 1, f.index + 1),
                location: None,
                area_km2: None,
                width_m: None,
            });
        }
    }
    // Each feature's geometry on its own core; problems keep the file's order.
    let per_feature: Vec<Vec<Problem>> = layer
        .features
        .par_iter()
        .map(|f| {
            let mut found = Vec::new();
            if let Some(g) = &f.geometry {
                rings::check_geometry(&f.id, g, opts.min_area_m2, &mut found);
            }
            found
        })
        .collect();
    problems.extend(per_feature.into_iter().flatten());
    let geometry_ok = !problems.iter().any(|p| p.severity == Severity::Error);
    match opts.role {
        Role::Legal | Role::Control if partition => {
            // Overlay on broken rings gives meaningless areas; say so instead.
            if geometry_ok {
                partition::check(layer, opts, &mut problems);
            } else {
                problems.push(Problem {
                    code: "partition_skipped",
                    severity: Severity::Warning,
                    feature: String::new(),
                    other: None,
                    message: "overlaps and gaps between units were not computed, because some geometries are invalid; fix those first".into(),
                    location: None,
                    area_km2: None,
                    width_m: None,
                });
            }
        }
        _ => {}
    }
    problems.sort_by(|a, b| {
        (a.severity, a.code, &a.feature, &a.other).cmp(&(b.severity, b.code, &b.feature, &b.other)).then_with(|| {
            let la = a.location.unwrap_or([f64::NAN; 2]);
            let lb = b.location.unwrap_or([f64::NAN; 2]);
            la[0].total_cmp(&lb[0]).then(la[1].total_cmp(&lb[1]))
        })
    });
    Report { role: opts.role, features: layer.features.len(), problems }
}
