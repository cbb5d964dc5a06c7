//! What in a well-formed pcap file a pcapng stream cannot say the same way:
//! such a file is read by a tshark of its own, never re-encoded into a
//! stream of several files (`capture::batch`).

use std::fmt;

/// Something in a pcap file's header or records that tshark reads in a way
/// an Enhanced Packet Block would not repeat exactly.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PcapQuirk {
    /// A version other than 2.4.
    Version {
        /// Major version.
        major: u16,
        /// Minor version.
        minor: u16,
    },
    /// A time zone offset other than 0 (`thiszone`).
    TimeZone(i32),
    /// Bits above the 16 of the link type (an FCS length, reserved bits).
    LinkTypeFlags(u32),
    /// A record whose fraction of a second is a second or more.
    Fraction {
        /// The frame.
        frame: u64,
    },
    /// A record with more bytes captured than were on the wire.
    CapturedPastLength {
        /// The frame.
        frame: u64,
    },
    /// A record with more bytes captured than the snapshot length.
    CapturedPastSnaplen {
        /// The frame.
        frame: u64,
    },
}

impl fmt::Display for PcapQuirk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PcapQuirk::Version { major, minor } => write!(f, "pcap version {major}.{minor}"),
            PcapQuirk::TimeZone(z) => write!(f, "a time zone offset of {z} s"),
            PcapQuirk::LinkTypeFlags(n) => write!(f, "link type field {n:#010x}"),
            PcapQuirk::Fraction { frame } => {
                write!(
                    f,
                    "frame {frame}'s fraction of a second is a second or more"
                )
            }
            PcapQuirk::CapturedPastLength { frame } => {
                write!(f, "frame {frame} has more bytes captured than sent")
            }
            PcapQuirk::CapturedPastSnaplen { frame } => {
                write!(f, "frame {frame} is longer than the snapshot length")
            }
        }
    }
}
