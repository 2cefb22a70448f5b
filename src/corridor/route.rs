//! Least-cost route options over a cost raster in a projected CRS.
//!
//! The raster covers the two ends with a margin. Each cell is classified
//! by the legal owner and controller at its centre: a cell outside the
//! transit state's legal territory (or control), where the constraints
//! allow no km there, is impassable. Cells closer to a named boundary than
//! its clearance carry a penalty, as do cells on a protected line. Moves go
//! to 16 neighbours (as GRASS `r.cost -k`); a move costs its length times
//! the mean cost of the cells it leaves and enters. The search is A* from
//! both ends on two threads, with the straight distance times the cheapest
//! cell cost as heuristic (never an overestimate), so the path is a
//! least-cost one on this graph.

use std::cmp::Reverse;
use std::sync::atomic::AtomicU64;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::{Barrier, Mutex};

use radix_heap::RadixHeapMap;

use geo::{Coord, LineString, Point};

use super::Constraints;
use crate::error::{Error, Result};
use crate::index::{EdgeIndex, PolygonIndex};

/// Coordinates transformed in place, x and y apart: grid ↔ lon/lat.
pub type Transform<'a> = dyn Fn(&mut [f64], &mut [f64]) -> Result<()> + 'a;

/// Penalty factor on cells within a clearance band or on a protected line.
pub const PENALTY: f64 = 10.0;

/// A cost raster: row-major, north-up, in a projected CRS (metres).
#[derive(Debug, Clone)]
pub struct CostGrid {
    /// Columns.
    pub width: usize,
    /// Rows.
    pub height: usize,
    /// Easting of the west edge.
    pub x0: f64,
    /// Northing of the north edge.
    pub y0: f64,
    /// Cell size, m.
    pub cell: f64,
    /// Cost per metre; `f64::INFINITY` is impassable.
    pub cost: Vec<f64>,
}

impl CostGrid {
    /// Centre of cell (col, row).
    pub fn centre(&self, c: usize, r: usize) -> Coord<f64> {
        Coord { x: self.x0 + (c as f64 + 0.5) * self.cell, y: self.y0 - (r as f64 + 0.5) * self.cell }
    }

    /// The cell holding a point, if inside.
    pub fn cell_of(&self, p: Coord<f64>) -> Option<(usize, usize)> {
        let c = ((p.x - self.x0) / self.cell).floor();
        let r = ((self.y0 - p.y) / self.cell).floor();
        (c >= 0.0 && r >= 0.0 && (c as usize) < self.width && (r as usize) < self.height)
            .then_some((c as usize, r as usize))
    }

    /// The least-cost path between two cells (16 neighbours), as cell
    /// centres, and its cost; `None` when no path exists.
    ///
    /// ```
    /// use delimit::corridor::CostGrid;
    /// // 5×5 cells, a wall in column 2 except at the bottom row.
    /// let mut cost = vec![1.0; 25];
    /// for r in 0..4 { cost[r * 5 + 2] = f64::INFINITY; }
    /// let g = CostGrid { width: 5, height: 5, x0: 0.0, y0: 500.0, cell: 100.0, cost };
    /// let (path, total) = g.least_cost((0, 0), (4, 0)).unwrap();
    /// assert!(path.iter().all(|c| g.cell_of(*c).unwrap() != (2, 0)));
    /// assert!(total > 400.0);
    /// ```
    pub fn least_cost(&self, from: (usize, usize), to: (usize, usize)) -> Option<(Vec<Coord<f64>>, f64)> {
        self.least_cost_rounds(from, to, ROUND)
    }

