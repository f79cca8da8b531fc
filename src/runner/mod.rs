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
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::FutureExt as _;
use tokio::sync::{Notify, watch};
use tokio::task::JoinSet;

use crate::catalogue::{Catalogue, CheckDef};
use crate::kinds::DynCheck;
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

/// Workers a run starts with; it adds more (up to its concurrency) while
/// its checks wait rather than compute (see `run`). 200 workers for 100,000
/// `file` checks on two cores bought nothing but 200 blocking-pool threads
/// waking each other (1.4 s of system time); `--concurrency 32` beat 200 on
/// 1,000 fast HTTP checks.
const START_WORKERS: usize = 8;

/// How often a run judges whether to add workers (each time at most
/// fourfold: 8, 32, 128, 200 within ~6 ms for 200 slow checks).
const GROW_TICK: Duration = Duration::from_millis(2);

/// A check that finished this fast did not wait on a slow peer: more
/// workers would not have helped it. (1,000 nginx checks: 0.04–0.4 ms each
/// at 8 workers; 200 slow checks: nothing finishes within a tick.)
const FAST_CHECK: Duration = Duration::from_micros(500);

/// A growth step must raise the checks finished per tick at least this much
/// (×2/3 = 1.5) for the run to try the next one.
const GROWTH_PAYS: (usize, usize) = (3, 2);

/// What a run saw in one tick of [`GROW_TICK`].
#[derive(Debug, Clone, Copy)]
struct Tick {
    /// Workers running.
    active: usize,
    /// Checks running at the end of the tick.
    in_flight: usize,
    /// Checks that finished during the tick.
    finished: usize,
    /// The shortest of those (`Duration::MAX` when none finished).
    fastest: Duration,
    /// Ready checks are waiting for a worker.
    waiting: bool,
    /// The threads that run checks were busy less than half the tick.
    idle: bool,
}

/// The adaptive-concurrency rule: how many workers to add after a tick.
///
/// More workers help checks that wait on a peer, not checks that compete
/// for the CPU with it. Measured on 1,000 HTTP checks against nginx on two
/// cores: 200 workers opened 200 connections and took 20 ms a check (≈ 2.5×
/// the wall time of 8–32 workers at 0.3 ms a check), and the old rule got
/// there by itself — the first tick after each growth is slow because the
/// new workers open connections, which looked like "checks wait", which
/// grew the pool again. Hence: a tick right after a growth only settles (it
/// is not judged unless nothing at all finished in it), and a growth that did not raise the finishing rate by
/// [`GROWTH_PAYS`] ends growing for the run, and a tick in which some check
/// finished within [`FAST_CHECK`] does not grow. A tick in which nothing
/// finished (checks slower than the tick: 200 slow checks) grows.
#[derive(Debug, Default)]
struct Growth {
    /// The last tick was a growth step's first; do not judge the next one.
    settling: bool,
    /// Checks finished in the tick that decided the last growth step.
    rate_before: Option<usize>,
    /// A growth step was taken on idle threads with nothing finished: the
    /// checks wait on a peer. Until one finishes, busy threads in the next
    /// ticks are the new workers opening connections, not checks that
    /// compute, and do not hold growth back (200 slow checks: connections
    /// opened over ~20 ms instead of ~6).
    waits_on_peer: bool,
    /// A growth step did not pay: stay at this size.
    done: bool,
}

