//! `vault`: a Vault or OpenBao server is initialised, unsealed and holds what
//! the application needs — or, from a policy file, a policy grants exactly the
//! expected capabilities.
//!
//! Redis's shape where it fits: this file holds the spec and the kind;
//! `facts` reads a live server's answers into one `Facts` (or parses the
//! policy file) and `judge` makes every verdict on them. The two sources
//! answer different expectations (seal state and secrets live, grants in a
//! file), so each has its own judge function.
//!
//! Live checks speak the HTTP API (`api`) with reqwest rather than vaultrs:
//! vaultrs 0.8's `sys::health`/`sys::status` fail to deserialize OpenBao
//! 2.7's answers and it has no seal-status call, and one reqwest client
//! gives every request the same timeout, CA file and error classification
//! (refused / timed out / permission denied / sealed) while keeping the HTTP
//! status that tells 403 from 404. Secret values are read only to measure
//! them: each one is registered with the redactor at once and never
//! formatted.

mod api;
mod facts;
mod judge;
mod version;

use std::path::PathBuf;
use std::time::Duration;

use indexmap::IndexMap;
use serde::Deserialize;

use super::{CheckKind, Code, Outcome, RunContext, SpecProblem};
use version::VersionReq;

/// A Vault/OpenBao check: live (`url` or `target`) or from a policy file (`policy`).
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct VaultCheck {
    /// The server's address (`http://127.0.0.1:8200`), or use `target`.
    pub(crate) url: Option<String>,
    /// A catalogue target with `url` (and optionally `token`, `ca_file`, `insecure`),
    /// or with `path` naming a policy file.
    pub(crate) target: Option<String>,
    /// A policy file (HCL), relative to the deployment root: file source.
    pub(crate) policy: Option<PathBuf>,

    /// Must be initialised (default true).
    #[serde(default = "yes")]
    pub(crate) initialized: bool,
    /// Must be sealed or not (default false: must be unsealed).
    #[serde(default)]
    pub(crate) sealed: bool,
    /// `true`: must be a standby; `false`: must be the active node; unset: either.
    pub(crate) standby: Option<bool>,
    /// Server version constraint, e.g. `>=2.0`.
    #[schemars(with = "Option<super::Scalar>")]
    pub(crate) version: Option<String>,
    /// Production: the token must not be a root token.
    #[serde(default)]
    pub(crate) production: bool,
    /// A KV version 2 engine must be mounted at this path (e.g. `secret`).
    pub(crate) kv_v2: Option<String>,
    /// Secrets that must exist, with their required keys.
    #[serde(default)]
    pub(crate) secrets: Vec<SecretSpec>,

    /// Policy file: path → the exact capabilities it must grant there.
    #[serde(default)]
    pub(crate) grants: IndexMap<String, Vec<String>>,
    /// Policy file: capabilities no path may grant (e.g. `sudo`).
    #[serde(default)]
    pub(crate) forbid: Vec<String>,
    /// Policy file: refuse paths not listed in `grants`.
    #[serde(default)]
    pub(crate) only_listed_paths: bool,
    /// Policy file: secrets mounts (`secret`) on which the policy is read-only —
    /// every path it grants there has only `read`/`list` (or `deny`), and some
    /// path there grants `read`.
    #[serde(default)]
    pub(crate) read_only: Vec<String>,
}

/// A KV v2 secret that must exist.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SecretSpec {
    /// Path as the CLI writes it, mount first: `secret/auth/jwt_secret`.
    pub(crate) path: String,
    /// The KV v2 mount (default: the first segment of `path`).
    pub(crate) mount: Option<String>,
    /// Keys the secret must hold, each with a non-empty value.
    #[serde(default)]
    pub(crate) keys: Vec<String>,
    /// Minimum length of each required key's value, in characters.
    pub(crate) min_length: Option<usize>,
}

fn yes() -> bool {
    true
}

