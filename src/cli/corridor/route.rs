//! `delimit corridor route`

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Result;
use clap::Args as ClapArgs;
use delimit::corridor::plan::{self, PlanOptions};
use delimit::corridor::{Constraints, RouteReport};
use delimit::position::Position;
use serde_json::json;

use super::super::Outcome;
use super::super::args::{IoArgs, LayerArgs};
use super::write_routes;

#[derive(Debug, ClapArgs)]
pub(crate) struct RouteArgs {
    /// Start, as LAT,LON in decimal degrees (WGS 84), latitude first as
    /// places are cited; hemisphere letters are accepted (39.21N,46.40E).
    #[arg(long, value_name = "LAT,LON", allow_hyphen_values = true)]
    from: String,
    /// End, as LAT,LON.
    #[arg(long, value_name = "LAT,LON", allow_hyphen_values = true)]
    to: String,
    /// Constraints (TOML; see docs/corridor.md). Without them the cost is
    /// distance (times the slope factor with --dem): each cell costs 1 per
    /// metre crossed. With them, cells outside the transit state's legal
    /// territory or control cost 10× (impassable where the constraints
    /// allow 0 km), as do cells within a clearance band and on protected
    /// lines. Costs are in weighted metres: metres × those factors.
    #[arg(long, value_name = "TOML")]
    constraints: Option<PathBuf>,
    /// Route over this cost raster instead of building one (any GDAL
    /// raster in a projected CRS, square cells; no-data, negative and NaN
    /// cells are impassable). For comparing with GRASS on one surface.
    #[arg(long, value_name = "RASTER", conflicts_with_all = ["constraints", "cost_out"])]
    cost_in: Option<PathBuf>,
    /// Projected CRS of the cost raster.
    #[arg(long, value_name = "CRS", default_value = "EPSG:32638")]
    crs: String,
    /// Cell size, m.
    #[arg(long, value_name = "M", default_value_t = 100.0, value_parser = crate::cli::args::positive_number)]
    cell: f64,
    /// Margin around the two ends, km.
    #[arg(long, value_name = "KM", default_value_t = 10.0, value_parser = crate::cli::args::non_negative_number)]
    margin_km: f64,
    /// Number of distinct options (1 to 100); each is a full search that
    /// penalises the corridor of the ones before.
    #[arg(long, value_name = "K", default_value_t = 1,
          value_parser = clap::value_parser!(u32).range(1..=delimit::limits::MAX_ALTERNATIVES as i64))]
    alternatives: u32,
    /// Write the cost raster (GeoTIFF; impassable cells are no-data).
    #[arg(help_heading = crate::cli::describe::OUTPUT_HEADING, long, value_name = "RASTER")]
    cost_out: Option<PathBuf>,
    /// A DEM (any GDAL raster, any CRS): a slope cost, and the grade limit
    /// for --kind from the constraints as a hard rule.
    #[arg(long, value_name = "RASTER", conflicts_with = "cost_in")]
    dem: Option<PathBuf>,
    /// The kind of route generated, for its grade limit (`max_grade_pct`).
    #[arg(long, value_name = "KIND", default_value = "rail")]
    kind: String,
    #[command(flatten)]
    layers: LayerArgs,
    /// Neighbours digitised apart by up to this many metres share a boundary (for clearances).
    #[arg(long, value_name = "M", default_value_t = 100.0, value_parser = crate::cli::args::non_negative_number)]
    match_m: f64,
    #[command(flatten)]
    io: IoArgs,
}

