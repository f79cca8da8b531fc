//! A positioned YAML tree for compose files.
//!
//! Why not `marked-yaml` (which the catalogue uses)? It refuses anchors and
//! aliases, and compose files lean on them (`x-common: &common` plus
//! `<<: *common`). `build` reads the events of `granit-parser` (the parser
//! under serde-saphyr) into a small recursive tree: anchors, aliases and `<<`
//! merge keys resolved, duplicate keys rejected, errors with line and column,
//! alias expansion bounded by a node budget that grows with the file (a
//! billion-laughs input stops early instead of exhausting memory), and every
//! node's position — the *definition* site for aliased or merged values,
//! which is where a user edits. The compose tags `!reset` and `!override`
//! are kept on the node ([`Tag`]) for the merge to honour. Until this
//! release the tree was deserialized through serde-saphyr; that path is kept
//! in the tests (`reference`) and the builder must agree with it.
//!
//! Scalars are typed as docker compose's YAML library (go-yaml v3, YAML 1.2
//! core schema) types them, not as YAML 1.1 does: only `true`/`false` (and
//! `True`, `TRUE`, …) are booleans, so `restart: no` and `A: on` are strings;
//! `010` is the octal 8 as in go-yaml; `0x1F`, `0o17`, `0b11`, `1_000` are
//! integers. [`Node::scalar_text`] prints numbers as Go does (`1.0` → `1`,
//! `1.5e-07`).
//!
//! This module only parses; it knows nothing about compose semantics.

use std::fmt;
use std::sync::Arc;

use indexmap::IndexMap;

mod build;
#[cfg(test)]
mod reference;
mod scalar;

/// Largest compose file readyctl reads.
pub(crate) const MAX_FILE_BYTES: u64 = 8 * 1024 * 1024;

/// Where a value was written. Lines and columns are 1-based (0: unknown).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Loc {
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
    pub(crate) fn to_diag(&self) -> Option<crate::diag::Location> {
        (self.line > 0).then(|| crate::diag::Location {
            file: self.file.as_ref().into(),
            line: self.line,
            column: self.column,
        })
    }
}

/// A YAML value with its position.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Node {
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
pub(crate) enum Tag {
    /// `!reset`: drop what earlier files (or the extended service) set.
    Reset,
    /// `!override`: replace what earlier files set instead of merging.
    Override,
}

/// A YAML value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
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
    Map(Map),
}

/// A YAML mapping: string keys in file order. Hashed with foldhash (seeded
/// per process) rather than SipHash, which cost 10% of a 200-service lint.
pub(crate) type Map = IndexMap<String, Node, foldhash::fast::RandomState>;

impl Node {
    /// A node without a position (values readyctl synthesises).
    pub(crate) fn synthetic(value: Value) -> Node {
        Node {
            value,
            loc: Loc::default(),
            key_loc: None,
            tag: None,
        }
    }

    /// A node at `loc`.
    pub(crate) fn at(value: Value, loc: Loc) -> Node {
        Node {
            value,
            loc,
            key_loc: None,
            tag: None,
        }
    }