    /// Bidirectional A* in lock-step rounds; see [`ROUND`].
    fn least_cost_rounds(
        &self,
        from: (usize, usize),
        to: (usize, usize),
        round: usize,
    ) -> Option<(Vec<Coord<f64>>, f64)> {
        let n = self.width * self.height;
        if n > u32::MAX as usize
            || from.0 >= self.width
            || to.0 >= self.width
            || from.1 >= self.height
            || to.1 >= self.height
        {
            return None;
        }
        let (start, goal) = (from.1 * self.width + from.0, to.1 * self.width + to.0);
        let min_cost = self.cost.iter().copied().filter(|c| c.is_finite()).fold(f64::INFINITY, f64::min);
        if !min_cost.is_finite() || !self.cost[start].is_finite() || !self.cost[goal].is_finite() {
            return None;
        }
        if start == goal {
            return Some((vec![self.centre(from.0, from.1)], 0.0));
        }
        let moves = self.moves();
        // Balanced potentials (Ikeda et al. 1994): p(v) = (h_goal(v) −
        // h_start(v)) / 2, with h the straight distance times the cheapest
        // cell cost. Both h are consistent, so p is consistent for the
        // forward search and −p for the backward one: each side pops its
        // keys in order, and the two key scales meet in the middle. `lift`
        // keeps every key ≥ 0 for the radix heaps (|p| ≤ lift).
        let hk = self.cell * min_cost;
        let w = self.width;
        let h_to = |cell: usize, (tc, tr): (usize, usize)| {
            let (dx, dy) = ((cell % w) as f64 - tc as f64, (cell / w) as f64 - tr as f64);
            (dx * dx + dy * dy).sqrt() * hk
        };
        let potential = move |cell: usize| (h_to(cell, to) - h_to(cell, from)) / 2.0;
        let lift = hk * (self.width + self.height) as f64;
        let dist: [Vec<AtomicU64>; 2] = std::array::from_fn(|_| (0..n).map(|_| AtomicU64::new(INF_BITS)).collect());
        let sides = [(start, 1.0), (goal, -1.0)];
        let barrier = Barrier::new(2);
        // Per round and side: the best meeting found among the cells that
        // side settled, and its smallest key left (∞ when exhausted).
        let found: [Mutex<(f64, usize)>; 2] = std::array::from_fn(|_| Mutex::new((f64::INFINITY, usize::MAX)));
        let tops: [AtomicU64; 2] = std::array::from_fn(|_| AtomicU64::new(0));
        let prevs: Vec<Vec<u32>> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..2)
                .map(|s| {
                    let (dist, found, tops, barrier, moves) = (&dist, &found, &tops, &barrier, &moves);
                    let (origin, sign) = sides[s];
                    scope.spawn(move || {
                        let mine = &dist[s];
                        let other = &dist[1 - s];
                        let key = |g: f64, cell: usize| g + sign * potential(cell) + lift;
                        let mut prev = vec![u32::MAX; n];
                        // The keys are consistent, so a cell's first pop is
                        // final: later entries for it are stale.
                        let mut closed = vec![false; n];
                        // Keys pop in non-decreasing order, so a monotone
                        // radix heap serves: O(1) pushes, keyed on the bits
                        // of the key (ordered like the key for keys ≥ 0). A
                        // key a rounding ulp below the last pop is raised.
                        let mut heap: RadixHeapMap<Reverse<u64>, u32> = RadixHeapMap::new();
                        let mut floor = 0u64;
                        let mut settled: Vec<u32> = Vec::with_capacity(round);
                        let mut best = (f64::INFINITY, usize::MAX);
                        mine[origin].store(0f64.to_bits(), Relaxed);
                        heap.push(Reverse(key(0.0, origin).to_bits()), origin as u32);
                        loop {
                            settled.clear();
                            while settled.len() < round {
                                let Some((Reverse(k), cell)) = heap.pop() else { break };
                                floor = k;
                                let cell = cell as usize;
                                if closed[cell] {
                                    continue;
                                }
                                closed[cell] = true;
                                settled.push(cell as u32);
                                let g = f64::from_bits(mine[cell].load(Relaxed));
                                self.relax(cell, moves, |next, step| {
                                    if closed[next] {
                                        return;
                                    }
                                    let ng = g + step;
                                    if ng < f64::from_bits(mine[next].load(Relaxed)) {
                                        mine[next].store(ng.to_bits(), Relaxed);
                                        prev[next] = cell as u32;
                                        heap.push(Reverse(key(ng, next).to_bits().max(floor)), next as u32);
                                    }
                                });
                            }
                            barrier.wait();
                            // Both sides are still: read the other's labels.
                            // Every cell settled this round by either side is
                            // looked at once with both labels, which covers
                            // each edge from a forward-settled cell to a
                            // backward-settled one (Goldberg & Harrelson's
                            // condition for the stopping rule below).
                            for &c in &settled {
                                let c = c as usize;
                                let sum =
                                    f64::from_bits(mine[c].load(Relaxed)) + f64::from_bits(other[c].load(Relaxed));
                                if (sum, c) < best {
                                    best = (sum, c);
                                }
                            }
                            *found[s].lock().unwrap_or_else(|e| e.into_inner()) = best;
                            // The last key popped bounds every key left from
                            // below (they pop in order).
                            tops[s].store(if heap.is_empty() { INF_BITS } else { floor }, Relaxed);
                            barrier.wait();
                            let mu = meeting(found);
                            best = mu;
                            let sum_tops =
                                f64::from_bits(tops[0].load(Relaxed)) + f64::from_bits(tops[1].load(Relaxed));
                            // No path cheaper than μ is left once the two
                            // smallest keys add up to μ (in key terms,
                            // μ + 2·lift); an exhausted side has key ∞.
                            let stop = sum_tops >= mu.0 + 2.0 * lift;
                            barrier.wait();
                            if stop {
                                return prev;
                            }
                        }
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e))).collect()
        });
        let (total, meet) = meeting(&found);
        if !total.is_finite() {
            return None;
        }
        let mut path = vec![meet];
        while let Some(&p) = path.last().map(|&c| &prevs[0][c]) {
            if p == u32::MAX {
                break;
            }
            path.push(p as usize);
        }
        path.reverse();
        while let Some(&p) = path.last().map(|&c| &prevs[1][c]) {
            if p == u32::MAX {
                break;
            }
            path.push(p as usize);
        }
        Some((path.iter().map(|&i| self.centre(i % self.width, i / self.width)).collect(), total))
    }

    /// The 16 moves with their index offsets and lengths.
    fn moves(&self) -> Vec<Move> {
        const MOVES: [(isize, isize); 16] = [
            (1, 0),
            (-1, 0),
            (0, 1),
            (0, -1),
            (1, 1),
            (1, -1),
            (-1, 1),
            (-1, -1),
            (2, 1),
            (2, -1),
            (-2, 1),
            (-2, -1),
            (1, 2),
            (1, -2),
            (-1, 2),
            (-1, -2),
        ];
        let w = self.width as isize;
        MOVES
            .iter()
            .map(|&(dc, dr)| {
                let o = |x: isize, y: isize| y * w + x;
                let side = if dc.abs() == 2 {
                    Some((o(dc / 2, 0), o(dc / 2, dr)))
                } else if dr.abs() == 2 {
                    Some((o(0, dr / 2), o(dc, dr / 2)))
                } else {
                    None
                };
                let squeeze = (side.is_none() && dc != 0 && dr != 0).then(|| (o(dc, 0), o(0, dr)));
                Move { dc, dr, off: o(dc, dr), len: ((dc * dc + dr * dr) as f64).sqrt() * self.cell, side, squeeze }
            })
            .collect()
    }

    /// Calls `f(next, cost)` for every allowed move out of `cell`. A move
    /// costs its length times the mean cost of the cells it leaves and
    /// enters, and for a knight's move the two cells beside it (GRASS
    /// `r.cost -k`); a diagonal may not squeeze between two impassable
    /// cells. The rule is symmetric, so the backward search walks the
    /// same graph.
    #[inline]
    fn relax(&self, cell: usize, moves: &[Move], mut f: impl FnMut(usize, f64)) {
        let cost = &self.cost;
        let (w, hgt) = (self.width as isize, self.height as isize);
        let (c, r) = ((cell % self.width) as isize, (cell / self.width) as isize);
        // Away from the edges every move stays on the grid.
        let inner = c >= 2 && r >= 2 && c < w - 2 && r < hgt - 2;
        let here = cost[cell];
        for m in moves {
            if !inner {
                let (nc, nr) = (c + m.dc, r + m.dr);
                if nc < 0 || nr < 0 || nc >= w || nr >= hgt {
                    continue;
                }
            }
            let next = (cell as isize + m.off) as usize;
            let step = cost[next];
            if !step.is_finite() {
                continue;
            }
            let mean = match m.side {
                Some((a, b)) => {
                    let (a, b) = (cost[(cell as isize + a) as usize], cost[(cell as isize + b) as usize]);
                    if !a.is_finite() || !b.is_finite() {
                        continue;
                    }
                    // Summed in a fixed order (the pair, then the sides
                    // sorted) so that a move and its reverse cost the same.
                    let (lo, hi) = if here <= step { (here, step) } else { (step, here) };
                    let (sa, sb) = if a <= b { (a, b) } else { (b, a) };
                    (lo + hi + sa + sb) / 4.0
                }
                None => {
                    if let Some((a, b)) = m.squeeze
                        && !cost[(cell as isize + a) as usize].is_finite()
                        && !cost[(cell as isize + b) as usize].is_finite()
                    {
                        continue;
                    }
                    (here + step) / 2.0
                }
            };
            f(next, m.len * mean);
        }
    }
}

