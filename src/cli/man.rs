//! `delimit man`

use std::path::PathBuf;

use anyhow::Result;
use clap::{Args as ClapArgs, CommandFactory};

use super::{Cli, Outcome};

/// Write man pages: delimit.1 and one page per subcommand (delimit-gaps.1, …).
///
/// With no folder, delimit.1 goes to stdout (`delimit man | man -l -`).
/// Install: delimit man ~/.local/share/man/man1
#[derive(Debug, ClapArgs)]
pub(crate) struct Args {
    /// Folder to write the pages into (it must exist).
    #[arg(value_name = "DIR")]
    dir: Option<PathBuf>,
    /// Replace pages that exist.
    #[arg(long)]
    force: bool,
}

/// Every page: (file name, roff text), the top command first.
fn pages() -> std::io::Result<Vec<(String, Vec<u8>)>> {
    let cmd = Cli::command();
    let mut out = Vec::new();
    let mut top = Vec::new();
    clap_mangen::Man::new(cmd.clone()).render(&mut top)?;
    out.push(("delimit.1".to_string(), top));
    for sub in cmd.get_subcommands() {
        let name = format!("delimit-{}", sub.get_name());
        let mut page = Vec::new();
        clap_mangen::Man::new(sub.clone().name(name.clone())).render(&mut page)?;
        out.push((format!("{name}.1"), page));
    }
    Ok(out)
}

pub(crate) fn run(args: Args) -> Result<Outcome> {
    let pages = pages()?;
    let Some(dir) = &args.dir else {
        std::io::Write::write_all(&mut std::io::stdout().lock(), &pages[0].1)?;
        return Ok(Outcome::Ok);
    };
    delimit::io::write_files(dir, &pages, args.force)?;
    super::verbosity::note!("wrote {} man pages to {}", pages.len(), dir.display());
    Ok(Outcome::Ok)
}
