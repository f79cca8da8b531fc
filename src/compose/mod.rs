//! The compose model: load one or more compose files the way
//! `docker compose -f base.yml -f production.yml` does, and keep where every
//! value came from.
//!
//! Pipeline, per the compose specification:
//! 1. each file is parsed ([`yaml`], anchors and `<<` merge keys resolved,
//!    file size and alias expansion bounded) and its shape checked;
//! 2. each file is interpolated ([`interp`]) with values from the env files
//!    (`--env-file`, else the project directory's `.env`) overridden by the
//!    process environment, as compose gives the shell precedence;
//! 3. list-or-mapping attributes are normalised and the files are merged in
//!    order ([`merge`]);
//! 4. `extends` is resolved on the merged model, recursively, from the same
//!    file or another one (relative to the file that declares it), with cycles
//!    detected.
//!
//! Malformed input (bad YAML, wrong types, an `extends` cycle, a missing
//! extended file) is returned as located [`Diagnostics`]. A failing
//! `${VAR:?msg}` is *not* fatal here: it is recorded in
//! [`Project::interp_errors`] so that check kinds report it as a finding and
//! `readyctl compose config` as an error. This module never prints.

pub(crate) mod canonical;
pub(crate) mod discover;
mod envfiles;
pub(crate) use crate::domain::interp;
pub(crate) mod merge;
pub(crate) mod profiles;
pub(crate) mod yaml;

use std::collections::{HashMap, HashSet};
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use indexmap::IndexMap;

use crate::diag::{Diagnostic, Diagnostics};
use crate::domain::envfile::EnvFile;
use interp::{InterpError, VarUse};
use yaml::{Loc, Node, Value};

/// How to load a project.
#[derive(Debug, Clone, Default)]
pub(crate) struct LoadOptions {
    /// The compose files, in `-f` order (later files override earlier ones).
    /// Empty: found as docker compose finds them ([`discover`]): `COMPOSE_FILE`,
    /// else `compose.yaml` & co. (and the override file) in `workdir` or a parent.
    pub files: Vec<PathBuf>,
    /// Where discovery starts and `COMPOSE_*` variables' `.env` is read
    /// (default: the current directory).
    pub workdir: Option<PathBuf>,
    /// Active profiles (`--profile`); empty: `COMPOSE_PROFILES`, if set.
    pub profiles: Vec<String>,
    /// The project name (`-p`); default `COMPOSE_PROJECT_NAME`, the top-level
    /// `name:`, then the project directory's name.
    pub project_name: Option<String>,
    /// Env files for interpolation, in order (later ones win). Empty: the
    /// project directory's `.env`, when it exists (compose's default).
    pub env_files: Vec<PathBuf>,
    /// Let the process environment override env files (compose does).
    pub process_env: bool,
    /// Show file names relative to this directory when inside it.
    pub display_base: Option<PathBuf>,
    /// Leave `${VAR}` as written and `env_file` unread (`--no-interpolate`).
    pub no_interpolate: bool,
}

/// A loaded, merged, interpolated compose project.
#[derive(Debug, Clone)]
pub(crate) struct Project {
    /// The merged model (top-level mapping).
    pub model: Node,
    /// The project directory: the first file's directory.
    pub project_dir: PathBuf,
    /// Every file read (display name → path), `-f` files first.
    pub sources: IndexMap<Arc<str>, PathBuf>,
    /// Files read only because an `extends` named them; their relative paths
    /// resolve against their own directory.
    pub extended_files: HashSet<Arc<str>>,
    /// Every variable reference, where it was written.
    pub var_uses: Vec<(Loc, VarUse)>,
    /// Failed `${VAR:?msg}` and invalid templates, where they were written.
    pub interp_errors: Vec<(Loc, String)>,
    /// The values interpolation used (env files, then the process environment).
    pub env: HashMap<String, String>,
    /// The project name, normalised as compose does.
    pub name: String,
    /// The active profiles.
    pub profiles: Vec<String>,
    /// Every profile any service names (for `compose config --profiles`).
    pub all_profiles: Vec<String>,
    /// Problems that make docker compose refuse the project but that the
    /// check kinds report through rules of their own (an active service that
    /// depends on an undefined or disabled one); `compose config` fails on them.
    pub model_errors: Vec<Diagnostic>,
}

