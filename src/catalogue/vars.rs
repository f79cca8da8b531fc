//! Variables: `vars:`, `defaults:`, capture names, and interpolation of
//! every scalar of a node, collecting the secrets it meets on the way.

use std::collections::{HashMap, HashSet};

use indexmap::IndexMap;
use marked_yaml::Node;
use marked_yaml::types::{MarkedMappingNode, MarkedScalarNode, MarkedSequenceNode};

use super::source::{loc, shape};
use super::{DEFAULT_TIMEOUT, Defaults, interp};
use crate::diag::{Diagnostic, Diagnostics};
use crate::redact::looks_secret;
use crate::report::Severity;

pub(super) fn read_vars(
    file: &str,
    node: &Node,
    out: &mut IndexMap<String, (MarkedScalarNode, bool)>,
    diags: &mut Diagnostics,
) {
    let Some(map) = node.as_mapping() else {
        diags.push(shape(
            file,
            node,
            "`vars` must be a mapping of name to value",
        ));
        return;
    };
    for (name, value) in map.iter() {
        match value {
            Node::Scalar(s) => {
                out.insert(name.as_str().to_string(), (s.clone(), false));
            }
            Node::Mapping(m) => {
                let v = m.get_scalar("value");
                let secret = m
                    .get_scalar("secret")
                    .map(|s| s.as_bool() == Some(true))
                    .unwrap_or(false);
                let unknown: Vec<_> = m
                    .keys()
                    .filter(|k| !matches!(k.as_str(), "value" | "secret"))
                    .collect();
                if let Some(k) = unknown.first() {
                    diags.push(
                        Diagnostic::new(
                            "catalogue/unknown-field",
                            format!("unknown field `{}` in var `{}`", k.as_str(), name.as_str()),
                        )
                        .at(loc(file, k.span().start()))
                        .hint("a var is a string, or `{ value: \"…\", secret: true }`"),
                    );
                }
                match v {
                    Some(v) => {
                        out.insert(name.as_str().to_string(), (v.clone(), secret));
                    }
                    None => diags.push(
                        Diagnostic::new(
                            "catalogue/missing-field",
                            format!("var `{}` has no `value`", name.as_str()),
                        )
                        .at(loc(file, m.span().start()))
                        .hint("write `{ value: \"${SOME_ENV}\", secret: true }`"),
                    ),
                }
            }
            Node::Sequence(_) => diags.push(shape(
                file,
                value,
                "a var must be a string or `{ value, secret }`",
            )),
        }
    }
}

pub(super) fn read_defaults(file: &str, node: Option<&Node>, diags: &mut Diagnostics) -> Defaults {
    let mut d = Defaults {
        severity: Severity::Medium,
        timeout: DEFAULT_TIMEOUT,
    };
    let Some(node) = node else { return d };
    let Some(map) = node.as_mapping() else {
        diags.push(shape(file, node, "`defaults` must be a mapping"));
        return d;
    };
    for (k, v) in map.iter() {
        match k.as_str() {
            "severity" => match scalar_parse::<Severity>(v) {
                Ok(s) => d.severity = s,
                Err(m) => diags
                    .push(Diagnostic::new("catalogue/shape", m).at(loc(file, v.span().start()))),
            },
            "timeout" => match v.as_scalar().map(|s| {
                crate::domain::units::parse_duration_within(
                    s.as_str(),
                    crate::domain::units::MAX_TIMEOUT,
                )
            }) {
                Some(Ok(t)) => d.timeout = t,
                _ => diags.push(
                    Diagnostic::new(
                        "catalogue/shape",
                        "`timeout` must be a duration of at most 24h",
                    )
                    .at(loc(file, v.span().start()))
                    .hint("write e.g. `10s`, `500ms`, `2m`"),
                ),
            },
            other => diags.push(
                Diagnostic::new(
                    "catalogue/unknown-field",
                    format!("unknown field `{other}` in `defaults`"),
                )
                .at(loc(file, k.span().start()))
                .hint("`defaults` takes `severity` and `timeout`"),
            ),
        }
    }
    d
}

pub(super) fn scalar_parse<T: std::str::FromStr<Err = String>>(node: &Node) -> Result<T, String> {
    node.as_scalar()
        .ok_or_else(|| "expected a single value".to_string())
        .and_then(|s| s.as_str().parse())
}

