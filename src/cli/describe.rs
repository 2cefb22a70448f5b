//! `delimit describe`: every command and its parameters, read from the clap
//! command tree itself, for front ends that build their dialogs from it
//! (the QGIS Processing provider in qgis-plugin/). Because it is read from
//! the same tree that parses the command line, it cannot drift from it.

use std::io::Write;

use anyhow::Result;
use clap::{ArgAction, Args as ClapArgs, CommandFactory};
use serde_json::{Value, json};

use super::{Cli, Outcome};

/// Describe every command and its parameters (for front ends).
///
/// For each command: its name, summary and help, and for each parameter
/// its flag, kind, value name, default, choices, numeric range, whether
/// it is required or repeatable, how many values it takes, and what it
/// conflicts with. Kinds: flag,
/// count, integer, number, choice, layer (a vector file), table (a vector
/// file or a table without geometry), raster, file,
/// output (a file the run writes), folder, field, date, point (LAT,LON),
/// crs, text. Ranges are found by asking the parser itself.
#[derive(Debug, ClapArgs)]
pub(crate) struct Args {
    /// JSON on stdout (the only form so far; kept for the interface's sake).
    #[arg(long)]
    json: bool,
}

pub(crate) fn run(_args: Args) -> Result<Outcome> {
    let mut out = std::io::stdout().lock();
    // As a string first: a closed pipe is then an io::Error, which main
    // takes as the reader having had enough.
    writeln!(out, "{}", serde_json::to_string_pretty(&describe())?)?;
    Ok(Outcome::Ok)
}

/// The description of the whole command-line interface.
pub(crate) fn describe() -> Value {
    let mut cli = Cli::command();
    cli.build();
    let globals: Vec<Value> = cli.get_arguments().filter(|a| listed(a)).map(|a| parameter(&cli, &[], a)).collect();
    let mut commands = Vec::new();
    for sub in cli.get_subcommands().filter(|c| c.get_name() != "help") {
        walk(&cli, sub, &mut vec![sub.get_name().to_string()], &mut commands);
    }
    json!({
        "tool": "delimit",
        "version": env!("CARGO_PKG_VERSION"),
        "globals": globals,
        "commands": commands,
    })
}

/// Commands that only serve the shell, not an analysis.
const NOT_ANALYSES: [&str; 4] = ["completions", "man", "describe", "data"];

fn walk(root: &clap::Command, cmd: &clap::Command, path: &mut Vec<String>, out: &mut Vec<Value>) {
    if cmd.has_subcommands() {
        for sub in cmd.get_subcommands().filter(|c| c.get_name() != "help") {
            path.push(sub.get_name().to_string());
            walk(root, sub, path, out);
            path.pop();
        }
        return;
    }
    let parameters: Vec<Value> =
        cmd.get_arguments().filter(|a| listed(a) && !a.is_global_set()).map(|a| parameter(root, path, a)).collect();
    out.push(json!({
        "name": path.join("_"),
        "argv": path,
        "analysis": !NOT_ANALYSES.contains(&path[0].as_str()),
        "summary": cmd.get_about().map(|s| s.to_string()),
        "help": cmd.get_long_about().or(cmd.get_about()).map(|s| s.to_string()),
        "parameters": parameters,
    }));
}

/// Help and version are clap's own; hidden flags are not offered.
fn listed(a: &clap::Arg) -> bool {
    !matches!(a.get_action(), ArgAction::Help | ArgAction::HelpShort | ArgAction::HelpLong | ArgAction::Version)
        && !a.is_hide_set()
}

fn parameter(root: &clap::Command, path: &[String], a: &clap::Arg) -> Value {
    let takes_value = !matches!(a.get_action(), ArgAction::SetTrue | ArgAction::SetFalse | ArgAction::Count);
    let value_names: Vec<String> =
        a.get_value_names().unwrap_or_default().iter().map(|s| s.to_string()).filter(|_| takes_value).collect();
    let value_name = value_names.first().cloned();
    let choices: Vec<String> = a.get_possible_values().iter().map(|p| p.get_name().to_string()).collect();
    let kind = kind(a, value_name.as_deref(), !choices.is_empty());
    let range = match kind {
        "integer" => integer_range(root, path, a),
        "number" => number_range(root, path, a),
        _ => None,
    };
    let repeatable = matches!(a.get_action(), ArgAction::Append);
    // Values per occurrence: 2 for --between DATE1 DATE2; positional lists
    // take any number (null).
    let values = match a.get_num_args() {
        Some(r) if r.max_values() == usize::MAX => Value::Null,
        Some(r) => json!(r.max_values()),
        None => json!(1),
    };
    let defaults: Vec<String> = a.get_default_values().iter().map(|d| d.to_string_lossy().into_owned()).collect();
    json!({
        "id": a.get_id().as_str(),
        "flag": a.get_long().map(|l| format!("--{l}")),
        "short": a.get_short().map(|s| format!("-{s}")),
        "positional": a.is_positional(),
        "kind": kind,
        "value_name": value_name,
        "help": a.get_help().map(|s| s.to_string()),
        "long_help": a.get_long_help().map(|s| s.to_string()),
        "default": defaults.first(),
        "choices": choices,
        "min": range.as_ref().map(|r| r.0.clone()),
        "min_exclusive": range.as_ref().is_some_and(|r| r.1),
        "max": range.as_ref().and_then(|r| r.2.clone()),
        "required": a.is_required_set(),
        "repeatable": repeatable,
        "values": values,
        "value_names": value_names,
        "heading": a.get_help_heading(),
        "conflicts_with": conflicts(root, path, a),
        "role": (kind == "layer").then(|| layer_role(a.get_id().as_str())).flatten(),
    })
}

