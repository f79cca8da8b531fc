//! `security_headers`: grades a URL's security headers exactly as the MDN
//! HTTP Observatory grades a site (its ten tests, its score table, its
//! two-round scoring and letter chart; algorithm 5 by default, as the live
//! site), and optionally probes trusted hosts (foreign `Host`, foreign
//! `Origin`) and rate limiting (a small bounded burst must meet a 429).
//!
//! The folder splits as the Observatory does: [`table`] is the score table
//! and grade chart, [`analyze`] the per-test analyzers over one
//! [`analyze::Retrieval`] (pure), [`csp`] and [`cookies`] the two parsers
//! that need care; this file is the kind — the spec, and the fetching that
//! builds a retrieval the way the Observatory's retriever does (an https://
//! and an http:// session, each following redirects by hand and recording
//! them, a certificate that does not verify retried without verification and
//! graded `hsts-invalid-cert`/`redirection-invalid-cert`, a CORS preflight).
//! tests/it/security_headers_diff.rs compares the result with the Observatory's
//! own code on the same served headers.

pub mod analyze;
pub mod cookies;
pub mod csp;
pub mod table;

use indexmap::IndexMap;
use serde::Deserialize;

use super::http_client::{self, ClientOptions, Endpoint};
use super::{CheckKind, Code, Outcome, RunContext, SpecProblem};
use crate::report::{Finding, Status};
use analyze::{Departures, Grading, NodeHeaders, Response, Retrieval};
pub use table::{GRADES, TESTS};

/// Origin sent to see whether CORS reflects arbitrary origins.
pub const DEFAULT_FOREIGN_ORIGIN: &str = "https://readyctl-probe.invalid";
/// Host sent to see whether a foreign Host header is rejected.
pub const DEFAULT_FOREIGN_HOST: &str = "readyctl-probe.invalid";
/// Largest rate-limit burst a check may send.
pub const MAX_BURST: usize = 500;
/// Redirects a session follows (`MAX_REDIRECTS` in the retriever).
const MAX_REDIRECTS: usize = 10;
/// The retriever's `Accept` header.
const ACCEPT: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

/// A security-headers check.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SecurityHeadersCheck {
    /// Full URL or a path joined to the target's url.
    pub url: Option<String>,
    /// A catalogue target.
    pub target: Option<String>,
    /// Request headers.
    #[serde(default)]
    #[schemars(with = "IndexMap<String, super::Scalar>")]
    pub headers: IndexMap<String, String>,
    /// Grade the headers (default true; `false` to only probe hosts or rate limits).
    #[serde(default = "yes")]
    pub grade: bool,
    /// Observatory scoring algorithm: 5 (default, the live site) or 4.
    #[serde(default = "default_algorithm")]
    pub algorithm: u8,
    /// The plain-http URL whose redirects the `redirection` test grades
    /// (default: the https URL with `http://` and the default port).
    pub http_url: Option<String>,
    /// Lowest acceptable letter grade (e.g. `B`).
    pub min_grade: Option<String>,
    /// Tests that must pass (the Observatory's `pass`), by Observatory name.
    #[serde(default)]
    pub require: Vec<String>,
    /// Origin sent with the CORS preflight and the trusted-host probe.
    #[serde(default = "default_origin")]
    pub foreign_origin: String,
    /// Probe trusted hosts.
    pub trusted_hosts: Option<TrustedHosts>,
    /// Probe rate limiting.
    pub rate_limit: Option<RateLimit>,
    /// Extra CA certificates (PEM).
    pub ca_file: Option<std::path::PathBuf>,
    /// Turn TLS verification off (reported as a warning).
    #[serde(default)]
    pub insecure: bool,
}

fn yes() -> bool {
    true
}
fn default_origin() -> String {
    DEFAULT_FOREIGN_ORIGIN.into()
}
fn default_algorithm() -> u8 {
    table::DEFAULT_ALGORITHM
}

/// Trusted-host probe settings.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TrustedHosts {
    /// Host header to send; the answer must be a 4xx (or the connection closed).
    #[serde(default = "default_host")]
    pub foreign_host: String,
    /// Origin to send; the answer must not allow it (no reflected
    /// `Access-Control-Allow-Origin`, no `*` with credentials).
    #[serde(default = "default_origin")]
    pub foreign_origin: String,
}

fn default_host() -> String {
    DEFAULT_FOREIGN_HOST.into()
}

/// Rate-limit probe settings.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RateLimit {
    /// Requests in the burst (default 30, at most 500); a 429 must come before it ends.
    #[serde(default = "default_burst")]
    pub requests: usize,
    /// Path or URL to hammer (default: the check's URL).
    pub url: Option<String>,
    /// Method (default GET).
    #[serde(default = "default_method")]
    pub method: String,
}

