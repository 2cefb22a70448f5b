//! `delimit info FILE…`

use std::io::Write;
use std::path::PathBuf;

use anyhow::Result;
use clap::Args as ClapArgs;

use super::Outcome;
use super::args::InputArgs;

/// Describe files: layers, feature counts, geometry types, CRS, extent, fields and vertices.
#[derive(Debug, ClapArgs)]
pub(crate) struct Args {
    /// Files to describe (GeoJSON, GeoPackage, Shapefile, FlatGeobuf, KML, GML, CSV…); `-` is stdin.
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    #[command(flatten)]
    input: InputArgs,
    /// Machine-readable output.
    #[arg(long)]
    json: bool,
}

pub(crate) fn run(args: Args) -> Result<Outcome> {
    // info describes a file as it is, odd positions included.
    let opts = delimit::io::ReadOptions { lenient_coordinates: true, ..args.input.read_options(None)? };
    let mut all = Vec::new();
    for f in &args.files {
        all.push((f, delimit::info::inspect(f, &opts)?));
    }
    let mut out = std::io::stdout().lock();
    if args.json {
        let v: Vec<_> = all
            .iter()
            .map(|(f, layers)| serde_json::json!({ "file": f.display().to_string(), "layers": layers }))
            .collect();
        serde_json::to_writer_pretty(&mut out, &v)?;
        writeln!(out)?;
        return Ok(Outcome::Ok);
    }
    let mut out = crate::cli::term::Safe::new(out);
    for (f, layers) in all {
        writeln!(out, "{}", f.display())?;
        for l in layers {
            let types: Vec<String> = l.geometry_types.iter().map(|(t, n)| format!("{t} {n}")).collect();
            let nulls = if l.null_geometries > 0 { format!(", {} null", l.null_geometries) } else { String::new() };
            writeln!(
                out,
                "  layer {}: {} features ({}{nulls}), {} vertices",
                l.name,
                l.features,
                if types.is_empty() { "no geometry".into() } else { types.join(", ") },
                l.vertices
            )?;
            writeln!(out, "    driver: {}", l.provenance.driver)?;
            writeln!(out, "    crs: {}", l.provenance.crs_line())?;
            if let Some(b) = l.bbox_wgs84 {
                writeln!(out, "    bbox (lon/lat): {:.7}, {:.7}, {:.7}, {:.7}", b[0], b[1], b[2], b[3])?;
            }
            let fields: Vec<String> = l.fields.iter().map(|f| format!("{} ({})", f.name, f.kind)).collect();
            writeln!(out, "    fields: {}", if fields.is_empty() { "none".into() } else { fields.join(", ") })?;
            writeln!(out, "    sha256: {}", l.provenance.sha256)?;
            // A layer that is not observed says so here too.
            if l.provenance.status.is_caveat() {
                let note = l.provenance.status_note.as_deref().map(|n| format!(": {n}")).unwrap_or_default();
                writeln!(out, "    status: {}{note}", l.provenance.status.label())?;
            }
            if l.notes > 0 {
                writeln!(out, "    reader notes: {} (run `delimit check` for details)", l.notes)?;
            }
        }
    }
    Ok(Outcome::Ok)
}
