//! The cut engine: units on their integer grid, the legal and control
//! cuts with their conservation check, and the stable piece ids.

use super::*;

pub(crate) fn union_rect(a: Option<Rect<f64>>, b: Option<Rect<f64>>) -> Option<Rect<f64>> {
    match (a, b) {
        (Some(a), Some(b)) => Some(Rect::new(
            geo::coord! { x: a.min().x.min(b.min().x), y: a.min().y.min(b.min().y) },
            geo::coord! { x: a.max().x.max(b.max().x), y: a.max().y.max(b.max().y) },
        )),
        (a, b) => a.or(b),
    }
}

pub(crate) struct Unit<'a> {
    pub(super) id: String,
    pub(super) key: String,
    pub(super) geom: Cow<'a, MultiPolygon<f64>>,
    pub(super) bbox: Option<Rect<f64>>,
    /// The geodesic area as given, before snapping, m².
    pub(super) area_m2: f64,
}

pub(crate) fn units<'a>(layer: &'a Layer, key: &str) -> Vec<Unit<'a>> {
    layer
        .features
        .iter()
        .map(|f| {
            let geom = f.polygons().unwrap_or_else(|| Cow::Owned(MultiPolygon(vec![])));
            Unit {
                id: f.id.clone(),
                key: f.text(key).unwrap_or_default(),
                bbox: geom.bounding_rect(),
                area_m2: measure::multipolygon_area_m2(&geom),
                geom,
            }
        })
        .collect()
}

/// The grids of a run: one per cluster of units whose (widened) boxes
/// touch, each the finest that holds its cluster.
///
/// One grid for the box of every input made the precision of a run depend
/// on what else was in it: a legal layer reaching 100°E coarsened the step
/// over the Caucasus to 1.3 cm, and slivers thinner than that vanished
/// (issue 30). Units in two clusters can share no piece, no edge and no
/// candidate (their boxes, widened as the cuts widen them, are apart), so
/// each cluster is snapped and noded on its own grid and the pieces still
/// form one coverage. `extent` (or a fixed grid) puts every unit on one
/// grid, for callers that overlay parts of one run many times.
pub(crate) struct RunGrids {
    /// The grid of each cluster, in order of the cluster's first unit.
    pub(crate) grids: Vec<Grid>,
    /// The cluster of each legal unit, then of each control unit.
    legal: Vec<usize>,
    control: Vec<usize>,
}

impl RunGrids {
    pub(crate) fn of_legal(&self, i: usize) -> Grid {
        self.grids[self.legal[i]]
    }

    pub(crate) fn of_control(&self, j: usize) -> Grid {
        self.grids[self.control[j]]
    }

    /// Whether unit `i` (legal) or `j` (control) is in cluster `c`.
    pub(crate) fn holds(&self, c: usize, legal: bool, i: usize) -> bool {
        (if legal { &self.legal } else { &self.control })[i] == c
    }
}

/// The unit grid for a run without geometry.
fn unit_square() -> Rect<f64> {
    Rect::new(geo::coord! { x: 0.0, y: 0.0 }, geo::coord! { x: 1.0, y: 1.0 })
}

