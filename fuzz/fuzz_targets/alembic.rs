//! Alembic revision files on arbitrary text.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = readyctl::domain::alembic::parse_file(text);
        let history = readyctl::domain::alembic::History::from_texts(vec![
            ("a.py".to_string(), text.to_string()),
            ("b.py".to_string(), format!("revision = 'b'\ndown_revision = {text:?}\n")),
        ]);
        let _ = history.heads();
        let _ = history.missing(&["b".to_string()]);
    }
});
