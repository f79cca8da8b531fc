//! `readyctl man [--dir DIR]`: man pages generated from the clap definition,
//! one per subcommand (`readyctl-check(1)`, …) plus `readyctl(1)`, each with
//! EXIT STATUS and ENVIRONMENT sections that clap does not know about.
//!
//! Install: `readyctl man --dir /usr/local/share/man/man1` (then `man
//! readyctl-check`). Without `--dir` the top-level page goes to stdout.

use std::path::Path;

use clap::CommandFactory;

use crate::cli::Cli;

/// Exit codes, as documented in [`crate::exit`].
const EXIT_STATUS: &str = r#".SH "EXIT STATUS"
.TP
\fB0\fR
no check failed at or above \-\-fail\-on
.TP
\fB1\fR
at least one check failed at or above \-\-fail\-on
.TP
\fB2\fR
usage error, or the catalogue (or a file it names) is invalid; nothing ran
.TP
\fB3\fR
nothing failed, but at least one check could not be evaluated
.TP
\fB130\fR
interrupted (Ctrl\-C, SIGTERM) or \-\-deadline passed; the partial report was still written
"#;

const ENVIRONMENT: &str = r#".SH ENVIRONMENT
.TP
\fBNO_COLOR\fR
when set and not empty, \-\-color auto does not colour (\-\-color always still does)
.TP
\fBCOLUMNS\fR
width of the table report (default: the terminal's, else 120)
.TP
\fBREADYCTL_TODAY\fR
the date (YYYY\-MM\-DD) waivers and sign\-offs are judged against (default: today)
.TP
\fBDOCKER_HOST\fR
the Docker engine docker checks talk to
.TP
\fIany variable\fR
catalogue values may use ${VAR}; the process environment overrides the catalogue's env_files
"#;

/// Every page: file name and roff text.
pub(crate) fn pages() -> Vec<(String, String)> {
    let top = Cli::command();
    let mut out = vec![("readyctl.1".to_string(), render(top.clone()))];
    for sub in top.get_subcommands() {
        let name = format!("readyctl-{}", sub.get_name());
        // clap names are `&'static str` without its `string` feature; a
        // handful of short names leaked once per `man` run is fine.
        let static_name: &'static str = name.clone().leak();
        let cmd = sub
            .clone()
            .name(static_name)
            .bin_name(format!("readyctl {}", sub.get_name()));
        out.push((format!("{name}.1"), render(cmd)));
    }
    out
}

fn render(cmd: clap::Command) -> String {
    let mut buf = Vec::new();
    let man = clap_mangen::Man::new(cmd);
    // Infallible on a Vec.
    let _ = man.render(&mut buf);
    let mut text = String::from_utf8_lossy(&buf).into_owned();
    text.push_str(EXIT_STATUS);
    text.push_str(ENVIRONMENT);
    text
}

/// Writes every page into `dir` (created if missing); returns the file names.
pub(crate) fn write_all(dir: &Path) -> std::io::Result<Vec<String>> {
    std::fs::create_dir_all(dir)?;
    let mut names = Vec::new();
    for (name, text) in pages() {
        std::fs::write(dir.join(&name), text)?;
        names.push(name);
    }
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_page_per_subcommand_with_options_exit_codes_and_environment() {
        let pages = pages();
        let names: Vec<&str> = pages.iter().map(|(n, _)| n.as_str()).collect();
        for want in [
            "readyctl.1",
            "readyctl-check.1",
            "readyctl-attest.1",
            "readyctl-init.1",
        ] {
            assert!(names.contains(&want), "{names:?}");
        }
        let check = &pages
            .iter()
            .find(|(n, _)| n == "readyctl-check.1")
            .unwrap()
            .1;
        assert!(check.contains("fail\\-on"), "options listed");
        assert!(check.contains(".SH \"EXIT STATUS\"") && check.contains("NO_COLOR"));
    }
}
