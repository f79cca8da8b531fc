//! `.env` files, parsed exactly as docker compose parses them (compose-go's
//! `dotenv` package, v2.40.3), and located, so that findings can point at the
//! line that sets a key.
//!
//! The grammar, as compose reads it:
//! - a leading UTF-8 BOM is dropped; blank lines and `#` lines are skipped;
//! - `export KEY=…` is `KEY=…`; `KEY: value` (YAML style) is `KEY=value`;
//! - keys are letters, digits, `_`, `.`, `-`, `[`, `]`; a key with a space
//!   is an error, any other character is an error naming it;
//! - a line holding only `KEY` takes `KEY`'s value from the lookup (the
//!   shell), and sets nothing when it has none;
//! - unquoted values run to the end of the line, lose a ` #…` comment and
//!   trailing blanks, keep quotes inside them, and are interpolated;
//! - `'single'` values are literal (only `\'` is unescaped) and may span
//!   lines; `"double"` values unescape `\n \r \t \a \b \f \v \" \\ \$` and
//!   `\0NNN` (octal), may span lines, and are interpolated;
//! - interpolation is compose's (`${X:-d}`, `$$`, a lone `$` kept): a name is
//!   looked up first in the lookup (the shell), then in the keys set earlier
//!   in the same file; a failing `${X:?msg}` is an error.
//!
//! Used by the compose model (interpolation and `env_file:`), the catalogue
//! loader and the `env_file` kind. It only reads; it never touches the process
//! environment.

use std::path::Path;

/// One `KEY=value` assignment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct EnvEntry {
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
pub(crate) struct EnvFile {
    /// The assignments.
    pub entries: Vec<EnvEntry>,
}

/// A `.env` file that could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub(crate) struct EnvFileError {
    /// What is wrong.
    pub message: String,
    /// 1-based line, when known.
    pub line: Option<u32>,
}

/// Upper bound on a `.env` file's size; anything larger is not an env file.
pub(crate) const MAX_ENV_FILE_BYTES: u64 = 4 * 1024 * 1024;

impl EnvFile {
    /// Reads and parses `path`.
    pub(crate) fn read(path: &Path) -> Result<EnvFile, EnvFileError> {
        EnvFile::read_with(path, &|_| None)
    }

    fn read_text(path: &Path) -> Result<String, EnvFileError> {
        // The one bounded reader: regular files only, non-blocking open (a
        // FIFO named as an env file must not hang the catalogue load).
        let limit = crate::support::fs::Limit::regular(MAX_ENV_FILE_BYTES);
        let bytes = crate::support::fs::read_sync(path, limit).map_err(|e| EnvFileError {
            message: format!("cannot read {}: {e}", path.display()),
            line: None,
        })?;
        String::from_utf8(bytes).map_err(|e| EnvFileError {
            message: format!("{} is not UTF-8 text", path.display()),
            line: Some(line_of_offset_bytes(
                e.as_bytes(),
                e.utf8_error().valid_up_to(),
            )),
        })
    }

    /// Parses `.env` text with nothing to look up (bare `KEY` lines set nothing).
    pub(crate) fn parse(text: &str) -> Result<EnvFile, EnvFileError> {
        EnvFile::parse_with(text, &|_| None)
    }

    /// Reads `path`, resolving bare keys and `${VAR}` through `lookup` first.
    pub(crate) fn read_with(
        path: &Path,
        lookup: &dyn Fn(&str) -> Option<String>,
    ) -> Result<EnvFile, EnvFileError> {
        let text = EnvFile::read_text(path)?;
        EnvFile::parse_with(&text, lookup)
    }

    /// Parses `.env` text as compose does (see the module docs); `lookup`
    /// resolves bare `KEY` lines and is asked first for `${VAR}`.
    pub(crate) fn parse_with(
        text: &str,
        lookup: &dyn Fn(&str) -> Option<String>,
    ) -> Result<EnvFile, EnvFileError> {
        // A NUL byte cannot be in an environment variable (execve stops at
        // it): the file is binary or corrupt. Compose would read on; readyctl
        // refuses (docs/compose.md lists this difference).
        if let Some(at) = text.find('\0') {
            let line = u32::try_from(text[..at].matches('\n').count()).unwrap_or(u32::MAX);
            return Err(EnvFileError {
                message: "contains a NUL byte: binary or corrupt, not a .env file".to_string(),
                line: Some(line.saturating_add(1)),
            });
        }
        Parser {
            text: text.strip_prefix('\u{feff}').unwrap_or(text),
            lookup,
            entries: Vec::new(),
            own: None,
            cursor: std::cell::Cell::new((0, 1, 0)),
        }
        .run()
    }

