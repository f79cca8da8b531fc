//! The commands, one file each, which [`crate::app`] dispatches to; the run
//! [`session`] `check` and `serve` share; what readyctl asks of the
//! [`os`]; and [`out`], the only writer to the standard streams.

pub mod attest;
pub mod check;
pub mod completions;
pub mod compose;
pub mod diff;
pub mod explain;
pub mod init;
pub mod list;
pub mod man;
pub mod os;
pub mod out;
pub mod progress;
pub mod schema;
pub mod serve;
pub mod session;
pub mod settings;
pub mod validate;
