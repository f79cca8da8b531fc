#![allow(
    clippy::disallowed_macros,
    reason = "tests say what they skip and measure"
)]
//! Hostile input beyond catalogues: malformed `.env` files, alembic
//! revisions, `redis.conf`, policy HCL and init SQL (truncated, invalid
//! UTF-8, binary, wrong types, huge lines, over the size limit) from
//! `tests/corpus/{envfile,alembic,redisconf,policy,initsql}/`. Each one,
//! run through the kind that reads it, ends in a failing finding that points
//! at the file, or in an `error` result naming it — never a panic, a hang or
//! unbounded memory.

mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::Value;

/// Where a corpus file goes under the root, and the check that reads it.
fn setup(kind: &str, root: &Path, src_name: &str, bytes: &[u8]) -> String {
    let put = |rel: &str| {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, bytes).unwrap();
    };
    match kind {
        "envfile" => {
            put(".env.production");
            "{id: t, kind: env_file, path: .env.production, required: [KEY]}".into()
        }
        "alembic" => {
            put(&format!("alembic/versions/{src_name}"));
            std::fs::write(root.join("init.sql"), "CREATE EXTENSION \"uuid-ossp\";\n").unwrap();
            "{id: t, kind: postgres, source: file, path: init.sql, migrations: alembic/versions}"
                .into()
        }
        "redisconf" => {
            put(&format!("redis/{src_name}"));
            format!(
                "{{id: t, kind: redis, source: file, path: redis/{src_name}, persistence: aof, config: {{maxmemory: 1mb}}}}"
            )
        }
        "policy" => {
            put(&format!("vault/{src_name}"));
            format!(
                "{{id: t, kind: vault, policy: vault/{src_name}, forbid: [sudo], grants: {{\"secret/data/*\": [read]}}}}"
            )
        }
        "initsql" => {
            put(&format!("database/{src_name}"));
            format!(
                "{{id: t, kind: postgres, source: file, path: database/{src_name}, extensions: [uuid-ossp], settings: {{max_connections: 200}}}}"
            )
        }
        other => unreachable!("{other}"),
    }
}

fn run_one(kind: &str, name: &str, bytes: &[u8]) -> Value {
    let root = tempfile::tempdir().unwrap();
    let check = setup(kind, root.path(), name, bytes);
    let cat = root.path().join("readyctl.yml");
    std::fs::write(&cat, format!("version: 1\nchecks:\n  - {check}\n")).unwrap();
    let t0 = Instant::now();
    let out = common::readyctl()
        .args(["check", "--format", "json", "-c"])
        .arg(&cat)
        .arg("--root")
        .arg(root.path())
        .timeout(Duration::from_secs(30))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let what = format!("{kind}/{name}");
    for bad in ["panicked", "RUST_BACKTRACE", "stack overflow"] {
        assert!(!stderr.contains(bad), "{what}: {bad}:\n{stderr}");
    }
    assert!(
        matches!(out.status.code(), Some(1 | 3)),
        "{what}: exit code {:?} (1: failed, 3: check error); stderr:\n{stderr}",
        out.status.code()
    );
    assert!(
        t0.elapsed() < Duration::from_secs(20),
        "{what}: took {:?}",
        t0.elapsed()
    );
    let report: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{what}: not JSON ({e}); stderr:\n{stderr}"));
    let c = report["checks"][0].clone();
    let status = c["status"].as_str().unwrap_or_default().to_string();
    let message = c["message"].as_str().unwrap_or_default();
    match status.as_str() {
        "fail" => {
            let located = c["findings"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f["file"].as_str().is_some_and(|f| !f.is_empty()));
            assert!(located, "{what}: failing finding without a file: {c}");
        }
        "error" => assert!(!message.is_empty(), "{what}: error without a reason: {c}"),
        other => panic!("{what}: expected fail or error, got {other}: {c}"),
    }
    eprintln!(
        "{what:>36}  {status:>5}  {}",
        message.chars().take(110).collect::<String>()
    );
    c
}

fn corpus(kind: &str) -> Vec<(String, PathBuf)> {
    let dir = common::repo(&format!("tests/corpus/{kind}"));
    let mut files: Vec<(String, PathBuf)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            (p.file_name().unwrap().to_string_lossy().into_owned(), p)
        })
        .collect();
    files.sort();
    assert!(files.len() >= 5, "{kind} corpus shrank to {}", files.len());
    files
}

fn ext(kind: &str) -> &'static str {
    match kind {
        "envfile" => "env",
        "alembic" => "py",
        "redisconf" => "conf",
        "policy" => "hcl",
        _ => "sql",
    }
}

fn every_file_of(kind: &str) {
    for (name, path) in corpus(kind) {
        run_one(kind, &name, &std::fs::read(&path).unwrap());
    }
    // Generated: a 1 MiB line (under every limit) and a file over the limit.
    let long_line = format!("{}\n", "x".repeat(1 << 20));
    run_one(
        kind,
        &format!("long-line.{}", ext(kind)),
        long_line.as_bytes(),
    );
    let huge = "# filler line that repeats\n".repeat(9 * 1024 * 1024 / 27 + 1);
    let c = run_one(kind, &format!("huge.{}", ext(kind)), huge.as_bytes());
    let text = c.to_string();
    assert!(
        text.contains("limit") || text.contains("over"),
        "{kind}: a file over the size limit is not refused as such: {c}"
    );
}

#[test]
fn malformed_env_files_end_located() {
    every_file_of("envfile");
}

#[test]
fn malformed_alembic_revisions_end_located() {
    every_file_of("alembic");
}

#[test]
fn malformed_redis_conf_ends_located() {
    every_file_of("redisconf");
}

#[test]
fn malformed_policy_hcl_ends_located() {
    every_file_of("policy");
}

#[test]
fn malformed_init_sql_ends_located() {
    every_file_of("initsql");
}
