//! The "will it come up?" compose rules on the real DotMac trees
//! (`fixtures/dotmac-real/`, vendored from the public repository at two
//! commits), run through the binary the way an operator runs production:
//! `docker compose -f docker-compose.production.yml` from the repository root,
//! with `.env` copied from `.env.production.example` as the checklist says.
//! Each expected finding is a defect an expert reads in those files (see
//! `/work/notes/dotmac-defects.md`, mirrored in `docs/dotmac-real.md`); the
//! lists are exact, so a new false alarm fails the test. Synthetic cases for
//! every rule are the unit tests in `src/kinds/compose/tests.rs`.

use crate::common;

use std::path::Path;

use serde_json::Value;

const CATALOGUE: &str = "version: 1\nchecks:\n  - id: compose.comes-up\n    kind: compose\n    files: [docker-compose.production.yml]\n    disable: [compose/no-healthcheck, compose/no-restart, compose/image-latest]\n";

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), &dest).unwrap();
            // Keep git's mode (an entrypoint's missing x is part of the state).
            let mode = std::fs::metadata(e.path()).unwrap().permissions();
            let mut m = mode.clone();
            use std::os::unix::fs::PermissionsExt;
            m.set_mode(mode.mode() | 0o200);
            std::fs::set_permissions(&dest, m).unwrap();
        }
    }
}

/// Every finding of the compose check on `state`: (code, file, line), and the JSON.
fn run(state: &str) -> (Vec<(String, String, u64)>, Vec<Value>) {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(
        &common::fixture(&format!("dotmac-real/{state}")),
        dir.path(),
    );
    std::fs::copy(
        dir.path().join(".env.production.example"),
        dir.path().join(".env"),
    )
    .unwrap();
    let (_c, cat) = common::catalogue(CATALOGUE);
    let out = common::readyctl()
        .args(["check", "--format", "json", "--catalog"])
        .arg(&cat)
        .arg("--root")
        .arg(dir.path())
        .env_remove("COMPOSE_PROFILES")
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let findings: Vec<Value> = report["checks"][0]["findings"].as_array().unwrap().clone();
    let keys = findings
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap().to_string(),
                f["file"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
            )
        })
        .collect();
    (keys, findings)
}

fn keys(list: &[(&str, &str, u64)]) -> Vec<(String, String, u64)> {
    list.iter()
        .map(|(c, f, l)| (format!("compose/{c}"), f.to_string(), *l))
        .collect()
}

const P: &str = "docker-compose.production.yml";
const B: &str = "docker-compose.base.yml";
const D: &str = "Dockerfile.prod";
const N: &str = "nginx/nginx.prod.conf";

