//! `latency`: N requests at concurrency C (after a warm-up) against one URL;
//! p50/p95/p99/max from an HDR histogram, thresholds per percentile and a
//! bound on the error rate. Percentiles go into [`Outcome::metrics`] so the
//! table and the JSON report show them.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use indexmap::IndexMap;
use serde::Deserialize;

use super::http_client::{self, ClientOptions, Endpoint};
use super::{CheckKind, Code, Outcome, RunContext, SpecProblem, de_opt_duration};
use crate::report::Finding;

/// Most requests one check may send.
const MAX_REQUESTS: usize = 1_000_000;

/// A latency measurement.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct LatencyCheck {
    /// Full URL or a path joined to the target's url.
    pub(crate) url: Option<String>,
    /// A catalogue target.
    pub(crate) target: Option<String>,
    /// Request headers.
    #[serde(default)]
    #[schemars(with = "IndexMap<String, super::Scalar>")]
    pub(crate) headers: IndexMap<String, String>,
    /// Measured requests (default 100).
    #[serde(default = "default_requests")]
    pub(crate) requests: usize,
    /// Requests in flight at once (default 10).
    #[serde(default = "default_concurrency")]
    pub(crate) concurrency: usize,
    /// Unmeasured requests first, to open connections and warm caches (default 10).
    #[serde(default = "default_warmup")]
    pub(crate) warmup: usize,
    /// Upper bounds per percentile.
    #[serde(default)]
    pub(crate) thresholds: Thresholds,
    /// Largest share of failed requests, `1%` or `0.01` (default 0).
    #[schemars(with = "Option<super::Scalar>")]
    pub(crate) max_error_rate: Option<String>,
    /// Extra CA certificates (PEM).
    pub(crate) ca_file: Option<PathBuf>,
    /// Turn TLS verification off (reported as a warning).
    #[serde(default)]
    pub(crate) insecure: bool,
}

fn default_requests() -> usize {
    100
}
fn default_concurrency() -> usize {
    10
}
fn default_warmup() -> usize {
    10
}

/// Percentile bounds.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Thresholds {
    /// Median bound.
    #[serde(default, deserialize_with = "de_opt_duration")]
    #[schemars(with = "Option<String>")]
    pub(crate) p50: Option<Duration>,
    /// 95th percentile bound.
    #[serde(default, deserialize_with = "de_opt_duration")]
    #[schemars(with = "Option<String>")]
    pub(crate) p95: Option<Duration>,
    /// 99th percentile bound.
    #[serde(default, deserialize_with = "de_opt_duration")]
    #[schemars(with = "Option<String>")]
    pub(crate) p99: Option<Duration>,
    /// Slowest request bound.
    #[serde(default, deserialize_with = "de_opt_duration")]
    #[schemars(with = "Option<String>")]
    pub(crate) max: Option<Duration>,
}

/// Parses `1%` or `0.01` into a fraction.
fn parse_rate(s: &str) -> Result<f64, String> {
    let t = s.trim();
    let v = if let Some(p) = t.strip_suffix('%') {
        p.trim().parse::<f64>().map(|v| v / 100.0)
    } else {
        t.parse::<f64>()
    }
    .map_err(|_| format!("`{s}` is not a rate (write e.g. `1%` or `0.01`)"))?;
    if (0.0..=1.0).contains(&v) {
        Ok(v)
    } else {
        Err(format!("`{s}` is not between 0% and 100%"))
    }
}

/// What one run measured.
#[derive(Debug)]
pub(crate) struct Measured {
    /// Latencies of successful requests, in microseconds.
    pub(crate) hist: Histogram<u64>,
    /// Requests that failed (transport error or non-2xx/3xx status).
    pub(crate) errors: usize,
    /// Requests sent.
    pub(crate) sent: usize,
    /// Wall time of the measured phase.
    pub(crate) wall: Duration,
    /// The first error's reason.
    pub(crate) first_error: Option<String>,
}

impl CheckKind for LatencyCheck {
    const NAME: &'static str = "latency";
    const SUMMARY: &'static str =
        "response-time percentiles (p50/p95/p99/max) under concurrency, with an error-rate bound";
    const CODES: &'static [Code] = &[
        Code::fail(
            "latency/percentile",
            "a percentile is above its threshold (measured and bound shown)",
        ),
        Code::fail(
            "latency/errors",
            "the error rate is above the bound (the first error's reason shown)",
        ),
    ];
    const DOCS: &'static str = r#"# latency

