//! The redirect policy every HTTP-speaking check follows.
//!
//! reqwest's own redirect handling drops only `Authorization` and `Cookie`
//! when the origin changes, and follows an https → http downgrade silently,
//! sending every custom header in clear. So checks build their clients with
//! redirects off and follow them here, one hop at a time:
//! - when the origin (scheme, host, port) changes, every secret-bearing
//!   header is dropped: `Authorization`, `Proxy-Authorization`, `Cookie`, and
//!   any header whose name looks secret (`X-Api-Key`, `X-Vault-Token`,
//!   `Ocp-Apim-Subscription-Key`, … — [`crate::redact::looks_secret`]);
//! - a redirect from https to http is refused with a plain reason unless the
//!   check says `allow_downgrade: true`;
//! - 303, and 301/302 after a non-GET, continue as GET without a body (as
//!   browsers and reqwest do); 307/308 keep the method and body;
//! - at most [`MAX_HOPS`] hops.
//!
//! Support never prints and never decides a status: it returns the final
//! response or a typed error the kind turns into a finding.

use reqwest::header::{self, HeaderMap};
use reqwest::{Method, StatusCode, Url};

/// Most redirects followed for one request (reqwest's default, too).
pub(crate) const MAX_HOPS: usize = 10;

/// Why following stopped without a response.
#[derive(Debug)]
pub(crate) enum RedirectError {
    /// The transport failed (at any hop).
    Transport(reqwest::Error),
    /// The policy refused a hop; a plain sentence.
    Refused(String),
}

/// True when `a` and `b` differ in scheme, host or port.
pub(crate) fn origin_changes(a: &Url, b: &Url) -> bool {
    a.scheme() != b.scheme()
        || a.host_str() != b.host_str()
        || a.port_or_known_default() != b.port_or_known_default()
}

/// Removes the headers that must not reach another origin.
pub(crate) fn drop_secret_headers(headers: &mut HeaderMap) {
    let names: Vec<header::HeaderName> = headers
        .keys()
        .filter(|n| {
            matches!(
                *n,
                &header::AUTHORIZATION | &header::PROXY_AUTHORIZATION | &header::COOKIE
            ) || crate::redact::looks_secret(n.as_str())
        })
        .cloned()
        .collect();
    for n in names {
        headers.remove(n);
    }
}

/// Checks one hop `from → to`: a downgrade is refused unless allowed.
pub(crate) fn check_hop(from: &Url, to: &Url, allow_downgrade: bool) -> Result<(), String> {
    if from.scheme() == "https" && to.scheme() == "http" && !allow_downgrade {
        return Err(format!(
            "redirected from https to plain http ({}://{}{}); not followed, since headers and body would travel unencrypted (set `allow_downgrade: true` to accept)",
            to.scheme(),
            to.host_str().unwrap_or(""),
            to.port().map(|p| format!(":{p}")).unwrap_or_default()
        ));
    }
    if !matches!(to.scheme(), "http" | "https") {
        return Err(format!("redirected to a {} URL; not followed", to.scheme()));
    }
    Ok(())
}

/// Sends `req` with `client` (built with redirects off) and follows
/// redirects by the policy above. Returns the final response and the URLs
/// visited after the first.
pub(crate) async fn send(
    client: &reqwest::Client,
    mut req: reqwest::Request,
    allow_downgrade: bool,
) -> Result<(reqwest::Response, Vec<Url>), RedirectError> {
    let mut visited = Vec::new();
    for _ in 0..=MAX_HOPS {
        let next_req = req.try_clone();
        let from = req.url().clone();
        let method = req.method().clone();
        let resp = client
            .execute(req)
            .await
            .map_err(RedirectError::Transport)?;
        let status = resp.status();
        let location = resp
            .headers()
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|l| from.join(l).ok());
        let (Some(to), true) = (location, status.is_redirection()) else {
            return Ok((resp, visited));
        };
        // A body that cannot be replayed (a stream): hand back the 3xx.
        let Some(mut next) = next_req else {
            return Ok((resp, visited));
        };
        check_hop(&from, &to, allow_downgrade).map_err(RedirectError::Refused)?;
        if origin_changes(&from, &to) {
            drop_secret_headers(next.headers_mut());
        }
        let to_get = status == StatusCode::SEE_OTHER
            || (matches!(status, StatusCode::MOVED_PERMANENTLY | StatusCode::FOUND)
                && method != Method::GET
                && method != Method::HEAD);
        if to_get {
            *next.method_mut() = Method::GET;
            *next.body_mut() = None;
            for h in [
                header::CONTENT_TYPE,
                header::CONTENT_LENGTH,
                header::CONTENT_ENCODING,
            ] {
                next.headers_mut().remove(h);
            }
        }
        *next.url_mut() = to.clone();
        visited.push(to);
        req = next;
    }
    Err(RedirectError::Refused(format!(
        "more than {MAX_HOPS} redirects; not followed further"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn origin_is_scheme_host_and_port() {
        assert!(!origin_changes(&u("https://a/x"), &u("https://a:443/y")));
        assert!(origin_changes(&u("https://a/x"), &u("http://a/x")));
        assert!(origin_changes(&u("https://a/x"), &u("https://b/x")));
        assert!(origin_changes(&u("http://a:8080/"), &u("http://a:8081/")));
    }

    #[test]
    fn drops_every_secret_looking_header_and_keeps_the_rest() {
        let mut h = HeaderMap::new();
        for (k, v) in [
            ("authorization", "Bearer x"),
            ("x-api-key", "k"),
            ("x-vault-token", "t"),
            ("ocp-apim-subscription-key", "s"),
            ("cookie", "c=1"),
            ("accept", "application/json"),
            ("x-request-id", "42"),
        ] {
            h.insert(header::HeaderName::from_static(k), v.parse().unwrap());
        }
        drop_secret_headers(&mut h);
        let mut left: Vec<&str> = h.keys().map(|k| k.as_str()).collect();
        left.sort();
        assert_eq!(left, vec!["accept", "x-request-id"]);
    }

    #[test]
    fn downgrade_is_refused_unless_allowed() {
        let e = check_hop(&u("https://a/x"), &u("http://a/x"), false).unwrap_err();
        assert!(e.contains("https to plain http"), "{e}");
        assert!(e.contains("allow_downgrade: true"), "{e}");
        assert!(check_hop(&u("https://a/x"), &u("http://a/x"), true).is_ok());
        assert!(check_hop(&u("http://a/x"), &u("https://a/x"), false).is_ok());
        assert!(check_hop(&u("http://a/x"), &u("file:///etc/passwd"), true).is_err());
    }
}
