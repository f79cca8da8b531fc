//! The Docker Engine API connection the `docker` and `swarm` kinds share:
//! which daemon a check means (`host`, a target's `url`, `DOCKER_HOST`, the
//! local socket), connecting with API-version negotiation, and a plain reason
//! for every way asking it fails. It owns no judgement about containers or
//! services; the kinds do.

use std::time::Duration;

use bollard::Docker;

use super::{RunContext, SpecProblem};

/// Where the Docker daemon is when neither `host` nor a target says.
pub(crate) const DEFAULT_HOST: &str = "unix:///var/run/docker.sock";

/// The daemon a check means: its own `host`, else its target's `url` (or
/// `path` as a socket), else `DOCKER_HOST`, else the local socket.
pub(crate) fn resolve_host(
    host: Option<&str>,
    target: Option<&str>,
    cx: &RunContext,
) -> Result<String, String> {
    if let Some(h) = host {
        return Ok(h.to_string());
    }
    if let Some(name) = target {
        let t = cx.target(name)?;
        return match (&t.url, &t.path) {
            (Some(u), _) => Ok(u.clone()),
            (None, Some(p)) => Ok(format!("unix://{}", cx.path(p).display())),
            (None, None) => Err(format!(
                "target `{name}` has no `url` (e.g. unix:///var/run/docker.sock)"
            )),
        };
    }
    Ok(std::env::var("DOCKER_HOST")
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| DEFAULT_HOST.to_string()))
}

/// How long a check may spend asking the daemon: its timeout less a margin,
/// so the kind (not the runner) reports what timed out.
pub(crate) fn budget(cx: &RunContext) -> Duration {
    cx.timeout
        .saturating_sub(Duration::from_millis(100))
        .max(Duration::from_millis(100))
}

/// Connects to `host` and negotiates the API version: without negotiation
/// bollard speaks a newer API than Engine 20.10 accepts.
pub(crate) async fn connect_negotiated(host: &str) -> Result<Docker, String> {
    connect(host)?
        .negotiate_version()
        .await
        .map_err(|e| describe_error(host, &e))
}

/// The spec problems of where a check finds the daemon, the same for every
/// kind that asks it: `host` and `target` together, or a `host` that is no
/// Docker address.
pub(crate) fn validate_host(host: Option<&str>, target: Option<&str>) -> Vec<SpecProblem> {
    let mut p = Vec::new();
    if host.is_some() && target.is_some() {
        p.push(SpecProblem::new(
            "target",
            "give either `host` or `target`, not both",
        ));
    }
    if let Some(h) = host
        && !is_supported_host(h)
    {
        p.push(
            SpecProblem::new("host", format!("`{h}` is not a Docker host address"))
                .hint("write unix:///var/run/docker.sock or tcp://host:2375"),
        );
    }
    p
}

fn is_supported_host(h: &str) -> bool {
    ["unix://", "tcp://", "http://", "https://"]
        .iter()
        .any(|p| h.starts_with(p))
}

fn socket_path(host: &str) -> Option<&str> {
    host.strip_prefix("unix://")
}

pub(crate) fn shown_host(host: &str) -> String {
    match socket_path(host) {
        Some(p) => p.to_string(),
        None => crate::redact::mask_shapes(host),
    }
}

pub(crate) fn connect(host: &str) -> Result<Docker, String> {
    if let Some(path) = socket_path(host) {
        let p = std::path::Path::new(path);
        match std::fs::metadata(p) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(format!(
                    "Docker socket {path} does not exist: is the Docker daemon installed and running? (set DOCKER_HOST or `host:` if it listens elsewhere)"
                ));
            }
            Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
                return Err(permission_denied(path));
            }
            _ => {}
        }
    } else if !is_supported_host(host) {
        return Err(format!(
            "`{}` is not a Docker host address (unix:///path or tcp://host:port)",
            shown_host(host)
        ));
    }
    let endpoint = match (socket_path(host), host.strip_prefix("tcp://")) {
        (Some(path), _) => Endpoint::Unix(path.into()),
        (None, Some(addr)) => Endpoint::Tcp(addr.trim_end_matches('/').to_string()),
        (None, None) => match host.strip_prefix("http://") {
            Some(addr) => Endpoint::Tcp(addr.trim_end_matches('/').to_string()),
            // https://: bollard's own TLS client (not capped; rare for a daemon).
            None => return Docker::connect_with_host(host).map_err(|e| describe_error(host, &e)),
        },
    };
    Docker::connect_with_custom_transport(
        move |req| request(endpoint.clone(), req),
        Some("http://docker"),
        120,
        bollard::API_DEFAULT_VERSION,
    )
    .map_err(|e| describe_error(host, &e))
}

/// Most bytes one Docker API answer may be: `GET /containers/json?all=1` on
/// a host with a thousand containers is ~2.5 MB.
pub(crate) const MAX_ANSWER_BYTES: u64 = crate::support::limit::MAX_STREAM_BYTES;

/// Most JSON objects one answer may hold. bollard deserializes into typed
/// models of up to ~3 KB (`ContainerInspectResponse`), so `[{},{},…]`
/// costs ~250 times its size: the count, not the bytes, bounds memory. A
/// thousand containers are ~15,000 objects.
pub(crate) const MAX_ANSWER_OBJECTS: u64 = 100_000;