impl Project {
    /// The services, in order.
    pub(crate) fn services(&self) -> impl Iterator<Item = (&String, &Node)> {
        self.model
            .get("services")
            .and_then(Node::as_map)
            .into_iter()
            .flat_map(|m| m.iter())
    }

    /// One service.
    pub(crate) fn service(&self, name: &str) -> Option<&Node> {
        self.model.get("services").and_then(|s| s.get(name))
    }

    /// The directory relative paths written at `loc` resolve against: the
    /// project directory, or the file's own directory for a file loaded
    /// through `extends`.
    pub(crate) fn base_dir(&self, loc: &Loc) -> PathBuf {
        if self.extended_files.contains(&loc.file)
            && let Some(p) = self.sources.get(&loc.file)
            && let Some(d) = p.parent()
        {
            return d.to_path_buf();
        }
        self.project_dir.clone()
    }

    /// Resolves a path written at `loc`.
    pub(crate) fn resolve(&self, written: &str, loc: &Loc) -> PathBuf {
        let p = Path::new(written);
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            normalize(&self.base_dir(loc).join(p))
        }
    }
}

/// Lexically removes `.` and `..` components.
pub(crate) fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other),
        }
    }
    out
}

struct Loader<'a> {
    opts: &'a LoadOptions,
    env: HashMap<String, String>,
    diags: Diagnostics,
    sources: IndexMap<Arc<str>, PathBuf>,
    extended_files: HashSet<Arc<str>>,
    /// The `services` of extended files (parsed, interpolated and
    /// normalised), by path; `None`: the file could not be read. Shared, not
    /// copied, by every service that extends one: two copies of the whole
    /// file per `extends` were 5% of the bundled catalogue's files-only run.
    cache: HashMap<PathBuf, Option<Arc<yaml::Map>>>,
    var_uses: Vec<(Loc, VarUse)>,
    interp_errors: Vec<(Loc, String)>,
    /// The first file's directory.
    project_dir: PathBuf,
}

