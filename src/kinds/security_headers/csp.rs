//! The Observatory's Content-Security-Policy parser and analyzer
//! (`src/analyzer/cspParser.js`, `src/analyzer/tests/csp.js`), for the one
//! policy string a live scan sees: Node joins repeated
//! `Content-Security-Policy` lines into one value with ", ", so the
//! analyzer's multi-policy intersection never runs on headers (it exists for
//! `<meta>` policies, which readyctl does not read). The comma then stays
//! inside a source (`'self',`), exactly as the Observatory reads it.
//!
//! Faithful in the details that move results: policies shorter than 6
//! characters are invalid; a repeated directive is invalid except
//! `report-uri`/`report-to`, which keep the last value and turn a passing
//! result into `csp-implemented-but-duplicate-directives`; a `-src`
//! directive without sources is `'none'`; within a directive a source that
//! starts with the source sorted before it is dropped (sorted as
//! `Intl.Collator("en")` sorts); `script-src`, `style-src` and `object-src`
//! fall back to `default-src` *by reference*, so removing `'unsafe-inline'`
//! (beside a nonce or hash) or the sources `'strict-dynamic'` overrides
//! from one removes it from all that share it.

use std::collections::BTreeSet;

use indexmap::IndexMap;

/// A parsed policy: directive → sources (lower-cased, deduplicated).
#[derive(Debug, Clone, Default)]
pub(crate) struct Csp {
    /// Directives in first-seen order.
    pub(crate) directives: IndexMap<String, BTreeSet<String>>,
    /// A `report-uri` or `report-to` appeared twice.
    pub(crate) duplicate_warnings: bool,
}

/// `SHORTEST_DIRECTIVE_LENGTH`: `"img-src".length - 1`.
const SHORTEST_POLICY: usize = 6;

/// `parseCsp([policy])`. `Err` is the analyzer's "invalid policy".
pub(crate) fn parse(policy: &str) -> Result<Csp, String> {
    let clean: String = policy
        .chars()
        .filter(|c| *c != '\r' && *c != '\n')
        .collect();
    let clean = clean.trim();
    if clean.is_empty() || clean.encode_utf16().count() < SHORTEST_POLICY {
        return Err(format!("`{clean}` is too short to be a policy"));
    }
    let mut csp = Csp::default();
    let mut seen = std::collections::HashSet::new();
    for entry in clean.split(';') {
        let mut parts = entry.split_whitespace();
        let Some(name) = parts.next() else { continue };
        let directive = name.to_lowercase();
        if !seen.insert(directive.clone()) {
            if directive == "report-uri" || directive == "report-to" {
                csp.duplicate_warnings = true;
            } else {
                return Err(format!("directive `{directive}` appears twice"));
            }
        }
        let mut values: Vec<String> = parts.map(str::to_lowercase).collect();
        if values.is_empty() && directive.ends_with("-src") {
            values.push("'none'".into());
        }
        values.sort_by(|a, b| collate(a, b));
        // A source that starts with the one sorted before it is superfluous.
        let mut kept = BTreeSet::new();
        for (i, v) in values.iter().enumerate() {
            if i == 0 || !v.starts_with(values[i - 1].as_str()) {
                kept.insert(v.clone());
            }
        }
        if kept.is_empty() {
            kept.insert("'none'".into());
        }
        csp.directives.insert(directive, kept);
    }
    Ok(csp)
}

/// `Intl.Collator("en").compare` for lower-cased ASCII: punctuation, then
/// digits, then letters, in ICU's root order. Other characters sort after
/// ASCII by code point (an approximation; they do not occur in sources that
/// matter to the grade).
fn collate(a: &str, b: &str) -> std::cmp::Ordering {
    const ORDER: &str = "_-,;:!?.'\"()[]{}@*/\\&#%`^+<=>|~$0123456789abcdefghijklmnopqrstuvwxyz";
    let key = |c: char| -> (u32, u32) {
        match ORDER.find(c) {
            Some(i) => (0, i as u32),
            None => (1, c as u32),
        }
    };
    a.chars().map(key).cmp(b.chars().map(key))
}

const DANGEROUSLY_BROAD: &[&str] = &[
    "ftp:",
    "http:",
    "https:",
    "*",
    "http://*",
    "http://*.*",
    "https://*",
    "https://*.*",
];
const UNSAFE_INLINE: &[&str] = &["'unsafe-inline'", "data:"];
const PASSIVE: &[&str] = &["img-src", "media-src"];
const NONCES_HASHES: &[&str] = &["'sha256-", "'sha384-", "'sha512-", "'nonce-"];

