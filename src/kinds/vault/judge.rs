//! The one place verdicts are made: [`live`] on what a server answered,
//! [`policy`] on a parsed policy file. Both build the outcome; the reading
//! is in [`super::facts`].

use indexmap::IndexMap;
use serde_json::Value;

use super::facts::{Facts, Health, SealStatus};
use super::version::VersionReq;
use super::{Connection, VaultCheck};
use crate::domain::policy::{Policy, READ_ONLY_CAPABILITIES, covers_mount};
use crate::kinds::Outcome;
use crate::report::Finding;

/// Every verdict of a live `vault` check.
pub(super) fn live(check: &VaultCheck, facts: &Facts, conn: &Connection) -> Outcome {
    let mut findings = Vec::new();
    let mut notes = Vec::new();
    let seal = &facts.seal;
    let state = describe_seal(seal);
    if check.initialized && !seal.initialized {
        findings.push(
            Finding::new(format!("{}: {state}", conn.endpoint))
                .code("vault/not-initialised")
                .expected_actual("initialised", "not initialised")
                .hint("run `bao operator init` (or `vault operator init`) and store the unseal keys safely"),
        );
    } else if seal.initialized && seal.sealed != check.sealed {
        let f = if seal.sealed {
            Finding::new(format!("{}: {state}", conn.endpoint))
                .code("vault/sealed")
                .expected_actual(
                    "unsealed",
                    format!("sealed, {} of {} keys", seal.progress, seal.t),
                )
                .hint(format!(
                    "unseal with {} more key share(s): `bao operator unseal`",
                    seal.t.saturating_sub(seal.progress)
                ))
        } else {
            Finding::new(format!("{}: unsealed, expected sealed", conn.endpoint))
                .code("vault/unsealed")
                .expected_actual("sealed", "unsealed")
        };
        findings.push(f);
    }
    if let (Some(req), Some(v)) = (check.version.as_deref(), seal.version.as_deref())
        && let Some(r) = VersionReq::parse(req)
        && !r.matches(v)
    {
        findings.push(
            Finding::new(format!("{}: version {v}, expected {req}", conn.endpoint))
                .code("vault/version")
                .expected_actual(req, v),
        );
    }
    if seal.sealed || !seal.initialized {
        // Nothing behind the seal was asked.
        return finish(findings, notes, conn, state);
    }

    if let Some(h) = &facts.health {
        let standby = node_is_standby(seal, h);
        notes.push(if standby { "standby" } else { "active" }.to_string());
        if let Some(want) = check.standby
            && want != standby
        {
            let (e, a) = if want {
                ("standby", "active")
            } else {
                ("active", "standby")
            };
            findings.push(
                Finding::new(format!("{}: node is {a}, expected {e}", conn.endpoint))
                    .code("vault/ha-mode")
                    .expected_actual(e, a),
            );
        }
    }

    if let Some(policies) = &facts.token_policies
        && check.production
        && policies.iter().any(|p| p == "root")
    {
        findings.push(
            Finding::new(format!(
                "{}: the token is a root token; production must use a scoped token",
                conn.endpoint
            ))
            .code("vault/root-token")
            .expected_actual("a token without the root policy", "root token")
            .hint("create a token with the app policy (`bao token create -policy=app`) and revoke the root token"),
        );
    }

    if let (Some(mount), Some(info)) = (&check.kv_v2, &facts.kv_mount)
        && let Some(f) = kv_engine(mount, info.as_ref())
    {
        findings.push(f);
    }
    for (s, read) in check.secrets.iter().zip(&facts.secrets) {
        let shown = &read.shown;
        let Some(keys) = &read.keys else {
            findings.push(
                Finding::new(format!("secret {shown} not found"))
                    .code("vault/secret-missing")
                    .expected_actual("a stored secret", "not found (or deleted)")
                    .hint(format!(
                        "bao kv put {shown} {}=...",
                        s.keys.first().map_or("value", String::as_str)
                    )),
            );
            continue;
        };
        for key in &s.keys {
            match keys.get(key) {
                None => findings.push(
                    Finding::new(format!("secret {shown} has no key `{key}`"))
                        .code("vault/secret-key-missing")
                        .expected_actual(format!("key `{key}`"), "absent")
                        .hint(format!("bao kv patch {shown} {key}=...")),
                ),
                Some(0) => findings.push(
                    Finding::new(format!("secret {shown} key `{key}` is empty"))
                        .code("vault/secret-key-empty")
                        .expected_actual("a non-empty value", "empty"),
                ),
                Some(&len) => {
                    if let Some(min) = s.min_length
                        && len < min
                    {
                        findings.push(
                            Finding::new(format!(
                                "secret {shown} key `{key}` is shorter than {min} characters ({len})"
                            ))
                            .code("vault/secret-key-short")
                            .expected_actual(format!("at least {min} characters"), format!("{len} characters"))
                            .hint("generate a longer value: python3 -c \"import secrets; print(secrets.token_urlsafe(32))\""),
                        );
                    }
                }
            }
        }
    }
    if !check.secrets.is_empty() {
        notes.push(format!("{} secret(s) present", check.secrets.len()));
    }
    finish(findings, notes, conn, state)
}

