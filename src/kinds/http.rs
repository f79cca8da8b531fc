//! `http`: one request and expectations on its answer — status, headers,
//! body, JSON by JSONPath, response time — plus captures that hand values
//! (a login token) to dependent checks. Captured values are secrets: they go
//! into [`Outcome::captures`] and never into a message or finding.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use indexmap::IndexMap;
use serde::Deserialize;
use serde_json::Value;
use serde_json_path::JsonPath;

use super::http_client::{self, ClientOptions, Endpoint};
use super::{CheckKind, Code, Outcome, RunContext, SpecProblem, check_regex, de_opt_duration};
use crate::report::Finding;

/// Largest body read (bigger bodies are cut; assertions see the first part).
const MAX_BODY: usize = 16 * 1024 * 1024;

/// An HTTP request and what its response must look like.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct HttpCheck {
    /// Full URL, or a path joined to the target's url.
    pub(crate) url: Option<String>,
    /// A catalogue target (url, headers, token, ca_file, insecure).
    pub(crate) target: Option<String>,
    /// HTTP method (default GET).
    #[serde(default = "default_method")]
    pub(crate) method: String,
    /// Request headers; `${capture}` names are expanded at run time.
    #[serde(default)]
    #[schemars(with = "IndexMap<String, super::Scalar>")]
    pub(crate) headers: IndexMap<String, String>,
    /// Request body.
    pub(crate) body: Option<Body>,
    /// Follow redirects (default true). Secret-bearing headers are dropped
    /// when a redirect changes the origin.
    #[serde(default = "yes")]
    pub(crate) follow_redirects: bool,
    /// Follow a redirect from https to plain http (default false: such a
    /// redirect fails the check).
    #[serde(default)]
    pub(crate) allow_downgrade: bool,
    /// Extra CA certificates (PEM).
    pub(crate) ca_file: Option<PathBuf>,
    /// Turn TLS verification off (reported as a warning).
    #[serde(default)]
    pub(crate) insecure: bool,
    /// What the response must look like.
    #[serde(default)]
    pub(crate) expect: Expect,
    /// Values to capture for dependent checks (name → where to find it).
    #[serde(default)]
    pub(crate) capture: IndexMap<String, Capture>,
}

fn default_method() -> String {
    "GET".into()
}
fn yes() -> bool {
    true
}

/// A request body.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub(crate) enum Body {
    /// A YAML mapping or list sent as JSON. Unquoted scalars that read as
    /// numbers, booleans or null are sent as such.
    Json(Value),
    /// JSON text sent as is.
    JsonText(String),
    /// Plain text.
    Text(String),
    /// `application/x-www-form-urlencoded` fields.
    Form(#[schemars(with = "IndexMap<String, super::Scalar>")] IndexMap<String, String>),
}

/// Expectations on the response.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Expect {
    /// `200`, `[200, 204]`, `200-299` or `2xx` (default `2xx`).
    pub(crate) status: Option<StatusSpec>,
    /// Per header: a string (equals) or `{equals, matches, present, absent}`.
    #[serde(default)]
    pub(crate) headers: IndexMap<String, HeaderRule>,
    /// The body contains this text.
    pub(crate) body_contains: Option<String>,
    /// The body does not contain this text (e.g. a reflected `<script>` probe).
    pub(crate) body_not_contains: Option<String>,
    /// The body matches this regex.
    pub(crate) body_matches: Option<String>,
    /// JSON assertions.
    #[serde(default)]
    pub(crate) json: Vec<JsonAssert>,
    /// The whole exchange (headers and body) takes at most this long.
    #[serde(default, deserialize_with = "de_opt_duration")]
    #[schemars(with = "Option<String>")]
    pub(crate) max_time: Option<Duration>,
}

