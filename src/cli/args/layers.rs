//! The layers every analysis reads, each defaulting to the embedded sample.

use std::path::PathBuf;

use clap::Args;
use delimit::io::ReadOptions;
use delimit::layer::Role;

use super::{InputArgs, LegalLinesArgs};

/// The legal basis and the control layer: the flags every command that
/// reads both shares, each defaulting to the embedded sample.
#[derive(Debug, Clone, Args)]
pub(crate) struct LayerArgs {
    /// Legal basis (polygons with an owner field). Default: the embedded sample.
    #[arg(long, value_name = "FILE")]
    pub legal: Option<PathBuf>,
    #[command(flatten)]
    pub legal_lines: LegalLinesArgs,
    /// De facto control (polygons with a controller field). Default: the embedded sample.
    #[arg(long, value_name = "FILE")]
    pub control: Option<PathBuf>,
}

impl LayerArgs {
    /// Every file these flags name, for the output check.
    pub fn paths(&self) -> Vec<&std::path::Path> {
        let mut v: Vec<&std::path::Path> =
            [&self.legal, &self.control].into_iter().flatten().map(PathBuf::as_path).collect();
        v.extend(self.legal_lines.paths());
        v
    }

    /// The control layer.
    pub fn control(&self, input: &InputArgs, keep: Option<Vec<String>>) -> delimit::Result<delimit::Layer> {
        load_or_sample(self.control.as_deref(), "control.geojson", Role::Control, input, keep)
    }

    /// The legal basis, from --legal, --legal-lines (framed by `control`
    /// where given) or the sample.
    pub fn legal(
        &self,
        input: &InputArgs,
        keep: Option<Vec<String>>,
        control: Option<&delimit::Layer>,
    ) -> delimit::Result<delimit::Layer> {
        self.legal_lines.legal(self.legal.as_deref(), input, keep, control)
    }

    /// Both, control first: polygonised lines may take their frame from it.
    pub fn load(
        &self,
        input: &InputArgs,
        keep: Option<Vec<String>>,
    ) -> delimit::Result<(delimit::Layer, delimit::Layer)> {
        let control = self.control(input, keep.clone())?;
        let legal = self.legal(input, keep, Some(&control))?;
        Ok((legal, control))
    }
}

/// Settlements, for names inside pieces and near places.
#[derive(Debug, Clone, Args)]
pub(crate) struct SettlementsArgs {
    /// Settlements (points with a name field and alternate names). Default: the embedded sample.
    #[arg(long, value_name = "FILE")]
    pub settlements: Option<PathBuf>,
}

impl SettlementsArgs {
    pub fn load(&self, input: &InputArgs) -> delimit::Result<delimit::Layer> {
        load_or_sample(self.settlements.as_deref(), "settlements.geojson", Role::Settlements, input, None)
    }

    /// The settlements for a run over `legal`: the embedded sample only
    /// where it overlaps the legal layer ([`sample_within`]).
    pub fn load_for(&self, input: &InputArgs, legal: &delimit::Layer) -> delimit::Result<Option<delimit::Layer>> {
        Ok(sample_within(self.load(input)?, self.settlements.is_some(), legal, "--settlements"))
    }
}

/// Load a file for a role, or the embedded sample file when none is given.
pub(crate) fn load_or_sample(
    path: Option<&std::path::Path>,
    sample: &str,
    role: Role,
    input: &InputArgs,
    keep_properties: Option<Vec<String>>,
) -> delimit::Result<delimit::Layer> {
    let opts = ReadOptions { keep_properties, ..input.read_options(Some(role))? };
    let layer = match path {
        Some(p) => delimit::io::read_layer(p, &opts)?,
        None => delimit::sample::load(sample, &ReadOptions { src_crs: None, format: None, layer: None, ..opts })?,
    };
    let p = &layer.provenance;
    crate::cli::verbosity::detail!(
        "read {} as {}: {} features, {} ({}), sha256 {}",
        p.path,
        role.as_str(),
        layer.features.len(),
        p.driver,
        p.crs_line(),
        &p.sha256[..12]
    );
    Ok(layer)
}

/// The parser of an option that sizes something (--step, --cell, --scale):
/// zero, a negative, NaN or infinite value is refused before any work
/// starts. As a clap parser, `delimit describe` finds the bound too.
pub(crate) fn positive_number(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v > 0.0 && v.is_finite() => Ok(v),
        Ok(v) => Err(format!("{v} is not a positive number")),
        Err(e) => Err(e.to_string()),
    }
}

/// The parser of a distance, an area or a tolerance: a negative, NaN or
/// infinite value is refused before any work starts.
pub(crate) fn non_negative_number(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v >= 0.0 && v.is_finite() => Ok(v),
        Ok(v) => Err(format!("{v} is not a non-negative number")),
        Err(e) => Err(e.to_string()),
    }
}

/// An embedded sample layer (`given` false) is used only where it overlaps
/// the legal layer: the Caucasus settlements or admin-1 units say nothing of
/// a legal basis elsewhere, and every field they fill would come out empty
/// without a word. Left out, it is said so, with the flag to give one.
pub(crate) fn sample_within(
    layer: delimit::Layer,
    given: bool,
    legal: &delimit::Layer,
    flag: &str,
) -> Option<delimit::Layer> {
    use geo::Intersects;
    if given || matches!((layer.bbox(), legal.bbox()), (Some(a), Some(b)) if a.intersects(&b)) {
        return Some(layer);
    }
    crate::cli::verbosity::note!(
        "note: the embedded sample layer {} lies outside the legal layer, so it is left out; give {flag} FILE for this region",
        layer.provenance.path
    );
    None
}