fn default_burst() -> usize {
    30
}
fn default_method() -> String {
    "GET".into()
}

/// One session as the retriever's `Session` ends it.
struct Session {
    /// Why the certificate did not verify (the session was retried without).
    cert_error: Option<String>,
    response: Response,
    route: Vec<(url::Url, u16)>,
    jar: cookies::Jar,
    last_url: url::Url,
}

fn is_cert_error(e: &reqwest::Error) -> bool {
    http_client::chain(e)
        .to_ascii_lowercase()
        .contains("invalid peer certificate")
}

fn node_headers(h: &reqwest::header::HeaderMap) -> NodeHeaders {
    // Node decodes header bytes as latin1.
    NodeHeaders::from_lines(h.iter().map(|(k, v)| {
        (
            k.as_str(),
            v.as_bytes().iter().map(|b| *b as char).collect(),
        )
    }))
}

/// Follows `start`'s redirects by hand (301, 302, 303, 307, 308; at most
/// 10), recording every hop and storing every hop's cookies.
async fn chain(
    client: &reqwest::Client,
    ep: &Endpoint,
    start: &url::Url,
) -> Result<Session, reqwest::Error> {
    let mut url = start.clone();
    let mut route = Vec::new();
    let mut jar = cookies::Jar::default();
    let mut redirects = 0;
    loop {
        let resp = ep
            .apply(client.get(url.as_str()))
            .header("Accept", ACCEPT)
            .send()
            .await?;
        let status = resp.status().as_u16();
        let headers = node_headers(resp.headers());
        route.push((url.clone(), status));
        jar.store(&url, headers.set_cookies());
        let next = if redirects < MAX_REDIRECTS && [301, 302, 303, 307, 308].contains(&status) {
            headers.get("location").and_then(|l| url.join(l).ok())
        } else {
            None
        };
        match next {
            Some(n) => {
                redirects += 1;
                url = n;
            }
            None => {
                return Ok(Session {
                    cert_error: None,
                    response: Response {
                        status,
                        headers,
                        verified: true,
                    },
                    route,
                    jar,
                    last_url: url,
                });
            }
        }
    }
}

/// The clients one grading uses: verifying (with the check's CA file) and,
/// for the retry after a certificate error, not verifying.
struct Clients {
    verify: reqwest::Client,
    any_cert: reqwest::Client,
}

/// A session: verified first; on a certificate error, again without
/// verification (`verified: false`); `Err` when nothing answered.
async fn session(c: &Clients, ep: &Endpoint, start: &url::Url) -> Result<Session, reqwest::Error> {
    match chain(&c.verify, ep, start).await {
        Err(e) if is_cert_error(&e) => {
            let mut s = chain(&c.any_cert, ep, start).await?;
            s.response.verified = false;
            s.cert_error = Some(http_client::describe_error(
                &http_client::host_port(start.as_str()),
                &e,
                std::time::Duration::from_secs(10),
            ));
            Ok(s)
        }
        other => other,
    }
}

/// The CORS preflight (`OPTIONS` with `Origin` and
/// `Access-Control-Request-Method: GET`, redirects followed); only a 2xx
/// answer counts, as axios rejects anything else.
async fn preflight(
    client: &reqwest::Client,
    ep: &Endpoint,
    url: &url::Url,
    origin: &str,
) -> Option<NodeHeaders> {
    let resp = ep
        .apply(client.request(reqwest::Method::OPTIONS, url.as_str()))
        .header("Accept", ACCEPT)
        .header("Origin", origin)
        .header("Access-Control-Request-Method", "GET")
        .send()
        .await
        .ok()?;
    resp.status()
        .is_success()
        .then(|| node_headers(resp.headers()))
}

/// The http:// URL the redirection test starts from: `http_url`, or the
/// https URL with the scheme swapped and the default port, as the
/// Observatory derives it from the host name.
fn http_start(url: &url::Url, http_url: Option<&str>) -> Option<url::Url> {
    if let Some(h) = http_url {
        return url::Url::parse(h).ok();
    }
    let mut u = url.clone();
    u.set_scheme("http").ok()?;
    u.set_port(None).ok()?;
    Some(u)
}

