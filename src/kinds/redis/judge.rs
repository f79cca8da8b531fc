//! The one place verdicts are made, for both sources: [`RedisCheck::judge`]
//! compares the expectations with [`Facts`] and builds the outcome, so the
//! same expectations give the same verdicts against the file and against
//! the server when the two agree.

use super::facts::{Facts, Lookup};
use super::{Persistence, RedisCheck};
use crate::domain::units::{Expectation, redis_value};
use crate::domain::version_req::{self, VersionReq};
use crate::kinds::Outcome;
use crate::report::Finding;

impl RedisCheck {
    /// The one place verdicts are made, for both sources.
    pub(super) fn judge(&self, facts: &Facts) -> Outcome {
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
            let mut o = Outcome::judged(
                failures,
                <super::RedisCheck as crate::kinds::CheckKind>::CODES,
                "",
            );
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
            format!(
                "{}: {}{version}",
                facts.label,
                crate::kinds::spec::holds(checked)
            )
        };
        if let Some(note) = facts.notes.first() {
            return Outcome::warn(format!("{ok}; {}", note.message))
                .with_findings(facts.notes.clone());
        }
        Outcome::pass(ok)
    }
}

/// A value for a message: sizes with their byte count.
fn show(raw: &str) -> String {
    match redis_value(raw) {
        crate::domain::units::Value::Bytes(b) => format!("{raw} ({b} bytes)"),
        _ => raw.to_string(),
    }
}
