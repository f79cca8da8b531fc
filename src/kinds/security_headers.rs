//! `security_headers`: grades a response's security headers the way Mozilla's
//! HTTP Observatory does (same tests, same score modifiers, same two-round
//! scoring and letter grades), and optionally probes trusted hosts (foreign
//! `Host`, foreign `Origin`) and rate limiting (a small bounded burst must
//! meet a 429). The grading itself ([`grade`]) is a pure function of the
//! headers, so it is unit-tested against Observatory's published table.

use std::collections::HashMap;
use std::path::PathBuf;

use indexmap::IndexMap;
use serde::Deserialize;

use super::http_client::{self, ClientOptions, Endpoint};
use super::{CheckKind, Outcome, RunContext, SpecProblem};
use crate::report::{Finding, Status};

/// Origin sent to see whether CORS reflects arbitrary origins.
pub const DEFAULT_FOREIGN_ORIGIN: &str = "https://readyctl-probe.invalid";
/// Host sent to see whether a foreign Host header is rejected.
pub const DEFAULT_FOREIGN_HOST: &str = "readyctl-probe.invalid";
/// Largest rate-limit burst a check may send.
pub const MAX_BURST: usize = 500;

/// Six months in seconds, Observatory's HSTS bar.
const SIX_MONTHS: u64 = 15_768_000;

/// The tests readyctl grades, by Observatory's test names.
pub const TESTS: &[&str] = &[
    "content-security-policy",
    "cookies",
    "cross-origin-resource-sharing",
    "cross-origin-resource-policy",
    "referrer-policy",
    "strict-transport-security",
    "x-content-type-options",
    "x-frame-options",
];

/// Letter grades from best to worst.
pub const GRADES: &[&str] = &[
    "A+", "A", "A-", "B+", "B", "B-", "C+", "C", "C-", "D+", "D", "D-", "F",
];

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
    /// Lowest acceptable letter grade (e.g. `B`).
    pub min_grade: Option<String>,
    /// Tests that must pass (score modifier ≥ 0), by Observatory name.
    #[serde(default)]
    pub require: Vec<String>,
    /// Origin sent with the graded request (CORS test).
    #[serde(default = "default_origin")]
    pub foreign_origin: String,
    /// Probe trusted hosts.
    pub trusted_hosts: Option<TrustedHosts>,
    /// Probe rate limiting.
    pub rate_limit: Option<RateLimit>,
    /// Extra CA certificates (PEM).
    pub ca_file: Option<PathBuf>,
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

/// One graded test.
#[derive(Debug, Clone, PartialEq)]
pub struct TestResult {
    /// Observatory test name, e.g. `strict-transport-security`.
    pub test: &'static str,
    /// Observatory result, e.g. `hsts-not-implemented`.
    pub result: &'static str,
    /// Score modifier.
    pub modifier: i32,
    /// Short explanation.
    pub detail: String,
}

impl TestResult {
    /// A test passes when it costs no points.
    pub fn pass(&self) -> bool {
        self.modifier >= 0
    }
}

/// The whole grading.
#[derive(Debug, Clone)]
pub struct Grading {
    /// Every test, in [`TESTS`] order.
    pub tests: Vec<TestResult>,
    /// Final score (≥ 0).
    pub score: i32,
    /// Letter grade.
    pub grade: &'static str,
}

impl Grading {
    /// A test by name.
    pub fn get(&self, test: &str) -> Option<&TestResult> {
        self.tests.iter().find(|t| t.test == test)
    }
}

/// Observatory's scoring: baseline 100, penalties first; bonuses only when
/// the penalised score is at least 90; minimum 0.
pub fn score(tests: &[TestResult]) -> (i32, &'static str) {
    let penalties: i32 = tests.iter().map(|t| t.modifier.min(0)).sum();
    let mut s = 100 + penalties;
    if s >= 90 {
        s += tests.iter().map(|t| t.modifier.max(0)).sum::<i32>();
    }
    let s = s.max(0);
    (s, letter(s))
}

/// Observatory's grade chart: the score rounded down to a multiple of 5,
/// capped at 100.
pub fn letter(score: i32) -> &'static str {
    let bucket = (score - score.rem_euclid(5)).clamp(0, 100);
    match bucket {
        100 => "A+",
        90 | 95 => "A",
        85 => "A-",
        80 => "B+",
        70 | 75 => "B",
        65 => "B-",
        60 => "C+",
        50 | 55 => "C",
        45 => "C-",
        40 => "D+",
        30 | 35 => "D",
        25 => "D-",
        _ => "F",
    }
}

fn grade_rank(g: &str) -> Option<usize> {
    GRADES.iter().position(|x| x.eq_ignore_ascii_case(g))
}

/// Response headers as (lower-case name, value) pairs; repeated headers repeat.
pub type Headers = Vec<(String, String)>;

fn all<'a>(h: &'a Headers, name: &str) -> Vec<&'a str> {
    h.iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
        .collect()
}

