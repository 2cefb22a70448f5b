//! Reading and writing layers: GeoJSON natively, everything else through
//! GDAL; CRS applied on the way in; outputs written atomically.

mod atomic;
mod format;
pub mod geojson;
mod ogr;
pub use ogr::Kind;
pub use ogr::gdal_init;
pub(crate) use ogr::{gdal_err, write_layers};
mod raw;
mod styles;
pub use styles::{LayerStyle, add_layer_styles};
mod vsi;

use std::io::Read;
use std::path::{Path, PathBuf};

use geo::{BoundingRect, CoordsIter, Geometry};
use sha2::{Digest, Sha256};

pub use atomic::{CreatedFolder, Output, clean_up_pending, declare_inputs};
pub use format::{Format, is_database};
use raw::RawLayer;
pub use vsi::is_vsi;

use crate::crs::{self, Transformer};
use crate::error::{Error, Result};
use crate::layer::{Feature, FieldNames, Layer, Provenance, Role, geometry_type_name};

/// How to read a layer.
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    /// Check the key field and geometry types for this role.
    pub role: Option<Role>,
    /// Field names for the role's keys.
    pub fields: FieldNames,
    /// Override the file's CRS (`--src-crs`).
    pub src_crs: Option<String>,
    /// Override the format implied by the extension (`--format`).
    pub format: Option<Format>,
    /// Layer name within a multi-layer file (`--layer`).
    pub layer: Option<String>,
    /// Keep only these properties on each feature (all when `None`). A
    /// command that reads a few fields says which, so that a world layer
    /// with 121 fields per feature does not hold them all in memory.
    pub keep_properties: Option<Vec<String>>,
    /// The layer's status, overriding the file's (`--status ROLE=STATUS`).
    pub status: Option<crate::layer::DataStatus>,
    /// Accept positions that are not finite lon/lat after any
    /// transformation. `check` and `info` set it, because they report such
    /// positions; every other reader refuses them, as no measure over them
    /// means anything.
    pub lenient_coordinates: bool,
    /// The role's key field may be missing (a partial control snapshot:
    /// one polygon, no fields, its controller given by `--controller`).
    /// Values that are present are still checked.
    pub key_optional: bool,
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn hex(digest: &[u8]) -> String {
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// A file's bytes: a read-only map of a file on disk, or what stdin held.
enum Source {
    Mapped(memmap2::Mmap),
    Owned(Vec<u8>),
}

impl std::ops::Deref for Source {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Source::Mapped(m) => m,
            Source::Owned(v) => v,
        }
    }
}

/// Admit a path as an input of this run, before anything opens it:
/// network and cloud paths are refused (delimit makes no network access),
/// and the path joins the run's inputs, which no output may replace.
pub fn admit_input(path: &Path) -> Result<()> {
    vsi::refuse_network(path)?;
    // A VRT's sources are inputs too, and none may be remote.
    for source in vsi::vrt_sources(path)? {
        atomic::record_input(&source);
    }
    // Before any GDAL call on the path (refuse_bombs' stat inflates a
    // gzip to size it, and would leave a .gz.properties index beside it).
    gdal_init();
    atomic::record_input(path);
    Ok(())
}

/// Whether `path` is a pipe or a character device (process substitution,
/// a FIFO, /dev/stdin): read as a stream, it cannot be mapped or seeked.
pub(crate) fn is_stream(path: &Path) -> bool {
    use std::os::unix::fs::FileTypeExt;
    std::fs::metadata(path).is_ok_and(|m| m.file_type().is_fifo() || m.file_type().is_char_device())
}

/// Read a pipe to its end. It is opened without blocking, so that a FIFO
/// no process writes to gives an error at once instead of a hang.
fn read_stream(path: &Path) -> Result<Vec<u8>> {
    use std::os::unix::fs::OpenOptionsExt;
    use std::os::unix::io::AsRawFd;
    let read_err = |source| Error::Read { path: path.to_path_buf(), source };
    let mut file =
        std::fs::OpenOptions::new().read(true).custom_flags(libc::O_NONBLOCK).open(path).map_err(read_err)?;
    // Back to blocking reads: a writer that is slow to start is waited for.
    // SAFETY: fcntl on a descriptor this function owns.
    unsafe {
        let fd = file.as_raw_fd();
        let flags = libc::fcntl(fd, libc::F_GETFL);
        if flags >= 0 {
            libc::fcntl(fd, libc::F_SETFL, flags & !libc::O_NONBLOCK);
        }
    }
    let mut buf = Vec::new();
    file.read_to_end(&mut buf).map_err(read_err)?;
    if buf.is_empty() {
        return Err(Error::InvalidInput {
            path: path.to_path_buf(),
            message: "is a pipe that gave no data".into(),
            hint: "a FIFO needs a process writing to it when delimit opens it; or save the data to a file".into(),
        });
    }
    Ok(buf)
}

