//! The core contract, driven through the built binary: validation errors,
//! dependency skips, exit codes, timeouts, interruption, the JSON schema and
//! secret masking.

use crate::common;

use std::time::{Duration, Instant};

use common::{catalogue, readyctl};
use predicates::prelude::*;
use serde_json::Value;

fn json_report(out: &[u8]) -> Value {
    serde_json::from_slice(out)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {}", String::from_utf8_lossy(out)))
}

fn check<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["checks"]
        .as_array()
        .and_then(|a| a.iter().find(|c| c["id"] == id))
        .unwrap_or_else(|| panic!("no check {id} in {report:#}"))
}

#[test]
fn validate_reports_three_mistakes_at_once_with_positions_and_exit_2() {
    let (dir, path) = catalogue(
        "version: 1
checks:
  - id: scripts.entrypoint
    kind: fle
    path: scripts/a.sh
  - id: env.prod
    kind: env_file
    pth: .env.production
  - id: net.api
    kind: tcp
    address: 127.0.0.1:1
    depends_on: [net.apii]
",
    );
    let out = readyctl()
        .args(["validate", "--catalog"])
        .arg(&path)
        .args(["--root"])
        .arg(dir.path())
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    let file = path.display().to_string();
    assert!(
        stderr.contains(&format!("{file}:4:11")),
        "kind position missing:\n{stderr}"
    );
    assert!(stderr.contains("did you mean `file`?"), "{stderr}");
    assert!(
        stderr.contains(&format!("{file}:8:5")),
        "field position missing:\n{stderr}"
    );
    assert!(stderr.contains("did you mean `path`?"), "{stderr}");
    assert!(stderr.contains("unknown check `net.apii`"), "{stderr}");
    assert!(stderr.contains("did you mean `net.api`?"), "{stderr}");
    assert!(stderr.contains("3 problems found"), "{stderr}");
    assert!(
        !stderr.contains("panicked") && !stderr.contains("RUST_BACKTRACE"),
        "{stderr}"
    );
}

