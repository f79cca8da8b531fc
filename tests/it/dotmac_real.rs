//! The bundled catalogue on the real DotMac repository at the two commits the
//! checklist is about (`fixtures/dotmac-real/`, vendored from the public
//! repository; see its README), run as an operator runs it: the checkout
//! copied, `.env.production` and `.env` created from `.env.production.example`
//! (what the checklist says to do), then
//! `readyctl check --root . --skip-tag live --skip-tag toolchain`.
//!
//! The expected lists are exact: every failing check and every finding with
//! its file:line. docs/dotmac-real.md says why each one breaks or weakens the
//! deploy. On a mismatch the test prints what is missing, what is new and the
//! whole actual list, ready to paste.

use crate::common;

use std::path::Path;

use serde_json::Value;

/// Copies a directory tree (file modes kept: `std::fs::copy` copies them).
fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// The operator's checkout of `state` with the env files the checklist asks
/// for, and the catalogue's JSON report on it.
fn operator_run(state: &str) -> (tempfile::TempDir, Value) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("dotmac");
    copy_tree(&common::fixture(&format!("dotmac-real/{state}")), &root);
    // The real repository has no exported schema: the catalogue reads the
    // settings class from source (the expectations below were first
    // written from a run against the exported schema: the same findings).
    std::fs::remove_file(root.join("settings.schema.json")).unwrap();
    let example = root.join(".env.production.example");
    std::fs::copy(&example, root.join(".env.production")).unwrap();
    std::fs::copy(&example, root.join(".env")).unwrap();
    let mut cmd = common::readyctl();
    cmd.current_dir(&root)
        .env("READYCTL_TODAY", "2026-11-26")
        .arg("check")
        .arg("--catalog")
        .arg(common::repo("checks"))
        .args([
            "--root",
            ".",
            "--skip-tag",
            "live",
            "--skip-tag",
            "toolchain",
            "--format",
            "json",
        ]);
    // The catalogue's ${VAR} come from the deployment's files, not from
    // whatever the test runner's environment holds.
    for v in [
        "POSTGRES_PASSWORD",
        "REDIS_PASSWORD",
        "JWT_SECRET",
        "SECRET_KEY",
        "VAULT_ROOT_TOKEN",
        "COMPOSE_FILE",
        "COMPOSE_PROFILES",
        "COMPOSE_PROJECT_NAME",
    ] {
        cmd.env_remove(v);
    }
    let out = cmd.output().expect("run readyctl");
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "exit {:?}\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    let report = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not a JSON report ({e}):\n{}",
            String::from_utf8_lossy(&out.stdout)
        )
    });
    (dir, report)
}

/// One line per check that did not pass (`id: status`, sign-offs included)
/// and one per finding (`id | code | file:line | message`).
fn lines(report: &Value) -> Vec<String> {
    let mut out = Vec::new();
    for c in report["checks"].as_array().unwrap() {
        let id = c["id"].as_str().unwrap();
        let status = c["status"].as_str().unwrap();
        if status == "pass" {
            continue;
        }
        out.push(format!("{id}: {status}"));
        if status == "warn" && c["kind"] == "manual" || status == "skip" {
            continue;
        }
        for f in c["findings"].as_array().into_iter().flatten() {
            let at = match (f["file"].as_str(), f["line"].as_u64()) {
                (Some(file), Some(line)) => format!("{file}:{line}"),
                (Some(file), None) => file.to_string(),
                _ => "-".to_string(),
            };
            out.push(format!(
                "{id} | {} | {at} | {}",
                f["code"].as_str().unwrap_or("-"),
                f["message"].as_str().unwrap_or("")
            ));
        }
    }
    out
}

/// Exact comparison with a readable diff.
fn assert_exact(state: &str, actual: &[String], expected: &[&str]) {
    let missing: Vec<&&str> = expected
        .iter()
        .filter(|e| !actual.iter().any(|a| a == **e))
        .collect();
    let unexpected: Vec<&String> = actual
        .iter()
        .filter(|a| !expected.contains(&a.as_str()))
        .collect();
    if missing.is_empty() && unexpected.is_empty() && actual.len() == expected.len() {
        return;
    }
    let mut msg = format!("the catalogue on the real DotMac tree at {state} changed\n");
    msg.push_str(&format!(
        "\n--- expected, not reported ({}):\n",
        missing.len()
    ));
    for m in &missing {
        msg.push_str(&format!("  {m}\n"));
    }
    msg.push_str(&format!(
        "\n+++ reported, not expected ({}):\n",
        unexpected.len()
    ));
    for u in &unexpected {
        msg.push_str(&format!("  {u}\n"));
    }
    msg.push_str("\n=== the whole actual list (paste into the test after checking each line):\n");
    for a in actual {
        msg.push_str(&format!("        {a:?},\n"));
    }
    panic!("{msg}");
}

fn has(actual: &[String], parts: &[&str]) -> bool {
    actual.iter().any(|l| parts.iter().all(|p| l.contains(p)))
}

/// The state the checklist describes: its "Critical Issues Fixed" were still
/// missing and its environment-variable table was not applied.
#[test]
fn ab78780b_reports_every_defect_the_checklist_names_with_its_line() {
    let (_dir, report) = operator_run("ab78780b");
    let actual = lines(&report);
    // The checklist's own list, each at the line it cites (or the line at fault).
    for (what, parts) in [
        (
            "DATABASE__NAME → DATABASE__DATABASE",
            &[
                "compose.api-env | compose_env/unknown | docker-compose.production.yml:19 |",
                "DATABASE__NAME",
                "DATABASE__DATABASE",
            ][..],
        ),
        (
            "JWT_SECRET → AUTH__JWT_SECRET_KEY",
            &[
                "compose.api-env | compose_env/unknown | docker-compose.production.yml:33 |",
                "JWT_SECRET ",
                "AUTH__JWT_SECRET_KEY",
            ],
        ),
        (
            "VAULT__ENABLED missing in the app's environment",
            &[
                "validation.backend-settings | compose_env/missing | docker-compose.production.yml:15 |",
                "service `app`: VAULT__ENABLED is not set",
            ],
        ),
        (
            "database/init mount source",
            &[
                "docker-compose.production.yml:115 |",
                "./database/init does not exist",
            ],
        ),
        (
            "redis/redis.conf mount source",
            &[
                "docker-compose.production.yml:134 |",
                "./redis/redis.conf does not exist",
            ],
        ),
        (
            "vault/policies mount source",
            &[
                "docker-compose.production.yml:174 |",
                "./vault/policies does not exist",
            ],
        ),
        (
            "scripts/docker-entrypoint.sh",
            // No service builds the `api` stage at ab78780b (compose/build-last-stage),
            // so the file check is what names the API script.
            &[
                "scripts.api-entrypoint | file/missing | scripts/docker-entrypoint.sh | scripts/docker-entrypoint.sh does not exist",
            ],
        ),
        (
            "scripts/celery-entrypoint.sh",
            &[
                "compose.entrypoints | compose/entrypoint-missing | Dockerfile.prod:",
                "scripts/celery-entrypoint.sh",
            ],
        ),
    ] {
        assert!(has(&actual, parts), "{what} is not reported: {actual:#?}");
    }
    assert_exact("ab78780b", &actual, AB78780B);
}

