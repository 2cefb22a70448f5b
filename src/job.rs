//! A full run: every analysis on one set of layers, for the outputs that
//! carry all of them (the QGIS GeoPackage and the report).
//!
//! Each analysis is the same function its own subcommand calls, with the
//! same defaults; a full run adds nothing of its own but the order.

use geo::{Geometry, LineString};

use crate::check::{CheckOptions, Report, check_layer};
use crate::corridor::{Constraints, Context, RouteReport};
use crate::error::{Error, Result};
use crate::layer::{Layer, Role};
use crate::lines::{
    Deviation, LinesOptions, PairLine, Progress, ProgressOptions, deviation, pair_lines_within, progress,
};
use crate::overlay::{GapsOptions, GapsResult, gaps};

/// The layers of a full run. Only the legal, control and settlements layers
/// are required; each optional one adds its analysis.
#[derive(Debug, Clone, Copy)]
pub struct Inputs<'a> {
    /// Legal basis (polygons with an owner).
    pub legal: &'a Layer,
    /// De facto control (polygons with a controller).
    pub control: &'a Layer,
    /// Settlements (points with a name).
    pub settlements: &'a Layer,
    /// Delimited segments, for progress.
    pub segments: Option<&'a Layer>,
    /// Admin-1 units with `name` and `country`, for progress sectors.
    pub admin1: Option<&'a Layer>,
    /// Routes to measure (LineStrings with `name` and `kind`).
    pub routes: Option<&'a Layer>,
}

/// Parameters of a full run; the defaults are the subcommands' defaults.
#[derive(Debug, Clone)]
pub struct Options {
    /// Field names and sliver tolerance for the overlay.
    pub gaps: GapsOptions,
    /// Station spacing and tolerance for the deviation.
    pub lines: LinesOptions,
    /// Matching distance for the progress of delimitation.
    pub progress: ProgressOptions,
    /// Neighbours digitised apart by up to this many metres share a line.
    pub match_m: f64,
    /// Route constraints, with the protected lines they name.
    pub constraints: Constraints,
    /// Protected lines named by the constraints: (name, line).
    pub protected: Option<Vec<(String, LineString<f64>)>>,
    /// Settlements within this many km of a route are listed.
    pub buffer_km: f64,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            gaps: GapsOptions::default(),
            lines: LinesOptions::default(),
            progress: ProgressOptions::default(),
            match_m: 100.0,
            constraints: Constraints::default(),
            protected: None,
            buffer_km: 2.0,
        }
    }
}

/// Everything a full run measured.
#[derive(Debug, Clone)]
pub struct FullRun {
    /// Every overlay piece, held_by_owner included.
    pub gaps: GapsResult,
    /// The legal boundary of each owner pair.
    pub legal_lines: Vec<PairLine>,
    /// The control boundary of each controller pair.
    pub control_lines: Vec<PairLine>,
    /// Stations and runs along the legal lines.
    pub deviation: Deviation,
    /// Delimited and pending km, when segments were given.
    pub progress: Option<Progress>,
    /// One report per route, when routes were given.
    pub routes: Vec<RouteReport>,
    /// `check` on the legal basis.
    pub legal_check: Report,
    /// `check` on the control layer.
    pub control_check: Report,
    /// What changed hands over a control series, when one was given (the
    /// caller runs [`crate::changes`]; [`run`] leaves it empty).
    pub changes: Option<crate::changes::ChangesResult>,
}

/// Run every analysis.
///
/// ```
/// use delimit::job::{Inputs, Options, run};
/// let load = |n| delimit::sample::load(n, &Default::default()).unwrap();
/// let (legal, control, settlements) = (load("legal.geojson"), load("control.geojson"), load("settlements.geojson"));
/// let inputs = Inputs { legal: &legal, control: &control, settlements: &settlements,
///                       segments: None, admin1: None, routes: None };
/// let r = run(&inputs, &Options::default()).unwrap();
/// assert!(r.legal_lines.iter().any(|l| l.pair() == "ARM|AZE"));
/// assert!(r.progress.is_none() && r.routes.is_empty());
/// ```
pub fn run(inputs: &Inputs<'_>, opts: &Options) -> Result<FullRun> {
    let g = &opts.gaps;
    let legal_lines = pair_lines_within(inputs.legal, &g.owner_field, opts.match_m);
    let control_lines = pair_lines_within(inputs.control, &g.controller_field, opts.match_m);
    crate::lines::check_budget(&legal_lines, &control_lines, opts.lines.step_m)?;
    let gaps = gaps(inputs.legal, inputs.control, Some(inputs.settlements), g)?;
    let deviation = deviation(
        &legal_lines,
        &control_lines,
        inputs.legal,
        &g.owner_field,
        Some((inputs.control, &g.controller_field)),
        Some(inputs.settlements),
        &opts.lines,
    )?;
    let progress = inputs.segments.map(|s| progress(&legal_lines, s, inputs.admin1, &opts.progress));
    let routes = match inputs.routes {
        Some(r) => measure_routes(inputs, r, &legal_lines, opts)?,
        None => Vec::new(),
    };
    let check = |layer: &Layer, role: Role, field: &str| {
        check_layer(layer, &CheckOptions { key_field: Some(field.to_string()), ..CheckOptions::for_role(role) })
    };
    Ok(FullRun {
        legal_check: check(inputs.legal, Role::Legal, &g.owner_field),
        control_check: check(inputs.control, Role::Control, &g.controller_field),
        gaps,
        legal_lines,
        control_lines,
        deviation,
        progress,
        routes,
        changes: None,
    })
}

/// `legal_lines` are the run's own (deriving them again would double the
/// slowest step of a full run on the sample).
fn measure_routes(
    inputs: &Inputs<'_>,
    routes: &Layer,
    legal_lines: &[PairLine],
    opts: &Options,
) -> Result<Vec<RouteReport>> {
    let g = &opts.gaps;
    let boundaries = if opts.constraints.clearance.is_empty() { Vec::new() } else { legal_lines.to_vec() };
    let ctx = Context::new(
        inputs.legal,
        inputs.control,
        &g.owner_field,
        &g.controller_field,
        boundaries,
        Some(inputs.settlements),
        &g.name_field,
    );
    let mut out = Vec::new();
    for f in &routes.features {
        let Some(Geometry::LineString(line)) = &f.geometry else {
            return Err(Error::Geometry {
                path: routes.provenance.path.clone().into(),
                feature: f.id.clone(),
                message: "is not a LineString".into(),
                hint: Some("a route is one LineString; split a MultiLineString into one feature per option".into()),
            });
        };
        let name = f.text(&g.name_field).unwrap_or_else(|| f.id.clone());
        out.push(ctx.measure(
            &name,
            f.text("kind").as_deref(),
            line,
            &opts.constraints,
            opts.protected.as_deref(),
            opts.buffer_km,
        ));
    }
    Ok(out)
}