/// Allowed statuses.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(untagged)]
pub(crate) enum StatusSpec {
    /// One code, a range `200-299` or a class `2xx`.
    One(#[schemars(with = "super::Scalar")] String),
    /// Any of these.
    Many(#[schemars(with = "Vec<super::Scalar>")] Vec<String>),
}

impl StatusSpec {
    fn items(&self) -> Vec<&str> {
        match self {
            StatusSpec::One(s) => vec![s.as_str()],
            StatusSpec::Many(v) => v.iter().map(String::as_str).collect(),
        }
    }

    /// Whether `code` is allowed; `Err` for an item that is not a status spec.
    fn allows(&self, code: u16) -> Result<bool, String> {
        for item in self.items() {
            if status_item(item)?.contains(&code) {
                return Ok(true);
            }
        }
        Ok(false)
    }

    fn describe(&self) -> String {
        self.items().join(" or ")
    }
}

fn status_item(item: &str) -> Result<std::ops::RangeInclusive<u16>, String> {
    let s = item.trim();
    let bad = || format!("`{s}` is not a status (write 200, 200-299 or 2xx)");
    if let Some(class) = s.strip_suffix("xx").or_else(|| s.strip_suffix("XX")) {
        let d: u16 = class.parse().map_err(|_| bad())?;
        if !(1..=5).contains(&d) {
            return Err(bad());
        }
        return Ok(d * 100..=d * 100 + 99);
    }
    if let Some((a, b)) = s.split_once('-') {
        let a: u16 = a.trim().parse().map_err(|_| bad())?;
        let b: u16 = b.trim().parse().map_err(|_| bad())?;
        return Ok(a..=b);
    }
    let c: u16 = s.parse().map_err(|_| bad())?;
    Ok(c..=c)
}

/// An expectation on one response header.
#[derive(Debug, schemars::JsonSchema)]
#[schemars(untagged)]
pub(crate) enum HeaderRule {
    /// Must equal this (case-sensitive value, case-insensitive name).
    Equals(#[schemars(with = "super::Scalar")] String),
    /// A detailed rule.
    Rule(HeaderRuleSpec),
}

// Hand-written rather than `untagged`: untagged buffers the map and loses
// marked-yaml's scalar coercion, so `absent: true` would not read as a bool.
impl<'de> Deserialize<'de> for HeaderRule {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = HeaderRule;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a header value or {equals, matches, present, absent}")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<HeaderRule, E> {
                Ok(HeaderRule::Equals(v.to_string()))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, m: A) -> Result<HeaderRule, A::Error> {
                HeaderRuleSpec::deserialize(serde::de::value::MapAccessDeserializer::new(m))
                    .map(HeaderRule::Rule)
            }
        }
        d.deserialize_any(V)
    }
}

/// Detailed header expectation.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct HeaderRuleSpec {
    /// Must equal this.
    #[schemars(with = "Option<super::Scalar>")]
    pub(crate) equals: Option<String>,
    /// Must match this regex.
    pub(crate) matches: Option<String>,
    /// Must be present (`true`) or absent (`false`).
    pub(crate) present: Option<bool>,
    /// Must be absent.
    #[serde(default)]
    pub(crate) absent: bool,
}

/// One JSONPath assertion on the response body.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct JsonAssert {
    /// RFC 9535 JSONPath, e.g. `$.status` or `$.items[*].id`.
    pub(crate) path: String,
    /// The first selected value equals this (numbers and booleans compare by text).
    #[schemars(with = "Option<super::Scalar>")]
    pub(crate) equals: Option<String>,
    /// The first selected value differs from this.
    #[schemars(with = "Option<super::Scalar>")]
    pub(crate) not_equals: Option<String>,
    /// The path selects something (`true`) or nothing (`false`).
    pub(crate) exists: Option<bool>,
    /// The first selected value (as text) matches this regex.
    pub(crate) matches: Option<String>,
    /// The first selected value is a number below this.
    pub(crate) less_than: Option<f64>,
    /// The first selected value is a number above this.
    pub(crate) greater_than: Option<f64>,
    /// The first selected value (array, string or object) has this length.
    pub(crate) length: Option<usize>,
    /// No selected value (arrays are looked into) matches this regex.
    pub(crate) none_match: Option<String>,
}

/// Where a captured value comes from. A plain string starting with `$` is a
/// JSONPath.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(untagged)]
pub(crate) enum Capture {
    /// `$.access_token`.
    Path(String),
    /// `{json: PATH}`, `{header: NAME}` or `{regex: PATTERN}`.
    Spec(CaptureSpec),
}

/// Detailed capture source.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CaptureSpec {
    /// JSONPath into the body.
    pub(crate) json: Option<String>,
    /// A response header.
    pub(crate) header: Option<String>,
    /// A regex over the body: the first group, or the whole match.
    pub(crate) regex: Option<String>,
}

impl CheckKind for HttpCheck {
    const NAME: &'static str = "http";
    const SUMMARY: &'static str =
        "an HTTP request: status, headers, body, JSONPath assertions, response time, captures";
    const CODES: &'static [Code] = &[
        Code::fail("http/status", "the status is not the expected one"),
        Code::fail(
            "http/header",
            "a header is missing, present when it must not be, or has the wrong value",
        ),
        Code::fail(
            "http/body",
            "the body lacks the expected text, or holds text it must not (`body_not_contains`), or is not what `body` expects",
        ),
        Code::fail(
            "http/json",
            "a JSONPath assertion does not hold (expected and actual shown), or the body is not JSON",
        ),
        Code::fail("http/slow", "the exchange took longer than `max_time`"),
        Code::fail("http/capture", "a capture found nothing"),
    ];
    const DOCS: &'static str = r#"# http

