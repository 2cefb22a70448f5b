//! `delimit corridor`

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Result;
use clap::{Args as ClapArgs, Subcommand};
use delimit::corridor::{Constraints, Context, RouteReport};
use delimit::layer::{Feature, Role};
use delimit::lines::pair_lines_within;
use geo::{Geometry, LineString, Point};
use serde_json::json;

use super::Outcome;
use super::args::{InputArgs, OutputArgs, load_or_sample, non_negative};

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
}

#[derive(Debug, ClapArgs)]
pub(crate) struct MeasureArgs {
    /// Routes: LineStrings with `name` and `kind` (rail, road…).
    #[arg(long, value_name = "FILE")]
    routes: PathBuf,
    /// Constraints (TOML; see docs/corridor.md). Without it only the measures are given.
    #[arg(long, value_name = "FILE")]
    constraints: Option<PathBuf>,
    /// A DEM (any GDAL raster, any CRS): elevation profile, ascent, descent,
    /// steepest grade over 200 m, and the grade rule.
    #[arg(long, value_name = "FILE")]
    dem: Option<PathBuf>,
    /// Settlements within this many km of a route are listed.
    #[arg(long, value_name = "KM", default_value_t = 2.0)]
    buffer: f64,
    /// Legal basis. Default: the embedded sample.
    #[arg(long, value_name = "FILE")]
    legal: Option<PathBuf>,
    /// De facto control. Default: the embedded sample.
    #[arg(long, value_name = "FILE")]
    control: Option<PathBuf>,
    /// Settlements. Default: the embedded sample.
    #[arg(long, value_name = "FILE")]
    settlements: Option<PathBuf>,
    /// Neighbours digitised apart by up to this many metres share a boundary (for clearances).
    #[arg(long, value_name = "M", default_value_t = 100.0)]
    match_m: f64,
    #[command(flatten)]
    input: InputArgs,
    #[command(flatten)]
    output: OutputArgs,
    /// Machine-readable results on stdout.
    #[arg(long)]
    json: bool,
}

pub(crate) fn run(args: Args) -> Result<Outcome> {
    match args.command {
        Command::Measure(a) => measure(a),
    }
}

