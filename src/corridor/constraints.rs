//! The constraints file (TOML). Unknown keys are errors naming the key and
//! its line, so a typo never silently drops a rule.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use crate::error::{Error, Result};

/// Every constraint a route is checked against. All are optional except
/// the transit state.
///
/// ```
/// use delimit::corridor::Constraints;
/// let c = Constraints::parse("c.toml".as_ref(), r#"
/// transit_state = "ARM"
/// max_km_outside_legal = 0.0
/// [[checkpoint]]
/// name = "Agarak"      # GeoNames 175008
/// lon = 46.19463
/// lat = 38.86506
/// radius_m = 1500
/// [[clearance]]
/// boundary = "ARM|IRN"
/// min_m = 200
/// "#).unwrap();
/// assert_eq!(c.checkpoint[0].name, "Agarak");
/// let e = Constraints::parse("c.toml".as_ref(), "transit_state = \"ARM\"\nmax_km_outside_legl = 1").unwrap_err();
/// assert!(e.to_string().contains("max_km_outside_legl") && e.to_string().contains("line 2"));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Constraints {
    /// The state whose territory the route is to cross (ISO 3166-1 alpha-3).
    pub transit_state: String,
    /// Maximum km of the route outside the transit state's legal territory.
    pub max_km_outside_legal: Option<f64>,
    /// Maximum km outside its control.
    pub max_km_outside_control: Option<f64>,
    /// Allowed border-crossing points.
    #[serde(default)]
    pub checkpoint: Vec<Checkpoint>,
    /// Minimum clearances from named boundaries.
    #[serde(default)]
    pub clearance: Vec<Clearance>,
    /// Lines the route must not cross at grade.
    pub protected: Option<Protected>,
    /// A reciprocal route and its allowed km under foreign jurisdiction.
    pub reciprocal: Option<Reciprocal>,
    /// Maximum grade in % per route kind (`rail = 2.5`), used with a DEM.
    #[serde(default)]
    pub max_grade_pct: BTreeMap<String, f64>,
}

/// An allowed border-crossing point.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Checkpoint {
    /// Name.
    pub name: String,
    /// Longitude.
    pub lon: f64,
    /// Latitude.
    pub lat: f64,
    /// A crossing within this many metres is at the checkpoint.
    pub radius_m: f64,
}

/// A minimum clearance from a boundary.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Clearance {
    /// The boundary, "A|B" (owner codes, either order).
    pub boundary: String,
    /// Minimum distance, m.
    pub min_m: f64,
}

/// Protected lines.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Protected {
    /// A line file (any format delimit reads), relative to the constraints file.
    pub file: String,
    /// Field with each line's name.
    #[serde(default = "default_name")]
    pub name_field: String,
}

fn default_name() -> String {
    "name".into()
}

/// A reciprocal route.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reciprocal {
    /// The route's `name` in the routes file.
    pub route: String,
    /// Allowed km under jurisdiction other than the transit state's.
    pub max_km_foreign: f64,
}

impl Constraints {
    /// Parse a constraints file's text; `path` names it in errors.
    pub fn parse(path: &Path, text: &str) -> Result<Constraints> {
        toml::from_str(text).map_err(|e| {
            let line = e.span().map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1);
            Error::InvalidInput {
                path: path.to_path_buf(),
                message: format!("{}{}", line.map(|l| format!("line {l}: ")).unwrap_or_default(), e.message()),
                hint: "see docs/corridor.md for the keys".into(),
            }
        })
    }

    /// Read and parse a constraints file.
    pub fn read(path: &Path) -> Result<Constraints> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Read { path: path.to_path_buf(), source })?;
        Self::parse(path, &text)
    }
}
