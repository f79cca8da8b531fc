//! Masking of secrets in everything readyctl writes.
//!
//! Two mechanisms, applied together by [`Redactor::mask`]:
//! - known values: every value the catalogue marks secret, every value
//!   interpolated from a secret-looking variable, every value a check reads from
//!   a secret store or captures, is replaced by `****` wherever it appears;
//! - shapes: credentials inside URLs and DSNs (`scheme://user:pass@host`,
//!   `password=…` in key/value DSNs) are masked even when nobody declared them.
//!
//! The report layer runs every string of a report through [`Redactor::mask`]
//! before any renderer sees it, so no renderer can forget.

use std::collections::HashSet;
use std::sync::{Arc, LazyLock, RwLock};

use aho_corasick::{AhoCorasick, MatchKind};
use regex::Regex;

/// What a masked value is replaced by.
pub const MASK: &str = "****";

/// Values shorter than this are not masked by value (masking `1` or `no`
/// everywhere would garble reports); they are still masked by shape.
const MIN_SECRET_LEN: usize = 4;

static URL_CREDENTIALS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)(?P<user>[^:/@\s]*):(?P<pass>[^@\s/]+)@")
        .unwrap_or_else(|e| unreachable!("static regex: {e}"))
});
static KV_PASSWORD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(?P<key>password|passwd|pwd|secret|token)\s*=\s*(?P<val>'[^']*'|[^\s'&;]+)")
        .unwrap_or_else(|e| unreachable!("static regex: {e}"))
});
static SECRET_NAME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(pass|secret|token|private|credential|api[_-]?key|access[_-]?key|secret[_-]?key|auth|dsn|salt|cookie|session[_-]?key|signing)")
        .unwrap_or_else(|e| unreachable!("static regex: {e}"))
});

/// True for variable or field names that conventionally hold secrets
/// (`POSTGRES_PASSWORD`, `JWT_SECRET`, `VAULT_TOKEN`, `MINIO_SECRET_KEY`, …).
pub fn looks_secret(name: &str) -> bool {
    SECRET_NAME.is_match(name)
}

/// The values to treat as secret in an HTTP header `name: value`: the whole
/// value when the name looks secret (`Authorization`, `X-Api-Key`,
/// `Cookie`, …), plus the credential after an auth scheme (`Bearer xyz` →
/// `xyz`), since a server or a finding may quote it alone. Values that still
/// hold a `${…}` placeholder (captures, expanded at run time) are left out:
/// the expanded value is registered when it is captured.
pub fn header_secrets(name: &str, value: &str) -> Vec<String> {
    if !looks_secret(name) || value.contains("${") {
        return Vec::new();
    }
    let mut out = vec![value.to_string()];
    if let Some((scheme, cred)) = value.trim().split_once(' ')
        && matches!(
            scheme.to_ascii_lowercase().as_str(),
            "bearer" | "basic" | "token" | "digest" | "apikey"
        )
    {
        out.push(cred.trim().to_string());
    }
    out
}

/// A command line as it may be shown: the value after a secret-looking flag
/// (`--password X`, `--token=X`, `--api-key X`) is masked, the rest kept.
pub fn mask_argv(argv: &[String]) -> Vec<String> {
    let mut out = Vec::with_capacity(argv.len());
    let mut hide_next = false;
    for a in argv {
        if hide_next {
            out.push(MASK.to_string());
            hide_next = false;
            continue;
        }
        let flag = a.starts_with('-') && a.len() > 1;
        match a.split_once('=') {
            Some((name, _)) if flag && looks_secret(name.trim_start_matches('-')) => {
                out.push(format!("{name}={MASK}"));
            }
            None if flag && looks_secret(a.trim_start_matches('-')) => {
                out.push(a.clone());
                hide_next = true;
            }
            _ => out.push(a.clone()),
        }
    }
    out
}

/// A set of secret values plus the shape rules. Shared by the whole run;
/// values can be added while checks run (captures, secret-store reads).
///
/// Known values are found with one Aho-Corasick automaton (leftmost-longest,
/// so a secret that contains another is masked whole), built on the first
/// `mask` after a change and reused: masking a report is linear in its size,
/// however many secrets there are (a catalogue of 10,000 `.env` checks
/// registers 10,000 of them; one `contains` + `replace` per value per string
/// made that quadratic).
#[derive(Debug, Default)]
pub struct Redactor {
    inner: RwLock<Values>,
}

#[derive(Debug, Default)]
struct Values {
    list: Vec<String>,
    seen: HashSet<String>,
    /// The automaton over `list`; `None` after a change.
    matcher: Option<Arc<AhoCorasick>>,
}

impl Redactor {
    /// A redactor that masks `values` (and the usual shapes).
    pub fn with_values(values: impl IntoIterator<Item = String>) -> Self {
        let r = Redactor::default();
        for v in values {
            r.add(v);
        }
        r
    }

    /// Registers a secret value.
    pub fn add(&self, value: impl Into<String>) {
        let value = value.into();
        if value.chars().count() < MIN_SECRET_LEN {
            return;
        }
        let mut values = self.inner.write().unwrap_or_else(|e| e.into_inner());
        if values.seen.insert(value.clone()) {
            values.list.push(value);
            values.matcher = None;
        }
    }

