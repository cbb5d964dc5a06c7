//! Capturing TCP segments: live from an interface, or from a capture file.
//! This is the only module that starts tcpdump or tshark.
//!
//! - [`live`]: tcpdump in immediate mode (`tcpdump`) writes into a FIFO
//!   that tshark (`tshark`, through rtshark) reads as a file, so each
//!   segment reaches tcplab about half a millisecond after it was sent. A
//!   UDP probe (`probe`), resent until it comes back through the whole pipeline,
//!   proves the capture runs; a second probe sent after the exchange is the
//!   closing fence.
//! - [`session`]: one live capture shared by many labs.
//! - [`watch`]: a live capture around code or a program of the caller's,
//!   every connection judged at the end.
//! - [`file`](mod@file): a pcap or pcapng file (gzip-compressed or not),
//!   checked for its [`shape`] first so that an empty, foreign, truncated or
//!   damaged file gets its own error, and so that tshark must deliver every
//!   frame the file holds; tshark prints its fields as text (`rows`,
//!   read by tcplab: no XML for files).
//! - [`batch`]: many files through one tshark, each file's report the same
//!   as [`read_file`]'s.
//!
//! All feed tshark's dissection, field by field, into
//! [`crate::wire::Segment`]s and [`crate::connection::Connections`]. A packet
//! tcplab cannot use (a TCP header too short or cut off, bad options) is
//! named in a note, and the rest of the capture is still judged.

pub mod batch;
pub mod file;
pub mod live;
mod probe;
mod rows;
pub mod session;
pub mod shape;
mod tcpdump;
mod tshark;
pub mod watch;

use std::path::{Path, PathBuf};
use std::time::Duration;

pub use batch::{ReadStats, read_files};
pub use file::{FileCapture, FileSummary, read_file, read_file_each};
pub use live::{Captured, LinkTap, LiveCapture, LiveConfig, TcpFilter};
pub use session::Session;
pub use shape::{Damage, Format, Shape, ShapeError};
pub use watch::{Watch, Watched};

use crate::connection::Connections;
use crate::fsx::{OutError, shown};
use crate::wire::{FieldError, Packet};
use tshark::Item;

