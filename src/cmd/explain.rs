//! `readyctl explain KIND|CODE` and `readyctl kinds`: the kinds' own docs,
//! and one finding code's declaration.

use crate::cmd::out::{errln, out, outln};
use crate::exit;
use crate::kinds::{self, KindEntry};
use crate::report::codes::Code;

/// Runs `readyctl explain KIND` or `readyctl explain CODE` (`kind/what`).
pub(crate) fn main(topic: &str) -> u8 {
    if topic.contains('/') {
        return explain_code(topic);
    }
    match kinds::lookup(topic) {
        Some(k) => {
            out!("{}", k.full_docs());
            exit::OK
        }
        None => {
            let names: Vec<&str> = kinds::REGISTRY.iter().map(|k| k.name).collect();
            let hint = crate::diag::did_you_mean(topic, names.iter().copied())
                .map(|s| format!("did you mean `{s}`?"))
                .unwrap_or_else(|| format!("known kinds: {}", names.join(", ")));
            errln!(
                "error: unknown check kind `{topic}`\n  = help: {hint} (a finding code is `kind/what`, e.g. `compose/missing-path`)"
            );
            exit::USAGE
        }
    }
}

fn explain_code(code: &str) -> u8 {
    if let Some((c, what)) = crate::diag::CODES.iter().find(|(c, _)| *c == code) {
        outln!("{c}\n\na catalogue diagnostic (exit code 2)\n\n{what}");
        return exit::OK;
    }
    match kinds::lookup_code(code) {
        Some((kind, c)) => {
            out!("{}", describe_code(kind, c));
            exit::OK
        }
        None => {
            let known = kinds::all_codes().map(|(_, c)| c.code);
            let hint = match crate::diag::did_you_mean(code, known) {
                Some(s) => format!("did you mean `{s}`?"),
                None => match kinds::lookup(code.split('/').next().unwrap_or("")) {
                    Some(k) if !k.codes.is_empty() => format!(
                        "kind `{}` declares: {}",
                        k.name,
                        k.codes
                            .iter()
                            .map(|c| c.code)
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    Some(k) => format!("kind `{}` declares no finding codes", k.name),
                    None => "`readyctl kinds` lists the kinds; `readyctl explain KIND` their codes"
                        .to_string(),
                },
            };
            errln!("error: unknown finding code `{code}`\n  = help: {hint}");
            exit::USAGE
        }
    }
}

/// The text `explain CODE` prints: the declaration, then every line of the
/// kind's own docs that speaks of the code (a table row as its cells).
fn describe_code(kind: &KindEntry, c: &Code) -> String {
    let mut s = format!(
        "{}\n\nkind: {} · level: {}\n\n{}\n",
        c.code,
        kind.name,
        c.level.describe(),
        c.summary
    );
    let needle = format!("`{}`", c.code);
    let mut mentions: Vec<String> = Vec::new();
    // Paragraphs (a wrapped line alone says little), and table rows as
    // their cells.
    for para in kind.docs.split("\n\n") {
        if !para.contains(&needle) {
            continue;
        }
        for row in para.lines().filter(|l| l.trim_start().starts_with('|')) {
            if row.contains(&needle) {
                mentions.push(
                    row.trim()
                        .trim_matches('|')
                        .split(" | ")
                        .map(str::trim)
                        .filter(|cell| !cell.is_empty() && *cell != needle)
                        .collect::<Vec<_>>()
                        .join(" — "),
                );
            }
        }
        let prose: Vec<&str> = para
            .lines()
            .filter(|l| !l.trim_start().starts_with('|'))
            .map(|l| l.trim().trim_start_matches("- "))
            .collect();
        if prose.iter().any(|l| l.contains(&needle)) || prose.join(" ").contains(&needle) {
            mentions.push(prose.join(" "));
        }
    }
    mentions.retain(|m| m.trim() != c.summary.trim());
    if !mentions.is_empty() {
        s.push_str("\nFrom the kind's docs:\n");
        for m in mentions {
            s.push_str(&format!("  {m}\n"));
        }
    }
    s.push_str(&format!(
        "\nThe whole kind: readyctl explain {} (docs/kinds/{}.md)\n",
        kind.name, kind.name
    ));
    s
}

/// Runs `readyctl kinds`.
pub(crate) fn print_kinds() {
    let width = kinds::REGISTRY
        .iter()
        .map(|k| k.name.len())
        .max()
        .unwrap_or(0);
    for k in kinds::REGISTRY {
        outln!("{:width$}  {}", k.name, k.summary);
    }
}
