//! What a reader hands over before the CRS is applied and the role checked.

use geo::{Coord, Geometry};
use serde_json::{Map, Value};

use crate::layer::{FieldInfo, ReadNote};

#[derive(Debug, Default)]
pub(crate) struct RawFeature {
    pub id: String,
    pub index: usize,
    pub geometry: Option<Geometry<f64>>,
    pub properties: Map<String, Value>,
}

#[derive(Debug, Default)]
pub(crate) struct RawLayer {
    pub name: String,
    pub driver: String,
    /// CRS as the file declares it, as a definition PROJ accepts.
    pub declared_crs: Option<String>,
    pub features: Vec<RawFeature>,
    pub fields: Vec<FieldInfo>,
    pub notes: Vec<ReadNote>,
    /// The status the file declares for itself, with its note.
    pub status: Option<(crate::layer::DataStatus, Option<String>)>,
}

/// Note a ring that is not closed, or has fewer than 3 distinct positions.
/// geo closes rings silently, so readers must look before converting.
pub(crate) fn note_ring(pts: &[Coord<f64>], feature: &str, poly: usize, ring: usize, notes: &mut Vec<ReadNote>) {
    let closed = !pts.is_empty() && pts.first() == pts.last();
    if !pts.is_empty() && !closed {
        notes.push(ReadNote {
            feature: feature.to_string(),
            message: format!("ring {ring} of polygon {poly} is not closed; closed on load"),
            location: pts.last().map(|c| [c.x, c.y]),
            code: "ring_not_closed",
        });
    }
    let distinct = if closed { pts.len() - 1 } else { pts.len() };
    if distinct < 3 {
        notes.push(ReadNote {
            feature: feature.to_string(),
            message: format!(
                "ring {ring} of polygon {poly} has {distinct} distinct position(s); a ring needs at least 3"
            ),
            location: pts.first().map(|c| [c.x, c.y]),
            code: "ring_too_short",
        });
    }
}
