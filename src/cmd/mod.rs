//! Commands beyond `check`/`validate`/`list`: the pieces [`crate::app`] wires
//! to the command line for the terminal progress view, `serve`, `init`,
//! `settings` and `schema`. Each file owns one command; none decides an exit code.

pub mod init;
pub mod progress;
pub mod schema;
pub mod serve;
pub mod settings;
