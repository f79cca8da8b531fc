//! `readyctl serve --listen ADDR`: a readiness endpoint for probes and load
//! balancers, and a Prometheus scrape target.
//!
//! - `GET /healthz`: 200 when no check fails (the same rule as exit code 0),
//!   503 otherwise; the body is the JSON report.
//! - `GET /metrics`: the Prometheus text of the latest report, plus the
//!   server's own counters (`readyctl_serve_runs_total`,
//!   `readyctl_serve_max_concurrent_runs`).
//!
//! Bounded: the catalogue runs at most once per `--interval`, and never twice
//! at once — requests that arrive during a run wait for it and share its
//! result; between runs they get the cached report. The HTTP side is a small
//! hand-written HTTP/1.1 responder (one request per connection, `Connection:
//! close`, 8 KiB request head, 5 s to send it), enough for probes and
//! scrapers without a web framework.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Mutex, watch};

use crate::app::{RunPlan, exit_code, load_or_report, load_waivers, run_until_ready, select};
use crate::catalogue::Catalogue;
use crate::cli::ServeArgs;
use crate::exit;
use crate::redact::Redactor;
use crate::report::render::{json, prometheus};
use crate::report::{Report, Severity, waivers};

/// Largest request head read.
const MAX_HEAD: usize = 8 * 1024;
/// Time a client has to send its request head.
const HEAD_TIMEOUT: Duration = Duration::from_secs(5);

struct Server {
    cat: Catalogue,
    plan: RunPlan,
    interval: Duration,
    redactor: Arc<Redactor>,
    waivers: Option<(Vec<waivers::Waiver>, jiff::civil::Date)>,
    /// Held for the whole of a run: one run at a time.
    run_lock: Mutex<Option<(Arc<Report>, Instant)>>,
    runs: AtomicUsize,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
    cancel: watch::Receiver<bool>,
}

impl Server {
    /// The latest report, running the catalogue first when the cached one is
    /// older than the interval.
    async fn report(&self) -> Arc<Report> {
        let mut cache = self.run_lock.lock().await;
        if let Some((r, at)) = cache.as_ref()
            && at.elapsed() < self.interval
        {
            return r.clone();
        }
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.max_in_flight.fetch_max(now, Ordering::SeqCst);
        self.runs.fetch_add(1, Ordering::SeqCst);
        let (mut report, _) = run_until_ready(
            &self.cat,
            &self.plan,
            self.redactor.clone(),
            self.cancel.clone(),
            |_| true,
        )
        .await;
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
        if let Some((w, today)) = &self.waivers {
            // Today moves on while serving; an injected date stays put.
            let today = waivers::today().unwrap_or(*today);
            waivers::apply(&mut report, w, today);
        }
        report.redact(&self.redactor);
        let report = Arc::new(report);
        *cache = Some((report.clone(), Instant::now()));
        report
    }

    async fn respond(&self, path: &str) -> (u16, &'static str, String) {
        match path {
            "/healthz" | "/readyz" => {
                let r = self.report().await;
                let ok = exit_code(&r, Severity::Info, None) == exit::OK;
                (
                    if ok { 200 } else { 503 },
                    "application/json",
                    json::render(&r),
                )
            }
            "/metrics" => {
                let r = self.report().await;
                let mut body = prometheus::render(&r);
                body.push_str(&format!(
                    "# HELP readyctl_serve_runs_total Catalogue runs since the server started.\n\
                     # TYPE readyctl_serve_runs_total counter\n\
                     readyctl_serve_runs_total {}\n\
                     # HELP readyctl_serve_max_concurrent_runs Most catalogue runs ever in flight at once (always 1).\n\
                     # TYPE readyctl_serve_max_concurrent_runs gauge\n\
                     readyctl_serve_max_concurrent_runs {}\n",
                    self.runs.load(Ordering::SeqCst),
                    self.max_in_flight.load(Ordering::SeqCst)
                ));
                (200, "text/plain; version=0.0.4; charset=utf-8", body)
            }
            _ => (
                404,
                "text/plain; charset=utf-8",
                "not found: try /healthz or /metrics\n".into(),
            ),
        }
    }
}

/// Runs `serve` until Ctrl-C/SIGTERM.
pub fn main(args: &ServeArgs, ecolor: bool) -> u8 {
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
    let waivers = match load_waivers(args.waivers.as_deref(), &args.catalogue.root, &cat, ecolor) {
        Ok(w) => w,
        Err(code) => return code,
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
    let redactor = Arc::new(Redactor::with_values(cat.secrets.iter().cloned()));
    let code = rt.block_on(async {
        let listener = match TcpListener::bind(&args.listen).await {
            Ok(l) => l,
            Err(e) => {
                eprintln!(
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
            cat,
            plan: RunPlan {
                concurrency: {
                    let c = crate::app::cap_concurrency(
                        args.concurrency,
                        crate::app::open_file_limit(),
                    );
                    if let Some(note) = &c.note {
                        eprintln!("{note}");
                    }
                    c.value
                },
                deadline: None,
                selected,
                wait: None,
                interval: Duration::ZERO,
                progress: false,
                chatty: false,
                workers: None,
            },
            interval: args.interval,
            redactor,
            waivers,
            run_lock: Mutex::new(None),
            runs: AtomicUsize::new(0),
            in_flight: AtomicUsize::new(0),
            max_in_flight: AtomicUsize::new(0),
            cancel: rx,
        });
        eprintln!("readyctl: serving http://{addr} (/healthz, /metrics)");
        let stop = crate::app::wait_for_signal();
        tokio::pin!(stop);
        loop {
            tokio::select! {
                accepted = listener.accept() => {
                    if let Ok((stream, peer)) = accepted {
                        let server = server.clone();
                        tokio::spawn(async move { handle(server, stream, peer).await });
                    }
                }
                _ = &mut stop => {
                    let _ = tx.send(true);
                    eprintln!("readyctl: stopping");
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
        "GET" | "HEAD" => server.respond(path).await,
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
