//! `env_file`: a `.env` file sets what production needs, nothing it must not,
//! and secrets that are real secrets.

use std::path::PathBuf;

use indexmap::IndexMap;
use serde::Deserialize;

pub(crate) use super::spec::{ValueRule, describe, mismatch};
use super::{CheckKind, Code, Outcome, RunContext, SpecProblem, check_regex};
use crate::domain::envfile::{EnvEntry, EnvFile};
use crate::report::Finding;

/// Values that are never real secrets: placeholders and well-known defaults.
pub(crate) const KNOWN_WEAK: &[&str] = &[
    "changeme",
    "change-me",
    "change_me",
    "password",
    "password123",
    "passw0rd",
    "secret",
    "minioadmin",
    "minioadmin123",
    "admin",
    "admin123",
    "root",
    "postgres",
    "redis",
    "test",
    "example",
    "default",
    "letmein",
    "12345678",
    "123456",
    "qwerty",
    "dev-root-token",
    "todo",
    "xxx",
];

/// What a `.env` file must and must not contain.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct EnvFileCheck {
    /// The file, relative to the deployment root.
    pub path: PathBuf,
    /// Keys that must be set (to a non-empty value).
    #[serde(default)]
    pub required: Vec<String>,
    /// Keys that must not be set at all.
    #[serde(default)]
    pub forbidden: Vec<String>,
    /// Expected values by key.
    #[serde(default)]
    pub values: IndexMap<String, ValueRule>,
    /// Secret-strength rules for keys matching a pattern.
    pub secrets: Option<SecretRule>,
}

/// Rules for secret values.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SecretRule {
    /// Keys this applies to (regex), default: names containing SECRET, PASSWORD, TOKEN or KEY.
    #[serde(default = "default_secret_keys")]
    pub keys: String,
    /// Minimum length in characters (default 16).
    #[serde(default = "default_min_length")]
    pub min_length: usize,
    /// Extra values to refuse besides the built-in list of defaults.
    #[serde(default)]
    pub deny: Vec<String>,
}

fn default_secret_keys() -> String {
    "(?i)(SECRET|PASSWORD|TOKEN|_KEY$)".to_string()
}
fn default_min_length() -> usize {
    16
}

impl CheckKind for EnvFileCheck {
    const NAME: &'static str = "env_file";
    // Only `support::fs`/`offload` and threads of its own (`support::par`):
    // 1,000 small files run in batches instead of one blocking-pool hop
    // each (~12 futex calls a check).
    const FILES_ONLY: bool = true;
    const SUMMARY: &'static str =
        "a .env file: required and forbidden keys, expected values, secret strength";
    const CODES: &'static [Code] = &[
        Code::fail("env_file/no-file", "the env file does not exist"),
        Code::fail(
            "env_file/syntax",
            "the file cannot be parsed as a `.env` file (the line is shown)",
        ),
        Code::fail(
            "env_file/missing",
            "a `required` key, or a key `values` names, is not set or is empty",
        ),
        Code::fail(
            "env_file/forbidden",
            "a `forbidden` key is set, at its line",
        ),
        Code::fail(
            "env_file/wrong-value",
            "a value differs from what `values` expects (shown, unless the key is a secret)",
        ),
        Code::fail(
            "env_file/weak-secret",
            "a secret is empty, a `<…>` placeholder or `${…}` left unexpanded, a well-known or framework default (`changeme`, `minioadmin`, `django-insecure-…`), one repeated character, or shorter than `min_length`",
        ),
    ];
    const DOCS: &'static str = r#"# env_file

## What it checks
A `.env` file of the deployment (quotes, `export`, comments and multi-line
values are understood): keys that must be set, keys that must not be set,
expected values, and that secrets are strong — long enough, not a placeholder
such as `<generated-secret>`, not a well-known default such as `changeme`,
`password`, `minioadmin` or `admin`.

## Why it matters
The checklist's `.env.production` ships with `<generated-secret>` placeholders,
MinIO's `minioadmin` default and a mock-data switch
(`NEXT_PUBLIC_USE_MOCK_DATA`) that must never reach production.

## Example
```yaml
- id: env.production
  kind: env_file
  title: .env.production is complete and safe
  severity: critical
  path: .env.production
  required: [SECRET_KEY, JWT_SECRET, POSTGRES_PASSWORD, REDIS_PASSWORD]
  forbidden: [NEXT_PUBLIC_USE_MOCK_DATA]
  values:
    ENVIRONMENT: production
    VAULT__ENABLED: {one_of: ["true", "1"]}
  secrets: {min_length: 24}
```

