//! One check: the common fields, the kind's own fields parsed by the kind,
//! and serde errors turned into located diagnostics (every unknown field at
//! once).

use std::sync::Arc;

use marked_yaml::Node;
use marked_yaml::types::{MarkedMappingNode, MarkedScalarNode, MarkedSequenceNode};

use super::source::{loc, shape};
use super::{COMMON_FIELDS, CheckDef, Defaults};
use crate::diag::{Diagnostic, Diagnostics, Location, did_you_mean};
use crate::kinds::{self, ParseError};
use crate::report::Severity;

pub(super) static ID_RE: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    regex::Regex::new(r"^[a-z0-9][a-z0-9_-]*(\.[a-z0-9][a-z0-9_-]*)*$")
        .unwrap_or_else(|e| unreachable!("static regex: {e}"))
});

/// One check from its node, which it takes: the kind's own fields are the
/// node's mapping with the common fields taken out (no copy).
pub(super) fn parse_check(
    file: &str,
    node: Node,
    defaults: Defaults,
    diags: &mut Diagnostics,
) -> Option<CheckDef> {
    let mut map = match node {
        Node::Mapping(map) => map,
        other => {
            diags.push(shape(
                file,
                &other,
                "each check must be a mapping with at least `id` and `kind`",
            ));
            return None;
        }
    };
    let before = diags.items.len();
    let here = loc(file, map.span().start());
    // The common fields, found in one walk over the check's few keys (a
    // look-up per field hashed each of the nine names: 1k instructions).
    let mut present: [Option<&Node>; COMMON_FIELDS.len()] = [None; COMMON_FIELDS.len()];
    for (k, v) in map.iter() {
        if let Some(i) = COMMON_FIELDS.iter().position(|f| *f == k.as_str()) {
            present[i] = Some(v);
        }
    }
    let common_node = |name: &str| -> Option<&Node> {
        COMMON_FIELDS
            .iter()
            .position(|f| *f == name)
            .and_then(|i| present[i])
    };
    let str_field = |name: &str, diags: &mut Diagnostics| -> Option<&MarkedScalarNode> {
        match common_node(name) {
            None => None,
            Some(Node::Scalar(s)) => Some(s),
            Some(other) => {
                diags.push(shape(
                    file,
                    other,
                    &format!("`{name}` must be a single value"),
                ));
                None
            }
        }
    };
    let list_field = |name: &str, diags: &mut Diagnostics| -> Vec<String> {
        match common_node(name) {
            None => Vec::new(),
            Some(Node::Scalar(s)) => vec![s.as_str().to_string()],
            Some(Node::Sequence(seq)) => seq
                .iter()
                .filter_map(|n| match n {
                    Node::Scalar(s) => Some(s.as_str().to_string()),
                    other => {
                        diags.push(shape(
                            file,
                            other,
                            &format!("`{name}` entries must be plain values"),
                        ));
                        None
                    }
                })
                .collect(),
            Some(other) => {
                diags.push(shape(file, other, &format!("`{name}` must be a list")));
                Vec::new()
            }
        }
    };

    let id = str_field("id", diags);
    let id_text = id.as_ref().map(|s| s.as_str().to_string());
    match &id {
        None => diags.push(
            Diagnostic::new("catalogue/missing-field", "check has no `id`")
                .at(here.clone())
                .hint("give every check a unique dotted id, e.g. `id: redis.persistence`"),
        ),
        Some(s) if !ID_RE.is_match(s.as_str()) => diags.push(
            Diagnostic::new("catalogue/invalid-id", format!("invalid check id `{}`", s.as_str()))
                .at(loc(file, s.span().start()))
                .hint("ids are lower-case words of a-z, 0-9, `-`, `_`, joined by dots, e.g. `redis.persistence`"),
        ),
        _ => {}
    }
    let kind_node = str_field("kind", diags);
    let entry = match &kind_node {
        None => {
            diags.push(
                Diagnostic::new(
                    "catalogue/missing-field",
                    format!(
                        "check `{}` has no `kind`",
                        id_text.as_deref().unwrap_or("?")
                    ),
                )
                .at(here.clone())
                .hint(format!("kinds: {}", kind_names().join(", "))),
            );
            None
        }
        Some(k) => match kinds::lookup(k.as_str()) {
            Some(e) => Some(e),
            None => {
                let hint = match did_you_mean(k.as_str(), kind_names()) {
                    Some(s) => format!("did you mean `{s}`? (`readyctl kinds` lists them all)"),
                    None => format!("known kinds: {}", kind_names().join(", ")),
                };
                diags.push(
                    Diagnostic::new(
                        "catalogue/unknown-kind",
                        format!("unknown check kind `{}`", k.as_str()),
                    )
                    .at(loc(file, k.span().start()))
                    .label("not a known kind")
                    .hint(hint),
                );
                None
            }
        },
    };
    let title = str_field("title", diags).map(|s| s.as_str().to_string());
    let description = str_field("description", diags).map(|s| s.as_str().to_string());
    let remediation = str_field("remediation", diags).map(|s| s.as_str().to_string());
    let severity = match str_field("severity", diags) {
        None => defaults.severity,
        Some(s) => match s.as_str().parse::<Severity>() {
            Ok(sev) => sev,
            Err(m) => {
                diags.push(
                    Diagnostic::new("catalogue/shape", m)
                        .at(loc(file, s.span().start()))
                        .maybe_hint(
                            did_you_mean(s.as_str(), Severity::ALL.iter().map(|s| s.as_str()))
                                .map(|s| format!("did you mean `{s}`?")),
                        ),
                );
                defaults.severity
            }
        },
    };
    let timeout = match str_field("timeout", diags) {
        None => defaults.timeout,
        Some(s) => match crate::domain::units::parse_duration_within(
            s.as_str(),
            crate::domain::units::MAX_TIMEOUT,
        ) {
            Ok(t) if !t.is_zero() => t,
            _ => {
                diags.push(
                    Diagnostic::new(
                        "catalogue/shape",
                        format!(
                            "`timeout` must be a positive duration of at most 24h, got `{}`",
                            s.as_str()
                        ),
                    )
                    .at(loc(file, s.span().start()))
                    .hint("write e.g. `10s`, `500ms`, `2m`"),
                );
                defaults.timeout
            }
        },
    };
    let tags = list_field("tags", diags);
    let depends_on = list_field("depends_on", diags);

    // The kind's own fields: everything that is not common. The common
    // ones are kept aside for problems a kind reports about them.
    let written: Vec<&str> = COMMON_FIELDS
        .iter()
        .zip(present)
        .filter_map(|(f, n)| n.map(|_| *f))
        .collect();
    let mut common: Vec<(MarkedScalarNode, Node)> = Vec::with_capacity(written.len());
    for f in written {
        common.extend(map.remove_entry(f));
    }
    let own_node = Node::Mapping(map);
    let Node::Mapping(map) = &own_node else {
        unreachable!("made a mapping above")
    };
    let check = entry.and_then(
        |e| match parse_reporting_every_unknown_field(e, &own_node, file) {
            (Ok(c), unknown) if unknown.is_empty() => Some(c),
            (Ok(_), unknown) => {
                for d in unknown {
                    diags.push(d.with_kind(e.name));
                }
                None
            }
            (Err(ParseError::Serde(err)), unknown) => {
                for d in unknown {
                    diags.push(d.with_kind(e.name));
                }
                diags.push(serde_diag(file, &err, &own_node, COMMON_FIELDS).with_kind(e.name));
                None
            }
            (Err(ParseError::Invalid(problems)), unknown) => {
                for d in unknown {
                    diags.push(d.with_kind(e.name));
                }
                for p in problems {
                    let at = map
                        .get_node(p.field)
                        .or_else(|| {
                            common
                                .iter()
                                .find(|(k, _)| k.as_str() == p.field)
                                .map(|(_, v)| v)
                        })
                        .and_then(|n| n.span().start())
                        .or(map.span().start());
                    diags.push(
                        Diagnostic::new(
                            "catalogue/invalid-spec",
                            format!("`{}`: {}", p.field, p.message),
                        )
                        .at(loc(file, at))
                        .maybe_hint(p.hint),
                    );
                }
                None
            }
        },
    );
    if diags.items.len() > before {
        return None;
    }
    let (id, check, entry) = (id_text?, check?, entry?);
    let id: std::sync::Arc<str> = id.into();
    Some(CheckDef {
        // The title is the id itself when none was written: one string.
        title: title.map_or_else(|| id.clone(), std::sync::Arc::from),
        id,
        kind: entry.name,
        description: description.map(Box::from),
        severity,
        tags: tags.into(),
        depends_on: depends_on.into(),
        timeout,
        remediation: remediation.map(Box::from),
        check: Arc::from(check),
        location: here.unwrap_or(Location {
            file: crate::diag::shared_name(file),
            line: 1,
            column: 1,
        }),
    })
}

