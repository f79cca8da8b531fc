//! What a service's `build:` produces and what its container runs.
//!
//! For each service with a local build: the Dockerfile stage it gets
//! (`build.target`, else the *last* stage — a multi-stage file with several
//! final stages then hands one service another's image); the context files
//! the stages BuildKit actually builds copy in (missing, or kept out by
//! `.dockerignore`); and the program the container starts: the stage's
//! `ENTRYPOINT`/`CMD` (inherited through `FROM <stage>`) overridden by the
//! service's `entrypoint:`/`command:`. When that program is a script copied
//! from the context, it must exist and be executable *in the image*
//! (`COPY --chmod`, a later `RUN chmod`, or the repository's mode), and when
//! it dispatches on `$1` ([`crate::domain::entrypoint`]) the command's first
//! word must be one it accepts.

use std::collections::HashSet;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use super::paths::is_remote;
use super::{Cx, at, at_file, command_words};
use crate::compose::yaml::{Loc, Node};
use crate::domain::dockerfile::{Command, Copy, Dockerfile, Form, Stage};
use crate::domain::dockerignore::DockerIgnore;
use crate::domain::entrypoint::{self, Dispatch, Verdict};
use crate::report::Finding;

/// Largest Dockerfile or script read.
const MAX_TEXT: u64 = 1024 * 1024;

/// One service's build, resolved.
pub(super) struct Build {
    pub ctx: PathBuf,
    pub df_shown: String,
    pub df: Dockerfile,
    pub stages: Vec<Stage>,
    /// The stage built.
    pub stage: usize,
    /// Where the compose file says `build`.
    pub loc: Loc,
    /// Where the compose file says `context` (or `build`).
    pub ctx_loc: Loc,
    pub ignore: Option<DockerIgnore>,
}

pub(super) fn read_small(p: &Path) -> Option<String> {
    crate::domain::textfile::read(p, MAX_TEXT).ok()
}

pub(super) fn check(cx: &Cx, out: &mut Vec<Finding>) {
    let mut sources_seen: HashSet<(PathBuf, usize)> = HashSet::new();
    let mut unreadable_seen: HashSet<PathBuf> = HashSet::new();
    // A missing entrypoint fails the build once, whichever service builds it.
    let mut missing_seen: HashSet<(String, u32)> = HashSet::new();
    for (name, svc) in cx.services() {
        let Some(build) = svc.get("build") else {
            continue;
        };
        let Some(b) = resolve(cx, name, build, out) else {
            continue;
        };
        if cx.on("compose/build-last-stage") {
            last_stage(cx, name, svc, &b, out);
        }
        let program_sources = program(
            cx,
            name,
            svc,
            &b,
            &mut unreadable_seen,
            &mut missing_seen,
            out,
        );
        if (cx.on("compose/dockerfile-missing-source")
            || cx.on("compose/dockerfile-ignored-source"))
            && sources_seen.insert((b.ctx.join(&b.df_shown), b.stage))
        {
            sources(cx, name, &b, &program_sources, out);
        }
    }
}

/// Every active service's local build, with the stage `build-last-stage`
/// says it should build instead (when one is clear), for the rule families
/// that look inside what is built.
pub(super) fn builds<'a>(cx: &Cx<'a>) -> Vec<(&'a String, &'a Node, Build, Option<usize>)> {
    let mut out = Vec::new();
    for (name, svc) in cx.services() {
        let Some(b) = svc
            .get("build")
            .and_then(|build| resolve(cx, name, build, &mut Vec::new()))
        else {
            continue;
        };
        let suggested = last_stage(cx, name, svc, &b, &mut Vec::new());
        out.push((name, svc, b, suggested));
    }
    out
}

