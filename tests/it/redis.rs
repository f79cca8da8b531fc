//! The `redis` kind against real Redis 7 servers started by
//! `scripts/services/redis.sh` (production-like, open, and CONFIG-disabled),
//! and against `redis.conf` files.

mod common;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use serde_json::Value;

/// Expectations the checklist sets for Redis, shared by file and live checks.
const PRODUCTION: &str = "    auth_required: true
    persistence: aof
    config:
      appendonly: \"yes\"
      maxmemory: 256mb
      maxmemory-policy: allkeys-lru
";

/// Runs a catalogue with `--root root`; returns (exit code, stdout, report).
fn run(catalogue: &str, root: &std::path::Path) -> (i32, String, Value) {
    let (_dir, path) = common::catalogue(catalogue);
    let out = common::readyctl()
        .args(["check", "--format", "json", "--catalog"])
        .arg(&path)
        .arg("--root")
        .arg(root)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let report: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().unwrap_or(-1), stdout, report)
}

fn check<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no check {id} in {report}"))
}

fn status(report: &Value, id: &str) -> String {
    check(report, id)["status"].as_str().unwrap().to_string()
}

fn message(report: &Value, id: &str) -> String {
    check(report, id)["message"].as_str().unwrap().to_string()
}

/// The verdict of a check as a comparable set: each finding's code and the
/// setting it is about (the message's first word).
fn verdicts(report: &Value, id: &str) -> (String, BTreeSet<String>) {
    let c = check(report, id);
    let set = c["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let code = f["code"].as_str().unwrap_or("");
            let about = if code == "redis/config" {
                f["message"]
                    .as_str()
                    .unwrap()
                    .split_whitespace()
                    .next()
                    .unwrap()
                    .to_string()
            } else {
                String::new()
            };
            format!("{code} {about}")
        })
        .collect();
    (c["status"].as_str().unwrap().to_string(), set)
}

#[test]
fn production_like_server_passes_and_password_is_never_printed() {
    let Some(url) = common::service("READYCTL_TEST_REDIS_URL") else {
        return;
    };
    let password = common::service("READYCTL_TEST_REDIS_PASSWORD").unwrap();
    let cat = format!(
        "version: 1\nchecks:\n  - id: redis.live\n    kind: redis\n    url: {url}\n    version: \">=7\"\n{PRODUCTION}"
    );
    let (code, stdout, report) = run(&cat, std::path::Path::new("."));
    assert_eq!(status(&report, "redis.live"), "pass", "{stdout}");
    assert_eq!(code, 0);
    assert!(message(&report, "redis.live").contains("all 6 expectations hold (Redis 7."));
    assert!(!stdout.contains(&password), "password leaked: {stdout}");
}

#[test]
fn open_server_fails_and_names_every_unmet_expectation() {
    let Some(url) = common::service("READYCTL_TEST_REDIS_OPEN_URL") else {
        return;
    };
    let cat = format!(
        "version: 1\nchecks:\n  - id: redis.open\n    kind: redis\n    url: {url}\n    version: \">=8\"\n{PRODUCTION}"
    );
    let (code, _, report) = run(&cat, std::path::Path::new("."));
    assert_eq!(code, 1);
    assert_eq!(status(&report, "redis.open"), "fail");
    let messages: Vec<String> = check(&report, "redis.open")["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["message"].as_str().unwrap().to_string())
        .collect();
    let has = |s: &str| messages.iter().any(|m| m.contains(s));
    assert!(has("Redis version is 7."), "{messages:?}");
    assert!(has("expected >=8"), "{messages:?}");
    assert!(has("appendonly is no on 127.0.0.1:"), "{messages:?}");
    assert!(has("expected yes"), "{messages:?}");
    assert!(has("maxmemory is 0 on"), "{messages:?}");
    assert!(has("expected 268435456 bytes (256MB)"), "{messages:?}");
    assert!(has("maxmemory-policy is noeviction"), "{messages:?}");
    assert!(has("accepts clients without a password"), "{messages:?}");
}

#[test]
fn file_and_live_server_give_the_same_verdicts() {
    let (Some(prod), Some(open)) = (
        common::service("READYCTL_TEST_REDIS_URL"),
        common::service("READYCTL_TEST_REDIS_OPEN_URL"),
    ) else {
        return;
    };
    // A config file that describes the open server: no AOF, no limits, no password.
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("redis")).unwrap();
    std::fs::write(
        dir.path().join("redis/redis.conf"),
        "# cache only\nport 6379\nappendonly no\nsave \"\"\n",
    )
    .unwrap();
    std::fs::create_dir_all(dir.path().join("fixed/redis")).unwrap();
    std::fs::copy(
        common::fixture("dotmac/fixed/redis/redis.conf"),
        dir.path().join("fixed/redis/redis.conf"),
    )
    .unwrap();
    let cat = format!(
        "version: 1
checks:
  - id: file.good
    kind: redis
    source: file
    path: fixed/redis/redis.conf
{PRODUCTION}  - id: live.good
    kind: redis
    url: {prod}
{PRODUCTION}  - id: file.bad
    kind: redis
    source: file
    path: redis/redis.conf
{PRODUCTION}  - id: live.bad
    kind: redis
    url: {open}
{PRODUCTION}"
    );
    let (_, _, report) = run(&cat, dir.path());
    let good = verdicts(&report, "file.good");
    assert_eq!(good.0, "pass", "{report}");
    assert_eq!(good, verdicts(&report, "live.good"));
    let bad = verdicts(&report, "file.bad");
    assert_eq!(bad.0, "fail");
    assert_eq!(bad, verdicts(&report, "live.bad"), "{report}");
    assert_eq!(bad.1.len(), 5, "{bad:?}");
    // The file findings point at the config line, or at the file for defaults.
    let findings = check(&report, "file.bad")["findings"]
        .as_array()
        .unwrap()
        .clone();
    let appendonly = findings
        .iter()
        .find(|f| {
            f["message"]
                .as_str()
                .unwrap()
                .starts_with("appendonly is no in redis/redis.conf")
        })
        .unwrap();
    assert_eq!(appendonly["line"], 3);
    let policy = findings
        .iter()
        .find(|f| {
            f["message"]
                .as_str()
                .unwrap()
                .starts_with("maxmemory-policy is not set")
        })
        .unwrap();
    assert_eq!(policy["file"], "redis/redis.conf");
}

