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
//!
//! **Judge and forget.** [`read_file_each`] hands each connection out as
//! soon as Zeek's rules have ended it (in order of first segment) and
//! forgets it, so reading a big capture takes memory for the connections
//! open at once, not for the file ([`crate::connection::tracker`]);
//! [`read_file`] collects them.

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

/// What a capture file held besides its connections.
#[derive(Clone, Debug)]
pub struct FileSummary {
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
    /// Frames tcplab could not use, or used in part, one sentence each.
    pub notes: Vec<String>,
}

/// Reads every TCP connection in a pcap or pcapng file. `server_port` names
/// the server's port where a connection's SYN is missing.
pub fn read_file(path: &Path, server_port: Option<u16>) -> Result<FileCapture, CaptureError> {
    let mut connections = Vec::new();
    let summary = read_file_each(path, server_port, |c| connections.push(c))?;
    let FileSummary {
        path,
        format,
        gzip,
        packets,
        tcp_segments,
        notes,
    } = summary;
    Ok(FileCapture {
        path,
        format,
        gzip,
        packets,
        tcp_segments,
        connections,
        notes,
    })
}

/// Reads a pcap or pcapng file as [`read_file`] does, handing each TCP
/// connection to `each` as soon as Zeek's rules have ended it, in order of
/// first segment (the rest at the end), and forgetting it.
///
/// The file's shape is checked before any connection is handed out; an
/// error found only at the end (tshark stopping before the file's last
/// frame) comes after the connections read until then.
pub fn read_file_each(
    path: &Path,
    server_port: Option<u16>,
    mut each: impl FnMut(Connection),
) -> Result<FileSummary, CaptureError> {
    let file = shape::open_capture(path).map_err(|e| CaptureError::shape(path, e))?;
    let shape = shape::check_file(&file).map_err(|e| CaptureError::shape(path, e))?;
    // tshark opens the checked file itself, by its descriptor's name.
    let input = fd_path(&file);
    let mut intake = Intake::forgetting(server_port);
    let said = match rows::read_all(&input, Some(shape.frames), |item| {
        intake.take(item);
        for c in intake.connections.drain_ended() {
            each(c);
        }
    }) {
        Err(ReadError::Spawn(e)) => return Err(e),
        Err(ReadError::Tshark(detail)) => Some(named(&detail, &input, path)),
        Ok(()) => None,
    };
    drop(file);
    let Intake {
        connections,
        packets,
        tcp_segments,
        notes,
    } = intake;
    connections.into_vec().into_iter().for_each(&mut each);
    if let Some(frame) = shape.first_missing(packets) {
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
    Ok(FileSummary {
        path: path.to_owned(),
        format,
        gzip,
        packets,
        tcp_segments,
        notes: notes.into_vec(),
    })
}

/// What tshark said about `input` (a `/proc` name), with the file's own
/// name instead.
fn named(detail: &str, input: &Path, path: &Path) -> String {
    detail.replace(&*input.to_string_lossy(), &shown(path))
}