fn resolve(cx: &Cx, name: &str, build: &Node, out: &mut Vec<Finding>) -> Option<Build> {
    let project = cx.project;
    let ctx_node = build.get("context");
    let ctx_written = ctx_node.and_then(Node::as_str).unwrap_or(".");
    if is_remote(ctx_written) {
        return None;
    }
    let ctx_loc = ctx_node
        .map(|n| n.loc.clone())
        .unwrap_or_else(|| build.loc.clone());
    let ctx = project.resolve(ctx_written, &ctx_loc);
    if build.get("dockerfile_inline").is_some() {
        return None;
    }
    let df_written = build
        .get("dockerfile")
        .and_then(Node::as_str)
        .unwrap_or("Dockerfile");
    let df_path = ctx.join(df_written);
    // A missing Dockerfile is compose/missing-path's finding.
    let text = read_small(&df_path)?;
    let df = Dockerfile::parse(&text);
    let stages = df.stages();
    if stages.is_empty() {
        return None;
    }
    let df_shown = cx.rel(&df_path);
    let loc = build
        .get("dockerfile")
        .map(|n| n.loc.clone())
        .or_else(|| build.key_loc.clone())
        .unwrap_or_else(|| build.loc.clone());
    let stage = match build.get("target") {
        Some(t) => {
            let target = t.scalar_text().unwrap_or_default();
            match df.stage_named(&target) {
                Some(s) => s.index,
                None => {
                    if cx.on("compose/build-unknown-target") {
                        let names: Vec<String> =
                            stages.iter().filter_map(|s| s.name.clone()).collect();
                        out.push(
                            at(&t.loc, "compose/build-unknown-target", format!("service `{name}`: build target `{target}` is not a stage of {df_shown}"))
                                .expected_actual(format!("one of: {}", names.join(", ")), target.clone())
                                .hint("name a stage declared with `FROM … AS <name>`"),
                        );
                    }
                    return None;
                }
            }
        }
        None => stages.len() - 1,
    };
    let ignore = DockerIgnore::for_build(&ctx, &df_path);
    Some(Build {
        ctx,
        ctx_loc,
        df_shown,
        df,
        stages,
        stage,
        loc,
        ignore,
    })
}

/// Whether the image a service builds declares a `HEALTHCHECK` (the
/// built stage's, inherited through `FROM <stage>`): its Dockerfile and line.
pub(super) fn image_healthcheck(cx: &Cx, name: &str, svc: &Node) -> Option<(String, u32)> {
    let b = resolve(cx, name, svc.get("build")?, &mut Vec::new())?;
    b.df.healthcheck(b.stage).map(|l| (b.df_shown.clone(), l))
}

fn tokens(s: &str) -> Vec<String> {
    s.to_ascii_lowercase()
        .split(['-', '_', '.'])
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .collect()
}

/// Whether a stage name and a service name speak of the same thing
/// (`celery` ~ `celery-worker`, `api` ~ `api`).
fn names_match(stage: &str, service: &str) -> bool {
    let (st, sv) = (stage.to_ascii_lowercase(), service.to_ascii_lowercase());
    st == sv || tokens(service).contains(&st) || tokens(stage).contains(&sv)
}

/// Stages no other stage builds on or copies from.
pub(super) fn final_stages(df: &Dockerfile, stages: &[Stage]) -> Vec<usize> {
    let mut used = HashSet::new();
    for s in stages {
        used.extend(df.needed(s.index).into_iter().filter(|i| *i != s.index));
    }
    stages
        .iter()
        .map(|s| s.index)
        .filter(|i| !used.contains(i))
        .collect()
}

/// Reports a service that gets the last stage by default although another
/// final stage is its own; returns the stage it should build, when one is clear.
fn last_stage(cx: &Cx, name: &str, svc: &Node, b: &Build, out: &mut Vec<Finding>) -> Option<usize> {
    if svc.get("build").and_then(|x| x.get("target")).is_some() {
        return None;
    }
    let finals = final_stages(&b.df, &b.stages);
    let last = &b.stages[b.stage];
    if finals.len() < 2 || !finals.contains(&last.index) {
        return None;
    }
    let last_name = last.name.as_deref()?;
    let others: Vec<&Stage> = finals
        .iter()
        .filter(|i| **i != last.index)
        .map(|i| &b.stages[*i])
        .collect();
    // Evidence that the last stage is not this service's: a final stage
    // named like this service, or the last one named like another service.
    let named = others
        .iter()
        .find(|s| s.name.as_deref().is_some_and(|n| names_match(n, name)));
    let belongs_elsewhere = !names_match(last_name, name)
        && cx
            .project
            .services()
            .any(|(other, _)| other != name && names_match(last_name, other));
    if named.is_none() && !belongs_elsewhere {
        return None;
    }
    // The stage to suggest: the one named like the service, else the only other.
    let mine = named.or_else(|| (others.len() == 1).then(|| &others[0]));
    let list: Vec<String> = others
        .iter()
        .map(|s| format!("`{}` (:{})", s.label(), s.line))
        .collect();
    let mut f = at(
        &b.loc,
        "compose/build-last-stage",
        format!(
            "service `{name}` builds {} without `target`, so it gets the last stage `{last_name}` ({}:{}); the file's other final stage{}: {}",
            b.df_shown,
            b.df_shown,
            last.line,
            if others.len() > 1 { "s" } else { "" },
            list.join(", ")
        ),
    )
    .expected_actual(
        format!(
            "build.target: {}",
            mine.map(|s| s.label())
                .unwrap_or_else(|| "<the stage for this service>".into())
        ),
        format!("no target (stage `{last_name}`)"),
    )
    .hint(match mine {
        Some(s) => format!("add `target: {}` under `build:` of `{name}`", s.label()),
        None => format!("add `target:` under `build:` of `{name}` naming its stage"),
    })
    .related(&b.df_shown, Some(last.line), format!("last stage `{last_name}`, built by default"));
    for s in &others {
        f = f.related(
            &b.df_shown,
            Some(s.line),
            format!("final stage `{}`", s.label()),
        );
    }
    out.push(f);
    mine.map(|s| s.index)
}

