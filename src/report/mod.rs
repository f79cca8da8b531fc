//! The report model: what a run found, as plain data.
//!
//! Checks produce [`Outcome`](crate::kinds::Outcome)s; the runner wraps them into [`CheckResult`]s in
//! catalogue order and the whole run becomes a [`Report`]. Renderers under
//! [`render`] turn a report into bytes and never look at anything else. The
//! JSON serialisation of [`Report`] is a public contract, described by
//! `schemas/report.schema.json` and versioned by [`SCHEMA_VERSION`]: add fields,
//! never rename or remove them.

pub(crate) mod baseline;
pub(crate) mod codes;
pub(crate) mod render;
pub(crate) mod waivers;

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Version of the JSON report shape. Bumped only for incompatible changes.
pub(crate) const SCHEMA_VERSION: u32 = 1;

/// How bad a failing check is. Ordered: `Info < Low < … < Critical`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Severity {
    /// Worth knowing; never a reason to stop.
    Info,
    /// Minor.
    Low,
    /// Should be fixed soon.
    Medium,
    /// Should be fixed before the deploy.
    High,
    /// A production blocker.
    Critical,
}

impl Severity {
    /// All severities, lowest first.
    pub(crate) const ALL: [Severity; 5] = [
        Severity::Info,
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ];

    /// The name as written in catalogues and reports.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl std::str::FromStr for Severity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Severity::ALL
            .into_iter()
            .find(|sev| sev.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| {
                format!("unknown severity `{s}` (expected info, low, medium, high or critical)")
            })
    }
}

/// The verdict on one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Status {
    /// Every expectation held.
    Pass,
    /// At least one expectation did not hold (including a timeout or an
    /// unreachable service).
    Fail,
    /// Expectations held, but something deserves attention (e.g. TLS
    /// verification turned off, a certificate close to expiry, a manual item
    /// not signed off).
    Warn,
    /// Not run: a dependency did not pass, or a filter excluded it.
    Skip,
    /// The check itself could not be evaluated (e.g. an invalid regex in a file
    /// it reads, an unreadable input). Says nothing about the target.
    Error,
    /// The run was interrupted (Ctrl-C, SIGTERM, `--deadline`) before this
    /// check finished.
    Cancelled,
    /// The check failed, but a waiver that has not expired covers it: shown,
    /// never failing the run. The result's `waiver` says who and why.
    Waived,
}

impl Status {
    /// All statuses, in the order summaries list them.
    pub(crate) const ALL: [Status; 7] = [
        Status::Pass,
        Status::Fail,
        Status::Warn,
        Status::Skip,
        Status::Error,
        Status::Cancelled,
        Status::Waived,
    ];

    /// The name as written in reports.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Fail => "fail",
            Status::Warn => "warn",
            Status::Skip => "skip",
            Status::Error => "error",
            Status::Cancelled => "cancelled",
            Status::Waived => "waived",
        }
    }
}

/// One thing a check found, usually something wrong, located where possible.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub(crate) struct Finding {
    /// What was found, in one sentence.
    pub message: String,
    /// Stable rule code when the kind has rules (e.g. `compose/missing-path`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// File the finding points at, relative to the deployment root when inside it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// 1-based line in `file`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    /// 1-based column in `file`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column: Option<u32>,
    /// What the check expected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected: Option<String>,
    /// What the check saw instead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actual: Option<String>,
    /// What to do about it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    /// How bad this one finding is, when the kind grades its findings (a
    /// rule that stops the deploy is `critical`, one that weakens it lower,
    /// `info` never fails the check). Absent: the check's severity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<Severity>,
    /// Other places involved (the Dockerfile stage, the entrypoint line, the
    /// env file line), each `file:line` with what it is.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub related: Vec<Related>,
}

/// A secondary location of a finding.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub(crate) struct Related {
    /// File, relative to the deployment root when inside it.
    pub file: String,
    /// 1-based line (absent: the whole file).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    /// What is there, e.g. "final stage `celery`".
    pub note: String,
}

