//! `tls`: the certificate a TLS port presents — chain and hostname verified
//! against the system roots (or a CA file), days left before `notAfter`, the
//! negotiated protocol version. The handshake is always allowed to finish
//! (a recording verifier keeps the verdict), so a bad certificate is still
//! reported with its subject, issuer, SANs and dates.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, RootCertStore, SignatureScheme};
use serde::Deserialize;

use super::{CheckKind, Code, Outcome, RunContext, SpecProblem};
use crate::report::Finding;
use crate::support::net::{describe_connect_error, split_host_port};

/// A TLS certificate check.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct TlsCheck {
    /// `host:port`.
    pub(crate) address: Option<String>,
    /// `https://host[:port]` (or any URL with a host; port defaults to 443).
    pub(crate) url: Option<String>,
    /// A catalogue target with a url or host and port.
    pub(crate) target: Option<String>,
    /// Name to send as SNI and to verify (default: the host).
    pub(crate) server_name: Option<String>,
    /// Extra CA certificates (PEM) trusted besides the system roots.
    pub(crate) ca_file: Option<PathBuf>,
    /// Fail when fewer days than this remain (default 14).
    #[serde(default = "default_min_days")]
    pub(crate) min_days: u32,
    /// Warn when fewer days than this remain (default 30).
    #[serde(default = "default_warn_days")]
    pub(crate) warn_days: u32,
    /// Minimum protocol version: `1.2` (default) or `1.3`.
    pub(crate) min_protocol: Option<String>,
}

fn default_min_days() -> u32 {
    14
}
fn default_warn_days() -> u32 {
    30
}

impl CheckKind for TlsCheck {
    const NAME: &'static str = "tls";
    const SUMMARY: &'static str =
        "a TLS certificate: chain, hostname, days before expiry, protocol version";
    const CODES: &'static [Code] = &[
        Code::fail("tls/expired", "the certificate's `notAfter` is in the past"),
        Code::fail(
            "tls/wrong-hostname",
            "the certificate is not valid for the name (its SANs are shown)",
        ),
        Code::fail(
            "tls/self-signed",
            "the certificate signs itself and is not trusted",
        ),
        Code::fail(
            "tls/unknown-issuer",
            "the chain does not lead to a trusted root (system roots plus `ca_file`)",
        ),
        Code::fail(
            "tls/untrusted",
            "the certificate is not trusted for another reason (the verifier's words are shown)",
        ),
        Code::fail(
            "tls/expires-soon",
            "fewer than `min_days` left (fails), or fewer than `warn_days` (the check ends in `warn`); the date is shown",
        ),
        Code::info(
            "tls/certificate",
            "what the certificate is (subject, issuer, validity, SANs), on every outcome",
        ),
    ];
    const DOCS: &'static str = r#"# tls

## What it checks
Connects to `host:port` with SNI, verifies the certificate chain and the
host name against the system's trusted roots (plus a CA file if given), and
reports the certificate's subject, issuer, SANs and `notAfter`. It fails when
the certificate is not trusted (with distinct reasons: expired, wrong host
name, self-signed, unknown issuer), when fewer than `min_days` remain, or
when the server cannot speak `min_protocol`; it warns when fewer than
`warn_days` remain.

## Why it matters
The checklist requires HTTPS with a valid certificate. An expired certificate
takes the whole site down for every user at once, on a date known months
ahead.

## Example
```yaml
- id: tls.api-certificate
  kind: tls
  title: API certificate is valid for at least 14 more days
  address: api.example.com:443
  min_days: 14
  warn_days: 30
  min_protocol: "1.2"
```

## Fields
| field | type | meaning |
|---|---|---|
| `address` | `host:port` | where to connect |
| `url` | URL | alternatively, `https://host[:port]` |
| `target` | name | a catalogue target with `url` or `host`/`port` (its `ca_file` is used) |
| `server_name` | string | SNI and name to verify (default: the host) |
| `ca_file` | path | PEM CA certificates trusted besides the system roots |
| `min_days` | number | fail below this many days left (default 14) |
| `warn_days` | number | warn below this many days left (default 30) |
| `min_protocol` | `1.2`, `1.3` | minimum TLS version the server must accept (default 1.2) |

