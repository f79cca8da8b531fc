//! Waivers: a file in the deployment that accepts known failures for a while.
//!
//! ```yaml
//! version: 1
//! waivers:
//!   - check: redis.persistence
//!     reason: AOF is enabled in the next maintenance window (OPS-123)
//!     by: ops@example.com
//!     expires: 2026-12-31
//! ```
//!
//! A waiver turns a `fail` of the check it names into `waived` (shown, not
//! failing the run) through its `expires` day inclusive. From the next day on
//! the check fails again, with a message saying the waiver expired. A waiver
//! naming a check the catalogue does not have is a catalogue error (exit 2),
//! located at the name. "Today" is the local date, or `READYCTL_TODAY`
//! (`YYYY-MM-DD`) when set — for tests and for rehearsing a future date.
//!
//! Loading returns [`Diagnostics`]; applying is a pure function of a report.

use std::path::Path;

use jiff::civil::Date;
use marked_yaml::{LoaderOptions, Node};
use serde::Deserialize;

use crate::diag::{Diagnostic, Diagnostics, Location, did_you_mean};
use crate::report::{Report, Status, Summary, WaiverNote};

/// The default waiver file name, looked up under `--root`.
pub(crate) const DEFAULT_FILE: &str = "readyctl-waivers.yml";

/// Environment variable that overrides today's date (`YYYY-MM-DD`).
pub(crate) const TODAY_VAR: &str = "READYCTL_TODAY";

/// One waiver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Waiver {
    /// The check id it covers.
    pub check: String,
    /// Why the failure is accepted.
    pub reason: String,
    /// Who accepted it.
    pub by: String,
    /// Last day it holds.
    pub expires: Date,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWaiver {
    check: String,
    reason: String,
    by: String,
    expires: String,
}

/// Today's date: `READYCTL_TODAY` when set, else the local calendar date.
pub(crate) fn today() -> Result<Date, String> {
    match std::env::var(TODAY_VAR) {
        Ok(v) if !v.trim().is_empty() => v
            .trim()
            .parse::<Date>()
            .map_err(|e| format!("{TODAY_VAR}={v} is not a date (write YYYY-MM-DD): {e}")),
        _ => Ok(local_today()),
    }
}

/// The local calendar date. Without `TZ`, from `/etc/localtime` read as an
/// unnamed zone: jiff's own `now()` first maps the symlink to an IANA name
/// and looks it up in a database that lists all of `/usr/share/zoneinfo`
/// (3.3M instructions, 3.6% of the bundled files-only run), and the date
/// does not need the name. `TZ` set, or no readable `/etc/localtime`: jiff.
fn local_today() -> Date {
    if std::env::var_os("TZ").is_none()
        && let Some(date) = today_in_tzif(Path::new("/etc/localtime"))
    {
        return date;
    }
    jiff::ZonedDateTime::now().date()
}

/// Today's date in the zone a TZif file describes; `None` when it cannot
/// be read as one.
fn today_in_tzif(path: &Path) -> Option<Date> {
    let bytes =
        crate::support::fs::read_sync(path, crate::support::fs::Limit::regular(1024 * 1024))
            .ok()?;
    let zone = jiff::tz::TimeZone::tzif("localtime", &bytes).ok()?;
    Some(jiff::Timestamp::now().to_zoned_datetime(zone).date())
}

/// Largest waiver file read.
pub(crate) const MAX_WAIVER_BYTES: u64 = 4 * 1024 * 1024;

