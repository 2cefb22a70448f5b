//! `delimit village`

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Result;
use clap::Args as ClapArgs;
use delimit::layer::Role;
use delimit::overlay::GapsOptions;
use delimit::position::Position;
use delimit::village::batch::{self, Ask, Query, Reply, Status};
use delimit::village::{Context, VillageOptions};
use serde_json::json;

use super::Outcome;
use super::args::{InputArgs, LayerArgs, SettlementsArgs, load_or_sample};

/// Ask about places: legal owner, controller, gap, and distances to the lines.
///
/// By name in any spelling (Voskepar, Ոսկեպար, Воскепар; Başkənd or
/// Bashkend), by coordinates (--at LAT,LON), or a batch (--file). With no
/// layers given, the embedded sample is used.
///
/// A point exactly on a boundary belongs to neither side: its status is
/// `boundary`, the units it touches are all listed, and the distance to the
/// line is 0.
#[derive(Debug, ClapArgs)]
pub(crate) struct Args {
    /// Place names or settlement ids.
    #[arg(value_name = "NAME")]
    names: Vec<String>,
    /// A point, as LAT,LON in decimal degrees (WGS 84). Repeatable.
    #[arg(long, value_name = "LAT,LON", allow_hyphen_values = true)]
    at: Vec<String>,
    /// A batch: CSV with a `name` column or `lat` and `lon` columns (and
    /// optionally `province` or `country`, narrowing that row's match), or
    /// a point layer (GeoJSON or any GDAL format). Every row is answered, in
    /// the file's order, with a status: ok, no_match, ambiguous, invalid or
    /// outside_data; the exit code is 1 if any row is not ok. `--file -`
    /// reads names or LAT,LON from stdin, one per line, and writes one JSON
    /// line per answer as each arrives.
    #[arg(long, value_name = "TABLE")]
    file: Option<PathBuf>,
    /// Only places whose province (name or ISO code), legal owner or
    /// country code is this; repeat to narrow further. Applies to every row.
    #[arg(long = "in", value_name = "PROVINCE|OWNER")]
    within: Vec<String>,
    /// Settlements across the legal line within this many km.
    #[arg(long, value_name = "KM", default_value_t = 5.0, value_parser = crate::cli::args::non_negative_number)]
    radius: f64,
    #[command(flatten)]
    layers: LayerArgs,
    #[command(flatten)]
    places: SettlementsArgs,
    /// Provinces (admin-1 polygons with `name`). Default: the embedded sample.
    #[arg(long, value_name = "FILE")]
    admin1: Option<PathBuf>,
    /// Field with alternate names (JSON array or comma-separated).
    #[arg(long, value_name = "FIELD", default_value = "alternatenames")]
    alt_names_field: String,
    /// Sliver width for the gaps, m (as for `gaps`).
    #[arg(long, value_name = "M", value_parser = crate::cli::args::non_negative_number)]
    tolerance_m: Option<f64>,
    #[command(flatten)]
    input: InputArgs,
    /// Machine-readable answers on stdout.
    #[arg(long)]
    json: bool,
    /// Write the places and their nearest-boundary lines to this GeoJSON (or GDAL) file.
    #[arg(help_heading = crate::cli::describe::OUTPUT_HEADING, long, value_name = "FILE")]
    geojson: Option<PathBuf>,
    /// Write one row per question to this file: status, place, owner,
    /// controller, distances (a flat table for .csv, points otherwise).
    #[arg(help_heading = crate::cli::describe::OUTPUT_HEADING, short = 'o', long = "output", value_name = "FILE")]
    output: Option<PathBuf>,
    /// Replace an existing --geojson or -o output.
    #[arg(long, help_heading = crate::cli::describe::OUTPUT_HEADING)]
    force: bool,
}

