//! `delimit qgis`: every layer of a full run in one GeoPackage, each with
//! a default style in `layer_styles`, and a `.qgs` project that opens it
//! ready to read.
//!
//! The GeoPackage is written with GDAL; the styles table is added with
//! SQLite, with bound parameters only, in QGIS's own schema (the one
//! QGIS's OGR provider creates when it saves a style to a GeoPackage).

mod gpkg;
pub mod layout;
mod project;
pub mod style;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use geo::BoundingRect;

use crate::error::Result;
use crate::io::Kind;
use crate::job::{FullRun, Inputs};
use crate::layer::{Feature, Layer};
use crate::overlay::Class;
use style::{GREY, Label, Part, RAMP, Renderer, Rgba, Style, Symbol, okabe_ito as oi, party_colours, party_fill};

pub use project::{project_xml, relative_source};

/// Layer groups of the project, drawn top to bottom in this order.
pub const GROUPS: [&str; 6] = ["Places", "Corridor", "Lines", "Gaps", "Control", "Basis"];

/// One layer of the GeoPackage and the project.
#[derive(Debug, Clone)]
pub struct LayerSpec {
    /// Table name in the GeoPackage.
    pub name: String,
    /// Name shown in QGIS.
    pub title: String,
    /// One of [`GROUPS`].
    pub group: &'static str,
    /// What it says, for the layer's metadata.
    pub description: String,
    /// Geometry kind (declared even when the layer is empty).
    pub kind: Kind,
    /// The features.
    pub features: Vec<Feature>,
    /// Its default style.
    pub style: Style,
    /// Shown when the project opens (dense layers start hidden).
    pub visible: bool,
    /// Time-aware: each feature is shown from one date field to another,
    /// so that QGIS's temporal controller animates the layer.
    pub temporal: Option<Temporal>,
    /// How far this layer can be taken as fact: the least certain status of
    /// the inputs it is drawn from (the control layer says the control
    /// input's, not the run's), as its name in the project says.
    pub status: crate::layer::DataStatus,
}

/// A layer's temporal properties: QGIS's "start and end date from fields".
#[derive(Debug, Clone, PartialEq)]
pub struct Temporal {
    /// Field holding the date a feature appears (YYYY-MM-DD).
    pub start_field: String,
    /// Field holding the date it is gone.
    pub end_field: String,
    /// The first and last dates of the layer's series: the project's
    /// temporal range.
    pub range: (String, String),
}

impl LayerSpec {
    /// The layer's id in the project (QGIS replaces ids without an
    /// underscore, such as `gaps`, with generated ones on load).
    pub fn id(&self) -> String {
        format!("delimit_{}", self.name)
    }
}

/// Where a run came from (the one provenance type of every command).
pub use crate::provenance::RunProvenance as Provenance;

fn line(colour: Rgba, width_mm: f64, dashed: bool) -> Symbol {
    Symbol { kind: Kind::Line, parts: vec![Part::Line { colour, width_mm, dashed }] }
}

/// A line with a dark casing under it: a route in an owner's (pale) fill
/// colour would vanish over that owner's fill; the casing, in a colour no
/// fill uses, keeps it visible over any.
fn cased_line(colour: Rgba, width_mm: f64) -> Symbol {
    Symbol {
        kind: Kind::Line,
        parts: vec![
            Part::Line { colour: ROUTE_CASING, width_mm: width_mm + 1.0, dashed: false },
            Part::Line { colour, width_mm, dashed: false },
        ],
    }
}

/// The casing of route lines: near-black purple, used by no fill.
pub const ROUTE_CASING: Rgba = Rgba(40, 16, 60, 255);

fn marker(fill: Rgba, size_mm: f64, shape: &'static str) -> Symbol {
    Symbol { kind: Kind::Point, parts: vec![Part::Marker { fill, outline: Rgba(35, 35, 35, 255), size_mm, shape }] }
}