/// Builds the retrieval for `url` (and `http_url`) and grades it.
async fn retrieve(
    c: &Clients,
    ep: &Endpoint,
    http_url: Option<&str>,
    origin: &str,
) -> Result<(Retrieval, Vec<String>), String> {
    let url = url::Url::parse(&ep.url).map_err(|e| format!("`{}` is not a URL: {e}", ep.url))?;
    let is_https = url.scheme() == "https";
    let (https, http) = if is_https {
        let start = http_start(&url, http_url);
        let (a, b) = tokio::join!(session(c, ep, &url), async {
            match &start {
                Some(s) => Some(session(c, ep, s).await),
                None => None,
            }
        });
        (Some(a), b)
    } else {
        (None, Some(session(c, ep, &url).await))
    };
    let https_s = https.as_ref().and_then(|r| r.as_ref().ok());
    let http_s = http.as_ref().and_then(|r| r.as_ref().ok());
    let (auto, auto_https) = match (https_s, http_s) {
        (Some(s), _) => (s, true),
        (None, Some(s)) => (s, false),
        (None, None) => {
            let e = https
                .and_then(|r| r.err())
                .or_else(|| http.and_then(|r| r.err()));
            return Err(match e {
                Some(e) => http_client::describe_error(
                    &ep.host_port(),
                    &e,
                    std::time::Duration::from_secs(10),
                ),
                None => "the site seems to be down".into(),
            });
        }
    };
    let status = auto.response.status;
    if status < 200 || (status >= 400 && status != 401 && status != 403) {
        return Err(format!(
            "answered {status}: the Observatory grades only 2xx, 3xx, 401 and 403 answers"
        ));
    }
    let pre_client = if auto.response.verified {
        &c.verify
    } else {
        &c.any_cert
    };
    let cors = preflight(pre_client, ep, &auto.last_url, origin).await;
    let cert_errors: Vec<String> = [https_s, http_s]
        .into_iter()
        .flatten()
        .filter_map(|s| s.cert_error.clone())
        .collect();
    let r = Retrieval {
        https: https_s.map(|s| s.response.clone()),
        http: http_s.map(|s| s.response.clone()),
        http_route: http_s.map(|s| s.route.clone()).unwrap_or_default(),
        auto_https,
        session_https: auto_https,
        jar: auto.jar.clone(),
        cors,
        cors_origin: origin.to_string(),
    };
    Ok((r, cert_errors))
}

/// The report's structured view of a grading.
fn report_grading(g: &Grading) -> crate::report::Grading {
    crate::report::Grading {
        algorithm: g.algorithm,
        score: g.score,
        grade: g.grade.to_string(),
        tests: g
            .tests
            .iter()
            .map(|t| crate::report::GradedTest {
                test: t.test.to_string(),
                result: t.result.to_string(),
                score_modifier: t.modifier,
                pass: t.pass,
            })
            .collect(),
    }
}

impl CheckKind for SecurityHeadersCheck {
    const NAME: &'static str = "security_headers";
    const SUMMARY: &'static str = "security headers graded exactly as MDN HTTP Observatory grades them; trusted hosts; rate limiting";
    const CODES: &'static [Code] = &[
        Code::fail(
            "security_headers/grade",
            "the Observatory grade is below `min_grade` (score, grade and the failing tests in the message)",
        ),
        Code::fail(
            "security_headers/required",
            "a test listed in `require` does not pass",
        ),
        Code::fail(
            "security_headers/transport",
            "the request did not complete (`refused`, `timed out`, `TLS failure`), or the answer is one the Observatory does not grade (not 2xx, 3xx, 401 or 403)",
        ),
        Code::fail(
            "security_headers/foreign-host",
            "a request with a foreign `Host` was answered instead of refused with a 4xx",
        ),
        Code::fail(
            "security_headers/permissive-cors",
            "a foreign `Origin` got `Access-Control-Allow-Origin` (`*` or reflected), possibly with credentials",
        ),
        Code::fail(
            "security_headers/no-rate-limit",
            "no 429 within the burst of `rate_limit`",
        ),
        Code::info(
            "security_headers/trusted-host",
            "a foreign `Host` was refused, as it should be",
        ),
        Code::info(
            "security_headers/cors",
            "a foreign `Origin` got no (or a non-matching) `Access-Control-Allow-Origin`, as it should",
        ),
        Code::info(
            "security_headers/content-security-policy",
            "the Observatory test `content-security-policy`: its result, score modifier, and pass or FAIL (whether it fails the check is `min_grade`'s and `require`'s business)",
        ),
        Code::info(
            "security_headers/cookies",
            "the Observatory test `cookies`: its result, score modifier, and pass or FAIL (whether it fails the check is `min_grade`'s and `require`'s business)",
        ),
        Code::info(
            "security_headers/cross-origin-resource-sharing",
            "the Observatory test `cross-origin-resource-sharing`: its result, score modifier, and pass or FAIL (whether it fails the check is `min_grade`'s and `require`'s business)",
        ),
        Code::info(
            "security_headers/redirection",
            "the Observatory test `redirection`: its result, score modifier, and pass or FAIL (whether it fails the check is `min_grade`'s and `require`'s business)",
        ),
        Code::info(
            "security_headers/referrer-policy",
            "the Observatory test `referrer-policy`: its result, score modifier, and pass or FAIL (whether it fails the check is `min_grade`'s and `require`'s business)",
        ),
        Code::info(
            "security_headers/strict-transport-security",
            "the Observatory test `strict-transport-security`: its result, score modifier, and pass or FAIL (whether it fails the check is `min_grade`'s and `require`'s business)",
        ),
        Code::info(
            "security_headers/subresource-integrity",
            "the Observatory test `subresource-integrity`: its result, score modifier, and pass or FAIL (whether it fails the check is `min_grade`'s and `require`'s business)",
        ),
        Code::info(
            "security_headers/x-content-type-options",
            "the Observatory test `x-content-type-options`: its result, score modifier, and pass or FAIL (whether it fails the check is `min_grade`'s and `require`'s business)",
        ),
        Code::info(
            "security_headers/x-frame-options",
            "the Observatory test `x-frame-options`: its result, score modifier, and pass or FAIL (whether it fails the check is `min_grade`'s and `require`'s business)",
        ),
        Code::info(
            "security_headers/cross-origin-resource-policy",
            "the Observatory test `cross-origin-resource-policy`: its result, score modifier, and pass or FAIL (whether it fails the check is `min_grade`'s and `require`'s business)",
        ),
    ];
    const DOCS: &'static str = r#"# security_headers

