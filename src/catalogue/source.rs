//! Reading catalogue text: which files, bounded reads, YAML parse errors and
//! the nesting limit, and the small location helpers every part of the
//! loader uses. Nothing here knows what a check is.

use std::path::{Path, PathBuf};

use marked_yaml::types::{MarkedMappingNode, MarkedScalarNode, MarkedSequenceNode};
use marked_yaml::{Marker, Node, Span};

use super::{MAX_CATALOGUE_BYTES, Parsed, SUPPORTED_VERSIONS};
use crate::diag::{Diagnostic, Diagnostics, Location};

pub(super) fn catalogue_files(path: &Path) -> Result<Vec<PathBuf>, Diagnostic> {
    let meta = std::fs::metadata(path).map_err(|e| {
        Diagnostic::new("catalogue/io", format!("cannot read catalogue {}: {e}", path.display()))
            .hint("pass --catalog PATH (a YAML file or a directory of *.yml files), or run from a directory with checks/ or readyctl.yml")
    })?;
    if !meta.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(path)
        .map_err(|e| {
            Diagnostic::new(
                "catalogue/io",
                format!("cannot list {}: {e}", path.display()),
            )
        })?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.is_file() && matches!(p.extension().and_then(|e| e.to_str()), Some("yml" | "yaml"))
        })
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(Diagnostic::new(
            "catalogue/empty",
            format!("{} holds no *.yml or *.yaml files", path.display()),
        )
        .hint("`readyctl init` writes a starter catalogue"));
    }
    Ok(files)
}

pub(super) fn read_text(path: &Path) -> Result<String, Diagnostic> {
    // The one bounded reader (crate::support::fs): regular files only,
    // non-blocking open, never past the limit.
    let limit = crate::support::fs::Limit::regular(MAX_CATALOGUE_BYTES);
    let bytes = crate::support::fs::read_sync(path, limit).map_err(|e| {
        let d = Diagnostic::new(
            "catalogue/io",
            format!("cannot read {}: {e}", path.display()),
        );
        match e {
            crate::support::fs::FsError::TooLarge { .. } => {
                d.hint("split the catalogue into several files in one directory")
            }
            _ => d,
        }
    })?;
    String::from_utf8(bytes).map_err(|e| {
        Diagnostic::new(
            "catalogue/yaml",
            format!(
                "{} is not UTF-8 text (invalid byte at offset {})",
                path.display(),
                e.utf8_error().valid_up_to()
            ),
        )
        .hint("catalogues are YAML text files in UTF-8")
    })
}

pub(super) trait HintOr {
    fn hint_or(self, h: String) -> Self;
}
impl HintOr for Diagnostic {
    fn hint_or(self, h: String) -> Self {
        if self.hint.is_some() {
            self
        } else {
            self.hint(h)
        }
    }
}

pub(super) fn source_of(node: &MarkedScalarNode) -> usize {
    node.span().start().map(|m| m.source()).unwrap_or(0)
}

pub(super) fn loc(file: &str, marker: Option<&marked_yaml::Marker>) -> Option<Location> {
    marker.map(|m| Location {
        file: crate::diag::shared_name(file),
        line: m.line() as u32,
        column: m.column() as u32,
    })
}

pub(super) fn shape(file: &str, node: &Node, msg: &str) -> Diagnostic {
    Diagnostic::new("catalogue/shape", msg).at(loc(file, node.span().start()))
}

pub(super) fn load_error(file: &str, e: &marked_yaml::LoadError) -> Diagnostic {
    use marked_yaml::LoadError as E;
    let (marker, msg, hint) = match e {
        E::TopLevelMustBeMapping(m) | E::TopLevelMustBeSequence(m) => (
            Some(*m),
            "a catalogue file must be a mapping".to_string(),
            "start the file with `version: 1` and a `checks:` list",
        ),
        E::UnexpectedAnchor(m) => (
            Some(*m),
            "YAML anchors and aliases are not allowed in catalogues".to_string(),
            "write the value out, or use `defaults:` and `vars:` for shared settings",
        ),
        E::MappingKeyMustBeScalar(m) => (
            Some(*m),
            "mapping keys must be plain scalars".to_string(),
            "write keys as plain words",
        ),
        E::UnexpectedTag(m) => (
            Some(*m),
            "YAML tags (`!foo`) are not allowed in catalogues".to_string(),
            "remove the tag",
        ),
        E::ScanError(m, se) => (
            Some(*m),
            format!("invalid YAML: {}", scan_message(se)),
            "check indentation and quoting around this position; quote values containing `: ` or starting with `{`, `[`, `*`, `&`",
        ),
        E::DuplicateKey(inner) => (
            inner.key.span().start().copied(),
            format!(
                "duplicate key `{}` (first written at line {})",
                inner.key.as_str(),
                inner.prev_key.span().start().map(|m| m.line()).unwrap_or(0)
            ),
            "remove one of the two; later keys would silently override earlier ones",
        ),
    };
    Diagnostic::new("catalogue/yaml", msg)
        .at(marker.and_then(|m| loc(file, Some(&m))))
        .hint(hint)
}

