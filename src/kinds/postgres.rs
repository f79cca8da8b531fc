//! `postgres`: a PostgreSQL database — live, or as its init SQL files
//! describe it — has the expected version, extensions, settings, query
//! results and Alembic migrations.
//!
//! Live, it connects the way `pg_isready` reasons: a TCP connect first, then
//! the startup handshake, so that refused, timed out, not answering,
//! authentication failed and database missing are distinct plain reasons.
//! TLS modes follow libpq (`disable`, `prefer`, `require`, `verify-ca`,
//! `verify-full`) on rustls; tokio-postgres only parses the first three, so
//! the mode is taken out of the DSN and applied here. The DSN is never
//! echoed: messages name `host:port/database` and the user.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Most bytes read from one PostgreSQL connection (all messages together);
/// more fails the check plainly. See `docs/limits.md`.
pub const MAX_CONNECTION_BYTES: u64 = 64 * 1024 * 1024;

use indexmap::IndexMap;
use serde::Deserialize;
use tokio_postgres::config::{Host, SslMode};
use tokio_postgres::error::SqlState;
use tokio_postgres::tls::MakeTlsConnect;
use tokio_postgres::{Client, SimpleQueryMessage};

use super::spec::{OneOrMany, holds};
use super::{CheckKind, Code, Outcome, RunContext, SpecProblem};
use crate::domain::alembic::History;
use crate::domain::initsql::{self, InitSql};
use crate::domain::units::{Expectation, Value, pg_default_unit, pg_value};
use crate::domain::version_req::{self, VersionReq};
use crate::report::Finding;

/// Where the expectations are checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// Connect to the database.
    Live,
    /// Read init SQL files.
    File,
}

/// libpq's `sslmode` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum TlsMode {
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
pub struct QuerySpec {
    /// The SQL, run as a simple query (read-only intent; not enforced).
    pub sql: String,
    /// The first column of the first row, as text (`>=`, `<` … allowed for numbers).
    #[schemars(with = "Option<super::Scalar>")]
    pub expect: Option<String>,
    /// The number of rows (`3`, `>= 1`).
    #[schemars(with = "Option<super::Scalar>")]
    pub rows: Option<String>,
}

/// Expectations on one PostgreSQL database or its init SQL.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PostgresCheck {
    /// `postgres://user:password@host:port/db?sslmode=…` or a key=value DSN.
    pub url: Option<String>,
    /// A catalogue target with `url` (and `username`, `password`, `tls`, `ca_file`) or `path`.
    pub target: Option<String>,
    /// `live` or `file`; by default `live` when a URL is known.
    pub source: Option<Source>,
    /// Init SQL file(s) or a directory of `*.sql`, for `source: file`.
    #[serde(default)]
    pub path: OneOrMany,
    /// TLS mode; overrides the target's `tls` and the DSN's `sslmode`.
    pub tls: Option<TlsMode>,
    /// PEM CA certificates to trust (verify-ca, verify-full).
    pub ca_file: Option<PathBuf>,
    /// Server version constraint, e.g. `>=15`.
    #[schemars(with = "Option<super::Scalar>")]
    pub version: Option<String>,
    /// Extensions that must be installed.
    #[serde(default)]
    pub extensions: Vec<String>,
    /// Settings by `pg_settings` name: `max_connections: 200`, `shared_buffers: ">= 256MB"`.
    #[serde(default)]
    #[schemars(with = "IndexMap<String, super::Scalar>")]
    pub settings: IndexMap<String, String>,
    /// A query with an expected scalar or row count.
    pub query: Option<QuerySpec>,
    /// The Alembic versions directory (e.g. `alembic/versions`): one head, and
    /// (live) the database at it.
    pub migrations: Option<PathBuf>,
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

/// The password inside a DSN, for masking.
fn dsn_password(dsn: &str) -> Option<String> {
    let cfg: tokio_postgres::Config = strip_ssl_params(dsn).0.parse().ok()?;
    cfg.get_password()
        .map(|p| String::from_utf8_lossy(p).into_owned())
}

