//! `readyctl validate`: load the catalogue and say whether it is valid.

use crate::cli::CatalogueArgs;
use crate::cmd::out::outln;
use crate::cmd::session::load_or_report;
use crate::exit;

/// Runs `readyctl validate`.
pub(crate) fn main(args: &CatalogueArgs, ecolor: bool) -> u8 {
    match load_or_report(args, ecolor) {
        Ok(c) => {
            outln!(
                "{}: {} checks, {} targets: valid",
                c.path.display(),
                c.checks.len(),
                c.targets.len()
            );
            exit::OK
        }
        Err(code) => code,
    }
}