## What it checks
Sends one HTTP request (method, headers, JSON/text/form body, redirects on or
off, a CA file) and checks the response: the status (one code, a set, a range
or a class), headers (equals, matches, present, absent), the body (contains,
matches), JSON values by JSONPath (equals, not equals, exists, matches, less
or greater than, length, and *no element matches*), and the response time.
It can **capture** values from the response (JSONPath, header or regex) for
the checks that depend on it: log in, capture the token, then call an API
with `Authorization: Bearer ${token}`.

## Why it matters
The checklist ends with what a user notices: `/health` says `healthy`, login
returns a token, and the alarms API returns real data, not the `ALM-001`
mock ids. Each of these is a `curl` someone runs by hand before a release.

## Example
```yaml
- id: api.health
  kind: http
  title: /health reports healthy
  url: http://127.0.0.1:8000/health
  expect:
    status: 200
    json:
      - {path: $.status, equals: healthy}
    max_time: 1s
- id: api.login
  kind: http
  title: Login returns a token
  method: POST
  url: http://127.0.0.1:8000/api/v1/auth/login
  body:
    json: {username: smoke, password: "${SMOKE_PASSWORD:-x}"}
  expect: {status: 200}
  capture:
    token: {json: $.access_token}
- id: api.alarms-real
  kind: http
  title: Alarms API returns real data, not mock ids
  depends_on: [api.login]
  url: http://127.0.0.1:8000/api/v1/alarms
  headers: {Authorization: "Bearer ${token}"}
  expect:
    status: 200
    json:
      - {path: "$[*].id", none_match: '^ALM-\d{3}$'}
```

## Fields
| field | type | meaning |
|---|---|---|
| `url` | URL or path | full URL, or a path joined to the target's url |
| `target` | name | catalogue target: `url`, `headers`, `token` (sent as Bearer), `ca_file`, `insecure` |
| `method` | string | default `GET` |
| `headers` | map | request headers; `${name}` expands captured values at run time |
| `body` | one of | `{json: mapping}`, `{json_text: "..."}`, `{text: "..."}`, `{form: mapping}` |
| `follow_redirects` | bool | default `true`; `false` checks the 3xx itself. On a redirect to another origin, secret-bearing headers (`Authorization`, `Cookie`, `X-Api-Key`, any secret-looking name) are dropped |
| `allow_downgrade` | bool | default `false`: a redirect from https to http fails the check; `true` follows it |
| `ca_file` | path | extra CA certificates (PEM) |
| `insecure` | bool | turn TLS verification off; the check then warns |
| `expect.status` | code, list, range, class | default `2xx` |
| `expect.headers` | map | per header: a string (equals) or `{equals, matches, present, absent}` |
| `expect.body_contains` / `expect.body_matches` | text / regex | on the body |
| `expect.body_not_contains` | text | the body must not hold this text (a reflected probe payload) |
| `expect.json` | list | `{path, equals, not_equals, exists, matches, less_than, greater_than, length, none_match}` |
| `expect.max_time` | duration | upper bound for the whole exchange |
| `capture` | map | name → `$.json.path`, `{json}`, `{header}` or `{regex}` (first group) |

Captured values are secret: they are masked everywhere and never shown in
findings. A capture that finds nothing fails the check.

