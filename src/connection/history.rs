//! Zeek's connection history, `conn.log`'s `history` field, letter for
//! letter as Zeek writes it (`scripts/base/protocols/conn/main.zeek` names
//! the letters; `update_history` in
//! `src/packet_analysis/protocol/tcp/TCPSessionAdapter.cc`,
//! `TCP_Endpoint::CheckHistory` and `Session::ScaledHistoryEntry` in
//! `src/session/Session.cc` write them).
//!
//! Upper case comes from the originator (tcplab's client), lower case from
//! the responder (the server). Per packet, by its SYN, FIN and RST bits:
//!
//! - two or more of them: `I` for FIN+RST, else `Q` (SYN+FIN, SYN+RST), once
//!   per direction, and no other flag letter for that packet;
//! - one: `S` (SYN) or `H` (SYN-ACK), `F` (FIN), `R` (RST); each is written
//!   once per direction, and again whenever the same flag comes with another
//!   sequence number than that direction's last one (for a FIN, the number
//!   past its data): a resent SYN, FIN or RST adds nothing;
//! - none: `D` when it carries payload, else `A` when it has ACK; once per
//!   direction. Payload on a SYN, FIN or RST gives no `D`.
//!
//! Counted letters are written at the 1st, 10th, 100th, ... occurrence per
//! direction: `T` a segment with payload that does not reach past the
//! highest sequence number its sender had sent (a retransmission, or a
//! segment out of order; a resent SYN, SYN-ACK or FIN carries none and is
//! no `T`), `W` a zero window (not on a RST, nor after the peer's FIN),
//! `G` a content gap (bytes the peer acknowledged that were never captured,
//! once both ends are established; see [`super::gaps`]), `C` a bad checksum
//! (tcplab does not verify checksums, so never writes it).
//!
//! `^` means Zeek made the other end the originator: first in the history
//! when the first packet came from a likely server port
//! ([`super::ports`]), `^h` when the history was `H` (a capture that began
//! with a SYN-ACK) and the first pure ACK or data arrived, and after the
//! letters when a SYN answers a SYN-ACK with the same initial sequence
//! number (the two were captured in reverse order).

use std::fmt;

use super::Role;
use super::zeek::Zeek;
use crate::wire::Flags;

/// A history letter, as the originator writes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Letter {
    /// `S`: a SYN without ACK.
    Syn,
    /// `H`: a SYN-ACK.
    SynAck,
    /// `A`: a pure ACK.
    Ack,
    /// `D`: payload.
    Data,
    /// `F`: a FIN.
    Fin,
    /// `R`: a RST.
    Rst,
    /// `I`: FIN and RST in one packet.
    FinRst,
    /// `Q`: SYN with FIN or RST in one packet.
    MultiFlag,
    /// `T`: payload sent again (counted: 1st, 10th, 100th, ...).
    Retransmission,
    /// `W`: a zero window (counted).
    ZeroWindow,
    /// `G`: a content gap (counted).
    Gap,
}

impl Letter {
    /// The letter as the originator writes it.
    pub fn upper(self) -> char {
        match self {
            Letter::Syn => 'S',
            Letter::SynAck => 'H',
            Letter::Ack => 'A',
            Letter::Data => 'D',
            Letter::Fin => 'F',
            Letter::Rst => 'R',
            Letter::FinRst => 'I',
            Letter::MultiFlag => 'Q',
            Letter::Retransmission => 'T',
            Letter::ZeroWindow => 'W',
            Letter::Gap => 'G',
        }
    }

    /// The letter as `role` writes it: upper case for the client
    /// (originator), lower case for the server.
    pub fn of(self, role: Role) -> char {
        match role {
            Role::Client => self.upper(),
            Role::Server => self.upper().to_ascii_lowercase(),
        }
    }

    /// The bit recording that one direction wrote this once-per-direction
    /// letter (`HIST_*`, `TCP_Endpoint.h`; S and H share one). Responder
    /// bits are the originator's shifted by 16.
    fn bit(self, role: Role) -> u32 {
        let bit = match self {
            Letter::Syn | Letter::SynAck => 0x1,
            Letter::Fin => 0x2,
            Letter::Rst => 0x4,
            Letter::FinRst => 0x8,
            Letter::Data => 0x10,
            Letter::Ack => 0x20,
            Letter::MultiFlag => 0x40,
            Letter::Retransmission | Letter::ZeroWindow | Letter::Gap => 0,
        };
        match role {
            Role::Client => bit,
            Role::Server => bit << 16,
        }
    }
}

