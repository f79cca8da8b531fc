//! `readyctl compose config`: print the merged, interpolated model, like
//! `docker compose config`, so a user sees exactly what readyctl checks.
//!
//! Differences from docker compose's output, on purpose: paths stay as
//! written (compose makes them absolute), ports and volumes stay in the
//! syntax used, and no `name:`/default network is added.

use crate::cli::{ComposeArgs, ComposeFormat};
use crate::diag::{Diagnostic, Diagnostics};
use crate::exit;

/// Runs `readyctl compose config`; returns the exit code.
pub fn run(args: &ComposeArgs, ecolor: bool) -> u8 {
    let opts = super::LoadOptions {
        files: args.file.clone(),
        env_files: args.env_file.clone(),
        process_env: true,
        display_base: std::env::current_dir().ok(),
    };
    let project = match super::load(&opts) {
        Ok(p) => p,
        Err(d) => {
            eprint!("{}", render(&d, ecolor));
            return exit::USAGE;
        }
    };
    if !project.interp_errors.is_empty() {
        // Compose refuses to print a model it could not interpolate.
        let mut d = Diagnostics::default();
        for (file, path) in &project.sources {
            if let Ok(text) = std::fs::read_to_string(path) {
                d.add_source(file.to_string(), text);
            }
        }
        for (loc, msg) in &project.interp_errors {
            d.push(
                Diagnostic::new("compose/interpolation", msg.clone())
                    .at(loc.to_diag())
                    .hint("set the variable in the env file or the environment, or give it a default with ${VAR:-default}; write $$ for a literal $"),
            );
        }
        eprint!("{}", render(&d, ecolor));
        return exit::USAGE;
    }
    let json = project.model.to_json();
    let out = match args.format {
        ComposeFormat::Json => serde_json::to_string_pretty(&json).unwrap_or_default() + "\n",
        ComposeFormat::Yaml => match serde_saphyr::to_string(&json) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("error: cannot render the model as YAML: {e}");
                return exit::USAGE;
            }
        },
    };
    print!("{out}");
    exit::OK
}

fn render(d: &Diagnostics, color: bool) -> String {
    // The shared renderer closes with "nothing was run", which fits catalogues;
    // here say what did not happen instead.
    let text = d.render(color);
    let n = d.items.len();
    let tail = format!(
        "error: {n} problem{} found; nothing was run\n",
        if n == 1 { "" } else { "s" }
    );
    match text.strip_suffix(&tail) {
        Some(body) => format!(
            "{body}error: {n} problem{} in the compose files; no model printed\n",
            if n == 1 { "" } else { "s" }
        ),
        None => text,
    }
}
