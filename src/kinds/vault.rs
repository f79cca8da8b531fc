//! `vault`: a Vault or OpenBao server is initialised, unsealed and holds what
//! the application needs — or, from a policy file, a policy grants exactly the
//! expected capabilities.
//!
//! Live checks speak the HTTP API with reqwest rather than vaultrs: vaultrs
//! 0.8's `sys::health`/`sys::status` fail to deserialize OpenBao 2.7's answers
//! and it has no seal-status call, and one reqwest client gives every request
//! the same timeout, CA file and error classification (refused / timed out /
//! permission denied / sealed) while keeping the HTTP status that tells 403
//! from 404. Secret values are read only to measure them: each one is
//! registered with the redactor at once and never formatted.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use indexmap::IndexMap;
use serde::Deserialize;
use serde_json::Value;

use super::{CheckKind, Code, Outcome, RunContext, SpecProblem};
use crate::domain::policy::{Policy, READ_ONLY_CAPABILITIES, covers_mount};
use crate::report::Finding;

/// A Vault/OpenBao check: live (`url` or `target`) or from a policy file (`policy`).
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VaultCheck {
    /// The server's address (`http://127.0.0.1:8200`), or use `target`.
    pub url: Option<String>,
    /// A catalogue target with `url` (and optionally `token`, `ca_file`, `insecure`),
    /// or with `path` naming a policy file.
    pub target: Option<String>,
    /// A policy file (HCL), relative to the deployment root: file source.
    pub policy: Option<PathBuf>,

    /// Must be initialised (default true).
    #[serde(default = "yes")]
    pub initialized: bool,
    /// Must be sealed or not (default false: must be unsealed).
    #[serde(default)]
    pub sealed: bool,
    /// `true`: must be a standby; `false`: must be the active node; unset: either.
    pub standby: Option<bool>,
    /// Server version constraint, e.g. `>=2.0`.
    #[schemars(with = "Option<super::Scalar>")]
    pub version: Option<String>,
    /// Production: the token must not be a root token.
    #[serde(default)]
    pub production: bool,
    /// A KV version 2 engine must be mounted at this path (e.g. `secret`).
    pub kv_v2: Option<String>,
    /// Secrets that must exist, with their required keys.
    #[serde(default)]
    pub secrets: Vec<SecretSpec>,

    /// Policy file: path → the exact capabilities it must grant there.
    #[serde(default)]
    pub grants: IndexMap<String, Vec<String>>,
    /// Policy file: capabilities no path may grant (e.g. `sudo`).
    #[serde(default)]
    pub forbid: Vec<String>,
    /// Policy file: refuse paths not listed in `grants`.
    #[serde(default)]
    pub only_listed_paths: bool,
    /// Policy file: secrets mounts (`secret`) on which the policy is read-only —
    /// every path it grants there has only `read`/`list` (or `deny`), and some
    /// path there grants `read`.
    #[serde(default)]
    pub read_only: Vec<String>,
}

