//! Files the project names that must exist before anything starts:
//! `env_file`, `build.context`/`dockerfile`, top-level `configs`/`secrets`
//! files (compose refuses the project without them) and bind-mount sources.
//!
//! A missing bind-mount source is graded by what it names. Short syntax
//! (`./redis/redis.conf:/etc/redis/redis.conf`) makes docker create the
//! missing source as an empty *directory*: harmless for a data directory
//! (`info`), fatal for a configuration file, which the service then cannot
//! read (`critical`). Long syntax (`type: bind`) does not create anything
//! unless `bind.create_host_path` is set: the container does not start.
//! Absolute sources live on the deploy host, not in the repository, and are
//! not judged.

use std::path::{Path, PathBuf};

use super::{Cx, at};
use crate::compose::yaml::{Node, Value};
use crate::report::Finding;

/// File extensions that make a mount source a file, not a directory.
const FILE_EXTENSIONS: &[&str] = &[
    "conf",
    "cnf",
    "cfg",
    "ini",
    "yml",
    "yaml",
    "json",
    "toml",
    "xml",
    "properties",
    "env",
    "pem",
    "crt",
    "key",
    "cert",
    "p12",
    "jks",
    "sh",
    "py",
    "js",
    "lua",
    "sql",
    "txt",
    "htpasswd",
    "hcl",
    "rules",
    "lock",
    "sock",
    "html",
    "tmpl",
    "template",
    "ldif",
    "acl",
];

pub(super) fn check(cx: &Cx, out: &mut Vec<Finding>) {
    for (name, svc) in cx.services() {
        if cx.on("compose/missing-path")
            || cx.on("compose/missing-mount-file")
            || cx.on("compose/missing-mount-dir")
            || cx.on("compose/missing-mount-config-dir")
        {
            mounts(cx, name, svc, out);
        }
        if cx.on("compose/missing-path") {
            service_files(cx, name, svc, out);
        }
    }
    if cx.on("compose/missing-path") {
        top_level_files(cx, out);
    }
}

/// The directory a relative path resolves against, as a hint names it: the
/// project directory itself is `""` relative to itself, which read as
/// "relative to )".
fn base_shown(rel: String) -> String {
    if rel.is_empty() || rel == "." {
        "the project directory".into()
    } else {
        rel
    }
}

/// Whether a path's last component looks like a file name.
pub(crate) fn looks_like_file(p: &str) -> bool {
    let base = p.trim_end_matches('/').rsplit('/').next().unwrap_or(p);
    base.rsplit_once('.').is_some_and(|(stem, ext)| {
        !stem.is_empty() && FILE_EXTENSIONS.contains(&ext.to_ascii_lowercase().as_str())
    })
}

/// Whether a container directory holds input the service reads at start
/// (init scripts, configuration, policies, certificates), not data it writes.
fn input_dir(target: &str) -> bool {
    let t = target.to_ascii_lowercase();
    t.starts_with("/etc/")
        || [
            "initdb",
            "init.d",
            "/init",
            "polic",
            "conf",
            "config",
            "cert",
            "ssl",
            "tls",
            "provisioning",
            "scripts",
            "secrets",
            "plugins",
            "templates",
        ]
        .iter()
        .any(|k| t.contains(k))
}

