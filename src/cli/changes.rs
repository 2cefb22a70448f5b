//! `delimit changes`

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Result;
use clap::Args as ClapArgs;
use delimit::changes::{ChangesOptions, ChangesResult, Rest, changes_streamed};
use delimit::layer::Role;
use serde_json::json;

use super::Outcome;
use super::args::{IoArgs, SettlementsArgs, load_or_sample};
use super::series::{Series, date_option, series_files};
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
/// date, the km² of each owner's legal territory held by each party.
///
/// Each period compares the two snapshots' edges on one grid and overlays
/// only boxes around the edges that differ, so the work grows with the
/// change, not with the snapshot. The identity held(t2) = held(t1) +
/// gained − lost holds by owner and party; it is checked against each
/// window's own overlay of the first date, and the last date is overlaid
/// whole and must agree with the first plus every change, to 1e-9 of the
/// owner's legal area. A failure exits 1 naming the period, owner and party.
/// Areas are reported with each input vertex where the input has it (only
/// the crossings the overlay made stay on the grid); the checks run on the
/// grid, where every overlay's pieces add up exactly.
///
/// -o writes one feature per piece that changed controller: id, from_date,
/// to_date, owner, legal_unit, controller_before, controller_after
/// (`-`: no one; `A|B`: contested), area_km2, width_m, sliver (narrower
/// than --tolerance-m: a redigitised line, never dropped), admin1 (the
/// admin-1 units it lies in) and settlements.
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
    #[arg(long, num_args = 2, value_names = ["DATE1", "DATE2"], action = clap::ArgAction::Set)]
    between: Option<Vec<String>>,
    /// Leave out snapshots before this date.
    #[arg(long, value_name = "DATE")]
    since: Option<String>,
    /// Pieces narrower than this (metres) are flagged as slivers. Default:
    /// the inputs' positional_accuracy_m, else 100.
    #[arg(long, value_name = "M", value_parser = crate::cli::args::non_negative_number)]
    tolerance_m: Option<f64>,
    /// Repair invalid inputs instead of refusing them.
    #[arg(long)]
    repair: bool,
    /// Also write the held series as a flat table (date, owner, party, km2).
    #[arg(help_heading = crate::cli::describe::OUTPUT_HEADING, long, value_name = "FILE")]
    csv_series: Option<PathBuf>,
    #[command(flatten)]
    places: SettlementsArgs,
    /// Admin-1 units (polygons with `name`) to name in the `admin1` field of
    /// each change. Default: the embedded sample's provinces and districts.
    #[arg(long, value_name = "FILE")]
    admin1: Option<PathBuf>,
    /// Do not look up settlements in the changed pieces.
    #[arg(long, conflicts_with = "settlements")]
    no_settlements: bool,
    #[command(flatten)]
    io: IoArgs,
}

