//! `tcplab completions SHELL` and `tcplab man`: the shell completion script
//! and the manual pages, generated from the same clap definitions that
//! parse the command line, so they can never disagree with it.

use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};
use clap::CommandFactory;
use clap_complete::Shell;
use tcplab::fsx::shown;

use super::EXIT_PASS;
use super::args::Cli;
use super::output::{to_stdout, write_file};

/// Prints the completion script for `shell` to stdout.
pub(crate) fn completions(shell: Shell) -> Result<u8> {
    let mut command = Cli::command();
    to_stdout(|out| {
        clap_complete::generate(shell, &mut command, "tcplab", out);
        Ok(())
    })?;
    Ok(EXIT_PASS)
}

/// Prints `tcplab(1)` to stdout, or with `dir` writes it and one page per
/// subcommand (`tcplab-check.1`, ...) into `dir`, each file all or nothing.
pub(crate) fn man(dir: Option<&Path>) -> Result<u8> {
    let command = Cli::command();
    match dir {
        None => to_stdout(|out| clap_mangen::Man::new(command).render(out))?,
        Some(dir) => {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create the folder `{}`", shown(dir)))?;
            for page in pages(command) {
                let name = format!("{}.1", page.get_display_name().unwrap_or(page.get_name()));
                write_file(&dir.join(&name), |out| {
                    clap_mangen::Man::new(page).render(out as &mut dyn Write)
                })?;
            }
        }
    }
    Ok(EXIT_PASS)
}

/// `tcplab` and each of its subcommands but `help`, built, so that each
/// subcommand is shown as `tcplab-check` and its usage is `tcplab check`.
fn pages(command: clap::Command) -> Vec<clap::Command> {
    let mut command = command;
    command.build();
    let subcommands: Vec<clap::Command> = command
        .get_subcommands()
        .filter(|s| s.get_name() != "help")
        .cloned()
        .collect();
    std::iter::once(command).chain(subcommands).collect()
}