/// The `kv_v2` mount: KV version 2, or a finding saying what is there.
fn kv_engine(mount: &str, info: Option<&Value>) -> Option<Finding> {
    let m = mount.trim_matches('/');
    let Some(info) = info else {
        return Some(
            Finding::new(format!(
                "no secrets engine is mounted at `{m}/`; expected KV v2"
            ))
            .code("vault/kv-engine")
            .expected_actual(format!("kv v2 at {m}/"), "nothing mounted")
            .hint(format!("bao secrets enable -path={m} kv-v2")),
        );
    };
    let kind = info.get("type").and_then(Value::as_str).unwrap_or("?");
    let version = info
        .pointer("/options/version")
        .and_then(Value::as_str)
        .unwrap_or("1");
    if kind == "kv" && version == "2" {
        return None;
    }
    let actual = if kind == "kv" {
        format!("kv version {version}")
    } else {
        kind.to_string()
    };
    Some(
        Finding::new(format!("`{m}/` is {actual}; expected KV version 2"))
            .code("vault/kv-engine")
            .expected_actual("kv v2", actual)
            .hint(format!("bao kv enable-versioning {m}")),
    )
}

fn finish(findings: Vec<Finding>, notes: Vec<String>, conn: &Connection, state: String) -> Outcome {
    let mut summary = format!("{}: {state}", conn.endpoint);
    for n in &notes {
        summary.push_str(", ");
        summary.push_str(n);
    }
    let out = Outcome::judged(
        findings,
        <super::VaultCheck as crate::kinds::CheckKind>::CODES,
        summary,
    );
    if conn.insecure && out.status() == crate::report::Status::Pass {
        let msg = format!(
            "{} (TLS verification is off: `insecure: true`)",
            out.message
        );
        return Outcome::warn(msg).with_findings(vec![
            Finding::new("TLS certificate verification is turned off for this target")
                .code("vault/tls-insecure")
                .hint("give the server's CA with `ca_file:` and drop `insecure: true`"),
        ]);
    }
    out
}

/// Every verdict of a `vault` check on a policy file (`shown` in messages).
pub(super) fn policy(check: &VaultCheck, policy: &Policy, shown: &str) -> Outcome {
    let mut findings = evaluate_policy(
        policy,
        shown,
        &check.grants,
        &check.forbid,
        check.only_listed_paths,
    );
    findings.extend(evaluate_read_only(policy, shown, &check.read_only));
    let mut what = Vec::new();
    if !check.grants.is_empty() {
        what.push(format!(
            "grants exactly what is expected on {} path(s)",
            check.grants.len()
        ));
    }
    for m in &check.read_only {
        let n = policy
            .rules
            .iter()
            .filter(|r| covers_mount(&r.path, m))
            .count();
        what.push(format!("is read-only on `{m}/` ({n} path(s))"));
    }
    if what.is_empty() {
        what.push("grants none of the forbidden capabilities".into());
    }
    let mut out = Outcome::judged(
        findings,
        <super::VaultCheck as crate::kinds::CheckKind>::CODES,
        format!("{shown} {}", what.join("; ")),
    );
    // The summary line names the place; the findings carry it as fields.
    if let Some(at) = out.findings.first().and_then(Finding::location) {
        let at = at.trim_end_matches(":1").to_string();
        out.message = format!("{at}: {}", out.message);
    }
    out
}