/// Cells each side of the bidirectional search settles between two
/// meetings. The sides run on two threads and compare labels only at
/// these meetings, while both are still, so the answer does not depend on
/// how the threads are scheduled; a round this size costs < 0.1% of a
/// 10⁷-cell search in extra pops.
const ROUND: usize = 4096;

const INF_BITS: u64 = 0x7ff0_0000_0000_0000;

/// The better of the two sides' best meetings (cost, cell), the lower cell
/// on a tie.
fn meeting(found: &[Mutex<(f64, usize)>; 2]) -> (f64, usize) {
    let a = *found[0].lock().unwrap_or_else(|e| e.into_inner());
    let b = *found[1].lock().unwrap_or_else(|e| e.into_inner());
    if b < a { b } else { a }
}

/// One of the 16 moves: offsets, index offset, length; for a knight's move
/// the offsets of the two cells beside it; for a diagonal, the two
/// orthogonal neighbours it must not squeeze between.
struct Move {
    dc: isize,
    dr: isize,
    off: isize,
    len: f64,
    side: Option<(isize, isize)>,
    squeeze: Option<(isize, isize)>,
}

/// Why a cell is impassable or penalised, for the "no route" answer.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GridStats {
    /// Cells outside the transit state's legal territory.
    pub outside_legal: usize,
    /// Cells outside its control.
    pub outside_control: usize,
    /// Cells in a clearance band.
    pub clearance: usize,
    /// Cells on a protected line.
    pub protected: usize,
}

