//! `file`: a file or directory of the deployment exists and looks right.

use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use serde::Deserialize;

use super::Code;
use super::spec::OneOrMany;
use super::{CheckKind, Outcome, RunContext, SpecProblem, check_regex, de_opt_duration};
use crate::report::Finding;
use crate::support::fs::{self, FsError};
use crate::support::text::clip;

/// Largest file `contains` / `not_contains` read.
const MAX_READ_BYTES: u64 = 64 * 1024 * 1024;

/// What a `file` check expects of one path.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct FileCheck {
    /// Path, relative to the deployment root.
    // Boxed (and `mode` below): a spec is kept per check, and 100,000
    // `file` checks are a benchmark (16 bytes each instead of 24).
    #[schemars(with = "PathBuf")]
    pub path: Box<std::path::Path>,
    /// `file` (default), `dir`, or `any`.
    #[serde(default, rename = "type")]
    pub file_type: FileType,
    /// Must the path exist? `false` proves absence.
    #[serde(default = "yes")]
    pub exists: bool,
    /// Must (or must not) have an execute bit.
    pub executable: Option<bool>,
    /// Exact permission bits, octal, e.g. `"0600"`.
    #[schemars(with = "Option<String>")]
    pub mode: Option<Box<str>>,
    /// Must not be empty (files: size > 0; directories: at least one entry).
    #[serde(default)]
    pub not_empty: bool,
    /// Regexes the content must match.
    #[serde(default)]
    pub contains: OneOrMany,
    /// Regexes the content must not match.
    #[serde(default)]
    pub not_contains: OneOrMany,
    /// Modified no longer ago than this (e.g. `26h` for a nightly backup).
    #[serde(default, deserialize_with = "de_opt_duration")]
    #[schemars(with = "Option<String>")]
    pub max_age: Option<Duration>,
}

fn yes() -> bool {
    true
}

/// `file`, `dir` or `any`.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub(crate) enum FileType {
    /// A regular file (or a link to one).
    #[default]
    File,
    /// A directory.
    Dir,
    /// Either.
    Any,
}

impl CheckKind for FileCheck {
    const NAME: &'static str = "file";
    const SUMMARY: &'static str = "a file or directory exists, is executable, has a mode, contains (or lacks) a pattern, is fresh";
    // Only `support::fs` calls: 100,000 checks run in batches instead of
    // one blocking-pool hop each.
    const FILES_ONLY: bool = true;
    const CODES: &'static [Code] = &[
        Code::fail("file/missing", "the path does not exist"),
        Code::fail(
            "file/present",
            "the path exists although `exists: false` forbids it",
        ),
        Code::fail(
            "file/wrong-type",
            "a file where a directory was expected, or the reverse (or a special file)",
        ),
        Code::fail(
            "file/not-executable",
            "no execute bit although `executable: true`; the mode is shown in octal",
        ),
        Code::fail(
            "file/executable",
            "an execute bit although `executable: false`",
        ),
        Code::fail(
            "file/mode",
            "the permission bits differ from `mode`; expected and actual in octal",
        ),
        Code::fail(
            "file/empty",
            "zero bytes, or a directory with no entries, although `not_empty: true`",
        ),
        Code::fail("file/stale", "modified longer ago than `max_age`"),
        Code::fail(
            "file/pattern-missing",
            "a `contains` regex does not match the content",
        ),
        Code::fail(
            "file/forbidden-pattern",
            "a `not_contains` regex matches, at file:line:column, quoting the match",
        ),
    ];
    const DOCS: &'static str = r#"# file

## What it checks
One path of the deployment: that it exists (or, with `exists: false`, that it
does not), its type, execute bit, permission bits, emptiness, content and age.

## Why it matters
The checklist's first blockers were files: entrypoint scripts referenced by
`Dockerfile.prod` that did not exist, config files mounted by compose that were
never committed, a type-check script that was a no-op `echo`.

## Example
```yaml
- id: scripts.api-entrypoint
  kind: file
  title: API entrypoint script exists and is executable
  severity: critical
  path: scripts/docker-entrypoint.sh
  executable: true
  contains: '^#!'
```

## Fields
| field | type | meaning |
|---|---|---|
| `path` | path | relative to `--root` (required) |
| `type` | `file`, `dir`, `any` | what the path must be (default `file`) |
| `exists` | bool | `false` to require absence (default `true`) |
| `executable` | bool | require (or forbid) an execute bit |
| `mode` | octal string | exact permission bits, e.g. `"0600"` |
| `not_empty` | bool | a file must have content, a directory entries |
| `contains` | regex or list | every regex must match the content |
| `not_contains` | regex or list | no regex may match; each match is a finding with line and column |
| `max_age` | duration | last modification no older than this, e.g. `26h` |

