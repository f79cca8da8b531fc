//! `command`: run a program and judge its exit code and output.

use std::path::PathBuf;
use std::time::Duration;

use indexmap::IndexMap;
use serde::Deserialize;

use super::{CheckKind, Code, Outcome, RunContext, SpecProblem, check_regex};
use crate::report::Finding;

/// How much of stdout/stderr is kept for matching and reporting: the last
/// bytes of each stream (a rolling tail; memory stays at this whatever the
/// command prints).
const MAX_OUTPUT_BYTES: usize = 1024 * 1024;

/// Longest output line shown in a finding.
const MAX_SHOWN_LINE_CHARS: usize = 300;

/// A command to run.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CommandCheck {
    /// Program and arguments. No shell is involved unless `shell: true`.
    pub(crate) run: Vec<String>,
    /// Run `run` joined as one string through `sh -c`.
    #[serde(default)]
    pub(crate) shell: bool,
    /// Working directory, relative to the root (default: the root).
    pub(crate) cwd: Option<PathBuf>,
    /// Extra environment variables.
    #[serde(default)]
    pub(crate) env: IndexMap<String, String>,
    /// Expected exit code (default 0).
    #[serde(default)]
    pub(crate) exit_code: i32,
    /// Regex stdout must match.
    pub(crate) stdout: Option<String>,
    /// Regex stderr must match.
    pub(crate) stderr: Option<String>,
    /// Regex stdout must not match.
    pub(crate) stdout_not: Option<String>,
}

impl CheckKind for CommandCheck {
    const NAME: &'static str = "command";
    const SUMMARY: &'static str = "run a command; expect an exit code and stdout/stderr patterns";
    const CODES: &'static [Code] = &[
        Code::fail(
            "command/exit-code",
            "the command exited with another code (or was killed by a signal); the tails of stdout and stderr are shown",
        ),
        Code::fail(
            "command/output",
            "stdout or stderr does not match its pattern (or `stdout_not` matches); the output's tail is shown",
        ),
        Code::fail(
            "command/timed-out",
            "the process ran past the check's timeout and was killed with its process group",
        ),
    ];
    const DOCS: &'static str = r#"# command

## What it checks
Runs a program with arguments (no shell unless `shell: true`), in a working
directory under the root, with extra environment variables, under the check's
timeout (the process is killed when it runs over). Passes when the exit code is
the expected one and the output matches.

## Why it matters
Half of the checklist is "this command passes": `poetry run mypy`,
`poetry run ruff check`, `pnpm lint`, `pnpm build`.

## Example
```yaml
- id: backend.typecheck
  kind: command
  title: mypy passes
  run: [poetry, run, mypy, src]
  timeout: 5m
- id: backend.alembic-single-head
  kind: command
  title: Alembic has a single head
  run: [python, -m, alembic, heads]
  stdout: '^\w+ \(head\)\s*$'
```

## Fields
| field | type | meaning |
|---|---|---|
| `run` | list | program and arguments (required) |
| `shell` | bool | run through `sh -c` (only when written; interpolated values then reach a shell) |
| `cwd` | path | working directory relative to the root |
| `env` | map | extra environment variables |
| `exit_code` | number | expected exit code (default 0) |
| `stdout` / `stderr` | regex | must match |
| `stdout_not` | regex | must not match |

