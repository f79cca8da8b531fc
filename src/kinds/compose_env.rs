//! `compose_env`: a service's environment, after merge and interpolation,
//! against what the application accepts — inline lists, the pydantic
//! settings class read from its Python source (`settings:`, see
//! [`crate::domain::pysettings`]), or its JSON Schema
//! (`Settings.model_json_schema()`, from a file or a command), flattened the
//! way pydantic-settings reads the environment (`DATABASE__HOST` for
//! `database.host` with the `__` delimiter, optional prefix, case-insensitive).
//! All three become one list of [`Field`]s that every check below works on.

use std::path::PathBuf;
use std::sync::Arc;

use indexmap::IndexMap;
use serde::Deserialize;

use super::project::{finding_at as at, load_project};
use super::spec::{ValueRule, describe, mismatch};
use super::{CheckKind, Code, Outcome, RunContext, SpecProblem};
use crate::compose::yaml::{Loc, Node};
use crate::domain::pysettings::value::{Place, VType, ValueProblem, value_problem};
use crate::domain::selector::{ServiceFacts, ServiceRef, ServiceSelector};
use crate::report::Finding;
use crate::report::Severity;
use crate::report::codes::Level;

/// What a service's environment must look like.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ComposeEnvCheck {
    /// Compose files in `-f` order, relative to the deployment root
    /// (default: found as docker compose finds them, from the root).
    #[serde(default)]
    pub files: Vec<PathBuf>,
    /// Env files for interpolation (default: `.env` beside the first file).
    #[serde(default)]
    pub env_files: Vec<PathBuf>,
    /// Let the process environment override env files (default true, as compose).
    #[serde(default = "yes")]
    pub process_env: bool,
    /// The service whose environment is checked: a name, or candidate names
    /// (the first one the project defines). Give `service` or `select`.
    pub service: Option<ServiceRef>,
    /// Every service that matches (by name, image, build Dockerfile/target or
    /// command pattern) is checked, e.g. `{command: '^celery\b'}` for the workers.
    pub select: Option<ServiceSelector>,
    /// The application's settings as pydantic JSON Schema.
    pub schema: Option<PathBuf>,
    /// The application's pydantic-settings class, read from Python source:
    /// `path.py[:Class]` (class default `Settings`). Its `model_config` decides
    /// prefix, delimiter and case; `nested_delimiter`, `prefix` and
    /// `case_sensitive` are then ignored.
    pub settings: Option<String>,
    /// A command (argv, run without a shell in the deployment root) that
    /// prints the settings JSON Schema, for settings too dynamic to read.
    pub schema_command: Option<Vec<String>>,
    /// pydantic-settings `env_nested_delimiter` (default `__`).
    #[serde(default = "default_delimiter")]
    pub nested_delimiter: String,
    /// pydantic-settings `env_prefix`.
    #[serde(default)]
    pub prefix: String,
    /// Compare names case-sensitively (pydantic-settings default: no).
    #[serde(default)]
    pub case_sensitive: bool,
    /// Keys that must be set.
    #[serde(default)]
    pub required: Vec<String>,
    /// Keys the application accepts (besides the schema's).
    #[serde(default)]
    pub allowed: Vec<String>,
    /// Old name → new name.
    #[serde(default)]
    pub renamed: IndexMap<String, String>,
    /// Expected values (a string means equality; `{one_of}`, `{matches}` too).
    #[serde(default)]
    pub values: IndexMap<String, ValueRule>,
    /// Keys that are not the application's (e.g. `TZ`, `PYTHONUNBUFFERED`); a trailing `*` matches a prefix.
    #[serde(default)]
    pub ignore: Vec<String>,
}

fn yes() -> bool {
    true
}
fn default_delimiter() -> String {
    "__".into()
}

/// One environment variable the application reads.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Field {
    /// The variable name, upper-case, prefix included.
    pub name: String,
    /// JSON Schema type (`string`, `integer`, `number`, `boolean`, `object`, `array`), if one.
    pub ty: Option<String>,
    /// Allowed values for enums.
    pub choices: Option<Vec<String>>,
    /// No default: must be set.
    pub required: bool,
    /// JSON Schema format (`uri`, `multi-host-uri`, …), if one.
    pub format: Option<String>,
    /// pydantic-settings decodes the value as JSON (containers, models).
    pub complex: bool,
    /// A dict field: every name starting with `name` is accepted.
    pub wildcard: bool,
    /// Other names of the same setting (`validation_alias` choices): setting one is enough.
    pub aliases: Vec<String>,
    /// The pydantic URL type (`PostgresDsn`, …) when read from source: its schemes apply.
    pub url_type: Option<String>,
    /// How pydantic validates a value, when read from the settings source
    /// (then it decides, not `ty`/`choices`/`format`).
    pub value: Option<VType>,
    /// Set below a model through the delimiter (`DATABASE__PORT`), which
    /// pydantic-settings decodes a little differently from a top-level field.
    pub nested: bool,
    /// Where the field is defined (`settings.py`, line), for findings.
    pub defined_at: Option<(String, usize)>,
    /// The field as written (`trusted_hosts: list[str]`), for findings.
    pub annotation: Option<String>,
}

/// The fields of a settings class read from source, as `compose_env` uses them.
pub(crate) fn fields_from_settings(m: &crate::domain::pysettings::SettingsModel) -> Vec<Field> {
    let delim = m.config.env_nested_delimiter.as_deref().unwrap_or("\0");
    let mut seen_paths = std::collections::HashSet::new();
    m.names
        .iter()
        .map(|n| Field {
            name: n.name.clone(),
            ty: n.ty.clone(),
            choices: n.choices.as_ref().map(|c| {
                c.iter()
                    .map(|v| {
                        v.as_str()
                            .map(str::to_string)
                            .unwrap_or_else(|| v.to_string())
                    })
                    .collect()
            }),
            // As with a schema: a required model is satisfied through its
            // fields, and a field with several names is missing once.
            required: n.required
                && seen_paths.insert(n.path.clone())
                && !m.names.iter().any(|c| {
                    c.name.len() > n.name.len() + delim.len()
                        && c.name.starts_with(&n.name)
                        && c.name[n.name.len()..].starts_with(delim)
                }),
            format: n.format.clone(),
            complex: n.complex,
            wildcard: n.wildcard,
            aliases: n.aliases.clone(),
            url_type: n.url_type.clone(),
            value: n.value.clone(),
            nested: n.path.contains('.'),
            defined_at: Some((n.file.display().to_string(), n.line)),
            annotation: Some(format!(
                "{}: {}",
                n.path.rsplit('.').next().unwrap_or(&n.path),
                n.annotation
            )),
        })
        .collect()
}

/// Flattens a pydantic settings schema into environment variables.
pub(crate) fn flatten_schema(schema: &serde_json::Value, prefix: &str, delim: &str) -> Vec<Field> {
    let mut out = Vec::new();
    walk(
        schema,
        schema,
        &prefix.to_uppercase(),
        delim,
        true,
        0,
        &mut out,
    );
    out
}

fn resolve<'a>(root: &'a serde_json::Value, node: &'a serde_json::Value) -> &'a serde_json::Value {
    let mut n = node;
    for _ in 0..16 {
        if let Some(r) = n.get("$ref").and_then(|r| r.as_str()) {
            let path = r.trim_start_matches('#');
            match root.pointer(path) {
                Some(t) => n = t,
                None => return n,
            }
        } else if let Some(one) = n
            .get("allOf")
            .and_then(|a| a.as_array())
            .filter(|a| a.len() == 1)
        {
            n = &one[0];
        } else if let Some(any) = n.get("anyOf").and_then(|a| a.as_array()) {
            // Optional[X] is anyOf [X, null]: read X.
            match any
                .iter()
                .find(|a| a.get("type").and_then(|t| t.as_str()) != Some("null"))
            {
                Some(x) => n = x,
                None => return n,
            }
        } else {
            return n;
        }
    }
    n
}

