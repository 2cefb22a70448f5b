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

    pub fn read_options(&self, role: Option<Role>) -> delimit::Result<ReadOptions> {
        Ok(ReadOptions {
            role,
            fields: self.fields(),
            src_crs: self.src_crs.clone(),
            format: self.format.as_deref().map(Format::from_name).transpose()?,
            layer: self.layer.clone(),
            keep_properties: None,
            lenient_coordinates: false,
        })
    }
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

/// Where and how to write an output file.
#[derive(Debug, Clone, Args)]
pub(crate) struct OutputArgs {
    /// Output file; the format follows the extension (.geojson,
    /// .geojsons, .gpkg, .fgb, .shp, .csv with a WKT column, …). `-` writes
    /// GeoJSON to stdout, and the summary goes to stderr.
    #[arg(short = 'o', long = "output", value_name = "FILE", allow_hyphen_values = true)]
    pub output: Option<PathBuf>,
    /// Output format, overriding the extension: geojson, geojsonseq
    /// (RFC 8142, one feature per record), gpkg, csv, … or a GDAL driver.
    #[arg(long, value_name = "FORMAT")]
    pub output_format: Option<String>,
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
            // Checked by preflight before any work.
            format: self.output_format.as_deref().and_then(|f| Format::from_name(f).ok()),
            geojson: delimit::io::geojson::GeoJsonOptions { precision: self.precision, metadata: None },
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
        let done = delimit::io::write_layer(path, layer, &features(), inputs, &w)?;
        super::wrote(&done);
        Ok(done.features)
    }

    /// Whether the output goes to stdout (`-o -`): then stdout carries
    /// nothing else.
    pub fn to_stdout(&self) -> bool {
        self.output.as_deref() == Some(std::path::Path::new("-"))
    }

    /// Where the summary goes: stdout, or stderr when stdout carries the data.
    pub fn summary_sink(&self) -> Box<dyn std::io::Write> {
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
            if !delimit::io::is_database(o) {
                delimit::io::Output::prepare(o, self.force, inputs)?;
            }
        }
        Ok(())
    }
}

/// Which pieces to write and sum. Applied after the overlay and its
/// conservation check: measures never change, and what is left out is
/// counted in the summary.
#[derive(Debug, Clone, Args)]
pub(crate) struct FilterArgs {
    /// Only pieces between two parties, in either role: --pair ARM,AZE keeps
    /// ARM held by AZE and AZE held by ARM.
    #[arg(long, value_name = "A,B")]
    pub pair: Option<String>,
    /// Only pieces legally of this owner (repeatable).
    #[arg(long = "owner", value_name = "CODE")]
    pub owners: Vec<String>,
    /// Only pieces held by this controller (repeatable; a contested piece
    /// matches each of its controllers).
    #[arg(long = "controller", value_name = "CODE")]
    pub controllers: Vec<String>,
    /// Only pieces of this class (repeatable): held_by_other,
    /// contested_control, held_by_owner, unassigned, outside_basis.
    #[arg(long = "class", value_name = "CLASS")]
    pub classes: Vec<String>,
    /// Leave out pieces smaller than this, km².
    #[arg(long, value_name = "KM2")]
    pub min_area_km2: Option<f64>,
    /// Leave out slivers.
    #[arg(long)]
    pub no_slivers: bool,
}

impl FilterArgs {
    pub fn filter(&self) -> delimit::Result<delimit::overlay::GapFilter> {
        let f = delimit::overlay::GapFilter {
            pair: self.pair.as_deref().map(delimit::overlay::parse_pair).transpose()?,
            owners: self.owners.clone(),
            controllers: self.controllers.clone(),
            classes: self
                .classes
                .iter()
                .map(|c| delimit::overlay::Class::from_name(c))
                .collect::<delimit::Result<_>>()?,
            min_area_km2: self.min_area_km2,
            no_slivers: self.no_slivers,
        };
        f.validate()?;
        Ok(f)
    }

    /// The filter as typed, for the summary.
    pub fn describe(&self) -> String {
        let mut v = Vec::new();
        if let Some(p) = &self.pair {
            v.push(format!("--pair {p}"));
        }
        v.extend(self.owners.iter().map(|o| format!("--owner {o}")));
        v.extend(self.controllers.iter().map(|o| format!("--controller {o}")));
        v.extend(self.classes.iter().map(|o| format!("--class {o}")));
        if let Some(m) = self.min_area_km2 {
            v.push(format!("--min-area-km2 {m}"));
        }
        if self.no_slivers {
            v.push("--no-slivers".into());
        }
        v.join(" ")
    }
}

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

