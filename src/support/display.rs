//! Text from the outside world made safe to show: control characters
//! escaped, huge values clipped.
//!
//! A scanned line, a command's output, a file name or a server's message can
//! hold a terminal escape (`ESC[2J`, a fake colour), a carriage return that
//! overwrites what the table printed, a bidi override that reorders it, or a
//! megabyte of one line. Text renderers pass every such string through
//! [`escape_controls`] and [`clip`], so what a user reads is what was there,
//! and no value can forge a row.

use std::borrow::Cow;

/// Longest text a renderer shows in one cell, in characters.
pub(crate) const MAX_CELL_CHARS: usize = 2000;

fn needs_escape(c: char) -> bool {
    (c.is_control() && c != '\n')
        || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}')
}

/// `s` with every control character but `\n` written as an escape: `\t` as
/// a space, `\r` as `\r`, ESC as `\x1b`, other C0/C1 controls as `\xNN`, bidi
/// controls as `\u{202e}`. Newlines are kept: renderers decide what a line
/// break may do (the table indents it, Markdown writes `<br>`).
pub(crate) fn escape_controls(s: &str) -> Cow<'_, str> {
    if !s.chars().any(needs_escape) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\t' => out.push(' '),
            '\r' => out.push_str("\\r"),
            c if needs_escape(c) && (c as u32) < 0x100 => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c if needs_escape(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// `s` cut to `max` characters, saying how much was left out.
pub(crate) fn clip(s: &str, max: usize) -> Cow<'_, str> {
    match s.char_indices().nth(max) {
        None => Cow::Borrowed(s),
        Some((at, _)) => {
            let rest = s[at..].chars().count();
            Cow::Owned(format!("{}… ({rest} more characters)", &s[..at]))
        }
    }
}

/// [`clip`] to [`MAX_CELL_CHARS`], then [`escape_controls`].
pub(crate) fn for_display(s: &str) -> String {
    escape_controls(&clip(s, MAX_CELL_CHARS)).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_terminal_controls_and_keeps_newlines() {
        assert_eq!(
            escape_controls("a\u{1b}[2Jb\rc\td\u{0}e\u{9b}f\u{202e}g\nh"),
            "a\\x1b[2Jb\\rc d\\x00e\\x9bf\\u{202e}g\nh"
        );
        assert!(matches!(escape_controls("plain ü ✓"), Cow::Borrowed(_)));
    }

    #[test]
    fn clips_and_says_how_much() {
        assert_eq!(clip("abcdef", 4), "abcd… (2 more characters)");
        assert_eq!(clip("abc", 4), "abc");
        let shown = for_display(&"x".repeat(1_000_000));
        assert!(shown.ends_with("… (998000 more characters)"), "{shown}");
        assert_eq!(shown.chars().filter(|c| *c == 'x').count(), MAX_CELL_CHARS);
    }
}
