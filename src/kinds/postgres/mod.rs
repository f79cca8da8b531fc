//! `postgres`: a PostgreSQL database — live, or as its init SQL files
//! describe it — has the expected version, extensions, settings, query
//! results and Alembic migrations.
//!
//! Redis's shape: both sources (the init SQL and migrations on disk, or a
//! live connection) are read into one `facts::Facts`, and one function,
//! `judge::judge`, makes every verdict. This file holds the spec and the
//! kind; `connect` opens a live connection the way `pg_isready` reasons (a
//! TCP connect first, then the startup handshake, so that refused, timed
//! out, not answering, authentication failed and database missing are
//! distinct plain reasons). TLS modes follow libpq (`disable`, `prefer`,
//! `require`, `verify-ca`, `verify-full`) on rustls; tokio-postgres only
//! parses the first three, so the mode is taken out of the DSN and applied
//! here. The DSN is never echoed: messages name `host:port/database` and the
//! user.

mod connect;
mod facts;
mod judge;

use std::path::PathBuf;
use std::time::Duration;

use indexmap::IndexMap;
use serde::Deserialize;

use super::spec::OneOrMany;
use super::{CheckKind, Code, Outcome, RunContext, SpecProblem};
use crate::domain::version_req::VersionReq;
use crate::report::Finding;
use connect::{dsn_password, strip_ssl_params};

/// Where the expectations are checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Source {
    /// Connect to the database.
    Live,
    /// Read init SQL files.
    File,
}

/// libpq's `sslmode` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum TlsMode {
    /// Plaintext only.
    Disable,
    /// TLS when the server offers it (not verified); plaintext otherwise — reported.
    Prefer,
    /// TLS, certificate not verified.
    Require,
    /// TLS, certificate chain verified, host name not checked.
    VerifyCa,
    /// TLS, chain and host name verified.
    VerifyFull,
}

impl TlsMode {
    fn parse(s: &str) -> Result<TlsMode, String> {
        Ok(match s.trim().to_ascii_lowercase().as_str() {
            "disable" | "allow" => TlsMode::Disable,
            "prefer" => TlsMode::Prefer,
            "require" => TlsMode::Require,
            "verify-ca" => TlsMode::VerifyCa,
            "verify-full" => TlsMode::VerifyFull,
            other => {
                return Err(format!(
                    "unknown TLS mode `{other}` (use disable, prefer, require, verify-ca or verify-full)"
                ));
            }
        })
    }
}

/// A query and what it must return.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct QuerySpec {
    /// The SQL, run as a simple query (read-only intent; not enforced).
    pub(crate) sql: String,
    /// The first column of the first row, as text (`>=`, `<` … allowed for numbers).
    #[schemars(with = "Option<super::Scalar>")]
    pub(crate) expect: Option<String>,
    /// The number of rows (`3`, `>= 1`).
    #[schemars(with = "Option<super::Scalar>")]
    pub(crate) rows: Option<String>,
}

/// Expectations on one PostgreSQL database or its init SQL.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PostgresCheck {
    /// `postgres://user:password@host:port/db?sslmode=…` or a key=value DSN.
    pub(crate) url: Option<String>,
    /// A catalogue target with `url` (and `username`, `password`, `tls`, `ca_file`) or `path`.
    pub(crate) target: Option<String>,
    /// `live` or `file`; by default `live` when a URL is known.
    pub(crate) source: Option<Source>,
    /// Init SQL file(s) or a directory of `*.sql`, for `source: file`.
    #[serde(default)]
    pub(crate) path: OneOrMany,
    /// TLS mode; overrides the target's `tls` and the DSN's `sslmode`.
    pub(crate) tls: Option<TlsMode>,
    /// PEM CA certificates to trust (verify-ca, verify-full).
    pub(crate) ca_file: Option<PathBuf>,
    /// Server version constraint, e.g. `>=15`.
    #[schemars(with = "Option<super::Scalar>")]
    pub(crate) version: Option<String>,
    /// Extensions that must be installed.
    #[serde(default)]
    pub(crate) extensions: Vec<String>,
    /// Settings by `pg_settings` name: `max_connections: 200`, `shared_buffers: ">= 256MB"`.
    #[serde(default)]
    #[schemars(with = "IndexMap<String, super::Scalar>")]
    pub(crate) settings: IndexMap<String, String>,
    /// A query with an expected scalar or row count.
    pub(crate) query: Option<QuerySpec>,
    /// The Alembic versions directory (e.g. `alembic/versions`): one head, and
    /// (live) the database at it.
    pub(crate) migrations: Option<PathBuf>,
}

