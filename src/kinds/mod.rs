//! Check kinds: the [`CheckKind`] contract and the registry of every kind.
//!
//! A kind is one file in this folder: a spec struct that serde deserializes
//! from the check's own fields (`deny_unknown_fields`, so misspelt fields are
//! caught at load time), docs in fixed sections, and an async `run` that returns
//! an [`Outcome`]. Kinds never print, never exit and never read the catalogue;
//! they see a [`RunContext`]. Adding a kind is one new file plus one line in
//! [`REGISTRY`].

use std::collections::HashMap;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use indexmap::IndexMap;
use serde::de::DeserializeOwned;

use crate::redact::Redactor;
pub(crate) use crate::report::codes::Code;
use crate::report::{Finding, Status};
pub(crate) use target::Target;

pub(crate) mod command;
pub(crate) mod compose;
pub(crate) mod compose_env;
pub(crate) mod docker;
pub(crate) mod docker_api;
pub(crate) mod env_file;
pub(crate) mod file;
pub(crate) mod http;
pub(crate) mod http_client;
pub(crate) mod latency;
pub(crate) mod manual;
pub(crate) mod postgres;
pub(crate) mod project;
pub(crate) mod redis;
pub(crate) mod scan;
pub(crate) mod security_headers;
pub(crate) mod spec;
pub(crate) mod swarm;
pub(crate) mod target;
pub(crate) mod tcp;
pub(crate) mod tls;
pub(crate) mod vault;
pub(crate) mod websocket;

/// Every kind readyctl knows, one line each, in the order `readyctl list-kinds` shows them.
pub(crate) static REGISTRY: &[KindEntry] = &[
    entry::<file::FileCheck>(),
    entry::<env_file::EnvFileCheck>(),
    entry::<tcp::TcpCheck>(),
    entry::<scan::ScanCheck>(),
    entry::<command::CommandCheck>(),
    entry::<compose::ComposeCheck>(),
    entry::<compose_env::ComposeEnvCheck>(),
    entry::<postgres::PostgresCheck>(),
    entry::<redis::RedisCheck>(),
    entry::<vault::VaultCheck>(),
    entry::<docker::DockerCheck>(),
    entry::<swarm::SwarmCheck>(),
    entry::<http::HttpCheck>(),
    entry::<security_headers::SecurityHeadersCheck>(),
    entry::<tls::TlsCheck>(),
    entry::<latency::LatencyCheck>(),
    entry::<websocket::WebsocketCheck>(),
    entry::<manual::ManualCheck>(),
];

/// Looks a kind up by the name a catalogue uses.
pub(crate) fn lookup(name: &str) -> Option<&'static KindEntry> {
    REGISTRY.iter().find(|k| k.name == name)
}

/// A problem a kind finds in its own spec before anything runs (an invalid
/// regex, contradictory fields). `field` names the offending field so the
/// loader can point at it.
#[derive(Debug, Clone)]
pub(crate) struct SpecProblem {
    /// The field the problem is about, as written in the catalogue.
    pub field: &'static str,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub hint: Option<String>,
}

impl SpecProblem {
    /// A problem with `field`.
    pub(crate) fn new(field: &'static str, message: impl Into<String>) -> Self {
        SpecProblem {
            field,
            message: message.into(),
            hint: None,
        }
    }

    /// Adds a hint.
    pub(crate) fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

/// What a check kind is: its name, docs, spec and behaviour.
///
/// `DOCS` is Markdown with the sections *What it checks*, *Why it matters*,
/// *Example*, *Fields* and *Findings*; `readyctl explain KIND` prints it.
pub(crate) trait CheckKind: DeserializeOwned + Send + Sync + 'static {
    /// The `kind:` value in catalogues.
    const NAME: &'static str;
    /// One line for `readyctl kinds`.
    const SUMMARY: &'static str;
    /// Full docs (Markdown). The "Finding codes" table is generated from
    /// [`CheckKind::CODES`] and placed under the `## Findings` heading.
    const DOCS: &'static str;
    /// Every finding code the kind emits (see [`crate::report::codes`]).
    const CODES: &'static [Code] = &[];
    /// True when `run` touches nothing but the local file system, through
    /// [`crate::support::fs`] and [`crate::support::offload`] (no sockets,
    /// timers or child processes). The runner then runs such checks in
    /// batches on one blocking thread each, the offloads in place, and
    /// watches each check's timeout from outside (see `runner`).
    const FILES_ONLY: bool = false;

