//! The echo lab of the seed, in process: a tokio echo server, a client that
//! sends a payload plan, and a live capture that proves what went over the
//! wire.
//!
//! ```no_run
//! # async fn demo() -> Result<(), tcplab::lab::LabError> {
//! use tcplab::lab::{Lab, ServerClose};
//! let run = Lab::new().payloads([479, 1380]).close(ServerClose::Linger).run().await?;
//! let first = run.verdict.findings.first_data.clone().unwrap();
//! assert_eq!((first.len, first.ack), (479, Some(480)));
//! println!("{}", run.connection); // the ladder diagram
//! # Ok(()) }
//! ```

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use tokio::net::{TcpListener, TcpSocket, TcpStream};

use crate::capture::{CaptureError, LiveCapture, LiveConfig, Session, TcpFilter};
use crate::connection::Connection;
use crate::net::link::{LinkConfig, LinkError, LinkRun, VethLink};
use crate::verdict::{Expectations, Judged, TerminationKind};

pub mod close;
pub mod echo;

use echo::{client_on, serve_one};

/// How the echo server ends the connection after it reads the client's FIN.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum ServerClose {
    /// Acknowledge the client's FIN at once (`TCP_QUICKACK`), then close:
    /// FIN, ACK, FIN, ACK, the four-segment close of the lab sheet.
    #[default]
    Linger,
    /// Close as soon as EOF is read: Linux folds the ACK into the FIN
    /// (three segments).
    Prompt,
    /// Abort with `SO_LINGER` 0: the server answers the FIN with RST.
    Abort,
}

impl ServerClose {
    /// Every close behaviour, for parameterised tests.
    pub const ALL: [ServerClose; 3] =
        [ServerClose::Linger, ServerClose::Prompt, ServerClose::Abort];

    /// The termination this close produces when the client closes first.
    pub fn expected_termination(self) -> TerminationKind {
        match self {
            ServerClose::Linger => TerminationKind::FourSegment,
            ServerClose::Prompt => TerminationKind::ThreeSegment,
            ServerClose::Abort => TerminationKind::Reset,
        }
    }
}

/// How the client reads the echo.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum ClientStyle {
    /// Reads the whole echo of each message before sending the next.
    #[default]
    Full,
    /// The seed's client.py: one `recv(1024)` per message, then close. With
    /// an echo longer than 1024 bytes it closes with data unread: RST.
    Seed,
}

/// A lab to run. Build it with the setters, then [`Lab::run`].
#[derive(Clone, Debug)]
pub struct Lab {
    payloads: Vec<u64>,
    close: ServerClose,
    client: ClientStyle,
    bind: SocketAddr,
    capture: LiveConfig,
    io_timeout: Duration,
    expect: Option<Expectations>,
    link: Option<LinkConfig>,
}

impl Default for Lab {
    fn default() -> Self {
        Lab::new()
    }
}

impl Lab {
    /// The seed's lab: 479 then 1380 bytes, four-segment close, full client,
    /// server on 127.0.0.1 with a port the kernel picks.
    pub fn new() -> Lab {
        Lab {
            payloads: vec![479, 1380],
            close: ServerClose::Linger,
            client: ClientStyle::Full,
            bind: (Ipv4Addr::LOCALHOST, 0).into(),
            capture: LiveConfig::default(),
            io_timeout: Duration::from_secs(10),
            expect: None,
            link: None,
        }
    }

    /// The client's messages, in bytes, in order.
    pub fn payloads(mut self, sizes: impl IntoIterator<Item = u64>) -> Lab {
        self.payloads = sizes.into_iter().collect();
        self
    }

    /// How the server closes.
    pub fn close(mut self, close: ServerClose) -> Lab {
        self.close = close;
        self
    }

    /// How the client reads.
    pub fn client(mut self, style: ClientStyle) -> Lab {
        self.client = style;
        self
    }

    /// Where the server listens (port 0: the kernel picks one).
    pub fn bind(mut self, addr: SocketAddr) -> Lab {
        self.bind = addr;
        self
    }

    /// Listen on `[::1]` with a kernel-picked port.
    pub fn ipv6(self) -> Lab {
        self.bind((Ipv6Addr::LOCALHOST, 0).into())
    }