#[test]
fn malformed_yaml_is_located_without_a_panic() {
    let (dir, path) =
        catalogue("version: 1\nchecks:\n  - id: a\n    kind: file\n   path: [unclosed\n");
    let out = readyctl()
        .args(["check", "--catalog"])
        .arg(&path)
        .arg("--root")
        .arg(dir.path())
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(stderr.contains("error[catalogue/yaml]"), "{stderr}");
    assert!(
        stderr.contains(&format!("{}:5:", path.display())),
        "{stderr}"
    );
    assert!(stderr.contains("help:"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn dependant_of_a_failing_check_is_skipped_with_the_reason() {
    let (dir, path) = catalogue(
        "version: 1
checks:
  - {id: base.file, kind: file, path: missing.txt}
  - {id: base.child, kind: file, path: x, depends_on: [base.file]}
  - {id: base.grandchild, kind: file, path: x, depends_on: [base.child]}
",
    );
    let out = readyctl()
        .args(["check", "--format", "json", "--catalog"])
        .arg(&path)
        .arg("--root")
        .arg(dir.path())
        .assert()
        .code(1);
    let report = json_report(&out.get_output().stdout);
    assert_eq!(check(&report, "base.file")["status"], "fail");
    let child = check(&report, "base.child");
    assert_eq!(child["status"], "skip");
    assert_eq!(
        child["message"],
        "skipped: dependency `base.file` did not pass (fail)"
    );
    assert_eq!(
        check(&report, "base.grandchild")["message"],
        "skipped: dependency `base.child` was skipped"
    );
    assert_eq!(report["summary"]["skip"], 2);
}

#[test]
fn exit_codes_follow_fail_on_and_errors() {
    let (dir, path) = catalogue(
        "version: 1
checks:
  - {id: low.missing, kind: file, path: missing.txt, severity: low}
",
    );
    let run = |extra: &[&str]| {
        readyctl()
            .arg("check")
            .args(extra)
            .arg("--catalog")
            .arg(&path)
            .arg("--root")
            .arg(dir.path())
            .output()
            .unwrap()
            .status
            .code()
    };
    assert_eq!(run(&[]), Some(1), "any failure fails by default");
    assert_eq!(
        run(&["--fail-on", "high"]),
        Some(0),
        "a low failure passes --fail-on high"
    );

    // A path the check cannot even inspect (a symlink loop) is an error of the
    // check, not a failure of the target: exit 3 when nothing else failed.
    let (dir2, path2) = catalogue(
        "version: 1
checks:
  - {id: err.loop, kind: file, path: loop-a}
  - {id: ok.file, kind: file, path: readyctl.yml}
",
    );
    std::os::unix::fs::symlink("loop-b", dir2.path().join("loop-a")).unwrap();
    std::os::unix::fs::symlink("loop-a", dir2.path().join("loop-b")).unwrap();
    let out = readyctl()
        .args(["check", "--format", "json", "--catalog"])
        .arg(&path2)
        .arg("--root")
        .arg(dir2.path())
        .assert()
        .code(3);
    let report = json_report(&out.get_output().stdout);
    assert_eq!(check(&report, "err.loop")["status"], "error");
    assert!(
        check(&report, "err.loop")["message"]
            .as_str()
            .unwrap()
            .starts_with("cannot inspect loop-a")
    );
}

#[test]
fn a_hanging_check_fails_with_its_timeout_and_the_others_still_report() {
    let (dir, path) = catalogue(
        "version: 1
checks:
  - {id: slow.cmd, kind: command, run: [sleep, '30'], timeout: 500ms}
  - {id: quick.file, kind: file, path: readyctl.yml}
",
    );
    let t0 = Instant::now();
    let out = readyctl()
        .args(["check", "--format", "json", "--catalog"])
        .arg(&path)
        .arg("--root")
        .arg(dir.path())
        .assert()
        .code(1);
    assert!(
        t0.elapsed() < Duration::from_secs(5),
        "took {:?}",
        t0.elapsed()
    );
    let report = json_report(&out.get_output().stdout);
    let slow = check(&report, "slow.cmd");
    assert_eq!(slow["status"], "fail");
    assert!(
        slow["message"].as_str().unwrap().contains("timed out"),
        "{slow}"
    );
    assert_eq!(check(&report, "quick.file")["status"], "pass");
}

#[test]
fn results_keep_catalogue_order_at_any_concurrency() {
    let mut text = String::from("version: 1\nchecks:\n");
    for i in 0..40 {
        text.push_str(&format!(
            "  - {{id: c.n{i:02}, kind: command, run: [sleep, '0.0{}']}}\n",
            (40 - i) % 10
        ));
    }
    let (dir, path) = catalogue(&text);
    for conc in ["1", "64"] {
        let out = readyctl()
            .args([
                "check",
                "--format",
                "json",
                "--concurrency",
                conc,
                "--catalog",
            ])
            .arg(&path)
            .arg("--root")
            .arg(dir.path())
            .assert()
            .success();
        let report = json_report(&out.get_output().stdout);
        let ids: Vec<String> = report["checks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_str().unwrap().to_string())
            .collect();
        let expected: Vec<String> = (0..40).map(|i| format!("c.n{i:02}")).collect();
        assert_eq!(ids, expected, "concurrency {conc}");
    }
}

#[test]
fn json_report_validates_against_the_committed_schema() {
    let (dir, path) = catalogue(
        "version: 1
checks:
  - {id: a.pass, kind: file, path: readyctl.yml, tags: [x]}
  - {id: a.fail, kind: file, path: nope, remediation: create it}
  - {id: a.skip, kind: file, path: nope, depends_on: [a.fail]}
",
    );
    let out = readyctl()
        .args(["check", "--format", "json", "--catalog"])
        .arg(&path)
        .arg("--root")
        .arg(dir.path())
        .assert()
        .code(1);
    let report = json_report(&out.get_output().stdout);
    let schema_text = std::fs::read_to_string(common::repo("schemas/report.schema.json")).unwrap();
    let schema: Value = serde_json::from_str(&schema_text).unwrap();
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(&report)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "report does not match schema: {errors:#?}"
    );
    assert_eq!(report["schema_version"], 1);
    assert_eq!(check(&report, "a.fail")["remediation"], "create it");
}

#[test]
fn interrupt_writes_a_partial_report_and_exits_130() {
    let (dir, path) = catalogue(
        "version: 1
checks:
  - {id: long.cmd, kind: command, run: [sleep, '30'], timeout: 60s}
  - {id: quick.file, kind: file, path: readyctl.yml}
",
    );
    let report_path = dir.path().join("report.json");
    let bin = assert_cmd::cargo::cargo_bin!("readyctl");
    let child = std::process::Command::new(bin)
        .args(["check", "--catalog"])
        .arg(&path)
        .arg("--root")
        .arg(dir.path())
        .arg("--report-json")
        .arg(&report_path)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(700));
    let rc = unsafe_free_kill(child.id(), "INT");
    assert!(rc, "could not send SIGINT");
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(130),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(&report_path).unwrap()).unwrap();
    assert_eq!(report["interrupted"], true);
    assert_eq!(check(&report, "long.cmd")["status"], "cancelled");
    assert_eq!(check(&report, "quick.file")["status"], "pass");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("1 cancelled"), "{stdout}");
}