impl Finding {
    /// A finding with only a message.
    pub(crate) fn new(message: impl Into<String>) -> Self {
        Finding {
            message: message.into(),
            ..Finding::default()
        }
    }

    /// Points the finding at `file`.
    pub(crate) fn at_file(mut self, file: impl Into<String>) -> Self {
        self.file = Some(file.into());
        self
    }

    /// Points the finding at `file:line:column`.
    pub(crate) fn at(mut self, file: impl Into<String>, line: u32, column: u32) -> Self {
        self.file = Some(file.into());
        self.line = Some(line);
        self.column = Some(column);
        self
    }

    /// Records what was expected and what was seen.
    pub(crate) fn expected_actual(
        mut self,
        expected: impl Into<String>,
        actual: impl Into<String>,
    ) -> Self {
        self.expected = Some(expected.into());
        self.actual = Some(actual.into());
        self
    }

    /// Attaches a stable rule code.
    pub(crate) fn code(mut self, code: impl Into<String>) -> Self {
        self.code = Some(code.into());
        self
    }

    /// Attaches a hint.
    pub(crate) fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Grades this finding.
    pub(crate) fn severity(mut self, severity: Severity) -> Self {
        self.severity = Some(severity);
        self
    }

    /// Adds a secondary location.
    pub(crate) fn related(
        mut self,
        file: impl Into<String>,
        line: Option<u32>,
        note: impl Into<String>,
    ) -> Self {
        self.related.push(Related {
            file: file.into(),
            line,
            note: note.into(),
        });
        self
    }

    /// `file:line:column`, as far as known.
    pub(crate) fn location(&self) -> Option<String> {
        let file = self.file.as_deref()?;
        Some(match (self.line, self.column) {
            (Some(l), Some(c)) => format!("{file}:{l}:{c}"),
            (Some(l), None) => format!("{file}:{l}"),
            _ => file.to_string(),
        })
    }
}

/// The result of one check, as it appears in the report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub(crate) struct CheckResult {
    /// The check's unique id, e.g. `redis.persistence`.
    // Shared with the catalogue's check (and with `title` when the title is
    // the id): 100,000 checks made 300,000 copies.
    #[serde(serialize_with = "ser_shared", deserialize_with = "de_shared")]
    #[schemars(with = "String")]
    pub id: std::sync::Arc<str>,
    /// The check kind, e.g. `redis`.
    // Borrowed from the registry when the runner made the result (no copy
    // per check), owned when read back from a file.
    pub kind: std::borrow::Cow<'static, str>,
    /// Human title.
    #[serde(serialize_with = "ser_shared", deserialize_with = "de_shared")]
    #[schemars(with = "String")]
    pub title: std::sync::Arc<str>,
    /// How bad a failure is.
    pub severity: Severity,
    /// Tags from the catalogue.
    pub tags: Vec<String>,
    /// The verdict.
    pub status: Status,
    /// Wall time the check took, in milliseconds (0 for checks that did not run).
    pub duration_ms: f64,
    /// One-line summary of the verdict (the reason for anything but `pass`).
    pub message: String,
    /// What to do about a failure, from the catalogue. Present only when the
    /// check did not pass.
    // Boxed, as `truncated`: rare, and a result is kept per check (a
    // `String` and a `Truncation` inline were 48 of its 240 bytes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<String>")]
    pub remediation: Option<Box<str>>,
    /// Individual findings.
    #[serde(default)]
    pub findings: Vec<Finding>,
    /// Present when the check kept only some of its findings (a cap):
    /// `findings` holds `shown` of `total`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub truncated: Option<Box<Truncation>>,
    /// Numbers a check measured (e.g. `p95_ms`), by name.
    // Boxed, and `None` rather than empty: most checks measure nothing, and
    // an empty map was 72 of a result's 448 bytes (read it with
    // `CheckResult::metrics`).
    #[serde(default, skip_serializing_if = "no_metrics")]
    #[schemars(with = "IndexMap<String, f64>")]
    pub metrics: Option<Box<IndexMap<String, f64>>>,
    /// The waiver that applies to this check (status `waived`, or `fail` when
    /// the waiver has expired). Absent when no waiver names the check.
    // Boxed, as `grading`: rare, and a result is kept per check.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waiver: Option<Box<WaiverNote>>,
    /// Where the check is defined in the catalogue (for formats that need a
    /// location for every result, e.g. SARIF on code hosts).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<SourceLocation>,
    /// With `--baseline`: whether this failure was already there (`known`,
    /// does not fail the run) or is `new`. Absent for checks that did not fail
    /// or when no baseline was given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<BaselineMark>,
    /// A security-header grade (`security_headers` checks that graded):
    /// the Observatory algorithm, score, letter and every test's result.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grading: Option<Box<Grading>>,
}

