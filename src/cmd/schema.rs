//! `readyctl schema`: the catalogue's JSON Schema, for editors
//! (`# yaml-language-server: $schema=...`) and CI linting.
//!
//! The top level, targets and the fields every check shares are written
//! here by hand (they mirror `catalogue::COMMON_FIELDS` and `Target`; tests
//! keep them in step). Each kind's own fields come from the registry:
//! kinds that derive `schemars::JsonSchema` contribute their generated
//! schema, the same types the loader deserializes; a kind without one still
//! appears in the `kind` enum and accepts any fields, so a new kind never
//! makes a valid catalogue fail the schema.

use serde_json::{Map, Value, json};

use crate::kinds::REGISTRY;

/// The schema's `$id`-less identity, written into `title`.
pub(crate) const TITLE: &str = "readyctl catalogue";

/// Fields every check has, as schema properties.
fn common_properties() -> Map<String, Value> {
    let severities: Vec<&str> = crate::report::Severity::ALL
        .iter()
        .map(|s| s.as_str())
        .collect();
    let kinds: Vec<&str> = REGISTRY.iter().map(|k| k.name).collect();
    let props = json!({
        "id": {
            "description": "Unique dotted id, lower-case words of a-z, 0-9, `-`, `_` (e.g. `redis.persistence`).",
            "type": "string",
            "pattern": "^[a-z0-9][a-z0-9_-]*(\\.[a-z0-9][a-z0-9_-]*)*$"
        },
        "kind": { "description": "The check kind (`readyctl kinds` lists them).", "enum": kinds },
        "title": { "description": "Human title.", "type": "string" },
        "description": { "description": "Longer description.", "type": "string" },
        "severity": { "description": "How bad a failure is.", "enum": severities },
        "tags": {
            "description": "Tags, for `--tag`.",
            "anyOf": [{ "type": "string" }, { "type": "array", "items": { "type": "string" } }]
        },
        "depends_on": {
            "description": "Ids of checks that must pass first.",
            "anyOf": [{ "type": "string" }, { "type": "array", "items": { "type": "string" } }]
        },
        "timeout": { "description": "Per-check timeout, e.g. `10s`.", "type": "string" },
        "remediation": { "description": "What to do about a failure.", "type": "string" }
    });
    match props {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

fn target_schema() -> Value {
    json!({
        "type": "object",
        "additionalProperties": false,
        "properties": {
            "url": { "type": "string", "description": "URL or DSN: https://…, postgres://…, redis://…, tcp://host:port, unix:///path." },
            "host": { "type": "string" },
            "port": { "type": "integer", "minimum": 0, "maximum": 65535 },
            "path": { "type": "string", "description": "A configuration file standing in for the live service." },
            "token": { "type": "string", "description": "A bearer or Vault token (secret)." },
            "username": { "type": "string" },
            "password": { "type": "string", "description": "A password (secret)." },
            "ca_file": { "type": "string", "description": "PEM file of extra CA certificates." },
            "insecure": { "type": "boolean", "description": "Turn TLS verification off (always a warning)." },
            "tls": { "type": "string", "description": "disable, prefer, require, verify-ca or verify-full." },
            "headers": { "type": "object", "additionalProperties": { "type": "string" } },
            "labels": { "type": "object", "additionalProperties": { "type": "string" } }
        }
    })
}

/// The per-kind `if kind == K then …` clause.
fn kind_clause(name: &str, spec: Option<schemars::Schema>) -> Value {
    let then = match spec.map(|s| s.to_value()) {
        Some(Value::Object(mut spec)) => {
            let mut props = common_properties();
            if let Some(Value::Object(own)) = spec.remove("properties") {
                props.extend(own);
            }
            let mut required = vec![json!("id"), json!("kind")];
            if let Some(Value::Array(r)) = spec.remove("required") {
                required.extend(r);
            }
            let mut then = json!({
                "properties": props,
                "required": required,
                "additionalProperties": false,
            });
            // Keep untagged/oneOf constraints a spec may carry at its top.
            for key in ["anyOf", "oneOf", "allOf"] {
                if let Some(v) = spec.remove(key) {
                    then[key] = v;
                }
            }
            then
        }
        // No schema: any fields for this kind (the loader still checks them).
        _ => json!({}),
    };
    json!({
        "if": { "properties": { "kind": { "const": name } }, "required": ["kind"] },
        "then": then
    })
}

/// The catalogue schema as a JSON value.
pub(crate) fn schema() -> Value {
    let clauses: Vec<Value> = REGISTRY
        .iter()
        .map(|k| kind_clause(k.name, (k.schema)()))
        .collect();
    let mut check = json!({
        "type": "object",
        "required": ["id", "kind"],
        "properties": common_properties(),
        "allOf": clauses,
    });
    check["description"] = json!("One check: the common fields plus its kind's own.");
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": TITLE,
        "description": "A readyctl catalogue file (checks/*.yml or readyctl.yml). Generated by `readyctl schema`.",
        "type": "object",
        "required": ["version"],
        "additionalProperties": false,
        "properties": {
            "version": { "description": "Catalogue format version.", "enum": crate::catalogue::SUPPORTED_VERSIONS },
            "vars": {
                "description": "Named values for `${name}`; `{ value, secret: true }` masks them in output.",
                "type": "object",
                "additionalProperties": {
                    "anyOf": [
                        { "type": ["string", "number", "boolean"] },
                        {
                            "type": "object",
                            "additionalProperties": false,
                            "required": ["value"],
                            "properties": { "value": { "type": ["string", "number", "boolean"] }, "secret": { "type": "boolean" } }
                        }
                    ]
                }
            },
            "env_files": {
                "description": "Env files (relative to --root) whose keys `${VAR}` may use.",
                "type": "array",
                "items": { "type": "string" }
            },
            "targets": {
                "description": "Named connection settings checks refer to with `target: NAME`.",
                "type": "object",
                "additionalProperties": target_schema()
            },
            "defaults": {
                "type": "object",
                "additionalProperties": false,
                "properties": {
                    "severity": { "enum": crate::report::Severity::ALL.iter().map(|s| s.as_str()).collect::<Vec<_>>() },
                    "timeout": { "type": "string" }
                }
            },
            "checks": { "type": "array", "items": check }
        }
    })
}

