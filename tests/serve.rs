//! `readyctl serve`: 503 while a dependency is down, 200 once it is up, and
//! never two catalogue runs at once.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::catalogue;

struct Served {
    child: Child,
    addr: String,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(cat: &std::path::Path, interval: &str) -> Served {
    let mut child = Command::new(env!("CARGO_BIN_EXE_readyctl"))
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--interval",
            interval,
            "--catalog",
        ])
        .arg(cat)
        .arg("--root")
        .arg(cat.parent().unwrap())
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stderr.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .split("http://")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .to_string();
    Served { child, addr }
}

/// A minimal HTTP/1.1 GET: (status, body).
fn get(addr: &str, path: &str) -> (u16, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
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
    let (status, body) = get(&s.addr, "/healthz");
    assert_eq!(status, 503, "{body}");
    let report: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(report["checks"][0]["status"], "fail");

    let _up = TcpListener::bind(("127.0.0.1", port)).unwrap();
    std::thread::sleep(Duration::from_millis(400));
    let (status, body) = get(&s.addr, "/healthz");
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
}

#[test]
fn concurrent_requests_share_one_run() {
    // Each run takes about a second; eight requests arrive together.
    let (_dir, cat) = catalogue(
        "version: 1\nchecks:\n  - id: slow.command\n    kind: command\n    run: [sleep, \"1\"]\n",
    );
    let s = serve(&cat, "5s");
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
    assert_eq!(
        metric(&metrics, "readyctl_serve_runs_total"),
        1.0,
        "{metrics}"
    );
    assert_eq!(metric(&metrics, "readyctl_serve_max_concurrent_runs"), 1.0);
}
