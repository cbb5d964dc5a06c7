//! Small pcap files built by hand: Ethernet, IPv4/IPv6, TCP/UDP/ICMP and
//! the tunnels tshark knows, with right (or deliberately wrong) headers.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use tcplab::wire::Segment;
use tcplab::wire::options::{TcpOption, to_bytes};

/// EtherType of IPv4.
pub const IPV4: u16 = 0x0800;
/// EtherType of IPv6.
pub const IPV6: u16 = 0x86dd;

/// The Internet checksum of `data`, with `init` already summed in.
fn checksum(init: u32, data: &[u8]) -> u16 {
    let mut sum = init + sum_of(data);
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

fn sum_of(bytes: &[u8]) -> u32 {
    bytes
        .chunks(2)
        .map(|w| u32::from(u16::from_be_bytes([w[0], *w.get(1).unwrap_or(&0)])))
        .sum()
}

/// Ethernet II around `payload` with EtherType `ethertype`.
pub fn eth(ethertype: u16, payload: &[u8]) -> Vec<u8> {
    let mut f = vec![2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1];
    f.extend_from_slice(&ethertype.to_be_bytes());
    f.extend_from_slice(payload);
    f
}

/// An IP header of the family of `src` around `payload` of protocol `proto`.
pub fn ip(src: IpAddr, dst: IpAddr, proto: u8, payload: &[u8]) -> Vec<u8> {
    match (src, dst) {
        (IpAddr::V4(s), IpAddr::V4(d)) => ipv4(s, d, proto, payload),
        (IpAddr::V6(s), IpAddr::V6(d)) => ipv6(s, d, proto, payload),
        _ => panic!("mixed address families"),
    }
}

fn ipv4(src: Ipv4Addr, dst: Ipv4Addr, proto: u8, payload: &[u8]) -> Vec<u8> {
    let total = 20 + payload.len() as u16;
    let mut h = vec![0x45, 0];
    h.extend_from_slice(&total.to_be_bytes());
    h.extend_from_slice(&[0, 1, 0x40, 0, 64, proto, 0, 0]);
    h.extend_from_slice(&src.octets());
    h.extend_from_slice(&dst.octets());
    let c = checksum(0, &h);
    h[10..12].copy_from_slice(&c.to_be_bytes());
    h.extend_from_slice(payload);
    h
}

fn ipv6(src: Ipv6Addr, dst: Ipv6Addr, next: u8, payload: &[u8]) -> Vec<u8> {
    let mut h = vec![0x60, 0, 0, 0];
    h.extend_from_slice(&(payload.len() as u16).to_be_bytes());
    h.extend_from_slice(&[next, 64]);
    h.extend_from_slice(&src.octets());
    h.extend_from_slice(&dst.octets());
    h.extend_from_slice(payload);
    h
}

/// A TCP segment to build.
#[derive(Clone, Debug)]
pub struct Tcp {
    pub src_port: u16,
    pub dst_port: u16,
    pub seq: u32,
    pub ack: u32,
    pub flags: u8,
    pub window: u16,
    pub options: Vec<TcpOption>,
    /// Raw option bytes used instead of `options` when set.
    pub raw_options: Option<Vec<u8>>,
    /// Data offset in 32-bit words, instead of the right one.
    pub data_offset: Option<u8>,
    pub payload: Vec<u8>,
}

impl Default for Tcp {
    /// A SYN from port 40000 to 80.
    fn default() -> Tcp {
        Tcp {
            src_port: 40000,
            dst_port: 80,
            seq: 1000,
            ack: 0,
            flags: 0x02,
            window: 64240,
            options: Vec::new(),
            raw_options: None,
            data_offset: None,
            payload: Vec::new(),
        }
    }
}

impl Tcp {
    /// The segment tcplab's builders describe, with a payload of its length.
    pub fn of(s: &Segment) -> Tcp {
        Tcp {
            src_port: s.src.port(),
            dst_port: s.dst.port(),
            seq: s.seq_raw.get(),
            ack: s.ack_raw.get(),
            flags: s.flags.bits() as u8,
            window: s.window,
            payload: vec![b'x'; s.len as usize],
            ..Tcp::default()
        }
    }

    /// The segment's bytes, checksummed for `src` and `dst`.
    pub fn bytes(&self, src: IpAddr, dst: IpAddr) -> Vec<u8> {
        let opts = self
            .raw_options
            .clone()
            .unwrap_or_else(|| to_bytes(&self.options));
        let offset = self.data_offset.unwrap_or((20 + opts.len() as u8) / 4);
        let mut s = Vec::new();
        s.extend_from_slice(&self.src_port.to_be_bytes());
        s.extend_from_slice(&self.dst_port.to_be_bytes());
        s.extend_from_slice(&self.seq.to_be_bytes());
        s.extend_from_slice(&self.ack.to_be_bytes());
        s.extend_from_slice(&[offset << 4, self.flags]);
        s.extend_from_slice(&self.window.to_be_bytes());
        s.extend_from_slice(&[0, 0, 0, 0]);
        s.extend_from_slice(&opts);
        s.extend_from_slice(&self.payload);
        let c = checksum(pseudo_header(src, dst, 6, s.len()), &s);
        s[16..18].copy_from_slice(&c.to_be_bytes());
        s
    }

    /// The segment in an IP header from `src` to `dst`.
    pub fn in_ip(&self, src: IpAddr, dst: IpAddr) -> Vec<u8> {
        ip(src, dst, 6, &self.bytes(src, dst))
    }
}

fn pseudo_header(src: IpAddr, dst: IpAddr, proto: u8, len: usize) -> u32 {
    let addr = |a: IpAddr| match a {
        IpAddr::V4(a) => a.octets().to_vec(),
        IpAddr::V6(a) => a.octets().to_vec(),
    };
    sum_of(&addr(src)) + sum_of(&addr(dst)) + u32::from(proto) + len as u32
}

/// One of tcplab's builder segments as an Ethernet frame.
pub fn frame_of(s: &Segment) -> Vec<u8> {
    let ethertype = if s.src.is_ipv4() { IPV4 } else { IPV6 };
    eth(ethertype, &Tcp::of(s).in_ip(s.src.ip(), s.dst.ip()))
}

/// UDP around `payload` (checksum 0: none, allowed over IPv4).
pub fn udp(src_port: u16, dst_port: u16, payload: &[u8]) -> Vec<u8> {
    let mut u = Vec::new();
    for v in [src_port, dst_port, 8 + payload.len() as u16, 0] {
        u.extend_from_slice(&v.to_be_bytes());
    }
    u.extend_from_slice(payload);
    u
}

/// An ICMP destination-unreachable (port) error quoting `quoted`.
pub fn icmp_unreachable(quoted: &[u8]) -> Vec<u8> {
    let mut m = vec![3, 3, 0, 0, 0, 0, 0, 0];
    m.extend_from_slice(quoted);
    let c = checksum(0, &m);
    m[2..4].copy_from_slice(&c.to_be_bytes());
    m
}

/// GRE (no options) carrying `payload` of EtherType `proto`.
pub fn gre(proto: u16, payload: &[u8]) -> Vec<u8> {
    let mut g = vec![0, 0];
    g.extend_from_slice(&proto.to_be_bytes());
    g.extend_from_slice(payload);
    g
}

/// VXLAN header (VNI 1) and the Ethernet frame inside.
pub fn vxlan(frame: &[u8]) -> Vec<u8> {
    let mut v = vec![0x08, 0, 0, 0, 0, 0, 1, 0];
    v.extend_from_slice(frame);
    v
}

/// Geneve header (no options, VNI 1) and the Ethernet frame inside.
pub fn geneve(frame: &[u8]) -> Vec<u8> {
    let mut g = vec![0, 0, 0x65, 0x58, 0, 0, 1, 0];
    g.extend_from_slice(frame);
    g
}

/// GTP-U G-PDU header (TEID 1) and the IP packet inside.
pub fn gtp_u(packet: &[u8]) -> Vec<u8> {
    let mut g = vec![0x30, 0xff];
    g.extend_from_slice(&(packet.len() as u16).to_be_bytes());
    g.extend_from_slice(&[0, 0, 0, 1]);
    g.extend_from_slice(packet);
    g
}

/// AYIYA forward header (2-byte identity, 20-byte signature) and the packet
/// of IP protocol `next` inside.
pub fn ayiya(next: u8, packet: &[u8]) -> Vec<u8> {
    let mut a = vec![0x11, 0x52, 0x21, next, 0, 0, 0, 0];
    a.extend_from_slice(&[0; 22]);
    a.extend_from_slice(packet);
    a
}

/// An address from text, either family.
pub fn at(s: &str) -> IpAddr {
    s.parse().unwrap()
}

/// A classic little-endian pcap (Ethernet) of `frames`, 1 ms apart.
pub fn pcap(frames: impl IntoIterator<Item = Vec<u8>>) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
    out.extend_from_slice(&[2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    out.extend_from_slice(&65535u32.to_le_bytes());
    out.extend_from_slice(&1u32.to_le_bytes());
    for (i, f) in frames.into_iter().enumerate() {
        let len = f.len() as u32;
        for v in [1_700_000_000, 1000 * i as u32, len, len] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out.extend_from_slice(&f);
    }
    out
}
