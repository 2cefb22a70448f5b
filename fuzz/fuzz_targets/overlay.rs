//! The overlay on two polygons decoded from bytes: a legal unit and a
//! control polygon of up to 32 vertices each, within 0.1° of 45°E 40°N
//! (i16 pairs scaled to 3e-6°, about 30 cm, so rings touch, cross and
//! overlap often). `gaps` must return an error or pieces that conserve
//! both polygons, never panic.
#![no_main]
use delimit::layer::{Feature, Layer, Provenance, Role};
use geo::{Coord, LineString, Polygon};
use libfuzzer_sys::fuzz_target;

fn ring(bytes: &[u8]) -> Option<Polygon<f64>> {
    let pts: Vec<Coord<f64>> = bytes
        .chunks_exact(4)
        .take(32)
        .map(|c| {
            let (x, y) = (i16::from_le_bytes([c[0], c[1]]), i16::from_le_bytes([c[2], c[3]]));
            Coord { x: 45.0 + f64::from(x) * 3e-6, y: 40.0 + f64::from(y) * 3e-6 }
        })
        .collect();
    (pts.len() >= 3).then(|| Polygon::new(LineString::new(pts), vec![]))
}

fn layer(role: Role, key: &str, value: &str, p: Polygon<f64>) -> Layer {
    let mut f = Feature { id: value.into(), index: 0, geometry: Some(p.into()), properties: Default::default() };
    f.properties.insert(key.into(), value.into());
    Layer {
        name: "fuzz".into(),
        role: Some(role),
        features: vec![f],
        fields: vec![],
        provenance: Provenance {
            path: "fuzz".into(),
            layer: "fuzz".into(),
            sha256: String::new(),
            driver: String::new(),
            source_crs: "EPSG:4326".into(),
            crs_from: "fuzz".into(),
            operation: None,
        },
        notes: vec![],
    }
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 26 {
        return;
    }
    let half = (data[0] as usize % (data.len() - 1)).max(12);
    let (a, b) = data[1..].split_at(half.min(data.len() - 1));
    let (Some(pa), Some(pb)) = (ring(a), ring(b)) else { return };
    let legal = layer(Role::Legal, "owner", "A", pa);
    let control = layer(Role::Control, "controller", "B", pb);
    let opts = delimit::overlay::GapsOptions { repair: data[0] & 1 == 1, ..Default::default() };
    if let Ok(r) = delimit::overlay::gaps(&legal, &control, None, &opts) {
        for c in &r.conservation {
            assert!(c.planar_rel <= delimit::overlay::PLANAR_TOLERANCE, "planar conservation {c:?}");
        }
    }
});
