//! PostgreSQL init SQL files (`database/init/01-init.sql`): the statements
//! that answer "which extensions will exist" and "which settings will apply"
//! before the database runs — `CREATE EXTENSION`, `ALTER SYSTEM SET`,
//! `ALTER DATABASE … SET` and `SET`. Statements are split with quotes,
//! dollar quotes, comments and psql meta-commands (`\c db`) respected, and
//! every item keeps its line and column. Reads only.

use std::sync::LazyLock;

use regex::Regex;

/// Where a setting statement applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scope {
    /// `ALTER SYSTEM SET` (postgresql.auto.conf; server-wide).
    System,
    /// `ALTER DATABASE name SET`.
    Database,
    /// `SET` (the session running the script only).
    Session,
}

/// `CREATE EXTENSION name`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Extension {
    /// The extension name, unquoted.
    pub name: String,
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub column: u32,
}

/// `ALTER SYSTEM SET name = value` and friends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Setting {
    /// Setting name, lower-case.
    pub name: String,
    /// The value as written, outer quotes removed.
    pub value: String,
    /// Where it applies.
    pub scope: Scope,
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub column: u32,
}

/// What an init SQL file declares.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct InitSql {
    /// Extensions created, in order.
    pub extensions: Vec<Extension>,
    /// Settings, in order (later ones win).
    pub settings: Vec<Setting>,
}

impl InitSql {
    /// The last setting of `name` (case-insensitive), preferring server-wide
    /// scopes over `SET` in the script's own session.
    pub(crate) fn setting(&self, name: &str) -> Option<&Setting> {
        let name = name.to_ascii_lowercase();
        let of_scope = |scope: Scope| {
            self.settings
                .iter()
                .rev()
                .find(|s| s.name == name && s.scope == scope)
        };
        of_scope(Scope::System)
            .or_else(|| of_scope(Scope::Database))
            .or_else(|| of_scope(Scope::Session))
    }

    /// Adds what another file declares (files run in name order).
    pub(crate) fn extend(&mut self, other: InitSql) {
        self.extensions.extend(other.extensions);
        self.settings.extend(other.settings);
    }
}

/// One statement with comments removed and the position of its first token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Statement {
    /// Text without comments, whitespace kept.
    pub text: String,
    /// 1-based line of the first token.
    pub line: u32,
    /// 1-based column of the first token.
    pub column: u32,
}

/// Splits SQL text into statements at `;` outside quotes, dollar quotes and
/// comments; psql meta-command lines (`\connect db`) end a statement.
pub(crate) fn statements(text: &str) -> Vec<Statement> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut start: Option<(u32, u32)> = None;
    let (mut line, mut col) = (1u32, 1u32);
    let mut i = 0;
    let mut at_line_start = true;
    let flush = |cur: &mut String, start: &mut Option<(u32, u32)>, out: &mut Vec<Statement>| {
        if let Some((l, c)) = start.take() {
            let t = cur.trim();
            if !t.is_empty() {
                out.push(Statement {
                    text: t.to_string(),
                    line: l,
                    column: c,
                });
            }
        }
        cur.clear();
    };
    // Advances over one char, keeping line/column.
    macro_rules! bump {
        () => {{
            if chars[i] == '\n' {
                line += 1;
                col = 1;
            } else {
                col += 1;
            }
            i += 1;
        }};
    }
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if at_line_start && c == '\\' {
            flush(&mut cur, &mut start, &mut out);
            while i < chars.len() && chars[i] != '\n' {
                bump!();
            }
            continue;
        }
        if !c.is_whitespace() {
            at_line_start = false;
        }
        if c == '\n' {
            at_line_start = true;
        }
        if c == '-' && next == Some('-') {
            while i < chars.len() && chars[i] != '\n' {
                bump!();
            }
            continue;
        }
        if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    bump!();
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    bump!();
                    if depth == 0 {
                        bump!();
                        break;
                    }
                }
                bump!();
            }
            cur.push(' ');
            continue;
        }
        if c == ';' {
            flush(&mut cur, &mut start, &mut out);
            bump!();
            continue;
        }
        if !c.is_whitespace() && start.is_none() {
            start = Some((line, col));
        }
        if c == '\'' || c == '"' {
            cur.push(c);
            bump!();
            while i < chars.len() {
                let d = chars[i];
                cur.push(d);
                bump!();
                if d == c {
                    if i < chars.len() && chars[i] == c {
                        // Doubled quote: an escaped quote inside the literal.
                        cur.push(c);
                        bump!();
                        continue;
                    }
                    break;
                }
            }
            continue;
        }
        if c == '$'
            && let Some(tag_len) = dollar_tag(&chars[i..])
        {
            let tag: String = chars[i..i + tag_len].iter().collect();
            for _ in 0..tag_len {
                cur.push(chars[i]);
                bump!();
            }
            while i < chars.len() {
                if chars[i] == '$' && chars[i..].iter().take(tag_len).copied().eq(tag.chars()) {
                    for _ in 0..tag_len {
                        cur.push(chars[i]);
                        bump!();
                    }
                    break;
                }
                cur.push(chars[i]);
                bump!();
            }
            continue;
        }
        cur.push(c);
        bump!();
    }
    flush(&mut cur, &mut start, &mut out);
    out
}

