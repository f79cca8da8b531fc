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
use crate::cmd::progress::Progress;
use crate::diag::{Diagnostic, Diagnostics};
use crate::exit;
use crate::kinds;
use crate::redact::Redactor;
use crate::report::render::{
    FileFormat, FileOptions, ReportFile, github, json, render_file, table,
};
use crate::report::{BaselineMark, Report, Status, baseline, waivers};
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
        Command::Diff(args) => diff(&args),
        Command::Schema => {
            print!("{}", crate::cmd::schema::render());
            exit::OK
        }
        Command::Completions { shell } => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(shell, &mut cmd, "readyctl", &mut std::io::stdout());
            exit::OK
        }
        Command::Man => {
            let cmd = <Cli as clap::CommandFactory>::command();
            match clap_mangen::Man::new(cmd).render(&mut std::io::stdout()) {
                Ok(()) => exit::OK,
                Err(e) => {
                    eprintln!("error: cannot write the man page: {e}");
                    exit::USAGE
                }
            }
        }
        Command::Serve(args) => crate::cmd::serve::main(&args, ecolor),
        Command::Init(args) => crate::cmd::init::main(&args),
        Command::Compose(args) => crate::compose::cli::run(&args, ecolor),
        Command::Settings(args) => crate::cmd::settings::main(&args, ecolor),
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
    let mut selected = matching(cat, filter)?;
    pull_in_dependencies(cat, &mut selected);
    Ok(selected)
}

/// Which checks a filter selects, without their dependencies (for `list`).
pub fn matching(cat: &Catalogue, filter: &FilterArgs) -> Result<Vec<bool>, Diagnostics> {
    let mut diags = Diagnostics::default();
    let only = globs(&filter.only, &mut diags);
    let skip = globs(&filter.skip, &mut diags);
    if !diags.is_empty() {
        return Err(diags);
    }
    Ok(cat
        .checks
        .iter()
        .map(|c| {
            let wanted = filter.only.is_empty() || only.is_match(&c.id);
            let dropped = !filter.skip.is_empty() && skip.is_match(&c.id);
            let tagged = filter.tag.is_empty() || c.tags.iter().any(|t| filter.tag.contains(t));
            let untagged = c.tags.iter().any(|t| filter.skip_tag.contains(t));
            wanted && !dropped && tagged && !untagged
        })
        .collect())
}

