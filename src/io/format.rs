//! Vector formats: chosen from the extension, or named with `--format`.

use std::path::Path;

use crate::error::{Error, Result};

/// A vector format delimit reads or writes.
///
/// ```
/// use delimit::io::Format;
/// assert_eq!(Format::from_path("legal.geojson".as_ref()).unwrap(), Format::GeoJson);
/// assert_eq!(Format::from_path("out.GPKG".as_ref()).unwrap().driver(), "GPKG");
/// assert_eq!(Format::from_name("shp").unwrap().driver(), "ESRI Shapefile");
/// assert!(Format::from_path("data.xyz".as_ref()).is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Format {
    /// GeoJSON, read and written natively (RFC 7946).
    GeoJson,
    /// GeoJSON Text Sequence (RFC 8142): one feature per record, each
    /// record opened by an RS character; `.geojsons`, `.geojsonl`.
    GeoJsonSeq,
    /// Any OGR vector driver, by its GDAL short name.
    Ogr(String),
}

/// Extension → GDAL driver short name for the formats we name in the docs.
const EXTENSIONS: &[(&str, &str)] = &[
    ("gpkg", "GPKG"),
    ("shp", "ESRI Shapefile"),
    ("fgb", "FlatGeobuf"),
    ("kml", "KML"),
    ("gml", "GML"),
    ("csv", "CSV"),
    ("sqlite", "SQLite"),
    ("gpx", "GPX"),
    ("tab", "MapInfo File"),
];

impl Format {
    /// The format implied by a path's extension. `-` means GeoJSON on stdin/stdout.
    pub fn from_path(path: &Path) -> Result<Format> {
        if path.as_os_str() == "-" {
            return Ok(Format::GeoJson);
        }
        // GDAL's PostgreSQL connection string: `PG:host=… dbname=…`.
        if is_database(path) {
            return Ok(Format::Ogr("PostgreSQL".into()));
        }
        let ext_of =
            |p: &Path| p.extension().and_then(|e| e.to_str()).map(|e| e.to_ascii_lowercase()).unwrap_or_default();
        let mut ext = ext_of(path);
        // `legal.geojson.gz` (read through /vsigzip/) is the format inside.
        if ext == "gz" {
            ext = path.file_stem().map(|s| ext_of(Path::new(s))).unwrap_or_default();
        }
        // A pipe without a name to go by (process substitution: /dev/fd/63)
        // is read as GeoJSON, as stdin is; other formats need seeking.
        if ext.is_empty() && super::is_stream(path) {
            return Ok(Format::GeoJson);
        }
        if ext == "geojson" || ext == "json" {
            return Ok(Format::GeoJson);
        }
        if ext == "geojsons" || ext == "geojsonl" || ext == "geojsonseq" {
            return Ok(Format::GeoJsonSeq);
        }
        EXTENSIONS
            .iter()
            .find(|(e, _)| *e == ext)
            .map(|(_, d)| Format::Ogr((*d).to_string()))
            .ok_or_else(|| Error::UnknownFormat { path: path.to_path_buf(), extension: ext })
    }

    /// A format named with `--format`: a short alias or any GDAL driver name.
    pub fn from_name(name: &str) -> Result<Format> {
        let lower = name.to_ascii_lowercase();
        match lower.as_str() {
            "geojson" | "json" => return Ok(Format::GeoJson),
            "geojsonseq" | "geojsons" | "geojsonl" => return Ok(Format::GeoJsonSeq),
            "shapefile" => return Ok(Format::Ogr("ESRI Shapefile".into())),
            "flatgeobuf" => return Ok(Format::Ogr("FlatGeobuf".into())),
            _ => {}
        }
        if let Some((_, d)) = EXTENSIONS.iter().find(|(e, _)| *e == lower) {
            return Ok(Format::Ogr((*d).to_string()));
        }
        match gdal::DriverManager::get_driver_by_name(name) {
            Ok(_) => Ok(Format::Ogr(name.to_string())),
            Err(_) => Err(Error::Usage {
                option: "--format".into(),
                message: format!("`{name}` is neither a known alias nor a GDAL driver"),
                hint: Some(
                    "aliases: geojson, gpkg, shp, fgb, kml, gml, csv; `ogrinfo --formats` lists GDAL drivers".into(),
                ),
            }),
        }
    }

    /// The GDAL driver short name (GeoJSON for the native reader).
    pub fn driver(&self) -> &str {
        match self {
            Format::GeoJson => "GeoJSON",
            Format::GeoJsonSeq => "GeoJSONSeq",
            Format::Ogr(d) => d,
        }
    }
}

/// Whether an output names a database (GDAL's `PG:` connection string)
/// rather than a file.
///
/// ```
/// use delimit::io::is_database;
/// assert!(is_database("PG:host=127.0.0.1 dbname=gis".as_ref()));
/// assert!(!is_database("gaps.gpkg".as_ref()));
/// ```
pub fn is_database(path: &Path) -> bool {
    path.to_str().is_some_and(|s| s.starts_with("PG:"))
}
