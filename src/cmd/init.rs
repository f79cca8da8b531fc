//! `readyctl init`.

/// Runs `init`.
pub fn main(_args: &crate::cli::InitArgs) -> u8 {
    eprintln!("error: `readyctl init` is not implemented yet");
    crate::exit::USAGE
}