/// Length of a `$tag$` opener at the start of `s`.
fn dollar_tag(s: &[char]) -> Option<usize> {
    let mut n = 1;
    while n < s.len() {
        match s[n] {
            '$' => return Some(n + 1),
            c if c.is_alphanumeric() || c == '_' => n += 1,
            _ => return None,
        }
    }
    None
}

static CREATE_EXTENSION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?is)^create\s+extension\s+(?:if\s+not\s+exists\s+)?("([^"]+)"|([A-Za-z0-9_\-]+))"#,
    )
    .unwrap_or_else(|e| unreachable!("static regex: {e}"))
});
static SET: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?is)^(alter\s+system\s+set|alter\s+database\s+("[^"]+"|\S+)\s+set|set(?:\s+session)?)\s+([A-Za-z0-9_.]+)\s*(?:=|\bto\b)\s*(.+)$"#,
    )
    .unwrap_or_else(|e| unreachable!("static regex: {e}"))
});

/// Reads the extension and setting statements of one SQL file.
pub(crate) fn parse(text: &str) -> InitSql {
    let mut out = InitSql::default();
    for st in statements(text) {
        if let Some(c) = CREATE_EXTENSION.captures(&st.text) {
            let name = c
                .get(2)
                .or(c.get(3))
                .map(|m| m.as_str())
                .unwrap_or_default();
            out.extensions.push(Extension {
                name: name.to_string(),
                line: st.line,
                column: st.column,
            });
        } else if let Some(c) = SET.captures(&st.text) {
            let head = c[1].to_ascii_lowercase();
            let scope = if head.starts_with("alter system") {
                Scope::System
            } else if head.starts_with("alter database") {
                Scope::Database
            } else {
                Scope::Session
            };
            out.settings.push(Setting {
                name: c[3].to_ascii_lowercase(),
                value: unquote(c[4].trim()),
                scope,
                line: st.line,
                column: st.column,
            });
        }
    }
    out
}

fn unquote(v: &str) -> String {
    if v.len() >= 2 && v.starts_with('\'') && v.ends_with('\'') {
        v[1..v.len() - 1].replace("''", "'")
    } else {
        v.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SQL: &str = r#"-- Extensions; CREATE EXTENSION commented_out;
CREATE EXTENSION IF NOT EXISTS "uuid-ossp";
create extension pg_trgm with schema public;
/* block; comment */ CREATE EXTENSION IF NOT EXISTS btree_gin;

\connect dotmac_prod
ALTER SYSTEM SET max_connections = 200;
ALTER SYSTEM SET shared_buffers TO '256MB';
ALTER DATABASE dotmac_prod SET statement_timeout = '30s';
SET work_mem = '8MB';
DO $body$ BEGIN RAISE NOTICE 'not; a statement'; END $body$;
INSERT INTO t VALUES ('it''s; fine');
ALTER SYSTEM SET max_connections = 300;
"#;

    #[test]
    fn finds_extensions_with_positions() {
        let p = parse(SQL);
        let names: Vec<_> = p.extensions.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["uuid-ossp", "pg_trgm", "btree_gin"]);
        assert_eq!((p.extensions[0].line, p.extensions[0].column), (2, 1));
        assert_eq!((p.extensions[2].line, p.extensions[2].column), (4, 22));
    }

    #[test]
    fn later_system_settings_win_and_quotes_are_removed() {
        let p = parse(SQL);
        let mc = p.setting("max_connections").unwrap();
        assert_eq!((mc.value.as_str(), mc.line), ("300", 13));
        assert_eq!(p.setting("shared_buffers").unwrap().value, "256MB");
        let st = p.setting("statement_timeout").unwrap();
        assert_eq!((st.value.as_str(), st.scope), ("30s", Scope::Database));
        assert_eq!(p.setting("work_mem").unwrap().scope, Scope::Session);
        assert_eq!(p.settings.len(), 5);
    }

    #[test]
    fn dollar_quotes_and_doubled_quotes_do_not_split_statements() {
        let st = statements(SQL);
        assert!(
            st.iter()
                .any(|s| s.text.starts_with("DO $body$") && s.text.ends_with("$body$"))
        );
        assert!(st.iter().any(|s| s.text.contains("'it''s; fine'")));
        assert!(!st.iter().any(|s| s.text.contains("commented_out")));
    }
}
