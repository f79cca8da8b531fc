//! Unit tests of the compose rules on small synthetic projects.

use super::*;
use crate::compose::LoadOptions;

fn lint_files(files: &[(&str, &str)], disable: &[&str]) -> Vec<Finding> {
    let dir = tempfile::tempdir().unwrap();
    let mut paths = Vec::new();
    for (name, text) in files {
        let p = dir.path().join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, text).unwrap();
        if name.ends_with(".yml") {
            paths.push(p);
        }
    }
    let project = crate::compose::load(&LoadOptions {
        files: paths,
        display_base: Some(dir.path().to_path_buf()),
        // As the kind loads it (`load_project`): every service stays in the
        // model and the rules judge profiles themselves.
        profiles: vec!["*".to_string()],
        ..Default::default()
    })
    .unwrap();
    let disable: Vec<String> = disable.iter().map(|s| s.to_string()).collect();
    lint(&project, &[], &disable)
}

/// Every rule off except `code`.
fn only(code: &str) -> Vec<&'static str> {
    except(&[code])
}

/// Every rule off except `codes`.
fn except(codes: &[&str]) -> Vec<&'static str> {
    RULES
        .iter()
        .map(|r| r.code)
        .filter(|c| !codes.contains(c))
        .collect()
}

fn codes(f: &[Finding]) -> Vec<(String, Option<u32>)> {
    f.iter()
        .map(|f| (f.code.clone().unwrap_or_default(), f.line))
        .collect()
}

#[test]
fn missing_path_flags_env_files_builds_and_grades_mounts() {
    let f = lint_files(
        &[(
            "c.yml",
            "services:\n  db:\n    image: postgres:15\n    volumes:\n      - ./database/init:/docker-entrypoint-initdb.d:ro\n      - pgdata:/var/lib/postgresql/data\n    env_file: [.env.db]\n  api:\n    build: {context: ., dockerfile: Dockerfile.prod}\n    volumes:\n      - ./redis/redis.conf:/etc/redis/redis.conf:ro\n      - /var/run/docker.sock:/var/run/docker.sock\n      - {type: bind, source: ./data, target: /data}\n      - ./uploads:/app/uploads\nsecrets:\n  s: {file: ./secrets/s.txt}\n",
        )],
        &except(&[
            "compose/missing-path",
            "compose/missing-mount-file",
            "compose/missing-mount-dir",
            "compose/missing-mount-config-dir",
        ]),
    );
    assert_eq!(
        codes(&f),
        vec![
            ("compose/missing-mount-config-dir".into(), Some(5)),
            ("compose/missing-path".into(), Some(7)),
            ("compose/missing-mount-file".into(), Some(11)),
            ("compose/missing-path".into(), Some(13)),
            ("compose/missing-mount-dir".into(), Some(14)),
            ("compose/missing-path".into(), Some(9)),
            ("compose/missing-path".into(), Some(16)),
        ],
        "{f:?}"
    );
    assert!(f[0].message.contains("./database/init"), "{}", f[0].message);
    assert_eq!(
        f[0].severity,
        Some(Severity::Medium),
        "init scripts are input"
    );
    assert_eq!(f[2].severity, Some(Severity::Critical));
    assert_eq!(f[4].severity, Some(Severity::Info), "a data directory");
    // Only info findings: the check passes, with the notes attached.
    let o = outcome(vec![f[4].clone()], 1);
    assert_eq!(o.status(), crate::report::Status::Pass);
    assert_eq!(outcome(f, 2).status(), crate::report::Status::Fail);
}

