//! Safe defaults, proven:
//! - TLS verification is on by default in every TLS-speaking kind; turning it
//!   off is per check/target, explicit, and reported as a warning;
//! - `command` never goes through a shell unless `shell: true` is written;
//! - files outside `--root` are not read unless the catalogue names them
//!   (redis.conf `include`, scan globs).
//!
//! The TLS server is in-process (tokio-rustls) with a self-signed
//! certificate made by `openssl` at test time: nothing trusts it.

mod common;

use std::path::Path;
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

static RT: LazyLock<tokio::runtime::Runtime> = LazyLock::new(|| {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap()
});

/// A self-signed certificate for 127.0.0.1/localhost (CA:FALSE, with SAN).
fn self_signed(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let cert = dir.join("cert.pem");
    let key = dir.join("key.pem");
    let ok = std::process::Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
        ])
        .args(["-nodes", "-days", "30", "-subj", "/CN=localhost"])
        .args(["-addext", "basicConstraints=critical,CA:FALSE"])
        .args(["-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .expect("openssl is needed to make a test certificate");
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    (cert, key)
}

/// An HTTPS server answering every request with a Vault-like seal status.
fn tls_server(cert: &Path, key: &Path) -> u16 {
    use rustls_pki_types::pem::PemObject;
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let certs: Vec<_> = rustls_pki_types::CertificateDer::pem_file_iter(cert)
        .unwrap()
        .map(|c| c.unwrap())
        .collect();
    let key = rustls_pki_types::PrivateKeyDer::from_pem_file(key).unwrap();
    let config = rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    std_listener.set_nonblocking(true).unwrap();
    let port = std_listener.local_addr().unwrap().port();
    RT.spawn(async move {
        let listener = tokio::net::TcpListener::from_std(std_listener).unwrap();
        while let Ok((s, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut s) = acceptor.accept(s).await else {
                    return;
                };
                let mut buf = vec![0u8; 8192];
                loop {
                    let mut seen = Vec::new();
                    while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
                        match s.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => seen.extend_from_slice(&buf[..n]),
                        }
                    }
                    let body = r#"{"initialized":true,"sealed":false,"standby":false,"t":1,"n":1,"progress":0,"version":"2.7.2","storage_type":"raft","cluster_name":"x"}"#;
                    let resp = format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                        body.len()
                    );
                    if s.write_all(resp.as_bytes()).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    port
}

fn run(catalogue: &str, root: &Path) -> Value {
    let cat = root.join("readyctl.yml");
    std::fs::write(&cat, catalogue).unwrap();
    let out = common::readyctl()
        .args(["check", "--format", "json", "-c"])
        .arg(&cat)
        .arg("--root")
        .arg(root)
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn check<'a>(r: &'a Value, id: &str) -> &'a Value {
    r["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no {id} in {r}"))
}

fn text_of(c: &Value) -> String {
    let mut t = c["message"].as_str().unwrap_or_default().to_string();
    for f in c["findings"].as_array().into_iter().flatten() {
        t.push_str(" | ");
        t.push_str(f["message"].as_str().unwrap_or_default());
    }
    t.to_lowercase()
}

#[test]
fn tls_is_verified_by_default_in_every_tls_kind() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = self_signed(dir.path());
    let p = tls_server(&cert, &key);
    let cat = format!(
        r#"version: 1
checks:
  - {{id: http, kind: http, url: "https://127.0.0.1:{p}/", timeout: 5s}}
  - {{id: security_headers, kind: security_headers, url: "https://127.0.0.1:{p}/", timeout: 5s}}
  - {{id: tls, kind: tls, address: "127.0.0.1:{p}", timeout: 5s}}
  - {{id: latency, kind: latency, url: "https://127.0.0.1:{p}/", requests: 5, concurrency: 1, warmup: 0, timeout: 5s}}
  - {{id: websocket, kind: websocket, url: "wss://127.0.0.1:{p}/ws", timeout: 5s}}
  - {{id: vault, kind: vault, url: "https://127.0.0.1:{p}", timeout: 5s}}
  - {{id: redis, kind: redis, url: "rediss://127.0.0.1:{p}", timeout: 5s}}
"#
    );
    let r = run(&cat, dir.path());
    for id in [
        "http",
        "security_headers",
        "tls",
        "latency",
        "websocket",
        "vault",
        "redis",
    ] {
        let c = check(&r, id);
        let text = text_of(c);
        assert_eq!(
            c["status"], "fail",
            "{id} accepted an untrusted certificate: {c}"
        );
        assert!(
            text.contains("certificate")
                || text.contains("issuer")
                || text.contains("trusted")
                || text.contains("tls"),
            "{id}: the reason does not name TLS: {text}"
        );
    }
}

