//! `delimit data list` and `delimit data export DIR`

use std::io::Write;
use std::path::PathBuf;

use anyhow::Result;
use clap::{Args as ClapArgs, Subcommand};
use delimit::sample::FILES;
use sha2::{Digest, Sha256};

use super::Outcome;

/// Show or write the sample data embedded in the binary.
#[derive(Debug, ClapArgs)]
pub(crate) struct Args {
    #[command(subcommand)]
    action: Action,
}

#[derive(Debug, Subcommand)]
enum Action {
    /// List the embedded files with their size, sha256 and licence.
    List {
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
    /// Write the embedded files into DIR (which must exist).
    Export {
        /// Destination folder.
        #[arg(help_heading = crate::cli::describe::OUTPUT_HEADING, value_name = "DIR")]
        dir: PathBuf,
        /// Replace files that already exist.
        #[arg(long, help_heading = crate::cli::describe::OUTPUT_HEADING)]
        force: bool,
    },
}

pub(crate) fn run(args: Args) -> Result<Outcome> {
    let mut out = std::io::stdout().lock();
    match args.action {
        Action::List { json } => {
            let rows: Vec<serde_json::Value> = FILES
                .iter()
                .map(|f| {
                    serde_json::json!({
                        "name": f.name,
                        "bytes": f.bytes.len(),
                        "sha256": hex(&Sha256::digest(f.bytes)),
                        "licence": f.licence,
                        "what": f.what,
                    })
                })
                .collect();
            if json {
                serde_json::to_writer_pretty(&mut out, &rows)?;
                writeln!(out)?;
            } else {
                for r in &rows {
                    writeln!(
                        out,
                        "{:<26} {:>9} B  {}  {}",
                        r["name"].as_str().unwrap_or_default(),
                        r["bytes"],
                        r["licence"].as_str().unwrap_or_default(),
                        r["what"].as_str().unwrap_or_default()
                    )?;
                }
                writeln!(
                    out,
                    "sources and every transformation: data/SOURCES.md (also `delimit data export` then read it)"
                )?;
            }
        }
        Action::Export { dir, force } => {
            let files: Vec<(&str, &[u8])> = FILES.iter().map(|f| (f.name, f.bytes)).collect();
            for p in delimit::io::write_files(&dir, &files, force)? {
                writeln!(out, "{}", p.display())?;
            }
        }
    }
    Ok(Outcome::Ok)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
