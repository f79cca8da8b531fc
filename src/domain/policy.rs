//! Vault/OpenBao policy files (HCL): which capabilities each `path` block
//! grants, with the line of every block so findings can point at it.
//!
//! Only reads and describes; the `vault` kind decides what is right. hcl-rs
//! keeps no positions, so lines are recovered by matching each `path "…"`
//! block header in the text, in order.

use std::path::Path;

use regex::Regex;

/// One `path "…" { capabilities = [...] }` block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PathRule {
    /// The path pattern, as written (`secret/data/*`).
    pub path: String,
    /// Capabilities in the order written (`read`, `list`, `deny`, ...).
    pub capabilities: Vec<String>,
    /// 1-based line of the `path` block header.
    pub line: u32,
    /// 1-based line of the `capabilities` attribute (the block's line when absent).
    pub capabilities_line: u32,
}

/// A parsed policy: its path rules in file order.
#[derive(Debug, Clone, Default)]
pub(crate) struct Policy {
    /// Every `path` block, in order (a path may appear more than once).
    pub rules: Vec<PathRule>,
}

/// Why a policy could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PolicyError {
    /// What is wrong.
    pub message: String,
    /// 1-based line, when known.
    pub line: Option<u32>,
    /// 1-based column, when known.
    pub column: Option<u32>,
}

impl std::fmt::Display for PolicyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

static HEADER: std::sync::LazyLock<Regex> = std::sync::LazyLock::new(|| {
    Regex::new(r#"^\s*path\s+"((?:[^"\\]|\\.)*)"\s*\{?"#)
        .unwrap_or_else(|e| unreachable!("static regex: {e}"))
});
static CAPS: std::sync::LazyLock<Regex> = std::sync::LazyLock::new(|| {
    Regex::new(r"^\s*capabilities\s*=").unwrap_or_else(|e| unreachable!("static regex: {e}"))
});

/// Deepest bracket nesting a policy may have; real policies have 3.
const MAX_BRACKET_DEPTH: usize = 32;

/// Refuses unbalanced or absurdly nested brackets before the HCL parser sees
/// them: hcl-edit backtracks exponentially on unclosed `[` traversals
/// (found by the `policy` fuzz target: 4 KiB of `a[b[c…` never finished).
fn check_brackets(text: &str) -> Result<(), PolicyError> {
    let mut stack: Vec<(char, u32, u32)> = Vec::new();
    let (mut line, mut col) = (1u32, 0u32);
    let mut in_string = false;
    let mut escaped = false;
    let mut comment = false;
    let mut prev = '\0';
    for c in text.chars() {
        col = col.saturating_add(1);
        if c == '\n' {
            line = line.saturating_add(1);
            col = 0;
            comment = false;
            prev = c;
            continue;
        }
        if comment {
            continue;
        }
        if in_string {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
            continue;
        }
        match c {
            '"' => in_string = true,
            '#' => comment = true,
            '/' if prev == '/' => comment = true,
            '[' | '{' | '(' => {
                stack.push((c, line, col));
                if stack.len() > MAX_BRACKET_DEPTH {
                    return Err(PolicyError {
                        message: format!("brackets nested deeper than {MAX_BRACKET_DEPTH}"),
                        line: Some(line),
                        column: Some(col),
                    });
                }
            }
            ']' | '}' | ')' => {
                let want = match c {
                    ']' => '[',
                    '}' => '{',
                    _ => '(',
                };
                match stack.pop() {
                    Some((open, _, _)) if open == want => {}
                    _ => {
                        return Err(PolicyError {
                            message: format!("invalid HCL: unexpected `{c}`"),
                            line: Some(line),
                            column: Some(col),
                        });
                    }
                }
            }
            _ => {}
        }
        prev = c;
    }
    match stack.last() {
        Some((open, l, c)) => Err(PolicyError {
            message: format!("invalid HCL: `{open}` is never closed"),
            line: Some(*l),
            column: Some(*c),
        }),
        None => Ok(()),
    }
}

impl Policy {
    /// Reads and parses a policy file.
    pub(crate) fn read(path: &Path) -> Result<Policy, PolicyError> {
        let text =
            super::textfile::read(path, super::textfile::MAX_TEXT_FILE_BYTES).map_err(|e| {
                PolicyError {
                    message: e.message,
                    line: e.line,
                    column: None,
                }
            })?;
        Policy::parse(&text)
    }

    /// Parses policy text.
    pub(crate) fn parse(text: &str) -> Result<Policy, PolicyError> {
        check_brackets(text)?;
        let body = hcl::parse(text).map_err(|e| match e {
            hcl::Error::Parse(p) => PolicyError {
                message: format!("invalid HCL: {}", p.message()),
                line: u32::try_from(p.location().line()).ok(),
                column: u32::try_from(p.location().column()).ok(),
            },
            other => PolicyError {
                message: format!("invalid HCL: {other}"),
                line: None,
                column: None,
            },
        })?;
        let lines: Vec<&str> = text.lines().collect();
        let mut cursor = 0usize;
        let mut rules = Vec::new();
        for block in body.blocks() {
            if block.identifier() != "path" {
                continue;
            }
            let Some(label) = block.labels().first() else {
                return Err(PolicyError {
                    message: "a `path` block needs a quoted path: path \"secret/data/*\" { ... }"
                        .into(),
                    line: None,
                    column: None,
                });
            };
            let path = label.as_str().to_string();
            let mut capabilities = Vec::new();
            let mut caps_seen = false;
            for attr in block.body().attributes() {
                if attr.key() != "capabilities" {
                    continue;
                }
                caps_seen = true;
                match attr.expr() {
                    hcl::Expression::Array(items) => {
                        for item in items {
                            match item {
                                hcl::Expression::String(s) => capabilities.push(s.clone()),
                                _ => {
                                    return Err(PolicyError {
                                        message: format!(
                                            "capabilities of `{path}` must be a list of strings"
                                        ),
                                        line: None,
                                        column: None,
                                    });
                                }
                            }
                        }
                    }
                    _ => {
                        return Err(PolicyError {
                            message: format!("capabilities of `{path}` must be a list"),
                            line: None,
                            column: None,
                        });
                    }
                }
            }
            // Find this block's header at or after the previous one.
            let header = (cursor..lines.len()).find(|&i| {
                HEADER
                    .captures(lines[i])
                    .is_some_and(|c| c.get(1).is_some_and(|m| m.as_str() == path))
            });
            let (line, capabilities_line) = match header {
                Some(i) => {
                    cursor = i + 1;
                    let caps_at = if caps_seen {
                        (i..lines.len())
                            .find(|&j| CAPS.is_match(lines[j]))
                            .unwrap_or(i)
                    } else {
                        i
                    };
                    (to_line(i), to_line(caps_at))
                }
                None => (1, 1),
            };
            rules.push(PathRule {
                path,
                capabilities,
                line,
                capabilities_line,
            });
        }
        Ok(Policy { rules })
    }

    /// The rules for `path` (a path may be written in several blocks).
    pub(crate) fn rules_for<'a>(
        &'a self,
        path: &'a str,
    ) -> impl Iterator<Item = &'a PathRule> + 'a {
        self.rules.iter().filter(move |r| r.path == path)
    }
}

