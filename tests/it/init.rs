//! `readyctl init`: a starter catalogue from compose files that `validate`
//! accepts and whose targets reach the live services; never overwrites.

use crate::common;

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
            // `info` notes never fail (here: compose's `.env` in the `build: .`
            // context without .dockerignore, compose/build-context-secrets).
            let codes: Vec<&str> = c["findings"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|f| f["severity"] != "info")
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

/// `init --stdout` on a fixture stack, the catalogue saved beside a temp dir,
/// then `validate` and a files-only run: (catalogue text, JSON report).
fn init_and_check(stack: &str, env: &[(&str, &str)]) -> (String, Value) {
    let root = common::fixture(stack);
    let mut cmd = readyctl();
    cmd.args(["init", "--stdout", "--root"]).arg(&root);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cat = dir.path().join("readyctl.yml");
    std::fs::write(&cat, &text).unwrap();
    readyctl()
        .args(["validate", "--catalog"])
        .arg(&cat)
        .arg("--root")
        .arg(&root)
        .assert()
        .success();
    let out = readyctl()
        .args([
            "check",
            "--skip-tag",
            "live",
            "--format",
            "json",
            "--catalog",
        ])
        .arg(&cat)
        .arg("--root")
        .arg(&root)
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    (text, report)
}

/// Every (check id, finding code or "-", first words of the message) of a report.
fn findings(report: &Value) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    for c in report["checks"].as_array().unwrap() {
        for f in c["findings"].as_array().into_iter().flatten() {
            out.push((
                c["id"].as_str().unwrap().to_string(),
                f["code"].as_str().unwrap_or("-").to_string(),
                f["message"].as_str().unwrap_or("").to_string(),
            ));
        }
    }
    out
}

fn no_secret_values(text: &str, env_file: &std::path::Path) {
    for line in std::fs::read_to_string(env_file).unwrap().lines() {
        if let Some((k, v)) = line.split_once('=') {
            let v = v.split(" #").next().unwrap().trim().trim_matches('"');
            if !readyctl_secretish(k) || v.is_empty() {
                continue;
            }
            // As a URL password, a token, or any value of 16+ characters
            // (short ones such as "postgres" also name users and services).
            for bad in [format!(":{v}@"), format!("token: \"{v}\"")] {
                assert!(
                    !text.contains(&bad),
                    "the catalogue copies {k}'s value:\n{text}"
                );
            }
            if v.len() >= 16 {
                assert!(
                    !text.contains(v),
                    "the catalogue copies {k}'s value:\n{text}"
                );
            }
        }
    }
}

fn readyctl_secretish(k: &str) -> bool {
    ["PASSWORD", "SECRET", "KEY", "AUTH", "SALT"]
        .iter()
        .any(|w| k.contains(w))
}

/// Stack (a), modelled on fastapi/full-stack-fastapi-template: the override
/// file is merged, the backend's pydantic settings class is found and used,
/// and the files-only run reports the template's real defects only.
/// Regressions guarded: a one-shot `prestart` job got no-restart/no-healthcheck;
/// `list[AnyUrl] | str` with a comma list and an empty `HttpUrl | None` under
/// `env_ignore_empty` were wrong-type; `changethis` passed as a secret.
#[test]
fn init_on_an_override_stack_checks_settings_and_reports_only_true_findings() {
    let (text, report) = init_and_check("init-override", &[]);
    for want in [
        "files: [\"compose.yml\", \"compose.override.yml\"]",
        "settings: \"backend/app/core/config.py:Settings\"",
        "ignore: [\"STACK_NAME\", \"DOCKER_IMAGE_BACKEND\", \"DOCKER_IMAGE_FRONTEND\"]",
        "url: \"postgres://postgres:${POSTGRES_PASSWORD}@127.0.0.1:5432/app\"",
        "url: \"/api/v1/utils/health-check/\"",
        "id: mailcatcher.port-1025",
    ] {
        assert!(text.contains(want), "missing `{want}`:\n{text}");
    }
    assert!(!text.contains("changethis"), "{text}");
    no_secret_values(&text, &common::fixture("init-override/.env"));
    let got = findings(&report);
    let codes: Vec<(&str, &str)> = got
        .iter()
        .map(|(id, code, _)| (id.as_str(), code.as_str()))
        .collect();
    assert_eq!(
        codes,
        [
            ("compose.lint", "compose/exposed-datastore"),
            ("compose.lint", "compose/no-healthcheck"),
            ("compose.lint", "compose/no-healthcheck"),
            ("compose.lint", "compose/no-healthcheck"),
            ("compose.lint", "compose/image-latest"),
            ("compose.lint", "compose/no-restart"),
            ("compose.lint", "compose/no-healthcheck"),
            ("compose.env-prestart", "compose_env/unknown"),
            ("compose.env-backend", "compose_env/unknown"),
            ("env.env", "env_file/weak-secret"),
            ("env.env", "env_file/weak-secret"),
            ("env.env", "env_file/weak-secret"),
            ("env.env", "env_file/weak-secret"),
        ],
        "{got:#?}"
    );
    assert!(
        got.iter().all(|(_, _, m)| !m.contains("`prestart` has no")),
        "{got:#?}"
    );
    assert!(got[7].2.contains("DOMAIN"), "{got:#?}");
    let env: Vec<&str> = got[9..].iter().map(|(_, _, m)| m.as_str()).collect();
    assert_eq!(
        env,
        [
            "SECRET_KEY is a framework placeholder, not a secret",
            "FIRST_SUPERUSER_PASSWORD is a framework placeholder, not a secret",
            "SMTP_PASSWORD is empty",
            "POSTGRES_PASSWORD is a framework placeholder, not a secret",
        ]
    );
}

