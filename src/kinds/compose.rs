//! `compose`: lint a compose project (after merge, `extends` and
//! interpolation, exactly as docker compose reads it) with rules that each
//! have a stable code and can be turned off per check.
//!
//! The model comes from [`crate::compose`]; Dockerfiles from
//! [`crate::domain::dockerfile`]. Findings point at the file, line and column
//! of the offending value, in whichever file (base, overlay or extended) set it.

use std::collections::HashSet;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::{CheckKind, Outcome, RunContext, SpecProblem};
use crate::compose::interp::Op;
use crate::compose::merge::{PortSpec, parse_port};
use crate::compose::yaml::{Loc, Node, Value};
use crate::compose::{LoadOptions, Project};
use crate::domain::dockerfile::Dockerfile;
use crate::report::Finding;

/// One lint rule: a stable code, a name and what it finds.
pub struct Rule {
    /// Stable code; published codes never change.
    pub code: &'static str,
    /// Short name.
    pub name: &'static str,
    /// What it finds, one line.
    pub summary: &'static str,
}

/// Every rule, in the order findings are reported.
pub const RULES: &[Rule] = &[
    Rule {
        code: "compose/missing-path",
        name: "missing local path",
        summary: "a bind-mount source, env_file, build context, Dockerfile or configs/secrets file does not exist",
    },
    Rule {
        code: "compose/dockerfile-missing-source",
        name: "Dockerfile source missing",
        summary: "a COPY/ADD source is not in the build context",
    },
    Rule {
        code: "compose/entrypoint-missing",
        name: "entrypoint script missing",
        summary: "the script an ENTRYPOINT/CMD runs is not in the build context",
    },
    Rule {
        code: "compose/entrypoint-not-executable",
        name: "entrypoint not executable",
        summary: "the script an ENTRYPOINT/CMD runs lacks an execute bit and nothing sets one",
    },
    Rule {
        code: "compose/interpolation-error",
        name: "interpolation error",
        summary: "a `${VAR:?msg}` has no value, or a `$` starts no valid reference",
    },
    Rule {
        code: "compose/unset-variable",
        name: "unset variable",
        summary: "a variable is used with no value and no default (compose substitutes an empty string)",
    },
    Rule {
        code: "compose/secret-default",
        name: "secret with inline default",
        summary: "a secret-looking variable has a default written in the compose file",
    },
    Rule {
        code: "compose/unknown-dependency",
        name: "unknown dependency",
        summary: "depends_on names a service that does not exist",
    },
    Rule {
        code: "compose/unhealthy-dependency",
        name: "dependency without healthcheck",
        summary: "condition: service_healthy on a service with no healthcheck",
    },
    Rule {
        code: "compose/image-latest",
        name: "floating image tag",
        summary: "an image uses `latest` or no tag",
    },
    Rule {
        code: "compose/no-restart",
        name: "no restart policy",
        summary: "a service has no restart policy",
    },
    Rule {
        code: "compose/no-healthcheck",
        name: "no healthcheck",
        summary: "a service has no healthcheck",
    },
    Rule {
        code: "compose/exposed-datastore",
        name: "datastore published on all interfaces",
        summary: "a database, cache or secret-store port is published on 0.0.0.0",
    },
];

/// Container ports of databases, caches, brokers and secret stores.
const DATASTORE_PORTS: &[(&str, &str)] = &[
    ("5432", "PostgreSQL"),
    ("3306", "MySQL/MariaDB"),
    ("1433", "SQL Server"),
    ("27017", "MongoDB"),
    ("6379", "Redis"),
    ("11211", "Memcached"),
    ("9200", "Elasticsearch"),
    ("5672", "RabbitMQ"),
    ("8200", "Vault/OpenBao"),
    ("2379", "etcd"),
];

/// A compose project to lint.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ComposeCheck {
    /// Compose files in `-f` order, relative to the deployment root
    /// (default: found as docker compose finds them, from the root).
    #[serde(default)]
    pub files: Vec<PathBuf>,
    /// Env files for interpolation (default: `.env` beside the first file).
    #[serde(default)]
    pub env_files: Vec<PathBuf>,
    /// Let the process environment override env files, as compose does (default true).
    #[serde(default = "yes")]
    pub process_env: bool,
    /// Only these services (default: all).
    #[serde(default)]
    pub services: Vec<String>,
    /// Rule codes to turn off, e.g. `compose/no-healthcheck`.
    #[serde(default)]
    pub disable: Vec<String>,
}

fn yes() -> bool {
    true
}