fn one<'a>(h: &'a Headers, name: &str) -> Option<&'a str> {
    all(h, name).into_iter().next()
}

/// Grades `headers` (of a response fetched over `https` or not) with
/// `foreign_origin` having been sent as `Origin`.
pub fn grade(headers: &Headers, https: bool, foreign_origin: &str) -> Grading {
    let csp = parse_csp_headers(&all(headers, "content-security-policy"));
    let hsts = hsts_test(headers, https);
    let hsts_pass = hsts.pass();
    let tests = vec![
        csp_test(&csp, https),
        cookies_test(&all(headers, "set-cookie"), hsts_pass),
        cors_test(headers, foreign_origin),
        corp_test(one(headers, "cross-origin-resource-policy")),
        referrer_test(&all(headers, "referrer-policy")),
        hsts,
        xcto_test(one(headers, "x-content-type-options")),
        xfo_test(one(headers, "x-frame-options"), &csp),
    ];
    let (score, grade) = score(&tests);
    Grading {
        tests,
        score,
        grade,
    }
}

fn t(
    test: &'static str,
    result: &'static str,
    modifier: i32,
    detail: impl Into<String>,
) -> TestResult {
    TestResult {
        test,
        result,
        modifier,
        detail: detail.into(),
    }
}

/// A parsed policy: directive → sources (lower-cased).
pub type Policy = HashMap<String, Vec<String>>;

/// `Ok(None)`: no CSP header; `Err`: a header that cannot be parsed.
pub fn parse_csp_headers(values: &[&str]) -> Result<Option<Policy>, String> {
    // Several headers (or comma-joined policies) all apply; for grading the
    // first policy defining a directive is used, which is what a single
    // policy means and a safe reading of several.
    let policies: Vec<&str> = values
        .iter()
        .flat_map(|v| v.split(','))
        .filter(|p| !p.trim().is_empty())
        .collect();
    if policies.is_empty() {
        return if values.is_empty() {
            Ok(None)
        } else {
            Err("the header is empty".into())
        };
    }
    let mut merged: Policy = HashMap::new();
    for p in policies {
        let mut seen = std::collections::HashSet::new();
        for d in p.split(';') {
            let mut parts = d.split_ascii_whitespace();
            let Some(name) = parts.next() else { continue };
            let name = name.to_ascii_lowercase();
            if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
                return Err(format!("`{name}` is not a directive name"));
            }
            if !seen.insert(name.clone()) {
                return Err(format!("directive `{name}` appears twice"));
            }
            let sources: Vec<String> = parts.map(|s| s.to_ascii_lowercase()).collect();
            merged.entry(name).or_insert(sources);
        }
    }
    if merged.is_empty() {
        return Err("the header holds no directive".into());
    }
    Ok(Some(merged))
}

const BROAD: &[&str] = &["*", "http:", "https:", "ftp:", "ws:", "wss:"];

fn is_insecure_source(s: &str) -> bool {
    s == "http:" || s == "ftp:" || s.starts_with("http://") || s.starts_with("ftp://")
}

fn csp_test(csp: &Result<Option<Policy>, String>, https: bool) -> TestResult {
    const T: &str = "content-security-policy";
    let p = match csp {
        Ok(None) => {
            return t(
                T,
                "csp-not-implemented",
                -25,
                "no Content-Security-Policy header",
            );
        }
        Err(e) => {
            return t(
                T,
                "csp-header-invalid",
                -25,
                format!("cannot be parsed: {e}"),
            );
        }
        Ok(Some(p)) => p,
    };
    let get = |d: &str| p.get(d).or_else(|| p.get("default-src"));
    let script = get("script-src");
    let object = get("object-src");
    let style = get("style-src");
    let has = |v: Option<&Vec<String>>, s: &str| v.is_some_and(|v| v.iter().any(|x| x == s));
    let nonce_or_hash = script.is_some_and(|v| {
        v.iter().any(|x| {
            x.starts_with("'nonce-")
                || x.starts_with("'sha256-")
                || x.starts_with("'sha384-")
                || x.starts_with("'sha512-")
        })
    });
    let strict_dynamic = has(script, "'strict-dynamic'");
    let script_unsafe = match script {
        None => true,
        Some(v) => {
            (has(Some(v), "'unsafe-inline'") && !nonce_or_hash && !strict_dynamic)
                || v.iter().any(|x| x == "data:")
                || (!strict_dynamic && v.iter().any(|x| BROAD.contains(&x.as_str())))
        }
    };
    let object_unsafe = match object {
        None => true,
        Some(v) => v
            .iter()
            .any(|x| x == "data:" || BROAD.contains(&x.as_str())),
    };
    if script_unsafe || object_unsafe {
        return t(
            T,
            "csp-implemented-with-unsafe-inline",
            -20,
            "script-src/object-src allow 'unsafe-inline', data:, a wildcard or are not restricted",
        );
    }
    let passive = ["img-src", "media-src"];
    let mut active_insecure = false;
    let mut passive_insecure = false;
    for (d, v) in p {
        if d == "report-uri" || d == "report-to" {
            continue;
        }
        if v.iter().any(|x| is_insecure_source(x)) {
            if passive.contains(&d.as_str()) {
                passive_insecure = true;
            } else {
                active_insecure = true;
            }
        }
    }
    if https && active_insecure {
        return t(
            T,
            "csp-implemented-with-insecure-scheme",
            -20,
            "allows resources over http",
        );
    }
    if has(script, "'unsafe-eval'") {
        return t(
            T,
            "csp-implemented-with-unsafe-eval",
            -10,
            "script-src allows 'unsafe-eval'",
        );
    }
    if https && passive_insecure {
        return t(
            T,
            "csp-implemented-with-insecure-scheme-in-passive-content-only",
            -10,
            "allows images or media over http",
        );
    }
    let style_unsafe = style.is_none_or(|v| {
        v.iter()
            .any(|x| x == "'unsafe-inline'" || x == "data:" || BROAD.contains(&x.as_str()))
    });
    if style_unsafe {
        return t(
            T,
            "csp-implemented-with-unsafe-inline-in-style-src-only",
            0,
            "style-src allows 'unsafe-inline', data: or a wildcard",
        );
    }
    let default_none = p.get("default-src").is_some_and(|v| v == &["'none'"]);
    let form_ok = p
        .get("form-action")
        .is_some_and(|v| v == &["'none'"] || v == &["'self'"]);
    if default_none && form_ok {
        return t(
            T,
            "csp-implemented-with-no-unsafe-default-src-none",
            10,
            "default-src 'none', form-action restricted, nothing unsafe",
        );
    }
    t(
        T,
        "csp-implemented-with-no-unsafe",
        5,
        "no 'unsafe-inline' or 'unsafe-eval'",
    )
}

