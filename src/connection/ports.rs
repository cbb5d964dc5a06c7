//! Who is the client of a connection whose first packet is not a bare SYN:
//! Zeek's choice (`TCPAnalyzer::WantConnection`,
//! `src/packet_analysis/protocol/tcp/TCP.cc`), by its likely server ports.
//!
//! The sender of the first packet is the client (Zeek's originator) unless
//! its source port is a likely server port and the destination port is not;
//! when both are, the sender is made the server only if the packet is not a
//! SYN-ACK and its port is the lower. A port the user names as the server's
//! (`--port`) decides first.

use std::net::SocketAddr;

use crate::wire::Segment;

/// Zeek's `likely_server_ports` for TCP with its default scripts loaded:
/// every port an analyzer registers for (`Analyzer::register_for_ports`
/// under `scripts/base/protocols`, added to `likely_server_ports` by
/// `scripts/base/frameworks/analyzer/main.zeek`).
pub const LIKELY_SERVER_PORTS: &[u16] = &[
    21, 22, 25, 53, 79, 80, 81, 88, 135, 139, 143, 389, 443, 445, 465, 502, 514, 563, 585, 587,
    614, 631, 636, 989, 990, 992, 993, 995, 1080, 1434, 1883, 2811, 3128, 3268, 3306, 3389, 5222,
    5223, 5269, 5432, 6379, 6666, 6667, 6668, 6669, 8000, 8080, 8888, 20000,
];

/// Whether `port` is one of Zeek's likely server ports.
pub fn is_likely_server_port(port: u16) -> bool {
    LIKELY_SERVER_PORTS.binary_search(&port).is_ok()
}

/// The client and server of a connection that begins with `first`, and
/// whether the client is its receiver (Zeek writes `^` first then).
/// `server_port` is the server's port when the user named it.
pub fn roles(first: &Segment, server_port: Option<u16>) -> (SocketAddr, SocketAddr, bool) {
    let f = first.flags;
    let (sport, dport) = (first.src.port(), first.dst.port());
    let flip = if f.syn() && !f.ack() {
        false
    } else if server_port == Some(sport) || server_port == Some(dport) {
        server_port == Some(sport)
    } else if is_likely_server_port(sport) {
        !is_likely_server_port(dport) || (!f.syn() && sport < dport)
    } else {
        false
    };
    if flip {
        (first.dst, first.src, true)
    } else {
        (first.src, first.dst, false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connection::Role;
    use crate::testing::seg;
    use crate::wire::Flags;
    use rstest::rstest;

    fn from_ports(flags: Flags, sport: u16, dport: u16) -> Segment {
        let mut s = seg(1, Role::Client, flags, 1, 1, 0);
        s.src.set_port(sport);
        s.dst.set_port(dport);
        s
    }

    #[test]
    fn the_list_is_sorted_for_the_search() {
        assert!(LIKELY_SERVER_PORTS.windows(2).all(|w| w[0] < w[1]));
    }

    #[rstest]
    #[case::a_bare_syn_from_port_80(Flags::SYN, 80, 40000, None, false)]
    #[case::data_from_port_80(Flags::ACK, 80, 40000, None, true)]
    #[case::data_to_port_80(Flags::ACK, 40000, 80, None, false)]
    #[case::a_syn_ack_from_port_443(Flags::SYN | Flags::ACK, 443, 56960, None, true)]
    #[case::a_syn_ack_from_an_unknown_port(Flags::SYN | Flags::ACK, 9000, 56960, None, false)]
    // Both likely: the lower port is the server's, but never for a SYN-ACK.
    #[case::both_likely(Flags::ACK, 80, 8080, None, true)]
    #[case::both_likely_higher(Flags::ACK, 8080, 80, None, false)]
    #[case::both_likely_syn_ack(Flags::SYN | Flags::ACK, 80, 8080, None, false)]
    #[case::the_named_port_decides(Flags::ACK, 40000, 80, Some(40000), true)]
    fn the_first_packet_names_the_client(
        #[case] flags: Flags,
        #[case] sport: u16,
        #[case] dport: u16,
        #[case] server_port: Option<u16>,
        #[case] flipped: bool,
    ) {
        let s = from_ports(flags, sport, dport);
        let (client, server, f) = roles(&s, server_port);
        assert_eq!(f, flipped);
        let want = if flipped { dport } else { sport };
        assert_eq!(client.port(), want);
        assert_eq!(server.port(), if flipped { sport } else { dport });
    }
}
