//! The GeoPackage: layers through GDAL, then the `layer_styles` table.

use std::path::Path;

use super::{LayerSpec, Provenance};
use crate::error::Result;
use crate::io::LayerStyle;

/// The timestamp GDAL and we write into `gpkg_contents.last_change` and
/// `layer_styles.update_time` when no date is asked for: a fixed one, so
/// that two runs give the same file.
const FIXED_TIME: &str = "1970-01-01T00:00:00.000Z";

fn timestamp(p: &Provenance) -> String {
    match &p.date {
        // A bare date is stamped at midnight UTC.
        Some(d) if d.len() == 10 => format!("{d}T00:00:00.000Z"),
        Some(d) => d.clone(),
        None => FIXED_TIME.to_string(),
    }
}

pub(super) fn write(path: &Path, layers: &[LayerSpec], provenance: &Provenance) -> Result<()> {
    let time = timestamp(provenance);
    // GDAL stamps gpkg_contents with the current time unless told otherwise.
    gdal::config::set_config_option("OGR_CURRENT_DATE", &time)
        .map_err(crate::io::gdal_err(path, "CPLSetConfigOption"))?;
    let specs: Vec<(&str, &[crate::layer::Feature], Option<crate::io::Kind>)> =
        layers.iter().map(|l| (l.name.as_str(), l.features.as_slice(), Some(l.kind))).collect();
    let written = crate::io::write_layers(path, "GPKG", &specs, Some(&provenance.to_json().to_string()));
    let _ = gdal::config::clear_config_option("OGR_CURRENT_DATE");
    written?;

    let styles: Vec<LayerStyle> = layers
        .iter()
        .map(|l| LayerStyle { table: l.name.clone(), qml: l.style.qml(), description: l.description.clone() })
        .collect();
    crate::io::add_layer_styles(path, &styles, &time)
}
