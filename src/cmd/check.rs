//! `readyctl check`: run the catalogue, print the table (or JSON, or GitHub
//! annotations), write the report files, and return the exit code.

use std::io::IsTerminal;
use std::sync::Arc;

use crate::cli::{CheckArgs, Format};
use crate::cmd::os::{cap_concurrency, open_file_limit, terminal_width, wait_for_signal};
use crate::cmd::out::{err, errln};
use crate::cmd::session::{
    RunPlan, Settle, exit_code, load_or_report, load_waivers, run_until_ready, select,
};
use crate::exit;
use crate::redact::Redactor;
use crate::report::baseline;
use crate::report::render::{
    FileFormat, FileOptions, ReportFile, github, json, render_file, table,
};
use crate::runner::Interrupt;

/// Runs `readyctl check`.
pub(crate) fn main(args: &CheckArgs, color: bool, ecolor: bool) -> u8 {
    // The second core idles while the catalogue loads on this thread: build
    // there the automata loading would otherwise build here (detached; the
    // process does not wait for it).
    let _ = std::thread::Builder::new()
        .name("readyctl-warm".into())
        .spawn(|| {
            crate::redact::warm();
            crate::catalogue::warm();
        });
    let cat = match load_or_report(&args.catalogue, ecolor) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let selected = match select(&cat, &args.filter) {
        Ok(s) => s,
        Err(d) => {
            err!("{}", d.render_plain());
            return exit::USAGE;
        }
    };
    if !selected.iter().any(|s| *s) {
        errln!(
            "error: no check matches --only/--skip/--tag\n  = help: `readyctl list` shows ids and tags"
        );
        return exit::USAGE;
    }
    // Everything a user wrote is validated before anything runs.
    if let Some(top) = &args.repo_root {
        let inside = match (
            std::fs::canonicalize(top),
            std::fs::canonicalize(&args.catalogue.root),
        ) {
            (Ok(t), Ok(r)) => r.starts_with(t),
            _ => false,
        };
        if !inside {
            errln!(
                "error: --repo-root {} is not a directory that contains --root {}\n  = help: pass the repository's top directory, e.g. --repo-root . --root deploy",
                top.display(),
                args.catalogue.root.display()
            );
            return exit::USAGE;
        }
    }
    let waivers = match load_waivers(args.waivers.as_deref(), &args.catalogue.root, &cat, ecolor) {
        Ok(w) => w,
        Err(code) => return code,
    };
    let baseline = match &args.baseline {
        None => None,
        Some(p) => match baseline::read(p) {
            Ok(b) => Some(b),
            Err(e) => {
                errln!(
                    "error: --baseline: {e}\n  = help: pass a JSON report written by `readyctl check --report-json`"
                );
                return exit::USAGE;
            }
        },
    };
    let redactor = Arc::new(Redactor::with_values(cat.secrets.iter().cloned()));
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            errln!("error: cannot start the async runtime: {e}");
            return exit::USAGE;
        }
    };
    let settle = Settle {
        waivers,
        baseline,
        fail_on: args.fail_on,
    };
    let concurrency = cap_concurrency(args.concurrency, open_file_limit());
    if let Some(note) = &concurrency.note {
        errln!("{note}");
    }
    let plan = RunPlan {
        concurrency: concurrency.value,
        deadline: args.deadline,
        selected,
        wait: args.wait,
        interval: args.interval,
        progress: !args.quiet && std::io::stderr().is_terminal(),
        chatty: !args.quiet,
        workers: Some(rt.handle().clone()),
    };
    // The runner, its deadline and the signal handlers run on this thread's
    // own runtime; checks run on `rt`. Checks stuck in blocking calls on
    // every worker of `rt` then cannot hold up the deadline or Ctrl-C.
    let control = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(c) => c,
        Err(e) => {
            errln!("error: cannot start the async runtime: {e}");
            return exit::USAGE;
        }
    };
    let (raw, interrupted) = control.block_on(async {
        let (tx, rx) = tokio::sync::watch::channel(false);
        tokio::spawn(async move {
            wait_for_signal().await;
            let _ = tx.send(true);
        });
        run_until_ready(&cat, &plan, redactor.clone(), rx, |r| settle.ready(r)).await
    });
    // Kill stragglers (hung connections, child process groups) instead of
    // waiting for them: a thread stuck in a blocking call is abandoned, and
    // the process exits without it.
    drop(control);
    crate::support::process::kill_all();
    rt.shutdown_background();
    // The catalogue is done with; its checks are memory the report needs.
    drop(cat);
    let mut report = settle.apply(raw);
    report.repository = Some(crate::report::Repository::locate(
        &args.catalogue.root,
        args.repo_root.as_deref(),
    ));
    report.redact(&redactor);

    let mut code = exit_code(&report, args.fail_on, interrupted);
    let mut files: Vec<ReportFile> = args.report.clone();
    if let Some(path) = &args.report_json {
        files.insert(
            0,
            ReportFile {
                format: FileFormat::Json,
                path: path.clone(),
            },
        );
    }
    let fopts = FileOptions {
        junit_group: args.junit_group,
        codes: Some(|code| crate::kinds::lookup_code(code).map(|(_, c)| c)),
    };
    for f in &files {
        // A report path in a directory that does not exist yet: make it.
        let written = match f.path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => std::fs::create_dir_all(dir),
            _ => Ok(()),
        }
        .and_then(|()| match f.format {
            // Written as it is made (see `json::write`).
            FileFormat::Json => {
                let mut w = std::io::BufWriter::new(std::fs::File::create(&f.path)?);
                json::write(&report, &mut w)?;
                std::io::Write::flush(&mut w)
            }
            _ => std::fs::write(&f.path, render_file(&report, f.format, &fopts)),
        });
        if let Err(e) = written {
            errln!(
                "error: cannot write the {} report to {}: {e}",
                f.format.name(),
                f.path.display()
            );
            // The checks ran: "nothing ran" (2) would be wrong, and a
            // failure's own code says more than this one.
            if code == exit::OK {
                code = exit::REPORT_NOT_WRITTEN;
            }
        }
    }
    let out = match args.format {
        Format::Json => {
            // Streamed to stdout in 64 KiB pieces (see `json::write`); a
            // closed pipe ends it quietly, as `stdout_bytes` does.
            let mut w = std::io::BufWriter::with_capacity(64 * 1024, StdoutPieces);
            let _ = json::write(&report, &mut w).and_then(|()| std::io::Write::flush(&mut w));
            String::new()
        }
        Format::Github => github::render(
            &report,
            &files
                .iter()
                .map(|f| f.path.display().to_string())
                .collect::<Vec<_>>(),
        ),
        Format::Table => table::render(
            &report,
            table::TableOptions {
                color,
                width: terminal_width(),
                show_passed: !args.quiet,
                verbose: args.verbose,
                // The user named checks: show their sign-offs as rows.
                show_signoffs: !args.filter.only.is_empty(),
            },
        ),
    };
    if !out.is_empty() {
        crate::cmd::out::stdout_bytes(out.as_bytes());
    }
    if let Some(why) = interrupted {
        let what = match why {
            Interrupt::Signal => "interrupted",
            Interrupt::Deadline => "deadline reached",
        };
        errln!("readyctl: {what}; unfinished checks are marked cancelled");
    }
    // The process exits next: freeing the report and the redactor piece by
    // piece is work for nobody (the redactor of a 100,000-line `.env` holds
    // ~120,000 masking forms: 18.5 M instructions, after the output).
    std::mem::forget(report);
    std::mem::forget(redactor);
    code
}

/// Stdout for a `BufWriter`: each piece goes through
/// [`crate::cmd::out::stdout_bytes`], which stops quietly on a closed pipe.
struct StdoutPieces;

impl std::io::Write for StdoutPieces {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        crate::cmd::out::stdout_bytes(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