/// Names a check captures at run time (the `capture:` map of an http
/// check); `${name}` for these is left for the runner.
pub(super) fn capture_names(check: &Node, names: &mut HashSet<String>) {
    if let Some(cap) = check.as_mapping().and_then(|m| m.get_mapping("capture")) {
        names.extend(cap.keys().map(|k| k.as_str().to_string()));
    }
}

/// True when some scalar value of `node` holds `${`: only then does
/// interpolating it depend on `vars:`, env files or captures, which may be
/// written after it.
pub(super) fn uses_vars(node: &Node) -> bool {
    match node {
        Node::Scalar(s) => has_var(s.as_str()),
        Node::Sequence(seq) => seq.iter().any(uses_vars),
        Node::Mapping(map) => map.values().any(uses_vars),
    }
}

/// `text` holds `${`. A byte search for `$` first: `str::contains` with a
/// two-byte needle sets up a substring searcher per call, which on the short
/// scalars of a catalogue cost more than the search.
pub(super) fn has_var(text: &str) -> bool {
    let b = text.as_bytes();
    let mut from = 0;
    while let Some(i) = b[from..].iter().position(|&c| c == b'$') {
        if b.get(from + i + 1) == Some(&b'{') {
            return true;
        }
        from += i + 1;
    }
    false
}

pub(super) struct VarLookup<'a> {
    pub(super) vars: HashMap<String, (String, bool)>,
    pub(super) env: &'a HashMap<String, String>,
    pub(super) file_env: &'a HashMap<String, String>,
    pub(super) deferred: &'a HashSet<String>,
}

impl interp::Lookup for VarLookup<'_> {
    fn get(&self, name: &str) -> Option<(String, bool)> {
        if let Some(v) = self.vars.get(name) {
            return Some(v.clone());
        }
        self.env
            .get(name)
            .or_else(|| self.file_env.get(name))
            .map(|v| (v.clone(), looks_secret(name)))
    }
    fn deferred(&self, name: &str) -> bool {
        self.deferred.contains(name)
    }
}

pub(super) fn report_unresolved(
    unresolved: &[interp::Unresolved],
    node: &MarkedScalarNode,
    file: Option<&String>,
    missing_env_files: &[String],
    diags: &mut Diagnostics,
) {
    let file = file.map(String::as_str).unwrap_or("?");
    for u in unresolved {
        let hint = match &u.message {
            Some(m) => m.clone(),
            None if missing_env_files.is_empty() => format!(
                "set {} in `vars:`, an env file, or the environment, or give a default: ${{{}:-value}}",
                u.name, u.name
            ),
            None => format!(
                "set {} in `vars:` or the environment; env file(s) {} were not found under --root",
                u.name,
                missing_env_files.join(", ")
            ),
        };
        diags.push(
            Diagnostic::new(
                "catalogue/unresolved-variable",
                format!("variable `{}` is not set", u.name),
            )
            .at(loc(file, node.span().start()))
            .label(format!("uses ${{{}}}", u.name))
            .hint(hint),
        );
    }
}

/// Returns a copy of `node` with every scalar value interpolated.
pub(super) fn interpolate(
    node: &Node,
    lookup: &VarLookup<'_>,
    file: &str,
    missing_env_files: &[String],
    secrets: &mut Vec<String>,
    diags: &mut Diagnostics,
) -> Node {
    interpolate_in(node, lookup, file, missing_env_files, secrets, diags, false)
}

/// Fields that hold prose for people, not values a check uses.
pub(super) const PROSE_FIELDS: &[&str] = &[
    "title",
    "remediation",
    "description",
    "instructions",
    "note",
];

