//! Renderers: a [`Report`](super::Report) in, bytes out. One file per format;
//! no renderer reads anything but the report it is given (and static data such
//! as the kinds' docs), so each is a pure function that snapshot tests can pin
//! down.

pub mod github;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod prometheus;
pub mod sarif;
pub mod table;

use std::path::PathBuf;

/// A format `--report FORMAT=PATH` can write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileFormat {
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
    pub const NAMES: &[(&str, FileFormat)] = &[
        ("json", FileFormat::Json),
        ("junit", FileFormat::Junit),
        ("sarif", FileFormat::Sarif),
        ("markdown", FileFormat::Markdown),
        ("md", FileFormat::Markdown),
        ("prometheus", FileFormat::Prometheus),
        ("prom", FileFormat::Prometheus),
    ];

    /// The canonical name.
    pub fn name(self) -> &'static str {
        Self::NAMES
            .iter()
            .find(|(_, f)| *f == self)
            .map(|(n, _)| *n)
            .unwrap_or("json")
    }
}

/// One `--report FORMAT=PATH`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportFile {
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
pub fn render_file(report: &super::Report, format: FileFormat, opts: &FileOptions) -> String {
    match format {
        FileFormat::Json => json::render(report),
        FileFormat::Junit => junit::render(report, opts.junit_group),
        FileFormat::Sarif => sarif::render(report),
        FileFormat::Markdown => markdown::render(report),
        FileFormat::Prometheus => prometheus::render(report),
    }
}

/// Options that some file formats take.
#[derive(Debug, Clone, Copy, Default)]
pub struct FileOptions {
    /// How JUnit groups testcases into testsuites.
    pub junit_group: junit::Group,
}

/// The one canonical report every renderer is snapshot-tested over: a pass,
/// located and unlocated failures, an error, a warning, a skip, a waiver and
/// baseline marks, with characters that need escaping in every format.
#[cfg(test)]
pub(crate) fn canonical() -> super::Report {
    use super::*;
    let base = |id: &str, kind: &str, status: Status, msg: &str| CheckResult {
        id: id.into(),
        kind: kind.into(),
        title: format!("Title of {id}"),
        severity: Severity::High,
        tags: vec!["security".into()],
        status,
        duration_ms: 12.5,
        message: msg.into(),
        remediation: None,
        findings: vec![],
        metrics: IndexMap::new(),
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
            waiver: Some(WaiverNote {
                reason: "vendor fix due in Q1, \"tracked\" in OPS-12".into(),
                by: "ops@example.com".into(),
                expires: "2027-03-31".into(),
                expired: false,
            }),
            findings: vec![Finding::new("redis.conf: appendonly no").at("redis/redis.conf", 12, 1)],
            ..base(
                "redis.persistence",
                "file",
                Status::Waived,
                "appendonly is off",
            )
        },
    ];
    checks[0].metrics.insert("size_bytes".into(), 2048.0);
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
    }
}
