//! A small Dockerfile reader: instructions with their line numbers, line
//! continuations, comments and the `# escape=` directive; the sources that
//! `COPY`/`ADD` take from the build context; the program `ENTRYPOINT`/`CMD`
//! run. Enough to find files a build or a container start would miss. It does
//! not evaluate `ARG`/`ENV` substitution or build stages beyond `--from`.

/// One instruction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instruction {
    /// Upper-cased keyword (`COPY`, `ENTRYPOINT`, …).
    pub keyword: String,
    /// Everything after the keyword, continuation lines joined.
    pub args: String,
    /// 1-based line where the instruction starts.
    pub line: u32,
}

/// A `COPY`/`ADD` from the build context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Copy {
    /// Source paths, relative to the build context.
    pub sources: Vec<String>,
    /// Destination in the image.
    pub dest: String,
    /// Whether `--chmod` sets the mode.
    pub chmod: bool,
    /// 1-based line.
    pub line: u32,
}

/// A parsed Dockerfile.
#[derive(Debug, Clone, Default)]
pub struct Dockerfile {
    /// Instructions in order.
    pub instructions: Vec<Instruction>,
}

impl Dockerfile {
    /// Parses Dockerfile text.
    pub fn parse(text: &str) -> Dockerfile {
        let mut escape = '\\';
        let mut out = Vec::new();
        let mut current: Option<Instruction> = None;
        let mut directives = true;
        for (i, raw) in text.lines().enumerate() {
            let line_no = i as u32 + 1;
            let line = raw.trim();
            if directives {
                if let Some(d) = line.strip_prefix('#') {
                    if let Some((k, v)) = d.trim().split_once('=')
                        && k.trim().eq_ignore_ascii_case("escape")
                    {
                        escape = v.trim().chars().next().unwrap_or('\\');
                    }
                    continue;
                }
                directives = false;
            }
            if current.is_none() && (line.is_empty() || line.starts_with('#')) {
                continue;
            }
            if current.is_some() && line.starts_with('#') {
                continue; // comments inside continuations are dropped
            }
            let (body, continues) = match line.strip_suffix(escape) {
                Some(b) => (b.trim_end(), true),
                None => (line, false),
            };
            match &mut current {
                Some(ins) => {
                    ins.args.push(' ');
                    ins.args.push_str(body);
                }
                None => {
                    let (kw, args) = body.split_once(char::is_whitespace).unwrap_or((body, ""));
                    current = Some(Instruction {
                        keyword: kw.to_ascii_uppercase(),
                        args: args.trim().to_string(),
                        line: line_no,
                    });
                }
            }
            if !continues && let Some(ins) = current.take() {
                out.push(ins);
            }
        }
        out.extend(current);
        Dockerfile { instructions: out }
    }

    /// `COPY`/`ADD` instructions that read the build context (not `--from`,
    /// not URLs, not heredocs).
    pub fn copies(&self) -> Vec<Copy> {
        let mut out = Vec::new();
        for ins in &self.instructions {
            if ins.keyword != "COPY" && ins.keyword != "ADD" {
                continue;
            }
            let mut words = split_args(&ins.args);
            let mut chmod = false;
            let mut from = false;
            words.retain(|w| {
                if let Some(flag) = w.strip_prefix("--") {
                    chmod |= flag.starts_with("chmod");
                    from |= flag.starts_with("from");
                    false
                } else {
                    true
                }
            });
            if from || words.len() < 2 || words.iter().any(|w| w.starts_with("<<")) {
                continue;
            }
            let dest = words.pop().unwrap_or_default();
            let sources = words
                .into_iter()
                .filter(|s| !s.contains("://") && !s.starts_with("git@"))
                .collect();
            out.push(Copy {
                sources,
                dest,
                chmod,
                line: ins.line,
            });
        }
        out
    }

    /// The program each `ENTRYPOINT`/`CMD` runs, with its line: the first
    /// word, or the script a shell (`sh -c`, `bash`) is asked to run.
    pub fn programs(&self) -> Vec<(String, u32)> {
        let mut out = Vec::new();
        for ins in &self.instructions {
            if ins.keyword != "ENTRYPOINT" && ins.keyword != "CMD" {
                continue;
            }
            let words = split_args(&ins.args);
            let mut it = words.iter().peekable();
            let mut prog = it.next().cloned();
            if let Some(p) = &prog
                && ["sh", "bash", "/bin/sh", "/bin/bash", "/usr/bin/env"].contains(&p.as_str())
            {
                prog = it.find(|w| !w.starts_with('-')).cloned();
            }
            if let Some(p) = prog {
                out.push((p, ins.line));
            }
        }
        out
    }

    /// The text of every `RUN` instruction (to see `chmod +x`).
    pub fn runs(&self) -> impl Iterator<Item = &str> {
        self.instructions
            .iter()
            .filter(|i| i.keyword == "RUN")
            .map(|i| i.args.as_str())
    }
}

/// Splits exec form (`["a", "b"]`) or shell form (whitespace) arguments.
fn split_args(args: &str) -> Vec<String> {
    let t = args.trim();
    if t.starts_with('[')
        && let Ok(v) = serde_json::from_str::<Vec<String>>(t)
    {
        return v;
    }
    t.split_whitespace()
        .map(|w| w.trim_matches(|c| c == '"' || c == '\'').to_string())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "# syntax=docker/dockerfile:1\nFROM python:3.12-slim AS base\nWORKDIR /app\nCOPY requirements.txt \\\n     constraints.txt ./\nCOPY --from=build /out /app\nCOPY --chmod=755 scripts/run.sh /usr/local/bin/\nADD https://example.com/x.tgz /tmp/\n# comment\nRUN chmod +x /usr/local/bin/run.sh\nENTRYPOINT [\"/usr/local/bin/docker-entrypoint.sh\"]\nCMD sh -c ./start.sh\n";

    #[test]
    fn reads_copies_with_lines_and_skips_stages_and_urls() {
        let d = Dockerfile::parse(TEXT);
        let c = d.copies();
        assert_eq!(c.len(), 3, "{c:?}");
        assert_eq!(c[0].sources, vec!["requirements.txt", "constraints.txt"]);
        assert_eq!((c[0].dest.as_str(), c[0].line), ("./", 4));
        assert!(c[1].chmod);
        assert!(c[2].sources.is_empty());
    }

    #[test]
    fn reads_entrypoint_and_shell_wrapped_cmd() {
        let d = Dockerfile::parse(TEXT);
        assert_eq!(
            d.programs(),
            vec![
                ("/usr/local/bin/docker-entrypoint.sh".to_string(), 11),
                ("./start.sh".to_string(), 12)
            ]
        );
        assert!(d.runs().any(|r| r.contains("chmod +x")));
    }

    #[test]
    fn honours_the_escape_directive() {
        let d = Dockerfile::parse("# escape=`\nFROM x\nCOPY a `\n  b /d/\n");
        assert_eq!(d.copies()[0].sources, vec!["a", "b"]);
    }
}
