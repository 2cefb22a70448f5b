//! Native GeoJSON: read with messages that name the feature and say what
//! is wrong ([`read`]); written per RFC 7946 and RFC 8142 ([`write`]).

mod read;
mod write;

pub(crate) use read::parse;
pub use write::{GeoJsonOptions, write_features, write_sequence};
