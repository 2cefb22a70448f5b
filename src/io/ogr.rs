//! Every other vector format, through GDAL/OGR. Conversions to and from geo
//! happen here, at the edge.

use std::path::Path;

use gdal::vector::{
    Feature as OgrFeature, FieldValue, Geometry as OgrGeometry, LayerAccess, LayerOptions, OGRFieldType,
    OGRwkbGeometryType as W, ToGdal, field_type_to_name, geometry_type_flatten,
};
use gdal::{Dataset, DatasetOptions, DriverManager, GdalOpenFlags};
use geo::{Coord, Geometry, LineString, MultiLineString, MultiPoint, MultiPolygon, Point, Polygon};
use serde_json::{Map, Value};

use super::raw::{RawFeature, RawLayer, note_ring};
use crate::error::{Error, Result};
use crate::layer::{Feature, FieldInfo, ReadNote};

pub(crate) fn gdal_err<'a>(path: &'a Path, call: &'static str) -> impl Fn(gdal::errors::GdalError) -> Error + 'a {
    move |source| Error::Gdal { path: path.to_path_buf(), call, source }
}

/// Set GDAL up once for delimit's promises:
/// - GDAL prints `ERROR 1: …` to stderr by default. The library must not
///   print, and the gdal crate already carries the message in its error.
/// - Reading never writes beside an input: no `.gz.properties` index for
///   `/vsigzip/`, no `.aux.xml` statistics for rasters.
/// - No network: `/vsicurl/` paths are refused where they are named
///   (`vsi::refuse_network`), a VRT that names one is refused before GDAL
///   opens it (`vsi::vrt_sources`), and whatever else asks, GDAL fetches
///   only the extensions listed here, through a proxy that refuses.
pub fn gdal_init() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // Quiet, but a failure is kept (per thread, where GDAL raised it):
        // a write that GDAL reports as done may have failed underneath
        // ("No space left on device" from VSIFWriteL while the driver went
        // on), and the message is the cause a user needs.
        gdal::config::set_error_handler(|kind, _, msg| {
            if matches!(kind, gdal::errors::CplErrType::Failure | gdal::errors::CplErrType::Fatal) {
                // The first: later ones are often its consequences.
                LAST_FAILURE.with(|f| {
                    f.borrow_mut().get_or_insert_with(|| msg.to_string());
                });
            }
        });
        for (key, value) in [
            ("CPL_VSIL_GZIP_WRITE_PROPERTIES", "NO"),
            ("GDAL_PAM_ENABLED", "NO"),
            ("CPL_VSIL_CURL_ALLOWED_EXTENSIONS", ".delimit-no-network"),
            ("GDAL_HTTP_MAX_RETRY", "0"),
            // Every HTTP request GDAL makes, by any driver (a GeoJSON URL
            // inside a VRT is fetched by CPLHTTPFetch, not /vsicurl/), goes
            // through a proxy that does not exist: port 0 refuses at once.
            // The binary also clears NO_PROXY, which libcurl would honour.
            ("GDAL_HTTP_PROXY", "127.0.0.1:0"),
            ("GDAL_HTTPS_PROXY", "127.0.0.1:0"),
            ("GDAL_HTTP_CONNECTTIMEOUT", "1"),
        ] {
            let _ = gdal::config::set_config_option(key, value);
        }
    });
}

thread_local! {
    /// The first failure GDAL raised on this thread since it was last taken
    /// (see `gdal_init`).
    static LAST_FAILURE: std::cell::RefCell<Option<String>> = const { std::cell::RefCell::new(None) };
}

/// Take the first failure GDAL raised on this thread since the last take.
pub(crate) fn take_failure() -> Option<String> {
    LAST_FAILURE.with(|f| f.borrow_mut().take())
}

fn quiet() {
    gdal_init();
}