/// Deepest nesting of mappings and sequences a catalogue may have. Real
/// catalogues need about six levels; the limit keeps hostile input from
/// exhausting the stack of everything that walks the tree recursively
/// (interpolation, serde, the unknown-field retry).
pub(crate) const MAX_NESTING: usize = 64;

pub(super) fn scan_message(se: &impl std::fmt::Display) -> String {
    // yaml-rust's message ends with "at byte N line L column C"; the location is shown separately.
    let s = se.to_string();
    match s.find(" at byte ") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

pub(super) fn check_version(p: &Parsed, diags: &mut Diagnostics) {
    match p.root.get_node("version") {
        None => diags.push(
            Diagnostic::new("catalogue/version", "missing `version`")
                .at(loc(&p.file, p.root.span().start()))
                .hint("add `version: 1` at the top of the file"),
        ),
        Some(v) => {
            let ok = v
                .as_scalar()
                .and_then(|s| s.as_str().parse::<u32>().ok())
                .is_some_and(|n| SUPPORTED_VERSIONS.contains(&n));
            if !ok {
                diags.push(
                    Diagnostic::new("catalogue/version", "unsupported catalogue `version`")
                        .at(loc(&p.file, v.span().start()))
                        .hint("this readyctl reads `version: 1`"),
                );
            }
        }
    }
}

/// Takes each complete item of a file's top-level `checks:` list (with the
/// root mapping read so far), which the tree then leaves out: the loader
/// parses most checks the moment they are read and drops their nodes, so a
/// 100,000-check catalogue never holds its whole tree.
pub(super) type OnCheck<'a> = dyn FnMut(Node, &MarkedMappingNode) + 'a;

/// A partly built mapping or sequence.
enum Frame {
    Map {
        start: Marker,
        map: Box<MarkedMappingNode>,
        key: Option<MarkedScalarNode>,
    },
    Seq {
        start: Marker,
        items: Vec<Node>,
    },
}

/// Parses one catalogue file into a tree with positions, in one pass over
/// the YAML events, without recursion: the nesting limit ([`MAX_NESTING`]),
/// and the same errors as `marked_yaml` with duplicate keys refused (which
/// this replaces: its builder needed a second, depth-only pass over every
/// file to stay off the stack, and kept every check's node).
///
/// Which error wins is as before: nesting deeper than the limit anywhere in
/// the stream (before a scan error), then a scan error, then the first
/// structural error (anchor, tag, duplicate key, non-scalar key).
///
/// The events come from [`super::fast`] when the file is in its subset (the
/// same events, several times cheaper), else from yaml_rust2. When the fast
/// reader gives up part way, the file is read again from the start with
/// yaml_rust2, and the checks the fast reader already handed over (the
/// same nodes: its events were yaml_rust2's) are not handed over again.
#[cfg(test)]
pub(super) fn parse_file(
    idx: usize,
    name: &str,
    text: &str,
    on_check: &mut OnCheck<'_>,
) -> Result<MarkedMappingNode, Diagnostic> {
    parse_file_counting(idx, name, text, on_check).0
}

/// [`parse_file`], and how many check items yaml_rust2 alone hands over
/// (on failure the fast reader may have handed over more: their effects
/// are the caller's to drop).
pub(super) fn parse_file_counting(
    idx: usize,
    name: &str,
    text: &str,
    on_check: &mut OnCheck<'_>,
) -> (Result<MarkedMappingNode, Diagnostic>, usize) {
    use super::fast::{self, Stop};
    let mut b = Builder::new(idx, name, on_check, 0);
    match fast::events(text, &mut |ev, m| b.step(ev, m)) {
        Ok(()) => {
            let handed = b.handed;
            return (b.finish(), handed);
        }
        Err(Stop::Receiver(d)) => return (Err(d), b.handed),
        Err(Stop::GiveUp) => {}
    }
    let handed = b.handed;
    let on_check = b.on_check;
    let mut b = Builder::new(idx, name, on_check, handed);
    let result = parse_with_yaml_rust2(&mut b, text);
    let handed = b.handed;
    (result.and_then(|()| b.finish()), handed)
}

/// Feeds yaml_rust2's events to `b`.
fn parse_with_yaml_rust2(b: &mut Builder<'_, '_>, text: &str) -> Result<(), Diagnostic> {
    use marked_yaml::LoadError as E;
    use yaml_rust2::parser::{Event, Parser};
    let mut parser = Parser::new_from_str(text);
    loop {
        let (event, mark) = match parser.next_token() {
            Ok(t) => t,
            Err(se) if !b.first_doc_done => {
                let m = b.marker(mark_of(*se.marker()));
                return Err(load_error(b.name, &E::ScanError(m, se)));
            }
            Err(_) => break,
        };
        let end = matches!(event, Event::StreamEnd);
        b.step(event, mark_of(mark))?;
        if end {
            break;
        }
    }
    Ok(())
}

fn mark_of(m: yaml_rust2::scanner::Marker) -> super::fast::Mark {
    super::fast::Mark {
        index: m.index(),
        line: m.line(),
        col: m.col(),
    }
}

/// The tree builder: takes events one at a time.
struct Builder<'a, 'b> {
    idx: usize,
    name: &'a str,
    on_check: &'a mut OnCheck<'b>,
    depth: usize,
    stack: Vec<Frame>,
    error: Option<marked_yaml::LoadError>,
    root: Option<MarkedMappingNode>,
    first_doc_done: bool,
    stream_end: Option<super::fast::Mark>,
    /// Check items to build but not hand over (an abandoned fast read
    /// already did).
    skip: usize,
    /// Check items handed over (or skipped) so far.
    handed: usize,
}

impl<'a, 'b> Builder<'a, 'b> {
    fn new(idx: usize, name: &'a str, on_check: &'a mut OnCheck<'b>, skip: usize) -> Self {
        Builder {
            idx,
            name,
            on_check,
            depth: 0,
            stack: Vec::new(),
            error: None,
            root: None,
            first_doc_done: false,
            stream_end: None,
            skip,
            handed: 0,
        }
    }

    fn marker(&self, m: super::fast::Mark) -> Marker {
        Marker::new(self.idx, m.index, m.line, m.col + 1)
    }

    /// One event. Only the nesting limit stops the stream here; every other
    /// problem is remembered and reported by [`Builder::finish`].
    fn step(
        &mut self,
        event: yaml_rust2::parser::Event,
        mark: super::fast::Mark,
    ) -> Result<(), Diagnostic> {
        use marked_yaml::LoadError as E;
        use yaml_rust2::parser::Event;
        match &event {
            Event::SequenceStart(..) | Event::MappingStart(..) => {
                self.depth += 1;
                if self.depth > MAX_NESTING {
                    return Err(Diagnostic::new(
                        "catalogue/yaml",
                        format!("nesting deeper than {MAX_NESTING} levels"),
                    )
                    .at(Some(Location {
                        file: self.name.into(),
                        line: mark.line as u32,
                        column: mark.col as u32 + 1,
                    }))
                    .hint(
                        "catalogues need only a few levels; this input is malformed or hostile",
                    ));
                }
            }
            Event::SequenceEnd | Event::MappingEnd => self.depth = self.depth.saturating_sub(1),
            Event::StreamEnd => {
                self.stream_end = Some(mark);
                return Ok(());
            }
            Event::DocumentEnd => self.first_doc_done = true,
            _ => {}
        }
        // Once the first document's root is complete the rest of the stream
        // is only read for its depth (what the old depth pass did).
        if self.error.is_some() || self.first_doc_done {
            return Ok(());
        }
        let m = self.marker(mark);
        let is_map = matches!(event, Event::MappingStart(..));
        let stack = &mut self.stack;
        // A complete node, to be placed in its parent.
        let done: Node = match event {
            Event::StreamStart
            | Event::DocumentStart
            | Event::DocumentEnd
            | Event::StreamEnd
            | Event::Nothing => return Ok(()),
            Event::Alias(_) => {
                self.error = Some(E::UnexpectedAnchor(m));
                return Ok(());
            }
            Event::MappingStart(aid, tag) | Event::SequenceStart(aid, tag) => {
                if tag.is_some() {
                    self.error = Some(E::UnexpectedTag(m));
                } else if aid != 0 {
                    self.error = Some(E::UnexpectedAnchor(m));
                } else if stack.is_empty() && !is_map {
                    self.error = Some(E::TopLevelMustBeMapping(m));
                } else if let Some(Frame::Map { key: None, .. }) = stack.last() {
                    self.error = Some(E::MappingKeyMustBeScalar(m));
                } else if is_map {
                    stack.push(Frame::Map {
                        start: m,
                        map: Box::new(MarkedMappingNode::new_empty(Span::new_blank())),
                        key: None,
                    });
                } else {
                    stack.push(Frame::Seq {
                        start: m,
                        items: Vec::new(),
                    });
                }
                return Ok(());
            }
            Event::MappingEnd | Event::SequenceEnd => match stack.pop() {
                Some(Frame::Map { start, mut map, .. }) => {
                    *map.span_mut() = Span::new_with_marks(start, m);
                    Node::Mapping(*map)
                }
                Some(Frame::Seq { start, items }) => Node::Sequence(MarkedSequenceNode::new(
                    Span::new_with_marks(start, m),
                    items,
                )),
                None => return Ok(()),
            },
            Event::Scalar(val, _, aid, tag) => {
                if aid != 0 {
                    self.error = Some(E::UnexpectedAnchor(m));
                    return Ok(());
                }
                if tag.is_some() {
                    self.error = Some(E::UnexpectedTag(m));
                    return Ok(());
                }
                let node = MarkedScalarNode::new(Span::new_start(m), val);
                if let Some(Frame::Map { key, .. }) = stack.last_mut()
                    && key.is_none()
                {
                    *key = Some(node);
                    return Ok(());
                }
                if stack.is_empty() {
                    self.error = Some(E::TopLevelMustBeMapping(m));
                    return Ok(());
                }
                Node::Scalar(node)
            }
        };
        // Place the complete node in its parent (or make it the root).
        let is_check_item = stack.len() == 2
            && matches!(&stack[0], Frame::Map { key: Some(k), .. } if k.as_str() == "checks")
            && matches!(stack[1], Frame::Seq { .. });
        if is_check_item {
            let Frame::Map { map, .. } = &stack[0] else {
                unreachable!("checked above")
            };
            self.handed += 1;
            if self.skip > 0 {
                self.skip -= 1;
            } else {
                (self.on_check)(done, map);
            }
            return Ok(());
        }
        match stack.last_mut() {
            None => match done {
                Node::Mapping(m) => self.root = Some(m),
                other => self.error = other.span().start().map(|m| E::TopLevelMustBeMapping(*m)),
            },
            Some(Frame::Seq { items, .. }) => items.push(done),
            Some(Frame::Map { map, key, .. }) => {
                let k = key
                    .take()
                    .unwrap_or_else(|| MarkedScalarNode::new(Span::new_blank(), ""));
                if let Some((prev, _)) = map.get_key_value(k.as_str()) {
                    self.error = Some(E::DuplicateKey(Box::new(
                        marked_yaml::loader::DuplicateKeyInner {
                            prev_key: prev.clone(),
                            key: k,
                        },
                    )));
                } else {
                    map.insert(k, done);
                }
            }
        }
        Ok(())
    }

    fn finish(self) -> Result<MarkedMappingNode, Diagnostic> {
        if let Some(e) = self.error {
            return Err(load_error(self.name, &e));
        }
        match self.root {
            Some(r) => Ok(r),
            // An empty stream is an empty mapping (then "missing `version`").
            None => {
                let end = self
                    .stream_end
                    .map(|m| self.marker(m))
                    .unwrap_or_else(|| Marker::new(self.idx, 0, 1, 1));
                Ok(MarkedMappingNode::new_empty(Span::new_with_marks(end, end)))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A node with every position, for comparing trees.
    fn dump(node: &Node, out: &mut String) {
        use std::fmt::Write as _;
        let span = node.span();
        let _ = write!(out, "{:?}-{:?}:", span.start(), span.end());
        match node {
            Node::Scalar(s) => {
                let _ = write!(out, "{:?} ", s.as_str());
            }
            Node::Sequence(seq) => {
                out.push('[');
                for n in seq.iter() {
                    dump(n, out);
                }
                out.push(']');
            }
            Node::Mapping(map) => {
                out.push('{');
                for (k, v) in map.iter() {
                    let _ = write!(out, "{:?}@{:?}=", k.as_str(), k.span().start());
                    dump(v, out);
                }
                out.push('}');
            }
        }
    }

    /// This builder's tree (checks put back in place) or diagnostic.
    fn ours(text: &str) -> Result<String, String> {
        let mut items = Vec::new();
        let mut root = parse_file(3, "c.yml", text, &mut |item, _| items.push(item))
            .map_err(|d| format!("{} {} {:?}", d.code, d.message, d.location))?;
        if let Some(Node::Sequence(seq)) = root.get_mut("checks") {
            seq.extend(items);
        }
        let mut out = String::new();
        dump(&Node::Mapping(root), &mut out);
        Ok(out)
    }

    /// What `marked_yaml`, the builder this replaces, made of the text.
    fn reference(text: &str) -> Result<String, String> {
        let opts = marked_yaml::LoaderOptions::default().error_on_duplicate_keys(true);
        let node = marked_yaml::parse_yaml_with_options(3, text, opts).map_err(|e| {
            let d = load_error("c.yml", &e);
            format!("{} {} {:?}", d.code, d.message, d.location)
        })?;
        let mut out = String::new();
        dump(&node, &mut out);
        Ok(out)
    }

    /// The reference test: every bundled catalogue file and every kind of
    /// YAML mistake gives the same tree, positions and diagnostic as
    /// `marked_yaml` did.
    #[test]
    fn builds_the_tree_and_errors_marked_yaml_built() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("checks");
        let mut texts: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
            .collect();
        assert!(texts.len() > 5);
        for t in [
            "",
            "---\n",
            "version: 1\n---\nx: [\n",
            "{version: 1, checks: [{id: a, kind: file, path: x}, [1], b]}\n",
            "version: 1\nchecks:\n  - id: a\n    kind: file\n    tags: [a, 'b c', \"d\"]\n    x: |\n      multi\n      line\n",
            "version: 1\nchecks: {a: [1]}\n",
            "version: 1\nx: &a 1\nchecks: []\n",
            "version: 1\nx: !tag 1\n",
            "version: 1\nversion: 2\n",
            "version: 1\nchecks:\n  - {id: a, id: b}\n",
            "- a\n- b\n",
            "just a scalar\n",
            "version: 1\nchecks:\n  - id: a\n   kind: [\n",
            "? [a]\n: b\n",
            "? {a: 1}\n: b\n",
            "a: &x 1\nb: [\n",
            "x: *a\n",
            "version: 1\nchecks:\n  - &a {id: a}\n  - *a\n",
            "version: 1\nchecks:\n  - !!map {id: a}\n",
            "a: 1\n...\n---\nb: 2\n",
        ] {
            texts.push(t.to_string());
        }
        for t in &texts {
            assert_eq!(ours(t), reference(t), "{t}");
        }
    }

    #[test]
    fn refuses_nesting_past_the_limit_at_its_position() {
        let deep = format!(
            "a: {}1{}\n",
            "[".repeat(MAX_NESTING + 1),
            "]".repeat(MAX_NESTING + 1)
        );
        let d = parse_file(0, "c.yml", &deep, &mut |_, _| {}).unwrap_err();
        assert!(
            d.message.contains("nesting deeper than 64"),
            "{}",
            d.message
        );
        assert_eq!(
            d.location.map(|l| (l.line, l.column)),
            Some((1, 3 + MAX_NESTING as u32))
        );
        let ok = format!(
            "a: {}1{}\n",
            "[".repeat(MAX_NESTING - 1),
            "]".repeat(MAX_NESTING - 1)
        );
        assert!(parse_file(0, "c.yml", &ok, &mut |_, _| {}).is_ok());
    }
}
