//! The `tcplab` command: arguments ([`args`]) become library values, and one
//! function per subcommand turns results into reports ([`output`]) and an
//! exit code. Everything here is glue.

mod args;
mod check;
mod docs;
mod interrupt;
mod output;
mod run;
mod serve;
mod sweep;
mod version;
mod watch;

use std::time::Duration;

use anyhow::{Context, Result};

use args::{Cli, Command};

/// Every lab check passed.
pub const EXIT_PASS: u8 = 0;
/// A lab check failed: the TCP behaviour is not what the lab expects.
pub const EXIT_FAIL: u8 = 1;
/// The input could not be used.
pub const EXIT_UNUSABLE: u8 = 2;

/// Parses the arguments and runs the subcommand; returns the exit code.
pub fn main() -> Result<u8> {
    let cli = match parse(std::env::args_os()) {
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
    cli.color.choice().write_global();
    if cli.version {
        print!("{}", version::long_version());
        return Ok(EXIT_PASS);
    }
    let rt = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    rt.block_on(async {
        // `tcplab` alone, or with only run's options, is `tcplab run`.
        match cli.command.unwrap_or(Command::Run(cli.run)) {
            Command::Run(a) => run::run(a).await,
            Command::Serve(a) => serve::serve(a).await,
            Command::Watch(a) => watch::watch(a).await,
            Command::Check(a) => check::check(a),
            Command::Sweep(a) => sweep::sweep(a).await,
            Command::Completions { shell } => docs::completions(shell),
            Command::Man { out_dir } => docs::man(out_dir.as_deref()),
        }
    })
}

/// The command line as clap reads it. `run`'s options are accepted at the
/// top level (`tcplab --payload 5` is `tcplab run --payload 5`) but shown
/// only in `tcplab run --help`, so that `tcplab --help` lists the
/// subcommands as cargo's does, and `tcplab --bogus` is told about
/// `tcplab`, not about `run`.
pub(crate) fn parse(
    args: impl IntoIterator<Item = std::ffi::OsString>,
) -> Result<Cli, clap::Error> {
    use clap::parser::ValueSource;
    use clap::{CommandFactory, FromArgMatches};
    let command = Cli::command().mut_args(|arg| {
        let shown = ["help", "version"].contains(&arg.get_id().as_str()) || arg.is_global_set();
        arg.hide(!shown)
    });
    let mut matches = command.clone().try_get_matches_from(args)?;
    // run's options before another subcommand (`tcplab --payload 5 check`)
    // are a mistake, not a run; `--color` belongs to every subcommand.
    if let Some((name, _)) = matches.subcommand() {
        let given = matches
            .ids()
            .filter(|id| !["color", "version"].contains(&id.as_str()))
            .find(|id| matches.value_source(id.as_str()) == Some(ValueSource::CommandLine));
        if let Some(id) = given {
            let option = command
                .get_arguments()
                .find(|a| a.get_id() == id)
                .and_then(|a| a.get_long())
                .unwrap_or(id.as_str())
                .to_owned();
            let mut command = command;
            return Err(command.error(
                clap::error::ErrorKind::ArgumentConflict,
                format!(
                    "`--{option}` is an option of `tcplab run`: it cannot go before `{name}` (give it after `{name}`, if `{name}` takes it)"
                ),
            ));
        }
    }
    Cli::from_arg_matches_mut(&mut matches)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(args: &[&str]) -> Result<Cli, clap::Error> {
        parse(
            std::iter::once("tcplab")
                .chain(args.iter().copied())
                .map(Into::into),
        )
    }

    #[test]
    fn runs_options_alone_are_a_run() {
        let cli = parsed(&["--payload", "5", "--json"]).unwrap();
        assert!(cli.command.is_none());
        assert_eq!(cli.run.payloads, [5]);
        assert!(cli.run.report.json);
    }

    #[test]
    fn a_subcommand_takes_its_own_options() {
        let cli = parsed(&["check", "x.pcap", "--json"]).unwrap();
        assert!(matches!(cli.command, Some(Command::Check(ref a)) if a.report.json));
    }

    #[test]
    fn runs_options_before_a_subcommand_are_an_error() {
        let e = parsed(&["--payload", "5", "check", "x.pcap"]).unwrap_err();
        assert_eq!(e.kind(), clap::error::ErrorKind::ArgumentConflict, "{e}");
    }
}