impl CheckKind for PostgresCheck {
    const NAME: &'static str = "postgres";
    const SUMMARY: &'static str = "a PostgreSQL database (live, or its init SQL) has the expected version, extensions, settings, data and migrations";
    const CODES: &'static [Code] = &[
        Code::fail(
            "postgres/unreachable",
            "connection refused, connect timed out, or the port accepted but never answered the handshake",
        ),
        Code::fail(
            "postgres/auth",
            "password authentication failed, no password given, or `pg_hba.conf` rejects the connection",
        ),
        Code::fail("postgres/database", "the database does not exist"),
        Code::warn(
            "postgres/tls-unverified",
            "`prefer`, `require` or `verify-ca` accepted a certificate that does not fully verify",
        ),
        Code::fail(
            "postgres/tls",
            "the server does not offer TLS, the certificate is not trusted or not valid for the host, or `prefer` fell back to plaintext",
        ),
        Code::fail(
            "postgres/version",
            "the server version does not satisfy `version`; expected and actual shown",
        ),
        Code::fail(
            "postgres/extension",
            "a listed extension is not installed / created (live), or no init SQL creates it (file)",
        ),
        Code::fail(
            "postgres/setting",
            "a setting differs from its expected value (unit-aware); expected and actual shown",
        ),
        Code::fail(
            "postgres/query",
            "the query failed, or its first value or row count is not the expected one",
        ),
        Code::fail(
            "postgres/migrations",
            "conflicting heads, database behind head (missing revisions named), a revision unknown to the repository, or no `alembic_version` table",
        ),
        Code::fail(
            "postgres/file",
            "an init SQL path does not exist, or a file cannot be read or parsed (at its line)",
        ),
    ];
    const DOCS: &'static str = r#"# postgres

## What it checks
One PostgreSQL database, either **live** or from its **init SQL files**.

Live: connects within the check's timeout (TCP first, then the startup
handshake) with the TLS mode asked for, then checks

- `version`: the server version (`server_version_num`) satisfies a constraint (`>=15`);
- `extensions`: each is installed (`pg_extension`);
- `settings`: each `pg_settings` value, unit-aware (`work_mem: 16MB` equals
  `16384` kB; `>=`, `<=`, `>`, `<`, `!=` prefixes compare quantities);
- `query`: a query's first value (`expect`) or row count (`rows`);
- `migrations`: the `alembic_version` revision(s) equal the head of the
  repository's `alembic/versions/*.py` (merge revisions with tuple
  `down_revision`s understood). More than one head fails as *conflicting
  heads*; a database behind head is told which revisions it lacks.

File (`source: file`, `path:` init SQL files or a directory of `*.sql`):
`CREATE EXTENSION` statements answer `extensions`, `ALTER SYSTEM SET`,
`ALTER DATABASE … SET` and `SET` statements answer `settings`, and
`migrations` checks the history has one head. Findings point at the line.

TLS modes are libpq's: `disable`; `prefer` (the default: TLS when offered;
falling back to plaintext is reported as a warning); `require` (TLS);
`verify-ca` (chain verified, host name not); `verify-full` (chain and host
name). The certificate is always verified: when a weaker mode accepts one
that does not verify, the check warns (`postgres/tls-unverified`). The mode
comes from `tls:`, the target's `tls`, or `sslmode` in the DSN.

## Why it matters
The application assumes PostgreSQL 15+ with `uuid-ossp`, `pg_trgm` and
`btree_gin`, a connection pool sized for `max_connections=200`, and a schema
at the latest migration. Each of these fails at runtime, not at deploy time,
unless something checks it: a missing extension breaks the first query that
uses it, two migration heads make `alembic upgrade head` refuse to run.

