//! Route options between two points: a cost grid under the constraints,
//! least-cost paths over it, each later option penalised along the
//! corridor of the ones before, and every option measured as
//! `corridor measure` measures a given route.

use geo::{Coord, LineString};
use serde::Serialize;

use super::{Constraints, Context, CostGrid, Dem, GridStats, PENALTY, RouteReport, SlopeStats};
use crate::error::{Error, Result};
use crate::index::{EdgeIndex, PolygonIndex};
use crate::layer::{Layer, Role};
use crate::position::Position;

/// What to plan, besides the layers.
#[derive(Debug, Clone)]
pub struct PlanOptions {
    pub from: Position,
    pub to: Position,
    /// Projected CRS of the grid.
    pub crs: String,
    /// Cell size, m.
    pub cell_m: f64,
    /// Margin around the two ends, km.
    pub margin_km: f64,
    /// Number of distinct options.
    pub alternatives: usize,
    /// The kind of route, for its grade limit.
    pub kind: String,
    /// Neighbours digitised apart by up to this many metres share a boundary.
    pub match_m: f64,
    pub owner_field: String,
    pub controller_field: String,
    pub name_field: String,
}

/// The options found, and why there are no more.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Each option measured, with its cost (cost units × m).
    pub options: Vec<(RouteReport, f64)>,
    /// Why the search stopped before `alternatives` options, if it did.
    pub no_route: Option<String>,
    /// The cost grid, before any penalty.
    pub grid: CostGrid,
    pub stats: GridStats,
    pub slope: Option<SlopeStats>,
}

/// The grid's description for provenance.
#[derive(Debug, Clone, Serialize)]
pub struct GridSummary {
    pub crs: String,
    pub cell_m: f64,
    pub width: usize,
    pub height: usize,
    pub outside_legal_cells: usize,
    pub outside_control_cells: usize,
    pub clearance_cells: usize,
    pub protected_cells: usize,
    pub penalty: f64,
    pub slope: Option<SlopeStats>,
    pub kind: String,
}

impl Plan {
    pub fn summary(&self, opts: &PlanOptions) -> GridSummary {
        GridSummary {
            crs: opts.crs.clone(),
            cell_m: opts.cell_m,
            width: self.grid.width,
            height: self.grid.height,
            outside_legal_cells: self.stats.outside_legal,
            outside_control_cells: self.stats.outside_control,
            clearance_cells: self.stats.clearance,
            protected_cells: self.stats.protected,
            penalty: PENALTY,
            slope: self.slope,
            kind: opts.kind.clone(),
        }
    }
}

/// The legal pair lines, when a clearance rule needs them (deriving them
/// costs a pass over every edge of the layer).
pub fn clearance_boundaries(
    c: &Constraints,
    legal: &Layer,
    owner_field: &str,
    match_m: f64,
) -> Vec<crate::lines::PairLine> {
    if c.clearance.is_empty() { Vec::new() } else { crate::lines::pair_lines_within(legal, owner_field, match_m) }
}

/// A protected line, by name.
pub type Protected = (String, LineString<f64>);

/// The protected lines a constraints file names, read relative to that file.
pub fn read_protected(
    c: &Constraints,
    constraints_path: Option<&std::path::Path>,
    opts: &crate::io::ReadOptions,
) -> Result<Option<Vec<Protected>>> {
    let Some(p) = &c.protected else { return Ok(None) };
    let base = constraints_path.and_then(std::path::Path::parent).unwrap_or(std::path::Path::new("."));
    let layer = crate::io::read_layer(
        &base.join(&p.file),
        &crate::io::ReadOptions { role: Some(Role::Routes), ..opts.clone() },
    )?;
    let mut v = Vec::new();
    for f in &layer.features {
        let n = f.text(&p.name_field).unwrap_or_else(|| f.id.clone());
        match &f.geometry {
            Some(geo::Geometry::LineString(l)) => v.push((n, l.clone())),
            Some(geo::Geometry::MultiLineString(m)) => v.extend(m.0.iter().map(|l| (n.clone(), l.clone()))),
            _ => {}
        }
    }
    Ok(Some(v))
}

