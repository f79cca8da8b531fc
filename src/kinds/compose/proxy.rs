//! What a mounted nginx configuration sends and caches, read with its
//! `include`s followed through the service's bind mounts.
//!
//! `compose/proxy-dropped-headers`: nginx inherits `add_header` from the
//! enclosing level only when the current level defines none, so a `server`
//! or `location` that adds one header of its own silently stops sending the
//! security headers (HSTS, CSP, X-Frame-Options, …) set above it. The model
//! is [`nginx::dropped_headers`], checked against the real nginx by
//! `tests/it/nginx_headers.rs`.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;

use super::{Cx, network};
use crate::compose::yaml::Node;
use crate::domain::nginx::{self, Directive, Included};
use crate::report::Finding;

/// Size bound for one nginx file.
const MAX_FILE: u64 = 4 * 1024 * 1024;

pub(super) fn check(cx: &Cx, out: &mut Vec<Finding>) {
    if !cx.on("compose/proxy-dropped-headers") {
        return;
    }
    let mut seen = HashSet::new();
    for (name, svc) in cx.services() {
        for conf in configs(cx, svc) {
            headers(name, &conf, out, &mut seen);
        }
    }
}

/// One configuration as nginx reads it: a mounted file that no other
/// mounted file includes, with its includes spliced in.
pub(super) struct Config<'a> {
    /// The file, relative to the project.
    pub shown: String,
    /// Its directives, includes expanded.
    pub directives: Vec<Directive>,
    /// The compose volume that mounts it.
    pub volume: &'a Node,
}

/// The configurations a service mounts.
pub(super) fn configs<'a>(cx: &Cx, svc: &'a Node) -> Vec<Config<'a>> {
    let files = network::nginx_configs(cx, svc);
    if files.is_empty() {
        return Vec::new();
    }
    let mounts = network::bind_mounts(cx, svc);
    let mut parsed = Vec::new();
    let mut included: HashSet<PathBuf> = HashSet::new();
    for (vol, path) in files {
        let Ok(text) = crate::domain::textfile::read(&path, MAX_FILE) else {
            continue;
        };
        let mut ds = nginx::parse(&text);
        nginx::expand_includes(&mut ds, &mut |arg| {
            let Some(files) = resolve(&mounts, arg) else {
                return Included::Unknown;
            };
            let mut read = Vec::new();
            for f in files {
                let Ok(t) = crate::domain::textfile::read(&f, MAX_FILE) else {
                    return Included::Unknown;
                };
                read.push((Arc::<str>::from(cx.rel(&f)), t));
                included.insert(f);
            }
            Included::Files(read)
        });
        parsed.push((vol, path, ds));
    }
    parsed
        .into_iter()
        .filter(|(_, p, _)| !included.contains(p))
        .map(|(volume, p, directives)| Config {
            shown: cx.rel(&p),
            directives,
            volume,
        })
        .collect()
}

/// The host files an `include` argument names, through the bind mounts
/// (relative paths are relative to nginx's prefix, /etc/nginx). `None` when
/// it is not mounted or not plain (variables, globs beyond `*` in the file
/// name).
fn resolve(
    mounts: &[(String, PathBuf, crate::compose::yaml::Loc)],
    arg: &str,
) -> Option<Vec<PathBuf>> {
    if arg.contains(['$', '?', '[']) {
        return None;
    }
    let full = if arg.starts_with('/') {
        arg.to_string()
    } else {
        format!("/etc/nginx/{arg}")
    };
    let (dir, base) = full.rsplit_once('/')?;
    if dir.contains('*') {
        return None;
    }
    let host = |p: &str| -> Option<PathBuf> {
        let (target, src, _) = mounts
            .iter()
            .filter(|(t, ..)| p == t || p.starts_with(&format!("{}/", t.trim_end_matches('/'))))
            .max_by_key(|(t, ..)| t.len())?;
        let rest = p[target.trim_end_matches('/').len()..].trim_start_matches('/');
        Some(if rest.is_empty() {
            src.clone()
        } else {
            src.join(rest)
        })
    };
    if !base.contains('*') {
        let h = host(&full)?;
        return h.is_file().then(|| vec![h]);
    }
    let hdir = host(dir)?;
    let mut files: Vec<PathBuf> = std::fs::read_dir(&hdir)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.is_file()
                && p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| glob_match(base, n))
        })
        .collect();
    files.sort();
    Some(files)
}

/// `*`-only glob match (what nginx configs use in practice).
fn glob_match(pat: &str, name: &str) -> bool {
    let parts: Vec<&str> = pat.split('*').collect();
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !name.starts_with(first) || name.len() < first.len() + last.len() || !name.ends_with(last) {
        return false;
    }
    let mut rest = &name[first.len()..name.len() - last.len()];
    for p in &parts[1..parts.len() - 1] {
        match rest.find(p) {
            Some(i) => rest = &rest[i + p.len()..],
            None => return false,
        }
    }
    true
}

fn file_of(conf: &Config, f: &Option<Arc<str>>) -> String {
    f.as_deref()
        .map(str::to_string)
        .unwrap_or_else(|| conf.shown.clone())
}

