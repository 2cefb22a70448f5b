//! # delimit
//!
//! Measured geometry for land-boundary delimitation: the legal basis against
//! de facto control, stated with provenance and never with a side.
//!
//! Everything is held in EPSG:4326 lon/lat and measured geodesically on the
//! WGS 84 ellipsoid; any other CRS is transformed on load with one recorded
//! PROJ operation.
//!
//! ## Catalog
//!
//! **Data model**
//! - [`layer`]: features with a stable id, a role (legal, control, …) and provenance.
//! - [`provenance`]: where a run's results came from, in one shape for every output.
//! - [`error`]: typed errors, each with its exit-code class and a hint.
//!
//! **Input and output**
//! - [`io`]: GeoJSON natively, every other OGR format through GDAL; atomic writes.
//! - [`crs`]: choosing, recording and applying the PROJ operation to WGS 84.
//! - [`sample`]: the bundled Armenia–Azerbaijan sample, embedded in the binary.
//! - [`position`]: a point typed by a person: LAT,LON, hemisphere letters, swap detection.
//!
//! **Capabilities**
//! - [`info`]: what a file holds: layers, counts, types, CRS, extent, fields.
//! - [`check`]: geometry validity, coordinate sanity and the partition test for a legal basis.
//! - [`measure`]: geodesic area, perimeter and length.
//! - [`index`]: the spatial indexes: point in polygon, nearest boundary edge (geodesic), named points.
//! - [`boundary`]: the edges two units share, merged into lines.
//! - [`overlay`]: `gaps`, the legal × control overlay with its classes and conservation check.
//! - [`changes`]: control over time: what changed hands between snapshots, and the held series.
//! - [`export`]: every result as features, with the same fields wherever it is written.
//! - [`polygonize`]: a legal basis from boundary lines with left and right owners.
//! - [`job`]: a full run: every analysis on one set of layers.
//! - [`qgis`]: the styled GeoPackage and the QGIS project.
//! - [`report`]: the self-contained HTML or Markdown report.
//! - [`markup`]: escaping for everything written as XML or HTML.
//! - [`units`]: numbers for readers: thousands separators, areas never shown as a false zero.

pub mod boundary;
pub mod changes;
pub mod check;
pub mod corridor;
pub mod crs;
pub mod error;
pub mod export;
pub mod index;
pub mod info;
pub mod io;
pub mod job;
pub mod layer;
pub mod limits;
pub mod lines;
pub mod markup;
pub mod measure;
pub mod overlay;
pub mod polygonize;
pub mod position;
pub mod provenance;
pub mod qgis;
pub mod report;
pub mod sample;
pub mod units;
pub mod village;

pub use error::{Error, ErrorClass, Result};
pub use layer::{Feature, Layer, Role};
