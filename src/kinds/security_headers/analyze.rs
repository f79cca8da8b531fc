//! The Observatory's analyzers over one retrieval: a pure function from
//! what the scanner fetched ([`Retrieval`]) to every test's result.
//!
//! [`Retrieval`] mirrors the Observatory's `Requests` object (see
//! `src/retriever/retriever.js`): the final responses of the http:// and
//! https:// sessions, the http:// session's redirect route, which session is
//! graded (`auto`: https when it answered), the cookie jar of that session,
//! and the CORS preflight answer. Headers are held as Node's HTTP parser
//! hands them to the Observatory ([`NodeHeaders`]). Each test below follows
//! its `src/analyzer/tests/*.js` counterpart line for line, including which
//! response it reads; where readyctl chooses to differ it says so here and
//! in the kind's docs.

use super::cookies::{self, Jar};
use super::csp;
use super::table;

/// Response headers as Node's `IncomingMessage.headers` presents them:
/// lower-case names; repeated lines joined with ", " (Set-Cookie kept as a
/// list, Cookie joined with "; ", and for the headers Node keeps only once —
/// Content-Type, Location, Server, … — the first line).
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct NodeHeaders {
    joined: Vec<(String, String)>,
    set_cookie: Vec<String>,
}

/// Headers of which Node keeps the first line only (`matchKnownFields`).
const NODE_FIRST_ONLY: &[&str] = &[
    "content-type",
    "content-length",
    "user-agent",
    "referer",
    "host",
    "authorization",
    "proxy-authorization",
    "if-modified-since",
    "if-unmodified-since",
    "from",
    "location",
    "max-forwards",
    "retry-after",
    "etag",
    "last-modified",
    "server",
    "age",
    "expires",
];

impl NodeHeaders {
    /// Builds the Node view from raw (name, value) lines in wire order.
    pub(crate) fn from_lines<'a>(lines: impl IntoIterator<Item = (&'a str, String)>) -> Self {
        let mut h = NodeHeaders::default();
        for (name, value) in lines {
            let name = name.to_ascii_lowercase();
            if name == "set-cookie" {
                h.set_cookie.push(value);
                continue;
            }
            match h.joined.iter_mut().find(|(k, _)| *k == name) {
                Some(_) if NODE_FIRST_ONLY.contains(&name.as_str()) => {}
                Some((_, v)) => {
                    v.push_str(if name == "cookie" { "; " } else { ", " });
                    v.push_str(&value);
                }
                None => h.joined.push((name, value)),
            }
        }
        h
    }

    /// `getFirstHttpHeader`: the (joined) value of a header.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        if name.eq_ignore_ascii_case("set-cookie") {
            return self.set_cookie.first().map(String::as_str);
        }
        self.joined
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Every `Set-Cookie` line.
    pub(crate) fn set_cookies(&self) -> &[String] {
        &self.set_cookie
    }
}

/// One session's final response.
#[derive(Debug, Clone, Default)]
pub(crate) struct Response {
    /// Status code.
    pub(crate) status: u16,
    /// Headers, Node's view.
    pub(crate) headers: NodeHeaders,
    /// The TLS certificates of the chain verified (`response.verified`;
    /// always true for a chain that never used https).
    pub(crate) verified: bool,
}

/// What a scan fetched, as the Observatory's `Requests`.
#[derive(Debug, Clone, Default)]
pub(crate) struct Retrieval {
    /// Final response of the https:// session (`responses.https`).
    pub(crate) https: Option<Response>,
    /// Final response of the http:// session (`responses.http`).
    pub(crate) http: Option<Response>,
    /// Every hop of the http:// session, with its status (`httpRedirects`).
    pub(crate) http_route: Vec<(url::Url, u16)>,
    /// The graded session is the https one (`auto`).
    pub(crate) auto_https: bool,
    /// The graded session's first URL was https (`session.url.protocol`).
    pub(crate) session_https: bool,
    /// The graded session's cookie jar.
    pub(crate) jar: Jar,
    /// The CORS preflight's answer (`responses.cors`; none unless 2xx).
    pub(crate) cors: Option<NodeHeaders>,
    /// The `Origin` the preflight sent.
    pub(crate) cors_origin: String,
}

impl Retrieval {
    /// `responses.auto`.
    pub(crate) fn auto(&self) -> Option<&Response> {
        if self.auto_https {
            self.https.as_ref()
        } else {
            self.http.as_ref()
        }
    }
}

