//! Fetching as the Observatory's retriever does: an https:// and an
//! http:// session, each following redirects by hand and recording them
//! (with their cookies), a certificate that does not verify retried without
//! verification (and remembered, for `hsts-invalid-cert` and
//! `redirection-invalid-cert`), and a CORS preflight. The result is one
//! [`Retrieval`] that [`super::analyze`] grades without any network.

use super::analyze::{NodeHeaders, Response, Retrieval};
use super::cookies;
use crate::kinds::http_client::{self, Endpoint};

/// Redirects a session follows (`MAX_REDIRECTS` in the retriever).
const MAX_REDIRECTS: usize = 10;
/// The retriever's `Accept` header.
const ACCEPT: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

/// One session as the retriever's `Session` ends it.
struct Session {
    /// Why the certificate did not verify (the session was retried without).
    cert_error: Option<String>,
    response: Response,
    route: Vec<(url::Url, u16)>,
    jar: cookies::Jar,
    last_url: url::Url,
}

fn is_cert_error(e: &reqwest::Error) -> bool {
    http_client::chain(e)
        .to_ascii_lowercase()
        .contains("invalid peer certificate")
}

fn node_headers(h: &reqwest::header::HeaderMap) -> NodeHeaders {
    // Node decodes header bytes as latin1.
    NodeHeaders::from_lines(h.iter().map(|(k, v)| {
        (
            k.as_str(),
            v.as_bytes().iter().map(|b| *b as char).collect(),
        )
    }))
}

/// Follows `start`'s redirects by hand (301, 302, 303, 307, 308; at most
/// 10), recording every hop and storing every hop's cookies.
async fn chain(
    client: &reqwest::Client,
    ep: &Endpoint,
    start: &url::Url,
) -> Result<Session, reqwest::Error> {
    let mut url = start.clone();
    let mut route = Vec::new();
    let mut jar = cookies::Jar::default();
    let mut redirects = 0;
    loop {
        let resp = ep
            .apply(client.get(url.as_str()))
            .header("Accept", ACCEPT)
            .send()
            .await?;
        let status = resp.status().as_u16();
        let headers = node_headers(resp.headers());
        route.push((url.clone(), status));
        jar.store(&url, headers.set_cookies());
        let next = if redirects < MAX_REDIRECTS && [301, 302, 303, 307, 308].contains(&status) {
            headers.get("location").and_then(|l| url.join(l).ok())
        } else {
            None
        };
        match next {
            Some(n) => {
                redirects += 1;
                url = n;
            }
            None => {
                return Ok(Session {
                    cert_error: None,
                    response: Response {
                        status,
                        headers,
                        verified: true,
                    },
                    route,
                    jar,
                    last_url: url,
                });
            }
        }
    }
}

/// The clients one grading uses: verifying (with the check's CA file) and,
/// for the retry after a certificate error, not verifying.
pub(super) struct Clients {
    pub(crate) verify: reqwest::Client,
    pub(crate) any_cert: reqwest::Client,
}

/// A session: verified first; on a certificate error, again without
/// verification (`verified: false`); `Err` when nothing answered.
async fn session(c: &Clients, ep: &Endpoint, start: &url::Url) -> Result<Session, reqwest::Error> {
    match chain(&c.verify, ep, start).await {
        Err(e) if is_cert_error(&e) => {
            let mut s = chain(&c.any_cert, ep, start).await?;
            s.response.verified = false;
            s.cert_error = Some(http_client::describe_error(
                &http_client::host_port(start.as_str()),
                &e,
                std::time::Duration::from_secs(10),
            ));
            Ok(s)
        }
        other => other,
    }
}

/// The CORS preflight (`OPTIONS` with `Origin` and
/// `Access-Control-Request-Method: GET`, redirects followed); only a 2xx
/// answer counts, as axios rejects anything else.
async fn preflight(
    client: &reqwest::Client,
    ep: &Endpoint,
    url: &url::Url,
    origin: &str,
) -> Option<NodeHeaders> {
    let resp = ep
        .apply(client.request(reqwest::Method::OPTIONS, url.as_str()))
        .header("Accept", ACCEPT)
        .header("Origin", origin)
        .header("Access-Control-Request-Method", "GET")
        .send()
        .await
        .ok()?;
    resp.status()
        .is_success()
        .then(|| node_headers(resp.headers()))
}

/// The http:// URL the redirection test starts from: `http_url`, or the
/// https URL with the scheme swapped and the default port, as the
/// Observatory derives it from the host name.
fn http_start(url: &url::Url, http_url: Option<&str>) -> Option<url::Url> {
    if let Some(h) = http_url {
        return url::Url::parse(h).ok();
    }
    let mut u = url.clone();
    u.set_scheme("http").ok()?;
    u.set_port(None).ok()?;
    Some(u)
}

/// Builds the retrieval for `url` (and `http_url`) and grades it.
pub(super) async fn retrieve(
    c: &Clients,
    ep: &Endpoint,
    http_url: Option<&str>,
    origin: &str,
) -> Result<(Retrieval, Vec<String>), String> {
    let url = url::Url::parse(&ep.url).map_err(|e| format!("`{}` is not a URL: {e}", ep.url))?;
    let is_https = url.scheme() == "https";
    let (https, http) = if is_https {
        let start = http_start(&url, http_url);
        let (a, b) = tokio::join!(session(c, ep, &url), async {
            match &start {
                Some(s) => Some(session(c, ep, s).await),
                None => None,
            }
        });
        (Some(a), b)
    } else {
        (None, Some(session(c, ep, &url).await))
    };
    let https_s = https.as_ref().and_then(|r| r.as_ref().ok());
    let http_s = http.as_ref().and_then(|r| r.as_ref().ok());
    let (auto, auto_https) = match (https_s, http_s) {
        (Some(s), _) => (s, true),
        (None, Some(s)) => (s, false),
        (None, None) => {
            let e = https
                .and_then(|r| r.err())
                .or_else(|| http.and_then(|r| r.err()));
            return Err(match e {
                Some(e) => http_client::describe_error(
                    &ep.host_port(),
                    &e,
                    std::time::Duration::from_secs(10),
                ),
                None => "the site seems to be down".into(),
            });
        }
    };
    let status = auto.response.status;
    if status < 200 || (status >= 400 && status != 401 && status != 403) {
        return Err(format!(
            "answered {status}: the Observatory grades only 2xx, 3xx, 401 and 403 answers"
        ));
    }
    let pre_client = if auto.response.verified {
        &c.verify
    } else {
        &c.any_cert
    };
    let cors = preflight(pre_client, ep, &auto.last_url, origin).await;
    let cert_errors: Vec<String> = [https_s, http_s]
        .into_iter()
        .flatten()
        .filter_map(|s| s.cert_error.clone())
        .collect();
    let r = Retrieval {
        https: https_s.map(|s| s.response.clone()),
        http: http_s.map(|s| s.response.clone()),
        http_route: http_s.map(|s| s.route.clone()).unwrap_or_default(),
        auto_https,
        session_https: auto_https,
        jar: auto.jar.clone(),
        cors,
        cors_origin: origin.to_string(),
    };
    Ok((r, cert_errors))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_start_swaps_scheme_and_drops_the_port() {
        let u = url::Url::parse("https://app.example:8443/x?y=1").unwrap();
        assert_eq!(
            http_start(&u, None).unwrap().as_str(),
            "http://app.example/x?y=1"
        );
        assert_eq!(
            http_start(&u, Some("http://127.0.0.1:8080/x"))
                .unwrap()
                .as_str(),
            "http://127.0.0.1:8080/x"
        );
    }
}