fn broad(s: &str) -> bool {
    DANGEROUSLY_BROAD.contains(&s)
}
fn broad_or_inline(s: &str) -> bool {
    broad(s) || UNSAFE_INLINE.contains(&s)
}
fn nonce_or_hash(set: &BTreeSet<String>) -> bool {
    set.iter()
        .any(|s| NONCES_HASHES.iter().any(|n| s.starts_with(n)))
}

/// What the CSP test concluded.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CspResult {
    /// Observatory result name.
    pub(crate) result: &'static str,
    /// Observatory's `pass`.
    pub(crate) pass: bool,
    /// The policy reached the end of the analysis and has `frame-ancestors`
    /// (what the X-Frame-Options test reads from `csp.data`).
    pub(crate) frame_ancestors: bool,
    /// One line on why.
    pub(crate) detail: String,
}

fn early(result: &'static str, detail: impl Into<String>) -> CspResult {
    CspResult {
        result,
        pass: false,
        frame_ancestors: false,
        detail: detail.into(),
    }
}

/// `contentSecurityPolicyTest` over the joined header value (`None`: no
/// header), the joined Report-Only value, and whether the scanned session
/// started on https.
pub(crate) fn analyze(header: Option<&str>, report_only: Option<&str>, https: bool) -> CspResult {
    let parsed = match header.map(parse) {
        None => Csp::default(),
        Some(Err(e)) => return early("csp-header-invalid", e),
        Some(Ok(c)) => c,
    };
    if parsed.directives.is_empty() {
        return if report_only.is_some_and(|v| !v.is_empty()) {
            early(
                "csp-not-implemented-but-reporting-enabled",
                "only Content-Security-Policy-Report-Only is set",
            )
        } else {
            early("csp-not-implemented", "no Content-Security-Policy header")
        };
    }
    // The sets, with script-src, style-src and object-src pointing into
    // them (falling back to default-src, then to a fresh `*`), as the JS
    // holds references to the same Set objects.
    let mut sets: Vec<BTreeSet<String>> = parsed.directives.values().cloned().collect();
    let names: Vec<String> = parsed.directives.keys().cloned().collect();
    let idx = |n: &str| names.iter().position(|x| x == n);
    let resolve = |sets: &mut Vec<BTreeSet<String>>, d: &str| -> usize {
        match idx(d).or_else(|| idx("default-src")) {
            Some(i) => i,
            None => {
                sets.push(BTreeSet::from(["*".to_string()]));
                sets.len() - 1
            }
        }
    };
    let object = resolve(&mut sets, "object-src");
    let script = resolve(&mut sets, "script-src");
    let style = resolve(&mut sets, "style-src");
    for i in [script, style] {
        if nonce_or_hash(&sets[i]) {
            sets[i].remove("'unsafe-inline'");
        }
    }
    let mut result: Option<&'static str> = None;
    let mut why = String::new();
    if nonce_or_hash(&sets[script]) && sets[script].contains("'strict-dynamic'") {
        sets[script].retain(|s| {
            !(DANGEROUSLY_BROAD.iter().any(|b| s.starts_with(b))
                || s == "'self'"
                || s == "'unsafe-inline'")
        });
    } else if sets[script].contains("'strict-dynamic'") {
        result = Some("csp-header-invalid");
        why = "'strict-dynamic' without a nonce or hash".into();
    }
    let mut active: Vec<&String> = names
        .iter()
        .enumerate()
        .filter(|(_, n)| !PASSIVE.contains(&n.as_str()) && *n != "script-src")
        .flat_map(|(i, _)| sets[i].iter())
        .collect();
    active.extend(sets[script].iter());
    let passive: Vec<&String> = PASSIVE
        .iter()
        .filter_map(|d| idx(d).or_else(|| idx("default-src")))
        .flat_map(|i| sets[i].iter())
        .collect();
    let mut set = |r: &'static str, w: &str| {
        if result.is_none() {
            result = Some(r);
            why = w.to_string();
        }
    };
    if sets[script].iter().any(|s| broad_or_inline(s)) || sets[object].iter().any(|s| broad(s)) {
        set(
            "csp-implemented-with-unsafe-inline",
            "script-src or object-src allows 'unsafe-inline', data: or a dangerously broad source, or is not restricted",
        );
    }
    let insecure = |s: &&String| s.starts_with("http:") || s.starts_with("ftp:");
    if https && active.iter().any(insecure) {
        set(
            "csp-implemented-with-insecure-scheme",
            "allows active content over http: or ftp:",
        );
    }
    if sets[script].contains("'unsafe-eval'") || sets[style].contains("'unsafe-eval'") {
        set("csp-implemented-with-unsafe-eval", "allows 'unsafe-eval'");
    }
    if https && passive.iter().any(insecure) {
        set(
            "csp-implemented-with-insecure-scheme-in-passive-content-only",
            "allows images or media over http: or ftp:",
        );
    }
    if sets[style].iter().any(|s| broad_or_inline(s)) {
        set(
            "csp-implemented-with-unsafe-inline-in-style-src-only",
            "style-src allows 'unsafe-inline', data: or a dangerously broad source",
        );
    }
    let default_none =
        idx("default-src").is_some_and(|i| sets[i].len() == 1 && sets[i].contains("'none'"));
    if default_none {
        set(
            "csp-implemented-with-no-unsafe-default-src-none",
            "default-src 'none' and nothing unsafe",
        );
    } else {
        set("csp-implemented-with-no-unsafe", "nothing unsafe");
    }
    let mut result = result.unwrap_or("csp-implemented-with-no-unsafe");
    let pass = matches!(
        result,
        "csp-implemented-with-no-unsafe"
            | "csp-implemented-with-no-unsafe-default-src-none"
            | "csp-implemented-with-unsafe-inline-in-style-src-only"
            | "csp-implemented-with-insecure-scheme-in-passive-content-only"
    );
    if pass && parsed.duplicate_warnings {
        result = "csp-implemented-but-duplicate-directives";
        why = "report-uri or report-to appears twice".into();
    }
    CspResult {
        result,
        pass,
        frame_ancestors: idx("frame-ancestors").is_some(),
        detail: why,
    }
}

