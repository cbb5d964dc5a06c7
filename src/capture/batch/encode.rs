//! The pcapng stream one tshark reads for many files: each file as one or
//! more sections of its own, then a marker section that closes it.
//!
//! - A pcapng file goes in as it is (decompressed): its own sections, byte
//!   order, interfaces and options, so tshark reads the same blocks.
//! - A pcap file becomes one little-endian section: its link type and
//!   snapshot length in an Interface Description Block (with `if_tsresol`
//!   9 for nanosecond files), each record an Enhanced Packet Block on that
//!   interface with the same time, lengths and bytes. A pcap with a
//!   [`crate::capture::shape::PcapQuirk`] never gets here.
//! - A marker is a section of one Ethernet/IPv4/UDP packet whose payload
//!   names the stream's random nonce and the file's place in it: the frames
//!   between two markers are the file's, and a file whose frames are more
//!   or fewer than it holds is found out.

use std::io::{self, Write};

use crate::capture::shape::PcapKind;

/// The UDP port (source and destination) of a marker.
pub(crate) const MARKER_PORT: u16 = 9;

const SHB: u32 = 0x0a0d_0d0a;
const IDB: u32 = 1;
const EPB: u32 = 6;
/// `LINKTYPE_ETHERNET`.
const ETHERNET: u16 = 1;

fn pad4(n: usize) -> usize {
    n.next_multiple_of(4)
}

/// A little-endian Section Header Block (version 1.0, length unknown).
fn section_header(out: &mut Vec<u8>) {
    for v in [SHB, 28, 0x1a2b_3c4d] {
        out.extend(v.to_le_bytes());
    }
    out.extend(1u16.to_le_bytes());
    out.extend(0u16.to_le_bytes());
    out.extend((-1i64).to_le_bytes());
    out.extend(28u32.to_le_bytes());
}

/// An Interface Description Block; `tsresol` is written only when given.
fn interface(out: &mut Vec<u8>, link_type: u16, snaplen: u32, tsresol: Option<u8>) {
    let options: Vec<u8> = match tsresol {
        // if_tsresol (9), length 1, padded; then opt_endofopt.
        Some(r) => vec![9, 0, 1, 0, r, 0, 0, 0, 0, 0, 0, 0],
        None => vec![],
    };
    let len = 20 + options.len() as u32;
    out.extend(IDB.to_le_bytes());
    out.extend(len.to_le_bytes());
    out.extend(link_type.to_le_bytes());
    out.extend(0u16.to_le_bytes());
    out.extend(snaplen.to_le_bytes());
    out.extend(&options);
    out.extend(len.to_le_bytes());
}

/// An Enhanced Packet Block's header, up to its packet data.
fn packet_header(time: u64, captured: u32, original: u32) -> [u8; 28] {
    let total = 32 + pad4(captured as usize) as u32;
    let mut h = [0u8; 28];
    for (i, v) in [
        EPB,
        total,
        0,
        (time >> 32) as u32,
        time as u32,
        captured,
        original,
    ]
    .into_iter()
    .enumerate()
    {
        h[i * 4..i * 4 + 4].copy_from_slice(&v.to_le_bytes());
    }
    h
}

/// The payload of the marker after file number `seq` of the stream `nonce`.
pub(crate) fn marker_payload(nonce: u64, seq: u64) -> Vec<u8> {
    format!("tcplab-batch {nonce:016x} {seq}").into_bytes()
}