/// The gap classes in drawing order with their symbols; slivers are a
/// category of their own (a faint hatch) whatever their class.
pub fn gap_categories() -> Vec<(String, String, Symbol)> {
    let fill =
        |c: Rgba, a: u8, outline: Rgba| Part::Fill { fill: Some(c.alpha(a)), outline, outline_mm: 0.3, dashed: false };
    let hatch = |c: Rgba| Part::Hatch { colour: c, angle: 45.0, spacing_mm: 1.6, width_mm: 0.35 };
    let poly = |parts| Symbol { kind: Kind::Polygon, parts };
    vec![
        (
            Class::HeldByOther.as_str().into(),
            "held by another party".into(),
            poly(vec![fill(oi::VERMILLION, 150, oi::VERMILLION), hatch(Rgba(80, 30, 0, 255))]),
        ),
        (
            Class::ContestedControl.as_str().into(),
            "contested control".into(),
            poly(vec![fill(oi::REDDISH_PURPLE, 170, oi::REDDISH_PURPLE)]),
        ),
        (
            Class::DualClaim.as_str().into(),
            "claimed by two legal units".into(),
            poly(vec![fill(oi::ORANGE, 170, oi::ORANGE)]),
        ),
        (Class::Unassigned.as_str().into(), "in the basis, held by no one".into(), poly(vec![fill(GREY, 140, GREY)])),
        (
            Class::OutsideBasis.as_str().into(),
            "held, outside the basis".into(),
            poly(vec![fill(Rgba(210, 210, 210, 255), 160, GREY)]),
        ),
        (
            Class::HeldByOwner.as_str().into(),
            "held by the owner".into(),
            poly(vec![Part::Fill { fill: None, outline: Rgba(120, 120, 120, 160), outline_mm: 0.2, dashed: false }]),
        ),
        ("sliver".into(), "digitising sliver (any class)".into(), poly(vec![hatch(oi::VERMILLION.alpha(90))])),
    ]
}

/// The expression the gaps layer is categorised on.
pub const GAP_CATEGORY: &str = r#"CASE WHEN "sliver" = 1 THEN 'sliver' ELSE "class" END"#;

/// Offsets at which deviation symbols change, m.
pub const DEVIATION_BREAKS: [f64; 6] = [0.0, 100.0, 500.0, 1000.0, 2000.0, 1.0e9];

fn deviation_ranges(kind: Kind) -> Vec<(f64, f64, String, Symbol)> {
    DEVIATION_BREAKS
        .windows(2)
        .enumerate()
        .map(|(i, w)| {
            let label = if i + 2 == DEVIATION_BREAKS.len() {
                format!("over {} m", w[0])
            } else {
                format!("{}–{} m", w[0], w[1])
            };
            let s = match kind {
                Kind::Point => marker(RAMP[i], 1.0 + 0.5 * i as f64, "circle"),
                _ => line(RAMP[i], 0.5 + 0.5 * i as f64, false),
            };
            (w[0], w[1], label, s)
        })
        .collect()
}

fn party_renderer(attr: &str, colours: &[(String, Rgba)], symbol: impl Fn(Rgba) -> Symbol) -> Renderer {
    Renderer::Categorised {
        attr: attr.to_string(),
        categories: colours.iter().map(|(c, rgba)| (c.clone(), c.clone(), symbol(*rgba))).collect(),
    }
}

fn problems_style() -> Style {
    Style {
        renderer: Renderer::Categorised {
            attr: "severity".into(),
            categories: vec![
                ("error".into(), "error".into(), marker(oi::VERMILLION, 3.0, "triangle")),
                ("warning".into(), "warning".into(), marker(oi::YELLOW, 2.4, "diamond")),
            ],
        },
        label: None,
    }
}

fn gaps_style() -> Style {
    Style {
        renderer: Renderer::Categorised { attr: GAP_CATEGORY.into(), categories: gap_categories() },
        label: Some(Label {
            text: r#"CASE WHEN NOT "sliver" AND "class" IN ('held_by_other', 'contested_control') THEN format_number("area_km2", 2) || ' km²' END"#.into(),
            is_expression: true,
            size_pt: 8.0,
            max_scale: None,
            beside_point: false,
        }),
    }
}

fn changes_style(colours: &[(String, Rgba)]) -> Style {
    let mut renderer = party_renderer("controller_after", colours, party_fill);
    if let Renderer::Categorised { categories, .. } = &mut renderer {
        categories.push(("-".into(), "held by no one".into(), party_fill(GREY)));
    }
    Style { renderer, label: None }
}