fn read_bytes(path: &Path) -> Result<Source> {
    let read_err = |source| Error::Read { path: path.to_path_buf(), source };
    if path.as_os_str() == "-" {
        let mut buf = Vec::new();
        std::io::stdin().read_to_end(&mut buf).map_err(read_err)?;
        return Ok(Source::Owned(buf));
    }
    if is_stream(path) {
        return read_stream(path).map(Source::Owned);
    }
    let file = std::fs::File::open(path).map_err(read_err)?;
    let meta = file.metadata().map_err(read_err)?;
    if meta.is_dir() {
        return Err(Error::InvalidInput {
            path: path.to_path_buf(),
            message: "is a folder, not a file".into(),
            hint: "name the file inside it".into(),
        });
    }
    if meta.len() == 0 {
        // An empty file cannot be mapped; its error comes from the parser.
        return Ok(Source::Owned(Vec::new()));
    }
    // SAFETY: the map is read-only and lives only while this file is
    // parsed. Another process truncating the file meanwhile could fault
    // the read (as it would for ripgrep or GDAL's own maps); delimit never
    // writes to an input (outputs go to a temporary file and are renamed).
    match unsafe { memmap2::Mmap::map(&file) } {
        Ok(m) => Ok(Source::Mapped(m)),
        // Not mappable (a special file): read it instead.
        Err(_) => std::fs::read(path).map(Source::Owned).map_err(read_err),
    }
}

/// The sha256 of the file GDAL reads, streamed: for a path inside an
/// archive (`/vsizip/a.zip/x.shp`), of the archive on disk.
///
/// For a VRT, of the VRT and then of every local file it names, so that
/// the hash changes when what GDAL reads through it changes.
fn hash_file(path: &Path) -> Result<String> {
    let on_disk = vsi::host_file(path).unwrap_or_else(|| path.to_path_buf());
    let read_err = |source| Error::Read { path: on_disk.clone(), source };
    let mut f = std::fs::File::open(&on_disk).map_err(read_err)?;
    let mut h = Sha256::new();
    std::io::copy(&mut f, &mut h).map_err(read_err)?;
    for source in vsi::vrt_sources(path)? {
        let file = vsi::host_file(&source).unwrap_or(source);
        if let Ok(mut f) = std::fs::File::open(&file)
            && f.metadata().is_ok_and(|m| m.is_file())
        {
            h.update(b"\0");
            std::io::copy(&mut f, &mut h).map_err(|source| Error::Read { path: file.clone(), source })?;
        }
    }
    Ok(hex(&h.finalize()))
}

fn stem(path: &Path) -> String {
    if path.as_os_str() == "-" {
        return "stdin".into();
    }
    path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "layer".into())
}

/// The layer names a file holds (one for GeoJSON).
///
/// ```no_run
/// let names = delimit::io::layer_names("project.gpkg".as_ref(), None).unwrap();
/// ```
pub fn layer_names(path: &Path, format: Option<&Format>) -> Result<Vec<String>> {
    admit_input(path)?;
    let fmt = match format {
        Some(f) => f.clone(),
        None => Format::from_path(path)?,
    };
    match fmt {
        Format::GeoJson | Format::GeoJsonSeq => Ok(vec![stem(path)]),
        Format::Ogr(d) => {
            ensure_exists(path)?;
            refuse_stream(path, &d)?;
            ogr::layer_names(path, &d)
        }
    }
}

/// GDAL reads its formats by seeking, which a pipe cannot do.
fn refuse_stream(path: &Path, driver: &str) -> Result<()> {
    if is_stream(path) {
        return Err(Error::InvalidInput {
            path: path.to_path_buf(),
            message: format!(
                "is a pipe or a device, not a file; GDAL reads {driver} by seeking, which a pipe cannot do"
            ),
            hint: "save the data to a file first (GeoJSON alone can be read from a pipe)".into(),
        });
    }
    Ok(())
}

/// A text with every `password=…` of a connection string (GDAL's `PG:`,
/// libpq's `postgresql://user:secret@host`) replaced by `***`: connection
/// strings reach provenance, reports, projects and messages, and a
/// password must reach none of them.
///
/// ```
/// use delimit::io::redact;
/// assert_eq!(redact("PG:host=h password=hunter2 dbname=d"), "PG:host=h password=*** dbname=d");
/// assert_eq!(redact("PG:password='a b' dbname=d"), "PG:password=*** dbname=d");
/// assert_eq!(redact("postgresql://me:hunter2@h/d"), "postgresql://me:***@h/d");
/// assert_eq!(redact("legal.geojson"), "legal.geojson");
/// ```
pub fn redact(s: &str) -> std::borrow::Cow<'_, str> {
    let lower = s.to_ascii_lowercase();
    if !lower.contains("password") && !lower.contains("://") {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    let b = s.as_bytes();
    while i < b.len() {
        if lower[i..].starts_with("password") {
            // password = value, spaces allowed around `=`, value bare or quoted.
            let mut j = i + "password".len();
            while j < b.len() && b[j] == b' ' {
                j += 1;
            }
            if j < b.len() && b[j] == b'=' {
                j += 1;
                while j < b.len() && b[j] == b' ' {
                    j += 1;
                }
                let end = if j < b.len() && b[j] == b'\'' {
                    // Quoted: up to the closing quote (\' escapes one).
                    let mut k = j + 1;
                    while k < b.len() && b[k] != b'\'' {
                        k += if b[k] == b'\\' { 2 } else { 1 };
                    }
                    (k + 1).min(b.len())
                } else {
                    let mut k = j;
                    while k < b.len() && !b[k].is_ascii_whitespace() && b[k] != b'|' {
                        k += 1;
                    }
                    k
                };
                out.push_str(&s[i..i + "password".len()]);
                out.push_str("=***");
                i = end;
                continue;
            }
        }
        if lower[i..].starts_with("://") {
            // scheme://user:secret@host
            let rest = &s[i + 3..];
            let auth_end = rest.find(['/', ' ', '?']).unwrap_or(rest.len());
            if let Some(at) = rest[..auth_end].rfind('@')
                && let Some(colon) = rest[..at].find(':')
            {
                out.push_str("://");
                out.push_str(&rest[..colon]);
                out.push_str(":***");
                i += 3 + at;
                continue;
            }
        }
        let c = s[i..].chars().next().expect("within the string");
        out.push(c);
        i += c.len_utf8();
    }
    std::borrow::Cow::Owned(out)
}

