//! A live capture: tcpdump (immediate mode) writes into a pipe that tshark
//! reads through rtshark, so each segment reaches tcplab about half a
//! millisecond after it was sent. The pipe has no name: tshark opens it as
//! `/proc/<tcplab's pid>/fd/<n>`, so there is no FIFO or folder to clean
//! up, and tshark can never block opening a FIFO whose writer has died.
//!
//! **Proven running.** tcplab sends UDP probes to a socket of its own, which
//! the capture filter admits, every few milliseconds until one comes back out
//! of tshark: then every later packet is captured.
//!
//! **Proven complete.** [`LiveCapture::wait_until`] sends a fence probe and
//! waits until that probe came back *and* the caller's condition holds
//! (typically: the connection's last ACK or RST was seen). The probe alone is
//! not enough: on `lo` each CPU queues received packets on its own backlog,
//! so a segment sent from another CPU just before the probe can reach the
//! capture just after it.
//!
//! **Always reaped.** Dropping a [`LiveCapture`] (also while a test panics)
//! kills tcpdump and tshark and waits for both. If tcplab itself is killed
//! (even by SIGKILL), the kernel ends tcpdump, and tshark then reads the
//! end of the pipe (or finds no pipe to open) and exits.

use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use tokio::net::UdpSocket;
use tokio::sync::mpsc;
use tokio::time::{Instant, sleep_until};

use super::probe::{ProbeRoute, probe_payload, probe_sockets};
use super::shape::{self, ShapeError};
use super::tcpdump::Tcpdump;
use super::tshark::{self, Event};
use super::{CaptureError, Intake};
use crate::connection::Connections;
use crate::fsx::{AtomicFile, fd_path};
use crate::net::link::VethLink;
use crate::net::netns::Namespace;

/// How to capture.
#[derive(Clone, Debug)]
pub struct LiveConfig {
    /// Interface to capture on (`lo` by default).
    pub interface: String,
    /// Bytes kept of each packet: headers and the start of the payload. Small
    /// snapshots keep tshark's output and the kernel's ring small.
    pub snaplen: u32,
    /// tcpdump's kernel buffer in KiB (`-B`).
    pub buffer_kib: u32,
    /// How long to wait for the first probe to come back.
    pub start_timeout: Duration,
    /// How long [`LiveCapture::wait_until`] waits by default.
    pub complete_timeout: Duration,
    /// How long stopping tcpdump and draining tshark may take.
    pub stop_timeout: Duration,
    /// Keep the capture as this pcapng file: tshark writes it into an
    /// unnamed file in the same folder (`O_TMPFILE`), which gets the name
    /// only when the capture stopped cleanly and the file holds every
    /// packet tshark delivered; otherwise nothing is left, whatever the
    /// exit path (see [`crate::fsx::atomic`]).
    pub save: Option<PathBuf>,
    /// Address the probes are sent to and from (must be on `interface`),
    /// unless the capture taps a link.
    pub probe_addr: IpAddr,
    /// The link whose server end `interface` is ([`LiveConfig::over`]);
    /// `None`: an interface of tcplab's own network namespace.
    pub tap: Option<LinkTap>,
}

/// A capture on one end of a two-namespace link: tcpdump runs in that
/// end's namespace, and probes cross the link from the other namespace
/// instead of going to a socket of their own. Made by [`LiveConfig::over`].
#[derive(Clone, Debug)]
pub struct LinkTap {
    /// The namespace of the tapped interface.
    pub(crate) namespace: Arc<Namespace>,
    /// How the probes cross the link.
    pub(crate) probes: ProbeRoute,
}

impl Default for LiveConfig {
    fn default() -> Self {
        LiveConfig {
            interface: "lo".to_owned(),
            snaplen: 256,
            buffer_kib: 32 * 1024,
            start_timeout: Duration::from_secs(10),
            complete_timeout: Duration::from_secs(5),
            stop_timeout: Duration::from_secs(5),
            save: None,
            probe_addr: IpAddr::V4(Ipv4Addr::LOCALHOST),
            tap: None,
        }
    }
}

