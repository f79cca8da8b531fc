//! Shared HTTP plumbing for the HTTP-speaking kinds (`http`,
//! `security_headers`, `latency`, `websocket`): resolving a URL from an inline
//! field or a catalogue target, building one `reqwest` client from the TLS,
//! redirect and timeout options, and turning transport errors into plain
//! reasons (refused, timed out, TLS failure). It never decides a verdict.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, LazyLock, Mutex};
use std::time::Duration;

use indexmap::IndexMap;

use super::RunContext;

/// Connection settings common to every HTTP kind, after target resolution.
#[derive(Debug, Clone, Default)]
pub(crate) struct Endpoint {
    /// The URL, with captures expanded.
    pub(crate) url: String,
    /// `url` parsed once by [`Endpoint::resolve`] (with what messages show of
    /// it), so a check does not parse it again for every message and request:
    /// parsing was 12.7% of a 1,000-check run. `None` when `url` was set
    /// by hand; the accessors then parse `url`.
    parsed: Option<Arc<Parsed>>,
    /// Headers to send (target headers first, then the check's), expanded.
    pub(crate) headers: IndexMap<String, String>,
    /// Extra CA certificates (PEM), relative to the deployment root.
    pub(crate) ca_file: Option<PathBuf>,
    /// TLS verification off.
    pub(crate) insecure: bool,
}

impl Endpoint {
    /// Resolves the endpoint from a check's inline `url` or its `target`,
    /// merging headers (the check's win) and expanding `${capture}` names.
    /// A target's `token` becomes `Authorization: Bearer …` unless the check
    /// sets `Authorization` itself.
    pub(crate) fn resolve(
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
        match parse_shared(&ep.url) {
            Some(p) => ep.parsed = Some(p),
            None => return Err(format!("`{}` is not a valid URL", mask_url(&ep.url))),
        }
        Ok(ep)
    }

    /// The parse of `url`, when it is still the URL that was parsed (a kind
    /// may rewrite `url`, as `websocket` does for `ws://`).
    fn parsed(&self) -> Option<&Parsed> {
        self.parsed.as_deref().filter(|p| p.source == self.url)
    }

    /// A request for the URL (parsed once, not again by reqwest) with the
    /// endpoint's headers.
    pub(crate) fn request(
        &self,
        client: &reqwest::Client,
        method: reqwest::Method,
    ) -> reqwest::RequestBuilder {
        let rb = match self.parsed() {
            Some(p) => client.request(method, p.url.clone()),
            None => client.request(method, self.url.as_str()),
        };
        self.apply(rb)
    }

    /// `host:port` of the URL, for messages (never the raw URL: it may hold credentials).
    pub(crate) fn host_port(&self) -> String {
        match self.parsed() {
            Some(p) => p.host_port.clone(),
            None => host_port(&self.url),
        }
    }

    /// The URL without credentials and query, for messages.
    pub(crate) fn shown(&self) -> String {
        match self.parsed() {
            Some(p) => p.shown.clone(),
            None => mask_url(&self.url),
        }
    }

    /// Applies the headers to a request.
    pub(crate) fn apply(&self, mut rb: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        for (k, v) in &self.headers {
            rb = rb.header(k.as_str(), v.as_str());
        }
        rb
    }
}

/// At most this many distinct URLs are kept by [`parse_shared`].
const PARSED_MAX: usize = 4096;

/// `url` parsed, with what messages show of it, once per process: checks
/// of one endpoint (its status, headers, latency, TLS) name the same URL,
/// and a parse with its two message forms was ~10,000 instructions (8% of
/// 1,000 checks of one URL). Past `PARSED_MAX` URLs new ones are parsed
/// without keeping them.
fn parse_shared(url: &str) -> Option<Arc<Parsed>> {
    type Cache = std::sync::Mutex<HashMap<String, Arc<Parsed>>>;
    static CACHE: std::sync::LazyLock<Cache> = std::sync::LazyLock::new(Default::default);
    if let Some(p) = CACHE.lock().unwrap_or_else(|e| e.into_inner()).get(url) {
        return Some(p.clone());
    }
    let u = url::Url::parse(url).ok()?;
    let parsed = Arc::new(Parsed {
        host_port: host_port_of(&u),
        shown: mask_parsed(&u),
        source: url.to_string(),
        url: u,
    });
    let mut cache = CACHE.lock().unwrap_or_else(|e| e.into_inner());
    if cache.len() < PARSED_MAX {
        cache.insert(url.to_string(), parsed.clone());
    }
    Some(parsed)
}