struct Cookie {
    name: String,
    secure: bool,
    http_only: bool,
    same_site: Option<String>,
}

fn parse_cookie(raw: &str) -> Option<Cookie> {
    let mut parts = raw.split(';');
    let (name, _) = parts.next()?.split_once('=')?;
    let name = name.trim().to_string();
    if name.is_empty() {
        return None;
    }
    let mut c = Cookie {
        name,
        secure: false,
        http_only: false,
        same_site: None,
    };
    for a in parts {
        let (k, v) = a.split_once('=').unwrap_or((a, ""));
        match k.trim().to_ascii_lowercase().as_str() {
            "secure" => c.secure = true,
            "httponly" => c.http_only = true,
            "samesite" => c.same_site = Some(v.trim().to_ascii_lowercase()),
            _ => {}
        }
    }
    Some(c)
}

fn cookies_test(raw: &[&str], hsts_pass: bool) -> TestResult {
    const T: &str = "cookies";
    // Worst last, as Observatory orders them.
    const GOODNESS: &[(&str, i32)] = &[
        ("cookies-without-secure-flag-but-protected-by-hsts", -5),
        ("cookies-without-secure-flag", -20),
        (
            "cookies-session-without-secure-flag-but-protected-by-hsts",
            -10,
        ),
        ("cookies-samesite-flag-invalid", -20),
        ("cookies-anticsrf-without-samesite-flag", -20),
        ("cookies-session-without-httponly-flag", -30),
        ("cookies-session-without-secure-flag", -40),
    ];
    let cookies: Vec<Cookie> = raw.iter().filter_map(|r| parse_cookie(r)).collect();
    if cookies.is_empty() {
        return t(T, "cookies-not-found", 0, "no cookies set");
    }
    let mut worst: Option<usize> = None;
    let mut culprit = String::new();
    let mut bump = |idx: usize, name: &str| {
        if worst.is_none_or(|w| idx > w) {
            worst = Some(idx);
            culprit = name.to_string();
        }
    };
    let mut missing_same_site = false;
    for c in &cookies {
        let lower = c.name.to_ascii_lowercase();
        let session = lower.contains("login") || lower.contains("sess");
        let anticsrf = lower.contains("csrf");
        if let Some(s) = &c.same_site
            && (!["lax", "strict", "none"].contains(&s.as_str()) || (s == "none" && !c.secure))
        {
            bump(3, &c.name);
        }
        if !c.secure {
            bump(if hsts_pass { 0 } else { 1 }, &c.name);
        }
        if anticsrf && c.same_site.is_none() {
            bump(4, &c.name);
        }
        if session && !c.secure {
            bump(if hsts_pass { 2 } else { 6 }, &c.name);
        }
        if session && !c.http_only {
            bump(5, &c.name);
        }
        missing_same_site |= c.same_site.is_none();
    }
    match worst {
        Some(i) => {
            let (result, m) = GOODNESS[i];
            t(T, result, m, format!("cookie `{culprit}`"))
        }
        None if missing_same_site => t(
            T,
            "cookies-secure-with-httponly-sessions",
            0,
            "all cookies Secure, session cookies HttpOnly, SameSite missing on some",
        ),
        None => t(
            T,
            "cookies-secure-with-httponly-sessions-and-samesite",
            5,
            "all cookies Secure and SameSite, session cookies HttpOnly",
        ),
    }
}

