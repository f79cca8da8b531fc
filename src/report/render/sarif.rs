//! SARIF 2.1.0, written by hand with serde_json (no maintained SARIF crate is
//! worth a dependency for one document shape). Tests validate it against the
//! *final* OASIS 2.1.0 schema (`tests/schemas/sarif-schema-2.1.0.json`, the
//! one the SARIF multitool ships and GitHub checks uploads against) and run
//! `sarif-multitool validate` on it.
//!
//! - One rule per check that appears in the results: `id` is the check id,
//!   `name` a PascalCase form of it (SARIF1001: `name` must differ from `id`),
//!   descriptions come from the title and remediation, `help` is a few lines
//!   (the kind, the finding codes seen, the fix) and `helpUri` points at the
//!   kind's page under `docs/kinds/`. The finding codes in the help, with
//!   their level and meaning, come from the kinds' declarations
//!   ([`crate::report::codes`]), passed in by the command layer (renderers
//!   do not import the kinds).
//! - A result's level is its finding's own severity (graded kinds), else its
//!   code's declared level (`warn` → `warning`, `info` → `note`), else the
//!   check's severity.
//! - One result per finding of every check that did not pass (`fail`,
//!   `error`, `warn`, `waived`); a check with no findings gives one result
//!   with its message. Every result has a location with a region, so a code
//!   host can place it: a finding's file and line, line 1 of a file-level
//!   finding, else the catalogue line that defines the check.
//! - Paths are relative to the repository (`%SRCROOT%`, whose `uri` is the
//!   repository's top directory), not to `--root`: with `--root deploy` a
//!   finding in `.env` is `deploy/.env`. They are percent-encoded as RFC 3986
//!   path segments.
//! - `partialFingerprints["readyctlFinding/v1"]` is a hash of the check id, the
//!   finding's code, file and message (not its line, so an edit above it
//!   keeps its identity); the same run twice gives the same fingerprints.
//! - Waived results carry an external suppression (`status: accepted`) with
//!   the waiver's reason; `--baseline` marks become `baselineState`
//!   (`unchanged`/`new`).

use indexmap::IndexMap;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::{Value, json};

use super::{Base, RepoPath, repo_path};
use crate::report::codes::{Code, CodeLookup, Level};
use crate::report::{BaselineMark, CheckResult, Finding, Report, Severity, Status};

/// `$schema` written into the log: the final 2.1.0 schema.
pub(crate) const SCHEMA_URI: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

/// Where the kinds' documentation is published (`docs/` of the repository).
/// The project has no public address of its own yet: change this one line
/// when it does.
pub(crate) const DOCS_URL: &str = "https://github.com/readyctl/readyctl/blob/main/docs/";

/// The `partialFingerprints` key (versioned: a new hash gets a new key).
pub(crate) const FINGERPRINT_KEY: &str = "readyctlFinding/v1";

/// Renders the report as a SARIF 2.1.0 log (pretty JSON, trailing newline),
/// without the codes' declarations (tests of the layout).
#[cfg(test)]
fn render(report: &Report) -> String {
    render_with(report, None)
}