/// A parsed endpoint URL and what messages show of it.
#[derive(Debug, Clone)]
struct Parsed {
    /// The string that was parsed.
    source: String,
    url: url::Url,
    host_port: String,
    shown: String,
}

/// Joins a target base URL and a path written in a check (`/health`).
pub(crate) fn join_url(base: &str, path: &str) -> String {
    format!(
        "{}/{}",
        base.trim_end_matches('/'),
        path.trim_start_matches('/')
    )
}

/// `host:port` of a URL, or `the URL` when it does not parse.
pub(crate) fn host_port(u: &str) -> String {
    match url::Url::parse(u) {
        Ok(p) => host_port_of(&p),
        Err(_) => "the URL".into(),
    }
}

fn host_port_of(p: &url::Url) -> String {
    match (p.host_str(), p.port_or_known_default()) {
        (Some(h), Some(port)) => format!("{h}:{port}"),
        (Some(h), None) => h.to_string(),
        _ => "the URL".into(),
    }
}

/// scheme://host:port/path of a URL: no credentials, no query (which may
/// hold tokens).
pub(crate) fn mask_url(u: &str) -> String {
    match url::Url::parse(u) {
        Ok(p) => mask_parsed(&p),
        Err(_) => "<invalid URL>".into(),
    }
}

fn mask_parsed(p: &url::Url) -> String {
    format!(
        "{}://{}{}",
        p.scheme(),
        host_port_of(p),
        if p.path() == "/" { "" } else { p.path() }
    )
}

/// How a client is built. `Hash`/`Eq` because [`shared`] keys its clients
/// by these options: a field added here shapes which checks share a client.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct ClientOptions {
    /// Extra CA file (already resolved against the root).
    pub(crate) ca_file: Option<PathBuf>,
    /// Accept any certificate.
    pub(crate) insecure: bool,
    /// Follow redirects (up to 10) or return the 3xx as is.
    pub(crate) follow_redirects: bool,
    /// Total time per request.
    pub(crate) timeout: Duration,
    /// Keep at least this many idle connections per host (latency runs).
    pub(crate) pool: usize,
}

impl ClientOptions {
    /// Options for `ep` bounded by the check's timeout.
    pub(crate) fn for_endpoint(cx: &RunContext, ep: &Endpoint) -> Self {
        ClientOptions {
            ca_file: ep.ca_file.as_ref().map(|p| cx.path(p)),
            insecure: ep.insecure,
            follow_redirects: true,
            timeout: budget(cx),
            // The client is shared by every check with these options
            // ([`shared`]): keep the connections of a whole wave of checks
            // to one origin for the next wave, as `curl --parallel` does.
            pool: 256,
        }
    }
}

/// The check's timeout minus a margin, so a kind reports what timed out
/// before the runner cuts it off.
pub(crate) fn budget(cx: &RunContext) -> Duration {
    cx.timeout
        .saturating_sub(Duration::from_millis(100))
        .max(Duration::from_millis(50))
}

type ClientKey = (
    ClientOptions,
    Vec<rustls_pki_types::CertificateDer<'static>>,
);
static SHARED: LazyLock<Mutex<HashMap<ClientKey, reqwest::Client>>> =
    LazyLock::new(Default::default);

/// The process's one client for `opts`, built on first use and shared by
/// every check with the same TLS, redirect, timeout and pool options, so
/// checks against one origin reuse its connections (1,000 checks of one
/// nginx opened 1,000 TCP connections and built 1,000 clients — 11% of the
/// run's instructions — where `curl --parallel` opens ~200). A `reqwest`
/// client is an `Arc`: cloning it shares the pool. The CA file is read on
/// every call, so an unreadable one still fails its check with the same
/// sentence, and a changed one gets its own client.
pub(crate) fn shared(opts: &ClientOptions) -> Result<reqwest::Client, String> {
    let extra = match &opts.ca_file {
        Some(path) => crate::tls::read_ca_file(path)?,
        None => Vec::new(),
    };
    let key = (opts.clone(), extra);
    let mut cache = SHARED.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(c) = cache.get(&key) {
        return Ok(c.clone());
    }
    // A long-running `serve` with ever-new timeouts must not grow this
    // without bound; a handful of distinct configurations is the norm.
    if cache.len() >= SHARED_MAX {
        cache.clear();
    }
    let client = build_with(opts, key.1.clone())?;
    cache.insert(key, client.clone());
    Ok(client)
}

