//! What the image has installed where: the programs a container runs must
//! be on its `PATH`, the files a `RUN` touches must still exist, and the
//! build context must not carry secrets into the image.
//!
//! - `compose/console-script-not-on-path`: `pip install --target DIR` puts
//!   console scripts in `DIR/bin`; copying DIR into `site-packages` leaves
//!   them in `site-packages/bin`, off `PATH`, so `celery …` fails "not
//!   found". Judged where the image really runs a program: the service's
//!   command/entrypoint, its healthcheck (compose's, else the image's
//!   `HEALTHCHECK`), the `exec` of the entrypoint-script arm that the
//!   command selects, and each final stage's default run (its own `CMD` to
//!   its `ENTRYPOINT`) for stages a service builds or should build.
//! - `compose/program-not-a-dependency`: such a program (gunicorn, …) is not
//!   among the dependencies the image installs, read with confidence from
//!   `pyproject.toml`/requirements files.
//! - `compose/run-on-deleted-path`: a `RUN chmod/chown` on a path a builder
//!   stage deleted (`find src -name '*.py' -delete`) before it was copied.
//! - `compose/build-context-secrets`: secrets (env files, keys) in a context
//!   without `.dockerignore`, or copied into the image by `COPY . …`.
//!
//! Every rule answers only from what it can prove from the Dockerfile and the
//! context: an unknown base image, a `PATH` set from a variable, a venv, any
//! other installer or a `RUN` naming the program means "not judged".

use std::collections::HashSet;

use super::image::{Build, final_stages, read_small, source_of, split_program};
use super::{Cx, at, at_file, command_words};
use crate::compose::yaml::{Loc, Node, Value};
use crate::domain::dockerfile::{
    DEFAULT_PATH, Dockerfile, Form, FromCopy, PipInstall, PipLayout, join_abs, requirement_name,
    shell_commands,
};
use crate::domain::entrypoint::{self, Dispatch, Verdict};
use crate::domain::pyproject;
use crate::report::Finding;

/// Console scripts of well-known Python packages: (program, package).
const CONSOLE_SCRIPTS: &[(&str, &str)] = &[
    ("celery", "celery"),
    ("uvicorn", "uvicorn"),
    ("gunicorn", "gunicorn"),
    ("alembic", "alembic"),
    ("hypercorn", "hypercorn"),
    ("daphne", "daphne"),
    ("flask", "flask"),
    ("django-admin", "django"),
    ("dramatiq", "dramatiq"),
    ("rq", "rq"),
    ("huey_consumer", "huey"),
    ("streamlit", "streamlit"),
    ("granian", "granian"),
    ("waitress-serve", "waitress"),
    ("flower", "flower"),
    ("fastapi", "fastapi-cli"),
];

/// Base images that bring no Python console scripts of their own.
const BARE_BASES: &[&str] = &[
    "python",
    "debian",
    "ubuntu",
    "alpine",
    "busybox",
    "buildpack-deps",
    "fedora",
];

/// Whether a shell command installs Python software in a way whose effect
/// on `PATH` this reader does not follow (`poetry install` counts only when
/// `poetry` is true: for dependency lists it is read from pyproject.toml).
fn other_installer(cmd: &[String], poetry: bool) -> bool {
    let w: Vec<&str> = cmd.iter().map(String::as_str).collect();
    let base = |s: &str| s.rsplit('/').next().unwrap_or(s).to_string();
    let first = w.first().map(|s| base(s)).unwrap_or_default();
    let python = first.starts_with("python");
    match (first.as_str(), w.get(1).copied()) {
        ("poetry", Some("install")) => poetry,
        ("uv", Some("sync" | "pip" | "tool")) => true,
        ("pipx" | "conda" | "mamba" | "micromamba" | "virtualenv" | "easy_install", _) => true,
        ("pdm", Some("install" | "sync")) => true,
        (_, Some("-m")) if python => matches!(w.get(2).copied(), Some("venv" | "virtualenv")),
        (_, Some("setup.py")) if python => true,
        _ => is_pip_install(cmd) && w.contains(&"--user"),
    }
}

