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
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        if text.len() >= PARALLEL_FROM_BYTES
            && let Some(entries) = parse_in_parts(text)
        {
            return Ok(EnvFile { entries });
        }
        Parser::new(text, lookup, 0, text.len())
            .run()
            .map(|(entries, _)| EnvFile { entries })
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

/// The offset of the first character that is not whitespace (Unicode's
/// `White_Space`, as `char::is_whitespace`), ASCII bytes judged directly.
fn next_non_blank(s: &str) -> Option<usize> {
    for (i, &b) in s.as_bytes().iter().enumerate() {
        match b {
            b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r' => {}
            b if b < 0x80 => return Some(i),
            // `i` is a character boundary: every byte before it was ASCII.
            _ => return s[i..].find(|c: char| !c.is_whitespace()).map(|k| i + k),
        }
    }
    None
}

/// Blanks inside a line (compose's `isSpace`: not the line break).
fn is_space(c: char) -> bool {
    matches!(
        c,
        '\t' | '\u{b}' | '\u{c}' | '\r' | ' ' | '\u{85}' | '\u{a0}'
    )
}

/// Files this large are parsed in parts, one per core ([`parse_in_parts`]).
const PARALLEL_FROM_BYTES: usize = 256 * 1024;

/// Parses `text` in one part per core, each from a line start near an
/// equal share of the bytes, or gives up (`None`: parse it in one go) when
/// the parts do not join exactly as one pass would read them:
/// - a part's last statement must end at or before the next part's start
///   (a quoted value spanning lines across the cut moves the cut);
/// - a part after the first must not need what the file set before it or
///   the lookup: a `$` to expand or a bare `KEY` line stops it.
///
/// A part that fails with an error gives up too, so the one pass reports
/// the file's first error, as it would have. The result is what
/// [`Parser::run`] over the whole text returns, entry for entry (the tests
/// compare the two on cuts through every kind of statement).
fn parse_in_parts(text: &str) -> Option<Vec<EnvEntry>> {
    let parts = crate::support::par::cores().min(text.len() / (PARALLEL_FROM_BYTES / 2));
    parse_in(text, parts)
}

fn parse_in(text: &str, parts: usize) -> Option<Vec<EnvEntry>> {
    if parts < 2 {
        return None;
    }
    let bytes = text.as_bytes();
    let mut cuts = vec![0];
    for k in 1..parts {
        let at = text.len() * k / parts;
        let cut = at + memchr::memchr(b'\n', &bytes[at..])? + 1;
        if cut > *cuts.last()? && cut < text.len() {
            cuts.push(cut);
        }
    }
    cuts.push(text.len());
    let ranges: Vec<(usize, usize)> = cuts.windows(2).map(|w| (w[0], w[1])).collect();
    let done = crate::support::par::map_chunks(&ranges, 1, |mine| {
        mine.iter()
            .map(|&(from, to)| {
                // The parts run without the caller's lookup (it need not be
                // `Sync`): a part that would ask it gives up instead.
                let lookup = |_: &str| None;
                let mut p = Parser::new(text, &lookup, from, to);
                p.part = true;
                p.run().ok().filter(|(_, end)| *end <= to)
            })
            .collect::<Vec<_>>()
    });
    let mut entries = Vec::new();
    for part in done.into_iter().flatten() {
        let (part, _) = part?;
        if entries.is_empty() {
            entries = part;
        } else {
            entries.extend(part);
        }
    }
    Some(entries)
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
    /// Where this parser starts (a line start) and the offset from which
    /// statements are another part's.
    start: usize,
    stop: usize,
    /// A part of a file parsed in parts: gives up (an error) where the
    /// keys set before the part or the lookup would be needed.
    part: bool,
}

