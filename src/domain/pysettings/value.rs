//! Whether an environment value parses the way pydantic would parse it for a
//! field: pydantic-settings' JSON decoding for complex fields (a
//! comma-separated list is a JSON error before pydantic sees it), enum and
//! `Literal` members (case-sensitive), pydantic's boolean words, integers,
//! numbers and URLs. Pure functions over the value text; no Python.

use serde_json::Value;

/// What a field's value must look like, from a settings model or a schema.
#[derive(Debug, Clone, Copy)]
pub struct Shape<'a> {
    /// JSON Schema type (`string`, `integer`, `number`, `boolean`, `array`, `object`).
    pub ty: Option<&'a str>,
    /// JSON Schema format (`uri`, `multi-host-uri`, …).
    pub format: Option<&'a str>,
    /// Allowed values, if an enum or `Literal`.
    pub choices: Option<&'a [Value]>,
    /// pydantic-settings decodes the value as JSON first.
    pub complex: bool,
}

/// Why pydantic would reject `value`, as "must be …" text, or `None` if it parses.
pub fn problem(shape: Shape, value: &str) -> Option<String> {
    if shape.complex || matches!(shape.ty, Some("array" | "object")) {
        let parsed: Result<Value, _> = serde_json::from_str(value);
        return match parsed {
            Err(e) => {
                let comma = value.contains(',') && !value.trim_start().starts_with(['[', '{']);
                Some(format!(
                    "JSON ({}: pydantic-settings decodes this field with json.loads and stops with \"error parsing value\"{})",
                    e,
                    if comma {
                        "; a comma-separated list must be written as a JSON array, e.g. [\"a\",\"b\"]"
                    } else {
                        ""
                    }
                ))
            }
            Ok(v) => match (shape.ty, &v) {
                (Some("array"), Value::Array(_)) | (Some("object"), Value::Object(_)) => None,
                (Some("array"), _) => Some("a JSON array".into()),
                (Some("object"), _) => Some("a JSON object".into()),
                _ => None,
            },
        };
    }
    if let Some(c) = shape.choices {
        // pydantic compares enum and Literal values exactly; a number member
        // also takes its decimal text.
        let ok = c.iter().any(|x| match x {
            Value::String(s) => s == value,
            Value::Number(n) => n.to_string() == value.trim(),
            Value::Bool(b) => bool_word(value) == Some(*b),
            _ => false,
        });
        let list: Vec<String> = c
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| v.to_string())
            })
            .collect();
        return (!ok).then(|| format!("one of {} (case-sensitive)", list.join(", ")));
    }
    match shape.ty {
        Some("boolean") => bool_word(value).is_none().then(|| {
            "a boolean (pydantic accepts 1/0, true/false, yes/no, on/off, t/f, y/n)".into()
        }),
        Some("integer") => (!is_int(value)).then(|| "an integer".into()),
        Some("number") => (!is_number(value)).then(|| "a number".into()),
        Some("string") => match shape.format {
            Some("uri" | "multi-host-uri") => url_problem(value),
            _ => None,
        },
        _ => None,
    }
}

/// pydantic's lax bool parsing (`str` → bool), case-insensitive, surrounding
/// whitespace stripped.
pub fn bool_word(v: &str) -> Option<bool> {
    match v.trim().to_lowercase().as_str() {
        "1" | "true" | "yes" | "on" | "t" | "y" => Some(true),
        "0" | "false" | "no" | "off" | "f" | "n" => Some(false),
        _ => None,
    }
}

/// pydantic's lax int parsing: optional sign, digits with single `_`
/// between them, surrounding whitespace; also a float string with a zero
/// fraction (`"5.0"`).
fn is_int(v: &str) -> bool {
    let t = v.trim();
    let digits = t.strip_prefix(['+', '-']).unwrap_or(t);
    let plain = |d: &str| {
        !d.is_empty()
            && !d.starts_with('_')
            && !d.ends_with('_')
            && !d.contains("__")
            && d.chars().all(|c| c.is_ascii_digit() || c == '_')
    };
    if plain(digits) {
        return true;
    }
    match digits.split_once('.') {
        Some((i, f)) => plain(i) && !f.is_empty() && f.chars().all(|c| c == '0'),
        None => false,
    }
}

fn is_number(v: &str) -> bool {
    let t = v.trim().replace('_', "");
    let l = t.to_lowercase();
    matches!(
        l.as_str(),
        "inf" | "-inf" | "+inf" | "nan" | "infinity" | "-infinity"
    ) || (t.parse::<f64>().is_ok() && !t.is_empty())
}

/// The URL errors pydantic reports most often for env values: no scheme,
/// nothing after it.
fn url_problem(v: &str) -> Option<String> {
    let t = v.trim();
    match t.split_once("://") {
        None => Some("a URL with a scheme (e.g. https://host/…); pydantic says \"relative URL without a base\"".into()),
        Some((scheme, rest)) => {
            let scheme_ok = !scheme.is_empty()
                && scheme.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
            if !scheme_ok {
                Some("a URL with a valid scheme".into())
            } else if rest.is_empty() || rest.starts_with('/') && !scheme.eq_ignore_ascii_case("file") {
                Some("a URL with a host; pydantic says \"empty host\"".into())
            } else {
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(ty: &str) -> Shape<'_> {
        Shape {
            ty: Some(ty),
            format: None,
            choices: None,
            complex: false,
        }
    }

    #[test]
    fn booleans_follow_pydantic_words() {
        for ok in ["true", "On", "0", " yes ", "f", "Y"] {
            assert!(problem(shape("boolean"), ok).is_none(), "{ok}");
        }
        for bad in ["enabled", "2", "", "truee"] {
            assert!(problem(shape("boolean"), bad).is_some(), "{bad}");
        }
    }

    #[test]
    fn integers_and_numbers() {
        assert!(problem(shape("integer"), "5432").is_none());
        assert!(problem(shape("integer"), "1_000").is_none());
        assert!(problem(shape("integer"), "5.0").is_none());
        assert!(problem(shape("integer"), "5.5").is_some());
        assert!(problem(shape("integer"), "five").is_some());
        assert!(problem(shape("number"), "0.25").is_none());
        assert!(problem(shape("number"), "1e3").is_none());
        assert!(problem(shape("number"), "x").is_some());
    }

    #[test]
    fn complex_fields_need_json_and_explain_comma_lists() {
        let s = Shape {
            complex: true,
            ..shape("array")
        };
        assert!(problem(s, r#"["a","b"]"#).is_none());
        let p = problem(s, "a,b").unwrap();
        assert!(p.contains("JSON array"), "{p}");
        assert!(problem(s, r#"{"a":1}"#).is_some());
    }

    #[test]
    fn enums_are_case_sensitive() {
        let c = [Value::from("production"), Value::from("staging")];
        let s = Shape {
            choices: Some(&c),
            ..shape("string")
        };
        assert!(problem(s, "production").is_none());
        assert!(problem(s, "Production").is_some());
    }

    #[test]
    fn urls_need_scheme_and_host() {
        let s = Shape {
            format: Some("uri"),
            ..shape("string")
        };
        assert!(problem(s, "redis://redis:6379/0").is_none());
        assert!(problem(s, "redis:6379").is_some());
        assert!(problem(s, "http://").is_some());
    }
}
