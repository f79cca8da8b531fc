//! `readyctl serve --listen ADDR`: a readiness probe for kubelets and load
//! balancers, and a Prometheus scrape target.
//!
//! A scheduler task runs the catalogue from start-up, then again every
//! `--interval` (measured from the start of a run; a run longer than the
//! interval is followed by the next at once), never two at once. Requests
//! never wait for a run: they answer from the last *completed* one.
//!
//! - `GET /readyz` (alias `/healthz`): 200 when no check fails at or above
//!   `--fail-on` (the rule of exit code 0), 503 otherwise; the body is the
//!   JSON report. Before the first run completes: 503 with a JSON body
//!   saying so (`"status": "starting"`).
//! - `GET /livez`: 200 while the process and its scheduler are healthy (the
//!   scheduler task is alive); 503 otherwise. It never depends on the checks.
//! - `GET /metrics`: the Prometheus text of the last report, plus the
//!   server's own counters (`readyctl_serve_runs_total`,
//!   `readyctl_serve_max_concurrent_runs`, `readyctl_serve_reloads_total`,
//!   `readyctl_serve_last_run_age_seconds`).
//! - `SIGHUP` reloads the catalogue (and the waiver file) and starts a run;
//!   an invalid new catalogue is logged on stderr and the old one kept.
//!
//! The HTTP side is a small hand-written HTTP/1.1 responder (one request per
//! connection, `Connection: close`, 8 KiB request head, 5 s to send it),
//! enough for probes and scrapers without a web framework.

use crate::cmd::out::{err, errln};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, watch};

use crate::catalogue::Catalogue;
use crate::cli::ServeArgs;
use crate::cmd::session::{
    RunPlan, exit_code, load_or_report, load_waivers, run_until_ready, select,
};
use crate::exit;
use crate::redact::Redactor;
use crate::report::render::{json, prometheus};
use crate::report::{Report, Severity, waivers};

/// Largest request head read.
const MAX_HEAD: usize = 8 * 1024;
/// Time a client has to send its request head.
const HEAD_TIMEOUT: Duration = Duration::from_secs(5);

/// A loaded catalogue with what a run needs besides it.
struct Loaded {
    cat: Catalogue,
    plan: RunPlan,
    redactor: Arc<Redactor>,
    waivers: Option<(Vec<waivers::Waiver>, jiff::civil::Date)>,
}

/// The last completed run.
struct Latest {
    report: Arc<Report>,
    finished: Instant,
}

struct Server {
    loaded: RwLock<Arc<Loaded>>,
    latest: RwLock<Option<Latest>>,
    fail_on: Severity,
    interval: Duration,
    runs: AtomicUsize,
    reloads: AtomicUsize,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
    /// False once the scheduler task has ended (it never should).
    scheduler_alive: AtomicBool,
    /// Wakes the scheduler for an immediate run (after a reload).
    run_now: Notify,
    cancel: watch::Receiver<bool>,
}

/// Sets `scheduler_alive` to false however the scheduler ends (even a panic).
struct AliveGuard(Arc<Server>);

impl Drop for AliveGuard {
    fn drop(&mut self) {
        self.0.scheduler_alive.store(false, Ordering::SeqCst);
    }
}

impl Server {
    /// One catalogue run with the catalogue loaded now; stores the report.
    async fn run_once(&self) {
        let loaded = match self.loaded.read() {
            Ok(l) => l.clone(),
            Err(p) => p.into_inner().clone(),
        };
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.max_in_flight.fetch_max(now, Ordering::SeqCst);
        self.runs.fetch_add(1, Ordering::SeqCst);
        let (mut report, _) = run_until_ready(
            &loaded.cat,
            &loaded.plan,
            loaded.redactor.clone(),
            self.cancel.clone(),
            |_| true,
        )
        .await;
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
        if let Some((w, today)) = &loaded.waivers {
            // Today moves on while serving; an injected date stays put.
            let today = waivers::today().unwrap_or(*today);
            waivers::apply(&mut report, w, today);
        }
        report.redact(&loaded.redactor);
        let latest = Latest {
            report: Arc::new(report),
            finished: Instant::now(),
        };
        match self.latest.write() {
            Ok(mut l) => *l = Some(latest),
            Err(p) => *p.into_inner() = Some(latest),
        }
    }

    /// Runs the catalogue now and then every interval, until cancelled.
    async fn schedule(self: Arc<Self>) {
        let _guard = AliveGuard(self.clone());
        let mut cancel = self.cancel.clone();
        loop {
            let started = Instant::now();
            self.run_once().await;
            let pause = self.interval.saturating_sub(started.elapsed());
            tokio::select! {
                _ = tokio::time::sleep(pause) => {}
                _ = self.run_now.notified() => {}
                _ = cancel.wait_for(|v| *v) => return,
            }
        }
    }

