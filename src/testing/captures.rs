//! Capture files built byte by byte, good and damaged: pcap in either byte
//! order and precision, pcapng block by block (sections of either byte
//! order, any block type), gzip; and a recorded pcapng re-cut into two
//! sections of opposite byte order.

use std::io::Write;

/// The Section Header Block's type.
pub const SHB: u32 = 0x0a0d_0d0a;
/// The Interface Description Block's type.
pub const IDB: u32 = 1;
/// The Enhanced Packet Block's type.
pub const EPB: u32 = 6;

/// A minimal Ethernet/IPv4/UDP frame (payload `x`), so that tshark has
/// something to dissect.
pub fn ethernet_frame() -> Vec<u8> {
    let mut f = vec![0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1, 0x08, 0x00];
    let mut ip = vec![
        0x45, 0, 0, 29, 0, 0, 0, 0, 64, 17, 0, 0, 127, 0, 0, 1, 127, 0, 0, 1,
    ];
    let sum = ip
        .chunks(2)
        .map(|c| u32::from(u16::from_be_bytes([c[0], c[1]])))
        .sum::<u32>();
    let sum = !(((sum & 0xffff) + (sum >> 16)) as u16);
    ip[10..12].copy_from_slice(&sum.to_be_bytes());
    f.extend(ip);
    f.extend([0x30, 0x39, 0x30, 0x39, 0, 9, 0, 0, b'x']);
    f
}

/// A pcap file of `n` [`ethernet_frame`]s.
pub fn pcap(n: usize, big_endian: bool, nanoseconds: bool) -> Vec<u8> {
    let w32 = |v: &mut Vec<u8>, x: u32| {
        v.extend(if big_endian {
            x.to_be_bytes()
        } else {
            x.to_le_bytes()
        })
    };
    let mut v = Vec::new();
    w32(
        &mut v,
        if nanoseconds {
            0xa1b2_3c4d
        } else {
            0xa1b2_c3d4
        },
    );
    v.extend(if big_endian {
        [0, 2, 0, 4]
    } else {
        [2, 0, 4, 0]
    });
    for x in [0, 0, 65535, 1] {
        w32(&mut v, x);
    }
    let frame = ethernet_frame();
    for i in 0..n {
        for x in [
            1_700_000_000 + i as u32,
            0,
            frame.len() as u32,
            frame.len() as u32,
        ] {
            w32(&mut v, x);
        }
        v.extend(&frame);
    }
    v
}

/// Writes pcapng blocks, each section in its own byte order.
#[derive(Debug, Default)]
pub struct Ng {
    /// The file so far.
    pub bytes: Vec<u8>,
    /// The current section is big-endian.
    pub big_endian: bool,
}

impl Ng {
    /// An empty file; start with [`Ng::section`].
    pub fn new() -> Ng {
        Ng::default()
    }

    fn enc32(&self, x: u32) -> [u8; 4] {
        if self.big_endian {
            x.to_be_bytes()
        } else {
            x.to_le_bytes()
        }
    }

    fn enc16(&self, x: u16) -> [u8; 2] {
        if self.big_endian {
            x.to_be_bytes()
        } else {
            x.to_le_bytes()
        }
    }

    /// A block of type `t` with `body` (padded to 4), lengths filled in.
    pub fn block(&mut self, t: u32, body: &[u8]) -> &mut Ng {
        let len = 12 + body.len().next_multiple_of(4) as u32;
        let (t, l) = (self.enc32(t), self.enc32(len));
        self.bytes.extend(t);
        self.bytes.extend(l);
        self.bytes.extend(body);
        self.bytes.resize(self.bytes.len().next_multiple_of(4), 0);
        self.bytes.extend(l);
        self
    }

    /// A Section Header Block (version 1.0), big-endian or not.
    pub fn section(&mut self, big_endian: bool) -> &mut Ng {
        self.big_endian = big_endian;
        let mut body = self.enc32(0x1a2b_3c4d).to_vec();
        body.extend(self.enc16(1));
        body.extend(self.enc16(0));
        body.extend([0xff; 8]);
        self.block(SHB, &body)
    }

    /// An Interface Description Block: link type, snapshot length and
    /// timestamp resolution (`if_tsresol`, a power of ten; 6 is the default).
    pub fn interface_of(&mut self, link_type: u16, snaplen: u32, tsresol: u8) -> &mut Ng {
        let mut body = self.enc16(link_type).to_vec();
        body.extend([0, 0]);
        body.extend(self.enc32(snaplen));
        if tsresol != 6 {
            body.extend(self.enc16(9));
            body.extend(self.enc16(1));
            body.extend([tsresol, 0, 0, 0]);
            body.extend([0; 4]); // opt_endofopt
        }
        self.block(IDB, &body)
    }

    /// An Ethernet interface keeping whole packets, in microseconds.
    pub fn interface(&mut self) -> &mut Ng {
        self.interface_of(1, 65535, 6)
    }