    /// Checks the spec itself, after deserialisation and before anything runs.
    fn validate(&self) -> Vec<SpecProblem> {
        Vec::new()
    }

    /// Names of the catalogue targets this check uses, so the loader can
    /// report unknown ones.
    fn targets(&self) -> Vec<&str> {
        Vec::new()
    }

    /// Values in the spec that are secrets (e.g. a password field) and must be
    /// masked in every output.
    fn secrets(&self) -> Vec<String> {
        Vec::new()
    }

    /// JSON Schema of the kind's own fields, for `readyctl schema` and
    /// editors. `None` (the default) lets the catalogue schema accept any
    /// fields for this kind; kinds that derive `schemars::JsonSchema` return
    /// `Some(spec_schema::<Self>())`.
    fn schema() -> Option<schemars::Schema> {
        None
    }

    /// Runs the check. Must not print; must return within a reasonable time
    /// (the runner also enforces the check's timeout from outside).
    fn run(&self, cx: &RunContext) -> impl Future<Output = Outcome> + Send;
}

/// A boxed future returned by [`DynCheck::run`].
pub(crate) type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The object-safe face of a [`CheckKind`], used by the runner.
pub(crate) trait DynCheck: Send + Sync {
    /// Runs the check.
    fn run<'a>(&'a self, cx: &'a RunContext) -> BoxFuture<'a, Outcome>;
    /// See [`CheckKind::secrets`].
    fn secrets(&self) -> Vec<String>;
    /// See [`CheckKind::targets`].
    fn targets(&self) -> Vec<String>;
    /// See [`CheckKind::FILES_ONLY`].
    fn files_only(&self) -> bool {
        false
    }
}

impl<T: CheckKind> DynCheck for T {
    fn run<'a>(&'a self, cx: &'a RunContext) -> BoxFuture<'a, Outcome> {
        Box::pin(CheckKind::run(self, cx))
    }
    fn secrets(&self) -> Vec<String> {
        CheckKind::secrets(self)
    }
    fn targets(&self) -> Vec<String> {
        CheckKind::targets(self)
            .into_iter()
            .map(str::to_owned)
            .collect()
    }
    fn files_only(&self) -> bool {
        T::FILES_ONLY
    }
}

/// Why parsing a kind's spec failed.
pub(crate) enum ParseError {
    /// serde could not deserialize the fields (with the node's position).
    Serde(marked_yaml::FromNodeError),
    /// The spec deserialized but [`CheckKind::validate`] found problems.
    Invalid(Vec<SpecProblem>),
}

/// One registry line: a kind's name, docs and constructor.
pub(crate) struct KindEntry {
    /// The `kind:` value.
    pub name: &'static str,
    /// One-line summary.
    pub summary: &'static str,
    /// Markdown docs as the kind wrote them (see [`KindEntry::full_docs`]).
    pub docs: &'static str,
    /// The finding codes the kind declares.
    pub codes: &'static [Code],
    /// Builds a check from the node holding the kind's own fields.
    pub parse: fn(&marked_yaml::Node) -> Result<Box<dyn DynCheck>, ParseError>,
    /// JSON Schema of the kind's own fields, when the kind has one.
    pub schema: fn() -> Option<schemars::Schema>,
}

impl KindEntry {
    /// The kind's docs with the generated "Finding codes" table at the end
    /// of the `## Findings` section (what `readyctl explain KIND` prints and
    /// `docs/kinds/KIND.md` holds).
    pub(crate) fn full_docs(&self) -> String {
        let table = crate::report::codes::table(self.codes);
        if table.is_empty() {
            return self.docs.to_string();
        }
        // At the end of the `## Findings` section, after the kind's own
        // prose about its findings.
        match self.docs.find("## Findings\n") {
            Some(at) => {
                let body = at + "## Findings\n".len();
                let end = self.docs[body..]
                    .find("\n## ")
                    .map(|i| body + i + 1)
                    .unwrap_or(self.docs.len());
                let (head, tail) = self.docs.split_at(end);
                let gap = if tail.is_empty() { "" } else { "\n" };
                format!("{}\n\n{table}{gap}{tail}", head.trim_end())
            }
            None => format!("{}\n## Findings\n\n{table}", self.docs),
        }
    }