## Findings
A server that does not accept `min_protocol`, or with which no TLS handshake
could be made (`refused`, `timed out`), fails the check with that reason and
no finding.
"#;

    fn validate(&self) -> Vec<SpecProblem> {
        let mut p = Vec::new();
        let given = [
            self.address.is_some(),
            self.url.is_some(),
            self.target.is_some(),
        ]
        .iter()
        .filter(|b| **b)
        .count();
        if given != 1 {
            p.push(SpecProblem::new(
                "address",
                "give exactly one of `address: host:port`, `url` or `target`",
            ));
        }
        if let Some(a) = &self.address
            && split_host_port(a).is_none()
        {
            p.push(SpecProblem::new(
                "address",
                format!("`{a}` is not host:port"),
            ));
        }
        if let Some(v) = &self.min_protocol
            && !matches!(v.as_str(), "1.2" | "1.3")
        {
            p.push(SpecProblem::new(
                "min_protocol",
                format!("`{v}` is not a TLS version readyctl can require (1.2 or 1.3)"),
            ));
        }
        if self.warn_days < self.min_days {
            p.push(SpecProblem::new(
                "warn_days",
                "`warn_days` must be at least `min_days`",
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
        crate::tls::install_provider();
        let (host, port, target_ca) = match self.resolve(cx) {
            Ok(x) => x,
            Err(e) => return Outcome::error(e),
        };
        let name = self.server_name.clone().unwrap_or_else(|| host.clone());
        let ca_file = self.ca_file.clone().or(target_ca);
        let roots = match crate::tls::trust_roots(ca_file.as_ref().map(|p| cx.path(p)).as_deref()) {
            Ok(r) => r,
            Err(e) => return Outcome::error(e),
        };
        let address = if host.contains(':') {
            format!("[{host}]:{port}")
        } else {
            format!("{host}:{port}")
        };
        let budget = super::http_client::budget(cx);
        let require13 = self.min_protocol.as_deref() == Some("1.3");
        let probe = match tokio::time::timeout(budget, handshake(&address, &name, roots, require13))
            .await
        {
            Ok(Ok(p)) => p,
            Ok(Err(e)) => return Outcome::fail(e),
            Err(_) => {
                return Outcome::fail(format!(
                    "{address}: TLS handshake timed out after {}",
                    humantime::format_duration(budget)
                ));
            }
        };
        evaluate(
            &probe,
            &address,
            &name,
            self.min_days,
            self.warn_days,
            now_secs(),
        )
    }
}

impl TlsCheck {
    fn resolve(&self, cx: &RunContext) -> Result<(String, u16, Option<PathBuf>), String> {
        if let Some(a) = &self.address {
            let (h, p) = split_host_port(a).ok_or_else(|| format!("`{a}` is not host:port"))?;
            return Ok((h, p, None));
        }
        let (url, ca, host_port) = match (&self.url, &self.target) {
            (Some(u), _) => (Some(cx.expand(u)), None, None),
            (None, Some(name)) => {
                let t = cx.target(name)?;
                (
                    t.url.as_ref().map(|u| cx.expand(u)),
                    t.ca_file.clone(),
                    t.host.clone().zip(t.port),
                )
            }
            (None, None) => return Err("give `address`, `url` or `target`".into()),
        };
        if let Some((h, p)) = host_port {
            return Ok((h, p, ca));
        }
        let url = url.ok_or("the target has no url and no host/port")?;
        let u = url::Url::parse(&url).map_err(|e| format!("invalid URL: {e}"))?;
        let host = u
            .host_str()
            .ok_or("the URL has no host")?
            .trim_matches(['[', ']'])
            .to_string();
        let port = u.port().unwrap_or(443);
        Ok((host, port, ca))
    }
}

fn now_secs() -> i64 {
    jiff::Timestamp::now().as_second()
}

/// What a handshake showed.
#[derive(Debug)]
pub(crate) struct Probe {
    /// The verifier's verdict (`None`: trusted).
    pub(crate) verdict: Option<rustls::Error>,
    /// The chain as sent, leaf first.
    pub(crate) chain: Vec<CertificateDer<'static>>,
    /// Negotiated version, e.g. `TLSv1_3`.
    pub(crate) version: Option<String>,
}

/// Wraps webpki's verifier: records its verdict and lets the handshake
/// finish so the certificate can be reported even when it is not trusted.
#[derive(Debug)]
struct Recording {
    inner: Arc<WebPkiServerVerifier>,
    verdict: Arc<Mutex<Option<rustls::Error>>>,
}

impl ServerCertVerifier for Recording {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let r = self.inner.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        );
        if let Err(e) = r {
            *self.verdict.lock().unwrap_or_else(|p| p.into_inner()) = Some(e);
        }
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// Connects and handshakes; transport failures come back as plain reasons.
pub(crate) async fn handshake(
    address: &str,
    name: &str,
    roots: RootCertStore,
    require13: bool,
) -> Result<Probe, String> {
    let inner = WebPkiServerVerifier::builder(Arc::new(roots))
        .build()
        .map_err(|e| format!("cannot build a certificate verifier: {e}"))?;
    let verdict = Arc::new(Mutex::new(None));
    let verifier = Recording {
        inner,
        verdict: verdict.clone(),
    };
    let versions: &[&rustls::SupportedProtocolVersion] = if require13 {
        &[&rustls::version::TLS13]
    } else {
        &[&rustls::version::TLS13, &rustls::version::TLS12]
    };
    let config = rustls::ClientConfig::builder_with_protocol_versions(versions)
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    let server_name = ServerName::try_from(name.to_string())
        .map_err(|_| format!("`{name}` is not a valid TLS server name"))?;
    let tcp = tokio::net::TcpStream::connect(address)
        .await
        .map_err(|e| describe_connect_error(address, &e))?;
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let stream = connector.connect(server_name, tcp).await.map_err(|e| {
        let text = e.to_string();
        if require13 && (text.contains("ProtocolVersion") || text.contains("protocol version")) {
            format!("{address}: the server does not accept TLS 1.3 (required: min_protocol 1.3)")
        } else if text.contains("HandshakePayloadTooLarge") {
            // rustls's own bound (64 KiB per handshake message): a chain of
            // thousands of certificates, not a port that speaks no TLS.
            format!(
                "{address}: TLS handshake failed: the server's handshake message (its certificate chain) is larger than the 64 KiB a TLS client accepts; readyctl stopped reading"
            )
        } else if text.contains("corrupt message") || text.contains("InvalidContentType") {
            format!("{address}: TLS handshake failed: the server did not answer with TLS (not a TLS port?)")
        } else if e.kind() == std::io::ErrorKind::ConnectionReset {
            format!("{address}: TLS handshake failed: connection reset by the server")
        } else {
            format!("{address}: TLS handshake failed: {text}")
        }
    })?;
    let conn = stream.get_ref().1;
    let chain = conn
        .peer_certificates()
        .map(|c| c.iter().map(|d| d.clone().into_owned()).collect())
        .unwrap_or_default();
    let version = conn.protocol_version().map(|v| match v {
        rustls::ProtocolVersion::TLSv1_3 => "TLS 1.3".to_string(),
        rustls::ProtocolVersion::TLSv1_2 => "TLS 1.2".to_string(),
        other => format!("{other:?}"),
    });
    let verdict = verdict.lock().unwrap_or_else(|p| p.into_inner()).take();
    Ok(Probe {
        verdict,
        chain,
        version,
    })
}

/// Facts read from the leaf certificate.
#[derive(Debug, Default)]
pub(crate) struct Leaf {
    /// Subject DN.
    pub(crate) subject: String,
    /// Issuer DN.
    pub(crate) issuer: String,
    /// DNS and IP SANs.
    pub(crate) sans: Vec<String>,
    /// `notAfter` as Unix seconds.
    pub(crate) not_after: i64,
    /// Subject equals issuer.
    pub(crate) self_signed: bool,
}

/// Parses the leaf certificate.
pub(crate) fn read_leaf(der: &[u8]) -> Result<Leaf, String> {
    let (_, cert) = x509_parser::parse_x509_certificate(der)
        .map_err(|e| format!("the certificate cannot be parsed: {e}"))?;
    let mut sans = Vec::new();
    if let Ok(Some(ext)) = cert.subject_alternative_name() {
        for g in &ext.value.general_names {
            match g {
                x509_parser::extensions::GeneralName::DNSName(d) => sans.push(d.to_string()),
                x509_parser::extensions::GeneralName::IPAddress(b) => match b.len() {
                    4 => sans.push(std::net::Ipv4Addr::new(b[0], b[1], b[2], b[3]).to_string()),
                    16 => {
                        let mut a = [0u8; 16];
                        a.copy_from_slice(b);
                        sans.push(std::net::Ipv6Addr::from(a).to_string());
                    }
                    _ => {}
                },
                _ => {}
            }
        }
    }
    Ok(Leaf {
        subject: cert.subject().to_string(),
        issuer: cert.issuer().to_string(),
        sans,
        not_after: cert.validity().not_after.timestamp(),
        self_signed: cert.subject().as_raw() == cert.issuer().as_raw(),
    })
}

/// Formats Unix seconds as `2026-11-20 12:00 UTC`.
pub(crate) fn date(secs: i64) -> String {
    jiff::Timestamp::from_second(secs)
        .map(|t| t.strftime("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_else(|_| secs.to_string())
}

/// Turns a probe into a verdict.
pub(crate) fn evaluate(
    probe: &Probe,
    address: &str,
    name: &str,
    min_days: u32,
    warn_days: u32,
    now: i64,
) -> Outcome {
    let Some(der) = probe.chain.first() else {
        return Outcome::fail(format!("{address}: the server sent no certificate"));
    };
    let leaf = match read_leaf(der) {
        Ok(l) => l,
        Err(e) => return Outcome::fail(format!("{address}: {e}")),
    };
    let days_left = (leaf.not_after - now).div_euclid(86_400);
    let until = date(leaf.not_after);
    let sans = if leaf.sans.is_empty() {
        "none".to_string()
    } else {
        leaf.sans.join(", ")
    };
    let describe = format!(
        "subject {}; issuer {}; SANs {sans}; notAfter {until}{}",
        leaf.subject,
        leaf.issuer,
        probe
            .version
            .as_ref()
            .map(|v| format!("; {v}"))
            .unwrap_or_default()
    );
    let mut findings = Vec::new();
    if let Some(err) = &probe.verdict {
        let (code, msg) = classify(err, &leaf, name, &until, now, &sans);
        findings.push(
            Finding::new(format!("{address}: {msg}"))
                .code(code)
                .expected_actual(
                    format!("a certificate trusted for {name}"),
                    describe.clone(),
                ),
        );
    } else if days_left < i64::from(min_days) {
        findings.push(
            Finding::new(format!(
                "{address}: certificate expires soon: {until}, {days_left} days left, expected at least {min_days}"
            ))
            .code("tls/expires-soon")
            .expected_actual(format!("≥ {min_days} days"), format!("{days_left} days (notAfter {until})")),
        );
    }
    let mut out = if findings.is_empty() {
        if days_left < i64::from(warn_days) {
            Outcome::warn(format!(
                "{address}: certificate expires {until} ({days_left} days left, warn below {warn_days})"
            ))
            .with_findings(vec![
                Finding::new(format!("certificate expires {until}"))
                    .code("tls/expires-soon")
                    .expected_actual(format!("≥ {warn_days} days"), format!("{days_left} days")),
            ])
        } else {
            Outcome::pass(format!(
                "{address}: trusted for {name}, {days_left} days left ({describe})"
            ))
        }
    } else {
        Outcome::judged(findings, <TlsCheck as crate::kinds::CheckKind>::CODES, "")
    };
    out.findings
        .push(Finding::new(format!("certificate: {describe}")).code("tls/certificate"));
    out.metric("days_left", days_left as f64)
}

fn classify(
    err: &rustls::Error,
    leaf: &Leaf,
    name: &str,
    until: &str,
    now: i64,
    sans: &str,
) -> (&'static str, String) {
    use CertificateError as C;
    let cert_err = match err {
        rustls::Error::InvalidCertificate(c) => Some(c),
        _ => None,
    };
    let name_wrong = matches!(
        cert_err,
        Some(C::NotValidForName | C::NotValidForNameContext { .. })
    );
    let expired =
        leaf.not_after < now || matches!(cert_err, Some(C::Expired | C::ExpiredContext { .. }));
    if expired {
        return ("tls/expired", format!("certificate expired on {until}"));
    }
    if name_wrong {
        return (
            "tls/wrong-hostname",
            format!("certificate is not valid for host name {name} (it names {sans})"),
        );
    }
    // A self-signed leaf is recognised from the certificate itself, not from
    // the error kind: a same-named cert in the system store (Debian's
    // snakeoil) turns UnknownIssuer into a signature error.
    if leaf.self_signed {
        return (
            "tls/self-signed",
            format!(
                "certificate is self-signed ({}) and not trusted",
                leaf.subject
            ),
        );
    }
    if matches!(cert_err, Some(C::UnknownIssuer)) {
        return (
            "tls/unknown-issuer",
            format!(
                "certificate issuer {} is not trusted (no chain to a trusted root)",
                leaf.issuer
            ),
        );
    }
    (
        "tls/untrusted",
        format!("certificate is not trusted: {err}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_by_certificate_facts_before_error_kind() {
        let leaf = Leaf {
            subject: "CN=localhost".into(),
            issuer: "CN=localhost".into(),
            sans: vec!["localhost".into()],
            not_after: 2_000_000_000,
            self_signed: true,
        };
        let e = rustls::Error::InvalidCertificate(CertificateError::BadSignature);
        let (code, _) = classify(&e, &leaf, "localhost", "x", 1_700_000_000, "localhost");
        assert_eq!(code, "tls/self-signed");
        let e = rustls::Error::InvalidCertificate(CertificateError::NotValidForName);
        let (code, msg) = classify(&e, &leaf, "other", "x", 1_700_000_000, "localhost");
        assert_eq!(code, "tls/wrong-hostname");
        assert!(msg.contains("localhost"));
        let (code, _) = classify(&e, &leaf, "other", "x", 2_100_000_000, "localhost");
        assert_eq!(code, "tls/expired");
    }

    #[test]
    fn dates_are_readable() {
        assert_eq!(date(0), "1970-01-01 00:00 UTC");
    }
}
