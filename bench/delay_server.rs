//! Benchmark fixture server (not a service under test): the peer every
//! HTTP workload of `bench/run.sh` talks to, readyctl and its peers alike.
//!
//! Serves, on loopback ports the kernel picks:
//! - `BENCH_DELAY_PORT`: every request is answered `200 ok` after DELAY;
//! - `BENCH_FAST_PORT`: every request is answered `200 ok` at once;
//! - `BENCH_TCP_PORTS`: N plain TCP listeners that accept and close.
//!
//! Writes `export BENCH_…=…` lines to ENV_FILE once everything listens,
//! then serves until killed.
//!
//! Why not Python: the asyncio server this replaces accepted and answered
//! 200 simultaneous connections in ~40 ms of one core, so "200 checks of a
//! 200 ms endpoint" measured the server (`curl --parallel` took 239 ms)
//! rather than the client. On tokio the same takes a few milliseconds.
//!
//! Usage: `cargo run --release --example delay_server -- ENV_FILE [DELAY_SECONDS=0.2] [N_PORTS=20]`

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpSocket, TcpStream};

const RESPONSE: &[u8] =
    b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok";

/// Requests larger than this are not a benchmark's: the connection is closed.
const MAX_HEAD: usize = 64 * 1024;

fn listener() -> std::io::Result<TcpListener> {
    let socket = TcpSocket::new_v4()?;
    socket.set_reuseaddr(true)?;
    socket.bind("127.0.0.1:0".parse().expect("a socket address"))?;
    // Every connection of a 200-wide burst must be queued, none refused.
    socket.listen(4096)
}

/// Answers each request on `stream` after `delay` (keep-alive), until the
/// client closes it.
async fn http(mut stream: TcpStream, delay: Duration) -> std::io::Result<()> {
    stream.set_nodelay(true)?;
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 4096];
    loop {
        // One request head, then its body (Content-Length only: the
        // workloads send GET and HEAD).
        let head_end = loop {
            if let Some(at) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break at + 4;
            }
            if buf.len() > MAX_HEAD {
                return Ok(());
            }
            let n = stream.read(&mut chunk).await?;
            if n == 0 {
                return Ok(());
            }
            buf.extend_from_slice(&chunk[..n]);
        };
        let length = content_length(&buf[..head_end]);
        while buf.len() < head_end + length {
            let n = stream.read(&mut chunk).await?;
            if n == 0 {
                return Ok(());
            }
            buf.extend_from_slice(&chunk[..n]);
        }
        buf.drain(..head_end + length);
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        stream.write_all(RESPONSE).await?;
    }
}

fn content_length(head: &[u8]) -> usize {
    let text = String::from_utf8_lossy(head);
    text.lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.trim()
                .eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse().ok())?
        })
        .unwrap_or(0)
}

async fn serve_http(l: TcpListener, delay: Duration) {
    loop {
        if let Ok((s, _)) = l.accept().await {
            tokio::spawn(async move {
                let _ = http(s, delay).await;
            });
        }
    }
}

async fn serve_closer(l: TcpListener) {
    loop {
        // Accepted and dropped: the port is open, the connection closed.
        let _ = l.accept().await;
    }
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let env_file = args
        .next()
        .expect("usage: delay_server ENV_FILE [DELAY_SECONDS] [N_PORTS]");
    let delay: f64 = args
        .next()
        .map_or(0.2, |s| s.parse().expect("DELAY_SECONDS"));
    let n_ports: usize = args.next().map_or(20, |s| s.parse().expect("N_PORTS"));

    let slow = listener()?;
    let fast = listener()?;
    let ports: Vec<TcpListener> = (0..n_ports).map(|_| listener()).collect::<Result<_, _>>()?;
    let port = |l: &TcpListener| l.local_addr().map(|a| a.port());
    let tcp = ports
        .iter()
        .map(|l| port(l).map(|p| p.to_string()))
        .collect::<Result<Vec<_>, _>>()?
        .join(" ");
    let exports = format!(
        "export BENCH_DELAY_PORT={}\nexport BENCH_FAST_PORT={}\nexport BENCH_TCP_PORTS='{tcp}'\n",
        port(&slow)?,
        port(&fast)?
    );
    // Written whole then renamed: a reader polling for the file never sees half of it.
    let tmp = format!("{env_file}.tmp");
    std::fs::write(&tmp, exports)?;
    std::fs::rename(&tmp, &env_file)?;

    tokio::spawn(serve_http(slow, Duration::from_secs_f64(delay)));
    tokio::spawn(serve_http(fast, Duration::ZERO));
    for l in ports {
        tokio::spawn(serve_closer(l));
    }
    std::future::pending::<()>().await;
    Ok(())
}
