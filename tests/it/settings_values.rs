//! `compose_env`'s value checks against the reference: a table of generated
//! cases (every field of `tests/corpus/pysettings/app/values.py` × good and
//! bad values, set in a compose `environment:` or a service's `env_file:`) is
//! given to the real pydantic-settings 2.11.0 (`values_oracle.py` instantiates
//! the class under exactly that environment) and to readyctl (one compose
//! service and one `compose_env` check per case). For every case the verdicts
//! must be the same: pydantic rejects the environment exactly when readyctl
//! reports a value finding, and for the same field.

use crate::common;

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::Value;

/// The codes that mean "Settings() refuses this value".
const VALUE_CODES: &[&str] = &[
    "compose_env/wrong-type",
    "compose_env/not-json",
    "compose_env/validator-rejects",
];

/// Values tried on every field, whatever its type: each is good for some
/// fields and bad for others, and the oracle says which.
const EVERYWHERE: &[&str] = &[
    "",
    "a,b",
    r#"["a","b"]"#,
    "[1,2]",
    r#"{"a":"1"}"#,
    "1",
    "0",
    "-1",
    "true",
    "abc",
    "null",
];

/// Values for particular fields: the edges of each type.
const SPECIFIC: &[(&str, &[&str])] = &[
    (
        "V_HOSTS",
        &[r#"["a.com","b.com"]"#, "a.com,b.com", "[]", r#""a""#, "[1]"],
    ),
    (
        "V_PORTS",
        &["[1,2]", r#"["1","2"]"#, r#"["x"]"#, "[1.5]", "[true]"],
    ),
    ("V_RATIOS", &["[0.5]", r#"["0.5"]"#, r#"["x"]"#, "[1]"]),
    (
        "V_FLAGS",
        &["[true]", r#"["yes"]"#, r#"["x"]"#, "[1]", "[2]"],
    ),
    ("V_TAGS", &[r#"["a","a"]"#, "a"]),
    ("V_FROZEN", &["[1]", r#"["z"]"#]),
    (
        "V_PAIR",
        &[r#"["a",1]"#, r#"["a"]"#, r#"["a","x"]"#, r#"["a",1,2]"#],
    ),
    ("V_MANY", &["[1,2,3]", r#"["x"]"#]),
    ("V_LABELS", &[r#"{"a":"b"}"#, r#"{"a":1}"#, "a=b"]),
    ("V_LABELS__TEAM", &["core", "1"]),
    ("V_LIMITS", &[r#"{"a":1}"#, r#"{"a":"x"}"#]),
    ("V_LIMITS__CPU", &["2", "x"]),
    ("V_COLORS", &[r#"["red"]"#, r#"["RED"]"#, r#"["blue"]"#]),
    ("V_MAYBE_HOSTS", &[r#"["a"]"#, "a,b"]),
    ("V_HOSTS_OR_TEXT", &["a,b", r#"["a"]"#, r#""x""#, "1"]),
    (
        "V_CORS",
        &[
            r#"{"origins":["a"]}"#,
            r#"{"max_age":"x"}"#,
            r#"{"mode":"FAST"}"#,
            "x",
        ],
    ),
    (
        "V_CORS__ORIGINS",
        &[
            r#"["https://a.example"]"#,
            "https://a.example,https://b.example",
        ],
    ),
    ("V_CORS__MAX_AGE", &["600", "-1", "86401", "x"]),
    ("V_CORS__ALLOW_CREDENTIALS", &["yes", "maybe"]),
    ("V_CORS__MODE", &["fast", "FAST", "Fast"]),
    ("V_DB", &[r#"{"host":"h"}"#, r#"{"port":"x"}"#, "h:5432"]),
    ("V_DB__HOST", &["db"]),
    ("V_DB__PORT", &["5432", "x"]),
    ("V_COLOR", &["red", "RED", "Red", "blue", "green"]),
    ("V_LEVEL", &["1", "2", "3", "LOW", "1.0"]),
    ("V_MODE", &["fast", "FAST", "slow "]),
    ("V_STAGE", &["dev", "prod", "Prod", "production"]),
    ("V_TIER", &["1", "2", "3", "01"]),
    ("V_MAYBE_STAGE", &["a", "c"]),
    (
        "V_DEBUG",
        &["True", "on", "OFF", "y", "t", "enabled", " yes", "2"],
    ),
    (
        "V_WORKERS",
        &["4", "1_000", " 5 ", "5.0", "5.5", "0x10", "4 workers"],
    ),
    ("V_RATIO", &["0.25", "1e3", "inf", "nan", "x", "1_0.5"]),
    ("V_TIMEOUT", &["30", "x"]),
    ("V_PORT", &["1", "65535", "65536", "8080.0", "http"]),
    ("V_PERCENT", &["0", "0.1", "99.9", "100", "inf"]),
    ("V_SIZE", &["1", "0", "-5"]),
    ("V_COUNT", &["10", "11", "-1"]),
    ("V_STEP", &["15", "12", "0"]),
    ("V_CODE", &["ab", "a", "abcd", "abcde", "ééé"]),
    ("V_SLUG", &["a-b", "A", "a b", "a_b", "ab1"]),
    ("V_WORD", &["abc", "ab"]),
    ("V_SOME", &[r#"["a"]"#, "[]", r#"["a","b","c"]"#]),
    ("V_TOKEN", &["s3cret", ""]),
    ("V_LONG_KEY", &["12345678", "1234567"]),
    (
        "V_HOMEPAGE",
        &[
            "https://x.example/",
            "x.example",
            "ftp://x.example/",
            "http://",
            "http:/x",
        ],
    ),
    ("V_LINK", &["foo:bar", "x", "https://"]),
    (
        "V_DSN",
        &[
            "postgresql://u:p@db:5432/app",
            "postgresql+asyncpg://u:p@a:1,b:2/d",
            "mysql://h/d",
            "postgres://",
        ],
    ),
    (
        "V_CACHE",
        &["redis://r:6379/0", "rediss://r", "r:6379", "http://r"],
    ),
    ("REGION", &["us"]),
    ("V_AWS_REGION", &["us"]),
    ("MAX_LIMIT", &["5", "x"]),
    // Names compare case-insensitively (the default).
    ("v_hosts", &["a,b", r#"["a"]"#]),
    ("V_Port", &["0", "80"]),
    // The field name of an aliased field is not read: no verdict at all.
    ("V_LIMIT", &["x"]),
    ("V_REGION", &["x"]),
];

/// Cases for the class whose validators raise (no case sets nothing: the
/// defaults alone are a case too).
const GUARDED: &[&[(&str, &str)]] = &[
    &[],
    &[("G_ENV", "prod")],
    &[("G_ENV", "prod"), ("G_SECRET", "short")],
    &[("G_ENV", "prod"), ("G_SECRET", "long-enough")],
    &[("G_ENV", "prod"), ("G_SECRET", "change-me")],
    &[("G_ENV", "prod"), ("G_SECRET", "")],
    &[("G_ENV", "dev")],
    &[("G_ENV", "dev"), ("G_SECRET", "x")],
    &[("G_ENV", "PROD")],
    &[("g_env", "prod"), ("g_secret", "12345678")],
    &[("g_env", "prod"), ("g_secret", "1234567")],
    &[("G_TOKEN", "x")],
    &[("G_TOKEN", "change-me")],
    &[("G_TOKEN", "change-me-now")],
    &[("G_STAGE", "prod")],
    &[("G_STAGE", "prod"), ("G_EARLY", "")],
];

/// Cases for the class without a delimiter that parses enum names.
const FLAT: &[(&str, &[&str])] = &[
    (
        "DB",
        &[
            r#"{"host":"h","port":1}"#,
            "h:5432",
            r#"{"port":"x"}"#,
            "[]",
        ],
    ),
    ("DB__HOST", &["h"]),
    ("COLOR", &["red", "RED", "Red", "GREEN", "blue"]),
    ("MODE", &["fast", "FAST", "SLOW", "slow", "Fast"]),
    ("LEVEL", &["1", "LOW", "HIGH", "low", "3"]),
    ("HOSTS", &["a,b", r#"["a"]"#]),
];

/// The variables of the table, one case each, plus a few cases that set a
/// bad value beside good ones (the finding must name the bad one).
fn cases(class: &str) -> Vec<Vec<(String, String)>> {
    let one = |k: &str, v: &str| vec![(k.to_string(), v.to_string())];
    let mut out = Vec::new();
    if class == "Values" {
        let fields: Vec<&str> = SPECIFIC
            .iter()
            .map(|(k, _)| *k)
            .filter(|k| k.starts_with("V_") && k.to_uppercase() == *k)
            .collect();
        for k in &fields {
            for v in EVERYWHERE {
                out.push(one(k, v));
            }
        }
        for (k, vs) in SPECIFIC {
            for v in *vs {
                out.push(one(k, v));
            }
        }
        out.push(vec![
            ("V_DEBUG".into(), "true".into()),
            ("V_HOSTS".into(), "a.com,b.com".into()),
            ("V_PORT".into(), "443".into()),
        ]);
        out.push(vec![
            ("V_STAGE".into(), "prod".into()),
            ("V_COLOR".into(), "Red".into()),
        ]);
    } else if class == "Guarded" {
        for c in GUARDED {
            out.push(
                c.iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            );
        }
    } else {
        for (k, vs) in FLAT {
            for v in *vs {
                out.push(one(k, v));
            }
        }
    }
    out
}

/// pydantic's verdict for every case.
fn oracle(
    python: &str,
    root: &Path,
    module: &str,
    class: &str,
    cases: &[Vec<(String, String)>],
) -> Vec<Value> {
    let input: Vec<serde_json::Map<String, Value>> = cases
        .iter()
        .map(|c| {
            c.iter()
                .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                .collect()
        })
        .collect();
    let mut child = std::process::Command::new(python)
        .arg(common::repo("tests/corpus/pysettings/values_oracle.py"))
        .arg(root)
        .arg(module)
        .arg(class)
        .env_clear()
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run the pydantic oracle");
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        stdin
            .write_all(serde_json::to_string(&input).unwrap().as_bytes())
            .unwrap();
    }
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "oracle failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice::<Vec<Value>>(&out.stdout).expect("oracle JSON")
}

/// A value as a YAML double-quoted scalar, with compose's `$` escaped.
fn yaml(v: &str) -> String {
    serde_json::to_string(&v.replace('$', "$$")).unwrap()
}

/// readyctl's report: case `i` is service `s{i}` and check `c{i}`; every
/// third case puts its variables in the service's env file instead.
fn readyctl(dir: &Path, class: &str, cases: &[Vec<(String, String)>]) -> Value {
    let mut compose = String::from("services:\n");
    let mut catalogue = String::from("version: 1\nchecks:\n");
    let settings = common::repo("tests/corpus/pysettings/app/values.py");
    for (i, case) in cases.iter().enumerate() {
        compose.push_str(&format!("  s{i}:\n    image: a:1\n"));
        let in_file =
            i % 3 == 2 && !case.is_empty() && case.iter().all(|(_, v)| !v.contains(['\'', '\n']));
        if in_file {
            let body: String = case.iter().map(|(k, v)| format!("{k}='{v}'\n")).collect();
            std::fs::write(dir.join(format!("s{i}.env")), body).unwrap();
            compose.push_str(&format!("    env_file: [s{i}.env]\n"));
        } else if case.is_empty() {
            compose.push_str("    environment: {}\n");
        } else {
            compose.push_str("    environment:\n");
            for (k, v) in case {
                compose.push_str(&format!("      {k}: {}\n", yaml(v)));
            }
        }
        catalogue.push_str(&format!(
            "  - id: c{i}\n    kind: compose_env\n    title: c{i}\n    severity: high\n    files: [compose.yml]\n    process_env: false\n    service: s{i}\n    settings: {}:{class}\n",
            settings.display()
        ));
    }
    std::fs::write(dir.join("compose.yml"), compose).unwrap();
    std::fs::write(dir.join("readyctl.yml"), catalogue).unwrap();
    let out = common::readyctl()
        .args(["check", "-c"])
        .arg(dir.join("readyctl.yml"))
        .arg("--root")
        .arg(dir)
        .args(["--format", "json"])
        .output()
        .unwrap();
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("report JSON: {e}\n{}", String::from_utf8_lossy(&out.stderr)))
}

/// Compares the two verdicts on every case of `class`; returns how many
/// cases each side rejected, so a test can see the table is not one-sided.
fn compare(class: &str) -> Option<(usize, usize)> {
    let py = common::service("READYCTL_TEST_PYTHON")?;
    let cases = cases(class);
    let theirs = oracle(
        &py,
        &common::repo("tests/corpus/pysettings"),
        "app.values",
        class,
        &cases,
    );
    let dir = tempfile::tempdir().unwrap();
    let report = readyctl(dir.path(), class, &cases);
    Some((cases.len(), assert_same_verdicts(&cases, &theirs, &report)))
}

/// Case `i` of `cases` is check `i` of `report`: the fields pydantic
/// rejects must be the fields readyctl flags. Returns how many pydantic rejected.
fn assert_same_verdicts(
    cases: &[Vec<(String, String)>],
    theirs: &[Value],
    report: &Value,
) -> usize {
    let mut wrong = Vec::new();
    let mut rejected = 0;
    for (i, case) in cases.iter().enumerate() {
        let t = &theirs[i];
        let check = &report["checks"][i];
        // The variables readyctl flags, mapped to their fields by pydantic's own source.
        let flagged: BTreeSet<String> = check["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| VALUE_CODES.contains(&f["code"].as_str().unwrap_or("")))
            .filter_map(|f| {
                let msg = f["message"].as_str().unwrap_or("");
                // The variable the message names: one of the case's, or
                // (for an unset field a validator judges) any name pydantic reads.
                let named = case
                    .iter()
                    .map(|(k, _)| k.as_str())
                    .chain(t["owners"].as_object().unwrap().keys().map(String::as_str))
                    .find(|k| msg.contains(&format!(": {k} ")));
                named
                    .and_then(|k| t["owners"][k].as_str().map(str::to_string))
                    .or_else(|| Some(format!("(unmapped: {msg})")))
            })
            .collect();
        let fields: BTreeSet<String> = match t["verdict"].as_str() {
            Some("rejected") => {
                rejected += 1;
                t["fields"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|f| f.as_str().unwrap().to_string())
                    .collect()
            }
            _ => BTreeSet::new(),
        };
        if flagged != fields {
            wrong.push(format!(
                "case {i} {case:?}: pydantic {} {fields:?} ({}), readyctl flags {flagged:?}: {}",
                t["verdict"],
                t["error"].as_str().unwrap_or(""),
                check["findings"]
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {} cases differ from pydantic:\n{}",
        wrong.len(),
        cases.len(),
        wrong.join("\n")
    );
    rejected
}

#[test]
fn value_verdicts_equal_pydantic_settings_on_every_generated_case() {
    if let Some((n, rejected)) = compare("Values") {
        assert!(n > 500, "{n} cases");
        assert!(
            rejected > n / 3 && rejected < n * 9 / 10,
            "{rejected} of {n}"
        );
    }
}

#[test]
fn without_a_delimiter_models_are_json_and_enum_names_parse_as_pydantic_does() {
    if let Some((n, rejected)) = compare("Flat") {
        assert!(rejected > 0 && rejected < n, "{rejected} of {n}");
    }
}

#[test]
fn field_validator_raises_equal_pydantic_including_defaults_and_field_order() {
    if let Some((n, rejected)) = compare("Guarded") {
        assert!(rejected >= 5 && rejected < n, "{rejected} of {n}");
    }
}

/// The real DotMac settings on the real environments docker compose gives
/// the API and the Celery services at b2470133 (ab78780b's production file
/// is refused by docker compose itself: container_name with replicas): the
/// API's is accepted, the workers' is refused by `validate_secret_key`
/// (ENVIRONMENT=production, no SECRET_KEY), and readyctl says the same.
#[test]
fn dotmac_service_environments_get_the_verdict_pydantic_gives() {
    let (Some(py), Some(compose)) = (
        common::service("READYCTL_TEST_PYTHON"),
        common::service("READYCTL_TEST_DOCKER_COMPOSE"),
    ) else {
        return;
    };
    let root = common::fixture("dotmac-real/b2470133");
    let out = std::process::Command::new(&compose)
        .current_dir(&root)
        .args([
            "-f",
            "docker-compose.production.yml",
            "--env-file",
            ".env.production.example",
            "-p",
            "dotmac",
            "config",
            "--format",
            "json",
        ])
        .env_clear()
        .output()
        .expect("run docker compose");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let model: Value = serde_json::from_slice(&out.stdout).unwrap();
    let services = ["app", "celery-worker", "celery-beat"];
    let cases: Vec<Vec<(String, String)>> = services
        .iter()
        .map(|s| {
            model["services"][s]["environment"]
                .as_object()
                .unwrap()
                .iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_string()))
                .collect()
        })
        .collect();
    let theirs = oracle(
        &py,
        &root.join("src/dotmac/platform"),
        "settings",
        "Settings",
        &cases,
    );
    let mut catalogue = String::from("version: 1\nchecks:\n");
    for s in services {
        catalogue.push_str(&format!(
            "  - id: {s}\n    kind: compose_env\n    title: t\n    severity: high\n    files: [docker-compose.production.yml]\n    env_files: [.env.production.example]\n    process_env: false\n    service: {s}\n    settings: src/dotmac/platform/settings.py:Settings\n"
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
    assert_eq!(assert_same_verdicts(&cases, &theirs, &report), 2);
    assert_eq!(theirs[0]["verdict"], "accepted");
    for t in &theirs[1..] {
        assert_eq!(t["fields"], serde_json::json!(["secret_key"]), "{t}");
    }
}

/// DotMac's production validator advises `TRUSTED_HOSTS=api.example.com,www.example.com`
/// (settings.py): the real pydantic-settings refuses that text for the
/// `list[str]` field, and readyctl says `not-json` with the JSON form.
#[test]
fn dotmacs_own_trusted_hosts_advice_is_refused_by_pydantic_and_by_readyctl() {
    let Some(py) = common::service("READYCTL_TEST_PYTHON") else {
        return;
    };
    let dir = common::fixture("dotmac-real/b2470133/src/dotmac/platform");
    let src = std::fs::read_to_string(dir.join("settings.py")).unwrap();
    let advice = regex::Regex::new(r"TRUSTED_HOSTS=([^\s)\x22]+)")
        .unwrap()
        .captures(&src)
        .expect("the validator's advice")[1]
        .to_string();
    assert!(advice.contains(','), "{advice}");
    let case = vec![("TRUSTED_HOSTS".to_string(), advice.clone())];
    let theirs = oracle(
        &py,
        &dir,
        "settings",
        "Settings",
        std::slice::from_ref(&case),
    );
    assert_eq!(
        theirs[0]["fields"],
        serde_json::json!(["trusted_hosts"]),
        "{}",
        theirs[0]
    );
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("compose.yml"),
        format!(
            "services:\n  app:\n    image: a:1\n    environment:\n      TRUSTED_HOSTS: {}\n",
            yaml(&advice)
        ),
    )
    .unwrap();
    let (_c, cat) = common::catalogue(&format!(
        "version: 1\nchecks:\n  - id: t\n    kind: compose_env\n    title: t\n    severity: high\n    files: [compose.yml]\n    process_env: false\n    service: app\n    settings: {}:Settings\n",
        dir.join("settings.py").display()
    ));
    let out = common::readyctl()
        .args(["check", "-c"])
        .arg(&cat)
        .arg("--root")
        .arg(tmp.path())
        .args(["--format", "json"])
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(assert_same_verdicts(&[case], &theirs, &report), 1);
    let f = &report["checks"][0]["findings"][0];
    assert_eq!(f["code"], "compose_env/not-json", "{f}");
    assert_eq!(f["severity"], "critical");
    assert_eq!(
        f["expected"], r#"["api.example.com","www.example.com"]"#,
        "{f}"
    );
    assert_eq!(
        f["related"][0]["line"], 463,
        "the field's line in settings.py: {f}"
    );
}
