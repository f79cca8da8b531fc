//! pydantic-settings models read from Python source, without Python: the
//! environment variable names a `BaseSettings` class accepts, derived the way
//! pydantic-settings 2.x derives them, with each name's type, default,
//! required-ness and aliases.
//!
//! What it follows (see `docs/settings.md` for the full list): `model_config`
//! (`SettingsConfigDict`/`ConfigDict`/dict), `class Config`, class keyword
//! arguments, inherited fields and config; nested `BaseModel`/`BaseSettings`
//! fields flattened with `env_nested_delimiter`; `Field(alias=…)`,
//! `validation_alias` (`AliasChoices`, `AliasPath`), `populate_by_name`;
//! `default`/`default_factory`; `Optional`/`| None`/`Annotated`, `Literal`,
//! `Enum`, containers (JSON), `SecretStr`, URL and DSN types; classes defined in
//! other modules of the same package, through `from … import …`.
//!
//! What it cannot read it says, as [`Note`]s — a custom
//! `settings_customise_sources`, an `alias_generator`, a type from a module it
//! cannot open — and it never invents a name. It reads files and returns data;
//! it prints nothing and judges nothing (that is `compose_env`'s job).
//!
//! Parser: tree-sitter with tree-sitter-python (see [`syntax`]): maintained by
//! the tree-sitter organisation, error-tolerant with exact positions, builds on
//! the project's Rust version and compiles in seconds; `ruff_python_parser`
//! needs a newer Rust than the project's and `rustpython-parser` is archived.

mod model;
pub(crate) mod syntax;
pub(crate) mod value;

use std::path::{Path, PathBuf};

use serde::Serialize;

pub(crate) use model::read;

/// A settings class's environment, as pydantic-settings reads it.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct SettingsModel {
    /// The file the class is defined in.
    pub file: PathBuf,
    /// The class name.
    pub class: String,
    /// 1-based line of the class statement.
    pub line: usize,
    /// The effective configuration (inherited and own).
    pub config: Config,
    /// Every accepted environment variable name, in field order.
    pub names: Vec<EnvName>,
    /// What could not be read statically.
    pub notes: Vec<Note>,
    /// Variables the module reads itself (`os.getenv("X")`, `os.environ["X"]`),
    /// e.g. in a `default_factory` or an `__init__`: read by the application,
    /// but not by pydantic-settings.
    pub env_reads: Vec<EnvRead>,
    /// What the class's `@field_validator`s refuse, as far as readable.
    pub rules: Vec<ValidatorRule>,
}

/// A top-level field's `@field_validator`, reduced to raises readyctl can
/// evaluate on an environment (see [`syntax::Validator`]).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub(crate) struct ValidatorRule {
    /// `Class.method`.
    pub validator: String,
    /// The field it validates.
    pub field: String,
    /// The environment names of the field.
    pub names: Vec<String>,
    /// The field's default when it is a literal string (pydantic-settings
    /// validates defaults, so an unset field is judged by it).
    pub default: Option<String>,
    /// `if info.data.get("f") == VALUE:` around the raises.
    pub guard: Option<RuleGuard>,
    /// The raises.
    pub raises: Vec<RuleRaise>,
    /// The file of the validator.
    pub file: PathBuf,
    /// 1-based line of its `def`.
    pub line: usize,
}

/// The condition every raise of a rule is under.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub(crate) struct RuleGuard {
    /// The field compared (validated before the rule's field).
    pub field: String,
    /// Its environment names.
    pub names: Vec<String>,
    /// The value (an enum member's value) that makes the raises apply.
    pub value: String,
    /// The field's literal default.
    pub default: Option<String>,
}

/// One `if …: raise` of a rule.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub(crate) struct RuleRaise {
    /// Any of these makes it raise.
    pub when: Vec<RuleCheck>,
    /// 1-based line of the `raise`.
    pub line: usize,
    /// The exception's message, if a literal.
    pub message: Option<String>,
}

/// A test on the field's text.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum RuleCheck {
    /// Empty.
    Empty,
    /// One of these strings.
    OneOf(Vec<String>),
    /// Fewer characters than this.
    ShorterThan(usize),
}

impl RuleCheck {
    /// Whether `v` meets the condition (so the validator raises).
    pub(crate) fn holds(&self, v: &str) -> bool {
        match self {
            RuleCheck::Empty => v.is_empty(),
            RuleCheck::OneOf(xs) => xs.iter().any(|x| x == v),
            RuleCheck::ShorterThan(n) => v.chars().count() < *n,
        }
    }
}

