//! TLS plumbing shared by every kind that speaks TLS (HTTP, PostgreSQL,
//! Redis, Vault, raw TLS). One crypto provider (aws-lc-rs) for the whole
//! process: rustls panics when two are compiled in and none is chosen.
//!
//! Trust stores are loaded once per process: reading and parsing the
//! system's CA bundle costs ~19 M instructions (~5 ms), and a catalogue of
//! 200 HTTP checks used to do it 200 times, which made it CPU-bound.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex, Once};

use std::path::Path;

use rustls::RootCertStore;
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;

static INSTALL: Once = Once::new();

/// Installs aws-lc-rs as rustls's process-wide provider. Idempotent; call it
/// before building any `rustls::ClientConfig` (kinds do, so unit tests work
/// without going through `main`).
pub(crate) fn install_provider() {
    INSTALL.call_once(|| {
        // Err means another provider was installed first; that one serves as well.
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    });
}

/// The process-wide provider (installing aws-lc-rs first when none is).
fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    install_provider();
    rustls::crypto::CryptoProvider::get_default()
        .cloned()
        .unwrap_or_else(|| Arc::new(rustls::crypto::aws_lc_rs::default_provider()))
}

static NATIVE_ROOTS: LazyLock<Vec<CertificateDer<'static>>> =
    LazyLock::new(|| rustls_native_certs::load_native_certs().certs);

/// The system's trust anchors (`rustls-native-certs`), read once per process.
/// Empty when the system has none.
pub(crate) fn native_roots() -> &'static [CertificateDer<'static>] {
    &NATIVE_ROOTS
}

/// The one trust store of every TLS kind: the system's trust anchors
/// (webpki's bundled roots when the system has none) plus, when given, the
/// certificates of a PEM `ca_file` — in addition to, never instead of.
pub(crate) fn trust_roots(ca_file: Option<&Path>) -> Result<RootCertStore, String> {
    let mut roots = RootCertStore::empty();
    for c in native_roots() {
        let _ = roots.add(c.clone());
    }
    if roots.is_empty() {
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    }
    if let Some(path) = ca_file {
        for c in read_ca_file(path)? {
            roots
                .add(c)
                .map_err(|e| format!("CA file {}: unusable certificate: {e}", path.display()))?;
        }
    }
    Ok(roots)
}

/// The certificates of a PEM CA file; plain errors when it cannot be read
/// or holds none.
pub(crate) fn read_ca_file(path: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    let pem = crate::support::fs::read_pem(path)
        .map_err(|e| format!("cannot read CA file {}: {e}", path.display()))?;
    let certs = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| {
            format!(
                "CA file {} holds no usable certificate: {e}",
                path.display()
            )
        })?;
    if certs.is_empty() {
        return Err(format!("CA file {} holds no certificate", path.display()));
    }
    Ok(certs)
}

type ConfigCache = Mutex<HashMap<Vec<CertificateDer<'static>>, Arc<rustls::ClientConfig>>>;
static HTTP_CONFIGS: LazyLock<ConfigCache> = LazyLock::new(Default::default);

/// The rustls configuration for an HTTP client (`reqwest` with
/// `tls_backend_preconfigured`) that verifies exactly as reqwest's own
/// default does — `rustls-platform-verifier` over the system's trust store,
/// plus `extra` roots (a check's `ca_file`) — and offers ALPN `h2` and
/// `http/1.1`. Built once per distinct set of extra roots, then cloned
/// (cheap: a config is a few `Arc`s).
pub(crate) fn http_client_config(
    extra: Vec<CertificateDer<'static>>,
) -> Result<rustls::ClientConfig, String> {
    let mut cache = HTTP_CONFIGS.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(c) = cache.get(&extra) {
        return Ok((**c).clone());
    }
    let provider = provider();
    // Without extra roots the system's store is read at the first TLS
    // handshake, not when the first client is built: a run of plain-http
    // checks never reads it (19 M instructions, ~5 ms, 9% of 1,000 fast
    // HTTP checks, on the critical path of the first request).
    let verifier: Arc<dyn rustls::client::danger::ServerCertVerifier> = if extra.is_empty() {
        Arc::new(LazyVerifier {
            provider: provider.clone(),
            inner: std::sync::OnceLock::new(),
        })
    } else {
        Arc::new(
            rustls_platform_verifier::Verifier::new_with_extra_roots(
                extra.clone(),
                provider.clone(),
            )
            .map_err(|e| format!("cannot set up TLS verification: {e}"))?,
        )
    };
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("cannot set up TLS: {e}"))?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    let config = Arc::new(config);
    cache.insert(extra, config.clone());
    Ok((*config).clone())
}

/// `rustls-platform-verifier` over the system's store, built the first
/// time a handshake asks for it (once per process, shared by every client
/// of the config), with the same answers.
#[derive(Debug)]
struct LazyVerifier {
    provider: Arc<rustls::crypto::CryptoProvider>,
    inner: std::sync::OnceLock<Result<rustls_platform_verifier::Verifier, rustls::Error>>,
}

impl LazyVerifier {
    fn get(&self) -> Result<&rustls_platform_verifier::Verifier, rustls::Error> {
        self.inner
            .get_or_init(|| {
                rustls_platform_verifier::Verifier::new(self.provider.clone()).map_err(|e| {
                    rustls::Error::General(format!("cannot set up TLS verification: {e}"))
                })
            })
            .as_ref()
            .map_err(Clone::clone)
    }
}

impl rustls::client::danger::ServerCertVerifier for LazyVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &rustls_pki_types::ServerName<'_>,
        ocsp_response: &[u8],
        now: rustls_pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        self.get()?
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        self.get()?.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        self.get()?.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        match self.get() {
            Ok(v) => v.supported_verify_schemes(),
            // The handshake then fails at the certificate with the reason.
            Err(_) => self
                .provider
                .signature_verification_algorithms
                .supported_schemes(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_client_config_is_built_once_per_root_set_and_offers_h2() {
        let a = http_client_config(Vec::new()).unwrap();
        assert_eq!(a.alpn_protocols, vec![b"h2".to_vec(), b"http/1.1".to_vec()]);
        let cached = |extra: &Vec<CertificateDer<'static>>| {
            HTTP_CONFIGS.lock().unwrap().get(extra).map(Arc::as_ptr)
        };
        let first = cached(&Vec::new()).unwrap();
        http_client_config(Vec::new()).unwrap();
        // The same cached config: the trust store was not loaded again.
        assert_eq!(cached(&Vec::new()), Some(first));
        // The lazy verifier answers as the platform verifier it wraps.
        let lazy = LazyVerifier {
            provider: provider(),
            inner: std::sync::OnceLock::new(),
        };
        assert!(lazy.inner.get().is_none());
        let real = rustls_platform_verifier::Verifier::new(provider()).unwrap();
        use rustls::client::danger::ServerCertVerifier as _;
        assert_eq!(
            lazy.supported_verify_schemes(),
            real.supported_verify_schemes()
        );
        assert!(lazy.inner.get().is_some());
    }

    #[test]
    fn a_ca_file_without_certificates_is_a_plain_error() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("ca.pem");
        std::fs::write(&f, "not a certificate\n").unwrap();
        let e = trust_roots(Some(&f)).unwrap_err();
        assert!(e.contains("holds no certificate"), "{e}");
        // Without a CA file the store is the system's (or webpki's) roots.
        assert!(!trust_roots(None).unwrap().is_empty());
    }

    #[test]
    fn native_roots_are_read_once() {
        assert_eq!(native_roots().as_ptr(), native_roots().as_ptr());
    }
}