fn open(path: &Path, driver: &str) -> Result<Dataset> {
    quiet();
    // KML has two readers; take whichever this GDAL has.
    let drivers: Vec<&str> = if driver == "KML" { vec!["LIBKML", "KML"] } else { vec![driver] };
    // CSV: find geometry in a WKT column, or in lon/lat columns.
    let csv_opts = [
        "GEOM_POSSIBLE_NAMES=WKT,wkt,geometry,geom,the_geom",
        "KEEP_GEOM_COLUMNS=NO",
        "X_POSSIBLE_NAMES=lon,longitude,x",
        "Y_POSSIBLE_NAMES=lat,latitude,y",
    ];
    let opts = DatasetOptions {
        open_flags: GdalOpenFlags::GDAL_OF_VECTOR | GdalOpenFlags::GDAL_OF_READONLY,
        allowed_drivers: Some(&drivers),
        open_options: (driver == "CSV").then_some(&csv_opts[..]),
        sibling_files: None,
    };
    Dataset::open_ex(path, opts).map_err(gdal_err(path, "GDALOpenEx"))
}

/// The names of the layers in a GDAL dataset.
pub(crate) fn layer_names(path: &Path, driver: &str) -> Result<Vec<String>> {
    let ds = open(path, driver)?;
    Ok(ds.layers().map(|l| l.name()).collect())
}

/// The layers that hold data: all but QGIS's `layer_styles` table.
fn data_layers(names: &[String]) -> Vec<&str> {
    // SQLite table names are case-insensitive: `LAYER_STYLES` is the table.
    names.iter().map(String::as_str).filter(|n| !n.eq_ignore_ascii_case("layer_styles")).collect()
}

/// Read one layer (by name, or the only one).
pub(crate) fn read(path: &Path, driver: &str, layer: Option<&str>) -> Result<RawLayer> {
    let ds = open(path, driver)?;
    let names: Vec<String> = ds.layers().map(|l| l.name()).collect();
    let mut lyr = match layer {
        Some(name) => ds.layer_by_name(name).map_err(|_| Error::NoSuchLayer {
            path: path.to_path_buf(),
            layer: name.to_string(),
            available: names.clone(),
        })?,
        // QGIS's style table (`layer_styles`, which delimit writes into its
        // GeoPackages) is never the data: a package with one layer and its
        // style has one layer to read.
        None if data_layers(&names).len() == 1 => {
            ds.layer_by_name(data_layers(&names)[0]).map_err(gdal_err(path, "GDALDatasetGetLayerByName"))?
        }
        // No data layer: a package of styles only is empty, not ambiguous.
        None if data_layers(&names).is_empty() => {
            let layer = if names.is_empty() { "(none)" } else { "(none but QGIS's layer_styles table)" };
            return Err(Error::Empty { path: path.to_path_buf(), layer: layer.into() });
        }
        None => {
            let layers = data_layers(&names).into_iter().map(str::to_string).collect();
            return Err(Error::AmbiguousLayer { path: path.to_path_buf(), layers });
        }
    };
    let declared_crs = lyr.spatial_ref().map(|srs| match (srs.auth_name(), srs.auth_code()) {
        (Some(a), Ok(c)) => format!("{a}:{c}"),
        _ => srs.to_projjson().or_else(|_| srs.to_wkt()).unwrap_or_default(),
    });
    let fields: Vec<FieldInfo> =
        lyr.defn().fields().map(|f| FieldInfo { name: f.name(), kind: field_type_to_name(f.field_type()) }).collect();
    let name = lyr.name();
    let mut notes = Vec::new();
    let mut features = Vec::new();
    // OGR ends the iteration at a read error as if the layer had ended
    // (a corrupt page in a GeoPackage): the error is only in CPLGetLastError.
    // Checked after every feature and at the end, so a short read is an
    // error, never a smaller layer.
    reset_last_error();
    let mut index = 0;
    for f in lyr.features() {
        if let Some(e) = last_error(path, &name, index) {
            return Err(e);
        }
        let mut properties = Map::new();
        for (k, v) in f.fields() {
            properties.insert(k, v.map(field_to_json).unwrap_or(Value::Null));
        }
        let id = match properties.get("id") {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            _ => f.fid().map(|fid| fid.to_string()).unwrap_or_else(|| (index + 1).to_string()),
        };
        let geometry = match f.geometry() {
            Some(g) if !g.is_empty() || geometry_type_flatten(g.geometry_type()) != W::wkbUnknown => {
                Some(to_geo(g, &id, &mut notes).map_err(|message| Error::Geometry {
                    path: path.to_path_buf(),
                    feature: id.clone(),
                    message,
                    hint: Some("convert curves first, e.g. `ogr2ogr -nlt CONVERT_TO_LINEAR`".into()),
                })?)
            }
            _ => None,
        };
        features.push(RawFeature { id, index, geometry, properties });
        index += 1;
    }
    if let Some(e) = last_error(path, &name, index) {
        return Err(e);
    }
    Ok(RawLayer { name, driver: ds.driver().short_name(), declared_crs, features, fields, notes, status: None })
}