/// Boundary lines with the frame that closes them.
pub(crate) struct Frame {
    pub lines: delimit::Layer,
    pub frame: geo::MultiPolygon<f64>,
    pub parties: Vec<(String, geo::MultiPolygon<f64>)>,
}

/// A legal basis given as boundary lines (`--legal-lines`), polygonised
/// against a frame; accepted wherever `--legal` is.
#[derive(Debug, Clone, Args)]
pub(crate) struct LegalLinesArgs {
    /// Legal basis as boundary lines: LineStrings with the owner on their
    /// left and on their right (walking the line as digitised), polygonised
    /// against --frame. Instead of --legal.
    #[arg(long, value_name = "FILE")]
    pub legal_lines: Option<PathBuf>,
    /// Polygons that close the line network (their union). Default: the
    /// union of the control polygons held by the parties the lines name,
    /// else of the bundled legal layer's polygons of those parties.
    #[arg(long, value_name = "FILE")]
    pub frame: Option<PathBuf>,
    /// Field with the owner on the left of a line.
    #[arg(long, value_name = "FIELD", default_value = "left")]
    pub left_field: String,
    /// Field with the owner on the right of a line.
    #[arg(long, value_name = "FIELD", default_value = "right")]
    pub right_field: String,
    /// Join line endpoints closer than this, m. Default: 0.25 mm at --scale (25 m at 1:100 000).
    #[arg(long, value_name = "M")]
    pub snap_m: Option<f64>,
    /// Scale denominator of the source map the lines were digitised from.
    #[arg(long, value_name = "N", default_value_t = 100_000.0)]
    pub scale: f64,
}

impl LegalLinesArgs {
    pub fn options(&self) -> delimit::Result<delimit::polygonize::Options> {
        if !(self.scale > 0.0 && self.scale.is_finite()) {
            return Err(delimit::Error::Usage {
                option: "--scale".into(),
                message: format!("{} is not a scale denominator", self.scale),
                hint: Some("e.g. --scale 100000 for 1:100 000".into()),
            });
        }
        let (snap_m, snap_from) = match self.snap_m {
            Some(s) => {
                non_negative("--snap-m", s)?;
                (s, "--snap-m".to_string())
            }
            None => (delimit::polygonize::snap_for_scale(self.scale), format!("0.25 mm at 1:{}", self.scale)),
        };
        Ok(delimit::polygonize::Options {
            left_field: self.left_field.clone(),
            right_field: self.right_field.clone(),
            snap_m,
            snap_from,
        })
    }

    /// The lines layer, its frame, and the frame's polygons by party (for
    /// faces no line bounds).
    pub fn lines_and_frame(
        &self,
        lines_path: &std::path::Path,
        input: &InputArgs,
        control: Option<&delimit::Layer>,
    ) -> delimit::Result<Frame> {
        let lines = delimit::io::read_layer(lines_path, &input.read_options(None)?)?;
        self.frame_for(lines, input, control)
    }

    /// The frame for lines already read.
    fn frame_for(
        &self,
        lines: delimit::Layer,
        input: &InputArgs,
        control: Option<&delimit::Layer>,
    ) -> delimit::Result<Frame> {
        let opts = self.options()?;
        // The frame is found from the parties the lines name: lines that
        // name none (polygons, or no side fields) are refused for that first.
        delimit::polygonize::validate_lines(&lines, &opts)?;
        let frame = match &self.frame {
            Some(p) => {
                let f = delimit::io::read_layer(p, &input.read_options(None)?)?;
                let polys: Vec<_> = f.features.iter().filter_map(|x| x.polygons()).collect();
                if polys.is_empty() {
                    return Err(delimit::Error::InvalidInput {
                        path: p.clone(),
                        message: "has no polygons".into(),
                        hint: "--frame takes polygons whose union closes the line network".into(),
                    });
                }
                // A frame feature with an owner (or controller) names the party of faces no line bounds.
                let parties = f
                    .features
                    .iter()
                    .filter_map(|x| {
                        Some((
                            x.text(&input.owner_field).or_else(|| x.text(&input.controller_field))?,
                            x.polygons()?.into_owned(),
                        ))
                    })
                    .collect();
                (delimit::polygonize::frame_of(&polys.iter().map(|c| c.as_ref()).collect::<Vec<_>>()), parties)
            }
            None => {
                let parties: std::collections::BTreeSet<String> = lines
                    .features
                    .iter()
                    .flat_map(|f| [f.text(&opts.left_field), f.text(&opts.right_field)])
                    .flatten()
                    .collect();
                let pick = |layer: &delimit::Layer, field: &str| -> Vec<(String, geo::MultiPolygon<f64>)> {
                    layer
                        .features
                        .iter()
                        .filter_map(|f| {
                            Some((f.text(field).filter(|k| parties.contains(k))?, f.polygons()?.into_owned()))
                        })
                        .collect()
                };
                let mut polys = control.map(|c| pick(c, &input.controller_field)).unwrap_or_default();
                if polys.is_empty() {
                    let bundled = delimit::sample::load("legal.geojson", &delimit::io::ReadOptions::default())?;
                    polys = pick(&bundled, "owner");
                }
                if polys.is_empty() {
                    return Err(delimit::Error::Usage {
                        option: "--frame".into(),
                        message: format!(
                            "no control or bundled polygon belongs to {}",
                            parties.into_iter().collect::<Vec<_>>().join(", ")
                        ),
                        hint: Some("give --frame FILE: polygons whose union closes the line network".into()),
                    });
                }
                (delimit::polygonize::frame_of(&polys.iter().map(|(_, m)| m).collect::<Vec<_>>()), polys)
            }
        };
        Ok(Frame { lines, frame: frame.0, parties: frame.1 })
    }

