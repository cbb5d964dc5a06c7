//! The walk itself: pcap record by record, pcapng block by block, every
//! length checked against its neighbours and against what tshark 4.0
//! accepts, payloads skipped unread.

use std::io;

use super::damage::{Damage, MAX_PACKET, PCAPNG_MAX_BLOCK};
use super::input::{GzipCorrupt, Input};
use super::quirk::PcapQuirk;
use super::{Format, Shape, ShapeError, hex};

/// The walk's position, to name damage.
struct At {
    offset: u64,
    frame: u64,
    gzip: bool,
}

impl At {
    fn damaged(&self, why: Damage) -> ShapeError {
        ShapeError::Damaged {
            offset: self.offset,
            frame: self.frame,
            why,
            gzip: self.gzip,
        }
    }

    fn truncated(&self, size: u64) -> ShapeError {
        ShapeError::Truncated {
            offset: self.offset,
            size,
            frame: self.frame,
            gzip: self.gzip,
        }
    }

    /// An error while reading, `size` bytes of data having been read.
    fn io(&self, e: io::Error, size: u64) -> ShapeError {
        match e.get_ref().and_then(|i| i.downcast_ref::<GzipCorrupt>()) {
            // A compressed stream cut short: the data stops here.
            Some(g) if g.cut => self.truncated(size),
            Some(g) => self.damaged(Damage::Gzip(g.why.clone())),
            None => ShapeError::Unreadable(e),
        }
    }

    /// Fills `buf` entirely, or fails as truncated here.
    fn fill_all(&self, input: &mut impl Input, buf: &mut [u8]) -> Result<(), ShapeError> {
        if input.fill(buf).map_err(|e| self.io(e, input.got()))? < buf.len() {
            return Err(self.truncated(input.size()));
        }
        Ok(())
    }

    /// Skips `n` bytes, or fails as truncated here.
    fn skip_all(&self, input: &mut impl Input, n: u64) -> Result<(), ShapeError> {
        if input.skip(n).map_err(|e| self.io(e, input.got()))? < n {
            return Err(self.truncated(input.size()));
        }
        Ok(())
    }
}

fn u32_at(b: &[u8], i: usize, le: bool) -> u32 {
    let a = [b[i], b[i + 1], b[i + 2], b[i + 3]];
    if le {
        u32::from_le_bytes(a)
    } else {
        u32::from_be_bytes(a)
    }
}

fn u16_at(b: &[u8], i: usize, le: bool) -> u16 {
    let a = [b[i], b[i + 1]];
    if le {
        u16::from_le_bytes(a)
    } else {
        u16::from_be_bytes(a)
    }
}

const PCAPNG_MAGIC: [u8; 4] = [0x0a, 0x0d, 0x0d, 0x0a];

/// Walks a whole capture from its first byte.
pub(super) fn walk(input: &mut impl Input, gzip: bool) -> Result<Shape, ShapeError> {
    let at = At {
        offset: 0,
        frame: 1,
        gzip,
    };
    let mut head = [0u8; 4];
    let n = input.fill(&mut head).map_err(|e| at.io(e, input.got()))?;
    if n == 0 {
        return Err(ShapeError::Empty { gzip });
    }
    if let Some(pcap) = PcapKind::of(head) {
        return walk_pcap(input, at, pcap);
    }
    if n == 4 && head == PCAPNG_MAGIC {
        return walk_pcapng(input, at);
    }
    Err(ShapeError::NotACapture {
        magic: hex(&head[..n]),
        gzip,
    })
}

/// A pcap file's byte order and timestamp precision, from its magic.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct PcapKind {
    /// Numbers are big-endian.
    pub big_endian: bool,
    /// Fractions of a second are nanoseconds, not microseconds.
    pub nanoseconds: bool,
}

impl PcapKind {
    /// The kind the magic (the file's first four bytes) names, if pcap.
    pub fn of(magic: [u8; 4]) -> Option<PcapKind> {
        let (big_endian, nanoseconds) = match magic {
            [0xd4, 0xc3, 0xb2, 0xa1] => (false, false),
            [0x4d, 0x3c, 0xb2, 0xa1] => (false, true),
            [0xa1, 0xb2, 0xc3, 0xd4] => (true, false),
            [0xa1, 0xb2, 0x3c, 0x4d] => (true, true),
            _ => return None,
        };
        Some(PcapKind {
            big_endian,
            nanoseconds,
        })
    }

