//! A positioned YAML tree for compose files.
//!
//! Why not `marked-yaml` (which the catalogue uses)? It refuses anchors and
//! aliases, and compose files lean on them (`x-common: &common` plus
//! `<<: *common`). `serde-saphyr` (already a dependency) parses anchors,
//! aliases and `<<` merge keys, rejects duplicate keys, reports errors with
//! line and column, bounds alias expansion with its `Budget` (billion-laughs
//! inputs stop at a node/event limit instead of exhausting memory), and its
//! `Spanned<T>` wrapper gives every node's position — including the
//! *definition* site of aliased or merged values, which is where a user edits.
//! So this module deserializes into a small recursive tree of `Spanned`
//! nodes; no extra crate, no hand-written parser. The compose tags `!reset`
//! and `!override` are kept on the node ([`Tag`]) for the merge to honour.
//!
//! Scalars are typed as docker compose's YAML library (go-yaml v3, YAML 1.2
//! core schema) types them, not as YAML 1.1 does: only `true`/`false` (any
//! case) are booleans, so `restart: no` and `A: on` are strings; `010` is
//! the octal 8 as in go-yaml; `0x1F`, `0o17`, `0b11`, `1_000` are integers.
//! [`Node::scalar_text`] prints numbers as Go does (`1.0` → `1`, `1.5e-07`).
//!
//! This module only parses; it knows nothing about compose semantics.

use std::fmt;
use std::sync::Arc;

use indexmap::IndexMap;
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;

/// Largest compose file readyctl reads.
pub const MAX_FILE_BYTES: u64 = 8 * 1024 * 1024;

/// Where a value was written. Lines and columns are 1-based (0: unknown).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Loc {
    /// The file, as shown to users.
    pub file: Arc<str>,
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub column: u32,
}

impl fmt::Display for Loc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}

impl Loc {
    /// As a diagnostic location.
    pub fn to_diag(&self) -> Option<crate::diag::Location> {
        (self.line > 0).then(|| crate::diag::Location {
            file: self.file.to_string(),
            line: self.line,
            column: self.column,
        })
    }
}

/// A YAML value with its position.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// The value.
    pub value: Value,
    /// Where the value is written.
    pub loc: Loc,
    /// Where its key is written, when it is a mapping value.
    pub key_loc: Option<Loc>,
    /// A compose merge tag written on the value.
    pub tag: Option<Tag>,
}

/// The compose merge tags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tag {
    /// `!reset`: drop what earlier files (or the extended service) set.
    Reset,
    /// `!override`: replace what earlier files set instead of merging.
    Override,
}

/// A YAML value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `null`, `~` or nothing.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A float.
    Float(f64),
    /// A string.
    Str(String),
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping with string keys, in file order.
    Map(IndexMap<String, Node>),
}

impl Node {
    /// A node without a position (values readyctl synthesises).
    pub fn synthetic(value: Value) -> Node {
        Node {
            value,
            loc: Loc::default(),
            key_loc: None,
            tag: None,
        }
    }

    /// A node at `loc`.
    pub fn at(value: Value, loc: Loc) -> Node {
        Node {
            value,
            loc,
            key_loc: None,
            tag: None,
        }
    }

