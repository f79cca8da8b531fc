//! Spec field shapes and message phrasing shared by several kinds, so no
//! kind imports another kind's private helpers.

use serde::Deserialize;

/// A field that takes one string or a list of them.
#[derive(Debug, Default, Clone, Deserialize, schemars::JsonSchema)]
#[serde(untagged)]
pub(crate) enum OneOrMany {
    /// Nothing.
    #[default]
    None,
    /// One value.
    One(#[schemars(with = "String")] Box<str>),
    /// A list.
    Many(#[schemars(with = "Vec<String>")] Box<[String]>),
}
// Boxed slices, not `String`/`Vec`: 24 bytes instead of 32, and a spec is
// kept per check (a `file` check holds two).

impl OneOrMany {
    /// The values as a slice-like vector.
    pub(crate) fn items(&self) -> Vec<&str> {
        match self {
            OneOrMany::None => Vec::new(),
            OneOrMany::One(s) => vec![&**s],
            OneOrMany::Many(v) => v.iter().map(String::as_str).collect(),
        }
    }
}

/// An expectation on one value: a plain string means equality.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(untagged)]
pub(crate) enum ValueRule {
    /// Must equal this.
    Equals(#[schemars(with = "super::Scalar")] String),
    /// One of the detailed forms.
    Rule(ValueRuleSpec),
}

/// Detailed value expectation.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ValueRuleSpec {
    /// Must equal this.
    pub(crate) equals: Option<String>,
    /// Must match this regex.
    pub(crate) matches: Option<String>,
    /// Must be one of these.
    pub(crate) one_of: Option<Vec<String>>,
    /// Must not match this regex (e.g. a wildcard `"*"` in a host list).
    pub(crate) not_matches: Option<String>,
}

/// How `rule` reads in a message ("\"production\"", "one of a, b").
pub(crate) fn describe(rule: &ValueRule) -> String {
    match rule {
        ValueRule::Equals(v) => format!("{v:?}"),
        ValueRule::Rule(r) => {
            if let Some(v) = &r.equals {
                format!("{v:?}")
            } else if let Some(m) = &r.matches {
                format!("a match for /{m}/")
            } else if let Some(o) = &r.one_of {
                format!("one of {}", o.join(", "))
            } else if let Some(m) = &r.not_matches {
                format!("no match for /{m}/")
            } else {
                "anything".to_string()
            }
        }
    }
}

/// `Some(expected)` when `value` breaks `rule`.
pub(crate) fn mismatch(rule: &ValueRule, value: &str) -> Option<String> {
    let ok = match rule {
        ValueRule::Equals(v) => v == value,
        ValueRule::Rule(r) => {
            r.equals.as_ref().is_none_or(|v| v == value)
                && r.matches.as_ref().is_none_or(|m| {
                    super::regex_cached(m, false).is_ok_and(|re| re.is_match(value))
                })
                && r.one_of
                    .as_ref()
                    .is_none_or(|o| o.iter().any(|v| v == value))
                && r.not_matches.as_ref().is_none_or(|m| {
                    super::regex_cached(m, false).is_ok_and(|re| !re.is_match(value))
                })
        }
    };
    (!ok).then(|| describe(rule))
}

/// `the expectation holds` / `all 3 expectations hold`.
pub(crate) fn holds(n: usize) -> String {
    match n {
        1 => "the expectation holds".to_string(),
        n => format!("all {n} expectations hold"),
    }
}