pub(super) fn interpolate_in(
    node: &Node,
    lookup: &VarLookup<'_>,
    file: &str,
    missing_env_files: &[String],
    secrets: &mut Vec<String>,
    diags: &mut Diagnostics,
    prose: bool,
) -> Node {
    match node {
        Node::Scalar(s) => {
            // Masking by construction: a URL password, a secret query value
            // or a Bearer credential is a secret wherever it is written
            // (`key: value` pairs only outside prose).
            secrets.extend(if prose {
                crate::redact::secrets_in_prose(s.as_str())
            } else {
                crate::redact::secrets_in_text(s.as_str())
            });
            if !has_var(s.as_str()) {
                return node.clone();
            }
            let exp = interp::expand(s.as_str(), lookup);
            report_unresolved(
                &exp.unresolved,
                s,
                Some(&file.to_string()),
                missing_env_files,
                diags,
            );
            secrets.extend(exp.secrets);
            Node::Scalar(MarkedScalarNode::new(*s.span(), exp.text))
        }
        Node::Sequence(seq) => {
            let items: Vec<Node> = seq
                .iter()
                .map(|n| interpolate_in(n, lookup, file, missing_env_files, secrets, diags, prose))
                .collect();
            Node::Sequence(MarkedSequenceNode::new(*seq.span(), items))
        }
        Node::Mapping(map) => {
            let mut out = MarkedMappingNode::new_empty(*map.span());
            for (k, v) in map.iter() {
                let prose = PROSE_FIELDS.contains(&k.as_str());
                let v = interpolate_in(v, lookup, file, missing_env_files, secrets, diags, prose);
                // `password: x`, `api_key: x`, `X-Api-Key: x` in any kind.
                if let Some(text) = v.as_scalar().map(|t| t.as_str())
                    && !has_var(text)
                    && key_looks_secret(k.as_str())
                {
                    secrets.extend(crate::redact::header_secrets(k.as_str(), text));
                }
                out.insert(k.clone(), v);
            }
            Node::Mapping(out)
        }
    }
}

/// What [`interpolate`] records as secrets in a node with no `${…}` (whose
/// copy would equal it), without copying it: most checks.
pub(super) fn secrets_of(node: &Node, secrets: &mut Vec<String>, prose: bool) {
    match node {
        Node::Scalar(s) => secrets.extend(if prose {
            crate::redact::secrets_in_prose(s.as_str())
        } else {
            crate::redact::secrets_in_text(s.as_str())
        }),
        Node::Sequence(seq) => {
            for n in seq.iter() {
                secrets_of(n, secrets, prose);
            }
        }
        Node::Mapping(map) => {
            for (k, v) in map.iter() {
                secrets_of(v, secrets, PROSE_FIELDS.contains(&k.as_str()));
                if let Some(text) = v.as_scalar().map(|t| t.as_str())
                    && !has_var(text)
                    && key_looks_secret(k.as_str())
                {
                    secrets.extend(crate::redact::header_secrets(k.as_str(), text));
                }
            }
        }
    }
}

/// [`crate::redact::looks_secret`] for a mapping key, remembered per key
/// name: 100,000 checks repeat a handful of keys (`id`, `kind`, `path`), and
/// the question cost ~1,000 instructions each time.
fn key_looks_secret(key: &str) -> bool {
    use std::cell::RefCell;
    /// Distinct keys remembered; past it keys are judged each time.
    const MAX_KEYS: usize = 4096;
    type Seen = HashMap<String, bool, foldhash::fast::RandomState>;
    thread_local! {
        static SEEN: RefCell<Seen> = RefCell::new(Seen::default());
    }
    // The fields every check has name no secret (tested): no look-up.
    if super::COMMON_FIELDS.contains(&key) {
        return false;
    }
    SEEN.with(|seen| {
        if let Some(&known) = seen.borrow().get(key) {
            return known;
        }
        let secret = crate::redact::looks_secret(key);
        let mut seen = seen.borrow_mut();
        if seen.len() < MAX_KEYS {
            seen.insert(key.to_string(), secret);
        }
        secret
    })
}

pub(super) fn url_password(url: &str) -> Option<String> {
    let parsed = url::Url::parse(url).ok()?;
    let raw = parsed.password()?;
    Some(
        percent_encoding::percent_decode_str(raw)
            .decode_utf8_lossy()
            .into_owned(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_common_field_looks_secret() {
        for f in super::super::COMMON_FIELDS {
            assert!(!looks_secret(f), "{f}");
            assert!(!key_looks_secret(f), "{f}");
        }
        assert!(key_looks_secret("password") && key_looks_secret("X-Api-Key"));
    }

    #[test]
    fn has_var_is_contains_dollar_brace() {
        for t in [
            "",
            "$",
            "${",
            "x${y}",
            "$$",
            "$x{",
            "a$",
            "^ALM-\\d{3}$",
            "$${x}",
            "$ {",
            "{$}",
            "$$}{",
        ] {
            assert_eq!(has_var(t), t.contains("${"), "{t:?}");
        }
    }
}
