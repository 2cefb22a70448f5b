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
    /// The values are checked in full: every number finite (and not
    /// negative where it is a distance or a limit), a transit state, and
    /// boundaries written `A|B`. Errors name the key and its line.
    pub fn parse(path: &Path, text: &str) -> Result<Constraints> {
        let c: Constraints = toml::from_str(text).map_err(|e| {
            let line = e.span().map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1);
            Error::InvalidInput {
                path: path.to_path_buf(),
                message: format!("{}{}", line.map(|l| format!("line {l}: ")).unwrap_or_default(), e.message()),
                hint: "see docs/corridor.md for the keys".into(),
            }
        })?;
        c.validate(path, text)?;
        Ok(c)
    }

    fn validate(&self, path: &Path, text: &str) -> Result<()> {
        // The n-th line that sets `key` (TOML tables repeat keys).
        let line_of = |key: &str, nth: usize| -> String {
            text.lines()
                .enumerate()
                .filter(|(_, l)| {
                    let t = l.trim_start();
                    t.strip_prefix(key).is_some_and(|r| r.trim_start().starts_with('='))
                        || t.strip_prefix(&format!("\"{key}\"")).is_some_and(|r| r.trim_start().starts_with('='))
                })
                .nth(nth)
                .map(|(i, _)| format!("line {}: ", i + 1))
                .unwrap_or_default()
        };
        let bad = |key: &str, nth: usize, message: String, hint: &str| Error::InvalidInput {
            path: path.to_path_buf(),
            message: format!("{}`{key}` {message}", line_of(key, nth)),
            hint: hint.into(),
        };
        let number = |key: &str, nth: usize, v: f64, min: f64| -> Result<()> {
            if !v.is_finite() {
                return Err(bad(key, nth, format!("is {v}; it must be a finite number"), "write a number such as 2.5"));
            }
            if v < min {
                return Err(bad(
                    key,
                    nth,
                    format!("is {v}; it must be at least {min}"),
                    "distances and limits are not negative",
                ));
            }
            Ok(())
        };
        if let Some(problem) = crate::io::party_code_problem(&self.transit_state) {
            return Err(bad(
                "transit_state",
                0,
                problem,
                "give the owner code of the transit state, as in the legal layer (e.g. \"ARM\")",
            ));
        }
        for (key, v) in [
            ("max_km_outside_legal", self.max_km_outside_legal),
            ("max_km_outside_control", self.max_km_outside_control),
        ] {
            if let Some(v) = v {
                number(key, 0, v, 0.0)?;
            }
        }
        for (i, cp) in self.checkpoint.iter().enumerate() {
            number("lon", i, cp.lon, -180.0)?;
            number("lat", i, cp.lat, -90.0)?;
            if cp.lon > 180.0 || cp.lat > 90.0 {
                return Err(bad(
                    "lat",
                    i,
                    format!("{}, {} is not a lat, lon position", cp.lat, cp.lon),
                    "lat is -90 to 90, lon -180 to 180",
                ));
            }
            number("radius_m", i, cp.radius_m, 0.0)?;
        }
        for (i, cl) in self.clearance.iter().enumerate() {
            number("min_m", i, cl.min_m, 0.0)?;
            let ok = cl.boundary.split_once('|').is_some_and(|(a, b)| {
                crate::io::party_code_problem(a).is_none() && crate::io::party_code_problem(b).is_none() && a != b
            });
            if !ok {
                return Err(bad(
                    "boundary",
                    i,
                    format!(
                        "is \"{}\"; a boundary is two different owner codes joined by `|`",
                        cl.boundary.escape_debug()
                    ),
                    "write it as \"ARM|IRN\"",
                ));
            }
        }
        if let Some(r) = &self.reciprocal {
            number("max_km_foreign", 0, r.max_km_foreign, 0.0)?;
        }
        for (kind, v) in &self.max_grade_pct {
            if !v.is_finite() || *v <= 0.0 {
                return Err(bad(
                    kind,
                    0,
                    format!("is {v}; a grade limit is a positive number of %"),
                    "write e.g. rail = 2.5",
                ));
            }
        }
        Ok(())
    }

    /// Check the codes the constraints name against the legal layer: the
    /// transit state and each boundary's parties must be owners in it.
    /// Constraints without a transit state (none were given) pass.
    pub fn check_parties(&self, path: &Path, legal: &crate::layer::Layer, owner_field: &str) -> Result<()> {
        if self.transit_state.is_empty() {
            return Ok(());
        }
        let owners: std::collections::BTreeSet<String> =
            legal.features.iter().filter_map(|f| f.text(owner_field)).collect();
        let known = || owners.iter().cloned().collect::<Vec<_>>().join(", ");
        let missing = |key: &str, code: &str| Error::InvalidInput {
            path: path.to_path_buf(),
            message: format!("`{key}`: \"{}\" is not an owner in the legal layer", code.escape_debug()),
            hint: format!("the legal layer's owners are: {}", known()),
        };
        if !owners.contains(&self.transit_state) {
            return Err(missing("transit_state", &self.transit_state));
        }
        for cl in &self.clearance {
            if let Some((a, b)) = cl.boundary.split_once('|') {
                for code in [a, b] {
                    if !owners.contains(code) {
                        return Err(missing("boundary", code));
                    }
                }
            }
        }
        Ok(())
    }

    /// Read and parse a constraints file.
    pub fn read(path: &Path) -> Result<Constraints> {
        crate::io::admit_input(path)?;
        let text = std::fs::read_to_string(path).map_err(|source| Error::Read { path: path.to_path_buf(), source })?;
        Self::parse(path, &text)
    }
}