/// Build the cost grid over `bounds` (grid CRS, metres). `to_lonlat` and
/// `to_grid` transform coordinate arrays in place between the grid's CRS
/// and lon/lat.
#[allow(clippy::too_many_arguments)]
pub fn build_grid(
    bounds: (Coord<f64>, Coord<f64>),
    cell: f64,
    to_lonlat: &Transform<'_>,
    to_grid: &Transform<'_>,
    legal: (&PolygonIndex, &crate::layer::Layer, &str),
    control: (&PolygonIndex, &crate::layer::Layer, &str),
    c: &Constraints,
    clearance: &[(EdgeIndex, f64)],
    protected: &[(String, LineString<f64>)],
) -> Result<(CostGrid, GridStats)> {
    let (lo, hi) = bounds;
    let width = ((hi.x - lo.x) / cell).ceil().max(1.0) as usize;
    let height = ((hi.y - lo.y) / cell).ceil().max(1.0) as usize;
    if width.saturating_mul(height) > 50_000_000 {
        return Err(Error::Usage {
            option: "--cell".into(),
            message: format!("{width}×{height} cells is more than 50 million"),
            hint: Some("use a larger --cell or a smaller --margin-km".into()),
        });
    }
    let mut grid = CostGrid { width, height, x0: lo.x, y0: hi.y, cell, cost: vec![1.0; width * height] };
    let mut xs = Vec::with_capacity(width * height);
    let mut ys = Vec::with_capacity(width * height);
    for r in 0..height {
        for col in 0..width {
            let p = grid.centre(col, r);
            xs.push(p.x);
            ys.push(p.y);
        }
    }
    to_lonlat(&mut xs, &mut ys)?;
    // Cell corners too: a cell counts as inside only when its centre and
    // all four corners are, so that the path between cell centres (which
    // stays within the cells it joins) never clips a corner of territory
    // it may not enter.
    let (cw, ch) = (width + 1, height + 1);
    let mut kx = Vec::with_capacity(cw * ch);
    let mut ky = Vec::with_capacity(cw * ch);
    for r in 0..ch {
        for col in 0..cw {
            kx.push(grid.x0 + col as f64 * cell);
            ky.push(grid.y0 - r as f64 * cell);
        }
    }
    to_lonlat(&mut kx, &mut ky)?;
    let t = &c.transit_state;
    let is_t = |idx: &PolygonIndex, layer: &crate::layer::Layer, field: &str, p: Coord<f64>| {
        idx.first_inside(p).and_then(|k| layer.features[k].text(field)).as_deref() == Some(t.as_str())
    };
    let corner_legal: Vec<bool> =
        (0..cw * ch).map(|i| is_t(legal.0, legal.1, legal.2, Coord { x: kx[i], y: ky[i] })).collect();
    let corner_control: Vec<bool> =
        (0..cw * ch).map(|i| is_t(control.0, control.1, control.2, Coord { x: kx[i], y: ky[i] })).collect();
    let corners_ok = |v: &[bool], col: usize, r: usize| {
        v[r * cw + col] && v[r * cw + col + 1] && v[(r + 1) * cw + col] && v[(r + 1) * cw + col + 1]
    };
    let hard_legal = c.max_km_outside_legal == Some(0.0);
    let hard_control = c.max_km_outside_control == Some(0.0);
    let mut stats = GridStats::default();
    // Without a transit state (no constraints) no cell is "outside" it:
    // the cost is distance (and slope, with a DEM).
    let has_t = !t.is_empty();
    for (i, cost_i) in grid.cost.iter_mut().enumerate() {
        let (col, r) = (i % width, i / width);
        let p = Coord { x: xs[i], y: ys[i] };
        if has_t && !(is_t(legal.0, legal.1, legal.2, p) && corners_ok(&corner_legal, col, r)) {
            stats.outside_legal += 1;
            *cost_i = if hard_legal { f64::INFINITY } else { *cost_i * PENALTY };
        }
        if has_t && !(is_t(control.0, control.1, control.2, p) && corners_ok(&corner_control, col, r)) {
            stats.outside_control += 1;
            *cost_i = if hard_control { f64::INFINITY } else { *cost_i * PENALTY };
        }
        if cost_i.is_finite() {
            for (idx, min_m) in clearance {
                if idx.nearest_planar_within(Point(p), None, None, *min_m).is_some_and(|(_, _, d)| d < *min_m) {
                    stats.clearance += 1;
                    *cost_i *= PENALTY;
                    break;
                }
            }
        }
    }
    // Protected lines: every cell they pass through (sampled at a quarter
    // cell) carries the penalty once.
    let mut marked = vec![false; width * height];
    for (_, line) in protected {
        let st = crate::lines::stations_along(line, cell / 4.0);
        let mut px: Vec<f64> = st.iter().map(|s| s.1.x()).collect();
        let mut py: Vec<f64> = st.iter().map(|s| s.1.y()).collect();
        to_grid(&mut px, &mut py)?;
        for (x, y) in px.into_iter().zip(py) {
            if let Some((cc, rr)) = grid.cell_of(Coord { x, y }) {
                let i = rr * width + cc;
                if !marked[i] && grid.cost[i].is_finite() {
                    marked[i] = true;
                    stats.protected += 1;
                    grid.cost[i] *= PENALTY;
                }
            }
        }
    }
    Ok((grid, stats))
}