fn cors_test(h: &Headers, origin: &str) -> TestResult {
    const T: &str = "cross-origin-resource-sharing";
    let Some(acao) = one(h, "access-control-allow-origin").map(str::trim) else {
        return t(
            T,
            "cross-origin-resource-sharing-not-implemented",
            0,
            "no Access-Control-Allow-Origin",
        );
    };
    let creds = one(h, "access-control-allow-credentials")
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"));
    if acao == "*" {
        return t(
            T,
            "cross-origin-resource-sharing-implemented-with-public-access",
            0,
            "Access-Control-Allow-Origin: *",
        );
    }
    if acao.eq_ignore_ascii_case(origin) && creds {
        return t(
            T,
            "cross-origin-resource-sharing-implemented-with-universal-access",
            -50,
            format!("reflects the foreign origin {origin} with credentials allowed"),
        );
    }
    t(
        T,
        "cross-origin-resource-sharing-implemented-with-restricted-access",
        0,
        "restricted to specific origins",
    )
}

fn corp_test(v: Option<&str>) -> TestResult {
    const T: &str = "cross-origin-resource-policy";
    match v.map(|s| s.trim().to_ascii_lowercase()) {
        None => t(
            T,
            "corp-not-implemented",
            0,
            "no Cross-Origin-Resource-Policy",
        ),
        Some(s) if s == "same-origin" => {
            t(T, "corp-implemented-with-same-origin", 10, "same-origin")
        }
        Some(s) if s == "same-site" => t(T, "corp-implemented-with-same-site", 10, "same-site"),
        Some(s) if s == "cross-origin" => {
            t(T, "corp-implemented-with-cross-origin", 0, "cross-origin")
        }
        Some(s) => t(
            T,
            "corp-header-invalid",
            -5,
            format!("`{s}` is not a CORP value"),
        ),
    }
}

fn referrer_test(values: &[&str]) -> TestResult {
    const T: &str = "referrer-policy";
    const PRIVATE: &[&str] = &[
        "no-referrer",
        "same-origin",
        "strict-origin",
        "strict-origin-when-cross-origin",
    ];
    const UNSAFE: &[&str] = &[
        "origin",
        "origin-when-cross-origin",
        "unsafe-url",
        "no-referrer-when-downgrade",
    ];
    if values.is_empty() {
        return t(
            T,
            "referrer-policy-not-implemented",
            0,
            "no Referrer-Policy",
        );
    }
    let tokens: Vec<String> = values
        .iter()
        .flat_map(|v| v.split(','))
        .map(|s| s.trim().to_ascii_lowercase())
        .filter(|s| !s.is_empty())
        .collect();
    // Browsers use the last value they understand.
    let last_known = tokens
        .iter()
        .rev()
        .find(|s| PRIVATE.contains(&s.as_str()) || UNSAFE.contains(&s.as_str()));
    match last_known {
        Some(s) if PRIVATE.contains(&s.as_str()) => t(T, "referrer-policy-private", 5, s.clone()),
        Some(s) => t(T, "referrer-policy-unsafe", -5, s.clone()),
        None => t(
            T,
            "referrer-policy-header-invalid",
            -5,
            "no recognised policy",
        ),
    }
}

/// Parsed HSTS header: max-age and flags.
#[derive(Debug, PartialEq)]
pub struct Hsts {
    /// Seconds.
    pub max_age: u64,
    /// `includeSubDomains`.
    pub include_subdomains: bool,
    /// `preload`.
    pub preload: bool,
}

/// Parses `Strict-Transport-Security`.
pub fn parse_hsts(v: &str) -> Result<Hsts, String> {
    let mut max_age = None;
    let mut h = Hsts {
        max_age: 0,
        include_subdomains: false,
        preload: false,
    };
    for d in v.split(';').map(str::trim).filter(|d| !d.is_empty()) {
        let (k, val) = d.split_once('=').unwrap_or((d, ""));
        match k.trim().to_ascii_lowercase().as_str() {
            "max-age" => {
                if max_age.is_some() {
                    return Err("max-age appears twice".into());
                }
                let n = val
                    .trim()
                    .trim_matches('"')
                    .parse::<u64>()
                    .map_err(|_| format!("max-age `{}` is not a number", val.trim()))?;
                max_age = Some(n);
            }
            "includesubdomains" => h.include_subdomains = true,
            "preload" => h.preload = true,
            _ => {}
        }
    }
    h.max_age = max_age.ok_or("no max-age")?;
    Ok(h)
}