impl LiveConfig {
    /// This configuration set to capture on `link`'s server end (in the
    /// server's namespace), with probes sent from the client's namespace
    /// across the link.
    pub fn over(self, link: &VethLink) -> LiveConfig {
        LiveConfig {
            interface: link.server_interface().to_owned(),
            tap: Some(LinkTap {
                namespace: Arc::clone(link.server_ns()),
                probes: ProbeRoute {
                    from: Arc::clone(link.client_ns()),
                    from_addr: link.client_addr(),
                    to: Arc::clone(link.server_ns()),
                    to_addr: link.server_addr(),
                },
            }),
            ..self
        }
    }
}

/// What a stopped capture delivered.
#[derive(Debug)]
pub struct Captured {
    /// The TCP connections, in order of their first segment.
    pub connections: Connections,
    /// Packets tshark dissected (probes included).
    pub packets: u64,
    /// Frames tcplab could not use, or used in part, one sentence each.
    pub notes: Vec<String>,
    /// Where the pcapng file was kept, if asked for.
    pub saved: Option<PathBuf>,
}

/// A running capture. See the module documentation.
pub struct LiveCapture {
    config: LiveConfig,
    tcpdump: Tcpdump,
    reader: Option<JoinHandle<()>>,
    tshark_pid: Option<u32>,
    rx: mpsc::UnboundedReceiver<Event>,
    tshark_end: Option<Result<(), String>>,
    probe: UdpSocket,
    probe_target: SocketAddr,
    probe_sink: Option<UdpSocket>,
    next_token: u64,
    probes_seen: BTreeSet<u64>,
    intake: Intake,
    saving: Option<AtomicFile>,
    /// The pipe's read end, held until tshark has opened it.
    pipe_out: Option<OwnedFd>,
    /// [`LiveCapture::stop`] lets tshark read to the end of its input.
    drain_on_stop: bool,
}

const PROBE_EVERY: Duration = Duration::from_millis(5);

/// Which TCP traffic a capture admits (tcplab's probes are always admitted).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TcpFilter {
    /// Segments to or from any of these ports.
    Ports(Vec<u16>),
    /// Segments to or from this address (a shared session's own loopback address).
    Host(std::net::IpAddr),
    /// All TCP.
    All,
}

impl TcpFilter {
    /// The BPF expression, with the probes' port.
    pub fn bpf(&self, probe_port: u16) -> String {
        let tcp = match self {
            TcpFilter::Ports(ports) if !ports.is_empty() => {
                let p: Vec<String> = ports.iter().map(|p| format!("tcp port {p}")).collect();
                format!("({})", p.join(" or "))
            }
            TcpFilter::Host(addr) => format!("(tcp and host {addr})"),
            _ => "tcp".to_owned(),
        };
        format!("{tcp} or (udp dst port {probe_port})")
    }
}

