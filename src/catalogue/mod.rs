//! The catalogue: load YAML with positions, interpolate, validate, and hand
//! the runner a [`Catalogue`] it can trust.
//!
//! Loading never stops at the first problem: every file is parsed, every check
//! is checked, and all problems come back together as [`Diagnostics`], each
//! with `file:line:column` and a hint. Kinds parse their own fields from the
//! YAML node (so serde errors keep their positions); this module owns only the
//! fields every check shares. Nothing here runs a check.

mod check;
mod fast;
mod graph;
pub(crate) mod interp;
mod source;
mod target;
mod vars;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use indexmap::IndexMap;
use marked_yaml::Node;
use marked_yaml::types::{MarkedMappingNode, MarkedScalarNode};

use check::{parse_check, serde_diag};
use graph::validate_graph;
#[cfg(test)]
use source::parse_file;
use source::{
    HintOr, catalogue_files, check_version, loc, parse_file_counting, read_text, shape, source_of,
};
use target::validate_target;
use vars::{
    VarLookup, capture_names, interpolate, read_defaults, read_vars, report_unresolved, secrets_of,
    url_password, uses_vars,
};

use crate::diag::{Diagnostic, Diagnostics, Location, did_you_mean};
use crate::domain::envfile::EnvFile;
use crate::kinds::DynCheck;
pub(crate) use crate::kinds::Target;
use crate::report::Severity;

/// The catalogue format versions this readyctl reads.
pub(crate) const SUPPORTED_VERSIONS: &[u32] = &[1];

/// Fields every check has; a kind's own fields are everything else.
pub(crate) const COMMON_FIELDS: &[&str] = &[
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

pub(super) const TOP_LEVEL_FIELDS: &[&str] = &[
    "version",
    "vars",
    "env_files",
    "targets",
    "defaults",
    "checks",
];

/// Default per-check timeout.
pub(crate) const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// Largest catalogue file readyctl reads.
pub(crate) const MAX_CATALOGUE_BYTES: u64 = 16 * 1024 * 1024;

/// One check, validated and ready to run. The rarely set and the
/// list-valued fields are boxed: a `CheckDef` is kept per check for the
/// whole run (100,000 `file` checks are a benchmark), and a `String` or
/// `Vec` inline is 24 bytes where a box is 16.
pub(crate) struct CheckDef {
    /// Unique dotted id.
    pub id: std::sync::Arc<str>,
    /// The kind's name.
    pub kind: &'static str,
    /// Human title (the id itself, shared, when none was written).
    pub title: std::sync::Arc<str>,
    /// Longer description.
    #[expect(
        dead_code,
        reason = "accepted for catalogue authors; no renderer shows it yet"
    )]
    pub description: Option<Box<str>>,
    /// How bad a failure is.
    pub severity: Severity,
    /// Tags, for `--tag`.
    pub tags: Box<[String]>,
    /// Ids of checks that must pass first.
    pub depends_on: Box<[String]>,
    /// Per-check timeout.
    pub timeout: Duration,
    /// What to do about a failure.
    pub remediation: Option<Box<str>>,
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
pub(crate) struct Catalogue {
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
pub(crate) struct LoadOptions {
    /// The deployment root (`--root`).
    pub root: PathBuf,
    /// The process environment used for interpolation.
    pub env: HashMap<String, String>,
}

impl LoadOptions {
    /// Options with the real process environment.
    pub(crate) fn with_root(root: impl Into<PathBuf>) -> Self {
        LoadOptions {
            root: root.into(),
            env: std::env::vars().collect(),
        }
    }
}

/// Loads a catalogue file or directory.
/// Builds the check-id pattern now (see `redact::warm`).
pub(crate) fn warm() {
    std::sync::LazyLock::force(&check::ID_RE);
}

pub(crate) fn load(path: &Path, opts: &LoadOptions) -> Result<Catalogue, Diagnostics> {
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
                file: name.into(),
                line: 1,
                column: 1,
            }))),
        }
    }
    load_sources(path, sources, opts, diags)
}

