//! One capture for many labs: a [`Session`] runs a [`LiveCapture`] on a
//! thread of its own and hands each lab its own connection, routed by
//! 4-tuple and proven complete (fence probe plus terminal segment) like a
//! lab's own capture.
//!
//! The session admits only TCP to or from its own loopback address, picked at
//! random in 127.0.0.0/8 (all of which Linux routes to `lo`): labs bind their
//! servers there, so nothing else on the machine enters the capture. tshark
//! starts once per session instead of once per lab.
//!
//! [`Session::shared`] is one session per process, started on first use and
//! stopped when the process exits, so the rstest cases of one test binary
//! share it. Besides labs, a session serves [`crate::capture::Watch::run_in`]:
//! every connection of one endpoint while the caller's code ran.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Mutex, OnceLock};
use std::thread::JoinHandle;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

use super::CaptureError;
use super::live::{Captured, LiveCapture, LiveConfig, TcpFilter};
use crate::connection::{Connection, Connections};

enum Command {
    /// How many connections of `endpoint` the capture holds now.
    Count {
        endpoint: SocketAddr,
        reply: oneshot::Sender<usize>,
    },
    /// The connections wanted, once proven over, or as they are at the deadline.
    Await {
        want: Want,
        timeout: Duration,
        reply: oneshot::Sender<Result<Vec<Connection>, CaptureError>>,
    },
    Stop {
        reply: oneshot::Sender<Result<Captured, CaptureError>>,
    },
}

/// What a waiter waits for.
#[derive(Clone, Copy, Debug)]
enum Want {
    /// One connection, by its two ends.
    Connection {
        client: SocketAddr,
        server: SocketAddr,
    },
    /// Every connection to or from `endpoint` after the first `skip` of them.
    Endpoint { endpoint: SocketAddr, skip: usize },
}

impl Want {
    /// The connections wanted among those captured so far, and whether
    /// they are all over.
    fn select(&self, connections: &Connections) -> (Vec<Connection>, bool) {
        match *self {
            Want::Connection { client, server } => match connections.find(client, server) {
                Some(c) => (vec![c.clone()], c.is_over()),
                None => (vec![], false),
            },
            Want::Endpoint { endpoint, skip } => {
                let mine: Vec<Connection> = connections
                    .iter()
                    .filter(|c| c.client == endpoint || c.server == endpoint)
                    .skip(skip)
                    .cloned()
                    .collect();
                let over = mine.iter().all(Connection::is_over);
                (mine, over)
            }
        }
    }
}

struct Waiter {
    want: Want,
    fence: u64,
    deadline: Instant,
    reply: oneshot::Sender<Result<Vec<Connection>, CaptureError>>,
}

/// A capture shared by many labs. See the module documentation.
pub struct Session {
    addr: IpAddr,
    commands: mpsc::UnboundedSender<Command>,
    thread: Option<JoinHandle<()>>,
    pids: Pids,
}

