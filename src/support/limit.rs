//! Byte limits enforced while reading, never after: a peer that streams an
//! endless body or declares a 2 GiB message costs at most the limit.
//!
//! - [`body`]: an HTTP response body, chunk by chunk, up to a limit;
//! - [`Capped`]: any byte stream (a PostgreSQL or Redis socket) that fails
//!   with a plain error once the peer has sent more than a limit;
//! - [`Tail`]: the last N bytes of a stream (a command's output), whatever
//!   its length.
//!
//! The limits themselves are constants next to their users and in
//! `docs/limits.md`.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// Largest HTTP body kept by `http`, `http_client`, `latency`, Vault and
/// Docker API reads.
pub(crate) const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;

/// Largest number of bytes a PostgreSQL or Redis peer may send over one
/// check's connection.
pub(crate) const MAX_STREAM_BYTES: u64 = 16 * 1024 * 1024;

/// A body read up to a limit.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Body {
    /// The bytes read (at most the limit).
    pub bytes: Vec<u8>,
    /// The peer sent more than the limit; reading stopped there.
    pub truncated: bool,
}

/// Reads `resp`'s body, keeping at most `max` bytes: reading stops at the
/// first chunk past the limit (the connection is dropped with the response).
pub(crate) async fn body(mut resp: reqwest::Response, max: usize) -> Result<Body, reqwest::Error> {
    let mut out = Body::default();
    while let Some(chunk) = resp.chunk().await? {
        let room = max.saturating_sub(out.bytes.len());
        if chunk.len() > room {
            out.bytes.extend_from_slice(&chunk[..room]);
            out.truncated = true;
            break;
        }
        out.bytes.extend_from_slice(&chunk);
    }
    Ok(out)
}

/// A stream whose reads fail once more than `max` bytes came in: protocol
/// clients (tokio-postgres, redis) buffer a whole declared message before
/// parsing it, so the cap must sit under them.
#[derive(Debug)]
pub(crate) struct Capped<S> {
    inner: S,
    read: u64,
    max: u64,
    tripped: Option<Arc<AtomicBool>>,
}

impl<S> Capped<S> {
    /// Wraps `inner`, allowing `max` bytes in.
    pub(crate) fn new(inner: S, max: u64) -> Self {
        Capped {
            inner,
            read: 0,
            max,
            tripped: None,
        }
    }

    /// Sets `flag` when the limit is reached. Protocol clients wrap the
    /// read error in their own words (or only time out afterwards), so the
    /// caller learns from the flag, not the error, that the cap ended it.
    pub(crate) fn with_tripwire(mut self, flag: Arc<AtomicBool>) -> Self {
        self.tripped = Some(flag);
        self
    }

