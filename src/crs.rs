//! Coordinate reference systems: deciding which PROJ operation takes a layer
//! to EPSG:4326 lon/lat, recording it, and applying it.
//!
//! PROJ's `proj_create_crs_to_crs` picks an operation per point from several
//! candidates and does not say which it used. For delimitation that is not
//! good enough: SK-42 has several published Helmert sets, and the default has
//! changed between EPSG database versions (QGIS#37404). So delimit asks PROJ
//! for the candidate operations over the data's own area, takes the best one
//! (PROJ's order: widest coverage of the area, then best accuracy), records
//! its name, accuracy and pipeline, and applies exactly that pipeline.

use std::ffi::{CStr, CString};
use std::path::Path;

use geo::{Coord, Geometry, MapCoordsInPlace};
use proj_sys as ps;

use crate::error::{Error, Result};
use crate::layer::CrsOperation;

/// The CRS every layer is held in: WGS 84 lon/lat (axis order normalised).
pub const WGS84: &str = "EPSG:4326";

/// Owned PROJ context: destroyed on drop.
struct Ctx(*mut ps::PJ_CONTEXT);

/// PROJ logs errors to stderr by default; the library must not print, and
/// every failure already comes back as a typed error. New contexts copy the
/// default context's log level, so setting it once silences them all,
/// including those the `proj` crate creates.
fn quiet() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    // SAFETY: a null context means the default context.
    ONCE.call_once(|| unsafe {
        ps::proj_log_level(std::ptr::null_mut(), ps::PJ_LOG_LEVEL_PJ_LOG_NONE);
    });
}

impl Ctx {
    fn new() -> Self {
        quiet();
        // SAFETY: proj_context_create has no preconditions.
        Ctx(unsafe { ps::proj_context_create() })
    }

    fn last_error(&self) -> String {
        // SAFETY: the context is live; PROJ returns a static or context-owned string.
        unsafe {
            let code = ps::proj_context_errno(self.0);
            let msg = ps::proj_context_errno_string(self.0, code);
            if msg.is_null() { format!("PROJ error {code}") } else { cstr(msg) }
        }
    }
}

impl Drop for Ctx {
    fn drop(&mut self) {
        // SAFETY: created by proj_context_create and dropped once.
        unsafe { ps::proj_context_destroy(self.0) };
    }
}

/// Owned PROJ object: destroyed on drop. Declared after the context it uses
/// wherever both are locals, so it drops first.
struct Pj(*mut ps::PJ);

impl Drop for Pj {
    fn drop(&mut self) {
        if !self.0.is_null() {
            // SAFETY: a PJ returned by PROJ, destroyed once.
            unsafe { ps::proj_destroy(self.0) };
        }
    }
}

fn cstr(p: *const std::os::raw::c_char) -> String {
    // SAFETY: callers pass non-null NUL-terminated strings owned by PROJ.
    unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
}

fn create(ctx: &Ctx, definition: &str, context: Option<&Path>) -> Result<Pj> {
    let crs_err = |message: String| Error::Crs {
        definition: definition.to_string(),
        context: context.map(Path::to_path_buf),
        message,
    };
    let c = CString::new(definition).map_err(|_| crs_err("contains a NUL byte".into()))?;
    // SAFETY: ctx is live, c is NUL-terminated.
    let pj = Pj(unsafe { ps::proj_create(ctx.0, c.as_ptr()) });
    if pj.0.is_null() {
        return Err(crs_err(ctx.last_error()));
    }
    // A CRS is wanted here, not an operation or an ellipsoid.
    // SAFETY: pj is non-null.
    let ty = unsafe { ps::proj_get_type(pj.0) };
    if !(ps::PJ_TYPE_PJ_TYPE_CRS..=ps::PJ_TYPE_PJ_TYPE_OTHER_CRS).contains(&ty) {
        return Err(crs_err("it is not a coordinate reference system (a PROJ string needs +type=crs)".into()));
    }
    Ok(pj)
}

/// Facts about a CRS that the readers need.
#[derive(Debug, Clone, PartialEq)]
pub struct CrsInfo {
    /// `AUTHORITY:CODE` when PROJ knows one, else the CRS name.
    pub label: String,
    /// A projected CRS (metres, not degrees).
    pub projected: bool,
    /// Equivalent to WGS 84 lon/lat, so no transformation is needed.
    pub is_wgs84: bool,
}

