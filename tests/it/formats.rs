//! Every report format, checked by its schema or a real consumer: JUnit XML
//! with `xmllint --schema` against pytest's `junit-10.xsd` and the Jenkins
//! JUnit XSD (`tests/schemas/junit.xsd`), SARIF against the final OASIS
//! SARIF 2.1.0 schema and with `sarif-multitool validate`, Prometheus text
//! with `promtool check metrics` and a grammar check, the JSON report against
//! `schemas/report.schema.json`, GitHub annotations and Markdown by shape and
//! by GitHub's documented limits.

mod common;

use std::path::Path;
use std::process::Command;

use common::{assert_valid_sarif, readyctl, repo, service};
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
        // Explicit, so the test does not depend on the checkout being a git work tree.
        .arg("--repo-root")
        .arg(repo("."))
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

    // SARIF: the final schema and the multitool, file-located results named
    // from the repository top.
    let sarif = assert_valid_sarif(&dir.path().join("r.sarif"));
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let located = results
        .iter()
        .find(|r| r["ruleId"] == "secrets.strength")
        .expect("secrets.strength result");
    let phys = &located["locations"][0]["physicalLocation"];
    assert_eq!(
        phys["artifactLocation"]["uri"],
        "fixtures/dotmac/broken/.env.production"
    );
    assert!(phys["region"]["startLine"].as_u64().unwrap() >= 1);
    for r in results {
        assert!(
            r["locations"][0]["physicalLocation"]["region"]["startLine"].is_u64(),
            "every result is placed: {r}"
        );
    }
    let rules = sarif["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    let rule = rules
        .iter()
        .find(|r| r["id"] == "secrets.strength")
        .unwrap();
    // Was: every rule carried its kind's whole docs (324 KB for 72 checks).
    let help = rule["help"]["markdown"].as_str().unwrap();
    assert!(!help.contains("## What it checks"), "{help}");
    assert!(help.len() < 2000, "{help}");
    assert!(
        rule["helpUri"]
            .as_str()
            .unwrap()
            .ends_with("docs/kinds/env_file.md")
    );
    let size = std::fs::metadata(dir.path().join("r.sarif")).unwrap().len();
    assert!(size < 400_000, "SARIF of the fixture is {size} bytes");

    // GitHub annotations on stdout, within GitHub's per-step limits.
    assert!(
        stdout.contains(
            "::error file=fixtures/dotmac/broken/.env.production,line=3,col=1,title=secrets.strength"
        ),
        "{stdout}"
    );
    assert!(
        stdout.lines().last().unwrap().contains("failed"),
        "{stdout}"
    );
    assert_within_github_limits(&stdout);

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
    // Sign-offs that warn are visible, not silent passes.
    assert!(xml.contains("<system-out>WARN: needs sign-off"), "{xml}");
    assert!(
        xml.contains(r#"<property name="readyctl.warn" value="approval."#),
        "{xml}"
    );
    for line in xml.lines().filter(|l| l.contains(" message=\"")) {
        assert!(
            !line.contains("&#10;") && !line.contains("&#xA;"),
            "one-line message: {line}"
        );
    }

    // Prometheus: the exposition grammar, line by line.
    let prom = std::fs::read_to_string(dir.path().join("r.prom")).unwrap();
    assert_exposition_format(&prom);
    assert!(prom.contains(
        r#"readyctl_check_success{id="secrets.strength",kind="env_file",severity="critical",status="fail"} 0"#
    ));
    assert!(prom.contains("readyctl_run_duration_seconds "));

    assert_valid_junit(&dir.path().join("r.xml"));
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

/// `xmllint --schema` with pytest's junit-10.xsd and the Jenkins XSD.
fn assert_valid_junit(path: &Path) {
    let Some(xmllint) = service("READYCTL_TEST_XMLLINT") else {
        return;
    };
    let mut xsds = vec![repo("tests/schemas/junit.xsd")];
    if let Some(x) = service("READYCTL_TEST_JUNIT_XSD") {
        xsds.push(x.into());
    }
    for xsd in xsds {
        let out = Command::new(&xmllint)
            .args(["--noout", "--schema"])
            .arg(&xsd)
            .arg(path)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "xmllint rejected the JUnit report with {}:\n{}",
            xsd.display(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// GitHub shows 10 error and 10 warning annotations per step and 50 per job.
fn assert_within_github_limits(stdout: &str) {
    let count = |p: &str| stdout.lines().filter(|l| l.starts_with(p)).count();
    assert!(count("::error ") <= 10, "{stdout}");
    assert!(count("::warning ") <= 10, "{stdout}");
    assert!(count("::notice ") <= 10, "{stdout}");
    assert!(count("::") <= 50, "{stdout}");
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

/// The multitool can say no: the draft schema's `suppressions[].state`, which
/// readyctl wrote before, is an error (JSON1005) for it.
#[test]
fn the_sarif_oracles_reject_a_draft_suppression() {
    let dir = tempfile::tempdir().unwrap();
    let (_c, cat) = common::catalogue(
        "version: 1\nchecks:\n  - id: a.file\n    kind: file\n    path: missing.txt\n",
    );
    let sarif = dir.path().join("r.sarif");
    readyctl()
        .args(["check", "--catalog"])
        .arg(&cat)
        .arg("--root")
        .arg(cat.parent().unwrap())
        .arg("--report")
        .arg(format!("sarif={}", sarif.display()))
        .assert()
        .code(1);
    let mut doc = assert_valid_sarif(&sarif);
    doc["runs"][0]["results"][0]["suppressions"] =
        serde_json::json!([{"kind": "external", "state": "accepted"}]);
    let bad = dir.path().join("bad.sarif");
    std::fs::write(&bad, serde_json::to_string_pretty(&doc).unwrap()).unwrap();
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(repo("tests/schemas/sarif-schema-2.1.0.json")).unwrap(),
    )
    .unwrap();
    assert!(!jsonschema::validator_for(&schema).unwrap().is_valid(&doc));
    if let Some(mt) = service("READYCTL_TEST_SARIF_MULTITOOL") {
        let problems = common::multitool_problems(&mt, &bad);
        assert!(
            problems.iter().any(|p| p.starts_with("error JSON1005")),
            "{problems:#?}"
        );
    }
}

/// The committed schema is the final one the multitool ships (it replaced an
/// older draft that allowed `suppressions[].state`).
#[test]
fn committed_sarif_schema_is_the_multitools() {
    let Some(shipped) = service("READYCTL_TEST_SARIF_SCHEMA") else {
        return;
    };
    let a: Value = serde_json::from_str(&std::fs::read_to_string(shipped).unwrap()).unwrap();
    let b: Value = serde_json::from_str(
        &std::fs::read_to_string(repo("tests/schemas/sarif-schema-2.1.0.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(a, b);
}

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("git");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A repository with the deployment in `deploy/` and the catalogue in
/// `ci/`: waivers, a baseline, an error, a cap, a file name that needs
/// percent-encoding. Returns (repo dir, catalogue path).
fn deploy_repo() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let top = dir.path();
    git(top, &["init", "-q"]);
    std::fs::create_dir_all(top.join("deploy/src")).unwrap();
    std::fs::create_dir_all(top.join("ci")).unwrap();
    std::fs::write(top.join("deploy/weird,name:1.txt"), "ok\nTODO: fix\n").unwrap();
    let many: String = (0..300).map(|i| format!("x = {i}  # TODO\n")).collect();
    std::fs::write(top.join("deploy/src/many.py"), many).unwrap();
    std::fs::write(
        top.join("deploy/readyctl-waivers.yml"),
        "version: 1\nwaivers:\n  - check: waived.file\n    reason: tracked in OPS-1\n    by: ops@example.com\n    expires: 2099-12-31\n",
    )
    .unwrap();
    let cat = top.join("ci/readyctl.yml");
    std::fs::write(
        &cat,
        r#"version: 1
checks:
  - id: odd.name
    kind: scan
    severity: critical
    include: ["weird*"]
    pattern: TODO
  - id: many.todo
    kind: scan
    severity: high
    path: src
    pattern: TODO
  - id: missing.file
    kind: file
    severity: medium
    path: nothing-here.txt
  - id: waived.file
    kind: file
    path: also-missing.txt
  - id: broken.command
    kind: command
    severity: low
    run: [/nonexistent/readyctl-test-program]
"#,
    )
    .unwrap();
    (dir, cat)
}

fn run_deploy(top: &Path, out: &Path, extra: &[&str]) -> String {
    let o = readyctl()
        .current_dir(top)
        .args([
            "check",
            "--catalog",
            "ci/readyctl.yml",
            "--root",
            "deploy",
            "--format",
            "github",
        ])
        .args(extra)
        .arg("--report")
        .arg(format!("sarif={}", out.join("r.sarif").display()))
        .arg("--report")
        .arg(format!("json={}", out.join("r.json").display()))
        .arg("--report")
        .arg(format!("junit={}", out.join("r.xml").display()))
        .assert()
        .code(1);
    String::from_utf8_lossy(&o.get_output().stdout).into_owned()
}

#[test]
fn sarif_and_annotations_name_files_from_the_repository_top() {
    let (dir, _cat) = deploy_repo();
    let top = dir.path();
    let out1 = tempfile::tempdir().unwrap();
    let stdout = run_deploy(top, out1.path(), &[]);
    let sarif = assert_valid_sarif(&out1.path().join("r.sarif"));
    assert_valid_junit(&out1.path().join("r.xml"));
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let uri = |id: &str| {
        results.iter().find(|r| r["ruleId"] == id).unwrap()["locations"][0]["physicalLocation"]
            ["artifactLocation"]["uri"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(uri("odd.name"), "deploy/weird%2Cname%3A1.txt");
    assert_eq!(uri("many.todo"), "deploy/src/many.py");
    // Findings of the catalogue itself (no file of their own) sit in the catalogue.
    assert_eq!(uri("broken.command"), "ci/readyctl.yml");
    let srcroot = sarif["runs"][0]["originalUriBaseIds"]["%SRCROOT%"]["uri"]
        .as_str()
        .unwrap();
    let canonical_top = std::fs::canonicalize(top).unwrap();
    assert_eq!(srcroot, format!("file://{}/", canonical_top.display()));
    // The waiver is an accepted suppression.
    let waived = results
        .iter()
        .find(|r| r["ruleId"] == "waived.file")
        .unwrap();
    assert_eq!(waived["suppressions"][0]["status"], "accepted");

    // Annotations: the same repository paths.
    assert!(
        stdout.contains("::error file=deploy/weird%2Cname%3A1.txt,line=2,col=1,title=odd.name"),
        "{stdout}"
    );
    assert!(stdout.contains("more annotations not shown"), "{stdout}");
    let only = readyctl()
        .current_dir(top)
        .args([
            "check",
            "--catalog",
            "ci/readyctl.yml",
            "--root",
            "deploy",
            "--format",
            "github",
            "--only",
            "broken.command",
        ])
        .output()
        .unwrap();
    let only = String::from_utf8_lossy(&only.stdout);
    assert!(
        only.contains("::error file=ci/readyctl.yml,line=20,"),
        "{only}"
    );
    assert!(!stdout.contains("file=weird"), "{stdout}");
    assert_within_github_limits(&stdout);

    // The scan cap says so: in the message, the JSON report and SARIF.
    let json: Value =
        serde_json::from_str(&std::fs::read_to_string(out1.path().join("r.json")).unwrap())
            .unwrap();
    let many = json["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "many.todo")
        .unwrap();
    assert_eq!(
        many["truncated"],
        serde_json::json!({"shown": 200, "total": 300})
    );
    assert!(
        many["message"]
            .as_str()
            .unwrap()
            .contains("truncated: 200 of 300"),
        "{many}"
    );
    assert_eq!(many["findings"].as_array().unwrap().len(), 200);

    // A second run: same fingerprints. Then a baseline run: valid too.
    let out2 = tempfile::tempdir().unwrap();
    run_deploy(top, out2.path(), &[]);
    let again = assert_valid_sarif(&out2.path().join("r.sarif"));
    let fps = |v: &Value| -> Vec<Value> {
        v["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["partialFingerprints"].clone())
            .collect()
    };
    assert_eq!(fps(&sarif), fps(&again));
    let out3 = tempfile::tempdir().unwrap();
    let baseline = out1.path().join("r.json");
    let o = readyctl()
        .current_dir(top)
        .args([
            "check",
            "--catalog",
            "ci/readyctl.yml",
            "--root",
            "deploy",
            "--baseline",
        ])
        .arg(&baseline)
        .arg("--report")
        .arg(format!("sarif={}", out3.path().join("r.sarif").display()))
        .output()
        .unwrap();
    assert!(o.status.code().is_some());
    let b = assert_valid_sarif(&out3.path().join("r.sarif"));
    let failed: Vec<&Value> = b["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["properties"]["status"] == "fail")
        .collect();
    assert!(!failed.is_empty());
    assert!(
        failed.iter().all(|r| r["baselineState"] == "unchanged"),
        "known failures"
    );

    // --repo-root outside --root is refused.
    readyctl()
        .current_dir(top)
        .args([
            "check",
            "--catalog",
            "ci/readyctl.yml",
            "--root",
            "deploy",
            "--repo-root",
            "/nonexistent",
        ])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("--repo-root"));
}

/// 5,000 failing checks: the Markdown summary stays under GitHub's 1 MiB
/// step-summary limit and the annotations within its per-step caps, each
/// saying what it left out.
#[test]
fn five_thousand_failures_fit_githubs_limits() {
    let dir = tempfile::tempdir().unwrap();
    let mut cat = String::from("version: 1\nchecks:\n");
    for i in 0..5000 {
        cat.push_str(&format!(
            "  - id: many.c{i:04}\n    kind: file\n    title: The file number {i} exists and has a long title to take room in the table\n    path: missing-{i}.txt\n    remediation: Create missing-{i}.txt with the right content, then rerun the check\n"
        ));
    }
    let cat_path = dir.path().join("readyctl.yml");
    std::fs::write(&cat_path, cat).unwrap();
    let md = dir.path().join("r.md");
    let o = readyctl()
        .args(["check", "--format", "github", "--catalog"])
        .arg(&cat_path)
        .arg("--root")
        .arg(dir.path())
        .arg("--report")
        .arg(format!("markdown={}", md.display()))
        .arg("--report")
        .arg(format!("sarif={}", dir.path().join("r.sarif").display()))
        .assert()
        .code(1);
    let stdout = String::from_utf8_lossy(&o.get_output().stdout).into_owned();
    let text = std::fs::read_to_string(&md).unwrap();
    assert!(text.len() < 1024 * 1024, "Markdown is {} bytes", text.len());
    assert!(
        text.contains("**truncated: "),
        "{}",
        &text[text.len() - 500..]
    );
    assert!(text.contains("of 5000 checks listed"));
    assert!(text.contains("`many.c0000`"), "failures first, in order");
    assert_within_github_limits(&stdout);
    let closing = stdout.lines().rfind(|l| l.starts_with("::")).unwrap();
    assert!(
        closing.contains("4990 more annotations not shown"),
        "{closing}"
    );
    assert!(closing.contains("r.sarif"), "{closing}");
    assert_valid_sarif(&dir.path().join("r.sarif"));
}