/// What a DEM did to the cost grid.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize)]
pub struct SlopeStats {
    /// Passable cells made impassable: steeper than the grade limit.
    pub too_steep: usize,
    /// Cells the DEM does not cover (their cost is left as it was).
    pub no_elevation: usize,
    /// The grade limit applied, %.
    pub limit_pct: Option<f64>,
    /// The grade at which the cost doubles, %: the limit, else 10.
    pub reference_pct: f64,
}

/// A cell's steepest grade in %, from the elevations of its four
/// neighbours (central differences; one-sided at an edge or beside no-data).
fn grade_pct(z: &[Option<f64>], width: usize, height: usize, cell: f64, i: usize) -> Option<f64> {
    let (c, r) = (i % width, i / width);
    let here = z[i]?;
    let diff = |a: Option<usize>, b: Option<usize>| -> Option<f64> {
        let (za, zb) = (a.and_then(|k| z[k]), b.and_then(|k| z[k]));
        match (za, zb) {
            (Some(x), Some(y)) => Some((y - x) / (2.0 * cell)),
            (Some(x), None) => Some((here - x) / cell),
            (None, Some(y)) => Some((y - here) / cell),
            (None, None) => None,
        }
    };
    let gx = diff((c > 0).then(|| i - 1), (c + 1 < width).then(|| i + 1));
    let gy = diff((r > 0).then(|| i - width), (r + 1 < height).then(|| i + width));
    match (gx, gy) {
        (None, None) => None,
        (x, y) => Some(100.0 * x.unwrap_or(0.0).hypot(y.unwrap_or(0.0))),
    }
}

