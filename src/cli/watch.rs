//! `tcplab watch`: a live capture around a program of the user's, every
//! connection judged; a thin layer over [`tcplab::capture::Watch`] and
//! [`tcplab::process::Program`].

use anyhow::{Result, bail};
use tcplab::capture::{LiveConfig, Watch};
use tcplab::process::Program;

use super::args::WatchArgs;
use super::interrupt::Interrupt;
use super::{EXIT_UNUSABLE, output, seconds};

/// How the watched program ended.
enum Ended {
    /// It exited by itself.
    Exited(std::process::ExitStatus),
    /// A stopping signal came first; the program was ended.
    Interrupted,
}

pub(crate) async fn watch(a: WatchArgs) -> Result<u8> {
    let timeout = seconds(a.timeout, "--timeout")?;
    let config = LiveConfig {
        interface: a.interface.clone(),
        save: a.save.clone(),
        start_timeout: seconds(a.start_timeout, "--start-timeout")?,
        ..LiveConfig::default()
    };
    let watch = Watch::port(a.port)
        .capture(config)
        .timeout(timeout)
        .expect(a.report.expectations()?);
    let interrupt = Interrupt::listen()?;
    // Why the watch did not end as it should: exit code 2.
    let mut trouble = None;
    let watched = if let Some((program, args)) = a.command.split_first() {
        let mut program = Program::new(program.as_str(), args.iter().map(String::as_str));
        if let Some(user) = &a.user {
            program = program.user(user)?;
        }
        if a.clean_env {
            program = program.clean_env();
        }
        let shown = program.shown().to_owned();
        if program.runs_as_root() {
            eprintln!(
                "tcplab: `{shown}` will run as root: pass --user NAME (e.g. --user nobody) to run it without root's rights"
            );
        }
        let stop = interrupt.clone();
        let watched = watch
            .run(async {
                tokio::select! {
                    r = program.run() => r.map(Ended::Exited),
                    () = stop.wait() => Ok(Ended::Interrupted),
                }
            })
            .await?;
        trouble = match watched.output {
            Some(Err(e)) => return Err(e.into()),
            Some(Ok(Ended::Exited(s))) if !s.success() => {
                Some(format!("the watched command `{shown}` exited with {s}"))
            }
            Some(Ok(Ended::Exited(_))) => None,
            Some(Ok(Ended::Interrupted)) => Some(format!(
                "{}: the watched command `{shown}` was ended; the report shows what was captured until then",
                interrupt.describe()
            )),
            None => Some(format!(
                "the watched command `{shown}` was still running after {timeout:?} and was ended, with everything it started"
            )),
        };
        (watched.connections, watched.notes)
    } else {
        eprintln!(
            "tcplab watch: capturing TCP port {} on {}; Ctrl-C or {:?} ends the watch",
            a.port, a.interface, timeout
        );
        let watched = watch.run(interrupt.clone().wait()).await?;
        (watched.connections, watched.notes)
    };
    let (watched, notes) = watched;
    if watched.is_empty() {
        bail!(
            "no TCP connection on port {} was seen on {} during the watch: is the program using that port?",
            a.port,
            a.interface
        );
    }
    let code = output::report(&watched, &notes, &a.report, None)?;
    if let Some(why) = trouble {
        eprintln!("tcplab: {why}");
        return Ok(EXIT_UNUSABLE);
    }
    Ok(code)
}
