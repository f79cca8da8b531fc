//! `env_file:` read into each service's `environment`, and `KEY:` entries
//! with no value filled from the project environment, as docker compose
//! resolves a service's environment (compose-go `ResolveEnvironment`):
//!
//! 1. the env files, in order, each parsed by [`crate::domain::envfile`];
//!    a `${VAR}` or bare `KEY` inside one is looked up in the service's own
//!    `environment`, then in the earlier env files, then in the project
//!    environment (shell over `.env`), then in the same file;
//! 2. the service's `environment` overrides them, each `KEY:` with no value
//!    first taken from the project environment — and when it has none there,
//!    it stays unset (null), hiding an env file's value, as compose does;
//! 3. `build.args` entries with no value are taken from the project
//!    environment, and dropped when it has none.
//!
//! Every value keeps the file, line and column it came from (an env file's
//! line for values from env files). A missing env file is an error unless
//! its long form says `required: false`.

use std::collections::HashMap;
use std::sync::Arc;

use super::yaml::{Loc, Node, Value};
use super::{Loader, normalize};
use crate::diag::{Diagnostic, Diagnostics};
use crate::domain::envfile::EnvFile;

/// Applies env files and the environment to every service.
/// Missing or unparsable env files go to `errors` (docker compose refuses
/// the project; the check kinds have rules of their own for them).
pub(super) fn apply(
    l: &mut Loader<'_>,
    model: &mut Node,
    env: &HashMap<String, String>,
    errors: &mut Diagnostics,
) {
    let Some(services) = model
        .as_map_mut()
        .and_then(|m| m.get_mut("services"))
        .and_then(Node::as_map_mut)
    else {
        return;
    };
    for svc in services.values_mut() {
        service(l, svc, env, errors);
    }
}

fn service(
    l: &mut Loader<'_>,
    svc: &mut Node,
    env: &HashMap<String, String>,
    errors: &mut Diagnostics,
) {
    let Some(map) = svc.as_map_mut() else { return };
    let own: HashMap<String, String> = map
        .get("environment")
        .and_then(Node::as_map)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| v.scalar_text().map(|t| (k.clone(), t)))
                .collect()
        })
        .unwrap_or_default();
    let mut from_files: crate::compose::yaml::Map = Default::default();
    let files: Vec<(String, bool, Loc)> = match map.get("env_file") {
        None => Vec::new(),
        Some(n) => {
            let items: Vec<&Node> = match &n.value {
                Value::Seq(s) => s.iter().collect(),
                _ => vec![n],
            };
            items
                .into_iter()
                .filter_map(|i| match &i.value {
                    Value::Map(m) => {
                        let path = m.get("path").and_then(Node::scalar_text)?;
                        let required = !matches!(
                            m.get("required").map(|r| &r.value),
                            Some(Value::Bool(false))
                        );
                        Some((path, required, i.loc.clone()))
                    }
                    _ => i.scalar_text().map(|p| (p, true, i.loc.clone())),
                })
                .collect()
        }
    };
    for (written, required, loc) in files {
        let path = {
            let p = std::path::Path::new(&written);
            if p.is_absolute() {
                p.to_path_buf()
            } else {
                let base = if l.extended_files.contains(&loc.file) {
                    l.sources
                        .get(&loc.file)
                        .and_then(|p| p.parent())
                        .map(std::path::Path::to_path_buf)
                        .unwrap_or_default()
                } else {
                    l.project_dir.clone()
                };
                normalize(&base.join(p))
            }
        };
        if !path.is_file() {
            if required {
                errors.push(
                    Diagnostic::new(
                        "compose/env-file",
                        format!("env file {} not found", path.display()),
                    )
                    .at(loc.to_diag())
                    .label("no such file")
                    .hint("env_file paths are relative to the project directory; write `{path: FILE, required: false}` for an optional one"),
                );
            }
            continue;
        }
        let earlier: HashMap<String, String> = from_files
            .iter()
            .filter_map(|(k, v)| v.scalar_text().map(|t| (k.clone(), t)))
            .collect();
        let lookup = |k: &str| {
            own.get(k)
                .or_else(|| earlier.get(k))
                .or_else(|| env.get(k))
                .cloned()
        };
        let shown: Arc<str> = l.display(&path);
        match EnvFile::read_with(&path, &lookup) {
            Ok(f) => {
                for e in f.entries {
                    let at = Loc {
                        file: shown.clone(),
                        line: e.line,
                        column: e.column,
                    };
                    let mut v = Node::at(Value::Str(e.value), at.clone());
                    v.key_loc = Some(at);
                    from_files.shift_remove(&e.key);
                    from_files.insert(e.key, v);
                }
            }
            Err(e) => {
                errors.push(
                    Diagnostic::new("compose/env-file", format!("{shown}: {}", e.message))
                        .at(e.line.map(|line| crate::diag::Location {
                            file: shown.clone(),
                            line,
                            column: 1,
                        }))
                        .hint("env files hold KEY=value lines; quote values with spaces"),
                );
            }
        }
    }
    let environment = map.get_mut("environment");
    let has_env = environment.is_some();
    let mut merged = from_files;
    if let Some(n) = environment {
        if let Some(m) = n.as_map() {
            for (k, v) in m {
                let mut v = v.clone();
                if matches!(v.value, Value::Null)
                    && let Some(val) = env.get(k)
                {
                    v.value = Value::Str(val.clone());
                }
                merged.shift_remove(k);
                merged.insert(k.clone(), v);
            }
        }
        if !merged.is_empty() || n.as_map().is_some() {
            n.value = Value::Map(merged);
        }
    } else if !merged.is_empty() {
        let mut n = Node::synthetic(Value::Map(merged));
        n.loc = map
            .get("env_file")
            .map(|e| e.loc.clone())
            .unwrap_or_default();
        map.insert("environment".to_string(), n);
    }
    let _ = has_env;
    if let Some(args) = map
        .get_mut("build")
        .and_then(Node::as_map_mut)
        .and_then(|b| b.get_mut("args"))
        .and_then(Node::as_map_mut)
    {
        args.retain(|k, v| {
            if matches!(v.value, Value::Null) {
                match env.get(k) {
                    Some(val) => {
                        v.value = Value::Str(val.clone());
                        true
                    }
                    None => false,
                }
            } else {
                true
            }
        });
    }
}
