//! Opening a live PostgreSQL connection: the DSN (libpq's TLS parameters
//! taken out, credentials from the target), a TCP connect, the startup
//! handshake over a capped stream, libpq's TLS modes on rustls, and every
//! failure turned into one plain reason with its finding code.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio_postgres::Client;
use tokio_postgres::config::{Host, SslMode};
use tokio_postgres::error::SqlState;
use tokio_postgres::tls::MakeTlsConnect;

use super::{Tls, TlsMode};
use crate::kinds::{Outcome, RunContext};
use crate::report::Finding;

/// Most bytes read from one PostgreSQL connection (all messages together);
/// more fails the check plainly. See `docs/limits.md`.
pub(crate) const MAX_CONNECTION_BYTES: u64 = 64 * 1024 * 1024;

/// The password inside a DSN, for masking.
pub(super) fn dsn_password(dsn: &str) -> Option<String> {
    let cfg: tokio_postgres::Config = strip_ssl_params(dsn).0.parse().ok()?;
    cfg.get_password()
        .map(|p| String::from_utf8_lossy(p).into_owned())
}

/// Removes `sslmode`, `sslrootcert`, … from a DSN (tokio-postgres refuses
/// libpq's verify modes) and returns them.
pub(super) fn strip_ssl_params(dsn: &str) -> (String, Option<String>, Option<String>) {
    let dsn = dsn.trim();
    if dsn.starts_with("postgres://") || dsn.starts_with("postgresql://") {
        let Some((base, query)) = dsn.split_once('?') else {
            return (dsn.to_string(), None, None);
        };
        let (mut mode, mut root) = (None, None);
        let kept: Vec<&str> = query
            .split('&')
            .filter(|kv| {
                let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
                match k {
                    "sslmode" => {
                        mode = Some(v.to_string());
                        false
                    }
                    "sslrootcert" => {
                        root = Some(
                            percent_encoding::percent_decode_str(v)
                                .decode_utf8_lossy()
                                .into_owned(),
                        );
                        false
                    }
                    "sslcert" | "sslkey" | "sslcrl" | "sslnegotiation" => false,
                    _ => true,
                }
            })
            .collect();
        let out = if kept.is_empty() {
            base.to_string()
        } else {
            format!("{base}?{}", kept.join("&"))
        };
        return (out, mode, root);
    }
    let (mut mode, mut root) = (None, None);
    let kept: Vec<&str> = dsn
        .split_whitespace()
        .filter(|kv| match kv.split_once('=') {
            Some(("sslmode", v)) => {
                mode = Some(v.trim_matches('\'').to_string());
                false
            }
            Some(("sslrootcert", v)) => {
                root = Some(v.trim_matches('\'').to_string());
                false
            }
            Some(("sslcert" | "sslkey" | "sslcrl", _)) => false,
            _ => true,
        })
        .collect();
    (kept.join(" "), mode, root)
}

/// A connected client and how the connection was made.
struct Connected {
    client: Client,
    /// Set when `prefer` fell back to plaintext.
    plaintext_fallback: bool,
    /// Why the server's certificate did not verify, when a weaker libpq
    /// mode (`prefer`, `require`, `verify-ca`) accepted it anyway.
    unverified: Option<String>,
}

/// A failed connection: a plain reason and its finding code.
struct ConnectError {
    message: String,
    code: &'static str,
}

impl ConnectError {
    fn new(code: &'static str, message: String) -> Self {
        ConnectError { message, code }
    }
}

/// An open connection, what it is called in messages, the check's time
/// budget, and what the connection itself showed (TLS not verified,
/// plaintext fallback).
pub(super) struct Session {
    pub(crate) client: Client,
    /// `host:port/database`.
    pub(crate) label: String,
    /// The check's timeout less a margin to report in.
    pub(crate) budget: Duration,
    started: Instant,
    /// Warnings about how the connection was made.
    pub(crate) notes: Vec<Finding>,
}

impl Session {
    /// What is left of the budget (never zero, so a timeout still runs).
    pub(crate) fn left(&self) -> Duration {
        self.budget
            .saturating_sub(self.started.elapsed())
            .max(Duration::from_millis(10))
    }
}