/// Check that a database output (`PG:…`) can be connected to and written,
/// before the work that fills it.
pub fn check_database(path: &Path) -> Result<()> {
    let Format::Ogr(driver) = Format::from_path(path)? else { return Ok(()) };
    let conn = split_layer_name(path).map_or_else(|| path.to_path_buf(), |(f, _)| f);
    ogr::check_database(&conn, &driver)
}

fn ensure_exists(path: &Path) -> Result<()> {
    // GDAL's message for a missing file is generic; std's is precise.
    std::fs::metadata(path).map(|_| ()).map_err(|source| Error::Read { path: path.to_path_buf(), source })
}

/// Read one layer, take it to EPSG:4326, and check it against its role.
///
/// ```
/// use delimit::io::{read_layer, ReadOptions};
/// use delimit::layer::Role;
/// let dir = tempfile::tempdir().unwrap();
/// let p = dir.path().join("legal.geojson");
/// std::fs::write(&p, r#"{"type":"FeatureCollection","features":[{"type":"Feature",
///   "properties":{"owner":"ARM"},"geometry":{"type":"Polygon",
///   "coordinates":[[[44,40],[45,40],[45,41],[44,40]]]}}]}"#).unwrap();
/// let opts = ReadOptions { role: Some(Role::Legal), ..Default::default() };
/// let layer = read_layer(&p, &opts).unwrap();
/// assert_eq!(layer.features.len(), 1);
/// assert_eq!(layer.provenance.source_crs, "EPSG:4326");
/// assert_eq!(layer.provenance.sha256.len(), 64);
/// ```
pub fn read_layer(path: &Path, opts: &ReadOptions) -> Result<Layer> {
    // `FILE|layername=NAME` (as QGIS and GDAL write a layer of a package or
    // a table of a database): that layer, whatever `opts.layer` says, so
    // that each input can name its own layer of one shared source.
    if let Some((file, name)) = split_layer_name(path) {
        return read_layer(&file, &ReadOptions { layer: Some(name), ..opts.clone() });
    }
    if path.as_os_str() != "-" {
        admit_input(path)?;
        // "No such file", not "unknown format `.`", for a path that is not there.
        if !is_database(path) && !vsi::is_vsi(path) {
            ensure_exists(path)?;
        }
    }
    let fmt = match &opts.format {
        Some(f) => f.clone(),
        None => Format::from_path(path)?,
    };
    let (raw, sha256) = match &fmt {
        // Inside a GDAL virtual file system (/vsizip/…), GDAL reads it.
        Format::GeoJson if vsi::is_vsi(path) => read_ogr(path, "GeoJSON", opts)?,
        Format::GeoJson => {
            let bytes = read_bytes(path)?;
            let raw = geojson::parse(path, &bytes, &stem(path), opts.keep_properties.as_deref())?;
            (raw, sha256_hex(&bytes))
        }
        Format::GeoJsonSeq => read_ogr(path, "GeoJSONSeq", opts)?,
        Format::Ogr(driver) => read_ogr(path, driver, opts)?,
    };
    finish(path, raw, sha256, opts)
}

/// `FILE|layername=NAME` split into the file (or `PG:` connection) and the
/// layer name; `None` for a plain path.
///
/// ```
/// use std::path::Path;
/// let (f, l) = delimit::io::split_layer_name(Path::new("team.gpkg|layername=legal")).unwrap();
/// assert_eq!((f.to_str().unwrap(), l.as_str()), ("team.gpkg", "legal"));
/// assert!(delimit::io::split_layer_name(Path::new("legal.geojson")).is_none());
/// ```
pub fn split_layer_name(path: &Path) -> Option<(PathBuf, String)> {
    let s = path.to_str()?;
    let (file, name) = s.rsplit_once("|layername=")?;
    (!file.is_empty() && !name.is_empty()).then(|| (PathBuf::from(file), name.to_string()))
}

