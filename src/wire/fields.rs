//! The tshark fields tcplab reads from each packet, every one with at most
//! one dot, and where their values come from: a dissected packet, or a
//! table in a test.
//!
//! # Why one dot
//!
//! rtshark passes the field list to tshark as `-e` options only if no name
//! has two or more dots; one such name (`tcp.options.mss_val`,
//! `tcp.analysis.retransmission`) and tshark prints every field of every
//! packet as PDML, some 11 times the XML (133 MB instead of 12 MB for an
//! 8,000-packet capture), which rtshark then filters. So:
//!
//! * the options come from the raw `tcp.options` bytes, parsed by
//!   [`super::options`];
//! * Wireshark's `tcp.analysis.*` flags are computed by tcplab itself, per
//!   connection, in the connection layer (`connection::analysis`);
//! * a malformed TCP or IP header shows in the one-dot expert fields
//!   `tcp.short_segment`, `tcp.bogus_header_length`, `ip.bogus_ip_length`
//!   and `ipv6.plen_exceeds_framing` (`_ws.malformed` has one dot, but
//!   rtshark drops every `_ws.` field).
//!
//! With `-e`, tshark prints each field's occurrences in packet order, and
//! rtshark files each into a layer named after the field's prefix (`ip.src`
//! into `ip`); which occurrence belongs to which header is told by
//! `frame.protocols`, the packet's protocols outermost first (see
//! [`super::layers`]).

use std::str::FromStr;

/// The tshark fields tcplab reads from each packet; none has two dots.
///
/// Grouped by protocol, so that rtshark makes one layer per protocol.
pub const FIELDS: &[&str] = &[
    "frame.number",
    "frame.time_epoch",
    // The packet's protocols, outermost first: finds the innermost IP
    // header, tunnels, and TCP headers quoted by ICMP errors.
    "frame.protocols",
    // On the wire and captured: cap_len < len when the snaplen cut the frame.
    "frame.len",
    "frame.cap_len",
    "ip.src",
    "ip.dst",
    // Expert: the IPv4 total length is below the header's or past the frame.
    "ip.bogus_ip_length",
    "ipv6.src",
    "ipv6.dst",
    // Expert: the IPv6 payload length does not match the frame.
    "ipv6.plen_exceeds_framing",
    "tcp.srcport",
    "tcp.dstport",
    "tcp.stream",
    "tcp.seq",
    "tcp.ack",
    "tcp.seq_raw",
    "tcp.ack_raw",
    "tcp.len",
    "tcp.hdr_len",
    "tcp.flags",
    "tcp.window_size_value",
    "tcp.window_size",
    // -1 while tshark has not seen the handshake, so does not know the scale.
    "tcp.window_size_scalefactor",
    // The raw option bytes, parsed by `wire::options`.
    "tcp.options",
    // Expert: the header is longer than the bytes that follow it.
    "tcp.short_segment",
    // Expert: the header length is below 20.
    "tcp.bogus_header_length",
    "udp.dstport",
    // tshark's UDP conversation: files read by one tshark must share none
    // (`capture::batch`), as they must share no `tcp.stream`.
    "udp.stream",
    // The probes' payload. Not `data.data`: that exists only when no
    // dissector claims the port, and a few ephemeral ports are claimed.
    "udp.payload",
];

/// Where named field values come from: a dissected packet, or a table in a test.
///
/// A field may occur several times in one packet (one `ip.src` per IP
/// header); `all` returns every occurrence in the order tshark printed them.
pub trait FieldSource {
    /// Every value of the field `name`, in the order tshark printed them.
    fn all(&self, name: &str) -> Vec<&str>;

    /// The first value of the field `name`, if the packet has it.
    fn get(&self, name: &str) -> Option<&str> {
        self.all(name).into_iter().next()
    }
}