impl CheckKind for VaultCheck {
    const NAME: &'static str = "vault";
    const SUMMARY: &'static str = "Vault/OpenBao: initialised, unsealed, token, KV v2 mount, secrets present; or a policy file's capabilities";
    const CODES: &'static [Code] = &[
        Code::fail(
            "vault/not-initialised",
            "the server is not initialised (`bao operator init` has not run)",
        ),
        Code::fail(
            "vault/sealed",
            "the server is sealed: `sealed: P of T unseal keys provided`",
        ),
        Code::fail(
            "vault/unsealed",
            "the server is unsealed although `sealed: true` expects it sealed",
        ),
        Code::fail(
            "vault/version",
            "the server version does not satisfy `version`",
        ),
        Code::fail(
            "vault/ha-mode",
            "the node is `standby` where `active` is expected, or the reverse",
        ),
        Code::fail(
            "vault/root-token",
            "with `production: true`, the token carries the root policy",
        ),
        Code::fail(
            "vault/kv-engine",
            "no secrets engine at the mount, or it is not KV version 2",
        ),
        Code::fail(
            "vault/secret-missing",
            "the secret is not found (or deleted)",
        ),
        Code::fail("vault/secret-key-missing", "the secret has no such key"),
        Code::fail("vault/secret-key-empty", "the key's value is empty"),
        Code::fail(
            "vault/secret-key-short",
            "the key's value is shorter than `min_length` characters",
        ),
        Code::warn(
            "vault/tls-insecure",
            "TLS certificate verification is off for the target (`insecure: true`)",
        ),
        Code::fail("vault/policy-file", "the policy file does not exist"),
        Code::fail(
            "vault/policy-syntax",
            "the policy file cannot be parsed as HCL policy (at its line); the check ends in `error`",
        ),
        Code::fail(
            "vault/policy-missing-path",
            "the policy grants nothing on a listed path, or (`read_only`) grants no read on the secrets mount",
        ),
        Code::fail(
            "vault/policy-capabilities",
            "a path's capabilities are not exactly the expected ones (extra and missing named)",
        ),
        Code::fail(
            "vault/policy-forbidden",
            "a path grants a forbidden capability, at its line",
        ),
        Code::fail(
            "vault/policy-unexpected-path",
            "a path the check does not list (with `only_listed_paths`), at its line",
        ),
        Code::fail(
            "vault/policy-not-read-only",
            "(`read_only`) a path on the secrets mount grants more than read and list, at its line",
        ),
    ];
    const DOCS: &'static str = r#"# vault

## What it checks
Against a live Vault or OpenBao server (same API):
- seal status: initialised, unsealed — a sealed server is reported with its
  unseal progress, e.g. `sealed: 0 of 3 unseal keys provided (5 key shares)`;