pub(crate) fn run(args: Args) -> Result<Outcome> {
    let between = match &args.between {
        Some(v) => {
            let (a, b) = (date_option("--between", &v[0])?, date_option("--between", &v[1])?);
            if a == b {
                return Err(delimit::Error::Usage {
                    option: "--between".into(),
                    message: format!("both dates are {a}: a period needs two dates"),
                    hint: Some("give the earlier and the later date: --between 2024-01-01 2024-04-01".into()),
                }
                .into());
            }
            Some((a, b))
        }
        None => None,
    };
    if let Some(c) = &args.controller {
        // `-` is how delimit writes "held by no one".
        let problem = delimit::io::party_code_problem(c)
            .or_else(|| (c.trim() == "-").then(|| "is `-`, which delimit writes for \"held by no one\"".to_string()));
        if let Some(problem) = problem {
            return Err(delimit::Error::Usage {
                option: "--controller".into(),
                message: format!("the code {problem}"),
                hint: Some("give one party's code, as the control files write it (ARM, AZE, …)".into()),
            }
            .into());
        }
    }
    let since = args.since.as_deref().map(|s| date_option("--since", s)).transpose()?;
    let files: Vec<PathBuf> = match &args.series {
        Some(s) => series_files(s)?,
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
    inputs.extend(args.admin1.as_deref());
    args.io.output.preflight(&inputs)?;
    if let Some(c) = &args.csv_series {
        delimit::io::Output::prepare(c, args.io.output.force, &inputs)?;
    }

    let legal = load_or_sample(args.legal.as_deref(), "legal.geojson", Role::Legal, &args.io.input, None)?;
    // With --controller, a snapshot may have no controller field at all.
    let read = delimit::io::ReadOptions {
        key_optional: args.controller.is_some(),
        ..args.io.input.read_options(Some(Role::Control))?
    };
    let single = args.series.as_deref().is_some_and(|s| !super::series::is_glob(s));
    let series = Series::read(&files, single, &read, &args.time_field)?;
    // Snapshots are read in date order, one per period: the count read is
    // the share of the work done.
    let read_so_far = std::sync::atomic::AtomicUsize::new(0);
    let total = series.dated.len().max(1);
    let load = |k: usize| {
        let n = read_so_far.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        super::verbosity::progress(
            "overlaying the legal basis with each snapshot…",
            Some(100.0 * n as f64 / total as f64),
        );
        series.load(k, &read)
    };
    let settlements = if args.no_settlements { None } else { args.places.load_for(&args.io.input, &legal)? };
    let rest = if args.rest == "owner" { Rest::Owner } else { Rest::Unassigned };
    let opts = ChangesOptions {
        gaps: args.io.input.gaps_options(args.tolerance_m, args.repair),
        controller: args.controller.clone(),
        rest,
        between,
        since,
    };
    let step = super::verbosity::Step::start("overlaying the legal basis with each snapshot…");
    let mut r = changes_streamed(&legal, &series.dated, &load, settlements.as_ref(), &opts)?;
    let admin_input = args.io.input.with_owner_field("country");
    let admin1 = super::args::sample_within(
        load_or_sample(args.admin1.as_deref(), "admin1.geojson", Role::Legal, &admin_input, None)?,
        args.admin1.is_some(),
        &legal,
        "--admin1",
    );
    if let Some(a) = &admin1 {
        delimit::changes::name_admin1(&mut r, a);
    }
    drop(step);

    let mut provs: Vec<&delimit::layer::Provenance> = vec![&legal.provenance];
    provs.extend(series.provenance.iter());
    provs.extend(settlements.as_ref().map(|s| &s.provenance));
    provs.extend(admin1.as_ref().map(|a| &a.provenance));
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
    let written = args.io.output.write("changes", || delimit::changes::features(&r), &inputs, &provenance)?;
    if let Some(c) = &args.csv_series {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(["date", "owner", "party", "km2"])?;
        for h in &r.held {
            let cell =
                |s: &'_ str| if args.io.output.csv_raw { s.to_string() } else { delimit::io::csv_cell(s).into_owned() };
            w.write_record([h.date.clone(), cell(&h.owner), cell(&h.party), format!("{:.6}", h.km2)])?;
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
            "work": r.work,
            "identity": { "worst": r.worst_identity, "tolerance": delimit::changes::IDENTITY_TOLERANCE, "of": "the owner's legal area" },
            "assumption": assumption,
            "provenance": provenance,
            "features_written": written,
        });
        serde_json::to_writer_pretty(&mut out, &v)?;
        writeln!(out)?;
    } else {
        if let Some(s) = args.series.as_deref().filter(|s| super::series::is_glob(s)) {
            // Every file that matched was read, or the run was refused.
            writeln!(out, "series: {} file(s) match `{s}`, all read", files.len())?;
        }
        print(&mut out, &r, assumption)?;
        super::verbosity::caveats(&mut out, &provenance)?;
    }
    Ok(Outcome::Ok)
}

fn print(out: &mut dyn Write, r: &ChangesResult, assumption: Option<&str>) -> std::io::Result<()> {
    if r.dates.len() <= 8 {
        let dates: Vec<String> = r.dates.iter().map(|(d, from)| format!("{d} ({from})")).collect();
        writeln!(out, "snapshots: {}", dates.join(", "))?;
    } else {
        // A long series: its span, and where the dates came from.
        let mut from: Vec<&str> = r.dates.iter().map(|(_, f)| f.as_str()).collect();
        from.sort_unstable();
        from.dedup();
        writeln!(
            out,
            "snapshots: {}, {} to {} (dates from {})",
            r.dates.len(),
            r.dates[0].0,
            r.dates[r.dates.len() - 1].0,
            from.join(", ")
        )?;
    }
    writeln!(out, "sliver tolerance: {} m", r.tolerance_m)?;
    if r.unchanged_periods > 0 {
        writeln!(out, "{} period(s) with identical snapshots: no change, not overlaid again", r.unchanged_periods)?;
    }
    if r.work.edges_compared > 0 {
        writeln!(
            out,
            "edges compared: {}; changed: {} ({:.2}%); overlaid in {} window(s): {} vertices",
            r.work.edges_compared,
            r.work.edges_changed,
            100.0 * r.work.edges_changed as f64 / r.work.edges_compared as f64,
            r.work.windows,
            r.work.edges_overlaid
        )?;
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
    writeln!(out, "held series, km² of each owner's legal territory held by another party (`-`: by no one):")?;
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
