//! `.dockerignore`: which paths of a build context the builder never sees.
//!
//! Docker's rules (moby/patternmatcher): patterns are relative to the
//! context root (a leading `/` is dropped, `foo` means `./foo`, not any
//! `foo`), `**` crosses directories, a pattern that matches a directory
//! excludes everything under it, `!` re-includes, and the *last* pattern that
//! matches a path or one of its parents decides. A Dockerfile-specific
//! `<Dockerfile>.dockerignore` beside the Dockerfile replaces the context's.
//!
//! Each line is compiled with the `ignore` crate's gitignore matcher, anchored
//! at the root so it has Docker's meaning, and the lines are applied in order
//! by Docker's last-match rule (gitignore itself cannot re-include a file under
//! an excluded directory; Docker can).

use std::path::{Path, PathBuf};

use ignore::gitignore::{Gitignore, GitignoreBuilder};

/// A parsed `.dockerignore`.
#[derive(Debug)]
pub(crate) struct DockerIgnore {
    /// The file it was read from.
    pub path: PathBuf,
    rules: Vec<Rule>,
}

#[derive(Debug)]
struct Rule {
    line: u32,
    negated: bool,
    matcher: Gitignore,
}

impl DockerIgnore {
    /// The ignore file that applies to `dockerfile` built in `context`, if any.
    pub(crate) fn for_build(context: &Path, dockerfile: &Path) -> Option<DockerIgnore> {
        let specific = PathBuf::from(format!("{}.dockerignore", dockerfile.display()));
        let path = if specific.is_file() {
            specific
        } else {
            context.join(".dockerignore")
        };
        let text = std::fs::read_to_string(&path).ok()?;
        Some(Self::parse(context, path, &text))
    }

    /// Parses ignore-file text for a context rooted at `context`.
    pub(crate) fn parse(context: &Path, path: PathBuf, text: &str) -> DockerIgnore {
        let mut rules = Vec::new();
        for (i, raw) in text.lines().enumerate() {
            let t = raw.trim();
            if t.is_empty() || t.starts_with('#') {
                continue;
            }
            let (negated, pat) = match t.strip_prefix('!') {
                Some(p) => (true, p.trim()),
                None => (false, t),
            };
            let pat = pat.trim_start_matches("./").trim_matches('/');
            if pat.is_empty() {
                continue;
            }
            let mut b = GitignoreBuilder::new(context);
            // Anchored at the root, as Docker reads it.
            if b.add_line(None, &format!("/{pat}")).is_err() {
                continue;
            }
            if let Ok(matcher) = b.build() {
                rules.push(Rule {
                    line: i as u32 + 1,
                    negated,
                    matcher,
                });
            }
        }
        DockerIgnore { path, rules }
    }

    /// The line of the pattern that excludes `rel` (a path relative to the
    /// context), or None when the builder sees it.
    pub(crate) fn excludes(&self, rel: &str, is_dir: bool) -> Option<u32> {
        let rel = rel.trim_start_matches("./").trim_end_matches('/');
        let mut verdict = None;
        for r in &self.rules {
            if !r.matcher.matched_path_or_any_parents(rel, is_dir).is_none() {
                verdict = (!r.negated).then_some(r.line);
            }
        }
        verdict
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn di(text: &str) -> DockerIgnore {
        DockerIgnore::parse(Path::new("/ctx"), "/ctx/.dockerignore".into(), text)
    }

    #[test]
    fn patterns_are_anchored_at_the_context_root() {
        let d = di("# comment\n*.lock\nnode_modules\n/docs/\n");
        assert_eq!(d.excludes("poetry.lock", false), Some(2));
        assert_eq!(
            d.excludes("sub/poetry.lock", false),
            None,
            "not at any depth"
        );
        assert_eq!(d.excludes("node_modules/x/y.js", false), Some(3));
        assert_eq!(d.excludes("docs/a.md", false), Some(4));
        assert_eq!(d.excludes("src/app.py", false), None);
    }

    #[test]
    fn last_match_wins_and_can_reinclude_under_an_excluded_dir() {
        let d = di("*\n!src\n!pyproject.toml\nsrc/**/*.pyc\n");
        assert_eq!(d.excludes("poetry.lock", false), Some(1));
        assert_eq!(d.excludes("pyproject.toml", false), None);
        assert_eq!(d.excludes("src/a/b.py", false), None);
        assert_eq!(d.excludes("src/a/b.pyc", false), Some(4));
        let d = di("scripts\n!scripts/entrypoint.sh\n");
        assert_eq!(d.excludes("scripts/entrypoint.sh", false), None);
        assert_eq!(d.excludes("scripts/other.sh", false), Some(1));
        let d = di("**/*.md\n");
        assert_eq!(d.excludes("a/b/README.md", false), Some(1));
    }
}
