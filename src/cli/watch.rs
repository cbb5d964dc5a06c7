//! `tcplab watch`: a live capture around a program of the user's, every
//! connection judged; a thin layer over [`tcplab::capture::Watch`].

use std::os::fd::AsFd;

use anyhow::{Context, Result, bail};
use tcplab::capture::{LiveConfig, Watch};

use super::args::WatchArgs;
use super::{EXIT_UNUSABLE, output, seconds};

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
        .expect(a.report.expectations(None));
    let mut command_failed = None;
    let watched = if let Some((program, args)) = a.command.split_first() {
        let shown = a.command.join(" ");
        // The command's output goes to stderr, so that stdout holds only the report.
        let stderr = std::io::stderr()
            .as_fd()
            .try_clone_to_owned()
            .context("duplicating stderr")?;
        let mut cmd = tokio::process::Command::new(program);
        cmd.args(args)
            .stdout(std::process::Stdio::from(stderr))
            .kill_on_drop(true);
        let watched = watch
            .run(async {
                let mut child = cmd.spawn().map_err(|e| match e.kind() {
                    std::io::ErrorKind::NotFound => anyhow::anyhow!("cannot run `{shown}`: `{program}` was not found; check the command and your PATH"),
                    _ => anyhow::Error::new(e).context(format!("cannot run `{shown}`")),
                })?;
                tokio::select! {
                    s = child.wait() => Ok(Some(s.with_context(|| format!("waiting for `{shown}`"))?)),
                    _ = tokio::signal::ctrl_c() => Ok::<_, anyhow::Error>(None),
                }
            })
            .await?;
        match &watched.output {
            Some(Err(_)) => {}
            Some(Ok(Some(s))) if !s.success() => {
                command_failed = Some(format!("the watched command `{shown}` exited with {s}"))
            }
            Some(Ok(Some(_))) => {}
            Some(Ok(None)) | None => {
                command_failed = Some(format!(
                    "the watched command `{shown}` was still running after {timeout:?} and was stopped"
                ));
            }
        }
        if let Some(Err(e)) = watched.output {
            return Err(e);
        }
        watched.connections
    } else {
        eprintln!(
            "tcplab watch: capturing TCP port {} on {}; Ctrl-C or {:?} ends the watch",
            a.port, a.interface, timeout
        );
        watch
            .run(async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await?
            .connections
    };
    if watched.is_empty() {
        bail!(
            "no TCP connection on port {} was seen on {} during the watch: is the program using that port?",
            a.port,
            a.interface
        );
    }
    let code = output::report(&watched, &a.report, None)?;
    if let Some(why) = command_failed {
        eprintln!("tcplab: {why}");
        return Ok(EXIT_UNUSABLE);
    }
    Ok(code)
}
