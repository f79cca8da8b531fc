//! Shared HTTP plumbing for the HTTP-speaking kinds (`http`,
//! `security_headers`, `latency`, `websocket`): resolving a URL from an inline
//! field or a catalogue target, building one `reqwest` client from the TLS,
//! redirect and timeout options, and turning transport errors into plain
//! reasons (refused, timed out, TLS failure). It never decides a verdict.

use std::path::PathBuf;
use std::time::Duration;

use indexmap::IndexMap;

use super::RunContext;

/// Connection settings common to every HTTP kind, after target resolution.
#[derive(Debug, Clone, Default)]
pub struct Endpoint {
    /// The URL, with captures expanded.
    pub url: String,
    /// Headers to send (target headers first, then the check's), expanded.
    pub headers: IndexMap<String, String>,
    /// Extra CA certificates (PEM), relative to the deployment root.
    pub ca_file: Option<PathBuf>,
    /// TLS verification off.
    pub insecure: bool,
}

impl Endpoint {
    /// Resolves the endpoint from a check's inline `url` or its `target`,
    /// merging headers (the check's win) and expanding `${capture}` names.
    /// A target's `token` becomes `Authorization: Bearer …` unless the check
    /// sets `Authorization` itself.
    pub fn resolve(
        cx: &RunContext,
        url: Option<&str>,
        target: Option<&str>,
        headers: &IndexMap<String, String>,
        ca_file: Option<&PathBuf>,
        insecure: bool,
    ) -> Result<Endpoint, String> {
        let mut ep = Endpoint {
            insecure,
            ca_file: ca_file.cloned(),
            ..Endpoint::default()
        };
        let mut base = None;
        if let Some(name) = target {
            let t = cx.target(name)?;
            base = t.url.clone();
            for (k, v) in &t.headers {
                ep.headers.insert(k.clone(), cx.expand(v));
            }
            if let Some(tok) = &t.token {
                cx.redactor.add(tok.clone());
                ep.headers
                    .insert("Authorization".into(), format!("Bearer {}", cx.expand(tok)));
            }
            if ep.ca_file.is_none() {
                ep.ca_file = t.ca_file.clone();
            }
            ep.insecure |= t.insecure;
        }
        for (k, v) in headers {
            ep.headers
                .retain(|existing, _| !existing.eq_ignore_ascii_case(k));
            ep.headers.insert(k.clone(), cx.expand(v));
        }
        ep.url = match (url, base) {
            (Some(u), Some(b)) if !u.contains("://") => join_url(&cx.expand(&b), &cx.expand(u)),
            (Some(u), _) => cx.expand(u),
            (None, Some(b)) => cx.expand(&b),
            (None, None) => return Err("no `url` and no target with a url".into()),
        };
        if url::Url::parse(&ep.url).is_err() {
            return Err(format!("`{}` is not a valid URL", mask_url(&ep.url)));
        }
        Ok(ep)
    }

    /// `host:port` of the URL, for messages (never the raw URL: it may hold credentials).
    pub fn host_port(&self) -> String {
        host_port(&self.url)
    }

    /// The URL without credentials and query, for messages.
    pub fn shown(&self) -> String {
        mask_url(&self.url)
    }

    /// Applies the headers to a request.
    pub fn apply(&self, mut rb: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        for (k, v) in &self.headers {
            rb = rb.header(k.as_str(), v.as_str());
        }
        rb
    }
}

/// Joins a target base URL and a path written in a check (`/health`).
pub fn join_url(base: &str, path: &str) -> String {
    format!(
        "{}/{}",
        base.trim_end_matches('/'),
        path.trim_start_matches('/')
    )
}

/// `host:port` of a URL, or `the URL` when it does not parse.
pub fn host_port(u: &str) -> String {
    match url::Url::parse(u) {
        Ok(p) => match (p.host_str(), p.port_or_known_default()) {
            (Some(h), Some(port)) => format!("{h}:{port}"),
            (Some(h), None) => h.to_string(),
            _ => "the URL".into(),
        },
        Err(_) => "the URL".into(),
    }
}