/// Runs (lines, by their largest offset) or stations (points, by theirs).
fn deviation_style(kind: Kind) -> Style {
    let attr = if kind == Kind::Line { "max_offset_m" } else { "abs_offset_m" };
    Style { renderer: Renderer::Graduated { attr: attr.into(), ranges: deviation_ranges(kind) }, label: None }
}

fn progress_style() -> Style {
    Style {
        renderer: Renderer::Categorised {
            attr: "status".into(),
            categories: vec![
                ("delimited".into(), "delimited".into(), line(oi::BLUE, 1.6, false)),
                ("pending".into(), "pending".into(), line(GREY, 0.8, true)),
            ],
        },
        label: None,
    }
}

fn route_pieces_style(colours: &[(String, Rgba)]) -> Style {
    Style { renderer: party_renderer("owner", colours, |c| cased_line(c, 1.4)), label: None }
}

fn legal_lines_style() -> Style {
    Style { renderer: Renderer::Single(line(oi::BLACK, 0.4, false)), label: None }
}

/// The default style of a layer one analysis writes with `-o` (by the
/// layer's name there: gaps, changes, runs, stations, lines, progress,
/// problems, faces, corridor, route), for the `layer_styles` table of a
/// GeoPackage output. Party colours follow the parties the features name,
/// sorted, as in the project. `None` for a layer without a default style.
///
/// ```
/// let f = delimit::layer::Feature { id: "1".into(), index: 0, geometry: None,
///     properties: [("class".to_string(), serde_json::json!("held_by_other"))].into_iter().collect() };
/// let s = delimit::qgis::output_style("gaps", &[f]).unwrap();
/// assert!(s.qml().contains("held_by_other"));
/// assert!(delimit::qgis::output_style("unknown", &[]).is_none());
/// ```
pub fn output_style(layer: &str, features: &[Feature]) -> Option<Style> {
    let parties = |field: &str| {
        let codes: BTreeSet<String> = features.iter().filter_map(|f| f.text(field)).filter(|p| p != "-").collect();
        party_colours(codes)
    };
    Some(match layer {
        "gaps" => gaps_style(),
        "changes" => {
            let mut codes: BTreeSet<String> = BTreeSet::new();
            for f in features {
                codes.extend(["controller_before", "controller_after"].iter().filter_map(|k| f.text(k)));
            }
            codes.remove("-");
            changes_style(&party_colours(codes))
        }
        "runs" => deviation_style(Kind::Line),
        "stations" => deviation_style(Kind::Point),
        "lines" => legal_lines_style(),
        "progress" => progress_style(),
        "problems" => problems_style(),
        "faces" => Style { renderer: party_renderer("owner", &parties("owner"), party_fill), label: None },
        "corridor" | "route" => route_pieces_style(&parties("owner")),
        _ => return None,
    })
}

/// One colour per party for the whole run: every legal owner, controller
/// and party of the series, sorted, so that a party has the same colour on
/// the report's map, in its charts and in every QGIS layer, whichever of
/// them it appears in. Legends list only the parties each drawing shows.
///
/// ```
/// use delimit::job::{Inputs, Options, run};
/// let load = |n| delimit::sample::load(n, &Default::default()).unwrap();
/// let (legal, control, settlements) = (load("legal.geojson"), load("control.geojson"), load("settlements.geojson"));
/// let inputs = Inputs { legal: &legal, control: &control, settlements: &settlements, segments: None, admin1: None, routes: None };
/// let r = run(&inputs, &Options::default()).unwrap();
/// let c = delimit::qgis::run_colours(&inputs, &r, "owner", "controller");
/// let of = |p: &str| c.iter().find(|(k, _)| k == p).unwrap().1;
/// assert_ne!(of("ARM"), of("AZE"));
/// ```
pub fn run_colours(
    inputs: &Inputs<'_>,
    run: &FullRun,
    owner_field: &str,
    controller_field: &str,
) -> Vec<(String, Rgba)> {
    let parties: BTreeSet<String> = inputs
        .legal
        .features
        .iter()
        .filter_map(|f| f.text(owner_field))
        .chain(inputs.control.features.iter().filter_map(|f| f.text(controller_field)))
        .chain(run.changes.iter().flat_map(|r| {
            r.changes
                .iter()
                .flat_map(|c| [c.controller_before.clone(), c.controller_after.clone()])
                .chain(r.held.iter().flat_map(|h| [h.owner.clone(), h.party.clone()]))
        }))
        // A contested piece names two parties: each has its own colour.
        .flat_map(|p| p.split('|').map(str::to_string).collect::<Vec<_>>())
        .filter(|p| p != "-" && !p.is_empty())
        .collect();
    party_colours(parties)
}

