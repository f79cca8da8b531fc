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
    /// The pydantic URL type (`PostgresDsn`, `HttpUrl`, …) when known: its
    /// allowed schemes and host rule apply.
    pub url_type: Option<&'a str>,
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
            Some("uri" | "multi-host-uri") => url_problem(value, shape.url_type),
            _ => None,
        },
        _ => None,
    }
}

/// pydantic's lax bool parsing (`str` → bool): case-insensitive, but
/// whitespace is not stripped (`" yes"` is rejected; checked against pydantic).
pub fn bool_word(v: &str) -> Option<bool> {
    match v.to_lowercase().as_str() {
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

/// Allowed schemes and whether a host is required, per pydantic URL type
/// (pydantic/networks.py `UrlConstraints`).
fn url_constraints(ty: &str) -> (Option<&'static [&'static str]>, bool) {
    const PG: &[&str] = &[
        "postgres",
        "postgresql",
        "postgresql+asyncpg",
        "postgresql+pg8000",
        "postgresql+psycopg",
        "postgresql+psycopg2",
        "postgresql+psycopg2cffi",
        "postgresql+py-postgresql",
        "postgresql+pygresql",
    ];
    match ty {
        "HttpUrl" | "AnyHttpUrl" => (Some(&["http", "https"]), true),
        "PostgresDsn" => (Some(PG), true),
        "CockroachDsn" => (
            Some(&["cockroachdb", "cockroachdb+psycopg2", "cockroachdb+asyncpg"]),
            true,
        ),
        "RedisDsn" => (Some(&["redis", "rediss"]), false),
        "AmqpDsn" => (Some(&["amqp", "amqps"]), false),
        "MongoDsn" => (Some(&["mongodb", "mongodb+srv"]), false),
        "KafkaDsn" => (Some(&["kafka"]), false),
        "NatsDsn" => (Some(&["nats", "tls", "ws", "wss"]), false),
        "FileUrl" => (Some(&["file"]), false),
        "FtpUrl" => (Some(&["ftp"]), false),
        "WebsocketUrl" | "AnyWebsocketUrl" => (Some(&["ws", "wss"]), false),
        "MySQLDsn" => (
            Some(&[
                "mysql",
                "mysql+mysqlconnector",
                "mysql+aiomysql",
                "mysql+asyncmy",
                "mysql+mysqldb",
                "mysql+pymysql",
                "mysql+cymysql",
                "mysql+pyodbc",
            ]),
            false,
        ),
        "MariaDBDsn" => (
            Some(&["mariadb", "mariadb+mariadbconnector", "mariadb+pymysql"]),
            false,
        ),
        "ClickHouseDsn" => (
            Some(&[
                "clickhouse+native",
                "clickhouse+asynch",
                "clickhouse+http",
                "clickhouse",
                "clickhouses",
                "clickhousedb",
            ]),
            false,
        ),
        "SnowflakeDsn" => (Some(&["snowflake"]), true),
        _ => (None, false),
    }
}

/// pydantic-core parses URLs with the WHATWG rules of the `url` crate, so
/// the same crate decides here; then the type's schemes and host rule.
fn url_problem(v: &str, url_type: Option<&str>) -> Option<String> {
    // A multi-host DSN (`postgres://a:1,b:2/db`): pydantic-core splits the
    // hosts; parse with the first.
    let single;
    let text = match (v.find("://"), v.contains(',')) {
        (Some(i), true) => {
            let rest = &v[i + 3..];
            let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
            let hosts = &rest[..end];
            let first = hosts.split(',').next().unwrap_or("");
            let auth = hosts.rfind('@').map(|a| &hosts[..=a]).unwrap_or("");
            let first = if first.contains('@') {
                first.to_string()
            } else {
                format!("{auth}{first}")
            };
            single = format!("{}://{}{}", &v[..i], first, &rest[end..]);
            single.as_str()
        }
        _ => v,
    };
    let parsed = match url::Url::parse(text) {
        Ok(u) => u,
        Err(e) => return Some(format!("a URL (pydantic: {e})")),
    };
    let (schemes, host_required) = url_type.map(url_constraints).unwrap_or((None, false));
    if let Some(s) = schemes
        && !s.contains(&parsed.scheme())
    {
        return Some(format!("a URL with scheme {}", s.join(", ")));
    }
    if host_required && parsed.host_str().is_none_or(str::is_empty) {
        return Some("a URL with a host".into());
    }
    None
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
            url_type: None,
        }
    }

    #[test]
    fn booleans_follow_pydantic_words() {
        for ok in ["true", "On", "0", "yes", "f", "Y"] {
            assert!(problem(shape("boolean"), ok).is_none(), "{ok}");
        }
        for bad in ["enabled", "2", "", "truee", " yes"] {
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
    fn urls_follow_the_type_schemes_and_host_rules() {
        let redis = Shape {
            format: Some("uri"),
            url_type: Some("RedisDsn"),
            ..shape("string")
        };
        assert!(problem(redis, "redis://redis:6379/0").is_none());
        assert!(problem(redis, "redis://").is_none());
        assert!(problem(redis, "r:6379").is_some());
        let pg = Shape {
            format: Some("multi-host-uri"),
            url_type: Some("PostgresDsn"),
            ..shape("string")
        };
        assert!(problem(pg, "postgresql+asyncpg://u:p@a:1,b:2/d").is_none());
        assert!(problem(pg, "mysql://h/d").is_some());
        let any = Shape {
            format: Some("uri"),
            ..shape("string")
        };
        assert!(problem(any, "foo:bar").is_none());
        assert!(problem(any, "x").is_some());
    }
}