impl FieldSource for [(&str, &str)] {
    fn all(&self, name: &str) -> Vec<&str> {
        self.iter()
            .filter(|(n, _)| *n == name)
            .map(|(_, v)| *v)
            .collect()
    }
}

/// A field tshark gave that tcplab could not use; every variant names the frame.
#[derive(Clone, PartialEq, Eq, thiserror::Error)]
pub enum FieldError {
    /// A field every TCP segment has is absent.
    #[error("frame {frame}: field `{field}` is missing")]
    Missing {
        /// The frame number, or 0 when unknown.
        frame: u64,
        /// The tshark field name.
        field: &'static str,
    },
    /// A field is present but its text is not what its type allows.
    #[error("frame {frame}: field `{field}` has the unreadable value `{value}`")]
    Invalid {
        /// The frame number, or 0 when unknown.
        frame: u64,
        /// The tshark field name.
        field: &'static str,
        /// The text tshark printed.
        value: String,
    },
    /// A field is absent because the snapshot length cut the frame before it.
    #[error(
        "frame {frame}: cut short by the snapshot length ({captured} of {len} bytes captured) before the TCP header's end"
    )]
    CutShort {
        /// The frame number.
        frame: u64,
        /// Bytes captured (`frame.cap_len`).
        captured: u32,
        /// Bytes on the wire (`frame.len`).
        len: u32,
    },
    /// A field occurs a different number of times than its protocol occurs
    /// in `frame.protocols`, so its values cannot be matched to headers.
    #[error("frame {frame}: `{field}` occurs {count} time(s) for {headers} `{proto}` header(s)")]
    Misaligned {
        /// The frame number.
        frame: u64,
        /// The tshark field name.
        field: &'static str,
        /// How many values it has.
        count: usize,
        /// The protocol it belongs to.
        proto: &'static str,
        /// How many times that protocol is in `frame.protocols`.
        headers: usize,
    },
}

impl FieldError {
    /// The frame the error is about (0 when unknown).
    pub fn frame(&self) -> u64 {
        match *self {
            FieldError::Missing { frame, .. }
            | FieldError::Invalid { frame, .. }
            | FieldError::CutShort { frame, .. }
            | FieldError::Misaligned { frame, .. } => frame,
        }
    }
}

/// Parses one field's text.
pub(crate) fn parse<T: FromStr>(frame: u64, field: &'static str, s: &str) -> Result<T, FieldError> {
    s.trim().parse().map_err(|_| FieldError::Invalid {
        frame,
        field,
        value: s.to_owned(),
    })
}

/// Parses one field's text, if present.
pub(crate) fn parse_opt<T: FromStr>(
    frame: u64,
    field: &'static str,
    s: Option<&str>,
) -> Result<Option<T>, FieldError> {
    s.map(|s| parse(frame, field, s)).transpose()
}

/// Parses a hexadecimal number as tshark prints it (`0x0018`).
pub(crate) fn parse_hex16(frame: u64, field: &'static str, s: &str) -> Result<u16, FieldError> {
    let digits = s.trim().trim_start_matches("0x").trim_start_matches("0X");
    u16::from_str_radix(digits, 16).map_err(|_| FieldError::Invalid {
        frame,
        field,
        value: s.to_owned(),
    })
}

debug_as_display!(FieldError);

#[cfg(test)]
mod tests {
    use super::*;

    /// rtshark keeps tshark in `-e` mode only while no name has two dots.
    #[test]
    fn no_field_has_two_dots() {
        for f in FIELDS {
            assert!(f.matches('.').count() <= 1, "{f} has two dots");
        }
    }

    #[test]
    fn every_error_names_its_frame() {
        let errors = [
            FieldError::Missing {
                frame: 7,
                field: "tcp.flags",
            },
            FieldError::CutShort {
                frame: 7,
                captured: 44,
                len: 74,
            },
        ];
        for e in errors {
            assert_eq!(e.frame(), 7);
            assert!(e.to_string().starts_with("frame 7: "), "{e}");
        }
    }
}
