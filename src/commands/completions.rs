//! `deckhand completions SHELL`: a shell completion script.

use super::{CommandError, Context, Outcome, print};
use crate::cli::Shell;
use clap::Args;
use std::io::Write;

// `completions`' arguments (its help is on `cli::Command::Completions`).
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell.
    pub shell: Shell,
}

/// Print the script.
pub fn exec(args: CompletionsArgs, _context: Context) -> Result<Outcome, CommandError> {
    let mut out = Vec::new();
    completions(args.shell, &mut out);
    print(&String::from_utf8_lossy(&out))?;
    Ok(Outcome::Done)
}

/// The completion script of `shell` for the whole command line.
pub fn completions(shell: Shell, out: &mut dyn Write) {
    use clap::CommandFactory;
    let mut command = crate::cli::Cli::command();
    let generator = match shell {
        Shell::Bash => clap_complete::Shell::Bash,
        Shell::Zsh => clap_complete::Shell::Zsh,
        Shell::Fish => clap_complete::Shell::Fish,
    };
    clap_complete::generate(generator, &mut command, "deckhand", out);
}