    /// How to capture (interface, timeouts, where to save).
    pub fn capture(mut self, config: LiveConfig) -> Lab {
        self.capture = config;
        self
    }

    /// Keep the capture as a pcapng file.
    pub fn save(mut self, path: impl Into<PathBuf>) -> Lab {
        self.capture.save = Some(path.into());
        self
    }

    /// Bound on connecting and on the whole echo exchange.
    pub fn io_timeout(mut self, timeout: Duration) -> Lab {
        self.io_timeout = timeout;
        self
    }

    /// Run over a two-namespace veth link instead of loopback (root only;
    /// IPv4; the bind address's port is kept). See [`crate::net::link`].
    pub fn link(mut self, link: LinkConfig) -> Lab {
        self.link = Some(link);
        self
    }

    /// Replace the lab's expectations (see [`Lab::expectations`]); left
    /// unset, the client's messages are the lab's payload plan.
    pub fn expect(mut self, expect: Expectations) -> Lab {
        self.expect = Some(expect);
        self
    }

    /// What the verdict checks: by default the lab sheet (the handshake,
    /// the data acknowledged, every message of the payload plan acknowledged
    /// at its end, an orderly close).
    pub fn expectations(&self) -> Expectations {
        let mut expect = self.expect.clone().unwrap_or_default();
        // The lab knows its client's messages (the seed's client, which
        // reads once and resets, never finishes its plan).
        if expect.client_messages.is_none() && self.client == ClientStyle::Full {
            expect.client_messages = Some(self.payloads.clone());
        }
        expect
    }

    /// Runs the lab: binds the server, starts the capture and proves it
    /// running, exchanges the messages, proves the capture complete, stops
    /// it and judges the connection.
    pub async fn run(&self) -> Result<LabRun, LabError> {
        self.run_until(std::future::pending()).await
    }

    /// Runs the lab as [`Lab::run`] does, unless `stop` completes first
    /// (Ctrl-C, SIGTERM): then the exchange is abandoned, the capture is
    /// stopped, and what it holds of the lab's connection is judged, with
    /// [`LabRun::interrupted`] set. Stopped before the capture was proven
    /// running, or with nothing of the connection captured, the lab is
    /// [`LabError::Interrupted`].
    pub async fn run_until(&self, stop: impl Future<Output = ()>) -> Result<LabRun, LabError> {
        let mut stop = std::pin::pin!(stop);
        let t0 = Instant::now();
        let (link, listener, client, capture) = match &self.link {
            None => (
                None,
                self.listen(self.bind).await?,
                None,
                self.capture.clone(),
            ),
            Some(config) => {
                let link = VethLink::create(config)?;
                let (listener, client) = self.sockets_across(&link).await?;
                let capture = self.capture.clone().over(&link);
                (Some(link), listener, Some(client), capture)
            }
        };
        let server_addr = listener
            .local_addr()
            .map_err(io("reading the server's address"))?;
        let filter = TcpFilter::Ports(vec![server_addr.port()]);
        let mut capture = tokio::select! {
            c = LiveCapture::start(capture, &filter) => c?,
            () = &mut stop => return Err(LabError::Interrupted { captured: false }),
        };
        let t_ready = Instant::now();
        let exchanged = tokio::select! {
            r = self.exchange(listener, server_addr, client) => Some(r?),
            () = &mut stop => None,
        };
        let t_exchanged = Instant::now();
        let completed = match exchanged {
            None => false,
            Some(client_addr) => {
                let what = format!(
                    "the last segment (final ACK or RST) of {client_addr} <-> {server_addr}"
                );
                let done = capture.wait_until(&what, None, |conns| {
                    conns
                        .find(client_addr, server_addr)
                        .is_some_and(Connection::is_over)
                });
                tokio::select! {
                    r = done => { r?; true }
                    () = &mut stop => false,
                }
            }
        };
        let t_complete = Instant::now();
        let dropped = match &link {
            Some(l) => Some(l.dropped()?),
            None => None,
        };
        // Interrupted, nothing proved the capture complete: let tshark
        // deliver everything tcpdump captured until now.
        let captured = if completed {
            capture.stop().await?
        } else {
            capture.drain().await?
        };
        let t_stopped = Instant::now();
        // The capture admits only the server's port: every connection in it
        // is the lab's. Interrupted, the client's address may be unknown.
        let connection = match exchanged {
            Some(client_addr) => captured.connections.find(client_addr, server_addr).cloned(),
            None => captured
                .connections
                .iter()
                .rev()
                .find(|c| c.server == server_addr)
                .cloned(),
        };
        let Some(connection) = connection else {
            return Err(match exchanged {
                Some(client) if completed => LabError::NotCaptured {
                    client,
                    server: server_addr,
                },
                _ => LabError::Interrupted { captured: true },
            });
        };
        let client_addr = connection.client;
        let mut run = self.judged(
            connection,
            client_addr,
            server_addr,
            captured.saved,
            Timings {
                capture_ready: t_ready - t0,
                exchange: t_exchanged - t_ready,
                complete: t_complete - t_exchanged,
                stop: t_stopped - t_complete,
                total: t_stopped - t0,
            },
        );
        run.interrupted = !completed;
        run.link = link.map(|l| LinkRun {
            description: l.config().describe(),
            dropped: dropped.unwrap_or_default(),
        });
        Ok(run)
    }