impl Session {
    /// Starts a session (tcpdump and tshark) on `lo` and returns once it is
    /// proven running. Blocks the calling thread for tshark's start-up.
    pub fn start(config: LiveConfig) -> Result<Session, CaptureError> {
        let addr = random_loopback();
        let (commands, rx) = mpsc::unbounded_channel();
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("tcplab-session".into())
            .spawn(move || {
                let rt = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt,
                    Err(e) => {
                        let _ = ready_tx
                            .send(Err(CaptureError::io("starting the session's runtime")(e)));
                        return;
                    }
                };
                rt.block_on(serve(config, addr, rx, ready_tx));
            })
            .map_err(CaptureError::io("starting the session's thread"))?;
        match ready_rx.recv() {
            Ok(Ok(pids)) => Ok(Session {
                addr,
                commands,
                thread: Some(thread),
                pids,
            }),
            Ok(Err(e)) => {
                let _ = thread.join();
                Err(e)
            }
            Err(_) => Err(CaptureError::ToolDied {
                tool: "the capture session",
                detail: "its thread ended before the capture started".to_owned(),
            }),
        }
    }

    /// The process-wide session, started on first use. Its capture ends
    /// when the process exits (tcpdump and tshark are killed then).
    pub fn shared() -> Result<&'static Session, CaptureError> {
        static SHARED: OnceLock<Result<Session, String>> = OnceLock::new();
        let s = SHARED.get_or_init(|| {
            let s = Session::start(LiveConfig::default()).map_err(|e| e.to_string())?;
            // Tests end with exit(), which runs no destructors: kill the
            // capture's processes from an exit handler instead.
            *EXIT_PIDS.lock().unwrap() = Some(s.pids);
            crate::sys::run_at_exit(kill_shared_at_exit);
            Ok(s)
        });
        s.as_ref().map_err(|e| CaptureError::ToolDied {
            tool: "the shared capture session",
            detail: e.clone(),
        })
    }

    /// The loopback address labs of this session bind their servers to.
    pub fn addr(&self) -> IpAddr {
        self.addr
    }

    /// Fails, naming the cause, unless `addr` is the session's own: a
    /// server bound elsewhere (127.0.0.1, say) is outside its capture.
    pub fn admits(&self, addr: SocketAddr) -> Result<(), CaptureError> {
        if addr.ip() == self.addr {
            Ok(())
        } else {
            Err(CaptureError::OutsideSession {
                addr,
                session: self.addr,
            })
        }
    }

    /// Waits until the connection `client` <-> `server` is over and the
    /// capture proven past it, then returns it. At `timeout` it returns the
    /// connection as captured so far (a verdict then calls it
    /// `incomplete`); an error only if nothing of it was captured.
    pub async fn connection(
        &self,
        client: SocketAddr,
        server: SocketAddr,
        timeout: Duration,
    ) -> Result<Connection, CaptureError> {
        if self.admits(server).is_err() {
            self.admits(client)?;
        }
        let mut found = self
            .request(Want::Connection { client, server }, timeout)
            .await?;
        found.pop().ok_or(CaptureError::CompleteTimeout {
            what: format!("any segment of {client} <-> {server}"),
            waited: timeout,
        })
    }

    /// How many connections to or from `endpoint` the session has captured.
    pub(crate) async fn count(&self, endpoint: SocketAddr) -> Result<usize, CaptureError> {
        let (reply, rx) = oneshot::channel();
        self.commands
            .send(Command::Count { endpoint, reply })
            .map_err(|_| ended())?;
        rx.await.map_err(|_| ended())
    }

    /// Every connection to or from `endpoint` after the first `skip`, once
    /// all are over and the capture proven past them, or as they are at
    /// `timeout`.
    pub(crate) async fn connections_of(
        &self,
        endpoint: SocketAddr,
        skip: usize,
        timeout: Duration,
    ) -> Result<Vec<Connection>, CaptureError> {
        self.request(Want::Endpoint { endpoint, skip }, timeout)
            .await
    }

    async fn request(
        &self,
        want: Want,
        timeout: Duration,
    ) -> Result<Vec<Connection>, CaptureError> {
        let (reply, rx) = oneshot::channel();
        self.commands
            .send(Command::Await {
                want,
                timeout,
                reply,
            })
            .map_err(|_| ended())?;
        rx.await.map_err(|_| ended())?
    }

    /// Stops the capture and reaps tcpdump and tshark. Fails if the kernel
    /// dropped packets during the session.
    pub async fn stop(mut self) -> Result<Captured, CaptureError> {
        let (reply, rx) = oneshot::channel();
        self.commands
            .send(Command::Stop { reply })
            .map_err(|_| ended())?;
        let r = rx.await.map_err(|_| ended())?;
        if let Some(t) = self.thread.take() {
            let _ = tokio::task::spawn_blocking(move || t.join()).await;
        }
        r
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        // Closing the command channel ends the session's loop, which drops
        // (kills and reaps) the capture.
        let (tx, _) = mpsc::unbounded_channel();
        drop(std::mem::replace(&mut self.commands, tx));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn ended() -> CaptureError {
    CaptureError::ToolDied {
        tool: "the capture session",
        detail: "it ended before answering".to_owned(),
    }
}

/// tcpdump's and tshark's pids.
type Pids = (Option<u32>, Option<u32>);

static EXIT_PIDS: Mutex<Option<Pids>> = Mutex::new(None);

extern "C" fn kill_shared_at_exit() {
    use nix::sys::signal::{Signal, kill};
    use nix::unistd::Pid;
    if let Ok(mut pids) = EXIT_PIDS.try_lock() {
        if let Some((tcpdump, tshark)) = pids.take() {
            for pid in [tcpdump, tshark].into_iter().flatten() {
                let pid = Pid::from_raw(pid as i32);
                let _ = kill(pid, Signal::SIGKILL);
                let _ = nix::sys::wait::waitpid(pid, None);
            }
        }
    }
}

/// A random address in 127.0.0.0/8 other than 127.0.0.1.
fn random_loopback() -> IpAddr {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u32(std::process::id());
    let r = h.finish().to_le_bytes();
    IpAddr::V4(Ipv4Addr::new(127, 1 + r[0] % 250, r[1], 1 + r[2] % 250))
}

async fn serve(
    config: LiveConfig,
    addr: IpAddr,
    mut commands: mpsc::UnboundedReceiver<Command>,
    ready: std::sync::mpsc::Sender<Result<Pids, CaptureError>>,
) {
    let mut cap = match LiveCapture::start(config, &TcpFilter::Host(addr)).await {
        Ok(c) => c,
        Err(e) => {
            let _ = ready.send(Err(e));
            return;
        }
    };
    let _ = ready.send(Ok(cap.tool_pids()));
    let mut waiters: Vec<Waiter> = Vec::new();
    let mut tick = tokio::time::interval(Duration::from_millis(50));
    let mut failed: Option<String> = None;
    loop {
        tokio::select! {
            cmd = commands.recv() => match cmd {
                Some(Command::Count { endpoint, reply }) => {
                    let n = cap
                        .connections()
                        .iter()
                        .filter(|c| c.client == endpoint || c.server == endpoint)
                        .count();
                    let _ = reply.send(n);
                }
                Some(Command::Await { want, timeout, reply }) => {
                    if let Some(why) = &failed {
                        let _ = reply.send(Err(CaptureError::ToolDied { tool: "the capture session", detail: why.clone() }));
                        continue;
                    }
                    match cap.fence().await {
                        Ok(fence) => waiters.push(Waiter { want, fence, deadline: Instant::now() + timeout, reply }),
                        Err(e) => { let _ = reply.send(Err(e)); }
                    }
                }
                Some(Command::Stop { reply }) => {
                    for w in waiters.drain(..) {
                        let _ = w.reply.send(Err(ended()));
                    }
                    let _ = reply.send(cap.stop().await);
                    return;
                }
                None => return, // the Session was dropped: `cap` is dropped, killed and reaped
            },
            r = cap.next_packet(), if failed.is_none() => {
                if let Err(e) = r {
                    let why = e.to_string();
                    for w in waiters.drain(..) {
                        let _ = w.reply.send(Err(CaptureError::ToolDied { tool: "the capture session", detail: why.clone() }));
                    }
                    failed = Some(why);
                }
            }
            _ = tick.tick(), if !waiters.is_empty() => {
                // Resend a fence in case one was lost; any later probe counts.
                if let Err(e) = cap.check_alive() {
                    failed = Some(e.to_string());
                } else {
                    let _ = cap.fence().await;
                }
                // At its deadline a waiter gets what was captured, as it is.
                let now = Instant::now();
                let (late, keep): (Vec<Waiter>, Vec<Waiter>) = waiters.drain(..).partition(|w| w.deadline <= now);
                waiters = keep;
                for w in late {
                    let (found, _) = w.want.select(cap.connections());
                    let _ = w.reply.send(Ok(found));
                }
            }
        }
        // Hand out every answer that is now proven complete.
        let mut i = 0;
        while i < waiters.len() {
            let w = &waiters[i];
            let (found, over) = w.want.select(cap.connections());
            let done = cap.fence_passed(w.fence)
                && over
                && (!found.is_empty() || matches!(w.want, Want::Endpoint { .. }));
            if done {
                let w = waiters.swap_remove(i);
                let _ = w.reply.send(Ok(found));
            } else {
                i += 1;
            }
        }
    }
}