#[test]
fn dockerfile_sources_and_entrypoints_are_checked() {
    let f = lint_files(
        &[
            (
                "c.yml",
                "services:\n  api:\n    build: {context: ., dockerfile: Dockerfile}\n",
            ),
            (
                "Dockerfile",
                "FROM python:3.12\nCOPY requirements.txt /app/\nCOPY scripts/ /app/scripts/\nCOPY run.sh /usr/local/bin/\nENTRYPOINT [\"/app/scripts/docker-entrypoint.sh\"]\nCMD [\"/usr/local/bin/run.sh\"]\n",
            ),
            ("scripts/other.sh", "#!/bin/sh\n"),
            ("run.sh", "#!/bin/sh\n"),
        ],
        &[],
    );
    let got: Vec<_> = codes(&f)
        .into_iter()
        .filter(|(c, _)| c.contains("entrypoint") || c.contains("dockerfile"))
        .collect();
    assert_eq!(
        got,
        vec![
            ("compose/entrypoint-missing".into(), Some(3)),
            ("compose/dockerfile-missing-source".into(), Some(2)),
        ],
        "{f:?}"
    );
    assert_eq!(
        f.iter()
            .find(|f| f.code.as_deref() == Some("compose/entrypoint-missing"))
            .unwrap()
            .related[0]
            .line,
        Some(5),
        "the ENTRYPOINT that runs it"
    );
}

#[test]
fn run_chmod_satisfies_the_executable_rule() {
    let f = lint_files(
        &[
            ("c.yml", "services:\n  api:\n    build: .\n"),
            (
                "Dockerfile",
                "FROM x\nCOPY run.sh /usr/local/bin/run.sh\nRUN chmod +x /usr/local/bin/run.sh\nENTRYPOINT [\"/usr/local/bin/run.sh\"]\n",
            ),
            ("run.sh", "#!/bin/sh\n"),
        ],
        &only("compose/entrypoint-not-executable"),
    );
    assert!(f.is_empty(), "{f:?}");
}

#[test]
fn unset_variables_and_secret_defaults() {
    let f = lint_files(
        &[(
            "c.yml",
            "services:\n  s:\n    image: minio/minio:RELEASE.2024\n    environment:\n      A: ${NOT_SET}\n      B: ${NOT_SET_EITHER:-fine}\n      MINIO_ROOT_PASSWORD: ${MINIO_SECRET_KEY:-minioadmin123}\n      NEXTAUTH_URL: ${NEXTAUTH_URL:-http://localhost:3000}\n",
        )],
        &except(&["compose/unset-variable", "compose/secret-default"]),
    );
    assert_eq!(
        codes(&f),
        vec![
            ("compose/unset-variable".into(), Some(5)),
            ("compose/secret-default".into(), Some(7))
        ],
        "{f:?}"
    );
    assert!(
        !format!("{f:?}").contains("minioadmin123"),
        "the default value is not echoed"
    );
}

#[test]
fn interpolation_errors_are_findings() {
    let f = lint_files(
        &[("c.yml", "services:\n  s:\n    image: ${IMG:?set IMG}\n")],
        &only("compose/interpolation-error"),
    );
    assert_eq!(
        codes(&f),
        vec![("compose/interpolation-error".into(), Some(3))]
    );
    assert!(
        f[0].message
            .contains("required variable IMG is missing a value: set IMG")
    );
}

#[test]
fn depends_on_unknown_and_unhealthy() {
    let f = lint_files(
        &[(
            "c.yml",
            "services:\n  api:\n    image: a:1\n    depends_on:\n      db: {condition: service_healthy}\n      cache: {condition: service_started}\n  db:\n    image: postgres:15\n",
        )],
        &["compose/no-restart", "compose/no-healthcheck"],
    );
    assert_eq!(
        codes(&f),
        vec![
            ("compose/unhealthy-dependency".into(), Some(5)),
            ("compose/unknown-dependency".into(), Some(6))
        ],
        "{f:?}"
    );
}

#[test]
fn latest_and_untagged_images() {
    let f = lint_files(
        &[(
            "c.yml",
            "services:\n  a: {image: 'nginx'}\n  b: {image: 'minio/minio:latest'}\n  c: {image: 'registry:5000/x:1.2'}\n  d: {image: 'x@sha256:abc'}\n",
        )],
        &only("compose/image-latest"),
    );
    assert_eq!(
        codes(&f),
        vec![
            ("compose/image-latest".into(), Some(2)),
            ("compose/image-latest".into(), Some(3))
        ]
    );
}