/// scheme://host:port/path of a URL: no credentials, no query (which may
/// hold tokens).
pub fn mask_url(u: &str) -> String {
    match url::Url::parse(u) {
        Ok(p) => format!(
            "{}://{}{}",
            p.scheme(),
            host_port(u),
            if p.path() == "/" { "" } else { p.path() }
        ),
        Err(_) => "<invalid URL>".into(),
    }
}

/// How a client is built.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// Extra CA file (already resolved against the root).
    pub ca_file: Option<PathBuf>,
    /// Accept any certificate.
    pub insecure: bool,
    /// Follow redirects (up to 10) or return the 3xx as is.
    pub follow_redirects: bool,
    /// Total time per request.
    pub timeout: Duration,
    /// Keep at least this many idle connections per host (latency runs).
    pub pool: usize,
}

impl ClientOptions {
    /// Options for `ep` bounded by the check's timeout.
    pub fn for_endpoint(cx: &RunContext, ep: &Endpoint) -> Self {
        ClientOptions {
            ca_file: ep.ca_file.as_ref().map(|p| cx.path(p)),
            insecure: ep.insecure,
            follow_redirects: true,
            timeout: budget(cx),
            pool: 4,
        }
    }
}

/// The check's timeout minus a margin, so a kind reports what timed out
/// before the runner cuts it off.
pub fn budget(cx: &RunContext) -> Duration {
    cx.timeout
        .saturating_sub(Duration::from_millis(100))
        .max(Duration::from_millis(50))
}

/// Builds a client. Errors are plain sentences (unreadable CA file, …).
pub fn build(opts: &ClientOptions) -> Result<reqwest::Client, String> {
    crate::tls::install_provider();
    let mut b = reqwest::Client::builder()
        .timeout(opts.timeout)
        .connect_timeout(opts.timeout)
        .pool_max_idle_per_host(opts.pool)
        .user_agent(concat!("readyctl/", env!("CARGO_PKG_VERSION")))
        .redirect(if opts.follow_redirects {
            reqwest::redirect::Policy::limited(10)
        } else {
            reqwest::redirect::Policy::none()
        });
    let extra = match &opts.ca_file {
        Some(path) => crate::tls::read_ca_file(path)?,
        None => Vec::new(),
    };
    // The TLS configuration (trust store, verifier) is built once per process
    // and per CA file, not once per check: see `crate::tls::http_client_config`.
    b = if opts.insecure {
        b.tls_danger_accept_invalid_certs(true)
    } else {
        b.tls_backend_preconfigured(crate::tls::http_client_config(extra)?)
    };
    b.build()
        .map_err(|e| format!("cannot build an HTTP client: {}", chain(&e)))
}

/// A plain reason for a failed request to `host_port`: refused, timed out,
/// TLS failure (with rustls's reason), DNS, or the error chain.
pub fn describe_error(host_port: &str, e: &reqwest::Error, timeout: Duration) -> String {
    let full = chain(e);
    let lower = full.to_ascii_lowercase();
    let took = humantime::format_duration(Duration::from_millis(timeout.as_millis() as u64));
    if e.is_timeout() || lower.contains("timed out") || lower.contains("deadline") {
        let what = if e.is_connect() {
            "connection"
        } else {
            "no response"
        };
        return format!("{host_port}: {what} timed out after {took}");
    }
    if let Some(io) = find_io(e) {
        use std::io::ErrorKind as K;
        match io.kind() {
            K::ConnectionRefused => {
                return format!("{host_port}: connection refused (nothing listens there)");
            }
            K::ConnectionReset => return format!("{host_port}: connection reset by the server"),
            _ => {}
        }
    }
    if let Some(reason) = protocol_reason(e) {
        return format!("{host_port}: {reason}");
    }
    if lower.contains("invalid peer certificate")
        || lower.contains("certificate")
        || lower.contains("tls")
        || lower.contains("handshake")
    {
        return format!("{host_port}: TLS failure: {}", last_cause(e));
    }
    if lower.contains("dns") || lower.contains("failed to lookup") {
        return format!("{host_port}: host name does not resolve");
    }
    if lower.contains("connection refused") {
        return format!("{host_port}: connection refused (nothing listens there)");
    }
    if e.is_connect() {
        return format!("{host_port}: cannot connect: {}", last_cause(e));
    }
    format!("{host_port}: request failed: {}", last_cause(e))
}

