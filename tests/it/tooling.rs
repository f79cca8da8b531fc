//! Editor and shell integration: `readyctl schema`, `completions`, `man`.

use crate::common;

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
    let names: Vec<&str> = readyctl::kind_names();
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

/// `completions --catalog`: the script offers the catalogue's check ids for
/// `--only` and its tags for `--tag` (baked in: a static script cannot read
/// the catalogue when the user presses Tab). Ids come from `list`, not from
/// this test.
#[test]
fn completions_with_a_catalogue_offer_its_check_ids_and_tags() {
    let list = readyctl()
        .args(["list", "--format", "json", "--catalog", "checks"])
        .output()
        .unwrap();
    let rows: serde_json::Value = serde_json::from_slice(&list.stdout).unwrap();
    let rows = rows.as_array().unwrap();
    assert!(rows.len() > 50);
    let out = readyctl()
        .args(["completions", "bash", "--catalog", "checks"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let script = String::from_utf8(out.stdout).unwrap();
    let offered = |flag: &str| -> Vec<String> {
        let case = script
            .split(&format!("{flag})"))
            .nth(1)
            .unwrap_or_else(|| panic!("no {flag} case"));
        let words = case.split('"').nth(1).unwrap_or("");
        words.split_whitespace().map(str::to_string).collect()
    };
    let only = offered("--only");
    let tags = offered("--tag");
    for r in rows {
        let id = r["id"].as_str().unwrap().to_string();
        assert!(only.contains(&id), "--only does not offer {id}");
        for t in r["tags"].as_array().unwrap() {
            assert!(
                tags.contains(&t.as_str().unwrap().to_string()),
                "--tag lacks {t}"
            );
        }
    }
    // Without --catalog the script is the same for everyone: no ids in it.
    let plain = readyctl().args(["completions", "bash"]).output().unwrap();
    let first = rows[0]["id"].as_str().unwrap();
    assert!(!String::from_utf8_lossy(&plain.stdout).contains(first));
    // A broken catalogue is a located error, not a script.
    let (_dir, bad) = common::catalogue("version: 1\nchecks:\n  - id: x\n    kind: nope\n");
    readyctl()
        .args(["completions", "bash", "--catalog"])
        .arg(&bad)
        .assert()
        .code(2)
        .stdout("");
}
