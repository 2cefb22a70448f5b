//! Charts of a control series, as inline SVG: held km² over time per owner
//! and holder, and gains and losses per period as bars. Both have axes
//! with units and dates; every data point is an element of its own
//! (`circle.pt`, `rect.bar`) with its values in a `<title>`, so that a
//! reader can hover it and a test can count it.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use crate::changes::ChangesResult;
use crate::markup::escape;
use crate::qgis::style::Rgba;

use super::svg::{fill, stroke, text_width};

const W: f64 = 760.0;
const H: f64 = 320.0;
const LEFT: f64 = 78.0;
const RIGHT: f64 = 200.0;
const TOP: f64 = 18.0;
const BOTTOM: f64 = 56.0;

/// Days since 1970-01-01 of a `YYYY-MM-DD` date (proleptic Gregorian).
fn days(date: &str) -> f64 {
    let p = |a: usize, b: usize| date.get(a..b).and_then(|s| s.parse::<i64>().ok()).unwrap_or(0);
    let (y, m, d) = (p(0, 4), p(5, 7), p(8, 10));
    // Howard Hinnant's days_from_civil.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    (era * 146097 + doe - 719468) as f64
}

/// A round upper bound and step for an axis from 0 (or from -max) to `max`.
fn nice(max: f64) -> (f64, f64) {
    if max <= 0.0 || !max.is_finite() {
        return (1.0, 0.25);
    }
    let raw = max / 4.0;
    let pow = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0].iter().map(|m| m * pow).find(|s| *s >= raw).unwrap_or(10.0 * pow);
    ((max / step).ceil() * step, step)
}

/// A number for a tick label: as few decimals as the step needs.
fn tick(v: f64, step: f64) -> String {
    let places = (-step.log10().floor()).max(0.0) as usize;
    format!("{v:.places$}")
}

struct Frame {
    x0: f64,
    x1: f64,
    y0: f64,
    y1: f64,
}

impl Frame {
    fn x(&self, v: f64) -> f64 {
        LEFT + (v - self.x0) / (self.x1 - self.x0).max(1e-9) * (W - LEFT - RIGHT)
    }
    fn y(&self, v: f64) -> f64 {
        TOP + (self.y1 - v) / (self.y1 - self.y0).max(1e-12) * (H - TOP - BOTTOM)
    }
}

/// The axes: y ticks from `y0` to `y1` by `step` with `y_title`, x ticks at
/// up to six of `dates` with `x_title`.
fn axes(out: &mut String, f: &Frame, step: f64, y_title: &str, dates: &[&str], x_title: &str) {
    let (bx, by) = (f.x(f.x0), f.y(f.y0.max(0.0).min(f.y1)));
    out.push_str("<g class=\"axis y\">");
    let mut v = f.y0;
    while v <= f.y1 + step * 1e-6 {
        let y = f.y(v);
        let _ = write!(
            out,
            "<line x1=\"{:.1}\" y1=\"{y:.1}\" x2=\"{:.1}\" y2=\"{y:.1}\" stroke=\"#ddd\"/><text class=\"tick\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" font-size=\"11\">{}</text>",
            LEFT,
            W - RIGHT,
            LEFT - 6.0,
            y + 4.0,
            tick(v, step)
        );
        v += step;
    }
    let _ = write!(
        out,
        "<text class=\"title\" transform=\"translate(16,{:.1}) rotate(-90)\" text-anchor=\"middle\" font-size=\"12\">{}</text></g>",
        (TOP + H - BOTTOM) / 2.0,
        escape(y_title)
    );
    let _ = write!(
        out,
        "<g class=\"axis x\"><line x1=\"{:.1}\" y1=\"{by:.1}\" x2=\"{:.1}\" y2=\"{by:.1}\" stroke=\"#333\"/>",
        bx,
        W - RIGHT
    );
    let n = dates.len();
    let picks: BTreeSet<usize> = if n <= 6 { (0..n).collect() } else { (0..6).map(|i| i * (n - 1) / 5).collect() };
    for &i in &picks {
        let x = f.x(days(dates[i]));
        let _ = write!(
            out,
            "<line x1=\"{x:.1}\" y1=\"{:.1}\" x2=\"{x:.1}\" y2=\"{:.1}\" stroke=\"#333\"/><text class=\"tick\" x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\" font-size=\"11\">{}</text>",
            H - BOTTOM,
            H - BOTTOM + 4.0,
            H - BOTTOM + 17.0,
            escape(dates[i])
        );
    }
    let _ = write!(
        out,
        "<text class=\"title\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" font-size=\"12\">{}</text></g>",
        (LEFT + W - RIGHT) / 2.0,
        H - 10.0,
        escape(x_title)
    );
}