/// Where in the context an in-image path comes from: the COPY (in `chain`)
/// that puts it there and the source path relative to the context.
pub(super) fn source_of<'a>(
    b: &Build,
    copies: &'a [Copy],
    chain: &[usize],
    prog: &str,
) -> Option<(String, &'a Copy)> {
    let mut found = None;
    for c in copies.iter().filter(|c| chain.contains(&c.stage)) {
        for s in &c.sources {
            let base = Path::new(s)
                .file_name()
                .and_then(|b| b.to_str())
                .unwrap_or(s);
            let dest = c.dest.trim_end_matches('/');
            let into_dir = c.dest.ends_with('/') || c.sources.len() > 1 || dest == ".";
            let prog_rel = prog.trim_start_matches("./");
            let same_file =
                prog == c.dest || (!into_dir && prog_rel == dest.trim_start_matches("./"));
            let into = into_dir
                && (prog.trim_end_matches('/') == format!("{dest}/{base}")
                    || (dest == "." && prog_rel == base));
            if same_file || into {
                found = Some((s.trim_start_matches("./").to_string(), c));
            } else if let Some(rest) = prog.strip_prefix(&format!("{dest}/"))
                && b.ctx.join(s).is_dir()
            {
                let src = format!("{}/{rest}", s.trim_end_matches('/'));
                found = Some((src.trim_start_matches("./").to_string(), c));
            }
        }
    }
    found
}

/// Wrappers that run their arguments (`tini -- prog`).
const WRAPPERS: &[&str] = &["tini", "dumb-init", "gosu", "su-exec", "catatonit"];
/// Interpreters that read a script (no execute bit needed).
const SHELLS: &[&str] = &["sh", "bash", "dash", "ash", "zsh"];

fn base_name(p: &str) -> &str {
    p.rsplit('/').next().unwrap_or(p)
}

/// The script a command line runs and the arguments it gets:
/// (program, args, run by an interpreter).
pub(super) fn split_program(words: &[String]) -> Option<(String, Vec<String>, bool)> {
    let mut i = 0;
    while let Some(w) = words.get(i) {
        let b = base_name(w);
        if WRAPPERS.contains(&b) {
            i += 1;
            // gosu/su-exec take a user first.
            if b == "gosu" || b == "su-exec" {
                i += 1;
            }
            while words.get(i).is_some_and(|w| w.starts_with('-')) {
                i += 1;
            }
            continue;
        }
        if SHELLS.contains(&b) || b == "env" {
            let mut j = i + 1;
            while let Some(a) = words.get(j) {
                if a == "-c" {
                    return None; // a command string: not a script with arguments
                }
                if a.starts_with('-') || (b == "env" && a.contains('=')) {
                    j += 1;
                    continue;
                }
                break;
            }
            let script = words.get(j)?.clone();
            return Some((script, words[j + 1..].to_vec(), SHELLS.contains(&b)));
        }
        return Some((w.clone(), words[i + 1..].to_vec(), false));
    }
    None
}

