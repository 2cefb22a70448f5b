//! The GeoJSON loader on arbitrary bytes: an error or a layer, never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let opts = delimit::io::ReadOptions::default();
    if let Ok(layer) = delimit::io::read_geojson_bytes("fuzz.geojson".as_ref(), data, &opts) {
        // What loads must be usable: counting vertices and the extent walk every geometry.
        let _ = layer.vertex_count();
        let _ = layer.bbox();
    }
});
