//! The check graph: unique ids, known dependencies and targets, no cycles.

use std::collections::HashMap;

use indexmap::IndexMap;

use super::{CheckDef, Target};
use crate::diag::{Diagnostic, Diagnostics, did_you_mean};

pub(super) fn validate_graph(
    checks: &[CheckDef],
    targets: &IndexMap<String, Target>,
    diags: &mut Diagnostics,
) {
    let mut first: HashMap<&str, &CheckDef> = HashMap::new();
    for c in checks {
        if let Some(prev) = first.get(&*c.id) {
            diags.push(
                Diagnostic::new(
                    "catalogue/duplicate-id",
                    format!("duplicate check id `{}`", c.id),
                )
                .at(Some(c.location.clone()))
                .hint(format!("first defined at {}", prev.location)),
            );
        } else {
            first.insert(&c.id, c);
        }
    }
    for c in checks {
        for d in &c.depends_on {
            if !first.contains_key(d.as_str()) {
                let hint = did_you_mean(d, first.keys().copied())
                    .map(|s| format!("did you mean `{s}`?"))
                    .unwrap_or_else(|| "`depends_on` takes ids of checks in this catalogue".into());
                diags.push(
                    Diagnostic::new(
                        "catalogue/unknown-dependency",
                        format!("check `{}` depends on unknown check `{d}`", c.id),
                    )
                    .at(Some(c.location.clone()))
                    .hint(hint),
                );
            }
        }
        for t in c.check.targets() {
            if !targets.contains_key(&t) {
                let hint = did_you_mean(&t, targets.keys().map(String::as_str))
                    .map(|s| format!("did you mean `{s}`?"))
                    .unwrap_or_else(|| "define it under `targets:`".into());
                diags.push(
                    Diagnostic::new(
                        "catalogue/unknown-target",
                        format!("check `{}` uses unknown target `{t}`", c.id),
                    )
                    .at(Some(c.location.clone()))
                    .hint(hint),
                );
            }
        }
    }
    // Cycles: iterative DFS with colours.
    let mut index: HashMap<&str, usize> = HashMap::new();
    for (i, c) in checks.iter().enumerate() {
        index.entry(&*c.id).or_insert(i);
    }
    let mut colour = vec![0u8; checks.len()];
    for start in 0..checks.len() {
        if colour[start] != 0 {
            continue;
        }
        let mut stack: Vec<(usize, usize)> = vec![(start, 0)];
        colour[start] = 1;
        while let Some((node, next)) = stack.pop() {
            let deps = &checks[node].depends_on;
            if next < deps.len() {
                stack.push((node, next + 1));
                if let Some(&d) = index.get(deps[next].as_str()) {
                    match colour[d] {
                        0 => {
                            colour[d] = 1;
                            stack.push((d, 0));
                        }
                        1 => {
                            let pos = stack.iter().position(|(n, _)| *n == d).unwrap_or(0);
                            let mut cycle: Vec<&str> =
                                stack[pos..].iter().map(|(n, _)| &*checks[*n].id).collect();
                            cycle.push(&*checks[d].id);
                            diags.push(
                                Diagnostic::new(
                                    "catalogue/dependency-cycle",
                                    format!("dependency cycle: {}", cycle.join(" -> ")),
                                )
                                .at(Some(checks[d].location.clone()))
                                .hint("remove one `depends_on` entry to break the cycle"),
                            );
                        }
                        _ => {}
                    }
                }
            } else {
                colour[node] = 2;
            }
        }
    }
}
