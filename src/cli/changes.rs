//! `delimit changes`

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Result;
use clap::Args as ClapArgs;
use delimit::changes::{ChangesOptions, ChangesResult, Rest, Snapshot, changes, order, parse_date};
use delimit::layer::Role;
use serde_json::json;

use super::Outcome;
use super::args::{IoArgs, SettlementsArgs, load_or_sample, non_negative};
use super::table::{area_km2, render};

/// What changed hands between control snapshots, when, from whom to whom,
/// and whose legal territory it was
///
/// Takes a legal basis (default: the embedded sample) and a series of
/// control snapshots: --control repeated (one file per date), or --series
/// (one file split by --time-field, or a glob of files, one per date). A
/// file's date is its features' --time-field, else the first YYYY-MM-DD or
/// YYYYMMDD in its name.
///
/// Prints, per period, the km² each party gained (from whom) and lost (to
/// whom) of each owner's legal territory, and the held series: for each
/// date, the km² of each owner's legal territory held by each party. The
/// identity held(t2) = held(t1) + gained − lost is checked for every
/// period, owner and party against the two dates' own overlays, to 1e-9 of
/// the owner's legal area; a failure exits 1 naming them.
///
/// -o writes one feature per piece that changed controller: id, from_date,
/// to_date, owner, legal_unit, controller_before, controller_after
/// (`-`: no one; `A|B`: contested), area_km2, width_m, sliver (narrower
/// than --tolerance-m: a redigitised line, never dropped) and settlements.
#[derive(Debug, ClapArgs)]
pub(crate) struct Args {
    /// Legal basis (polygons with an owner field). Default: the embedded sample.
    #[arg(long, value_name = "FILE")]
    legal: Option<PathBuf>,
    /// One control snapshot (repeatable), dated by its --time-field, else
    /// by the date in its file name.
    #[arg(long = "control", value_name = "FILE")]
    controls: Vec<PathBuf>,
    /// A series: one file with several dates in --time-field, or a glob of
    /// files, one per date ('positions/*.geojson'; quote it).
    #[arg(long, value_name = "FILE|GLOB", conflicts_with = "controls")]
    series: Option<String>,
    /// Field holding each snapshot's date (YYYY-MM-DD).
    #[arg(long, value_name = "FIELD", default_value = "as_of")]
    time_field: String,
    /// Controller of every control feature that has none (partial
    /// snapshots: one party's positions, no fields).
    #[arg(long = "controller", value_name = "CODE")]
    controller: Option<String>,
    /// What legal area no control polygon covers counts as: `unassigned`
    /// (held by no one: what the data says) or `owner` (held by its legal
    /// owner: an assumption, stated in every output).
    #[arg(long, value_name = "RULE", default_value = "unassigned", value_parser = ["unassigned", "owner"])]
    rest: String,
    /// Compare these two dates directly, skipping the snapshots between.
    #[arg(long, num_args = 2, value_names = ["DATE1", "DATE2"])]
    between: Option<Vec<String>>,
    /// Leave out snapshots before this date.
    #[arg(long, value_name = "DATE")]
    since: Option<String>,
    /// Pieces narrower than this (metres) are flagged as slivers. Default:
    /// the inputs' positional_accuracy_m, else 100.
    #[arg(long, value_name = "M")]
    tolerance_m: Option<f64>,
    /// Repair invalid inputs instead of refusing them.
    #[arg(long)]
    repair: bool,
    /// Also write the held series as a flat table (date, owner, party, km2).
    #[arg(long, value_name = "FILE")]
    csv_series: Option<PathBuf>,
    #[command(flatten)]
    places: SettlementsArgs,
    /// Do not look up settlements in the changed pieces.
    #[arg(long, conflicts_with = "settlements")]
    no_settlements: bool,
    #[command(flatten)]
    io: IoArgs,
}

/// Files matching a glob whose wildcards (`*`, `?`) are in the file name.
fn expand(pattern: &str) -> Result<Vec<PathBuf>, delimit::Error> {
    let p = Path::new(pattern);
    let dir = p.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    fn matches(pat: &[u8], s: &[u8]) -> bool {
        match (pat.first(), s.first()) {
            (None, None) => true,
            (Some(b'*'), _) => matches(&pat[1..], s) || (!s.is_empty() && matches(pat, &s[1..])),
            (Some(b'?'), Some(_)) => matches(&pat[1..], &s[1..]),
            (Some(a), Some(b)) if a == b => matches(&pat[1..], &s[1..]),
            _ => false,
        }
    }
    let entries = std::fs::read_dir(dir).map_err(|e| delimit::Error::Usage {
        option: "--series".into(),
        message: format!("cannot list {}: {e}", dir.display()),
        hint: Some("the wildcards may only be in the file name: --series 'positions/*.geojson'".into()),
    })?;
    let mut out: Vec<PathBuf> = entries
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .filter(|e| matches(name.as_bytes(), e.file_name().to_string_lossy().as_bytes()))
        .map(|e| e.path())
        .collect();
    out.sort();
    if out.is_empty() {
        return Err(delimit::Error::Usage {
            option: "--series".into(),
            message: format!("no file matches `{pattern}`"),
            hint: Some("quote the pattern so the shell does not expand it: --series 'positions/*.geojson'".into()),
        });
    }
    Ok(out)
}

