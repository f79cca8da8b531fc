//! `scan`: no file under the root matches a forbidden pattern.

use std::path::PathBuf;

use globset::{Glob, GlobSet, GlobSetBuilder};
use serde::Deserialize;

use super::{CheckKind, Code, Outcome, RunContext, SpecProblem, check_regex};
use crate::report::Finding;
use crate::support::text::clip;

/// Files larger than this are not scanned (generated bundles, data).
const MAX_SCAN_FILE_BYTES: u64 = 2 * 1024 * 1024;
/// Stop collecting findings after this many (the count is still reported).
const MAX_FINDINGS: usize = 200;
/// Matches counted per file: past it the file's count stops and the message
/// says so (a minified file can match millions of times).
const MAX_MATCHES_PER_FILE: usize = 1000;

/// A forbidden-pattern search over the deployment's source tree.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ScanCheck {
    /// Directory to search, relative to the root (default: the root).
    #[serde(default)]
    pub(crate) path: Option<PathBuf>,
    /// Globs of files to search, e.g. `["**/*.py", "**/*.ts"]` (default: every file).
    #[serde(default)]
    pub(crate) include: Vec<String>,
    /// Globs of files to leave out (in addition to `.gitignore`d ones).
    #[serde(default)]
    pub(crate) exclude: Vec<String>,
    /// The forbidden regex.
    pub(crate) pattern: String,
    /// A comment marker that allows a match on its line, e.g. `readyctl: allow`.
    #[serde(default = "default_marker")]
    pub(crate) allow_marker: String,
}

fn default_marker() -> String {
    "readyctl: allow".to_string()
}

impl CheckKind for ScanCheck {
    const NAME: &'static str = "scan";
    const SUMMARY: &'static str =
        "no file under the root matches a forbidden regex (respects .gitignore)";
    const CODES: &'static [Code] = &[
        Code::fail(
            "scan/match",
            "the forbidden pattern matches: one finding per match, at file:line:column, quoting the match",
        ),
        Code::fail(
            "scan/no-files",
            "`path` and `include` select no file (or only binary or oversized ones): nothing was scanned, so the check fails rather than pass on an empty tree",
        ),
    ];
    const DOCS: &'static str = r#"# scan

## What it checks
Searches the files under the root that match `include` globs (respecting
`.gitignore`, `.ignore` and hidden files like `git grep` does) for a forbidden
regex. Every match is a finding with file:line:column. A match is allowed when
its file matches an `exclude` glob or its line carries the `allow_marker`.

## Why it matters
"No hard-coded localhost URLs in production code" and "no mock-data
fallbacks" are searches people forget to run.

## Example
```yaml
- id: backend.no-localhost
  kind: scan
  title: No hard-coded localhost URLs in production code
  include: ["src/**/*.py"]
  exclude: ["**/tests/**"]
  pattern: 'https?://(localhost|127\.0\.0\.1)'
```

## Fields
| field | type | meaning |
|---|---|---|
| `path` | path | directory to search (default: the root) |
| `include` | globs | files to search (default: all) |
| `exclude` | globs | files to leave out |
| `pattern` | regex | what must not appear (required) |
| `allow_marker` | text | a line containing this is allowed (default `readyctl: allow`) |

