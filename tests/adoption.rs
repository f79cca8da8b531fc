#![allow(
    clippy::disallowed_macros,
    reason = "tests say what they skip and measure"
)]
//! Adopting readyctl on an existing system: waivers, baselines, `diff`, and
//! `--wait` until services come up. Driven through the built binary.

mod common;

use std::net::TcpListener;
use std::path::Path;
use std::time::{Duration, Instant};

use common::{catalogue, readyctl};
use serde_json::Value;

fn check<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["checks"]
        .as_array()
        .and_then(|a| a.iter().find(|c| c["id"] == id))
        .unwrap_or_else(|| panic!("no check {id} in {report:#}"))
}

fn json(out: &[u8]) -> Value {
    serde_json::from_slice(out)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(out)))
}

/// Two file checks: `a.present` passes when `a` exists, `b.present` when `b` does.
fn two_files(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("readyctl.yml");
    std::fs::write(
        &path,
        "version: 1\nchecks:\n  - id: a.present\n    kind: file\n    path: a\n  - id: b.present\n    kind: file\n    path: b\n",
    )
    .unwrap();
    path
}

const WAIVER: &str = "waivers:\n  - check: a.present\n    reason: created by the next release (OPS-1)\n    by: ops@example.com\n    expires: 2026-06-30\n";

#[test]
fn waived_failure_does_not_fail_the_run_until_the_waiver_expires() {
    let dir = tempfile::tempdir().unwrap();
    let cat = two_files(dir.path());
    std::fs::write(dir.path().join("b"), "x").unwrap();
    // Default location: readyctl-waivers.yml under --root.
    std::fs::write(dir.path().join("readyctl-waivers.yml"), WAIVER).unwrap();
    let run = |today: &str| {
        readyctl()
            .args(["check", "--format", "json", "--catalog"])
            .arg(&cat)
            .arg("--root")
            .arg(dir.path())
            .env("READYCTL_TODAY", today)
            .output()
            .unwrap()
    };

    let out = run("2026-06-30");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r = json(&out.stdout);
    let a = check(&r, "a.present");
    assert_eq!(a["status"], "waived");
    assert_eq!(a["waiver"]["by"], "ops@example.com");
    assert_eq!(a["waiver"]["expired"], false);
    assert_eq!(r["summary"]["waived"], 1);

    let out = run("2026-07-01");
    assert_eq!(out.status.code(), Some(1));
    let r = json(&out.stdout);
    let a = check(&r, "a.present");
    assert_eq!(a["status"], "fail");
    assert!(
        a["message"]
            .as_str()
            .unwrap()
            .starts_with("waiver expired on 2026-06-30 (by ops@example.com: created by the next release (OPS-1)); still failing:"),
        "{a:#}"
    );
}

#[test]
fn waiver_naming_an_unknown_check_is_a_located_catalogue_error() {
    let dir = tempfile::tempdir().unwrap();
    let cat = two_files(dir.path());
    let waivers = dir.path().join("w.yml");
    std::fs::write(&waivers, WAIVER.replace("a.present", "a.presnt")).unwrap();
    let out = readyctl()
        .args(["check", "--catalog"])
        .arg(&cat)
        .arg("--root")
        .arg(dir.path())
        .arg("--waivers")
        .arg(&waivers)
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(stderr.contains("error[waivers/unknown-check]"), "{stderr}");
    assert!(
        stderr.contains(&format!("{}:2:12", waivers.display())),
        "{stderr}"
    );
    assert!(stderr.contains("did you mean `a.present`?"), "{stderr}");
}

