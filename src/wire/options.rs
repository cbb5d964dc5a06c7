//! TCP options from their raw bytes, as tshark prints the one-dot field
//! `tcp.options` (hex, e.g. `020405b40402080ab78dd6b80000000001030307`):
//! tshark's own option fields (`tcp.options.mss_val`, ...) have two dots,
//! and one such field makes tshark print whole packets (see [`super::fields`]).
//!
//! Layout (RFC 9293, 3.1): kinds 0 (end of option list) and 1 (no-operation)
//! are one byte; every other option is kind, length (counting both bytes),
//! then `length - 2` bytes of data. Lengths the RFCs fix are checked:
//! MSS 4 (RFC 9293), window scale 3 and timestamps 10 (RFC 7323), SACK
//! permitted 2 and SACK `2 + 8n` with `n >= 1` blocks (RFC 2018).
//! Options of other kinds are kept as their kind and length. Whatever the
//! bytes, nothing here panics (`tests/props.rs` feeds it random bytes).

use super::seq::SeqNumber;

/// One TCP option.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TcpOption {
    /// Kind 0: end of option list; what follows is padding.
    Eol,
    /// Kind 1: no-operation, used to align later options.
    Nop,
    /// Kind 2: the largest segment the sender can receive.
    Mss(u16),
    /// Kind 3: the sender's window scale shift count, as sent.
    /// RFC 7323 caps the shift at 14; see [`TcpOptions::window_shift`].
    WindowScale(u8),
    /// Kind 4: the sender can receive SACK blocks.
    SackPermitted,
    /// Kind 5: selectively acknowledged blocks, one or more.
    Sack(Vec<SackBlock>),
    /// Kind 8: timestamps.
    Timestamps {
        /// The sender's timestamp clock.
        tsval: u32,
        /// The timestamp echoed back.
        tsecr: u32,
    },
    /// Any other kind, kept as its kind and length byte; its data is skipped.
    Unknown {
        /// The option kind.
        kind: u8,
        /// The length byte: kind, length and data together.
        len: u8,
    },
}

/// A SACK block: the sender holds `left..right` (right edge exclusive).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SackBlock {
    /// First sequence number of the block.
    pub left: SeqNumber,
    /// The sequence number just past the block.
    pub right: SeqNumber,
}

/// Option bytes that do not follow RFC 9293's layout. Every variant names
/// the offset, counted from the first option byte, of the option at fault.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum OptionError {
    /// The last byte is a kind that needs a length byte.
    #[error("option kind {kind} at offset {offset} has no length byte")]
    NoLength {
        /// Offset of the option.
        offset: usize,
        /// Its kind.
        kind: u8,
    },
    /// The length byte is 0 or 1, so the option cannot even hold itself.
    #[error("option kind {kind} at offset {offset} has length {len}, less than 2")]
    TooShort {
        /// Offset of the option.
        offset: usize,
        /// Its kind.
        kind: u8,
        /// The length byte.
        len: u8,
    },
    /// The option runs past the end of the options.
    #[error(
        "option kind {kind} at offset {offset} has length {len} but only {left} bytes are left"
    )]
    PastEnd {
        /// Offset of the option.
        offset: usize,
        /// Its kind.
        kind: u8,
        /// The length byte.
        len: u8,
        /// Bytes from the option's start to the end of the options.
        left: usize,
    },
    /// A kind whose length is fixed by its RFC has another length.
    #[error("option kind {kind} at offset {offset} has length {len}; it must be {expected}")]
    WrongLength {
        /// Offset of the option.
        offset: usize,
        /// Its kind.
        kind: u8,
        /// The length byte.
        len: u8,
        /// What the RFC allows, in words.
        expected: &'static str,
    },
    /// The text given as hex is not hex.
    #[error("the options text is not hex at character {offset}")]
    NotHex {
        /// Offset of the first bad character in the text.
        offset: usize,
    },
}

impl OptionError {
    /// Where the fault is: a byte offset into the options, or for
    /// [`OptionError::NotHex`] a character offset into the text.
    pub fn offset(&self) -> usize {
        match *self {
            OptionError::NoLength { offset, .. }
            | OptionError::TooShort { offset, .. }
            | OptionError::PastEnd { offset, .. }
            | OptionError::WrongLength { offset, .. }
            | OptionError::NotHex { offset } => offset,
        }
    }
}

/// Iterates over the options in `bytes`, stopping after [`TcpOption::Eol`]
/// or after the first error. Never panics, whatever the bytes.
pub fn parse(bytes: &[u8]) -> Iter<'_> {
    Iter { bytes, offset: 0 }
}

