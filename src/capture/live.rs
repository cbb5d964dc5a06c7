//! A live capture: tcpdump (immediate mode) writes into a FIFO that tshark
//! reads through rtshark.
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
//! kills tcpdump and tshark and waits for both.

use std::collections::BTreeSet;
use std::io::Read;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use tokio::net::UdpSocket;
use tokio::sync::mpsc;
use tokio::time::{Instant, sleep_until};

use super::CaptureError;
use super::tshark::{self, Event, Item};
use crate::connection::Connections;
use crate::netns::Namespace;
use crate::segment::FieldError;

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
    /// Keep the capture as this pcapng file (written beside it under a
    /// temporary name while running, renamed when the capture stops cleanly).
    pub save: Option<PathBuf>,
    /// Address the probes are sent to and from (must be on `interface`),
    /// unless `probe_route` says otherwise.
    pub probe_addr: IpAddr,
    /// The network namespace `interface` is in (`None`: tcplab's own).
    pub namespace: Option<Arc<Namespace>>,
    /// Probes that must cross a link to reach `interface` (a veth pair)
    /// instead of going to their own socket on `probe_addr`.
    pub probe_route: Option<ProbeRoute>,
}

/// How probes cross a link between two namespaces: sent from `from_addr`
/// in `from` to a socket on `to_addr` in `to`.
#[derive(Clone, Debug)]
pub struct ProbeRoute {
    /// The sending side's namespace.
    pub from: Arc<Namespace>,
    /// The sender's address.
    pub from_addr: IpAddr,
    /// The receiving side's namespace.
    pub to: Arc<Namespace>,
    /// The receiver's address.
    pub to_addr: IpAddr,
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
            namespace: None,
            probe_route: None,
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
    /// Where the pcapng file was kept, if asked for.
    pub saved: Option<PathBuf>,
}

/// A running capture. See the module documentation.
pub struct LiveCapture {
    config: LiveConfig,
    tcpdump: Option<Child>,
    tcpdump_stderr: Arc<Mutex<String>>,
    stderr_thread: Option<JoinHandle<()>>,
    reader: Option<JoinHandle<()>>,
    tshark_pid: Option<u32>,
    rx: mpsc::UnboundedReceiver<Event>,
    tshark_end: Option<Result<(), String>>,
    probe: UdpSocket,
    probe_target: std::net::SocketAddr,
    probe_sink: Option<UdpSocket>,
    next_token: u64,
    probes_seen: BTreeSet<u64>,
    connections: Connections,
    packets: u64,
    field_error: Option<FieldError>,
    saving: Option<tempfile::NamedTempFile>,
    _dir: tempfile::TempDir,
}

const PROBE_EVERY: Duration = Duration::from_millis(5);

/// Reader threads of stopped captures whose killed tshark is still being reaped.
static DETACHED: Mutex<Vec<JoinHandle<()>>> = Mutex::new(Vec::new());