/// The chart's legend: one row per series, its swatch drawn as the series
/// is: a box for bars (`None`), a line with its dash pattern for lines.
fn legend(out: &mut String, rows: &[(String, Rgba, Option<&str>)]) {
    out.push_str("<g class=\"legend\">");
    for (i, (label, c, line)) in rows.iter().enumerate() {
        let y = TOP + 8.0 + 18.0 * i as f64;
        let x = W - RIGHT;
        let _ = match line {
            None => write!(
                out,
                "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"14\" height=\"10\" {}/>",
                x + 12.0,
                y - 9.0,
                fill(*c)
            ),
            Some(dash) => write!(
                out,
                "<line x1=\"{:.1}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" {} stroke-width=\"2\"{}/>",
                x + 10.0,
                y - 4.0,
                x + 28.0,
                y - 4.0,
                stroke(*c),
                dash_attr(dash)
            ),
        };
        let _ = write!(
            out,
            "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\" textLength=\"{:.0}\">{}</text>",
            x + 32.0,
            y,
            text_width(label, 11.0).min(RIGHT - 36.0),
            escape(label)
        );
    }
    out.push_str("</g>");
}

/// ` stroke-dasharray="…"`, or nothing for a solid line.
fn dash_attr(dash: &str) -> String {
    if dash.is_empty() { String::new() } else { format!(" stroke-dasharray=\"{dash}\"") }
}

fn open(out: &mut String, class: &str, label: &str) {
    let _ = write!(
        out,
        "<svg class=\"chart {class}\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {W} {H}\" width=\"100%\" role=\"img\" aria-label=\"{}\" font-family=\"sans-serif\">",
        escape(label)
    );
}

/// Held km² over time: one line per owner and holder (the owner's own
/// holding and "held by no one" left out), one point per date.
/// A party's colour in the run (black for one the run never named).
fn colour(colours: &[(String, Rgba)], party: &str) -> Rgba {
    colours.iter().find(|(k, _)| k == party).map_or(Rgba(0, 0, 0, 255), |x| x.1)
}

/// Dash patterns that tell apart the owners whose territory one party
/// holds (the party's colour says who holds it).
const DASHES: [&str; 4] = ["", "6 3", "2 2", "8 3 2 3"];

/// Held km² per (owner, holder) through the series, drawn as steps: control
/// changes at a snapshot's date and holds until the next, it does not move
/// gradually between them.
pub(crate) fn held_chart(r: &ChangesResult, colours: &[(String, Rgba)]) -> String {
    let dates: Vec<&str> = r.dates.iter().map(|(d, _)| d.as_str()).collect();
    let mut pairs: BTreeMap<(String, String), BTreeMap<&str, f64>> = BTreeMap::new();
    for h in r.held.iter().filter(|h| h.party != h.owner && h.party != "-") {
        pairs.entry((h.owner.clone(), h.party.clone())).or_default().insert(h.date.as_str(), h.km2);
    }
    let max = pairs.values().flat_map(|m| m.values()).fold(0.0f64, |a, &b| a.max(b));
    let (top, step) = nice(max);
    let (first, last) = (days(dates[0]), days(dates[dates.len() - 1]));
    let f = Frame { x0: first, x1: last.max(first + 1.0), y0: 0.0, y1: top };
    let mut out = String::new();
    open(&mut out, "held", "km² of each owner's legal territory held by another party, by date");
    axes(&mut out, &f, step, "km² held", &dates, "snapshot date");
    let mut rows = Vec::new();
    let owners: Vec<&String> = pairs.keys().map(|(o, _)| o).collect::<BTreeSet<_>>().into_iter().collect();
    for ((o, p), by_date) in &pairs {
        let c = colour(colours, p);
        let dash = DASHES[owners.iter().position(|x| *x == o).unwrap_or(0) % DASHES.len()];
        let pts: Vec<(f64, f64, &str, f64)> = dates
            .iter()
            .map(|d| {
                let v = by_date.get(d).copied().unwrap_or(0.0);
                (f.x(days(d)), f.y(v), *d, v)
            })
            .collect();
        // Steps: at each date the line rises or falls at once, then holds.
        let mut path: Vec<String> = Vec::with_capacity(2 * pts.len());
        for (i, (x, y, _, _)) in pts.iter().enumerate() {
            if i > 0 {
                path.push(format!("{x:.1},{:.1}", pts[i - 1].1));
            }
            path.push(format!("{x:.1},{y:.1}"));
        }
        let dasharray = dash_attr(dash);
        let _ = write!(
            out,
            "<g class=\"series\" data-owner=\"{}\" data-holder=\"{}\"><polyline fill=\"none\" {} stroke-width=\"1.8\"{dasharray} points=\"{}\"/>",
            escape(o),
            escape(p),
            stroke(c),
            path.join(" ")
        );
        for (x, y, d, v) in &pts {
            let _ = write!(
                out,
                "<circle class=\"pt\" cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"2.2\" {}><title>{}: {} held by {}: {v:.3} km²</title></circle>",
                fill(c),
                escape(d),
                escape(o),
                escape(p)
            );
        }
        out.push_str("</g>");
        rows.push((format!("{o} territory held by {p}"), c, Some(dash)));
    }
    legend(&mut out, &rows);
    out.push_str("</svg>");
    out
}