fn walk(
    root: &serde_json::Value,
    node: &serde_json::Value,
    path: &str,
    delim: &str,
    required: bool,
    depth: usize,
    out: &mut Vec<Field>,
) {
    let node = resolve(root, node);
    let Some(props) = node.get("properties").and_then(|p| p.as_object()) else {
        return;
    };
    if depth > 8 {
        return;
    }
    let req: Vec<&str> = node
        .get("required")
        .and_then(|r| r.as_array())
        .map(|a| a.iter().filter_map(|v| v.as_str()).collect())
        .unwrap_or_default();
    for (name, prop) in props {
        let full = if depth == 0 {
            format!("{path}{}", name.to_uppercase())
        } else {
            format!("{path}{delim}{}", name.to_uppercase())
        };
        let target = resolve(root, prop);
        let is_required = required && req.contains(&name.as_str()) && prop.get("default").is_none();
        let choices = target.get("enum").and_then(|e| e.as_array()).map(|a| {
            a.iter()
                .map(|v| {
                    v.as_str()
                        .map(str::to_string)
                        .unwrap_or_else(|| v.to_string())
                })
                .collect()
        });
        let ty = target
            .get("type")
            .and_then(|t| t.as_str())
            .map(str::to_string);
        out.push(Field {
            name: full.clone(),
            ty: ty.clone(),
            choices,
            required: is_required && target.get("properties").is_none(),
            format: target
                .get("format")
                .and_then(|t| t.as_str())
                .map(str::to_string),
            complex: matches!(ty.as_deref(), Some("object" | "array")),
            wildcard: false,
            aliases: Vec::new(),
            url_type: None,
            value: None,
            nested: depth > 0,
            defined_at: None,
            annotation: None,
        });
        if target.get("properties").is_some() {
            walk(root, target, &full, delim, is_required, depth + 1, out);
        }
    }
}

/// Why `value` does not fit `field`, if it does not (pydantic's lax coercion).
pub(crate) fn type_problem(field: &Field, value: &str) -> Option<String> {
    use crate::domain::pysettings::value::{Shape, problem};
    let choices: Option<Vec<serde_json::Value>> = field.choices.as_ref().map(|c| {
        c.iter()
            .map(|x| serde_json::Value::String(x.clone()))
            .collect()
    });
    let choices = choices.map(|c| {
        // Numbers and booleans of a Literal keep their JSON type for comparison.
        c.into_iter()
            .map(
                |v| match v.as_str().and_then(|s| serde_json::from_str(s).ok()) {
                    Some(n @ (serde_json::Value::Number(_) | serde_json::Value::Bool(_))) => n,
                    _ => v,
                },
            )
            .collect::<Vec<_>>()
    });
    problem(
        Shape {
            ty: field.ty.as_deref(),
            format: field.format.as_deref(),
            choices: choices.as_deref(),
            complex: field.complex,
            url_type: field.url_type.as_deref(),
        },
        value,
    )
}

fn tokens(s: &str, delim: &str) -> Vec<Vec<String>> {
    s.to_lowercase()
        .split(&delim.to_lowercase())
        .map(|seg| {
            seg.split('_')
                .filter(|t| !t.is_empty())
                .map(str::to_string)
                .collect()
        })
        .collect()
}

/// Words that name the same setting in different settings classes.
const SYNONYMS: &[(&str, &[&str])] = &[
    ("name", &["database", "db", "dbname", "db_name"]),
    ("db", &["database"]),
    ("user", &["username"]),
    ("pass", &["password"]),
    ("pwd", &["password"]),
    ("passwd", &["password"]),
    ("addr", &["address", "host"]),
    ("uri", &["url"]),
    ("dsn", &["url"]),
];
/// The accepted name most likely meant by `key`: a synonym in the same
/// nested group (`DATABASE__NAME` → `DATABASE__DATABASE`), the key's words
/// inside a longer name (`JWT_SECRET` → `AUTH__JWT_SECRET_KEY`), or a typo.
#[cfg(test)]
pub(crate) fn suggest<'a>(key: &str, candidates: &'a [String], delim: &str) -> Option<&'a str> {
    suggestions(key, candidates, delim).into_iter().next()
}

/// How close two suggestions' scores must be for both to be offered.
const TIE: f64 = 0.03;

/// The names `key` most likely meant, best first: the best one, and a second
/// when it is about as likely (`JWT_SECRET` is inside both `JWT__SECRET_KEY`
/// and `AUTH__JWT_SECRET_KEY`; picking one would hide the other).
pub(crate) fn suggestions<'a>(key: &str, candidates: &'a [String], delim: &str) -> Vec<&'a str> {
    let k = tokens(key, delim);
    let kflat: Vec<String> = k.concat();
    let mut scored: Vec<(f64, &str)> = Vec::new();
    for c in candidates {
        let ct = tokens(c, delim);
        let cflat: Vec<String> = ct.concat();
        let mut score = strsim::jaro_winkler(&key.to_lowercase(), &c.to_lowercase());
        if score < 0.88 {
            score *= 0.7; // only close spellings count as typos
        }
        if k.len() == ct.len() && k.len() > 1 && k[..k.len() - 1] == ct[..ct.len() - 1] {
            let last = k[k.len() - 1].join("_");
            let clast = ct[ct.len() - 1].join("_");
            if SYNONYMS
                .iter()
                .any(|(w, syn)| *w == last && syn.contains(&clast.as_str()))
            {
                score = score.max(0.99);
            }
        }
        if !kflat.is_empty()
            && cflat.len() > kflat.len()
            && cflat.windows(kflat.len()).any(|w| w == kflat.as_slice())
        {
            score = score.max(0.97 - 0.02 * (cflat.len() - kflat.len()) as f64);
        }
        if score >= 0.75 && !scored.iter().any(|(_, n)| *n == c.as_str()) {
            scored.push((score, c.as_str()));
        }
    }
    // Stable: equal scores keep the candidates' order.
    scored.sort_by(|a, b| b.0.total_cmp(&a.0));
    let Some(&(best, _)) = scored.first() else {
        return Vec::new();
    };
    scored
        .into_iter()
        .take_while(|(s, _)| best - s <= TIE)
        .take(2)
        .map(|(_, n)| n)
        .collect()
}

impl CheckKind for ComposeEnvCheck {
    const NAME: &'static str = "compose_env";
    const SUMMARY: &'static str = "a compose service's environment against the app's settings (pydantic-settings source, its schema, or inline lists)";
    const CODES: &'static [Code] = &[
        Code::fail(
            "compose_env/unknown",
            "a key the app does not read, with a did-you-mean (`DATABASE__NAME` → `DATABASE__DATABASE`, `JWT_SECRET` → `AUTH__JWT_SECRET_KEY`)",
        ),
        Code::fail(
            "compose_env/renamed",
            "a key listed in `renamed`: the application no longer reads it",
        ),
        Code::fail(
            "compose_env/missing",
            "a required key, or a key in `values`, is not set (a required key that an `unknown` finding already suggests is not reported twice)",
        ),
        Code::fail(
            "compose_env/wrong-value",
            "a value differs from `values` (secret values are not shown)",
        ),
        Code {
            code: "compose_env/not-json",
            level: Level::Graded(Severity::Critical),
            summary: "a list/set/tuple/dict/model field's value is not JSON, so pydantic-settings' `json.loads` fails and `Settings()` raises `SettingsError` before validation: the process does not start. The hint gives the JSON form (`TRUSTED_HOSTS='[\"a.com\",\"b.com\"]'`); the finding names the settings line of the field",
        },
        Code {
            code: "compose_env/wrong-type",
            level: Level::Graded(Severity::Critical),
            summary: "a value pydantic's validation refuses (`ValidationError` in `Settings()`): not an enum or `Literal` member (case-sensitive), not a boolean word, integer, number or URL of the field's scheme, outside its `ge`/`le`/length/`pattern` constraints, or JSON whose items do not fit; names the settings line of the field (with `schema:`: the schema's types, enums and formats only)",
        },
        Code {
            code: "compose_env/validator-rejects",
            level: Level::Graded(Severity::Critical),
            summary: "a `@field_validator` of the settings class raises on the value the service gives the field, or on its default when the service does not set it (`SECRET_KEY is not set … while ENVIRONMENT is production: Settings.validate_secret_key raises ValueError`); names the validator's `raise` line and the compose line of the guarding variable",
        },
        Code::info(
            "compose_env/settings-unread",
            "something in the settings source readyctl could not read statically (a custom `settings_customise_sources`, a computed `model_config`, a type from a module it cannot open), at its line",
        ),
        Code::fail(
            "compose_env/interpolation-error",
            "the value's `${VAR:?msg}` failed",
        ),
    ];
    const DOCS: &'static str = r#"# compose_env

