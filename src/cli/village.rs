//! `delimit village`

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

use anyhow::Result;
use clap::Args as ClapArgs;
use delimit::layer::{Feature, Role};
use delimit::overlay::GapsOptions;
use delimit::position::Position;
use delimit::village::batch::{self, Ask, Query, Reply, Status};
use delimit::village::{Answer, Context, VillageOptions};
use geo::{Geometry, LineString, Point};
use serde_json::json;

use super::Outcome;
use super::args::{InputArgs, LayerArgs, SettlementsArgs, load_or_sample, non_negative};

/// Ask about places: legal owner, controller, gap, and distances to the lines.
///
/// By name in any spelling (Voskepar, Ոսկեպար, Воскепар; Başkənd or
/// Bashkend), by coordinates (--at LAT,LON), or a batch (--file). With no
/// layers given, the embedded sample is used.
///
/// A point exactly on a boundary belongs to neither side: its status is
/// `boundary`, the units it touches are all listed, and the distance to the
/// line is 0.
#[derive(Debug, ClapArgs)]
pub(crate) struct Args {
    /// Place names or settlement ids.
    #[arg(value_name = "NAME")]
    names: Vec<String>,
    /// A point, as LAT,LON in decimal degrees (WGS 84). Repeatable.
    #[arg(long, value_name = "LAT,LON", allow_hyphen_values = true)]
    at: Vec<String>,
    /// A batch: CSV with a `name` column or `lat` and `lon` columns (and
    /// optionally `province` or `country`, narrowing that row's match), or
    /// a point layer (GeoJSON or any GDAL format). Every row is answered, in
    /// the file's order, with a status: ok, no_match, ambiguous, invalid or
    /// outside_data; the exit code is 1 if any row is not ok. `--file -`
    /// reads names or LAT,LON from stdin, one per line, and writes one JSON
    /// line per answer as each arrives.
    #[arg(long, value_name = "FILE")]
    file: Option<PathBuf>,
    /// Only places whose province (name or ISO code), legal owner or
    /// country code is this; repeat to narrow further. Applies to every row.
    #[arg(long = "in", value_name = "PROVINCE|OWNER")]
    within: Vec<String>,
    /// Settlements across the legal line within this many km.
    #[arg(long, value_name = "KM", default_value_t = 5.0)]
    radius: f64,
    #[command(flatten)]
    layers: LayerArgs,
    #[command(flatten)]
    places: SettlementsArgs,
    /// Provinces (admin-1 polygons with `name`). Default: the embedded sample.
    #[arg(long, value_name = "FILE")]
    admin1: Option<PathBuf>,
    /// Field with alternate names (JSON array or comma-separated).
    #[arg(long, value_name = "FIELD", default_value = "alternatenames")]
    alt_names_field: String,
    /// Sliver width for the gaps, m (as for `gaps`).
    #[arg(long, value_name = "M")]
    tolerance_m: Option<f64>,
    #[command(flatten)]
    input: InputArgs,
    /// Machine-readable answers on stdout.
    #[arg(long)]
    json: bool,
    /// Write the places and their nearest-boundary lines to this GeoJSON (or GDAL) file.
    #[arg(long, value_name = "FILE")]
    geojson: Option<PathBuf>,
    /// Write one row per question to this file: status, place, owner,
    /// controller, distances (a flat table for .csv, points otherwise).
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    output: Option<PathBuf>,
    /// Replace an existing --geojson or -o output.
    #[arg(long)]
    force: bool,
}

