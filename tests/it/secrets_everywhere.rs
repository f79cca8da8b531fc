//! Known secret values planted everywhere a catalogue can hold them — `.env`
//! files, DSNs and URLs, target tokens and headers, interpolated variables,
//! a token captured from a login endpoint, Vault secrets — must never appear
//! in stdout, stderr or any report file, in any output format, at any
//! verbosity.
//!
//! Every check here is built to fail (or to show the secret-bearing value if
//! it could): a passing check proves nothing about masking.

use crate::common;

use std::path::Path;
use std::sync::LazyLock;
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const S_ENV_JWT: &str = "envJwtSecretValue-7f3a9c";
const S_ENV_DSN: &str = "envDsnPassw0rd-b81e44";
const S_ENV_KEY: &str = "envApiKeyValue-c09d12";
const S_PG: &str = "pgDsnPassw0rd-5512aa";
const S_REDIS: &str = "redisUrlPassw0rd-9e71bd";
const S_TOKEN: &str = "targetBearerToken-31c0ff";
const S_HEADER: &str = "targetHeaderApiKey-a4e2d9";
const S_CHECK_HEADER: &str = "checkHeaderSecret-6b5c01";
const S_INTERP: &str = "interpolatedToken-e3d8f7";
const S_CAPTURED: &str = "capturedAccessToken-0c9b6e";
const S_TARGET_PASSWORD: &str = "targetPassword-2d7aa3";
// Class 4 of issue 17: the places the first version of this test missed.
const S_URL_USERINFO: &str = "urlUserinfoPassw0rd-77ab";
const S_QUERY_ACCESS: &str = "queryAccessToken-19fe2c";
const S_QUERY_API_KEY: &str = "queryApiKey-e0a1b7";
const S_ENV_DSN_SLASH: &str = "dsn/Slash@Passw0rd-44c1";
const S_MYSQL_PWD: &str = "mysqlPwdValue-8d2e11";
const S_SUBSCRIPTION: &str = "ocpSubscriptionKey-5f60aa";
const S_CMD_ARG: &str = "cmdPasswordArg-3b9d07";
/// Produced only by the command (reversed in the catalogue), never declared.
const S_CMD_OUT: &str = "cmdOutputToken-a81f3e";
const S_CMD_OUT_PW: &str = "cmdOutputPassw0rd-7c2b90";
const S_DIAG_DSN: &str = "diagDsnPassw0rd-c3e1f0";
const S_DIAG_BEARER: &str = "diagBearerTok-0a9f7e";
const S_COMPOSE_PWD: &str = "composeMysqlPwd-61b2d0";
const S_COMPOSE_DSN: &str = "compose/Dsn@Pass-9c3a";
const S_COMPOSE_CRED: &str = "composeAwsSecret-5e88c2";

/// The forms a leaked secret can take: as is, URL-encoded (every
/// non-alphanumeric byte, and form encoding), and base64 (the secret alone,
/// without its last, neighbour-dependent character, and after `user:`).
fn leaked_forms(secret: &str) -> Vec<(&'static str, String)> {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD_NO_PAD;
    let alone = b64.encode(secret);
    let mut out = vec![
        ("raw", secret.to_string()),
        (
            "URL-encoded",
            percent_encoding::utf8_percent_encode(secret, percent_encoding::NON_ALPHANUMERIC)
                .to_string(),
        ),
        (
            "form-encoded",
            url::form_urlencoded::byte_serialize(secret.as_bytes()).collect(),
        ),
        ("base64", alone[..alone.len() - 1].to_string()),
        (
            "base64 user:pass",
            base64::engine::general_purpose::STANDARD.encode(format!("smoke:{secret}")),
        ),
    ];
    out.dedup_by(|a, b| a.1 == b.1);
    out
}

fn assert_no_leak(secrets: &[String], where_: &str, text: &str) {
    for s in secrets {
        for (form, shown) in leaked_forms(s) {
            assert!(
                !text.contains(&shown),
                "secret {s:?} leaked {form} ({shown}) into {where_}:\n{text}"
            );
        }
    }
}

static RT: LazyLock<tokio::runtime::Runtime> = LazyLock::new(|| {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap()
});