    /// The mapping, if this is one.
    pub fn as_map(&self) -> Option<&IndexMap<String, Node>> {
        match &self.value {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    /// The mapping, mutably.
    pub fn as_map_mut(&mut self) -> Option<&mut IndexMap<String, Node>> {
        match &mut self.value {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    /// The sequence, if this is one.
    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.value {
            Value::Seq(s) => Some(s),
            _ => None,
        }
    }

    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// `key` of a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.as_map().and_then(|m| m.get(key))
    }

    /// A scalar as text (how compose reads `environment` values and the like).
    pub fn scalar_text(&self) -> Option<String> {
        match &self.value {
            Value::Null => None,
            Value::Bool(b) => Some(b.to_string()),
            Value::Int(i) => Some(i.to_string()),
            Value::Float(f) => Some(go_float(*f)),
            Value::Str(s) => Some(s.clone()),
            Value::Seq(_) | Value::Map(_) => None,
        }
    }

    /// What kind of value this is, for error messages.
    pub fn type_name(&self) -> &'static str {
        match &self.value {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Int(_) => "an integer",
            Value::Float(_) => "a number",
            Value::Str(_) => "a string",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }

    fn set_file(&mut self, file: &Arc<str>) {
        self.loc.file = file.clone();
        if let Some(k) = &mut self.key_loc {
            k.file = file.clone();
        }
        match &mut self.value {
            Value::Seq(s) => s.iter_mut().for_each(|n| n.set_file(file)),
            Value::Map(m) => m.values_mut().for_each(|n| n.set_file(file)),
            _ => {}
        }
    }

    /// Converts to JSON (for `compose config --format json`).
    pub fn to_json(&self) -> serde_json::Value {
        match &self.value {
            Value::Null => serde_json::Value::Null,
            Value::Bool(b) => serde_json::Value::Bool(*b),
            Value::Int(i) => serde_json::Value::from(*i),
            Value::Float(f) => serde_json::Number::from_f64(*f)
                .map(serde_json::Value::Number)
                .unwrap_or(serde_json::Value::Null),
            Value::Str(s) => serde_json::Value::String(s.clone()),
            Value::Seq(s) => serde_json::Value::Array(s.iter().map(Node::to_json).collect()),
            Value::Map(m) => {
                serde_json::Value::Object(m.iter().map(|(k, v)| (k.clone(), v.to_json())).collect())
            }
        }
    }
}

thread_local! {
    /// Whether [`parse`] reads tags on this thread. Reading them costs several
    /// times more per node, so only files that mention `!reset` or
    /// `!override` pay for it.
    static READ_TAGS: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// A YAML syntax or structure error, located.
#[derive(Debug, Clone)]
pub struct YamlError {
    /// What is wrong.
    pub message: String,
    /// 1-based line (0 when unknown).
    pub line: u32,
    /// 1-based column.
    pub column: u32,
}

/// Parses one YAML document into a positioned tree; positions name `file`.
pub fn parse(file: &Arc<str>, text: &str) -> Result<Node, YamlError> {
    if text.trim().is_empty() {
        return Ok(Node::at(
            Value::Map(IndexMap::new()),
            Loc {
                file: file.clone(),
                line: 1,
                column: 1,
            },
        ));
    }
    // An alias bomb is small text that expands enormously; a legitimate file
    // has about one node per few bytes. So the node budget grows with the
    // file (a 10,000-service project loads) while expansion stays linear in
    // the input: a bomb stops after ~50,000 nodes plus one per byte.
    let size = u64::try_from(text.len()).unwrap_or(u64::MAX);
    let mut budget = serde_saphyr::Budget::default();
    budget.max_nodes = usize::try_from(50_000 + size).unwrap_or(usize::MAX);
    budget.max_events = budget.max_nodes.saturating_mul(2);
    // One `x-common` anchor merged into hundreds of services is normal
    // compose; the node and event caps above bound expansion instead.
    budget.enforce_alias_anchor_ratio = false;
    budget.max_aliases = usize::try_from(10_000 + size / 8).unwrap_or(usize::MAX);
    budget.max_depth = 64;
    let mut options = serde_saphyr::Options::default();
    options.budget = Some(budget);
    // go-yaml v3's typing (see the module docs).
    options.strict_booleans = true;
    options.legacy_octal_numbers = true;
    READ_TAGS.with(|t| t.set(text.contains("!reset") || text.contains("!override")));
    let parsed: Result<Node, _> = serde_saphyr::from_str_with_options(text, options);
    READ_TAGS.with(|t| t.set(false));
    let mut node: Node = parsed.map_err(|e| {
        let (line, column) = e
            .location()
            .map(|l| (l.line() as u32, l.column() as u32))
            .unwrap_or((0, 0));
        YamlError {
            message: first_line(&e.without_snippet().to_string()),
            line,
            column,
        }
    })?;
    node.set_file(file);
    Ok(node)
}

/// A float as Go's `fmt.Sprint` prints it (compose turns numbers in
/// `environment` and `labels` into text that way): shortest form, `1` for
/// `1.0`, an exponent below 1e-4 and from 1e21 (`1.5e-07`, `1e+21`),
/// `+Inf`/`-Inf`/`NaN`.
pub fn go_float(f: f64) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "+Inf" } else { "-Inf" }.into();
    }
    let a = f.abs();
    if a != 0.0 && !(1e-4..1e21).contains(&a) {
        // Rust's `{:e}` is shortest too (`1.5e-7`); Go pads the exponent to
        // two digits and always signs it.
        let s = format!("{f:e}");
        if let Some((m, e)) = s.split_once('e') {
            let (sign, digits) = match e.strip_prefix('-') {
                Some(d) => ('-', d),
                None => ('+', e),
            };
            return format!("{m}e{sign}{digits:0>2}");
        }
        return s;
    }
    let s = format!("{f}");
    if s == "-0" { "0".into() } else { s }
}

