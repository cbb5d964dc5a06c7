//! Tunnels: a TCP segment that reached the capture point inside another
//! packet (GRE, VXLAN, Geneve, GTP-U, AYIYA, Teredo, or IP directly in IP).
//! The segment is reported with the innermost IP header that carries it; the
//! tunnel says through what, and between which outer addresses.

use std::fmt;
use std::net::IpAddr;

use serde::{Deserialize, Serialize};

/// How a TCP segment was carried inside another packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tunnel {
    /// The kind of tunnel.
    pub kind: TunnelKind,
    /// Source of the IP header that encloses the innermost one.
    pub outer_src: IpAddr,
    /// Destination of the IP header that encloses the innermost one.
    pub outer_dst: IpAddr,
    /// IP headers before the innermost one: 1 for a single tunnel.
    pub depth: usize,
}

/// The tunnels tcplab recognises by name; any other is [`TunnelKind::Other`].
///
/// The names (`Display`, JSON) are lower case: `vxlan`, `gre`, `6in4`, ...
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TunnelKind {
    /// IPv4 directly in IPv4 (IP protocol 4).
    IpInIp,
    /// IPv6 directly in IPv4 (IP protocol 41: 6in4, 6to4, ISATAP).
    #[serde(rename = "6in4")]
    SixInFour,
    /// IPv4 directly in IPv6.
    #[serde(rename = "4in6")]
    FourInSix,
    /// IPv6 directly in IPv6.
    #[serde(rename = "6in6")]
    SixInSix,
    /// Generic Routing Encapsulation (RFC 2784).
    Gre,
    /// VXLAN (RFC 7348, UDP 4789).
    Vxlan,
    /// Geneve (RFC 8926, UDP 6081).
    Geneve,
    /// GTP-U (UDP 2152).
    Gtp,
    /// Teredo (RFC 4380, UDP 3544, or any port by tshark's heuristic).
    Teredo,
    /// AYIYA (UDP 5072).
    Ayiya,
    /// Anything else that puts an IP header inside another.
    Other,
}

impl TunnelKind {
    /// Names the tunnel from the IP header outside (`ip` or `ipv6`), the
    /// protocols between it and the inner one (as in `frame.protocols`), and
    /// the inner IP header.
    pub fn classify(outer: &str, between: &[&str], inner: &str) -> TunnelKind {
        const NAMED: [(&str, TunnelKind); 6] = [
            ("gre", TunnelKind::Gre),
            ("vxlan", TunnelKind::Vxlan),
            ("geneve", TunnelKind::Geneve),
            ("gtp", TunnelKind::Gtp),
            ("teredo", TunnelKind::Teredo),
            ("ayiya", TunnelKind::Ayiya),
        ];
        if between.is_empty() {
            return match (outer, inner) {
                ("ip", "ip") => TunnelKind::IpInIp,
                ("ip", _) => TunnelKind::SixInFour,
                (_, "ip") => TunnelKind::FourInSix,
                _ => TunnelKind::SixInSix,
            };
        }
        NAMED
            .iter()
            .find(|(name, _)| between.contains(name))
            .map_or(TunnelKind::Other, |&(_, kind)| kind)
    }

    /// The kind's name, as in JSON: `vxlan`, `gre`, `ip_in_ip`, `6in4`, ...
    pub fn name(self) -> &'static str {
        match self {
            TunnelKind::IpInIp => "ip_in_ip",
            TunnelKind::SixInFour => "6in4",
            TunnelKind::FourInSix => "4in6",
            TunnelKind::SixInSix => "6in6",
            TunnelKind::Gre => "gre",
            TunnelKind::Vxlan => "vxlan",
            TunnelKind::Geneve => "geneve",
            TunnelKind::Gtp => "gtp",
            TunnelKind::Teredo => "teredo",
            TunnelKind::Ayiya => "ayiya",
            TunnelKind::Other => "other",
        }
    }
}

impl fmt::Display for TunnelKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl fmt::Display for Tunnel {
    /// `vxlan, outer 10.1.200.131 <-> 10.1.1.172`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}, outer {} <-> {}",
            self.kind, self.outer_src, self.outer_dst
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case("ip", &[], "ip", TunnelKind::IpInIp)]
    #[case("ip", &[], "ipv6", TunnelKind::SixInFour)]
    #[case("ipv6", &[], "ip", TunnelKind::FourInSix)]
    #[case("ipv6", &[], "ipv6", TunnelKind::SixInSix)]
    #[case("ip", &["gre"], "ip", TunnelKind::Gre)]
    #[case("ip", &["udp", "vxlan", "eth", "ethertype"], "ip", TunnelKind::Vxlan)]
    #[case("ip", &["udp", "teredo"], "ipv6", TunnelKind::Teredo)]
    #[case("ip", &["udp", "l2tp", "ppp"], "ip", TunnelKind::Other)]
    fn tunnels_are_named_from_the_protocols_between(
        #[case] outer: &str,
        #[case] between: &[&str],
        #[case] inner: &str,
        #[case] want: TunnelKind,
    ) {
        assert_eq!(TunnelKind::classify(outer, between, inner), want);
    }

    #[test]
    fn json_and_display_use_one_name() {
        for kind in [TunnelKind::Vxlan, TunnelKind::SixInFour, TunnelKind::IpInIp] {
            let json = serde_json::to_string(&kind).unwrap();
            assert_eq!(json, format!("\"{kind}\""));
            assert_eq!(serde_json::from_str::<TunnelKind>(&json).unwrap(), kind);
        }
    }
}