/// Sends a signal with the `kill` command (the crate forbids unsafe code).
fn unsafe_free_kill(pid: u32, sig: &str) -> bool {
    std::process::Command::new("kill")
        .args([format!("-{sig}"), pid.to_string()])
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

#[test]
fn secrets_from_env_files_vars_and_dsns_never_appear_in_table_or_json() {
    let (dir, path) = catalogue(
        "version: 1
env_files: [.env.production]
vars:
  api_token: {value: tok-Var-Secret-77, secret: true}
targets:
  db:
    url: postgres://app:${POSTGRES_PASSWORD}@127.0.0.1:1/app
checks:
  - id: leak.contains
    kind: file
    path: .env.production
    contains: ['${JWT_SECRET}-suffix', '${api_token}']
  - id: leak.dsn
    kind: tcp
    target: db
    timeout: 1s
  - id: leak.cmd
    kind: command
    run: [sh, -c, 'echo \"password=$DB_PW and ${POSTGRES_PASSWORD}\"; exit 1']
    env: {DB_PW: '${POSTGRES_PASSWORD}'}
",
    );
    std::fs::write(
        dir.path().join(".env.production"),
        "POSTGRES_PASSWORD=Pg-Very-Secret-1234\nJWT_SECRET=Jwt-Very-Secret-5678\n",
    )
    .unwrap();
    for format in ["table", "json"] {
        let out = readyctl()
            .args(["check", "--format", format, "--catalog"])
            .arg(&path)
            .arg("--root")
            .arg(dir.path())
            .arg("--report-json")
            .arg(dir.path().join("r.json"))
            .assert()
            .code(1);
        let all = format!(
            "{}{}{}",
            String::from_utf8_lossy(&out.get_output().stdout),
            String::from_utf8_lossy(&out.get_output().stderr),
            std::fs::read_to_string(dir.path().join("r.json")).unwrap()
        );
        for secret in [
            "Pg-Very-Secret-1234",
            "Jwt-Very-Secret-5678",
            "tok-Var-Secret-77",
        ] {
            assert!(
                !all.contains(secret),
                "{secret} leaked in {format} output:\n{all}"
            );
        }
        assert!(
            all.contains("****"),
            "expected masked values in {format} output:\n{all}"
        );
    }
}

#[test]
fn explain_prints_kind_docs_and_suggests_on_typos() {
    readyctl()
        .args(["explain", "env_file"])
        .assert()
        .success()
        .stdout(predicate::str::contains("## Fields").and(predicate::str::contains("forbidden")));
    readyctl()
        .args(["explain", "env-fil"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("did you mean `env_file`?"));
}

/// The findings contract from the outside: `explain CODE` prints the code's
/// declaration and what the kind's docs say of it; the code a real run
/// reports is one `explain` knows; a typo gets a did-you-mean.
#[test]
fn explain_prints_a_finding_code_that_a_run_reports() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(".env"), "SECRET_KEY=changeme\n").unwrap();
    std::fs::write(
        dir.path().join("readyctl.yml"),
        "version: 1\nchecks:\n  - {id: env.secrets, kind: env_file, path: .env, secrets: {keys: SECRET}}\n",
    )
    .unwrap();
    let out = readyctl()
        .current_dir(dir.path())
        .args(["check", "--catalog", "readyctl.yml", "--format", "json"])
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let code = report["checks"][0]["findings"][0]["code"]
        .as_str()
        .expect("the finding carries a code")
        .to_string();
    assert_eq!(code, "env_file/weak-secret");
    readyctl()
        .args(["explain", &code])
        .assert()
        .success()
        .stdout(
            predicate::str::starts_with("env_file/weak-secret\n")
                .and(predicate::str::contains("kind: env_file"))
                .and(predicate::str::contains("placeholder"))
                .and(predicate::str::contains("readyctl explain env_file")),
        );
    // A graded compose rule, with the lines of the kind's docs about it.
    readyctl()
        .args(["explain", "compose/missing-path"])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("level: critical")
                .and(predicate::str::contains("does not exist")),
        );
    // What the kind's own prose says of a code comes along.
    readyctl()
        .args(["explain", "compose/obsolete-version"])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("level: low")
                .and(predicate::str::contains("From the kind's docs:"))
                .and(predicate::str::contains("orchestrator: swarm")),
        );
    readyctl()
        .args(["explain", "env_file/weak-secrte"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "did you mean `env_file/weak-secret`?",
        ));
    readyctl()
        .args(["explain", "tcp/anything"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "kind `tcp` declares no finding codes",
        ));
    // The kind's page lists the code in its generated table.
    readyctl()
        .args(["explain", "env_file"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "| `env_file/weak-secret` | fail |",
        ));
}

