//! Reading, writing and `--json`: how inputs are read and outputs written.

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
    /// How far a layer can be taken as fact, overriding its file's
    /// `metadata.status`: ROLE=STATUS, e.g. control=approximate (roles:
    /// legal, control, settlements, routes, segments; statuses: observed,
    /// approximate, illustrative). Every output says so when not observed.
    #[arg(long, value_name = "ROLE=STATUS", value_parser = parse_status)]
    pub status: Vec<(Role, delimit::layer::DataStatus)>,
    #[command(flatten)]
    pub names: FieldArgs,
}

/// Which fields hold the owner, the controller and a name.
#[derive(Debug, Clone, Args)]
pub(crate) struct FieldArgs {
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

/// The field names are read as `input.owner_field`, wherever they came from.
impl std::ops::Deref for InputArgs {
    type Target = FieldArgs;
    fn deref(&self) -> &FieldArgs {
        &self.names
    }
}

impl InputArgs {
    /// The same options with another owner field (admin-1 layers name
    /// their country in `country`).
    pub fn with_owner_field(&self, field: &str) -> InputArgs {
        let mut i = self.clone();
        i.names.owner_field = field.into();
        i
    }

    pub fn fields(&self) -> FieldNames {
        FieldNames {
            owner: self.owner_field.clone(),
            controller: self.controller_field.clone(),
            name: self.name_field.clone(),
            ..FieldNames::default()
        }
    }

    /// The overlay's options from the field flags, the tolerance and --repair.
    pub fn gaps_options(&self, tolerance_m: Option<f64>, repair: bool) -> delimit::overlay::GapsOptions {
        delimit::overlay::GapsOptions {
            owner_field: self.owner_field.clone(),
            controller_field: self.controller_field.clone(),
            name_field: self.name_field.clone(),
            tolerance_m,
            repair,
            ..delimit::overlay::GapsOptions::default()
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
            status: role.and_then(|r| self.status.iter().rev().find(|(k, _)| *k == r).map(|(_, s)| *s)),
            lenient_coordinates: false,
            key_optional: false,
        })
    }
}

/// delimit's default QGIS style for a layer an analysis writes, for a
/// GeoPackage output's `layer_styles`.
pub(crate) fn default_style(layer: &str, features: &[delimit::Feature]) -> Option<delimit::io::LayerStyle> {
    delimit::qgis::output_style(layer, features).map(|s| delimit::io::LayerStyle {
        table: layer.to_string(),
        qml: s.qml(),
        description: format!("delimit's default style for the `{layer}` layer"),
    })
}

/// Every output feature carries the run's status (`data_status`), so that
/// a layer taken out of its file still says what it is.
pub(crate) fn stamp_status(
    mut features: Vec<delimit::Feature>,
    provenance: &serde_json::Value,
) -> Vec<delimit::Feature> {
    let status = provenance["status"].as_str().unwrap_or("observed").to_string();
    for f in &mut features {
        f.properties.insert("data_status".into(), status.clone().into());
    }
    features
}

pub(crate) fn parse_status(s: &str) -> Result<(Role, delimit::layer::DataStatus), String> {
    let (role, status) =
        s.split_once('=').ok_or_else(|| format!("`{s}` is not ROLE=STATUS, e.g. control=approximate"))?;
    Ok((role.parse::<Role>()?, delimit::layer::DataStatus::from_name(status)?))
}

/// Reading, writing and `--json`: the flags every analysis shares.
#[derive(Debug, Clone, Args)]
pub(crate) struct IoArgs {
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub output: OutputArgs,
    /// Machine-readable results on stdout (with `-o -`, on stderr).
    #[arg(long)]
    pub json: bool,
}

impl IoArgs {
    /// Where the summary goes: stdout, or stderr when stdout carries the
    /// data (`-o -`). Text is escaped for the terminal; JSON is not.
    pub fn summary_sink(&self) -> Box<dyn std::io::Write> {
        let sink = self.output.summary_sink();
        if self.json { sink } else { Box::new(crate::cli::term::Safe::new(sink)) }
    }
}