fn date_option(option: &str, s: &str) -> Result<String, delimit::Error> {
    parse_date(s).ok_or_else(|| delimit::Error::Usage {
        option: option.into(),
        message: format!("`{s}` is not a date"),
        hint: Some("dates are YYYY-MM-DD".into()),
    })
}

pub(crate) fn run(args: Args) -> Result<Outcome> {
    if let Some(t) = args.tolerance_m {
        non_negative("--tolerance-m", t)?;
    }
    let between = match &args.between {
        Some(v) => Some((date_option("--between", &v[0])?, date_option("--between", &v[1])?)),
        None => None,
    };
    let since = args.since.as_deref().map(|s| date_option("--since", s)).transpose()?;
    let files: Vec<PathBuf> = match &args.series {
        Some(s) if s.contains(['*', '?']) => expand(s)?,
        Some(s) => vec![PathBuf::from(s)],
        None => args.controls.clone(),
    };
    if files.is_empty() {
        return Err(delimit::Error::Usage {
            option: "--control".into(),
            message: "no control snapshots given".into(),
            hint: Some("give --control FILE for each date, or --series FILE|GLOB".into()),
        }
        .into());
    }
    let mut inputs: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
    inputs.extend(args.legal.as_deref());
    inputs.extend(args.places.settlements.as_deref());
    args.io.output.preflight(&inputs)?;
    if let Some(c) = &args.csv_series {
        delimit::io::Output::prepare(c, args.io.output.force, &inputs)?;
    }

    let legal = load_or_sample(args.legal.as_deref(), "legal.geojson", Role::Legal, &args.io.input, None)?;
    let mut snaps: Vec<Snapshot> = Vec::new();
    let single_series = args.series.as_deref().is_some_and(|s| !s.contains(['*', '?']));
    // With --controller, a snapshot may have no controller field at all.
    let read = delimit::io::ReadOptions {
        key_optional: args.controller.is_some(),
        ..args.io.input.read_options(Some(Role::Control))?
    };
    for f in &files {
        let layer = delimit::io::read_layer(f, &read)?;
        if single_series {
            snaps.extend(delimit::changes::split_series(layer, &args.time_field)?);
        } else {
            snaps.push(delimit::changes::snapshot_of_file(layer, &args.time_field)?);
        }
    }
    let snaps = order(snaps)?;
    let settlements = if args.no_settlements { None } else { Some(args.places.load(&args.io.input)?) };
    let rest = if args.rest == "owner" { Rest::Owner } else { Rest::Unassigned };
    let opts = ChangesOptions {
        gaps: args.io.input.gaps_options(args.tolerance_m, args.repair),
        controller: args.controller.clone(),
        rest,
        between,
        since,
    };
    let step = super::verbosity::Step::start("overlaying the legal basis with each snapshot…");
    let r = changes(&legal, &snaps, settlements.as_ref(), &opts)?;
    drop(step);

    let mut provs: Vec<&delimit::layer::Provenance> = vec![&legal.provenance];
    let mut seen = std::collections::BTreeSet::new();
    for s in &snaps {
        if seen.insert(s.layer.provenance.path.clone()) {
            provs.push(&s.layer.provenance);
        }
    }
    provs.extend(settlements.as_ref().map(|s| &s.provenance));
    let assumption = (rest == Rest::Owner).then_some(
        "--rest owner: legal area that no control polygon covers is counted as held by its legal owner (an assumption, not data)",
    );
    let provenance = delimit::provenance::RunProvenance::new(
        provs,
        json!({
            "tolerance_m": r.tolerance_m,
            "time_field": args.time_field,
            "dates": r.dates.iter().map(|(d, from)| json!({ "date": d, "from": from })).collect::<Vec<_>>(),
            "rest": args.rest,
            "assumption": assumption,
            "controller_for_unlabelled": args.controller,
        }),
    )
    .to_json();
    let written = args.io.output.write("changes", || features(&r), &inputs, &provenance)?;
    if let Some(c) = &args.csv_series {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(["date", "owner", "party", "km2"])?;
        for h in &r.held {
            w.write_record([h.date.as_str(), &h.owner, &h.party, &format!("{:.6}", h.km2)])?;
        }
        let bytes = w.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?;
        delimit::io::write_file(c, &bytes, args.io.output.force, &inputs)?;
        super::verbosity::detail!("wrote the held series to {}", c.display());
    }
    let mut out = args.io.summary_sink();
    if args.io.json {
        let v = json!({
            "dates": r.dates.iter().map(|(d, from)| json!({ "date": d, "from": from })).collect::<Vec<_>>(),
            "periods": r.periods,
            "held": r.held,
            "changes": r.changes.len(),
            "unchanged_periods": r.unchanged_periods,
            "identity": { "worst": r.worst_identity, "tolerance": delimit::changes::IDENTITY_TOLERANCE, "of": "the owner's legal area" },
            "assumption": assumption,
            "provenance": provenance,
            "features_written": written,
        });
        serde_json::to_writer_pretty(&mut out, &v)?;
        writeln!(out)?;
    } else {
        print(&mut out, &r, assumption)?;
        super::verbosity::caveats(&mut out, &provenance)?;
    }
    Ok(Outcome::Ok)
}