impl Growth {
    /// Workers to add (0: none), at most `most` in all.
    fn after(&mut self, t: Tick, most: usize) -> usize {
        if self.done || t.active >= most {
            return 0;
        }
        // Settling is for new connections that make checks look slow; a
        // tick in which nothing at all finished needs no second look.
        if std::mem::take(&mut self.settling) && t.finished > 0 {
            return 0;
        }
        let waits = t.waiting
            && t.in_flight >= t.active
            && (t.idle || self.waits_on_peer && t.finished == 0)
            && t.finished < t.active
            && t.fastest >= FAST_CHECK;
        if !waits {
            return 0;
        }
        if let Some(before) = self.rate_before
            && t.finished > 0
            && t.finished * GROWTH_PAYS.1 < before.max(1) * GROWTH_PAYS.0
        {
            self.done = true;
            return 0;
        }
        self.rate_before = Some(t.finished);
        self.settling = true;
        self.waits_on_peer = t.finished == 0 && (t.idle || self.waits_on_peer);
        (3 * t.active).min(most - t.active)
    }
}

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
    /// Hand `on_event` every check's start and end. Off, it is not called:
    /// the runner's thread then is not woken once per check.
    pub(crate) events: bool,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            concurrency: DEFAULT_CONCURRENCY,
            deadline: None,
            selected: None,
            workers: None,
            events: true,
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
        .map(|(i, c)| (&*c.id, i))
        .collect();

    let mut waiting_on: Vec<usize> = vec![0; n];
    // Empty until some check depends on another: 24 bytes a check (2.4 MB
    // at 100,000 `file` checks) for lists that are all empty otherwise.
    let mut dependants: Vec<Vec<usize>> = Vec::new();
    for (i, c) in checks.iter().enumerate() {
        if !selected[i] {
            continue;
        }
        for d in &c.depends_on {
            if let Some(&j) = index.get(d.as_str())
                && selected[j]
            {
                waiting_on[i] += 1;
                if dependants.is_empty() {
                    dependants.resize_with(n, Vec::new);
                }
                dependants[j].push(i);
            }
        }
    }
    drop(index);

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
    let mut ready: Vec<usize> = (0..n)
        .filter(|&i| selected[i] && waiting_on[i] == 0)
        .collect();
    ready.reverse();
    let remaining = selected.iter().filter(|s| **s).count();
    // What the workers share. `specs` are the parts of each check a worker
    // runs (the catalogue itself is borrowed, and tasks must own what they see).
    let shared = Arc::new(Shared {
        state: Mutex::new(State {
            ready,
            waiting_on,
            slots: (0..n).map(|_| Slot::Open).collect(),
            remaining,
            in_flight: 0,
            finished: 0,
            fastest: Duration::MAX,
            events: Vec::new(),
            closed: false,
        }),
        specs: checks
            .iter()
            .map(|c| Spec {
                check: c.check.clone(),
                id: c.id.clone(),
                timeout: c.timeout,
            })
            .collect(),
        dependants,
        wake: Notify::new(),
        done: Notify::new(),
        events: opts.events,
    });

    let deadline = opts.deadline.map(|d| tokio::time::Instant::now() + d);
    let deadline_sleep = async move {
        match deadline {
            Some(d) => tokio::time::sleep_until(d).await,
            None => std::future::pending::<()>().await,
        }
    };
    tokio::pin!(deadline_sleep);
    let mut interrupted = None;

    // `concurrency` workers (fewer when there are fewer checks), each taking
    // the next ready check, running it and settling its dependants itself:
    // the runner's own thread is woken when the run is over (or, with
    // progress events, for each event), not twice per check. One task per
    // check woke it for every spawn and every result: at 100,000 `file`
    // checks that hand-off, not the checks, set the pace.
    let mut workers: JoinSet<()> = JoinSet::new();
    if remaining > 0 {
        let most = opts.concurrency.max(1).min(remaining);
        let mut active = 0;
        let spawn = |count: usize, workers: &mut JoinSet<()>, grown: bool| {
            for _ in 0..count {
                let job = worker(shared.clone(), base_cx.clone());
                // Workers added because checks wait on peers: many
                // connections at once are about to grow the heap.
                let job = async move {
                    if grown {
                        crate::support::arena::reserve_once();
                    }
                    job.await
                };
                match &opts.workers {
                    Some(rt) => workers.spawn_on(job, rt),
                    None => workers.spawn(job),
                };
            }
        };
        let first = START_WORKERS.min(most);
        spawn(first, &mut workers, false);
        active += first;
        let mut grow = tokio::time::interval_at(tokio::time::Instant::now() + GROW_TICK, GROW_TICK);
        grow.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut finished_before = 0;
        let mut growth = Growth::default();
        // How busy the threads that run checks were: more workers help
        // checks that wait on peers, not checks that wait for the CPU.
        let metrics = opts
            .workers
            .clone()
            .unwrap_or_else(tokio::runtime::Handle::current)
            .metrics();
        let busy_total = || {
            (0..metrics.num_workers())
                .map(|w| metrics.worker_total_busy_duration(w))
                .sum::<Duration>()
        };
        let mut busy_before = (busy_total(), Instant::now());
        loop {
            tokio::select! {
                // Adaptive concurrency (see `Growth`): more workers while
                // checks wait on peers rather than on the CPU.
                _ = grow.tick(), if active < most && !growth.done => {
                    let (in_flight, finished, fastest, waiting) = {
                        let mut st = shared.lock();
                        let fastest = std::mem::replace(&mut st.fastest, Duration::MAX);
                        (st.in_flight, st.finished, fastest, !st.ready.is_empty())
                    };
                    let now = (busy_total(), Instant::now());
                    let cpu = now.0.saturating_sub(busy_before.0).as_secs_f64();
                    let wall = now.1.duration_since(busy_before.1).as_secs_f64()
                        * metrics.num_workers().max(1) as f64;
                    busy_before = now;
                    let tick = Tick {
                        active,
                        in_flight,
                        finished: finished - finished_before,
                        fastest,
                        waiting,
                        idle: cpu < 0.5 * wall,
                    };
                    finished_before = finished;
                    let more = growth.after(tick, most);
                    if more > 0 {
                        spawn(more, &mut workers, true);
                        active += more;
                    }
                }
                _ = shared.done.notified() => {
                    let (events, over) = {
                        let mut st = shared.lock();
                        let over = st.remaining == 0 || (st.ready.is_empty() && st.in_flight == 0);
                        (std::mem::take(&mut st.events), over)
                    };
                    for e in &events {
                        on_event(e);
                    }
                    if over {
                        break;
                    }
                }
                // Workers end when the run is over; all of them gone
                // before that (a bug, not a check: checks' panics are
                // caught) must not leave the run waiting forever.
                Some(_) = workers.join_next(), if !workers.is_empty() => {
                    if workers.is_empty() {
                        break;
                    }
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
    }
    // Whatever a worker finishes from now on is not recorded: the report is
    // what was done when the run ended.
    let (slots, events) = {
        let mut st = shared.lock();
        st.closed = true;
        (
            std::mem::take(&mut st.slots),
            std::mem::take(&mut st.events),
        )
    };
    workers.abort_all();
    shared.wake.notify_waiters();
    for e in &events {
        on_event(e);
    }
    let reason = match interrupted {
        Some(Interrupt::Deadline) => format!(
            "cancelled: the run deadline ({}) passed before this check finished",
            humantime::format_duration(opts.deadline.unwrap_or_default())
        ),
        _ => "cancelled: the run was interrupted before this check finished".to_string(),
    };
    // The status each finished check reports, for its dependants' skip reasons.
    let status_of = |slots: &[Slot], d: usize| match &slots[d] {
        Slot::Done(o, _) => Some(o.status()),
        Slot::Plain(status, ..) => Some(status.unwrap_or(Status::Error)),
        Slot::Skipped { .. } => Some(Status::Skip),
        Slot::Open => None,
    };
    // Only the skipped checks' (by index, ascending): one `Option<String>`
    // a check was 2.4 MB at 100,000 checks, held while the results are made.
    let mut skip_reasons = (0..n)
        .filter_map(|i| match &slots[i] {
            Slot::Skipped { dep } => Some((
                i,
                match status_of(&slots, *dep) {
                    Some(Status::Skip) => {
                        format!("skipped: dependency `{}` was skipped", checks[*dep].id)
                    }
                    Some(s) => format!(
                        "skipped: dependency `{}` did not pass ({})",
                        checks[*dep].id,
                        s.as_str()
                    ),
                    None => format!("skipped: dependency `{}` did not pass", checks[*dep].id),
                },
            )),
            _ => None,
        })
        .collect::<Vec<(usize, String)>>()
        .into_iter()
        .peekable();
    let mut out = Vec::with_capacity(remaining);
    let mut file = None;
    for (i, slot) in slots.into_iter().enumerate() {
        let skip = skip_reasons.next_if(|(at, _)| *at == i).map(|(_, why)| why);
        if !selected[i] {
            continue;
        }
        let (o, took) = match slot {
            Slot::Done(o, took) => (*o, took),
            Slot::Plain(status, message, took) => (
                Outcome {
                    status,
                    message,
                    ..Outcome::default()
                },
                took,
            ),
            Slot::Skipped { .. } => (
                Outcome {
                    status: Some(Status::Skip),
                    message: skip.unwrap_or_default(),
                    ..Outcome::default()
                },
                Duration::ZERO,
            ),
            Slot::Open => (
                Outcome {
                    status: Some(Status::Cancelled),
                    message: reason.clone(),
                    ..Outcome::default()
                },
                Duration::ZERO,
            ),
        };
        out.push(result_of(&checks[i], o, took, &mut file));
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

/// What one check's worker needs of it.
struct Spec {
    check: Arc<dyn DynCheck>,
    id: Arc<str>,
    timeout: Duration,
}

/// Where a check stands.
enum Slot {
    /// Not finished (not started, running, or not selected).
    Open,
    /// Ran (or crashed, or hit the backstop) in this long.
    Done(Box<Outcome>, Duration),
    /// Ran in this long, with nothing but a verdict and a message (most
    /// passes): kept without a boxed [`Outcome`], which was 240 of the ~270
    /// bytes a finished `file` check held until the report was made.
    Plain(Option<Status>, String, Duration),
    /// Not run: the dependency `dep` did not pass.
    Skipped { dep: usize },
}

/// The run's bookkeeping, shared by its workers.
struct State {
    /// Checks whose dependencies passed, next to run last.
    ready: Vec<usize>,
    /// Dependencies still to pass, per check.
    waiting_on: Vec<usize>,
    slots: Vec<Slot>,
    /// Selected checks not finished or skipped yet.
    remaining: usize,
    /// Checks being run now.
    in_flight: usize,
    /// Checks run to the end so far.
    finished: usize,
    /// The shortest a check took since the runner last looked (for `Growth`).
    fastest: Duration,
    /// Progress events not yet handed to the runner (with `events` only).
    events: Vec<Event>,
    /// The run is over: record nothing more.
    closed: bool,
}

struct Shared {
    state: Mutex<State>,
    specs: Vec<Spec>,
    /// The checks that depend on each check (empty when none depends on any).
    dependants: Vec<Vec<usize>>,
    /// A check became ready (or the run ended).
    wake: Notify,
    /// For the runner: the run is over, or events wait.
    done: Notify,
    events: bool,
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Most [`FILES_ONLY`](crate::kinds::CheckKind::FILES_ONLY) checks a worker
/// hands to one blocking thread at once: the hand-off (~30 futex calls) is
/// then paid per batch, not per check, and a batch is still short enough
/// that the run's workers share the checks out.
const BATCH: usize = 64;

/// One of the run's workers: takes ready checks until none is left.
async fn worker(shared: Arc<Shared>, base_cx: RunContext) {
    loop {
        // The next ready check, or wait for one (registered before looking,
        // so a check made ready meanwhile is not missed).
        let (i, batch) = loop {
            let notified = shared.wake.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            {
                let mut st = shared.lock();
                if st.closed || st.remaining == 0 {
                    return;
                }
                if let Some(i) = st.ready.pop() {
                    st.in_flight += 1;
                    if !shared.specs[i].check.files_only() {
                        if shared.events {
                            st.events.push(Event::Started { index: i });
                        }
                        break (i, None);
                    }
                    // With the files-only checks right behind it, as one
                    // batch (each reports its start when it starts).
                    let mut batch = vec![i];
                    while batch.len() < BATCH
                        && let Some(&j) = st.ready.last()
                        && shared.specs[j].check.files_only()
                    {
                        st.ready.pop();
                        st.in_flight += 1;
                        batch.push(j);
                    }
                    break (i, Some(batch));
                }
                if st.in_flight == 0 {
                    // Nothing runs and nothing is ready: nothing will be.
                    shared.done.notify_one();
                    return;
                }
            }
            notified.await;
        };
        if let Some(batch) = batch {
            if run_batch(&shared, &base_cx, batch).await {
                return;
            }
            continue;
        }
        if shared.events {
            shared.done.notify_one();
        }
        let spec = &shared.specs[i];
        let mut cx = base_cx.clone();
        cx.timeout = spec.timeout;
        cx.check_id = spec.id.to_string();
        let t0 = Instant::now();
        // Kinds bound their own waits by `cx.timeout` and say what timed
        // out; the runner's backstop fires a little later so a busy machine
        // does not replace their plain reason with this one. A panicking
        // check becomes an `error` result; the worker goes on.
        let bounded = tokio::time::timeout(spec.timeout + BACKSTOP_GRACE, spec.check.run(&cx));
        let (outcome, took) = match std::panic::AssertUnwindSafe(bounded).catch_unwind().await {
            Ok(Ok(o)) => (o, t0.elapsed()),
            Ok(Err(_)) => (
                Outcome::fail(format!(
                    "timed out after {} (no answer within the check's timeout)",
                    humantime::format_duration(spec.timeout)
                )),
                t0.elapsed(),
            ),
            Err(p) => (
                Outcome::error(format!("the check crashed: {}", panic_message(p))),
                Duration::ZERO,
            ),
        };
        drop(cx);
        if record(&shared, &base_cx, i, outcome, took) {
            return;
        }
    }
}

/// Records check `i`'s outcome, makes its dependants ready (or skips them)
/// and wakes whoever must know. True when the run is already over (nothing
/// was recorded).
fn record(
    shared: &Shared,
    base_cx: &RunContext,
    i: usize,
    outcome: Outcome,
    took: Duration,
) -> bool {
    let status = outcome.status();
    let passed = matches!(status, Status::Pass | Status::Warn);
    if passed {
        if !outcome.captures.is_empty() {
            let mut caps = base_cx.captures.write().unwrap_or_else(|e| e.into_inner());
            for (k, v) in &outcome.captures {
                base_cx.redactor.add(v.clone());
                caps.insert(k.clone(), v.clone());
            }
        }
    } else {
        for (_, v) in &outcome.captures {
            base_cx.redactor.add(v.clone());
        }
    }
    let (woken, over) = {
        let mut st = shared.lock();
        if st.closed {
            return true;
        }
        st.slots[i] = slot_of(outcome, took);
        st.in_flight -= 1;
        st.finished += 1;
        st.fastest = st.fastest.min(took);
        st.remaining -= 1;
        if shared.events {
            st.events.push(Event::Finished { index: i });
        }
        let woken = settle_dependants(i, passed, shared, &mut st);
        let over = st.remaining == 0 || (st.ready.is_empty() && st.in_flight == 0);
        (woken, over)
    };
    for _ in 0..woken {
        shared.wake.notify_one();
    }
    if over {
        shared.wake.notify_waiters();
    }
    if over || shared.events {
        shared.done.notify_one();
    }
    false
}

/// How a finished check waits for the report: plainly when it is only a
/// verdict and a message.
fn slot_of(o: Outcome, took: Duration) -> Slot {
    // Field by field: a field added to `Outcome` must be judged here.
    let Outcome {
        status: _,
        message: _,
        findings,
        metrics,
        captures,
        findings_total,
        grading,
    } = &o;
    let plain = findings.is_empty()
        && metrics.is_empty()
        && captures.is_empty()
        && findings_total.is_none()
        && grading.is_none();
    if plain {
        return Slot::Plain(o.status, o.message, took);
    }
    Slot::Done(Box::new(o), took)
}

/// A batch of files-only checks on one blocking thread.
struct Batch {
    /// Not started yet, the next one last.
    todo: Vec<usize>,
    /// The check running now and since when.
    current: Option<(usize, Instant)>,
    /// The worker gave up on the thread: it records nothing more.
    abandoned: bool,
}

fn lock_batch(b: &Mutex<Batch>) -> std::sync::MutexGuard<'_, Batch> {
    b.lock().unwrap_or_else(|e| e.into_inner())
}

/// Runs `items` (files-only checks, in the order given) one after another
/// on one blocking-pool thread, their offloads in place, and watches them:
/// a check still running at its timeout (a `stat` on a hung mount) is
/// recorded as an `error`, its thread abandoned, and the checks behind it
/// go back to the ready list for other workers. True when the run is over.
async fn run_batch(shared: &Arc<Shared>, base_cx: &RunContext, mut items: Vec<usize>) -> bool {
    items.reverse();
    let batch = Arc::new(Mutex::new(Batch {
        todo: items,
        current: None,
        abandoned: false,
    }));
    let job = {
        let (shared, base_cx, batch) = (shared.clone(), base_cx.clone(), batch.clone());
        tokio::task::spawn_blocking(move || {
            crate::support::offload::inline(|| run_batch_here(&shared, base_cx, &batch))
        })
    };
    tokio::pin!(job);
    loop {
        // Due: when the running check's timeout passes; between checks,
        // the next one's timeout from now (it is about to start).
        let due = {
            let b = lock_batch(&batch);
            match (b.current, b.todo.last()) {
                (Some((i, t0)), _) => t0 + shared.specs[i].timeout,
                (None, Some(&i)) => Instant::now() + shared.specs[i].timeout,
                (None, None) => Instant::now() + Duration::from_secs(1),
            }
        };
        tokio::select! {
            ended = &mut job => {
                // Every check's panic is caught on the thread; a failed
                // join leaves nothing to watch but what it did not record.
                return match ended {
                    Ok(over) => over,
                    Err(_) => give_up(shared, base_cx, &batch, "the batch thread ended"),
                };
            }
            _ = tokio::time::sleep_until(due.into()) => {
                let overdue = matches!(
                    lock_batch(&batch).current,
                    Some((i, t0)) if t0.elapsed() >= shared.specs[i].timeout
                );
                if overdue {
                    return give_up(shared, base_cx, &batch, "");
                }
            }
        }
    }
}

/// Abandons a batch: its running check becomes an `error` (stuck, or
/// `why`), the rest go back to the ready list. True when the run is over.
fn give_up(shared: &Shared, base_cx: &RunContext, batch: &Mutex<Batch>, why: &str) -> bool {
    let (current, rest) = {
        let mut b = lock_batch(batch);
        b.abandoned = true;
        (b.current.take(), std::mem::take(&mut b.todo))
    };
    let n = rest.len();
    {
        let mut st = shared.lock();
        if st.closed {
            return true;
        }
        st.in_flight -= n;
        st.ready.extend(rest);
    }
    for _ in 0..n {
        shared.wake.notify_one();
    }
    let Some((i, t0)) = current else {
        return false;
    };
    let timeout = humantime::format_duration(shared.specs[i].timeout);
    let message = if why.is_empty() {
        format!(
            "not finished within its timeout ({timeout}): a file-system call did not return (a hung mount?); abandoned"
        )
    } else {
        format!("the check crashed: {why}")
    };
    record(shared, base_cx, i, Outcome::error(message), t0.elapsed())
}

/// The batch thread: runs the batch's checks until none is left or the
/// worker abandons it. True when the run is over.
fn run_batch_here(shared: &Shared, mut cx: RunContext, batch: &Mutex<Batch>) -> bool {
    let base_cx = cx.clone();
    loop {
        let i = {
            let mut b = lock_batch(batch);
            if b.abandoned {
                return false;
            }
            let Some(i) = b.todo.pop() else {
                b.current = None;
                return false;
            };
            b.current = Some((i, Instant::now()));
            i
        };
        if shared.events {
            shared.lock().events.push(Event::Started { index: i });
            shared.done.notify_one();
        }
        let spec = &shared.specs[i];
        cx.timeout = spec.timeout;
        cx.check_id.clear();
        cx.check_id.push_str(&spec.id);
        let t0 = Instant::now();
        // The check's future completes in one poll: its offloads run in
        // place here (`offload::inline`), and it waits on nothing else.
        let run = std::panic::AssertUnwindSafe(|| futures::executor::block_on(spec.check.run(&cx)));
        let outcome = std::panic::catch_unwind(run)
            .unwrap_or_else(|p| Outcome::error(format!("the check crashed: {}", panic_message(p))));
        let took = t0.elapsed();
        {
            let mut b = lock_batch(batch);
            if b.abandoned {
                return false;
            }
            b.current = None;
        }
        if record(shared, &base_cx, i, outcome, took) {
            return true;
        }
    }
}

/// Makes `done`'s dependants ready (it passed) or skips them and theirs (it
/// did not); returns how many became ready.
fn settle_dependants(done: usize, passed: bool, shared: &Shared, st: &mut State) -> usize {
    let mut woken = 0;
    // Worklist instead of recursion: long dependency chains must not overflow the stack.
    let mut work = vec![(done, passed)];
    while let Some((d, ok)) = work.pop() {
        for &dep in shared.dependants.get(d).map_or(&[][..], Vec::as_slice) {
            if !matches!(st.slots[dep], Slot::Open) {
                continue;
            }
            if ok {
                st.waiting_on[dep] -= 1;
                if st.waiting_on[dep] == 0 {
                    st.ready.push(dep);
                    woken += 1;
                }
            } else {
                st.slots[dep] = Slot::Skipped { dep: d };
                st.remaining -= 1;
                if shared.events {
                    st.events.push(Event::Finished { index: dep });
                }
                work.push((dep, false));
            }
        }
    }
    woken
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

/// `def`'s result. `file` is the catalogue file name the previous result
/// shares (the checks of one file share one name).
fn result_of(
    def: &CheckDef,
    outcome: Outcome,
    took: Duration,
    file: &mut Option<Arc<str>>,
) -> CheckResult {
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
        kind: def.kind.into(),
        title: def.title.clone(),
        severity: def.severity,
        tags: def.tags.to_vec(),
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
            .map(|total| {
                Box::new(crate::report::Truncation {
                    shown: outcome.findings.len(),
                    total,
                })
            }),
        findings: outcome.findings,
        metrics: (!outcome.metrics.is_empty()).then(|| Box::new(outcome.metrics)),
        grading: outcome.grading.map(Box::new),
        waiver: None,
        source: Some(crate::report::SourceLocation {
            file: match file {
                Some(f) if **f == *def.location.file => f.clone(),
                _ => file.insert(def.location.file.clone()).clone(),
            },
            line: def.location.line,
            column: def.location.column,
        }),
        baseline: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kinds::BoxFuture;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A check that does what the test says and counts how many run at once.
    struct Probe {
        action: Action,
        /// Runs as a `FILES_ONLY` kind would: synchronously, in batches.
        files: bool,
        running: Arc<AtomicUsize>,
        most: Arc<AtomicUsize>,
    }

    #[derive(Clone, Copy)]
    enum Action {
        Pass,
        Fail,
        Panic,
        Sleep(Duration),
        /// Blocks its thread (a `stat` on a hung mount).
        Block(Duration),
    }

    impl DynCheck for Probe {
        fn run<'a>(&'a self, _cx: &'a RunContext) -> BoxFuture<'a, Outcome> {
            /// Counts the probe out however it ends (a panic included), so
            /// `most` is what ran at once, not what ran plus what crashed.
            struct Out<'a>(&'a AtomicUsize);
            impl Drop for Out<'_> {
                fn drop(&mut self) {
                    self.0.fetch_sub(1, Ordering::SeqCst);
                }
            }
            Box::pin(async move {
                let now = self.running.fetch_add(1, Ordering::SeqCst) + 1;
                let _out = Out(&self.running);
                self.most.fetch_max(now, Ordering::SeqCst);
                if !self.files {
                    tokio::time::sleep(Duration::from_millis(2)).await;
                }
                match self.action {
                    Action::Pass => Outcome::pass("ok"),
                    Action::Fail => Outcome::fail("no"),
                    Action::Panic => panic!("probe exploded"),
                    Action::Sleep(d) => {
                        tokio::time::sleep(d).await;
                        Outcome::pass("slept")
                    }
                    Action::Block(d) => {
                        std::thread::sleep(d);
                        Outcome::pass("blocked")
                    }
                }
            })
        }
        fn secrets(&self) -> Vec<String> {
            Vec::new()
        }
        fn targets(&self) -> Vec<String> {
            Vec::new()
        }
        fn files_only(&self) -> bool {
            self.files
        }
    }

    fn catalogue(specs: &[(&str, Action, &[&str])], most: &Arc<AtomicUsize>) -> Catalogue {
        catalogue_of(specs, most, false, Duration::from_secs(10))
    }

    fn catalogue_of(
        specs: &[(&str, Action, &[&str])],
        most: &Arc<AtomicUsize>,
        files: bool,
        timeout: Duration,
    ) -> Catalogue {
        let running = Arc::new(AtomicUsize::new(0));
        let checks = specs
            .iter()
            .enumerate()
            .map(|(i, (id, action, deps))| CheckDef {
                id: (*id).into(),
                kind: "probe",
                title: (*id).into(),
                description: None,
                severity: crate::report::Severity::Medium,
                tags: Box::default(),
                depends_on: deps.iter().map(|d| d.to_string()).collect(),
                timeout,
                remediation: None,
                check: Arc::new(Probe {
                    action: *action,
                    files,
                    running: running.clone(),
                    most: most.clone(),
                }),
                location: crate::diag::Location {
                    file: "c.yml".into(),
                    line: i as u32 + 1,
                    column: 5,
                },
            })
            .collect();
        Catalogue {
            path: "c.yml".into(),
            root: ".".into(),
            targets: Default::default(),
            checks,
            secrets: Vec::new(),
        }
    }

    fn run_it(cat: &Catalogue, opts: RunOptions) -> (Report, Option<Interrupt>, Vec<String>) {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let control = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let opts = RunOptions {
            workers: Some(rt.handle().clone()),
            ..opts
        };
        let (_tx, rx) = watch::channel(false);
        let mut events = Vec::new();
        let (r, i) = control.block_on(run(cat, &opts, Arc::default(), rx, |e| {
            events.push(format!("{e:?}"))
        }));
        rt.shutdown_background();
        (r, i, events)
    }

    fn statuses(r: &Report) -> Vec<(String, &'static str, String)> {
        r.checks
            .iter()
            .map(|c| (c.id.to_string(), c.status.as_str(), c.message.clone()))
            .collect()
    }

    /// In catalogue order whatever the finishing order; a panic is that
    /// check's `error`; dependants of a failure (and theirs) are skipped with
    /// the reason; dependants of a pass run after it; never more than
    /// `concurrency` at once; every start and end reported.
    #[test]
    fn runs_in_bounds_and_reports_in_catalogue_order() {
        let most = Arc::new(AtomicUsize::new(0));
        let mut specs: Vec<(&str, Action, &[&str])> = vec![
            ("slow", Action::Sleep(Duration::from_millis(50)), &[]),
            ("boom", Action::Panic, &[]),
            ("bad", Action::Fail, &[]),
            ("after.bad", Action::Pass, &["bad"]),
            ("after.after", Action::Pass, &["after.bad"]),
            ("after.slow", Action::Pass, &["slow"]),
        ];
        let names: Vec<String> = (0..40).map(|i| format!("p{i}")).collect();
        for n in &names {
            specs.push((n.as_str(), Action::Pass, &[]));
        }
        let cat = catalogue(&specs, &most);
        let opts = RunOptions {
            concurrency: 3,
            ..RunOptions::default()
        };
        let (r, interrupted, events) = run_it(&cat, opts);
        assert_eq!(interrupted, None);
        let got = statuses(&r);
        assert_eq!(got.len(), 46);
        assert_eq!(&got[0], &("slow".into(), "pass", "slept".into()));
        assert_eq!(got[1].1, "error");
        assert_eq!(got[1].2, "the check crashed: probe exploded");
        assert_eq!(&got[2], &("bad".into(), "fail", "no".into()));
        assert_eq!(
            &got[3],
            &(
                "after.bad".into(),
                "skip",
                "skipped: dependency `bad` did not pass (fail)".into()
            )
        );
        assert_eq!(
            &got[4],
            &(
                "after.after".into(),
                "skip",
                "skipped: dependency `after.bad` was skipped".into()
            )
        );
        assert_eq!(&got[5], &("after.slow".into(), "pass", "ok".into()));
        assert!(got[6..].iter().all(|g| g.1 == "pass"));
        assert_eq!(r.summary.total, 46);
        let most = most.load(Ordering::SeqCst);
        assert!(
            (1..=3).contains(&most),
            "{most} at once with --concurrency 3"
        );
        assert_eq!(
            events.iter().filter(|e| e.starts_with("Finished")).count(),
            46
        );
        // Skipped checks never start.
        assert_eq!(
            events.iter().filter(|e| e.starts_with("Started")).count(),
            44
        );
    }

    /// Past the deadline the run ends with every unfinished check
    /// `cancelled` and the finished ones as they were; without events the
    /// callback is never called.
    #[test]
    fn deadline_cancels_what_did_not_finish() {
        let most = Arc::new(AtomicUsize::new(0));
        let specs: Vec<(&str, Action, &[&str])> = vec![
            ("quick", Action::Pass, &[]),
            ("stuck", Action::Sleep(Duration::from_secs(30)), &[]),
            ("later", Action::Pass, &["stuck"]),
        ];
        let cat = catalogue(&specs, &most);
        let opts = RunOptions {
            deadline: Some(Duration::from_millis(300)),
            events: false,
            ..RunOptions::default()
        };
        let t = Instant::now();
        let (r, interrupted, events) = run_it(&cat, opts);
        assert!(t.elapsed() < Duration::from_secs(5));
        assert_eq!(interrupted, Some(Interrupt::Deadline));
        assert!(r.interrupted);
        let got = statuses(&r);
        assert_eq!(got[0].1, "pass");
        for g in &got[1..] {
            assert_eq!(g.1, "cancelled", "{g:?}");
            assert!(g.2.contains("run deadline (300ms) passed"), "{g:?}");
        }
        assert!(events.is_empty(), "{events:?}");
    }

    /// Checks that wait (not compute) get workers up to the concurrency:
    /// 80 checks of 200 ms each with `--concurrency 80` run in about one
    /// wave, not in ten waves of the eight workers a run starts with.
    #[test]
    fn waiting_checks_get_the_whole_concurrency() {
        let most = Arc::new(AtomicUsize::new(0));
        let names: Vec<String> = (0..80).map(|i| format!("s{i}")).collect();
        let specs: Vec<(&str, Action, &[&str])> = names
            .iter()
            .map(|n| {
                (
                    n.as_str(),
                    Action::Sleep(Duration::from_millis(200)),
                    &[][..],
                )
            })
            .collect();
        let cat = catalogue(&specs, &most);
        let opts = RunOptions {
            concurrency: 80,
            events: false,
            ..RunOptions::default()
        };
        let t = Instant::now();
        let (r, _, _) = run_it(&cat, opts);
        let took = t.elapsed();
        assert!(r.checks.iter().all(|c| c.status == Status::Pass));
        assert!(most.load(Ordering::SeqCst) > 40, "{most:?} at once");
        // Ten waves would take 2 s.
        assert!(took < Duration::from_millis(1500), "{took:?}");
    }

    /// Files-only checks run in batches, yet each keeps its own bounds: one
    /// stuck in a blocking call (a hung mount) ends as an `error` at its
    /// timeout, a panicking one as a crash, the checks queued behind them
    /// in the same batch still run and pass, and a dependant of the stuck
    /// one is skipped, all well before the stuck call returns.
    #[test]
    fn a_stuck_files_only_check_ends_at_its_timeout_and_spares_its_batch() {
        let most = Arc::new(AtomicUsize::new(0));
        let mut specs: Vec<(&str, Action, &[&str])> = vec![
            ("stuck", Action::Block(Duration::from_secs(30)), &[]),
            ("boom", Action::Panic, &[]),
            ("after.stuck", Action::Pass, &["stuck"]),
        ];
        let names: Vec<String> = (0..150).map(|i| format!("f{i}")).collect();
        for n in &names {
            specs.push((n.as_str(), Action::Pass, &[]));
        }
        let cat = catalogue_of(&specs, &most, true, Duration::from_secs(1));
        for concurrency in [1, 8] {
            let opts = RunOptions {
                concurrency,
                ..RunOptions::default()
            };
            let t = Instant::now();
            let (r, interrupted, events) = run_it(&cat, opts);
            assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
            assert_eq!(interrupted, None);
            let got = statuses(&r);
            assert_eq!(got[0].1, "error", "{:?}", got[0]);
            assert!(
                got[0].2.contains("not finished within its timeout (1s)"),
                "{:?}",
                got[0]
            );
            assert_eq!(got[1].1, "error");
            assert_eq!(got[1].2, "the check crashed: probe exploded");
            assert_eq!(got[2].1, "skip", "{:?}", got[2]);
            assert!(got[3..].iter().all(|g| g.1 == "pass"), "{got:?}");
            assert_eq!(got.len(), 153);
            // Every check that ran said so once, at its start.
            assert_eq!(
                events.iter().filter(|e| e.starts_with("Started")).count(),
                152
            );
        }
    }

    fn tick(active: usize, finished: usize) -> Tick {
        Tick {
            active,
            in_flight: active,
            finished,
            fastest: if finished == 0 {
                Duration::MAX
            } else {
                Duration::from_millis(1)
            },
            waiting: true,
            idle: true,
        }
    }

    /// Checks slower than a tick (nothing finishes) grow to the whole
    /// concurrency, one step a tick.
    #[test]
    fn growth_reaches_the_concurrency_for_slow_checks() {
        let mut g = Growth::default();
        let mut active = START_WORKERS;
        let mut sizes = vec![active];
        for _ in 0..10 {
            active += g.after(tick(active, 0), 200);
            sizes.push(active);
        }
        assert_eq!(sizes, [8, 32, 128, 200, 200, 200, 200, 200, 200, 200, 200]);
    }

    /// The tick after a growth step is the new workers opening connections:
    /// it is not judged, and once checks finish faster than a tick the pool
    /// stays where it is (200 workers were 2.5× slower than 32 on 1,000
    /// fast HTTP checks).
    #[test]
    fn growth_stops_once_checks_are_fast() {
        let mut g = Growth::default();
        assert_eq!(g.after(tick(8, 2), 200), 24, "first tick: connections");
        assert_eq!(g.after(tick(32, 5), 200), 0, "settling");
        assert_eq!(g.after(tick(32, 60), 200), 0, "fast now");
        assert_eq!(g.after(tick(32, 70), 200), 0);
    }

    /// A step that did not raise the finishing rate ends growth for the run
    /// (a loaded machine: more connections only share the same CPU).
    #[test]
    fn growth_ends_when_a_step_does_not_pay() {
        let mut g = Growth::default();
        assert_eq!(g.after(tick(8, 6), 200), 24);
        assert_eq!(g.after(tick(32, 1), 200), 0);
        assert_eq!(g.after(tick(32, 8), 200), 0, "8 is not 1.5 × 6");
        assert!(g.done);
        assert_eq!(g.after(tick(32, 0), 200), 0);
    }

    /// Busy check threads (checks that compute) or no queue: no growth.
    #[test]
    fn growth_needs_waiting_checks_and_idle_threads() {
        let mut g = Growth::default();
        assert_eq!(
            g.after(
                Tick {
                    idle: false,
                    ..tick(8, 0)
                },
                200
            ),
            0
        );
        assert_eq!(
            g.after(
                Tick {
                    waiting: false,
                    ..tick(8, 0)
                },
                200
            ),
            0
        );
        assert_eq!(
            g.after(
                Tick {
                    in_flight: 3,
                    ..tick(8, 0)
                },
                200
            ),
            0
        );
        assert_eq!(g.after(tick(8, 0), 10), 2, "never past the concurrency");
    }

    /// Once a step was taken on idle threads with nothing finished, the
    /// new workers' busy connection set-up does not stop the next steps
    /// until a check finishes; busy threads from the start still do.
    #[test]
    fn growth_after_waiting_ignores_busy_threads_until_a_check_finishes() {
        let busy = |active, finished| Tick {
            idle: false,
            ..tick(active, finished)
        };
        let mut g = Growth::default();
        assert_eq!(g.after(tick(8, 0), 200), 24);
        assert_eq!(g.after(busy(32, 0), 200), 96, "connections, not compute");
        assert_eq!(g.after(busy(128, 0), 200), 72);
        let mut g = Growth::default();
        assert_eq!(g.after(tick(8, 0), 200), 24);
        assert_eq!(g.after(busy(32, 0), 200), 96);
        assert_eq!(g.after(busy(128, 4), 200), 0, "settling: checks finish");
        assert_eq!(g.after(busy(128, 4), 200), 0, "busy again counts");
    }

    /// A check that finished within `FAST_CHECK` in the tick (a local file,
    /// a request to a peer on the same machine) means workers cycle: no
    /// growth, however few finished.
    #[test]
    fn growth_waits_for_no_fast_check() {
        let mut g = Growth::default();
        let fast = Tick {
            fastest: Duration::from_micros(80),
            ..tick(8, 3)
        };
        assert_eq!(g.after(fast, 200), 0);
        assert_eq!(g.after(tick(8, 3), 200), 24, "3 checks of 1 ms each");
    }
}
