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
pub(crate) struct Instruction {
    /// Upper-cased keyword (`COPY`, `ENTRYPOINT`, …).
    pub keyword: String,
    /// Everything after the keyword, continuation lines joined.
    pub args: String,
    /// 1-based line where the instruction starts.
    pub line: u32,
}

/// A `COPY`/`ADD` from the build context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Copy {
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
    /// Index of the instruction.
    pub index: usize,
}

impl Copy {
    /// Whether `--chmod` gives the copied files an execute bit.
    pub(crate) fn chmod_exec(&self) -> bool {
        self.chmod.as_deref().is_some_and(mode_sets_exec)
    }
}

/// A build stage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Stage {
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
    pub(crate) fn label(&self) -> String {
        self.name
            .clone()
            .unwrap_or_else(|| format!("#{}", self.index))
    }
}

/// `ENTRYPOINT`/`CMD` in exec (`["a", "b"]`) or shell (`a b`) form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Form {
    /// JSON array form: the words as written.
    Exec(Vec<String>),
    /// Shell form: run as `/bin/sh -c TEXT`.
    Shell(String),
}

/// An `ENTRYPOINT` or `CMD` with its line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Command {
    /// The form and words.
    pub form: Form,
    /// 1-based line.
    pub line: u32,
}

/// A parsed Dockerfile.
#[derive(Debug, Clone, Default)]
pub(crate) struct Dockerfile {
    /// Instructions in order.
    pub instructions: Vec<Instruction>,
}

impl Dockerfile {
    /// Parses Dockerfile text.
    pub(crate) fn parse(text: &str) -> Dockerfile {
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
    pub(crate) fn stages(&self) -> Vec<Stage> {
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
    pub(crate) fn stage_named(&self, target: &str) -> Option<Stage> {
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
    pub(crate) fn chain(&self, stage: usize) -> Vec<usize> {
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
    pub(crate) fn needed(&self, stage: usize) -> Vec<usize> {
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
    pub(crate) fn copies(&self) -> Vec<Copy> {
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
                index: idx,
            });
        }
        out
    }

    /// The effective `ENTRYPOINT` and `CMD` of `stage`, inherited through its
    /// `FROM` ancestry (an `ENTRYPOINT` drops a `CMD` set by an earlier stage).
    pub(crate) fn entrypoint_cmd(&self, stage: usize) -> (Option<Command>, Option<Command>) {
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
    pub(crate) fn healthcheck(&self, stage: usize) -> Option<u32> {
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

    /// The text and line of every `RUN` instruction in `stages`.
    pub(crate) fn runs_in<'a>(&'a self, stages: &[usize]) -> Vec<(&'a str, u32)> {
        let all = self.stages();
        stages
            .iter()
            .filter_map(|i| all.get(*i))
            .flat_map(|s| self.instructions[s.start..s.end].iter())
            .filter(|i| i.keyword == "RUN")
            .map(|i| (i.args.as_str(), i.line))
            .collect()
    }
}

/// A `COPY --from=<stage or image>` (files from another stage, not the context).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FromCopy {
    /// The stage index it copies from, when `--from` names a stage of this file.
    pub from_stage: Option<usize>,
    /// Source paths in that stage.
    pub sources: Vec<String>,
    /// Destination, made absolute against the `WORKDIR` (None when it cannot be known).
    pub dest: Option<String>,
    /// 1-based line.
    pub line: u32,
    /// Index of the stage the instruction is in.
    pub stage: usize,
    /// Index of the instruction.
    pub index: usize,
}

/// Where `pip install` was told to put what it installs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PipLayout {
    /// `--target DIR`: packages in DIR, console scripts in DIR/bin.
    Target,
    /// `--prefix DIR`: packages in DIR/lib/pythonX.Y/site-packages, scripts in DIR/bin.
    Prefix,
}

/// A `pip install --target/--prefix DIR` in a `RUN`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PipInstall {
    /// Index of the stage.
    pub stage: usize,
    /// 1-based line of the `RUN`.
    pub line: u32,
    /// The layout option.
    pub layout: PipLayout,
    /// DIR, absolute.
    pub dir: String,
    /// Packages named on the command line (versions and extras stripped).
    pub packages: Vec<String>,
    /// `-r FILE` arguments, as written.
    pub requirements: Vec<String>,
}

impl PipInstall {
    /// Where the console scripts go.
    pub(crate) fn scripts_dir(&self) -> String {
        format!("{}/bin", self.dir.trim_end_matches('/'))
    }
}