/// Describe a CRS definition (`EPSG:28408`, WKT, PROJJSON or a PROJ string).
///
/// ```
/// let sk42 = delimit::crs::describe("EPSG:28408").unwrap();
/// assert_eq!(sk42.label, "EPSG:28408");
/// assert!(sk42.projected && !sk42.is_wgs84);
/// assert!(delimit::crs::describe("OGC:CRS84").unwrap().is_wgs84);
/// assert!(delimit::crs::describe("EPSG:999999").is_err());
/// ```
pub fn describe(definition: &str) -> Result<CrsInfo> {
    // The CRS every GeoJSON file without a `crs` member has: answered
    // without PROJ, whose context and database lookup cost more than a
    // whole `village` query on the sample. The test below holds this
    // answer to PROJ's.
    if definition == WGS84 {
        return Ok(CrsInfo { label: WGS84.to_string(), projected: false, is_wgs84: true });
    }
    describe_with_proj(definition)
}

fn describe_with_proj(definition: &str) -> Result<CrsInfo> {
    let ctx = Ctx::new();
    let pj = create(&ctx, definition, None)?;
    let wgs = create(&ctx, WGS84, None)?;
    // SAFETY: both objects are live and belong to ctx.
    unsafe {
        let mut ty = ps::proj_get_type(pj.0);
        let mut base = None;
        if ty == ps::PJ_TYPE_PJ_TYPE_BOUND_CRS {
            let src = Pj(ps::proj_get_source_crs(ctx.0, pj.0));
            if !src.0.is_null() {
                ty = ps::proj_get_type(src.0);
                base = Some(src);
            }
        }
        let target = base.as_ref().unwrap_or(&pj);
        let label = {
            let auth = ps::proj_get_id_auth_name(target.0, 0);
            let code = ps::proj_get_id_code(target.0, 0);
            if !auth.is_null() && !code.is_null() {
                format!("{}:{}", cstr(auth), cstr(code))
            } else {
                let n = ps::proj_get_name(target.0);
                if n.is_null() { definition.to_string() } else { cstr(n) }
            }
        };
        let is_wgs84 = base.is_none()
            && ps::proj_is_equivalent_to(
                pj.0,
                wgs.0,
                ps::PJ_COMPARISON_CRITERION_PJ_COMP_EQUIVALENT_EXCEPT_AXIS_ORDER_GEOGCRS,
            ) == 1;
        Ok(CrsInfo { label, projected: ty == ps::PJ_TYPE_PJ_TYPE_PROJECTED_CRS, is_wgs84 })
    }
}

/// Takes coordinates from one CRS to EPSG:4326 lon/lat with one recorded
/// operation. Build it with [`Transformer::to_wgs84`].
pub struct Transformer {
    proj: proj::Proj,
    operation: CrsOperation,
    from: String,
}

impl std::fmt::Debug for Transformer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transformer").field("operation", &self.operation).finish()
    }
}

impl Transformer {
    /// Choose the operation from `source` to WGS 84 lon/lat for data whose
    /// native bounding box is `native_bbox` (`[xmin, ymin, xmax, ymax]` in the
    /// source CRS, GIS axis order). Returns `None` when the source already is
    /// WGS 84 lon/lat.
    ///
    /// ```
    /// use delimit::crs::Transformer;
    /// // A Gauss–Krüger zone 8 point near 39.5°N 46°E (easting, northing).
    /// let t = Transformer::to_wgs84("EPSG:28408", [8586100.0, 4374500.0, 8586100.0, 4374500.0])
    ///     .unwrap()
    ///     .expect("SK-42 needs a datum shift");
    /// assert!(t.operation().name.contains("Pulkovo 1942 to WGS 84"));
    /// let c = t.convert(geo::coord! { x: 8586100.0, y: 4374500.0 }).unwrap();
    /// assert!((c.x - 46.0).abs() < 0.01 && (c.y - 39.5).abs() < 0.01);
    /// ```
    pub fn to_wgs84(source: &str, native_bbox: [f64; 4]) -> Result<Option<Transformer>> {
        quiet();
        let info = describe(source)?;
        if info.is_wgs84 {
            return Ok(None);
        }
        let proj_err = |call: &'static str, message: String| Error::Proj {
            call,
            from: info.label.clone(),
            to: WGS84.into(),
            message,
        };
        // The area of interest is the data's own box in lon/lat. A ballpark
        // transform (≈100 m off at worst) is plenty to place that box.
        let rough = proj::Proj::new_known_crs(source, WGS84, None)
            .map_err(|e| proj_err("proj_create_crs_to_crs", e.to_string()))?;
        let [x0, y0, x1, y1] = native_bbox;
        let aoi =
            rough.transform_bounds(x0, y0, x1, y1, 21).map_err(|e| proj_err("proj_trans_bounds", e.to_string()))?;