/// Checks the program the container starts; returns the context sources of
/// programs it reported missing (so the COPY is not reported twice).
fn program(
    cx: &Cx,
    name: &str,
    svc: &Node,
    b: &Build,
    unreadable_seen: &mut HashSet<PathBuf>,
    missing_seen: &mut HashSet<(String, u32)>,
    out: &mut Vec<Finding>,
) -> HashSet<String> {
    let mut reported = HashSet::new();
    let stage = &b.stages[b.stage];
    let (img_ep, img_cmd) = b.df.entrypoint_cmd(b.stage);
    let compose_ep = svc.get("entrypoint");
    let compose_cmd = svc.get("command");
    // (words, where written: compose loc or Dockerfile command)
    let ep: Option<(Vec<String>, Option<Loc>, Option<&Command>)> = match compose_ep {
        Some(n) => command_words(n).map(|w| (w, Some(n.loc.clone()), None)),
        None => match &img_ep {
            Some(
                c @ Command {
                    form: Form::Exec(w),
                    ..
                },
            ) => Some((w.clone(), None, Some(c))),
            Some(
                c @ Command {
                    form: Form::Shell(s),
                    ..
                },
            ) => {
                // `/bin/sh -c TEXT`: arguments never reach it.
                let first = s.split_whitespace().next().unwrap_or_default().to_string();
                Some((vec![first], None, Some(c)))
            }
            None => None,
        },
    };
    let ep_is_shell_form = compose_ep.is_none()
        && matches!(
            &img_ep,
            Some(Command {
                form: Form::Shell(_),
                ..
            })
        );
    let cmd: Option<(Vec<String>, Option<Loc>, Option<&Command>)> = match compose_cmd {
        Some(n) => command_words(n).map(|w| (w, Some(n.loc.clone()), None)),
        // An `entrypoint:` in compose drops the image's CMD.
        None if compose_ep.is_some() => None,
        None => match &img_cmd {
            Some(
                c @ Command {
                    form: Form::Exec(w),
                    ..
                },
            ) => Some((w.clone(), None, Some(c))),
            Some(
                c @ Command {
                    form: Form::Shell(s),
                    ..
                },
            ) => Some((
                vec!["/bin/sh".into(), "-c".into(), s.clone()],
                None,
                Some(c),
            )),
            None => None,
        },
    };
    let (words, from_ep) = match (&ep, &cmd) {
        (Some((e, ..)), Some((c, ..))) if !ep_is_shell_form => {
            ([e.clone(), c.clone()].concat(), true)
        }
        (Some((e, ..)), _) => (e.clone(), true),
        (None, Some((c, ..))) => (c.clone(), false),
        (None, None) => return reported,
    };
    let Some((prog, args, interpreted)) = split_program(&words) else {
        return reported;
    };
    let prog_line = if from_ep {
        ep.as_ref().and_then(|e| e.2).map(|c| c.line)
    } else {
        cmd.as_ref().and_then(|c| c.2).map(|c| c.line)
    };
    let prog_where = if from_ep { "ENTRYPOINT" } else { "CMD" };
    let chain = b.df.chain(b.stage);
    let copies = b.df.copies();
    let Some((src, copy)) = source_of(b, &copies, &chain, &prog) else {
        return reported;
    };
    let full = b.ctx.join(&src);
    let shown_src = cx.rel(&full);
    // Locate the finding at the Dockerfile instruction, or at the compose
    // value when compose sets the program.
    let locate = |code: &str, msg: String| -> Finding {
        let compose_loc = if from_ep {
            ep.as_ref().and_then(|e| e.1.clone())
        } else {
            cmd.as_ref().and_then(|c| c.1.clone())
        };
        match (compose_loc, prog_line) {
            (Some(l), _) => at(&l, code, msg),
            (None, Some(line)) => at_file(&b.df_shown, line, code, msg),
            (None, None) => at(&b.loc, code, msg),
        }
        .related(
            &b.df_shown,
            Some(copy.line),
            format!("COPY of {src} into the image"),
        )
        .related(
            &b.df_shown,
            Some(stage.line),
            format!("stage `{}` that service `{name}` builds", stage.label()),
        )
    };
    let meta = match std::fs::metadata(&full) {
        Err(_) => {
            reported.insert(src.clone());
            if cx.on("compose/entrypoint-missing")
                && missing_seen.insert((b.df_shown.clone(), copy.line))
            {
                // The build stops at the COPY; the ENTRYPOINT is why it matters.
                let mut f = at_file(
                    &b.df_shown,
                    copy.line,
                    "compose/entrypoint-missing",
                    format!("{}:{}: the {prog_where} of stage `{}` runs {prog}, copied from {shown_src}, which is not in the build context: the image build fails (service `{name}`)", b.df_shown, copy.line, stage.label()),
                )
                .expected_actual(format!("{shown_src} to exist"), "missing")
                .hint(format!("add {shown_src} (with a #! line) and make it executable"));
                if let Some(l) = prog_line {
                    f = f.related(
                        &b.df_shown,
                        Some(l),
                        format!("{prog_where} of stage `{}`", stage.label()),
                    );
                }
                f = f
                    .related(
                        &b.df_shown,
                        Some(stage.line),
                        format!("stage `{}` that service `{name}` builds", stage.label()),
                    )
                    .related(
                        b.loc.file.to_string(),
                        Some(b.loc.line),
                        format!("service `{name}` builds it"),
                    );
                out.push(f);
            }
            return reported;
        }
        Ok(m) => m,
    };
    if !meta.is_file() {
        return reported;
    }
    if !interpreted
        && cx.on("compose/entrypoint-not-executable")
        && meta.permissions().mode() & 0o111 == 0
    {
        let runs = b.df.runs_in(&chain);
        let parents: Vec<&str> = prog
            .match_indices('/')
            .map(|(i, _)| &prog[..i])
            .filter(|p| p.len() > 1)
            .collect();
        let chmodded = copy.chmod_exec()
            || runs.iter().any(|(r, line)| {
                *line > copy.line
                    && r.contains("chmod")
                    && (r.contains(prog.as_str())
                        || r.contains(base_name(&prog))
                        || parents.iter().any(|p| r.contains(p)))
            });
        if !chmodded {
            out.push(
                locate(
                    "compose/entrypoint-not-executable",
                    format!("service `{name}`: the {prog_where} of stage `{}` runs {prog}, but {shown_src} has no execute bit and nothing in the stage sets one", stage.label()),
                )
                .expected_actual("an execute bit (chmod +x in the repository, COPY --chmod=755, or RUN chmod +x after the COPY)", "mode without x")
                .hint(format!("chmod +x {shown_src} and commit the mode, or COPY --chmod=755")),
            );
        }
    }
    if ep_is_shell_form || !from_ep {
        return reported; // arguments do not reach a shell-form ENTRYPOINT
    }
    let Some(text) = read_small(&full) else {
        return reported;
    };
    let first_line = text.lines().next().unwrap_or_default();
    let shell = if first_line.starts_with("#!") {
        SHELLS.iter().any(|s| first_line.contains(s))
    } else {
        src.ends_with(".sh")
    };
    if !shell {
        return reported;
    }
    let first = args.first().map(String::as_str);
    let arg_loc = cmd.as_ref().and_then(|c| c.1.clone());
    let arg_df_line = cmd.as_ref().and_then(|c| c.2).map(|c| c.line);
    match entrypoint::recognise(&text) {
        Dispatch::Case(d) => {
            let verdict = d.judge(first);
            let (arm, exit_line) = match &verdict {
                Verdict::Rejected(a) => (Some(*a), a.exit),
                Verdict::Unmatched => (None, None),
                _ => return reported,
            };
            if !cx.on("compose/command-rejected") {
                return reported;
            }
            let word = first
                .map(|w| format!("`{w}`"))
                .unwrap_or_else(|| "no argument".into());
            let shown_cmd = if args.is_empty() {
                "no command".to_string()
            } else {
                format!("command `{}`", args.join(" "))
            };
            let accepted = d.accepted_words();
            let what = match arm {
                Some(a) => format!(
                    "{word} matches `{})` at {shown_src}:{}, which exits{}",
                    a.patterns.join("|"),
                    a.line,
                    exit_line
                        .map(|l| format!(" with an error at :{l}"))
                        .unwrap_or_default()
                ),
                None => format!(
                    "{word} matches no arm and the script does not run its arguments afterwards"
                ),
            };
            let msg = format!(
                "service `{name}`: {shown_cmd} goes to {prog} (the ENTRYPOINT of stage `{}`), whose `case` at {shown_src}:{} accepts {}; {what}: the container exits at once",
                stage.label(),
                d.line,
                if accepted.is_empty() {
                    "nothing".to_string()
                } else {
                    accepted.join(", ")
                },
            );
            let mut f = match (&arg_loc, arg_df_line) {
                (Some(l), _) => at(l, "compose/command-rejected", msg),
                (None, Some(line)) => at_file(&b.df_shown, line, "compose/command-rejected", msg),
                (None, None) => match prog_line {
                    Some(line) => at_file(&b.df_shown, line, "compose/command-rejected", msg),
                    None => at(&b.loc, "compose/command-rejected", msg),
                },
            };
            if arm.is_none() && verdict == Verdict::Unmatched {
                f = f.severity(crate::report::Severity::High);
            }
            f = f
                .expected_actual(
                    format!("a first argument the script accepts ({})", accepted.join(", ")),
                    first.unwrap_or("(none)").to_string(),
                )
                .hint(format!(
                    "give `{name}` a command the entrypoint accepts (e.g. `command: [\"{}\"]`), or build the stage whose entrypoint runs `{}`",
                    accepted.first().copied().unwrap_or("…"),
                    first.unwrap_or("…")
                ))
                .related(&shown_src, Some(d.line), "case on the first argument");
            if let Some(a) = arm {
                f = f.related(
                    &shown_src,
                    Some(a.line),
                    format!("arm `{})`", a.patterns.join("|")),
                );
            }
            if let Some(l) = exit_line {
                f = f.related(&shown_src, Some(l), "exit with an error");
            }
            if let Some(l) = prog_line {
                f = f.related(
                    &b.df_shown,
                    Some(l),
                    format!("ENTRYPOINT of stage `{}`", stage.label()),
                );
            }
            f = f.related(
                &b.df_shown,
                Some(stage.line),
                format!("stage `{}` that service `{name}` builds", stage.label()),
            );
            out.push(f);
        }
        Dispatch::Unreadable { line, reason } => {
            if cx.on("compose/entrypoint-unreadable") && unreadable_seen.insert(full.clone()) {
                out.push(
                    at_file(&shown_src, line, "compose/entrypoint-unreadable", format!("{shown_src} dispatches on its first argument in a way readyctl does not follow ({reason}); the commands given to it are not judged"))
                        .hint("nothing to fix if the script is right; a plain top-level `case \"$1\" in` is what readyctl can check"),
                );
            }
        }
        Dispatch::None { .. } => {}
    }
    reported
}