/// Pretty JSON with a trailing newline.
pub(crate) fn render() -> String {
    let mut s = serde_json::to_string_pretty(&schema()).unwrap_or_default();
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn validator() -> jsonschema::Validator {
        jsonschema::validator_for(&schema()).expect("the catalogue schema compiles")
    }

    fn yaml(text: &str) -> Value {
        serde_saphyr::from_str(text).expect("yaml")
    }

    #[test]
    fn bundled_catalogue_validates() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/checks");
        let v = validator();
        let mut n = 0;
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "yml" || e == "yaml") {
                let doc = yaml(&std::fs::read_to_string(&path).unwrap());
                let errs: Vec<String> = v
                    .iter_errors(&doc)
                    .map(|e| format!("{e} at {}", e.instance_path()))
                    .collect();
                assert!(errs.is_empty(), "{}: {errs:#?}", path.display());
                n += 1;
            }
        }
        assert!(n > 0, "no catalogue files found");
    }

    #[test]
    fn every_kind_example_validates() {
        let v = validator();
        for k in REGISTRY {
            let example = crate::catalogue::docs_example(k.docs).unwrap();
            let doc = yaml(&example);
            let errs: Vec<String> = v.iter_errors(&doc).map(|e| e.to_string()).collect();
            assert!(errs.is_empty(), "example of {}: {errs:#?}", k.name);
        }
    }

    #[test]
    fn rejects_misspelt_fields_and_unknown_kinds() {
        let v = validator();
        let typo = yaml("version: 1\nchecks:\n  - id: a\n    kind: file\n    pth: x\n");
        assert!(!v.is_valid(&typo));
        let kind = yaml("version: 1\nchecks:\n  - id: a\n    kind: fle\n    path: x\n");
        assert!(!v.is_valid(&kind));
        let ok =
            yaml("version: 1\nchecks:\n  - id: a\n    kind: file\n    path: x\n    max_age: 26h\n");
        assert!(v.is_valid(&ok));
    }

    /// A misspelling of `field` that is not one of `taken`: the last letter
    /// doubled (`url` → `urll`), as a typing slip would.
    fn misspell(field: &str, taken: &Map<String, Value>) -> String {
        let mut typo = field.to_string();
        while taken.contains_key(&typo) {
            typo.push(typo.chars().last().unwrap_or('x'));
        }
        typo
    }

    #[test]
    fn every_kind_has_a_closed_schema_that_rejects_a_misspelt_field() {
        let v = validator();
        let common = common_properties();
        for k in REGISTRY {
            let spec = (k.schema)().unwrap_or_else(|| panic!("{} has no schema", k.name));
            let own = spec.to_value()["properties"]
                .as_object()
                .cloned()
                .unwrap_or_default();
            assert!(!own.is_empty(), "{}: schema lists no fields", k.name);
            // The first check of this kind in its docs example: valid as written.
            let doc = yaml(&crate::catalogue::docs_example(k.docs).unwrap());
            let check = doc["checks"]
                .as_array()
                .unwrap()
                .iter()
                .find(|c| c["kind"] == k.name)
                .unwrap_or_else(|| panic!("{}: example has no check of its kind", k.name))
                .as_object()
                .unwrap()
                .clone();
            let minimal = json!({ "version": 1, "checks": [check.clone()] });
            assert!(v.is_valid(&minimal), "{}: example check is invalid", k.name);
            // Misspell one of the kind's own fields (the first the example
            // uses, else the first the schema has) and add it beside the rest,
            // so the typo is the only thing wrong.
            let field = check
                .keys()
                .find(|f| !common.contains_key(*f))
                .or_else(|| own.keys().next())
                .unwrap()
                .clone();
            let mut taken = own.clone();
            taken.extend(common.clone());
            let typo = misspell(&field, &taken);
            let mut bad = check;
            bad.insert(typo.clone(), json!("x"));
            let doc = json!({ "version": 1, "checks": [bad] });
            let errs: Vec<String> = v.iter_errors(&doc).map(|e| e.to_string()).collect();
            assert!(
                errs.iter().any(|e| e.contains(&typo)),
                "{}: misspelt field `{typo}` (for `{field}`) not rejected: {errs:#?}",
                k.name
            );
        }
    }

    #[test]
    fn a_kind_without_a_schema_accepts_any_fields() {
        let clause = kind_clause("future", None);
        assert_eq!(clause["then"], json!({}));
    }

    #[test]
    fn target_schema_fields_exist_on_target() {
        // Every property the schema offers must deserialize into `Target`
        // (which denies unknown fields), so the schema never invents fields.
        let sample = json!({
            "url": "https://x", "host": "h", "port": 1, "path": "p", "token": "t",
            "username": "u", "password": "p", "ca_file": "c", "insecure": true,
            "tls": "require", "headers": {"a": "b"}, "labels": {"a": "b"}
        });
        let props = target_schema()["properties"].as_object().unwrap().clone();
        assert_eq!(props.len(), sample.as_object().unwrap().len());
        let t: Result<crate::kinds::Target, _> = serde_json::from_value(sample);
        assert!(t.is_ok(), "{t:?}");
    }

    #[test]
    fn common_fields_match_the_loader() {
        let props = common_properties();
        let mut names: Vec<&str> = props.keys().map(String::as_str).collect();
        names.sort();
        let mut loader = crate::catalogue::COMMON_FIELDS.to_vec();
        loader.sort();
        assert_eq!(names, loader);
    }
}
