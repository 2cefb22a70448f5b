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

    /// As JSON.
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
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
