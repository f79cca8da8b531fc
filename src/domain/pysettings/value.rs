//! Whether an environment value parses the way pydantic would parse it for a
//! field: pydantic-settings' JSON decoding for complex fields (a
//! comma-separated list is a JSON error before pydantic sees it), enum and
//! `Literal` members (case-sensitive), pydantic's boolean words, integers,
//! numbers and URLs. Pure functions over the value text; no Python.

use std::cmp::Ordering;

use serde::Serialize;
use serde_json::Value;

/// What a field's value must look like, from a settings model or a schema.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Shape<'a> {
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
pub(crate) fn problem(shape: Shape, value: &str) -> Option<String> {
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
pub(crate) fn bool_word(v: &str) -> Option<bool> {
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

/// A field's type as pydantic validates an environment value for it, read
/// from the settings source: what `value_problem` walks. Scalars validate
/// the raw text (pydantic's lax str → type rules); containers and models
/// validate what `json.loads` made of it (lax Python-object rules).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub(crate) enum VType {
    /// `str` (and types validated as plain text: dates, paths, e-mail, …).
    Str {
        /// Length and pattern constraints.
        #[serde(skip_serializing_if = "Constraints::is_empty")]
        constraints: Constraints,
    },
    /// `int`.
    Int {
        /// Bounds.
        #[serde(skip_serializing_if = "Constraints::is_empty")]
        constraints: Constraints,
    },
    /// `float`.
    Float {
        /// Bounds.
        #[serde(skip_serializing_if = "Constraints::is_empty")]
        constraints: Constraints,
    },
    /// `bool`.
    Bool,
    /// `SecretStr`/`SecretBytes`: any text, with length constraints.
    Secret {
        /// Length constraints.
        #[serde(skip_serializing_if = "Constraints::is_empty")]
        constraints: Constraints,
    },
    /// A pydantic URL or DSN type (`HttpUrl`, `PostgresDsn`, …).
    Url {
        /// The pydantic type name.
        name: String,
    },
    /// `Enum` members or `Literal` values.
    Choices {
        /// The allowed values.
        values: Vec<Value>,
        /// Member names, when `env_parse_enums` lets the environment use them.
        #[serde(skip_serializing_if = "Vec::is_empty")]
        names: Vec<String>,
        /// An `Enum` (lax: an `IntEnum` takes `"1"`) rather than a `Literal` (exact).
        is_enum: bool,
    },
    /// `list`, `set`, `frozenset`, `tuple[X, ...]`, `Sequence`: a JSON array.
    List {
        /// The item type.
        item: Box<VType>,
        /// Length constraints.
        #[serde(skip_serializing_if = "Constraints::is_empty")]
        constraints: Constraints,
    },
    /// `tuple[A, B]`: a JSON array of exactly these items.
    Tuple {
        /// The item types in order.
        items: Vec<VType>,
    },
    /// `dict[str, V]`: a JSON object.
    Dict {
        /// The value type.
        value: Box<VType>,
    },
    /// A nested model: a JSON object of its fields.
    Model {
        /// The class name.
        name: String,
        /// Its fields.
        fields: Vec<ModelField>,
    },
    /// `Optional[X]`.
    Optional(Box<VType>),
    /// `Union[A, B]`: any member.
    Union(Vec<VType>),
    /// Anything, or a type readyctl does not check.
    Any,
}

/// One field of a nested model.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct ModelField {
    /// The keys that set it in a JSON object (its alias choices, or its name).
    pub keys: Vec<String>,
    /// Its type.
    #[serde(rename = "type")]
    pub ty: VType,
    /// No default: the object must have it.
    pub required: bool,
}

/// pydantic's `Field(...)` constraints that readyctl checks.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub(crate) struct Constraints {
    /// `gt`
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gt: Option<f64>,
    /// `ge`
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ge: Option<f64>,
    /// `lt`
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lt: Option<f64>,
    /// `le`
    #[serde(skip_serializing_if = "Option::is_none")]
    pub le: Option<f64>,
    /// `multiple_of` (checked for integers only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub multiple_of: Option<f64>,
    /// `min_length`
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_length: Option<u64>,
    /// `max_length`
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_length: Option<u64>,
    /// `pattern` (pydantic-core matches it with the Rust `regex` crate, unanchored).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pattern: Option<String>,
}

impl Constraints {
    /// No constraint at all.
    pub(crate) fn is_empty(&self) -> bool {
        *self == Constraints::default()
    }

