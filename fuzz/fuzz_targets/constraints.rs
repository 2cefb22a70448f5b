//! The constraints TOML parser on arbitrary text: an error naming the
//! line, or constraints, never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = delimit::corridor::Constraints::parse("fuzz.toml".as_ref(), text);
    }
});
