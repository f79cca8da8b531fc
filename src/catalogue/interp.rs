//! `${VAR}` interpolation in catalogue strings.
//!
//! Forms: `${VAR}`, `${VAR:-default}` (default when unset or empty),
//! `${VAR-default}` (default when unset), `${VAR:?message}` (error with the
//! message when unset or empty). Defaults may themselves contain `${…}`.
//! `$${` is a literal `${`; a `$` not followed by `{` is left alone so regexes
//! like `^ALM-\d{3}$` need no escaping. Names listed as *deferred* (values
//! captured by checks at run time) are kept as written for the runner.

/// Where variable values come from, and which of them are secrets.
pub(crate) trait Lookup {
    /// The value of `name`, if set, and whether it is a secret.
    fn get(&self, name: &str) -> Option<(String, bool)>;
    /// True when `${name}` must be left for run time.
    fn deferred(&self, name: &str) -> bool;
}

/// A variable that has no value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Unresolved {
    /// The variable's name.
    pub name: String,
    /// The `:?` message, when the author wrote one.
    pub message: Option<String>,
}

/// The interpolated text, plus the secret values that went into it.
#[derive(Debug, Default)]
pub(crate) struct Expanded {
    /// The result.
    pub text: String,
    /// Values of secret variables used (to be masked in output).
    pub secrets: Vec<String>,
    /// Variables with no value.
    pub unresolved: Vec<Unresolved>,
}

/// Interpolates `input`. Never fails: unresolved variables are collected so
/// the caller can report all of them with positions.
pub(crate) fn expand(input: &str, lookup: &dyn Lookup) -> Expanded {
    let mut out = Expanded::default();
    out.text = expand_into(input, lookup, &mut out.secrets, &mut out.unresolved, 0);
    out
}

const MAX_DEPTH: usize = 16;

fn expand_into(
    input: &str,
    lookup: &dyn Lookup,
    secrets: &mut Vec<String>,
    unresolved: &mut Vec<Unresolved>,
    depth: usize,
) -> String {
    if !input.contains("${") {
        return input.to_string();
    }
    let mut out = String::with_capacity(input.len());
    let bytes = input.as_bytes();
    let mut i = 0;
    while i < input.len() {
        if input[i..].starts_with("$${") {
            out.push_str("${");
            i += 3;
            continue;
        }
        if input[i..].starts_with("${")
            && let Some(end) = matching_brace(input, i + 2)
        {
            let inner = &input[i + 2..end];
            let original = &input[i..=end];
            out.push_str(&resolve(
                inner, original, lookup, secrets, unresolved, depth,
            ));
            i = end + 1;
            continue;
        }
        let ch_len = utf8_len(bytes[i]);
        out.push_str(&input[i..i + ch_len]);
        i += ch_len;
    }
    out
}

fn utf8_len(first: u8) -> usize {
    match first {
        b if b < 0x80 => 1,
        b if b >= 0xF0 => 4,
        b if b >= 0xE0 => 3,
        _ => 2,
    }
}

/// Index of the `}` closing a `${` whose body starts at `from`.
fn matching_brace(s: &str, from: usize) -> Option<usize> {
    let mut depth = 1usize;
    let b = s.as_bytes();
    let mut i = from;
    while i < b.len() {
        if b[i] == b'$' && b.get(i + 1) == Some(&b'{') {
            depth += 1;
            i += 2;
            continue;
        }
        if b[i] == b'}' {
            depth -= 1;
            if depth == 0 {
                return Some(i);
            }
        }
        i += 1;
    }
    None
}

fn resolve(
    inner: &str,
    original: &str,
    lookup: &dyn Lookup,
    secrets: &mut Vec<String>,
    unresolved: &mut Vec<Unresolved>,
    depth: usize,
) -> String {
    let name_end = inner
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
        .unwrap_or(inner.len());
    let name = &inner[..name_end];
    let op = &inner[name_end..];
    if lookup.deferred(name) && op.is_empty() {
        return original.to_string();
    }
    let value = lookup.get(name);
    let mut take = |v: (String, bool)| {
        if v.1 {
            secrets.push(v.0.clone());
        }
        v.0
    };
    let nested = |text: &str, secrets: &mut Vec<String>, unresolved: &mut Vec<Unresolved>| {
        if depth >= MAX_DEPTH {
            text.to_string()
        } else {
            expand_into(text, lookup, secrets, unresolved, depth + 1)
        }
    };
    if let Some(default) = op.strip_prefix(":-") {
        match value {
            Some(v) if !v.0.is_empty() => take(v),
            _ => nested(default, secrets, unresolved),
        }
    } else if let Some(default) = op.strip_prefix('-') {
        match value {
            Some(v) => take(v),
            None => nested(default, secrets, unresolved),
        }
    } else if let Some(msg) = op.strip_prefix(":?") {
        match value {
            Some(v) if !v.0.is_empty() => take(v),
            _ => {
                unresolved.push(Unresolved {
                    name: name.to_string(),
                    message: Some(msg.to_string()).filter(|m| !m.is_empty()),
                });
                String::new()
            }
        }
    } else if op.is_empty() && !name.is_empty() {
        match value {
            Some(v) => take(v),
            None => {
                unresolved.push(Unresolved {
                    name: name.to_string(),
                    message: None,
                });
                String::new()
            }
        }
    } else {
        unresolved.push(Unresolved {
            name: inner.to_string(),
            message: Some(format!("`{original}` is not a valid interpolation; write ${{NAME}}, ${{NAME:-default}} or ${{NAME:?message}}")),
        });
        String::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    struct Map(
        HashMap<&'static str, (&'static str, bool)>,
        Vec<&'static str>,
    );
    impl Lookup for Map {
        fn get(&self, name: &str) -> Option<(String, bool)> {
            self.0.get(name).map(|(v, s)| (v.to_string(), *s))
        }
        fn deferred(&self, name: &str) -> bool {
            self.1.contains(&name)
        }
    }

    fn env() -> Map {
        Map(
            HashMap::from([
                ("A", ("a", false)),
                ("EMPTY", ("", false)),
                ("PW", ("hunter22", true)),
            ]),
            vec!["token"],
        )
    }

    #[test]
    fn expands_every_form() {
        let e = env();
        assert_eq!(expand("x${A}y", &e).text, "xay");
        assert_eq!(expand("${NOPE:-dflt}", &e).text, "dflt");
        assert_eq!(expand("${EMPTY:-dflt}", &e).text, "dflt");
        assert_eq!(expand("${EMPTY-dflt}", &e).text, "");
        assert_eq!(expand("${NOPE-${A}}", &e).text, "a");
        assert_eq!(expand("$${A} and ^x$", &e).text, "${A} and ^x$");
        assert_eq!(expand("Bearer ${token}", &e).text, "Bearer ${token}");
    }

    #[test]
    fn collects_unresolved_and_secrets() {
        let e = env();
        let r = expand("${PW} ${MISSING} ${REQ:?set REQ first}", &e);
        assert_eq!(r.secrets, vec!["hunter22".to_string()]);
        assert_eq!(r.unresolved.len(), 2);
        assert_eq!(r.unresolved[0].name, "MISSING");
        assert_eq!(r.unresolved[1].message.as_deref(), Some("set REQ first"));
    }

    #[test]
    fn survives_unterminated_and_non_ascii() {
        let e = env();
        assert_eq!(expand("héllo ${A", &e).text, "héllo ${A");
    }
}