    /// The last value set for `key`.
    pub(crate) fn get(&self, key: &str) -> Option<&EnvEntry> {
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

/// Blanks inside a line (compose's `isSpace`: not the line break).
fn is_space(c: char) -> bool {
    matches!(
        c,
        '\t' | '\u{b}' | '\u{c}' | '\r' | ' ' | '\u{85}' | '\u{a0}'
    )
}

struct Parser<'a> {
    text: &'a str,
    lookup: &'a dyn Fn(&str) -> Option<String>,
    entries: Vec<EnvEntry>,
    /// Key → index of its last entry, for `${VAR}` of keys set earlier;
    /// built at the first value with a `$`, so files without one (nearly
    /// all) never pay a map insert per line.
    own: Option<std::collections::HashMap<String, usize>>,
    /// (offset, its 1-based line, that line's start) of the last location
    /// asked for (see `line_col`).
    cursor: std::cell::Cell<(usize, u32, usize)>,
}

impl Parser<'_> {
    fn line_col(&self, at: usize) -> (u32, u32) {
        // Statements are located in file order, so count line breaks from the
        // last located offset, not from the start: counting from the start
        // made a 100,000-line file quadratic.
        let (mut from, mut line, mut line_start) = self.cursor.get();
        if at < from {
            (from, line, line_start) = (0, 1, 0);
        }
        for (i, b) in self.text.as_bytes()[from..at].iter().enumerate() {
            if *b == b'\n' {
                line += 1;
                line_start = from + i + 1;
            }
        }
        self.cursor.set((at, line, line_start));
        let col = self.text[line_start..at].chars().count() as u32 + 1;
        (line, col)
    }

    fn err(&self, at: usize, message: String) -> EnvFileError {
        EnvFileError {
            message,
            line: Some(self.line_col(at).0),
        }
    }

    fn run(mut self) -> Result<EnvFile, EnvFileError> {
        let text = self.text;
        let mut pos = 0;
        // The next statement: skip blanks, line breaks and comment lines.
        while let Some(off) = text[pos..].find(|c: char| !c.is_whitespace()) {
            pos += off;
            if text[pos..].starts_with('#') {
                match text[pos..].find('\n') {
                    Some(n) => {
                        pos += n;
                        continue;
                    }
                    None => break,
                }
            }
            let mut src = pos;
            if let Some(r) = text[src..].strip_prefix("export")
                && r.starts_with([' ', '\t', '\n', '\u{c}', '\r'])
            {
                let trimmed = r.trim_start_matches(is_space);
                src = text.len() - trimmed.len();
            }
            let key_at = src;
            // The key ends at `=`, `:` or a line break (a bare `KEY`).
            let mut end: Option<(usize, char)> = None;
            for (i, c) in text[src..].char_indices() {
                if is_space(c) {
                    continue;
                }
                match c {
                    '=' | ':' | '\n' => {
                        end = Some((src + i, c));
                        break;
                    }
                    '_' | '.' | '-' | '[' | ']' => {}
                    c if c.is_alphabetic() || c.is_numeric() => {}
                    c => {
                        let line = text[src..].lines().next().unwrap_or_default();
                        return Err(self.err(
                            src + i,
                            format!(
                                "unexpected character {c:?} in variable name {:?}",
                                truncate(line, 60)
                            ),
                        ));
                    }
                }
            }
            // Compose reads a last line without `=` as a value for the empty
            // key (`{"": "SH"}`); so does readyctl, to agree with it.
            let (key, value_from, inherited) = match end {
                Some((i, c)) => (
                    text[src..i].trim_end().to_string(),
                    i + c.len_utf8(),
                    c == '\n',
                ),
                None => (String::new(), src, false),
            };
            if key.contains(' ') {
                return Err(self.err(key_at, "key cannot contain a space".to_string()));
            }
            let (line, column) = self.line_col(key_at);
            if inherited {
                if let Some(v) = (self.lookup)(&key) {
                    self.set(key, v, line, column);
                }
                pos = value_from;
                continue;
            }
            let vstart = value_from
                + (text[value_from..].len()
                    - text[value_from..].trim_start_matches(is_space).len());
            let (value, next) = self.value(vstart)?;
            self.set(key, value, line, column);
            pos = next;
        }
        Ok(EnvFile {
            entries: self.entries,
        })
    }

    fn set(&mut self, key: String, value: String, line: u32, column: u32) {
        if let Some(own) = &mut self.own {
            own.insert(key.clone(), self.entries.len());
        }
        self.entries.push(EnvEntry {
            key,
            value,
            line,
            column,
        });
    }

