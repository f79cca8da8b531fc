//! readyctl: runs a declarative catalogue of production-readiness checks
//! against a deployment and its services.
//!
//! Layers, top first; each imports only its own layer and those below it
//! (`tests/it/architecture.rs` proves it on the source, with no cycles):
//! - `cli`, [`app`] and `cmd`: the command line, one file per command,
//!   the run session `check` and `serve` share (`cmd::session`), the OS
//!   (`cmd::os`) and the only writer to stdout/stderr (`cmd::out`);
//!   renderers ([`report::render`]) are used only here;
//! - `runner` runs checks concurrently and produces a [`report::Report`];
//! - [`catalogue`] loads and validates YAML into checks (with located diagnostics, [`diag`]);
//! - [`kinds`]: one file or folder per check kind and the registry; kinds
//!   share [`kinds::spec`], [`kinds::target`], [`kinds::project`] and
//!   [`kinds::http_client`], never each other;
//! - [`report`]: the report model, waivers and baselines, and `exit` codes;
//! - support: `support` (bounded files, processes, network reasons),
//!   `tls` (the one trust store), [`redact`], [`compose`], [`domain`]
//!   (file formats), [`diag`].
//!
//! Visibility: a module nothing outside the crate uses is `pub(crate)`, so
//! dead code in it warns. What stays `pub` serves `main.rs` ([`app`]), the
//! integration tests and `fuzz/` (the catalogue loader, the file-format
//! parsers, the kind registry and the Observatory table), or is named by the
//! docs of a public item.

// No `unwrap`, `expect` or `panic!` where user input or a service's answer
// can reach (tests may): clippy enforces it for non-test code.
#![cfg_attr(
    not(test),
    warn(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod app;
pub mod catalogue;
pub(crate) mod cli;
pub(crate) mod cmd;
pub mod compose;
pub mod diag;
pub mod domain;
pub(crate) mod exit;
pub mod kinds;
pub mod redact;
pub mod report;
pub(crate) mod runner;
pub(crate) mod support;
pub(crate) mod tls;
