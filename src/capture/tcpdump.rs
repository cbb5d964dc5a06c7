//! tcpdump, the capture's first half: it taps the interface in immediate
//! mode and writes pcap into a pipe that tshark reads. This module starts
//! it, collects what it says on stderr, stops it, and turns its last words
//! into errors a person can act on.

use std::io::Read;
use std::os::fd::OwnedFd;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use super::CaptureError;
use super::live::LiveConfig;

/// A running tcpdump.
pub(crate) struct Tcpdump {
    child: Option<Child>,
    interface: String,
    said: Arc<Mutex<String>>,
    stderr_thread: Option<JoinHandle<()>>,
}

impl Tcpdump {
    /// Starts tcpdump on `config`'s interface with the BPF `filter`,
    /// writing pcap into `out` (a pipe's write end). It dies with tcplab
    /// ([`crate::process::spawn_tied`]).
    pub(crate) fn spawn(
        config: &LiveConfig,
        filter: &str,
        out: OwnedFd,
    ) -> Result<Tcpdump, CaptureError> {
        let mut cmd = match &config.tap {
            Some(tap) => tap.namespace.command("tcpdump"),
            None => Command::new("tcpdump"),
        };
        cmd.arg("-i")
            .arg(&config.interface)
            .args(["--immediate-mode", "-U", "-n", "-s"])
            .arg(config.snaplen.to_string())
            .arg("-B")
            .arg(config.buffer_kib.to_string());
        if nix::unistd::geteuid().is_root() {
            // Without it, Debian's tcpdump switches to its own user after
            // opening the interface, and a change of user clears the
            // parent-death signal that ties it to tcplab.
            cmd.args(["-Z", "root"]);
        }
        cmd.args(["-w", "-"])
            .arg(filter)
            .stdin(Stdio::null())
            .stdout(Stdio::from(out))
            .stderr(Stdio::piped());
        // If tcplab dies without cleaning up, tcpdump goes too, and tshark
        // then reads the end of its input.
        let mut child =
            crate::process::spawn_tied(cmd, Signal::SIGKILL).map_err(|e| match e.kind() {
                std::io::ErrorKind::NotFound => CaptureError::TcpdumpMissing,
                _ => CaptureError::io("starting tcpdump")(e),
            })?;
        let said = Arc::new(Mutex::new(String::new()));
        let stderr_thread = child.stderr.take().map(|mut pipe| {
            let sink = Arc::clone(&said);
            std::thread::spawn(move || {
                let mut buf = [0u8; 1024];
                while let Ok(n) = pipe.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    sink.lock()
                        .expect("no panic while holding the lock")
                        .push_str(&String::from_utf8_lossy(&buf[..n]));
                }
            })
        });
        Ok(Tcpdump {
            child: Some(child),
            interface: config.interface.clone(),
            said,
            stderr_thread,
        })
    }

    /// Its pid while it runs.
    pub(crate) fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Fails if tcpdump has exited, saying why in its own words.
    pub(crate) fn check(&mut self) -> Result<(), CaptureError> {
        let Some(child) = self.child.as_mut() else {
            return Ok(());
        };
        match child.try_wait() {
            Ok(None) => Ok(()),
            Ok(Some(status)) if status.success() => Err(CaptureError::ToolDied {
                // tcpdump exits cleanly only when told to, or when its
                // reader, tshark, has gone.
                tool: "tshark",
                detail: "it stopped reading the capture (tcpdump's output pipe broke)".to_owned(),
            }),
            Ok(Some(status)) => {
                if let Some(t) = self.stderr_thread.take() {
                    let _ = t.join();
                }
                Err(classify_failure(
                    &self.interface,
                    &self.said(),
                    &status.to_string(),
                ))
            }
            Err(e) => Err(CaptureError::io("checking on tcpdump")(e)),
        }
    }

    /// Whether tcpdump has exited with a failure (`Some(false)` while it
    /// runs or after a clean exit; `None` when it was already stopped).
    pub(crate) fn failed(&mut self) -> Option<bool> {
        let child = self.child.as_mut()?;
        Some(matches!(child.try_wait(), Ok(Some(status)) if !status.success()))
    }

    /// What tcpdump said on stderr, on one line, without its greeting.
    pub(crate) fn said(&self) -> String {
        let text = self.said.lock().expect("no panic while holding the lock");
        text.lines()
            .filter(|l| !l.starts_with("listening on") && !l.trim().is_empty())
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// Stops tcpdump with SIGTERM (it flushes its output and reports its
    /// drop count), waits for it at most `timeout`, and returns the number
    /// of packets the kernel dropped.
    pub(crate) async fn stop(&mut self, timeout: Duration) -> Result<u64, CaptureError> {
        if let Some(child) = self.child.take() {
            let _ = kill(Pid::from_raw(child.id() as i32), Signal::SIGTERM);
            let waited = tokio::task::spawn_blocking(move || {
                let mut child = child;
                child.wait().map(|_| child)
            });
            if !matches!(tokio::time::timeout(timeout, waited).await, Ok(Ok(Ok(_)))) {
                return Err(CaptureError::CompleteTimeout {
                    what: "tcpdump's exit after SIGTERM".to_owned(),
                    waited: timeout,
                });
            }
        }
        if let Some(t) = self.stderr_thread.take() {
            let _ = tokio::task::spawn_blocking(move || t.join()).await;
        }
        Ok(dropped_count(
            &self.said.lock().expect("no panic while holding the lock"),
        ))
    }
}

impl Tcpdump {
    /// Kills tcpdump at once and reaps it.
    pub(crate) fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        if let Some(t) = self.stderr_thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Tcpdump {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Turns tcpdump's last words into the error a person can act on.
fn classify_failure(interface: &str, said: &str, status: &str) -> CaptureError {
    let lower = said.to_lowercase();
    if lower.contains("permission") || lower.contains("not permitted") {
        CaptureError::NotPermitted {
            interface: interface.to_owned(),
            detail: said.to_owned(),
        }
    } else if lower.contains("no such device") || lower.contains("doesn't exist") {
        CaptureError::NoSuchInterface {
            interface: interface.to_owned(),
        }
    } else {
        CaptureError::ToolDied {
            tool: "tcpdump",
            detail: if said.is_empty() {
                status.to_owned()
            } else {
                format!("{said} ({status})")
            },
        }
    }
}

/// Reads `N packets dropped by kernel` from tcpdump's closing report.
fn dropped_count(stderr: &str) -> u64 {
    stderr
        .lines()
        .find_map(|l| {
            l.strip_suffix(" packets dropped by kernel")
                .or_else(|| l.strip_suffix(" packet dropped by kernel"))
        })
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case(
        "13 packets captured\n26 packets received by filter\n0 packets dropped by kernel\n",
        0
    )]
    #[case("1 packet captured\n7 packets dropped by kernel\n", 7)]
    #[case("1 packet captured\n1 packet dropped by kernel\n", 1)]
    #[case("", 0)]
    fn drop_count_is_read(#[case] text: &str, #[case] n: u64) {
        assert_eq!(dropped_count(text), n);
    }

    #[rstest]
    #[case(
        "tcpdump: lo: You don't have permission to capture on that device",
        "not permitted"
    )]
    #[case(
        "tcpdump: nope0: No such device exists",
        "no network interface named `nope0`"
    )]
    #[case("tcpdump: something else", "tcpdump stopped unexpectedly")]
    fn tcpdump_failures_say_what_to_do(#[case] said: &str, #[case] text: &str) {
        let e = classify_failure("nope0", said, "exit status: 1").to_string();
        assert!(e.contains(text), "{e}");
    }
}
