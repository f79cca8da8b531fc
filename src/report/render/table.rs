//! The terminal report for people: one line per check, grouped by the
//! catalogue's sections (a check's first tag), failures expanded with their
//! findings, then a closing block that names the failing checks by severity
//! and the one command that shows a check in full.
//!
//! Shape, at any width:
//!
//! ```text
//! infrastructure  1 failed, 1 passed
//!   FAIL    critical  scripts.api-entrypoint  scripts/docker-entrypoint.sh does not exist
//!                                             fix: Add the script and chmod +x it.
//!   PASS              scripts.check-infra     scripts/check_infra.sh exists
//!
//! failing  critical  scripts.api-entrypoint
//! details  readyctl check --only ID (or -v for every finding)
//! 21 sign-offs pending: readyctl attest ID --by NAME (approval.qa, …)
//! 1 passed, 1 failed, 21 warned in 0.06 s
//! ```
//!
//! Why it is shaped like this: a report of 60 checks must fit on a screen or
//! two, so everything but a failure takes one line, and a failure's first
//! finding (with `file:line`, expected/found) is always on the failure's own
//! line. Further findings, hints and the catalogue's remediation fill a line
//! budget ([`LINE_BUDGET`]), most severe failures first; `-v` lifts the budget
//! and `--only ID` selects so little that everything fits. Pending manual
//! sign-offs are one line, not one row each. Text wraps at spaces and never
//! splits a token, so a path stays whole and copyable; no line carries
//! trailing padding.
//!
//! This module only formats: it reads the [`Report`] it is given and nothing
//! else.

use std::fmt::Write as _;

use crate::report::{BaselineMark, CheckResult, Finding, Report, Severity, Status};

/// How the table is drawn.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TableOptions {
    /// Colour the status column and headings (ANSI SGR).
    pub color: bool,
    /// Total width to wrap to (the terminal's, or 120 in a pipe).
    pub width: u16,
    /// List passing, skipped, warned and waived checks too (false under
    /// `--quiet`: only failures and the closing block).
    pub show_passed: bool,
    /// `-v`: every finding, hint and remediation of every failure, details of
    /// passing checks, and each pending sign-off as its own row.
    pub verbose: bool,
    /// List pending manual sign-offs one row each instead of one summary line
    /// (the user asked for them, e.g. with `--only`).
    pub show_signoffs: bool,
}

impl Default for TableOptions {
    fn default() -> Self {
        TableOptions {
            color: false,
            width: 120,
            show_passed: true,
            verbose: false,
            show_signoffs: false,
        }
    }
}

/// Lines the default report aims to stay within: details of failures are
/// added, most severe first, only while the whole report fits. The check
/// lines, section headings and closing block are always printed.
pub(crate) const LINE_BUDGET: usize = 80;

/// Findings listed per check with `-v`; the JSON report has all of them.
const MAX_FINDINGS_SHOWN: usize = 20;

/// Narrowest text column worth aligning to; below it text goes on the next line.
const MIN_TEXT_WIDTH: usize = 30;

/// Widest id column; a longer id pushes its text along on that one line
/// (like `ls -l` with a long name) rather than widening every row.
const MAX_ID_W: usize = 28;

/// Below this width the text follows the id instead of a column.
const NARROW: usize = 100;

const INDENT: usize = 2;