- standby or active node, and the server version (`version: ">=2.0"`);
- with a token (from the target's `token:`): the token is valid
  (`auth/token/lookup-self`), and with `production: true` it is not a root token;
- a KV version 2 engine is mounted at `kv_v2` (e.g. `secret`);
- secrets exist at `secrets[].path` with the required `keys`, each non-empty
  and at least `min_length` characters. Values are never shown: findings name
  the path and the key, never the value, and every value read is masked in
  all output.

From a policy file (`policy:`), without any server: the HCL policy grants
exactly the expected capabilities on each path in `grants`, grants none of
the `forbid` capabilities anywhere, is read-only on each `read_only` mount
(`secret/data/app/*` with `[read, list]` is; `update` anywhere under
`secret/` is not; `auth/token/renew-self` is not on the mount), and (with
`only_listed_paths`) covers no other path. Findings point at the policy's line.

## Why it matters
The application reads its JWT secret from `secret/auth/jwt_secret` at start:
a sealed Vault, a missing KV engine or a missing secret is an outage, and an
app policy that can write or delete secrets turns one leaked token into a
compromised secret store. The checklist asks for "Vault initialised and
unsealed (3 of 5 keys)", "KV v2 at `secret/`", "JWT secret stored in Vault".

## Example
```yaml
version: 1
targets:
  vault:
    url: ${VAULT_ADDR:-http://127.0.0.1:8200}
    token: ${VAULT_TOKEN:-}
checks:
  - id: vault.unsealed
    kind: vault
    title: Vault initialised and unsealed
    severity: critical
    target: vault
    version: ">=2.0"
  - id: vault.jwt-secret
    kind: vault
    title: JWT secret stored at secret/auth/jwt_secret
    severity: critical
    target: vault
    production: true
    kv_v2: secret
    secrets:
      - path: secret/auth/jwt_secret
        keys: [value]
        min_length: 32
  - id: vault.app-policy
    kind: vault
    title: App policy is read-only on secrets
    policy: vault/policies/app-policy.hcl
    read_only: [secret]
    forbid: [sudo]
```
The token comes from the target's `token:` and is masked everywhere; with
no token, only the seal status, standby and version are checked.

## Fields
| field | type | meaning |
|---|---|---|
| `url` | URL | the server (`http://host:8200`), or use `target` |
| `target` | name | a target with `url`, optional `token`, `ca_file`, `insecure` (TLS verification off: the check warns); or with `path` naming a policy file |
| `initialized` | bool | must be initialised (default `true`) |
| `sealed` | bool | expected seal state (default `false`: unsealed) |
| `standby` | bool | `false`: must be the active node; `true`: must be a standby; unset: either |
| `version` | constraint | e.g. `>=2.0`, `<1.15`, `=2.7.2` |
| `production` | bool | the token must not hold the `root` policy |
| `kv_v2` | mount | a KV version 2 engine must be mounted there (e.g. `secret`) |
| `secrets[].path` | path | `mount/path` as the CLI writes it (`secret/auth/jwt_secret`) |
| `secrets[].mount` | mount | the KV v2 mount when it has several segments (default: first segment of `path`) |
| `secrets[].keys` | list | keys that must be present with non-empty values |
| `secrets[].min_length` | number | minimum length of each listed key's value |
| `policy` | path | a policy file (HCL): file source |
| `grants` | map | policy path → exactly these capabilities |
| `forbid` | list | capabilities no path may grant |
| `only_listed_paths` | bool | refuse policy paths not in `grants` |
| `read_only` | list of mounts | read-only on each secrets mount (`secret`): every path the policy grants that can match under `mount/` (Vault globs `*`, `+`) has only `read`/`list`/`deny`, and some path there grants `read` |

## Findings
When the server cannot be asked (`connection refused`, `timed out` — connect,
or connected with no HTTP answer —, `TLS`) or refuses the token
(`permission denied`, HTTP 403: invalid, expired, or lacking a policy for the
path) the check fails with that reason and no finding.
"#;

    fn validate(&self) -> Vec<SpecProblem> {
        let mut problems = Vec::new();
        let live = self.url.is_some() || self.target.is_some();
        if self.url.is_some() && self.target.is_some() {
            problems.push(SpecProblem::new(
                "target",
                "give either `url` or `target`, not both",
            ));
        }
        match (&self.policy, live) {
            (None, false) => problems.push(
                SpecProblem::new("url", "give `url`, `target` or `policy`").hint(
                    "`url`/`target` check a live server; `policy: FILE.hcl` checks a policy file",
                ),
            ),
            (Some(_), true) if self.url.is_some() => problems.push(SpecProblem::new(
                "policy",
                "`policy` checks a file; it cannot be combined with `url`",
            )),
            _ => {}
        }
        let policy_source = self.policy.is_some();
        if policy_source {
            if self.grants.is_empty() && self.forbid.is_empty() && self.read_only.is_empty() {
                problems.push(
                    SpecProblem::new(
                        "grants",
                        "a policy check needs `grants`, `forbid` or `read_only`",
                    )
                    .hint("e.g. read_only: [secret], or grants: {\"secret/data/*\": [read]}"),
                );
            }
            if self.production || self.kv_v2.is_some() || !self.secrets.is_empty() {
                problems.push(SpecProblem::new(
                    "policy",
                    "`production`, `kv_v2` and `secrets` need a live server (`url` or `target`), not a policy file",
                ));
            }
        } else if !self.grants.is_empty()
            || !self.forbid.is_empty()
            || self.only_listed_paths
            || !self.read_only.is_empty()
        {
            problems.push(SpecProblem::new(
                "grants",
                "`grants`, `forbid`, `read_only` and `only_listed_paths` apply to a policy file; add `policy: FILE.hcl`",
            ));
        }
        if let Some(v) = &self.version
            && VersionReq::parse(v).is_none()
        {
            problems.push(
                SpecProblem::new("version", format!("`{v}` is not a version constraint"))
                    .hint("write e.g. `>=2.0`, `<1.15` or `=2.7.2`"),
            );
        }
        for s in &self.secrets {
            if s.path
                .trim_matches('/')
                .split('/')
                .filter(|p| !p.is_empty())
                .count()
                < 2
                && s.mount.is_none()
            {
                problems.push(
                    SpecProblem::new(
                        "secrets",
                        format!("secret path `{}` has no mount prefix", s.path),
                    )
                    .hint("write the path as the CLI does: secret/auth/jwt_secret"),
                );
            }
        }
        problems
    }

    fn targets(&self) -> Vec<&str> {
        self.target.as_deref().into_iter().collect()
    }

    fn schema() -> Option<schemars::Schema> {
        Some(super::spec_schema::<Self>())
    }

    async fn run(&self, cx: &RunContext) -> Outcome {
        let policy = |p: PathBuf| {
            let me = self.clone();
            cx.offload("the policy file", move |cx| me.run_policy(cx, &p))
        };
        if let Some(p) = &self.policy {
            return policy(p.clone()).await;
        }
        let conn = match self.connection(cx) {
            Ok(Source::Live(c)) => c,
            Ok(Source::Policy(p)) => return policy(p).await,
            Err(e) => return Outcome::error(e),
        };
        self.run_live(cx, conn).await
    }
}