    /// The value starting at `at`; returns it and where the rest starts.
    fn value(&mut self, at: usize) -> Result<(String, usize), EnvFileError> {
        let text = self.text;
        let src = &text[at..];
        let quote = match src.as_bytes().first() {
            Some(q @ (b'"' | b'\'')) => *q,
            _ => {
                let end = src.find('\n').unwrap_or(src.len());
                let mut v = &src[..end];
                // A byte scan: `str::find` with a two-byte pattern sets up a
                // substring searcher per call, per line.
                if let Some(c) = v.as_bytes().windows(2).position(|w| w == b" #") {
                    v = &v[..c];
                }
                let v = v.trim_end();
                return Ok((self.expand(v, at)?, at + end));
            }
        };
        let b = src.as_bytes();
        let mut escaped = false;
        for i in 1..b.len() {
            if b[i] != quote {
                escaped = !escaped && b[i] == b'\\';
                continue;
            }
            if escaped {
                escaped = false;
                continue;
            }
            let raw = &src[1..i];
            let value = if quote == b'"' {
                self.expand(&unescape(raw), at)?
            } else {
                raw.replace("\\'", "'")
            };
            return Ok((value, at + i + 1));
        }
        let line = src.lines().next().unwrap_or_default();
        Err(self.err(
            at,
            format!("unterminated quoted value {}", truncate(line, 60)),
        ))
    }

    fn expand(&mut self, v: &str, at: usize) -> Result<String, EnvFileError> {
        if !v.contains('$') {
            return Ok(v.to_string());
        }
        let entries = &self.entries;
        let own = self.own.get_or_insert_with(|| {
            entries
                .iter()
                .enumerate()
                .map(|(i, e)| (e.key.clone(), i))
                .collect()
        });
        let lookup = |k: &str| {
            (self.lookup)(k).or_else(|| own.get(k).map(|&i| self.entries[i].value.clone()))
        };
        crate::domain::interp::interpolate(v, &lookup, &mut Vec::new())
            .map_err(|e| self.err(at, e.to_string()))
    }
}

/// Compose's escapes in double-quoted values: `\n \r \t \a \b \f \v \" \\`,
/// `\$` (a literal `$`, written `$$` for interpolation) and `\0NNN` octal;
/// anything else stays as written.
fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut it = s.char_indices().peekable();
    while let Some((i, c)) = it.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let Some(&(_, n)) = it.peek() else {
            out.push(c);
            break;
        };
        let simple = match n {
            'a' => Some("\u{7}"),
            'b' => Some("\u{8}"),
            'f' => Some("\u{c}"),
            'n' => Some("\n"),
            'r' => Some("\r"),
            't' => Some("\t"),
            'v' => Some("\u{b}"),
            '"' => Some("\""),
            '\\' => Some("\\"),
            '$' => Some("$$"),
            _ => None,
        };
        if let Some(rep) = simple {
            out.push_str(rep);
            it.next();
            continue;
        }
        if n == '0' {
            // `\0` and up to three digits; exactly three octal digits make a
            // byte, as Go's unquoting of `\NNN` does; otherwise kept as written.
            let digits: String = s[i + 2..]
                .chars()
                .take_while(char::is_ascii_digit)
                .take(3)
                .collect();
            it.next();
            for _ in 0..digits.len() {
                it.next();
            }
            match u8::from_str_radix(&digits, 8) {
                Ok(b) if digits.len() == 3 => out.push(char::from(b)),
                _ => {
                    out.push_str("\\0");
                    out.push_str(&digits);
                }
            }
            continue;
        }
        out.push(c);
    }
    out
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
        assert!(
            err.message.contains("key cannot contain a space"),
            "{err:?}"
        );
        let err = EnvFile::parse("OK=1\nA/B=2\n").unwrap_err();
        assert!(err.message.contains("unexpected character '/'"), "{err:?}");
    }

    #[test]
    fn reads_values_as_compose_does() {
        let text = "\u{feff}A=b c d # e#f\nG=h#i\nK: v\nexport  L=2\nM='it\\'s'\nN=\"x\\ny\\$q\\0101\"\nO=$1 50$\nP.Q-R[0]=ok\nSH\nS=${SH:-d}-$A\n";
        let f = EnvFile::parse_with(text, &|k| (k == "SH").then(|| "shell".to_string())).unwrap();
        let v = |k: &str| f.get(k).map(|e| e.value.clone());
        assert_eq!(v("A").as_deref(), Some("b c d"));
        assert_eq!(v("G").as_deref(), Some("h#i"));
        assert_eq!(v("K").as_deref(), Some("v"));
        assert_eq!(v("L").as_deref(), Some("2"));
        assert_eq!(v("M").as_deref(), Some("it's"));
        assert_eq!(v("N").as_deref(), Some("x\ny$qA"));
        assert_eq!(v("O").as_deref(), Some("$1 50$"));
        assert_eq!(v("P.Q-R[0]").as_deref(), Some("ok"));
        assert_eq!(v("SH").as_deref(), Some("shell"));
        assert_eq!(v("S").as_deref(), Some("shell-b c d"));
        assert_eq!(f.get("K").unwrap().line, 3);
    }
}
