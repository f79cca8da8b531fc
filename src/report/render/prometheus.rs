//! Prometheus text exposition format (version 0.0.4), as the node-exporter
//! textfile collector reads it: one gauge per check with `id`, `kind` and
//! `severity` labels, the status counts and the run's duration and time.
//! Checked in tests with `promtool check metrics` when it is installed and a
//! grammar test always.

use crate::report::{Report, Status};

/// Renders the metrics.
pub(crate) fn render(report: &Report) -> String {
    let mut out = String::new();
    out.push_str(
        "# HELP readyctl_check_success Whether the check passed (1: pass, warn or waived; 0: anything else).\n\
         # TYPE readyctl_check_success gauge\n",
    );
    for c in &report.checks {
        let ok = matches!(c.status, Status::Pass | Status::Warn | Status::Waived);
        out.push_str(&format!(
            "readyctl_check_success{{id=\"{}\",kind=\"{}\",severity=\"{}\",status=\"{}\"}} {}\n",
            label(&c.id),
            label(&c.kind),
            c.severity.as_str(),
            c.status.as_str(),
            u8::from(ok)
        ));
    }
    out.push_str(
        "# HELP readyctl_check_duration_seconds How long the check took.\n\
         # TYPE readyctl_check_duration_seconds gauge\n",
    );
    for c in &report.checks {
        out.push_str(&format!(
            "readyctl_check_duration_seconds{{id=\"{}\",kind=\"{}\",severity=\"{}\"}} {}\n",
            label(&c.id),
            label(&c.kind),
            c.severity.as_str(),
            num(c.duration_ms / 1000.0)
        ));
    }
    out.push_str(
        "# HELP readyctl_checks Number of checks by status in the last run.\n\
         # TYPE readyctl_checks gauge\n",
    );
    for st in Status::ALL {
        out.push_str(&format!(
            "readyctl_checks{{status=\"{}\"}} {}\n",
            st.as_str(),
            report.summary.count(st)
        ));
    }
    out.push_str(&format!(
        "# HELP readyctl_run_duration_seconds Wall time of the last run.\n\
         # TYPE readyctl_run_duration_seconds gauge\n\
         readyctl_run_duration_seconds {}\n",
        num(report.duration_ms / 1000.0)
    ));
    if let Ok(ts) = report.started_at.parse::<jiff::Timestamp>() {
        out.push_str(&format!(
            "# HELP readyctl_run_timestamp_seconds When the last run started (Unix time).\n\
             # TYPE readyctl_run_timestamp_seconds gauge\n\
             readyctl_run_timestamp_seconds {}\n",
            ts.as_second()
        ));
    }
    out
}

/// Escapes a label value: backslash, double quote and line feed.
fn label(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn num(v: f64) -> String {
    if v.is_finite() {
        format!("{v}")
    } else {
        "NaN".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshot() {
        insta::assert_snapshot!(render(&crate::report::render::canonical()));
    }

    #[test]
    fn escapes_label_values() {
        assert_eq!(label("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