impl LiveCapture {
    /// Starts capturing the TCP that `filter` admits and returns once the
    /// capture is proven running.
    pub async fn start(
        config: LiveConfig,
        filter: &TcpFilter,
    ) -> Result<LiveCapture, CaptureError> {
        let (probe, probe_target, probe_sink) = probe_sockets(&config).await?;
        let probe_port = probe_target.port();
        let (pipe_out, pipe_in) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC)
            .map_err(|e| CaptureError::io("making the capture pipe")(e.into()))?;
        let input = fd_path(&pipe_out);
        // Written by tshark into an unnamed file in the target's folder,
        // named only when the capture stopped cleanly and holds every packet.
        let saving = match &config.save {
            Some(target) => {
                Some(
                    AtomicFile::create(target).map_err(|cause| CaptureError::SaveFailed {
                        path: target.clone(),
                        cause,
                    })?,
                )
            }
            None => None,
        };
        let tcpdump = Tcpdump::spawn(&config, &filter.bpf(probe_port), pipe_in)?;
        let save_to = saving.as_ref().map(AtomicFile::proc_path);
        let shark = tshark::spawn(&input, save_to.as_deref())?;
        let tshark_pid = shark.pid();
        let (tx, rx) = mpsc::unbounded_channel();
        let reader = tshark::reader_thread(shark, Some(probe_port), None, move |e| {
            let _ = tx.send(e);
        });
        let mut cap = LiveCapture {
            config,
            tcpdump,
            reader: Some(reader),
            tshark_pid,
            rx,
            tshark_end: None,
            probe,
            probe_target,
            probe_sink,
            next_token: 0,
            probes_seen: BTreeSet::new(),
            intake: Intake::new(None),
            saving,
            pipe_out: Some(pipe_out),
            drain_on_stop: false,
        };
        cap.await_first_probe().await?;
        // tshark has opened the pipe: tcplab's end goes, so that tcpdump's
        // next write fails if tshark dies.
        cap.pipe_out = None;
        Ok(cap)
    }

    async fn await_first_probe(&mut self) -> Result<(), CaptureError> {
        let deadline = Instant::now() + self.config.start_timeout;
        let mut tick = tokio::time::interval(PROBE_EVERY);
        while self.probes_seen.is_empty() {
            tokio::select! {
                _ = tick.tick() => {
                    self.check_tcpdump().await?;
                    if Instant::now() >= deadline {
                        let said = self.tcpdump.said();
                        return Err(CaptureError::StartTimeout {
                            interface: self.config.interface.clone(),
                            waited: self.config.start_timeout,
                            // Which half of the pipeline stalled: tshark's count tells.
                            detail: format!(
                                "{}; tshark delivered {} packet(s), no probe among them",
                                if said.is_empty() { String::new() } else { format!(": tcpdump said `{said}`") },
                                self.intake.packets
                            ),
                        });
                    }
                    self.send_probe().await?;
                }
                ev = self.rx.recv() => self.handle(ev).await?,
            }
        }
        Ok(())
    }

    async fn send_probe(&mut self) -> Result<u64, CaptureError> {
        let token = self.next_token;
        self.next_token += 1;
        self.probe
            .send_to(&probe_payload(token), self.probe_target)
            .await
            .map_err(CaptureError::io("sending a capture probe"))?;
        // Drain the probes that arrived (at the probe socket itself, or at
        // the sink across the link).
        let mut buf = [0u8; 64];
        let sink = self.probe_sink.as_ref().unwrap_or(&self.probe);
        while sink.try_recv_from(&mut buf).is_ok() {}
        Ok(token)
    }

    async fn handle(&mut self, ev: Option<Event>) -> Result<(), CaptureError> {
        match ev {
            Some(Event::Item(item)) => {
                if let Some(token) = self.intake.take(item) {
                    self.probes_seen.insert(token);
                }
                Ok(())
            }
            Some(Event::End(r)) => {
                self.tshark_end = Some(r.clone());
                Err(self.why_tshark_ended(r.err()).await)
            }
            None => Err(self.why_tshark_ended(None).await),
        }
    }

    /// Fails if tcpdump has stopped; when it stopped because tshark went
    /// away, the error is tshark's, as [`LiveCapture::why_tshark_ended`]
    /// tells it (with the saved file's shortfall, if any).
    async fn check_tcpdump(&mut self) -> Result<(), CaptureError> {
        match self.tcpdump.check() {
            Err(CaptureError::ToolDied {
                tool: "tshark",
                detail,
            }) => Err(self.why_tshark_ended(Some(detail)).await),
            r => r,
        }
    }

    /// tshark's output ended while the capture should run: either tcpdump
    /// died (tshark then reads the end of the pipe) or tshark did (tcpdump
    /// then exits cleanly on the broken pipe at its next packet). tcpdump's
    /// exit, awaited for at most a second, tells which.
    /// When the capture is being saved, the saved file is short of what
    /// tshark delivered (tshark stops when its writes fail, on a full disk),
    /// and the error says so.
    async fn why_tshark_ended(&mut self, said: Option<String>) -> CaptureError {
        if let (Some(file), Some(target)) = (&self.saving, &self.config.save) {
            let (saved, delivered) = (saved_frames(file), self.intake.packets);
            // A tshark killed mid-write also leaves its file short: only a
            // filesystem with no room left says the writes failed.
            if saved < delivered && nearly_full(file) {
                return CaptureError::SaveIncomplete {
                    path: target.clone(),
                    saved,
                    delivered,
                };
            }
        }
        let tshark_died = CaptureError::ToolDied {
            tool: "tshark",
            detail: said.unwrap_or_else(|| "it stopped reading the capture".to_owned()),
        };
        let deadline = Instant::now() + Duration::from_secs(1);
        loop {
            match self.tcpdump.failed() {
                Some(true) => return self.tcpdump.check().err().unwrap_or(tshark_died),
                Some(false) if Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
                _ => return tshark_died,
            }
        }
    }

    /// Sends a fence probe now and returns its token: every packet sent
    /// before it has been captured once [`LiveCapture::fence_passed`] says so
    /// (up to the per-CPU reordering the module documentation describes).
    pub async fn fence(&mut self) -> Result<u64, CaptureError> {
        self.send_probe().await
    }

    /// Whether the fence `token`, or a later probe, came back through the capture.
    pub fn fence_passed(&self, token: u64) -> bool {
        self.probes_seen.range(token..).next().is_some()
    }

    /// Fails if tcpdump has stopped.
    pub(crate) fn check_alive(&mut self) -> Result<(), CaptureError> {
        self.tcpdump.check()
    }

    /// The connections captured so far.
    pub fn connections(&self) -> &Connections {
        &self.intake.connections
    }

    /// Sends a fence probe, then waits until it came back through the
    /// capture and `done` holds for the connections captured, at most
    /// `timeout` (the configured completion timeout when `None`).
    ///
    /// `what` names what is awaited, for the timeout's error message.
    pub async fn wait_until(
        &mut self,
        what: &str,
        timeout: Option<Duration>,
        mut done: impl FnMut(&Connections) -> bool,
    ) -> Result<(), CaptureError> {
        let timeout = timeout.unwrap_or(self.config.complete_timeout);
        let deadline = Instant::now() + timeout;
        let fence = self.fence().await?;
        let mut resend = tokio::time::interval(Duration::from_millis(50));
        resend.tick().await;
        loop {
            if self.fence_passed(fence) && done(&self.intake.connections) {
                return Ok(());
            }
            tokio::select! {
                ev = self.rx.recv() => self.handle(ev).await?,
                _ = resend.tick() => {
                    self.check_tcpdump().await?;
                    self.send_probe().await?;
                }
                _ = sleep_until(deadline) => {
                    let fence_seen = self.fence_passed(fence);
                    return Err(CaptureError::CompleteTimeout {
                        what: if fence_seen { what.to_owned() } else { format!("{what} (not even the fence probe came back)") },
                        waited: timeout,
                    });
                }
            }
        }
    }

    /// Waits for the next packet (or failure), for callers that watch the
    /// capture themselves, e.g. together with a Ctrl-C signal.
    pub async fn next_packet(&mut self) -> Result<(), CaptureError> {
        let ev = self.rx.recv().await;
        self.handle(ev).await
    }

    /// Stops tcpdump and tshark and returns what was captured. Fails if the
    /// kernel dropped packets.
    ///
    /// When the capture is saved, tshark reads to the end of its input so the
    /// file is complete, and is reaped before this returns. Otherwise nothing
    /// after the last proven [`LiveCapture::wait_until`] is needed: tshark is
    /// killed at once, and its reader thread reaps it in the background
    /// (rtshark polls for its exit every 100 ms, which would double a lab's
    /// stop time).
    pub async fn stop(mut self) -> Result<Captured, CaptureError> {
        let stop_timeout = self.config.stop_timeout;
        let graceful = self.config.save.is_some() || self.drain_on_stop;
        if !graceful {
            self.kill_tshark();
        }
        let dropped = self.tcpdump.stop(stop_timeout).await?;
        if graceful {
            let deadline = Instant::now() + stop_timeout;
            while self.tshark_end.is_none() {
                tokio::select! {
                    ev = self.rx.recv() => match ev {
                        Some(Event::End(r)) => self.tshark_end = Some(r),
                        None => self.tshark_end = Some(Ok(())),
                        other => self.handle(other).await?,
                    },
                    _ = sleep_until(deadline) => {
                        return Err(CaptureError::CompleteTimeout {
                            what: "the end of tshark's output after tcpdump stopped".to_owned(),
                            waited: stop_timeout,
                        });
                    }
                }
            }
            if let Some(r) = self.reader.take() {
                let _ = tokio::task::spawn_blocking(move || r.join()).await;
            }
            if let Some(Err(e)) = self.tshark_end.take() {
                return Err(CaptureError::ToolDied {
                    tool: "tshark",
                    detail: e,
                });
            }
        } else {
            while let Ok(ev) = self.rx.try_recv() {
                if !matches!(ev, Event::End(_)) {
                    self.handle(Some(ev)).await?;
                }
            }
            // The reader thread ends, and reaps the killed tshark, by itself.
            drop(self.reader.take());
        }
        if dropped > 0 {
            return Err(CaptureError::Dropped { count: dropped });
        }
        if let (Some(file), Some(target)) = (self.saving.take(), &self.config.save) {
            keep(file, target, self.intake.packets)?;
        }
        Ok(Captured {
            connections: std::mem::take(&mut self.intake.connections),
            packets: self.intake.packets,
            notes: std::mem::take(&mut self.intake.notes).into_vec(),
            saved: self.config.save.clone(),
        })
    }

    /// Stops the capture as [`LiveCapture::stop`] does, but lets tshark read
    /// everything tcpdump captured first, saved or not: for a capture
    /// stopped at a moment nothing proved complete (an interruption).
    pub async fn drain(mut self) -> Result<Captured, CaptureError> {
        self.drain_on_stop = true;
        self.stop().await
    }

    /// SIGKILLs tshark. Only while its reader thread runs: that thread owns
    /// tshark's Child and has not reaped it, so the pid is still tshark's.
    fn kill_tshark(&self) {
        if let (Some(pid), Some(reader)) = (self.tshark_pid, &self.reader) {
            if !reader.is_finished() {
                let _ = kill(Pid::from_raw(pid as i32), Signal::SIGKILL);
            }
        }
    }

    /// The pids of tcpdump and tshark while they run.
    pub(crate) fn tool_pids(&self) -> (Option<u32>, Option<u32>) {
        (self.tcpdump.pid(), self.tshark_pid)
    }

    /// The pids of tcpdump and tshark while they run, for tests that check
    /// they are reaped.
    #[cfg(any(test, feature = "test-support"))]
    pub fn pids(&self) -> (Option<u32>, Option<u32>) {
        self.tool_pids()
    }
}