/// Renders the report as a SARIF 2.1.0 log, with the rule help and result
/// levels taken from the declared finding codes.
pub(crate) fn render_with(report: &Report, codes: Option<CodeLookup>) -> String {
    let mut rules: IndexMap<&str, Value> = IndexMap::new();
    let mut results = Vec::new();
    let mut seen: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for c in &report.checks {
        if matches!(c.status, Status::Pass | Status::Skip | Status::Cancelled) {
            continue;
        }
        let rule_index = rules.len();
        let rule_index = match rules.get_index_of(&*c.id) {
            Some(i) => i,
            None => {
                rules.insert(&c.id, rule(c, codes));
                rule_index
            }
        };
        let mut push = |f: Option<&Finding>, message: &str| {
            let mut r = result(report, c, rule_index, message, f, codes);
            // Two identical findings (same file and message) still need
            // distinct fingerprints: number the repeats.
            let base = fingerprint(c, f);
            let n = seen.entry(base.clone()).or_insert(0);
            let fp = if *n == 0 { base } else { format!("{base}:{n}") };
            *n += 1;
            r["partialFingerprints"] = json!({ FINGERPRINT_KEY: fp });
            results.push(r);
        };
        if c.findings.is_empty() {
            push(None, &c.message);
        } else {
            for f in &c.findings {
                push(Some(f), &f.message);
            }
        }
    }
    let top = report
        .repository
        .as_ref()
        .map(|r| r.top.as_str())
        .unwrap_or(report.root.as_str());
    let mut srcroot =
        json!({ "description": { "text": "The repository the deployment belongs to." } });
    if top.starts_with('/') {
        srcroot["uri"] = json!(dir_uri(top));
    }
    let mut invocation = json!({
        "executionSuccessful": !report.interrupted,
        "startTimeUtc": report.started_at,
    });
    if let Some(note) = truncation_note(report) {
        invocation["toolExecutionNotifications"] =
            json!([{ "level": "note", "message": { "text": note } }]);
    }
    let log = json!({
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": report.tool.name,
                    "version": report.tool.version,
                    "informationUri": DOCS_URL,
                    "rules": rules.into_values().collect::<Vec<_>>(),
                }
            },
            "originalUriBaseIds": { "%SRCROOT%": srcroot },
            "invocations": [invocation],
            "results": results,
            "properties": {
                "root": report.root,
                "catalogue": report.catalogue,
            },
        }]
    });
    let mut s = serde_json::to_string_pretty(&log).unwrap_or_default();
    s.push('\n');
    s
}

/// Checks whose findings a kind cut short (`truncated: N of M`), for the
/// run's notifications.
fn truncation_note(report: &Report) -> Option<String> {
    let cut: Vec<String> = report
        .checks
        .iter()
        .filter_map(|c| {
            let t = c.truncated.as_ref()?;
            Some(format!("{} (truncated: {} of {})", c.id, t.shown, t.total))
        })
        .collect();
    (!cut.is_empty()).then(|| format!("findings were capped for: {}", cut.join(", ")))
}

fn rule(c: &CheckResult, lookup: Option<CodeLookup>) -> Value {
    let mut full = c.title.to_string();
    if let Some(r) = &c.remediation {
        full.push_str(". Fix: ");
        full.push_str(r);
    }
    let mut codes: Vec<&str> = c
        .findings
        .iter()
        .filter_map(|f| f.code.as_deref())
        .collect();
    codes.sort_unstable();
    codes.dedup();
    let doc = format!("{DOCS_URL}kinds/{}.md", c.kind);
    let mut text = format!(
        "{} (readyctl check `{}`, kind `{}`).",
        c.title, c.id, c.kind
    );
    let mut md = format!(
        "**{}** — readyctl check `{}`, kind [`{}`]({doc}).",
        md_escape(&c.title),
        c.id,
        c.kind
    );
    if !codes.is_empty() {
        let declared: Vec<(&str, Option<&Code>)> = codes
            .iter()
            .map(|code| (*code, lookup.and_then(|l| l(code))))
            .collect();
        let plain = declared
            .iter()
            .map(|(code, d)| match d {
                Some(d) => format!("{code} ({}: {})", d.level.describe(), d.summary),
                None => code.to_string(),
            })
            .collect::<Vec<_>>()
            .join("; ");
        text.push_str(&format!(" Finding codes: {plain}."));
        let list = declared
            .iter()
            .map(|(code, d)| match d {
                Some(d) => format!("- `{code}` ({}): {}", d.level.describe(), d.summary),
                None => format!("- `{code}`"),
            })
            .collect::<Vec<_>>()
            .join("\n");
        md.push_str(&format!("\n\nFinding codes:\n\n{list}"));
    }
    if let Some(r) = &c.remediation {
        text.push_str(&format!(" Fix: {r}"));
        md.push_str(&format!("\n\n**Fix:** {}", md_escape(r)));
    }
    text.push_str(&format!(
        " What the kind checks and what each finding means: `readyctl explain {}` or {doc}",
        c.kind
    ));
    md.push_str(&format!("\n\nWhat the kind checks and what each finding means: `readyctl explain {}` or [its page]({doc}).", c.kind));
    json!({
        "id": &*c.id,
        "name": rule_name(&c.id),
        "shortDescription": { "text": &*c.title },
        "fullDescription": { "text": full },
        "helpUri": doc,
        "help": { "text": text, "markdown": md },
        "defaultConfiguration": { "level": level_for(c.severity) },
        "properties": {
            "kind": c.kind,
            "severity": c.severity.as_str(),
            "tags": c.tags,
        }
    })
}

