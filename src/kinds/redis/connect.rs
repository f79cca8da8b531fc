//! Speaking to a live Redis: a socket readyctl opens and caps, TLS on the
//! one trust store (or, with `#insecure`, any certificate with its
//! signatures still checked), and every failure turned into one plain
//! reason with its code. Passwords never appear: connection problems are
//! described by `host:port` and user name.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use crate::kinds::Outcome;
use crate::report::Finding;

/// Most bytes one Redis connection may receive. A real server's `INFO` is a
/// few KiB and `CONFIG GET` of a few keys less; redis-rs reads a reply whole
/// before parsing it and turns every element into a value of ~60 bytes, so
/// a reply of tiny elements costs up to ~20 times its size: the cap is small.
pub(crate) const MAX_REPLY_BYTES: u64 = 1024 * 1024;

/// A redis-rs connection over a socket readyctl opened and capped.
pub(super) struct Conn {
    pub(crate) con: redis::aio::MultiplexedConnection,
    driver: tokio::task::JoinHandle<()>,
}

impl Drop for Conn {
    fn drop(&mut self) {
        self.driver.abort();
    }
}

/// Why [`open`] failed.
pub(super) enum OpenError {
    /// A setting readyctl cannot use (the check is an `error`).
    Setup(String),
    /// The TLS handshake failed.
    Tls(std::io::Error),
    /// redis-rs's own setup (AUTH, SELECT) failed.
    Redis(redis::RedisError),
}

/// Speaks Redis over `tcp` through [`Capped`](crate::support::limit::Capped):
/// redis-rs would open its own socket with no limit on what it buffers, so
/// readyctl connects (and makes the TLS connection, over the cap, for
/// `rediss://`) and hands redis-rs the stream. `over` is set when the server
/// sent more than [`MAX_REPLY_BYTES`].
pub(super) async fn open(
    u: &url::Url,
    ca: Option<&Path>,
    tcp: tokio::net::TcpStream,
    cfg: redis::AsyncConnectionConfig,
    over: &Arc<AtomicBool>,
) -> Result<Conn, OpenError> {
    use redis::IntoConnectionInfo as _;
    let info = u
        .as_str()
        .into_connection_info()
        .map_err(|e| OpenError::Setup(format!("invalid Redis URL: {}", plain(&e))))?;
    let info = info.redis_settings().clone();
    let _ = tcp.set_nodelay(true);
    let stream =
        crate::support::limit::Capped::new(tcp, MAX_REPLY_BYTES).with_tripwire(over.clone());
    let (con, driver) = if u.scheme() == "rediss" {
        let config = tls_config(ca, u.fragment() == Some("insecure")).map_err(OpenError::Setup)?;
        let host = u.host_str().unwrap_or_default().trim_matches(['[', ']']);
        let name = rustls_pki_types::ServerName::try_from(host.to_string())
            .map_err(|e| OpenError::Setup(format!("`{host}` is not a TLS server name: {e}")))?;
        let tls = tokio_rustls::TlsConnector::from(Arc::new(config))
            .connect(name, stream)
            .await
            .map_err(OpenError::Tls)?;
        let (con, driver) = redis::aio::MultiplexedConnection::new_with_config(&info, tls, cfg)
            .await
            .map_err(OpenError::Redis)?;
        (con, tokio::spawn(driver))
    } else {
        let (con, driver) = redis::aio::MultiplexedConnection::new_with_config(&info, stream, cfg)
            .await
            .map_err(OpenError::Redis)?;
        (con, tokio::spawn(driver))
    };
    Ok(Conn { con, driver })
}

