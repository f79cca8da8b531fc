//! `readyctl settings` and `compose_env`'s `settings:` against the reference:
//! for every settings module of the corpus (DotMac's real `settings.py` at
//! both commits, and `tests/corpus/pysettings/app/*`), the real pydantic
//! 2.12.1 + pydantic-settings 2.11.0 import the module and report
//! (`tests/corpus/pysettings/oracle.py`): the names pydantic-settings maps,
//! with types from `model_json_schema()`, defaults and required-ness from
//! `model_fields`, and what `Settings()` does when each name is set
//! (accepted / ignored / rejected). readyctl reads the same file without
//! Python; the two must agree exactly.

use crate::common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_json::Value;

/// What pydantic says about `module`'s `class`, with `probes` tried too.
fn oracle(python: &str, root: &Path, module: &str, class: &str, probes: &[&str]) -> Value {
    let out = std::process::Command::new(python)
        .arg(common::repo("tests/corpus/pysettings/oracle.py"))
        .arg(root)
        .arg(module)
        .arg(class)
        .args(probes)
        // An empty environment: the probes set variables one at a time.
        .env_clear()
        .output()
        .expect("run the pydantic oracle");
    assert!(
        out.status.success(),
        "oracle failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("oracle JSON")
}

/// What readyctl reads from the source.
fn ours(spec: &str) -> Value {
    let out = common::readyctl()
        .args(["settings", spec, "--format", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "readyctl settings {spec}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("readyctl JSON")
}

/// Compares every name and its attributes; returns readyctl's model.
fn assert_same(oracle: &Value, ours: &Value) {
    let theirs: BTreeMap<&str, &Value> = oracle["names"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| (n["name"].as_str().unwrap(), n))
        .collect();
    let mine: BTreeMap<&str, &Value> = ours["names"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| (n["name"].as_str().unwrap(), n))
        .collect();
    let missing: Vec<_> = theirs.keys().filter(|k| !mine.contains_key(*k)).collect();
    let extra: Vec<_> = mine.keys().filter(|k| !theirs.contains_key(*k)).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "names differ from pydantic's: missing {missing:?}, extra {extra:?}"
    );
    let mut wrong = Vec::new();
    for (name, t) in &theirs {
        let m = mine[name];
        let mut check = |what: &str, a: &Value, b: &Value| {
            if a != b {
                wrong.push(format!("{name}: {what}: pydantic {a}, readyctl {b}"));
            }
        };
        check("path", &t["path"], &m["path"]);
        check("type", &t["type"], &m["type"]);
        check("format", &t["format"], &m["format"]);
        check("wildcard", &t["wildcard"], &m["wildcard"]);
        check("enum", &t["enum"], &m["choices"]);
        check("required", &t["required"], &m["required"]);
        check("has_default", &t["has_default"], &m["has_default"]);
        // A literal default must be read exactly; factories and model
        // instances have none to compare (readyctl shows them as text).
        if t["has_default"] == true && t["factory"] == false && t["default_is_model"] == false {
            check("default", &t["default"], &m["default"]);
        }
        let their_aliases: BTreeSet<&str> = theirs
            .iter()
            .filter(|(k, v)| v["path"] == t["path"] && *k != name)
            .map(|(k, _)| *k)
            .collect();
        let my_aliases: BTreeSet<&str> = m["aliases"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap())
            .collect();
        if their_aliases != my_aliases {
            wrong.push(format!(
                "{name}: aliases: pydantic {their_aliases:?}, readyctl {my_aliases:?}"
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// Every name pydantic maps must also be one `Settings()` really reads.
fn assert_all_accepted(oracle: &Value) {
    let probes = oracle["probes"].as_object().unwrap();
    let names = oracle["names"].as_array().unwrap();
    assert!(!probes.is_empty(), "the oracle probed nothing");
    for n in names.iter().filter(|n| n["wildcard"] == false) {
        let name = n["name"].as_str().unwrap();
        assert!(
            probes[name].as_str().unwrap_or("").starts_with("accepted"),
            "pydantic does not take {name}, though its own field info lists it: {}",
            probes[name]
        );
    }
}

fn dotmac(commit: &str) -> PathBuf {
    common::fixture(&format!("dotmac-real/{commit}/src/dotmac/platform"))
}

fn dotmac_matches(commit: &str) {
    let Some(py) = common::service("READYCTL_TEST_PYTHON") else {
        return;
    };
    let dir = dotmac(commit);
    let o = oracle(&py, &dir, "settings", "Settings", &[]);
    let m = ours(&format!("{}:Settings", dir.join("settings.py").display()));
    assert_same(&o, &m);
    assert_all_accepted(&o);
    let n = m["names"].as_array().unwrap().len();
    assert!((340..=360).contains(&n), "{n} names");
    assert!(
        m["notes"].as_array().unwrap().is_empty(),
        "readyctl could not read something in DotMac's settings: {}",
        m["notes"]
    );
}

#[test]
fn dotmac_settings_at_ab78780b_match_pydantic_exactly() {
    dotmac_matches("ab78780b");
}

#[test]
fn dotmac_settings_at_b2470133_match_pydantic_exactly() {
    dotmac_matches("b2470133");
}

fn corpus() -> PathBuf {
    common::repo("tests/corpus/pysettings")
}

#[test]
fn every_feature_module_matches_pydantic_including_aliases_on_nested_fields() {
    let Some(py) = common::service("READYCTL_TEST_PYTHON") else {
        return;
    };
    // Names pydantic must ignore: a nested field with an alias is read as
    // PARENT__ALIAS, not by its own name; a top-level alias drops the prefix.
    let ignored = [
        "APP_DB__USER",
        "APP_DB__PASSWORD",
        "APP_DB__POOL__RECYCLE_SECONDS",
        "APP_API_KEY",
        "APP_REGION",
        "APP_FIRST_HOST",
    ];
    let o = oracle(&py, &corpus(), "app.settings", "Settings", &ignored);
    let m = ours(&format!(
        "{}:Settings",
        corpus().join("app/settings.py").display()
    ));
    assert_same(&o, &m);
    assert_all_accepted(&o);
    for n in ignored {
        assert_eq!(o["probes"][n], "ignored", "{n}: {}", o["probes"][n]);
    }
    let names: Vec<&str> = m["names"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["name"].as_str().unwrap())
        .collect();
    // The features the module exercises, named so a failure says which broke.
    for want in [
        "APP_DB__USERNAME",
        "APP_DB__PASS",
        "APP_DB__PWD",
        "APP_DB__POOL__RECYCLE",
        "SERVICE_API_KEY",
        "AWS_REGION",
        "HOSTS_JSON",
        "APP_LABELS__",
        "APP_CACHE__URL",
    ] {
        assert!(names.contains(&want), "{want} missing: {names:?}");
    }
}

#[test]
fn class_config_case_sensitive_names_and_inheritance_match_pydantic() {
    let Some(py) = common::service("READYCTL_TEST_PYTHON") else {
        return;
    };
    let probes = ["LEG_value", "LEG_nested--flag", "leg_Value"];
    let o = oracle(&py, &corpus(), "app.legacy", "LegacySettings", &probes);
    let m = ours(&format!(
        "{}:LegacySettings",
        corpus().join("app/legacy.py").display()
    ));
    assert_same(&o, &m);
    assert_all_accepted(&o);
    for p in probes {
        assert_eq!(o["probes"][p], "ignored", "{p}");
    }
}

#[test]
fn populate_by_name_matches_pydantic() {
    let Some(py) = common::service("READYCTL_TEST_PYTHON") else {
        return;
    };
    let o = oracle(&py, &corpus(), "app.populate", "PopulateSettings", &[]);
    let m = ours(&format!(
        "{}:PopulateSettings",
        corpus().join("app/populate.py").display()
    ));
    assert_same(&o, &m);
    assert_all_accepted(&o);
}

#[test]
fn what_cannot_be_read_is_said_and_no_name_is_invented() {
    let m = ours(&format!(
        "{}:DynamicSettings",
        corpus().join("app/dynamic.py").display()
    ));
    let notes: Vec<String> = m["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["message"].as_str().unwrap().to_string())
        .collect();
    let all = notes.join("\n");
    assert!(all.contains("settings_customise_sources"), "{all}");
    assert!(all.contains("model_config"), "{all}");
    // thirdparty/ is a package of its own beside app/, so Vendor is read.
    let names: Vec<&str> = m["names"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["name"].as_str().unwrap())
        .collect();
    // The prefix is computed at run time: readyctl lists the field names it
    // knows, with the prefix it could read (none), and says so.
    assert!(names.contains(&"KNOWN"), "{names:?}");
    let reads: Vec<&str> = m["env_reads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["name"].as_str().unwrap())
        .collect();
    assert!(reads.contains(&"LEGACY_LEVEL"), "{reads:?}");
}

#[test]
fn table_shows_type_default_required_and_aliases() {
    let out = common::readyctl()
        .args([
            "settings",
            &format!("{}:Settings", corpus().join("app/settings.py").display()),
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let row = |name: &str| {
        text.lines()
            .find(|l| l.split_whitespace().next() == Some(name))
            .unwrap_or_else(|| panic!("no row {name}:\n{text}"))
            .to_string()
    };
    assert!(row("APP_PORT").contains("integer") && row("APP_PORT").contains("8000"));
    assert!(row("APP_TOKEN").contains("yes"), "{}", row("APP_TOKEN"));
    assert!(row("APP_DB__PASS").contains("APP_DB__PWD"));
    assert!(row("APP_MODE").contains("one of dev|prod"));
    assert!(text.contains("env_prefix \"APP_\""), "{text}");
}

#[test]
fn a_syntax_error_is_reported_at_its_line_with_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("settings.py");
    std::fs::write(
        &f,
        "from pydantic_settings import BaseSettings\n\nclass Settings(BaseSettings):\n    a: int = (\n",
    )
    .unwrap();
    let out = common::readyctl()
        .args(["settings", f.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("settings.py:4") || err.contains("settings.py:5"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn a_missing_class_names_the_ones_there() {
    let out = common::readyctl()
        .args([
            "settings",
            &format!("{}:Nope", corpus().join("app/legacy.py").display()),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no class `Nope`") && err.contains("LegacySettings"),
        "{err}"
    );
}

/// Values as pydantic parses them: for each, `compose_env` reports
/// `wrong-type` or `not-json` exactly when `Settings()` rejects the value.
#[test]
fn value_checks_agree_with_pydantic_on_every_case() {
    let Some(py) = common::service("READYCTL_TEST_PYTHON") else {
        return;
    };
    let cases: &[(&str, &str)] = &[
        ("APP_DEBUG", "On"),
        ("APP_DEBUG", "TRUE"),
        ("APP_DEBUG", "enabled"),
        ("APP_DEBUG", " yes"),
        ("APP_PORT", "1_000"),
        ("APP_PORT", " 5"),
        ("APP_PORT", "5.0"),
        ("APP_PORT", "5.5"),
        ("APP_PORT", "80x"),
        ("APP_PORT", "0x10"),
        ("APP_RATIO", "0.25"),
        ("APP_RATIO", "inf"),
        ("APP_RATIO", "abc"),
        ("APP_HOSTS", "a,b"),
        ("APP_HOSTS", r#"["a","b"]"#),
        ("APP_TAGS", "a"),
        ("APP_LABELS", r#"{"a":"b"}"#),
        ("APP_LABELS", "x"),
        ("APP_MODE", "prod"),
        ("APP_MODE", "PROD"),
        ("APP_LEVEL", "INFO"),
        ("APP_LEVEL", "info"),
        ("APP_TIER", "1"),
        ("APP_TIER", "3"),
        ("APP_HOMEPAGE", "https://x.example/"),
        ("APP_HOMEPAGE", "http:/x"),
        ("APP_HOMEPAGE", "x.example"),
        ("APP_HOMEPAGE", "ftp://x/"),
        ("APP_CALLBACK", "foo:bar"),
        ("APP_CALLBACK", "x"),
        ("APP_CALLBACK", "http://"),
        ("APP_CACHE__URL", "redis://r:6379/0"),
        ("APP_CACHE__URL", "redis://"),
        ("APP_CACHE__URL", "r:6379"),
        ("APP_DB__PORT", "five"),
        ("APP_DB__DSN", "postgresql+asyncpg://u:p@h/d"),
        ("APP_DB__DSN", "mysql://h/d"),
        ("APP_TIMEOUT", ""),
    ];
    let probes: Vec<String> = cases.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let probe_refs: Vec<&str> = probes.iter().map(String::as_str).collect();
    let o = oracle(&py, &corpus(), "app.settings", "Settings", &probe_refs);
    let dir = tempfile::tempdir().unwrap();
    let mut compose = String::from("services:\n");
    let mut catalogue = String::from("version: 1\nchecks:\n");
    let settings = corpus().join("app/settings.py");
    for (i, (k, v)) in cases.iter().enumerate() {
        compose.push_str(&format!(
            "  s{i}:\n    image: a:1\n    environment:\n      {k}: {}\n",
            serde_json::to_string(v).unwrap()
        ));
        catalogue.push_str(&format!(
            "  - id: c{i}\n    kind: compose_env\n    title: c{i}\n    severity: high\n    files: [compose.yml]\n    process_env: false\n    service: s{i}\n    settings: {}:Settings\n",
            settings.display()
        ));
    }
    std::fs::write(dir.path().join("compose.yml"), compose).unwrap();
    std::fs::write(dir.path().join("readyctl.yml"), catalogue).unwrap();
    let out = common::readyctl()
        .args(["check", "-c"])
        .arg(dir.path().join("readyctl.yml"))
        .arg("--root")
        .arg(dir.path())
        .args(["--format", "json"])
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).expect("report JSON");
    let mut wrong = Vec::new();
    for (i, (k, v)) in cases.iter().enumerate() {
        let verdict = o["probes"][format!("{k}={v}")].as_str().unwrap_or("?");
        let check = &report["checks"][i];
        let flagged =
            check["findings"].as_array().unwrap().iter().any(|f| {
                f["code"] == "compose_env/wrong-type" || f["code"] == "compose_env/not-json"
            });
        if flagged != verdict.starts_with("rejected") {
            wrong.push(format!(
                "{k}={v:?}: pydantic {verdict}, readyctl {}",
                if flagged { "wrong-type" } else { "no finding" }
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// On the real trees, `settings:` (read from source, no Python) reports what
/// `schema:` (the JSON Schema the real pydantic exported) reports, finding for
/// finding, for the services the catalogue checks.
#[test]
fn compose_env_with_settings_reports_the_same_findings_as_with_the_schema_on_dotmac() {
    for (commit, files) in [
        ("ab78780b", "[docker-compose.production.yml]"),
        (
            "b2470133",
            "[docker-compose.base.yml, docker-compose.production.yml]",
        ),
    ] {
        let root = common::fixture(&format!("dotmac-real/{commit}"));
        let mut catalogue = String::from("version: 1\nchecks:\n");
        for svc in ["app", "celery-worker"] {
            for (id, source) in [
                ("schema", "schema: settings.schema.json"),
                (
                    "settings",
                    "settings: src/dotmac/platform/settings.py:Settings",
                ),
            ] {
                catalogue.push_str(&format!(
                    "  - id: {svc}-{id}\n    kind: compose_env\n    title: t\n    severity: high\n    files: {files}\n    env_files: [.env.production.example]\n    process_env: false\n    service: {svc}\n    {source}\n    values: {{VAULT__ENABLED: 'true', ENVIRONMENT: production}}\n    ignore: [PYTHONUNBUFFERED]\n"
                ));
            }
        }
        let (_dir, cat) = common::catalogue(&catalogue);
        let out = common::readyctl()
            .args(["check", "-c"])
            .arg(&cat)
            .arg("--root")
            .arg(&root)
            .args(["--format", "json"])
            .output()
            .unwrap();
        let report: Value = serde_json::from_slice(&out.stdout).expect("report JSON");
        let checks = report["checks"].as_array().unwrap();
        for pair in checks.chunks(2) {
            let (a, b) = (&pair[0], &pair[1]);
            assert_eq!(
                a["status"], "fail",
                "{commit} {}: {}",
                a["id"], a["message"]
            );
            // Only the source has the validators: `validator-rejects` (the
            // workers' missing SECRET_KEY) is what `settings:` adds.
            let (from_source, rest): (Vec<Value>, Vec<Value>) = b["findings"]
                .as_array()
                .unwrap()
                .iter()
                .cloned()
                .partition(|f| f["code"] == "compose_env/validator-rejects");
            assert_eq!(
                a["findings"],
                Value::Array(rest),
                "{commit}: {} and {} differ",
                a["id"],
                b["id"]
            );
            assert_eq!(
                from_source.len(),
                usize::from(b["id"] == "celery-worker-settings"),
                "{commit} {}: {from_source:?}",
                b["id"]
            );
            assert!(!a["findings"].as_array().unwrap().is_empty());
        }
    }
}

/// `schema_command:` runs the real pydantic (argv, no shell) and reads the
/// schema it prints: the same findings as `settings:` read from source.
#[test]
fn schema_command_output_gives_the_same_findings_as_settings() {
    let Some(py) = common::service("READYCTL_TEST_PYTHON") else {
        return;
    };
    let root = common::fixture("dotmac-real/b2470133");
    let script = "import json, sys; sys.path.insert(0, 'src/dotmac/platform'); import settings; print(json.dumps(settings.Settings.model_json_schema()))";
    let mut catalogue = String::from("version: 1\nchecks:\n");
    for (id, source) in [
        (
            "command",
            format!(
                "schema_command: [{}, -c, {}]",
                serde_json::to_string(&py).unwrap(),
                serde_json::to_string(script).unwrap()
            ),
        ),
        (
            "settings",
            "settings: src/dotmac/platform/settings.py".to_string(),
        ),
    ] {
        catalogue.push_str(&format!(
            "  - id: {id}\n    kind: compose_env\n    title: t\n    severity: high\n    timeout: 60s\n    files: [docker-compose.base.yml, docker-compose.production.yml]\n    env_files: [.env.production.example]\n    process_env: false\n    service: app\n    {source}\n    values: {{VAULT__ENABLED: 'true'}}\n"
        ));
    }
    let (_dir, cat) = common::catalogue(&catalogue);
    let out = common::readyctl()
        .args(["check", "-c"])
        .arg(&cat)
        .arg("--root")
        .arg(&root)
        .args(["--format", "json"])
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).expect("report JSON");
    let (a, b) = (&report["checks"][0], &report["checks"][1]);
    assert_eq!(a["status"], "fail", "{}", a["message"]);
    assert_eq!(a["findings"], b["findings"]);
}
