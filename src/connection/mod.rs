//! TCP connections: segments grouped into connections as Zeek groups them,
//! with client and server roles and relative sequence numbers computed by
//! tcplab itself.
//!
//! Roles are Zeek's (its originator is tcplab's client): the sender of a
//! SYN without ACK is the client (RFC 9293, 3.5). A connection whose first
//! packet is anything else gets its client from the ports ([`ports`]), and
//! Zeek may flip the roles later: when a capture that began with a SYN-ACK
//! shows its first pure ACK or data, the SYN-ACK's receiver becomes the
//! client (history `^h`). One 4-tuple can hold several connections, one
//! after another, split as Zeek splits them ([`tracker`], [`timers`]).
//!
//! Relative numbers follow Wireshark's convention: the initial sequence
//! number (ISN) of each side is 0, so the first data byte is 1. Without a SYN
//! the base is the first sequence number seen minus one. Unlike Wireshark's,
//! they do not wrap: each is a `u64` unwrapped from the raw number by its
//! signed distance from the last relative number in the same direction
//! ([`SeqNumber::unwrap_from`]), so a connection that moves more than 4 GiB
//! never mistakes new bytes for bytes sent 2^32 earlier.
//! [`Connection::relative_mismatches`] cross-checks them, modulo 2^32,
//! against tshark's `tcp.seq`/`tcp.ack`.
//!
//! Zeek's own bookkeeping of each connection ([`zeek`], [`endpoint`],
//! [`gaps`]) gives the [`history`], [`ConnState`] and the byte and packet
//! counts, as Zeek's `conn.log` has them.

use std::fmt;
use std::net::SocketAddr;

use crate::wire::seq::SeqNumber;
use crate::wire::{Segment, Tunnel};

pub mod analysis;
pub mod conn_state;
pub mod endpoint;
pub mod gaps;
pub mod history;
pub mod ladder;
pub mod ports;
mod ranges;
pub mod timers;
pub mod tracker;
pub mod zeek;

pub use analysis::{Analysis, Resend};
pub use conn_state::ConnState;
pub use endpoint::EndpointState;
pub use history::History;
pub use timers::Split;
pub use tracker::{Connections, group};

use analysis::Analyzer;
use timers::{Effects, Pending};
use zeek::Zeek;

/// Which end of a connection sent a segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Zeek's originator: the side that sent the SYN, or the side Zeek's
    /// rules choose when the capture has none ([`ports`]).
    Client,
    /// Zeek's responder: the side that answered.
    Server,
}

impl Role {
    /// The other end.
    pub fn peer(self) -> Role {
        match self {
            Role::Client => Role::Server,
            Role::Server => Role::Client,
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Role::Client => "client",
            Role::Server => "server",
        })
    }
}

/// One segment of a connection, oriented, with tcplab's relative numbers.
#[derive(Clone, Debug, PartialEq)]
pub struct Step {
    /// The segment as captured.
    pub segment: Segment,
    /// Who sent it.
    pub from: Role,
    /// Relative sequence number: 0 for the SYN, bytes since the ISN after it.
    pub seq: u64,
    /// Relative acknowledgment number, when the ACK flag is set.
    pub ack: Option<u64>,
    /// Retransmission, keep-alive, zero window, duplicate ACK, ...: what
    /// Wireshark's analysis would say of it, computed by tcplab.
    pub analysis: Analysis,
}

impl Step {
    /// A retransmission: tcplab saw these sequence numbers before, or
    /// Wireshark's analysis would say so (see [`Analysis::is_retransmission`]).
    pub fn is_retransmission(&self) -> bool {
        self.analysis.is_retransmission()
    }

    /// Relative sequence number just past this segment (`tcp.nxtseq`).
    pub fn next_seq(&self) -> u64 {
        self.seq + self.segment.seq_len()
    }
}

/// A relative number of a segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Number {
    /// The sequence number.
    Seq,
    /// The acknowledgment number.
    Ack,
}