## Findings
A program that does not exist or is not executable fails the check with
`not found` and no finding.
"#;

    fn validate(&self) -> Vec<SpecProblem> {
        let mut p = Vec::new();
        if self.run.is_empty() {
            p.push(
                SpecProblem::new("run", "`run` is empty").hint("write e.g. `run: [pnpm, lint]`"),
            );
        }
        for (field, r) in [
            ("stdout", &self.stdout),
            ("stderr", &self.stderr),
            ("stdout_not", &self.stdout_not),
        ] {
            if let Some(r) = r {
                p.extend(check_regex(field, r));
            }
        }
        p
    }

    fn secrets(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .env
            .iter()
            .filter(|(k, _)| crate::redact::looks_secret(k))
            .map(|(_, v)| v.clone())
            .collect();
        // Values after `--password`-like flags are secrets wherever they reappear.
        for (orig, shown) in self.run.iter().zip(crate::redact::mask_argv(&self.run)) {
            if *orig != shown {
                let v = orig.split_once('=').map_or(orig.as_str(), |(_, v)| v);
                out.push(v.to_string());
            }
        }
        out
    }

    fn schema() -> Option<schemars::Schema> {
        Some(super::spec_schema::<Self>())
    }

    async fn run(&self, cx: &RunContext) -> Outcome {
        let mut cmd = if self.shell {
            let mut c = tokio::process::Command::new("sh");
            c.arg("-c").arg(self.run.join(" "));
            c
        } else {
            let mut c = tokio::process::Command::new(&self.run[0]);
            c.args(&self.run[1..]);
            c
        };
        let cwd = cx.path(self.cwd.as_deref().unwrap_or(std::path::Path::new("")));
        cmd.current_dir(&cwd).envs(&self.env);
        let shown = crate::redact::mask_argv(&self.run).join(" ");
        let budget = cx
            .timeout
            .saturating_sub(Duration::from_millis(50))
            .max(Duration::from_millis(50));
        // Own process group, output as rolling tails, the group killed at the
        // timeout, on exit and when the run is interrupted (support::process).
        let output = match crate::support::process::run(cmd, budget, MAX_OUTPUT_BYTES).await {
            Ok(o) => o,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Outcome::fail(format!(
                    "`{}` not found (is it installed and on PATH?)",
                    self.run[0]
                ));
            }
            Err(e) => return Outcome::fail(format!("cannot start `{shown}`: {e}")),
        };
        let Some(status) = output.status else {
            return Outcome::fail(format!(
                "`{shown}` timed out after {} and was killed (with its process group)",
                humantime::format_duration(budget)
            ))
            .with_findings(vec![
                Finding::new(format!("`{shown}` did not exit within its timeout"))
                    .code("command/timed-out")
                    .hint(both_tails(&output.stdout.text(), &output.stderr.text(), 5)),
            ]);
        };
        let stdout = output.stdout.text();
        let stderr = output.stderr.text();
        let code = status.code();
        let mut findings = Vec::new();
        if code != Some(self.exit_code) {
            let shown_code = code
                .map(|c| c.to_string())
                .unwrap_or_else(|| "none (killed by a signal)".into());
            let tail = both_tails(&stdout, &stderr, 5);
            findings.push(
                Finding::new(format!("`{shown}` exited with {shown_code}"))
                    .code("command/exit-code")
                    .expected_actual(self.exit_code.to_string(), shown_code)
                    .hint(tail),
            );
        }
        for (name, text, pattern, must) in [
            ("stdout", &stdout, &self.stdout, true),
            ("stderr", &stderr, &self.stderr, true),
            ("stdout", &stdout, &self.stdout_not, false),
        ] {
            if let Some(p) = pattern {
                let Ok(re) = super::regex_cached(p, true) else {
                    return Outcome::error(format!("invalid regex /{p}/"));
                };
                if re.is_match(text) != must {
                    let what = if must { "does not match" } else { "matches" };
                    findings.push(
                        Finding::new(format!("{name} {what} /{p}/"))
                            .code("command/output")
                            .hint(labelled(name, text, 5).unwrap_or_else(|| "(no output)".into())),
                    );
                }
            }
        }
        Outcome::judged(
            findings,
            <CommandCheck as crate::kinds::CheckKind>::CODES,
            format!("`{shown}` exited with {}", self.exit_code),
        )
    }
}

/// The last lines of both streams, each labelled, in the order a reader
/// wants them: stdout (a linter's findings) then stderr (warnings, errors).
/// A stream with no output is left out; both empty: "(no output)".
fn both_tails(stdout: &str, stderr: &str, n: usize) -> String {
    let parts: Vec<String> = [("stdout", stdout), ("stderr", stderr)]
        .into_iter()
        .filter_map(|(name, text)| labelled(name, text, n))
        .collect();
    if parts.is_empty() {
        "(no output)".into()
    } else {
        parts.join("\n")
    }
}

