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

/// [`render`]'s bytes written to `w` as they are made, check by check in
/// report order, instead of one string: the whole text of 100,000 results
/// is ~40 MB (64 MB of buffer) held only to be copied out. A failed write
/// (a closed pipe) stops it with that error.
pub(crate) fn write(report: &Report, w: &mut impl std::io::Write) -> std::io::Result<()> {
    let mut ser = serde_json::Serializer::pretty(&mut *w);
    serde::Serialize::serialize(report, &mut ser).map_err(|e| {
        if e.is_io() {
            std::io::Error::from(e)
        } else {
            std::io::Error::other(e)
        }
    })?;
    w.write_all(b"\n")
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
    /// Written as it is made, the report is byte for byte what [`render`]
    /// returns (the JSON contract does not depend on how it is output).
    #[test]
    fn written_report_is_the_rendered_one() {
        let cat = crate::catalogue::load_str(
            "c.yml",
            "version: 1\nchecks:\n  - {id: a, kind: file, path: nope, title: \"A \\\"quoted\\\" title\"}\n  - {id: b, kind: file, path: ., type: dir, tags: [x]}\n",
        )
        .unwrap();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let (_tx, rx) = tokio::sync::watch::channel(false);
        let (report, _) = rt.block_on(crate::runner::run(
            &cat,
            &crate::runner::RunOptions::default(),
            std::sync::Arc::default(),
            rx,
            |_| {},
        ));
        assert_eq!(report.checks.len(), 2);
        let mut out = Vec::new();
        super::write(&report, &mut out).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), super::render(&report));
    }

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