/// Loads the project a compose-reading check names; an unloadable project
/// becomes an `error` outcome with one located finding per problem.
pub fn load_project(
    cx: &RunContext,
    files: &[PathBuf],
    env_files: &[PathBuf],
    process_env: bool,
) -> Result<Project, Box<Outcome>> {
    let opts = LoadOptions {
        files: files.iter().map(|f| cx.path(f)).collect(),
        env_files: env_files.iter().map(|f| cx.path(f)).collect(),
        process_env,
        display_base: Some(cx.root.clone()),
        workdir: Some(cx.root.clone()),
        ..Default::default()
    };
    crate::compose::load(&opts).map_err(|d| {
        let findings: Vec<Finding> = d
            .items
            .iter()
            .map(|i| {
                let mut f = Finding::new(i.message.clone()).code(i.code);
                if let Some(l) = &i.location {
                    f = f.at(&l.file, l.line, l.column);
                }
                if let Some(h) = &i.hint {
                    f = f.hint(h.clone());
                }
                f
            })
            .collect();
        let msg = format!(
            "the compose files cannot be loaded: {}",
            findings
                .first()
                .map(|f| f.message.as_str())
                .unwrap_or("unknown problem")
        );
        Box::new(Outcome::error(msg).with_findings(findings))
    })
}

/// A finding at `loc` with a rule code.
pub fn at(loc: &Loc, code: &str, msg: impl Into<String>) -> Finding {
    let f = Finding::new(msg).code(code);
    if loc.line > 0 {
        f.at(loc.file.to_string(), loc.line, loc.column)
    } else if !loc.file.is_empty() {
        f.at_file(loc.file.to_string())
    } else {
        f
    }
}

impl CheckKind for ComposeCheck {
    const NAME: &'static str = "compose";
    const SUMMARY: &'static str = "lint compose files as docker compose reads them (paths, Dockerfiles, variables, dependencies, images, ports)";
    const DOCS: &'static str = r#"# compose

## What it checks
Loads compose files the way `docker compose -f A -f B` does (merge rules,
`extends`, interpolation from env files and the environment) and applies lint
rules, each with a stable code that `disable` can turn off:

| code | finds |
|---|---|
| `compose/missing-path` | a bind-mount source, `env_file`, `build.context`, `build.dockerfile` or `configs`/`secrets` `file` that does not exist |
| `compose/dockerfile-missing-source` | a `COPY`/`ADD` source missing from the build context |
| `compose/entrypoint-missing` | the script an `ENTRYPOINT`/`CMD` runs is not in the build context |
| `compose/entrypoint-not-executable` | that script has no execute bit and neither `COPY --chmod` nor `RUN chmod` sets one |
| `compose/interpolation-error` | `${VAR:?msg}` without a value, or an invalid `$` reference |
| `compose/unset-variable` | a variable with no value and no default (compose substitutes "") |
| `compose/secret-default` | a secret-looking variable with an inline default, e.g. `${MINIO_SECRET_KEY:-minioadmin123}` |
| `compose/unknown-dependency` | `depends_on` names an unknown service |
| `compose/unhealthy-dependency` | `condition: service_healthy` on a service without a healthcheck |
| `compose/image-latest` | an image tagged `latest` or untagged (services with `build` are exempt) |
| `compose/no-restart` | no `restart` (nor `deploy.restart_policy`) |
| `compose/no-healthcheck` | no `healthcheck` |
| `compose/exposed-datastore` | a database, cache or secret-store port published on all interfaces |

## Why it matters
The checklist's production overlay mounted `./database/init`, `./redis/redis.conf`
and `./vault/policies`, which did not exist, and `Dockerfile.prod` ran entrypoint
scripts that were missing: each stops a deploy, and each is visible in the files.

## Example
```yaml
- id: compose.lint
  kind: compose
  title: Production compose files are complete
  severity: critical
  files: [docker-compose.base.yml, docker-compose.production.yml]
  env_files: [.env.production]
  disable: [compose/no-healthcheck]
```

## Fields
| field | type | meaning |
|---|---|---|
| `files` | list of paths | compose files in `-f` order, relative to `--root` (default: found as docker compose finds them: `COMPOSE_FILE`, else `compose.yaml` & co. and the override file) |
| `env_files` | list of paths | env files for interpolation; default `.env` beside the first file |
| `process_env` | bool | the process environment overrides env files, as in compose (default true) |
| `services` | list | lint only these services (default all) |
| `disable` | list | rule codes to turn off |

## Findings
One finding per problem, with its rule `code` and the file:line:column of the
offending value (in the base file, the overlay or an extended file). A project
that cannot be loaded (bad YAML, wrong types, an `extends` cycle or missing
file) makes the check `error` with located findings.
"#;