/// Loads the project described by `opts`.
pub(crate) fn load(opts: &LoadOptions) -> Result<Project, Diagnostics> {
    let mut l = Loader {
        opts,
        env: HashMap::new(),
        diags: Diagnostics::default(),
        sources: IndexMap::new(),
        extended_files: HashSet::new(),
        cache: HashMap::new(),
        var_uses: Vec::new(),
        interp_errors: Vec::new(),
        project_dir: PathBuf::new(),
    };
    let process_env: HashMap<String, String> = if opts.process_env {
        std::env::vars().collect()
    } else {
        HashMap::new()
    };
    let workdir = opts
        .workdir
        .clone()
        .map(|w| absolute(&w))
        .or_else(|| std::env::current_dir().ok())
        .unwrap_or_default();
    let vars = discover::compose_vars(&workdir, &process_env);
    let files: Vec<PathBuf> = if !opts.files.is_empty() {
        opts.files.clone()
    } else if !vars.files.is_empty() {
        vars.files.clone()
    } else {
        match discover::default_files(&workdir) {
            Ok(f) => f,
            Err(msg) => {
                l.diags.push(Diagnostic::new("compose/io", msg).hint(
                    "run in the directory that holds compose.yaml (or docker-compose.yml), set COMPOSE_FILE, or name files with -f",
                ));
                return Err(l.diags);
            }
        }
    };
    let first = &files[0];
    let project_dir = normalize(&absolute(first))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    l.project_dir = project_dir.clone();
    l.read_env(&project_dir, &process_env);
    let mut model = Node::synthetic(Value::Map(yaml::Map::default()));
    // Only `extends` can read a file again, and it can only be reached
    // from an `-f` file that says `extends`: without one, the parses need
    // no copy (a copy of a 200-service tree was 7% of a lint).
    let any_extends = files
        .iter()
        .any(|f| std::fs::read(f).map_or(true, |b| b.windows(7).any(|w| w == b"extends")));
    for f in &files {
        let node = l.read_compose(f);
        // An `extends: {file: …}` naming an `-f` file reuses this parse, so
        // its variables and errors are recorded once.
        if any_extends {
            l.cache
                .insert(normalize(&absolute(f)), node.as_ref().map(services_of));
        }
        if let Some(mut node) = node {
            // Compose resolves `extends` within each file before merging
            // the files: an overlay's change to a base service does not
            // reach the services that extend it, and an overlay cannot
            // extend a service only an earlier file defines.
            l.apply_extends(&mut node, &normalize(&absolute(f)));
            merge::merge(&mut model, node, &mut Vec::new());
        }
    }
    if !l.diags.is_empty() {
        return Err(l.diags);
    }
    // Profiles: `--profile`, else COMPOSE_PROFILES (from the shell or the
    // project's `.env`, which interpolation also reads).
    let profiles: Vec<String> = if !opts.profiles.is_empty() {
        opts.profiles.clone()
    } else if !vars.profiles.is_empty() {
        vars.profiles.clone()
    } else {
        l.env
            .get("COMPOSE_PROFILES")
            .map(|s| {
                s.split(',')
                    .map(str::trim)
                    .filter(|p| !p.is_empty())
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default()
    };
    let all_profiles = profiles::all(&model);
    let mut model_errors = Diagnostics::default();
    profiles::apply(&mut model, &profiles, &mut model_errors);
    profiles::validate(&model, &mut model_errors);
    let env = l.env.clone();
    if !opts.no_interpolate {
        envfiles::apply(&mut l, &mut model, &env, &mut model_errors);
    }
    // A name given with -p or COMPOSE_PROJECT_NAME must already be valid;
    // one from `name:` or the directory is normalised (as compose does).
    let given = opts
        .project_name
        .clone()
        .or_else(|| vars.project_name.clone())
        .or_else(|| {
            l.env
                .get("COMPOSE_PROJECT_NAME")
                .filter(|s| !s.is_empty())
                .cloned()
        });
    if let Some(g) = &given
        && (discover::normalize_project_name(g) != *g || g.is_empty())
    {
        l.diags.push(
            Diagnostic::new(
                "compose/project-name",
                format!("invalid project name {g:?}: only lower-case letters, digits, `-` and `_`, starting with a letter or digit"),
            )
            .hint(format!("for example -p {}", discover::normalize_project_name(g))),
        );
        return Err(l.diags);
    }
    let name = given
        .or_else(|| {
            model
                .get("name")
                .and_then(Node::as_str)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        })
        .unwrap_or_else(|| {
            project_dir
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        });
    Ok(Project {
        model,
        project_dir,
        sources: l.sources,
        extended_files: l.extended_files,
        var_uses: l.var_uses,
        interp_errors: l.interp_errors,
        env: l.env,
        name: discover::normalize_project_name(&name),
        profiles,
        all_profiles,
        model_errors: model_errors.items,
    })
}

fn absolute(p: &Path) -> PathBuf {
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        std::env::current_dir()
            .map(|d| d.join(p))
            .unwrap_or_else(|_| p.to_path_buf())
    }
}

impl Loader<'_> {
    fn display(&self, p: &Path) -> Arc<str> {
        if let Some(base) = &self.opts.display_base {
            let full = normalize(&absolute(p));
            let base = normalize(&absolute(base));
            if let Ok(rel) = full.strip_prefix(&base) {
                return Arc::from(rel.display().to_string());
            }
        }
        Arc::from(normalize(p).display().to_string())
    }

    fn read_env(&mut self, project_dir: &Path, process_env: &HashMap<String, String>) {
        let files: Vec<PathBuf> = if self.opts.env_files.is_empty() {
            let dot = project_dir.join(".env");
            if dot.is_file() { vec![dot] } else { Vec::new() }
        } else {
            self.opts.env_files.clone()
        };
        for f in files {
            // Inside an env file, `${VAR}` looks at the shell first, then at
            // what earlier env files set (compose's `GetEnvFromFile`).
            let seen = self.env.clone();
            let lookup = |k: &str| process_env.get(k).or_else(|| seen.get(k)).cloned();
            match EnvFile::read_with(&f, &lookup) {
                Ok(e) => {
                    for entry in e.entries {
                        self.env.insert(entry.key, entry.value);
                    }
                }
                Err(e) => {
                    let shown = self.display(&f);
                    let d = Diagnostic::new("compose/env-file", e.message.clone())
                        .at(e.line.map(|line| crate::diag::Location {
                            file: shown.clone(),
                            line,
                            column: 1,
                        }))
                        .hint("env files hold KEY=value lines; quote values with spaces");
                    self.diags.push(d);
                }
            }
        }
        // Compose gives the shell environment precedence over env files.
        for (k, v) in process_env {
            self.env.insert(k.clone(), v.clone());
        }
    }

    /// Reads, parses, shape-checks, interpolates and normalises one file.
    fn read_compose(&mut self, path: &Path) -> Option<Node> {
        let shown = self.display(path);
        self.sources
            .insert(shown.clone(), normalize(&absolute(path)));
        let io = |msg: String| {
            Diagnostic::new("compose/io", msg)
                .at(Some(crate::diag::Location {
                    file: (&*shown).into(),
                    line: 1,
                    column: 1,
                }))
                .hint("check the path given with -f (or the `extends: file:` value)")
        };
        let meta = match std::fs::metadata(path) {
            Ok(m) => m,
            Err(e) => {
                self.diags.push(io(format!("cannot read {shown}: {e}")));
                return None;
            }
        };
        if meta.len() > yaml::MAX_FILE_BYTES {
            self.diags.push(io(format!(
                "{shown} is {} bytes; compose files are limited to {} bytes",
                meta.len(),
                yaml::MAX_FILE_BYTES
            )));
            return None;
        }
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) => {
                self.diags.push(io(format!("cannot read {shown}: {e}")));
                return None;
            }
        };
        self.diags.add_source(shown.to_string(), text.clone());
        let mut node = match yaml::parse(&shown, &text) {
            Ok(n) => n,
            Err(e) => {
                let loc = Loc {
                    file: shown.clone(),
                    line: e.line.max(1),
                    column: e.column.max(1),
                };
                self.diags.push(
                    Diagnostic::new("compose/yaml", format!("{shown} is not valid YAML: {}", e.message))
                        .at(loc.to_diag())
                        .hint(if e.message.contains("budget") {
                            "anchors and aliases expand past readyctl's limit (50,000 nodes plus one per byte of the file); is this an alias bomb?"
                        } else {
                            "compose files are YAML; check indentation, quotes and colons near this point"
                        }),
                );
                return None;
            }
        };
        // A file holding only comments is an empty project, as compose reads it.
        if matches!(node.value, Value::Null) {
            node.value = Value::Map(yaml::Map::default());
        }
        if !check_shape(&node, &mut self.diags) {
            return None;
        }
        let env = &self.env;
        let lookup = |k: &str| env.get(k).cloned();
        if !self.opts.no_interpolate {
            interpolate_tree(
                &mut node,
                &lookup,
                &mut String::new(),
                &mut self.var_uses,
                &mut self.interp_errors,
            );
        }
        if let Some(services) = node.as_map_mut().and_then(|m| m.get_mut("services"))
            && let Some(services) = services.as_map_mut()
        {
            for svc in services.values_mut() {
                merge::normalize_service(svc, &lookup);
            }
        }
        Some(node)
    }

    fn apply_extends(&mut self, model: &mut Node, file: &Path) {
        // The copy below is for resolving against the file as written; most
        // files extend nothing and need none (it was 5% of a large lint).
        let Some(services) = model
            .get("services")
            .and_then(Node::as_map)
            .filter(|m| m.values().any(|s| s.get("extends").is_some()))
            .cloned()
        else {
            return;
        };
        let ctx = Some(file.to_path_buf());
        let mut resolved = IndexMap::new();
        for (name, svc) in &services {
            if svc.get("extends").is_none() {
                continue;
            }
            let mut stack = vec![(ctx.clone(), name.clone())];
            let node = self.resolve(name, svc.clone(), ctx.as_ref(), &services, &mut stack);
            resolved.insert(name.clone(), node);
        }
        if let Some(s) = model.as_map_mut().and_then(|m| m.get_mut("services")) {
            for (name, node) in resolved {
                if let Some(m) = s.as_map_mut() {
                    let key_loc = m.get(&name).and_then(|n| n.key_loc.clone());
                    let mut node = node;
                    node.key_loc = key_loc;
                    m.insert(name, node);
                }
            }
        }
    }

    /// Resolves `svc`'s `extends` chain. `ctx` is the file whose `services`
    /// same-file references use (`None`: the merged model, `siblings`).
    fn resolve(
        &mut self,
        name: &str,
        mut svc: Node,
        ctx: Option<&PathBuf>,
        siblings: &crate::compose::yaml::Map,
        stack: &mut Vec<(Option<PathBuf>, String)>,
    ) -> Node {
        let Some(ext) = svc.as_map_mut().and_then(|m| m.shift_remove("extends")) else {
            return svc;
        };
        let (base_name, file) = match &ext.value {
            Value::Str(s) => (Some((s.clone(), ext.loc.clone())), None),
            Value::Map(m) => (
                m.get("service")
                    .and_then(|n| n.as_str().map(|s| (s.to_string(), n.loc.clone()))),
                m.get("file")
                    .and_then(|n| n.as_str().map(|s| (s.to_string(), n.loc.clone()))),
            ),
            _ => (None, None),
        };
        let Some((base_name, base_loc)) = base_name else {
            self.diags.push(
                Diagnostic::new("compose/shape", format!("service `{name}`: `extends` needs a `service`"))
                    .at(ext.loc.to_diag())
                    .hint("write `extends: {service: NAME}` or `extends: {file: other.yml, service: NAME}`"),
            );
            return svc;
        };
        let file_siblings: Arc<yaml::Map>;
        let (base_ctx, base_siblings): (Option<PathBuf>, &yaml::Map) = match file {
            None => (ctx.cloned(), siblings),
            Some((f, floc)) => {
                let declaring = self
                    .sources
                    .get(&floc.file)
                    .and_then(|p| p.parent().map(Path::to_path_buf))
                    .unwrap_or_default();
                let path = normalize(&declaring.join(&f));
                if !path.is_file() {
                    self.diags.push(
                        Diagnostic::new(
                            "compose/extends-missing-file",
                            format!("service `{name}` extends a file that does not exist: {f}"),
                        )
                        .at(floc.to_diag())
                        .label("no such file")
                        .hint(format!(
                            "`extends.file` is relative to the file that declares it; looked for {}",
                            self.display(&path)
                        )),
                    );
                    return svc;
                }
                let cached = match self.cache.get(&path) {
                    Some(n) => n.clone(),
                    None => {
                        let before = self.sources.len();
                        let n = self.read_compose(&path);
                        if self.sources.len() > before
                            && let Some((k, _)) = self.sources.last()
                        {
                            self.extended_files.insert(k.clone());
                        }
                        let sib = n.as_ref().map(services_of);
                        self.cache.insert(path.clone(), sib.clone());
                        sib
                    }
                };
                let Some(sib) = cached else { return svc };
                file_siblings = sib;
                (Some(path), &*file_siblings)
            }
        };
        let key = (base_ctx.clone(), base_name.clone());
        if stack.contains(&key) {
            let chain: Vec<String> = stack
                .iter()
                .map(|(_, s)| s.clone())
                .chain([base_name.clone()])
                .collect();
            self.diags.push(
                Diagnostic::new(
                    "compose/extends-cycle",
                    format!("`extends` forms a cycle: {}", chain.join(" -> ")),
                )
                .at(base_loc.to_diag())
                .hint("a service cannot extend itself, directly or through others"),
            );
            return svc;
        }
        let Some(base) = base_siblings.get(&base_name).cloned() else {
            let names: Vec<&str> = base_siblings.keys().map(String::as_str).collect();
            self.diags.push(
                Diagnostic::new(
                    "compose/extends-unknown-service",
                    format!("service `{name}` extends `{base_name}`, which is not defined there"),
                )
                .at(base_loc.to_diag())
                .maybe_hint(
                    crate::diag::did_you_mean(&base_name, names.iter().copied())
                        .map(|s| format!("did you mean `{s}`?")),
                ),
            );
            return svc;
        };
        stack.push(key);
        let mut base = self.resolve(&base_name, base, base_ctx.as_ref(), base_siblings, stack);
        stack.pop();
        base.loc = svc.loc.clone();
        let mut path = vec!["services".to_string(), name.to_string()];
        merge::merge(&mut base, svc, &mut path);
        base
    }
}