    /// `self` with `other`'s constraints added (the outer `Field(...)` wins).
    pub(crate) fn merged(&self, other: &Constraints) -> Constraints {
        Constraints {
            gt: other.gt.or(self.gt),
            ge: other.ge.or(self.ge),
            lt: other.lt.or(self.lt),
            le: other.le.or(self.le),
            multiple_of: other.multiple_of.or(self.multiple_of),
            min_length: other.min_length.or(self.min_length),
            max_length: other.max_length.or(self.max_length),
            pattern: other.pattern.clone().or_else(|| self.pattern.clone()),
        }
    }

    fn number(&self, x: f64, int: bool) -> Option<String> {
        let show = |b: f64| {
            if b.fract() == 0.0 && b.abs() < 1e15 {
                format!("{}", b as i64)
            } else {
                b.to_string()
            }
        };
        if let Some(b) = self.gt
            && !matches!(x.partial_cmp(&b), Some(Ordering::Greater))
        {
            return Some(format!("greater than {}", show(b)));
        }
        if let Some(b) = self.ge
            && !matches!(x.partial_cmp(&b), Some(Ordering::Greater | Ordering::Equal))
        {
            return Some(format!("at least {}", show(b)));
        }
        if let Some(b) = self.lt
            && !matches!(x.partial_cmp(&b), Some(Ordering::Less))
        {
            return Some(format!("less than {}", show(b)));
        }
        if let Some(b) = self.le
            && !matches!(x.partial_cmp(&b), Some(Ordering::Less | Ordering::Equal))
        {
            return Some(format!("at most {}", show(b)));
        }
        if int
            && let Some(m) = self.multiple_of
            && m != 0.0
            && (x % m) != 0.0
        {
            return Some(format!("a multiple of {}", show(m)));
        }
        None
    }

    fn length(&self, n: usize, what: &str) -> Option<String> {
        if let Some(min) = self.min_length
            && (n as u64) < min
        {
            return Some(format!("at least {min} {what} long"));
        }
        if let Some(max) = self.max_length
            && (n as u64) > max
        {
            return Some(format!("at most {max} {what} long"));
        }
        None
    }

    fn text(&self, s: &str) -> Option<String> {
        if let Some(p) = self.length(s.chars().count(), "characters") {
            return Some(p);
        }
        if let Some(pat) = &self.pattern
            // A pattern the Rust engine cannot compile is matched by Python's
            // `re` in pydantic-core: not checked here rather than guessed.
            && let Ok(re) = regex::Regex::new(pat)
            && !re.is_match(s)
        {
            return Some(format!("text matching {pat}"));
        }
        None
    }
}

/// Why pydantic refuses an environment value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ValueProblem {
    /// pydantic-settings' `json.loads` failed on a complex field: a
    /// `SettingsError` ("error parsing value for field …") before validation.
    NotJson {
        /// The JSON error.
        error: String,
        /// The value in JSON form, when the text reads as a comma-separated
        /// list (`a,b` → `["a","b"]`) or `k=v` pairs.
        suggestion: Option<String>,
    },
    /// Validation fails: "must be …".
    Invalid(String),
}

/// Where a value comes from, which decides pydantic-settings' decoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Place {
    /// A top-level field's own variable (`prepare_field_value`).
    Top,
    /// A field below a model through the nested delimiter (`explode_env_vars`).
    Nested,
    /// A key of a dict field through the nested delimiter (`V_LABELS__TEAM`).
    DictKey,
}