    fn validate(&self) -> Vec<SpecProblem> {
        let mut p = Vec::new();
        for d in &self.disable {
            if !RULES.iter().any(|r| r.code == d) {
                let codes: Vec<&str> = RULES.iter().map(|r| r.code).collect();
                p.push(
                    SpecProblem::new("disable", format!("unknown rule code `{d}`")).hint(
                        crate::diag::did_you_mean(d, codes.iter().copied())
                            .map(|s| format!("did you mean `{s}`?"))
                            .unwrap_or_else(|| format!("codes: {}", codes.join(", "))),
                    ),
                );
            }
        }
        p
    }

    fn schema() -> Option<schemars::Schema> {
        Some(super::spec_schema::<Self>())
    }

    async fn run(&self, cx: &RunContext) -> Outcome {
        let project = match load_project(cx, &self.files, &self.env_files, self.process_env) {
            Ok(p) => p,
            Err(o) => return *o,
        };
        let findings = lint(&project, &self.services, &self.disable);
        let n = project.services().count();
        Outcome::from_findings(findings, format!("{n} services: no compose problems found"))
    }
}

/// Runs every enabled rule over `project`.
pub fn lint(project: &Project, only: &[String], disable: &[String]) -> Vec<Finding> {
    let on = |code: &str| !disable.iter().any(|d| d == code);
    let wanted = |name: &str| only.is_empty() || only.iter().any(|s| s == name);
    let mut out = Vec::new();
    let names: HashSet<&str> = project.services().map(|(n, _)| n.as_str()).collect();
    let mut dockerfiles_seen = HashSet::new();
    for (name, svc) in project.services().filter(|(n, _)| wanted(n)) {
        if on("compose/missing-path") {
            missing_paths(project, name, svc, &mut out);
        }
        if on("compose/dockerfile-missing-source")
            || on("compose/entrypoint-missing")
            || on("compose/entrypoint-not-executable")
        {
            dockerfile_refs(project, name, svc, &mut dockerfiles_seen, &mut out);
        }
        if on("compose/unknown-dependency") || on("compose/unhealthy-dependency") {
            dependencies(project, name, svc, &names, &mut out);
        }
        if on("compose/image-latest") {
            image_tag(name, svc, &mut out);
        }
        if on("compose/no-restart") {
            let has = svc.get("restart").is_some()
                || svc
                    .get("deploy")
                    .and_then(|d| d.get("restart_policy"))
                    .is_some();
            if !has {
                out.push(
                    at(&svc_loc(svc), "compose/no-restart", format!("service `{name}` has no restart policy"))
                        .expected_actual("restart: unless-stopped (or always / on-failure)", "none")
                        .hint("add `restart: unless-stopped` so the service comes back after a crash or reboot"),
                );
            }
        }
        if on("compose/no-healthcheck") && svc.get("healthcheck").is_none() {
            out.push(
                at(&svc_loc(svc), "compose/no-healthcheck", format!("service `{name}` has no healthcheck"))
                    .hint("add `healthcheck: {test: [...], interval: 10s}` so dependants and orchestrators see readiness"),
            );
        }
        if on("compose/exposed-datastore") {
            exposed_ports(name, svc, &mut out);
        }
    }
    if on("compose/missing-path") {
        top_level_files(project, &mut out);
    }
    if on("compose/interpolation-error") {
        for (loc, msg) in &project.interp_errors {
            out.push(at(loc, "compose/interpolation-error", msg.clone()).hint(
                "set the variable in the env file or the environment, or give it a default; write $$ for a literal $",
            ));
        }
    }
    let mut seen = HashSet::new();
    for (loc, u) in &project.var_uses {
        let key = (loc.file.clone(), loc.line, u.name.clone());
        if on("compose/unset-variable")
            && !u.set
            && matches!(u.op, Op::Plain)
            && seen.insert(key.clone())
        {
            out.push(
                at(loc, "compose/unset-variable", format!("variable {} has no value and no default; compose substitutes an empty string", u.name))
                    .hint(format!("set {} in the env file, or write ${{{}:?{} is required}} to fail loudly", u.name, u.name, u.name)),
            );
        }
        if on("compose/secret-default")
            && u.has_default()
            && u.arg.as_deref().is_some_and(|a| !a.is_empty())
            && crate::redact::looks_secret(&u.name)
        {
            out.push(
                at(loc, "compose/secret-default", format!("secret-looking variable {} has an inline default in the compose file", u.name))
                    .hint(format!("remove the default: ${{{}:?{} must be set}} makes a missing secret an error instead of a known value", u.name, u.name)),
            );
        }
    }
    filter_disabled(out, disable)
}

