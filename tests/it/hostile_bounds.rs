//! Bounded under a hostile world (issue 17): FIFOs, `/dev/zero`, forking and
//! endless commands, a huge scanned line. Each run ends within its timeout
//! plus a small margin, with a plain reason, and with peak memory (measured
//! with `/usr/bin/time -v`) under [`PEAK_RSS_KIB`].

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// Peak resident memory allowed for any run here (a debug build idles at ~20 MiB).
pub const PEAK_RSS_KIB: u64 = 200 * 1024;

fn mkfifo(p: &Path) {
    assert!(
        Command::new("mkfifo").arg(p).status().unwrap().success(),
        "mkfifo"
    );
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub took: Duration,
    pub peak_kib: u64,
}

/// Runs readyctl under `/usr/bin/time -v` and returns its exit, output,
/// wall time and peak RSS.
pub fn timed(args: &[&str]) -> Run {
    let bin = assert_cmd::cargo::cargo_bin!("readyctl");
    let t = Instant::now();
    let out = Command::new("/usr/bin/time")
        .arg("-v")
        .arg(bin)
        .args(args)
        .env("COLUMNS", "200")
        .output()
        .expect("/usr/bin/time");
    let took = t.elapsed();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let peak_kib = stderr
        .lines()
        .find_map(|l| {
            l.trim()
                .strip_prefix("Maximum resident set size (kbytes): ")
        })
        .and_then(|v| v.trim().parse().ok())
        .expect("peak RSS in /usr/bin/time output");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr,
        took,
        peak_kib,
    }
}

pub fn report(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).expect("report written")).unwrap()
}

pub fn check<'a>(r: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    r["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no check {id}"))
}

#[test]
fn fifos_and_dev_zero_fail_plainly_at_once_with_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    mkfifo(&root.join("pipe"));
    mkfifo(&root.join(".env"));
    mkfifo(&root.join("readyctl-attestations.yml"));
    let cat = root.join("readyctl.yml");
    std::fs::write(
        &cat,
        r#"version: 1
checks:
  - {id: f.fifo-file, kind: file, title: t, path: pipe, contains: x, timeout: 5s}
  - {id: f.fifo-any, kind: file, title: t, path: pipe, type: any, contains: x, timeout: 5s}
  - {id: f.zero-any, kind: file, title: t, path: /dev/zero, type: any, contains: x, timeout: 5s}
  - {id: f.zero-absent-pattern, kind: file, title: t, path: /dev/zero, type: any, not_contains: y, timeout: 5s}
  - {id: e.fifo, kind: env_file, title: t, path: .env, required: [A], timeout: 5s}
  - {id: m.fifo, kind: manual, title: t, timeout: 5s}
"#,
    )
    .unwrap();
    let rep = root.join("out/r.json");
    let r = timed(&[
        "check",
        "--catalog",
        cat.to_str().unwrap(),
        "--root",
        root.to_str().unwrap(),
        "--report-json",
        rep.to_str().unwrap(),
    ]);
    assert!(r.took < Duration::from_secs(5), "took {:?}", r.took);
    assert!(r.peak_kib < PEAK_RSS_KIB, "peak {} KiB", r.peak_kib);
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    // The report's parent directory did not exist: it was created.
    let j = report(&rep);
    let msg = |id: &str| check(&j, id)["message"].as_str().unwrap().to_string();
    let status = |id: &str| check(&j, id)["status"].as_str().unwrap().to_string();
    assert_eq!(status("f.fifo-file"), "fail");
    assert!(
        msg("f.fifo-file").contains("FIFO"),
        "{}",
        msg("f.fifo-file")
    );
    // Asked for any file type: read without waiting; nothing there, no match.
    assert_eq!(status("f.fifo-any"), "fail", "{}", msg("f.fifo-any"));
    // /dev/zero never passes unread: it is read up to the limit and refused.
    for id in ["f.zero-any", "f.zero-absent-pattern"] {
        assert_eq!(status(id), "error", "{id}: {}", msg(id));
        assert!(
            msg(id).contains("larger than the 64 MiB limit"),
            "{}",
            msg(id)
        );
    }
    assert_eq!(status("e.fifo"), "fail");
    assert!(msg("e.fifo").contains("FIFO"), "{}", msg("e.fifo"));
    assert_eq!(status("m.fifo"), "error");
    assert!(msg("m.fifo").contains("FIFO"), "{}", msg("m.fifo"));
}

#[test]
fn a_fifo_in_the_catalogues_env_files_is_refused_not_waited_for() {
    let dir = tempfile::tempdir().unwrap();
    mkfifo(&dir.path().join("env.fifo"));
    let cat = dir.path().join("readyctl.yml");
    std::fs::write(
        &cat,
        "version: 1\nenv_files: [env.fifo]\nchecks:\n  - {id: a, kind: file, title: t, path: readyctl.yml}\n",
    )
    .unwrap();
    let r = timed(&[
        "check",
        "--catalog",
        cat.to_str().unwrap(),
        "--root",
        dir.path().to_str().unwrap(),
    ]);
    assert!(r.took < Duration::from_secs(5), "took {:?}", r.took);
    assert!(
        r.stderr.contains("FIFO") || r.stdout.contains("FIFO"),
        "{}\n{}",
        r.stdout,
        r.stderr
    );
}

