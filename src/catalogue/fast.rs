//! A fast YAML event reader for the plain subset most catalogues are
//! written in, producing exactly yaml_rust2's events and marks, or giving up.
//!
//! yaml_rust2's scanner costs ~250 instructions per character (it reads
//! `char`s through a look-ahead ring buffer); on a catalogue of one-line
//! checks it was half of loading. This reader handles block mappings and
//! sequences, one-line flow collections, one-line plain and quoted scalars,
//! folded `>-` scalars of evenly indented lines, and comments, in printable
//! text (non-ASCII too: marks count chars, as yaml_rust2's do). Anything else
//! (anchors, tags, other block scalars, multi-line scalars, tabs, control and
//! break-like characters, odd indentation, anything yaml_rust2 would refuse)
//! makes it give up: the caller then reads the file
//! again with yaml_rust2, so diagnostics stay yaml_rust2's. The reference
//! test compares both readers' events on every bundled catalogue and many
//! mutations of them.

use yaml_rust2::parser::Event;
use yaml_rust2::scanner::TScalarStyle;

/// A position as yaml_rust2 gives it: char index, 1-based line, 0-based
/// column in chars.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Mark {
    pub(super) index: usize,
    pub(super) line: usize,
    pub(super) col: usize,
}

/// Why reading stopped early.
pub(super) enum Stop<E> {
    /// The text is outside the subset: read it with yaml_rust2.
    GiveUp,
    /// The receiver refused an event.
    Receiver(E),
}

/// Deepest nesting read here; deeper input goes to yaml_rust2 (whose
/// builder reports the nesting limit).
const MAX_DEPTH: usize = 32;

/// Longest key read here (yaml_rust2 limits simple keys to 1,024 chars).
const MAX_KEY: usize = 512;

/// Reads `text`, handing each event to `emit` in yaml_rust2's order with
/// yaml_rust2's marks.
pub(super) fn events<E>(
    text: &str,
    emit: &mut dyn FnMut(Event, Mark) -> Result<(), E>,
) -> Result<(), Stop<E>> {
    let s = text.as_bytes();
    if s.last() != Some(&b'\n') {
        return Err(Stop::GiveUp);
    }
    let ascii = s.iter().all(|&b| b == b'\n' || (0x20..0x7f).contains(&b));
    // Beyond ASCII: printable characters only. C1 controls, NEL, the line
    // and paragraph separators and the byte-order mark are where YAML
    // readers differ; they stay yaml_rust2's.
    if !ascii
        && !text.chars().all(|c| {
            c == '\n'
                || (' '..='~').contains(&c)
                || (c >= '\u{a0}' && !matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}'))
        })
    {
        return Err(Stop::GiveUp);
    }
    let mut r = Reader {
        s,
        text,
        ascii,
        skew: 0,
        pos: 0,
        line: 1,
        line_start: 0,
        depth: 0,
        doc_start: true,
        held: None,
        spare: Vec::new(),
        emit,
    };
    r.out(
        Event::StreamStart,
        Mark {
            index: 0,
            line: 1,
            col: 0,
        },
    )?;
    r.next_content();
    if r.pos >= s.len() || r.pos != r.line_start {
        return Err(Stop::GiveUp);
    }
    r.block_map(0)?;
    if r.pos < s.len() {
        return Err(Stop::GiveUp);
    }
    let end = r.here();
    r.out(Event::DocumentEnd, end)?;
    r.out(Event::StreamEnd, end)
}

struct Reader<'t, 'e, E> {
    s: &'t [u8],
    text: &'t str,
    /// The text is ASCII: byte offsets are char offsets.
    ascii: bool,
    /// UTF-8 continuation bytes before `line_start` (bytes that are not
    /// chars of their own).
    skew: usize,
    pos: usize,
    line: usize,
    line_start: usize,
    depth: usize,
    /// The implicit document start is still to be sent (with the first
    /// mapping's mark).
    doc_start: bool,
    /// Events of a line value not yet known to be complete.
    held: Option<Vec<(Event, Mark)>>,
    /// The held buffer, kept for the next line.
    spare: Vec<(Event, Mark)>,
    emit: &'e mut dyn FnMut(Event, Mark) -> Result<(), E>,
}

