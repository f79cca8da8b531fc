//! `redis.conf`: directives with Redis's own argument splitting (double
//! quotes with `\n`/`\xHH` escapes, single quotes), `include` files expanded
//! in place (relative to the including file; `*` patterns in the file name),
//! and every directive located at its file and line so that findings can
//! point at it. Also knows the defaults Redis 7 applies when a directive is
//! absent. Reads only.

use std::path::{Path, PathBuf};

/// One directive line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Directive {
    /// Directive name, lower-case.
    pub name: String,
    /// Arguments after splitting and unquoting.
    pub args: Vec<String>,
    /// The file, as shown in findings.
    pub file: String,
    /// 1-based line.
    pub line: u32,
}

/// A parsed configuration, includes expanded, in effective order.
#[derive(Debug, Clone, Default)]
pub(crate) struct RedisConf {
    /// Every directive.
    pub directives: Vec<Directive>,
}

/// Why a configuration could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}{}: {message}", line.map(|l| format!(":{l}")).unwrap_or_default())]
pub(crate) struct ConfError {
    /// The file.
    pub file: String,
    /// 1-based line, when known.
    pub line: Option<u32>,
    /// What is wrong.
    pub message: String,
}

/// Directives whose repetitions add up instead of replacing each other.
const ACCUMULATING: &[&str] = &["save", "rename-command", "user", "loadmodule", "include"];

/// Values Redis 7.0 uses when a directive is absent (as `CONFIG GET` shows them).
pub(crate) const DEFAULTS: &[(&str, &str)] = &[
    ("appendonly", "no"),
    ("appendfsync", "everysec"),
    ("maxmemory", "0"),
    ("maxmemory-policy", "noeviction"),
    ("requirepass", ""),
    ("protected-mode", "yes"),
    ("save", "3600 1 300 100 60 10000"),
    ("databases", "16"),
    ("port", "6379"),
    ("timeout", "0"),
    ("tcp-keepalive", "300"),
    ("loglevel", "notice"),
    ("maxclients", "10000"),
    ("bind", "* -::*"),
    ("dir", "./"),
    ("dbfilename", "dump.rdb"),
    ("appendfilename", "appendonly.aof"),
    ("io-threads", "1"),
    ("lazyfree-lazy-eviction", "no"),
];

/// Longest include chain followed before assuming a cycle.
const MAX_INCLUDE_DEPTH: usize = 16;

/// Splits one line the way Redis's `sdssplitargs` does.
pub(crate) fn split_args(line: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut it = line.chars().peekable();
    loop {
        while it.peek().is_some_and(|c| c.is_whitespace()) {
            it.next();
        }
        let Some(&first) = it.peek() else {
            return Ok(out);
        };
        let mut cur = String::new();
        match first {
            '"' => {
                it.next();
                loop {
                    match it.next() {
                        None => return Err("unbalanced quotes in configuration line".into()),
                        Some('\\') => match it.next() {
                            Some('n') => cur.push('\n'),
                            Some('r') => cur.push('\r'),
                            Some('t') => cur.push('\t'),
                            Some('b') => cur.push('\u{8}'),
                            Some('a') => cur.push('\u{7}'),
                            Some('x') => {
                                let hex: String = it.by_ref().take(2).collect();
                                match u8::from_str_radix(&hex, 16) {
                                    Ok(b) => cur.push(b as char),
                                    Err(_) => {
                                        cur.push('x');
                                        cur.push_str(&hex);
                                    }
                                }
                            }
                            Some(c) => cur.push(c),
                            None => return Err("unbalanced quotes in configuration line".into()),
                        },
                        Some('"') => break,
                        Some(c) => cur.push(c),
                    }
                }
                if it.peek().is_some_and(|c| !c.is_whitespace()) {
                    return Err("closing quote must be followed by a space".into());
                }
            }
            '\'' => {
                it.next();
                loop {
                    match it.next() {
                        None => return Err("unbalanced quotes in configuration line".into()),
                        Some('\\') if it.peek() == Some(&'\'') => {
                            it.next();
                            cur.push('\'');
                        }
                        Some('\'') => break,
                        Some(c) => cur.push(c),
                    }
                }
                if it.peek().is_some_and(|c| !c.is_whitespace()) {
                    return Err("closing quote must be followed by a space".into());
                }
            }
            _ => {
                while let Some(&c) = it.peek() {
                    if c.is_whitespace() {
                        break;
                    }
                    cur.push(c);
                    it.next();
                }
            }
        }
        out.push(cur);
    }
}

/// Parses the text of one file (no includes followed).
pub(crate) fn parse_str(text: &str, file: &str) -> Result<Vec<Directive>, ConfError> {
    let mut out = Vec::new();
    for (idx, raw) in text.lines().enumerate() {
        let line = idx as u32 + 1;
        let t = raw.trim();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        let args = split_args(t).map_err(|message| ConfError {
            file: file.to_string(),
            line: Some(line),
            message,
        })?;
        let mut args = args.into_iter();
        let Some(name) = args.next() else { continue };
        out.push(Directive {
            name: name.to_ascii_lowercase(),
            args: args.collect(),
            file: file.to_string(),
            line,
        });
    }
    Ok(out)
}

