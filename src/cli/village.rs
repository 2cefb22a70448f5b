//! `delimit village`

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Result;
use clap::Args as ClapArgs;
use delimit::layer::{Feature, Role};
use delimit::overlay::GapsOptions;
use delimit::village::{Answer, Context, Unresolved, VillageOptions};
use geo::{Geometry, LineString, Point};
use serde_json::json;

use super::Outcome;
use super::args::{InputArgs, load_or_sample, non_negative};

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
    /// A batch: CSV with a `name` column or `lat` and `lon` columns, or a
    /// point layer (GeoJSON or any GDAL format). Answers keep the file's order.
    #[arg(long, value_name = "FILE")]
    file: Option<PathBuf>,
    /// Only places whose province or legal owner is this (resolves ambiguous names).
    #[arg(long = "in", value_name = "PROVINCE|OWNER")]
    within: Option<String>,
    /// Settlements across the legal line within this many km.
    #[arg(long, value_name = "KM", default_value_t = 5.0)]
    radius: f64,
    /// Legal basis. Default: the embedded sample.
    #[arg(long, value_name = "FILE")]
    legal: Option<PathBuf>,
    #[command(flatten)]
    legal_lines: super::args::LegalLinesArgs,
    /// De facto control. Default: the embedded sample.
    #[arg(long, value_name = "FILE")]
    control: Option<PathBuf>,
    /// Settlements, with names and alternate names. Default: the embedded sample.
    #[arg(long, value_name = "FILE")]
    settlements: Option<PathBuf>,
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
    /// Replace an existing --geojson output.
    #[arg(long)]
    force: bool,
}

/// One query of a batch, with where it came from for messages.
enum Query {
    Name(String),
    At(Point<f64>, String),
}

pub(crate) fn run(args: Args) -> Result<Outcome> {
    non_negative("--radius", args.radius)?;
    if let Some(t) = args.tolerance_m {
        non_negative("--tolerance-m", t)?;
    }
    let inputs: Vec<&Path> = [&args.legal, &args.control, &args.settlements, &args.admin1, &args.file]
        .into_iter()
        .flatten()
        .map(PathBuf::as_path)
        .collect();
    if let Some(o) = &args.geojson {
        delimit::io::Format::from_path(o)?;
        delimit::io::Output::prepare(o, args.force, &inputs)?;
    }
    // Every query is parsed before any work: a bad row fails fast and
    // nothing is written.
    let mut queries: Vec<Query> = args.names.iter().cloned().map(Query::Name).collect();
    for a in &args.at {
        queries.push(Query::At(parse_at(a)?, a.clone()));
    }
    if let Some(f) = &args.file {
        queries.extend(read_batch(f, &args.input)?);
    }
    if queries.is_empty() {
        return Err(delimit::Error::Usage {
            option: "NAME".into(),
            message: "nothing to ask".into(),
            hint: Some("give a name (delimit village Voskepar), --at LAT,LON, or --file points.csv".into()),
        }
        .into());
    }

    // The four layers are read side by side (on the sample, parsing is a
    // third of a single query). Errors are reported in the order the
    // layers are listed, as if read one after the other.
    let load_control = || load_or_sample(args.control.as_deref(), "control.geojson", Role::Control, &args.input, None);
    let control_and_legal = || -> delimit::Result<(delimit::Layer, delimit::Layer)> {
        if args.legal_lines.given() {
            // Polygonising the lines may take its frame from the control layer.
            let control = load_control()?;
            let legal = args.legal_lines.legal(args.legal.as_deref(), &args.input, None, Some(&control))?;
            return Ok((control, legal));
        }
        let (control, legal) = rayon::join(load_control, || args.legal_lines.legal(args.legal.as_deref(), &args.input, None, None));
        Ok((control?, legal?))
    };
    let ((control, legal), (places, admin1)) = match rayon::join(control_and_legal, || {
        rayon::join(
            || load_or_sample(args.settlements.as_deref(), "settlements.geojson", Role::Settlements, &args.input, None),
            || load_or_sample(args.admin1.as_deref(), "admin1.geojson", Role::Legal, &args.input_plain(), None),
        )
    }) {
        (Ok(cl), (Ok(p), Ok(a))) => (cl, (p, a)),
        (Err(e), _) | (_, (Err(e), _)) | (_, (_, Err(e))) => return Err(e.into()),
    };
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

    let mut answers: Vec<Answer> = Vec::with_capacity(queries.len());
    for q in &queries {
        match q {
            Query::Name(n) => match ctx.ask_name_within(n, args.within.as_deref())? {
                Ok(a) => answers.push(a),
                Err(Unresolved::Ambiguous(c)) => {
                    return Err(delimit::Error::Ambiguous { query: n.clone(), candidates: c }.into());
                }
                Err(Unresolved::NotFound(s)) => {
                    return Err(delimit::Error::NoMatch { query: n.clone(), suggestions: s }.into());
                }
            },
            Query::At(p, label) => answers.push(ctx.ask_point(*p, label)?),
        }
    }

    let provenance = json!({
        "tool": format!("delimit {}", env!("CARGO_PKG_VERSION")),
        "inputs": [&legal.provenance, &control.provenance, &places.provenance, &admin1.provenance],
        "tolerance_m": ctx.tolerance_m(),
        "boundary_rule": "a point exactly on a boundary belongs to neither side: status `boundary`, every touching unit listed",
    });
    if let Some(path) = &args.geojson {
        let mut w = delimit::io::WriteOptions::default();
        w.force = args.force;
        w.geojson.metadata = Some(provenance.clone());
        delimit::io::write_layer(path, "village", &features(&answers), &inputs, &w)?;
    }
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &json!({ "answers": answers, "provenance": provenance }))?;
        writeln!(out)?;
    } else {
        super::print_blocks(&mut out, &answers, |o, x| print_answer(o, x))?;
    }
    // The process ends next: freeing the indexes and layers piece by piece
    // would cost a single query a tenth of its time, for memory the
    // kernel takes back at exit anyway.
    std::mem::forget(ctx);
    std::mem::forget((legal, control, places, admin1));
    Ok(Outcome::Ok)
}