type R<E> = Result<(), Stop<E>>;

fn key_start(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

fn key_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-' | b'/')
}

fn flow(b: u8) -> bool {
    matches!(b, b',' | b'[' | b']' | b'{' | b'}')
}

impl<E> Reader<'_, '_, E> {
    fn out(&mut self, ev: Event, m: Mark) -> R<E> {
        if let Some(held) = &mut self.held {
            held.push((ev, m));
            return Ok(());
        }
        (self.emit)(ev, m).map_err(Stop::Receiver)
    }

    /// A value written on the rest of a line, in block context, held back
    /// until the lines after it show it is complete (not continued on the
    /// next line, not a key): then every event handed over is one
    /// yaml_rust2 gives too, even when this reader gives up later.
    fn line_value(&mut self, n: usize, in_seq: bool) -> R<E> {
        self.held = Some(std::mem::take(&mut self.spare));
        if !in_seq && self.s[self.pos..].starts_with(b">-\n") {
            self.folded_strip(n)?;
        } else {
            self.inline_value()?;
            self.end_line()?;
        }
        self.next_content();
        let complete = match self.indent() {
            Some(m) if m == n => in_seq == self.seq_entry(),
            Some(m) => m < n,
            None => true,
        };
        if !complete {
            return Err(Stop::GiveUp);
        }
        let mut held = self.held.take().unwrap_or_default();
        for (ev, m) in held.drain(..) {
            (self.emit)(ev, m).map_err(Stop::Receiver)?;
        }
        self.spare = held;
        Ok(())
    }

    fn at(&self, i: usize) -> u8 {
        self.s.get(i).copied().unwrap_or(b'\n')
    }

    fn mark(&self, i: usize) -> Mark {
        let in_line = if self.ascii {
            0
        } else {
            continuation_bytes(&self.s[self.line_start..i])
        };
        Mark {
            index: i - self.skew - in_line,
            line: self.line,
            col: i - self.line_start - in_line,
        }
    }

    /// From the break at the cursor to the start of the next line.
    fn next_line(&mut self) {
        self.pos += 1;
        self.line += 1;
        if !self.ascii {
            self.skew += continuation_bytes(&self.s[self.line_start..self.pos]);
        }
        self.line_start = self.pos;
    }

    fn here(&self) -> Mark {
        self.mark(self.pos)
    }

    fn spaces(&mut self) {
        while self.at(self.pos) == b' ' {
            self.pos += 1;
        }
    }

    /// From the start of a line: past blank and comment-only lines, to the
    /// first non-space character of the next content line (or the end).
    fn next_content(&mut self) {
        loop {
            if self.pos >= self.s.len() {
                return;
            }
            self.spaces();
            match self.at(self.pos) {
                b'\n' => {}
                b'#' => {
                    while self.at(self.pos) != b'\n' {
                        self.pos += 1;
                    }
                }
                _ => return,
            }
            self.next_line();
        }
    }

    /// The rest of a line after a value: spaces, maybe a comment, the break.
    fn end_line(&mut self) -> R<E> {
        let before = self.pos;
        self.spaces();
        match self.at(self.pos) {
            b'#' if self.pos > before => {
                while self.at(self.pos) != b'\n' {
                    self.pos += 1;
                }
            }
            b'\n' => {}
            _ => return Err(Stop::GiveUp),
        }
        self.next_line();
        Ok(())
    }

    /// Indentation of the line the cursor's token is on (`None` at the end).
    fn indent(&self) -> Option<usize> {
        (self.pos < self.s.len()).then(|| self.pos - self.line_start)
    }

    fn seq_entry(&self) -> bool {
        self.at(self.pos) == b'-' && self.at(self.pos + 1) == b' '
    }

