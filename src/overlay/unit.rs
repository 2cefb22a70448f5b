//! One legal unit overlaid on its own, for `village`: the pieces of the
//! unit where control differs, and a cheap look through a window first.

use super::*;

/// The overlay of single legal units, on demand: the same pieces and ids as
/// [`gaps`] gives for those units, without the rest of the layer. For
/// queries about one place (`village`), where overlaying the whole layer
/// would cost more than the question.
///
/// The inputs are not validated here; run [`gaps`] or `check` for that.
/// Pieces carry id, class, owner, controller, area, perimeter, width and
/// the sliver flag; depth and settlements are left empty.
///
/// ```
/// use delimit::overlay::{gaps, Class, GapsOptions, UnitOverlay};
/// let load = |n| delimit::sample::load(n, &Default::default()).unwrap();
/// let (legal, control) = (load("legal.geojson"), load("control.geojson"));
/// let opts = GapsOptions::default();
/// let i = legal.features.iter().position(|f| f.text("unit").as_deref() == Some("Artsvashen exclave")).unwrap();
/// let one = UnitOverlay::new(&legal, &control, &opts).pieces(i).unwrap();
/// let all = gaps(&legal, &control, None, &opts).unwrap();
/// let held: Vec<_> = one.iter().filter(|g| g.class == Class::HeldByOther).collect();
/// assert_eq!(held.len(), 1);
/// assert!(all.gaps.iter().any(|g| g.id == held[0].id && g.area_m2 == held[0].area_m2));
/// ```
pub struct UnitOverlay<'a> {
    legal: &'a Layer,
    lu: Vec<Unit<'a>>,
    cu: Vec<Unit<'a>>,
    c_index: index::Index,
    tolerance_m: f64,
    /// The grids [`gaps`] would use for these two layers.
    grids: RunGrids,
}