/// The configuration that decides environment names.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub(crate) struct Config {
    /// `env_prefix` (applies to field names, not to aliases).
    pub env_prefix: String,
    /// `env_nested_delimiter`; nested models are flattened only when set.
    pub env_nested_delimiter: Option<String>,
    /// `case_sensitive` (default false: names compare case-insensitively).
    pub case_sensitive: bool,
    /// `extra` (`ignore` by default for settings).
    pub extra: String,
    /// `env_file` entries, if any.
    pub env_file: Vec<String>,
    /// `populate_by_name` / `validate_by_name`: the field name works beside its alias.
    pub populate_by_name: bool,
    /// `env_ignore_empty`: an empty value counts as unset (the default applies).
    pub env_ignore_empty: bool,
    /// `env_parse_enums`: an enum field also takes its members' names.
    pub env_parse_enums: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            env_prefix: String::new(),
            env_nested_delimiter: None,
            case_sensitive: false,
            extra: "forbid".into(),
            env_file: Vec::new(),
            populate_by_name: false,
            env_ignore_empty: false,
            env_parse_enums: false,
        }
    }
}

/// One accepted environment variable.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub(crate) struct EnvName {
    /// The variable name (upper-case unless `case_sensitive`). For a
    /// `wildcard`, the prefix every key of the dict starts with.
    pub name: String,
    /// The field path (`database.host`).
    pub path: String,
    /// The JSON Schema type pydantic reports (`string`, `integer`, `number`,
    /// `boolean`, `array`, `object`), if it has one.
    #[serde(rename = "type")]
    pub ty: Option<String>,
    /// The JSON Schema format (`uri`, `multi-host-uri`, `password`, …).
    pub format: Option<String>,
    /// The Python annotation as written.
    pub annotation: String,
    /// The pydantic URL/DSN type (`PostgresDsn`, `HttpUrl`, …), whose schemes apply.
    pub url_type: Option<String>,
    /// Allowed values (`Literal`, `Enum`), compared case-sensitively.
    pub choices: Option<Vec<serde_json::Value>>,
    /// The default as JSON when it is a literal.
    pub default: Option<serde_json::Value>,
    /// The default as written when it is not a literal (`default_factory` included).
    pub default_text: Option<String>,
    /// A default exists (literal, expression or factory).
    pub has_default: bool,
    /// Must be set: no default here or on any enclosing model.
    pub required: bool,
    /// The other names that set the same field.
    pub aliases: Vec<String>,
    /// pydantic-settings decodes the value as JSON (lists, dicts, models).
    pub complex: bool,
    /// A dict field: any `NAME<key>` is accepted.
    pub wildcard: bool,
    /// `SecretStr`/`SecretBytes`: the value is a secret.
    pub secret: bool,
    /// How pydantic validates a value for it (for a `wildcard`, the dict's
    /// value type); `None` where the source does not say (an `AliasPath`).
    #[serde(skip)]
    pub value: Option<value::VType>,
    /// Where the field is defined.
    pub file: PathBuf,
    /// 1-based line of the field.
    pub line: usize,
}

/// Something the reader could not follow.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub(crate) struct Note {
    /// The file.
    pub file: PathBuf,
    /// 1-based line.
    pub line: usize,
    /// What could not be read, and what that means for the names.
    pub message: String,
}

/// A variable the module reads with `os.getenv`/`os.environ`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub(crate) struct EnvRead {
    /// The variable name as written.
    pub name: String,
    /// The file.
    pub file: PathBuf,
    /// 1-based line.
    pub line: usize,
}

/// Why a settings module could not be read at all.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ReadError {
    /// The file.
    pub file: PathBuf,
    /// 1-based line (0 when the file could not be opened).
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub hint: Option<String>,
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.line > 0 {
            write!(
                f,
                "{}:{}:{}: {}",
                self.file.display(),
                self.line,
                self.column,
                self.message
            )
        } else {
            write!(f, "{}: {}", self.file.display(), self.message)
        }
    }
}

/// Splits `path.py[:Class]` (the class defaults to `Settings`, or the only
/// `BaseSettings` subclass in the file).
pub(crate) fn split_spec(spec: &str) -> (&Path, Option<&str>) {
    match spec.rsplit_once(':') {
        Some((p, c)) if !c.is_empty() && !c.contains(['/', '\\']) && p.ends_with(".py") => {
            (Path::new(p), Some(c))
        }
        _ => (Path::new(spec), None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_path_and_class() {
        assert_eq!(
            split_spec("src/a/settings.py:Settings"),
            (Path::new("src/a/settings.py"), Some("Settings"))
        );
        assert_eq!(split_spec("settings.py"), (Path::new("settings.py"), None));
        assert_eq!(
            split_spec("C:/x/settings.py"),
            (Path::new("C:/x/settings.py"), None)
        );
    }
}