/// A compose file's `services` mapping (empty when it has none), for the
/// `extends` cache.
fn services_of(node: &Node) -> Arc<yaml::Map> {
    Arc::new(
        node.get("services")
            .and_then(Node::as_map)
            .cloned()
            .unwrap_or_default(),
    )
}

/// Interpolates every string value in place (keys are never interpolated).
fn interpolate_tree(
    node: &mut Node,
    lookup: &dyn Fn(&str) -> Option<String>,
    // `services.app.ports[0]`, grown and cut back in place: only an error
    // reads it, and a String per node was 10% of a 200-service load.
    path: &mut String,
    uses: &mut Vec<(Loc, VarUse)>,
    errors: &mut Vec<(Loc, String)>,
) {
    use std::fmt::Write as _;
    match &mut node.value {
        Value::Str(s) if s.contains('$') => {
            let mut found = Vec::new();
            match interp::interpolate(s, lookup, &mut found) {
                Ok(v) => *s = v,
                Err(e) => {
                    let what = match &e {
                        InterpError::Invalid { .. } => "",
                        InterpError::Required { .. } => "error while interpolating ",
                    };
                    errors.push((node.loc.clone(), format!("{what}{path}: {e}")));
                }
            }
            uses.extend(found.into_iter().map(|u| (node.loc.clone(), u)));
        }
        Value::Seq(items) => {
            let len = path.len();
            for (i, n) in items.iter_mut().enumerate() {
                let _ = write!(path, ".[{i}]");
                interpolate_tree(n, lookup, path, uses, errors);
                path.truncate(len);
            }
        }
        Value::Map(m) => {
            let len = path.len();
            for (k, n) in m.iter_mut() {
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(k);
                interpolate_tree(n, lookup, path, uses, errors);
                path.truncate(len);
            }
        }
        _ => {}
    }
}

