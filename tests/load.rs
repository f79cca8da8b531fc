#![allow(
    clippy::disallowed_macros,
    reason = "tests say what they skip and measure"
)]
//! Load: 1,000 checks here (5,000 in `bench/load.py`, too slow for the
//! test suite in a debug build: ~50 s per run) at concurrency 256 against local services — tcp to a
//! listener, file checks, http to an in-process server (plus redis and
//! postgres when their test servers are up). Every check has exactly one
//! result, the report order is the catalogue order on every run, nothing
//! runs out of file descriptors, and a low open-file limit lowers the
//! concurrency with a one-line notice instead of failing checks.
//! `bench/load.py` runs the same load and measures wall time and peak memory.

mod common;

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use serde_json::Value;

/// Checks per run; `READYCTL_LOAD_CHECKS=5000` for the full load.
fn checks() -> usize {
    std::env::var("READYCTL_LOAD_CHECKS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000)
}

/// A blocking HTTP/1.1 server: one thread per connection, `200 ok` to all.
fn http_server() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for s in listener.incoming().flatten() {
            std::thread::spawn(move || {
                let mut s = s;
                let mut buf = [0u8; 4096];
                let mut seen = Vec::new();
                loop {
                    match s.read(&mut buf) {
                        Ok(0) | Err(_) => return,
                        Ok(n) => seen.extend_from_slice(&buf[..n]),
                    }
                    while let Some(end) = seen.windows(4).position(|w| w == b"\r\n\r\n") {
                        seen.drain(..end + 4);
                        let _ = s.write_all(
                            b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: text/plain\r\n\r\nok",
                        );
                    }
                }
            });
        }
    });
    port
}

/// A listener that accepts and closes.
fn tcp_listener() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || for _ in listener.incoming() {});
    port
}

fn catalogue(root: &std::path::Path) -> (String, Vec<String>) {
    let http = http_server();
    let tcp = tcp_listener();
    for i in 0..100 {
        std::fs::write(root.join(format!("f{i}.txt")), format!("line {i}\n")).unwrap();
    }
    let redis = common::service("READYCTL_TEST_REDIS_URL");
    let pg = common::service("READYCTL_TEST_PG_URL");
    let mut text = String::from("version: 1\nchecks:\n");
    let n = checks();
    let mut ids = Vec::with_capacity(n);
    for i in 0..n {
        // Ids deliberately not in sorted order, so order is the catalogue's.
        // (7919 is prime: a permutation for any n it does not divide.)
        let id = format!("c{:05}", (i * 7919) % n);
        let spec = match i % 10 {
            0..=3 => format!("kind: tcp, address: \"127.0.0.1:{tcp}\""),
            4..=6 => format!("kind: file, path: f{}.txt", i % 100),
            7 if i % 100 == 7 && redis.is_some() => {
                format!(
                    "kind: redis, url: \"{}\"",
                    redis.as_deref().unwrap_or_default()
                )
            }
            8 if i % 100 == 8 && pg.is_some() => {
                format!(
                    "kind: postgres, url: \"{}\", tls: disable",
                    pg.as_deref().unwrap_or_default()
                )
            }
            _ => format!("kind: http, url: \"http://127.0.0.1:{http}/h{i}\""),
        };
        text.push_str(&format!("  - {{id: {id}, {spec}, timeout: 60s}}\n"));
        ids.push(id);
    }
    (text, ids)
}

fn run(
    cat: &std::path::Path,
    root: &std::path::Path,
    shell_prefix: Option<&str>,
) -> (Value, String, Duration) {
    let bin = assert_cmd::cargo::cargo_bin!("readyctl");
    let mut cmd = match shell_prefix {
        None => std::process::Command::new(bin),
        Some(prefix) => {
            let mut c = std::process::Command::new("sh");
            c.arg("-c")
                .arg(format!("{prefix}; exec \"$0\" \"$@\""))
                .arg(bin);
            c
        }
    };
    cmd.args([
        "check",
        "--format",
        "json",
        "--concurrency",
        "256",
        "--deadline",
        "5m",
        "-c",
    ])
    .arg(cat)
    .arg("--root")
    .arg(root);
    let t0 = Instant::now();
    let out = cmd.output().unwrap();
    let took = t0.elapsed();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    let report: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}); stderr:\n{stderr}"));
    (report, stderr, took)
}

fn assert_complete(report: &Value, ids: &[String], stderr: &str) {
    let checks = report["checks"].as_array().unwrap();
    let got: Vec<&str> = checks.iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(got.len(), ids.len(), "one result per check");
    assert!(
        got.iter().zip(ids).all(|(a, b)| *a == b.as_str()),
        "report order is not the catalogue order"
    );
    for c in checks {
        assert_eq!(c["status"], "pass", "{c}\nstderr: {stderr}");
    }
    let text = report.to_string().to_lowercase();
    assert!(!text.contains("too many open files"), "fd exhaustion");
    assert_eq!(report["interrupted"], false);
}

#[test]
fn thousands_of_checks_at_concurrency_256_all_report_once_in_order() {
    let root = tempfile::tempdir().unwrap();
    let (text, ids) = catalogue(root.path());
    let cat = root.path().join("readyctl.yml");
    std::fs::write(&cat, text).unwrap();
    let (first, stderr1, t1) = run(&cat, root.path(), None);
    assert_complete(&first, &ids, &stderr1);
    let (second, stderr2, t2) = run(&cat, root.path(), None);
    assert_complete(&second, &ids, &stderr2);
    eprintln!("{} checks @256: {t1:?}, then {t2:?}", ids.len());

    // Under a low open-file limit, the run lowers its concurrency and says so
    // in one line — and still gives every check its result.
    let (low, stderr, t3) = run(&cat, root.path(), Some("ulimit -n 256"));
    eprintln!("{} checks under ulimit -n 256: {t3:?}", ids.len());
    let notes: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains("lowered to"))
        .collect();
    assert_eq!(notes.len(), 1, "{stderr}");
    assert!(
        notes[0].contains("--concurrency 256 lowered to 48")
            && notes[0].contains("open-file limit is 256"),
        "{}",
        notes[0]
    );
    assert_complete(&low, &ids, &stderr);
}
