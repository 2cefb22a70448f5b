//! The layer model: named features in EPSG:4326 lon/lat, with a role and the
//! provenance of the file they came from.

use std::borrow::Cow;

use geo::{BoundingRect, CoordsIter, Geometry, MultiPolygon, Rect};
use serde::Serialize;
use serde_json::{Map, Value};

/// What a layer means to delimit. The role decides which field is the key.
///
/// ```
/// use delimit::layer::Role;
/// assert_eq!("legal".parse::<Role>().unwrap(), Role::Legal);
/// assert_eq!(Role::Control.to_string(), "control");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The legal basis: polygons with an owner.
    Legal,
    /// De facto control: polygons with a controller, optional `as_of` and `source`.
    Control,
    /// Settlements: points with a name and alternate names.
    Settlements,
    /// Transit routes: lines with a name.
    Routes,
    /// Delimited segments: lines.
    Segments,
}

impl Role {
    /// Every role, in documentation order.
    pub const ALL: [Role; 5] = [Role::Legal, Role::Control, Role::Settlements, Role::Routes, Role::Segments];

    /// The lower-case name used on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Legal => "legal",
            Role::Control => "control",
            Role::Settlements => "settlements",
            Role::Routes => "routes",
            Role::Segments => "segments",
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| format!("unknown role `{s}` (expected legal, control, settlements, routes or segments)"))
    }
}

/// The attribute names delimit reads, settable from the command line.
///
/// ```
/// use delimit::layer::{FieldNames, Role};
/// let f = FieldNames::default();
/// assert_eq!(f.key_for(Role::Legal), Some(("owner", "--owner-field")));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldNames {
    /// Legal owner (ISO 3166-1 alpha-3 in the bundled data).
    pub owner: String,
    /// De facto controller.
    pub controller: String,
    /// Date the control position was observed.
    pub as_of: String,
    /// Source of the control position.
    pub source: String,
    /// Settlement or route name.
    pub name: String,
    /// Alternate names (comma-separated string or JSON array).
    pub alt_names: String,
}

impl Default for FieldNames {
    fn default() -> Self {
        FieldNames {
            owner: "owner".into(),
            controller: "controller".into(),
            as_of: "as_of".into(),
            source: "source".into(),
            name: "name".into(),
            alt_names: "alternatenames".into(),
        }
    }
}

impl FieldNames {
    /// The key field a role requires, with the flag that renames it.
    pub fn key_for(&self, role: Role) -> Option<(&str, &'static str)> {
        match role {
            Role::Legal => Some((&self.owner, "--owner-field")),
            Role::Control => Some((&self.controller, "--controller-field")),
            Role::Settlements | Role::Routes => Some((&self.name, "--name-field")),
            Role::Segments => None,
        }
    }
}

/// The coordinate operation applied on load, as PROJ described it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CrsOperation {
    /// PROJ's name for the operation, e.g. "Inverse of 6-degree Gauss-Kruger
    /// zone 8 + Pulkovo 1942 to WGS 84 (16)".
    pub name: String,
    /// The PROJ pipeline that was run, so anyone can rerun it with `cct`.
    pub pipeline: String,
    /// Stated accuracy in metres; `None` where PROJ does not know it (a
    /// ballpark transformation that ignores the datum shift).
    pub accuracy_m: Option<f64>,
    /// Whether PROJ had to fall back to a ballpark transformation.
    pub ballpark: bool,
}

/// How far a layer can be taken as fact. It travels with the data into
/// every output a reader sees (text, JSON, features, report, QGIS).
///
/// ```
/// use delimit::layer::DataStatus;
/// assert_eq!(DataStatus::from_name("illustrative"), Ok(DataStatus::Illustrative));
/// assert!(DataStatus::Illustrative > DataStatus::Observed);
/// assert_eq!(DataStatus::Approximate.to_string(), "approximate");
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DataStatus {
    /// Observed or surveyed, as its source states (the default for user data).
    #[default]
    Observed,
    /// Nothing states how far it can be taken as fact: a layer copied out
    /// of its source (the QGIS plugin's copies of memory or database
    /// layers) says so rather than pass as observed.
    Unknown,
    /// Close to the truth but not it: a stand-in geometry, placed by hand.
    Approximate,
    /// An illustration of the format and the method, not a statement of fact.
    Illustrative,
}