#[test]
fn baseline_known_failure_passes_new_failure_fails_and_diff_names_it() {
    let dir = tempfile::tempdir().unwrap();
    let cat = two_files(dir.path());
    std::fs::write(dir.path().join("b"), "x").unwrap();
    let old = dir.path().join("old.json");
    // Baseline: a fails, b passes.
    readyctl()
        .args(["check", "--catalog"])
        .arg(&cat)
        .arg("--root")
        .arg(dir.path())
        .arg("--report-json")
        .arg(&old)
        .assert()
        .code(1);

    // Still only a fails: known, so the run passes.
    let out = readyctl()
        .args(["check", "--format", "json", "--catalog"])
        .arg(&cat)
        .arg("--root")
        .arg(dir.path())
        .arg("--baseline")
        .arg(&old)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(check(&json(&out.stdout), "a.present")["baseline"], "known");

    // b breaks too: the old failure is known, the new one fails the run.
    std::fs::remove_file(dir.path().join("b")).unwrap();
    let new = dir.path().join("new.json");
    let out = readyctl()
        .args(["check", "--format", "json", "--catalog"])
        .arg(&cat)
        .arg("--root")
        .arg(dir.path())
        .arg("--baseline")
        .arg(&old)
        .arg("--report-json")
        .arg(&new)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let r = json(&out.stdout);
    assert_eq!(check(&r, "a.present")["baseline"], "known");
    assert_eq!(check(&r, "b.present")["baseline"], "new");
    let news: Vec<&str> = r["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["baseline"] == "new")
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(news, ["b.present"]);

    let out = readyctl().arg("diff").arg(&old).arg(&new).assert().code(1);
    let stdout = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(
        stdout.contains("worse (1):\n  b.present: pass -> fail\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains("0 worse") || stdout.contains("1 worse, 0 better, 1 still failing"),
        "{stdout}"
    );
    readyctl().arg("diff").arg(&new).arg(&old).assert().code(0);
}

#[test]
fn wait_reruns_failing_checks_until_a_late_listener_comes_up() {
    // Reserve a port, release it, and bind it again 5 s after readyctl starts.
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let (_dir, cat) = catalogue(&format!(
        "version: 1\nchecks:\n  - id: late.port\n    kind: tcp\n    address: 127.0.0.1:{port}\n    timeout: 1s\n  - id: file.here\n    kind: file\n    path: readyctl.yml\n"
    ));
    let root = cat.parent().unwrap().to_path_buf();
    let opener = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_secs(5));
        let l = TcpListener::bind(("127.0.0.1", port)).unwrap();
        // Keep accepting until the test is done with it.
        l.set_nonblocking(true).unwrap();
        let until = Instant::now() + Duration::from_secs(20);
        while Instant::now() < until {
            let _ = l.accept();
            std::thread::sleep(Duration::from_millis(20));
        }
    });
    let t0 = Instant::now();
    let out = readyctl()
        .args([
            "check",
            "--format",
            "json",
            "--wait",
            "30s",
            "--interval",
            "1s",
            "--catalog",
        ])
        .arg(&cat)
        .arg("--root")
        .arg(&root)
        .output()
        .unwrap();
    let took = t0.elapsed();
    eprintln!("--wait run took {took:?}");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let r = json(&out.stdout);
    assert_eq!(check(&r, "late.port")["status"], "pass");
    assert!(
        stderr.contains("waiting: 1 not passing (late.port)"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("file.here"),
        "passed checks are not rerun: {stderr}"
    );
    assert!(
        took >= Duration::from_secs(5) && took < Duration::from_secs(5 + 1 + 3),
        "took {took:?}; expected about 5 s plus one interval"
    );
    drop(opener);
}

#[test]
fn wait_gives_up_when_time_is_up() {
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let (_dir, cat) = catalogue(&format!(
        "version: 1\nchecks:\n  - id: never.up\n    kind: tcp\n    address: 127.0.0.1:{port}\n    timeout: 1s\n"
    ));
    let t0 = Instant::now();
    readyctl()
        .args(["check", "--wait", "2s", "--interval", "500ms", "--catalog"])
        .arg(&cat)
        .arg("--root")
        .arg(cat.parent().unwrap())
        .assert()
        .code(1)
        .stderr(predicates::str::contains("--wait 2s is up"));
    assert!(t0.elapsed() < Duration::from_secs(6), "{:?}", t0.elapsed());
}