/// A hostile little API: `POST /login` returns `{"access_token": S_CAPTURED}`;
/// everything else answers 401 and reflects every request header, in the body
/// and in response headers — so a check that quotes a body or a header
/// would leak whatever the client sent.
fn reflecting_api() -> u16 {
    let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    std_listener.set_nonblocking(true).unwrap();
    let port = std_listener.local_addr().unwrap().port();
    RT.spawn(async move {
        let listener = tokio::net::TcpListener::from_std(std_listener).unwrap();
        while let Ok((mut s, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = vec![0u8; 16384];
                let mut seen = Vec::new();
                while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
                    match s.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => seen.extend_from_slice(&buf[..n]),
                    }
                }
                let head = String::from_utf8_lossy(&seen).to_string();
                let (status, body, extra) = if head.starts_with("POST /login") {
                    (
                        "200 OK",
                        format!(r#"{{"access_token":"{S_CAPTURED}","token_type":"bearer"}}"#),
                        String::new(),
                    )
                } else {
                    let reflected: Vec<&str> = head.lines().skip(1).collect();
                    let target = head.split_whitespace().nth(1).unwrap_or("/");
                    let mut extra = format!(
                        "Location: http://127.0.0.1/next?was={}\r\n",
                        url::form_urlencoded::byte_serialize(target.as_bytes()).collect::<String>()
                    );
                    for l in &reflected {
                        if let Some((k, v)) = l.split_once(':') {
                            extra.push_str(&format!("X-Echo-{}: {}\r\n", k.trim(), v.trim()));
                        }
                    }
                    (
                        "401 Unauthorized",
                        format!(
                            r#"{{"error":"bad credentials","you_sent":{}}}"#,
                            serde_json::to_string(&reflected).unwrap()
                        ),
                        extra,
                    )
                };
                let resp = format!(
                    "HTTP/1.1 {status}\r\nContent-Type: application/json\r\n{extra}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = s.write_all(resp.as_bytes()).await;
            });
        }
    });
    port
}

struct Planted {
    secrets: Vec<String>,
    catalogue: String,
    /// Check ids that must have run (not skipped) for the test to mean anything.
    must_run: Vec<&'static str>,
}

