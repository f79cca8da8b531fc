//! Alembic migration history read from `alembic/versions/*.py`: each file's
//! `revision` and `down_revision` (a string, `None`, or a tuple/list for a
//! merge revision), located, and the graph questions a deploy asks — which
//! revisions are heads, and which revisions a database at some revision still
//! lacks. Only reads files; never imports or runs Python.

use std::collections::{BTreeSet, HashSet};
use std::path::Path;
use std::sync::LazyLock;

use indexmap::IndexMap;
use regex::Regex;

/// One migration file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Revision {
    /// The revision id.
    pub id: String,
    /// Parent revision ids (empty for the first migration, two or more for a merge).
    pub down: Vec<String>,
    /// The file, as given to [`History::read_dir`] joined with the file name.
    pub file: String,
    /// 1-based line of `revision = …`.
    pub line: u32,
}

/// A problem with one migration file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Problem {
    /// The file.
    pub file: String,
    /// 1-based line, when known.
    pub line: Option<u32>,
    /// What is wrong.
    pub message: String,
}

/// The whole history.
#[derive(Debug, Clone, Default)]
pub(crate) struct History {
    /// Revisions by id, in file-name order.
    pub revisions: IndexMap<String, Revision>,
    /// Files that could not be understood, duplicate ids, unknown parents.
    pub problems: Vec<Problem>,
}

static ASSIGN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(revision|down_revision)\s*(?::[^=]+)?=\s*(.*)$")
        .unwrap_or_else(|e| unreachable!("static regex: {e}"))
});
static QUOTED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"'([^']*)'|"([^"]*)""#).unwrap_or_else(|e| unreachable!("static regex: {e}"))
});

/// What one file declares: `(revision, line)` and `down_revision`.
pub(crate) type FileDecl = (Option<(String, u32)>, Option<Vec<String>>);

/// Reads `revision` and `down_revision` from the text of one migration file.
/// Assignments must start a line (module level), as Alembic writes them.
pub(crate) fn parse_file(text: &str) -> Result<FileDecl, String> {
    let mut revision = None;
    let mut down = None;
    let lines: Vec<&str> = text.lines().collect();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        i += 1;
        let start = i;
        let Some(c) = ASSIGN.captures(line) else {
            continue;
        };
        let mut value = c[2].trim().to_string();
        // A tuple or list may span lines: read until the brackets balance.
        while open_brackets(&value) > 0 && i < lines.len() {
            value.push(' ');
            value.push_str(lines[i].trim());
            i += 1;
        }
        let value = strip_comment(&value);
        let ids: Vec<String> = QUOTED
            .captures_iter(value)
            .map(|q| {
                q.get(1)
                    .or(q.get(2))
                    .map(|m| m.as_str().to_string())
                    .unwrap_or_default()
            })
            .collect();
        let is_none = value.trim() == "None" || value.trim() == "()" || value.trim() == "[]";
        if ids.is_empty() && !is_none {
            return Err(format!(
                "line {start}: `{}` is not a string, None or a tuple of strings",
                c[1].to_string() + " = " + value.trim()
            ));
        }
        match &c[1] {
            "revision" => match ids.as_slice() {
                [one] => revision = Some((one.clone(), start as u32)),
                _ => return Err(format!("line {start}: `revision` must be one string")),
            },
            _ => down = Some(ids),
        }
    }
    Ok((revision, down))
}

fn open_brackets(s: &str) -> i32 {
    let mut depth = 0;
    let mut quote: Option<char> = None;
    for ch in s.chars() {
        match (quote, ch) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(ch),
            (None, '(' | '[') => depth += 1,
            (None, ')' | ']') => depth -= 1,
            (None, '#') => break,
            _ => {}
        }
    }
    depth
}

fn strip_comment(s: &str) -> &str {
    let mut quote: Option<char> = None;
    for (i, ch) in s.char_indices() {
        match (quote, ch) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(ch),
            (None, '#') => return &s[..i],
            _ => {}
        }
    }
    s
}

