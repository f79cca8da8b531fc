//! Located diagnostics for anything a user wrote (catalogues, compose files).
//!
//! A [`Diagnostic`] carries a stable kebab-case code, a message, a position
//! (file, line, column) and a hint. [`Diagnostics`] collects all of them so a
//! user sees every problem at once, and renders them rustc-style with
//! `codespan-reporting`: `error[code]: message`, the `file:line:column`, the
//! source line with a caret, and `= help: …`.

use std::fmt;

use codespan_reporting::diagnostic::{Diagnostic as CsDiagnostic, Label};
use codespan_reporting::files::SimpleFiles;
use codespan_reporting::term::{self, Config};

/// A position in a file a user wrote. Lines and columns are 1-based.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Location {
    /// The file as the user named it; shared by every location in one file
    /// (100,000 checks of one catalogue named it 100,000 times).
    pub file: std::sync::Arc<str>,
    /// 1-based line.
    pub line: u32,
    /// 1-based column (in characters).
    pub column: u32,
}

/// `file` as a shared name: the last one asked for on this thread is handed
/// out again while the same file is asked for (a catalogue's locations come
/// one file at a time), so its checks share one allocation.
pub(crate) fn shared_name(file: &str) -> std::sync::Arc<str> {
    thread_local! {
        static LAST: std::cell::RefCell<Option<std::sync::Arc<str>>> =
            const { std::cell::RefCell::new(None) };
    }
    LAST.with(|last| {
        let mut last = last.borrow_mut();
        match last.as_ref() {
            Some(name) if **name == *file => name.clone(),
            _ => last.insert(std::sync::Arc::from(file)).clone(),
        }
    })
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}

/// One problem in user input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Diagnostic {
    /// Stable code, e.g. `catalogue/unknown-kind`. Published codes never change.
    pub code: &'static str,
    /// What is wrong.
    pub message: String,
    /// Where, when known.
    pub location: Option<Location>,
    /// A short label under the caret.
    pub label: Option<String>,
    /// How to fix it (did-you-mean and the like).
    pub hint: Option<String>,
}

impl Diagnostic {
    /// A diagnostic with a code and a message.
    pub(crate) fn new(code: &'static str, message: impl Into<String>) -> Self {
        Diagnostic {
            code,
            message: message.into(),
            location: None,
            label: None,
            hint: None,
        }
    }

    /// Locates the diagnostic.
    pub(crate) fn at(mut self, location: Option<Location>) -> Self {
        self.location = location;
        self
    }

    /// Adds a label shown under the caret.
    pub(crate) fn label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    /// Adds a hint.
    pub(crate) fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Adds a hint when there is one.
    pub(crate) fn maybe_hint(mut self, hint: Option<String>) -> Self {
        if hint.is_some() {
            self.hint = hint;
        }
        self
    }
}

/// Every stable diagnostic code with a one-line description. A test keeps it
/// unique; `readyctl explain CODE` prints a code's line.
pub(crate) const CODES: &[(&str, &str)] = &[
    (
        "catalogue/io",
        "a catalogue file or directory could not be read",
    ),
    ("catalogue/yaml", "a catalogue file is not valid YAML"),
    (
        "catalogue/shape",
        "a catalogue value has the wrong type or shape",
    ),
    (
        "catalogue/version",
        "the catalogue `version` is missing or unsupported",
    ),
    (
        "catalogue/unknown-field",
        "a field that readyctl does not know",
    ),
    ("catalogue/missing-field", "a required field is missing"),
    (
        "catalogue/unknown-kind",
        "a check `kind` that no registered kind has",
    ),
    (
        "catalogue/invalid-spec",
        "a kind's own fields are inconsistent or invalid",
    ),
    ("catalogue/duplicate-id", "two checks share an id"),
    (
        "catalogue/invalid-id",
        "a check id is not dotted lower-case words",
    ),
    (
        "catalogue/unknown-dependency",
        "`depends_on` names a check that does not exist",
    ),
    ("catalogue/dependency-cycle", "`depends_on` forms a cycle"),
    (
        "catalogue/unresolved-variable",
        "`${VAR}` has no value and no default",
    ),
    (
        "catalogue/unknown-target",
        "a check names a target the catalogue does not define",
    ),
    ("catalogue/empty", "the catalogue has no checks"),
    ("waivers/io", "the waiver file could not be read"),
    (
        "waivers/shape",
        "a waiver entry is malformed (fields: check, reason, by, expires)",
    ),
    (
        "waivers/unknown-check",
        "a waiver names a check the catalogue does not have",
    ),
    ("compose/io", "a compose file could not be read"),
    ("compose/yaml", "a compose file is not valid YAML"),
    (
        "compose/shape",
        "a compose value has the wrong type or shape",
    ),
    (
        "compose/env-file",
        "an env file for interpolation cannot be parsed",
    ),
    (
        "compose/interpolation",
        "a `${VAR:?msg}` failed or a `${…}` is malformed",
    ),
    ("compose/extends-cycle", "`extends` forms a cycle"),
    (
        "compose/extends-missing-file",
        "`extends.file` names a file that does not exist",
    ),
    (
        "compose/extends-unknown-service",
        "`extends.service` names a service that is not defined",
    ),
    (
        "compose/undefined-dependency",
        "an active service depends on a service that is undefined or disabled by its profile",
    ),
    (
        "compose/undefined-resource",
        "a service uses a volume, network, secret or config that is not declared",
    ),
    ("compose/dependency-cycle", "`depends_on` forms a cycle"),
    (
        "compose/project-name",
        "the project name given with -p or COMPOSE_PROJECT_NAME is not valid",
    ),
];