## What it checks
Grades a URL the way the MDN HTTP Observatory grades a site — its ten
tests, its score table, its scoring and letter chart — by the algorithm the
live site runs (5) unless `algorithm: 4` is given. The reference is the
Observatory's own code, `@mdn/mdn-http-observatory` 1.4.8
(`src/analyzer/tests/*.js`, `src/grader/charts.js`, `src/retriever/`):
tests/it/security_headers_diff.rs serves a corpus of header sets from nginx,
lets both the package and readyctl fetch and grade them, and compares every
test's result, modifier and pass, the score and the grade.

What is fetched, as the Observatory's retriever fetches it:
- the `url` (https://), following redirects by hand (301, 302, 303, 307,
  308; at most 10), keeping every hop's cookies;
- the plain-http URL (`http_url`, default: the same URL with `http://` and
  the default port), with its redirect chain, for the `redirection` test;
  nothing answering there is `redirection-not-needed-no-http`;
- a CORS preflight (`OPTIONS` with `Origin: foreign_origin` and
  `Access-Control-Request-Method: GET`) to the last URL of the chain.
A certificate that does not verify (with `ca_file` added to the system
roots) is retried without verification and graded as the Observatory does:
`hsts-invalid-cert` (and `redirection-invalid-cert` when the http:// chain
reaches it), so the grade is the Observatory's; the check then also fails
with the TLS reason, as every TLS kind does, unless `insecure: true`. With an `http://` `url`, only
that is fetched: HSTS is `hsts-not-implemented-no-https`.
Headers are read as Node reads them for the Observatory: a header sent on
several lines is one value joined with ", " (so a doubled HSTS is invalid,
and two CSP lines are one policy with a comma inside a source), Set-Cookie
stays a list, Content-Type/Location keep their first line.

Scoring: every site starts at 100; if the score with only the penalties is
at least 90, the bonuses are added too, otherwise only the penalties; the
minimum is 0; the letter comes from the score rounded down to a multiple of
5 (100+ A+, 90 A, 85 A-, 80 B+, 70 B, 65 B-, 60 C+, 50 C, 45 C-, 40 D+,
30 D, 25 D-, below F). Algorithm 5 differs from 4 only in
`x-frame-options-sameorigin-or-deny` scoring +5. Algorithm 6 (COOP/COEP
tests) is not offered: version 1.4.8 has no analyzer for them to verify
against.

Every result and its modifier:

