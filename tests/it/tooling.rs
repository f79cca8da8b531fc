//! Editor and shell integration: `readyctl schema`, `completions`, `man`.

mod common;

use common::readyctl;
use predicates::prelude::*;

#[test]
fn schema_is_json_that_validates_the_bundled_catalogue() {
    let out = readyctl().arg("schema").assert().success();
    let schema: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(schema["title"], "readyctl catalogue");
    let v = jsonschema::validator_for(&schema).unwrap();
    let text = std::fs::read_to_string(common::repo("checks/00-infrastructure.yml")).unwrap();
    let doc: serde_json::Value = serde_saphyr::from_str(&text).unwrap();
    let errs: Vec<String> = v.iter_errors(&doc).map(|e| e.to_string()).collect();
    assert!(errs.is_empty(), "{errs:#?}");
}

#[test]
fn completions_for_each_shell() {
    for (shell, marker) in [
        ("bash", "_readyctl()"),
        ("zsh", "#compdef readyctl"),
        ("fish", "complete -c readyctl"),
    ] {
        readyctl()
            .args(["completions", shell])
            .assert()
            .success()
            .stdout(predicate::str::contains(marker));
    }
    readyctl().args(["completions", "tcsh"]).assert().code(2);
}

#[test]
fn man_page_is_roff_with_the_commands() {
    readyctl()
        .arg("man")
        .assert()
        .success()
        .stdout(predicate::str::contains(".TH readyctl"))
        .stdout(predicate::str::contains("completions"));
}

#[test]
fn schema_lists_every_registered_kind_with_its_own_fields() {
    let out = readyctl().arg("schema").assert().success();
    let schema: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let check = &schema["properties"]["checks"]["items"];
    let names: Vec<&str> = readyctl::kinds::REGISTRY.iter().map(|k| k.name).collect();
    let kind_enum: Vec<&str> = check["properties"]["kind"]["enum"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(kind_enum, names);
    let clauses = check["allOf"].as_array().unwrap();
    for name in &names {
        let clause = clauses
            .iter()
            .find(|c| c["if"]["properties"]["kind"]["const"] == *name)
            .unwrap_or_else(|| panic!("no clause for kind {name}"));
        // A kind's clause is closed: it lists the kind's fields and nothing else goes.
        assert_eq!(clause["then"]["additionalProperties"], false, "{name}");
        let props = clause["then"]["properties"].as_object().unwrap();
        assert!(
            props.len() > 10,
            "{name}: only the common fields: {props:?}"
        );
    }

    // A misspelt field in a check the loader would otherwise accept is rejected.
    let v = jsonschema::validator_for(&schema).unwrap();
    let doc: serde_json::Value = serde_saphyr::from_str(
        "version: 1\nchecks:\n  - id: a\n    kind: redis\n    url: redis://127.0.0.1:6379\n    auth_requird: true\n",
    )
    .unwrap();
    let errs: Vec<String> = v.iter_errors(&doc).map(|e| e.to_string()).collect();
    assert!(errs.iter().any(|e| e.contains("auth_requird")), "{errs:#?}");
}
