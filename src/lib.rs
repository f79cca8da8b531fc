//! readyctl: runs a declarative catalogue of production-readiness checks
//! against a deployment and its services.
//!
//! Layers, top first; each imports only its own layer and those below it
//! (`tests/it/architecture.rs` proves it on the source, with no cycles):
//! - `cli`, [`app`] and `cmd`: the command line, one file per command,
//!   the run session `check` and `serve` share (`cmd::session`), the OS
//!   (`cmd::os`) and the only writer to stdout/stderr (`cmd::out`);
//!   renderers (`report::render`) are used only here;
//! - `runner` runs checks concurrently and produces a `report::Report`;
//! - `catalogue` loads and validates YAML into checks (with located diagnostics, `diag`);
//! - `kinds`: one file or folder per check kind and the registry; kinds
//!   share `kinds::spec`, `kinds::target`, `kinds::project` and
//!   `kinds::http_client`, never each other;
//! - `report`: the report model, waivers and baselines, and `exit` codes;
//! - support: `support` (bounded files, processes, network reasons),
//!   `tls` (the one trust store), `redact`, `compose`, `domain`
//!   (file formats), `diag`.
//!
//! Visibility: the library's public surface is what `main.rs` ([`app`]),
//! the fuzz targets ([`fuzzing`]) and the integration tests
//! ([`kind_names`], [`observatory_table`]) call; everything else is
//! `pub(crate)`, so dead code warns. `cargo doc --document-private-items`
//! shows the whole crate.

// No `unwrap`, `expect` or `panic!` where user input or a service's answer
// can reach (tests may): clippy enforces it for non-test code.
#![cfg_attr(
    not(test),
    warn(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod app;
pub(crate) mod catalogue;
pub(crate) mod cli;
pub(crate) mod cmd;
pub(crate) mod compose;
pub(crate) mod diag;
pub(crate) mod domain;
pub(crate) mod exit;
pub mod fuzzing;
pub(crate) mod kinds;
pub(crate) mod redact;
pub(crate) mod report;
pub(crate) mod runner;
pub(crate) mod support;
pub(crate) mod tls;

/// The Observatory's scoring table, for the test that compares it with the
/// real Observatory (`tests/it/security_headers_diff.rs`).
pub use kinds::security_headers::table as observatory_table;

/// The registered check kinds' names, in registry order (for the test that
/// compares them with `readyctl schema`).
pub fn kind_names() -> Vec<&'static str> {
    kinds::REGISTRY.iter().map(|k| k.name).collect()
}
