//! `tcplab`, the lab checker: a thin layer over the library (see `cli/`).
//!
//! Exit codes: 0 every lab check passed; 1 a check failed (the TCP behaviour
//! is not what the lab expects); 2 the input could not be used.

mod cli;

use std::process::ExitCode;

fn main() -> ExitCode {
    let code = match cli::main() {
        Ok(code) => code,
        Err(e) => {
            eprintln!("tcplab: {e:#}");
            cli::EXIT_UNUSABLE
        }
    };
    ExitCode::from(code)
}