    /// The server's listener in the link's server namespace and an
    /// unconnected client socket in its client namespace.
    async fn sockets_across(&self, link: &VethLink) -> Result<(TcpListener, TcpSocket), LabError> {
        let port = self.bind.port();
        let server_addr = SocketAddr::new(link.server_addr(), port);
        let listener = link
            .server_ns()
            .run(|| {
                let l = std::net::TcpListener::bind(server_addr)?;
                l.set_nonblocking(true)?;
                Ok::<_, std::io::Error>(l)
            })
            .map_err(LinkError::from)?
            .map_err(|e| match e.kind() {
                std::io::ErrorKind::AddrInUse => LabError::PortInUse { addr: server_addr },
                _ => io("binding the echo server on the link")(e),
            })?;
        let listener =
            TcpListener::from_std(listener).map_err(io("registering the echo server"))?;
        let client = link
            .client_ns()
            .run(|| {
                let s = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None)?;
                s.set_nonblocking(true)?;
                Ok::<_, std::io::Error>(std::net::TcpStream::from(s))
            })
            .map_err(LinkError::from)?
            .map_err(io("making the client's socket on the link"))?;
        Ok((listener, TcpSocket::from_std_stream(client)))
    }

    /// Runs the lab inside a shared capture [`Session`]: the server binds the
    /// session's own loopback address (the lab's bind port is kept), and only
    /// this lab's connection is returned. IPv4 only. Of the lab's capture
    /// settings only the completion timeout applies; [`Lab::save`] and the
    /// link do not (a session captures loopback).
    pub async fn run_in(&self, session: &Session) -> Result<LabRun, LabError> {
        let t0 = Instant::now();
        let listener = self
            .listen(SocketAddr::new(session.addr(), self.bind.port()))
            .await?;
        let server_addr = listener
            .local_addr()
            .map_err(io("reading the server's address"))?;
        let client_addr = self.exchange(listener, server_addr, None).await?;
        let t_exchanged = Instant::now();
        let connection = session
            .connection(client_addr, server_addr, self.capture.complete_timeout)
            .await?;
        let t_complete = Instant::now();
        Ok(self.judged(
            connection,
            client_addr,
            server_addr,
            None,
            Timings {
                capture_ready: Duration::ZERO,
                exchange: t_exchanged - t0,
                complete: t_complete - t_exchanged,
                stop: Duration::ZERO,
                total: t_complete - t0,
            },
        ))
    }

    async fn listen(&self, addr: SocketAddr) -> Result<TcpListener, LabError> {
        TcpListener::bind(addr).await.map_err(|e| match e.kind() {
            std::io::ErrorKind::AddrInUse => LabError::PortInUse { addr },
            _ => LabError::Io {
                what: format!("binding the echo server to {addr}"),
                cause: e,
            },
        })
    }

    /// Runs the server and the client; returns the client's address.
    async fn exchange(
        &self,
        listener: TcpListener,
        server_addr: SocketAddr,
        client_socket: Option<TcpSocket>,
    ) -> Result<SocketAddr, LabError> {
        // Server and client in this task: dropping the exchange (a timeout,
        // an interruption) closes both ends.
        let exchange = async {
            let server = serve_one(listener, self.close);
            let client = async {
                let stream = match client_socket {
                    Some(s) => s.connect(server_addr).await,
                    None => TcpStream::connect(server_addr).await,
                }
                .map_err(io("connecting to the echo server"))?;
                client_on(stream, &self.payloads, self.client).await
            };
            let (_, client) = tokio::try_join!(server, client)?;
            Ok::<_, LabError>(client)
        };
        tokio::time::timeout(self.io_timeout, exchange)
            .await
            .map_err(|_| LabError::Timeout {
                what: "the echo exchange (connect, send, read the echo, close)".to_owned(),
                waited: self.io_timeout,
            })?
    }

    fn judged(
        &self,
        connection: Connection,
        client: SocketAddr,
        server: SocketAddr,
        saved: Option<PathBuf>,
        timings: Timings,
    ) -> LabRun {
        LabRun {
            judged: Judged::new(connection, &self.expectations()),
            client,
            server,
            saved,
            timings,
            link: None,
            interrupted: false,
        }
    }
}