## What it checks
The environment of a compose service (or of every service a selector picks),
after docker compose's merge, `extends`
and interpolation, against what the application accepts: an inline list
(`required`, `allowed`, `renamed`, `values`) and/or the application's pydantic
settings: the settings class read straight from its Python source
(`settings: src/app/settings.py:Settings`, no Python needed; `readyctl settings`
shows what is read), a JSON Schema file (`schema:`, `Settings.model_json_schema()`
written out), or a command that prints one (`schema_command:`, for settings too
dynamic to read). Fields flatten like pydantic-settings reads them: nested models
become `DATABASE__HOST` with the `__` delimiter, the prefix is prepended, aliases
replace field names (`PARENT__ALIAS` below a nested model), names compare
case-insensitively unless `case_sensitive`; fields without a default are required.
Every value the service gets (its `environment:` after interpolation, and
its `env_file:` entries) is checked as pydantic-settings and pydantic check
it when `Settings()` is built. With `settings:` (read from source): lists,
sets, tuples, dicts and nested models (also inside `Optional`/`Union`) are
decoded with `json.loads` first — `TRUSTED_HOSTS=a.com,b.com` is not JSON and
`Settings()` stops with a `SettingsError` (a JSON `null` means unset; a
union with `str` takes the raw text; a dict key set as `LABELS__TEAM=1` is
decoded too, so `1` is a number there) — then the decoded items are checked
against their types (`list[int]` refuses `["x"]`, `tuple[str, int]` its
length, a model its fields); `Enum` members compare by value exactly (an
`IntEnum` takes `"1"`, `env_parse_enums` adds the member names), `Literal`
values exactly (`Literal[1]` refuses the text `1`); pydantic's boolean words,
integers (`1_000`, `5.0`), numbers, URL and DSN schemes; the constraints
`Field(ge/gt/le/lt/multiple_of, min_length/max_length, pattern)`, `conint`,
`constr`, `conlist`, `PositiveInt`… and `Annotated[…, Field(…)]`, on plain
fields and on `SecretStr`. And the class's own `@field_validator`s where they
are plain enough to read: leading `if not v …: raise`, `if v in (…): raise`,
`if len(v) < n: raise`, optionally under `if info.data.get("environment") ==
Environment.PRODUCTION:` — judged with the field's default when the service
does not set it, since pydantic-settings validates defaults (DotMac's Celery
workers run with `ENVIRONMENT=production` and no `SECRET_KEY`, so
`validate_secret_key` makes the import fail). `tests/it/settings_values.rs`
compares these verdicts with the real pydantic-settings on ~780 generated
cases. With `schema:`, the JSON Schema's types, enums and formats are checked
(no item types, constraints or validators).
With `settings:`, the class's own `model_config` decides prefix, delimiter and
case, and variables the module reads itself (`os.getenv("X")` in a default
factory) are not reported as unknown.

## Why it matters
The checklist's production overlay set `DATABASE__NAME` where the settings read
`DATABASE__DATABASE`, `JWT_SECRET` where they read `AUTH__JWT_SECRET_KEY`, and
never set `VAULT__ENABLED: "true"`: the app starts with defaults or refuses to start.

## Example
```yaml
- id: compose.api-env
  kind: compose_env
  title: API environment matches the settings schema
  severity: critical
  files: [docker-compose.base.yml, docker-compose.production.yml]
  env_files: [.env.production]
  service: app
  settings: src/dotmac/platform/settings.py:Settings
  values:
    VAULT__ENABLED: "true"
    ENVIRONMENT: production
  ignore: [PYTHONUNBUFFERED, TZ]
- id: compose.worker-env
  kind: compose_env
  title: Every Celery service's environment matches the settings schema
  files: [docker-compose.production.yml]
  select: {command: '^celery\b'}
  schema: settings.schema.json
  values: {VAULT__ENABLED: "true"}
```

## Fields
| field | type | meaning |
|---|---|---|
| `files` | list of paths | compose files in `-f` order (default: found as docker compose finds them from `--root`) |
| `env_files` | list of paths | env files for interpolation (default `.env` beside the first file) |
| `process_env` | bool | the process environment overrides env files (default true) |
| `service` | string or list | the service to check, or candidate names: the first one the project defines (`[openbao, vault]`) |
| `select` | map | instead of `service`: every service whose `name`, `image`, `dockerfile`, `target` or `command` (words joined by spaces) matches these regexes, e.g. `{command: '^celery\b'}` for the Celery workers |
| `settings` | `path.py[:Class]` | the pydantic-settings class, read from source (class default `Settings`) |
| `schema` | path | pydantic settings JSON Schema; next to `settings`, used only when the settings source is not in the deployment |
| `schema_command` | list | argv printing the JSON Schema (no shell; run in the deployment root within the timeout) |
| `nested_delimiter` | string | pydantic-settings `env_nested_delimiter` (default `__`) |
| `prefix` | string | pydantic-settings `env_prefix` |
| `case_sensitive` | bool | compare names case-sensitively (default false) |
| `required` | list | keys that must be set |
| `allowed` | list | more accepted keys |
| `renamed` | map | old name → new name |
| `values` | map | expected values: a string (equals), `{one_of: [...]}`, `{matches: regex}` |
| `ignore` | list | keys that are not the app's; `X_*` matches a prefix |

Unknown keys are reported only when the accepted set is known (`settings`, `schema`, `schema_command` or `allowed`).

## Findings
Each points at the compose line (file:line:column) that sets the key, or for
missing keys at the service's `environment:`.
"#;

    fn validate(&self) -> Vec<SpecProblem> {
        let mut p = Vec::new();
        if let Some(argv) = &self.schema_command
            && argv.first().is_none_or(|a| a.is_empty())
        {
            p.push(
                SpecProblem::new("schema_command", "`schema_command` is empty")
                    .hint("give the program and its arguments, e.g. [python, -c, \"import json, app.settings as s; print(json.dumps(s.Settings.model_json_schema()))\"]"),
            );
        }
        if let Some(spec) = &self.settings
            && !crate::domain::pysettings::split_spec(spec)
                .0
                .to_string_lossy()
                .ends_with(".py")
        {
            p.push(
                SpecProblem::new("settings", format!("`{spec}` is not a Python file"))
                    .hint("write `path/to/settings.py` or `path/to/settings.py:ClassName`"),
            );
        }
        match (&self.service, &self.select) {
            (None, None) => p.push(
                SpecProblem::new("service", "give `service` (a name or candidate names) or `select`")
                    .hint("e.g. service: app, service: [openbao, vault], or select: {command: '^celery\\b'}"),
            ),
            (Some(_), Some(_)) => p.push(SpecProblem::new(
                "select",
                "give either `service` or `select`, not both",
            )),
            (Some(ServiceRef::Candidates(c)), None) if c.is_empty() => {
                p.push(SpecProblem::new("service", "the candidate list is empty"))
            }
            (None, Some(sel)) if sel.patterns().is_empty() => p.push(
                SpecProblem::new("select", "`select` needs at least one of name, image, dockerfile, target, command"),
            ),
            _ => {}
        }
        if let Some(sel) = &self.select {
            for (_, pat) in sel.patterns() {
                p.extend(super::check_regex("select", pat));
            }
        }
        if self.nested_delimiter.is_empty() {
            p.push(
                SpecProblem::new("nested_delimiter", "the delimiter cannot be empty")
                    .hint("pydantic-settings projects usually use \"__\""),
            );
        }
        for rule in self.values.values() {
            if let ValueRule::Rule(r) = rule
                && let Some(m) = &r.matches
            {
                p.extend(super::check_regex("values", m));
            }
        }
        p
    }

    fn schema() -> Option<schemars::Schema> {
        Some(super::spec_schema::<Self>())
    }

    async fn run(&self, cx: &RunContext) -> Outcome {
        let project = match load_project(cx, &self.files, &self.env_files, self.process_env) {
            Ok(p) => p,
            Err(o) => return *o,
        };
        let targets = match self.targets(&project) {
            Ok(t) => t,
            Err(o) => return *o,
        };
        let source = match self.settings_source(cx).await {
            Ok(s) => s,
            Err(o) => return *o,
        };
        let mut findings = Vec::new();
        let mut keys = 0;
        for (name, svc) in &targets {
            keys += svc
                .get("environment")
                .and_then(Node::as_map)
                .map_or(0, IndexMap::len);
            findings.extend(self.check_service(name, svc, &source, &project));
        }
        let names: Vec<String> = targets.iter().map(|(n, _)| format!("`{n}`")).collect();
        let ok = format!(
            "service{} {}: {keys} environment keys as the application expects",
            if names.len() == 1 { "" } else { "s" },
            names.join(", ")
        );
        if findings.is_empty() {
            // What could not be read is information, not a failure.
            Outcome::pass(ok).with_findings(source.notes)
        } else {
            Outcome::judged(
                findings,
                <ComposeEnvCheck as crate::kinds::CheckKind>::CODES,
                ok,
            )
            .with_findings(source.notes)
        }
    }
}