    /// The mapping, if this is one.
    pub(crate) fn as_map(&self) -> Option<&Map> {
        match &self.value {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    /// The mapping, mutably.
    pub(crate) fn as_map_mut(&mut self) -> Option<&mut Map> {
        match &mut self.value {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    /// The sequence, if this is one.
    pub(crate) fn as_seq(&self) -> Option<&[Node]> {
        match &self.value {
            Value::Seq(s) => Some(s),
            _ => None,
        }
    }

    /// The string, if this is one.
    pub(crate) fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// `key` of a mapping.
    pub(crate) fn get(&self, key: &str) -> Option<&Node> {
        self.as_map().and_then(|m| m.get(key))
    }

    /// A scalar as text (how compose reads `environment` values and the like).
    pub(crate) fn scalar_text(&self) -> Option<String> {
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
    pub(crate) fn type_name(&self) -> &'static str {
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

    /// Converts to JSON (for `compose config --format json`).
    pub(crate) fn to_json(&self) -> serde_json::Value {
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

/// A YAML syntax or structure error, located.
#[derive(Debug, Clone)]
pub(crate) struct YamlError {
    /// What is wrong.
    pub message: String,
    /// 1-based line (0 when unknown).
    pub line: u32,
    /// 1-based column.
    pub column: u32,
}

/// Parses one YAML document into a positioned tree; positions name `file`.
pub(crate) fn parse(file: &Arc<str>, text: &str) -> Result<Node, YamlError> {
    if text.trim().is_empty() {
        return Ok(Node::at(
            Value::Map(Map::default()),
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
    build::build(file, text, limits(text))
}

/// The budget for `text` (see [`parse`]).
fn limits(text: &str) -> build::Limits {
    let size = text.len();
    build::Limits {
        max_nodes: 50_000usize.saturating_add(size),
        max_aliases: 10_000usize.saturating_add(size / 8),
        max_depth: 64,
    }
}

/// A float as Go's `fmt.Sprint` prints it (compose turns numbers in
/// `environment` and `labels` into text that way): shortest form, `1` for
/// `1.0`, an exponent below 1e-4 and from 1e21 (`1.5e-07`, `1e+21`),
/// `+Inf`/`-Inf`/`NaN`.
pub(crate) fn go_float(f: f64) -> String {
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

pub(super) fn first_line(s: &str) -> String {
    s.lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("invalid YAML")
        .to_string()
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

    /// Every YAML file under `fixtures/` (compose projects, catalogues, the
    /// vendored DotMac trees) and the edge cases below: the event builder
    /// gives the same tree (values, positions, key positions, tags) as the
    /// serde-saphyr path it replaced, or both refuse the text.
    #[test]
    fn the_event_builder_agrees_with_the_serde_saphyr_path() {
        let mut corpus: Vec<(String, String)> = Vec::new();
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
        let mut stack = vec![root];
        while let Some(dir) = stack.pop() {
            for e in std::fs::read_dir(&dir).unwrap().flatten() {
                let path = e.path();
                if path.is_dir() {
                    stack.push(path);
                } else if path.extension().is_some_and(|x| x == "yml" || x == "yaml")
                    && let Ok(text) = std::fs::read_to_string(&path)
                {
                    corpus.push((path.display().to_string(), text));
                }
            }
        }
        assert!(corpus.len() > 50, "fixtures not found: {}", corpus.len());
        let scalars = [
            "0x7FFFFFFFFFFFFFFF",
            "0xFFFFFFFFFFFFFFFF",
            "18446744073709551616",
            "0X1F",
            "+.nan",
            "-.nan",
            "\"~\"",
            "~",
            "010",
            "-010",
            "0o17",
            "1_000",
            "1__0",
            "!!str 12",
            "! 12",
            "!custom 12",
            "0b101",
            "+12",
            "1.50",
            "-0",
            "0.",
            ".5",
            "08",
            "1e5",
            "TRUE",
            "tRue",
            "Null",
            "0_1",
            "0x_1F",
            "-0x10",
            "9223372036854775808",
            "-9223372036854775809",
            "-9223372036854775808",
            "!!int \"12\"",
            "!!float 3",
            "!!bool true",
            "!!null \"\"",
            "12:30",
            "1:2:3",
            "nan",
            "inf",
            "\"12\"",
            "'010'",
            "yes",
            "no",
            "on",
            "off",
            "y",
            "0",
            "-",
            "+",
            ".",
            "_1",
            "1_",
            "0x",
            "0o",
            "0b2",
            "1e",
            "1.2.3",
            "0.0.0.0",
            "127.0.0.1:80:80",
            "1h30m",
            "3.14",
            "-3.14",
            "6.02e23",
            "1e-7",
            "1E5",
            ".inf",
            "-.Inf",
            ".nan",
            "1e999",
            "!!int abc",
            "!!bool yes",
            "!!float x",
            "!reset",
            "!reset []",
            "!override {a: 1}",
            "''",
            "\"\"",
            "|\n  text\n",
            ">-\n  folded\n  text\n",
            "\"a\\tb\\u00e9\"",
            "'it''s'",
            "[1, two, 3.0, null, true]",
            "{a: 1, b: [x]}",
        ];
        for (i, v) in scalars.iter().enumerate() {
            corpus.push((format!("scalar {i}: {v}"), format!("k: {v}\n")));
            corpus.push((format!("key {i}: {v}"), format!("{v}: x\n")));
        }
        let documents = [
            "services:\n  a: [1, 2\n  b: 3\n",
            "services:\n  a: 1\n  a: 2\n",
            "services: {a: {image: x}}\n---\nx: 1\n",
            "# only\n# comments\n",
            "---\n",
            "--- # c\n...\n",
            "x: &a\n  b: *a\n",
            "x: *nope\n",
            "a: &x {k: 1}\nb:\n  <<: 5\n",
            "a: &x {k: 1, j: 2}\nb:\n  k: 3\n  <<: *x\n  z: 4\n",
            "a: &x {k: 1}\nc: &y {k: 2, m: 3}\nb:\n  <<: [*x, *y]\n  n: 0\n",
            "a: &x {k: 1}\nb:\n  <<: *x\n  <<: {k: 9, q: 1}\n",
            "a: &x {k: 1}\nb:\n  <<: [*x, 3]\n",
            "a: &s hello\nb: *s\nc: [*s, *s]\n",
            "&k key: 1\nother: *k\n",
            "[1, 2]\n",
            "? [a]\n: 1\n",
            "? a\n: 1\n",
            "a:\n  - b: 1\n    c: 2\n  - &n {d: 3}\n  - *n\n",
            "a: !reset null\nb: !override\n  c: 1\n",
            "x: \"unterminated\n",
            "x: [a, b\n",
            "x:\n\t- a\n",
            "\u{feff}services: {}\n",
            "a: 1\r\nb: 2\r\n",
            "k: \"\\u0000\"\n",
            "%YAML 1.2\n---\na: 1\n",
            "a: !!binary aGVsbG8=\n",
            "a: !!timestamp 2001-12-14\n",
            "1: a\n1.5: b\ntrue: c\n~: d\n",
        ];
        for (i, d) in documents.iter().enumerate() {
            corpus.push((format!("document {i}"), (*d).to_string()));
        }
        let mut deep = String::new();
        for _ in 0..70 {
            deep.push('[');
        }
        corpus.push(("deep".into(), deep));
        let file: Arc<str> = Arc::from("c.yml");
        let mut disagree = Vec::new();
        for (name, text) in &corpus {
            match (parse(&file, text), reference::parse(&file, text)) {
                (Ok(a), Ok(b)) if a == b => {}
                (Err(a), Err(b)) if a.line == b.line || a.line == 0 || b.line == 0 => {}
                (a, b) => disagree.push(format!(
                    "{name}:\n  builder:   {}\n  reference: {}",
                    summary(&a),
                    summary(&b)
                )),
            }
        }
        assert!(
            disagree.is_empty(),
            "{} of {} differ:\n{}",
            disagree.len(),
            corpus.len(),
            disagree.join("\n")
        );
    }

    fn summary(r: &Result<Node, YamlError>) -> String {
        let s = match r {
            Ok(n) => format!("{n:?}"),
            Err(e) => format!("error at {}:{}: {}", e.line, e.column, e.message),
        };
        s.chars().take(600).collect()
    }
}