/// `secrets.strength` → `SecretsStrength`: a readable name that is not the id.
fn rule_name(id: &str) -> String {
    let mut out = String::new();
    for part in id
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|p| !p.is_empty())
    {
        let mut chars = part.chars();
        if let Some(first) = chars.next() {
            out.push(first.to_ascii_uppercase());
            out.extend(chars);
        }
    }
    if out.is_empty() || out == id {
        out = format!("Check{out}");
    }
    out
}

fn md_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        if matches!(
            ch,
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '#' | '|'
        ) {
            out.push('\\');
        }
        out.push(ch);
    }
    out
}

fn level_for(sev: Severity) -> &'static str {
    match sev {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

fn result(
    report: &Report,
    c: &CheckResult,
    rule_index: usize,
    message: &str,
    f: Option<&Finding>,
    codes: Option<CodeLookup>,
) -> Value {
    let declared = f
        .and_then(|f| f.code.as_deref())
        .and_then(|code| codes.and_then(|l| l(code)));
    let level = match (
        c.status,
        f.and_then(|f| f.severity),
        declared.map(|d| d.level),
    ) {
        (Status::Error, _, _) => "error",
        (_, Some(sev), _) => level_for(sev),
        (_, None, Some(Level::Graded(sev))) => level_for(sev),
        (_, None, Some(Level::Warn)) => "warning",
        (_, None, Some(Level::Info)) => "note",
        (Status::Warn, _, _) => "warning",
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
    if let Some(t) = &c.truncated {
        text.push_str(&format!(
            " [truncated: {} of {} findings reported]",
            t.shown, t.total
        ));
    }
    let mut r = json!({
        "ruleId": &*c.id,
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
    if let Some(loc) = f
        .and_then(|f| location(report, f))
        .or_else(|| source_location(report, c))
    {
        r["locations"] = json!([loc]);
    }
    if c.status == Status::Waived
        && let Some(w) = &c.waiver
    {
        r["suppressions"] = json!([{
            "kind": "external",
            "status": "accepted",
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

/// A stable identity for a result across runs: FNV-1a (64 bit, fixed
/// forever, unlike std's hasher) of the check id, code, file and message.
fn fingerprint(c: &CheckResult, f: Option<&Finding>) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let parts = [
        &*c.id,
        f.and_then(|f| f.code.as_deref()).unwrap_or(""),
        f.and_then(|f| f.file.as_deref()).unwrap_or(""),
        f.map(|f| f.message.as_str()).unwrap_or(""),
    ];
    for p in parts {
        for b in p.bytes().chain([0xff]) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    format!("{h:016x}")
}

/// Characters kept as they are in a URI path segment (RFC 3986 `pchar`
/// minus the sub-delimiters some consumers mishandle): unreserved only.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// `deploy/weird,name:1.txt` → `deploy/weird%2Cname%3A1.txt`.
fn encode_path(path: &str) -> String {
    path.split('/')
        .map(|seg| utf8_percent_encode(seg, SEGMENT).to_string())
        .collect::<Vec<_>>()
        .join("/")
}

/// `file:///abs/dir/` (with the trailing slash a base URI needs).
fn dir_uri(abs: &str) -> String {
    let mut u = format!("file://{}", encode_path(abs));
    if !u.ends_with('/') {
        u.push('/');
    }
    u
}

fn artifact(report: &Report, file: &str, base: Base) -> Value {
    match repo_path(report, file, base) {
        RepoPath::Inside(p) if p.is_empty() => json!({ "uri": "./", "uriBaseId": "%SRCROOT%" }),
        RepoPath::Inside(p) => json!({ "uri": encode_path(&p), "uriBaseId": "%SRCROOT%" }),
        RepoPath::Outside(p) if p.starts_with('/') => {
            json!({ "uri": format!("file://{}", encode_path(&p)) })
        }
        RepoPath::Outside(p) => json!({ "uri": encode_path(&p) }),
    }
}

fn region(line: Option<u32>, column: Option<u32>) -> Value {
    // A file-level finding is placed on the file's first line: code hosts
    // drop results without a region.
    let mut region = json!({ "startLine": line.filter(|l| *l > 0).unwrap_or(1) });
    if let Some(col) = column.filter(|c| *c > 0)
        && line.is_some()
    {
        region["startColumn"] = json!(col);
    }
    region
}

fn location(report: &Report, f: &Finding) -> Option<Value> {
    let file = f.file.as_deref()?;
    Some(json!({ "physicalLocation": {
        "artifactLocation": artifact(report, file, Base::Root),
        "region": region(f.line, f.column),
    }}))
}

fn source_location(report: &Report, c: &CheckResult) -> Option<Value> {
    let src = c.source.as_ref()?;
    Some(json!({
        "physicalLocation": {
            "artifactLocation": artifact(report, &src.file, Base::Cwd),
            "region": region(Some(src.line), Some(src.column)),
        },
        "message": { "text": format!("check `{}` is defined here", c.id) },
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A stand-in for the registry's lookup: `env/weak-secret` declared as
    /// a warning, every other code unknown.
    fn lookup(code: &str) -> Option<&'static Code> {
        static WEAK: Code = Code::warn("env/weak-secret", "a secret is a placeholder");
        (code == WEAK.code).then_some(&WEAK)
    }

    #[test]
    fn rule_help_and_result_levels_come_from_the_declared_codes() {
        let report = crate::report::render::canonical();
        let with: Value = serde_json::from_str(&render_with(&report, Some(lookup))).unwrap();
        let without: Value = serde_json::from_str(&render(&report)).unwrap();
        let rule = |v: &Value| {
            v["runs"][0]["tool"]["driver"]["rules"]
                .as_array()
                .unwrap()
                .iter()
                .find(|r| r["id"] == "env.values")
                .unwrap()
                .clone()
        };
        let help = rule(&with)["help"]["markdown"]
            .as_str()
            .unwrap()
            .to_string();
        assert!(
            help.contains("- `env/weak-secret` (warn): a secret is a placeholder"),
            "{help}"
        );
        assert!(
            !rule(&without)["help"]["markdown"]
                .as_str()
                .unwrap()
                .contains("a secret is a placeholder")
        );
        let weak = |v: &Value| {
            v["runs"][0]["results"]
                .as_array()
                .unwrap()
                .iter()
                .find(|r| r["properties"]["code"] == "env/weak-secret")
                .unwrap()["level"]
                .clone()
        };
        // Declared a warning: a warning, although its check is critical.
        assert_eq!(weak(&with), "warning");
        assert_eq!(weak(&without), "error");
    }

    #[test]
    fn snapshot() {
        insta::assert_snapshot!(render(&crate::report::render::canonical()));
    }

    /// The canonical report (waivers, baselines, odd paths, a cap) is valid
    /// SARIF 2.1.0 per the final OASIS schema (the multitool's copy).
    #[test]
    fn canonical_report_matches_the_final_schema() {
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
        // Regression: the draft schema's `state` is not allowed by the final one.
        let mut bad = doc.clone();
        let waived = bad["runs"][0]["results"]
            .as_array_mut()
            .unwrap()
            .iter_mut()
            .find(|r| r.get("suppressions").is_some())
            .unwrap();
        waived["suppressions"][0]["state"] = json!("accepted");
        assert!(
            !v.is_valid(&bad),
            "the final schema rejects suppressions[].state"
        );
    }

    fn results(v: &Value) -> &Vec<Value> {
        v["runs"][0]["results"].as_array().unwrap()
    }

    #[test]
    fn located_findings_are_named_from_the_repository_top() {
        let s = render(&crate::report::render::canonical());
        let v: Value = serde_json::from_str(&s).unwrap();
        let results = results(&v);
        let uri =
            |r: &Value| r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].clone();
        assert_eq!(results[0]["ruleId"], "env.values");
        let phys = &results[0]["locations"][0]["physicalLocation"];
        assert_eq!(uri(&results[0]), "fixtures/dotmac/broken/.env.production");
        assert_eq!(phys["artifactLocation"]["uriBaseId"], "%SRCROOT%");
        assert_eq!(phys["region"]["startLine"], 3);
        assert_eq!(
            uri(&results[1]),
            "fixtures/dotmac/broken/dir%20with%20space/.env%2C%20x"
        );
        assert_eq!(
            uri(&results[2]),
            "fixtures/dotmac/broken/weird%2Cname%3A1.txt"
        );
        // A file-level finding is still placed: on line 1.
        assert_eq!(
            results[2]["locations"][0]["physicalLocation"]["region"]["startLine"],
            1
        );
        assert_eq!(
            v["runs"][0]["originalUriBaseIds"]["%SRCROOT%"]["uri"],
            "file:///src/app/"
        );
    }

    #[test]
    fn every_result_has_a_region_and_a_fingerprint() {
        let v: Value = serde_json::from_str(&render(&crate::report::render::canonical())).unwrap();
        let mut fps = std::collections::HashSet::new();
        for r in results(&v) {
            assert!(
                r["locations"][0]["physicalLocation"]["region"]["startLine"]
                    .as_u64()
                    .is_some(),
                "{r}"
            );
            assert!(
                fps.insert(
                    r["partialFingerprints"][FINGERPRINT_KEY]
                        .as_str()
                        .unwrap()
                        .to_string()
                ),
                "{r}"
            );
        }
        // Unlocated results sit on the catalogue line that defines the check.
        let net = results(&v)
            .iter()
            .find(|r| r["ruleId"] == "net.api")
            .unwrap();
        let phys = &net["locations"][0]["physicalLocation"];
        assert_eq!(
            phys["artifactLocation"]["uri"],
            "checks/00-infrastructure.yml"
        );
        assert_eq!(phys["region"]["startLine"], 7);
    }

    #[test]
    fn fingerprints_survive_a_moved_line_and_a_rerun() {
        let a = crate::report::render::canonical();
        let mut b = a.clone();
        b.checks[1].findings[0].line = Some(40);
        b.duration_ms = 1.0;
        let fp = |r: &Report| {
            let v: Value = serde_json::from_str(&render(r)).unwrap();
            results(&v)[0]["partialFingerprints"].clone()
        };
        assert_eq!(fp(&a), fp(&b));
        b.checks[1].findings[0].message = "another problem".into();
        assert_ne!(fp(&a), fp(&b));
    }

    #[test]
    fn rules_are_short_and_named_apart_from_their_id() {
        let v: Value = serde_json::from_str(&render(&crate::report::render::canonical())).unwrap();
        for rule in v["runs"][0]["tool"]["driver"]["rules"].as_array().unwrap() {
            assert_ne!(rule["name"], rule["id"]);
            assert!(rule["helpUri"].as_str().unwrap().starts_with(DOCS_URL));
            assert!(
                rule["help"]["text"].as_str().unwrap().len() < 1000,
                "{rule}"
            );
        }
        let env = &v["runs"][0]["tool"]["driver"]["rules"][0];
        assert_eq!(env["name"], "EnvValues");
        assert!(
            env["help"]["text"]
                .as_str()
                .unwrap()
                .contains("env/weak-secret")
        );
    }

    #[test]
    fn waivers_are_accepted_suppressions_and_caps_are_noted() {
        let v: Value = serde_json::from_str(&render(&crate::report::render::canonical())).unwrap();
        let waived = results(&v)
            .iter()
            .find(|r| r["ruleId"] == "redis.persistence")
            .unwrap();
        let s = &waived["suppressions"][0];
        assert_eq!(s["kind"], "external");
        assert_eq!(s["status"], "accepted");
        assert!(s["justification"].as_str().unwrap().contains("OPS-12"));
        let many = results(&v)
            .iter()
            .find(|r| r["ruleId"] == "scan.many")
            .unwrap();
        assert!(
            many["message"]["text"]
                .as_str()
                .unwrap()
                .contains("truncated: 2 of 3000")
        );
        let note = &v["runs"][0]["invocations"][0]["toolExecutionNotifications"][0];
        assert!(
            note["message"]["text"]
                .as_str()
                .unwrap()
                .contains("scan.many (truncated: 2 of 3000)")
        );
    }

    #[test]
    fn rule_names_are_pascal_case() {
        assert_eq!(rule_name("secrets.strength"), "SecretsStrength");
        assert_eq!(rule_name("a-b_c.d"), "ABCD");
        assert_ne!(rule_name("X"), "X");
    }
}
