//! One TCP segment as tshark dissected it: endpoints, flags, raw and tshark's
//! relative sequence numbers, payload length, window and options: what is on
//! the wire. What a segment means within its connection (a retransmission, a
//! duplicate ACK, ...) is the connection's analysis.
//!
//! A [`Segment`] is plain data built from named tshark fields (see
//! [`FieldSource`] and [`super::fields::FIELDS`]), so it can be made from a
//! live capture, a capture file, or a table in a test. Relative numbers that
//! tcplab computes itself belong to the connection the segment joins,
//! because they need that connection's initial sequence numbers.

use std::fmt;
use std::net::{IpAddr, SocketAddr};

use super::fields::{FieldError, FieldSource, opt, parse, req, req_hex};
use super::flags::Flags;
use super::options::TcpOptions;
use super::seq::SeqNumber;

/// One TCP segment, as seen on the wire.
#[derive(Clone, Debug, PartialEq)]
pub struct Segment {
    /// Frame number in the capture (1-based, as Wireshark shows it).
    pub frame: u64,
    /// Capture time, seconds since the Unix epoch.
    pub time: f64,
    /// Sender.
    pub src: SocketAddr,
    /// Receiver.
    pub dst: SocketAddr,
    /// Control bits.
    pub flags: Flags,
    /// Sequence number as on the wire.
    pub seq_raw: SeqNumber,
    /// Acknowledgment number as on the wire (meaningful only with ACK).
    pub ack_raw: SeqNumber,
    /// tshark's relative sequence number (`tcp.seq`), for cross-checking.
    pub tshark_seq: Option<u32>,
    /// tshark's relative acknowledgment number (`tcp.ack`), for cross-checking.
    pub tshark_ack: Option<u32>,
    /// tshark's conversation index (`tcp.stream`).
    pub stream: Option<u32>,
    /// Payload bytes.
    pub len: u32,
    /// Window field as on the wire.
    pub window: u16,
    /// Window after scaling, when tshark knows the scale.
    pub window_scaled: Option<u32>,
    /// Options.
    pub options: TcpOptions,
}

impl Segment {
    /// Builds a segment from tshark's fields for one TCP packet.
    pub fn from_fields<S: FieldSource + ?Sized>(p: &S) -> Result<Segment, FieldError> {
        let frame: u64 = opt(p, 0, "frame.number")?.unwrap_or(0);
        let (src_ip, dst_ip) = match (p.get("ip.src"), p.get("ip.dst")) {
            (Some(s), Some(d)) => (
                parse::<IpAddr>(frame, "ip.src", s)?,
                parse(frame, "ip.dst", d)?,
            ),
            _ => (
                req::<IpAddr>(p, frame, "ipv6.src")?,
                req(p, frame, "ipv6.dst")?,
            ),
        };
        let flags = req_hex(p, frame, "tcp.flags")?;
        let timestamps = match (
            opt::<u32>(p, frame, "tcp.options.timestamp.tsval")?,
            opt::<u32>(p, frame, "tcp.options.timestamp.tsecr")?,
        ) {
            (Some(v), Some(e)) => Some((v, e)),
            _ => None,
        };
        let lefts = p.all("tcp.options.sack_le");
        let rights = p.all("tcp.options.sack_re");
        let mut sack_blocks = Vec::new();
        for (l, r) in lefts.iter().zip(rights.iter()) {
            sack_blocks.push((
                parse(frame, "tcp.options.sack_le", l)?,
                parse(frame, "tcp.options.sack_re", r)?,
            ));
        }
        Ok(Segment {
            frame,
            time: opt(p, frame, "frame.time_epoch")?.unwrap_or(0.0),
            src: SocketAddr::new(src_ip, req(p, frame, "tcp.srcport")?),
            dst: SocketAddr::new(dst_ip, req(p, frame, "tcp.dstport")?),
            flags: Flags::from_bits(flags),
            seq_raw: SeqNumber(req(p, frame, "tcp.seq_raw")?),
            ack_raw: SeqNumber(opt(p, frame, "tcp.ack_raw")?.unwrap_or(0)),
            tshark_seq: opt(p, frame, "tcp.seq")?,
            tshark_ack: opt(p, frame, "tcp.ack")?,
            stream: opt(p, frame, "tcp.stream")?,
            len: opt(p, frame, "tcp.len")?.unwrap_or(0),
            window: opt(p, frame, "tcp.window_size_value")?.unwrap_or(0),
            window_scaled: opt(p, frame, "tcp.window_size")?,
            options: TcpOptions {
                mss: opt(p, frame, "tcp.options.mss_val")?,
                window_scale: opt(p, frame, "tcp.options.wscale.shift")?,
                sack_permitted: p.has("tcp.options.sack_perm"),
                timestamps,
                sack_blocks,
            },
        })
    }

