//! The catalogue: load YAML with positions, interpolate, validate, and hand
//! the runner a [`Catalogue`] it can trust.
//!
//! Loading never stops at the first problem: every file is parsed, every check
//! is checked, and all problems come back together as [`Diagnostics`], each
//! with `file:line:column` and a hint. Kinds parse their own fields from the
//! YAML node (so serde errors keep their positions); this module owns only the
//! fields every check shares. Nothing here runs a check.

pub mod interp;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use indexmap::IndexMap;
use marked_yaml::types::{MarkedMappingNode, MarkedScalarNode, MarkedSequenceNode};
use marked_yaml::{LoaderOptions, Node};

use crate::diag::{Diagnostic, Diagnostics, Location, did_you_mean};
use crate::domain::envfile::EnvFile;
pub use crate::kinds::Target;
use crate::kinds::{self, DynCheck, ParseError};
use crate::redact::looks_secret;
use crate::report::Severity;

/// The catalogue format versions this readyctl reads.
pub const SUPPORTED_VERSIONS: &[u32] = &[1];

/// Fields every check has; a kind's own fields are everything else.
pub const COMMON_FIELDS: &[&str] = &[
    "id",
    "kind",
    "title",
    "description",
    "severity",
    "tags",
    "depends_on",
    "timeout",
    "remediation",
];

const TOP_LEVEL_FIELDS: &[&str] = &[
    "version",
    "vars",
    "env_files",
    "targets",
    "defaults",
    "checks",
];

/// Default per-check timeout.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// Largest catalogue file readyctl reads.
pub const MAX_CATALOGUE_BYTES: u64 = 16 * 1024 * 1024;

/// One check, validated and ready to run.
pub struct CheckDef {
    /// Unique dotted id.
    pub id: String,
    /// The kind's name.
    pub kind: &'static str,
    /// Human title (the id when none was written).
    pub title: String,
    /// Longer description.
    pub description: Option<String>,
    /// How bad a failure is.
    pub severity: Severity,
    /// Tags, for `--tag`.
    pub tags: Vec<String>,
    /// Ids of checks that must pass first.
    pub depends_on: Vec<String>,
    /// Per-check timeout.
    pub timeout: Duration,
    /// What to do about a failure.
    pub remediation: Option<String>,
    /// The kind's behaviour.
    pub check: Arc<dyn DynCheck>,
    /// Where the check is written.
    pub location: Location,
}

impl std::fmt::Debug for CheckDef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CheckDef")
            .field("id", &self.id)
            .field("kind", &self.kind)
            .field("location", &self.location)
            .finish_non_exhaustive()
    }
}

/// A loaded, validated catalogue.
#[derive(Debug)]
pub struct Catalogue {
    /// The file or directory it was loaded from.
    pub path: PathBuf,
    /// The deployment root relative paths resolve against.
    pub root: PathBuf,
    /// Named targets.
    pub targets: IndexMap<String, Target>,
    /// The checks, in file order (files sorted by name).
    pub checks: Vec<CheckDef>,
    /// Secret values found while loading (masked in every output).
    pub secrets: Vec<String>,
}

/// Where to find the deployment and its environment.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// The deployment root (`--root`).
    pub root: PathBuf,
    /// The process environment used for interpolation.
    pub env: HashMap<String, String>,
}

impl LoadOptions {
    /// Options with the real process environment.
    pub fn with_root(root: impl Into<PathBuf>) -> Self {
        LoadOptions {
            root: root.into(),
            env: std::env::vars().collect(),
        }
    }
}

/// Loads a catalogue file or directory.
pub fn load(path: &Path, opts: &LoadOptions) -> Result<Catalogue, Diagnostics> {
    let mut diags = Diagnostics::default();
    let files = match catalogue_files(path) {
        Ok(f) => f,
        Err(d) => {
            diags.push(d);
            return Err(diags);
        }
    };
    let mut sources = Vec::new();
    for file in files {
        let name = file.display().to_string();
        match read_text(&file) {
            Ok(text) => sources.push((name, text)),
            Err(d) => diags.push(d.at(Some(Location {
                file: name,
                line: 1,
                column: 1,
            }))),
        }
    }
    load_sources(path, sources, opts, diags)
}

/// Loads a catalogue from text (tests and docs examples); root is `.`.
pub fn load_str(name: &str, text: &str) -> Result<Catalogue, Diagnostics> {
    let opts = LoadOptions {
        root: PathBuf::from("."),
        env: HashMap::new(),
    };
    load_sources(
        Path::new(name),
        vec![(name.to_string(), text.to_string())],
        &opts,
        Diagnostics::default(),
    )
}

/// The ```yaml block of a kind's docs, wrapped into a loadable catalogue
/// when it is only a list of checks.
pub fn docs_example(docs: &str) -> Option<String> {
    let start = docs.find("```yaml")? + "```yaml".len();
    let end = start + docs[start..].find("```")?;
    let body = docs[start..end].trim_start_matches('\n');
    if body.contains("version:") {
        Some(body.to_string())
    } else {
        Some(format!("version: 1\nchecks:\n{}", indent(body, "  ")))
    }
}

