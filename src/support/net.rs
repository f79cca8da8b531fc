//! Network connection errors in plain words, the same for every kind.

/// A plain reason for a failed connection.
pub(crate) fn describe_connect_error(address: &str, e: &std::io::Error) -> String {
    use std::io::ErrorKind as K;
    match e.kind() {
        K::ConnectionRefused => format!("{address}: connection refused (nothing listens there)"),
        K::TimedOut => format!("{address}: connection timed out"),
        K::HostUnreachable | K::NetworkUnreachable => format!("{address}: host unreachable"),
        _ if e.to_string().contains("failed to lookup")
            || e.to_string().contains("Name or service not known") =>
        {
            format!("{address}: host name does not resolve")
        }
        _ => format!("{address}: cannot connect: {e}"),
    }
}

/// The first `std::io::Error` in an error's source chain (reqwest, hyper,
/// bollard and redis wrap the socket's error several layers deep).
pub(crate) fn io_error_in<'a>(
    e: &'a (dyn std::error::Error + 'static),
) -> Option<&'a std::io::Error> {
    let mut cur: Option<&'a (dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            return Some(io);
        }
        cur = err.source();
    }
    None
}

/// Splits `host:port` (with `[v6]:port`), `None` when malformed.
pub(crate) fn split_host_port(s: &str) -> Option<(String, u16)> {
    let (host, port) = s.rsplit_once(':')?;
    let port = port.parse().ok()?;
    let host = host.trim_matches(['[', ']']);
    (!host.is_empty()).then(|| (host.to_string(), port))
}
