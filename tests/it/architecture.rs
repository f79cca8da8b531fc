//! The layering `src/lib.rs` describes, proven on the source: no import
//! points up a layer, no two units import each other (directly or round a
//! cycle), no kind imports another kind, and only commands use renderers.
//!
//! Reads every `src/**/*.rs` file, drops comments and the `#[cfg(test)]`
//! module at the bottom (tests may reach anywhere), and resolves every
//! `crate::…`, `super::…` and grouped `use crate::{…}` path to a *unit*: a
//! top-level module, or for `cmd`, `kinds` and `report` the submodule.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Layers, top first. A unit may import its own layer's units (without a
/// cycle) and any lower layer's, never a higher one.
///
/// The report model sits above the support layer, not below it as a pure
/// data model would: settling a report (waivers, baseline) reads files
/// through `support` and masks through `redact`.
const LAYERS: &[(&str, &[&str])] = &[
    (
        "entry points, command line and commands",
        &["app", "cli", "cmd", "fuzzing"],
    ),
    ("runner", &["runner"]),
    ("catalogue", &["catalogue"]),
    ("kinds", &["kinds"]),
    ("report model", &["report", "exit"]),
    (
        "support",
        &["compose", "domain", "support", "tls", "redact", "diag"],
    ),
];

/// Modules inside `kinds/` that are shared by kinds rather than kinds
/// themselves: the registry and trait (`kinds`), named targets, the HTTP
/// client helpers, the Docker Engine connection, shared spec shapes and the
/// compose project loader.
const KIND_SHARED: &[&str] = &[
    "kinds",
    "kinds/target",
    "kinds/http_client",
    "kinds/docker_api",
    "kinds/spec",
    "kinds/project",
];

/// Modules split into units by their first submodule.
const SPLIT: &[&str] = &["cmd", "kinds", "report"];

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The module path of a source file: `src/kinds/compose/paths.rs` →
/// `["kinds", "compose", "paths"]`; `mod.rs` names its directory.
fn module_path(file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src()).unwrap();
    let mut parts: Vec<String> = rel
        .with_extension("")
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if parts.last().is_some_and(|l| l == "mod" || l == "lib") {
        parts.pop();
    }
    parts
}

/// The unit a module path belongs to.
fn unit(path: &[String]) -> Option<String> {
    let first = path.first()?;
    if SPLIT.contains(&first.as_str())
        && let Some(second) = path.get(1)
        && is_module(&[first.clone(), second.clone()])
    {
        return Some(format!("{first}/{second}"));
    }
    Some(first.clone())
}

/// Whether `path` names a module (a file or folder under src), not an item.
fn is_module(path: &[String]) -> bool {
    let base = path.iter().fold(src(), |p, s| p.join(s));
    base.with_extension("rs").is_file() || base.join("mod.rs").is_file()
}

/// The source without comments, string contents and the trailing test module.
fn code_of(text: &str) -> String {
    let text = match text.find("#[cfg(test)]\nmod ") {
        Some(i) => &text[..i],
        None => text,
    };
    let mut out = String::with_capacity(text.len());
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i..].starts_with(b"//") {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
        } else if b[i..].starts_with(b"/*") {
            i += 2;
            while i + 1 < b.len() && !b[i..].starts_with(b"*/") {
                i += 1;
            }
            i += 2;
        } else if b[i] == b'"' && (i == 0 || b[i - 1] != b'\'') {
            // A string literal: skip it (paths in messages are not imports).
            i += 1;
            while i < b.len() && b[i] != b'"' {
                if b[i] == b'\\' {
                    i += 1;
                }
                i += 1;
            }
            i += 1;
            out.push_str("\"\"");
        } else {
            out.push(b[i] as char);
            i += 1;
        }
    }
    out
}

fn ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Every module path the code names, resolved from `here`.
fn references(code: &str, here: &[String]) -> Vec<Vec<String>> {
    let mut refs = Vec::new();
    let chars: Vec<char> = code.chars().collect();
    let n = chars.len();
    let mut i = 0;
    while i < n {
        let starts = |w: &str| code_at(&chars, i).starts_with(w);
        let boundary = i == 0 || !(ident_char(chars[i - 1]) || chars[i - 1] == ':');
        if boundary && (starts("crate::") || starts("super::")) {
            let base: Vec<String> = if starts("crate::") {
                i += "crate::".len();
                Vec::new()
            } else {
                let mut b = here.to_vec();
                while code_at(&chars, i).starts_with("super::") {
                    i += "super::".len();
                    b.pop();
                }
                b
            };
            for tail in path_tails(&chars, &mut i) {
                let mut full = base.clone();
                full.extend(tail);
                refs.push(full);
            }
        } else {
            i += 1;
        }
    }
    refs
}

fn code_at(chars: &[char], i: usize) -> String {
    chars[i..chars.len().min(i + 8)].iter().collect()
}