fn svc_loc(svc: &Node) -> Loc {
    svc.key_loc.clone().unwrap_or_else(|| svc.loc.clone())
}

fn exists(p: &Path) -> bool {
    p.exists()
}

fn is_local_path(s: &str) -> bool {
    s.starts_with('.') || s.starts_with('/') || s.starts_with('~')
}

fn missing_paths(project: &Project, name: &str, svc: &Node, out: &mut Vec<Finding>) {
    let mut report = |node: &Node, written: &str, what: &str, full: PathBuf| {
        if !exists(&full) {
            out.push(
                at(
                    &node.loc,
                    "compose/missing-path",
                    format!("service `{name}`: {what} {written} does not exist"),
                )
                .expected_actual(format!("{} to exist", rel(project, &full)), "missing")
                .hint(format!(
                    "create {written} (relative to {}) or fix the path",
                    rel(project, &project.base_dir(&node.loc))
                )),
            );
        }
    };
    for v in svc
        .get("volumes")
        .and_then(Node::as_seq)
        .unwrap_or_default()
    {
        let source = match &v.value {
            Value::Str(s) => {
                let src = s.split(':').next().unwrap_or_default();
                (s.contains(':') && is_local_path(src)).then(|| src.to_string())
            }
            Value::Map(m) => (m.get("type").and_then(Node::as_str) == Some("bind"))
                .then(|| m.get("source").and_then(Node::scalar_text))
                .flatten(),
            _ => None,
        };
        if let Some(src) = source
            && !src.starts_with('~')
        {
            let node = v.get("source").unwrap_or(v);
            report(
                node,
                &src,
                "bind-mount source",
                project.resolve(&src, &v.loc),
            );
        }
    }
    let env_files: Vec<&Node> = match svc.get("env_file") {
        Some(
            n @ Node {
                value: Value::Str(_),
                ..
            },
        ) => vec![n],
        Some(Node {
            value: Value::Seq(s),
            ..
        }) => s.iter().collect(),
        _ => Vec::new(),
    };
    for n in env_files {
        let (path, required) = match &n.value {
            Value::Str(s) => (Some(s.clone()), true),
            Value::Map(m) => (
                m.get("path").and_then(Node::scalar_text),
                !matches!(
                    m.get("required").map(|r| &r.value),
                    Some(Value::Bool(false))
                ),
            ),
            _ => (None, false),
        };
        if let Some(p) = path
            && required
        {
            report(n, &p, "env_file", project.resolve(&p, &n.loc));
        }
    }
    if let Some(build) = svc.get("build") {
        let ctx_node = build.get("context");
        let ctx_written = ctx_node.and_then(Node::as_str).unwrap_or(".");
        if ctx_written.contains("://") || ctx_written.starts_with("git@") {
            return;
        }
        let ctx_loc = ctx_node
            .map(|n| n.loc.clone())
            .unwrap_or_else(|| build.loc.clone());
        let ctx = project.resolve(ctx_written, &ctx_loc);
        if let Some(n) = ctx_node {
            report(n, ctx_written, "build context", ctx.clone());
        }
        if let Some(df) = build.get("dockerfile")
            && let Some(d) = df.as_str()
            && ctx.is_dir()
        {
            report(df, d, "Dockerfile", ctx.join(d));
        }
    }
}

fn top_level_files(project: &Project, out: &mut Vec<Finding>) {
    for section in ["configs", "secrets"] {
        let Some(m) = project.model.get(section).and_then(Node::as_map) else {
            continue;
        };
        for (name, def) in m {
            if let Some(f) = def.get("file")
                && let Some(p) = f.as_str()
            {
                let full = project.resolve(p, &f.loc);
                if !full.exists() {
                    out.push(
                        at(
                            &f.loc,
                            "compose/missing-path",
                            format!("{section} `{name}`: file {p} does not exist"),
                        )
                        .expected_actual(format!("{} to exist", rel(project, &full)), "missing")
                        .hint(format!(
                            "create {p} or point `{section}.{name}.file` at the right file"
                        )),
                    );
                }
            }
        }
    }
}