/// The grids of a run ([`RunGrids`]): clusters of touching widened boxes,
/// found with an R-tree and a union-find, O(n log n + k) in the touching
/// pairs.
pub(crate) fn run_grids(lu: &[Unit], cu: &[Unit], extent: Option<Rect<f64>>, fixed: Option<Grid>) -> RunGrids {
    let n = lu.len() + cu.len();
    let single = |g: Grid| RunGrids { grids: vec![g], legal: vec![0; lu.len()], control: vec![0; cu.len()] };
    if let Some(g) = fixed {
        return single(g);
    }
    if let Some(e) = extent {
        // As `changes` computes its own grid from the same box.
        let all = lu
            .iter()
            .chain(cu)
            .filter_map(|u| u.bbox)
            .chain([e])
            .reduce(|a, b| union_rect(Some(a), Some(b)).unwrap_or(a));
        return single(Grid::for_rect(all.unwrap_or_else(unit_square)));
    }
    let boxes: Vec<Option<Rect<f64>>> = lu.iter().chain(cu).map(|u| u.bbox.map(clip::widen)).collect();
    use rstar::primitives::{GeomWithData, Rectangle};
    type Boxed = GeomWithData<Rectangle<[f64; 2]>, usize>;
    let tree: rstar::RTree<Boxed> = rstar::RTree::bulk_load(
        boxes
            .iter()
            .enumerate()
            .filter_map(|(k, b)| {
                b.map(|b| Boxed::new(Rectangle::from_corners([b.min().x, b.min().y], [b.max().x, b.max().y]), k))
            })
            .collect(),
    );
    let mut parent: Vec<usize> = (0..n).collect();
    fn root(parent: &mut [usize], mut k: usize) -> usize {
        while parent[k] != k {
            parent[k] = parent[parent[k]];
            k = parent[k];
        }
        k
    }
    for (k, b) in boxes.iter().enumerate() {
        let Some(b) = b else { continue };
        let env = rstar::AABB::from_corners([b.min().x, b.min().y], [b.max().x, b.max().y]);
        for other in tree.locate_in_envelope_intersecting(&env) {
            let (a, c) = (root(&mut parent, k), root(&mut parent, other.data));
            // The lower index roots, so clusters come out in input order.
            if a != c {
                let (lo, hi) = (a.min(c), a.max(c));
                parent[hi] = lo;
            }
        }
    }
    let mut cluster_of_root: BTreeMap<usize, usize> = BTreeMap::new();
    let mut hulls: Vec<Option<Rect<f64>>> = Vec::new();
    let mut of: Vec<usize> = Vec::with_capacity(n);
    for (k, b) in boxes.iter().enumerate() {
        let r = root(&mut parent, k);
        let c = *cluster_of_root.entry(r).or_insert_with(|| {
            hulls.push(None);
            hulls.len() - 1
        });
        hulls[c] = union_rect(hulls[c], *b);
        of.push(c);
    }
    let grids = hulls.into_iter().map(|h| Grid::for_rect(h.unwrap_or_else(unit_square))).collect();
    let control = of.split_off(lu.len());
    RunGrids { grids, legal: of, control }
}

/// Every unit of both layers (those `pick` selects) snapped onto `g` and
/// noded together ([`noding`]): from here on, each cut only selects edges
/// of one arrangement.
pub(crate) fn node_units<'a>(
    lu: &mut [Unit<'a>],
    cu: &mut [Unit<'a>],
    g: Grid,
    pick: impl Fn(bool, usize) -> bool,
) -> noding::NodingStats {
    let picked: Vec<(bool, usize)> = (0..lu.len())
        .map(|i| (true, i))
        .chain((0..cu.len()).map(|j| (false, j)))
        .filter(|&(legal, i)| pick(legal, i))
        .collect();
    let geoms: Vec<&MultiPolygon<f64>> =
        picked.iter().map(|&(legal, i)| if legal { lu[i].geom.as_ref() } else { cu[i].geom.as_ref() }).collect();
    let (noded, stats) = noding::node_all(&geoms, g);
    for ((legal, i), m) in picked.into_iter().zip(noded) {
        let u = if legal { &mut lu[i] } else { &mut cu[i] };
        u.bbox = m.bounding_rect();
        u.geom = Cow::Owned(m);
    }
    stats
}

/// A raw piece before its attributes are measured.
pub(super) struct RawPiece {
    pub(super) class: Class,
    pub(super) unit: Option<usize>,
    /// For a `dual_claim` piece: the other legal unit.
    pub(super) other_unit: Option<usize>,
    pub(super) controller: Option<String>,
    pub(super) controls: Vec<usize>,
    pub(super) polygon: Polygon<f64>,
}

/// The stable id of a piece: a hash of class, legal unit, controller and an
/// interior point.
pub(super) fn piece_id(
    class: Class,
    legal_unit: Option<&str>,
    controller: Option<&str>,
    inner: Option<Point<f64>>,
) -> String {
    let key = format!(
        "{}|{}|{}|{}",
        class.as_str(),
        legal_unit.unwrap_or(""),
        controller.unwrap_or(""),
        inner.map(|pt| format!("{:.6},{:.6}", pt.x(), pt.y())).unwrap_or_default()
    );
    let digest = Sha256::digest(key.as_bytes());
    format!("g{}", digest.iter().take(5).map(|b| format!("{b:02x}")).collect::<String>())
}

/// The overlap of two boxes, if they share more than a line.
pub(crate) fn intersection_rect(a: Rect<f64>, b: Rect<f64>) -> Option<Rect<f64>> {
    let (x0, y0) = (a.min().x.max(b.min().x), a.min().y.max(b.min().y));
    let (x1, y1) = (a.max().x.min(b.max().x), a.max().y.min(b.max().y));
    (x0 < x1 && y0 < y1).then(|| Rect::new(geo::Coord { x: x0, y: y0 }, geo::Coord { x: x1, y: y1 }))
}

/// i_overlay has panicked on some inputs in the past (georust/geo#1189,
/// #1273). A panic in one unit becomes an error naming the features.
pub(super) fn contained<T>(unit: &str, cands: &[usize], others: &[Unit], f: impl FnOnce() -> T) -> Result<T> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).map_err(|e| {
        let msg = e
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| e.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".into());
        Error::Overlay {
            unit: unit.to_string(),
            others: cands.iter().map(|&k| others[k].id.clone()).collect(),
            message: msg,
        }
    })
}

