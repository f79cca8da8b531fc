//! What one source says: a live server's answers read into one [`Facts`]
//! ([`from_live`]), or a policy file parsed ([`read_policy`]). Reading
//! judges nothing; an answer that cannot be read (refused, timed out,
//! permission denied, a token refused) ends the check here with its reason.
//! Secret values are registered with the redactor as soon as they arrive
//! and only their lengths are kept.

use std::collections::HashMap;

use serde::Deserialize;
use serde_json::Value;

use super::api::{Api, api_errors};
use super::{Connection, SecretSpec, VaultCheck};
use crate::domain::policy::Policy;
use crate::kinds::{Outcome, RunContext};
use crate::report::Finding;

/// What a live server answered, for [`super::judge::live`].
pub(super) struct Facts {
    /// `GET /v1/sys/seal-status`.
    pub(crate) seal: SealStatus,
    /// `GET /v1/sys/health` (not asked when sealed or uninitialised; `None`
    /// also when the answer was not a health status).
    pub(crate) health: Option<Health>,
    /// The token's policies (`auth/token/lookup-self`), when there is a token.
    pub(crate) token_policies: Option<Vec<String>>,
    /// The `kv_v2` mount's entry in the mount table (`None` inside: nothing mounted).
    pub(crate) kv_mount: Option<Option<Value>>,
    /// One per `secrets` entry, in order.
    pub(crate) secrets: Vec<SecretRead>,
}

/// One secret as read: its key lengths, or not found.
pub(super) struct SecretRead {
    /// `mount/path`, for messages.
    pub(crate) shown: String,
    /// Key → value length (characters); `None`: no such secret.
    pub(crate) keys: Option<HashMap<String, usize>>,
}

/// `GET /v1/sys/seal-status`: answered with 200 in every state.
#[derive(Debug, Clone, Deserialize)]
pub(super) struct SealStatus {
    /// Initialised.
    pub(crate) initialized: bool,
    /// Sealed.
    pub(crate) sealed: bool,
    /// Unseal threshold.
    #[serde(default)]
    pub(crate) t: u32,
    /// Number of key shares.
    #[serde(default)]
    pub(crate) n: u32,
    /// Unseal keys provided so far.
    #[serde(default)]
    pub(crate) progress: u32,
    /// Server version.
    pub(crate) version: Option<String>,
}

/// `GET /v1/sys/health?standbyok=true&sealedcode=200&uninitcode=200`.
#[derive(Debug, Clone, Deserialize)]
pub(super) struct Health {
    /// Standby flag. A sealed server says `true` here without being an HA standby.
    #[serde(default)]
    pub(crate) standby: bool,
    /// Performance standby (Vault Enterprise).
    #[serde(default)]
    pub(crate) performance_standby: bool,
}