fn plant(root: &Path) -> Planted {
    let api = reflecting_api();
    std::fs::write(
        root.join(".env.production"),
        format!(
            "JWT_SECRET={S_ENV_JWT}\nDATABASE_URL=postgres://app:{S_ENV_DSN}@db:5432/app\nAPI_KEY={S_ENV_KEY}\nREPLICA_URL=postgres://app:{S_ENV_DSN_SLASH}@replica:5432/app\nMYSQL_PWD={S_MYSQL_PWD}\n"
        ),
    )
    .unwrap();
    let mut secrets: Vec<String> = [
        S_ENV_JWT,
        S_ENV_DSN,
        S_ENV_KEY,
        S_PG,
        S_REDIS,
        S_TOKEN,
        S_HEADER,
        S_CHECK_HEADER,
        S_INTERP,
        S_CAPTURED,
        S_TARGET_PASSWORD,
        S_URL_USERINFO,
        S_QUERY_ACCESS,
        S_QUERY_API_KEY,
        S_ENV_DSN_SLASH,
        S_MYSQL_PWD,
        S_SUBSCRIPTION,
        S_CMD_ARG,
        S_CMD_OUT,
        S_CMD_OUT_PW,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let mut must_run = vec![
        "env.file",
        "dsn.postgres",
        "dsn.redis",
        "http.target",
        "http.login",
        "http.captured",
        "http.check-headers",
        "command.interpolated",
        "tcp.dsn-target",
        "http.userinfo",
        "http.query-tokens",
        "http.subscription-key",
        "env.dsn-slash",
        "command.password-arg",
        "command.output",
    ];
    let mut targets = format!(
        r#"targets:
  api:
    url: http://127.0.0.1:{api}
    token: {S_TOKEN}
    headers: {{X-Api-Key: {S_HEADER}}}
  db:
    url: postgres://app@127.0.0.1:1/app
    password: {S_TARGET_PASSWORD}
"#
    );
    let out_rev: String = S_CMD_OUT.chars().rev().collect();
    let out_pw_rev: String = S_CMD_OUT_PW.chars().rev().collect();
    let mut checks = format!(
        r#"checks:
  - id: env.file
    kind: env_file
    path: .env.production
    required: [JWT_SECRET, DATABASE_URL, API_KEY]
    values:
      JWT_SECRET: not-the-value
      DATABASE_URL: {{matches: "^mysql://"}}
      API_KEY: {{equals: other}}
    secrets: {{min_length: 200}}
  - id: dsn.postgres
    kind: postgres
    url: postgres://app:{S_PG}@127.0.0.1:1/app
    timeout: 2s
  - id: dsn.redis
    kind: redis
    url: redis://default:{S_REDIS}@127.0.0.1:1
    timeout: 2s
  - id: tcp.dsn-target
    kind: postgres
    target: db
    timeout: 2s
  - id: http.target
    kind: http
    target: api
    url: /private
    expect: {{status: 200, body_contains: nothing-like-this, headers: {{X-Echo-Authorization: nope}}}}
  - id: http.check-headers
    kind: http
    url: http://127.0.0.1:{api}/private
    headers: {{Authorization: "Bearer {S_CHECK_HEADER}", X-Token: "${{APP_API_TOKEN}}"}}
    expect: {{status: 200, json: [{{path: "$.you_sent[0]", equals: nope}}]}}
  - id: http.login
    kind: http
    method: POST
    url: http://127.0.0.1:{api}/login
    body: {{json: {{username: smoke, password: "${{APP_API_TOKEN}}"}}}}
    expect: {{status: 200}}
    capture:
      token: {{json: $.access_token}}
  - id: http.captured
    kind: http
    depends_on: [http.login]
    url: http://127.0.0.1:{api}/private
    headers: {{Authorization: "Bearer ${{token}}"}}
    expect: {{status: 200, body_contains: nope, json: [{{path: "$.you_sent[0]", matches: "^nope$"}}]}}
  - id: command.interpolated
    kind: command
    run: [printf, "%s", "${{APP_API_TOKEN}}"]
    stdout: "^nope$"
  - id: http.userinfo
    kind: http
    url: http://smoke:{S_URL_USERINFO}@127.0.0.1:{api}/private
    expect: {{status: 200, body_contains: nope, headers: {{X-Echo-Authorization: nope}}}}
  - id: http.query-tokens
    kind: http
    url: http://127.0.0.1:{api}/private?page=2&access_token={S_QUERY_ACCESS}&api_key={S_QUERY_API_KEY}
    expect: {{status: 200, headers: {{Location: nope}}}}
  - id: http.subscription-key
    kind: http
    url: http://127.0.0.1:{api}/private
    headers: {{Ocp-Apim-Subscription-Key: {S_SUBSCRIPTION}}}
    expect: {{status: 200, body_contains: nope, headers: {{X-Echo-Ocp-Apim-Subscription-Key: nope}}}}
  - id: env.dsn-slash
    kind: env_file
    path: .env.production
    values:
      REPLICA_URL: {{matches: "^mysql://"}}
      MYSQL_PWD: {{equals: other}}
  - id: command.password-arg
    kind: command
    run: [sh, -c, 'echo "connecting as $0 $1 $2"; exit 3', mysql, --password, "{S_CMD_ARG}"]
  - id: command.output
    kind: command
    run: [sh, -c, 'echo "> Authorization: Bearer $(echo {out_rev} | rev)"; echo "password=$(echo {out_pw_rev} | rev)"; exit 4']
"#
    );
    if let Some(url) = common::service("READYCTL_TEST_PG_URL") {
        let password = common::service("READYCTL_TEST_PG_PASSWORD").unwrap_or_default();
        secrets.push(password);
        let wrong = url::Url::parse(&url)
            .map(|mut u| {
                let _ = u.set_password(Some(S_PG));
                u.to_string()
            })
            .unwrap();
        checks.push_str(&format!(
            "  - {{id: pg.live, kind: postgres, url: \"{url}\", version: \">=99\", settings: {{max_connections: 1}}}}\n  - {{id: pg.wrong-password, kind: postgres, url: \"{wrong}\"}}\n"
        ));
        must_run.extend(["pg.live", "pg.wrong-password"]);
    }
    if let Some(url) = common::service("READYCTL_TEST_REDIS_URL") {
        let password = common::service("READYCTL_TEST_REDIS_PASSWORD").unwrap_or_default();
        secrets.push(password);
        let wrong = url.replacen(
            &url::Url::parse(&url)
                .unwrap()
                .password()
                .unwrap()
                .to_string(),
            S_REDIS,
            1,
        );
        checks.push_str(&format!(
            "  - {{id: redis.live, kind: redis, url: \"{url}\", version: \">=99\", config: {{maxmemory: 1mb}}}}\n  - {{id: redis.wrong-password, kind: redis, url: \"{wrong}\"}}\n"
        ));
        must_run.extend(["redis.live", "redis.wrong-password"]);
    }
    if let (Some(addr), Some(token), Some(secret)) = (
        common::service("READYCTL_TEST_BAO_ADDR"),
        common::service("READYCTL_TEST_BAO_TOKEN"),
        common::service("READYCTL_TEST_BAO_SECRET"),
    ) {
        secrets.push(token.clone());
        secrets.push(secret);
        targets.push_str(&format!("  vault:\n    url: {addr}\n    token: {token}\n"));
        checks.push_str(
            r#"  - id: vault.secret
    kind: vault
    target: vault
    production: true
    version: ">=99"
    secrets:
      - {path: secret/auth/jwt_secret, keys: [value, missing], min_length: 500}
"#,
        );
        must_run.push("vault.secret");
    }
    Planted {
        secrets,
        catalogue: format!("version: 1\n{targets}{checks}"),
        must_run,
    }
}

#[test]
fn no_secret_appears_in_any_output_format_at_any_verbosity() {
    let root = tempfile::tempdir().unwrap();
    let planted = plant(root.path());
    let cat = root.path().join("readyctl.yml");
    std::fs::write(&cat, &planted.catalogue).unwrap();
    let mut runs = 0;
    for format in ["table", "json", "github"] {
        for verbosity in [None, Some("--quiet")] {
            let out_dir = tempfile::tempdir().unwrap();
            let reports: Vec<(String, std::path::PathBuf)> =
                ["json", "junit", "sarif", "markdown", "prometheus"]
                    .iter()
                    .map(|f| (f.to_string(), out_dir.path().join(format!("report.{f}"))))
                    .collect();
            let mut cmd = common::readyctl();
            cmd.args(["check", "--color", "always", "--format", format, "-c"])
                .arg(&cat)
                .arg("--root")
                .arg(root.path())
                .env("APP_API_TOKEN", S_INTERP)
                .timeout(Duration::from_secs(120));
            if let Some(v) = verbosity {
                cmd.arg(v);
            }
            for (f, p) in &reports {
                cmd.arg("--report").arg(format!("{f}={}", p.display()));
            }
            let out = cmd.output().unwrap();
            assert_eq!(
                out.status.code(),
                Some(1),
                "the run must fail (checks are built to): {}",
                String::from_utf8_lossy(&out.stderr)
            );
            // The masked SARIF must still be what code scanning accepts.
            common::assert_valid_sarif(&out_dir.path().join("report.sarif"));
            let mut texts = vec![
                (
                    "stdout".to_string(),
                    String::from_utf8_lossy(&out.stdout).to_string(),
                ),
                (
                    "stderr".to_string(),
                    String::from_utf8_lossy(&out.stderr).to_string(),
                ),
            ];
            for (f, p) in &reports {
                let text = std::fs::read_to_string(p)
                    .unwrap_or_else(|e| panic!("{f} report {}: {e}", p.display()));
                texts.push((format!("{f} report"), text));
            }
            for (where_, text) in &texts {
                assert_no_leak(
                    &planted.secrets,
                    &format!("{where_} (--format {format} {verbosity:?})"),
                    text,
                );
            }
            // The secret-bearing checks really ran.
            let json: Value = serde_json::from_str(&texts[2].1).unwrap();
            for id in &planted.must_run {
                let c = json["checks"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|c| c["id"] == *id)
                    .unwrap_or_else(|| panic!("no {id} in the report"));
                let status = c["status"].as_str().unwrap();
                let expected = if *id == "http.login" { "pass" } else { "fail" };
                assert_eq!(status, expected, "{id}: {c}");
            }
            runs += 1;
        }
    }
    assert_eq!(runs, 6);
}

/// A catalogue that does not load: the diagnostics snippet shows the line
/// holding a literal DSN password and Bearer token beside the unset variable.
#[test]
fn no_secret_in_diagnostics_snippets() {
    let (dir, cat) = common::catalogue(&format!(
        r#"version: 1
checks:
  - {{id: a, kind: http, url: "http://u:{S_DIAG_DSN}@127.0.0.1:1/x", headers: {{Authorization: "Bearer {S_DIAG_BEARER}"}}, body: {{text: "${{READYCTL_UNSET_VAR_FOR_TEST}}"}}}}
  - {{id: b, kind: postgres, url: "postgres://app:{S_DIAG_DSN}@127.0.0.1:1/app?sslmode=${{READYCTL_UNSET_VAR_FOR_TEST}}"}}
"#
    ));
    let secrets = vec![S_DIAG_DSN.to_string(), S_DIAG_BEARER.to_string()];
    for args in [vec!["check"], vec!["validate"]] {
        for color in ["never", "always"] {
            let out = common::readyctl()
                .args(&args)
                .args(["--color", color, "-c"])
                .arg(&cat)
                .arg("--root")
                .arg(dir.path())
                .env_remove("READYCTL_UNSET_VAR_FOR_TEST")
                .output()
                .unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
            // The diagnostic is there, with its snippet.
            assert!(stderr.contains("READYCTL_UNSET_VAR_FOR_TEST"), "{stderr}");
            assert!(stderr.contains("127.0.0.1:1"), "{stderr}");
            assert_no_leak(&secrets, &format!("{args:?} stderr"), &stderr);
            assert_no_leak(
                &secrets,
                &format!("{args:?} stdout"),
                &String::from_utf8_lossy(&out.stdout),
            );
        }
    }
}

/// `compose config` output and its errors (an `extends: file:` pointing at
/// a credentials file).
#[test]
fn no_secret_in_compose_config_output_or_errors() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("compose.yml"),
        format!(
            "services:\n  db:\n    image: mysql:8\n    environment:\n      MYSQL_PWD: {S_COMPOSE_PWD}\n      DATABASE_URL: mysql://app:{S_COMPOSE_DSN}@db:3306/app\n"
        ),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("credentials"),
        format!(
            "[default]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = {S_COMPOSE_CRED}\n"
        ),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("broken.yml"),
        "services:\n  app:\n    image: x\n    extends: {file: credentials, service: app}\n",
    )
    .unwrap();
    let secrets: Vec<String> = [S_COMPOSE_PWD, S_COMPOSE_DSN, S_COMPOSE_CRED]
        .iter()
        .map(|s| s.to_string())
        .collect();
    for (file, format, code) in [
        ("compose.yml", "yaml", 0),
        ("compose.yml", "json", 0),
        ("broken.yml", "yaml", 2),
    ] {
        let out = common::readyctl()
            .current_dir(dir.path())
            .args(["compose", "config", "--format", format, "-f", file])
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(code), "{file}: {stdout}{stderr}");
        if code == 0 {
            // The model is printed, masked.
            assert!(
                stdout.contains("mysql:8") && stdout.contains("MYSQL_PWD"),
                "{stdout}"
            );
        } else {
            // The error still says where.
            assert!(stderr.contains("credentials:2:1"), "{stderr}");
        }
        assert_no_leak(&secrets, &format!("compose config {file} stdout"), &stdout);
        assert_no_leak(&secrets, &format!("compose config {file} stderr"), &stderr);
    }
}

