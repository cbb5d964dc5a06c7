//! The TCP control bits (RFC 9293, 3.1).

use std::fmt;

/// The TCP control bits, as in the header's flags field (RFC 9293, 3.1).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Flags(u16);

impl Flags {
    /// No more data from sender.
    pub const FIN: Flags = Flags(0x001);
    /// Synchronize sequence numbers.
    pub const SYN: Flags = Flags(0x002);
    /// Reset the connection.
    pub const RST: Flags = Flags(0x004);
    /// Push function.
    pub const PSH: Flags = Flags(0x008);
    /// The acknowledgment field is significant.
    pub const ACK: Flags = Flags(0x010);
    /// The urgent pointer is significant.
    pub const URG: Flags = Flags(0x020);
    /// ECN echo.
    pub const ECE: Flags = Flags(0x040);
    /// Congestion window reduced.
    pub const CWR: Flags = Flags(0x080);
    /// No bit set.
    pub const NONE: Flags = Flags(0);

    const NAMES: [(Flags, &'static str); 8] = [
        (Flags::FIN, "FIN"),
        (Flags::SYN, "SYN"),
        (Flags::RST, "RST"),
        (Flags::PSH, "PSH"),
        (Flags::ACK, "ACK"),
        (Flags::URG, "URG"),
        (Flags::ECE, "ECE"),
        (Flags::CWR, "CWR"),
    ];

    /// The flags of a header's 12-bit flags field (`tcp.flags`).
    pub fn from_bits(bits: u16) -> Flags {
        Flags(bits & 0x0fff)
    }

    /// The bits, as in the header.
    pub fn bits(self) -> u16 {
        self.0
    }

    /// Every bit set here, by its name in Wireshark's spelling (`SYN`, `ACK`, ...).
    pub fn from_name(name: &str) -> Option<Flags> {
        Flags::NAMES
            .iter()
            .find(|(_, n)| n.eq_ignore_ascii_case(name))
            .map(|(f, _)| *f)
    }

    /// Whether every bit of `other` is set here.
    pub fn contains(self, other: Flags) -> bool {
        self.0 & other.0 == other.0
    }

    /// SYN is set.
    pub fn syn(self) -> bool {
        self.contains(Flags::SYN)
    }
    /// ACK is set.
    pub fn ack(self) -> bool {
        self.contains(Flags::ACK)
    }
    /// FIN is set.
    pub fn fin(self) -> bool {
        self.contains(Flags::FIN)
    }
    /// RST is set.
    pub fn rst(self) -> bool {
        self.contains(Flags::RST)
    }
    /// PSH is set.
    pub fn psh(self) -> bool {
        self.contains(Flags::PSH)
    }
}

impl std::ops::BitOr for Flags {
    type Output = Flags;
    fn bitor(self, rhs: Flags) -> Flags {
        Flags(self.0 | rhs.0)
    }
}

impl fmt::Display for Flags {
    /// Wireshark's spelling: `SYN, ACK`, `PSH, ACK`, `FIN, ACK`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for (flag, name) in Flags::NAMES {
            if self.contains(flag) {
                if !first {
                    f.write_str(", ")?;
                }
                f.write_str(name)?;
                first = false;
            }
        }
        if first {
            f.write_str("<none>")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case(Flags::SYN, "SYN")]
    #[case(Flags::SYN | Flags::ACK, "SYN, ACK")]
    #[case(Flags::FIN | Flags::PSH | Flags::ACK, "FIN, PSH, ACK")]
    #[case(Flags::RST | Flags::ACK, "RST, ACK")]
    #[case(Flags::NONE, "<none>")]
    fn flags_display_as_wireshark(#[case] flags: Flags, #[case] text: &str) {
        assert_eq!(flags.to_string(), text);
    }

    #[test]
    fn names_read_back() {
        assert_eq!(Flags::from_name("psh"), Some(Flags::PSH));
        assert_eq!(Flags::from_name("XYZ"), None);
        assert_eq!(Flags::from_bits(0xf012).bits(), 0x012);
    }
}