/// Where a lab's time went.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timings {
    /// From start until the capture was proven running.
    pub capture_ready: Duration,
    /// The echo exchange itself.
    pub exchange: Duration,
    /// Until the capture was proven complete.
    pub complete: Duration,
    /// Stopping and reaping tcpdump and tshark.
    pub stop: Duration,
    /// All of it.
    pub total: Duration,
}

/// A lab that ran: its connection judged (a [`Judged`], which a `LabRun`
/// derefs to: `run.connection`, `run.verdict`, `run.ensure()`), and how the
/// lab went.
#[derive(Clone, Debug)]
pub struct LabRun {
    /// The lab's connection as captured, and its verdict against the lab's
    /// expectations.
    pub judged: Judged,
    /// The client's address.
    pub client: SocketAddr,
    /// The server's address.
    pub server: SocketAddr,
    /// The pcapng file, if one was kept.
    pub saved: Option<PathBuf>,
    /// Where the time went.
    pub timings: Timings,
    /// The link, when the lab ran over one.
    pub link: Option<LinkRun>,
    /// The lab was stopped before its connection was proven complete
    /// ([`Lab::run_until`]): the verdict judges what was captured until then.
    pub interrupted: bool,
}

impl std::ops::Deref for LabRun {
    type Target = Judged;

    fn deref(&self) -> &Judged {
        &self.judged
    }
}

/// Why a lab could not run. A lab that ran but failed its checks is not an
/// error: see [`LabRun::judged`].
#[derive(thiserror::Error)]
#[non_exhaustive]
pub enum LabError {
    /// The server's address is taken.
    #[error("{addr} is already in use: stop the program listening there, or pick another port")]
    PortInUse {
        /// The address.
        addr: SocketAddr,
    },
    /// The capture failed.
    #[error(transparent)]
    Capture(#[from] CaptureError),
    /// The link could not be built.
    #[error(transparent)]
    Link(#[from] LinkError),
    /// Something took longer than its bound.
    #[error(
        "{what} did not finish within {waited:?}: raise the timeout if the machine is very busy"
    )]
    Timeout {
        /// What was waited for.
        what: String,
        /// The bound.
        waited: Duration,
    },
    /// The lab was stopped ([`Lab::run_until`]) before there was anything
    /// to judge.
    #[error("{}", if *captured { "the lab was interrupted before any segment of its connection was captured" } else { "the lab was interrupted before its capture had started" })]
    Interrupted {
        /// Whether the capture had started.
        captured: bool,
    },
    /// The capture ended without the lab's connection in it.
    #[error(
        "the capture holds no segment of {client} <-> {server}: the capture filter or interface does not match the lab"
    )]
    NotCaptured {
        /// Client address.
        client: SocketAddr,
        /// Server address.
        server: SocketAddr,
    },
    /// A socket operation failed.
    #[error("{what}: {cause}")]
    Io {
        /// What the lab was doing.
        what: String,
        /// The operating system's reason.
        cause: std::io::Error,
    },
}

/// An [`LabError::Io`] maker for `map_err`.
pub(crate) fn io(what: &str) -> impl FnOnce(std::io::Error) -> LabError + '_ {
    move |cause| LabError::Io {
        what: what.to_owned(),
        cause,
    }
}

debug_as_display!(LabError);