/// Gains (above the axis) and losses (below) per period and party, km² of
/// any owner's legal territory; one bar per nonzero value, drawn at the
/// period's end date.
pub(crate) fn flows_chart(r: &ChangesResult, run_colours: &[(String, Rgba)]) -> String {
    let dates: Vec<&str> = r.dates.iter().map(|(d, _)| d.as_str()).collect();
    // (to_date, party) → (gained, lost)
    let mut by: BTreeMap<(&str, &str), (f64, f64)> = BTreeMap::new();
    for p in r.periods.iter().filter(|p| p.party != "-") {
        let e = by.entry((p.to_date.as_str(), p.party.as_str())).or_default();
        e.0 += p.gained_km2;
        e.1 += p.lost_km2;
    }
    let parties: Vec<String> = by.keys().map(|(_, p)| p.to_string()).collect::<BTreeSet<_>>().into_iter().collect();
    let max = by.values().fold(0.0f64, |a, &(g, l)| a.max(g).max(l));
    let (top, step) = nice(max);
    let (first, last) = (days(dates[0]), days(dates[dates.len() - 1]));
    let f = Frame { x0: first, x1: last.max(first + 1.0), y0: -top, y1: top };
    let mut out = String::new();
    open(&mut out, "flows", "km² gained and lost by each party per period");
    axes(&mut out, &f, step, "km² gained (+) / lost (−)", &dates, "period end date");
    // The run's colours, listed for the parties drawn only.
    let colours: Vec<(String, Rgba)> = parties.iter().map(|p| (p.clone(), colour(run_colours, p))).collect();
    // Bars share the narrowest gap between two dates.
    let gap = dates.windows(2).map(|w| f.x(days(w[1])) - f.x(days(w[0]))).fold(f64::INFINITY, f64::min);
    let slot = if gap.is_finite() { gap * 0.8 } else { 40.0 };
    let bw = (slot / parties.len().max(1) as f64).clamp(0.6, 18.0);
    let zero = f.y(0.0);
    for ((d, p), (g, l)) in &by {
        let k = parties.iter().position(|x| x == p).unwrap_or(0);
        let c = colours[k].1;
        let x = f.x(days(d)) - bw * parties.len() as f64 + bw * k as f64;
        for (v, class, sign) in [(*g, "gain", 1.0), (*l, "loss", -1.0)] {
            if v <= 0.0 {
                continue;
            }
            let y = f.y(sign * v);
            let (ya, yb) = if sign > 0.0 { (y, zero) } else { (zero, y) };
            let _ = write!(
                out,
                "<rect class=\"bar {class}\" x=\"{x:.2}\" y=\"{ya:.1}\" width=\"{bw:.2}\" height=\"{:.1}\" {}><title>period ending {}: {} {} {v:.3} km²</title></rect>",
                (yb - ya).max(0.5),
                fill(c),
                escape(d),
                escape(p),
                if sign > 0.0 { "gained" } else { "lost" }
            );
        }
    }
    let rows: Vec<(String, Rgba, Option<&str>)> = colours.iter().map(|(p, c)| (p.clone(), *c, None)).collect();
    legend(&mut out, &rows);
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_count_from_the_epoch_across_leap_years() {
        assert_eq!(days("1970-01-01"), 0.0);
        assert_eq!(days("2000-03-01") - days("2000-02-28"), 2.0);
        assert_eq!(days("2100-03-01") - days("2100-02-28"), 1.0);
        assert_eq!(days("2024-04-19") - days("2023-09-19"), 213.0);
    }

    #[test]
    fn axis_bounds_are_round_and_hold_the_maximum() {
        for max in [0.003, 0.7, 1.0, 37.2, 1234.5] {
            let (top, step) = nice(max);
            assert!(top >= max && top <= max * 2.6 + step, "{max}: {top} {step}");
            assert!((top / step - (top / step).round()).abs() < 1e-9);
        }
    }
}
