//! Finding codes: the one contract between a kind, its docs, waivers and the
//! CI formats.
//!
//! Every kind declares the codes its findings carry as a `const CODES:
//! &[Code]` ([`crate::kinds::CheckKind::CODES`]); the registry exposes them,
//! `readyctl explain CODE` prints one, the kind's docs get their
//! "Finding codes" table generated from them, and the SARIF renderer takes
//! its rule help from them. Tests prove that codes are unique, that every
//! code a kind's source emits is declared and that every declared code is
//! emitted somewhere; the runner refuses (in debug builds) a finding whose
//! code its kind does not declare.
//!
//! The type lives in the report model, the lowest layer, so both the kinds
//! (which declare) and the renderers (which read) can name it.

use super::Severity;

/// Looks a declared code up (the command layer passes the kind registry's
/// lookup to renderers, which may not import the kinds themselves).
pub type CodeLookup = fn(&str) -> Option<&'static Code>;

/// What a finding with a code does to its check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// Fails the check, at the check's own severity.
    Fail,
    /// Fails the check at this severity, whatever the catalogue says (kinds
    /// that grade their findings: a compose rule that stops the deploy is
    /// `critical`, one that weakens it lower).
    Graded(Severity),
    /// Reported; a check whose findings are all warnings ends in `warn`.
    Warn,
    /// Reported, never fails the check.
    Info,
}

impl Level {
    /// A graded level; `info` stays [`Level::Info`] (it never fails).
    pub const fn graded(severity: Severity) -> Level {
        match severity {
            Severity::Info => Level::Info,
            s => Level::Graded(s),
        }
    }

    /// How the level reads in docs and `explain`.
    pub fn describe(self) -> String {
        match self {
            Level::Fail => "fail".to_string(),
            Level::Graded(s) => s.as_str().to_string(),
            Level::Warn => "warn".to_string(),
            Level::Info => "info".to_string(),
        }
    }
}

/// One finding code a kind declares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Code {
    /// Stable code, `kind/what` (e.g. `compose/missing-path`); published
    /// codes never change.
    pub code: &'static str,
    /// What a finding with this code does to its check.
    pub level: Level,
    /// What it means, one or two sentences (Markdown).
    pub summary: &'static str,
}

impl Code {
    /// A code that fails its check at the check's severity.
    pub const fn fail(code: &'static str, summary: &'static str) -> Code {
        Code {
            code,
            level: Level::Fail,
            summary,
        }
    }

    /// A code that only warns.
    pub const fn warn(code: &'static str, summary: &'static str) -> Code {
        Code {
            code,
            level: Level::Warn,
            summary,
        }
    }

    /// A code that never fails.
    pub const fn info(code: &'static str, summary: &'static str) -> Code {
        Code {
            code,
            level: Level::Info,
            summary,
        }
    }

    /// The kind a code belongs to: the part before the `/`.
    pub fn kind(&self) -> &'static str {
        self.code.split('/').next().unwrap_or(self.code)
    }
}

/// The "Finding codes" table of a kind's docs, generated from its
/// declarations (Markdown; empty when the kind declares none).
pub fn table(codes: &[Code]) -> String {
    if codes.is_empty() {
        return String::new();
    }
    let mut out = String::from(
        "Generated from the kind's declarations; `readyctl explain CODE` prints one.\n\n| code | level | meaning |\n|---|---|---|\n",
    );
    for c in codes {
        out.push_str(&format!(
            "| `{}` | {} | {} |\n",
            c.code,
            c.level.describe(),
            c.summary.replace('|', "\\|").replace('\n', " ")
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn graded_info_never_fails_and_the_table_lists_every_code() {
        assert_eq!(Level::graded(Severity::Info), Level::Info);
        assert_eq!(Level::graded(Severity::High), Level::Graded(Severity::High));
        let codes = [
            Code::fail("x/a", "a | b"),
            Code::warn("x/b", "warned"),
            Code::info("x/c", "noted"),
        ];
        let t = table(&codes);
        assert!(t.contains("| `x/a` | fail | a \\| b |"));
        assert!(t.contains("| `x/b` | warn | warned |"));
        assert!(t.contains("| `x/c` | info | noted |"));
        assert_eq!(codes[0].kind(), "x");
        assert!(table(&[]).is_empty());
    }
}
