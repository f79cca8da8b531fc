//! Builds the positioned tree straight from the YAML parser's events.
//!
//! readyctl deserialized through serde-saphyr before; its `Spanned` wrapper
//! and event replay cost ~60% of a 200-service lint (callgrind: 100M of
//! 167M instructions). This reads the events of `granit-parser` (the parser
//! serde-saphyr itself uses) and does only what a compose file needs:
//! anchors and aliases (an alias is a copy of the anchored node, positioned
//! where the anchor was written, which is where a user edits), `<<` merge
//! keys (the mapping's own keys win, then the merged mappings in order, their
//! keys after its own, as serde-saphyr did), duplicate keys refused, the
//! compose tags `!reset`/`!override` kept, scalars typed by [`super::scalar`],
//! and a node budget that grows with the file so an alias bomb stops early.

use std::sync::Arc;

use granit_parser::{Event, Parser, ScalarStyle, Span, StrInput, Tag as YamlTag};

use super::scalar::{self, ScalarError, Want};
use super::{Loc, Map, Node, Tag, Value, YamlError};

/// Limits that stop hostile input.
pub(super) struct Limits {
    /// Nodes, counting every copy an alias makes.
    pub max_nodes: usize,
    /// Aliases.
    pub max_aliases: usize,
    /// Nesting.
    pub max_depth: usize,
}

struct Builder<'a> {
    parser: Parser<'a, StrInput<'a>>,
    file: Arc<str>,
    /// By anchor id: the anchored node and how many nodes it holds.
    anchors: Vec<Option<(Node, usize)>>,
    nodes: usize,
    aliases: usize,
    limits: Limits,
}

/// Parses one document of `text`.
pub(super) fn build(file: &Arc<str>, text: &str, limits: Limits) -> Result<Node, YamlError> {
    let mut b = Builder {
        parser: Parser::new_from_str(text),
        file: file.clone(),
        anchors: Vec::new(),
        nodes: 0,
        aliases: 0,
        limits,
    };
    let mut root: Option<Node> = None;
    let end = loop {
        let (ev, span) = b.next()?;
        match ev {
            Event::StreamStart | Event::DocumentEnd => {}
            Event::DocumentStart(..) if root.is_some() => {
                // Located at the second document's content, where a user looks.
                let at = match b.next() {
                    Ok((_, s)) => s,
                    Err(_) => span,
                };
                return Err(b.error(
                    &at,
                    "multiple YAML documents in one file; a compose file holds one".into(),
                ));
            }
            Event::DocumentStart(..) => {
                let (ev, span) = b.next()?;
                if matches!(ev, Event::DocumentEnd) {
                    root = Some(Node::at(Value::Null, b.loc(&span)));
                    continue;
                }
                let (node, _) = b.node(ev, span, 0)?;
                root = Some(node);
            }
            Event::StreamEnd => break b.loc(&span),
            _ => return Err(b.error(&span, "unexpected YAML event".into())),
        }
    };
    // A file of comments is an empty document, positioned at its end.
    Ok(root.unwrap_or_else(|| Node::at(Value::Null, end)))
}

impl<'a> Builder<'a> {
    fn next(&mut self) -> Result<(Event<'a>, Span), YamlError> {
        match self.parser.next_event() {
            Some(Ok(e)) => Ok(e),
            Some(Err(e)) => {
                let m = e.marker();
                Err(YamlError {
                    message: super::first_line(&e.info()),
                    line: m.line() as u32,
                    column: m.col() as u32 + 1,
                })
            }
            None => Err(YamlError {
                message: "unexpected end of the YAML stream".into(),
                line: 0,
                column: 0,
            }),
        }
    }

    fn loc(&self, span: &Span) -> Loc {
        Loc {
            file: self.file.clone(),
            line: span.start.line() as u32,
            column: span.start.col() as u32 + 1,
        }
    }

    fn error(&self, span: &Span, message: String) -> YamlError {
        YamlError {
            message,
            line: span.start.line() as u32,
            column: span.start.col() as u32 + 1,
        }
    }