/// Where the daemon listens (`unix://` or `tcp://`/`http://`).
#[derive(Debug, Clone)]
enum Endpoint {
    Unix(std::path::PathBuf),
    Tcp(String),
}

/// One request on its own connection, read through
/// [`Capped`](crate::support::limit::Capped) and
/// [`JsonObjects`](crate::support::limit::JsonObjects): bollard reads whole
/// answers before parsing them, so the limits sit on the socket under it.
async fn request(
    endpoint: Endpoint,
    req: bollard::BollardRequest,
) -> Result<hyper::Response<hyper::body::Incoming>, bollard::errors::Error> {
    use crate::support::limit::{Capped, JsonObjects};
    let (mut parts, body) = req.into_parts();
    // The request target is origin-form (`/v1.47/containers/json`), as
    // dockerd's own clients send it; the Host header names the daemon.
    let target = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "/".to_string());
    let host = match &endpoint {
        Endpoint::Unix(_) => "docker".to_string(),
        Endpoint::Tcp(a) => a.clone(),
    };
    parts.uri = target
        .parse()
        .map_err(|e: hyper::http::uri::InvalidUri| std::io::Error::other(e.to_string()))?;
    if let Ok(h) = hyper::header::HeaderValue::from_str(&host) {
        parts.headers.insert(hyper::header::HOST, h);
    }
    let req = hyper::Request::from_parts(parts, body);
    macro_rules! send {
        ($stream:expr) => {{
            let io = hyper_util::rt::TokioIo::new(JsonObjects::new(
                Capped::new($stream, MAX_ANSWER_BYTES),
                MAX_ANSWER_OBJECTS,
            ));
            let (mut sender, conn) = hyper::client::conn::http1::handshake(io).await?;
            // The connection ends with the answer's body (or its error).
            tokio::spawn(conn);
            sender.send_request(req).await?
        }};
    }
    Ok(match endpoint {
        Endpoint::Unix(path) => send!(tokio::net::UnixStream::connect(path).await?),
        Endpoint::Tcp(addr) => {
            let s = tokio::net::TcpStream::connect(addr).await?;
            let _ = s.set_nodelay(true);
            send!(s)
        }
    })
}

fn permission_denied(path: &str) -> String {
    format!(
        "permission denied on the Docker socket {path}: run as a user in the `docker` group, or with access to the socket"
    )
}

/// A plain reason for a failed Docker API call.
pub(crate) fn describe_error(host: &str, e: &bollard::errors::Error) -> String {
    use bollard::errors::Error as E;
    let shown = shown_host(host);
    match e {
        E::SocketNotFoundError(p) => {
            format!("Docker socket {p} does not exist: is the Docker daemon running?")
        }
        E::DockerResponseServerError {
            status_code,
            message,
        } => format!("Docker daemon at {shown} answered HTTP {status_code}: {message}"),
        E::RequestTimeoutError => format!("Docker daemon at {shown} did not answer in time"),
        _ if over_limit(e).is_some() => {
            format!(
                "Docker daemon at {shown}: {}",
                over_limit(e).unwrap_or_default()
            )
        }
        // The transport's own connect error (`transparent`: no source).
        _ => match io_kind(e).or(match e {
            E::IOError { err } => Some(err.kind()),
            _ => None,
        }) {
            Some(std::io::ErrorKind::PermissionDenied) => permission_denied(&shown),
            Some(std::io::ErrorKind::ConnectionRefused) => format!(
                "Docker daemon not answering at {shown}: connection refused (the socket exists but no daemon listens; is dockerd running?)"
            ),
            Some(std::io::ErrorKind::NotFound) => {
                format!("Docker socket {shown} does not exist: is the Docker daemon running?")
            }
            Some(std::io::ErrorKind::TimedOut) => {
                format!("Docker daemon at {shown}: connection timed out")
            }
            _ => match super::http_client::protocol_reason(e) {
                Some(reason) => format!("Docker daemon at {shown}: {reason}"),
                None => format!("Docker daemon at {shown}: {e}"),
            },
        },
    }
}

/// The limit's own words when a read stopped at [`MAX_ANSWER_BYTES`] or
/// [`MAX_ANSWER_OBJECTS`] (hyper and bollard wrap them).
fn over_limit(e: &(dyn std::error::Error + 'static)) -> Option<String> {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        let text = err.to_string();
        if text.contains("readyctl stopped reading") {
            return Some(text);
        }
        cur = err.source();
    }
    None
}

fn io_kind(e: &(dyn std::error::Error + 'static)) -> Option<std::io::ErrorKind> {
    crate::support::net::io_error_in(e).map(std::io::Error::kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_and_target_are_validated_once_for_every_docker_kind() {
        assert!(validate_host(None, None).is_empty());
        assert!(validate_host(Some("unix:///var/run/docker.sock"), None).is_empty());
        assert!(validate_host(Some("tcp://10.0.0.5:2375"), None).is_empty());
        assert!(validate_host(None, Some("engine")).is_empty());
        let both = validate_host(Some("tcp://h:2375"), Some("engine"));
        assert_eq!(both.len(), 1);
        assert_eq!(both[0].field, "target");
        let bad = validate_host(Some("/var/run/docker.sock"), Some("engine"));
        assert_eq!(bad.len(), 2);
        assert_eq!(bad[1].field, "host");
        assert!(bad[1].message.contains("is not a Docker host address"));
    }
}
