//! Writing GeoJSON per RFC 7946 (exterior rings counter-clockwise,
//! `--precision` decimals, one feature per line), and GeoJSON Text
//! Sequences per RFC 8142.

use std::io::Write;

use geo::{Coord, Geometry, GeometryCollection, Orient, orient::Direction};
use geojson::GeometryValue;
use serde_json::Value;

/// Options for writing GeoJSON.
#[derive(Debug, Clone)]
pub struct GeoJsonOptions {
    /// Decimal places kept in coordinates (7 ≈ 1 cm).
    pub precision: u32,
    /// Top-level foreign member `metadata` (RFC 7946 §6.1), e.g. provenance.
    pub metadata: Option<Value>,
}

impl Default for GeoJsonOptions {
    fn default() -> Self {
        GeoJsonOptions { precision: 7, metadata: None }
    }
}

/// Write features as an RFC 7946 FeatureCollection: WGS 84, exterior rings
/// counter-clockwise, holes clockwise, coordinates rounded to `precision`.
/// One feature per line, so that outputs diff well.
///
/// ```
/// use delimit::io::geojson::{write_features, GeoJsonOptions};
/// let f = delimit::layer::Feature {
///     id: "a".into(), index: 0, properties: Default::default(),
///     // Clockwise on purpose: the writer turns it.
///     geometry: Some(geo::wkt!(POLYGON((0. 0., 0. 1., 1. 1., 1. 0., 0. 0.))).into()),
/// };
/// let mut out = Vec::new();
/// write_features(&mut out, std::slice::from_ref(&f), &GeoJsonOptions::default()).unwrap();
/// let s = String::from_utf8(out).unwrap();
/// assert!(s.contains(r#""coordinates":[[[0.0,0.0],[1.0,0.0],[1.0,1.0],[0.0,1.0],[0.0,0.0]]]"#), "{s}");
/// ```
pub fn write_features<W: Write + ?Sized>(
    w: &mut W,
    features: &[crate::layer::Feature],
    opts: &GeoJsonOptions,
) -> std::io::Result<()> {
    let scale = 10f64.powi(opts.precision as i32);
    w.write_all(b"{\"type\":\"FeatureCollection\",")?;
    if let Some(m) = &opts.metadata {
        w.write_all(b"\"metadata\":")?;
        serde_json::to_writer(&mut *w, m)?;
        w.write_all(b",")?;
    }
    w.write_all(b"\"features\":[\n")?;
    for (i, f) in features.iter().enumerate() {
        serde_json::to_writer(&mut *w, &feature_json(f, scale))?;
        w.write_all(if i + 1 < features.len() { b",\n" } else { b"\n" })?;
    }
    w.write_all(b"]}\n")
}

/// Features as a GeoJSON Text Sequence (RFC 8142): each feature is one
/// record, an RS character, the JSON text, a line feed. The metadata, if
/// any, goes nowhere: a sequence has no collection to carry it.
pub fn write_sequence<W: Write + ?Sized>(
    w: &mut W,
    features: &[crate::layer::Feature],
    opts: &GeoJsonOptions,
) -> std::io::Result<()> {
    let scale = 10f64.powi(opts.precision as i32);
    for f in features {
        w.write_all(b"\x1e")?;
        serde_json::to_writer(&mut *w, &feature_json(f, scale))?;
        w.write_all(b"\n")?;
    }
    Ok(())
}

fn feature_json(f: &crate::layer::Feature, scale: f64) -> geojson::Feature {
    let geometry = f.geometry.as_ref().map(|g| {
        let g = round(&orient(g), scale);
        geojson::Geometry::new(GeometryValue::from(&g))
    });
    geojson::Feature {
        bbox: None,
        geometry,
        id: Some(geojson::feature::Id::String(f.id.clone())),
        properties: Some(f.properties.clone()),
        foreign_members: None,
    }
}

fn orient(g: &Geometry<f64>) -> Geometry<f64> {
    match g {
        Geometry::Polygon(p) => Geometry::Polygon(p.orient(Direction::Default)),
        Geometry::MultiPolygon(p) => Geometry::MultiPolygon(p.orient(Direction::Default)),
        Geometry::GeometryCollection(c) => {
            Geometry::GeometryCollection(GeometryCollection(c.iter().map(orient).collect()))
        }
        other => other.clone(),
    }
}

fn round(g: &Geometry<f64>, scale: f64) -> Geometry<f64> {
    use geo::MapCoords;
    // Round half away from zero, then +0.0 so that -0.0 never appears.
    g.map_coords(|c| Coord { x: (c.x * scale).round() / scale + 0.0, y: (c.y * scale).round() / scale + 0.0 })
}