## Findings
A request that does not complete (`refused`, `timed out`, `TLS failure`,
`host name does not resolve`) fails the check with that reason and no finding.
"#;

    fn validate(&self) -> Vec<SpecProblem> {
        let mut p = Vec::new();
        if self.url.is_none() && self.target.is_none() {
            p.push(SpecProblem::new("url", "give `url` or `target`"));
        }
        if reqwest::Method::from_bytes(self.method.to_ascii_uppercase().as_bytes()).is_err() {
            p.push(SpecProblem::new(
                "method",
                format!("`{}` is not an HTTP method", self.method),
            ));
        }
        if let Some(s) = &self.expect.status {
            for item in s.items() {
                if let Err(e) = status_item(item) {
                    p.push(SpecProblem::new("expect", e));
                }
            }
        }
        for rule in self.expect.headers.values() {
            if let HeaderRule::Rule(HeaderRuleSpec {
                matches: Some(m), ..
            }) = rule
            {
                p.extend(check_regex("expect", m));
            }
        }
        if let Some(m) = &self.expect.body_matches {
            p.extend(check_regex("expect", m));
        }
        for a in &self.expect.json {
            if let Err(e) = JsonPath::parse(&a.path) {
                p.push(SpecProblem::new(
                    "expect",
                    format!("invalid JSONPath `{}`: {e}", a.path),
                ));
            }
            for r in [&a.matches, &a.none_match].into_iter().flatten() {
                p.extend(check_regex("expect", r));
            }
        }
        for (name, c) in &self.capture {
            match c {
                Capture::Path(path) => {
                    if let Err(e) = JsonPath::parse(path) {
                        p.push(SpecProblem::new(
                            "capture",
                            format!("capture `{name}`: invalid JSONPath `{path}`: {e}"),
                        ));
                    }
                }
                Capture::Spec(s) => {
                    let n = [s.json.is_some(), s.header.is_some(), s.regex.is_some()]
                        .iter()
                        .filter(|b| **b)
                        .count();
                    if n != 1 {
                        p.push(SpecProblem::new(
                            "capture",
                            format!(
                                "capture `{name}`: give exactly one of `json`, `header`, `regex`"
                            ),
                        ));
                    }
                    if let Some(j) = &s.json
                        && let Err(e) = JsonPath::parse(j)
                    {
                        p.push(SpecProblem::new(
                            "capture",
                            format!("capture `{name}`: invalid JSONPath `{j}`: {e}"),
                        ));
                    }
                    if let Some(r) = &s.regex {
                        p.extend(check_regex("capture", r));
                    }
                }
            }
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
        let mut opts = ClientOptions::for_endpoint(cx, &ep);
        // Redirects are followed by `support::redirect`, which drops secret
        // headers on an origin change and refuses an https → http downgrade.
        opts.follow_redirects = false;
        let client = match http_client::shared(&opts) {
            Ok(c) => c,
            Err(e) => return Outcome::error(e),
        };
        let method = reqwest::Method::from_bytes(self.method.to_ascii_uppercase().as_bytes())
            .unwrap_or(reqwest::Method::GET);
        let mut rb = ep.request(&client, method.clone());
        rb = match &self.body {
            None => rb,
            Some(Body::Json(v)) => rb.json(&coerce_scalars(expand_json(cx, v))),
            Some(Body::JsonText(t)) => rb
                .header("Content-Type", "application/json")
                .body(cx.expand(t)),
            Some(Body::Text(t)) => rb.body(cx.expand(t)),
            Some(Body::Form(f)) => {
                let f: IndexMap<&str, String> =
                    f.iter().map(|(k, v)| (k.as_str(), cx.expand(v))).collect();
                rb.form(&f)
            }
        };
        let shown = format!("{method} {}", ep.shown());
        let started = Instant::now();
        let sent = match rb.build() {
            Ok(req) if self.follow_redirects => {
                crate::support::redirect::send(&client, req, self.allow_downgrade).await
            }
            Ok(req) => client
                .execute(req)
                .await
                .map(|r| (r, Vec::new()))
                .map_err(crate::support::redirect::RedirectError::Transport),
            Err(e) => Err(crate::support::redirect::RedirectError::Transport(e)),
        };
        let resp = match sent {
            Ok((r, _)) => r,
            Err(crate::support::redirect::RedirectError::Refused(why)) => {
                return Outcome::fail(format!("{shown}: {why}"));
            }
            Err(crate::support::redirect::RedirectError::Transport(e)) => {
                return Outcome::fail(http_client::describe_error(
                    &ep.host_port(),
                    &e,
                    opts.timeout,
                ));
            }
        };
        let status = resp.status();
        let headers = resp.headers().clone();
        let body = match read_body(resp).await {
            Ok(b) => b,
            Err(e) => {
                return Outcome::fail(format!(
                    "{shown}: answered {status} but the body could not be read: {}",
                    http_client::describe_error(&ep.host_port(), &e, opts.timeout)
                ));
            }
        };
        let elapsed = started.elapsed();
        let resp = Response {
            status: status.as_u16(),
            headers,
            body,
            elapsed,
        };
        // A turn to hold the parsed body, so concurrent checks cannot
        // multiply the per-document bound (support::json).
        let _turn = if self.needs_json() {
            crate::support::json::admit(crate::support::json::shape(&resp.body)).await
        } else {
            None
        };
        let (findings, captures) = self.evaluate(&resp);
        let ms = elapsed.as_secs_f64() * 1000.0;
        let mut out = Outcome::judged(
            findings,
            <HttpCheck as crate::kinds::CheckKind>::CODES,
            format!("{shown} → {} in {:.0} ms", resp.status, ms),
        );
        if out.status() == crate::report::Status::Pass && ep.insecure {
            out = Outcome::warn(format!(
                "{shown} → {} (TLS verification is turned off)",
                resp.status
            ));
        }
        for (_, v) in &captures {
            cx.redactor.add(v.clone());
        }
        out.captures = captures;
        out.metric("response_ms", (ms * 10.0).round() / 10.0)
    }
}

/// What the evaluation sees of a response.
pub(crate) struct Response {
    /// Status code.
    pub(crate) status: u16,
    /// Headers.
    pub(crate) headers: reqwest::header::HeaderMap,
    /// Body as text (lossy UTF-8).
    pub(crate) body: String,
    /// Time for the whole exchange.
    pub(crate) elapsed: Duration,
}