/// Removes `sslmode`, `sslrootcert`, … from a DSN (tokio-postgres refuses
/// libpq's verify modes) and returns them.
fn strip_ssl_params(dsn: &str) -> (String, Option<String>, Option<String>) {
    let dsn = dsn.trim();
    if dsn.starts_with("postgres://") || dsn.starts_with("postgresql://") {
        let Some((base, query)) = dsn.split_once('?') else {
            return (dsn.to_string(), None, None);
        };
        let (mut mode, mut root) = (None, None);
        let kept: Vec<&str> = query
            .split('&')
            .filter(|kv| {
                let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
                match k {
                    "sslmode" => {
                        mode = Some(v.to_string());
                        false
                    }
                    "sslrootcert" => {
                        root = Some(
                            percent_encoding::percent_decode_str(v)
                                .decode_utf8_lossy()
                                .into_owned(),
                        );
                        false
                    }
                    "sslcert" | "sslkey" | "sslcrl" | "sslnegotiation" => false,
                    _ => true,
                }
            })
            .collect();
        let out = if kept.is_empty() {
            base.to_string()
        } else {
            format!("{base}?{}", kept.join("&"))
        };
        return (out, mode, root);
    }
    let (mut mode, mut root) = (None, None);
    let kept: Vec<&str> = dsn
        .split_whitespace()
        .filter(|kv| match kv.split_once('=') {
            Some(("sslmode", v)) => {
                mode = Some(v.trim_matches('\'').to_string());
                false
            }
            Some(("sslrootcert", v)) => {
                root = Some(v.trim_matches('\'').to_string());
                false
            }
            Some(("sslcert" | "sslkey" | "sslcrl", _)) => false,
            _ => true,
        })
        .collect();
    (kept.join(" "), mode, root)
}

/// A connected client and how the connection was made.
struct Connected {
    client: Client,
    /// Set when `prefer` fell back to plaintext.
    plaintext_fallback: bool,
    /// Why the server's certificate did not verify, when a weaker libpq
    /// mode (`prefer`, `require`, `verify-ca`) accepted it anyway.
    unverified: Option<String>,
}

/// A failed connection: a plain reason and its finding code.
struct ConnectError {
    message: String,
    code: &'static str,
}

