//! Property tests of the overlay: random star polygons (with holes and
//! several parts), legal partitions with exactly shared edges, and
//! overlapping controllers.

use geo::{BooleanOps, Coord, LineString, MultiPolygon, Polygon, Validation};
use proptest::prelude::*;

use super::grid::{Grid, twice_signed_area};
use super::{Class, GapsOptions, gaps, split};
use crate::layer::{Feature, Layer, Provenance, Role};
use crate::measure;

#[path = "../../fuzz/decode.rs"]
mod fuzz_decode;

/// A star-shaped (hence simple) ring around a centre, in degrees.
fn star(cx: f64, cy: f64, radii: &[f64], scale: f64) -> LineString<f64> {
    let n = radii.len();
    let mut pts: Vec<Coord<f64>> = radii
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let a = i as f64 / n as f64 * std::f64::consts::TAU;
            Coord { x: cx + scale * r * a.cos(), y: cy + scale * r * a.sin() }
        })
        .collect();
    pts.push(pts[0]);
    LineString::new(pts)
}

fn radii() -> impl Strategy<Value = Vec<f64>> {
    prop::collection::vec(0.5f64..1.0, 5..24)
}

fn layer(role: Role, features: Vec<(String, String, MultiPolygon<f64>)>) -> Layer {
    let key = match role {
        Role::Legal => "owner",
        _ => "controller",
    };
    Layer {
        name: "t".into(),
        role: Some(role),
        features: features
            .into_iter()
            .enumerate()
            .map(|(index, (id, k, m))| {
                let mut properties = serde_json::Map::new();
                properties.insert(key.into(), k.into());
                Feature { id, index, geometry: Some(m.into()), properties }
            })
            .collect(),
        fields: vec![],
        provenance: Provenance {
            path: "t".into(),
            layer: "t".into(),
            sha256: String::new(),
            driver: String::new(),
            source_crs: "EPSG:4326".into(),
            crs_from: "test".into(),
            operation: None,
            ..Default::default()
        },
        notes: vec![],
    }
}

/// A legal partition: a star S (owner A, with a hole owned by B) inside a
/// box owned by B, the box having S's exterior as its hole: shared edges.
fn legal(outer: &[f64], hole: &[f64]) -> (Layer, MultiPolygon<f64>, MultiPolygon<f64>) {
    let s_ext = star(45.1, 40.1, outer, 0.05);
    let s_hole = star(45.1, 40.1, hole, 0.015);
    let s = Polygon::new(s_ext.clone(), vec![s_hole.clone()]);
    let inner = Polygon::new(s_hole, vec![]);
    let frame = Polygon::new(
        LineString::from(vec![(44.95, 39.95), (45.25, 39.95), (45.25, 40.25), (44.95, 40.25), (44.95, 39.95)]),
        vec![s_ext],
    );
    let a = MultiPolygon(vec![s]);
    let b = MultiPolygon(vec![frame, inner]);
    (layer(Role::Legal, vec![("S".into(), "A".into(), a.clone()), ("F".into(), "B".into(), b.clone())]), a, b)
}

