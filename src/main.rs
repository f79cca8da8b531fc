//! The `readyctl` binary: parse the command line, run, exit with a documented code.

use std::process::ExitCode;

fn main() -> ExitCode {
    ExitCode::from(readyctl::app::main())
}