pub(crate) fn run(args: Args) -> Result<Outcome> {
    non_negative("--radius", args.radius)?;
    if let Some(t) = args.tolerance_m {
        non_negative("--tolerance-m", t)?;
    }
    let stdin_batch = args.file.as_deref() == Some(Path::new("-"));
    let mut inputs = args.layers.paths();
    inputs.extend([&args.places.settlements, &args.admin1, &args.file].into_iter().flatten().map(PathBuf::as_path));
    inputs.retain(|p| *p != Path::new("-"));
    for o in [&args.geojson, &args.output].into_iter().flatten() {
        delimit::io::Format::from_path(o)?;
        delimit::io::Output::prepare(o, args.force, &inputs)?;
    }
    // Every flag is parsed before any work; rows of a batch file are read
    // now too, and a row that cannot be read is answered `invalid`.
    let mut queries: Vec<Query> = args.names.iter().map(|n| Query::name(n)).collect();
    let mut at = Vec::new();
    for a in &args.at {
        let p = Position::parse_flag("--at", a)?;
        at.push(p);
        queries.push(Query { line: None, text: a.clone(), ask: Ask::At(p, a.clone()), within: Vec::new() });
    }
    if let (Some(f), false) = (&args.file, stdin_batch) {
        queries.extend(batch::read_file(f, &args.input.name_field, &args.input.read_options(None)?)?);
    }
    if queries.is_empty() && !stdin_batch {
        return Err(delimit::Error::Usage {
            option: "NAME".into(),
            message: "nothing to ask".into(),
            hint: Some("give a name (delimit village Voskepar), --at LAT,LON, --file places.csv, or --file - to read lines from stdin".into()),
        }
        .into());
    }

    // The four layers are read side by side (on the sample, parsing is a
    // third of a single query). Errors are reported in the order the
    // layers are listed, as if read one after the other.
    let control_and_legal = || -> delimit::Result<(delimit::Layer, delimit::Layer)> {
        if args.layers.legal_lines.given() {
            // Polygonising the lines may take its frame from the control layer.
            let (legal, control) = args.layers.load(&args.input, None)?;
            return Ok((control, legal));
        }
        let (control, legal) =
            rayon::join(|| args.layers.control(&args.input, None), || args.layers.legal(&args.input, None, None));
        Ok((control?, legal?))
    };
    let ((control, legal), (places, admin1)) = match rayon::join(control_and_legal, || {
        rayon::join(
            || args.places.load(&args.input),
            || load_or_sample(args.admin1.as_deref(), "admin1.geojson", Role::Legal, &args.input_plain(), None),
        )
    }) {
        (Ok(cl), (Ok(p), Ok(a))) => (cl, (p, a)),
        (Err(e), _) | (_, (Err(e), _)) | (_, (_, Err(e))) => return Err(e.into()),
    };
    let extents: Vec<geo::Rect<f64>> = [&legal, &control].iter().filter_map(|l| l.bbox()).collect();
    // A swapped --at is a usage error; a swapped row of a batch is an
    // `invalid` row, answered with the same hint.
    for p in &at {
        p.check_not_swapped("--at", &extents)?;
    }
    let opts = VillageOptions {
        gaps: GapsOptions {
            owner_field: args.input.owner_field.clone(),
            controller_field: args.input.controller_field.clone(),
            name_field: args.input.name_field.clone(),
            tolerance_m: args.tolerance_m,
            ..GapsOptions::default()
        },
        alt_names_field: args.alt_names_field.clone(),
        radius_km: args.radius,
    };
    let ctx = Context::new(&legal, &control, &places, Some(&admin1), opts)?;
    // A few questions: check a window before overlaying a unit whole. Many:
    // overlay each unit once (the answers are the same).
    let ctx = if stdin_batch || queries.len() > 16 { ctx.for_batches() } else { ctx };
    let within: Vec<&str> = args.within.iter().map(String::as_str).collect();

    let provenance = json!({
        "tool": format!("delimit {}", env!("CARGO_PKG_VERSION")),
        "inputs": [&legal.provenance, &control.provenance, &places.provenance, &admin1.provenance],
        "tolerance_m": ctx.tolerance_m(),
        "boundary_rule": "a point exactly on a boundary belongs to neither side: status `boundary`, every touching unit listed",
    });
    // Rows are answered side by side; answers keep the input order.
    let answer_all = |qs: &[Query]| -> delimit::Result<Vec<Reply>> {
        use rayon::prelude::*;
        qs.par_iter().map(|q| ctx.reply(q, &within, &extents)).collect()
    };
    let mut replies = answer_all(&queries)?;
    if stdin_batch {
        // One JSON line per answer, written as soon as it is known, so that
        // a script (or the QGIS plugin) can ask thousands of questions of
        // one process. A reader thread collects lines; each round answers
        // every line already waiting, side by side.
        let mut out = std::io::stdout().lock();
        for r in &replies {
            serde_json::to_writer(&mut out, r)?;
            writeln!(out)?;
        }
        out.flush()?;
        let (tx, rx) = std::sync::mpsc::channel::<std::io::Result<String>>();
        std::thread::spawn(move || {
            for line in std::io::stdin().lock().lines() {
                let stop = line.is_err();
                if tx.send(line).is_err() || stop {
                    break;
                }
            }
        });
        let mut n = 0;
        while let Ok(first) = rx.recv() {
            let mut chunk = Vec::new();
            for line in std::iter::once(first).chain(std::iter::from_fn(|| rx.try_recv().ok()).take(4095)) {
                n += 1;
                chunk.push(Query::from_line(n, &line?));
            }
            for r in answer_all(&chunk)? {
                serde_json::to_writer(&mut out, &r)?;
                writeln!(out)?;
                replies.push(r);
            }
            out.flush()?;
        }
    }

    let answers: Vec<Answer> = replies.iter().filter_map(|r| r.answer.clone()).collect();
    let mut w = delimit::io::WriteOptions { force: args.force, ..Default::default() };
    w.geojson.metadata = Some(provenance.clone());
    if let Some(path) = &args.geojson {
        super::wrote(&delimit::io::write_layer(path, "village", &features(&answers), &inputs, &w)?);
    }
    if let Some(path) = &args.output {
        super::wrote(&delimit::io::write_layer(path, "answers", &table(&replies), &inputs, &w)?);
    }
    let counts = batch::counts(&replies);
    let all_ok = replies.iter().all(|r| r.status == Status::Ok);
    // One question asked by name, not answered: the error it always was,
    // with its hint (text mode only; --json answers on stdout).
    if let ([r], false, false) = (replies.as_slice(), args.json, stdin_batch)
        && r.answer.is_none()
    {
        let q = r.query_text().to_string();
        return Err(match r.status {
            Status::Ambiguous => delimit::Error::Ambiguous { query: q, candidates: r.candidates.clone() },
            _ if !r.candidates.is_empty() => delimit::Error::NoMatchWithin {
                query: q,
                within: within.join(" and "),
                candidates: r.candidates.clone(),
            },
            _ => delimit::Error::NoMatch { query: q, suggestions: r.suggestions.clone() },
        }
        .into());
    }
    let mut out = std::io::stdout().lock();
    if args.json && !stdin_batch {
        let c: serde_json::Map<String, serde_json::Value> =
            counts.iter().map(|(s, n)| (s.as_str().to_string(), (*n).into())).collect();
        serde_json::to_writer_pretty(&mut out, &json!({ "answers": replies, "counts": c, "provenance": provenance }))?;
        writeln!(out)?;
    } else if !stdin_batch {
        super::print_blocks(&mut out, &replies, |o, r| print_reply(o, r))?;
    }
    if queries.len() > 1 || stdin_batch {
        let list: Vec<String> = counts.iter().map(|(s, n)| format!("{n} {}", s.as_str())).collect();
        eprintln!("answered {} rows: {}", replies.len(), list.join(", "));
    }
    // The process ends next: freeing the indexes and layers piece by piece
    // would cost a single query a tenth of its time, for memory the
    // kernel takes back at exit anyway.
    std::mem::forget(ctx);
    std::mem::forget((legal, control, places, admin1));
    Ok(if all_ok { Outcome::Ok } else { Outcome::DataErrors })
}

