//! SARIF 2.1.0, written by hand with serde_json (no maintained SARIF crate is
//! worth a dependency for one document shape). Validated in tests against the
//! official OASIS schema (`tests/schemas/sarif-schema-2.1.0.json`).
//!
//! - One rule per check that appears in the results: `id` is the check id,
//!   descriptions come from the title and remediation, `help` is the check
//!   kind's documentation (what `readyctl explain KIND` prints).
//! - One result per finding of every check that did not pass (`fail`,
//!   `error`, `warn`, `waived`); a check with no findings gives one result
//!   with its message. File-located findings get a physical location
//!   (`uriBaseId: %SRCROOT%`, the deployment root) so code hosts can show them
//!   on the line.
//! - Waived results carry an external suppression with the waiver's reason;
//!   `--baseline` marks become `baselineState` (`unchanged`/`new`).

use indexmap::IndexMap;
use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};
use serde_json::{Value, json};

use crate::report::{BaselineMark, CheckResult, Finding, Report, Severity, Status};

/// `$schema` written into the log.
pub const SCHEMA_URI: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// Renders the report as a SARIF 2.1.0 log (pretty JSON, trailing newline).
pub fn render(report: &Report) -> String {
    let mut rules: IndexMap<&str, Value> = IndexMap::new();
    let mut results = Vec::new();
    for c in &report.checks {
        if matches!(c.status, Status::Pass | Status::Skip | Status::Cancelled) {
            continue;
        }
        let rule_index = rules.len();
        let rule_index = match rules.get_index_of(c.id.as_str()) {
            Some(i) => i,
            None => {
                rules.insert(&c.id, rule(c));
                rule_index
            }
        };
        if c.findings.is_empty() {
            results.push(result(c, rule_index, &c.message, None));
        } else {
            for f in &c.findings {
                results.push(result(c, rule_index, &f.message, Some(f)));
            }
        }
    }
    let log = json!({
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": report.tool.name,
                    "version": report.tool.version,
                    "rules": rules.into_values().collect::<Vec<_>>(),
                }
            },
            "originalUriBaseIds": {
                "%SRCROOT%": { "description": { "text": format!("The deployment root ({})", report.root) } }
            },
            "invocations": [{
                "executionSuccessful": !report.interrupted,
                "startTimeUtc": report.started_at,
            }],
            "results": results,
        }]
    });
    let mut s = serde_json::to_string_pretty(&log).unwrap_or_default();
    s.push('\n');
    s
}

fn rule(c: &CheckResult) -> Value {
    let docs = crate::kinds::lookup(&c.kind).map(|k| k.docs).unwrap_or("");
    let mut full = c.title.clone();
    if let Some(r) = &c.remediation {
        full.push_str(". Fix: ");
        full.push_str(r);
    }
    let help_text = if docs.is_empty() {
        format!("readyctl check kind `{}`", c.kind)
    } else {
        docs.to_string()
    };
    json!({
        "id": c.id,
        "name": c.id,
        "shortDescription": { "text": c.title },
        "fullDescription": { "text": full },
        "help": { "text": help_text, "markdown": help_text },
        "defaultConfiguration": { "level": level_for(c.severity) },
        "properties": {
            "kind": c.kind,
            "severity": c.severity.as_str(),
            "tags": c.tags,
        }
    })
}