/// The marker section after file number `seq` of the stream `nonce`: an
/// Ethernet/IPv4/UDP packet from 192.0.2.1 to 192.0.2.2 (TEST-NET-1), port
/// [`MARKER_PORT`] to itself.
pub(crate) fn marker(nonce: u64, seq: u64) -> Vec<u8> {
    let payload = marker_payload(nonce, seq);
    let mut udp = Vec::new();
    let udp_len = 8 + payload.len() as u16;
    for v in [MARKER_PORT, MARKER_PORT, udp_len, 0] {
        udp.extend(v.to_be_bytes());
    }
    udp.extend(&payload);
    let mut ip = vec![0x45, 0];
    ip.extend((20 + udp_len).to_be_bytes());
    ip.extend([0, 0, 0x40, 0, 64, 17, 0, 0, 192, 0, 2, 1, 192, 0, 2, 2]);
    let sum: u32 = ip
        .chunks(2)
        .map(|w| u32::from(u16::from_be_bytes([w[0], w[1]])))
        .sum();
    let sum = !((sum & 0xffff) + (sum >> 16)) as u16;
    ip[10..12].copy_from_slice(&sum.to_be_bytes());
    let mut frame = vec![2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00];
    frame.extend(&ip);
    frame.extend(&udp);
    let mut out = Vec::new();
    section_header(&mut out);
    interface(&mut out, ETHERNET, 0, None);
    let len = frame.len() as u32;
    out.extend(packet_header(0, len, len));
    out.extend(&frame);
    out.resize(out.len() + pad4(frame.len()) - frame.len(), 0);
    out.extend((32 + pad4(frame.len()) as u32).to_le_bytes());
    out
}

/// Where a [`ToPcapng`] is in the capture data it is given.
enum State {
    /// Reading the first bytes: the magic decides.
    Start,
    /// A pcap file: reading its 24-byte header.
    PcapHeader,
    /// A pcap file: reading a record's 16-byte header.
    Record,
    /// A pcap file: copying a record's bytes, `left` to go, then padding
    /// and the block's trailing length `total`.
    Data { left: u32, pad: usize, total: u32 },
    /// A pcapng file: copied as it is.
    Pcapng,
}

/// A writer that takes a capture file's data (pcap or pcapng, already
/// decompressed) in order and writes it to `out` as pcapng.
pub(crate) struct ToPcapng<W: Write> {
    out: W,
    state: State,
    /// Bytes of a header not yet complete.
    head: Vec<u8>,
    kind: Option<PcapKind>,
}

impl<W: Write> ToPcapng<W> {
    /// Writes to `out`.
    pub fn new(out: W) -> ToPcapng<W> {
        ToPcapng {
            out,
            state: State::Start,
            head: Vec::with_capacity(24),
            kind: None,
        }
    }

    /// Takes up to `need` bytes of `buf` into `head`; returns how many.
    fn take_head(&mut self, buf: &[u8], need: usize) -> usize {
        let n = (need - self.head.len()).min(buf.len());
        self.head.extend_from_slice(&buf[..n]);
        n
    }

    /// Consumes a prefix of `buf`; returns its length.
    fn step(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self.state {
            State::Start => {
                let n = self.take_head(buf, 4);
                if self.head.len() == 4 {
                    let magic = [self.head[0], self.head[1], self.head[2], self.head[3]];
                    self.kind = PcapKind::of(magic);
                    if self.kind.is_some() {
                        self.state = State::PcapHeader;
                    } else {
                        self.out.write_all(&self.head)?;
                        self.head.clear();
                        self.state = State::Pcapng;
                    }
                }
                Ok(n)
            }
            State::PcapHeader => {
                let n = self.take_head(buf, 24);
                if self.head.len() == 24 {
                    let kind = self.kind.expect("a pcap magic");
                    let mut blocks = Vec::new();
                    section_header(&mut blocks);
                    let snaplen = kind.u32_at(&self.head, 16);
                    let link = kind.u32_at(&self.head, 20) as u16;
                    interface(&mut blocks, link, snaplen, kind.nanoseconds.then_some(9));
                    self.out.write_all(&blocks)?;
                    self.head.clear();
                    self.state = State::Record;
                }
                Ok(n)
            }
            State::Record => {
                let n = self.take_head(buf, 16);
                if self.head.len() == 16 {
                    let kind = self.kind.expect("a pcap magic");
                    let field = |i| kind.u32_at(&self.head, i);
                    let (secs, fraction) = (u64::from(field(0)), u64::from(field(4)));
                    let (captured, original) = (field(8), field(12));
                    let time = secs * u64::from(kind.second()) + fraction;
                    let header = packet_header(time, captured, original);
                    self.out.write_all(&header)?;
                    let total = u32::from_le_bytes([header[4], header[5], header[6], header[7]]);
                    let pad = pad4(captured as usize) - captured as usize;
                    self.head.clear();
                    self.state = State::Data {
                        left: captured,
                        pad,
                        total,
                    };
                    self.end_of_data()?;
                }
                Ok(n)
            }
            State::Data { left, pad, total } => {
                let n = (left as usize).min(buf.len());
                self.out.write_all(&buf[..n])?;
                self.state = State::Data {
                    left: left - n as u32,
                    pad,
                    total,
                };
                self.end_of_data()?;
                Ok(n)
            }
            State::Pcapng => {
                self.out.write_all(buf)?;
                Ok(buf.len())
            }
        }
    }