/// Parses the DSN, adds the target's credentials, connects with `tls`.
/// A DSN readyctl cannot use is an `error`; a connection that fails is a
/// `fail` with the reason's code.
pub(super) async fn open(
    cx: &RunContext,
    url: &str,
    target: Option<&crate::kinds::Target>,
    tls: &Tls,
) -> Result<Session, Box<Outcome>> {
    crate::tls::install_provider();
    let (dsn, _, _) = strip_ssl_params(url);
    let mut config: tokio_postgres::Config = match dsn.parse() {
        Ok(c) => c,
        Err(e) => {
            return Err(Box::new(Outcome::error(format!(
                "the PostgreSQL DSN is not valid: {}",
                crate::redact::mask_shapes(&e.to_string())
            ))));
        }
    };
    if let Some(t) = target {
        if let Some(u) = &t.username
            && config.get_user().is_none()
        {
            config.user(u);
        }
        if let Some(p) = &t.password
            && config.get_password().is_none()
        {
            config.password(p);
        }
    }
    if let Some(p) = config.get_password() {
        cx.redactor.add(String::from_utf8_lossy(p).into_owned());
    }
    config.application_name("readyctl");
    let host = match config.get_hosts().first() {
        Some(Host::Tcp(h)) => h.clone(),
        #[cfg(unix)]
        Some(Host::Unix(p)) => {
            return Err(Box::new(Outcome::error(format!(
                "Unix-socket hosts ({}) are not supported; connect over TCP (host=127.0.0.1)",
                p.display()
            ))));
        }
        None => "localhost".to_string(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let user = config.get_user().unwrap_or("postgres").to_string();
    let db = config.get_dbname().unwrap_or(&user).to_string();
    let addr = if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    };
    let label = format!("{addr}/{db}");
    let budget = cx
        .timeout
        .saturating_sub(Duration::from_millis(100))
        .max(Duration::from_millis(100));
    config.connect_timeout(budget);
    let started = Instant::now();
    let left = || {
        budget
            .saturating_sub(started.elapsed())
            .max(Duration::from_millis(10))
    };

    let ca = tls.ca_file.as_ref().map(|p| cx.path(p));
    let connected = match connect(
        &config,
        &host,
        &addr,
        &user,
        &db,
        tls.mode,
        ca.as_deref(),
        budget,
        left,
    )
    .await
    {
        Ok(c) => c,
        Err(e) => {
            return Err(Box::new(
                Outcome::fail(e.message.clone())
                    .with_findings(vec![Finding::new(e.message).code(e.code)]),
            ));
        }
    };
    let mut notes = Vec::new();
    if let Some(why) = &connected.unverified {
        notes.push(
            Finding::new(format!(
                "TLS to {addr} is not verified: {why}, and tls: {} accepts it",
                mode_name(tls.mode)
            ))
            .code("postgres/tls-unverified")
            .hint("give the server's CA with `ca_file:` and use `tls: verify-full`"),
        );
    }
    if connected.plaintext_fallback {
        notes.push(
            Finding::new(format!(
                "{addr} does not offer TLS: connected in plaintext (tls: prefer)"
            ))
            .code("postgres/tls")
            .hint("enable ssl on the server, or say `tls: disable` if plaintext is intended"),
        );
    }
    Ok(Session {
        client: connected.client,
        label,
        budget,
        started,
        notes,
    })
}

/// A server error's own message (`relation "x" does not exist`), or the error chain.
pub(super) fn db_error_text(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => db.message().to_string(),
        None => crate::redact::mask_shapes(&error_chain(e)),
    }
}

fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = vec![e.to_string()];
    let mut cur = e.source();
    while let Some(s) = cur {
        let t = s.to_string();
        if !parts.iter().any(|p| p.contains(&t)) {
            parts.push(t);
        }
        cur = s.source();
    }
    parts.join(": ")
}

