//! `delimit corridor`: `measure` and `route`, one file each.

mod measure;
mod route;

use std::path::Path;

use anyhow::Result;
use clap::{Args as ClapArgs, Subcommand};
use delimit::corridor::{Context, RouteReport};

use super::Outcome;
use super::args::InputArgs;

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
    Measure(measure::MeasureArgs),
    /// Generate least-cost route options between two points over a cost
    /// raster in a projected CRS, and measure them as `measure` does.
    Route(route::RouteArgs),
}

pub(crate) fn run(args: Args) -> Result<Outcome> {
    match args.command {
        Command::Measure(a) => measure::run(a),
        Command::Route(a) => route::run(a),
    }
}

/// The measuring context, with the run's field names.
pub(super) fn context<'a>(
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
pub(super) fn write_routes(
    out: &super::args::OutputArgs,
    reports: &[RouteReport],
    inputs: &[&Path],
    provenance: &serde_json::Value,
) -> delimit::Result<usize> {
    out.write("corridor", || delimit::export::route_features(reports).into_single_layer(), inputs, provenance)
}
