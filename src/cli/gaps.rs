//! `delimit gaps`

use std::io::Write;
use std::path::PathBuf;

use anyhow::Result;
use clap::Args as ClapArgs;
use delimit::io::ReadOptions;
use delimit::overlay::{Class, Gap, GapsResult, gaps};
use serde_json::{Value, json};

use super::Outcome;
use super::args::{FilterArgs, IoArgs, LayerArgs, SettlementsArgs};
use super::series::{Series, date_option, series_files};

/// Find every area legally of one party and held by another.
///
/// Overlays the legal basis with the control layer and classifies every
/// piece: held_by_other (the gaps), contested_control, dual_claim (a
/// sliver overlap of two legal units), unassigned, outside_basis, and with
/// --all held_by_owner. The pieces form a polygon coverage: neighbours
/// share their borders vertex for vertex. With no inputs it runs on
/// the embedded sample.
#[derive(Debug, ClapArgs)]
pub(crate) struct Args {
    #[command(flatten)]
    layers: LayerArgs,
    #[command(flatten)]
    places: SettlementsArgs,
    /// Do not look up settlements (no `settlements` field values).
    #[arg(long, conflicts_with = "settlements")]
    no_settlements: bool,
    /// Pieces narrower than this (metres) are flagged as slivers (never
    /// dropped). Default: the inputs' positional_accuracy_m, else 100.
    #[arg(long, value_name = "M", value_parser = crate::cli::args::non_negative_number)]
    tolerance_m: Option<f64>,
    /// Also write held_by_owner pieces.
    #[arg(long)]
    all: bool,
    /// Repair invalid inputs (snap to the overlay grid, self-union) instead of refusing them.
    #[arg(long)]
    repair: bool,
    /// A control series: one file with several dates in --time-field, or a
    /// glob of files, one per date ('positions/*.geojson'; quote it). With
    /// --as-of, the snapshot in force at that date is the control layer.
    #[arg(long, value_name = "FILE|GLOB", requires = "as_of", conflicts_with = "control")]
    series: Option<String>,
    /// Use the snapshot of --series in force at this date: the latest on or
    /// before it (YYYY-MM-DD).
    #[arg(long, value_name = "DATE", requires = "series")]
    as_of: Option<String>,
    /// Field holding each snapshot's date (YYYY-MM-DD); a file without it is
    /// dated by the first date in its name.
    #[arg(long, value_name = "FIELD", default_value = "as_of")]
    time_field: String,
    #[command(flatten)]
    filter: FilterArgs,
    #[command(flatten)]
    io: IoArgs,
}

pub(crate) fn run(args: Args) -> Result<Outcome> {
    let series_files = args.series.as_deref().map(series_files).transpose()?;
    let as_of = args.as_of.as_deref().map(|d| date_option("--as-of", d)).transpose()?;
    let mut inputs = args.layers.paths();
    inputs.extend(args.places.settlements.as_deref());
    inputs.extend(series_files.iter().flatten().map(PathBuf::as_path));
    args.io.output.preflight(&inputs)?;
    let filter = args.filter.filter()?;
    // gaps reads only these properties of the polygon layers; the rest are
    // not kept (a Natural Earth admin-1 feature carries 121).
    let f = args.io.input.fields();
    let keep =
        Some(vec![f.owner, f.controller, f.as_of, f.source, f.name, "id".into(), "positional_accuracy_m".into()]);
    let (legal, control, in_force) = match (&series_files, &as_of) {
        (Some(files), Some(date)) => {
            let mut fields = keep.clone().unwrap_or_default();
            fields.push(args.time_field.clone());
            let read = ReadOptions {
                keep_properties: Some(fields),
                ..args.io.input.read_options(Some(delimit::layer::Role::Control))?
            };
            let single = args.series.as_deref().is_some_and(|s| !super::series::is_glob(s));
            let series = Series::read(files, single, &read, &args.time_field)?;
            let (k, note) = series.standing(Some(date))?;
            let control = series.load(k, &read)?.into_owned();
            let legal = args.layers.legal(&args.io.input, keep, Some(&control))?;
            (legal, control, Some(note))
        }
        _ => {
            let (legal, control) = args.layers.load(&args.io.input, keep)?;
            (legal, control, None)
        }
    };
    let settlements = if args.no_settlements { None } else { args.places.load_for(&args.io.input, &legal)? };

    let opts = args.io.input.gaps_options(args.tolerance_m, args.repair);
    let step = super::verbosity::Step::start("overlaying legal basis and control…");
    let mut result = gaps(&legal, &control, settlements.as_ref(), &opts)?;
    // After the conservation check: filtering chooses what is reported,
    // it never changes a measure.
    let filtered = filter.apply(&mut result.gaps);
    drop(step);

    let inputs_prov: Vec<&delimit::layer::Provenance> =
        [Some(&legal.provenance), Some(&control.provenance), settlements.as_ref().map(|s| &s.provenance)]
            .into_iter()
            .flatten()
            .collect();
    let provenance = delimit::provenance::RunProvenance::new(
        inputs_prov,
        json!({
        "tolerance_m": result.tolerance_m,
        "tolerance_from": result.tolerance_from,
        "series": in_force,
        }),
    )
    .to_json();
    let written: Vec<&Gap> = result.gaps.iter().filter(|g| args.all || g.class != Class::HeldByOwner).collect();
    let features_written =
        args.io.output.write("gaps", || delimit::export::gap_features(&written), &inputs, &provenance)?;
    let mut summary = summary(&result);
    if let Some(n) = &in_force {
        summary["snapshot"] = n.clone();
    }
    if filter.is_active() {
        summary["filter"] = json!({ "flags": args.filter.describe(), "left_out_pieces": filtered.pieces, "left_out_km2": round(filtered.km2, 6) });
    }
    let mut out = args.io.summary_sink();
    if args.io.json {
        let v = json!({ "summary": summary, "provenance": provenance, "features_written": features_written });
        serde_json::to_writer_pretty(&mut out, &v)?;
        writeln!(out)?;
    } else {
        if let Some(n) = &in_force {
            writeln!(
                out,
                "control: the snapshot of {} ({}, {}), the latest of {} on or before {}",
                n["snapshot"].as_str().unwrap_or_default(),
                n["date_from"].as_str().unwrap_or_default(),
                n["file"].as_str().unwrap_or_default(),
                n["snapshots"],
                n["as_of"].as_str().unwrap_or_default()
            )?;
        }
        print_table(&mut out, &summary, &result, &legal, &control)?;
        crate::cli::verbosity::caveats(&mut out, &provenance)?;
    }
    Ok(Outcome::Ok)
}