fn mounts(cx: &Cx, name: &str, svc: &Node, out: &mut Vec<Finding>) {
    let project = cx.project;
    for v in svc
        .get("volumes")
        .and_then(Node::as_seq)
        .unwrap_or_default()
    {
        // (source, target, long syntax that creates nothing)
        let (src, target, strict) = match &v.value {
            Value::Str(s) => {
                let mut parts = s.splitn(3, ':');
                let src = parts.next().unwrap_or_default().to_string();
                let Some(target) = parts.next() else { continue };
                (src, target.to_string(), false)
            }
            Value::Map(m) => {
                if m.get("type").and_then(Node::as_str) != Some("bind") {
                    continue;
                }
                let Some(src) = m.get("source").and_then(Node::scalar_text) else {
                    continue;
                };
                let create = m
                    .get("bind")
                    .and_then(|b| b.get("create_host_path"))
                    .is_some_and(|c| c.value == Value::Bool(true));
                let target = m
                    .get("target")
                    .and_then(Node::scalar_text)
                    .unwrap_or_default();
                (src, target, !create)
            }
            _ => continue,
        };
        if !(src.starts_with("./") || src.starts_with("../") || src == ".") {
            continue; // a named volume, or a path on the deploy host
        }
        let node = v.get("source").unwrap_or(v);
        let full = project.resolve(&src, &v.loc);
        if full.exists() {
            continue;
        }
        let base = base_shown(cx.rel(&project.base_dir(&node.loc)));
        let is_file = looks_like_file(&src) || looks_like_file(&target);
        let (code, msg, hint) = if strict {
            (
                if is_file {
                    "compose/missing-mount-file"
                } else {
                    "compose/missing-path"
                },
                format!(
                    "service `{name}`: bind-mount source {src} does not exist, and long-syntax bind mounts are not created: the container does not start"
                ),
                format!(
                    "create {src} (relative to {base}), or set `bind: {{create_host_path: true}}` for a data directory"
                ),
            )
        } else if is_file {
            (
                "compose/missing-mount-file",
                format!(
                    "service `{name}`: bind-mount source {src} does not exist; docker creates a directory in its place and {target} becomes an empty directory the service cannot read as a file"
                ),
                format!("add {src} (relative to {base}) to the repository, or drop the mount"),
            )
        } else if input_dir(&target) {
            (
                "compose/missing-mount-config-dir",
                format!(
                    "service `{name}`: bind-mount directory {src} does not exist; docker creates it empty at {target}, and the service starts without what it should find there"
                ),
                format!("add {src} (relative to {base}) with its files, or drop the mount"),
            )
        } else {
            (
                "compose/missing-mount-dir",
                format!("service `{name}`: bind-mount directory {src} does not exist; docker creates it empty at {target}"),
                "fine for a data directory; if the service expects files there (init scripts, policies, certificates), add them".to_string(),
            )
        };
        out.push(
            at(&node.loc, code, msg)
                .expected_actual(format!("{} to exist", cx.rel(&full)), "missing")
                .hint(hint),
        );
    }
}

fn service_files(cx: &Cx, name: &str, svc: &Node, out: &mut Vec<Finding>) {
    let project = cx.project;
    let mut report = |node: &Node, written: &str, what: &str, full: PathBuf| {
        if !full.exists() {
            out.push(
                at(
                    &node.loc,
                    "compose/missing-path",
                    format!("service `{name}`: {what} {written} does not exist"),
                )
                .expected_actual(format!("{} to exist", cx.rel(&full)), "missing")
                .hint(format!(
                    "create {written} (relative to {}) or fix the path",
                    base_shown(cx.rel(&project.base_dir(&node.loc)))
                )),
            );
        }
    };
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
        if is_remote(ctx_written) {
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

/// A build context that is a URL (git, https) rather than a directory.
pub(crate) fn is_remote(ctx: &str) -> bool {
    ctx.contains("://") || ctx.starts_with("git@") || ctx.starts_with("github.com/")
}

fn top_level_files(cx: &Cx, out: &mut Vec<Finding>) {
    let project = cx.project;
    for section in ["configs", "secrets"] {
        let Some(m) = project.model.get(section).and_then(Node::as_map) else {
            continue;
        };
        for (name, def) in m {
            if let Some(f) = def.get("file")
                && let Some(p) = f.as_str()
            {
                let full = project.resolve(p, &f.loc);
                if !Path::new(&full).exists() {
                    out.push(
                        at(
                            &f.loc,
                            "compose/missing-path",
                            format!("{section} `{name}`: file {p} does not exist"),
                        )
                        .expected_actual(format!("{} to exist", cx.rel(&full)), "missing")
                        .hint(format!(
                            "create {p} or point `{section}.{name}.file` at the right file"
                        )),
                    );
                }
            }
        }
    }
}
