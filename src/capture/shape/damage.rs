//! What can be wrong inside a capture file whose container is recognised:
//! each kind of damage tshark 4.0 stops on, in words.

use std::fmt;

/// The largest packet tshark 4.0 reads for ordinary link types
/// (`WTAP_MAX_PACKET_SIZE_STANDARD`), in pcap and pcapng alike.
pub const MAX_PACKET: u32 = 262_144;

/// The longest pcapng block tshark 4.0 reads (its `MAX_BLOCK_SIZE`: 32 +
/// 128 MiB + 128 KiB, as its own message says).
pub const PCAPNG_MAX_BLOCK: u32 = 134_348_832;

/// What is wrong with a damaged block or record.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Damage {
    /// A pcapng block's trailing length differs from its leading length
    /// (also how a wrong leading length shows: the trailer is elsewhere).
    LengthMismatch {
        /// The length at the start of the block.
        leading: u32,
        /// The length at its end.
        trailing: u32,
    },
    /// A pcapng block length below the least for its type, or not a
    /// multiple of 4.
    BadLength {
        /// The block's type.
        block_type: u32,
        /// Its length.
        length: u32,
        /// The least length its type allows.
        least: u32,
    },
    /// A packet whose captured length does not fit in its block.
    CapturedTooLong {
        /// The captured length, as the block says.
        captured: u32,
        /// Room for packet data in the block.
        room: u32,
    },
    /// A Section Header Block whose byte-order magic is neither `1a2b3c4d`
    /// nor `4d3c2b1a`.
    UnknownByteOrder {
        /// The four bytes found.
        magic: [u8; 4],
    },
    /// A section whose version is neither 1.0 nor 1.2 (the only ones
    /// tshark 4.0 reads).
    UnsupportedVersion {
        /// Major version.
        major: u16,
        /// Minor version.
        minor: u16,
    },
    /// A packet names an interface its section never described.
    UnknownInterface {
        /// The interface ID in the packet.
        interface: u32,
        /// Interface Description Blocks of the section so far.
        described: u32,
    },
    /// A pcapng block longer than tshark reads ([`PCAPNG_MAX_BLOCK`]).
    BlockTooLarge {
        /// The block's length.
        length: u32,
    },
    /// A Simple Packet Block whose length is not 16 plus its captured
    /// length (the packet's, cut to interface 0's snapshot length) padded
    /// to 4: tshark would read its trailer in the wrong place.
    SimplePacketSize {
        /// The captured length the block implies.
        captured: u32,
        /// The block's length.
        length: u32,
    },
    /// A packet larger than tshark accepts ([`MAX_PACKET`]).
    RecordTooLarge {
        /// Its captured length.
        captured: u32,
    },
    /// The gzip stream itself is corrupt (the decoder's words).
    Gzip(String),
}

impl fmt::Display for Damage {
    /// One clause: `the block's trailing length 12 differs from its leading length 76`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Damage::LengthMismatch { leading, trailing } => write!(
                f,
                "the block's trailing length {trailing} differs from its leading length {leading}"
            ),
            Damage::BadLength {
                block_type,
                length,
                least,
            } => {
                write!(
                    f,
                    "block type 0x{block_type:08x} has length {length}, which is "
                )?;
                if length % 4 != 0 {
                    f.write_str("not a multiple of 4")
                } else {
                    write!(f, "below the least possible, {least}")
                }
            }
            Damage::CapturedTooLong { captured, room } => write!(
                f,
                "the packet claims {captured} captured bytes but its block has room for {room}"
            ),
            Damage::UnknownByteOrder { magic } => write!(
                f,
                "a section header has byte-order magic {}, neither 1a 2b 3c 4d nor 4d 3c 2b 1a",
                super::hex(magic)
            ),
            Damage::UnsupportedVersion { major, minor } => write!(
                f,
                "a section header has version {major}.{minor}, not 1.0 or 1.2"
            ),
            Damage::UnknownInterface {
                interface,
                described,
            } => write!(
                f,
                "a packet names interface {interface} but its section describes {described} interface(s)"
            ),
            Damage::BlockTooLarge { length } => write!(
                f,
                "a block claims {length} bytes, more than the {PCAPNG_MAX_BLOCK} tshark reads"
            ),
            Damage::SimplePacketSize { captured, length } => write!(
                f,
                "a simple packet block of {captured} captured bytes has length {length}, not {}",
                16 + u64::from(*captured).next_multiple_of(4)
            ),
            Damage::RecordTooLarge { captured } => write!(
                f,
                "a packet claims {captured} captured bytes, more than the {MAX_PACKET} tshark reads"
            ),
            Damage::Gzip(why) => write!(f, "the gzip compression is corrupt ({why})"),
        }
    }
}