fn round(x: f64, places: i32) -> f64 {
    let k = 10f64.powi(places);
    (x * k).round() / k + 0.0
}

/// Per owner → controller and class: count and km², gaps and slivers apart.
fn summary(r: &GapsResult) -> Value {
    let worst = |layer: &str| {
        r.conservation
            .iter()
            .filter(|c| c.layer == layer)
            .fold((0.0f64, 0.0f64), |(p, g), c| (p.max(c.planar_rel), g.max(c.geodesic_rel)))
    };
    let (lp, lg) = worst("legal");
    let (cp, cg) = worst("control");
    let mut rows = r.summary();
    // By class, then largest first: the rows a reader wants first.
    rows.sort_by(|a, b| {
        a.class
            .cmp(&b.class)
            .then(b.km2.total_cmp(&a.km2))
            .then_with(|| (&a.owner, &a.controller).cmp(&(&b.owner, &b.controller)))
    });
    json!({
        "rows": rows.iter().map(|x| json!({
            "class": x.class.as_str(), "owner": x.owner, "controller": x.controller,
            "features": x.features, "km2": round(x.km2, 6), "sliver_features": x.sliver_features, "sliver_km2": round(x.sliver_km2, 6),
        })).collect::<Vec<_>>(),
        "conservation": {
            "legal_units": r.conservation.iter().filter(|c| c.layer == "legal").count(),
            "control_polygons": r.conservation.iter().filter(|c| c.layer == "control").count(),
            "max_planar_rel": lp.max(cp), "max_geodesic_rel": lg.max(cg),
            "planar_tolerance": delimit::overlay::PLANAR_TOLERANCE, "geodesic_tolerance": delimit::overlay::GEODESIC_TOLERANCE,
        },
        "tolerance_m": r.tolerance_m,
        "tolerance_from": r.tolerance_from,
        "legal_slivers": r.legal_slivers.len(),
    })
}

fn print_table(
    out: &mut impl Write,
    s: &Value,
    r: &GapsResult,
    legal: &delimit::Layer,
    control: &delimit::Layer,
) -> std::io::Result<()> {
    for (role, layer, what) in [("legal:  ", legal, "units"), ("control:", control, "polygons")] {
        let p = &layer.provenance;
        writeln!(out, "{role} {}  ({} {what}, sha256 {})", p.path, layer.features.len(), &p.sha256[..12])?;
    }
    writeln!(out, "sliver tolerance: {} m ({})", r.tolerance_m, r.tolerance_from)?;
    writeln!(out)?;
    let rows: Vec<Vec<String>> = s["rows"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|row| {
            let text = |k: &str| row[k].as_str().unwrap_or_default().to_string();
            let count = |k: &str| super::table::thousands(row[k].as_f64().unwrap_or_default(), 0);
            let km2 = |k: &str| super::table::area_km2(row[k].as_f64().unwrap_or_default());
            vec![
                text("class"),
                text("owner"),
                text("controller"),
                count("features"),
                km2("km2"),
                count("sliver_features"),
                km2("sliver_km2"),
            ]
        })
        .collect();
    // A sliver is counted in its own columns, never in the first two: named
    // so that "0 pieces … 1 sliver" cannot be read as a contradiction.
    let header =
        ["class", "owner", "controller", "pieces (not slivers)", "km² (not slivers)", "sliver pieces", "sliver km²"];
    writeln!(out, "{}", super::table::render(&header, &[false, false, false, true, true, true, true], &rows))?;
    if let Some(f) = s.get("filter") {
        writeln!(
            out,
            "filter: {}; left out {} pieces, {} km²",
            f["flags"].as_str().unwrap_or_default(),
            super::table::thousands(f["left_out_pieces"].as_f64().unwrap_or_default(), 0),
            super::table::thousands(f["left_out_km2"].as_f64().unwrap_or_default(), 3)
        )?;
    }
    let c = &s["conservation"];
    writeln!(out)?;
    writeln!(
        out,
        "conservation: {} legal units and {} control polygons add up; worst deviation {:.1e} planar (limit {:e}), {:.1e} geodesic (limit {:e})",
        c["legal_units"],
        c["control_polygons"],
        c["max_planar_rel"].as_f64().unwrap_or_default(),
        delimit::overlay::PLANAR_TOLERANCE,
        c["max_geodesic_rel"].as_f64().unwrap_or_default(),
        delimit::overlay::GEODESIC_TOLERANCE
    )?;
    if !r.legal_slivers.is_empty() {
        writeln!(
            out,
            "note: {} sliver overlap(s) in the legal basis, each counted once: as a dual_claim piece where the owners differ (see `delimit check --role legal`)",
            r.legal_slivers.len()
        )?;
    }
    Ok(())
}