impl DataStatus {
    /// `observed`, `approximate` or `illustrative`.
    pub fn as_str(self) -> &'static str {
        match self {
            DataStatus::Observed => "observed",
            DataStatus::Unknown => "unknown",
            DataStatus::Approximate => "approximate",
            DataStatus::Illustrative => "illustrative",
        }
    }

    /// Parse a status name (case-insensitive).
    pub fn from_name(s: &str) -> Result<DataStatus, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "observed" => Ok(DataStatus::Observed),
            "unknown" => Ok(DataStatus::Unknown),
            "approximate" => Ok(DataStatus::Approximate),
            "illustrative" => Ok(DataStatus::Illustrative),
            other => Err(format!("unknown status `{other}` (expected observed, approximate, illustrative or unknown)")),
        }
    }

    /// Whether a reader must be told.
    pub fn is_caveat(self) -> bool {
        self != DataStatus::Observed
    }

    /// As a reader is told it, in capitals: `ILLUSTRATIVE`, `APPROXIMATE`,
    /// `STATUS UNKNOWN`.
    pub fn label(self) -> &'static str {
        match self {
            DataStatus::Observed => "OBSERVED",
            DataStatus::Unknown => "STATUS UNKNOWN",
            DataStatus::Approximate => "APPROXIMATE",
            DataStatus::Illustrative => "ILLUSTRATIVE",
        }
    }

    /// What a caveat says where the input gives no note of its own.
    pub fn default_note(self) -> Option<&'static str> {
        (self == DataStatus::Unknown).then_some("nothing states whether it is observed, approximate or illustrative")
    }
}

/// Where a layer's [`DataStatus`] came from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StatusFrom {
    /// Nothing stated it.
    #[default]
    None,
    /// The file's own metadata.
    File,
    /// The caller, overriding the file.
    Given,
}

impl std::fmt::Display for DataStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a layer came from.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Provenance {
    /// The path given (or `-` for stdin).
    pub path: String,
    /// The layer name inside the file.
    pub layer: String,
    /// sha256 of the input bytes (of the main file for multi-file formats).
    pub sha256: String,
    /// The reader: `GeoJSON (native)` or the GDAL driver short name.
    pub driver: String,
    /// The source CRS as declared (or overridden), e.g. `EPSG:28408`.
    pub source_crs: String,
    /// How the source CRS was decided: `file`, `--src-crs` or `default (RFC 7946)`.
    pub crs_from: String,
    /// The operation applied to reach EPSG:4326; `None` when the data was
    /// already WGS 84 lon/lat.
    pub operation: Option<CrsOperation>,
    /// Observed, approximate or illustrative: from the file's `metadata`
    /// (`status`, or `illustrative: true`) or `--status`.
    pub status: DataStatus,
    /// What the status means for this layer, in the file's words.
    pub status_note: Option<String>,
    /// Where the status came from: the file's metadata, given by the caller
    /// (a `--status` override), or nothing (observed is then assumed, and a
    /// front end that copied the layer can tell that no one stated it).
    pub status_from: StatusFrom,
    /// The role it was read for (`legal`, `control`, …), when it had one.
    pub role: Option<String>,
}

impl Provenance {
    /// One line saying how the layer's CRS was handled, with the operation's
    /// stated accuracy and a warning for a ballpark one.
    ///
    /// ```
    /// let p = delimit::sample::load("legal.geojson", &Default::default()).unwrap().provenance;
    /// assert!(p.crs_line().starts_with("EPSG:4326"));
    /// ```
    pub fn crs_line(&self) -> String {
        match &self.operation {
            None => format!("{} ({}); no transformation", self.source_crs, self.crs_from),
            Some(op) => {
                let acc = op.accuracy_m.map_or("accuracy unknown".to_string(), |a| format!("accuracy {a} m"));
                let warn =
                    if op.ballpark { " — BALLPARK: the datum shift is ignored, expect errors of ~100 m" } else { "" };
                format!("{} ({}) → EPSG:4326 by `{}` ({acc}){warn}", self.source_crs, self.crs_from, op.name)
            }
        }
    }
}

/// One feature: a geometry, its properties and a stable id.
#[derive(Debug, Clone, PartialEq)]
pub struct Feature {
    /// Stable id: the GeoJSON `id`, else an `id` property, else the OGR FID,
    /// else the 1-based position in the file.
    pub id: String,
    /// 0-based position in the file, for messages.
    pub index: usize,
    /// Geometry in EPSG:4326 lon/lat; `None` for a null geometry.
    pub geometry: Option<Geometry<f64>>,
    /// Attribute values as JSON.
    pub properties: Map<String, Value>,
}