impl Args {
    fn input_plain(&self) -> InputArgs {
        // admin1 has no owner field; read it without the role's key check.
        self.input.with_owner_field("country")
    }
}

/// One reply: the answer, or the status, line and reason of a row that
/// has none.
fn print_reply(out: &mut dyn Write, r: &Reply) -> std::io::Result<()> {
    if let Some(a) = &r.answer {
        print_answer(out, a)?;
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

/// The replies as a flat table: one row per question, a point where there
/// is an answer (CSV gets `lon` and `lat` columns, and WKT).
fn table(replies: &[Reply]) -> Vec<Feature> {
    replies
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let a = r.answer.as_ref();
            let place = a.and_then(|a| a.place.as_ref());
            let m = |d: Option<&delimit::village::Distance>| d.map(|d| (d.distance_m * 10.0).round() / 10.0);
            let mut p = serde_json::Map::new();
            p.insert("line".into(), r.line.into());
            p.insert("query".into(), r.query_text().into());
            p.insert("status".into(), r.status.as_str().into());
            p.insert("name".into(), place.map(|p| p.name.clone()).into());
            p.insert("settlement_id".into(), place.map(|p| p.id.clone()).into());
            p.insert("lat".into(), a.map(|a| a.lat).into());
            p.insert("lon".into(), a.map(|a| a.lon).into());
            p.insert("legal_status".into(), a.map(|a| a.legal.status).into());
            p.insert("owner".into(), a.and_then(|a| a.legal.key.clone()).into());
            p.insert("province".into(), a.and_then(|a| a.province.clone()).into());
            p.insert("controller".into(), a.and_then(|a| a.control.key.clone()).into());
            p.insert("gap_id".into(), a.and_then(|a| a.gap.as_ref()).map(|g| g.id.clone()).into());
            p.insert("legal_line_m".into(), m(a.and_then(|a| a.legal_line.as_ref())).into());
            p.insert("control_line_m".into(), m(a.and_then(|a| a.control_line.as_ref())).into());
            p.insert("candidates".into(), r.candidates.join("; ").into());
            p.insert("reason".into(), r.reason.clone().into());
            Feature {
                id: format!("{}", i + 1),
                index: i,
                geometry: a.map(|a| Geometry::Point(Point::new(a.lon, a.lat))),
                properties: p,
            }
        })
        .collect()
}

