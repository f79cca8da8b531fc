//! The one place verdicts are made, for both sources: [`judge`] compares
//! the spec's expectations with [`Facts`] and builds the outcome. Only the
//! wording differs by source (a file "does not set" what a server "has no
//! setting named"); what passes and what fails does not.

use super::PostgresCheck;
use super::Source;
use super::facts::{Applied, Facts, Migrations};
use crate::domain::units::{Expectation, Value, pg_default_unit, pg_value};
use crate::domain::version_req::{self, VersionReq};
use crate::kinds::Outcome;
use crate::kinds::spec::holds;
use crate::report::Finding;

/// Every verdict of a `postgres` check on what its source said.
pub(super) fn judge(check: &PostgresCheck, facts: &Facts) -> Outcome {
    let file = facts.source == Source::File;
    let label = facts.label.as_str();
    let mut findings = Vec::new();
    let mut checked = 0usize;

    let shown_version = facts.version.as_ref().map(|(v, _)| version_req::display(v));
    if let (Some((version, reported)), Some(shown)) = (&facts.version, &shown_version)
        && let Some(req) = check
            .version
            .as_deref()
            .and_then(|v| VersionReq::parse(v).ok())
    {
        checked += 1;
        if !req.matches(version) {
            findings.push(
                Finding::new(format!(
                    "PostgreSQL version is {}, expected {req}",
                    if reported.starts_with(shown.as_str()) {
                        reported.clone()
                    } else {
                        shown.clone()
                    }
                ))
                .code("postgres/version")
                .expected_actual(req.to_string(), shown.clone()),
            );
        }
    }

    let has = |want: &str| {
        facts
            .extensions
            .iter()
            .any(|i| i.eq_ignore_ascii_case(want))
    };
    if file {
        for want in &check.extensions {
            checked += 1;
            if !has(want) {
                findings.push(
                    Finding::new(format!("{label} does not create extension {want}"))
                        .code("postgres/extension")
                        .at_file(facts.files.first().cloned().unwrap_or_default())
                        .expected_actual(format!("CREATE EXTENSION {want}"), "none")
                        .hint(format!("add `CREATE EXTENSION IF NOT EXISTS \"{want}\";`")),
                );
            }
        }
    } else if !check.extensions.is_empty() {
        let installed = &facts.extensions;
        let missing: Vec<&str> = check
            .extensions
            .iter()
            .filter(|w| !has(w))
            .map(String::as_str)
            .collect();
        checked += check.extensions.len();
        if !missing.is_empty() {
            findings.push(
                Finding::new(format!(
                    "{label} lacks extension{} {} (installed: {})",
                    if missing.len() == 1 { "" } else { "s" },
                    missing.join(", "),
                    installed.join(", ")
                ))
                .code("postgres/extension")
                .expected_actual(check.extensions.join(", "), installed.join(", "))
                .hint(
                    missing
                        .iter()
                        .map(|n| format!("CREATE EXTENSION IF NOT EXISTS \"{n}\";"))
                        .collect::<Vec<_>>()
                        .join(" "),
                ),
            );
        }
    }

    for (name, want) in &check.settings {
        checked += 1;
        let lname = name.to_ascii_lowercase();
        let exp = Expectation::parse(want);
        let Some(s) = facts.settings.get(&lname) else {
            findings.push(if file {
                let expected = pg_value(&exp.value, pg_default_unit(&lname));
                Finding::new(format!(
                    "{label} does not set {name} (ALTER SYSTEM SET); expected {}",
                    exp.describe(&expected)
                ))
                .code("postgres/setting")
                .at_file(facts.files.first().cloned().unwrap_or_default())
                .expected_actual(exp.describe(&expected), "not set (server default)")
                .hint(format!("add `ALTER SYSTEM SET {name} = '{}';`", exp.value))
            } else {
                Finding::new(format!("{label} has no setting named {name}"))
                    .code("postgres/setting")
            });
            continue;
        };
        let expected = pg_value(&exp.value, s.unit.as_deref());
        let actual = pg_value(&s.value, s.unit.as_deref());
        let shown_actual = match (&actual, file) {
            (Value::Bytes(_) | Value::Millis(_), false) => actual.to_string(),
            _ => s.value.clone(),
        };
        let place = |f: Finding| match &s.at {
            Some((file, line, column)) => f.at(file, *line, *column),
            None => f,
        };
        match exp.holds(&expected, &actual) {
            Ok(true) => {}
            Ok(false) => {
                let message = match &s.at {
                    Some((file, _, _)) => format!(
                        "{name} is set to {shown_actual} in {file}, expected {}",
                        exp.describe(&expected)
                    ),
                    None => format!(
                        "{name} is {shown_actual} on {label}, expected {}",
                        exp.describe(&expected)
                    ),
                };
                let f = Finding::new(message)
                    .code("postgres/setting")
                    .expected_actual(exp.describe(&expected), shown_actual);
                findings.push(if file {
                    place(f)
                } else {
                    f.hint(format!(
                        "ALTER SYSTEM SET {name} = '{}'; then reload or restart",
                        exp.value
                    ))
                });
            }
            Err(e) => findings.push(place(
                Finding::new(format!("{name}: {e}")).code("postgres/setting"),
            )),
        }
    }

    if let (Some(q), Some(result)) = (&check.query, &facts.query) {
        if let Some(why) = &result.failed {
            findings.push(
                Finding::new(format!("the query failed on {label}: {why}")).code("postgres/query"),
            );
        }
        let rows = &result.rows;
        if let Some(want) = &q.rows {
            checked += 1;
            let exp = Expectation::parse(want);
            let expected = pg_value(&exp.value, None);
            let actual = Value::Number(rows.len() as f64);
            if !exp.holds(&expected, &actual).unwrap_or(false) {
                findings.push(
                    Finding::new(format!(
                        "the query returned {} row{}, expected {}",
                        rows.len(),
                        if rows.len() == 1 { "" } else { "s" },
                        exp.describe(&expected)
                    ))
                    .code("postgres/query")
                    .expected_actual(exp.describe(&expected), rows.len().to_string()),
                );
            }
        }
        if let Some(want) = &q.expect {
            checked += 1;
            let first = rows.first().and_then(|r| r.first().cloned());
            let exp = Expectation::parse(want);
            let expected = pg_value(&exp.value, None);
            let (holds, shown) = match &first {
                Some(Some(v)) => (
                    exp.holds(&expected, &pg_value(v, None)).unwrap_or(false),
                    v.clone(),
                ),
                Some(None) => (false, "NULL".to_string()),
                None => (false, "no rows".to_string()),
            };
            if !holds {
                findings.push(
                    Finding::new(format!(
                        "the query returned {shown}, expected {}",
                        exp.describe(&expected)
                    ))
                    .code("postgres/query")
                    .expected_actual(exp.describe(&expected), shown),
                );
            }
        }
    }

    if let Some(m) = &facts.migrations {
        checked += 1;
        findings.extend(m.problems.iter().cloned());
        if let Some(applied) = &m.applied {
            findings.extend(migrations_applied(m, applied, label));
        }
    }

    if file {
        let what = if facts.files.is_empty() {
            String::new()
        } else {
            format!("{}: ", facts.files.join(", "))
        };
        let head = facts
            .migrations
            .as_ref()
            .filter(|m| m.problems.is_empty())
            .and_then(|m| m.history.heads().first().map(|r| r.id.clone()))
            .map(|h| format!("; migrations have one head ({h})"))
            .unwrap_or_default();
        return Outcome::judged(
            findings,
            <super::PostgresCheck as crate::kinds::CheckKind>::CODES,
            format!("{what}{}{head}", holds(checked)),
        );
    }
    if !findings.is_empty() {
        return Outcome::judged(
            findings,
            <super::PostgresCheck as crate::kinds::CheckKind>::CODES,
            "",
        )
        .with_findings(facts.notes.clone());
    }
    let version = shown_version.unwrap_or_default();
    let ok = match checked {
        0 => format!("{label} accepts connections (PostgreSQL {version})"),
        n => format!("{label} (PostgreSQL {version}): {}", holds(n)),
    };
    match facts.notes.first() {
        Some(n) => Outcome::warn(format!("{ok}; {}", n.message)).with_findings(facts.notes.clone()),
        None => Outcome::pass(ok),
    }
}