impl Feature {
    /// A property rendered as text, for keys such as owner or name. Numbers
    /// are accepted (some files code owners numerically); null is `None`.
    ///
    /// ```
    /// use delimit::layer::Feature;
    /// let mut f = Feature { id: "1".into(), index: 0, geometry: None, properties: Default::default() };
    /// f.properties.insert("owner".into(), "ARM".into());
    /// assert_eq!(f.text("owner").as_deref(), Some("ARM"));
    /// assert_eq!(f.text("missing"), None);
    /// ```
    pub fn text(&self, field: &str) -> Option<String> {
        match self.properties.get(field)? {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }

    /// The feature's polygons, borrowed when it holds a MultiPolygon (a
    /// second copy of every vertex costs hundreds of MB at world scale);
    /// `None` for a feature without polygonal geometry.
    ///
    /// ```
    /// use delimit::layer::Feature;
    /// let p = geo::wkt!(POLYGON((0. 0., 1. 0., 1. 1., 0. 0.)));
    /// let f = Feature { id: "1".into(), index: 0, geometry: Some(p.into()), properties: Default::default() };
    /// assert_eq!(f.polygons().unwrap().0.len(), 1);
    /// let pt = Feature { geometry: Some(geo::Point::new(0.0, 0.0).into()), ..f };
    /// assert!(pt.polygons().is_none());
    /// ```
    pub fn polygons(&self) -> Option<Cow<'_, MultiPolygon<f64>>> {
        match &self.geometry {
            Some(Geometry::Polygon(p)) => Some(Cow::Owned(MultiPolygon(vec![p.clone()]))),
            Some(Geometry::MultiPolygon(m)) => Some(Cow::Borrowed(m)),
            _ => None,
        }
    }
}

/// A field in the layer's schema.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldInfo {
    /// Field name.
    pub name: String,
    /// Type as the reader saw it (`String`, `Integer64`, `Real`, … or JSON kinds).
    pub kind: String,
}

/// Notes the reader made without failing: things `check` reports and the
/// other commands may ignore.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReadNote {
    /// Feature id.
    pub feature: String,
    /// What the reader saw, e.g. "ring 0 of polygon 0 is not closed".
    pub message: String,
    /// Where, in lon/lat, if known.
    pub location: Option<[f64; 2]>,
    /// Machine code: `ring_not_closed`, `ring_too_short`, `z_dropped`.
    pub code: &'static str,
}

/// A layer: features in EPSG:4326, the schema, and where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Layer {
    /// The layer name (file stem for single-layer formats).
    pub name: String,
    /// The role it was loaded for, if any.
    pub role: Option<Role>,
    /// The features, in file order.
    pub features: Vec<Feature>,
    /// Fields in file order.
    pub fields: Vec<FieldInfo>,
    /// Where it came from.
    pub provenance: Provenance,
    /// Reader notes (unclosed rings that were closed, dropped Z values).
    pub notes: Vec<ReadNote>,
}

impl Layer {
    /// Bounding box of all non-null geometries, lon/lat.
    pub fn bbox(&self) -> Option<Rect<f64>> {
        let mut acc: Option<Rect<f64>> = None;
        for g in self.features.iter().filter_map(|f| f.geometry.as_ref()) {
            if let Some(r) = g.bounding_rect() {
                acc = Some(match acc {
                    None => r,
                    Some(a) => Rect::new(
                        geo::coord! { x: a.min().x.min(r.min().x), y: a.min().y.min(r.min().y) },
                        geo::coord! { x: a.max().x.max(r.max().x), y: a.max().y.max(r.max().y) },
                    ),
                });
            }
        }
        acc
    }

    /// Total number of vertices over all features.
    pub fn vertex_count(&self) -> usize {
        self.features.iter().filter_map(|f| f.geometry.as_ref()).map(|g| g.coords_count()).sum()
    }
}

/// Geometry type name as GeoJSON spells it.
///
/// ```
/// use delimit::layer::geometry_type_name;
/// assert_eq!(geometry_type_name(&geo::Geometry::Point(geo::point!(x: 1.0, y: 2.0))), "Point");
/// ```
pub fn geometry_type_name(g: &Geometry<f64>) -> &'static str {
    match g {
        Geometry::Point(_) => "Point",
        Geometry::Line(_) => "LineString",
        Geometry::LineString(_) => "LineString",
        Geometry::Polygon(_) => "Polygon",
        Geometry::MultiPoint(_) => "MultiPoint",
        Geometry::MultiLineString(_) => "MultiLineString",
        Geometry::MultiPolygon(_) => "MultiPolygon",
        Geometry::GeometryCollection(_) => "GeometryCollection",
        Geometry::Rect(_) => "Polygon",
        Geometry::Triangle(_) => "Polygon",
    }
}