    /// A fraction of a second must be below this.
    pub fn second(self) -> u32 {
        if self.nanoseconds {
            1_000_000_000
        } else {
            1_000_000
        }
    }

    /// The `u32` at `i` of `b`, in the file's byte order.
    pub fn u32_at(self, b: &[u8], i: usize) -> u32 {
        u32_at(b, i, !self.big_endian)
    }

    /// The `u16` at `i` of `b`, in the file's byte order.
    pub fn u16_at(self, b: &[u8], i: usize) -> u16 {
        u16_at(b, i, !self.big_endian)
    }
}

/// The rest of a pcap file, its magic read: the global header, then
/// records of a 16-byte header and their captured bytes.
fn walk_pcap(input: &mut impl Input, mut at: At, kind: PcapKind) -> Result<Shape, ShapeError> {
    // The global header after the magic: version, time zone, sigfigs,
    // snapshot length, link type.
    let mut header = [0u8; 20];
    at.fill_all(input, &mut header)?;
    let (major, minor) = (kind.u16_at(&header, 0), kind.u16_at(&header, 2));
    let zone = kind.u32_at(&header, 4) as i32;
    let snaplen = kind.u32_at(&header, 12);
    let link = kind.u32_at(&header, 16);
    let mut quirk = if (major, minor) != (2, 4) {
        Some(PcapQuirk::Version { major, minor })
    } else if zone != 0 {
        Some(PcapQuirk::TimeZone(zone))
    } else if link > 0xffff {
        Some(PcapQuirk::LinkTypeFlags(link))
    } else {
        None
    };
    let mut frames = 0u64;
    let mut rec = [0u8; 16];
    loop {
        at.offset = input.got();
        at.frame = frames + 1;
        match input.fill(&mut rec).map_err(|e| at.io(e, input.got()))? {
            0 => break,
            16 => {}
            _ => return Err(at.truncated(input.size())),
        }
        let captured = kind.u32_at(&rec, 8);
        if captured > MAX_PACKET {
            return Err(at.damaged(Damage::RecordTooLarge { captured }));
        }
        if quirk.is_none() {
            let frame = at.frame;
            quirk = if kind.u32_at(&rec, 4) >= kind.second() {
                Some(PcapQuirk::Fraction { frame })
            } else if captured > kind.u32_at(&rec, 12) {
                Some(PcapQuirk::CapturedPastLength { frame })
            } else if snaplen != 0 && captured > snaplen {
                Some(PcapQuirk::CapturedPastSnaplen { frame })
            } else {
                None
            };
        }
        at.skip_all(input, u64::from(captured))?;
        frames += 1;
    }
    Ok(Shape {
        format: Format::Pcap,
        gzip: at.gzip,
        frames,
        bytes: input.got(),
        pcap_quirk: quirk,
    })
}

/// pcapng block types the walk looks into.
mod block {
    pub const SHB: u32 = 0x0a0d_0d0a;
    pub const IDB: u32 = 1;
    pub const PB: u32 = 2;
    pub const SPB: u32 = 3;
    pub const EPB: u32 = 6;
    /// systemd journal export: tshark 4.0 makes a frame of it.
    pub const JOURNAL: u32 = 9;
    /// Custom blocks (copiable and not): tshark 4.0 makes a frame of each.
    pub const CUSTOM: u32 = 0x0000_0bad;
    pub const CUSTOM_NO_COPY: u32 = 0x4000_0bad;
}

/// What the walk knows of the current section.
struct Section {
    /// Its byte order is little-endian.
    le: bool,
    /// Interface Description Blocks so far.
    interfaces: u32,
    /// Interface 0's snapshot length (0: none).
    snaplen0: u32,
}

/// The rest of a pcapng file, the first block's type read. Every Section
/// Header Block sets the byte order of the blocks after it.
fn walk_pcapng(input: &mut impl Input, mut at: At) -> Result<Shape, ShapeError> {
    let mut frames = 0u64;
    let mut section = Section {
        le: true,
        interfaces: 0,
        snaplen0: 0,
    };
    let mut first = true;
    loop {
        at.frame = frames + 1;
        let mut hdr = [0u8; 8];
        if first {
            hdr[..4].copy_from_slice(&PCAPNG_MAGIC);
            at.offset = 0;
            at.fill_all(input, &mut hdr[4..])?;
            first = false;
        } else {
            at.offset = input.got();
            match input.fill(&mut hdr).map_err(|e| at.io(e, input.got()))? {
                0 => break,
                8 => {}
                _ => return Err(at.truncated(input.size())),
            }
        }
        if block(input, &at, hdr, &mut section)? {
            frames += 1;
        }
    }
    Ok(Shape {
        format: Format::Pcapng,
        gzip: at.gzip,
        frames,
        bytes: input.got(),
        pcap_quirk: None,
    })
}

