//! One packet of a capture, as tcplab sees it: a TCP segment, a TCP header
//! too broken to be one, a UDP datagram (tcplab's probes are among these),
//! an ICMP error quoting a packet, or anything else.

use std::net::SocketAddr;

use super::fields::{FieldError, FieldSource, parse, parse_hex16, parse_opt};
use super::flags::Flags;
use super::layers::{InnerTcp, Located, icmp_before, locate};
use super::malformed::Malformed;
use super::options::{self, OptionError, TcpOptions};
use super::segment::Segment;
use super::seq::SeqNumber;

/// What one packet of a capture is to tcplab.
#[derive(Clone, Debug, PartialEq)]
pub enum Packet {
    /// A TCP segment whose header tshark could read.
    Segment(Segment),
    /// A TCP header tshark could not read in full (too short a header
    /// length, or longer than the bytes that follow it): not a segment.
    BadTcp(BadTcp),
    /// A UDP datagram (of the last UDP layer).
    Datagram(Datagram),
    /// An ICMP or ICMPv6 error (named here) quoting a packet: what it
    /// quotes, TCP or UDP, is neither a segment nor a datagram.
    IcmpQuote {
        /// The frame number.
        frame: u64,
        /// `icmp` or `icmpv6`.
        icmp: &'static str,
    },
    /// Anything else.
    Other {
        /// The frame number.
        frame: u64,
    },
}

/// A TCP header tshark could not read in full.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BadTcp {
    /// The frame number.
    pub frame: u64,
    /// Sender, as far as known.
    pub src: SocketAddr,
    /// Receiver, as far as known.
    pub dst: SocketAddr,
    /// What is wrong.
    pub malformed: Malformed,
}

/// A UDP datagram's destination port and payload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Datagram {
    /// The frame number.
    pub frame: u64,
    /// Destination port.
    pub dst_port: u16,
    /// The payload as captured (possibly cut by the snapshot length).
    pub payload: Vec<u8>,
}

impl Packet {
    /// The frame number of the packet.
    pub fn frame(&self) -> u64 {
        match self {
            Packet::Segment(s) => s.frame,
            Packet::BadTcp(b) => b.frame,
            Packet::Datagram(d) => d.frame,
            Packet::IcmpQuote { frame, .. } | Packet::Other { frame } => *frame,
        }
    }

    /// Classifies one packet from tshark's fields ([`super::FIELDS`]).
    /// An error names the frame and the field that could not be used.
    pub fn from_fields<S: FieldSource + ?Sized>(p: &S) -> Result<Packet, FieldError> {
        let frame: u64 = parse_opt(0, "frame.number", p.get("frame.number"))?.unwrap_or(0);
        let protocols = p.get("frame.protocols").unwrap_or("");
        match locate(frame, protocols, p)? {
            Located::Tcp(t) => tcp(frame, p, &t),
            Located::QuotedByIcmp(icmp) => Ok(Packet::IcmpQuote { frame, icmp }),
            Located::NotTcp => not_tcp(frame, protocols, p),
        }
    }
}

/// A packet without a TCP layer of its own: an ICMP error quoting an IP
/// packet, a UDP datagram, or anything else.
fn not_tcp<S: FieldSource + ?Sized>(
    frame: u64,
    protocols: &str,
    p: &S,
) -> Result<Packet, FieldError> {
    let stack: Vec<&str> = protocols.split(':').collect();
    if let Some(icmp) = stack
        .iter()
        .rposition(|&s| s == "ip" || s == "ipv6")
        .and_then(|quoted| icmp_before(&stack, quoted))
    {
        return Ok(Packet::IcmpQuote { frame, icmp });
    }
    let udp_layers = stack.iter().filter(|&&s| s == "udp").count();
    // The last UDP layer's value, when the field occurs once per layer.
    let last = |field| {
        let values = p.all(field);
        (values.len() == udp_layers).then(|| values.last().copied())?
    };
    let Some(dst_port) = parse_opt::<u16>(frame, "udp.dstport", last("udp.dstport"))? else {
        return Ok(Packet::Other { frame });
    };
    // tshark prints no `udp.payload` for an empty payload: one fewer than
    // the UDP layers means the last one is empty (a tunnel's outer UDP
    // always carries something).
    let payload = match last("udp.payload") {
        Some(hex) => options::decode_hex(hex).map_err(|_| FieldError::Invalid {
            frame,
            field: "udp.payload",
            value: hex.to_owned(),
        })?,
        None => Vec::new(),
    };
    Ok(Packet::Datagram(Datagram {
        frame,
        dst_port,
        payload,
    }))
}

/// The TCP header fields a segment needs.
const HEADER_FIELDS: [&str; 4] = [
    "tcp.flags",
    "tcp.seq_raw",
    "tcp.ack_raw",
    "tcp.window_size_value",
];