/// True when a result has no metrics to write (none, or an empty map read
/// from an older report): the JSON then omits the field, as it always did.
fn no_metrics(m: &Option<Box<IndexMap<String, f64>>>) -> bool {
    m.as_ref().is_none_or(|m| m.is_empty())
}

impl CheckResult {
    /// The check's measured numbers, by name, in the order measured.
    pub(crate) fn metrics(&self) -> impl Iterator<Item = (&String, &f64)> {
        self.metrics.iter().flat_map(|m| m.iter())
    }
}

/// A security-header grading, as the MDN HTTP Observatory reports it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub(crate) struct Grading {
    /// Observatory scoring algorithm (`algorithmVersion`), e.g. 5.
    pub algorithm: u8,
    /// Final score (0 or more; above 100 with bonuses).
    pub score: i32,
    /// Letter grade, `A+` … `F`.
    pub grade: String,
    /// Every test, in the Observatory's order.
    pub tests: Vec<GradedTest>,
}

/// One Observatory test's result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub(crate) struct GradedTest {
    /// Test name, e.g. `strict-transport-security`.
    pub test: String,
    /// Result name, e.g. `hsts-implemented-max-age-at-least-six-months`.
    pub result: String,
    /// Points the result adds or takes away.
    pub score_modifier: i32,
    /// Whether the Observatory counts the test as passed.
    pub pass: bool,
}

/// Findings dropped by a cap: `truncated: shown of total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub(crate) struct Truncation {
    /// Findings kept in the result.
    pub shown: usize,
    /// Findings there were.
    pub total: usize,
}

/// A position in a catalogue file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub(crate) struct SourceLocation {
    /// The catalogue file, as it was named on the command line.
    // Shared by the results of one catalogue file: 100,000 checks kept
    // 100,000 copies.
    #[serde(serialize_with = "ser_shared", deserialize_with = "de_shared")]
    #[schemars(with = "String")]
    pub file: std::sync::Arc<str>,
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub column: u32,
}

fn ser_shared<S: serde::Serializer>(s: &std::sync::Arc<str>, ser: S) -> Result<S::Ok, S::Error> {
    ser.serialize_str(s)
}

fn de_shared<'de, D: serde::Deserializer<'de>>(de: D) -> Result<std::sync::Arc<str>, D::Error> {
    String::deserialize(de).map(Into::into)
}

/// A waiver as recorded on a result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub(crate) struct WaiverNote {
    /// Why the failure is accepted for now.
    pub reason: String,
    /// Who accepted it.
    pub by: String,
    /// Last day the waiver holds (`YYYY-MM-DD`); from the next day on the check fails again.
    pub expires: String,
    /// True when the waiver's date has passed (the check then fails).
    pub expired: bool,
}

/// How a failure compares with the `--baseline` report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub(crate) enum BaselineMark {
    /// Failed in the baseline too: reported, but does not fail the run.
    Known,
    /// Did not fail in the baseline: fails the run.
    New,
}

