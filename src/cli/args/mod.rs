//! Flags shared by several subcommands, and their conversion to library
//! options: one file per group of flags.

mod filter;
mod io;
mod layers;
mod legal_lines;

pub(crate) use filter::FilterArgs;
pub(crate) use io::{FieldArgs, InputArgs, IoArgs, OutputArgs, default_style, parse_status, stamp_status};
pub(crate) use layers::{
    LayerArgs, SettlementsArgs, load_or_sample, non_negative_number, positive_number, sample_within,
};
pub(crate) use legal_lines::LegalLinesArgs;