impl ComposeEnvCheck {
    /// The services this check is about: the named one, the first defined
    /// candidate, or every service `select` matches.
    fn targets<'p>(
        &self,
        project: &'p crate::compose::Project,
    ) -> Result<Vec<(String, &'p Node)>, Box<Outcome>> {
        let names: Vec<&str> = project.services().map(|(n, _)| n.as_str()).collect();
        if let Some(sel) = &self.select {
            let hit: Vec<(String, &Node)> = project
                .services()
                .filter(|(n, svc)| sel.matches(&facts(n, svc)))
                .map(|(n, svc)| (n.clone(), svc))
                .collect();
            if hit.is_empty() {
                return Err(Box::new(Outcome::fail(format!(
                    "no service matches {} (services: {})",
                    sel.describe(),
                    names.join(", ")
                ))));
            }
            return Ok(hit);
        }
        let Some(want) = &self.service else {
            return Err(Box::new(Outcome::error("no `service` or `select`")));
        };
        match want.pick(|n| project.service(n).is_some()) {
            Some(n) => Ok(project
                .service(n)
                .map(|svc| vec![(n.to_string(), svc)])
                .unwrap_or_default()),
            None => {
                let mut o = Outcome::fail(format!(
                    "service {} is not defined in the compose files",
                    want.describe()
                ));
                if let Some(first) = want.names().first()
                    && let Some(s) = crate::diag::did_you_mean(first, names.iter().copied())
                {
                    o.message.push_str(&format!(" (did you mean `{s}`?)"));
                }
                Err(Box::new(o))
            }
        }
    }

    /// One service's environment against the accepted fields.
    fn check_service(
        &self,
        service: &str,
        svc: &Node,
        source: &Source,
        project: &crate::compose::Project,
    ) -> Vec<Finding> {
        let fields = &source.fields;
        let case_sensitive = source.case_sensitive;
        let nested_delimiter = &source.delimiter;
        let norm = |s: &str| {
            if case_sensitive {
                s.to_string()
            } else {
                s.to_uppercase()
            }
        };
        let env_node = svc.get("environment");
        let empty = crate::compose::yaml::Map::default();
        let env: &crate::compose::yaml::Map = env_node.and_then(Node::as_map).unwrap_or(&empty);
        let anchor: Loc = env_node
            .and_then(|n| n.key_loc.clone())
            .or_else(|| svc.key_loc.clone())
            .unwrap_or_else(|| svc.loc.clone());
        let known = !fields.is_empty() || !self.allowed.is_empty();
        // Each name is normalised once per question, not once per field it
        // is compared with (9,300 upper-casings in the bundled run).
        let wildcard = |k: &str| {
            let k = norm(k);
            fields
                .iter()
                .any(|f| f.wildcard && k.starts_with(&f.name) && k.len() > f.name.len())
        };
        // Read by the module itself (os.getenv in a default factory): not a
        // pydantic name, so no did-you-mean target, but not unknown either.
        let read_directly = |k: &str| {
            let k = norm(k);
            source.reads.iter().any(|r| norm(r) == k)
        };
        let mut accepted: Vec<String> = fields.iter().map(|f| f.name.clone()).collect();
        accepted.extend(self.allowed.iter().map(|a| norm(a)));
        accepted.extend(self.values.keys().map(|a| norm(a)));
        accepted.extend(self.required.iter().map(|a| norm(a)));
        let ignored = |k: &str| {
            let k = norm(k);
            self.ignore.iter().any(|i| match i.strip_suffix('*') {
                Some(p) => k.starts_with(&norm(p)),
                None => norm(i) == k,
            })
        };
        let lookup = |k: &str| {
            let k = norm(k);
            env.iter().find(|(name, _)| norm(name) == k)
        };
        let secret = |k: &str| crate::redact::looks_secret(k);
        let mut findings = Vec::new();
        // Keys a rename or did-you-mean already points to: their absence is
        // the same defect, reported once.
        let mut pointed_to: Vec<String> = Vec::new();
        for (key, node) in env {
            let loc = node.key_loc.clone().unwrap_or_else(|| node.loc.clone());
            let nkey = norm(key);
            if let Some((old, new)) = self.renamed.iter().find(|(o, _)| norm(o) == nkey) {
                pointed_to.push(norm(new));
                findings.push(
                    at(&loc, "compose_env/renamed", format!("service `{}`: {key} was renamed to {new}; the application no longer reads {old}", service))
                        .expected_actual(new.clone(), key.clone())
                        .hint(format!("rename {key} to {new}")),
                );
                continue;
            }
            if known
                && !ignored(key)
                && !accepted.contains(&nkey)
                && !wildcard(key)
                && !read_directly(key)
            {
                let guesses = suggestions(key, &accepted, nested_delimiter);
                let guess = guesses.join(" or ");
                let mut f = at(
                    &loc,
                    "compose_env/unknown",
                    format!(
                        "service `{}`: {key} is not a setting the application reads{}",
                        service,
                        if guess.is_empty() {
                            String::new()
                        } else {
                            format!("; did you mean {guess}?")
                        }
                    ),
                );
                if !guesses.is_empty() {
                    pointed_to.extend(guesses.iter().map(|g| norm(g)));
                    f = f
                        .expected_actual(guess.clone(), key.clone())
                        .hint(format!("rename {key} to {guess}"));
                } else {
                    f = f.hint("remove it, or list it under `allowed`/`ignore` if another program reads it");
                }
                findings.push(f);
                continue;
            }
            let Some(value) = node.scalar_text() else {
                continue;
            };
            let field = fields
                .iter()
                .find(|f| !f.wildcard && f.name == nkey)
                .or_else(|| {
                    fields.iter().find(|f| {
                        f.wildcard && nkey.starts_with(&f.name) && nkey.len() > f.name.len()
                    })
                });
            if let Some(field) = field
                && !(source.ignore_empty && value.is_empty())
                && let Some(f) = value_finding(service, key, &value, node, field)
            {
                findings.push(f);
            }
        }
        let mut must: Vec<(String, Option<&ValueRule>)> = fields
            .iter()
            .filter(|f| f.required)
            .map(|f| (f.name.clone(), None))
            .collect();
        for r in &self.required {
            let r_norm = norm(r);
            if !must.iter().any(|(m, _)| norm(m) == r_norm) {
                must.push((r.clone(), None));
            }
        }
        for (k, rule) in &self.values {
            let k_norm = norm(k);
            must.retain(|(m, _)| norm(m) != k_norm);
            must.push((k.clone(), Some(rule)));
        }
        for (key, rule) in must {
            let nkey = norm(&key);
            let alias_set = fields
                .iter()
                .find(|f| f.name == nkey)
                .is_some_and(|f| f.aliases.iter().any(|a| lookup(a).is_some()));
            match lookup(&key) {
                None if rule.is_none() && (alias_set || pointed_to.contains(&nkey)) => {}
                None => {
                    let mut f = at(
                        &anchor,
                        "compose_env/missing",
                        format!("service `{}`: {key} is not set", service),
                    )
                    .hint(format!("add `{key}: …` to the service's environment"));
                    if let Some(r) = rule {
                        let exp = describe(r);
                        f = f
                            .expected_actual(exp.clone(), "unset")
                            .hint(format!("add `{key}: {exp}` to the service's environment"));
                    }
                    // A list/dict field: say the value must be JSON, since a
                    // comma-separated list (what operators write, and what
                    // DotMac's own error message suggests) stops Settings().
                    if let Some(field) = fields.iter().find(|f| f.name == nkey)
                        && let Some(shape) = json_shape(field)
                    {
                        let h = f.hint.take().unwrap_or_default();
                        f = f.hint(format!(
                            "{h}; {key} is `{}`: pydantic-settings reads it as JSON, e.g. {key}: '{shape}' (a comma-separated list stops Settings())",
                            field.annotation.as_deref().unwrap_or("a list or dict")
                        ));
                    }
                    findings.push(f);
                }
                Some((name, node)) => {
                    let value = node.scalar_text().unwrap_or_default();
                    if let Some(r) = rule
                        && let Some(exp) = mismatch(r, &value)
                    {
                        let actual = if secret(name) {
                            "(secret value)".to_string()
                        } else {
                            format!("{value:?}")
                        };
                        findings.push(
                            at(
                                &node.loc,
                                "compose_env/wrong-value",
                                format!("service `{}`: {name} has the wrong value", service),
                            )
                            .expected_actual(exp, actual),
                        );
                    } else if rule.is_none()
                        && value.is_empty()
                        && node.value == crate::compose::yaml::Value::Null
                    {
                        findings.push(at(
                            &node.loc,
                            "compose_env/missing",
                            format!("service `{}`: {name} has no value", service),
                        ));
                    }
                }
            }
        }
        findings.extend(validator_findings(service, env, &anchor, source, &norm));
        for (loc, msg) in &project.interp_errors {
            if env.values().any(|n| n.loc == *loc) {
                findings.push(at(loc, "compose_env/interpolation-error", msg.clone()));
            }
        }
        findings
    }
}