    /// The error a capped read returns (its text reaches the check's reason).
    pub(crate) fn over_limit(max: u64) -> io::Error {
        io::Error::other(format!(
            "the server sent more than {} on this connection; readyctl stopped reading",
            super::fs::human_bytes(max)
        ))
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Capped<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if self.read >= self.max {
            if let Some(flag) = &self.tripped {
                flag.store(true, Ordering::Relaxed);
            }
            return Poll::Ready(Err(Self::over_limit(self.max)));
        }
        let before = buf.filled().len();
        let r = Pin::new(&mut self.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = &r {
            let n = (buf.filled().len() - before) as u64;
            self.read = self.read.saturating_add(n);
        }
        r
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Capped<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// An HTTP/1 response stream (headers, then a JSON body) whose reads fail
/// once the body has opened more than `max` JSON objects. A client that
/// deserializes into typed models (bollard) turns `{}` — 3 bytes — into a
/// model of up to ~3 KB, so a byte limit alone does not bound memory; an
/// object count does. Braces inside strings are not counted. One response
/// per stream (every Docker API request has its own connection).
#[derive(Debug)]
pub(crate) struct JsonObjects<S> {
    inner: S,
    max: u64,
    objects: u64,
    /// The last bytes of the header, until the blank line that ends it.
    head: u32,
    in_body: bool,
    in_string: bool,
    escaped: bool,
}

impl<S> JsonObjects<S> {
    /// Wraps `inner`, allowing `max` JSON objects in the body.
    pub(crate) fn new(inner: S, max: u64) -> Self {
        JsonObjects {
            inner,
            max,
            objects: 0,
            head: 0,
            in_body: false,
            in_string: false,
            escaped: false,
        }
    }

    /// The error a read past the budget returns.
    pub(crate) fn over_budget(max: u64) -> io::Error {
        io::Error::other(format!(
            "the answer holds more than {max} JSON objects; readyctl stopped reading"
        ))
    }

    fn scan(&mut self, bytes: &[u8]) {
        for &b in bytes {
            if !self.in_body {
                self.head = (self.head << 8) | u32::from(b);
                self.in_body = self.head == u32::from_be_bytes(*b"\r\n\r\n");
                continue;
            }
            match (self.in_string, self.escaped, b) {
                (true, true, _) => self.escaped = false,
                (true, false, b'\\') => self.escaped = true,
                (true, false, b'"') => self.in_string = false,
                (false, _, b'"') => self.in_string = true,
                (false, _, b'{') => self.objects += 1,
                _ => {}
            }
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for JsonObjects<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if self.objects > self.max {
            return Poll::Ready(Err(Self::over_budget(self.max)));
        }
        let before = buf.filled().len();
        let r = Pin::new(&mut self.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = &r {
            let this = &mut *self;
            // Past the budget, the next read fails (a read that filled
            // bytes must not also fail).
            this.scan(&buf.filled()[before..]);
        }
        r
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for JsonObjects<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// The last `max` bytes pushed into it, and how many came in all.
#[derive(Debug, Clone)]
pub(crate) struct Tail {
    buf: std::collections::VecDeque<u8>,
    max: usize,
    /// Total bytes pushed.
    pub total: u64,
}

impl Tail {
    /// A tail keeping `max` bytes.
    pub(crate) fn new(max: usize) -> Self {
        Tail {
            buf: std::collections::VecDeque::new(),
            max,
            total: 0,
        }
    }

    /// Appends `bytes`, dropping the oldest beyond the limit.
    pub(crate) fn push(&mut self, bytes: &[u8]) {
        self.total = self.total.saturating_add(bytes.len() as u64);
        let keep = &bytes[bytes.len().saturating_sub(self.max)..];
        let overflow = (self.buf.len() + keep.len()).saturating_sub(self.max);
        self.buf.drain(..overflow.min(self.buf.len()));
        self.buf.extend(keep);
    }

    /// Whether older bytes were dropped.
    #[cfg(test)]
    fn truncated(&self) -> bool {
        self.total > self.buf.len() as u64
    }

    /// The kept bytes as text (lossy).
    pub(crate) fn text(&self) -> String {
        let (a, b) = self.buf.as_slices();
        let mut v = Vec::with_capacity(a.len() + b.len());
        v.extend_from_slice(a);
        v.extend_from_slice(b);
        String::from_utf8_lossy(&v).into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncReadExt;

    #[test]
    fn tail_keeps_the_last_bytes() {
        let mut t = Tail::new(4);
        t.push(b"ab");
        t.push(b"cdef");
        assert_eq!(t.text(), "cdef");
        t.push(b"0123456789");
        assert_eq!(t.text(), "6789");
        assert!(t.truncated());
        assert_eq!(t.total, 16);
    }

    #[tokio::test]
    async fn json_objects_are_counted_in_the_body_only_outside_strings() {
        let ok = b"HTTP/1.1 200 OK\r\nX: {{{\r\n\r\n[{\"a\":\"{{{\\\"{\"},{}]";
        let mut out = Vec::new();
        JsonObjects::new(&ok[..], 2)
            .read_to_end(&mut out)
            .await
            .unwrap();
        assert_eq!(out, ok);
        let many = [&b"HTTP/1.1 200 OK\r\n\r\n["[..], &b"{},".repeat(10)].concat();
        let e = JsonObjects::new(&many[..], 9)
            .read_to_end(&mut Vec::new())
            .await
            .unwrap_err();
        assert!(e.to_string().contains("more than 9 JSON objects"), "{e}");
    }

    #[tokio::test]
    async fn capped_stream_fails_past_the_limit() {
        let data = [7u8; 100];
        let mut c = Capped::new(&data[..], 10);
        let mut out = Vec::new();
        let e = c.read_to_end(&mut out).await.unwrap_err();
        assert!(e.to_string().contains("more than 10 bytes"), "{e}");
        assert!(out.len() <= 100);
    }
}