proptest! {
    // 48 cases in `make test`; PROPTEST_CASES=N runs more.
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(48)
    ))]

    /// One graph's two halves tile the subject as that graph noded it,
    /// exactly in integers; against the subject as given they differ only
    /// by the snap-rounding of the new crossing vertices.
    #[test]
    fn split_conserves_area(a in radii(), b in radii(), dx in -0.05f64..0.05, dy in -0.05f64..0.05) {
        let pa = MultiPolygon(vec![Polygon::new(star(45.0, 40.0, &a, 0.05), vec![])]);
        let pb = MultiPolygon(vec![Polygon::new(star(45.0 + dx, 40.0 + dy, &b, 0.05), vec![])]);
        let g = Grid::for_rect(geo::Rect::new(Coord { x: 44.8, y: 39.8 }, Coord { x: 45.2, y: 40.2 }));
        let (sa, sb) = (g.shapes(&pa), g.shapes(&pb));
        let cut = split::split(&sa, &sb);
        let area = |s: &super::grid::IntShapes| s.iter().flatten().map(|c| twice_signed_area(c)).sum::<i128>();
        prop_assert_eq!(area(&cut.inside) + area(&cut.outside), area(&sa) + cut.noding);
        let rel = cut.noding as f64 / area(&sa) as f64;
        prop_assert!(rel.abs() < 1e-7, "{rel}");
    }

    #[test]
    fn gaps_invariants(
        outer in radii(), hole in radii(),
        c1 in radii(), c2 in radii(),
        x1 in 45.0f64..45.2, y1 in 40.0f64..40.2, x2 in 45.0f64..45.2, y2 in 40.0f64..40.2,
        k1 in prop::bool::ANY, k2 in prop::bool::ANY, multi in prop::bool::ANY,
    ) {
        let (legal, a_geom, b_geom) = legal(&outer, &hole);

        let key = |b: bool| if b { "A" } else { "B" }.to_string();
        let p1 = Polygon::new(star(x1, y1, &c1, 0.06), vec![]);
        let p2 = Polygon::new(star(x2, y2, &c2, 0.04), vec![]);
        let controls = if multi {
            // One multipolygon control whose parts may overlap the other's.
            vec![("c1".to_string(), key(k1), MultiPolygon(vec![p1.clone()])), ("c2".to_string(), key(k2), MultiPolygon(vec![p2.clone(), Polygon::new(star(45.2, 40.2, &c1, 0.02), vec![])]))]
        } else {
            vec![("c1".to_string(), key(k1), MultiPolygon(vec![p1])), ("c2".to_string(), key(k2), MultiPolygon(vec![p2]))]
        };
        // Parts of one multipolygon must not overlap, or the control layer is invalid.
        let control = layer(Role::Control, controls.clone());
        let r = gaps(&legal, &control, None, &GapsOptions { tolerance_m: Some(100.0), ..GapsOptions::default() });
        let r = match r {
            Ok(r) => r,
            // An invalid random control (self-overlapping parts) is refused, which is right.
            Err(crate::Error::InvalidInput { .. }) => return Ok(()),
            Err(e) => return Err(TestCaseError::fail(format!("{e}"))),
        };
        // The run's grid at its coarsest: the widened box of both layers.
        let step = {
            use geo::BoundingRect;
            let all = MultiPolygon(a_geom.0.iter().chain(&b_geom.0).chain(controls.iter().flat_map(|(_, _, m)| &m.0)).cloned().collect());
            Grid::for_rect(super::clip::widen(all.bounding_rect().unwrap())).step()
        };
        for (unit, geom) in [("S", &a_geom), ("F", &b_geom)] {
            // area(L) = Σ its pieces, planar (the overlay's frame), to what
            // snapping moves: each vertex by at most half a grid step, so the
            // area by at most the unit's perimeter times a step. (A fixed
            // 1e-8 was not a bound: a small star with a wide hole is 1.02e-8
            // off, inside its bound of 1.2e-7; a lost piece would be far more.)
            use geo::{Area, Euclidean, Length};
            let sum: f64 = r.gaps.iter().filter(|g| g.legal_unit.as_deref() == Some(unit)).map(|g| g.geometry.unsigned_area()).sum();
            let whole = geom.unsigned_area();
            let perimeter: f64 = geom.0.iter().flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors())).map(|r| Euclidean.length(r)).sum();
            prop_assert!((sum - whole).abs() <= perimeter * step, "{unit}: {sum} vs {whole} (bound {})", perimeter * step);
            // On the ellipsoid, to the unit as given.
            let gsum: f64 = r.gaps.iter().filter(|g| g.legal_unit.as_deref() == Some(unit)).map(|g| g.area_m2).sum();
            let gwhole = measure::multipolygon_area_m2(geom);
            prop_assert!(((gsum - gwhole) / gwhole).abs() < 1e-6, "{unit}: {gsum} vs {gwhole}");
        }
        for g in &r.gaps {
            prop_assert!(g.geometry.is_valid(), "invalid {:?}: {:?}", g.class, g.geometry);
            let piece = MultiPolygon(vec![g.geometry.clone()]);
            // Containment is a planar question. (Measured geodesically, the
            // µm-wide slivers that geo's own overlay leaves, with collinear
            // points dropped, would "have area" from the bow of long edges.)
            use geo::{Area, Euclidean, Length};
            // Snapping moves the piece's boundary by at most half a grid
            // step (≤ 2.4e-10° on this 0.3° box), so what lies outside is at
            // most perimeter × half a step.
            let perimeter: f64 = std::iter::once(g.geometry.exterior()).chain(g.geometry.interiors()).map(|r| Euclidean.length(r)).sum();
            let tiny = perimeter * 2.4e-10 + 1e-15;
            if let Some(unit) = &g.legal_unit {
                // gaps ⊆ legal.
                let l = if unit == "S" { &a_geom } else { &b_geom };
                let out = piece.difference(l).unsigned_area();
                prop_assert!(out < tiny, "{:?} leaves its unit by {out:e} deg²", g.class);
            }
            if g.class == Class::HeldByOther {
                // Never on a control polygon of the owner itself.
                for (_, k, c) in &controls {
                    if Some(k) == g.owner.as_ref() {
                        let on = piece.intersection(c).unsigned_area();
                        prop_assert!(on < tiny, "held_by_other overlaps the owner's control by {on:e} deg²");
                    }
                }
            }
        }
    }
}

