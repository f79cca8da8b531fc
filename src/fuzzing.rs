//! Entry points for the fuzz targets (`fuzz/`) and their regression tests
//! (`tests/it/fuzz_regressions.rs`): each takes arbitrary text and must
//! return, never panic or hang. They are the library's only public surface
//! besides [`crate::app::main`], so the parsers behind them stay
//! crate-private and their dead code warns.

use crate::catalogue::interp::{Lookup, expand};

/// The catalogue loader: diagnostics, never a panic.
pub fn catalogue(text: &str) {
    let _ = crate::catalogue::load_str("fuzz.yml", text);
}

/// `${VAR}` interpolation, with a lookup that knows every even-length name
/// (secret when it contains `S`) and defers `token`.
pub fn interpolate(text: &str) {
    struct Env;
    impl Lookup for Env {
        fn get(&self, name: &str) -> Option<(String, bool)> {
            name.len()
                .is_multiple_of(2)
                .then(|| (format!("v-{name}"), name.contains('S')))
        }
        fn deferred(&self, name: &str) -> bool {
            name == "token"
        }
    }
    let _ = expand(text, &Env);
}

/// `.env` parsing with line locations.
pub fn envfile(text: &str) {
    let _ = crate::domain::envfile::EnvFile::parse(text);
}

/// An Alembic revision file, alone and as the parent of another revision.
pub fn alembic(text: &str) {
    let _ = crate::domain::alembic::parse_file(text);
    let history = crate::domain::alembic::History::from_texts(vec![
        ("a.py".to_string(), text.to_string()),
        (
            "b.py".to_string(),
            format!("revision = 'b'\ndown_revision = {text:?}\n"),
        ),
    ]);
    let _ = history.heads();
    let _ = history.missing(&["b".to_string()]);
}

/// `redis.conf`: the file, each line's arguments, and a size value.
pub fn redisconf(text: &str) {
    let _ = crate::domain::redisconf::parse_str(text, "redis.conf");
    for line in text.lines() {
        let _ = crate::domain::redisconf::split_args(line);
    }
    let _ = crate::domain::units::redis_bytes(text);
}

/// Vault policy HCL.
pub fn policy(text: &str) {
    let _ = crate::domain::policy::Policy::parse(text);
}

/// PostgreSQL init SQL.
pub fn initsql(text: &str) {
    let _ = crate::domain::initsql::parse(text);
}