    fn latest(&self) -> Option<(Arc<Report>, Instant)> {
        let l = match self.latest.read() {
            Ok(l) => l,
            Err(p) => p.into_inner(),
        };
        l.as_ref().map(|l| (l.report.clone(), l.finished))
    }

    fn respond(&self, path: &str) -> (u16, &'static str, String) {
        match path {
            "/healthz" | "/readyz" => match self.latest() {
                None => (
                    503,
                    "application/json",
                    "{\"status\": \"starting\", \"message\": \"no catalogue run has completed yet; the first one started with the server\"}\n".into(),
                ),
                Some((r, _)) => {
                    let ok = exit_code(&r, self.fail_on, None) == exit::OK;
                    (
                        if ok { 200 } else { 503 },
                        "application/json",
                        json::render(&r),
                    )
                }
            },
            "/livez" => {
                if self.scheduler_alive.load(Ordering::SeqCst) {
                    (200, "text/plain; charset=utf-8", "ok\n".into())
                } else {
                    (
                        503,
                        "text/plain; charset=utf-8",
                        "the scheduler has stopped\n".into(),
                    )
                }
            }
            "/metrics" => {
                let latest = self.latest();
                let mut body = latest
                    .as_ref()
                    .map(|(r, _)| prometheus::render(r))
                    .unwrap_or_default();
                body.push_str(&format!(
                    "# HELP readyctl_serve_runs_total Catalogue runs started since the server started.\n\
                     # TYPE readyctl_serve_runs_total counter\n\
                     readyctl_serve_runs_total {}\n\
                     # HELP readyctl_serve_max_concurrent_runs Most catalogue runs ever in flight at once (always 1).\n\
                     # TYPE readyctl_serve_max_concurrent_runs gauge\n\
                     readyctl_serve_max_concurrent_runs {}\n\
                     # HELP readyctl_serve_reloads_total Catalogue reloads (SIGHUP) that succeeded.\n\
                     # TYPE readyctl_serve_reloads_total counter\n\
                     readyctl_serve_reloads_total {}\n",
                    self.runs.load(Ordering::SeqCst),
                    self.max_in_flight.load(Ordering::SeqCst),
                    self.reloads.load(Ordering::SeqCst),
                ));
                if let Some((_, at)) = latest {
                    body.push_str(&format!(
                        "# HELP readyctl_serve_last_run_age_seconds Seconds since the last catalogue run completed.\n\
                         # TYPE readyctl_serve_last_run_age_seconds gauge\n\
                         readyctl_serve_last_run_age_seconds {:.3}\n",
                        at.elapsed().as_secs_f64()
                    ));
                }
                (200, "text/plain; version=0.0.4; charset=utf-8", body)
            }
            _ => (
                404,
                "text/plain; charset=utf-8",
                "not found: try /readyz, /livez or /metrics\n".into(),
            ),
        }
    }
}

/// Loads the catalogue, selection and waivers; diagnostics go to stderr.
fn load(args: &ServeArgs, ecolor: bool) -> Result<Loaded, u8> {
    let cat = load_or_report(&args.catalogue, ecolor)?;
    let selected = select(&cat, &args.filter).map_err(|d| {
        err!("{}", d.render_plain());
        exit::USAGE
    })?;
    let waivers = load_waivers(args.waivers.as_deref(), &args.catalogue.root, &cat, ecolor)?;
    let concurrency =
        crate::cmd::os::cap_concurrency(args.concurrency, crate::cmd::os::open_file_limit());
    if let Some(note) = &concurrency.note {
        errln!("{note}");
    }
    let redactor = Arc::new(Redactor::with_values(cat.secrets.iter().cloned()));
    Ok(Loaded {
        plan: RunPlan {
            concurrency: concurrency.value,
            deadline: args.deadline,
            selected,
            wait: None,
            interval: Duration::ZERO,
            progress: false,
            chatty: false,
            workers: None,
        },
        cat,
        redactor,
        waivers,
    })
}

/// Resolves at each SIGHUP (never on platforms without it).
async fn hangup(sig: &mut Option<tokio::signal::unix::Signal>) {
    match sig {
        Some(s) => {
            s.recv().await;
        }
        None => std::future::pending::<()>().await,
    }
}