fn pull_in_dependencies(cat: &Catalogue, selected: &mut [bool]) {
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
    // Everything a user wrote is validated before anything runs.
    let waivers = match load_waivers(args.waivers.as_deref(), &args.catalogue.root, &cat, ecolor) {
        Ok(w) => w,
        Err(code) => return code,
    };
    let baseline = match &args.baseline {
        None => None,
        Some(p) => match baseline::read(p) {
            Ok(b) => Some(b),
            Err(e) => {
                eprintln!(
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
            eprintln!("error: cannot start the async runtime: {e}");
            return exit::USAGE;
        }
    };
    let settle = |r: &Report| -> Report {
        let mut r = r.clone();
        if let Some((w, today)) = &waivers {
            waivers::apply(&mut r, w, *today);
        }
        if let Some(b) = &baseline {
            baseline::apply(&mut r, b);
        }
        r
    };
    let concurrency = cap_concurrency(args.concurrency, open_file_limit());
    if let Some(note) = &concurrency.note {
        eprintln!("{note}");
    }
    let plan = RunPlan {
        concurrency: concurrency.value,
        deadline: args.deadline,
        selected,
        wait: args.wait,
        interval: args.interval,
        progress: !args.quiet && std::io::stderr().is_terminal(),
        chatty: !args.quiet,
    };
    let (raw, interrupted) = rt.block_on(async {
        let (tx, rx) = tokio::sync::watch::channel(false);
        tokio::spawn(async move {
            wait_for_signal().await;
            let _ = tx.send(true);
        });
        run_until_ready(&cat, &plan, redactor.clone(), rx, |r| {
            exit_code(&settle(r), args.fail_on, None) == exit::OK
        })
        .await
    });
    // Kill stragglers (hung connections, child processes) instead of waiting for them.
    rt.shutdown_timeout(std::time::Duration::from_millis(100));
    let mut report = settle(&raw);
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
    };
    for f in &files {
        if let Err(e) = std::fs::write(&f.path, render_file(&report, f.format, &fopts)) {
            eprintln!(
                "error: cannot write the {} report to {}: {e}",
                f.format.name(),
                f.path.display()
            );
            code = code.max(exit::USAGE);
        }
    }
    let out = match args.format {
        Format::Json => json::render(&report),
        Format::Github => github::render(&report),
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

/// Loads the waiver file (`--waivers`, else `readyctl-waivers.yml` under the
/// root when present) and today's date. Problems print and give exit 2.
pub fn load_waivers(
    explicit: Option<&Path>,
    root: &Path,
    cat: &Catalogue,
    ecolor: bool,
) -> Result<Option<(Vec<waivers::Waiver>, jiff::civil::Date)>, u8> {
    let path = match explicit {
        Some(p) => p.to_path_buf(),
        None => {
            let p = root.join(waivers::DEFAULT_FILE);
            if !p.exists() {
                return Ok(None);
            }
            p
        }
    };
    let ids: Vec<&str> = cat.checks.iter().map(|c| c.id.as_str()).collect();
    let list = waivers::load(&path, &ids, explicit.is_some()).map_err(|d| {
        eprint!("{}", d.render(ecolor));
        exit::USAGE
    })?;
    for w in list.iter().filter(|w| !ids.contains(&w.check.as_str())) {
        eprintln!(
            "warning: {}: waiver for `{}` ignored: this catalogue has no such check",
            path.display(),
            w.check
        );
    }
    let today = waivers::today().map_err(|e| {
        eprintln!("error: {e}");
        exit::USAGE
    })?;
    Ok(Some((list, today)))
}

/// How `check` (and `serve`) run the catalogue.
#[derive(Debug, Clone)]
pub struct RunPlan {
    /// At most this many checks at once.
    pub concurrency: usize,
    /// Per-run deadline.
    pub deadline: Option<std::time::Duration>,
    /// Which checks (catalogue order).
    pub selected: Vec<bool>,
    /// `--wait`: keep rerunning failing checks this long.
    pub wait: Option<std::time::Duration>,
    /// Pause between reruns.
    pub interval: std::time::Duration,
    /// Draw the progress line on stderr.
    pub progress: bool,
    /// Say on stderr what is still failing between reruns.
    pub chatty: bool,
}

/// Runs the selected checks; under `--wait`, reruns those that did not pass
/// (and their skipped dependants) every `interval` until `ready` says the
/// merged report is good or the time is up. Passed checks are not rerun.
pub async fn run_until_ready(
    cat: &Catalogue,
    plan: &RunPlan,
    redactor: Arc<Redactor>,
    cancel: tokio::sync::watch::Receiver<bool>,
    ready: impl Fn(&Report) -> bool,
) -> (Report, Option<Interrupt>) {
    let t0 = std::time::Instant::now();
    let names: Vec<String> = cat.checks.iter().map(|c| c.id.clone()).collect();
    let mut mask = plan.selected.clone();
    let mut merged: Option<Report> = None;
    loop {
        let opts = RunOptions {
            concurrency: plan.concurrency,
            deadline: plan.deadline,
            selected: Some(mask.clone()),
        };
        let total = mask.iter().filter(|m| **m).count();
        let progress = Progress::start(names.clone(), total, plan.progress);
        let (r, interrupted) = runner::run(cat, &opts, redactor.clone(), cancel.clone(), |e| {
            progress.event(e)
        })
        .await;
        progress.finish();
        let report = match merged.take() {
            None => r,
            Some(mut m) => {
                merge(&mut m, r);
                m
            }
        };
        if interrupted.is_some() {
            return (finish(report, t0), interrupted);
        }
        let Some(wait) = plan.wait else {
            return (finish(report, t0), None);
        };
        if ready(&report) {
            return (finish(report, t0), None);
        }
        let left = wait.saturating_sub(t0.elapsed());
        if left.is_zero() {
            if plan.chatty {
                eprintln!(
                    "readyctl: --wait {} is up; reporting",
                    humantime::format_duration(wait)
                );
            }
            return (finish(report, t0), None);
        }
        let failing: Vec<&str> = report
            .checks
            .iter()
            .filter(|c| !matches!(c.status, Status::Pass | Status::Warn))
            .map(|c| c.id.as_str())
            .collect();
        let pause = plan.interval.min(left);
        if plan.chatty {
            eprintln!(
                "readyctl: waiting: {} not passing ({}); retrying in {} ({} left)",
                failing.len(),
                failing.join(", "),
                humantime::format_duration(round_ms(pause)),
                humantime::format_duration(std::time::Duration::from_secs(left.as_secs())),
            );
        }
        let mut c = cancel.clone();
        tokio::select! {
            _ = tokio::time::sleep(pause) => {}
            _ = c.wait_for(|v| *v) => {
                return (finish(report, t0), Some(Interrupt::Signal));
            }
        }
        mask = cat
            .checks
            .iter()
            .zip(&plan.selected)
            .map(|(c, sel)| *sel && failing.contains(&c.id.as_str()))
            .collect();
        merged = Some(report);
    }
}

fn round_ms(d: std::time::Duration) -> std::time::Duration {
    std::time::Duration::from_millis(d.as_millis() as u64)
}

/// Replaces results in `into` by those of a rerun, by id.
fn merge(into: &mut Report, rerun: Report) {
    for r in rerun.checks {
        if let Some(slot) = into.checks.iter_mut().find(|c| c.id == r.id) {
            *slot = r;
        }
    }
    into.interrupted |= rerun.interrupted;
    into.summary = crate::report::Summary::of(&into.checks);
}

fn finish(mut report: Report, t0: std::time::Instant) -> Report {
    report.duration_ms = (t0.elapsed().as_secs_f64() * 1_000_000.0).round() / 1000.0;
    report
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
    // Known failures (`--baseline`) are reported but do not gate; waived
    // ones already carry the status `waived`.
    let counts = |c: &&crate::report::CheckResult| c.baseline != Some(BaselineMark::Known);
    let failed = report
        .checks
        .iter()
        .filter(counts)
        .any(|c| c.status == Status::Fail && c.severity >= fail_on);
    let errored = report
        .checks
        .iter()
        .filter(counts)
        .any(|c| c.status == Status::Error);
    if failed {
        exit::CHECKS_FAILED
    } else if errored {
        exit::CHECK_ERRORS
    } else {
        exit::OK
    }
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn wait_for_signal() {
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
    let selected = match matching(&cat, &args.filter) {
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
        Format::Table | Format::Github => {
            let mut t = comfy_table::Table::new();
            // Plain aligned columns, one check per line: greppable, and titles never wrap.
            t.load_style(comfy_table::presets::NOTHING)
                .set_content_arrangement(comfy_table::ContentArrangement::Disabled)
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
            for line in t.lines() {
                println!("{}", line.trim_end());
            }
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

fn diff(args: &crate::cli::DiffArgs) -> u8 {
    let (old, new) = match (baseline::read(&args.old), baseline::read(&args.new)) {
        (Ok(o), Ok(n)) => (o, n),
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("error: {e}");
            return exit::USAGE;
        }
    };
    let d = baseline::diff(&old, &new);
    print!("{}", d.render());
    if d.worse.is_empty() {
        exit::OK
    } else {
        exit::CHECKS_FAILED
    }
}

/// File descriptors kept for readyctl itself (stdio, report files, the
/// runtime, DNS) before the rest is shared among concurrent checks.
const FD_RESERVE: u64 = 64;
/// Descriptors one check may hold at once (a socket, a TLS/DNS helper, a file).
const FD_PER_CHECK: u64 = 4;

/// The concurrency a run really uses, and the one-line notice when it was lowered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Concurrency {
    /// Checks at once.
    pub value: usize,
    /// Said on stderr when `--concurrency` was lowered.
    pub note: Option<String>,
}

/// Caps `requested` so that concurrent checks cannot exhaust the open-file
/// limit `limit` (`None`: unknown, no cap): at most
/// `(limit - FD_RESERVE) / FD_PER_CHECK`, and at least 1.
pub fn cap_concurrency(requested: usize, limit: Option<u64>) -> Concurrency {
    let requested = requested.max(1);
    let Some(limit) = limit else {
        return Concurrency {
            value: requested,
            note: None,
        };
    };
    let allowed = (limit.saturating_sub(FD_RESERVE) / FD_PER_CHECK).max(1);
    if requested as u64 <= allowed {
        return Concurrency {
            value: requested,
            note: None,
        };
    }
    let value = usize::try_from(allowed).unwrap_or(usize::MAX);
    Concurrency {
        value,
        note: Some(format!(
            "readyctl: --concurrency {requested} lowered to {value}: the open-file limit is {limit} (raise it with `ulimit -n`)"
        )),
    }
}

/// The soft open-file limit (RLIMIT_NOFILE), after raising it to the hard
/// limit when allowed; `None` when it cannot be read or is unlimited.
#[allow(
    unsafe_code,
    reason = "getrlimit/setrlimit have no safe wrapper in libc; both only touch a struct we own"
)]
pub fn open_file_limit() -> Option<u64> {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes into the struct we own; no other memory is touched.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } != 0 {
        return None;
    }
    if lim.rlim_cur < lim.rlim_max {
        let raised = libc::rlimit {
            rlim_cur: lim.rlim_max,
            rlim_max: lim.rlim_max,
        };
        // SAFETY: setrlimit only reads the struct; failure leaves the limit as it was.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } == 0 {
            lim.rlim_cur = lim.rlim_max;
        }
    }
    if lim.rlim_cur == libc::RLIM_INFINITY {
        return None;
    }
    Some(lim.rlim_cur)
}

#[cfg(test)]
mod concurrency_tests {
    use super::*;

    #[test]
    fn concurrency_is_capped_by_the_open_file_limit() {
        assert_eq!(cap_concurrency(64, Some(1024)).value, 64);
        assert_eq!(cap_concurrency(64, Some(1024)).note, None);
        let c = cap_concurrency(256, Some(256));
        assert_eq!(c.value, 48);
        let note = c.note.unwrap();
        assert!(note.contains("--concurrency 256 lowered to 48"), "{note}");
        assert!(!note.contains('\n'));
        assert_eq!(cap_concurrency(10, Some(3)).value, 1);
        assert_eq!(cap_concurrency(0, None).value, 1);
        assert_eq!(cap_concurrency(5000, None).value, 5000);
    }
}