impl ConnectError {
    fn new(code: &'static str, message: String) -> Self {
        ConnectError { message, code }
    }
}

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

    fn run_file(&self, cx: &RunContext, paths: &[PathBuf]) -> Outcome {
        let mut findings = Vec::new();
        let mut checked = 0usize;
        let needs_sql = !self.extensions.is_empty() || !self.settings.is_empty();
        let mut shown_files = Vec::new();
        if needs_sql {
            if paths.is_empty() {
                return Outcome::error(
                    "`source: file` needs `path` (init SQL files or a directory)",
                );
            }
            let mut sql = InitSql::default();
            for p in paths {
                let files = match sql_files(&cx.path(p)) {
                    Ok(f) => f,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                        let shown = cx.display_path(p);
                        let m = format!("{shown} does not exist");
                        return Outcome::fail(m.clone()).with_findings(vec![
                            Finding::new(m).code("postgres/file").at_file(shown),
                        ]);
                    }
                    Err(e) => {
                        return Outcome::error(format!("cannot read {}: {e}", cx.display_path(p)));
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
                            return Outcome::error(m).with_findings(vec![finding]);
                        }
                    }
                }
            }
            let label = shown_files.join(", ");
            for want in &self.extensions {
                checked += 1;
                let found = sql.extensions.iter().any(|e| {
                    e.name
                        .split('\u{0}')
                        .next()
                        .is_some_and(|n| n.eq_ignore_ascii_case(want))
                });
                if !found {
                    findings.push(
                        Finding::new(format!("{label} does not create extension {want}"))
                            .code("postgres/extension")
                            .at_file(shown_files.first().cloned().unwrap_or_default())
                            .expected_actual(format!("CREATE EXTENSION {want}"), "none")
                            .hint(format!("add `CREATE EXTENSION IF NOT EXISTS \"{want}\";`")),
                    );
                }
            }
            for (name, want) in &self.settings {
                checked += 1;
                let exp = Expectation::parse(want);
                let unit = pg_default_unit(&name.to_ascii_lowercase());
                let expected = pg_value(&exp.value, unit);
                let Some(s) = sql.setting(name) else {
                    findings.push(
                        Finding::new(format!(
                            "{label} does not set {name} (ALTER SYSTEM SET); expected {}",
                            exp.describe(&expected)
                        ))
                        .code("postgres/setting")
                        .at_file(shown_files.first().cloned().unwrap_or_default())
                        .expected_actual(exp.describe(&expected), "not set (server default)")
                        .hint(format!("add `ALTER SYSTEM SET {name} = '{}';`", exp.value)),
                    );
                    continue;
                };
                let (value, file) = s.value.split_once('\u{0}').unwrap_or((&s.value, ""));
                let actual = pg_value(value, unit);
                match exp.holds(&expected, &actual) {
                    Ok(true) => {}
                    Ok(false) => findings.push(
                        Finding::new(format!(
                            "{name} is set to {value} in {file}, expected {}",
                            exp.describe(&expected)
                        ))
                        .code("postgres/setting")
                        .at(file, s.line, s.column)
                        .expected_actual(exp.describe(&expected), value),
                    ),
                    Err(e) => findings.push(
                        Finding::new(format!("{name}: {e}"))
                            .code("postgres/setting")
                            .at(file, s.line, s.column),
                    ),
                }
            }
        }
        let mut heads = None;
        if let Some(dir) = &self.migrations {
            checked += 1;
            match self.read_history(cx, dir) {
                Ok((history, mut f)) => {
                    if f.is_empty() {
                        heads = Some(
                            history
                                .heads()
                                .iter()
                                .map(|r| r.id.clone())
                                .collect::<Vec<_>>(),
                        );
                    }
                    findings.append(&mut f);
                }
                Err(o) => return *o,
            }
        }
        let what = if shown_files.is_empty() {
            String::new()
        } else {
            format!("{}: ", shown_files.join(", "))
        };
        let head = heads
            .and_then(|h| h.first().cloned())
            .map(|h| format!("; migrations have one head ({h})"))
            .unwrap_or_default();
        Outcome::from_findings(findings, format!("{what}{}{head}", holds(checked)))
    }

    /// Reads the Alembic history; findings for conflicting heads and broken files.
    fn read_history(
        &self,
        cx: &RunContext,
        dir: &Path,
    ) -> Result<(History, Vec<Finding>), Box<Outcome>> {
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
        let mut findings = Vec::new();
        for p in &history.problems {
            let mut f = Finding::new(format!("{}: {}", p.file, p.message))
                .code("postgres/migrations")
                .at_file(&p.file);
            f.line = p.line;
            findings.push(f);
        }
        let heads = history.heads();
        if history.revisions.is_empty() {
            findings.push(
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
            findings.push(f);
        }
        Ok((history, findings))
    }

    async fn run_live(
        &self,
        cx: &RunContext,
        url: &str,
        target: Option<&crate::kinds::Target>,
        tls: Tls,
    ) -> Outcome {
        crate::tls::install_provider();
        let (dsn, _, _) = strip_ssl_params(url);
        let mut config: tokio_postgres::Config = match dsn.parse() {
            Ok(c) => c,
            Err(e) => {
                return Outcome::error(format!(
                    "the PostgreSQL DSN is not valid: {}",
                    crate::redact::mask_shapes(&e.to_string())
                ));
            }
        };
        if let Some(t) = target {
            if let Some(u) = &t.username
                && config.get_user().is_none()
            {
                config.user(u);
            }
            if let Some(p) = &t.password
                && config.get_password().is_none()
            {
                config.password(p);
            }
        }
        if let Some(p) = config.get_password() {
            cx.redactor.add(String::from_utf8_lossy(p).into_owned());
        }
        config.application_name("readyctl");
        let host = match config.get_hosts().first() {
            Some(Host::Tcp(h)) => h.clone(),
            #[cfg(unix)]
            Some(Host::Unix(p)) => {
                return Outcome::error(format!(
                    "Unix-socket hosts ({}) are not supported; connect over TCP (host=127.0.0.1)",
                    p.display()
                ));
            }
            None => "localhost".to_string(),
        };
        let port = config.get_ports().first().copied().unwrap_or(5432);
        let user = config.get_user().unwrap_or("postgres").to_string();
        let db = config.get_dbname().unwrap_or(&user).to_string();
        let addr = if host.contains(':') {
            format!("[{host}]:{port}")
        } else {
            format!("{host}:{port}")
        };
        let label = format!("{addr}/{db}");
        let budget = cx
            .timeout
            .saturating_sub(Duration::from_millis(100))
            .max(Duration::from_millis(100));
        config.connect_timeout(budget);
        let started = Instant::now();
        let left = || {
            budget
                .saturating_sub(started.elapsed())
                .max(Duration::from_millis(10))
        };

        let ca = tls.ca_file.as_ref().map(|p| cx.path(p));
        let connected = match connect(
            &config,
            &host,
            &addr,
            &user,
            &db,
            tls.mode,
            ca.as_deref(),
            budget,
            left,
        )
        .await
        {
            Ok(c) => c,
            Err(e) => {
                return Outcome::fail(e.message.clone())
                    .with_findings(vec![Finding::new(e.message).code(e.code)]);
            }
        };
        let mut notes = Vec::new();
        if let Some(why) = &connected.unverified {
            notes.push(
                Finding::new(format!(
                    "TLS to {addr} is not verified: {why}, and tls: {} accepts it",
                    mode_name(tls.mode)
                ))
                .code("postgres/tls-unverified")
                .hint("give the server's CA with `ca_file:` and use `tls: verify-full`"),
            );
        }
        if connected.plaintext_fallback {
            notes.push(
                Finding::new(format!(
                    "{addr} does not offer TLS: connected in plaintext (tls: prefer)"
                ))
                .code("postgres/tls")
                .hint("enable ssl on the server, or say `tls: disable` if plaintext is intended"),
            );
        }
        let evaluated =
            tokio::time::timeout(left(), self.evaluate(cx, &connected.client, &label)).await;
        let (findings, checked, version) = match evaluated {
            Ok(Ok(r)) => r,
            Ok(Err(o)) => return *o,
            Err(_) => {
                let m = format!(
                    "queries on {label} did not finish within {}",
                    humantime::format_duration(Duration::from_millis(budget.as_millis() as u64))
                );
                return Outcome::fail(m.clone())
                    .with_findings(vec![Finding::new(m).code("postgres/query")]);
            }
        };
        if !findings.is_empty() {
            return Outcome::from_findings(findings, "").with_findings(notes);
        }
        let ok = match checked {
            0 => format!("{label} accepts connections (PostgreSQL {version})"),
            n => format!("{label} (PostgreSQL {version}): {}", holds(n)),
        };
        match notes.first() {
            Some(n) => Outcome::warn(format!("{ok}; {}", n.message)).with_findings(notes),
            None => Outcome::pass(ok),
        }
    }

    /// Runs every live expectation; returns findings, how many were checked, the version.
    async fn evaluate(
        &self,
        cx: &RunContext,
        client: &Client,
        label: &str,
    ) -> Result<(Vec<Finding>, usize, String), Box<Outcome>> {
        let mut findings = Vec::new();
        let mut checked = 0;
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
        let version = version_req::from_pg_version_num(num);
        let shown_version = version_req::display(&version);
        if let Some(req) = self
            .version
            .as_deref()
            .and_then(|v| VersionReq::parse(v).ok())
        {
            checked += 1;
            if !req.matches(&version) {
                findings.push(
                    Finding::new(format!(
                        "PostgreSQL version is {}, expected {req}",
                        if reported.starts_with(&shown_version) {
                            reported.clone()
                        } else {
                            shown_version.clone()
                        }
                    ))
                    .code("postgres/version")
                    .expected_actual(req.to_string(), shown_version.clone()),
                );
            }
        }
        if !self.extensions.is_empty() {
            let rows = simple(client, "SELECT extname FROM pg_extension ORDER BY extname")
                .await
                .map_err(|e| q_err("listing extensions", &e))?;
            let installed: Vec<String> = rows
                .into_iter()
                .filter_map(|r| r.into_iter().next().flatten())
                .collect();
            let missing: Vec<&String> = self
                .extensions
                .iter()
                .filter(|w| !installed.iter().any(|i| i.eq_ignore_ascii_case(w)))
                .collect();
            checked += self.extensions.len();
            if !missing.is_empty() {
                let names: Vec<&str> = missing.iter().map(|s| s.as_str()).collect();
                findings.push(
                    Finding::new(format!(
                        "{label} lacks extension{} {} (installed: {})",
                        if names.len() == 1 { "" } else { "s" },
                        names.join(", "),
                        installed.join(", ")
                    ))
                    .code("postgres/extension")
                    .expected_actual(self.extensions.join(", "), installed.join(", "))
                    .hint(
                        names
                            .iter()
                            .map(|n| format!("CREATE EXTENSION IF NOT EXISTS \"{n}\";"))
                            .collect::<Vec<_>>()
                            .join(" "),
                    ),
                );
            }
        }
        if !self.settings.is_empty() {
            let names: Vec<String> = self
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
            for (name, want) in &self.settings {
                checked += 1;
                let lname = name.to_ascii_lowercase();
                let Some(row) = rows.iter().find(|r| r.get::<_, &str>(0) == lname) else {
                    findings.push(
                        Finding::new(format!("{label} has no setting named {name}"))
                            .code("postgres/setting"),
                    );
                    continue;
                };
                let setting: String = row.get(1);
                let unit: Option<String> = row.get(2);
                let exp = Expectation::parse(want);
                let expected = pg_value(&exp.value, unit.as_deref());
                let actual = pg_value(&setting, unit.as_deref());
                let shown_actual = match (&actual, &unit) {
                    (Value::Bytes(_) | Value::Millis(_), _) => actual.to_string(),
                    _ => setting.clone(),
                };
                match exp.holds(&expected, &actual) {
                    Ok(true) => {}
                    Ok(false) => findings.push(
                        Finding::new(format!(
                            "{name} is {shown_actual} on {label}, expected {}",
                            exp.describe(&expected)
                        ))
                        .code("postgres/setting")
                        .expected_actual(exp.describe(&expected), shown_actual)
                        .hint(format!(
                            "ALTER SYSTEM SET {name} = '{}'; then reload or restart",
                            exp.value
                        )),
                    ),
                    Err(e) => {
                        findings.push(Finding::new(format!("{name}: {e}")).code("postgres/setting"))
                    }
                }
            }
        }
        if let Some(q) = &self.query {
            let rows = match simple(client, &q.sql).await {
                Ok(r) => r,
                Err(e) => {
                    findings.push(
                        Finding::new(format!(
                            "the query failed on {label}: {}",
                            db_error_text(&e)
                        ))
                        .code("postgres/query"),
                    );
                    Vec::new()
                }
            };
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
        if let Some(dir) = &self.migrations {
            checked += 1;
            let (history, mut problems) = self.read_history(cx, dir)?;
            let conflicting = history.heads().len() > 1;
            findings.append(&mut problems);
            if !conflicting && !history.revisions.is_empty() {
                findings.extend(
                    self.compare_migrations(client, &history, label, dir, cx)
                        .await,
                );
            }
        }
        Ok((findings, checked, shown_version))
    }

    async fn compare_migrations(
        &self,
        client: &Client,
        history: &History,
        label: &str,
        dir: &Path,
        cx: &RunContext,
    ) -> Vec<Finding> {
        let heads: Vec<String> = history.heads().iter().map(|r| r.id.clone()).collect();
        let current: Vec<String> = match simple(client, "SELECT version_num FROM alembic_version")
            .await
        {
            Ok(rows) => rows
                .into_iter()
                .filter_map(|r| r.into_iter().next().flatten())
                .collect(),
            Err(e) if e.code() == Some(&SqlState::UNDEFINED_TABLE) => {
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
            Err(e) => {
                return vec![
                    Finding::new(format!(
                        "reading alembic_version on {label} failed: {}",
                        db_error_text(&e)
                    ))
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
                    cx.display_path(dir)
                ))
                .code("postgres/migrations")
                .expected_actual(heads.join(", "), current.join(", ")),
            ];
        }
        let missing = history.missing(&current);
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

/// A server error's own message (`relation "x" does not exist`), or the error chain.
fn db_error_text(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => db.message().to_string(),
        None => crate::redact::mask_shapes(&error_chain(e)),
    }
}

fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = vec![e.to_string()];
    let mut cur = e.source();
    while let Some(s) = cur {
        let t = s.to_string();
        if !parts.iter().any(|p| p.contains(&t)) {
            parts.push(t);
        }
        cur = s.source();
    }
    parts.join(": ")
}

#[allow(
    clippy::too_many_arguments,
    reason = "one call site; the values are the connection's identity"
)]
async fn connect(
    config: &tokio_postgres::Config,
    host: &str,
    addr: &str,
    user: &str,
    db: &str,
    mode: TlsMode,
    ca: Option<&Path>,
    budget: Duration,
    left: impl Fn() -> Duration,
) -> Result<Connected, ConnectError> {
    let verdict: Verdict = Arc::default();
    let tls_config = match mode {
        TlsMode::Disable => None,
        _ => Some(
            rustls_config(mode, ca, verdict.clone())
                .map_err(|e| ConnectError::new("postgres/tls", e))?,
        ),
    };
    let first = match &tls_config {
        None => attempt(config, host, addr, user, db, None, budget, &left).await,
        Some(c) => attempt(config, host, addr, user, db, Some(c.clone()), budget, &left).await,
    };
    match first {
        Err(Failure::NoServerTls) if mode == TlsMode::Prefer => {
            let client = attempt(config, host, addr, user, db, None, budget, &left)
                .await
                .map_err(|f| f.into_error(addr, mode))?;
            Ok(Connected {
                client,
                plaintext_fallback: true,
                unverified: None,
            })
        }
        Err(f) => Err(f.into_error(addr, mode)),
        Ok(client) => Ok(Connected {
            client,
            plaintext_fallback: false,
            unverified: match &tls_config {
                Some(_) => verdict.lock().unwrap_or_else(|e| e.into_inner()).take(),
                None => None,
            },
        }),
    }
}