pub(super) trait WithKind {
    fn with_kind(self, kind: &str) -> Self;
}
impl WithKind for Diagnostic {
    fn with_kind(mut self, kind: &str) -> Self {
        if matches!(
            self.code,
            "catalogue/unknown-field" | "catalogue/missing-field" | "catalogue/shape"
        ) {
            let h = self.hint.take().unwrap_or_default();
            let sep = if h.is_empty() { "" } else { "; " };
            self.hint = Some(format!(
                "{h}{sep}`readyctl explain {kind}` lists its fields"
            ));
        }
        self
    }
}

pub(super) fn kind_names() -> Vec<&'static str> {
    kinds::REGISTRY.iter().map(|k| k.name).collect()
}

/// Turns a serde error from a node into a located diagnostic.
pub(super) fn serde_diag(
    file: &str,
    err: &marked_yaml::FromNodeError,
    node: &Node,
    extra_fields: &[&str],
) -> Diagnostic {
    use marked_yaml::spanned_serde::Error as E;
    let at = err.start_mark().or_else(|| node.span().start().copied());
    let mut location = at.and_then(|m| loc(file, Some(&m)));
    match &**err {
        E::UnknownFieldError(field, expected, _) => {
            // serde reports the mapping; point at the offending key instead.
            if let Some(key) = find_key(node, field) {
                location = loc(file, key.span().start()).or(location);
            }
            let candidates: Vec<&str> = expected
                .iter()
                .copied()
                .chain(extra_fields.iter().copied())
                .collect();
            let hint = match did_you_mean(field, candidates.iter().copied()) {
                Some(s) => format!("did you mean `{s}`?"),
                None => format!("fields here: {}", expected.join(", ")),
            };
            Diagnostic::new(
                "catalogue/unknown-field",
                format!("unknown field `{field}`"),
            )
            .at(location)
            .hint(hint)
        }
        E::NotBoolean(_) => {
            Diagnostic::new("catalogue/shape", "expected `true` or `false`").at(location)
        }
        E::IntegerParseFailure(e, _) => {
            Diagnostic::new("catalogue/shape", format!("expected a whole number ({e})"))
                .at(location)
        }
        E::FloatParseFailure(e, _) => {
            Diagnostic::new("catalogue/shape", format!("expected a number ({e})")).at(location)
        }
        E::Other(msg, _) => {
            if let Some(field) = msg
                .strip_prefix("missing field `")
                .and_then(|r| r.strip_suffix('`'))
            {
                Diagnostic::new(
                    "catalogue/missing-field",
                    format!("missing field `{field}`"),
                )
                .at(location)
                .hint(format!("add `{field}:` to this check"))
            } else {
                Diagnostic::new("catalogue/shape", humanise_serde(msg))
                    .at(location)
                    .hint("fix the value's type (text, number, list or mapping)")
            }
        }
    }
}

