//! `readyctl list`: the catalogue's checks, a line each (or JSON).

use crate::cli::{Format, ListArgs};
use crate::cmd::out::{err, outln};
use crate::cmd::session::{load_or_report, matching};
use crate::exit;

/// Runs `readyctl list`.
pub(crate) fn main(args: &ListArgs, ecolor: bool) -> u8 {
    let cat = match load_or_report(&args.catalogue, ecolor) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let selected = match matching(&cat, &args.filter) {
        Ok(s) => s,
        Err(d) => {
            err!("{}", d.render_plain());
            return exit::USAGE;
        }
    };
    let chosen: Vec<_> = cat
        .checks
        .iter()
        .zip(&selected)
        .filter(|(_, s)| **s)
        .map(|(c, _)| c)
        .collect();
    match args.format {
        Format::Json => {
            let rows: Vec<_> = chosen
                .iter()
                .map(|c| {
                    serde_json::json!({
                        "id": &*c.id, "kind": c.kind, "severity": c.severity, "tags": c.tags,
                        "title": &*c.title, "depends_on": c.depends_on,
                    })
                })
                .collect();
            outln!(
                "{}",
                serde_json::to_string_pretty(&rows).unwrap_or_default()
            );
        }
        Format::Table | Format::Github => {
            let mut t = comfy_table::Table::new();
            // Plain aligned columns, one check per line: greppable, and titles never wrap.
            t.load_style(comfy_table::presets::NOTHING)
                .set_content_arrangement(comfy_table::ContentArrangement::Disabled)
                .force_no_tty()
                .set_header(vec!["ID", "KIND", "SEVERITY", "TAGS", "TITLE"]);
            for c in &chosen {
                t.add_row(vec![
                    c.id.to_string(),
                    c.kind.to_string(),
                    c.severity.as_str().to_string(),
                    c.tags.join(", "),
                    c.title.to_string(),
                ]);
            }
            for line in t.lines() {
                outln!("{}", line.trim_end());
            }
            outln!("{} checks", chosen.len());
        }
    }
    exit::OK
}