impl<'a> Parser<'a> {
    fn new(
        text: &'a str,
        lookup: &'a dyn Fn(&str) -> Option<String>,
        start: usize,
        stop: usize,
    ) -> Parser<'a> {
        // The line of `start`, for the statements' locations.
        let line = memchr::memchr_iter(b'\n', &text.as_bytes()[..start]).count();
        Parser {
            text,
            lookup,
            entries: Vec::new(),
            own: None,
            cursor: std::cell::Cell::new((
                start,
                u32::try_from(line).unwrap_or(u32::MAX).saturating_add(1),
                start,
            )),
            start,
            stop,
            part: false,
        }
    }

    /// A part that cannot go on alone: the caller parses the file in one go.
    fn give_up(&self, at: usize) -> EnvFileError {
        self.err(at, "needs the file before this part".to_string())
    }

    fn line_col(&self, at: usize) -> (u32, u32) {
        // Statements are located in file order, so count line breaks from the
        // last located offset, not from the start: counting from the start
        // made a 100,000-line file quadratic.
        let (mut from, mut line, mut line_start) = self.cursor.get();
        if at < from {
            (from, line, line_start) = (0, 1, 0);
        }
        let seg = &self.text.as_bytes()[from..at];
        if let Some(last) = memchr::memrchr(b'\n', seg) {
            let breaks = memchr::memchr_iter(b'\n', seg).count();
            line = line.saturating_add(u32::try_from(breaks).unwrap_or(u32::MAX));
            line_start = from + last + 1;
        }
        self.cursor.set((at, line, line_start));
        let prefix = &self.text[line_start..at];
        let col = if prefix.is_ascii() {
            prefix.len()
        } else {
            prefix.chars().count()
        };
        (
            line,
            u32::try_from(col).unwrap_or(u32::MAX).saturating_add(1),
        )
    }

    fn err(&self, at: usize, message: String) -> EnvFileError {
        EnvFileError {
            message,
            line: Some(self.line_col(at).0),
        }
    }

    /// The statements that start in `start..stop`, and where the last one
    /// ends.
    fn run(&mut self) -> Result<(Vec<EnvEntry>, usize), EnvFileError> {
        let text = self.text;
        let mut pos = self.start;
        let mut last_end = pos;
        // The next statement: skip blanks, line breaks and comment lines.
        while let Some(off) = next_non_blank(&text[pos..]) {
            pos += off;
            if pos >= self.stop {
                break;
            }
            if text[pos..].starts_with('#') {
                match memchr::memchr(b'\n', &text.as_bytes()[pos..]) {
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
            let end = self.key_end(src)?;
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
                if self.part {
                    return Err(self.give_up(key_at));
                }
                if let Some(v) = (self.lookup)(&key) {
                    self.set(key, v, line, column);
                }
                pos = value_from;
                last_end = pos;
                continue;
            }
            let vstart = value_from
                + (text[value_from..].len()
                    - text[value_from..].trim_start_matches(is_space).len());
            let (value, next) = self.value(vstart)?;
            self.set(key, value, line, column);
            pos = next;
            last_end = pos;
        }
        Ok((std::mem::take(&mut self.entries), last_end))
    }

    /// Where the key starting at `src` ends: at `=`, `:` or a line break (a
    /// bare `KEY`), or `None` at the end of the text. ASCII bytes are
    /// judged one by one; the first non-ASCII one hands the rest to the
    /// character loop (letters and blanks beyond ASCII are allowed too).
    fn key_end(&self, src: usize) -> Result<Option<(usize, char)>, EnvFileError> {
        let text = self.text;
        let bytes = text.as_bytes();
        let mut i = src;
        while let Some(&b) = bytes.get(i) {
            match b {
                b'=' | b':' | b'\n' => return Ok(Some((i, char::from(b)))),
                b'\t' | 0x0b | 0x0c | b'\r' | b' ' | b'_' | b'.' | b'-' | b'[' | b']' => {}
                b if b.is_ascii_alphanumeric() => {}
                b if b >= 0x80 => break,
                _ => return Err(self.bad_key_char(src, i)),
            }
            i += 1;
        }
        // `i` is a character boundary: every byte before it was ASCII.
        for (k, c) in text[i..].char_indices() {
            if is_space(c) {
                continue;
            }
            match c {
                '=' | ':' | '\n' => return Ok(Some((i + k, c))),
                '_' | '.' | '-' | '[' | ']' => {}
                c if c.is_alphabetic() || c.is_numeric() => {}
                _ => return Err(self.bad_key_char(src, i + k)),
            }
        }
        Ok(None)
    }

    fn bad_key_char(&self, src: usize, at: usize) -> EnvFileError {
        let c = self.text[at..].chars().next().unwrap_or_default();
        let line = self.text[src..].lines().next().unwrap_or_default();
        self.err(
            at,
            format!(
                "unexpected character {c:?} in variable name {:?}",
                truncate(line, 60)
            ),
        )
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
                let end = memchr::memchr(b'\n', src.as_bytes()).unwrap_or(src.len());
                let mut v = &src[..end];
                // ` #` starts a comment: look for `#` (rare in values) and
                // check the byte before it; `str::find` with a two-byte
                // pattern sets up a substring searcher per call, per line.
                let mut from = 0;
                while let Some(h) = memchr::memchr(b'#', &v.as_bytes()[from..]) {
                    let h = from + h;
                    if h > 0 && v.as_bytes()[h - 1] == b' ' {
                        v = &v[..h - 1];
                        break;
                    }
                    from = h + 1;
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
        if memchr::memchr(b'$', v.as_bytes()).is_none() {
            return Ok(v.to_string());
        }
        if self.part {
            return Err(self.give_up(at));
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

    /// Parsing in parts must be the one pass, entry for entry, wherever the
    /// cuts fall: through quoted values spanning lines, comments, blank
    /// lines, `export`, YAML-style and non-ASCII keys. Where a part would
    /// need the file before it (`$`, a bare `KEY`) it gives up, and the
    /// caller's one pass is the answer.
    #[test]
    fn parts_join_to_the_one_pass() {
        let lines = [
            "A=1",
            "# a comment = not a key",
            "",
            "export B='two\nlines'",
            "C: yaml style",
            "D=\"multi",
            "line # not a comment",
            "value\"",
            "   E = spaced # comment",
            "ÉTÉ=sommer",
            "F=\"esc \\\" quote\"",
            "G=#not-a-comment",
        ];
        let mut text = String::new();
        for i in 0..40 {
            text.push_str(lines[i % lines.len()]);
            text.push('\n');
        }
        let one = EnvFile::parse(&text).unwrap().entries;
        let mut joined = 0;
        for parts in 2..=9 {
            if let Some(entries) = parse_in(&text, parts) {
                joined += 1;
                assert_eq!(entries, one, "{parts} parts");
            }
        }
        // Cuts inside a multi-line value refuse; the others must join.
        assert!(joined >= 1, "none of 8 cuttings joined");
        let plain: String = (0..500).map(|i| format!("K{i}=v{i}\n")).collect();
        let one = EnvFile::parse(&plain).unwrap().entries;
        assert_eq!(parse_in(&plain, 2).as_ref(), Some(&one));
        assert_eq!(one[499].line, 500);
        // Needing what came before: each gives up rather than guess.
        let dollar = format!("{plain}X=$K1\n{plain}");
        assert_eq!(parse_in(&dollar, 2), None);
        let bare = format!("{plain}SHELL_ONLY\n{plain}");
        assert_eq!(parse_in(&bare, 2), None);
        // A quoted value across the cut moves nothing: the parts refuse.
        let spanning = format!("{}Q=\"{}\"\n", &plain[..3000], "x\n".repeat(2000));
        if let Some(e) = parse_in(&spanning, 2) {
            assert_eq!(e, EnvFile::parse(&spanning).unwrap().entries);
        }
        // Big enough for the parallel path through the public entry point.
        let big: String = (0..40_000)
            .map(|i| format!("KEY_{i}=value-{i}\n"))
            .collect();
        assert!(big.len() >= PARALLEL_FROM_BYTES);
        let f = EnvFile::parse(&big).unwrap();
        assert_eq!(f.entries.len(), 40_000);
        assert_eq!(
            f.get("KEY_39999").map(|e| (e.line, e.value.as_str())),
            Some((40_000, "value-39999"))
        );
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
