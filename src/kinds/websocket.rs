//! `websocket`: a ws/wss endpoint completes the upgrade handshake (with
//! headers such as a captured token) and, optionally, answers a message with
//! a reply matching a pattern within the timeout.

use std::path::PathBuf;
use std::sync::Arc;

use futures::{SinkExt, StreamExt};
use indexmap::IndexMap;
use serde::Deserialize;
use tokio_tungstenite::tungstenite::{self, Message, client::IntoClientRequest};

use super::http_client::{self, Endpoint};
use super::{CheckKind, Outcome, RunContext, SpecProblem, check_regex};

/// A WebSocket check.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct WebsocketCheck {
    /// `ws://…` or `wss://…`, or a path joined to the target's url.
    pub(crate) url: Option<String>,
    /// A catalogue target.
    pub(crate) target: Option<String>,
    /// Handshake headers (`${capture}` expanded).
    #[serde(default)]
    #[schemars(with = "IndexMap<String, super::Scalar>")]
    pub(crate) headers: IndexMap<String, String>,
    /// A text message to send once connected.
    pub(crate) send: Option<String>,
    /// A regex a received text message must match (within the timeout).
    pub(crate) expect: Option<String>,
    /// Extra CA certificates (PEM) for wss.
    pub(crate) ca_file: Option<PathBuf>,
}

impl CheckKind for WebsocketCheck {
    const NAME: &'static str = "websocket";
    const SUMMARY: &'static str =
        "a ws/wss endpoint upgrades, and optionally answers a message with a matching reply";
    const DOCS: &'static str = r#"# websocket

## What it checks
Opens a WebSocket (`ws://` or `wss://`) with the given headers — e.g.
`Authorization: Bearer ${token}` captured by a login check — and requires the
upgrade to succeed (status 101). With `send` it sends a text message; with
`expect` it waits, within the check's timeout, for a text message matching
the regex. On a refused upgrade it reports the status the server answered.

## Why it matters
Live dashboards depend on a WebSocket that a reverse proxy silently breaks
when the `Upgrade` headers are not forwarded; plain HTTP checks pass while
the UI stays empty.

## Example
```yaml
- id: api.login
  kind: http
  title: Login returns a token
  method: POST
  url: http://127.0.0.1:8000/api/v1/auth/login
  body: {json: {username: smoke, password: smoke-password}}
  capture: {token: $.access_token}
- id: api.websocket
  kind: websocket
  depends_on: [api.login]
  title: Live updates WebSocket answers a ping
  url: ws://127.0.0.1:8000/ws
  headers: {Authorization: "Bearer ${token}"}
  send: '{"type": "ping"}'
  expect: '"type":\s*"pong"'
```

## Fields
| field | type | meaning |
|---|---|---|
| `url` | URL or path | `ws://` / `wss://` URL, or a path joined to the target's url (`http`→`ws`) |
| `target` | name | a catalogue target (url, headers, token, ca_file) |
| `headers` | map | handshake headers (`${capture}` expanded) |
| `send` | text | a message to send after connecting |
| `expect` | regex | a text message matching this must arrive within the timeout |
| `ca_file` | path | PEM CA certificates for wss |

## Findings
- `handshake`: the server refused the upgrade (its HTTP status is shown).
- `refused` / `timed out` / `TLS failure`: no connection.
- `no reply`: nothing matching `expect` arrived within the timeout (the last message is summarised).
"#;

