//! `redis`: a Redis server — live, or as its `redis.conf` describes it —
//! meets the deployment's expectations: version, configuration values (unit
//! aware), persistence and password protection.
//!
//! Both sources are turned into the same `Facts` (`facts`) and judged by
//! one function (`judge`), so the same expectations give the same verdicts
//! against the file and against the server when the two agree; `connect`
//! opens a capped connection and words its failures. This file holds the
//! spec, the kind, and where a check goes (file or live). Passwords never
//! appear in messages: connection problems are described by `host:port` and
//! user name.

mod connect;
mod facts;
mod judge;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use indexmap::IndexMap;
use serde::Deserialize;

use super::{CheckKind, Code, Outcome, RunContext, SpecProblem};
use crate::domain::version_req::VersionReq;
use crate::redact::looks_secret;
use crate::report::Finding;

/// Where the expectations are checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Source {
    /// Connect to the server.
    Live,
    /// Read `redis.conf`.
    File,
}

/// Which persistence must be on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Persistence {
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
pub(crate) struct RedisCheck {
    /// `redis://[user:password@]host:port[/db]` or `rediss://…` for TLS.
    pub(crate) url: Option<String>,
    /// A catalogue target with `url` (live) and/or `path` (file).
    pub(crate) target: Option<String>,
    /// `live` or `file`; by default `file` when only a path is known.
    pub(crate) source: Option<Source>,
    /// A `redis.conf`, relative to the deployment root.
    pub(crate) path: Option<PathBuf>,
    /// PEM CA certificates to trust for `rediss://`.
    pub(crate) ca_file: Option<PathBuf>,
    /// Server version constraint, e.g. `>=7`.
    #[schemars(with = "Option<super::Scalar>")]
    pub(crate) version: Option<String>,
    /// Configuration values, e.g. `maxmemory: 256mb`, `maxmemory-policy: allkeys-lru`.
    #[serde(default)]
    #[schemars(with = "IndexMap<String, super::Scalar>")]
    pub(crate) config: IndexMap<String, String>,
    /// `true`: clients without a password are refused (NOAUTH).
    pub(crate) auth_required: Option<bool>,
    /// Required persistence.
    pub(crate) persistence: Option<Persistence>,
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
                cx.offload("redis.conf", move |cx| match me.read_file(cx, &path) {
                    Ok(facts) => me.judge(&facts),
                    Err(o) => *o,
                })
                .await
            }
            Ok(Resolved::Live(live)) => {
                if let Some(pw) = live.url.password() {
                    cx.redactor.add(decode(pw));
                }
                let over = Arc::new(AtomicBool::new(false));
                let out = match self.read_live(cx, &live, &over).await {
                    Ok(facts) => self.judge(&facts),
                    Err(o) => *o,
                };
                // However redis-rs words the broken stream (or a timeout
                // after it), the reason is the cap.
                if over.load(Ordering::Relaxed) && out.status() != crate::report::Status::Pass {
                    return connect::too_large(&address(&live.url));
                }
                // `rediss://…#insecure` turns certificate verification off:
                // allowed, but never silently.
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
}