fn features(r: &ChangesResult) -> Vec<delimit::Feature> {
    r.changes
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let mut p = serde_json::Map::new();
            p.insert("id".into(), c.id.clone().into());
            p.insert("from_date".into(), c.from_date.clone().into());
            p.insert("to_date".into(), c.to_date.clone().into());
            p.insert("owner".into(), c.owner.clone().into());
            p.insert("legal_unit".into(), c.legal_unit.clone().into());
            p.insert("controller_before".into(), c.controller_before.clone().into());
            p.insert("controller_after".into(), c.controller_after.clone().into());
            p.insert("area_km2".into(), ((c.area_m2 / 1e6 * 1e6).round() / 1e6).into());
            p.insert("width_m".into(), ((c.width_m * 10.0).round() / 10.0).into());
            p.insert("sliver".into(), c.sliver.into());
            p.insert("settlements".into(), c.settlements.join("; ").into());
            delimit::Feature { id: c.id.clone(), index: i, geometry: Some(c.geometry.clone().into()), properties: p }
        })
        .collect()
}

fn print(out: &mut dyn Write, r: &ChangesResult, assumption: Option<&str>) -> std::io::Result<()> {
    let dates: Vec<String> = r.dates.iter().map(|(d, from)| format!("{d} ({from})")).collect();
    writeln!(out, "snapshots: {}", dates.join(", "))?;
    writeln!(out, "sliver tolerance: {} m", r.tolerance_m)?;
    if r.unchanged_periods > 0 {
        writeln!(out, "{} period(s) with identical snapshots: no change, not overlaid again", r.unchanged_periods)?;
    }
    writeln!(out)?;
    // Periods: only rows where something moved.
    let rows: Vec<Vec<String>> = r
        .periods
        .iter()
        .filter(|p| p.gained_km2 > 0.0 || p.lost_km2 > 0.0)
        .map(|p| {
            let list = |m: &std::collections::BTreeMap<String, f64>| {
                m.iter().map(|(k, v)| format!("{k} {}", area_km2(*v))).collect::<Vec<_>>().join(", ")
            };
            vec![
                format!("{} → {}", p.from_date, p.to_date),
                p.owner.clone(),
                p.party.clone(),
                area_km2(p.held_before_km2),
                area_km2(p.gained_km2),
                area_km2(p.lost_km2),
                area_km2(p.gained_km2 - p.lost_km2),
                area_km2(p.held_after_km2),
                if p.gained_km2 > 0.0 { format!("from {}", list(&p.gained_from)) } else { String::new() },
                if p.lost_km2 > 0.0 { format!("to {}", list(&p.lost_to)) } else { String::new() },
            ]
        })
        .collect();
    if rows.is_empty() {
        writeln!(out, "no piece changed controller")?;
    } else {
        writeln!(out, "changes of control, km² of the owner's legal territory:")?;
        writeln!(
            out,
            "{}",
            render(
                &[
                    "period",
                    "owner",
                    "party",
                    "held before km²",
                    "gained km²",
                    "lost km²",
                    "net km²",
                    "held after km²",
                    "gained",
                    "lost"
                ],
                &[false, false, false, true, true, true, true, true, false, false],
                &rows
            )
        )?;
    }
    writeln!(out)?;
    writeln!(out, "held series, km² of each owner's legal territory held by another party:")?;
    let rows: Vec<Vec<String>> = r
        .held
        .iter()
        .filter(|h| h.party != h.owner)
        .map(|h| vec![h.date.clone(), h.owner.clone(), h.party.clone(), area_km2(h.km2)])
        .collect();
    writeln!(out, "{}", render(&["date", "owner", "held by", "km²"], &[false, false, false, true], &rows))?;
    writeln!(out)?;
    writeln!(
        out,
        "identity held(t2) = held(t1) + gained − lost: worst deviation {:.1e} of the owner's legal area (limit {:e})",
        r.worst_identity,
        delimit::changes::IDENTITY_TOLERANCE
    )?;
    if let Some(a) = assumption {
        writeln!(out, "note: ASSUMPTION {a}")?;
    }
    Ok(())
}
