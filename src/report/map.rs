//! The report's map: legal units, control, the numbered gaps and the
//! exclave labels, as one inline SVG.

use std::fmt::Write;

use geo::{BoundingRect, Centroid, Coord};

use super::svg;
use super::{Exclave, Fields, MAP_CRS};
use crate::error::Result;
use crate::job::{FullRun, Inputs};
use crate::markup::escape;
use crate::overlay::Class;
use crate::qgis::style::{GREY, okabe_ito as oi};

/// The real (non-sliver) held_by_other pieces, largest first, numbered
/// as on the map.
pub(super) fn numbered_gaps(run: &FullRun) -> Vec<&crate::overlay::Gap> {
    let mut v: Vec<&crate::overlay::Gap> =
        run.gaps.gaps.iter().filter(|g| g.class == Class::HeldByOther && !g.sliver).collect();
    v.sort_by(|a, b| b.area_m2.total_cmp(&a.area_m2).then_with(|| a.id.cmp(&b.id)));
    v
}

pub(super) fn map(
    inputs: &Inputs<'_>,
    run: &FullRun,
    fields: &Fields,
    exclaves: &[Exclave],
    colours: &[(String, crate::qgis::style::Rgba)],
) -> Result<String> {
    use svg::{fill, stroke};
    let bbox =
        inputs.legal.bbox().map(|r| [r.min().x, r.min().y, r.max().x, r.max().y]).unwrap_or([43.0, 38.0, 51.0, 42.0]);
    let frame = svg::Frame::new(bbox, MAP_CRS)?;
    let tol = 0.6;
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
    // Labels are placed so that none overlaps another: exclave names
    // first (above their unit, else below, further out each try), then
    // the gap numbers, each beside its marker or, where that is taken,
    // further out with a leader line back to it.
    let mut placed = Placed::default();
    let mut labels = String::new();
    // The markers themselves come first: no label may cover one.
    let mut markers = Vec::new();
    for (i, g) in numbered_gaps(run).iter().enumerate() {
        if let Some(c) = g.geometry.centroid() {
            let p = frame.point(c.0)?;
            placed.add([p.x - 9.0, p.y - 9.0, p.x + 9.0, p.y + 9.0]);
            markers.push((i, p));
        }
    }
    for e in exclaves {
        let Some(f) = inputs.legal.features.iter().find(|f| f.id == e.unit) else {
            continue;
        };
        let Some(r) = f.polygons().and_then(|m| m.bounding_rect()) else {
            continue;
        };
        let top = frame.point(Coord { x: (r.min().x + r.max().x) / 2.0, y: r.max().y })?;
        let bottom = frame.point(Coord { x: (r.min().x + r.max().x) / 2.0, y: r.min().y })?;
        let label = e.name.clone().unwrap_or_else(|| e.unit.clone());
        let text = format!("{label} (exclave of {})", e.owner);
        let w = svg::text_width(&text, 11.0);
        let tries = (0..8).flat_map(|k| [top.y - 4.0 - 14.0 * k as f64, bottom.y + 14.0 + 14.0 * k as f64]);
        let Some(y) = tries.into_iter().find(|y| placed.free([top.x - w / 2.0, y - 11.0, top.x + w / 2.0, y + 3.0]))
        else {
            continue;
        };
        placed.add([top.x - w / 2.0, y - 11.0, top.x + w / 2.0, y + 3.0]);
        let _ = writeln!(
            labels,
            r##"<text class="exclave" x="{:.1}" y="{:.1}" font-size="11" font-style="italic" text-anchor="middle" stroke="#fff" stroke-width="3" paint-order="stroke" fill="#222">{}</text>"##,
            top.x,
            y,
            escape(&text)
        );
    }
    for (i, p) in markers {
        let text = (i + 1).to_string();
        // The white halo (stroke 3) widens each label by 3 px.
        let (w, h) = (svg::text_width(&text, 11.0) + 4.0, 14.0);
        // Sixteen directions, at growing distances from the marker.
        let spot = (0..30)
            .flat_map(|k| {
                let r = 14.0 + 8.0 * k as f64;
                (0..16).map(move |d| {
                    let a = std::f64::consts::PI / 8.0 * d as f64 - std::f64::consts::FRAC_PI_4;
                    (r, p.x + r * a.cos(), p.y + r * a.sin())
                })
            })
            .find(|&(_, x, y)| placed.free([x - w / 2.0, y - h / 2.0, x + w / 2.0, y + h / 2.0]));
        let (r, x, y) = spot.unwrap_or((14.0, p.x + 14.0, p.y - 10.0));
        placed.add([x - w / 2.0, y - h / 2.0, x + w / 2.0, y + h / 2.0]);
        let leader = if r > 14.0 {
            format!(
                r##"<line x1="{:.1}" y1="{:.1}" x2="{x:.1}" y2="{y:.1}" stroke="#5a2100" stroke-width="0.8"/>"##,
                p.x, p.y
            )
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            r##"<g class="gap-marker"><circle cx="{:.1}" cy="{:.1}" r="9" fill="none" stroke="#d55e00" stroke-width="2"/>{leader}<text class="gap-number" x="{x:.1}" y="{:.1}" font-size="11" font-weight="bold" text-anchor="middle" fill="#5a2100" stroke="#fff" stroke-width="3" paint-order="stroke">{text}</text></g>"##,
            p.x,
            p.y,
            y + 4.0,
        );
    }
    out.push_str(&labels);
    // The run's colours, listed for the owners the map draws only.
    let drawn: std::collections::BTreeSet<String> =
        inputs.legal.features.iter().filter_map(|f| f.text(&fields.owner)).collect();
    let mut rows: Vec<(String, String)> = colours
        .iter()
        .filter(|(k, _)| drawn.contains(k))
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
    // A watermark over everything drawn from data that is not observed.
    let status = [Some(inputs.legal), Some(inputs.control), Some(inputs.settlements), inputs.segments, inputs.routes]
        .into_iter()
        .flatten()
        .map(|l| l.provenance.status)
        .max()
        .unwrap_or_default();
    if status.is_caveat() {
        let (w, h) = (svg::WIDTH, frame.height());
        let _ = writeln!(
            out,
            r##"<text class="watermark" x="{:.0}" y="{:.0}" transform="rotate(-24 {:.0} {:.0})" text-anchor="middle" font-size="{:.0}" font-weight="700" fill="#b00020" fill-opacity="0.16" letter-spacing="6">{} DATA</text>"##,
            w / 2.0,
            h / 2.0,
            w / 2.0,
            h / 2.0,
            (w / 16.0).min(64.0),
            status.label()
        );
    }
    out.push_str("</svg>\n");
    Ok(out)
}

/// Boxes already taken on the map, in SVG units: [x0, y0, x1, y1].
#[derive(Default)]
struct Placed(Vec<[f64; 4]>);

impl Placed {
    fn free(&self, b: [f64; 4]) -> bool {
        !self.0.iter().any(|o| b[0] < o[2] && o[0] < b[2] && b[1] < o[3] && o[1] < b[3])
    }

    fn add(&mut self, b: [f64; 4]) {
        self.0.push(b);
    }
}