/// What each service attribute may be. Checked before interpolation, as
/// compose's schema does (so `${PORT}` strings are fine where numbers go).
const ATTR_TYPES: &[(&str, &[&str], &str)] = &[
    ("image", &["str"], "image: nginx:1.27"),
    ("container_name", &["str"], "container_name: api"),
    ("restart", &["str"], "restart: unless-stopped"),
    ("environment", &["map", "seq"], "environment: {KEY: value}"),
    ("labels", &["map", "seq"], "labels: {com.example.team: api}"),
    ("ports", &["seq"], "ports: [\"127.0.0.1:8080:80\"]"),
    ("expose", &["seq"], "expose: [\"8000\"]"),
    ("volumes", &["seq"], "volumes: [\"./data:/data\"]"),
    ("env_file", &["str", "seq"], "env_file: [.env]"),
    ("depends_on", &["seq", "map"], "depends_on: [db]"),
    (
        "command",
        &["str", "seq", "null"],
        "command: [\"python\", \"app.py\"]",
    ),
    (
        "entrypoint",
        &["str", "seq", "null"],
        "entrypoint: [\"/entrypoint.sh\"]",
    ),
    (
        "healthcheck",
        &["map"],
        "healthcheck: {test: [\"CMD\", \"true\"]}",
    ),
    (
        "build",
        &["str", "map"],
        "build: {context: ., dockerfile: Dockerfile}",
    ),
    (
        "extends",
        &["str", "map"],
        "extends: {file: base.yml, service: app}",
    ),
    ("secrets", &["seq"], "secrets: [db_password]"),
    ("configs", &["seq"], "configs: [nginx_conf]"),
    ("networks", &["seq", "map"], "networks: [backend]"),
    ("deploy", &["map"], "deploy: {replicas: 2}"),
];

