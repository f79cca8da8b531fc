//! `readyctl compose config`: print the merged, interpolated model in the
//! canonical form `docker compose config` prints ([`crate::compose::canonical`]), so a
//! user sees exactly what readyctl checks, and `--services` / `--profiles`
//! like compose. Values of secret-looking variables are masked (with a note
//! on stderr) unless `--show-secrets` is given; URL credentials always are.

use crate::cli::{ComposeArgs, ComposeFormat};
use crate::cmd::out::{err, errln, out};
use crate::diag::{Diagnostic, Diagnostics};
use crate::exit;

/// Runs `readyctl compose config`; returns the exit code.
pub(crate) fn run(args: &ComposeArgs, ecolor: bool) -> u8 {
    let opts = crate::compose::LoadOptions {
        files: args.file.clone(),
        env_files: args.env_file.clone(),
        process_env: true,
        display_base: std::env::current_dir().ok(),
        profiles: args.profile.clone(),
        project_name: args.project_name.clone(),
        no_interpolate: args.no_interpolate,
        workdir: None,
    };
    let project = match crate::compose::load(&opts) {
        Ok(p) => p,
        Err(d) => {
            err!("{}", render(&d, ecolor));
            return exit::USAGE;
        }
    };
    if !project.model_errors.is_empty() {
        let mut d = Diagnostics::default();
        for (file, path) in &project.sources {
            if let Ok(text) = std::fs::read_to_string(path) {
                d.add_source(file.to_string(), text);
            }
        }
        for e in &project.model_errors {
            d.push(e.clone());
        }
        err!("{}", render(&d, ecolor));
        return exit::USAGE;
    }
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
        err!("{}", render(&d, ecolor));
        return exit::USAGE;
    }
    if args.services {
        let names: Vec<&str> = project.services().map(|(n, _)| n.as_str()).collect();
        out!(
            "{}",
            names.iter().map(|n| format!("{n}\n")).collect::<String>()
        );
        return exit::OK;
    }
    if args.profiles {
        out!(
            "{}",
            project
                .all_profiles
                .iter()
                .map(|n| format!("{n}\n"))
                .collect::<String>()
        );
        return exit::OK;
    }
    let json = crate::compose::canonical::model(
        &project,
        crate::compose::canonical::Canon {
            no_interpolate: args.no_interpolate,
        },
    );
    let out = match args.format {
        ComposeFormat::Json => serde_json::to_string_pretty(&json).unwrap_or_default() + "\n",
        ComposeFormat::Yaml => match serde_saphyr::to_string(&json) {
            Ok(s) => s,
            Err(e) => {
                errln!("error: cannot render the model as YAML: {e}");
                return exit::USAGE;
            }
        },
    };
    let out = if args.no_interpolate {
        out
    } else {
        crate::compose::canonical::escape_dollars(&out)
    };
    let out = if args.show_secrets {
        out
    } else {
        let secrets = secret_values(&project);
        let masked = crate::redact::Redactor::with_values(secrets).mask(&out);
        if masked != out {
            errln!(
                "readyctl: values of secret-looking variables are masked as {}; --show-secrets prints them",
                crate::redact::MASK
            );
        }
        masked
    };
    out!("{out}");
    // The process exits next: freeing the tree node by node was a quarter
    // of `compose config` on 200 services (31 M of 130 M instructions).
    std::mem::forget((project, json, out));
    exit::OK
}

/// Values of secret-looking `environment` and `build.args` entries, as
/// printed (with `$` escaped, since the output is matched after escaping).
fn secret_values(p: &crate::compose::Project) -> Vec<String> {
    let mut out = Vec::new();
    for (_, svc) in p.services() {
        let maps = [
            svc.get("environment"),
            svc.get("build").and_then(|b| b.get("args")),
        ];
        for m in maps
            .into_iter()
            .flatten()
            .filter_map(crate::compose::yaml::Node::as_map)
        {
            for (k, v) in m {
                // The whole value of a secret-looking name, and the DSN
                // password or query token inside any value.
                if let Some(t) = v.scalar_text() {
                    for s in crate::redact::secrets_of_var(k, &t) {
                        out.push(crate::compose::canonical::escape_dollars(&s));
                        out.push(s);
                    }
                }
            }
        }
    }
    out
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