## What it checks
Sends `warmup` unmeasured requests, then `requests` measured GET requests
with `concurrency` in flight, records each response time (headers and body)
in an HDR histogram, and compares p50, p95, p99 and max with the thresholds.
Requests that fail (refused, timed out, status 400 or above) count as errors;
their share must not exceed `max_error_rate`. The percentiles, the request
rate and the error rate appear in the table and the JSON report
(`p50_ms`, `p95_ms`, `p99_ms`, `max_ms`, `mean_ms`, `rps`, `error_rate`).

## Why it matters
The checklist's performance bar is P50 < 200 ms, P95 < 1 s, P99 < 2 s. A
single `curl` says nothing about the tail; a few hundred requests under
concurrency do.

## Example
```yaml
- id: perf.api-latency
  kind: latency
  title: API latency is within the performance bar
  url: http://127.0.0.1:8000/health
  requests: 500
  concurrency: 20
  warmup: 20
  thresholds: {p50: 200ms, p95: 1s, p99: 2s}
  max_error_rate: 1%
  timeout: 60s
```

## Fields
| field | type | meaning |
|---|---|---|
| `url` | URL or path | full URL, or a path joined to the target's url |
| `target` | name | catalogue target (url, headers, token, ca_file) |
| `headers` | map | request headers (`${capture}` expanded) |
| `requests` | number | measured requests (default 100) |
| `concurrency` | number | in flight at once (default 10) |
| `warmup` | number | unmeasured requests first (default 10) |
| `thresholds` | map | `p50`, `p95`, `p99`, `max` as durations |
| `max_error_rate` | rate | `1%` or `0.01` (default 0: any error fails) |
| `ca_file` / `insecure` | | TLS options as for `http` |

Give the check a `timeout` that fits the run: the whole run, warm-up
included, must finish within it.

## Findings
A run that does not finish within the check's timeout fails with `timed out`.

Each request may take at most a tenth of the check's timeout (at least
200 ms, body included); a slower one is counted as an error.
"#;

    fn validate(&self) -> Vec<SpecProblem> {
        let mut p = Vec::new();
        if self.url.is_none() && self.target.is_none() {
            p.push(SpecProblem::new("url", "give `url` or `target`"));
        }
        if self.requests == 0 || self.requests > MAX_REQUESTS {
            p.push(SpecProblem::new(
                "requests",
                format!("`requests` must be between 1 and {MAX_REQUESTS}"),
            ));
        }
        if self.concurrency == 0 || self.concurrency > 1000 {
            p.push(SpecProblem::new(
                "concurrency",
                "`concurrency` must be between 1 and 1000",
            ));
        }
        if let Some(r) = &self.max_error_rate
            && let Err(e) = parse_rate(r)
        {
            p.push(SpecProblem::new("max_error_rate", e));
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
        opts.pool = self.concurrency;
        // Per-request timeout: a server that stalls some requests must show
        // up as errors (and `max_error_rate`), not eat the whole budget.
        opts.timeout = request_timeout(http_client::budget(cx));
        let client = match http_client::build(&opts) {
            Ok(c) => c,
            Err(e) => return Outcome::error(e),
        };
        let budget = http_client::budget(cx);
        let done = Arc::new(AtomicUsize::new(0));
        let run = async {
            measure(
                &client,
                &ep,
                self.warmup,
                0,
                self.concurrency,
                opts.timeout,
                &done,
            )
            .await;
            measure(
                &client,
                &ep,
                self.requests,
                self.requests,
                self.concurrency,
                opts.timeout,
                &done,
            )
            .await
        };
        let m = match tokio::time::timeout(budget, run).await {
            Ok(m) => m,
            Err(_) => {
                let n = done.load(Ordering::Relaxed).saturating_sub(self.warmup);
                return Outcome::fail(format!(
                    "{}: the run did not finish within {} ({} of {} measured requests done); raise the check's timeout or lower `requests`",
                    ep.shown(),
                    humantime::format_duration(budget),
                    n.min(self.requests),
                    self.requests
                ));
            }
        };
        let max_rate = self
            .max_error_rate
            .as_deref()
            .and_then(|r| parse_rate(r).ok())
            .unwrap_or(0.0);
        let mut out = self.evaluate(&ep.shown(), &m, max_rate);
        if ep.insecure && out.status() == crate::report::Status::Pass {
            out.status = Some(crate::report::Status::Warn);
            out.message.push_str(" (TLS verification is turned off)");
        }
        out
    }
}

