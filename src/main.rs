//! The `delimit` binary: parse, run, map the outcome to an exit code.

mod cli;
mod lazylink;

fn main() -> std::process::ExitCode {
    cli::main()
}