/// Why a capture could not be made or read. Each message is one sentence
/// saying what happened and what to do.
#[derive(thiserror::Error)]
#[non_exhaustive]
pub enum CaptureError {
    /// tshark is not on the PATH.
    #[error(
        "tshark is not installed: install it with `DEBIAN_FRONTEND=noninteractive apt-get install -y tshark` (or run ci/install)"
    )]
    TsharkMissing,
    /// tcpdump is not on the PATH.
    #[error(
        "tcpdump is not installed: install it with `apt-get install -y tcpdump` (or run ci/install)"
    )]
    TcpdumpMissing,
    /// The operating system refused to open the interface for capture.
    #[error(
        "capturing on `{interface}` is not permitted ({detail}): run as root, or grant capture rights with `setcap cap_net_raw,cap_net_admin=eip $(command -v tcpdump)` (for Wireshark's dumpcap: `dpkg-reconfigure wireshark-common` and join the `wireshark` group)"
    )]
    NotPermitted {
        /// The interface.
        interface: String,
        /// What tcpdump said.
        detail: String,
    },
    /// The interface does not exist.
    #[error(
        "there is no network interface named `{interface}`: list the interfaces with `ip link` and pass one with --interface"
    )]
    NoSuchInterface {
        /// The interface.
        interface: String,
    },
    /// No probe came back in time.
    #[error(
        "the capture on `{interface}` did not start within {waited:?}: no probe packet came back through tcpdump and tshark; raise the start timeout, or check that the interface carries the traffic{detail}"
    )]
    StartTimeout {
        /// The interface.
        interface: String,
        /// How long tcplab waited.
        waited: Duration,
        /// What the capture tools said, if anything (starts with `: `).
        detail: String,
    },
    /// A server or client outside a shared session's capture filter.
    #[error(
        "{addr} is outside the capture: this session captures only {session}; bind your server to `session.addr()` ({session})"
    )]
    OutsideSession {
        /// The address given.
        addr: std::net::SocketAddr,
        /// The session's own address.
        session: std::net::IpAddr,
    },
    /// A watch by filter asked of a shared session, which captures one address.
    #[error(
        "a watch in a shared session captures a port or an address of the session's: use Watch::port or Watch::addr"
    )]
    FilterInSession,
    /// The capture did not deliver everything it was waiting for in time.
    #[error(
        "the capture did not deliver {what} within {waited:?}: raise the completion timeout, or check that the exchange really ended"
    )]
    CompleteTimeout {
        /// What was waited for.
        what: String,
        /// How long tcplab waited.
        waited: Duration,
    },
    /// tcpdump or tshark stopped while the capture was running.
    #[error("{tool} stopped unexpectedly during the capture: {detail}")]
    ToolDied {
        /// `tcpdump` or `tshark`.
        tool: &'static str,
        /// What it said, or how it ended.
        detail: String,
    },
    /// The kernel dropped packets before tcpdump read them.
    #[error(
        "the kernel dropped {count} packet(s) before tcpdump read them, so the capture is incomplete: run fewer labs at once, or raise the capture buffer"
    )]
    Dropped {
        /// Packets dropped, as tcpdump counted them.
        count: u64,
    },
    /// The capture file does not exist or cannot be opened.
    #[error("cannot read `{}`: {cause}", shown(path))]
    FileUnreadable {
        /// The file.
        path: PathBuf,
        /// The operating system's reason.
        cause: std::io::Error,
    },
    /// Not a regular file (a FIFO, a socket, a device, a folder).
    #[error(
        "`{}` is a {kind}, not a capture file: hand in the saved capture itself",
        shown(path)
    )]
    NotAFile {
        /// The path.
        path: PathBuf,
        /// What it is.
        kind: &'static str,
    },
    /// The capture file is empty.
    #[error(
        "`{}` is empty: it is not a capture; save the capture again from Wireshark (File > Save As, pcapng)",
        shown(path)
    )]
    FileEmpty {
        /// The file.
        path: PathBuf,
    },
    /// The file is neither pcap nor pcapng (compressed with gzip or not).
    #[error(
        "`{}` is not a pcap or pcapng capture (it starts with bytes {magic}{}): save the capture from Wireshark as pcapng or pcap",
        shown(path), gz(*.gzip)
    )]
    NotACapture {
        /// The file.
        path: PathBuf,
        /// The first bytes, in hex.
        magic: String,
        /// They are the first bytes after decompression.
        gzip: bool,
    },
    /// The file ends in the middle of a packet or block.
    #[error(
        "`{}` is cut short in the middle of a packet (frame {frame}, at byte {offset} of {size}{}): the capture was not saved completely; save it again, or repair it with `editcap`",
        shown(path), gz(*.gzip)
    )]
    Truncated {
        /// The file.
        path: PathBuf,
        /// Where the incomplete record starts.
        offset: u64,
        /// The size of the capture data.
        size: u64,
        /// The frame the incomplete record would have been.
        frame: u64,
        /// Offsets are in the decompressed data.
        gzip: bool,
    },
    /// A record or block whose lengths or fields contradict each other:
    /// tshark would stop there, having read only the frames before.
    #[error(
        "`{}` is damaged at byte {offset}{}, where frame {frame} would begin ({why}): tshark stops there, so the capture cannot be judged; save it again from Wireshark",
        shown(path), gz(*.gzip)
    )]
    Damaged {
        /// The file.
        path: PathBuf,
        /// Where the damaged record or block starts.
        offset: u64,
        /// The frame that would have come next.
        frame: u64,
        /// What is wrong there.
        why: Damage,
        /// The offset is in the decompressed data.
        gzip: bool,
    },
    /// tshark could not read the file.
    #[error("tshark could not read `{}`: {detail}", shown(path))]
    TsharkFailed {
        /// The file.
        path: PathBuf,
        /// What tshark said.
        detail: String,
    },
    /// tshark delivered fewer frames than the file holds, whatever it said:
    /// it stopped early (killed, or a fault the shape check cannot see).
    #[error(
        "tshark stopped reading `{}` before frame {frame} of {frames}{}: the capture cannot be judged on part of its frames; check it with `capinfos`, and run tcplab again",
        shown(path),
        said.as_ref().map(|s| format!(" (it said `{s}`)")).unwrap_or_default()
    )]
    TsharkStopped {
        /// The file.
        path: PathBuf,
        /// The first frame tshark did not deliver.
        frame: u64,
        /// Frames in the file.
        frames: u64,
        /// What tshark said on stderr, if anything but its root warning.
        said: Option<String>,
    },
    /// The saved capture does not hold every packet that was judged.
    #[error(
        "the capture saved for `{}` holds {saved} of the {delivered} packets tshark delivered (is the disk full?): nothing was kept",
        shown(path)
    )]
    SaveIncomplete {
        /// Where it was to be kept.
        path: PathBuf,
        /// Packets in the saved file (the whole ones before any damage).
        saved: u64,
        /// Packets tshark delivered and tcplab judged.
        delivered: u64,
    },
    /// The saved capture could not be put in place.
    #[error(
        "cannot keep the capture as `{}`: {cause}; nothing was kept",
        shown(path)
    )]
    SaveFailed {
        /// Where it was to be kept.
        path: PathBuf,
        /// Why.
        cause: OutError,
    },
    /// Any other I/O failure, with what was being done.
    #[error("{what}: {cause}")]
    Io {
        /// What tcplab was doing.
        what: String,
        /// The operating system's reason.
        cause: std::io::Error,
    },
}