/// Loads and validates a waiver file against the catalogue's check ids.
/// With `strict`, a waiver naming a check the catalogue lacks is an error;
/// without (the implicit `readyctl-waivers.yml` of a deployment that several
/// catalogues may check), such waivers are kept and simply match nothing.
pub(crate) fn load(
    path: &Path,
    check_ids: &[&str],
    strict: bool,
) -> Result<Vec<Waiver>, Diagnostics> {
    let name = path.display().to_string();
    let mut diags = Diagnostics::default();
    let limit = crate::support::fs::Limit::regular(MAX_WAIVER_BYTES);
    let text = match crate::support::fs::read_text_sync(path, limit) {
        Ok(t) => t,
        Err(e) => {
            diags.push(
                Diagnostic::new("waivers/io", format!("cannot read waiver file {name}: {e}"))
                    .hint("pass --waivers PATH, or put readyctl-waivers.yml under --root"),
            );
            return Err(diags);
        }
    };
    diags.add_source(name.clone(), text.clone());
    let out = parse(&name, &text, check_ids, strict, &mut diags);
    if diags.is_empty() {
        Ok(out)
    } else {
        Err(diags)
    }
}

fn loc(file: &str, node: &Node) -> Option<Location> {
    node.span().start().map(|m| Location {
        file: crate::diag::shared_name(file),
        line: m.line() as u32,
        column: m.column() as u32,
    })
}

fn parse(
    file: &str,
    text: &str,
    ids: &[&str],
    strict: bool,
    diags: &mut Diagnostics,
) -> Vec<Waiver> {
    let root = match marked_yaml::parse_yaml_with_options(
        0,
        text,
        LoaderOptions::default().error_on_duplicate_keys(true),
    ) {
        Ok(n) => n,
        Err(e) => {
            diags.push(Diagnostic::new(
                "waivers/shape",
                format!("{file}: invalid YAML: {e}"),
            ));
            return Vec::new();
        }
    };
    let Some(list) = root
        .as_mapping()
        .and_then(|m| m.get_node("waivers"))
        .and_then(Node::as_sequence)
    else {
        diags.push(
            Diagnostic::new("waivers/shape", "a waiver file needs a `waivers:` list")
                .at(loc(file, &root))
                .hint("write `waivers:` then entries with check, reason, by, expires"),
        );
        return Vec::new();
    };
    let mut out = Vec::new();
    for item in list.iter() {
        let raw: RawWaiver = match marked_yaml::from_node(item) {
            Ok(r) => r,
            Err(e) => {
                diags.push(
                    Diagnostic::new("waivers/shape", format!("invalid waiver: {e}"))
                        .at(loc(file, item))
                        .hint("each waiver has exactly: check, reason, by, expires (YYYY-MM-DD)"),
                );
                continue;
            }
        };
        let map = item.as_mapping();
        let field = |k: &str| map.and_then(|m| m.get_node(k)).and_then(|n| loc(file, n));
        if strict && !ids.contains(&raw.check.as_str()) {
            diags.push(
                Diagnostic::new(
                    "waivers/unknown-check",
                    format!("waiver names unknown check `{}`", raw.check),
                )
                .at(field("check"))
                .label("no such check in the catalogue")
                .hint(
                    did_you_mean(&raw.check, ids.iter().copied())
                        .map(|s| format!("did you mean `{s}`?"))
                        .unwrap_or_else(|| "`readyctl list` shows the check ids".into()),
                ),
            );
        }
        for (k, v) in [("reason", &raw.reason), ("by", &raw.by)] {
            if v.trim().is_empty() {
                diags.push(
                    Diagnostic::new("waivers/shape", format!("waiver `{k}` is empty"))
                        .at(field(k))
                        .hint("a waiver says why and who accepted the failure"),
                );
            }
        }
        let expires = match raw.expires.trim().parse::<Date>() {
            Ok(d) => d,
            Err(_) => {
                diags.push(
                    Diagnostic::new(
                        "waivers/shape",
                        format!("`expires` must be a date, got `{}`", raw.expires),
                    )
                    .at(field("expires"))
                    .hint("write YYYY-MM-DD, e.g. 2026-12-31 (the last day the waiver holds)"),
                );
                continue;
            }
        };
        out.push(Waiver {
            check: raw.check,
            reason: raw.reason,
            by: raw.by,
            expires,
        });
    }
    out
}