/// A disagreement between tcplab's relative numbers and tshark's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mismatch {
    /// The frame concerned.
    pub frame: u64,
    /// Which number.
    pub field: Number,
    /// tcplab's value, which does not wrap.
    pub ours: u64,
    /// tshark's value, which wraps at 2^32.
    pub tshark: u32,
}

/// One TCP connection: its two ends and its segments in capture order.
#[derive(Clone, Debug, PartialEq)]
pub struct Connection {
    /// The end that opened the connection: Zeek's originator.
    pub client: SocketAddr,
    /// The end that accepted (or refused) it: Zeek's responder.
    pub server: SocketAddr,
    /// Whether the connection began with a SYN or SYN-ACK (else the roles
    /// come from the ports).
    pub roles_from_syn: bool,
    /// The client's initial sequence number, from its SYN.
    pub client_isn: Option<SeqNumber>,
    /// The server's initial sequence number, from its SYN-ACK.
    pub server_isn: Option<SeqNumber>,
    /// Segments in capture order.
    pub steps: Vec<Step>,
    client_space: Option<SequenceSpace>,
    server_space: Option<SequenceSpace>,
    analyzer: Analyzer,
    zeek: Zeek,
    /// The timers pending for it while it is its 4-tuple's current one.
    pending: Pending,
    /// Why Zeek's rules ended it, if they did before the capture's end.
    ended: Option<Split>,
    /// Why Zeek's rules ended it while its 4-tuple could still carry
    /// packets: every reason but the routine end after a completed close.
    split: Option<Split>,
}

/// The numbering state a connection hands to the next one of its 4-tuple
/// when Zeek's timers split what tshark sees as one stream.
#[derive(Clone, Debug)]
pub(crate) struct Continuation {
    client: SocketAddr,
    client_isn: Option<SeqNumber>,
    server_isn: Option<SeqNumber>,
    client_space: Option<SequenceSpace>,
    server_space: Option<SequenceSpace>,
    analyzer: Analyzer,
}

impl Continuation {
    fn isn(&self, role: Role) -> Option<SeqNumber> {
        match role {
            Role::Client => self.client_isn,
            Role::Server => self.server_isn,
        }
    }

    fn space(&self, role: Role) -> Option<SequenceSpace> {
        match role {
            Role::Client => self.client_space,
            Role::Server => self.server_space,
        }
    }
}

/// One direction's sequence numbers: the raw number that is relative 0,
/// and the relative number seen last, near which the next one is unwrapped.
#[derive(Clone, Copy, Debug, PartialEq)]
struct SequenceSpace {
    base: SeqNumber,
    latest: u64,
}

impl SequenceSpace {
    /// A space whose relative number `at` is the raw number `raw`.
    fn with(raw: SeqNumber, at: u32) -> SequenceSpace {
        SequenceSpace {
            base: raw - at,
            latest: u64::from(at),
        }
    }

    /// The relative number of `raw`, which becomes the latest. A number
    /// before the base (an old segment at the start of a capture that missed
    /// the SYN) is counted modulo 2^32 from the base, as Wireshark shows it,
    /// and does not move the latest.
    fn relative(&mut self, raw: SeqNumber) -> u64 {
        match raw.unwrap_from(self.base, self.latest) {
            Some(n) => {
                self.latest = n;
                n
            }
            None => u64::from(raw.offset_from(self.base)),
        }
    }
}

impl Connection {
    /// A connection that begins with `first`, between `client` (Zeek's
    /// originator) and `server`; `flipped` when `first` came from the
    /// server (Zeek writes `^` first).
    pub(crate) fn new(
        first: &Segment,
        client: SocketAddr,
        server: SocketAddr,
        flipped: bool,
    ) -> Connection {
        Connection {
            client,
            server,
            roles_from_syn: first.flags.syn(),
            client_isn: None,
            server_isn: None,
            steps: Vec::new(),
            client_space: None,
            server_space: None,
            analyzer: Analyzer::default(),
            zeek: Zeek::new(client, server, first.time, flipped),
            pending: Pending::default(),
            ended: None,
            split: None,
        }
    }

