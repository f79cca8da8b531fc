//! Compose variable interpolation, with docker compose's semantics.
//!
//! Forms (compose specification, "Interpolation"): `$VAR`, `${VAR}`,
//! `${VAR:-default}` (unset or empty → default), `${VAR-default}` (unset →
//! default), `${VAR:?err}` / `${VAR?err}` (error when unset-or-empty / unset),
//! `${VAR:+alt}` / `${VAR+alt}` (alt when set-and-non-empty / set, else empty),
//! nesting in the default/alt/error text (`${A:-${B:-x}}`), and `$$` for a
//! literal `$`. An unset variable without a default becomes the empty string
//! (compose warns). Anything else after `$` (`$1`, `${VAR/a/b}`, `${}`) is an
//! invalid template, as in compose. Only values are interpolated, never keys.
//!
//! This module never reads the process environment itself: callers pass a
//! lookup, so precedence (shell over `.env`) is decided in one place.

/// Which form a variable reference used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    /// `$VAR` or `${VAR}`.
    Plain,
    /// `${VAR:-default}`.
    DefaultUnsetOrEmpty,
    /// `${VAR-default}`.
    DefaultUnset,
    /// `${VAR:?error}`.
    ErrorUnsetOrEmpty,
    /// `${VAR?error}`.
    ErrorUnset,
    /// `${VAR:+alt}`.
    AltSetNonEmpty,
    /// `${VAR+alt}`.
    AltSet,
}

/// One variable reference found while interpolating.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct VarUse {
    /// The variable's name.
    pub name: String,
    /// The form used.
    pub op: Op,
    /// The text after the operator, as written (default, error or alt).
    pub arg: Option<String>,
    /// Whether the variable had a value (possibly empty).
    pub set: bool,
}

impl VarUse {
    /// True when the reference supplies a default of its own.
    pub(crate) fn has_default(&self) -> bool {
        matches!(self.op, Op::DefaultUnset | Op::DefaultUnsetOrEmpty)
    }
}

/// Why interpolation failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum InterpError {
    /// `${VAR:?msg}` or `${VAR?msg}` with no (or an empty) value.
    Required {
        /// The variable.
        name: String,
        /// The message written after `?`.
        message: String,
    },
    /// A `$` that starts no valid reference.
    Invalid {
        /// The whole value.
        template: String,
    },
}

impl std::fmt::Display for InterpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            InterpError::Required { name, message } if message.is_empty() => {
                write!(f, "required variable {name} is missing a value")
            }
            InterpError::Required { name, message } => {
                write!(f, "required variable {name} is missing a value: {message}")
            }
            InterpError::Invalid { template } => write!(
                f,
                "invalid interpolation format {template:?}; you may need to escape any $ with another $"
            ),
        }
    }
}

fn is_name_start(b: u8) -> bool {
    b == b'_' || b.is_ascii_alphabetic()
}

fn is_name_char(b: u8) -> bool {
    b == b'_' || b.is_ascii_alphanumeric()
}

/// Index (relative to `s`) of the `}` closing a `${` whose content starts at
/// `s`. Compose counts every `{` as an opening, so a default may hold JSON:
/// `${JSON:-{"a":1}}` is `{"a":1}`, while `${X:-a}b}` ends at the first `}`.
fn closing_brace(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    let mut depth = 1usize;
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'}' {
            depth -= 1;
            if depth == 0 {
                return Some(i);
            }
        } else if b[i] == b'{' {
            depth += 1;
        }
        i += 1;
    }
    None
}

