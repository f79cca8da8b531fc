//! The runner: every ready check at once, within bounds, in dependency order.
//!
//! Checks run as tokio tasks in a `JoinSet`, at most `concurrency` at a time
//! (a check is spawned when a slot frees), each under its own timeout, the
//! whole run under an optional deadline and a cancellation signal (Ctrl-C,
//! SIGTERM). `depends_on` forms a DAG: a check starts when all its
//! dependencies finished, and is skipped with the reason when one of them did
//! not pass. A panicking check becomes an
//! `error` result, never a crashed run. Results come back in catalogue order,
//! so output never depends on scheduling.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::catalogue::{Catalogue, CheckDef};
use crate::kinds::{Outcome, RunContext};
use crate::redact::Redactor;
use crate::report::{CheckResult, Report, Status, Summary, Tool};

/// How long after its timeout the runner stops a check that has not returned.
pub(crate) const BACKSTOP_GRACE: Duration = Duration::from_millis(500);

/// Default number of checks in flight at once: enough that a typical
/// catalogue runs in one wave (a run lasts about as long as its slowest
/// check), and within the common open-file limit of 1024 without lowering
/// (see `app::cap_concurrency`: four descriptors per check plus a reserve).
pub(crate) const DEFAULT_CONCURRENCY: usize = 200;

/// How to run a catalogue.
#[derive(Debug, Clone)]
pub(crate) struct RunOptions {
    /// At most this many checks in flight.
    pub concurrency: usize,
    /// Stop everything after this long; unfinished checks are `cancelled`.
    pub deadline: Option<Duration>,
    /// Run only checks for which this returns true; the rest are left out of the report.
    pub selected: Option<Vec<bool>>,
    /// The runtime checks run on, when it is not the one driving the runner.
    /// `check` drives the runner (its deadline, signals, bookkeeping) on a
    /// runtime of its own and runs checks here, so a check stuck in a
    /// blocking call — even one on every worker — cannot delay the deadline,
    /// the signal or the report.
    pub workers: Option<tokio::runtime::Handle>,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            concurrency: DEFAULT_CONCURRENCY,
            deadline: None,
            selected: None,
            workers: None,
        }
    }
}

/// Something that happened during a run, for progress displays.
#[derive(Debug, Clone)]
pub(crate) enum Event {
    /// A check started.
    Started {
        /// Index in the catalogue.
        index: usize,
    },
    /// A check finished (or was skipped).
    Finished {
        /// Index in the catalogue.
        index: usize,
    },
}

/// Why a run stopped early.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Interrupt {
    /// Ctrl-C or SIGTERM.
    Signal,
    /// `--deadline` passed.
    Deadline,
}

