//! `readyctl explain KIND` and `readyctl kinds`: the kinds' own docs.

use crate::cmd::out::{errln, out, outln};
use crate::exit;
use crate::kinds;

/// Runs `readyctl explain KIND`.
pub fn main(kind: &str) -> u8 {
    match kinds::lookup(kind) {
        Some(k) => {
            out!("{}", k.docs);
            exit::OK
        }
        None => {
            let names: Vec<&str> = kinds::REGISTRY.iter().map(|k| k.name).collect();
            let hint = crate::diag::did_you_mean(kind, names.iter().copied())
                .map(|s| format!("did you mean `{s}`?"))
                .unwrap_or_else(|| format!("known kinds: {}", names.join(", ")));
            errln!("error: unknown check kind `{kind}`\n  = help: {hint}");
            exit::USAGE
        }
    }
}

/// Runs `readyctl kinds`.
pub fn print_kinds() {
    let width = kinds::REGISTRY
        .iter()
        .map(|k| k.name.len())
        .max()
        .unwrap_or(0);
    for k in kinds::REGISTRY {
        outln!("{:width$}  {}", k.name, k.summary);
    }
}
