//! A small Dockerfile reader: instructions with their line numbers, line
//! continuations, comments and the `# escape=` directive; build stages
//! (`FROM … AS name`) and which stages a target needs (its `FROM` ancestry,
//! `COPY --from`, `RUN --mount=from=`), as BuildKit builds only those; the
//! sources `COPY`/`ADD` take from the build context, with `--chmod`; the
//! effective `ENTRYPOINT`/`CMD` of a stage in exec or shell form, inherited
//! through `FROM <stage>` with Docker's rule that a new `ENTRYPOINT` drops an
//! inherited `CMD`. It does not evaluate `ARG`/`ENV` substitution (sources
//! containing `$` are left to the caller) and never reads files.

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
    /// The `--chmod` value, when given.
    pub chmod: Option<String>,
    /// 1-based line.
    pub line: u32,
    /// Index of the stage the instruction is in.
    pub stage: usize,
}

impl Copy {
    /// Whether `--chmod` gives the copied files an execute bit.
    pub fn chmod_exec(&self) -> bool {
        self.chmod.as_deref().is_some_and(mode_sets_exec)
    }
}

/// A build stage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stage {
    /// 0-based position.
    pub index: usize,
    /// The `AS` name, when given.
    pub name: Option<String>,
    /// The image or stage it starts `FROM`.
    pub base: String,
    /// Line of the `FROM`.
    pub line: u32,
    /// Instructions of the stage: `instructions[start..end]` (after the `FROM`).
    pub start: usize,
    /// End of the range (exclusive).
    pub end: usize,
}

impl Stage {
    /// `name` or `#index`, for messages.
    pub fn label(&self) -> String {
        self.name
            .clone()
            .unwrap_or_else(|| format!("#{}", self.index))
    }
}

/// `ENTRYPOINT`/`CMD` in exec (`["a", "b"]`) or shell (`a b`) form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Form {
    /// JSON array form: the words as written.
    Exec(Vec<String>),
    /// Shell form: run as `/bin/sh -c TEXT`.
    Shell(String),
}

