//! Known secret values planted everywhere a catalogue can hold them — `.env`
//! files, DSNs and URLs, target tokens and headers, interpolated variables,
//! a token captured from a login endpoint, Vault secrets — must never appear
//! in stdout, stderr or any report file, in any output format, at any
//! verbosity.
//!
//! Every check here is built to fail (or to show the secret-bearing value if
//! it could): a passing check proves nothing about masking.

mod common;

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
                    let mut extra = String::new();
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
            "JWT_SECRET={S_ENV_JWT}\nDATABASE_URL=postgres://app:{S_ENV_DSN}@db:5432/app\nAPI_KEY={S_ENV_KEY}\n"
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
                for s in &planted.secrets {
                    assert!(
                        !text.contains(s.as_str()),
                        "secret {s:?} leaked into {where_} (--format {format} {verbosity:?}):\n{text}"
                    );
                }
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
