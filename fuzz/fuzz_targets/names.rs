//! The village name matcher on arbitrary strings, against the embedded
//! settlements: a match, a list of candidates or suggestions, never a panic.
#![no_main]
use std::sync::OnceLock;

use delimit::village::names::{NameIndex, fold, fold_keys};
use libfuzzer_sys::fuzz_target;

fn index() -> &'static NameIndex {
    static INDEX: OnceLock<NameIndex> = OnceLock::new();
    INDEX.get_or_init(|| {
        let layer = delimit::sample::load("settlements.geojson", &Default::default()).expect("embedded");
        NameIndex::new(&layer, "name", "alternatenames")
    })
}

fuzz_target!(|data: &[u8]| {
    if let Ok(q) = std::str::from_utf8(data) {
        let _ = fold(q);
        let _ = fold_keys(q);
        let _ = index().lookup(q);
    }
});