/// Runs `serve` until Ctrl-C/SIGTERM.
pub(crate) fn main(args: &ServeArgs, ecolor: bool) -> u8 {
    let loaded = match load(args, ecolor) {
        Ok(l) => l,
        Err(code) => return code,
    };
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
    let code = rt.block_on(async {
        let listener = match TcpListener::bind(&args.listen).await {
            Ok(l) => l,
            Err(e) => {
                errln!(
                    "error: cannot listen on {}: {e}\n  = help: pass --listen HOST:PORT, e.g. 127.0.0.1:9464",
                    args.listen
                );
                return exit::USAGE;
            }
        };
        let addr = listener
            .local_addr()
            .map(|a| a.to_string())
            .unwrap_or_else(|_| args.listen.clone());
        let (tx, rx) = watch::channel(false);
        let server = Arc::new(Server {
            loaded: RwLock::new(Arc::new(loaded)),
            latest: RwLock::new(None),
            fail_on: args.fail_on,
            interval: args.interval,
            runs: AtomicUsize::new(0),
            reloads: AtomicUsize::new(0),
            in_flight: AtomicUsize::new(0),
            max_in_flight: AtomicUsize::new(0),
            scheduler_alive: AtomicBool::new(true),
            run_now: Notify::new(),
            cancel: rx,
        });
        errln!("readyctl: serving http://{addr} (/readyz, /livez, /metrics)");
        tokio::spawn(server.clone().schedule());
        let mut hup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()).ok();
        let stop = crate::cmd::os::wait_for_signal();
        tokio::pin!(stop);
        loop {
            tokio::select! {
                accepted = listener.accept() => {
                    match accepted {
                        Ok((stream, peer)) => {
                            let server = server.clone();
                            tokio::spawn(async move { handle(server, stream, peer).await });
                        }
                        // Out of file descriptors (EMFILE/ENFILE) or a
                        // similar resource error: accept would fail again at
                        // once and spin a core. Back off so the connections
                        // in flight can finish and free descriptors.
                        Err(_) => tokio::time::sleep(std::time::Duration::from_millis(100)).await,
                    }
                }
                _ = hangup(&mut hup) => {
                    // Loading reads files: keep it off the async workers.
                    let a = args.clone();
                    match tokio::task::spawn_blocking(move || load(&a, false)).await {
                        Ok(Ok(new)) => {
                            let n = new.cat.checks.len();
                            match server.loaded.write() {
                                Ok(mut l) => *l = Arc::new(new),
                                Err(p) => *p.into_inner() = Arc::new(new),
                            }
                            server.reloads.fetch_add(1, Ordering::SeqCst);
                            server.run_now.notify_one();
                            errln!("readyctl: SIGHUP: catalogue reloaded ({n} checks)");
                        }
                        _ => errln!(
                            "readyctl: SIGHUP: the new catalogue is invalid (above); still serving the old one"
                        ),
                    }
                }
                _ = &mut stop => {
                    let _ = tx.send(true);
                    errln!("readyctl: stopping");
                    return exit::OK;
                }
            }
        }
    });
    rt.shutdown_timeout(Duration::from_millis(100));
    code
}

async fn handle(server: Arc<Server>, mut stream: TcpStream, _peer: SocketAddr) {
    let head = match tokio::time::timeout(HEAD_TIMEOUT, read_head(&mut stream)).await {
        Ok(Some(h)) => h,
        _ => {
            let _ = write_response(&mut stream, 400, "text/plain", "bad request\n", false).await;
            return;
        }
    };
    let mut parts = head.split_whitespace();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let path = target.split('?').next().unwrap_or("");
    let (status, ctype, body) = match method {
        "GET" | "HEAD" => server.respond(path),
        _ => (
            405,
            "text/plain; charset=utf-8",
            "method not allowed: use GET\n".into(),
        ),
    };
    let _ = write_response(&mut stream, status, ctype, &body, method == "HEAD").await;
}

/// Reads up to the blank line ending the request head; returns the request line.
async fn read_head(stream: &mut TcpStream) -> Option<String> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    loop {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        if buf.windows(4).any(|w| w == b"\r\n\r\n") || buf.windows(2).any(|w| w == b"\n\n") {
            break;
        }
        if buf.len() > MAX_HEAD {
            return None;
        }
    }
    let text = String::from_utf8_lossy(&buf);
    text.lines().next().map(str::to_string)
}

async fn write_response(
    stream: &mut TcpStream,
    status: u16,
    ctype: &str,
    body: &str,
    head_only: bool,
) -> std::io::Result<()> {
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        503 => "Service Unavailable",
        _ => "",
    };
    let mut out = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    if !head_only {
        out.extend_from_slice(body.as_bytes());
    }
    stream.write_all(&out).await?;
    stream.shutdown().await
}