    /// Closes the record's block once all its bytes were copied.
    fn end_of_data(&mut self) -> io::Result<()> {
        if let State::Data {
            left: 0,
            pad,
            total,
        } = self.state
        {
            self.out.write_all(&[0; 3][..pad])?;
            self.out.write_all(&total.to_le_bytes())?;
            self.state = State::Record;
        }
        Ok(())
    }

    /// Whether the data so far ends between records or blocks.
    pub fn is_whole(&self) -> bool {
        match self.state {
            State::Record | State::Pcapng => self.head.is_empty(),
            _ => false,
        }
    }
}

impl<W: Write> Write for ToPcapng<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut done = 0;
        while done < buf.len() {
            done += self.step(&buf[done..])?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::shape::check_reader;
    use crate::testing::captures::{pcap, pcapng, two_sections};
    use rstest::rstest;

    /// `bytes` through a [`ToPcapng`], given `chunk` bytes at a time.
    fn encode(bytes: &[u8], chunk: usize) -> Vec<u8> {
        let mut w = ToPcapng::new(Vec::new());
        for part in bytes.chunks(chunk) {
            w.write_all(part).unwrap();
        }
        assert!(w.is_whole());
        w.out
    }

    #[rstest]
    fn pcapng_goes_in_as_it_is(#[values(1, 3, 4096)] chunk: usize) {
        for b in [pcapng(3), two_sections()] {
            assert_eq!(encode(&b, chunk), b);
        }
    }

    #[rstest]
    fn pcap_becomes_a_section_of_the_same_frames(
        #[values(false, true)] big_endian: bool,
        #[values(false, true)] nanoseconds: bool,
        #[values(1, 7, 4096)] chunk: usize,
    ) {
        let ng = encode(&pcap(3, big_endian, nanoseconds), chunk);
        let shape = check_reader(ng.as_slice()).unwrap();
        assert_eq!((shape.frames, shape.bytes), (3, ng.len() as u64));
        // Frame 2's time: 1_700_000_001 s, in the file's own precision.
        let at = 28 + 20 + if nanoseconds { 12 } else { 0 } + (32 + 44);
        let high = u32::from_le_bytes(ng[at + 12..at + 16].try_into().unwrap());
        let low = u32::from_le_bytes(ng[at + 16..at + 20].try_into().unwrap());
        let unit = if nanoseconds {
            1_000_000_000
        } else {
            1_000_000
        };
        assert_eq!(
            (u64::from(high) << 32) | u64::from(low),
            1_700_000_001 * unit
        );
    }

    #[test]
    fn a_record_cut_short_is_not_whole() {
        let b = pcap(2, false, false);
        let mut w = ToPcapng::new(Vec::new());
        w.write_all(&b[..b.len() - 3]).unwrap();
        assert!(!w.is_whole());
    }

    #[test]
    fn a_marker_is_a_section_of_one_frame_naming_its_file() {
        let m = marker(0xfeed, 41);
        let shape = check_reader(m.as_slice()).unwrap();
        assert_eq!(shape.frames, 1);
        let payload = marker_payload(0xfeed, 41);
        assert_eq!(payload, b"tcplab-batch 000000000000feed 41");
        assert!(m.windows(payload.len()).any(|w| w == payload));
    }
}