/// Checks one block, its 8-byte header read; returns whether tshark makes
/// a frame of it.
fn block(
    input: &mut impl Input,
    at: &At,
    hdr: [u8; 8],
    section: &mut Section,
) -> Result<bool, ShapeError> {
    // What has been read of the block after its header.
    let mut body = [0u8; 20];
    let mut read = 0usize;
    let kind = if hdr[..4] == PCAPNG_MAGIC {
        // The byte-order magic decides how to read this block's length.
        at.fill_all(input, &mut body[..8])?;
        read = 8;
        let magic = [body[0], body[1], body[2], body[3]];
        section.le = match magic {
            [0x4d, 0x3c, 0x2b, 0x1a] => true,
            [0x1a, 0x2b, 0x3c, 0x4d] => false,
            _ => return Err(at.damaged(Damage::UnknownByteOrder { magic })),
        };
        block::SHB
    } else {
        u32_at(&hdr, 0, section.le)
    };
    let le = section.le;
    let length = u32_at(&hdr, 4, le);
    let least = match kind {
        block::SHB => 28,
        block::IDB => 20,
        block::EPB | block::PB => 32,
        block::SPB => 16,
        _ => 12,
    };
    if length < least || length % 4 != 0 {
        return Err(at.damaged(Damage::BadLength {
            block_type: kind,
            length,
            least,
        }));
    }
    if length > PCAPNG_MAX_BLOCK {
        return Err(at.damaged(Damage::BlockTooLarge { length }));
    }
    let fixed = match kind {
        block::EPB | block::PB => 20,
        block::IDB => 8,
        block::SPB => 4,
        _ => read,
    };
    if read < fixed {
        at.fill_all(input, &mut body[read..fixed])?;
        read = fixed;
    }
    let is_frame = match kind {
        block::SHB => {
            let (major, minor) = (u16_at(&body, 4, le), u16_at(&body, 6, le));
            if (major, minor) != (1, 0) && (major, minor) != (1, 2) {
                return Err(at.damaged(Damage::UnsupportedVersion { major, minor }));
            }
            section.interfaces = 0;
            false
        }
        block::IDB => {
            if section.interfaces == 0 {
                section.snaplen0 = u32_at(&body, 4, le);
            }
            section.interfaces += 1;
            false
        }
        block::EPB | block::PB => {
            let interface = if kind == block::EPB {
                u32_at(&body, 0, le)
            } else {
                u32::from(u16_at(&body, 0, le))
            };
            if interface >= section.interfaces {
                return Err(at.damaged(Damage::UnknownInterface {
                    interface,
                    described: section.interfaces,
                }));
            }
            let captured = u32_at(&body, 12, le);
            let room = length - 32;
            if u64::from(captured).next_multiple_of(4) > u64::from(room) {
                return Err(at.damaged(Damage::CapturedTooLong { captured, room }));
            }
            if captured > MAX_PACKET {
                return Err(at.damaged(Damage::RecordTooLarge { captured }));
            }
            true
        }
        block::SPB => {
            if section.interfaces == 0 {
                return Err(at.damaged(Damage::UnknownInterface {
                    interface: 0,
                    described: 0,
                }));
            }
            let original = u32_at(&body, 0, le);
            let captured = match section.snaplen0 {
                0 => original,
                snap => original.min(snap),
            };
            if captured > MAX_PACKET {
                return Err(at.damaged(Damage::RecordTooLarge { captured }));
            }
            if u64::from(length) != 16 + u64::from(captured).next_multiple_of(4) {
                return Err(at.damaged(Damage::SimplePacketSize { captured, length }));
            }
            true
        }
        block::JOURNAL | block::CUSTOM | block::CUSTOM_NO_COPY => true,
        _ => false,
    };
    // Skip to the trailing length, then compare.
    at.skip_all(input, u64::from(length) - 8 - read as u64 - 4)?;
    let mut trail = [0u8; 4];
    at.fill_all(input, &mut trail)?;
    let trailing = u32_at(&trail, 0, le);
    if trailing != length {
        return Err(at.damaged(Damage::LengthMismatch {
            leading: length,
            trailing,
        }));
    }
    Ok(is_frame)
}
