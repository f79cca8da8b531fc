//! Helpers shared by the integration tests.
#![allow(dead_code, reason = "each test binary uses a different subset")]
#![allow(clippy::disallowed_macros, reason = "a skipped test says so on stderr")]

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

/// Path of a file in the repository.
pub fn repo(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// Validates a SARIF log the way an upload is checked: against the final
/// SARIF 2.1.0 schema (`tests/schemas/sarif-schema-2.1.0.json`, the copy the
/// SARIF multitool ships) and, when `scripts/test.sh` provides it, with
/// `sarif-multitool validate`. Panics on any schema error and on any
/// multitool error or warning (readyctl's logs have none to explain).
/// Returns the parsed log.
pub fn assert_valid_sarif(path: &std::path::Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let doc: serde_json::Value = serde_json::from_str(&text).expect("SARIF is JSON");
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(repo("tests/schemas/sarif-schema-2.1.0.json")).unwrap(),
    )
    .unwrap();
    let v = jsonschema::validator_for(&schema).expect("schema compiles");
    let errs: Vec<String> = v
        .iter_errors(&doc)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(
        errs.is_empty(),
        "{}: final SARIF schema: {errs:#?}",
        path.display()
    );
    if let Some(mt) = service("READYCTL_TEST_SARIF_MULTITOOL") {
        let problems = multitool_problems(&mt, path);
        assert!(
            problems.is_empty(),
            "{}: sarif-multitool validate: {problems:#?}",
            path.display()
        );
    }
    doc
}

/// What `sarif-multitool validate` says about `path`: `LEVEL RULE: message`
/// for each error and warning (notes left out).
pub fn multitool_problems(multitool: &str, path: &std::path::Path) -> Vec<String> {
    let out_dir = tempfile::tempdir().unwrap();
    let out = out_dir.path().join("validation.sarif");
    let run = std::process::Command::new(multitool)
        .arg("validate")
        .arg("-o")
        .arg(&out)
        .arg(path)
        .output()
        .expect("run the SARIF multitool");
    let text = std::fs::read_to_string(&out).unwrap_or_else(|e| {
        panic!(
            "the multitool wrote no log ({e}): {}{}",
            String::from_utf8_lossy(&run.stdout),
            String::from_utf8_lossy(&run.stderr)
        )
    });
    let log: serde_json::Value = serde_json::from_str(&text).unwrap();
    log["runs"][0]["results"]
        .as_array()
        .map(|rs| {
            rs.iter()
                .filter(|r| matches!(r["level"].as_str(), Some("error") | Some("warning") | None))
                .map(|r| {
                    format!(
                        "{} {}: {}",
                        r["level"].as_str().unwrap_or("warning"),
                        r["ruleId"].as_str().unwrap_or("?"),
                        r["message"]["text"]
                            .as_str()
                            .unwrap_or(&r["message"].to_string())
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}
