//! `delimit report`: one self-contained document (HTML, or Markdown) for
//! readers who will never open QGIS: a map, the gaps, the exclaves, the
//! progress of delimitation, the corridor verdicts and the provenance.
//!
//! The HTML has no scripts, no external fonts and no network references;
//! every string from the data is escaped. Without a date it is
//! byte-deterministic.

pub mod svg;

use std::collections::BTreeMap;
use std::fmt::Write;

use geo::{BoundingRect, Centroid, Coord};

use crate::error::Result;
use crate::job::{FullRun, Inputs};
use crate::layer::Layer;
use crate::markup::escape;
use crate::overlay::Class;
use crate::qgis::Provenance;
use crate::qgis::style::{GREY, okabe_ito as oi, party_colours};

/// The CRS the map is drawn in.
pub const MAP_CRS: &str = crate::qgis::PROJECT_CRS;

/// Field names the report reads from the input layers.
#[derive(Debug, Clone)]
pub struct Fields {
    /// Owner, in the legal basis.
    pub owner: String,
    /// Controller, in the control layer.
    pub controller: String,
    /// Name, in the legal basis and the settlements.
    pub name: String,
}

impl Default for Fields {
    fn default() -> Self {
        Fields { owner: "owner".into(), controller: "controller".into(), name: "name".into() }
    }
}

/// A legal unit that is not its owner's largest: separated from the rest
/// of its owner's territory.
#[derive(Debug, Clone, PartialEq)]
pub struct Exclave {
    /// Legal unit id.
    pub unit: String,
    /// Its name, if the layer has one.
    pub name: Option<String>,
    /// Owner.
    pub owner: String,
    /// Geodesic area, km².
    pub km2: f64,
    /// Area by controller ("-" for none), km², from the overlay pieces.
    pub held_by: BTreeMap<String, f64>,
}

/// Every legal unit that is not the largest of its owner's units.
///
/// ```
/// use delimit::job::{Inputs, Options, run};
/// let load = |n| delimit::sample::load(n, &Default::default()).unwrap();
/// let (legal, control, settlements) = (load("legal.geojson"), load("control.geojson"), load("settlements.geojson"));
/// let inputs = Inputs { legal: &legal, control: &control, settlements: &settlements, segments: None, admin1: None, routes: None };
/// let r = run(&inputs, &Options::default()).unwrap();
/// let ex = delimit::report::exclaves(&legal, &r, &Default::default());
/// assert!(ex.iter().any(|e| e.unit == "AZE-nakhchivan"));
/// assert!(ex.iter().all(|e| e.unit != "ARM-mainland"));
/// ```
pub fn exclaves(legal: &Layer, run: &FullRun, fields: &Fields) -> Vec<Exclave> {
    let mut by_owner: BTreeMap<String, Vec<(usize, f64)>> = BTreeMap::new();
    for (i, f) in legal.features.iter().enumerate() {
        let (Some(owner), Some(m)) = (f.text(&fields.owner), f.polygons()) else {
            continue;
        };
        by_owner.entry(owner).or_default().push((i, crate::measure::multipolygon_area_m2(&m)));
    }
    let mut out = Vec::new();
    for (owner, units) in by_owner {
        let Some(&(main, _)) = units.iter().max_by(|a, b| a.1.total_cmp(&b.1)) else {
            continue;
        };
        for &(i, area) in units.iter().filter(|(i, _)| *i != main) {
            let f = &legal.features[i];
            let mut held_by: BTreeMap<String, f64> = BTreeMap::new();
            for g in run.gaps.gaps.iter().filter(|g| g.legal_unit.as_deref() == Some(f.id.as_str())) {
                *held_by.entry(g.controller.clone().unwrap_or_else(|| "-".into())).or_default() += g.area_m2 / 1e6;
            }
            out.push(Exclave {
                unit: f.id.clone(),
                name: f.text(&fields.name),
                owner: owner.clone(),
                km2: area / 1e6,
                held_by,
            });
        }
    }
    out
}

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// A self-contained HTML page with an inline SVG map.
    Html,
    /// Markdown tables (no map).
    Markdown,
}

