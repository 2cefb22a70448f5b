//! `delimit corridor`

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Result;
use clap::{Args as ClapArgs, Subcommand};
use delimit::corridor::{Constraints, Context, RouteReport};
use delimit::layer::{Feature, Role};
use delimit::lines::pair_lines_within;
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
    use gdal::spatial_ref::{CoordTransform, SpatialRef};
    non_negative("--margin-km", args.margin_km)?;
    if !(args.cell > 0.0 && args.cell.is_finite()) {
        return Err(delimit::Error::Usage {
            option: "--cell".into(),
            message: format!("{} is not a positive size", args.cell),
            hint: None,
        }
        .into());
    }
    let (from_p, to_p) = (Position::parse_flag("--from", &args.from)?, Position::parse_flag("--to", &args.to)?);
    let (from, to) = (from_p.coord(), to_p.coord());
    if let Some(raster) = &args.cost_in {
        return route_on_raster(raster, from, to, &args);
    }
    let Some(constraints_path) = args.constraints.clone() else {
        anyhow::bail!("--constraints is required without --cost-in")
    };
    let mut inputs: Vec<&Path> = args.layers.paths();
    inputs.extend(
        [Some(&constraints_path), args.cost_out.as_ref(), args.dem.as_ref()]
            .into_iter()
            .flatten()
            .map(PathBuf::as_path),
    );
    args.io.output.preflight(&inputs)?;
    if let Some(c) = &args.cost_out {
        delimit::io::Output::prepare(c, args.io.output.force, &inputs)?;
    }
    let constraints = Constraints::read(&constraints_path)?;
    let (legal, control) = args.layers.load(&args.io.input, None)?;
    let extents: Vec<geo::Rect<f64>> = [&legal, &control].iter().filter_map(|l| l.bbox()).collect();
    from_p.check_not_swapped("--from", &extents)?;
    to_p.check_not_swapped("--to", &extents)?;

    let crs_err = |e: gdal::errors::GdalError| delimit::Error::Crs {
        definition: args.crs.clone(),
        context: None,
        message: e.to_string(),
    };
    let mut grid_srs = SpatialRef::from_definition(&args.crs).map_err(crs_err)?;
    let (fwd, inv) = delimit::corridor::lonlat_transforms(&mut grid_srs).map_err(crs_err)?;
    let crs_name = args.crs.clone();
    let run_tf = |t: &CoordTransform, x: &mut [f64], y: &mut [f64]| -> delimit::Result<()> {
        t.transform_coords(x, y, &mut []).map_err(|e| delimit::Error::Crs {
            definition: crs_name.clone(),
            context: None,
            message: e.to_string(),
        })
    };
    let to_grid = |x: &mut [f64], y: &mut [f64]| run_tf(&fwd, x, y);
    let to_lonlat = |x: &mut [f64], y: &mut [f64]| run_tf(&inv, x, y);
    let (mut ex, mut ey) = (vec![from.x, to.x], vec![from.y, to.y]);
    to_grid(&mut ex, &mut ey)?;
    let m = args.margin_km * 1000.0;
    let lo = geo::Coord { x: ex[0].min(ex[1]) - m, y: ey[0].min(ey[1]) - m };
    let hi = geo::Coord { x: ex[0].max(ex[1]) + m, y: ey[0].max(ey[1]) + m };

    let l_idx = delimit::locate::PolygonIndex::of_layer(&legal, |_| true);
    let c_idx = delimit::locate::PolygonIndex::of_layer(&control, |_| true);
    let boundaries = clearance_boundaries(&constraints, &legal, &args.io.input.owner_field, args.match_m);
    let clearance: Vec<(delimit::locate::EdgeIndex, f64)> = constraints
        .clearance
        .iter()
        .filter_map(|cl| {
            let (a, b) = cl.boundary.split_once('|')?;
            let pl = boundaries.iter().find(|p| (p.a == a && p.b == b) || (p.a == b && p.b == a))?;
            Some((
                delimit::locate::EdgeIndex::from_rings(pl.line.0.iter().enumerate().map(|(i, l)| (i, "b", l))),
                cl.min_m,
            ))
        })
        .collect();
    let protected = read_protected(&constraints, Some(&constraints_path), &args.io.input)?;
    let (mut grid, stats) = delimit::corridor::build_grid(
        (lo, hi),
        args.cell,
        &to_lonlat,
        &to_grid,
        (&l_idx, &legal, &args.io.input.owner_field),
        (&c_idx, &control, &args.io.input.controller_field),
        &constraints,
        &clearance,
        protected.as_deref().unwrap_or(&[]),
    )?;
    let dem = args.dem.as_deref().map(delimit::corridor::Dem::open).transpose()?;
    let limit = constraints.max_grade_pct.get(&args.kind).copied();
    let slope = match &dem {
        Some(d) => Some(delimit::corridor::apply_slope(&mut grid, &to_lonlat, d, limit)?),
        None => None,
    };
    if let Some(path) = &args.cost_out {
        write_cost(path, &grid, &grid_srs)?;
    }
    let start = grid.cell_of(geo::Coord { x: ex[0], y: ey[0] });
    let end = grid.cell_of(geo::Coord { x: ex[1], y: ey[1] });
    let (Some(start), Some(end)) = (start, end) else { anyhow::bail!("the ends fall outside the grid") };
    let ctx = context(&legal, &control, &args.io.input, boundaries, None);
    let mut found: Vec<(RouteReport, f64)> = Vec::new();
    let mut reason = None;
    for k in 0..args.alternatives.max(1) {
        let Some((cells, cost)) = grid.least_cost(start, end) else {
            let why = "outside the transit state's legal territory or control, where the constraints allow 0 km, or steeper than the grade limit";
            let steep = slope
                .filter(|s| s.too_steep > 0)
                .map(|s| {
                    format!(
                        "; {} cells are steeper than the {} limit of {}%",
                        s.too_steep,
                        args.kind,
                        s.limit_pct.unwrap_or_default()
                    )
                })
                .unwrap_or_default();
            reason = Some(if !grid.cost[start.1 * grid.width + start.0].is_finite() {
                format!("the start lies in an impassable cell ({why}){steep}")
            } else if !grid.cost[end.1 * grid.width + end.0].is_finite() {
                format!("the end lies in an impassable cell ({why}){steep}")
            } else {
                format!(
                    "no passable path joins the ends: {} cells are outside the transit state's legal territory and {} outside its control{steep}",
                    stats.outside_legal, stats.outside_control
                )
            });
            break;
        };
        let (mut xs, mut ys): (Vec<f64>, Vec<f64>) = cells.iter().map(|c| (c.x, c.y)).unzip();
        to_lonlat(&mut xs, &mut ys)?;
        let mut pts: Vec<geo::Coord<f64>> = xs.into_iter().zip(ys).map(|(x, y)| geo::Coord { x, y }).collect();
        pts[0] = from;
        if let Some(l) = pts.last_mut() {
            *l = to;
        }
        let line = LineString::new(pts);
        let name = format!("option {}", k + 1);
        let report = match &dem {
            Some(d) => {
                ctx.measure_with_dem(&name, Some(&args.kind), &line, &constraints, protected.as_deref(), 0.0, d)?
            }
            None => ctx.measure(&name, Some("generated"), &line, &constraints, protected.as_deref(), 0.0),
        };
        found.push((report, cost));
        // Penalise this option's corridor (two cells either side) for the next.
        for c in &cells {
            if let Some((cc, rr)) = grid.cell_of(*c) {
                for r in rr.saturating_sub(2)..=(rr + 2).min(grid.height - 1) {
                    for q in cc.saturating_sub(2)..=(cc + 2).min(grid.width - 1) {
                        let i = r * grid.width + q;
                        if grid.cost[i].is_finite() && (r, q) != (start.1, start.0) && (r, q) != (end.1, end.0) {
                            grid.cost[i] *= delimit::corridor::PENALTY;
                        }
                    }
                }
            }
        }
    }
    let provenance = json!({
        "tool": format!("delimit {}", env!("CARGO_PKG_VERSION")),
        "inputs": [&legal.provenance, &control.provenance],
        "constraints": constraints_path.display().to_string(),
        "grid": { "crs": args.crs, "cell_m": args.cell, "width": grid.width, "height": grid.height,
                  "outside_legal_cells": stats.outside_legal, "outside_control_cells": stats.outside_control,
                  "clearance_cells": stats.clearance, "protected_cells": stats.protected, "penalty": delimit::corridor::PENALTY,
                  "slope": slope, "kind": args.kind, "dem": args.dem.as_ref().map(|p| p.display().to_string()) },
    });
    let reports: Vec<RouteReport> = found.iter().map(|(r, _)| r.clone()).collect();
    write_routes(&args.io.output, &reports, &inputs, &provenance)?;
    let mut out = args.io.output.summary_sink();
    if args.io.json {
        let routes: Vec<serde_json::Value> = found.iter().map(|(r, c)| json!({ "route": r, "cost": c })).collect();
        serde_json::to_writer_pretty(
            &mut out,
            &json!({ "options": routes, "no_route": reason, "provenance": provenance }),
        )?;
        writeln!(out)?;
    } else {
        writeln!(out, "grid: {}×{} cells of {} m in {}", grid.width, grid.height, args.cell, args.crs)?;
        super::print_blocks(&mut out, &found, |o, (r, c)| {
            writeln!(o, "cost {c:.0}")?;
            print_report(o, r)
        })?;
        if let Some(r) = &reason {
            writeln!(out, "no route: {r}")?;
        }
    }
    Ok(if found.is_empty() { Outcome::DataErrors } else { Outcome::Ok })
}

