//! An honest reader of container entrypoint scripts: does the script
//! dispatch on its first argument with a `case`, which words does it accept,
//! and what happens to the others?
//!
//! Entrypoints commonly look like
//! `case "$1" in api) exec gunicorn …;; worker) …;; *) echo unknown; exit 1;; esac`,
//! directly or inside a `main() { CMD=${1:-api}; case "$CMD" in … }` called as
//! `main "$@"`. A compose `command:` becomes the script's arguments, so a
//! word the `case` does not accept makes the container exit at once.
//!
//! The reader tokenises POSIX shell (quotes, `$(…)`, `${…}`, comments,
//! here-documents, continuations) and tracks `if`/loops/`case`/functions. It
//! recognises the dispatch only where its meaning is plain: the `case` runs
//! unconditionally in the script or in a function called with `"$@"`, its
//! subject is `$1` (or a variable assigned from `$1`/`${1:-default}`), and
//! nothing `shift`s or `set --`s before it. Anything cleverer is reported as
//! [`Dispatch::Unreadable`] with the line and the reason, never guessed.

/// What the script does with its first argument.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Dispatch {
    /// No `case` on the first argument: the script does not dispatch (it may
    /// pass its arguments through; see `passthrough`).
    None {
        /// Line of an unconditional top-level `exec "$@"`, if any.
        passthrough: Option<u32>,
    },
    /// A `case` on the first argument that this reader understands.
    Case(CaseDispatch),
    /// A `case` on the first argument this reader does not understand.
    Unreadable {
        /// Line of the `case` (or of what makes it unclear).
        line: u32,
        /// Why, in a few words.
        reason: String,
    },
}

/// A recognised `case` dispatch.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CaseDispatch {
    /// Line of `case`.
    pub line: u32,
    /// The value used when no argument is given (`${1:-api}`).
    pub default: Option<String>,
    /// The arms, in order.
    pub arms: Vec<Arm>,
    /// Line of an `exec "$@"` that runs when no arm matches, if any.
    pub fallthrough_passthrough: Option<u32>,
}

/// One arm of the `case`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Arm {
    /// Patterns as written, quotes removed.
    pub patterns: Vec<String>,
    /// Whether each pattern was quoted (matched literally).
    quoted: Vec<bool>,
    /// Line of the patterns.
    pub line: u32,
    /// Line of an unconditional `exit N` (N ≠ 0) in the arm.
    pub exit: Option<u32>,
    /// Whether the arm runs the arguments (`exec "$@"`).
    pub passthrough: bool,
    /// Programs the arm unconditionally `exec`s (`exec gunicorn …`), with
    /// their lines; a program written with `$` is left out (not guessed).
    pub execs: Vec<(String, u32)>,
}

