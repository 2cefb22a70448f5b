//! Control series on the command line: `--series FILE|GLOB`, shared by
//! `changes` and `gaps --as-of`.

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use delimit::Layer;
use delimit::changes::{Dated, parse_date, snapshot_of_file, split_series};
use delimit::io::ReadOptions;
use delimit::layer::Provenance;
use rayon::prelude::*;

/// Whether `--series` is a pattern (else one file holding the whole series).
pub(crate) fn is_glob(s: &str) -> bool {
    s.contains(['*', '?', '[', '{']) && !Path::new(s).is_file()
}

/// The files of `--series`: a glob (wildcards in the file name) or one file.
pub(crate) fn series_files(s: &str) -> Result<Vec<PathBuf>, delimit::Error> {
    // A file whose own name holds brackets is that file.
    if is_glob(s) { expand(s) } else { Ok(vec![PathBuf::from(s)]) }
}

/// Files matching a glob whose wildcards (`*`, `?`, `[…]`, `{a,b}`) are in
/// the file name, as the shell matches them: with `globset` (linear in the
/// name; the hand matcher before it took 20 s on six stars), hidden files
/// only when the pattern starts with a dot (macOS `._` files and backups
/// gave duplicate dates), links followed to what they name, and anything
/// that matches but is not a regular file refused by name (a FIFO or a
/// dangling link was dropped without a word, and `gaps --as-of` then read
/// the wrong snapshot).
fn expand(pattern: &str) -> Result<Vec<PathBuf>, delimit::Error> {
    let usage = |message: String, hint: &str| delimit::Error::Usage {
        option: "--series".into(),
        message,
        hint: Some(hint.into()),
    };
    let p = Path::new(pattern);
    let dir = p.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    if dir.to_string_lossy().contains(['*', '?', '[', '{']) {
        return Err(usage(
            format!("`{pattern}` has wildcards in its folder"),
            "the wildcards may only be in the file name: --series 'positions/*.geojson'",
        ));
    }
    let glob = globset::GlobBuilder::new(&name)
        .literal_separator(true)
        .backslash_escape(true)
        .build()
        .map_err(|e| {
            usage(
                format!("`{pattern}` is not a valid pattern: {}", e.kind()),
                "use *, ?, [abc] or {a,b} in the file name",
            )
        })?
        .compile_matcher();
    let entries = std::fs::read_dir(dir).map_err(|e| {
        usage(
            format!("cannot list {}: {e}", dir.display()),
            "the wildcards may only be in the file name: --series 'positions/*.geojson'",
        )
    })?;
    let hidden_too = name.starts_with('.');
    let mut out: Vec<PathBuf> = Vec::new();
    for e in entries.filter_map(|e| e.ok()) {
        let file_name = e.file_name();
        let n = file_name.to_string_lossy();
        if (!hidden_too && n.starts_with('.')) || !glob.is_match(n.as_ref()) {
            continue;
        }
        let path = e.path();
        // Followed: a link to a snapshot is that snapshot.
        match std::fs::metadata(&path) {
            Ok(m) if m.is_file() => out.push(path),
            Ok(m) if m.is_dir() => {}
            Ok(_) => {
                return Err(usage(
                    format!(
                        "{} matches `{pattern}` but is not a regular file (a FIFO, socket or device)",
                        path.display()
                    ),
                    "a series is read from files; move it away or narrow the pattern",
                ));
            }
            Err(err) => {
                return Err(usage(
                    format!("{} matches `{pattern}` but cannot be read: {err}", path.display()),
                    "mend or remove the link, or narrow the pattern",
                ));
            }
        }
    }
    out.sort();
    if out.is_empty() {
        return Err(usage(
            format!("no file matches `{pattern}`"),
            "quote the pattern so the shell does not expand it: --series 'positions/*.geojson'",
        ));
    }
    Ok(out)
}

/// A date option's value as `YYYY-MM-DD`.
pub(crate) fn date_option(option: &str, s: &str) -> Result<String, delimit::Error> {
    parse_date(s).ok_or_else(|| delimit::Error::Usage {
        option: option.into(),
        message: format!("`{s}` is not a date"),
        hint: Some("dates are YYYY-MM-DD".into()),
    })
}