/// `stdout (last 3 lines):` and the lines, or `None` when the stream is empty.
fn labelled(name: &str, text: &str, n: usize) -> Option<String> {
    let lines = last_lines(text, n)?;
    let count = lines.lines().count();
    let what = if count == 1 {
        "last line".to_string()
    } else {
        format!("last {count} lines")
    };
    Some(format!("{name} ({what}):\n{lines}"))
}

fn last_lines(text: &str, n: usize) -> Option<String> {
    let lines: Vec<&str> = text.trim_end().lines().collect();
    let from = lines.len().saturating_sub(n);
    // Each shown line clipped: one endless line (`cat /dev/zero`) must not
    // become a megabyte-wide table cell.
    let tail = lines[from..]
        .iter()
        .map(|l| {
            if l.chars().count() > MAX_SHOWN_LINE_CHARS {
                let cut: String = l.chars().take(MAX_SHOWN_LINE_CHARS).collect();
                format!("{cut}… (line clipped)")
            } else {
                (*l).to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    (!tail.trim().is_empty()).then_some(tail)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Status;

    fn spec(yaml: &str) -> CommandCheck {
        let node = marked_yaml::parse_yaml(0, yaml).unwrap();
        marked_yaml::from_node(&node).unwrap()
    }

    #[tokio::test]
    async fn judges_exit_code_and_output() {
        let cx = RunContext::for_root(".");
        let o = spec("run: [sh, -c, 'echo hello; exit 3']\nexit_code: 3\nstdout: '^hello$'\n")
            .run(&cx)
            .await;
        assert_eq!(o.status(), Status::Pass, "{o:?}");
        let o = spec("run: [sh, -c, 'echo oops >&2; exit 1']\n")
            .run(&cx)
            .await;
        assert_eq!(o.status(), Status::Fail);
        assert!(
            o.findings[0]
                .hint
                .as_deref()
                .unwrap_or_default()
                .contains("oops")
        );
    }

    /// Regression: a failing command showed only stderr's last line, so a
    /// linter's findings on stdout were hidden behind an `npm WARN`.
    #[tokio::test]
    async fn a_failure_shows_both_streams_labelled() {
        let cx = RunContext::for_root(".");
        let o = spec(
            "run: [sh, -c, 'echo E501 line too long; echo npm WARN deprecated >&2; exit 1']\n",
        )
        .run(&cx)
        .await;
        assert_eq!(o.status(), Status::Fail);
        assert_eq!(
            o.findings[0].hint.as_deref(),
            Some(
                "stdout (last line):\nE501 line too long\nstderr (last line):\nnpm WARN deprecated"
            )
        );
        let o = spec("run: [sh, -c, 'exit 2']\n").run(&cx).await;
        assert_eq!(o.findings[0].hint.as_deref(), Some("(no output)"));
    }

    #[tokio::test]
    async fn no_shell_unless_asked() {
        let cx = RunContext::for_root(".");
        // Without a shell, `;` is an argument to echo, not a command separator.
        let o = spec("run: [echo, 'a; exit 7']\nstdout: 'a; exit 7'\n")
            .run(&cx)
            .await;
        assert_eq!(o.status(), Status::Pass, "{o:?}");
    }

    #[tokio::test]
    async fn missing_program_and_timeout_have_plain_reasons() {
        let mut cx = RunContext::for_root(".");
        let o = spec("run: [definitely-not-a-program-xyz]\n").run(&cx).await;
        assert!(o.message.contains("not found"), "{}", o.message);
        cx.timeout = Duration::from_millis(300);
        let o = spec("run: [sleep, '5']\n").run(&cx).await;
        assert!(o.message.contains("timed out"), "{}", o.message);
    }
}
