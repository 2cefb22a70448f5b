//! Typed errors for the library: every variant names the file, and where it
//! applies the feature, the field and the C call that failed.

use std::path::PathBuf;

/// Whether a failure is the user's input (exit 2) or the processing (exit 1).
///
/// ```
/// use delimit::error::{Error, ErrorClass};
/// let e = Error::UnknownFormat { path: "a.xyz".into(), extension: "xyz".into() };
/// assert_eq!(e.class(), ErrorClass::Input);
/// assert_eq!(e.class().exit_code(), 2);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    /// Bad arguments or unreadable/malformed input: exit code 2.
    Input,
    /// The inputs were fine but the work failed or found data errors: exit code 1.
    Processing,
}

impl ErrorClass {
    /// The process exit code for this class (osmium-tool convention).
    pub fn exit_code(self) -> u8 {
        match self {
            ErrorClass::Input => 2,
            ErrorClass::Processing => 1,
        }
    }
}

/// Everything the library can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The file could not be opened or read.
    #[error("cannot read {}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// The bytes are not UTF-8 (GeoJSON must be).
    #[error("{}: not UTF-8 at line {line}, column {column} (byte {offset})", path.display())]
    NotUtf8 { path: PathBuf, line: usize, column: usize, offset: usize },

    /// The text is not valid JSON.
    #[error("{}: not valid JSON at line {line}, column {column}: {message}", path.display())]
    Json { path: PathBuf, line: usize, column: usize, message: String, hint: Option<String> },

    /// The JSON is valid but is not the GeoJSON that was expected.
    #[error("{}: {message}", path.display())]
    GeoJson { path: PathBuf, message: String, hint: Option<String> },

    /// One feature's geometry cannot be used.
    #[error("{}: feature {feature}: {message}", path.display())]
    Geometry { path: PathBuf, feature: String, message: String, hint: Option<String> },

    /// The file holds no features.
    #[error("{}: layer `{layer}` has no features", path.display())]
    Empty { path: PathBuf, layer: String },

    /// A field that the role needs is not in the file.
    #[error("{}: field `{field}` ({purpose}) not found", path.display())]
    MissingField { path: PathBuf, field: String, purpose: String, flag: String, available: Vec<String> },

    /// A feature lacks a value for a required field, or the value is unusable.
    #[error("{}: feature {feature}: field `{field}` {problem}", path.display())]
    FieldValue { path: PathBuf, feature: String, field: String, problem: String },

    /// The extension names no format we know.
    #[error("{}: unknown format `.{extension}`", path.display())]
    UnknownFormat { path: PathBuf, extension: String },

    /// A file holds several layers and none was chosen.
    #[error("{}: holds {} layers ({}); choose one", path.display(), layers.len(), layers.join(", "))]
    AmbiguousLayer { path: PathBuf, layers: Vec<String> },

    /// The named layer is not in the file.
    #[error("{}: no layer named `{layer}` (layers: {})", path.display(), available.join(", "))]
    NoSuchLayer { path: PathBuf, layer: String, available: Vec<String> },

    /// GDAL failed; `call` names what we asked of it.
    #[error("{}: GDAL {call} failed", path.display())]
    Gdal {
        path: PathBuf,
        call: &'static str,
        #[source]
        source: gdal::errors::GdalError,
    },

    /// The CRS definition is not understood by PROJ.
    #[error("unknown CRS `{definition}`{}", context_suffix(context))]
    Crs { definition: String, context: Option<PathBuf>, message: String },

    /// Coordinates do not fit the CRS the file declares.
    #[error("{}: coordinates do not fit the declared CRS {crs}: {message}", path.display())]
    CrsMismatch { path: PathBuf, crs: String, message: String, hint: String },

    /// PROJ failed while transforming.
    #[error("PROJ {call} failed from {from} to {to}: {message}")]
    Proj { call: &'static str, from: String, to: String, message: String },

    /// The output exists and `--force` was not given.
    #[error("output {} already exists", path.display())]
    OutputExists { path: PathBuf },

    /// The output would overwrite one of the inputs.
    #[error("output {} is one of the inputs ({})", path.display(), input.display())]
    OutputIsInput { path: PathBuf, input: PathBuf },

    /// The output path is not a regular file (a device, FIFO, socket or folder).
    #[error("output {} is {what}, not a file", path.display())]
    OutputNotFile { path: PathBuf, what: String },

    /// No passable path joins the two ends of a route search.
    #[error("no route: {reason}")]
    NoRoute { reason: String },

    /// An option would size the work beyond a limit.
    #[error("{option} {message}")]
    TooLarge { option: String, message: String, hint: String },

    /// The output's folder does not exist.
    #[error("output folder {} does not exist", path.display())]
    OutputFolder { path: PathBuf },
    /// A folder to write into exists and is not a folder.
    #[error("{} exists and is not a folder", path.display())]
    NotAFolder { path: PathBuf },

    /// Writing the output failed; nothing was left behind.
    #[error("cannot write {}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// Adding the styles table to a GeoPackage failed.
    #[error("cannot write the styles of {}: {message}", path.display())]
    Sqlite { path: PathBuf, message: String },

    /// An input cannot be overlaid as it stands.
    #[error("{}: {message}", path.display())]
    InvalidInput { path: PathBuf, message: String, hint: String },

    /// The overlay of one unit failed (i_overlay panicked); names the features.
    #[error("overlay of unit {unit} failed (with {}): {message}", others.join(", "))]
    Overlay { unit: String, others: Vec<String>, message: String },

    /// The pieces of a unit do not add up to it: a wrong answer, refused.
    #[error("conservation check failed for {unit}: {message}")]
    Conservation { unit: String, message: String },

    /// No settlement matches a name.
    #[error("no place matches `{query}`")]
    NoMatch { query: String, suggestions: Vec<String> },

    /// A name matches settlements, but none passes the `--in` filter.
    #[error("`{query}` matches {} place(s), none in {within}: {}", candidates.len(), candidates.join("; "))]
    NoMatchWithin { query: String, within: String, candidates: Vec<String> },

    /// Several settlements match a name.
    #[error("`{query}` matches {} places: {}", candidates.len(), candidates.join("; "))]
    Ambiguous { query: String, candidates: Vec<String> },

    /// A row of a batch file cannot be read.
    #[error("{}: line {line}: {message}", path.display())]
    BadRow { path: PathBuf, line: usize, message: String, hint: Option<String> },

    /// An option value is out of its domain.
    #[error("invalid value for {option}: {message}")]
    Usage { option: String, message: String, hint: Option<String> },
}