/// Apply a DEM to the cost grid: each passable cell's cost is multiplied
/// by 1 + (grade / reference)², where grade is the cell's steepest slope
/// and reference the limit (10% without one), so flat ground stays cheapest
/// and cost doubles at the limit; a cell steeper than `limit_pct` becomes
/// impassable. The steepest slope is conservative: a path along the contour
/// of a slope steeper than the limit is refused with it.
///
/// ```
/// use delimit::corridor::{CostGrid, apply_slope_with};
/// // A 3×3 grid of 100 m cells on a 2% plane rising to the east.
/// let mut g = CostGrid { width: 3, height: 3, x0: 0.0, y0: 300.0, cell: 100.0, cost: vec![1.0; 9] };
/// let z: Vec<Option<f64>> = (0..9).map(|i| Some(2.0 * (i % 3) as f64)).collect();
/// let s = apply_slope_with(&mut g, &z, Some(2.5));
/// assert_eq!(s.too_steep, 0);
/// assert!((g.cost[4] - (1.0 + (2.0f64 / 2.5).powi(2))).abs() < 1e-12);
/// let s = apply_slope_with(&mut g, &z, Some(1.5));
/// assert_eq!(s.too_steep, 9);
/// ```
pub fn apply_slope_with(grid: &mut CostGrid, z: &[Option<f64>], limit_pct: Option<f64>) -> SlopeStats {
    let reference_pct = limit_pct.unwrap_or(10.0);
    let mut stats = SlopeStats { limit_pct, reference_pct, ..SlopeStats::default() };
    let grades: Vec<Option<f64>> =
        (0..grid.cost.len()).map(|i| grade_pct(z, grid.width, grid.height, grid.cell, i)).collect();
    for (c, g) in grid.cost.iter_mut().zip(grades) {
        if !c.is_finite() {
            continue;
        }
        let Some(g) = g else {
            stats.no_elevation += 1;
            continue;
        };
        if limit_pct.is_some_and(|l| g > l) {
            *c = f64::INFINITY;
            stats.too_steep += 1;
        } else {
            *c *= 1.0 + (g / reference_pct).powi(2);
        }
    }
    stats
}