/// A `find DIR -name PATTERN -delete` (or `-exec rm`) in a `RUN`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Deletion {
    /// Index of the stage.
    pub stage: usize,
    /// Index of the `RUN` instruction.
    pub index: usize,
    /// 1-based line of the `RUN`.
    pub line: u32,
    /// The directory searched, absolute.
    pub dir: String,
    /// The `-name` glob.
    pub pattern: String,
}

/// The default `PATH` of the Debian/Alpine-based official images.
pub(crate) const DEFAULT_PATH: &str =
    "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// Shell commands of a `RUN` text: split at `&&`, `||`, `;`, `|` and
/// newlines (quotes respected), each as its words.
pub(crate) fn shell_commands(text: &str) -> Vec<Vec<String>> {
    shell_words(text, true)
}

fn shell_words(text: &str, split_ops: bool) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let mut cur: Vec<String> = Vec::new();
    let mut word = String::new();
    let mut quote: Option<char> = None;
    let mut chars = text.chars().peekable();
    let flush = |word: &mut String, cur: &mut Vec<String>| {
        if !word.is_empty() {
            cur.push(std::mem::take(word));
        }
    };
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => word.push(c),
            (None, '"' | '\'') => quote = Some(c),
            (None, '\\') => {
                if let Some(n) = chars.next() {
                    word.push(n);
                }
            }
            (None, ';' | '|' | '&' | '\n') if split_ops => {
                flush(&mut word, &mut cur);
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            (None, c) if c.is_whitespace() => flush(&mut word, &mut cur),
            (None, c) => word.push(c),
        }
    }
    flush(&mut word, &mut cur);
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Joins `p` to `base` and normalises `.`/`..`/`//` (both absolute paths).
pub(crate) fn join_abs(base: &str, p: &str) -> String {
    let full = if p.starts_with('/') {
        p.to_string()
    } else {
        format!("{}/{p}", base.trim_end_matches('/'))
    };
    let mut parts: Vec<&str> = Vec::new();
    for seg in full.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            s => parts.push(s),
        }
    }
    format!("/{}", parts.join("/"))
}

/// The package name of a requirement (`uvicorn[standard]>=0.2` → `uvicorn`),
/// normalised as PEP 503 does (lower case, `_`/`.` → `-`).
pub(crate) fn requirement_name(req: &str) -> Option<String> {
    let t = req.trim();
    if t.is_empty() || t.starts_with(['-', '#', '.', '/']) || t.contains("://") {
        return None;
    }
    let end = t
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.'))
        .unwrap_or(t.len());
    let name = &t[..end];
    (!name.is_empty()).then(|| name.to_ascii_lowercase().replace(['_', '.'], "-"))
}

impl Dockerfile {
    fn stage_of(&self, stages: &[Stage], idx: usize) -> usize {
        stages
            .iter()
            .rev()
            .find(|s| s.start <= idx && idx < s.end)
            .map(|s| s.index)
            .unwrap_or(0)
    }

    /// The `WORKDIR` in effect just before instruction `idx` of `stage`
    /// (inherited through `FROM <stage>`); None when a relative `WORKDIR`
    /// or a variable makes it unknown, `/` when none is set in the file
    /// (the official base images set none).
    pub(crate) fn workdir_at(&self, stage: usize, idx: usize) -> Option<String> {
        let stages = self.stages();
        let mut chain = self.chain(stage);
        chain.reverse();
        let mut wd = Some("/".to_string());
        for i in chain {
            let s = stages.get(i)?;
            let end = if i == stage { idx.min(s.end) } else { s.end };
            for ins in &self.instructions[s.start..end] {
                if ins.keyword == "WORKDIR" {
                    let a = ins.args.trim().trim_matches('"');
                    wd = match (&wd, a.contains('$')) {
                        (_, true) => None,
                        (Some(w), false) => Some(join_abs(w, a)),
                        (None, false) if a.starts_with('/') => Some(join_abs("/", a)),
                        (None, false) => None,
                    };
                }
            }
        }
        wd
    }

