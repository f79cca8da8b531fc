//! Renderers: a [`Report`](super::Report) in, bytes out. One file per format;
//! no renderer reads anything but the report it is given (and static data such
//! as the kinds' docs), so each is a pure function that snapshot tests can pin
//! down.

pub(crate) mod github;
pub(crate) mod json;
pub(crate) mod junit;
pub(crate) mod markdown;
pub(crate) mod prometheus;
pub(crate) mod sarif;
pub(crate) mod table;

use std::path::PathBuf;

/// A format `--report FORMAT=PATH` can write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FileFormat {
    /// The JSON report (same as `--report-json`).
    Json,
    /// JUnit XML, one testcase per check.
    Junit,
    /// SARIF 2.1.0.
    Sarif,
    /// A Markdown summary (e.g. for `$GITHUB_STEP_SUMMARY`).
    Markdown,
    /// Prometheus text exposition (node-exporter textfile collector).
    Prometheus,
}

impl FileFormat {
    /// Every format, with the names `--report` accepts (first is canonical).
    pub(crate) const NAMES: &[(&str, FileFormat)] = &[
        ("json", FileFormat::Json),
        ("junit", FileFormat::Junit),
        ("sarif", FileFormat::Sarif),
        ("markdown", FileFormat::Markdown),
        ("md", FileFormat::Markdown),
        ("prometheus", FileFormat::Prometheus),
        ("prom", FileFormat::Prometheus),
    ];

    /// The canonical name.
    pub(crate) fn name(self) -> &'static str {
        Self::NAMES
            .iter()
            .find(|(_, f)| *f == self)
            .map(|(n, _)| *n)
            .unwrap_or("json")
    }
}

/// One `--report FORMAT=PATH`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ReportFile {
    /// What to write.
    pub format: FileFormat,
    /// Where.
    pub path: PathBuf,
}

impl std::str::FromStr for ReportFile {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let names = || {
            FileFormat::NAMES
                .iter()
                .map(|(n, _)| *n)
                .collect::<Vec<_>>()
                .join(", ")
        };
        let Some((fmt, path)) = s.split_once('=') else {
            return Err(format!(
                "expected FORMAT=PATH, e.g. junit=readyctl.xml (formats: {})",
                names()
            ));
        };
        let format = FileFormat::NAMES
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(fmt.trim()))
            .map(|(_, f)| *f)
            .ok_or_else(|| format!("unknown report format `{fmt}` (formats: {})", names()))?;
        if path.is_empty() {
            return Err(format!("`{fmt}=` needs a path, e.g. {fmt}=report.out"));
        }
        Ok(ReportFile {
            format,
            path: PathBuf::from(path),
        })
    }
}

/// Renders `report` in a file format.
pub(crate) fn render_file(
    report: &super::Report,
    format: FileFormat,
    opts: &FileOptions,
) -> String {
    match format {
        FileFormat::Json => json::render(report),
        FileFormat::Junit => junit::render(report, opts.junit_group),
        FileFormat::Sarif => sarif::render_with(report, opts.codes),
        FileFormat::Markdown => markdown::render(report),
        FileFormat::Prometheus => prometheus::render(report),
    }
}

/// What a relative file name in a report is relative to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Base {
    /// The deployment root (findings' files).
    Root,
    /// The working directory readyctl ran in (catalogue locations).
    Cwd,
}

/// A file named in a report, as a code host names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RepoPath {
    /// Inside the repository: `/`-separated, relative to its top (`deploy/.env`).
    Inside(String),
    /// Outside it (or nowhere known): the path as well as it can be told,
    /// absolute when possible.
    Outside(String),
}

/// Places `file` (relative to `base`, or absolute) in the report's
/// repository. Pure: only the report's [`Repository`](super::Repository) is
/// read, never the file system. Without one (a report written before it
/// existed), root-relative names are taken as repository-relative.
pub(crate) fn repo_path(report: &super::Report, file: &str, base: Base) -> RepoPath {
    let Some(repo) = &report.repository else {
        return match base {
            Base::Root if !file.starts_with('/') => match normalize(&[], file) {
                Some(p) => RepoPath::Inside(p),
                None => RepoPath::Outside(file.to_string()),
            },
            _ => RepoPath::Outside(file.to_string()),
        };
    };
    let top = repo.top.trim_end_matches('/');
    if let Some(abs) = file.strip_prefix('/') {
        let abs = normalize(&[], abs).unwrap_or_else(|| abs.to_string());
        let top_rel = top.trim_start_matches('/');
        return match abs.strip_prefix(top_rel) {
            Some("") => RepoPath::Inside(String::new()),
            Some(rest) if rest.starts_with('/') => RepoPath::Inside(rest[1..].to_string()),
            _ => RepoPath::Outside(format!("/{abs}")),
        };
    }
    let dir = match base {
        Base::Root => Some(repo.root.as_str()),
        Base::Cwd => repo.cwd.as_deref(),
    };
    let Some(dir) = dir else {
        return RepoPath::Outside(file.to_string());
    };
    let dir: Vec<&str> = dir.split('/').filter(|s| !s.is_empty()).collect();
    match normalize(&dir, file) {
        Some(p) => RepoPath::Inside(p),
        // `..` climbed above the top: name it absolutely.
        None => {
            let mut abs = format!("{top}/{}", dir.join("/"));
            abs.push('/');
            abs.push_str(file);
            RepoPath::Outside(abs)
        }
    }
}

/// Joins `file` onto `dir` lexically (`.` dropped, `..` popped); `None` when
/// `..` leaves the top.
fn normalize(dir: &[&str], file: &str) -> Option<String> {
    let mut parts: Vec<&str> = dir.to_vec();
    for c in file.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            c => parts.push(c),
        }
    }
    Some(parts.join("/"))
}

