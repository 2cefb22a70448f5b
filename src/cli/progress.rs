//! `delimit progress`

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Result;
use clap::Args as ClapArgs;
use delimit::layer::Role;
use delimit::lines::{ProgressOptions, progress};
use serde_json::json;

use super::Outcome;
use super::args::{IoArgs, load_or_sample};
use delimit::lines::filter_pair;

/// How much of each legal line is delimited, per pair and sector.
///
/// Matches the delimited segments to the legal lines by proximity and
/// reports, per owner pair and per sector (the admin-1 units on either
/// side), the km delimited, the km remaining and the share. A segment far
/// from every legal line is reported with its distance, never dropped.
#[derive(Debug, ClapArgs)]
pub(crate) struct Args {
    /// Delimited segments (lines). Default: the embedded sample (APPROXIMATE).
    #[arg(long, value_name = "FILE")]
    segments: Option<PathBuf>,
    /// Legal basis (polygons). Default: the embedded sample.
    #[arg(long, value_name = "FILE")]
    legal: Option<PathBuf>,
    /// --legal-lines: boundary lines with `left` and `right` owners, or pair lines with `a` and `b`.
    #[command(flatten)]
    ll: super::args::LegalLinesArgs,
    /// Admin-1 polygons with `name`, for sectors. Default: the embedded sample.
    #[arg(long, value_name = "FILE")]
    admin1: Option<PathBuf>,
    /// Neighbours digitised apart by up to this many metres still share a
    /// line (it follows the first party's edges there); 0 matches exact
    /// shared edges only.
    #[arg(long, value_name = "M", default_value_t = 100.0, value_parser = crate::cli::args::non_negative_number)]
    match_m: f64,
    /// Only this pair, e.g. ARM,AZE (either order; ARM|AZE is read too).
    #[arg(long, value_name = "A|B")]
    pair: Option<String>,
    /// A segment farther than this from every legal line (median of its samples) is a problem, m.
    #[arg(long, value_name = "M", default_value_t = 500.0, value_parser = crate::cli::args::non_negative_number)]
    max_distance_m: f64,
    #[command(flatten)]
    io: IoArgs,
}

pub(crate) fn run(args: Args) -> Result<Outcome> {
    let mut inputs: Vec<&Path> =
        [&args.segments, &args.legal, &args.admin1].into_iter().flatten().map(PathBuf::as_path).collect();
    inputs.extend(args.ll.paths());
    args.io.output.preflight(&inputs)?;
    // Lines with sides are closed by the bundled legal layer's outline of
    // the parties they name (progress reads no control layer).
    let (legal, lines) = args.ll.legal_and_pair_lines(args.legal.as_deref(), &args.io.input, None, args.match_m)?;
    let lines = filter_pair(lines, args.pair.as_deref())?;
    let segments = load_or_sample(args.segments.as_deref(), "segments.geojson", Role::Segments, &args.io.input, None)?;
    let admin_input = args.io.input.with_owner_field("country");
    let admin1 = load_or_sample(args.admin1.as_deref(), "admin1.geojson", Role::Legal, &admin_input, None)?;
    let opts = ProgressOptions { max_distance_m: args.max_distance_m, ..ProgressOptions::default() };
    let p = progress(&lines, &segments, Some(&admin1), &opts);

    let provenance = delimit::provenance::RunProvenance::new(
        [&legal.provenance, &segments.provenance, &admin1.provenance],
        json!({
        "max_distance_m": args.max_distance_m, "match_m": args.match_m,
        }),
    )
    .to_json();
    args.io.output.write("progress", || delimit::export::progress_features(&p), &inputs, &provenance)?;
    let mut out = args.io.summary_sink();
    if args.io.json {
        serde_json::to_writer_pretty(&mut out, &json!({ "progress": p, "provenance": provenance }))?;
        writeln!(out)?;
    } else {
        writeln!(
            out,
            "segments: {} ({} matched, {} problems)",
            segments.provenance.path,
            p.matched.len(),
            p.problems.len()
        )?;
        for m in &p.matched {
            writeln!(
                out,
                "  {} → {} part {}, chainage {:.3}–{:.3} km (median {:.1} m, max {:.1} m off the legal line)",
                m.segment, m.pair, m.part, m.from_km, m.to_km, m.median_distance_m, m.max_distance_m
            )?;
        }
        for s in &p.problems {
            writeln!(
                out,
                "  PROBLEM {}: {:.0} m from the nearest legal line ({})",
                s.segment,
                s.distance_m,
                s.nearest_pair.as_deref().unwrap_or("none")
            )?;
        }
        writeln!(out)?;
        writeln!(
            out,
            "{:<10} {:<40} {:>11} {:>11} {:>11} {:>8}",
            "pair", "sector", "length km", "delimited", "remaining", "%"
        )?;
        for s in p.sectors.iter().filter(|s| s.delimited_km > 0.0 || s.sector == "all") {
            writeln!(
                out,
                "{:<10} {:<40} {:>11.3} {:>11.3} {:>11.3} {:>8.3}",
                s.pair, s.sector, s.length_km, s.delimited_km, s.remaining_km, s.percent_delimited
            )?;
        }
        let hidden = p.sectors.iter().filter(|s| s.delimited_km == 0.0 && s.sector != "all").count();
        if hidden > 0 {
            writeln!(out, "({hidden} sectors with nothing delimited; --json lists every sector)")?;
        }
        crate::cli::verbosity::caveats(&mut out, &provenance)?;
    }
    Ok(if p.problems.is_empty() { Outcome::Ok } else { Outcome::DataErrors })
}
