//! A legal basis given as boundary lines, and the frame that closes them.

use std::path::PathBuf;

use clap::Args;

use super::{InputArgs, load_or_sample};

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
    #[arg(long, help_heading = "Legal basis as lines", value_name = "FILE")]
    pub legal_lines: Option<PathBuf>,
    /// Polygons that close the line network (their union). Default: the
    /// union of the control polygons held by the parties the lines name,
    /// else of the bundled legal layer's polygons of those parties.
    #[arg(long, help_heading = "Legal basis as lines", value_name = "FILE")]
    pub frame: Option<PathBuf>,
    /// Field with the owner on the left of a line.
    #[arg(long, help_heading = "Legal basis as lines", value_name = "FIELD", default_value = "left")]
    pub left_field: String,
    /// Field with the owner on the right of a line.
    #[arg(long, help_heading = "Legal basis as lines", value_name = "FIELD", default_value = "right")]
    pub right_field: String,
    /// Join line endpoints closer than this, m. Default: 0.25 mm at --scale (25 m at 1:100 000).
    #[arg(long, help_heading = "Legal basis as lines", value_name = "M", value_parser = crate::cli::args::non_negative_number)]
    pub snap_m: Option<f64>,
    /// Scale denominator of the source map the lines were digitised from.
    #[arg(long, help_heading = "Legal basis as lines", value_name = "N", default_value_t = 100_000.0, value_parser = crate::cli::args::positive_number)]
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
            Some(s) => (s, "--snap-m".to_string()),
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
        let frame_layer =
            self.frame.as_deref().map(|p| delimit::io::read_layer(p, &input.read_options(None)?)).transpose()?;
        let fields =
            delimit::polygonize::FrameFields { owner: &input.owner_field, controller: &input.controller_field };
        let (frame, parties) = delimit::polygonize::frame_for(&lines, &opts, frame_layer.as_ref(), control, fields)?;
        Ok(Frame { lines, frame, parties })
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