fn hsts_test(h: &Headers, https: bool) -> TestResult {
    const T: &str = "strict-transport-security";
    if !https {
        return t(
            T,
            "hsts-not-implemented-no-https",
            -20,
            "HSTS needs HTTPS; this URL is http",
        );
    }
    let Some(v) = one(h, "strict-transport-security") else {
        return t(
            T,
            "hsts-not-implemented",
            -20,
            "no Strict-Transport-Security",
        );
    };
    match parse_hsts(v) {
        Err(e) => t(T, "hsts-header-invalid", -20, e),
        Ok(p) => {
            let flags = format!(
                "max-age={}{}{}",
                p.max_age,
                if p.include_subdomains {
                    "; includeSubDomains"
                } else {
                    ""
                },
                if p.preload {
                    "; preload (preload-list membership is not checked)"
                } else {
                    ""
                }
            );
            if p.max_age >= SIX_MONTHS {
                t(T, "hsts-implemented-max-age-at-least-six-months", 0, flags)
            } else {
                t(
                    T,
                    "hsts-implemented-max-age-less-than-six-months",
                    -10,
                    flags,
                )
            }
        }
    }
}

fn xcto_test(v: Option<&str>) -> TestResult {
    const T: &str = "x-content-type-options";
    match v {
        None => t(
            T,
            "x-content-type-options-not-implemented",
            -5,
            "no X-Content-Type-Options",
        ),
        Some(s) if s.trim().eq_ignore_ascii_case("nosniff") => {
            t(T, "x-content-type-options-nosniff", 0, "nosniff")
        }
        Some(s) => t(
            T,
            "x-content-type-options-header-invalid",
            -5,
            format!("`{}` is not nosniff", s.trim()),
        ),
    }
}

fn xfo_test(v: Option<&str>, csp: &Result<Option<Policy>, String>) -> TestResult {
    const T: &str = "x-frame-options";
    if let Ok(Some(p)) = csp
        && let Some(fa) = p.get("frame-ancestors")
        && !fa.iter().any(|s| s == "*")
    {
        return t(
            T,
            "x-frame-options-implemented-via-csp",
            5,
            format!("CSP frame-ancestors {}", fa.join(" ")),
        );
    }
    match v.map(|s| s.trim().to_ascii_lowercase()) {
        None => t(
            T,
            "x-frame-options-not-implemented",
            -20,
            "no X-Frame-Options or CSP frame-ancestors",
        ),
        Some(s) if s == "deny" || s == "sameorigin" => {
            t(T, "x-frame-options-sameorigin-or-deny", 0, s.to_uppercase())
        }
        Some(s) if s.starts_with("allow-from ") => {
            t(T, "x-frame-options-allow-from-origin", 0, s.to_uppercase())
        }
        Some(s) => t(
            T,
            "x-frame-options-header-invalid",
            -20,
            format!("`{s}` is not DENY or SAMEORIGIN"),
        ),
    }
}

impl CheckKind for SecurityHeadersCheck {
    const NAME: &'static str = "security_headers";
    const SUMMARY: &'static str =
        "security headers graded like Mozilla HTTP Observatory; trusted hosts; rate limiting";
    const DOCS: &'static str = r#"# security_headers

## What it checks
Fetches a URL (sending a foreign `Origin`) and grades the response headers
with Mozilla HTTP Observatory's published tests and score modifiers
(<https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring>,
source: `mdn/mdn-http-observatory`, `src/grader/charts.js` and
`src/analyzer/tests/*.js`). Every site starts at 100; penalties are deducted
first; bonuses are added only when the result is at least 90; the minimum is
0; the letter comes from the score rounded down to a multiple of 5
(100+ A+, 90 A, 85 A-, 80 B+, 70 B, 65 B-, 60 C+, 50 C, 45 C-, 40 D+, 30 D,
25 D-, below F).

| test | results (modifier) |
|---|---|
| `content-security-policy` | not implemented (-25), invalid (-25), unsafe-inline/data:/wildcard in script-src or object-src, or neither restricted (-20), http sources on an https site (-20), `'unsafe-eval'` (-10), http images/media only (-10), unsafe style-src only (0), no unsafe (+5), `default-src 'none'` with `form-action 'none'`/`'self'` (+10) |
| `cookies` | none (0), Secure + HttpOnly sessions (0), and SameSite everywhere (+5), no Secure but HSTS (-5), no Secure (-20), session without Secure but HSTS (-10), invalid SameSite (-20), anti-CSRF without SameSite (-20), session without HttpOnly (-30), session without Secure (-40) |
| `cross-origin-resource-sharing` | none, `*`, restricted (0); the foreign origin reflected with credentials (-50) |
| `cross-origin-resource-policy` | none, cross-origin (0); same-site or same-origin (+10); invalid (-5) |
| `referrer-policy` | none (0); no-referrer, same-origin, strict-origin, strict-origin-when-cross-origin (+5); origin, origin-when-cross-origin, unsafe-url, no-referrer-when-downgrade (-5); invalid (-5) |
| `strict-transport-security` | max-age ≥ 15768000 (0), shorter (-10), missing (-20), invalid (-20), plain http (-20) |
| `x-content-type-options` | nosniff (0), missing or other (-5) |
| `x-frame-options` | CSP frame-ancestors (+5), DENY/SAMEORIGIN or ALLOW-FROM (0), missing or invalid (-20) |

Not graded (they need a crawl, not one response): Observatory's redirection
and subresource-integrity tests, and the HSTS preload-list bonus
(`preload` is reported, membership is not checked). Session cookies are
those whose name contains `login` or `sess`; anti-CSRF cookies contain `csrf`.

With `trusted_hosts`, two more requests are made: one with a foreign `Host`
header, which must be rejected (4xx or a closed connection), and one with a
foreign `Origin`, which must not be answered with a permissive CORS header
(the origin reflected, or `*` together with `Access-Control-Allow-Credentials: true`).

With `rate_limit`, a burst of `requests` requests (default 30, at most 500)
is sent one after another; a `429 Too Many Requests` must arrive before the
burst ends.

## Why it matters
The checklist requires HSTS, `nosniff`, `X-Frame-Options: DENY`, a CSP,
CORS and trusted hosts that are not `*`, and rate limiting on the API.

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
| `grade` | bool | grade the headers (default `true`) |
| `min_grade` | letter | fail below this grade (e.g. `B`) |
| `require` | list | tests that must pass (no negative modifier), by the names above |
| `foreign_origin` | URL | `Origin` sent with the graded request (default `https://readyctl-probe.invalid`) |
| `trusted_hosts` | map | `{foreign_host, foreign_origin}` probe |
| `rate_limit` | map | `{requests, url, method}` burst that must meet a 429 |
| `ca_file` / `insecure` | | TLS options as for `http` |

## Findings
One finding per graded test (`security_headers/<test>`: result, modifier),
then the score and grade in the message. Failures: `grade` (below
`min_grade`), `required test` (a required test has a negative modifier),
`foreign host accepted`, `permissive CORS`, `no rate limit` (no 429 within
the burst), and the transport reasons (`refused`, `timed out`, `TLS failure`).
"#;

