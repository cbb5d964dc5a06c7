//! Reading a pcap or pcapng file (gzip-compressed or not): opened once,
//! its shape checked ([`super::shape`]), then dissected by tshark through
//! `/proc/<tcplab's pid>/fd/<n>`, so that tshark reads the very file that
//! was checked, whatever its name (not UTF-8, starting with `-`) and even
//! if the name is swapped meanwhile.
//!
//! tshark prints the fields as text (`capture::rows`), as fast as
//! `tshark -T fields` alone.
//!
//! **tshark's errors are errors, whoever runs it.** As root, tshark's first
//! line on stderr is always its `Running as user "root"` warning, and a
//! damaged file was once judged on the frames before the damage because
//! only that line was read. So the file's grade never rests on what tshark
//! says: the shape check counts the frames the file holds, and tshark must
//! deliver every one of them ([`Shape::first_missing`]). Reading stops
//! once the frames the shape check counted have all come: tshark is then
//! only freeing its memory.

use std::path::{Path, PathBuf};

use super::rows;
use super::shape::{self, Format, Shape};
use super::tshark::ReadError;
use super::{CaptureError, Intake};
use crate::connection::Connection;
use crate::fsx::{fd_path, shown};

/// What a capture file held.
#[derive(Clone, Debug)]
pub struct FileCapture {
    /// The file.
    pub path: PathBuf,
    /// Its container format.
    pub format: Format,
    /// It was compressed with gzip.
    pub gzip: bool,
    /// Packets tshark dissected: every frame of the file.
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
    let file = shape::open_capture(path).map_err(|e| CaptureError::shape(path, e))?;
    let shape = shape::check_file(&file).map_err(|e| CaptureError::shape(path, e))?;
    // tshark opens the checked file itself, by its descriptor's name.
    let input = fd_path(&file);
    let mut intake = Intake::new(server_port);
    let said = match rows::read_all(&input, Some(shape.frames), |item| {
        intake.take(item);
    }) {
        Err(ReadError::Spawn(e)) => return Err(e),
        Err(ReadError::Tshark(detail)) => Some(named(&detail, &input, path)),
        Ok(()) => None,
    };
    drop(file);
    if let Some(frame) = shape.first_missing(intake.packets) {
        return Err(CaptureError::TsharkStopped {
            path: path.to_owned(),
            frame,
            frames: shape.frames,
            said,
        });
    }
    if let Some(detail) = said {
        return Err(CaptureError::TsharkFailed {
            path: path.to_owned(),
            detail,
        });
    }
    let Shape { format, gzip, .. } = shape;
    Ok(FileCapture {
        path: path.to_owned(),
        format,
        gzip,
        packets: intake.packets,
        tcp_segments: intake.tcp_segments,
        connections: intake.connections.into_vec(),
        notes: intake.notes.into_vec(),
    })
}

/// What tshark said about `input` (a `/proc` name), with the file's own
/// name instead.
fn named(detail: &str, input: &Path, path: &Path) -> String {
    detail.replace(&*input.to_string_lossy(), &shown(path))
}