enum Failure {
    NoServerTls,
    Reason(ConnectError),
}

impl Failure {
    fn into_error(self, addr: &str, mode: TlsMode) -> ConnectError {
        match self {
            Failure::NoServerTls => ConnectError::new(
                "postgres/tls",
                format!(
                    "{addr} does not offer TLS, and tls: {} requires it",
                    mode_name(mode)
                ),
            ),
            Failure::Reason(e) => e,
        }
    }
}

fn mode_name(m: TlsMode) -> &'static str {
    match m {
        TlsMode::Disable => "disable",
        TlsMode::Prefer => "prefer",
        TlsMode::Require => "require",
        TlsMode::VerifyCa => "verify-ca",
        TlsMode::VerifyFull => "verify-full",
    }
}

#[allow(clippy::too_many_arguments, reason = "internal helper of `connect`")]
async fn attempt(
    config: &tokio_postgres::Config,
    host: &str,
    addr: &str,
    user: &str,
    db: &str,
    tls: Option<rustls::ClientConfig>,
    budget: Duration,
    left: &impl Fn() -> Duration,
) -> Result<Client, Failure> {
    let fmt_d = |d: Duration| {
        humantime::format_duration(Duration::from_millis(d.as_millis() as u64)).to_string()
    };
    let stream = match tokio::time::timeout(left(), tokio::net::TcpStream::connect(addr)).await {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => {
            return Err(Failure::Reason(ConnectError::new(
                "postgres/unreachable",
                crate::support::net::describe_connect_error(addr, &e),
            )));
        }
        Err(_) => {
            return Err(Failure::Reason(ConnectError::new(
                "postgres/unreachable",
                format!("connect to {addr} timed out after {}", fmt_d(budget)),
            )));
        }
    };
    // `connect_raw` does not set TCP_NODELAY (tokio-postgres's own connect
    // does): without it the TLS handshake and the SCRAM exchange meet
    // Nagle's algorithm and delayed ACKs, a ~40 ms stall per connection.
    let _ = stream.set_nodelay(true);
    // tokio-postgres buffers a whole declared message (up to 2 GiB) before
    // parsing it: the cap sits under it, on the connection.
    let stream = crate::support::limit::Capped::new(stream, MAX_CONNECTION_BYTES);
    let mut config = config.clone();
    let result = match tls {
        None => {
            config.ssl_mode(SslMode::Disable);
            tokio::time::timeout(left(), async {
                let (client, conn) = config.connect_raw(stream, tokio_postgres::NoTls).await?;
                tokio::spawn(conn);
                Ok::<_, tokio_postgres::Error>(client)
            })
            .await
        }
        Some(c) => {
            config.ssl_mode(SslMode::Require);
            let mut make = tokio_postgres_rustls::MakeRustlsConnect::new(c);
            let connector = <tokio_postgres_rustls::MakeRustlsConnect as MakeTlsConnect<
                crate::support::limit::Capped<tokio::net::TcpStream>,
            >>::make_tls_connect(&mut make, host);
            let connector = match connector {
                Ok(c) => c,
                Err(e) => {
                    return Err(Failure::Reason(ConnectError::new(
                        "postgres/tls",
                        format!("cannot set up TLS for host {host}: {e}"),
                    )));
                }
            };
            tokio::time::timeout(left(), async {
                let (client, conn) = config.connect_raw(stream, connector).await?;
                tokio::spawn(conn);
                Ok::<_, tokio_postgres::Error>(client)
            })
            .await
        }
    };
    match result {
        Err(_) => Err(Failure::Reason(ConnectError::new(
            "postgres/unreachable",
            format!(
                "{addr} accepted the connection but did not complete the PostgreSQL handshake within {}",
                fmt_d(budget)
            ),
        ))),
        Ok(Ok(client)) => Ok(client),
        Ok(Err(e)) => Err(classify(&e, addr, user, db)),
    }
}

