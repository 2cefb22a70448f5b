//! What goes to stderr besides errors: notes, counts and progress
//! (`--quiet` silences them, `-v` adds the inputs read and the time taken).
//! Progress shows only on a terminal, or with `--progress json` as one
//! JSON object per line on stderr, for front ends (the QGIS plugin).

use std::io::IsTerminal;
use std::sync::atomic::{AtomicI8, AtomicU8, Ordering};

static LEVEL: AtomicI8 = AtomicI8::new(0);
/// The `--progress` mode, as its discriminant.
static PROGRESS: AtomicU8 = AtomicU8::new(ProgressMode::Auto as u8);

/// How progress is shown: `--progress`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum ProgressMode {
    /// A spinner on a terminal, nothing otherwise.
    Auto,
    /// One JSON object per line on stderr: {"progress": {"step": …,
    /// "percent": …}}; percent is null where the step's share is unknown.
    Json,
    /// None.
    None,
}

/// Set once, from `--progress`.
pub(crate) fn set_progress(mode: ProgressMode) {
    PROGRESS.store(mode as u8, Ordering::Relaxed);
}

/// One progress line, with `--progress json`: `percent` of the whole
/// step where known. JSON progress is not silenced by --quiet: a front end
/// asks for it on purpose.
pub(crate) fn progress(step: &str, percent: Option<f64>) {
    if PROGRESS.load(Ordering::Relaxed) == ProgressMode::Json as u8 {
        let p = percent.map(|p| (p.clamp(0.0, 100.0) * 10.0).round() / 10.0);
        eprintln!("{}", serde_json::json!({ "progress": { "step": step, "percent": p } }));
    }
}

/// Set once, from the flags: -1 quiet, 0 normal, 1 and up verbose.
pub(crate) fn set(quiet: bool, verbose: u8) {
    LEVEL.store(if quiet { -1 } else { verbose.min(3) as i8 }, Ordering::Relaxed);
}

/// Whether notes and counts are shown.
pub(crate) fn notes() -> bool {
    LEVEL.load(Ordering::Relaxed) >= 0
}

/// Whether the verbose lines are shown.
pub(crate) fn verbose() -> bool {
    LEVEL.load(Ordering::Relaxed) >= 1
}

/// A note on stderr, unless --quiet.
macro_rules! note {
    ($($t:tt)*) => {
        if $crate::cli::verbosity::notes() {
            eprintln!("{}", $crate::cli::term::escape_text(&format!($($t)*)));
        }
    };
}
pub(crate) use note;

/// A line on stderr with -v.
macro_rules! detail {
    ($($t:tt)*) => {
        if $crate::cli::verbosity::verbose() {
            eprintln!("{}", $crate::cli::term::escape_text(&format!($($t)*)));
        }
    };
}
pub(crate) use detail;

/// A spinner with a message for a step that may take seconds, on a
/// terminal and without --quiet; it clears itself when dropped.
pub(crate) struct Step(Option<indicatif::ProgressBar>);

impl Step {
    pub(crate) fn start(message: &str) -> Step {
        progress(message, None);
        let spinner = PROGRESS.load(Ordering::Relaxed) == ProgressMode::Auto as u8;
        let show = notes() && spinner && std::io::stderr().is_terminal();
        Step(show.then(|| {
            let s = indicatif::ProgressBar::new_spinner().with_message(message.to_string());
            // Drawn only if the step takes more than a moment.
            s.enable_steady_tick(std::time::Duration::from_millis(250));
            s
        }))
    }
}

impl Drop for Step {
    fn drop(&mut self) {
        if let Some(s) = &self.0 {
            s.finish_and_clear();
        }
    }
}

/// Tell the user what was written, on stderr (stdout stays data), and
/// every field name the format changed.
pub(crate) fn wrote(w: &delimit::io::Written) {
    for (asked, got) in &w.renamed_fields {
        note!("note: field `{asked}` is written as `{got}` (the format limits names; GeoPackage keeps them whole)");
    }
    let to = if w.path.as_os_str() == "-" {
        "stdout".to_string()
    } else {
        delimit::io::redact(&w.path.display().to_string()).into_owned()
    };
    note!("wrote {} feature{} to {to}", w.features, if w.features == 1 { "" } else { "s" });
}

/// Under a text summary: one `note:` line per input that is not observed
/// (illustrative or approximate data says so wherever a reader looks).
pub(crate) fn caveats(out: &mut dyn std::io::Write, provenance: &serde_json::Value) -> std::io::Result<()> {
    for line in delimit::provenance::caveats_of(provenance) {
        writeln!(out, "note: {line}")?;
    }
    Ok(())
}