/// Counts of results by status.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub(crate) struct Summary {
    /// Number of checks in the report.
    pub total: usize,
    /// Checks that passed.
    pub pass: usize,
    /// Checks that failed.
    pub fail: usize,
    /// Checks that passed with a warning.
    pub warn: usize,
    /// Checks that were skipped.
    pub skip: usize,
    /// Checks that could not be evaluated.
    pub error: usize,
    /// Checks cut short by an interruption.
    pub cancelled: usize,
    /// Failing checks covered by a waiver.
    #[serde(default)]
    pub waived: usize,
}

impl Summary {
    /// Counts `results`.
    pub(crate) fn of(results: &[CheckResult]) -> Summary {
        let mut s = Summary {
            total: results.len(),
            ..Summary::default()
        };
        for r in results {
            *s.slot(r.status) += 1;
        }
        s
    }

    fn slot(&mut self, status: Status) -> &mut usize {
        match status {
            Status::Pass => &mut self.pass,
            Status::Fail => &mut self.fail,
            Status::Warn => &mut self.warn,
            Status::Skip => &mut self.skip,
            Status::Error => &mut self.error,
            Status::Cancelled => &mut self.cancelled,
            Status::Waived => &mut self.waived,
        }
    }

    /// The count for one status.
    pub(crate) fn count(&self, status: Status) -> usize {
        match status {
            Status::Pass => self.pass,
            Status::Fail => self.fail,
            Status::Warn => self.warn,
            Status::Skip => self.skip,
            Status::Error => self.error,
            Status::Cancelled => self.cancelled,
            Status::Waived => self.waived,
        }
    }
}

/// The tool that wrote a report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub(crate) struct Tool {
    /// Always `readyctl`.
    pub name: String,
    /// The readyctl version.
    pub version: String,
}

/// A whole run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub(crate) struct Report {
    /// Version of this JSON shape; see `schemas/report.schema.json`.
    pub schema_version: u32,
    /// What produced the report.
    pub tool: Tool,
    /// The catalogue file or directory that was run.
    pub catalogue: String,
    /// The deployment root relative paths were resolved against.
    pub root: String,
    /// When the run started (RFC 3339, UTC).
    pub started_at: String,
    /// Wall time of the whole run, in milliseconds.
    pub duration_ms: f64,
    /// True when the run was interrupted (signal or deadline).
    pub interrupted: bool,
    /// Counts by status.
    pub summary: Summary,
    /// One result per check, in catalogue order.
    pub checks: Vec<CheckResult>,
    /// Where the deployment root and the working directory sit in the
    /// repository (git top level or `--repo-root`), so that formats read on a
    /// code host (SARIF, GitHub annotations) name files as the host does.
    /// Absent in reports written before it existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repository: Option<Repository>,
}

/// The repository a run's files belong to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub(crate) struct Repository {
    /// Absolute path of the repository's top directory (`git rev-parse
    /// --show-toplevel` run in `--root`, or `--repo-root`; the deployment
    /// root itself when neither applies).
    pub top: String,
    /// The deployment root relative to `top`, `/`-separated (`""` when it is
    /// the top itself, e.g. `deploy`). Findings' files are relative to it.
    pub root: String,
    /// The working directory relative to `top` (catalogue locations are
    /// relative to it), or absent when it lies outside the repository.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cwd: Option<String>,
}

impl Repository {
    /// Finds the repository of `root`: `explicit` (`--repo-root`) when
    /// given, else the git top level of `root`, else `root` itself.
    pub(crate) fn locate(root: &std::path::Path, explicit: Option<&std::path::Path>) -> Repository {
        let abs =
            |p: &std::path::Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
        let root_abs = abs(root);
        let top = match explicit {
            Some(p) => abs(p),
            None => git_top(&root_abs).unwrap_or_else(|| root_abs.clone()),
        };
        let rel = |p: &std::path::Path| -> Option<String> {
            let r = p.strip_prefix(&top).ok()?;
            Some(
                r.components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect::<Vec<_>>()
                    .join("/"),
            )
        };
        let cwd = std::env::current_dir().ok().map(|c| abs(&c));
        Repository {
            top: top.display().to_string(),
            root: rel(&root_abs).unwrap_or_default(),
            cwd: cwd.as_deref().and_then(rel),
        }
    }
}