    /// Sequence space the segment occupies: payload, plus one for SYN and
    /// one for FIN (RFC 9293, 3.4).
    pub fn seq_len(&self) -> u64 {
        u64::from(self.len) + u64::from(self.flags.syn()) + u64::from(self.flags.fin())
    }

    /// Whether this is an ACK with no payload, SYN, FIN or RST.
    pub fn is_pure_ack(&self) -> bool {
        self.flags.ack()
            && self.len == 0
            && !self.flags.syn()
            && !self.flags.fin()
            && !self.flags.rst()
    }
}

impl fmt::Display for Segment {
    /// One line in the manner of tshark's summary, with the numbers as on
    /// the wire: `#4 127.0.0.1:53202 → 127.0.0.1:8000 [PSH, ACK] seq_raw=1308990993 ack_raw=3030246237 win=64 len=479`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "#{} {} → {} [{}] seq_raw={} ack_raw={} win={} len={}",
            self.frame,
            self.src,
            self.dst,
            self.flags,
            self.seq_raw,
            self.ack_raw,
            self.window,
            self.len
        )?;
        if let Some(mss) = self.options.mss {
            write!(f, " mss={mss}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    /// Frame 4 of a capture of the seed lab, as tshark 4.0.17 printed it:
    /// the client's 479-byte PSH,ACK.
    const FIRST_DATA: &[(&str, &str)] = &[
        ("frame.number", "4"),
        ("frame.time_epoch", "1795580154.339381000"),
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
        ("tcp.flags", "0x0018"),
        ("tcp.window_size_value", "64"),
        ("tcp.window_size", "65536"),
        ("tcp.options.timestamp.tsval", "1205998607"),
        ("tcp.options.timestamp.tsecr", "2075300783"),
    ];

    #[test]
    fn first_data_segment_reads_every_field() {
        let s = Segment::from_fields(FIRST_DATA).unwrap();
        assert_eq!(s.frame, 4);
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
        assert_eq!(s.options.timestamps, Some((1205998607, 2075300783)));
        assert_eq!(s.options.mss, None);
        assert_eq!(s.seq_len(), 479);
        assert!(!s.is_pure_ack());
    }

    #[test]
    fn sequence_space_of_the_largest_length_does_not_overflow() {
        let mut s = Segment::from_fields(FIRST_DATA).unwrap();
        s.len = u32::MAX;
        s.flags = Flags::SYN | Flags::FIN;
        assert_eq!(s.seq_len(), (1 << 32) + 1);
    }

    #[test]
    fn ipv6_addresses_and_syn_options() {
        let fields: &[(&str, &str)] = &[
            ("ipv6.src", "::1"),
            ("ipv6.dst", "::1"),
            ("tcp.srcport", "40000"),
            ("tcp.dstport", "8000"),
            ("tcp.seq_raw", "7"),
            ("tcp.flags", "0x0002"),
            ("tcp.options.mss_val", "65476"),
            ("tcp.options.wscale.shift", "10"),
            ("tcp.options.sack_perm", ""),
        ];
        let s = Segment::from_fields(fields).unwrap();
        assert_eq!(s.src, "[::1]:40000".parse().unwrap());
        assert_eq!(s.options.mss, Some(65476));
        assert_eq!(s.options.window_scale, Some(10));
        assert!(s.options.sack_permitted);
        assert_eq!(s.seq_len(), 1);
    }

    #[rstest]
    #[case::no_ports(&[("ip.src", "127.0.0.1"), ("ip.dst", "127.0.0.1"), ("tcp.flags", "0x2"), ("tcp.seq_raw", "1")], "tcp.srcport")]
    #[case::no_address(&[("tcp.srcport", "1"), ("tcp.dstport", "2"), ("tcp.flags", "0x2")], "ipv6.src")]
    #[case::no_flags(&[("ip.src", "127.0.0.1"), ("ip.dst", "127.0.0.1"), ("tcp.srcport", "1"), ("tcp.dstport", "2")], "tcp.flags")]
    fn missing_fields_are_named(#[case] fields: &[(&str, &str)], #[case] missing: &str) {
        let err = Segment::from_fields(fields).unwrap_err();
        assert!(
            matches!(err, FieldError::Missing { field, .. } if field == missing),
            "{err}"
        );
    }

    #[rstest]
    #[case("tcp.srcport", "70000")]
    #[case("tcp.flags", "0xzz")]
    #[case("ip.src", "not-an-address")]
    fn unreadable_values_are_named(#[case] field: &str, #[case] bad: &str) {
        let mut fields: Vec<(&str, &str)> = FIRST_DATA
            .iter()
            .filter(|(n, _)| *n != field)
            .copied()
            .collect();
        fields.push((field, bad));
        let err = Segment::from_fields(fields.as_slice()).unwrap_err();
        assert!(err.to_string().contains(bad), "{err}");
    }
}