fn read_ogr(path: &Path, driver: &str, opts: &ReadOptions) -> Result<(RawLayer, String)> {
    if is_database(path) {
        // A database has no bytes to hash: the hash is of the features as
        // read (id, geometry, attributes, in the order the server gave).
        let mut raw = ogr::read(path, driver, opts.layer.as_deref())?;
        if let Some(id) = ogr::input_table_identity(path, driver, &raw.name) {
            atomic::record_input_table(id);
        }
        let sha256 = content_hash(&raw);
        if let Some(keep) = &opts.keep_properties {
            for f in &mut raw.features {
                f.properties.retain(|k, _| keep.contains(k));
            }
        }
        return Ok((raw, sha256));
    }
    refuse_stream(path, driver)?;
    vsi::refuse_bombs(path)?;
    // Hash the bytes GDAL will read; for multi-file formats, the main file.
    let sha256 = hash_file(path)?;
    let mut raw = ogr::read(path, driver, opts.layer.as_deref())?;
    if let Some(keep) = &opts.keep_properties {
        for f in &mut raw.features {
            f.properties.retain(|k, _| keep.contains(k));
        }
    }
    Ok((raw, sha256))
}

/// The sha256 of a layer's features as read: for sources without a file.
fn content_hash(raw: &RawLayer) -> String {
    use sha2::Digest;
    let mut h = sha2::Sha256::new();
    for f in &raw.features {
        // Debug prints f64 as the shortest text that reads back exactly.
        h.update(
            format!("{}\0{:?}\0{}\n", f.id, f.geometry, serde_json::Value::Object(f.properties.clone())).as_bytes(),
        );
    }
    hex(&h.finalize())
}

/// Read GeoJSON held in memory (the embedded sample); `label` stands in for
/// the path in messages and provenance.
///
/// ```
/// use delimit::io::{read_geojson_bytes, ReadOptions};
/// let l = read_geojson_bytes("mem.geojson".as_ref(),
///     br#"{"type":"Feature","properties":{},"geometry":{"type":"Point","coordinates":[45,40]}}"#,
///     &ReadOptions::default()).unwrap();
/// assert_eq!(l.provenance.path, "mem.geojson");
/// ```
pub fn read_geojson_bytes(label: &Path, bytes: &[u8], opts: &ReadOptions) -> Result<Layer> {
    let raw = geojson::parse(label, bytes, &stem(label), opts.keep_properties.as_deref())?;
    finish(label, raw, sha256_hex(bytes), opts)
}

fn finish(path: &Path, raw: RawLayer, sha256: String, opts: &ReadOptions) -> Result<Layer> {
    let (source_crs, crs_from) = match (&opts.src_crs, &raw.declared_crs) {
        (Some(c), _) => (c.clone(), "--src-crs"),
        (None, Some(c)) => (c.clone(), "file"),
        // RFC 7946: GeoJSON without a crs member is WGS 84 lon/lat. OGR
        // sources without an SRS get the same assumption, and say so.
        (None, None) => (crs::WGS84.to_string(), "assumed (no CRS in file)"),
    };
    let info = crs::describe(&source_crs).map_err(|e| match e {
        Error::Crs { definition, message, .. } => Error::Crs { definition, context: Some(path.to_path_buf()), message },
        other => other,
    })?;
    let mut features: Vec<Feature> = raw
        .features
        .into_iter()
        .map(|f| Feature { id: f.id, index: f.index, geometry: f.geometry, properties: f.properties })
        .collect();

    let mut operation = None;
    if !info.is_wgs84
        && let Some(b) = native_bbox(&features)
    {
        if info.projected && b[0] >= -180.0 && b[2] <= 180.0 && b[1] >= -90.0 && b[3] <= 90.0 {
            return Err(Error::CrsMismatch {
                path: path.to_path_buf(),
                crs: info.label,
                message: format!(
                    "the CRS is projected (metres) but every coordinate lies within ±180/±90, like degrees (bbox {:.4}, {:.4}, {:.4}, {:.4})",
                    b[0], b[1], b[2], b[3]
                ),
                hint: "if the coordinates are lon/lat, pass --src-crs EPSG:4326 (or remove the file's crs member)"
                    .into(),
            });
        }
        if let Some(t) = Transformer::to_wgs84(&source_crs, b)? {
            for f in &mut features {
                if let Some(g) = &mut f.geometry {
                    t.apply(g).map_err(|e| Error::Geometry {
                        path: path.to_path_buf(),
                        feature: f.id.clone(),
                        message: e.to_string(),
                        hint: Some(format!("is {} the right CRS? override it with --src-crs", info.label)),
                    })?;
                }
            }
            operation = Some(t.operation().clone());
        }
    }

    // A GeometryCollection holding only polygons (as some exporters write
    // countries) is a MultiPolygon for the polygonal roles.
    if matches!(opts.role, Some(Role::Legal | Role::Control)) {
        for f in &mut features {
            if let Some(Geometry::GeometryCollection(c)) = &f.geometry {
                let mut parts = Vec::new();
                let all_polygonal = c.iter().all(|g| match g {
                    Geometry::Polygon(p) => {
                        parts.push(p.clone());
                        true
                    }
                    Geometry::MultiPolygon(m) => {
                        parts.extend(m.0.iter().cloned());
                        true
                    }
                    _ => false,
                });
                if all_polygonal {
                    f.geometry = Some(Geometry::MultiPolygon(geo::MultiPolygon(parts)));
                }
            }
        }
    }

    if !opts.lenient_coordinates {
        refuse_out_of_range(path, &features, &info.label)?;
        refuse_antimeridian(path, &features)?;
    }

    let layer = Layer {
        name: raw.name.clone(),
        role: opts.role,
        features,
        fields: raw.fields,
        provenance: Provenance {
            path: redact(&path.display().to_string()).into_owned(),
            layer: raw.name,
            sha256,
            driver: raw.driver,
            source_crs: info.label,
            crs_from: crs_from.into(),
            operation,
            status: opts.status.or(raw.status.as_ref().map(|s| s.0)).unwrap_or_default(),
            status_from: match (opts.status, &raw.status) {
                (Some(_), _) => crate::layer::StatusFrom::Given,
                (None, Some(_)) => crate::layer::StatusFrom::File,
                (None, None) => crate::layer::StatusFrom::None,
            },
            status_note: match opts.status {
                // A status given on the command line has no note from the file.
                Some(_) => None,
                None => raw.status.and_then(|s| s.1),
            },
            role: opts.role.map(|r| r.to_string()),
        },
        notes: raw.notes,
    };
    if let Some(role) = opts.role {
        check_role(path, &layer, role, &opts.fields, opts.key_optional)?;
    }
    Ok(layer)
}

