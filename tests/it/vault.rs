//! The `vault` kind against a real OpenBao started by scripts/services/openbao.sh:
//! a sealed raft server, a dev server with a secret, plus in-process sockets
//! for what a real server cannot show (a port that accepts and never answers).

mod common;

use std::time::{Duration, Instant};

use serde_json::Value;

/// Runs `catalogue` with `--format json` and a report file; returns
/// (exit code, stdout, stderr, report file text, parsed report).
fn run(catalogue: &str) -> (i32, String, String, String, Value) {
    let (dir, path) = common::catalogue(catalogue);
    let report = dir.path().join("report.json");
    let out = common::readyctl()
        .args(["check", "--color", "never", "--format", "json", "--catalog"])
        .arg(&path)
        .arg("--report-json")
        .arg(&report)
        .output()
        .expect("run readyctl");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let file = std::fs::read_to_string(&report).unwrap_or_default();
    let json: Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {stdout}\n{stderr}"));
    (out.status.code().unwrap_or(-1), stdout, stderr, file, json)
}

fn check<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["checks"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["id"] == id))
        .unwrap_or_else(|| panic!("no check {id} in {report}"))
}

fn message(report: &Value, id: &str) -> String {
    check(report, id)["message"]
        .as_str()
        .unwrap_or("")
        .to_string()
}

#[test]
fn sealed_server_reports_threshold_and_progress() {
    let Some(addr) = common::service("READYCTL_TEST_BAO_SEALED_ADDR") else {
        return;
    };
    let (code, _, _, _, report) = run(&format!(
        "version: 1\nchecks:\n  - id: vault.unsealed\n    kind: vault\n    url: {addr}\n"
    ));
    assert_eq!(code, 1);
    assert_eq!(check(&report, "vault.unsealed")["status"], "fail");
    let m = message(&report, "vault.unsealed");
    assert!(
        m.contains("sealed: 0 of 3 unseal keys provided (5 key shares"),
        "{m}"
    );
    // A sealed server's raw health says standby: true; it must not be reported as one.
    assert!(!m.contains("standby"), "{m}");
}

#[test]
fn dev_server_secret_passes_without_its_value_anywhere() {
    let (Some(addr), Some(token), Some(secret)) = (
        common::service("READYCTL_TEST_BAO_ADDR"),
        common::service("READYCTL_TEST_BAO_TOKEN"),
        common::service("READYCTL_TEST_BAO_SECRET"),
    ) else {
        return;
    };
    let text = format!(
        r#"version: 1
targets:
  vault: {{url: "{addr}", token: "{token}"}}
checks:
  - id: vault.jwt-secret
    kind: vault
    target: vault
    version: ">=2.0"
    standby: false
    kv_v2: secret
    secrets:
      - path: secret/auth/jwt_secret
        keys: [value]
        min_length: 16
  - id: vault.jwt-secret-too-short
    kind: vault
    target: vault
    secrets:
      - path: secret/auth/jwt_secret
        keys: [value, missing_key]
        min_length: 500
"#
    );
    let (_, stdout, stderr, file, report) = run(&text);
    assert_eq!(
        check(&report, "vault.jwt-secret")["status"],
        "pass",
        "{}",
        message(&report, "vault.jwt-secret")
    );
    assert!(
        message(&report, "vault.jwt-secret").contains("initialised and unsealed"),
        "{stdout}"
    );
    let short = message(&report, "vault.jwt-secret-too-short");
    assert_eq!(
        check(&report, "vault.jwt-secret-too-short")["status"],
        "fail"
    );
    assert!(
        short.contains("key `value` is shorter than 500 characters"),
        "{short}"
    );
    for (what, text) in [
        ("stdout", &stdout),
        ("stderr", &stderr),
        ("report file", &file),
    ] {
        assert!(
            !text.contains(&secret),
            "the secret value leaked into {what}"
        );
        assert!(!text.contains(&token), "the token leaked into {what}");
    }
    assert!(!file.is_empty(), "the JSON report was written");
}

#[test]
fn root_token_fails_production_and_scoped_token_passes() {
    let (Some(addr), Some(root), Some(app)) = (
        common::service("READYCTL_TEST_BAO_ADDR"),
        common::service("READYCTL_TEST_BAO_TOKEN"),
        common::service("READYCTL_TEST_BAO_APP_TOKEN"),
    ) else {
        return;
    };
    let text = format!(
        r#"version: 1
targets:
  root: {{url: "{addr}", token: "{root}"}}
  app: {{url: "{addr}", token: "{app}"}}
checks:
  - {{id: vault.root, kind: vault, target: root, production: true}}
  - {{id: vault.app, kind: vault, target: app, production: true, kv_v2: secret, secrets: [{{path: secret/auth/jwt_secret, keys: [value]}}]}}
"#
    );
    let (_, _, _, _, report) = run(&text);
    assert_eq!(check(&report, "vault.root")["status"], "fail");
    assert!(message(&report, "vault.root").contains("the token is a root token"));
    assert_eq!(
        check(&report, "vault.app")["status"],
        "pass",
        "{}",
        message(&report, "vault.app")
    );
}

