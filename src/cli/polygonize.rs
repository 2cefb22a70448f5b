//! `delimit polygonize`

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Result;
use clap::Args as ClapArgs;
use delimit::layer::{Feature, Role};
use geo::{Geometry, Point};
use serde_json::json;

use super::Outcome;
use super::args::{IoArgs, LegalLinesArgs, load_or_sample};

/// Build the legal polygons from digitised boundary lines, to inspect them before use.
///
/// The lines (with the owner on their left and on their right) and the
/// frame are noded together and the faces built; each face takes the owner
/// its bounding lines name. Snapped endpoints, dangles, overshoots, faces
/// whose lines disagree (conflicts) and faces no line bounds are reported
/// with their location; -o writes the faces (with `owner`, or none for an
/// unresolved face). Exit 1 when a face cannot be labelled.
#[derive(Debug, ClapArgs)]
pub(crate) struct Args {
    #[command(flatten)]
    lines: LegalLinesArgs,
    /// Control layer, whose polygons make the default frame. Default: the embedded sample.
    #[arg(long, value_name = "FILE")]
    control: Option<PathBuf>,
    #[command(flatten)]
    io: IoArgs,
}

pub(crate) fn run(args: Args) -> Result<Outcome> {
    let Some(lines_path) = args.lines.legal_lines.clone() else {
        return Err(delimit::Error::Usage {
            option: "--legal-lines".into(),
            message: "polygonize needs the lines".into(),
            hint: Some("delimit polygonize --legal-lines lines.geojson -o legal.gpkg".into()),
        }
        .into());
    };
    let mut inputs: Vec<&Path> = args.lines.paths();
    inputs.extend(args.control.as_deref());
    args.io.output.preflight(&inputs)?;
    let opts = args.lines.options()?;
    let control = if args.lines.frame.is_none() {
        Some(load_or_sample(args.control.as_deref(), "control.geojson", Role::Control, &args.io.input, None)?)
    } else {
        None
    };
    let f = args.lines.lines_and_frame(&lines_path, &args.io.input, control.as_ref())?;
    let lines = f.lines;
    let r = delimit::polygonize::polygonize(&lines, &f.frame, &f.parties, &opts)?;

    let provenance = delimit::provenance::RunProvenance::new(
        [Some(&lines.provenance), control.as_ref().map(|c| &c.provenance)].into_iter().flatten(),
        json!({
        "frame": args.lines.frame.as_ref().map(|p| p.display().to_string()),
        "snap_m": r.snap_m, "snap_from": r.snap_from,
        "side_convention": format!("`{}` and `{}`: the owners on either side walking the line as digitised", opts.left_field, opts.right_field),
        }),
    )
    .to_json();
    if let Some(path) = &args.io.output.output {
        let mut features: Vec<Feature> = r
            .faces
            .iter()
            .enumerate()
            .map(|(i, f)| {
                let mut p = serde_json::Map::new();
                p.insert(args.io.input.owner_field.clone(), f.owner.clone().into());
                p.insert("claimed_by".into(), f.claimed_by.join(", ").into());
                p.insert("area_km2".into(), ((f.area_m2 / 1e6 * 1e6).round() / 1e6).into());
                p.insert(
                    "status".into(),
                    match f.claimed_by.len() {
                        1 => "labelled",
                        0 => "unlabelled",
                        _ => "conflict",
                    }
                    .into(),
                );
                Feature {
                    id: f.id.clone(),
                    index: i,
                    geometry: Some(Geometry::Polygon(f.polygon.clone())),
                    properties: p,
                }
            })
            .collect();
        // GeoJSON takes mixed geometry types, so the findings ride along as
        // points; layered formats get the faces only (findings are printed).
        if matches!(delimit::io::Format::from_path(path)?, delimit::io::Format::GeoJson) {
            let n = features.len();
            features.extend(r.findings.iter().enumerate().map(|(i, x)| {
                let mut p = serde_json::Map::new();
                p.insert("finding".into(), x.code.into());
                p.insert("feature".into(), x.feature.clone().into());
                p.insert("distance_m".into(), x.distance_m.into());
                p.insert("message".into(), x.message.clone().into());
                Feature {
                    id: format!("finding-{}", i + 1),
                    index: n + i,
                    geometry: Some(Geometry::Point(Point::new(x.at[0], x.at[1]))),
                    properties: p,
                }
            }));
        }
        args.io.output.write("faces", || features, &inputs, &provenance)?;
    }
    let mut by_owner: BTreeMap<String, (usize, f64)> = BTreeMap::new();
    for f in &r.faces {
        let e = by_owner.entry(f.owner.clone().unwrap_or_else(|| "(unresolved)".into())).or_default();
        e.0 += 1;
        e.1 += f.area_m2 / 1e6;
    }
    let mut out = args.io.summary_sink();
    if args.io.json {
        let v = json!({
            "faces": r.faces.iter().map(|f| json!({ "id": f.id, "owner": f.owner, "claimed_by": f.claimed_by, "area_km2": f.area_m2 / 1e6 })).collect::<Vec<_>>(),
            "by_owner": by_owner.iter().map(|(k, (n, a))| json!({ "owner": k, "faces": n, "km2": a })).collect::<Vec<_>>(),
            "findings": r.findings, "provenance": provenance,
        });
        serde_json::to_writer_pretty(&mut out, &v)?;
        writeln!(out)?;
    } else {
        writeln!(
            out,
            "lines: {} ({} features, sha256 {})",
            lines.provenance.path,
            lines.features.len(),
            &lines.provenance.sha256[..12]
        )?;
        writeln!(out, "snap: {} m ({})", r.snap_m, r.snap_from)?;
        for (k, (n, a)) in &by_owner {
            writeln!(out, "  {k:<12} {n:>4} faces {a:>14.3} km²")?;
        }
        for x in &r.findings {
            let at = delimit::position::Position { lat: x.at[1], lon: x.at[0] };
            writeln!(out, "  {:<10} {:<12} at {at}: {}", x.code, x.feature, x.message)?;
        }
        crate::cli::verbosity::caveats(&mut out, &provenance)?;
    }
    Ok(if r.unresolved().next().is_some() { Outcome::DataErrors } else { Outcome::Ok })
}
