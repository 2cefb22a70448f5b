//! Each piece's attributes: areas, perimeter, width, depth from the legal
//! line, and the settlements inside.

use super::*;

/// Everything needed to measure a piece's attributes.
pub(super) struct Attrs<'a> {
    pub(super) legal: &'a Layer,
    pub(super) lu: &'a [Unit<'a>],
    pub(super) control: &'a Layer,
    pub(super) cu: &'a [Unit<'a>],
    pub(super) places: crate::index::Places,
    pub(super) opts: &'a GapsOptions,
    pub(super) tolerance_m: f64,
    /// The owner's legal boundary with each controller, per legal unit.
    pub(super) lines: BTreeMap<(usize, String), measure::LineIndex>,
}

impl<'a> Attrs<'a> {
    // Each argument is one of the run's layers or its parts; bundling them
    // in a struct would only rename them.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn new(
        legal: &'a Layer,
        lu: &'a [Unit<'a>],
        control: &'a Layer,
        cu: &'a [Unit<'a>],
        settlements: Option<&'a Layer>,
        opts: &'a GapsOptions,
        tolerance_m: f64,
        raw: &[RawPiece],
    ) -> Attrs<'a> {
        let places = crate::index::Places::new(settlements, &opts.name_field);
        // Only the (unit, controller) pairs that hold gaps need a boundary,
        // and only those controllers' legal territory is gathered.
        let mut pairs: Vec<(usize, String)> = raw
            .iter()
            .filter(|p| p.class == Class::HeldByOther && !opts.areas_only)
            .filter_map(|p| Some((p.unit?, p.controller.clone()?)))
            .collect();
        pairs.sort();
        pairs.dedup();
        let wanted: std::collections::BTreeSet<&str> = pairs.iter().map(|(_, c)| c.as_str()).collect();
        let mut by_owner: BTreeMap<&str, MultiPolygon<f64>> = BTreeMap::new();
        for u in lu.iter().filter(|u| wanted.contains(u.key.as_str())) {
            by_owner.entry(u.key.as_str()).or_insert_with(|| MultiPolygon(vec![])).0.extend(u.geom.0.iter().cloned());
        }
        let by_owner: BTreeMap<&str, EdgeSet> = by_owner.into_iter().map(|(k, m)| (k, EdgeSet::of(&m))).collect();
        let lines = pairs
            .into_par_iter()
            .map(|(i, c)| {
                let line = by_owner
                    .get(c.as_str())
                    .map(|theirs| theirs.shared_with(&lu[i].geom))
                    .unwrap_or_else(|| MultiLineString(vec![]));
                ((i, c), measure::LineIndex::new(&line))
            })
            .collect();
        Attrs { legal, lu, control, cu, places, opts, tolerance_m, lines }
    }

    pub(super) fn distinct(&self, controls: &[usize], field: &str) -> Option<String> {
        let mut v: Vec<String> = Vec::new();
        for &k in controls {
            if let Some(s) = self.control.features[k].text(field)
                && !v.contains(&s)
            {
                v.push(s);
            }
        }
        (!v.is_empty()).then(|| v.join("; "))
    }

    pub(super) fn measure(&self, p: RawPiece) -> Gap {
        let poly = &p.polygon;
        let area_m2 = measure::polygon_area_m2(poly);
        let width_m = if self.opts.areas_only { 0.0 } else { measure::width_m(poly, 0.5) };
        // A dual claim names both owners and both units, in owner order.
        let (owner, legal_unit) = match (p.unit, p.other_unit) {
            (Some(i), Some(k)) => {
                let mut two =
                    [(&self.lu[i].key, &self.legal.features[i].id), (&self.lu[k].key, &self.legal.features[k].id)];
                two.sort();
                (Some(format!("{}|{}", two[0].0, two[1].0)), Some(format!("{}|{}", two[0].1, two[1].1)))
            }
            (i, _) => (i.map(|i| self.lu[i].key.clone()), i.map(|i| self.legal.features[i].id.clone())),
        };
        let inner = poly.interior_point();
        let bb = poly.bounding_rect();
        // The control polygons of the piece's controller(s) that cover it.
        let controls = covering(poly, inner, bb, &p.controls, self.cu);
        let controller = p.controller.clone();
        let sliver = !self.opts.areas_only && width_m < self.tolerance_m;
        let depth_m = match (p.class, p.unit, &p.controller) {
            (Class::HeldByOther, Some(i), Some(c)) => self.lines.get(&(i, c.clone())).and_then(|l| {
                // In a sliver every point is within width/2 of its edge, so
                // the vertices give the depth to within that: the interior
                // search, which must resolve the whole length of a sliver
                // to the precision, is kept for real gaps.
                if sliver { l.farthest_vertex(poly) } else { l.farthest_from(poly, 0.5) }
            }),
            _ => None,
        };
        let settlements = if self.opts.areas_only { Vec::new() } else { self.places.inside(poly) };
        let id = piece_id(p.class, legal_unit.as_deref(), controller.as_deref(), inner);
        Gap {
            id,
            class: p.class,
            owner,
            controller,
            legal_unit,
            control_ids: controls.iter().map(|&k| self.cu[k].id.clone()).collect(),
            control_source: self.distinct(&controls, &self.opts.source_field),
            as_of: self.distinct(&controls, &self.opts.as_of_field),
            area_m2,
            perimeter_m: if self.opts.areas_only { 0.0 } else { measure::length_m(&Geometry::Polygon(poly.clone())) },
            depth_m,
            width_m,
            settlements,
            sliver,
            geometry: p.polygon,
        }
    }
}

/// The control polygons among `ks` that cover part of `poly`, in the order
/// given: not those whose box merely meets it (issue 30: an exclave piece
/// cited the mainland's date and source, because the mainland's box held
/// it). The pieces are cut from the noded control polygons, so a piece
/// lies wholly inside or outside each of them but for shared edges: the
/// interior point settles most, and an area test the rest (a piece that
/// spans two adjacent polygons of one controller). Where a controller has
/// only one polygon near the piece, that one covers it.
pub(super) fn covering(
    poly: &Polygon<f64>,
    inner: Option<Point<f64>>,
    bb: Option<Rect<f64>>,
    ks: &[usize],
    cu: &[Unit],
) -> Vec<usize> {
    use geo::{Area, BooleanOps, Contains};
    let Some(bb) = bb else { return Vec::new() };
    let near: Vec<usize> = ks.iter().copied().filter(|&k| cu[k].bbox.is_some_and(|b| b.intersects(&bb))).collect();
    let alone = |k: usize| near.iter().filter(|&&j| cu[j].key == cu[k].key).count() == 1;
    let planar = poly.unsigned_area();
    near.iter()
        .copied()
        .filter(|&k| {
            if alone(k) || inner.is_some_and(|p| cu[k].geom.contains(&p)) {
                return true;
            }
            let local = clip::to_rect(&cu[k].geom, cu[k].bbox, clip::widen(bb));
            // Shared edges give no area; a covered part gives its own (at
            // least a grid cell, far above this).
            MultiPolygon(vec![poly.clone()]).intersection(local.as_ref()).unsigned_area() > planar * 1e-9
        })
        .collect()
}