impl<'a> UnitOverlay<'a> {
    /// Index the control layer once.
    pub fn new(legal: &'a Layer, control: &'a Layer, opts: &GapsOptions) -> UnitOverlay<'a> {
        let (tolerance_m, _) = tolerance(legal, control, opts.tolerance_m);
        let lu = units(legal, &opts.owner_field);
        let cu = units(control, &opts.controller_field);
        let c_cover: Vec<Vec<Rect<f64>>> = cu.iter().map(|u| index::cover(&u.geom)).collect();
        let c_index = index::Index::new(&c_cover);
        let grids = run_grids(&lu, &cu, opts.extent, opts.grid.map(|f| f.0));
        UnitOverlay { legal, lu, cu, c_index, tolerance_m, grids }
    }

    /// The sliver tolerance in use, m.
    pub fn tolerance_m(&self) -> f64 {
        self.tolerance_m
    }

    /// Every piece of legal unit `i` (a feature index of the legal layer).
    pub fn pieces(&self, i: usize) -> Result<Vec<Gap>> {
        self.pieces_of(i, |_| true)
    }

    /// The pieces of legal unit `i` whose class passes `keep`. Only those
    /// are measured: the agreed piece of a mainland is the whole country,
    /// and its width alone costs more than the rest of a `village` query.
    ///
    /// ```
    /// use delimit::overlay::{Class, GapsOptions, UnitOverlay};
    /// let load = |n| delimit::sample::load(n, &Default::default()).unwrap();
    /// let (legal, control) = (load("legal.geojson"), load("control.geojson"));
    /// let ov = UnitOverlay::new(&legal, &control, &GapsOptions::default());
    /// let i = legal.features.iter().position(|f| f.text("unit").as_deref() == Some("Artsvashen exclave")).unwrap();
    /// let held = ov.pieces_of(i, |c| c == Class::HeldByOther).unwrap();
    /// let all = ov.pieces(i).unwrap();
    /// assert_eq!(held.len(), 1);
    /// assert!(all.iter().any(|g| g.id == held[0].id && g.width_m == held[0].width_m));
    /// ```
    /// Whether a `held_by_other` piece of legal unit `i` meets `window`
    /// (some of the unit there is held by one party other than its owner,
    /// and by no other), from the overlay of the unit cut to the window. Where the answer is no, a query looking
    /// only inside the window can skip the unit's whole overlay: for a
    /// mainland, ten times the cost. Shapes thinner than the overlay's grid
    /// (about 1e-5 of the window) are not seen, so a window should reach
    /// beyond what it must find by more than that.
    ///
    /// ```
    /// use delimit::overlay::{GapsOptions, UnitOverlay};
    /// use geo::{coord, Rect};
    /// let load = |n| delimit::sample::load(n, &Default::default()).unwrap();
    /// let (legal, control) = (load("legal.geojson"), load("control.geojson"));
    /// let ov = UnitOverlay::new(&legal, &control, &GapsOptions::default());
    /// let i = legal.features.iter().position(|f| f.text("unit").as_deref() == Some("Artsvashen exclave")).unwrap();
    /// // Artsvashen (held by another party) is at 45.37°E 40.64°N.
    /// let near = Rect::new(coord! { x: 45.2, y: 40.5 }, coord! { x: 45.5, y: 40.8 });
    /// let far = Rect::new(coord! { x: 46.0, y: 39.0 }, coord! { x: 46.3, y: 39.3 });
    /// assert!(ov.held_by_other_in(i, near).unwrap());
    /// assert!(!ov.held_by_other_in(i, far).unwrap());
    /// ```
    pub fn held_by_other_in(&self, i: usize, window: Rect<f64>) -> Result<bool> {
        let u = &self.lu[i];
        let Some(ub) = u.bbox else { return Ok(false) };
        let Some(w) = intersection_rect(ub, window) else { return Ok(false) };
        let unit = clip::to_rect(&u.geom, u.bbox, w);
        let cands = self.c_index.candidates(&index::cover(&unit));
        let clip_to = clip::widen(w);
        contained(&u.id, &cands, &self.cu, || {
            let g = Grid::for_rect(clip_to);
            let whole = g.shapes(&unit);
            let mut by_key: BTreeMap<&str, IntShapes> = BTreeMap::new();
            for &k in &cands {
                by_key.entry(self.cu[k].key.as_str()).or_default().extend(g.shapes(&clip::to_rect(
                    &self.cu[k].geom,
                    self.cu[k].bbox,
                    clip_to,
                )));
            }
            // As `cut_legal` carves it: a held_by_other piece is where one
            // party other than the owner, and no other party, holds the unit
            // (where two overlap, the piece is contested_control).
            by_key.iter().filter(|(key, _)| **key != u.key).any(|(key, shapes)| {
                let held = split::intersect(&whole, shapes);
                let others: IntShapes =
                    by_key.iter().filter(|(k, _)| k != &key).flat_map(|(_, s)| s.iter().cloned()).collect();
                split::twice_area(&split::split(&held, &others).outside) > 0
            })
        })
    }

    pub fn pieces_of(&self, i: usize, keep: impl Fn(Class) -> bool) -> Result<Vec<Gap>> {
        let u = &self.lu[i];
        let Some(ub) = u.bbox else { return Ok(Vec::new()) };
        let clip_to = clip::widen(ub);
        let cands = self.c_index.candidates(&index::cover(&u.geom));
        // The legal units near this one, itself included, in layer order
        // (the order decides who emits a dual claim, as in `gaps`).
        let near: Vec<usize> = (0..self.lu.len())
            .filter(|&k| k == i || self.lu[k].bbox.is_some_and(|b| intersection_rect(b, clip_to).is_some()))
            .collect();
        // Noded as `gaps` nodes them, cut to the unit's neighbourhood first:
        // what lies beyond the widened box cannot touch the unit's pieces.
        let local = |src: &Unit, clip: bool| -> Unit<'static> {
            Unit {
                id: src.id.clone(),
                key: src.key.clone(),
                geom: Cow::Owned(if clip {
                    clip::to_rect(&src.geom, src.bbox, clip_to).into_owned()
                } else {
                    src.geom.clone().into_owned()
                }),
                bbox: src.bbox,
                area_m2: src.area_m2,
            }
        };
        let mut llu: Vec<Unit> = near.iter().map(|&k| local(&self.lu[k], k != i)).collect();
        let mut lcu: Vec<Unit> = cands.iter().map(|&k| local(&self.cu[k], true)).collect();
        let grid = self.grids.of_legal(i);
        node_units(&mut llu, &mut lcu, grid, |_, _| true);
        let li = near.iter().position(|&k| k == i).expect("the unit is near itself");
        let lnear: Vec<usize> = (0..llu.len()).collect();
        let lcands: Vec<usize> = (0..lcu.len()).collect();
        let (raw, _) =
            contained(&u.id, &cands, &self.cu, || cut_legal(li, &llu[li], &lcands, &lcu, &lnear, &llu, grid))?;
        Ok(raw
            .into_iter()
            .filter(|p| keep(p.class))
            .map(|p| {
                let poly = p.polygon;
                let width_m = measure::width_m(&poly, 0.5);
                let (owner, legal_unit) = match p.other_unit.map(|k| near[k]) {
                    Some(k) => {
                        let mut two =
                            [(&u.key, &self.legal.features[i].id), (&self.lu[k].key, &self.legal.features[k].id)];
                        two.sort();
                        (format!("{}|{}", two[0].0, two[1].0), format!("{}|{}", two[0].1, two[1].1))
                    }
                    None => (u.key.clone(), self.legal.features[i].id.clone()),
                };
                Gap {
                    id: piece_id(p.class, Some(&legal_unit), p.controller.as_deref(), poly.interior_point()),
                    class: p.class,
                    owner: Some(owner),
                    controller: p.controller,
                    legal_unit: Some(legal_unit),
                    control_ids: covering(&poly, poly.interior_point(), poly.bounding_rect(), &p.controls, &lcu)
                        .into_iter()
                        .map(|k| self.cu[cands[k]].id.clone())
                        .collect(),
                    control_source: None,
                    as_of: None,
                    area_m2: measure::polygon_area_m2(&poly),
                    perimeter_m: measure::length_m(&Geometry::Polygon(poly.clone())),
                    depth_m: None,
                    width_m,
                    settlements: Vec::new(),
                    sliver: width_m < self.tolerance_m,
                    geometry: poly,
                }
            })
            .collect())
    }
}