    /// The automaton over the current values (built once per change), or
    /// `None` when there are no values or it cannot be built.
    fn matcher(&self) -> Option<Arc<AhoCorasick>> {
        {
            let values = self.inner.read().unwrap_or_else(|e| e.into_inner());
            if values.list.is_empty() {
                return None;
            }
            if let Some(m) = &values.matcher {
                return Some(m.clone());
            }
        }
        let mut values = self.inner.write().unwrap_or_else(|e| e.into_inner());
        if values.matcher.is_none() {
            values.matcher = AhoCorasick::builder()
                .match_kind(MatchKind::LeftmostLongest)
                .build(&values.list)
                .ok()
                .map(Arc::new);
        }
        values.matcher.clone()
    }

    /// Returns `text` with every known secret and credential shape masked.
    pub fn mask(&self, text: &str) -> String {
        let known = match self.matcher() {
            Some(ac) => {
                let mut out = String::with_capacity(text.len());
                match ac.try_replace_all_with(text, &mut out, |_, _, dst| {
                    dst.push_str(MASK);
                    true
                }) {
                    Ok(()) => out,
                    Err(_) => self.mask_one_by_one(text),
                }
            }
            None => self.mask_one_by_one(text),
        };
        mask_shapes(&known)
    }

    /// The slow path, should the automaton ever fail to build: longest value first.
    fn mask_one_by_one(&self, text: &str) -> String {
        let values = self.inner.read().unwrap_or_else(|e| e.into_inner());
        let mut sorted: Vec<&String> = values.list.iter().collect();
        sorted.sort_by_key(|v| std::cmp::Reverse(v.len()));
        let mut out = text.to_string();
        for v in sorted {
            if out.contains(v.as_str()) {
                out = out.replace(v.as_str(), MASK);
            }
        }
        out
    }
}

/// Masks credentials in URLs/DSNs, whoever wrote them.
pub fn mask_shapes(text: &str) -> String {
    let step = if text.contains("://") {
        URL_CREDENTIALS
            .replace_all(text, |c: &regex::Captures<'_>| {
                format!("{}{}:{MASK}@", &c["scheme"], &c["user"])
            })
            .into_owned()
    } else {
        text.to_string()
    };
    if step.contains('=') {
        KV_PASSWORD
            .replace_all(&step, |c: &regex::Captures<'_>| {
                format!("{}={MASK}", &c["key"])
            })
            .into_owned()
    } else {
        step
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_known_values_longest_first() {
        let r = Redactor::with_values(["hunter2hunter2".to_string(), "hunter2".to_string()]);
        assert_eq!(r.mask("a hunter2hunter2 b hunter2"), "a **** b ****");
    }

    #[test]
    fn masks_overlapping_and_late_values() {
        let r = Redactor::with_values(["abcdef".to_string(), "defghi".to_string()]);
        assert_eq!(r.mask("x abcdefghi y defghi"), "x ****ghi y ****");
        // A value added after a mask (a capture during the run) is masked too.
        r.add("late-secret-value");
        assert_eq!(r.mask("got late-secret-value"), "got ****");
        r.add("late-secret-value");
        assert_eq!(r.inner.read().unwrap().list.len(), 3);
    }

    #[test]
    fn masks_thousands_of_values() {
        let r = Redactor::with_values((0..20_000).map(|i| format!("secret-{i:05}-value")));
        let text: String = (0..20_000)
            .map(|i| format!("line {i}: secret-{i:05}-value\n"))
            .collect();
        let masked = r.mask(&text);
        assert!(!masked.contains("secret-"), "{}", &masked[..200]);
        assert_eq!(masked.matches(MASK).count(), 20_000);
    }

    #[test]
    fn masks_url_and_dsn_credentials() {
        let r = Redactor::default();
        assert_eq!(
            r.mask("postgres://app:s3cr3t@db:5432/app"),
            "postgres://app:****@db:5432/app"
        );
        assert_eq!(
            r.mask("redis://:pw1234@127.0.0.1:6379"),
            "redis://:****@127.0.0.1:6379"
        );
        assert_eq!(
            r.mask("host=db user=app password=s3cr3t dbname=x"),
            "host=db user=app password=**** dbname=x"
        );
    }

    #[test]
    fn leaves_short_values_and_plain_urls_alone() {
        let r = Redactor::with_values(["no".to_string()]);
        assert_eq!(r.mask("https://example.com/no"), "https://example.com/no");
    }

    #[test]
    fn secret_headers_give_the_value_and_the_credential() {
        assert_eq!(
            header_secrets("Authorization", "Bearer abcd1234"),
            vec!["Bearer abcd1234".to_string(), "abcd1234".to_string()]
        );
        assert_eq!(header_secrets("X-Api-Key", "k3y"), vec!["k3y".to_string()]);
        assert!(header_secrets("Accept", "application/json").is_empty());
        assert!(header_secrets("Authorization", "Bearer ${token}").is_empty());
    }

    #[test]
    fn masks_argv_after_secret_flags() {
        let argv: Vec<String> = [
            "mysql",
            "--password",
            "hunter22",
            "--user=app",
            "--token=abc123",
            "-h",
            "db",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        assert_eq!(
            mask_argv(&argv).join(" "),
            "mysql --password **** --user=app --token=**** -h db"
        );
    }

    #[test]
    fn recognises_secret_names() {
        for n in [
            "POSTGRES_PASSWORD",
            "JWT_SECRET",
            "VAULT_TOKEN",
            "MINIO_SECRET_KEY",
            "api_key",
            "X-Api-Key",
            "Authorization",
        ] {
            assert!(looks_secret(n), "{n}");
        }
        for n in ["ENVIRONMENT", "DATABASE__HOST", "VAULT__ENABLED"] {
            assert!(!looks_secret(n), "{n}");
        }
    }
}