## Example
```yaml
version: 1
targets:
  postgres:
    url: postgres://dotmac:${POSTGRES_PASSWORD:-x}@127.0.0.1:5432/dotmac_prod
    tls: prefer
checks:
  - id: database.init-sql
    kind: postgres
    title: init SQL creates the extensions and sizes the pool
    source: file
    path: database/init/01-init.sql
    extensions: [uuid-ossp, pg_trgm, btree_gin]
    settings:
      max_connections: 200
  - id: database.live
    kind: postgres
    title: PostgreSQL 15+ with extensions and migrations at head
    target: postgres
    version: ">=15"
    extensions: [uuid-ossp, pg_trgm, btree_gin]
    settings:
      max_connections: 200
    migrations: alembic/versions
    query:
      sql: SELECT count(*) FROM tenants
      expect: ">= 1"
```

## Fields
| field | type | meaning |
|---|---|---|
| `url` | DSN | `postgres://user:password@host:port/db` or `host=… user=… dbname=…` |
| `target` | name | a catalogue target with `url` (and `username`, `password`, `tls`, `ca_file`) or `path` |
| `source` | `live`, `file` | default: `live` when a URL is known, else `file` |
| `path` | path or list | init SQL files, or a directory of `*.sql` (file source) |
| `tls` | `disable`, `prefer`, `require`, `verify-ca`, `verify-full` | TLS mode (default from the DSN, else `prefer`) |
| `ca_file` | path | PEM CA certificates to trust (also `sslrootcert=` in the DSN) |
| `version` | constraint | e.g. `>=15`, `>=15, <17` (live only) |
| `extensions` | list | extensions that must be installed / created |
| `settings` | map | setting → expected value, unit-aware, optional comparison prefix |
| `query` | `{sql, expect, rows}` | a query and its expected first value and/or row count (live only) |
| `migrations` | path | the Alembic `versions` directory |

## Findings
"#;

    fn validate(&self) -> Vec<SpecProblem> {
        let mut p = Vec::new();
        if self.url.is_some() && self.target.is_some() {
            p.push(SpecProblem::new(
                "target",
                "give either `url` or `target`, not both",
            ));
        }
        let file_only =
            self.source == Some(Source::File) || (self.url.is_none() && self.target.is_none());
        if self.url.is_none()
            && self.target.is_none()
            && self.path.items().is_empty()
            && self.migrations.is_none()
        {
            p.push(
                SpecProblem::new("url", "give `url`, `target`, `path` or `migrations`")
                    .hint("live: `url: postgres://user:pass@host:5432/db`; file: `source: file` and `path: database/init/01-init.sql`"),
            );
        }
        if let Some(v) = &self.version {
            if let Err(e) = VersionReq::parse(v) {
                p.push(SpecProblem::new("version", e));
            } else if file_only {
                p.push(
                    SpecProblem::new(
                        "version",
                        "init SQL does not say which PostgreSQL version runs it",
                    )
                    .hint("check `version` in a live check"),
                );
            }
        }
        if file_only && self.query.is_some() {
            p.push(SpecProblem::new(
                "query",
                "`query` needs a live database (give `url` or `target`)",
            ));
        }
        if let Some(q) = &self.query
            && q.expect.is_none()
            && q.rows.is_none()
        {
            p.push(SpecProblem::new(
                "query",
                "give `expect` (first value) and/or `rows` (row count)",
            ));
        }
        p
    }

    fn targets(&self) -> Vec<&str> {
        self.target.as_deref().into_iter().collect()
    }

    fn secrets(&self) -> Vec<String> {
        self.url
            .as_deref()
            .and_then(dsn_password)
            .into_iter()
            .collect()
    }

    fn schema() -> Option<schemars::Schema> {
        Some(super::spec_schema::<Self>())
    }

    async fn run(&self, cx: &RunContext) -> Outcome {
        let target = match &self.target {
            Some(name) => match cx.target(name) {
                Ok(t) => Some(t),
                Err(e) => return Outcome::error(e),
            },
            None => None,
        };
        let url = self
            .url
            .clone()
            .or_else(|| target.and_then(|t| t.url.clone()));
        let source = match self.source {
            Some(s) => s,
            None if url.is_some() => Source::Live,
            None => Source::File,
        };
        match source {
            Source::File => {
                let mut paths: Vec<PathBuf> =
                    self.path.items().into_iter().map(PathBuf::from).collect();
                if paths.is_empty()
                    && let Some(p) = target.and_then(|t| t.path.clone())
                {
                    paths.push(p);
                }
                let me = self.clone();
                cx.offload("the init SQL and migrations", move |cx| {
                    me.run_file(cx, &paths)
                })
                .await
            }
            Source::Live => {
                let Some(url) = url else {
                    return Outcome::error("`source: live` needs `url` (or a target with `url`)");
                };
                let tls = match self.tls_mode(&url, target) {
                    Ok(t) => t,
                    Err(e) => return Outcome::error(e),
                };
                self.run_live(cx, &url, target, tls).await
            }
        }
    }
}

