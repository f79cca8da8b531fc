//! Wiring: command line → catalogue → runner → renderers → exit code.
//!
//! The only place that prints or decides the exit code. Errors from the
//! layers below arrive as data ([`Diagnostics`], [`Report`]) and leave as
//! text on stderr/stdout plus a code from [`crate::exit`].

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::Parser;
use globset::{Glob, GlobSet, GlobSetBuilder};

use crate::catalogue::{self, Catalogue, LoadOptions};
use crate::cli::{
    CatalogueArgs, CheckArgs, Cli, ColorChoice, Command, FilterArgs, Format, ListArgs,
};
use crate::diag::{Diagnostic, Diagnostics};
use crate::exit;
use crate::kinds;
use crate::redact::Redactor;
use crate::report::render::{json, table};
use crate::report::{Report, Status};
use crate::runner::{self, Interrupt, RunOptions};

/// Runs the command line and returns the exit code.
pub fn main() -> u8 {
    crate::tls::install_provider();
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                exit::USAGE
            } else {
                exit::OK
            };
        }
    };
    let color = use_color(cli.color, std::io::stdout().is_terminal());
    let ecolor = use_color(cli.color, std::io::stderr().is_terminal());
    match cli.command {
        Command::Check(args) => check(&args, color, ecolor),
        Command::Validate(args) => validate(&args, ecolor),
        Command::List(args) => list(&args, ecolor),
        Command::Explain { kind } => explain(&kind),
        Command::Kinds => {
            print_kinds();
            exit::OK
        }
        Command::Compose(args) => crate::compose::cli::run(&args, ecolor),
    }
}

/// Colour decision: `always`/`never` win; `auto` means a TTY and no `NO_COLOR`.
pub fn use_color(choice: ColorChoice, is_tty: bool) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => is_tty && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
    }
}

/// The catalogue path: `--catalog`, else `./checks/`, else `./readyctl.yml`.
pub fn catalogue_path(args: &CatalogueArgs) -> PathBuf {
    if let Some(p) = &args.catalog {
        return p.clone();
    }
    for candidate in ["checks", "readyctl.yml", "readyctl.yaml"] {
        if Path::new(candidate).exists() {
            return PathBuf::from(candidate);
        }
    }
    PathBuf::from("checks")
}

/// Loads the catalogue or prints its diagnostics (exit 2).
pub fn load_or_report(args: &CatalogueArgs, ecolor: bool) -> Result<Catalogue, u8> {
    if !args.root.is_dir() {
        eprintln!(
            "error: --root {} is not a directory\n  = help: point --root at the deployment to check, e.g. --root fixtures/dotmac/broken",
            args.root.display()
        );
        return Err(exit::USAGE);
    }
    let path = catalogue_path(args);
    catalogue::load(&path, &LoadOptions::with_root(&args.root)).map_err(|d| {
        eprint!("{}", d.render(ecolor));
        exit::USAGE
    })
}

