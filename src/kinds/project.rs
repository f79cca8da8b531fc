//! The compose project as the kinds that read it (`compose`, `compose_env`)
//! load it, and how they place a finding in it — shared, so neither kind
//! imports the other.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use super::{Outcome, RunContext};
use crate::compose::LoadOptions;
use crate::compose::yaml::Loc;
use crate::report::Finding;

/// Whether loaded projects are kept until the process exits (see
/// [`keep_until_exit`]).
static KEEP_UNTIL_EXIT: AtomicBool = AtomicBool::new(false);

/// Keeps every project loaded from now on until the process exits, instead
/// of freeing its tree when the run ends: for a one-shot `readyctl check`,
/// whose process exits right after the report, freeing a 200-service tree
/// node by node was 4% of the run's instructions (3.3 M of 77 M) and frees
/// nothing anyone uses. Only the `check` command calls it; `serve` runs
/// again and again in one process and must free each run's projects.
pub(crate) fn keep_until_exit() {
    KEEP_UNTIL_EXIT.store(true, Ordering::Relaxed);
}

/// Loads the project a compose-reading check names; an unloadable project
/// becomes an `error` outcome with one located finding per problem.
pub(crate) fn load_project(
    cx: &RunContext,
    files: &[PathBuf],
    env_files: &[PathBuf],
    process_env: bool,
) -> super::LoadedProject {
    let files: Vec<PathBuf> = files.iter().map(|f| cx.path(f)).collect();
    let env_files: Vec<PathBuf> = env_files.iter().map(|f| cx.path(f)).collect();
    let slot = cx
        .compose_projects
        .slot((files.clone(), env_files.clone(), process_env));
    slot.get_or_init(|| load_uncached(cx, files, env_files, process_env))
        .clone()
}

fn load_uncached(
    cx: &RunContext,
    files: Vec<PathBuf>,
    env_files: Vec<PathBuf>,
    process_env: bool,
) -> super::LoadedProject {
    let opts = LoadOptions {
        files,
        env_files,
        process_env,
        display_base: Some(cx.root.clone()),
        workdir: Some(cx.root.clone()),
        // Every service stays in the model; the rules judge profiles
        // themselves (the spec's `profiles` and COMPOSE_PROFILES).
        profiles: vec!["*".to_string()],
        ..Default::default()
    };
    crate::compose::load(&opts)
        .map(|p| {
            let p = Arc::new(p);
            if KEEP_UNTIL_EXIT.load(Ordering::Relaxed) {
                // One reference that is never dropped: the last check's
                // drop then only decrements (see `keep_until_exit`).
                std::mem::forget(Arc::clone(&p));
            }
            p
        })
        .map_err(|d| {
            let findings: Vec<Finding> = d
                .items
                .iter()
                .map(|i| {
                    let mut f = Finding::new(i.message.clone()).code(i.code);
                    if let Some(l) = &i.location {
                        f = f.at(&*l.file, l.line, l.column);
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

/// A finding at `loc` (file, line and column when known) with a code.
pub(crate) fn finding_at(loc: &Loc, code: &str, msg: impl Into<String>) -> Finding {
    let f = Finding::new(msg).code(code);
    if loc.line > 0 {
        f.at(loc.file.to_string(), loc.line, loc.column)
    } else if !loc.file.is_empty() {
        f.at_file(loc.file.to_string())
    } else {
        f
    }
}
