//! Helpers shared by the integration tests.
#![allow(dead_code, reason = "each test binary uses a different subset")]

use std::path::PathBuf;

/// The value of a service variable exported by `scripts/test.sh`
/// (e.g. `READYCTL_TEST_REDIS_URL`). Missing: under `CI=true` the test fails;
/// on a developer machine it prints a loud SKIP and returns `None`.
pub fn service(var: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(v) if !v.is_empty() => Some(v),
        _ => {
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!(
                    "{var} is not set: under CI=true every service test must run; use scripts/test.sh"
                );
            }
            eprintln!(
                "\n*** SKIPPED: {var} is not set; run scripts/test.sh to start the real service ***\n"
            );
            None
        }
    }
}

/// Path of a fixture under `fixtures/`.
pub fn fixture(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(rel)
}

/// The readyctl binary under test, run from the repository root.
pub fn readyctl() -> assert_cmd::Command {
    let mut cmd = assert_cmd::cargo::cargo_bin_cmd!("readyctl");
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"));
    cmd.env_remove("NO_COLOR").env("COLUMNS", "120");
    cmd
}

/// Writes `text` as a catalogue file in a fresh temporary directory.
pub fn catalogue(text: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("readyctl.yml");
    std::fs::write(&path, text).expect("write catalogue");
    (dir, path)
}