/// Whether the node is an HA standby. A sealed or uninitialised server
/// reports `standby: true` in its health answer; that is not a standby.
pub(super) fn node_is_standby(seal: &SealStatus, health: &Health) -> bool {
    seal.initialized && !seal.sealed && (health.standby || health.performance_standby)
}

/// One plain line about the seal state.
pub(super) fn describe_seal(s: &SealStatus) -> String {
    let version = s
        .version
        .as_deref()
        .map(|v| format!(", version {v}"))
        .unwrap_or_default();
    if !s.initialized {
        format!("not initialised{version}")
    } else if s.sealed {
        format!(
            "sealed: {} of {} unseal keys provided ({} key shares{version})",
            s.progress, s.t, s.n
        )
    } else {
        format!("initialised and unsealed{version}")
    }
}

/// Compares a policy with the expected grants; every finding points at the file.
pub(super) fn evaluate_policy(
    policy: &Policy,
    file: &str,
    grants: &IndexMap<String, Vec<String>>,
    forbid: &[String],
    only_listed_paths: bool,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    for (path, expected) in grants {
        let rules: Vec<_> = policy.rules_for(path).collect();
        let Some(first) = rules.first() else {
            findings.push(
                Finding::new(format!(
                    "grants nothing on `{path}`; expected exactly [{}]",
                    expected.join(", ")
                ))
                .at_file(file)
                .expected_actual(format!("[{}]", expected.join(", ")), "no `path` block")
                .code("vault/policy-missing-path"),
            );
            continue;
        };
        // Vault merges several blocks for one path.
        let mut actual: Vec<String> = rules
            .iter()
            .flat_map(|r| r.capabilities.iter().cloned())
            .collect();
        actual.sort();
        actual.dedup();
        let mut want = expected.clone();
        want.sort();
        want.dedup();
        if actual != want {
            let extra: Vec<_> = actual
                .iter()
                .filter(|c| !want.contains(c))
                .cloned()
                .collect();
            let missing: Vec<_> = want
                .iter()
                .filter(|c| !actual.contains(c))
                .cloned()
                .collect();
            let mut detail = Vec::new();
            if !extra.is_empty() {
                detail.push(format!("extra: {}", extra.join(", ")));
            }
            if !missing.is_empty() {
                detail.push(format!("missing: {}", missing.join(", ")));
            }
            findings.push(
                Finding::new(format!(
                    "grants [{}] on `{path}`, expected exactly [{}] ({})",
                    actual.join(", "),
                    want.join(", "),
                    detail.join("; ")
                ))
                .at(file, first.capabilities_line, 1)
                .expected_actual(
                    format!("[{}]", want.join(", ")),
                    format!("[{}]", actual.join(", ")),
                )
                .code("vault/policy-capabilities"),
            );
        }
    }
    for rule in &policy.rules {
        for cap in &rule.capabilities {
            if forbid.contains(cap) {
                findings.push(
                    Finding::new(format!(
                        "grants forbidden capability `{cap}` on `{}`",
                        rule.path
                    ))
                    .at(file, rule.capabilities_line, 1)
                    .expected_actual(format!("no `{cap}`"), format!("`{cap}`"))
                    .code("vault/policy-forbidden"),
                );
            }
        }
        if only_listed_paths && !grants.contains_key(&rule.path) {
            findings.push(
                Finding::new(format!(
                    "unexpected path `{}` (grants [{}])",
                    rule.path,
                    rule.capabilities.join(", ")
                ))
                .at(file, rule.line, 1)
                .code("vault/policy-unexpected-path"),
            );
        }
    }
    findings
}