fn context_suffix(ctx: &Option<PathBuf>) -> String {
    ctx.as_ref().map(|p| format!(" in {}", p.display())).unwrap_or_default()
}

impl Error {
    /// Input error (exit 2) or processing failure (exit 1).
    pub fn class(&self) -> ErrorClass {
        match self {
            Error::Proj { .. }
            | Error::Write { .. }
            | Error::Sqlite { .. }
            | Error::Overlay { .. }
            | Error::Conservation { .. }
            | Error::NoMatch { .. }
            | Error::NoMatchWithin { .. }
            | Error::Ambiguous { .. }
            | Error::NoRoute { .. } => ErrorClass::Processing,
            _ => ErrorClass::Input,
        }
    }

    /// A concrete next step for the user, where there is one.
    ///
    /// ```
    /// use delimit::error::Error;
    /// let e = Error::OutputExists { path: "gaps.geojson".into() };
    /// assert!(e.hint().unwrap().contains("--force"));
    /// ```
    pub fn hint(&self) -> Option<String> {
        match self {
            Error::NotUtf8 { .. } => Some(
                "GeoJSON must be UTF-8 (RFC 7946); re-encode it, e.g. `iconv -f CP1251 -t UTF-8 in.geojson > out.geojson`".into(),
            ),
            Error::Json { hint, .. } | Error::GeoJson { hint, .. } | Error::Geometry { hint, .. } => {
                hint.clone()
            }
            Error::Usage { hint, .. } | Error::BadRow { hint, .. } => hint.clone(),
            Error::NoMatch { suggestions, .. } => Some(if suggestions.is_empty() {
                "no name is close; check the spelling, or ask by coordinates with --at LAT,LON".into()
            } else {
                format!("closest names: {}", suggestions.join(", "))
            }),
            Error::NoMatchWithin { .. } => Some("drop or change --in; the places above are where the name is found".into()),
            Error::Ambiguous { .. } => Some(
                "narrow it with --in PROVINCE (or --in ARM / --in AZE for the legal owner), or give the id shown".into(),
            ),
            Error::MissingField { flag, available, .. } => Some(if available.is_empty() {
                "the file has no attribute fields at all".to_string()
            } else {
                format!("the file has: {}; pick one with {flag} NAME", available.join(", "))
            }),
            Error::UnknownFormat { .. } => Some(
                "use .geojson, .json, .gpkg, .shp, .fgb, .kml, .gml or .csv, or name a GDAL driver with --format".into(),
            ),
            Error::AmbiguousLayer { layers, .. } => {
                Some(format!("add --layer {}", layers.first().map(String::as_str).unwrap_or("NAME")))
            }
            Error::Crs { .. } => {
                Some("give it as AUTHORITY:CODE (e.g. EPSG:28408), a PROJ string or WKT".into())
            }
            Error::CrsMismatch { hint, .. } | Error::InvalidInput { hint, .. } => Some(hint.clone()),
            Error::Overlay { .. } => Some("try --repair; if it persists, please report it with the two features".into()),
            Error::Conservation { .. } => Some("this is a bug in delimit, not in your data: please report it with the unit".into()),
            Error::OutputExists { .. } => Some("pass --force to replace it".into()),
            Error::OutputIsInput { .. } => {
                Some("inputs are never overwritten, even with --force; choose another path".into())
            }
            Error::OutputFolder { .. } => Some("create the folder first, or choose another path".into()),
            Error::NotAFolder { .. } => Some("name a folder, or a path that does not exist yet (it is created)".into()),
            Error::OutputNotFile { .. } => Some("outputs are regular files, replaced by a rename; name a file (for stdout, use -o - where the command has it)".into()),
            Error::TooLarge { hint, .. } => Some(hint.clone()),
            Error::NoRoute { .. } => Some("nothing was written; raise --margin-km, or relax the hard rules the reason names (--cost-out on a run that finds a route shows the impassable cells)".into()),
            _ => None,
        }
    }
}

/// The library's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