#[test]
fn list_filters_by_tag_and_pulls_in_dependencies_for_check() {
    let (dir, path) = catalogue(
        "version: 1
checks:
  - {id: a.base, kind: file, path: readyctl.yml, tags: [infra]}
  - {id: b.dep, kind: file, path: readyctl.yml, tags: [redis], depends_on: [a.base]}
  - {id: c.other, kind: file, path: readyctl.yml, tags: [http]}
",
    );
    readyctl()
        .args(["list", "--tag", "redis", "--catalog"])
        .arg(&path)
        .arg("--root")
        .arg(dir.path())
        .assert()
        .success()
        .stdout(predicate::str::contains("b.dep").and(predicate::str::contains("c.other").not()));
    let out = readyctl()
        .args(["check", "--tag", "redis", "--format", "json", "--catalog"])
        .arg(&path)
        .arg("--root")
        .arg(dir.path())
        .assert()
        .success();
    let report = json_report(&out.get_output().stdout);
    let ids: Vec<&str> = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec!["a.base", "b.dep"]);
}

#[test]
fn bundled_catalogue_validates_and_finds_the_broken_fixture() {
    readyctl()
        .args(["validate", "--root", "fixtures/dotmac/broken"])
        .assert()
        .success();
    let out = readyctl()
        .args([
            "check",
            "--root",
            "fixtures/dotmac/broken",
            "--format",
            "json",
            "--only",
            "scripts.*",
            "--only",
            "env.*",
            "--only",
            "secrets.*",
        ])
        .assert()
        .code(1);
    let report = json_report(&out.get_output().stdout);
    assert_eq!(check(&report, "scripts.api-entrypoint")["status"], "fail");
    assert_eq!(check(&report, "env.production-values")["status"], "fail");
    let out = readyctl()
        .args([
            "check",
            "--root",
            "fixtures/dotmac/fixed",
            "--format",
            "json",
            "--only",
            "scripts.*",
            "--only",
            "env.*",
            "--only",
            "secrets.*",
        ])
        .assert()
        .success();
    let report = json_report(&out.get_output().stdout);
    assert_eq!(report["summary"]["fail"], 0);
}

/// The bundled files-only run, as a person runs it.
const FILES_ONLY: [&str; 7] = [
    "check",
    "--root",
    "fixtures/dotmac/broken",
    "--skip-tag",
    "live",
    "--skip-tag",
    "toolchain",
];

fn table_at(columns: &str, extra: &[&str]) -> String {
    let out = readyctl()
        .args(FILES_ONLY)
        .args(extra)
        .env("COLUMNS", columns)
        .output()
        .expect("run readyctl");
    String::from_utf8(out.stdout).expect("utf-8")
}

fn failing_ids_and_first_findings() -> Vec<(String, String)> {
    let out = readyctl()
        .args(FILES_ONLY)
        .args(["--format", "json"])
        .output()
        .expect("run readyctl");
    let report = json_report(&out.stdout);
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["status"] == "fail")
        .map(|c| {
            let first = c["findings"][0]["message"]
                .as_str()
                .unwrap_or_else(|| c["message"].as_str().unwrap())
                .to_string();
            (c["id"].as_str().unwrap().to_string(), first)
        })
        .collect()
}

