//! One trust store for every TLS kind: the system's roots *plus* a check's
//! `ca_file`, never the CA file instead of them.
//!
//! The "system" store is made to hold the real server's CA by pointing
//! `SSL_CERT_FILE` at it (rustls-native-certs and the platform verifier read
//! it, as OpenSSL does); each check then names an unrelated `ca_file`. A kind
//! that replaced the system roots with its CA file would fail to verify the
//! real nginx and PostgreSQL servers; every kind must pass. Redis and Vault
//! run without TLS in the test services, so they are covered by the unit
//! tests of `readyctl::tls` that every kind's trust goes through.

mod common;

use serde_json::Value;

fn run(cat: &str, system_ca: &str) -> Value {
    let (_dir, path) = common::catalogue(cat);
    let out = common::readyctl()
        .env("SSL_CERT_FILE", system_ca)
        .env_remove("SSL_CERT_DIR")
        .args(["check", "--format", "json", "--catalog"])
        .arg(&path)
        .output()
        .unwrap();
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)))
}

fn status(r: &Value, id: &str) -> String {
    let c = r["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no {id}: {r}"));
    format!("{} ({})", c["status"].as_str().unwrap(), c["message"])
}

#[test]
fn a_ca_file_adds_to_the_system_roots_for_http_and_tls() {
    let (Some(port), Some(nginx_ca), Some(other_ca)) = (
        common::service("READYCTL_TEST_NGINX_HTTPS_PORT"),
        common::service("READYCTL_TEST_NGINX_CA"),
        common::service("READYCTL_TEST_PG_CA"),
    ) else {
        return;
    };
    let cat = format!(
        r#"version: 1
checks:
  # Any answer means the TLS handshake verified; nginx here answers 403 at /.
  - {{id: http, kind: http, url: "https://localhost:{port}/", ca_file: "{other_ca}", expect: {{status: [200, 301, 302, 403, 404]}}}}
  - {{id: tls, kind: tls, address: "localhost:{port}", ca_file: "{other_ca}"}}
  - {{id: tls-system-only, kind: tls, address: "localhost:{port}"}}
"#
    );
    let r = run(&cat, &nginx_ca);
    for id in ["http", "tls", "tls-system-only"] {
        assert!(
            status(&r, id).starts_with("pass"),
            "{id}: {}",
            status(&r, id)
        );
    }
    // And the control: with a system store that does not hold nginx's CA,
    // the same unrelated ca_file does not make it trusted.
    let r = run(&cat, &other_ca);
    assert!(
        status(&r, "tls").starts_with("fail"),
        "{}",
        status(&r, "tls")
    );
}

#[test]
fn a_ca_file_adds_to_the_system_roots_for_postgres() {
    let (Some(url), Some(pg_ca), Some(other_ca)) = (
        common::service("READYCTL_TEST_PG_URL"),
        common::service("READYCTL_TEST_PG_CA"),
        common::service("READYCTL_TEST_NGINX_CA"),
    ) else {
        return;
    };
    let cat = format!(
        "version: 1\nchecks:\n  - id: pg\n    kind: postgres\n    url: {url}\n    tls: verify-full\n    ca_file: {other_ca}\n"
    );
    let r = run(&cat, &pg_ca);
    assert!(status(&r, "pg").starts_with("pass"), "{}", status(&r, "pg"));
    let r = run(&cat, &other_ca);
    assert!(status(&r, "pg").starts_with("fail"), "{}", status(&r, "pg"));
}
