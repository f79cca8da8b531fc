//! `readyctl attest ID --by NAME [--note TEXT]`: records a sign-off for a
//! `manual` check in the attestation file that check reads, so nobody has to
//! hand-edit YAML.
//!
//! The entry is appended as one flow-style line
//! (`- {item: ID, who: NAME, when: YYYY-MM-DD, note: TEXT}`) so the file's
//! comments and existing entries stay byte for byte; the `manual` kind takes
//! the last entry for an item, so signing again supersedes an older sign-off.
//! This module decides nothing about exit codes beyond returning an error
//! message; the app prints it.

use std::path::{Path, PathBuf};

use crate::catalogue::{Catalogue, CheckDef};
use crate::cmd::out::{errln, outln};
use crate::cmd::session::load_or_report;
use crate::exit;
use crate::kinds::manual::DEFAULT_ATTESTATIONS;
use crate::report::waivers;

/// What was written, for the confirmation line.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Written {
    /// The attestation file (as shown to the user).
    pub file: PathBuf,
    /// The item key signed.
    pub item: String,
    /// The date recorded (`YYYY-MM-DD`, UTC).
    pub when: String,
}

/// Signs `id` in its attestation file under `root`.
pub(crate) fn attest(
    cat: &Catalogue,
    root: &Path,
    id: &str,
    by: &str,
    note: Option<&str>,
    today: jiff::civil::Date,
) -> Result<Written, String> {
    let by = by.trim();
    if by.is_empty() {
        return Err("--by must name the person signing off".into());
    }
    let def = find(cat, id)?;
    let (item, file) = manual_fields(def);
    let item = item.unwrap_or_else(|| def.id.to_string());
    let rel = file.unwrap_or_else(|| PathBuf::from(DEFAULT_ATTESTATIONS));
    let path = root.join(&rel);
    let when = today.to_string();
    let mut entry = format!("{{item: {}, who: {}, when: {when}", quote(&item), quote(by));
    if let Some(n) = note.map(str::trim).filter(|n| !n.is_empty()) {
        entry.push_str(&format!(", note: {}", quote(n)));
    }
    entry.push('}');

    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(format!("cannot read {}: {e}", rel.display())),
    };
    let new = append_entry(&text, &entry).map_err(|why| format!("{}: {why}", rel.display()))?;
    // What we write must read back as the manual kind reads it.
    marked_yaml::parse_yaml(0, &new).map_err(|e| {
        format!(
            "{} would not be valid YAML after the edit: {e}",
            rel.display()
        )
    })?;
    if let Some(dir) = path.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    std::fs::write(&path, new).map_err(|e| format!("cannot write {}: {e}", rel.display()))?;
    Ok(Written {
        file: rel,
        item,
        when,
    })
}

fn find<'a>(cat: &'a Catalogue, id: &str) -> Result<&'a CheckDef, String> {
    let manual: Vec<&CheckDef> = cat.checks.iter().filter(|c| c.kind == "manual").collect();
    match cat.checks.iter().find(|c| *c.id == *id) {
        Some(c) if c.kind == "manual" => Ok(c),
        Some(c) => Err(format!(
            "`{id}` is a `{}` check; only `manual` checks are signed off",
            c.kind
        )),
        None => {
            let near = manual
                .iter()
                .map(|c| (strsim::levenshtein(&c.id, id), &*c.id))
                .min();
            let hint = match near {
                Some((d, s)) if d <= 3 => format!("did you mean `{s}`?"),
                _ if manual.is_empty() => "the catalogue has no `manual` checks".into(),
                _ => format!(
                    "manual checks: {}",
                    manual.iter().map(|c| &*c.id).collect::<Vec<_>>().join(", ")
                ),
            };
            Err(format!(
                "no check `{id}` in the catalogue\n  = help: {hint}"
            ))
        }
    }
}

/// The check's `item` and `attestations` fields, read again from its
/// definition in the catalogue file (the loaded check is opaque).
fn manual_fields(def: &CheckDef) -> (Option<String>, Option<PathBuf>) {
    let Ok(text) = std::fs::read_to_string(&*def.location.file) else {
        return (None, None);
    };
    let Ok(doc) = marked_yaml::parse_yaml(0, &text) else {
        return (None, None);
    };
    let Some(checks) = doc.as_mapping().and_then(|m| m.get_sequence("checks")) else {
        return (None, None);
    };
    for c in checks.iter() {
        let Some(m) = c.as_mapping() else { continue };
        if m.get_scalar("id").map(|s| s.as_str()) != Some(&*def.id) {
            continue;
        }
        let item = m.get_scalar("item").map(|s| s.as_str().to_string());
        let file = m
            .get_scalar("attestations")
            .map(|s| PathBuf::from(s.as_str()));
        return (item, file);
    }
    (None, None)
}