/// The finding for a value `Settings()` refuses: pydantic-settings' JSON
/// decoding (`not-json`) or pydantic's validation (`wrong-type`). Either
/// stops `Settings()`, so the process that builds it does not start.
fn value_finding(
    service: &str,
    key: &str,
    value: &str,
    node: &Node,
    field: &Field,
) -> Option<Finding> {
    let problem = match &field.value {
        Some(vt) => {
            let place = if field.wildcard {
                Place::DictKey
            } else if field.nested {
                Place::Nested
            } else {
                Place::Top
            };
            value_problem(vt, value, place)?
        }
        None => ValueProblem::Invalid(type_problem(field, value)?),
    };
    let secret = crate::redact::looks_secret(key)
        || matches!(field.value, Some(VType::Secret { .. }))
        || matches!(&field.value, Some(VType::Optional(t)) if matches!(**t, VType::Secret { .. }));
    let actual = if secret {
        "(secret value)".to_string()
    } else {
        format!("{value:?}")
    };
    let what = field
        .annotation
        .as_deref()
        .map(|a| format!("`{a}`"))
        .unwrap_or_else(|| "this field".into());
    let mut f = match problem {
        ValueProblem::NotJson { error, suggestion } => {
            let hint = match &suggestion {
                Some(j) if !secret => format!("write it as JSON: {key}='{j}'"),
                _ => "write the value as JSON: a list is [\"a\",\"b\"], a dict {\"k\":\"v\"}".to_string(),
            };
            let comma = if value.contains(',') && !value.trim_start().starts_with(['[', '{']) {
                " (a comma-separated list is not JSON)"
            } else {
                ""
            };
            at(
                &node.loc,
                "compose_env/not-json",
                format!(
                    "service `{service}`: {key} must be JSON{comma}: pydantic-settings decodes {what} with json.loads ({error}), and Settings() stops with SettingsError \"error parsing value for field\": the process does not start"
                ),
            )
            .expected_actual(suggestion.filter(|_| !secret).unwrap_or_else(|| "JSON".into()), actual)
            .hint(hint)
        }
        ValueProblem::Invalid(want) => at(
            &node.loc,
            "compose_env/wrong-type",
            format!("service `{service}`: {key} must be {want}: pydantic rejects it for {what}, and Settings() raises ValidationError: the process does not start"),
        )
        .expected_actual(want, actual),
    };
    f = f.severity(crate::report::Severity::Critical);
    if let Some((file, line)) = &field.defined_at {
        f = f.related(file.clone(), Some(*line as u32), format!("field {what}"));
    }
    Some(f)
}

/// `compose_env/validator-rejects`: a `@field_validator` of the settings
/// class raises on this environment (pydantic-settings validates defaults
/// too, so an unset field is judged by its default), e.g. DotMac's
/// `validate_secret_key`: with `ENVIRONMENT=production`, an empty or short
/// `SECRET_KEY` makes `Settings()` raise at import.
fn validator_findings(
    service: &str,
    env: &crate::compose::yaml::Map,
    anchor: &Loc,
    source: &Source,
    norm: &dyn Fn(&str) -> String,
) -> Vec<Finding> {
    let lookup = |names: &[String]| -> Option<(&String, &Node, String)> {
        env.iter().find_map(|(k, n)| {
            let text = n.scalar_text()?;
            (names.iter().any(|x| norm(x) == norm(k)) && !(source.ignore_empty && text.is_empty()))
                .then_some((k, n, text))
        })
    };
    let mut out = Vec::new();
    for rule in &source.rules {
        let guard_at = match &rule.guard {
            None => None,
            Some(g) => match lookup(&g.names) {
                Some((k, n, text)) if text == g.value => {
                    Some(Some((k.clone(), n.loc.clone(), g.value.clone())))
                }
                Some(_) => continue,
                None if g.default.as_deref() == Some(g.value.as_str()) => Some(None),
                None => continue,
            },
        };
        let set = lookup(&rule.names);
        let Some(value) = set
            .as_ref()
            .map(|(_, _, t)| t.clone())
            .or_else(|| rule.default.clone())
        else {
            continue;
        };
        let Some((raise, check)) = rule
            .raises
            .iter()
            .find_map(|r| r.when.iter().find(|c| c.holds(&value)).map(|c| (r, c)))
        else {
            continue;
        };
        let key = set
            .as_ref()
            .map(|(k, _, _)| (*k).clone())
            .unwrap_or_else(|| {
                rule.names
                    .first()
                    .cloned()
                    .unwrap_or_else(|| rule.field.to_uppercase())
            });
        use crate::domain::pysettings::RuleCheck;
        let why = match (check, &set) {
            (RuleCheck::Empty, None) => "is not set (its default is empty)".to_string(),
            (RuleCheck::Empty, Some(_)) => "is empty".to_string(),
            (RuleCheck::OneOf(_), None) => {
                "is not set, and its default is a value the validator refuses".to_string()
            }
            (RuleCheck::OneOf(_), Some(_)) => "is a placeholder the validator refuses".to_string(),
            (RuleCheck::ShorterThan(n), None) => {
                format!("is not set, and its default is shorter than {n} characters")
            }
            (RuleCheck::ShorterThan(n), Some(_)) => format!("is shorter than {n} characters"),
        };
        let when = match (&rule.guard, &guard_at) {
            (Some(_), Some(Some((k, _, v)))) => format!(" while {k} is {v}"),
            (Some(g), _) => format!(
                " while {} is {} (its default)",
                g.names.first().cloned().unwrap_or_else(|| g.field.clone()),
                g.value
            ),
            _ => String::new(),
        };
        let msg = raise
            .message
            .as_ref()
            .map(|m| format!(" ({m:?})"))
            .unwrap_or_default();
        let loc = set
            .as_ref()
            .map(|(_, n, _)| n.loc.clone())
            .unwrap_or_else(|| anchor.clone());
        let file = rule.file.display().to_string();
        let mut f = at(
            &loc,
            "compose_env/validator-rejects",
            format!(
                "service `{service}`: {key} {why}{when}: `{}` raises ValueError{msg}, so Settings() fails and the process does not start",
                rule.validator
            ),
        )
        .severity(crate::report::Severity::Critical)
        .hint(format!("set {key} in the service's environment to a value `{}` accepts", rule.validator))
        .related(file, Some(raise.line as u32), format!("`{}` raises here", rule.validator));
        if let Some(Some((k, gloc, _))) = &guard_at
            && gloc.line > 0
        {
            f = f.related(
                gloc.file.to_string(),
                Some(gloc.line),
                format!("{k} makes the validator apply"),
            );
        }
        out.push(f);
    }
    out
}

