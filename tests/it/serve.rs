//! `readyctl serve`: a probe a kubelet can use. Runs start with the server
//! and repeat on the interval; /readyz answers at once from the last
//! completed run (503 before the first), /livez is about the process, never
//! two catalogue runs at once, `--fail-on`, SIGHUP reloads. The docs'
//! Kubernetes manifest and compose service are checked against what serve
//! offers.

use crate::common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::catalogue;

struct Served {
    child: Child,
    addr: String,
    log: std::sync::Arc<std::sync::Mutex<String>>,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(cat: &std::path::Path, interval: &str) -> Served {
    serve_with(cat, interval, &[])
}

fn serve_with(cat: &std::path::Path, interval: &str, extra: &[&str]) -> Served {
    let mut child = Command::new(env!("CARGO_BIN_EXE_readyctl"))
        .args(["serve", "--listen", "127.0.0.1:0", "--interval", interval])
        .args(extra)
        .arg("--catalog")
        .arg(cat)
        .arg("--root")
        .arg(cat.parent().unwrap())
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    stderr.read_line(&mut line).unwrap();
    // Keep reading stderr (reload messages) so the child never blocks on it.
    let log = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let sink = log.clone();
    std::thread::spawn(move || {
        let mut l = String::new();
        while stderr.read_line(&mut l).map(|n| n > 0).unwrap_or(false) {
            sink.lock().unwrap().push_str(&l);
            l.clear();
        }
    });
    let addr = line
        .split("http://")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .to_string();
    Served { child, addr, log }
}

/// A minimal HTTP/1.1 GET: (status, body).
fn get(addr: &str, path: &str) -> (u16, String) {
    get_within(addr, path, Duration::from_secs(20))
}

/// Polls `path` until `ok(status, body)`, for at most `secs`.
fn until(addr: &str, path: &str, secs: u64, ok: impl Fn(u16, &str) -> bool) -> (u16, String) {
    let end = Instant::now() + Duration::from_secs(secs);
    loop {
        let (st, body) = get(addr, path);
        if ok(st, &body) || Instant::now() > end {
            return (st, body);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A GET with a read timeout, like a kubelet probe's `timeoutSeconds`.
fn get_within(addr: &str, path: &str, timeout: Duration) -> (u16, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(timeout)).unwrap();
    write!(s, "GET {path} HTTP/1.1\r\nHost: {addr}\r\n\r\n").unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).unwrap();
    let status = resp
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("bad response {resp:?}"));
    let body = resp.split("\r\n\r\n").nth(1).unwrap_or("").to_string();
    (status, body)
}

fn metric(body: &str, name: &str) -> f64 {
    body.lines()
        .find_map(|l| l.strip_prefix(&format!("{name} ")))
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no {name} in {body}"))
}

fn has_report(body: &str) -> bool {
    body.contains("\"checks\"")
}

#[test]
fn healthz_is_503_while_a_dependency_is_down_and_200_once_it_is_up() {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let (_dir, cat) = catalogue(&format!(
        "version: 1\nchecks:\n  - id: dep.port\n    kind: tcp\n    address: 127.0.0.1:{port}\n    timeout: 1s\n"
    ));
    let s = serve(&cat, "300ms");
    // Requests no longer wait for a run: poll until the first one completed.
    let (status, body) = until(&s.addr, "/healthz", 20, |_, b| has_report(b));
    assert_eq!(status, 503, "{body}");
    let report: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(report["checks"][0]["status"], "fail");

    let _up = TcpListener::bind(("127.0.0.1", port)).unwrap();
    let (status, body) = until(&s.addr, "/readyz", 20, |st, _| st == 200);
    assert_eq!(status, 200, "{body}");

    let (status, metrics) = get(&s.addr, "/metrics");
    assert_eq!(status, 200);
    assert!(
        metrics.contains(
            r#"readyctl_check_success{id="dep.port",kind="tcp",severity="medium",status="pass"} 1"#
        ),
        "{metrics}"
    );
    assert_eq!(get(&s.addr, "/nope").0, 404);
    assert_eq!(get(&s.addr, "/livez").0, 200);
}

/// Probes every 200 ms with a 1 s timeout while each run takes 5 s: every
/// answer well inside the probe timeout (a probe that waited for the run
/// would take seconds; the bound leaves room for a loaded CI machine, which
/// has been seen to take 54 ms), 503 "starting" before the first run, and 200
/// within one interval (plus the run in flight) after the dependency is up.
#[test]
fn probes_answer_at_once_while_a_slow_run_is_in_flight() {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let (_dir, cat) = catalogue(&format!(
        "version: 1\nchecks:\n  - id: slow.command\n    kind: command\n    run: [sleep, \"5\"]\n    timeout: 20s\n  - id: dep.port\n    kind: tcp\n    address: 127.0.0.1:{port}\n    timeout: 1s\n"
    ));
    let interval = Duration::from_secs(6);
    let s = serve(&cat, "6s");
    let t0 = Instant::now();
    let mut slowest = Duration::ZERO;
    let mut statuses = Vec::new();
    let mut up: Option<(TcpListener, Instant)> = None;
    let mut flipped = None;
    while t0.elapsed() < Duration::from_secs(40) {
        let asked = Instant::now();
        let (st, body) = get_within(&s.addr, "/readyz", Duration::from_secs(1));
        let took = asked.elapsed();
        slowest = slowest.max(took);
        if statuses.is_empty() {
            assert_eq!(st, 503);
            assert!(
                body.contains("no catalogue run has completed yet"),
                "{body}"
            );
        }
        statuses.push(st);
        if up.is_none() && has_report(&body) {
            assert_eq!(st, 503, "the dependency is down: {body}");
            up = Some((
                TcpListener::bind(("127.0.0.1", port)).unwrap(),
                Instant::now(),
            ));
        }
        if st == 200 {
            flipped = Some(up.as_ref().unwrap().1.elapsed());
            break;
        }
        std::thread::sleep(Duration::from_millis(200).saturating_sub(took));
    }
    let flipped = flipped.unwrap_or_else(|| panic!("never 200: {statuses:?}"));
    assert!(
        slowest < Duration::from_millis(500),
        "slowest probe {slowest:?}: a probe waited on the run in flight"
    );
    // The run in flight when it came up may have probed too early; the next
    // one, at most one interval later, sees it.
    assert!(
        flipped <= interval + Duration::from_secs(7),
        "flipped after {flipped:?}"
    );
    assert!(statuses.len() > 20, "{statuses:?}");
}

#[test]
fn fail_on_ignores_failures_below_the_severity() {
    let (_dir, cat) = catalogue(
        "version: 1\nchecks:\n  - id: low.file\n    kind: file\n    severity: low\n    path: missing.txt\n",
    );
    let s = serve_with(&cat, "1s", &["--fail-on", "high"]);
    let (status, body) = until(&s.addr, "/readyz", 20, |_, b| has_report(b));
    assert_eq!(status, 200, "{body}");
    assert!(body.contains(r#""status": "fail""#), "{body}");
    let strict = serve_with(&cat, "1s", &[]);
    let (status, _) = until(&strict.addr, "/readyz", 20, |_, b| has_report(b));
    assert_eq!(status, 503);
}

#[test]
fn sighup_reloads_and_keeps_the_old_catalogue_when_the_new_one_is_invalid() {
    let (_dir, cat) = catalogue(
        "version: 1\nchecks:\n  - id: first.file\n    kind: file\n    path: readyctl.yml\n",
    );
    let s = serve(&cat, "300ms");
    let (status, body) = until(&s.addr, "/readyz", 20, |_, b| has_report(b));
    assert_eq!(status, 200, "{body}");
    let hup = |pid: u32| {
        assert!(
            Command::new("kill")
                .args(["-HUP", &pid.to_string()])
                .status()
                .unwrap()
                .success()
        );
    };
    std::fs::write(&cat, "version: 1\nchecks:\n  - id: broken\n    kind: fle\n").unwrap();
    hup(s.child.id());
    let end = Instant::now() + Duration::from_secs(10);
    while !s.log.lock().unwrap().contains("still serving the old one") && Instant::now() < end {
        std::thread::sleep(Duration::from_millis(50));
    }
    let log = s.log.lock().unwrap().clone();
    assert!(log.contains("unknown check kind `fle`"), "{log}");
    assert!(log.contains("still serving the old one"), "{log}");
    std::thread::sleep(Duration::from_millis(500));
    let (status, body) = get(&s.addr, "/readyz");
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("first.file"), "{body}");

    std::fs::write(
        &cat,
        "version: 1\nchecks:\n  - id: second.file\n    kind: file\n    path: missing.txt\n",
    )
    .unwrap();
    hup(s.child.id());
    let (status, body) = until(&s.addr, "/readyz", 20, |_, b| b.contains("second.file"));
    assert_eq!(status, 503, "{body}");
    let (_, metrics) = get(&s.addr, "/metrics");
    assert_eq!(
        metric(&metrics, "readyctl_serve_reloads_total"),
        1.0,
        "{metrics}"
    );
}

#[test]
fn concurrent_requests_never_start_a_second_run() {
    // Was: eight requests together shared one run started by the first of
    // them. Now runs belong to the scheduler: requests read the last report.
    let (_dir, cat) = catalogue(
        "version: 1\nchecks:\n  - id: slow.command\n    kind: command\n    run: [sleep, \"1\"]\n",
    );
    let s = serve(&cat, "5s");
    until(&s.addr, "/readyz", 20, |st, _| st == 200);
    let addr = s.addr.clone();
    let handles: Vec<_> = (0..8)
        .map(|_| {
            let addr = addr.clone();
            std::thread::spawn(move || get(&addr, "/healthz").0)
        })
        .collect();
    for h in handles {
        assert_eq!(h.join().unwrap(), 200);
    }
    let (_, metrics) = get(&s.addr, "/metrics");
    assert!(
        metric(&metrics, "readyctl_serve_runs_total") <= 2.0,
        "{metrics}"
    );
    assert_eq!(metric(&metrics, "readyctl_serve_max_concurrent_runs"), 1.0);
}

/// The docs' Kubernetes manifest and compose service use only what serve
/// offers: every flag is in `serve --help`, every probed path answers (not
/// 404), and the probes hit the port `--listen` binds.
#[test]
fn docs_examples_match_what_serve_offers() {
    let help = Command::new(env!("CARGO_BIN_EXE_readyctl"))
        .args(["serve", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&help.stdout).into_owned();
    let (_dir, cat) =
        catalogue("version: 1\nchecks:\n  - id: ok.file\n    kind: file\n    path: readyctl.yml\n");
    let s = serve(&cat, "1s");
    until(&s.addr, "/readyz", 20, |st, _| st == 200);
    let flag = regex::Regex::new(r"(--[a-z][a-z-]+)").unwrap();
    let path = regex::Regex::new(r"(?:path: |127\.0\.0\.1:\d+)(/[a-z]+)").unwrap();
    let listen = regex::Regex::new(r#"--listen[",\s-]+"?0\.0\.0\.0:(\d+)"#).unwrap();
    let probe_port = regex::Regex::new(r"(?:port: |127\.0\.0\.1:)(\d+)").unwrap();
    for doc in ["docs/serve/kubernetes.yaml", "docs/serve/compose.yaml"] {
        let text = std::fs::read_to_string(common::repo(doc)).unwrap();
        let flags: Vec<&str> = flag
            .captures_iter(&text)
            .map(|c| c.get(1).unwrap().as_str())
            .collect();
        assert!(flags.contains(&"--fail-on"), "{doc}");
        for f in flags {
            assert!(help.contains(f), "{doc}: `{f}` is not a serve flag");
        }
        let paths: Vec<&str> = path
            .captures_iter(&text)
            .map(|c| c.get(1).unwrap().as_str())
            .collect();
        assert!(paths.contains(&"/readyz"), "{doc}: {paths:?}");
        for p in paths {
            assert_ne!(get(&s.addr, p).0, 404, "{doc}: {p}");
        }
        let port = &listen
            .captures(&text)
            .unwrap_or_else(|| panic!("{doc}: no --listen"))[1];
        for c in probe_port.captures_iter(&text) {
            assert_eq!(&c[1], port, "{doc}: probe port");
        }
    }
}

/// The Kubernetes manifest is valid for the API server — checked by
/// kubernetes-validate against Kubernetes' own JSON schemas, strictly (an
/// unknown field fails) — and its ConfigMap holds a catalogue readyctl
/// loads. The same tool must refuse a broken copy, so the check can fail.
#[test]
fn kubernetes_manifest_is_valid_for_the_api_server_and_carries_a_valid_catalogue() {
    let Some(validate) = common::service("READYCTL_TEST_K8S_VALIDATE") else {
        return;
    };
    let doc = common::repo("docs/serve/kubernetes.yaml");
    let run = |path: &std::path::Path| {
        let out = Command::new(&validate)
            .args(["--kubernetes-version", "1.31.0", "--strict"])
            .arg(path)
            .output()
            .expect("run kubernetes-validate");
        (
            out.status.success(),
            format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        )
    };
    let (ok, text) = run(&doc);
    assert!(ok, "{text}");
    for resource in [
        "configmap/readyctl-checks",
        "deployment/app",
        "job/readyctl-predeploy",
    ] {
        assert!(
            text.contains(&format!("passed for resource {resource}")),
            "{resource}: {text}"
        );
    }
    let manifest = std::fs::read_to_string(&doc).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let broken = dir.path().join("broken.yaml");
    std::fs::write(
        &broken,
        manifest.replace("containerPort:", "containerPortt:"),
    )
    .unwrap();
    let (ok, text) = run(&broken);
    assert!(!ok && text.contains("containerPort"), "{text}");
    // The catalogue in the ConfigMap, as the container sees it.
    let body: String = manifest
        .split("checks.yml: |\n")
        .nth(1)
        .unwrap()
        .lines()
        .take_while(|l| l.starts_with("    "))
        .map(|l| format!("{}\n", &l[4..]))
        .collect();
    let cat = dir.path().join("checks.yml");
    std::fs::write(&cat, body).unwrap();
    let out = common::readyctl()
        .args(["validate", "--catalog"])
        .arg(&cat)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