fn sources(cx: &Cx, name: &str, b: &Build, skip: &HashSet<String>, out: &mut Vec<Finding>) {
    let needed = b.df.needed(b.stage);
    let stage = &b.stages[b.stage];
    for c in b.df.copies().iter().filter(|c| needed.contains(&c.stage)) {
        for s in &c.sources {
            if s.contains(['*', '?', '[', '$']) || skip.contains(s.trim_start_matches("./")) {
                continue;
            }
            let full = b.ctx.join(s);
            let in_stage = &b.stages[c.stage];
            let via = if c.stage == stage.index {
                format!("stage `{}`", stage.label())
            } else {
                format!(
                    "stage `{}`, which stage `{}` needs",
                    in_stage.label(),
                    stage.label()
                )
            };
            if !full.exists() {
                if cx.on("compose/dockerfile-missing-source") {
                    out.push(
                        at_file(&b.df_shown, c.line, "compose/dockerfile-missing-source", format!("{}:{}: COPY/ADD source {s} is not in the build context ({via}; service `{name}`)", b.df_shown, c.line))
                            .expected_actual(format!("{} to exist", cx.rel(&full)), "missing")
                            .hint(format!("add {s} to the repository (build context {}), or fix the COPY line", cx.rel(&b.ctx)))
                            .related(b.loc.file.to_string(), Some(b.loc.line), format!("service `{name}` builds it"))
                            .related(&b.df_shown, Some(in_stage.line), format!("stage `{}`", in_stage.label())),
                    );
                }
                continue;
            }
            if let Some(ig) = &b.ignore
                && let Some(line) = ig.excludes(s, full.is_dir())
                && cx.on("compose/dockerfile-ignored-source")
            {
                let ig_shown = cx.rel(&ig.path);
                out.push(
                    at_file(&b.df_shown, c.line, "compose/dockerfile-ignored-source", format!("{}:{}: COPY/ADD source {s} is excluded from the build context by {ig_shown}:{line} ({via}; service `{name}`)", b.df_shown, c.line))
                        .expected_actual(format!("{s} in the build context"), format!("excluded by {ig_shown}:{line}"))
                        .hint(format!("add `!{s}` after line {line} of {ig_shown}, or stop copying it"))
                        .related(&ig_shown, Some(line), "pattern that excludes it")
                        .related(b.loc.file.to_string(), Some(b.loc.line), format!("service `{name}` builds it")),
                );
            }
        }
    }
}