/// An example JSON value for a list or dict field read from source.
fn json_shape(field: &Field) -> Option<&'static str> {
    let mut t = field.value.as_ref()?;
    while let VType::Optional(inner) = t {
        t = inner;
    }
    match t {
        VType::List { item, .. } => Some(match **item {
            VType::Int { .. } | VType::Float { .. } => "[1,2]",
            _ => r#"["a.example.com","b.example.com"]"#,
        }),
        VType::Dict { .. } => Some(r#"{"key":"value"}"#),
        _ => None,
    }
}

/// What a selector sees of a compose service.
fn facts(name: &str, svc: &Node) -> ServiceFacts {
    let words = |n: &Node| -> Option<String> {
        match n.as_seq() {
            Some(seq) => Some(
                seq.iter()
                    .filter_map(Node::scalar_text)
                    .collect::<Vec<_>>()
                    .join(" "),
            ),
            None => n.scalar_text(),
        }
    };
    let build = svc.get("build");
    ServiceFacts {
        name: name.to_string(),
        image: svc.get("image").and_then(Node::scalar_text),
        dockerfile: build
            .and_then(|b| b.get("dockerfile"))
            .and_then(Node::scalar_text)
            .or_else(|| {
                // A build without `dockerfile` uses the context's Dockerfile.
                build.map(|_| "Dockerfile".to_string())
            }),
        target: build
            .and_then(|b| b.get("target"))
            .and_then(Node::scalar_text),
        command: svc.get("command").and_then(words),
    }
}

/// Where the accepted names came from, with what shapes them.
struct Source {
    fields: Vec<Field>,
    case_sensitive: bool,
    delimiter: String,
    /// Names the settings module reads itself with `os.getenv`.
    reads: Vec<String>,
    /// `env_ignore_empty`: an empty value is unset, so its type is not checked.
    ignore_empty: bool,
    /// `compose_env/settings-unread` findings: what the reader could not follow.
    notes: Vec<crate::report::Finding>,
    /// The settings class's readable `@field_validator` raises (file shown relative to the root).
    rules: Vec<crate::domain::pysettings::ValidatorRule>,
}

/// Bound on a settings schema (a file, or a `schema_command`'s output): a
/// settings schema is kilobytes.
const MAX_SCHEMA_OUTPUT: u64 = 16 * 1024 * 1024;

impl ComposeEnvCheck {
    async fn settings_source(&self, cx: &RunContext) -> Result<Source, Box<Outcome>> {
        let mut src = Source {
            fields: Vec::new(),
            case_sensitive: self.case_sensitive,
            delimiter: self.nested_delimiter.clone(),
            reads: Vec::new(),
            ignore_empty: false,
            notes: Vec::new(),
            rules: Vec::new(),
        };
        let err = |m: String| Box::new(Outcome::error(m));
        // `settings:` and `schema:` together: the source when the deployment
        // has it (the real repository), else the exported schema (a
        // deployment that ships only the schema). One catalogue serves both.
        let use_source = self.settings.as_ref().is_some_and(|spec| {
            self.schema.is_none()
                || cx
                    .path(crate::domain::pysettings::split_spec(spec).0)
                    .is_file()
        });
        if let Some(schema) = self.schema.as_ref().filter(|_| !use_source) {
            let value = read_schema(cx, schema).await.map_err(err)?;
            src.fields
                .extend(flatten_schema(&value, &self.prefix, &self.nested_delimiter));
        }
        if let Some(argv) = &self.schema_command {
            let text = run_schema_command(argv, cx).await.map_err(err)?;
            let shown = format!("the output of `{}`", argv.join(" "));
            src.fields.extend(parse_schema(
                &text,
                &shown,
                &self.prefix,
                &self.nested_delimiter,
            )?);
        }
        if let Some(spec) = self.settings.as_ref().filter(|_| use_source) {
            let (path, class) = crate::domain::pysettings::split_spec(spec);
            let full = cx.path(path);
            let shown = cx.display_path(path);
            let model = crate::domain::pysettings::read(&full, class).map_err(|e| {
                let mut m = e.to_string().replace(&full.display().to_string(), &shown);
                if let Some(h) = &e.hint {
                    m.push_str(&format!(" ({h})"));
                }
                err(m)
            })?;
            src.case_sensitive = model.config.case_sensitive;
            src.ignore_empty = model.config.env_ignore_empty;
            src.delimiter = model
                .config
                .env_nested_delimiter
                .clone()
                .unwrap_or_else(|| self.nested_delimiter.clone());
            let mut fields = fields_from_settings(&model);
            for f in &mut fields {
                if let Some((file, _)) = &mut f.defined_at {
                    *file = std::path::Path::new(file.as_str())
                        .strip_prefix(&cx.root)
                        .map(|p| p.display().to_string())
                        .unwrap_or_else(|_| shown_for(&full, &shown, file));
                }
            }
            src.fields.extend(fields);
            src.reads = model.env_reads.iter().map(|r| r.name.clone()).collect();
            src.rules = model.rules.clone();
            for r in &mut src.rules {
                r.file = r
                    .file
                    .strip_prefix(&cx.root)
                    .map(std::path::Path::to_path_buf)
                    .unwrap_or_else(|_| {
                        std::path::PathBuf::from(shown_for(
                            &full,
                            &shown,
                            &r.file.display().to_string(),
                        ))
                    });
            }
            for n in &model.notes {
                let file = n
                    .file
                    .strip_prefix(&cx.root)
                    .unwrap_or(&n.file)
                    .display()
                    .to_string();
                let f = crate::report::Finding::new(format!(
                    "not read from the settings source: {}",
                    n.message
                ))
                .code("compose_env/settings-unread");
                src.notes.push(if n.line > 0 {
                    f.at(file, n.line as u32, 1)
                } else {
                    f.at_file(file)
                });
            }
        }
        Ok(src)
    }
}

/// A settings file outside the root, shown as the check names it.
fn shown_for(full: &std::path::Path, shown: &str, file: &str) -> String {
    if std::path::Path::new(file) == full {
        shown.to_string()
    } else {
        file.to_string()
    }
}

