//! Watching code of one's own: a live capture that is proven running
//! before the code starts, and every connection it saw judged once the
//! code is done, those still open at the deadline judged `incomplete`.
//!
//! With a capture of its own ([`Watch::run`]), or in a shared
//! [`Session`] ([`Watch::run_in`]): there, servers bind the session's own
//! address, and parallel tests each get only their own connections.
//!
//! ```no_run
//! # async fn demo() -> Result<(), tcplab::capture::CaptureError> {
//! use std::time::Duration;
//! use tcplab::capture::Watch;
//! let watched = Watch::port(8000)
//!     .timeout(Duration::from_secs(10))
//!     .run(async {
//!         // connect to your server on port 8000, talk, close
//!     })
//!     .await?;
//! for judged in &watched.connections {
//!     judged.ensure().expect("the lab sheet holds");
//! }
//! # Ok(()) }
//! ```

use std::future::Future;
use std::path::PathBuf;
use std::time::Duration;

use tokio::time::{Instant, sleep_until};

use std::net::SocketAddr;

use super::CaptureError;
use super::live::{LiveCapture, LiveConfig, TcpFilter};
use super::session::Session;
use crate::connection::Connection;
use crate::verdict::{Expectations, Judged};

/// What a watch saw.
#[derive(Debug)]
pub struct Watched<T> {
    /// Every connection the capture admitted, judged, in order of its first
    /// segment; one still open at the deadline is judged `incomplete`.
    pub connections: Vec<Judged>,
    /// What the watched code returned, or `None` if the deadline came first
    /// (the code was then dropped).
    pub output: Option<T>,
    /// Where the capture was kept, if asked for.
    pub saved: Option<PathBuf>,
    /// Frames tcplab could not use, or used in part, one sentence each.
    pub notes: Vec<String>,
}

/// A watch to run: what to capture, for how long, and what to expect of
/// every connection. Build it, then [`Watch::run`].
#[derive(Clone, Debug)]
pub struct Watch {
    target: Target,
    capture: LiveConfig,
    timeout: Duration,
    expect: Expectations,
}

/// What a watch captures.
#[derive(Clone, Debug)]
enum Target {
    /// A port, on any address (in a session: on the session's address).
    Port(u16),
    /// One address and port.
    Addr(SocketAddr),
    /// Whatever the filter admits (own capture only).
    Filter(TcpFilter),
}

impl Watch {
    /// Watches TCP to or from `port`, for at most 30 s.
    pub fn port(port: u16) -> Watch {
        Watch::target(Target::Port(port))
    }

    /// Watches TCP to or from `addr` (an address and port), for at most 30 s.
    pub fn addr(addr: SocketAddr) -> Watch {
        Watch::target(Target::Addr(addr))
    }

    /// Watches the TCP that `filter` admits, for at most 30 s (with a
    /// capture of its own only).
    pub fn filter(filter: TcpFilter) -> Watch {
        Watch::target(Target::Filter(filter))
    }

    fn target(target: Target) -> Watch {
        Watch {
            target,
            capture: LiveConfig::default(),
            timeout: Duration::from_secs(30),
            expect: Expectations::default(),
        }
    }

    /// How to capture (interface, start timeout, where to save).
    pub fn capture(mut self, config: LiveConfig) -> Watch {
        self.capture = config;
        self
    }

    /// The deadline, from the moment the capture is proven running: the
    /// watched code is dropped then, and connections still open are judged
    /// `incomplete`.
    pub fn timeout(mut self, timeout: Duration) -> Watch {
        self.timeout = timeout;
        self
    }

    /// What every connection must show (default: the lab sheet).
    pub fn expect(mut self, expect: Expectations) -> Watch {
        self.expect = expect;
        self
    }

    /// Starts the capture, proves it running, runs `code` until it ends or
    /// the deadline comes, waits (until the deadline, and at least half a
    /// second) for every connection seen to end, then stops the capture and
    /// judges every connection.
    ///
    /// A connection that misbehaves is a failed verdict, never an error;
    /// errors are the capture's own (tcpdump or tshark failing).
    pub async fn run<F: Future>(&self, code: F) -> Result<Watched<F::Output>, CaptureError> {
        let filter = match &self.target {
            Target::Port(port) => TcpFilter::Ports(vec![*port]),
            Target::Addr(addr) => TcpFilter::Host(addr.ip()),
            Target::Filter(f) => f.clone(),
        };
        let mut cap = LiveCapture::start(self.capture.clone(), &filter).await?;
        let deadline = Instant::now() + self.timeout;
        let mut code = std::pin::pin!(code);
        let output = loop {
            tokio::select! {
                out = &mut code => break Some(out),
                r = cap.next_packet() => r?,
                _ = sleep_until(deadline) => break None,
            }
        };
        let left = deadline
            .saturating_duration_since(Instant::now())
            .max(Duration::from_millis(500));
        match cap
            .wait_until("the end of every watched connection", Some(left), |c| {
                c.iter().all(Connection::is_over)
            })
            .await
        {
            // A connection still open is judged `incomplete`.
            Ok(()) | Err(CaptureError::CompleteTimeout { .. }) => {}
            Err(e) => return Err(e),
        }
        let captured = cap.stop().await?;
        let mut connections = captured.connections.into_vec();
        if let Target::Addr(addr) = self.target {
            connections.retain(|c| c.client == addr || c.server == addr);
        }
        Ok(Watched {
            connections: Judged::all(connections, &self.expect),
            output,
            saved: captured.saved,
            notes: captured.notes,
        })
    }

    /// Runs `code` as [`Watch::run`] does, in a shared [`Session`] instead
    /// of a capture of its own: the watched port must be on the session's
    /// address (bind your server to [`Session::addr`]), and only the
    /// connections of that endpoint made while `code` ran are judged. The
    /// capture settings do not apply (the session's do), nor does saving.
    pub async fn run_in<F: Future>(
        &self,
        session: &Session,
        code: F,
    ) -> Result<Watched<F::Output>, CaptureError> {
        let endpoint = match &self.target {
            Target::Port(port) => SocketAddr::new(session.addr(), *port),
            Target::Addr(addr) => {
                session.admits(*addr)?;
                *addr
            }
            Target::Filter(_) => return Err(CaptureError::FilterInSession),
        };
        let before = session.count(endpoint).await?;
        let deadline = Instant::now() + self.timeout;
        let output = tokio::select! {
            out = code => Some(out),
            _ = sleep_until(deadline) => None,
        };
        let left = deadline
            .saturating_duration_since(Instant::now())
            .max(Duration::from_millis(500));
        let connections = session.connections_of(endpoint, before, left).await?;
        Ok(Watched {
            connections: Judged::all(connections, &self.expect),
            output,
            saved: None,
            // The session's notes are about every test's traffic, not this one's.
            notes: Vec::new(),
        })
    }
}