/// Interpolates `template`, appending every variable reference to `uses`.
pub(crate) fn interpolate(
    template: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
    uses: &mut Vec<VarUse>,
) -> Result<String, InterpError> {
    if !template.contains('$') {
        return Ok(template.to_string());
    }
    let invalid = || InterpError::Invalid {
        template: template.to_string(),
    };
    let b = template.as_bytes();
    let mut out = String::with_capacity(template.len());
    let mut i = 0;
    while i < b.len() {
        let Some(rel) = template[i..].find('$') else {
            out.push_str(&template[i..]);
            break;
        };
        out.push_str(&template[i..i + rel]);
        i += rel;
        match b.get(i + 1) {
            Some(b'$') => {
                out.push('$');
                i += 2;
            }
            Some(b'{') => {
                let inner_start = i + 2;
                let close = closing_brace(&template[inner_start..]).ok_or_else(invalid)?;
                let inner = &template[inner_start..inner_start + close];
                out.push_str(&braced(inner, lookup, uses).ok_or_else(invalid)??);
                i = inner_start + close + 1;
            }
            Some(&c) if is_name_start(c) => {
                let start = i + 1;
                let mut end = start;
                while end < b.len() && is_name_char(b[end]) {
                    end += 1;
                }
                let name = &template[start..end];
                let value = lookup(name);
                uses.push(VarUse {
                    name: name.to_string(),
                    op: Op::Plain,
                    arg: None,
                    set: value.is_some(),
                });
                out.push_str(&value.unwrap_or_default());
                i = end;
            }
            // A `$` that starts no reference (`50$ off`, `$1`, `a$`) stays
            // literal, as compose keeps it.
            _ => {
                out.push('$');
                i += 1;
            }
        }
    }
    Ok(out)
}