fn refuse_antimeridian(path: &Path, features: &[Feature]) -> Result<()> {
    for f in features {
        let Some(g) = &f.geometry else { continue };
        if let Some(l) = antimeridian_edge(g) {
            return Err(Error::Geometry {
                path: path.to_path_buf(),
                feature: f.id.clone(),
                message: format!(
                    "the edge from ({}, {}) to ({}, {}) spans {:.1}° of longitude: it crosses the antimeridian, and would be measured the long way round",
                    short_number(l.start.x),
                    short_number(l.start.y),
                    short_number(l.end.x),
                    short_number(l.end.y),
                    (l.end.x - l.start.x).abs()
                ),
                hint: Some("split the geometry at ±180°, e.g. `ogr2ogr -wrapdateline out.geojson in.geojson`; `delimit check` lists every such feature".into()),
            });
        }
    }
    Ok(())
}

/// The first position that is not a finite lon/lat, as an error naming the
/// feature. Such a position (1e308, a projected easting in a file said to
/// be WGS 84, NaN from an exporter) would otherwise pass through every
/// measure as a plausible-looking number or an empty answer.
fn refuse_out_of_range(path: &Path, features: &[Feature], crs: &str) -> Result<()> {
    for f in features {
        let Some(g) = &f.geometry else { continue };
        if let Some(c) = g.coords_iter().find(|c| !(c.x.abs() <= 180.0 + 1e-9 && c.y.abs() <= 90.0 + 1e-9)) {
            let swapped = c.y.abs() <= 180.0 && c.x.abs() <= 90.0;
            return Err(Error::Geometry {
                path: path.to_path_buf(),
                feature: f.id.clone(),
                message: format!(
                    "position ({}, {}) is not a lon/lat position (read as {crs})",
                    short_number(c.x),
                    short_number(c.y)
                ),
                hint: Some(if swapped {
                    "it fits as (lat, lon): are the axes swapped?".into()
                } else {
                    "if the file is projected without saying so, pass --src-crs EPSG:NNNN; `delimit check` lists every such position".into()
                }),
            });
        }
    }
    Ok(())
}

/// The first edge of `g` that spans more than 180° of longitude: a ring or
/// line drawn across the antimeridian (from 179°E to 179°W), which every
/// planar and geodesic measure reads the long way round, 358° wide.
///
/// ```
/// use delimit::io::antimeridian_edge;
/// use geo::polygon;
/// let across: geo::Geometry = polygon![(x: 179.0, y: -17.0), (x: -179.0, y: -17.0), (x: -179.0, y: -16.0), (x: 179.0, y: -16.0)].into();
/// assert!(antimeridian_edge(&across).is_some());
/// let fine: geo::Geometry = polygon![(x: 44.0, y: 40.0), (x: 45.0, y: 40.0), (x: 45.0, y: 41.0)].into();
/// assert!(antimeridian_edge(&fine).is_none());
/// // A polar cap closed along the pole and the ±180° meridian crosses nothing.
/// let cap: geo::Geometry = polygon![(x: -180.0, y: -80.0), (x: 0.0, y: -70.0), (x: 180.0, y: -80.0), (x: 180.0, y: -90.0), (x: -180.0, y: -90.0)].into();
/// assert!(antimeridian_edge(&cap).is_none());
/// ```
pub fn antimeridian_edge(g: &Geometry<f64>) -> Option<geo::Line<f64>> {
    // Edges along a pole (Natural Earth's Antarctica closes its ring from
    // (180, -90) to (-180, -90)) or from +180 to -180 (one meridian under
    // two names) have no length, and cross nothing.
    let at_pole = |c: geo::Coord<f64>| c.y.abs() >= 90.0 - 1e-9;
    let on_180 = |c: geo::Coord<f64>| c.x.abs() >= 180.0 - 1e-9;
    let crosses = |e: &geo::Line<f64>| {
        (e.end.x - e.start.x).abs() > 180.0
            && !(at_pole(e.start) && at_pole(e.end))
            && !(on_180(e.start) && on_180(e.end))
    };
    let in_line = |l: &geo::LineString<f64>| l.lines().find(|e| crosses(e));
    let in_poly = |p: &geo::Polygon<f64>| std::iter::once(p.exterior()).chain(p.interiors()).find_map(in_line);
    match g {
        Geometry::LineString(l) => in_line(l),
        Geometry::MultiLineString(m) => m.0.iter().find_map(in_line),
        Geometry::Polygon(p) => in_poly(p),
        Geometry::MultiPolygon(m) => m.0.iter().find_map(in_poly),
        Geometry::GeometryCollection(c) => c.0.iter().find_map(antimeridian_edge),
        _ => None,
    }
}