/// The database against the history's one head: at it, behind it, or at a
/// revision the code does not know.
fn migrations_applied(m: &Migrations, applied: &Applied, label: &str) -> Vec<Finding> {
    let history = &m.history;
    let heads: Vec<String> = history.heads().iter().map(|r| r.id.clone()).collect();
    let current = match applied {
        Applied::Revisions(r) => r,
        Applied::NoTable => {
            return vec![
                Finding::new(format!(
                    "{label} has no alembic_version table: no migration was ever applied (head is {})",
                    heads.join(", ")
                ))
                .code("postgres/migrations")
                .expected_actual(heads.join(", "), "no alembic_version table")
                .hint("run `alembic upgrade head`"),
            ];
        }
        Applied::Unreadable(why) => {
            return vec![
                Finding::new(format!("reading alembic_version on {label} failed: {why}"))
                    .code("postgres/migrations"),
            ];
        }
    };
    let mut cur_sorted = current.clone();
    cur_sorted.sort();
    let mut heads_sorted = heads.clone();
    heads_sorted.sort();
    if cur_sorted == heads_sorted {
        return Vec::new();
    }
    let unknown: Vec<&String> = current
        .iter()
        .filter(|c| !history.revisions.contains_key(c.as_str()))
        .collect();
    if !unknown.is_empty() {
        return vec![
            Finding::new(format!(
                "{label} is at revision {}, which is not in {}: the database is ahead of this code or from another branch",
                unknown.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", "),
                m.shown
            ))
            .code("postgres/migrations")
            .expected_actual(heads.join(", "), current.join(", ")),
        ];
    }
    let missing = history.missing(current);
    let at = if current.is_empty() {
        "no revision".to_string()
    } else {
        current.join(", ")
    };
    vec![
        Finding::new(format!(
            "{label} is behind head: at {at}, head is {}; missing revision{} {}",
            heads.join(", "),
            if missing.len() == 1 { "" } else { "s" },
            missing.join(", ")
        ))
        .code("postgres/migrations")
        .expected_actual(heads.join(", "), at)
        .hint("run `alembic upgrade head` (after a backup)"),
    ]
}

