//! The `delimit` binary: parse, run, map the outcome to an exit code.

mod cli;

fn main() -> std::process::ExitCode {
    // libcurl bypasses GDAL's proxy for hosts in NO_PROXY; the proxy is
    // how delimit keeps GDAL off the network (io::gdal_init).
    for key in ["NO_PROXY", "no_proxy"] {
        // SAFETY: first thing in main, before any thread is started.
        unsafe { std::env::remove_var(key) };
    }
    // A server that accepts a connection and never answers hung the run
    // (as input and as output); libpq gives up after PGCONNECT_TIMEOUT
    // seconds. 10 s unless the user set it.
    if std::env::var_os("PGCONNECT_TIMEOUT").is_none() {
        // SAFETY: as above, before any thread is started.
        unsafe { std::env::set_var("PGCONNECT_TIMEOUT", "10") };
    }
    cli::main()
}
