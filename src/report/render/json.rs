//! The JSON report: the [`Report`] model serialised as is. Its shape is the
//! public contract described by `schemas/report.schema.json`.

use crate::report::Report;

/// Pretty-printed JSON with a trailing newline.
pub(crate) fn render(report: &Report) -> String {
    let mut s = serde_json::to_string_pretty(report)
        .unwrap_or_else(|e| format!("{{\"error\": \"cannot serialise report: {e}\"}}"));
    s.push('\n');
    s
}

/// The JSON Schema of the report, generated from the model (the committed
/// `schemas/` file is checked against it).
#[cfg(test)]
fn schema() -> String {
    let schema = schemars::schema_for!(Report);
    let mut s = serde_json::to_string_pretty(&schema).unwrap_or_default();
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    /// The committed schema must be what the model generates: the JSON report
    /// is a public contract, so changing it shows up as a diff in review.
    /// Regenerate with `UPDATE_SCHEMA=1 cargo test --lib committed_schema`.
    #[test]
    fn committed_schema_matches_the_model() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/schemas/report.schema.json");
        let generated = super::schema();
        if std::env::var_os("UPDATE_SCHEMA").is_some() {
            std::fs::write(path, &generated).unwrap();
        }
        let committed = std::fs::read_to_string(path).unwrap_or_default();
        assert_eq!(
            committed, generated,
            "schemas/report.schema.json is stale: run UPDATE_SCHEMA=1 cargo test --lib committed_schema"
        );
    }
}