fn rect(x0: f64, y0: f64, x1: f64, y1: f64) -> MultiPolygon<f64> {
    MultiPolygon(vec![geo::Rect::new(Coord { x: x0, y: y0 }, Coord { x: x1, y: y1 }).to_polygon()])
}

/// Every square metre of the union in exactly one class, also where two
/// controllers overlap outside the legal basis (counted once, as contested).
#[test]
fn control_overlap_outside_the_basis_is_counted_once() {
    let legal = layer(Role::Legal, vec![("A".into(), "AAA".into(), rect(45.0, 40.0, 45.1, 40.1))]);
    let control = layer(
        Role::Control,
        vec![
            ("X".into(), "XXX".into(), rect(45.05, 40.0, 45.2, 40.1)),
            ("Y".into(), "YYY".into(), rect(45.15, 40.0, 45.3, 40.1)),
            // Same controller as X, overlapping it outside the basis: no double count.
            ("X2".into(), "XXX".into(), rect(45.12, 40.02, 45.14, 40.08)),
        ],
    );
    let r = gaps(&legal, &control, None, &GapsOptions { tolerance_m: Some(0.0), ..GapsOptions::default() }).unwrap();
    let area = |class: Class| r.gaps.iter().filter(|g| g.class == class).map(|g| g.area_m2).sum::<f64>();
    let a = |x0, x1| measure::multipolygon_area_m2(&rect(x0, 40.0, x1, 40.1));
    let union = a(45.0, 45.3);
    let total: f64 = r.gaps.iter().map(|g| g.area_m2).sum();
    // Each unit sits on its own integer grid, so corners snap a little
    // differently per unit: 1e-8 relative (about 3 m² here), where a
    // doubled overlap would be 5e-2.
    let rel = |x: f64, y: f64| (x - y).abs() / y;
    assert!(rel(total, union) < 1e-8, "classes {total} vs union {union}");
    assert!(rel(area(Class::ContestedControl), a(45.15, 45.2)) < 1e-8);
    assert!(rel(area(Class::OutsideBasis), a(45.1, 45.15) + a(45.2, 45.3)) < 1e-8);
    let contested: Vec<_> = r.gaps.iter().filter(|g| g.class == Class::ContestedControl).collect();
    assert_eq!(contested.len(), 1);
    assert_eq!(contested[0].controller.as_deref(), Some("XXX|YYY"));
    assert!(contested[0].owner.is_none());
}

/// Found by `fuzz/overlay` (artifact crash-21044915…): with --repair, a
/// legal ring that crosses itself with a collinear spike made i_overlay's
/// OGC extraction assert (`overlay_rule.is_fill_top`). The bytes are the
/// fuzzer's, decoded by the target's own `fuzz/decode.rs`.
#[test]
fn repair_of_a_spiked_bow_tie_does_not_panic() {
    let data: [u8; 53] = [
        0x41, 0xc4, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xb2, 0xb2, 0xb2, 0xb2, 0x21, 0xfa, 0xb2, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x71, 0xfa, 0x0a,
        0xfa, 0x21, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x25, 0xff, 0xff, 0xfa, 0x3d, 0xfa, 0xfa, 0xfa, 0xfa,
    ];
    let (pa, pb) = fuzz_decode::two_rings(&data).unwrap();
    let legal = layer(Role::Legal, vec![("A".into(), "A".into(), MultiPolygon(vec![pa]))]);
    let control = layer(Role::Control, vec![("B".into(), "B".into(), MultiPolygon(vec![pb]))]);
    let r = gaps(&legal, &control, None, &GapsOptions { repair: true, ..Default::default() });
    // Repaired and overlaid, and the pieces conserve both polygons.
    let r = r.expect("the standard extraction repairs it");
    assert!(r.conservation.iter().all(|c| c.planar_rel <= super::PLANAR_TOLERANCE), "{:?}", r.conservation);
}

