//! The `protoscribe` binary: parse the command line and run it. Errors end
//! as one `error: …` line on stderr (made safe for the terminal) and exit
//! status 1; usage mistakes (clap's, and `cli::Error::Arguments`) exit 2.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    protoscribe::panics::install();
    let cli = protoscribe::cli::Cli::parse();
    match protoscribe::cli::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(protoscribe::cli::Error::Reported) => ExitCode::FAILURE,
        Err(protoscribe::cli::Error::BrokenPipe) => ExitCode::SUCCESS,
        Err(e @ protoscribe::cli::Error::Arguments(_)) => {
            protoscribe::cli::output::print_error(&e);
            ExitCode::from(2)
        }
        Err(e) => {
            protoscribe::cli::output::print_error(&e);
            ExitCode::FAILURE
        }
    }
}