/// A KV v2 secret that must exist.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SecretSpec {
    /// Path as the CLI writes it, mount first: `secret/auth/jwt_secret`.
    pub path: String,
    /// The KV v2 mount (default: the first segment of `path`).
    pub mount: Option<String>,
    /// Keys the secret must hold, each with a non-empty value.
    #[serde(default)]
    pub keys: Vec<String>,
    /// Minimum length of each required key's value, in characters.
    pub min_length: Option<usize>,
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
        let shown = cx.display_path(path);
        let full = cx.path(path);
        if !full.exists() {
            return Outcome::fail(format!("policy file {shown} does not exist"))
                .with_findings(vec![
                    Finding::new(format!("policy file {shown} does not exist"))
                        .code("vault/policy-file")
                        .at_file(&shown)
                        .expected_actual("a policy file", "missing")
                        .hint("write the policy (HCL `path \"…\" { capabilities = [...] }` blocks) where the compose file mounts it"),
                ]);
        }
        let policy = match Policy::read(&full) {
            Ok(p) => p,
            Err(e) => {
                let mut f = Finding::new(format!("{shown}: {}", e.message))
                    .code("vault/policy-syntax")
                    .at_file(&shown);
                f.line = e.line;
                f.column = e.column;
                return Outcome::error(format!("{shown}: {}", e.message)).with_findings(vec![f]);
            }
        };
        let mut findings = evaluate_policy(
            &policy,
            &shown,
            &self.grants,
            &self.forbid,
            self.only_listed_paths,
        );
        findings.extend(evaluate_read_only(&policy, &shown, &self.read_only));
        let mut what = Vec::new();
        if !self.grants.is_empty() {
            what.push(format!(
                "grants exactly what is expected on {} path(s)",
                self.grants.len()
            ));
        }
        for m in &self.read_only {
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
        let mut out = Outcome::from_findings(findings, format!("{shown} {}", what.join("; ")));
        // The summary line names the place; the findings carry it as fields.
        if let Some(at) = out.findings.first().and_then(Finding::location) {
            let at = at.trim_end_matches(":1").to_string();
            out.message = format!("{at}: {}", out.message);
        }
        out
    }

    async fn run_live(&self, cx: &RunContext, conn: Connection) -> Outcome {
        crate::tls::install_provider();
        // Leave a little of the check's budget to report, rather than be cut off by the runner.
        let budget = cx
            .timeout
            .saturating_sub(Duration::from_millis(100))
            .max(Duration::from_millis(100));
        let api = match Api::new(&conn, budget) {
            Ok(a) => a,
            Err(e) => return Outcome::error(e),
        };
        let mut findings = Vec::new();
        let mut notes = Vec::new();

        // Seal status answers 200 in every state; health adds standby.
        let seal: SealStatus = match api.get_json("/v1/sys/seal-status", None).await {
            Ok((status, v)) => match serde_json::from_value(v) {
                Ok(s) => s,
                Err(_) => {
                    return Outcome::fail(format!(
                        "{}: GET /v1/sys/seal-status answered HTTP {status} without a seal status; is this a Vault or OpenBao address?",
                        conn.endpoint
                    ));
                }
            },
            Err(e) => return Outcome::fail(e),
        };
        let state = describe_seal(&seal);
        if self.initialized && !seal.initialized {
            findings.push(
                Finding::new(format!("{}: {state}", conn.endpoint))
                    .code("vault/not-initialised")
                    .expected_actual("initialised", "not initialised")
                    .hint("run `bao operator init` (or `vault operator init`) and store the unseal keys safely"),
            );
        } else if seal.initialized && seal.sealed != self.sealed {
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
        if let (Some(req), Some(v)) = (self.version.as_deref(), seal.version.as_deref())
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
            // Nothing behind the seal can be asked; standby and tokens are meaningless.
            return finish(findings, notes, &conn, state);
        }

        let query = [
            ("standbyok", "true"),
            ("sealedcode", "200"),
            ("uninitcode", "200"),
            ("perfstandbyok", "true"),
        ];
        let role = match api.get_json_query("/v1/sys/health", &query).await {
            Ok((_, v)) => serde_json::from_value::<Health>(v).ok(),
            Err(e) => return Outcome::fail(e),
        };
        if let Some(h) = &role {
            let standby = node_is_standby(&seal, h);
            notes.push(if standby { "standby" } else { "active" }.to_string());
            if let Some(want) = self.standby
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

        let needs_token = self.production || self.kv_v2.is_some() || !self.secrets.is_empty();
        let Some(token) = conn.token.as_deref() else {
            if needs_token {
                return Outcome::error(
                    "`production`, `kv_v2` and `secrets` need a token: use a target with `token:` (e.g. token: ${VAULT_TOKEN})",
                );
            }
            return finish(findings, notes, &conn, state);
        };
        cx.redactor.add(token);

        // Token valid.
        match api
            .get_json("/v1/auth/token/lookup-self", Some(token))
            .await
        {
            Ok((200, v)) => {
                let policies: Vec<String> = v
                    .pointer("/data/policies")
                    .and_then(Value::as_array)
                    .map(|a| {
                        a.iter()
                            .filter_map(|p| p.as_str().map(str::to_owned))
                            .collect()
                    })
                    .unwrap_or_default();
                if self.production && policies.iter().any(|p| p == "root") {
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
            }
            Ok((403, _)) => {
                return Outcome::fail(format!(
                    "{}: permission denied: the token was refused (invalid, expired or revoked)",
                    conn.endpoint
                ));
            }
            Ok((status, v)) => {
                return Outcome::fail(format!(
                    "{}: token lookup answered HTTP {status}{}",
                    conn.endpoint,
                    api_errors(&v)
                ));
            }
            Err(e) => return Outcome::fail(e),
        }

        if let Some(mount) = &self.kv_v2 {
            match self.check_kv2_mount(&api, token, mount).await {
                Ok(Some(f)) => findings.push(f),
                Ok(None) => {}
                Err(e) => return Outcome::fail(e),
            }
        }
        for s in &self.secrets {
            match check_secret(&api, cx, token, s).await {
                Ok(mut f) => findings.append(&mut f),
                Err(e) => return Outcome::fail(e),
            }
        }
        if !self.secrets.is_empty() {
            notes.push(format!("{} secret(s) present", self.secrets.len()));
        }
        finish(findings, notes, &conn, state)
    }

    async fn check_kv2_mount(
        &self,
        api: &Api,
        token: &str,
        mount: &str,
    ) -> Result<Option<Finding>, String> {
        let m = mount.trim_matches('/');
        let (status, v) = api.get_json("/v1/sys/mounts", Some(token)).await?;
        let info = match status {
            200 => {
                let table = v.get("data").unwrap_or(&v);
                table.get(format!("{m}/")).cloned()
            }
            // A token without access to sys/mounts may still see its own mounts.
            403 => {
                let (status, v) = api
                    .get_json(&format!("/v1/sys/internal/ui/mounts/{m}"), Some(token))
                    .await?;
                match status {
                    200 => v.get("data").cloned(),
                    403 => {
                        return Err(format!(
                            "{}: permission denied reading sys/mounts and the `{m}` mount (HTTP 403); give the token `read` on sys/mounts",
                            api.endpoint
                        ));
                    }
                    _ => None,
                }
            }
            other => {
                return Err(format!(
                    "{}: sys/mounts answered HTTP {other}{}",
                    api.endpoint,
                    api_errors(&v)
                ));
            }
        };
        Ok(match info {
            None => Some(
                Finding::new(format!(
                    "no secrets engine is mounted at `{m}/`; expected KV v2"
                ))
                .code("vault/kv-engine")
                .expected_actual(format!("kv v2 at {m}/"), "nothing mounted")
                .hint(format!("bao secrets enable -path={m} kv-v2")),
            ),
            Some(info) => {
                let kind = info.get("type").and_then(Value::as_str).unwrap_or("?");
                let version = info
                    .pointer("/options/version")
                    .and_then(Value::as_str)
                    .unwrap_or("1");
                if kind == "kv" && version == "2" {
                    None
                } else {
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
            }
        })
    }
}

/// Reads one secret and checks its keys. Every string value is registered
/// with the redactor before anything else; values are only measured.
async fn check_secret(
    api: &Api,
    cx: &RunContext,
    token: &str,
    s: &SecretSpec,
) -> Result<Vec<Finding>, String> {
    let (mount, rest) = split_secret_path(&s.path, s.mount.as_deref());
    let shown = format!("{mount}/{rest}");
    let (status, mut v) = api
        .get_json(&format!("/v1/{mount}/data/{rest}"), Some(token))
        .await?;
    let data = v.pointer_mut("/data/data").map(Value::take);
    if let Some(d) = &data {
        register_strings(d, cx);
    }
    let mut findings = Vec::new();
    match (status, data) {
        (200, Some(Value::Object(map))) => {
            for key in &s.keys {
                match map.get(key) {
                    None => findings.push(
                        Finding::new(format!("secret {shown} has no key `{key}`"))
                            .code("vault/secret-key-missing")
                            .expected_actual(format!("key `{key}`"), "absent")
                            .hint(format!("bao kv patch {shown} {key}=...")),
                    ),
                    Some(value) => {
                        let len = value_len(value);
                        if len == 0 {
                            findings.push(
                                Finding::new(format!("secret {shown} key `{key}` is empty"))
                                    .code("vault/secret-key-empty")
                                    .expected_actual("a non-empty value", "empty"),
                            );
                        } else if let Some(min) = s.min_length
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
        (200, _) | (404, _) => findings.push(
            Finding::new(format!("secret {shown} not found"))
                .code("vault/secret-missing")
                .expected_actual("a stored secret", "not found (or deleted)")
                .hint(format!(
                    "bao kv put {shown} {}=...",
                    s.keys.first().map_or("value", String::as_str)
                )),
        ),
        (403, _) => {
            return Err(format!(
                "{}: permission denied reading secret {shown} (HTTP 403): the token has no policy granting read on {mount}/data/{rest}",
                api.endpoint
            ));
        }
        (503, _) => {
            return Err(format!(
                "{}: sealed (HTTP 503 reading {shown})",
                api.endpoint
            ));
        }
        (other, _) => {
            return Err(format!(
                "{}: reading secret {shown} answered HTTP {other}",
                api.endpoint
            ));
        }
    }
    Ok(findings)
}

/// Splits `secret/auth/jwt_secret` into mount and path inside it.
fn split_secret_path<'a>(path: &'a str, mount: Option<&'a str>) -> (&'a str, &'a str) {
    let path = path.trim_matches('/');
    if let Some(m) = mount {
        let m = m.trim_matches('/');
        let rest = path
            .strip_prefix(m)
            .map_or(path, |r| r.trim_start_matches('/'));
        return (m, rest);
    }
    path.split_once('/').unwrap_or((path, ""))
}

fn value_len(v: &Value) -> usize {
    match v {
        Value::Null => 0,
        Value::String(s) => s.chars().count(),
        other => other.to_string().chars().count(),
    }
}

fn register_strings(v: &Value, cx: &RunContext) {
    match v {
        Value::String(s) => cx.redactor.add(s.clone()),
        Value::Array(a) => a.iter().for_each(|x| register_strings(x, cx)),
        Value::Object(m) => m.values().for_each(|x| register_strings(x, cx)),
        Value::Number(n) => cx.redactor.add(n.to_string()),
        _ => {}
    }
}

fn finish(findings: Vec<Finding>, notes: Vec<String>, conn: &Connection, state: String) -> Outcome {
    let mut summary = format!("{}: {state}", conn.endpoint);
    for n in &notes {
        summary.push_str(", ");
        summary.push_str(n);
    }
    let out = Outcome::from_findings(findings, summary);
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

/// `GET /v1/sys/seal-status`: answered with 200 in every state.
#[derive(Debug, Clone, Deserialize)]
pub struct SealStatus {
    /// Initialised.
    pub initialized: bool,
    /// Sealed.
    pub sealed: bool,
    /// Unseal threshold.
    #[serde(default)]
    pub t: u32,
    /// Number of key shares.
    #[serde(default)]
    pub n: u32,
    /// Unseal keys provided so far.
    #[serde(default)]
    pub progress: u32,
    /// Server version.
    pub version: Option<String>,
    /// Storage backend.
    pub storage_type: Option<String>,
}

/// `GET /v1/sys/health?standbyok=true&sealedcode=200&uninitcode=200`.
#[derive(Debug, Clone, Deserialize)]
pub struct Health {
    /// Standby flag. A sealed server says `true` here without being an HA standby.
    #[serde(default)]
    pub standby: bool,
    /// Performance standby (Vault Enterprise).
    #[serde(default)]
    pub performance_standby: bool,
}

/// Whether the node is an HA standby. A sealed or uninitialised server
/// reports `standby: true` in its health answer; that is not a standby.
pub fn node_is_standby(seal: &SealStatus, health: &Health) -> bool {
    seal.initialized && !seal.sealed && (health.standby || health.performance_standby)
}

/// One plain line about the seal state.
pub fn describe_seal(s: &SealStatus) -> String {
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
pub fn evaluate_policy(
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
pub fn evaluate_read_only(policy: &Policy, file: &str, mounts: &[String]) -> Vec<Finding> {
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

/// A version constraint: `>=2.0`, `<1.15`, `=2.7.2` (a bare version means `=`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionReq {
    op: &'static str,
    version: Vec<u64>,
}

impl VersionReq {
    /// Parses a constraint; `None` when malformed.
    pub fn parse(s: &str) -> Option<VersionReq> {
        let s = s.trim();
        let (op, rest) = [">=", "<=", "==", ">", "<", "="]
            .iter()
            .find_map(|op| s.strip_prefix(op).map(|r| (*op, r)))
            .unwrap_or(("=", s));
        let version = parse_version(rest.trim())?;
        Some(VersionReq {
            op: if op == "==" { "=" } else { op },
            version,
        })
    }

    /// Whether `actual` (e.g. `2.7.2`, `1.15.0+ent`) satisfies the constraint.
    pub fn matches(&self, actual: &str) -> bool {
        let Some(a) = parse_version(actual) else {
            return false;
        };
        let len = a.len().max(self.version.len());
        let pad = |v: &[u64]| {
            let mut v = v.to_vec();
            v.resize(len, 0);
            v
        };
        let ord = if self.op == "=" {
            // `=2.7` accepts 2.7.x.
            pad(&a[..a.len().min(self.version.len())]).cmp(&pad(&self.version))
        } else {
            pad(&a).cmp(&pad(&self.version))
        };
        use std::cmp::Ordering::*;
        match self.op {
            ">=" => ord != Less,
            "<=" => ord != Greater,
            ">" => ord == Greater,
            "<" => ord == Less,
            _ => ord == Equal,
        }
    }
}

fn parse_version(s: &str) -> Option<Vec<u64>> {
    let s = s.trim_start_matches('v');
    let core = s.split(['-', '+', ' ']).next()?;
    let parts: Option<Vec<u64>> = core.split('.').map(|p| p.parse().ok()).collect();
    parts.filter(|p| !p.is_empty())
}

/// The HTTP side: one client, one deadline, plain error reasons.
struct Api {
    client: reqwest::Client,
    base: url::Url,
    endpoint: String,
    budget: Duration,
    deadline: Instant,
}

impl Api {
    fn new(conn: &Connection, budget: Duration) -> Result<Api, String> {
        let mut builder = reqwest::Client::builder()
            // Shorter than the budget, so a connect that hangs is reported as such
            // and a connection that answers nothing is told apart.
            .connect_timeout(budget.mul_f32(0.8))
            .redirect(reqwest::redirect::Policy::none());
        let mut extra = Vec::new();
        if let Some(ca) = &conn.ca_file {
            use rustls_pki_types::pem::PemObject;
            let pem = crate::support::fs::read_pem(ca)
                .map_err(|e| format!("cannot read ca_file {}: {e}", ca.display()))?;
            extra = rustls_pki_types::CertificateDer::pem_slice_iter(&pem)
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| {
                    format!(
                        "ca_file {} holds no usable PEM certificate: {e}",
                        ca.display()
                    )
                })?;
        }
        // One trust store per process, not one per check (crate::tls).
        builder = if conn.insecure {
            builder.tls_danger_accept_invalid_certs(true)
        } else {
            builder.tls_backend_preconfigured(crate::tls::http_client_config(extra)?)
        };
        let client = builder
            .build()
            .map_err(|e| format!("cannot build HTTP client: {e}"))?;
        Ok(Api {
            client,
            base: conn.base.clone(),
            endpoint: conn.endpoint.clone(),
            budget,
            deadline: Instant::now() + budget,
        })
    }

    async fn get_json(&self, path: &str, token: Option<&str>) -> Result<(u16, Value), String> {
        self.request(path, &[], token).await
    }

    async fn get_json_query(
        &self,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<(u16, Value), String> {
        self.request(path, query, None).await
    }

    async fn request(
        &self,
        path: &str,
        query: &[(&str, &str)],
        token: Option<&str>,
    ) -> Result<(u16, Value), String> {
        let mut url = self.base.clone();
        let prefix = url.path().trim_end_matches('/').to_string();
        url.set_path(&format!("{prefix}{path}"));
        let mut req = self.client.get(url).query(query);
        if let Some(t) = token {
            req = req.header("X-Vault-Token", t);
        }
        let remaining = self.deadline.saturating_duration_since(Instant::now());
        let budget = humantime::format_duration(round_ms(self.budget));
        let attempt = tokio::time::timeout(remaining, async {
            let resp = req.send().await?;
            let status = resp.status().as_u16();
            // Bounded while reading: an endless body costs at most the limit.
            let body =
                crate::support::limit::body(resp, crate::support::limit::MAX_BODY_BYTES).await?;
            Ok::<_, reqwest::Error>((status, body))
        })
        .await;
        let (status, bytes) = match attempt {
            Err(_) => {
                return Err(format!(
                    "{}: timed out after {budget}: connected, but no HTTP answer to GET {path}",
                    self.endpoint
                ));
            }
            Ok(Err(e)) => return Err(describe_http_error(&self.endpoint, path, &e, &budget)),
            Ok(Ok(r)) => r,
        };
        if bytes.truncated {
            return Err(format!(
                "{}: the answer to GET {path} is larger than {}; not read further",
                self.endpoint,
                crate::support::fs::human_bytes(crate::support::limit::MAX_BODY_BYTES as u64)
            ));
        }
        let value = serde_json::from_slice(&bytes.bytes).unwrap_or(Value::Null);
        if status == 503 && path != "/v1/sys/seal-status" && is_sealed_answer(&value) {
            return Err(format!(
                "{}: sealed (HTTP 503 to GET {path})",
                self.endpoint
            ));
        }
        Ok((status, value))
    }
}

fn round_ms(d: Duration) -> Duration {
    Duration::from_millis(u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

fn is_sealed_answer(v: &Value) -> bool {
    v.get("errors").and_then(Value::as_array).is_some_and(|e| {
        e.iter()
            .any(|m| m.as_str().is_some_and(|s| s.contains("sealed")))
    })
}

fn api_errors(v: &Value) -> String {
    match v.get("errors").and_then(Value::as_array) {
        Some(e) if !e.is_empty() => {
            let msgs: Vec<&str> = e.iter().filter_map(Value::as_str).collect();
            format!(": {}", msgs.join("; "))
        }
        _ => String::new(),
    }
}

/// A plain reason for a failed HTTP request, without the URL's query or any header.
fn describe_http_error(
    endpoint: &str,
    path: &str,
    e: &reqwest::Error,
    budget: &impl std::fmt::Display,
) -> String {
    let io = io_kind(e);
    if e.is_connect() {
        if e.is_timeout() || io == Some(std::io::ErrorKind::TimedOut) {
            return format!("{endpoint}: connect timed out after {budget}");
        }
        if io == Some(std::io::ErrorKind::ConnectionRefused) {
            return format!("{endpoint}: connection refused (nothing listens there)");
        }
        if let Some(tls) = tls_reason(e) {
            return format!("{endpoint}: TLS handshake failed: {tls}");
        }
        let chain = error_chain(e);
        if chain.contains("dns error") || chain.contains("failed to lookup") {
            return format!("{endpoint}: host name does not resolve");
        }
        return format!("{endpoint}: cannot connect: {chain}");
    }
    if e.is_timeout() {
        return format!("{endpoint}: timed out after {budget} waiting for GET {path}");
    }
    if let Some(reason) = super::http_client::protocol_reason(e) {
        return format!("{endpoint}: GET {path} failed: {reason}");
    }
    format!("{endpoint}: GET {path} failed: {}", error_chain(e))
}

fn io_kind(e: &(dyn std::error::Error + 'static)) -> Option<std::io::ErrorKind> {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            return Some(io.kind());
        }
        cur = err.source();
    }
    None
}

fn tls_reason(e: &(dyn std::error::Error + 'static)) -> Option<String> {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        if let Some(r) = err.downcast_ref::<rustls::Error>() {
            return Some(match r {
                rustls::Error::InvalidCertificate(c) => {
                    format!("certificate not accepted ({c:?}); give the CA with `ca_file:`")
                }
                other => other.to_string(),
            });
        }
        cur = err.source();
    }
    None
}

fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = Vec::new();
    let mut cur = e.source();
    while let Some(err) = cur {
        parts.push(err.to_string());
        cur = err.source();
    }
    if parts.is_empty() {
        // reqwest's own Display names the URL; ours never does.
        "request failed".to_string()
    } else {
        parts.join(": ")
    }
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
    fn version_constraints() {
        let r = VersionReq::parse(">=2.0").unwrap();
        assert!(r.matches("2.7.2"));
        assert!(r.matches("v2.0"));
        assert!(!r.matches("1.15.0+ent"));
        assert!(VersionReq::parse("=2.7").unwrap().matches("2.7.2"));
        assert!(!VersionReq::parse("<2.7.2").unwrap().matches("2.7.2"));
        assert!(VersionReq::parse("2.x").is_none());
    }

    #[test]
    fn splits_secret_paths() {
        assert_eq!(
            split_secret_path("secret/auth/jwt_secret", None),
            ("secret", "auth/jwt_secret")
        );
        assert_eq!(
            split_secret_path("/kv/app/one/x", Some("kv/app")),
            ("kv/app", "one/x")
        );
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

    #[tokio::test]
    async fn secret_values_are_registered_with_the_redactor() {
        let cx = RunContext::for_root(".");
        let v: Value =
            serde_json::from_str(r#"{"value":"super-secret-jwt-value","n":[12345]}"#).unwrap();
        register_strings(&v, &cx);
        assert_eq!(
            cx.redactor.mask("x super-secret-jwt-value y 12345"),
            "x **** y ****"
        );
    }
}
