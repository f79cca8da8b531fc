//! `readyctl init`: a starter catalogue from compose files that `validate`
//! accepts and whose targets reach the live services; never overwrites.

mod common;

use std::net::TcpListener;

use common::readyctl;
use serde_json::Value;

#[test]
fn init_writes_a_valid_catalogue_that_finds_the_live_services() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::copy(
        common::fixture("dotmac/broken/.env.production"),
        root.join(".env.production"),
    )
    .unwrap();
    // Live "services": listeners on the ports the compose file publishes.
    let listeners: Vec<TcpListener> = (0..6)
        .map(|_| TcpListener::bind("127.0.0.1:0").unwrap())
        .collect();
    let p: Vec<u16> = listeners
        .iter()
        .map(|l| l.local_addr().unwrap().port())
        .collect();
    std::fs::write(root.join(".env"), format!("API_PORT={}\n", p[5])).unwrap();
    std::fs::write(
        root.join("docker-compose.yml"),
        format!(
            r#"services:
  postgres:
    image: postgres:15-alpine
    env_file: .env.production
    ports: ["127.0.0.1:{}:5432"]
  redis:
    image: redis:7-alpine
    ports:
      - "{}:6379"
  openbao:
    image: openbao/openbao:2.0.0
    ports:
      - target: 8200
        published: "{}"
  minio:
    image: minio/minio
    ports: ["{}:9000"]
    environment:
      MINIO_ROOT_USER: admin
  nginx:
    image: nginx:1.25
    ports: ["{}:80"]
  api:
    build: .
    env_file: [.env.production]
    ports: ["${{API_PORT}}:8000"]
  worker:
    build: .
"#,
            p[0], p[1], p[2], p[3], p[4]
        ),
    )
    .unwrap();

    let out = readyctl()
        .arg("init")
        .arg("--root")
        .arg(root)
        .assert()
        .success();
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    for role in [
        "postgres (postgres)",
        "redis (redis)",
        "openbao (vault)",
        "minio (minio)",
        "nginx (nginx)",
        "api (app)",
    ] {
        assert!(stderr.contains(role), "{stderr}");
    }
    let cat = root.join("readyctl.yml");
    let text = std::fs::read_to_string(&cat).unwrap();
    // The password is a placeholder resolved at run time, never the value.
    assert!(
        text.contains("url: \"postgres://postgres:${POSTGRES_PASSWORD}@127.0.0.1:"),
        "{text}"
    );
    assert!(!text.contains("changeme"), "{text}");
    assert!(text.contains("kind: env_file"), "{text}");

    readyctl()
        .args(["validate", "--catalog"])
        .arg(&cat)
        .arg("--root")
        .arg(root)
        .assert()
        .success();

    let out = readyctl()
        .args(["check", "--format", "json", "--only", "*.port", "--catalog"])
        .arg(&cat)
        .arg("--root")
        .arg(root)
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let ports: Vec<(&str, &str)> = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["id"].as_str().unwrap(), c["status"].as_str().unwrap()))
        .collect();
    assert_eq!(
        ports,
        [
            ("postgres.port", "pass"),
            ("redis.port", "pass"),
            ("openbao.port", "pass"),
            ("minio.port", "pass"),
            ("nginx.port", "pass"),
            ("api.port", "pass"),
        ]
    );
    assert_eq!(out.status.code(), Some(0));

    // A second init refuses to overwrite.
    let before = std::fs::read_to_string(&cat).unwrap();
    readyctl()
        .arg("init")
        .arg("--root")
        .arg(root)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("never overwrites"));
    assert_eq!(std::fs::read_to_string(&cat).unwrap(), before);
    drop(listeners);
}