impl RedisConf {
    /// Reads `path` and its includes. `root` is the deployment root, used
    /// only to show paths relative to it.
    ///
    /// `include`s are followed only inside the deployment root (or, when
    /// the catalogue names a file outside the root, inside that file's
    /// directory): an include that leaves it (`../../etc/x.conf`,
    /// `/etc/redis/x.conf` with no copy beside the includer, a symlink out)
    /// is a located error, never read.
    pub(crate) fn load(path: &Path, root: &Path) -> Result<RedisConf, ConfError> {
        let mut conf = RedisConf::default();
        let canon = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
        let root_c = canon(root);
        let allowed = if canon(path).starts_with(&root_c) {
            root_c
        } else {
            canon(path.parent().unwrap_or(Path::new(".")))
        };
        conf.load_into(path, root, &allowed, 0)?;
        Ok(conf)
    }

    fn load_into(
        &mut self,
        path: &Path,
        root: &Path,
        allowed: &Path,
        depth: usize,
    ) -> Result<(), ConfError> {
        let shown = path
            .strip_prefix(root)
            .unwrap_or(path)
            .display()
            .to_string();
        let text =
            super::textfile::read(path, super::textfile::MAX_TEXT_FILE_BYTES).map_err(|e| {
                ConfError {
                    file: shown.clone(),
                    line: e.line,
                    message: e.message,
                }
            })?;
        for d in parse_str(&text, &shown)? {
            if d.name != "include" {
                self.directives.push(d);
                continue;
            }
            if depth >= MAX_INCLUDE_DEPTH {
                return Err(ConfError {
                    file: shown,
                    line: Some(d.line),
                    message: "include nesting is deeper than 16 (an include cycle?)".into(),
                });
            }
            let Some(arg) = d.args.first() else {
                return Err(ConfError {
                    file: shown,
                    line: Some(d.line),
                    message: "`include` needs a file name".into(),
                });
            };
            let base = path.parent().unwrap_or(Path::new("."));
            let files = resolve_include(arg, base, allowed).map_err(|message| ConfError {
                file: shown.clone(),
                line: Some(d.line),
                message,
            })?;
            for f in files {
                self.load_into(&f, root, allowed, depth + 1)?;
            }
        }
        Ok(())
    }

    /// The directive that decides `name` (the last one), if any.
    pub(crate) fn get(&self, name: &str) -> Option<&Directive> {
        let name = name.to_ascii_lowercase();
        self.directives.iter().rev().find(|d| d.name == name)
    }

    /// The effective value of `name` as `CONFIG GET` would show it (arguments
    /// joined by a space; repeated `save` lines added up, `save ""` resets),
    /// with the directive that set it, or `None` when the file does not set it.
    pub(crate) fn value(&self, name: &str) -> Option<(String, &Directive)> {
        let name = name.to_ascii_lowercase();
        if ACCUMULATING.contains(&name.as_str()) {
            let mut parts: Vec<String> = Vec::new();
            let mut last = None;
            for d in self.directives.iter().filter(|d| d.name == name) {
                let v = d.args.join(" ");
                if v.trim().is_empty() {
                    parts.clear();
                } else {
                    parts.push(v);
                }
                last = Some(d);
            }
            return last.map(|d| (parts.join(" "), d));
        }
        self.get(&name).map(|d| (d.args.join(" "), d))
    }
}

/// Redis 7.0's value for a directive a file does not set.
pub(crate) fn default_value(name: &str) -> Option<&'static str> {
    DEFAULTS
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| *v)
}

fn inside(p: &Path, allowed: &Path) -> bool {
    std::fs::canonicalize(p).is_ok_and(|c| c.starts_with(allowed))
}

