//! The compose project as the kinds that read it (`compose`, `compose_env`)
//! load it, and how they place a finding in it — shared, so neither kind
//! imports the other.

use std::path::PathBuf;
use std::sync::Arc;

use super::{Outcome, RunContext};
use crate::compose::LoadOptions;
use crate::compose::yaml::Loc;
use crate::report::Finding;

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
    crate::compose::load(&opts).map(Arc::new).map_err(|d| {
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
