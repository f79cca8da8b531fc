//! What one source says about the database, in one shape for both sources:
//! the init SQL files and the migrations directory on disk
//! ([`from_files`]), or the queries a live connection answers
//! ([`from_live`]). Reading judges nothing; a source that cannot be read
//! ends the check here with its own outcome.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use tokio_postgres::error::SqlState;
use tokio_postgres::{Client, SimpleQueryMessage};

use super::connect::db_error_text;
use super::{PostgresCheck, Source};
use crate::domain::alembic::History;
use crate::domain::initsql::{self, InitSql};
use crate::domain::units::pg_default_unit;
use crate::domain::version_req::{self, Version};
use crate::kinds::{Outcome, RunContext};
use crate::report::Finding;

/// What one source says, for [`super::judge::judge`].
pub(super) struct Facts {
    /// Which source this came from (messages differ, verdicts do not).
    pub(crate) source: Source,
    /// `host:port/database` live; the init SQL files, comma-separated, from files.
    pub(crate) label: String,
    /// The init SQL files read, in order (file source).
    pub(crate) files: Vec<String>,
    /// The server's version and how it reports it (live).
    pub(crate) version: Option<(Version, String)>,
    /// Extensions installed (live) or created by the init SQL (file).
    pub(crate) extensions: Vec<String>,
    /// The expected settings that exist, by lower-case name.
    pub(crate) settings: HashMap<String, Setting>,
    /// What the spec's query returned (live).
    pub(crate) query: Option<QueryResult>,
    /// The migrations directory and, live, the applied revisions.
    pub(crate) migrations: Option<Migrations>,
    /// Warnings about how the source was read (TLS not verified, …).
    pub(crate) notes: Vec<Finding>,
}

/// One setting's value, unit and (file) place.
pub(super) struct Setting {
    /// The value as written or as `pg_settings` reports it.
    pub(crate) value: String,
    /// `pg_settings.unit` live; the default unit of the setting from files.
    pub(crate) unit: Option<String>,
    /// File, line and column of the `ALTER SYSTEM SET` (file source).
    pub(crate) at: Option<(String, u32, u32)>,
}

/// The rows of the spec's query, or why it failed.
pub(super) struct QueryResult {
    /// Rows as text cells (`None` is SQL NULL).
    pub(crate) rows: Vec<Vec<Option<String>>>,
    /// The server's reason when the query failed (then `rows` is empty).
    pub(crate) failed: Option<String>,
}

/// The Alembic history and, live, what the database has applied.
pub(super) struct Migrations {
    /// The directory as shown in messages.
    pub(crate) shown: String,
    pub(crate) history: History,
    /// Broken files, no revisions, conflicting heads.
    pub(crate) problems: Vec<Finding>,
    /// Live, when the history has one head: the `alembic_version` rows.
    pub(crate) applied: Option<Applied>,
}

/// What `SELECT version_num FROM alembic_version` said.
pub(super) enum Applied {
    Revisions(Vec<String>),
    /// The table does not exist: no migration was ever applied.
    NoTable,
    /// The query failed for another reason.
    Unreadable(String),
}

impl Facts {
    fn new(source: Source, label: String) -> Facts {
        Facts {
            source,
            label,
            files: Vec::new(),
            version: None,
            extensions: Vec::new(),
            settings: HashMap::new(),
            query: None,
            migrations: None,
            notes: Vec::new(),
        }
    }
}