/// Regression: the files-only table was 406 lines in a pipe with the answer
/// buried; now it fits 80 lines at 120 columns and still shows every failing
/// check with its first finding.
#[test]
fn files_only_table_fits_80_lines_at_120_columns_with_every_failure_and_its_first_finding() {
    let out = table_at("120", &[]);
    assert!(
        out.lines().count() <= 80,
        "{} lines:\n{out}",
        out.lines().count()
    );
    let failing = failing_ids_and_first_findings();
    assert!(failing.len() >= 10, "the broken fixture fails broadly");
    // Words of a wrapped message may sit on two lines: compare without line breaks.
    let flat: String = out.lines().map(str::trim).collect::<Vec<_>>().join(" ");
    for (id, first) in &failing {
        assert!(
            out.lines()
                .any(|l| l.trim_start().starts_with("FAIL") && l.contains(id.as_str())),
            "no FAIL row for {id}:\n{out}"
        );
        assert!(
            flat.contains(first.as_str()),
            "first finding of {id} not shown: {first}\n{out}"
        );
    }
    // The closing block names every failing id and the command to see one.
    let closing: String = out.rsplit("\n\n").next().unwrap().to_string();
    for (id, _) in &failing {
        assert!(
            closing.contains(id.as_str()),
            "{id} missing from the closing block:\n{closing}"
        );
    }
    assert!(closing.contains("readyctl check --only ID"), "{closing}");
    assert!(
        closing.contains("sign-offs pending: readyctl attest"),
        "{closing}"
    );
    // 21 sign-offs are one line, not 21 rows.
    assert_eq!(
        out.lines().filter(|l| l.contains("WARN")).count(),
        0,
        "{out}"
    );
}

/// Regression: fixed 120-column padding in a pipe, borders between rows and
/// paths split mid-token at 80 columns.
#[test]
fn table_in_a_pipe_has_no_trailing_spaces_and_80_columns_never_split_a_path() {
    for cols in ["120", "80"] {
        let out = table_at(cols, &[]);
        let width: usize = cols.parse().unwrap();
        for l in out.lines() {
            assert_eq!(l, l.trim_end(), "trailing spaces at {cols}: {l:?}");
            assert!(!l.contains("───") && !l.contains("═══"), "a border: {l}");
            if l.chars().count() > width {
                assert!(
                    l.split(' ').any(|t| t.chars().count() > width / 2),
                    "over {cols} columns though it could wrap: {l:?}"
                );
            }
        }
        // Every path a finding names appears whole on some line.
        assert!(out.contains("scripts/docker-entrypoint.sh"), "{out}");
        assert!(
            out.contains("frontend/apps/base-app/app/dashboard/network/faults/page.tsx:"),
            "{out}"
        );
    }
}

#[test]
fn quiet_shows_only_failures_and_the_summary_and_verbose_shows_more() {
    let quiet = table_at("120", &["--quiet"]);
    let row = |l: &str, label: &str| l.trim_start().starts_with(&format!("{label} "));
    assert!(
        !quiet
            .lines()
            .any(|l| row(l, "PASS") || row(l, "SKIP") || row(l, "WARN")),
        "{quiet}"
    );
    assert!(quiet.contains("FAIL"), "{quiet}");
    let default = table_at("120", &[]);
    let verbose = table_at("120", &["-v"]);
    // The room --quiet frees goes to the failures' details.
    let fixes = |t: &str| t.lines().filter(|l| l.contains("fix: ")).count();
    assert!(fixes(&quiet) >= fixes(&default), "{quiet}");
    assert!(fixes(&quiet) > 0, "{quiet}");
    assert!(verbose.lines().count() > default.lines().count());
    // -v lists every sign-off and every finding of secrets.strength.
    assert!(
        verbose.lines().filter(|l| l.contains("WARN")).count() >= 20,
        "{verbose}"
    );
    assert!(
        verbose.contains("MINIO_SECRET_KEY is a well-known default value"),
        "{verbose}"
    );
}

/// Regression: `NO_COLOR=1 --color always` emitted bold codes but no colour.
#[test]
fn color_always_colours_even_with_no_color_set() {
    let out = readyctl()
        .args(FILES_ONLY)
        // A section small enough that its passing rows are shown too.
        .args(["--color", "always", "--only", "cicd.*"])
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let s = String::from_utf8(out.stdout).unwrap();
    assert!(s.contains("\x1b[1;31mFAIL\x1b[0m"), "{s}");
    assert!(s.contains("\x1b[32mPASS\x1b[0m"), "{s}");
    let out = readyctl()
        .args(FILES_ONLY)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert!(!String::from_utf8(out.stdout).unwrap().contains('\x1b'));
}