/// Least-cost path over a given cost raster: its cost (cost × metres),
/// the cells it visits and its geodesic length; `-o` writes the path.
fn route_on_raster(raster: &Path, from: geo::Coord<f64>, to: geo::Coord<f64>, args: &RouteArgs) -> Result<Outcome> {
    let err = |call: &'static str| move |source| delimit::Error::Gdal { path: raster.to_path_buf(), call, source };
    args.io.output.preflight(&[raster])?;
    let ds = gdal::Dataset::open(raster).map_err(err("GDALOpen"))?;
    let gt = ds.geo_transform().map_err(err("GDALGetGeoTransform"))?;
    if gt[2] != 0.0 || gt[4] != 0.0 || (gt[1] + gt[5]).abs() > 1e-9 * gt[1].abs() {
        return Err(delimit::Error::InvalidInput {
            path: raster.to_path_buf(),
            message: "the cost raster must be north-up with square cells".into(),
            hint: "warp it: gdalwarp -tr SIZE SIZE in.tif out.tif".into(),
        }
        .into());
    }
    let band = ds.rasterband(1).map_err(err("GDALGetRasterBand"))?;
    let nodata = band.no_data_value();
    let ((width, height), data) = band.read_band_as::<f64>().map_err(err("GDALRasterIO"))?.into_shape_and_vec();
    let cost: Vec<f64> =
        data.into_iter().map(|v| if v.is_nan() || v < 0.0 || Some(v) == nodata { f64::INFINITY } else { v }).collect();
    let grid = delimit::corridor::CostGrid { width, height, x0: gt[0], y0: gt[3], cell: gt[1], cost };
    let mut srs = ds.spatial_ref().map_err(err("GDALGetSpatialRef"))?;
    let (fwd, inv) = delimit::corridor::lonlat_transforms(&mut srs).map_err(err("OCTNewCoordinateTransformation"))?;
    let (mut xs, mut ys) = (vec![from.x, to.x], vec![from.y, to.y]);
    fwd.transform_coords(&mut xs, &mut ys, &mut []).map_err(err("OCTTransform"))?;
    let (Some(a), Some(b)) =
        (grid.cell_of(geo::Coord { x: xs[0], y: ys[0] }), grid.cell_of(geo::Coord { x: xs[1], y: ys[1] }))
    else {
        anyhow::bail!("--from or --to lies outside the cost raster");
    };
    let t = std::time::Instant::now();
    let found = grid.least_cost(a, b);
    let seconds = t.elapsed().as_secs_f64();
    let mut out = args.io.output.summary_sink();
    let Some((cells, cost)) = found else {
        writeln!(out, "no route: the passable cells do not join the two ends")?;
        return Ok(Outcome::DataErrors);
    };
    let (mut px, mut py): (Vec<f64>, Vec<f64>) = cells.iter().map(|c| (c.x, c.y)).unzip();
    inv.transform_coords(&mut px, &mut py, &mut []).map_err(err("OCTTransform"))?;
    let line = LineString::new(px.into_iter().zip(py).map(|(x, y)| geo::Coord { x, y }).collect());
    let length_m = delimit::lines::line_length_m(&line);
    if let Some(path) = &args.io.output.output {
        let mut m = serde_json::Map::new();
        m.insert("cost".into(), cost.into());
        m.insert("cells".into(), cells.len().into());
        let f = Feature { id: "1".into(), index: 0, geometry: Some(Geometry::LineString(line)), properties: m };
        super::wrote(&delimit::io::write_layer(path, "route", &[f], &[raster], &args.io.output.write_options())?);
    }
    let v = json!({
        "cost": cost, "cost_in_cells": cost / grid.cell, "cells": cells.len(), "length_m": length_m,
        "grid": { "width": width, "height": height, "cell_m": grid.cell }, "search_seconds": seconds,
        "start_cell": [a.0, a.1], "end_cell": [b.0, b.1],
    });
    if args.io.json {
        serde_json::to_writer_pretty(&mut out, &v)?;
        writeln!(out)?;
    } else {
        writeln!(
            out,
            "{width}×{height} cells of {} m: cost {cost:.3} ({:.3} in cell units), {} cells, {:.3} km, search {seconds:.3} s",
            grid.cell,
            cost / grid.cell,
            cells.len(),
            length_m / 1e3
        )?;
    }
    Ok(Outcome::Ok)
}