/// Whether a policy path pattern can match some path under `mount/`.
///
/// Vault globs: a trailing `*` matches any suffix (a prefix match), `+`
/// matches exactly one path segment. `secret/data/app/*` and `+/data/*` and
/// `*` cover the `secret` mount; `sys/*` and `secretive/*` do not.
pub(crate) fn covers_mount(pattern: &str, mount: &str) -> bool {
    let mount = mount.trim_matches('/');
    if mount.is_empty() {
        return true;
    }
    fits(pattern.as_bytes(), format!("{mount}/").as_bytes())
}

/// Whether some string matching `pattern` starts with `prefix`.
fn fits(pattern: &[u8], prefix: &[u8]) -> bool {
    match (pattern.first(), prefix.first()) {
        (_, None) => true,
        (None, Some(_)) => false,
        (Some(b'*'), _) => true,
        (Some(b'+'), _) => match prefix.iter().position(|&c| c == b'/') {
            // `+` takes the whole next segment, which must not be empty.
            Some(0) => false,
            Some(i) => fits(&pattern[1..], &prefix[i..]),
            // The prefix ends inside the segment `+` is matching.
            None => true,
        },
        (Some(a), Some(b)) => a == b && fits(&pattern[1..], &prefix[1..]),
    }
}

/// Capabilities that only read: what "read-only" allows on a secrets mount.
pub(crate) const READ_ONLY_CAPABILITIES: &[&str] = &["read", "list", "deny"];

fn to_line(index: usize) -> u32 {
    u32::try_from(index + 1).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    const APP: &str = r#"# App policy
path "secret/data/*" {
  capabilities = ["read"]
}

path "secret/metadata/*" {
  capabilities = ["list", "read"]
}

path "sys/*" {
  capabilities = ["deny"]
}
"#;

    #[test]
    fn parses_paths_capabilities_and_lines() {
        let p = Policy::parse(APP).unwrap();
        assert_eq!(p.rules.len(), 3);
        assert_eq!(p.rules[0].path, "secret/data/*");
        assert_eq!(p.rules[0].capabilities, ["read"]);
        assert_eq!((p.rules[0].line, p.rules[0].capabilities_line), (2, 3));
        assert_eq!(p.rules[1].capabilities, ["list", "read"]);
        assert_eq!(p.rules[2].line, 10);
    }

    #[test]
    fn repeated_path_blocks_get_their_own_lines() {
        let p = Policy::parse(
            "path \"a/*\" { capabilities = [\"read\"] }\npath \"a/*\" {\n  capabilities = [\"update\"]\n}\n",
        )
        .unwrap();
        let lines: Vec<u32> = p.rules_for("a/*").map(|r| r.line).collect();
        assert_eq!(lines, [1, 2]);
        assert_eq!(p.rules[1].capabilities_line, 3);
    }

    #[test]
    fn mount_coverage_follows_vault_globs() {
        for p in [
            "secret/data/app/*",
            "secret/*",
            "secret/",
            "*",
            "+/data/*",
            "se*",
            "secret/+/x",
        ] {
            assert!(covers_mount(p, "secret"), "{p}");
        }
        for p in [
            "sys/*",
            "secretive/*",
            "auth/token/renew-self",
            "secret",
            "+",
            "kv/data/*",
        ] {
            assert!(!covers_mount(p, "secret"), "{p}");
        }
        assert!(covers_mount("kv/prod/data/*", "kv/prod"));
        assert!(covers_mount("kv/+/data/*", "kv/prod/"));
        assert!(!covers_mount("kv/dev/*", "kv/prod"));
    }

    #[test]
    fn invalid_hcl_is_located() {
        let e = Policy::parse("path \"a\" {\n  capabilities = [\"read\"\n}\n").unwrap_err();
        assert!(e.message.starts_with("invalid HCL"), "{}", e.message);
        assert!(e.line.is_some());
    }

    #[test]
    fn non_list_capabilities_are_refused() {
        let e = Policy::parse("path \"a\" { capabilities = \"read\" }\n").unwrap_err();
        assert!(e.message.contains("must be a list"), "{}", e.message);
    }
}
