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

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpSocket, TcpStream};

use crate::capture::{CaptureError, LiveCapture, LiveConfig, Session, TcpFilter};
use crate::connection::Connection;
use crate::link::{LinkConfig, LinkError, VethLink};
use crate::verdict::{CloseExpectation, Expectations, TerminationKind, Verdict, VerdictError};

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
    payloads: Vec<usize>,
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
    pub fn payloads(mut self, sizes: impl IntoIterator<Item = usize>) -> Lab {
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
    /// IPv4; the bind address's port is kept). See [`crate::link`].
    pub fn link(mut self, link: LinkConfig) -> Lab {
        self.link = Some(link);
        self
    }

    /// Replace the lab's expectations (see [`Lab::expectations`]).
    pub fn expect(mut self, expect: Expectations) -> Lab {
        self.expect = Some(expect);
        self
    }

    /// What the verdict checks: by default the lab sheet (handshake; every
    /// message acknowledged exactly; an orderly close).
    pub fn expectations(&self) -> Expectations {
        self.expect.clone().unwrap_or_else(|| Expectations {
            close: CloseExpectation::Orderly,
            messages: match self.client {
                ClientStyle::Full => Some(self.payloads.iter().map(|&n| n as u64).collect()),
                ClientStyle::Seed => None,
            },
            ..Expectations::default()
        })
    }

    /// Runs the lab: binds the server, starts the capture and proves it
    /// running, exchanges the messages, proves the capture complete, stops
    /// it and judges the connection.
    pub async fn run(&self) -> Result<LabRun, LabError> {
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
                let capture = link.capture_config(self.capture.clone());
                (Some(link), listener, Some(client), capture)
            }
        };
        let server_addr = listener
            .local_addr()
            .map_err(io("reading the server's address"))?;
        let filter = TcpFilter::Ports(vec![server_addr.port()]);
        let mut capture = LiveCapture::start(capture, &filter).await?;
        let t_ready = Instant::now();
        let client_addr = self.exchange(listener, server_addr, client).await?;
        let t_exchanged = Instant::now();
        let what =
            format!("the last segment (final ACK or RST) of {client_addr} <-> {server_addr}");
        capture
            .wait_until(&what, None, |conns| {
                conns
                    .find(client_addr, server_addr)
                    .is_some_and(Connection::is_over)
            })
            .await?;
        let t_complete = Instant::now();
        let dropped = match &link {
            Some(l) => Some(l.dropped()?),
            None => None,
        };
        let captured = capture.stop().await?;
        let t_stopped = Instant::now();
        let connection = captured
            .connections
            .find(client_addr, server_addr)
            .cloned()
            .ok_or(LabError::NotCaptured {
                client: client_addr,
                server: server_addr,
            })?;
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
    /// this lab's connection is returned. IPv4 only; [`Lab::save`] and the
    /// lab's capture settings and link do not apply (a session captures loopback).
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
        let exchange = async {
            let server = tokio::spawn(serve_one(listener, self.close));
            let client = async {
                let stream = match client_socket {
                    Some(s) => s.connect(server_addr).await,
                    None => TcpStream::connect(server_addr).await,
                }
                .map_err(io("connecting to the echo server"))?;
                client_on(stream, &self.payloads, self.client).await
            }
            .await;
            if client.is_err() {
                server.abort();
            }
            let client = client?;
            server.await.map_err(|e| LabError::Io {
                what: "running the echo server".to_owned(),
                cause: std::io::Error::other(e),
            })??;
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
            verdict: Verdict::judge(&connection, &self.expectations()),
            connection,
            client,
            server,
            saved,
            timings,
            link: None,
        }
    }
}

/// What the link did in a lab run over one.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct LinkRun {
    /// The link, in words ([`LinkConfig::describe`]).
    pub description: String,
    /// Segments its rules dropped: (on the way to the server, to the client).
    pub dropped: (u64, u64),
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

/// A lab that ran: the captured connection and its verdict.
#[derive(Clone, Debug)]
pub struct LabRun {
    /// The lab's connection, as captured.
    pub connection: Connection,
    /// Its judgement against the lab's expectations.
    pub verdict: Verdict,
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
}

impl LabRun {
    /// The verdict if every check passed, else an error showing the failed
    /// checks and the ladder.
    pub fn ensure(&self) -> Result<&Verdict, VerdictError> {
        self.verdict
            .clone()
            .ensure(&self.connection)
            .map(|_| &self.verdict)
    }
}

/// Why a lab could not run. A lab that ran but failed its checks is not an
/// error: see [`LabRun::verdict`].
#[derive(Debug, thiserror::Error)]
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