/// Where and how to write an output file.
#[derive(Debug, Clone, Args)]
pub(crate) struct OutputArgs {
    /// Output file; the format follows the extension (.geojson,
    /// .geojsons, .gpkg, .fgb, .shp, .csv with a WKT column, …). `-` writes
    /// GeoJSON to stdout, and the summary goes to stderr.
    #[arg(help_heading = crate::cli::describe::OUTPUT_HEADING, short = 'o', long = "output", value_name = "FILE", allow_hyphen_values = true)]
    pub output: Option<PathBuf>,
    /// Output format, overriding the extension: geojson, geojsonseq
    /// (RFC 8142, one feature per record), gpkg, csv, … or a GDAL driver.
    #[arg(help_heading = crate::cli::describe::OUTPUT_HEADING, long, value_name = "FORMAT")]
    pub output_format: Option<String>,
    /// Replace an existing output (inputs are never overwritten).
    #[arg(long, help_heading = crate::cli::describe::OUTPUT_HEADING)]
    pub force: bool,
    /// Decimal places in GeoJSON coordinates (7 ≈ 1 cm).
    #[arg(help_heading = crate::cli::describe::OUTPUT_HEADING, long, value_name = "N", default_value_t = 7, value_parser = clap::value_parser!(u32).range(0..=15))]
    pub precision: u32,
    /// Write CSV text cells as they are. By default a cell that starts
    /// with =, +, -, @, a tab or a carriage return gets a leading ' so that
    /// a spreadsheet does not run it as a formula.
    #[arg(long, help_heading = crate::cli::describe::OUTPUT_HEADING)]
    pub csv_raw: bool,
}

impl OutputArgs {
    pub fn write_options(&self) -> WriteOptions {
        WriteOptions {
            force: self.force,
            // Checked by preflight before any work.
            format: self.output_format.as_deref().and_then(|f| Format::from_name(f).ok()),
            geojson: delimit::io::geojson::GeoJsonOptions { precision: self.precision, metadata: None },
            style: None,
            csv_raw: self.csv_raw,
        }
    }

    /// Write `features` to `-o`, if given, with the run's provenance (the
    /// GeoJSON `metadata` member), and say what was written. Returns the
    /// number of features written: 0 without `-o`.
    pub fn write(
        &self,
        layer: &str,
        features: impl FnOnce() -> Vec<delimit::Feature>,
        inputs: &[&std::path::Path],
        provenance: &serde_json::Value,
    ) -> delimit::Result<usize> {
        let Some(path) = &self.output else { return Ok(0) };
        let mut w = self.write_options();
        w.geojson.metadata = Some(provenance.clone());
        let features = stamp_status(features(), provenance);
        w.style = default_style(layer, &features);
        let done = delimit::io::write_layer(path, layer, &features, inputs, &w)?;
        crate::cli::verbosity::wrote(&done);
        Ok(done.features)
    }

    /// Whether the output goes to stdout (`-o -`): then stdout carries
    /// nothing else.
    pub fn to_stdout(&self) -> bool {
        self.output.as_deref() == Some(std::path::Path::new("-"))
    }

    /// Where the summary goes: stdout, or stderr when stdout carries the data.
    fn summary_sink(&self) -> Box<dyn std::io::Write> {
        if self.to_stdout() { Box::new(std::io::stderr()) } else { Box::new(std::io::stdout().lock()) }
    }

    /// Validate the output before any work starts, so a long run does not
    /// fail at the end on a typo.
    pub fn preflight(&self, inputs: &[&std::path::Path]) -> delimit::Result<()> {
        let format = self.output_format.as_deref().map(Format::from_name).transpose()?;
        if let Some(o) = &self.output {
            let format = match format {
                Some(f) => f,
                None => Format::from_path(o)?,
            };
            if self.to_stdout() {
                if matches!(format, Format::Ogr(_)) {
                    return Err(delimit::Error::Usage {
                        option: "-o".into(),
                        message: format!("`-` (stdout) takes GeoJSON or GeoJSON Sequence, not {}", format.driver()),
                        hint: Some("use --output-format geojson or geojsonseq with -o -, or write a file".into()),
                    });
                }
                return Ok(());
            }
            // A database table is checked when it is written, in its transaction.
            if delimit::io::is_database(o) {
                delimit::io::check_database(o)?;
            } else {
                delimit::io::Output::prepare(o, self.force, inputs)?;
            }
        }
        Ok(())
    }
}