#[cfg(test)]
mod tests {
    //! Expectations read from the Observatory's csp.js/cspParser.js; the
    //! differential test checks them against the package itself.
    use super::*;

    fn r(csp: &str) -> &'static str {
        analyze(Some(csp), None, true).result
    }

    #[test]
    fn strict_dynamic_needs_a_nonce_or_hash() {
        assert_eq!(
            r("script-src 'strict-dynamic'; object-src 'none'"),
            "csp-header-invalid"
        );
        assert_eq!(
            r(
                "script-src 'strict-dynamic' 'nonce-abc' https: 'unsafe-inline'; object-src 'none'; style-src 'self'"
            ),
            "csp-implemented-with-no-unsafe"
        );
    }

    #[test]
    fn short_duplicate_and_bare_directives() {
        assert_eq!(r("a"), "csp-header-invalid");
        assert_eq!(
            r("default-src 'self'; default-src 'none'"),
            "csp-header-invalid"
        );
        assert_eq!(
            r("default-src 'self'; report-uri /a; report-uri /b"),
            "csp-implemented-but-duplicate-directives"
        );
        // A bare default-src is 'none'; form-action is not needed for +10.
        assert_eq!(
            r("default-src"),
            "csp-implemented-with-no-unsafe-default-src-none"
        );
        assert_eq!(
            analyze(None, Some("default-src 'none'"), true).result,
            "csp-not-implemented-but-reporting-enabled"
        );
    }

    #[test]
    fn broad_sources_and_comma_joined_policies() {
        assert_eq!(
            r("default-src https://*"),
            "csp-implemented-with-unsafe-inline"
        );
        assert_eq!(
            r("default-src 'self'; script-src *.*"),
            "csp-implemented-with-no-unsafe"
        );
        // Two policies joined by Node: the comma sticks to the source.
        assert_eq!(
            r("default-src *, default-src 'none'"),
            "csp-implemented-with-no-unsafe"
        );
    }

    #[test]
    fn collation_puts_punctuation_before_digits_before_letters() {
        let mut v = vec!["b", "a-b", "ab", "a", "1", "'self'", "*"];
        v.sort_by(|a, b| collate(a, b));
        assert_eq!(v, ["'self'", "*", "1", "a", "a-b", "ab", "b"]);
    }
}
