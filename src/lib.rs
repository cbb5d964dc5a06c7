//! tcplab proves, from a real capture, how TCP behaves on the wire.
//!
//! It turns a classic networking lab (a Python echo server and client on
//! localhost, captured with Wireshark) into software that checks itself:
//!
//! ```no_run
//! # async fn demo() -> anyhow::Result<()> {
//! use tcplab::lab::Lab;
//! // Echo 479 then 1380 bytes on 127.0.0.1, captured live with tshark.
//! let run = Lab::new().run().await?;
//! run.ensure()?; // handshake, Ack=480 after 479 bytes, orderly close
//! println!("{}", run.connection); // the ladder diagram
//! # Ok(()) }
//! ```
//!
//! The layers, from the wire up; each imports only from those above it in
//! this list:
//! - [`fsx`]: output files written all or nothing, never through a link,
//!   and file names shown safely (the bottom layer, beside `sys`);
//! - [`wire`]: one packet from tshark's one-dot fields: a TCP segment (flags,
//!   sequence numbers, options, tunnel), a malformed header, a datagram;
//! - [`process`]: child processes that never outlive tcplab;
//! - [`net`]: anonymous network namespaces and the veth link;
//! - [`connection`]: segments grouped into connections as Zeek groups them,
//!   roles, relative numbers, Wireshark's analysis (retransmissions,
//!   duplicate ACKs, ...), Zeek's history, `conn_state` and counts, the
//!   ladder diagram;
//! - [`timing`]: each direction's throughput and round-trip times (from TCP
//!   timestamps, else data/ACK pairs under Karn's rule);
//! - [`transfer`]: segment sizes, messages, retransmissions, duplicate ACKs,
//!   SACK, and the timing;
//! - [`verdict`]: the lab's questions (handshake, data, termination) as
//!   checks against expectations, a diagnosis, and [`verdict::Judged`];
//! - [`report`]: text, JSON and SVG reports of judged connections;
//! - [`capture`]: tcpdump and tshark, live captures, sessions, watches, files;
//! - [`lab`]: the in-process echo lab, on loopback or over a link;
//! - [`sweep`]: many labs over payload sizes, with CSV, JSON and a plot;
//! - [`grade`]: many capture files checked in one go, with a summary table,
//!   JSON, CSV and pictures;
//! - `testing` (feature `test-support`): segment builders for tests.
#![deny(missing_docs)]

/// Implements `Debug` as `Display` for error types, so that `unwrap()` and
/// `expect()` print an error's sentence (and a verdict's ladder) as it
/// reads, not as one string of `\n` escapes.
macro_rules! debug_as_display {
    ($($t:ty),*) => {$(
        impl std::fmt::Debug for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                std::fmt::Display::fmt(self, f)
            }
        }
    )*};
}

pub mod capture;
pub mod connection;
pub mod fsx;
pub mod grade;
pub mod lab;
pub mod net;
pub mod process;
pub mod report;
pub mod sweep;
mod sys;
#[cfg(any(test, feature = "test-support"))]
pub mod testing;
pub mod timing;
pub mod transfer;
pub mod verdict;
pub mod wire;
