//! All integration tests build into one binary (ripgrep's layout): faster to
//! link, one place for helpers.

mod util;

mod changes;
mod check;
mod cli;
mod corridor;
mod coverage;
mod crs;
mod data;
mod determinism;
mod formats;
mod gaps;
mod hostile;
mod info;
mod lines;
mod malformed;
mod plugin;
mod polygonize;
mod postgis;
mod qgis;
mod report;
mod status;
mod village;
