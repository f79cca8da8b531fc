//! `readyctl settings PATH[:Class]`: what readyctl reads from a
//! pydantic-settings class — every accepted environment name with its type,
//! default, required-ness and aliases, the configuration that shaped them,
//! and what could not be read — so an operator sees what `compose_env`
//! compares against. Reading is [`crate::domain::pysettings`]'s; this file
//! only renders and prints.

use crate::cmd::out::{err, errln};
use comfy_table::{ContentArrangement, Table, presets};

use crate::cli::{SettingsArgs, SettingsFormat};
use crate::diag::{Diagnostic, Diagnostics, Location};
use crate::domain::pysettings::{self, SettingsModel};
use crate::exit;

/// Runs the command; returns the exit code.
pub(crate) fn main(args: &SettingsArgs, ecolor: bool) -> u8 {
    let (path, class) = pysettings::split_spec(&args.module);
    let model = match pysettings::read(path, class) {
        Ok(m) => m,
        Err(e) => {
            let mut d = Diagnostics::default();
            let file = e.file.display().to_string();
            if e.line > 0
                && let Ok(text) = std::fs::read_to_string(&e.file)
            {
                d.add_source(file.clone(), text);
            }
            d.push(
                Diagnostic::new("settings/unreadable", e.message.clone())
                    .at((e.line > 0).then(|| Location {
                        file: file.as_str().into(),
                        line: e.line as u32,
                        column: e.column as u32,
                    }))
                    .maybe_hint(e.hint.clone()),
            );
            let text = d.render(ecolor);
            err!("{}", text.replace("nothing was run", "no settings read"));
            if e.line == 0 {
                errln!("error: {e}");
            }
            return exit::USAGE;
        }
    };
    let out = match args.format {
        SettingsFormat::Json => serde_json::to_string_pretty(&model).unwrap_or_default() + "\n",
        SettingsFormat::Table => table(&model),
    };
    // A closed pipe (`| head`) is not an error.
    let _ = std::io::Write::write_all(&mut std::io::stdout(), out.as_bytes());
    exit::OK
}

/// The table view: one row per name, then the configuration and notes.
pub(crate) fn table(m: &SettingsModel) -> String {
    let mut t = Table::new();
    t.load_style(presets::NOTHING)
        .set_content_arrangement(ContentArrangement::Disabled)
        .set_header(["name", "type", "default", "required", "aliases"]);
    for n in &m.names {
        let mut ty = n.ty.clone().unwrap_or_else(|| n.annotation.clone());
        if let Some(f) = &n.format {
            ty = format!("{ty} ({f})");
        }
        if let Some(c) = &n.choices {
            let vals: Vec<String> = c
                .iter()
                .map(|v| {
                    v.as_str()
                        .map(str::to_string)
                        .unwrap_or_else(|| v.to_string())
                })
                .collect();
            ty = format!("one of {}", vals.join("|"));
        }
        if n.wildcard {
            ty = "any key (dict)".into();
        }
        let default = if n.secret && n.has_default {
            "(secret)".to_string()
        } else if let Some(d) = &n.default {
            d.to_string()
        } else if let Some(d) = &n.default_text {
            d.clone()
        } else {
            String::new()
        };
        t.add_row([
            if n.wildcard {
                format!("{}*", n.name)
            } else {
                n.name.clone()
            },
            ty,
            default,
            if n.required {
                "yes".into()
            } else {
                String::new()
            },
            n.aliases.join(", "),
        ]);
    }
    let c = &m.config;
    let mut s = format!(
        "{}:{}: {} — {} names (env_prefix {:?}, env_nested_delimiter {}, case_sensitive {}, extra {:?}{})\n",
        m.file.display(),
        m.line,
        m.class,
        m.names.len(),
        c.env_prefix,
        c.env_nested_delimiter
            .as_deref()
            .map(|d| format!("{d:?}"))
            .unwrap_or_else(|| "none".into()),
        c.case_sensitive,
        c.extra,
        if c.env_file.is_empty() {
            String::new()
        } else {
            format!(", env_file {}", c.env_file.join(", "))
        }
    );
    s.push_str(&t.to_string());
    s.push('\n');
    if !m.env_reads.is_empty() {
        s.push_str(&format!(
            "also read by the module itself (os.getenv/os.environ): {}\n",
            m.env_reads
                .iter()
                .map(|r| r.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    for n in &m.notes {
        s.push_str(&format!(
            "note: {}:{}: {}\n",
            n.file.display(),
            n.line,
            n.message
        ));
    }
    s
}
