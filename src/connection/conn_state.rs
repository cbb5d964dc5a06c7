//! Zeek's `conn_state`, from the two endpoint states, the byte counts and
//! the history (`conn_state` in `scripts/base/protocols/conn/main.zeek`).
//!
//! tcplab's own word for how a connection ended is
//! `verdict::TerminationKind`; this is Zeek's word for the same
//! connection, for comparing the two (they differ by definition where
//! Zeek's rules do: both FINs then a RST is `SF` to Zeek, `reset` to
//! tcplab).

use std::fmt;

use serde::{Deserialize, Serialize};

use super::endpoint::EndpointState::{self, Closed, Inactive, Reset, SynAckSent, SynSent};
use super::zeek::Zeek;
use super::{Connection, Role};

/// Zeek's `conn_state` for a TCP connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ConnState {
    /// A SYN, no reply.
    S0,
    /// Established, not terminated.
    S1,
    /// Normal establishment and termination (both FINs; a RST after both
    /// FINs changes nothing).
    SF,
    /// Attempt rejected: the SYN was answered with RST.
    REJ,
    /// Established; the originator closed, the responder did not.
    S2,
    /// Established; the responder closed, the originator did not.
    S3,
    /// Established; the originator aborted with RST.
    RSTO,
    /// Established; the responder aborted with RST.
    RSTR,
    /// The originator sent a SYN then a RST; no SYN-ACK.
    RSTOS0,
    /// The responder sent a SYN-ACK then a RST; no SYN from the originator.
    RSTRH,
    /// The originator sent a SYN then a FIN; no SYN-ACK ("half open").
    SH,
    /// The responder sent a SYN-ACK then a FIN; no SYN from the originator.
    SHR,
    /// No SYN seen, just midstream traffic.
    OTH,
}

impl ConnState {
    /// As Zeek writes it: `SF`, `REJ`, ...
    pub fn name(self) -> &'static str {
        match self {
            ConnState::S0 => "S0",
            ConnState::S1 => "S1",
            ConnState::SF => "SF",
            ConnState::REJ => "REJ",
            ConnState::S2 => "S2",
            ConnState::S3 => "S3",
            ConnState::RSTO => "RSTO",
            ConnState::RSTR => "RSTR",
            ConnState::RSTOS0 => "RSTOS0",
            ConnState::RSTRH => "RSTRH",
            ConnState::SH => "SH",
            ConnState::SHR => "SHR",
            ConnState::OTH => "OTH",
        }
    }
}

impl fmt::Display for ConnState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// `/^\^?S[^HAFGIQ]*R.*$/`: an originator's SYN then its RST, with nothing
/// from the responder but lower-case letters (Zeek's test for `RSTOS0`).
fn syn_then_rst(history: &str) -> bool {
    let rest = history.strip_prefix('^').unwrap_or(history);
    let Some(rest) = rest.strip_prefix('S') else {
        return false;
    };
    for c in rest.chars() {
        match c {
            'R' => return true,
            'H' | 'A' | 'F' | 'G' | 'I' | 'Q' => return false,
            _ => {}
        }
    }
    false
}

impl Zeek {
    /// Zeek's `conn_state` now.
    pub(super) fn conn_state(&self) -> ConnState {
        let (o, r) = self.states();
        let (os, rs) = (o.state, r.state);
        let (o_inactive, r_inactive) = (os.is_inactive(), rs.is_inactive());
        let nothing_sent = self.bytes(Role::Client) == 0 && self.bytes(Role::Server) == 0;
        match (os, rs) {
            (SynSent | SynAckSent, Reset) => ConnState::REJ,
            (Reset, Reset) if nothing_sent => ConnState::REJ,
            (_, Reset) if o_inactive => ConnState::RSTRH,
            (_, Reset) => ConnState::RSTR,
            (Reset, _) if r_inactive && syn_then_rst(self.history().as_str()) => ConnState::RSTOS0,
            (Reset, _) if r_inactive => ConnState::OTH,
            (Reset, _) => ConnState::RSTO,
            (Closed, Closed) => ConnState::SF,
            (Closed, _) if r_inactive => ConnState::SH,
            (Closed, _) => ConnState::S2,
            (_, Closed) if o_inactive => ConnState::SHR,
            (_, Closed) => ConnState::S3,
            (SynSent, Inactive) => ConnState::S0,
            (EndpointState::Established, EndpointState::Established) => ConnState::S1,
            _ => ConnState::OTH,
        }
    }
}

impl Connection {
    /// Zeek's `conn_state` for this connection as captured.
    pub fn conn_state(&self) -> ConnState {
        self.zeek.conn_state()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connection::group;
    use crate::testing::{four_segment, lab, seg, three_segment};
    use crate::wire::{Flags, Segment};
    use Role::{Client as C, Server as S};
    use rstest::rstest;

    const SYN: Flags = Flags::SYN;
    const ACK: Flags = Flags::ACK;
    const FIN: Flags = Flags::FIN;
    const RST: Flags = Flags::RST;

    fn with(mut segs: Vec<Segment>, more: &[(Role, Flags, u64, u64)]) -> Vec<Segment> {
        for &(from, flags, seq, ack) in more {
            segs.push(seg(segs.len() as u64 + 1, from, flags, seq, ack, 0));
        }
        segs
    }

    #[rstest]
    #[case::four_segment(four_segment(), ConnState::SF)]
    #[case::three_segment(three_segment(), ConnState::SF)]
    // A RST after both FINs changes no state: still SF (tls/imap-starttls).
    #[case::fins_then_rst(with(three_segment(), &[(S, RST, 1861, 0)]), ConnState::SF)]
    #[case::client_fin_then_rst(lab(&[(C, FIN | ACK, 1860, 1860), (C, RST | ACK, 1861, 1860)]), ConnState::RSTO)]
    #[case::seed_client(lab(&[(C, RST | ACK, 1860, 1860)]), ConnState::RSTO)]
    #[case::server_reset(lab(&[(S, RST | ACK, 1860, 1860)]), ConnState::RSTR)]
    #[case::refused(vec![seg(1, C, SYN, 0, 0, 0), seg(2, S, RST | ACK, 0, 1, 0)], ConnState::REJ)]
    #[case::unanswered(vec![seg(1, C, SYN, 0, 0, 0)], ConnState::S0)]
    #[case::syn_then_rst(vec![seg(1, C, SYN, 0, 0, 0), seg(2, C, RST, 1, 0, 0)], ConnState::RSTOS0)]
    #[case::open(lab(&[]), ConnState::S1)]
    #[case::client_closed(lab(&[(C, FIN | ACK, 1860, 1860)]), ConnState::S2)]
    #[case::server_closed(lab(&[(S, FIN | ACK, 1860, 1860)]), ConnState::S3)]
    #[case::midstream(lab(&[]).into_iter().skip(3).collect(), ConnState::OTH)]
    fn conn_state_is_zeeks(#[case] segs: Vec<Segment>, #[case] want: ConnState) {
        let c = &group(segs, None)[0];
        assert_eq!(c.conn_state(), want, "{}", c.history());
    }

    #[rstest]
    #[case("SR", true)]
    #[case("^SaR", true)]
    #[case("STR", true)]
    #[case("SAR", false)]
    #[case("ShR", true)]
    #[case("SHR", false)]
    #[case("S", false)]
    #[case("DR", false)]
    fn rstos0_needs_an_originator_syn_then_rst_and_nothing_upper_case_between(
        #[case] history: &str,
        #[case] want: bool,
    ) {
        assert_eq!(syn_then_rst(history), want);
    }
}
