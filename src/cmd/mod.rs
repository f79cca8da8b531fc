//! The commands, one file each, which [`crate::app`] dispatches to; the run
//! [`session`] `check` and `serve` share; what readyctl asks of the
//! [`os`]; and [`out`], the only writer to the standard streams.

pub(crate) mod attest;
pub(crate) mod check;
pub(crate) mod completions;
pub(crate) mod compose;
pub(crate) mod diff;
pub(crate) mod explain;
pub(crate) mod init;
pub(crate) mod list;
pub(crate) mod man;
pub(crate) mod os;
pub(crate) mod out;
pub(crate) mod progress;
pub(crate) mod schema;
pub(crate) mod serve;
pub(crate) mod session;
pub(crate) mod settings;
pub(crate) mod validate;