/// Every option in `bytes`, or the first error.
pub fn parse_all(bytes: &[u8]) -> Result<Vec<TcpOption>, OptionError> {
    parse(bytes).collect()
}

/// Every option in tshark's hex text for `tcp.options`; `:` between
/// bytes is allowed.
pub fn parse_hex(text: &str) -> Result<Vec<TcpOption>, OptionError> {
    parse_all(&decode_hex(text)?)
}

/// Bytes from hex text such as tshark prints for byte fields: pairs of hex
/// digits, optionally separated by `:`.
pub fn decode_hex(text: &str) -> Result<Vec<u8>, OptionError> {
    let mut out = Vec::with_capacity(text.len() / 2);
    let mut high: Option<u8> = None;
    for (offset, c) in text.char_indices() {
        if c == ':' && high.is_none() {
            continue;
        }
        let digit = c.to_digit(16).ok_or(OptionError::NotHex { offset })? as u8;
        match high.take() {
            None => high = Some(digit),
            Some(h) => out.push(h << 4 | digit),
        }
    }
    match high {
        Some(_) => Err(OptionError::NotHex { offset: text.len() }),
        None => Ok(out),
    }
}

/// The iterator [`parse`] returns.
#[derive(Clone, Debug)]
pub struct Iter<'a> {
    bytes: &'a [u8],
    offset: usize,
}

impl Iterator for Iter<'_> {
    type Item = Result<TcpOption, OptionError>;

    fn next(&mut self) -> Option<Self::Item> {
        let offset = self.offset;
        let rest = self.bytes.get(offset..).filter(|r| !r.is_empty())?;
        let kind = rest[0];
        let (option, used) = match read_one(kind, rest, offset) {
            Ok(found) => found,
            Err(e) => {
                self.offset = self.bytes.len();
                return Some(Err(e));
            }
        };
        self.offset = if option == TcpOption::Eol {
            self.bytes.len()
        } else {
            offset + used
        };
        Some(Ok(option))
    }
}

/// Reads the option of `kind` at the start of `rest`; returns it and the
/// bytes it takes.
fn read_one(kind: u8, rest: &[u8], offset: usize) -> Result<(TcpOption, usize), OptionError> {
    match kind {
        0 => return Ok((TcpOption::Eol, 1)),
        1 => return Ok((TcpOption::Nop, 1)),
        _ => {}
    }
    let &len = rest.get(1).ok_or(OptionError::NoLength { offset, kind })?;
    if len < 2 {
        return Err(OptionError::TooShort { offset, kind, len });
    }
    let data = rest.get(2..usize::from(len)).ok_or(OptionError::PastEnd {
        offset,
        kind,
        len,
        left: rest.len(),
    })?;
    let wrong = |expected| OptionError::WrongLength {
        offset,
        kind,
        len,
        expected,
    };
    let option = match kind {
        2 => TcpOption::Mss(u16::from_be_bytes(data.try_into().map_err(|_| wrong("4"))?)),
        3 => match data {
            &[shift] => TcpOption::WindowScale(shift),
            _ => return Err(wrong("3")),
        },
        4 if data.is_empty() => TcpOption::SackPermitted,
        4 => return Err(wrong("2")),
        5 if !data.is_empty() && data.len() % 8 == 0 => TcpOption::Sack(
            data.chunks_exact(8)
                .map(|b| SackBlock {
                    left: SeqNumber(be32(&b[..4])),
                    right: SeqNumber(be32(&b[4..])),
                })
                .collect(),
        ),
        5 => return Err(wrong("2 + 8n for n >= 1 blocks")),
        8 if data.len() == 8 => TcpOption::Timestamps {
            tsval: be32(&data[..4]),
            tsecr: be32(&data[4..]),
        },
        8 => return Err(wrong("10")),
        _ => TcpOption::Unknown { kind, len },
    };
    Ok((option, usize::from(len)))
}