#[test]
fn ab78780b_reports_every_deploy_defect_with_its_lines() {
    let (got, findings) = run("ab78780b");
    let expect = keys(&[
        ("missing-mount-dir", P, 67),         // ./storage (data: info)
        ("missing-path", P, 75),              // frontend/Dockerfile.prod (D14)
        ("missing-mount-config-dir", P, 115), // ./database/init (D5)
        ("missing-mount-file", P, 134),       // ./redis/redis.conf (D6)
        ("missing-mount-config-dir", P, 174), // ./vault/policies (D7)
        ("missing-mount-dir", P, 211),        // ./storage
        ("missing-mount-config-dir", P, 280), // ./nginx/ssl (D16)
        ("missing-mount-file", P, 318),       // ./monitoring/prometheus.yml (D17)
        ("missing-mount-config-dir", P, 341), // grafana dashboards
        ("missing-mount-config-dir", P, 342), // grafana datasources
        ("build-last-stage", P, 8),           // app gets stage celery (D12)
        ("entrypoint-missing", D, 142),       // scripts/celery-entrypoint.sh (D9)
        ("dockerfile-missing-source", D, 25), // poetry.lock (D10)
        ("sealed-dependency", P, 58),         // app waits for a sealed OpenBao's health (W17)
        ("container-name-scaled", P, 192),    // container_name + replicas: 2 (D1)
        ("proxy-missing-file", N, 119),       // cert.pem (D16)
        ("proxy-missing-file", N, 120),       // key.pem
        ("proxy-missing-file", N, 133),       // chain.pem
        ("proxy-unknown-host", N, 87),        // upstream api:8000 (D15)
        ("proxy-dropped-headers", N, 138),    // HTTPS server drops X-Frame-Options… (W9)
        ("proxy-dropped-headers", N, 244),    // /api drops HSTS and CSP (W9)
        ("secret-default", P, 50),            // W5
        ("secret-default", P, 51),
        ("secret-default", P, 254),
        ("secret-default", P, 255),
        ("secret-default", P, 337),     // W6
        ("root-token", P, 30),          // W4
        ("exposed-datastore", P, 112),  // W1
        ("default-credential", P, 108), // example placeholder password (W16)
        ("exposed-datastore", P, 131),  // W2
        ("exposed-datastore", P, 170),  // W3
        ("root-token", P, 201),
        ("root-token", P, 233),
        ("default-credential", P, 255), // minioadmin123
        ("default-credential", P, 337), // the example's Grafana placeholder
        ("obsolete-version", P, 1),
        ("console-script-not-on-path", D, 169), // HEALTHCHECK celery, pip --target (D13)
        ("run-on-deleted-path", D, 138),        // chmod cli.py, *.py deleted (D11)
        ("run-on-deleted-path", D, 85),         // the same in stage `api`
        ("build-context-secrets", P, 7),        // .env in a context without .dockerignore (W12)
    ]);
    assert_eq!(got, expect, "{findings:#?}");
    // D13 names the pip RUN, the COPY into site-packages and the stage.
    let lines = |f: &Value| -> Vec<u64> {
        f["related"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|r| r["line"].as_u64())
            .collect()
    };
    let at = |code: &str, line: u64| {
        findings
            .iter()
            .find(|f| f["code"] == code && f["line"] == line)
            .unwrap()
    };
    assert_eq!(
        lines(at("compose/console-script-not-on-path", 169)),
        [28, 132, 127, 8]
    );
    // D11 names the find -delete and the COPY --from that brought the tree.
    assert_eq!(lines(at("compose/run-on-deleted-path", 85)), [45, 80, 8]);
    // Every place involved is named.
    let last = &findings[10];
    let rel: Vec<(String, u64)> = last["related"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["file"].as_str().unwrap().into(),
                r["line"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(rel, vec![(D.into(), 127), (D.into(), 72)]);
    let missing = &findings[11];
    assert!(
        missing["message"]
            .as_str()
            .unwrap()
            .contains("runs /celery-entrypoint.sh")
    );
    assert_eq!(missing["related"][0]["line"], 172, "the ENTRYPOINT");
    assert_eq!(
        findings[18]["related"][0]["line"], 279,
        "the compose line mounting nginx.prod.conf"
    );
    assert!(findings[18]["hint"].as_str().unwrap().contains("`app`"));
    // The dropping line names every dropped header's line.
    let dropped: Vec<u64> = findings[20]["related"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["line"].as_u64().unwrap())
        .collect();
    assert_eq!(dropped, vec![138, 139, 279], "HSTS, CSP, the mount");
    assert_eq!(
        findings[13]["related"][0]["line"], 177,
        "OpenBao's healthcheck"
    );
}

#[test]
fn b2470133_reports_what_the_checklist_did_not_fix_and_nothing_it_did() {
    let (got, findings) = run("b2470133");
    let expect = keys(&[
        ("missing-mount-dir", P, 42),
        ("missing-path", P, 52),             // D14
        ("missing-mount-config-dir", P, 84), // ./database/init still missing
        ("missing-mount-dir", P, 161),
        ("missing-mount-config-dir", P, 208), // ./nginx/ssl (D16)
        ("build-last-stage", P, 10),          // D12
        ("command-rejected", B, 74),          // uvicorn → celery-entrypoint.sh (D25)
        ("dockerfile-missing-source", D, 25), // D10
        ("command-rejected", P, 144),         // celery … → "Unknown command" (D26)
        ("command-rejected", P, 178),
        ("profile-reference", P, 32), // OTEL → otel-collector under [observability] (D30)
        ("proxy-missing-file", N, 119),
        ("proxy-missing-file", N, 120),
        ("proxy-missing-file", N, 133),
        ("proxy-unknown-host", N, 87),     // D15
        ("proxy-dropped-headers", N, 138), // W9: the same nginx file
        ("proxy-dropped-headers", N, 244),
        ("similar-variable", P, 26), // ${JWT_SECRET} vs AUTH__JWT_SECRET_KEY (D24)
        ("secret-default", P, 35),
        ("secret-default", P, 36),
        ("secret-default", B, 58),
        ("credential-mismatch", P, 35), // MINIO_ACCESS_KEY vs MINIO_ROOT_USER
        ("credential-mismatch", P, 36),
        ("root-token", P, 29),
        ("exposed-datastore", P, 81),
        ("default-credential", P, 78),
        ("exposed-datastore", P, 94),
        ("exposed-datastore", B, 44),
        ("default-credential", B, 58),
        ("root-token", P, 156),
        ("root-token", P, 190),
        ("obsolete-version", P, 1),
        ("console-script-not-on-path", D, 169), // HEALTHCHECK celery (D13)
        (
            "console-script-not-on-path",
            "scripts/celery-entrypoint.sh",
            71,
        ), // `worker` arm: exec celery (D13)
        (
            "program-not-a-dependency",
            "scripts/docker-entrypoint.sh",
            87,
        ), // exec gunicorn, not in pyproject (D27)
        ("run-on-deleted-path", D, 138),        // D11
        ("run-on-deleted-path", D, 85),
        ("build-context-secrets", P, 9), // W12
    ]);
    assert_eq!(got, expect, "{findings:#?}");
    let by_code = |code: &str| findings.iter().find(|f| f["code"] == code).unwrap();
    let gunicorn = by_code("compose/program-not-a-dependency");
    let files: Vec<&str> = gunicorn["related"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["file"].as_str())
        .collect();
    assert!(files.contains(&"pyproject.toml"), "{gunicorn:#}");
    let script = findings
        .iter()
        .find(|f| {
            f["file"] == "scripts/celery-entrypoint.sh"
                && f["code"] == "compose/console-script-not-on-path"
        })
        .unwrap();
    assert_eq!(
        script["related"][2]["line"], 172,
        "the ENTRYPOINT running the script"
    );
    // Fixed by the checklist, so absent: redis.conf and vault/policies exist,
    // the entrypoint scripts exist and Dockerfile.prod chmods them after the COPY.
    for f in &findings {
        let code = f["code"].as_str().unwrap();
        assert!(
            code != "compose/entrypoint-not-executable" && code != "compose/entrypoint-missing",
            "{f:#}"
        );
    }
    let rejected = &findings[6];
    let msg = rejected["message"].as_str().unwrap();
    assert!(
        msg.contains("`uvicorn` matches `*)` at scripts/celery-entrypoint.sh:96"),
        "{msg}"
    );
    let rel: Vec<(String, u64)> = rejected["related"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["file"].as_str().unwrap().into(),
                r["line"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        rel,
        vec![
            ("scripts/celery-entrypoint.sh".into(), 64),
            ("scripts/celery-entrypoint.sh".into(), 96),
            ("scripts/celery-entrypoint.sh".into(), 99),
            (D.into(), 172),
            (D.into(), 127),
        ]
    );
    let similar = findings[17]["message"].as_str().unwrap();
    assert!(
        similar.contains(".env:11 defines AUTH__JWT_SECRET_KEY"),
        "{similar}"
    );
    assert_eq!(
        findings[10]["related"][0]["file"], B,
        "the inherited profiles: line"
    );
}

/// Healthy public projects (tests/corpus/compose-real/README.md): no rule of
/// issue 14 reports anything on them. The opinion rules (restart policy,
/// healthcheck, floating tags) and unset variables the operator's `.env`
/// supplies are left out; what remains must be exactly this.
#[test]
fn healthy_public_projects_raise_no_false_alarms() {
    for (project, file, expect) in [
        ("plausible", "compose.yml", vec![]),
        ("immich", "docker-compose.yml", vec![]),
        (
            "temporal",
            "docker-compose.yml",
            vec![(
                "compose/obsolete-version".to_string(),
                file_of("docker-compose.yml"),
                1,
            )],
        ),
        (
            "netbox",
            "docker-compose.yml",
            vec![(
                "compose/obsolete-version".to_string(),
                file_of("docker-compose.yml"),
                1,
            )],
        ),
    ] {
        let cat = format!(
            "version: 1\nchecks:\n  - id: c\n    kind: compose\n    files: [{file}]\n    disable: [compose/no-healthcheck, compose/no-restart, compose/image-latest, compose/unset-variable]\n"
        );
        let (_c, cat) = common::catalogue(&cat);
        let out = common::readyctl()
            .args(["check", "--format", "json", "--catalog"])
            .arg(&cat)
            .arg("--root")
            .arg(common::repo(&format!(
                "tests/corpus/compose-real/{project}"
            )))
            .output()
            .unwrap();
        let report: Value = serde_json::from_slice(&out.stdout).unwrap();
        let got: Vec<(String, String, u64)> = report["checks"][0]["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["code"].as_str().unwrap().to_string(),
                    f["file"].as_str().unwrap().to_string(),
                    f["line"].as_u64().unwrap(),
                )
            })
            .collect();
        assert_eq!(got, expect, "{project}: {report:#}");
    }
}

fn file_of(f: &str) -> String {
    f.to_string()
}

/// DotMac's Prometheus configuration is real but never read: both states
/// mount `./monitoring/prometheus.yml`, which does not exist (D17, reported
/// as missing-mount-file). Mounted from where it is, it alerts to and scrapes
/// hosts that no compose file of the repository runs.
#[test]
fn dotmac_prometheus_once_mounted_alerts_and_scrapes_hosts_nobody_runs() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&common::fixture("dotmac-real/ab78780b"), dir.path());
    std::fs::copy(
        dir.path().join(".env.production.example"),
        dir.path().join(".env"),
    )
    .unwrap();
    let p = dir.path().join(P);
    let text = std::fs::read_to_string(&p).unwrap().replace(
        "./monitoring/prometheus.yml:",
        "./monitoring/prometheus/prometheus.yml:",
    );
    std::fs::write(&p, text).unwrap();
    let (_c, cat) = common::catalogue(
        "version: 1\nchecks:\n  - id: c\n    kind: compose\n    files: [docker-compose.production.yml]\n",
    );
    let out = common::readyctl()
        .args(["check", "--format", "json", "--catalog"])
        .arg(&cat)
        .arg("--root")
        .arg(dir.path())
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let got: Vec<(String, u64, String)> = report["checks"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| {
            f["code"]
                .as_str()
                .unwrap()
                .starts_with("compose/prometheus-")
        })
        .map(|f| {
            assert_eq!(f["file"], "monitoring/prometheus/prometheus.yml");
            let m = f["message"].as_str().unwrap();
            let target = m
                .split_whitespace()
                .find(|w| w.contains(':') && !w.contains('/') && !w.contains('`'))
                .unwrap_or("")
                .trim_end_matches(',');
            (
                f["code"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
                target.to_string(),
            )
        })
        .collect();
    let t = "compose/prometheus-unknown-target";
    let expect: Vec<(String, u64, String)> = [
        (
            "compose/prometheus-unknown-alertmanager",
            15,
            "alertmanager:9093",
        ),
        (t, 31, "node-exporter:9100"),
        (t, 41, "cadvisor:8080"),
        (t, 51, "postgres-exporter:9187"),
        (t, 60, "redis-exporter:9121"),
        (t, 72, "app-blue:8000"),
        (t, 73, "app-green:8000"),
        (t, 90, "frontend-blue:3000"),
        (t, 91, "frontend-green:3000"),
        (t, 101, "flower:5555"),
        (t, 107, "traefik:8080"),
        (t, 113, "statsd-exporter:9102"),
    ]
    .iter()
    .map(|(c, l, h)| (c.to_string(), *l, h.to_string()))
    .collect();
    // Not reported: localhost:9090, app:8000, frontend:3000 (services) and
    // host.docker.internal:9323 (a dotted, external name).
    assert_eq!(got, expect, "{report:#}");
}