/// A number as a person reads it: 1e308, not 309 digits.
///
/// ```
/// assert_eq!(delimit::io::short_number(1e308), "1e308");
/// assert_eq!(delimit::io::short_number(45.5), "45.5");
/// assert_eq!(delimit::io::short_number(f64::NAN), "NaN");
/// ```
pub fn short_number(v: f64) -> String {
    if v.is_finite() && v != 0.0 && (v.abs() >= 1e7 || v.abs() < 1e-6) { format!("{v:e}") } else { format!("{v}") }
}

fn native_bbox(features: &[Feature]) -> Option<[f64; 4]> {
    let mut b: Option<[f64; 4]> = None;
    for g in features.iter().filter_map(|f| f.geometry.as_ref()) {
        // Non-finite coordinates are check's business; keep them out of the box.
        if g.coords_iter().any(|c| !c.x.is_finite() || !c.y.is_finite()) {
            continue;
        }
        if let Some(r) = g.bounding_rect() {
            b = Some(match b {
                None => [r.min().x, r.min().y, r.max().x, r.max().y],
                Some(a) => [a[0].min(r.min().x), a[1].min(r.min().y), a[2].max(r.max().x), a[3].max(r.max().y)],
            });
        }
    }
    b
}

/// The geometry types a role accepts.
fn allowed(role: Role, g: &Geometry<f64>) -> bool {
    matches!(
        (role, g),
        (Role::Legal | Role::Control, Geometry::Polygon(_) | Geometry::MultiPolygon(_))
            | (Role::Settlements, Geometry::Point(_) | Geometry::MultiPoint(_))
            | (Role::Routes | Role::Segments, Geometry::LineString(_) | Geometry::MultiLineString(_))
    )
}

fn check_role(path: &Path, layer: &Layer, role: Role, names: &FieldNames, key_optional: bool) -> Result<()> {
    if layer.features.is_empty() {
        return Err(Error::Empty { path: path.to_path_buf(), layer: layer.name.clone() });
    }
    let key = names.key_for(role);
    if let Some((field, flag)) = key
        && !key_optional
        && !layer.fields.iter().any(|f| f.name == field)
    {
        return Err(Error::MissingField {
            path: path.to_path_buf(),
            field: field.to_string(),
            purpose: format!("{role} key"),
            flag: flag.to_string(),
            available: layer.fields.iter().map(|f| f.name.clone()).collect(),
        });
    }
    for f in &layer.features {
        let Some(g) = &f.geometry else {
            return Err(Error::Geometry {
                path: path.to_path_buf(),
                feature: f.id.clone(),
                message: "has a null geometry".into(),
                hint: Some(format!("a {role} layer needs a geometry on every feature; remove or fix this one")),
            });
        };
        if !allowed(role, g) {
            return Err(Error::Geometry {
                path: path.to_path_buf(),
                feature: f.id.clone(),
                message: format!("is a {}, which a {role} layer cannot use", geometry_type_name(g)),
                hint: Some(match role {
                    Role::Legal | Role::Control => "legal and control layers hold Polygons or MultiPolygons".into(),
                    Role::Settlements => "settlements are Points".into(),
                    Role::Routes | Role::Segments => "routes and segments are LineStrings".into(),
                }),
            });
        }
        if let Some((field, _)) = key {
            match f.text(field) {
                Some(v) if matches!(role, Role::Legal | Role::Control) && party_code_problem(&v).is_some() => {
                    return Err(Error::FieldValue {
                        path: path.to_path_buf(),
                        feature: f.id.clone(),
                        field: field.to_string(),
                        problem: party_code_problem(&v).expect("just checked"),
                    });
                }
                Some(v) if !v.trim().is_empty() => {}
                // A partial snapshot: the caller supplies the value.
                _ if key_optional => {}
                Some(_) => {
                    return Err(Error::FieldValue {
                        path: path.to_path_buf(),
                        feature: f.id.clone(),
                        field: field.to_string(),
                        problem: "is empty".into(),
                    });
                }
                None => {
                    return Err(Error::FieldValue {
                        path: path.to_path_buf(),
                        feature: f.id.clone(),
                        field: field.to_string(),
                        problem: "is missing or null".into(),
                    });
                }
            }
        }
    }
    Ok(())
}