/// The JSON value, or the raw environment text.
#[derive(Clone, Copy)]
enum Input<'a> {
    Raw(&'a str),
    /// A JSON string (normalised out of `Json`, so both texts match one pattern).
    Text(&'a str),
    Json(&'a Value),
}

/// Why pydantic-settings and pydantic would refuse `raw` for a field of type
/// `ty` set at `place`, or `None` when `Settings()` takes it.
pub(crate) fn value_problem(ty: &VType, raw: &str, place: Place) -> Option<ValueProblem> {
    let (complex, allow_failure) = match place {
        Place::DictKey => (true, true),
        _ => is_complex(ty),
    };
    // explode_env_vars decodes only non-empty values.
    if complex && !(place != Place::Top && raw.is_empty()) {
        match serde_json::from_str::<Value>(raw) {
            // A top-level null is "no value": the default applies.
            Ok(Value::Null) if place == Place::Top => None,
            Ok(v) => check(ty, Input::Json(&v)).map(ValueProblem::Invalid),
            Err(e) if allow_failure => check(ty, Input::Raw(raw)).map(|p| {
                if place == Place::DictKey {
                    ValueProblem::Invalid(p)
                } else {
                    ValueProblem::NotJson {
                        error: e.to_string(),
                        suggestion: json_form(ty, raw),
                    }
                }
            }),
            Err(e) => Some(ValueProblem::NotJson {
                error: e.to_string(),
                suggestion: json_form(ty, raw),
            }),
        }
    } else {
        check(ty, Input::Raw(raw)).map(ValueProblem::Invalid)
    }
}

/// pydantic-settings' `_field_is_complex`: (decoded as JSON, a JSON error is
/// tolerated). A union with a complex member is decoded leniently.
fn is_complex(ty: &VType) -> (bool, bool) {
    match ty {
        VType::List { .. } | VType::Tuple { .. } | VType::Dict { .. } | VType::Model { .. } => {
            (true, false)
        }
        VType::Optional(t) => (is_complex(t).0, true),
        VType::Union(ts) => (ts.iter().any(|t| is_complex(t).0), true),
        _ => (false, false),
    }
}

/// The text as JSON of the field's shape: `a, b` → `["a","b"]`, `k=v,l=w` →
/// `{"k":"v","l":"w"}`; numbers stay numbers where the items are numbers.
fn json_form(ty: &VType, raw: &str) -> Option<String> {
    let inner = match ty {
        VType::Optional(t) => t.as_ref(),
        VType::Union(ts) => ts.iter().find(|t| is_complex(t).0)?,
        t => t,
    };
    let parts: Vec<&str> = raw
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();
    if parts.is_empty() {
        return None;
    }
    let item = |t: &VType, p: &str| -> Value {
        match t {
            VType::Int { .. } | VType::Float { .. } => {
                serde_json::from_str::<serde_json::Number>(p)
                    .map(Value::Number)
                    .unwrap_or_else(|_| Value::String(p.to_string()))
            }
            VType::Bool => bool_word(p)
                .map(Value::Bool)
                .unwrap_or_else(|| Value::String(p.to_string())),
            _ => Value::String(p.to_string()),
        }
    };
    let v = match inner {
        VType::List { item: t, .. } => Value::Array(parts.iter().map(|p| item(t, p)).collect()),
        VType::Tuple { items } if items.len() == parts.len() => {
            Value::Array(items.iter().zip(&parts).map(|(t, p)| item(t, p)).collect())
        }
        VType::Dict { value } => {
            let mut m = serde_json::Map::new();
            for p in &parts {
                let (k, v) = p.split_once(['=', ':'])?;
                m.insert(k.trim().to_string(), item(value, v.trim()));
            }
            Value::Object(m)
        }
        _ => return None,
    };
    Some(v.to_string())
}

/// pydantic's lax validation of one input against `ty`: "must be …" text.
fn check(ty: &VType, input: Input) -> Option<String> {
    check_at(ty, input, 0)
}

fn check_at(ty: &VType, input: Input, depth: usize) -> Option<String> {
    if depth > 32 {
        return None;
    }
    let d = depth + 1;
    let input = match input {
        Input::Json(Value::String(s)) => Input::Text(s),
        i => i,
    };
    match ty {
        VType::Any => None,
        VType::Optional(t) => match input {
            Input::Json(Value::Null) => None,
            _ => check_at(t, input, d),
        },
        VType::Union(ts) => {
            let problems: Vec<String> = ts.iter().filter_map(|t| check_at(t, input, d)).collect();
            (problems.len() == ts.len()).then(|| problems.join(", or "))
        }
        VType::Str { constraints } => match input {
            Input::Raw(s) | Input::Text(s) => constraints.text(s).map(|c| format!("a string {c}")),
            Input::Json(_) => Some("a string".into()),
        },
        VType::Secret { constraints } => match input {
            Input::Raw(s) | Input::Text(s) => constraints
                .length(s.chars().count(), "characters")
                .map(|c| format!("a secret {c}")),
            Input::Json(_) => Some("a string".into()),
        },
        VType::Int { constraints } => {
            let n = match input {
                Input::Raw(s) | Input::Text(s) => int_value(s),
                Input::Json(Value::Number(n)) => n.as_f64().filter(|f| f.fract() == 0.0),
                Input::Json(Value::Bool(b)) => Some(if *b { 1.0 } else { 0.0 }),
                Input::Json(_) => None,
            };
            match n {
                None => Some("an integer".into()),
                Some(x) => constraints
                    .number(x, true)
                    .map(|c| format!("an integer {c}")),
            }
        }
        VType::Float { constraints } => {
            let n = match input {
                Input::Raw(s) | Input::Text(s) => float_value(s),
                Input::Json(Value::Number(n)) => n.as_f64(),
                Input::Json(Value::Bool(b)) => Some(if *b { 1.0 } else { 0.0 }),
                Input::Json(_) => None,
            };
            match n {
                None => Some("a number".into()),
                Some(x) => constraints
                    .number(x, false)
                    .map(|c| format!("a number {c}")),
            }
        }
        VType::Bool => {
            let ok = match input {
                Input::Raw(s) | Input::Text(s) => bool_word(s).is_some(),
                Input::Json(Value::Bool(_)) => true,
                Input::Json(Value::Number(n)) => n.as_f64().is_some_and(|f| f == 0.0 || f == 1.0),
                Input::Json(_) => false,
            };
            (!ok).then(|| {
                "a boolean (pydantic accepts 1/0, true/false, yes/no, on/off, t/f, y/n)".into()
            })
        }
        VType::Url { name } => match input {
            Input::Raw(s) | Input::Text(s) => url_problem(s, Some(name)),
            Input::Json(_) => Some("a URL".into()),
        },
        VType::Choices {
            values,
            names,
            is_enum,
        } => {
            let ok = match input {
                Input::Raw(s) | Input::Text(s) => {
                    // env_parse_enums maps a member's name to it, for the
                    // variable's whole text only (not inside JSON).
                    (matches!(input, Input::Raw(_)) && names.iter().any(|n| n == s))
                        || values.iter().any(|v| match v {
                            Value::String(m) => m == s,
                            // An IntEnum takes the text of its value (lax int);
                            // a Literal compares the text with the number: never equal.
                            Value::Number(m) if *is_enum => {
                                int_value(s).is_some_and(|x| Some(x) == m.as_f64())
                            }
                            _ => false,
                        })
                }
                Input::Json(j) => values.iter().any(|v| match (v, j) {
                    (Value::Number(m), Value::Number(x)) => m.as_f64() == x.as_f64(),
                    (Value::Number(m), Value::String(s)) if *is_enum => {
                        int_value(s).is_some_and(|x| Some(x) == m.as_f64())
                    }
                    (m, x) => m == x,
                }),
            };
            (!ok).then(|| {
                let list: Vec<String> = values
                    .iter()
                    .map(|v| {
                        v.as_str()
                            .map(str::to_string)
                            .unwrap_or_else(|| v.to_string())
                    })
                    .collect();
                format!("one of {} (case-sensitive)", list.join(", "))
            })
        }
        VType::List { item, constraints } => match input {
            Input::Json(Value::Array(xs)) => {
                if let Some(c) = constraints.length(xs.len(), "items") {
                    return Some(format!("a list {c}"));
                }
                xs.iter().enumerate().find_map(|(i, x)| {
                    check_at(item, Input::Json(x), d)
                        .map(|p| format!("a list whose item {i} is {p}"))
                })
            }
            _ => Some("a JSON array".into()),
        },
        VType::Tuple { items } => match input {
            Input::Json(Value::Array(xs)) if xs.len() == items.len() => {
                items.iter().zip(xs).enumerate().find_map(|(i, (t, x))| {
                    check_at(t, Input::Json(x), d).map(|p| format!("a list whose item {i} is {p}"))
                })
            }
            Input::Json(Value::Array(_)) => Some(format!("a JSON array of {} items", items.len())),
            _ => Some("a JSON array".into()),
        },
        VType::Dict { value } => match input {
            Input::Json(Value::Object(m)) => m.iter().find_map(|(k, x)| {
                check_at(value, Input::Json(x), d).map(|p| format!("an object whose {k:?} is {p}"))
            }),
            _ => Some("a JSON object".into()),
        },
        VType::Model { name, fields } => match input {
            Input::Json(Value::Object(m)) => {
                fields
                    .iter()
                    .find_map(|f| match f.keys.iter().find_map(|k| m.get(k)) {
                        Some(x) => check_at(&f.ty, Input::Json(x), d)
                            .map(|p| format!("a `{name}` object whose {:?} is {p}", f.keys[0])),
                        None if f.required => {
                            Some(format!("a `{name}` object with {:?}", f.keys[0]))
                        }
                        None => None,
                    })
            }
            _ => Some(format!("a JSON object (the fields of `{name}`)")),
        },
    }
}

/// The integer pydantic makes of a text, if it takes it (see [`is_int`]).
fn int_value(v: &str) -> Option<f64> {
    if !is_int(v) {
        return None;
    }
    v.trim().replace('_', "").parse::<f64>().ok()
}

/// The float pydantic makes of a text, if it takes it.
fn float_value(v: &str) -> Option<f64> {
    if !is_number(v) {
        return None;
    }
    let t = v.trim().replace('_', "").to_lowercase();
    match t.as_str() {
        "inf" | "+inf" | "infinity" | "+infinity" => Some(f64::INFINITY),
        "-inf" | "-infinity" => Some(f64::NEG_INFINITY),
        "nan" | "+nan" | "-nan" => Some(f64::NAN),
        _ => t.parse().ok(),
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