enum Source {
    Live(Connection),
    Policy(PathBuf),
}

struct Connection {
    base: url::Url,
    endpoint: String,
    token: Option<String>,
    ca_file: Option<PathBuf>,
    insecure: bool,
}

impl VaultCheck {
    fn connection(&self, cx: &RunContext) -> Result<Source, String> {
        let (raw, token, ca_file, insecure) = match (&self.url, &self.target) {
            (Some(u), _) => (u.clone(), None, None, false),
            (None, Some(name)) => {
                let t = cx.target(name)?;
                match (&t.url, &t.path) {
                    (Some(u), _) => (
                        u.clone(),
                        t.token.clone().filter(|t| !t.is_empty()),
                        t.ca_file.clone(),
                        t.insecure,
                    ),
                    (None, Some(p)) => return Ok(Source::Policy(p.clone())),
                    (None, None) => {
                        return Err(format!(
                            "target `{name}` has no `url` (or `path` of a policy file)"
                        ));
                    }
                }
            }
            (None, None) => return Err("no `url`, `target` or `policy`".into()),
        };
        let raw = cx.expand(&raw);
        let base = url::Url::parse(&raw).map_err(|e| format!("invalid Vault address: {e}"))?;
        if !matches!(base.scheme(), "http" | "https") {
            return Err(format!(
                "Vault address must be http:// or https://, not {}://",
                base.scheme()
            ));
        }
        let endpoint = match (base.host_str(), base.port_or_known_default()) {
            (Some(h), Some(p)) => format!("{h}:{p}"),
            _ => return Err("Vault address has no host".into()),
        };
        Ok(Source::Live(Connection {
            base,
            endpoint,
            token: token.map(|t| cx.expand(&t)),
            ca_file,
            insecure,
        }))
    }

    fn run_policy(&self, cx: &RunContext, path: &std::path::Path) -> Outcome {
        match facts::read_policy(cx, path) {
            Ok(policy) => judge::policy(self, &policy, &cx.display_path(path)),
            Err(o) => *o,
        }
    }

    async fn run_live(&self, cx: &RunContext, conn: Connection) -> Outcome {
        crate::tls::install_provider();
        // Leave a little of the check's budget to report, rather than be cut off by the runner.
        let budget = cx
            .timeout
            .saturating_sub(Duration::from_millis(100))
            .max(Duration::from_millis(100));
        let api = match api::Api::new(&conn, budget) {
            Ok(a) => a,
            Err(e) => return Outcome::error(e),
        };
        match facts::from_live(self, cx, &api, &conn).await {
            Ok(facts) => judge::live(self, &facts, &conn),
            Err(o) => *o,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_validation_refuses_mixed_sources() {
        let node = marked_yaml::parse_yaml(
            0,
            "url: http://x:8200\npolicy: a.hcl\ngrants: {\"a\": [read]}\n",
        )
        .unwrap();
        let spec: VaultCheck = marked_yaml::from_node(&node).unwrap();
        assert!(!spec.validate().is_empty());
        let node =
            marked_yaml::parse_yaml(0, "url: http://x:8200\ngrants: {\"a\": [read]}\n").unwrap();
        let spec: VaultCheck = marked_yaml::from_node(&node).unwrap();
        assert_eq!(spec.validate()[0].field, "grants");
    }
}