/// Puts the saved capture in place if it holds every one of the
/// `delivered` packets (a full disk, or tshark failing to write, leaves it
/// short); otherwise it is dropped, and nothing has the name.
fn keep(file: AtomicFile, target: &Path, delivered: u64) -> Result<(), CaptureError> {
    let saved = saved_frames(&file);
    if saved != delivered {
        return Err(CaptureError::SaveIncomplete {
            path: target.to_owned(),
            saved,
            delivered,
        });
    }
    file.commit().map_err(|cause| CaptureError::SaveFailed {
        path: target.to_owned(),
        cause,
    })
}

/// The whole frames the saved file holds, up to any damage (a write cut
/// short by a full disk).
fn saved_frames(file: &AtomicFile) -> u64 {
    match shape::check_file(file.file()) {
        Ok(s) => s.frames,
        Err(ShapeError::Truncated { frame, .. } | ShapeError::Damaged { frame, .. }) => frame - 1,
        Err(_) => 0,
    }
}

/// Whether the filesystem holding `file` has less than 1 MiB free: tshark
/// stops when a write fails for want of room.
fn nearly_full(file: &AtomicFile) -> bool {
    nix::sys::statvfs::fstatvfs(file.file())
        .is_ok_and(|v| v.blocks_available().saturating_mul(v.fragment_size()) < (1 << 20))
}

impl Drop for LiveCapture {
    fn drop(&mut self) {
        // tcpdump first: tshark then reads the end of its input.
        self.tcpdump.kill();
        self.kill_tshark();
        if let Some(reader) = self.reader.take() {
            let _ = reader.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case(TcpFilter::Ports(vec![8000]), "(tcp port 8000) or (udp dst port 40000)")]
    #[case(TcpFilter::Ports(vec![1, 2]), "(tcp port 1 or tcp port 2) or (udp dst port 40000)")]
    #[case(TcpFilter::Host("127.9.8.7".parse().unwrap()), "(tcp and host 127.9.8.7) or (udp dst port 40000)")]
    #[case(TcpFilter::All, "tcp or (udp dst port 40000)")]
    fn filter_admits_the_lab_and_the_probes(#[case] f: TcpFilter, #[case] bpf: &str) {
        assert_eq!(f.bpf(40000), bpf);
    }
}
