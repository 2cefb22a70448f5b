//! The overlay on two polygons decoded from bytes (`fuzz/decode.rs`): a
//! legal unit and a control polygon. `gaps` must return an error or pieces
//! that conserve both polygons, never panic.
#![no_main]
use delimit::layer::{Feature, Layer, Provenance, Role};
use geo::Polygon;
use libfuzzer_sys::fuzz_target;

#[path = "../decode.rs"]
mod decode;

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
    let Some((pa, pb)) = decode::two_rings(data) else { return };
    let legal = layer(Role::Legal, "owner", "A", pa);
    let control = layer(Role::Control, "controller", "B", pb);
    let opts = delimit::overlay::GapsOptions { repair: data[0] & 1 == 1, ..Default::default() };
    if let Ok(r) = delimit::overlay::gaps(&legal, &control, None, &opts) {
        for c in &r.conservation {
            assert!(c.planar_rel <= delimit::overlay::PLANAR_TOLERANCE, "planar conservation {c:?}");
        }
    }
});
