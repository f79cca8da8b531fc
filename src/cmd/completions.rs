//! `readyctl completions SHELL [--catalog PATH]`: the shell completion
//! script. Severities, formats and kind names come from the definitions; with
//! `--catalog`, the catalogue's check ids and tags are offered too (static
//! scripts cannot read a catalogue at completion time, so they are baked in).

use std::path::Path;

use clap::builder::PossibleValuesParser;

use crate::catalogue::{self, LoadOptions};
use crate::cli::Cli;
use crate::cmd::out::err;
use crate::exit;

/// Runs `readyctl completions`.
pub(crate) fn main(
    shell: clap_complete::Shell,
    catalog: Option<&Path>,
    root: &Path,
    ecolor: bool,
) -> u8 {
    let mut cmd = <Cli as clap::CommandFactory>::command();
    if let Some(path) = catalog {
        let cat = match catalogue::load(path, &LoadOptions::with_root(root)) {
            Ok(c) => c,
            Err(d) => {
                err!("{}", d.render(ecolor));
                return exit::USAGE;
            }
        };
        let ids: Vec<String> = cat.checks.iter().map(|c| c.id.to_string()).collect();
        let mut tags: Vec<String> = cat.checks.iter().flat_map(|c| c.tags.clone()).collect();
        tags.sort();
        tags.dedup();
        // clap takes `'static` names; this process prints the script and exits.
        let offer = |values: &[String]| {
            PossibleValuesParser::new(
                values
                    .iter()
                    .map(|v| &*Box::leak(v.clone().into_boxed_str()))
                    .collect::<Vec<&'static str>>(),
            )
        };
        for sub in ["check", "list", "serve"] {
            cmd = cmd.mut_subcommand(sub, |c| {
                c.mut_arg("only", |a| a.value_parser(offer(&ids)))
                    .mut_arg("skip", |a| a.value_parser(offer(&ids)))
                    .mut_arg("tag", |a| a.value_parser(offer(&tags)))
                    .mut_arg("skip_tag", |a| a.value_parser(offer(&tags)))
            });
        }
        let manual: Vec<String> = cat
            .checks
            .iter()
            .filter(|c| c.kind == "manual")
            .map(|c| c.id.to_string())
            .collect();
        cmd = cmd.mut_subcommand("attest", |c| {
            c.mut_arg("id", |a| a.value_parser(offer(&manual)))
        });
    }
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut cmd, "readyctl", &mut script);
    crate::cmd::out::stdout_bytes(&script);
    exit::OK
}
