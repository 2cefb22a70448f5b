//! `delimit check FILE --role legal|control`

use std::io::Write;
use std::path::PathBuf;

use anyhow::Result;
use clap::Args as ClapArgs;
use delimit::check::{CheckOptions, Severity, check_layer};
use delimit::layer::{Feature, Role};

use super::Outcome;
use super::args::IoArgs;

/// Check a layer's geometry, and for a legal basis, that it is a partition.
///
/// Checks geometry validity and coordinates; for a legal basis, also that
/// the units form a partition (no dual claims, no gaps). Exits 1 when
/// errors are found.
#[derive(Debug, ClapArgs)]
pub(crate) struct Args {
    /// The layer to check; `-` is stdin.
    #[arg(value_name = "FILE")]
    file: PathBuf,
    /// What the layer is: legal, control, settlements, routes or segments.
    #[arg(long, value_name = "ROLE", value_parser = role_parser())]
    role: Role,
    /// Overlaps and gaps smaller than this (m²) are not reported.
    #[arg(long, value_name = "M2", default_value_t = 1.0, value_parser = crate::cli::args::non_negative_number)]
    min_area_m2: f64,
    /// Overlaps and gaps narrower than this (metres) are digitising slivers:
    /// reported as warnings. 1:100k sheets are good to about 50–70 m.
    #[arg(long, value_name = "M", default_value_t = delimit::check::DEFAULT_TOLERANCE_M, value_parser = crate::cli::args::non_negative_number)]
    tolerance_m: f64,
    #[command(flatten)]
    io: IoArgs,
}

/// The roles as clap's possible values: `--help`, completions and
/// `describe` list them.
fn role_parser() -> impl clap::builder::TypedValueParser<Value = Role> {
    use clap::builder::TypedValueParser;
    clap::builder::PossibleValuesParser::new(Role::ALL.map(Role::as_str)).try_map(|s| s.parse::<Role>())
}

pub(crate) fn run(args: Args) -> Result<Outcome> {
    args.io.output.preflight(&[&args.file])?;
    // check reports positions out of lon/lat range as findings.
    let opts = delimit::io::ReadOptions { lenient_coordinates: true, ..args.io.input.read_options(Some(args.role))? };
    let layer = delimit::io::read_layer(&args.file, &opts)?;
    let fields = args.io.input.fields();
    let opts = CheckOptions {
        role: args.role,
        key_field: fields.key_for(args.role).map(|(f, _)| f.to_string()),
        min_area_m2: args.min_area_m2,
        tolerance_m: args.tolerance_m,
    };
    let report = check_layer(&layer, &opts);

    if let Some(path) = &args.io.output.output {
        let points: Vec<Feature> = report
            .problems
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let mut props = serde_json::Map::new();
                props.insert("code".into(), p.code.into());
                props.insert("severity".into(), serde_json::to_value(p.severity)?);
                props.insert("feature".into(), p.feature.clone().into());
                props.insert("other".into(), p.other.clone().into());
                props.insert("message".into(), p.message.clone().into());
                props.insert("area_km2".into(), p.area_km2.into());
                props.insert("width_m".into(), p.width_m.into());
                Ok(Feature {
                    id: format!("problem-{}", i + 1),
                    index: i,
                    geometry: p.location.map(|[x, y]| geo::Point::new(x, y).into()),
                    properties: props,
                })
            })
            .collect::<serde_json::Result<_>>()?;
        crate::cli::verbosity::wrote(&delimit::io::write_layer(
            path,
            "problems",
            &points,
            &[&args.file],
            &delimit::io::WriteOptions {
                style: super::args::default_style("problems", &points),
                ..args.io.output.write_options()
            },
        )?);
    }

    let mut out = args.io.summary_sink();
    if args.io.json {
        let v = serde_json::json!({
            "file": args.file.display().to_string(),
            "provenance": layer.provenance,
            "role": report.role,
            "features": report.features,
            "errors": report.errors(),
            "warnings": report.warnings(),
            "problems": report.problems,
        });
        serde_json::to_writer_pretty(&mut out, &v)?;
        writeln!(out)?;
    } else {
        writeln!(out, "{}: {} features checked as {}", args.file.display(), report.features, args.role)?;
        writeln!(out, "  crs: {}", layer.provenance.crs_line())?;
        for p in &report.problems {
            let sev = match p.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
            };
            let who = match (&p.feature, &p.other) {
                (f, _) if f.is_empty() => String::new(),
                (f, Some(o)) => format!(" [{f} / {o}]"),
                (f, None) => format!(" [{f}]"),
            };
            let at = p.location.map(|[x, y]| format!(" at lon {x:.6} lat {y:.6}")).unwrap_or_default();
            writeln!(out, "  {sev}: {}{who}{at}: {}", p.code, p.message)?;
        }
        writeln!(out, "{} error(s), {} warning(s)", report.errors(), report.warnings())?;
        let provenance =
            delimit::provenance::RunProvenance::new([&layer.provenance], serde_json::Value::Null).to_json();
        crate::cli::verbosity::caveats(&mut out, &provenance)?;
    }
    Ok(if report.errors() > 0 { Outcome::DataErrors } else { Outcome::Ok })
}