/// One graded test.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TestResult {
    /// Observatory test name.
    pub(crate) test: &'static str,
    /// Observatory result name.
    pub(crate) result: &'static str,
    /// Score modifier under the graded algorithm.
    pub(crate) modifier: i32,
    /// Observatory's `pass`.
    pub(crate) pass: bool,
    /// One line on why.
    pub(crate) detail: String,
}

/// The whole grading.
#[derive(Debug, Clone)]
pub(crate) struct Grading {
    /// Algorithm graded by.
    pub(crate) algorithm: u8,
    /// Every test, in [`table::TESTS`] order.
    pub(crate) tests: Vec<TestResult>,
    /// Final score (≥ 0).
    pub(crate) score: i32,
    /// Letter grade.
    pub(crate) grade: &'static str,
}

impl Grading {
    /// A test by name.
    pub(crate) fn get(&self, test: &str) -> Option<&TestResult> {
        self.tests.iter().find(|t| t.test == test)
    }
}

/// Options where readyctl departs from the Observatory on purpose (see the
/// kind's docs, "Differences").
#[derive(Debug, Clone, Copy)]
pub(crate) struct Departures {
    /// Report `…-universal-access` when the preflight's origin is reflected
    /// with credentials (1.4.8 reads the request's Origin from a property
    /// Node's request object does not have, so it never does).
    pub(crate) cors_reflection: bool,
    /// `max-age` without digits is invalid (the Observatory's `parseInt`
    /// gives NaN, which compares as "at least six months").
    pub(crate) strict_max_age: bool,
}

impl Default for Departures {
    fn default() -> Self {
        Departures {
            cors_reflection: true,
            strict_max_age: true,
        }
    }
}

/// Grades a retrieval.
pub(crate) fn grade(r: &Retrieval, algorithm: u8, dep: Departures) -> Grading {
    let hsts = hsts_test(r, dep);
    let hsts_pass = hsts.1;
    let auto = r.auto();
    let csp = csp_test(r);
    let frame_ancestors = csp.frame_ancestors;
    let raw: Vec<(&'static str, (&'static str, bool, String))> = vec![
        (
            "content-security-policy",
            (csp.result, csp.pass, csp.detail),
        ),
        (
            "cookies",
            cookies::analyze(
                &r.jar,
                auto.map(|a| a.headers.set_cookies()).unwrap_or_default(),
                hsts_pass,
            ),
        ),
        ("cross-origin-resource-sharing", cors_test(r, dep)),
        ("redirection", redirection_test(r)),
        ("referrer-policy", referrer_test(auto)),
        ("strict-transport-security", hsts),
        ("subresource-integrity", sri_test(auto)),
        ("x-content-type-options", xcto_test(auto)),
        ("x-frame-options", xfo_test(auto, frame_ancestors)),
        ("cross-origin-resource-policy", corp_test(auto)),
    ];
    let tests: Vec<TestResult> = raw
        .into_iter()
        .map(|(test, (result, pass, detail))| TestResult {
            test,
            result,
            modifier: table::modifier(result, algorithm),
            pass,
            detail,
        })
        .collect();
    let (score, grade) = table::score(tests.iter().map(|t| t.modifier).collect::<Vec<_>>());
    Grading {
        algorithm,
        tests,
        score,
        grade,
    }
}