/// A legal partition of rectangles on a grid whose column widths and row
/// heights span three orders of magnitude (units cut on very different
/// per-unit grids before the run had one), with owners from `owners`.
fn grid_partition(xs: &[f64], ys: &[f64], owners: &[u8]) -> Vec<(String, String, MultiPolygon<f64>)> {
    let mut out = Vec::new();
    for i in 0..xs.len() - 1 {
        for j in 0..ys.len() - 1 {
            let k = i * (ys.len() - 1) + j;
            let owner = ["A", "B", "C"][owners[k % owners.len()] as usize % 3];
            out.push((format!("u{i}_{j}"), owner.to_string(), rect(xs[i], ys[j], xs[i + 1], ys[j + 1])));
        }
    }
    out
}

/// Increasing coordinates from `start`, steps log-uniform in 1e-4..1e-1°.
fn cuts(start: f64, exps: &[f64]) -> Vec<f64> {
    let mut v = vec![start];
    for e in exps {
        let last = *v.last().unwrap();
        v.push(last + 10f64.powf(*e) * 1.000_000_7);
    }
    v
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(32)
    ))]

    /// The pieces form a polygon coverage (as GEOS's CoverageValidator
    /// defines it), within and across units, and their area is the union's:
    /// random partitions of units of very different sizes, cut by random
    /// stars and by control rectangles that share edges with each other.
    #[test]
    fn pieces_form_a_coverage(
        xe in prop::collection::vec(-4.0f64..-1.0, 2..6),
        ye in prop::collection::vec(-4.0f64..-1.0, 2..6),
        owners in prop::collection::vec(0u8..3, 1..12),
        c1 in radii(), c2 in radii(),
        cx in 0.0f64..1.0, cy in 0.0f64..1.0,
        cells in prop::collection::vec((0usize..30, 0u8..3), 0..6),
    ) {
        let (xs, ys) = (cuts(45.0, &xe), cuts(40.0, &ye));
        let legal_units = grid_partition(&xs, &ys, &owners);
        let (w, h) = (xs[xs.len() - 1] - xs[0], ys[ys.len() - 1] - ys[0]);
        let mut controls: Vec<(String, String, MultiPolygon<f64>)> = vec![
            ("s1".into(), "A".into(), MultiPolygon(vec![Polygon::new(star(45.0 + cx * w, 40.0 + cy * h, &c1, w.min(h) * 0.7), vec![])])),
            ("s2".into(), "B".into(), MultiPolygon(vec![Polygon::new(star(45.0 + w * 0.5, 40.0 + h * 0.5, &c2, w.min(h) * 0.4), vec![])])),
        ];
        // Control rectangles on the legal grid, one controller each: they
        // share edges with each other and with the legal units.
        let mut used = std::collections::BTreeSet::new();
        for (c, k) in cells {
            let c = c % legal_units.len();
            if used.insert(c) {
                controls.push((format!("r{c}"), ["A", "B", "C"][k as usize].into(), legal_units[c].2.clone()));
            }
        }
        let legal = layer(Role::Legal, legal_units.clone());
        let control = layer(Role::Control, controls.clone());
        let r = gaps(&legal, &control, None, &GapsOptions { tolerance_m: Some(0.0), ..GapsOptions::default() })
            .map_err(|e| TestCaseError::fail(format!("{e}")))?;
        let pieces: Vec<Polygon<f64>> = r.gaps.iter().map(|g| g.geometry.clone()).collect();
        let d = super::coverage_defects(&pieces);
        prop_assert!(d.is_valid(), "{d:?}");
        // No overlap hidden from the edge test: the pieces' planar area is
        // the union's (to the snapping of the grid).
        use geo::Area;
        let sum: f64 = pieces.iter().map(|p| p.unsigned_area()).sum();
        let union = legal_units.iter().chain(&controls).fold(MultiPolygon::<f64>(vec![]), |acc, (_, _, m)| acc.union(m));
        let u = union.unsigned_area();
        // Snapping moves each vertex by at most half a grid step, so the
        // area by at most the perimeter times that; a doubled piece would
        // be orders of magnitude more.
        use geo::{BoundingRect, Euclidean, Length};
        let step = Grid::for_rect(super::clip::widen(union.bounding_rect().unwrap())).step();
        let perimeter: f64 = legal_units.iter().chain(&controls).flat_map(|(_, _, m)| m.0.iter()).map(|p| Euclidean.length(p.exterior())).sum();
        prop_assert!((sum - u).abs() <= perimeter * step, "pieces {sum} vs union {u} (bound {})", perimeter * step);
        // Rectangles that only share edges contest nothing; only the stars
        // can overlap a rectangle of another controller.
        for g in r.gaps.iter().filter(|g| g.class == Class::ContestedControl) {
            let ids = &g.control_ids;
            prop_assert!(ids.iter().any(|i| i.starts_with('s')), "contested between rectangles only: {ids:?}, {} m²", g.area_m2);
        }
    }
}

