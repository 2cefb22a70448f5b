//! The input policy: what is refused, what `--repair` mends, and the
//! sliver tolerance.

use super::*;

/// Refuse invalid geometry (or repair it), and a legal basis with real dual claims.
pub(super) fn validate(
    layer: &Layer,
    role: Role,
    opts: &GapsOptions,
    tolerance_m: f64,
) -> Result<Vec<crate::check::Problem>> {
    let key = match role {
        Role::Legal => opts.owner_field.clone(),
        _ => opts.controller_field.clone(),
    };
    let copts = CheckOptions { role, key_field: Some(key), min_area_m2: 1.0, tolerance_m };
    // Overlaps between control polygons are contested control, not a
    // defect, and gaps between them are unassigned: neither is an error, so
    // only the legal basis is checked as a partition.
    let report = crate::check::check_with(layer, &copts, role == Role::Legal);
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
            _ if opts.repair => (
                "invalid geometry that --repair could not mend",
                "run `delimit check` for every problem and fix the features it names at the source (in QGIS: Vector > Geometry Tools > Fix Geometries, then check again)".to_string(),
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
pub(super) fn repair(layer: &mut Cow<'_, Layer>, key: &str) -> Result<()> {
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
pub(super) fn tolerance(legal: &Layer, control: &Layer, given: Option<f64>) -> (f64, String) {
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