#[test]
fn restart_and_healthcheck_rules() {
    let f = lint_files(
        &[(
            "c.yml",
            "services:\n  a:\n    image: x:1\n  b:\n    image: x:1\n    restart: always\n    healthcheck: {test: [CMD, 'true']}\n",
        )],
        &[],
    );
    assert_eq!(
        codes(&f),
        vec![
            ("compose/no-restart".into(), Some(2)),
            ("compose/no-healthcheck".into(), Some(2))
        ]
    );
}

#[test]
fn datastore_ports_on_all_interfaces() {
    let f = lint_files(
        &[(
            "c.yml",
            "services:\n  db:\n    image: postgres:15\n    ports: ['5432:5432', '127.0.0.1:5433:5432', '8080:80']\n  r:\n    image: redis:7\n    ports:\n      - {target: 6379, published: 6379}\n",
        )],
        &only("compose/exposed-datastore"),
    );
    assert_eq!(
        codes(&f),
        vec![
            ("compose/exposed-datastore".into(), Some(4)),
            ("compose/exposed-datastore".into(), Some(8))
        ]
    );
}

#[test]
fn rules_can_be_disabled_and_codes_are_unique() {
    let f = lint_files(
        &[("c.yml", "services:\n  a: {image: nginx}\n")],
        &[
            "compose/image-latest",
            "compose/no-restart",
            "compose/no-healthcheck",
        ],
    );
    assert!(f.is_empty(), "{f:?}");
    let mut seen = HashSet::new();
    assert!(
        RULES
            .iter()
            .all(|r| seen.insert(r.code) && r.code.starts_with("compose/"))
    );
    let docs = crate::kinds::lookup("compose").unwrap().full_docs();
    for r in RULES {
        assert!(docs.contains(r.code), "{} undocumented", r.code);
    }
}

#[test]
fn validate_rejects_unknown_codes_with_a_suggestion() {
    let spec: ComposeCheck = marked_yaml::from_node(
        &marked_yaml::parse_yaml(0, "files: [c.yml]\ndisable: [compose/no-helthcheck]\n").unwrap(),
    )
    .unwrap();
    let p = spec.validate();
    assert_eq!(p.len(), 1);
    assert!(
        p[0].hint
            .as_deref()
            .unwrap_or_default()
            .contains("compose/no-healthcheck")
    );
}

const MULTI: &str = "FROM python:3.12 AS deps\nCOPY req.txt ./\nFROM python:3.12 AS base\nFROM base AS api\nCOPY --from=deps /x /x\nCOPY api.sh /api.sh\nRUN chmod +x /api.sh\nENTRYPOINT [\"/api.sh\"]\nCMD [\"api\"]\nFROM base AS celery\nCOPY --from=deps /x /x\nCOPY celery.sh /celery.sh\nRUN chmod +x /celery.sh\nENTRYPOINT [\"/celery.sh\"]\nCMD [\"worker\"]\n";
const CELERY_SH: &str = "#!/bin/sh\nset -e\nmain() {\n  CMD=${1:-worker}\n  case \"$CMD\" in\n    worker) exec celery worker ;;\n    beat) exec celery beat ;;\n    *)\n      echo \"unknown: $CMD\"\n      exit 1\n      ;;\n  esac\n}\nmain \"$@\"\n";
const API_SH: &str =
    "#!/bin/sh\ncase \"$1\" in\n  api) exec gunicorn app ;;\n  *) exec \"$@\" ;;\nesac\n";