    fn validate(&self) -> Vec<SpecProblem> {
        let mut p = Vec::new();
        if self.url.is_none() && self.target.is_none() {
            p.push(SpecProblem::new("url", "give `url` or `target`"));
        }
        if let Some(g) = &self.min_grade
            && grade_rank(g).is_none()
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
        let hp = ep.host_port();
        let mut findings = Vec::new();
        let mut notes = Vec::new();
        let mut out_metrics = Vec::new();
        if self.grade {
            let resp = ep
                .apply(client.get(&ep.url))
                .header("Origin", &self.foreign_origin)
                .send()
                .await;
            let resp = match resp {
                Ok(r) => r,
                Err(e) => return Outcome::fail(http_client::describe_error(&hp, &e, opts.timeout)),
            };
            let https = resp.url().scheme() == "https";
            let headers = header_pairs(resp.headers());
            let g = grade(&headers, https, &self.foreign_origin);
            for tr in &g.tests {
                findings.push(
                    Finding::new(format!(
                        "{}: {} ({:+}) — {}",
                        tr.test, tr.result, tr.modifier, tr.detail
                    ))
                    .code(format!("security_headers/{}", tr.test)),
                );
            }
            out_metrics.push(("score", f64::from(g.score)));
            notes.push(format!("score {}, grade {}", g.score, g.grade));
            let mut problems = Vec::new();
            if let Some(min) = &self.min_grade
                && let (Some(want), Some(got)) = (grade_rank(min), grade_rank(g.grade))
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
                    && !tr.pass()
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
            findings.splice(0..0, problems);
        }
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
                f.code.as_deref().is_some_and(|c| {
                    matches!(
                        c,
                        "security_headers/grade"
                            | "security_headers/required"
                            | "security_headers/foreign-host"
                            | "security_headers/permissive-cors"
                            | "security_headers/no-rate-limit"
                            | "security_headers/transport"
                    )
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
        for (k, v) in out_metrics {
            out = out.metric(k, v);
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
    //! Expected results are written from Observatory's published table
    //! (MDN "Tests & Scoring", mdn-http-observatory `charts.js`), not from
    //! readyctl's output.
    use super::*;

    fn h(pairs: &[(&str, &str)]) -> Headers {
        pairs
            .iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), v.to_string()))
            .collect()
    }

    fn result(g: &Grading, test: &str) -> &'static str {
        g.get(test).unwrap().result
    }

    #[test]
    fn grade_chart_matches_observatory() {
        for (s, g) in [
            (135, "A+"),
            (100, "A+"),
            (99, "A"),
            (90, "A"),
            (89, "A-"),
            (85, "A-"),
            (84, "B+"),
            (80, "B+"),
            (79, "B"),
            (70, "B"),
            (69, "B-"),
            (65, "B-"),
            (64, "C+"),
            (60, "C+"),
            (59, "C"),
            (50, "C"),
            (49, "C-"),
            (45, "C-"),
            (44, "D+"),
            (40, "D+"),
            (39, "D"),
            (30, "D"),
            (29, "D-"),
            (25, "D-"),
            (24, "F"),
            (0, "F"),
        ] {
            assert_eq!(letter(s), g, "score {s}");
        }
    }