/// Reads the init SQL (when extensions or settings are expected) and the
/// migrations directory.
pub(super) fn from_files(
    check: &PostgresCheck,
    cx: &RunContext,
    paths: &[PathBuf],
) -> Result<Facts, Box<Outcome>> {
    let mut facts = Facts::new(Source::File, String::new());
    let needs_sql = !check.extensions.is_empty() || !check.settings.is_empty();
    if needs_sql {
        if paths.is_empty() {
            return Err(Box::new(Outcome::error(
                "`source: file` needs `path` (init SQL files or a directory)",
            )));
        }
        let mut sql = InitSql::default();
        let mut shown_files = Vec::new();
        for p in paths {
            let files = match sql_files(&cx.path(p)) {
                Ok(f) => f,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    let shown = cx.display_path(p);
                    let m = format!("{shown} does not exist");
                    return Err(Box::new(Outcome::fail(m.clone()).with_findings(vec![
                        Finding::new(m).code("postgres/file").at_file(shown),
                    ])));
                }
                Err(e) => {
                    return Err(Box::new(Outcome::error(format!(
                        "cannot read {}: {e}",
                        cx.display_path(p)
                    ))));
                }
            };
            for f in files {
                let shown = f.strip_prefix(&cx.root).unwrap_or(&f).display().to_string();
                match crate::domain::textfile::read(
                    &f,
                    crate::domain::textfile::MAX_TEXT_FILE_BYTES,
                ) {
                    Ok(text) => {
                        let mut parsed = initsql::parse(&text);
                        // Remember which file each item is in.
                        for e in &mut parsed.extensions {
                            e.name = format!("{}\u{0}{shown}", e.name);
                        }
                        for s in &mut parsed.settings {
                            s.value = format!("{}\u{0}{shown}", s.value);
                        }
                        sql.extend(parsed);
                        shown_files.push(shown);
                    }
                    Err(e) => {
                        let at = e.line.map(|l| format!(":{l}")).unwrap_or_default();
                        let m = format!("{shown}{at}: {}", e.message);
                        let mut finding = Finding::new(m.clone()).code("postgres/file");
                        finding = match e.line {
                            Some(l) => finding.at(shown.clone(), l, 1),
                            None => finding.at_file(shown.clone()),
                        };
                        return Err(Box::new(Outcome::error(m).with_findings(vec![finding])));
                    }
                }
            }
        }
        facts.label = shown_files.join(", ");
        facts.extensions = sql
            .extensions
            .iter()
            .filter_map(|e| e.name.split('\u{0}').next().map(str::to_string))
            .collect();
        for name in check.settings.keys() {
            let lname = name.to_ascii_lowercase();
            if let Some(s) = sql.setting(name) {
                let (value, file) = s.value.split_once('\u{0}').unwrap_or((&s.value, ""));
                let setting = Setting {
                    value: value.to_string(),
                    unit: pg_default_unit(&lname).map(str::to_string),
                    at: Some((file.to_string(), s.line, s.column)),
                };
                facts.settings.insert(lname, setting);
            }
        }
        facts.files = shown_files;
    }
    if let Some(dir) = &check.migrations {
        facts.migrations = Some(read_history(cx, dir)?);
    }
    Ok(facts)
}

/// Asks a live database what the expectations need: its version, and only
/// what is expected of extensions, settings, the query and migrations.
pub(super) async fn from_live(
    check: &PostgresCheck,
    cx: &RunContext,
    client: &Client,
    label: &str,
) -> Result<Facts, Box<Outcome>> {
    let mut facts = Facts::new(Source::Live, label.to_string());
    let q_err = |what: &str, e: &tokio_postgres::Error| {
        Box::new(Outcome::fail(format!(
            "{what} on {label} failed: {}",
            db_error_text(e)
        )))
    };
    let rows = simple(
        client,
        "SELECT current_setting('server_version_num'), current_setting('server_version')",
    )
    .await
    .map_err(|e| q_err("reading the server version", &e))?;
    let num: u64 = rows
        .first()
        .and_then(|r| r.first().cloned().flatten())
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let reported = rows
        .first()
        .and_then(|r| r.get(1).cloned().flatten())
        .unwrap_or_default();
    facts.version = Some((version_req::from_pg_version_num(num), reported));
    if !check.extensions.is_empty() {
        let rows = simple(client, "SELECT extname FROM pg_extension ORDER BY extname")
            .await
            .map_err(|e| q_err("listing extensions", &e))?;
        facts.extensions = rows
            .into_iter()
            .filter_map(|r| r.into_iter().next().flatten())
            .collect();
    }
    if !check.settings.is_empty() {
        let names: Vec<String> = check
            .settings
            .keys()
            .map(|k| k.to_ascii_lowercase())
            .collect();
        let rows = client
            .query(
                "SELECT name, setting, unit FROM pg_settings WHERE name = ANY($1)",
                &[&names],
            )
            .await
            .map_err(|e| q_err("reading pg_settings", &e))?;
        for row in &rows {
            let name: &str = row.get(0);
            let setting = Setting {
                value: row.get(1),
                unit: row.get(2),
                at: None,
            };
            facts.settings.insert(name.to_string(), setting);
        }
    }
    if let Some(q) = &check.query {
        facts.query = Some(match simple(client, &q.sql).await {
            Ok(rows) => QueryResult { rows, failed: None },
            Err(e) => QueryResult {
                rows: Vec::new(),
                failed: Some(db_error_text(&e)),
            },
        });
    }
    if let Some(dir) = &check.migrations {
        let mut m = read_history(cx, dir)?;
        let conflicting = m.history.heads().len() > 1;
        if !conflicting && !m.history.revisions.is_empty() {
            m.applied = Some(applied(client).await);
        }
        facts.migrations = Some(m);
    }
    Ok(facts)
}