/// A connection's history: the letters so far. Displays as Zeek writes it
/// (`ShADadFf` for the lab).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct History {
    text: String,
    /// Which once-per-direction letters were written, by the role that
    /// wrote them at the time (Zeek's `hist_seen`: not swapped on a flip).
    seen: u32,
}

impl History {
    /// The letters.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Writes `letter` for `role` unless that role wrote it before
    /// (`Session::CheckHistory`); says whether it had.
    pub(crate) fn once(&mut self, letter: Letter, role: Role) -> bool {
        let bit = letter.bit(role);
        if self.seen & bit != 0 {
            return true;
        }
        self.seen |= bit;
        self.text.push(letter.of(role));
        false
    }

    /// Writes `letter` for `role` (`AddHistory`).
    pub(crate) fn push(&mut self, letter: Letter, role: Role) {
        self.text.push(letter.of(role));
    }

    /// Writes `^`: the roles were flipped.
    pub(crate) fn flipped(&mut self) {
        self.text.push('^');
    }

    /// Whether the history is exactly `H`: a capture that began with a
    /// SYN-ACK, and nothing else written since.
    pub(crate) fn is_lone_syn_ack(&self) -> bool {
        self.text == "H"
    }

    /// Replaces a lone `H` by `^h`, after the roles were flipped.
    pub(crate) fn restart_as_flipped_syn_ack(&mut self) {
        self.text.clear();
        self.text.push('^');
        self.text.push(Letter::SynAck.of(Role::Server));
    }
}

impl fmt::Display for History {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl PartialEq<&str> for History {
    fn eq(&self, other: &&str) -> bool {
        self.text == *other
    }
}

impl PartialEq<str> for History {
    fn eq(&self, other: &str) -> bool {
        self.text == other
    }
}

/// A counter whose letter is written at the 1st, 10th, 100th, ...
/// occurrence (`Session::ScaledHistoryEntry`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Scaled {
    count: u32,
    threshold: u32,
}

impl Default for Scaled {
    fn default() -> Scaled {
        Scaled {
            count: 0,
            threshold: 1,
        }
    }
}

impl Scaled {
    /// Counts one occurrence; whether its letter is written now.
    pub fn hit(&mut self) -> bool {
        self.count = self.count.wrapping_add(1);
        if self.count != self.threshold {
            return false;
        }
        match self.threshold.checked_mul(10) {
            Some(next) => self.threshold = next,
            // Past u32: Zeek starts counting again at the same threshold.
            None => self.count = 0,
        }
        true
    }
}

/// Which counted letter an endpoint hit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Counted {
    Retransmission,
    ZeroWindow,
    Gap,
}

impl Zeek {
    /// Writes the flag letters of one packet from endpoint `e`
    /// (`update_history`, `TCPSessionAdapter.cc`), `rel_seq` its sequence
    /// number relative to its sender's start and `len` its payload.
    pub(super) fn record_letters(&mut self, e: usize, flags: Flags, rel_seq: u64, len: u32) {
        let controls = u8::from(flags.syn()) + u8::from(flags.fin()) + u8::from(flags.rst());
        if controls > 1 {
            let letter = if flags.fin() && flags.rst() {
                Letter::FinRst
            } else {
                Letter::MultiFlag
            };
            self.once(e, letter);
            return;
        }
        if flags.syn() {
            let letter = if flags.ack() {
                Letter::SynAck
            } else {
                Letter::Syn
            };
            let last = self.ends[e].last_syn;
            self.again_if_moved(e, letter, rel_seq, last);
            self.ends[e].last_syn = rel_seq;
        } else if flags.fin() {
            // A FIN's number is the one past its data.
            let at = rel_seq.wrapping_add(u64::from(len));
            let last = self.ends[e].last_fin;
            self.again_if_moved(e, Letter::Fin, at, last);
            self.ends[e].last_fin = at;
        } else if flags.rst() {
            let last = self.ends[e].last_rst;
            self.again_if_moved(e, Letter::Rst, rel_seq, last);
            self.ends[e].last_rst = rel_seq;
        } else if len > 0 {
            self.once(e, Letter::Data);
        } else if flags.ack() {
            self.once(e, Letter::Ack);
        }
    }

    /// Writes `letter` once for `e`, and again if `e` wrote it before with
    /// another number than `at`.
    fn again_if_moved(&mut self, e: usize, letter: Letter, at: u64, last: u64) {
        if self.once(e, letter) && at != last {
            self.history.push(letter, self.role_of(e));
        }
    }

