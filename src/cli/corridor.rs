//! `delimit corridor`

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Result;
use clap::{Args as ClapArgs, Subcommand};
use delimit::corridor::plan::{self, PlanOptions};
use delimit::corridor::{Constraints, Context, RouteReport};
use delimit::layer::Role;
use delimit::position::Position;
use geo::{Geometry, LineString};
use serde_json::json;

use super::Outcome;
use super::args::{InputArgs, IoArgs, LayerArgs, SettlementsArgs, load_or_sample, non_negative};

/// Transit-route options measured against sovereignty constraints.
#[derive(Debug, ClapArgs)]
pub(crate) struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Measure routes: km per jurisdiction, border crossings, clearances,
    /// protected-line crossings, settlements nearby, and a verdict per constraint.
    Measure(MeasureArgs),
    /// Generate least-cost route options between two points over a cost
    /// raster in a projected CRS, and measure them as `measure` does.
    Route(RouteArgs),
}

#[derive(Debug, ClapArgs)]
pub(crate) struct RouteArgs {
    /// Start, as LAT,LON in decimal degrees (WGS 84), latitude first as
    /// places are cited; hemisphere letters are accepted (39.21N,46.40E).
    #[arg(long, value_name = "LAT,LON", allow_hyphen_values = true)]
    from: String,
    /// End, as LAT,LON.
    #[arg(long, value_name = "LAT,LON", allow_hyphen_values = true)]
    to: String,
    /// Constraints (TOML). Hard rules make cells impassable.
    #[arg(long, value_name = "FILE", required_unless_present = "cost_in")]
    constraints: Option<PathBuf>,
    /// Route over this cost raster instead of building one (any GDAL
    /// raster in a projected CRS, square cells; no-data, negative and NaN
    /// cells are impassable). For comparing with GRASS on one surface.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["constraints", "cost_out"])]
    cost_in: Option<PathBuf>,
    /// Projected CRS of the cost raster.
    #[arg(long, value_name = "CRS", default_value = "EPSG:32638")]
    crs: String,
    /// Cell size, m.
    #[arg(long, value_name = "M", default_value_t = 100.0)]
    cell: f64,
    /// Margin around the two ends, km.
    #[arg(long, value_name = "KM", default_value_t = 10.0)]
    margin_km: f64,
    /// Number of distinct options; each penalises the corridor of the ones before.
    #[arg(long, value_name = "K", default_value_t = 1)]
    alternatives: usize,
    /// Write the cost raster (GeoTIFF; impassable cells are no-data).
    #[arg(long, value_name = "FILE")]
    cost_out: Option<PathBuf>,
    /// A DEM (any GDAL raster, any CRS): a slope cost, and the grade limit
    /// for --kind from the constraints as a hard rule.
    #[arg(long, value_name = "FILE", conflicts_with = "cost_in")]
    dem: Option<PathBuf>,
    /// The kind of route generated, for its grade limit (`max_grade_pct`).
    #[arg(long, value_name = "KIND", default_value = "rail")]
    kind: String,
    #[command(flatten)]
    layers: LayerArgs,
    /// Neighbours digitised apart by up to this many metres share a boundary (for clearances).
    #[arg(long, value_name = "M", default_value_t = 100.0)]
    match_m: f64,
    #[command(flatten)]
    io: IoArgs,
}

#[derive(Debug, ClapArgs)]
pub(crate) struct MeasureArgs {
    /// Routes: LineStrings with `name` and `kind` (rail, road…). Default:
    /// the embedded ILLUSTRATIVE routes, with the embedded constraints.
    #[arg(long, value_name = "FILE")]
    routes: Option<PathBuf>,
    /// Constraints (TOML; see docs/corridor.md). Without it only the measures
    /// are given (with the sample routes: the embedded data/corridor.toml).
    #[arg(long, value_name = "FILE")]
    constraints: Option<PathBuf>,
    /// A DEM (any GDAL raster, any CRS): elevation profile, ascent, descent,
    /// steepest grade over 200 m, and the grade rule.
    #[arg(long, value_name = "FILE")]
    dem: Option<PathBuf>,
    /// Settlements within this many km of a route are listed.
    #[arg(long, value_name = "KM", default_value_t = 2.0)]
    buffer: f64,
    #[command(flatten)]
    layers: LayerArgs,
    #[command(flatten)]
    places: SettlementsArgs,
    /// Neighbours digitised apart by up to this many metres share a boundary (for clearances).
    #[arg(long, value_name = "M", default_value_t = 100.0)]
    match_m: f64,
    #[command(flatten)]
    io: IoArgs,
}