    fn enter(&mut self) -> R<E> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(Stop::GiveUp);
        }
        Ok(())
    }

    /// The length of a `key:` at the cursor followed by a space or break,
    /// if there is one.
    fn key_len(&self) -> Option<usize> {
        if !key_start(self.at(self.pos)) {
            return None;
        }
        let mut i = self.pos + 1;
        while key_char(self.at(i)) {
            i += 1;
        }
        let len = i - self.pos;
        (len <= MAX_KEY && self.at(i) == b':' && matches!(self.at(i + 1), b' ' | b'\n'))
            .then_some(len)
    }

    /// A block mapping whose first key is at the cursor, at column `n`.
    fn block_map(&mut self, n: usize) -> R<E> {
        self.enter()?;
        let mut first = true;
        loop {
            let Some(len) = self.key_len() else {
                return Err(Stop::GiveUp);
            };
            let key_at = self.pos;
            let colon = self.mark(key_at + len);
            if first {
                if self.doc_start {
                    self.doc_start = false;
                    self.out(Event::DocumentStart, colon)?;
                }
                self.out(Event::MappingStart(0, None), colon)?;
                first = false;
            }
            let key = self.text[key_at..key_at + len].to_string();
            self.out(
                Event::Scalar(key, TScalarStyle::Plain, 0, None),
                self.mark(key_at),
            )?;
            self.pos = key_at + len + 1;
            self.spaces();
            match self.at(self.pos) {
                b'#' | b'\n' => {
                    self.end_line()?;
                    self.next_content();
                    match self.indent() {
                        Some(m) if m > n && self.seq_entry() => self.block_seq(m)?,
                        Some(m) if m > n => self.block_map(m)?,
                        _ => return Err(Stop::GiveUp),
                    }
                }
                _ => self.line_value(n, false)?,
            }
            match self.indent() {
                Some(m) if m == n && !self.seq_entry() => {}
                Some(m) if m < n => break,
                None => break,
                _ => return Err(Stop::GiveUp),
            }
        }
        self.depth -= 1;
        let end = self.here();
        self.out(Event::MappingEnd, end)
    }

    /// A block sequence whose first `- ` is at the cursor, at column `n`.
    fn block_seq(&mut self, n: usize) -> R<E> {
        self.enter()?;
        self.out(Event::SequenceStart(0, None), self.here())?;
        loop {
            self.pos += 1;
            self.spaces();
            match self.at(self.pos) {
                b'-' | b'#' | b'\n' => return Err(Stop::GiveUp),
                _ => {}
            }
            if self.key_len().is_some() {
                let col = self.pos - self.line_start;
                self.block_map(col)?;
            } else {
                self.line_value(n, true)?;
            }
            match self.indent() {
                Some(m) if m == n && self.seq_entry() => {}
                Some(m) if m < n => break,
                None => break,
                _ => return Err(Stop::GiveUp),
            }
        }
        self.depth -= 1;
        let end = self.here();
        self.out(Event::SequenceEnd, end)
    }

    /// A `>-` scalar (folded, trailing breaks stripped) at the cursor, the
    /// value of a key at column `n`: lines all at one indentation deeper
    /// than `n`, none blank, more indented or ending in a space (each of
    /// those folds differently), in ASCII; blank lines after it. Leaves the cursor at
    /// the start of the first line after it.
    fn folded_strip(&mut self, n: usize) -> R<E> {
        // yaml_rust2 marks the scalar where its first line's text starts.
        let mut mark = None;
        self.pos += 2;
        self.next_line();
        let mut indent = None;
        let mut blank = false;
        let mut value = String::new();
        while self.pos < self.s.len() {
            let mut i = self.pos;
            while self.at(i) == b' ' {
                i += 1;
            }
            let at = i - self.pos;
            if self.at(i) == b'\n' {
                if at > 0 || indent.is_none() {
                    return Err(Stop::GiveUp);
                }
                blank = true;
                self.pos = i;
                self.next_line();
                continue;
            }
            match indent {
                None if at > n => {
                    indent = Some(at);
                    mark = Some(self.mark(i));
                }
                Some(c) if at == c && !blank => {}
                Some(_) if at <= n => break,
                _ => return Err(Stop::GiveUp),
            }
            let mut end = i;
            while self.at(end) != b'\n' {
                end += 1;
            }
            // yaml_rust2 counts most of a block scalar line's characters in
            // bytes (its `index` runs ahead past non-ASCII ones): left to it.
            if self.at(end - 1) == b' ' || !self.s[i..end].is_ascii() {
                return Err(Stop::GiveUp);
            }
            if !value.is_empty() {
                value.push(' ');
            }
            value.push_str(&self.text[i..end]);
            self.pos = end;
            self.next_line();
        }
        let Some(mark) = mark else {
            return Err(Stop::GiveUp);
        };
        self.out(Event::Scalar(value, TScalarStyle::Folded, 0, None), mark)
    }

    /// A value on the rest of a line in block context.
    fn inline_value(&mut self) -> R<E> {
        match self.at(self.pos) {
            b'{' => self.flow_map(),
            b'[' => self.flow_seq(),
            b'\'' | b'"' => self.quoted(),
            _ => self.plain(false),
        }
    }

    /// A value inside a flow collection, and the spaces after it.
    fn flow_value(&mut self) -> R<E> {
        match self.at(self.pos) {
            b'{' => self.flow_map()?,
            b'[' => self.flow_seq()?,
            b'\'' | b'"' => self.quoted()?,
            _ => self.plain(true)?,
        }
        self.spaces();
        Ok(())
    }

    fn plain_start(&self) -> bool {
        let b = self.at(self.pos);
        b.is_ascii_alphanumeric()
            || matches!(
                b,
                b'_' | b'.' | b'/' | b'$' | b'~' | b'^' | b'(' | b')' | b'=' | b'+' | b'\\' | b'<'
            )
            || (b == b'-'
                && (self.at(self.pos + 1).is_ascii_alphanumeric() || self.at(self.pos + 1) == b'.'))
    }

    /// A one-line plain scalar. In flow context it ends at `,`, `]` or `}`
    /// (after trailing spaces); in block context at the break or a comment.
    fn plain(&mut self, in_flow: bool) -> R<E> {
        if !self.plain_start() {
            return Err(Stop::GiveUp);
        }
        let start = self.pos;
        let mut end = start;
        let mut i = start;
        loop {
            let b = self.at(i);
            match b {
                b'\n' if in_flow => return Err(Stop::GiveUp),
                b'\n' => break,
                b' ' => {
                    if self.at(i + 1) == b'#' {
                        if in_flow {
                            return Err(Stop::GiveUp);
                        }
                        break;
                    }
                }
                b':' => {
                    let next = self.at(i + 1);
                    if next == b' ' || next == b'\n' || (in_flow && flow(next)) {
                        return Err(Stop::GiveUp);
                    }
                    end = i + 1;
                }
                b'-' if in_flow && flow(self.at(i + 1)) => return Err(Stop::GiveUp),
                b',' | b']' | b'}' if in_flow => break,
                b'[' | b'{' if in_flow => return Err(Stop::GiveUp),
                _ => end = i + 1,
            }
            i += 1;
        }
        let value = self.text[start..end].to_string();
        self.out(
            Event::Scalar(value, TScalarStyle::Plain, 0, None),
            self.mark(start),
        )?;
        self.pos = end;
        Ok(())
    }

    /// A one-line quoted scalar (double-quoted only without escapes).
    fn quoted(&mut self) -> R<E> {
        let start = self.pos;
        let q = self.at(start);
        let mut value = String::new();
        let mut i = start + 1;
        let mut from = i;
        loop {
            match self.at(i) {
                b'\n' | b'\\' if q == b'"' => return Err(Stop::GiveUp),
                b'\n' => return Err(Stop::GiveUp),
                b'\'' if q == b'\'' && self.at(i + 1) == b'\'' => {
                    value.push_str(&self.text[from..=i]);
                    i += 2;
                    from = i;
                    continue;
                }
                b if b == q => break,
                _ => {}
            }
            i += 1;
        }
        value.push_str(&self.text[from..i]);
        let style = if q == b'"' {
            TScalarStyle::DoubleQuoted
        } else {
            TScalarStyle::SingleQuoted
        };
        self.out(Event::Scalar(value, style, 0, None), self.mark(start))?;
        self.pos = i + 1;
        Ok(())
    }

    /// `{key: value, …}` on one line.
    fn flow_map(&mut self) -> R<E> {
        self.enter()?;
        self.out(Event::MappingStart(0, None), self.here())?;
        self.pos += 1;
        self.spaces();
        if self.at(self.pos) != b'}' {
            loop {
                let Some(len) = self
                    .key_len()
                    .filter(|&l| self.at(self.pos + l + 1) == b' ')
                else {
                    return Err(Stop::GiveUp);
                };
                let key = self.text[self.pos..self.pos + len].to_string();
                self.out(
                    Event::Scalar(key, TScalarStyle::Plain, 0, None),
                    self.here(),
                )?;
                self.pos += len + 1;
                self.spaces();
                self.flow_value()?;
                match self.at(self.pos) {
                    b',' => {
                        self.pos += 1;
                        self.spaces();
                        if self.at(self.pos) == b'}' {
                            return Err(Stop::GiveUp);
                        }
                    }
                    b'}' => break,
                    _ => return Err(Stop::GiveUp),
                }
            }
        }
        self.depth -= 1;
        self.out(Event::MappingEnd, self.here())?;
        self.pos += 1;
        Ok(())
    }

    /// `[value, …]` on one line.
    fn flow_seq(&mut self) -> R<E> {
        self.enter()?;
        self.out(Event::SequenceStart(0, None), self.here())?;
        self.pos += 1;
        self.spaces();
        if self.at(self.pos) != b']' {
            loop {
                self.flow_value()?;
                match self.at(self.pos) {
                    b',' => {
                        self.pos += 1;
                        self.spaces();
                        if self.at(self.pos) == b']' {
                            return Err(Stop::GiveUp);
                        }
                    }
                    b']' => break,
                    _ => return Err(Stop::GiveUp),
                }
            }
        }
        self.depth -= 1;
        self.out(Event::SequenceEnd, self.here())?;
        self.pos += 1;
        Ok(())
    }
}