fn io(what: &str) -> impl FnOnce(std::io::Error) -> LabError + '_ {
    move |cause| LabError::Io {
        what: what.to_owned(),
        cause,
    }
}

/// How the server's side ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ServerEnd {
    /// Read EOF and closed as configured.
    Closed,
    /// The peer reset the connection.
    Reset,
}

/// Accepts one connection, echoes until EOF, then closes as told.
pub async fn serve_one(listener: TcpListener, close: ServerClose) -> Result<ServerEnd, LabError> {
    let (stream, _) = listener
        .accept()
        .await
        .map_err(io("accepting the client"))?;
    echo(stream, close).await
}

/// Echoes everything read on `stream` until EOF, then closes as told.
pub async fn echo(mut stream: TcpStream, close: ServerClose) -> Result<ServerEnd, LabError> {
    if echo_until_eof(&mut stream).await? == ServerEnd::Reset {
        return Ok(ServerEnd::Reset);
    }
    let sock = socket2::SockRef::from(&stream);
    match close {
        // Pushes out the pending ACK of the client's FIN before our FIN.
        ServerClose::Linger => sock
            .set_quickack(true)
            .map_err(io("setting TCP_QUICKACK"))?,
        ServerClose::Prompt => {}
        ServerClose::Abort => sock
            .set_linger(Some(Duration::ZERO))
            .map_err(io("setting SO_LINGER 0"))?,
    }
    drop(stream);
    Ok(ServerEnd::Closed)
}

/// Echoes until the peer's FIN (EOF) or a reset.
async fn echo_until_eof(stream: &mut TcpStream) -> Result<ServerEnd, LabError> {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match stream.read(&mut buf).await {
            Ok(0) => return Ok(ServerEnd::Closed),
            Ok(n) => n,
            Err(e) if is_reset(&e) => return Ok(ServerEnd::Reset),
            Err(e) => return Err(io("reading on the server")(e)),
        };
        match stream.write_all(&buf[..n]).await {
            Ok(()) => {}
            Err(e) if is_reset(&e) => return Ok(ServerEnd::Reset),
            Err(e) => return Err(io("echoing on the server")(e)),
        }
    }
}

/// The seed's `server.py` as a service: accepts connections one after the
/// other, echoes each until EOF, waits `close_delay`, then closes.
///
/// The delay is the server's linger, not a guess: with 0 Linux folds its ACK
/// of the client's FIN into its own FIN (three segments); with more than the
/// delayed-ACK time (about 40 ms on `lo`) the ACK goes out alone first (four).
pub async fn serve(listener: TcpListener, close_delay: Duration) -> Result<(), LabError> {
    loop {
        let (mut stream, peer) = listener.accept().await.map_err(io("accepting a client"))?;
        tokio::spawn(async move {
            let end = echo_until_eof(&mut stream).await;
            if matches!(end, Ok(ServerEnd::Closed)) && !close_delay.is_zero() {
                tokio::time::sleep(close_delay).await;
            }
            eprintln!("tcplab serve: {peer} done ({end:?})");
        });
    }
}

fn is_reset(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::BrokenPipe
    )
}

/// Connects, sends each message, reads its echo (all of it, or once with
/// 1024 bytes for the seed's style), then closes. Returns the client's address.
pub async fn run_client(
    server: SocketAddr,
    payloads: &[usize],
    style: ClientStyle,
) -> Result<SocketAddr, LabError> {
    let stream = TcpStream::connect(server)
        .await
        .map_err(io("connecting to the echo server"))?;
    client_on(stream, payloads, style).await
}

/// The client's part on a connected stream.
async fn client_on(
    stream: TcpStream,
    payloads: &[usize],
    style: ClientStyle,
) -> Result<SocketAddr, LabError> {
    let local = stream
        .local_addr()
        .map_err(io("reading the client's address"))?;
    let (mut rd, mut wr) = stream.into_split();
    for (i, &n) in payloads.iter().enumerate() {
        let message = vec![b'A' + (i % 26) as u8; n];
        match style {
            ClientStyle::Full => {
                let mut echo = vec![0u8; n];
                let (w, r) = tokio::join!(wr.write_all(&message), rd.read_exact(&mut echo));
                w.map_err(io("sending a message"))?;
                r.map_err(io("reading the echo"))?;
            }
            ClientStyle::Seed => {
                wr.write_all(&message)
                    .await
                    .map_err(io("sending a message"))?;
                let mut buf = [0u8; 1024];
                rd.read(&mut buf).await.map_err(io("reading the echo"))?;
            }
        }
    }
    drop(wr.reunite(rd).expect("halves of one stream"));
    Ok(local)
}