fn measure(args: MeasureArgs) -> Result<Outcome> {
    non_negative("--buffer", args.buffer)?;
    non_negative("--match-m", args.match_m)?;
    let inputs: Vec<&Path> = [Some(&args.routes), args.constraints.as_ref(), args.legal.as_ref(), args.control.as_ref(), args.settlements.as_ref(), args.dem.as_ref()]
        .into_iter()
        .flatten()
        .map(PathBuf::as_path)
        .collect();
    args.output.preflight(&inputs)?;
    let constraints = match &args.constraints {
        Some(p) => Constraints::read(p)?,
        None => Constraints::default(),
    };
    let routes = delimit::io::read_layer(&args.routes, &args.input.read_options(Some(Role::Routes))?)?;
    let mut lines: Vec<(String, Option<String>, LineString<f64>)> = Vec::new();
    for f in &routes.features {
        let name = f.text(&args.input.name_field).unwrap_or_else(|| f.id.clone());
        match &f.geometry {
            Some(Geometry::LineString(l)) => lines.push((name, f.text("kind"), l.clone())),
            _ => {
                return Err(delimit::Error::Geometry {
                    path: args.routes.clone(),
                    feature: f.id.clone(),
                    message: "is not a LineString".into(),
                    hint: Some("a route is one LineString; split a MultiLineString into one feature per option".into()),
                }
                .into());
            }
        }
    }
    let protected: Option<Vec<(String, LineString<f64>)>> = match &constraints.protected {
        Some(p) => {
            let base = args.constraints.as_deref().and_then(Path::parent).unwrap_or(Path::new("."));
            let path = base.join(&p.file);
            let layer = delimit::io::read_layer(&path, &args.input.read_options(Some(Role::Routes))?)?;
            let mut v = Vec::new();
            for f in &layer.features {
                let n = f.text(&p.name_field).unwrap_or_else(|| f.id.clone());
                match &f.geometry {
                    Some(Geometry::LineString(l)) => v.push((n, l.clone())),
                    Some(Geometry::MultiLineString(m)) => v.extend(m.0.iter().map(|l| (n.clone(), l.clone()))),
                    _ => {}
                }
            }
            Some(v)
        }
        None => None,
    };
    let legal = load_or_sample(args.legal.as_deref(), "legal.geojson", Role::Legal, &args.input, None)?;
    let control = load_or_sample(args.control.as_deref(), "control.geojson", Role::Control, &args.input, None)?;
    let settlements = load_or_sample(args.settlements.as_deref(), "settlements.geojson", Role::Settlements, &args.input, None)?;
    let boundaries = if constraints.clearance.is_empty() { Vec::new() } else { pair_lines_within(&legal, &args.input.owner_field, args.match_m) };
    let ctx = Context::new(
        &legal,
        &control,
        &args.input.owner_field,
        &args.input.controller_field,
        boundaries,
        Some(&settlements),
        &args.input.name_field,
    );
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
        "constraints": args.constraints.as_ref().map(|p| p.display().to_string()),
        "buffer_km": args.buffer,
        "dem": dem.as_ref().map(|d| json!({ "path": d.path().display().to_string(), "crs": d.crs })),
    });
    if let Some(path) = &args.output.output {
        let mut w = args.output.write_options();
        w.geojson.metadata = Some(provenance.clone());
        delimit::io::write_layer(path, "corridor", &features(&reports), &inputs, &w)?;
    }
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &json!({ "routes": reports, "provenance": provenance }))?;
        writeln!(out)?;
    } else {
        super::print_blocks(&mut out, &reports, |o, x| print_report(o, x))?;
    }
    let failed = reports.iter().any(|r| r.verdicts.iter().any(|v| v.status == "FAIL"));
    Ok(if failed { Outcome::DataErrors } else { Outcome::Ok })
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
            if p.missing > 0 { format!(" ({} of {} samples off the DEM)", p.missing, p.samples.len()) } else { String::new() }
        )?;
    }
    for v in &r.verdicts {
        let num = |x: Option<f64>| x.map_or("-".to_string(), |x| format!("{x:.3}"));
        writeln!(out, "  {:<4} {} (measured {}, limit {}) {}", v.status, v.rule, num(v.measured), num(v.limit), v.detail)?;
    }
    Ok(())
}

fn features(reports: &[RouteReport]) -> Vec<Feature> {
    let mut out = Vec::new();
    let mut push = |geometry: Geometry<f64>, props: serde_json::Map<String, serde_json::Value>| {
        let i = out.len();
        out.push(Feature { id: format!("{}", i + 1), index: i, geometry: Some(geometry), properties: props });
    };
    for r in reports {
        for p in &r.pieces {
            let mut m = serde_json::Map::new();
            m.insert("kind".into(), "piece".into());
            m.insert("route".into(), r.name.clone().into());
            m.insert("owner".into(), p.owner.clone().into());
            m.insert("controller".into(), p.controller.clone().into());
            m.insert("length_km".into(), ((p.length_m / 1e3 * 1e6).round() / 1e6).into());
            push(Geometry::LineString(p.geometry.clone()), m);
        }
        for x in &r.crossings {
            let mut m = serde_json::Map::new();
            m.insert("kind".into(), "crossing".into());
            m.insert("route".into(), r.name.clone().into());
            m.insert("from".into(), x.from.clone().into());
            m.insert("to".into(), x.to.clone().into());
            m.insert("checkpoint".into(), x.checkpoint.clone().into());
            push(Geometry::Point(Point::new(x.at[0], x.at[1])), m);
        }
        for c in &r.clearances {
            if let (Some(a), Some(b), Some(d)) = (c.at, c.to, c.min_m) {
                let mut m = serde_json::Map::new();
                m.insert("kind".into(), "clearance".into());
                m.insert("route".into(), r.name.clone().into());
                m.insert("boundary".into(), c.boundary.clone().into());
                m.insert("distance_m".into(), ((d * 10.0).round() / 10.0).into());
                push(Geometry::LineString(LineString::from(vec![(a[0], a[1]), (b[0], b[1])])), m);
            }
        }
    }
    out
}