fn multi_project(compose: &str) -> Vec<Finding> {
    lint_files(
        &[
            ("c.yml", compose),
            ("Dockerfile", MULTI),
            ("req.txt", ""),
            ("api.sh", API_SH),
            ("celery.sh", CELERY_SH),
        ],
        &except(&[
            "compose/build-last-stage",
            "compose/command-rejected",
            "compose/entrypoint-unreadable",
            "compose/entrypoint-not-executable",
            "compose/entrypoint-missing",
        ]),
    )
}

#[test]
fn build_without_target_gets_the_last_stage_and_its_entrypoint_rejects_the_command() {
    let f = multi_project(
        "services:\n  app:\n    build: .\n    command: uvicorn main:app\n  celery-worker:\n    build: .\n    command: [worker, -l, info]\n  celery-beat:\n    build: .\n    command: celery beat\n",
    );
    assert_eq!(
        codes(&f),
        vec![
            ("compose/build-last-stage".into(), Some(3)),
            ("compose/command-rejected".into(), Some(4)),
            ("compose/command-rejected".into(), Some(10)),
        ],
        "{f:#?}"
    );
    assert!(
        f[0].message.contains("last stage `celery` (Dockerfile:10)"),
        "{}",
        f[0].message
    );
    assert!(f[0].hint.as_deref().unwrap().contains("target: api"));
    let rejected = &f[1];
    assert!(
        rejected
            .message
            .contains("`uvicorn` matches `*)` at celery.sh:8"),
        "{}",
        rejected.message
    );
    assert_eq!(rejected.severity, Some(Severity::Critical));
    let rel: Vec<_> = rejected
        .related
        .iter()
        .map(|r| (r.file.as_str(), r.line))
        .collect();
    assert_eq!(
        rel,
        vec![
            ("celery.sh", Some(5)),
            ("celery.sh", Some(8)),
            ("celery.sh", Some(10)),
            ("Dockerfile", Some(14)),
            ("Dockerfile", Some(10)),
        ]
    );
}

#[test]
fn a_target_picks_the_stage_and_passthrough_arms_accept_anything() {
    let f = multi_project(
        "services:\n  app:\n    build: {context: ., target: api}\n    command: uvicorn main:app\n  worker:\n    build: {context: ., target: celery}\n  bad:\n    build: {context: ., target: nope}\n",
    );
    assert!(f.is_empty(), "{f:#?}");
    let f = lint_files(
        &[
            (
                "c.yml",
                "services:\n  app:\n    build: {context: ., target: nope}\n",
            ),
            ("Dockerfile", MULTI),
        ],
        &only("compose/build-unknown-target"),
    );
    assert_eq!(
        codes(&f),
        vec![("compose/build-unknown-target".into(), Some(3))]
    );
}

#[test]
fn entrypoints_too_clever_to_read_are_info_not_guesses() {
    let clever = "#!/bin/sh\nif [ -n \"$1\" ]; then\n  case \"$1\" in\n    a) exit 1;;\n  esac\nfi\nexec \"$@\"\n";
    let f = lint_files(
        &[
            ("c.yml", "services:\n  a:\n    build: .\n    command: a\n"),
            (
                "Dockerfile",
                "FROM x\nCOPY --chmod=755 e.sh /e.sh\nENTRYPOINT [\"/e.sh\"]\n",
            ),
            ("e.sh", clever),
        ],
        &except(&["compose/command-rejected", "compose/entrypoint-unreadable"]),
    );
    assert_eq!(
        codes(&f),
        vec![("compose/entrypoint-unreadable".into(), Some(3))],
        "{f:?}"
    );
    assert_eq!(f[0].severity, Some(Severity::Info));
}

