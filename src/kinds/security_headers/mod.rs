//! `security_headers`: grades a URL's security headers exactly as the MDN
//! HTTP Observatory grades a site (its ten tests, its score table, its
//! two-round scoring and letter chart; algorithm 5 by default, as the live
//! site), and optionally probes trusted hosts (foreign `Host`, foreign
//! `Origin`) and rate limiting (a small bounded burst must meet a 429).
//!
//! The folder splits as the Observatory does: [`table`] is the score table
//! and grade chart, `analyze` the per-test analyzers over one
//! `analyze::Retrieval` (pure), `csp` and `cookies` the two parsers
//! that need care; `retrieve` builds a retrieval the way the Observatory's
//! retriever does (an https:// and an http:// session, each following
//! redirects by hand and recording them, a certificate that does not verify
//! retried without verification and graded
//! `hsts-invalid-cert`/`redirection-invalid-cert`, a CORS preflight);
//! `probes` holds the trusted-hosts and rate-limit probes; `docs.md` the
//! kind's documentation. This file is the kind: the spec, and the run that
//! grades, probes and makes the verdict.
//! tests/it/security_headers_diff.rs compares the result with the Observatory's
//! own code on the same served headers.

pub(crate) mod analyze;
pub(crate) mod cookies;
pub(crate) mod csp;
mod probes;
mod retrieve;
pub mod table;

use indexmap::IndexMap;
use serde::Deserialize;

use super::http_client::{self, ClientOptions, Endpoint};
use super::{CheckKind, Code, Outcome, RunContext, SpecProblem};
use crate::report::{Finding, Status};
use analyze::{Departures, Grading};
use probes::{rate_limit, trusted_hosts};
use retrieve::{Clients, retrieve};
use table::TESTS;

/// Origin sent to see whether CORS reflects arbitrary origins.
pub(crate) const DEFAULT_FOREIGN_ORIGIN: &str = "https://readyctl-probe.invalid";
/// Host sent to see whether a foreign Host header is rejected.
pub(crate) const DEFAULT_FOREIGN_HOST: &str = "readyctl-probe.invalid";
/// Largest rate-limit burst a check may send.
pub(crate) const MAX_BURST: usize = 500;

/// A security-headers check.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SecurityHeadersCheck {
    /// Full URL or a path joined to the target's url.
    pub(crate) url: Option<String>,
    /// A catalogue target.
    pub(crate) target: Option<String>,
    /// Request headers.
    #[serde(default)]
    #[schemars(with = "IndexMap<String, super::Scalar>")]
    pub(crate) headers: IndexMap<String, String>,
    /// Grade the headers (default true; `false` to only probe hosts or rate limits).
    #[serde(default = "yes")]
    pub(crate) grade: bool,
    /// Observatory scoring algorithm: 5 (default, the live site) or 4.
    #[serde(default = "default_algorithm")]
    pub(crate) algorithm: u8,
    /// The plain-http URL whose redirects the `redirection` test grades
    /// (default: the https URL with `http://` and the default port).
    pub(crate) http_url: Option<String>,
    /// Lowest acceptable letter grade (e.g. `B`).
    pub(crate) min_grade: Option<String>,
    /// Tests that must pass (the Observatory's `pass`), by Observatory name.
    #[serde(default)]
    pub(crate) require: Vec<String>,
    /// Origin sent with the CORS preflight and the trusted-host probe.
    #[serde(default = "default_origin")]
    pub(crate) foreign_origin: String,
    /// Probe trusted hosts.
    pub(crate) trusted_hosts: Option<TrustedHosts>,
    /// Probe rate limiting.
    pub(crate) rate_limit: Option<RateLimit>,
    /// Extra CA certificates (PEM).
    pub(crate) ca_file: Option<std::path::PathBuf>,
    /// Turn TLS verification off (reported as a warning).
    #[serde(default)]
    pub(crate) insecure: bool,
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
pub(crate) struct TrustedHosts {
    /// Host header to send; the answer must be a 4xx (or the connection closed).
    #[serde(default = "default_host")]
    pub(crate) foreign_host: String,
    /// Origin to send; the answer must not allow it (no reflected
    /// `Access-Control-Allow-Origin`, no `*` with credentials).
    #[serde(default = "default_origin")]
    pub(crate) foreign_origin: String,
}

fn default_host() -> String {
    DEFAULT_FOREIGN_HOST.into()
}

/// Rate-limit probe settings.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RateLimit {
    /// Requests in the burst (default 30, at most 500); a 429 must come before it ends.
    #[serde(default = "default_burst")]
    pub(crate) requests: usize,
    /// Path or URL to hammer (default: the check's URL).
    pub(crate) url: Option<String>,
    /// Method (default GET).
    #[serde(default = "default_method")]
    pub(crate) method: String,
}

fn default_burst() -> usize {
    30
}
fn default_method() -> String {
    "GET".into()
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
    const DOCS: &'static str = include_str!("docs.md");

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
        // What fails is what the declarations say fails.
        let failing: Vec<&Finding> = findings
            .iter()
            .filter(|f| crate::report::codes::level_of(f, Self::CODES).fails())
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
}