fn classify(e: &tokio_postgres::Error, addr: &str, user: &str, db: &str) -> Failure {
    let chain = error_chain(e);
    if let Some(dbe) = e.as_db_error() {
        let code = dbe.code();
        let (c, m) = if *code == SqlState::INVALID_PASSWORD {
            (
                "postgres/auth",
                format!("password authentication failed for user `{user}` at {addr}"),
            )
        } else if *code == SqlState::INVALID_AUTHORIZATION_SPECIFICATION {
            (
                "postgres/auth",
                format!(
                    "{addr} rejects user `{user}` for database `{db}` ({})",
                    dbe.message()
                ),
            )
        } else if *code == SqlState::INVALID_CATALOG_NAME {
            (
                "postgres/database",
                format!("database `{db}` does not exist on {addr}"),
            )
        } else if *code == SqlState::TOO_MANY_CONNECTIONS {
            (
                "postgres/unreachable",
                format!("{addr} refuses new connections: too many clients"),
            )
        } else if *code == SqlState::CANNOT_CONNECT_NOW {
            (
                "postgres/unreachable",
                format!("{addr} is starting up or shutting down: {}", dbe.message()),
            )
        } else {
            (
                "postgres/unreachable",
                format!("{addr} refused the connection: {}", dbe.message()),
            )
        };
        return Failure::Reason(ConnectError::new(c, m));
    }
    if chain.contains("does not support TLS") {
        return Failure::NoServerTls;
    }
    if chain.contains("password missing") {
        return Failure::Reason(ConnectError::new(
            "postgres/auth",
            format!("{addr} asks user `{user}` for a password and the DSN gives none"),
        ));
    }
    if chain.contains("reset by peer") || chain.contains("connection closed") {
        return Failure::Reason(ConnectError::new(
            "postgres/unreachable",
            format!(
                "{addr}: connection reset or closed by the server during the PostgreSQL handshake"
            ),
        ));
    }
    if chain.contains("unexpected message") || chain.contains("invalid message") {
        return Failure::Reason(ConnectError::new(
            "postgres/unreachable",
            format!("{addr} answered with bytes that are not the PostgreSQL protocol"),
        ));
    }
    if chain.contains("TLS") || chain.contains("certificate") || chain.contains("peer") {
        let why = if chain.contains("NotValidForName") {
            "the server certificate is not valid for this host name"
        } else if chain.contains("UnknownIssuer") || chain.contains("BadSignature") {
            "the server certificate is not signed by a trusted CA (give `ca_file`)"
        } else if chain.contains("Expired") {
            "the server certificate has expired"
        } else {
            "the TLS handshake failed"
        };
        return Failure::Reason(ConnectError::new(
            "postgres/tls",
            format!(
                "TLS with {addr} failed: {why} ({})",
                crate::redact::mask_shapes(&chain)
            ),
        ));
    }
    Failure::Reason(ConnectError::new(
        "postgres/unreachable",
        format!(
            "cannot connect to PostgreSQL at {addr}: {}",
            crate::redact::mask_shapes(&chain)
        ),
    ))
}

