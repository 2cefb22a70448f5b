//! The inputs of a full run, shared by `qgis` and `report`.

use std::path::{Path, PathBuf};

use clap::Args as ClapArgs;
use delimit::corridor::Constraints;
use delimit::job::{FullRun, Inputs, Options};
use delimit::layer::{Layer, Role};
use delimit::overlay::GapsOptions;
use serde_json::json;

use super::args::{FieldArgs, InputArgs, LayerArgs, SettlementsArgs, load_or_sample};

/// Inputs and parameters of a full run. Every layer defaults to the
/// embedded sample, so that `delimit qgis -o out` alone gives a project.
#[derive(Debug, Clone, ClapArgs)]
pub(crate) struct FullArgs {
    #[command(flatten)]
    pub layers: LayerArgs,
    #[command(flatten)]
    pub places: SettlementsArgs,
    /// Delimited segments (lines), for progress. Default: the embedded sample (APPROXIMATE).
    #[arg(long, value_name = "FILE")]
    pub segments: Option<PathBuf>,
    /// Admin-1 polygons with `name` and `country`, for progress sectors. Default: the embedded sample.
    #[arg(long, value_name = "FILE")]
    pub admin1: Option<PathBuf>,
    /// A control series (one file split by --time-field, or a glob of
    /// files, one per date; quote it): adds what changed hands between its
    /// snapshots, as in `delimit changes` (a temporal `changes` layer in
    /// QGIS, charts and the largest changes in the report).
    /// With it, every single-date part (gaps, the map, the control layer,
    /// village attributes) uses the snapshot in force at --as-of, so that
    /// one control layer stands behind the whole page or project.
    #[arg(long, value_name = "FILE|GLOB", conflicts_with = "control")]
    pub series: Option<String>,
    /// The date (YYYY-MM-DD) whose snapshot of --series stands for control
    /// in the single-date parts: the latest on or before it. Default: the
    /// series' last date.
    #[arg(long, value_name = "DATE", requires = "series")]
    pub as_of: Option<String>,
    /// Field holding each snapshot's date (YYYY-MM-DD) in --series.
    #[arg(long, value_name = "FIELD", default_value = "as_of")]
    pub time_field: String,
    /// Routes to measure (LineStrings with `name` and `kind`). Default: the
    /// embedded ILLUSTRATIVE routes, when the legal basis is the sample too.
    #[arg(long, value_name = "FILE")]
    pub routes: Option<PathBuf>,
    /// Route constraints (TOML; see docs/corridor.md). Default with the
    /// sample routes: the embedded ILLUSTRATIVE data/corridor.toml.
    #[arg(long, value_name = "TOML")]
    pub constraints: Option<PathBuf>,
    /// Measure no routes (no corridor layers or section).
    #[arg(long, conflicts_with_all = ["routes", "constraints"])]
    pub no_routes: bool,
    /// Pieces narrower than this (m) are slivers. Default: the inputs' positional_accuracy_m, else 100.
    #[arg(long, value_name = "M", value_parser = crate::cli::args::non_negative_number)]
    pub tolerance_m: Option<f64>,
    /// Station spacing along the legal line, m.
    #[arg(long, value_name = "M", default_value_t = 100.0, value_parser = crate::cli::args::positive_number)]
    pub step: f64,
    /// Neighbours digitised apart by up to this many metres share a line.
    #[arg(long, value_name = "M", default_value_t = 100.0, value_parser = crate::cli::args::non_negative_number)]
    pub match_m: f64,
    /// Stamp this date (YYYY-MM-DD) in the outputs. Without it, the same
    /// inputs give byte-identical outputs.
    #[arg(long, value_name = "DATE")]
    pub date: Option<String>,
    /// Source CRS of the inputs, overriding the files': EPSG:28408, a PROJ string or WKT.
    #[arg(long, value_name = "CRS")]
    pub src_crs: Option<String>,
    /// How far a layer can be taken as fact, overriding its file's
    /// `metadata.status`: ROLE=STATUS, e.g. control=approximate.
    #[arg(long, value_name = "ROLE=STATUS", value_parser = super::args::parse_status)]
    pub status: Vec<(delimit::layer::Role, delimit::layer::DataStatus)>,
    #[command(flatten)]
    pub names: FieldArgs,
    #[command(flatten)]
    pub filter: super::args::FilterArgs,
}