/// The commit after the checklist's fixes: none of the fixed defects and none
/// of the old false alarms; what remains is in docs/dotmac-real.md.
#[test]
fn b2470133_reports_no_fixed_defect_and_no_false_alarm() {
    let (_dir, report) = operator_run("b2470133");
    let actual = lines(&report);
    for (what, parts) in [
        ("DATABASE__NAME", &["DATABASE__NAME"][..]),
        (
            "JWT_SECRET as an unknown setting",
            &["compose_env/unknown", "JWT_SECRET "],
        ),
        (
            "VAULT__ENABLED on the app",
            &["service `app`: VAULT__ENABLED"],
        ),
        ("redis/redis.conf", &["redis/redis.conf does not exist"]),
        ("vault/policies", &["vault/policies does not exist"]),
        ("entrypoint scripts missing", &["entrypoint-missing"]),
        // Old false alarms: git mode 644, but Dockerfile.prod runs `RUN chmod +x`.
        ("entrypoint not executable", &["not executable"]),
        // The workers are celery-worker and celery-beat.
        ("service celery", &["service `celery` is not defined"]),
        // read/list on secret/data/app/*, auth/*, … is read-only.
        ("app policy", &["vault.app-policy"]),
        // Read by the application through os.getenv.
        ("REQUIRE_REDIS_SESSIONS", &["REQUIRE_REDIS_SESSIONS"]),
        // Paths the checklist never named.
        ("invented paths", &["docs/ROLLBACK.md"]),
        ("invented paths", &["PREVIOUS_RELEASE"]),
        ("invented paths", &["deploy/logrotate"]),
        ("invented paths", &["backups/"]),
        ("invented paths", &["monitoring/alerts.yml"]),
    ] {
        assert!(!has(&actual, parts), "{what} is reported: {actual:#?}");
    }
    assert_exact("b2470133", &actual, B2470133);
}

/// The vendored settings schema is what the real pydantic writes for the
/// vendored settings.py, with the command the fixture README documents.
#[test]
fn vendored_settings_schemas_are_what_pydantic_writes() {
    let Some(python) = common::service("READYCTL_TEST_PYTHON") else {
        return;
    };
    for state in ["ab78780b", "b2470133"] {
        let dir = common::fixture(&format!("dotmac-real/{state}"));
        let out = std::process::Command::new(&python)
            .current_dir(&dir)
            .args([
                "-c",
                r#"import importlib.util as u, json, sys; s = u.spec_from_file_location("settings", "src/dotmac/platform/settings.py"); m = sys.modules["settings"] = u.module_from_spec(s); s.loader.exec_module(m); print(json.dumps(m.Settings.model_json_schema(), indent=2))"#,
            ])
            .output()
            .expect("run python");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let fresh: Value = serde_json::from_slice(&out.stdout).unwrap();
        let vendored: Value = serde_json::from_str(
            &std::fs::read_to_string(dir.join("settings.schema.json")).unwrap(),
        )
        .unwrap();
        assert_eq!(
            fresh, vendored,
            "{state}: regenerate settings.schema.json (fixtures/dotmac-real/README.md)"
        );
    }
}