/// The first mapping key named `name` in `node`, depth first.
/// serde stops at the first unknown field; a user wants them all at once
/// (`requried` and `sevirity` in one check are two problems, not one now and
/// one after the fix). Each unknown field is reported, removed from a copy
/// of the node, and the parse retried, up to a bound.
pub(super) fn parse_reporting_every_unknown_field(
    e: &kinds::KindEntry,
    node: &Node,
    file: &str,
) -> (
    Result<Box<dyn kinds::DynCheck>, ParseError>,
    Vec<Diagnostic>,
) {
    let mut unknown: Vec<marked_yaml::FromNodeError> = Vec::new();
    // Copied only when a key must go: most checks parse the first time.
    let mut current = std::borrow::Cow::Borrowed(node);
    for _ in 0..64 {
        match (e.parse)(&current) {
            Err(ParseError::Serde(err)) => {
                let field = match &*err {
                    marked_yaml::spanned_serde::Error::UnknownFieldError(f, _, _) => f.clone(),
                    // `pth:` removed leaves `path` missing: the same mistake,
                    // already reported with its did-you-mean. Say it once.
                    marked_yaml::spanned_serde::Error::Other(m, _)
                        if m.strip_prefix("missing field `")
                            .and_then(|r| r.split('`').next())
                            .is_some_and(|f| {
                                unknown.iter().any(|u| match &**u {
                                    marked_yaml::spanned_serde::Error::UnknownFieldError(
                                        g,
                                        _,
                                        _,
                                    ) => did_you_mean(g, std::iter::once(f)).is_some(),
                                    _ => false,
                                })
                            }) =>
                    {
                        return (
                            Err(ParseError::Invalid(Vec::new())),
                            finish_unknown(unknown, node, file),
                        );
                    }
                    _ => {
                        return (
                            Err(ParseError::Serde(err)),
                            finish_unknown(unknown, node, file),
                        );
                    }
                };
                let (next, removed) = without_key(&current, &field);
                unknown.push(err);
                if !removed {
                    break;
                }
                current = std::borrow::Cow::Owned(next);
            }
            other => return (other, finish_unknown(unknown, node, file)),
        }
    }
    // Out of retries: report what was found as the last serde error.
    match unknown.pop() {
        Some(last) => (
            Err(ParseError::Serde(last)),
            finish_unknown(unknown, node, file),
        ),
        None => ((e.parse)(node), Vec::new()),
    }
}