fn be32(b: &[u8]) -> u32 {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

impl TcpOption {
    /// The option's kind byte.
    pub fn kind(&self) -> u8 {
        match self {
            TcpOption::Eol => 0,
            TcpOption::Nop => 1,
            TcpOption::Mss(_) => 2,
            TcpOption::WindowScale(_) => 3,
            TcpOption::SackPermitted => 4,
            TcpOption::Sack(_) => 5,
            TcpOption::Timestamps { .. } => 8,
            TcpOption::Unknown { kind, .. } => *kind,
        }
    }

    /// Appends the option's wire form to `out`. [`TcpOption::Unknown`]
    /// gets `len - 2` zero bytes of data (none if `len < 2`, which makes
    /// deliberately malformed bytes). SACK lengths past 255 are not checked.
    pub fn write(&self, out: &mut Vec<u8>) {
        match self {
            TcpOption::Eol | TcpOption::Nop => out.push(self.kind()),
            TcpOption::Mss(mss) => {
                out.extend_from_slice(&[2, 4]);
                out.extend_from_slice(&mss.to_be_bytes());
            }
            TcpOption::WindowScale(shift) => out.extend_from_slice(&[3, 3, *shift]),
            TcpOption::SackPermitted => out.extend_from_slice(&[4, 2]),
            TcpOption::Sack(blocks) => {
                out.extend_from_slice(&[5, (2 + 8 * blocks.len()) as u8]);
                for b in blocks {
                    out.extend_from_slice(&b.left.0.to_be_bytes());
                    out.extend_from_slice(&b.right.0.to_be_bytes());
                }
            }
            TcpOption::Timestamps { tsval, tsecr } => {
                out.extend_from_slice(&[8, 10]);
                out.extend_from_slice(&tsval.to_be_bytes());
                out.extend_from_slice(&tsecr.to_be_bytes());
            }
            TcpOption::Unknown { kind, len } => {
                out.extend_from_slice(&[*kind, *len]);
                out.resize(out.len() + usize::from(len.saturating_sub(2)), 0);
            }
        }
    }
}

/// The wire form of `options`, padded with zeros (end of option list) to a
/// multiple of 4 bytes, as a TCP header needs.
pub fn to_bytes(options: &[TcpOption]) -> Vec<u8> {
    let mut out = Vec::new();
    for o in options {
        o.write(&mut out);
    }
    out.resize(out.len().next_multiple_of(4), 0);
    out
}

/// The options tcplab reports, gathered from a list of [`TcpOption`]s.
/// When a kind occurs more than once, the first occurrence counts, except
/// SACK blocks, which are all kept in order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TcpOptions {
    /// Maximum segment size the sender can receive (SYN only).
    pub mss: Option<u16>,
    /// Window scale shift count as sent (SYN only).
    pub window_scale: Option<u8>,
    /// SACK permitted (SYN only).
    pub sack_permitted: bool,
    /// Timestamps option: (TSval, TSecr).
    pub timestamps: Option<(u32, u32)>,
    /// SACK blocks.
    pub sack_blocks: Vec<SackBlock>,
}

impl TcpOptions {
    /// The shift a receiver applies: the window scale option capped at 14
    /// (RFC 7323, 2.3), or `None` without the option.
    pub fn window_shift(&self) -> Option<u8> {
        self.window_scale.map(|s| s.min(14))
    }
}