/// Loads a catalogue from text (tests and docs examples); root is `.`.
pub(crate) fn load_str(name: &str, text: &str) -> Result<Catalogue, Diagnostics> {
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
#[cfg(test)]
pub(crate) fn docs_example(docs: &str) -> Option<String> {
    let start = docs.find("```yaml")? + "```yaml".len();
    let end = start + docs[start..].find("```")?;
    let body = docs[start..end].trim_start_matches('\n');
    if body.contains("version:") {
        Some(body.to_string())
    } else {
        Some(format!("version: 1\nchecks:\n{}", indent(body, "  ")))
    }
}

#[cfg(test)]
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

/// Per-file settings from `defaults:`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Defaults {
    severity: Severity,
    timeout: Duration,
}

pub(super) struct Parsed {
    file: String,
    root: MarkedMappingNode,
    /// The file's checks, in order; the tree holds an empty `checks` list.
    checks: FileChecks,
}

/// A file's checks in order: those parsed cleanly as they were read, and
/// between them the others (with problems, or waiting for `vars:`). Kept
/// apart so that a catalogue of clean checks becomes the [`Catalogue`]'s
/// list as is: no second list of 100,000 checks while loading.
#[derive(Default)]
pub(super) struct FileChecks {
    clean: Vec<CheckDef>,
    /// Each with how many clean checks come before it.
    others: Vec<(usize, Slot)>,
}

impl FileChecks {
    fn push(&mut self, slot: Slot) {
        match slot {
            Slot::Done(Some(def), found) if found.is_empty() => self.clean.push(def),
            other => self.others.push((self.clean.len(), other)),
        }
    }
}

/// One check of a file: parsed while the file was read (with its
/// diagnostics, emitted in order later), or its node, kept because it uses
/// `${…}` and must wait for every file's `vars:`.
pub(super) enum Slot {
    Done(Option<CheckDef>, Vec<Diagnostic>),
    Pending(Node),
}

