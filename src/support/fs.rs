//! The one way readyctl reads a file: [`read_sync`] / [`read_text_sync`] for
//! loaders that run before any check (catalogue, waivers, attestations) and
//! [`read`] / [`read_text`] for checks, which also run the read off the
//! async workers and give up at the check's time budget.
//!
//! Every read
//! - opens with `O_NONBLOCK`, so opening a FIFO nobody writes to returns at
//!   once instead of blocking the thread forever;
//! - refuses anything but a regular file (judged on the opened descriptor, so
//!   a swap between check and open cannot fool it) unless the caller asks for
//!   special files with [`Limit::special`]: a FIFO, a device or `/proc` file
//!   is then read without waiting for data and never past the byte limit;
//! - reads at most [`Limit::max_bytes`] (+1 to tell "exactly at the limit"
//!   from "over it"), never trusting the reported size: `/dev/zero` and
//!   `/proc` files report 0.
//!
//! Limits per input are in `docs/limits.md`.

use std::io::Read;
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Largest PEM file (a `ca_file`) read: a bundle of every public CA is ~250 KiB.
pub(crate) const MAX_PEM_BYTES: u64 = 4 * 1024 * 1024;

/// A `ca_file` (or any PEM file): regular, at most [`MAX_PEM_BYTES`].
pub(crate) fn read_pem(path: &Path) -> Result<Vec<u8>, FsError> {
    read_sync(path, Limit::regular(MAX_PEM_BYTES))
}

/// What a read may return.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Limit {
    /// Largest accepted content in bytes; more is [`FsError::TooLarge`].
    pub max_bytes: u64,
    /// Accept FIFOs, devices and other non-regular files (read without
    /// waiting, within `max_bytes`). Only when a check explicitly asks.
    pub special: bool,
}

impl Limit {
    /// Regular files of at most `max_bytes`.
    pub(crate) const fn regular(max_bytes: u64) -> Self {
        Limit {
            max_bytes,
            special: false,
        }
    }

    /// Any file type, at most `max_bytes`.
    #[cfg(test)]
    const fn any(max_bytes: u64) -> Self {
        Limit {
            max_bytes,
            special: true,
        }
    }
}

/// Why a file could not be read. The message never names the file and reads
/// after "cannot read FILE: " or "FILE: ": callers locate it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum FsError {
    /// No such file.
    #[error("no such file")]
    NotFound,
    /// Not a regular file and the caller did not ask for special files.
    #[error("{0}, not a regular file")]
    NotRegular(&'static str),
    /// Over the byte limit.
    #[error("larger than the {} limit", human_bytes(*limit))]
    TooLarge {
        /// The limit that was exceeded.
        limit: u64,
    },
    /// A special file that had no data ready (a FIFO whose writer is silent).
    #[error("{0} with no data ready (not waited for)")]
    WouldBlock(&'static str),
    /// The read did not finish within the time budget (a hung file system).
    #[error("not read within {}", humantime::format_duration(*.0))]
    TimedOut(Duration),
    /// Not UTF-8 text (only from the `_text` functions).
    #[error("not UTF-8 text (invalid byte on line {line}): binary or wrongly encoded")]
    NotUtf8 {
        /// 1-based line of the first invalid byte.
        line: u32,
    },
    /// Any other I/O error, in the system's words.
    #[error("{0}")]
    Io(String),
}

impl FsError {
    /// 1-based line of the problem, when it has one.
    pub(crate) fn line(&self) -> Option<u32> {
        match self {
            FsError::NotUtf8 { line } => Some(*line),
            _ => None,
        }
    }
}

/// `1024` → `1 KiB`, `8388608` → `8 MiB`: limits as the docs state them.
pub(crate) fn human_bytes(n: u64) -> String {
    const KIB: u64 = 1024;
    const MIB: u64 = KIB * 1024;
    const GIB: u64 = MIB * 1024;
    if n >= GIB && n.is_multiple_of(GIB) {
        format!("{} GiB", n / GIB)
    } else if n >= MIB && n.is_multiple_of(MIB) {
        format!("{} MiB", n / MIB)
    } else if n >= KIB && n.is_multiple_of(KIB) {
        format!("{} KiB", n / KIB)
    } else {
        format!("{n} bytes")
    }
}

/// What a file type is called in messages ("a FIFO (named pipe)").
pub(crate) fn describe(ft: std::fs::FileType) -> &'static str {
    if ft.is_file() {
        "a regular file"
    } else if ft.is_dir() {
        "a directory"
    } else if ft.is_fifo() {
        "a FIFO (named pipe)"
    } else if ft.is_char_device() {
        "a character device"
    } else if ft.is_block_device() {
        "a block device"
    } else if ft.is_socket() {
        "a socket"
    } else if ft.is_symlink() {
        "a symbolic link"
    } else {
        "a special file"
    }
}