fn rel(project: &Project, p: &Path) -> String {
    p.strip_prefix(&project.project_dir)
        .map(|r| r.display().to_string())
        .unwrap_or_else(|_| p.display().to_string())
}

fn dockerfile_refs(
    project: &Project,
    name: &str,
    svc: &Node,
    seen: &mut HashSet<PathBuf>,
    out: &mut Vec<Finding>,
) {
    let Some(build) = svc.get("build") else {
        return;
    };
    let ctx_node = build.get("context");
    let ctx_written = ctx_node.and_then(Node::as_str).unwrap_or(".");
    if ctx_written.contains("://") {
        return;
    }
    let ctx_loc = ctx_node
        .map(|n| n.loc.clone())
        .unwrap_or_else(|| build.loc.clone());
    let ctx = project.resolve(ctx_written, &ctx_loc);
    let df_written = build
        .get("dockerfile")
        .and_then(Node::as_str)
        .unwrap_or("Dockerfile");
    let df_path = ctx.join(df_written);
    if !seen.insert(df_path.clone()) {
        return; // services sharing a Dockerfile get its findings once
    }
    let Ok(text) = std::fs::read_to_string(&df_path) else {
        return; // a missing Dockerfile is compose/missing-path's finding
    };
    let df = Dockerfile::parse(&text);
    let shown = rel(project, &df_path);
    let copies = df.copies();
    let runs: Vec<&str> = df.runs().collect();
    // A missing entrypoint is reported once, at the ENTRYPOINT/CMD line.
    let mut missing_programs = HashSet::new();
    for (prog, line) in df.programs() {
        // Where in the context the program comes from: a COPY whose
        // destination holds it, else the path itself when relative.
        let mut source: Option<(String, bool)> = None;
        for c in &copies {
            for s in &c.sources {
                let base = Path::new(s)
                    .file_name()
                    .and_then(|b| b.to_str())
                    .unwrap_or(s);
                let dest = c.dest.trim_end_matches('/');
                let into_dir = c.dest.ends_with('/') || c.sources.len() > 1;
                let same_file = prog == c.dest
                    || (!into_dir
                        && prog.trim_start_matches("./") == dest.trim_start_matches("./"));
                let into = into_dir && prog.trim_end_matches('/') == format!("{dest}/{base}");
                if same_file || into {
                    source = Some((s.clone(), c.chmod));
                } else if let Some(rest) = prog.strip_prefix(&format!("{dest}/"))
                    && ctx.join(s).is_dir()
                {
                    source = Some((format!("{}/{rest}", s.trim_end_matches('/')), c.chmod));
                }
            }
        }
        if source.is_none()
            && (prog.starts_with("./") || (!prog.starts_with('/') && prog.contains('/')))
        {
            source = Some((prog.trim_start_matches("./").to_string(), false));
        }
        let Some((src, chmod)) = source else { continue };
        let full = ctx.join(&src);
        match std::fs::metadata(&full) {
            Err(_) => {
                missing_programs.insert(src.clone());
                out.push(
                Finding::new(format!("{shown}:{line} runs {prog}, but {src} is not in the build context (service `{name}`)"))
                    .code("compose/entrypoint-missing")
                    .at(&shown, line, 1)
                    .expected_actual(format!("{} to exist", rel(project, &full)), "missing")
                    .hint(format!("add {src} (with a #! line) and `chmod +x` it")),
                );
            }
            Ok(meta) if meta.is_file() && meta.permissions().mode() & 0o111 == 0 => {
                let base = Path::new(&prog)
                    .file_name()
                    .and_then(|b| b.to_str())
                    .unwrap_or(&prog);
                let chmodded =
                    chmod || runs.iter().any(|r| r.contains("chmod") && r.contains(base));
                if !chmodded {
                    out.push(
                        Finding::new(format!("{shown}:{line} runs {prog}, but {src} is not executable (service `{name}`)"))
                            .code("compose/entrypoint-not-executable")
                            .at(&shown, line, 1)
                            .expected_actual("an execute bit (or COPY --chmod=755 / RUN chmod +x)", "mode without x")
                            .hint(format!("chmod +x {src}")),
                    );
                }
            }
            _ => {}
        }
    }
    for c in &copies {
        for s in &c.sources {
            if s.contains(['*', '?', '[', '$']) || missing_programs.contains(s) {
                continue;
            }
            if !ctx.join(s).exists() {
                out.push(
                    Finding::new(format!("{shown}: COPY/ADD source {s} is not in the build context (service `{name}`)"))
                        .code("compose/dockerfile-missing-source")
                        .at(&shown, c.line, 1)
                        .expected_actual(format!("{} to exist", rel(project, &ctx.join(s))), "missing")
                        .hint(format!("add {s} to the build context {ctx_written} or fix the COPY line")),
                );
            }
        }
    }
}

