//! `readyctl serve`.

/// Runs `serve`.
pub fn main(_args: &crate::cli::ServeArgs, _ecolor: bool) -> u8 {
    eprintln!("error: `readyctl serve` is not implemented yet");
    crate::exit::USAGE
}