fn load_sources(
    path: &Path,
    sources: Vec<(String, String)>,
    opts: &LoadOptions,
    mut diags: Diagnostics,
) -> Result<Catalogue, Diagnostics> {
    let mut parsed = Vec::new();
    let mut captures = HashSet::new();
    let mut secrets: Vec<String> = Vec::new();
    for (idx, (name, text)) in sources.iter().enumerate() {
        diags.add_source(name.clone(), text.clone());
        let mut eager = Some(None);
        let result = read_checks(idx, name, text, &mut eager, &mut captures, &mut secrets);
        let (root, mut checks) = match result {
            Ok(r) => r,
            Err(d) => {
                diags.push(d);
                continue;
            }
        };
        // Checks parsed as they were read assumed the file's `defaults:`
        // as written before them; one written after them means reading the
        // file again, keeping every node (the same text: it parses).
        if let Some(Some(used)) = eager
            && used != read_defaults(name, root.get_node("defaults"), &mut Diagnostics::default())
        {
            let mut keep = None;
            checks = read_checks(idx, name, text, &mut keep, &mut captures, &mut secrets)
                .map(|(_, c)| c)
                .unwrap_or_default();
        }
        parsed.push(Parsed {
            file: name.clone(),
            root,
            checks,
        });
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
    let deferred = captures;
    let mut lookup = VarLookup {
        vars: HashMap::new(),
        env: &opts.env,
        file_env: &file_env,
        deferred: &deferred,
    };
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
    for (p, defaults) in parsed.into_iter().zip(&defaults_per_file) {
        if let Some(cnode) = p.root.get_node("checks")
            && cnode.as_sequence().is_none()
        {
            diags.push(shape(&p.file, cnode, "`checks` must be a list"));
            continue;
        }
        let FileChecks { clean, others } = p.checks;
        if others.is_empty() && checks.is_empty() {
            checks = clean;
            continue;
        }
        let mut clean = clean.into_iter();
        let mut taken = 0;
        for (before, slot) in others {
            checks.extend(clean.by_ref().take(before - taken));
            taken = before;
            let (def, found) = match slot {
                Slot::Done(def, found) => (def, found),
                Slot::Pending(item) => {
                    let mut found = Diagnostics::default();
                    let uses = uses_vars(&item);
                    let def = take_check(
                        &p.file,
                        item,
                        uses,
                        *defaults,
                        &lookup,
                        &missing_env_files,
                        &mut secrets,
                        &mut found,
                    );
                    (def, found.items)
                }
            };
            diags.items.extend(found);
            checks.extend(def);
        }
        checks.extend(clean);
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
    // The list grew by doubling: 100,000 checks sat in room for 131,072
    // (7 MB) for the whole run. A large buffer shrinks in place (mremap).
    checks.shrink_to_fit();
    Ok(Catalogue {
        path: path.to_path_buf(),
        root: opts.root.clone(),
        targets,
        checks,
        secrets,
    })
}

/// Reads one file: its tree without the checks, and its checks, each
/// parsed the moment it is read when it needs nothing written later (no
/// `${…}`), so its node is dropped at once. `eager` is `Some` to parse
/// that way; it then records the defaults those checks used.
fn read_checks(
    idx: usize,
    name: &str,
    text: &str,
    eager: &mut Option<Option<Defaults>>,
    captures: &mut HashSet<String>,
    secrets: &mut Vec<String>,
) -> Result<(MarkedMappingNode, FileChecks), Diagnostic> {
    let mut checks = FileChecks::default();
    let none = HashMap::new();
    let nothing = HashSet::new();
    let no_vars = VarLookup {
        vars: HashMap::new(),
        env: &none,
        file_env: &none,
        deferred: &nothing,
    };
    // Capture names wait for the file's end: when it is malformed, only
    // those of the checks yaml_rust2 reads before the error count.
    let mut named: Vec<(usize, HashSet<String>)> = Vec::new();
    let mut n = 0;
    let read = parse_file_counting(idx, name, text, &mut |item, root| {
        let mut names = HashSet::new();
        capture_names(&item, &mut names);
        if !names.is_empty() {
            named.push((n, names));
        }
        n += 1;
        let uses = uses_vars(&item);
        let Some(used) = eager.as_mut().filter(|_| !uses) else {
            checks.push(Slot::Pending(item));
            return;
        };
        let defaults = *used.get_or_insert_with(|| {
            read_defaults(name, root.get_node("defaults"), &mut Diagnostics::default())
        });
        let mut found = Diagnostics::default();
        let def = take_check(
            name,
            item,
            false,
            defaults,
            &no_vars,
            &[],
            secrets,
            &mut found,
        );
        checks.push(Slot::Done(def, found.items));
    });
    let (read, reached) = read;
    let reached = if read.is_ok() { usize::MAX } else { reached };
    for (_, names) in named.into_iter().filter(|(i, _)| *i < reached) {
        captures.extend(names);
    }
    let root = read?;
    Ok((root, checks))
}

/// One check from its node (`uses`: it holds `${…}`, see [`uses_vars`]):
/// interpolated, its secrets recorded, parsed.
#[expect(
    clippy::too_many_arguments,
    reason = "the loader's state, passed apart so each borrow stays short"
)]
fn take_check(
    file: &str,
    item: Node,
    uses: bool,
    defaults: Defaults,
    lookup: &VarLookup<'_>,
    missing_env_files: &[String],
    secrets: &mut Vec<String>,
    diags: &mut Diagnostics,
) -> Option<CheckDef> {
    let node = if uses {
        interpolate(&item, lookup, file, missing_env_files, secrets, diags)
    } else {
        secrets_of(&item, secrets, false);
        item
    };
    // Secret-looking request headers of any kind (http, latency,
    // websocket, …) are secrets wherever they appear.
    if let Some(headers) = node.as_mapping().and_then(|m| m.get_mapping("headers")) {
        for (k, v) in headers.iter() {
            if let Some(v) = v.as_scalar() {
                secrets.extend(crate::redact::header_secrets(k.as_str(), v.as_str()));
            }
        }
    }
    let def = parse_check(file, node, defaults, diags)?;
    secrets.extend(def.check.secrets());
    Some(def)
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
        assert_eq!(&*c.checks[0].title, "a.b");
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

    /// Checks are parsed as they are read; what is written after them
    /// still applies: `defaults:` below the checks of its file, `vars:`
    /// below the checks that use them. Order is kept either way.
    #[test]
    fn settings_written_after_the_checks_still_apply_in_order() {
        let c = load_str(
            "c.yml",
            "version: 1\nchecks:\n  - {id: a, kind: file, path: x}\n  - {id: b, kind: file, path: x, contains: '${pw}'}\n  - {id: c, kind: file, path: x, severity: low}\ndefaults: {severity: high, timeout: 3s}\nvars:\n  pw: {value: hunter2hunter2, secret: true}\n",
        )
        .unwrap();
        let ids: Vec<_> = c.checks.iter().map(|c| &*c.id).collect();
        assert_eq!(ids, ["a", "b", "c"]);
        let sev: Vec<_> = c.checks.iter().map(|c| c.severity).collect();
        assert_eq!(sev, [Severity::High, Severity::High, Severity::Low]);
        assert_eq!(c.checks[0].timeout, Duration::from_secs(3));
        assert!(c.secrets.contains(&"hunter2hunter2".to_string()));
    }

    /// Problems of checks parsed as they were read and of checks that
    /// waited for `vars:` come out in catalogue order, after the file-level
    /// ones.
    #[test]
    fn problems_come_in_catalogue_order() {
        let got = codes(
            "version: 1\nchecks:\n  - {id: a, kind: fle}\n  - {id: b, kind: file, path: '${NOPE_NOT_SET_X}'}\n  - {id: c, kind: file, pth: x}\nbogus: 1\n",
        );
        let order: Vec<_> = got.iter().map(|g| (g.0, g.1)).collect();
        assert_eq!(
            order,
            [
                ("catalogue/unknown-field", 6),
                ("catalogue/unknown-kind", 3),
                ("catalogue/unresolved-variable", 4),
                ("catalogue/unknown-field", 5),
            ]
        );
    }

    /// Checks without `${…}` skip the interpolating copy; the secrets
    /// recorded for them are the ones interpolating records.
    #[test]
    fn secrets_of_a_check_are_what_interpolating_records() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("checks");
        let mut texts: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
            .collect();
        texts.push("checks:\n  - {id: a, kind: http, url: 'https://u:pw-in-url@h/', headers: {Authorization: Bearer abc.def.ghi, X-Api-Key: k3y}, password: hunter2, remediation: 'token: not-a-secret in prose'}\n".into());
        let none = HashMap::new();
        let nothing = HashSet::new();
        let lookup = VarLookup {
            vars: HashMap::new(),
            env: &none,
            file_env: &none,
            deferred: &nothing,
        };
        let mut checked = 0;
        for t in &texts {
            let mut items = Vec::new();
            parse_file(0, "c.yml", t, &mut |item, _| items.push(item)).unwrap();
            for item in items.iter().filter(|i| !uses_vars(i)) {
                let (mut by_copy, mut by_walk) = (Vec::new(), Vec::new());
                let mut d = Diagnostics::default();
                interpolate(item, &lookup, "c.yml", &[], &mut by_copy, &mut d);
                secrets_of(item, &mut by_walk, false);
                assert_eq!(by_copy, by_walk);
                checked += usize::from(!by_walk.is_empty());
            }
        }
        assert!(checked > 0, "some check has secrets");
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
