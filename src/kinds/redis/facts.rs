//! What one source says about the server, in one shape for both sources:
//! `redis.conf` (with its includes) read by [`RedisCheck::read_file`], or a
//! live server asked by [`RedisCheck::read_live`]. Reading judges nothing;
//! a source that cannot be read ends the check with its own outcome.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use super::connect::{OpenError, connect_failure, is_noauth, open, plain, tls_reason, unreachable};
use super::{Live, RedisCheck, address};
use crate::domain::redisconf::{self, RedisConf};
use crate::domain::version_req::{self, Version};
use crate::kinds::{Outcome, RunContext};
use crate::report::Finding;

/// What one source says about the server, in one shape for both sources.
pub(super) struct Facts {
    /// `redis/redis.conf` or `127.0.0.1:6379`.
    pub(crate) label: String,
    pub(crate) version: Option<Version>,
    pub(crate) values: HashMap<String, Lookup>,
    /// `Some(true)` when a client without password is refused.
    pub(crate) auth_required: Option<Result<bool, String>>,
    /// Failures only a live server shows (last AOF write failed, …).
    pub(crate) runtime: Vec<Finding>,
    /// Notes worth a warning (CONFIG fell back to INFO).
    pub(crate) notes: Vec<Finding>,
    pub(crate) is_file: bool,
}

/// One configuration value and where it came from.
#[derive(Debug, Clone)]
pub(super) enum Lookup {
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
    /// Reads `redis.conf` (with its includes) into facts.
    pub(super) fn read_file(&self, cx: &RunContext, path: &Path) -> Result<Facts, Box<Outcome>> {
        let shown = cx.display_path(path);
        let conf = match RedisConf::load(&cx.path(path), &cx.root) {
            Ok(c) => c,
            Err(e) if e.line.is_none() && e.file == shown => {
                return Err(Box::new(if cx.path(path).exists() {
                    Outcome::error(format!("cannot read {shown}: {}", e.message))
                } else {
                    Outcome::fail(format!("{shown} does not exist")).with_findings(vec![
                        Finding::new(format!("{shown} does not exist")).at_file(&shown),
                    ])
                }));
            }
            Err(e) => {
                let mut f = Finding::new(e.to_string())
                    .code("redis/conf-syntax")
                    .at_file(&e.file);
                f.line = e.line;
                return Err(Box::new(
                    Outcome::error(format!("cannot read {shown}: {e}")).with_findings(vec![f]),
                ));
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
        Ok(facts)
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

    /// Asks a live server (PING, INFO, CONFIG GET, an unauthenticated
    /// probe) into facts; a server that cannot be asked ends the check here.
    pub(super) async fn read_live(
        &self,
        cx: &RunContext,
        live: &Live,
        over: &Arc<AtomicBool>,
    ) -> Result<Facts, Box<Outcome>> {
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
        let tcp = match tokio::time::timeout(left(), tokio::net::TcpStream::connect(&addr)).await {
            Ok(Ok(s)) => s,
            Ok(Err(e)) => {
                return Err(Box::new(unreachable(
                    crate::support::net::describe_connect_error(&addr, &e),
                )));
            }
            Err(_) => {
                return Err(Box::new(unreachable(format!(
                    "connect to {addr} timed out after {}",
                    fmt_d(budget)
                ))));
            }
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
        let conn = match tokio::time::timeout(
            left(),
            open(&live.url, live.ca_file.as_deref(), tcp, cfg, over),
        )
        .await
        {
            Err(_) => return Err(Box::new(no_answer())),
            Ok(Err(OpenError::Setup(e))) => return Err(Box::new(Outcome::error(e))),
            Ok(Err(OpenError::Tls(e))) => {
                return Err(Box::new(unreachable(format!(
                    "TLS with {addr} failed: {}",
                    tls_reason(&e)
                ))));
            }
            Ok(Err(OpenError::Redis(e))) if e.is_timeout() => return Err(Box::new(no_answer())),
            Ok(Err(OpenError::Redis(e))) => {
                return Err(Box::new(connect_failure(&addr, &user, &live.url, &e)));
            }
            Ok(Ok(c)) => c,
        };
        let mut con = conn.con.clone();
        let pong: Result<String, _> =
            match tokio::time::timeout(left(), redis::cmd("PING").query_async(&mut con)).await {
                Err(_) => return Err(Box::new(no_answer())),
                Ok(r) => r,
            };
        match pong {
            Ok(_) => {}
            Err(e) if e.is_timeout() => return Err(Box::new(no_answer())),
            Err(e) => return Err(Box::new(connect_failure(&addr, &user, &live.url, &e))),
        }
        let info: String =
            match tokio::time::timeout(left(), redis::cmd("INFO").query_async(&mut con)).await {
                Ok(Ok(s)) => s,
                Ok(Err(e))
                    if e.kind() == redis::ErrorKind::Parse
                        || e.to_string().contains("Parse error") =>
                {
                    return Err(Box::new(unreachable(format!(
                        "{addr} answered INFO with bytes that are not the Redis protocol (RESP)"
                    ))));
                }
                Ok(Err(e)) => {
                    return Err(Box::new(Outcome::fail(format!(
                        "INFO failed on {addr}: {}",
                        plain(&e)
                    ))));
                }
                Err(_) => return Err(Box::new(no_answer())),
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
                    Err(_) => return Err(Box::new(no_answer())),
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
                // Out of time is not "renamed or disabled": the server did
                // not answer within the check's timeout.
                Err(e) if e.is_timeout() => return Err(Box::new(no_answer())),
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
            facts.auth_required = Some(self.probe_unauthenticated(live, left(), over).await);
        }
        Ok(facts)
    }

    /// A second connection without credentials: `Ok(true)` when it is refused with NOAUTH.
    async fn probe_unauthenticated(
        &self,
        live: &Live,
        left: Duration,
        over: &Arc<AtomicBool>,
    ) -> Result<bool, String> {
        let mut anon = live.url.clone();
        let _ = anon.set_username("");
        let _ = anon.set_password(None);
        let cfg = redis::AsyncConnectionConfig::new()
            .set_connection_timeout(Some(left))
            .set_response_timeout(Some(left));
        let attempt = async {
            let tcp = tokio::net::TcpStream::connect(address(&anon))
                .await
                .map_err(|e| format!("the unauthenticated probe could not connect: {e}"))?;
            let conn = match open(&anon, live.ca_file.as_deref(), tcp, cfg, over).await {
                Ok(c) => c,
                Err(OpenError::Redis(e)) => return Ok(Err(e)),
                Err(OpenError::Setup(e)) => return Err(e),
                Err(OpenError::Tls(e)) => {
                    return Err(format!(
                        "the unauthenticated probe failed TLS: {}",
                        tls_reason(&e)
                    ));
                }
            };
            let mut con = conn.con.clone();
            Ok(redis::cmd("PING").query_async::<String>(&mut con).await)
        };
        match tokio::time::timeout(left, attempt).await {
            Ok(Ok(Ok(_))) => Ok(false),
            Ok(Ok(Err(e))) if is_noauth(&e) => Ok(true),
            Ok(Ok(Err(e))) => Err(format!(
                "the unauthenticated probe failed for another reason than NOAUTH: {}",
                plain(&e)
            )),
            Ok(Err(e)) => Err(e),
            Err(_) => Err("the unauthenticated probe timed out".to_string()),
        }
    }
}

/// `INFO` text as key → value.
pub(crate) fn parse_info(text: &str) -> HashMap<String, String> {
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

#[cfg(test)]
mod tests {
    use super::*;

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
