//! Where a run's results came from: the tool, every input (path, sha256,
//! CRS operation), the parameters as given, and a date only when asked
//! for. One shape everywhere: `--json`, the GeoJSON `metadata` member, the
//! GeoPackage, the QGIS project and the report.

use serde::Serialize;
use serde_json::Value;

/// The provenance of one run.
///
/// ```
/// use delimit::provenance::RunProvenance;
/// let legal = delimit::sample::load("legal.geojson", &Default::default()).unwrap();
/// let p = RunProvenance::new([&legal.provenance], serde_json::json!({ "tolerance_m": 100.0 }));
/// let v = p.to_json();
/// assert!(v["tool"].as_str().unwrap().starts_with("delimit "));
/// assert_eq!(v["inputs"][0]["path"], "embedded:data/legal.geojson");
/// assert_eq!(v["parameters"]["tolerance_m"], 100.0);
/// assert!(v["date"].is_null());
/// ```
#[derive(Debug, Clone, Serialize)]
pub struct RunProvenance {
    /// `delimit x.y.z`.
    pub tool: String,
    /// The input layers' provenance (path, sha256, CRS operation).
    pub inputs: Vec<crate::layer::Provenance>,
    /// Parameters of the run, as given.
    pub parameters: Value,
    /// A date to stamp, when asked for; without one the output is byte-deterministic.
    pub date: Option<String>,
}

impl RunProvenance {
    /// This version of delimit, these inputs and parameters, no date.
    pub fn new<'a>(inputs: impl IntoIterator<Item = &'a crate::layer::Provenance>, parameters: Value) -> Self {
        RunProvenance {
            tool: format!("delimit {}", env!("CARGO_PKG_VERSION")),
            inputs: inputs.into_iter().cloned().collect(),
            parameters,
            date: None,
        }
    }

    /// As JSON, with the run's `status`: the least certain of its inputs'.
    pub fn to_json(&self) -> Value {
        let mut v = serde_json::to_value(self).unwrap_or(Value::Null);
        if let Value::Object(m) = &mut v {
            m.insert("status".into(), Value::String(self.status().as_str().into()));
            // Every caveat a text run prints as a `note:` line, so that a
            // reader of the JSON alone (the QGIS plugin) is told too.
            m.insert("notes".into(), self.caveats().into());
        }
        v
    }

    /// The least certain status among the inputs: a result is no more
    /// observed than the least observed layer it was made from.
    pub fn status(&self) -> crate::layer::DataStatus {
        self.inputs.iter().map(|p| p.status).max().unwrap_or_default()
    }

    /// One line per input that is not observed, for a reader:
    /// `ILLUSTRATIVE input control (embedded:data/control.geojson): …`.
    pub fn caveats(&self) -> Vec<String> {
        caveat_lines(self.inputs.iter().map(|p| {
            (p.status, p.role.as_deref().unwrap_or(p.layer.as_str()), p.path.as_str(), p.status_note.as_deref())
        }))
    }

    /// One line per input: what a reader needs to find the same bytes again.
    pub fn history(&self) -> Vec<String> {
        let mut v: Vec<String> = self
            .inputs
            .iter()
            .map(|p| format!("input {} layer {}: sha256 {}; CRS {}", p.path, p.layer, p.sha256, p.crs_line()))
            .collect();
        v.push(format!("written by {}", self.tool));
        v.push(format!("parameters: {}", self.parameters));
        if let Some(d) = &self.date {
            v.push(format!("date: {d}"));
        }
        v
    }
}

/// One line per status, role and note: the files of a series that all say
/// the same thing share a line, so that 700 snapshots are one note.
fn caveat_lines<'a>(
    inputs: impl Iterator<Item = (crate::layer::DataStatus, &'a str, &'a str, Option<&'a str>)>,
) -> Vec<String> {
    type Group<'a> = ((crate::layer::DataStatus, &'a str, Option<&'a str>), Vec<&'a str>);
    let mut groups: Vec<Group<'a>> = Vec::new();
    for (s, layer, path, note) in inputs.filter(|(s, ..)| s.is_caveat()) {
        match groups.iter_mut().find(|(k, _)| *k == (s, layer, note)) {
            Some((_, paths)) if paths.contains(&path) => {}
            Some((_, paths)) => paths.push(path),
            None => groups.push(((s, layer, note), vec![path])),
        }
    }
    groups
        .into_iter()
        .map(|((s, layer, note), paths)| {
            let note = note.or(s.default_note()).map(|n| format!(": {n}")).unwrap_or_default();
            let files = match paths.len() {
                1 => paths[0].to_string(),
                2 | 3 => format!("{} files: {}", paths.len(), paths.join(", ")),
                n => format!("{n} files: {} … {}", paths[0], paths[n - 1]),
            };
            format!("{} input {layer} ({files}){note}", s.label())
        })
        .collect()
}

/// [`RunProvenance::caveats`] from a provenance already turned into JSON
/// (`inputs[].status`, `layer`, `path`, `status_note`).
///
/// ```
/// let v = serde_json::json!({"inputs": [{"layer": "control", "path": "c.geojson", "status": "illustrative", "status_note": "a sample"}]});
/// assert_eq!(delimit::provenance::caveats_of(&v), ["ILLUSTRATIVE input control (c.geojson): a sample"]);
/// // A series whose files all say the same thing is one line.
/// let day = |d: u32| serde_json::json!({"layer": "control", "path": format!("s/{d}.geojson"), "status": "illustrative", "status_note": "synthetic"});
/// let v = serde_json::json!({"inputs": (1..=5).map(day).collect::<Vec<_>>()});
/// assert_eq!(delimit::provenance::caveats_of(&v), ["ILLUSTRATIVE input control (5 files: s/1.geojson … s/5.geojson): synthetic"]);
/// ```
pub fn caveats_of(provenance: &Value) -> Vec<String> {
    let inputs = provenance["inputs"].as_array().map(Vec::as_slice).unwrap_or_default();
    caveat_lines(inputs.iter().filter_map(|i| {
        let status = crate::layer::DataStatus::from_name(i["status"].as_str()?).ok()?;
        let name = i["role"].as_str().or(i["layer"].as_str()).unwrap_or("?");
        Some((status, name, i["path"].as_str().unwrap_or("?"), i["status_note"].as_str()))
    }))
}