/// How many of `bytes` continue a UTF-8 character rather than start one.
fn continuation_bytes(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| b & 0xc0 == 0x80).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    type Stream = Vec<(Event, Mark)>;

    const ONE_LINE_CHECKS: &str = "version: 1\nchecks:\n  - {id: env.s0000, kind: env_file, path: .env.0000, required: [SECRET_KEY, DATABASE_URL], forbidden: [DEBUG], values: {ENVIRONMENT: production}}\n  - {id: f.000001, kind: file, path: marker.sh, not_empty: true}\n";

    /// yaml_rust2's whole stream, or its error.
    fn reference(text: &str) -> Result<Stream, String> {
        let mut p = yaml_rust2::parser::Parser::new_from_str(text);
        let mut out = Vec::new();
        loop {
            let (ev, m) = p.next_token().map_err(|e| e.to_string())?;
            let end = ev == Event::StreamEnd;
            out.push((
                ev,
                Mark {
                    index: m.index(),
                    line: m.line(),
                    col: m.col(),
                },
            ));
            if end {
                return Ok(out);
            }
        }
    }

    /// This reader's events, and whether it read the whole text.
    fn ours(text: &str) -> (Stream, bool) {
        let mut out = Vec::new();
        let r = events::<()>(text, &mut |ev, m| {
            out.push((ev, m));
            Ok(())
        });
        (out, r.is_ok())
    }

    /// Whole: exactly yaml_rust2's stream. Given up: what was handed over
    /// is the start of yaml_rust2's stream (when yaml_rust2 reads it).
    fn agrees(text: &str) -> bool {
        let (got, whole) = ours(text);
        let want = reference(text);
        if whole {
            if let Ok(want) = &want {
                // The first difference, not two whole streams.
                let at = got.iter().zip(want).position(|(g, w)| g != w);
                assert!(
                    at.is_none() && got.len() == want.len(),
                    "{text:?}\nfirst difference at event {at:?}: ours {:?}, yaml_rust2 {:?}",
                    at.map(|i| &got[i]),
                    at.map(|i| &want[i]),
                );
            }
            assert_eq!(Ok(&got), want.as_ref(), "{text:?}");
        } else if let Ok(want) = &want {
            assert!(
                want.starts_with(&got),
                "{text:?}\nours {got:?}\nyaml_rust2 {want:?}"
            );
        }
        whole
    }

    fn corpus() -> Vec<String> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("checks");
        let mut texts: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
            .collect();
        // The bundled files in ASCII and without block scalars, so more of
        // them is read here.
        let ascii: Vec<String> = texts
            .iter()
            .map(|t| {
                t.chars()
                    .map(|c| if c.is_ascii() { c } else { 'x' })
                    .collect::<String>()
                    .replace(">-\n", "x\n")
            })
            .collect();
        texts.extend(ascii);
        for t in [
            ONE_LINE_CHECKS,
            "# head\n\nversion: 1 # v\ndefaults:\n  severity: high\n  timeout: 3s\nvars:\n  dir: scripts\n  pw: {value: 'hunter2', secret: true}\nenv_files: [.env.production]\nchecks:\n  # a comment\n  - id: a.b\n    kind: file\n    path: ${dir}/x   \n    contains: '^#!'\n    title: \"Some title: here\"\n    tags: [a, 'b c', \"d\"]\n\n  - id: c\n    kind: http\n    url: https://u:p@h:8443/x?y=1&z=2\n    headers:\n      X-Api-Key: k3y\n    expect:\n      status: [200, 204]\n    capture: {tok: $.token}\n# tail\n",
            "a: 1\nb:\n  c: { id: a , k: [ ], m: {} }\n\n# end\n\n",
            "a: {url: http://x:80/y?z=1, t: some text here  , q: 'it''s'}\nb: \"q\" # c\nc: -1\n",
            "checks:\n  - id: b\n    k:\n      - 1\n      - [a, [b, {c: d}]]\n  - c\n  - 'd'\n",
            "version: 1\nchecks:\n- id: a\n  kind: file\n",
            "version: 1\nchecks:\n  - id: a\n    title: long\n      continued\n",
            "version: 1\nchecks:\n  - foo\n    bar\n",
            "version: 1\nchecks:\n  - {a: b}: c\n",
            "version: 1\nx: &a 1\nchecks: []\n",
            "version: 1\nchecks:\n  - id: a\n   kind: [\n",
            "a: b: c\n",
            "a: 1",
            "",
            "\n# only\n",
            "---\na: 1\n",
            "a:\n  - x\n b: 1\n",
            "a: x #c\nb: x#c\nc: 'x'#c\n",
            "a: [x, y,]\n",
            "a: [x: y]\n",
            "a: {x: ${dir}/y}\n",
            "a: \"x\\ny\"\n",
            "a: 'x\n  y'\n",
            "a: |\n  x\n",
            "a:\n\nb: 1\n",
            "a: - b\n",
            "a: -1\nb: -.5\nc: ~\nd: null\ne: 'it''s'''\n",
            "a:\n  b:\n    c:\n      - d\n      - e: f\n        g: h\n      - i\n  j: k\nl: m\n",
            // Beyond ASCII: in comments, plain and quoted scalars, flow
            // collections, keys, and the characters left to yaml_rust2.
            "# PostgreSQL — the “checklist”\na: café # naïve\nb: [x, ñ, 'ö', \"ü\"]\nc: {d: …, e: 1}\n",
            "checks:\n  - id: a\n    title: Ünïcode — ☃ 𝄞 mixed, then: ascii\n    tags: [é, b]\n",
            "é: 1\n",
            "a: é\u{2028}b\n",
            "a: \u{feff}x\n",
            "a: x\u{85}y\n",
            "a: x\u{a0}y\n",
            // Folded `>-` scalars, and the shapes next to them.
            "a:\n  b: >-\n    one two\n    three — four\n\n  c: d\ne: >-\n  x\n",
            "checks:\n  - id: a\n    description: >-\n      Line one: with colon\n      # not a comment\n    kind: file\n  - id: b\n",
            "a: >-\n  x\n   y\n",
            "a: >-\n  x\n\n  y\n",
            "a: >-\n\n  x\n",
            "a: >-\n  x \n",
            "a: >-\nb: 1\n",
            "a: >-\n  x\n # c\nb: 1\n",
            "a: >-\n  x\n",
            "a: >- # c\n  x\n",
            "a: >\n  x\n",
            "a: |-\n  x\n",
            "a:\n  - >-\n    x\n",
            "a:\n  b: >-\n    x\n c: 1\n",
            "a: >-\n  xé\nb: 1\n",
            "é: 1\nb: >-\n  x\n\nc: ü\n",
        ] {
            texts.push(t.to_string());
        }
        texts
    }

    /// The reference test: yaml_rust2's events and marks, on every bundled
    /// catalogue, the shapes large catalogues have, and YAML mistakes.
    #[test]
    fn gives_yaml_rust2_s_events_or_gives_up() {
        let mut whole = 0;
        for t in corpus() {
            whole += usize::from(agrees(&t));
        }
        assert!(whole >= 6, "the fast reader read only {whole} texts");
        // Every bundled catalogue file is read here (they have em dashes
        // and `>-` descriptions): loading them with yaml_rust2 was 5.7 M
        // of the bundled run's 69 M instructions.
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("checks");
        for e in std::fs::read_dir(dir).unwrap() {
            let path = e.unwrap().path();
            let text = std::fs::read_to_string(&path).unwrap();
            assert!(agrees(&text), "{} is given up on", path.display());
        }
        assert!(ours(ONE_LINE_CHECKS).1, "one-line checks are read here");
    }

    /// Every one-character mutation of the texts read here, at every
    /// position: read exactly as yaml_rust2 does, or given up on.
    #[test]
    fn mutations_are_read_as_yaml_rust2_reads_them_or_given_up() {
        const INSERTS: &[&str] = &[
            " ", ":", "-", "#", "{", "}", "[", "]", ",", "'", "\"", "\n", "a", "  ", ": ", "- ",
            "&", "*", "!", "|", ">", "?", "%", "@", "\\", "$", "é", "—", "\u{2028}", "\u{feff}",
            "\u{85}", ">-\n", "\n  ",
        ];
        // The short ones (the long bundled files get line mutations).
        let texts: Vec<String> = corpus()
            .into_iter()
            .filter(|t| t.len() < 2000 && ours(t).1)
            .collect();
        assert!(texts.len() >= 5);
        let mut tried = 0;
        for t in &texts {
            // At some 40 positions per text, spread (the test stays quick;
            // the positions differ from text to text).
            let step = (t.len() / 60).max(1);
            for at in (0..=t.len())
                .step_by(step)
                .filter(|&at| t.is_char_boundary(at))
            {
                let mut del = t.clone();
                if at < t.len() {
                    del.remove(at);
                    agrees(&del);
                }
                for ins in INSERTS {
                    let mut m = t.clone();
                    m.insert_str(at, ins);
                    agrees(&m);
                    tried += 1;
                }
            }
        }
        assert!(tried > 5000, "{tried}");
    }

    /// Lines indented one more or one less, removed, or doubled.
    #[test]
    fn line_mutations_are_read_as_yaml_rust2_reads_them_or_given_up() {
        let mut whole = 0;
        for t in corpus().into_iter().filter(|t| ours(t).1) {
            let lines: Vec<&str> = t.split_inclusive('\n').collect();
            // Long texts at some 40 lines.
            for i in (0..lines.len()).step_by(lines.len().div_ceil(40)) {
                let mut variants = vec![format!(" {}", lines[i])];
                if let Some(rest) = lines[i].strip_prefix(' ') {
                    variants.push(rest.to_string());
                }
                variants.push(String::new());
                variants.push(format!("{0}{0}", lines[i]));
                for v in variants {
                    let mut m: Vec<&str> = lines.clone();
                    m[i] = &v;
                    whole += usize::from(agrees(&m.concat()));
                }
            }
        }
        assert!(whole > 50, "{whole}");
    }
}