/// Regression: a repeated location ("scripts/x.sh: scripts/x.sh is not
/// executable"; "Dockerfile.prod:89:1: Dockerfile.prod:89 runs …").
#[test]
fn messages_do_not_repeat_themselves() {
    let out = table_at(
        "120",
        &[
            "--only",
            "scripts.celery-entrypoint",
            "--only",
            "compose.references",
        ],
    );
    assert!(
        !out.contains("scripts/celery-entrypoint.sh: scripts/celery-entrypoint.sh"),
        "{out}"
    );
    assert!(
        !out.contains("Dockerfile.prod:89:1: Dockerfile.prod:89"),
        "{out}"
    );
}

/// Regression: `--deadline 0s` and `--concurrency 0` were accepted and did nothing.
#[test]
fn zero_deadline_and_zero_concurrency_are_usage_errors() {
    for args in [["--deadline", "0s"], ["--concurrency", "0"]] {
        readyctl()
            .args(FILES_ONLY)
            .args(args)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(args[0]));
    }
}

/// With --baseline the summary says how many failures are known.
#[test]
fn baseline_summary_counts_known_failures() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("base.json");
    readyctl()
        .args(FILES_ONLY)
        .args(["--only", "cicd.*", "--report-json"])
        .arg(&base)
        .output()
        .unwrap();
    let out = readyctl()
        .args(FILES_ONLY)
        .args(["--only", "cicd.*", "--baseline"])
        .arg(&base)
        .output()
        .unwrap();
    let s = String::from_utf8(out.stdout).unwrap();
    assert!(
        s.contains("3 of 3 failures known from the baseline, 0 new"),
        "{s}"
    );
}

/// Regression: only the first unknown field per check was reported.
#[test]
fn validate_reports_every_unknown_field_of_every_check_with_did_you_mean() {
    let (_dir, path) = catalogue(
        "version: 1\nchecks:\n  - id: a.one\n    kind: file\n    path: x\n    requried: true\n    sevirity: high\n  - id: a.two\n    kind: file\n    path: y\n    exectuable: true\n",
    );
    let out = readyctl()
        .arg("validate")
        .arg("--catalog")
        .arg(&path)
        .assert()
        .code(2);
    let err = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    for (field, line) in [("requried", 6), ("sevirity", 7), ("exectuable", 11)] {
        assert!(err.contains(&format!("unknown field `{field}`")), "{err}");
        assert!(err.contains(&format!("readyctl.yml:{line}:5")), "{err}");
    }
    assert!(err.contains("did you mean `severity`?"), "{err}");
    assert!(err.contains("did you mean `executable`?"), "{err}");
    assert_eq!(
        err.matches("unknown field `sevirity`").count(),
        1,
        "once: {err}"
    );
}

#[test]
fn attest_signs_a_manual_check_so_the_next_run_passes_it() {
    let dir = tempfile::tempdir().unwrap();
    let cat = dir.path().join("readyctl.yml");
    std::fs::write(
        &cat,
        "version: 1\nchecks:\n  - id: approval.qa\n    kind: manual\n  - id: other\n    kind: file\n    path: readyctl.yml\n",
    )
    .unwrap();
    let run = |args: &[&str]| {
        readyctl()
            .args(args)
            .arg("--catalog")
            .arg(&cat)
            .arg("--root")
            .arg(dir.path())
            .output()
            .unwrap()
    };
    let before = run(&["check", "--format", "json"]);
    assert_eq!(
        check(&json_report(&before.stdout), "approval.qa")["status"],
        "warn"
    );
    let signed = run(&[
        "attest",
        "approval.qa",
        "--by",
        "Jonas Berg",
        "--note",
        "suite: \"green\"",
    ]);
    assert!(
        signed.status.success(),
        "{}",
        String::from_utf8_lossy(&signed.stderr)
    );
    let after = run(&["check", "--format", "json"]);
    let qa = check(&json_report(&after.stdout), "approval.qa").clone();
    assert_eq!(qa["status"], "pass", "{qa}");
    assert!(
        qa["message"]
            .as_str()
            .unwrap()
            .contains("signed by Jonas Berg on "),
        "{qa}"
    );
    assert!(
        qa["message"]
            .as_str()
            .unwrap()
            .ends_with("suite: \"green\""),
        "{qa}"
    );
    // Not a manual check, or a typo: exit 2 with a reason.
    let wrong = run(&["attest", "other", "--by", "x"]);
    assert_eq!(wrong.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("only `manual` checks"));
    let typo = run(&["attest", "approval.qaa", "--by", "x"]);
    assert_eq!(typo.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&typo.stderr).contains("did you mean `approval.qa`?"));
}