/// The role a layer parameter is read for (what `--status ROLE=…` names):
/// a flag named after its role (`--legal`, `--control`, `--settlements`,
/// `--routes`, `--segments`), and `--series`, whose snapshots are control.
fn layer_role(id: &str) -> Option<&'static str> {
    match id {
        "series" => Some(delimit::layer::Role::Control.as_str()),
        _ => id.parse::<delimit::layer::Role>().ok().map(|r| r.as_str()),
    }
}

/// What a parameter holds, from its action, its parser's type and its
/// value name (the names the help shows: FILE, FIELD, DATE, LAT,LON…).
fn kind(a: &clap::Arg, value_name: Option<&str>, has_choices: bool) -> &'static str {
    match a.get_action() {
        ArgAction::SetTrue | ArgAction::SetFalse => return "flag",
        ArgAction::Count => return "count",
        _ => {}
    }
    if has_choices {
        return "choice";
    }
    let t = a.get_value_parser().type_id();
    let is = |id: std::any::TypeId| t == id;
    use std::any::TypeId;
    if is(TypeId::of::<f64>()) {
        return "number";
    }
    if [TypeId::of::<u32>(), TypeId::of::<u64>(), TypeId::of::<usize>(), TypeId::of::<i64>(), TypeId::of::<u8>()]
        .into_iter()
        .any(is)
        && value_name != Some("SIZE")
    {
        return "integer";
    }
    let output = a.get_help_heading() == Some(OUTPUT_HEADING);
    match value_name {
        Some("FILE") if output => "output",
        Some("DIR") if output => "output_folder",
        Some("FILE" | "FILE|GLOB") => "layer",
        Some("RASTER") if output => "output_raster",
        Some("RASTER") => "raster",
        Some("TABLE") => "table",
        Some("TOML") => "file",
        Some("DIR") => "folder",
        Some("FIELD") => "field",
        Some("DATE") => "date",
        Some("LAT,LON") => "point",
        Some("CRS") => "crs",
        _ => "text",
    }
}

/// The help heading of every flag that names a file the run writes.
pub(crate) const OUTPUT_HEADING: &str = "Output";

/// Whether the parser accepts `value` for this argument: the whole command
/// line is parsed, and only a rejection of this value counts.
fn accepts(root: &clap::Command, path: &[String], a: &clap::Arg, value: &str) -> bool {
    let mut argv: Vec<String> = vec!["delimit".into()];
    argv.extend(path.iter().cloned());
    match a.get_long() {
        Some(l) => argv.push(format!("--{l}={value}")),
        None => argv.push(value.to_string()),
    }
    match root.clone().try_get_matches_from(argv) {
        Ok(_) => true,
        Err(e) => !matches!(e.kind(), clap::error::ErrorKind::ValueValidation | clap::error::ErrorKind::InvalidValue),
    }
}

/// (min, min exclusive, max) of an integer parameter, by bisection on its parser.
fn integer_range(root: &clap::Command, path: &[String], a: &clap::Arg) -> Option<(Value, bool, Option<Value>)> {
    const LIMIT: i64 = 1 << 40;
    let ok = |v: i64| accepts(root, path, a, &v.to_string());
    let default: i64 = a.get_default_values().first().and_then(|d| d.to_str()?.parse().ok()).unwrap_or(1);
    if !ok(default) {
        return None;
    }
    // The smallest accepted value: the parser accepts one interval.
    let bound = |mut inside: i64, mut outside: i64| {
        while (inside - outside).abs() > 1 {
            let mid = inside + (outside - inside) / 2;
            if ok(mid) { inside = mid } else { outside = mid }
        }
        inside
    };
    let min = if ok(-LIMIT) { None } else { Some(bound(default, -LIMIT)) };
    let max = if ok(LIMIT) { None } else { Some(bound(default, LIMIT)) };
    Some((min.map_or(Value::Null, Value::from), false, max.map(Value::from)))
}

/// The lower bound of a number parameter: 0, inclusive or not, when the
/// parser refuses negative values.
fn number_range(root: &clap::Command, path: &[String], a: &clap::Arg) -> Option<(Value, bool, Option<Value>)> {
    if accepts(root, path, a, "-1") {
        return None;
    }
    Some((json!(0.0), !accepts(root, path, a, "0"), None))
}

fn conflicts(root: &clap::Command, path: &[String], a: &clap::Arg) -> Vec<String> {
    let mut cmd = root;
    for p in path {
        match cmd.find_subcommand(p) {
            Some(c) => cmd = c,
            None => return Vec::new(),
        }
    }
    // get_arg_conflicts_with panics on an argument the command does not
    // hold (a global seen from the root).
    if !cmd.get_arguments().any(|x| x.get_id() == a.get_id()) || path.is_empty() {
        return Vec::new();
    }
    let mut v: Vec<String> =
        cmd.get_arg_conflicts_with(a).iter().filter_map(|c| c.get_long().map(|l| format!("--{l}"))).collect();
    v.sort();
    v.dedup();
    v
}
