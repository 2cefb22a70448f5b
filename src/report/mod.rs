//! `delimit report`: one self-contained document (HTML, or Markdown) for
//! readers who will never open QGIS: a map, the gaps, the exclaves, the
//! progress of delimitation, the corridor verdicts and the provenance.
//!
//! The HTML has no scripts, no external fonts and no network references;
//! every string from the data is escaped. Without a date it is
//! byte-deterministic.

mod blocks;
mod charts;
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

/// What the reader's organisation puts on every document: a title, an
/// author and a classification marking (the date is the provenance's).
#[derive(Debug, Clone, Default)]
pub struct Header {
    /// Replaces the default title.
    pub title: Option<String>,
    /// Who prepared the report.
    pub author: Option<String>,
    /// A marking printed at the top and the bottom, as given (e.g. `OFFICIAL`).
    pub classification: Option<String>,
}

/// Write the report (with no header options).
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
    render_with(inputs, run, provenance, fields, fmt, &Header::default())
}

/// Write the report with a title, author and classification in its
/// header and footer.
pub fn render_with(
    inputs: &Inputs<'_>,
    run: &FullRun,
    provenance: &Provenance,
    fields: &Fields,
    fmt: Format,
    header: &Header,
) -> Result<String> {
    let mut out = String::new();
    let title = header.title.as_deref().unwrap_or("delimit report: legal basis and de facto control");
    // Who, when, how marked: under the title and again at the end.
    let byline: Vec<String> = [
        header.author.as_ref().map(|a| format!("Prepared by {a}")),
        provenance.date.as_ref().map(|d| format!("Date: {d}")),
        Some(provenance.tool.clone()),
    ]
    .into_iter()
    .flatten()
    .collect();
    let byline = byline.join(" · ");
    let ex = exclaves(inputs.legal, run, fields);
    // One colour per party on the map and in the charts (and in QGIS).
    let colours = crate::qgis::run_colours(inputs, run, &fields.owner, &fields.controller);
    match fmt {
        Format::Html => {
            let _ = write!(
                out,
                "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{}</title>\n<style>{CSS}{}</style>\n</head>\n<body>\n",
                escape(title),
                page_marks(header.classification.as_deref(), provenance)
            );
            if let Some(c) = &header.classification {
                let _ = writeln!(out, "<p class=\"marking\">{}</p>", escape(c));
            }
            let _ = writeln!(out, "<h1>{}</h1>\n<p class=\"byline\">{}</p>", escape(title), escape(&byline));
        }
        Format::Markdown => {
            if let Some(c) = &header.classification {
                let _ = writeln!(out, "**{}**\n", crate::markup::escape_markdown(c));
            }
            let _ = writeln!(
                out,
                "# {}\n\n{}\n",
                crate::markup::escape_markdown(title),
                crate::markup::escape_markdown(&byline)
            );
        }
    }
    // Data that is not observed says so before anything else.
    let caveats = provenance.caveats();
    if !caveats.is_empty() {
        let status = provenance.status().label();
        match fmt {
            Format::Html => {
                let _ = write!(
                    out,
                    "<div class=\"banner\" role=\"note\"><strong>{status} DATA: not a statement of fact.</strong><ul>"
                );
                for c in &caveats {
                    let _ = write!(out, "<li>{}</li>", escape(c));
                }
                out.push_str("</ul></div>\n");
            }
            Format::Markdown => {
                let _ = writeln!(out, "> **{status} DATA: not a statement of fact.**\n>");
                for c in &caveats {
                    let _ = writeln!(out, "> - {}", crate::markup::escape_markdown(c));
                }
                out.push('\n');
            }
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
        out.push_str(&map(inputs, run, fields, &ex, &colours)?);
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

    if let Some(c) = &run.changes {
        changes_section(&mut out, fmt, c, &colours);
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
                "{} ({}): {:.3} km; by legal owner | holder: {}",
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
                    v.with_unit(v.measured),
                    if v.limit.is_none() { "none stated".into() } else { v.with_unit(v.limit) },
                    v.detail.clone(),
                ]
            })
            .collect();
        if !rows.is_empty() {
            table(&mut out, fmt, &["rule", "verdict", "measured#", "limit#", "detail"], &rows);
        }
    }

    heading(&mut out, fmt, "provenance", "Provenance");
    let role_of = |p: &crate::layer::Provenance| {
        let layers = [
            ("legal basis", Some(inputs.legal)),
            ("control", Some(inputs.control)),
            ("settlements", Some(inputs.settlements)),
            ("segments", inputs.segments),
            ("admin-1", inputs.admin1),
            ("routes", inputs.routes),
        ];
        layers
            .iter()
            .find(|(_, l)| l.is_some_and(|l| l.provenance.path == p.path && l.provenance.layer == p.layer))
            .map_or("input", |(r, _)| *r)
    };
    // A sha256 in groups of 16, so that a narrow column or a page breaks
    // it between groups, never inside one.
    let grouped = |h: &str| {
        h.as_bytes().chunks(16).map(|c| String::from_utf8_lossy(c).into_owned()).collect::<Vec<_>>().join(" ")
    };
    let mut rows: Vec<Vec<String>> = provenance
        .inputs
        .iter()
        .map(|p| {
            vec![
                p.path.clone(),
                role_of(p).into(),
                p.driver.clone(),
                p.crs_line(),
                grouped(&p.sha256),
                p.status.as_str().into(),
            ]
        })
        .collect();
    if let (Some(c), Some(h)) =
        (provenance.parameters["constraints"].as_str(), provenance.parameters["constraints_sha256"].as_str())
    {
        let status = if c.starts_with("embedded:") { "illustrative" } else { "as given" };
        rows.push(vec![
            c.into(),
            "constraints".into(),
            "TOML".into(),
            "none (no geometry)".into(),
            grouped(h),
            status.into(),
        ]);
    }
    table(&mut out, fmt, &["input", "role", "format", "CRS operation", "sha256", "status"], &rows);
    let mut meta = vec![vec!["tool".to_string(), provenance.tool.clone()]];
    if let serde_json::Value::Object(m) = &provenance.parameters {
        for (k, v) in m.iter().filter(|(k, _)| !k.ends_with("sha256")) {
            let v = match v {
                serde_json::Value::Null => "none (default)".to_string(),
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            meta.push(vec![k.replace('_', " "), v]);
        }
    }
    meta.push(vec!["map CRS".into(), MAP_CRS.into()]);
    if let Some(d) = &provenance.date {
        meta.push(vec!["date".into(), d.clone()]);
    }
    table(&mut out, fmt, &["parameter", "value"], &meta);
    match fmt {
        Format::Html => {
            let _ = writeln!(out, "<footer><p class=\"byline\">{}</p>", escape(&byline));
            if let Some(c) = &header.classification {
                let _ = writeln!(out, "<p class=\"marking\">{}</p>", escape(c));
            }
            out.push_str("</footer>\n");
        }
        Format::Markdown => {
            let _ = writeln!(out, "---\n\n{}\n", crate::markup::escape_markdown(&byline));
            if let Some(c) = &header.classification {
                let _ = writeln!(out, "**{}**\n", crate::markup::escape_markdown(c));
            }
        }
    }
    if fmt == Format::Html {
        out.push_str("</body>\n</html>\n");
    }
    Ok(out)
}