/// Plan route options from `opts.from` to `opts.to` over a grid built from
/// the layers and constraints (and the DEM's slope, where given).
pub fn plan(
    legal: &Layer,
    control: &Layer,
    constraints: &Constraints,
    protected: Option<&[Protected]>,
    dem: Option<&Dem>,
    opts: &PlanOptions,
) -> Result<Plan> {
    use gdal::spatial_ref::{CoordTransform, SpatialRef};
    let crs_err =
        |e: gdal::errors::GdalError| Error::Crs { definition: opts.crs.clone(), context: None, message: e.to_string() };
    let mut grid_srs = SpatialRef::from_definition(&opts.crs).map_err(crs_err)?;
    let (fwd, inv) = super::lonlat_transforms(&mut grid_srs).map_err(crs_err)?;
    let run_tf = |t: &CoordTransform, x: &mut [f64], y: &mut [f64]| -> Result<()> {
        t.transform_coords(x, y, &mut []).map_err(crs_err)
    };
    let to_grid = |x: &mut [f64], y: &mut [f64]| run_tf(&fwd, x, y);
    let to_lonlat = |x: &mut [f64], y: &mut [f64]| run_tf(&inv, x, y);
    let (from, to) = (opts.from.coord(), opts.to.coord());
    let (mut ex, mut ey) = (vec![from.x, to.x], vec![from.y, to.y]);
    to_grid(&mut ex, &mut ey)?;
    let m = opts.margin_km * 1000.0;
    let lo = Coord { x: ex[0].min(ex[1]) - m, y: ey[0].min(ey[1]) - m };
    let hi = Coord { x: ex[0].max(ex[1]) + m, y: ey[0].max(ey[1]) + m };
    // The grid is held whole (and searched from both ends): bound it
    // before anything is built.
    let cells = ((hi.x - lo.x) / opts.cell_m).ceil() * ((hi.y - lo.y) / opts.cell_m).ceil();
    crate::limits::check(
        "--cell and --margin-km",
        &format!("{} m and {} km", crate::io::short_number(opts.cell_m), crate::io::short_number(opts.margin_km)),
        cells,
        crate::limits::CELL_BYTES,
        "grid cells",
        "give a larger --cell or a smaller --margin-km",
    )?;

    let l_idx = PolygonIndex::of_layer(legal, |_| true);
    let c_idx = PolygonIndex::of_layer(control, |_| true);
    let boundaries = clearance_boundaries(constraints, legal, &opts.owner_field, opts.match_m);
    let clearance: Vec<(EdgeIndex, f64)> = constraints
        .clearance
        .iter()
        .filter_map(|cl| {
            let (a, b) = cl.boundary.split_once('|')?;
            let pl = boundaries.iter().find(|p| (p.a == a && p.b == b) || (p.a == b && p.b == a))?;
            Some((EdgeIndex::from_rings(pl.line.0.iter().enumerate().map(|(i, l)| (i, "b", l))), cl.min_m))
        })
        .collect();
    let (mut grid, stats) = super::build_grid(
        (lo, hi),
        opts.cell_m,
        &to_lonlat,
        &to_grid,
        (&l_idx, legal, &opts.owner_field),
        (&c_idx, control, &opts.controller_field),
        constraints,
        &clearance,
        protected.unwrap_or(&[]),
    )?;
    let limit = constraints.max_grade_pct.get(&opts.kind).copied();
    let slope = dem.map(|d| super::apply_slope(&mut grid, &to_lonlat, d, limit)).transpose()?;
    let unpenalised = grid.clone();
    let (Some(start), Some(end)) =
        (grid.cell_of(Coord { x: ex[0], y: ey[0] }), grid.cell_of(Coord { x: ex[1], y: ey[1] }))
    else {
        return Err(Error::Usage {
            option: "--from/--to".into(),
            message: "an end falls outside the grid".into(),
            hint: Some("raise --margin-km".into()),
        });
    };
    let ctx =
        Context::new(legal, control, &opts.owner_field, &opts.controller_field, boundaries, None, &opts.name_field);
    let mut options: Vec<(RouteReport, f64)> = Vec::new();
    let mut no_route = None;
    for k in 0..opts.alternatives.max(1) {
        let Some((cells, cost)) = grid.least_cost(start, end) else {
            no_route = Some(why_no_route(&grid, start, end, &stats, slope.as_ref(), &opts.kind));
            break;
        };
        let (mut xs, mut ys): (Vec<f64>, Vec<f64>) = cells.iter().map(|c| (c.x, c.y)).unzip();
        to_lonlat(&mut xs, &mut ys)?;
        let mut pts: Vec<Coord<f64>> = xs.into_iter().zip(ys).map(|(x, y)| Coord { x, y }).collect();
        // The route starts and ends where asked, not at the cell centres.
        pts[0] = from;
        if let Some(l) = pts.last_mut() {
            *l = to;
        }
        let line = LineString::new(pts);
        let name = format!("option {}", k + 1);
        let report = match dem {
            Some(d) => ctx.measure_with_dem(&name, Some(&opts.kind), &line, constraints, protected, 0.0, d)?,
            None => ctx.measure(&name, Some("generated"), &line, constraints, protected, 0.0),
        };
        options.push((report, cost));
        penalise(&mut grid, &cells, start, end);
    }
    Ok(Plan { options, no_route, grid: unpenalised, stats, slope })
}

/// Penalise an option's corridor (two cells either side) for the next one.
fn penalise(grid: &mut CostGrid, cells: &[Coord<f64>], start: (usize, usize), end: (usize, usize)) {
    for c in cells {
        if let Some((cc, rr)) = grid.cell_of(*c) {
            for r in rr.saturating_sub(2)..=(rr + 2).min(grid.height - 1) {
                for q in cc.saturating_sub(2)..=(cc + 2).min(grid.width - 1) {
                    let i = r * grid.width + q;
                    if grid.cost[i].is_finite() && (r, q) != (start.1, start.0) && (r, q) != (end.1, end.0) {
                        grid.cost[i] *= PENALTY;
                    }
                }
            }
        }
    }
}

/// Why no (further) path joins the ends.
fn why_no_route(
    grid: &CostGrid,
    start: (usize, usize),
    end: (usize, usize),
    stats: &GridStats,
    slope: Option<&SlopeStats>,
    kind: &str,
) -> String {
    let why = "outside the transit state's legal territory or control, where the constraints allow 0 km, or steeper than the grade limit";
    let steep = slope
        .filter(|s| s.too_steep > 0)
        .map(|s| {
            format!("; {} cells are steeper than the {kind} limit of {}%", s.too_steep, s.limit_pct.unwrap_or_default())
        })
        .unwrap_or_default();
    if !grid.cost[start.1 * grid.width + start.0].is_finite() {
        format!("the start lies in an impassable cell ({why}){steep}")
    } else if !grid.cost[end.1 * grid.width + end.0].is_finite() {
        format!("the end lies in an impassable cell ({why}){steep}")
    } else {
        format!(
            "no passable path joins the ends: {} cells are outside the transit state's legal territory and {} outside its control{steep}",
            stats.outside_legal, stats.outside_control
        )
    }
}
