//! Every report format from one run, checked by its schema or a real consumer:
//! JUnit XML with `xmllint --schema tests/schemas/junit.xsd` (the Jenkins
//! JUnit XSD), SARIF against the official OASIS SARIF 2.1.0 JSON schema,
//! Prometheus text with `promtool check metrics` and a grammar check, the JSON
//! report against `schemas/report.schema.json`, GitHub annotations and
//! Markdown by shape.

mod common;

use std::path::Path;
use std::process::Command;

use common::{readyctl, repo, service};
use serde_json::Value;

/// One run of the bundled catalogue against the broken fixture, writing every
/// format at once; returns (dir, stdout).
fn run_all(dir: &Path) -> String {
    let out = readyctl()
        .args([
            "check",
            "--root",
            "fixtures/dotmac/broken",
            "--format",
            "github",
        ])
        .arg("--report")
        .arg(format!("junit={}", dir.join("r.xml").display()))
        .arg("--report")
        .arg(format!("sarif={}", dir.join("r.sarif").display()))
        .arg("--report")
        .arg(format!("markdown={}", dir.join("r.md").display()))
        .arg("--report")
        .arg(format!("prometheus={}", dir.join("r.prom").display()))
        .arg("--report")
        .arg(format!("json={}", dir.join("r.json").display()))
        .arg("--report-json")
        .arg(dir.join("alias.json"))
        .assert()
        .code(1);
    String::from_utf8_lossy(&out.get_output().stdout).into_owned()
}

fn validate_json(schema_path: &str, doc: &Value) -> Vec<String> {
    let schema: Value =
        serde_json::from_str(&std::fs::read_to_string(repo(schema_path)).unwrap()).unwrap();
    let v = jsonschema::validator_for(&schema).expect("schema compiles");
    v.iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

#[test]
fn every_format_from_one_run_is_valid() {
    let dir = tempfile::tempdir().unwrap();
    let stdout = run_all(dir.path());

    // JSON (both spellings) against the committed report schema.
    let json: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("r.json")).unwrap()).unwrap();
    let alias: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("alias.json")).unwrap())
            .unwrap();
    assert_eq!(json["checks"], alias["checks"], "--report-json is an alias");
    let errs = validate_json("schemas/report.schema.json", &json);
    assert!(errs.is_empty(), "report schema: {errs:#?}");

    // SARIF against the official schema, with file-located results.
    let sarif: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("r.sarif")).unwrap())
            .unwrap();
    let errs = validate_json("tests/schemas/sarif-schema-2.1.0.json", &sarif);
    assert!(errs.is_empty(), "SARIF schema: {errs:#?}");
    // Negative control: the validator can say no.
    let mut bad = sarif.clone();
    bad["runs"][0]["results"][0]["status"] = Value::from("accepted");
    assert!(!validate_json("tests/schemas/sarif-schema-2.1.0.json", &bad).is_empty());
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let located = results
        .iter()
        .find(|r| r["ruleId"] == "secrets.strength")
        .expect("secrets.strength result");
    let phys = &located["locations"][0]["physicalLocation"];
    assert_eq!(phys["artifactLocation"]["uri"], ".env.production");
    assert!(phys["region"]["startLine"].as_u64().unwrap() >= 1);
    let rules = sarif["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    let rule = rules
        .iter()
        .find(|r| r["id"] == "secrets.strength")
        .unwrap();
    assert!(
        rule["help"]["markdown"]
            .as_str()
            .unwrap()
            .contains("## What it checks"),
        "rules carry their kind's docs"
    );

    // GitHub annotations on stdout.
    assert!(
        stdout.contains("::error file=.env.production,line=3,col=1,title=secrets.strength"),
        "{stdout}"
    );
    assert!(
        stdout.lines().last().unwrap().contains("failed"),
        "{stdout}"
    );

    // Markdown: a heading and a table with one row per problem.
    let md = std::fs::read_to_string(dir.path().join("r.md")).unwrap();
    assert!(md.starts_with("## ❌ readyctl: "), "{md}");
    assert!(
        md.contains("| ❌ fail | `secrets.strength` | critical |"),
        "{md}"
    );

    // JUnit: structure, then the XSD through xmllint.
    let xml = std::fs::read_to_string(dir.path().join("r.xml")).unwrap();
    assert!(
        xml.contains(r#"<testcase name="secrets.strength""#),
        "{xml}"
    );
    assert!(xml.contains("<failure "), "{xml}");

    // Prometheus: the exposition grammar, line by line.
    let prom = std::fs::read_to_string(dir.path().join("r.prom")).unwrap();
    assert_exposition_format(&prom);
    assert!(prom.contains(
        r#"readyctl_check_success{id="secrets.strength",kind="env_file",severity="critical",status="fail"} 0"#
    ));
    assert!(prom.contains("readyctl_run_duration_seconds "));

    if let Some(xmllint) = service("READYCTL_TEST_XMLLINT") {
        let out = Command::new(xmllint)
            .args(["--noout", "--schema"])
            .arg(repo("tests/schemas/junit.xsd"))
            .arg(dir.path().join("r.xml"))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "xmllint rejected the JUnit report:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    if let Some(promtool) = service("READYCTL_TEST_PROMTOOL") {
        let out = Command::new(promtool)
            .args(["check", "metrics"])
            .stdin(std::fs::File::open(dir.path().join("r.prom")).unwrap())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "promtool rejected the metrics:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// The text exposition format: `# HELP name text`, `# TYPE name gauge`, and
/// samples `name{label="value",...} number`, each metric's TYPE before its
/// samples, names and labels from the allowed alphabets, values escaped.
fn assert_exposition_format(text: &str) {
    let help = regex::Regex::new(r"^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) .+$").unwrap();
    let ty =
        regex::Regex::new(r"^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (gauge|counter|untyped)$").unwrap();
    let sample = regex::Regex::new(
        r#"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"(?:,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*")*\})? (-?[0-9.e+-]+|NaN|[+-]Inf)$"#,
    )
    .unwrap();
    let mut typed = std::collections::HashSet::new();
    assert!(text.ends_with('\n'), "must end with a newline");
    for line in text.lines() {
        if let Some(c) = ty.captures(line) {
            assert!(typed.insert(c[1].to_string()), "TYPE twice: {line}");
        } else if help.is_match(line) {
        } else if let Some(c) = sample.captures(line) {
            assert!(typed.contains(&c[1]), "sample before its TYPE: {line}");
            let v = &c[3];
            assert!(v.parse::<f64>().is_ok() || v == "NaN", "bad value: {line}");
        } else {
            panic!("not exposition format: {line:?}");
        }
    }
}

#[test]
fn unknown_report_format_is_a_usage_error() {
    readyctl()
        .args([
            "check",
            "--root",
            "fixtures/dotmac/broken",
            "--report",
            "xml=out.xml",
        ])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("unknown report format `xml`"));
}