#[test]
fn executable_in_the_image_counts_chmod_after_the_copy_only() {
    let run = |df: &str| {
        lint_files(
            &[
                ("c.yml", "services:\n  api:\n    build: .\n"),
                ("Dockerfile", df),
                ("run.sh", "#!/bin/sh\nexec \"$@\"\n"),
            ],
            &only("compose/entrypoint-not-executable"),
        )
    };
    // DotMac b2470133 Dockerfile.prod: COPY then RUN chmod +x.
    assert!(run("FROM x\nCOPY run.sh /docker-entrypoint.sh\nRUN chmod +x /docker-entrypoint.sh\nENTRYPOINT [\"/docker-entrypoint.sh\"]\n").is_empty());
    assert!(run("FROM x\nCOPY --chmod=0755 run.sh /e.sh\nENTRYPOINT [\"/e.sh\"]\n").is_empty());
    assert!(
        run("FROM x\nCOPY run.sh /e.sh\nENTRYPOINT [\"sh\", \"/e.sh\"]\n").is_empty(),
        "an interpreter reads it"
    );
    let f = run(
        "FROM x\nRUN chmod +x /e.sh || true\nCOPY --chmod=644 run.sh /e.sh\nENTRYPOINT [\"/e.sh\"]\n",
    );
    assert_eq!(
        codes(&f),
        vec![("compose/entrypoint-not-executable".into(), Some(4))],
        "{f:?}"
    );
    // A chmod in a stage that is not built does not help.
    let f = run(
        "FROM x AS other\nRUN chmod +x /e.sh\nFROM x AS final\nCOPY run.sh /e.sh\nENTRYPOINT [\"/e.sh\"]\n",
    );
    assert_eq!(
        codes(&f),
        vec![("compose/entrypoint-not-executable".into(), Some(5))],
        "{f:?}"
    );
}

#[test]
fn dockerignore_and_unbuilt_stages_decide_missing_sources() {
    let f = lint_files(
        &[
            (
                "c.yml",
                "services:\n  api:\n    build: {context: ., target: app}\n",
            ),
            (
                "Dockerfile",
                "FROM x AS unused\nCOPY nothere.txt /\nFROM x AS app\nCOPY pyproject.toml poetry.lock ./\nCOPY src/ /src/\n",
            ),
            (".dockerignore", "# keep the context small\n*.lock\n!src\n"),
            ("pyproject.toml", ""),
            ("poetry.lock", ""),
            ("src/a.py", ""),
        ],
        &except(&[
            "compose/dockerfile-missing-source",
            "compose/dockerfile-ignored-source",
        ]),
    );
    assert_eq!(
        codes(&f),
        vec![("compose/dockerfile-ignored-source".into(), Some(4))],
        "{f:?}"
    );
    assert_eq!(
        (f[0].related[0].file.as_str(), f[0].related[0].line),
        (".dockerignore", Some(2))
    );
}