/// `:12` in the same file, `conf.d/x.conf:12` in another.
fn short(conf: &Config, at: &str, f: &Option<Arc<str>>, line: u32) -> String {
    let file = file_of(conf, f);
    if file == at {
        format!(":{line}")
    } else {
        format!("{file}:{line}")
    }
}

fn headers(name: &str, conf: &Config, out: &mut Vec<Finding>, seen: &mut HashSet<(String, u32)>) {
    for d in nginx::dropped_headers(&conf.directives) {
        // The dropping line: the level's first own add_header, or the level
        // itself when that header comes from an included snippet (shared by
        // other levels).
        let level_file = file_of(conf, &d.level_file);
        let first = &d.own[0];
        let (file, line) = if file_of(conf, &first.file) == level_file {
            (level_file, first.line)
        } else {
            (level_file, d.level_line)
        };
        if !seen.insert((file.clone(), line)) {
            continue;
        }
        let own: Vec<String> = d
            .own
            .iter()
            .map(|h| {
                if h.file == d.level_file {
                    h.name.clone()
                } else {
                    format!("{} from {}", h.name, short(conf, &file, &h.file, h.line))
                }
            })
            .collect();
        let dropped: Vec<String> = d
            .dropped
            .iter()
            .map(|h| format!("{} ({})", h.name, short(conf, &file, &h.file, h.line)))
            .collect();
        let mut f = super::at_file(
            &file,
            line,
            "compose/proxy-dropped-headers",
            format!(
                "{file}:{line}: `{}` ({}) sets its own add_header ({}), so nginx (service `{name}`) no longer sends there the security headers the enclosing level sets: {}",
                d.level,
                short(conf, &file, &d.level_file, d.level_line),
                own.join(", "),
                dropped.join(", "),
            ),
        )
        .expected_actual(
            format!(
                "{} on responses of `{}`",
                d.dropped.iter().map(|h| h.name.as_str()).collect::<Vec<_>>().join(", "),
                d.level
            ),
            format!("only {}", own.join(", ")),
        )
        .hint("nginx inherits add_header only into a level that defines none: repeat the security headers in this block (e.g. one `include` snippet with them, used at every level that adds a header)");
        for h in &d.dropped {
            f = f.related(
                file_of(conf, &h.file),
                Some(h.line),
                format!("{} (dropped)", h.name),
            );
        }
        f = f.related(
            conf.volume.loc.file.to_string(),
            Some(conf.volume.loc.line),
            format!("service `{name}` mounts {}", conf.shown),
        );
        out.push(f);
    }
}

#[cfg(test)]
mod tests {
    use super::glob_match;

    #[test]
    fn globs() {
        assert!(glob_match("*.conf", "a.conf"));
        assert!(!glob_match("*.conf", "a.conf.bak"));
        assert!(glob_match("*", "x"));
        assert!(glob_match("sec*-h*.conf", "security-headers.conf"));
        assert!(!glob_match("a*b", "ab".get(0..1).unwrap()));
    }
}

#[cfg(test)]
mod rule_tests {
    use super::super::monitoring::tests::lint_only;

    #[test]
    fn includes_follow_the_mounts_and_included_files_are_not_roots() {
        let compose = "services:\n  web:\n    image: nginx:1.27\n    volumes:\n      - ./nginx/nginx.conf:/etc/nginx/nginx.conf:ro\n      - ./nginx/conf.d:/etc/nginx/conf.d:ro\n      - ./nginx/snippets:/etc/nginx/snippets:ro\n";
        let main = "events {}\nhttp {\n  include mime.types;\n  include snippets/security.conf;\n  include /etc/nginx/conf.d/*.conf;\n}\n";
        let site = "server {\n  listen 80;\n  location /static { add_header Cache-Control \"public\"; }\n  location /app { include snippets/security.conf; add_header Cache-Control no-store; }\n}\n";
        let sec = "add_header X-Frame-Options DENY always;\nadd_header Content-Security-Policy \"default-src 'self'\" always;\n";
        let f = lint_only(
            &[
                ("docker-compose.yml", compose),
                ("nginx/nginx.conf", main),
                ("nginx/conf.d/site.conf", site),
                ("nginx/snippets/security.conf", sec),
            ],
            &["compose/proxy-dropped-headers"],
        );
        let keys: Vec<_> = f
            .iter()
            .map(|f| {
                (
                    f.file.clone().unwrap_or_default(),
                    f.line.unwrap_or_default(),
                )
            })
            .collect();
        // Once, in the site file (reached through nginx.conf's include, not
        // again as a file of its own); /app repeats the snippet.
        assert_eq!(
            keys,
            vec![("nginx/conf.d/site.conf".to_string(), 3)],
            "{f:#?}"
        );
        let rel: Vec<_> = f[0]
            .related
            .iter()
            .map(|r| (r.file.as_str(), r.line.unwrap_or_default()))
            .collect();
        assert_eq!(
            rel,
            vec![
                ("nginx/snippets/security.conf", 1),
                ("nginx/snippets/security.conf", 2),
                ("docker-compose.yml", 5)
            ]
        );
        assert!(
            f[0].message
                .contains("X-Frame-Options (nginx/snippets/security.conf:1)"),
            "{}",
            f[0].message
        );
    }
}