| test | result | algorithm 4 | algorithm 5 |
|---|---|---|---|
| `content-security-policy` | `csp-implemented-with-no-unsafe-default-src-none` | +10 | +10 |
| `content-security-policy` | `csp-implemented-with-no-unsafe` | +5 | +5 |
| `content-security-policy` | `csp-implemented-with-unsafe-inline-in-style-src-only` | +0 | +0 |
| `content-security-policy` | `csp-implemented-with-insecure-scheme-in-passive-content-only` | -10 | -10 |
| `content-security-policy` | `csp-implemented-with-unsafe-eval` | -10 | -10 |
| `content-security-policy` | `csp-implemented-with-unsafe-inline` | -20 | -20 |
| `content-security-policy` | `csp-implemented-with-insecure-scheme` | -20 | -20 |
| `content-security-policy` | `csp-implemented-but-duplicate-directives` | +0 | +0 |
| `content-security-policy` | `csp-header-invalid` | -25 | -25 |
| `content-security-policy` | `csp-not-implemented` | -25 | -25 |
| `content-security-policy` | `csp-not-implemented-but-reporting-enabled` | -25 | -25 |
| `cookies` | `cookies-secure-with-httponly-sessions-and-samesite` | +5 | +5 |
| `cookies` | `cookies-secure-with-httponly-sessions` | +0 | +0 |
| `cookies` | `cookies-not-found` | +0 | +0 |
| `cookies` | `cookies-without-secure-flag-but-protected-by-hsts` | -5 | -5 |
| `cookies` | `cookies-session-without-secure-flag-but-protected-by-hsts` | -10 | -10 |
| `cookies` | `cookies-without-secure-flag` | -20 | -20 |
| `cookies` | `cookies-samesite-flag-invalid` | -20 | -20 |
| `cookies` | `cookies-anticsrf-without-samesite-flag` | -20 | -20 |
| `cookies` | `cookies-session-without-httponly-flag` | -30 | -30 |
| `cookies` | `cookies-session-without-secure-flag` | -40 | -40 |
| `cross-origin-resource-sharing` | `cross-origin-resource-sharing-not-implemented` | +0 | +0 |
| `cross-origin-resource-sharing` | `cross-origin-resource-sharing-implemented-with-public-access` | +0 | +0 |
| `cross-origin-resource-sharing` | `cross-origin-resource-sharing-implemented-with-restricted-access` | +0 | +0 |
| `cross-origin-resource-sharing` | `cross-origin-resource-sharing-implemented-with-universal-access` | -50 | -50 |
| `redirection` | `redirection-all-redirects-preloaded` | +0 | +0 |
| `redirection` | `redirection-to-https` | +0 | +0 |
| `redirection` | `redirection-not-needed-no-http` | +0 | +0 |
| `redirection` | `redirection-off-host-from-http` | -5 | -5 |
| `redirection` | `redirection-not-to-https-on-initial-redirection` | -10 | -10 |
| `redirection` | `redirection-not-to-https` | -20 | -20 |
| `redirection` | `redirection-missing` | -20 | -20 |
| `redirection` | `redirection-invalid-cert` | -20 | -20 |
| `referrer-policy` | `referrer-policy-private` | +5 | +5 |
| `referrer-policy` | `referrer-policy-not-implemented` | +0 | +0 |
| `referrer-policy` | `referrer-policy-unsafe` | -5 | -5 |
| `referrer-policy` | `referrer-policy-header-invalid` | -5 | -5 |
| `strict-transport-security` | `hsts-preloaded` | +5 | +5 |
| `strict-transport-security` | `hsts-implemented-max-age-at-least-six-months` | +0 | +0 |
| `strict-transport-security` | `hsts-implemented-max-age-less-than-six-months` | -10 | -10 |
| `strict-transport-security` | `hsts-not-implemented` | -20 | -20 |
| `strict-transport-security` | `hsts-header-invalid` | -20 | -20 |
| `strict-transport-security` | `hsts-not-implemented-no-https` | -20 | -20 |
| `strict-transport-security` | `hsts-invalid-cert` | -20 | -20 |
| `subresource-integrity` | `sri-implemented-and-all-scripts-loaded-securely` | +5 | +5 |
| `subresource-integrity` | `sri-implemented-and-external-scripts-loaded-securely` | +5 | +5 |
| `subresource-integrity` | `sri-not-implemented-response-not-html` | +0 | +0 |
| `subresource-integrity` | `sri-not-implemented-but-no-scripts-loaded` | +0 | +0 |
| `subresource-integrity` | `sri-not-implemented-but-all-scripts-loaded-from-secure-origin` | +0 | +0 |
| `subresource-integrity` | `sri-not-implemented-but-external-scripts-loaded-securely` | -5 | -5 |
| `subresource-integrity` | `sri-implemented-but-external-scripts-not-loaded-securely` | -20 | -20 |
| `subresource-integrity` | `sri-not-implemented-and-external-scripts-not-loaded-securely` | -50 | -50 |
| `subresource-integrity` | `html-not-parseable` | -20 | -20 |
| `x-content-type-options` | `x-content-type-options-nosniff` | +0 | +0 |
| `x-content-type-options` | `x-content-type-options-header-invalid` | -5 | -5 |
| `x-content-type-options` | `x-content-type-options-not-implemented` | -5 | -5 |
| `x-frame-options` | `x-frame-options-implemented-via-csp` | +5 | +5 |
| `x-frame-options` | `x-frame-options-sameorigin-or-deny` | +0 | +5 |
| `x-frame-options` | `x-frame-options-allow-from-origin` | +0 | +0 |
| `x-frame-options` | `x-frame-options-not-implemented` | -20 | -20 |
| `x-frame-options` | `x-frame-options-header-invalid` | -20 | -20 |
| `cross-origin-resource-policy` | `corp-not-implemented` | +0 | +0 |
| `cross-origin-resource-policy` | `corp-implemented-with-same-origin` | +10 | +10 |
| `cross-origin-resource-policy` | `corp-implemented-with-same-site` | +10 | +10 |
| `cross-origin-resource-policy` | `corp-implemented-with-cross-origin` | +0 | +0 |
| `cross-origin-resource-policy` | `corp-header-invalid` | -5 | -5 |

