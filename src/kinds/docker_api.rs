//! The Docker Engine API connection the `docker` and `swarm` kinds share:
//! which daemon a check means (`host`, a target's `url`, `DOCKER_HOST`, the
//! local socket), connecting with API-version negotiation, and a plain reason
//! for every way asking it fails. It owns no judgement about containers or
//! services; the kinds do.

use std::time::Duration;

use bollard::Docker;

use super::RunContext;

/// Where the Docker daemon is when neither `host` nor a target says.
pub const DEFAULT_HOST: &str = "unix:///var/run/docker.sock";

/// The daemon a check means: its own `host`, else its target's `url` (or
/// `path` as a socket), else `DOCKER_HOST`, else the local socket.
pub fn resolve_host(
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
pub fn budget(cx: &RunContext) -> Duration {
    cx.timeout
        .saturating_sub(Duration::from_millis(100))
        .max(Duration::from_millis(100))
}

/// Connects to `host` and negotiates the API version: without negotiation
/// bollard speaks a newer API than Engine 20.10 accepts.
pub async fn connect_negotiated(host: &str) -> Result<Docker, String> {
    connect(host)?
        .negotiate_version()
        .await
        .map_err(|e| describe_error(host, &e))
}

pub fn is_supported_host(h: &str) -> bool {
    ["unix://", "tcp://", "http://", "https://"]
        .iter()
        .any(|p| h.starts_with(p))
}

fn socket_path(host: &str) -> Option<&str> {
    host.strip_prefix("unix://")
}

pub fn shown_host(host: &str) -> String {
    match socket_path(host) {
        Some(p) => p.to_string(),
        None => crate::redact::mask_shapes(host),
    }
}

pub fn connect(host: &str) -> Result<Docker, String> {
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
    Docker::connect_with_host(host).map_err(|e| describe_error(host, &e))
}

fn permission_denied(path: &str) -> String {
    format!(
        "permission denied on the Docker socket {path}: run as a user in the `docker` group, or with access to the socket"
    )
}

/// A plain reason for a failed Docker API call.
pub fn describe_error(host: &str, e: &bollard::errors::Error) -> String {
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
        _ => match io_kind(e) {
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

fn io_kind(e: &(dyn std::error::Error + 'static)) -> Option<std::io::ErrorKind> {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            return Some(io.kind());
        }
        cur = err.source();
    }
    None
}