fn write_cost(
    path: &Path,
    g: &delimit::corridor::CostGrid,
    srs: &gdal::spatial_ref::SpatialRef,
) -> delimit::Result<()> {
    let err = |call: &'static str| move |source| delimit::Error::Gdal { path: path.to_path_buf(), call, source };
    // Written beside the target and renamed: no partial raster is left behind.
    let tmp = path.with_extension("tif.partial");
    {
        let drv = gdal::DriverManager::get_driver_by_name("GTiff").map_err(err("GDALGetDriverByName"))?;
        let mut ds = drv.create_with_band_type::<f64, _>(&tmp, g.width, g.height, 1).map_err(err("GDALCreate"))?;
        ds.set_geo_transform(&[g.x0, g.cell, 0.0, g.y0, 0.0, -g.cell]).map_err(err("GDALSetGeoTransform"))?;
        ds.set_spatial_ref(srs).map_err(err("GDALSetSpatialRef"))?;
        let mut band = ds.rasterband(1).map_err(err("GDALGetRasterBand"))?;
        band.set_no_data_value(Some(-1.0)).map_err(err("GDALSetRasterNoDataValue"))?;
        let data: Vec<f64> = g.cost.iter().map(|&c| if c.is_finite() { c } else { -1.0 }).collect();
        let mut buf = gdal::raster::Buffer::new((g.width, g.height), data);
        band.write((0, 0), (g.width, g.height), &mut buf).map_err(err("GDALRasterIO"))?;
    }
    std::fs::rename(&tmp, path).map_err(|source| delimit::Error::Write { path: path.to_path_buf(), source })
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
    let protected = read_protected(&constraints, args.constraints.as_deref(), &args.io.input)?;
    let (legal, control) = args.layers.load(&args.io.input, None)?;
    let settlements = args.places.load(&args.io.input)?;
    let boundaries = clearance_boundaries(&constraints, &legal, &args.io.input.owner_field, args.match_m);
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

/// The legal pair lines, when a clearance rule needs them (deriving them
/// costs a pass over every edge of the layer).
fn clearance_boundaries(
    c: &Constraints,
    legal: &delimit::Layer,
    owner_field: &str,
    match_m: f64,
) -> Vec<delimit::lines::PairLine> {
    if c.clearance.is_empty() { Vec::new() } else { pair_lines_within(legal, owner_field, match_m) }
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

/// A protected line, by name.
type Protected = (String, LineString<f64>);

/// The protected lines named by the constraints, relative to their file.
pub(crate) fn read_protected(
    c: &Constraints,
    constraints_path: Option<&Path>,
    input: &InputArgs,
) -> delimit::Result<Option<Vec<Protected>>> {
    let Some(p) = &c.protected else { return Ok(None) };
    let base = constraints_path.and_then(Path::parent).unwrap_or(Path::new("."));
    let layer = delimit::io::read_layer(&base.join(&p.file), &input.read_options(Some(Role::Routes))?)?;
    let mut v = Vec::new();
    for f in &layer.features {
        let n = f.text(&p.name_field).unwrap_or_else(|| f.id.clone());
        match &f.geometry {
            Some(Geometry::LineString(l)) => v.push((n, l.clone())),
            Some(Geometry::MultiLineString(m)) => v.extend(m.0.iter().map(|l| (n.clone(), l.clone()))),
            _ => {}
        }
    }
    Ok(Some(v))
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