    fn validate(&self) -> Vec<SpecProblem> {
        let mut p = Vec::new();
        if self.url.is_none() && self.target.is_none() {
            p.push(SpecProblem::new("url", "give `url` or `target`"));
        }
        if let Some(e) = &self.expect {
            p.extend(check_regex("expect", e));
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
        crate::tls::install_provider();
        let mut ep = match Endpoint::resolve(
            cx,
            self.url.as_deref(),
            self.target.as_deref(),
            &self.headers,
            self.ca_file.as_ref(),
            false,
        ) {
            Ok(e) => e,
            Err(e) => return Outcome::error(e),
        };
        if let Some(rest) = ep.url.strip_prefix("http") {
            ep.url = format!("ws{rest}");
        }
        let where_ = ep.host_port();
        let mut req = match ep.url.as_str().into_client_request() {
            Ok(r) => r,
            Err(e) => return Outcome::error(format!("invalid WebSocket URL: {e}")),
        };
        for (k, v) in &ep.headers {
            let (Ok(name), Ok(value)) = (
                tungstenite::http::HeaderName::from_bytes(k.as_bytes()),
                tungstenite::http::HeaderValue::from_str(v),
            ) else {
                return Outcome::error(format!("header {k} is not a valid HTTP header"));
            };
            req.headers_mut().insert(name, value);
        }
        let connector = if ep.url.starts_with("wss") {
            let roots =
                match crate::tls::trust_roots(ep.ca_file.as_ref().map(|p| cx.path(p)).as_deref()) {
                    Ok(r) => r,
                    Err(e) => return Outcome::error(e),
                };
            let cfg = rustls::ClientConfig::builder()
                .with_root_certificates(roots)
                .with_no_client_auth();
            Some(tokio_tungstenite::Connector::Rustls(Arc::new(cfg)))
        } else {
            None
        };
        let budget = http_client::budget(cx);
        let deadline = tokio::time::Instant::now() + budget;
        let took = humantime::format_duration(budget);
        let connect = tokio_tungstenite::connect_async_tls_with_config(req, None, true, connector);
        let (mut ws, resp) = match tokio::time::timeout_at(deadline, connect).await {
            Err(_) => {
                return Outcome::fail(format!(
                    "{where_}: WebSocket handshake timed out after {took}"
                ));
            }
            Ok(Err(e)) => return Outcome::fail(describe_ws_error(&where_, &e)),
            Ok(Ok(x)) => x,
        };
        let status = resp.status().as_u16();
        if let Some(msg) = &self.send
            && let Err(e) = ws.send(Message::text(cx.expand(msg))).await
        {
            return Outcome::fail(format!("{where_}: sending the message failed: {e}"));
        }
        let Some(pattern) = &self.expect else {
            let _ = ws.close(None).await;
            return Outcome::pass(format!("{where_}: WebSocket upgrade succeeded ({status})"));
        };
        let Ok(re) = super::regex_cached(pattern, false) else {
            return Outcome::error(format!("invalid regex `{pattern}`"));
        };
        let mut seen = 0usize;
        loop {
            match tokio::time::timeout_at(deadline, ws.next()).await {
                Err(_) => {
                    return Outcome::fail(format!(
                        "{where_}: no reply matching `{pattern}` within {took} ({seen} other message(s) received)"
                    ));
                }
                Ok(None) => {
                    return Outcome::fail(format!(
                        "{where_}: the server closed the WebSocket before a reply matching `{pattern}` ({seen} other message(s) received)"
                    ));
                }
                Ok(Some(Err(e))) => return Outcome::fail(describe_ws_error(&where_, &e)),
                Ok(Some(Ok(Message::Text(t)))) => {
                    if re.is_match(t.as_str()) {
                        let _ = ws.close(None).await;
                        return Outcome::pass(format!(
                            "{where_}: WebSocket answered with a reply matching `{pattern}`"
                        ));
                    }
                    seen += 1;
                }
                Ok(Some(Ok(Message::Close(_)))) => {
                    return Outcome::fail(format!(
                        "{where_}: the server closed the WebSocket before a reply matching `{pattern}`"
                    ));
                }
                Ok(Some(Ok(_))) => {}
            }
        }
    }
}

fn describe_ws_error(where_: &str, e: &tungstenite::Error) -> String {
    use tungstenite::Error as E;
    match e {
        E::Http(resp) => format!(
            "{where_}: WebSocket handshake refused: the server answered {} instead of 101 Switching Protocols",
            resp.status()
        ),
        E::Io(io) => crate::support::net::describe_connect_error(where_, io),
        E::Tls(t) => format!("{where_}: TLS failure: {t}"),
        other => format!("{where_}: WebSocket failed: {other}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Status;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    fn spec(yaml: &str) -> WebsocketCheck {
        let node = marked_yaml::parse_yaml(0, yaml).unwrap();
        marked_yaml::from_node(&node).unwrap()
    }

    #[tokio::test]
    async fn refused_upgrade_reports_the_status() {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        tokio::spawn(async move {
            let (mut s, _) = l.accept().await.unwrap();
            let mut buf = [0u8; 2048];
            let _ = s.read(&mut buf).await;
            let _ = s
                .write_all(b"HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n")
                .await;
        });
        let o = spec(&format!("url: ws://{addr}/ws\n"))
            .run(&RunContext::for_root("."))
            .await;
        assert_eq!(o.status(), Status::Fail);
        assert!(o.message.contains("403"), "{}", o.message);
    }

    #[tokio::test]
    async fn echo_reply_matching_the_pattern_passes() {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        tokio::spawn(async move {
            let (s, _) = l.accept().await.unwrap();
            let mut ws = tokio_tungstenite::accept_async(s).await.unwrap();
            while let Some(Ok(m)) = ws.next().await {
                if let Message::Text(t) = m {
                    let _ = ws.send(Message::text(format!("echo:{t}"))).await;
                }
            }
        });
        let o = spec(&format!(
            "url: ws://{addr}/ws\nsend: ping\nexpect: '^echo:ping$'\n"
        ))
        .run(&RunContext::for_root("."))
        .await;
        assert_eq!(o.status(), Status::Pass, "{}", o.message);
    }
}
