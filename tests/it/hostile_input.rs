//! Hostile and malformed catalogues: every one ends in exit 2 with a located
//! message — never a panic, a backtrace or a hang. The committed corpus lives
//! in `tests/corpus/catalogue/`; very large inputs are generated here.

use crate::common;

use std::time::{Duration, Instant};

fn assert_located_rejection(path: &std::path::Path) {
    let t0 = Instant::now();
    let out = common::readyctl()
        .args(["validate", "--catalog"])
        .arg(path)
        .output()
        .expect("run readyctl");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let name = path.display().to_string();
    assert_eq!(
        out.status.code(),
        Some(2),
        "{name}: expected exit 2, stderr:\n{stderr}"
    );
    assert!(
        stderr.contains(&format!("{name}:")),
        "{name}: no file:line:column in\n{stderr}"
    );
    assert!(
        stderr.contains("help:") || stderr.contains("hint"),
        "{name}: no hint in\n{stderr}"
    );
    for bad in ["panicked", "RUST_BACKTRACE", "stack overflow"] {
        assert!(!stderr.contains(bad), "{name}: {bad} in\n{stderr}");
    }
    assert!(
        t0.elapsed() < Duration::from_secs(10),
        "{name}: took {:?}",
        t0.elapsed()
    );
}

#[test]
fn every_corpus_catalogue_is_rejected_with_a_location() {
    let dir = common::repo("tests/corpus/catalogue");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        assert_located_rejection(&entry.unwrap().path());
        n += 1;
    }
    assert!(n >= 10, "corpus shrank to {n} files");
}

#[test]
fn deeply_nested_yaml_is_refused_not_a_stack_overflow() {
    let dir = tempfile::tempdir().unwrap();
    let block = dir.path().join("deep-block.yml");
    let mut text = String::from("version: 1\nchecks:\n");
    for i in 0..5000 {
        text.push_str(&"  ".repeat(i + 1));
        text.push_str("a:\n");
    }
    std::fs::write(&block, text).unwrap();
    assert_located_rejection(&block);
    let flow = dir.path().join("deep-flow.yml");
    std::fs::write(
        &flow,
        format!(
            "version: 1\nchecks: {}{}\n",
            "[".repeat(200_000),
            "]".repeat(200_000)
        ),
    )
    .unwrap();
    assert_located_rejection(&flow);
}

#[test]
fn oversized_catalogue_is_refused_before_parsing() {
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("huge.yml");
    let line = format!("# {}\n", "x".repeat(1022));
    let mut text = String::from("version: 1\nchecks: []\n");
    while text.len() <= 17 * 1024 * 1024 {
        text.push_str(&line);
    }
    std::fs::write(&big, text).unwrap();
    assert_located_rejection(&big);
}

/// Regression (issue 17): `--deadline 500000000000y` panicked (exit 101);
/// durations beyond the maximum are usage and validation errors.
#[test]
fn huge_durations_are_errors_not_panics() {
    let (dir, cat) = common::catalogue(
        "version: 1\nchecks:\n  - {id: a, kind: tcp, address: \"127.0.0.1:1\", timeout: 500000000000y}\n",
    );
    let out = common::readyctl()
        .args(["check", "-c"])
        .arg(&cat)
        .arg("--root")
        .arg(dir.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("timeout"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    let (dir, cat) = common::catalogue(
        "version: 1\nchecks:\n  - {id: a, kind: tcp, address: \"127.0.0.1:1\"}\n",
    );
    for d in ["500000000000y", "25h"] {
        let out = common::readyctl()
            .args(["check", "--deadline", d, "-c"])
            .arg(&cat)
            .arg("--root")
            .arg(dir.path())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{d}: {stderr}");
        assert!(stderr.contains("maximum"), "{d}: {stderr}");
    }
}