/// Renders the report.
pub(crate) fn render(report: &Report, opts: TableOptions) -> String {
    let width = usize::from(opts.width).max(40);
    let paint = Paint(opts.color);

    // Which checks get a row, grouped by section in first-appearance order.
    let is_signoff =
        |c: &CheckResult| c.kind == "manual" && c.status == Status::Warn && !opts.show_signoffs;
    let shown = |c: &CheckResult| {
        if is_signoff(c) && !opts.verbose {
            return false;
        }
        opts.show_passed || is_failure(c.status)
    };
    let mut sections: Vec<(String, Vec<&CheckResult>)> = Vec::new();
    for c in report.checks.iter().filter(|c| shown(c)) {
        let name = c.tags.first().cloned().unwrap_or_else(|| "other".into());
        match sections.iter_mut().find(|(n, _)| *n == name) {
            Some((_, v)) => v.push(c),
            None => sections.push((name, vec![c])),
        }
    }

    let id_w = sections
        .iter()
        .flat_map(|(_, v)| v.iter().map(|c| c.id.chars().count()))
        .max()
        .unwrap_or(0);
    // As wide as the longest status label shown (4 unless ERROR, CANCEL or WAIVED appear).
    let status_w = sections
        .iter()
        .flat_map(|(_, v)| v.iter().map(|c| status_label(c.status).len()))
        .max()
        .unwrap_or(4);
    let fixed = INDENT + status_w + 2;
    // Cap the id column so the text keeps a readable width; longer ids push
    // their text to the next line.
    // Narrow terminals flow the text after the id instead of aligning a
    // column that would leave it too little room.
    let id_w = if width < NARROW { 0 } else { id_w };
    let id_w = id_w
        .min(MAX_ID_W)
        .min(width.saturating_sub(fixed + 2 + MIN_TEXT_WIDTH).max(12));
    let layout = Layout {
        width,
        status_w,
        text_col: fixed + id_w + 2,
        id_w,
    };

    // Every shown check's mandatory lines and its optional detail levels.
    let mut blocks: Vec<Vec<Block>> = sections
        .iter()
        .map(|(_, v)| {
            v.iter()
                .map(|c| Block::new(c, &layout, opts.verbose))
                .collect()
        })
        .collect();
    let closing = closing_block(report, &layout, &paint, opts);

    if opts.verbose {
        for b in blocks.iter_mut().flatten() {
            b.level = 2;
        }
    } else {
        // Fill the budget: first an advice line for every failure, then the
        // full details, most severe first (catalogue order within a severity).
        let base: usize = blocks
            .iter()
            .flatten()
            .map(|b| b.lines_at(0))
            .sum::<usize>()
            + sections
                .iter()
                .map(|(n, v)| section_heading(n, v, width).len())
                .sum::<usize>()
            + 1
            + closing.len();
        // Over the budget even at one line a check: passing rows go first
        // (each section's heading still counts them; `-v` lists them).
        let mut base = base;
        if base > LINE_BUDGET {
            for v in blocks.iter_mut() {
                v.retain(|b| {
                    let keep = b.status != Status::Pass;
                    if !keep {
                        base -= b.lines_at(0);
                    }
                    keep
                });
            }
        }
        let mut used = base;
        let mut order: Vec<(usize, usize)> = blocks
            .iter()
            .enumerate()
            .flat_map(|(s, v)| (0..v.len()).map(move |i| (s, i)))
            .filter(|&(s, i)| is_failure(blocks[s][i].status))
            .collect();
        order.sort_by_key(|&(s, i)| std::cmp::Reverse(blocks[s][i].severity));
        for level in [1, 2] {
            for &(s, i) in &order {
                let b = &mut blocks[s][i];
                let extra = b.lines_at(level).saturating_sub(b.lines_at(b.level));
                if used + extra <= LINE_BUDGET {
                    used += extra;
                    b.level = level;
                }
            }
        }
    }

    let mut out = String::new();
    // No blank line between sections: the unindented heading separates them,
    // and ten blank lines are ten findings a short report cannot show.
    for ((name, checks), blocks) in sections.iter().zip(&blocks) {
        for (i, l) in section_heading(name, checks, width).iter().enumerate() {
            if i == 0 {
                let counts = l.strip_prefix(name.as_str()).unwrap_or("");
                let _ = writeln!(out, "{}{}", paint.bold(name), paint.dim(counts));
            } else {
                let _ = writeln!(out, "{}", paint.dim(l));
            }
        }
        for b in blocks {
            for line in b.render(&paint) {
                out.push_str(line.trim_end());
                out.push('\n');
            }
        }
    }
    if !out.is_empty() {
        out.push('\n');
    }
    for line in closing {
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn is_failure(s: Status) -> bool {
    matches!(s, Status::Fail | Status::Error | Status::Cancelled)
}

struct Layout {
    width: usize,
    status_w: usize,
    text_col: usize,
    id_w: usize,
}

/// One check's row: the head (status, severity, id, one line of text) and
/// the details a level adds.
struct Block {
    status: Status,
    severity: Severity,
    id: String,
    /// Already wrapped: the head's text lines (first beside the id), with
    /// "(+N more)" when further findings exist.
    head: Vec<String>,
    /// The head without "(+N more)", for when every finding is listed.
    head_full: Vec<String>,
    /// The id overflows its column: the text starts on the next line.
    id_overflows: bool,
    /// Level 1: one advice line (remediation, else the first hint), wrapped.
    advice: Vec<String>,
    /// Level 2: every finding after the first, every hint, the remediation,
    /// waiver and metrics, wrapped.
    full: Vec<String>,
    level: u8,
    text_col: usize,
    status_w: usize,
}

impl Block {
    fn new(c: &CheckResult, layout: &Layout, verbose: bool) -> Block {
        let text_w = layout.width.saturating_sub(layout.text_col).max(20);
        let failing = is_failure(c.status) || c.status == Status::Waived;
        let mut first = match (failing || c.status == Status::Warn, c.findings.first()) {
            (true, Some(f)) => finding_head(f),
            (true, None) | (false, _) if c.status != Status::Pass => {
                let m = c.message.lines().next().unwrap_or("");
                // The status column already says SKIP.
                m.strip_prefix("skipped: ").unwrap_or(m).to_string()
            }
            _ => c.title.to_string(),
        };
        let hidden = c.findings.len().saturating_sub(1);
        let mut collapsed = first.clone();
        if failing && hidden > 0 {
            // Non-breaking: "(+4" and "more)" never land on separate lines.
            let _ = write!(collapsed, "\u{a0}(+{hidden}\u{a0}more)");
        }
        for text in [&mut first, &mut collapsed] {
            match c.baseline {
                Some(BaselineMark::Known) => text.push_str(" [known]"),
                Some(BaselineMark::New) => text.push_str(" [new]"),
                None => {}
            }
            if let Some(w) = &c.waiver {
                let verb = if w.expired {
                    "waiver expired"
                } else {
                    "waived until"
                };
                let _ = write!(text, " ({verb} {} by {})", w.expires, w.by);
            }
        }
        // An id wider than its column pushes the first line of text along;
        // when too little room is left, the text starts on the next line.
        let overflow = c.id.chars().count().saturating_sub(layout.id_w);
        let id_overflows = overflow > 0 && text_w.saturating_sub(overflow) < MIN_TEXT_WIDTH;
        let wrap_head = |t: &str| {
            if overflow > 0 && !id_overflows {
                wrap_first(t, text_w - overflow, text_w, 0)
            } else {
                wrap(t, text_w, 0)
            }
        };
        let head = wrap_head(&collapsed);
        let head_full = wrap_head(&first);

        let mut hints: Vec<&str> = Vec::new();
        for f in c.findings.iter().take(MAX_FINDINGS_SHOWN) {
            if let Some(h) = &f.hint
                && !hints.contains(&h.as_str())
            {
                hints.push(h);
            }
        }
        // What the first finding expected and saw: the first detail line.
        let mut first_detail = Vec::new();
        if let Some(f) = c.findings.first()
            && let (Some(e), Some(a)) = (&f.expected, &f.actual)
            && (failing || c.status == Status::Warn)
        {
            first_detail = wrap(&format!("expected {e}, found {a}"), text_w, 2);
        }
        let mut advice = first_detail.clone();
        if failing {
            if let Some(r) = &c.remediation {
                advice.extend(wrap(&format!("fix: {r}"), text_w, 5));
            } else if let Some(h) = hints.first() {
                advice.extend(wrap(&format!("hint: {h}"), text_w, 6));
            }
        }

        let mut full = first_detail;
        let details = failing || c.status == Status::Warn || (verbose && c.status != Status::Pass);
        if details {
            // The message adds something when the findings do not carry it.
            let mut extra_msg: Vec<&str> = c.message.lines().collect();
            if c.findings.is_empty() && !extra_msg.is_empty() {
                extra_msg.remove(0);
            } else if !c.findings.is_empty() {
                extra_msg.clear();
            }
            for m in extra_msg {
                full.extend(wrap(m, text_w, 0));
            }
            for f in c.findings.iter().skip(1).take(MAX_FINDINGS_SHOWN - 1) {
                full.extend(wrap(&format!("• {}", finding_text(f)), text_w, 2));
            }
            if c.findings.len() > MAX_FINDINGS_SHOWN {
                full.push(format!(
                    "… and {} more (see the JSON report)",
                    c.findings.len() - MAX_FINDINGS_SHOWN
                ));
            }
            for h in &hints {
                full.extend(wrap(&format!("hint: {h}"), text_w, 6));
            }
            if let Some(r) = &c.remediation {
                full.extend(wrap(&format!("fix: {r}"), text_w, 5));
            }
            if let Some(w) = &c.waiver {
                full.extend(wrap(&format!("waiver: {}", w.reason), text_w, 8));
            }
        } else if verbose {
            // Passing details: what the check saw.
            if *c.message != *c.title && !c.message.is_empty() {
                full.extend(wrap(&c.message, text_w, 0));
            }
        }
        if verbose || details {
            for (k, v) in c.metrics() {
                full.push(format!("{k} = {v}"));
            }
        }
        Block {
            status: c.status,
            severity: c.severity,
            id: c.id.to_string(),
            id_overflows,
            head,
            head_full,
            advice,
            full,
            level: 0,
            text_col: layout.text_col,
            status_w: layout.status_w,
        }
    }

    fn head_at(&self, level: u8) -> &[String] {
        if level >= 2 {
            &self.head_full
        } else {
            &self.head
        }
    }

    fn lines_at(&self, level: u8) -> usize {
        let head = self.head_at(level).len() + usize::from(self.id_overflows);
        head + match level {
            0 => 0,
            1 => self.advice.len(),
            _ => self.full.len(),
        }
    }

    fn render(&self, paint: &Paint) -> Vec<String> {
        let pad = " ".repeat(self.text_col);
        let label = status_label(self.status);
        let mut lead = format!(
            "{}{}{}  {}",
            " ".repeat(INDENT),
            paint.status(self.status, label),
            " ".repeat(self.status_w - label.len()),
            self.id,
        );
        let mut out = Vec::new();
        let id_len = self.id.chars().count();
        let mut text = self.head_at(self.level).iter();
        if self.id_overflows {
            out.push(lead);
        } else {
            let id_col = self.text_col - (INDENT + self.status_w + 2);
            lead.push_str(&" ".repeat(id_col.saturating_sub(id_len).max(2)));
            lead.push_str(text.next().map(String::as_str).unwrap_or(""));
            out.push(lead);
        }
        for l in text {
            out.push(format!("{pad}{l}"));
        }
        let extra: &[String] = match self.level {
            0 => &[],
            1 => &self.advice,
            _ => &self.full,
        };
        for l in extra {
            out.push(format!("{pad}{}", paint.dim(l)));
        }
        out
    }
}

fn status_label(s: Status) -> &'static str {
    match s {
        Status::Pass => "PASS",
        Status::Fail => "FAIL",
        Status::Warn => "WARN",
        Status::Skip => "SKIP",
        Status::Error => "ERROR",
        Status::Cancelled => "CANCEL",
        Status::Waived => "WAIVED",
    }
}

/// `file:line:col: message (expected X, found Y)`.
fn finding_text(f: &Finding) -> String {
    let mut s = finding_head(f);
    if let (Some(e), Some(a)) = (&f.expected, &f.actual) {
        let _ = write!(s, " (expected {e}, found {a})");
    }
    s
}

/// `file:line:col: message`, without repeating a location the message
/// already names ("scripts/x.sh: scripts/x.sh is not executable" reads as
/// "scripts/x.sh is not executable").
fn finding_head(f: &Finding) -> String {
    let mut s = String::new();
    if let Some(loc) = f.location() {
        let file = f.file.as_deref().unwrap_or_default();
        let names_it = match f.line {
            Some(l) => f.message.contains(&format!("{file}:{l}")),
            None => f.message.contains(file),
        };
        if !names_it {
            s.push_str(&loc);
            s.push_str(": ");
        }
    }
    s.push_str(&f.message);
    s
}

/// `infrastructure  2 failed, 3 passed`, wrapped.
fn section_heading(name: &str, checks: &[&CheckResult], width: usize) -> Vec<String> {
    wrap_first(
        &format!("{name}\u{a0}\u{a0}{}", section_counts(checks)),
        width,
        width,
        2,
    )
}

fn section_counts(checks: &[&CheckResult]) -> String {
    let mut parts = Vec::new();
    for (status, word) in [
        (Status::Fail, "failed"),
        (Status::Error, "errored"),
        (Status::Cancelled, "cancelled"),
        (Status::Warn, "warned"),
        (Status::Waived, "waived"),
        (Status::Skip, "skipped"),
        (Status::Pass, "passed"),
    ] {
        let n = checks.iter().filter(|c| c.status == status).count();
        if n > 0 {
            parts.push(format!("{n} {word}"));
        }
    }
    parts.join(", ")
}

/// The failing ids by severity, the command to see one, pending sign-offs,
/// and the summary line.
fn closing_block(
    report: &Report,
    layout: &Layout,
    paint: &Paint,
    opts: TableOptions,
) -> Vec<String> {
    let mut out = Vec::new();
    let failing: Vec<&CheckResult> = report
        .checks
        .iter()
        .filter(|c| is_failure(c.status))
        .collect();
    let label_w = "critical".len() + 2;
    let mut first = true;
    for sev in Severity::ALL.into_iter().rev() {
        let ids: Vec<&str> = failing
            .iter()
            .filter(|c| c.severity == sev)
            .map(|c| &*c.id)
            .collect();
        if ids.is_empty() {
            continue;
        }
        let lead = if first { "failing  " } else { "         " };
        first = false;
        let text_w = layout.width.saturating_sub(9 + label_w).max(20);
        let lines = wrap(&ids.join(" "), text_w, 0);
        for (i, l) in lines.iter().enumerate() {
            let (a, b) = if i == 0 {
                (lead, format!("{:<label_w$}", sev.as_str()))
            } else {
                ("         ", " ".repeat(label_w))
            };
            out.push(format!("{a}{}{l}", paint.severity(sev, &b)));
        }
    }
    if !failing.is_empty() {
        let only = if failing.len() == 1 {
            &*failing[0].id
        } else {
            "ID"
        };
        let line = format!(
            "details\u{a0}\u{a0}readyctl\u{a0}check\u{a0}--only\u{a0}{only}{}",
            if opts.verbose {
                ""
            } else {
                " (or -v for every finding)"
            }
        );
        out.extend(wrap(&line, layout.width, 9));
    }
    let pending: Vec<&str> = report
        .checks
        .iter()
        .filter(|c| c.kind == "manual" && c.status == Status::Warn)
        .map(|c| &*c.id)
        .collect();
    if !pending.is_empty() && !opts.show_signoffs && !opts.verbose {
        let noun = if pending.len() == 1 {
            "sign-off"
        } else {
            "sign-offs"
        };
        let mut line = format!(
            "{} {noun} pending: readyctl attest ID --by NAME (",
            pending.len()
        );
        // As many ids as fit on the line; the rest is an ellipsis.
        let mut listed = 0;
        for id in &pending {
            let sep = if listed == 0 { "" } else { ", " };
            if line.chars().count() + sep.len() + id.len() + 4 > layout.width {
                break;
            }
            line.push_str(sep);
            line.push_str(id);
            listed += 1;
        }
        if listed < pending.len() {
            line.push_str(if listed == 0 { "…" } else { ", …" });
        }
        line.push(')');
        out.extend(wrap(&line, layout.width, 2));
    }
    let mut summary = summary_line(report);
    let known = report
        .checks
        .iter()
        .filter(|c| c.baseline == Some(BaselineMark::Known))
        .count();
    let marked = report
        .checks
        .iter()
        .filter(|c| c.baseline.is_some())
        .count();
    if marked > 0 {
        let _ = write!(
            summary,
            "; {known} of {marked} failures known from the baseline, {} new",
            marked - known
        );
    }
    out.extend(wrap(&summary, layout.width, 0));
    out
}

/// Wraps `text` at spaces to `width` columns; continuation lines are indented
/// by `hang`. A token longer than the width stays whole on its own line:
/// paths and URLs must stay copyable.
fn wrap(text: &str, width: usize, hang: usize) -> Vec<String> {
    wrap_first(text, width, width, hang)
}

/// [`wrap`] with a different width for the very first line.
fn wrap_first(text: &str, first_width: usize, width: usize, hang: usize) -> Vec<String> {
    // Outside text (a scanned line, command output, a file name) cannot
    // paint the terminal, and a huge value cannot flood it.
    let text = crate::support::display::for_display(text);
    let mut lines: Vec<String> = Vec::new();
    for (i, para) in text.split('\n').enumerate() {
        let mut line = String::new();
        let mut len = 0usize;
        // A line break inside a value continues at the hanging indent, so it
        // can never start a line that reads as a row of its own.
        if i > 0 && hang > 0 {
            line.push_str(&" ".repeat(hang));
            len = hang;
        }
        let mut has_word = false;
        for word in para.split(' ').filter(|w| !w.is_empty()) {
            let word = &word.replace('\u{a0}', " ");
            let wl = word.chars().count();
            let w = if lines.is_empty() { first_width } else { width };
            if has_word && len + 1 + wl > w {
                lines.push(std::mem::take(&mut line));
                line.push_str(&" ".repeat(hang));
                len = hang;
            } else if has_word {
                line.push(' ');
                len += 1;
            }
            line.push_str(word);
            len += wl;
            has_word = true;
        }
        lines.push(line);
    }
    lines
}

/// ANSI styling, or none. Written by hand so `--color always` gives the same
/// colours whatever `NO_COLOR` or the terminal library think.
struct Paint(bool);

impl Paint {
    fn sgr(&self, code: &str, s: &str) -> String {
        if self.0 && !s.is_empty() {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
    fn bold(&self, s: &str) -> String {
        self.sgr("1", s)
    }
    fn dim(&self, s: &str) -> String {
        self.sgr("2", s)
    }
    fn status(&self, st: Status, s: &str) -> String {
        let code = match st {
            Status::Pass => "32",
            Status::Fail | Status::Error => "1;31",
            Status::Warn | Status::Cancelled => "33",
            Status::Skip => "90",
            Status::Waived => "36",
        };
        self.sgr(code, s)
    }
    fn severity(&self, sev: Severity, s: &str) -> String {
        match sev {
            Severity::Critical => self.sgr("1;31", s),
            Severity::High => self.sgr("31", s),
            Severity::Medium => self.sgr("33", s),
            _ => s.to_string(),
        }
    }
}

/// `41 passed, 3 failed, 1 skipped in 0.84 s`.
pub(crate) fn summary_line(report: &Report) -> String {
    let s = &report.summary;
    let mut parts = vec![format!("{} passed", s.pass), format!("{} failed", s.fail)];
    for (n, word) in [
        (s.warn, "warned"),
        (s.skip, "skipped"),
        (s.error, "errored"),
        (s.cancelled, "cancelled"),
        (s.waived, "waived"),
    ] {
        if n > 0 {
            parts.push(format!("{n} {word}"));
        }
    }
    let mut line = format!(
        "{} in {:.2} s",
        parts.join(", "),
        report.duration_ms / 1000.0
    );
    if report.interrupted {
        line.push_str(" (interrupted)");
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::render::canonical;

    fn at(width: u16) -> TableOptions {
        TableOptions {
            width,
            ..TableOptions::default()
        }
    }

    #[test]
    fn snapshot_at_120_columns() {
        insta::assert_snapshot!(render(&canonical(), at(120)));
    }

    #[test]
    fn snapshot_at_80_columns() {
        insta::assert_snapshot!(render(&canonical(), at(80)));
    }

    #[test]
    fn snapshot_quiet() {
        let opts = TableOptions {
            show_passed: false,
            ..at(120)
        };
        insta::assert_snapshot!(render(&canonical(), opts));
    }

    #[test]
    fn snapshot_verbose() {
        let opts = TableOptions {
            verbose: true,
            ..at(100)
        };
        insta::assert_snapshot!(render(&canonical(), opts));
    }

    #[test]
    fn no_line_has_trailing_spaces_or_exceeds_the_width_but_for_one_long_token() {
        for w in [40u16, 60, 80, 100, 120, 200] {
            let out = render(&canonical(), at(w));
            for l in out.lines() {
                assert_eq!(l, l.trim_end(), "trailing space at {w}: {l:?}");
                if l.chars().count() > usize::from(w) {
                    // Only a token too long for any line may overflow it.
                    assert!(
                        l.split(' ').any(|t| t.chars().count() > usize::from(w) / 2),
                        "line over {w} columns that could have wrapped: {l:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn wrap_keeps_paths_whole_and_breaks_at_spaces() {
        let lines = wrap(
            "scripts/docker-entrypoint.sh does not exist in frontend/apps/base-app/app/dashboard/page.tsx",
            20,
            2,
        );
        assert_eq!(
            lines,
            vec![
                "scripts/docker-entrypoint.sh",
                "  does not exist in",
                "  frontend/apps/base-app/app/dashboard/page.tsx"
            ]
        );
    }

    #[test]
    fn a_location_the_message_already_names_is_not_repeated() {
        let f = Finding::new("scripts/x.sh is not executable").at_file("scripts/x.sh");
        assert_eq!(finding_text(&f), "scripts/x.sh is not executable");
        let f = Finding::new("Dockerfile:9 runs x").at("Dockerfile", 9, 1);
        assert_eq!(finding_text(&f), "Dockerfile:9 runs x");
        let f = Finding::new("SECRET_KEY is weak").at(".env", 3, 1);
        assert_eq!(finding_text(&f), ".env:3:1: SECRET_KEY is weak");
    }

    #[test]
    fn color_always_paints_statuses_in_colour_not_only_bold() {
        let opts = TableOptions {
            color: true,
            ..at(120)
        };
        let out = render(&canonical(), opts);
        assert!(out.contains("\x1b[1;31mFAIL\x1b[0m"), "{out}");
        assert!(out.contains("\x1b[32mPASS\x1b[0m"), "{out}");
        let plain = render(&canonical(), at(120));
        assert!(!plain.contains('\x1b'));
    }

    #[test]
    fn closing_block_lists_failing_ids_by_severity_and_how_to_see_one() {
        let out = render(&canonical(), at(120));
        let tail: Vec<&str> = out.lines().rev().take(4).collect();
        assert!(
            tail.iter().any(|l| l.contains("readyctl check --only ID")),
            "{out}"
        );
        let failing = out
            .lines()
            .find(|l| l.starts_with("failing"))
            .expect("a failing line");
        assert!(
            failing.contains("critical") && failing.contains("env.values"),
            "{failing}"
        );
    }

    #[test]
    fn pending_signoffs_are_one_line_unless_asked() {
        let mut r = canonical();
        for i in 0..21 {
            let mut c = r.checks[0].clone();
            c.id = format!("approval.person-{i:02}").into();
            c.kind = "manual".into();
            c.status = Status::Warn;
            c.tags = vec!["approval".into()];
            c.message = "needs sign-off".into();
            r.checks.push(c);
        }
        r.summary = crate::report::Summary::of(&r.checks);
        let out = render(&r, at(120));
        assert_eq!(
            out.matches("approval.person-").count(),
            out.lines()
                .filter(|l| l.starts_with("21 sign-offs pending: readyctl attest ID --by NAME"))
                .map(|l| l.matches("approval.person-").count())
                .sum::<usize>()
        );
        assert!(
            out.contains("21 sign-offs pending: readyctl attest ID --by NAME"),
            "{out}"
        );
        let asked = render(
            &r,
            TableOptions {
                show_signoffs: true,
                ..at(120)
            },
        );
        assert_eq!(
            asked
                .lines()
                .filter(|l| l.contains("WARN") && l.contains("approval.person-"))
                .count(),
            21
        );
    }

    #[test]
    fn baseline_summary_says_how_many_failures_are_known() {
        let out = render(&canonical(), at(120));
        assert!(
            out.contains("1 of 2 failures known from the baseline, 1 new"),
            "{out}"
        );
    }
}
