//! Baselines and diffs between two JSON reports.
//!
//! `--baseline PREVIOUS.json` marks each failing check (`fail` or `error`) as
//! `known` when it also failed in the previous report, `new` otherwise; known
//! failures are shown but do not fail the run. `readyctl diff OLD NEW` lists
//! what got worse (newly failing) and better (no longer failing).
//!
//! Previous reports are read leniently, as JSON with `checks[].id` and
//! `checks[].status`, so reports from older readyctl versions still serve.

use std::collections::HashMap;
use std::path::Path;

use crate::report::{BaselineMark, Report, Status};

/// Check id → status string, from a JSON report.
#[derive(Debug, Clone, Default)]
pub(crate) struct Statuses {
    /// In report order.
    pub order: Vec<String>,
    /// id → status.
    pub by_id: HashMap<String, String>,
}

/// Reads a JSON report's statuses.
pub(crate) fn read(path: &Path) -> Result<Statuses, String> {
    // A report of 10k checks is a few MiB; the limit keeps `/dev/zero` out.
    let limit = crate::support::fs::Limit::regular(256 * 1024 * 1024);
    let text = crate::support::fs::read_text_sync(path, limit)
        .map_err(|e| format!("cannot read report {}: {e}", path.display()))?;
    parse(&text).map_err(|e| format!("{} is not a readyctl JSON report: {e}", path.display()))
}

/// Parses a JSON report's statuses.
pub(crate) fn parse(text: &str) -> Result<Statuses, String> {
    let v: serde_json::Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let checks = v
        .get("checks")
        .and_then(|c| c.as_array())
        .ok_or("no `checks` list")?;
    let mut s = Statuses::default();
    for c in checks {
        let (Some(id), Some(st)) = (
            c.get("id").and_then(|x| x.as_str()),
            c.get("status").and_then(|x| x.as_str()),
        ) else {
            return Err("a check without `id` or `status`".into());
        };
        s.order.push(id.to_string());
        s.by_id.insert(id.to_string(), st.to_string());
    }
    Ok(s)
}

/// True for statuses that count as failing for baselines and diffs.
pub(crate) fn failing(status: &str) -> bool {
    matches!(status, "fail" | "error")
}

/// Marks each failing result `known` or `new` against `baseline`.
pub(crate) fn apply(report: &mut Report, baseline: &Statuses) {
    for c in &mut report.checks {
        if matches!(c.status, Status::Fail | Status::Error) {
            let known = baseline.by_id.get(&*c.id).is_some_and(|s| failing(s));
            c.baseline = Some(if known {
                BaselineMark::Known
            } else {
                BaselineMark::New
            });
        }
    }
}

/// What changed between two reports.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Diff {
    /// Newly failing: (id, old status or `absent`, new status).
    pub worse: Vec<(String, String, String)>,
    /// No longer failing: (id, old status, new status or `absent`).
    pub better: Vec<(String, String, String)>,
    /// Failing in both.
    pub still_failing: Vec<String>,
    /// Other status changes (e.g. pass → warn).
    pub changed: Vec<(String, String, String)>,
}

/// Compares two reports.
pub(crate) fn diff(old: &Statuses, new: &Statuses) -> Diff {
    let mut d = Diff::default();
    let absent = || "absent".to_string();
    for id in &new.order {
        let n = &new.by_id[id];
        let o = old.by_id.get(id).cloned().unwrap_or_else(absent);
        match (failing(&o), failing(n)) {
            (false, true) => d.worse.push((id.clone(), o, n.clone())),
            (true, false) => d.better.push((id.clone(), o, n.clone())),
            (true, true) => d.still_failing.push(id.clone()),
            (false, false) if &o != n => d.changed.push((id.clone(), o, n.clone())),
            _ => {}
        }
    }
    for id in &old.order {
        if !new.by_id.contains_key(id) && failing(&old.by_id[id]) {
            d.better.push((id.clone(), old.by_id[id].clone(), absent()));
        }
    }
    d
}

impl Diff {
    /// Human text: worse first, then better, then other changes.
    pub(crate) fn render(&self) -> String {
        let mut out = String::new();
        let section = |out: &mut String, head: &str, rows: &[(String, String, String)]| {
            if rows.is_empty() {
                return;
            }
            out.push_str(&format!("{head} ({}):\n", rows.len()));
            for (id, o, n) in rows {
                out.push_str(&format!("  {id}: {o} -> {n}\n"));
            }
        };
        section(&mut out, "worse", &self.worse);
        section(&mut out, "better", &self.better);
        section(&mut out, "changed", &self.changed);
        out.push_str(&format!(
            "{} worse, {} better, {} still failing\n",
            self.worse.len(),
            self.better.len(),
            self.still_failing.len()
        ));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::render::canonical;

    #[test]
    fn marks_persisting_failures_known_and_others_new() {
        let mut r = canonical();
        let old = parse(
            r#"{"checks":[{"id":"net.api","status":"fail"},{"id":"env.values","status":"pass"}]}"#,
        )
        .unwrap();
        apply(&mut r, &old);
        let mark = |id: &str| r.checks.iter().find(|c| *c.id == *id).unwrap().baseline;
        assert_eq!(mark("net.api"), Some(BaselineMark::Known));
        assert_eq!(mark("env.values"), Some(BaselineMark::New));
        assert_eq!(mark("scan.todo"), Some(BaselineMark::New));
        assert_eq!(mark("env.file"), None);
    }

    #[test]
    fn diff_lists_worse_and_better() {
        let old = parse(r#"{"checks":[{"id":"a","status":"fail"},{"id":"b","status":"pass"},{"id":"c","status":"fail"},{"id":"gone","status":"error"}]}"#).unwrap();
        let new = parse(r#"{"checks":[{"id":"a","status":"pass"},{"id":"b","status":"fail"},{"id":"c","status":"fail"},{"id":"d","status":"warn"}]}"#).unwrap();
        let d = diff(&old, &new);
        assert_eq!(d.worse, vec![("b".into(), "pass".into(), "fail".into())]);
        assert_eq!(d.better.len(), 2);
        assert_eq!(d.still_failing, vec!["c".to_string()]);
        assert_eq!(
            d.changed,
            vec![("d".into(), "absent".into(), "warn".into())]
        );
        assert!(
            d.render().contains("worse (1):\n  b: pass -> fail\n"),
            "{}",
            d.render()
        );
    }
}