## Findings
"#;

    fn validate(&self) -> Vec<SpecProblem> {
        let mut p = Vec::new();
        for r in self.contains.items() {
            p.extend(check_regex("contains", r));
        }
        for r in self.not_contains.items() {
            p.extend(check_regex("not_contains", r));
        }
        if let Some(m) = &self.mode
            && u32::from_str_radix(m.trim_start_matches("0o"), 8).is_err()
        {
            p.push(
                SpecProblem::new("mode", format!("`{m}` is not an octal mode"))
                    .hint("write e.g. \"0755\" or \"0600\", quoted"),
            );
        }
        p
    }

    fn schema() -> Option<schemars::Schema> {
        Some(super::spec_schema::<Self>())
    }

    async fn run(&self, cx: &RunContext) -> Outcome {
        let full = cx.path(&self.path);
        let shown = cx.display_path(&self.path);
        let meta = fs::metadata(&full, cx.timeout).await;
        if !self.exists {
            return match meta {
                Ok(_) => Outcome::fail(format!("{shown} exists but must not")).with_findings(vec![
                    Finding::new(format!("{shown} exists but must not"))
                        .code("file/present")
                        .at_file(&shown),
                ]),
                Err(FsError::NotFound) => Outcome::pass(format!("{shown} is absent, as required")),
                Err(e) => Outcome::error(format!("cannot inspect {shown}: {e}")),
            };
        }
        let meta = match meta {
            Ok(m) => m,
            Err(FsError::NotFound) => {
                return Outcome::fail(format!("{shown} does not exist")).with_findings(vec![
                    Finding::new(format!("{shown} does not exist"))
                        .code("file/missing")
                        .at_file(&shown),
                ]);
            }
            Err(e) => return Outcome::error(format!("cannot inspect {shown}: {e}")),
        };
        let mut findings = Vec::new();
        let actual = fs::describe(meta.file_type());
        match self.file_type {
            FileType::File if !meta.is_file() => findings.push(
                Finding::new(format!("{shown} is {actual}, expected a file"))
                    .code("file/wrong-type")
                    .at_file(&shown),
            ),
            FileType::Dir if !meta.is_dir() => findings.push(
                Finding::new(format!("{shown} is {actual}, expected a directory"))
                    .code("file/wrong-type")
                    .at_file(&shown),
            ),
            _ => {}
        }
        let mode = meta.permissions().mode() & 0o7777;
        if let Some(want) = self.executable {
            let is_exec = mode & 0o111 != 0;
            if want && !is_exec {
                findings.push(
                    Finding::new(format!("{shown} is not executable"))
                        .code("file/not-executable")
                        .at_file(&shown)
                        .expected_actual("an execute bit", format!("{mode:04o}"))
                        .hint(format!("chmod +x {shown}")),
                );
            } else if !want && is_exec {
                findings.push(
                    Finding::new(format!("{shown} is executable but must not be"))
                        .code("file/executable")
                        .at_file(&shown)
                        .expected_actual("no execute bit", format!("{mode:04o}")),
                );
            }
        }
        if let Some(m) = &self.mode {
            let want = u32::from_str_radix(m.trim_start_matches("0o"), 8).unwrap_or(0);
            if want != mode {
                findings.push(
                    Finding::new(format!("{shown} has mode {mode:04o}"))
                        .code("file/mode")
                        .at_file(&shown)
                        .expected_actual(format!("{want:04o}"), format!("{mode:04o}"))
                        .hint(format!("chmod {want:04o} {shown}")),
                );
            }
        }
        if self.not_empty {
            let empty = if meta.is_dir() {
                // Off the async workers too: a hung mount can stall a
                // directory listing as it can a `stat`.
                match fs::dir_is_empty(&full, cx.timeout).await {
                    Ok(empty) => empty,
                    Err(e) => return Outcome::error(format!("cannot list {shown}: {e}")),
                }
            } else {
                meta.len() == 0
            };
            if empty {
                findings.push(
                    Finding::new(format!("{shown} is empty"))
                        .code("file/empty")
                        .at_file(&shown),
                );
            }
        }
        if let Some(max) = self.max_age
            && let Ok(modified) = meta.modified()
        {
            let age = SystemTime::now()
                .duration_since(modified)
                .unwrap_or_default();
            if age > max {
                findings.push(
                    Finding::new(format!(
                        "{shown} was last modified {} ago",
                        humantime::format_duration(Duration::from_secs(age.as_secs()))
                    ))
                    .code("file/stale")
                    .at_file(&shown)
                    .expected_actual(
                        format!("at most {}", humantime::format_duration(max)),
                        format!(
                            "{}",
                            humantime::format_duration(Duration::from_secs(age.as_secs()))
                        ),
                    ),
                );
            }
        }
        let patterns = !self.contains.items().is_empty() || !self.not_contains.items().is_empty();
        // `type: any` asks for whatever is there, special files included
        // (read without waiting, within the limit); otherwise only a regular
        // file is searched — a FIFO or device already failed the type above.
        let special = self.file_type == FileType::Any && !meta.is_dir();
        if patterns && (meta.is_file() || special) {
            let limit = fs::Limit {
                max_bytes: MAX_READ_BYTES,
                special,
            };
            let text = match fs::read(&full, limit, cx.timeout).await {
                Ok(b) => String::from_utf8_lossy(&b).into_owned(),
                Err(e) => {
                    return Outcome::error(format!("cannot read {shown}: {e}; not searched"));
                }
            };
            for pat in self.contains.items() {
                match super::regex_cached(pat, true) {
                    Ok(re) if !re.is_match(&text) => findings.push(
                        Finding::new(format!("{shown} does not contain /{pat}/"))
                            .code("file/pattern-missing")
                            .at_file(&shown)
                            .expected_actual(format!("a match for /{pat}/"), "none"),
                    ),
                    Ok(_) => {}
                    Err(e) => return Outcome::error(format!("invalid regex /{pat}/: {e}")),
                }
            }
            for pat in self.not_contains.items() {
                match super::regex_cached(pat, true) {
                    Ok(re) => {
                        for m in re.find_iter(&text).take(50) {
                            let (line, col) = line_col(&text, m.start());
                            findings.push(
                                Finding::new(format!(
                                    "forbidden /{pat}/ matched `{}`",
                                    clip(m.as_str())
                                ))
                                .code("file/forbidden-pattern")
                                .at(&shown, line, col),
                            );
                        }
                    }
                    Err(e) => return Outcome::error(format!("invalid regex /{pat}/: {e}")),
                }
            }
        }
        Outcome::judged(
            findings,
            <FileCheck as crate::kinds::CheckKind>::CODES,
            format!("{shown} is as expected"),
        )
    }
}

