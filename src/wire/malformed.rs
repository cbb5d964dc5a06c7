//! What can be wrong with a packet's TCP or IP header, as tshark's one-dot
//! expert fields and the options parser tell.

use super::options::OptionError;

/// A fault in a packet's TCP or IP header.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Malformed {
    /// The TCP data offset gives a header shorter than 20 bytes
    /// (`tcp.bogus_header_length`): nothing after the ports can be trusted.
    #[error("the TCP header length is {0} bytes, below the minimum of 20")]
    HeaderLength(u8),
    /// The TCP header is longer than the bytes that follow the IP header
    /// (`tcp.short_segment`). When tshark still read every header field
    /// tcplab uses, the segment is kept with this note: the shortfall is
    /// tshark's framing (a trailer taken for a frame check sequence).
    #[error("the TCP header is longer than the segment that carries it")]
    ShortSegment,
    /// The option bytes break RFC 9293's layout; the options before the
    /// fault are kept.
    #[error("bad TCP options: {0}")]
    Options(OptionError),
    /// An IP header's length does not fit the packet: shorter than the
    /// header itself, or longer than what follows it
    /// (`ip.bogus_ip_length`, `ipv6.plen_exceeds_framing`).
    #[error("an IP header's length does not fit the packet")]
    IpLength,
}