#[test]
fn turning_verification_off_is_explicit_per_target_and_warns() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = self_signed(dir.path());
    let p = tls_server(&cert, &key);
    let cat = format!(
        r#"version: 1
targets:
  lax: {{url: "https://127.0.0.1:{p}", insecure: true}}
  strict: {{url: "https://127.0.0.1:{p}"}}
checks:
  - {{id: http.lax, kind: http, target: lax, url: /, timeout: 5s}}
  - {{id: http.strict, kind: http, target: strict, url: /, timeout: 5s}}
  - {{id: http.inline, kind: http, url: "https://127.0.0.1:{p}/", insecure: true, timeout: 5s}}
  - {{id: latency.lax, kind: latency, target: lax, url: /, requests: 5, concurrency: 1, warmup: 0, timeout: 5s}}
  - {{id: vault.lax, kind: vault, target: lax, timeout: 5s}}
  - {{id: vault.strict, kind: vault, target: strict, timeout: 5s}}
"#
    );
    let r = run(&cat, dir.path());
    for id in ["http.lax", "http.inline", "latency.lax", "vault.lax"] {
        let c = check(&r, id);
        assert_eq!(c["status"], "warn", "{id}: {c}");
        assert!(
            text_of(c).contains("verification"),
            "{id}: the warning does not say verification is off: {c}"
        );
    }
    // The same server through a target without `insecure` is still refused.
    for id in ["http.strict", "vault.strict"] {
        assert_eq!(check(&r, id)["status"], "fail", "{id}");
    }
}

#[test]
fn postgres_warns_when_a_weak_mode_accepts_an_unverified_certificate() {
    let Some(url) = common::service("READYCTL_TEST_PG_URL") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let cat = format!(
        "version: 1\nchecks:\n  - {{id: default, kind: postgres, url: \"{url}\"}}\n  - {{id: full, kind: postgres, url: \"{url}\", tls: verify-full}}\n"
    );
    let r = run(&cat, dir.path());
    let d = check(&r, "default");
    assert_eq!(d["status"], "warn", "{d}");
    assert_eq!(d["findings"][0]["code"], "postgres/tls-unverified", "{d}");
    assert_eq!(check(&r, "full")["status"], "fail");
}

#[test]
fn command_never_uses_a_shell_unless_asked() {
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("pwned");
    let cat = format!(
        r#"version: 1
checks:
  - id: argv
    kind: command
    run: [echo, "$HOME; touch {m}", "${{HOSTILE}}"]
    stdout: '^\$HOME; touch .*pwned x; touch .*pwned2 `id` \$\(id\)$'
  - id: shell
    kind: command
    shell: true
    run: [echo, "$HOSTILE_SHELL_MARK"]
    stdout: '^expanded$'
"#,
        m = marker.display()
    );
    let cat_path = dir.path().join("readyctl.yml");
    std::fs::write(&cat_path, cat).unwrap();
    let out = common::readyctl()
        .args(["check", "--format", "json", "-c"])
        .arg(&cat_path)
        .env(
            "HOSTILE",
            format!("x; touch {}2 `id` $(id)", marker.display()),
        )
        .env("HOSTILE_SHELL_MARK", "expanded")
        .output()
        .unwrap();
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(check(&r, "argv")["status"], "pass", "{r}");
    assert!(!marker.exists(), "a shell ran the argument");
    assert!(
        !dir.path().join("pwned2").exists(),
        "a shell ran the interpolated value"
    );
    // With `shell: true` written, the shell does run.
    assert_eq!(check(&r, "shell")["status"], "pass", "{r}");
}

#[test]
fn redis_conf_includes_and_scan_globs_stay_inside_the_root() {
    let outer = tempfile::tempdir().unwrap();
    let root = outer.path().join("deploy");
    std::fs::create_dir_all(root.join("redis")).unwrap();
    std::fs::write(
        outer.path().join("outside.conf"),
        "requirepass outside-root-secret\nappendonly yes\n",
    )
    .unwrap();
    std::fs::write(
        outer.path().join("outside.py"),
        "URL = 'http://localhost:8000'\n",
    )
    .unwrap();
    std::fs::write(
        root.join("redis/redis.conf"),
        "appendonly no\ninclude ../../outside.conf\n",
    )
    .unwrap();
    std::fs::write(root.join("app.py"), "print('ok')\n").unwrap();
    let cat = r#"version: 1
checks:
  - {id: redis.include, kind: redis, source: file, path: redis/redis.conf, persistence: aof}
  - {id: scan.escape, kind: scan, include: ["../*.py", "**/../*.py", "*.py"], pattern: "localhost"}
"#;
    let r = run(cat, &root);
    let inc = check(&r, "redis.include");
    assert_eq!(inc["status"], "error", "{inc}");
    let text = text_of(inc);
    assert!(text.contains("outside the deployment root"), "{text}");
    assert_eq!(inc["findings"][0]["line"], 2, "{inc}");
    assert!(!text.contains("outside-root-secret"));
    assert_eq!(check(&r, "scan.escape")["status"], "pass", "{r}");
}