fn reset_last_error() {
    // SAFETY: resets this thread's GDAL error state; no arguments.
    unsafe { gdal_sys::CPLErrorReset() }
}

/// The GDAL error raised on this thread since the last reset, if it is a
/// failure (warnings pass), as an error naming the feature being read.
fn last_error(path: &Path, layer: &str, index: usize) -> Option<Error> {
    // SAFETY: reads this thread's GDAL error state; the message pointer
    // is valid until the next GDAL call and copied at once.
    let (kind, msg) = unsafe {
        let kind = gdal_sys::CPLGetLastErrorType();
        let msg = gdal_sys::CPLGetLastErrorMsg();
        let msg =
            if msg.is_null() { String::new() } else { std::ffi::CStr::from_ptr(msg).to_string_lossy().into_owned() };
        (kind, msg)
    };
    if kind < gdal_sys::CPLErr::CE_Failure {
        return None;
    }
    reset_last_error();
    Some(Error::InvalidInput {
        path: path.to_path_buf(),
        message: format!("layer `{layer}`: GDAL failed reading feature {} (0-based index {index}): {msg}", index + 1),
        hint: "the file is damaged or truncated; check it with `ogrinfo -al`, or export it again from its source"
            .into(),
    })
}

fn field_to_json(v: FieldValue) -> Value {
    match v {
        FieldValue::IntegerValue(i) => i.into(),
        FieldValue::Integer64Value(i) => i.into(),
        FieldValue::RealValue(r) => serde_json::Number::from_f64(r).map(Value::Number).unwrap_or(Value::Null),
        FieldValue::StringValue(s) => s.into(),
        FieldValue::IntegerListValue(l) => l.into(),
        FieldValue::Integer64ListValue(l) => l.into(),
        FieldValue::RealListValue(l) => l.into_iter().map(|r| serde_json::json!(r)).collect(),
        FieldValue::StringListValue(l) => l.into(),
        FieldValue::DateValue(d) => d.to_string().into(),
        FieldValue::DateTimeValue(d) => d.to_string().into(),
    }
}

fn points(g: &OgrGeometry) -> Vec<Coord<f64>> {
    let mut v = Vec::with_capacity(g.point_count());
    g.get_points(&mut v);
    v.into_iter().map(|(x, y, _)| Coord { x, y }).collect()
}

fn ring(g: &OgrGeometry, id: &str, poly: usize, i: usize, notes: &mut Vec<ReadNote>) -> LineString<f64> {
    let pts = points(g);
    note_ring(&pts, id, poly, i, notes);
    LineString::new(pts)
}

fn polygon(g: &OgrGeometry, id: &str, poly: usize, notes: &mut Vec<ReadNote>) -> Polygon<f64> {
    let n = g.geometry_count();
    if n == 0 {
        return Polygon::new(LineString::new(vec![]), vec![]);
    }
    let ext = ring(&g.get_geometry(0), id, poly, 0, notes);
    let holes = (1..n).map(|i| ring(&g.get_geometry(i), id, poly, i, notes)).collect();
    Polygon::new(ext, holes)
}