/// The reference: pydantic-settings itself loads the fixture's settings
/// class from the environment compose gives `backend` (as readyctl's compose
/// model resolves it) — so `compose_env` passing those values is right.
#[test]
fn the_override_stacks_backend_environment_loads_in_pydantic_settings() {
    let Some(python) = common::service("READYCTL_TEST_PYTHON") else {
        return;
    };
    let root = common::fixture("init-override");
    let out = readyctl()
        .args(["compose", "config", "--format", "json"])
        .current_dir(&root)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let model: Value = serde_json::from_slice(&out.stdout).unwrap();
    let env = model["services"]["backend"]["environment"]
        .as_object()
        .unwrap();
    let mut cmd = std::process::Command::new(python);
    cmd.env_clear().current_dir(root.join("backend")).args([
        "-c",
        "from app.core.config import Settings\n\
             s = Settings(_env_file=None)\n\
             print(len(s.BACKEND_CORS_ORIGINS), s.SENTRY_DSN)",
    ]);
    for (k, v) in env {
        cmd.env(k, v.as_str().unwrap_or(""));
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "pydantic-settings refused the environment: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "4 None");
    // And readyctl agrees: no wrong-type on the same service.
    let (_, report) = init_and_check("init-override", &[]);
    assert!(
        findings(&report)
            .iter()
            .all(|(_, code, _)| code != "compose_env/wrong-type"),
        "{report:#}"
    );
}

/// Stack (b), modelled on immich: services `extends` hwaccel files and a
/// `backup` service runs only under a profile. Regression guarded: immich's
/// postgres image declares its own HEALTHCHECK, so no no-healthcheck.
#[test]
fn init_on_a_profiles_and_extends_stack_leaves_inactive_profiles_out() {
    let (text, report) = init_and_check("init-profiles", &[]);
    assert!(
        text.contains("(extends: hwaccel.transcoding.yml, hwaccel.ml.yml)"),
        "{text}"
    );
    assert!(
        text.contains("# `backup` starts only with --profile backup"),
        "{text}"
    );
    assert!(!text.contains("id: backup"), "{text}");
    assert!(text.contains("id: compose.env-immich-server"), "{text}");
    // Only published ports get live checks; the unpublished datastores say so.
    assert!(
        text.contains("# `database` (PostgreSQL) publishes no port"),
        "{text}"
    );
    no_secret_values(&text, &common::fixture("init-profiles/.env"));
    let got = findings(&report);
    assert_eq!(
        got,
        [(
            "env.env".to_string(),
            "env_file/weak-secret".to_string(),
            "DB_PASSWORD is a well-known default value".to_string()
        )],
        "{got:#?}"
    );
    // With the profile on (COMPOSE_PROFILES, as docker compose reads it), the
    // backup service is in and the note is gone.
    let (text, _) = init_and_check("init-profiles", &[("COMPOSE_PROFILES", "backup")]);
    assert!(
        text.contains("Profiles active (COMPOSE_PROFILES): backup"),
        "{text}"
    );
    assert!(!text.contains("starts only with --profile"), "{text}");
}

/// Stack (c), modelled on Langfuse v3 plus Vault: vault, redis (password from
/// `--requirepass ${REDIS_AUTH}`), postgres and MinIO health checks, secrets as
/// placeholders; the files-only run finds the upstream placeholders.
#[test]
fn init_on_a_vault_and_minio_stack_writes_service_checks_with_placeholders() {
    let (text, report) = init_and_check("init-vault-minio", &[]);
    for want in [
        "url: \"redis://default:${REDIS_AUTH}@127.0.0.1:6379\"",
        "url: \"postgres://postgres:${POSTGRES_PASSWORD}@127.0.0.1:5432/postgres\"",
        "token: \"${VAULT_TOKEN:-}\"",
        "id: vault.unsealed\n    kind: vault",
        "id: redis.server\n    kind: redis",
        "auth_required: true",
        "id: minio.health\n    kind: http",
        "url: /minio/health/live",
        "id: postgres.server\n    kind: postgres",
        "version: \">=17\"",
    ] {
        assert!(text.contains(want), "missing `{want}`:\n{text}");
    }
    // MinIO's API (container 9000) is published on 9090: the health check's target.
    assert!(
        text.contains("  minio:\n    url: \"http://127.0.0.1:9090\""),
        "{text}"
    );
    no_secret_values(&text, &common::fixture("init-vault-minio/.env"));
    let checks = report["checks"].as_array().unwrap();
    assert!(
        checks
            .iter()
            .all(|c| !["tcp", "postgres", "redis", "vault", "http"]
                .contains(&c["kind"].as_str().unwrap())),
        "a live check ran with --skip-tag live"
    );
    let got = findings(&report);
    let env: Vec<&str> = got
        .iter()
        .filter(|(id, _, _)| id == "env.env")
        .map(|(_, _, m)| m.split(' ').next().unwrap())
        .collect();
    assert_eq!(
        env,
        [
            "POSTGRES_PASSWORD",
            "ENCRYPTION_KEY",
            "CLICKHOUSE_PASSWORD",
            "MINIO_ROOT_PASSWORD",
            "NEXTAUTH_SECRET"
        ]
    );
    let lint: Vec<&str> = got
        .iter()
        .filter(|(id, _, _)| id == "compose.lint")
        .map(|(_, c, _)| c.as_str())
        .collect();
    assert_eq!(
        lint,
        ["compose/no-healthcheck", "compose/default-credential"],
        "{got:#?}"
    );
}