    /// The legal basis: from --legal-lines when given (refusing --legal
    /// with it), else --legal or the embedded sample.
    pub fn legal(
        &self,
        legal: Option<&std::path::Path>,
        input: &InputArgs,
        keep: Option<Vec<String>>,
        control: Option<&delimit::Layer>,
    ) -> delimit::Result<delimit::Layer> {
        let Some(lines_path) = &self.legal_lines else {
            return load_or_sample(legal, "legal.geojson", delimit::layer::Role::Legal, input, keep);
        };
        if legal.is_some() {
            return Err(delimit::Error::Usage {
                option: "--legal-lines".into(),
                message: "give --legal or --legal-lines, not both".into(),
                hint: None,
            });
        }
        let f = self.lines_and_frame(lines_path, input, control)?;
        self.polygonize(f, input)
    }

    fn polygonize(&self, f: Frame, input: &InputArgs) -> delimit::Result<delimit::Layer> {
        Ok(delimit::polygonize::legal_from_lines(&f.lines, &f.frame, &f.parties, &self.options()?, &input.owner_field)?
            .0)
    }

    /// For `lines` and `progress`: the legal basis and its pair lines. The
    /// --legal-lines file is read once: pair lines (`a` and `b`, no side
    /// fields) are taken as they are, with the legal polygons telling only
    /// the sides; lines with sides are polygonised; without the flag the
    /// pair lines come from the legal polygons.
    pub fn legal_and_pair_lines(
        &self,
        legal: Option<&std::path::Path>,
        input: &InputArgs,
        control: Option<&delimit::Layer>,
        match_m: f64,
    ) -> delimit::Result<(delimit::Layer, Vec<delimit::lines::PairLine>)> {
        let Some(path) = &self.legal_lines else {
            let l = load_or_sample(legal, "legal.geojson", delimit::layer::Role::Legal, input, None)?;
            let pairs = delimit::lines::pair_lines_within(&l, &input.owner_field, match_m);
            return Ok((l, pairs));
        };
        let lines = delimit::io::read_layer(path, &input.read_options(None)?)?;
        let has = |k: &str| lines.features.first().is_some_and(|f| f.properties.contains_key(k));
        if has("a") && has("b") && !has(&self.left_field) {
            let pairs = delimit::lines::pair_lines_of(path, &lines)?;
            return Ok((load_or_sample(legal, "legal.geojson", delimit::layer::Role::Legal, input, None)?, pairs));
        }
        if legal.is_some() {
            return Err(delimit::Error::Usage {
                option: "--legal-lines".into(),
                message: "give --legal or --legal-lines, not both".into(),
                hint: None,
            });
        }
        let l = self.polygonize(self.frame_for(lines, input, control)?, input)?;
        let pairs = delimit::lines::pair_lines_within(&l, &input.owner_field, match_m);
        Ok((l, pairs))
    }

    /// Whether --legal-lines was given.
    pub fn given(&self) -> bool {
        self.legal_lines.is_some()
    }

    pub fn paths(&self) -> Vec<&std::path::Path> {
        [&self.legal_lines, &self.frame].into_iter().flatten().map(PathBuf::as_path).collect()
    }
}