    /// The declared code `code`, if this kind declares it.
    pub(crate) fn code(&self, code: &str) -> Option<&'static Code> {
        self.codes.iter().find(|c| c.code == code)
    }
}

/// Every declared finding code of every kind, with its kind.
pub(crate) fn all_codes() -> impl Iterator<Item = (&'static KindEntry, &'static Code)> {
    REGISTRY
        .iter()
        .flat_map(|k| k.codes.iter().map(move |c| (k, c)))
}

/// Looks a finding code up across every kind.
pub(crate) fn lookup_code(code: &str) -> Option<(&'static KindEntry, &'static Code)> {
    all_codes().find(|(_, c)| c.code == code)
}

/// Makes the registry line for `T`.
pub(crate) const fn entry<T: CheckKind>() -> KindEntry {
    KindEntry {
        name: T::NAME,
        summary: T::SUMMARY,
        docs: T::DOCS,
        codes: T::CODES,
        parse: parse_spec::<T>,
        schema: T::schema,
    }
}

/// The JSON Schema of a spec struct with every subschema inlined, so it can
/// be embedded in the catalogue schema as is.
pub(crate) fn spec_schema<T: schemars::JsonSchema>() -> schemars::Schema {
    schemars::generate::SchemaSettings::draft2020_12()
        .with(|s| s.inline_subschemas = true)
        .into_generator()
        .into_root_schema_for::<T>()
}

/// Schema stand-in for a `String` spec field that users may write as any YAML
/// scalar: the loader reads `200`, `0.01` or `true` into a string, so the
/// schema must accept them too. Use as `#[schemars(with = "Scalar")]` (or
/// `Option<Scalar>`, `IndexMap<String, Scalar>`).
pub(crate) struct Scalar;

impl schemars::JsonSchema for Scalar {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Scalar".into()
    }

    fn inline_schema() -> bool {
        true
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "type": ["string", "number", "boolean"] })
    }
}

fn parse_spec<T: CheckKind>(node: &marked_yaml::Node) -> Result<Box<dyn DynCheck>, ParseError> {
    let spec: T = marked_yaml::from_node(node).map_err(ParseError::Serde)?;
    let problems = spec.validate();
    if problems.is_empty() {
        Ok(Box::new(spec))
    } else {
        Err(ParseError::Invalid(problems))
    }
}

/// What a check returns: a verdict, a reason and its findings.
#[derive(Debug, Clone, Default)]
pub(crate) struct Outcome {
    /// The verdict. [`Status::Skip`] and [`Status::Cancelled`] are for the runner.
    pub status: Option<Status>,
    /// One-line summary; for anything but pass, the reason.
    pub message: String,
    /// Individual findings.
    pub findings: Vec<Finding>,
    /// Measured numbers (e.g. `p95_ms`).
    pub metrics: IndexMap<String, f64>,
    /// Values this check captured for checks that depend on it (name → value).
    /// Captured values are treated as secrets.
    pub captures: Vec<(String, String)>,
    /// How many findings there were when the kind kept only the first
    /// `findings.len()` (a cap); `None` when nothing was dropped. The runner
    /// turns it into the result's `truncated`.
    pub findings_total: Option<usize>,
    /// A security-header grade, copied into the report as is.
    pub grading: Option<crate::report::Grading>,
}

impl Outcome {
    /// A passing outcome.
    pub(crate) fn pass(message: impl Into<String>) -> Self {
        Outcome::with(Status::Pass, message)
    }

    /// A failing outcome.
    pub(crate) fn fail(message: impl Into<String>) -> Self {
        Outcome::with(Status::Fail, message)
    }

    /// A passing outcome that deserves attention.
    pub(crate) fn warn(message: impl Into<String>) -> Self {
        Outcome::with(Status::Warn, message)
    }

    /// The check could not be evaluated.
    pub(crate) fn error(message: impl Into<String>) -> Self {
        Outcome::with(Status::Error, message)
    }

    fn with(status: Status, message: impl Into<String>) -> Self {
        Outcome {
            status: Some(status),
            message: message.into(),
            ..Outcome::default()
        }
    }

