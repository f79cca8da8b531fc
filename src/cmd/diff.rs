//! `readyctl diff OLD NEW`: what got worse between two JSON reports.

use crate::cmd::out::{errln, out};
use crate::exit;
use crate::report::baseline;

/// Runs `readyctl diff`; exit 1 when something got worse.
pub(crate) fn main(args: &crate::cli::DiffArgs) -> u8 {
    let (old, new) = match (baseline::read(&args.old), baseline::read(&args.new)) {
        (Ok(o), Ok(n)) => (o, n),
        (Err(e), _) | (_, Err(e)) => {
            errln!("error: {e}");
            return exit::USAGE;
        }
    };
    let d = baseline::diff(&old, &new);
    out!("{}", d.render());
    if d.worse.is_empty() {
        exit::OK
    } else {
        exit::CHECKS_FAILED
    }
}