/// A unit that crosses itself once snapped (a figure 8: a neck thinner
/// than a grid step, seen on Saint-Pierre-et-Miquelon on the 5 cm world
/// grid) is conserved against the unit as the overlay reads it, not
/// against |area| of its crossed ring, which is 0 here.
#[test]
fn a_unit_crossed_by_snapping_is_conserved_as_the_overlay_reads_it() {
    use super::engine::{Unit, checked, conservation};
    use i_overlay::i_float::int::point::IntPoint;
    let p = |x, y| IntPoint::new(x, y);
    let g = Grid::for_rect(geo::Rect::new(Coord { x: 45.0, y: 40.0 }, Coord { x: 45.001, y: 40.001 }));
    let whole: super::grid::IntShapes = vec![vec![vec![p(0, 0), p(100_000, 100_000), p(100_000, 0), p(0, 100_000)]]];
    let read = split::union(&whole);
    let area = |s: &super::grid::IntShapes| g.polygons(s).iter().map(measure::polygon_area_m2).sum::<f64>();
    let (pieces_m2, snapped) = (area(&read), area(&whole));
    let tw = |s: &super::grid::IntShapes| split::twice_area(s);
    let u = Unit {
        id: "8".into(),
        key: "A".into(),
        geom: std::borrow::Cow::Owned(MultiPolygon(vec![])),
        bbox: None,
        area_m2: pieces_m2,
    };
    let noding = tw(&read) - tw(&whole);
    let plain = conservation("legal", "8", pieces_m2, snapped, pieces_m2, tw(&whole), tw(&read), noding);
    assert!(plain.geodesic_rel > 1e-6, "the crossed ring's own area is not the unit: {plain:?}");
    let c = checked("legal", &u, g, &whole, snapped, pieces_m2, tw(&read), noding);
    assert_eq!(c.planar_rel, 0.0);
    assert!(c.geodesic_rel < 1e-12, "{c:?}");
    // A missing piece still fails.
    let c = checked("legal", &u, g, &whole, snapped, pieces_m2 / 2.0, tw(&read) / 2, noding);
    assert!(c.planar_rel > 0.1 && c.geodesic_rel > 0.1, "{c:?}");
}

/// The issue-30 hole: a quadrilateral whose leftmost vertex V = (30, −2)
/// has both its edges going down, at −60° and −30°, as `(V, hole ring
/// counter-clockwise)`.
fn spiky_hole() -> LineString<f64> {
    let d = |deg: f64, r: f64| (30.0 + r * deg.to_radians().cos(), -2.0 + r * deg.to_radians().sin());
    LineString::from(vec![(30.0, -2.0), d(-60.0, 6.0), (38.0, -6.0), d(-30.0, 6.0), (30.0, -2.0)])
}