impl Args {
    fn input_plain(&self) -> InputArgs {
        // admin1 has no owner field; read it without the role's key check.
        InputArgs { owner_field: "country".into(), ..self.input.clone() }
    }
}

fn parse_at(s: &str) -> delimit::Result<Point<f64>> {
    let bad = |message: String| delimit::Error::Usage {
        option: "--at".into(),
        message,
        hint: Some("give LAT,LON in decimal degrees, latitude first: --at 41.0645,45.0563".into()),
    };
    let (lat, lon) = s.split_once(',').ok_or_else(|| bad(format!("`{s}` is not LAT,LON")))?;
    let num = |t: &str, what: &str| t.trim().parse::<f64>().map_err(|_| bad(format!("{what} `{}` is not a number", t.trim())));
    let (lat, lon) = (num(lat, "latitude")?, num(lon, "longitude")?);
    if !(-90.0..=90.0).contains(&lat) || !(-180.0..=180.0).contains(&lon) {
        return Err(bad(format!("{lat},{lon} is out of range (latitude ±90, longitude ±180)")));
    }
    Ok(Point::new(lon, lat))
}

/// Read a batch file: CSV by its header, anything else as a point layer.
fn read_batch(path: &Path, input: &InputArgs) -> delimit::Result<Vec<Query>> {
    let is_csv = path.extension().and_then(|e| e.to_str()).is_some_and(|e| e.eq_ignore_ascii_case("csv"));
    if !is_csv {
        let layer = delimit::io::read_layer(path, &input.read_options(None)?)?;
        let mut out = Vec::new();
        for f in &layer.features {
            match &f.geometry {
                Some(Geometry::Point(p)) => {
                    let label = f.text(&input.name_field).unwrap_or_else(|| f.id.clone());
                    out.push(Query::At(*p, label));
                }
                _ => {
                    return Err(delimit::Error::Geometry {
                        path: path.to_path_buf(),
                        feature: f.id.clone(),
                        message: "is not a Point".into(),
                        hint: Some("a batch file holds one point per place".into()),
                    });
                }
            }
        }
        return Ok(out);
    }
    let mut rdr = csv::ReaderBuilder::new().flexible(false).from_path(path).map_err(|e| csv_error(path, 1, &e))?;
    let headers: Vec<String> =
        rdr.headers().map_err(|e| csv_error(path, 1, &e))?.iter().map(|h| h.trim().to_lowercase()).collect();
    let col = |names: &[&str]| headers.iter().position(|h| names.contains(&h.as_str()));
    let (name, lat, lon) = (col(&["name"]), col(&["lat", "latitude", "y"]), col(&["lon", "lng", "longitude", "x"]));
    if name.is_none() && (lat.is_none() || lon.is_none()) {
        return Err(delimit::Error::BadRow {
            path: path.to_path_buf(),
            line: 1,
            message: format!("the header ({}) has neither `name` nor `lat` and `lon`", headers.join(", ")),
            hint: Some("first line: name  or  lat,lon  (optionally with name as a label)".into()),
        });
    }
    let mut out = Vec::new();
    for (i, rec) in rdr.records().enumerate() {
        let line = i + 2;
        let rec = rec.map_err(|e| csv_error(path, line, &e))?;
        let get = |c: Option<usize>| c.and_then(|c| rec.get(c)).map(str::trim).filter(|s| !s.is_empty());
        match (get(lat), get(lon)) {
            (Some(a), Some(b)) => {
                let p = parse_at(&format!("{a},{b}")).map_err(|e| delimit::Error::BadRow {
                    path: path.to_path_buf(),
                    line,
                    message: e.to_string().replace("invalid value for --at: ", ""),
                    hint: None,
                })?;
                out.push(Query::At(p, get(name).map_or_else(|| format!("{a},{b}"), str::to_string)));
            }
            (None, None) if get(name).is_some() => out.push(Query::Name(get(name).unwrap_or_default().to_string())),
            _ => {
                return Err(delimit::Error::BadRow {
                    path: path.to_path_buf(),
                    line,
                    message: "needs a name, or both lat and lon".into(),
                    hint: None,
                });
            }
        }
    }
    Ok(out)
}

