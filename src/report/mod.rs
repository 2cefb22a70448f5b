//! `delimit report`: one self-contained document (HTML, or Markdown) for
//! readers who will never open QGIS: a map, the gaps, the exclaves, the
//! progress of delimitation, the corridor verdicts and the provenance.
//!
//! The HTML has no scripts, no external fonts and no network references;
//! every string from the data is escaped. Without a date it is
//! byte-deterministic.

mod blocks;
mod exclaves;
mod map;
pub mod svg;

pub use blocks::Format;
use blocks::{CSS, heading, km2, para, table};
pub use exclaves::{Exclave, Fields, exclaves};
use map::{map, numbered_gaps};

use std::fmt::Write;

use crate::error::Result;
use crate::job::{FullRun, Inputs};
use crate::markup::escape;
use crate::overlay::Class;
use crate::qgis::Provenance;

/// The CRS the map is drawn in.
pub const MAP_CRS: &str = crate::qgis::PROJECT_CRS;

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