impl<'a> FromIterator<&'a TcpOption> for TcpOptions {
    fn from_iter<I: IntoIterator<Item = &'a TcpOption>>(iter: I) -> TcpOptions {
        let mut s = TcpOptions::default();
        for o in iter {
            match o {
                TcpOption::Mss(m) => {
                    s.mss.get_or_insert(*m);
                }
                TcpOption::WindowScale(w) => {
                    s.window_scale.get_or_insert(*w);
                }
                TcpOption::SackPermitted => s.sack_permitted = true,
                TcpOption::Sack(blocks) => s.sack_blocks.extend_from_slice(blocks),
                TcpOption::Timestamps { tsval, tsecr } => {
                    s.timestamps.get_or_insert((*tsval, *tsecr));
                }
                TcpOption::Eol | TcpOption::Nop | TcpOption::Unknown { .. } => {}
            }
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use TcpOption::*;
    use rstest::rstest;

    fn block(left: u32, right: u32) -> SackBlock {
        SackBlock {
            left: SeqNumber(left),
            right: SeqNumber(right),
        }
    }

    /// The client's SYN in frame 1 of zeek's tunnels/vxlan-encapsulated-http.pcap.
    const VXLAN_SYN: &str = "020405b40402080ab78dd6b80000000001030307";

    #[test]
    fn vxlan_syn_options() {
        let opts = parse_hex(VXLAN_SYN).unwrap();
        assert_eq!(
            opts,
            [
                Mss(1460),
                SackPermitted,
                Timestamps {
                    tsval: 0xb78d_d6b8,
                    tsecr: 0
                },
                Nop,
                WindowScale(7),
            ]
        );
        let summary: TcpOptions = opts.iter().collect();
        assert_eq!(summary.mss, Some(1460));
        assert_eq!(summary.window_shift(), Some(7));
        assert!(summary.sack_permitted);
        assert_eq!(summary.timestamps, Some((0xb78d_d6b8, 0)));
        assert_eq!(to_bytes(&opts), decode_hex(VXLAN_SYN).unwrap());
    }

    #[rstest]
    // Linux on loopback: MSS 65495, SACK-permitted, timestamps, NOP, WS 10.
    #[case("0204ffd70402080ae76b3b38000000000103030a", &[Mss(65495), SackPermitted, Timestamps { tsval: 0xe76b3b38, tsecr: 0 }, Nop, WindowScale(10)])]
    #[case("0101080ae76b3b388ede3f4c", &[Nop, Nop, Timestamps { tsval: 0xe76b3b38, tsecr: 0x8ede3f4c }])]
    #[case("0101050a0000000100000002", &[Nop, Nop, Sack(vec![block(1, 2)])])]
    #[case("0101051a000000010000000200000003000000040000000500000006", &[Nop, Nop, Sack(vec![block(1, 2), block(3, 4), block(5, 6)])])]
    #[case("02:04:05:b4", &[Mss(1460)])]
    #[case("fe04abcd0100", &[Unknown { kind: 254, len: 4 }, Nop, Eol])]
    // After the end of option list comes padding, whatever it holds.
    #[case("0000ffff", &[Eol])]
    #[case("", &[])]
    fn pinned_options(#[case] hex: &str, #[case] want: &[TcpOption]) {
        assert_eq!(parse_hex(hex).unwrap(), want);
    }

    #[rstest]
    #[case("02", OptionError::NoLength { offset: 0, kind: 2 })]
    #[case("010102", OptionError::NoLength { offset: 2, kind: 2 })]
    #[case("0200", OptionError::TooShort { offset: 0, kind: 2, len: 0 })]
    #[case("01fe01", OptionError::TooShort { offset: 1, kind: 254, len: 1 })]
    #[case("02ff05b4", OptionError::PastEnd { offset: 0, kind: 2, len: 255, left: 4 })]
    // Timestamps cut short, as tshark prints them when the header is truncated.
    #[case("020405b40402080ab78d", OptionError::PastEnd { offset: 6, kind: 8, len: 10, left: 4 })]
    #[case("020305", OptionError::WrongLength { offset: 0, kind: 2, len: 3, expected: "4" })]
    #[case("03040700", OptionError::WrongLength { offset: 0, kind: 3, len: 4, expected: "3" })]
    #[case("040300", OptionError::WrongLength { offset: 0, kind: 4, len: 3, expected: "2" })]
    #[case("0502", OptionError::WrongLength { offset: 0, kind: 5, len: 2, expected: "2 + 8n for n >= 1 blocks" })]
    #[case("0506000000000000", OptionError::WrongLength { offset: 0, kind: 5, len: 6, expected: "2 + 8n for n >= 1 blocks" })]
    #[case("01080600000000", OptionError::WrongLength { offset: 1, kind: 8, len: 6, expected: "10" })]
    #[case("0x02", OptionError::NotHex { offset: 1 })]
    #[case("020", OptionError::NotHex { offset: 3 })]
    fn malformed_options_name_the_offset(#[case] hex: &str, #[case] want: OptionError) {
        let err = parse_hex(hex).unwrap_err();
        assert_eq!(err, want);
        assert!(err.to_string().contains(&want.offset().to_string()));
    }

    #[test]
    fn options_before_an_error_are_still_read() {
        let got: Vec<_> = parse(&decode_hex("0101020305").unwrap()).collect();
        assert_eq!(got.len(), 3);
        assert_eq!(got[..2], [Ok(Nop), Ok(Nop)]);
        assert!(got[2].is_err());
    }

    #[test]
    fn repeated_kinds_keep_the_first_and_every_sack_block() {
        let opts = [
            Mss(1),
            Mss(2),
            Sack(vec![block(1, 2)]),
            Sack(vec![block(3, 4)]),
        ];
        let s: TcpOptions = opts.iter().collect();
        assert_eq!(s.mss, Some(1));
        assert_eq!(s.sack_blocks, [block(1, 2), block(3, 4)]);
        let big = TcpOptions {
            window_scale: Some(15),
            ..TcpOptions::default()
        };
        assert_eq!(big.window_shift(), Some(14));
    }
}