fn csv_error(path: &Path, line: usize, e: &csv::Error) -> delimit::Error {
    let line = e.position().map_or(line, |p| p.line() as usize);
    delimit::Error::BadRow { path: path.to_path_buf(), line, message: format!("not valid CSV: {e}"), hint: None }
}

fn km(m: f64) -> String {
    if m < 1000.0 { format!("{m:.0} m") } else { format!("{:.2} km", m / 1000.0) }
}

fn print_answer(out: &mut dyn Write, a: &Answer) -> std::io::Result<()> {
    match &a.place {
        Some(p) => {
            writeln!(out, "{} (settlement id {}; matched by {:?})", p.name, p.id, p.matched_by)?;
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
    writeln!(out, "  position:     {:.5}°N {:.5}°E", a.lat, a.lon)?;
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
        writeln!(out, "  province:     {p}{}", a.province_iso.as_deref().map(|i| format!(" ({i})")).unwrap_or_default())?;
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
        Some(g) => writeln!(
            out,
            "  gap:          {} (legally {}, held by {}), {:.3} km²{}",
            g.id,
            g.owner.as_deref().unwrap_or("?"),
            g.controller.as_deref().unwrap_or("?"),
            g.area_km2,
            if g.sliver { ", a sliver" } else { "" }
        )?,
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
            "  nearest area held by another party: {} (legally {}, held by {}, {:.3} km²), {} bearing {:.0}° ({})",
            g.id,
            g.owner.as_deref().unwrap_or("?"),
            g.controller.as_deref().unwrap_or("?"),
            g.area_km2,
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
                    x.controller.as_deref().filter(|c| Some(*c) != x.owner.as_deref()).map(|c| format!(", held by {c}")).unwrap_or_default(),
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
