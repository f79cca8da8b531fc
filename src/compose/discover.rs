//! Which compose files a project is made of when no `-f` is given, and the
//! `COMPOSE_*` variables, the way docker compose (compose-go's
//! `cli.ProjectOptions`) decides them:
//!
//! 1. `COMPOSE_FILE`, split on `COMPOSE_PATH_SEPARATOR` (default `:` on
//!    Unix), from the process environment or the working directory's `.env`;
//! 2. otherwise the first of `compose.yaml`, `compose.yml`,
//!    `docker-compose.yml`, `docker-compose.yaml` in the working directory
//!    or the nearest parent that has one, plus the first matching override
//!    file (`compose.override.yml`, `compose.override.yaml`,
//!    `docker-compose.override.yml`, `docker-compose.override.yaml`) beside
//!    it;
//! 3. `COMPOSE_PROFILES` (comma-separated) when no `--profile` is given, and
//!    `COMPOSE_PROJECT_NAME` when no `-p` is given.
//!
//! This module reads the directory tree and the `.env` file it is given; it
//! never reads the process environment itself (callers pass it).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::domain::envfile::EnvFile;

/// The file names docker compose looks for, in its order of preference.
pub(crate) const DEFAULT_FILES: &[&str] = &[
    "compose.yaml",
    "compose.yml",
    "docker-compose.yml",
    "docker-compose.yaml",
];

/// The override files docker compose adds beside the one it found.
pub(crate) const OVERRIDE_FILES: &[&str] = &[
    "compose.override.yml",
    "compose.override.yaml",
    "docker-compose.override.yml",
    "docker-compose.override.yaml",
];

/// The `COMPOSE_*` settings of a working directory: the process environment
/// over the directory's `.env` (compose reads both for these variables).
#[derive(Debug, Clone, Default)]
pub(crate) struct ComposeVars {
    /// `COMPOSE_FILE`, split, when set and non-empty.
    pub files: Vec<PathBuf>,
    /// `COMPOSE_PROFILES`, split on commas, when set.
    pub profiles: Vec<String>,
    /// `COMPOSE_PROJECT_NAME`, when set and non-empty.
    pub project_name: Option<String>,
}

/// Reads the `COMPOSE_*` variables for `workdir`: `env` (the process
/// environment, or empty) wins over `workdir/.env`. A `.env` that cannot be
/// parsed is ignored here; the loader reports it when it reads the file for
/// interpolation.
pub(crate) fn compose_vars(workdir: &Path, env: &HashMap<String, String>) -> ComposeVars {
    let mut vars: HashMap<String, String> = HashMap::new();
    let dot = workdir.join(".env");
    if dot.is_file()
        && let Ok(f) = EnvFile::read(&dot)
    {
        for e in f.entries {
            vars.insert(e.key, e.value);
        }
    }
    for k in [
        "COMPOSE_FILE",
        "COMPOSE_PATH_SEPARATOR",
        "COMPOSE_PROFILES",
        "COMPOSE_PROJECT_NAME",
    ] {
        if let Some(v) = env.get(k) {
            vars.insert(k.to_string(), v.clone());
        }
    }
    let sep = vars
        .get("COMPOSE_PATH_SEPARATOR")
        .filter(|s| !s.is_empty())
        .cloned()
        .unwrap_or_else(|| if cfg!(windows) { ";" } else { ":" }.to_string());
    let files = vars
        .get("COMPOSE_FILE")
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.split(sep.as_str())
                .filter(|p| !p.is_empty())
                .map(|p| {
                    let p = Path::new(p);
                    if p.is_absolute() {
                        p.to_path_buf()
                    } else {
                        workdir.join(p)
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    let profiles = vars
        .get("COMPOSE_PROFILES")
        .map(|s| {
            s.split(',')
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    let project_name = vars
        .get("COMPOSE_PROJECT_NAME")
        .filter(|s| !s.is_empty())
        .cloned();
    ComposeVars {
        files,
        profiles,
        project_name,
    }
}

/// Finds the default compose file (and its override) in `workdir` or the
/// nearest parent directory that has one. `Err` says where it looked.
pub(crate) fn default_files(workdir: &Path) -> Result<Vec<PathBuf>, String> {
    let mut dir = Some(workdir);
    while let Some(d) = dir {
        if let Some(main) = DEFAULT_FILES
            .iter()
            .map(|n| d.join(n))
            .find(|p| p.is_file())
        {
            let mut out = vec![main];
            if let Some(o) = OVERRIDE_FILES
                .iter()
                .map(|n| d.join(n))
                .find(|p| p.is_file())
            {
                out.push(o);
            }
            return Ok(out);
        }
        dir = d.parent();
    }
    Err(format!(
        "no compose file found in {} or any parent directory (looked for {})",
        workdir.display(),
        DEFAULT_FILES.join(", ")
    ))
}

/// Docker compose's project name rule: lower case, only `a-z`, `0-9`, `_`
/// and `-`, not starting with `_` or `-`.
pub(crate) fn normalize_project_name(name: &str) -> String {
    let s: String = name
        .to_lowercase()
        .chars()
        .filter(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_' || *c == '-')
        .collect();
    s.trim_start_matches(['_', '-']).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn touch(dir: &Path, names: &[&str]) {
        for n in names {
            let p = dir.join(n);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, "services: {}\n").unwrap();
        }
    }

    #[test]
    fn prefers_compose_yaml_and_adds_its_override() {
        let d = tempfile::tempdir().unwrap();
        touch(
            d.path(),
            &[
                "docker-compose.yml",
                "compose.yaml",
                "docker-compose.override.yml",
            ],
        );
        let f = default_files(d.path()).unwrap();
        assert_eq!(f[0], d.path().join("compose.yaml"));
        assert_eq!(f[1], d.path().join("docker-compose.override.yml"));
    }

    #[test]
    fn looks_in_parent_directories() {
        let d = tempfile::tempdir().unwrap();
        touch(d.path(), &["docker-compose.yaml", "sub/deeper/x.txt"]);
        let f = default_files(&d.path().join("sub/deeper")).unwrap();
        assert_eq!(f, vec![d.path().join("docker-compose.yaml")]);
    }

    #[test]
    fn compose_file_from_dot_env_with_its_separator() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(
            d.path().join(".env"),
            "COMPOSE_FILE=a.yml;b.yml\nCOMPOSE_PATH_SEPARATOR=;\nCOMPOSE_PROFILES=x, y\n",
        )
        .unwrap();
        let mut env = HashMap::new();
        env.insert("COMPOSE_PROJECT_NAME".to_string(), "Shell".to_string());
        let v = compose_vars(d.path(), &env);
        assert_eq!(
            v.files,
            vec![d.path().join("a.yml"), d.path().join("b.yml")]
        );
        assert_eq!(v.profiles, vec!["x", "y"]);
        assert_eq!(v.project_name.as_deref(), Some("Shell"));
    }

    #[test]
    fn project_names_are_normalised_like_compose() {
        assert_eq!(normalize_project_name("My.App_1"), "myapp_1");
        assert_eq!(normalize_project_name("-_x"), "x");
    }
}