async fn read_body(mut resp: reqwest::Response) -> Result<String, reqwest::Error> {
    let mut buf = Vec::new();
    while let Some(chunk) = resp.chunk().await? {
        let room = MAX_BODY.saturating_sub(buf.len());
        buf.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if buf.len() >= MAX_BODY {
            break;
        }
    }
    Ok(String::from_utf8_lossy(&buf).into_owned())
}

impl HttpCheck {
    /// Whether judging the answer parses its body as JSON.
    fn needs_json(&self) -> bool {
        !self.expect.json.is_empty()
            || self.capture.values().any(|c| {
                matches!(c, Capture::Path(_)) || matches!(c, Capture::Spec(s) if s.json.is_some())
            })
    }

    /// Checks every expectation on `r`; returns findings and captured values.
    pub(crate) fn evaluate(&self, r: &Response) -> (Vec<Finding>, Vec<(String, String)>) {
        let mut f = Vec::new();
        let default_status = StatusSpec::One("2xx".into());
        let want = self.expect.status.as_ref().unwrap_or(&default_status);
        if !want.allows(r.status).unwrap_or(false) {
            f.push(
                Finding::new(format!(
                    "bad status: expected {}, got {}",
                    want.describe(),
                    r.status
                ))
                .code("http/status")
                .expected_actual(want.describe(), r.status.to_string()),
            );
        }
        for (name, rule) in &self.expect.headers {
            let got = r
                .headers
                .get_all(name.as_str())
                .iter()
                .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
                .collect::<Vec<_>>();
            let value = (!got.is_empty()).then(|| got.join(", "));
            f.extend(check_header(name, rule, value.as_deref()));
        }
        if let Some(c) = &self.expect.body_contains
            && !r.body.contains(c.as_str())
        {
            f.push(
                Finding::new(format!("body does not contain `{c}`"))
                    .code("http/body")
                    .expected_actual(format!("contains `{c}`"), excerpt(&r.body)),
            );
        }
        if let Some(c) = &self.expect.body_not_contains
            && let Some(at) = r.body.find(c.as_str())
        {
            f.push(
                Finding::new(format!(
                    "body contains `{c}` (at byte {at}), expected it absent"
                ))
                .code("http/body")
                .expected_actual(format!("no `{c}`"), excerpt(&r.body[at..])),
            );
        }
        if let Some(m) = &self.expect.body_matches
            && let Ok(re) = super::regex_cached(m, false)
            && !re.is_match(&r.body)
        {
            f.push(
                Finding::new(format!("body does not match `{m}`"))
                    .code("http/body")
                    .expected_actual(format!("matches `{m}`"), excerpt(&r.body)),
            );
        }
        let needs_json = self.needs_json();
        let json: Option<Value> = if needs_json {
            use crate::support::json::{self, Refused};
            match json::parse(&r.body, json::shape(&r.body)) {
                Ok(v) => Some(v),
                Err(Refused::Invalid(e)) => {
                    f.push(
                        Finding::new(format!("body is not JSON: {e}"))
                            .code("http/json")
                            .expected_actual("a JSON body", excerpt(&r.body)),
                    );
                    None
                }
                Err(e) => {
                    f.push(Finding::new(e.to_string()).code("http/json"));
                    None
                }
            }
        } else {
            None
        };
        if let Some(j) = &json {
            for a in &self.expect.json {
                f.extend(check_json(a, j));
            }
        }
        if let Some(max) = self.expect.max_time
            && r.elapsed > max
        {
            f.push(
                Finding::new(format!(
                    "slow: took {} ms, expected at most {} ms",
                    r.elapsed.as_millis(),
                    max.as_millis()
                ))
                .code("http/slow")
                .expected_actual(
                    format!("≤ {} ms", max.as_millis()),
                    format!("{} ms", r.elapsed.as_millis()),
                ),
            );
        }
        let mut captures = Vec::new();
        for (name, c) in &self.capture {
            match capture(c, r, json.as_ref()) {
                Some(v) => captures.push((name.clone(), v)),
                None => f.push(
                    Finding::new(format!(
                        "capture `{name}` found nothing in the response ({})",
                        describe_capture(c)
                    ))
                    .code("http/capture"),
                ),
            }
        }
        (f, captures)
    }
}

fn describe_capture(c: &Capture) -> String {
    match c {
        Capture::Path(p) => format!("JSONPath {p}"),
        Capture::Spec(s) => {
            if let Some(j) = &s.json {
                format!("JSONPath {j}")
            } else if let Some(h) = &s.header {
                format!("header {h}")
            } else if let Some(r) = &s.regex {
                format!("regex {r}")
            } else {
                "no source".into()
            }
        }
    }
}

