//! HTTP kinds end to end: the built binary against a real nginx started by
//! scripts/services/nginx.sh, plus a small in-process server only for what
//! nginx cannot show (a login that issues a token and an alarms API that
//! checks it, a hang, garbage bytes).

mod common;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::time::Duration;

use serde_json::Value;

fn nginx() -> Option<(String, String)> {
    let http = common::service("READYCTL_TEST_NGINX_HTTP_PORT")?;
    let https = common::service("READYCTL_TEST_NGINX_HTTPS_PORT")?;
    Some((http, https))
}

/// Runs `readyctl check --format json` on `catalogue`; returns (exit code, report, stdout+stderr).
fn run(catalogue: &str) -> (i32, Value, String) {
    let (_dir, path) = common::catalogue(catalogue);
    let out = common::readyctl()
        .args(["check", "--format", "json", "-c"])
        .arg(&path)
        .timeout(Duration::from_secs(120))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    let report: Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}\n{stderr}"));
    (
        out.status.code().unwrap_or(-1),
        report,
        format!("{stdout}\n{stderr}"),
    )
}

fn check<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no check {id} in {report}"))
}

fn status(report: &Value, id: &str) -> String {
    check(report, id)["status"].as_str().unwrap().to_string()
}

fn message(report: &Value, id: &str) -> String {
    check(report, id)["message"].as_str().unwrap().to_string()
}

/// Serves `n` connections with `respond(request_text) -> raw response bytes`.
fn serve(respond: impl Fn(&str) -> Vec<u8> + Send + 'static) -> String {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap().to_string();
    std::thread::spawn(move || {
        for s in l.incoming() {
            let Ok(mut s) = s else { continue };
            let mut buf = vec![0u8; 16384];
            let mut got = 0;
            // Read headers, then the body by Content-Length.
            while let Ok(n) = s.read(&mut buf[got..]) {
                if n == 0 {
                    break;
                }
                got += n;
                let text = String::from_utf8_lossy(&buf[..got]).to_string();
                if let Some(end) = text.find("\r\n\r\n") {
                    let len = text
                        .lines()
                        .find_map(|l| {
                            l.to_ascii_lowercase()
                                .strip_prefix("content-length:")
                                .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                        })
                        .unwrap_or(0);
                    if got >= end + 4 + len {
                        break;
                    }
                }
            }
            let req = String::from_utf8_lossy(&buf[..got]).to_string();
            let resp = respond(&req);
            if !resp.is_empty() {
                let _ = s.write_all(&resp);
            } else {
                // Hang: keep the connection open without answering.
                std::thread::sleep(Duration::from_secs(30));
            }
        }
    });
    addr
}