const AB78780B: &[&str] = &[
    "scripts.api-entrypoint: fail",
    "scripts.api-entrypoint | file/missing | scripts/docker-entrypoint.sh | scripts/docker-entrypoint.sh does not exist",
    "scripts.celery-entrypoint: fail",
    "scripts.celery-entrypoint | file/missing | scripts/celery-entrypoint.sh | scripts/celery-entrypoint.sh does not exist",
    "scripts.integration-tests: fail",
    "scripts.integration-tests | file/missing | scripts/run_integration_tests.sh | scripts/run_integration_tests.sh does not exist",
    "scripts.check-infra: fail",
    "scripts.check-infra | file/missing | scripts/check_infra.sh | scripts/check_infra.sh does not exist",
    "scripts.seed-data: fail",
    "scripts.seed-data | file/missing | scripts/seed_data.py | scripts/seed_data.py does not exist",
    "env.production-values: fail",
    "env.production-values | env_file/missing | .env.production | REDIS_PASSWORD is not set",
    "secrets.strength: fail",
    "secrets.strength | env_file/weak-secret | .env.production:10 | SECRET_KEY is a well-known default value",
    "secrets.strength | env_file/weak-secret | .env.production:11 | JWT_SECRET is a well-known default value",
    "secrets.strength | env_file/weak-secret | .env.production:12 | NEXTAUTH_SECRET is a well-known default value",
    "secrets.strength | env_file/weak-secret | .env.production:17 | POSTGRES_PASSWORD is a well-known default value",
    "secrets.strength | env_file/weak-secret | .env.production:24 | DATABASE__PASSWORD is a well-known default value",
    "secrets.strength | env_file/weak-secret | .env.production:31 | REDIS__PASSWORD is empty",
    "secrets.strength | env_file/weak-secret | .env.production:34 | VAULT_ROOT_TOKEN is a well-known default value",
    "secrets.strength | env_file/weak-secret | .env.production:36 | VAULT__TOKEN is a well-known default value",
    "secrets.strength | env_file/weak-secret | .env.production:43 | MINIO_ACCESS_KEY is a well-known default value",
    "secrets.strength | env_file/weak-secret | .env.production:44 | MINIO_SECRET_KEY is a well-known default value",
    "secrets.strength | env_file/weak-secret | .env.production:56 | SMTP_PASSWORD is a well-known default value",
    "secrets.strength | env_file/weak-secret | .env.production:66 | GRAFANA_PASSWORD is a well-known default value",
    "secrets.strength | env_file/weak-secret | .env.production:73 | BACKUP_S3_ACCESS_KEY is a well-known default value",
    "secrets.strength | env_file/weak-secret | .env.production:74 | BACKUP_S3_SECRET_KEY is a well-known default value",
    "compose.config-paths: fail",
    "compose.config-paths | compose/missing-mount-dir | docker-compose.production.yml:67 | service `app`: bind-mount directory ./storage does not exist; docker creates it empty at /app/storage",
    "compose.config-paths | compose/missing-path | docker-compose.production.yml:75 | service `frontend`: Dockerfile Dockerfile.prod does not exist",
    "compose.config-paths | compose/missing-mount-config-dir | docker-compose.production.yml:115 | service `postgres`: bind-mount directory ./database/init does not exist; docker creates it empty at /docker-entrypoint-initdb.d, and the service starts without what it should find there",
    "compose.config-paths | compose/missing-mount-file | docker-compose.production.yml:134 | service `redis`: bind-mount source ./redis/redis.conf does not exist; docker creates a directory in its place and /etc/redis/redis.conf becomes an empty directory the service cannot read as a file",
    "compose.config-paths | compose/missing-mount-config-dir | docker-compose.production.yml:174 | service `openbao`: bind-mount directory ./vault/policies does not exist; docker creates it empty at /vault/policies, and the service starts without what it should find there",
    "compose.config-paths | compose/missing-mount-dir | docker-compose.production.yml:211 | service `celery-worker`: bind-mount directory ./storage does not exist; docker creates it empty at /app/storage",
    "compose.config-paths | compose/missing-mount-config-dir | docker-compose.production.yml:280 | service `nginx`: bind-mount directory ./nginx/ssl does not exist; docker creates it empty at /etc/nginx/ssl, and the service starts without what it should find there",
    "compose.config-paths | compose/missing-mount-file | docker-compose.production.yml:318 | service `prometheus`: bind-mount source ./monitoring/prometheus.yml does not exist; docker creates a directory in its place and /etc/prometheus/prometheus.yml becomes an empty directory the service cannot read as a file",
    "compose.config-paths | compose/missing-mount-config-dir | docker-compose.production.yml:341 | service `grafana`: bind-mount directory ./monitoring/grafana/dashboards does not exist; docker creates it empty at /etc/grafana/provisioning/dashboards, and the service starts without what it should find there",
    "compose.config-paths | compose/missing-mount-config-dir | docker-compose.production.yml:342 | service `grafana`: bind-mount directory ./monitoring/grafana/datasources does not exist; docker creates it empty at /etc/grafana/provisioning/datasources, and the service starts without what it should find there",
    "compose.config-paths | compose/dockerfile-missing-source | Dockerfile.prod:25 | Dockerfile.prod:25: COPY/ADD source poetry.lock is not in the build context (stage `dependencies`, which stage `celery` needs; service `app`)",
    "compose.config-paths | compose/proxy-missing-file | nginx/nginx.prod.conf:119 | nginx/nginx.prod.conf:119: nginx (ssl_certificate) reads /etc/nginx/ssl/cert.pem, mounted from nginx/ssl, but nginx/ssl does not exist (docker creates it empty): nginx (service `nginx`) refuses to start",
    "compose.config-paths | compose/proxy-missing-file | nginx/nginx.prod.conf:120 | nginx/nginx.prod.conf:120: nginx (ssl_certificate_key) reads /etc/nginx/ssl/key.pem, mounted from nginx/ssl, but nginx/ssl does not exist (docker creates it empty): nginx (service `nginx`) refuses to start",
    "compose.config-paths | compose/proxy-missing-file | nginx/nginx.prod.conf:133 | nginx/nginx.prod.conf:133: nginx (ssl_trusted_certificate) reads /etc/nginx/ssl/chain.pem, mounted from nginx/ssl, but nginx/ssl does not exist (docker creates it empty): nginx (service `nginx`) refuses to start",
    "compose.entrypoints: fail",
    "compose.entrypoints | compose/entrypoint-missing | Dockerfile.prod:142 | Dockerfile.prod:142: the ENTRYPOINT of stage `celery` runs /celery-entrypoint.sh, copied from scripts/celery-entrypoint.sh, which is not in the build context: the image build fails (service `app`)",
    "compose.startup: fail",
    "compose.startup | compose/build-last-stage | docker-compose.production.yml:8 | service `app` builds Dockerfile.prod without `target`, so it gets the last stage `celery` (Dockerfile.prod:127); the file's other final stage: `api` (:72)",
    "compose.config-paths | compose/run-on-deleted-path | Dockerfile.prod:138 | Dockerfile.prod:138: `chmod` on /app/src/dotmac/platform/cli.py, which does not exist there: stage `app-builder` deleted every `*.py` under /build/src (Dockerfile.prod:45) before Dockerfile.prod:135 copied /build/src to /app/src: the RUN fails and the image build stops (service `app`)",
    "compose.config-paths | compose/run-on-deleted-path | Dockerfile.prod:85 | Dockerfile.prod:85: `chmod` on /app/src/dotmac/platform/cli.py, which does not exist there: stage `app-builder` deleted every `*.py` under /build/src (Dockerfile.prod:45) before Dockerfile.prod:80 copied /build/src to /app/src: the RUN fails and the image build stops (service `app`)",
    "compose.startup | compose/console-script-not-on-path | Dockerfile.prod:169 | stage `celery`: its HEALTHCHECK runs `celery`, which is not on the image's PATH: Dockerfile.prod:28 installs with `pip install --target=/install`, which puts console scripts in /install/bin, and Dockerfile.prod:132 copies it so the scripts land in /usr/local/lib/python3.12/site-packages/bin, which is not on PATH: `celery: not found`",
    "compose.hygiene | compose/build-context-secrets | docker-compose.production.yml:7 | build context . of service `app` has no .dockerignore, and it holds `.env`, `.env.production`, `.env.test`: the classic builder (DOCKER_BUILDKIT=0, Docker Engine before 23.0) sends the whole context to the daemon, and one `COPY . …` puts them in the image (BuildKit transfers only what COPY reads, and nothing copies them today)",
    "compose.startup | compose/container-name-scaled | docker-compose.production.yml:192 | service `celery-worker` sets container_name and 2 replicas: compose refuses the project (\"can't set container_name and celery-worker as container name must be unique\")",
    "compose.startup | compose/proxy-unknown-host | nginx/nginx.prod.conf:87 | nginx/nginx.prod.conf:87: nginx (server in upstream api_backend) proxies to api:8000, but no service, container_name or alias is called `api`: nginx (service `nginx`) refuses to start (\"host not found in upstream\")",
    "compose.startup | compose/sealed-dependency | docker-compose.production.yml:58 | service `app` waits for `openbao` to be healthy, but `openbao` is a Vault/OpenBao server whose healthcheck fails until it is initialised and unsealed (/v1/sys/health answers 501, then 503; `status` exits 2): the first `docker compose up` ends with `openbao` unhealthy and `app` never starts, and so does every restart that reseals it",
    "compose.hygiene: fail",
    "compose.hygiene | compose/secret-default | docker-compose.production.yml:50 | secret-looking variable MINIO_ACCESS_KEY has an inline default in the compose file",
    "compose.hygiene | compose/secret-default | docker-compose.production.yml:51 | secret-looking variable MINIO_SECRET_KEY has an inline default in the compose file",
    "compose.hygiene | compose/secret-default | docker-compose.production.yml:254 | secret-looking variable MINIO_ACCESS_KEY has an inline default in the compose file",
    "compose.hygiene | compose/secret-default | docker-compose.production.yml:255 | secret-looking variable MINIO_SECRET_KEY has an inline default in the compose file",
    "compose.hygiene | compose/secret-default | docker-compose.production.yml:337 | secret-looking variable GRAFANA_PASSWORD has an inline default in the compose file",
    "compose.hygiene | compose/root-token | docker-compose.production.yml:30 | service `app` gets a Vault/OpenBao root token: VAULT__TOKEN is set from ${VAULT_ROOT_TOKEN}",
    "compose.hygiene | compose/exposed-datastore | docker-compose.production.yml:112 | service `postgres` publishes PostgreSQL port 5432 on all interfaces",
    "compose.hygiene | compose/default-credential | docker-compose.production.yml:108 | service `postgres`: POSTGRES_PASSWORD is a vendor default or well-known placeholder (${POSTGRES_PASSWORD} is set to it)",
    "compose.hygiene | compose/exposed-datastore | docker-compose.production.yml:131 | service `redis` publishes Redis port 6379 on all interfaces",
    "compose.hygiene | compose/image-latest | docker-compose.production.yml:146 | service `openbao`: image quay.io/openbao/openbao:latest uses the `latest` tag",
    "compose.hygiene | compose/exposed-datastore | docker-compose.production.yml:170 | service `openbao` publishes Vault/OpenBao port 8200 on all interfaces",
    "compose.hygiene | compose/root-token | docker-compose.production.yml:201 | service `celery-worker` gets a Vault/OpenBao root token: VAULT__TOKEN is set from ${VAULT_ROOT_TOKEN}",
    "compose.hygiene | compose/root-token | docker-compose.production.yml:233 | service `celery-beat` gets a Vault/OpenBao root token: VAULT__TOKEN is set from ${VAULT_ROOT_TOKEN}",
    "compose.hygiene | compose/image-latest | docker-compose.production.yml:249 | service `minio`: image minio/minio:latest uses the `latest` tag",
    "compose.hygiene | compose/default-credential | docker-compose.production.yml:255 | service `minio`: MINIO_ROOT_PASSWORD is a vendor default or well-known placeholder (${MINIO_SECRET_KEY} is set to it)",
    "compose.hygiene | compose/no-healthcheck | docker-compose.production.yml:271 | service `nginx` has no healthcheck",
    "compose.hygiene | compose/image-latest | docker-compose.production.yml:292 | service `jaeger`: image jaegertracing/all-in-one:latest uses the `latest` tag",
    "compose.hygiene | compose/no-healthcheck | docker-compose.production.yml:291 | service `jaeger` has no healthcheck",
    "compose.hygiene | compose/image-latest | docker-compose.production.yml:312 | service `prometheus`: image prom/prometheus:latest uses the `latest` tag",
    "compose.hygiene | compose/no-healthcheck | docker-compose.production.yml:311 | service `prometheus` has no healthcheck",
    "compose.hygiene | compose/image-latest | docker-compose.production.yml:331 | service `grafana`: image grafana/grafana:latest uses the `latest` tag",
    "compose.hygiene | compose/no-healthcheck | docker-compose.production.yml:330 | service `grafana` has no healthcheck",
    "compose.hygiene | compose/default-credential | docker-compose.production.yml:337 | service `grafana`: GF_SECURITY_ADMIN_PASSWORD is a vendor default or well-known placeholder (${GRAFANA_PASSWORD} is set to it)",
    "compose.hygiene | compose/obsolete-version | docker-compose.production.yml:1 | the top-level `version:` is obsolete: compose ignores it and warns on every command",
    "compose.hygiene | compose/proxy-dropped-headers | nginx/nginx.prod.conf:138 | nginx/nginx.prod.conf:138: `server` (:113) sets its own add_header (Strict-Transport-Security, Content-Security-Policy), so nginx (service `nginx`) no longer sends there the security headers the enclosing level sets: X-Frame-Options (:71), X-Content-Type-Options (:72), Referrer-Policy (:74)",
    "compose.hygiene | compose/proxy-dropped-headers | nginx/nginx.prod.conf:244 | nginx/nginx.prod.conf:244: `location /api` (:212) sets its own add_header (X-Cache-Status), so nginx (service `nginx`) no longer sends there the security headers the enclosing level sets: Strict-Transport-Security (:138), Content-Security-Policy (:139)",
    "compose.api-env: fail",
    "compose.api-env | compose_env/unknown | docker-compose.production.yml:19 | service `app`: DATABASE__NAME is not a setting the application reads; did you mean DATABASE__DATABASE?",
    "compose.api-env | compose_env/unknown | docker-compose.production.yml:20 | service `app`: DATABASE__USER is not a setting the application reads; did you mean DATABASE__USERNAME?",
    "compose.api-env | compose_env/unknown | docker-compose.production.yml:33 | service `app`: JWT_SECRET is not a setting the application reads; did you mean JWT__SECRET_KEY or AUTH__JWT_SECRET_KEY?",
    "compose.api-env | compose_env/unknown | docker-compose.production.yml:38 | service `app`: LOG_LEVEL is not a setting the application reads; did you mean OBSERVABILITY__LOG_LEVEL?",
    "compose.api-env | compose_env/unknown | docker-compose.production.yml:45 | service `app`: OTEL_EXPORTER_OTLP_ENDPOINT is not a setting the application reads",
    "compose.api-env | compose_env/unknown | docker-compose.production.yml:46 | service `app`: OTEL_SERVICE_NAME is not a setting the application reads; did you mean OBSERVABILITY__OTEL_SERVICE_NAME?",
    "compose.api-env | compose_env/unknown | docker-compose.production.yml:49 | service `app`: MINIO_ENDPOINT is not a setting the application reads",
    "compose.api-env | compose_env/unknown | docker-compose.production.yml:50 | service `app`: MINIO_ACCESS_KEY is not a setting the application reads",
    "compose.api-env | compose_env/unknown | docker-compose.production.yml:51 | service `app`: MINIO_SECRET_KEY is not a setting the application reads",
    "compose.worker-env: fail",
    "compose.worker-env | compose_env/unknown | docker-compose.production.yml:203 | service `celery-worker`: LOG_LEVEL is not a setting the application reads; did you mean OBSERVABILITY__LOG_LEVEL?",
    "compose.worker-env | compose_env/missing | docker-compose.production.yml:195 | service `celery-worker`: DATABASE__DATABASE is not set",
    "compose.worker-env | compose_env/missing | docker-compose.production.yml:195 | service `celery-worker`: DATABASE__USERNAME is not set",
    "compose.worker-env | compose_env/missing | docker-compose.production.yml:195 | service `celery-worker`: DATABASE__PASSWORD is not set",
    "compose.worker-env | compose_env/missing | docker-compose.production.yml:195 | service `celery-worker`: VAULT__ENABLED is not set",
    "compose.worker-env | compose_env/validator-rejects | docker-compose.production.yml:195 | service `celery-worker`: SECRET_KEY is not set (its default is empty) while ENVIRONMENT is production: `Settings.validate_secret_key` raises ValueError (\"SECRET_KEY must be loaded from Vault in production. Ensure VAULT_ENABLED=true and secrets are migrated.\"), so Settings() fails and the process does not start",
    "compose.worker-env | compose_env/unknown | docker-compose.production.yml:235 | service `celery-beat`: LOG_LEVEL is not a setting the application reads; did you mean OBSERVABILITY__LOG_LEVEL?",
    "compose.worker-env | compose_env/missing | docker-compose.production.yml:227 | service `celery-beat`: DATABASE__DATABASE is not set",
    "compose.worker-env | compose_env/missing | docker-compose.production.yml:227 | service `celery-beat`: DATABASE__USERNAME is not set",
    "compose.worker-env | compose_env/missing | docker-compose.production.yml:227 | service `celery-beat`: DATABASE__PASSWORD is not set",
    "compose.worker-env | compose_env/missing | docker-compose.production.yml:227 | service `celery-beat`: VAULT__ENABLED is not set",
    "compose.worker-env | compose_env/validator-rejects | docker-compose.production.yml:227 | service `celery-beat`: SECRET_KEY is not set (its default is empty) while ENVIRONMENT is production: `Settings.validate_secret_key` raises ValueError (\"SECRET_KEY must be loaded from Vault in production. Ensure VAULT_ENABLED=true and secrets are migrated.\"), so Settings() fails and the process does not start",
    "compose.secrets-store-env: fail",
    "compose.secrets-store-env | compose_env/renamed | docker-compose.production.yml:152 | service `openbao`: VAULT_LOCAL_CONFIG was renamed to BAO_LOCAL_CONFIG; the application no longer reads VAULT_LOCAL_CONFIG",
    "database.init-sql.extensions: fail",
    "database.init-sql.extensions | postgres/file | database/init/01-init.sql | database/init/01-init.sql does not exist",
    "database.init-sql.max-connections: skip",
    "redis.conf.exists: fail",
    "redis.conf.exists | file/missing | redis/redis.conf | redis/redis.conf does not exist",
    "redis.conf.persistence: skip",
    "redis.conf.memory: skip",
    "redis.conf.password: skip",
    "vault.app-policy: fail",
    "vault.app-policy | vault/policy-file | vault/policies/app-policy.hcl | policy file vault/policies/app-policy.hcl does not exist",
    "backend.no-localhost: fail",
    "backend.no-localhost | scan/match | src/dotmac/platform/netbox/client.py:65 | forbidden `http://localhost:8080`",
    "backend.no-localhost | scan/match | src/dotmac/platform/monitoring/traces_router.py:188 | forbidden `http://localhost:16686`",
    "backend.no-localhost | scan/match | src/dotmac/platform/auth/router.py:2119 | forbidden `http://localhost:3000`",
    "backend.no-localhost | scan/match | src/dotmac/platform/auth/email_service.py:96 | forbidden `https://localhost:3001`",
    "backend.no-localhost | scan/match | src/dotmac/platform/genieacs/client.py:68 | forbidden `http://localhost:7557`",
    "backend.no-localhost | scan/match | src/dotmac/platform/search/service.py:310 | forbidden `http://localhost:7700`",
    "backend.no-localhost | scan/match | src/dotmac/platform/search/service_elasticsearch.py:44 | forbidden `http://localhost:9200`",
    "backend.no-localhost | scan/match | src/dotmac/platform/search/elasticsearch_backend.py:38 | forbidden `http://localhost:9200`",
    "backend.no-localhost | scan/match | src/dotmac/platform/voltha/client.py:72 | forbidden `http://localhost:8881`",
    "backend.no-localhost | scan/match | src/dotmac/platform/secrets/vault_config.py:51 | forbidden `http://localhost:8200`",
    "backend.no-localhost | scan/match | src/dotmac/platform/secrets/vault_config.py:108 | forbidden `http://localhost:8200`",
    "backend.no-localhost | scan/match | src/dotmac/platform/ansible/client.py:40 | forbidden `http://localhost:80`",
    "backend.no-localhost | scan/match | src/dotmac/platform/radius/coa_client.py:439 | forbidden `http://localhost:8080`",
    "frontend.no-mock-fallback: fail",
    "frontend.no-mock-fallback | scan/match | frontend/apps/base-app/app/tenant/billing/usage/page.tsx:167 | forbidden `? apiRecords : mockUsageRecords`",
    "frontend.no-mock-fallback | scan/match | frontend/apps/base-app/app/tenant/billing/usage/page.tsx:503 | forbidden `? apiChartData : mockUsageChartData`",
    "frontend.no-mock-fallback | scan/match | frontend/apps/base-app/app/dashboard/network/faults/page.tsx:151 | forbidden `? apiAlarms : mockAlarms`",
    "frontend.notification-settings-mock: fail",
    "frontend.notification-settings-mock | scan/match | frontend/apps/base-app/app/dashboard/settings/notifications/page.tsx:51 | forbidden `mockPreferences`",
    "frontend.notification-settings-mock | scan/match | frontend/apps/base-app/app/dashboard/settings/notifications/page.tsx:171 | forbidden `mockPreferences`",
    "frontend.notification-settings-mock | scan/match | frontend/apps/base-app/app/dashboard/settings/notifications/page.tsx:227 | forbidden `mockPreferences`",
    "frontend.type-check-script: fail",
    "frontend.type-check-script | file/forbidden-pattern | frontend/apps/base-app/package.json:12 | forbidden /\"type-check\":\\s*\"echo/ matched `\"type-check\": \"echo`",
    "validation.backend-settings: fail",
    "validation.backend-settings | compose_env/missing | docker-compose.production.yml:15 | service `app`: JWT__SECRET_KEY is not set",
    "validation.backend-settings | compose_env/missing | docker-compose.production.yml:15 | service `app`: VAULT__ENABLED is not set",
    "validation.backend-settings | compose_env/missing | docker-compose.production.yml:15 | service `app`: TRUSTED_HOSTS is not set",
    "validation.backend-settings | compose_env/missing | docker-compose.production.yml:15 | service `app`: CORS__ORIGINS is not set",
    "monitoring.app-logging: warn",
    "monitoring.error-tracking: warn",
    "monitoring.log-rotation: warn",
    "monitoring.opentelemetry: fail",
    "monitoring.opentelemetry | compose_env/missing | docker-compose.production.yml:15 | service `app`: OBSERVABILITY__OTEL_ENDPOINT is not set",
    "cicd.workflow: fail",
    "cicd.workflow | file/missing | .github/workflows/staging-deploy.yml | .github/workflows/staging-deploy.yml does not exist",
    "cicd.type-check: skip",
    "cicd.lint: skip",
    "cicd.tests: skip",
    "cicd.build: skip",
    "cicd.e2e: skip",
    "cicd.staging-automated: skip",
    "cicd.python-version: skip",
    "cicd.production-approval: warn",
    "cicd.notifications: warn",
    "rollback.plan-documented: warn",
    "rollback.database-backup: warn",
    "rollback.previous-tag: warn",
    "rollback.tested-in-staging: warn",
    "rollback.downtime-communicated: warn",
    "approval.technical-lead: warn",
    "approval.security: warn",
    "approval.qa: warn",
    "approval.stakeholder: warn",
    "vault.unseal-keys-stored: warn",
    "vault.root-token-stored: warn",
    "security.firewall: warn",
    "security.pentest-owasp: warn",
    "database.backups-tested: warn",
    "monitoring.log-aggregation: warn",
    "monitoring.traces-visible: warn",
    "startup.no-error-logs: warn",
    "smoke.ui-no-mock-data: warn",
    "performance.no-memory-leaks: warn",
    "rollback.previous-images: warn",
    "post.monitor-logs: warn",
    "post.runbook-updated: warn",
];