/// Legal unit `i` cut into pieces on the run's grid `g`.
///
/// First the overlaps with other legal units (`near`, their indices):
/// validation has let only slivers through. An overlap with a unit of
/// another owner is one `dual_claim` piece, emitted by the lower-indexed
/// unit of the pair and taken out of both; an overlap with a unit of the
/// same owner stays in the lower-indexed unit only. Then, of what is left
/// (and of each dual claim), the area where controllers overlap
/// (contested), each controller's area in turn, and what no one holds.
#[allow(clippy::too_many_arguments)]
pub(super) fn cut_legal(
    i: usize,
    u: &Unit,
    cands: &[usize],
    cu: &[Unit],
    near: &[usize],
    lu: &[Unit],
    g: Grid,
) -> (Vec<RawPiece>, Conservation) {
    let mut pieces = Vec::new();
    let Some(ub) = u.bbox else {
        return (pieces, Conservation::empty("legal", &u.id));
    };
    let clip_to = clip::widen(ub);
    let geoms: Vec<(usize, Cow<'_, MultiPolygon<f64>>)> =
        cands.iter().map(|&k| (k, clip::to_rect(&cu[k].geom, cu[k].bbox, clip_to))).collect();
    let mut groups: BTreeMap<&str, (IntShapes, Vec<usize>)> = BTreeMap::new();
    for (k, geom) in &geoms {
        let e = groups.entry(cu[*k].key.as_str()).or_default();
        e.0.extend(g.shapes(geom));
        e.1.push(*k);
    }
    // Where two controllers' areas overlap, pair by pair (where three
    // overlap, the first pair in key order takes it).
    let keys: Vec<&str> = groups.keys().copied().collect();
    let mut contested: Vec<(String, Vec<usize>, IntShapes)> = Vec::new();
    for a in 0..keys.len() {
        for b in a + 1..keys.len() {
            let both = split::intersect(&groups[keys[a]].0, &groups[keys[b]].0);
            if !both.is_empty() {
                let ks = groups[keys[a]].1.iter().chain(&groups[keys[b]].1).copied().collect();
                contested.push((format!("{}|{}", keys[a], keys[b]), ks, both));
            }
        }
    }
    let whole = g.shapes(&u.geom);
    let mut rest = whole.clone();
    let (mut cut_twice, mut noding): (i128, i128) = (0, 0);
    let mut dual: Vec<(usize, IntShapes)> = Vec::new();
    // What this unit leaves to others, on the ellipsoid (for conservation).
    let mut given_m2 = 0.0;
    // Neighbours share borders edge for edge after noding, so most units
    // overlap none of them: one overlay with all of them settles that, and
    // only a unit that does overlap is cut neighbour by neighbour.
    let neighbours: Vec<(usize, IntShapes)> = near
        .iter()
        .filter(|&&k| k != i && !(lu[k].key == u.key && k > i))
        .map(|&k| (k, g.shapes(&clip::to_rect(&lu[k].geom, lu[k].bbox, clip_to))))
        .filter(|(_, s)| !s.is_empty())
        .collect();
    let overlaps_any = !neighbours.is_empty() && {
        let all: IntShapes = neighbours.iter().flat_map(|(_, s)| s.iter().cloned()).collect();
        split::twice_area(&split::intersect(&whole, &all)) != 0
    };
    for (k, other) in neighbours.into_iter().filter(|_| overlaps_any) {
        let same = lu[k].key == u.key;
        let cut = split::split(&rest, &other);
        if split::twice_area(&cut.inside) == 0 {
            continue;
        }
        noding += cut.noding;
        rest = cut.outside;
        if same || k < i {
            // Counted by unit k.
            cut_twice += split::twice_area(&cut.inside);
            given_m2 += g.polygons(&cut.inside).iter().map(measure::polygon_area_m2).sum::<f64>();
        } else {
            dual.push((k, cut.inside));
        }
    }
    let mut carve = |region: IntShapes, other_unit: Option<usize>, cut_twice: &mut i128, noding: &mut i128| {
        let class_of = |c: Class| if other_unit.is_some() { Class::DualClaim } else { c };
        let mut emit = |class: Class, controller: Option<String>, controls: Vec<usize>, shapes: &IntShapes| {
            *cut_twice += split::twice_area(shapes);
            for polygon in g.polygons(shapes) {
                pieces.push(RawPiece {
                    class: class_of(class),
                    unit: Some(i),
                    other_unit,
                    controller: controller.clone(),
                    controls: controls.clone(),
                    polygon,
                });
            }
        };
        let mut rest = region;
        for (pair, ks, both) in &contested {
            let cut = split::split(&rest, both);
            emit(Class::ContestedControl, Some(pair.clone()), ks.clone(), &cut.inside);
            *noding += cut.noding;
            rest = cut.outside;
        }
        for (key, (shapes, ks)) in &groups {
            let cut = split::split(&rest, shapes);
            let class = if *key == u.key { Class::HeldByOwner } else { Class::HeldByOther };
            emit(class, Some(key.to_string()), ks.clone(), &cut.inside);
            *noding += cut.noding;
            rest = cut.outside;
        }
        emit(Class::Unassigned, None, Vec::new(), &rest);
    };
    carve(rest, None, &mut cut_twice, &mut noding);
    for (k, region) in dual {
        carve(region, Some(k), &mut cut_twice, &mut noding);
    }

    let geodesic: f64 = pieces.iter().map(|p| measure::polygon_area_m2(&p.polygon)).sum::<f64>() + given_m2;
    let snapped: f64 = g.polygons(&whole).iter().map(measure::polygon_area_m2).sum();
    let c = checked("legal", u, g, &whole, snapped, geodesic, cut_twice, noding);
    (pieces, c)
}

/// The control side: what of control polygon `j` no legal unit covers.
/// Where it overlaps another control polygon there, the overlap is counted
/// once: the lower-indexed polygon of each pair keeps it (as
/// `contested_control` between two controllers, or as its own
/// `outside_basis` when both have the same one), and the higher-indexed one
/// gives it away.
pub(super) fn cut_control(
    j: usize,
    u: &Unit,
    cands: &[usize],
    lu: &[Unit],
    others: &[usize],
    cu: &[Unit],
    g: Grid,
) -> (Vec<RawPiece>, Conservation) {
    let mut pieces = Vec::new();
    let Some(ub) = u.bbox else {
        return (pieces, Conservation::empty("control", &u.id));
    };
    let clip_to = clip::widen(ub);
    let legal_geoms: Vec<Cow<'_, MultiPolygon<f64>>> =
        cands.iter().map(|&k| clip::to_rect(&lu[k].geom, lu[k].bbox, clip_to)).collect();
    let other_geoms: Vec<(usize, Cow<'_, MultiPolygon<f64>>)> =
        others.iter().map(|&k| (k, clip::to_rect(&cu[k].geom, cu[k].bbox, clip_to))).collect();
    let whole = g.shapes(&u.geom);
    let mut rest = whole.clone();
    let (mut cut_twice, mut noding, mut geodesic_sum) = (0i128, 0i128, 0.0);
    let mut take = |rest: &mut IntShapes, other: &IntShapes, noding: &mut i128| {
        let cut = split::split(rest, other);
        cut_twice += split::twice_area(&cut.inside);
        let polys = g.polygons(&cut.inside);
        geodesic_sum += polys.iter().map(measure::polygon_area_m2).sum::<f64>();
        *noding += cut.noding;
        *rest = cut.outside;
        polys
    };
    // All legal units in one cut (non-zero fill: overlaps between them do
    // not matter here). One at a time, the rest gained a hole per unit and
    // each cut re-noded all of them: 100,000 small units under one control
    // polygon never finished.
    let legal_shapes: IntShapes = legal_geoms.iter().flat_map(|geom| g.shapes(geom)).collect();
    if !legal_shapes.is_empty() {
        take(&mut rest, &legal_shapes, &mut noding);
    }
    // Given away to lower-indexed polygons, which count it; likewise in one cut.
    let given: IntShapes = other_geoms.iter().filter(|(k, _)| *k < j).flat_map(|(_, geom)| g.shapes(geom)).collect();
    if !given.is_empty() {
        take(&mut rest, &given, &mut noding);
    }
    // Kept as contested with higher-indexed polygons of another controller.
    for (k, geom) in other_geoms.iter().filter(|(k, _)| *k > j && cu[*k].key != u.key) {
        let k = *k;
        let (a, b) = if u.key <= cu[k].key { (&u.key, &cu[k].key) } else { (&cu[k].key, &u.key) };
        for polygon in take(&mut rest, &g.shapes(geom), &mut noding) {
            pieces.push(RawPiece {
                class: Class::ContestedControl,
                unit: None,
                other_unit: None,
                controller: Some(format!("{a}|{b}")),
                controls: vec![j, k],
                polygon,
            });
        }
    }
    cut_twice += split::twice_area(&rest);
    for polygon in g.polygons(&rest) {
        geodesic_sum += measure::polygon_area_m2(&polygon);
        pieces.push(RawPiece {
            class: Class::OutsideBasis,
            unit: None,
            other_unit: None,
            controller: Some(u.key.clone()),
            controls: vec![j],
            polygon,
        });
    }
    let snapped: f64 = g.polygons(&whole).iter().map(measure::polygon_area_m2).sum();
    let c = checked("control", u, g, &whole, snapped, geodesic_sum, cut_twice, noding);
    (pieces, c)
}

/// The conservation figures of one unit, against the unit as snapped. A
/// unit can cross itself once snapped (a neck thinner than a grid step,
/// on a coarse world grid), and the area of a crossed ring is not what the
/// overlay reads from it (non-zero fill). When the ellipsoidal check fails
/// so, it is taken again against the unit as the overlay reads it: the
/// same planar identity, with the unit's own noding moved from the cuts to
/// the reference. A missing or doubled piece still fails both.
#[allow(clippy::too_many_arguments)]
pub(super) fn checked(
    layer: &'static str,
    u: &Unit,
    g: Grid,
    whole: &IntShapes,
    snapped: f64,
    pieces_m2: f64,
    cut_twice: i128,
    noding: i128,
) -> Conservation {
    let whole_twice = split::twice_area(whole);
    let c = conservation(layer, &u.id, u.area_m2, snapped, pieces_m2, whole_twice, cut_twice, noding);
    if c.geodesic_rel <= GEODESIC_TOLERANCE {
        return c;
    }
    let read = split::union(whole);
    let read_twice = split::twice_area(&read);
    let read_m2: f64 = g.polygons(&read).iter().map(measure::polygon_area_m2).sum();
    conservation(
        layer,
        &u.id,
        u.area_m2,
        read_m2,
        pieces_m2,
        read_twice,
        cut_twice,
        noding - (read_twice - whole_twice),
    )
}

/// The conservation figures of one unit.
///
/// Planar, on the grid, exactly: the pieces must equal the unit plus what
/// noding (inserting snapped crossings) changed at each cut; any difference
/// is a missing or doubled piece. On the ellipsoid: the pieces must add up
/// to the unit as it stands on the grid; areas there are additive, so only
/// the snapping of crossing vertices separates them. How far the grid moved
/// the unit itself (a unit cut against a continent-sized polygon sits on a
/// coarser grid) is reported apart, as `snap_m2`.
#[allow(clippy::too_many_arguments)]
pub(super) fn conservation(
    layer: &'static str,
    unit: &str,
    area: f64,
    snapped: f64,
    pieces_area: f64,
    whole_twice: i128,
    pieces_twice: i128,
    noding_twice: i128,
) -> Conservation {
    let rel = |a: f64, b: f64| if b > 0.0 { ((a - b) / b).abs() } else { a.abs() };
    let planar_rel = if whole_twice == 0 {
        0.0
    } else {
        ((pieces_twice - whole_twice - noding_twice) as f64 / whole_twice as f64).abs()
    };
    // Noding's effect in m², scaled by the unit's own m² per grid unit.
    let cut_effect_m2 = if whole_twice == 0 { 0.0 } else { snapped * noding_twice as f64 / whole_twice as f64 };
    Conservation {
        layer,
        unit: unit.to_string(),
        area_m2: area,
        planar_rel,
        // The same identity as the planar one: the unit on the grid plus the
        // noding of its cuts (in m², through the unit's own m²-per-grid-unit).
        geodesic_rel: rel(pieces_area, snapped + cut_effect_m2),
        cut_effect_m2,
        snap_m2: snapped - area,
    }
}