fn to_geo(g: &OgrGeometry, id: &str, notes: &mut Vec<ReadNote>) -> std::result::Result<Geometry<f64>, String> {
    let ty = geometry_type_flatten(g.geometry_type());
    Ok(match ty {
        W::wkbPoint => {
            let p = points(g);
            Geometry::Point(Point(*p.first().ok_or("an empty Point")?))
        }
        W::wkbLineString => Geometry::LineString(LineString::new(points(g))),
        W::wkbPolygon => Geometry::Polygon(polygon(g, id, 0, notes)),
        W::wkbMultiPoint => Geometry::MultiPoint(MultiPoint(
            (0..g.geometry_count())
                .map(|i| g.get_geometry(i))
                .filter_map(|p| points(&p).first().copied().map(Point))
                .collect(),
        )),
        W::wkbMultiLineString => Geometry::MultiLineString(MultiLineString(
            (0..g.geometry_count()).map(|i| g.get_geometry(i)).map(|p| LineString::new(points(&p))).collect(),
        )),
        W::wkbMultiPolygon => Geometry::MultiPolygon(MultiPolygon(
            (0..g.geometry_count())
                .map(|i| g.get_geometry(i))
                .enumerate()
                .map(|(i, p)| polygon(&p, id, i, notes))
                .collect(),
        )),
        W::wkbGeometryCollection => Geometry::GeometryCollection(
            (0..g.geometry_count())
                .map(|i| g.get_geometry(i))
                .map(|p| to_geo(&p, id, notes))
                .collect::<std::result::Result<Vec<_>, _>>()?
                .into(),
        ),
        other => return Err(format!("geometry type {} is not supported", gdal::vector::geometry_type_to_name(other))),
    })
}

/// The OGR type of a JSON value when it becomes a field.
fn ogr_type(v: &Value) -> Option<OGRFieldType::Type> {
    match v {
        Value::Null => None,
        Value::Bool(_) => Some(OGRFieldType::OFTInteger),
        Value::Number(n) if n.is_f64() => Some(OGRFieldType::OFTReal),
        Value::Number(_) => Some(OGRFieldType::OFTInteger64),
        _ => Some(OGRFieldType::OFTString),
    }
}

/// The schema of a set of features: keys in first-appearance order, each with
/// the widest type its values need (Integer64 < Real < String).
pub(crate) fn schema(features: &[Feature]) -> Vec<(String, OGRFieldType::Type)> {
    let rank = |t| match t {
        OGRFieldType::OFTInteger => 0,
        OGRFieldType::OFTInteger64 => 1,
        OGRFieldType::OFTReal => 2,
        _ => 3,
    };
    let mut out: Vec<(String, Option<OGRFieldType::Type>)> = Vec::new();
    for f in features {
        for (k, v) in &f.properties {
            let t = ogr_type(v);
            match out.iter_mut().find(|(n, _)| n == k) {
                Some((_, cur)) => {
                    if let Some(t) = t {
                        *cur = Some(match *cur {
                            None => t,
                            Some(c) if rank(t) > rank(c) => t,
                            Some(c) => c,
                        });
                    }
                }
                None => out.push((k.clone(), t)),
            }
        }
    }
    out.into_iter().map(|(k, t)| (k, t.unwrap_or(OGRFieldType::OFTString))).collect()
}

fn driver_name(ds: &Dataset) -> String {
    ds.driver().short_name()
}

fn layer_geometry_type(features: &[Feature]) -> W::Type {
    let mut ty = None;
    for g in features.iter().filter_map(|f| f.geometry.as_ref()) {
        let t = match g {
            Geometry::Point(_) => W::wkbPoint,
            Geometry::MultiPoint(_) => W::wkbMultiPoint,
            Geometry::Line(_) | Geometry::LineString(_) | Geometry::MultiLineString(_) => W::wkbMultiLineString,
            Geometry::Polygon(_) | Geometry::MultiPolygon(_) | Geometry::Rect(_) | Geometry::Triangle(_) => {
                W::wkbMultiPolygon
            }
            Geometry::GeometryCollection(_) => W::wkbGeometryCollection,
        };
        match ty {
            None => ty = Some(t),
            Some(p) if p != t => return W::wkbUnknown,
            _ => {}
        }
    }
    ty.unwrap_or(W::wkbUnknown)
}

/// Promote single geometries to the Multi- type the layer declares, as
/// GeoPackage and Shapefile readers expect one type per layer.
fn promote(g: &Geometry<f64>, layer_ty: W::Type) -> Geometry<f64> {
    match (g, layer_ty) {
        (Geometry::Polygon(p), W::wkbMultiPolygon) => Geometry::MultiPolygon(MultiPolygon(vec![p.clone()])),
        (Geometry::LineString(l), W::wkbMultiLineString) => Geometry::MultiLineString(MultiLineString(vec![l.clone()])),
        (Geometry::Line(l), W::wkbMultiLineString) => {
            Geometry::MultiLineString(MultiLineString(vec![LineString::from(vec![l.start, l.end])]))
        }
        _ => g.clone(),
    }
}