/// Every layer of a full run, styled. `owner_field` and `controller_field`
/// name the parties in the input layers.
///
/// ```
/// use delimit::job::{Inputs, Options, run};
/// let load = |n| delimit::sample::load(n, &Default::default()).unwrap();
/// let (legal, control, settlements) = (load("legal.geojson"), load("control.geojson"), load("settlements.geojson"));
/// let inputs = Inputs { legal: &legal, control: &control, settlements: &settlements, segments: None, admin1: None, routes: None };
/// let r = run(&inputs, &Options::default()).unwrap();
/// let layers = delimit::qgis::layers(&inputs, &r, "owner", "controller", "name");
/// let gaps = layers.iter().find(|l| l.name == "gaps").unwrap();
/// assert_eq!(gaps.features.len(), r.gaps.gaps.len());
/// assert!(layers.iter().all(|l| delimit::qgis::GROUPS.contains(&l.group)));
/// ```
pub fn layers(
    inputs: &Inputs<'_>,
    run: &FullRun,
    owner_field: &str,
    controller_field: &str,
    name_field: &str,
) -> Vec<LayerSpec> {
    let colours = run_colours(inputs, run, owner_field, controller_field);
    // Which inputs each layer is drawn from, for its own status tag.
    let st = |l: Option<&Layer>| l.map(|l| l.provenance.status).unwrap_or_default();
    let (legal_st, control_st) = (st(Some(inputs.legal)), st(Some(inputs.control)));
    let status_of = |name: &str| match name {
        "legal" | "legal_problems" | "legal_lines" => legal_st,
        "control" | "control_problems" | "control_lines" => control_st,
        "progress" => legal_st.max(st(inputs.segments)),
        "route_pieces" | "route_crossings" | "route_clearances" => legal_st.max(control_st).max(st(inputs.routes)),
        "settlements" => st(Some(inputs.settlements)),
        // gaps, changes, deviations: both layers.
        _ => legal_st.max(control_st),
    };
    let mut out = Vec::new();
    let mut push = |name: &str,
                    title: &str,
                    group: &'static str,
                    description: &str,
                    kind: Kind,
                    features: Vec<Feature>,
                    style: Style| {
        // Stations are one point every --step metres: drawn at the project's
        // scale they hide the lines they measure, so they start hidden.
        let visible = name != "deviation_stations";
        out.push(LayerSpec {
            name: name.into(),
            title: title.into(),
            group,
            description: description.into(),
            kind,
            features,
            style,
            visible,
            temporal: None,
            status: status_of(name),
        });
    };
    let copy = |l: &Layer| -> Vec<Feature> { l.features.clone() };

    push(
        "legal",
        "Legal basis",
        "Basis",
        "Legal basis polygons, by owner, as read (reprojected to EPSG:4326).",
        Kind::Polygon,
        copy(inputs.legal),
        Style { renderer: party_renderer(owner_field, &colours, party_fill), label: None },
    );
    push(
        "legal_problems",
        "Legal basis: problems",
        "Basis",
        "What `delimit check` finds in the legal basis: invalid rings, overlaps, gaps between units.",
        Kind::Point,
        crate::export::problem_features(&run.legal_check),
        problems_style(),
    );
    push(
        "control",
        "De facto control",
        "Control",
        "De facto control polygons, by controller, with as_of and source.",
        Kind::Polygon,
        copy(inputs.control),
        Style {
            renderer: party_renderer(controller_field, &colours, |c| Symbol {
                kind: Kind::Polygon,
                parts: vec![Part::Fill { fill: None, outline: c, outline_mm: 0.6, dashed: true }],
            }),
            label: None,
        },
    );
    push(
        "control_problems",
        "De facto control: problems",
        "Control",
        "What `delimit check` finds in the control layer.",
        Kind::Point,
        crate::export::problem_features(&run.control_check),
        problems_style(),
    );
    if let Some(r) = &run.changes {
        push(
            "changes",
            "Changes of control",
            "Control",
            "Pieces of the legal basis whose controller changed between consecutive snapshots of the series, from from_date to to_date, with the owner, the controllers before and after, area, width, sliver, admin-1 units and settlements. Time-aware: QGIS's temporal controller shows each change from to_date (the first snapshot that shows it) until superseded_date (the next change over the same ground; open-ended when empty).",
            Kind::Polygon,
            crate::changes::features(r),
            changes_style(&colours),
        );
    }
    let all: Vec<&crate::overlay::Gap> = run.gaps.gaps.iter().collect();
    push(
        "gaps",
        "Gaps (legal owner × controller)",
        "Gaps",
        "Every overlay piece: held_by_other (the gaps), contested_control, dual_claim, unassigned, outside_basis and held_by_owner; slivers are flagged, never dropped.",
        Kind::Polygon,
        crate::export::gap_features(&all),
        gaps_style(),
    );
    push(
        "legal_lines",
        "Legal line (per owner pair)",
        "Lines",
        "The boundary each pair of owners shares in the legal basis.",
        Kind::Line,
        crate::export::pair_line_features(&run.legal_lines),
        legal_lines_style(),
    );
    push(
        "control_lines",
        "Line of control (per controller pair)",
        "Lines",
        "The boundary each pair of controllers shares in the control layer.",
        Kind::Line,
        crate::export::pair_line_features(&run.control_lines),
        Style { renderer: Renderer::Single(line(oi::VERMILLION, 0.6, true)), label: None },
    );
    push(
        "deviation_runs",
        "Deviation of the line of control",
        "Lines",
        "Stretches of the legal line where the line of control lies on one side within one band; width and colour grow with the largest offset.",
        Kind::Line,
        crate::export::run_features(&run.deviation),
        deviation_style(Kind::Line),
    );
    push(
        "deviation_stations",
        "Deviation stations",
        "Lines",
        "Stations along the legal line with the signed geodesic offset to the line of control.",
        Kind::Point,
        crate::export::station_features(&run.deviation),
        deviation_style(Kind::Point),
    );
    if let Some(p) = &run.progress {
        push(
            "progress",
            "Delimitation progress",
            "Lines",
            "The legal lines split into delimited and pending parts, per sector.",
            Kind::Line,
            crate::export::progress_features(p),
            progress_style(),
        );
    }
    if !run.routes.is_empty() {
        let f = crate::export::route_features(&run.routes);
        push(
            "route_pieces",
            "Routes by jurisdiction",
            "Corridor",
            "Each route split where it passes from one legal owner or controller to another.",
            Kind::Line,
            f.pieces,
            route_pieces_style(&colours),
        );
        push(
            "route_crossings",
            "Route border crossings",
            "Corridor",
            "Where a route passes from one legal owner to another.",
            Kind::Point,
            f.crossings,
            Style { renderer: Renderer::Single(marker(oi::BLACK, 2.6, "cross2")), label: None },
        );
        push(
            "route_clearances",
            "Route clearances",
            "Corridor",
            "From each route to the nearest point of each boundary a clearance rule names.",
            Kind::Line,
            f.clearances,
            Style { renderer: Renderer::Single(line(Rgba(90, 90, 90, 255), 0.3, true)), label: None },
        );
    }
    push(
        "settlements",
        "Settlements",
        "Places",
        "Settlements with their names as in the source (GeoNames for the sample).",
        Kind::Point,
        copy(inputs.settlements),
        Style {
            renderer: Renderer::Single(marker(Rgba(60, 60, 60, 255), 1.2, "circle")),
            // Names from 1:250,000 in: at the project's extent (about
            // 1:2,500,000) they would cover the map.
            label: Some(Label {
                text: name_field.to_string(),
                is_expression: false,
                size_pt: 7.0,
                max_scale: Some(250_000.0),
                beside_point: true,
            }),
        },
    );
    // Within a group the first layer is drawn on top: what is thin and
    // exact goes over what is wide and graded.
    const ORDER: [&str; 5] = ["progress", "control_lines", "legal_lines", "deviation_runs", "deviation_stations"];
    out.sort_by_key(|l| ORDER.iter().position(|n| *n == l.name).unwrap_or(0));
    // The changes layer is shown over its series' period.
    if let Some((first, last)) = run.changes.as_ref().and_then(|r| Some((r.dates.first()?, r.dates.last()?)))
        && let Some(spec) = out.iter_mut().find(|l| l.name == "changes")
    {
        // A change is shown from the first snapshot that shows it until the
        // next change over the same ground (open-ended where none comes):
        // not over the interval before it, when it had not happened yet.
        spec.temporal = Some(Temporal {
            start_field: "to_date".into(),
            end_field: "superseded_date".into(),
            range: (first.0.clone(), last.0.clone()),
        });
    }
    out
}

