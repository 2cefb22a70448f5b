//! `delimit corridor measure`

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Result;
use clap::Args as ClapArgs;
use delimit::corridor::plan;
use delimit::corridor::{Constraints, RouteReport};
use delimit::layer::Role;
use geo::{Geometry, LineString};
use serde_json::json;

use super::super::Outcome;
use super::super::args::{IoArgs, LayerArgs, SettlementsArgs, load_or_sample};
use super::{context, write_routes};

#[derive(Debug, ClapArgs)]
pub(crate) struct MeasureArgs {
    /// Routes: LineStrings with `name` and `kind` (rail, road…). Default:
    /// the embedded ILLUSTRATIVE routes, with the embedded constraints.
    #[arg(long, value_name = "FILE")]
    routes: Option<PathBuf>,
    /// Constraints (TOML; see docs/corridor.md). Without it only the measures
    /// are given (with the sample routes: the embedded data/corridor.toml).
    #[arg(long, value_name = "TOML")]
    constraints: Option<PathBuf>,
    /// A DEM (any GDAL raster, any CRS): elevation profile, ascent, descent,
    /// steepest grade over 200 m, and the grade rule.
    #[arg(long, value_name = "RASTER")]
    dem: Option<PathBuf>,
    /// Settlements within this many km of a route are listed.
    #[arg(long, value_name = "KM", default_value_t = 2.0, value_parser = crate::cli::args::non_negative_number)]
    buffer: f64,
    #[command(flatten)]
    layers: LayerArgs,
    #[command(flatten)]
    places: SettlementsArgs,
    /// Neighbours digitised apart by up to this many metres share a boundary (for clearances).
    #[arg(long, value_name = "M", default_value_t = 100.0, value_parser = crate::cli::args::non_negative_number)]
    match_m: f64,
    #[command(flatten)]
    io: IoArgs,
}

pub(super) fn run(args: MeasureArgs) -> Result<Outcome> {
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
    let constraints_label = args.constraints.clone().unwrap_or_else(|| "embedded:data/corridor.toml".into());
    constraints.check_parties(&constraints_label, &legal, &args.io.input.owner_field)?;
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

    let provenance = delimit::provenance::RunProvenance::new(
        [&routes.provenance, &legal.provenance, &control.provenance, &settlements.provenance],
        json!({
        "constraints": args.constraints.as_ref().map_or_else(|| args.routes.is_none().then(|| "embedded:data/corridor.toml".to_string()), |p| Some(p.display().to_string())),
        "buffer_km": args.buffer,
        "dem": dem.as_ref().map(|d| json!({ "path": d.path().display().to_string(), "crs": d.crs })),
        }),
    )
    .to_json();
    write_routes(&args.io.output, &reports, &inputs, &provenance)?;
    let mut out = args.io.summary_sink();
    if args.io.json {
        serde_json::to_writer_pretty(&mut out, &json!({ "routes": reports, "provenance": provenance }))?;
        writeln!(out)?;
    } else {
        crate::cli::table::print_blocks(&mut out, &reports, |o, x| delimit::corridor::text::write_report(o, x))?;
        crate::cli::verbosity::caveats(&mut out, &provenance)?;
    }
    let failed = reports.iter().any(|r| r.verdicts.iter().any(|v| v.status == "FAIL"));
    Ok(if failed { Outcome::DataErrors } else { Outcome::Ok })
}