/// A set of diagnostics plus the sources they point into.
#[derive(Debug, Default)]
pub(crate) struct Diagnostics {
    /// The problems, in the order found.
    pub items: Vec<Diagnostic>,
    sources: Vec<(String, String)>,
}

impl Diagnostics {
    /// Records the text of `file` so diagnostics in it can show source lines.
    pub(crate) fn add_source(&mut self, file: impl Into<String>, text: impl Into<String>) {
        self.sources.push((file.into(), text.into()));
    }

    /// Adds a diagnostic.
    pub(crate) fn push(&mut self, d: Diagnostic) {
        self.items.push(d);
    }

    /// True when no problem was found.
    pub(crate) fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Renders every diagnostic, with source snippets where the file is known.
    pub(crate) fn render(&self, color: bool) -> String {
        let redactor = self.redactor();
        let mut files = SimpleFiles::new();
        // Source lines are masked keeping their width, so carets still point
        // at the right column; a literal DSN password or Bearer token on a
        // line beside an unset variable is not shown.
        let ids: Vec<(String, usize)> = self
            .sources
            .iter()
            .map(|(name, text)| {
                (
                    name.clone(),
                    files.add(name.clone(), redactor.mask_keep_width(text)),
                )
            })
            .collect();
        let config = Config {
            chars: term::Chars::ascii(),
            ..Config::default()
        };
        let mut buf = if color {
            termcolor::Buffer::ansi()
        } else {
            termcolor::Buffer::no_color()
        };
        for d in &self.items {
            let mut cs = CsDiagnostic::error()
                .with_code(d.code)
                .with_message(&d.message);
            let mut notes = Vec::new();
            let mut placed = false;
            if let Some(loc) = &d.location {
                // Very long lines (minified or hostile input) make useless snippets.
                if let Some((_, id)) = ids.iter().find(|(n, _)| **n == *loc.file)
                    && line_len(&self.sources[*id].1, loc.line) <= MAX_SNIPPET_LINE
                    && let Some(range) = byte_range(&self.sources[*id].1, loc.line, loc.column)
                {
                    let mut label = Label::primary(*id, range);
                    if let Some(l) = &d.label {
                        label = label.with_message(l);
                    }
                    cs = cs.with_labels(vec![label]);
                    placed = true;
                }
                if !placed {
                    notes.push(format!("at {loc}"));
                }
            }
            if let Some(h) = &d.hint {
                notes.push(format!("help: {h}"));
            }
            cs = cs.with_notes(notes);
            if term::emit_to_write_style(&mut buf, &config, &files, &cs).is_err() {
                // Rendering a snippet failed (a position beyond the file): fall back to plain text.
                buf.clear();
                return self.render_plain();
            }
        }
        let n = self.items.len();
        let tail = format!(
            "error: {n} problem{} found; nothing was run\n",
            if n == 1 { "" } else { "s" }
        );
        let mut out = redactor.mask(&String::from_utf8_lossy(buf.as_slice()));
        out.push_str(&tail);
        out
    }

    /// A redactor for the literal secrets in the sources and the messages:
    /// diagnostics are shown when nothing loaded, so nothing else has
    /// registered them.
    fn redactor(&self) -> crate::redact::Redactor {
        let texts = self.sources.iter().map(|(_, t)| t.as_str()).chain(
            self.items
                .iter()
                .flat_map(|d| {
                    [
                        Some(d.message.as_str()),
                        d.label.as_deref(),
                        d.hint.as_deref(),
                    ]
                })
                .flatten(),
        );
        crate::redact::Redactor::with_values(texts.flat_map(crate::redact::secrets_in_text))
    }