fn type_tag(n: &Node) -> &'static str {
    match n.value {
        Value::Map(_) => "map",
        Value::Seq(_) => "seq",
        Value::Null => "null",
        Value::Str(_) => "str",
        _ => "scalar",
    }
}

/// Checks the structure compose requires; pushes a diagnostic per problem.
fn check_shape(root: &Node, diags: &mut Diagnostics) -> bool {
    let before = diags.items.len();
    let shape = |n: &Node, msg: String, hint: &str| {
        Diagnostic::new("compose/shape", msg)
            .at(n.loc.to_diag())
            .hint(hint.to_string())
    };
    let Some(top) = root.as_map() else {
        diags.push(shape(
            root,
            format!(
                "a compose file must be a mapping, found {}",
                root.type_name()
            ),
            "start with `services:`",
        ));
        return false;
    };
    for key in ["volumes", "networks", "secrets", "configs"] {
        if let Some(n) = top.get(key)
            && !matches!(n.value, Value::Map(_) | Value::Null)
        {
            diags.push(shape(
                n,
                format!(
                    "top-level `{key}` must be a mapping, found {}",
                    n.type_name()
                ),
                "write NAME: {…} entries",
            ));
        }
    }
    if let Some(services) = top.get("services") {
        match &services.value {
            Value::Null => {}
            Value::Map(m) => {
                for (name, svc) in m {
                    let Some(attrs) = svc.as_map() else {
                        diags.push(shape(
                            svc,
                            format!(
                                "service `{name}` must be a mapping, found {}",
                                svc.type_name()
                            ),
                            "write the service's attributes (image, environment, …) under its name",
                        ));
                        continue;
                    };
                    for (attr, allowed, example) in ATTR_TYPES {
                        if let Some(v) = attrs.get(*attr)
                            && !allowed.contains(&type_tag(v))
                        {
                            let want = allowed
                                .iter()
                                .map(|t| match *t {
                                    "str" => "a string",
                                    "seq" => "a list",
                                    "map" => "a mapping",
                                    _ => "null",
                                })
                                .collect::<Vec<_>>()
                                .join(" or ");
                            diags.push(shape(
                                v,
                                format!(
                                    "service `{name}`: `{attr}` must be {want}, found {}",
                                    v.type_name()
                                ),
                                &format!("for example `{example}`"),
                            ));
                        }
                    }
                }
            }
            _ => diags.push(shape(
                services,
                format!(
                    "`services` must be a mapping, found {}",
                    services.type_name()
                ),
                "write `services:` followed by NAME: {…} entries",
            )),
        }
    }
    diags.items.len() == before
}