/// The TLS mode and CA file a live check uses.
struct Tls {
    mode: TlsMode,
    ca_file: Option<PathBuf>,
}

impl PostgresCheck {
    fn tls_mode(&self, url: &str, target: Option<&crate::kinds::Target>) -> Result<Tls, String> {
        let (_, dsn_mode, dsn_root) = strip_ssl_params(url);
        let mode = match (self.tls, target.and_then(|t| t.tls.as_deref()), dsn_mode) {
            (Some(m), _, _) => m,
            (None, Some(t), _) => TlsMode::parse(t)?,
            (None, None, Some(d)) => TlsMode::parse(&d)?,
            (None, None, None) => TlsMode::Prefer,
        };
        let ca_file = self
            .ca_file
            .clone()
            .or_else(|| target.and_then(|t| t.ca_file.clone()))
            .or(dsn_root.map(PathBuf::from));
        Ok(Tls { mode, ca_file })
    }

    /// Init SQL and migrations on disk: read, then judged.
    fn run_file(&self, cx: &RunContext, paths: &[PathBuf]) -> Outcome {
        match facts::from_files(self, cx, paths) {
            Ok(facts) => judge::judge(self, &facts),
            Err(o) => *o,
        }
    }

    /// A live database: connect, read within the time left, then judged.
    async fn run_live(
        &self,
        cx: &RunContext,
        url: &str,
        target: Option<&crate::kinds::Target>,
        tls: Tls,
    ) -> Outcome {
        let session = match connect::open(cx, url, target, &tls).await {
            Ok(s) => s,
            Err(o) => return *o,
        };
        let read = tokio::time::timeout(
            session.left(),
            facts::from_live(self, cx, &session.client, &session.label),
        )
        .await;
        match read {
            Ok(Ok(mut facts)) => {
                facts.notes = session.notes;
                judge::judge(self, &facts)
            }
            Ok(Err(o)) => *o,
            Err(_) => {
                let m = format!(
                    "queries on {} did not finish within {}",
                    session.label,
                    humantime::format_duration(Duration::from_millis(
                        session.budget.as_millis() as u64
                    ))
                );
                Outcome::fail(m.clone()).with_findings(vec![Finding::new(m).code("postgres/query")])
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(super) fn spec(yaml: &str) -> PostgresCheck {
        let node = marked_yaml::parse_yaml(0, yaml).unwrap();
        marked_yaml::from_node(&node).unwrap()
    }

    #[test]
    fn spec_problems_are_caught_before_running() {
        assert!(
            !spec("source: file\npath: x.sql\nversion: '>=15'\n")
                .validate()
                .is_empty()
        );
        assert!(
            !spec("path: x.sql\nquery: {sql: select 1, expect: '1'}\n")
                .validate()
                .is_empty()
        );
        assert!(
            !spec("url: postgres://h/db\nquery: {sql: select 1}\n")
                .validate()
                .is_empty()
        );
        assert!(
            spec("url: postgres://h/db\nversion: '>=15'\n")
                .validate()
                .is_empty()
        );
    }
}