/// At most this many shared clients are kept (see [`shared`]).
const SHARED_MAX: usize = 64;

/// Builds a client of its own (no pool shared with other checks: `latency`
/// measures its own connections). Errors are plain sentences (unreadable CA
/// file, …).
pub(crate) fn build(opts: &ClientOptions) -> Result<reqwest::Client, String> {
    let extra = match &opts.ca_file {
        Some(path) => crate::tls::read_ca_file(path)?,
        None => Vec::new(),
    };
    build_with(opts, extra)
}

fn build_with(
    opts: &ClientOptions,
    extra: Vec<rustls_pki_types::CertificateDer<'static>>,
) -> Result<reqwest::Client, String> {
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
pub(crate) fn describe_error(host_port: &str, e: &reqwest::Error, timeout: Duration) -> String {
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
    if let Some(io) = crate::support::net::io_error_in(e) {
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
pub(crate) fn protocol_reason(e: &(dyn std::error::Error + 'static)) -> Option<&'static str> {
    if let Some(io) = crate::support::net::io_error_in(e) {
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

/// The error and its causes, joined with `: `.
pub(crate) fn chain(e: &(dyn std::error::Error + 'static)) -> String {
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

    /// A keep-alive HTTP/1.1 responder on loopback that counts the TCP
    /// connections it accepts (connection reuse is what is under test; a
    /// real server's accept count is not observable from a test).
    fn counting_server() -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
        use std::io::{BufRead, BufReader, Write};
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/", l.local_addr().unwrap());
        let accepted = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let count = accepted.clone();
        std::thread::spawn(move || {
            for conn in l.incoming() {
                let Ok(conn) = conn else { return };
                count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                std::thread::spawn(move || {
                    let mut w = conn.try_clone().unwrap();
                    let mut r = BufReader::new(conn);
                    let mut line = String::new();
                    loop {
                        line.clear();
                        if r.read_line(&mut line).unwrap_or(0) == 0 {
                            return;
                        }
                        if line == "\r\n" {
                            let _ = w.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok");
                        }
                    }
                });
            }
        });
        (url, accepted)
    }

    #[tokio::test]
    async fn checks_with_the_same_options_share_connections_and_others_do_not() {
        let (url, accepted) = counting_server();
        let opts = ClientOptions {
            ca_file: None,
            insecure: false,
            follow_redirects: true,
            timeout: Duration::from_millis(4321),
            pool: 8,
        };
        for _ in 0..3 {
            let c = shared(&opts).unwrap();
            assert_eq!(
                c.get(&url).send().await.unwrap().text().await.unwrap(),
                "ok"
            );
        }
        assert_eq!(accepted.load(std::sync::atomic::Ordering::SeqCst), 1);
        // Another timeout is another client, with its own connections.
        let other = shared(&ClientOptions {
            timeout: Duration::from_millis(4322),
            ..opts.clone()
        })
        .unwrap();
        assert_eq!(
            other.get(&url).send().await.unwrap().text().await.unwrap(),
            "ok"
        );
        assert_eq!(accepted.load(std::sync::atomic::Ordering::SeqCst), 2);
    }

    #[test]
    fn endpoint_shows_and_locates_the_url_it_parsed_once() {
        let cx = RunContext::for_root(".");
        let ep = Endpoint::resolve(
            &cx,
            Some("http://u:pw@127.0.0.1:8080/h?t=1"),
            None,
            &IndexMap::new(),
            None,
            false,
        )
        .unwrap();
        assert_eq!(ep.shown(), "http://127.0.0.1:8080/h");
        assert_eq!(ep.host_port(), "127.0.0.1:8080");
        // A kind that rewrites the URL gets the rewritten one's facts.
        let mut ws = ep.clone();
        ws.url = "ws://127.0.0.1:9/x".into();
        assert_eq!(ws.host_port(), "127.0.0.1:9");
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