#[cfg(test)]
mod tests {
    use super::*;

    fn project(files: &[(&str, &str)], env: &str) -> Result<Project, Diagnostics> {
        let dir = tempfile::tempdir().unwrap();
        let mut paths = Vec::new();
        for (name, text) in files {
            let p = dir.path().join(name);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(&p, text).unwrap();
            if !name.contains('/') && !name.starts_with("other") {
                paths.push(p);
            }
        }
        std::fs::write(dir.path().join(".env"), env).unwrap();
        let r = load(&LoadOptions {
            files: paths,
            display_base: Some(dir.path().to_path_buf()),
            ..Default::default()
        });
        drop(dir);
        r
    }

    #[test]
    fn overlays_merge_and_interpolate_from_dot_env() {
        let p = project(
            &[
                (
                    "a.yml",
                    "services:\n  app:\n    image: app:${TAG}\n    environment: [A=1]\n",
                ),
                (
                    "b.yml",
                    "services:\n  app:\n    environment:\n      B: ${B:-two}\n",
                ),
            ],
            "TAG=1.2\n",
        )
        .unwrap();
        let app = p.service("app").unwrap().to_json();
        assert_eq!(app["image"], "app:1.2");
        assert_eq!(
            app["environment"],
            serde_json::json!({"A": "1", "B": "two"})
        );
        let b = p
            .service("app")
            .unwrap()
            .get("environment")
            .unwrap()
            .get("B")
            .unwrap();
        assert_eq!((&*b.loc.file, b.loc.line), ("b.yml", 4));
    }

