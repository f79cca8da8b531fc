//! redis.conf lines on arbitrary text.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = readyctl::domain::redisconf::parse_str(text, "redis.conf");
        for line in text.lines() {
            let _ = readyctl::domain::redisconf::split_args(line);
        }
        let _ = readyctl::domain::units::redis_bytes(text);
    }
});
