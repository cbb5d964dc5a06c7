//! Reading a pcap or pcapng file: its shape is checked first
//! ([`super::shape`]), then tshark dissects it. Reading stops once the
//! packets the shape check counted have all come: rtshark would otherwise
//! wait for tshark to exit, polling every 100 ms.

use std::path::{Path, PathBuf};

use super::shape::{Format, check_shape};
use super::tshark::{self, ReadError};
use super::{CaptureError, Intake};
use crate::connection::Connection;

/// What a capture file held.
#[derive(Clone, Debug)]
pub struct FileCapture {
    /// The file.
    pub path: PathBuf,
    /// Its container format.
    pub format: Format,
    /// Packets tshark dissected.
    pub packets: u64,
    /// Of those, TCP segments.
    pub tcp_segments: u64,
    /// The TCP connections, in order of their first segment.
    pub connections: Vec<Connection>,
    /// Frames tcplab could not use, or used in part, one sentence each
    /// (`frame 17: the TCP header length is 16 bytes, ...`).
    pub notes: Vec<String>,
}

/// Reads every TCP connection in a pcap or pcapng file. `server_port` names
/// the server's port where a connection's SYN is missing.
pub fn read_file(path: &Path, server_port: Option<u16>) -> Result<FileCapture, CaptureError> {
    let shape = check_shape(path)?;
    let mut intake = Intake::new(server_port);
    match tshark::read_all(path, Some(shape.packets), |item| {
        intake.take(item);
    }) {
        Err(ReadError::Spawn(e)) => return Err(e),
        Err(ReadError::Tshark(detail)) => {
            return Err(CaptureError::TsharkFailed {
                path: path.to_owned(),
                detail,
            });
        }
        Ok(()) => {}
    }
    Ok(FileCapture {
        path: path.to_owned(),
        format: shape.format,
        packets: intake.packets,
        tcp_segments: intake.tcp_segments,
        connections: intake.connections.into_vec(),
        notes: intake.notes.into_vec(),
    })
}
