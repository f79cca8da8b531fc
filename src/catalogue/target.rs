//! Targets: a target's URL scheme, port and TLS mode, checked at load time.

use marked_yaml::Node;

use super::Target;
use super::source::loc;
use crate::diag::{Diagnostic, Diagnostics, Location, did_you_mean};

/// URL schemes a target may use (what the service kinds speak).
pub(super) const TARGET_SCHEMES: &[&str] = &[
    "http",
    "https",
    "postgres",
    "postgresql",
    "redis",
    "rediss",
    "unix",
    "ws",
    "wss",
    "tcp",
];

/// PostgreSQL's sslmode values.
pub(super) const SSLMODES: &[&str] = &[
    "disable",
    "allow",
    "prefer",
    "require",
    "verify-ca",
    "verify-full",
];

/// A target's URL scheme, port and TLS mode, checked at load time so a typo
/// (`htp://`, port 63799999, `sslmode=bogus`) is a located error before
/// anything runs rather than a failure at run time. Messages never echo the
/// URL: it may carry a password.
pub(super) fn validate_target(t: &Target, node: &Node, file: &str, diags: &mut Diagnostics) {
    let at = |key: &str| {
        node.as_mapping()
            .and_then(|m| m.get_node(key))
            .and_then(|n| loc(file, n.span().start()))
    };
    if let Some(u) = t.url.as_deref().filter(|u| !u.is_empty()) {
        match url::Url::parse(u) {
            Err(e) => diags.push(
                Diagnostic::new("catalogue/shape", format!("`url` is not a valid URL: {e}"))
                    .at(at("url"))
                    .hint("write e.g. https://host:443/path or postgres://user@host:5432/db"),
            ),
            Ok(parsed) => {
                let scheme = parsed.scheme();
                if !TARGET_SCHEMES.contains(&scheme) {
                    let hint = did_you_mean(scheme, TARGET_SCHEMES.iter().copied())
                        .map(|s| format!("did you mean `{s}://`?"))
                        .unwrap_or_else(|| format!("schemes: {}", TARGET_SCHEMES.join(", ")));
                    diags.push(
                        Diagnostic::new(
                            "catalogue/shape",
                            format!("`url` has an unknown scheme `{scheme}`"),
                        )
                        .at(at("url"))
                        .hint(hint),
                    );
                }
                for (k, v) in parsed.query_pairs() {
                    if k == "sslmode" && !SSLMODES.contains(&v.as_ref()) {
                        diags.push(sslmode_diag(&v, at("url")));
                    }
                }
            }
        }
    }
    if let Some(mode) = t.tls.as_deref()
        && !mode.is_empty()
        && !SSLMODES.contains(&mode)
    {
        diags.push(sslmode_diag(mode, at("tls")));
    }
    if t.port == Some(0) {
        diags.push(
            Diagnostic::new("catalogue/shape", "`port` must be 1 to 65535, got 0").at(at("port")),
        );
    }
}

pub(super) fn sslmode_diag(mode: &str, at: Option<Location>) -> Diagnostic {
    let hint = did_you_mean(mode, SSLMODES.iter().copied())
        .map(|s| format!("did you mean `{s}`?"))
        .unwrap_or_else(|| format!("modes: {}", SSLMODES.join(", ")));
    Diagnostic::new("catalogue/shape", format!("unknown TLS mode `{mode}`"))
        .at(at)
        .hint(hint)
}
