//! Reading the text files kinds parse (`redis.conf`, policy HCL, alembic
//! revisions, init SQL) with a size limit and a located UTF-8 error, so a
//! huge, binary or endless file (`/dev/zero`) ends in a plain error instead
//! of unbounded memory or a lossy parse.
//!
//! Limits (documented in `docs/limits.md`): catalogue 16 MiB, `.env` 4 MiB,
//! these text files 8 MiB each, scanned files 2 MiB (larger ones skipped),
//! `file` contents 64 MiB, command output 1 MiB.

use std::path::Path;

/// Largest text file read for parsing.
pub(crate) const MAX_TEXT_FILE_BYTES: u64 = 8 * 1024 * 1024;

/// Why a text file could not be read; `line` when the problem has one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TextFileError {
    /// A plain sentence (without the file name: callers locate it).
    pub message: String,
    /// 1-based line of the first invalid byte, for non-UTF-8 files.
    pub line: Option<u32>,
}

/// Reads `path` as UTF-8 text of at most `max` bytes, through the one
/// bounded reader ([`crate::support::fs`]): regular files only, opened
/// non-blocking, never past `max`.
pub(crate) fn read(path: &Path, max: u64) -> Result<String, TextFileError> {
    use crate::support::fs::{FsError, Limit, read_text_sync};
    read_text_sync(path, Limit::regular(max)).map_err(|e| TextFileError {
        message: match &e {
            FsError::TooLarge { .. } => format!(
                "larger than the {} MiB limit for files readyctl parses",
                max / (1024 * 1024)
            ),
            FsError::NotUtf8 { .. } => e.to_string(),
            other => format!("cannot read: {other}"),
        },
        line: e.line(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locates_invalid_utf8_and_refuses_huge_files() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a");
        std::fs::write(&p, b"ok\nstill ok\nbad \xff here\n").unwrap();
        let e = read(&p, MAX_TEXT_FILE_BYTES).unwrap_err();
        assert_eq!(e.line, Some(3));
        std::fs::write(&p, vec![b'a'; 2049]).unwrap();
        assert!(read(&p, 2048).unwrap_err().message.contains("limit"));
        assert_eq!(read(&p, 4096).unwrap().len(), 2049);
        assert!(read(Path::new("/dev/zero"), 1024).is_err());
    }
}