type Out = (&'static str, bool, String);

fn csp_test(r: &Retrieval) -> csp::CspResult {
    let Some(a) = r.auto() else {
        return csp::analyze(None, None, false);
    };
    csp::analyze(
        a.headers.get("content-security-policy"),
        a.headers.get("content-security-policy-report-only"),
        r.session_https,
    )
}

fn cors_test(r: &Retrieval, dep: Departures) -> Out {
    let Some(h) = &r.cors else {
        return (
            "cross-origin-resource-sharing-not-implemented",
            true,
            "no preflight answer".into(),
        );
    };
    let Some(acao) = h
        .get("access-control-allow-origin")
        .filter(|v| !v.is_empty())
    else {
        return (
            "cross-origin-resource-sharing-not-implemented",
            true,
            "no Access-Control-Allow-Origin".into(),
        );
    };
    let data: String = acao
        .chars()
        .take(256)
        .collect::<String>()
        .trim()
        .to_lowercase();
    let creds = h
        .get("access-control-allow-credentials")
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"));
    if data == "*" {
        (
            "cross-origin-resource-sharing-implemented-with-public-access",
            true,
            "Access-Control-Allow-Origin: *".into(),
        )
    } else if dep.cors_reflection && acao == r.cors_origin && creds {
        (
            "cross-origin-resource-sharing-implemented-with-universal-access",
            false,
            format!(
                "reflects the foreign origin {} with credentials allowed",
                r.cors_origin
            ),
        )
    } else {
        (
            "cross-origin-resource-sharing-implemented-with-restricted-access",
            true,
            format!("Access-Control-Allow-Origin: {data}"),
        )
    }
}

fn redirection_test(r: &Retrieval) -> Out {
    let Some(http) = &r.http else {
        return (
            "redirection-not-needed-no-http",
            true,
            "nothing answers on http://".into(),
        );
    };
    if !http.verified {
        return (
            "redirection-invalid-cert",
            false,
            "the redirect chain reaches an https:// certificate that does not verify".into(),
        );
    }
    let route = &r.http_route;
    let shown = route
        .iter()
        .map(|(u, _)| u.as_str())
        .collect::<Vec<_>>()
        .join(" → ");
    // No host is on the HSTS preload list readyctl knows (it ships none):
    // `route.every(isHstsPreloaded)` is true only for an empty route.
    if route.is_empty() {
        return ("redirection-all-redirects-preloaded", true, String::new());
    }
    let (result, pass) = if route.len() == 1 {
        ("redirection-missing", false)
    } else if route[route.len() - 1].0.scheme() != "https" {
        ("redirection-not-to-https", false)
    } else if route[1].0.scheme() == "http" {
        ("redirection-not-to-https-on-initial-redirection", false)
    } else if route[0].0.scheme() == "http"
        && route[1].0.scheme() == "https"
        && route[0].0.host_str() != route[1].0.host_str()
    {
        ("redirection-off-host-from-http", false)
    } else {
        ("redirection-to-https", true)
    };
    (result, pass, shown)
}

fn referrer_test(auto: Option<&Response>) -> Out {
    const GOOD: &[&str] = &[
        "no-referrer",
        "same-origin",
        "strict-origin",
        "strict-origin-when-cross-origin",
    ];
    const BAD: &[&str] = &[
        "origin",
        "origin-when-cross-origin",
        "unsafe-url",
        "no-referrer-when-downgrade",
    ];
    let Some(v) = auto.and_then(|a| a.headers.get("referrer-policy")) else {
        return (
            "referrer-policy-not-implemented",
            true,
            "no Referrer-Policy".into(),
        );
    };
    let policy = v
        .split(',')
        .map(|e| e.trim().to_lowercase())
        .rfind(|e| GOOD.contains(&e.as_str()) || BAD.contains(&e.as_str()))
        .unwrap_or_default();
    if GOOD.contains(&policy.as_str()) {
        ("referrer-policy-private", true, policy)
    } else if BAD.contains(&policy.as_str()) {
        ("referrer-policy-unsafe", false, policy)
    } else {
        (
            "referrer-policy-header-invalid",
            false,
            format!("`{v}` has no known policy"),
        )
    }
}

/// JavaScript's `parseInt(s, 10)`: leading whitespace, a sign, digits; `None`
/// for NaN.
fn parse_int(s: &str) -> Option<f64> {
    let s = s.trim_start();
    let (neg, rest) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    if digits.is_empty() {
        return None;
    }
    let n: f64 = digits.parse().ok()?;
    Some(if neg { -n } else { n })
}

/// `SIX_MONTHS` in strict-transport-security.js (180 days).
pub(crate) const SIX_MONTHS: f64 = 15_552_000.0;

fn hsts_test(r: &Retrieval, dep: Departures) -> Out {
    let Some(resp) = &r.https else {
        return (
            "hsts-not-implemented-no-https",
            false,
            "nothing answers on https://".into(),
        );
    };
    if !resp.verified {
        return (
            "hsts-invalid-cert",
            false,
            "the https:// certificate does not verify".into(),
        );
    }
    let Some(v) = resp.headers.get("strict-transport-security") else {
        return (
            "hsts-not-implemented",
            false,
            "no Strict-Transport-Security".into(),
        );
    };
    let data: String = v.chars().take(1024).collect();
    let invalid = |why: &str| ("hsts-header-invalid", false, why.to_string());
    if data.contains(',') {
        return invalid("the header is set more than once (its values are joined with a comma)");
    }
    let mut max_age: Option<Option<f64>> = None;
    for p in data.split(';').map(|p| p.trim().to_lowercase()) {
        if let Some(rest) = p.strip_prefix("max-age=") {
            let digits: String = rest.chars().take(120).collect();
            max_age = Some(parse_int(&digits));
        }
    }
    match max_age {
        None => invalid("no `max-age=` directive (spaces around `=` are not allowed)"),
        Some(None) if dep.strict_max_age => invalid("max-age is not a number"),
        Some(n) => {
            // NaN compares false with `<`: the Observatory counts it as long enough.
            let n = n.unwrap_or(f64::NAN);
            if n < SIX_MONTHS {
                (
                    "hsts-implemented-max-age-less-than-six-months",
                    false,
                    format!("max-age={n}"),
                )
            } else {
                (
                    "hsts-implemented-max-age-at-least-six-months",
                    true,
                    format!("max-age={n}"),
                )
            }
        }
    }
}

fn sri_test(auto: Option<&Response>) -> Out {
    let Some(a) = auto else {
        return (
            "sri-not-implemented-but-no-scripts-loaded",
            false,
            String::new(),
        );
    };
    let mime = a.headers.get("content-type").unwrap_or_default();
    let mime = mime.split(';').next().unwrap_or_default();
    if mime != "text/html" && mime != "application/xhtml+xml" {
        return (
            "sri-not-implemented-response-not-html",
            true,
            format!("Content-Type `{mime}`"),
        );
    }
    // HTML pages are not parsed for <script> tags (see the docs).
    (
        "sri-not-implemented-but-no-scripts-loaded",
        true,
        "HTML is not scanned for scripts".into(),
    )
}

fn xcto_test(auto: Option<&Response>) -> Out {
    match auto
        .and_then(|a| a.headers.get("x-content-type-options"))
        .filter(|v| !v.is_empty())
    {
        None => (
            "x-content-type-options-not-implemented",
            false,
            "no X-Content-Type-Options".into(),
        ),
        Some(v) => {
            let d: String = v.chars().take(256).collect();
            if d.trim().eq_ignore_ascii_case("nosniff") {
                ("x-content-type-options-nosniff", true, "nosniff".into())
            } else {
                (
                    "x-content-type-options-header-invalid",
                    false,
                    format!("`{}` is not nosniff", d.trim()),
                )
            }
        }
    }
}

fn xfo_test(auto: Option<&Response>, csp_frame_ancestors: bool) -> Out {
    let mut out: Out = match auto
        .and_then(|a| a.headers.get("x-frame-options"))
        .filter(|v| !v.is_empty())
    {
        None => (
            "x-frame-options-not-implemented",
            false,
            "no X-Frame-Options".into(),
        ),
        Some(v) => {
            let x: String = v
                .chars()
                .take(1024)
                .collect::<String>()
                .trim()
                .to_lowercase();
            if x == "deny" || x == "sameorigin" {
                ("x-frame-options-sameorigin-or-deny", true, x.to_uppercase())
            } else if x.starts_with("allow-from") {
                ("x-frame-options-allow-from-origin", true, x.to_uppercase())
            } else {
                (
                    "x-frame-options-header-invalid",
                    false,
                    format!("`{x}` is not DENY or SAMEORIGIN"),
                )
            }
        }
    };
    if csp_frame_ancestors {
        out = (
            "x-frame-options-implemented-via-csp",
            true,
            "CSP frame-ancestors".into(),
        );
    }
    out
}

fn corp_test(auto: Option<&Response>) -> Out {
    let Some(v) = auto
        .and_then(|a| a.headers.get("cross-origin-resource-policy"))
        .filter(|v| !v.is_empty())
    else {
        return (
            "corp-not-implemented",
            true,
            "no Cross-Origin-Resource-Policy".into(),
        );
    };
    let c: String = v
        .chars()
        .take(256)
        .collect::<String>()
        .trim()
        .to_lowercase();
    match c.as_str() {
        "same-site" => ("corp-implemented-with-same-site", true, c),
        "same-origin" => ("corp-implemented-with-same-origin", true, c),
        "cross-origin" => ("corp-implemented-with-cross-origin", true, c),
        _ => (
            "corp-header-invalid",
            false,
            format!("`{c}` is not a CORP value"),
        ),
    }
}

#[cfg(test)]
mod tests {
    //! Expectations read from the Observatory's analyzers; the differential
    //! test (tests/it/security_headers_diff.rs) checks them against the package.
    use super::*;

    fn https(lines: &[(&str, &str)]) -> Retrieval {
        let headers = NodeHeaders::from_lines(lines.iter().map(|(k, v)| (*k, v.to_string())));
        let url = url::Url::parse("https://app.example/").unwrap();
        let mut jar = Jar::default();
        jar.store(&url, headers.set_cookies());
        Retrieval {
            https: Some(Response {
                status: 200,
                headers,
                verified: true,
            }),
            http: None,
            auto_https: true,
            session_https: true,
            jar,
            ..Retrieval::default()
        }
    }

    fn result(r: &Retrieval, test: &str) -> &'static str {
        grade(r, 5, Departures::default()).get(test).unwrap().result
    }

    #[test]
    fn node_joins_repeated_lines_and_keeps_first_content_type() {
        let h = NodeHeaders::from_lines([
            ("X-Frame-Options", "DENY".to_string()),
            ("x-frame-options", "SAMEORIGIN".to_string()),
            ("Content-Type", "text/plain".to_string()),
            ("Content-Type", "text/html".to_string()),
            ("Set-Cookie", "a=1".to_string()),
            ("Set-Cookie", "b=2".to_string()),
        ]);
        assert_eq!(h.get("x-frame-options"), Some("DENY, SAMEORIGIN"));
        assert_eq!(h.get("content-type"), Some("text/plain"));
        assert_eq!(h.set_cookies(), ["a=1", "b=2"]);
    }

    #[test]
    fn hsts_threshold_spaces_and_doubling() {
        let hsts = |v: &str| {
            result(
                &https(&[("Strict-Transport-Security", v)]),
                "strict-transport-security",
            )
        };
        assert_eq!(
            hsts("max-age=15552000"),
            "hsts-implemented-max-age-at-least-six-months"
        );
        assert_eq!(
            hsts("max-age=15551999"),
            "hsts-implemented-max-age-less-than-six-months"
        );
        assert_eq!(hsts("max-age = 31536000"), "hsts-header-invalid");
        let doubled = https(&[
            ("Strict-Transport-Security", "max-age=31536000"),
            ("Strict-Transport-Security", "max-age=31536000"),
        ]);
        assert_eq!(
            result(&doubled, "strict-transport-security"),
            "hsts-header-invalid"
        );
    }

    #[test]
    fn no_headers_on_https_is_d_with_algorithm_five_xfo_bonus() {
        let g = grade(&https(&[]), 5, Departures::default());
        // CSP -25, HSTS -20, XCTO -5, XFO -20 → 30.
        assert_eq!((g.score, g.grade), (30, "D"));
        let g = grade(
            &https(&[("X-Frame-Options", "DENY")]),
            5,
            Departures::default(),
        );
        assert_eq!(g.get("x-frame-options").unwrap().modifier, 5);
        assert_eq!((g.score, g.grade), (50, "C"));
        let g = grade(
            &https(&[("X-Frame-Options", "DENY")]),
            4,
            Departures::default(),
        );
        assert_eq!(g.get("x-frame-options").unwrap().modifier, 0);
    }

    #[test]
    fn redirection_results() {
        let u = |s: &str| url::Url::parse(s).unwrap();
        let mut r = https(&[]);
        r.http = Some(Response {
            status: 200,
            headers: NodeHeaders::default(),
            verified: true,
        });
        r.http_route = vec![(u("http://app.example/"), 200)];
        assert_eq!(result(&r, "redirection"), "redirection-missing");
        r.http_route = vec![
            (u("http://app.example/"), 301),
            (u("https://app.example/"), 200),
        ];
        assert_eq!(result(&r, "redirection"), "redirection-to-https");
        r.http_route = vec![
            (u("http://app.example/"), 301),
            (u("https://www.example/"), 200),
        ];
        assert_eq!(result(&r, "redirection"), "redirection-off-host-from-http");
        r.http_route = vec![
            (u("http://app.example/"), 301),
            (u("http://app.example/x"), 301),
            (u("https://app.example/"), 200),
        ];
        assert_eq!(
            result(&r, "redirection"),
            "redirection-not-to-https-on-initial-redirection"
        );
        r.http.as_mut().unwrap().verified = false;
        assert_eq!(result(&r, "redirection"), "redirection-invalid-cert");
    }
}