/// Waits until every tshark that [`LiveCapture::stop`] killed has been
/// reaped. Call it before the process exits, so that no zombie outlives it.
pub fn reap_stopped() {
    let pending = std::mem::take(&mut *DETACHED.lock().unwrap());
    for h in pending {
        let _ = h.join();
    }
}

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
        let dir = tempfile::Builder::new()
            .prefix("tcplab-")
            .tempdir()
            .map_err(CaptureError::io("creating a temporary directory"))?;
        let fifo = dir.path().join("capture.pcap");
        mkfifo(&fifo)?;

        // Written to a temporary file beside the target, kept only when the
        // capture stops cleanly.
        let saving = match &config.save {
            Some(target) => Some(
                tempfile::Builder::new()
                    .prefix(".tcplab-")
                    .suffix(".pcapng")
                    .tempfile_in(
                        target
                            .parent()
                            .filter(|p| !p.as_os_str().is_empty())
                            .unwrap_or(Path::new(".")),
                    )
                    .map_err(CaptureError::io(format!(
                        "creating a file beside `{}`",
                        target.display()
                    )))?,
            ),
            None => None,
        };
        let mut tcpdump = spawn_tcpdump(&config, &filter.bpf(probe_port), &fifo)?;
        let shark = match tshark::spawn(&fifo, saving.as_ref().map(|f| f.path())) {
            Ok(s) => s,
            Err(e) => {
                let _ = tcpdump.kill();
                let _ = tcpdump.wait();
                return Err(match e.kind() {
                    std::io::ErrorKind::NotFound => CaptureError::TsharkMissing,
                    _ => CaptureError::io("starting tshark")(e),
                });
            }
        };
        let tshark_pid = shark.pid();
        let (tx, rx) = mpsc::unbounded_channel();
        let reader = tshark::reader_thread(shark, Some(probe_port), move |e| {
            let _ = tx.send(e);
        });
        let tcpdump_stderr = Arc::new(Mutex::new(String::new()));
        let stderr_thread = tcpdump.stderr.take().map(|mut pipe| {
            let sink = Arc::clone(&tcpdump_stderr);
            std::thread::spawn(move || {
                let mut buf = [0u8; 1024];
                while let Ok(n) = pipe.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    sink.lock()
                        .unwrap()
                        .push_str(&String::from_utf8_lossy(&buf[..n]));
                }
            })
        });
        let mut cap = LiveCapture {
            config,
            tcpdump: Some(tcpdump),
            tcpdump_stderr,
            stderr_thread,
            reader: Some(reader),
            tshark_pid,
            rx,
            tshark_end: None,
            probe,
            probe_target,
            probe_sink,
            next_token: 0,
            probes_seen: BTreeSet::new(),
            connections: Connections::default(),
            packets: 0,
            field_error: None,
            saving,
            _dir: dir,
        };
        cap.await_first_probe().await?;
        Ok(cap)
    }

    async fn await_first_probe(&mut self) -> Result<(), CaptureError> {
        let deadline = Instant::now() + self.config.start_timeout;
        let mut tick = tokio::time::interval(PROBE_EVERY);
        while self.probes_seen.is_empty() {
            tokio::select! {
                _ = tick.tick() => {
                    self.check_tcpdump()?;
                    if Instant::now() >= deadline {
                        let said = self.tcpdump_said();
                        return Err(CaptureError::StartTimeout {
                            interface: self.config.interface.clone(),
                            waited: self.config.start_timeout,
                            // Which half of the pipeline stalled: tshark's count tells.
                            detail: format!(
                                "{}; tshark delivered {} packet(s), no probe among them",
                                if said.is_empty() { String::new() } else { format!(": tcpdump said `{said}`") },
                                self.packets
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
            .send_to(&tshark::probe_payload(token), self.probe_target)
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
            Some(Event::Item(Ok(Item::Segment(s)))) => {
                self.packets += 1;
                self.connections.push(s);
            }
            Some(Event::Item(Ok(Item::Probe(t)))) => {
                self.packets += 1;
                self.probes_seen.insert(t);
            }
            Some(Event::Item(Ok(Item::Other))) => self.packets += 1,
            Some(Event::Item(Err(e))) => {
                self.field_error.get_or_insert(e);
            }
            Some(Event::End(r)) => {
                self.tshark_end = Some(r.clone());
                return Err(self.why_tshark_ended(r.err()).await);
            }
            None => return Err(self.why_tshark_ended(None).await),
        }
        Ok(())
    }

    /// Fails if tcpdump has exited, saying why in its own words.
    fn check_tcpdump(&mut self) -> Result<(), CaptureError> {
        let Some(child) = self.tcpdump.as_mut() else {
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
                Err(classify_tcpdump_failure(
                    &self.config.interface,
                    &self.tcpdump_said(),
                    &status.to_string(),
                ))
            }
            Err(e) => Err(CaptureError::io("checking on tcpdump")(e)),
        }
    }

    /// tshark's output ended while the capture should run: either tcpdump
    /// died (tshark then reads the end of the FIFO) or tshark did (tcpdump
    /// then exits cleanly on the broken pipe at its next packet). tcpdump's
    /// exit, awaited for at most a second, tells which.
    async fn why_tshark_ended(&mut self, said: Option<String>) -> CaptureError {
        let tshark_died = CaptureError::ToolDied {
            tool: "tshark",
            detail: said.unwrap_or_else(|| "it stopped reading the capture".to_owned()),
        };
        let deadline = Instant::now() + Duration::from_secs(1);
        loop {
            match self.tcpdump.as_mut().map(Child::try_wait) {
                Some(Ok(Some(status))) if !status.success() => {
                    return self.check_tcpdump().err().unwrap_or(tshark_died);
                }
                Some(Ok(None)) if Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
                _ => return tshark_died,
            }
        }
    }

    fn tcpdump_said(&self) -> String {
        let text = self.tcpdump_stderr.lock().unwrap();
        text.lines()
            .filter(|l| !l.starts_with("listening on") && !l.trim().is_empty())
            .collect::<Vec<_>>()
            .join("; ")
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

    /// Checks that tcpdump is still running.
    pub fn check_alive(&mut self) -> Result<(), CaptureError> {
        self.check_tcpdump()
    }

    /// The connections captured so far.
    pub fn connections(&self) -> &Connections {
        &self.connections
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
            if self.fence_passed(fence) && done(&self.connections) {
                return Ok(());
            }
            tokio::select! {
                ev = self.rx.recv() => self.handle(ev).await?,
                _ = resend.tick() => {
                    self.check_tcpdump()?;
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
        let graceful = self.config.save.is_some();
        if !graceful {
            self.kill_tshark();
        }
        if let Some(child) = self.tcpdump.take() {
            // SIGTERM: tcpdump flushes the FIFO and reports its drop count.
            unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
            let waited = tokio::task::spawn_blocking(move || {
                let mut child = child;
                child.wait().map(|_| child)
            });
            match tokio::time::timeout(stop_timeout, waited).await {
                Ok(Ok(Ok(_))) => {}
                _ => {
                    return Err(CaptureError::CompleteTimeout {
                        what: "tcpdump's exit after SIGTERM".to_owned(),
                        waited: stop_timeout,
                    });
                }
            }
        }
        if let Some(t) = self.stderr_thread.take() {
            let _ = tokio::task::spawn_blocking(move || t.join()).await;
        }
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
            // The thread ends, and reaps the killed tshark, by itself.
            if let Some(r) = self.reader.take() {
                let mut pending = DETACHED.lock().unwrap();
                pending.retain(|h| !h.is_finished());
                pending.push(r);
            }
        }
        if let Some(e) = self.field_error.take() {
            return Err(e.into());
        }
        let dropped = dropped_count(&self.tcpdump_stderr.lock().unwrap());
        if dropped > 0 {
            return Err(CaptureError::Dropped { count: dropped });
        }
        if let (Some(file), Some(target)) = (self.saving.take(), &self.config.save) {
            file.persist(target).map_err(|e| CaptureError::Io {
                what: format!("keeping the capture as `{}`", target.display()),
                cause: e.error,
            })?;
        }
        Ok(Captured {
            connections: std::mem::take(&mut self.connections),
            packets: self.packets,
            saved: self.config.save.clone(),
        })
    }

    /// SIGKILLs tshark. Only while its reader thread runs: that thread owns
    /// tshark's Child and has not reaped it, so the pid is still tshark's.
    fn kill_tshark(&self) {
        if let Some(pid) = self.tshark_pid {
            unsafe { libc::kill(pid as i32, libc::SIGKILL) };
        }
    }

    /// The pid of tshark, for checks that it was reaped.
    pub fn tshark_pid(&self) -> Option<u32> {
        self.tshark_pid
    }

    /// The pid of tcpdump, for checks that it was reaped.
    pub fn tcpdump_pid(&self) -> Option<u32> {
        self.tcpdump.as_ref().map(Child::id)
    }
}

impl Drop for LiveCapture {
    fn drop(&mut self) {
        if let Some(mut child) = self.tcpdump.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        if let Some(reader) = self.reader.take() {
            if !reader.is_finished() {
                self.kill_tshark();
            }
            let _ = reader.join();
        }
        if let Some(t) = self.stderr_thread.take() {
            let _ = t.join();
        }
    }
}

fn mkfifo(path: &Path) -> Result<(), CaptureError> {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(path.as_os_str().as_bytes()).map_err(|_| CaptureError::Io {
        what: "creating the capture FIFO".to_owned(),
        cause: std::io::Error::other("path contains NUL"),
    })?;
    if unsafe { libc::mkfifo(c.as_ptr(), 0o600) } != 0 {
        return Err(CaptureError::io("creating the capture FIFO")(
            std::io::Error::last_os_error(),
        ));
    }
    Ok(())
}

/// The probe sender, where it sends, and the receiving socket when that is
/// not the sender itself.
async fn probe_sockets(
    config: &LiveConfig,
) -> Result<(UdpSocket, SocketAddr, Option<UdpSocket>), CaptureError> {
    let Some(route) = &config.probe_route else {
        let probe = UdpSocket::bind((config.probe_addr, 0))
            .await
            .map_err(CaptureError::io("binding the capture's probe socket"))?;
        let target = probe
            .local_addr()
            .map_err(CaptureError::io("reading the probe socket's address"))?;
        return Ok((probe, target, None));
    };
    let bind_in = |ns: &Namespace, addr: IpAddr| {
        ns.run(|| {
            let s = std::net::UdpSocket::bind((addr, 0))?;
            s.set_nonblocking(true)?;
            Ok::<_, std::io::Error>(s)
        })
        .map_err(|e| {
            CaptureError::io("entering a namespace for the probes")(std::io::Error::other(e))
        })?
        .map_err(CaptureError::io("binding the capture's probe socket"))
        .and_then(|s| {
            UdpSocket::from_std(s).map_err(CaptureError::io("registering the probe socket"))
        })
    };
    let sink = bind_in(&route.to, route.to_addr)?;
    let sender = bind_in(&route.from, route.from_addr)?;
    let target = sink
        .local_addr()
        .map_err(CaptureError::io("reading the probe socket's address"))?;
    Ok((sender, target, Some(sink)))
}

fn spawn_tcpdump(config: &LiveConfig, filter: &str, fifo: &Path) -> Result<Child, CaptureError> {
    let mut cmd = match &config.namespace {
        Some(ns) => ns.command("tcpdump"),
        None => Command::new("tcpdump"),
    };
    cmd.arg("-i")
        .arg(&config.interface)
        .args(["--immediate-mode", "-U", "-n", "-s"])
        .arg(config.snaplen.to_string())
        .arg("-B")
        .arg(config.buffer_kib.to_string());
    if unsafe { libc::geteuid() } == 0 {
        // Debian's tcpdump may drop to its own user before opening -w.
        cmd.args(["-Z", "root"]);
    }
    cmd.arg("-w")
        .arg(fifo)
        .arg(filter)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    // If tcplab dies without cleaning up, tcpdump goes too (and tshark,
    // which then reads the end of the FIFO).
    unsafe {
        cmd.pre_exec(|| {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
            Ok(())
        });
    }
    cmd.spawn().map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => CaptureError::TcpdumpMissing,
        _ => CaptureError::io("starting tcpdump")(e),
    })
}

/// Turns tcpdump's last words into the error a person can act on.
pub(crate) fn classify_tcpdump_failure(interface: &str, said: &str, status: &str) -> CaptureError {
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
        .find_map(|l| l.strip_suffix(" packets dropped by kernel"))
        .or_else(|| {
            stderr
                .lines()
                .find_map(|l| l.strip_suffix(" packet dropped by kernel"))
        })
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0)
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

    #[rstest]
    #[case(
        "13 packets captured\n26 packets received by filter\n0 packets dropped by kernel\n",
        0
    )]
    #[case("1 packet captured\n7 packets dropped by kernel\n", 7)]
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
        let e = classify_tcpdump_failure("nope0", said, "exit status: 1").to_string();
        assert!(e.contains(text), "{e}");
    }
}