    /// Every `COPY --from=…`, with its destination made absolute.
    pub(crate) fn copies_from_stages(&self) -> Vec<FromCopy> {
        let stages = self.stages();
        let mut out = Vec::new();
        for (idx, ins) in self.instructions.iter().enumerate() {
            if ins.keyword != "COPY" {
                continue;
            }
            let mut words = split_args(&ins.args);
            let mut from = None;
            words.retain(|w| match w.strip_prefix("--") {
                Some(flag) => {
                    if let Some(f) = flag.strip_prefix("from=") {
                        from = Some(f.to_string());
                    }
                    false
                }
                None => true,
            });
            let Some(from) = from else { continue };
            if words.len() < 2 {
                continue;
            }
            let stage = self.stage_of(&stages, idx);
            let dest_written = words.pop().unwrap_or_default();
            let dest = if dest_written.contains('$') {
                None
            } else if dest_written.starts_with('/') {
                Some(join_abs("/", &dest_written))
            } else {
                self.workdir_at(stage, idx)
                    .map(|w| join_abs(&w, &dest_written))
            };
            out.push(FromCopy {
                from_stage: Self::stage_ref(&stages, &from, stage),
                sources: words,
                dest,
                line: ins.line,
                stage,
                index: idx,
            });
        }
        out
    }

    /// Every `pip install --target/--prefix DIR` (also `python -m pip`,
    /// `pip3`), with DIR made absolute.
    pub(crate) fn pip_installs(&self) -> Vec<PipInstall> {
        let stages = self.stages();
        let mut out = Vec::new();
        for (idx, ins) in self.instructions.iter().enumerate() {
            if ins.keyword != "RUN" {
                continue;
            }
            let stage = self.stage_of(&stages, idx);
            for cmd in shell_commands(&ins.args) {
                let Some(rest) = pip_install_args(&cmd) else {
                    continue;
                };
                let mut layout = None;
                let (mut packages, mut requirements) = (Vec::new(), Vec::new());
                let mut it = rest.iter();
                while let Some(w) = it.next() {
                    let (flag, inline) = match w.split_once('=') {
                        Some((f, v)) if f.starts_with("--") => (f, Some(v.to_string())),
                        _ => (w.as_str(), None),
                    };
                    let mut value = || inline.clone().or_else(|| it.next().cloned());
                    match flag {
                        "--target" | "-t" => layout = value().map(|v| (PipLayout::Target, v)),
                        "--prefix" => layout = value().map(|v| (PipLayout::Prefix, v)),
                        "-r" | "--requirement" | "-c" | "--constraint" => {
                            if let Some(v) = value()
                                && (flag == "-r" || flag == "--requirement")
                            {
                                requirements.push(v);
                            }
                        }
                        "-i" | "--index-url" | "--extra-index-url" | "-f" | "--find-links"
                        | "--root" | "--src" | "--platform" | "--python-version"
                        | "--implementation" | "--abi" | "--progress-bar" | "--cache-dir"
                        | "--trusted-host" => {
                            value();
                        }
                        f if f.starts_with('-') => {}
                        _ => packages.extend(requirement_name(w)),
                    }
                }
                let Some((layout, dir)) = layout else {
                    continue;
                };
                if dir.contains('$') {
                    continue;
                }
                let Some(dir) = (if dir.starts_with('/') {
                    Some(join_abs("/", &dir))
                } else {
                    self.workdir_at(stage, idx).map(|w| join_abs(&w, &dir))
                }) else {
                    continue;
                };
                out.push(PipInstall {
                    stage,
                    line: ins.line,
                    layout,
                    dir,
                    packages,
                    requirements,
                });
            }
        }
        out
    }

    /// Every plain `find DIR [-type f] -name GLOB -delete` (or `-exec rm`)
    /// in a `RUN`; a `find` with other tests (`-path`, `!`, `-o`, …) is left
    /// out, not guessed.
    pub(crate) fn deletions(&self) -> Vec<Deletion> {
        let stages = self.stages();
        let mut out = Vec::new();
        for (idx, ins) in self.instructions.iter().enumerate() {
            if ins.keyword != "RUN" {
                continue;
            }
            let stage = self.stage_of(&stages, idx);
            for cmd in shell_commands(&ins.args) {
                if cmd.first().map(String::as_str) != Some("find") {
                    continue;
                }
                let dirs: Vec<&String> = cmd[1..]
                    .iter()
                    .take_while(|w| !w.starts_with('-'))
                    .collect();
                let tests = &cmd[1 + dirs.len()..];
                let (mut pattern, mut delete, mut plain) = (None, false, true);
                let mut i = 0;
                while i < tests.len() {
                    match tests[i].as_str() {
                        "-name" => {
                            pattern = tests.get(i + 1).cloned();
                            i += 1;
                        }
                        "-type" if tests.get(i + 1).map(String::as_str) == Some("f") => i += 1,
                        "-delete" => delete = true,
                        "-exec" if tests.get(i + 1).map(String::as_str) == Some("rm") => {
                            delete = true;
                            break;
                        }
                        _ => plain = false,
                    }
                    i += 1;
                }
                let (Some(pattern), true, true, [dir]) = (pattern, delete, plain, dirs.as_slice())
                else {
                    continue;
                };
                if dir.contains('$') || pattern.contains('/') {
                    continue;
                }
                let Some(abs) = (if dir.starts_with('/') {
                    Some(join_abs("/", dir))
                } else {
                    self.workdir_at(stage, idx).map(|w| join_abs(&w, dir))
                }) else {
                    continue;
                };
                out.push(Deletion {
                    stage,
                    index: idx,
                    line: ins.line,
                    dir: abs,
                    pattern,
                });
            }
        }
        out
    }