fn validate(args: &CatalogueArgs, ecolor: bool) -> u8 {
    match load_or_report(args, ecolor) {
        Ok(c) => {
            println!(
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

/// Which checks a filter selects, plus every check they depend on.
pub fn select(cat: &Catalogue, filter: &FilterArgs) -> Result<Vec<bool>, Diagnostics> {
    let mut diags = Diagnostics::default();
    let only = globs(&filter.only, &mut diags);
    let skip = globs(&filter.skip, &mut diags);
    if !diags.is_empty() {
        return Err(diags);
    }
    let mut selected: Vec<bool> = cat
        .checks
        .iter()
        .map(|c| {
            let wanted = filter.only.is_empty() || only.is_match(&c.id);
            let dropped = !filter.skip.is_empty() && skip.is_match(&c.id);
            let tagged = filter.tag.is_empty() || c.tags.iter().any(|t| filter.tag.contains(t));
            wanted && !dropped && tagged
        })
        .collect();
    // A selected check needs its dependencies to mean anything: pull them in.
    let index: std::collections::HashMap<&str, usize> = cat
        .checks
        .iter()
        .enumerate()
        .map(|(i, c)| (c.id.as_str(), i))
        .collect();
    let mut stack: Vec<usize> = (0..selected.len()).filter(|&i| selected[i]).collect();
    while let Some(i) = stack.pop() {
        for d in &cat.checks[i].depends_on {
            if let Some(&j) = index.get(d.as_str())
                && !selected[j]
            {
                selected[j] = true;
                stack.push(j);
            }
        }
    }
    Ok(selected)
}

fn globs(patterns: &[String], diags: &mut Diagnostics) -> GlobSet {
    let mut b = GlobSetBuilder::new();
    for p in patterns {
        match Glob::new(p) {
            Ok(g) => {
                b.add(g);
            }
            Err(e) => diags.push(Diagnostic::new(
                "catalogue/shape",
                format!("invalid glob `{p}`: {e}"),
            )),
        }
    }
    b.build().unwrap_or_else(|_| GlobSet::empty())
}

fn check(args: &CheckArgs, color: bool, ecolor: bool) -> u8 {
    let cat = match load_or_report(&args.catalogue, ecolor) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let selected = match select(&cat, &args.filter) {
        Ok(s) => s,
        Err(d) => {
            eprint!("{}", d.render_plain());
            return exit::USAGE;
        }
    };
    if !selected.iter().any(|s| *s) {
        eprintln!(
            "error: no check matches --only/--skip/--tag\n  = help: `readyctl list` shows ids and tags"
        );
        return exit::USAGE;
    }
    let redactor = Arc::new(Redactor::with_values(cat.secrets.iter().cloned()));
    let opts = RunOptions {
        concurrency: args.concurrency.max(1),
        deadline: args.deadline,
        selected: Some(selected),
    };
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return exit::USAGE;
        }
    };
    let (mut report, interrupted) = rt.block_on(async {
        let (tx, rx) = tokio::sync::watch::channel(false);
        tokio::spawn(async move {
            wait_for_signal().await;
            let _ = tx.send(true);
        });
        runner::run(&cat, &opts, redactor.clone(), rx, |_| {}).await
    });
    // Kill stragglers (hung connections, child processes) instead of waiting for them.
    rt.shutdown_timeout(std::time::Duration::from_millis(100));
    report.redact(&redactor);

    let mut code = exit_code(&report, args.fail_on, interrupted);
    if let Some(path) = &args.report_json
        && let Err(e) = std::fs::write(path, json::render(&report))
    {
        eprintln!(
            "error: cannot write the JSON report to {}: {e}",
            path.display()
        );
        code = code.max(exit::USAGE);
    }
    let out = match args.format {
        Format::Json => json::render(&report),
        Format::Table => table::render(
            &report,
            table::TableOptions {
                color,
                width: terminal_width(),
                show_passed: !args.quiet,
            },
        ),
    };
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(out.as_bytes());
    let _ = stdout.flush();
    if let Some(why) = interrupted {
        let what = match why {
            Interrupt::Signal => "interrupted",
            Interrupt::Deadline => "deadline reached",
        };
        eprintln!("readyctl: {what}; unfinished checks are marked cancelled");
    }
    code
}

/// The exit code for a finished run (see [`crate::exit`]).
pub fn exit_code(
    report: &Report,
    fail_on: crate::report::Severity,
    interrupted: Option<Interrupt>,
) -> u8 {
    if interrupted.is_some() {
        return exit::INTERRUPTED;
    }
    let failed = report
        .checks
        .iter()
        .any(|c| c.status == Status::Fail && c.severity >= fail_on);
    if failed {
        exit::CHECKS_FAILED
    } else if report.summary.error > 0 {
        exit::CHECK_ERRORS
    } else {
        exit::OK
    }
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

fn terminal_width() -> u16 {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .or_else(|| comfy_table::Table::new().width())
        .unwrap_or(120)
        .max(60)
}

fn list(args: &ListArgs, ecolor: bool) -> u8 {
    let cat = match load_or_report(&args.catalogue, ecolor) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let selected = match select(&cat, &args.filter) {
        Ok(s) => s,
        Err(d) => {
            eprint!("{}", d.render_plain());
            return exit::USAGE;
        }
    };
    let chosen: Vec<_> = cat
        .checks
        .iter()
        .zip(&selected)
        .filter(|(_, s)| **s)
        .map(|(c, _)| c)
        .collect();
    match args.format {
        Format::Json => {
            let rows: Vec<_> = chosen
                .iter()
                .map(|c| {
                    serde_json::json!({
                        "id": c.id, "kind": c.kind, "severity": c.severity, "tags": c.tags,
                        "title": c.title, "depends_on": c.depends_on,
                    })
                })
                .collect();
            println!(
                "{}",
                serde_json::to_string_pretty(&rows).unwrap_or_default()
            );
        }
        Format::Table => {
            let mut t = comfy_table::Table::new();
            t.load_style(comfy_table::presets::UTF8_HORIZONTAL_ONLY)
                .set_content_arrangement(comfy_table::ContentArrangement::Dynamic)
                .set_width(terminal_width())
                .force_no_tty()
                .set_header(vec!["ID", "KIND", "SEVERITY", "TAGS", "TITLE"]);
            for c in &chosen {
                t.add_row(vec![
                    c.id.clone(),
                    c.kind.to_string(),
                    c.severity.as_str().to_string(),
                    c.tags.join(", "),
                    c.title.clone(),
                ]);
            }
            println!("{t}");
            println!("{} checks", chosen.len());
        }
    }
    exit::OK
}

fn explain(kind: &str) -> u8 {
    match kinds::lookup(kind) {
        Some(k) => {
            print!("{}", k.docs);
            exit::OK
        }
        None => {
            let names: Vec<&str> = kinds::REGISTRY.iter().map(|k| k.name).collect();
            let hint = crate::diag::did_you_mean(kind, names.iter().copied())
                .map(|s| format!("did you mean `{s}`?"))
                .unwrap_or_else(|| format!("known kinds: {}", names.join(", ")));
            eprintln!("error: unknown check kind `{kind}`\n  = help: {hint}");
            exit::USAGE
        }
    }
}

fn print_kinds() {
    let width = kinds::REGISTRY
        .iter()
        .map(|k| k.name.len())
        .max()
        .unwrap_or(0);
    for k in kinds::REGISTRY {
        println!("{:width$}  {}", k.name, k.summary);
    }
}
