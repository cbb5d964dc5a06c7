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
//! Modules, from the wire up:
//! - [`segment`]: one TCP segment, from tshark's fields;
//! - [`connection`]: segments grouped by 4-tuple, roles, relative numbers, history;
//! - [`transfer`]: segment sizes, messages, retransmissions, duplicate ACKs, SACK;
//! - [`verdict`]: handshake, data acknowledged, termination, against expectations;
//! - [`capture`]: live capture (tcpdump into tshark) and capture files;
//! - [`netns`]: anonymous network namespaces, held by a file descriptor;
//! - [`link`]: a two-namespace veth link with MTU, loss and rate;
//! - [`lab`]: the in-process echo lab, on loopback or over a link;
//! - [`grade`]: many capture files checked in one go, with a summary table, JSON and CSV;
//! - [`report`]: the ladder diagram.
#![deny(missing_docs)]

pub mod capture;
pub mod connection;
pub mod grade;
pub mod lab;
pub mod link;
pub mod netns;
pub mod report;
pub mod segment;
pub mod sweep;
pub mod transfer;
pub mod verdict;