/// Snapshots kept in memory, in vertices in all; the others are read again
/// when their turn comes, so that a long series runs in the memory of two.
const KEEP_VERTICES: usize = 1_000_000;

/// A series as read: each snapshot's date and box, the layers that fit in
/// [`KEEP_VERTICES`], and where to read the others again.
pub(crate) struct Series {
    pub dated: Vec<Dated>,
    kept: Vec<Option<Layer>>,
    sources: Vec<PathBuf>,
    /// Each file's provenance, in the order given.
    pub provenance: Vec<Provenance>,
}

impl Series {
    /// Read `files`, a few at a time in parallel. `single`: one file that
    /// holds the whole series, split by `time_field` (kept whole).
    pub(crate) fn read(
        files: &[PathBuf],
        single: bool,
        read: &ReadOptions,
        time_field: &str,
    ) -> Result<Series, delimit::Error> {
        let take = |f: &PathBuf| -> delimit::Result<(Provenance, Vec<delimit::changes::Snapshot>)> {
            let layer = delimit::io::read_layer(f, read)?;
            let prov = layer.provenance.clone();
            let snaps =
                if single { split_series(layer, time_field)? } else { vec![snapshot_of_file(layer, time_field)?] };
            Ok((prov, snaps))
        };
        let mut out = Series { dated: Vec::new(), kept: Vec::new(), sources: Vec::new(), provenance: Vec::new() };
        let mut budget = KEEP_VERTICES;
        for chunk in files.chunks(2 * rayon::current_num_threads()) {
            let read_in: Vec<_> = chunk.par_iter().map(|f| take(f).map(|r| (f, r))).collect::<delimit::Result<_>>()?;
            for (f, (prov, snaps)) in read_in {
                out.provenance.push(prov);
                for s in snaps {
                    out.dated.push(Dated {
                        date: s.date,
                        date_from: s.date_from,
                        path: s.layer.provenance.path.clone(),
                        bbox: s.layer.bbox(),
                    });
                    out.sources.push(f.clone());
                    let n = s.layer.vertex_count();
                    if single || n <= budget {
                        budget = budget.saturating_sub(n);
                        out.kept.push(Some(s.layer));
                    } else {
                        out.kept.push(None);
                    }
                }
            }
        }
        Ok(out)
    }

    /// Snapshot `k`'s layer: kept, or read again.
    pub(crate) fn load(&self, k: usize, read: &ReadOptions) -> delimit::Result<Cow<'_, Layer>> {
        match &self.kept[k] {
            Some(l) => Ok(Cow::Borrowed(l)),
            None => Ok(Cow::Owned(delimit::io::read_layer(&self.sources[k], read)?)),
        }
    }

    /// The snapshot that stands for control on `as_of` (the latest on or
    /// before it), or the series' last one, with the note the provenance
    /// records for it.
    pub(crate) fn standing(&self, as_of: Option<&str>) -> Result<(usize, serde_json::Value), delimit::Error> {
        let k = match as_of {
            Some(d) => self.in_force(d)?,
            None => *delimit::changes::date_order(&self.dated)?.last().ok_or_else(|| delimit::Error::Usage {
                option: "--series".into(),
                message: "the series holds no snapshot".into(),
                hint: None,
            })?,
        };
        let d = &self.dated[k];
        let note = serde_json::json!({
            "as_of": as_of.unwrap_or(&d.date), "snapshot": d.date, "date_from": d.date_from,
            "file": d.path, "snapshots": self.dated.len(),
        });
        Ok((k, note))
    }

    /// The snapshot in force at `date`: the latest on or before it.
    pub(crate) fn in_force(&self, date: &str) -> Result<usize, delimit::Error> {
        let order = delimit::changes::date_order(&self.dated)?;
        order.iter().rev().copied().find(|&k| self.dated[k].date.as_str() <= date).ok_or_else(|| {
            delimit::Error::Usage {
                option: "--as-of".into(),
                message: format!("no snapshot is in force on {date}: the first is dated {}", self.dated[order[0]].date),
                hint: Some(format!("give a date on or after {}", self.dated[order[0]].date)),
            }
        })
    }
}