fn level_for(sev: Severity) -> &'static str {
    match sev {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

fn result(c: &CheckResult, rule_index: usize, message: &str, f: Option<&Finding>) -> Value {
    let level = match c.status {
        Status::Warn => "warning",
        Status::Error => "error",
        _ => level_for(c.severity),
    };
    let mut text = message.to_string();
    if let Some(f) = f {
        if let (Some(e), Some(a)) = (&f.expected, &f.actual) {
            text.push_str(&format!(" (expected {e}, found {a})"));
        }
        if let Some(h) = &f.hint {
            text.push_str(&format!(". Hint: {h}"));
        }
    }
    let mut r = json!({
        "ruleId": c.id,
        "ruleIndex": rule_index,
        "level": level,
        "message": { "text": text },
        "properties": { "status": c.status.as_str() },
    });
    if let Some(code) = f.and_then(|f| f.code.as_ref()) {
        r["properties"]["code"] = json!(code);
    }
    // Code hosts want a location on every result: a finding's own, else the
    // line of the catalogue that defines the check.
    if let Some(loc) = f.and_then(location).or_else(|| source_location(c)) {
        r["locations"] = json!([loc]);
    }
    if c.status == Status::Waived
        && let Some(w) = &c.waiver
    {
        r["suppressions"] = json!([{
            "kind": "external",
            "state": "accepted",
            "justification": format!("{} (by {}, until {})", w.reason, w.by, w.expires),
        }]);
    }
    if let Some(b) = c.baseline {
        r["baselineState"] = json!(match b {
            BaselineMark::Known => "unchanged",
            BaselineMark::New => "new",
        });
    }
    r
}

/// Characters escaped in a URI path: controls, space and the few that would
/// change the meaning of a URI reference.
const PATH: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'[')
    .add(b']')
    .add(b'\\')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}');

fn location(f: &Finding) -> Option<Value> {
    let file = f.file.as_deref()?;
    let mut artifact = if file.starts_with('/') {
        json!({ "uri": format!("file://{}", utf8_percent_encode(file, PATH)) })
    } else {
        json!({ "uri": utf8_percent_encode(file, PATH).to_string(), "uriBaseId": "%SRCROOT%" })
    };
    if artifact["uri"] == "" {
        artifact["uri"] = json!(".");
    }
    let mut phys = json!({ "artifactLocation": artifact });
    if let Some(line) = f.line.filter(|l| *l > 0) {
        let mut region = json!({ "startLine": line });
        if let Some(col) = f.column.filter(|c| *c > 0) {
            region["startColumn"] = json!(col);
        }
        phys["region"] = region;
    }
    Some(json!({ "physicalLocation": phys }))
}

fn source_location(c: &CheckResult) -> Option<Value> {
    let src = c.source.as_ref()?;
    let f = Finding {
        file: Some(src.file.clone()),
        line: Some(src.line),
        column: Some(src.column),
        ..Finding::default()
    };
    let mut loc = location(&f)?;
    // The catalogue is named relative to where readyctl ran, not to the root.
    if let Some(a) = loc["physicalLocation"]["artifactLocation"].as_object_mut() {
        a.remove("uriBaseId");
    }
    loc["message"] = json!({ "text": format!("check `{}` is defined here", c.id) });
    Some(loc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshot() {
        let mut s = render(&crate::report::render::canonical());
        // Kind docs change as kinds evolve; the snapshot pins the shape.
        let v: Value = serde_json::from_str(&s).unwrap();
        let mut v2 = v.clone();
        for r in v2["runs"][0]["tool"]["driver"]["rules"]
            .as_array_mut()
            .unwrap()
        {
            r["help"] = json!({"text": "[docs]", "markdown": "[docs]"});
        }
        s = serde_json::to_string_pretty(&v2).unwrap();
        insta::assert_snapshot!(s);
    }

    /// The canonical report (waivers, baselines, odd paths) is valid SARIF
    /// 2.1.0 per the official OASIS schema.
    #[test]
    fn canonical_report_matches_the_official_schema() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/schemas/sarif-schema-2.1.0.json"
        );
        let schema: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let v = jsonschema::validator_for(&schema).unwrap();
        let doc: Value =
            serde_json::from_str(&render(&crate::report::render::canonical())).unwrap();
        let errs: Vec<String> = v.iter_errors(&doc).map(|e| e.to_string()).collect();
        assert!(errs.is_empty(), "{errs:#?}");
    }

    #[test]
    fn located_findings_become_physical_locations() {
        let s = render(&crate::report::render::canonical());
        let v: Value = serde_json::from_str(&s).unwrap();
        let results = v["runs"][0]["results"].as_array().unwrap();
        let first = &results[0];
        assert_eq!(first["ruleId"], "env.values");
        let phys = &first["locations"][0]["physicalLocation"];
        assert_eq!(phys["artifactLocation"]["uri"], ".env.production");
        assert_eq!(phys["region"]["startLine"], 3);
        assert_eq!(
            results[1]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            "dir%20with%20space/.env,%20x"
        );
    }
}