fn capture(c: &Capture, r: &Response, json: Option<&Value>) -> Option<String> {
    let (path, header, re) = match c {
        Capture::Path(p) => (Some(p), None, None),
        Capture::Spec(s) => (s.json.as_ref(), s.header.as_ref(), s.regex.as_ref()),
    };
    if let Some(p) = path {
        let jp = JsonPath::parse(p).ok()?;
        let first = jp.query(json?).all().into_iter().next()?;
        return Some(text_of(first)).filter(|s| !s.is_empty());
    }
    if let Some(h) = header {
        let v = r.headers.get(h.as_str())?;
        return Some(String::from_utf8_lossy(v.as_bytes()).into_owned()).filter(|s| !s.is_empty());
    }
    if let Some(pat) = re {
        let re = super::regex_cached(pat, false).ok()?;
        let caps = re.captures(&r.body)?;
        let m = caps.get(1).or_else(|| caps.get(0))?;
        return Some(m.as_str().to_string()).filter(|s| !s.is_empty());
    }
    None
}

fn check_header(name: &str, rule: &HeaderRule, value: Option<&str>) -> Vec<Finding> {
    let mut f = Vec::new();
    let spec;
    let rule = match rule {
        HeaderRule::Equals(e) => {
            spec = HeaderRuleSpec {
                equals: Some(e.clone()),
                ..HeaderRuleSpec::default()
            };
            &spec
        }
        HeaderRule::Rule(r) => r,
    };
    let must_be_absent = rule.absent || rule.present == Some(false);
    match value {
        None if must_be_absent => {}
        None => f.push(
            Finding::new(format!("header {name} is missing"))
                .code("http/header")
                .expected_actual(describe_header_rule(rule), "absent"),
        ),
        Some(v) if must_be_absent => f.push(
            Finding::new(format!("header {name} is present but must be absent"))
                .code("http/header")
                .expected_actual("absent", excerpt(v)),
        ),
        Some(v) => {
            if let Some(e) = &rule.equals
                && v.trim() != e
            {
                f.push(
                    Finding::new(format!(
                        "header {name}: expected `{e}`, got `{}`",
                        excerpt(v)
                    ))
                    .code("http/header")
                    .expected_actual(e.clone(), excerpt(v)),
                );
            }
            if let Some(m) = &rule.matches
                && let Ok(re) = super::regex_cached(m, false)
                && !re.is_match(v)
            {
                f.push(
                    Finding::new(format!(
                        "header {name}: `{}` does not match `{m}`",
                        excerpt(v)
                    ))
                    .code("http/header")
                    .expected_actual(format!("matches `{m}`"), excerpt(v)),
                );
            }
        }
    }
    f
}

fn describe_header_rule(r: &HeaderRuleSpec) -> String {
    if let Some(e) = &r.equals {
        format!("`{e}`")
    } else if let Some(m) = &r.matches {
        format!("matches `{m}`")
    } else {
        "present".into()
    }
}