    #[test]
    fn no_headers_on_https_scores_30_d() {
        // CSP -25, HSTS -20, XCTO -5, XFO -20 → 30 → D.
        let g = grade(&h(&[]), true, DEFAULT_FOREIGN_ORIGIN);
        assert_eq!((g.score, g.grade), (30, "D"));
        assert_eq!(result(&g, "content-security-policy"), "csp-not-implemented");
        assert_eq!(
            result(&g, "strict-transport-security"),
            "hsts-not-implemented"
        );
    }

    #[test]
    fn basic_headers_without_csp_score_75() {
        // HSTS 1y, nosniff, DENY; no CSP (-25) → 75 → B; bonuses not applied below 90.
        let g = grade(
            &h(&[
                (
                    "Strict-Transport-Security",
                    "max-age=31536000; includeSubDomains",
                ),
                ("X-Content-Type-Options", "nosniff"),
                ("X-Frame-Options", "DENY"),
                ("Referrer-Policy", "no-referrer"),
            ]),
            true,
            DEFAULT_FOREIGN_ORIGIN,
        );
        assert_eq!(result(&g, "referrer-policy"), "referrer-policy-private");
        assert_eq!((g.score, g.grade), (75, "B"));
    }

    #[test]
    fn strict_policy_earns_bonuses_and_a_plus() {
        // Nothing penalised → 100, then CSP +10, XFO via CSP +5, referrer +5, CORP +10 → 130.
        let g = grade(
            &h(&[
                (
                    "Strict-Transport-Security",
                    "max-age=63072000; includeSubDomains; preload",
                ),
                ("X-Content-Type-Options", "nosniff"),
                (
                    "Content-Security-Policy",
                    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'",
                ),
                ("Referrer-Policy", "strict-origin-when-cross-origin"),
                ("Cross-Origin-Resource-Policy", "same-origin"),
            ]),
            true,
            DEFAULT_FOREIGN_ORIGIN,
        );
        assert_eq!(
            result(&g, "content-security-policy"),
            "csp-implemented-with-no-unsafe-default-src-none"
        );
        assert_eq!(
            result(&g, "x-frame-options"),
            "x-frame-options-implemented-via-csp"
        );
        assert_eq!((g.score, g.grade), (130, "A+"));
    }

    #[test]
    fn csp_results_follow_the_published_table() {
        let cases = [
            ("default-src 'self'", "csp-implemented-with-no-unsafe"),
            (
                "default-src 'self'; style-src 'self' 'unsafe-inline'",
                "csp-implemented-with-unsafe-inline-in-style-src-only",
            ),
            (
                "default-src 'self'; script-src 'self' 'unsafe-inline'",
                "csp-implemented-with-unsafe-inline",
            ),
            (
                "default-src 'self'; script-src 'self' 'unsafe-eval'; style-src 'self'",
                "csp-implemented-with-unsafe-eval",
            ),
            ("default-src *", "csp-implemented-with-unsafe-inline"),
            ("img-src 'self'", "csp-implemented-with-unsafe-inline"),
            (
                "default-src 'self'; script-src 'self' http://cdn.example; style-src 'self'",
                "csp-implemented-with-insecure-scheme",
            ),
            (
                "default-src 'self'; img-src http:; style-src 'self'",
                "csp-implemented-with-insecure-scheme-in-passive-content-only",
            ),
            (
                "default-src 'self'; script-src 'nonce-abc' 'unsafe-inline'; style-src 'self'",
                "csp-implemented-with-no-unsafe",
            ),
            (
                "default-src 'self'; default-src 'none'",
                "csp-header-invalid",
            ),
        ];
        for (csp, want) in cases {
            let g = grade(
                &h(&[("Content-Security-Policy", csp)]),
                true,
                DEFAULT_FOREIGN_ORIGIN,
            );
            assert_eq!(result(&g, "content-security-policy"), want, "CSP `{csp}`");
        }
    }

    #[test]
    fn unsafe_csp_costs_20() {
        // HSTS ok, nosniff, DENY, CSP with unsafe-inline (-20) → 80 → B+.
        let g = grade(
            &h(&[
                ("Strict-Transport-Security", "max-age=31536000"),
                ("X-Content-Type-Options", "nosniff"),
                ("X-Frame-Options", "SAMEORIGIN"),
                (
                    "Content-Security-Policy",
                    "default-src 'self' 'unsafe-inline'",
                ),
            ]),
            true,
            DEFAULT_FOREIGN_ORIGIN,
        );
        assert_eq!((g.score, g.grade), (80, "B+"));
    }