/// The layers, loaded.
pub(crate) struct Loaded {
    pub legal: Layer,
    pub control: Layer,
    pub settlements: Layer,
    pub segments: Layer,
    pub admin1: Layer,
    pub routes: Option<Layer>,
    pub options: Options,
    /// The control series, with the options to read it again.
    pub series: Option<(super::series::Series, delimit::io::ReadOptions)>,
    /// With a series: the snapshot standing for control, as recorded in
    /// the provenance's parameters.
    pub in_force: Option<serde_json::Value>,
}

impl Loaded {
    pub fn inputs(&self) -> Inputs<'_> {
        Inputs {
            legal: &self.legal,
            control: &self.control,
            settlements: &self.settlements,
            segments: Some(&self.segments),
            admin1: Some(&self.admin1),
            routes: self.routes.as_ref(),
        }
    }

    pub fn provenance(&self) -> Vec<delimit::layer::Provenance> {
        let mut v: Vec<delimit::layer::Provenance> = [
            Some(&self.legal),
            Some(&self.control),
            Some(&self.settlements),
            Some(&self.segments),
            Some(&self.admin1),
            self.routes.as_ref(),
        ]
        .into_iter()
        .flatten()
        .map(|l| l.provenance.clone())
        .collect();
        if let Some((s, _)) = &self.series {
            // The snapshot in force is the control layer already: listed once.
            v.extend(s.provenance.iter().filter(|p| p.path != self.control.provenance.path).cloned());
        }
        v
    }
}

impl FullArgs {
    /// The reading options. `--format` is not among them: `report` uses it
    /// for its output, and every input's format follows its extension.
    pub fn input(&self) -> InputArgs {
        InputArgs {
            src_crs: self.src_crs.clone(),
            format: None,
            layer: None,
            status: self.status.clone(),
            names: self.names.clone(),
        }
    }

    /// The files of --series (none without it).
    pub fn series_files(&self) -> delimit::Result<Vec<PathBuf>> {
        self.series.as_deref().map(super::series::series_files).transpose().map(Option::unwrap_or_default)
    }

    /// Every input file, --legal-lines and --frame included.
    pub fn paths(&self) -> Vec<&Path> {
        let mut v = self.layers.paths();
        v.extend(
            [&self.places.settlements, &self.segments, &self.admin1, &self.routes, &self.constraints]
                .into_iter()
                .flatten()
                .map(PathBuf::as_path),
        );
        v
    }

    /// Refuse bad values before anything is read.
    pub fn validate(&self) -> delimit::Result<()> {
        self.filter.filter()?;
        if let Some(d) = &self.date {
            let ok = d.len() == 10
                && d.chars().enumerate().all(|(i, c)| if i == 4 || i == 7 { c == '-' } else { c.is_ascii_digit() });
            if !ok {
                return Err(delimit::Error::Usage {
                    option: "--date".into(),
                    message: format!("`{d}` is not YYYY-MM-DD"),
                    hint: None,
                });
            }
        }
        Ok(())
    }

    pub fn parameters(&self) -> serde_json::Value {
        json!({
            "tolerance_m": self.tolerance_m, "step_m": self.step, "match_m": self.match_m,
            "owner_field": self.names.owner_field, "controller_field": self.names.controller_field, "name_field": self.names.name_field,
            "constraints": self.constraints_label(),
            "constraints_sha256": self.constraints_sha256(),
            "filter": (!self.filter.describe().is_empty()).then(|| self.filter.describe()),
        })
    }

    /// The parameters, with the snapshot that stands for control.
    pub fn parameters_of(&self, loaded: &Loaded) -> serde_json::Value {
        let mut p = self.parameters();
        if let Some(n) = &loaded.in_force {
            p["series"] = n.clone();
        }
        p
    }

    /// Whether the run measures the embedded sample routes (with the
    /// embedded constraints): no routes, no legal basis given.
    fn sample_routes(&self) -> bool {
        !self.no_routes && self.routes.is_none() && self.layers.legal.is_none() && !self.layers.legal_lines.given()
    }

    /// The constraints file measured against, embedded sample included.
    fn constraints_label(&self) -> Option<String> {
        match (&self.constraints, self.sample_routes()) {
            (Some(p), _) => Some(p.display().to_string()),
            (None, true) => Some("embedded:data/corridor.toml".into()),
            (None, false) => None,
        }
    }

    fn constraints_sha256(&self) -> Option<String> {
        use sha2::Digest;
        let bytes = match (&self.constraints, self.sample_routes()) {
            (Some(p), _) => std::fs::read(p).ok()?,
            (None, true) => delimit::sample::file("corridor.toml")?.bytes.to_vec(),
            (None, false) => return None,
        };
        Some(sha2::Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect())
    }

