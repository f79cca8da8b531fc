//! `redis`: a Redis server — live, or as its `redis.conf` describes it —
//! meets the deployment's expectations: version, configuration values (unit
//! aware), persistence and password protection.
//!
//! Both sources are turned into the same `Facts` and judged by one
//! function, so the same expectations give the same verdicts against the
//! file and against the server when the two agree. Passwords never appear in
//! messages: connection problems are described by `host:port` and user name.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use indexmap::IndexMap;
use serde::Deserialize;

use super::{CheckKind, Code, Outcome, RunContext, SpecProblem};
use crate::domain::redisconf::{self, RedisConf};
use crate::domain::units::{Expectation, redis_value};
use crate::domain::version_req::{self, Version, VersionReq};
use crate::redact::looks_secret;
use crate::report::Finding;

/// Where the expectations are checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// Connect to the server.
    Live,
    /// Read `redis.conf`.
    File,
}

/// Which persistence must be on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Persistence {
    /// Append-only file (`appendonly yes`).
    Aof,
    /// RDB snapshots (`save` points configured).
    Rdb,
    /// AOF or RDB, at least one.
    Any,
    /// Neither (a pure cache).
    None,
}

/// Expectations on one Redis server or config file.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RedisCheck {
    /// `redis://[user:password@]host:port[/db]` or `rediss://…` for TLS.
    pub url: Option<String>,
    /// A catalogue target with `url` (live) and/or `path` (file).
    pub target: Option<String>,
    /// `live` or `file`; by default `file` when only a path is known.
    pub source: Option<Source>,
    /// A `redis.conf`, relative to the deployment root.
    pub path: Option<PathBuf>,
    /// PEM CA certificates to trust for `rediss://`.
    pub ca_file: Option<PathBuf>,
    /// Server version constraint, e.g. `>=7`.
    #[schemars(with = "Option<super::Scalar>")]
    pub version: Option<String>,
    /// Configuration values, e.g. `maxmemory: 256mb`, `maxmemory-policy: allkeys-lru`.
    #[serde(default)]
    #[schemars(with = "IndexMap<String, super::Scalar>")]
    pub config: IndexMap<String, String>,
    /// `true`: clients without a password are refused (NOAUTH).
    pub auth_required: Option<bool>,
    /// Required persistence.
    pub persistence: Option<Persistence>,
}

impl CheckKind for RedisCheck {
    const NAME: &'static str = "redis";
    const SUMMARY: &'static str = "a Redis server (live, or its redis.conf) has the expected version, config, persistence and password";
    const CODES: &'static [Code] = &[
        Code::fail(
            "redis/unreachable",
            "connection refused, timed out, or the port does not answer as Redis (live)",
        ),
        Code::fail(
            "redis/auth",
            "wrong password or user (`WRONGPASS`), a password required but not given (`NOAUTH`), or an unauthenticated client accepted",
        ),
        Code::fail(
            "redis/version",
            "the server version does not satisfy the constraint",
        ),
        Code::fail(
            "redis/config",
            "a directive has another value; in file mode the finding points at the line (or says the default applies)",
        ),
        Code::fail(
            "redis/persistence",
            "the required persistence is off, or the last AOF write / RDB save failed",
        ),
        Code::info(
            "redis/config-unavailable",
            "`CONFIG` is renamed or disabled; the values were read from `INFO` instead",
        ),
        Code::warn(
            "redis/tls-insecure",
            "the connection used TLS without verifying the certificate (`#insecure`)",
        ),
        Code::fail(
            "redis/conf-syntax",
            "the `redis.conf` cannot be read as Redis reads it (the line is shown); the check ends in `error`",
        ),
    ];
    const DOCS: &'static str = r#"# redis

## What it checks
One Redis server, either **live** (connect, `PING`, `INFO`, `CONFIG GET`, and
an unauthenticated probe) or from its **config file** (`redis.conf` with its
`include`s). The same expectations apply to both sources:

- `version`: the server version satisfies a constraint (`>=7`; live only);
- `config`: each directive has the expected value; sizes are compared with
  Redis's units, so `256mb` equals `268435456`; `>=`, `<=`, `>`, `<`, `!=`
  prefixes compare numbers and sizes;
- `persistence`: `aof` (`appendonly yes`), `rdb` (`save` points), `any`, `none`;
- `auth_required: true`: a client without a password is refused. Live, a
  second connection without credentials must get `NOAUTH`; in a file,
  `requirepass` (or a `user default` line with a password) must be set.

When `CONFIG` is renamed or disabled on the server, the check says so and
falls back to what `INFO` reports (`aof_enabled`, `maxmemory`,
`maxmemory_policy`); expectations `INFO` cannot answer make the check an error.
A directive missing from the file is judged by Redis's default value.

