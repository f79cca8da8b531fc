//! The Vault HTTP API as readyctl speaks it: one reqwest client per check
//! with the check's deadline, the one trust store plus the target's
//! `ca_file`, bounded answers, and every failure as a plain reason
//! (refused, timed out, TLS, sealed) that never names the URL's query or a
//! header.

use std::time::{Duration, Instant};

use serde_json::Value;

use super::Connection;

/// The HTTP side: one client, one deadline, plain error reasons.
pub(super) struct Api {
    client: reqwest::Client,
    base: url::Url,
    pub(crate) endpoint: String,
    budget: Duration,
    deadline: Instant,
}

impl Api {
    pub(crate) fn new(conn: &Connection, budget: Duration) -> Result<Api, String> {
        let mut builder = reqwest::Client::builder()
            // Shorter than the budget, so a connect that hangs is reported as such
            // and a connection that answers nothing is told apart.
            .connect_timeout(budget.mul_f32(0.8))
            .redirect(reqwest::redirect::Policy::none());
        let mut extra = Vec::new();
        if let Some(ca) = &conn.ca_file {
            use rustls_pki_types::pem::PemObject;
            let pem = crate::support::fs::read_pem(ca)
                .map_err(|e| format!("cannot read ca_file {}: {e}", ca.display()))?;
            extra = rustls_pki_types::CertificateDer::pem_slice_iter(&pem)
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| {
                    format!(
                        "ca_file {} holds no usable PEM certificate: {e}",
                        ca.display()
                    )
                })?;
        }
        // One trust store per process, not one per check (crate::tls).
        builder = if conn.insecure {
            builder.tls_danger_accept_invalid_certs(true)
        } else {
            builder.tls_backend_preconfigured(crate::tls::http_client_config(extra)?)
        };
        let client = builder
            .build()
            .map_err(|e| format!("cannot build HTTP client: {e}"))?;
        Ok(Api {
            client,
            base: conn.base.clone(),
            endpoint: conn.endpoint.clone(),
            budget,
            deadline: Instant::now() + budget,
        })
    }

    pub(crate) async fn get_json(
        &self,
        path: &str,
        token: Option<&str>,
    ) -> Result<(u16, Value), String> {
        self.request(path, &[], token).await
    }

    pub(crate) async fn get_json_query(
        &self,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<(u16, Value), String> {
        self.request(path, query, None).await
    }

    async fn request(
        &self,
        path: &str,
        query: &[(&str, &str)],
        token: Option<&str>,
    ) -> Result<(u16, Value), String> {
        let mut url = self.base.clone();
        let prefix = url.path().trim_end_matches('/').to_string();
        url.set_path(&format!("{prefix}{path}"));
        let mut req = self.client.get(url).query(query);
        if let Some(t) = token {
            req = req.header("X-Vault-Token", t);
        }
        let remaining = self.deadline.saturating_duration_since(Instant::now());
        let budget = humantime::format_duration(round_ms(self.budget));
        let attempt = tokio::time::timeout(remaining, async {
            let resp = req.send().await?;
            let status = resp.status().as_u16();
            // Bounded while reading: an endless body costs at most the limit.
            let body =
                crate::support::limit::body(resp, crate::support::limit::MAX_BODY_BYTES).await?;
            Ok::<_, reqwest::Error>((status, body))
        })
        .await;
        let (status, bytes) = match attempt {
            Err(_) => {
                return Err(format!(
                    "{}: timed out after {budget}: connected, but no HTTP answer to GET {path}",
                    self.endpoint
                ));
            }
            Ok(Err(e)) => return Err(describe_http_error(&self.endpoint, path, &e, &budget)),
            Ok(Ok(r)) => r,
        };
        if bytes.truncated {
            return Err(format!(
                "{}: the answer to GET {path} is larger than {}; not read further",
                self.endpoint,
                crate::support::fs::human_bytes(crate::support::limit::MAX_BODY_BYTES as u64)
            ));
        }
        let value = serde_json::from_slice(&bytes.bytes).unwrap_or(Value::Null);
        if status == 503 && path != "/v1/sys/seal-status" && is_sealed_answer(&value) {
            return Err(format!(
                "{}: sealed (HTTP 503 to GET {path})",
                self.endpoint
            ));
        }
        Ok((status, value))
    }
}

fn round_ms(d: Duration) -> Duration {
    Duration::from_millis(u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

fn is_sealed_answer(v: &Value) -> bool {
    v.get("errors").and_then(Value::as_array).is_some_and(|e| {
        e.iter()
            .any(|m| m.as_str().is_some_and(|s| s.contains("sealed")))
    })
}

/// The `errors` of an API answer, as `: a; b` (empty when there are none).
pub(super) fn api_errors(v: &Value) -> String {
    match v.get("errors").and_then(Value::as_array) {
        Some(e) if !e.is_empty() => {
            let msgs: Vec<&str> = e.iter().filter_map(Value::as_str).collect();
            format!(": {}", msgs.join("; "))
        }
        _ => String::new(),
    }
}

/// A plain reason for a failed HTTP request, without the URL's query or any header.
fn describe_http_error(
    endpoint: &str,
    path: &str,
    e: &reqwest::Error,
    budget: &impl std::fmt::Display,
) -> String {
    let io = io_kind(e);
    if e.is_connect() {
        if e.is_timeout() || io == Some(std::io::ErrorKind::TimedOut) {
            return format!("{endpoint}: connect timed out after {budget}");
        }
        if io == Some(std::io::ErrorKind::ConnectionRefused) {
            return format!("{endpoint}: connection refused (nothing listens there)");
        }
        if let Some(tls) = tls_reason(e) {
            return format!("{endpoint}: TLS handshake failed: {tls}");
        }
        let chain = error_chain(e);
        if chain.contains("dns error") || chain.contains("failed to lookup") {
            return format!("{endpoint}: host name does not resolve");
        }
        return format!("{endpoint}: cannot connect: {chain}");
    }
    if e.is_timeout() {
        return format!("{endpoint}: timed out after {budget} waiting for GET {path}");
    }
    if let Some(reason) = crate::kinds::http_client::protocol_reason(e) {
        return format!("{endpoint}: GET {path} failed: {reason}");
    }
    format!("{endpoint}: GET {path} failed: {}", error_chain(e))
}

fn io_kind(e: &(dyn std::error::Error + 'static)) -> Option<std::io::ErrorKind> {
    crate::support::net::io_error_in(e).map(std::io::Error::kind)
}

fn tls_reason(e: &(dyn std::error::Error + 'static)) -> Option<String> {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        if let Some(r) = err.downcast_ref::<rustls::Error>() {
            return Some(match r {
                rustls::Error::InvalidCertificate(c) => {
                    format!("certificate not accepted ({c:?}); give the CA with `ca_file:`")
                }
                other => other.to_string(),
            });
        }
        cur = err.source();
    }
    None
}

fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = Vec::new();
    let mut cur = e.source();
    while let Some(err) = cur {
        parts.push(err.to_string());
        cur = err.source();
    }
    if parts.is_empty() {
        // reqwest's own Display names the URL; ours never does.
        "request failed".to_string()
    } else {
        parts.join(": ")
    }
}
