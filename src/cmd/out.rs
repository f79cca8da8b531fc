//! The one place readyctl writes to its standard streams.
//!
//! `outln!`/`out!` write to stdout, `errln!`/`err!` to stderr, like the
//! standard print macros (which `clippy.toml` disallows elsewhere) but
//! without their panic on a closed pipe: `readyctl list | head -1` stops
//! writing quietly once `head` exits, and the command still returns the exit
//! code its work decided.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};

static STDOUT_CLOSED: AtomicBool = AtomicBool::new(false);
static STDERR_CLOSED: AtomicBool = AtomicBool::new(false);

/// Writes to stdout; after the first failed write (a closed pipe) writes nothing.
pub(crate) fn stdout(args: std::fmt::Arguments<'_>) {
    write_to(&mut std::io::stdout().lock(), &STDOUT_CLOSED, args);
}

/// Writes to stderr; after the first failed write writes nothing.
pub(crate) fn stderr(args: std::fmt::Arguments<'_>) {
    write_to(&mut std::io::stderr().lock(), &STDERR_CLOSED, args);
}

/// Writes raw bytes to stdout (a rendered report), with the same rule.
pub(crate) fn stdout_bytes(bytes: &[u8]) {
    let mut o = std::io::stdout().lock();
    if STDOUT_CLOSED.load(Ordering::Relaxed) {
        return;
    }
    if o.write_all(bytes).and_then(|()| o.flush()).is_err() {
        STDOUT_CLOSED.store(true, Ordering::Relaxed);
    }
}

fn write_to(w: &mut impl Write, closed: &AtomicBool, args: std::fmt::Arguments<'_>) {
    if closed.load(Ordering::Relaxed) {
        return;
    }
    if w.write_fmt(args).and_then(|()| w.flush()).is_err() {
        closed.store(true, Ordering::Relaxed);
    }
}

/// Like `println!`, to stdout, quiet on a closed pipe.
macro_rules! outln {
    () => { $crate::cmd::out::stdout(format_args!("\n")) };
    ($($t:tt)*) => { $crate::cmd::out::stdout(format_args!("{}\n", format_args!($($t)*))) };
}

/// Like `print!`, to stdout, quiet on a closed pipe.
macro_rules! out {
    ($($t:tt)*) => { $crate::cmd::out::stdout(format_args!($($t)*)) };
}

/// Like `eprintln!`, to stderr, quiet on a closed pipe.
macro_rules! errln {
    () => { $crate::cmd::out::stderr(format_args!("\n")) };
    ($($t:tt)*) => { $crate::cmd::out::stderr(format_args!("{}\n", format_args!($($t)*))) };
}

/// Like `eprint!`, to stderr, quiet on a closed pipe.
macro_rules! err {
    ($($t:tt)*) => { $crate::cmd::out::stderr(format_args!($($t)*)) };
}
pub(crate) use {err, errln, out, outln};