#[test]
fn nginx_upstreams_must_be_services_and_profiles_must_be_active() {
    let conf = "events {}\nhttp {\n  upstream api_backend {\n    server api:8000;\n  }\n  server {\n    location / { proxy_pass http://api_backend; }\n    location /ui { proxy_pass http://web:3000; }\n    location /t { proxy_pass http://traces:16686; }\n    location /x { proxy_pass https://example.com; }\n  }\n}\n";
    let f = lint_files(
        &[
            (
                "c.yml",
                "services:\n  app:\n    image: a:1\n    expose: ['8000']\n    environment:\n      OTEL_EXPORTER_OTLP_ENDPOINT: http://otel:4317\n    depends_on: [jaeger]\n  frontend:\n    image: f:1\n    networks:\n      default:\n        aliases: [web]\n  nginx:\n    image: nginx:1.27\n    volumes:\n      - ./nginx.conf:/etc/nginx/nginx.conf:ro\n  otel:\n    extends: {file: base.yml, service: otel}\n  jaeger:\n    image: j:1\n    container_name: traces\n    profiles: [obs]\n",
            ),
            (
                "base.yml",
                "services:\n  otel:\n    image: o:1\n    profiles: [observability]\n",
            ),
            ("nginx.conf", conf),
        ],
        &except(&[
            "compose/proxy-unknown-host",
            "compose/profile-reference",
            "compose/profile-dependency",
        ]),
    );
    assert_eq!(
        codes(&f),
        vec![
            ("compose/profile-dependency".into(), Some(7)),
            ("compose/profile-reference".into(), Some(6)),
            ("compose/proxy-unknown-host".into(), Some(4)),
            ("compose/profile-reference".into(), Some(9)),
        ],
        "{f:#?}"
    );
    assert!(
        f[1].message.contains("profile [observability]"),
        "inherited through extends: {}",
        f[1].message
    );
    assert_eq!(f[1].related[0].file, "base.yml");
    assert!(
        f[2].hint.as_deref().unwrap().contains("`app`"),
        "{:?}",
        f[2].hint
    );
    assert_eq!(
        f[3].severity,
        Some(Severity::Critical),
        "nginx does not start"
    );
    // Enabling the profiles makes them reachable.
    let dir = tempfile::tempdir().unwrap();
    for (n, t) in [
        (
            "c.yml",
            "services:\n  app:\n    image: a:1\n    depends_on: [j]\n  j:\n    image: j:1\n    profiles: [obs]\n",
        ),
        (".env", "COMPOSE_PROFILES=obs\n"),
    ] {
        std::fs::write(dir.path().join(n), t).unwrap();
    }
    let p = crate::compose::load(&LoadOptions {
        files: vec![dir.path().join("c.yml")],
        ..Default::default()
    })
    .unwrap();
    let off: Vec<String> = only("compose/profile-dependency")
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert!(lint(&p, &[], &off).is_empty());
}

#[test]
fn similar_variable_names_both_places_and_credentials_must_agree() {
    let f = lint_files(
        &[
            (
                "c.yml",
                "services:\n  app:\n    image: a:1\n    environment:\n      AUTH__JWT_SECRET_KEY: ${JWT_SECRET}\n      REDIS_PORT: ${REDIS_PORT:-6379}\n      STORAGE__ENDPOINT: minio:9000\n      STORAGE__ACCESS_KEY: ${MINIO_ACCESS_KEY:-minioadmin}\n      STORAGE__SECRET_KEY: ${MINIO_SECRET_KEY:-x}\n      DATABASE__HOST: db\n      DATABASE__PASSWORD: ${POSTGRES_PASSWORD}\n  minio:\n    image: minio/minio:RELEASE.2025\n    environment:\n      MINIO_ROOT_USER: ${MINIO_ROOT_USER:-minioadmin}\n      MINIO_ROOT_PASSWORD: ${MINIO_ROOT_PASSWORD:-y}\n  db:\n    image: postgres:16\n    environment:\n      POSTGRES_PASSWORD: ${POSTGRES_PASSWORD}\n",
            ),
            (
                ".env.example",
                "AUTH__JWT_SECRET_KEY=change-me\nREDIS__PORT=6379\nMINIO_ACCESS_KEY=k\nMINIO_SECRET_KEY=s\nPOSTGRES_PASSWORD=p\n",
            ),
        ],
        &except(&["compose/similar-variable", "compose/credential-mismatch"]),
    );
    assert_eq!(
        codes(&f),
        vec![
            ("compose/similar-variable".into(), Some(5)),
            ("compose/credential-mismatch".into(), Some(8)),
            ("compose/credential-mismatch".into(), Some(9)),
        ],
        "{f:#?}"
    );
    assert!(
        f[0].message
            .contains(".env.example:1 defines AUTH__JWT_SECRET_KEY"),
        "{}",
        f[0].message
    );
    assert_eq!(f[1].related[0].line, Some(15));
}