pub(crate) fn run(args: Args) -> Result<Outcome> {
    match args.command {
        Command::Measure(a) => measure(a),
        Command::Route(a) => route(a),
    }
}

fn route(args: RouteArgs) -> Result<Outcome> {
    non_negative("--margin-km", args.margin_km)?;
    if !(args.cell > 0.0 && args.cell.is_finite()) {
        return Err(delimit::Error::Usage {
            option: "--cell".into(),
            message: format!("{} is not a positive size", args.cell),
            hint: None,
        }
        .into());
    }
    let (from, to) = (Position::parse_flag("--from", &args.from)?, Position::parse_flag("--to", &args.to)?);
    if let Some(raster) = &args.cost_in {
        return route_on_raster(raster, from, to, &args);
    }
    let Some(constraints_path) = args.constraints.clone() else {
        anyhow::bail!("--constraints is required without --cost-in")
    };
    let mut inputs: Vec<&Path> = args.layers.paths();
    inputs.extend([Some(&constraints_path), args.dem.as_ref()].into_iter().flatten().map(PathBuf::as_path));
    args.io.output.preflight(&inputs)?;
    if let Some(c) = &args.cost_out {
        delimit::io::Output::prepare(c, args.io.output.force, &inputs)?;
    }
    let constraints = Constraints::read(&constraints_path)?;
    let (legal, control) = args.layers.load(&args.io.input, None)?;
    let extents: Vec<geo::Rect<f64>> = [&legal, &control].iter().filter_map(|l| l.bbox()).collect();
    from.check_not_swapped("--from", &extents)?;
    to.check_not_swapped("--to", &extents)?;
    let protected = plan::read_protected(&constraints, Some(&constraints_path), &args.io.input.read_options(None)?)?;
    let dem = args.dem.as_deref().map(delimit::corridor::Dem::open).transpose()?;
    let opts = PlanOptions {
        from,
        to,
        crs: args.crs.clone(),
        cell_m: args.cell,
        margin_km: args.margin_km,
        alternatives: args.alternatives,
        kind: args.kind.clone(),
        match_m: args.match_m,
        owner_field: args.io.input.owner_field.clone(),
        controller_field: args.io.input.controller_field.clone(),
        name_field: args.io.input.name_field.clone(),
    };
    let plan = plan::plan(&legal, &control, &constraints, protected.as_deref(), dem.as_ref(), &opts)?;
    if let Some(path) = &args.cost_out {
        delimit::corridor::raster::write_cost(path, &plan.grid, &args.crs, args.io.output.force, &inputs)?;
    }
    let mut grid = serde_json::to_value(plan.summary(&opts))?;
    grid["dem"] = json!(args.dem.as_ref().map(|p| p.display().to_string()));
    let provenance = json!({
        "tool": format!("delimit {}", env!("CARGO_PKG_VERSION")),
        "inputs": [&legal.provenance, &control.provenance],
        "constraints": constraints_path.display().to_string(),
        "grid": grid,
    });
    let reports: Vec<RouteReport> = plan.options.iter().map(|(r, _)| r.clone()).collect();
    write_routes(&args.io.output, &reports, &inputs, &provenance)?;
    let mut out = args.io.output.summary_sink();
    if args.io.json {
        let routes: Vec<serde_json::Value> =
            plan.options.iter().map(|(r, c)| json!({ "route": r, "cost": c })).collect();
        let v = json!({ "options": routes, "no_route": plan.no_route, "provenance": provenance });
        serde_json::to_writer_pretty(&mut out, &v)?;
        writeln!(out)?;
    } else {
        writeln!(out, "grid: {}×{} cells of {} m in {}", plan.grid.width, plan.grid.height, args.cell, args.crs)?;
        super::print_blocks(&mut out, &plan.options, |o, (r, c)| {
            writeln!(o, "cost {c:.0}")?;
            print_report(o, r)
        })?;
        if let Some(r) = &plan.no_route {
            writeln!(out, "no route: {r}")?;
        }
    }
    Ok(if plan.options.is_empty() { Outcome::DataErrors } else { Outcome::Ok })
}