/// Drops findings whose code is disabled.
pub fn filter_disabled(findings: Vec<Finding>, disable: &[String]) -> Vec<Finding> {
    findings
        .into_iter()
        .filter(|f| !f.code.as_ref().is_some_and(|c| disable.contains(c)))
        .collect()
}

fn dependencies(
    project: &Project,
    name: &str,
    svc: &Node,
    names: &HashSet<&str>,
    out: &mut Vec<Finding>,
) {
    let Some(deps) = svc.get("depends_on").and_then(Node::as_map) else {
        return;
    };
    for (dep, cond) in deps {
        let loc = cond.key_loc.clone().unwrap_or_else(|| cond.loc.clone());
        if !names.contains(dep.as_str()) {
            out.push(
                at(
                    &loc,
                    "compose/unknown-dependency",
                    format!("service `{name}` depends on `{dep}`, which is not defined"),
                )
                .maybe_hint(
                    crate::diag::did_you_mean(dep, names.iter().copied())
                        .map(|s| format!("did you mean `{s}`?")),
                ),
            );
            continue;
        }
        if let Some(c) = cond.get("condition")
            && c.as_str() == Some("service_healthy")
        {
            let target = project.service(dep);
            let hc = target.and_then(|t| t.get("healthcheck"));
            let disabled = hc
                .and_then(|h| h.get("disable"))
                .is_some_and(|d| d.value == Value::Bool(true));
            if hc.is_none() || disabled {
                out.push(
                    at(&c.loc, "compose/unhealthy-dependency", format!("service `{name}` waits for `{dep}` to be healthy, but `{dep}` has no healthcheck"))
                        .hint(format!("add a healthcheck to `{dep}`, or use condition: service_started")),
                );
            }
        }
    }
}

trait MaybeHint {
    fn maybe_hint(self, h: Option<String>) -> Self;
}
impl MaybeHint for Finding {
    fn maybe_hint(self, h: Option<String>) -> Self {
        match h {
            Some(h) => self.hint(h),
            None => self,
        }
    }
}

fn image_tag(name: &str, svc: &Node, out: &mut Vec<Finding>) {
    if svc.get("build").is_some() {
        return;
    }
    let Some(img) = svc.get("image") else { return };
    let Some(s) = img.as_str() else { return };
    if s.contains('@') {
        return; // pinned by digest
    }
    let last = s.rsplit('/').next().unwrap_or(s);
    let tag = last.split_once(':').map(|(_, t)| t);
    let problem = match tag {
        None => "has no tag (so `latest`)",
        Some("latest") => "uses the `latest` tag",
        _ => return,
    };
    out.push(
        at(&img.loc, "compose/image-latest", format!("service `{name}`: image {s} {problem}"))
            .expected_actual("a pinned version tag or digest", s.to_string())
            .hint("pin a version, e.g. postgres:15.6-alpine, so a deploy does not pull an untested release"),
    );
}