/// Sends `n` requests with `concurrency` workers; records latencies only when `record > 0`.
async fn measure(
    client: &reqwest::Client,
    ep: &Endpoint,
    n: usize,
    record: usize,
    concurrency: usize,
    timeout: Duration,
    done: &Arc<AtomicUsize>,
) -> Measured {
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let workers = (0..concurrency.min(n.max(1))).map(|_| {
        let next = next.clone();
        let done = done.clone();
        async move {
            let mut hist = new_hist();
            let mut errors = 0usize;
            let mut first_error = None;
            while next.fetch_add(1, Ordering::Relaxed) < n {
                let t0 = Instant::now();
                let r = ep.apply(client.get(&ep.url)).send().await;
                let ok = match r {
                    Ok(resp) => {
                        let status = resp.status();
                        // Bounded while reading; a stalled body is cut by the
                        // client's per-request timeout and counts as an error.
                        let body = crate::support::limit::body(
                            resp,
                            crate::support::limit::MAX_BODY_BYTES,
                        );
                        match body.await {
                            Ok(_) if status.as_u16() < 400 => Ok(()),
                            Ok(_) => Err(format!("status {status}")),
                            Err(e) => {
                                Err(http_client::describe_error(&ep.host_port(), &e, timeout))
                            }
                        }
                    }
                    Err(e) => Err(http_client::describe_error(&ep.host_port(), &e, timeout)),
                };
                let us = t0.elapsed().as_micros().clamp(1, u128::from(u64::MAX)) as u64;
                match ok {
                    Ok(()) => {
                        if record > 0 {
                            let _ = hist.record(us.min(hist.high()));
                        }
                    }
                    Err(e) => {
                        errors += 1;
                        first_error.get_or_insert(e);
                    }
                }
                done.fetch_add(1, Ordering::Relaxed);
            }
            (hist, errors, first_error)
        }
    });
    let results = futures::future::join_all(workers).await;
    let mut m = Measured {
        hist: new_hist(),
        errors: 0,
        sent: n,
        wall: started.elapsed(),
        first_error: None,
    };
    for (h, e, fe) in results {
        let _ = m.hist.add(&h);
        m.errors += e;
        if m.first_error.is_none() {
            m.first_error = fe;
        }
    }
    m
}

fn new_hist() -> Histogram<u64> {
    // 1 µs .. 1 h, 3 significant digits; the bounds are constants, so this cannot fail.
    Histogram::new_with_bounds(1, 3_600_000_000, 3).unwrap_or_else(|_| {
        Histogram::new(3).unwrap_or_else(|e| unreachable!("static histogram bounds: {e}"))
    })
}

/// Microseconds as milliseconds with microsecond resolution.
fn ms(us: u64) -> f64 {
    us as f64 / 1000.0
}