/// Why `code` cannot be a party code, if it cannot. A party code names an
/// owner or a controller; delimit joins two of them with `|` for a pair
/// (`ARM|AZE`), so a `|` inside one would make pairs ambiguous, and
/// control characters (ESC, CR, NUL, bidi overrides) in a code would reach
/// every table and message.
///
/// ```
/// use delimit::io::party_code_problem;
/// assert!(party_code_problem("ARM").is_none());
/// assert!(party_code_problem("Nagorno-Karabakh (de facto)").is_none());
/// assert!(party_code_problem("A|B").unwrap().contains("`|`"));
/// assert!(party_code_problem("  ").is_some());
/// assert!(party_code_problem("A\u{1b}[31m").is_some());
/// ```
pub fn party_code_problem(code: &str) -> Option<String> {
    let shown = || code.escape_debug().to_string();
    if code.trim().is_empty() {
        return Some("is empty or only whitespace; a party code names an owner or a controller".into());
    }
    if code.contains('|') {
        return Some(format!(
            "holds `|` (\"{}\"); delimit writes a pair of parties as A|B, so a code cannot contain it",
            shown()
        ));
    }
    if code.chars().any(crate::markup::is_control_or_bidi) {
        return Some(format!(
            "holds a control or bidirectional-override character (\"{}\"); party codes are plain text",
            shown()
        ));
    }
    None
}

/// Options for writing a layer.
#[derive(Debug, Clone, Default)]
pub struct WriteOptions {
    /// Replace an existing output.
    pub force: bool,
    /// Override the format implied by the extension.
    pub format: Option<Format>,
    /// GeoJSON coordinate precision and metadata.
    pub geojson: geojson::GeoJsonOptions,
    /// The layer's default QGIS style, written into `layer_styles` when
    /// the output is a GeoPackage (QGIS applies it on opening the layer).
    pub style: Option<LayerStyle>,
    /// Write CSV text cells as they are. By default a cell that a
    /// spreadsheet would run as a formula ([`csv_cell`]) gets a leading `'`.
    pub csv_raw: bool,
}

/// A text cell for a CSV file, safe to open in a spreadsheet: a value that
/// starts with `=`, `+`, `-`, `@`, a tab or a carriage return would be run
/// as a formula (`=HYPERLINK(…)` from a name in an input file), so it gets a
/// leading `'`, as OWASP recommends. A lone `-` (delimit's "held by no
/// one") and a plain number (`-12.5`) are no formulas and stay as they are.
///
/// ```
/// use delimit::io::csv_cell;
/// assert_eq!(csv_cell("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
/// assert_eq!(csv_cell("-"), "-");
/// assert_eq!(csv_cell("-12.5"), "-12.5");
/// assert_eq!(csv_cell("-1+1"), "'-1+1");
/// assert_eq!(csv_cell("Voskepar"), "Voskepar");
/// ```
pub fn csv_cell(s: &str) -> std::borrow::Cow<'_, str> {
    let number = s.trim().parse::<f64>().is_ok_and(f64::is_finite);
    if s != "-" && !number && s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        std::borrow::Cow::Owned(format!("'{s}"))
    } else {
        std::borrow::Cow::Borrowed(s)
    }
}

/// Features with every text cell made safe for a spreadsheet ([`csv_cell`]).
fn csv_safe(features: &[Feature]) -> Vec<Feature> {
    let cell = |s: &str| csv_cell(s).into_owned();
    features
        .iter()
        .map(|f| Feature {
            id: cell(&f.id),
            index: f.index,
            geometry: f.geometry.clone(),
            properties: f
                .properties
                .iter()
                .map(|(k, v)| {
                    let v = match v {
                        serde_json::Value::String(s) => serde_json::Value::String(cell(s)),
                        v => v.clone(),
                    };
                    (k.clone(), v)
                })
                .collect(),
        })
        .collect()
}

/// Write one file of bytes, complete or absent (through [`Output`]).
pub fn write_file(path: &Path, bytes: &[u8], force: bool, inputs: &[&Path]) -> Result<()> {
    let out = Output::prepare(path, force, inputs)?;
    out.commit(|tmp| std::fs::write(tmp, bytes).map_err(|source| Error::Write { path: path.to_path_buf(), source }))
}

/// Write several files into `dir`, each complete or absent; every target
/// is checked (exists, `force`) before any is written. Returns the paths.
/// A missing `dir` is created (as `mkdir -p`), and removed again when no
/// file could be written into it; a path that exists and is not a folder
/// is refused.
///
/// ```
/// let dir = tempfile::tempdir().unwrap();
/// let files = [("a.txt", b"A".as_slice()), ("b.txt", b"B".as_slice())];
/// delimit::io::write_files(dir.path(), &files, false).unwrap();
/// assert_eq!(std::fs::read(dir.path().join("b.txt")).unwrap(), b"B");
/// assert!(delimit::io::write_files(dir.path(), &files, false).is_err());
/// let new = dir.path().join("new/sub");
/// delimit::io::write_files(&new, &files, false).unwrap();
/// assert_eq!(std::fs::read(new.join("a.txt")).unwrap(), b"A");
/// ```
pub fn write_files<N: AsRef<str>, B: AsRef<[u8]>>(dir: &Path, files: &[(N, B)], force: bool) -> Result<Vec<PathBuf>> {
    let created = if dir.exists() || dir.is_symlink() {
        if !dir.is_dir() {
            return Err(Error::NotAFolder { path: dir.to_path_buf() });
        }
        None
    } else {
        // The first missing ancestor: what to remove if nothing lands.
        let mut top = dir.to_path_buf();
        while let Some(parent) = top.parent().filter(|p| !p.as_os_str().is_empty() && !p.exists()) {
            top = parent.to_path_buf();
        }
        std::fs::create_dir_all(dir).map_err(|source| Error::Write { path: dir.to_path_buf(), source })?;
        Some(top)
    };
    let undo = |e: Error| {
        if let Some(top) = &created {
            // Only folders this call made, and only while empty.
            let mut d = dir.to_path_buf();
            while std::fs::remove_dir(&d).is_ok() && d != *top {
                match d.parent() {
                    Some(p) => d = p.to_path_buf(),
                    None => break,
                }
            }
        }
        e
    };
    let outs = files
        .iter()
        .map(|(name, _)| Output::prepare(&dir.join(name.as_ref()), force, &[]))
        .collect::<Result<Vec<_>>>()
        .map_err(undo)?;
    let mut written = Vec::new();
    for (out, (_, bytes)) in outs.into_iter().zip(files) {
        let path = out.path().to_path_buf();
        out.commit(|tmp| {
            std::fs::write(tmp, bytes.as_ref()).map_err(|source| Error::Write { path: path.clone(), source })
        })?;
        written.push(path);
    }
    Ok(written)
}