fn gz(gzip: bool) -> &'static str {
    if gzip {
        " of the decompressed data"
    } else {
        ""
    }
}

impl CaptureError {
    /// The error of the capture file `path` whose shape is wrong.
    pub fn shape(path: &Path, e: ShapeError) -> CaptureError {
        let path = path.to_owned();
        match e {
            ShapeError::Empty { .. } => CaptureError::FileEmpty { path },
            ShapeError::NotACapture { magic, gzip } => {
                CaptureError::NotACapture { path, magic, gzip }
            }
            ShapeError::Truncated {
                offset,
                size,
                frame,
                gzip,
            } => CaptureError::Truncated {
                path,
                offset,
                size,
                frame,
                gzip,
            },
            ShapeError::Damaged {
                offset,
                frame,
                why,
                gzip,
            } => CaptureError::Damaged {
                path,
                offset,
                frame,
                why,
                gzip,
            },
            ShapeError::NotAFile { kind } => CaptureError::NotAFile { path, kind },
            ShapeError::Unreadable(cause) => CaptureError::FileUnreadable { path, cause },
        }
    }

    pub(crate) fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> CaptureError {
        let what = what.into();
        move |cause| CaptureError::Io { what, cause }
    }
}

/// What a capture delivered so far, packet by packet: the one place where
/// tshark's output becomes connections, for live captures and files alike.
#[derive(Debug, Default)]
pub(crate) struct Intake {
    /// The TCP connections.
    pub connections: Connections,
    /// Packets tshark dissected (probes included).
    pub packets: u64,
    /// Of those, TCP segments.
    pub tcp_segments: u64,
    /// Sentences naming the frames tcplab could not use, or used in part.
    pub notes: Notes,
}

impl Intake {
    /// An empty intake; `server_port` names the server's port for
    /// connections whose SYN was not captured.
    pub fn new(server_port: Option<u16>) -> Intake {
        Intake {
            connections: Connections::new(server_port),
            ..Intake::default()
        }
    }

    /// An empty intake whose tracker hands out ended connections and
    /// forgets them ([`Connections::forgetting`]).
    pub fn forgetting(server_port: Option<u16>) -> Intake {
        Intake {
            connections: Connections::forgetting(server_port),
            ..Intake::default()
        }
    }

    /// Takes one dissected packet; returns the token if it was a probe.
    pub fn take(&mut self, item: Result<Item, FieldError>) -> Option<u64> {
        self.packets += 1;
        match item {
            Ok(Item::Probe(token)) => return Some(token),
            Ok(Item::Packet(packet)) => self.take_packet(*packet),
            Err(e) => self.notes.push(format!("{e}: not judged")),
        }
        None
    }

    /// Takes one packet that is not a probe.
    fn take_packet(&mut self, packet: Packet) {
        match packet {
            Packet::Segment(s) => {
                self.tcp_segments += 1;
                for m in &s.malformed {
                    self.notes.push(format!("frame {}: {m}", s.frame));
                }
                self.connections.push(s);
            }
            Packet::BadTcp(b) => {
                self.notes.push(format!(
                    "frame {}: {}: not judged ({} -> {})",
                    b.frame, b.malformed, b.src, b.dst
                ));
            }
            Packet::Datagram(_) | Packet::IcmpQuote { .. } | Packet::Other { .. } => {}
        }
    }
}

debug_as_display!(CaptureError);

/// Notes about single frames, the first [`Notes::KEPT`] of them word for
/// word: a capture full of broken packets does not make a report of them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Notes {
    kept: Vec<String>,
    more: usize,
}

impl Notes {
    /// How many notes are kept word for word.
    pub const KEPT: usize = 20;

    /// Adds a note.
    pub fn push(&mut self, note: String) {
        if self.kept.len() < Notes::KEPT {
            self.kept.push(note);
        } else {
            self.more += 1;
        }
    }

    /// The notes, and one more saying how many were left out.
    pub fn into_vec(self) -> Vec<String> {
        let mut v = self.kept;
        if self.more > 0 {
            v.push(format!("{} more frame(s) with notes like these", self.more));
        }
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notes_past_the_first_twenty_are_counted() {
        let mut n = Notes::default();
        for i in 0..25 {
            n.push(format!("frame {i}: broken"));
        }
        let v = n.into_vec();
        assert_eq!(v.len(), Notes::KEPT + 1);
        assert_eq!(v[0], "frame 0: broken");
        assert_eq!(v[20], "5 more frame(s) with notes like these");
    }
}