/// Evaluates one JSONPath assertion against a document.
pub(crate) fn check_json(a: &JsonAssert, doc: &Value) -> Vec<Finding> {
    let Ok(jp) = JsonPath::parse(&a.path) else {
        return vec![Finding::new(format!("invalid JSONPath `{}`", a.path)).code("http/json")];
    };
    let nodes = jp.query(doc).all();
    let p = &a.path;
    let mut f = Vec::new();
    let mut fail = |msg: String, expected: String, actual: String| {
        f.push(
            Finding::new(msg)
                .code("http/json")
                .expected_actual(expected, actual),
        );
    };
    if let Some(want) = a.exists {
        match (want, nodes.is_empty()) {
            (true, true) => fail(
                format!("{p} selects nothing"),
                "a value".into(),
                "nothing".into(),
            ),
            (false, false) => fail(
                format!("{p} exists but must not"),
                "nothing".into(),
                excerpt(&text_of(nodes[0])),
            ),
            _ => {}
        }
    }
    let first = nodes.first().copied();
    let needs_first = a.equals.is_some()
        || a.not_equals.is_some()
        || a.matches.is_some()
        || a.less_than.is_some()
        || a.greater_than.is_some()
        || a.length.is_some();
    let Some(v) = first else {
        if needs_first {
            fail(
                format!("{p} selects nothing"),
                "a value".into(),
                "nothing".into(),
            );
        }
        return f;
    };
    let text = text_of(v);
    if let Some(e) = &a.equals
        && &text != e
    {
        fail(
            format!("{p}: expected `{e}`, got `{}`", excerpt(&text)),
            e.clone(),
            excerpt(&text),
        );
    }
    if let Some(e) = &a.not_equals
        && &text == e
    {
        fail(
            format!("{p}: must not be `{e}`"),
            format!("not `{e}`"),
            excerpt(&text),
        );
    }
    if let Some(m) = &a.matches
        && let Ok(re) = super::regex_cached(m, false)
        && !re.is_match(&text)
    {
        fail(
            format!("{p}: `{}` does not match `{m}`", excerpt(&text)),
            format!("matches `{m}`"),
            excerpt(&text),
        );
    }
    for (bound, below) in [(a.less_than, true), (a.greater_than, false)] {
        let Some(bound) = bound else { continue };
        let n = v
            .as_f64()
            .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()));
        let (word, ok) = match n {
            Some(n) if below => ("less than", n < bound),
            Some(n) => ("greater than", n > bound),
            None => (if below { "less than" } else { "greater than" }, false),
        };
        if !ok {
            fail(
                format!(
                    "{p}: expected a number {word} {bound}, got `{}`",
                    excerpt(&text)
                ),
                format!("{word} {bound}"),
                excerpt(&text),
            );
        }
    }
    if let Some(n) = a.length {
        let len = match v {
            Value::Array(x) => Some(x.len()),
            Value::Object(x) => Some(x.len()),
            Value::String(s) => Some(s.chars().count()),
            _ => None,
        };
        if len != Some(n) {
            fail(
                format!(
                    "{p}: expected length {n}, got {}",
                    len.map_or("no length".to_string(), |l| l.to_string())
                ),
                n.to_string(),
                len.map_or("no length".to_string(), |l| l.to_string()),
            );
        }
    }
    if let Some(m) = &a.none_match
        && let Ok(re) = super::regex_cached(m, false)
    {
        let mut hits = Vec::new();
        for node in &nodes {
            let items: Vec<&Value> = match node {
                Value::Array(xs) => xs.iter().collect(),
                other => vec![*other],
            };
            for it in items {
                let t = text_of(it);
                if re.is_match(&t) {
                    hits.push(t);
                }
            }
        }
        if !hits.is_empty() {
            let shown: Vec<String> = hits.iter().take(5).map(|h| excerpt(h)).collect();
            fail(
                format!(
                    "{p}: {} value(s) match `{m}`, expected none (e.g. {})",
                    hits.len(),
                    shown.join(", ")
                ),
                format!("no value matches `{m}`"),
                shown.join(", "),
            );
        }
    }
    f
}

/// A JSON value as text: strings without quotes, everything else as JSON.
fn text_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// At most 200 characters of `s`, on one line.
fn excerpt(s: &str) -> String {
    let one_line: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let one_line = one_line.trim();
    if one_line.chars().count() > 200 {
        format!("{}…", one_line.chars().take(200).collect::<String>())
    } else {
        one_line.to_string()
    }
}