/// A rustls client config for a libpq TLS mode.
fn rustls_config(
    mode: TlsMode,
    ca: Option<&Path>,
    verdict: Verdict,
) -> Result<rustls::ClientConfig, String> {
    use rustls::client::WebPkiServerVerifier;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let roots = crate::tls::trust_roots(ca)?;
    let webpki = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .map_err(|e| format!("cannot build the TLS verifier: {e}"))?;
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS setup failed: {e}"))?;
    let config = match mode {
        TlsMode::VerifyFull => builder.with_webpki_verifier(webpki).with_no_client_auth(),
        _ => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(LibpqVerifier {
                inner: webpki,
                check_chain: mode == TlsMode::VerifyCa,
                verdict,
            }))
            .with_no_client_auth(),
    };
    Ok(config)
}

/// libpq's weaker modes: `require`/`prefer` accept any certificate;
/// `verify-ca` verifies the chain but not the host name.
#[derive(Debug)]
struct LibpqVerifier {
    inner: Arc<rustls::client::WebPkiServerVerifier>,
    check_chain: bool,
    /// Records why full verification failed when the mode accepted the
    /// certificate anyway, so the check can warn.
    verdict: Verdict,
}

/// Why a certificate accepted by a weak libpq mode did not verify.
type Verdict = Arc<std::sync::Mutex<Option<String>>>;