## Fields
| field | type | meaning |
|---|---|---|
| `path` | path | the `.env` file, relative to `--root` (required) |
| `required` | list | keys that must be set to a non-empty value |
| `forbidden` | list | keys that must not be set at all |
| `values` | map | per key: a string (equals), or `{equals}`, `{matches: regex}`, `{not_matches: regex}`, `{one_of: [..]}` |
| `secrets.keys` | regex | which keys hold secrets (default: names with SECRET, PASSWORD, TOKEN, or ending in _KEY) |
| `secrets.min_length` | number | minimum length (default 16) |
| `secrets.deny` | list | more values to refuse, besides the built-in defaults |

Secret values are never shown: findings name the key and the line, never the value.

## Findings
"#;

    fn validate(&self) -> Vec<SpecProblem> {
        let mut p = Vec::new();
        for rule in self.values.values() {
            if let ValueRule::Rule(r) = rule
                && let Some(m) = &r.matches
            {
                p.extend(check_regex("values", m));
            }
        }
        if let Some(s) = &self.secrets {
            p.extend(check_regex("secrets", &s.keys));
        }
        p
    }

    fn schema() -> Option<schemars::Schema> {
        Some(super::spec_schema::<Self>())
    }

    async fn run(&self, cx: &RunContext) -> Outcome {
        let shown = cx.display_path(&self.path);
        let full = cx.path(&self.path);
        let secret_re = self
            .secrets
            .as_ref()
            .and_then(|s| super::regex_cached(&s.keys, false).ok());
        let rule = self.secrets.as_ref().and_then(|s| KeyRule::new(&s.keys));
        let strength = self.secrets.clone();
        // Parsed, and scanned for secrets, off the async workers.
        let read = crate::support::offload::run(cx.timeout, move || {
            EnvFile::read(&full).map(|file| {
                let scan = scan(&file.entries, rule.as_ref(), strength.as_ref());
                (file, scan)
            })
        })
        .await;
        let Ok(read) = read else {
            return Outcome::error(format!(
                "{shown} not read within {}",
                humantime::format_duration(cx.timeout)
            ));
        };
        let (file, scan) = match read {
            Ok(f) => f,
            Err(e) if !cx.path(&self.path).exists() => {
                let _ = e;
                return Outcome::fail(format!("{shown} does not exist")).with_findings(vec![
                    Finding::new(format!("{shown} does not exist"))
                        .code("env_file/no-file")
                        .at_file(&shown),
                ]);
            }
            Err(e) => {
                let mut f = Finding::new(format!("{shown} cannot be parsed: {e}"))
                    .code("env_file/syntax")
                    .at_file(&shown);
                f.line = e.line;
                return Outcome::fail(f.message.clone()).with_findings(vec![f]);
            }
        };
        let by_rule = |k: &str| secret_re.as_ref().is_some_and(|r| r.is_match(k));
        let is_secret = |k: &str| by_rule(k) || crate::redact::looks_secret(k);
        let Scan { prepared, weak } = scan;
        cx.redactor.add_prepared(prepared);
        let at = |e: &EnvEntry, code: &str, msg: String| {
            Finding::new(msg).code(code).at(&shown, e.line, e.column)
        };
        let mut findings = Vec::new();
        for key in &self.required {
            match file.get(key) {
                None => findings.push(
                    Finding::new(format!("{key} is not set"))
                        .code("env_file/missing")
                        .at_file(&shown)
                        .hint(format!("add `{key}=…` to {shown}")),
                ),
                Some(e) if e.value.trim().is_empty() => {
                    findings.push(at(e, "env_file/missing", format!("{key} is empty")))
                }
                _ => {}
            }
        }
        for key in &self.forbidden {
            for e in file.entries.iter().filter(|e| &e.key == key) {
                findings.push(
                    at(
                        e,
                        "env_file/forbidden",
                        format!("{key} must not be set in production"),
                    )
                    .hint(format!("remove `{key}` from {shown}")),
                );
            }
        }
        for (key, rule) in &self.values {
            let Some(e) = file.get(key) else {
                findings.push(
                    Finding::new(format!("{key} is not set"))
                        .code("env_file/missing")
                        .at_file(&shown)
                        .expected_actual(describe(rule), "unset"),
                );
                continue;
            };
            if let Some(expected) = mismatch(rule, &e.value) {
                let actual = if is_secret(key) {
                    "(secret value)".to_string()
                } else {
                    format!("{:?}", e.value)
                };
                findings.push(
                    at(
                        e,
                        "env_file/wrong-value",
                        format!("{key} has the wrong value"),
                    )
                    .expected_actual(expected, actual),
                );
            }
        }
        for (i, problem) in weak {
            let e = &file.entries[i];
            findings.push(
                at(e, "env_file/weak-secret", format!("{} {problem}", e.key)).hint(
                    "generate one: python3 -c \"import secrets; print(secrets.token_urlsafe(32))\"",
                ),
            );
        }
        let outcome = Outcome::judged(
            findings,
            <EnvFileCheck as crate::kinds::CheckKind>::CODES,
            format!("{shown}: {} keys as expected", file.entries.len()),
        );
        // A large file's entries are ~200,000 allocations to free (25 M
        // instructions at 100,000 lines): freed on a thread of their own
        // while the run goes on.
        if file.entries.len() >= 2 * SCAN_CHUNK {
            let _ = std::thread::Builder::new()
                .name("readyctl-free".into())
                .spawn(move || drop(file));
        }
        outcome
    }
}

