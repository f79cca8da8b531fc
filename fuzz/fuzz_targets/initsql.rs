//! PostgreSQL init SQL on arbitrary text.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        readyctl::fuzzing::initsql(text);
    }
});