#[test]
fn dev_mode_leftovers_and_weak_defaults() {
    let f = lint_files(
        &[(
            "c.yml",
            "version: '3.9'\nservices:\n  vault:\n    image: hashicorp/vault:1.15\n    command: server\n    environment:\n      VAULT_DEV_ROOT_TOKEN_ID: ${VAULT_DEV_ROOT_TOKEN_ID:-dev}\n      VAULT_LOCAL_CONFIG: |\n        {\n          \"listener\": { \"tcp\": { \"address\": \"0.0.0.0:8200\", \"tls_disable\": true } }\n        }\n  devvault:\n    image: quay.io/openbao/openbao:2.1\n  app:\n    image: a:1\n    environment:\n      VAULT__TOKEN: ${VAULT_ROOT_TOKEN}\n  grafana:\n    image: grafana/grafana:11.0.0\n    environment:\n      GF_SECURITY_ADMIN_PASSWORD: ${GRAFANA_ADMIN_PASSWORD:-admin}\n      GF_AUTH_ANONYMOUS_ENABLED: 'true'\n      GF_AUTH_ANONYMOUS_ORG_ROLE: Admin\n",
        )],
        &except(&[
            "compose/vault-dev-mode",
            "compose/dev-leftover",
            "compose/tls-disabled",
            "compose/root-token",
            "compose/default-credential",
            "compose/anonymous-admin",
            "compose/obsolete-version",
        ]),
    );
    assert_eq!(
        codes(&f),
        vec![
            ("compose/dev-leftover".into(), Some(7)),
            ("compose/tls-disabled".into(), Some(10)),
            ("compose/vault-dev-mode".into(), Some(12)),
            ("compose/root-token".into(), Some(17)),
            ("compose/default-credential".into(), Some(21)),
            ("compose/anonymous-admin".into(), Some(23)),
            ("compose/obsolete-version".into(), Some(1)),
        ],
        "{f:#?}"
    );
    assert!(
        !format!("{f:?}").contains("admin)"),
        "the password is not echoed"
    );
}

/// The kind's page lists every rule with its severity (the table is
/// generated from the `rules!` declarations).
#[test]
fn every_rule_is_documented_with_its_severity() {
    let docs = crate::kinds::lookup("compose").unwrap().full_docs();
    for r in RULES {
        let row = docs
            .lines()
            .find(|l| l.starts_with(&format!("| `{}` |", r.code)))
            .unwrap_or_else(|| panic!("{} undocumented", r.code));
        assert!(
            row.contains(&format!("| {} |", r.severity.as_str())),
            "{row}"
        );
    }
}

#[test]
fn nginx_files_under_missing_mounts_and_scaled_container_names() {
    let f = lint_files(
        &[
            (
                "c.yml",
                "services:\n  nginx:\n    image: nginx:1.27\n    volumes:\n      - ./nginx/nginx.conf:/etc/nginx/nginx.conf:ro\n      - ./nginx/ssl:/etc/nginx/ssl:ro\n  worker:\n    image: w:1\n    container_name: w\n    deploy:\n      replicas: 2\n",
            ),
            (
                "nginx/nginx.conf",
                "events {}\nhttp {\n  include /etc/nginx/mime.types;\n  server {\n    ssl_certificate /etc/nginx/ssl/cert.pem;\n  }\n}\n",
            ),
        ],
        &except(&[
            "compose/proxy-missing-file",
            "compose/container-name-scaled",
        ]),
    );
    assert_eq!(
        codes(&f),
        vec![
            ("compose/proxy-missing-file".into(), Some(5)),
            ("compose/container-name-scaled".into(), Some(9)),
        ],
        "{f:#?}"
    );
    assert!(
        f[0].message.contains("nginx/ssl does not exist"),
        "{}",
        f[0].message
    );
    assert_eq!(f[0].related[0].line, Some(6));
}

#[test]
fn image_healthchecks_count_and_profile_only_services_are_not_linted() {
    let f = lint_files(
        &[
            (
                "c.yml",
                "services:\n  worker:\n    build: .\n    restart: always\n  obs:\n    image: o:latest\n    profiles: [observability]\n",
            ),
            ("Dockerfile", "FROM x\nHEALTHCHECK CMD true\n"),
        ],
        &[],
    );
    assert!(f.is_empty(), "{f:#?}");
}

