//! `delimit report`

use std::path::PathBuf;

use anyhow::Result;
use clap::Args as ClapArgs;
use delimit::qgis::Provenance;
use delimit::report::{Fields, Format};

use super::Outcome;
use super::full::FullArgs;

/// Write a self-contained report: map, gaps, exclaves, progress, corridor verdicts, provenance.
///
/// HTML (default) has an inline SVG map and no scripts, external fonts or
/// network references, and prints well to PDF; --format md writes the same
/// tables as Markdown. Without --date the same inputs give the same bytes.
#[derive(Debug, ClapArgs)]
pub(crate) struct Args {
    /// The report file.
    #[arg(help_heading = crate::cli::describe::OUTPUT_HEADING, short = 'o', long = "output", value_name = "FILE")]
    output: PathBuf,
    /// html or md.
    #[arg(help_heading = crate::cli::describe::OUTPUT_HEADING, long, value_name = "FORMAT", default_value = "html", value_parser = ["html", "md"])]
    format: String,
    /// Replace an existing report.
    #[arg(long, help_heading = crate::cli::describe::OUTPUT_HEADING)]
    force: bool,
    /// Title, in place of the default, in the header.
    #[arg(long, value_name = "TEXT")]
    title: Option<String>,
    /// Who prepared the report, under the title and in the footer.
    #[arg(long, value_name = "TEXT")]
    author: Option<String>,
    /// A marking at the top and the bottom of the report, as given (e.g. OFFICIAL).
    #[arg(long, value_name = "TEXT")]
    classification: Option<String>,
    #[command(flatten)]
    full: FullArgs,
}

pub(crate) fn run(args: Args) -> Result<Outcome> {
    args.full.validate()?;
    let series_files = args.full.series_files()?;
    let mut inputs = args.full.paths();
    inputs.extend(series_files.iter().map(PathBuf::as_path));
    // Checked before the run, so a long run does not fail at the end.
    delimit::io::Output::prepare(&args.output, args.force, &inputs)?;
    let loaded = args.full.load()?;
    let run = super::full::run(&loaded, &args.full)?;
    let i = args.full.input();
    let fields =
        Fields { owner: i.owner_field.clone(), controller: i.controller_field.clone(), name: i.name_field.clone() };
    let provenance = Provenance {
        inputs: loaded.provenance(),
        parameters: args.full.parameters_of(&loaded),
        tool: format!("delimit {}", env!("CARGO_PKG_VERSION")),
        date: args.full.date.clone(),
    };
    let fmt = if args.format == "md" { Format::Markdown } else { Format::Html };
    let header = delimit::report::Header {
        title: args.title.clone(),
        author: args.author.clone(),
        classification: args.classification.clone(),
    };
    let text = delimit::report::render_with(&loaded.inputs(), &run, &provenance, &fields, fmt, &header)?;
    delimit::io::write_file(&args.output, text.as_bytes(), args.force, &inputs)?;
    // What was written goes to stderr, as from every command; stdout keeps
    // the caveats a reader must see.
    crate::cli::verbosity::note!("wrote {} ({} bytes)", args.output.display(), text.len());
    let mut out = crate::cli::term::Safe::new(std::io::stdout().lock());
    crate::cli::verbosity::caveats(&mut out, &provenance.to_json())?;
    Ok(Outcome::Ok)
}