## Why it matters
Without `appendonly yes` a restart loses every write since the last snapshot;
without `maxmemory` and an eviction policy Redis grows until the kernel kills
it; without a password anyone on the network can read sessions and flush the
cache. Checking the file before the deploy and the server after it catches
both a wrong file and a file that was never mounted.

## Example
```yaml
version: 1
checks:
  - id: redis.config-file
    kind: redis
    title: redis.conf enables AOF, caps memory and sets a password
    source: file
    path: redis/redis.conf
    persistence: aof
    auth_required: true
    config:
      maxmemory: 256mb
      maxmemory-policy: allkeys-lru
  - id: redis.live
    kind: redis
    title: Redis 7+ runs with the production settings
    url: redis://default:${REDIS_PASSWORD:-x}@127.0.0.1:6379
    version: ">=7"
    auth_required: true
    config:
      appendonly: "yes"
      maxmemory: 256mb
```

## Fields
| field | type | meaning |
|---|---|---|
| `url` | URL | `redis://[user:password@]host:port[/db]`; `rediss://` for TLS (verified; `rediss://…#insecure` turns verification off and the check warns) |
| `target` | name | a catalogue target with `url` (and `password`, `username`, `ca_file`) or `path` |
| `source` | `live`, `file` | default: `live` when a URL is known, else `file` |
| `path` | path | the `redis.conf` (relative to `--root`) |
| `ca_file` | path | PEM CA certificates to trust for `rediss://` |
| `version` | constraint | e.g. `>=7`, `>=7.0, <8` (live only) |
| `config` | map | directive → expected value (`yes`, `256mb`, `>= 1gb`) |
| `persistence` | `aof`, `rdb`, `any`, `none` | required persistence |
| `auth_required` | bool | unauthenticated clients must be refused |

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
        if self.url.is_none() && self.target.is_none() && self.path.is_none() {
            p.push(
                SpecProblem::new("url", "give `url`, `target` or `path`")
                    .hint("live: `url: redis://host:6379`; file: `source: file` and `path: redis/redis.conf`"),
            );
        }
        if self.source == Some(Source::File) && self.url.is_some() {
            p.push(SpecProblem::new(
                "source",
                "`source: file` reads `path`, not `url`",
            ));
        }
        if self.source == Some(Source::Live) && self.path.is_some() {
            p.push(SpecProblem::new(
                "source",
                "`source: live` connects to `url`; `path` is for `source: file`",
            ));
        }
        if let Some(v) = &self.version {
            if let Err(e) = VersionReq::parse(v) {
                p.push(SpecProblem::new("version", e));
            }
            if self.source == Some(Source::File) || (self.path.is_some() && self.url.is_none()) {
                p.push(
                    SpecProblem::new(
                        "version",
                        "a config file does not say which Redis version runs it",
                    )
                    .hint("check `version` in a live check"),
                );
            }
        }
        for k in self.config.keys() {
            if looks_secret(k) || k.eq_ignore_ascii_case("masterauth") {
                p.push(
                    SpecProblem::new(
                        "config",
                        format!("`{k}` holds a secret; readyctl does not compare secret values"),
                    )
                    .hint("use `auth_required: true` to prove a password is required"),
                );
            }
        }
        if let Some(u) = &self.url
            && !u.contains("${")
            && url::Url::parse(u).is_err()
        {
            p.push(
                SpecProblem::new("url", "not a valid URL")
                    .hint("write e.g. redis://default:PASSWORD@127.0.0.1:6379"),
            );
        }
        p
    }

    fn targets(&self) -> Vec<&str> {
        self.target.as_deref().into_iter().collect()
    }

    fn secrets(&self) -> Vec<String> {
        self.url
            .as_deref()
            .and_then(url_password)
            .into_iter()
            .collect()
    }

    fn schema() -> Option<schemars::Schema> {
        Some(super::spec_schema::<Self>())
    }

    async fn run(&self, cx: &RunContext) -> Outcome {
        match self.resolve(cx) {
            Ok(Resolved::File(path)) => {
                let me = self.clone();
                cx.offload("redis.conf", move |cx| me.run_file(cx, &path))
                    .await
            }
            Ok(Resolved::Live(live)) => {
                if let Some(pw) = live.url.password() {
                    cx.redactor.add(decode(pw));
                }
                let out = self.run_live(cx, &live).await;
                // redis-rs turns certificate verification off for
                // `rediss://…#insecure`: allowed, but never silently.
                if live.url.scheme() == "rediss"
                    && live.url.fragment() == Some("insecure")
                    && out.status() == crate::report::Status::Pass
                {
                    let note = format!(
                        "TLS verification is off for {} (`#insecure` in the URL)",
                        address(&live.url)
                    );
                    return Outcome::warn(format!("{}; {note}", out.message)).with_findings(vec![
                        Finding::new(note)
                            .code("redis/tls-insecure")
                            .hint("give the server's CA with `ca_file:` and drop `#insecure`"),
                    ]);
                }
                out
            }
            Err(e) => Outcome::error(e),
        }
    }
}

