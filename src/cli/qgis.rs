//! `delimit qgis`

use std::io::Write;
use std::path::PathBuf;

use anyhow::Result;
use clap::Args as ClapArgs;
use delimit::qgis::{Provenance, Targets};

use super::Outcome;
use super::full::FullArgs;

/// Write a styled GeoPackage and a QGIS project with every layer of a full run.
///
/// Runs gaps, lines, progress, check and (with --routes) corridor, and
/// writes their layers to one GeoPackage, each with a default style in
/// `layer_styles`, plus a `.qgs` project that opens it in QGIS ready to
/// read: layer groups, EPSG:32638, the data's extent, relative paths and
/// provenance in each layer's metadata. See docs/qgis.md.
#[derive(Debug, ClapArgs)]
#[command(group = clap::ArgGroup::new("target").required(true).multiple(true).args(["dir", "gpkg"]))]
pub(crate) struct Args {
    /// Folder to write delimit.gpkg and delimit.qgs into (created if missing).
    #[arg(help_heading = crate::cli::describe::OUTPUT_HEADING, short = 'o', long = "output", value_name = "DIR", conflicts_with_all = ["gpkg", "project"])]
    dir: Option<PathBuf>,
    /// The GeoPackage to write (with --project).
    #[arg(help_heading = crate::cli::describe::OUTPUT_HEADING, long, value_name = "FILE", requires = "project")]
    gpkg: Option<PathBuf>,
    /// The project to write (with --gpkg); its data source is relative to it.
    #[arg(help_heading = crate::cli::describe::OUTPUT_HEADING, long, value_name = "FILE", requires = "gpkg")]
    project: Option<PathBuf>,
    /// Replace existing files.
    #[arg(long, help_heading = crate::cli::describe::OUTPUT_HEADING)]
    force: bool,
    #[command(flatten)]
    full: FullArgs,
    /// Machine-readable summary on stdout.
    #[arg(long)]
    json: bool,
}

pub(crate) fn run(args: Args) -> Result<Outcome> {
    args.full.validate()?;
    let targets = match (&args.dir, &args.gpkg, &args.project) {
        (Some(d), _, _) => Targets::in_folder(d, args.force),
        (None, Some(g), Some(p)) => Targets { gpkg: g.clone(), project: p.clone(), force: args.force },
        _ => unreachable!("clap requires -o or --gpkg with --project"),
    };
    for (path, ext) in [(&targets.gpkg, "gpkg"), (&targets.project, "qgs")] {
        if path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() != Some(ext) {
            return Err(delimit::Error::Usage {
                option: if ext == "gpkg" { "--gpkg".into() } else { "--project".into() },
                message: format!("`{}` does not end in .{ext}", path.display()),
                hint: None,
            }
            .into());
        }
    }
    let series_files = args.full.series_files()?;
    let mut inputs = args.full.paths();
    inputs.extend(series_files.iter().map(PathBuf::as_path));
    delimit::io::declare_inputs(&inputs);
    targets.preflight(&inputs)?;

    let loaded = args.full.load()?;
    let run = super::full::run(&loaded, &args.full)?;
    let i = args.full.input();
    let layers = delimit::qgis::layers(&loaded.inputs(), &run, &i.owner_field, &i.controller_field, &i.name_field);
    let provenance = Provenance {
        inputs: loaded.provenance(),
        parameters: args.full.parameters_of(&loaded),
        tool: format!("delimit {}", env!("CARGO_PKG_VERSION")),
        date: args.full.date.clone(),
    };
    delimit::qgis::write(&targets, &layers, &provenance, &inputs)?;

    let mut out = std::io::stdout().lock();
    if args.json {
        let v = serde_json::json!({
            "gpkg": targets.gpkg.display().to_string(),
            "project": targets.project.display().to_string(),
            "crs": delimit::qgis::PROJECT_CRS,
            "status": provenance.status().as_str(),
            "layout": delimit::qgis::layout::NAME,
            "layers": layers.iter().map(|l| serde_json::json!({
                "name": l.name, "id": l.id(), "title": l.title, "group": l.group, "features": l.features.len(),
                "temporal": l.temporal.as_ref().map(|t| serde_json::json!({
                    "start_field": t.start_field, "end_field": t.end_field, "start": t.range.0, "end": t.range.1,
                })),
            })).collect::<Vec<_>>(),
        });
        serde_json::to_writer_pretty(&mut out, &v)?;
        writeln!(out)?;
    } else {
        crate::cli::verbosity::note!("wrote {} and {}", targets.gpkg.display(), targets.project.display());
        let mut out = crate::cli::term::Safe::new(&mut out);
        for g in delimit::qgis::GROUPS {
            for l in layers.iter().filter(|l| l.group == g) {
                writeln!(out, "  {:<9} {:<20} {:>7} features", l.group, l.name, l.features.len())?;
            }
        }
        writeln!(out, "open it: qgis {}", targets.project.display())?;
        crate::cli::verbosity::caveats(&mut out, &provenance.to_json())?;
    }
    Ok(Outcome::Ok)
}