/// What `git rev-parse --show-toplevel` prints in `dir`; `None` outside a
/// work tree.
///
/// Found by git's own discovery, walking up from `dir` to the first
/// directory holding a `.git` repository directory (`HEAD`, `objects/`,
/// `refs/`) or a `.git` file (`gitdir: …`, a linked worktree or a
/// submodule), without starting git: the process cost 5 ms of a 25 ms run.
/// The environment variables that change discovery (`GIT_DIR`,
/// `GIT_WORK_TREE`, `GIT_CEILING_DIRECTORIES`,
/// `GIT_DISCOVERY_ACROSS_FILESYSTEM`) hand the question to git itself.
fn git_top(dir: &std::path::Path) -> Option<std::path::PathBuf> {
    const GIT_ENV: [&str; 4] = [
        "GIT_DIR",
        "GIT_WORK_TREE",
        "GIT_CEILING_DIRECTORIES",
        "GIT_DISCOVERY_ACROSS_FILESYSTEM",
    ];
    if GIT_ENV.iter().any(|v| std::env::var_os(v).is_some()) {
        return git_top_by_git(dir);
    }
    dir.ancestors()
        .find(|d| holds_repository(d))
        .map(|d| std::fs::canonicalize(d).unwrap_or_else(|_| d.to_path_buf()))
}

/// True when `dir/.git` is what git accepts as a repository: a directory
/// with `HEAD`, `objects/` and `refs/` (git's `is_git_directory`), or a
/// file that starts `gitdir:`. Anything else named `.git` is passed over,
/// as git passes it over.
fn holds_repository(dir: &std::path::Path) -> bool {
    let dot_git = dir.join(".git");
    let Ok(meta) = std::fs::metadata(&dot_git) else {
        return false;
    };
    if meta.is_dir() {
        return dot_git.join("HEAD").is_file()
            && dot_git.join("objects").is_dir()
            && dot_git.join("refs").is_dir();
    }
    meta.is_file()
        && crate::support::fs::read_sync(&dot_git, crate::support::fs::Limit::regular(4096))
            .is_ok_and(|b| b.starts_with(b"gitdir:"))
}

fn git_top_by_git(dir: &std::path::Path) -> Option<std::path::PathBuf> {
    let out = std::process::Command::new("git")
        .args(["rev-parse", "--show-toplevel"])
        .current_dir(dir)
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let top = String::from_utf8(out.stdout).ok()?;
    let top = top.trim_end_matches(['\n', '\r']);
    (!top.is_empty()).then(|| std::fs::canonicalize(top).unwrap_or_else(|_| top.into()))
}

impl Report {
    /// Results that did not pass, most severe first, catalogue order within a severity.
    pub(crate) fn problems(&self) -> Vec<&CheckResult> {
        let mut out: Vec<&CheckResult> = self
            .checks
            .iter()
            .filter(|c| !matches!(c.status, Status::Pass))
            .collect();
        out.sort_by_key(|c| (status_rank(c.status), std::cmp::Reverse(c.severity)));
        out
    }
}

/// Sort key that puts failures first, then errors, cancellations, warnings, waivers, skips.
pub(crate) fn status_rank(status: Status) -> u8 {
    match status {
        Status::Fail => 0,
        Status::Error => 1,
        Status::Cancelled => 2,
        Status::Warn => 3,
        Status::Waived => 4,
        Status::Skip => 5,
        Status::Pass => 6,
    }
}