/// Asks the server what the expectations need: the seal status always;
/// behind the seal, the HA role, and with a token the token, the `kv_v2`
/// mount and the secrets.
pub(super) async fn from_live(
    check: &VaultCheck,
    cx: &RunContext,
    api: &Api,
    conn: &Connection,
) -> Result<Facts, Box<Outcome>> {
    let fail = |e: String| Box::new(Outcome::fail(e));
    // Seal status answers 200 in every state; health adds standby.
    let seal: SealStatus = match api.get_json("/v1/sys/seal-status", None).await {
        Ok((status, v)) => match serde_json::from_value(v) {
            Ok(s) => s,
            Err(_) => {
                return Err(fail(format!(
                    "{}: GET /v1/sys/seal-status answered HTTP {status} without a seal status; is this a Vault or OpenBao address?",
                    conn.endpoint
                )));
            }
        },
        Err(e) => return Err(fail(e)),
    };
    let mut facts = Facts {
        seal,
        health: None,
        token_policies: None,
        kv_mount: None,
        secrets: Vec::new(),
    };
    if facts.seal.sealed || !facts.seal.initialized {
        // Nothing behind the seal can be asked; standby and tokens are meaningless.
        return Ok(facts);
    }

    let query = [
        ("standbyok", "true"),
        ("sealedcode", "200"),
        ("uninitcode", "200"),
        ("perfstandbyok", "true"),
    ];
    facts.health = match api.get_json_query("/v1/sys/health", &query).await {
        Ok((_, v)) => serde_json::from_value::<Health>(v).ok(),
        Err(e) => return Err(fail(e)),
    };

    let needs_token = check.production || check.kv_v2.is_some() || !check.secrets.is_empty();
    let Some(token) = conn.token.as_deref() else {
        if needs_token {
            return Err(Box::new(Outcome::error(
                "`production`, `kv_v2` and `secrets` need a token: use a target with `token:` (e.g. token: ${VAULT_TOKEN})",
            )));
        }
        return Ok(facts);
    };
    cx.redactor.add(token);

    // Token valid.
    match api
        .get_json("/v1/auth/token/lookup-self", Some(token))
        .await
    {
        Ok((200, v)) => {
            facts.token_policies = Some(
                v.pointer("/data/policies")
                    .and_then(Value::as_array)
                    .map(|a| {
                        a.iter()
                            .filter_map(|p| p.as_str().map(str::to_owned))
                            .collect()
                    })
                    .unwrap_or_default(),
            );
        }
        Ok((403, _)) => {
            return Err(fail(format!(
                "{}: permission denied: the token was refused (invalid, expired or revoked)",
                conn.endpoint
            )));
        }
        Ok((status, v)) => {
            return Err(fail(format!(
                "{}: token lookup answered HTTP {status}{}",
                conn.endpoint,
                api_errors(&v)
            )));
        }
        Err(e) => return Err(fail(e)),
    }

    if let Some(mount) = &check.kv_v2 {
        facts.kv_mount = Some(kv_mount(api, token, mount).await.map_err(fail)?);
    }
    for s in &check.secrets {
        facts
            .secrets
            .push(read_secret(api, cx, token, s).await.map_err(fail)?);
    }
    Ok(facts)
}

/// The mount table's entry for `mount` (`None`: nothing is mounted there).
async fn kv_mount(api: &Api, token: &str, mount: &str) -> Result<Option<Value>, String> {
    let m = mount.trim_matches('/');
    let (status, v) = api.get_json("/v1/sys/mounts", Some(token)).await?;
    Ok(match status {
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
    })
}

/// Reads one secret. Every string value is registered with the redactor
/// before anything else; values are only measured.
async fn read_secret(
    api: &Api,
    cx: &RunContext,
    token: &str,
    s: &SecretSpec,
) -> Result<SecretRead, String> {
    let (mount, rest) = split_secret_path(&s.path, s.mount.as_deref());
    let shown = format!("{mount}/{rest}");
    let (status, mut v) = api
        .get_json(&format!("/v1/{mount}/data/{rest}"), Some(token))
        .await?;
    let data = v.pointer_mut("/data/data").map(Value::take);
    if let Some(d) = &data {
        register_strings(d, cx);
    }
    let keys = match (status, data) {
        (200, Some(Value::Object(map))) => Some(
            map.iter()
                .map(|(k, value)| (k.clone(), value_len(value)))
                .collect(),
        ),
        (200, _) | (404, _) => None,
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
    };
    Ok(SecretRead { shown, keys })
}

/// Reads and parses a policy file; a missing file fails, one Vault would
/// not parse is an `error` at its line.
pub(super) fn read_policy(cx: &RunContext, path: &std::path::Path) -> Result<Policy, Box<Outcome>> {
    let shown = cx.display_path(path);
    let full = cx.path(path);
    if !full.exists() {
        return Err(Box::new(Outcome::fail(format!("policy file {shown} does not exist"))
            .with_findings(vec![
                Finding::new(format!("policy file {shown} does not exist"))
                    .code("vault/policy-file")
                    .at_file(&shown)
                    .expected_actual("a policy file", "missing")
                    .hint("write the policy (HCL `path \"…\" { capabilities = [...] }` blocks) where the compose file mounts it"),
            ])));
    }
    Policy::read(&full).map_err(|e| {
        let mut f = Finding::new(format!("{shown}: {}", e.message))
            .code("vault/policy-syntax")
            .at_file(&shown);
        f.line = e.line;
        f.column = e.column;
        Box::new(Outcome::error(format!("{shown}: {}", e.message)).with_findings(vec![f]))
    })
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

#[cfg(test)]
mod tests {
    use super::*;

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
