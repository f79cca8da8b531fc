//! The one integration-test binary: each module is one area, driving the
//! `readyctl` binary (see `common`) against fixtures, real services and
//! references. One binary links the crate once instead of once per area.

#![allow(
    clippy::disallowed_macros,
    reason = "tests say on stderr what they skip and measure"
)]

mod adoption;
mod architecture;
mod checklist;
mod checklist_live;
mod cli;
mod common;
mod compose;
mod compose_diff;
mod compose_rules;
mod docker;
mod dotmac_real;
mod formats;
mod fuzz_regressions;
mod hostile_bounds;
mod hostile_files;
mod hostile_input;
mod hostile_redirect;
mod hostile_render;
mod hostile_services;
mod http;
mod init;
mod load;
mod nginx_headers;
mod postgres;
mod redis;
mod safe_defaults;
mod secrets_everywhere;
mod security_headers;
mod security_headers_diff;
mod serve;
mod settings;
mod settings_values;
mod swarm;
mod tls;
mod tooling;
mod trust_store;
mod vault;
