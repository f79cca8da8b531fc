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
