//! `readyctl compose config` and the compose kinds, driven through the binary.
//!
//! Expected outputs are written by hand from the compose specification
//! (sections "Interpolation", "Merge" and "extends" of the Compose file
//! reference), not captured from readyctl.

use crate::common;

use serde_json::{Value, json};

/// Writes `files` into a fresh directory.
fn project(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        let p = dir.path().join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    dir
}

/// Runs `compose config --format json` in `dir` with exactly `env` as the
/// process environment; returns (exit code, stdout JSON or Null, stderr).
fn config(dir: &tempfile::TempDir, files: &[&str], env: &[(&str, &str)]) -> (i32, Value, String) {
    let mut cmd = common::readyctl();
    cmd.current_dir(dir.path())
        .env_clear()
        .arg("compose")
        .arg("config");
    for f in files {
        cmd.arg("-f").arg(f);
    }
    cmd.args(["--format", "json"]);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let json = serde_json::from_str(&stdout).unwrap_or(Value::Null);
    (
        out.status.code().unwrap_or(-1),
        json,
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

#[test]
fn every_interpolation_form_follows_the_spec() {
    // Spec, Interpolation: `${VAR:-default}` uses default if VAR is unset or
    // empty; `${VAR-default}` only if unset; `${VAR:+alt}` is alt if VAR is set
    // and non-empty; `${VAR+alt}` if set; nested defaults are interpolated;
    // `$$` is a literal `$`; an unset variable without default becomes "".
    let dir = project(&[
        (".env", "SET=value\nEMPTY=\n"),
        (
            "compose.yml",
            r#"services:
  s:
    image: busybox:1.36
    environment:
      PLAIN: $SET
      BRACED: ${SET}
      INSIDE: pre-${SET}-post
      UNSET: ${NOPE}
      D_UNSET: ${NOPE:-dflt}
      D_EMPTY: ${EMPTY:-dflt}
      D_SET: ${SET:-dflt}
      DU_UNSET: ${NOPE-dflt}
      DU_EMPTY: ${EMPTY-dflt}
      A_SET: ${SET:+alt}
      A_EMPTY: ${EMPTY:+alt}
      AU_EMPTY: ${EMPTY+alt}
      AU_UNSET: ${NOPE+alt}
      E_SET: ${SET:?needed}
      EU_EMPTY: ${EMPTY?needed}
      NESTED: ${NOPE:-${ALSO_NOPE:-deep}}
      NESTED_VAR: ${NOPE:-$SET}
      DOLLARS: $$SET and $${SET} cost $$5
"#,
        ),
    ]);
    let (code, out, err) = config(&dir, &["compose.yml"], &[]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out["services"]["s"]["environment"],
        json!({
            "PLAIN": "value", "BRACED": "value", "INSIDE": "pre-value-post", "UNSET": "",
            "D_UNSET": "dflt", "D_EMPTY": "dflt", "D_SET": "value",
            "DU_UNSET": "dflt", "DU_EMPTY": "",
            "A_SET": "alt", "A_EMPTY": "", "AU_EMPTY": "alt", "AU_UNSET": "",
            "E_SET": "value", "EU_EMPTY": "",
            "NESTED": "deep", "NESTED_VAR": "value",
            // Printed escaped, as docker compose prints it (so it loads again).
            "DOLLARS": "$$SET and $${SET} cost $$5"
        })
    );
}

#[test]
fn failing_required_variables_exit_2_at_their_line() {
    // Spec: `${VAR:?err}` exits with an error message containing err if VAR is
    // unset or empty; `${VAR?err}` if VAR is unset.
    let dir = project(&[
        (".env", "EMPTY=\n"),
        (
            "c.yml",
            "services:\n  s:\n    image: ${IMAGE:?set IMAGE to a pinned tag}\n    environment:\n      X: ${EMPTY:?must not be empty}\n      Y: ${GONE?gone}\n",
        ),
    ]);
    let (code, out, err) = config(&dir, &["c.yml"], &[]);
    assert_eq!(code, 2, "{err}");
    assert_eq!(out, Value::Null, "no model is printed");
    assert!(
        err.contains("required variable IMAGE is missing a value: set IMAGE to a pinned tag"),
        "{err}"
    );
    assert!(
        err.contains("required variable EMPTY is missing a value: must not be empty"),
        "{err}"
    );
    assert!(
        err.contains("required variable GONE is missing a value: gone"),
        "{err}"
    );
    assert!(err.contains("c.yml:3:12"), "{err}");
    assert!(err.contains("c.yml:5:10"), "{err}");
}

#[test]
fn a_lone_dollar_is_kept_literally_but_a_bad_brace_is_an_error() {
    // Docker compose v2.40.3 keeps a `$` that starts no reference (`$1`,
    // `50$ off`) literally (the earlier expectation, an error, was wrong:
    // checked with the real docker compose), and prints it escaped.
    let dir = project(&[("c.yml", "services:\n  s:\n    command: echo $1\n")]);
    let (code, out, err) = config(&dir, &["c.yml"], &[]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out["services"]["s"]["command"], json!(["echo", "$$1"]));
    let dir = project(&[("c.yml", "services:\n  s:\n    command: echo ${1}\n")]);
    let (code, _, err) = config(&dir, &["c.yml"], &[]);
    assert_eq!(code, 2);
    assert!(
        err.contains("invalid interpolation format") && err.contains("c.yml:3:14"),
        "{err}"
    );
}

#[test]
fn the_shell_environment_wins_over_env_files() {
    // Compose docs, "Environment variables precedence" for interpolation:
    // the shell environment overrides values from the .env / --env-file.
    let dir = project(&[
        ("prod.env", "TAG=from-file\nOTHER=file-only\n"),
        (
            "c.yml",
            "services:\n  s:\n    image: app:${TAG}\n    environment:\n      - O=${OTHER}\n",
        ),
    ]);
    let mut cmd = common::readyctl();
    let out = cmd
        .current_dir(dir.path())
        .env_clear()
        .env("TAG", "from-shell")
        .args([
            "compose",
            "config",
            "-f",
            "c.yml",
            "--env-file",
            "prod.env",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["services"]["s"]["image"], "app:from-shell");
    assert_eq!(v["services"]["s"]["environment"]["O"], "file-only");
}

#[test]
fn overlays_merge_by_the_spec_rules() {
    // Spec, Merge: mappings merge key by key (later wins); sequences append;
    // command/entrypoint/healthcheck.test are replaced; volumes merge by
    // target; environment merges by key whether written as list or mapping.
    let dir = project(&[
        (
            "base.yml",
            "services:\n  foo:\n    image: foo:1\n    key1: value1\n    key2: value2\n    dns: [1.1.1.1]\n    command: [echo, foo]\n    volumes: ['foo:/work', './a:/a']\n    environment: [A=1, B=2]\n    healthcheck:\n      test: [CMD, a]\n      interval: 5s\nvolumes:\n  foo:\n  bar:\n",
        ),
        (
            "override.yml",
            "services:\n  foo:\n    key2: VALUE\n    key3: value3\n    dns: [8.8.8.8]\n    command: [echo, bar]\n    volumes: ['bar:/work']\n    environment:\n      B: '3'\n      C: x\n    healthcheck:\n      test: [CMD, b]\n",
        ),
    ]);
    let (code, out, err) = config(&dir, &["base.yml", "override.yml"], &[]);
    assert_eq!(code, 0, "{err}");
    // Printed in compose's canonical form (long volume syntax, absolute
    // paths, `entrypoint: null`, the default network).
    let a = dir.path().join("a").display().to_string();
    assert_eq!(
        out["services"]["foo"],
        json!({
            "image": "foo:1",
            "key1": "value1",
            "key2": "VALUE",
            "dns": ["1.1.1.1", "8.8.8.8"],
            "command": ["echo", "bar"],
            "volumes": [
                {"type": "volume", "source": "bar", "target": "/work", "volume": {}},
                {"type": "bind", "source": a, "target": "/a", "bind": {"create_host_path": true}}
            ],
            "environment": {"A": "1", "B": "3", "C": "x"},
            "healthcheck": {"test": ["CMD", "b"], "interval": "5s"},
            "key3": "value3",
            "entrypoint": null,
            "networks": {"default": null}
        })
    );
}

#[test]
fn extends_recursively_across_files_relative_to_the_declaring_file() {
    // Spec, extends: `file` is resolved relative to the file that declares it;
    // the local definition overrides the extended one with the merge rules;
    // extended services may themselves extend others.
    let dir = project(&[
        (
            "app/compose.yml",
            "services:\n  web:\n    extends:\n      file: ../common/base.yml\n      service: webapp\n    environment:\n      DEBUG: 'false'\n",
        ),
        (
            "common/base.yml",
            "services:\n  webapp:\n    extends: core\n    image: web:2\n    environment:\n      DEBUG: 'true'\n      PORT: '80'\n  core:\n    image: core:1\n    restart: always\n",
        ),
    ]);
    let (code, out, err) = config(&dir, &["app/compose.yml"], &[]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out["services"]["web"],
        json!({
            "image": "web:2",
            "restart": "always",
            "environment": {"DEBUG": "false", "PORT": "80"},
            "command": null,
            "entrypoint": null,
            "networks": {"default": null}
        })
    );
    assert!(
        out["services"].get("webapp").is_none(),
        "extended services are not added"
    );
}

#[test]
fn anchors_and_merge_keys_are_understood() {
    let dir = project(&[(
        "c.yml",
        "x-common: &common\n  restart: always\n  environment: {A: '1'}\nservices:\n  a:\n    <<: *common\n    image: a:1\n",
    )]);
    let (code, out, err) = config(&dir, &["c.yml"], &[]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out["services"]["a"],
        json!({
            "restart": "always", "environment": {"A": "1"}, "image": "a:1",
            "command": null, "entrypoint": null, "networks": {"default": null}
        })
    );
}

#[test]
fn yaml_output_is_the_default() {
    let dir = project(&[("c.yml", "services:\n  a:\n    image: a:1\n")]);
    let out = common::readyctl()
        .current_dir(dir.path())
        .args(["compose", "config", "-f", "c.yml"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("services:") && text.contains("image: a:1"),
        "{text}"
    );
}

fn malformed(files: &[(&str, &str)], first: &str) -> String {
    let dir = project(files);
    let (code, _, err) = config(&dir, &[first], &[]);
    assert_eq!(code, 2, "{err}");
    assert!(!err.contains("panicked"), "{err}");
    err
}

#[test]
fn bad_yaml_exits_2_with_a_location() {
    let err = malformed(
        &[(
            "c.yml",
            "services:\n  a:\n    image: [unclosed\n    ports: x\n",
        )],
        "c.yml",
    );
    assert!(
        err.contains("error[compose/yaml]") && err.contains("c.yml:"),
        "{err}"
    );
}

#[test]
fn wrong_types_exit_2_with_a_hint() {
    let err = malformed(
        &[(
            "c.yml",
            "services:\n  a:\n    image: a:1\n    environment: 42\n",
        )],
        "c.yml",
    );
    assert!(err.contains("error[compose/shape]"), "{err}");
    assert!(
        err.contains("`environment` must be a mapping or a list, found an integer"),
        "{err}"
    );
    assert!(err.contains("c.yml:4:18"), "{err}");
    assert!(err.contains("help: for example"), "{err}");
}

#[test]
fn extends_cycles_exit_2() {
    let err = malformed(
        &[(
            "c.yml",
            "services:\n  a:\n    extends: b\n  b:\n    extends:\n      service: a\n",
        )],
        "c.yml",
    );
    assert!(
        err.contains("error[compose/extends-cycle]") && err.contains("a -> b -> a"),
        "{err}"
    );
}

#[test]
fn missing_extended_files_exit_2_at_the_reference() {
    let err = malformed(
        &[(
            "c.yml",
            "services:\n  a:\n    extends:\n      file: gone.yml\n      service: x\n",
        )],
        "c.yml",
    );
    assert!(
        err.contains("error[compose/extends-missing-file]") && err.contains("c.yml:4:13"),
        "{err}"
    );
}

#[test]
fn a_missing_compose_file_exits_2() {
    let dir = project(&[]);
    let (code, _, err) = config(&dir, &["nope.yml"], &[]);
    assert_eq!(code, 2);
    assert!(err.contains("cannot read nope.yml"), "{err}");
}

/// (check id, rule code, file, line, message) of one finding.
type Seen = (String, String, String, u32, String);

/// Every finding of the bundled compose checks against a fixture.
fn findings(root: &str) -> (i32, Vec<Seen>) {
    let out = common::readyctl()
        .args(["check", "--catalog", "checks/10-compose.yml", "--root"])
        .arg(common::fixture(root))
        .args(["--format", "json"])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).expect("json report");
    let mut all = Vec::new();
    for c in v["checks"].as_array().unwrap() {
        for f in c["findings"].as_array().unwrap() {
            all.push((
                c["id"].as_str().unwrap().to_string(),
                f["code"].as_str().unwrap_or_default().to_string(),
                f["file"].as_str().unwrap_or_default().to_string(),
                f["line"].as_u64().unwrap_or(0) as u32,
                f["message"].as_str().unwrap().to_string(),
            ));
        }
    }
    (out.status.code().unwrap_or(-1), all)
}

#[test]
fn broken_fixture_reports_each_seed_defect_with_file_and_line() {
    let (code, all) = findings("dotmac/broken");
    assert_eq!(code, 1);
    let expect = [
        (
            "compose.config-paths",
            "compose/missing-mount-config-dir",
            "docker-compose.production.yml",
            119,
            "service `postgres`: bind-mount directory ./database/init does not exist; docker creates it empty at /docker-entrypoint-initdb.d, and the service starts without what it should find there",
        ),
        (
            "compose.config-paths",
            "compose/missing-mount-file",
            "docker-compose.production.yml",
            141,
            "service `redis`: bind-mount source ./redis/redis.conf does not exist; docker creates a directory in its place and /usr/local/etc/redis/redis.conf becomes an empty directory the service cannot read as a file",
        ),
        (
            "compose.config-paths",
            "compose/missing-mount-config-dir",
            "docker-compose.production.yml",
            186,
            "service `openbao`: bind-mount directory ./vault/policies does not exist; docker creates it empty at /openbao/policies, and the service starts without what it should find there",
        ),
        (
            "compose.entrypoints",
            "compose/entrypoint-missing",
            "Dockerfile.prod",
            13,
            "Dockerfile.prod:13: the ENTRYPOINT of stage `api` runs /usr/local/bin/docker-entrypoint.sh, copied from scripts/docker-entrypoint.sh, which is not in the build context: the image build fails (service `app`)",
        ),
        (
            "compose.entrypoints",
            "compose/entrypoint-not-executable",
            "Dockerfile.prod",
            142,
            "service `celery-worker`: the ENTRYPOINT of stage `worker` runs /usr/local/bin/celery-entrypoint.sh, but scripts/celery-entrypoint.sh has no execute bit and nothing in the stage sets one",
        ),
        (
            "compose.startup",
            "compose/sealed-dependency",
            "docker-compose.production.yml",
            39,
            "service `app` waits for `openbao` to be healthy, but `openbao` is a Vault/OpenBao server whose healthcheck fails until it is initialised and unsealed (/v1/sys/health answers 501, then 503; `status` exits 2): the first `docker compose up` ends with `openbao` unhealthy and `app` never starts, and so does every restart that reseals it",
        ),
        (
            "compose.hygiene",
            "compose/secret-default",
            "docker-compose.production.yml",
            194,
            "secret-looking variable MINIO_SECRET_KEY has an inline default in the compose file",
        ),
        (
            "compose.hygiene",
            "compose/root-token",
            "docker-compose.production.yml",
            25,
            "service `app` gets a Vault/OpenBao root token: VAULT__TOKEN is set from ${VAULT_ROOT_TOKEN}",
        ),
        (
            "compose.hygiene",
            "compose/root-token",
            "docker-compose.production.yml",
            61,
            "service `celery-worker` gets a Vault/OpenBao root token: VAULT__TOKEN is set from ${VAULT_ROOT_TOKEN}",
        ),
        (
            "compose.hygiene",
            "compose/exposed-datastore",
            "docker-compose.production.yml",
            75,
            "service `postgres` publishes PostgreSQL port 5432 on all interfaces",
        ),
        (
            "compose.hygiene",
            "compose/default-credential",
            "docker-compose.production.yml",
            73,
            "service `postgres`: POSTGRES_PASSWORD is a vendor default or well-known placeholder (${POSTGRES_PASSWORD} is set to it)",
        ),
        (
            "compose.hygiene",
            "compose/default-credential",
            "docker-compose.production.yml",
            194,
            "service `minio`: MINIO_ROOT_PASSWORD is a vendor default or well-known placeholder (${MINIO_SECRET_KEY} is set to it)",
        ),
        (
            "compose.hygiene",
            "compose/root-token",
            "docker-compose.production.yml",
            232,
            "service `celery-beat` gets a Vault/OpenBao root token: VAULT__TOKEN is set from ${VAULT_ROOT_TOKEN}",
        ),
        (
            // No .dockerignore beside the operator's env files, as in the real trees (W12).
            "compose.hygiene",
            "compose/build-context-secrets",
            "docker-compose.production.yml",
            11,
            "build context . of service `app` has no .dockerignore, and it holds `.env`, `.env.production`",
        ),
        (
            "compose.api-env",
            "compose_env/unknown",
            "docker-compose.base.yml",
            22,
            "service `app`: LOG_LEVEL is not a setting the application reads; did you mean OBSERVABILITY__LOG_LEVEL?",
        ),
        (
            "compose.api-env",
            "compose_env/unknown",
            "docker-compose.production.yml",
            20,
            "service `app`: DATABASE__NAME is not a setting the application reads; did you mean DATABASE__DATABASE?",
        ),
        (
            "compose.api-env",
            "compose_env/unknown",
            "docker-compose.production.yml",
            34,
            "service `app`: JWT_SECRET is not a setting the application reads; did you mean JWT__SECRET_KEY or AUTH__JWT_SECRET_KEY?",
        ),
        (
            "compose.worker-env",
            "compose_env/unknown",
            "docker-compose.base.yml",
            35,
            "service `celery-worker`: LOG_LEVEL is not a setting the application reads; did you mean OBSERVABILITY__LOG_LEVEL?",
        ),
        (
            "compose.secrets-store-env",
            "compose_env/renamed",
            "docker-compose.production.yml",
            151,
            "service `openbao`: VAULT_LOCAL_CONFIG was renamed to BAO_LOCAL_CONFIG; the application no longer reads VAULT_LOCAL_CONFIG",
        ),
    ];
    for (id, code, file, line, text) in expect {
        assert!(
            all.iter().any(|(i, c, f, l, m)| i == id
                && c == code
                && f == file
                && *l == line
                && m.contains(text)),
            "missing {id} {code} {file}:{line} {text:?} in {all:#?}"
        );
    }
    // One finding per defect: the keys the did-you-means name are not
    // reported missing a second time.
    assert_eq!(all.len(), expect.len(), "{all:#?}");
    assert!(
        !format!("{all:?}").contains("minioadmin123"),
        "secret defaults are not echoed"
    );
}

#[test]
fn fixed_fixture_passes_every_compose_check() {
    let (code, all) = findings("dotmac/fixed");
    assert_eq!(all, vec![]);
    assert_eq!(code, 0);
}