fn expand_json(cx: &RunContext, v: &Value) -> Value {
    match v {
        Value::String(s) => Value::String(cx.expand(s)),
        Value::Array(xs) => Value::Array(xs.iter().map(|x| expand_json(cx, x)).collect()),
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, x)| (k.clone(), expand_json(cx, x)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// YAML scalars arrive as strings; send numbers, booleans and null as such.
fn coerce_scalars(v: Value) -> Value {
    match v {
        Value::String(s) => match s.as_str() {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            "null" | "~" => Value::Null,
            _ => {
                if let Ok(i) = s.parse::<i64>() {
                    Value::from(i)
                } else if let Ok(f) = s.parse::<f64>()
                    && f.is_finite()
                    && s.chars().all(|c| c.is_ascii_digit() || ".-+eE".contains(c))
                {
                    Value::from(f)
                } else {
                    Value::String(s)
                }
            }
        },
        Value::Array(xs) => Value::Array(xs.into_iter().map(coerce_scalars).collect()),
        Value::Object(m) => {
            Value::Object(m.into_iter().map(|(k, x)| (k, coerce_scalars(x))).collect())
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn spec(yaml: &str) -> HttpCheck {
        let node = marked_yaml::parse_yaml(0, yaml).unwrap();
        marked_yaml::from_node(&node).unwrap()
    }

    fn resp(status: u16, body: &str) -> Response {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert("x-token", "hdr-secret-1".parse().unwrap());
        headers.insert("content-type", "application/json".parse().unwrap());
        Response {
            status,
            headers,
            body: body.into(),
            elapsed: Duration::from_millis(20),
        }
    }

    #[test]
    fn status_specs_accept_codes_sets_ranges_and_classes() {
        assert!(StatusSpec::One("200".into()).allows(200).unwrap());
        assert!(StatusSpec::One("2xx".into()).allows(204).unwrap());
        assert!(!StatusSpec::One("2xx".into()).allows(301).unwrap());
        assert!(StatusSpec::One("300-399".into()).allows(302).unwrap());
        assert!(
            StatusSpec::Many(vec!["401".into(), "403".into()])
                .allows(403)
                .unwrap()
        );
        assert!(status_item("abc").is_err());
    }

    #[test]
    fn body_not_contains_reports_a_reflected_probe() {
        let c = spec("url: http://x\nexpect:\n  body_not_contains: '<script>probe</script>'\n");
        let (f, _) = c.evaluate(&resp(200, "<p>q=&lt;script&gt;probe&lt;/script&gt;</p>"));
        assert!(f.is_empty(), "{f:?}");
        let (f, _) = c.evaluate(&resp(200, "<p>q=<script>probe</script></p>"));
        assert_eq!(f.len(), 1);
        assert_eq!(
            f[0].message,
            "body contains `<script>probe</script>` (at byte 5), expected it absent"
        );
    }

    #[test]
    fn none_match_reports_mock_ids() {
        let a = JsonAssert {
            path: "$[*].id".into(),
            none_match: Some(r"^ALM-\d{3}$".into()),
            equals: None,
            not_equals: None,
            exists: None,
            matches: None,
            less_than: None,
            greater_than: None,
            length: None,
        };
        let doc = json!([{"id": "ALM-001"}, {"id": "a-77f"}, {"id": "ALM-002"}]);
        let f = check_json(&a, &doc);
        assert_eq!(f.len(), 1);
        assert!(f[0].message.contains("2 value(s)"), "{}", f[0].message);
        assert!(check_json(&a, &json!([{"id": "a-1"}])).is_empty());
        // A path selecting an array is looked into.
        let a2 = JsonAssert {
            path: "$.ids".into(),
            ..a
        };
        assert_eq!(check_json(&a2, &json!({"ids": ["ALM-003"]})).len(), 1);
    }

    #[test]
    fn json_assertions_compare_equals_numbers_and_length() {
        let c = spec(
            "url: http://x\nexpect:\n  json:\n    - {path: $.status, equals: healthy}\n    - {path: $.n, less_than: 5, greater_than: 1}\n    - {path: $.items, length: 2}\n    - {path: $.ok, equals: 'true'}\n    - {path: $.gone, exists: false}\n",
        );
        let (f, _) = c.evaluate(&resp(
            200,
            r#"{"status":"healthy","n":3,"items":[1,2],"ok":true}"#,
        ));
        assert!(f.is_empty(), "{f:?}");
        let (f, _) = c.evaluate(&resp(
            200,
            r#"{"status":"degraded","n":9,"items":[1],"ok":false,"gone":1}"#,
        ));
        let msgs: Vec<_> = f.iter().map(|x| x.message.as_str()).collect();
        assert_eq!(f.len(), 5, "{msgs:?}");
        assert!(msgs[0].contains("expected `healthy`, got `degraded`"));
    }

    #[test]
    fn captures_never_appear_in_findings() {
        let c = spec(
            "url: http://x\ncapture:\n  token: $.access_token\n  hdr: {header: X-Token}\n  re: {regex: 'tok=(\\w+)'}\n",
        );
        let (f, caps) = c.evaluate(&resp(200, r#"{"access_token":"s3cr3t-value"}"#));
        // The regex capture found nothing; the finding names the capture, not a value.
        assert_eq!(f.len(), 1);
        assert!(f[0].message.contains("capture `re`"));
        assert!(!format!("{f:?}").contains("s3cr3t"));
        assert_eq!(caps[0], ("token".into(), "s3cr3t-value".into()));
        assert_eq!(caps[1], ("hdr".into(), "hdr-secret-1".into()));
    }

    #[test]
    fn header_rules_equals_matches_absent() {
        let c = spec(
            "url: http://x\nexpect:\n  headers:\n    Content-Type: application/json\n    X-Token: {matches: '^hdr-'}\n    Server: {absent: true}\n    X-Missing: {present: true}\n",
        );
        let (f, _) = c.evaluate(&resp(200, "{}"));
        assert_eq!(f.len(), 1, "{f:?}");
        assert!(f[0].message.contains("X-Missing is missing"));
    }

    #[test]
    fn validate_rejects_bad_regex_path_and_status() {
        let c = spec(
            "url: http://x\nexpect:\n  status: 2zz\n  body_matches: '('\n  json:\n    - {path: 'nope', equals: x}\n",
        );
        assert_eq!(c.validate().len(), 3);
    }

    #[test]
    fn json_bodies_coerce_plain_scalars() {
        let v = coerce_scalars(json!({"a": "1", "b": "true", "c": "x", "d": ["2.5", "null"]}));
        assert_eq!(v, json!({"a": 1, "b": true, "c": "x", "d": [2.5, null]}));
    }
}