        let ctx = Ctx::new();
        let src = create(&ctx, source, None)?;
        let dst = create(&ctx, WGS84, None)?;
        // SAFETY: every handle below is checked for null and owned by a guard
        // that destroys it; ctx outlives them all.
        let (name, pipeline, accuracy) = unsafe {
            let fctx = ps::proj_create_operation_factory_context(ctx.0, std::ptr::null());
            if fctx.is_null() {
                return Err(proj_err("proj_create_operation_factory_context", ctx.last_error()));
            }
            struct Fctx(*mut ps::PJ_OPERATION_FACTORY_CONTEXT);
            impl Drop for Fctx {
                fn drop(&mut self) {
                    // SAFETY: created once above, destroyed once here.
                    unsafe { ps::proj_operation_factory_context_destroy(self.0) }
                }
            }
            let fctx = Fctx(fctx);
            // PROJ measures candidates by their intersection area with the
            // area of interest; a single point has none and loses candidates
            // such as SK-42 (16). Query with a box padded by 0.01°; coverage
            // below is still tested on the exact extent.
            let pad = 0.01;
            ps::proj_operation_factory_context_set_area_of_interest(
                ctx.0,
                fctx.0,
                (aoi[0] - pad).max(-180.0),
                (aoi[1] - pad).max(-90.0),
                (aoi[2] + pad).min(180.0),
                (aoi[3] + pad).min(90.0),
            );
            ps::proj_operation_factory_context_set_spatial_criterion(
                ctx.0,
                fctx.0,
                ps::PROJ_SPATIAL_CRITERION_PROJ_SPATIAL_CRITERION_PARTIAL_INTERSECTION,
            );
            // Grids are not shipped with delimit; an operation that needs a
            // missing grid would silently degrade, so it is not a candidate.
            ps::proj_operation_factory_context_set_grid_availability_use(
                ctx.0,
                fctx.0,
                ps::PROJ_GRID_AVAILABILITY_USE_PROJ_GRID_AVAILABILITY_DISCARD_OPERATION_IF_MISSING_GRID,
            );
            // Search between the CRSs as defined: normalised copies lose their
            // EPSG identity, and with it candidates such as SK-42 (16).
            let list = ps::proj_create_operations(ctx.0, src.0, dst.0, fctx.0);
            if list.is_null() {
                return Err(proj_err("proj_create_operations", ctx.last_error()));
            }
            struct List(*mut ps::PJ_OBJ_LIST);
            impl Drop for List {
                fn drop(&mut self) {
                    // SAFETY: created once above, destroyed once here.
                    unsafe { ps::proj_list_destroy(self.0) }
                }
            }
            let list = List(list);
            let n = ps::proj_list_get_count(list.0);
            // PROJ's own per-point rule (proj_trans, and so cs2cs, GDAL and
            // QGIS): of the operations whose area of use contains the point,
            // the most accurate wins. Applied to the whole extent, one
            // operation serves the layer and is the one cs2cs would use for
            // every point in it. PROJ's order breaks ties and is the
            // fallback when no single area covers the data.
            let mut chosen: Option<(Pj, f64)> = None;
            let mut first: Option<Pj> = None;
            for i in 0..n {
                let op = Pj(ps::proj_list_get(ctx.0, list.0, i));
                if op.0.is_null() || ps::proj_coordoperation_is_instantiable(ctx.0, op.0) != 1 {
                    continue;
                }
                let acc = ps::proj_coordoperation_get_accuracy(ctx.0, op.0);
                let (mut w, mut s, mut e, mut nn) = (0.0, 0.0, 0.0, 0.0);
                let has_area =
                    ps::proj_get_area_of_use(ctx.0, op.0, &mut w, &mut s, &mut e, &mut nn, std::ptr::null_mut()) == 1;
                // An area crossing the antimeridian has west > east.
                let contains_lon = |x: f64| if w <= e { w <= x && x <= e } else { x >= w || x <= e };
                let covers = has_area && contains_lon(aoi[0]) && contains_lon(aoi[2]) && s <= aoi[1] && aoi[3] <= nn;
                if covers && acc >= 0.0 && chosen.as_ref().is_none_or(|(_, best)| acc < *best) {
                    chosen = Some((op, acc));
                } else if first.is_none() {
                    first = Some(op);
                }
            }
            let op = chosen
                .map(|(op, _)| op)
                .or(first)
                .ok_or_else(|| proj_err("proj_create_operations", "no usable operation for this area".into()))?;
            // Files hold easting/northing and lon/lat whatever the EPSG axis order says.
            let op = Pj(ps::proj_normalize_for_visualization(ctx.0, op.0));
            if op.0.is_null() {
                return Err(proj_err("proj_normalize_for_visualization", ctx.last_error()));
            }
            let name_p = ps::proj_get_name(op.0);
            let name = if name_p.is_null() { "unnamed operation".into() } else { cstr(name_p) };
            let s = ps::proj_as_proj_string(ctx.0, op.0, ps::PJ_PROJ_STRING_TYPE_PJ_PROJ_5, std::ptr::null());
            if s.is_null() {
                return Err(proj_err("proj_as_proj_string", format!("`{name}` has no PROJ pipeline form")));
            }
            (name, cstr(s), ps::proj_coordoperation_get_accuracy(ctx.0, op.0))
        };
        let ballpark = name.to_ascii_lowercase().contains("ballpark");
        let proj = proj::Proj::new(&pipeline).map_err(|e| proj_err("proj_create", e.to_string()))?;
        Ok(Some(Transformer {
            proj,
            operation: CrsOperation { name, pipeline, accuracy_m: (accuracy >= 0.0).then_some(accuracy), ballpark },
            from: info.label,
        }))
    }

    /// The operation as recorded in provenance.
    pub fn operation(&self) -> &CrsOperation {
        &self.operation
    }

    /// Transform one coordinate.
    pub fn convert(&self, c: Coord<f64>) -> Result<Coord<f64>> {
        let (x, y) = self.proj.convert((c.x, c.y)).map_err(|e| Error::Proj {
            call: "proj_trans",
            from: self.from.clone(),
            to: WGS84.into(),
            message: format!("at ({}, {}): {e}", c.x, c.y),
        })?;
        Ok(Coord { x, y })
    }

    /// Transform a geometry in place; fails on the first coordinate PROJ
    /// cannot transform, naming it.
    pub fn apply(&self, g: &mut Geometry<f64>) -> Result<()> {
        // geo's try_map_coords_in_place recurses without bound on
        // GeometryCollection at compile time; a shared cell keeps the
        // closure Copy instead.
        let failed: std::cell::RefCell<Option<Error>> = std::cell::RefCell::new(None);
        let failed_ref = &failed;
        g.map_coords_in_place(|c| {
            if failed_ref.borrow().is_some() {
                return c;
            }
            match self.convert(c) {
                Ok(out) if out.x.is_finite() && out.y.is_finite() => out,
                Ok(_) => {
                    *failed_ref.borrow_mut() = Some(Error::Proj {
                        call: "proj_trans",
                        from: self.from.clone(),
                        to: WGS84.into(),
                        message: format!("({}, {}) is outside the projection's domain", c.x, c.y),
                    });
                    c
                }
                Err(e) => {
                    *failed_ref.borrow_mut() = Some(e);
                    c
                }
            }
        });
        failed.into_inner().map_or(Ok(()), Err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wgs84_shortcut_is_what_proj_says() {
        assert_eq!(describe(WGS84).unwrap(), describe_with_proj(WGS84).unwrap());
    }

    #[test]
    fn sk42_zone8_uses_a_named_helmert_with_accuracy() {
        let t = Transformer::to_wgs84("EPSG:28408", [8580000.0, 4370000.0, 8590000.0, 4380000.0]).unwrap().unwrap();
        let op = t.operation();
        assert!(op.name.contains("Pulkovo 1942 to WGS 84 (16)"), "{}", op.name);
        assert_eq!(op.accuracy_m, Some(4.5));
        assert!(!op.ballpark);
        assert!(op.pipeline.contains("+proj=helmert"), "{}", op.pipeline);
    }

    #[test]
    fn wgs84_needs_no_operation() {
        assert!(Transformer::to_wgs84("EPSG:4326", [44.0, 39.0, 46.0, 41.0]).unwrap().is_none());
        assert!(Transformer::to_wgs84("OGC:CRS84", [44.0, 39.0, 46.0, 41.0]).unwrap().is_none());
    }

    #[test]
    fn utm_is_projected_and_round_numbers_come_back() {
        let t = Transformer::to_wgs84("EPSG:32638", [400000.0, 4400000.0, 500000.0, 4500000.0]).unwrap().unwrap();
        // The central meridian of zone 38 is 45°E; x = 500000 lies on it.
        let c = t.convert(Coord { x: 500000.0, y: 4400000.0 }).unwrap();
        assert!((c.x - 45.0).abs() < 1e-9, "{c:?}");
        assert_eq!(t.operation().accuracy_m, Some(0.0));
    }

    #[test]
    fn garbage_is_a_crs_error() {
        assert!(matches!(describe("not a crs"), Err(Error::Crs { .. })));
        assert!(matches!(describe("+proj=helmert +x=1"), Err(Error::Crs { .. })));
    }
}
