//! tcplab proves, from a real capture, how TCP behaves on the wire.
#![deny(missing_docs)]

pub mod connection;
pub mod report;
pub mod segment;
pub mod verdict;