/// [`apply_slope_with`] with elevations sampled from `dem` at the cell centres.
pub fn apply_slope(
    grid: &mut CostGrid,
    to_lonlat: &Transform<'_>,
    dem: &super::Dem,
    limit_pct: Option<f64>,
) -> Result<SlopeStats> {
    let (mut xs, mut ys) = (Vec::with_capacity(grid.cost.len()), Vec::with_capacity(grid.cost.len()));
    for r in 0..grid.height {
        for c in 0..grid.width {
            let p = grid.centre(c, r);
            xs.push(p.x);
            ys.push(p.y);
        }
    }
    to_lonlat(&mut xs, &mut ys)?;
    let pts: Vec<Point<f64>> = xs.into_iter().zip(ys).map(|(x, y)| Point::new(x, y)).collect();
    let z = dem.sample(&pts)?;
    Ok(apply_slope_with(grid, &z, limit_pct))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A plain Dijkstra over the same 16-neighbour graph, written apart
    /// from the A* so that a wrong heuristic or move rule shows up.
    fn dijkstra(g: &CostGrid, from: (usize, usize), to: (usize, usize)) -> Option<f64> {
        let (w, h) = (g.width as isize, g.height as isize);
        let at = |c: isize, r: isize| g.cost[(r * w + c) as usize];
        let mut dist = vec![f64::INFINITY; g.cost.len()];
        let mut done = vec![false; g.cost.len()];
        dist[from.1 * g.width + from.0] = 0.0;
        while let Some(u) =
            (0..dist.len()).filter(|&i| !done[i] && dist[i].is_finite()).min_by(|&a, &b| dist[a].total_cmp(&dist[b]))
        {
            done[u] = true;
            let (c, r) = ((u % g.width) as isize, (u / g.width) as isize);
            for dc in -2isize..=2 {
                for dr in -2isize..=2 {
                    let k = dc.abs() + dr.abs();
                    if k == 0 || (dc.abs() == 2 && dr.abs() != 1) || (dr.abs() == 2 && dc.abs() != 1) {
                        continue;
                    }
                    let (nc, nr) = (c + dc, r + dr);
                    if nc < 0 || nr < 0 || nc >= w || nr >= h || !at(nc, nr).is_finite() {
                        continue;
                    }
                    let mut cells = vec![at(c, r), at(nc, nr)];
                    if dc.abs() == 2 {
                        cells.extend([at(c + dc / 2, r), at(c + dc / 2, r + dr)]);
                    } else if dr.abs() == 2 {
                        cells.extend([at(c, r + dr / 2), at(c + dc, r + dr / 2)]);
                    } else if dc != 0 && dr != 0 && !at(c + dc, r).is_finite() && !at(c, r + dr).is_finite() {
                        continue;
                    }
                    if cells.iter().any(|x| !x.is_finite()) {
                        continue;
                    }
                    let mean = cells.iter().sum::<f64>() / cells.len() as f64;
                    let v = (nr * w + nc) as usize;
                    let nd = dist[u] + ((dc * dc + dr * dr) as f64).sqrt() * g.cell * mean;
                    if nd < dist[v] {
                        dist[v] = nd;
                    }
                }
            }
        }
        let d = dist[to.1 * g.width + to.0];
        d.is_finite().then_some(d)
    }

    #[test]
    fn a_star_finds_the_dijkstra_optimum() {
        let mut state: u64 = 3;
        for case in 0..20 {
            let (w, h) = (12 + case % 5, 9 + case % 4);
            let cost: Vec<f64> = (0..w * h)
                .map(|_| {
                    state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                    let v = (state >> 33) % 12;
                    if v == 0 { f64::INFINITY } else { v as f64 }
                })
                .collect();
            let mut g = CostGrid { width: w, height: h, x0: 0.0, y0: 0.0, cell: 10.0, cost };
            let (a, b) = ((0, 0), (w - 1, h - 1));
            g.cost[0] = 1.0;
            g.cost[w * h - 1] = 1.0;
            let want = dijkstra(&g, a, b);
            // Rounds of 1 and 3 cells make the two sides meet and stop at
            // every possible point; ROUND is what users get.
            for round in [1, 3, ROUND] {
                let got = g.least_cost_rounds(a, b, round);
                match (&got, want) {
                    (Some((path, x)), Some(y)) => {
                        assert!((x - y).abs() < 1e-9 * y, "case {case} round {round}: {x} vs {y}");
                        // The path walks real moves and costs what is reported.
                        let cells: Vec<usize> =
                            path.iter().map(|p| g.cell_of(*p).map(|(c, r)| r * w + c).unwrap()).collect();
                        assert_eq!((cells[0], *cells.last().unwrap()), (0, w * h - 1));
                        let moves = g.moves();
                        let walked: f64 = cells
                            .windows(2)
                            .map(|pair| {
                                let mut step = None;
                                g.relax(pair[0], &moves, |next, c| {
                                    if next == pair[1] {
                                        step = Some(c)
                                    }
                                });
                                step.unwrap_or_else(|| panic!("case {case}: {} -> {} is not a move", pair[0], pair[1]))
                            })
                            .sum();
                        assert!(
                            (walked - y).abs() < 1e-9 * y,
                            "case {case} round {round}: path walks {walked}, optimum {y}"
                        );
                    }
                    (None, None) => {}
                    other => panic!("case {case} round {round}: {other:?}"),
                }
                assert_eq!(got, g.least_cost_rounds(a, b, round), "case {case}: the same answer twice");
            }
        }
    }
}