/// Write features to `path` with a GDAL driver, in EPSG:4326 lon/lat.
/// Returns the fields the driver renamed (asked, written).
pub(crate) fn write(
    path: &Path,
    driver: &str,
    layer_name: &str,
    features: &[Feature],
) -> Result<Vec<(String, String)>> {
    write_layers(path, driver, &[(layer_name, features, None)], None)
}

/// The `gpkg_contents.last_change` stamp of a GeoPackage written with no
/// date of its own: fixed, so that the same inputs give the same bytes.
pub const FIXED_GPKG_TIME: &str = "1970-01-01T00:00:00.000Z";

/// The geometry type a layer declares: points, lines or polygons (written
/// as Point, MultiLineString and MultiPolygon).
///
/// ```
/// assert_ne!(delimit::io::Kind::Line, delimit::io::Kind::Polygon);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// Points.
    Point,
    /// Lines.
    Line,
    /// Polygons.
    Polygon,
}

/// Several layers in one dataset (GeoPackage), each with its declared
/// geometry kind when given (an empty layer still needs one), and the
/// dataset's `delimit` metadata item.
pub(crate) fn write_layers(
    path: &Path,
    driver: &str,
    layers: &[(&str, &[Feature], Option<Kind>)],
    metadata: Option<&str>,
) -> Result<Vec<(String, String)>> {
    quiet();
    take_failure();
    let written = write_layers_inner(path, driver, layers, metadata);
    // A failure GDAL raised but did not return (a short write while the
    // driver went on) fails the write too, with GDAL's message.
    let written = written.and_then(|renamed| {
        read_back(path, driver, layers)?;
        Ok(renamed)
    });
    match (written, take_failure()) {
        (Ok(_), Some(msg)) => Err(write_failure(path, msg)),
        (Err(Error::Gdal { source, .. }), failure) => {
            Err(write_failure(path, failure.unwrap_or_else(|| source.to_string())))
        }
        (r, _) => r,
    }
}

/// Read a written dataset back, feature by feature: each layer must hold
/// what was written. Some drivers report success over a file cut short
/// (FlatGeobuf past `ulimit -f`: its header still counts every feature).
fn read_back(path: &Path, driver: &str, layers: &[(&str, &[Feature], Option<Kind>)]) -> Result<()> {
    let short = |msg: String| write_failure(path, msg);
    let ds = open(path, driver).map_err(|_| short("the file written cannot be read back".into()))?;
    for (name, features, _) in layers {
        // Single-layer formats name their layer after the file.
        let lyr = match ds.layer_by_name(name) {
            Err(_) if ds.layer_count() == 1 => ds.layer(0),
            l => l,
        };
        let Ok(mut lyr) = lyr else { return Err(short(format!("layer `{name}` is missing when read back"))) };
        let n = lyr.features().count();
        if n != features.len() || take_failure().is_some() {
            return Err(short(format!("layer `{name}` reads back {n} of {} features", features.len())));
        }
    }
    Ok(())
}

/// A failed write: a processing failure (exit 1) with the cause.
fn write_failure(path: &Path, msg: String) -> Error {
    Error::Write { path: path.to_path_buf(), source: std::io::Error::other(msg) }
}