/// Least-cost path over a given cost raster: its cost (cost × metres),
/// the cells it visits and its geodesic length; `-o` writes the path.
fn route_on_raster(raster: &Path, from: Position, to: Position, args: &RouteArgs) -> Result<Outcome> {
    args.io.output.preflight(&[raster])?;
    let found = delimit::corridor::raster::route_on(raster, from, to)?;
    let mut out = args.io.output.summary_sink();
    let Some(r) = found else {
        writeln!(out, "no route: the passable cells do not join the two ends")?;
        return Ok(Outcome::DataErrors);
    };
    let provenance = json!({ "tool": format!("delimit {}", env!("CARGO_PKG_VERSION")), "cost_raster": raster.display().to_string() });
    args.io.output.write("route", || delimit::export::raster_route_features(&r), &[raster], &provenance)?;
    let v = json!({
        "cost": r.cost, "cost_in_cells": r.cost_in_cells, "cells": r.cells, "length_m": r.length_m,
        "grid": { "width": r.width, "height": r.height, "cell_m": r.cell_m }, "search_seconds": r.search_seconds,
        "start_cell": r.start_cell, "end_cell": r.end_cell,
    });
    if args.io.json {
        serde_json::to_writer_pretty(&mut out, &v)?;
        writeln!(out)?;
    } else {
        writeln!(
            out,
            "{}×{} cells of {} m: cost {:.3} ({:.3} in cell units), {} cells, {:.3} km, search {:.3} s",
            r.width,
            r.height,
            r.cell_m,
            r.cost,
            r.cost_in_cells,
            r.cells,
            r.length_m / 1e3,
            r.search_seconds
        )?;
    }
    Ok(Outcome::Ok)
}

fn measure(args: MeasureArgs) -> Result<Outcome> {
    non_negative("--buffer", args.buffer)?;
    non_negative("--match-m", args.match_m)?;
    let mut inputs: Vec<&Path> = args.layers.paths();
    inputs.extend(
        [&args.routes, &args.constraints, &args.places.settlements, &args.dem]
            .into_iter()
            .flatten()
            .map(PathBuf::as_path),
    );
    args.io.output.preflight(&inputs)?;
    let constraints = match (&args.constraints, &args.routes) {
        (Some(p), _) => Constraints::read(p)?,
        // The sample routes come with the sample constraints.
        (None, None) => {
            let f = delimit::sample::file("corridor.toml").expect("embedded");
            Constraints::parse(
                Path::new("embedded:data/corridor.toml"),
                std::str::from_utf8(f.bytes).unwrap_or_default(),
            )?
        }
        (None, Some(_)) => Constraints::default(),
    };
    let routes = load_or_sample(args.routes.as_deref(), "routes.geojson", Role::Routes, &args.io.input, None)?;
    let routes_path = PathBuf::from(&routes.provenance.path);
    let mut lines: Vec<(String, Option<String>, LineString<f64>)> = Vec::new();
    for f in &routes.features {
        let name = f.text(&args.io.input.name_field).unwrap_or_else(|| f.id.clone());
        match &f.geometry {
            Some(Geometry::LineString(l)) => lines.push((name, f.text("kind"), l.clone())),
            _ => {
                return Err(delimit::Error::Geometry {
                    path: routes_path.clone(),
                    feature: f.id.clone(),
                    message: "is not a LineString".into(),
                    hint: Some("a route is one LineString; split a MultiLineString into one feature per option".into()),
                }
                .into());
            }
        }
    }
    let protected =
        plan::read_protected(&constraints, args.constraints.as_deref(), &args.io.input.read_options(None)?)?;
    let (legal, control) = args.layers.load(&args.io.input, None)?;
    let settlements = args.places.load(&args.io.input)?;
    let boundaries = plan::clearance_boundaries(&constraints, &legal, &args.io.input.owner_field, args.match_m);
    let ctx = context(&legal, &control, &args.io.input, boundaries, Some(&settlements));
    let dem = args.dem.as_deref().map(delimit::corridor::Dem::open).transpose()?;
    let reports: Vec<RouteReport> = lines
        .iter()
        .map(|(n, k, l)| match &dem {
            Some(d) => ctx.measure_with_dem(n, k.as_deref(), l, &constraints, protected.as_deref(), args.buffer, d),
            None => Ok(ctx.measure(n, k.as_deref(), l, &constraints, protected.as_deref(), args.buffer)),
        })
        .collect::<delimit::Result<_>>()?;

    let provenance = json!({
        "tool": format!("delimit {}", env!("CARGO_PKG_VERSION")),
        "inputs": [&routes.provenance, &legal.provenance, &control.provenance, &settlements.provenance],
        "constraints": args.constraints.as_ref().map_or_else(|| args.routes.is_none().then(|| "embedded:data/corridor.toml".to_string()), |p| Some(p.display().to_string())),
        "buffer_km": args.buffer,
        "dem": dem.as_ref().map(|d| json!({ "path": d.path().display().to_string(), "crs": d.crs })),
    });
    write_routes(&args.io.output, &reports, &inputs, &provenance)?;
    let mut out = args.io.output.summary_sink();
    if args.io.json {
        serde_json::to_writer_pretty(&mut out, &json!({ "routes": reports, "provenance": provenance }))?;
        writeln!(out)?;
    } else {
        super::print_blocks(&mut out, &reports, |o, x| print_report(o, x))?;
    }
    let failed = reports.iter().any(|r| r.verdicts.iter().any(|v| v.status == "FAIL"));
    Ok(if failed { Outcome::DataErrors } else { Outcome::Ok })
}

