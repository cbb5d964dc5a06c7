//! One TCP segment as tshark dissected it: endpoints (of the innermost IP
//! header, and the tunnel around it), flags, raw and tshark's relative
//! sequence numbers, payload length, window and options: what is on the
//! wire. What a segment means within its connection (a retransmission, a
//! duplicate ACK, ...) is the connection's analysis.
//!
//! A [`Segment`] is plain data, so it can be made from a live capture, a
//! capture file ([`super::packet::Packet::from_fields`]), or by hand in a
//! test. Relative numbers that tcplab computes itself belong to the
//! connection the segment joins, because they need its initial sequence
//! numbers.

use std::fmt;
use std::net::SocketAddr;

use super::flags::Flags;
use super::malformed::Malformed;
use super::options::TcpOptions;
use super::seq::SeqNumber;
use super::tunnel::Tunnel;

/// One TCP segment, as seen on the wire.
#[derive(Clone, Debug, PartialEq)]
pub struct Segment {
    /// Frame number in the capture (1-based, as Wireshark shows it).
    pub frame: u64,
    /// Capture time, seconds since the Unix epoch.
    pub time: f64,
    /// Sender: the innermost IP header's source and the TCP source port.
    pub src: SocketAddr,
    /// Receiver: the innermost IP header's destination and the TCP
    /// destination port.
    pub dst: SocketAddr,
    /// How the segment was tunnelled, if it was.
    pub tunnel: Option<Tunnel>,
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
    /// Payload bytes, from the IP length (so right even when the capture
    /// holds fewer).
    pub len: u32,
    /// Window field as on the wire.
    pub window: u16,
    /// Window after scaling; `None` while tshark does not know the scale.
    pub window_scaled: Option<u32>,
    /// The options, parsed from the raw option bytes (those before a fault).
    pub options: TcpOptions,
    /// What is wrong with the packet though its TCP header could be read.
    pub malformed: Vec<Malformed>,
}

impl Segment {
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
        if let Some(t) = &self.tunnel {
            write!(f, " (tunnelled: {t})")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connection::Role;
    use crate::testing::seg;

    #[test]
    fn sequence_space_of_the_largest_length_does_not_overflow() {
        let mut s = seg(1, Role::Client, Flags::SYN | Flags::FIN, 0, 0, u32::MAX);
        s.len = u32::MAX;
        assert_eq!(s.seq_len(), (1 << 32) + 1);
    }

    #[test]
    fn a_segment_shows_as_one_line_with_raw_numbers() {
        let s = seg(4, Role::Client, Flags::PSH | Flags::ACK, 1, 1, 479);
        assert_eq!(
            s.to_string(),
            "#4 127.0.0.1:53202 → 127.0.0.1:8000 [PSH, ACK] seq_raw=4000000001 ack_raw=1001 win=512 len=479"
        );
    }
}