#[allow(
    clippy::too_many_arguments,
    reason = "one call site; the values are the connection's identity"
)]
async fn connect(
    config: &tokio_postgres::Config,
    host: &str,
    addr: &str,
    user: &str,
    db: &str,
    mode: TlsMode,
    ca: Option<&Path>,
    budget: Duration,
    left: impl Fn() -> Duration,
) -> Result<Connected, ConnectError> {
    let verdict: Verdict = Arc::default();
    let tls_config = match mode {
        TlsMode::Disable => None,
        _ => Some(
            rustls_config(mode, ca, verdict.clone())
                .map_err(|e| ConnectError::new("postgres/tls", e))?,
        ),
    };
    let first = match &tls_config {
        None => attempt(config, host, addr, user, db, None, budget, &left).await,
        Some(c) => attempt(config, host, addr, user, db, Some(c.clone()), budget, &left).await,
    };
    match first {
        Err(Failure::NoServerTls) if mode == TlsMode::Prefer => {
            let client = attempt(config, host, addr, user, db, None, budget, &left)
                .await
                .map_err(|f| f.into_error(addr, mode))?;
            Ok(Connected {
                client,
                plaintext_fallback: true,
                unverified: None,
            })
        }
        Err(f) => Err(f.into_error(addr, mode)),
        Ok(client) => Ok(Connected {
            client,
            plaintext_fallback: false,
            unverified: match &tls_config {
                Some(_) => verdict.lock().unwrap_or_else(|e| e.into_inner()).take(),
                None => None,
            },
        }),
    }
}

enum Failure {
    NoServerTls,
    Reason(ConnectError),
}

impl Failure {
    fn into_error(self, addr: &str, mode: TlsMode) -> ConnectError {
        match self {
            Failure::NoServerTls => ConnectError::new(
                "postgres/tls",
                format!(
                    "{addr} does not offer TLS, and tls: {} requires it",
                    mode_name(mode)
                ),
            ),
            Failure::Reason(e) => e,
        }
    }
}

pub(super) fn mode_name(m: TlsMode) -> &'static str {
    match m {
        TlsMode::Disable => "disable",
        TlsMode::Prefer => "prefer",
        TlsMode::Require => "require",
        TlsMode::VerifyCa => "verify-ca",
        TlsMode::VerifyFull => "verify-full",
    }
}

#[allow(clippy::too_many_arguments, reason = "internal helper of `connect`")]
async fn attempt(
    config: &tokio_postgres::Config,
    host: &str,
    addr: &str,
    user: &str,
    db: &str,
    tls: Option<rustls::ClientConfig>,
    budget: Duration,
    left: &impl Fn() -> Duration,
) -> Result<Client, Failure> {
    let fmt_d = |d: Duration| {
        humantime::format_duration(Duration::from_millis(d.as_millis() as u64)).to_string()
    };
    let stream = match tokio::time::timeout(left(), tokio::net::TcpStream::connect(addr)).await {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => {
            return Err(Failure::Reason(ConnectError::new(
                "postgres/unreachable",
                crate::support::net::describe_connect_error(addr, &e),
            )));
        }
        Err(_) => {
            return Err(Failure::Reason(ConnectError::new(
                "postgres/unreachable",
                format!("connect to {addr} timed out after {}", fmt_d(budget)),
            )));
        }
    };
    // `connect_raw` does not set TCP_NODELAY (tokio-postgres's own connect
    // does): without it the TLS handshake and the SCRAM exchange meet
    // Nagle's algorithm and delayed ACKs, a ~40 ms stall per connection.
    let _ = stream.set_nodelay(true);
    // tokio-postgres buffers a whole declared message (up to 2 GiB) before
    // parsing it: the cap sits under it, on the connection.
    let stream = crate::support::limit::Capped::new(stream, MAX_CONNECTION_BYTES);
    let mut config = config.clone();
    let result = match tls {
        None => {
            config.ssl_mode(SslMode::Disable);
            tokio::time::timeout(left(), async {
                let (client, conn) = config.connect_raw(stream, tokio_postgres::NoTls).await?;
                tokio::spawn(conn);
                Ok::<_, tokio_postgres::Error>(client)
            })
            .await
        }
        Some(c) => {
            config.ssl_mode(SslMode::Require);
            let mut make = tokio_postgres_rustls::MakeRustlsConnect::new(c);
            let connector = <tokio_postgres_rustls::MakeRustlsConnect as MakeTlsConnect<
                crate::support::limit::Capped<tokio::net::TcpStream>,
            >>::make_tls_connect(&mut make, host);
            let connector = match connector {
                Ok(c) => c,
                Err(e) => {
                    return Err(Failure::Reason(ConnectError::new(
                        "postgres/tls",
                        format!("cannot set up TLS for host {host}: {e}"),
                    )));
                }
            };
            tokio::time::timeout(left(), async {
                let (client, conn) = config.connect_raw(stream, connector).await?;
                tokio::spawn(conn);
                Ok::<_, tokio_postgres::Error>(client)
            })
            .await
        }
    };
    match result {
        Err(_) => Err(Failure::Reason(ConnectError::new(
            "postgres/unreachable",
            format!(
                "{addr} accepted the connection but did not complete the PostgreSQL handshake within {}",
                fmt_d(budget)
            ),
        ))),
        Ok(Ok(client)) => Ok(client),
        Ok(Err(e)) => Err(classify(&e, addr, user, db)),
    }
}

