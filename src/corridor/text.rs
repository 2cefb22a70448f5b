//! Route reports as text for a reader; every figure carries its unit.

use std::io::Write;

use super::RouteReport;

/// One route as text: km per jurisdiction, crossings, clearances, protected
/// lines, settlements, profile and verdicts.
pub fn write_report(out: &mut dyn Write, r: &RouteReport) -> std::io::Result<()> {
    writeln!(out, "{} ({}): {:.3} km", r.name, r.kind.as_deref().unwrap_or("route"), r.length_m / 1e3)?;
    for (k, m) in &r.by_jurisdiction_m {
        let (o, c) = k.split_once('|').unwrap_or((k, "-"));
        writeln!(out, "  legally {o:<8} held by {c:<8} {:>10.3} km", m / 1e3)?;
    }
    // The transit state's own border first (its checkpoints apply), then
    // the changes of jurisdiction between other parties.
    for (own, what) in [(true, "crossing"), (false, "change of jurisdiction")] {
        for x in r.crossings.iter().filter(|x| x.transit_border == own) {
            writeln!(
                out,
                "  {what} {} → {} at {} (km {:.3}){}",
                x.from.as_deref().unwrap_or("none"),
                x.to.as_deref().unwrap_or("none"),
                x.at,
                x.chainage_m / 1e3,
                x.checkpoint.as_deref().map(|c| format!(", at checkpoint {c}")).unwrap_or_default()
            )?;
        }
    }
    for c in &r.clearances {
        match c.min_m {
            Some(m) => writeln!(out, "  closest to {}: {:.0} m", c.boundary, m)?,
            None => writeln!(out, "  closest to {}: no such boundary", c.boundary)?,
        }
    }
    for p in &r.protected_crossings {
        writeln!(out, "  crosses protected line {} at {}", p.name, p.at)?;
    }
    if !r.settlements.is_empty() {
        let s: Vec<String> = r.settlements.iter().take(12).map(|(n, d)| format!("{n} {:.1} km", d / 1e3)).collect();
        writeln!(out, "  settlements nearby: {}{}", s.join(", "), if r.settlements.len() > 12 { ", …" } else { "" })?;
    }
    if let Some(p) = &r.profile {
        writeln!(
            out,
            "  profile: ascent {:.0} m, descent {:.0} m, steepest {} over {:.0} m{}",
            p.ascent_m,
            p.descent_m,
            p.max_grade_pct.map_or("-".to_string(), |g| format!("{g:.2}%")),
            p.window_m,
            if p.missing > 0 {
                format!(" ({} of {} samples off the DEM)", p.missing, p.samples.len())
            } else {
                String::new()
            }
        )?;
    }
    for v in &r.verdicts {
        let limit = if v.limit.is_none() { "none stated".to_string() } else { v.with_unit(v.limit) };
        writeln!(
            out,
            "  {:<4} {} (measured {}, limit {}) {}",
            v.status,
            v.rule,
            v.with_unit(v.measured),
            limit,
            v.detail
        )?;
    }
    Ok(())
}