    /// Adds the next segment of this connection, computes its relative
    /// numbers and analysis, and lets Zeek's rules see it; returns what
    /// they ask of the connection's timers.
    pub(crate) fn push(&mut self, segment: Segment) -> Effects {
        let from = if segment.src == self.client {
            Role::Client
        } else {
            Role::Server
        };
        let flags = segment.flags;
        if flags.syn() {
            let isn = match from {
                Role::Client => &mut self.client_isn,
                Role::Server => &mut self.server_isn,
            };
            if isn.is_none() {
                *isn = Some(segment.seq_raw);
                *self.space_mut(from) = Some(SequenceSpace::with(segment.seq_raw, 0));
            }
        }
        // Midstream: the first byte seen is relative 1, as Wireshark shows it.
        let seq = self
            .space_mut(from)
            .get_or_insert(SequenceSpace::with(segment.seq_raw, 1))
            .relative(segment.seq_raw);
        let ack = flags.ack().then(|| {
            self.space_mut(from.peer())
                .get_or_insert(SequenceSpace::with(segment.ack_raw, 1))
                .relative(segment.ack_raw)
        });
        let analysis = self.analyzer.analyze(from, &segment, seq, ack);
        let effects = self.zeek.packet(&segment);
        self.steps.push(Step {
            segment,
            from,
            seq,
            ack,
            analysis,
        });
        if self.zeek.client() != self.client {
            self.flip_roles();
        }
        effects
    }

    /// Continues tcplab's own numbering and Wireshark's analysis from
    /// `earlier`, the connection that a timer ended on the same 4-tuple:
    /// Zeek starts a new connection there, tshark does not start a new
    /// stream, so relative numbers and retransmissions are read as tshark
    /// reads them. Zeek's state (history, counts) starts afresh.
    pub(crate) fn continue_from(&mut self, earlier: &Continuation) {
        let same = earlier.client == self.client;
        let (client, server) = if same {
            (Role::Client, Role::Server)
        } else {
            (Role::Server, Role::Client)
        };
        self.client_isn = earlier.isn(client);
        self.server_isn = earlier.isn(server);
        self.client_space = earlier.space(client);
        self.server_space = earlier.space(server);
        self.analyzer = earlier.analyzer.clone();
        if !same {
            self.analyzer.swap_roles();
        }
    }

    /// What a later connection of the same 4-tuple needs to go on with
    /// tshark's numbering (see [`Connection::continue_from`]).
    pub(crate) fn continuation(&self) -> Continuation {
        Continuation {
            client: self.client,
            client_isn: self.client_isn,
            server_isn: self.server_isn,
            client_space: self.client_space,
            server_space: self.server_space,
            analyzer: self.analyzer.clone(),
        }
    }

    /// Follows Zeek in making the other end the client: every step changes
    /// sides, with what is known of each direction.
    fn flip_roles(&mut self) {
        std::mem::swap(&mut self.client, &mut self.server);
        std::mem::swap(&mut self.client_isn, &mut self.server_isn);
        std::mem::swap(&mut self.client_space, &mut self.server_space);
        self.analyzer.swap_roles();
        for s in &mut self.steps {
            s.from = s.from.peer();
        }
    }

    /// The sequence space of the numbers `role` sends.
    fn space_mut(&mut self, role: Role) -> &mut Option<SequenceSpace> {
        match role {
            Role::Client => &mut self.client_space,
            Role::Server => &mut self.server_space,
        }
    }

    /// The address of one end.
    pub fn addr(&self, role: Role) -> SocketAddr {
        match role {
            Role::Client => self.client,
            Role::Server => self.server,
        }
    }

    /// How the connection was carried inside other packets, if it was: the
    /// tunnel of its first tunnelled segment, outer addresses oriented
    /// client first.
    pub fn tunnel(&self) -> Option<Tunnel> {
        self.steps.iter().find_map(|s| {
            let t = s.segment.tunnel?;
            Some(match s.from {
                Role::Client => t,
                Role::Server => Tunnel {
                    outer_src: t.outer_dst,
                    outer_dst: t.outer_src,
                    ..t
                },
            })
        })
    }