fn exposed_ports(name: &str, svc: &Node, out: &mut Vec<Finding>) {
    for p in svc.get("ports").and_then(Node::as_seq).unwrap_or_default() {
        let spec = match &p.value {
            Value::Map(m) => {
                let f = |k: &str| m.get(k).and_then(Node::scalar_text).unwrap_or_default();
                PortSpec {
                    host_ip: f("host_ip"),
                    published: f("published"),
                    target: f("target"),
                    protocol: f("protocol"),
                }
            }
            _ => match p.scalar_text() {
                Some(t) => parse_port(&t),
                None => continue,
            },
        };
        let all = spec.host_ip.is_empty() || spec.host_ip == "0.0.0.0" || spec.host_ip == "::";
        // `- "5432"` (no host port) still publishes, on a random port, on all interfaces.
        if let Some((_, what)) = DATASTORE_PORTS
            .iter()
            .find(|(port, _)| *port == spec.target)
            && all
        {
            out.push(
                at(
                    &p.loc,
                    "compose/exposed-datastore",
                    format!(
                        "service `{name}` publishes {what} port {} on all interfaces",
                        spec.target
                    ),
                )
                .expected_actual(
                    format!(
                        "127.0.0.1:{}:{} or no published port",
                        if spec.published.is_empty() {
                            &spec.target
                        } else {
                            &spec.published
                        },
                        spec.target
                    ),
                    p.scalar_text()
                        .unwrap_or_else(|| "long syntax without host_ip".into()),
                )
                .hint(
                    "bind it to 127.0.0.1 or drop `ports:` and reach it over the compose network",
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lint_files(files: &[(&str, &str)], disable: &[&str]) -> Vec<Finding> {
        let dir = tempfile::tempdir().unwrap();
        let mut paths = Vec::new();
        for (name, text) in files {
            let p = dir.path().join(name);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(&p, text).unwrap();
            if name.ends_with(".yml") {
                paths.push(p);
            }
        }
        let project = crate::compose::load(&LoadOptions {
            files: paths,
            display_base: Some(dir.path().to_path_buf()),
            ..Default::default()
        })
        .unwrap();
        let disable: Vec<String> = disable.iter().map(|s| s.to_string()).collect();
        lint(&project, &[], &disable)
    }

    /// Every rule off except `code`.
    fn only(code: &str) -> Vec<&'static str> {
        RULES
            .iter()
            .map(|r| r.code)
            .filter(|c| *c != code)
            .collect()
    }

    fn codes(f: &[Finding]) -> Vec<(String, Option<u32>)> {
        f.iter()
            .map(|f| (f.code.clone().unwrap_or_default(), f.line))
            .collect()
    }

    #[test]
    fn missing_path_flags_bind_mounts_env_files_and_builds() {
        let f = lint_files(
            &[(
                "c.yml",
                "services:\n  db:\n    image: postgres:15\n    volumes:\n      - ./database/init:/docker-entrypoint-initdb.d:ro\n      - pgdata:/var/lib/postgresql/data\n    env_file: [.env.db]\n  api:\n    build: {context: ., dockerfile: Dockerfile.prod}\nsecrets:\n  s: {file: ./secrets/s.txt}\n",
            )],
            &only("compose/missing-path"),
        );
        assert_eq!(
            codes(&f),
            vec![
                ("compose/missing-path".into(), Some(5)),
                ("compose/missing-path".into(), Some(7)),
                ("compose/missing-path".into(), Some(9)),
                ("compose/missing-path".into(), Some(11)),
            ],
            "{f:?}"
        );
        assert!(f[0].message.contains("./database/init"), "{}", f[0].message);
    }

    #[test]
    fn dockerfile_sources_and_entrypoints_are_checked() {
        let f = lint_files(
            &[
                (
                    "c.yml",
                    "services:\n  api:\n    build: {context: ., dockerfile: Dockerfile}\n",
                ),
                (
                    "Dockerfile",
                    "FROM python:3.12\nCOPY requirements.txt /app/\nCOPY scripts/ /app/scripts/\nCOPY run.sh /usr/local/bin/\nENTRYPOINT [\"/app/scripts/docker-entrypoint.sh\"]\nCMD [\"/usr/local/bin/run.sh\"]\n",
                ),
                ("scripts/other.sh", "#!/bin/sh\n"),
                ("run.sh", "#!/bin/sh\n"),
            ],
            &[],
        );
        let got: Vec<_> = codes(&f)
            .into_iter()
            .filter(|(c, _)| c.contains("entrypoint") || c.contains("dockerfile"))
            .collect();
        assert_eq!(
            got,
            vec![
                ("compose/entrypoint-missing".into(), Some(5)),
                ("compose/entrypoint-not-executable".into(), Some(6)),
                ("compose/dockerfile-missing-source".into(), Some(2)),
            ],
            "{f:?}"
        );
    }

    #[test]
    fn run_chmod_satisfies_the_executable_rule() {
        let f = lint_files(
            &[
                ("c.yml", "services:\n  api:\n    build: .\n"),
                (
                    "Dockerfile",
                    "FROM x\nCOPY run.sh /usr/local/bin/run.sh\nRUN chmod +x /usr/local/bin/run.sh\nENTRYPOINT [\"/usr/local/bin/run.sh\"]\n",
                ),
                ("run.sh", "#!/bin/sh\n"),
            ],
            &only("compose/entrypoint-not-executable"),
        );
        assert!(f.is_empty(), "{f:?}");
    }

    #[test]
    fn unset_variables_and_secret_defaults() {
        let f = lint_files(
            &[(
                "c.yml",
                "services:\n  s:\n    image: minio/minio:RELEASE.2024\n    environment:\n      A: ${NOT_SET}\n      B: ${NOT_SET_EITHER:-fine}\n      MINIO_ROOT_PASSWORD: ${MINIO_SECRET_KEY:-minioadmin123}\n",
            )],
            &["compose/no-restart", "compose/no-healthcheck"],
        );
        assert_eq!(
            codes(&f),
            vec![
                ("compose/unset-variable".into(), Some(5)),
                ("compose/secret-default".into(), Some(7))
            ],
            "{f:?}"
        );
        assert!(
            !format!("{f:?}").contains("minioadmin123"),
            "the default value is not echoed"
        );
    }

    #[test]
    fn interpolation_errors_are_findings() {
        let f = lint_files(
            &[("c.yml", "services:\n  s:\n    image: ${IMG:?set IMG}\n")],
            &only("compose/interpolation-error"),
        );
        assert_eq!(
            codes(&f),
            vec![("compose/interpolation-error".into(), Some(3))]
        );
        assert!(
            f[0].message
                .contains("required variable IMG is missing a value: set IMG")
        );
    }

    #[test]
    fn depends_on_unknown_and_unhealthy() {
        let f = lint_files(
            &[(
                "c.yml",
                "services:\n  api:\n    image: a:1\n    depends_on:\n      db: {condition: service_healthy}\n      cache: {condition: service_started}\n  db:\n    image: postgres:15\n",
            )],
            &["compose/no-restart", "compose/no-healthcheck"],
        );
        assert_eq!(
            codes(&f),
            vec![
                ("compose/unhealthy-dependency".into(), Some(5)),
                ("compose/unknown-dependency".into(), Some(6))
            ],
            "{f:?}"
        );
    }

    #[test]
    fn latest_and_untagged_images() {
        let f = lint_files(
            &[(
                "c.yml",
                "services:\n  a: {image: 'nginx'}\n  b: {image: 'minio/minio:latest'}\n  c: {image: 'registry:5000/x:1.2'}\n  d: {image: 'x@sha256:abc'}\n",
            )],
            &only("compose/image-latest"),
        );
        assert_eq!(
            codes(&f),
            vec![
                ("compose/image-latest".into(), Some(2)),
                ("compose/image-latest".into(), Some(3))
            ]
        );
    }

    #[test]
    fn restart_and_healthcheck_rules() {
        let f = lint_files(
            &[(
                "c.yml",
                "services:\n  a:\n    image: x:1\n  b:\n    image: x:1\n    restart: always\n    healthcheck: {test: [CMD, 'true']}\n",
            )],
            &[],
        );
        assert_eq!(
            codes(&f),
            vec![
                ("compose/no-restart".into(), Some(2)),
                ("compose/no-healthcheck".into(), Some(2))
            ]
        );
    }

    #[test]
    fn datastore_ports_on_all_interfaces() {
        let f = lint_files(
            &[(
                "c.yml",
                "services:\n  db:\n    image: postgres:15\n    ports: ['5432:5432', '127.0.0.1:5433:5432', '8080:80']\n  r:\n    image: redis:7\n    ports:\n      - {target: 6379, published: 6379}\n",
            )],
            &only("compose/exposed-datastore"),
        );
        assert_eq!(
            codes(&f),
            vec![
                ("compose/exposed-datastore".into(), Some(4)),
                ("compose/exposed-datastore".into(), Some(8))
            ]
        );
    }

    #[test]
    fn rules_can_be_disabled_and_codes_are_unique() {
        let f = lint_files(
            &[("c.yml", "services:\n  a: {image: nginx}\n")],
            &[
                "compose/image-latest",
                "compose/no-restart",
                "compose/no-healthcheck",
            ],
        );
        assert!(f.is_empty(), "{f:?}");
        let mut seen = HashSet::new();
        assert!(
            RULES
                .iter()
                .all(|r| seen.insert(r.code) && r.code.starts_with("compose/"))
        );
        for r in RULES {
            assert!(
                ComposeCheck::DOCS.contains(r.code),
                "{} undocumented",
                r.code
            );
        }
    }

    #[test]
    fn validate_rejects_unknown_codes_with_a_suggestion() {
        let spec: ComposeCheck = marked_yaml::from_node(
            &marked_yaml::parse_yaml(0, "files: [c.yml]\ndisable: [compose/no-helthcheck]\n")
                .unwrap(),
        )
        .unwrap();
        let p = spec.validate();
        assert_eq!(p.len(), 1);
        assert!(
            p[0].hint
                .as_deref()
                .unwrap_or_default()
                .contains("compose/no-healthcheck")
        );
    }
}