/// Options that some file formats take.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct FileOptions {
    /// How JUnit groups testcases into testsuites.
    pub junit_group: junit::Group,
    /// The declared finding codes, for SARIF's rule help and levels.
    pub codes: Option<crate::report::codes::CodeLookup>,
}

/// The one canonical report every renderer is snapshot-tested over: a pass,
/// located and unlocated failures, an error, a warning, a skip, a waiver and
/// baseline marks, with characters that need escaping in every format.
#[cfg(test)]
pub(crate) fn canonical() -> super::Report {
    use super::*;
    let base = |id: &str, kind: &str, status: Status, msg: &str| CheckResult {
        id: id.into(),
        kind: kind.to_string().into(),
        title: format!("Title of {id}").into(),
        severity: Severity::High,
        tags: vec!["security".into()],
        status,
        duration_ms: 12.5,
        message: msg.into(),
        remediation: None,
        findings: vec![],
        truncated: None,
        metrics: None,
        waiver: None,
        source: Some(SourceLocation {
            file: "checks/00-infrastructure.yml".into(),
            line: 7,
            column: 5,
        }),
        baseline: None,
        grading: None,
    };
    let mut checks = vec![
        base("env.file", "file", Status::Pass, "exists"),
        CheckResult {
            severity: Severity::Critical,
            remediation: Some("Set every required key | then redeploy".into()),
            findings: vec![
                Finding::new("SECRET_KEY is `changeme` <placeholder> & weak")
                    .at(".env.production", 3, 1)
                    .expected_actual("16+ random characters", "a placeholder")
                    .code("env/weak-secret")
                    .hint("generate one: openssl rand -hex 32"),
                Finding::new("NEXT_PUBLIC_USE_MOCK_DATA is set").at_file("dir with space/.env, x"),
                Finding::new("a file name that needs encoding").at_file("weird,name:1.txt"),
            ],
            baseline: Some(BaselineMark::New),
            ..base(
                "env.values",
                "env_file",
                Status::Fail,
                "2 problems; first: SECRET_KEY is weak",
            )
        },
        CheckResult {
            tags: vec![],
            severity: Severity::Medium,
            baseline: Some(BaselineMark::Known),
            ..base(
                "net.api",
                "tcp",
                Status::Fail,
                "connect to 127.0.0.1:1 refused\nsecond line",
            )
        },
        base("scan.todo", "scan", Status::Error, "invalid regex `(`"),
        CheckResult {
            findings: vec![
                Finding::new("forbidden `TODO`").at("src/a.py", 1, 3),
                Finding::new("forbidden `TODO`").at("src/a.py", 9, 3),
            ],
            truncated: Some(Box::new(Truncation {
                shown: 2,
                total: 3000,
            })),
            ..base(
                "scan.many",
                "scan",
                Status::Fail,
                "3000 match(es) of /TODO/; first at src/a.py:1:3 (truncated: 2 of 3000 listed)",
            )
        },
        base(
            "tls.insecure",
            "tcp",
            Status::Warn,
            "TLS verification is off",
        ),
        base(
            "net.after",
            "tcp",
            Status::Skip,
            "skipped: dependency `net.api` did not pass (fail)",
        ),
        CheckResult {
            waiver: Some(Box::new(WaiverNote {
                reason: "vendor fix due in Q1, \"tracked\" in OPS-12".into(),
                by: "ops@example.com".into(),
                expires: "2027-03-31".into(),
                expired: false,
            })),
            findings: vec![Finding::new("redis.conf: appendonly no").at("redis/redis.conf", 12, 1)],
            ..base(
                "redis.persistence",
                "file",
                Status::Waived,
                "appendonly is off",
            )
        },
    ];
    checks[0].metrics = Some(Box::new(
        [("size_bytes".into(), 2048.0)].into_iter().collect(),
    ));
    Report {
        schema_version: SCHEMA_VERSION,
        tool: Tool {
            name: "readyctl".into(),
            version: "0.0.0-test".into(),
        },
        catalogue: "checks".into(),
        root: "fixtures/dotmac/broken".into(),
        started_at: "2026-01-02T03:04:05Z".into(),
        duration_ms: 840.0,
        interrupted: false,
        summary: Summary::of(&checks),
        checks,
        repository: Some(Repository {
            top: "/src/app".into(),
            root: "fixtures/dotmac/broken".into(),
            cwd: Some(String::new()),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_placed_in_the_repository() {
        let mut r = canonical();
        r.repository = Some(crate::report::Repository {
            top: "/src/app".into(),
            root: "deploy".into(),
            cwd: Some("tools".into()),
        });
        let inside = |s: &str| RepoPath::Inside(s.into());
        assert_eq!(repo_path(&r, ".env", Base::Root), inside("deploy/.env"));
        assert_eq!(repo_path(&r, "./a/../b", Base::Root), inside("deploy/b"));
        assert_eq!(
            repo_path(&r, "../checks/x.yml", Base::Cwd),
            inside("checks/x.yml")
        );
        assert_eq!(
            repo_path(&r, "/src/app/deploy/x", Base::Root),
            inside("deploy/x")
        );
        assert_eq!(
            repo_path(&r, "/etc/passwd", Base::Root),
            RepoPath::Outside("/etc/passwd".into())
        );
        assert_eq!(
            repo_path(&r, "/src/apple", Base::Root),
            RepoPath::Outside("/src/apple".into())
        );
        assert_eq!(
            repo_path(&r, "../../x", Base::Root),
            RepoPath::Outside("/src/app/deploy/../../x".into())
        );
    }
}