Session cookies are those whose name contains `login` or `sess`, anti-CSRF
cookies those that contain `csrf`; `heroku-session-affinity` is ignored.

### Differences from the Observatory (deliberate)
1. **CORS reflection.** The Observatory 1.4.8 compares the
   `Access-Control-Allow-Origin` of its preflight with the request's Origin
   read from `request.headers`, which Node's request object does not have,
   so `cross-origin-resource-sharing-implemented-with-universal-access`
   (-50) never happens in a live scan. readyctl reports it when the
   preflight's `foreign_origin` comes back with credentials allowed: that
   is a real hole.
2. **`max-age` without digits.** The Observatory's `parseInt` turns
   `max-age=abc` or `max-age="31536000"` into NaN, which is not below six
   months, so it grades them `hsts-implemented-max-age-at-least-six-months`.
   Browsers ignore such a header; readyctl grades it `hsts-header-invalid`.
3. **HTML pages.** readyctl does not parse HTML: `<meta http-equiv>` CSP and
   `<meta name=referrer>` are not read, and the subresource-integrity test
   reports `sri-not-implemented-but-no-scripts-loaded` for every HTML page
   (the Observatory inspects its `<script>` tags). Grade an API or a page
   whose policy is in headers; non-HTML answers grade exactly.
No HSTS preload list is shipped: `hsts-preloaded` and
`redirection-all-redirects-preloaded` are never given (the Observatory gives
them to preloaded domains).

With `trusted_hosts`, two more requests are made: one with a foreign `Host`
header, which must be rejected (4xx or a closed connection), and one with a
foreign `Origin`, which must not be answered with a permissive CORS header
(the origin reflected, or `*` together with `Access-Control-Allow-Credentials: true`).

With `rate_limit`, a burst of `requests` requests (default 30, at most 500)
is sent one after another; a `429 Too Many Requests` must arrive before the
burst ends.

## Why it matters
The checklist requires HSTS, `nosniff`, `X-Frame-Options: DENY`, a CSP,
CORS and trusted hosts that are not `*`, and rate limiting on the API; a
gate that says "B" must mean the Observatory's B.

## Example
```yaml
- id: security.headers
  kind: security_headers
  title: Security headers grade B or better
  url: https://app.example.com/
  min_grade: B
  require: [strict-transport-security, x-content-type-options, x-frame-options]
- id: security.trusted-hosts
  kind: security_headers
  title: Foreign Host and Origin are refused
  url: https://api.example.com/health
  grade: false
  trusted_hosts: {foreign_host: evil.example, foreign_origin: "https://evil.example"}
- id: security.rate-limit
  kind: security_headers
  title: Login is rate limited
  url: https://api.example.com/api/v1/auth/login
  grade: false
  rate_limit: {requests: 30, method: POST}
```