/// A YAML double-quoted scalar (JSON string syntax is valid YAML).
fn quote(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

/// Appends `entry` to the `sign_offs` list of `text`, keeping everything else.
fn append_entry(text: &str, entry: &str) -> Result<String, String> {
    if text.trim().is_empty() {
        return Ok(format!(
            "# Sign-offs for checklist lines no machine can decide (read by `manual` checks).\nsign_offs:\n  - {entry}\n"
        ));
    }
    let lines: Vec<&str> = text.lines().collect();
    let top =
        |l: &&str| !l.is_empty() && !l.starts_with([' ', '\t', '#', '-']) && !l.starts_with("...");
    let keys: Vec<(usize, &str)> = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| top(l))
        .map(|(i, l)| (i, *l))
        .collect();
    let mut out = text.to_string();
    if !out.ends_with('\n') {
        out.push('\n');
    }
    let Some(&(at, key)) = keys.iter().find(|(_, l)| l.starts_with("sign_offs:")) else {
        out.push_str(&format!("sign_offs:\n  - {entry}\n"));
        return Ok(out);
    };
    let rest = key["sign_offs:".len()..].trim();
    if !(rest.is_empty() || rest.starts_with('#') || rest == "[]") {
        return Err(
            "`sign_offs:` is written inline; write it as a block list (`- {…}` lines) to let `readyctl attest` append"
                .into(),
        );
    }
    if keys.last().map(|k| k.0) != Some(at) {
        return Err(
            "`sign_offs:` is not the last key of the file; move it to the end so new entries can be appended"
                .into(),
        );
    }
    // Indent like the existing entries.
    let indent = lines[at + 1..]
        .iter()
        .find(|l| l.trim_start().starts_with('-'))
        .map(|l| &l[..l.len() - l.trim_start().len()])
        .unwrap_or("  ");
    if rest == "[]" {
        out = out.replacen(key, "sign_offs:", 1);
    }
    out.push_str(&format!("{indent}- {entry}\n"));
    Ok(out)
}

/// Runs `readyctl attest`.
pub(crate) fn main(args: &crate::cli::AttestArgs, ecolor: bool) -> u8 {
    let cat = match load_or_report(&args.catalogue, ecolor) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let today = match waivers::today() {
        Ok(t) => t,
        Err(e) => {
            errln!("error: {e}");
            return exit::USAGE;
        }
    };
    match attest(
        &cat,
        &args.catalogue.root,
        &args.id,
        &args.by,
        args.note.as_deref(),
        today,
    ) {
        Ok(w) => {
            outln!(
                "signed `{}` by {} on {} in {}",
                w.item,
                args.by.trim(),
                w.when,
                w.file.display()
            );
            exit::OK
        }
        Err(e) => {
            errln!("error: {e}");
            exit::USAGE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appends_to_a_block_list_keeping_comments_and_indentation() {
        let text = "# ours\nsign_offs:\n    - {item: a, who: X, when: 2026-01-01}  # kept\n";
        let out = append_entry(text, "{item: b}").unwrap();
        assert_eq!(
            out,
            "# ours\nsign_offs:\n    - {item: a, who: X, when: 2026-01-01}  # kept\n    - {item: b}\n"
        );
    }

    #[test]
    fn creates_the_list_in_an_empty_or_listless_file() {
        assert!(
            append_entry("", "{item: b}")
                .unwrap()
                .ends_with("sign_offs:\n  - {item: b}\n")
        );
        assert_eq!(
            append_entry("other: 1", "{item: b}").unwrap(),
            "other: 1\nsign_offs:\n  - {item: b}\n"
        );
        assert_eq!(
            append_entry("sign_offs: []\n", "{item: b}").unwrap(),
            "sign_offs:\n  - {item: b}\n"
        );
    }

    #[test]
    fn refuses_edits_it_cannot_make_without_rewriting_the_file() {
        assert!(append_entry("sign_offs: [{item: a}]\n", "{item: b}").is_err());
        assert!(append_entry("sign_offs:\n  - {item: a}\nlater: 1\n", "{item: b}").is_err());
    }

    #[test]
    fn quotes_names_and_notes_that_yaml_would_misread() {
        assert_eq!(quote("Jane: \"ok\", #1"), r#""Jane: \"ok\", #1""#);
    }
}