fn resolve_include(arg: &str, base: &Path, allowed: &Path) -> Result<Vec<PathBuf>, String> {
    let mut outside = false;
    let p = Path::new(arg);
    let candidates: Vec<PathBuf> = if p.is_absolute() {
        // An absolute path inside a container usually means "next to this
        // file" in the repository: try it as written, then beside the includer.
        let mut c = vec![p.to_path_buf()];
        if let Some(name) = p.file_name() {
            c.push(base.join(name));
        }
        c
    } else {
        vec![base.join(p)]
    };
    for c in &candidates {
        let name = c
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if name.contains('*') || name.contains('?') {
            let dir = c.parent().unwrap_or(Path::new("."));
            let glob = globset::Glob::new(&name)
                .map_err(|e| format!("invalid include pattern `{arg}`: {e}"))?
                .compile_matcher();
            let Ok(entries) = std::fs::read_dir(dir) else {
                continue;
            };
            let mut found: Vec<PathBuf> = entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_file() && p.file_name().is_some_and(|n| glob.is_match(n)))
                .collect();
            if !found.is_empty() && !found.iter().all(|f| inside(f, allowed)) {
                outside = true;
                continue;
            }
            found.sort();
            // A pattern that matches nothing is not an error for Redis.
            return Ok(found);
        }
        if c.is_file() {
            if inside(c, allowed) {
                return Ok(vec![c.clone()]);
            }
            outside = true;
        }
    }
    if outside {
        return Err(format!(
            "included file `{arg}` is outside the deployment root ({}): not read",
            allowed.display()
        ));
    }
    Err(format!("included file `{arg}` not found"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_quoted_arguments_like_redis() {
        assert_eq!(
            split_args("maxmemory 256mb").unwrap(),
            ["maxmemory", "256mb"]
        );
        assert_eq!(
            split_args(r#"requirepass "p a\"ss\x41""#).unwrap(),
            ["requirepass", "p a\"ssA"]
        );
        assert_eq!(split_args("save ''").unwrap(), ["save", ""]);
        assert_eq!(split_args(r"notify 'it\'s'").unwrap(), ["notify", "it's"]);
        assert!(split_args(r#"requirepass "open"#).is_err());
        assert!(split_args(r#"requirepass "a"b"#).is_err());
    }

    #[test]
    fn follows_includes_in_place_and_later_lines_win() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("conf.d")).unwrap();
        std::fs::write(
            dir.path().join("redis.conf"),
            "# main\nmaxmemory 128mb\ninclude conf.d/*.conf\nappendonly yes\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("conf.d/10-memory.conf"),
            "MAXMEMORY 256mb\nappendonly no\n",
        )
        .unwrap();
        let conf = RedisConf::load(&dir.path().join("redis.conf"), dir.path()).unwrap();
        let (v, d) = conf.value("maxmemory").unwrap();
        assert_eq!(v, "256mb");
        assert_eq!((d.file.as_str(), d.line), ("conf.d/10-memory.conf", 1));
        let (v, d) = conf.value("appendonly").unwrap();
        assert_eq!(
            (v.as_str(), d.file.as_str(), d.line),
            ("yes", "redis.conf", 4)
        );
        assert!(conf.value("maxmemory-policy").is_none());
        assert_eq!(default_value("maxmemory-policy"), Some("noeviction"));
    }

    #[test]
    fn includes_do_not_leave_the_root() {
        let outer = tempfile::tempdir().unwrap();
        let root = outer.path().join("deploy");
        std::fs::create_dir_all(root.join("redis")).unwrap();
        std::fs::write(outer.path().join("secret.conf"), "requirepass outside\n").unwrap();
        for inc in ["../../secret.conf", "../../*.conf"] {
            std::fs::write(
                root.join("redis/redis.conf"),
                format!("port 1\ninclude {inc}\n"),
            )
            .unwrap();
            let e = RedisConf::load(&root.join("redis/redis.conf"), &root).unwrap_err();
            assert_eq!(e.line, Some(2), "{inc}");
            assert!(
                e.message.contains("outside the deployment root"),
                "{}",
                e.message
            );
        }
        // An absolute include is read beside the includer, inside the root.
        let abs = outer.path().join("secret.conf");
        std::fs::write(root.join("redis/secret.conf"), "maxmemory 1mb\n").unwrap();
        std::fs::write(
            root.join("redis/redis.conf"),
            format!("include {}\n", abs.display()),
        )
        .unwrap();
        let conf = RedisConf::load(&root.join("redis/redis.conf"), &root).unwrap();
        assert!(conf.get("requirepass").is_none());
        assert_eq!(conf.get("maxmemory").unwrap().args, vec!["1mb".to_string()]);
    }

    #[test]
    fn reports_missing_includes_and_bad_quotes_with_lines() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.conf"), "port 1\ninclude nope.conf\n").unwrap();
        let e = RedisConf::load(&dir.path().join("a.conf"), dir.path()).unwrap_err();
        assert_eq!((e.file.as_str(), e.line), ("a.conf", Some(2)));
        assert!(e.message.contains("nope.conf"), "{e}");
        std::fs::write(dir.path().join("b.conf"), "requirepass \"x\n").unwrap();
        let e = RedisConf::load(&dir.path().join("b.conf"), dir.path()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "b.conf:1: unbalanced quotes in configuration line"
        );
    }

    #[test]
    fn save_lines_add_up_and_empty_save_resets() {
        let d = parse_str("save 900 1\nsave 300 10\n", "r.conf").unwrap();
        let conf = RedisConf { directives: d };
        assert_eq!(conf.value("save").unwrap().0, "900 1 300 10");
        let d = parse_str("save 900 1\nsave \"\"\n", "r.conf").unwrap();
        let conf = RedisConf { directives: d };
        assert_eq!(conf.value("save").unwrap().0, "");
    }
}
