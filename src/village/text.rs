//! Answers as text for a reader: one block per place, every number with
//! its unit, positions with their hemispheres.

use std::io::Write;

use super::Answer;
use super::batch::{Reply, Status};
use crate::position::Position;

/// One reply: the answer, or the status, line and reason of a row that
/// has none.
pub fn write_reply(out: &mut dyn Write, r: &Reply) -> std::io::Result<()> {
    if let Some(a) = &r.answer {
        write_answer(out, a)?;
        if let Some(l) = r.line {
            writeln!(out, "  batch line:   {l}")?;
        }
        if r.status != Status::Ok {
            writeln!(out, "  status:       {} ({})", r.status.as_str(), r.reason.as_deref().unwrap_or_default())?;
        }
        return Ok(());
    }
    let line = r.line.map(|l| format!(" (line {l})")).unwrap_or_default();
    writeln!(out, "{}{line}", r.query_text())?;
    writeln!(out, "  status:       {}: {}", r.status.as_str(), r.reason.as_deref().unwrap_or_default())?;
    for c in &r.candidates {
        writeln!(out, "                {c}")?;
    }
    if !r.suggestions.is_empty() {
        writeln!(out, "  closest:      {}", r.suggestions.join(", "))?;
    }
    Ok(())
}

fn km(m: f64) -> String {
    if m < 1000.0 { format!("{m:.0} m") } else { format!("{:.2} km", m / 1000.0) }
}

/// A gap as a reader needs it: whose legal territory, held by whom.
fn gap_text(g: &crate::village::GapRef) -> String {
    format!(
        "{}: {}'s legal territory held by {}, {} km²{}",
        g.id,
        g.owner.as_deref().unwrap_or("no owner"),
        g.controller.as_deref().unwrap_or("no controller"),
        crate::units::area_km2(g.area_km2),
        if g.sliver { ", a sliver" } else { "" }
    )
}

pub fn write_answer(out: &mut dyn Write, a: &Answer) -> std::io::Result<()> {
    match &a.place {
        Some(p) => {
            writeln!(out, "{} (settlement id {}; matched by {})", p.name, p.id, p.matched_by.describe())?;
            let names: Vec<String> = [&p.names_hy, &p.names_ru, &p.names_latin]
                .iter()
                .filter(|v| !v.is_empty())
                .map(|v| v.iter().take(4).cloned().collect::<Vec<_>>().join(", "))
                .collect();
            if !names.is_empty() {
                writeln!(out, "  also:         {}", names.join(" | "))?;
            }
        }
        None => writeln!(out, "{}", a.query)?,
    }
    writeln!(out, "  position:     {}", Position { lat: a.lat, lon: a.lon })?;
    if let Some(n) = a.place.as_ref().and_then(|p| p.data_note.as_ref()) {
        writeln!(out, "  NOTE:         {n}")?;
    }
    let side = |s: &crate::village::Side| match s.status {
        "none" => "not covered".to_string(),
        "boundary" => format!("ON THE BOUNDARY of {}", s.features.join(" and ")),
        _ => format!(
            "{}{} (feature {})",
            s.key.as_deref().unwrap_or("?"),
            s.unit.as_deref().map(|u| format!(", {u}")).unwrap_or_default(),
            s.features.join(", ")
        ),
    };
    // A sample's answer says what it is, where the reader looks.
    let status = |s: &crate::village::Side, dated: bool| match (s.data_status, dated) {
        (crate::layer::DataStatus::Observed, _) => String::new(),
        (st, true) => format!(" ({st} sample)"),
        (st, false) => format!(" ({st} sample, no date)"),
    };
    writeln!(out, "  legal:        {}{}", side(&a.legal), status(&a.legal, true))?;
    if let Some(p) = &a.province {
        writeln!(
            out,
            "  province:     {p}{}",
            a.province_iso.as_deref().map(|i| format!(" ({i})")).unwrap_or_default()
        )?;
        if let Some(n) = &a.province_note {
            writeln!(out, "                {n}")?;
        }
    }
    writeln!(out, "  control:      {}{}", side(&a.control), status(&a.control, a.control.as_of.is_some()))?;
    match (&a.control.as_of, &a.control.source) {
        (Some(d), s) => writeln!(out, "                as of {d}; source: {}", s.as_deref().unwrap_or("not given"))?,
        (None, Some(s)) => writeln!(out, "                source: {s}")?,
        (None, None) => {}
    }
    match &a.gap {
        Some(g) => writeln!(out, "  gap:          {}", gap_text(g))?,
        None => writeln!(out, "  gap:          none")?,
    }
    let line = |d: &crate::village::Distance| {
        format!("{} to the {} line, bearing {:.0}° ({})", km(d.distance_m), d.other, d.bearing_deg, d.compass)
    };
    if let Some(d) = &a.legal_line {
        writeln!(out, "  legal line:   {}", line(d))?;
    }
    for d in a.legal_lines.iter().skip(1) {
        writeln!(out, "                {}", line(d))?;
    }
    if let Some(d) = &a.control_line {
        writeln!(out, "  control line: {}", line(d))?;
    }
    if let Some(g) = &a.nearest_gap {
        writeln!(
            out,
            "  nearest gap:  {}, {} away, bearing {:.0}° ({})",
            gap_text(g),
            km(g.distance_m),
            g.bearing_deg,
            crate::village::compass(g.bearing_deg)
        )?;
    }
    if !a.across.is_empty() {
        let list: Vec<String> = a
            .across
            .iter()
            .map(|x| {
                format!(
                    "{} ({}{}, {})",
                    x.name,
                    x.owner.as_deref().unwrap_or("no owner"),
                    x.controller
                        .as_deref()
                        .filter(|c| Some(*c) != x.owner.as_deref())
                        .map(|c| format!(", held by {c}"))
                        .unwrap_or_default(),
                    km(x.distance_m)
                )
            })
            .collect();
        writeln!(out, "  across the line: {}", list.join("; "))?;
    }
    Ok(())
}