    /// The verdict of `findings` by the one status rule,
    /// [`crate::report::codes::status_of`]: each finding counts at its
    /// level (its own grade, else the level its code has in `declared`, the
    /// kind's `CODES`). Passing, the message is `ok` and the (info)
    /// findings stay; otherwise the message counts the findings and quotes
    /// the first one at the deciding level.
    pub(crate) fn judged(findings: Vec<Finding>, declared: &[Code], ok: impl Into<String>) -> Self {
        use crate::report::codes::{level_of, status_of};
        let status = status_of(&findings, declared);
        if status == Status::Pass {
            return Outcome::pass(ok).with_findings(findings);
        }
        let deciding = |f: &&Finding| {
            let level = level_of(f, declared);
            if status == Status::Fail {
                level.fails()
            } else {
                level == crate::report::codes::Level::Warn
            }
        };
        let first = findings
            .iter()
            .find(deciding)
            .map_or_else(String::new, |f| f.message.clone());
        let message = match findings.len() {
            1 => first,
            n => format!("{n} problems; first: {first}"),
        };
        Outcome {
            findings,
            ..Outcome::with(status, message)
        }
    }

    /// Adds findings.
    pub(crate) fn with_findings(mut self, findings: Vec<Finding>) -> Self {
        self.findings.extend(findings);
        self
    }

    /// Adds a metric.
    pub(crate) fn metric(mut self, name: impl Into<String>, value: f64) -> Self {
        self.metrics.insert(name.into(), value);
        self
    }

    /// The verdict, defaulting to error when a kind forgot to set one.
    pub(crate) fn status(&self) -> Status {
        self.status.unwrap_or(Status::Error)
    }
}

/// What a running check may see: where the deployment is, the catalogue's
/// targets, values captured by its dependencies, and its timeout.
#[derive(Clone)]
pub(crate) struct RunContext {
    /// The id of the check being run (for kinds whose records are keyed by it).
    pub check_id: String,
    /// The deployment root; relative paths in specs resolve against it.
    pub root: PathBuf,
    /// Named connection settings from the catalogue.
    pub targets: Arc<IndexMap<String, Target>>,
    /// Values captured by earlier checks (shared across the run).
    pub captures: Arc<RwLock<HashMap<String, String>>>,
    /// This check's timeout. Kinds use it to bound their own connection
    /// attempts so they can report *what* timed out.
    pub timeout: Duration,
    /// Masks secrets; kinds may register values they read from secret stores.
    pub redactor: Arc<Redactor>,
    /// Compose projects loaded in this run, shared by every check that reads
    /// the same (files, env files, process env): the bundled catalogue's four
    /// compose-reading checks loaded one project four times (28% of its run).
    /// Per run, so `serve` sees edited files on its next run.
    pub compose_projects: Arc<ProjectCache>,
    /// Values a kind reads once per run and shares across its checks
    /// (see [`RunMemo`]). Per run, like `compose_projects`.
    pub memo: Arc<RunMemo>,
}