/// How the dispatch treats one first argument.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Verdict<'a> {
    /// An arm accepts it.
    Accepted(&'a Arm),
    /// The arm that matches exits with an error.
    Rejected(&'a Arm),
    /// No arm matches; the script then runs its arguments (`exec "$@"` at this line).
    Passthrough(u32),
    /// No arm matches and nothing runs the arguments afterwards.
    Unmatched,
    /// This reader cannot tell (a pattern with a variable in it).
    Unknown,
}

impl CaseDispatch {
    /// Every word an arm accepts, for messages (`*` patterns excluded).
    pub(crate) fn accepted_words(&self) -> Vec<&str> {
        self.arms
            .iter()
            .filter(|a| a.exit.is_none())
            .flat_map(|a| a.patterns.iter().map(String::as_str))
            .filter(|p| *p != "*")
            .collect()
    }

    /// What happens to `first` (None: the script gets no argument).
    pub(crate) fn judge(&self, first: Option<&str>) -> Verdict<'_> {
        let value = first
            .map(str::to_string)
            .or_else(|| self.default.clone())
            .unwrap_or_default();
        for arm in &self.arms {
            for (p, q) in arm.patterns.iter().zip(&arm.quoted) {
                if p.contains('$') || p.contains('`') {
                    return Verdict::Unknown;
                }
                let hit = if *q {
                    *p == value
                } else {
                    globset::GlobBuilder::new(p)
                        .literal_separator(false)
                        .build()
                        .map(|g| g.compile_matcher().is_match(&value))
                        .unwrap_or(false)
                };
                if hit {
                    return if arm.exit.is_some() {
                        Verdict::Rejected(arm)
                    } else {
                        Verdict::Accepted(arm)
                    };
                }
            }
        }
        match self.fallthrough_passthrough {
            // No arm matched, but the script then runs what it was given.
            Some(l) => Verdict::Passthrough(l),
            None => Verdict::Unmatched,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Word(String, u32),
    Op(&'static str, u32),
}

/// Splits shell text into words and operators with their lines.
fn tokenize(text: &str) -> Vec<Tok> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut line = 1u32;
    let mut i = 0;
    let mut word = String::new();
    let mut word_line = 1;
    let mut heredocs: Vec<(String, bool)> = Vec::new();
    let mut expect_delim: Option<bool> = None;
    macro_rules! flush {
        () => {
            if !word.is_empty() {
                let w = std::mem::take(&mut word);
                if let Some(strip) = expect_delim.take() {
                    heredocs.push((w.replace(['"', '\''], ""), strip));
                } else if w == "<<" || w == "<<-" {
                    expect_delim = Some(w == "<<-");
                } else if let Some(d) = w.strip_prefix("<<-").or_else(|| w.strip_prefix("<<"))
                    && !w.starts_with("<<<")
                {
                    heredocs.push((d.replace(['"', '\''], ""), w.starts_with("<<-")));
                } else {
                    out.push(Tok::Word(w, word_line));
                }
            }
        };
    }
    while i < chars.len() {
        let c = chars[i];
        if word.is_empty() {
            word_line = line;
        }
        match c {
            '\\' if chars.get(i + 1) == Some(&'\n') => {
                i += 2;
                line += 1;
                continue;
            }
            '\\' => {
                word.push(c);
                if let Some(n) = chars.get(i + 1) {
                    word.push(*n);
                }
                i += 2;
                continue;
            }
            '\n' => {
                flush!();
                out.push(Tok::Op("\n", line));
                line += 1;
                i += 1;
                // Skip here-document bodies.
                for (delim, _) in std::mem::take(&mut heredocs) {
                    while i < chars.len() {
                        let end = chars[i..]
                            .iter()
                            .position(|c| *c == '\n')
                            .map(|p| i + p)
                            .unwrap_or(chars.len());
                        let l: String = chars[i..end].iter().collect();
                        i = end + 1;
                        line += 1;
                        if l.trim() == delim {
                            break;
                        }
                    }
                }
                continue;
            }
            '#' if word.is_empty() => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
                continue;
            }
            ' ' | '\t' | '\r' => {
                flush!();
                i += 1;
                continue;
            }
            '\'' => {
                word.push(c);
                i += 1;
                while i < chars.len() && chars[i] != '\'' {
                    if chars[i] == '\n' {
                        line += 1;
                    }
                    word.push(chars[i]);
                    i += 1;
                }
                word.push('\'');
                i += 1;
                continue;
            }
            '"' | '`' => {
                word.push(c);
                i += 1;
                while i < chars.len() && chars[i] != c {
                    if chars[i] == '\\' && i + 1 < chars.len() {
                        word.push(chars[i]);
                        i += 1;
                    }
                    if chars[i] == '\n' {
                        line += 1;
                    }
                    word.push(chars[i]);
                    i += 1;
                }
                word.push(c);
                i += 1;
                continue;
            }
            '$' if matches!(chars.get(i + 1), Some('(') | Some('{')) => {
                let (open, close) = if chars[i + 1] == '(' {
                    ('(', ')')
                } else {
                    ('{', '}')
                };
                word.push('$');
                word.push(open);
                i += 2;
                let mut depth = 1;
                while i < chars.len() && depth > 0 {
                    let d = chars[i];
                    if d == open {
                        depth += 1;
                    } else if d == close {
                        depth -= 1;
                    } else if d == '\n' {
                        line += 1;
                    }
                    word.push(d);
                    i += 1;
                }
                continue;
            }
            ';' | '&' | '|' | '(' | ')' => {
                flush!();
                let rest: String = chars[i..(i + 3).min(chars.len())].iter().collect();
                let op: &'static str = if rest.starts_with(";;&") {
                    ";;&"
                } else if rest.starts_with(";;") {
                    ";;"
                } else if rest.starts_with(";&") {
                    ";&"
                } else if rest.starts_with("&&") {
                    "&&"
                } else if rest.starts_with("||") {
                    "||"
                } else {
                    match c {
                        ';' => ";",
                        '&' => "&",
                        '|' => "|",
                        '(' => "(",
                        _ => ")",
                    }
                };
                out.push(Tok::Op(op, line));
                i += op.len();
                continue;
            }
            _ => {
                word.push(c);
                i += 1;
            }
        }
    }
    if !word.is_empty() && expect_delim.is_none() {
        out.push(Tok::Word(word, word_line));
    }
    out
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Frame {
    Func(usize),
    Brace,
    If,
    Loop,
    Sub,
    /// A `case`; index into `cases`, current arm (None: reading patterns).
    Case(usize),
}

#[derive(Debug, Clone)]
struct Cmd {
    words: Vec<String>,
    line: u32,
    stack: Vec<Frame>,
    /// (case index, arm index) of each enclosing arm, innermost last.
    arms: Vec<(usize, usize)>,
}

#[derive(Debug, Clone)]
struct RawCase {
    subject: String,
    line: u32,
    end_line: u32,
    stack: Vec<Frame>,
    arms: Vec<Arm>,
    fallthrough: bool,
}

/// Reads `text` and says how it dispatches on its first argument.
pub(crate) fn recognise(text: &str) -> Dispatch {
    let toks = tokenize(text);
    let mut funcs: Vec<String> = Vec::new();
    let mut cases: Vec<RawCase> = Vec::new();
    let mut cmds: Vec<Cmd> = Vec::new();
    let mut stack: Vec<Frame> = Vec::new();
    let mut arm_of: Vec<Option<usize>> = Vec::new(); // per case: current arm
    let mut pending_func: Option<String> = None;
    let mut cur: Vec<String> = Vec::new();
    let mut cur_line = 0;
    let mut i = 0;
    let arms_now = |stack: &[Frame], arm_of: &[Option<usize>]| -> Vec<(usize, usize)> {
        stack
            .iter()
            .filter_map(|f| match f {
                Frame::Case(c) => arm_of[*c].map(|a| (*c, a)),
                _ => None,
            })
            .collect()
    };
    macro_rules! end_cmd {
        () => {
            if !cur.is_empty() {
                cmds.push(Cmd {
                    words: std::mem::take(&mut cur),
                    line: cur_line,
                    stack: stack.clone(),
                    arms: arms_now(&stack, &arm_of),
                });
            }
        };
    }
    while i < toks.len() {
        // Reading a case's patterns?
        if let Some(Frame::Case(c)) = stack.last().copied()
            && arm_of[c].is_none()
        {
            match &toks[i] {
                Tok::Op("\n", _) | Tok::Op("(", _) | Tok::Op("|", _) => {
                    i += 1;
                    continue;
                }
                Tok::Word(w, _) if w == "esac" => {
                    cases[c].end_line = tok_line(&toks[i]);
                    stack.pop();
                    i += 1;
                    continue;
                }
                Tok::Word(_, l) => {
                    let line = *l;
                    let mut pats = Vec::new();
                    while i < toks.len() {
                        match &toks[i] {
                            Tok::Word(w, _) => pats.push(w.clone()),
                            Tok::Op(")", _) => break,
                            _ => {}
                        }
                        i += 1;
                    }
                    i += 1;
                    let quoted = pats
                        .iter()
                        .map(|p| p.starts_with('"') || p.starts_with('\''))
                        .collect();
                    let patterns = pats.iter().map(|p| unquote(p)).collect();
                    cases[c].arms.push(Arm {
                        patterns,
                        quoted,
                        line,
                        exit: None,
                        passthrough: false,
                        execs: Vec::new(),
                    });
                    arm_of[c] = Some(cases[c].arms.len() - 1);
                    continue;
                }
                _ => {
                    i += 1;
                    continue;
                }
            }
        }
        match &toks[i] {
            Tok::Op(op, _) => {
                end_cmd!();
                match *op {
                    ";;" | ";&" | ";;&" => {
                        // Close frames opened inside the arm, then the arm.
                        while let Some(f) = stack.last() {
                            if let Frame::Case(c) = f {
                                if *op != ";;" {
                                    cases[*c].fallthrough = true;
                                }
                                arm_of[*c] = None;
                                break;
                            }
                            stack.pop();
                        }
                    }
                    "(" if cur.is_empty() && pending_func.is_none() => stack.push(Frame::Sub),
                    ")" if stack.last() == Some(&Frame::Sub) => {
                        stack.pop();
                    }
                    _ => {}
                }
            }
            Tok::Word(w, l) => {
                let at_start = cur.is_empty();
                if at_start {
                    cur_line = *l;
                    // `name() {` / `function name {`
                    if let Some(name) = w.strip_suffix("()") {
                        pending_func = Some(name.to_string());
                        i += 1;
                        continue;
                    }
                    if matches!(toks.get(i + 1), Some(Tok::Op("(", _)))
                        && matches!(toks.get(i + 2), Some(Tok::Op(")", _)))
                    {
                        pending_func = Some(w.clone());
                        i += 3;
                        continue;
                    }
                    match w.as_str() {
                        "function" => {
                            if let Some(Tok::Word(n, _)) = toks.get(i + 1) {
                                pending_func = Some(n.trim_end_matches("()").to_string());
                                i += 2;
                                continue;
                            }
                        }
                        "{" => {
                            if let Some(n) = pending_func.take() {
                                funcs.push(n);
                                stack.push(Frame::Func(funcs.len() - 1));
                            } else {
                                stack.push(Frame::Brace);
                            }
                            i += 1;
                            continue;
                        }
                        "}" => {
                            if matches!(stack.last(), Some(Frame::Brace | Frame::Func(_))) {
                                stack.pop();
                            }
                            i += 1;
                            continue;
                        }
                        "if" | "while" | "until" | "for" | "select" => {
                            stack.push(if w == "if" { Frame::If } else { Frame::Loop });
                        }
                        "fi" => {
                            if stack.last() == Some(&Frame::If) {
                                stack.pop();
                            }
                            i += 1;
                            continue;
                        }
                        "done" => {
                            if stack.last() == Some(&Frame::Loop) {
                                stack.pop();
                            }
                            i += 1;
                            continue;
                        }
                        "then" | "do" | "else" | "elif" | "!" => {
                            i += 1;
                            continue;
                        }
                        "case" => {
                            let subject = match toks.get(i + 1) {
                                Some(Tok::Word(s, _)) => s.clone(),
                                _ => String::new(),
                            };
                            cases.push(RawCase {
                                subject,
                                line: *l,
                                end_line: u32::MAX,
                                stack: stack.clone(),
                                arms: Vec::new(),
                                fallthrough: false,
                            });
                            arm_of.push(None);
                            stack.push(Frame::Case(cases.len() - 1));
                            // Skip the subject and `in`.
                            i += 3;
                            continue;
                        }
                        "esac" => {
                            while let Some(f) = stack.pop() {
                                if let Frame::Case(c) = f {
                                    cases[c].end_line = *l;
                                    break;
                                }
                            }
                            i += 1;
                            continue;
                        }
                        _ => {}
                    }
                    if pending_func.is_some() {
                        // `name() (` subshell bodies and other forms: not followed.
                        pending_func = None;
                    }
                }
                if w == "if" || w == "while" || w == "until" {
                    // Condition commands start after the keyword.
                    i += 1;
                    continue;
                }
                cur.push(w.clone());
            }
        }
        i += 1;
    }
    end_cmd!();
    judge_script(&funcs, cases, &cmds)
}

fn tok_line(t: &Tok) -> u32 {
    match t {
        Tok::Word(_, l) | Tok::Op(_, l) => *l,
    }
}

fn unquote(w: &str) -> String {
    let t = w.trim();
    if t.len() >= 2
        && ((t.starts_with('"') && t.ends_with('"')) || (t.starts_with('\'') && t.ends_with('\'')))
    {
        t[1..t.len() - 1].to_string()
    } else {
        t.to_string()
    }
}

/// `$1`, `"$1"`, `${1}`, `${1:-x}`, `${1-x}` → Some(default).
fn positional(w: &str) -> Option<Option<String>> {
    let t = unquote(w);
    if t == "$1" || t == "${1}" {
        return Some(None);
    }
    let inner = t.strip_prefix("${1")?.strip_suffix('}')?;
    let d = inner
        .strip_prefix(":-")
        .or_else(|| inner.strip_prefix('-'))?;
    Some(Some(unquote(d)))
}

fn mentions_first_arg(w: &str) -> bool {
    w.contains("$1") || w.contains("${1") || w.contains("$@") || w.contains("$*")
}

fn is_passthrough(words: &[String]) -> bool {
    let args: &[String] = match words.first().map(String::as_str) {
        Some("exec") => &words[1..],
        _ => words,
    };
    args.first()
        .is_some_and(|a| a == "\"$@\"" || a == "$@" || a == "\"${@}\"")
}

/// The innermost function frame of a stack.
fn scope_of(stack: &[Frame]) -> Option<usize> {
    stack.iter().rev().find_map(|f| match f {
        Frame::Func(i) => Some(*i),
        _ => None,
    })
}

/// Whether every frame inside the scope is a plain `{ }` group.
fn unconditional(stack: &[Frame]) -> bool {
    let from = stack
        .iter()
        .rposition(|f| matches!(f, Frame::Func(_)))
        .map(|p| p + 1)
        .unwrap_or(0);
    stack[from..].iter().all(|f| *f == Frame::Brace)
}

fn judge_script(funcs: &[String], cases: Vec<RawCase>, cmds: &[Cmd]) -> Dispatch {
    let top_passthrough = cmds
        .iter()
        .find(|c| c.stack.is_empty() && is_passthrough(&c.words))
        .map(|c| c.line);
    let mut found: Vec<(usize, Option<String>)> = Vec::new();
    for (ci, c) in cases.iter().enumerate() {
        let scope = scope_of(&c.stack);
        let subj = &c.subject;
        let default = if let Some(d) = positional(subj) {
            Some(d)
        } else if let Some(var) = unquote(subj)
            .strip_prefix('$')
            .map(|v| v.trim_start_matches('{').trim_end_matches('}').to_string())
            .filter(|v| v.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
        {
            // The last assignment of `var` in the same scope before the case.
            let assign = cmds.iter().rev().find_map(|cmd| {
                if cmd.line > c.line || scope_of(&cmd.stack) != scope {
                    return None;
                }
                let w = match cmd.words.first().map(String::as_str) {
                    Some("local" | "export" | "readonly" | "declare") => cmd.words.get(1)?,
                    _ => cmd.words.first()?,
                };
                let value = w.strip_prefix(&format!("{var}="))?;
                Some((value.to_string(), unconditional(&cmd.stack), cmd.line))
            });
            match assign {
                Some((v, true, _)) => match positional(&v) {
                    Some(d) => Some(d),
                    None if mentions_first_arg(&v) => {
                        return Dispatch::Unreadable {
                            line: c.line,
                            reason: format!(
                                "`case {subj}` on a value derived from $1 in a way this reader does not follow"
                            ),
                        };
                    }
                    None => None,
                },
                Some((v, false, l)) if mentions_first_arg(&v) => {
                    return Dispatch::Unreadable {
                        line: l,
                        reason: format!("{var} is set from the arguments only conditionally"),
                    };
                }
                _ => None,
            }
        } else if mentions_first_arg(subj) {
            return Dispatch::Unreadable {
                line: c.line,
                reason: format!("`case {subj}` is not a plain $1"),
            };
        } else {
            None
        };
        let Some(default) = default else { continue };
        if !unconditional(&c.stack) {
            return Dispatch::Unreadable {
                line: c.line,
                reason: "the `case` on $1 runs inside a condition, loop or another case".into(),
            };
        }
        if c.fallthrough {
            return Dispatch::Unreadable {
                line: c.line,
                reason: "the `case` uses `;&`/`;;&` fall-through".into(),
            };
        }
        // `shift`/`set --` before the case change what $1 is.
        if let Some(s) = cmds.iter().find(|cmd| {
            let w0 = cmd.words.first().map(String::as_str);
            let w1 = cmd.words.get(1).map(String::as_str);
            cmd.line < c.line
                && (scope_of(&cmd.stack) == scope || cmd.stack.is_empty())
                && (w0 == Some("shift") || (w0 == Some("set") && w1 == Some("--")))
        }) {
            return Dispatch::Unreadable {
                line: s.line,
                reason: "the arguments are shifted or reset before the `case`".into(),
            };
        }
        if let Some(f) = scope {
            let name = &funcs[f];
            let calls: Vec<&Cmd> = cmds
                .iter()
                .filter(|cmd| {
                    cmd.stack.iter().all(|fr| *fr == Frame::Brace)
                        && (cmd.words.first() == Some(name)
                            || (cmd.words.first().map(String::as_str) == Some("exec")
                                && cmd.words.get(1) == Some(name)))
                })
                .collect();
            let plain = calls.len() == 1 && {
                let w = &calls[0].words;
                let args = if w[0] == "exec" { &w[2..] } else { &w[1..] };
                args.len() == 1 && is_passthrough(args)
            };
            if !plain {
                return Dispatch::Unreadable {
                    line: c.line,
                    reason: format!(
                        "the `case` is in `{name}()`, which is not called once as `{name} \"$@\"`"
                    ),
                };
            }
        }
        found.push((ci, default));
    }
    let Some((ci, default)) = found.first().cloned() else {
        return Dispatch::None {
            passthrough: top_passthrough,
        };
    };
    if found.len() > 1 {
        return Dispatch::Unreadable {
            line: cases[found[1].0].line,
            reason: "more than one `case` on $1".into(),
        };
    }
    let c = &cases[ci];
    let mut arms = c.arms.clone();
    for (ai, arm) in arms.iter_mut().enumerate() {
        for cmd in cmds.iter().filter(|cmd| cmd.arms.contains(&(ci, ai))) {
            let direct = cmd.arms.last() == Some(&(ci, ai))
                && cmd
                    .stack
                    .iter()
                    .rposition(|f| *f == Frame::Case(ci))
                    .is_some_and(|p| cmd.stack[p + 1..].iter().all(|f| *f == Frame::Brace));
            if is_passthrough(&cmd.words) {
                arm.passthrough = true;
            } else if direct
                && cmd.words.first().map(String::as_str) == Some("exec")
                && let Some(p) = cmd.words.get(1).map(|w| unquote(w))
                && !p.starts_with('-')
                && !p.contains(['$', '`'])
            {
                arm.execs.push((p, cmd.line));
            }
            if direct
                && cmd.words.first().map(String::as_str) == Some("exit")
                && cmd
                    .words
                    .get(1)
                    .and_then(|n| n.parse::<i32>().ok())
                    .is_some_and(|n| n != 0)
                && arm.exit.is_none()
            {
                arm.exit = Some(cmd.line);
            }
        }
    }
    let scope = scope_of(&c.stack);
    let fallthrough_passthrough = cmds
        .iter()
        .find(|cmd| {
            cmd.line > c.end_line
                && scope_of(&cmd.stack) == scope
                && unconditional(&cmd.stack)
                && is_passthrough(&cmd.words)
        })
        .map(|cmd| cmd.line)
        .or(top_passthrough.filter(|l| *l > c.end_line));
    Dispatch::Case(CaseDispatch {
        line: c.line,
        default,
        arms,
        fallthrough_passthrough,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn case(text: &str) -> CaseDispatch {
        match recognise(text) {
            Dispatch::Case(c) => c,
            other => panic!("{other:?}"),
        }
    }

    const DOTMAC: &str = "#!/bin/bash\nset -e\nwait_for_redis() {\n    while [ $a -le $b ]; do\n        if nc -z \"${REDIS__HOST:-redis}\" 6379; then\n            return 0\n        fi\n    done\n    exit 1\n}\nmain() {\n    wait_for_redis\n    COMMAND=${1:-worker}\n    case \"$COMMAND\" in\n        worker)\n            exec celery -A ${CELERY_APP} worker \\\n                --loglevel=${CELERY_LOGLEVEL}\n            ;;\n        beat)\n            exec celery beat\n            ;;\n        *)\n            echo \"Unknown command: $COMMAND\"\n            exit 1\n            ;;\n    esac\n}\n# Run main function\nmain \"$@\"\n";

    #[test]
    fn reads_a_case_in_main_called_with_all_arguments() {
        let c = case(DOTMAC);
        assert_eq!(c.line, 14);
        assert_eq!(c.default.as_deref(), Some("worker"));
        assert_eq!(c.accepted_words(), ["worker", "beat"]);
        match c.judge(Some("celery")) {
            Verdict::Rejected(a) => assert_eq!((a.line, a.exit), (22, Some(24))),
            v => panic!("{v:?}"),
        }
        assert!(matches!(c.judge(None), Verdict::Accepted(a) if a.line == 15));
        assert!(matches!(c.judge(Some("beat")), Verdict::Accepted(_)));
    }

    #[test]
    fn records_the_programs_each_arm_execs() {
        let c = case(DOTMAC);
        assert_eq!(c.arms[0].execs, [("celery".to_string(), 16)]);
        assert_eq!(c.arms[1].execs, [("celery".to_string(), 20)]);
        assert!(c.arms[2].execs.is_empty());
        // A conditional exec, a variable program and `exec "$@"` are not recorded.
        let t = "#!/bin/sh\ncase \"$1\" in\n  api) if [ -n \"$X\" ]; then exec gunicorn a; fi; exec \"$SERVER\" ;;\n  *) exec \"$@\" ;;\nesac\n";
        let c = case(t);
        assert!(c.arms[0].execs.is_empty(), "{:?}", c.arms[0].execs);
        assert!(c.arms[1].execs.is_empty() && c.arms[1].passthrough);
    }

    #[test]
    fn top_level_case_with_passthrough_default() {
        let t = "#!/bin/sh\ncase \"$1\" in\n  api|web) exec gunicorn app ;;\n  -*) set -- gunicorn \"$@\" ;;\n  *) exec \"$@\" ;;\nesac\n";
        let c = case(t);
        assert!(matches!(c.judge(Some("web")), Verdict::Accepted(a) if a.line == 3));
        assert!(matches!(c.judge(Some("--workers")), Verdict::Accepted(a) if a.line == 4));
        assert!(matches!(c.judge(Some("celery")), Verdict::Accepted(a) if a.passthrough));
    }

    #[test]
    fn no_matching_arm_then_exec_args_is_recorded() {
        let t = "#!/bin/sh\ncase \"$1\" in\n  migrate) alembic upgrade head; exit 0 ;;\nesac\nexec \"$@\"\n";
        let c = case(t);
        assert_eq!(c.fallthrough_passthrough, Some(5));
        assert_eq!(c.judge(Some("uvicorn")), Verdict::Passthrough(5));
    }

    #[test]
    fn scripts_without_dispatch_are_none() {
        let t = "#!/bin/sh\nset -e\nif [ \"${1#-}\" != \"$1\" ]; then\n  set -- redis-server \"$@\"\nfi\nexec \"$@\"\n";
        assert_eq!(
            recognise(t),
            Dispatch::None {
                passthrough: Some(6)
            }
        );
        let here = "#!/bin/sh\ncat <<EOF\ncase \"$1\" in\nEOF\nexec app\n";
        assert_eq!(recognise(here), Dispatch::None { passthrough: None });
    }

    #[test]
    fn clever_scripts_are_unreadable_not_guessed() {
        let shifted = "#!/bin/sh\nshift\ncase \"$1\" in\n a) exit 1;;\nesac\n";
        assert!(matches!(
            recognise(shifted),
            Dispatch::Unreadable { line: 2, .. }
        ));
        let cond = "#!/bin/sh\nif [ -n \"$1\" ]; then\n case \"$1\" in\n a) exit 1;;\n esac\nfi\n";
        assert!(matches!(
            recognise(cond),
            Dispatch::Unreadable { line: 3, .. }
        ));
        let uncalled = "#!/bin/sh\nrun() {\n case \"$1\" in\n a) exit 1;;\n esac\n}\nrun api\n";
        assert!(matches!(
            recognise(uncalled),
            Dispatch::Unreadable { line: 3, .. }
        ));
        let derived =
            "#!/bin/sh\nCMD=$(echo \"$1\" | tr A-Z a-z)\ncase \"$CMD\" in\n a) exit 1;;\nesac\n";
        assert!(matches!(recognise(derived), Dispatch::Unreadable { .. }));
    }
}