/// 1-based line and column (in characters) of byte `offset` in `text`.
pub(crate) fn line_col(text: &str, offset: usize) -> (u32, u32) {
    let before = &text[..offset];
    let line = before.matches('\n').count() as u32 + 1;
    let line_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
    let col = text[line_start..offset].chars().count() as u32 + 1;
    (line, col)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(yaml: &str) -> FileCheck {
        let node = marked_yaml::parse_yaml(0, yaml).unwrap();
        marked_yaml::from_node(&node).unwrap()
    }

    #[tokio::test]
    async fn fails_when_missing_and_passes_when_absent_is_required() {
        let dir = tempfile::tempdir().unwrap();
        let cx = RunContext::for_root(dir.path());
        let o = spec("path: nope.sh\n").run(&cx).await;
        assert_eq!(o.status(), crate::report::Status::Fail);
        assert!(o.message.contains("nope.sh does not exist"));
        let o = spec("path: nope.sh\nexists: false\n").run(&cx).await;
        assert_eq!(o.status(), crate::report::Status::Pass);
    }

    #[tokio::test]
    async fn checks_executable_bit_and_forbidden_content_with_position() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("run.sh");
        std::fs::write(&p, "#!/bin/sh\necho hi\nexec uvicorn --host localhost\n").unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
        let cx = RunContext::for_root(dir.path());
        let o = spec("path: run.sh\nexecutable: true\nnot_contains: localhost\n")
            .run(&cx)
            .await;
        assert_eq!(o.status(), crate::report::Status::Fail);
        assert_eq!(o.findings.len(), 2, "{:?}", o.findings);
        assert_eq!(o.findings[0].hint.as_deref(), Some("chmod +x run.sh"));
        assert_eq!(
            (o.findings[1].line, o.findings[1].column),
            (Some(3), Some(21))
        );
    }

    #[tokio::test]
    async fn detects_stale_files() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("backup.sql");
        std::fs::write(&p, "x").unwrap();
        let old = SystemTime::now() - Duration::from_secs(3 * 86400);
        std::fs::File::options()
            .write(true)
            .open(&p)
            .unwrap()
            .set_modified(old)
            .unwrap();
        let cx = RunContext::for_root(dir.path());
        let o = spec("path: backup.sql\nmax_age: 26h\n").run(&cx).await;
        assert_eq!(o.status(), crate::report::Status::Fail);
        assert!(o.message.contains("last modified 3days"), "{}", o.message);
    }
}