/// The marking and the status on every printed page, in the page's
/// margin (CSS page-margin boxes): a page printed alone still says how it
/// is marked and that its data is not observed. Empty when there is
/// neither.
fn page_marks(classification: Option<&str>, provenance: &Provenance) -> String {
    let status = provenance.status();
    let mut boxes = String::new();
    if let Some(c) = classification {
        boxes.push_str(&format!("@top-center{{content:{};font:700 9pt sans-serif}}", css_string(c)));
    }
    if status.is_caveat() {
        boxes.push_str(&format!(
            "@bottom-center{{content:{};font:700 9pt sans-serif;color:#b00020}}",
            css_string(&format!("{} DATA: not a statement of fact", status.label()))
        ));
    }
    if boxes.is_empty() {
        return String::new();
    }
    // The page number, short, so that the status line keeps its width.
    boxes.push_str("@bottom-right{content:\"page \" counter(page);font:9pt sans-serif}");
    format!("@page{{margin:16mm 12mm;{boxes}}}")
}

/// Text as a CSS string inside a `<style>` element: quotes, backslashes and
/// line breaks escaped, and `<` too, so that no text closes the element.
fn css_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            '<' | '>' | '&' => out.push_str(&format!("\\{:x} ", c as u32)),
            c if crate::markup::is_control_or_bidi(c) => out.push_str(&format!("\\{:x} ", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Control over time: the series, two charts (HTML), the held series at
/// the last date and the ten largest changes with their places.
fn changes_section(
    out: &mut String,
    fmt: Format,
    c: &crate::changes::ChangesResult,
    colours: &[(String, crate::qgis::style::Rgba)],
) {
    heading(out, fmt, "changes", "Control over time");
    let (first, last) = (&c.dates[0].0, &c.dates[c.dates.len() - 1].0);
    let mut from: Vec<&str> = c.dates.iter().map(|(_, f)| f.as_str()).collect();
    from.sort_unstable();
    from.dedup();
    para(
        out,
        fmt,
        &format!(
            "{} control snapshots from {first} to {last} (dates from {}); {} pieces of the legal basis changed controller. \
             Pieces narrower than {} m are slivers (a line redigitised between snapshots), counted, never dropped. \
             held(t2) = held(t1) + gained − lost holds to {:.1e} of the owner's legal area.",
            c.dates.len(),
            from.join(", "),
            c.changes.len(),
            c.tolerance_m,
            c.worst_identity
        ),
    );
    if fmt == Format::Html {
        let _ = writeln!(
            out,
            "<figure>\n{}\n<figcaption>km² of each owner's legal territory held by another party, at each snapshot date (one point per date).</figcaption>\n</figure>",
            charts::held_chart(c, colours)
        );
        let _ = writeln!(
            out,
            "<figure>\n{}\n<figcaption>km² gained (above the axis) and lost (below) by each party in each period, drawn at the period's end date.</figcaption>\n</figure>",
            charts::flows_chart(c, colours)
        );
    }
    let rows: Vec<Vec<String>> = c
        .held
        .iter()
        .filter(|h| &h.date == last && h.party != h.owner)
        .map(|h| vec![h.owner.clone(), h.party.clone(), km2(h.km2)])
        .collect();
    para(out, fmt, &format!("Held on {last} (`-`: held by no one):"));
    table(out, fmt, &["owner", "held by", "km²#"], &rows);
    let mut largest: Vec<&crate::changes::Change> = c.changes.iter().collect();
    largest.sort_by(|a, b| b.area_m2.total_cmp(&a.area_m2).then_with(|| a.id.cmp(&b.id)));
    let rows: Vec<Vec<String>> = largest
        .iter()
        .take(10)
        .enumerate()
        .map(|(i, ch)| {
            vec![
                (i + 1).to_string(),
                format!("{} → {}", ch.from_date, ch.to_date),
                ch.owner.clone(),
                ch.legal_unit.clone(),
                format!("{} → {}", ch.controller_before, ch.controller_after),
                km2(ch.area_m2 / 1e6),
                format!("{:.0}", ch.width_m),
                ch.admin1.join("; "),
                ch.settlements.join("; "),
            ]
        })
        .collect();
    if rows.is_empty() {
        para(out, fmt, "No piece changed controller.");
    } else {
        para(out, fmt, "The ten largest changes:");
        table(
            out,
            fmt,
            &["no.#", "period", "owner", "legal unit", "controller", "km²#", "width m#", "admin-1", "settlements"],
            &rows,
        );
    }
}
