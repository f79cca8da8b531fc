//! `manual`: a checklist line no machine can decide, signed off by a person.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use marked_yaml::Node;
use serde::Deserialize;

use super::{CheckKind, Code, Outcome, RunContext};
use crate::report::Finding;

/// Largest attestation file read (a YAML list of sign-offs).
pub(crate) const MAX_ATTESTATION_BYTES: u64 = 4 * 1024 * 1024;

/// Default attestation file, relative to the deployment root.
pub(crate) const DEFAULT_ATTESTATIONS: &str = "readyctl-attestations.yml";

/// An item a person must sign off.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ManualCheck {
    /// The key to look up in the attestation file (default: the check id).
    pub item: Option<String>,
    /// The attestation file (default `readyctl-attestations.yml` under the root).
    pub attestations: Option<PathBuf>,
    /// What the person signing must have verified (shown when unsigned).
    pub instructions: Option<String>,
    /// A sign-off older than this no longer counts (e.g. `30d`).
    #[serde(default, deserialize_with = "super::de_opt_duration")]
    #[schemars(with = "Option<String>")]
    pub max_age: Option<std::time::Duration>,
}

impl CheckKind for ManualCheck {
    const NAME: &'static str = "manual";
    const SUMMARY: &'static str = "a checklist line a person signs off in an attestation file";
    const CODES: &'static [Code] = &[
        Code::warn(
            "manual/needs-sign-off",
            "the item is not signed (or there is no attestation file); shown with the check's `instructions`",
        ),
        Code::warn(
            "manual/incomplete",
            "the item's entry lacks `who` or `when`, at its line of the attestation file",
        ),
    ];
    const DOCS: &'static str = r#"# manual

## What it checks
That a person signed off a checklist line no machine can decide ("Stakeholder
approval", "Rollback tested in staging"). Sign-offs live in an attestation file
in the deployment (default `readyctl-attestations.yml` under `--root`):

```text
sign_offs:
  - item: release.stakeholder-approval
    who: Jane Doe
    when: 2026-11-20
    note: approved in the change advisory board
```

The check reports `pass` when its item is signed (with who and when), and
`warn` with "needs sign-off" otherwise — so the item stays visible in every
report without failing the run. A sign-off older than `max_age`, or one with
no `who` or `when`, does not count.

## Why it matters
A checklist where the undecidable lines silently disappear is not the
checklist. This keeps them in the report, next to the automated checks.

## Example
```yaml
- id: release.stakeholder-approval
  kind: manual
  title: Stakeholders approved the release
  severity: high
  instructions: Product owner and on-call lead approve in the release ticket.
```

## Fields
| field | type | meaning |
|---|---|---|
| `item` | text | key in the attestation file (default: the check id) |
| `attestations` | path | attestation file (default `readyctl-attestations.yml`) |
| `instructions` | text | what the signer verifies; shown while unsigned |
| `max_age` | duration | a sign-off older than this no longer counts |

## Findings
Every outcome but a valid sign-off is `warn`: `needs sign-off` (no sign-off
for the item, or no attestation file), `stale sign-off` (signed longer ago
than `max_age`), `incomplete sign-off` (the entry lacks `who`, or `when` is
not a date). An attestation file that is not valid YAML ends the check in
`error`.
"#;

    fn schema() -> Option<schemars::Schema> {
        Some(super::spec_schema::<Self>())
    }

    async fn run(&self, cx: &RunContext) -> Outcome {
        let item = self.item.clone().unwrap_or_else(|| cx.check_id.clone());
        let rel = self
            .attestations
            .clone()
            .unwrap_or_else(|| PathBuf::from(DEFAULT_ATTESTATIONS));
        let shown = cx.display_path(&rel);
        let needs = |why: String| {
            let mut o = Outcome::warn(format!("needs sign-off: {why}"));
            if let Some(i) = &self.instructions {
                o.findings.push(
                    Finding::new(format!("needs sign-off: {why}"))
                        .code("manual/needs-sign-off")
                        .hint(i.clone()),
                );
            }
            o
        };
        // One read and parse per attestation file per run, shared by every
        // sign-off check: the bundled catalogue's 27 parsed the same file 27
        // times (14% of its files-only run).
        let full = cx.path(&rel);
        let slot = cx.memo.slot(Self::NAME, full.clone());
        // A missing file is not kept: looking again costs one failed open,
        // and a file that appears is then seen.
        let read = slot
            .get_or_try_init(|| async {
                match read_attestations(&full, &shown, cx.timeout).await {
                    Attestations::Missing => Err(()),
                    read => Ok(Arc::new(read) as Arc<dyn std::any::Any + Send + Sync>),
                }
            })
            .await;
        let doc = match read.map(|r| r.downcast_ref::<Attestations>()) {
            Err(()) | Ok(Some(Attestations::Missing)) => {
                return needs(format!("no {shown} in the deployment"));
            }
            Ok(Some(Attestations::Parsed(d))) => d,
            Ok(Some(Attestations::Failed(why))) => return Outcome::error(why.clone()),
            Ok(None) => {
                return Outcome::error(format!("cannot read {shown}: internal cache mismatch"));
            }
        };
        let entries = doc
            .as_mapping()
            .and_then(|m| m.get_sequence("sign_offs"))
            .map(|s| s.iter().collect::<Vec<&Node>>())
            .unwrap_or_default();
        let Some(entry) = entries.into_iter().rev().find(|e| {
            e.as_mapping()
                .and_then(|m| m.get_scalar("item"))
                .is_some_and(|s| s.as_str() == item)
        }) else {
            return needs(format!("`{item}` is not signed in {shown}"));
        };
        let m = entry.as_mapping();
        let field = |k: &str| {
            m.and_then(|m| m.get_scalar(k))
                .map(|s| s.as_str().to_string())
        };
        let line = entry.span().start().map(|s| s.line() as u32).unwrap_or(0);
        let (Some(who), Some(when)) = (field("who"), field("when")) else {
            return Outcome::warn(format!(
                "incomplete sign-off for `{item}`: `who` and `when` are required"
            ))
            .with_findings(vec![
                Finding::new("incomplete sign-off")
                    .code("manual/incomplete")
                    .at(&shown, line, 1),
            ]);
        };
        if let Some(max) = self.max_age {
            match when.parse::<jiff::civil::Date>() {
                Ok(date) => {
                    let today = jiff::Timestamp::now()
                        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
                        .date();
                    let age_days = (today - date).get_days().max(0) as u64;
                    if age_days * 86_400 > max.as_secs() {
                        return Outcome::warn(format!(
                            "stale sign-off: `{item}` was signed by {who} on {when}, {age_days} days ago (at most {} allowed)",
                            humantime::format_duration(max)
                        ));
                    }
                }
                Err(_) => {
                    return Outcome::warn(format!(
                        "incomplete sign-off for `{item}`: `when` must be a date like 2026-11-20"
                    ));
                }
            }
        }
        let note = field("note").map(|n| format!(": {n}")).unwrap_or_default();
        Outcome::pass(format!("signed by {who} on {when}{note}"))
    }
}

