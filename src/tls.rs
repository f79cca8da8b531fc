//! TLS plumbing shared by every kind that speaks TLS (HTTP, PostgreSQL,
//! Redis, Vault, raw TLS). One crypto provider (aws-lc-rs) for the whole
//! process: rustls panics when two are compiled in and none is chosen.

use std::sync::Once;

static INSTALL: Once = Once::new();

/// Installs aws-lc-rs as rustls's process-wide provider. Idempotent; call it
/// before building any `rustls::ClientConfig` (kinds do, so unit tests work
/// without going through `main`).
pub fn install_provider() {
    INSTALL.call_once(|| {
        // Err means another provider was installed first; that one serves as well.
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    });
}