/// Applies waivers to `report` as of `today`; recounts the summary.
pub(crate) fn apply(report: &mut Report, waivers: &[Waiver], today: Date) {
    for c in &mut report.checks {
        let Some(w) = waivers.iter().find(|w| *w.check == *c.id) else {
            continue;
        };
        let expired = today > w.expires;
        let note = WaiverNote {
            reason: w.reason.clone(),
            by: w.by.clone(),
            expires: w.expires.to_string(),
            expired,
        };
        match c.status {
            Status::Fail if !expired => {
                c.status = Status::Waived;
                c.waiver = Some(Box::new(note));
            }
            Status::Fail => {
                c.message = format!(
                    "waiver expired on {} (by {}: {}); still failing: {}",
                    w.expires, w.by, w.reason, c.message
                );
                c.waiver = Some(Box::new(note));
            }
            _ => {}
        }
    }
    report.summary = Summary::of(&report.checks);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::render::canonical;

    const FILE: &str = "waivers:\n  - check: net.api\n    reason: legacy port\n    by: ops\n    expires: 2026-06-30\n";

    #[test]
    fn waives_until_expiry_inclusive_then_fails_with_its_own_message() {
        let mut d = Diagnostics::default();
        let w = parse("w.yml", FILE, &["net.api"], true, &mut d);
        assert!(d.is_empty());
        let mut r = canonical();
        apply(&mut r, &w, "2026-06-30".parse().unwrap());
        let c = r.checks.iter().find(|c| &*c.id == "net.api").unwrap();
        assert_eq!(c.status, Status::Waived);
        assert_eq!(r.summary.waived, 2);

        let mut r = canonical();
        apply(&mut r, &w, "2026-07-01".parse().unwrap());
        let c = r.checks.iter().find(|c| &*c.id == "net.api").unwrap();
        assert_eq!(c.status, Status::Fail);
        assert!(
            c.message.starts_with("waiver expired on 2026-06-30"),
            "{}",
            c.message
        );
        assert!(c.waiver.as_ref().unwrap().expired);
    }

    #[test]
    fn unknown_check_is_located_with_a_suggestion() {
        let mut d = Diagnostics::default();
        parse("w.yml", FILE, &["net.apis"], true, &mut d);
        let out = d.render_plain();
        assert!(
            out.contains("w.yml:2:12: error[waivers/unknown-check]"),
            "{out}"
        );
        assert!(out.contains("did you mean `net.apis`?"), "{out}");
    }

    #[test]
    fn an_implicit_waiver_file_may_name_checks_of_other_catalogues() {
        let mut d = Diagnostics::default();
        let w = parse("w.yml", FILE, &["other.check"], false, &mut d);
        assert!(d.is_empty(), "{}", d.render_plain());
        assert_eq!(w.len(), 1);
    }

    #[test]
    fn bad_date_and_unknown_field_are_reported() {
        let mut d = Diagnostics::default();
        parse(
            "w.yml",
            "waivers:\n  - {check: a, reason: r, by: b, expires: soon}\n  - {check: a, reason: r, by: b, expires: 2026-01-01, x: 1}\n",
            &["a"],
            true,
            &mut d,
        );
        assert_eq!(d.items.len(), 2, "{}", d.render_plain());
    }

    #[test]
    fn a_zone_file_read_without_its_name_gives_jiffs_date() {
        // Zones 25 hours apart: at any hour at least one differs from UTC's
        // date, so a reader that ignored the file would be caught.
        let mut checked = 0;
        for name in ["Pacific/Kiritimati", "Pacific/Pago_Pago", "Asia/Kolkata"] {
            let file = Path::new("/usr/share/zoneinfo").join(name);
            if !file.exists() {
                continue;
            }
            checked += 1;
            let agree = (0..3).any(|_| {
                let named = jiff::Timestamp::now()
                    .to_zoned_datetime(jiff::tz::TimeZone::get(name).unwrap())
                    .date();
                today_in_tzif(&file) == Some(named)
            });
            assert!(agree, "{name}");
        }
        assert!(
            checked > 0,
            "no zone files under /usr/share/zoneinfo (tzdata)"
        );
        assert_eq!(today_in_tzif(Path::new("/nonexistent/localtime")), None);
    }
}
