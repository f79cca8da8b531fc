//! The runtime dependencies a Python project declares, read from
//! `pyproject.toml` (`[project] dependencies`, `[tool.poetry.dependencies]`)
//! and `requirements*.txt`, as package names normalised the PEP 503 way.
//!
//! It reads only those two tables and plain requirement lines, enough to say
//! "gunicorn is not among them". When the list cannot be read with
//! confidence (dynamic dependencies, a requirements file that includes
//! another, a table it does not follow) it answers None: the caller then
//! reports nothing, it never guesses. Development groups and extras are not
//! runtime dependencies and are kept apart.

use crate::domain::dockerfile::requirement_name;

/// The dependencies a project declares for production.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Dependencies {
    /// Main dependencies, normalised names.
    pub main: Vec<String>,
    /// Optional extras and groups (dev, test, …), normalised names.
    pub optional: Vec<String>,
}

/// Reads `pyproject.toml` text; None when it declares no dependency table
/// readable here or marks dependencies `dynamic`.
pub(crate) fn parse_pyproject(text: &str) -> Option<Dependencies> {
    let mut deps = Dependencies::default();
    let mut section = String::new();
    let mut found = false;
    let mut in_array: Option<bool> = None; // Some(is_main) while reading a `[...]` array
    for raw in text.lines() {
        let line = strip_comment(raw).trim();
        if line.is_empty() {
            continue;
        }
        if let Some(main) = in_array {
            for item in quoted_strings(line) {
                let list = if main {
                    &mut deps.main
                } else {
                    &mut deps.optional
                };
                list.extend(requirement_name(&item));
            }
            if unquoted(line).contains(']') {
                in_array = None;
            }
            continue;
        }
        if line.starts_with('[') {
            section = line.trim_matches(['[', ']']).trim().to_string();
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let (key, value) = (key.trim().trim_matches('"'), value.trim());
        match section.as_str() {
            "project" if key == "dynamic" && value.contains("dependencies") => return None,
            "project" if key == "dependencies" => {
                found = true;
                deps.main.extend(
                    quoted_strings(value)
                        .iter()
                        .filter_map(|s| requirement_name(s)),
                );
                if !unquoted(value).contains(']') {
                    in_array = Some(true);
                }
            }
            "project.optional-dependencies" | "dependency-groups" => {
                deps.optional.extend(
                    quoted_strings(value)
                        .iter()
                        .filter_map(|s| requirement_name(s)),
                );
                if !unquoted(value).contains(']') {
                    in_array = Some(false);
                }
            }
            "tool.poetry.dependencies" => {
                found = true;
                if key != "python" {
                    deps.main.extend(requirement_name(key));
                }
            }
            s if s.starts_with("tool.poetry.group.") || s == "tool.poetry.dev-dependencies" => {
                deps.optional.extend(requirement_name(key));
            }
            _ => {}
        }
    }
    found.then_some(deps)
}

/// Reads a requirements file; None when it includes another file (`-r`,
/// `-c`) or installs from a path/URL this reader cannot name.
pub(crate) fn parse_requirements(text: &str) -> Option<Vec<String>> {
    let mut out = Vec::new();
    for raw in text.lines() {
        let line = strip_comment(raw).trim();
        if line.is_empty() {
            continue;
        }
        if line.starts_with("-r") || line.starts_with("--requirement") || line.starts_with("-e") {
            return None;
        }
        if line.starts_with('-') {
            continue; // --hash, --index-url, -c constraints: no package
        }
        match requirement_name(line) {
            Some(n) => out.push(n),
            None => return None,
        }
    }
    Some(out)
}

fn strip_comment(line: &str) -> &str {
    let mut quote = None;
    for (i, c) in line.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (None, '"' | '\'') => quote = Some(c),
            (None, '#') => return &line[..i],
            _ => {}
        }
    }
    line
}

/// `s` without its quoted strings.
fn unquoted(s: &str) -> String {
    let mut out = String::new();
    let mut quote = None;
    for c in s.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, c) => out.push(c),
        }
    }
    out
}

fn quoted_strings(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur: Option<(char, String)> = None;
    for c in s.chars() {
        match &mut cur {
            Some((q, buf)) if c == *q => {
                out.push(std::mem::take(buf));
                cur = None;
            }
            Some((_, buf)) => buf.push(c),
            None if c == '"' || c == '\'' => cur = Some((c, String::new())),
            None => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_poetry_main_dependencies_apart_from_dev_groups() {
        let t = "[tool.poetry]\nname = \"x\"\n[tool.poetry.dependencies]\npython = \">=3.12\"\nFastAPI = \">=0.1\"\nuvicorn = {extras = [\"standard\"], version = \">=0.25\"}  # server\n[tool.poetry.group.dev.dependencies]\ngunicorn = \"*\"\n";
        let d = parse_pyproject(t).unwrap();
        assert_eq!(d.main, ["fastapi", "uvicorn"]);
        assert!(!d.main.iter().any(|m| m == "gunicorn") && d.optional == ["gunicorn"]);
    }

    #[test]
    fn reads_pep621_arrays_over_several_lines() {
        let t = "[project]\nname = \"x\"\ndependencies = [\n  \"gunicorn>=22\",  # wsgi\n  \"Flask[async]==3.0\",\n]\n[project.optional-dependencies]\ndev = [\"pytest\"]\n";
        let d = parse_pyproject(t).unwrap();
        assert_eq!(d.main, ["gunicorn", "flask"]);
        assert_eq!(d.optional, ["pytest"]);
    }

    #[test]
    fn dynamic_or_absent_dependencies_are_unknown() {
        assert_eq!(
            parse_pyproject("[project]\ndynamic = [\"dependencies\"]\n"),
            None
        );
        assert_eq!(
            parse_pyproject("[build-system]\nrequires = [\"setuptools\"]\n"),
            None
        );
    }

    #[test]
    fn requirements_files_that_include_others_are_unknown() {
        assert_eq!(
            parse_requirements("celery[redis]==5.3 \\\n --hash=sha256:ab\nalembic\n"),
            Some(vec!["celery".into(), "alembic".into()])
        );
        assert_eq!(parse_requirements("-r base.txt\ngunicorn\n"), None);
    }
}