/// The extent of every layer, in lon/lat: [min lon, min lat, max lon, max lat].
pub fn extent(layers: &[LayerSpec]) -> Option<[f64; 4]> {
    let mut e: Option<[f64; 4]> = None;
    for f in layers.iter().flat_map(|l| &l.features) {
        let Some(r) = f.geometry.as_ref().and_then(|g| g.bounding_rect()) else {
            continue;
        };
        let (lo, hi) = (r.min(), r.max());
        e = Some(match e {
            None => [lo.x, lo.y, hi.x, hi.y],
            Some(x) => [x[0].min(lo.x), x[1].min(lo.y), x[2].max(hi.x), x[3].max(hi.y)],
        });
    }
    e
}

/// Where to write: the GeoPackage and the project (its data sources are
/// relative to the project's folder).
#[derive(Debug, Clone)]
pub struct Targets {
    /// The GeoPackage.
    pub gpkg: PathBuf,
    /// The `.qgs` project.
    pub project: PathBuf,
    /// Replace existing files.
    pub force: bool,
}

impl Targets {
    /// `delimit.gpkg` and `delimit.qgs` in `dir`, which [`write`] creates
    /// if it is not there (and removes again if the write fails).
    pub fn in_folder(dir: &std::path::Path, force: bool) -> Targets {
        Targets { gpkg: dir.join("delimit.gpkg"), project: dir.join("delimit.qgs"), force }
    }

