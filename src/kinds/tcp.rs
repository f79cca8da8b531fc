//! `tcp`: a port accepts connections — or, with `expect: closed`, does not.

use std::time::Duration;

use serde::Deserialize;

use super::{CheckKind, Outcome, RunContext, SpecProblem};
use crate::support::net::{describe_connect_error, split_host_port};

/// Whether the port must be open or closed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Expect {
    /// A connection must succeed.
    #[default]
    Open,
    /// A connection must be refused or time out.
    Closed,
}

/// A TCP reachability check.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct TcpCheck {
    /// `host:port` (IPv6 as `[::1]:5432`), or use `target`.
    pub(crate) address: Option<String>,
    /// A catalogue target with `host` and `port` (or a `tcp://host:port` url).
    pub(crate) target: Option<String>,
    /// `open` (default) or `closed`.
    #[serde(default)]
    pub(crate) expect: Expect,
}

impl CheckKind for TcpCheck {
    const NAME: &'static str = "tcp";
    const SUMMARY: &'static str = "a TCP port accepts connections, or is proven closed";
    const DOCS: &'static str = r#"# tcp

## What it checks
Connects to `host:port` within the check's timeout. With `expect: closed` it
proves the opposite: the connection is refused or times out.

## Why it matters
"Is it up" is the first question before any deeper check; "the database is
not reachable from outside" is a firewall rule worth proving.

## Example
```yaml
- id: network.api-port
  kind: tcp
  title: API port answers
  address: 127.0.0.1:8000
- id: network.db-not-public
  kind: tcp
  title: PostgreSQL is not reachable on the public interface
  address: 203.0.113.10:5432
  expect: closed
  timeout: 2s
```

## Fields
| field | type | meaning |
|---|---|---|
| `address` | `host:port` | where to connect |
| `target` | name | a catalogue target with `host` and `port`, or `url: tcp://host:port` |
| `expect` | `open`, `closed` | default `open` |

## Findings
- `refused`: nothing listens (connection refused).
- `timed out`: no answer within the timeout (filtered, or an unreachable host).
- `unresolvable`: the host name does not resolve.
- `open`: with `expect: closed`, the port accepted a connection.
"#;

    fn validate(&self) -> Vec<SpecProblem> {
        match (&self.address, &self.target) {
            (None, None) => vec![SpecProblem::new(
                "address",
                "give `address: host:port` or `target: NAME`",
            )],
            (Some(_), Some(_)) => vec![SpecProblem::new(
                "target",
                "give either `address` or `target`, not both",
            )],
            (Some(a), None) if split_host_port(a).is_none() => {
                vec![
                    SpecProblem::new("address", format!("`{a}` is not host:port"))
                        .hint("write e.g. 127.0.0.1:5432 or [::1]:6379"),
                ]
            }
            _ => Vec::new(),
        }
    }

    fn targets(&self) -> Vec<&str> {
        self.target.as_deref().into_iter().collect()
    }

    fn schema() -> Option<schemars::Schema> {
        Some(super::spec_schema::<Self>())
    }

    async fn run(&self, cx: &RunContext) -> Outcome {
        let address = match self.resolve_address(cx) {
            Ok(a) => a,
            Err(e) => return Outcome::error(e),
        };
        // Leave a little of the check's budget to report, rather than be cut off by the runner.
        let budget = cx
            .timeout
            .saturating_sub(Duration::from_millis(50))
            .max(Duration::from_millis(50));
        let attempt = tokio::time::timeout(budget, tokio::net::TcpStream::connect(&address)).await;
        let verdict = match attempt {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => Err(describe_connect_error(&address, &e)),
            Err(_) => Err(format!(
                "{address}: connection timed out after {}",
                humantime::format_duration(budget)
            )),
        };
        match (self.expect, verdict) {
            (Expect::Open, Ok(())) => Outcome::pass(format!("{address} accepts connections")),
            (Expect::Open, Err(e)) => Outcome::fail(e),
            (Expect::Closed, Ok(())) => {
                Outcome::fail(format!("{address} accepts connections but must be closed"))
            }
            (Expect::Closed, Err(e)) => Outcome::pass(format!("closed, as required ({e})")),
        }
    }
}

impl TcpCheck {
    fn resolve_address(&self, cx: &RunContext) -> Result<String, String> {
        if let Some(a) = &self.address {
            return Ok(a.clone());
        }
        let name = self.target.as_deref().unwrap_or_default();
        let t = cx.target(name)?;
        if let (Some(h), Some(p)) = (&t.host, t.port) {
            return Ok(join_host_port(h, p));
        }
        if let Some(u) = t.url.as_deref().and_then(|u| url::Url::parse(u).ok())
            && let (Some(h), Some(p)) = (u.host_str(), u.port_or_known_default())
        {
            return Ok(join_host_port(h.trim_matches(['[', ']']), p));
        }
        Err(format!("target `{name}` has no host and port"))
    }
}

fn join_host_port(host: &str, port: u16) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Status;

    fn spec(yaml: &str) -> TcpCheck {
        let node = marked_yaml::parse_yaml(0, yaml).unwrap();
        marked_yaml::from_node(&node).unwrap()
    }

    #[tokio::test]
    async fn open_port_passes_and_closed_port_is_refused() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let cx = RunContext::for_root(".");
        let o = spec(&format!("address: {addr}\n")).run(&cx).await;
        assert_eq!(o.status(), Status::Pass);
        drop(listener);
        let o = spec(&format!("address: {addr}\n")).run(&cx).await;
        assert_eq!(o.status(), Status::Fail);
        assert!(o.message.contains("connection refused"), "{}", o.message);
        let o = spec(&format!("address: {addr}\nexpect: closed\n"))
            .run(&cx)
            .await;
        assert_eq!(o.status(), Status::Pass);
    }

    #[test]
    fn splits_host_and_port() {
        assert_eq!(split_host_port("[::1]:5432"), Some(("::1".into(), 5432)));
        assert_eq!(split_host_port("db:x"), None);
    }
}