/// Issue 30: a control hole stored counter-clockwise (as GEOS and Shapely
/// often write holes) whose leftmost vertex snapping turns into a
/// zero-width spike was read as filled, so polygon A, which fills the hole
/// exactly, came out `contested_control A|B` (161,528 km² here) and the
/// owner's own hold was lost. The case, as the issue gives it: B is a
/// square 66° wide with a quadrilateral hole; A fills the hole; the legal
/// unit's top edge passes half a grid step (or three quarters) below the
/// hole's leftmost vertex V. It crosses V's steep edge within one grid
/// step of V, and V's other edge passes through that crossing's pixel, so
/// both edges leave V through one grid point. Both storage orders must give
/// `held_by_owner` for A.
#[test]
fn a_control_hole_is_a_hole_whichever_way_it_is_stored() {
    use geo::BooleanOps;
    let gbox = geo::Rect::new(Coord { x: 0.0, y: -33.0 }, Coord { x: 66.0, y: 33.0 });
    let g = Grid::for_rect(gbox);
    let hole_ccw = spiky_hole();
    let mut hole_cw = hole_ccw.clone();
    hole_cw.0.reverse();
    for frac in [0.5, 0.75] {
        let unit = rect(20.0, -10.0, 40.0, -2.0 - frac * g.step());
        // The case is the one described: snapped, V is a zero-width spike.
        let b = MultiPolygon(vec![Polygon::new(gbox.to_polygon().exterior().clone(), vec![hole_ccw.clone()])]);
        let (noded, _) = super::noding::node_all(&[&unit, &b], g);
        let h: Vec<_> = noded[1].0[0].interiors()[0].0.iter().map(|c| g.to_int(*c)).collect();
        let v = g.to_int(Coord { x: 30.0, y: -2.0 });
        let at = h.iter().position(|p| *p == v).unwrap();
        let n = h.len() - 1;
        assert_eq!(h[(at + 1) % n], h[(at + n - 1) % n], "V is not a spike once snapped: {h:?}");
        for (order, hole) in [("counter-clockwise", &hole_ccw), ("clockwise", &hole_cw)] {
            let b = Polygon::new(gbox.to_polygon().exterior().clone(), vec![hole.clone()]);
            let a = Polygon::new(hole.clone(), vec![]);
            let legal = layer(Role::Legal, vec![("L".into(), "A".into(), unit.clone())]);
            let control = layer(
                Role::Control,
                vec![
                    ("b".into(), "B".into(), MultiPolygon(vec![b])),
                    ("a".into(), "A".into(), MultiPolygon(vec![a.clone()])),
                ],
            );
            let r = gaps(&legal, &control, None, &GapsOptions { tolerance_m: Some(0.0), ..GapsOptions::default() })
                .unwrap_or_else(|e| panic!("{order} hole, {frac} step: {e}"));
            let area = |c: Class| r.gaps.iter().filter(|g| g.class == c).map(|g| g.area_m2).sum::<f64>();
            assert_eq!(area(Class::ContestedControl), 0.0, "{order} hole, {frac} step: hole read as filled");
            // A holds what of its hole lies in the unit (all but a sliver at V).
            let own_m2 = measure::multipolygon_area_m2(&MultiPolygon(vec![a]).intersection(&unit));
            let rel = (area(Class::HeldByOwner) - own_m2).abs() / own_m2;
            assert!(rel < 1e-8, "{order}, {frac} step: held_by_owner {} vs {own_m2} m²", area(Class::HeldByOwner));
            // The rest of the unit is B's: nothing lost, nothing doubled.
            let unit_m2 = measure::multipolygon_area_m2(&unit);
            let held_other = area(Class::HeldByOther);
            assert!(
                ((held_other + own_m2) - unit_m2).abs() / unit_m2 < 1e-8,
                "{order}, {frac}: {held_other} + {own_m2} vs {unit_m2}"
            );
        }
    }
}

/// A legal partition and a control layer of random stars with holes,
/// each ring stored either way round.
/// Four rings' radii (legal outer and hole, control outer and hole) and
/// whether each of six rings is stored reversed.
type RingStorage = (Vec<f64>, Vec<f64>, Vec<f64>, Vec<f64>, [bool; 6]);

fn ring_storage() -> impl Strategy<Value = RingStorage> {
    (radii(), radii(), radii(), radii(), prop::array::uniform6(prop::bool::ANY))
}

/// A counter-clockwise ring with a needle at its leftmost vertex V: the
/// ring runs from V + (0, w) out to a tip 0.005° west and back to V, so
/// that where `w` is under half a grid step, V and V + (0, w) snap to one
/// point and the tip becomes a zero-width spike.
fn needled(r: &LineString<f64>, w: f64) -> LineString<f64> {
    let mut pts: Vec<Coord<f64>> = r.0[..r.0.len() - 1].to_vec();
    let i = (0..pts.len()).min_by(|&a, &b| pts[a].x.total_cmp(&pts[b].x)).unwrap();
    let v = pts[i];
    pts.splice(i..=i, [Coord { x: v.x, y: v.y + w }, Coord { x: v.x - 0.005, y: v.y }, v]);
    pts.push(pts[0]);
    LineString::new(pts)
}