/// Runs `catalogue`; `cancel` flips to true to stop the run (signal handling
/// lives with the caller). `on_event` sees progress.
pub(crate) async fn run(
    catalogue: &Catalogue,
    opts: &RunOptions,
    redactor: Arc<Redactor>,
    mut cancel: watch::Receiver<bool>,
    mut on_event: impl FnMut(&Event),
) -> (Report, Option<Interrupt>) {
    let started = Instant::now();
    let started_at = jiff::Timestamp::now()
        .round(jiff::Unit::Second)
        .unwrap_or_else(|_| jiff::Timestamp::now());
    let checks = &catalogue.checks;
    let n = checks.len();
    let selected: Vec<bool> = opts.selected.clone().unwrap_or_else(|| vec![true; n]);
    let index: HashMap<&str, usize> = checks
        .iter()
        .enumerate()
        .map(|(i, c)| (c.id.as_str(), i))
        .collect();

    let mut results: Vec<Option<CheckResult>> = vec![None; n];
    let mut waiting_on: Vec<usize> = vec![0; n];
    let mut dependants: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (i, c) in checks.iter().enumerate() {
        if !selected[i] {
            continue;
        }
        for d in &c.depends_on {
            if let Some(&j) = index.get(d.as_str())
                && selected[j]
            {
                waiting_on[i] += 1;
                dependants[j].push(i);
            }
        }
    }

    let base_cx = RunContext {
        check_id: String::new(),
        root: catalogue.root.clone(),
        targets: Arc::new(catalogue.targets.clone()),
        captures: Arc::default(),
        timeout: crate::catalogue::DEFAULT_TIMEOUT,
        redactor: redactor.clone(),
        compose_projects: Arc::default(),
        memo: Arc::default(),
    };
    // At most `concurrency` tasks exist at once: a check is spawned when a
    // slot is free, not spawned early to wait on a semaphore. 100,000 ready
    // checks spawned at once held 100,000 parked tasks (their contexts and
    // futures) and woke each through the semaphore's queue.
    let limit = opts.concurrency.max(1);
    let mut tasks: JoinSet<(usize, Outcome, Duration)> = JoinSet::new();
    let mut task_index: HashMap<tokio::task::Id, usize> = HashMap::new();
    let mut ready: Vec<usize> = (0..n)
        .filter(|&i| selected[i] && waiting_on[i] == 0)
        .collect();
    ready.reverse();
    let mut remaining = selected.iter().filter(|s| **s).count();

    let deadline = opts.deadline.map(|d| tokio::time::Instant::now() + d);
    let deadline_sleep = async move {
        match deadline {
            Some(d) => tokio::time::sleep_until(d).await,
            None => std::future::pending::<()>().await,
        }
    };
    tokio::pin!(deadline_sleep);
    let mut interrupted = None;

    while remaining > 0 {
        while tasks.len() < limit {
            let Some(i) = ready.pop() else { break };
            let def = &checks[i];
            let check = def.check.clone();
            let mut cx = base_cx.clone();
            cx.timeout = def.timeout;
            cx.check_id = def.id.clone();
            let timeout = def.timeout;
            let job = async move {
                let t0 = Instant::now();
                // Kinds bound their own waits by `cx.timeout` and say what timed
                // out; the runner's backstop fires a little later so a busy
                // machine does not replace their plain reason with this one.
                let outcome =
                    match tokio::time::timeout(timeout + BACKSTOP_GRACE, check.run(&cx)).await {
                        Ok(o) => o,
                        Err(_) => Outcome::fail(format!(
                            "timed out after {} (no answer within the check's timeout)",
                            humantime::format_duration(timeout)
                        )),
                    };
                (i, outcome, t0.elapsed())
            };
            let handle = match &opts.workers {
                Some(rt) => tasks.spawn_on(job, rt),
                None => tasks.spawn(job),
            };
            task_index.insert(handle.id(), i);
            on_event(&Event::Started { index: i });
        }
        if tasks.is_empty() {
            break;
        }
        tokio::select! {
            joined = tasks.join_next_with_id() => {
                let Some(joined) = joined else { break };
                let (i, outcome, took) = match joined {
                    Ok((id, (i, o, took))) => {
                        task_index.remove(&id);
                        (i, o, took)
                    }
                    Err(e) => {
                        let i = task_index.remove(&e.id()).unwrap_or(0);
                        let msg = if e.is_panic() {
                            format!("the check crashed: {}", panic_message(e.into_panic()))
                        } else {
                            "the check was aborted".to_string()
                        };
                        (i, Outcome::error(msg), Duration::ZERO)
                    }
                };
                let status = outcome.status();
                if status == Status::Pass || status == Status::Warn {
                    if !outcome.captures.is_empty() {
                        let mut caps = base_cx.captures.write().unwrap_or_else(|e| e.into_inner());
                        for (k, v) in &outcome.captures {
                            redactor.add(v.clone());
                            caps.insert(k.clone(), v.clone());
                        }
                    }
                } else {
                    for (_, v) in &outcome.captures {
                        redactor.add(v.clone());
                    }
                }
                results[i] = Some(result_of(&checks[i], outcome, took));
                remaining -= 1;
                on_event(&Event::Finished { index: i });
                let passed = matches!(status, Status::Pass | Status::Warn);
                settle_dependants(i, passed, checks, &dependants, &mut waiting_on, &mut results, &mut ready, &mut remaining, &mut on_event);
            }
            _ = &mut deadline_sleep => {
                interrupted = Some(Interrupt::Deadline);
                break;
            }
            changed = cancel.changed() => {
                if changed.is_err() || *cancel.borrow() {
                    interrupted = Some(Interrupt::Signal);
                    break;
                }
            }
        }
    }
    tasks.abort_all();
    let reason = match interrupted {
        Some(Interrupt::Deadline) => format!(
            "cancelled: the run deadline ({}) passed before this check finished",
            humantime::format_duration(opts.deadline.unwrap_or_default())
        ),
        _ => "cancelled: the run was interrupted before this check finished".to_string(),
    };
    let mut out = Vec::with_capacity(n);
    for (i, r) in results.into_iter().enumerate() {
        if !selected[i] {
            continue;
        }
        out.push(r.unwrap_or_else(|| {
            let o = Outcome {
                status: Some(Status::Cancelled),
                message: reason.clone(),
                ..Outcome::default()
            };
            result_of(&checks[i], o, Duration::ZERO)
        }));
    }
    let report = Report {
        schema_version: crate::report::SCHEMA_VERSION,
        tool: Tool {
            name: "readyctl".into(),
            version: env!("CARGO_PKG_VERSION").into(),
        },
        catalogue: catalogue.path.display().to_string(),
        root: catalogue.root.display().to_string(),
        started_at: started_at.to_string(),
        duration_ms: ms(started.elapsed()),
        interrupted: interrupted.is_some(),
        summary: Summary::of(&out),
        checks: out,
        repository: None,
    };
    (report, interrupted)
}

