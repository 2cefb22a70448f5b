//! The bundled Armenia–Azerbaijan sample, embedded in the binary so that
//! every command works from any folder without arguments. The files are
//! those in `data/`; `data/SOURCES.md` says where each comes from.

use std::path::Path;

use crate::error::Result;
use crate::io::{ReadOptions, read_geojson_bytes};
use crate::layer::Layer;

/// One embedded file.
#[derive(Debug, Clone, Copy)]
pub struct SampleFile {
    /// File name, as in `data/`.
    pub name: &'static str,
    /// What it holds, in a few words.
    pub what: &'static str,
    /// Licence of the data.
    pub licence: &'static str,
    /// The bytes, identical to `data/<name>`.
    pub bytes: &'static [u8],
}

macro_rules! file {
    ($name:literal, $what:literal, $licence:literal) => {
        SampleFile {
            name: $name,
            what: $what,
            licence: $licence,
            bytes: include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/data/", $name)),
        }
    };
}

/// Every embedded file, in documentation order.
pub const FILES: &[SampleFile] = &[
    file!(
        "legal.geojson",
        "legal basis: OSM 2017 line as an approximation of the 1976 line, exclaves cut",
        "ODbL-1.0 (© OpenStreetMap contributors)"
    ),
    file!(
        "legal-lines.geojson",
        "the ARM–AZE legal line as LineStrings with left/right owners, split at 1:100k sheet edges (derived)",
        "ODbL-1.0 (© OpenStreetMap contributors)"
    ),
    file!("legal-ne.geojson", "coarser legal basis: Natural Earth 10m v5.1.1", "public domain"),
    file!(
        "control.geojson",
        "ILLUSTRATIVE control: legal layer with the documented exclave holdings",
        "ODbL-1.0 (© OpenStreetMap contributors)"
    ),
    file!(
        "control-osm2024.geojson",
        "control: OSM country polygons 2024, clipped to land",
        "ODbL-1.0 (© OpenStreetMap contributors)"
    ),
    file!(
        "admin1.geojson",
        "provinces and districts (Natural Earth admin-1), Lachin fixed, Nakhchivan AR added",
        "public domain"
    ),
    file!(
        "settlements.geojson",
        "GeoNames cities500 for AM and AZ, plus 2 places with cited coordinates",
        "CC-BY-4.0 (GeoNames)"
    ),
    file!(
        "segments.geojson",
        "APPROXIMATE 2024 Tavush–Gazakh delimited segment (Voskepar–Baghanis)",
        "ODbL-1.0 (© OpenStreetMap contributors)"
    ),
    file!(
        "routes.geojson",
        "ILLUSTRATIVE corridor routes: straight lines between GeoNames settlements",
        "CC-BY-4.0 (GeoNames)"
    ),
    file!(
        "corridor.toml",
        "ILLUSTRATIVE corridor constraints (one stated position, as a format example)",
        "written for delimit"
    ),
    file!(
        "SOURCES.md",
        "where each file comes from, licences, attribution, every transformation",
        "travels with the data"
    ),
];

/// Find an embedded file by name.
///
/// ```
/// let f = delimit::sample::file("legal.geojson").unwrap();
/// assert!(f.bytes.starts_with(b"{\"type\":\"FeatureCollection\""));
/// assert!(delimit::sample::file("nope.geojson").is_none());
/// ```
pub fn file(name: &str) -> Option<&'static SampleFile> {
    FILES.iter().find(|f| f.name == name)
}

/// Load an embedded file as a layer. Its provenance path reads
/// `embedded:data/<name>`.
///
/// ```
/// use delimit::io::ReadOptions;
/// use delimit::layer::Role;
/// let opts = ReadOptions { role: Some(Role::Legal), ..Default::default() };
/// let legal = delimit::sample::load("legal.geojson", &opts).unwrap();
/// assert!(legal.features.iter().any(|f| f.text("unit").as_deref() == Some("Artsvashen exclave")));
/// ```
pub fn load(name: &str, opts: &ReadOptions) -> Result<Layer> {
    let f = file(name).ok_or_else(|| crate::Error::Usage {
        option: "sample".into(),
        message: format!("no embedded file `{name}`"),
        hint: Some(format!("embedded: {}", FILES.iter().map(|f| f.name).collect::<Vec<_>>().join(", "))),
    })?;
    let label = format!("embedded:data/{name}");
    read_geojson_bytes(Path::new(&label), f.bytes, opts)
}