/// Unknown-field errors found while retrying, as diagnostics located in the
/// original node.
pub(super) fn finish_unknown(
    errs: Vec<marked_yaml::FromNodeError>,
    node: &Node,
    file: &str,
) -> Vec<Diagnostic> {
    errs.iter()
        .map(|err| serde_diag(file, err, node, COMMON_FIELDS))
        .collect()
}

/// A copy of `node` with the first key named `name` (depth-first) removed.
pub(super) fn without_key(node: &Node, name: &str) -> (Node, bool) {
    match node {
        Node::Mapping(m) => {
            let mut out = MarkedMappingNode::new_empty(*m.span());
            let mut removed = false;
            for (k, v) in m.iter() {
                if !removed && k.as_str() == name {
                    removed = true;
                    continue;
                }
                if removed {
                    out.insert(k.clone(), v.clone());
                } else {
                    let (v2, r) = without_key(v, name);
                    removed = r;
                    out.insert(k.clone(), v2);
                }
            }
            (Node::Mapping(out), removed)
        }
        Node::Sequence(sq) => {
            let mut removed = false;
            let items: Vec<Node> = sq
                .iter()
                .map(|n| {
                    if removed {
                        n.clone()
                    } else {
                        let (n2, r) = without_key(n, name);
                        removed = r;
                        n2
                    }
                })
                .collect();
            (
                Node::Sequence(MarkedSequenceNode::new(*sq.span(), items)),
                removed,
            )
        }
        Node::Scalar(_) => (node.clone(), false),
    }
}

pub(super) fn find_key<'a>(node: &'a Node, name: &str) -> Option<&'a MarkedScalarNode> {
    match node {
        Node::Mapping(m) => m.iter().find_map(|(k, v)| {
            if k.as_str() == name {
                Some(k)
            } else {
                find_key(v, name)
            }
        }),
        Node::Sequence(s) => s.iter().find_map(|n| find_key(n, name)),
        Node::Scalar(_) => None,
    }
}

/// Turns serde's "invalid type: sequence, expected path string" into
/// "expected path string, found a list".
pub(super) fn humanise_serde(msg: &str) -> String {
    let Some(rest) = msg
        .strip_prefix("invalid type: ")
        .or_else(|| msg.strip_prefix("invalid value: "))
    else {
        return msg.to_string();
    };
    let Some((found, expected)) = rest.split_once(", expected ") else {
        return msg.to_string();
    };
    let found = match found {
        "sequence" => "a list".to_string(),
        "map" => "a mapping".to_string(),
        other => other
            .replace("string ", "the text ")
            .replace("integer ", "the number "),
    };
    format!("expected {expected}, found {found}")
}