/// The `secrets.keys` pattern as the scan matches it against every key: the
/// same regex, without the literal prefilter `regex` sets up for it. A key
/// is a dozen bytes, and for `(?i)(SECRET|PASSWORD|TOKEN|_KEY$)` the
/// prefilter (Teddy, then Rabin-Karp) cost ~750 instructions a key, 74 M of
/// a 100,000-line file's scan; the lazy DFA alone reads the key once.
/// The prefilter only speeds a search, it never changes what matches
/// (`key_rule_matches_what_regex_matches`).
struct KeyRule(std::sync::Arc<regex_automata::meta::Regex>);

impl KeyRule {
    /// `None` when the pattern does not compile (validation said so at
    /// load). Compiled once per process (`support::regex`): every
    /// `env_file` check of a catalogue usually names the same rule.
    fn new(pattern: &str) -> Option<KeyRule> {
        crate::support::regex::cached_unfiltered(pattern).map(KeyRule)
    }

    /// A search cache for one thread (the regex's own pool takes its slow
    /// path on every call from a thread other than its owner).
    fn cache(&self) -> regex_automata::meta::Cache {
        self.0.create_cache()
    }

    /// With a thread's own cache, or (`None`) through the regex's pool:
    /// making a cache costs ~100,000 instructions, more than a small file's
    /// whole scan, so only the threads of a split scan make one.
    fn is_match(&self, cache: Option<&mut regex_automata::meta::Cache>, key: &str) -> bool {
        match cache {
            Some(c) => self
                .0
                .search_half_with(c, &regex_automata::Input::new(key).earliest(true))
                .is_some(),
            None => self.0.is_match(key),
        }
    }
}

/// Entries per thread when scanning a large file for secrets (below two
/// chunks, one thread: ~2 µs an entry).
const SCAN_CHUNK: usize = 8192;

/// What the secret rules make of a file's entries.
struct Scan {
    /// The values to mask: secret entries' values, and the DSN passwords
    /// and query tokens inside any value (`DATABASE_URL`).
    prepared: Vec<crate::redact::Prepared>,
    /// (entry index, why) for each secret by the check's rule that is weak
    /// by its `secrets` rule ([`weakness`]), in entry order.
    weak: Vec<(usize, String)>,
}

/// The secret scan of `entries`, split across the cores for a large file:
/// which keys name secrets, their values' masking forms, and which of them
/// `strength` (the check's `secrets`) finds weak.
fn scan(entries: &[EnvEntry], rule: Option<&KeyRule>, strength: Option<&SecretRule>) -> Scan {
    let parts = crate::support::par::map_chunks(entries, SCAN_CHUNK, |chunk| {
        let mut prepared = Vec::new();
        let mut weak = Vec::new();
        let split = entries.len() >= 2 * SCAN_CHUNK;
        let mut cache = rule.filter(|_| split).map(KeyRule::cache);
        for (i, e) in chunk.iter().enumerate() {
            let by_rule = rule.is_some_and(|r| r.is_match(cache.as_mut(), &e.key));
            let any = by_rule || crate::redact::looks_secret(&e.key);
            if any {
                prepared.extend(crate::redact::Prepared::new(e.value.clone()));
            }
            for s in crate::redact::secrets_in_text(&e.value) {
                prepared.extend(crate::redact::Prepared::new(s));
            }
            if by_rule && let Some(problem) = strength.and_then(|r| weakness(&e.value, r)) {
                weak.push((i, problem));
            }
        }
        (chunk.len(), prepared, weak)
    });
    let mut out = Scan {
        prepared: Vec::new(),
        weak: Vec::new(),
    };
    let mut base = 0;
    for (len, prepared, weak) in parts {
        out.weak
            .extend(weak.into_iter().map(|(i, problem)| (base + i, problem)));
        out.prepared.extend(prepared);
        base += len;
    }
    out
}