fn json_response(status: &str, body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

const TOKEN: &str = "tok-7f3c9a1e5b2d4c8f";

/// A login endpoint issuing TOKEN and an alarms endpoint requiring it.
fn smoke_api(alarms: &'static str) -> String {
    serve(move |req| {
        let first = req.lines().next().unwrap_or_default().to_string();
        if first.starts_with("POST /api/v1/auth/login") {
            if req.contains(r#""username":"smoke""#) && req.contains(r#""password":"pw-smoke-1""#) {
                json_response(
                    "200 OK",
                    &format!(r#"{{"access_token":"{TOKEN}","token_type":"bearer"}}"#),
                )
            } else {
                json_response("401 Unauthorized", r#"{"detail":"bad credentials"}"#)
            }
        } else if first.starts_with("GET /api/v1/alarms") {
            if req
                .lines()
                .any(|l| l.eq_ignore_ascii_case(&format!("authorization: Bearer {TOKEN}")))
            {
                json_response("200 OK", alarms)
            } else {
                json_response("401 Unauthorized", r#"{"detail":"not authenticated"}"#)
            }
        } else {
            json_response("404 Not Found", "{}")
        }
    })
}

fn smoke_catalogue(addr: &str) -> String {
    format!(
        r#"version: 1
targets:
  api: {{url: "http://{addr}"}}
checks:
  - id: api.login
    kind: http
    target: api
    method: POST
    url: /api/v1/auth/login
    body: {{json: {{username: smoke, password: pw-smoke-1}}}}
    expect: {{status: 200}}
    capture:
      token: $.access_token
  - id: api.alarms
    kind: http
    target: api
    depends_on: [api.login]
    url: /api/v1/alarms
    headers: {{Authorization: "Bearer ${{token}}"}}
    expect:
      status: 200
      json:
        - {{path: "$[*].id", none_match: '^ALM-\d{{3}}$'}}
        - {{path: "$", length: 2}}
"#
    )
}

#[test]
fn smoke_flow_logs_in_captures_the_token_and_asserts_real_alarm_ids() {
    let addr = smoke_api(r#"[{"id":"a-1f7","severity":"high"},{"id":"a-88c","severity":"low"}]"#);
    let (code, report, all) = run(&smoke_catalogue(&addr));
    assert_eq!(status(&report, "api.login"), "pass", "{report}");
    assert_eq!(status(&report, "api.alarms"), "pass", "{report}");
    assert_eq!(code, 0);
    assert!(
        !all.contains(TOKEN),
        "the token leaked into the output: {all}"
    );
    // The table output must not show it either.
    let (_d, path) = common::catalogue(&smoke_catalogue(&addr));
    let out = common::readyctl()
        .args(["check", "-c"])
        .arg(&path)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!text.contains(TOKEN), "{text}");
}

#[test]
fn smoke_flow_fails_on_mock_alarm_ids_without_leaking_the_token() {
    let addr = smoke_api(r#"[{"id":"ALM-001"},{"id":"ALM-002"}]"#);
    let (code, report, all) = run(&smoke_catalogue(&addr));
    assert_eq!(status(&report, "api.alarms"), "fail", "{report}");
    let m = message(&report, "api.alarms");
    assert!(
        m.contains("2 value(s) match") && m.contains("ALM-001"),
        "{m}"
    );
    assert_eq!(code, 1);
    assert!(!all.contains(TOKEN), "{all}");
}

#[test]
fn without_the_capture_the_dependent_check_is_skipped() {
    // Wrong password: login answers 401, so the alarms check never runs.
    let addr = smoke_api("[]");
    let cat = smoke_catalogue(&addr).replace("pw-smoke-1", "wrong");
    let (_, report, _) = run(&cat);
    assert_eq!(status(&report, "api.login"), "fail");
    assert!(message(&report, "api.login").contains("expected 200, got 401"));
    assert_eq!(status(&report, "api.alarms"), "skip");
}

#[test]
fn health_endpoint_on_nginx_passes_and_wrong_expectations_fail_plainly() {
    let Some((http, _)) = nginx() else { return };
    let cat = format!(
        r#"version: 1
checks:
  - id: health
    kind: http
    url: http://127.0.0.1:{http}/health
    expect:
      status: 200
      headers: {{Content-Type: {{matches: json}}}}
      json:
        - {{path: $.status, equals: healthy}}
      max_time: 2s
  - id: health-wrong
    kind: http
    url: http://127.0.0.1:{http}/health
    expect:
      json:
        - {{path: $.status, equals: ok}}
  - id: missing
    kind: http
    url: http://127.0.0.1:{http}/nope
    expect: {{status: 2xx}}
  - id: header
    kind: http
    url: http://127.0.0.1:{http}/h/none
    expect:
      headers: {{X-Frame-Options: DENY}}
"#
    );
    let (_, r, _) = run(&cat);
    assert_eq!(status(&r, "health"), "pass", "{r}");
    assert!(check(&r, "health")["metrics"]["response_ms"].is_number());
    assert_eq!(status(&r, "health-wrong"), "fail");
    assert!(message(&r, "health-wrong").contains("expected `ok`, got `healthy`"));
    assert_eq!(status(&r, "missing"), "fail");
    assert!(message(&r, "missing").contains("bad status: expected 2xx, got 404"));
    assert_eq!(status(&r, "header"), "fail");
    assert!(message(&r, "header").contains("X-Frame-Options is missing"));
}

#[test]
fn refused_timeout_garbage_and_tls_failures_have_distinct_reasons() {
    let Some((_, https)) = nginx() else { return };
    let closed = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().to_string()
    };
    let hang = serve(|_| Vec::new());
    let garbage = serve(|_| b"\x00\x01garbage that is not HTTP\r\n\r\n".to_vec());
    let slow = serve(|_| {
        std::thread::sleep(Duration::from_millis(700));
        json_response("200 OK", "{}")
    });
    let cat = format!(
        r#"version: 1
checks:
  - {{id: refused, kind: http, url: "http://{closed}/"}}
  - {{id: hang, kind: http, url: "http://{hang}/", timeout: 1s}}
  - {{id: garbage, kind: http, url: "http://{garbage}/"}}
  - {{id: tls, kind: http, url: "https://localhost:{https}/health"}}
  - id: slow
    kind: http
    url: "http://{slow}/"
    expect: {{max_time: 300ms}}
"#
    );
    let (_, r, _) = run(&cat);
    for id in ["refused", "hang", "garbage", "tls", "slow"] {
        assert_eq!(status(&r, id), "fail", "{id}: {r}");
    }
    assert!(message(&r, "refused").contains("connection refused"), "{r}");
    assert!(message(&r, "hang").contains("timed out after"), "{r}");
    let g = message(&r, "garbage");
    assert!(!g.contains("refused") && !g.contains("timed out"), "{g}");
    assert!(message(&r, "tls").contains("TLS failure"), "{r}");
    assert!(
        message(&r, "slow").contains("expected at most 300 ms"),
        "{r}"
    );
}

#[test]
fn insecure_is_reported_as_a_warning() {
    let Some((_, https)) = nginx() else { return };
    let cat = format!(
        "version: 1\nchecks:\n  - {{id: i, kind: http, url: \"https://localhost:{https}/health\", insecure: true}}\n"
    );
    let (code, r, _) = run(&cat);
    assert_eq!(status(&r, "i"), "warn", "{r}");
    assert!(message(&r, "i").contains("TLS verification is turned off"));
    assert_eq!(code, 0);
}