## Findings
"#;

    fn validate(&self) -> Vec<SpecProblem> {
        let mut p: Vec<SpecProblem> = check_regex("pattern", &self.pattern).into_iter().collect();
        for g in self.include.iter().chain(&self.exclude) {
            if let Err(e) = Glob::new(g) {
                p.push(SpecProblem::new(
                    "include",
                    format!("invalid glob `{g}`: {e}"),
                ));
            }
        }
        p
    }

    fn schema() -> Option<schemars::Schema> {
        Some(super::spec_schema::<Self>())
    }

    async fn run(&self, cx: &RunContext) -> Outcome {
        let base = cx.path(self.path.as_deref().unwrap_or(std::path::Path::new("")));
        if !base.is_dir() {
            return Outcome::fail(format!("{} is not a directory", base.display()));
        }
        let (Ok(re), Ok(include), Ok(exclude)) = (
            super::regex_cached(&self.pattern, false),
            globs(&self.include),
            globs(&self.exclude),
        ) else {
            return Outcome::error("invalid pattern or glob");
        };
        let root = cx.root.clone();
        let marker = self.allow_marker.clone();
        let has_include = !self.include.is_empty();
        // Walking and reading files is blocking work: keep it off the async
        // workers, and give up at the check's timeout.
        let walk = move || {
            let mut findings = Vec::new();
            let mut total = 0usize;
            let mut files = 0usize;
            // Files the globs select, readable or not: zero means the include
            // globs (or `path`) point at nothing, and the scan proves nothing.
            let mut selected = 0usize;
            let mut capped: Vec<String> = Vec::new();
            for entry in ignore::WalkBuilder::new(&base)
                .require_git(false)
                .build()
                .flatten()
            {
                if !entry.file_type().is_some_and(|t| t.is_file()) {
                    continue;
                }
                let rel = entry
                    .path()
                    .strip_prefix(&root)
                    .unwrap_or(entry.path())
                    .to_path_buf();
                if (has_include && !include.is_match(&rel)) || exclude.is_match(&rel) {
                    continue;
                }
                selected += 1;
                // Over the limit, swapped for a FIFO, unreadable: skipped.
                let limit = crate::support::fs::Limit::regular(MAX_SCAN_FILE_BYTES);
                let Ok(bytes) = crate::support::fs::read_sync(entry.path(), limit) else {
                    continue;
                };
                if bytes.contains(&0) {
                    continue; // binary
                }
                files += 1;
                let text = String::from_utf8_lossy(&bytes);
                let shown = rel.display().to_string();
                let mut lines = Lines::new(&text);
                let mut in_file = 0usize;
                for m in re.find_iter(&text) {
                    let mut line = lines.seek(m.start());
                    if line.allowed(&marker) {
                        continue;
                    }
                    total += 1;
                    in_file += 1;
                    if findings.len() < MAX_FINDINGS {
                        findings.push(
                            Finding::new(format!("forbidden `{}`", clip(m.as_str())))
                                .code("scan/match")
                                .at(shown.clone(), line.number, line.column),
                        );
                    }
                    if in_file >= MAX_MATCHES_PER_FILE {
                        capped.push(shown.clone());
                        break;
                    }
                }
            }
            (findings, total, files, selected, capped)
        };
        let result = crate::support::offload::run(cx.timeout, walk).await;
        let Ok((findings, total, files, selected, capped)) = result else {
            return Outcome::error(format!(
                "the scan did not finish within {}",
                humantime::format_duration(cx.timeout)
            ));
        };
        let cap_note = if capped.is_empty() {
            String::new()
        } else {
            format!(
                " (counting stopped at {MAX_MATCHES_PER_FILE} per file in {})",
                capped.join(", ")
            )
        };
        if files == 0 {
            let under = self
                .path
                .as_deref()
                .map(|p| format!(" under {}", p.display()))
                .unwrap_or_default();
            let globs = if self.include.is_empty() {
                String::new()
            } else {
                format!(" matches {}", self.include.join(", "))
            };
            let message = if selected == 0 {
                format!("no file{under}{globs}: nothing was scanned")
            } else {
                format!(
                    "the {selected} file(s){under}{globs} are binary or larger than {} MiB: nothing was scanned",
                    MAX_SCAN_FILE_BYTES / (1024 * 1024)
                )
            };
            return Outcome::fail(message.clone()).with_findings(vec![
                Finding::new(message)
                    .code("scan/no-files")
                    .hint("check `path` and `include` against the tree (globs are relative to --root, e.g. src/**/*.py)"),
            ]);
        }
        if total == 0 {
            return Outcome::pass(format!("no match for /{}/ in {files} files", self.pattern));
        }
        let first = findings
            .first()
            .and_then(Finding::location)
            .unwrap_or_default();
        // Say so when the cap dropped findings (the report's `truncated` too).
        let cut = if total > findings.len() {
            format!(" (truncated: {} of {total} listed)", findings.len())
        } else {
            String::new()
        };
        Outcome {
            findings_total: Some(total),
            findings,
            ..Outcome::fail(format!(
                "{total} match(es) of /{}/; first at {first}{cut}{cap_note}",
                self.pattern
            ))
        }
    }
}