fn write_layers_inner(
    path: &Path,
    driver: &str,
    layers: &[(&str, &[Feature], Option<Kind>)],
    metadata: Option<&str>,
) -> Result<Vec<(String, String)>> {
    // GDAL stamps gpkg_contents with the current time unless told: pin it
    // (a caller with a date of its own, as `qgis` has, has set it already).
    if driver == "GPKG" && gdal::config::get_config_option("OGR_CURRENT_DATE", "").unwrap_or_default().is_empty() {
        gdal::config::set_config_option("OGR_CURRENT_DATE", FIXED_GPKG_TIME)
            .map_err(gdal_err(path, "CPLSetConfigOption"))?;
    }
    let mut renamed = Vec::new();
    let drv = DriverManager::get_driver_by_name(driver).map_err(gdal_err(path, "GDALGetDriverByName"))?;
    let mut ds = drv.create_vector_only(path).map_err(gdal_err(path, "GDALCreate"))?;
    if let Some(m) = metadata {
        use gdal::Metadata;
        ds.set_metadata_item("delimit", m, "").map_err(gdal_err(path, "GDALSetMetadataItem"))?;
    }
    // One transaction where the driver has them: GeoPackage is ~100x faster so.
    if let Ok(mut txn) = ds.start_transaction() {
        for (name, features, kind) in layers {
            renamed.extend(fill(&mut txn, path, name, features, *kind)?);
        }
        txn.commit().map_err(gdal_err(path, "GDALDatasetCommitTransaction"))?;
    } else {
        for (name, features, kind) in layers {
            renamed.extend(fill(&mut ds, path, name, features, *kind)?);
        }
    }
    ds.close().map_err(gdal_err(path, "GDALClose"))?;
    Ok(renamed)
}

/// Which table a layer of a database is, as the server sees it: database,
/// port, schema and table, resolved by the server (so `gaps` and
/// `public.gaps`, or two spellings of one connection, are one table).
/// `None` when there is no such table.
pub(crate) fn table_identity(ds: &Dataset, layer_name: &str) -> Option<String> {
    let lit = |s: &str| format!("'{}'", s.replace('\'', "''"));
    // GDAL names a table outside the search path `schema.table`.
    let qualified = match layer_name.split_once('.') {
        Some((schema, table)) => format!("quote_ident({}) || '.' || quote_ident({})", lit(schema), lit(table)),
        None => format!("quote_ident({})", lit(layer_name)),
    };
    let sql = format!(
        "SELECT current_database() || '|' || current_setting('port') || '|' || n.nspname || '.' || c.relname \
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = to_regclass({qualified})"
    );
    let mut rs = ds.execute_sql(sql, None, gdal::vector::sql::Dialect::DEFAULT).ok()??;
    let f = rs.features().next()?;
    f.field_as_string(0).ok()?
}

/// Connect to a database output before any work, so that a wrong or
/// unresponsive server fails the run at once, not after the analysis.
pub(crate) fn check_database(target: &Path, driver: &str) -> Result<()> {
    quiet();
    let opts = gdal::DatasetOptions {
        open_flags: gdal::GdalOpenFlags::GDAL_OF_UPDATE | gdal::GdalOpenFlags::GDAL_OF_VECTOR,
        allowed_drivers: Some(&[driver]),
        ..Default::default()
    };
    Dataset::open_ex(target, opts).map(drop).map_err(gdal_err(target, "GDALOpenEx"))
}

/// The identity ([`table_identity`]) of a database layer read as an input.
pub(crate) fn input_table_identity(path: &Path, driver: &str, layer_name: &str) -> Option<String> {
    let ds = open(path, driver).ok()?;
    table_identity(&ds, layer_name)
}

/// One layer into an existing database (PostGIS through GDAL's PostgreSQL
/// driver), in one transaction: a failure part-way leaves no table behind.
/// An existing table is replaced only with `force`, inside the same
/// transaction.
pub(crate) fn write_table(
    target: &Path,
    driver: &str,
    layer_name: &str,
    features: &[Feature],
    force: bool,
) -> Result<Vec<(String, String)>> {
    quiet();
    let opts = gdal::DatasetOptions {
        open_flags: gdal::GdalOpenFlags::GDAL_OF_UPDATE | gdal::GdalOpenFlags::GDAL_OF_VECTOR,
        allowed_drivers: Some(&[driver]),
        ..Default::default()
    };
    let mut ds = Dataset::open_ex(target, opts).map_err(gdal_err(target, "GDALOpenEx"))?;
    let existing = ds.layers().position(|l| l.name() == layer_name);
    // An input table is never replaced, with --force or without: compared
    // by the server's own name for it, as files are by device and inode.
    if existing.is_some()
        && let Some(id) = table_identity(&ds, layer_name)
        && super::atomic::is_input_table(&id)
    {
        return Err(Error::OutputIsInput { path: target.join(layer_name), input: target.join(layer_name) });
    }
    if existing.is_some() && !force {
        return Err(Error::OutputExists { path: target.join(layer_name) });
    }
    let mut txn = ds.start_transaction().map_err(gdal_err(target, "GDALDatasetStartTransaction"))?;
    if let Some(i) = existing {
        txn.delete_layer(i).map_err(gdal_err(target, "GDALDatasetDeleteLayer"))?;
    }
    let renamed = fill(&mut txn, target, layer_name, features, None)?;
    txn.commit().map_err(gdal_err(target, "GDALDatasetCommitTransaction"))?;
    ds.close().map_err(gdal_err(target, "GDALClose"))?;
    Ok(renamed)
}