const B2470133: &[&str] = &[
    "env.production-values: fail",
    "env.production-values | env_file/missing | .env.production | JWT_SECRET is not set",
    "env.production-values | env_file/missing | .env.production | REDIS_PASSWORD is not set",
    "secrets.strength: fail",
    "secrets.strength | env_file/weak-secret | .env.production:10 | SECRET_KEY is a well-known default value",
    "secrets.strength | env_file/weak-secret | .env.production:11 | AUTH__JWT_SECRET_KEY is a well-known default value",
    "secrets.strength | env_file/weak-secret | .env.production:12 | NEXTAUTH_SECRET is a well-known default value",
    "secrets.strength | env_file/weak-secret | .env.production:17 | POSTGRES_PASSWORD is a well-known default value",
    "secrets.strength | env_file/weak-secret | .env.production:24 | DATABASE__PASSWORD is a well-known default value",
    "secrets.strength | env_file/weak-secret | .env.production:31 | REDIS__PASSWORD is empty",
    "secrets.strength | env_file/weak-secret | .env.production:34 | VAULT_ROOT_TOKEN is a well-known default value",
    "secrets.strength | env_file/weak-secret | .env.production:37 | VAULT__TOKEN is a well-known default value",
    "secrets.strength | env_file/weak-secret | .env.production:44 | MINIO_ACCESS_KEY is a well-known default value",
    "secrets.strength | env_file/weak-secret | .env.production:45 | MINIO_SECRET_KEY is a well-known default value",
    "secrets.strength | env_file/weak-secret | .env.production:57 | SMTP_PASSWORD is a well-known default value",
    "secrets.strength | env_file/weak-secret | .env.production:67 | GRAFANA_PASSWORD is a well-known default value",
    "secrets.strength | env_file/weak-secret | .env.production:74 | BACKUP_S3_ACCESS_KEY is a well-known default value",
    "secrets.strength | env_file/weak-secret | .env.production:75 | BACKUP_S3_SECRET_KEY is a well-known default value",
    "compose.config-paths: fail",
    "compose.config-paths | compose/missing-mount-dir | docker-compose.production.yml:42 | service `app`: bind-mount directory ./storage does not exist; docker creates it empty at /app/storage",
    "compose.config-paths | compose/missing-path | docker-compose.production.yml:52 | service `frontend`: Dockerfile Dockerfile.prod does not exist",
    "compose.config-paths | compose/missing-mount-config-dir | docker-compose.production.yml:84 | service `postgres`: bind-mount directory ./database/init does not exist; docker creates it empty at /docker-entrypoint-initdb.d, and the service starts without what it should find there",
    "compose.config-paths | compose/missing-mount-dir | docker-compose.production.yml:161 | service `celery-worker`: bind-mount directory ./storage does not exist; docker creates it empty at /app/storage",
    "compose.config-paths | compose/missing-mount-config-dir | docker-compose.production.yml:208 | service `nginx`: bind-mount directory ./nginx/ssl does not exist; docker creates it empty at /etc/nginx/ssl, and the service starts without what it should find there",
    "compose.config-paths | compose/dockerfile-missing-source | Dockerfile.prod:25 | Dockerfile.prod:25: COPY/ADD source poetry.lock is not in the build context (stage `dependencies`, which stage `celery` needs; service `app`)",
    "compose.config-paths | compose/proxy-missing-file | nginx/nginx.prod.conf:119 | nginx/nginx.prod.conf:119: nginx (ssl_certificate) reads /etc/nginx/ssl/cert.pem, mounted from nginx/ssl, but nginx/ssl does not exist (docker creates it empty): nginx (service `nginx`) refuses to start",
    "compose.config-paths | compose/proxy-missing-file | nginx/nginx.prod.conf:120 | nginx/nginx.prod.conf:120: nginx (ssl_certificate_key) reads /etc/nginx/ssl/key.pem, mounted from nginx/ssl, but nginx/ssl does not exist (docker creates it empty): nginx (service `nginx`) refuses to start",
    "compose.config-paths | compose/proxy-missing-file | nginx/nginx.prod.conf:133 | nginx/nginx.prod.conf:133: nginx (ssl_trusted_certificate) reads /etc/nginx/ssl/chain.pem, mounted from nginx/ssl, but nginx/ssl does not exist (docker creates it empty): nginx (service `nginx`) refuses to start",
    "compose.startup: fail",
    "compose.startup | compose/build-last-stage | docker-compose.production.yml:10 | service `app` builds Dockerfile.prod without `target`, so it gets the last stage `celery` (Dockerfile.prod:127); the file's other final stage: `api` (:72)",
    "compose.config-paths | compose/run-on-deleted-path | Dockerfile.prod:138 | Dockerfile.prod:138: `chmod` on /app/src/dotmac/platform/cli.py, which does not exist there: stage `app-builder` deleted every `*.py` under /build/src (Dockerfile.prod:45) before Dockerfile.prod:135 copied /build/src to /app/src: the RUN fails and the image build stops (service `app`)",
    "compose.config-paths | compose/run-on-deleted-path | Dockerfile.prod:85 | Dockerfile.prod:85: `chmod` on /app/src/dotmac/platform/cli.py, which does not exist there: stage `app-builder` deleted every `*.py` under /build/src (Dockerfile.prod:45) before Dockerfile.prod:80 copied /build/src to /app/src: the RUN fails and the image build stops (service `app`)",
    "compose.startup | compose/console-script-not-on-path | Dockerfile.prod:169 | stage `celery`: its HEALTHCHECK runs `celery`, which is not on the image's PATH: Dockerfile.prod:28 installs with `pip install --target=/install`, which puts console scripts in /install/bin, and Dockerfile.prod:132 copies it so the scripts land in /usr/local/lib/python3.12/site-packages/bin, which is not on PATH: `celery: not found`",
    "compose.startup | compose/console-script-not-on-path | scripts/celery-entrypoint.sh:71 | stage `celery`: its entrypoint scripts/celery-entrypoint.sh runs `celery`, which is not on the image's PATH: Dockerfile.prod:28 installs with `pip install --target=/install`, which puts console scripts in /install/bin, and Dockerfile.prod:132 copies it so the scripts land in /usr/local/lib/python3.12/site-packages/bin, which is not on PATH: `celery: not found`",
    "compose.startup | compose/program-not-a-dependency | scripts/docker-entrypoint.sh:87 | stage `api`: its entrypoint scripts/docker-entrypoint.sh runs `gunicorn`, but `gunicorn` is not among the dependencies stage `api` installs (pyproject.toml): `gunicorn: not found`, the container exits",
    "compose.hygiene | compose/build-context-secrets | docker-compose.production.yml:9 | build context . of service `app` has no .dockerignore, and it holds `.env`, `.env.production`, `.env.staging`, `.env.test`: the classic builder (DOCKER_BUILDKIT=0, Docker Engine before 23.0) sends the whole context to the daemon, and one `COPY . …` puts them in the image (BuildKit transfers only what COPY reads, and nothing copies them today)",
    "compose.startup | compose/command-rejected | docker-compose.base.yml:74 | service `app`: command `uvicorn dotmac.platform.main:app --host 0.0.0.0 --port 8000` goes to /celery-entrypoint.sh (the ENTRYPOINT of stage `celery`), whose `case` at scripts/celery-entrypoint.sh:64 accepts worker, beat, flower; `uvicorn` matches `*)` at scripts/celery-entrypoint.sh:96, which exits with an error at :99: the container exits at once",
    "compose.startup | compose/command-rejected | docker-compose.production.yml:144 | service `celery-worker`: command `celery -A dotmac.platform.tasks worker --loglevel=info --concurrency=4` goes to /celery-entrypoint.sh (the ENTRYPOINT of stage `celery`), whose `case` at scripts/celery-entrypoint.sh:64 accepts worker, beat, flower; `celery` matches `*)` at scripts/celery-entrypoint.sh:96, which exits with an error at :99: the container exits at once",
    "compose.startup | compose/command-rejected | docker-compose.production.yml:178 | service `celery-beat`: command `celery -A dotmac.platform.tasks beat --loglevel=info --schedule=/tmp/celerybeat-schedule` goes to /celery-entrypoint.sh (the ENTRYPOINT of stage `celery`), whose `case` at scripts/celery-entrypoint.sh:64 accepts worker, beat, flower; `celery` matches `*)` at scripts/celery-entrypoint.sh:96, which exits with an error at :99: the container exits at once",
    "compose.startup | compose/proxy-unknown-host | nginx/nginx.prod.conf:87 | nginx/nginx.prod.conf:87: nginx (server in upstream api_backend) proxies to api:8000, but no service, container_name or alias is called `api`: nginx (service `nginx`) refuses to start (\"host not found in upstream\")",
    "compose.startup | compose/profile-reference | docker-compose.production.yml:32 | service `app` (started by default) sets OTEL_EXPORTER_OTLP_ENDPOINT to reach `otel-collector`, but service `otel-collector` only runs under profile [observability]: a plain `docker compose up` leaves it unreachable",
    "compose.startup | compose/similar-variable | docker-compose.production.yml:26 | JWT_SECRET is interpolated here but defined nowhere (compose substitutes an empty string), while .env:11 defines AUTH__JWT_SECRET_KEY: the operator's value is never used",
    "compose.startup | compose/credential-mismatch | docker-compose.production.yml:35 | service `app` takes STORAGE__ACCESS_KEY from ${MINIO_ACCESS_KEY}, but service `minio` takes the matching MINIO_ROOT_USER from ${MINIO_ROOT_USER}: setting one leaves the other at its default, and `app` cannot log in to `minio`",
    "compose.startup | compose/credential-mismatch | docker-compose.production.yml:36 | service `app` takes STORAGE__SECRET_KEY from ${MINIO_SECRET_KEY}, but service `minio` takes the matching MINIO_ROOT_PASSWORD from ${MINIO_ROOT_PASSWORD}: setting one leaves the other at its default, and `app` cannot log in to `minio`",
    "compose.hygiene: fail",
    "compose.hygiene | compose/secret-default | docker-compose.production.yml:35 | secret-looking variable MINIO_ACCESS_KEY has an inline default in the compose file",
    "compose.hygiene | compose/secret-default | docker-compose.production.yml:36 | secret-looking variable MINIO_SECRET_KEY has an inline default in the compose file",
    "compose.hygiene | compose/secret-default | docker-compose.base.yml:58 | secret-looking variable MINIO_ROOT_PASSWORD has an inline default in the compose file",
    "compose.hygiene | compose/root-token | docker-compose.production.yml:29 | service `app` gets a Vault/OpenBao root token: VAULT__TOKEN is set from ${VAULT_ROOT_TOKEN}",
    "compose.hygiene | compose/no-healthcheck | docker-compose.production.yml:46 | service `frontend` has no healthcheck",
    "compose.hygiene | compose/exposed-datastore | docker-compose.production.yml:81 | service `postgres` publishes PostgreSQL port 5432 on all interfaces",
    "compose.hygiene | compose/default-credential | docker-compose.production.yml:78 | service `postgres`: POSTGRES_PASSWORD is a vendor default or well-known placeholder (${POSTGRES_PASSWORD} is set to it)",
    "compose.hygiene | compose/exposed-datastore | docker-compose.production.yml:94 | service `redis` publishes Redis port 6379 on all interfaces",
    "compose.hygiene | compose/image-latest | docker-compose.base.yml:36 | service `vault`: image quay.io/openbao/openbao:latest uses the `latest` tag",
    "compose.hygiene | compose/exposed-datastore | docker-compose.base.yml:44 | service `vault` publishes Vault/OpenBao port 8200 on all interfaces",
    "compose.hygiene | compose/image-latest | docker-compose.base.yml:54 | service `minio`: image minio/minio:latest uses the `latest` tag",
    "compose.hygiene | compose/default-credential | docker-compose.base.yml:58 | service `minio`: MINIO_ROOT_PASSWORD is a vendor default or well-known placeholder (${MINIO_ROOT_PASSWORD} is unset and the inline default applies)",
    "compose.hygiene | compose/root-token | docker-compose.production.yml:156 | service `celery-worker` gets a Vault/OpenBao root token: VAULT__TOKEN is set from ${VAULT_ROOT_TOKEN}",
    "compose.hygiene | compose/root-token | docker-compose.production.yml:190 | service `celery-beat` gets a Vault/OpenBao root token: VAULT__TOKEN is set from ${VAULT_ROOT_TOKEN}",
    "compose.hygiene | compose/no-healthcheck | docker-compose.production.yml:200 | service `nginx` has no healthcheck",
    "compose.hygiene | compose/obsolete-version | docker-compose.production.yml:1 | the top-level `version:` is obsolete: compose ignores it and warns on every command",
    "compose.hygiene | compose/proxy-dropped-headers | nginx/nginx.prod.conf:138 | nginx/nginx.prod.conf:138: `server` (:113) sets its own add_header (Strict-Transport-Security, Content-Security-Policy), so nginx (service `nginx`) no longer sends there the security headers the enclosing level sets: X-Frame-Options (:71), X-Content-Type-Options (:72), Referrer-Policy (:74)",
    "compose.hygiene | compose/proxy-dropped-headers | nginx/nginx.prod.conf:244 | nginx/nginx.prod.conf:244: `location /api` (:212) sets its own add_header (X-Cache-Status), so nginx (service `nginx`) no longer sends there the security headers the enclosing level sets: Strict-Transport-Security (:138), Content-Security-Policy (:139)",
    "compose.api-env: fail",
    "compose.api-env | compose_env/unknown | docker-compose.production.yml:16 | service `app`: LOG_LEVEL is not a setting the application reads; did you mean OBSERVABILITY__LOG_LEVEL?",
    "compose.api-env | compose_env/unknown | docker-compose.production.yml:32 | service `app`: OTEL_EXPORTER_OTLP_ENDPOINT is not a setting the application reads",
    "compose.api-env | compose_env/unknown | docker-compose.production.yml:33 | service `app`: OTEL_SERVICE_NAME is not a setting the application reads; did you mean OBSERVABILITY__OTEL_SERVICE_NAME?",
    "compose.worker-env: fail",
    "compose.worker-env | compose_env/unknown | docker-compose.production.yml:158 | service `celery-worker`: LOG_LEVEL is not a setting the application reads; did you mean OBSERVABILITY__LOG_LEVEL?",
    "compose.worker-env | compose_env/missing | docker-compose.production.yml:145 | service `celery-worker`: VAULT__ENABLED is not set",
    "compose.worker-env | compose_env/validator-rejects | docker-compose.production.yml:145 | service `celery-worker`: SECRET_KEY is not set (its default is empty) while ENVIRONMENT is production: `Settings.validate_secret_key` raises ValueError (\"SECRET_KEY must be loaded from Vault in production. Ensure VAULT_ENABLED=true and secrets are migrated.\"), so Settings() fails and the process does not start",
    "compose.worker-env | compose_env/unknown | docker-compose.production.yml:192 | service `celery-beat`: LOG_LEVEL is not a setting the application reads; did you mean OBSERVABILITY__LOG_LEVEL?",
    "compose.worker-env | compose_env/missing | docker-compose.production.yml:179 | service `celery-beat`: VAULT__ENABLED is not set",
    "compose.worker-env | compose_env/validator-rejects | docker-compose.production.yml:179 | service `celery-beat`: SECRET_KEY is not set (its default is empty) while ENVIRONMENT is production: `Settings.validate_secret_key` raises ValueError (\"SECRET_KEY must be loaded from Vault in production. Ensure VAULT_ENABLED=true and secrets are migrated.\"), so Settings() fails and the process does not start",
    "compose.secrets-store-env: fail",
    "compose.secrets-store-env | compose_env/renamed | docker-compose.production.yml:108 | service `vault`: VAULT_LOCAL_CONFIG was renamed to BAO_LOCAL_CONFIG; the application no longer reads VAULT_LOCAL_CONFIG",
    "database.init-sql.extensions: fail",
    "database.init-sql.extensions | postgres/file | database/init/01-init.sql | database/init/01-init.sql does not exist",
    "database.init-sql.max-connections: skip",
    "redis.conf.password: fail",
    "redis.conf.password | redis/auth | redis/redis.conf | redis/redis.conf sets no password: requirepass is missing or empty, so any client can connect",
    "backend.no-localhost: fail",
    "backend.no-localhost | scan/match | src/dotmac/platform/netbox/client.py:65 | forbidden `http://localhost:8080`",
    "backend.no-localhost | scan/match | src/dotmac/platform/monitoring/traces_router.py:188 | forbidden `http://localhost:16686`",
    "backend.no-localhost | scan/match | src/dotmac/platform/auth/router.py:2187 | forbidden `http://localhost:3000`",
    "backend.no-localhost | scan/match | src/dotmac/platform/auth/email_service.py:96 | forbidden `https://localhost:3001`",
    "backend.no-localhost | scan/match | src/dotmac/platform/genieacs/client.py:68 | forbidden `http://localhost:7557`",
    "backend.no-localhost | scan/match | src/dotmac/platform/search/service.py:310 | forbidden `http://localhost:7700`",
    "backend.no-localhost | scan/match | src/dotmac/platform/search/service_elasticsearch.py:44 | forbidden `http://localhost:9200`",
    "backend.no-localhost | scan/match | src/dotmac/platform/search/elasticsearch_backend.py:38 | forbidden `http://localhost:9200`",
    "backend.no-localhost | scan/match | src/dotmac/platform/voltha/client.py:72 | forbidden `http://localhost:8881`",
    "backend.no-localhost | scan/match | src/dotmac/platform/secrets/vault_config.py:51 | forbidden `http://localhost:8200`",
    "backend.no-localhost | scan/match | src/dotmac/platform/secrets/vault_config.py:108 | forbidden `http://localhost:8200`",
    "backend.no-localhost | scan/match | src/dotmac/platform/ansible/client.py:69 | forbidden `http://localhost:80`",
    "backend.no-localhost | scan/match | src/dotmac/platform/deployment/adapters/docker_compose.py:255 | forbidden `http://localhost:8000`",
    "backend.no-localhost | scan/match | src/dotmac/platform/radius/coa_client.py:439 | forbidden `http://localhost:8080`",
    "frontend.no-mock-fallback: fail",
    "frontend.no-mock-fallback | scan/match | frontend/apps/base-app/app/tenant/billing/usage/page.tsx:167 | forbidden `? apiRecords : mockUsageRecords`",
    "frontend.no-mock-fallback | scan/match | frontend/apps/base-app/app/tenant/billing/usage/page.tsx:503 | forbidden `? apiChartData : mockUsageChartData`",
    "frontend.notification-settings-mock: fail",
    "frontend.notification-settings-mock | scan/match | frontend/apps/base-app/app/dashboard/settings/notifications/page.tsx:51 | forbidden `mockPreferences`",
    "frontend.notification-settings-mock | scan/match | frontend/apps/base-app/app/dashboard/settings/notifications/page.tsx:171 | forbidden `mockPreferences`",
    "frontend.notification-settings-mock | scan/match | frontend/apps/base-app/app/dashboard/settings/notifications/page.tsx:227 | forbidden `mockPreferences`",
    "validation.backend-settings: fail",
    "validation.backend-settings | compose_env/missing | docker-compose.production.yml:14 | service `app`: JWT__SECRET_KEY is not set",
    "validation.backend-settings | compose_env/missing | docker-compose.production.yml:14 | service `app`: TRUSTED_HOSTS is not set",
    "validation.backend-settings | compose_env/missing | docker-compose.production.yml:14 | service `app`: CORS__ORIGINS is not set",
    "monitoring.app-logging: warn",
    "monitoring.error-tracking: warn",
    "monitoring.log-rotation: warn",
    "monitoring.grafana-dashboards: fail",
    "monitoring.grafana-dashboards | file/pattern-missing | docker-compose.production.yml | docker-compose.production.yml does not contain //etc/grafana/provisioning/dashboards/",
    "monitoring.opentelemetry: fail",
    "monitoring.opentelemetry | compose_env/missing | docker-compose.production.yml:14 | service `app`: OBSERVABILITY__OTEL_ENDPOINT is not set",
    "cicd.type-check: fail",
    "cicd.type-check | file/forbidden-pattern | .github/workflows/staging-deploy.yml:57 | forbidden /mypy[^\\n]*\\|\\|\\s*true/ matched `mypy src/ --ignore-missing-imports || true`",
    "cicd.lint: fail",
    "cicd.lint | file/forbidden-pattern | .github/workflows/staging-deploy.yml:54 | forbidden /ruff[^\\n]*--exit-zero/ matched `ruff check src/ --exit-zero`",
    "cicd.lint | file/forbidden-pattern | .github/workflows/staging-deploy.yml:80 | forbidden /pnpm lint[^\\n]*\\|\\|\\s*true/ matched `pnpm lint || true`",
    "cicd.tests: fail",
    "cicd.tests | file/pattern-missing | .github/workflows/staging-deploy.yml | .github/workflows/staging-deploy.yml does not contain /pnpm test\\b/",
    "cicd.python-version: fail",
    "cicd.python-version | file/forbidden-pattern | .github/workflows/staging-deploy.yml:33 | forbidden /python-version:\\s*['\"]?3\\.(\\d|1[01])['\"]?\\s*$/ matched `python-version: '3.11'`",
    "cicd.production-approval: warn",
    "cicd.notifications: warn",
    "rollback.plan-documented: warn",
    "rollback.database-backup: warn",
    "rollback.previous-tag: warn",
    "rollback.tested-in-staging: warn",
    "rollback.downtime-communicated: warn",
    "approval.technical-lead: warn",
    "approval.security: warn",
    "approval.qa: warn",
    "approval.stakeholder: warn",
    "vault.unseal-keys-stored: warn",
    "vault.root-token-stored: warn",
    "security.firewall: warn",
    "security.pentest-owasp: warn",
    "database.backups-tested: warn",
    "monitoring.log-aggregation: warn",
    "monitoring.traces-visible: warn",
    "startup.no-error-logs: warn",
    "smoke.ui-no-mock-data: warn",
    "performance.no-memory-leaks: warn",
    "rollback.previous-images: warn",
    "post.monitor-logs: warn",
    "post.runbook-updated: warn",
];