#[allow(clippy::too_many_arguments)]
fn settle_dependants(
    done: usize,
    passed: bool,
    checks: &[CheckDef],
    dependants: &[Vec<usize>],
    waiting_on: &mut [usize],
    results: &mut [Option<CheckResult>],
    ready: &mut Vec<usize>,
    remaining: &mut usize,
    on_event: &mut impl FnMut(&Event),
) {
    // Worklist instead of recursion: long dependency chains must not overflow the stack.
    let mut work = vec![(done, passed)];
    while let Some((d, ok)) = work.pop() {
        for &dep in &dependants[d] {
            if results[dep].is_some() {
                continue;
            }
            if ok {
                waiting_on[dep] -= 1;
                if waiting_on[dep] == 0 {
                    ready.push(dep);
                }
            } else {
                let why = match results[d].as_ref().map(|r| r.status) {
                    Some(Status::Skip) => {
                        format!("skipped: dependency `{}` was skipped", checks[d].id)
                    }
                    Some(s) => format!(
                        "skipped: dependency `{}` did not pass ({})",
                        checks[d].id,
                        s.as_str()
                    ),
                    None => format!("skipped: dependency `{}` did not pass", checks[d].id),
                };
                let o = Outcome {
                    status: Some(Status::Skip),
                    message: why,
                    ..Outcome::default()
                };
                results[dep] = Some(result_of(&checks[dep], o, Duration::ZERO));
                *remaining -= 1;
                on_event(&Event::Finished { index: dep });
                work.push((dep, false));
            }
        }
    }
}

fn panic_message(p: Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = p.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic".to_string()
    }
}

fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 1000.0 * 1000.0).round() / 1000.0
}

fn result_of(def: &CheckDef, outcome: Outcome, took: Duration) -> CheckResult {
    let status = outcome.status();
    // The findings contract: a kind emits only the codes it declares. A
    // slip is a bug in readyctl, caught by every debug-build test run.
    if cfg!(debug_assertions)
        && let Some(kind) = crate::kinds::lookup(def.kind)
    {
        for f in &outcome.findings {
            if let Some(code) = &f.code {
                assert!(
                    kind.code(code).is_some(),
                    "kind `{}` emitted the undeclared finding code `{code}`",
                    def.kind
                );
            }
        }
        // ... and a check that passes carries no finding that fails it
        // (`Outcome::judged` is the rule; a kind may end worse than its
        // findings say — a refused connection fails with none — never better).
        let derived = crate::report::codes::status_of(&outcome.findings, kind.codes);
        assert!(
            !(status == Status::Pass && derived != Status::Pass),
            "kind `{}` passed a check whose findings make it `{derived:?}`",
            def.kind
        );
    }
    CheckResult {
        id: def.id.clone(),
        kind: def.kind.to_string(),
        title: def.title.clone(),
        severity: def.severity,
        tags: def.tags.clone(),
        status,
        duration_ms: ms(took),
        message: outcome.message,
        remediation: if matches!(status, Status::Fail | Status::Error | Status::Warn) {
            def.remediation.clone()
        } else {
            None
        },
        truncated: outcome
            .findings_total
            .filter(|t| *t > outcome.findings.len())
            .map(|total| crate::report::Truncation {
                shown: outcome.findings.len(),
                total,
            }),
        findings: outcome.findings,
        metrics: outcome.metrics,
        grading: outcome.grading,
        waiver: None,
        source: Some(crate::report::SourceLocation {
            file: def.location.file.clone(),
            line: def.location.line,
            column: def.location.column,
        }),
        baseline: None,
    }
}
