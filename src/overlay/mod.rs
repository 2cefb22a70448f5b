//! `gaps`: the overlay of a legal basis and a control layer, classifying
//! every square metre of their union as held by its owner, held by another
//! party, unassigned, outside the legal basis, or contested.
//!
//! # Method
//! 1. Each polygon is covered by quadtree cells (`ST_Subdivide`-like) and
//!    the control cells are bulk-loaded into an R-tree; the legal cells
//!    query it for candidates.
//! 2. Every ring of both layers is put on one integer grid for the run and
//!    snap-rounded once, all against all (`noding`): crossings become
//!    vertices of both edges, and edges within half a grid step of a vertex
//!    pass through it. The cuts below then only select edges, so the pieces
//!    form a polygon coverage: neighbours share their borders vertex for
//!    vertex, within and across units.
//! 3. Each legal unit is cut: first its sliver overlaps with other legal
//!    units (one `dual_claim` piece each), then the area where controllers
//!    overlap (contested), then each controller's area in turn, each split
//!    taken from one i_overlay graph, so the two halves tile what was left
//!    exactly. What remains is unassigned. Control polygons are cut by the
//!    legal units the same way; what remains is outside the basis.
//! 4. Conservation is checked per unit: the pieces' areas must add up to
//!    the unit's, to 1e-9 relative (planar) and 1e-6 (geodesic).
//!
//! Units are processed in parallel; results are collected in input order,
//! so the output is the same for any number of threads.

mod attrs;
pub(crate) mod clip;
mod coverage;
pub use coverage::{CoverageDefects, coverage_defects};
pub(crate) use engine::{intersection_rect, union_rect};
mod engine;
mod filter;
pub(crate) mod grid;
mod index;
pub(crate) mod noding;
pub use filter::{Filtered, GapFilter, parse_pair};
mod policy;
pub(crate) mod split;
mod types;
mod unit;

use attrs::*;
use engine::*;
use policy::*;
pub use types::*;
pub use unit::UnitOverlay;

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

    let mut lu = units(legal, &opts.owner_field);
    let mut cu = units(control, &opts.controller_field);
    // One grid per cluster of touching units and one noding of every ring
    // of a cluster: neighbouring pieces then share their borders vertex
    // for vertex (noding.rs), and a far-away unit leaves the others'
    // precision alone (engine.rs).
    let grids = run_grids(&lu, &cu, opts.extent, opts.grid.map(|f| f.0));
    for (c, &g) in grids.grids.iter().enumerate() {
        node_units(&mut lu, &mut cu, g, |legal, i| grids.holds(c, legal, i));
    }
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
            let near = l_index.candidates(&l_cover[i]);
            contained(&u.id, &cands, &cu, || cut_legal(i, u, &cands, &cu, &near, &lu, grids.of_legal(i)))
        })
        .collect();
    // Control side.
    let control_out: Vec<Result<(Vec<RawPiece>, Conservation)>> = cu
        .par_iter()
        .enumerate()
        .map(|(j, u)| {
            let cands = l_index.candidates(&c_cover[j]);
            let others: Vec<usize> = c_index.candidates(&c_cover[j]).into_iter().filter(|&k| k != j).collect();
            contained(&u.id, &cands, &lu, || cut_control(j, u, &cands, &lu, &others, &cu, grids.of_control(j)))
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

/// The sliver tolerance [`gaps`] would use, in metres, and where it comes
/// from: `given`, else the inputs' `positional_accuracy_m`, else 100 m.
pub fn tolerance_of(legal: &Layer, control: &Layer, given: Option<f64>) -> (f64, String) {
    tolerance(legal, control, given)
}

/// A layer as `--repair` mends it before the overlay (each invalid feature
/// snapped to a fine grid and self-unioned); borrowed when nothing needs it.
pub fn repaired<'a>(layer: &'a Layer, key: &str) -> Result<Cow<'a, Layer>> {
    let mut layer = Cow::Borrowed(layer);
    repair(&mut layer, key)?;
    Ok(layer)
}

/// A control layer as [`gaps`] would overlay it: repaired when
/// `opts.repair` asks, then validated at `tolerance_m`. For callers that
/// overlay parts of one layer many times ([`crate::changes`]): the checks
/// run once on the whole layer, with errors that name its file and feature.
pub fn prepare_control<'a>(control: &'a Layer, opts: &GapsOptions, tolerance_m: f64) -> Result<Cow<'a, Layer>> {
    let mut control = Cow::Borrowed(control);
    if opts.repair {
        repair(&mut control, &opts.controller_field)?;
    }
    validate(&control, Role::Control, opts, tolerance_m)?;
    Ok(control)
}

#[cfg(test)]
mod tests;