/// Read-only on each mount: every path block that can match a path under the
/// mount grants only read/list/deny, and at least one of them grants `read`
/// (a policy that reads nothing there is not read-only, it is useless).
pub(super) fn evaluate_read_only(policy: &Policy, file: &str, mounts: &[String]) -> Vec<Finding> {
    let mut findings = Vec::new();
    for mount in mounts {
        let m = mount.trim_matches('/');
        let on_mount: Vec<_> = policy
            .rules
            .iter()
            .filter(|r| covers_mount(&r.path, m))
            .collect();
        for rule in &on_mount {
            let writes: Vec<&str> = rule
                .capabilities
                .iter()
                .map(String::as_str)
                .filter(|c| !READ_ONLY_CAPABILITIES.contains(c))
                .collect();
            if !writes.is_empty() {
                findings.push(
                    Finding::new(format!(
                        "grants [{}] on `{}`, on the secrets mount `{m}/`; read-only allows only read and list",
                        writes.join(", "),
                        rule.path
                    ))
                    .at(file, rule.capabilities_line, 1)
                    .expected_actual("[read, list]", format!("[{}]", rule.capabilities.join(", ")))
                    .hint(format!("drop {} from `{}`", writes.join(", "), rule.path))
                    .code("vault/policy-not-read-only"),
                );
            }
        }
        let reads = on_mount
            .iter()
            .any(|r| r.capabilities.iter().any(|c| c == "read"));
        if !reads {
            findings.push(
                Finding::new(format!(
                    "grants no read on the secrets mount `{m}/`: the application could read no secret"
                ))
                .at_file(file)
                .expected_actual(format!("read on paths under `{m}/`"), "none")
                .hint(format!("add e.g. path \"{m}/data/app/*\" {{ capabilities = [\"read\"] }}"))
                .code("vault/policy-missing-path"),
            );
        }
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seal(json: &str) -> SealStatus {
        serde_json::from_str(json).unwrap()
    }

    const SEALED: &str = r#"{"type":"shamir","initialized":true,"sealed":true,"t":3,"n":5,"progress":0,"nonce":"","recovery_seal":false,"version":"2.7.2","commit_date":"2026-10-26T20:32:27Z","migration":false,"storage_type":"raft"}"#;
    const DEV: &str = r#"{"type":"shamir","initialized":true,"sealed":false,"t":1,"n":1,"progress":0,"nonce":"","recovery_seal":false,"version":"2.7.2","commit_date":"2026-10-26T20:32:27Z","migration":false,"cluster_name":"vault-cluster-71a53680","cluster_id":"d150016b","storage_type":"inmem"}"#;
    const UNINIT: &str = r#"{"type":"shamir","initialized":false,"sealed":true,"t":0,"n":0,"progress":0,"nonce":"","recovery_seal":false,"version":"2.7.2","migration":false,"storage_type":"raft"}"#;
    // Captured from a sealed OpenBao 2.7.2: standby is true although it is no HA standby.
    const SEALED_HEALTH: &str = r#"{"initialized":true,"sealed":true,"standby":true,"replication_performance_mode":"unknown","replication_dr_mode":"unknown","server_time_utc":1795651722,"version":"2.7.2"}"#;
    const ACTIVE_HEALTH: &str = r#"{"initialized":true,"sealed":false,"standby":false,"replication_performance_mode":"disabled","replication_dr_mode":"disabled","server_time_utc":1795651706,"version":"2.7.2","cluster_name":"c","cluster_id":"d"}"#;

    #[test]
    fn sealed_message_gives_progress_threshold_and_shares() {
        assert_eq!(
            describe_seal(&seal(SEALED)),
            "sealed: 0 of 3 unseal keys provided (5 key shares, version 2.7.2)"
        );
        let mut s = seal(SEALED);
        s.progress = 2;
        assert!(describe_seal(&s).starts_with("sealed: 2 of 3 unseal keys provided"));
        assert_eq!(
            describe_seal(&seal(DEV)),
            "initialised and unsealed, version 2.7.2"
        );
        assert_eq!(
            describe_seal(&seal(UNINIT)),
            "not initialised, version 2.7.2"
        );
    }

    #[test]
    fn sealed_server_is_not_reported_as_standby() {
        let h: Health = serde_json::from_str(SEALED_HEALTH).unwrap();
        assert!(h.standby, "the raw answer says standby");
        assert!(!node_is_standby(&seal(SEALED), &h));
        let h: Health = serde_json::from_str(ACTIVE_HEALTH).unwrap();
        assert!(!node_is_standby(&seal(DEV), &h));
        let standby = Health {
            standby: true,
            performance_standby: false,
        };
        assert!(node_is_standby(&seal(DEV), &standby));
    }

    #[test]
    fn read_only_means_only_read_and_list_on_the_secrets_mount() {
        // The real app policy of DotMac at b2470133: read/list on five
        // subtrees of secret/data, token self-management outside the mount.
        let real = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/fixtures/dotmac-real/b2470133/vault/policies/app-policy.hcl"
        ))
        .unwrap();
        let p = Policy::parse(&real).unwrap();
        let f = evaluate_read_only(&p, "app-policy.hcl", &["secret".to_string()]);
        assert!(f.is_empty(), "{f:?}");
        let writes = Policy::parse(
            "path \"secret/data/app/*\" {\n  capabilities = [\"read\"]\n}\npath \"secret/data/cache/*\" {\n  capabilities = [\"read\", \"update\", \"delete\"]\n}\npath \"+/metadata/*\" {\n  capabilities = [\"list\", \"create\"]\n}\npath \"sys/leases/renew\" {\n  capabilities = [\"update\"]\n}\n",
        )
        .unwrap();
        let f = evaluate_read_only(&writes, "p.hcl", &["secret/".to_string()]);
        let got: Vec<_> = f.iter().map(|f| (f.message.clone(), f.line)).collect();
        assert_eq!(
            got,
            [
                (
                    "grants [update, delete] on `secret/data/cache/*`, on the secrets mount `secret/`; read-only allows only read and list".to_string(),
                    Some(5)
                ),
                (
                    "grants [create] on `+/metadata/*`, on the secrets mount `secret/`; read-only allows only read and list".to_string(),
                    Some(8)
                ),
            ]
        );
        let nothing =
            Policy::parse("path \"auth/token/lookup-self\" {\n  capabilities = [\"read\"]\n}\n")
                .unwrap();
        let f = evaluate_read_only(&nothing, "p.hcl", &["secret".to_string()]);
        assert_eq!(f.len(), 1);
        assert!(
            f[0].message
                .starts_with("grants no read on the secrets mount `secret/`")
        );
    }

    fn grants(pairs: &[(&str, &[&str])]) -> IndexMap<String, Vec<String>> {
        pairs
            .iter()
            .map(|(p, c)| (p.to_string(), c.iter().map(|s| s.to_string()).collect()))
            .collect()
    }

    #[test]
    fn policy_with_write_access_fails_at_the_capabilities_line() {
        let p = Policy::parse(
            "path \"secret/data/*\" {\n  capabilities = [\"read\", \"update\", \"delete\"]\n}\n",
        )
        .unwrap();
        let f = evaluate_policy(
            &p,
            "app.hcl",
            &grants(&[("secret/data/*", &["read"])]),
            &[],
            false,
        );
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].line, Some(2));
        assert!(
            f[0].message.contains(
                "grants [delete, read, update] on `secret/data/*`, expected exactly [read]"
            ),
            "{}",
            f[0].message
        );
        assert!(
            f[0].message.contains("extra: delete, update"),
            "{}",
            f[0].message
        );
    }

    #[test]
    fn read_only_policy_passes_and_missing_or_extra_paths_are_found() {
        let text = "path \"secret/data/*\" {\n  capabilities = [\"read\"]\n}\npath \"sys/*\" {\n  capabilities = [\"sudo\", \"read\"]\n}\n";
        let p = Policy::parse(text).unwrap();
        let ok = grants(&[("secret/data/*", &["read"])]);
        assert!(evaluate_policy(&p, "a.hcl", &ok, &[], false).is_empty());
        let f = evaluate_policy(&p, "a.hcl", &ok, &["sudo".into()], true);
        assert_eq!(f.len(), 2, "{f:?}");
        assert!(
            f[0].message
                .contains("forbidden capability `sudo` on `sys/*`")
        );
        assert_eq!(f[0].line, Some(5));
        assert!(f[1].message.contains("unexpected path `sys/*`"));
        assert_eq!(f[1].line, Some(4));
        let missing = grants(&[("secret/metadata/*", &["list"])]);
        let f = evaluate_policy(&p, "a.hcl", &missing, &[], false);
        assert!(
            f[0].message
                .contains("grants nothing on `secret/metadata/*`")
        );
    }
}