pub(crate) fn run(args: Args) -> Result<Outcome> {
    let stdin_batch = args.file.as_deref() == Some(Path::new("-"));
    let mut inputs = args.layers.paths();
    inputs.extend([&args.places.settlements, &args.admin1, &args.file].into_iter().flatten().map(PathBuf::as_path));
    inputs.retain(|p| *p != Path::new("-"));
    for o in [&args.geojson, &args.output].into_iter().flatten() {
        delimit::io::Format::from_path(o)?;
        delimit::io::Output::prepare(o, args.force, &inputs)?;
    }
    // Every flag is parsed before any work; rows of a batch file are read
    // now too, and a row that cannot be read is answered `invalid`.
    let mut queries: Vec<Query> = args.names.iter().map(|n| Query::name(n)).collect();
    let mut at = Vec::new();
    for a in &args.at {
        let p = Position::parse_flag("--at", a)?;
        at.push(p);
        queries.push(Query {
            line: None,
            text: a.clone(),
            ask: Ask::At(p, a.clone()),
            within: Vec::new(),
            given: Default::default(),
        });
    }
    if let (Some(f), false) = (&args.file, stdin_batch) {
        queries.extend(batch::read_file(f, &args.input.name_field, &args.input.read_options(None)?)?);
    }
    if queries.is_empty() && !stdin_batch {
        return Err(delimit::Error::Usage {
            option: "NAME".into(),
            message: "nothing to ask".into(),
            hint: Some("give a name (delimit village Voskepar), --at LAT,LON, --file places.csv, or --file - to read lines from stdin".into()),
        }
        .into());
    }

    // The four layers are read side by side (on the sample, parsing is a
    // third of a single query). Errors are reported in the order the
    // layers are listed, as if read one after the other.
    let control_and_legal = || -> delimit::Result<(delimit::Layer, delimit::Layer)> {
        if args.layers.legal_lines.given() {
            // Polygonising the lines may take its frame from the control layer.
            let (legal, control) = args.layers.load(&args.input, None)?;
            return Ok((control, legal));
        }
        let (control, legal) =
            rayon::join(|| args.layers.control(&args.input, None), || args.layers.legal(&args.input, None, None));
        Ok((control?, legal?))
    };
    let ((control, legal), (places, admin1)) = match rayon::join(control_and_legal, || {
        rayon::join(
            || args.places.load(&args.input),
            || load_or_sample(args.admin1.as_deref(), "admin1.geojson", Role::Legal, &args.input_plain(), None),
        )
    }) {
        (Ok(cl), (Ok(p), Ok(a))) => (cl, (p, a)),
        (Err(e), _) | (_, (Err(e), _)) | (_, (_, Err(e))) => return Err(e.into()),
    };
    let extents: Vec<geo::Rect<f64>> = [&legal, &control].iter().filter_map(|l| l.bbox()).collect();
    // A swapped --at is a usage error; a swapped row of a batch is an
    // `invalid` row, answered with the same hint.
    for p in &at {
        p.check_not_swapped("--at", &extents)?;
    }
    let opts = VillageOptions {
        gaps: GapsOptions {
            owner_field: args.input.owner_field.clone(),
            controller_field: args.input.controller_field.clone(),
            name_field: args.input.name_field.clone(),
            tolerance_m: args.tolerance_m,
            ..GapsOptions::default()
        },
        alt_names_field: args.alt_names_field.clone(),
        radius_km: args.radius,
    };
    let ctx = Context::new(&legal, &control, &places, Some(&admin1), opts)?;
    // A few questions: check a window before overlaying a unit whole. Many:
    // overlay each unit once (the answers are the same).
    let ctx = if stdin_batch || queries.len() > 16 { ctx.for_batches() } else { ctx };
    let within: Vec<&str> = args.within.iter().map(String::as_str).collect();

    let provenance = delimit::provenance::RunProvenance::new(
        [&legal.provenance, &control.provenance, &places.provenance, &admin1.provenance],
        json!({
        "tolerance_m": ctx.tolerance_m(),
        "boundary_rule": "a point exactly on a boundary belongs to neither side: status `boundary`, every touching unit listed",
        }),
    )
    .to_json();
    let mut replies = ctx.reply_all(&queries, &within, &extents)?;
    let mut statuses: Vec<Status> = replies.iter().map(|r| r.status).collect();
    if stdin_batch {
        // One JSON line per answer, written as soon as it is known, so that
        // a script (or the QGIS plugin) can ask thousands of questions of
        // one process.
        let mut out = std::io::stdout().lock();
        let mut emit = |r: &Reply| -> std::io::Result<()> {
            serde_json::to_writer(&mut out, r)?;
            writeln!(out)?;
            out.flush()
        };
        for r in &replies {
            emit(r)?;
        }
        // Replies are kept only for the files written at the end.
        let keep = args.geojson.is_some() || args.output.is_some();
        let streamed = batch::stream(&ctx, std::io::stdin(), &within, &extents, keep, emit)?;
        statuses.extend(streamed.statuses);
        replies.extend(streamed.replies);
    }

    let mut w = delimit::io::WriteOptions { force: args.force, ..Default::default() };
    w.geojson.metadata = Some(provenance.clone());
    let write = |path: &Path, layer: &str, features: Vec<delimit::Feature>| -> delimit::Result<()> {
        let features = super::args::stamp_status(features, &provenance);
        crate::cli::verbosity::wrote(&delimit::io::write_layer(path, layer, &features, &inputs, &w)?);
        Ok(())
    };
    if let Some(path) = &args.geojson {
        write(path, "village", delimit::export::village_features(&replies))?;
    }
    if let Some(path) = &args.output {
        write(path, "answers", delimit::export::village_rows(&replies))?;
    }
    let counts = batch::counts_of(&statuses);
    let all_ok = statuses.iter().all(|&s| s == Status::Ok);
    // One question asked by name, not answered: the error it always was,
    // with its hint (text mode only; --json answers on stdout).
    if let ([r], false, false) = (replies.as_slice(), args.json, stdin_batch)
        && r.answer.is_none()
    {
        let q = r.query_text().to_string();
        return Err(match r.status {
            Status::Ambiguous => delimit::Error::Ambiguous { query: q, candidates: r.candidates.clone() },
            _ if !r.candidates.is_empty() => delimit::Error::NoMatchWithin {
                query: q,
                within: within.join(" and "),
                candidates: r.candidates.clone(),
            },
            _ => delimit::Error::NoMatch { query: q, suggestions: r.suggestions.clone() },
        }
        .into());
    }
    let mut out = std::io::stdout().lock();
    if args.json && !stdin_batch {
        let c: serde_json::Map<String, serde_json::Value> =
            counts.iter().map(|(s, n)| (s.as_str().to_string(), (*n).into())).collect();
        serde_json::to_writer_pretty(&mut out, &json!({ "answers": replies, "counts": c, "provenance": provenance }))?;
        writeln!(out)?;
    } else if !stdin_batch {
        let mut out = crate::cli::term::Safe::new(&mut out);
        crate::cli::table::print_blocks(&mut out, &replies, |o, r| delimit::village::text::write_reply(o, r))?;
        crate::cli::verbosity::caveats(&mut out, &provenance)?;
    }
    if queries.len() > 1 || stdin_batch {
        let list: Vec<String> = counts.iter().map(|(s, n)| format!("{n} {}", s.as_str())).collect();
        super::verbosity::note!("answered {} rows: {}", statuses.len(), list.join(", "));
    }
    // The process ends next: freeing the indexes and layers piece by piece
    // would cost a single query a tenth of its time, for memory the
    // kernel takes back at exit anyway.
    std::mem::forget(ctx);
    std::mem::forget((legal, control, places, admin1));
    Ok(if all_ok { Outcome::Ok } else { Outcome::DataErrors })
}

impl Args {
    fn input_plain(&self) -> InputArgs {
        // admin1 has no owner field; read it without the role's key check.
        self.input.with_owner_field("country")
    }
}