/// Where a resolved check goes.
enum Resolved {
    File(PathBuf),
    Live(Live),
}

struct Live {
    url: url::Url,
    ca_file: Option<PathBuf>,
}

fn url_password(u: &str) -> Option<String> {
    url::Url::parse(u).ok()?.password().map(decode)
}

fn decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

/// `host:port` of a Redis URL, for messages (never the URL itself).
fn address(u: &url::Url) -> String {
    let host = u.host_str().unwrap_or("localhost");
    let port = u.port().unwrap_or(6379);
    if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// What one source says about the server, in one shape for both sources.
struct Facts {
    /// `redis/redis.conf` or `127.0.0.1:6379`.
    label: String,
    version: Option<Version>,
    values: HashMap<String, Lookup>,
    /// `Some(true)` when a client without password is refused.
    auth_required: Option<Result<bool, String>>,
    /// Failures only a live server shows (last AOF write failed, …).
    runtime: Vec<Finding>,
    /// Notes worth a warning (CONFIG fell back to INFO).
    notes: Vec<Finding>,
    is_file: bool,
}

/// One configuration value and where it came from.
#[derive(Debug, Clone)]
enum Lookup {
    /// Set in a file at a line, or reported by the server.
    Found {
        value: String,
        at: Option<(String, u32)>,
    },
    /// Not in the file: Redis's default applies.
    Default { value: String, file: String },
    /// Cannot be known (CONFIG disabled and INFO silent; unknown default).
    Unknown(String),
}

impl RedisCheck {
    fn resolve(&self, cx: &RunContext) -> Result<Resolved, String> {
        let target = match &self.target {
            Some(name) => Some(cx.target(name)?),
            None => None,
        };
        let path = self
            .path
            .clone()
            .or_else(|| target.and_then(|t| t.path.clone()));
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
            Source::File => path
                .map(Resolved::File)
                .ok_or_else(|| "`source: file` needs `path` (or a target with `path`)".to_string()),
            Source::Live => {
                let raw = url.ok_or_else(|| {
                    "`source: live` needs `url` (or a target with `url`)".to_string()
                })?;
                let mut u = url::Url::parse(&raw).map_err(|e| {
                    format!(
                        "the Redis URL is not valid ({e}); write redis://[user:password@]host:port"
                    )
                })?;
                if !matches!(u.scheme(), "redis" | "rediss") {
                    return Err(format!(
                        "the Redis URL has scheme `{}`; use redis:// or rediss://",
                        u.scheme()
                    ));
                }
                if let Some(t) = target {
                    if let Some(user) = &t.username
                        && u.username().is_empty()
                    {
                        let _ = u.set_username(user);
                    }
                    if let Some(pw) = &t.password
                        && u.password().is_none()
                    {
                        if u.username().is_empty() {
                            let _ = u.set_username("default");
                        }
                        let _ = u.set_password(Some(pw));
                    }
                }
                let ca_file = self
                    .ca_file
                    .clone()
                    .or_else(|| target.and_then(|t| t.ca_file.clone()))
                    .map(|p| cx.path(&p));
                Ok(Resolved::Live(Live { url: u, ca_file }))
            }
        }
    }

    fn run_file(&self, cx: &RunContext, path: &Path) -> Outcome {
        let shown = cx.display_path(path);
        let conf = match RedisConf::load(&cx.path(path), &cx.root) {
            Ok(c) => c,
            Err(e) if e.line.is_none() && e.file == shown => {
                return if cx.path(path).exists() {
                    Outcome::error(format!("cannot read {shown}: {}", e.message))
                } else {
                    Outcome::fail(format!("{shown} does not exist")).with_findings(vec![
                        Finding::new(format!("{shown} does not exist")).at_file(&shown),
                    ])
                };
            }
            Err(e) => {
                let mut f = Finding::new(e.to_string())
                    .code("redis/conf-syntax")
                    .at_file(&e.file);
                f.line = e.line;
                return Outcome::error(format!("cannot read {shown}: {e}")).with_findings(vec![f]);
            }
        };
        let mut values = HashMap::new();
        for key in self.wanted_keys() {
            let lookup = match conf.value(&key) {
                Some((v, d)) => Lookup::Found {
                    value: v,
                    at: Some((d.file.clone(), d.line)),
                },
                None => match redisconf::default_value(&key) {
                    Some(v) => Lookup::Default {
                        value: v.to_string(),
                        file: shown.clone(),
                    },
                    None => Lookup::Unknown(format!(
                        "{key} is not set in {shown} and readyctl does not know Redis's default for it"
                    )),
                },
            };
            values.insert(key, lookup);
        }
        let auth = file_auth(&conf);
        let mut facts = Facts {
            label: shown.clone(),
            version: None,
            values,
            auth_required: Some(Ok(auth.is_some())),
            runtime: Vec::new(),
            notes: Vec::new(),
            is_file: true,
        };
        if self.auth_required == Some(true) && auth.is_none() {
            // Point at the empty requirepass when the file has one.
            if let Some(d) = conf.get("requirepass") {
                facts.values.insert(
                    "requirepass".into(),
                    Lookup::Found {
                        value: String::new(),
                        at: Some((d.file.clone(), d.line)),
                    },
                );
            }
        }
        self.judge(&facts, &conf)
    }

    /// Every config key the expectations need, lower-case.
    fn wanted_keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = self.config.keys().map(|k| k.to_ascii_lowercase()).collect();
        if self.persistence.is_some() {
            for k in ["appendonly", "save"] {
                if !keys.iter().any(|x| x == k) {
                    keys.push(k.to_string());
                }
            }
        }
        keys
    }

    /// The one place verdicts are made, for both sources.
    fn judge(&self, facts: &Facts, conf: &RedisConf) -> Outcome {
        let _ = conf;
        let mut failures = Vec::new();
        let mut unknown: Vec<Finding> = Vec::new();
        if let Some(req) = self
            .version
            .as_deref()
            .and_then(|v| VersionReq::parse(v).ok())
        {
            match &facts.version {
                Some(v) if !req.matches(v) => failures.push(
                    Finding::new(format!(
                        "Redis version is {}, expected {req}",
                        version_req::display(v)
                    ))
                    .code("redis/version")
                    .expected_actual(req.to_string(), version_req::display(v)),
                ),
                Some(_) => {}
                None if facts.is_file => unknown.push(
                    Finding::new(format!(
                        "the Redis version cannot be read from {}; check it live",
                        facts.label
                    ))
                    .code("redis/version"),
                ),
                None => unknown.push(
                    Finding::new("the server did not report redis_version in INFO")
                        .code("redis/version"),
                ),
            }
        }
        for (key, want) in &self.config {
            let key_l = key.to_ascii_lowercase();
            let exp = Expectation::parse(want);
            let expected = redis_value(&exp.value);
            let Some(lookup) = facts.values.get(&key_l) else {
                continue;
            };
            let (actual_raw, at, defaulted) = match lookup {
                Lookup::Found { value, at } => (value.clone(), at.clone(), None),
                Lookup::Default { value, file } => (value.clone(), None, Some(file.clone())),
                Lookup::Unknown(why) => {
                    unknown.push(Finding::new(why.clone()).code("redis/config"));
                    continue;
                }
            };
            let actual = redis_value(&actual_raw);
            match exp.holds(&expected, &actual) {
                Ok(true) => {}
                Ok(false) => {
                    let shown_actual = if actual_raw.is_empty() {
                        "\"\"".to_string()
                    } else {
                        show(&actual_raw)
                    };
                    let message = match &defaulted {
                        Some(file) => format!(
                            "{key} is not set in {file}, so Redis uses its default {shown_actual}; expected {}",
                            exp.describe(&expected)
                        ),
                        None if facts.is_file => format!(
                            "{key} is {shown_actual} in {}, expected {}",
                            at.as_ref().map(|a| a.0.as_str()).unwrap_or(&facts.label),
                            exp.describe(&expected)
                        ),
                        None => format!(
                            "{key} is {shown_actual} on {}, expected {}",
                            facts.label,
                            exp.describe(&expected)
                        ),
                    };
                    let mut f = Finding::new(message)
                        .code("redis/config")
                        .expected_actual(exp.describe(&expected), shown_actual)
                        .hint(format!("set `{key} {}` in redis.conf", exp.value));
                    if let Some((file, line)) = at {
                        f = f.at(file, line, 1);
                    } else if let Some(file) = defaulted {
                        f = f.at_file(file);
                    }
                    failures.push(f);
                }
                Err(e) => unknown.push(Finding::new(format!("{key}: {e}")).code("redis/config")),
            }
        }
        if let Some(p) = self.persistence {
            let get = |k: &str| match facts.values.get(k) {
                Some(Lookup::Found { value, at }) => Some((value.clone(), at.clone())),
                Some(Lookup::Default { value, .. }) => Some((value.clone(), None)),
                _ => None,
            };
            let aof = get("appendonly");
            let rdb = get("save");
            let aof_on = aof
                .as_ref()
                .map(|(v, _)| redis_value(v) == redis_value("yes"));
            let rdb_on = rdb.as_ref().map(|(v, _)| !v.trim().is_empty());
            let verdict = match p {
                Persistence::Aof => aof_on.map(|a| (a, "appendonly yes")),
                Persistence::Rdb => rdb_on.map(|r| (r, "save points (RDB snapshots)")),
                Persistence::Any => match (aof_on, rdb_on) {
                    (Some(true), _) | (_, Some(true)) => Some((true, "")),
                    (Some(false), Some(false)) => Some((false, "AOF or RDB persistence")),
                    _ => None,
                },
                Persistence::None => match (aof_on, rdb_on) {
                    (Some(a), Some(r)) => Some((!a && !r, "no persistence")),
                    _ => None,
                },
            };
            match verdict {
                Some((true, _)) => {}
                Some((false, wanted)) => {
                    let actual = format!(
                        "appendonly {}, save {}",
                        aof.as_ref().map(|(v, _)| v.as_str()).unwrap_or("?"),
                        rdb.as_ref()
                            .map(|(v, _)| if v.is_empty() { "\"\"" } else { v.as_str() })
                            .unwrap_or("?")
                    );
                    let mut f = Finding::new(format!(
                        "persistence on {} is not as required: expected {wanted}, found {actual}",
                        facts.label
                    ))
                    .code("redis/persistence")
                    .expected_actual(wanted, actual);
                    let at = match p {
                        Persistence::Rdb => rdb.and_then(|r| r.1),
                        _ => aof.and_then(|a| a.1),
                    };
                    if let Some((file, line)) = at {
                        f = f.at(file, line, 1);
                    } else if facts.is_file {
                        f = f.at_file(&facts.label);
                    }
                    failures.push(f);
                }
                None => unknown.push(
                    Finding::new(format!(
                        "cannot tell the persistence of {}: appendonly/save are not readable",
                        facts.label
                    ))
                    .code("redis/persistence"),
                ),
            }
        }
        if self.auth_required == Some(true) {
            match &facts.auth_required {
                Some(Ok(true)) | None => {}
                Some(Ok(false)) if facts.is_file => {
                    let mut f = Finding::new(format!(
                        "{} sets no password: requirepass is missing or empty, so any client can connect",
                        facts.label
                    ))
                    .code("redis/auth")
                    .expected_actual("requirepass set", "no password")
                    .hint("set `requirepass` (from a secret) or an ACL `user default on >…` line");
                    match facts.values.get("requirepass") {
                        Some(Lookup::Found {
                            at: Some((file, line)),
                            ..
                        }) => f = f.at(file, *line, 1),
                        _ => f = f.at_file(&facts.label),
                    }
                    failures.push(f);
                }
                Some(Ok(false)) => failures.push(
                    Finding::new(format!(
                        "{} accepts clients without a password: an unauthenticated PING was answered",
                        facts.label
                    ))
                    .code("redis/auth")
                    .expected_actual("NOAUTH for unauthenticated clients", "PONG")
                    .hint("set `requirepass` (or ACL users) and restart Redis"),
                ),
                Some(Err(e)) => unknown.push(Finding::new(e.clone()).code("redis/auth")),
            }
        }
        failures.extend(facts.runtime.iter().cloned());

        let checked = self.config.len()
            + usize::from(self.version.is_some())
            + usize::from(self.persistence.is_some())
            + usize::from(self.auth_required == Some(true));
        let version = facts
            .version
            .as_ref()
            .map(|v| format!(" (Redis {})", version_req::display(v)))
            .unwrap_or_default();
        if !failures.is_empty() {
            let mut o = Outcome::from_findings(failures, "");
            o.findings.extend(unknown);
            o.findings.extend(facts.notes.iter().cloned());
            return o;
        }
        if let Some(first) = unknown.first() {
            let msg = format!("cannot evaluate every expectation: {}", first.message);
            return Outcome::error(msg)
                .with_findings(unknown)
                .with_findings(facts.notes.clone());
        }
        let ok = if checked == 0 {
            format!("{} answers PING{version}", facts.label)
        } else {
            format!("{}: {}{version}", facts.label, super::spec::holds(checked))
        };
        if let Some(note) = facts.notes.first() {
            return Outcome::warn(format!("{ok}; {}", note.message))
                .with_findings(facts.notes.clone());
        }
        Outcome::pass(ok)
    }

    async fn run_live(&self, cx: &RunContext, live: &Live) -> Outcome {
        crate::tls::install_provider();
        let addr = address(&live.url);
        let user = match live.url.username() {
            "" => "default".to_string(),
            u => u.to_string(),
        };
        let budget = cx
            .timeout
            .saturating_sub(Duration::from_millis(100))
            .max(Duration::from_millis(100));
        let started = Instant::now();
        let left = || {
            budget
                .saturating_sub(started.elapsed())
                .max(Duration::from_millis(10))
        };
        let fmt_d = |d: Duration| {
            humantime::format_duration(Duration::from_millis(d.as_millis() as u64)).to_string()
        };

        // A plain TCP connect first, so "nothing listens" and "no route" are
        // told apart from "listens but does not speak Redis".
        match tokio::time::timeout(left(), tokio::net::TcpStream::connect(&addr)).await {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => {
                return unreachable(crate::support::net::describe_connect_error(&addr, &e));
            }
            Err(_) => {
                return unreachable(format!(
                    "connect to {addr} timed out after {}",
                    fmt_d(budget)
                ));
            }
        }
        let client = match self.client(&live.url, live.ca_file.as_deref(), cx) {
            Ok(c) => c,
            Err(e) => return Outcome::error(e),
        };
        let cfg = redis::AsyncConnectionConfig::new()
            .set_connection_timeout(Some(left()))
            .set_response_timeout(Some(left()));
        let no_answer = || {
            unreachable(format!(
                "{addr} accepted the connection but did not answer as Redis within {}",
                fmt_d(budget)
            ))
        };
        let mut con = match tokio::time::timeout(
            left(),
            client.get_multiplexed_async_connection_with_config(&cfg),
        )
        .await
        {
            Err(_) => return no_answer(),
            Ok(Err(e)) if e.is_timeout() => return no_answer(),
            Ok(Err(e)) => return connect_failure(&addr, &user, &live.url, &e),
            Ok(Ok(c)) => c,
        };
        let pong: Result<String, _> =
            match tokio::time::timeout(left(), redis::cmd("PING").query_async(&mut con)).await {
                Err(_) => return no_answer(),
                Ok(r) => r,
            };
        match pong {
            Ok(_) => {}
            Err(e) if e.is_timeout() => return no_answer(),
            Err(e) => return connect_failure(&addr, &user, &live.url, &e),
        }
        let info: String =
            match tokio::time::timeout(left(), redis::cmd("INFO").query_async(&mut con)).await {
                Ok(Ok(s)) => s,
                Ok(Err(e)) => {
                    return Outcome::fail(format!("INFO failed on {addr}: {}", plain(&e)));
                }
                Err(_) => return no_answer(),
            };
        let info = parse_info(&info);
        let mut facts = Facts {
            label: addr.clone(),
            version: info
                .get("redis_version")
                .and_then(|v| version_req::normalise(v)),
            values: HashMap::new(),
            auth_required: None,
            runtime: Vec::new(),
            notes: Vec::new(),
            is_file: false,
        };
        let keys = self.wanted_keys();
        if !keys.is_empty() {
            let mut cmd = redis::cmd("CONFIG");
            cmd.arg("GET");
            for k in &keys {
                cmd.arg(k);
            }
            let got: Result<HashMap<String, String>, _> =
                match tokio::time::timeout(left(), cmd.query_async(&mut con)).await {
                    Ok(r) => r,
                    Err(_) => return no_answer(),
                };
            match got {
                Ok(map) => {
                    for k in &keys {
                        let lookup = match map.get(k) {
                            Some(v) => Lookup::Found {
                                value: v.clone(),
                                at: None,
                            },
                            None => Lookup::Unknown(format!(
                                "{addr} has no configuration parameter `{k}`"
                            )),
                        };
                        facts.values.insert(k.clone(), lookup);
                    }
                }
                Err(e) => {
                    let why = match plain(&e) {
                        w if w.contains("unknown command") => "unknown command".to_string(),
                        w if w.contains("NOPERM") => "no permission for this ACL user".to_string(),
                        w => w,
                    };
                    facts.notes.push(
                        Finding::new(format!(
                            "CONFIG GET is unavailable on {addr} (renamed or disabled: {why}); values were read from INFO"
                        ))
                        .code("redis/config-unavailable"),
                    );
                    for k in &keys {
                        facts.values.insert(k.clone(), from_info(k, &info, &addr));
                    }
                }
            }
        }
        // Failures only a running server shows.
        if info.get("aof_enabled").map(String::as_str) == Some("1")
            && let Some(s) = info.get("aof_last_write_status")
            && s != "ok"
        {
            facts.runtime.push(
                Finding::new(format!(
                    "the last AOF write on {addr} failed (aof_last_write_status: {s})"
                ))
                .code("redis/persistence"),
            );
        }
        if let Some(s) = info.get("rdb_last_bgsave_status")
            && s != "ok"
        {
            facts.runtime.push(
                Finding::new(format!(
                    "the last RDB save on {addr} failed (rdb_last_bgsave_status: {s})"
                ))
                .code("redis/persistence"),
            );
        }
        if self.auth_required == Some(true) {
            facts.auth_required = Some(self.probe_unauthenticated(cx, live, left()).await);
        }
        self.judge(&facts, &RedisConf::default())
    }

    fn client(
        &self,
        u: &url::Url,
        ca: Option<&Path>,
        cx: &RunContext,
    ) -> Result<redis::Client, String> {
        let _ = cx;
        match ca {
            Some(ca) if u.scheme() == "rediss" => {
                // redis-rs trusts only the roots it is given: give it the
                // same store as every other kind (system roots plus the CA file).
                let pem = crate::tls::trust_roots_pem(ca)?;
                redis::Client::build_with_tls(
                    u.as_str(),
                    redis::TlsCertificates {
                        client_tls: None,
                        root_cert: Some(pem),
                    },
                )
                .map_err(|e| format!("invalid Redis TLS settings: {}", plain(&e)))
            }
            _ => redis::Client::open(u.as_str())
                .map_err(|e| format!("invalid Redis URL: {}", plain(&e))),
        }
    }

    /// A second connection without credentials: `Ok(true)` when it is refused with NOAUTH.
    async fn probe_unauthenticated(
        &self,
        cx: &RunContext,
        live: &Live,
        left: Duration,
    ) -> Result<bool, String> {
        let mut anon = live.url.clone();
        let _ = anon.set_username("");
        let _ = anon.set_password(None);
        let client = self.client(&anon, live.ca_file.as_deref(), cx)?;
        let cfg = redis::AsyncConnectionConfig::new()
            .set_connection_timeout(Some(left))
            .set_response_timeout(Some(left));
        let attempt = async {
            let mut con = client
                .get_multiplexed_async_connection_with_config(&cfg)
                .await?;
            redis::cmd("PING").query_async::<String>(&mut con).await
        };
        match tokio::time::timeout(left, attempt).await {
            Ok(Ok(_)) => Ok(false),
            Ok(Err(e)) if is_noauth(&e) => Ok(true),
            Ok(Err(e)) => Err(format!(
                "the unauthenticated probe failed for another reason than NOAUTH: {}",
                plain(&e)
            )),
            Err(_) => Err("the unauthenticated probe timed out".to_string()),
        }
    }
}

