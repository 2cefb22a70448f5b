//! `delimit lines`

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Result;
use clap::Args as ClapArgs;
use delimit::layer::Layer;
use delimit::lines::{Deviation, LinesOptions, PairLine, deviation, filter_pair, pair_lines_of, pair_lines_within};
use serde_json::json;

use super::Outcome;
use super::args::{InputArgs, IoArgs, LayerArgs, SettlementsArgs};

/// How far the line of control departs from the legal line, per owner pair.
///
/// Derives the shared legal boundary of every owner pair from the legal
/// layer, and the control boundary of the same pair from the control layer
/// (or takes them from --legal-lines / --control-lines), walks the legal
/// line every --step metres and measures the signed geodesic offset to the
/// control line: positive when the control line lies in the first owner's
/// legal territory (pair in sort order, e.g. ARM|AZE), negative in the
/// second's.
#[derive(Debug, ClapArgs)]
pub(crate) struct Args {
    /// --legal-lines takes boundary lines with `left` and `right` owners,
    /// polygonised into the legal basis, or a file with `a` and `b` fields
    /// that gives the pair lines directly (the legal polygons then only
    /// tell the sides).
    #[command(flatten)]
    layers: LayerArgs,
    /// Control lines given directly: LineStrings with `a` and `b` fields.
    #[arg(long, value_name = "FILE")]
    control_lines: Option<PathBuf>,
    #[command(flatten)]
    places: SettlementsArgs,
    /// Neighbours digitised apart by up to this many metres still share a
    /// line (it follows the first party's edges there); 0 matches exact
    /// shared edges only.
    #[arg(long, value_name = "M", default_value_t = 100.0, value_parser = crate::cli::args::non_negative_number)]
    match_m: f64,
    /// Only this pair, e.g. ARM,AZE (either order; ARM|AZE is read too).
    #[arg(long, value_name = "A|B")]
    pair: Option<String>,
    /// Station spacing along the legal line, m (geodesic).
    #[arg(long, value_name = "M", default_value_t = 100.0, value_parser = crate::cli::args::positive_number)]
    step: f64,
    /// Offsets up to this are within tolerance, m.
    #[arg(long, value_name = "M", default_value_t = 100.0, value_parser = crate::cli::args::non_negative_number)]
    tolerance_m: f64,
    /// What -o writes: stations (points), runs (constant sign and band) or lines (the pair lines).
    #[arg(long, value_name = "WHAT", default_value = "runs", value_parser = ["stations", "runs", "lines"])]
    write: String,
    #[command(flatten)]
    io: IoArgs,
}

/// Lines from a line layer with `a` and `b` fields, merged per pair.
pub(crate) fn read_pair_lines(path: &Path, input: &InputArgs) -> delimit::Result<Vec<PairLine>> {
    pair_lines_of(path, &delimit::io::read_layer(path, &input.read_options(None)?)?)
}

pub(crate) fn run(args: Args) -> Result<Outcome> {
    let mut inputs: Vec<&Path> = args.layers.paths();
    inputs.extend([&args.control_lines, &args.places.settlements].into_iter().flatten().map(PathBuf::as_path));
    args.io.output.preflight(&inputs)?;
    // Control polygons, when there are any, also tell on which side the
    // control line lies.
    let control = match (&args.control_lines, &args.layers.control) {
        (Some(_), None) => None,
        _ => Some(args.layers.control(&args.io.input, None)?),
    };
    let (legal, legal_lines) = args.layers.legal_lines.legal_and_pair_lines(
        args.layers.legal.as_deref(),
        &args.io.input,
        control.as_ref(),
        args.match_m,
    )?;
    let legal_lines = filter_pair(legal_lines, args.pair.as_deref())?;
    let control_lines = match (&args.control_lines, &control) {
        (Some(p), _) => read_pair_lines(p, &args.io.input)?,
        (None, Some(c)) => pair_lines_within(c, &args.io.input.controller_field, args.match_m),
        (None, None) => Vec::new(),
    };
    let settlements = args.places.load(&args.io.input)?;
    let opts =
        LinesOptions { step_m: args.step, tolerance_m: args.tolerance_m, name_field: args.io.input.name_field.clone() };
    let _step = super::verbosity::Step::start("measuring the line of control along the legal line…");
    let d = deviation(
        &legal_lines,
        &control_lines,
        &legal,
        &args.io.input.owner_field,
        control.as_ref().map(|c| (c, args.io.input.controller_field.as_str())),
        Some(&settlements),
        &opts,
    )?;

    let provenance = delimit::provenance::RunProvenance::new(
        [Some(&legal.provenance), control.as_ref().map(|c| &c.provenance), Some(&settlements.provenance)]
            .into_iter()
            .flatten(),
        json!({
        "legal_lines": args.layers.legal_lines.legal_lines.as_ref().map(|p| p.display().to_string()),
        "control_lines": args.control_lines.as_ref().map(|p| p.display().to_string()),
        "step_m": args.step, "tolerance_m": args.tolerance_m,
        "sign": "offset_m > 0: the control line lies in the first owner's legal territory (pair A|B in sort order)",
        "snap_deg": delimit::lines::SNAP_DEG, "join_m": delimit::lines::JOIN_M, "match_m": args.match_m,
        }),
    )
    .to_json();
    let features = || match args.write.as_str() {
        "stations" => delimit::export::station_features(&d),
        "lines" => delimit::export::pair_line_features(&legal_lines),
        _ => delimit::export::run_features(&d),
    };
    args.io.output.write(&args.write, features, &inputs, &provenance)?;
    let mut out = args.io.summary_sink();
    if args.io.json {
        serde_json::to_writer_pretty(&mut out, &json!({ "pairs": d.pairs, "provenance": provenance }))?;
        writeln!(out)?;
    } else {
        print_summary(&mut out, &d, &legal)?;
        crate::cli::verbosity::caveats(&mut out, &provenance)?;
    }
    Ok(Outcome::Ok)
}

fn print_summary(out: &mut impl Write, d: &Deviation, legal: &Layer) -> std::io::Result<()> {
    writeln!(out, "legal: {} (sha256 {})", legal.provenance.path, &legal.provenance.sha256[..12])?;
    writeln!(out, "offset sign: + = control line in the first owner's legal territory, − = in the second's")?;
    for p in &d.pairs {
        writeln!(out)?;
        writeln!(out, "{}: legal line {:.3} km, control line {:.3} km", p.pair, p.length_km, p.control_length_km)?;
        if p.control_length_km == 0.0 {
            writeln!(out, "  no control boundary for this pair")?;
            continue;
        }
        let bands: Vec<String> = p.by_band_km.iter().map(|(k, v)| format!("{k} {v:.2} km")).collect();
        writeln!(out, "  {}", bands.join(", "))?;
        if let Some(h) = p.hausdorff_m {
            writeln!(out, "  Hausdorff distance: {h:.0} m")?;
        }
        for run in &p.longest_runs {
            writeln!(
                out,
                "  run {:>8.3}–{:<8.3} km (part {}): in {} territory, up to {:.0} m ({}); near {}",
                run.from_km,
                run.to_km,
                run.part,
                run.side,
                run.max_offset_m,
                run.band.as_str(),
                run.nearest_settlement.as_deref().unwrap_or("-")
            )?;
        }
    }
    Ok(())
}