    #[test]
    fn extends_from_another_file_resolves_relative_to_the_declaring_file() {
        let p = project(
            &[
                ("a.yml", "services:\n  web:\n    extends:\n      file: sub/base.yml\n      service: base\n    image: web:2\n"),
                ("sub/base.yml", "services:\n  base:\n    extends: root\n    environment: {X: '1'}\n  root:\n    restart: always\n    image: base:1\n"),
            ],
            "",
        )
        .unwrap();
        let web = p.service("web").unwrap().to_json();
        assert_eq!(web["image"], "web:2");
        assert_eq!(web["restart"], "always");
        assert_eq!(web["environment"]["X"], "1");
        assert!(web.get("extends").is_none());
        let env = p.service("web").unwrap().get("environment").unwrap();
        assert!(p.extended_files.contains(&env.loc.file));
    }

    #[test]
    fn a_file_given_with_f_and_extended_is_read_once() {
        let p = project(
            &[
                ("a.yml", "services:\n  base:\n    image: ${IMG:?need IMG}\n"),
                (
                    "b.yml",
                    "services:\n  web:\n    extends: {file: a.yml, service: base}\n",
                ),
            ],
            "",
        )
        .unwrap();
        assert_eq!(p.interp_errors.len(), 1, "{:?}", p.interp_errors);
        assert_eq!(p.var_uses.len(), 1);
        assert!(p.extended_files.is_empty());
    }

    #[test]
    fn extends_cycles_are_diagnosed_at_the_reference() {
        let d = project(
            &[(
                "a.yml",
                "services:\n  a:\n    extends: b\n  b:\n    extends: a\n",
            )],
            "",
        )
        .unwrap_err();
        assert_eq!(d.items[0].code, "compose/extends-cycle", "{:?}", d.items);
        assert!(d.items[0].location.is_some());
    }

    #[test]
    fn missing_extended_file_is_diagnosed() {
        let d = project(
            &[(
                "a.yml",
                "services:\n  a:\n    extends: {file: nope.yml, service: x}\n",
            )],
            "",
        )
        .unwrap_err();
        assert_eq!(d.items[0].code, "compose/extends-missing-file");
        assert_eq!(d.items[0].location.as_ref().unwrap().line, 3);
    }

    #[test]
    fn wrong_types_are_diagnosed_with_a_hint() {
        let d = project(&[("a.yml", "services:\n  a:\n    ports: \"80:80\"\n")], "").unwrap_err();
        assert_eq!(d.items[0].code, "compose/shape");
        assert!(
            d.items[0].message.contains("`ports` must be a list"),
            "{:?}",
            d.items
        );
        assert_eq!(d.items[0].location.as_ref().unwrap().line, 3);
    }

    #[test]
    fn required_variable_errors_are_recorded_not_fatal() {
        let p = project(
            &[("a.yml", "services:\n  a:\n    image: ${IMG:?set IMG}\n")],
            "",
        )
        .unwrap();
        assert_eq!(p.interp_errors.len(), 1);
        assert!(
            p.interp_errors[0]
                .1
                .contains("required variable IMG is missing a value: set IMG")
        );
        assert_eq!(p.interp_errors[0].0.line, 3);
    }
}