fn unreachable(message: String) -> Outcome {
    Outcome::fail(message.clone())
        .with_findings(vec![Finding::new(message).code("redis/unreachable")])
}

fn is_noauth(e: &redis::RedisError) -> bool {
    e.code() == Some("NOAUTH") || e.to_string().contains("NOAUTH")
}

/// A RedisError as one line, with no URL in it.
fn plain(e: &redis::RedisError) -> String {
    // Parser errors span several lines ("Parse error at 1\nUnexpected `62`"):
    // a reason is one line.
    let text = e.to_string();
    let first = text.lines().next().unwrap_or_default();
    crate::redact::mask_shapes(first)
}

fn connect_failure(addr: &str, user: &str, u: &url::Url, e: &redis::RedisError) -> Outcome {
    let text = e.to_string();
    let message = if is_noauth(e) {
        format!("{addr} requires a password (NOAUTH) and the URL gives none")
    } else if e.code() == Some("WRONGPASS")
        || text.contains("WRONGPASS")
        || e.kind() == redis::ErrorKind::AuthenticationFailed
        || text.contains("invalid password")
    {
        if u.password().is_none() {
            format!(
                "authentication failed at {addr}: the server wants credentials and the URL gives none"
            )
        } else {
            format!(
                "authentication failed at {addr} for user `{user}`: wrong password or unknown user (WRONGPASS)"
            )
        }
    } else if e.is_connection_refusal() {
        format!("{addr}: connection refused (nothing listens there)")
    } else if e.kind() == redis::ErrorKind::Parse || text.contains("Parse error") {
        format!("{addr} answered with bytes that are not the Redis protocol (RESP)")
    } else if e.is_connection_dropped() || text.contains("reset by peer") {
        format!("{addr}: connection reset or closed by the server before it answered")
    } else if text.to_ascii_lowercase().contains("tls") || text.contains("certificate") {
        format!("TLS with {addr} failed: {}", plain(e))
    } else {
        format!("cannot talk to Redis at {addr}: {}", plain(e))
    };
    let code = if message.contains("authentication") || message.contains("NOAUTH") {
        "redis/auth"
    } else {
        "redis/unreachable"
    };
    Outcome::fail(message.clone()).with_findings(vec![Finding::new(message).code(code)])
}