fn indent(text: &str, pad: &str) -> String {
    text.lines()
        .map(|l| {
            if l.is_empty() {
                String::new()
            } else {
                format!("{pad}{l}")
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn catalogue_files(path: &Path) -> Result<Vec<PathBuf>, Diagnostic> {
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

fn read_text(path: &Path) -> Result<String, Diagnostic> {
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

/// Per-file settings from `defaults:`.
#[derive(Debug, Clone, Copy)]
struct Defaults {
    severity: Severity,
    timeout: Duration,
}

struct Parsed {
    file: String,
    root: MarkedMappingNode,
}

fn load_sources(
    path: &Path,
    sources: Vec<(String, String)>,
    opts: &LoadOptions,
    mut diags: Diagnostics,
) -> Result<Catalogue, Diagnostics> {
    let mut parsed = Vec::new();
    for (idx, (name, text)) in sources.iter().enumerate() {
        diags.add_source(name.clone(), text.clone());
        if let Some(d) = too_deep(name, text) {
            diags.push(d);
            continue;
        }
        match marked_yaml::parse_yaml_with_options(
            idx,
            text,
            LoaderOptions::default().error_on_duplicate_keys(true),
        ) {
            Ok(Node::Mapping(m)) => parsed.push(Parsed {
                file: name.clone(),
                root: m,
            }),
            Ok(other) => diags.push(
                Diagnostic::new("catalogue/shape", "a catalogue file must be a mapping")
                    .at(loc(name, other.span().start()))
                    .hint("start the file with `version: 1` and a `checks:` list"),
            ),
            Err(e) => diags.push(load_error(name, &e)),
        }
    }
    let file_names: Vec<String> = sources.iter().map(|(n, _)| n.clone()).collect();

    // Pass 1: top-level fields, vars, env files, defaults.
    let mut raw_vars: IndexMap<String, (MarkedScalarNode, bool)> = IndexMap::new();
    let mut env_files: Vec<(String, PathBuf, Option<Location>)> = Vec::new();
    let mut defaults_per_file = Vec::new();
    for p in &parsed {
        for (key, _) in p.root.iter() {
            if !TOP_LEVEL_FIELDS.contains(&key.as_str()) {
                diags.push(
                    Diagnostic::new(
                        "catalogue/unknown-field",
                        format!("unknown top-level field `{}`", key.as_str()),
                    )
                    .at(loc(&p.file, key.span().start()))
                    .maybe_hint(
                        did_you_mean(key.as_str(), TOP_LEVEL_FIELDS.iter().copied())
                            .map(|s| format!("did you mean `{s}`?")),
                    )
                    .hint_or(format!(
                        "top-level fields are: {}",
                        TOP_LEVEL_FIELDS.join(", ")
                    )),
                );
            }
        }
        check_version(p, &mut diags);
        if let Some(vars) = p.root.get_node("vars") {
            read_vars(&p.file, vars, &mut raw_vars, &mut diags);
        }
        if let Some(files) = p.root.get_node("env_files") {
            match files.as_sequence() {
                Some(seq) => {
                    for f in seq.iter() {
                        match f.as_scalar() {
                            Some(s) => env_files.push((
                                s.as_str().to_string(),
                                opts.root.join(s.as_str()),
                                loc(&p.file, s.span().start()),
                            )),
                            None => {
                                diags.push(shape(&p.file, f, "`env_files` entries must be paths"))
                            }
                        }
                    }
                }
                None => diags.push(shape(&p.file, files, "`env_files` must be a list of paths")),
            }
        }
        defaults_per_file.push(read_defaults(
            &p.file,
            p.root.get_node("defaults"),
            &mut diags,
        ));
    }

    // Variable sources: vars, then process environment, then env files.
    let mut file_env: HashMap<String, String> = HashMap::new();
    let mut missing_env_files = Vec::new();
    for (written, full, at) in &env_files {
        match EnvFile::read(full) {
            Ok(ef) => {
                for e in ef.entries {
                    file_env.insert(e.key, e.value);
                }
            }
            Err(e) if !full.exists() => {
                let _ = e;
                missing_env_files.push(written.clone());
            }
            Err(e) => diags.push(
                Diagnostic::new("catalogue/io", format!("env file {written}: {e}"))
                    .at(at.clone())
                    .hint("env files use `KEY=value` lines; quote values with spaces"),
            ),
        }
    }
    let deferred = collect_capture_names(&parsed);
    let mut lookup = VarLookup {
        vars: HashMap::new(),
        env: &opts.env,
        file_env: &file_env,
        deferred: &deferred,
    };
    let mut secrets: Vec<String> = Vec::new();
    // Vars may refer to the environment (and to earlier vars).
    for (name, (node, secret)) in &raw_vars {
        let exp = interp::expand(node.as_str(), &lookup);
        report_unresolved(
            &exp.unresolved,
            node,
            file_names.get(source_of(node)),
            &missing_env_files,
            &mut diags,
        );
        secrets.extend(exp.secrets);
        if *secret {
            secrets.push(exp.text.clone());
        }
        lookup.vars.insert(name.clone(), (exp.text, *secret));
    }

    // Pass 2: targets.
    let mut targets = IndexMap::new();
    for p in &parsed {
        let Some(tnode) = p.root.get_node("targets") else {
            continue;
        };
        let Some(tmap) = tnode.as_mapping() else {
            diags.push(shape(
                &p.file,
                tnode,
                "`targets` must be a mapping of name to settings",
            ));
            continue;
        };
        for (name, node) in tmap.iter() {
            let node = interpolate(
                node,
                &lookup,
                &p.file,
                &missing_env_files,
                &mut secrets,
                &mut diags,
            );
            match marked_yaml::from_node::<Target>(&node) {
                Ok(t) => {
                    secrets.extend(t.token.clone());
                    secrets.extend(t.password.clone());
                    for (k, v) in &t.headers {
                        secrets.extend(crate::redact::header_secrets(k, v));
                    }
                    if let Some(pw) = t.url.as_deref().and_then(url_password) {
                        secrets.push(pw);
                    }
                    validate_target(&t, &node, &p.file, &mut diags);
                    targets.insert(name.as_str().to_string(), t);
                }
                Err(e) => diags.push(serde_diag(&p.file, &e, &node, &[])),
            }
        }
    }

    // Pass 3: checks.
    let mut checks = Vec::new();
    for (p, defaults) in parsed.iter().zip(&defaults_per_file) {
        let Some(cnode) = p.root.get_node("checks") else {
            continue;
        };
        let Some(seq) = cnode.as_sequence() else {
            diags.push(shape(&p.file, cnode, "`checks` must be a list"));
            continue;
        };
        for item in seq.iter() {
            let node = interpolate(
                item,
                &lookup,
                &p.file,
                &missing_env_files,
                &mut secrets,
                &mut diags,
            );
            // Secret-looking request headers of any kind (http, latency,
            // websocket, …) are secrets wherever they appear.
            if let Some(headers) = node.as_mapping().and_then(|m| m.get_mapping("headers")) {
                for (k, v) in headers.iter() {
                    if let Some(v) = v.as_scalar() {
                        secrets.extend(crate::redact::header_secrets(k.as_str(), v.as_str()));
                    }
                }
            }
            if let Some(def) = parse_check(&p.file, &node, *defaults, &mut diags) {
                secrets.extend(def.check.secrets());
                checks.push(def);
            }
        }
    }
    if checks.is_empty() && diags.is_empty() {
        diags.push(
            Diagnostic::new(
                "catalogue/empty",
                format!("{} defines no checks", path.display()),
            )
            .hint("add a `checks:` list; `readyctl explain file` shows an example"),
        );
    }
    validate_graph(&checks, &targets, &mut diags);
    if !diags.is_empty() {
        return Err(diags);
    }
    secrets.retain(|s| !s.is_empty());
    Ok(Catalogue {
        path: path.to_path_buf(),
        root: opts.root.clone(),
        targets,
        checks,
        secrets,
    })
}

trait HintOr {
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

fn source_of(node: &MarkedScalarNode) -> usize {
    node.span().start().map(|m| m.source()).unwrap_or(0)
}

fn loc(file: &str, marker: Option<&marked_yaml::Marker>) -> Option<Location> {
    marker.map(|m| Location {
        file: file.to_string(),
        line: m.line() as u32,
        column: m.column() as u32,
    })
}

fn shape(file: &str, node: &Node, msg: &str) -> Diagnostic {
    Diagnostic::new("catalogue/shape", msg).at(loc(file, node.span().start()))
}

fn load_error(file: &str, e: &marked_yaml::LoadError) -> Diagnostic {
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
fn too_deep(file: &str, text: &str) -> Option<Diagnostic> {
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

fn scan_message(se: &impl std::fmt::Display) -> String {
    // yaml-rust's message ends with "at byte N line L column C"; the location is shown separately.
    let s = se.to_string();
    match s.find(" at byte ") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

fn check_version(p: &Parsed, diags: &mut Diagnostics) {
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

fn read_vars(
    file: &str,
    node: &Node,
    out: &mut IndexMap<String, (MarkedScalarNode, bool)>,
    diags: &mut Diagnostics,
) {
    let Some(map) = node.as_mapping() else {
        diags.push(shape(
            file,
            node,
            "`vars` must be a mapping of name to value",
        ));
        return;
    };
    for (name, value) in map.iter() {
        match value {
            Node::Scalar(s) => {
                out.insert(name.as_str().to_string(), (s.clone(), false));
            }
            Node::Mapping(m) => {
                let v = m.get_scalar("value");
                let secret = m
                    .get_scalar("secret")
                    .map(|s| s.as_bool() == Some(true))
                    .unwrap_or(false);
                let unknown: Vec<_> = m
                    .keys()
                    .filter(|k| !matches!(k.as_str(), "value" | "secret"))
                    .collect();
                if let Some(k) = unknown.first() {
                    diags.push(
                        Diagnostic::new(
                            "catalogue/unknown-field",
                            format!("unknown field `{}` in var `{}`", k.as_str(), name.as_str()),
                        )
                        .at(loc(file, k.span().start()))
                        .hint("a var is a string, or `{ value: \"…\", secret: true }`"),
                    );
                }
                match v {
                    Some(v) => {
                        out.insert(name.as_str().to_string(), (v.clone(), secret));
                    }
                    None => diags.push(
                        Diagnostic::new(
                            "catalogue/missing-field",
                            format!("var `{}` has no `value`", name.as_str()),
                        )
                        .at(loc(file, m.span().start()))
                        .hint("write `{ value: \"${SOME_ENV}\", secret: true }`"),
                    ),
                }
            }
            Node::Sequence(_) => diags.push(shape(
                file,
                value,
                "a var must be a string or `{ value, secret }`",
            )),
        }
    }
}

fn read_defaults(file: &str, node: Option<&Node>, diags: &mut Diagnostics) -> Defaults {
    let mut d = Defaults {
        severity: Severity::Medium,
        timeout: DEFAULT_TIMEOUT,
    };
    let Some(node) = node else { return d };
    let Some(map) = node.as_mapping() else {
        diags.push(shape(file, node, "`defaults` must be a mapping"));
        return d;
    };
    for (k, v) in map.iter() {
        match k.as_str() {
            "severity" => match scalar_parse::<Severity>(v) {
                Ok(s) => d.severity = s,
                Err(m) => diags
                    .push(Diagnostic::new("catalogue/shape", m).at(loc(file, v.span().start()))),
            },
            "timeout" => match v.as_scalar().map(|s| {
                crate::domain::units::parse_duration_within(
                    s.as_str(),
                    crate::domain::units::MAX_TIMEOUT,
                )
            }) {
                Some(Ok(t)) => d.timeout = t,
                _ => diags.push(
                    Diagnostic::new(
                        "catalogue/shape",
                        "`timeout` must be a duration of at most 24h",
                    )
                    .at(loc(file, v.span().start()))
                    .hint("write e.g. `10s`, `500ms`, `2m`"),
                ),
            },
            other => diags.push(
                Diagnostic::new(
                    "catalogue/unknown-field",
                    format!("unknown field `{other}` in `defaults`"),
                )
                .at(loc(file, k.span().start()))
                .hint("`defaults` takes `severity` and `timeout`"),
            ),
        }
    }
    d
}

fn scalar_parse<T: std::str::FromStr<Err = String>>(node: &Node) -> Result<T, String> {
    node.as_scalar()
        .ok_or_else(|| "expected a single value".to_string())
        .and_then(|s| s.as_str().parse())
}

/// Names that checks capture at run time (`capture:` maps of http checks);
/// `${name}` for these is left for the runner.
fn collect_capture_names(parsed: &[Parsed]) -> HashSet<String> {
    let mut names = HashSet::new();
    for p in parsed {
        if let Some(seq) = p.root.get_node("checks").and_then(Node::as_sequence) {
            for c in seq.iter() {
                if let Some(cap) = c.as_mapping().and_then(|m| m.get_mapping("capture")) {
                    names.extend(cap.keys().map(|k| k.as_str().to_string()));
                }
            }
        }
    }
    names
}

struct VarLookup<'a> {
    vars: HashMap<String, (String, bool)>,
    env: &'a HashMap<String, String>,
    file_env: &'a HashMap<String, String>,
    deferred: &'a HashSet<String>,
}

impl interp::Lookup for VarLookup<'_> {
    fn get(&self, name: &str) -> Option<(String, bool)> {
        if let Some(v) = self.vars.get(name) {
            return Some(v.clone());
        }
        self.env
            .get(name)
            .or_else(|| self.file_env.get(name))
            .map(|v| (v.clone(), looks_secret(name)))
    }
    fn deferred(&self, name: &str) -> bool {
        self.deferred.contains(name)
    }
}

fn report_unresolved(
    unresolved: &[interp::Unresolved],
    node: &MarkedScalarNode,
    file: Option<&String>,
    missing_env_files: &[String],
    diags: &mut Diagnostics,
) {
    let file = file.map(String::as_str).unwrap_or("?");
    for u in unresolved {
        let hint = match &u.message {
            Some(m) => m.clone(),
            None if missing_env_files.is_empty() => format!(
                "set {} in `vars:`, an env file, or the environment, or give a default: ${{{}:-value}}",
                u.name, u.name
            ),
            None => format!(
                "set {} in `vars:` or the environment; env file(s) {} were not found under --root",
                u.name,
                missing_env_files.join(", ")
            ),
        };
        diags.push(
            Diagnostic::new(
                "catalogue/unresolved-variable",
                format!("variable `{}` is not set", u.name),
            )
            .at(loc(file, node.span().start()))
            .label(format!("uses ${{{}}}", u.name))
            .hint(hint),
        );
    }
}

/// Returns a copy of `node` with every scalar value interpolated.
fn interpolate(
    node: &Node,
    lookup: &VarLookup<'_>,
    file: &str,
    missing_env_files: &[String],
    secrets: &mut Vec<String>,
    diags: &mut Diagnostics,
) -> Node {
    interpolate_in(node, lookup, file, missing_env_files, secrets, diags, false)
}

/// Fields that hold prose for people, not values a check uses.
const PROSE_FIELDS: &[&str] = &[
    "title",
    "remediation",
    "description",
    "instructions",
    "note",
];

fn interpolate_in(
    node: &Node,
    lookup: &VarLookup<'_>,
    file: &str,
    missing_env_files: &[String],
    secrets: &mut Vec<String>,
    diags: &mut Diagnostics,
    prose: bool,
) -> Node {
    match node {
        Node::Scalar(s) => {
            // Masking by construction: a URL password, a secret query value
            // or a Bearer credential is a secret wherever it is written
            // (`key: value` pairs only outside prose).
            secrets.extend(if prose {
                crate::redact::secrets_in_prose(s.as_str())
            } else {
                crate::redact::secrets_in_text(s.as_str())
            });
            if !s.as_str().contains("${") {
                return node.clone();
            }
            let exp = interp::expand(s.as_str(), lookup);
            report_unresolved(
                &exp.unresolved,
                s,
                Some(&file.to_string()),
                missing_env_files,
                diags,
            );
            secrets.extend(exp.secrets);
            Node::Scalar(MarkedScalarNode::new(*s.span(), exp.text))
        }
        Node::Sequence(seq) => {
            let items: Vec<Node> = seq
                .iter()
                .map(|n| interpolate_in(n, lookup, file, missing_env_files, secrets, diags, prose))
                .collect();
            Node::Sequence(MarkedSequenceNode::new(*seq.span(), items))
        }
        Node::Mapping(map) => {
            let mut out = MarkedMappingNode::new_empty(*map.span());
            for (k, v) in map.iter() {
                let prose = PROSE_FIELDS.contains(&k.as_str());
                let v = interpolate_in(v, lookup, file, missing_env_files, secrets, diags, prose);
                // `password: x`, `api_key: x`, `X-Api-Key: x` in any kind.
                if let Some(text) = v.as_scalar().map(|t| t.as_str())
                    && crate::redact::looks_secret(k.as_str())
                    && !text.contains("${")
                {
                    secrets.extend(crate::redact::header_secrets(k.as_str(), text));
                }
                out.insert(k.clone(), v);
            }
            Node::Mapping(out)
        }
    }
}

fn url_password(url: &str) -> Option<String> {
    let parsed = url::Url::parse(url).ok()?;
    let raw = parsed.password()?;
    Some(
        percent_encoding::percent_decode_str(raw)
            .decode_utf8_lossy()
            .into_owned(),
    )
}

static ID_RE: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    regex::Regex::new(r"^[a-z0-9][a-z0-9_-]*(\.[a-z0-9][a-z0-9_-]*)*$")
        .unwrap_or_else(|e| unreachable!("static regex: {e}"))
});

fn parse_check(
    file: &str,
    node: &Node,
    defaults: Defaults,
    diags: &mut Diagnostics,
) -> Option<CheckDef> {
    let Some(map) = node.as_mapping() else {
        diags.push(shape(
            file,
            node,
            "each check must be a mapping with at least `id` and `kind`",
        ));
        return None;
    };
    let before = diags.items.len();
    let here = loc(file, map.span().start());
    let str_field = |name: &str, diags: &mut Diagnostics| -> Option<MarkedScalarNode> {
        match map.get_node(name) {
            None => None,
            Some(Node::Scalar(s)) => Some(s.clone()),
            Some(other) => {
                diags.push(shape(
                    file,
                    other,
                    &format!("`{name}` must be a single value"),
                ));
                None
            }
        }
    };
    let list_field = |name: &str, diags: &mut Diagnostics| -> Vec<MarkedScalarNode> {
        match map.get_node(name) {
            None => Vec::new(),
            Some(Node::Scalar(s)) => vec![s.clone()],
            Some(Node::Sequence(seq)) => seq
                .iter()
                .filter_map(|n| match n {
                    Node::Scalar(s) => Some(s.clone()),
                    other => {
                        diags.push(shape(
                            file,
                            other,
                            &format!("`{name}` entries must be plain values"),
                        ));
                        None
                    }
                })
                .collect(),
            Some(other) => {
                diags.push(shape(file, other, &format!("`{name}` must be a list")));
                Vec::new()
            }
        }
    };

    let id = str_field("id", diags);
    let id_text = id.as_ref().map(|s| s.as_str().to_string());
    match &id {
        None => diags.push(
            Diagnostic::new("catalogue/missing-field", "check has no `id`")
                .at(here.clone())
                .hint("give every check a unique dotted id, e.g. `id: redis.persistence`"),
        ),
        Some(s) if !ID_RE.is_match(s.as_str()) => diags.push(
            Diagnostic::new("catalogue/invalid-id", format!("invalid check id `{}`", s.as_str()))
                .at(loc(file, s.span().start()))
                .hint("ids are lower-case words of a-z, 0-9, `-`, `_`, joined by dots, e.g. `redis.persistence`"),
        ),
        _ => {}
    }
    let kind_node = str_field("kind", diags);
    let entry = match &kind_node {
        None => {
            diags.push(
                Diagnostic::new(
                    "catalogue/missing-field",
                    format!(
                        "check `{}` has no `kind`",
                        id_text.as_deref().unwrap_or("?")
                    ),
                )
                .at(here.clone())
                .hint(format!("kinds: {}", kind_names().join(", "))),
            );
            None
        }
        Some(k) => match kinds::lookup(k.as_str()) {
            Some(e) => Some(e),
            None => {
                let hint = match did_you_mean(k.as_str(), kind_names()) {
                    Some(s) => format!("did you mean `{s}`? (`readyctl kinds` lists them all)"),
                    None => format!("known kinds: {}", kind_names().join(", ")),
                };
                diags.push(
                    Diagnostic::new(
                        "catalogue/unknown-kind",
                        format!("unknown check kind `{}`", k.as_str()),
                    )
                    .at(loc(file, k.span().start()))
                    .label("not a known kind")
                    .hint(hint),
                );
                None
            }
        },
    };
    let title = str_field("title", diags).map(|s| s.as_str().to_string());
    let description = str_field("description", diags).map(|s| s.as_str().to_string());
    let remediation = str_field("remediation", diags).map(|s| s.as_str().to_string());
    let severity = match str_field("severity", diags) {
        None => defaults.severity,
        Some(s) => match s.as_str().parse::<Severity>() {
            Ok(sev) => sev,
            Err(m) => {
                diags.push(
                    Diagnostic::new("catalogue/shape", m)
                        .at(loc(file, s.span().start()))
                        .maybe_hint(
                            did_you_mean(s.as_str(), Severity::ALL.iter().map(|s| s.as_str()))
                                .map(|s| format!("did you mean `{s}`?")),
                        ),
                );
                defaults.severity
            }
        },
    };
    let timeout = match str_field("timeout", diags) {
        None => defaults.timeout,
        Some(s) => match crate::domain::units::parse_duration_within(
            s.as_str(),
            crate::domain::units::MAX_TIMEOUT,
        ) {
            Ok(t) if !t.is_zero() => t,
            _ => {
                diags.push(
                    Diagnostic::new(
                        "catalogue/shape",
                        format!(
                            "`timeout` must be a positive duration of at most 24h, got `{}`",
                            s.as_str()
                        ),
                    )
                    .at(loc(file, s.span().start()))
                    .hint("write e.g. `10s`, `500ms`, `2m`"),
                );
                defaults.timeout
            }
        },
    };
    let tags = list_field("tags", diags)
        .iter()
        .map(|s| s.as_str().to_string())
        .collect();
    let depends_nodes = list_field("depends_on", diags);

    // The kind's own fields: everything that is not common.
    let mut own = MarkedMappingNode::new_empty(*map.span());
    for (k, v) in map.iter() {
        if !COMMON_FIELDS.contains(&k.as_str()) {
            own.insert(k.clone(), v.clone());
        }
    }
    let own_node = Node::Mapping(own);
    let check = entry.and_then(
        |e| match parse_reporting_every_unknown_field(e, &own_node, file) {
            (Ok(c), unknown) if unknown.is_empty() => Some(c),
            (Ok(_), unknown) => {
                for d in unknown {
                    diags.push(d.with_kind(e.name));
                }
                None
            }
            (Err(ParseError::Serde(err)), unknown) => {
                for d in unknown {
                    diags.push(d.with_kind(e.name));
                }
                diags.push(serde_diag(file, &err, &own_node, COMMON_FIELDS).with_kind(e.name));
                None
            }
            (Err(ParseError::Invalid(problems)), unknown) => {
                for d in unknown {
                    diags.push(d.with_kind(e.name));
                }
                for p in problems {
                    let at = map
                        .get_node(p.field)
                        .and_then(|n| n.span().start())
                        .or(map.span().start());
                    diags.push(
                        Diagnostic::new(
                            "catalogue/invalid-spec",
                            format!("`{}`: {}", p.field, p.message),
                        )
                        .at(loc(file, at))
                        .maybe_hint(p.hint),
                    );
                }
                None
            }
        },
    );
    if diags.items.len() > before {
        return None;
    }
    let (id, check, entry) = (id_text?, check?, entry?);
    Some(CheckDef {
        title: title.unwrap_or_else(|| id.clone()),
        id,
        kind: entry.name,
        description,
        severity,
        tags,
        depends_on: depends_nodes
            .iter()
            .map(|s| s.as_str().to_string())
            .collect(),
        timeout,
        remediation,
        check: Arc::from(check),
        location: here.unwrap_or(Location {
            file: file.to_string(),
            line: 1,
            column: 1,
        }),
    })
}

trait WithKind {
    fn with_kind(self, kind: &str) -> Self;
}
impl WithKind for Diagnostic {
    fn with_kind(mut self, kind: &str) -> Self {
        if matches!(
            self.code,
            "catalogue/unknown-field" | "catalogue/missing-field" | "catalogue/shape"
        ) {
            let h = self.hint.take().unwrap_or_default();
            let sep = if h.is_empty() { "" } else { "; " };
            self.hint = Some(format!(
                "{h}{sep}`readyctl explain {kind}` lists its fields"
            ));
        }
        self
    }
}

fn kind_names() -> Vec<&'static str> {
    kinds::REGISTRY.iter().map(|k| k.name).collect()
}

/// Turns a serde error from a node into a located diagnostic.
fn serde_diag(
    file: &str,
    err: &marked_yaml::FromNodeError,
    node: &Node,
    extra_fields: &[&str],
) -> Diagnostic {
    use marked_yaml::spanned_serde::Error as E;
    let at = err.start_mark().or_else(|| node.span().start().copied());
    let mut location = at.and_then(|m| loc(file, Some(&m)));
    match &**err {
        E::UnknownFieldError(field, expected, _) => {
            // serde reports the mapping; point at the offending key instead.
            if let Some(key) = find_key(node, field) {
                location = loc(file, key.span().start()).or(location);
            }
            let candidates: Vec<&str> = expected
                .iter()
                .copied()
                .chain(extra_fields.iter().copied())
                .collect();
            let hint = match did_you_mean(field, candidates.iter().copied()) {
                Some(s) => format!("did you mean `{s}`?"),
                None => format!("fields here: {}", expected.join(", ")),
            };
            Diagnostic::new(
                "catalogue/unknown-field",
                format!("unknown field `{field}`"),
            )
            .at(location)
            .hint(hint)
        }
        E::NotBoolean(_) => {
            Diagnostic::new("catalogue/shape", "expected `true` or `false`").at(location)
        }
        E::IntegerParseFailure(e, _) => {
            Diagnostic::new("catalogue/shape", format!("expected a whole number ({e})"))
                .at(location)
        }
        E::FloatParseFailure(e, _) => {
            Diagnostic::new("catalogue/shape", format!("expected a number ({e})")).at(location)
        }
        E::Other(msg, _) => {
            if let Some(field) = msg
                .strip_prefix("missing field `")
                .and_then(|r| r.strip_suffix('`'))
            {
                Diagnostic::new(
                    "catalogue/missing-field",
                    format!("missing field `{field}`"),
                )
                .at(location)
                .hint(format!("add `{field}:` to this check"))
            } else {
                Diagnostic::new("catalogue/shape", humanise_serde(msg))
                    .at(location)
                    .hint("fix the value's type (text, number, list or mapping)")
            }
        }
    }
}

/// The first mapping key named `name` in `node`, depth first.
/// serde stops at the first unknown field; a user wants them all at once
/// (`requried` and `sevirity` in one check are two problems, not one now and
/// one after the fix). Each unknown field is reported, removed from a copy
/// of the node, and the parse retried, up to a bound.
fn parse_reporting_every_unknown_field(
    e: &kinds::KindEntry,
    node: &Node,
    file: &str,
) -> (
    Result<Box<dyn kinds::DynCheck>, ParseError>,
    Vec<Diagnostic>,
) {
    let mut unknown: Vec<marked_yaml::FromNodeError> = Vec::new();
    let mut current = node.clone();
    for _ in 0..64 {
        match (e.parse)(&current) {
            Err(ParseError::Serde(err)) => {
                let field = match &*err {
                    marked_yaml::spanned_serde::Error::UnknownFieldError(f, _, _) => f.clone(),
                    // `pth:` removed leaves `path` missing: the same mistake,
                    // already reported with its did-you-mean. Say it once.
                    marked_yaml::spanned_serde::Error::Other(m, _)
                        if m.strip_prefix("missing field `")
                            .and_then(|r| r.split('`').next())
                            .is_some_and(|f| {
                                unknown.iter().any(|u| match &**u {
                                    marked_yaml::spanned_serde::Error::UnknownFieldError(
                                        g,
                                        _,
                                        _,
                                    ) => did_you_mean(g, std::iter::once(f)).is_some(),
                                    _ => false,
                                })
                            }) =>
                    {
                        return (
                            Err(ParseError::Invalid(Vec::new())),
                            finish_unknown(unknown, node, file),
                        );
                    }
                    _ => {
                        return (
                            Err(ParseError::Serde(err)),
                            finish_unknown(unknown, node, file),
                        );
                    }
                };
                let (next, removed) = without_key(&current, &field);
                unknown.push(err);
                if !removed {
                    break;
                }
                current = next;
            }
            other => return (other, finish_unknown(unknown, node, file)),
        }
    }
    // Out of retries: report what was found as the last serde error.
    match unknown.pop() {
        Some(last) => (
            Err(ParseError::Serde(last)),
            finish_unknown(unknown, node, file),
        ),
        None => ((e.parse)(node), Vec::new()),
    }
}

/// Unknown-field errors found while retrying, as diagnostics located in the
/// original node.
fn finish_unknown(
    errs: Vec<marked_yaml::FromNodeError>,
    node: &Node,
    file: &str,
) -> Vec<Diagnostic> {
    errs.iter()
        .map(|err| serde_diag(file, err, node, COMMON_FIELDS))
        .collect()
}

/// A copy of `node` with the first key named `name` (depth-first) removed.
fn without_key(node: &Node, name: &str) -> (Node, bool) {
    match node {
        Node::Mapping(m) => {
            let mut out = MarkedMappingNode::new_empty(*m.span());
            let mut removed = false;
            for (k, v) in m.iter() {
                if !removed && k.as_str() == name {
                    removed = true;
                    continue;
                }
                if removed {
                    out.insert(k.clone(), v.clone());
                } else {
                    let (v2, r) = without_key(v, name);
                    removed = r;
                    out.insert(k.clone(), v2);
                }
            }
            (Node::Mapping(out), removed)
        }
        Node::Sequence(sq) => {
            let mut removed = false;
            let items: Vec<Node> = sq
                .iter()
                .map(|n| {
                    if removed {
                        n.clone()
                    } else {
                        let (n2, r) = without_key(n, name);
                        removed = r;
                        n2
                    }
                })
                .collect();
            (
                Node::Sequence(MarkedSequenceNode::new(*sq.span(), items)),
                removed,
            )
        }
        Node::Scalar(_) => (node.clone(), false),
    }
}

/// URL schemes a target may use (what the service kinds speak).
const TARGET_SCHEMES: &[&str] = &[
    "http",
    "https",
    "postgres",
    "postgresql",
    "redis",
    "rediss",
    "unix",
    "ws",
    "wss",
    "tcp",
];

/// PostgreSQL's sslmode values.
const SSLMODES: &[&str] = &[
    "disable",
    "allow",
    "prefer",
    "require",
    "verify-ca",
    "verify-full",
];

/// A target's URL scheme, port and TLS mode, checked at load time so a typo
/// (`htp://`, port 63799999, `sslmode=bogus`) is a located error before
/// anything runs rather than a failure at run time. Messages never echo the
/// URL: it may carry a password.
fn validate_target(t: &Target, node: &Node, file: &str, diags: &mut Diagnostics) {
    let at = |key: &str| {
        node.as_mapping()
            .and_then(|m| m.get_node(key))
            .and_then(|n| loc(file, n.span().start()))
    };
    if let Some(u) = t.url.as_deref().filter(|u| !u.is_empty()) {
        match url::Url::parse(u) {
            Err(e) => diags.push(
                Diagnostic::new("catalogue/shape", format!("`url` is not a valid URL: {e}"))
                    .at(at("url"))
                    .hint("write e.g. https://host:443/path or postgres://user@host:5432/db"),
            ),
            Ok(parsed) => {
                let scheme = parsed.scheme();
                if !TARGET_SCHEMES.contains(&scheme) {
                    let hint = did_you_mean(scheme, TARGET_SCHEMES.iter().copied())
                        .map(|s| format!("did you mean `{s}://`?"))
                        .unwrap_or_else(|| format!("schemes: {}", TARGET_SCHEMES.join(", ")));
                    diags.push(
                        Diagnostic::new(
                            "catalogue/shape",
                            format!("`url` has an unknown scheme `{scheme}`"),
                        )
                        .at(at("url"))
                        .hint(hint),
                    );
                }
                for (k, v) in parsed.query_pairs() {
                    if k == "sslmode" && !SSLMODES.contains(&v.as_ref()) {
                        diags.push(sslmode_diag(&v, at("url")));
                    }
                }
            }
        }
    }
    if let Some(mode) = t.tls.as_deref()
        && !mode.is_empty()
        && !SSLMODES.contains(&mode)
    {
        diags.push(sslmode_diag(mode, at("tls")));
    }
    if t.port == Some(0) {
        diags.push(
            Diagnostic::new("catalogue/shape", "`port` must be 1 to 65535, got 0").at(at("port")),
        );
    }
}

fn sslmode_diag(mode: &str, at: Option<Location>) -> Diagnostic {
    let hint = did_you_mean(mode, SSLMODES.iter().copied())
        .map(|s| format!("did you mean `{s}`?"))
        .unwrap_or_else(|| format!("modes: {}", SSLMODES.join(", ")));
    Diagnostic::new("catalogue/shape", format!("unknown TLS mode `{mode}`"))
        .at(at)
        .hint(hint)
}

fn find_key<'a>(node: &'a Node, name: &str) -> Option<&'a MarkedScalarNode> {
    match node {
        Node::Mapping(m) => m.iter().find_map(|(k, v)| {
            if k.as_str() == name {
                Some(k)
            } else {
                find_key(v, name)
            }
        }),
        Node::Sequence(s) => s.iter().find_map(|n| find_key(n, name)),
        Node::Scalar(_) => None,
    }
}

/// Turns serde's "invalid type: sequence, expected path string" into
/// "expected path string, found a list".
fn humanise_serde(msg: &str) -> String {
    let Some(rest) = msg
        .strip_prefix("invalid type: ")
        .or_else(|| msg.strip_prefix("invalid value: "))
    else {
        return msg.to_string();
    };
    let Some((found, expected)) = rest.split_once(", expected ") else {
        return msg.to_string();
    };
    let found = match found {
        "sequence" => "a list".to_string(),
        "map" => "a mapping".to_string(),
        other => other
            .replace("string ", "the text ")
            .replace("integer ", "the number "),
    };
    format!("expected {expected}, found {found}")
}

fn validate_graph(
    checks: &[CheckDef],
    targets: &IndexMap<String, Target>,
    diags: &mut Diagnostics,
) {
    let mut first: HashMap<&str, &CheckDef> = HashMap::new();
    for c in checks {
        if let Some(prev) = first.get(c.id.as_str()) {
            diags.push(
                Diagnostic::new(
                    "catalogue/duplicate-id",
                    format!("duplicate check id `{}`", c.id),
                )
                .at(Some(c.location.clone()))
                .hint(format!("first defined at {}", prev.location)),
            );
        } else {
            first.insert(&c.id, c);
        }
    }
    for c in checks {
        for d in &c.depends_on {
            if !first.contains_key(d.as_str()) {
                let hint = did_you_mean(d, first.keys().copied())
                    .map(|s| format!("did you mean `{s}`?"))
                    .unwrap_or_else(|| "`depends_on` takes ids of checks in this catalogue".into());
                diags.push(
                    Diagnostic::new(
                        "catalogue/unknown-dependency",
                        format!("check `{}` depends on unknown check `{d}`", c.id),
                    )
                    .at(Some(c.location.clone()))
                    .hint(hint),
                );
            }
        }
        for t in c.check.targets() {
            if !targets.contains_key(&t) {
                let hint = did_you_mean(&t, targets.keys().map(String::as_str))
                    .map(|s| format!("did you mean `{s}`?"))
                    .unwrap_or_else(|| "define it under `targets:`".into());
                diags.push(
                    Diagnostic::new(
                        "catalogue/unknown-target",
                        format!("check `{}` uses unknown target `{t}`", c.id),
                    )
                    .at(Some(c.location.clone()))
                    .hint(hint),
                );
            }
        }
    }
    // Cycles: iterative DFS with colours.
    let mut index: HashMap<&str, usize> = HashMap::new();
    for (i, c) in checks.iter().enumerate() {
        index.entry(c.id.as_str()).or_insert(i);
    }
    let mut colour = vec![0u8; checks.len()];
    for start in 0..checks.len() {
        if colour[start] != 0 {
            continue;
        }
        let mut stack: Vec<(usize, usize)> = vec![(start, 0)];
        colour[start] = 1;
        while let Some((node, next)) = stack.pop() {
            let deps = &checks[node].depends_on;
            if next < deps.len() {
                stack.push((node, next + 1));
                if let Some(&d) = index.get(deps[next].as_str()) {
                    match colour[d] {
                        0 => {
                            colour[d] = 1;
                            stack.push((d, 0));
                        }
                        1 => {
                            let pos = stack.iter().position(|(n, _)| *n == d).unwrap_or(0);
                            let mut cycle: Vec<&str> = stack[pos..]
                                .iter()
                                .map(|(n, _)| checks[*n].id.as_str())
                                .collect();
                            cycle.push(checks[d].id.as_str());
                            diags.push(
                                Diagnostic::new(
                                    "catalogue/dependency-cycle",
                                    format!("dependency cycle: {}", cycle.join(" -> ")),
                                )
                                .at(Some(checks[d].location.clone()))
                                .hint("remove one `depends_on` entry to break the cycle"),
                            );
                        }
                        _ => {}
                    }
                }
            } else {
                colour[node] = 2;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(text: &str) -> Vec<(&'static str, u32, u32)> {
        let d = load_str("c.yml", text).expect_err("expected diagnostics");
        d.items
            .iter()
            .map(|d| {
                let l = d.location.clone().expect("located");
                (d.code, l.line, l.column)
            })
            .collect()
    }

    #[test]
    fn loads_a_minimal_catalogue_with_defaults() {
        let c = load_str(
            "c.yml",
            "version: 1\ndefaults: {severity: high, timeout: 3s}\nchecks:\n  - id: a.b\n    kind: file\n    path: x\n",
        )
        .unwrap();
        assert_eq!(c.checks[0].title, "a.b");
        assert_eq!(c.checks[0].severity, Severity::High);
        assert_eq!(c.checks[0].timeout, Duration::from_secs(3));
    }

    #[test]
    fn empty_target_ca_file_means_none() {
        let c = load_str(
            "c.yml",
            "version: 1\ntargets:\n  api: {url: 'https://a', ca_file: '${READYCTL_UNSET_CA_FOR_TEST:-}'}\n  b: {url: 'https://b', ca_file: ca.pem}\nchecks:\n  - {id: a, kind: file, path: x}\n",
        )
        .unwrap();
        assert_eq!(c.targets["api"].ca_file, None);
        assert_eq!(c.targets["b"].ca_file, Some(PathBuf::from("ca.pem")));
    }

    #[test]
    fn reports_several_mistakes_at_once_with_positions() {
        let got = codes(
            "version: 1\nchecks:\n  - id: a\n    kind: fle\n    path: x\n  - id: b\n    kind: file\n    pth: x\n  - id: a\n    kind: file\n    path: y\n    severity: bad\n",
        );
        assert!(got.contains(&("catalogue/unknown-kind", 4, 11)), "{got:?}");
        assert!(got.contains(&("catalogue/unknown-field", 8, 5)), "{got:?}");
        assert!(
            got.iter().any(|g| g.0 == "catalogue/shape" && g.1 == 12),
            "{got:?}"
        );
    }

    #[test]
    fn misspelt_field_gets_did_you_mean() {
        let d = load_str(
            "c.yml",
            "version: 1\nchecks:\n  - id: a\n    kind: file\n    pth: x\n",
        )
        .unwrap_err();
        assert_eq!(
            d.items[0]
                .hint
                .as_deref()
                .map(|h| h.starts_with("did you mean `path`?")),
            Some(true),
            "{:?}",
            d.items
        );
    }

    #[test]
    fn finds_duplicates_unknown_deps_and_cycles() {
        let got = codes(
            "version: 1\nchecks:\n  - {id: a, kind: file, path: x, depends_on: [b]}\n  - {id: b, kind: file, path: x, depends_on: [a]}\n  - {id: b, kind: file, path: x}\n  - {id: c, kind: file, path: x, depends_on: [zz]}\n",
        );
        let kinds: Vec<_> = got.iter().map(|g| g.0).collect();
        assert!(kinds.contains(&"catalogue/duplicate-id"), "{got:?}");
        assert!(kinds.contains(&"catalogue/unknown-dependency"), "{got:?}");
        assert!(kinds.contains(&"catalogue/dependency-cycle"), "{got:?}");
    }

    #[test]
    fn unresolved_variable_names_the_variable_and_position() {
        let d = load_str(
            "c.yml",
            "version: 1\nchecks:\n  - id: a\n    kind: file\n    path: ${NOPE_NOT_SET}/x\n",
        )
        .unwrap_err();
        assert_eq!(d.items[0].code, "catalogue/unresolved-variable");
        assert!(d.items[0].message.contains("NOPE_NOT_SET"));
        assert_eq!(d.items[0].location.as_ref().map(|l| l.line), Some(5));
    }

    #[test]
    fn vars_interpolate_and_secret_vars_are_recorded() {
        let c = load_str(
            "c.yml",
            "version: 1\nvars:\n  dir: scripts\n  pw: {value: hunter2hunter2, secret: true}\nchecks:\n  - id: a\n    kind: file\n    path: ${dir}/x\n    contains: ${pw}\n",
        )
        .unwrap();
        assert!(c.secrets.contains(&"hunter2hunter2".to_string()));
    }

    #[test]
    fn bad_yaml_is_located() {
        let got = codes("version: 1\nchecks:\n  - id: a\n   kind: [\n");
        assert_eq!(got[0].0, "catalogue/yaml");
    }

    #[test]
    fn anchors_are_refused_with_a_hint() {
        let got = codes("version: 1\nx: &a 1\nchecks: []\n");
        assert!(got.iter().any(|g| g.0 == "catalogue/yaml"), "{got:?}");
    }
}