/// An attestation file as read once for the run.
enum Attestations {
    /// There is none: every item needs sign-off.
    Missing,
    /// It cannot be read or is not YAML: the message of the `error` outcome.
    Failed(String),
    /// Its YAML tree.
    Parsed(Node),
}

async fn read_attestations(full: &Path, shown: &str, timeout: std::time::Duration) -> Attestations {
    let limit = crate::support::fs::Limit::regular(MAX_ATTESTATION_BYTES);
    let text = match crate::support::fs::read_text(full, limit, timeout).await {
        Ok(t) => t,
        Err(crate::support::fs::FsError::NotFound) => return Attestations::Missing,
        Err(e) => return Attestations::Failed(format!("cannot read {shown}: {e}")),
    };
    match marked_yaml::parse_yaml(0, &text) {
        Ok(d) => Attestations::Parsed(d),
        Err(e) => Attestations::Failed(format!("{shown} is not valid YAML: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Status;

    fn spec(yaml: &str) -> ManualCheck {
        let node = marked_yaml::parse_yaml(0, yaml).unwrap();
        marked_yaml::from_node(&node).unwrap()
    }

    #[tokio::test]
    async fn unsigned_warns_and_signed_passes() {
        let dir = tempfile::tempdir().unwrap();
        let mut cx = RunContext::for_root(dir.path());
        cx.check_id = "release.approval".into();
        let o = spec("instructions: ask the PO\n").run(&cx).await;
        assert_eq!(o.status(), Status::Warn);
        assert!(o.message.starts_with("needs sign-off"), "{}", o.message);
        std::fs::write(
            dir.path().join(DEFAULT_ATTESTATIONS),
            "sign_offs:\n  - item: release.approval\n    who: Jane\n    when: 2026-11-20\n    note: CAB ok\n",
        )
        .unwrap();
        let o = spec("instructions: ask the PO\n").run(&cx).await;
        assert_eq!(o.status(), Status::Pass, "{o:?}");
        assert_eq!(o.message, "signed by Jane on 2026-11-20: CAB ok");
    }

    /// Checks of one run read the attestation file once; the next run
    /// (a new context, as `serve` makes) sees the file as edited since.
    #[tokio::test]
    async fn one_run_reads_the_attestation_file_once() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join(DEFAULT_ATTESTATIONS);
        std::fs::write(
            &file,
            "sign_offs:\n  - {item: a, who: Jane, when: 2026-11-20}\n",
        )
        .unwrap();
        let cx = RunContext::for_root(dir.path());
        assert_eq!(spec("item: a\n").run(&cx).await.status(), Status::Pass);
        std::fs::write(&file, "sign_offs: []\n").unwrap();
        assert_eq!(spec("item: a\n").run(&cx).await.status(), Status::Pass);
        assert_eq!(spec("item: b\n").run(&cx).await.status(), Status::Warn);
        let next = RunContext::for_root(dir.path());
        assert_eq!(spec("item: a\n").run(&next).await.status(), Status::Warn);
    }

    #[tokio::test]
    async fn stale_or_incomplete_sign_offs_do_not_count() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join(DEFAULT_ATTESTATIONS),
            "sign_offs:\n  - {item: a, who: Jane, when: 2001-01-01}\n  - {item: b, who: Jane}\n",
        )
        .unwrap();
        let cx = RunContext::for_root(dir.path());
        let o = spec("item: a\nmax_age: 30days\n").run(&cx).await;
        assert!(o.message.starts_with("stale sign-off"), "{}", o.message);
        let o = spec("item: b\n").run(&cx).await;
        assert!(
            o.message.starts_with("incomplete sign-off"),
            "{}",
            o.message
        );
    }
}
