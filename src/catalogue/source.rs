//! Reading catalogue text: which files, bounded reads, YAML parse errors and
//! the nesting limit, and the small location helpers every part of the
//! loader uses. Nothing here knows what a check is.

use std::path::{Path, PathBuf};

use marked_yaml::Node;
use marked_yaml::types::MarkedScalarNode;

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
        file: file.to_string(),
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
/// exhausting the stack of the (recursive) tree builder.
pub const MAX_NESTING: usize = 64;

/// Streams the YAML events once, without building a tree, and reports input
/// nested deeper than [`MAX_NESTING`].
pub(super) fn too_deep(file: &str, text: &str) -> Option<Diagnostic> {
    use yaml_rust2::parser::{Event, Parser};
    let mut parser = Parser::new_from_str(text);
    let mut depth = 0usize;
    loop {
        // Scan errors are reported by the real parse that follows.
        let (event, mark) = parser.next_token().ok()?;
        match event {
            Event::SequenceStart(..) | Event::MappingStart(..) => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Some(
                        Diagnostic::new(
                            "catalogue/yaml",
                            format!("nesting deeper than {MAX_NESTING} levels"),
                        )
                        .at(Some(Location {
                            file: file.to_string(),
                            line: mark.line() as u32,
                            column: mark.col() as u32 + 1,
                        }))
                        .hint(
                            "catalogues need only a few levels; this input is malformed or hostile",
                        ),
                    );
                }
            }
            Event::SequenceEnd | Event::MappingEnd => depth = depth.saturating_sub(1),
            Event::StreamEnd => return None,
            _ => {}
        }
    }
}

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