    /// Check both targets before any work (see [`crate::io::Output::prepare`]);
    /// a folder that does not exist yet holds nothing to check.
    pub fn preflight(&self, inputs: &[&Path]) -> Result<()> {
        for t in [&self.gpkg, &self.project] {
            let folder = t.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
            if folder.exists() {
                crate::io::Output::prepare(t, self.force, inputs)?;
            }
        }
        Ok(())
    }
}

/// The project's CRS: UTM zone 38N, whose central meridian (45°E) runs
/// through the South Caucasus.
pub const PROJECT_CRS: &str = "EPSG:32638";

/// Write the GeoPackage (layers, styles, provenance) and the project, each
/// atomically. `inputs` are never overwritten.
pub fn write(targets: &Targets, layers: &[LayerSpec], provenance: &Provenance, inputs: &[&Path]) -> Result<()> {
    let folders: Vec<crate::io::CreatedFolder> = [&targets.gpkg, &targets.project]
        .iter()
        .filter_map(|t| t.parent().filter(|p| !p.as_os_str().is_empty()))
        .map(crate::io::CreatedFolder::ensure)
        .collect::<Result<_>>()?;
    let gpkg_out = crate::io::Output::prepare(&targets.gpkg, targets.force, inputs)?;
    let project_out = crate::io::Output::prepare(&targets.project, targets.force, inputs)?;
    let relative = project::relative_source(&targets.gpkg, &targets.project);
    let xml = project_xml(layers, provenance, &relative, PROJECT_CRS)?;
    gpkg_out.commit(|tmp| gpkg::write(tmp, layers, provenance))?;
    project_out.commit(|tmp| {
        std::fs::write(tmp, xml.as_bytes())
            .map_err(|source| crate::Error::Write { path: targets.project.clone(), source })
    })?;
    folders.into_iter().for_each(crate::io::CreatedFolder::keep);
    Ok(())
}