    /// Capture time of the first segment, the origin of relative times.
    pub fn start_time(&self) -> f64 {
        self.steps.first().map_or(0.0, |s| s.segment.time)
    }

    /// Segments that are retransmissions: sequence numbers already on the
    /// capture, or what Wireshark would call one (see [`Step::is_retransmission`]).
    pub fn retransmissions(&self) -> usize {
        self.steps.iter().filter(|s| s.is_retransmission()).count()
    }

    /// Steps that are not retransmissions, the ones the lab's checks read.
    pub fn originals(&self) -> impl Iterator<Item = &Step> {
        self.steps.iter().filter(|s| !s.is_retransmission())
    }

    /// Payload bytes sent by one end as Zeek counts them (`orig_bytes`,
    /// `resp_bytes`): its sequence numbers from the first to the highest it
    /// sent or the peer acknowledged, less SYN and FIN (`TCP_Endpoint::Size`).
    /// Each byte counts once, also when the capture holds only a resent
    /// copy of it, or none ([`Connection::missed_bytes`]); data carried on
    /// a RST is no part of the stream and does not count.
    pub fn bytes_sent(&self, role: Role) -> u64 {
        self.zeek.bytes(role)
    }

    /// Of [`Connection::bytes_sent`], the bytes no captured segment
    /// carried: acknowledged by the peer, or followed by captured ones, but
    /// missed by the capture.
    pub fn missed_bytes(&self, role: Role) -> u64 {
        self.zeek.missed(role)
    }

    /// Packets one end sent, as Zeek counts them (`orig_pkts`,
    /// `resp_pkts`): every segment, resent ones included.
    pub fn packets(&self, role: Role) -> u64 {
        self.zeek.packets(role)
    }

    /// Zeek's connection history (`conn.log`'s `history`): see [`history`].
    /// The seed's orderly lab reads `ShADadFf`.
    pub fn history(&self) -> &History {
        self.zeek.history()
    }

    /// Seconds from the first segment to the last before both ends had
    /// closed: Zeek logs no byte counts (`-`) for a connection of 0 s.
    pub fn duration(&self) -> f64 {
        self.zeek.duration()
    }

    /// Why Zeek's rules ended this connection before the capture ended
    /// (a new SYN, a SYN unanswered, inactivity, silence after one side
    /// closed): Zeek logs it there, and any later packet of the same ends
    /// begins another connection. `None` for a connection that ran to the
    /// capture's end, or that Zeek forgot 5 s after both ends closed (the
    /// routine end of every closed connection).
    pub fn split(&self) -> Option<Split> {
        self.split
    }

    /// Whether Zeek's rules have ended this connection: no packet will
    /// join it any more.
    pub fn has_ended(&self) -> bool {
        self.ended.is_some()
    }

    /// Every relative acknowledgment number one end sent, in order, with
    /// consecutive repeats left out (an ack sent again later appears again).
    pub fn acks_from(&self, role: Role) -> Vec<u64> {
        let mut acks: Vec<u64> = Vec::new();
        for a in self
            .steps
            .iter()
            .filter(|s| s.from == role)
            .filter_map(|s| s.ack)
        {
            if acks.last() != Some(&a) {
                acks.push(a);
            }
        }
        acks
    }

    /// Whether the connection is over as far as the wire can tell: a RST
    /// was sent, or both FINs were sent and the last one acknowledged.
    ///
    /// A live capture waits for this before it calls a connection complete.
    pub fn is_over(&self) -> bool {
        if self.steps.iter().any(|s| s.segment.flags.rst()) {
            return true;
        }
        let fin_end = |role: Role| {
            self.steps
                .iter()
                .find(|s| s.from == role && s.segment.flags.fin())
                .map(Step::next_seq)
        };
        let (Some(client_fin), Some(server_fin)) = (fin_end(Role::Client), fin_end(Role::Server))
        else {
            return false;
        };
        let acked = |role: Role, upto: u64| {
            self.steps
                .iter()
                .any(|s| s.from == role && s.ack.is_some_and(|a| a >= upto))
        };
        acked(Role::Server, client_fin) && acked(Role::Client, server_fin)
    }