/// Where the image runs a program.
#[derive(Debug, Clone)]
enum Site {
    /// A compose value (`command:`, `entrypoint:`, `healthcheck:`).
    Compose(Loc, &'static str),
    /// A Dockerfile instruction (`HEALTHCHECK`, `CMD`, `ENTRYPOINT`) at a line.
    Dockerfile(u32, &'static str),
    /// An `exec` in an entrypoint script, run through the ENTRYPOINT at `ep_line`.
    Script {
        file: String,
        line: u32,
        ep_line: Option<u32>,
    },
}

/// Findings across services: one per place in a shared file.
#[derive(Default)]
struct Judge {
    seen: HashSet<(String, String, u32)>,
    stages_seen: HashSet<(String, usize)>,
    contexts_seen: HashSet<String>,
}

/// Runs the rules over every service's build.
pub(super) fn check(cx: &Cx, out: &mut Vec<Finding>) {
    let mut judge = Judge::default();
    for (name, svc, b, suggested) in super::image::builds(cx) {
        judge.service(cx, name, svc, &b, suggested, out);
    }
}

impl Judge {
    fn service(
        &mut self,
        cx: &Cx,
        name: &str,
        svc: &Node,
        b: &Build,
        suggested: Option<usize>,
        out: &mut Vec<Finding>,
    ) {
        let mut runs = service_runs(cx, svc, b);
        // Each final stage a service builds or should build, as it runs by default.
        let finals = final_stages(&b.df, &b.stages);
        for st in [Some(b.stage), suggested].into_iter().flatten() {
            if finals.contains(&st) && self.stages_seen.insert((b.df_shown.clone(), st)) {
                runs.extend(default_runs(cx, b, st).into_iter().map(|(p, s)| (st, p, s)));
            }
        }
        for (stage, prog, site) in runs {
            self.judge(cx, name, b, stage, &prog, &site, out);
        }
        if cx.on("compose/run-on-deleted-path") {
            for st in [Some(b.stage), suggested].into_iter().flatten() {
                deleted_paths(self, name, b, st, out);
            }
        }
        if cx.on("compose/build-context-secrets")
            && self
                .contexts_seen
                .insert(format!("{}|{}", b.ctx.display(), b.df_shown))
        {
            context_secrets(cx, name, b, out);
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn judge(
        &mut self,
        cx: &Cx,
        name: &str,
        b: &Build,
        stage: usize,
        prog: &str,
        site: &Site,
        out: &mut Vec<Finding>,
    ) {
        if prog.contains(['/', '$', '=']) || prog.is_empty() {
            return;
        }
        let key = match site {
            Site::Compose(l, _) => (format!("{}#{name}", l.file), prog.to_string(), l.line),
            Site::Dockerfile(l, _) => (b.df_shown.clone(), prog.to_string(), *l),
            Site::Script { file, line, .. } => (file.clone(), prog.to_string(), *line),
        };
        let Some(avail) = availability(b, stage, prog) else {
            return;
        };
        let package = CONSOLE_SCRIPTS
            .iter()
            .find(|(p, _)| *p == prog)
            .map(|(_, pkg)| *pkg);
        let deps = installed_requirements(b, stage);
        let stage_label = b.stages[stage].label();
        let (where_, what) = describe(site, &stage_label);
        // Not installed at all: the root cause is the dependency list.
        if let (Some(pkg), Some(deps)) = (package, &deps)
            && !deps.has(pkg)
        {
            if cx.on("compose/program-not-a-dependency") && self.seen.insert(key) {
                let mut f = locate(b, site, "compose/program-not-a-dependency", format!(
                    "{where_}: {what} runs `{prog}`, but `{pkg}` is not among the dependencies stage `{stage_label}` installs ({}): `{prog}: not found`, the container exits",
                    deps.source
                ))
                .expected_actual(format!("`{pkg}` in the project's dependencies"), "not declared")
                .hint(format!("add `{pkg}` to the main dependencies (and the lock file), or run a program that is installed"));
                f = with_site_related(f, b, site, stage, name);
                for (file, line, note) in &deps.related {
                    f = f.related(file, *line, note.clone());
                }
                out.push(f);
            }
            return;
        }
        let Avail::Lost { pip, copy, landing } = avail;
        if !(package.is_some()
            || deps
                .as_ref()
                .is_some_and(|d| d.names.iter().any(|n| n == prog)))
        {
            return; // not known to be a console script of what pip installed
        }
        if !cx.on("compose/console-script-not-on-path") || !self.seen.insert(key) {
            return;
        }
        let flag = match pip.layout {
            PipLayout::Target => "--target",
            PipLayout::Prefix => "--prefix",
        };
        let how = match (&copy, &landing) {
            (Some(c), Some(l)) => format!(
                "{}:{} copies it so the scripts land in {l}, which is not on PATH",
                b.df_shown, c.line
            ),
            (Some(c), None) => format!(
                "{}:{} copies only the packages, not {}",
                b.df_shown,
                c.line,
                pip.scripts_dir()
            ),
            (None, _) => format!("{} is not on PATH", pip.scripts_dir()),
        };
        let mut f = locate(b, site, "compose/console-script-not-on-path", format!(
            "{where_}: {what} runs `{prog}`, which is not on the image's PATH: {}:{} installs with `pip install {flag}={}`, which puts console scripts in {}, and {how}: `{prog}: not found`",
            b.df_shown, pip.line, pip.dir, pip.scripts_dir()
        ))
        .expected_actual(format!("`{prog}` on PATH ({DEFAULT_PATH})"), format!("only in {}", landing.clone().unwrap_or_else(|| pip.scripts_dir())))
        .hint(format!("run it as `python -m {prog}`, or install with `pip install --prefix=/install` and `COPY --from=… /install /usr/local`, or add {} to PATH", landing.clone().unwrap_or_else(|| pip.scripts_dir())))
        .related(&b.df_shown, Some(pip.line), format!("pip install {flag}={}", pip.dir));
        if let Some(c) = &copy {
            f = f.related(
                &b.df_shown,
                Some(c.line),
                format!(
                    "COPY of {} into stage `{}`",
                    pip.dir,
                    b.stages[c.stage].label()
                ),
            );
        }
        out.push(with_site_related(f, b, site, stage, name));
    }
}

fn describe(site: &Site, stage: &str) -> (String, String) {
    match site {
        Site::Compose(_, what) => (
            format!("stage `{stage}`"),
            format!("the service's `{what}:`"),
        ),
        Site::Dockerfile(_, what) => (format!("stage `{stage}`"), format!("its {what}")),
        Site::Script { file, .. } => (format!("stage `{stage}`"), format!("its entrypoint {file}")),
    }
}

fn locate(b: &Build, site: &Site, code: &str, msg: String) -> Finding {
    match site {
        Site::Compose(l, _) => at(l, code, msg),
        Site::Dockerfile(line, _) => at_file(&b.df_shown, *line, code, msg),
        Site::Script { file, line, .. } => at_file(file, *line, code, msg),
    }
}

fn with_site_related(mut f: Finding, b: &Build, site: &Site, stage: usize, name: &str) -> Finding {
    if let Site::Script {
        ep_line: Some(l), ..
    } = site
    {
        f = f.related(&b.df_shown, Some(*l), "ENTRYPOINT that runs the script");
    }
    let st = &b.stages[stage];
    f.related(
        &b.df_shown,
        Some(st.line),
        format!("stage `{}`", st.label()),
    )
    .related(
        b.loc.file.to_string(),
        Some(b.loc.line),
        format!("service `{name}` builds {}", b.df_shown),
    )
}

/// The first program a shell command text runs.
fn shell_first(text: &str) -> Option<String> {
    let cmds = shell_commands(text);
    let w = cmds.first()?;
    let w = if w.first().map(String::as_str) == Some("exec") {
        &w[1..]
    } else {
        &w[..]
    };
    w.iter().find(|x| !x.contains('=')).cloned()
}

/// Programs the service runs in its built stage: command/entrypoint,
/// healthcheck, and the script arm its command selects.
fn service_runs(cx: &Cx, svc: &Node, b: &Build) -> Vec<(usize, String, Site)> {
    let mut out = Vec::new();
    let st = b.stage;
    // Healthcheck: compose's replaces the image's.
    match svc.get("healthcheck") {
        Some(h) => {
            let disabled = h.get("disable").and_then(Node::scalar_text).as_deref() == Some("true");
            if let Some(t) = h.get("test").filter(|_| !disabled) {
                let prog = match &t.value {
                    Value::Seq(items) => {
                        let w: Vec<String> = items.iter().filter_map(Node::scalar_text).collect();
                        match w.first().map(String::as_str) {
                            Some("CMD") => w.get(1).cloned(),
                            Some("CMD-SHELL") => w.get(1).and_then(|s| shell_first(s)),
                            _ => None,
                        }
                    }
                    Value::Str(s) => shell_first(s),
                    _ => None,
                };
                if let Some(p) = prog {
                    out.push((st, p, Site::Compose(t.loc.clone(), "healthcheck")));
                }
            }
        }
        None => out.extend(
            image_healthcheck(b, st).map(|(p, l)| (st, p, Site::Dockerfile(l, "HEALTHCHECK"))),
        ),
    }
    let (img_ep, img_cmd) = b.df.entrypoint_cmd(st);
    let ep = svc.get("entrypoint");
    let cmd = svc.get("command");
    let ep_words: Option<(Vec<String>, Site)> = match ep {
        Some(n) => command_words(n).map(|w| (w, Site::Compose(n.loc.clone(), "entrypoint"))),
        None => img_ep.as_ref().map(|c| match &c.form {
            Form::Exec(w) => (w.clone(), Site::Dockerfile(c.line, "ENTRYPOINT")),
            Form::Shell(s) => (
                shell_first(s).into_iter().collect(),
                Site::Dockerfile(c.line, "ENTRYPOINT"),
            ),
        }),
    };
    let cmd_words: Option<(Vec<String>, Site)> = match cmd {
        Some(n) => command_words(n).map(|w| (w, Site::Compose(n.loc.clone(), "command"))),
        None if ep.is_some() => None,
        None => img_cmd.as_ref().map(|c| match &c.form {
            Form::Exec(w) => (w.clone(), Site::Dockerfile(c.line, "CMD")),
            Form::Shell(s) => (
                shell_first(s).into_iter().collect(),
                Site::Dockerfile(c.line, "CMD"),
            ),
        }),
    };
    let shell_ep = ep.is_none() && matches!(img_ep.as_ref().map(|c| &c.form), Some(Form::Shell(_)));
    match (ep_words, cmd_words) {
        (Some((e, esite)), c) => {
            let Some((prog, _, _)) = split_program(&e) else {
                return out;
            };
            let args: Vec<String> = if shell_ep {
                Vec::new()
            } else {
                c.as_ref().map(|(w, _)| w.clone()).unwrap_or_default()
            };
            match script_runs(cx, b, st, &prog, args.first().map(String::as_str), &esite) {
                Some(ScriptRun::Execs(list)) => {
                    out.extend(list.into_iter().map(|(p, s)| (st, p, s)))
                }
                Some(ScriptRun::Passthrough) => {
                    if let (Some(a), Some((_, csite))) = (args.first(), c) {
                        out.push((st, a.clone(), csite));
                    }
                }
                Some(ScriptRun::Opaque) => {}
                None => out.push((st, prog, esite)),
            }
        }
        (None, Some((c, csite))) => {
            if let Some((prog, _, _)) = split_program(&c) {
                out.push((st, prog, csite));
            }
        }
        (None, None) => {}
    }
    out
}

/// A stage's default run: its HEALTHCHECK and its ENTRYPOINT/CMD.
fn default_runs(cx: &Cx, b: &Build, st: usize) -> Vec<(String, Site)> {
    let mut out = Vec::new();
    out.extend(image_healthcheck(b, st).map(|(p, l)| (p, Site::Dockerfile(l, "HEALTHCHECK"))));
    let (ep, cmd) = b.df.entrypoint_cmd(st);
    let words = |c: &crate::domain::dockerfile::Command| match &c.form {
        Form::Exec(w) => w.clone(),
        Form::Shell(s) => shell_first(s).into_iter().collect(),
    };
    match (ep, cmd) {
        (Some(e), c) => {
            let site = Site::Dockerfile(e.line, "ENTRYPOINT");
            let Some((prog, _, _)) = split_program(&words(&e)) else {
                return out;
            };
            let shell = matches!(e.form, Form::Shell(_));
            let args = c.filter(|_| !shell).map(|c| words(&c)).unwrap_or_default();
            match script_runs(cx, b, st, &prog, args.first().map(String::as_str), &site) {
                Some(ScriptRun::Execs(list)) => out.extend(list),
                Some(ScriptRun::Passthrough | ScriptRun::Opaque) => {}
                None => out.push((prog, site)),
            }
        }
        (None, Some(c)) => {
            if let Some((prog, _, _)) = split_program(&words(&c)) {
                out.push((prog, Site::Dockerfile(c.line, "CMD")));
            }
        }
        (None, None) => {}
    }
    out
}

enum ScriptRun {
    /// The programs the selected arm `exec`s.
    Execs(Vec<(String, Site)>),
    /// The script runs its arguments.
    Passthrough,
    /// A script this reader does not follow, or an arm that rejects.
    Opaque,
}

/// What an entrypoint script copied from the context runs for `first`;
/// None when `prog` is not such a script.
fn script_runs(
    cx: &Cx,
    b: &Build,
    st: usize,
    prog: &str,
    first: Option<&str>,
    site: &Site,
) -> Option<ScriptRun> {
    let copies = b.df.copies();
    let chain = b.df.chain(st);
    let (src, _) = source_of(b, &copies, &chain, prog)?;
    let full = b.ctx.join(&src);
    let Some(text) = read_small(&full) else {
        return Some(ScriptRun::Opaque);
    };
    let file = cx.rel(&full);
    let ep_line = match site {
        Site::Dockerfile(l, _) => Some(*l),
        _ => None,
    };
    Some(match entrypoint::recognise(&text) {
        Dispatch::Case(d) => match d.judge(first) {
            Verdict::Accepted(a) if a.passthrough => ScriptRun::Passthrough,
            Verdict::Accepted(a) => ScriptRun::Execs(
                a.execs
                    .iter()
                    .map(|(p, l)| {
                        (
                            p.clone(),
                            Site::Script {
                                file: file.clone(),
                                line: *l,
                                ep_line,
                            },
                        )
                    })
                    .collect(),
            ),
            Verdict::Passthrough(_) => ScriptRun::Passthrough,
            _ => ScriptRun::Opaque,
        },
        Dispatch::None {
            passthrough: Some(_),
        } => ScriptRun::Passthrough,
        _ => ScriptRun::Opaque,
    })
}

/// The program a stage's `HEALTHCHECK` runs, with the instruction's line.
fn image_healthcheck(b: &Build, st: usize) -> Option<(String, u32)> {
    let line = b.df.healthcheck(st)?;
    let ins =
        b.df.instructions
            .iter()
            .find(|i| i.line == line && i.keyword == "HEALTHCHECK")?;
    let rest = ins.args.split_once("CMD").map(|(_, r)| r.trim())?;
    let prog = if rest.starts_with('[') {
        serde_json::from_str::<Vec<String>>(rest)
            .ok()?
            .first()
            .cloned()
    } else {
        shell_first(rest)
    }?;
    Some((prog, line))
}

enum Avail {
    /// pip put the program's scripts where PATH does not reach.
    Lost {
        pip: PipInstall,
        copy: Option<FromCopy>,
        landing: Option<String>,
    },
}

fn on_path(path: &str, dir: &str) -> bool {
    path.split(':')
        .any(|p| join_abs("/", p) == join_abs("/", dir))
}

fn base_is_bare(df: &Dockerfile, chain: &[usize]) -> bool {
    let stages = df.stages();
    let Some(root) = chain.last().and_then(|i| stages.get(*i)) else {
        return false;
    };
    let image = root.base.split(['@']).next().unwrap_or_default();
    let name_part = match image.rsplit_once('/') {
        Some((_, n)) => n,
        None => image,
    };
    let name = name_part.split(':').next().unwrap_or_default();
    // Docker Hub's official images, also through a mirror (`public.ecr.aws/docker/library/python`).
    let registry_ok = !image.contains('/')
        || image.starts_with("library/")
        || image
            .rsplit_once('/')
            .is_some_and(|(path, _)| path.ends_with("/library"));
    registry_ok && !name.contains('$') && BARE_BASES.contains(&name)
}

/// Whether `prog` is missing from stage `st`'s PATH because a `pip install
/// --target/--prefix` put it elsewhere; None when it is there or unknown.
fn availability(b: &Build, st: usize, prog: &str) -> Option<Avail> {
    let df = &b.df;
    let chain = df.chain(st);
    if !base_is_bare(df, &chain) {
        return None;
    }
    let path = match df.env_path(&chain) {
        None => DEFAULT_PATH.to_string(),
        Some(Some(p)) => p,
        Some(None) => return None,
    };
    for (text, _) in df.runs_in(&chain) {
        if shell_commands(text)
            .iter()
            .any(|c| other_installer(c, true))
        {
            return None;
        }
        if shell_commands(text).iter().flatten().any(|w| {
            w == prog
                || w.rsplit('/').next() == Some(prog)
                || requirement_name(w).as_deref() == Some(prog)
        }) {
            return None; // installed, linked or fetched by name
        }
        // A pip install into the default location puts scripts on PATH.
        for cmd in shell_commands(text) {
            if is_pip_install(&cmd)
                && !cmd.iter().any(|w| {
                    w.starts_with("--target")
                        || w == "-t"
                        || w.starts_with("--prefix")
                        || w.starts_with("--root")
                })
            {
                return None;
            }
        }
    }
    let pips = pip_installs_cached(df);
    let copies_from_stages = df.copies_from_stages();
    // A COPY over a PATH directory may bring the program: not judged.
    let path_dirs: Vec<String> = path.split(':').map(|p| join_abs("/", p)).collect();
    let touches_path = |dest: &str| {
        path_dirs.iter().any(|d| {
            d == dest
                || d.starts_with(&format!("{}/", dest.trim_end_matches('/')))
                || dest.starts_with(&format!("{d}/"))
                || dest == "/"
        })
    };
    let mut lost = None;
    for c in copies_from_stages
        .iter()
        .filter(|c| chain.contains(&c.stage))
    {
        let Some(dest) = &c.dest else {
            return None;
        };
        let from_pip: Vec<&PipInstall> = pips
            .iter()
            .filter(|p| Some(p.stage) == c.from_stage)
            .collect();
        let mut handled = false;
        for s in &c.sources {
            let src = join_abs("/", s);
            for p in &from_pip {
                let scripts = p.scripts_dir();
                if scripts == src || scripts.starts_with(&format!("{}/", src.trim_end_matches('/')))
                {
                    handled = true;
                    let landing = join_abs(dest, scripts[src.len()..].trim_start_matches('/'));
                    if on_path(&path, &landing) {
                        return None;
                    }
                    lost = Some(Avail::Lost {
                        pip: (*p).clone(),
                        copy: Some(c.clone()),
                        landing: Some(landing),
                    });
                } else if src.starts_with(&format!("{}/", p.dir.trim_end_matches('/'))) {
                    handled = true;
                    lost.get_or_insert(Avail::Lost {
                        pip: (*p).clone(),
                        copy: Some(c.clone()),
                        landing: None,
                    });
                }
            }
        }
        if !handled && touches_path(dest) {
            return None;
        }
    }
    for c in df.copies().iter().filter(|c| chain.contains(&c.stage)) {
        let dest = if c.dest.starts_with('/') {
            join_abs("/", &c.dest)
        } else {
            match df.workdir_at(c.stage, c.index) {
                Some(w) => join_abs(&w, &c.dest),
                None => return None,
            }
        };
        if touches_path(&dest) {
            return None;
        }
    }
    for p in pips.iter().filter(|p| chain.contains(&p.stage)) {
        if on_path(&path, &p.scripts_dir()) {
            return None;
        }
        lost.get_or_insert(Avail::Lost {
            pip: p.clone(),
            copy: None,
            landing: None,
        });
    }
    lost
}

fn pip_installs_cached(df: &Dockerfile) -> Vec<PipInstall> {
    df.pip_installs()
}

fn is_pip_install(cmd: &[String]) -> bool {
    let s = cmd.join(" ");
    let s = s.trim_start_matches("exec ");
    ["pip install", "pip3 install", "-m pip install"]
        .iter()
        .any(|p| {
            s.starts_with(p)
                || s.contains(&format!(" {p}"))
                || (p.starts_with('-') && s.contains(p))
        })
}

/// The dependencies the stages `st` needs install, when all of them can be read.
struct Installed {
    names: Vec<String>,
    source: String,
    related: Vec<(String, Option<u32>, String)>,
}

impl Installed {
    fn has(&self, pkg: &str) -> bool {
        self.names.iter().any(|n| n == pkg)
    }
}

fn installed_requirements(b: &Build, st: usize) -> Option<Installed> {
    let df = &b.df;
    let needed = df.needed(st);
    if !base_is_bare(df, &df.chain(st)) {
        return None;
    }
    let mut names = Vec::new();
    let mut sources = Vec::new();
    let mut related = Vec::new();
    let mut any = false;
    // Lock files list transitive dependencies; a name there is installed.
    let mut locked = String::new();
    for lock in ["poetry.lock", "uv.lock", "pdm.lock", "Pipfile.lock"] {
        if let Some(t) = read_small(&b.ctx.join(lock)) {
            locked.push_str(&t.to_ascii_lowercase());
        }
    }
    for (text, line) in df.runs_in(&needed) {
        if shell_commands(text)
            .iter()
            .any(|c| other_installer(c, false))
        {
            return None;
        }
        let mut poetry = false;
        for cmd in shell_commands(text) {
            let joined = cmd.join(" ");
            if joined.contains("poetry export") || joined.contains("poetry install") {
                if [
                    "--with",
                    "-E",
                    "--extras",
                    "--all-extras",
                    "--all-groups",
                    "--only",
                ]
                .iter()
                .any(|f| {
                    cmd.iter()
                        .any(|w| w == f || w.starts_with(&format!("{f}=")))
                }) {
                    return None;
                }
                poetry = true;
                any = true;
                let py = read_small(&b.ctx.join("pyproject.toml"))?;
                let d = pyproject::parse_pyproject(&py)?;
                names.extend(d.main);
                sources.push("pyproject.toml".to_string());
                related.push((
                    "pyproject.toml".to_string(),
                    None,
                    "the project's dependencies".to_string(),
                ));
                related.push((b.df_shown.clone(), Some(line), "installs them".to_string()));
            } else if is_pip_install(&cmd) {
                any = true;
                let mut it = cmd.iter();
                while let Some(w) = it.next() {
                    let file = match w.as_str() {
                        "-r" | "--requirement" => it.next().cloned(),
                        x => x.strip_prefix("--requirement=").map(str::to_string),
                    };
                    if let Some(f) = file {
                        if poetry {
                            continue; // exported from pyproject.toml above
                        }
                        let t = read_small(&b.ctx.join(&f))?;
                        names.extend(pyproject::parse_requirements(&t)?);
                        sources.push(f.clone());
                        related.push((f, None, "requirements installed".to_string()));
                    } else if w == "." || w.starts_with("./") || w.starts_with(".[") {
                        let py = read_small(&b.ctx.join("pyproject.toml"))?;
                        names.extend(pyproject::parse_pyproject(&py)?.main);
                        sources.push("pyproject.toml".to_string());
                    } else if !w.starts_with('-')
                        && !["pip", "pip3", "install", "python", "python3", "-m"]
                            .contains(&w.as_str())
                    {
                        names.extend(requirement_name(w));
                    }
                }
            }
        }
    }
    if !any {
        return None;
    }
    // Anything the lock file names counts as installed (transitive dependencies).
    for (_, pkg) in CONSOLE_SCRIPTS {
        if locked.contains(&format!("name = \"{pkg}\"")) {
            names.push(pkg.to_string());
        }
    }
    sources.dedup();
    Some(Installed {
        names,
        source: sources.join(", "),
        related,
    })
}

/// `RUN chmod/chown … PATH` on a path the builder stage deleted before the
/// copy that brought the tree in.
fn deleted_paths(j: &mut Judge, name: &str, b: &Build, stage: usize, out: &mut Vec<Finding>) {
    let df = &b.df;
    let chain = df.chain(stage);
    let deletions = df.deletions();
    let copies_from_stages = df.copies_from_stages();
    for &si in &chain {
        for (idx, ins) in df.stage_instructions(si) {
            if ins.keyword != "RUN" {
                continue;
            }
            for cmd in shell_commands(&ins.args) {
                let Some(tool) = cmd.first().filter(|t| *t == "chmod" || *t == "chown") else {
                    continue;
                };
                let paths: Vec<&String> = cmd[1..]
                    .iter()
                    .filter(|w| !w.starts_with('-'))
                    .skip(1)
                    .collect();
                for p in paths {
                    if p.contains(['$', '*', '?', '[']) {
                        continue;
                    }
                    let Some(abs) = (if p.starts_with('/') {
                        Some(join_abs("/", p))
                    } else {
                        df.workdir_at(si, idx).map(|w| join_abs(&w, p))
                    }) else {
                        continue;
                    };
                    // The last COPY --from before the RUN (in this chain) that brings the path.
                    let brings = |c: &&FromCopy| -> Option<String> {
                        let (dest, [src]) = (c.dest.as_deref()?, c.sources.as_slice()) else {
                            return None;
                        };
                        let src = join_abs("/", src);
                        let name = src.rsplit('/').next().unwrap_or_default();
                        let rest = abs.strip_prefix(&format!("{}/", dest.trim_end_matches('/')))?;
                        // A file-like source copied into a directory lands as dest/name.
                        if name.contains('.') && !abs.ends_with(&format!("/{name}")) {
                            let first = rest.split('/').next().unwrap_or_default();
                            if first != name {
                                return None;
                            }
                        }
                        Some(join_abs(&src, rest))
                    };
                    let Some((c, in_builder)) = copies_from_stages
                        .iter()
                        .filter(|c| chain.contains(&c.stage) && (c.stage != si || c.index < idx))
                        .filter_map(|c| brings(&c).map(|m| (c, m)))
                        .next_back()
                    else {
                        continue;
                    };
                    let (Some(from), Some(dest), [src]) =
                        (c.from_stage, c.dest.as_deref(), c.sources.as_slice())
                    else {
                        continue;
                    };
                    let rest = abs[dest.len()..].trim_start_matches('/');
                    let base = rest.rsplit('/').next().unwrap_or(rest);
                    let Some(d) = deletions.iter().find(|d| {
                        d.stage == from
                            && in_builder.starts_with(&format!("{}/", d.dir.trim_end_matches('/')))
                            && glob_match(&d.pattern, base)
                    }) else {
                        continue;
                    };
                    // Nothing after the deletion in the builder may bring it back.
                    let later = df.stage_instructions(from).into_iter().any(|(i, x)| {
                        i > d.index && matches!(x.keyword.as_str(), "RUN" | "COPY" | "ADD")
                    });
                    // Nor anything between the COPY and the RUN in the image.
                    let between =
                        chain
                            .iter()
                            .flat_map(|s| df.stage_instructions(*s))
                            .any(|(i, x)| {
                                i > c.index
                                    && i < idx
                                    && matches!(x.keyword.as_str(), "RUN" | "COPY" | "ADD")
                                    && (x.args.contains(base))
                            });
                    if later || between {
                        continue;
                    }
                    if !j.seen.insert((b.df_shown.clone(), abs.clone(), ins.line)) {
                        continue;
                    }
                    let bst = &b.stages[from];
                    out.push(
                        at_file(&b.df_shown, ins.line, "compose/run-on-deleted-path", format!(
                            "{}:{}: `{tool}` on {abs}, which does not exist there: stage `{}` deleted every `{}` under {} ({}:{}) before {}:{} copied {src} to {dest}: the RUN fails and the image build stops (service `{name}`)",
                            b.df_shown, ins.line, bst.label(), d.pattern, d.dir, b.df_shown, d.line, b.df_shown, c.line
                        ))
                        .expected_actual(format!("{abs} to exist"), format!("deleted by {}:{}", b.df_shown, d.line))
                        .hint(format!("drop the `{tool}` of {abs} (or point it at what the build keeps, e.g. the .pyc), or keep the file in stage `{}`", bst.label()))
                        .related(&b.df_shown, Some(d.line), format!("`find {} -name '{}' -delete` in stage `{}`", d.dir, d.pattern, bst.label()))
                        .related(&b.df_shown, Some(c.line), format!("COPY --from={} {src} {dest}", bst.label()))
                        .related(b.loc.file.to_string(), Some(b.loc.line), format!("service `{name}` builds {}", b.df_shown)),
                    );
                }
            }
        }
    }
}

fn glob_match(pattern: &str, name: &str) -> bool {
    globset::GlobBuilder::new(pattern)
        .literal_separator(true)
        .build()
        .map(|g| g.compile_matcher().is_match(name))
        .unwrap_or(false)
}

/// Env files and private keys at the root of a build context.
fn secret_files(ctx: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    let Ok(rd) = std::fs::read_dir(ctx) else {
        return out;
    };
    for e in rd.flatten() {
        let n = e.file_name().to_string_lossy().to_string();
        let example = [
            ".example",
            ".sample",
            ".template",
            ".dist",
            ".defaults",
            ".tpl",
        ]
        .iter()
        .any(|s| n.ends_with(s));
        let env = n == ".env" || (n.starts_with(".env.") && !example);
        let key = ["id_rsa", "id_ed25519", "id_ecdsa"].contains(&n.as_str()) || n.ends_with(".key");
        if (env || key) && e.path().is_file() {
            out.push(n);
        }
    }
    out.sort();
    out
}

/// Secrets in a build context: sent to the builder without a
/// `.dockerignore`, and into the image by a whole-context `COPY`.
fn context_secrets(cx: &Cx, name: &str, b: &Build, out: &mut Vec<Finding>) {
    let needed = b.df.needed(b.stage);
    let whole: Vec<u32> =
        b.df.copies()
            .iter()
            .filter(|c| {
                needed.contains(&c.stage)
                    && c.sources
                        .iter()
                        .any(|s| matches!(s.as_str(), "." | "./" | "*" | "./*"))
            })
            .map(|c| c.line)
            .collect();
    let present: Vec<String> = secret_files(&b.ctx)
        .into_iter()
        .filter(|n| {
            b.ignore
                .as_ref()
                .is_none_or(|ig| ig.excludes(n, false).is_none())
        })
        .collect();
    let mut bulk = Vec::new();
    for d in [".git", "node_modules"] {
        if b.ctx.join(d).exists()
            && b.ignore
                .as_ref()
                .is_none_or(|ig| ig.excludes(d, true).is_none())
        {
            bulk.push(d.to_string());
        }
    }
    let ctx_shown = cx.rel(&b.ctx);
    let list = |v: &[String]| {
        v.iter()
            .map(|s| format!("`{s}`"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let (msg, expected) = match (whole.first(), present.is_empty(), b.ignore.is_some()) {
        (Some(l), false, _) => (
            format!(
                "build context {ctx_shown} of service `{name}`: {}:{l} copies the whole context into the image, including {}{}: anyone who can pull the image reads them",
                b.df_shown,
                list(&present),
                if bulk.is_empty() {
                    String::new()
                } else {
                    format!(" (and {})", list(&bulk))
                }
            ),
            "secrets excluded by .dockerignore",
        ),
        (Some(l), true, false) if !bulk.is_empty() => (
            format!(
                "build context {ctx_shown} of service `{name}` has no .dockerignore and {}:{l} copies the whole context, so {} go into the image",
                b.df_shown,
                list(&bulk)
            ),
            "a .dockerignore excluding them",
        ),
        (None, false, false) => (
            format!(
                "build context {ctx_shown} of service `{name}` has no .dockerignore, and it holds {}: the classic builder (DOCKER_BUILDKIT=0, Docker Engine before 23.0) sends the whole context to the daemon, and one `COPY . …` puts them in the image (BuildKit transfers only what COPY reads, and nothing copies them today)",
                list(&present)
            ),
            "a .dockerignore excluding env files and keys",
        ),
        _ => return,
    };
    // Into the image: a weakness; only in the context: worth knowing, not a
    // failure (BuildKit, compose's default builder, never transfers them).
    let copied = !whole.is_empty();
    let f = at(&b.ctx_loc, "compose/build-context-secrets", msg);
    let f = if copied {
        f
    } else {
        f.severity(crate::report::Severity::Info)
    };
    out.push(
        f.expected_actual(
            expected,
            format!(
                "included: {}",
                list(&[present.clone(), bulk.clone()].concat())
            ),
        )
        .hint(format!(
            "add {}/.dockerignore with {}",
            ctx_shown.trim_end_matches('/'),
            [present, bulk].concat().join(", ")
        ))
        .related(&b.df_shown, None, "the Dockerfile built from it"),
    );
}

#[cfg(test)]
mod tests {
    use super::super::{RULES, lint};
    use crate::compose::LoadOptions;
    use crate::report::Finding;

    const MINE: &[&str] = &[
        "compose/console-script-not-on-path",
        "compose/program-not-a-dependency",
        "compose/run-on-deleted-path",
        "compose/build-context-secrets",
    ];

    /// The findings of this file's rules on a project made of `files`.
    fn lint_files(files: &[(&str, &str)]) -> Vec<(String, String, u32)> {
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
            profiles: vec!["*".to_string()],
            ..Default::default()
        })
        .unwrap();
        let disable: Vec<String> = RULES
            .iter()
            .map(|r| r.code.to_string())
            .filter(|c| !MINE.contains(&c.as_str()))
            .collect();
        let f: Vec<Finding> = lint(&project, &[], &disable);
        f.iter()
            .map(|f| {
                (
                    f.code.clone().unwrap_or_default(),
                    f.file.clone().unwrap_or_default(),
                    f.line.unwrap_or(0),
                )
            })
            .collect()
    }

    const COMPOSE: &str = "services:\n  worker:\n    build: .\n    command: celery -A app worker\n";

    /// The DotMac layout: `pip install --target`, copied into site-packages.
    const TARGET: &str = "FROM python:3.12-slim AS deps\nCOPY requirements.txt ./\nRUN pip install --no-cache-dir --target=/install -r requirements.txt\nFROM python:3.12-slim\nWORKDIR /app\nCOPY --from=deps /install /usr/local/lib/python3.12/site-packages\nCOPY app ./app\nHEALTHCHECK CMD celery -A app inspect ping || exit 1\n";

    fn code(c: &str) -> String {
        format!("compose/{c}")
    }

    #[test]
    fn pip_target_copied_into_site_packages_loses_console_scripts() {
        let got = lint_files(&[
            ("c.yml", COMPOSE),
            ("Dockerfile", TARGET),
            ("requirements.txt", "celery[redis]==5.3.6\n"),
            ("app/x.py", ""),
        ]);
        assert_eq!(
            got,
            [
                (code("console-script-not-on-path"), "Dockerfile".into(), 8),
                (code("console-script-not-on-path"), "c.yml".into(), 4),
            ]
        );
        // The official image through a registry mirror is the same image.
        let mirrored = TARGET.replace("FROM python", "FROM public.ecr.aws/docker/library/python");
        let got = lint_files(&[
            ("c.yml", COMPOSE),
            ("Dockerfile", &mirrored),
            ("requirements.txt", "celery[redis]==5.3.6\n"),
            ("app/x.py", ""),
        ]);
        assert_eq!(got.len(), 2, "{got:?}");
    }

    #[test]
    fn a_passthrough_entrypoint_runs_the_command_and_requirements_decide_dependencies() {
        let df = TARGET.replace(
            "HEALTHCHECK CMD celery -A app inspect ping || exit 1\n",
            "COPY --chmod=755 entrypoint.sh /entrypoint.sh\nENTRYPOINT [\"/entrypoint.sh\"]\n",
        );
        let script = (
            "entrypoint.sh",
            "#!/bin/sh\nset -e\nwait_for_db\nexec \"$@\"\n",
        );
        // `exec "$@"` runs the compose command: celery, installed but off PATH.
        let got = lint_files(&[
            ("c.yml", COMPOSE),
            ("Dockerfile", &df),
            script,
            ("requirements.txt", "celery==5.3.6\n"),
            ("app/x.py", ""),
        ]);
        assert_eq!(
            got,
            [(code("console-script-not-on-path"), "c.yml".into(), 4)]
        );
        // Not in the requirements the image installs: not installed at all.
        let got = lint_files(&[
            ("c.yml", COMPOSE),
            ("Dockerfile", &df),
            script,
            ("requirements.txt", "kombu==5.3\nredis\n"),
            ("app/x.py", ""),
        ]);
        assert_eq!(got, [(code("program-not-a-dependency"), "c.yml".into(), 4)]);
    }

    #[test]
    fn console_scripts_installed_some_other_way_are_no_finding() {
        let req = ("requirements.txt", "celery==5.3.6\n");
        for (why, df) in [
            (
                "--prefix copied to /usr/local puts bin/ on PATH",
                "FROM python:3.12 AS deps\nRUN pip install --prefix=/install celery\nFROM python:3.12-slim\nCOPY --from=deps /install /usr/local\n",
            ),
            (
                "a venv with PATH",
                "FROM python:3.12 AS deps\nRUN python -m venv /venv && /venv/bin/pip install celery\nFROM python:3.12-slim\nCOPY --from=deps /venv /venv\nENV PATH=/venv/bin:$PATH\n",
            ),
            (
                "PATH set to the target's bin",
                "FROM python:3.12 AS deps\nRUN pip install --target=/install celery\nFROM python:3.12-slim\nCOPY --from=deps /install /opt/deps\nENV PYTHONPATH=/opt/deps PATH=/opt/deps/bin:$PATH\n",
            ),
            (
                "PATH extended with the landing directory",
                "FROM python:3.12 AS deps\nRUN pip install --target=/install celery\nFROM python:3.12-slim\nCOPY --from=deps /install /usr/local/lib/python3.12/site-packages\nENV PATH=\"${PATH}:/usr/local/lib/python3.12/site-packages/bin\"\n",
            ),
            (
                "the scripts copied to /usr/local/bin as well",
                "FROM python:3.12 AS deps\nRUN pip install --target=/install celery\nFROM python:3.12-slim\nCOPY --from=deps /install /usr/local/lib/python3.12/site-packages\nCOPY --from=deps /install/bin /usr/local/bin\n",
            ),
            (
                "a plain pip install in the final stage",
                "FROM python:3.12 AS deps\nRUN pip install --target=/install celery\nFROM python:3.12-slim\nCOPY --from=deps /install /usr/local/lib/python3.12/site-packages\nRUN pip install -r requirements.txt\n",
            ),
            (
                "an apt package that names it",
                "FROM python:3.12 AS deps\nRUN pip install --target=/install kombu\nFROM debian:12\nCOPY --from=deps /install /usr/lib/python3/dist-packages\nRUN apt-get update && apt-get install -y celery\n",
            ),
            (
                "a base image that brings its own programs",
                "FROM python:3.12 AS deps\nRUN pip install --target=/install celery\nFROM tiangolo/uvicorn-gunicorn:python3.11\nCOPY --from=deps /install /usr/local/lib/python3.11/site-packages\n",
            ),
        ] {
            let got = lint_files(&[("c.yml", COMPOSE), ("Dockerfile", df), req]);
            assert!(got.is_empty(), "{why}: {got:?}");
        }
        // `python -m celery` needs no console script.
        let got = lint_files(&[
            (
                "c.yml",
                "services:\n  worker:\n    build: .\n    command: python -m celery -A app worker\n",
            ),
            (
                "Dockerfile",
                &TARGET.replace("HEALTHCHECK CMD celery", "HEALTHCHECK CMD python -m celery"),
            ),
            req,
            ("app/x.py", ""),
        ]);
        assert!(got.is_empty(), "{got:?}");
    }

    /// An entrypoint script dispatching on `$1`, as DotMac's.
    const SCRIPT: &str = "#!/bin/sh\nset -e\ncase \"${1:-api}\" in\n  api)\n    exec gunicorn app:app\n    ;;\n  migrate)\n    exec alembic upgrade head\n    ;;\n  *)\n    echo unknown; exit 1\n    ;;\nesac\n";

    const POETRY: &str = "FROM python:3.12-slim AS deps\nCOPY pyproject.toml ./\nRUN pip install poetry && poetry export -f requirements.txt --output requirements.txt --without dev && pip install --target=/install -r requirements.txt\nFROM python:3.12-slim AS api\nCOPY --from=deps /install /usr/local/lib/python3.12/site-packages\nCOPY --chmod=755 entrypoint.sh /entrypoint.sh\nENTRYPOINT [\"/entrypoint.sh\"]\nCMD [\"api\"]\n";

    #[test]
    fn an_arm_that_execs_an_undeclared_server_is_not_a_dependency() {
        let compose = "services:\n  api:\n    build: .\n";
        let got = lint_files(&[
            ("c.yml", compose),
            ("Dockerfile", POETRY),
            ("entrypoint.sh", SCRIPT),
            (
                "pyproject.toml",
                "[tool.poetry.dependencies]\npython = \"^3.12\"\nuvicorn = \"*\"\nalembic = \"*\"\n[tool.poetry.group.dev.dependencies]\ngunicorn = \"*\"\n",
            ),
        ]);
        assert_eq!(
            got,
            [(code("program-not-a-dependency"), "entrypoint.sh".into(), 5)]
        );
        // Declared: then it is only off PATH. The `migrate` arm is not what the CMD selects.
        let got = lint_files(&[
            ("c.yml", compose),
            ("Dockerfile", POETRY),
            ("entrypoint.sh", SCRIPT),
            (
                "pyproject.toml",
                "[tool.poetry.dependencies]\npython = \"^3.12\"\ngunicorn = \"^22\"\n",
            ),
        ]);
        assert_eq!(
            got,
            [(
                code("console-script-not-on-path"),
                "entrypoint.sh".into(),
                5
            )]
        );
        // Dependencies that cannot be read (dynamic) are not judged.
        let got = lint_files(&[
            ("c.yml", compose),
            ("Dockerfile", &POETRY.replace("--prefix", "")),
            ("entrypoint.sh", SCRIPT),
            (
                "pyproject.toml",
                "[project]\nname = \"x\"\ndynamic = [\"dependencies\"]\n",
            ),
        ]);
        assert_eq!(
            got,
            [(
                code("console-script-not-on-path"),
                "entrypoint.sh".into(),
                5
            )],
            "known console script, unknown dependency list: only the PATH finding"
        );
    }

    const DELETED: &str = "FROM python:3.12-slim AS builder\nWORKDIR /build\nCOPY src ./src\nRUN python -m compileall -b src && find src -name \"*.py\" -delete\nFROM python:3.12-slim\nWORKDIR /app\nCOPY --from=builder /build/src ./src\nCOPY --from=builder /build/other.ini ./\nRUN ln -s /app/src/cli.py /usr/local/bin/cli && chmod +x /app/src/cli.py\n";

    #[test]
    fn chmod_of_a_file_the_builder_deleted_fails_the_build() {
        let compose = "services:\n  api:\n    build: .\n";
        let got = lint_files(&[
            ("c.yml", compose),
            ("Dockerfile", DELETED),
            ("src/cli.py", ""),
        ]);
        assert_eq!(got, [(code("run-on-deleted-path"), "Dockerfile".into(), 9)]);
        for (why, df) in [
            (
                "a .pyc the build keeps",
                DELETED.replace("/app/src/cli.py\n", "/app/src/cli.pyc\n"),
            ),
            (
                "a find this reader does not follow",
                DELETED.replace(
                    "-name \"*.py\" -delete",
                    "-name \"*.py\" ! -name cli.py -delete",
                ),
            ),
            (
                "the file brought back before the RUN",
                DELETED.replace("RUN ln", "COPY src/cli.py ./src/cli.py\nRUN ln"),
            ),
            (
                "something after the find in the builder",
                DELETED.replace(
                    "\nFROM python:3.12-slim\nWORKDIR /app",
                    "\nRUN touch src/cli.py\nFROM python:3.12-slim\nWORKDIR /app",
                ),
            ),
        ] {
            let got = lint_files(&[("c.yml", compose), ("Dockerfile", &df), ("src/cli.py", "")]);
            assert!(got.is_empty(), "{why}: {got:?}");
        }
    }

    #[test]
    fn secrets_in_a_context_without_dockerignore() {
        let compose = "services:\n  api:\n    build: .\n";
        let specific = "FROM python:3.12-slim\nCOPY app.py ./\n";
        let whole = "FROM node:20\nCOPY . .\n";
        let c = ("c.yml", compose);
        // An operator's .env beside the compose file: sent with the context.
        let got = lint_files(&[
            c,
            ("Dockerfile", specific),
            ("app.py", ""),
            (".env", "SECRET_KEY=x\n"),
        ]);
        assert_eq!(got, [(code("build-context-secrets"), "c.yml".into(), 3)]);
        // Excluded, or only examples: nothing.
        for files in [
            vec![
                c,
                ("Dockerfile", specific),
                ("app.py", ""),
                (".env", "S=x\n"),
                (".dockerignore", ".env*\n"),
            ],
            vec![
                c,
                ("Dockerfile", specific),
                ("app.py", ""),
                (".env.example", "S=\n"),
            ],
            vec![
                c,
                ("Dockerfile", specific),
                ("app.py", ""),
                ("node_modules/x/i.js", ""),
            ],
        ] {
            let got = lint_files(&files);
            assert!(got.is_empty(), "{files:?}: {got:?}");
        }
        // node_modules copied by `COPY . .` without a .dockerignore goes into the image.
        let got = lint_files(&[c, ("Dockerfile", whole), ("node_modules/x/i.js", "")]);
        assert_eq!(got, [(code("build-context-secrets"), "c.yml".into(), 3)]);
        // A .dockerignore that leaves .env.production in, with COPY . .: into the image.
        let got = lint_files(&[
            c,
            ("Dockerfile", whole),
            (".dockerignore", "node_modules\n"),
            (".env.production", "S=x\n"),
        ]);
        assert_eq!(got, [(code("build-context-secrets"), "c.yml".into(), 3)]);
    }
}