/// Why `value` is not a real secret, if it is not.
pub(crate) fn weakness(value: &str, rule: &SecretRule) -> Option<String> {
    let v = value.trim();
    if v.is_empty() {
        return Some("is empty".into());
    }
    if (v.starts_with('<') && v.ends_with('>'))
        || v.contains("${")
        || v.to_lowercase().contains("generated-secret")
    {
        return Some("is a placeholder, not a secret".into());
    }
    let lower = v.to_lowercase();
    if KNOWN_WEAK.contains(&lower.as_str()) || rule.deny.iter().any(|d| d == v) {
        return Some("is a well-known default value".into());
    }
    // Framework placeholders that pass a length rule: Django's generated
    // `django-insecure-…` key, `dev-…-change-me`, the FastAPI template's `changethis`.
    if lower.starts_with("django-insecure-")
        || [
            "changeme",
            "change-me",
            "change_me",
            "changethis",
            "change-this",
        ]
        .iter()
        .any(|p| lower.contains(p))
    {
        return Some("is a framework placeholder, not a secret".into());
    }
    if v.chars().count() < rule.min_length {
        return Some(format!(
            "is shorter than {} characters ({})",
            rule.min_length,
            v.chars().count()
        ));
    }
    if v.chars().all(|c| c == v.chars().next().unwrap_or(' ')) {
        return Some("is one character repeated".into());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Status;

    fn spec(yaml: &str) -> EnvFileCheck {
        let node = marked_yaml::parse_yaml(0, yaml).unwrap();
        marked_yaml::from_node(&node).unwrap()
    }

    fn write(dir: &tempfile::TempDir, text: &str) -> RunContext {
        std::fs::write(dir.path().join(".env"), text).unwrap();
        RunContext::for_root(dir.path())
    }

    /// The scan's key matcher answers as `regex` does, for the default
    /// rule and for patterns with anchors, classes, alternations and case
    /// folding, on keys of every shape the default rule cares about.
    #[test]
    fn key_rule_matches_what_regex_matches() {
        let patterns = [
            default_secret_keys(),
            "^(DB|REDIS)_PASS(WORD)?$".to_string(),
            "(?i)token|secret".to_string(),
            "_KEY$|^API".to_string(),
            r"(?i)\bpass\w*".to_string(),
        ];
        let keys = [
            "APP_KEY",
            "APP_KEY_000002",
            "SECRET_KEY",
            "secret_key",
            "JWT_SECRET",
            "DB_PASSWORD",
            "DB_PASS",
            "REDIS_PASS",
            "ACCESS_TOKEN",
            "token",
            "KEY",
            "_KEY",
            "MONKEY",
            "API_URL",
            "PASSWORD_FILE",
            "pAsSwOrD",
            "Ｓecret",
            "ſecret",
            "KEY_ID",
            "",
            "SERVICE",
            "DATABASE_URL",
            "passé",
        ];
        for p in &patterns {
            let reference = regex::Regex::new(p).unwrap();
            let rule = KeyRule::new(p).unwrap();
            let mut cache = rule.cache();
            for k in keys {
                let want = reference.is_match(k);
                assert_eq!(rule.is_match(Some(&mut cache), k), want, "{p} on {k:?}");
                assert_eq!(rule.is_match(None, k), want, "{p} on {k:?} (pool)");
            }
        }
        assert!(KeyRule::new("(").is_none());
    }

    /// A file scanned in several parts (more than `SCAN_CHUNK` entries a
    /// part) reports each weak secret at its own line, in file order, the
    /// same as a one-part scan of the same entries would.
    #[tokio::test]
    async fn weak_secrets_of_a_large_file_keep_their_lines() {
        let dir = tempfile::tempdir().unwrap();
        let n = 3 * SCAN_CHUNK + 17;
        let weak_at = [5, SCAN_CHUNK - 1, SCAN_CHUNK, 2 * SCAN_CHUNK + 3, n - 1];
        let mut text = String::new();
        for i in 0..n {
            if weak_at.contains(&i) {
                text.push_str(&format!("APP_SECRET_{i}=changeme\n"));
            } else if i % 3 == 0 {
                text.push_str(&format!(
                    "APP_SECRET_{i}=s3cr3t-{i:06}-9f2c7e1a4b8d3f6e0a5c\n"
                ));
            } else {
                text.push_str(&format!("APP_KEY_{i}=value-{i}\n"));
            }
        }
        let cx = write(&dir, &text);
        let o = spec("path: .env\nsecrets: {min_length: 16}\n")
            .run(&cx)
            .await;
        let lines: Vec<_> = o
            .findings
            .iter()
            .filter(|f| f.code.as_deref() == Some("env_file/weak-secret"))
            .map(|f| (f.line, f.message.split(' ').next().unwrap().to_string()))
            .collect();
        let want: Vec<_> = weak_at
            .iter()
            .map(|&i| (Some(i as u32 + 1), format!("APP_SECRET_{i}")))
            .collect();
        assert_eq!(lines, want);
    }

    #[tokio::test]
    async fn flags_forbidden_missing_and_wrong_values_with_lines() {
        let dir = tempfile::tempdir().unwrap();
        let cx = write(
            &dir,
            "ENVIRONMENT=staging\nNEXT_PUBLIC_USE_MOCK_DATA=true\n",
        );
        let o = spec("path: .env\nrequired: [SECRET_KEY]\nforbidden: [NEXT_PUBLIC_USE_MOCK_DATA]\nvalues: {ENVIRONMENT: production}\n")
            .run(&cx)
            .await;
        assert_eq!(o.status(), Status::Fail);
        let msgs: Vec<_> = o
            .findings
            .iter()
            .map(|f| (f.message.as_str(), f.line))
            .collect();
        assert!(msgs.contains(&("SECRET_KEY is not set", None)), "{msgs:?}");
        assert!(
            msgs.contains(&(
                "NEXT_PUBLIC_USE_MOCK_DATA must not be set in production",
                Some(2)
            )),
            "{msgs:?}"
        );
        assert!(
            msgs.contains(&("ENVIRONMENT has the wrong value", Some(1))),
            "{msgs:?}"
        );
    }

    #[tokio::test]
    async fn refuses_placeholders_defaults_and_short_secrets_without_showing_them() {
        let dir = tempfile::tempdir().unwrap();
        let cx = write(
            &dir,
            "SECRET_KEY=<generated-secret>\nMINIO_SECRET_KEY=minioadmin\nJWT_SECRET=shortish\nREDIS_PASSWORD=Zq8v3N1xK0pL7sT2wY5bC9dF\n",
        );
        let o = spec("path: .env\nsecrets: {}\n").run(&cx).await;
        assert_eq!(o.findings.len(), 3, "{:?}", o.findings);
        let all = format!("{:?}", o.findings);
        assert!(
            !all.contains("minioadmin") && !all.contains("shortish"),
            "secret leaked: {all}"
        );
        assert!(o.findings[0].message.contains("placeholder"));
        assert!(o.findings[1].message.contains("well-known default"));
        assert!(o.findings[2].message.contains("shorter than 16"));
    }

    #[tokio::test]
    async fn passes_a_good_file() {
        let dir = tempfile::tempdir().unwrap();
        let cx = write(
            &dir,
            "ENVIRONMENT=production\nSECRET_KEY=Zq8v3N1xK0pL7sT2wY5bC9dF\n",
        );
        let o = spec("path: .env\nrequired: [SECRET_KEY]\nvalues: {ENVIRONMENT: {one_of: [production]}}\nsecrets: {}\n")
            .run(&cx)
            .await;
        assert_eq!(o.status(), Status::Pass, "{:?}", o);
    }

    #[test]
    fn not_matches_is_enforced() {
        let rule: ValueRule = serde_json::from_str(r#"{"not_matches": "\\*"}"#).unwrap();
        assert!(mismatch(&rule, r#"["*"]"#).is_some());
        assert!(mismatch(&rule, r#"["api.example.com"]"#).is_none());
    }
}
