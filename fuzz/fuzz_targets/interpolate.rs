//! `${VAR}` interpolation on arbitrary text.
#![no_main]
use readyctl::catalogue::interp::{Lookup, expand};

struct Env;
impl Lookup for Env {
    fn get(&self, name: &str) -> Option<(String, bool)> {
        name.len().is_multiple_of(2).then(|| (format!("v-{name}"), name.contains('S')))
    }
    fn deferred(&self, name: &str) -> bool {
        name == "token"
    }
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = expand(text, &Env);
    }
});