/// The revisions the database is at.
async fn applied(client: &Client) -> Applied {
    match simple(client, "SELECT version_num FROM alembic_version").await {
        Ok(rows) => Applied::Revisions(
            rows.into_iter()
                .filter_map(|r| r.into_iter().next().flatten())
                .collect(),
        ),
        Err(e) if e.code() == Some(&SqlState::UNDEFINED_TABLE) => Applied::NoTable,
        Err(e) => Applied::Unreadable(db_error_text(&e)),
    }
}

/// Reads the Alembic history; findings for conflicting heads and broken files.
fn read_history(cx: &RunContext, dir: &Path) -> Result<Migrations, Box<Outcome>> {
    let shown = cx.display_path(dir);
    let history = match History::read_dir(&cx.path(dir), &shown) {
        Ok(h) => h,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let m = format!("the migrations directory {shown} does not exist");
            return Err(Box::new(Outcome::fail(m.clone()).with_findings(vec![
                Finding::new(m).code("postgres/migrations").at_file(shown),
            ])));
        }
        Err(e) => {
            return Err(Box::new(Outcome::error(format!(
                "cannot read {shown}: {e}"
            ))));
        }
    };
    let mut problems = Vec::new();
    for p in &history.problems {
        let mut f = Finding::new(format!("{}: {}", p.file, p.message))
            .code("postgres/migrations")
            .at_file(&p.file);
        f.line = p.line;
        problems.push(f);
    }
    let heads = history.heads();
    if history.revisions.is_empty() {
        problems.push(
            Finding::new(format!("{shown} holds no migration files"))
                .code("postgres/migrations")
                .at_file(&shown),
        );
    } else if heads.len() > 1 {
        let ids: Vec<&str> = heads.iter().map(|r| r.id.as_str()).collect();
        let mut f = Finding::new(format!(
            "conflicting heads: {} ({} heads in {shown}; merge them with `alembic merge heads`)",
            ids.join(", "),
            ids.len()
        ))
        .code("postgres/migrations")
        .expected_actual("one head", ids.join(", "))
        .hint("run `alembic merge -m \"merge heads\" heads` and commit the merge revision");
        f = f.at(&heads[1].file, heads[1].line, 1);
        problems.push(f);
    }
    Ok(Migrations {
        shown,
        history,
        problems,
        applied: None,
    })
}

/// Files of a path: the file itself, or a directory's `*.sql` in name order.
fn sql_files(p: &Path) -> std::io::Result<Vec<PathBuf>> {
    let meta = std::fs::metadata(p)?;
    if !meta.is_dir() {
        return Ok(vec![p.to_path_buf()]);
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(p)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|f| f.is_file() && f.extension().is_some_and(|e| e == "sql"))
        .collect();
    files.sort();
    Ok(files)
}

/// A simple query's rows as text cells.
async fn simple(
    client: &Client,
    sql: &str,
) -> Result<Vec<Vec<Option<String>>>, tokio_postgres::Error> {
    let msgs = client.simple_query(sql).await?;
    Ok(msgs
        .into_iter()
        .filter_map(|m| match m {
            SimpleQueryMessage::Row(r) => {
                Some((0..r.len()).map(|i| r.get(i).map(str::to_string)).collect())
            }
            _ => None,
        })
        .collect())
}