    /// The `PATH` set by `ENV` in `chain` (the last one), with `$PATH`
    /// replaced by the default; None when no `ENV` sets it, `Some(None)`
    /// when its value uses another variable.
    pub(crate) fn env_path(&self, chain: &[usize]) -> Option<Option<String>> {
        let stages = self.stages();
        let mut order = chain.to_vec();
        order.reverse();
        let mut path: Option<Option<String>> = None;
        for i in order {
            let Some(s) = stages.get(i) else { break };
            for ins in &self.instructions[s.start..s.end] {
                if ins.keyword != "ENV" {
                    continue;
                }
                for (k, v) in env_pairs(&ins.args) {
                    if k == "PATH" {
                        let prev = match &path {
                            Some(Some(p)) => p.clone(),
                            Some(None) => {
                                path = Some(None);
                                continue;
                            }
                            None => DEFAULT_PATH.to_string(),
                        };
                        let v = v.replace("${PATH}", &prev).replace("$PATH", &prev);
                        path = Some((!v.contains('$')).then_some(v));
                    }
                }
            }
        }
        path
    }

    /// Instructions of `stage` alone, with their indices.
    pub(crate) fn stage_instructions(&self, stage: usize) -> Vec<(usize, &Instruction)> {
        let stages = self.stages();
        match stages.get(stage) {
            Some(s) => (s.start..s.end)
                .map(|i| (i, &self.instructions[i]))
                .collect(),
            None => Vec::new(),
        }
    }
}

/// `ENV k=v k2="v 2"` or the legacy `ENV k v`.
fn env_pairs(args: &str) -> Vec<(String, String)> {
    let words: Vec<String> = shell_words(args, false).concat();
    if words.first().is_some_and(|w| !w.contains('=')) {
        let mut it = args.trim().splitn(2, char::is_whitespace);
        let k = it.next().unwrap_or_default().to_string();
        return vec![(k, it.next().unwrap_or_default().trim().to_string())];
    }
    words
        .into_iter()
        .filter_map(|w| {
            w.split_once('=')
                .map(|(k, v)| (k.to_string(), v.to_string()))
        })
        .collect()
}

/// The arguments after `install` of a pip command (`pip`, `pip3`,
/// `pip3.12`, `python -m pip`, `uv pip`), or None.
fn pip_install_args(cmd: &[String]) -> Option<&[String]> {
    let is_pip = |w: &str| {
        let b = w.rsplit('/').next().unwrap_or(w);
        b == "pip"
            || b.strip_prefix("pip")
                .is_some_and(|r| r.chars().all(|c| c.is_ascii_digit() || c == '.'))
    };
    let is_python = |w: &str| {
        let b = w.rsplit('/').next().unwrap_or(w);
        b.strip_prefix("python")
            .is_some_and(|r| r.chars().all(|c| c.is_ascii_digit() || c == '.'))
    };
    let i = match cmd {
        [p, sub, ..] if is_pip(p) && sub == "install" => 2,
        [py, m, p, sub, ..] if is_python(py) && m == "-m" && p == "pip" && sub == "install" => 4,
        _ => return None,
    };
    Some(&cmd[i..])
}

fn mount_from(spec: &str) -> Option<&str> {
    spec.split(',').find_map(|kv| kv.strip_prefix("from="))
}

/// Whether a `chmod` mode (octal `755`, symbolic `+x`, `u=rwx,go=rx`) sets
/// an execute bit.
pub(crate) fn mode_sets_exec(mode: &str) -> bool {
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