pub(super) fn run(args: RouteArgs) -> Result<Outcome> {
    let (from, to) = (Position::parse_flag("--from", &args.from)?, Position::parse_flag("--to", &args.to)?);
    if let Some(raster) = &args.cost_in {
        return route_on_raster(raster, from, to, &args);
    }
    let constraints_path = args.constraints.clone();
    let mut inputs: Vec<&Path> = args.layers.paths();
    inputs.extend([constraints_path.as_ref(), args.dem.as_ref()].into_iter().flatten().map(PathBuf::as_path));
    args.io.output.preflight(&inputs)?;
    if let Some(c) = &args.cost_out {
        delimit::io::Output::prepare(c, args.io.output.force, &inputs)?;
    }
    let constraints = match &constraints_path {
        Some(p) => Constraints::read(p)?,
        None => Constraints::default(),
    };
    let (legal, control) = args.layers.load(&args.io.input, None)?;
    if let Some(p) = &constraints_path {
        constraints.check_parties(p, &legal, &args.io.input.owner_field)?;
    }
    let extents: Vec<geo::Rect<f64>> = [&legal, &control].iter().filter_map(|l| l.bbox()).collect();
    from.check_not_swapped("--from", &extents)?;
    to.check_not_swapped("--to", &extents)?;
    let protected =
        plan::read_protected(&constraints, constraints_path.as_deref(), &args.io.input.read_options(None)?)?;
    let dem = args.dem.as_deref().map(delimit::corridor::Dem::open).transpose()?;
    let opts = PlanOptions {
        from,
        to,
        crs: args.crs.clone(),
        cell_m: args.cell,
        margin_km: args.margin_km,
        alternatives: args.alternatives as usize,
        kind: args.kind.clone(),
        match_m: args.match_m,
        owner_field: args.io.input.owner_field.clone(),
        controller_field: args.io.input.controller_field.clone(),
        name_field: args.io.input.name_field.clone(),
    };
    let step = crate::cli::verbosity::Step::start("building the cost grid and searching for routes…");
    let plan = plan::plan(&legal, &control, &constraints, protected.as_deref(), dem.as_ref(), &opts)?;
    drop(step);
    let mut grid = serde_json::to_value(plan.summary(&opts))?;
    grid["dem"] = json!(args.dem.as_ref().map(|p| p.display().to_string()));
    let provenance = delimit::provenance::RunProvenance::new(
        [&legal.provenance, &control.provenance],
        json!({
        "constraints": constraints_path.as_ref().map(|p| p.display().to_string()),
        "cost_unit": "weighted m (metres × cell cost factor)",
        "grid": grid,
        }),
    )
    .to_json();
    if plan.options.is_empty() {
        // An error, and nothing written; --json still says why on stdout.
        let reason = plan.no_route.clone().unwrap_or_else(|| "the passable cells do not join the two ends".into());
        if args.io.json {
            let v = json!({ "options": [], "no_route": reason, "provenance": provenance });
            let mut out = args.io.summary_sink();
            serde_json::to_writer_pretty(&mut out, &v)?;
            writeln!(out)?;
        }
        return Err(delimit::Error::NoRoute { reason }.into());
    }
    if let Some(path) = &args.cost_out {
        delimit::corridor::raster::write_cost(path, &plan.grid, &args.crs, args.io.output.force, &inputs)?;
    }
    let routing = routing_rules(&constraints, args.dem.is_some(), &args.kind);
    let reports: Vec<RouteReport> = plan.options.iter().map(|(r, _)| r.clone()).collect();
    write_routes(&args.io.output, &reports, &inputs, &provenance)?;
    let mut out = args.io.summary_sink();
    if args.io.json {
        let routes: Vec<serde_json::Value> =
            plan.options.iter().map(|(r, c)| json!({ "route": r, "cost": c })).collect();
        let v = json!({ "options": routes, "no_route": plan.no_route, "routing": routing, "provenance": provenance });
        serde_json::to_writer_pretty(&mut out, &v)?;
        writeln!(out)?;
    } else {
        writeln!(out, "grid: {}×{} cells of {} m in {}", plan.grid.width, plan.grid.height, args.cell, args.crs)?;
        crate::cli::table::print_blocks(&mut out, &plan.options, |o, (r, c)| {
            writeln!(o, "cost {c:.0} weighted m (metres × cell cost factor)")?;
            writeln!(o, "{}", routing.join("\n"))?;
            delimit::corridor::text::write_report(o, r)
        })?;
        if let Some(r) = &plan.no_route {
            writeln!(out, "no route: {r}")?;
        }
        crate::cli::verbosity::caveats(&mut out, &provenance)?;
    }
    Ok(Outcome::Ok)
}

/// Least-cost path over a given cost raster: its cost (cost × metres),
/// the cells it visits and its geodesic length; `-o` writes the path.
fn route_on_raster(raster: &Path, from: Position, to: Position, args: &RouteArgs) -> Result<Outcome> {
    args.io.output.preflight(&[raster])?;
    let found = delimit::corridor::raster::route_on(raster, from, to)?;
    let Some(r) = found else {
        return Err(delimit::Error::NoRoute { reason: "the passable cells do not join the two ends".into() }.into());
    };
    let mut out = args.io.summary_sink();
    let provenance =
        delimit::provenance::RunProvenance::new([], json!({ "cost_raster": raster.display().to_string() })).to_json();
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

/// Which rules the search enforced (impassable cells), which it only
/// weighed (costlier cells), and which the verdicts only measure: a
/// generated option is not "compliant" with a rule it was never held to.
fn routing_rules(c: &Constraints, dem: bool, kind: &str) -> Vec<String> {
    let (mut enforced, mut weighed, mut measured) = (Vec::new(), Vec::new(), Vec::new());
    if c.transit_state.is_empty() {
        weighed.push("distance only (no constraints given)".to_string());
    } else {
        for (what, limit) in [("legal territory", c.max_km_outside_legal), ("control", c.max_km_outside_control)] {
            match limit {
                Some(0.0) => enforced.push(format!("no cell outside {}'s {what}", c.transit_state)),
                Some(l) => {
                    weighed.push(format!("cells outside {}'s {what} cost 10×", c.transit_state));
                    measured.push(format!("at most {l} km outside its {what}"));
                }
                None => weighed.push(format!("cells outside {}'s {what} cost 10×", c.transit_state)),
            }
        }
        for cl in &c.clearance {
            weighed.push(format!("cells within {} m of {} cost 10×", cl.min_m, cl.boundary));
        }
        if c.protected.is_some() {
            weighed.push("cells on protected lines cost 10×".into());
        }
        if !c.checkpoint.is_empty() {
            measured.push("border crossings only at the listed checkpoints".into());
        }
        if c.reciprocal.is_some() {
            measured.push("the reciprocal route's km under foreign jurisdiction".into());
        }
    }
    if dem {
        weighed.push("slope".into());
        if let Some(g) = c.max_grade_pct.get(kind) {
            enforced.push(format!("no cell steeper than {g}% ({kind})"));
        }
    }
    let list = |v: &[String]| if v.is_empty() { "none".to_string() } else { v.join("; ") };
    vec![
        format!("  routing enforced: {}", list(&enforced)),
        format!("  routing weighed:  {}", list(&weighed)),
        format!("  measured only:    {}", list(&measured)),
    ]
}