#[test]
fn wrong_token_is_permission_denied() {
    let Some(addr) = common::service("READYCTL_TEST_BAO_ADDR") else {
        return;
    };
    let text = format!(
        "version: 1\ntargets:\n  vault: {{url: \"{addr}\", token: not-a-valid-token}}\nchecks:\n  - {{id: vault.token, kind: vault, target: vault, kv_v2: secret}}\n"
    );
    let (code, stdout, _, _, report) = run(&text);
    assert_eq!(code, 1);
    let m = message(&report, "vault.token");
    assert!(
        m.contains("permission denied: the token was refused"),
        "{m}"
    );
    assert!(!stdout.contains("not-a-valid-token"), "token is masked");
}

#[test]
fn refused_port_is_connection_refused() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let (_, _, _, _, report) = run(&format!(
        "version: 1\nchecks:\n  - {{id: vault.down, kind: vault, url: \"http://127.0.0.1:{port}\"}}\n"
    ));
    assert_eq!(check(&report, "vault.down")["status"], "fail");
    assert_eq!(
        message(&report, "vault.down"),
        format!("127.0.0.1:{port}: connection refused (nothing listens there)")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn port_that_accepts_and_never_answers_times_out_within_the_timeout() {
    // Regression guard: a hung server must be reported as timed out, not hang the run.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let holder = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((sock, _)) = listener.accept().await {
            held.push(sock);
        }
    });
    let text = format!(
        "version: 1\nchecks:\n  - {{id: vault.hung, kind: vault, url: \"http://127.0.0.1:{port}\", timeout: 2s}}\n"
    );
    let started = Instant::now();
    let (_, _, _, _, report) = tokio::task::spawn_blocking(move || run(&text))
        .await
        .unwrap();
    let took = started.elapsed();
    holder.abort();
    assert_eq!(check(&report, "vault.hung")["status"], "fail");
    let m = message(&report, "vault.hung");
    assert!(
        m.starts_with(&format!("127.0.0.1:{port}: timed out after 1s 900ms")),
        "{m}"
    );
    assert!(m.contains("no HTTP answer"), "{m}");
    assert!(took < Duration::from_secs(8), "took {took:?}");
}

#[test]
fn fixture_app_policy_is_read_only_and_a_writable_policy_points_at_its_line() {
    let text = r#"version: 1
checks:
  - id: vault.app-policy
    kind: vault
    policy: vault/policies/app-policy.hcl
    grants:
      "secret/data/*": [read]
    forbid: [sudo, delete]
"#;
    let (dir, path) = common::catalogue(text);
    let out = common::readyctl()
        .args(["check", "--format", "json", "--catalog"])
        .arg(&path)
        .arg("--root")
        .arg(common::fixture("dotmac/fixed"))
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        check(&report, "vault.app-policy")["status"],
        "pass",
        "{}",
        message(&report, "vault.app-policy")
    );

    let root = dir.path().join("deploy");
    std::fs::create_dir_all(root.join("vault/policies")).unwrap();
    std::fs::write(
        root.join("vault/policies/app-policy.hcl"),
        "# too broad\npath \"secret/data/*\" {\n  capabilities = [\"create\", \"read\", \"update\", \"delete\"]\n}\n",
    )
    .unwrap();
    let out = common::readyctl()
        .args(["check", "--format", "json", "--catalog"])
        .arg(&path)
        .arg("--root")
        .arg(&root)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let c = check(&report, "vault.app-policy");
    assert_eq!(c["status"], "fail");
    let f = &c["findings"][0];
    assert_eq!(f["file"], "vault/policies/app-policy.hcl");
    assert_eq!(f["line"], 3);
    assert!(
        f["message"].as_str().unwrap().contains(
            "grants [create, delete, read, update] on `secret/data/*`, expected exactly [read]"
        ),
        "{f}"
    );
}

#[test]
fn bundled_policy_check_passes_on_fixed_and_fails_on_broken_fixture() {
    // The seed's defect: vault/policies/app-policy.hcl was missing.
    for (root, status, text) in [
        ("dotmac/fixed", "pass", "is read-only on `secret/`"),
        (
            "dotmac/broken",
            "fail",
            "policy file vault/policies/app-policy.hcl does not exist",
        ),
    ] {
        let out = common::readyctl()
            .args([
                "check",
                "--format",
                "json",
                "--catalog",
                "checks/22-vault.yml",
            ])
            .args(["--only", "vault.app-policy", "--root"])
            .arg(common::fixture(root))
            .output()
            .unwrap();
        let report: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(
            check(&report, "vault.app-policy")["status"],
            status,
            "{root}"
        );
        assert!(
            message(&report, "vault.app-policy").contains(text),
            "{root}: {report}"
        );
    }
}
