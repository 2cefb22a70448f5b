//! The `delimit` binary: parse, run, map the outcome to an exit code.

mod cli;

fn main() -> std::process::ExitCode {
    // libcurl bypasses GDAL's proxy for hosts in NO_PROXY; the proxy is
    // how delimit keeps GDAL off the network (io::gdal_init).
    for key in ["NO_PROXY", "no_proxy"] {
        // SAFETY: first thing in main, before any thread is started.
        unsafe { std::env::remove_var(key) };
    }
    cli::main()
}
