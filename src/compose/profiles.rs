//! Profiles and pruning, as docker compose applies them after loading:
//!
//! - a service with no `profiles` is always active; one with profiles is
//!   active when one of them is enabled (`--profile`, `COMPOSE_PROFILES`;
//!   `*` enables all); inactive services are dropped from the model;
//! - an active service whose `depends_on` names a service that is not in the
//!   model (undefined, or dropped by its profile) is an error, unless that
//!   dependency says `required: false` (compose keeps such an entry);
//! - top-level `volumes`, `networks`, `secrets` and `configs` that no
//!   remaining service uses are dropped (compose-go's
//!   `WithoutUnnecessaryResources`).

use std::collections::HashSet;

use indexmap::IndexMap;

use super::yaml::{Node, Value};
use crate::diag::{Diagnostic, Diagnostics};

/// The profiles a service names.
fn service_profiles(svc: &Node) -> Vec<String> {
    svc.get("profiles")
        .and_then(Node::as_seq)
        .map(|s| s.iter().filter_map(Node::scalar_text).collect())
        .unwrap_or_default()
}

/// Every profile named by any service, sorted (`compose config --profiles`).
pub(crate) fn all(model: &Node) -> Vec<String> {
    let mut out: Vec<String> = model
        .get("services")
        .and_then(Node::as_map)
        .into_iter()
        .flat_map(|m| m.values())
        .flat_map(service_profiles)
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    out.sort();
    out
}

/// Drops inactive services and checks the dependencies of the others.
pub(crate) fn apply(model: &mut Node, active: &[String], diags: &mut Diagnostics) {
    let all_on = active.iter().any(|p| p == "*");
    let Some(services) = model
        .as_map_mut()
        .and_then(|m| m.get_mut("services"))
        .and_then(Node::as_map_mut)
    else {
        return;
    };
    services.retain(|_, svc| {
        let p = service_profiles(svc);
        p.is_empty() || all_on || p.iter().any(|x| active.contains(x))
    });
    let names: HashSet<String> = services.keys().cloned().collect();
    for (name, svc) in services.iter() {
        let Some(deps) = svc.get("depends_on").and_then(Node::as_map) else {
            continue;
        };
        for (dep, spec) in deps {
            let required = spec
                .get("required")
                .map(|r| !matches!(r.value, Value::Bool(false)))
                .unwrap_or(true);
            if required && !names.contains(dep) {
                let loc = spec.key_loc.clone().unwrap_or_else(|| spec.loc.clone());
                diags.push(
                    Diagnostic::new(
                        "compose/undefined-dependency",
                        format!("service `{name}` depends on undefined service `{dep}`"),
                    )
                    .at(loc.to_diag())
                    .hint(
                        "define the service, enable its profile (--profile or COMPOSE_PROFILES), or mark the dependency `required: false`",
                    ),
                );
            }
        }
    }
}

/// A short-syntax volume's source names a volume (not a path) when it does
/// not start like a path.
fn named_volume(source: &str) -> bool {
    // `d:/x` is a Windows drive path to compose, not volume `d`.
    let b = source.as_bytes();
    let drive = b.len() >= 3 && b[0].is_ascii_alphabetic() && b[1] == b':';
    !(source.is_empty()
        || source.starts_with(['.', '/', '~', '$'])
        || source.contains('\\')
        || drive)
}

/// Drops top-level resources no service uses.
pub(crate) fn prune(model: &mut Node) {
    let mut networks = HashSet::new();
    let mut volumes = HashSet::new();
    let mut secrets = HashSet::new();
    let mut configs = HashSet::new();
    let mut needs_default = false;
    if let Some(services) = model.get("services").and_then(Node::as_map) {
        for svc in services.values() {
            match svc.get("networks").and_then(Node::as_map) {
                Some(n) if !n.is_empty() => networks.extend(n.keys().cloned()),
                _ => {
                    if svc.get("network_mode").is_none() {
                        needs_default = true;
                    }
                }
            }
            for v in svc
                .get("volumes")
                .and_then(Node::as_seq)
                .unwrap_or_default()
            {
                let source = match &v.value {
                    Value::Str(s) => {
                        let parts = super::merge::split_volume(s);
                        (parts.len() > 1 && named_volume(&parts[0])).then(|| parts[0].clone())
                    }
                    Value::Map(m) => {
                        let ty = m.get("type").and_then(Node::as_str).unwrap_or("volume");
                        (ty == "volume")
                            .then(|| m.get("source").and_then(Node::scalar_text))
                            .flatten()
                    }
                    _ => None,
                };
                volumes.extend(source);
            }
            let refs = |attr: &str, out: &mut HashSet<String>, from: &Node| {
                for s in from.get(attr).and_then(Node::as_seq).unwrap_or_default() {
                    let name = match &s.value {
                        Value::Map(m) => m.get("source").and_then(Node::scalar_text),
                        _ => s.scalar_text(),
                    };
                    out.extend(name);
                }
            };
            refs("secrets", &mut secrets, svc);
            refs("configs", &mut configs, svc);
            if let Some(b) = svc.get("build") {
                refs("secrets", &mut secrets, b);
            }
        }
    }
    if needs_default {
        networks.insert("default".to_string());
    }
    let Some(top) = model.as_map_mut() else {
        return;
    };
    for (key, used) in [
        ("networks", &networks),
        ("volumes", &volumes),
        ("secrets", &secrets),
        ("configs", &configs),
    ] {
        if let Some(n) = top.get_mut(key) {
            if let Some(m) = n.as_map_mut() {
                m.retain(|name, _| used.contains(name));
            }
            if n.as_map().is_none_or(IndexMap::is_empty) {
                top.shift_remove(key);
            }
        }
    }
}