/// The settings schema file `path`, read and parsed once per run and shared
/// by every check naming it: the bundled catalogue's two `compose_env`
/// checks parsed the same 77 KB `settings.schema.json` twice (5.5 M
/// instructions of its files-only run, with dropping the copies). A file
/// that cannot be read or parsed is not kept: the next check (or the next
/// `--wait` round) looks again, and says the same.
async fn read_schema(
    cx: &RunContext,
    path: &std::path::Path,
) -> Result<Arc<serde_json::Value>, String> {
    let full = cx.path(path);
    // Not `compose_env/…`: strings of that form are finding codes.
    let slot = cx.memo.slot("compose_env.schema", full.clone());
    let value = slot
        .get_or_try_init(|| async {
            let shown = cx.display_path(path);
            // The bounded reader, off the async workers: a FIFO or a huge
            // file named as the schema fails plainly within the timeout.
            let limit = crate::support::fs::Limit::regular(MAX_SCHEMA_OUTPUT);
            let text = crate::support::fs::read_text(&full, limit, cx.timeout)
                .await
                .map_err(|e| format!("cannot read the settings schema {shown}: {e}"))?;
            serde_json::from_str::<serde_json::Value>(&text)
                .map(|v| Arc::new(v) as Arc<dyn std::any::Any + Send + Sync>)
                .map_err(|e| format!("{shown}:{}:{}: not valid JSON: {e}", e.line(), e.column()))
        })
        .await?;
    value.clone().downcast::<serde_json::Value>().map_err(|_| {
        format!(
            "cannot read the settings schema {}: internal cache mismatch",
            cx.display_path(path)
        )
    })
}

fn parse_schema(
    text: &str,
    shown: &str,
    prefix: &str,
    delim: &str,
) -> Result<Vec<Field>, Box<Outcome>> {
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(v) => Ok(flatten_schema(&v, prefix, delim)),
        Err(e) => Err(Box::new(Outcome::error(format!(
            "{shown}:{}:{}: not valid JSON: {e}",
            e.line(),
            e.column()
        )))),
    }
}

