//! SIGINT (Ctrl-C), SIGTERM and SIGHUP all mean "stop now, report what you
//! have": an autograder's timeout and a closed terminal end tcplab the way
//! Ctrl-C does. A second signal ends tcplab at once (its children die with
//! it, see `tcplab::process`).

use anyhow::{Context, Result};
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::watch;

use super::EXIT_UNUSABLE;

/// The first stopping signal received, once one is.
#[derive(Clone)]
pub(crate) struct Interrupt(watch::Receiver<Option<&'static str>>);

impl Interrupt {
    /// Starts listening for SIGINT, SIGTERM and SIGHUP.
    pub(crate) fn listen() -> Result<Interrupt> {
        let listen = |kind| signal(kind).context("listening for signals");
        let mut int = listen(SignalKind::interrupt())?;
        let mut term = listen(SignalKind::terminate())?;
        let mut hup = listen(SignalKind::hangup())?;
        let (tx, rx) = watch::channel(None);
        tokio::spawn(async move {
            let mut first = true;
            loop {
                let name = tokio::select! {
                    _ = int.recv() => "SIGINT",
                    _ = term.recv() => "SIGTERM",
                    _ = hup.recv() => "SIGHUP",
                };
                if first {
                    first = false;
                    let _ = tx.send(Some(name));
                } else {
                    eprintln!("tcplab: {name} again: stopping at once");
                    std::process::exit(i32::from(EXIT_UNUSABLE));
                }
            }
        });
        Ok(Interrupt(rx))
    }

    /// Completes when a stopping signal has been received.
    pub(crate) async fn wait(mut self) {
        let _ = self.0.wait_for(Option::is_some).await;
    }

    /// `interrupted by SIGTERM`.
    pub(crate) fn describe(&self) -> String {
        format!("interrupted by {}", self.0.borrow().unwrap_or("a signal"))
    }
}
