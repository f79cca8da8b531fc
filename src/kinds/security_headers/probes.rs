//! The two probes beyond the Observatory's tests: trusted hosts (a
//! foreign `Host` must be refused, a foreign `Origin` not reflected) and
//! rate limiting (a small bounded burst must meet a 429). Each returns
//! findings; neither grades.

use indexmap::IndexMap;

use super::{RateLimit, TrustedHosts};
use crate::kinds::RunContext;
use crate::kinds::http_client::{self, Endpoint};
use crate::report::Finding;

/// Response headers as (lower-case name, value) pairs, for the probes.
type Headers = Vec<(String, String)>;

fn header_pairs(h: &reqwest::header::HeaderMap) -> Headers {
    h.iter()
        .map(|(k, v)| {
            (
                k.as_str().to_ascii_lowercase(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect()
}

fn one<'a>(h: &'a Headers, name: &str) -> Option<&'a str> {
    h.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

pub(super) async fn trusted_hosts(
    client: &reqwest::Client,
    ep: &Endpoint,
    th: &TrustedHosts,
    timeout: std::time::Duration,
) -> Vec<Finding> {
    let hp = ep.host_port();
    let mut f = Vec::new();
    // Foreign Host header: a 4xx (nginx's 444 closes the connection) is a rejection.
    match ep
        .apply(client.get(&ep.url))
        .header("Host", &th.foreign_host)
        .send()
        .await
    {
        Ok(r) if r.status().is_client_error() || r.status().as_u16() == 421 => f.push(
            Finding::new(format!(
                "foreign Host {} rejected with {}",
                th.foreign_host,
                r.status().as_u16()
            ))
            .code("security_headers/trusted-host"),
        ),
        Ok(r) => f.push(
            Finding::new(format!(
                "foreign Host {} accepted: answered {} instead of a 4xx",
                th.foreign_host,
                r.status().as_u16()
            ))
            .code("security_headers/foreign-host")
            .expected_actual("4xx (e.g. 400 Invalid host header)", r.status().as_u16().to_string())
            .hint("restrict allowed hosts (TrustedHostMiddleware, nginx `server_name` with a default server returning 444)"),
        ),
        Err(e) => {
            let reason = http_client::describe_error(&hp, &e, timeout);
            if reason.contains("refused") || reason.contains("timed out") {
                f.push(Finding::new(reason).code("security_headers/transport"));
            } else {
                f.push(
                    Finding::new(format!(
                        "foreign Host {} rejected: connection closed without an answer",
                        th.foreign_host
                    ))
                    .code("security_headers/trusted-host"),
                );
            }
        }
    }
    // Foreign Origin: no reflection, no `*` with credentials.
    match ep
        .apply(client.get(&ep.url))
        .header("Origin", &th.foreign_origin)
        .send()
        .await
    {
        Ok(r) => {
            let h = header_pairs(r.headers());
            let acao = one(&h, "access-control-allow-origin").map(str::trim);
            let creds = one(&h, "access-control-allow-credentials")
                .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"));
            match acao {
                Some(a) if a.eq_ignore_ascii_case(&th.foreign_origin) || (a == "*" && creds) => f.push(
                    Finding::new(format!(
                        "permissive CORS: foreign Origin {} answered with Access-Control-Allow-Origin: {a}{}",
                        th.foreign_origin,
                        if creds { " and credentials allowed" } else { "" }
                    ))
                    .code("security_headers/permissive-cors")
                    .expected_actual("no Access-Control-Allow-Origin for a foreign origin", format!("Access-Control-Allow-Origin: {a}"))
                    .hint("list the allowed origins explicitly (CORS_ORIGINS), never `*` or a reflected Origin"),
                ),
                Some(a) => f.push(
                    Finding::new(format!("foreign Origin not allowed (Access-Control-Allow-Origin: {a})"))
                        .code("security_headers/cors"),
                ),
                None => f.push(
                    Finding::new("foreign Origin gets no Access-Control-Allow-Origin")
                        .code("security_headers/cors"),
                ),
            }
        }
        Err(e) => f.push(
            Finding::new(http_client::describe_error(&hp, &e, timeout))
                .code("security_headers/transport"),
        ),
    }
    f
}

pub(super) async fn rate_limit(
    cx: &RunContext,
    client: &reqwest::Client,
    ep: &Endpoint,
    rl: &RateLimit,
    timeout: std::time::Duration,
) -> Result<String, Finding> {
    let url = match &rl.url {
        Some(u) if u.contains("://") => cx.expand(u),
        Some(p) => match url::Url::parse(&ep.url).and_then(|b| b.join(p)) {
            Ok(u) => u.to_string(),
            Err(_) => http_client::join_url(&ep.url, p),
        },
        None => ep.url.clone(),
    };
    let method = reqwest::Method::from_bytes(rl.method.to_ascii_uppercase().as_bytes())
        .unwrap_or(reqwest::Method::GET);
    let hp = ep.host_port();
    let mut counts: IndexMap<u16, usize> = IndexMap::new();
    for i in 1..=rl.requests {
        match ep.apply(client.request(method.clone(), &url)).send().await {
            Ok(r) => {
                let s = r.status().as_u16();
                if s == 429 {
                    return Ok(format!(
                        "rate limited: 429 after {i} of at most {} requests",
                        rl.requests
                    ));
                }
                *counts.entry(s).or_default() += 1;
            }
            Err(e) => {
                return Err(Finding::new(format!(
                    "rate-limit burst interrupted after {} requests: {}",
                    i - 1,
                    http_client::describe_error(&hp, &e, timeout)
                ))
                .code("security_headers/transport"));
            }
        }
    }
    let seen: Vec<String> = counts.iter().map(|(s, n)| format!("{n}× {s}")).collect();
    Err(Finding::new(format!(
        "no rate limit: {} requests in a burst, no 429 (answers: {})",
        rl.requests,
        seen.join(", ")
    ))
    .code("security_headers/no-rate-limit")
    .expected_actual(
        format!("a 429 within {} requests", rl.requests),
        seen.join(", "),
    )
    .hint("add rate limiting (slowapi, nginx limit_req) to the API"))
}
