//! `info`: what a file holds, per layer: feature count, geometry types, CRS,
//! extent, fields and vertex count.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;

use crate::error::Result;
use crate::io::{self, Format, ReadOptions};
use crate::layer::{FieldInfo, Layer, Provenance, geometry_type_name};

/// A summary of one layer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LayerInfo {
    /// Layer name.
    pub name: String,
    /// Number of features.
    pub features: usize,
    /// Features with a null geometry.
    pub null_geometries: usize,
    /// Count per geometry type, sorted by name.
    pub geometry_types: BTreeMap<String, usize>,
    /// Total vertices.
    pub vertices: usize,
    /// Extent in WGS 84 lon/lat: [west, south, east, north].
    pub bbox_wgs84: Option<[f64; 4]>,
    /// Fields in file order.
    pub fields: Vec<FieldInfo>,
    /// Path, hash, driver, CRS and the operation applied.
    pub provenance: Provenance,
    /// Reader notes (unclosed rings, dropped Z), counted.
    pub notes: usize,
}

/// Summarise a loaded layer.
///
/// ```
/// use delimit::info::summarise;
/// # let layer = delimit::layer::Layer { name: "t".into(), role: None,
/// #   features: vec![delimit::layer::Feature { id: "1".into(), index: 0, properties: Default::default(),
/// #     geometry: Some(geo::wkt!(POLYGON((44. 40., 45. 40., 45. 41., 44. 40.))).into()) }],
/// #   fields: vec![], notes: vec![],
/// #   provenance: delimit::layer::Provenance { path: "t".into(), layer: "t".into(), sha256: String::new(),
/// #     driver: String::new(), source_crs: "EPSG:4326".into(), crs_from: "file".into(), ..Default::default() } };
/// let s = summarise(&layer);
/// assert_eq!(s.vertices, 4);
/// assert_eq!(s.geometry_types["Polygon"], 1);
/// assert_eq!(s.bbox_wgs84, Some([44.0, 40.0, 45.0, 41.0]));
/// ```
pub fn summarise(layer: &Layer) -> LayerInfo {
    let mut geometry_types = BTreeMap::new();
    for g in layer.features.iter().filter_map(|f| f.geometry.as_ref()) {
        *geometry_types.entry(geometry_type_name(g).to_string()).or_insert(0) += 1;
    }
    LayerInfo {
        name: layer.name.clone(),
        features: layer.features.len(),
        null_geometries: layer.features.iter().filter(|f| f.geometry.is_none()).count(),
        geometry_types,
        vertices: layer.vertex_count(),
        bbox_wgs84: layer.bbox().map(|r| [r.min().x, r.min().y, r.max().x, r.max().y]),
        fields: layer.fields.clone(),
        provenance: layer.provenance.clone(),
        notes: layer.notes.len(),
    }
}

/// Read every layer of a file and summarise each.
pub fn inspect(path: &Path, opts: &ReadOptions) -> Result<Vec<LayerInfo>> {
    let names = match &opts.layer {
        Some(l) => vec![l.clone()],
        None => io::layer_names(path, opts.format.as_ref())?,
    };
    let single = matches!(opts.format.clone().map_or_else(|| Format::from_path(path), Ok)?, Format::GeoJson);
    names
        .into_iter()
        .map(|name| {
            let o = ReadOptions { layer: (!single).then_some(name), role: None, ..opts.clone() };
            io::read_layer(path, &o).map(|l| summarise(&l))
        })
        .collect()
}