/// The one trust store (system roots plus `ca_file`); with `insecure`
/// (`rediss://…#insecure`) any certificate is accepted, but the handshake's
/// signatures are still checked.
fn tls_config(ca: Option<&Path>, insecure: bool) -> Result<rustls::ClientConfig, String> {
    crate::tls::install_provider();
    let roots = Arc::new(crate::tls::trust_roots(ca)?);
    let config = rustls::ClientConfig::builder();
    if !insecure {
        return Ok(config.with_root_certificates(roots).with_no_client_auth());
    }
    let inner = rustls::client::WebPkiServerVerifier::builder(roots)
        .build()
        .map_err(|e| format!("cannot set up TLS verification: {e}"))?;
    Ok(config
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(AnyCertificate(inner)))
        .with_no_client_auth())
}

/// `#insecure`: the certificate is not judged; signatures are.
#[derive(Debug)]
struct AnyCertificate(Arc<rustls::client::WebPkiServerVerifier>);

impl rustls::client::danger::ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &rustls_pki_types::CertificateDer<'_>,
        _intermediates: &[rustls_pki_types::CertificateDer<'_>],
        _server_name: &rustls_pki_types::ServerName<'_>,
        _ocsp_response: &[u8],
        _now: rustls_pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &rustls_pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &rustls_pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

/// A TLS handshake error in one line.
pub(super) fn tls_reason(e: &std::io::Error) -> String {
    let text = e.to_string();
    crate::redact::mask_shapes(text.lines().next().unwrap_or_default())
}

/// The server sent more than [`MAX_REPLY_BYTES`].
pub(super) fn too_large(addr: &str) -> Outcome {
    unreachable(format!(
        "{addr} sent more than {} of replies on one connection (a real server's INFO is a few KiB); readyctl stopped reading",
        crate::support::fs::human_bytes(MAX_REPLY_BYTES)
    ))
}

pub(super) fn unreachable(message: String) -> Outcome {
    Outcome::fail(message.clone())
        .with_findings(vec![Finding::new(message).code("redis/unreachable")])
}

pub(super) fn is_noauth(e: &redis::RedisError) -> bool {
    e.code() == Some("NOAUTH") || e.to_string().contains("NOAUTH")
}

/// A RedisError as one line, with no URL in it.
pub(super) fn plain(e: &redis::RedisError) -> String {
    // Parser errors span several lines ("Parse error at 1\nUnexpected `62`"):
    // a reason is one line.
    let text = e.to_string();
    let first = text.lines().next().unwrap_or_default();
    crate::redact::mask_shapes(first)
}

pub(super) fn connect_failure(
    addr: &str,
    user: &str,
    u: &url::Url,
    e: &redis::RedisError,
) -> Outcome {
    let text = e.to_string();
    let message = if is_noauth(e) {
        format!("{addr} requires a password (NOAUTH) and the URL gives none")
    } else if e.code() == Some("WRONGPASS")
        || text.contains("WRONGPASS")
        || e.kind() == redis::ErrorKind::AuthenticationFailed
        || text.contains("invalid password")
    {
        if u.password().is_none() {
            format!(
                "authentication failed at {addr}: the server wants credentials and the URL gives none"
            )
        } else {
            format!(
                "authentication failed at {addr} for user `{user}`: wrong password or unknown user (WRONGPASS)"
            )
        }
    } else if e.is_connection_refusal() {
        format!("{addr}: connection refused (nothing listens there)")
    } else if e.kind() == redis::ErrorKind::Parse || text.contains("Parse error") {
        format!("{addr} answered with bytes that are not the Redis protocol (RESP)")
    } else if e.is_connection_dropped() || text.contains("reset by peer") {
        format!("{addr}: connection reset or closed by the server before it answered")
    } else if text.to_ascii_lowercase().contains("tls") || text.contains("certificate") {
        format!("TLS with {addr} failed: {}", plain(e))
    } else {
        format!("cannot talk to Redis at {addr}: {}", plain(e))
    };
    let code = if message.contains("authentication") || message.contains("NOAUTH") {
        "redis/auth"
    } else {
        "redis/unreachable"
    };
    Outcome::fail(message.clone()).with_findings(vec![Finding::new(message).code(code)])
}