/// The one lint a run shares between `compose` checks (`lint_all`, then each
/// check drops the codes it disables) must equal what each check would find
/// linting alone with its `disable` list: disabling a rule removes that
/// rule's findings and nothing else. Checked on every compose file of the
/// real DotMac trees and the bundled fixtures, one rule off at a time.
#[test]
fn disabling_a_rule_only_removes_its_findings_on_real_projects() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let files = [
        "dotmac/broken/docker-compose.production.yml",
        "dotmac/fixed/docker-compose.production.yml",
        "dotmac-real/ab78780b/docker-compose.production.yml",
        "dotmac-real/ab78780b/docker-compose.yml",
        "dotmac-real/b2470133/docker-compose.production.yml",
        "dotmac-real/b2470133/docker-compose.yml",
        "dotmac-real/b2470133/docker-compose.staging.yml",
        "init-profiles/docker-compose.yml",
        "init-vault-minio/docker-compose.yml",
    ];
    let mut compared = 0;
    for file in files {
        let path = root.join(file);
        let dir = path.parent().unwrap().to_path_buf();
        let project = crate::compose::load(&LoadOptions {
            files: vec![path],
            display_base: Some(dir.clone()),
            workdir: Some(dir),
            profiles: vec!["*".to_string()],
            ..Default::default()
        })
        .unwrap_or_else(|e| panic!("{file}: {e:?}"));
        // Swarm's rules once, on the tree the catalogue ships against.
        let orchestrators: &[Orchestrator] = if file.starts_with("dotmac/broken") {
            &[Orchestrator::Compose, Orchestrator::Swarm]
        } else {
            &[Orchestrator::Compose]
        };
        for &orchestrator in orchestrators {
            let base = Options {
                orchestrator,
                ..Default::default()
            };
            let all = lint_all(&project, &base);
            let mut lists: Vec<Vec<String>> =
                RULES.iter().map(|r| vec![r.code.to_string()]).collect();
            lists.extend(bundled_disable_lists());
            for disable in lists {
                let alone = lint_with(
                    &project,
                    &Options {
                        disable: disable.clone(),
                        ..base.clone()
                    },
                );
                let kept = interacting(&disable);
                let shared = if kept.is_empty() {
                    filter_disabled(all.clone(), &disable)
                } else {
                    let opts = Options {
                        disable: kept,
                        ..base.clone()
                    };
                    filter_disabled(lint_all(&project, &opts), &disable)
                };
                let show = |f: &[Finding]| f.iter().map(|f| format!("{f:?}")).collect::<Vec<_>>();
                let (alone, shared) = (show(&alone), show(&shared));
                let only_alone: Vec<_> = alone.iter().filter(|f| !shared.contains(f)).collect();
                let only_shared: Vec<_> = shared.iter().filter(|f| !alone.contains(f)).collect();
                assert!(
                    alone == shared,
                    "{file} ({orchestrator:?}) with {disable:?} disabled:\n  linted alone only: {only_alone:#?}\n  shared lint only: {only_shared:#?}"
                );
                compared += 1;
            }
        }
    }
    assert!(compared > 100, "{compared} comparisons");
}

/// The `disable` lists of the bundled catalogue's `compose` checks.
fn bundled_disable_lists() -> Vec<Vec<String>> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("checks");
    let mut lists = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        let docs = yaml_rust2::YamlLoader::load_from_str(&text).unwrap();
        for check in docs[0]["checks"].as_vec().into_iter().flatten() {
            if check["kind"].as_str() == Some("compose")
                && let Some(d) = check["disable"].as_vec()
            {
                lists.push(
                    d.iter()
                        .filter_map(|c| c.as_str().map(String::from))
                        .collect(),
                );
            }
        }
    }
    assert!(lists.len() >= 4, "{} bundled disable lists", lists.len());
    lists
}