/// Regression: `man` covered only the top level and pointed at
/// readyctl-check(1), which did not exist.
#[test]
fn man_writes_one_page_per_subcommand() {
    let dir = tempfile::tempdir().unwrap();
    readyctl()
        .args(["man", "--dir"])
        .arg(dir.path())
        .assert()
        .success();
    for page in [
        "readyctl.1",
        "readyctl-check.1",
        "readyctl-validate.1",
        "readyctl-attest.1",
    ] {
        let text = std::fs::read_to_string(dir.path().join(page)).unwrap();
        assert!(
            text.contains("EXIT STATUS") && text.contains("NO_COLOR"),
            "{page}"
        );
    }
}

/// Regression: bash completion offered file names for --fail-on.
#[test]
fn bash_completion_offers_severities_for_fail_on() {
    let out = readyctl().args(["completions", "bash"]).output().unwrap();
    let s = String::from_utf8(out.stdout).unwrap();
    let fail_on = s
        .split("--fail-on)")
        .nth(1)
        .expect("a --fail-on case")
        .split(";;")
        .next()
        .unwrap()
        .to_string();
    assert!(
        fail_on.contains("info low medium high critical"),
        "{fail_on}"
    );
}

/// Regression: `htp://`, port 63799999 and `sslmode=bogus` passed `validate`
/// and failed only at run time. All three come back at once, located, and
/// the password in the URL is not echoed.
#[test]
fn validate_checks_target_schemes_ports_and_tls_modes_at_load_time() {
    let (_dir, path) = catalogue(
        "version: 1\ntargets:\n  api: {url: 'htp://127.0.0.1:8000'}\n  cache: {url: 'redis://:${PW}@127.0.0.1:63799999'}\n  db: {url: 'postgres://u@127.0.0.1:5432/d?sslmode=bogus'}\n  db2: {url: 'postgres://u@127.0.0.1/d', tls: requir}\nchecks:\n  - {id: a, kind: file, path: x}\n",
    );
    let out = readyctl()
        .arg("validate")
        .arg("--catalog")
        .arg(&path)
        .env("PW", "s3cretPW")
        .assert()
        .code(2);
    let err = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(
        err.contains("unknown scheme `htp`") && err.contains("did you mean `http://`?"),
        "{err}"
    );
    assert!(err.contains("readyctl.yml:3:"), "{err}");
    assert!(
        err.contains("invalid port number") && err.contains("readyctl.yml:4:"),
        "{err}"
    );
    assert!(
        err.contains("unknown TLS mode `bogus`") && err.contains("readyctl.yml:5:"),
        "{err}"
    );
    assert!(err.contains("did you mean `require`?"), "{err}");
    assert!(!err.contains("s3cretPW"), "{err}");
}

/// Regression (issue 20): a failing command showed only stderr's last line
/// (a linter printing to stdout and `npm WARN` to stderr showed only the
/// warning) and printed the command line twice.
#[test]
fn a_failing_command_shows_stdout_and_stderr_labelled_and_the_command_once() {
    let (dir, cat) = catalogue(
        "version: 1\nchecks:\n  - id: lint\n    kind: command\n    title: lint passes\n    run: [sh, -c, 'echo \"src/a.py:3: E501 line too long\"; echo \"npm WARN deprecated x\" >&2; exit 1']\n",
    );
    let out = readyctl()
        .args(["check", "-v", "--catalog"])
        .arg(&cat)
        .arg("--root")
        .arg(dir.path())
        .env("COLUMNS", "200")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(text.matches("sh -c echo").count(), 1, "{text}");
    let so = text.find("stdout (last line):").expect("stdout labelled");
    let lint = text
        // The command line itself holds the text too: the output comes after it.
        .rfind("src/a.py:3: E501 line too long")
        .expect("stdout shown");
    let se = text.find("stderr (last line):").expect("stderr labelled");
    let warn = text.rfind("npm WARN deprecated x").expect("stderr shown");
    assert!(so < lint && lint < se && se < warn, "{text}");
}

