//! The `tcplab` command: arguments ([`args`]) become library values, and one
//! function per subcommand turns results into reports ([`output`]) and an
//! exit code. Everything here is glue.

mod args;
mod check;
mod interrupt;
mod output;
mod run;
mod serve;
mod sweep;
mod watch;

use std::time::Duration;

use anyhow::{Context, Result};
use clap::Parser;

use args::{Cli, Command};

/// Every lab check passed.
pub const EXIT_PASS: u8 = 0;
/// A lab check failed: the TCP behaviour is not what the lab expects.
pub const EXIT_FAIL: u8 = 1;
/// The input could not be used.
pub const EXIT_UNUSABLE: u8 = 2;

/// Parses the arguments and runs the subcommand; returns the exit code.
pub fn main() -> Result<u8> {
    // `tcplab` alone, or with only options, is `tcplab run`.
    let mut args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let first = args.get(1).and_then(|a| a.to_str()).map(str::to_owned);
    let top_level = ["-h", "--help", "-V", "--version"];
    if first
        .as_deref()
        .is_none_or(|f| f.starts_with('-') && !top_level.contains(&f))
    {
        args.insert(1, "run".into());
    }
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return Ok(if e.use_stderr() {
                EXIT_UNUSABLE
            } else {
                EXIT_PASS
            });
        }
    };
    let rt = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    rt.block_on(async {
        match cli.command.context("no subcommand")? {
            Command::Run(a) => run::run(a).await,
            Command::Serve(a) => serve::serve(a).await,
            Command::Watch(a) => watch::watch(a).await,
            Command::Check(a) => check::check(a),
            Command::Sweep(a) => sweep::sweep(a).await,
        }
    })
}

/// A duration from a command-line number of seconds.
fn seconds(s: f64, what: &str) -> Result<Duration> {
    Duration::try_from_secs_f64(s)
        .with_context(|| format!("{what} must be a positive number of seconds, not {s}"))
}

/// A progress bar counting `what`, drawn only on a terminal (indicatif
/// hides it otherwise).
fn progress_bar(len: usize, what: &str) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(len as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template(&format!(
            "{{elapsed_precise}} [{{bar:40}}] {{pos}}/{{len}} {what}"
        ))
        .expect("a valid template")
        .progress_chars("=> "),
    );
    bar
}