    /// Where tcplab's relative numbers disagree with tshark's. tshark's
    /// wrap at 2^32, so they are compared modulo 2^32.
    pub fn relative_mismatches(&self) -> Vec<Mismatch> {
        // Truncation is reduction modulo 2^32, as tshark counts.
        let same = |ours: u64, tshark: u32| ours as u32 == tshark;
        let mut out = Vec::new();
        for s in &self.steps {
            if let Some(t) = s.segment.tshark_seq {
                if !same(s.seq, t) {
                    out.push(Mismatch {
                        frame: s.segment.frame,
                        field: Number::Seq,
                        ours: s.seq,
                        tshark: t,
                    });
                }
            }
            if let (Some(ours), Some(t)) = (s.ack, s.segment.tshark_ack) {
                if !same(ours, t) {
                    out.push(Mismatch {
                        frame: s.segment.frame,
                        field: Number::Ack,
                        ours,
                        tshark: t,
                    });
                }
            }
        }
        out
    }
}

impl fmt::Display for Connection {
    /// The ladder diagram (see [`ladder`]).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&ladder::render(self))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{CLIENT, CLIENT_ISN, SERVER_ISN, four_segment, lab};
    use crate::wire::Flags;
    use Role::{Client as C, Server as S};

    #[test]
    fn roles_come_from_the_syn_and_numbers_are_relative() {
        let conns = group(four_segment(), None);
        assert_eq!(conns.len(), 1);
        let c = &conns[0];
        assert_eq!(c.client, CLIENT.parse().unwrap());
        assert!(c.roles_from_syn);
        assert_eq!(
            (c.client_isn, c.server_isn),
            (Some(CLIENT_ISN), Some(SERVER_ISN))
        );
        let data = &c.steps[3];
        assert_eq!((data.from, data.seq, data.ack), (C, 1, Some(1)));
        assert_eq!(c.steps[4].ack, Some(480));
        assert!(c.relative_mismatches().is_empty());
        assert!(c.is_over());
        assert_eq!(c.history(), "ShADadFf");
        assert_eq!(c.bytes_sent(C), 1859);
        assert_eq!(c.acks_from(S), vec![1, 480, 1860, 1861]);
    }

    #[test]
    fn a_lost_final_ack_is_not_over() {
        let mut segs = four_segment();
        segs.pop();
        assert!(!group(segs, None)[0].is_over());
    }

    #[test]
    fn a_reset_is_over() {
        let segs = lab(&[(C, Flags::RST | Flags::ACK, 1860, 1860)]);
        let c = &group(segs, None)[0];
        assert!(c.is_over());
        assert_eq!(c.history(), "ShADadR");
    }

    #[test]
    fn midstream_capture_uses_port_hint_and_first_seq() {
        let segs: Vec<Segment> = four_segment().into_iter().skip(3).collect();
        let mut segs_no_tshark = segs.clone();
        for s in &mut segs_no_tshark {
            s.tshark_seq = None;
            s.tshark_ack = None;
        }
        let c = &group(segs_no_tshark, Some(8000))[0];
        assert!(!c.roles_from_syn);
        assert_eq!(c.server.port(), 8000);
        assert_eq!((c.steps[0].seq, c.steps[0].ack), (1, Some(1)));
        assert_eq!(c.steps[1].ack, Some(480));
    }

    #[test]
    fn mismatches_with_tshark_are_reported() {
        let mut segs = four_segment();
        segs[4].tshark_ack = Some(481);
        let c = &group(segs, None)[0];
        assert_eq!(
            c.relative_mismatches(),
            vec![Mismatch {
                frame: 5,
                field: Number::Ack,
                ours: 480,
                tshark: 481
            }]
        );
    }

    #[test]
    fn a_new_syn_on_a_finished_tuple_is_a_new_connection() {
        let mut segs = four_segment();
        let mut again = four_segment();
        for s in &mut again {
            s.seq_raw += 77;
            s.frame += 100;
        }
        segs.extend(again);
        let conns = group(segs, None);
        assert_eq!(conns.len(), 2);
        assert_eq!(conns[1].steps.len(), 13);
    }
}
