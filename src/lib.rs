//! readyctl: runs a declarative catalogue of production-readiness checks
//! against a deployment and its services.
//!
//! Layers, each ignorant of the ones above it:
//! - [`catalogue`] loads and validates YAML into checks (with located diagnostics, [`diag`]);
//! - [`kinds`] holds one file per check kind and the registry;
//! - [`runner`] runs checks concurrently and produces a [`report::Report`];
//! - [`report::render`] turns a report into a table, JSON, …;
//! - [`app`] wires them to the command line ([`cli`]) and maps outcomes to [`exit`] codes.

// No `unwrap`, `expect` or `panic!` where user input or a service's answer
// can reach (tests may): clippy enforces it for non-test code.
#![cfg_attr(
    not(test),
    warn(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod app;
pub mod catalogue;
pub mod cli;
pub mod cmd;
pub mod compose;
pub mod diag;
pub mod domain;
pub mod exit;
pub mod kinds;
pub mod redact;
pub mod report;
pub mod runner;
pub mod support;
pub mod tls;