/// Reads `a::b::{c, d::e}` at `i`: the paths it names.
fn path_tails(chars: &[char], i: &mut usize) -> Vec<Vec<String>> {
    let mut prefix = Vec::new();
    loop {
        if chars.get(*i) == Some(&'{') {
            *i += 1;
            let mut out = Vec::new();
            loop {
                while chars
                    .get(*i)
                    .is_some_and(|c| c.is_whitespace() || *c == ',')
                {
                    *i += 1;
                }
                if matches!(chars.get(*i), Some('}') | None) {
                    *i += 1;
                    return out;
                }
                let before = *i;
                for t in path_tails(chars, i) {
                    let mut full = prefix.clone();
                    full.extend(t);
                    out.push(full);
                }
                if *i == before {
                    *i += 1;
                }
            }
        }
        let start = *i;
        while *i < chars.len() && ident_char(chars[*i]) {
            *i += 1;
        }
        if *i == start {
            return vec![prefix];
        }
        prefix.push(chars[start..*i].iter().collect());
        if chars.get(*i) == Some(&':') && chars.get(*i + 1) == Some(&':') {
            *i += 2;
        } else {
            return vec![prefix];
        }
    }
}

fn layer_of(unit: &str) -> usize {
    let top = unit.split('/').next().unwrap();
    LAYERS
        .iter()
        .position(|(_, units)| units.contains(&top))
        .unwrap_or_else(|| panic!("unit `{unit}` is in no layer: add it to LAYERS"))
}

/// unit → units it imports (other than itself), with one file:reference each.
fn graph() -> BTreeMap<String, BTreeMap<String, String>> {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let mut g: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for f in files {
        let here = module_path(&f);
        if here.first().is_some_and(|m| m == "main") {
            continue; // the binary uses the library by its name
        }
        let Some(me) = unit(&here) else { continue };
        let code = code_of(&std::fs::read_to_string(&f).unwrap());
        for r in references(&code, &here) {
            let Some(to) = unit(&r) else { continue };
            if to != me {
                let shown = format!(
                    "{}: {}",
                    f.strip_prefix(src().parent().unwrap()).unwrap().display(),
                    r.join("::")
                );
                g.entry(me.clone()).or_default().entry(to).or_insert(shown);
            }
        }
        g.entry(me).or_default();
    }
    g
}

#[test]
fn no_import_points_up_a_layer() {
    let g = graph();
    let mut bad = Vec::new();
    for (from, tos) in &g {
        for (to, at) in tos {
            if layer_of(to) < layer_of(from) {
                bad.push(format!(
                    "{from} ({}) imports {to} ({}): {at}",
                    LAYERS[layer_of(from)].0,
                    LAYERS[layer_of(to)].0
                ));
            }
        }
    }
    assert!(bad.is_empty(), "imports pointing up:\n{}", bad.join("\n"));
}

#[test]
fn no_import_cycle_between_units() {
    let g = graph();
    // Depth-first search for a back edge; report the cycle it closes.
    fn visit(
        u: &str,
        g: &BTreeMap<String, BTreeMap<String, String>>,
        stack: &mut Vec<String>,
        done: &mut BTreeSet<String>,
        cycles: &mut Vec<String>,
    ) {
        if done.contains(u) {
            return;
        }
        if let Some(i) = stack.iter().position(|s| s == u) {
            let mut c = stack[i..].to_vec();
            c.push(u.to_string());
            cycles.push(c.join(" → "));
            return;
        }
        stack.push(u.to_string());
        for v in g.get(u).into_iter().flat_map(|m| m.keys()) {
            // The registry and its kinds refer to each other by design: the
            // registry lists the kinds, the kinds implement its trait.
            let registry_edge = (u == "kinds" && v.starts_with("kinds/"))
                || (u.starts_with("kinds/") && v == "kinds");
            // `cmd` (its mod.rs) only declares the command modules.
            let declares = u == "cmd" && v.starts_with("cmd/");
            let report_model = u == "report" && v.starts_with("report/");
            if !(registry_edge || declares || report_model) {
                visit(v, g, stack, done, cycles);
            }
        }
        stack.pop();
        done.insert(u.to_string());
    }
    let mut cycles = Vec::new();
    let mut done = BTreeSet::new();
    for u in g.keys() {
        visit(u, &g, &mut Vec::new(), &mut done, &mut cycles);
    }
    assert!(cycles.is_empty(), "import cycles:\n{}", cycles.join("\n"));
}

#[test]
fn kinds_depend_on_support_never_on_each_other() {
    let g = graph();
    let mut bad = Vec::new();
    for (from, tos) in g.iter().filter(|(u, _)| u.starts_with("kinds/")) {
        if KIND_SHARED.contains(&from.as_str()) {
            continue;
        }
        for (to, at) in tos {
            if to.starts_with("kinds/") && !KIND_SHARED.contains(&to.as_str()) {
                bad.push(format!("{from} imports the kind {to}: {at}"));
            }
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

#[test]
fn only_commands_use_renderers() {
    let g = graph();
    let mut bad = Vec::new();
    for (from, tos) in &g {
        if layer_of(from) == 0 || from == "report" || from == "report/render" {
            continue;
        }
        if let Some(at) = tos.get("report/render") {
            bad.push(format!("{from} uses a renderer: {at}"));
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

/// The checker itself: an upward import written the usual ways is found.
#[test]
fn the_reference_reader_resolves_crate_super_and_grouped_paths() {
    let here = vec!["kinds".to_string(), "scan".to_string()];
    let code = code_of(
        "use crate::{catalogue::Catalogue, report::{Finding, render::json}};\n\
         use super::file::clip; // crate::app in a comment\n\
         let s = \"crate::runner\";\n",
    );
    let units: BTreeSet<String> = references(&code, &here)
        .iter()
        .filter_map(|r| unit(r))
        .collect();
    let expected: BTreeSet<String> = ["catalogue", "report", "report/render", "kinds/file"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(units, expected);
}
