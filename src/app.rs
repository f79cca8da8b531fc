//! The entry point: parse the command line, choose colours, and dispatch to
//! the command's file under `crate::cmd`, which returns the exit code
//! (see `crate::exit`).

use std::io::IsTerminal;

use clap::Parser;

use crate::cli::{Cli, ColorChoice, Command};
use crate::cmd::out::{errln, out, outln};
use crate::exit;

/// Runs the command line and returns the exit code.
pub fn main() -> u8 {
    crate::tls::install_provider();
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                exit::USAGE
            } else {
                exit::OK
            };
        }
    };
    let color = use_color(cli.color, std::io::stdout().is_terminal());
    let ecolor = use_color(cli.color, std::io::stderr().is_terminal());
    match cli.command {
        Command::Check(args) => {
            // A one-shot process: what the run loaded is freed by the exit.
            crate::kinds::project::keep_until_exit();
            crate::cmd::check::main(&args, color, ecolor)
        }
        Command::Validate(args) => crate::cmd::validate::main(&args, ecolor),
        Command::List(args) => crate::cmd::list::main(&args, ecolor),
        Command::Explain { kind } => crate::cmd::explain::main(&kind),
        Command::Kinds => {
            crate::cmd::explain::print_kinds();
            exit::OK
        }
        Command::Diff(args) => crate::cmd::diff::main(&args),
        Command::Schema => {
            out!("{}", crate::cmd::schema::render());
            exit::OK
        }
        Command::Completions {
            shell,
            catalog,
            root,
        } => crate::cmd::completions::main(shell, catalog.as_deref(), &root, ecolor),
        Command::Man { dir: None } => {
            let pages = crate::cmd::man::pages();
            out!("{}", pages[0].1);
            exit::OK
        }
        Command::Man { dir: Some(dir) } => match crate::cmd::man::write_all(&dir) {
            Ok(names) => {
                outln!("wrote {} man pages to {}", names.len(), dir.display());
                exit::OK
            }
            Err(e) => {
                errln!("error: cannot write man pages to {}: {e}", dir.display());
                exit::USAGE
            }
        },
        Command::Serve(args) => crate::cmd::serve::main(&args, ecolor),
        Command::Init(args) => crate::cmd::init::main(&args),
        Command::Attest(args) => crate::cmd::attest::main(&args, ecolor),
        Command::Compose(args) => crate::cmd::compose::run(&args, ecolor),
        Command::Settings(args) => crate::cmd::settings::main(&args, ecolor),
    }
}

/// Colour decision: `always`/`never` win; `auto` means a TTY and no `NO_COLOR`.
pub(crate) fn use_color(choice: ColorChoice, is_tty: bool) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => is_tty && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
    }
}
