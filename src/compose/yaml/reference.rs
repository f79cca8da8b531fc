//! The previous parser, kept for the tests: serde-saphyr deserializing into
//! the same tree. Its typing was checked against the real docker compose
//! (tests/it compose_diff), so the event builder must agree with it on every
//! fixture and edge case (the tests in `mod.rs`).

use std::fmt;
use std::sync::Arc;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;

use super::{Loc, Map, Node, Tag, Value, YamlError, first_line};

thread_local! {
    /// Whether [`parse`] reads tags on this thread. Reading them costs several
    /// times more per node, so only files that mention `!reset` or
    /// `!override` pay for it.
    static READ_TAGS: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    /// The file [`parse`] is reading on this thread: every node's [`Loc`]
    /// shares it (one reference count, no allocation per node).
    static FILE: std::cell::RefCell<Option<Arc<str>>> = const { std::cell::RefCell::new(None) };
}

/// Parses `text` the way readyctl did before it read events itself.
pub(super) fn parse(file: &Arc<str>, text: &str) -> Result<Node, YamlError> {
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
    FILE.with(|f| *f.borrow_mut() = Some(file.clone()));
    let parsed: Result<Node, _> = serde_saphyr::from_str_with_options(text, options);
    READ_TAGS.with(|t| t.set(false));
    FILE.with(|f| *f.borrow_mut() = None);
    parsed.map_err(|e| {
        let (line, column) = e
            .location()
            .map(|l| (l.line() as u32, l.column() as u32))
            .unwrap_or((0, 0));
        YamlError {
            message: first_line(&e.without_snippet().to_string()),
            line,
            column,
        }
    })
}

fn loc_of<T>(s: &Spanned<T>) -> Loc {
    let l = if s.defined.line() > 0 {
        s.defined
    } else {
        s.referenced
    };
    Loc {
        file: FILE
            .with(|f| f.borrow().clone())
            .unwrap_or_else(|| Arc::from("")),
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
        let mut out = Map::default();
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
