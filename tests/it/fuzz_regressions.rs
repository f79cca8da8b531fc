#![allow(
    clippy::disallowed_macros,
    reason = "tests say what they skip and measure"
)]
//! Fuzz regressions: every file under `tests/corpus/fuzz/TARGET/` (crash and
//! hang inputs found by `cargo fuzz`, plus hand-picked seeds) is fed to the
//! same functions as `fuzz/fuzz_targets/TARGET.rs`, in the normal test run.
//! A panic here is a regression. See `fuzz/README.md`.

use crate::common;

use std::time::{Duration, Instant};

fn inputs(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = common::repo(&format!("tests/corpus/fuzz/{target}"));
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut out: Vec<(String, Vec<u8>)> = entries
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .map(|p| (p.display().to_string(), std::fs::read(&p).unwrap()))
        .collect();
    out.sort();
    out
}

fn each(target: &str, f: impl Fn(&str)) {
    let all = inputs(target);
    for (name, bytes) in &all {
        let t0 = Instant::now();
        // The targets only look at UTF-8 input; so do we.
        if let Ok(text) = std::str::from_utf8(bytes) {
            f(text);
        }
        assert!(
            t0.elapsed() < Duration::from_secs(5),
            "{name}: took {:?}",
            t0.elapsed()
        );
    }
    eprintln!("{target}: {} inputs", all.len());
}

#[test]
fn catalogue() {
    each("catalogue", |text| {
        readyctl::fuzzing::catalogue(text);
    });
}

#[test]
fn interpolate() {
    each("interpolate", |text| {
        readyctl::fuzzing::interpolate(text);
    });
}

#[test]
fn envfile() {
    each("envfile", |text| {
        readyctl::fuzzing::envfile(text);
    });
}

#[test]
fn alembic() {
    each("alembic", |text| {
        readyctl::fuzzing::alembic(text);
    });
}

#[test]
fn redisconf() {
    each("redisconf", |text| {
        readyctl::fuzzing::redisconf(text);
    });
}

#[test]
fn policy() {
    each("policy", |text| {
        readyctl::fuzzing::policy(text);
    });
}

#[test]
fn initsql() {
    each("initsql", |text| {
        readyctl::fuzzing::initsql(text);
    });
}

#[test]
fn every_fuzz_target_has_a_regression_folder() {
    for t in [
        "catalogue",
        "interpolate",
        "envfile",
        "alembic",
        "redisconf",
        "policy",
        "initsql",
    ] {
        assert!(
            !inputs(t).is_empty(),
            "tests/corpus/fuzz/{t}/ is empty: keep at least a seed"
        );
        assert!(
            common::repo(&format!("fuzz/fuzz_targets/{t}.rs")).exists(),
            "{t}"
        );
    }
}