/// `INFO` text as key → value.
pub fn parse_info(text: &str) -> HashMap<String, String> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect()
}

/// What INFO can say about a config key when CONFIG is unavailable.
fn from_info(key: &str, info: &HashMap<String, String>, addr: &str) -> Lookup {
    let found = |v: Option<String>| match v {
        Some(value) => Lookup::Found { value, at: None },
        None => Lookup::Unknown(format!(
            "{key} on {addr}: CONFIG is unavailable and INFO does not report it"
        )),
    };
    match key {
        "appendonly" => found(
            info.get("aof_enabled")
                .map(|v| if v == "1" { "yes" } else { "no" }.to_string()),
        ),
        "maxmemory" => found(info.get("maxmemory").cloned()),
        "maxmemory-policy" => found(info.get("maxmemory_policy").cloned()),
        _ => found(None),
    }
}

/// The directive that makes a config file require a password, if any.
fn file_auth(conf: &RedisConf) -> Option<&redisconf::Directive> {
    if let Some(d) = conf.get("requirepass")
        && d.args.first().is_some_and(|p| !p.is_empty())
    {
        return Some(d);
    }
    conf.directives.iter().rev().find(|d| {
        d.name == "user"
            && d.args.first().map(String::as_str) == Some("default")
            && !d.args.iter().any(|a| a == "nopass" || a == "off")
            && d.args
                .iter()
                .any(|a| a.starts_with('>') || a.starts_with('#'))
    })
}