fn describe_cert_error(e: &rustls::Error) -> String {
    use rustls::{CertificateError, Error};
    match e {
        // BadSignature: an untrusted CA whose name matches one in the system
        // store (Debian's snakeoil "CN=localhost").
        Error::InvalidCertificate(
            CertificateError::UnknownIssuer | CertificateError::BadSignature,
        ) => "the certificate is not signed by a trusted CA".to_string(),
        Error::InvalidCertificate(
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
        ) => "the certificate is not valid for this host name".to_string(),
        Error::InvalidCertificate(
            CertificateError::Expired | CertificateError::ExpiredContext { .. },
        ) => "the certificate has expired".to_string(),
        other => format!("the certificate does not verify ({other})"),
    }
}

impl rustls::client::danger::ServerCertVerifier for LibpqVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &rustls_pki_types::CertificateDer<'_>,
        intermediates: &[rustls_pki_types::CertificateDer<'_>],
        server_name: &rustls_pki_types::ServerName<'_>,
        ocsp_response: &[u8],
        now: rustls_pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        use rustls::{CertificateError, Error};
        let full = self.inner.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        );
        let Err(e) = full else {
            return full;
        };
        let name_only = matches!(
            e,
            Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )
        );
        if self.check_chain && !name_only {
            return Err(e);
        }
        *self.verdict.lock().unwrap_or_else(|p| p.into_inner()) = Some(describe_cert_error(&e));
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &rustls_pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &rustls_pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Status;

    fn spec(yaml: &str) -> PostgresCheck {
        let node = marked_yaml::parse_yaml(0, yaml).unwrap();
        marked_yaml::from_node(&node).unwrap()
    }

    #[test]
    fn libpq_ssl_parameters_are_taken_out_of_the_dsn() {
        let (dsn, mode, root) = strip_ssl_params(
            "postgres://u:p@h:5432/db?sslmode=verify-full&application_name=x&sslrootcert=%2Fca.pem",
        );
        assert_eq!(dsn, "postgres://u:p@h:5432/db?application_name=x");
        assert_eq!(mode.as_deref(), Some("verify-full"));
        assert_eq!(root.as_deref(), Some("/ca.pem"));
        let (dsn, mode, _) = strip_ssl_params("host=h user=u sslmode=verify-ca dbname=d");
        assert_eq!(
            (dsn.as_str(), mode.as_deref()),
            ("host=h user=u dbname=d", Some("verify-ca"))
        );
        assert!(dsn.parse::<tokio_postgres::Config>().is_ok());
        assert_eq!(
            dsn_password("postgres://u:s3cret@h/db?sslmode=verify-full").as_deref(),
            Some("s3cret")
        );
    }

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
