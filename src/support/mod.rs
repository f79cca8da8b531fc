//! Shared support for kinds and the runner: one documented function per
//! meaning, so that every check reads files, talks to peers and runs
//! children within the same bounds (see `docs/limits.md`).
//!
//! - [`arena`]: a thread's malloc arena grown once, up front;
//! - [`fs`]: every file a check or the catalogue reads — regular files only
//!   unless asked otherwise, opened non-blocking, a byte limit, and (async)
//!   off the async workers within the check's time budget;
//! - [`net`]: why a connection failed, in plain words;
//! - [`offload`]: blocking work (a parser that reads files) on a dedicated
//!   thread, abandoned at a deadline, so a stuck call never holds a tokio
//!   worker and never delays the runner;
//! - [`par`]: CPU-bound work over one large input split across the cores;
//! - [`json`]: JSON from peers parsed within a value and depth budget;
//! - [`limit`]: byte limits enforced while reading (HTTP bodies, streams,
//!   rolling tails of process output);
//! - [`process`]: children in their own process group, killed as a group;
//! - [`display`]: outside text made safe to show (controls escaped, clipped);
//! - [`redirect`]: the redirect policy (secret headers dropped on an origin
//!   change, https → http refused unless allowed);
//! - [`regex`]: user patterns compiled once per process and shared;
//! - [`text`]: how a matched snippet is shown in a finding.
//!
//! Support never prints, never decides a check's status and never imports
//! kinds: kinds turn its typed errors into findings.

pub(crate) mod arena;
pub(crate) mod display;
pub(crate) mod fs;
pub(crate) mod json;
pub(crate) mod limit;
pub(crate) mod net;
pub(crate) mod offload;
pub(crate) mod par;
pub(crate) mod process;
pub(crate) mod redirect;
pub(crate) mod regex;
pub(crate) mod text;