#[cfg(test)]
mod tests {
    use crate::kinds::postgres::tests::spec;
    use crate::kinds::{CheckKind, RunContext};
    use crate::report::Status;

    #[tokio::test]
    async fn init_sql_answers_extension_and_setting_expectations_with_lines() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("database/init")).unwrap();
        std::fs::write(
            dir.path().join("database/init/01-init.sql"),
            "CREATE EXTENSION IF NOT EXISTS \"uuid-ossp\";\nALTER SYSTEM SET max_connections = 100;\nALTER SYSTEM SET shared_buffers = '256MB';\n",
        )
        .unwrap();
        let cx = RunContext::for_root(dir.path());
        let o = spec("source: file\npath: database/init\nextensions: [uuid-ossp, pg_trgm]\nsettings:\n  max_connections: 200\n  shared_buffers: '>= 32768'\n  work_mem: 16MB\n")
            .run(&cx)
            .await;
        assert_eq!(o.status(), Status::Fail);
        assert_eq!(o.findings.len(), 3, "{:?}", o.findings);
        assert!(
            o.findings[0]
                .message
                .contains("does not create extension pg_trgm")
        );
        let mc = &o.findings[1];
        assert_eq!(
            mc.message,
            "max_connections is set to 100 in database/init/01-init.sql, expected 200"
        );
        assert_eq!(
            (mc.file.as_deref(), mc.line),
            (Some("database/init/01-init.sql"), Some(2))
        );
        assert!(o.findings[2].message.contains("does not set work_mem"));
    }

    #[tokio::test]
    async fn migrations_with_two_heads_fail_as_conflicting() {
        let dir = tempfile::tempdir().unwrap();
        let v = dir.path().join("alembic/versions");
        std::fs::create_dir_all(&v).unwrap();
        std::fs::write(v.join("a.py"), "revision = 'a1'\ndown_revision = None\n").unwrap();
        std::fs::write(v.join("b.py"), "revision = 'b2'\ndown_revision = 'a1'\n").unwrap();
        std::fs::write(v.join("c.py"), "revision = 'c2'\ndown_revision = 'a1'\n").unwrap();
        let cx = RunContext::for_root(dir.path());
        let o = spec("migrations: alembic/versions\n").run(&cx).await;
        assert_eq!(o.status(), Status::Fail);
        assert!(
            o.message.starts_with("conflicting heads: b2, c2"),
            "{}",
            o.message
        );
        std::fs::write(
            v.join("m.py"),
            "revision = 'm3'\ndown_revision = ('b2', 'c2')\n",
        )
        .unwrap();
        let o = spec("migrations: alembic/versions\n").run(&cx).await;
        assert_eq!(o.status(), Status::Pass, "{}", o.message);
        assert!(o.message.contains("one head (m3)"));
    }
}