fn km(m: f64) -> String {
    if m < 1000.0 { format!("{m:.0} m") } else { format!("{:.2} km", m / 1000.0) }
}

/// A gap as a reader needs it: whose legal territory, held by whom.
fn gap_text(g: &delimit::village::GapRef) -> String {
    format!(
        "{}: {}'s legal territory held by {}, {} km²{}",
        g.id,
        g.owner.as_deref().unwrap_or("no owner"),
        g.controller.as_deref().unwrap_or("no controller"),
        super::table::area_km2(g.area_km2),
        if g.sliver { ", a sliver" } else { "" }
    )
}

fn print_answer(out: &mut dyn Write, a: &Answer) -> std::io::Result<()> {
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
    let side = |s: &delimit::village::Side| match s.status {
        "none" => "not covered".to_string(),
        "boundary" => format!("ON THE BOUNDARY of {}", s.features.join(" and ")),
        _ => format!(
            "{}{} (feature {})",
            s.key.as_deref().unwrap_or("?"),
            s.unit.as_deref().map(|u| format!(", {u}")).unwrap_or_default(),
            s.features.join(", ")
        ),
    };
    writeln!(out, "  legal:        {}", side(&a.legal))?;
    if let Some(p) = &a.province {
        writeln!(
            out,
            "  province:     {p}{}",
            a.province_iso.as_deref().map(|i| format!(" ({i})")).unwrap_or_default()
        )?;
    }
    writeln!(out, "  control:      {}", side(&a.control))?;
    if a.control.source.is_some() || a.control.as_of.is_some() {
        writeln!(
            out,
            "                as of {}; source: {}",
            a.control.as_of.as_deref().unwrap_or("?"),
            a.control.source.as_deref().unwrap_or("?")
        )?;
    }
    match &a.gap {
        Some(g) => writeln!(out, "  gap:          {}", gap_text(g))?,
        None => writeln!(out, "  gap:          none")?,
    }
    let line = |d: &delimit::village::Distance| {
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
            delimit::village::compass(g.bearing_deg)
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

/// Places as points, and a line from each to its nearest legal and control
/// boundary points, for QGIS.
fn features(answers: &[Answer]) -> Vec<Feature> {
    let mut out = Vec::new();
    for a in answers {
        let here = Point::new(a.lon, a.lat);
        let mut p = serde_json::Map::new();
        p.insert("kind".into(), "place".into());
        p.insert("query".into(), a.query.clone().into());
        p.insert("name".into(), a.place.as_ref().map(|p| p.name.clone()).into());
        p.insert("legal_status".into(), a.legal.status.into());
        p.insert("owner".into(), a.legal.key.clone().into());
        p.insert("province".into(), a.province.clone().into());
        p.insert("controller".into(), a.control.key.clone().into());
        p.insert("gap_id".into(), a.gap.as_ref().map(|g| g.id.clone()).into());
        p.insert("legal_line_m".into(), a.legal_line.as_ref().map(|d| (d.distance_m * 10.0).round() / 10.0).into());
        p.insert("control_line_m".into(), a.control_line.as_ref().map(|d| (d.distance_m * 10.0).round() / 10.0).into());
        let id = format!("{}", out.len() + 1);
        out.push(Feature { id, index: out.len(), geometry: Some(Geometry::Point(here)), properties: p });
        for (kind, d) in [("legal_line", &a.legal_line), ("control_line", &a.control_line)] {
            if let Some(d) = d {
                let mut q = serde_json::Map::new();
                q.insert("kind".into(), kind.into());
                q.insert("query".into(), a.query.clone().into());
                q.insert("other".into(), d.other.clone().into());
                q.insert("distance_m".into(), ((d.distance_m * 10.0).round() / 10.0).into());
                q.insert("bearing_deg".into(), ((d.bearing_deg * 10.0).round() / 10.0).into());
                let line = LineString::from(vec![(a.lon, a.lat), (d.point[0], d.point[1])]);
                let id = format!("{}", out.len() + 1);
                out.push(Feature { id, index: out.len(), geometry: Some(Geometry::LineString(line)), properties: q });
            }
        }
    }
    out
}