fn first_line(s: &str) -> String {
    s.lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("invalid YAML")
        .to_string()
}

fn loc_of<T>(s: &Spanned<T>) -> Loc {
    let l = if s.defined.line() > 0 {
        s.defined
    } else {
        s.referenced
    };
    Loc {
        file: Arc::from(""),
        line: l.line() as u32,
        column: l.column() as u32,
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        if !READ_TAGS.with(std::cell::Cell::get) {
            let s: Spanned<RawValue> = Spanned::deserialize(d)?;
            let loc = loc_of(&s);
            return Ok(Node {
                value: s.value.0,
                loc,
                key_loc: None,
                tag: None,
            });
        }
        let s: Spanned<serde_saphyr::Tagged<RawValue>> = Spanned::deserialize(d)?;
        let loc = loc_of(&s);
        let tag = match s.value.1.as_deref() {
            Some("!reset") => Some(Tag::Reset),
            Some("!override") => Some(Tag::Override),
            _ => None,
        };
        Ok(Node {
            value: s.value.0.0,
            loc,
            key_loc: None,
            tag,
        })
    }
}

struct RawValue(Value);

impl<'de> Deserialize<'de> for RawValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ValueVisitor).map(RawValue)
    }
}

/// A mapping key: any scalar, read as text.
struct Key(String);

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match d.deserialize_any(ValueVisitor)? {
            Value::Str(s) => Ok(Key(s)),
            Value::Int(i) => Ok(Key(i.to_string())),
            Value::Float(f) => Ok(Key(f.to_string())),
            Value::Bool(b) => Ok(Key(b.to_string())),
            Value::Null => Ok(Key("null".into())),
            Value::Seq(_) | Value::Map(_) => Err(de::Error::custom(
                "mapping keys must be scalars (a name), not a list or mapping",
            )),
        }
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Int(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(i64::try_from(v)
            .map(Value::Int)
            .unwrap_or(Value::Float(v as f64)))
    }
    fn visit_i128<E>(self, v: i128) -> Result<Value, E> {
        Ok(i64::try_from(v)
            .map(Value::Int)
            .unwrap_or(Value::Str(v.to_string())))
    }
    fn visit_u128<E>(self, v: u128) -> Result<Value, E> {
        Ok(i64::try_from(v)
            .map(Value::Int)
            .unwrap_or(Value::Str(v.to_string())))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Value::Float(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::Str(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::Str(v))
    }
    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Value, E> {
        Ok(Value::Str(String::from_utf8_lossy(v).into_owned()))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        RawValue::deserialize(d).map(|r| r.0)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut out = Vec::new();
        while let Some(n) = seq.next_element::<Node>()? {
            out.push(n);
        }
        Ok(Value::Seq(out))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = IndexMap::new();
        while let Some(k) = map.next_key::<Spanned<Key>>()? {
            let key_loc = loc_of(&k);
            let mut v: Node = map.next_value()?;
            v.key_loc = Some(key_loc);
            // Later keys (e.g. after a `<<` merge) win, as YAML merge keys specify.
            out.insert(k.value.0, v);
        }
        Ok(Value::Map(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(text: &str) -> Node {
        parse(&Arc::from("c.yml"), text).unwrap()
    }

    #[test]
    fn keeps_positions_of_values_and_keys() {
        let n = p("services:\n  app:\n    image: nginx:1.25\n    ports: [\"80:80\"]\n");
        let img = n
            .get("services")
            .unwrap()
            .get("app")
            .unwrap()
            .get("image")
            .unwrap();
        assert_eq!(img.as_str(), Some("nginx:1.25"));
        assert_eq!((img.loc.line, img.loc.column), (3, 12));
        let k = img.key_loc.as_ref().unwrap();
        assert_eq!((k.line, k.column), (3, 5));
        assert_eq!(&*img.loc.file, "c.yml");
    }

    #[test]
    fn scalars_keep_their_yaml_types() {
        let n = p("a: 1\nb: true\nc: '1'\nd:\ne: 1.5\n");
        assert_eq!(n.get("a").unwrap().value, Value::Int(1));
        assert_eq!(n.get("b").unwrap().value, Value::Bool(true));
        assert_eq!(n.get("c").unwrap().value, Value::Str("1".into()));
        assert_eq!(n.get("d").unwrap().value, Value::Null);
        assert_eq!(n.get("e").unwrap().value, Value::Float(1.5));
    }

    #[test]
    fn scalars_are_typed_as_go_yaml_does() {
        let n = p("a: no\nb: On\nc: 010\nd: True\ne: 0x1F\nf: 1_000\ng: ~\nh: !reset []\n");
        assert_eq!(n.get("a").unwrap().value, Value::Str("no".into()));
        assert_eq!(n.get("b").unwrap().value, Value::Str("On".into()));
        assert_eq!(n.get("c").unwrap().value, Value::Int(8));
        assert_eq!(n.get("d").unwrap().value, Value::Bool(true));
        assert_eq!(n.get("e").unwrap().value, Value::Int(31));
        assert_eq!(n.get("f").unwrap().value, Value::Int(1000));
        assert_eq!(n.get("g").unwrap().value, Value::Null);
        assert_eq!(n.get("h").unwrap().tag, Some(Tag::Reset));
        assert_eq!(go_float(1.0), "1");
        assert_eq!(go_float(1.5e-7), "1.5e-07");
        assert_eq!(go_float(0.5), "0.5");
        assert_eq!(go_float(1e21), "1e+21");
    }

    #[test]
    fn anchors_aliases_and_merge_keys_resolve() {
        let n = p(
            "x-common: &common\n  restart: always\n  image: a:1\nservices:\n  s:\n    <<: *common\n    image: b:2\n",
        );
        let s = n.get("services").unwrap().get("s").unwrap();
        assert_eq!(s.get("restart").unwrap().as_str(), Some("always"));
        assert_eq!(s.get("image").unwrap().as_str(), Some("b:2"));
        // Merged values point at their definition.
        assert_eq!(s.get("restart").unwrap().loc.line, 2);
    }

    #[test]
    fn syntax_errors_are_located() {
        let e = parse(&Arc::from("c.yml"), "a: [1, 2\nb: 3\n").unwrap_err();
        assert!(e.line > 0, "{e:?}");
        let e = parse(&Arc::from("c.yml"), "a: 1\na: 2\n").unwrap_err();
        assert_eq!(e.line, 2, "{e:?}");
    }

    #[test]
    fn one_anchor_merged_into_many_services_is_accepted() {
        // Regression: serde-saphyr's alias/anchor ratio guard refused this
        // ordinary pattern (found by bench/compose_load.sh).
        let mut text = String::from("x-common: &common\n  restart: always\nservices:\n");
        for i in 0..300 {
            text.push_str(&format!("  s{i}:\n    <<: *common\n    image: a:{i}\n"));
        }
        let n = parse(&Arc::from("c.yml"), &text).unwrap();
        assert_eq!(n.get("services").unwrap().as_map().unwrap().len(), 300);
    }

    #[test]
    fn alias_bombs_are_refused() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..10 {
            let prev = i - 1;
            text.push_str(&format!(
                "a{i}: &a{i} [*a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}]\n"
            ));
        }
        let start = std::time::Instant::now();
        assert!(parse(&Arc::from("bomb.yml"), &text).is_err());
        let took = start.elapsed();
        assert!(took < std::time::Duration::from_secs(5), "{took:?}");
    }
}