/// Where a match is, found by walking the text forward once: matches come in
/// order, so the whole scan of a file is linear in its length (not matches ×
/// line length, as counting from the line start each time was).
struct Lines<'a> {
    text: &'a str,
    /// Byte offset the cursor is at, its 1-based line and column.
    at: usize,
    number: u32,
    column: u32,
    /// Start of the current line and whether it holds the allow marker
    /// (computed once per line).
    line_start: usize,
    marked: Option<bool>,
}

/// A match's position and whether its line is allowed.
struct Spot<'l, 'a> {
    number: u32,
    column: u32,
    lines: &'l mut Lines<'a>,
}

impl Spot<'_, '_> {
    fn allowed(&mut self, marker: &str) -> bool {
        let l = &mut *self.lines;
        *l.marked.get_or_insert_with(|| {
            let end = l.text[l.line_start..]
                .find('\n')
                .map(|i| l.line_start + i)
                .unwrap_or(l.text.len());
            l.text[l.line_start..end].contains(marker)
        })
    }
}

impl<'a> Lines<'a> {
    fn new(text: &'a str) -> Self {
        Lines {
            text,
            at: 0,
            number: 1,
            column: 1,
            line_start: 0,
            marked: None,
        }
    }

    /// Moves to `offset` (never backwards).
    fn seek(&mut self, offset: usize) -> Spot<'_, 'a> {
        let offset = offset.max(self.at);
        for (i, ch) in self.text[self.at..offset].char_indices() {
            if ch == '\n' {
                self.number = self.number.saturating_add(1);
                self.column = 1;
                self.line_start = self.at + i + 1;
                self.marked = None;
            } else {
                self.column = self.column.saturating_add(1);
            }
        }
        self.at = offset;
        Spot {
            number: self.number,
            column: self.column,
            lines: self,
        }
    }
}

fn globs(patterns: &[String]) -> Result<GlobSet, globset::Error> {
    let mut b = GlobSetBuilder::new();
    for p in patterns {
        b.add(Glob::new(p)?);
    }
    b.build()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Status;

    fn spec(yaml: &str) -> ScanCheck {
        let node = marked_yaml::parse_yaml(0, yaml).unwrap();
        marked_yaml::from_node(&node).unwrap()
    }

    #[tokio::test]
    async fn finds_matches_with_positions_and_honours_allow_and_gitignore() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("src")).unwrap();
        std::fs::write(
            dir.path().join("src/a.py"),
            "x = 1\nURL = 'http://localhost:8000'\nok = 'http://localhost' # readyctl: allow\n",
        )
        .unwrap();
        std::fs::write(dir.path().join("src/gen.py"), "URL = 'http://localhost'\n").unwrap();
        std::fs::write(dir.path().join(".gitignore"), "src/gen.py\n").unwrap();
        let cx = RunContext::for_root(dir.path());
        let o = spec("include: ['**/*.py']\npattern: 'http://localhost'\n")
            .run(&cx)
            .await;
        assert_eq!(o.status(), Status::Fail);
        assert_eq!(o.findings.len(), 1, "{:?}", o.findings);
        assert_eq!(o.findings[0].location().as_deref(), Some("src/a.py:2:8"));
    }

    /// Regression (issue 20): include globs that match no file passed with
    /// "no match … in 0 files".
    #[tokio::test]
    async fn a_scan_that_selects_no_file_fails_with_the_reason() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("app.py"), "x = 1\n").unwrap();
        let cx = RunContext::for_root(dir.path());
        let o = spec("include: ['src/**/*.py']\npattern: 'localhost'\n")
            .run(&cx)
            .await;
        assert_eq!(o.status(), Status::Fail, "{o:?}");
        assert_eq!(
            o.message,
            "no file matches src/**/*.py: nothing was scanned"
        );
        assert_eq!(o.findings[0].code.as_deref(), Some("scan/no-files"));
        // The same scan over a tree it does select passes.
        let o = spec("include: ['**/*.py']\npattern: 'localhost'\n")
            .run(&cx)
            .await;
        assert_eq!(o.status(), Status::Pass, "{o:?}");
    }
}