/// Reads `path` within `limit`, on the calling thread. Never blocks on a
/// FIFO or device (non-blocking open and read); may block only on a hung
/// file system — async callers use [`read`].
pub(crate) fn read_sync(path: &Path, limit: Limit) -> Result<Vec<u8>, FsError> {
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)
        .map_err(io_error)?;
    let meta = file.metadata().map_err(io_error)?;
    let ft = meta.file_type();
    if ft.is_dir() {
        return Err(FsError::NotRegular(describe(ft)));
    }
    if !ft.is_file() && !limit.special {
        return Err(FsError::NotRegular(describe(ft)));
    }
    if ft.is_file() && meta.len() > limit.max_bytes {
        return Err(FsError::TooLarge {
            limit: limit.max_bytes,
        });
    }
    // `Take` hides the file's size from `read_to_end`, which then starts at
    // 32 bytes and doubles (five reads for a 130-byte `.env`): size the
    // buffer from the metadata instead (one read, and one that says "end").
    let hint = if ft.is_file() {
        usize::try_from(meta.len()).map_or(0, |n| n.saturating_add(1))
    } else {
        0
    };
    let mut bytes = Vec::with_capacity(hint);
    match file
        .take(limit.max_bytes.saturating_add(1))
        .read_to_end(&mut bytes)
    {
        Ok(_) => {}
        // A special file with nothing ready: what was read so far is all
        // there is without waiting; an empty read says so plainly.
        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
            if bytes.is_empty() {
                return Err(FsError::WouldBlock(describe(ft)));
            }
        }
        Err(e) => return Err(io_error(e)),
    }
    if bytes.len() as u64 > limit.max_bytes {
        return Err(FsError::TooLarge {
            limit: limit.max_bytes,
        });
    }
    Ok(bytes)
}

/// [`read_sync`], then UTF-8 with the line of the first invalid byte.
pub(crate) fn read_text_sync(path: &Path, limit: Limit) -> Result<String, FsError> {
    utf8(read_sync(path, limit)?)
}

/// Reads `path` within `limit` off the async workers (a blocking-pool
/// thread), giving up after `budget`. A thread stuck in a hung file system
/// is abandoned; the runtime is shut down without waiting for it.
pub(crate) async fn read(path: &Path, limit: Limit, budget: Duration) -> Result<Vec<u8>, FsError> {
    let p: PathBuf = path.to_path_buf();
    match super::offload::run(budget, move || read_sync(&p, limit)).await {
        Ok(r) => r,
        Err(_) => Err(FsError::TimedOut(budget)),
    }
}

/// [`read`], then UTF-8 with the line of the first invalid byte.
pub(crate) async fn read_text(
    path: &Path,
    limit: Limit,
    budget: Duration,
) -> Result<String, FsError> {
    utf8(read(path, limit, budget).await?)
}

/// The file type of `path` (following links), off the async workers.
pub(crate) async fn metadata(path: &Path, budget: Duration) -> Result<std::fs::Metadata, FsError> {
    let p: PathBuf = path.to_path_buf();
    match super::offload::run(budget, move || std::fs::metadata(&p).map_err(io_error)).await {
        Ok(r) => r,
        Err(_) => Err(FsError::TimedOut(budget)),
    }
}