/// A plain reason when an HTTP exchange broke because of what the server
/// sent (bytes that are not HTTP, a reset, a close before the answer), from
/// the error chain of reqwest, hyper or bollard; `None` for anything else.
pub fn protocol_reason(e: &(dyn std::error::Error + 'static)) -> Option<&'static str> {
    if let Some(io) = find_io(e) {
        use std::io::ErrorKind as K;
        match io.kind() {
            K::ConnectionReset => return Some("connection reset by the server"),
            K::ConnectionAborted | K::BrokenPipe => {
                return Some("connection closed by the server before it answered");
            }
            _ => {}
        }
    }
    let lower = chain(e).to_ascii_lowercase();
    if lower.contains("unexpected message from connection") {
        Some("the server sent bytes before any request: not an HTTP server")
    } else if lower.contains("invalid http")
        || lower.contains("invalid header")
        || lower.contains("invalid status")
        || lower.contains("invalid chunk")
        || lower.contains("message head is too large")
    {
        Some("the answer is not valid HTTP")
    } else if lower.contains("connection closed before message completed")
        || lower.contains("incomplete message")
        || lower.contains("unexpected eof")
    {
        Some("connection closed by the server before a complete answer")
    } else {
        None
    }
}

fn find_io<'a>(e: &'a (dyn std::error::Error + 'static)) -> Option<&'a std::io::Error> {
    let mut cur: Option<&'a (dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            return Some(io);
        }
        cur = err.source();
    }
    None
}

/// The error and its causes, joined with `: `.
pub fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut cur = e.source();
    while let Some(err) = cur {
        let s = err.to_string();
        if !out.contains(&s) {
            out.push_str(": ");
            out.push_str(&s);
        }
        cur = err.source();
    }
    out
}

fn last_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut last = e.to_string();
    let mut cur = e.source();
    while let Some(err) = cur {
        last = err.to_string();
        cur = err.source();
    }
    last
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_credentials_and_query() {
        assert_eq!(
            mask_url("https://u:p@api.example:8443/v1/x?token=abc"),
            "https://api.example:8443/v1/x"
        );
        assert_eq!(host_port("http://127.0.0.1/"), "127.0.0.1:80");
    }

    #[test]
    fn joins_target_base_and_path() {
        assert_eq!(join_url("http://a:1/", "/health"), "http://a:1/health");
        assert_eq!(join_url("http://a:1/api", "v1"), "http://a:1/api/v1");
    }

    #[test]
    fn check_headers_override_target_headers_case_insensitively() {
        let mut targets = IndexMap::new();
        let mut t = crate::kinds::Target {
            url: Some("http://127.0.0.1:9".into()),
            token: Some("tok-123456".into()),
            ..Default::default()
        };
        t.headers.insert("X-A".into(), "1".into());
        targets.insert("api".to_string(), t);
        let mut cx = RunContext::for_root(".");
        cx.targets = std::sync::Arc::new(targets);
        let mut h = IndexMap::new();
        h.insert("authorization".to_string(), "Basic x".to_string());
        let ep = Endpoint::resolve(&cx, Some("/health"), Some("api"), &h, None, false).unwrap();
        assert_eq!(ep.url, "http://127.0.0.1:9/health");
        assert_eq!(ep.headers.get("authorization").unwrap(), "Basic x");
        assert!(!ep.headers.contains_key("Authorization"));
        assert_eq!(ep.headers.get("X-A").unwrap(), "1");
    }

    #[tokio::test]
    async fn refused_connection_has_a_plain_reason() {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        drop(l);
        let opts = ClientOptions {
            ca_file: None,
            insecure: false,
            follow_redirects: false,
            timeout: Duration::from_secs(2),
            pool: 1,
        };
        let c = build(&opts).unwrap();
        let e = c.get(format!("http://{addr}/")).send().await.unwrap_err();
        let msg = describe_error(&addr.to_string(), &e, opts.timeout);
        assert!(msg.contains("connection refused"), "{msg}");
    }
}