/// The content of `${…}`. `None`: not a valid reference.
fn braced(
    inner: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
    uses: &mut Vec<VarUse>,
) -> Option<Result<String, InterpError>> {
    let b = inner.as_bytes();
    if b.is_empty() || !is_name_start(b[0]) {
        return None;
    }
    let mut end = 1;
    while end < b.len() && is_name_char(b[end]) {
        end += 1;
    }
    let name = &inner[..end];
    let rest = &inner[end..];
    let (op, arg) = if rest.is_empty() {
        (Op::Plain, None)
    } else {
        let ops = [
            (":-", Op::DefaultUnsetOrEmpty),
            (":?", Op::ErrorUnsetOrEmpty),
            (":+", Op::AltSetNonEmpty),
            ("-", Op::DefaultUnset),
            ("?", Op::ErrorUnset),
            ("+", Op::AltSet),
        ];
        let (prefix, op) = ops.iter().find(|(p, _)| rest.starts_with(p))?;
        (*op, Some(&rest[prefix.len()..]))
    };
    let value = lookup(name);
    uses.push(VarUse {
        name: name.to_string(),
        op,
        arg: arg.map(str::to_string),
        set: value.is_some(),
    });
    let non_empty = value.as_deref().is_some_and(|v| !v.is_empty());
    // The argument is interpolated only when it is used, as compose does.
    let mut arg_value = || interpolate(arg.unwrap_or_default(), lookup, uses);
    Some(match op {
        Op::Plain => Ok(value.unwrap_or_default()),
        Op::DefaultUnsetOrEmpty if non_empty => Ok(value.unwrap_or_default()),
        Op::DefaultUnset if value.is_some() => Ok(value.unwrap_or_default()),
        Op::DefaultUnsetOrEmpty | Op::DefaultUnset => arg_value(),
        Op::ErrorUnsetOrEmpty if non_empty => Ok(value.unwrap_or_default()),
        Op::ErrorUnset if value.is_some() => Ok(value.unwrap_or_default()),
        Op::ErrorUnsetOrEmpty | Op::ErrorUnset => arg_value().and_then(|message| {
            Err(InterpError::Required {
                name: name.to_string(),
                message,
            })
        }),
        Op::AltSetNonEmpty if non_empty => arg_value(),
        Op::AltSet if value.is_some() => arg_value(),
        Op::AltSetNonEmpty | Op::AltSet => Ok(String::new()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(t: &str) -> Result<String, InterpError> {
        let env = |k: &str| match k {
            "SET" => Some("value".to_string()),
            "EMPTY" => Some(String::new()),
            "B" => Some("bee".to_string()),
            _ => None,
        };
        interpolate(t, &env, &mut Vec::new())
    }

    #[test]
    fn plain_forms() {
        assert_eq!(run("$SET").unwrap(), "value");
        assert_eq!(run("${SET}").unwrap(), "value");
        assert_eq!(run("a-$SET-b").unwrap(), "a-value-b");
        assert_eq!(run("${UNSET}").unwrap(), "");
        assert_eq!(run("$SET.x").unwrap(), "value.x");
        assert_eq!(run("no dollars").unwrap(), "no dollars");
    }

    #[test]
    fn defaults_distinguish_unset_from_empty() {
        assert_eq!(run("${UNSET:-d}").unwrap(), "d");
        assert_eq!(run("${EMPTY:-d}").unwrap(), "d");
        assert_eq!(run("${SET:-d}").unwrap(), "value");
        assert_eq!(run("${UNSET-d}").unwrap(), "d");
        assert_eq!(run("${EMPTY-d}").unwrap(), "");
        assert_eq!(run("${UNSET:-}").unwrap(), "");
    }

    #[test]
    fn alternatives() {
        assert_eq!(run("${SET:+alt}").unwrap(), "alt");
        assert_eq!(run("${EMPTY:+alt}").unwrap(), "");
        assert_eq!(run("${EMPTY+alt}").unwrap(), "alt");
        assert_eq!(run("${UNSET+alt}").unwrap(), "");
    }

    #[test]
    fn required_forms_fail_with_the_message() {
        let e = run("${UNSET:?must be set}").unwrap_err();
        assert_eq!(
            e.to_string(),
            "required variable UNSET is missing a value: must be set"
        );
        assert!(run("${EMPTY:?x}").is_err());
        assert_eq!(run("${EMPTY?x}").unwrap(), "");
        assert!(run("${UNSET?x}").is_err());
        assert_eq!(run("${SET:?x}").unwrap(), "value");
    }

    #[test]
    fn nesting_and_escapes() {
        assert_eq!(run("${UNSET:-${B}}").unwrap(), "bee");
        assert_eq!(run("${UNSET:-${ALSO:-deep}}").unwrap(), "deep");
        assert_eq!(run("${UNSET:-x-$B}").unwrap(), "x-bee");
        assert_eq!(run("$$SET").unwrap(), "$SET");
        assert_eq!(run("$${SET}").unwrap(), "${SET}");
        assert_eq!(run("cost: $$5").unwrap(), "cost: $5");
    }

    #[test]
    fn invalid_templates_are_errors() {
        for t in [
            "${}",
            "${SET/a/b}",
            "${UNCLOSED",
            "${1X}",
            "${SET:x}",
            "${ SET }",
        ] {
            assert!(
                matches!(run(t), Err(InterpError::Invalid { .. })),
                "{t} should be invalid"
            );
        }
    }

    #[test]
    fn a_lone_dollar_stays_literal_and_defaults_may_hold_braces() {
        assert_eq!(run("50$ off").unwrap(), "50$ off");
        assert_eq!(run("$1 a$").unwrap(), "$1 a$");
        assert_eq!(run("${UNSET:-$}").unwrap(), "$");
        assert_eq!(run(r#"${UNSET:-{"a":1}}"#).unwrap(), r#"{"a":1}"#);
        assert_eq!(run("${UNSET:-a}b}").unwrap(), "ab}");
    }

    #[test]
    fn records_uses_with_defaults() {
        let mut uses = Vec::new();
        interpolate(
            "${MINIO_SECRET_KEY:-minioadmin123} $X",
            &|_| None,
            &mut uses,
        )
        .unwrap();
        assert_eq!(uses.len(), 2);
        assert_eq!(uses[0].name, "MINIO_SECRET_KEY");
        assert_eq!(uses[0].arg.as_deref(), Some("minioadmin123"));
        assert!(uses[0].has_default() && !uses[0].set);
        assert_eq!(uses[1].op, Op::Plain);
    }
}