/// An `ENTRYPOINT` or `CMD` with its line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    /// The form and words.
    pub form: Form,
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

    /// The build stages, in order.
    pub fn stages(&self) -> Vec<Stage> {
        let mut out: Vec<Stage> = Vec::new();
        for (i, ins) in self.instructions.iter().enumerate() {
            if ins.keyword != "FROM" {
                continue;
            }
            if let Some(last) = out.last_mut() {
                last.end = i;
            }
            let words: Vec<&str> = ins
                .args
                .split_whitespace()
                .filter(|w| !w.starts_with("--"))
                .collect();
            let base = words.first().copied().unwrap_or_default().to_string();
            let name = match words.as_slice() {
                [_, kw, name, ..] if kw.eq_ignore_ascii_case("as") => Some(name.to_string()),
                _ => None,
            };
            out.push(Stage {
                index: out.len(),
                name,
                base,
                line: ins.line,
                start: i + 1,
                end: self.instructions.len(),
            });
        }
        out
    }

    /// The stage a `--target` names (stage names are case-insensitive).
    pub fn stage_named(&self, target: &str) -> Option<Stage> {
        self.stages().into_iter().find(|s| {
            s.name
                .as_deref()
                .is_some_and(|n| n.eq_ignore_ascii_case(target))
        })
    }

    fn stage_ref(stages: &[Stage], r: &str, before: usize) -> Option<usize> {
        if let Ok(i) = r.parse::<usize>() {
            return (i < before).then_some(i);
        }
        stages[..before].iter().rev().find_map(|s| {
            s.name
                .as_deref()
                .is_some_and(|n| n.eq_ignore_ascii_case(r))
                .then_some(s.index)
        })
    }

    /// `FROM` ancestry of `stage`: itself, then the stage it starts from, …
    pub fn chain(&self, stage: usize) -> Vec<usize> {
        let stages = self.stages();
        let mut out = Vec::new();
        let mut cur = Some(stage);
        while let Some(i) = cur {
            if i >= stages.len() || out.contains(&i) {
                break;
            }
            out.push(i);
            cur = Self::stage_ref(&stages, &stages[i].base, i);
        }
        out
    }

    /// Every stage building `stage` needs (BuildKit skips the others),
    /// sorted; `stage` included.
    pub fn needed(&self, stage: usize) -> Vec<usize> {
        let stages = self.stages();
        let mut out = Vec::new();
        let mut todo = vec![stage];
        while let Some(i) = todo.pop() {
            if i >= stages.len() || out.contains(&i) {
                continue;
            }
            out.push(i);
            if let Some(b) = Self::stage_ref(&stages, &stages[i].base, i) {
                todo.push(b);
            }
            for ins in &self.instructions[stages[i].start..stages[i].end] {
                for w in ins.args.split_whitespace() {
                    let from = w
                        .strip_prefix("--from=")
                        .or_else(|| w.strip_prefix("--mount=").and_then(mount_from));
                    if let Some(r) = from
                        && let Some(j) = Self::stage_ref(&stages, r, i)
                    {
                        todo.push(j);
                    }
                }
            }
        }
        out.sort_unstable();
        out
    }

    /// `COPY`/`ADD` instructions that read the build context (not `--from`,
    /// not URLs, not heredocs), in every stage.
    pub fn copies(&self) -> Vec<Copy> {
        let stages = self.stages();
        let mut out = Vec::new();
        for (idx, ins) in self.instructions.iter().enumerate() {
            if ins.keyword != "COPY" && ins.keyword != "ADD" {
                continue;
            }
            let stage = stages
                .iter()
                .rev()
                .find(|s| s.start <= idx && idx < s.end)
                .map(|s| s.index)
                .unwrap_or(0);
            let mut words = split_args(&ins.args);
            let mut chmod = None;
            let mut from = false;
            words.retain(|w| {
                if let Some(flag) = w.strip_prefix("--") {
                    if let Some(m) = flag.strip_prefix("chmod=") {
                        chmod = Some(m.to_string());
                    }
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
                stage,
            });
        }
        out
    }

    /// The effective `ENTRYPOINT` and `CMD` of `stage`, inherited through its
    /// `FROM` ancestry (an `ENTRYPOINT` drops a `CMD` set by an earlier stage).
    pub fn entrypoint_cmd(&self, stage: usize) -> (Option<Command>, Option<Command>) {
        let stages = self.stages();
        let mut chain = self.chain(stage);
        chain.reverse();
        let (mut ep, mut cmd) = (None, None);
        for i in chain {
            let Some(s) = stages.get(i) else { break };
            let mut cmd_here = false;
            for ins in &self.instructions[s.start..s.end] {
                let c = || Command {
                    form: form_of(&ins.args),
                    line: ins.line,
                };
                match ins.keyword.as_str() {
                    "ENTRYPOINT" => {
                        ep = Some(c());
                        if !cmd_here {
                            cmd = None;
                        }
                    }
                    "CMD" => {
                        cmd = Some(c());
                        cmd_here = true;
                    }
                    _ => {}
                }
            }
        }
        (ep, cmd)
    }

    /// The effective `HEALTHCHECK` of `stage` (inherited through `FROM
    /// <stage>`): its line, or None when there is none or `HEALTHCHECK NONE`.
    pub fn healthcheck(&self, stage: usize) -> Option<u32> {
        let stages = self.stages();
        let mut chain = self.chain(stage);
        chain.reverse();
        let mut hc = None;
        for i in chain {
            let Some(s) = stages.get(i) else { break };
            for ins in &self.instructions[s.start..s.end] {
                if ins.keyword == "HEALTHCHECK" {
                    hc = (!ins.args.trim().eq_ignore_ascii_case("none")).then_some(ins.line);
                }
            }
        }
        hc
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

    /// The text and line of every `RUN` instruction in `stages`.
    pub fn runs_in<'a>(&'a self, stages: &[usize]) -> Vec<(&'a str, u32)> {
        let all = self.stages();
        stages
            .iter()
            .filter_map(|i| all.get(*i))
            .flat_map(|s| self.instructions[s.start..s.end].iter())
            .filter(|i| i.keyword == "RUN")
            .map(|i| (i.args.as_str(), i.line))
            .collect()
    }

    /// The text of every `RUN` instruction (to see `chmod +x`).
    pub fn runs(&self) -> impl Iterator<Item = &str> {
        self.instructions
            .iter()
            .filter(|i| i.keyword == "RUN")
            .map(|i| i.args.as_str())
    }
}

fn mount_from(spec: &str) -> Option<&str> {
    spec.split(',').find_map(|kv| kv.strip_prefix("from="))
}