#[test]
fn forking_and_endless_commands_end_at_their_timeout_with_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    let cat = dir.path().join("readyctl.yml");
    std::fs::write(
        &cat,
        r#"version: 1
checks:
  - {id: c.fork, kind: command, title: t, run: [sh, -c, 'sleep 40 & echo started'], stdout: started, timeout: 10s}
  - {id: c.zero, kind: command, title: t, run: [cat, /dev/zero], timeout: 2s}
"#,
    )
    .unwrap();
    let rep = dir.path().join("r.json");
    let r = timed(&[
        "check",
        "--catalog",
        cat.to_str().unwrap(),
        "--root",
        dir.path().to_str().unwrap(),
        "--report-json",
        rep.to_str().unwrap(),
    ]);
    assert!(r.took < Duration::from_secs(5), "took {:?}", r.took);
    assert!(r.peak_kib < PEAK_RSS_KIB, "peak {} KiB", r.peak_kib);
    let j = report(&rep);
    let fork = check(&j, "c.fork");
    assert_eq!(fork["status"], "pass", "{fork}");
    let zero = check(&j, "c.zero");
    assert_eq!(zero["status"], "fail");
    assert!(
        zero["message"].as_str().unwrap().contains("timed out"),
        "{zero}"
    );
}

fn stuck_catalogue(dir: &Path) -> std::path::PathBuf {
    mkfifo(&dir.join("p1"));
    mkfifo(&dir.join("p2"));
    let cat = dir.join("readyctl.yml");
    std::fs::write(
        &cat,
        r#"version: 1
checks:
  - {id: s.one, kind: command, title: t, run: [cat, p1], timeout: 60s}
  - {id: s.two, kind: command, title: t, run: [cat, p2], timeout: 60s}
  - {id: s.quick, kind: file, title: t, path: readyctl.yml}
"#,
    )
    .unwrap();
    cat
}

fn assert_cancelled_report(rep: &Path) {
    let j = report(rep);
    assert_eq!(j["interrupted"], true);
    for id in ["s.one", "s.two"] {
        assert_eq!(check(&j, id)["status"], "cancelled", "{id}");
    }
    assert_eq!(check(&j, "s.quick")["status"], "pass");
}

#[test]
fn two_checks_stuck_on_fifos_end_at_the_deadline_with_a_complete_report() {
    let dir = tempfile::tempdir().unwrap();
    let cat = stuck_catalogue(dir.path());
    let rep = dir.path().join("missing/dir/r.json");
    let r = timed(&[
        "check",
        "--catalog",
        cat.to_str().unwrap(),
        "--root",
        dir.path().to_str().unwrap(),
        "--deadline",
        "3s",
        "--report-json",
        rep.to_str().unwrap(),
    ]);
    assert!(
        r.took >= Duration::from_secs(3) && r.took < Duration::from_secs(5),
        "took {:?}",
        r.took
    );
    assert_eq!(r.code, 130, "{}", r.stderr);
    assert!(r.stdout.contains("CANCELLED") || r.stdout.contains("cancelled"));
    assert_cancelled_report(&rep);
}

#[test]
fn sigterm_ends_a_run_stuck_on_fifos_with_a_complete_report() {
    let dir = tempfile::tempdir().unwrap();
    let cat = stuck_catalogue(dir.path());
    let rep = dir.path().join("r.json");
    let bin = assert_cmd::cargo::cargo_bin!("readyctl");
    let mut child = Command::new(bin)
        .args(["check", "--catalog"])
        .arg(&cat)
        .arg("--root")
        .arg(dir.path())
        .arg("--report-json")
        .arg(&rep)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    let t = Instant::now();
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let status = child.wait().unwrap();
    assert!(t.elapsed() < Duration::from_secs(2), "{:?}", t.elapsed());
    assert_eq!(status.code(), Some(130));
    assert_cancelled_report(&rep);
}

#[test]
fn a_scan_of_one_huge_line_with_many_matches_is_linear_and_capped() {
    let dir = tempfile::tempdir().unwrap();
    // ~1.9 MiB on one line, a match every 10 bytes.
    let line = "TODO_xxxx ".repeat(190_000);
    std::fs::write(dir.path().join("big.js"), &line).unwrap();
    let cat = dir.path().join("readyctl.yml");
    std::fs::write(
        &cat,
        "version: 1\nchecks:\n  - {id: s, kind: scan, title: t, pattern: TODO, timeout: 10s}\n",
    )
    .unwrap();
    let rep = dir.path().join("r.json");
    let r = timed(&[
        "check",
        "--catalog",
        cat.to_str().unwrap(),
        "--root",
        dir.path().to_str().unwrap(),
        "--report-json",
        rep.to_str().unwrap(),
    ]);
    assert!(r.took < Duration::from_secs(3), "took {:?}", r.took);
    assert!(r.peak_kib < PEAK_RSS_KIB, "peak {} KiB", r.peak_kib);
    let j = report(&rep);
    let m = check(&j, "s")["message"].as_str().unwrap().to_string();
    assert!(m.contains("counting stopped at 1000 per file"), "{m}");
}