/// Runs `argv` (no shell) in the deployment root within the check's timeout
/// and returns its stdout.
async fn run_schema_command(argv: &[String], cx: &RunContext) -> Result<String, String> {
    use std::process::Stdio;
    use tokio::io::AsyncReadExt;
    let shown = argv.join(" ");
    let mut child = tokio::process::Command::new(&argv[0])
        .args(&argv[1..])
        .current_dir(&cx.root)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("cannot start the schema command `{shown}`: {e}"))?;
    let mut out = Vec::new();
    let mut errout = Vec::new();
    let (Some(stdout), Some(stderr)) = (child.stdout.take(), child.stderr.take()) else {
        return Err(format!("the schema command `{shown}` has no output pipes"));
    };
    let mut stdout = stdout.take(MAX_SCHEMA_OUTPUT);
    let mut stderr = stderr.take(64 * 1024);
    let work = async {
        let (a, b) = tokio::join!(
            stdout.read_to_end(&mut out),
            stderr.read_to_end(&mut errout)
        );
        a.and(b)?;
        child.wait().await
    };
    let status = match tokio::time::timeout(cx.timeout, work).await {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => return Err(format!("the schema command `{shown}` failed: {e}")),
        Err(_) => {
            return Err(format!(
                "the schema command `{shown}` did not finish within {} and was killed",
                humantime::format_duration(cx.timeout)
            ));
        }
    };
    if !status.success() {
        let tail: String = String::from_utf8_lossy(&errout)
            .lines()
            .rev()
            .take(3)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect::<Vec<_>>()
            .join(" / ");
        return Err(format!(
            "the schema command `{shown}` exited with {status}: {tail}"
        ));
    }
    if out.len() as u64 >= MAX_SCHEMA_OUTPUT {
        return Err(format!(
            "the schema command `{shown}` printed more than {MAX_SCHEMA_OUTPUT} bytes"
        ));
    }
    String::from_utf8(out)
        .map_err(|_| format!("the schema command `{shown}` printed non-UTF-8 output"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Status;

    const SCHEMA: &str = r##"{
      "$defs": {
        "DatabaseSettings": {"properties": {"host": {"type": "string", "default": "localhost"}, "port": {"type": "integer", "default": 5432}, "database": {"type": "string"}}, "required": ["database"], "type": "object"},
        "AuthSettings": {"properties": {"jwt_secret_key": {"type": "string"}}, "required": ["jwt_secret_key"], "type": "object"},
        "VaultSettings": {"properties": {"enabled": {"type": "boolean", "default": false}}, "type": "object"},
        "Environment": {"enum": ["development", "staging", "production"], "type": "string"}
      },
      "properties": {
        "database": {"$ref": "#/$defs/DatabaseSettings"},
        "auth": {"$ref": "#/$defs/AuthSettings"},
        "vault": {"$ref": "#/$defs/VaultSettings"},
        "environment": {"$ref": "#/$defs/Environment", "default": "development"},
        "secret_key": {"type": "string"},
        "debug": {"anyOf": [{"type": "boolean"}, {"type": "null"}], "default": null}
      },
      "required": ["database", "auth", "secret_key"],
      "type": "object"
    }"##;

    #[test]
    fn flattens_nested_models_and_marks_required() {
        let f = flatten_schema(&serde_json::from_str(SCHEMA).unwrap(), "", "__");
        let names: Vec<_> = f.iter().map(|f| (f.name.as_str(), f.required)).collect();
        assert!(names.contains(&("DATABASE__DATABASE", true)), "{names:?}");
        assert!(names.contains(&("DATABASE__HOST", false)));
        assert!(names.contains(&("AUTH__JWT_SECRET_KEY", true)));
        assert!(names.contains(&("VAULT__ENABLED", false)));
        assert!(names.contains(&("SECRET_KEY", true)));
        let env = f.iter().find(|f| f.name == "ENVIRONMENT").unwrap();
        assert_eq!(env.choices.as_ref().unwrap().len(), 3);
        let debug = f.iter().find(|f| f.name == "DEBUG").unwrap();
        assert_eq!(debug.ty.as_deref(), Some("boolean"));
        let p = flatten_schema(&serde_json::from_str(SCHEMA).unwrap(), "app_", "__");
        assert!(p.iter().any(|f| f.name == "APP_DATABASE__PORT"));
    }

    #[test]
    fn suggests_synonyms_and_contained_words() {
        let all: Vec<String> = flatten_schema(&serde_json::from_str(SCHEMA).unwrap(), "", "__")
            .into_iter()
            .map(|f| f.name)
            .collect();
        let all: Vec<String> = all
            .into_iter()
            .chain(["DATABASE__USERNAME".to_string()])
            .collect();
        assert_eq!(
            suggest("DATABASE__NAME", &all, "__"),
            Some("DATABASE__DATABASE")
        );
        assert_eq!(
            suggest("JWT_SECRET", &all, "__"),
            Some("AUTH__JWT_SECRET_KEY")
        );
        assert_eq!(suggest("DATABSE__HOST", &all, "__"), Some("DATABASE__HOST"));
        assert_eq!(suggest("COMPLETELY_ELSE", &all, "__"), None);
        // The real DotMac settings have both a `jwt` group and `auth.jwt_secret_key`.
        let both: Vec<String> = ["JWT__SECRET_KEY", "AUTH__JWT_SECRET_KEY", "SECRET_KEY"]
            .map(String::from)
            .to_vec();
        assert_eq!(
            suggestions("JWT_SECRET", &both, "__"),
            ["JWT__SECRET_KEY", "AUTH__JWT_SECRET_KEY"]
        );
        assert_eq!(suggestions("DATABSE__HOST", &all, "__"), ["DATABASE__HOST"]);
    }

    #[test]
    fn type_checks_follow_pydantic_lax_rules() {
        let b = Field {
            name: "X".into(),
            ty: Some("boolean".into()),
            choices: None,
            required: false,
            format: None,
            complex: false,
            wildcard: false,
            aliases: Vec::new(),
            url_type: None,
            value: None,
            nested: false,
            defined_at: None,
            annotation: None,
        };
        assert!(
            type_problem(&b, "true").is_none()
                && type_problem(&b, "On").is_none()
                && type_problem(&b, "0").is_none()
        );
        assert!(type_problem(&b, "enabled").is_some());
        let i = Field {
            ty: Some("integer".into()),
            ..b.clone()
        };
        assert!(type_problem(&i, "5432").is_none());
        assert_eq!(type_problem(&i, "5432x").as_deref(), Some("an integer"));
        let e = Field {
            choices: Some(vec!["production".into()]),
            ..b
        };
        assert!(type_problem(&e, "prod").is_some());
    }

    /// Two checks naming one schema share its parse; a schema that is not
    /// a regular file (a FIFO nobody writes to) fails plainly, at once, for
    /// every check naming it, and is looked at again by the next.
    #[tokio::test]
    async fn a_schema_is_read_once_per_run_and_a_fifo_fails_plainly() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("s.json"), SCHEMA).unwrap();
        std::fs::write(
            dir.path().join("c.yml"),
            "services:\n  app:\n    image: a:1\n    environment:\n      BOGUS_NAME: x\n",
        )
        .unwrap();
        let spec = |schema: &str| -> ComposeEnvCheck {
            marked_yaml::from_node(
                &marked_yaml::parse_yaml(
                    0,
                    format!("files: [c.yml]\nservice: app\nschema: {schema}\nprocess_env: false\n"),
                )
                .unwrap(),
            )
            .unwrap()
        };
        let cx = RunContext::for_root(dir.path());
        let first = spec("s.json").run(&cx).await;
        // The file changes within the run: the second check still sees the
        // parse of the first (one schema per run, like one compose project).
        std::fs::write(dir.path().join("s.json"), "{ not json").unwrap();
        let second = spec("s.json").run(&cx).await;
        assert_eq!(first.status(), Status::Fail, "{first:?}");
        assert_eq!(
            format!("{:?}", first.findings),
            format!("{:?}", second.findings)
        );
        assert!(
            first
                .findings
                .iter()
                .any(|f| f.code.as_deref() == Some("compose_env/unknown")),
            "{first:?}"
        );
        // A new run reads the file again and says what is wrong with it.
        let broken = spec("s.json").run(&RunContext::for_root(dir.path())).await;
        assert_eq!(broken.status(), Status::Error, "{broken:?}");
        assert!(
            broken.message.contains("s.json:1:3: not valid JSON"),
            "{broken:?}"
        );
        let fifo = dir.path().join("fifo.json");
        assert!(
            std::process::Command::new("mkfifo")
                .arg(&fifo)
                .status()
                .unwrap()
                .success()
        );
        let t = std::time::Instant::now();
        let o = spec("fifo.json").run(&cx).await;
        assert_eq!(o.status(), Status::Error, "{o:?}");
        assert!(
            o.message.contains(
                "cannot read the settings schema fifo.json: a FIFO (named pipe), not a regular file"
            ),
            "{o:?}"
        );
        assert!(t.elapsed() < std::time::Duration::from_secs(5));
    }

    #[tokio::test]
    async fn reports_unknown_missing_wrong_type_and_value_at_compose_lines() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("s.json"), SCHEMA).unwrap();
        std::fs::write(
            dir.path().join("c.yml"),
            "services:\n  app:\n    image: a:1\n    environment:\n      DATABASE__NAME: app\n      JWT_SECRET: x\n      SECRET_KEY: s\n      DATABASE__PORT: five\n      ENVIRONMENT: prod\n      OLD_FLAG: '1'\n      TZ: UTC\n",
        )
        .unwrap();
        let spec: ComposeEnvCheck = marked_yaml::from_node(
            &marked_yaml::parse_yaml(0, "files: [c.yml]\nservice: app\nschema: s.json\nrenamed: {OLD_FLAG: NEW_FLAG}\nvalues: {VAULT__ENABLED: 'true'}\nignore: [TZ]\nprocess_env: false\n").unwrap(),
        )
        .unwrap();
        let o = spec.run(&RunContext::for_root(dir.path())).await;
        assert_eq!(o.status(), Status::Fail);
        let got: Vec<_> = o
            .findings
            .iter()
            .map(|f| (f.code.clone().unwrap(), f.line.unwrap()))
            .collect();
        assert_eq!(
            got,
            vec![
                ("compose_env/unknown".to_string(), 5),
                ("compose_env/unknown".to_string(), 6),
                ("compose_env/wrong-type".to_string(), 8),
                ("compose_env/wrong-type".to_string(), 9),
                ("compose_env/renamed".to_string(), 10),
                ("compose_env/missing".to_string(), 4),
            ],
            "{:#?}",
            o.findings
        );
        assert!(
            o.findings[0]
                .message
                .contains("did you mean DATABASE__DATABASE?")
        );
        assert!(
            o.findings[1]
                .message
                .contains("did you mean AUTH__JWT_SECRET_KEY?")
        );
        let missing: Vec<_> = o.findings[5..].iter().map(|f| f.message.clone()).collect();
        assert!(
            missing
                .iter()
                .any(|m| m.contains("VAULT__ENABLED is not set")),
            "{missing:?}"
        );
    }

    #[tokio::test]
    async fn select_checks_every_matching_service_and_candidates_pick_one() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("c.yml"),
            "services:\n  app:\n    image: a:1\n    command: uvicorn main:app\n    environment:\n      VAULT__ENABLED: 'true'\n  celery-worker:\n    build: {context: ., dockerfile: Dockerfile.prod}\n    command: celery -A tasks worker\n    environment:\n      LOG_LEVEL: info\n  celery-beat:\n    build: .\n    command: [celery, -A, tasks, beat]\n    environment:\n      VAULT__ENABLED: 'false'\n  vault:\n    image: openbao:2\n    environment:\n      VAULT_LOCAL_CONFIG: '{}'\n",
        )
        .unwrap();
        let spec = |yaml: &str| -> ComposeEnvCheck {
            marked_yaml::from_node(&marked_yaml::parse_yaml(0, yaml).unwrap()).unwrap()
        };
        let cx = RunContext::for_root(dir.path());
        let workers = spec(
            "files: [c.yml]\nselect: {command: '^celery\\b'}\nvalues: {VAULT__ENABLED: 'true'}\nprocess_env: false\n",
        );
        assert!(workers.validate().is_empty());
        let o = workers.run(&cx).await;
        let got: Vec<_> = o
            .findings
            .iter()
            .map(|f| (f.code.clone().unwrap(), f.line.unwrap()))
            .collect();
        assert_eq!(
            got,
            [
                ("compose_env/missing".to_string(), 10),
                ("compose_env/wrong-value".to_string(), 16),
            ],
            "{:#?}",
            o.findings
        );
        assert!(
            o.findings[0]
                .message
                .starts_with("service `celery-worker`:")
        );
        assert!(o.findings[1].message.starts_with("service `celery-beat`:"));
        let none = spec("files: [c.yml]\nselect: {image: '^redis'}\nprocess_env: false\n");
        let o = none.run(&cx).await;
        assert_eq!(o.status(), Status::Fail);
        assert!(
            o.message.contains("no service matches image ~ /^redis/"),
            "{}",
            o.message
        );
        let store = spec(
            "files: [c.yml]\nservice: [openbao, vault]\nrenamed: {VAULT_LOCAL_CONFIG: BAO_LOCAL_CONFIG}\nprocess_env: false\n",
        );
        let o = store.run(&cx).await;
        assert_eq!(o.findings.len(), 1, "{:#?}", o.findings);
        assert_eq!(o.findings[0].line, Some(20));
        assert!(
            o.findings[0]
                .message
                .contains("service `vault`: VAULT_LOCAL_CONFIG was renamed to BAO_LOCAL_CONFIG")
        );
        let missing = spec("files: [c.yml]\nservice: [api, backend]\nprocess_env: false\n");
        let o = missing.run(&cx).await;
        assert!(
            o.message
                .contains("service any of `api`, `backend` is not defined"),
            "{}",
            o.message
        );
        let both = spec("files: [c.yml]\nservice: app\nselect: {name: app}\n");
        assert!(!both.validate().is_empty());
        let neither = spec("files: [c.yml]\n");
        assert!(!neither.validate().is_empty());
        let bad = spec("files: [c.yml]\nselect: {command: '('}\n");
        assert!(!bad.validate().is_empty());
    }
}