fn classify(e: &tokio_postgres::Error, addr: &str, user: &str, db: &str) -> Failure {
    let chain = error_chain(e);
    if let Some(dbe) = e.as_db_error() {
        let code = dbe.code();
        let (c, m) = if *code == SqlState::INVALID_PASSWORD {
            (
                "postgres/auth",
                format!("password authentication failed for user `{user}` at {addr}"),
            )
        } else if *code == SqlState::INVALID_AUTHORIZATION_SPECIFICATION {
            (
                "postgres/auth",
                format!(
                    "{addr} rejects user `{user}` for database `{db}` ({})",
                    dbe.message()
                ),
            )
        } else if *code == SqlState::INVALID_CATALOG_NAME {
            (
                "postgres/database",
                format!("database `{db}` does not exist on {addr}"),
            )
        } else if *code == SqlState::TOO_MANY_CONNECTIONS {
            (
                "postgres/unreachable",
                format!("{addr} refuses new connections: too many clients"),
            )
        } else if *code == SqlState::CANNOT_CONNECT_NOW {
            (
                "postgres/unreachable",
                format!("{addr} is starting up or shutting down: {}", dbe.message()),
            )
        } else {
            (
                "postgres/unreachable",
                format!("{addr} refused the connection: {}", dbe.message()),
            )
        };
        return Failure::Reason(ConnectError::new(c, m));
    }
    if chain.contains("does not support TLS") {
        return Failure::NoServerTls;
    }
    if chain.contains("password missing") {
        return Failure::Reason(ConnectError::new(
            "postgres/auth",
            format!("{addr} asks user `{user}` for a password and the DSN gives none"),
        ));
    }
    if chain.contains("reset by peer") || chain.contains("connection closed") {
        return Failure::Reason(ConnectError::new(
            "postgres/unreachable",
            format!(
                "{addr}: connection reset or closed by the server during the PostgreSQL handshake"
            ),
        ));
    }
    if chain.contains("unexpected message") || chain.contains("invalid message") {
        return Failure::Reason(ConnectError::new(
            "postgres/unreachable",
            format!("{addr} answered with bytes that are not the PostgreSQL protocol"),
        ));
    }
    if chain.contains("TLS") || chain.contains("certificate") || chain.contains("peer") {
        let why = if chain.contains("NotValidForName") {
            "the server certificate is not valid for this host name"
        } else if chain.contains("UnknownIssuer") || chain.contains("BadSignature") {
            "the server certificate is not signed by a trusted CA (give `ca_file`)"
        } else if chain.contains("Expired") {
            "the server certificate has expired"
        } else {
            "the TLS handshake failed"
        };
        return Failure::Reason(ConnectError::new(
            "postgres/tls",
            format!(
                "TLS with {addr} failed: {why} ({})",
                crate::redact::mask_shapes(&chain)
            ),
        ));
    }
    Failure::Reason(ConnectError::new(
        "postgres/unreachable",
        format!(
            "cannot connect to PostgreSQL at {addr}: {}",
            crate::redact::mask_shapes(&chain)
        ),
    ))
}