/// The measuring context, with the run's field names.
fn context<'a>(
    legal: &'a delimit::Layer,
    control: &'a delimit::Layer,
    input: &'a InputArgs,
    boundaries: Vec<delimit::lines::PairLine>,
    settlements: Option<&'a delimit::Layer>,
) -> Context<'a> {
    Context::new(
        legal,
        control,
        &input.owner_field,
        &input.controller_field,
        boundaries,
        settlements,
        &input.name_field,
    )
}

/// Routes and their pieces as one layer to `-o`, if given.
fn write_routes(
    out: &super::args::OutputArgs,
    reports: &[RouteReport],
    inputs: &[&Path],
    provenance: &serde_json::Value,
) -> delimit::Result<usize> {
    out.write("corridor", || delimit::export::route_features(reports).into_single_layer(), inputs, provenance)
}

fn print_report(out: &mut dyn Write, r: &RouteReport) -> std::io::Result<()> {
    writeln!(out, "{} ({}): {:.3} km", r.name, r.kind.as_deref().unwrap_or("route"), r.length_m / 1e3)?;
    for (k, m) in &r.by_jurisdiction_m {
        let (o, c) = k.split_once('|').unwrap_or((k, "-"));
        writeln!(out, "  legally {o:<8} held by {c:<8} {:>10.3} km", m / 1e3)?;
    }
    for x in &r.crossings {
        writeln!(
            out,
            "  crossing {} → {} at {:.5}°N {:.5}°E (km {:.3}){}",
            x.from.as_deref().unwrap_or("none"),
            x.to.as_deref().unwrap_or("none"),
            x.at[1],
            x.at[0],
            x.chainage_m / 1e3,
            x.checkpoint.as_deref().map(|c| format!(", at checkpoint {c}")).unwrap_or_default()
        )?;
    }
    for c in &r.clearances {
        match c.min_m {
            Some(m) => writeln!(out, "  closest to {}: {:.0} m", c.boundary, m)?,
            None => writeln!(out, "  closest to {}: no such boundary", c.boundary)?,
        }
    }
    for p in &r.protected_crossings {
        writeln!(out, "  crosses protected line {} at {:.5}°N {:.5}°E", p.name, p.at[1], p.at[0])?;
    }
    if !r.settlements.is_empty() {
        let s: Vec<String> = r.settlements.iter().take(12).map(|(n, d)| format!("{n} {:.1} km", d / 1e3)).collect();
        writeln!(out, "  settlements nearby: {}{}", s.join(", "), if r.settlements.len() > 12 { ", …" } else { "" })?;
    }
    if let Some(p) = &r.profile {
        writeln!(
            out,
            "  profile: ascent {:.0} m, descent {:.0} m, steepest {} over {:.0} m{}",
            p.ascent_m,
            p.descent_m,
            p.max_grade_pct.map_or("-".to_string(), |g| format!("{g:.2}%")),
            p.window_m,
            if p.missing > 0 {
                format!(" ({} of {} samples off the DEM)", p.missing, p.samples.len())
            } else {
                String::new()
            }
        )?;
    }
    for v in &r.verdicts {
        let num = |x: Option<f64>| x.map_or("-".to_string(), |x| format!("{x:.3}"));
        writeln!(
            out,
            "  {:<4} {} (measured {}, limit {}) {}",
            v.status,
            v.rule,
            num(v.measured),
            num(v.limit),
            v.detail
        )?;
    }
    Ok(())
}