fn stored(r: &LineString<f64>, reverse: bool) -> LineString<f64> {
    let mut r = r.clone();
    if reverse {
        r.0.reverse();
    }
    r
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(24)
    ))]

    /// Issue 30: however each ring is stored (shell or hole, either way
    /// round), `gaps` gives the same pieces, classes and areas.
    #[test]
    fn any_ring_orientation_gives_the_same_classes_and_areas(
        (outer, hole, c1, c1h, flips) in ring_storage(),
        x1 in 45.02f64..45.18, y1 in 40.02f64..40.18,
        needle in 0.05f64..0.45,
    ) {
        let step = Grid::for_rect(geo::Rect::new(Coord { x: 44.95, y: 39.95 }, Coord { x: 45.25, y: 40.25 })).step();
        let run = |flips: [bool; 6]| {
            let s_ext = star(45.1, 40.1, &outer, 0.05);
            let s_hole = star(45.1, 40.1, &hole, 0.015);
            let frame = geo::Rect::new(Coord { x: 44.95, y: 39.95 }, Coord { x: 45.25, y: 40.25 }).to_polygon();
            let a = Polygon::new(stored(&s_ext, flips[0]), vec![stored(&s_hole, flips[1])]);
            let b = MultiPolygon(vec![
                Polygon::new(stored(frame.exterior(), flips[2]), vec![stored(&s_ext, flips[3])]),
                Polygon::new(stored(&s_hole, flips[4]), vec![]),
            ]);
            let legal = layer(Role::Legal, vec![("S".into(), "A".into(), MultiPolygon(vec![a])), ("F".into(), "B".into(), b)]);
            // A control star with a hole, the hole's leftmost vertex the tip
            // of a needle narrower than a grid step: its hole lets the
            // owner's own control show through.
            let c_hole = needled(&star(x1, y1, &c1h, 0.02), needle * step);
            let c = Polygon::new(star(x1, y1, &c1, 0.06), vec![stored(&c_hole, flips[5])]);
            let control = layer(Role::Control, vec![("c".into(), "B".into(), MultiPolygon(vec![c]))]);
            gaps(&legal, &control, None, &GapsOptions { tolerance_m: Some(0.0), ..GapsOptions::default() })
                .map(|r| {
                    let mut v: Vec<(String, f64)> = r.gaps.iter().map(|g| (format!("{:?} {:?} {:?}", g.class, g.legal_unit, g.controller), g.area_m2)).collect();
                    v.sort_by(|x, y| x.0.cmp(&y.0).then(x.1.total_cmp(&y.1)));
                    v
                })
                .map_err(|e| format!("{e}"))
        };
        let canonical = run([false; 6]).map_err(TestCaseError::fail)?;
        let other = run(flips).map_err(TestCaseError::fail)?;
        prop_assert_eq!(canonical.len(), other.len(), "{:?}", flips);
        for (x, y) in canonical.iter().zip(&other) {
            prop_assert_eq!(&x.0, &y.0);
            prop_assert!((x.1 - y.1).abs() <= 1e-9 * x.1.max(1.0), "{}: {} vs {}", x.0, x.1, y.1);
        }
    }
}

/// Issue 30: a piece cites the control polygons that cover it, not every
/// polygon of its controller whose box meets it. The ARM mainland (two
/// adjacent halves, 2019, source A) has a hole where an AZE exclave lies;
/// ARM's polygon over the exclave is dated 2024 from source B. The
/// exclave's piece cites only the 2024 polygon, and the mainland's piece
/// cites both halves (it spans them) and not the exclave's polygon.
#[test]
fn pieces_cite_the_control_polygons_that_cover_them() {
    let e = (45.05, 40.05, 45.06, 40.06);
    let with_hole = |x0: f64, x1: f64| {
        let outer = geo::Rect::new(Coord { x: x0, y: 40.0 }, Coord { x: x1, y: 40.2 }).to_polygon();
        let hole = geo::Rect::new(Coord { x: e.0, y: e.1 }, Coord { x: e.2, y: e.3 }).to_polygon();
        if x0 < e.0 && e.2 < x1 {
            MultiPolygon(vec![Polygon::new(outer.exterior().clone(), vec![hole.exterior().clone()])])
        } else {
            MultiPolygon(vec![outer])
        }
    };
    let legal = layer(
        Role::Legal,
        vec![
            ("ARM".into(), "ARM".into(), with_hole(45.0, 45.2)),
            ("AZE-ex".into(), "AZE".into(), rect(e.0, e.1, e.2, e.3)),
        ],
    );
    let mut control = layer(
        Role::Control,
        vec![
            ("west".into(), "ARM".into(), with_hole(45.0, 45.1)),
            ("east".into(), "ARM".into(), with_hole(45.1, 45.2)),
            ("exclave".into(), "ARM".into(), rect(e.0, e.1, e.2, e.3)),
        ],
    );
    for (f, (as_of, source)) in
        control.features.iter_mut().zip([("2019-01-01", "A"), ("2019-01-01", "A"), ("2024-06-01", "B")])
    {
        f.properties.insert("as_of".into(), as_of.into());
        f.properties.insert("source".into(), source.into());
    }
    let r = gaps(&legal, &control, None, &GapsOptions { tolerance_m: Some(0.0), ..GapsOptions::default() }).unwrap();
    let held: Vec<_> = r.gaps.iter().filter(|g| g.class == Class::HeldByOther).collect();
    assert_eq!(held.len(), 1, "{held:?}");
    assert_eq!(held[0].control_ids, vec!["exclave".to_string()]);
    assert_eq!(held[0].as_of.as_deref(), Some("2024-06-01"));
    assert_eq!(held[0].control_source.as_deref(), Some("B"));
    let own: Vec<_> = r.gaps.iter().filter(|g| g.class == Class::HeldByOwner).collect();
    assert_eq!(own.len(), 1, "{own:?}");
    assert_eq!(own[0].control_ids, vec!["west".to_string(), "east".to_string()]);
    assert_eq!(own[0].as_of.as_deref(), Some("2019-01-01"));
    assert_eq!(own[0].control_source.as_deref(), Some("A"));
    // The per-unit overlay that `village` uses cites the same.
    let ov =
        super::UnitOverlay::new(&legal, &control, &GapsOptions { tolerance_m: Some(0.0), ..GapsOptions::default() });
    let one = ov.pieces(1).unwrap();
    assert_eq!(one.len(), 1);
    assert_eq!(one[0].control_ids, vec!["exclave".to_string()]);
}