/// What a kind computed once in this run, by (kind name, path): the
/// `manual` kind's parsed attestation file. One async cell per key: checks
/// that ask at once wait for one read instead of each doing it.
#[derive(Default)]
pub(crate) struct RunMemo(Mutex<HashMap<(&'static str, PathBuf), Arc<MemoCell>>>);

/// One [`RunMemo`] entry; the kind that fills it downcasts the value.
pub(crate) type MemoCell = tokio::sync::OnceCell<Arc<dyn std::any::Any + Send + Sync>>;

impl RunMemo {
    /// The cell for a key, created empty on first use.
    pub(crate) fn slot(&self, kind: &'static str, key: PathBuf) -> Arc<MemoCell> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry((kind, key))
            .or_default()
            .clone()
    }
}

/// What [`project::load_project`] made of one (files, env files, process env).
pub(crate) type LoadedProject = Result<Arc<crate::compose::Project>, Box<Outcome>>;

/// The run's loaded compose projects (see [`RunContext::compose_projects`]).
/// One `OnceLock` per key: checks that ask at once wait for one load instead
/// of each doing it.
#[derive(Default)]
pub(crate) struct ProjectCache(Mutex<HashMap<ProjectKey, Arc<std::sync::OnceLock<LoadedProject>>>>);

/// (compose files, env files, process env) of a compose-reading check,
/// paths resolved against the root.
pub(crate) type ProjectKey = (Vec<PathBuf>, Vec<PathBuf>, bool);

impl ProjectCache {
    /// The slot for a key, created empty on first use.
    pub(crate) fn slot(&self, key: ProjectKey) -> Arc<std::sync::OnceLock<LoadedProject>> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(key)
            .or_default()
            .clone()
    }
}

impl RunContext {
    /// A context rooted at `root` with no targets, for tests and one-off runs.
    #[cfg(test)]
    pub(crate) fn for_root(root: impl Into<PathBuf>) -> Self {
        RunContext {
            check_id: String::new(),
            root: root.into(),
            targets: Arc::new(IndexMap::new()),
            captures: Arc::default(),
            timeout: Duration::from_secs(10),
            redactor: Arc::new(Redactor::default()),
            compose_projects: Arc::default(),
            memo: Arc::default(),
        }
    }

    /// Resolves a path from a spec against the deployment root.
    pub(crate) fn path(&self, p: &Path) -> PathBuf {
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            self.root.join(p)
        }
    }

    /// How a path is shown in findings: relative to the root when inside it.
    pub(crate) fn display_path(&self, p: &Path) -> String {
        let full = self.path(p);
        full.strip_prefix(&self.root)
            .unwrap_or(&full)
            .display()
            .to_string()
    }

    /// Looks up a named target.
    pub(crate) fn target(&self, name: &str) -> Result<&Target, String> {
        self.targets
            .get(name)
            .ok_or_else(|| format!("unknown target `{name}`"))
    }

    /// Runs `f` — a kind's file-reading, blocking part (a parser over
    /// `redis.conf`, policy HCL, init SQL) — off the async workers, within
    /// this check's timeout: a hung file system costs the check, never a
    /// worker or the runner's deadline.
    pub(crate) async fn offload<F>(&self, what: &str, f: F) -> Outcome
    where
        F: FnOnce(&RunContext) -> Outcome + Send + 'static,
    {
        let cx = self.clone();
        crate::support::offload::run(self.timeout, move || f(&cx))
            .await
            .unwrap_or_else(|t| {
                Outcome::error(format!(
                    "{what} not read within {}",
                    humantime::format_duration(t.0)
                ))
            })
    }

    /// Replaces `${name}` with values captured by dependencies. Unknown names
    /// are left as written so the failure shows what was missing.
    pub(crate) fn expand(&self, s: &str) -> String {
        if !s.contains("${") {
            return s.to_string();
        }
        let captures = self.captures.read().unwrap_or_else(|e| e.into_inner());
        let mut out = String::with_capacity(s.len());
        let mut rest = s;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            match after.find('}') {
                Some(end) => {
                    let name = &after[..end];
                    match captures.get(name) {
                        Some(v) => out.push_str(v),
                        None => out.push_str(&rest[start..start + 2 + end + 1]),
                    }
                    rest = &after[end + 1..];
                }
                None => {
                    out.push_str(&rest[start..]);
                    rest = "";
                }
            }
        }
        out.push_str(rest);
        out
    }
}

/// Deserializes a duration written as `10s`, `250ms`, `1m 30s`.
pub(crate) fn de_duration<'de, D>(d: D) -> Result<Duration, D::Error>
where
    D: serde::Deserializer<'de>,
{
    let s: String = serde::Deserialize::deserialize(d)?;
    crate::domain::units::parse_duration_within(&s, crate::domain::units::MAX_DURATION).map_err(
        |e| {
            serde::de::Error::custom(format!(
                "invalid duration `{s}`: {e} (write e.g. `10s`, `500ms`, `2m`)"
            ))
        },
    )
}

/// Like [`de_duration`] for optional fields.
pub(crate) fn de_opt_duration<'de, D>(d: D) -> Result<Option<Duration>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    de_duration(d).map(Some)
}

/// Checks a regex from a spec field, as a [`SpecProblem`] when it is invalid.
///
/// Validation parses the pattern (what `regex` does first, with its default
/// options, so the message is the one compiling gives) and leaves compiling
/// to the run, once per distinct pattern ([`regex_cached`]): compiling a
/// pattern costs ~580k instructions, and the bundled catalogue spent 33% of
/// its files-only run compiling patterns to validate them, many again with
/// the other multi-line flag at run time, some for checks the run skipped.
/// Only a pattern that might pass the compiled-size limit is compiled here,
/// so that limit stays a located error at load time.
pub(crate) fn check_regex(field: &'static str, pattern: &str) -> Option<SpecProblem> {
    let error = match regex_syntax::ParserBuilder::new().build().parse(pattern) {
        Err(e) => Some(e.to_string()),
        Ok(hir) if might_be_large(pattern, &hir) => {
            // Multi-line is what the kinds that search file contents compile
            // at run time, so they find it cached.
            regex_cached(pattern, true).err().map(|e| e.to_string())
        }
        Ok(_) => None,
    };
    error.map(|e| {
        SpecProblem::new(field, format!("invalid regex `{pattern}`: {e}"))
            .hint("regexes use Rust `regex` syntax; escape `.`, `(`, `[` to match them literally")
    })
}