/// `serve`'s `/healthz` and `/metrics` bodies.
#[test]
fn no_secret_in_serve_responses() {
    use std::io::{BufRead, Read, Write};
    let root = tempfile::tempdir().unwrap();
    let planted = plant(root.path());
    let cat = root.path().join("readyctl.yml");
    std::fs::write(&cat, &planted.catalogue).unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_readyctl"))
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--interval",
            "1s",
            "--catalog",
        ])
        .arg(&cat)
        .arg("--root")
        .arg(root.path())
        .env("APP_API_TOKEN", S_INTERP)
        .stderr(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    stderr.read_line(&mut line).unwrap();
    let addr = line
        .split("http://")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .to_string();
    let get = |path: &str| {
        let mut s = std::net::TcpStream::connect(&addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        write!(s, "GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
        let mut resp = String::new();
        let _ = s.read_to_string(&mut resp);
        resp
    };
    let end = std::time::Instant::now() + Duration::from_secs(90);
    let mut health = get("/healthz");
    while !health.contains("\"checks\"") && std::time::Instant::now() < end {
        std::thread::sleep(Duration::from_millis(200));
        health = get("/healthz");
    }
    let metrics = get("/metrics");
    let _ = child.kill();
    let _ = child.wait();
    let mut rest = String::new();
    let _ = stderr.read_to_string(&mut rest);
    assert!(
        health.contains("\"checks\""),
        "no report from serve: {health}"
    );
    assert!(health.contains("http.userinfo"), "{health}");
    assert_no_leak(&planted.secrets, "serve /healthz", &health);
    assert_no_leak(&planted.secrets, "serve /metrics", &metrics);
    assert_no_leak(&planted.secrets, "serve stderr", &format!("{line}{rest}"));
}