    pub fn load(&self) -> delimit::Result<Loaded> {
        let input = self.input();
        let i = &input;
        let as_of = self.as_of.as_deref().map(|d| super::series::date_option("--as-of", d)).transpose()?;
        let series = match &self.series {
            Some(s) => {
                let read = i.read_options(Some(Role::Control))?;
                let single = !super::series::is_glob(s);
                let files = self.series_files()?;
                Some((super::series::Series::read(&files, single, &read, &self.time_field)?, read))
            }
            None => None,
        };
        // One control layer for the whole run: with a series, the snapshot
        // in force at --as-of (by default its last date), never the sample.
        let (legal, control, in_force) = match &series {
            Some((sr, read)) => {
                let (k, note) = sr.standing(as_of.as_deref())?;
                let control = sr.load(k, read)?.into_owned();
                let legal = self.layers.legal(i, None, Some(&control))?;
                (legal, control, Some(note))
            }
            None => {
                let (legal, control) = self.layers.load(i, None)?;
                (legal, control, None)
            }
        };
        let settlements = self.places.load(i)?;
        let segments = load_or_sample(self.segments.as_deref(), "segments.geojson", Role::Segments, i, None)?;
        let admin_input = i.with_owner_field("country");
        let admin1 = load_or_sample(self.admin1.as_deref(), "admin1.geojson", Role::Legal, &admin_input, None)?;
        // The sample routes only make sense against the sample basis.
        let sample_routes = self.sample_routes();
        let routes = match (&self.routes, sample_routes) {
            (Some(p), _) => Some(delimit::io::read_layer(p, &i.read_options(Some(Role::Routes))?)?),
            (None, true) => Some(load_or_sample(None, "routes.geojson", Role::Routes, i, None)?),
            (None, false) => None,
        };
        let constraints = match (&self.constraints, sample_routes) {
            (Some(p), _) => Constraints::read(p)?,
            (None, true) => {
                let f = delimit::sample::file("corridor.toml").expect("embedded");
                Constraints::parse(
                    Path::new("embedded:data/corridor.toml"),
                    std::str::from_utf8(f.bytes).unwrap_or_default(),
                )?
            }
            (None, false) => Constraints::default(),
        };
        let label = self.constraints.clone().unwrap_or_else(|| "embedded:data/corridor.toml".into());
        constraints.check_parties(&label, &legal, &i.owner_field)?;
        let protected =
            delimit::corridor::plan::read_protected(&constraints, self.constraints.as_deref(), &i.read_options(None)?)?;
        let options = Options {
            gaps: GapsOptions {
                owner_field: i.owner_field.clone(),
                controller_field: i.controller_field.clone(),
                name_field: i.name_field.clone(),
                tolerance_m: self.tolerance_m,
                ..GapsOptions::default()
            },
            lines: delimit::lines::LinesOptions {
                step_m: self.step,
                name_field: i.name_field.clone(),
                ..Default::default()
            },
            match_m: self.match_m,
            constraints,
            protected,
            ..Options::default()
        };
        Ok(Loaded { legal, control, settlements, segments, admin1, routes, options, series, in_force })
    }
}

/// Run every analysis on the loaded layers.
/// Every analysis, then the pieces the filter flags keep (after the
/// conservation check: measures are unchanged); what they left out is
/// noted on stderr.
pub(crate) fn run(l: &Loaded, args: &FullArgs) -> delimit::Result<FullRun> {
    let filter = args.filter.filter()?;
    let _step = super::verbosity::Step::start("running every analysis: gaps, lines, progress, routes…");
    let mut run = delimit::job::run(&l.inputs(), &l.options)?;
    if let Some((series, read)) = &l.series {
        let load = |k: usize| series.load(k, read);
        let opts = delimit::changes::ChangesOptions { gaps: l.options.gaps.clone(), ..Default::default() };
        let mut r = delimit::changes::changes_streamed(&l.legal, &series.dated, &load, Some(&l.settlements), &opts)?;
        delimit::changes::name_admin1(&mut r, &l.admin1);
        run.changes = Some(r);
    }
    if filter.is_active() {
        let out = filter.apply(&mut run.gaps.gaps);
        super::verbosity::note!(
            "filter: {}; left out {} pieces, {} km²",
            args.filter.describe(),
            out.pieces,
            super::table::area_km2(out.km2)
        );
    }
    Ok(run)
}
