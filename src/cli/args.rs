//! Flags shared by several subcommands, and their conversion to library options.

use std::path::PathBuf;

use clap::Args;
use delimit::io::{Format, ReadOptions, WriteOptions};
use delimit::layer::{FieldNames, Role};

/// How to read an input file.
#[derive(Debug, Clone, Args)]
pub(crate) struct InputArgs {
    /// Source CRS, overriding the file's: EPSG:28408, a PROJ string or WKT.
    #[arg(long, value_name = "CRS")]
    pub src_crs: Option<String>,
    /// Input format, overriding the extension: geojson, gpkg, shp, fgb, kml, gml, csv or a GDAL driver name.
    #[arg(long, value_name = "FORMAT")]
    pub format: Option<String>,
    /// Layer to read from a multi-layer file (GeoPackage).
    #[arg(long, value_name = "NAME")]
    pub layer: Option<String>,
    /// Field holding the legal owner.
    #[arg(long, value_name = "FIELD", default_value = "owner")]
    pub owner_field: String,
    /// Field holding the de facto controller.
    #[arg(long, value_name = "FIELD", default_value = "controller")]
    pub controller_field: String,
    /// Field holding a settlement or route name.
    #[arg(long, value_name = "FIELD", default_value = "name")]
    pub name_field: String,
}

impl InputArgs {
    pub fn fields(&self) -> FieldNames {
        FieldNames {
            owner: self.owner_field.clone(),
            controller: self.controller_field.clone(),
            name: self.name_field.clone(),
            ..FieldNames::default()
        }
    }

    pub fn read_options(&self, role: Option<Role>) -> delimit::Result<ReadOptions> {
        Ok(ReadOptions {
            role,
            fields: self.fields(),
            src_crs: self.src_crs.clone(),
            format: self.format.as_deref().map(Format::from_name).transpose()?,
            layer: self.layer.clone(),
            keep_properties: None,
        })
    }
}

/// Where and how to write an output file.
#[derive(Debug, Clone, Args)]
pub(crate) struct OutputArgs {
    /// Output file; the format follows the extension (.geojson, .gpkg, .fgb, .shp, …).
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Replace an existing output (inputs are never overwritten).
    #[arg(long)]
    pub force: bool,
    /// Decimal places in GeoJSON coordinates (7 ≈ 1 cm).
    #[arg(long, value_name = "N", default_value_t = 7, value_parser = clap::value_parser!(u32).range(0..=15))]
    pub precision: u32,
}

impl OutputArgs {
    pub fn write_options(&self) -> WriteOptions {
        WriteOptions {
            force: self.force,
            format: None,
            geojson: delimit::io::geojson::GeoJsonOptions { precision: self.precision, metadata: None },
        }
    }

    /// Validate the output before any work starts, so a long run does not
    /// fail at the end on a typo.
    pub fn preflight(&self, inputs: &[&std::path::Path]) -> delimit::Result<()> {
        if let Some(o) = &self.output {
            Format::from_path(o)?;
            delimit::io::Output::prepare(o, self.force, inputs)?;
        }
        Ok(())
    }
}

/// One line describing how a layer's CRS was handled.
pub(crate) fn crs_line(p: &delimit::layer::Provenance) -> String {
    p.crs_line()
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
    match path {
        Some(p) => delimit::io::read_layer(p, &opts),
        None => delimit::sample::load(sample, &ReadOptions { src_crs: None, format: None, layer: None, ..opts }),
    }
}

/// Refuse a negative, NaN or infinite value for a numeric option, before any work starts.
pub(crate) fn non_negative(option: &str, value: f64) -> delimit::Result<()> {
    if value >= 0.0 && value.is_finite() {
        Ok(())
    } else {
        Err(delimit::Error::Usage {
            option: option.into(),
            message: format!("{value} is not a non-negative number"),
            hint: None,
        })
    }
}