    /// An Enhanced Packet Block on interface 0 with a timestamp in the
    /// interface's units, and the frame's original length.
    pub fn packet_of(&mut self, timestamp: u64, data: &[u8], original: u32) -> &mut Ng {
        let mut body = vec![];
        let fields = [
            0,
            (timestamp >> 32) as u32,
            timestamp as u32,
            data.len() as u32,
            original,
        ];
        for x in fields {
            body.extend(self.enc32(x));
        }
        body.extend(data);
        self.block(EPB, &body)
    }

    /// An Enhanced Packet Block with [`ethernet_frame`] on interface 0.
    pub fn packet(&mut self) -> &mut Ng {
        let frame = ethernet_frame();
        self.packet_of(1_000_000, &frame, frame.len() as u32)
    }

    /// A Simple Packet Block with [`ethernet_frame`].
    pub fn simple_packet(&mut self) -> &mut Ng {
        let frame = ethernet_frame();
        let mut body = self.enc32(frame.len() as u32).to_vec();
        body.extend(&frame);
        self.block(3, &body)
    }

    /// An obsolete Packet Block with [`ethernet_frame`] on interface 0.
    pub fn old_packet(&mut self) -> &mut Ng {
        let frame = ethernet_frame();
        let mut body = vec![];
        body.extend(self.enc16(0));
        body.extend(self.enc16(0));
        for x in [0, 1_000_000, frame.len() as u32, frame.len() as u32] {
            body.extend(self.enc32(x));
        }
        body.extend(&frame);
        self.block(2, &body)
    }
}

/// One little-endian section, one interface, `n` packets.
pub fn pcapng(n: usize) -> Vec<u8> {
    let mut ng = Ng::new();
    ng.section(false).interface();
    for _ in 0..n {
        ng.packet();
    }
    ng.bytes
}

/// Two sections of opposite byte order: 2 packets (little-endian), then 3
/// (big-endian).
pub fn two_sections() -> Vec<u8> {
    let mut ng = Ng::new();
    ng.section(false).interface().packet().packet();
    ng.section(true).interface().packet().packet().packet();
    ng.bytes
}

/// `bytes`, gzip-compressed as one member.
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).expect("writing to memory");
    e.finish().expect("writing to memory")
}

/// The offset of block `k` (from 0) of a pcapng file, following the byte
/// order of each section.
pub fn block_offset(bytes: &[u8], k: usize) -> usize {
    let mut off = 0;
    let mut le = true;
    for _ in 0..k {
        if bytes[off..off + 4] == SHB.to_le_bytes() {
            le = bytes[off + 8] == 0x4d;
        }
        off += u32_at(bytes, off + 4, le) as usize;
    }
    off
}

fn u32_at(b: &[u8], i: usize, le: bool) -> u32 {
    let a = [b[i], b[i + 1], b[i + 2], b[i + 3]];
    if le {
        u32::from_le_bytes(a)
    } else {
        u32::from_be_bytes(a)
    }
}

/// The offset of the `n`th Enhanced Packet Block (from 1: frame `n`) of a
/// little-endian pcapng file.
pub fn frame_offset(bytes: &[u8], n: usize) -> usize {
    let mut seen = 0;
    for k in 0.. {
        let at = block_offset(bytes, k);
        if u32_at(bytes, at, true) == EPB {
            seen += 1;
            if seen == n {
                return at;
            }
        }
    }
    unreachable!()
}

/// A little-endian pcapng file of one interface (as tshark records them),
/// re-cut into two sections: frames `1..=first` in a little-endian section,
/// the rest in a big-endian one. Packets, timestamps and the interface's
/// link type, snapshot length and resolution are kept; options are not.
pub fn two_byte_orders(recorded: &[u8], first: usize) -> Vec<u8> {
    let (mut link_type, mut snaplen, mut tsresol) = (1, 65535, 6);
    let mut packets = vec![];
    let mut at = 0;
    while at < recorded.len() {
        let (t, len) = (
            u32_at(recorded, at, true),
            u32_at(recorded, at + 4, true) as usize,
        );
        let body = &recorded[at + 8..at + len - 4];
        match t {
            IDB => {
                link_type = u16::from_le_bytes([body[0], body[1]]);
                snaplen = u32_at(body, 4, true);
                let mut o = 8;
                while o + 4 <= body.len() {
                    let code = u16::from_le_bytes([body[o], body[o + 1]]);
                    let olen = usize::from(u16::from_le_bytes([body[o + 2], body[o + 3]]));
                    if code == 9 {
                        tsresol = body[o + 4];
                    }
                    if code == 0 {
                        break;
                    }
                    o += 4 + olen.next_multiple_of(4);
                }
            }
            EPB => {
                let ts = u64::from(u32_at(body, 4, true)) << 32 | u64::from(u32_at(body, 8, true));
                let captured = u32_at(body, 12, true) as usize;
                let original = u32_at(body, 16, true);
                packets.push((ts, body[20..20 + captured].to_vec(), original));
            }
            _ => {}
        }
        at += len;
    }
    let mut ng = Ng::new();
    for (i, (ts, data, original)) in packets.iter().enumerate() {
        if i == 0 || i == first {
            ng.section(i != 0).interface_of(link_type, snaplen, tsresol);
        }
        ng.packet_of(*ts, data, *original);
    }
    ng.bytes
}
