//! Redirects under a hostile world (issue 17, class 5): a target's secret
//! headers must not follow a redirect to another origin, and an https →
//! http downgrade fails the check unless `allow_downgrade: true`.
//!
//! The redirecting servers are in-process (two loopback ports are two
//! origins; each records the headers it received); the downgrade comes from
//! the real nginx that `scripts/test.sh` starts.

use crate::common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use std::io::{Read, Write};

/// A tiny HTTP/1.1 server: `/to?<url>` answers 302 to `<url>`, anything
/// else 200 `ok`. Every request's head is recorded.
fn server() -> (u16, Arc<Mutex<Vec<String>>>) {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let rec = seen.clone();
    std::thread::spawn(move || {
        for s in l.incoming() {
            let Ok(mut s) = s else { continue };
            let rec = rec.clone();
            std::thread::spawn(move || {
                let _ = s.set_read_timeout(Some(Duration::from_secs(10)));
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                    match s.read(&mut chunk) {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                }
                let head = String::from_utf8_lossy(&buf).to_string();
                rec.lock().unwrap().push(head.clone());
                let target = head.split_whitespace().nth(1).unwrap_or("/").to_string();
                let resp = match target.strip_prefix("/to?") {
                    Some(to) => format!(
                        "HTTP/1.1 302 Found\r\nLocation: {to}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                    ),
                    None => "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
                        .to_string(),
                };
                let _ = s.write_all(resp.as_bytes());
            });
        }
    });
    (port, seen)
}

const HEADERS: &str = r#"{X-Api-Key: redirKey-4471aa, X-Vault-Token: redirVault-90be13, Ocp-Apim-Subscription-Key: redirSub-23cd88, Authorization: "Bearer redirBearer-7e01f2", X-Request-Id: keep-me-42}"#;
const SECRETS: [&str; 4] = [
    "redirKey-4471aa",
    "redirVault-90be13",
    "redirSub-23cd88",
    "redirBearer-7e01f2",
];

fn run(catalogue: &str) -> (i32, String, Duration) {
    let (dir, cat) = common::catalogue(catalogue);
    let started = Instant::now();
    let out = common::readyctl()
        .args(["check", "--format", "json", "-c"])
        .arg(&cat)
        .arg("--root")
        .arg(dir.path())
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).to_string(),
        started.elapsed(),
    )
}

#[test]
fn secret_headers_are_dropped_when_a_redirect_changes_origin() {
    let (a, seen_a) = server();
    let (b, seen_b) = server();
    let (code, out, took) = run(&format!(
        r#"version: 1
checks:
  - id: cross
    kind: http
    url: http://127.0.0.1:{a}/to?http://127.0.0.1:{b}/landing
    headers: {HEADERS}
    expect: {{status: 200}}
    timeout: 5s
"#
    ));
    assert_eq!(code, 0, "{out}");
    assert!(took < Duration::from_secs(6), "took {took:?}");
    let first = seen_a.lock().unwrap().join("\n");
    let landed = seen_b.lock().unwrap().join("\n");
    // The first origin got everything; the second only what is not secret.
    for s in SECRETS {
        assert!(
            first.contains(s),
            "{s} not sent to the first origin:\n{first}"
        );
        assert!(
            !landed.contains(s),
            "{s} followed the redirect to another origin:\n{landed}"
        );
    }
    assert!(landed.contains("GET /landing"), "{landed}");
    assert!(
        landed
            .to_ascii_lowercase()
            .contains("x-request-id: keep-me-42"),
        "{landed}"
    );
}

#[test]
fn secret_headers_stay_on_a_same_origin_redirect() {
    let (a, seen_a) = server();
    let (code, out, _) = run(&format!(
        r#"version: 1
checks:
  - id: same
    kind: http
    url: http://127.0.0.1:{a}/to?/landing
    headers: {HEADERS}
    expect: {{status: 200}}
    timeout: 5s
"#
    ));
    assert_eq!(code, 0, "{out}");
    let seen = seen_a.lock().unwrap().clone();
    let landing = seen
        .iter()
        .find(|h| h.starts_with("GET /landing"))
        .unwrap_or_else(|| panic!("redirect not followed: {seen:?}"));
    for s in SECRETS {
        assert!(
            landing.contains(s),
            "{s} dropped on a same-origin redirect:\n{landing}"
        );
    }
}

#[test]
fn https_to_http_downgrade_fails_unless_allowed() {
    let (Some(https), Some(ca)) = (
        common::service("READYCTL_TEST_NGINX_HTTPS_PORT"),
        common::service("READYCTL_TEST_NGINX_CA"),
    ) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let ca_path = dir.path().join("ca.pem");
    let pem = if ca.contains("BEGIN") {
        ca
    } else {
        std::fs::read_to_string(&ca).unwrap()
    };
    std::fs::write(&ca_path, pem).unwrap();
    let (code, out, took) = run(&format!(
        r#"version: 1
checks:
  - id: refused
    kind: http
    url: https://localhost:{https}/downgrade
    ca_file: {ca}
    headers: {{X-Api-Key: downgradeKey-11aa}}
    expect: {{status: 200}}
    timeout: 5s
  - id: allowed
    kind: http
    url: https://localhost:{https}/downgrade
    ca_file: {ca}
    allow_downgrade: true
    expect: {{status: 200, body_contains: ok}}
    timeout: 5s
"#,
        ca = ca_path.display()
    ));
    assert_eq!(code, 1, "{out}");
    assert!(took < Duration::from_secs(11), "took {took:?}");
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    let check = |id: &str| {
        json["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == id)
            .unwrap()
            .clone()
    };
    let refused = check("refused");
    assert_eq!(refused["status"], "fail", "{refused}");
    assert!(
        refused.to_string().contains("https to plain http"),
        "{refused}"
    );
    assert_eq!(check("allowed")["status"], "pass", "{}", check("allowed"));
    assert!(!out.contains("downgradeKey-11aa"), "{out}");
}
