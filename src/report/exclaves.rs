//! The exclaves of the legal basis and who holds them: the report's
//! answer to "which Soviet-era enclaves are held by the other party?".

use std::collections::BTreeMap;

use crate::job::FullRun;
use crate::layer::Layer;

/// Field names the report reads from the input layers.
#[derive(Debug, Clone)]
pub struct Fields {
    /// Owner, in the legal basis.
    pub owner: String,
    /// Controller, in the control layer.
    pub controller: String,
    /// Name, in the legal basis and the settlements.
    pub name: String,
}

impl Default for Fields {
    fn default() -> Self {
        Fields { owner: "owner".into(), controller: "controller".into(), name: "name".into() }
    }
}

/// A legal unit that is not its owner's largest: separated from the rest
/// of its owner's territory.
#[derive(Debug, Clone, PartialEq)]
pub struct Exclave {
    /// Legal unit id.
    pub unit: String,
    /// Its name, if the layer has one.
    pub name: Option<String>,
    /// Owner.
    pub owner: String,
    /// Geodesic area, km².
    pub km2: f64,
    /// Area by controller ("-" for none), km², from the overlay pieces.
    pub held_by: BTreeMap<String, f64>,
}

/// Every legal unit that is not the largest of its owner's units.
///
/// ```
/// use delimit::job::{Inputs, Options, run};
/// let load = |n| delimit::sample::load(n, &Default::default()).unwrap();
/// let (legal, control, settlements) = (load("legal.geojson"), load("control.geojson"), load("settlements.geojson"));
/// let inputs = Inputs { legal: &legal, control: &control, settlements: &settlements, segments: None, admin1: None, routes: None };
/// let r = run(&inputs, &Options::default()).unwrap();
/// let ex = delimit::report::exclaves(&legal, &r, &Default::default());
/// assert!(ex.iter().any(|e| e.unit == "AZE-nakhchivan"));
/// assert!(ex.iter().all(|e| e.unit != "ARM-mainland"));
/// ```
pub fn exclaves(legal: &Layer, run: &FullRun, fields: &Fields) -> Vec<Exclave> {
    let mut by_owner: BTreeMap<String, Vec<(usize, f64)>> = BTreeMap::new();
    for (i, f) in legal.features.iter().enumerate() {
        let (Some(owner), Some(m)) = (f.text(&fields.owner), f.polygons()) else {
            continue;
        };
        by_owner.entry(owner).or_default().push((i, crate::measure::multipolygon_area_m2(&m)));
    }
    let mut out = Vec::new();
    for (owner, units) in by_owner {
        let Some(&(main, _)) = units.iter().max_by(|a, b| a.1.total_cmp(&b.1)) else {
            continue;
        };
        for &(i, area) in units.iter().filter(|(i, _)| *i != main) {
            let f = &legal.features[i];
            let mut held_by: BTreeMap<String, f64> = BTreeMap::new();
            for g in run.gaps.gaps.iter().filter(|g| g.legal_unit.as_deref() == Some(f.id.as_str())) {
                *held_by.entry(g.controller.clone().unwrap_or_else(|| "-".into())).or_default() += g.area_m2 / 1e6;
            }
            out.push(Exclave {
                unit: f.id.clone(),
                name: f.text(&fields.name),
                owner: owner.clone(),
                km2: area / 1e6,
                held_by,
            });
        }
    }
    out
}