/// The segment of the last TCP layer `t`, or why it is none.
fn tcp<S: FieldSource + ?Sized>(frame: u64, p: &S, t: &InnerTcp<'_>) -> Result<Packet, FieldError> {
    let captured: Option<u32> = parse_opt(frame, "frame.cap_len", p.get("frame.cap_len"))?;
    let on_wire: Option<u32> = parse_opt(frame, "frame.len", p.get("frame.len"))?;
    let cut = match (captured, on_wire) {
        (Some(captured), Some(len)) if captured < len => Some((captured, len)),
        _ => None,
    };
    let required = |field: &'static str| {
        t.get(field).ok_or(match cut {
            Some((captured, len)) => FieldError::CutShort {
                frame,
                captured,
                len,
            },
            None => FieldError::Missing { frame, field },
        })
    };
    let src_port: u16 = parse(frame, "tcp.srcport", required("tcp.srcport")?)?;
    let dst_port: u16 = parse(frame, "tcp.dstport", required("tcp.dstport")?)?;
    let src = SocketAddr::new(t.src, src_port);
    let dst = SocketAddr::new(t.dst, dst_port);
    let hdr_len: u8 = parse(frame, "tcp.hdr_len", required("tcp.hdr_len")?)?;
    let bad = |malformed| {
        Ok(Packet::BadTcp(BadTcp {
            frame,
            src,
            dst,
            malformed,
        }))
    };
    if hdr_len < 20 || t.get("tcp.bogus_header_length").is_some() {
        return bad(Malformed::HeaderLength(hdr_len));
    }
    // tshark finds fewer bytes after the IP header than the TCP header
    // needs. When it still read every field tcplab uses, the shortfall is
    // its framing's, not the packet's (a trailer taken for a frame check
    // sequence, as after Cisco FabricPath): the segment is kept, as Zeek,
    // which reads the IP total length, keeps it.
    let short = t.get("tcp.short_segment").is_some();
    if short && HEADER_FIELDS.iter().any(|f| t.get(f).is_none()) {
        return bad(Malformed::ShortSegment);
    }
    let mut malformed = Vec::new();
    if short {
        malformed.push(Malformed::ShortSegment);
    }
    if p.get("ip.bogus_ip_length").is_some() || p.get("ipv6.plen_exceeds_framing").is_some() {
        malformed.push(Malformed::IpLength);
    }
    let options = match t.get("tcp.options") {
        Some(hex) => {
            let bytes = options::decode_hex(hex).map_err(|_| FieldError::Invalid {
                frame,
                field: "tcp.options",
                value: hex.to_owned(),
            })?;
            // With a snapshot length, tshark prints only the option bytes
            // captured: an option cut in two is not a malformed one.
            let options_cut = cut.is_some() && bytes.len() < usize::from(hdr_len) - 20;
            let mut found = Vec::new();
            for o in options::parse(&bytes) {
                match o {
                    Ok(o) => found.push(o),
                    Err(OptionError::PastEnd { .. } | OptionError::NoLength { .. })
                        if options_cut => {}
                    Err(e) => malformed.push(Malformed::Options(e)),
                }
            }
            found.iter().collect()
        }
        None => TcpOptions::default(),
    };
    let window_scaled = match t.get("tcp.window_size_scalefactor") {
        Some("-1") => None,
        _ => parse_opt(frame, "tcp.window_size", t.get("tcp.window_size"))?,
    };
    Ok(Packet::Segment(Segment {
        frame,
        time: parse_opt(frame, "frame.time_epoch", p.get("frame.time_epoch"))?.unwrap_or(0.0),
        src,
        dst,
        tunnel: t.tunnel,
        flags: Flags::from_bits(parse_hex16(frame, "tcp.flags", required("tcp.flags")?)?),
        seq_raw: SeqNumber(parse(frame, "tcp.seq_raw", required("tcp.seq_raw")?)?),
        ack_raw: SeqNumber(parse(frame, "tcp.ack_raw", required("tcp.ack_raw")?)?),
        tshark_seq: parse_opt(frame, "tcp.seq", t.get("tcp.seq"))?,
        tshark_ack: parse_opt(frame, "tcp.ack", t.get("tcp.ack"))?,
        stream: parse_opt(frame, "tcp.stream", t.get("tcp.stream"))?,
        len: match t.get("tcp.len") {
            None if short => 0,
            _ => parse(frame, "tcp.len", required("tcp.len")?)?,
        },
        window: parse(
            frame,
            "tcp.window_size_value",
            required("tcp.window_size_value")?,
        )?,
        window_scaled,
        options,
        malformed,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::tunnel::TunnelKind;
    use rstest::rstest;

    /// Frame 46 of a capture of the seed's lab, as tshark 4.0.17 printed it
    /// with `-e`: the client's 479-byte PSH,ACK, captured with a 256-byte
    /// snapshot length.
    const FIRST_DATA: &[(&str, &str)] = &[
        ("frame.number", "46"),
        ("frame.time_epoch", "1795580154.339381000"),
        ("frame.protocols", "eth:ethertype:ip:tcp:data"),
        ("frame.len", "545"),
        ("frame.cap_len", "256"),
        ("ip.src", "127.0.0.1"),
        ("ip.dst", "127.0.0.1"),
        ("tcp.srcport", "53202"),
        ("tcp.dstport", "8123"),
        ("tcp.stream", "0"),
        ("tcp.seq", "1"),
        ("tcp.ack", "1"),
        ("tcp.seq_raw", "1308990993"),
        ("tcp.ack_raw", "3030246237"),
        ("tcp.len", "479"),
        ("tcp.hdr_len", "32"),
        ("tcp.flags", "0x0018"),
        ("tcp.window_size_value", "64"),
        ("tcp.window_size", "65536"),
        ("tcp.window_size_scalefactor", "1024"),
        ("tcp.options", "0101080a47e1b60f7bb2f6ef"),
    ];

    /// `FIRST_DATA` with fields replaced (`Some`) or removed (`None`).
    fn with(changes: &[(&'static str, Option<&'static str>)]) -> Vec<(&'static str, &'static str)> {
        let mut f: Vec<_> = FIRST_DATA
            .iter()
            .filter(|(n, _)| !changes.iter().any(|(c, _)| c == n))
            .copied()
            .collect();
        f.extend(changes.iter().filter_map(|(n, v)| v.map(|v| (*n, v))));
        f
    }

    fn segment(fields: &[(&str, &str)]) -> Segment {
        match Packet::from_fields(fields).unwrap() {
            Packet::Segment(s) => s,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_first_data_segment_reads_every_field() {
        let s = segment(FIRST_DATA);
        assert_eq!(s.frame, 46);
        assert_eq!(s.src, "127.0.0.1:53202".parse().unwrap());
        assert_eq!(s.dst, "127.0.0.1:8123".parse().unwrap());
        assert_eq!(s.flags, Flags::PSH | Flags::ACK);
        assert_eq!(
            (s.seq_raw, s.ack_raw),
            (SeqNumber(1308990993), SeqNumber(3030246237))
        );
        assert_eq!((s.tshark_seq, s.tshark_ack), (Some(1), Some(1)));
        assert_eq!(s.len, 479);
        assert_eq!((s.window, s.window_scaled), (64, Some(65536)));
        assert_eq!(s.options.timestamps, Some((0x47e1b60f, 0x7bb2f6ef)));
        assert_eq!(s.options.mss, None);
        assert!(s.malformed.is_empty() && s.tunnel.is_none());
    }

    #[test]
    fn ipv6_addresses_and_syn_options() {
        let s = segment(&with(&[
            ("frame.protocols", Some("eth:ethertype:ipv6:tcp")),
            ("ip.src", None),
            ("ip.dst", None),
            ("ipv6.src", Some("::1")),
            ("ipv6.dst", Some("::1")),
            ("tcp.flags", Some("0x0002")),
            ("tcp.hdr_len", Some("40")),
            (
                "tcp.options",
                Some("0204ffc40402080a47e1b60f000000000103030a"),
            ),
        ]));
        assert_eq!(s.src, "[::1]:53202".parse().unwrap());
        assert_eq!(s.options.mss, Some(65476));
        assert_eq!(s.options.window_scale, Some(10));
        assert!(s.options.sack_permitted);
        assert_eq!(s.seq_len(), 480);
    }

    #[test]
    fn an_unknown_scale_gives_no_scaled_window() {
        let s = segment(&with(&[("tcp.window_size_scalefactor", Some("-1"))]));
        assert_eq!(s.window_scaled, None);
    }

    #[test]
    fn a_short_segment_whose_header_tshark_read_is_kept_with_a_note() {
        let s = segment(&with(&[
            ("tcp.short_segment", Some("1")),
            ("tcp.len", None),
        ]));
        assert_eq!(s.malformed, [Malformed::ShortSegment]);
        assert_eq!(s.len, 0);
        assert!(s.flags.syn() || s.flags.ack());
    }

    #[test]
    fn bad_options_are_malformed_but_the_segment_is_kept() {
        let s = segment(&with(&[
            ("tcp.options", Some("0101080a47e1b60f7bb2f6")),
            ("frame.cap_len", Some("545")),
        ]));
        assert!(matches!(
            s.malformed[..],
            [Malformed::Options(OptionError::PastEnd { offset: 2, .. })]
        ));
        assert_eq!(s.options, TcpOptions::default());
    }

    #[test]
    fn options_cut_by_the_snapshot_length_are_not_malformed() {
        let s = segment(&with(&[("tcp.options", Some("0101080a47e1"))]));
        assert!(s.malformed.is_empty(), "{:?}", s.malformed);
    }

    #[rstest]
    #[case::header_length_16(&[("tcp.hdr_len", Some("16")), ("tcp.bogus_header_length", Some("1")), ("tcp.flags", None)], Malformed::HeaderLength(16))]
    #[case::header_past_the_segment(&[("tcp.short_segment", Some("1")), ("tcp.window_size_value", None)], Malformed::ShortSegment)]
    fn a_broken_header_is_no_segment(
        #[case] changes: &[(&'static str, Option<&'static str>)],
        #[case] want: Malformed,
    ) {
        let Ok(Packet::BadTcp(b)) = Packet::from_fields(with(changes).as_slice()) else {
            panic!()
        };
        assert_eq!((b.frame, b.malformed), (46, want));
        assert_eq!(b.src, "127.0.0.1:53202".parse().unwrap());
    }

    #[rstest]
    #[case::cut_by_the_snapshot_length(&[("tcp.flags", None), ("tcp.hdr_len", None)], FieldError::CutShort { frame: 46, captured: 256, len: 545 })]
    #[case::missing(&[("tcp.flags", None), ("frame.cap_len", Some("545"))], FieldError::Missing { frame: 46, field: "tcp.flags" })]
    #[case::unreadable(&[("tcp.srcport", Some("70000"))], FieldError::Invalid { frame: 46, field: "tcp.srcport", value: "70000".into() })]
    fn unusable_fields_name_the_frame(
        #[case] changes: &[(&'static str, Option<&'static str>)],
        #[case] want: FieldError,
    ) {
        let err = Packet::from_fields(with(changes).as_slice()).unwrap_err();
        assert_eq!(err, want);
        assert!(err.to_string().starts_with("frame 46: "), "{err}");
    }

    #[test]
    fn a_tunnelled_segment_has_the_inner_addresses() {
        let s = segment(
            &with(&[
                (
                    "frame.protocols",
                    Some("eth:ethertype:ip:udp:vxlan:eth:ethertype:ip:tcp"),
                ),
                ("ip.src", None),
                ("ip.dst", None),
            ])
            .into_iter()
            .chain([
                ("ip.src", "10.1.200.131"),
                ("ip.src", "172.16.11.201"),
                ("ip.dst", "10.1.1.172"),
                ("ip.dst", "54.86.237.188"),
            ])
            .collect::<Vec<_>>(),
        );
        assert_eq!(s.src, "172.16.11.201:53202".parse().unwrap());
        assert_eq!(s.tunnel.unwrap().kind, TunnelKind::Vxlan);
    }

    #[test]
    fn an_empty_inner_udp_payload_is_not_the_tunnels() {
        let f: &[(&str, &str)] = &[
            ("frame.number", "5"),
            (
                "frame.protocols",
                "eth:ethertype:ip:udp:vxlan:eth:ethertype:ip:udp",
            ),
            ("udp.dstport", "4789"),
            ("udp.dstport", "40000"),
            ("udp.payload", "0800000000000100"),
        ];
        let Ok(Packet::Datagram(d)) = Packet::from_fields(f) else {
            panic!()
        };
        assert_eq!((d.dst_port, d.payload.len()), (40000, 0));
    }

    #[test]
    fn udp_carries_its_payload() {
        let f: &[(&str, &str)] = &[
            ("frame.number", "3"),
            ("frame.protocols", "eth:ethertype:ip:udp:data"),
            ("udp.dstport", "40000"),
            ("udp.payload", "7463706c61623a37"),
        ];
        let want = Datagram {
            frame: 3,
            dst_port: 40000,
            payload: b"tcplab:7".to_vec(),
        };
        assert_eq!(Packet::from_fields(f).unwrap(), Packet::Datagram(want));
    }

    #[rstest]
    #[case::quoting_tcp("eth:ethertype:ip:icmp:ip:tcp")]
    #[case::quoting_udp("eth:ethertype:ip:icmp:ip:udp")]
    fn icmp_errors_quote_packets(#[case] protocols: &str) {
        let f = [
            ("frame.number", "9"),
            ("frame.protocols", protocols),
            ("udp.dstport", "53"),
            ("tcp.srcport", "1"),
        ];
        assert_eq!(
            Packet::from_fields(f.as_slice()).unwrap(),
            Packet::IcmpQuote {
                frame: 9,
                icmp: "icmp"
            }
        );
    }
}