const CSS: &str = "
body{font-family:system-ui,-apple-system,'Segoe UI','DejaVu Sans',sans-serif;max-width:980px;margin:2em auto;padding:0 1em;color:#1a1a1a;line-height:1.45}
h1{font-size:1.6em;margin-bottom:.2em}h2{font-size:1.25em;margin-top:1.8em;border-bottom:1px solid #ccc;padding-bottom:.2em}
table{border-collapse:collapse;width:100%;margin:.6em 0;font-size:.92em}th,td{border:1px solid #bbb;padding:.25em .5em;text-align:left;vertical-align:top;overflow-wrap:anywhere}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}thead th{background:#eee}
.note{color:#555;font-size:.9em}figure{margin:1em 0}figcaption{font-size:.9em;color:#444}
svg{width:100%;height:auto;border:1px solid #bbb;background:#fbfbf8}code{font-size:.9em;word-break:break-all}
@media print{body{max-width:none;margin:0}h2{break-after:avoid}table,figure{break-inside:avoid}a{color:inherit;text-decoration:none}}
";

fn km2(x: f64) -> String {
    format!("{x:.3}")
}

/// A table: header cells (a trailing `#` marks a numeric column) and rows.
fn table(out: &mut String, fmt: Format, head: &[&str], rows: &[Vec<String>]) {
    let numeric: Vec<bool> = head.iter().map(|h| h.ends_with('#')).collect();
    let names: Vec<&str> = head.iter().map(|h| h.trim_end_matches('#')).collect();
    match fmt {
        Format::Html => {
            out.push_str("<table><thead><tr>");
            for (h, n) in names.iter().zip(&numeric) {
                let _ = write!(out, "<th{}>{}</th>", if *n { " class=\"n\"" } else { "" }, escape(h));
            }
            out.push_str("</tr></thead><tbody>\n");
            for r in rows {
                out.push_str("<tr>");
                for (c, n) in r.iter().zip(&numeric) {
                    let _ = write!(out, "<td{}>{}</td>", if *n { " class=\"n\"" } else { "" }, escape(c));
                }
                out.push_str("</tr>\n");
            }
            out.push_str("</tbody></table>\n");
        }
        Format::Markdown => {
            let cell = |s: &str| s.replace('|', "\\|").replace('\n', " ");
            let _ = writeln!(out, "| {} |", names.iter().map(|h| cell(h)).collect::<Vec<_>>().join(" | "));
            let _ = writeln!(
                out,
                "|{}|",
                numeric.iter().map(|n| if *n { "---:" } else { "---" }).collect::<Vec<_>>().join("|")
            );
            for r in rows {
                let _ = writeln!(out, "| {} |", r.iter().map(|c| cell(c)).collect::<Vec<_>>().join(" | "));
            }
            out.push('\n');
        }
    }
}

fn heading(out: &mut String, fmt: Format, id: &str, text: &str) {
    match fmt {
        Format::Html => {
            let _ = writeln!(out, "<h2 id=\"{id}\">{}</h2>", escape(text));
        }
        Format::Markdown => {
            let _ = writeln!(out, "## {text}\n");
        }
    }
}

fn para(out: &mut String, fmt: Format, text: &str) {
    match fmt {
        Format::Html => {
            let _ = writeln!(out, "<p class=\"note\">{}</p>", escape(text));
        }
        Format::Markdown => {
            let _ = writeln!(out, "{text}\n");
        }
    }
}

/// The real (non-sliver) held_by_other pieces, largest first, numbered
/// as on the map.
fn numbered_gaps(run: &FullRun) -> Vec<&crate::overlay::Gap> {
    let mut v: Vec<&crate::overlay::Gap> =
        run.gaps.gaps.iter().filter(|g| g.class == Class::HeldByOther && !g.sliver).collect();
    v.sort_by(|a, b| b.area_m2.total_cmp(&a.area_m2).then_with(|| a.id.cmp(&b.id)));
    v
}

fn map(inputs: &Inputs<'_>, run: &FullRun, fields: &Fields, exclaves: &[Exclave]) -> Result<String> {
    use svg::{fill, stroke};
    let bbox =
        inputs.legal.bbox().map(|r| [r.min().x, r.min().y, r.max().x, r.max().y]).unwrap_or([43.0, 38.0, 51.0, 42.0]);
    let frame = svg::Frame::new(bbox, MAP_CRS)?;
    let tol = 0.6;
    let parties: Vec<String> = inputs.legal.features.iter().filter_map(|f| f.text(&fields.owner)).collect();
    let colours = party_colours(parties);
    let colour_of = |k: &str| colours.iter().find(|(c, _)| c == k).map_or(GREY, |(_, c)| *c);
    let mut out = String::new();
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {} {}" role="img" aria-label="Map of the legal basis, the control boundary and the gaps" font-family="system-ui,'DejaVu Sans',sans-serif">"#,
        svg::WIDTH,
        frame.height()
    );
    out.push_str(r##"<defs><pattern id="hatch" patternUnits="userSpaceOnUse" width="5" height="5" patternTransform="rotate(45)"><rect width="5" height="5" fill="#d55e00" fill-opacity="0.55"/><line x1="0" y1="0" x2="0" y2="5" stroke="#5a2100" stroke-width="1.6"/></pattern></defs>"##);
    out.push('\n');
    for f in &inputs.legal.features {
        let (Some(owner), Some(m)) = (f.text(&fields.owner), f.polygons()) else {
            continue;
        };
        let c = colour_of(&owner);
        let _ = writeln!(
            out,
            r#"<path class="legal" d="{}" {} {} stroke-width="0.6" fill-rule="evenodd"/>"#,
            frame.polygons(&m, tol)?,
            fill(c.alpha(90)),
            stroke(c)
        );
    }
    for l in &run.legal_lines {
        let _ = writeln!(
            out,
            r##"<path class="legal-line" d="{}" fill="none" stroke="#111" stroke-width="1.2"/>"##,
            frame.path(&l.line.0, false, tol)?
        );
    }
    for l in &run.control_lines {
        let _ = writeln!(
            out,
            r#"<path class="control-line" d="{}" fill="none" {} stroke-width="1.3" stroke-dasharray="5 3"/>"#,
            frame.path(&l.line.0, false, tol)?,
            stroke(oi::VERMILLION)
        );
    }
    if let Some(p) = &run.progress {
        for part in p.parts.iter().filter(|x| x.status == "delimited") {
            let _ = writeln!(
                out,
                r#"<path class="delimited" d="{}" fill="none" {} stroke-width="4"/>"#,
                frame.path([&part.geometry], false, tol)?,
                stroke(oi::BLUE)
            );
        }
    }
    for r in &run.routes {
        for piece in &r.pieces {
            let c = colour_of(piece.owner.as_deref().unwrap_or("-"));
            let _ = writeln!(
                out,
                r#"<path class="route" d="{}" fill="none" {} stroke-width="3"/>"#,
                frame.path([&piece.geometry], false, tol)?,
                stroke(c)
            );
        }
    }
    // Gaps: drawn unsimplified, and ringed so that a piece a few hundred
    // metres across still shows at the scale of the region.
    for g in run.gaps.gaps.iter().filter(|g| g.class == Class::HeldByOther || g.class == Class::ContestedControl) {
        let m = geo::MultiPolygon(vec![g.geometry.clone()]);
        let style = if g.class == Class::ContestedControl {
            fill(oi::REDDISH_PURPLE.alpha(200))
        } else {
            r#"fill="url(#hatch)""#.to_string()
        };
        let _ = writeln!(
            out,
            r#"<path class="gap" d="{}" {style} {} stroke-width="0.8" fill-rule="evenodd"/>"#,
            frame.polygons(&m, 0.0)?,
            stroke(oi::VERMILLION)
        );
    }
    for (i, g) in numbered_gaps(run).iter().enumerate() {
        let Some(c) = g.geometry.centroid() else {
            continue;
        };
        let p = frame.point(c.0)?;
        let _ = writeln!(
            out,
            r##"<g class="gap-marker"><circle cx="{:.1}" cy="{:.1}" r="9" fill="none" stroke="#d55e00" stroke-width="2"/><text x="{:.1}" y="{:.1}" font-size="11" font-weight="bold" fill="#5a2100">{}</text></g>"##,
            p.x,
            p.y,
            p.x + 10.0,
            p.y - 8.0,
            i + 1
        );
    }
    for e in exclaves {
        let Some(f) = inputs.legal.features.iter().find(|f| f.id == e.unit) else {
            continue;
        };
        let Some(r) = f.polygons().and_then(|m| m.bounding_rect()) else {
            continue;
        };
        let p = frame.point(Coord { x: (r.min().x + r.max().x) / 2.0, y: r.max().y })?;
        let label = e.name.clone().unwrap_or_else(|| e.unit.clone());
        let _ = writeln!(
            out,
            r##"<text class="exclave" x="{:.1}" y="{:.1}" font-size="11" font-style="italic" text-anchor="middle" stroke="#fff" stroke-width="3" paint-order="stroke" fill="#222">{}</text>"##,
            p.x,
            p.y - 4.0,
            escape(&format!("{label} (exclave of {})", e.owner))
        );
    }
    let mut rows: Vec<(String, String)> = colours
        .iter()
        .map(|(k, c)| {
            (
                format!(r#"<rect width="22" height="12" {} {}/>"#, fill(c.alpha(90)), stroke(*c)),
                format!("legal basis: {k}"),
            )
        })
        .collect();
    rows.push((
        r##"<line x1="0" y1="6" x2="22" y2="6" stroke="#111" stroke-width="1.5"/>"##.into(),
        "legal line".into(),
    ));
    rows.push((
        format!(
            r#"<line x1="0" y1="6" x2="22" y2="6" {} stroke-width="1.5" stroke-dasharray="5 3"/>"#,
            stroke(oi::VERMILLION)
        ),
        "line of control".into(),
    ));
    rows.push((r#"<rect width="22" height="12" fill="url(#hatch)"/>"#.into(), "held by another party (gap)".into()));
    rows.push((
        format!(r#"<rect width="22" height="12" {}/>"#, fill(oi::REDDISH_PURPLE.alpha(200))),
        "contested control".into(),
    ));
    if run.progress.is_some() {
        rows.push((
            format!(r#"<line x1="0" y1="6" x2="22" y2="6" {} stroke-width="4"/>"#, stroke(oi::BLUE)),
            "delimited segment".into(),
        ));
    }
    if !run.routes.is_empty() {
        rows.push((
            format!(r#"<line x1="0" y1="6" x2="22" y2="6" {} stroke-width="3"/>"#, stroke(GREY)),
            "route option, coloured by legal owner".into(),
        ));
    }
    svg::legend(&mut out, &frame, &rows);
    svg::furniture(&mut out, &frame);
    out.push_str("</svg>\n");
    Ok(out)
}

fn fmt_opt(x: Option<f64>, places: usize) -> String {
    x.map_or("-".into(), |v| format!("{v:.places$}"))
}

/// Write the report.
///
/// ```
/// use delimit::job::{Inputs, Options, run};
/// use delimit::report::{render, Format};
/// let load = |n| delimit::sample::load(n, &Default::default()).unwrap();
/// let (legal, control, settlements) = (load("legal.geojson"), load("control.geojson"), load("settlements.geojson"));
/// let inputs = Inputs { legal: &legal, control: &control, settlements: &settlements, segments: None, admin1: None, routes: None };
/// let r = run(&inputs, &Options::default()).unwrap();
/// let p = delimit::qgis::Provenance { inputs: vec![legal.provenance.clone()], parameters: serde_json::json!({}), tool: "delimit".into(), date: None };
/// let md = render(&inputs, &r, &p, &Default::default(), Format::Markdown).unwrap();
/// assert!(md.contains("## Gaps"));
/// ```
pub fn render(
    inputs: &Inputs<'_>,
    run: &FullRun,
    provenance: &Provenance,
    fields: &Fields,
    fmt: Format,
) -> Result<String> {
    let mut out = String::new();
    let title = "delimit report: legal basis and de facto control";
    let ex = exclaves(inputs.legal, run, fields);
    match fmt {
        Format::Html => {
            let _ = write!(
                out,
                "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<h1>{}</h1>\n",
                escape(title),
                escape(title)
            );
        }
        Format::Markdown => {
            let _ = writeln!(out, "# {title}\n");
        }
    }
    para(
        &mut out,
        fmt,
        "Geometry and provenance only: every area is geodesic on the WGS 84 ellipsoid, every input is named with its sha256. \
         The report takes no side; names are as the inputs give them.",
    );
    if fmt == Format::Html {
        out.push_str("<figure>\n");
        out.push_str(&map(inputs, run, fields, &ex)?);
        let _ = writeln!(
            out,
            "<figcaption>Map in {} (UTM zone 38N); scale bar true near 45°E, arrow points to grid north. Numbers mark the gaps in the table below. Drawn simplified to about a pixel; the figures are not.</figcaption>\n</figure>",
            MAP_CRS
        );
    }

    heading(&mut out, fmt, "gaps", "Gaps: legally of one party, held by another");
    para(
        &mut out,
        fmt,
        &format!(
            "Pieces narrower than {} m ({}) are digitising slivers and are counted apart, never dropped.",
            run.gaps.tolerance_m, run.gaps.tolerance_from
        ),
    );
    let rows: Vec<Vec<String>> = run
        .gaps
        .summary()
        .iter()
        .filter(|r| r.class != Class::HeldByOwner)
        .map(|r| {
            vec![
                r.owner.clone(),
                r.controller.clone(),
                r.class.as_str().into(),
                r.features.to_string(),
                km2(r.km2),
                r.sliver_features.to_string(),
                km2(r.sliver_km2),
            ]
        })
        .collect();
    table(&mut out, fmt, &["owner", "controller", "class", "gaps#", "km²#", "slivers#", "sliver km²#"], &rows);
    let rows: Vec<Vec<String>> = numbered_gaps(run)
        .iter()
        .enumerate()
        .map(|(i, g)| {
            vec![
                (i + 1).to_string(),
                g.legal_unit.clone().unwrap_or_default(),
                g.owner.clone().unwrap_or_default(),
                g.controller.clone().unwrap_or_default(),
                km2(g.area_m2 / 1e6),
                fmt_opt(g.depth_m, 0),
                format!("{:.0}", g.width_m),
                g.settlements.join("; "),
                g.as_of.clone().unwrap_or_default(),
            ]
        })
        .collect();
    if rows.is_empty() {
        para(&mut out, fmt, "No piece wider than the tolerance is held by another party.");
    } else {
        table(
            &mut out,
            fmt,
            &["no.#", "legal unit", "owner", "held by", "km²#", "depth m#", "width m#", "settlements", "as of"],
            &rows,
        );
    }

    heading(&mut out, fmt, "exclaves", "Exclaves");
    if ex.is_empty() {
        para(&mut out, fmt, "No owner has more than one legal unit.");
    } else {
        let rows: Vec<Vec<String>> = ex
            .iter()
            .map(|e| {
                let held: Vec<String> = e.held_by.iter().map(|(c, a)| format!("{c} {a:.3} km²")).collect();
                vec![
                    e.name.clone().unwrap_or_else(|| e.unit.clone()),
                    e.unit.clone(),
                    e.owner.clone(),
                    km2(e.km2),
                    held.join(", "),
                ]
            })
            .collect();
        para(&mut out, fmt, "Legal units apart from the largest unit of their owner, with who holds them by area.");
        table(&mut out, fmt, &["name", "unit", "owner", "km²#", "held by"], &rows);
    }

    heading(&mut out, fmt, "progress", "Delimitation progress");
    match &run.progress {
        None => para(&mut out, fmt, "No delimited segments were given."),
        Some(p) => {
            let rows: Vec<Vec<String>> = p
                .sectors
                .iter()
                .filter(|s| s.sector == "all" || s.delimited_km > 0.0)
                .map(|s| {
                    vec![
                        s.pair.clone(),
                        s.sector.clone(),
                        format!("{:.3}", s.length_km),
                        format!("{:.3}", s.delimited_km),
                        format!("{:.3}", s.remaining_km),
                        format!("{:.3}", s.percent_delimited),
                    ]
                })
                .collect();
            table(&mut out, fmt, &["pair", "sector", "length km#", "delimited km#", "remaining km#", "%#"], &rows);
            if !p.problems.is_empty() {
                let rows: Vec<Vec<String>> = p
                    .problems
                    .iter()
                    .map(|s| {
                        vec![
                            s.segment.clone(),
                            format!("{:.0}", s.distance_m),
                            s.nearest_pair.clone().unwrap_or_default(),
                        ]
                    })
                    .collect();
                para(&mut out, fmt, "Segments far from every legal line (not counted):");
                table(&mut out, fmt, &["segment", "distance m#", "nearest pair"], &rows);
            }
        }
    }

    heading(&mut out, fmt, "corridor", "Corridor options");
    if run.routes.is_empty() {
        para(&mut out, fmt, "No routes were given.");
    }
    for r in &run.routes {
        let by: Vec<String> = r.by_jurisdiction_m.iter().map(|(k, m)| format!("{k} {:.3} km", m / 1e3)).collect();
        para(
            &mut out,
            fmt,
            &format!(
                "{} ({}): {:.3} km; legally|held: {}",
                r.name,
                r.kind.as_deref().unwrap_or("route"),
                r.length_m / 1e3,
                by.join(", ")
            ),
        );
        let rows: Vec<Vec<String>> = r
            .verdicts
            .iter()
            .map(|v| {
                vec![
                    v.rule.clone(),
                    v.status.to_string(),
                    fmt_opt(v.measured, 3),
                    fmt_opt(v.limit, 3),
                    v.detail.clone(),
                ]
            })
            .collect();
        if !rows.is_empty() {
            table(&mut out, fmt, &["rule", "verdict", "measured#", "limit#", "detail"], &rows);
        }
    }

    heading(&mut out, fmt, "provenance", "Provenance");
    let rows: Vec<Vec<String>> = provenance
        .inputs
        .iter()
        .map(|p| {
            let op = p.crs_line();
            vec![p.path.clone(), p.layer.clone(), p.sha256.clone(), op]
        })
        .collect();
    table(&mut out, fmt, &["input", "layer", "sha256", "CRS operation"], &rows);
    let mut meta = vec![
        vec!["tool".to_string(), provenance.tool.clone()],
        vec!["parameters".into(), provenance.parameters.to_string()],
    ];
    meta.push(vec!["map CRS".into(), MAP_CRS.into()]);
    if let Some(d) = &provenance.date {
        meta.push(vec!["date".into(), d.clone()]);
    }
    table(&mut out, fmt, &["", ""], &meta);
    if fmt == Format::Html {
        out.push_str("</body>\n</html>\n");
    }
    Ok(out)
}
