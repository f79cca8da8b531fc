//! The `docker` kind against a real Docker engine started by
//! scripts/services/docker.sh: labelled busybox containers that are healthy,
//! unhealthy, exited and crash-looping.

mod common;

use serde_json::Value;

fn run(host: &str, checks: &str) -> (i32, Value) {
    let text = format!("version: 1\ntargets:\n  docker: {{url: \"{host}\"}}\nchecks:\n{checks}");
    let (_dir, path) = common::catalogue(&text);
    let out = common::readyctl()
        .args(["check", "--format", "json", "--catalog"])
        .arg(&path)
        .output()
        .expect("run readyctl");
    let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().unwrap_or(-1), report)
}

fn result<'a>(report: &'a Value, id: &str) -> (&'a str, &'a str) {
    let c = report["checks"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["id"] == id))
        .unwrap_or_else(|| panic!("no check {id} in {report}"));
    (
        c["status"].as_str().unwrap_or(""),
        c["message"].as_str().unwrap_or(""),
    )
}

#[test]
fn healthy_service_passes() {
    let Some(host) = common::service("READYCTL_TEST_DOCKER_HOST") else {
        return;
    };
    let (code, report) = run(
        &host,
        "  - {id: docker.web, kind: docker, target: docker, project: readyctltest, services: [web]}\n",
    );
    let (status, message) = result(&report, "docker.web");
    assert_eq!(status, "pass", "{message}");
    assert_eq!(code, 0);
    assert!(message.starts_with("1 container(s) running"), "{message}");
}

#[test]
fn failing_healthcheck_fails_with_name_and_state() {
    let Some(host) = common::service("READYCTL_TEST_DOCKER_HOST") else {
        return;
    };
    let (code, report) = run(
        &host,
        "  - {id: docker.worker, kind: docker, target: docker, names: [readyctltest-worker-1]}\n",
    );
    let (status, message) = result(&report, "docker.worker");
    assert_eq!(status, "fail");
    assert_eq!(code, 1);
    assert!(
        message.starts_with("readyctltest-worker-1 (service worker) is running but unhealthy"),
        "{message}"
    );
}

#[test]
fn exited_container_fails_with_name_and_exit_code() {
    let Some(host) = common::service("READYCTL_TEST_DOCKER_HOST") else {
        return;
    };
    let (_, report) = run(
        &host,
        "  - {id: docker.migrate, kind: docker, target: docker, project: readyctltest, services: [migrate]}\n  - {id: docker.migrate-one-shot, kind: docker, target: docker, project: readyctltest, services: [migrate], one_shot: [migrate]}\n",
    );
    let (status, message) = result(&report, "docker.migrate");
    assert_eq!(status, "fail");
    assert_eq!(
        message,
        "readyctltest-migrate-1 (service migrate) is exited (exit code 3); expected running"
    );
    // One-shot services may exit, but only with code 0.
    let (status, message) = result(&report, "docker.migrate-one-shot");
    assert_eq!(status, "fail", "{message}");
}

#[test]
fn whole_project_lists_every_problem_and_missing_services() {
    let Some(host) = common::service("READYCTL_TEST_DOCKER_HOST") else {
        return;
    };
    let (_, report) = run(
        &host,
        "  - {id: docker.stack, kind: docker, target: docker, project: readyctltest, services: [web, worker, migrate, redis]}\n",
    );
    let (status, message) = result(&report, "docker.stack");
    assert_eq!(status, "fail");
    assert!(message.starts_with("3 problems"), "{message}");
    let findings: Vec<String> = report["checks"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["message"].as_str().unwrap().to_string())
        .collect();
    assert!(
        findings
            .iter()
            .any(|f| f == "service redis has no container"),
        "{findings:?}"
    );
}

#[test]
fn crash_looping_container_exceeds_restart_bound() {
    let Some(host) = common::service("READYCTL_TEST_DOCKER_HOST") else {
        return;
    };
    let (_, report) = run(
        &host,
        "  - {id: docker.flaky, kind: docker, target: docker, project: readyctlflaky, max_restarts: 1, healthy: false}\n",
    );
    let (status, _) = result(&report, "docker.flaky");
    assert_eq!(status, "fail");
    let findings = report["checks"][0]["findings"].as_array().unwrap();
    assert!(
        findings.iter().any(|f| {
            let m = f["message"].as_str().unwrap();
            m.starts_with("readyctltest-flaky-1 (service flaky) restarted ")
                && m.ends_with("times; at most 1 allowed")
        }),
        "{findings:?}"
    );
}

#[test]
fn unknown_project_matches_nothing() {
    let Some(host) = common::service("READYCTL_TEST_DOCKER_HOST") else {
        return;
    };
    let (_, report) = run(
        &host,
        "  - {id: docker.none, kind: docker, target: docker, project: no-such-project}\n",
    );
    assert_eq!(
        result(&report, "docker.none"),
        ("fail", "no container matches project no-such-project")
    );
}

#[test]
fn missing_socket_is_a_plain_reason() {
    let (code, report) = run(
        "unix:///nonexistent/readyctl/docker.sock",
        "  - {id: docker.down, kind: docker, target: docker, project: p}\n",
    );
    assert_eq!(code, 1);
    let (status, message) = result(&report, "docker.down");
    assert_eq!(status, "fail");
    assert!(
        message.starts_with("Docker socket /nonexistent/readyctl/docker.sock does not exist"),
        "{message}"
    );
}