/// What docker compose checks once the project is assembled: every named
/// volume, network, secret and config a service uses is declared at the top
/// level, and `depends_on` has no cycle.
pub(crate) fn validate(model: &Node, diags: &mut Diagnostics) {
    let declared = |key: &str| -> HashSet<String> {
        model
            .get(key)
            .and_then(Node::as_map)
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default()
    };
    let (vols, nets, secs, cfgs) = (
        declared("volumes"),
        declared("networks"),
        declared("secrets"),
        declared("configs"),
    );
    let Some(services) = model.get("services").and_then(Node::as_map) else {
        return;
    };
    let undefined = |diags: &mut Diagnostics, svc: &str, what: &str, name: &str, at: &Node| {
        diags.push(
            Diagnostic::new(
                "compose/undefined-resource",
                format!("service `{svc}` refers to undefined {what} `{name}`"),
            )
            .at(at.loc.to_diag())
            .hint(format!("declare it under the top-level `{what}s:` key")),
        );
    };
    for (name, svc) in services {
        for v in svc
            .get("volumes")
            .and_then(Node::as_seq)
            .unwrap_or_default()
        {
            let source = match &v.value {
                Value::Str(s) => {
                    let parts = super::merge::split_volume(s);
                    (parts.len() > 1 && named_volume(&parts[0])).then(|| parts[0].clone())
                }
                Value::Map(m) => {
                    let ty = m.get("type").and_then(Node::as_str).unwrap_or("volume");
                    (ty == "volume")
                        .then(|| m.get("source").and_then(Node::scalar_text))
                        .flatten()
                }
                _ => None,
            };
            if let Some(s) = source
                && !vols.contains(&s)
            {
                undefined(diags, name, "volume", &s, v);
            }
        }
        if let Some(n) = svc.get("networks").and_then(Node::as_map) {
            for (net, at) in n {
                if net != "default" && !nets.contains(net) {
                    undefined(diags, name, "network", net, at);
                }
            }
        }
        for (attr, set, what) in [("secrets", &secs, "secret"), ("configs", &cfgs, "config")] {
            for s in svc.get(attr).and_then(Node::as_seq).unwrap_or_default() {
                let src = match &s.value {
                    Value::Map(m) => m.get("source").and_then(Node::scalar_text),
                    _ => s.scalar_text(),
                };
                if let Some(src) = src
                    && !set.contains(&src)
                {
                    undefined(diags, name, what, &src, s);
                }
            }
        }
    }
    // depends_on cycles (iterative DFS; colours: 1 in progress, 2 done).
    let mut colour: IndexMap<&str, u8> = IndexMap::new();
    for start in services.keys() {
        if colour.contains_key(start.as_str()) {
            continue;
        }
        let mut stack: Vec<(&str, Vec<&str>)> = vec![(start.as_str(), deps_of(services, start))];
        colour.insert(start.as_str(), 1);
        while let Some((node, pending)) = stack.last_mut() {
            match pending.pop() {
                Some(d) => match colour.get(d) {
                    Some(1) => {
                        let at = services.get(*node).and_then(|s| s.get("depends_on"));
                        diags.push(
                            Diagnostic::new(
                                "compose/dependency-cycle",
                                format!("`depends_on` forms a cycle through `{node}` and `{d}`"),
                            )
                            .at(at.and_then(|n| n.loc.to_diag()))
                            .hint("docker compose cannot order services that wait on each other"),
                        );
                        return;
                    }
                    Some(_) => {}
                    None => {
                        colour.insert(d, 1);
                        let next = deps_of(services, d);
                        stack.push((d, next));
                    }
                },
                None => {
                    colour.insert(node, 2);
                    stack.pop();
                }
            }
        }
    }
}

fn deps_of<'a>(services: &'a crate::compose::yaml::Map, name: &str) -> Vec<&'a str> {
    services
        .get(name)
        .and_then(|s| s.get("depends_on"))
        .and_then(Node::as_map)
        .map(|m| {
            m.keys()
                .map(String::as_str)
                .filter(|k| services.contains_key(*k))
                .collect()
        })
        .unwrap_or_default()
}