/// Whether a parsed pattern might compile past `regex`'s size limit (10 MiB
/// of program): only long patterns and counted repetitions (`x{100}`,
/// nested `(a{9}){9}`) multiply their size; a short pattern of classes,
/// alternations and `*`/`+`/`?` stays far below it.
fn might_be_large(pattern: &str, hir: &regex_syntax::hir::Hir) -> bool {
    use regex_syntax::hir::HirKind;
    /// Longest pattern validated by parsing alone.
    const LONG: usize = 256;
    /// Largest counted repetition validated by parsing alone.
    const COUNT: u32 = 8;
    fn counted(h: &regex_syntax::hir::Hir) -> bool {
        match h.kind() {
            HirKind::Repetition(r) => {
                r.min > COUNT || r.max.is_some_and(|m| m > COUNT) || counted(&r.sub)
            }
            HirKind::Capture(c) => counted(&c.sub),
            HirKind::Concat(hs) | HirKind::Alternation(hs) => hs.iter().any(counted),
            _ => false,
        }
    }
    pattern.len() > LONG || counted(hir)
}

pub(crate) use crate::support::regex::cached as regex_cached;

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn regex_cache_honours_the_multi_line_flag_and_refuses_bad_patterns() {
        let ml = regex_cached("^b$", true).unwrap();
        let sl = regex_cached("^b$", false).unwrap();
        assert!(ml.is_match("a\nb\nc"));
        assert!(!sl.is_match("a\nb\nc"));
        assert!(regex_cached("^b$", true).unwrap().is_match("a\nb"));
        assert!(regex_cached("(", true).is_err());
        assert!(check_regex("contains", "(").is_some());
        assert!(check_regex("contains", "^#!").is_none());
    }

    /// The message of a pattern refused by parsing alone is the one
    /// compiling it gives, and a pattern only the compiled-size limit
    /// refuses is still refused at load time.
    #[test]
    fn regex_validation_matches_what_compiling_says() {
        for bad in [
            "(",
            "a{2,1}",
            "[z-a]",
            "(?P<n>a)(?P<n>b)",
            r"\p{Nope}",
            "(?<!a)b",
        ] {
            let compiled = regex::Regex::new(bad).unwrap_err().to_string();
            let p = check_regex("contains", bad).expect(bad);
            assert_eq!(p.message, format!("invalid regex `{bad}`: {compiled}"));
        }
        let huge = r"(\w{50}){50}";
        assert!(
            regex::Regex::new(huge).is_err(),
            "the size limit refuses it"
        );
        assert!(check_regex("contains", huge).is_some());
        for good in ["^#!", r"(?i)password\s*=", "a{3}", r"^\d+\.\d+$"] {
            assert!(check_regex("contains", good).is_none(), "{good}");
        }
    }

    #[test]
    fn registry_names_are_unique() {
        let mut seen = HashSet::new();
        for k in REGISTRY {
            assert!(seen.insert(k.name), "duplicate kind {}", k.name);
        }
    }

    /// Every `.rs` file under `dir`, with its text.
    fn sources(dir: &std::path::Path, out: &mut Vec<(std::path::PathBuf, String)>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                sources(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push((p.clone(), std::fs::read_to_string(&p).unwrap()));
            }
        }
    }

    /// The findings contract, proven on the source: codes are unique and
    /// well formed, every `"kind/what"` literal the kinds write is a code
    /// its kind declares, every declared code is written somewhere besides
    /// its declaration (or, for codes built at run time such as
    /// `security_headers/<test>`, its suffix is), and every code is in the
    /// kind's docs.
    #[test]
    fn finding_codes_are_declared_unique_emitted_and_documented() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut files = Vec::new();
        sources(&root.join("kinds"), &mut files);
        sources(&root.join("domain"), &mut files);
        let all: String = files.iter().map(|(_, t)| t.as_str()).collect();
        let mut seen = HashSet::new();
        for (k, c) in all_codes() {
            assert!(seen.insert(c.code), "duplicate finding code {}", c.code);
            assert_eq!(
                c.kind(),
                k.name,
                "{} is declared by kind {}",
                c.code,
                k.name
            );
            let what = &c.code[k.name.len() + 1..];
            assert!(
                !what.is_empty()
                    && what
                        .chars()
                        .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '-'),
                "{}: a code is `kind/lower-case-words`",
                c.code
            );
            let uses = all.matches(&format!("\"{}\"", c.code)).count();
            let suffix = all.contains(&format!("\"{what}\""));
            assert!(
                uses >= 2 || suffix,
                "{} is declared but no finding carries it",
                c.code
            );
            assert!(
                k.full_docs().contains(&format!("`{}`", c.code)),
                "{} is not in the docs of kind {}",
                c.code,
                k.name
            );
        }
        for (path, text) in &files {
            for k in REGISTRY {
                let prefix = format!("\"{}/", k.name);
                for (at, _) in text.match_indices(&prefix) {
                    let rest = &text[at + 1..];
                    let Some(end) = rest.find('"') else { continue };
                    let lit = &rest[..end];
                    let what = &lit[k.name.len() + 1..];
                    // Paths (`compose/…` in a fixture name) and prefixes
                    // (`starts_with("compose/stack")`) are not codes.
                    if text[..at].ends_with("starts_with(")
                        || what.is_empty()
                        || !what
                            .chars()
                            .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '-')
                    {
                        continue;
                    }
                    assert!(
                        k.code(lit).is_some(),
                        "{}: `{lit}` is not a code kind {} declares",
                        path.display(),
                        k.name
                    );
                }
            }
        }
    }

    #[test]
    fn every_kind_documents_the_fixed_sections() {
        for k in REGISTRY {
            for section in [
                "## What it checks",
                "## Example",
                "## Fields",
                "## Findings",
            ] {
                assert!(
                    k.docs.contains(section),
                    "kind {} lacks `{section}`",
                    k.name
                );
            }
        }
    }

    #[test]
    fn every_kind_example_parses() {
        // The example in each kind's docs is a catalogue snippet; it must load.
        for k in REGISTRY {
            let example = crate::catalogue::docs_example(k.docs)
                .unwrap_or_else(|| panic!("kind {} has no ```yaml example", k.name));
            let cat = crate::catalogue::load_str("example.yml", &example);
            assert!(
                cat.is_ok(),
                "example of kind {} does not load: {:?}",
                k.name,
                cat.err()
            );
        }
    }

    /// `docs/kinds/NAME.md` is generated from each kind's DOCS so the README can
    /// link to it; a stale copy fails here. Regenerate with
    /// `UPDATE_DOCS=1 cargo test --lib kind_docs`.
    #[test]
    fn kind_docs_in_docs_folder_are_current() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/kinds");
        let update = std::env::var_os("UPDATE_DOCS").is_some();
        let mut index = String::from(
            "# Check kinds\n\nGenerated from the registry (`readyctl kinds`, `readyctl explain KIND`).\n\n| kind | what it checks |\n|---|---|\n",
        );
        for k in REGISTRY {
            index.push_str(&format!(
                "| [`{}`]({}.md) | {} |\n",
                k.name, k.name, k.summary
            ));
        }
        let mut files: Vec<(String, String)> = REGISTRY
            .iter()
            .map(|k| (format!("{}.md", k.name), k.full_docs()))
            .collect();
        files.push(("README.md".to_string(), index));
        for (name, text) in files {
            let path = dir.join(&name);
            if update {
                std::fs::create_dir_all(&dir).unwrap();
                std::fs::write(&path, &text).unwrap();
            }
            let committed = std::fs::read_to_string(&path).unwrap_or_default();
            assert_eq!(
                committed, text,
                "docs/kinds/{name} is stale: run UPDATE_DOCS=1 cargo test --lib kind_docs"
            );
        }
    }

    #[test]
    fn expand_replaces_known_captures_and_keeps_unknown() {
        let cx = RunContext::for_root("/");
        cx.captures
            .write()
            .unwrap()
            .insert("token".into(), "abc".into());
        assert_eq!(cx.expand("Bearer ${token}"), "Bearer abc");
        assert_eq!(cx.expand("x ${nope} y"), "x ${nope} y");
        assert_eq!(cx.expand("${unterminated"), "${unterminated");
    }
}