    #[test]
    fn hsts_variants() {
        let cases = [
            (
                "max-age=15768000",
                "hsts-implemented-max-age-at-least-six-months",
            ),
            (
                "max-age=86400",
                "hsts-implemented-max-age-less-than-six-months",
            ),
            ("includeSubDomains", "hsts-header-invalid"),
            ("max-age=abc", "hsts-header-invalid"),
        ];
        for (v, want) in cases {
            let g = grade(&h(&[("Strict-Transport-Security", v)]), true, "x");
            assert_eq!(result(&g, "strict-transport-security"), want, "{v}");
        }
        let g = grade(
            &h(&[("Strict-Transport-Security", "max-age=31536000")]),
            false,
            "x",
        );
        assert_eq!(
            result(&g, "strict-transport-security"),
            "hsts-not-implemented-no-https"
        );
    }

    #[test]
    fn cookie_results_take_the_worst() {
        let hsts = ("Strict-Transport-Security", "max-age=31536000");
        type Case<'a> = (Vec<(&'a str, &'a str)>, &'a str, i32);
        let cases: Vec<Case> = vec![
            (
                vec![("Set-Cookie", "sessionid=1; Secure; HttpOnly; SameSite=Lax")],
                "cookies-secure-with-httponly-sessions-and-samesite",
                5,
            ),
            (
                vec![("Set-Cookie", "sessionid=1; Secure; HttpOnly")],
                "cookies-secure-with-httponly-sessions",
                0,
            ),
            (
                vec![("Set-Cookie", "sessionid=1; HttpOnly")],
                "cookies-session-without-secure-flag",
                -40,
            ),
            (
                vec![("Set-Cookie", "sessionid=1; HttpOnly"), hsts],
                "cookies-session-without-secure-flag-but-protected-by-hsts",
                -10,
            ),
            (
                vec![("Set-Cookie", "sessionid=1; Secure")],
                "cookies-session-without-httponly-flag",
                -30,
            ),
            (
                vec![("Set-Cookie", "theme=dark")],
                "cookies-without-secure-flag",
                -20,
            ),
            (
                vec![("Set-Cookie", "theme=dark"), hsts],
                "cookies-without-secure-flag-but-protected-by-hsts",
                -5,
            ),
            (
                vec![("Set-Cookie", "csrftoken=1; Secure")],
                "cookies-anticsrf-without-samesite-flag",
                -20,
            ),
            (
                vec![("Set-Cookie", "theme=1; Secure; SameSite=Sometimes")],
                "cookies-samesite-flag-invalid",
                -20,
            ),
        ];
        for (headers, want, m) in cases {
            let g = grade(&h(&headers), true, "x");
            let r = g.get("cookies").unwrap();
            assert_eq!((r.result, r.modifier), (want, m), "{headers:?}");
        }
    }

    #[test]
    fn cors_reflection_with_credentials_costs_50() {
        let o = "https://evil.example";
        let g = grade(
            &h(&[
                ("Access-Control-Allow-Origin", o),
                ("Access-Control-Allow-Credentials", "true"),
            ]),
            true,
            o,
        );
        let r = g.get("cross-origin-resource-sharing").unwrap();
        assert_eq!(r.modifier, -50);
        let g = grade(&h(&[("Access-Control-Allow-Origin", "*")]), true, o);
        assert_eq!(
            result(&g, "cross-origin-resource-sharing"),
            "cross-origin-resource-sharing-implemented-with-public-access"
        );
        let g = grade(
            &h(&[("Access-Control-Allow-Origin", "https://app.example")]),
            true,
            o,
        );
        assert_eq!(
            result(&g, "cross-origin-resource-sharing"),
            "cross-origin-resource-sharing-implemented-with-restricted-access"
        );
    }

    #[test]
    fn referrer_xcto_xfo_variants() {
        let g = grade(
            &h(&[
                ("Referrer-Policy", "unsafe-url"),
                ("X-Content-Type-Options", "sniff"),
                ("X-Frame-Options", "ALLOWALL"),
            ]),
            true,
            "x",
        );
        assert_eq!(result(&g, "referrer-policy"), "referrer-policy-unsafe");
        assert_eq!(
            result(&g, "x-content-type-options"),
            "x-content-type-options-header-invalid"
        );
        assert_eq!(
            result(&g, "x-frame-options"),
            "x-frame-options-header-invalid"
        );
        let g = grade(&h(&[("Referrer-Policy", "bogus")]), true, "x");
        assert_eq!(
            result(&g, "referrer-policy"),
            "referrer-policy-header-invalid"
        );
        // The last recognised value wins, as in browsers.
        let g = grade(
            &h(&[("Referrer-Policy", "unsafe-url, strict-origin")]),
            true,
            "x",
        );
        assert_eq!(result(&g, "referrer-policy"), "referrer-policy-private");
    }

    #[test]
    fn bonuses_only_count_from_90() {
        // -20 (no HSTS) +5 referrer: 80, bonus not added → 80.
        let tests = vec![t("a", "x", -20, ""), t("b", "y", 5, "")];
        assert_eq!(score(&tests), (80, "B+"));
        let tests = vec![t("a", "x", -10, ""), t("b", "y", 5, "")];
        assert_eq!(score(&tests), (95, "A"));
        let tests = vec![t("a", "x", -150, "")];
        assert_eq!(score(&tests), (0, "F"));
    }
}