/// Issue 30: the precision of a unit's pieces does not depend on what else
/// is in the run. A strip 5 mm wide (4.5e-8°) of B's unit is held by A; a
/// legal unit at 100°E, with no control near it, widened the run's one grid
/// to a step of 6e-8° (6.6 mm), and the strip came out 0 m² or a whole
/// pixel row wide. With one grid per cluster of touching units the strip
/// is measured to its own grid, far unit or not.
#[test]
fn a_far_away_unit_leaves_the_precision_of_the_others_alone() {
    let d = 4.5e-8;
    let strip = measure::multipolygon_area_m2(&rect(45.1, 40.0, 45.1 + d, 40.1));
    let control = layer(
        Role::Control,
        vec![
            ("ca".into(), "A".into(), rect(45.0, 40.0, 45.1 + d, 40.1)),
            ("cb".into(), "B".into(), rect(45.1 + d, 40.0, 45.2, 40.1)),
        ],
    );
    let mut units = vec![
        ("a".to_string(), "A".to_string(), rect(45.0, 40.0, 45.1, 40.1)),
        ("b".to_string(), "B".to_string(), rect(45.1, 40.0, 45.2, 40.1)),
    ];
    let opts = GapsOptions { tolerance_m: Some(0.0), ..GapsOptions::default() };
    let held = |units: &[(String, String, MultiPolygon<f64>)]| -> Vec<(String, f64)> {
        let r = gaps(&layer(Role::Legal, units.to_vec()), &control, None, &opts).unwrap();
        let mut out: Vec<(String, f64)> = r
            .gaps
            .iter()
            .filter(|g| g.legal_unit.as_deref() != Some("far"))
            .map(|g| (format!("{} {}", g.class.as_str(), g.legal_unit.as_deref().unwrap_or("-")), g.area_m2))
            .collect();
        out.sort_by(|a, b| a.partial_cmp(b).unwrap());
        out
    };
    let near = held(&units);
    units.push(("far".into(), "C".into(), rect(99.9, 10.0, 100.0, 10.1)));
    let with_far = held(&units);
    let strip_of = |v: &[(String, f64)]| v.iter().filter(|(k, _)| k == "held_by_other b").map(|(_, a)| a).sum::<f64>();
    // Snapping moves each of the strip's long edges by at most half a step
    // of the region's own grid: its width by at most one step.
    let step =
        Grid::for_rect(super::clip::widen(geo::Rect::new(Coord { x: 45.0, y: 40.0 }, Coord { x: 45.2, y: 40.1 })))
            .step();
    assert!(step < d / 100.0, "the region's grid resolves the strip: step {step}°");
    for (what, v) in [("alone", &near), ("with a far unit", &with_far)] {
        let got = strip_of(v);
        assert!((got - strip).abs() <= strip * step / d, "{what}: strip {got} m², exact {strip} m²");
    }
    assert_eq!(near, with_far, "the far unit changed the other pieces");
}