#[test]
fn init_on_the_fixture_deployment_finds_its_published_services() {
    // The fixed fixture publishes PostgreSQL (127.0.0.1:5432) and nginx (80, 443);
    // redis, openbao and minio stay on the compose network, so they get no target.
    let out = common::readyctl()
        .args([
            "init",
            "--stdout",
            "--root",
            "fixtures/dotmac/fixed",
            "-f",
            "docker-compose.base.yml",
            "-f",
            "docker-compose.production.yml",
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    for want in [
        "postgres:",
        "url: \"postgres://dotmac:${POSTGRES_PASSWORD}@127.0.0.1:5432/dotmac_prod\"",
        "id: postgres.port",
        "id: nginx.port",
    ] {
        assert!(text.contains(want), "missing `{want}` in:\n{text}");
    }
    let dir = tempfile::tempdir().unwrap();
    let cat = dir.path().join("readyctl.yml");
    std::fs::write(&cat, &text).unwrap();
    common::readyctl()
        .args(["validate", "--root", "fixtures/dotmac/fixed", "--catalog"])
        .arg(&cat)
        .assert()
        .success();
}

/// Regression: init ignored the override file, tagged nothing `live`, gave
/// 443 an http:// target and wrote no compose lint; so `--skip-tag live` on
/// a fresh init still dialled services.
#[test]
fn init_reads_the_override_file_tags_service_checks_live_and_lints_compose() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::write(
        root.join("compose.yaml"),
        "services:\n  web:\n    build: .\n    env_file: .env\n  db:\n    image: postgres:16\n    environment:\n      POSTGRES_PASSWORD: ${POSTGRES_PASSWORD:?set it}\n",
    )
    .unwrap();
    std::fs::write(
        root.join("compose.override.yaml"),
        "services:\n  proxy:\n    image: nginx:1.27\n    ports: [\"127.0.0.1:8443:443\", \"127.0.0.1:8080:80\"]\n  db:\n    ports: [\"127.0.0.1:55432:5432\"]\n",
    )
    .unwrap();
    std::fs::write(root.join("Dockerfile"), "FROM python:3.12-slim\n").unwrap();
    std::fs::write(
        root.join(".env"),
        "POSTGRES_PASSWORD=V9r2Qk7LpX4mZt8NcW3bHy6s\n",
    )
    .unwrap();
    readyctl()
        .arg("init")
        .arg("--root")
        .arg(root)
        .assert()
        .success();
    let text = std::fs::read_to_string(root.join("readyctl.yml")).unwrap();
    // The override file's services and ports are in.
    assert!(text.contains("proxy") && text.contains("55432"), "{text}");
    assert!(text.contains("https://127.0.0.1:8443"), "{text}");
    assert!(!text.contains("http://127.0.0.1:8443"), "{text}");
    assert!(
        text.contains("kind: compose") && text.contains("compose.override.yaml"),
        "{text}"
    );
    readyctl()
        .args(["validate", "--catalog"])
        .arg(root.join("readyctl.yml"))
        .arg("--root")
        .arg(root)
        .assert()
        .success();
    // Files only: nothing dials a service, and a clean stack passes.
    let out = readyctl()
        .args([
            "check",
            "--skip-tag",
            "live",
            "--format",
            "json",
            "--catalog",
        ])
        .arg(root.join("readyctl.yml"))
        .arg("--root")
        .arg(root)
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let checks = report["checks"].as_array().unwrap();
    assert!(checks.iter().all(|c| c["kind"] != "tcp"), "{report:#}");
    assert!(checks.iter().any(|c| c["kind"] == "compose"), "{report:#}");
    // The stack sets no restart policy and no healthcheck on any of its three
    // services: those six findings are true, and the only ones.
    for c in checks {
        if c["kind"] == "compose" {
            let codes: Vec<&str> = c["findings"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f["code"].as_str().unwrap_or(""))
                .collect();
            assert_eq!(codes.len(), 6, "{c:#}");
            assert!(
                codes
                    .iter()
                    .all(|k| *k == "compose/no-restart" || *k == "compose/no-healthcheck"),
                "{c:#}"
            );
        } else {
            assert_eq!(c["status"], "pass", "a false alarm on this stack: {c:#}");
        }
    }
}