/// An integer field with OGR's boolean subtype (the gdal crate has no
/// setter for the subtype).
fn create_boolean_field(lyr: &impl LayerAccess, name: &str) -> std::result::Result<(), gdal::errors::GdalError> {
    let c = std::ffi::CString::new(name)?;
    // SAFETY: the definition is created, used and destroyed here; the
    // layer handle is live for the call (borrowed from `lyr`), and
    // OGR_L_CreateField copies the definition.
    unsafe {
        let fd = gdal_sys::OGR_Fld_Create(c.as_ptr(), OGRFieldType::OFTInteger);
        gdal_sys::OGR_Fld_SetSubType(fd, gdal_sys::OGRFieldSubType::OFSTBoolean);
        let rv = gdal_sys::OGR_L_CreateField(lyr.c_layer(), fd, 1);
        gdal_sys::OGR_Fld_Destroy(fd);
        if rv != gdal_sys::OGRErr::OGRERR_NONE {
            return Err(gdal::errors::GdalError::OgrError { err: rv, method_name: "OGR_L_CreateField" });
        }
    }
    Ok(())
}

fn fill(
    ds: &mut Dataset,
    path: &Path,
    layer_name: &str,
    features: &[Feature],
    kind: Option<Kind>,
) -> Result<Vec<(String, String)>> {
    let mut srs = gdal::spatial_ref::SpatialRef::from_epsg(4326).map_err(gdal_err(path, "OSRImportFromEPSG"))?;
    srs.set_axis_mapping_strategy(gdal::spatial_ref::AxisMappingStrategy::TraditionalGisOrder);
    // Ids travel as a field: GIS tools renumber FIDs, and a lost id is a
    // lost join (QGIS regenerates FIDs on export).
    let mut fields = schema(features);
    let write_id = !fields.iter().any(|(k, _)| k == "id");
    if write_id {
        fields.insert(0, ("id".to_string(), OGRFieldType::OFTString));
    }
    let geom_ty = match kind {
        Some(Kind::Point) => W::wkbPoint,
        Some(Kind::Line) => W::wkbMultiLineString,
        Some(Kind::Polygon) => W::wkbMultiPolygon,
        None => layer_geometry_type(features),
    };
    let driver = driver_name(ds);
    // CSV has no geometry column unless asked for one: geometry goes in a
    // `WKT` column, and a point layer also gets `lon` and `lat` (unless it
    // has them), which is what a spreadsheet reader wants. Column types go
    // in a `.csvt` sidecar.
    let csv_points = driver == "CSV" && geom_ty == W::wkbPoint && !fields.iter().any(|(k, _)| k == "lon" || k == "lat");
    if csv_points {
        fields.push(("lon".into(), OGRFieldType::OFTReal));
        fields.push(("lat".into(), OGRFieldType::OFTReal));
    }
    // FlatGeobuf sorts features along a Hilbert curve for its index; keep
    // the input order instead, as every other writer does.
    let opts: &[&str] = match driver.as_str() {
        "FlatGeobuf" => &["SPATIAL_INDEX=NO"],
        // The .csvt sidecar keeps numbers numbers when the table is read back.
        "CSV" => &["GEOMETRY=AS_WKT", "CREATE_CSVT=YES"],
        _ => &[],
    };
    let lyr = ds
        .create_layer(LayerOptions { name: layer_name, srs: Some(&srs), ty: geom_ty, options: Some(opts) })
        .map_err(gdal_err(path, "GDALDatasetCreateLayer"))?;
    // A field whose every value is true or false is a boolean (an integer
    // with OGR's boolean subtype): GeoPackage and FlatGeobuf keep it as
    // one, so QGIS and GeoPandas read `sliver` as the GeoJSON's boolean.
    let boolean = |k: &str| {
        let mut vals = features.iter().filter_map(|f| f.properties.get(k)).filter(|v| !v.is_null());
        let first = vals.next();
        first.is_some_and(Value::is_boolean) && vals.all(Value::is_boolean)
    };
    // In a GeoPackage, a field named `date` or `…_date` whose every value
    // is a calendar date (YYYY-MM-DD) is a DATE: QGIS's temporal controller
    // filters on it. (Other drivers keep the text: OGR's CSV writes dates
    // as YYYY/MM/DD.)
    let date = |k: &str| {
        driver == "GPKG" && (k == "date" || k.ends_with("_date")) && {
            let mut vals = features.iter().filter_map(|f| f.properties.get(k)).filter(|v| !v.is_null());
            // Every value NULL is a DATE too (a change not superseded yet has
            // no `superseded_date`): an empty date is still a date.
            let is_date =
                |v: &Value| v.as_str().is_some_and(|s| s.len() == 10 && crate::changes::parse_date(s).is_some());
            vals.all(is_date)
        }
    };
    let fields: Vec<(String, OGRFieldType::Type)> = fields
        .into_iter()
        .map(|(k, t)| if t == OGRFieldType::OFTString && date(&k) { (k, OGRFieldType::OFTDate) } else { (k, t) })
        .collect();
    for (k, t) in &fields {
        if *t == OGRFieldType::OFTInteger && boolean(k) {
            create_boolean_field(&lyr, k).map_err(gdal_err(path, "OGR_L_CreateField"))?;
        } else {
            let fd = gdal::vector::FieldDefn::new(k, *t).map_err(gdal_err(path, "OGR_Fld_Create"))?;
            fd.add_to_layer(&lyr).map_err(gdal_err(path, "OGR_L_CreateField"))?;
        }
    }
    // What the driver made of the names (Shapefile keeps 10 characters).
    let renamed: Vec<(String, String)> = fields
        .iter()
        .zip(lyr.defn().fields())
        .filter(|((asked, _), got)| *asked != got.name())
        .map(|((asked, _), got)| (asked.clone(), got.name()))
        .collect();
    for f in features {
        let mut of = OgrFeature::new(lyr.defn()).map_err(gdal_err(path, "OGR_F_Create"))?;
        for (i, (k, t)) in fields.iter().enumerate() {
            if write_id && i == 0 {
                of.set_field_string(0, &f.id).map_err(gdal_err(path, "OGR_F_SetField"))?;
                continue;
            }
            let from_point = match (&f.geometry, k.as_str()) {
                (Some(geo::Geometry::Point(p)), "lon") if csv_points => Some(p.x()),
                (Some(geo::Geometry::Point(p)), "lat") if csv_points => Some(p.y()),
                _ => None,
            };
            if let Some(v) = from_point {
                of.set_field_double(i, v).map_err(gdal_err(path, "OGR_F_SetField"))?;
                continue;
            }
            let Some(v) = f.properties.get(k) else { continue };
            let r = match (v, *t) {
                (Value::Null, _) => of.set_field_null(i),
                (Value::Bool(b), OGRFieldType::OFTInteger) => of.set_field_integer(i, *b as i32),
                (Value::Number(n), OGRFieldType::OFTInteger64) => {
                    of.set_field_integer64(i, n.as_i64().unwrap_or_default())
                }
                (Value::Number(n), OGRFieldType::OFTReal) => of.set_field_double(i, n.as_f64().unwrap_or(f64::NAN)),
                (Value::String(s), _) => of.set_field_string(i, s),
                (other, _) => of.set_field_string(i, &other.to_string()),
            };
            r.map_err(gdal_err(path, "OGR_F_SetField"))?;
        }
        if let Some(g) = &f.geometry {
            let og = promote(g, geom_ty).to_gdal().map_err(gdal_err(path, "OGR_G_CreateGeometry"))?;
            of.set_geometry(og).map_err(gdal_err(path, "OGR_F_SetGeometry"))?;
        }
        of.create(&lyr).map_err(gdal_err(path, "OGR_L_CreateFeature"))?;
    }
    Ok(renamed)
}
