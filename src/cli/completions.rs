//! `delimit completions`

use anyhow::Result;
use clap::{Args as ClapArgs, CommandFactory};

use super::{Cli, Outcome};

/// Print a shell completion script.
///
/// bash:  delimit completions bash > ~/.local/share/bash-completion/completions/delimit
/// zsh:   delimit completions zsh > "${fpath[1]}/_delimit"
/// fish:  delimit completions fish > ~/.config/fish/completions/delimit.fish
#[derive(Debug, ClapArgs)]
pub(crate) struct Args {
    /// The shell.
    shell: clap_complete::Shell,
}

pub(crate) fn run(args: Args) -> Result<Outcome> {
    let mut cmd = Cli::command();
    clap_complete::generate(args.shell, &mut cmd, "delimit", &mut std::io::stdout().lock());
    Ok(Outcome::Ok)
}