/// Whether a `chmod` mode (octal `755`, symbolic `+x`, `u=rwx,go=rx`) sets
/// an execute bit.
pub fn mode_sets_exec(mode: &str) -> bool {
    if mode.chars().all(|c| c.is_ascii_digit()) {
        return u32::from_str_radix(mode, 8).is_ok_and(|m| m & 0o111 != 0);
    }
    mode.split(',').any(|clause| {
        clause
            .split_once(['+', '='])
            .is_some_and(|(_, perms)| perms.contains('x') || perms.contains('X'))
    })
}

fn form_of(args: &str) -> Form {
    let t = args.trim();
    if t.starts_with('[')
        && let Ok(v) = serde_json::from_str::<Vec<String>>(t)
    {
        return Form::Exec(v);
    }
    Form::Shell(t.to_string())
}

/// Splits exec form (`["a", "b"]`) or shell form (whitespace) arguments.
fn split_args(args: &str) -> Vec<String> {
    match form_of(args) {
        Form::Exec(v) => v,
        Form::Shell(t) => t
            .split_whitespace()
            .map(|w| w.trim_matches(|c| c == '"' || c == '\'').to_string())
            .collect(),
    }
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
        assert!(c[1].chmod_exec());
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

    const STAGES: &str = "ARG V=3.12\nFROM python:${V} as deps\nCOPY poetry.lock ./\nFROM python:${V} AS builder\nCOPY src ./src\nFROM python:${V} as base\nRUN useradd app\nFROM base as api\nCOPY --from=deps /install /x\nCOPY --from=builder /src ./src\nCOPY api.sh /api.sh\nENTRYPOINT [\"/api.sh\"]\nCMD [\"api\"]\nFROM base AS celery\nCOPY --from=deps /install /x\nCOPY celery.sh /celery.sh\nENTRYPOINT [\"/celery.sh\"]\nCMD [\"worker\"]\nFROM celery AS beat\nENTRYPOINT /celery.sh beat\n";

    #[test]
    fn reads_stages_and_what_a_target_needs() {
        let d = Dockerfile::parse(STAGES);
        let s = d.stages();
        let names: Vec<_> = s.iter().map(|s| s.label()).collect();
        assert_eq!(names, ["deps", "builder", "base", "api", "celery", "beat"]);
        assert_eq!((s[4].line, s[4].base.as_str()), (14, "base"));
        assert_eq!(
            d.needed(3),
            vec![0, 1, 2, 3],
            "api needs deps, builder, base"
        );
        assert_eq!(d.needed(4), vec![0, 2, 4], "celery does not need builder");
        assert_eq!(d.chain(5), vec![5, 4, 2]);
        assert_eq!(d.stage_named("API").map(|s| s.index), Some(3));
        let copies = d.copies();
        assert_eq!(
            copies.iter().map(|c| c.stage).collect::<Vec<_>>(),
            [0, 1, 3, 4]
        );
    }

    #[test]
    fn entrypoint_and_cmd_follow_docker_inheritance() {
        let d = Dockerfile::parse(STAGES);
        let (ep, cmd) = d.entrypoint_cmd(3);
        assert_eq!(ep.unwrap().form, Form::Exec(vec!["/api.sh".into()]));
        assert_eq!(cmd.map(|c| c.line), Some(13));
        // `beat` sets a shell-form ENTRYPOINT, which drops celery's CMD.
        assert_eq!(d.healthcheck(3), None);
        let h = Dockerfile::parse(
            "FROM x AS a\nHEALTHCHECK CMD true\nFROM a AS b\nFROM a AS c\nHEALTHCHECK NONE\n",
        );
        assert_eq!((h.healthcheck(1), h.healthcheck(2)), (Some(2), None));
        let (ep, cmd) = d.entrypoint_cmd(5);
        assert_eq!(ep.unwrap().form, Form::Shell("/celery.sh beat".into()));
        assert_eq!(cmd, None);
    }

    #[test]
    fn chmod_modes_with_and_without_execute() {
        for m in ["755", "0755", "+x", "u+x", "a=rwx", "u=rwx,go=rx", "0500"] {
            assert!(mode_sets_exec(m), "{m}");
        }
        for m in ["644", "0600", "u=rw,go=r", "-x"] {
            assert!(!mode_sets_exec(m), "{m}");
        }
    }
}