## Fields
| field | type | meaning |
|---|---|---|
| `url` / `target` / `headers` | | what to fetch, as for `http` |
| `http_url` | URL | the plain-http URL for the `redirection` test (default: `url` with `http://`, default port) |
| `grade` | bool | grade the headers (default `true`) |
| `algorithm` | 4 or 5 | Observatory scoring algorithm (default 5, the live site) |
| `min_grade` | letter | fail below this grade (e.g. `B`) |
| `require` | list | tests that must pass (the Observatory's `pass`), by test name |
| `foreign_origin` | URL | `Origin` of the CORS preflight (default `https://readyctl-probe.invalid`) |
| `trusted_hosts` | map | `{foreign_host, foreign_origin}` probe |
| `rate_limit` | map | `{requests, url, method}` burst that must meet a 429 |
| `ca_file` / `insecure` | | TLS options as for `http` |

**Default verdict.** Without `min_grade` and `require` the check passes at
any grade and reports it (grade, score and failing tests in the message);
it fails only on what the catalogue asks for — a grade below `min_grade`, a
test in `require` that does not pass — and on a certificate that does not
verify (unless `insecure`).

## Findings
The JSON report's `grading` holds `algorithm`, `score`, `grade` and, per
test, `test`, `result`, `score_modifier` and `pass`. The message gives the
grade, the score and the failing tests; one finding per test
(`security_headers/<test>`: result, modifier, pass or FAIL). Failures:
`grade` (below `min_grade`), `required` (a required test does not pass),
`status` (an answer the Observatory does not grade: not 2xx, 3xx, 401 or
403), `foreign host accepted`, `permissive CORS`, `no rate limit` (no 429
within the burst), and the transport reasons (`refused`, `timed out`,
`TLS failure`).
"#;

    fn validate(&self) -> Vec<SpecProblem> {
        let mut p = Vec::new();
        if self.url.is_none() && self.target.is_none() {
            p.push(SpecProblem::new("url", "give `url` or `target`"));
        }
        if !table::ALGORITHMS.contains(&self.algorithm) {
            p.push(
                SpecProblem::new("algorithm", format!("algorithm {} is not supported", self.algorithm))
                    .hint("use 5 (the live Observatory) or 4; 6 (COOP/COEP) cannot be verified against the Observatory 1.4.8 sources"),
            );
        }
        if let Some(h) = &self.http_url
            && !(h.starts_with("http://") && url::Url::parse(h).is_ok())
        {
            p.push(SpecProblem::new(
                "http_url",
                format!("`{h}` is not an http:// URL"),
            ));
        }
        if let Some(g) = &self.min_grade
            && table::grade_rank(g).is_none()
        {
            p.push(
                SpecProblem::new("min_grade", format!("`{g}` is not a grade"))
                    .hint("grades are A+, A, A-, B+, B, B-, C+, C, C-, D+, D, D-, F"),
            );
        }
        for r in &self.require {
            if !TESTS.contains(&r.as_str()) {
                let hint = strsim_best(r)
                    .map(|s| format!("did you mean `{s}`?"))
                    .unwrap_or_else(|| format!("tests: {}", TESTS.join(", ")));
                p.push(SpecProblem::new("require", format!("unknown test `{r}`")).hint(hint));
            }
        }
        if !self.grade && (self.min_grade.is_some() || !self.require.is_empty()) {
            p.push(SpecProblem::new(
                "grade",
                "`min_grade`/`require` need `grade: true`",
            ));
        }
        if !self.grade && self.trusted_hosts.is_none() && self.rate_limit.is_none() {
            p.push(SpecProblem::new(
                "grade",
                "with `grade: false`, give `trusted_hosts` or `rate_limit`",
            ));
        }
        if let Some(r) = &self.rate_limit
            && (r.requests == 0 || r.requests > MAX_BURST)
        {
            p.push(SpecProblem::new(
                "rate_limit",
                format!("`requests` must be between 1 and {MAX_BURST}"),
            ));
        }
        p
    }

    fn targets(&self) -> Vec<&str> {
        self.target.as_deref().into_iter().collect()
    }

    fn schema() -> Option<schemars::Schema> {
        Some(super::spec_schema::<Self>())
    }

    async fn run(&self, cx: &RunContext) -> Outcome {
        let ep = match Endpoint::resolve(
            cx,
            self.url.as_deref(),
            self.target.as_deref(),
            &self.headers,
            self.ca_file.as_ref(),
            self.insecure,
        ) {
            Ok(e) => e,
            Err(e) => return Outcome::error(e),
        };
        let opts = ClientOptions::for_endpoint(cx, &ep);
        let client = match http_client::build(&opts) {
            Ok(c) => c,
            Err(e) => return Outcome::error(e),
        };
        let mut findings = Vec::new();
        let mut notes = Vec::new();
        let mut grading = None;
        let mut problems = Vec::new();
        if self.grade {
            let manual = |insecure: bool| {
                http_client::build(&ClientOptions {
                    follow_redirects: false,
                    insecure,
                    ..opts.clone()
                })
            };
            // Verification is tried even with `insecure: true`, to grade
            // hsts-invalid-cert as the Observatory does; `insecure` only keeps
            // a certificate failure from failing the check.
            let clients = match (manual(false), manual(true)) {
                (Ok(verify), Ok(any_cert)) => Clients { verify, any_cert },
                (Err(e), _) | (_, Err(e)) => return Outcome::error(e),
            };
            let (r, cert_errors) = match retrieve(
                &clients,
                &ep,
                self.http_url.as_deref(),
                &self.foreign_origin,
            )
            .await
            {
                Ok(r) => r,
                Err(e) => return Outcome::fail(e),
            };
            // A certificate that does not verify is graded (hsts-invalid-cert)
            // and, as in every TLS kind, fails the check unless `insecure`.
            if !ep.insecure {
                for e in cert_errors {
                    problems.push(
                        Finding::new(format!(
                            "{e} (graded as the Observatory does, without verification)"
                        ))
                        .code("security_headers/transport")
                        .hint("install a certificate clients trust, or give its CA in `ca_file`"),
                    );
                }
            }
            let g = analyze::grade(&r, self.algorithm, Departures::default());
            for tr in &g.tests {
                findings.push(
                    Finding::new(format!(
                        "{}: {} ({:+}) {} — {}",
                        tr.test,
                        tr.result,
                        tr.modifier,
                        if tr.pass { "pass" } else { "FAIL" },
                        tr.detail
                    ))
                    .code(format!("security_headers/{}", tr.test)),
                );
            }
            let failing: Vec<String> = g
                .tests
                .iter()
                .filter(|t| !t.pass)
                .map(|t| format!("{} {:+}", t.result, t.modifier))
                .collect();
            if !failing.is_empty() {
                notes.push(format!("failing: {}", failing.join(", ")));
            }
            notes.push(format!("score {}, grade {}", g.score, g.grade));
            if let Some(min) = &self.min_grade
                && let (Some(want), Some(got)) =
                    (table::grade_rank(min), table::grade_rank(g.grade))
                && got > want
            {
                problems.push(
                    Finding::new(format!(
                        "grade {} (score {}) is below the required {min}",
                        g.grade, g.score
                    ))
                    .code("security_headers/grade")
                    .expected_actual(format!("{min} or better"), g.grade),
                );
            }
            for r in &self.require {
                if let Some(tr) = g.get(r)
                    && !tr.pass
                {
                    problems.push(
                        Finding::new(format!(
                            "required test {}: {} ({:+})",
                            tr.test, tr.result, tr.modifier
                        ))
                        .code("security_headers/required")
                        .expected_actual("a passing result", tr.result),
                    );
                }
            }
            grading = Some(g);
        }
        findings.splice(0..0, problems);
        if let Some(th) = &self.trusted_hosts {
            findings.extend(trusted_hosts(&client, &ep, th, opts.timeout).await);
        }
        if let Some(rl) = &self.rate_limit {
            match rate_limit(cx, &client, &ep, rl, opts.timeout).await {
                Ok(note) => notes.push(note),
                Err(f) => findings.insert(0, f),
            }
        }
        let failing: Vec<&Finding> = findings
            .iter()
            .filter(|f| {
                // What fails is what the declarations say fails.
                f.code.as_deref().is_some_and(|c| {
                    Self::CODES
                        .iter()
                        .any(|d| d.code == c && d.level == crate::report::codes::Level::Fail)
                })
            })
            .collect();
        let summary = notes.join("; ");
        let mut out = if failing.is_empty() {
            let s = if summary.is_empty() {
                format!("{} passes", ep.shown())
            } else {
                format!("{}: {summary}", ep.shown())
            };
            if ep.insecure {
                Outcome::warn(format!("{s} (TLS verification is turned off)"))
            } else {
                Outcome::pass(s)
            }
        } else {
            let first = failing[0].message.clone();
            let n = failing.len();
            let msg = if n == 1 {
                first
            } else {
                format!("{n} problems; first: {first}")
            };
            Outcome::fail(if summary.is_empty() {
                msg
            } else {
                format!("{msg} ({summary})")
            })
        };
        out.findings = findings;
        if let Some(g) = &grading {
            out = out.metric("score", f64::from(g.score));
            out.grading = Some(report_grading(g));
        }
        if out.status() == Status::Pass && out.message.is_empty() {
            out.message = "ok".into();
        }
        out
    }
}

fn strsim_best(s: &str) -> Option<&'static str> {
    TESTS
        .iter()
        .map(|t| (strsim::jaro_winkler(s, t), *t))
        .filter(|(d, _)| *d > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, t)| t)
}

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

async fn trusted_hosts(
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

async fn rate_limit(
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

#[cfg(test)]
mod tests {
    use super::*;

    /// `readyctl explain security_headers` lists every result with its
    /// modifier: the docs hold the table rendered from [`table::RESULTS`].
    #[test]
    fn docs_list_every_result_from_the_table() {
        assert!(
            SecurityHeadersCheck::DOCS.contains(&table::docs_table()),
            "the results table in DOCS is stale; paste table::docs_table():\n{}",
            table::docs_table()
        );
    }

    #[test]
    fn http_start_swaps_scheme_and_drops_the_port() {
        let u = url::Url::parse("https://app.example:8443/x?y=1").unwrap();
        assert_eq!(
            http_start(&u, None).unwrap().as_str(),
            "http://app.example/x?y=1"
        );
        assert_eq!(
            http_start(&u, Some("http://127.0.0.1:8080/x"))
                .unwrap()
                .as_str(),
            "http://127.0.0.1:8080/x"
        );
    }
}
