//! A run's session, shared by `check`, `serve` and `--wait`: load the
//! catalogue, select checks, load waivers, run (rerunning under `--wait`),
//! then settle the report (waivers, baseline) and decide the exit code.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use globset::{Glob, GlobSet, GlobSetBuilder};

use crate::catalogue::{self, Catalogue, LoadOptions};
use crate::cli::{CatalogueArgs, FilterArgs};
use crate::cmd::out::{err, errln};
use crate::cmd::progress::Progress;
use crate::diag::{Diagnostic, Diagnostics};
use crate::exit;
use crate::redact::Redactor;
use crate::report::{BaselineMark, Report, Status, baseline, waivers};
use crate::runner::{self, Interrupt, RunOptions};

/// The catalogue path: `--catalog`, else `./checks/`, else `./readyctl.yml`.
pub(crate) fn catalogue_path(args: &CatalogueArgs) -> PathBuf {
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
pub(crate) fn load_or_report(args: &CatalogueArgs, ecolor: bool) -> Result<Catalogue, u8> {
    if !args.root.is_dir() {
        errln!(
            "error: --root {} is not a directory\n  = help: point --root at the deployment to check, e.g. --root fixtures/dotmac/broken",
            args.root.display()
        );
        return Err(exit::USAGE);
    }
    let path = catalogue_path(args);
    catalogue::load(&path, &LoadOptions::with_root(&args.root)).map_err(|d| {
        err!("{}", d.render(ecolor));
        exit::USAGE
    })
}

/// Which checks a filter selects, plus every check they depend on.
pub(crate) fn select(cat: &Catalogue, filter: &FilterArgs) -> Result<Vec<bool>, Diagnostics> {
    let mut selected = matching(cat, filter)?;
    pull_in_dependencies(cat, &mut selected);
    Ok(selected)
}

/// Which checks a filter selects, without their dependencies (for `list`).
pub(crate) fn matching(cat: &Catalogue, filter: &FilterArgs) -> Result<Vec<bool>, Diagnostics> {
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
            let wanted = filter.only.is_empty() || only.is_match(&*c.id);
            let dropped = !filter.skip.is_empty() && skip.is_match(&*c.id);
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
        .map(|(i, c)| (&*c.id, i))
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

/// Loads the waiver file (`--waivers`, else `readyctl-waivers.yml` under the
/// root when present) and today's date. Problems print and give exit 2.
pub(crate) fn load_waivers(
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
    let ids: Vec<&str> = cat.checks.iter().map(|c| &*c.id).collect();
    let list = waivers::load(&path, &ids, explicit.is_some()).map_err(|d| {
        err!("{}", d.render(ecolor));
        exit::USAGE
    })?;
    for w in list.iter().filter(|w| !ids.contains(&w.check.as_str())) {
        errln!(
            "warning: {}: waiver for `{}` ignored: this catalogue has no such check",
            path.display(),
            w.check
        );
    }
    let today = waivers::today().map_err(|e| {
        errln!("error: {e}");
        exit::USAGE
    })?;
    Ok(Some((list, today)))
}

/// How `check` (and `serve`) run the catalogue.
#[derive(Debug, Clone)]
pub(crate) struct RunPlan {
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
    /// Where checks run (see [`RunOptions::workers`]); `None`: the caller's runtime.
    pub workers: Option<tokio::runtime::Handle>,
}

/// Runs the selected checks; under `--wait`, reruns those that did not pass
/// (and their skipped dependants) every `interval` until `ready` says the
/// merged report is good or the time is up. Passed checks are not rerun.
pub(crate) async fn run_until_ready(
    cat: &Catalogue,
    plan: &RunPlan,
    redactor: Arc<Redactor>,
    cancel: tokio::sync::watch::Receiver<bool>,
    ready: impl Fn(&Report) -> bool,
) -> (Report, Option<Interrupt>) {
    let t0 = std::time::Instant::now();
    // The progress line's names and bookkeeping only when it is drawn: a
    // copy of 100,000 ids and a map update per event otherwise, for nothing.
    let names: Vec<String> = if plan.progress {
        cat.checks.iter().map(|c| c.id.to_string()).collect()
    } else {
        Vec::new()
    };
    let mut mask = plan.selected.clone();
    let mut merged: Option<Report> = None;
    loop {
        let opts = RunOptions {
            concurrency: plan.concurrency,
            deadline: plan.deadline,
            selected: Some(mask.clone()),
            workers: plan.workers.clone(),
            events: plan.progress,
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
                errln!(
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
            .map(|c| &*c.id)
            .collect();
        let pause = plan.interval.min(left);
        if plan.chatty {
            errln!(
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
            .map(|(c, sel)| *sel && failing.contains(&&*c.id))
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
pub(crate) fn exit_code(
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

/// Waivers and a baseline applied to every report of a run, and the
/// severity at which a failure gates: how `check` and `serve` settle a run
/// the same way.
pub(crate) struct Settle {
    /// Waivers and the date they are judged on.
    pub waivers: Option<(Vec<waivers::Waiver>, jiff::civil::Date)>,
    /// Known failures (`--baseline`).
    pub baseline: Option<baseline::Statuses>,
    /// Failures at or above this severity gate.
    pub fail_on: crate::report::Severity,
}

impl Settle {
    /// The report with waivers and the baseline applied. Takes the report:
    /// a copy of 100,000 results is 45 MiB more at the run's peak.
    pub(crate) fn apply(&self, mut r: Report) -> Report {
        if let Some((w, today)) = &self.waivers {
            waivers::apply(&mut r, w, *today);
        }
        if let Some(b) = &self.baseline {
            baseline::apply(&mut r, b);
        }
        r
    }

    /// Whether the settled report would exit 0.
    pub(crate) fn ready(&self, r: &Report) -> bool {
        exit_code(&self.apply(r.clone()), self.fail_on, None) == exit::OK
    }
}