/// Regression (issue 20): completion offered no kind names for `explain`.
/// The names come from `readyctl kinds`, and an unknown kind still gets
/// `explain`'s own did-you-mean rather than a bare clap rejection.
#[test]
fn completions_offer_every_kind_name_for_explain() {
    let kinds = readyctl().arg("kinds").output().unwrap();
    let kinds = String::from_utf8_lossy(&kinds.stdout).into_owned();
    let names: Vec<&str> = kinds
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert!(names.len() > 10, "{kinds}");
    for shell in ["bash", "zsh"] {
        let out = readyctl().args(["completions", shell]).output().unwrap();
        let s = String::from_utf8_lossy(&out.stdout);
        let explain = match shell {
            "bash" => s.split("readyctl__subcmd__explain)").nth(1).unwrap_or(""),
            _ => s.split(":kind -- ").nth(1).unwrap_or(""),
        };
        let explain = explain.lines().take(2).collect::<Vec<_>>().join("\n");
        for n in &names {
            assert!(
                explain
                    .split(|c: char| !c.is_ascii_alphanumeric() && c != '_')
                    .any(|w| w == *n),
                "{shell}: `{n}` not offered for explain:\n{explain}"
            );
        }
    }
    readyctl()
        .args(["explain", "redsi"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("did you mean `redis`?"));
}

/// Regression (issue 20): a scan whose include globs matched no file passed
/// ("no match … in 0 files").
#[test]
fn a_scan_that_matches_no_file_fails_with_a_plain_reason() {
    let (dir, cat) = catalogue(
        "version: 1\nchecks:\n  - id: no-localhost\n    kind: scan\n    title: no localhost URLs\n    include: ['backend/**/*.py']\n    pattern: 'http://localhost'\n",
    );
    std::fs::create_dir_all(dir.path().join("src")).unwrap();
    std::fs::write(dir.path().join("src/app.py"), "URL = 'http://localhost'\n").unwrap();
    let out = readyctl()
        .args(["check", "--format", "json", "--catalog"])
        .arg(&cat)
        .arg("--root")
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let c = &report["checks"][0];
    assert_eq!(c["status"], "fail", "{c:#}");
    assert_eq!(
        c["message"],
        "no file matches backend/**/*.py: nothing was scanned"
    );
    assert_eq!(c["findings"][0]["code"], "scan/no-files");
}

/// Regression (issue 20): a missing bind mount beside the compose file got
/// the hint "create ./x (relative to )": the project directory relative to
/// itself is empty.
#[test]
fn a_missing_mount_hint_names_the_project_directory() {
    let (dir, cat) = catalogue(
        "version: 1\nchecks:\n  - id: compose.lint\n    kind: compose\n    title: compose lint\n    files: [compose.yaml]\n",
    );
    std::fs::write(
        dir.path().join("compose.yaml"),
        "services:\n  web:\n    image: nginx:1.27\n    restart: always\n    healthcheck: {test: [CMD, 'true']}\n    volumes: ['./nginx.conf:/etc/nginx/nginx.conf:ro']\n",
    )
    .unwrap();
    let out = readyctl()
        .args(["check", "--format", "json", "--catalog"])
        .arg(&cat)
        .arg("--root")
        .arg(dir.path())
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let hints: Vec<&str> = report["checks"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["hint"].as_str())
        .collect();
    assert!(
        hints
            .iter()
            .any(|h| h.contains("./nginx.conf (relative to the project directory)")),
        "{report:#}"
    );
    assert!(
        hints.iter().all(|h| !h.contains("relative to )")),
        "{hints:?}"
    );
}

/// `readyctl list | head -1` and friends: a reader that goes away is not an
/// error. Before, the print macros panicked with "failed printing to stdout".
#[test]
fn a_closed_stdout_pipe_ends_quietly_with_the_commands_own_exit_code() {
    use std::process::{Command, Stdio};
    for args in [
        vec!["list", "--root", "fixtures/dotmac/broken"],
        vec!["explain", "compose"],
        vec!["kinds"],
        vec!["schema"],
    ] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_readyctl"))
            .args(&args)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Close the read end before readyctl writes a byte.
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert_eq!(out.status.code(), Some(0), "{args:?}: {stderr}");
    }
}