/// A rustls client config for a libpq TLS mode.
fn rustls_config(
    mode: TlsMode,
    ca: Option<&Path>,
    verdict: Verdict,
) -> Result<rustls::ClientConfig, String> {
    use rustls::client::WebPkiServerVerifier;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let roots = crate::tls::trust_roots(ca)?;
    let webpki = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .map_err(|e| format!("cannot build the TLS verifier: {e}"))?;
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS setup failed: {e}"))?;
    let config = match mode {
        TlsMode::VerifyFull => builder.with_webpki_verifier(webpki).with_no_client_auth(),
        _ => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(LibpqVerifier {
                inner: webpki,
                check_chain: mode == TlsMode::VerifyCa,
                verdict,
            }))
            .with_no_client_auth(),
    };
    Ok(config)
}

/// libpq's weaker modes: `require`/`prefer` accept any certificate;
/// `verify-ca` verifies the chain but not the host name.
#[derive(Debug)]
struct LibpqVerifier {
    inner: Arc<rustls::client::WebPkiServerVerifier>,
    check_chain: bool,
    /// Records why full verification failed when the mode accepted the
    /// certificate anyway, so the check can warn.
    verdict: Verdict,
}

/// Why a certificate accepted by a weak libpq mode did not verify.
type Verdict = Arc<std::sync::Mutex<Option<String>>>;

fn describe_cert_error(e: &rustls::Error) -> String {
    use rustls::{CertificateError, Error};
    match e {
        // BadSignature: an untrusted CA whose name matches one in the system
        // store (Debian's snakeoil "CN=localhost").
        Error::InvalidCertificate(
            CertificateError::UnknownIssuer | CertificateError::BadSignature,
        ) => "the certificate is not signed by a trusted CA".to_string(),
        Error::InvalidCertificate(
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
        ) => "the certificate is not valid for this host name".to_string(),
        Error::InvalidCertificate(
            CertificateError::Expired | CertificateError::ExpiredContext { .. },
        ) => "the certificate has expired".to_string(),
        other => format!("the certificate does not verify ({other})"),
    }
}

impl rustls::client::danger::ServerCertVerifier for LibpqVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &rustls_pki_types::CertificateDer<'_>,
        intermediates: &[rustls_pki_types::CertificateDer<'_>],
        server_name: &rustls_pki_types::ServerName<'_>,
        ocsp_response: &[u8],
        now: rustls_pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        use rustls::{CertificateError, Error};
        let full = self.inner.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        );
        let Err(e) = full else {
            return full;
        };
        let name_only = matches!(
            e,
            Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )
        );
        if self.check_chain && !name_only {
            return Err(e);
        }
        *self.verdict.lock().unwrap_or_else(|p| p.into_inner()) = Some(describe_cert_error(&e));
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &rustls_pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &rustls_pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn libpq_ssl_parameters_are_taken_out_of_the_dsn() {
        let (dsn, mode, root) = strip_ssl_params(
            "postgres://u:p@h:5432/db?sslmode=verify-full&application_name=x&sslrootcert=%2Fca.pem",
        );
        assert_eq!(dsn, "postgres://u:p@h:5432/db?application_name=x");
        assert_eq!(mode.as_deref(), Some("verify-full"));
        assert_eq!(root.as_deref(), Some("/ca.pem"));
        let (dsn, mode, _) = strip_ssl_params("host=h user=u sslmode=verify-ca dbname=d");
        assert_eq!(
            (dsn.as_str(), mode.as_deref()),
            ("host=h user=u dbname=d", Some("verify-ca"))
        );
        assert!(dsn.parse::<tokio_postgres::Config>().is_ok());
        assert_eq!(
            dsn_password("postgres://u:s3cret@h/db?sslmode=verify-full").as_deref(),
            Some("s3cret")
        );
    }
}