    fn count(&mut self, n: usize, span: &Span) -> Result<(), YamlError> {
        self.nodes += n;
        if self.nodes > self.limits.max_nodes {
            return Err(self.error(
                span,
                format!(
                    "budget breached: more than {} nodes after expanding anchors and aliases",
                    self.limits.max_nodes
                ),
            ));
        }
        Ok(())
    }

    fn remember(&mut self, anchor: usize, node: &Node, count: usize) {
        if anchor == 0 {
            return;
        }
        if self.anchors.len() <= anchor {
            self.anchors.resize_with(anchor + 1, || None);
        }
        self.anchors[anchor] = Some((node.clone(), count));
    }

    /// The node that starts with `ev`, and how many nodes it holds.
    fn node(
        &mut self,
        ev: Event<'a>,
        span: Span,
        depth: usize,
    ) -> Result<(Node, usize), YamlError> {
        if depth > self.limits.max_depth {
            return Err(self.error(
                &span,
                format!(
                    "budget breached: nested deeper than {} levels",
                    self.limits.max_depth
                ),
            ));
        }
        match ev {
            Event::Scalar(text, style, anchor, tag) => {
                self.count(1, &span)?;
                let node = Node {
                    value: self.scalar(&text, style, tag.as_deref(), &span)?,
                    loc: self.loc(&span),
                    key_loc: None,
                    tag: compose_tag(tag.as_deref()),
                };
                self.remember(anchor, &node, 1);
                Ok((node, 1))
            }
            Event::SequenceStart(_, anchor, tag) => {
                self.count(1, &span)?;
                let mut items = Vec::new();
                let mut count = 1;
                loop {
                    let (ev, s) = self.next()?;
                    if matches!(ev, Event::SequenceEnd) {
                        break;
                    }
                    let (n, c) = self.node(ev, s, depth + 1)?;
                    count += c;
                    items.push(n);
                }
                let node = Node {
                    value: Value::Seq(items),
                    loc: self.loc(&span),
                    key_loc: None,
                    tag: compose_tag(tag.as_deref()),
                };
                self.remember(anchor, &node, count);
                Ok((node, count))
            }
            Event::MappingStart(_, anchor, tag) => {
                self.count(1, &span)?;
                let (map, count) = self.mapping(depth)?;
                let node = Node {
                    value: Value::Map(map),
                    loc: self.loc(&span),
                    key_loc: None,
                    tag: compose_tag(tag.as_deref()),
                };
                self.remember(anchor, &node, count);
                Ok((node, count))
            }
            Event::Alias(id) => {
                self.aliases += 1;
                if self.aliases > self.limits.max_aliases {
                    return Err(self.error(
                        &span,
                        format!(
                            "budget breached: more than {} aliases",
                            self.limits.max_aliases
                        ),
                    ));
                }
                let Some(Some((node, count))) = self.anchors.get(id) else {
                    return Err(self.error(
                        &span,
                        "an alias refers to the anchor it is inside (a recursive reference)".into(),
                    ));
                };
                let (node, count) = (node.clone(), *count);
                self.count(count, &span)?;
                Ok((node, count))
            }
            _ => Err(self.error(&span, "unexpected YAML event".into())),
        }
    }

