//! Exit codes. Published codes never change meaning.
//!
//! | code | meaning |
//! |---|---|
//! | 0 | no check failed at or above `--fail-on` |
//! | 1 | at least one check failed at or above `--fail-on` |
//! | 2 | usage error, or the catalogue (or a file it names) is invalid; nothing ran |
//! | 3 | nothing failed, but at least one check could not be evaluated (`error`) |
//! | 4 | the checks ran and none failed, but a report file (`--report-json`, `--report`) could not be written |
//! | 130 | interrupted (Ctrl-C, SIGTERM) or `--deadline` passed; the partial report was still written |

/// Every check passed (or failed below `--fail-on`).
pub(crate) const OK: u8 = 0;
/// A check failed.
pub(crate) const CHECKS_FAILED: u8 = 1;
/// Usage or catalogue error.
pub(crate) const USAGE: u8 = 2;
/// No failure, but some checks could not be evaluated.
pub(crate) const CHECK_ERRORS: u8 = 3;
/// A report file could not be written (only when no check failed: a
/// failure's 1, an error's 3 and an interruption's 130 win).
pub(crate) const REPORT_NOT_WRITTEN: u8 = 4;
/// Interrupted.
pub(crate) const INTERRUPTED: u8 = 130;
