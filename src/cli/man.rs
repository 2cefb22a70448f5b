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
    /// Folder to write the pages into (created if missing).
    #[arg(value_name = "DIR")]
    dir: Option<PathBuf>,
    /// Replace pages that exist.
    #[arg(long)]
    force: bool,
}

/// Every page: (file name, roff text), the top command first, then one per
/// command at every depth (`delimit-corridor-measure.1`), so that every
/// page another page names exists. Each page's SYNOPSIS is the command line
/// as typed (`delimit corridor measure [OPTIONS]`), its OPTIONS include the
/// global ones, and it ends with EXIT STATUS and EXAMPLES.
fn pages() -> std::io::Result<Vec<(String, Vec<u8>)>> {
    // No `help` subcommand in the pages: `-h` and these pages are the help,
    // and a page would name delimit-corridor-help(1), which does not exist.
    let mut cmd = without_help(Cli::command());
    // Built, the global options (-q, -v, --progress, --max-memory) are on
    // every subcommand, so each page lists them.
    cmd.build();
    let mut out = Vec::new();
    walk(&cmd, &[], &mut out)?;
    Ok(out)
}

fn without_help(c: clap::Command) -> clap::Command {
    let names: Vec<String> = c.get_subcommands().map(|s| s.get_name().to_string()).collect();
    names.into_iter().fold(c.disable_help_subcommand(true), |c, n| c.mut_subcommand(n, without_help))
}

fn walk(cmd: &clap::Command, path: &[&str], out: &mut Vec<(String, Vec<u8>)>) -> std::io::Result<()> {
    let page = std::iter::once("delimit").chain(path.iter().copied()).collect::<Vec<_>>();
    let (name, line) = (page.join("-"), page.join(" "));
    let mut roff = Vec::new();
    let c = cmd.clone().display_name(name.clone()).bin_name(line.clone());
    clap_mangen::Man::new(c).source(format!("delimit {}", env!("CARGO_PKG_VERSION"))).render(&mut roff)?;
    roff.extend_from_slice(EXIT_STATUS.as_bytes());
    roff.extend_from_slice(b".SH EXAMPLES\n");
    for (args, what) in examples(&path.join(" ")) {
        roff.extend_from_slice(
            format!(".TP\n\\fB{}\\fR\n{}\n", roff_escape(&format!("{line}{args}")), roff_escape(what)).as_bytes(),
        );
    }
    out.push((format!("{name}.1"), roff));
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        let mut p = path.to_vec();
        p.push(sub.get_name());
        walk(sub, &p, out)?;
    }
    Ok(())
}

/// The exit codes, as the README's table gives them.
const EXIT_STATUS: &str = ".SH \"EXIT STATUS\"\n.TP\n0\nDone: every answer given, every constraint met.\n.TP\n1\nDone, with a verdict: check found errors in the data, a village row was not answered, a route fails a constraint; or a processing failure (error: lines on stderr).\n.TP\n2\nUsage or input error: a bad flag or value, an input that cannot be read, an output that would replace an input (error:, cause: and hint: lines on stderr).\n";