/// Whether the directory `path` has no entries (unreadable counts as empty:
/// nothing in it can be used), off the async workers.
pub(crate) async fn dir_is_empty(path: &Path, budget: Duration) -> Result<bool, FsError> {
    let p: PathBuf = path.to_path_buf();
    let listed = super::offload::run(budget, move || {
        std::fs::read_dir(&p)
            .map(|mut d| d.next().is_none())
            .unwrap_or(true)
    });
    listed.await.map_err(|_| FsError::TimedOut(budget))
}

fn utf8(bytes: Vec<u8>) -> Result<String, FsError> {
    String::from_utf8(bytes).map_err(|e| {
        let valid = e.utf8_error().valid_up_to();
        let newlines = e.as_bytes()[..valid]
            .iter()
            .filter(|b| **b == b'\n')
            .count();
        let line = u32::try_from(newlines)
            .unwrap_or(u32::MAX)
            .saturating_add(1);
        FsError::NotUtf8 { line }
    })
}

fn io_error(e: std::io::Error) -> FsError {
    if e.kind() == std::io::ErrorKind::NotFound {
        FsError::NotFound
    } else {
        FsError::Io(e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    fn fifo(dir: &Path) -> PathBuf {
        let p = dir.join("fifo");
        let ok = std::process::Command::new("mkfifo")
            .arg(&p)
            .status()
            .unwrap()
            .success();
        assert!(ok);
        p
    }

    #[test]
    fn refuses_fifos_without_blocking_and_reads_special_files_only_when_asked() {
        let dir = tempfile::tempdir().unwrap();
        let p = fifo(dir.path());
        let t = Instant::now();
        assert_eq!(
            read_sync(&p, Limit::regular(1024)),
            Err(FsError::NotRegular("a FIFO (named pipe)"))
        );
        // Asked for: no writer means end of file at once, not a hang.
        assert_eq!(read_sync(&p, Limit::any(1024)), Ok(Vec::new()));
        assert!(t.elapsed() < Duration::from_secs(1));
        assert_eq!(
            read_sync(Path::new("/dev/zero"), Limit::regular(1024)),
            Err(FsError::NotRegular("a character device"))
        );
        assert_eq!(
            read_sync(Path::new("/dev/zero"), Limit::any(1024)),
            Err(FsError::TooLarge { limit: 1024 })
        );
        assert_eq!(
            read_sync(dir.path(), Limit::any(1024)),
            Err(FsError::NotRegular("a directory"))
        );
        assert_eq!(
            read_sync(&dir.path().join("nope"), Limit::any(1)),
            Err(FsError::NotFound)
        );
    }

    #[test]
    fn a_fifo_with_a_silent_writer_is_not_waited_for() {
        let dir = tempfile::tempdir().unwrap();
        let p = fifo(dir.path());
        // Hold a writer open that never writes.
        let _w = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(&p)
            .unwrap();
        let t = Instant::now();
        assert_eq!(
            read_sync(&p, Limit::any(1024)),
            Err(FsError::WouldBlock("a FIFO (named pipe)"))
        );
        assert!(t.elapsed() < Duration::from_secs(1));
    }

    #[test]
    fn limits_and_utf8_errors_are_plain_and_located() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a");
        std::fs::write(&p, b"ok\nstill ok\nbad \xff here\n").unwrap();
        assert_eq!(
            read_text_sync(&p, Limit::regular(1024)),
            Err(FsError::NotUtf8 { line: 3 })
        );
        std::fs::write(&p, vec![b'a'; 2049]).unwrap();
        let e = read_sync(&p, Limit::regular(2048)).unwrap_err();
        assert_eq!(e.to_string(), "larger than the 2 KiB limit");
        assert_eq!(read_sync(&p, Limit::regular(2049)).unwrap().len(), 2049);
    }

    #[tokio::test]
    async fn async_reads_run_off_the_workers() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a");
        std::fs::write(&p, "hello").unwrap();
        let text = read_text(&p, Limit::regular(16), Duration::from_secs(5))
            .await
            .unwrap();
        assert_eq!(text, "hello");
        let p = fifo(dir.path());
        let e = read(&p, Limit::regular(16), Duration::from_secs(5))
            .await
            .unwrap_err();
        assert!(e.to_string().contains("FIFO"), "{e}");
    }
}