impl LatencyCheck {
    /// Compares a measurement with the thresholds.
    pub(crate) fn evaluate(&self, shown: &str, m: &Measured, max_rate: f64) -> Outcome {
        let h = &m.hist;
        let ok_count = h.len();
        let rate = if m.sent == 0 {
            0.0
        } else {
            m.errors as f64 / m.sent as f64
        };
        let p50 = h.value_at_quantile(0.50);
        let p95 = h.value_at_quantile(0.95);
        let p99 = h.value_at_quantile(0.99);
        let max = h.max();
        let mut f = Vec::new();
        if ok_count > 0 {
            for (name, got, bound) in [
                ("p50", p50, self.thresholds.p50),
                ("p95", p95, self.thresholds.p95),
                ("p99", p99, self.thresholds.p99),
                ("max", max, self.thresholds.max),
            ] {
                if let Some(b) = bound
                    && u128::from(got) > b.as_micros()
                {
                    f.push(
                        Finding::new(format!(
                            "{name} is {} ms, expected below {} ms",
                            ms(got),
                            b.as_millis()
                        ))
                        .code("latency/percentile")
                        .expected_actual(
                            format!("< {} ms", b.as_millis()),
                            format!("{} ms", ms(got)),
                        ),
                    );
                }
            }
        }
        if rate > max_rate || ok_count == 0 {
            f.push(
                Finding::new(format!(
                    "{} of {} requests failed ({:.1}%, allowed {:.1}%); first: {}",
                    m.errors,
                    m.sent,
                    rate * 100.0,
                    max_rate * 100.0,
                    m.first_error.as_deref().unwrap_or("unknown")
                ))
                .code("latency/errors")
                .expected_actual(
                    format!("≤ {:.1}% errors", max_rate * 100.0),
                    format!("{:.1}%", rate * 100.0),
                ),
            );
        }
        let rps = if m.wall.as_secs_f64() > 0.0 {
            (m.sent as f64 / m.wall.as_secs_f64()).round()
        } else {
            0.0
        };
        let summary = format!(
            "{shown}: {} requests at concurrency {}: p50 {} ms, p95 {} ms, p99 {} ms, max {} ms, {rps} req/s, {} errors",
            m.sent,
            self.concurrency,
            ms(p50),
            ms(p95),
            ms(p99),
            ms(max),
            m.errors
        );
        let mut out = Outcome::judged(
            f,
            <LatencyCheck as crate::kinds::CheckKind>::CODES,
            summary.clone(),
        );
        if out.status() != crate::report::Status::Pass {
            out.message = format!("{}; {summary}", out.message);
        }
        out.metric("p50_ms", ms(p50))
            .metric("p95_ms", ms(p95))
            .metric("p99_ms", ms(p99))
            .metric("max_ms", ms(max))
            .metric("mean_ms", (h.mean()).round() / 1000.0)
            .metric("rps", rps)
            .metric("error_rate", (rate * 10_000.0).round() / 10_000.0)
    }
}

/// The timeout of one request: a tenth of the check's budget, at least 200 ms
/// (never more than the budget).
pub(crate) fn request_timeout(budget: Duration) -> Duration {
    (budget / 10).max(Duration::from_millis(200)).min(budget)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Status;

    fn spec(yaml: &str) -> LatencyCheck {
        let node = marked_yaml::parse_yaml(0, yaml).unwrap();
        marked_yaml::from_node(&node).unwrap()
    }

    fn measured(values_ms: &[u64], errors: usize) -> Measured {
        let mut hist = new_hist();
        for v in values_ms {
            hist.record(v * 1000).unwrap();
        }
        Measured {
            hist,
            errors,
            sent: values_ms.len() + errors,
            wall: Duration::from_secs(1),
            first_error: (errors > 0).then(|| "127.0.0.1:1: connection refused".into()),
        }
    }

    #[test]
    fn rates_parse_as_percent_or_fraction() {
        assert_eq!(parse_rate("1%").unwrap(), 0.01);
        assert_eq!(parse_rate("0.05").unwrap(), 0.05);
        assert!(parse_rate("150%").is_err());
        assert!(parse_rate("x").is_err());
    }

    #[test]
    fn percentile_above_threshold_fails_with_numbers() {
        let c = spec("url: http://x\nthresholds: {p50: 200ms, p99: 2s}\n");
        // 100 samples: 90 fast, 10 slow → p50 fast, p99 slow.
        let mut v = vec![10; 90];
        v.extend([3000; 10]);
        let o = c.evaluate("http://x", &measured(&v, 0), 0.0);
        assert_eq!(o.status(), Status::Fail);
        assert_eq!(o.findings.len(), 1);
        assert!(
            o.findings[0].message.starts_with("p99 is 300"),
            "{}",
            o.findings[0].message
        );
        // HDR keeps 3 significant digits.
        assert!((o.metrics["p50_ms"] - 10.0).abs() < 0.02, "{:?}", o.metrics);
    }

    #[test]
    fn error_rate_bound_is_applied() {
        let c = spec("url: http://x\nmax_error_rate: 10%\n");
        let o = c.evaluate("http://x", &measured(&[5; 95], 5), 0.10);
        assert_eq!(o.status(), Status::Pass, "{}", o.message);
        let o = c.evaluate("http://x", &measured(&[5; 80], 20), 0.10);
        assert_eq!(o.status(), Status::Fail);
        assert!(o.message.contains("connection refused"));
    }
}