impl Report {
    /// Masks every secret in every string of the report. The app calls this
    /// once, before any renderer runs.
    pub(crate) fn redact(&mut self, r: &crate::redact::Redactor) {
        self.catalogue = r.mask(&self.catalogue);
        self.root = r.mask(&self.root);
        if let Some(repo) = &mut self.repository {
            repo.top = r.mask(&repo.top);
            repo.root = r.mask(&repo.root);
            if let Some(cwd) = &mut repo.cwd {
                *cwd = r.mask(cwd);
            }
        }
        // Every check of a catalogue file names the same file: mask it once
        // per distinct name, not once per check, and share the masked name.
        let mut last_file: Option<(std::sync::Arc<str>, std::sync::Arc<str>)> = None;
        for c in &mut self.checks {
            // Replaced only when masking changed it: the title stays shared
            // with the id (and the catalogue) otherwise.
            let title = r.mask(&c.title);
            if *title != *c.title {
                c.title = title.into();
            }
            c.message = r.mask(&c.message);
            if let Some(src) = &mut c.source {
                match &last_file {
                    Some((raw, masked)) if *raw == src.file => src.file = masked.clone(),
                    _ => {
                        let masked: std::sync::Arc<str> = r.mask(&src.file).into();
                        let raw = std::mem::replace(&mut src.file, masked.clone());
                        last_file = Some((raw, masked));
                    }
                }
            }
            if let Some(rem) = &mut c.remediation {
                *rem = r.mask(rem).into();
            }
            for f in &mut c.findings {
                f.message = r.mask(&f.message);
                for v in [&mut f.expected, &mut f.actual, &mut f.hint, &mut f.file]
                    .into_iter()
                    .flatten()
                {
                    *v = r.mask(v);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    fn git(dir: &Path, args: &[&str]) -> bool {
        std::process::Command::new("git")
            .args(args)
            .current_dir(dir)
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    }

    /// The reference is git itself: `git rev-parse --show-toplevel` in each
    /// directory of a plain repository, a subdirectory, a linked worktree
    /// (a `.git` file), a repository nested in another, a stray empty
    /// `.git` directory (git passes it over) and a directory outside any.
    #[test]
    fn repository_top_is_what_git_reports() {
        let base = tempfile::tempdir().expect("tempdir");
        let outer = base.path().join("outer");
        std::fs::create_dir_all(outer.join("a/b")).expect("mkdir");
        // git is there wherever this repository was cloned.
        assert!(
            git(&outer, &["init", "-q"]),
            "git init failed: is git installed?"
        );
        std::fs::write(outer.join("f"), "x").expect("write");
        assert!(git(&outer, &["add", "f"]));
        assert!(git(
            &outer,
            &[
                "-c",
                "user.name=t",
                "-c",
                "user.email=t@t",
                "commit",
                "-qm",
                "x"
            ]
        ));
        let linked = base.path().join("linked");
        assert!(git(
            &outer,
            &[
                "worktree",
                "add",
                "-q",
                linked.to_str().expect("utf-8"),
                "HEAD"
            ]
        ));
        std::fs::create_dir_all(linked.join("deep/er")).expect("mkdir");
        let nested = outer.join("a/nested");
        std::fs::create_dir_all(nested.join("x")).expect("mkdir");
        assert!(git(&nested, &["init", "-q"]));
        let stray = outer.join("a/stray");
        std::fs::create_dir_all(stray.join(".git")).expect("mkdir");
        std::fs::create_dir_all(stray.join("in")).expect("mkdir");
        let outside = base.path().join("none/deeper");
        std::fs::create_dir_all(&outside).expect("mkdir");
        let dirs = [
            outer.clone(),
            outer.join("a/b"),
            linked.clone(),
            linked.join("deep/er"),
            nested.clone(),
            nested.join("x"),
            stray.join("in"),
            outside,
        ];
        for dir in &dirs {
            let dir = std::fs::canonicalize(dir).expect("canonical");
            assert_eq!(
                super::git_top(&dir),
                super::git_top_by_git(&dir),
                "repository top of {}",
                dir.display()
            );
        }
        assert_eq!(
            super::git_top(&std::fs::canonicalize(stray.join("in")).expect("canonical")),
            Some(std::fs::canonicalize(&outer).expect("canonical")),
            "the stray .git is passed over"
        );
    }
}