    /// One line per diagnostic: `file:line:col: error[code]: message (help: …)`.
    pub(crate) fn render_plain(&self) -> String {
        let mut out = String::new();
        for d in &self.items {
            if let Some(loc) = &d.location {
                out.push_str(&format!("{loc}: "));
            }
            out.push_str(&format!("error[{}]: {}", d.code, d.message));
            if let Some(h) = &d.hint {
                out.push_str(&format!(" (help: {h})"));
            }
            out.push('\n');
        }
        self.redactor().mask(&out)
    }
}

/// Longest source line shown as a snippet.
const MAX_SNIPPET_LINE: usize = 300;

fn line_len(text: &str, line: u32) -> usize {
    text.split('\n')
        .nth(line.saturating_sub(1) as usize)
        .map_or(0, str::len)
}

/// Byte range of the token starting at `line:column` (1-based, column in
/// characters), extended to the end of the word so the caret underlines it.
fn byte_range(text: &str, line: u32, column: u32) -> Option<std::ops::Range<usize>> {
    let mut offset = 0usize;
    for (i, l) in text.split_inclusive('\n').enumerate() {
        if i + 1 == line as usize {
            let col_byte = l
                .char_indices()
                .nth(column.saturating_sub(1) as usize)
                .map(|(b, _)| b)
                .unwrap_or(l.trim_end_matches('\n').len());
            let start = offset + col_byte;
            let rest = &l[col_byte..];
            let len = rest
                .find(|c: char| c.is_whitespace() || c == ':' || c == ',' || c == ']' || c == '}')
                .unwrap_or(rest.trim_end().len())
                .max(1)
                .min(rest.trim_end_matches('\n').len().max(1));
            let end = (start + len).min(text.len());
            return Some(start..end.max(start));
        }
        offset += l.len();
    }
    None
}

/// The closest candidate to `word`, when close enough to be a likely typo.
pub(crate) fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| {
            (
                strsim::jaro_winkler(&word.to_lowercase(), &c.to_lowercase()),
                c,
            )
        })
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_described() {
        let mut seen = std::collections::HashSet::new();
        for (code, desc) in CODES {
            assert!(seen.insert(code), "duplicate code {code}");
            assert!(!desc.is_empty());
        }
    }

    #[test]
    fn did_you_mean_finds_typos_but_not_strangers() {
        assert_eq!(did_you_mean("fle", ["file", "tcp", "scan"]), Some("file"));
        assert_eq!(did_you_mean("redsi", ["redis", "vault"]), Some("redis"));
        assert_eq!(did_you_mean("zzzz", ["redis", "vault"]), None);
    }

    #[test]
    fn renders_location_caret_and_help() {
        let mut d = Diagnostics::default();
        d.add_source("c.yml", "checks:\n  - kind: fle\n");
        d.push(
            Diagnostic::new("catalogue/unknown-kind", "unknown check kind `fle`")
                .at(Some(Location {
                    file: "c.yml".into(),
                    line: 2,
                    column: 11,
                }))
                .hint("did you mean `file`?"),
        );
        let out = d.render(false);
        assert!(
            out.contains("error[catalogue/unknown-kind]: unknown check kind `fle`"),
            "{out}"
        );
        assert!(out.contains("c.yml:2:11"), "{out}");
        assert!(out.contains("^^^"), "{out}");
        assert!(out.contains("help: did you mean `file`?"), "{out}");
    }

    /// Regression (issue 17): a catalogue line holding a literal DSN password
    /// or Bearer token beside an unset variable printed it in the snippet.
    #[test]
    fn snippets_mask_literal_secrets_and_keep_the_caret() {
        let mut d = Diagnostics::default();
        let line = r#"  - {url: "postgres://app:s3cr/et@w0rd@db/app", headers: {Authorization: "Bearer tok-123-abc"}, x: "${UNSET}"}"#;
        d.add_source("c.yml", format!("checks:\n{line}\n"));
        let col = line.find("${UNSET}").unwrap() as u32 + 1;
        d.push(
            Diagnostic::new("catalogue/unset-variable", "variable UNSET is not set").at(Some(
                Location {
                    file: "c.yml".into(),
                    line: 2,
                    column: col,
                },
            )),
        );
        for out in [d.render(false), d.render_plain()] {
            for secret in ["s3cr/et@w0rd", "tok-123-abc", "s3cr", "w0rd@db"] {
                assert!(!out.contains(secret), "{secret} in {out}");
            }
        }
        let out = d.render(false);
        // The caret still sits under `${UNSET}`.
        let lines: Vec<&str> = out.lines().collect();
        let src = lines.iter().position(|l| l.contains("${UNSET}")).unwrap();
        let caret = lines[src + 1];
        assert_eq!(caret.find('^'), lines[src].find("${UNSET}"), "{out}");
    }
}