/// A value for a message: sizes with their byte count.
fn show(raw: &str) -> String {
    match redis_value(raw) {
        crate::domain::units::Value::Bytes(b) => format!("{raw} ({b} bytes)"),
        _ => raw.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Status;

    fn spec(yaml: &str) -> RedisCheck {
        let node = marked_yaml::parse_yaml(0, yaml).unwrap();
        marked_yaml::from_node(&node).unwrap()
    }

    fn conf_dir(text: &str) -> (tempfile::TempDir, RunContext) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("redis.conf"), text).unwrap();
        let cx = RunContext::for_root(dir.path());
        (dir, cx)
    }

    const EXPECT: &str = "source: file\npath: redis.conf\npersistence: aof\nauth_required: true\nconfig:\n  maxmemory: 256mb\n  maxmemory-policy: allkeys-lru\n  appendonly: yes\n  tcp-keepalive: 300\n";

    #[tokio::test]
    async fn file_with_production_settings_passes() {
        let (_d, cx) = conf_dir(
            "appendonly yes\nmaxmemory 268435456\nmaxmemory-policy \"allkeys-lru\"\nrequirepass \"s3cret-pass\"\n",
        );
        let o = spec(EXPECT).run(&cx).await;
        assert_eq!(o.status(), Status::Pass, "{} {:?}", o.message, o.findings);
        assert!(!format!("{o:?}").contains("s3cret-pass"));
    }

    #[tokio::test]
    async fn file_findings_point_at_the_line_or_name_the_default() {
        let (_d, cx) = conf_dir("# cache\nappendonly no\nmaxmemory 128mb\nrequirepass \"\"\n");
        let o = spec(EXPECT).run(&cx).await;
        assert_eq!(o.status(), Status::Fail);
        let by = |needle: &str| {
            o.findings
                .iter()
                .find(|f| f.message.contains(needle))
                .unwrap_or_else(|| panic!("no finding with {needle}: {:?}", o.findings))
        };
        let mm = by("maxmemory is 128mb");
        assert_eq!((mm.file.as_deref(), mm.line), (Some("redis.conf"), Some(3)));
        assert!(
            mm.message.contains("expected 268435456 bytes (256MB)"),
            "{}",
            mm.message
        );
        let pol = by("maxmemory-policy is not set");
        assert!(
            pol.message.contains("default noeviction"),
            "{}",
            pol.message
        );
        assert_eq!(by("appendonly is no").line, Some(2));
        assert_eq!(by("sets no password").line, Some(4));
        assert!(
            o.findings
                .iter()
                .any(|f| f.code.as_deref() == Some("redis/persistence"))
        );
    }

    #[test]
    fn spec_problems_are_caught_before_running() {
        assert!(
            !spec("source: file\npath: r.conf\nversion: '>=7'\n")
                .validate()
                .is_empty()
        );
        assert!(
            !spec("url: redis://h\nconfig:\n  requirepass: x\n")
                .validate()
                .is_empty()
        );
        assert!(!spec("config: {}\n").validate().is_empty());
        assert!(
            spec("url: redis://h:1\nversion: '>=7'\n")
                .validate()
                .is_empty()
        );
    }

    #[test]
    fn info_fallback_translates_aof_enabled() {
        let info = parse_info(
            "# Persistence\r\naof_enabled:1\r\nmaxmemory:268435456\r\nmaxmemory_policy:allkeys-lru\r\n",
        );
        assert!(
            matches!(from_info("appendonly", &info, "h:1"), Lookup::Found { value, .. } if value == "yes")
        );
        assert!(matches!(
            from_info("tcp-keepalive", &info, "h:1"),
            Lookup::Unknown(_)
        ));
    }
}
