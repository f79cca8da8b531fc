//! `.env` files: parsed with `dotenvy` (quotes, `export`, comments,
//! multi-line double-quoted values, `${VAR}` expansion) and located, so that
//! findings can point at the line that sets a key.
//!
//! Used by the catalogue loader (values for `${VAR}` interpolation) and by the
//! `env_file` kind. It only reads; it never touches the process environment.

use std::path::Path;

/// One `KEY=value` assignment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvEntry {
    /// The key.
    pub key: String,
    /// The value after unquoting and expansion.
    pub value: String,
    /// 1-based line of the assignment (0 when it could not be located).
    pub line: u32,
    /// 1-based column of the key.
    pub column: u32,
}

/// A parsed `.env` file, in file order (later duplicates win on lookup).
#[derive(Debug, Clone, Default)]
pub struct EnvFile {
    /// The assignments.
    pub entries: Vec<EnvEntry>,
}

/// A `.env` file that could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct EnvFileError {
    /// What is wrong.
    pub message: String,
    /// 1-based line, when known.
    pub line: Option<u32>,
}

/// Upper bound on a `.env` file's size; anything larger is not an env file.
pub const MAX_ENV_FILE_BYTES: u64 = 4 * 1024 * 1024;

impl EnvFile {
    /// Reads and parses `path`.
    pub fn read(path: &Path) -> Result<EnvFile, EnvFileError> {
        // The one bounded reader: regular files only, non-blocking open (a
        // FIFO named as an env file must not hang the catalogue load).
        let limit = crate::support::fs::Limit::regular(MAX_ENV_FILE_BYTES);
        let bytes = crate::support::fs::read_sync(path, limit).map_err(|e| EnvFileError {
            message: format!("cannot read {}: {e}", path.display()),
            line: None,
        })?;
        let text = String::from_utf8(bytes).map_err(|e| EnvFileError {
            message: format!("{} is not UTF-8 text", path.display()),
            line: Some(line_of_offset_bytes(
                e.as_bytes(),
                e.utf8_error().valid_up_to(),
            )),
        })?;
        EnvFile::parse(&text)
    }

    /// Parses `.env` text.
    pub fn parse(text: &str) -> Result<EnvFile, EnvFileError> {
        // A NUL byte cannot be in an environment variable (execve stops at
        // it): the file is binary or corrupt, whatever dotenvy makes of it.
        if let Some(at) = text.find('\0') {
            let line = u32::try_from(text[..at].matches('\n').count()).unwrap_or(u32::MAX);
            return Err(EnvFileError {
                message: "contains a NUL byte: binary or corrupt, not a .env file".to_string(),
                line: Some(line.saturating_add(1)),
            });
        }
        let iter = dotenvy::from_read_iter(text.as_bytes());
        let mut entries = Vec::new();
        let mut search_from_line = 0usize;
        let lines: Vec<&str> = text.lines().collect();
        for item in iter {
            let (key, value) = item.map_err(|e| match e {
                dotenvy::Error::LineParse(line, idx) => EnvFileError {
                    line: locate_text(&lines, &line),
                    message: format!(
                        "cannot parse `{}` (at character {})",
                        truncate(&line, 60),
                        idx + 1
                    ),
                },
                other => EnvFileError {
                    message: other.to_string(),
                    line: None,
                },
            })?;
            let (line, column) = locate_key(&lines, &key, search_from_line);
            if line > 0 {
                search_from_line = line as usize;
            }
            entries.push(EnvEntry {
                key,
                value,
                line,
                column,
            });
        }
        Ok(EnvFile { entries })
    }

    /// The last value set for `key`.
    pub fn get(&self, key: &str) -> Option<&EnvEntry> {
        self.entries.iter().rev().find(|e| e.key == key)
    }
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(n).collect::<String>())
    }
}

fn line_of_offset_bytes(bytes: &[u8], offset: usize) -> u32 {
    bytes[..offset.min(bytes.len())]
        .iter()
        .filter(|b| **b == b'\n')
        .count() as u32
        + 1
}

fn locate_text(lines: &[&str], needle: &str) -> Option<u32> {
    let first = needle.lines().next()?.trim();
    lines
        .iter()
        .position(|l| l.trim() == first)
        .map(|i| i as u32 + 1)
}

/// Finds the line assigning `key`, searching forward from the previous
/// assignment so repeated keys get their own lines.
fn locate_key(lines: &[&str], key: &str, from: usize) -> (u32, u32) {
    (from..lines.len())
        .chain(0..from.min(lines.len()))
        .find_map(|i| assignment_at(lines[i], key).map(|col| (i as u32 + 1, col)))
        .unwrap_or((0, 0))
}

/// The 1-based column of `key` when `line` assigns it.
fn assignment_at(line: &str, key: &str) -> Option<u32> {
    let trimmed = line.trim_start();
    let indent = line.len() - trimmed.len();
    let (rest, export_len) = match trimmed.strip_prefix("export ") {
        Some(r) => {
            let r2 = r.trim_start();
            (r2, trimmed.len() - r2.len())
        }
        None => (trimmed, 0),
    };
    let after = rest.strip_prefix(key)?;
    after
        .trim_start()
        .starts_with('=')
        .then_some((indent + export_len) as u32 + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_quotes_export_comments_and_multiline() {
        let text = "# comment\nexport A=1\nB='two words'\nC=\"line1\nline2\"\n\nD=plain # trailing\nA=again\n";
        let f = EnvFile::parse(text).unwrap();
        assert_eq!(f.get("A").unwrap().value, "again");
        assert_eq!(f.get("A").unwrap().line, 8);
        assert_eq!(f.entries[0].line, 2);
        assert_eq!(f.entries[0].column, 8);
        assert_eq!(f.get("B").unwrap().value, "two words");
        assert_eq!(f.get("C").unwrap().value, "line1\nline2");
        assert_eq!(f.get("D").unwrap().value, "plain");
        assert_eq!(f.get("D").unwrap().line, 7);
    }

    #[test]
    fn reports_unparsable_line() {
        let err = EnvFile::parse("OK=1\nthis is not an assignment\n").unwrap_err();
        assert_eq!(err.line, Some(2), "{err:?}");
    }
}