    /// The entries up to `MappingEnd`, merges applied, and the node count.
    fn mapping(&mut self, depth: usize) -> Result<(Map, usize), YamlError> {
        let mut map = Map::default();
        let mut merges: Vec<Node> = Vec::new();
        let mut count = 1;
        loop {
            let (ev, kspan) = self.next()?;
            let (key, merge) = match ev {
                Event::MappingEnd => break,
                Event::Scalar(text, style, anchor, tag) => {
                    self.count(1, &kspan)?;
                    count += 1;
                    let merge = style == ScalarStyle::Plain && text == "<<" && tag.is_none();
                    let value = self.scalar(&text, style, tag.as_deref(), &kspan)?;
                    if anchor != 0 {
                        let n = Node::at(value.clone(), self.loc(&kspan));
                        self.remember(anchor, &n, 1);
                    }
                    (key_text(value), merge)
                }
                Event::Alias(id) => {
                    let (n, c) = self.node(Event::Alias(id), kspan, depth + 1)?;
                    count += c;
                    match n.value {
                        Value::Seq(_) | Value::Map(_) => {
                            return Err(self.error(&kspan, NOT_SCALAR_KEY.into()));
                        }
                        v => (key_text(v), false),
                    }
                }
                _ => return Err(self.error(&kspan, NOT_SCALAR_KEY.into())),
            };
            let (ev, vspan) = self.next()?;
            let (mut value, c) = self.node(ev, vspan, depth + 1)?;
            count += c;
            if merge {
                match value.value {
                    Value::Map(_) => merges.push(value),
                    Value::Seq(items) => {
                        for item in items {
                            if !matches!(item.value, Value::Map(_)) {
                                return Err(self.error(&vspan, MERGE_SHAPE.into()));
                            }
                            merges.push(item);
                        }
                    }
                    _ => return Err(self.error(&vspan, MERGE_SHAPE.into())),
                }
                continue;
            }
            if map.contains_key(&key) {
                return Err(self.error(&kspan, format!("duplicate mapping key: {key}")));
            }
            value.key_loc = Some(self.loc(&kspan));
            map.insert(key, value);
        }
        for m in merges {
            if let Value::Map(entries) = m.value {
                for (k, v) in entries {
                    map.entry(k).or_insert(v);
                }
            }
        }
        Ok((map, count))
    }

    fn scalar(
        &self,
        text: &str,
        style: ScalarStyle,
        tag: Option<&YamlTag>,
        span: &Span,
    ) -> Result<Value, YamlError> {
        scalar::resolve(text, style == ScalarStyle::Plain, want(tag)).map_err(|e| match e {
            ScalarError::BadTagged(ty) => {
                self.error(span, format!("`{text}` is not a valid {ty} for its tag"))
            }
            ScalarError::Refused => {
                self.error(span, "cannot deserialize tagged scalar into string".into())
            }
            ScalarError::NonFinite => self.error(
                span,
                format!("non-finite float `{text}` is not accepted; quote it to mean the text"),
            ),
        })
    }
}

const CORE: &str = "tag:yaml.org,2002:";
const NOT_SCALAR_KEY: &str = "mapping keys must be scalars (a name), not a list or mapping";
const MERGE_SHAPE: &str = "YAML merge value must be mapping or sequence of mappings";

/// A key's text, as readyctl's tree keys mappings.
fn key_text(v: Value) -> String {
    match v {
        Value::Str(s) => s,
        Value::Int(i) => i.to_string(),
        Value::Float(f) => f.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Null => "null".into(),
        Value::Seq(_) | Value::Map(_) => String::new(),
    }
}

fn want(tag: Option<&YamlTag>) -> Want {
    let Some(tag) = tag else { return Want::Any };
    match tag.core_suffix() {
        Some("str") => Want::Str,
        Some("null") => Want::Null,
        Some("bool") => Want::Bool,
        Some("int") => Want::Int,
        Some("float") => Want::Float,
        Some(_) => Want::Any,
        // The non-specific tag `!` means "a string" for a scalar.
        None if tag.handle().is_empty() && tag.suffix() == "!" => Want::Str,
        None if tag.handle() == CORE => match tag.suffix() {
            "binary" => Want::Binary,
            "timestamp" => Want::Refused,
            _ => Want::Any,
        },
        None => Want::Any,
    }
}

fn compose_tag(tag: Option<&YamlTag>) -> Option<Tag> {
    let tag = tag?;
    if tag.handle() != "!" {
        return None;
    }
    match tag.suffix() {
        "reset" => Some(Tag::Reset),
        "override" => Some(Tag::Override),
        _ => None,
    }
}