/// Each command's examples: (arguments after the command line, what it does).
fn examples(command: &str) -> Vec<(&'static str, &'static str)> {
    match command {
        "" => vec![
            (" gaps", "every area legally of one party and held by another, on the bundled sample"),
            (" village Voskepar", "one place, by name in either spelling"),
        ],
        "info" => vec![(" legal.geojson control.gpkg", "what each layer holds: features, fields, CRS, status")],
        "check" => vec![(" legal.geojson --role legal", "every problem of a legal basis, with its location")],
        "gaps" => vec![
            (" --legal legal.geojson --control control.geojson -o gaps.gpkg", "the pieces, styled for QGIS"),
            (" --series 'positions/*.geojson' --as-of 2023-10-01", "against the snapshot in force on a date"),
        ],
        "changes" => vec![(
            " --legal legal.geojson --series 'positions/*.geojson' -o changes.gpkg",
            "what changed hands between snapshots",
        )],
        "lines" => vec![(" --pair ARM,AZE", "how far the line of control departs from the legal line")],
        "progress" => vec![(" --segments delimited.geojson", "how much of each legal line is delimited")],
        "corridor" => vec![(
            " measure --routes routes.geojson --constraints corridor.toml",
            "route options measured against the constraints",
        )],
        "corridor measure" => vec![(
            " --routes routes.geojson --constraints corridor.toml --json",
            "each route's km per jurisdiction, crossings and verdicts",
        )],
        "corridor route" => vec![(
            " --from 38.90,46.24 --to 39.21,45.41 --alternatives 3",
            "least-cost routes between two points (LAT,LON)",
        )],
        "village" => vec![
            (" Voskepar", "one place, by name"),
            (" --at \"40°38'46\\\"N 45°30'56\\\"E\"", "a position, in degrees, minutes and seconds"),
            (" --file places.csv -o answers.csv", "a batch, keeping its own columns"),
        ],
        "polygonize" => {
            vec![(
                " --legal-lines boundary-lines.geojson -o units.gpkg",
                "legal units from lines with left and right owners",
            )]
        }
        "qgis" => vec![(" -o project", "a styled GeoPackage and a QGIS project")],
        "report" => vec![(" -o report.html", "an HTML report of every analysis")],
        "data" => vec![(" list", "the bundled files, their sources and checksums")],
        "data list" => vec![("", "the bundled files, their sources and checksums")],
        "data export" => vec![(" sample", "the bundled files into a folder (created if missing)")],
        "completions" => vec![(" bash > delimit.bash", "shell completions")],
        "man" => vec![(" ~/.local/share/man/man1", "these pages")],
        "describe" => vec![(" --json", "every command and parameter, for front ends")],
        _ => vec![(" --help", "the command's options")],
    }
}

/// Text for roff: backslashes doubled, and a leading dot or quote guarded.
fn roff_escape(s: &str) -> String {
    let t = s.replace('\\', "\\\\").replace('-', "\\-");
    if t.starts_with('.') || t.starts_with('\'') { format!("\\&{t}") } else { t }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A command line as a shell splits it: quotes kept together, `\"`
    /// inside double quotes, and nothing from a redirection on.
    fn shell_words(line: &str) -> Vec<String> {
        let (mut out, mut word, mut quote, mut chars) = (Vec::new(), None::<String>, None, line.chars().peekable());
        while let Some(c) = chars.next() {
            match (quote, c) {
                (None, '>') => break,
                (None, c) if c.is_whitespace() => out.extend(word.take()),
                (None, '\'' | '"') => {
                    quote = Some(c);
                    word.get_or_insert_with(String::new);
                }
                (Some(q), c) if c == q => quote = None,
                (Some('"'), '\\') => word.get_or_insert_with(String::new).extend(chars.next()),
                (_, c) => word.get_or_insert_with(String::new).push(c),
            }
        }
        out.extend(word);
        out
    }

    /// Every example on every page is a command line delimit's own parser
    /// takes (flags, values, dates, points), so that no page shows a
    /// command that would fail on its syntax (`polygonize FILE` did).
    #[test]
    fn every_example_parses() {
        let mut pages = Vec::new();
        let cmd = without_help(Cli::command());
        let mut stack: Vec<(Vec<String>, clap::Command)> = vec![(vec![], cmd.clone())];
        while let Some((path, c)) = stack.pop() {
            for sub in c.get_subcommands() {
                let mut p = path.clone();
                p.push(sub.get_name().to_string());
                stack.push((p, sub.clone()));
            }
            pages.push(path);
        }
        let mut checked = 0;
        for path in pages {
            for (args, _) in examples(&path.join(" ")) {
                let line = format!("delimit {}{args}", path.join(" "));
                let argv = shell_words(&line);
                let r = cmd.clone().try_get_matches_from(&argv);
                // --help exits early on purpose; anything else must parse.
                match r {
                    Ok(_) => {}
                    Err(e) if e.kind() == clap::error::ErrorKind::DisplayHelp => {}
                    Err(e) => panic!("`{line}` ({argv:?}) does not parse: {e}"),
                }
                checked += 1;
            }
        }
        assert!(checked >= 20, "{checked} examples");
    }

    #[test]
    fn shell_words_split_as_a_shell_would() {
        assert_eq!(shell_words("a 'b c' \"d\\\"e\" > f"), ["a", "b c", "d\"e"]);
    }
}