impl History {
    /// Reads every `*.py` file in `dir` (not recursing). `shown` is how the
    /// directory appears in findings (relative to the deployment root).
    pub(crate) fn read_dir(dir: &Path, shown: &str) -> std::io::Result<History> {
        let mut files: Vec<_> = std::fs::read_dir(dir)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "py"))
            .collect();
        files.sort();
        let mut texts = Vec::new();
        let mut unreadable = Vec::new();
        for f in files {
            let name = f
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            if name == "__init__.py" {
                continue;
            }
            let file = format!("{}/{name}", shown.trim_end_matches('/'));
            match super::textfile::read(&f, super::textfile::MAX_TEXT_FILE_BYTES) {
                Ok(text) => texts.push((file, text)),
                Err(e) => unreadable.push(Problem {
                    file,
                    line: e.line,
                    message: e.message,
                }),
            }
        }
        let mut history = History::from_texts(texts);
        history.problems.extend(unreadable);
        Ok(history)
    }

    /// Builds a history from `(file, text)` pairs.
    pub(crate) fn from_texts(texts: Vec<(String, String)>) -> History {
        let mut h = History::default();
        for (file, text) in texts {
            match parse_file(&text) {
                Ok((Some((id, line)), down)) => {
                    if let Some(prev) = h.revisions.get(&id) {
                        h.problems.push(Problem {
                            file: file.clone(),
                            line: Some(line),
                            message: format!("revision {id} is also declared in {}", prev.file),
                        });
                        continue;
                    }
                    h.revisions.insert(
                        id.clone(),
                        Revision {
                            id,
                            down: down.unwrap_or_default(),
                            file,
                            line,
                        },
                    );
                }
                Ok((None, _)) => h.problems.push(Problem {
                    file,
                    line: None,
                    message: "no `revision = \"…\"` assignment; not a migration file".to_string(),
                }),
                Err(message) => h.problems.push(Problem {
                    file,
                    line: None,
                    message,
                }),
            }
        }
        let known: HashSet<&String> = h.revisions.keys().collect();
        let mut unknown = Vec::new();
        for r in h.revisions.values() {
            for d in &r.down {
                if !known.contains(d) {
                    unknown.push(Problem {
                        file: r.file.clone(),
                        line: Some(r.line),
                        message: format!(
                            "revision {} names down_revision {d}, which no file declares",
                            r.id
                        ),
                    });
                }
            }
        }
        h.problems.extend(unknown);
        // Cycles (`down_revision` naming itself, or A → B → A): peel off
        // revisions whose parents are all settled; whatever is left is in a
        // cycle or descends from one.
        let mut settled: HashSet<&str> = HashSet::new();
        loop {
            let before = settled.len();
            for r in h.revisions.values() {
                if !settled.contains(r.id.as_str())
                    && r.down
                        .iter()
                        .all(|d| settled.contains(d.as_str()) || !known.contains(d))
                {
                    settled.insert(r.id.as_str());
                }
            }
            if settled.len() == before {
                break;
            }
        }
        let mut cyclic: Vec<&Revision> = h
            .revisions
            .values()
            .filter(|r| !settled.contains(r.id.as_str()))
            .collect();
        cyclic.sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
        let cycle_problems: Vec<Problem> = cyclic
            .first()
            .map(|r| Problem {
                file: r.file.clone(),
                line: Some(r.line),
                message: format!(
                    "revision {} is in a down_revision cycle ({} revisions cannot reach a base)",
                    r.id,
                    cyclic.len()
                ),
            })
            .into_iter()
            .collect();
        h.problems.extend(cycle_problems);
        h
    }

    /// Revisions no other revision names as a parent, in file order.
    pub(crate) fn heads(&self) -> Vec<&Revision> {
        let parents: HashSet<&String> = self.revisions.values().flat_map(|r| &r.down).collect();
        self.revisions
            .values()
            .filter(|r| !parents.contains(&r.id))
            .collect()
    }

    /// `ids` and all their ancestors.
    pub(crate) fn ancestry<'a>(
        &'a self,
        ids: impl IntoIterator<Item = &'a str>,
    ) -> BTreeSet<&'a str> {
        let mut seen = BTreeSet::new();
        let mut stack: Vec<&str> = ids.into_iter().collect();
        while let Some(id) = stack.pop() {
            if !seen.insert(id) {
                continue;
            }
            if let Some(r) = self.revisions.get(id) {
                stack.extend(r.down.iter().map(String::as_str));
            }
        }
        seen
    }

    /// Revisions reachable from the heads that a database at `current`
    /// lacks, oldest first.
    pub(crate) fn missing(&self, current: &[String]) -> Vec<String> {
        let have = self.ancestry(current.iter().map(String::as_str));
        let mut out = Vec::new();
        let mut done = HashSet::new();
        for head in self.heads() {
            self.post_order(&head.id, &have, &mut done, &mut out);
        }
        out
    }

    fn post_order<'a>(
        &'a self,
        id: &'a str,
        have: &BTreeSet<&str>,
        done: &mut HashSet<&'a str>,
        out: &mut Vec<String>,
    ) {
        // Iterative to stay safe on long histories.
        let mut stack: Vec<(&str, bool)> = vec![(id, false)];
        while let Some((id, expanded)) = stack.pop() {
            if have.contains(id) || (!expanded && done.contains(id)) {
                continue;
            }
            if expanded {
                if done.insert(id) {
                    out.push(id.to_string());
                }
                continue;
            }
            stack.push((id, true));
            if let Some(r) = self.revisions.get(id) {
                for d in r.down.iter().rev() {
                    stack.push((d.as_str(), false));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn down_revision_cycles_are_problems() {
        let h = History::from_texts(vec![
            mig("a1", "b2"),
            mig("b2", "a1"),
            (
                "versions/s.py".into(),
                "revision = \"s3\"\ndown_revision = \"s3\"\n".into(),
            ),
        ]);
        assert!(
            h.problems
                .iter()
                .any(|p| p.message.contains("down_revision cycle")),
            "{:?}",
            h.problems
        );
    }

    fn mig(id: &str, down: &str) -> (String, String) {
        (
            format!("versions/{id}.py"),
            format!(
                "\"\"\"{id}\n\nRevision ID: {id}\n\"\"\"\nfrom alembic import op\n\nrevision: str = '{id}'\ndown_revision: Union[str, Sequence[str], None] = {down}\nbranch_labels = None\n"
            ),
        )
    }

    #[test]
    fn parses_strings_none_and_multiline_merge_tuples() {
        let (rev, down) = parse_file("revision = \"abc\"\ndown_revision = None\n").unwrap();
        assert_eq!(rev, Some(("abc".to_string(), 1)));
        assert_eq!(down, Some(vec![]));
        let text =
            "x = 1\nrevision = 'm1'  # merge\ndown_revision = (\n    'a1',\n    \"b1\",\n)\n";
        let (rev, down) = parse_file(text).unwrap();
        assert_eq!(rev, Some(("m1".to_string(), 2)));
        assert_eq!(down, Some(vec!["a1".to_string(), "b1".to_string()]));
        // The docstring's "Revision ID:" is not an assignment.
        assert!(parse_file("Revises: x\n").unwrap().0.is_none());
    }

    #[test]
    fn linear_chain_has_one_head_and_lists_missing_oldest_first() {
        let h = History::from_texts(vec![
            mig("a1", "None"),
            mig("b2", "'a1'"),
            mig("c3", "'b2'"),
        ]);
        assert!(h.problems.is_empty(), "{:?}", h.problems);
        let heads: Vec<_> = h.heads().iter().map(|r| r.id.as_str()).collect();
        assert_eq!(heads, ["c3"]);
        assert_eq!(h.missing(&["a1".to_string()]), ["b2", "c3"]);
        assert!(h.missing(&["c3".to_string()]).is_empty());
        assert_eq!(h.missing(&[]), ["a1", "b2", "c3"]);
    }

    #[test]
    fn branches_are_conflicting_heads_until_merged() {
        let branched = vec![mig("a1", "None"), mig("b2", "'a1'"), mig("c2", "'a1'")];
        let h = History::from_texts(branched.clone());
        let heads: Vec<_> = h.heads().iter().map(|r| r.id.as_str()).collect();
        assert_eq!(heads, ["b2", "c2"]);
        let mut merged = branched;
        merged.push(mig("m3", "('b2', 'c2')"));
        let h = History::from_texts(merged);
        let heads: Vec<_> = h.heads().iter().map(|r| r.id.as_str()).collect();
        assert_eq!(heads, ["m3"]);
        assert_eq!(h.missing(&["b2".to_string()]), ["c2", "m3"]);
    }

    #[test]
    fn reports_unknown_parents_and_duplicates() {
        let h = History::from_texts(vec![
            mig("a1", "'zz'"),
            (
                "versions/dup.py".into(),
                "revision = 'a1'\ndown_revision = None\n".into(),
            ),
            ("versions/notes.py".into(), "print('hi')\n".into()),
        ]);
        let msgs: Vec<_> = h.problems.iter().map(|p| p.message.as_str()).collect();
        assert_eq!(msgs.len(), 3, "{msgs:?}");
        assert!(msgs.iter().any(|m| m.contains("also declared")));
        assert!(msgs.iter().any(|m| m.contains("down_revision zz")));
    }
}