    /// `TCP_Endpoint::CheckHistory`: a pure ACK or data after a lone
    /// SYN-ACK first flips the roles (the SYN-ACK's receiver was the
    /// originator) and rewrites the history as `^h`.
    fn once(&mut self, e: usize, letter: Letter) -> bool {
        if matches!(letter, Letter::Ack | Letter::Data) && self.history.is_lone_syn_ack() {
            self.flip_roles();
            self.history.restart_as_flipped_syn_ack();
            self.first_seen[0] = true;
        }
        self.history.once(letter, self.role_of(e))
    }

    /// Counts a `T`, `W` or `G` for endpoint `e` and writes its letter at
    /// the 1st, 10th, 100th, ... time.
    pub(super) fn count(&mut self, e: usize, which: Counted) {
        let end = &mut self.ends[e];
        let (hit, letter) = match which {
            Counted::Retransmission => (end.retransmissions.hit(), Letter::Retransmission),
            Counted::ZeroWindow => (end.zero_windows.hit(), Letter::ZeroWindow),
            Counted::Gap => (end.gaps.hit(), Letter::Gap),
        };
        if hit {
            self.history.push(letter, self.role_of(e));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connection::group;
    use crate::testing::{four_segment, lab, resend, seg};
    use crate::wire::Segment;
    use Role::{Client as C, Server as S};
    use rstest::rstest;

    const SYN: Flags = Flags::SYN;
    const ACK: Flags = Flags::ACK;
    const FIN: Flags = Flags::FIN;
    const RST: Flags = Flags::RST;
    const PSH: Flags = Flags::PSH;

    fn history(segs: Vec<Segment>) -> String {
        let conns = group(segs, None);
        assert_eq!(conns.len(), 1, "one connection");
        conns[0].history().to_string()
    }

    fn window(mut s: Segment, w: u16) -> Segment {
        s.window = w;
        s
    }

    #[test]
    fn a_counted_letter_comes_at_the_1st_10th_100th_1000th() {
        let mut s = Scaled::default();
        let when: Vec<u32> = (1..=1000).filter(|_| s.hit()).collect();
        assert_eq!(when, vec![1, 10, 100, 1000]);
    }

    #[rstest]
    #[case(Letter::Syn, Role::Client, 'S')]
    #[case(Letter::SynAck, Role::Server, 'h')]
    #[case(Letter::Retransmission, Role::Server, 't')]
    #[case(Letter::FinRst, Role::Client, 'I')]
    fn letters_are_upper_case_for_the_originator(
        #[case] letter: Letter,
        #[case] role: Role,
        #[case] want: char,
    ) {
        assert_eq!(letter.of(role), want);
    }

    #[test]
    fn syn_and_syn_ack_share_one_bit_per_direction() {
        let mut h = History::default();
        assert!(!h.once(Letter::Syn, Role::Client));
        assert!(h.once(Letter::SynAck, Role::Client));
        assert!(!h.once(Letter::SynAck, Role::Server));
        assert_eq!(h.as_str(), "Sh");
    }

    #[rstest]
    // The lab: each letter once per direction.
    #[case::the_lab(four_segment(), "ShADadFf")]
    // A SYN, SYN-ACK or FIN sent again carries no payload: no T, and with
    // the same number no second S, H or F (ssh.pcap, 192.168.2.1:56821).
    #[case::a_resent_syn(resend(four_segment(), 0), "ShADadFf")]
    #[case::a_resent_syn_ack(resend(four_segment(), 1), "ShADadFf")]
    #[case::a_resent_fin(resend(four_segment(), 9), "ShADadFf")]
    // Payload sent again is a T, once per direction at first.
    #[case::resent_data(resend(four_segment(), 3), "ShADTadFf")]
    #[case::resent_server_data(resend(four_segment(), 5), "ShADadtFf")]
    // A FIN with another number than the last is written again.
    #[case::a_fin_that_moved(lab(&[(C, FIN | ACK, 1860, 1860), (C, FIN | ACK, 1861, 1860)]), "ShADadFF")]
    // Payload on a FIN gives no D.
    #[case::data_on_a_fin(vec![seg(1, C, SYN, 0, 0, 0), seg(2, S, SYN | ACK, 0, 1, 0), seg(3, C, FIN | ACK, 1, 1, 5)], "ShF")]
    // A SYN with data (TCP Fast Open): its end is where Zeek starts the
    // sender's numbers, so its payload reaches nothing new: Zeek's T.
    #[case::a_syn_with_data(vec![seg(1, C, SYN, 0, 0, 10)], "ST")]
    // Two control bits in one packet: Q (SYN+FIN, SYN+RST) or I (FIN+RST).
    #[case::syn_fin(vec![seg(1, C, SYN | FIN, 0, 0, 0)], "Q")]
    #[case::fin_rst(vec![seg(1, C, SYN, 0, 0, 0), seg(2, C, FIN | RST, 1, 0, 0)], "SI")]
    #[case::rst_refusing_a_syn(vec![seg(1, C, SYN, 0, 0, 0), seg(2, S, RST | ACK, 0, 1, 0)], "Sr")]
    // A zero window is W, but not on a RST.
    #[case::zero_window(lab(&[(S, ACK, 1860, 1860)]).into_iter().enumerate().map(|(i, s)| if i == 9 { window(s, 0) } else { s }).collect(), "ShADadw")]
    #[case::zero_window_on_a_rst(lab(&[(S, RST, 1860, 0)]).into_iter().enumerate().map(|(i, s)| if i == 9 { window(s, 0) } else { s }).collect(), "ShADadr")]
    fn the_letters_follow_zeek(#[case] segs: Vec<Segment>, #[case] want: &str) {
        assert_eq!(history(segs), want);
    }

    /// The original and twelve copies of the same 5 bytes: `T` at the 1st
    /// and the 10th retransmission, not at every one.
    #[test]
    fn t_is_written_at_the_1st_and_10th_retransmission() {
        let mut segs = vec![
            seg(1, C, SYN, 0, 0, 0),
            seg(2, S, SYN | ACK, 0, 1, 0),
            seg(3, C, ACK, 1, 1, 0),
        ];
        for i in 0..13 {
            segs.push(seg(4 + i, C, PSH | ACK, 1, 1, 5));
        }
        assert_eq!(history(segs), "ShADTT");
    }

    /// A segment that arrives after a later one reaches no new number: a
    /// `T`, though it was never sent before on the capture.
    #[test]
    fn data_out_of_order_is_a_t() {
        let segs = vec![
            seg(1, C, SYN, 0, 0, 0),
            seg(2, S, SYN | ACK, 0, 1, 0),
            seg(3, C, ACK, 1, 1, 0),
            seg(4, C, ACK, 11, 1, 10),
            seg(5, C, ACK, 1, 1, 10),
        ];
        assert_eq!(history(segs), "ShADT");
    }

    /// The segments with the server on port 9000, which Zeek does not
    /// take for a server's (8000 is one of its likely server ports).
    fn on_port_9000(mut segs: Vec<Segment>) -> Vec<Segment> {
        for s in &mut segs {
            for a in [&mut s.src, &mut s.dst] {
                if a.port() == 8000 {
                    a.set_port(9000);
                }
            }
        }
        segs
    }

    /// A capture that begins with the SYN-ACK: Zeek first takes its sender
    /// for the originator (`H`), then flips the roles at the first pure
    /// ACK: `^h`, and the SYN-ACK's receiver is the client.
    #[test]
    fn a_capture_starting_with_the_syn_ack_flips_at_the_first_ack() {
        let segs: Vec<Segment> = on_port_9000(four_segment()).into_iter().skip(1).collect();
        let alone = &group(segs[..1].to_vec(), None)[0];
        assert_eq!(alone.history(), "H");
        assert_eq!(alone.client, segs[0].src);
        let c = &group(segs.clone(), None)[0];
        assert_eq!(c.history(), "^hADadFf");
        assert_eq!(c.client, segs[0].dst);
        assert_eq!((c.steps[0].from, c.steps[1].from), (S, C));
        // From a likely server port the flip comes at once, with the same end.
        let c = &group(four_segment().into_iter().skip(1), None)[0];
        assert_eq!(c.history(), "^hADadFf");
    }

    /// Midstream, data from a likely server port (80): Zeek makes its
    /// receiver the originator at once, `^` first.
    #[test]
    fn data_from_a_likely_server_port_flips_at_once() {
        let mut s = seg(1, S, PSH | ACK, 1, 1, 100);
        s.src.set_port(80);
        let c = &group(vec![s.clone()], None)[0];
        assert_eq!(c.history(), "^d");
        assert_eq!(c.server, s.src);
    }

    /// A SYN-ACK captured before the SYN it answers, on a port Zeek does
    /// not know: its sender is the originator (`H`) until the SYN comes
    /// (`s`), then Zeek flips the roles (`^`).
    #[test]
    fn a_syn_after_its_syn_ack_flips_the_roles() {
        let mut segs = on_port_9000(four_segment());
        segs.swap(0, 1);
        let c = &group(segs.clone(), None)[0];
        assert_eq!(c.history(), "Hs^ADadFf");
        assert_eq!(c.client, segs[1].src);
    }
}
