//! Command-line layer: clap flags become library options; results are
//! printed here and nowhere else.

mod args;
mod changes;
mod check;
mod completions;
mod corridor;
mod data;
mod describe;
mod full;
mod gaps;
mod info;
mod lines;
mod man;
mod polygonize;
mod progress;
mod qgis;
mod report;
mod series;
mod table;
pub(crate) mod term;
pub(crate) mod verbosity;
mod village;

use std::io::Write;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// The help heading of the options every command takes: listed after the
/// command's own.
pub(crate) const GLOBAL_HEADING: &str = "Global options";

/// Measured geometry for land-boundary delimitation.
///
/// delimit compares a legal basis (who owns what, by law or treaty) with de
/// facto control (who holds what, as of a date), and states the geometry and
/// its provenance. All measures are geodesic on the WGS 84 ellipsoid.
#[derive(Debug, Parser)]
#[command(name = "delimit", version, max_term_width = 100)]
pub(crate) struct Cli {
    /// Print nothing on stderr but errors: no notes, counts or progress.
    #[arg(short, long, global = true, help_heading = GLOBAL_HEADING, conflicts_with = "verbose")]
    quiet: bool,
    /// Say more on stderr: each input read (features, CRS operation) and
    /// the time taken.
    #[arg(short, long, global = true, help_heading = GLOBAL_HEADING, action = clap::ArgAction::Count)]
    verbose: u8,
    /// Memory budget for the work an option implies (--step, --cell,
    /// --margin-km): a run estimated to need more exits 2 before it
    /// starts. Sizes as 512M, 2G, 8GiB.
    #[arg(long, global = true, help_heading = GLOBAL_HEADING, value_name = "SIZE", default_value = "2G", value_parser = delimit::limits::parse_size)]
    max_memory: u64,
    /// How progress is shown on stderr: auto (a spinner on a terminal),
    /// json (one object per line, for front ends), none.
    #[arg(long, global = true, help_heading = GLOBAL_HEADING, value_name = "WHEN", default_value = "auto")]
    progress: verbosity::ProgressMode,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    // A command whose Args carry a doc comment takes its summary (first
    // line) and long help (the rest) from there: a doc comment here would
    // replace both with one line.
    /// Describe files: layers, counts, geometry types, CRS, extent, fields.
    Info(info::Args),
    Check(check::Args),
    Gaps(gaps::Args),
    // No doc here: the long help comes from `changes::Args` (inputs, every
    // output field, the identity and the --rest assumption).
    Changes(changes::Args),
    Lines(lines::Args),
    Progress(progress::Args),
    /// Measure transit-route options against sovereignty constraints.
    Corridor(corridor::Args),
    Village(village::Args),
    Polygonize(polygonize::Args),
    Qgis(qgis::Args),
    Report(report::Args),
    /// Show or export the sample data embedded in the binary.
    Data(data::Args),
    Completions(completions::Args),
    Man(man::Args),
    Describe(describe::Args),
}

/// What a subcommand returns: success, or "ran, but found errors in the data".
pub(crate) enum Outcome {
    Ok,
    DataErrors,
}

pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            // Help and version are successes; everything else is a usage error.
            return if e.use_stderr() { ExitCode::from(2) } else { ExitCode::SUCCESS };
        }
    };
    verbosity::set(cli.quiet, cli.verbose);
    verbosity::set_progress(cli.progress);
    delimit::limits::set_max_memory(cli.max_memory);
    clean_up_on_signals();
    let started = std::time::Instant::now();
    let result = match cli.command {
        Command::Info(a) => info::run(a),
        Command::Check(a) => check::run(a),
        Command::Data(a) => data::run(a),
        Command::Gaps(a) => gaps::run(a),
        Command::Changes(a) => changes::run(a),
        Command::Village(a) => village::run(a),
        Command::Corridor(a) => corridor::run(a),
        Command::Lines(a) => lines::run(a),
        Command::Progress(a) => progress::run(a),
        Command::Polygonize(a) => polygonize::run(a),
        Command::Qgis(a) => qgis::run(a),
        Command::Report(a) => report::run(a),
        Command::Completions(a) => completions::run(a),
        Command::Man(a) => man::run(a),
        Command::Describe(a) => describe::run(a),
    };
    verbosity::detail!("done in {:.2} s", started.elapsed().as_secs_f64());
    if result.is_ok() {
        verbosity::progress("done", Some(100.0));
    }
    match result {
        Ok(Outcome::Ok) => ExitCode::SUCCESS,
        Ok(Outcome::DataErrors) => ExitCode::from(1),
        Err(e) => report(&e),
    }
}

/// On a signal that ends the process (SIGINT, SIGTERM, SIGHUP, SIGQUIT,
/// SIGALRM, SIGUSR1, SIGUSR2), remove the temporary files of writes in
/// progress (and output folders this run created), then exit as the signal
/// would have: 128 + its number. The previous output, if any, is
/// untouched, because it is replaced only by the final rename.
///
/// SIGXFSZ (a file past `ulimit -f`) is ignored instead: the write then
/// fails with EFBIG, and the run says so and cleans up like any failed
/// write, where the signal killed it with no message.
fn clean_up_on_signals() {
    use signal_hook::consts::{SIGALRM, SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGXFSZ};
    // SAFETY: SIG_IGN is a valid disposition for SIGXFSZ, set before any
    // thread writes.
    unsafe { libc::signal(SIGXFSZ, libc::SIG_IGN) };
    let Ok(mut signals) =
        signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGALRM, SIGUSR1, SIGUSR2])
    else {
        return;
    };
    std::thread::spawn(move || {
        if let Some(sig) = signals.forever().next() {
            delimit::io::clean_up_pending();
            // _exit, not exit: the main thread may be inside GDAL, and
            // exit's atexit handlers would tear GDAL down under it.
            // SAFETY: _exit ends the process at once; nothing runs after it.
            unsafe { libc::_exit(128 + sig) };
        }
    });
}

/// Print `error:`, each `cause:`, then `hint:`, and choose the exit code from
/// the library error's class.
fn report(err: &anyhow::Error) -> ExitCode {
    if is_broken_pipe(err) {
        return ExitCode::SUCCESS;
    }
    // Each line is escaped whole, newlines included: a value from a file
    // (an owner code, a field name) cannot start a line of its own, such
    // as a fake `hint:`, or move the cursor.
    let mut stderr = std::io::stderr().lock();
    // And with passwords redacted: a PG: connection string is named in
    // many messages (and GDAL's own may quote it).
    let line = |s: &str| term::escape(&delimit::io::redact(s)).into_owned();
    let _ = writeln!(stderr, "error: {}", line(&err.to_string()));
    for cause in err.chain().skip(1) {
        let _ = writeln!(stderr, "cause: {}", line(&cause.to_string()));
    }
    let lib = err.chain().find_map(|e| e.downcast_ref::<delimit::Error>());
    if let Some(hint) = lib.and_then(delimit::Error::hint) {
        let _ = writeln!(stderr, "hint: {}", line(&hint));
    }
    ExitCode::from(lib.map_or(1, |e| e.class().exit_code()))
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain()
        .any(|e| e.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe))
}
