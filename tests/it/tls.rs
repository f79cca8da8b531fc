//! `tls` and `latency` end to end against the real nginx from
//! scripts/services/nginx.sh (certificates generated there by openssl).

mod common;

use std::time::Duration;

use serde_json::Value;

fn run(catalogue: &str) -> Value {
    let (_dir, path) = common::catalogue(catalogue);
    let out = common::readyctl()
        .args(["check", "--format", "json", "-c"])
        .arg(&path)
        .timeout(Duration::from_secs(120))
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

fn codes(c: &Value) -> Vec<String> {
    c["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["code"].as_str().map(str::to_string))
        .collect()
}

struct Ports {
    valid: String,
    expiring: String,
    wronghost: String,
    selfsigned: String,
    ca: String,
    selfsigned_cert: String,
}

fn ports() -> Option<Ports> {
    Some(Ports {
        valid: common::service("READYCTL_TEST_NGINX_HTTPS_PORT")?,
        expiring: common::service("READYCTL_TEST_NGINX_EXPIRING_PORT")?,
        wronghost: common::service("READYCTL_TEST_NGINX_WRONGHOST_PORT")?,
        selfsigned: common::service("READYCTL_TEST_NGINX_SELFSIGNED_PORT")?,
        ca: common::service("READYCTL_TEST_NGINX_CA")?,
        selfsigned_cert: common::service("READYCTL_TEST_NGINX_SELFSIGNED_CERT")?,
    })
}

#[test]
fn certificate_verdicts_have_distinct_reasons() {
    let Some(p) = ports() else { return };
    let cat = format!(
        r#"version: 1
checks:
  - {{id: valid, kind: tls, address: "localhost:{v}", ca_file: "{ca}", min_days: 14}}
  - {{id: valid-13, kind: tls, address: "localhost:{v}", ca_file: "{ca}", min_protocol: "1.3"}}
  - {{id: expiring, kind: tls, address: "localhost:{e}", ca_file: "{ca}", min_days: 14}}
  - {{id: expiring-warn, kind: tls, address: "localhost:{e}", ca_file: "{ca}", min_days: 2, warn_days: 30}}
  - {{id: wronghost, kind: tls, address: "localhost:{w}", ca_file: "{ca}"}}
  - {{id: selfsigned, kind: tls, address: "localhost:{s}"}}
  - {{id: selfsigned-trusted, kind: tls, address: "localhost:{s}", ca_file: "{ssc}"}}
  - {{id: unknown-issuer, kind: tls, address: "localhost:{v}"}}
"#,
        v = p.valid,
        e = p.expiring,
        w = p.wronghost,
        s = p.selfsigned,
        ca = p.ca,
        ssc = p.selfsigned_cert,
    );
    let r = run(&cat);
    let st = |id: &str| check(&r, id)["status"].as_str().unwrap().to_string();
    let msg = |id: &str| check(&r, id)["message"].as_str().unwrap().to_string();

    assert_eq!(st("valid"), "pass", "{r}");
    assert!(
        msg("valid").contains("SANs localhost, 127.0.0.1"),
        "{}",
        msg("valid")
    );
    assert_eq!(st("valid-13"), "pass", "{}", msg("valid-13"));

    // Expiring in 5 days: fails min_days 14 and names the date (today + 5, minus
    // the seconds since the script made the certificate).
    assert_eq!(st("expiring"), "fail", "{r}");
    let m = msg("expiring");
    let in5 = jiff::Timestamp::now() + jiff::SignedDuration::from_hours(24 * 5);
    let in4 = jiff::Timestamp::now() + jiff::SignedDuration::from_hours(24 * 4);
    let dates = [
        in5.strftime("%Y-%m-%d").to_string(),
        in4.strftime("%Y-%m-%d").to_string(),
    ];
    assert!(
        m.contains("expires soon") && dates.iter().any(|d| m.contains(d.as_str())),
        "{m} (expected one of {dates:?})"
    );
    assert!(codes(check(&r, "expiring")).contains(&"tls/expires-soon".to_string()));
    assert_eq!(st("expiring-warn"), "warn", "{}", msg("expiring-warn"));

    assert_eq!(st("wronghost"), "fail");
    assert!(
        msg("wronghost").contains("not valid for host name localhost")
            && msg("wronghost").contains("wrong.example"),
        "{}",
        msg("wronghost")
    );
    assert_eq!(st("selfsigned"), "fail");
    assert!(
        msg("selfsigned").contains("self-signed"),
        "{}",
        msg("selfsigned")
    );
    assert_eq!(
        st("selfsigned-trusted"),
        "pass",
        "{}",
        msg("selfsigned-trusted")
    );
    assert_eq!(st("unknown-issuer"), "fail");
    assert!(
        msg("unknown-issuer").contains("CN=readyctl test CA is not trusted"),
        "{}",
        msg("unknown-issuer")
    );
    // Four failures, four different codes.
    let mut first_codes: Vec<String> = ["expiring", "wronghost", "selfsigned", "unknown-issuer"]
        .iter()
        .map(|id| codes(check(&r, id))[0].clone())
        .collect();
    first_codes.dedup();
    assert_eq!(first_codes.len(), 4, "{first_codes:?}");
}

#[test]
fn tls_to_a_closed_port_says_refused() {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    drop(l);
    let r = run(&format!(
        "version: 1\nchecks:\n  - {{id: t, kind: tls, address: \"{addr}\"}}\n"
    ));
    assert_eq!(check(&r, "t")["status"], "fail");
    assert!(
        check(&r, "t")["message"]
            .as_str()
            .unwrap()
            .contains("connection refused")
    );
}

#[test]
fn latency_of_1000_requests_at_concurrency_50_reports_percentiles() {
    let Some(http) = common::service("READYCTL_TEST_NGINX_HTTP_PORT") else {
        return;
    };
    let cat = format!(
        r#"version: 1
checks:
  - id: lat
    kind: latency
    url: http://127.0.0.1:{http}/plain
    requests: 1000
    concurrency: 50
    warmup: 50
    thresholds: {{p50: 200ms, p95: 1s, p99: 2s}}
    max_error_rate: 0%
    timeout: 60s
  - id: lat-strict
    kind: latency
    url: http://127.0.0.1:{http}/plain
    requests: 50
    concurrency: 5
    thresholds: {{p50: 1us}}
  - id: lat-errors
    kind: latency
    url: http://127.0.0.1:{http}/missing
    requests: 20
    concurrency: 5
    max_error_rate: 10%
"#
    );
    let r = run(&cat);
    let c = check(&r, "lat");
    assert_eq!(c["status"], "pass", "{c}");
    let m = &c["metrics"];
    for k in ["p50_ms", "p95_ms", "p99_ms", "max_ms", "rps", "error_rate"] {
        assert!(m[k].is_number(), "{k} missing: {m}");
    }
    let (p50, p95, p99, max) = (
        m["p50_ms"].as_f64().unwrap(),
        m["p95_ms"].as_f64().unwrap(),
        m["p99_ms"].as_f64().unwrap(),
        m["max_ms"].as_f64().unwrap(),
    );
    assert!(p50 > 0.0 && p50 <= p95 && p95 <= p99 && p99 <= max, "{m}");
    assert!(
        c["message"]
            .as_str()
            .unwrap()
            .contains("1000 requests at concurrency 50")
    );
    let s = check(&r, "lat-strict");
    assert_eq!(s["status"], "fail");
    assert!(
        s["message"].as_str().unwrap().contains("p50 is"),
        "{}",
        s["message"]
    );
    let e = check(&r, "lat-errors");
    assert_eq!(e["status"], "fail");
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("20 of 20 requests failed"),
        "{}",
        e["message"]
    );
}