#[test]
fn disabled_config_command_falls_back_to_info_with_a_warning() {
    let Some(url) = common::service("READYCTL_TEST_REDIS_NOCONFIG_URL") else {
        return;
    };
    let cat = format!(
        "version: 1\nchecks:\n  - id: redis.nocfg\n    kind: redis\n    url: {url}\n    config:\n      appendonly: \"yes\"\n      maxmemory: 256mb\n  - id: redis.nocfg-unknown\n    kind: redis\n    url: {url}\n    config:\n      tcp-keepalive: 300\n"
    );
    let (_, _, report) = run(&cat, std::path::Path::new("."));
    assert_eq!(status(&report, "redis.nocfg"), "warn", "{report}");
    let m = message(&report, "redis.nocfg");
    assert!(
        m.contains("CONFIG GET is unavailable")
            && m.contains("renamed or disabled: unknown command"),
        "{m}"
    );
    assert!(m.contains("values were read from INFO"), "{m}");
    // What INFO cannot tell is an error, not a silent pass.
    assert_eq!(status(&report, "redis.nocfg-unknown"), "error");
    assert!(message(&report, "redis.nocfg-unknown").contains("INFO does not report it"));
}

#[test]
fn refused_hanging_and_wrong_password_fail_with_distinct_reasons_within_the_timeout() {
    let Some(url) = common::service("READYCTL_TEST_REDIS_URL") else {
        return;
    };
    let port = url.rsplit(':').next().unwrap();
    // A port that accepts connections and never answers.
    let hang = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let hang_port = hang.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for s in hang.incoming() {
            held.push(s);
        }
    });
    // A closed port: bind, note the port, release it.
    let closed_port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let wrong = "Wrong-Passw0rd-That-Must-Not-Leak";
    let cat = format!(
        "version: 1
defaults:
  timeout: 2s
checks:
  - id: redis.refused
    kind: redis
    url: redis://127.0.0.1:{closed_port}
  - id: redis.hang
    kind: redis
    url: redis://127.0.0.1:{hang_port}
  - id: redis.wrongpass
    kind: redis
    url: redis://default:{wrong}@127.0.0.1:{port}
  - id: redis.nopass
    kind: redis
    url: redis://127.0.0.1:{port}
"
    );
    let started = Instant::now();
    let (code, stdout, report) = run(&cat, std::path::Path::new("."));
    let took = started.elapsed();
    assert_eq!(code, 1);
    assert!(took < Duration::from_secs(4), "took {took:?}");
    for id in [
        "redis.refused",
        "redis.hang",
        "redis.wrongpass",
        "redis.nopass",
    ] {
        assert_eq!(status(&report, id), "fail", "{id}: {report}");
    }
    assert!(message(&report, "redis.refused").contains("connection refused"));
    let hang_msg = message(&report, "redis.hang");
    assert!(
        hang_msg.contains("accepted the connection but did not answer as Redis within"),
        "{hang_msg}"
    );
    assert!(
        message(&report, "redis.wrongpass").contains("authentication failed at 127.0.0.1:")
            && message(&report, "redis.wrongpass").contains("WRONGPASS")
    );
    assert!(message(&report, "redis.nopass").contains("requires a password (NOAUTH)"));
    assert!(!stdout.contains(wrong), "password leaked: {stdout}");
    let hang_ms = check(&report, "redis.hang")["duration_ms"]
        .as_f64()
        .unwrap();
    assert!(hang_ms < 2100.0, "the hang took {hang_ms} ms");
}