/// What a write did, for the user to be told.
#[derive(Debug, Clone, PartialEq)]
pub struct Written {
    /// Where: the final path, or `-` for stdout.
    pub path: PathBuf,
    /// How many features.
    pub features: usize,
    /// Fields the format renamed (Shapefile keeps 10 characters): (asked, written).
    pub renamed_fields: Vec<(String, String)>,
}

/// Write features to a file, atomically. `inputs` are never overwritten.
/// The path `-` writes GeoJSON (or with `opts.format`, a GeoJSON Text
/// Sequence) to stdout.
///
/// ```
/// use delimit::io::{write_layer, WriteOptions};
/// let dir = tempfile::tempdir().unwrap();
/// let out = dir.path().join("pts.gpkg");
/// let f = delimit::layer::Feature { id: "1".into(), index: 0, properties: Default::default(),
///     geometry: Some(geo::point!(x: 45.0, y: 40.0).into()) };
/// let w = write_layer(&out, "pts", &[f], &[], &WriteOptions::default()).unwrap();
/// assert!(out.exists());
/// assert_eq!(w.features, 1);
/// ```
pub fn write_layer(
    path: &Path,
    layer_name: &str,
    features: &[Feature],
    inputs: &[&Path],
    opts: &WriteOptions,
) -> Result<Written> {
    let fmt = match &opts.format {
        Some(f) => f.clone(),
        None => Format::from_path(path)?,
    };
    let safe;
    let features = if matches!(&fmt, Format::Ogr(d) if d == "CSV") && !opts.csv_raw {
        safe = csv_safe(features);
        &safe[..]
    } else {
        features
    };
    let written = |renamed_fields| Written { path: path.to_path_buf(), features: features.len(), renamed_fields };
    let text_err = |source| Error::Write { path: path.to_path_buf(), source };
    let text = |w: &mut dyn std::io::Write| -> std::io::Result<()> {
        match fmt {
            Format::GeoJsonSeq => geojson::write_sequence(w, features, &opts.geojson),
            _ => geojson::write_features(w, features, &opts.geojson),
        }
    };
    if path.as_os_str() == "-" {
        return match &fmt {
            Format::GeoJson | Format::GeoJsonSeq => {
                let mut out = std::io::BufWriter::new(std::io::stdout().lock());
                text(&mut out).and_then(|_| std::io::Write::flush(&mut out)).map_err(text_err)?;
                Ok(written(Vec::new()))
            }
            Format::Ogr(d) => Err(Error::Usage {
                option: "-o".into(),
                message: format!("`-` (stdout) takes GeoJSON or GeoJSON Sequence, not {d}"),
                hint: Some("use --output-format geojson or geojsonseq with -o -, or write a file".into()),
            }),
        };
    }
    if is_database(path) {
        // A database has no temporary file to rename: the table is written
        // in one transaction instead, so it is complete or absent too.
        let Format::Ogr(driver) = &fmt else {
            return Err(Error::Usage {
                option: "--format".into(),
                message: format!("`{}` is a database, not a GeoJSON file", path.display()),
                hint: None,
            });
        };
        let renamed = ogr::write_table(path, driver, layer_name, features, opts.force)?;
        return Ok(written(renamed));
    }
    let out = Output::prepare(path, opts.force, inputs)?;
    let final_path = out.path().to_path_buf();
    let mut renamed = Vec::new();
    out.commit(|tmp| match &fmt {
        Format::GeoJson | Format::GeoJsonSeq => {
            let file = std::fs::File::create(tmp).map_err(text_err)?;
            let mut w = std::io::BufWriter::new(file);
            text(&mut w).and_then(|_| std::io::Write::flush(&mut w)).map_err(text_err)
        }
        Format::Ogr(driver) => {
            renamed = ogr::write(tmp, driver, layer_name, features)?;
            match &opts.style {
                // Into the temporary file: the package appears with its style or not at all.
                Some(style) if driver.eq_ignore_ascii_case("GPKG") => {
                    add_layer_styles(tmp, std::slice::from_ref(style), ogr::FIXED_GPKG_TIME)
                }
                _ => Ok(()),
            }
        }
    })?;
    Ok(Written { path: final_path, ..written(renamed) })
}
