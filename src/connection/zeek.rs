//! Zeek's view of one connection, packet by packet: what Zeek's TCP session
//! adapter does with each packet (`TCPSessionAdapter::Process`,
//! `src/packet_analysis/protocol/tcp/TCPSessionAdapter.cc`) for the history,
//! the endpoint states (hence `conn_state`), the byte and packet counts, and
//! the timers that end a connection.
//!
//! Rules, in Zeek's order for each packet from endpoint E to its peer P:
//!
//! 1. A first packet that is not a bare SYN, or a SYN-ACK from an originator,
//!    marks the connection partial (`SetPartialStatus`).
//! 2. E's numbers start at its SYN, or at its first sequence number minus
//!    one; a later SYN with another number starts them again
//!    (`init_endpoint`).
//! 3. The history letters ([`super::history`]) and the zero window `W`.
//! 4. An ack from E starts P's numbers when P has sent nothing, and raises
//!    P's acknowledged point unless it comes with a RST (`update_ack_seq`).
//! 5. A segment with payload that does not reach past E's highest sequence
//!    number is a retransmission, `T` (`update_last_seq`): a resent SYN,
//!    SYN-ACK or FIN carries no payload and is none.
//! 6. The endpoint state machine (`UpdateStateMachine`), then the ack's
//!    gaps and the payload's delivery ([`super::gaps`]), then a close.
//!
//! Checksums are not verified (Zeek's `-C`): see the crate's README.

use std::net::SocketAddr;

use super::Role;
use super::endpoint::{Endpoint, EndpointState, TOO_LARGE_SEQ_DELTA, seq_delta};
use super::history::{Counted, History};
use super::timers::{Action, Effects, TCP_INACTIVITY_TIMEOUT, TimerKind};
use crate::wire::Segment;

use EndpointState::{Closed, Established, Inactive, Partial, Reset, SynAckSent, SynSent};

/// Zeek's `tcp_attempt_delay`: a SYN unanswered this long ends the
/// connection attempt (`scripts/base/init-bare.zeek`).
pub(crate) const ATTEMPT_DELAY: f64 = 5.0;
/// Zeek's `tcp_close_delay`: a connection is forgotten this long after both
/// ends closed, or one reset.
pub(crate) const CLOSE_DELAY: f64 = 5.0;
/// Zeek's `tcp_SYN_timeout`: the first check that anything happened.
pub(crate) const SYN_TIMEOUT: f64 = 5.0;
/// Zeek's `tcp_session_timer`: how often a half-closed connection is
/// checked again.
pub(crate) const SESSION_TIMER: f64 = 6.0;
/// Zeek's `tcp_connection_linger`: silence after a close that ends it.
pub(crate) const CONNECTION_LINGER: f64 = 5.0;

/// Zeek's state of one connection. See the module documentation.
///
/// Endpoints are indexed by identity: 0 is the end the tracker made the
/// client when the connection began; `orig` says which is Zeek's
/// originator now (Zeek may flip the roles, and tcplab's client follows).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Zeek {
    pub(super) ends: [Endpoint; 2],
    addrs: [SocketAddr; 2],
    orig: usize,
    pub(super) history: History,
    start_time: f64,
    last_time: f64,
    /// Zeek's `is_active`: not yet finished, reset or given up.
    is_active: bool,
    /// The capture missed the connection's start.
    pub(super) is_partial: bool,
    /// Whether the originator's and the responder's first packets were
    /// seen (`first_packet_seen`), by role.
    pub(super) first_seen: [bool; 2],
    /// The inactivity timeout in force, 0 before the first one is set.
    pub(super) inactivity: f64,
}

impl Zeek {
    /// A connection between `client` (Zeek's originator) and `server`;
    /// `flipped` when the first packet came from the client and Zeek made
    /// its receiver the originator, which writes `^` first.
    pub fn new(client: SocketAddr, server: SocketAddr, time: f64, flipped: bool) -> Zeek {
        let mut history = History::default();
        if flipped {
            history.flipped();
        }
        Zeek {
            ends: [Endpoint::default(), Endpoint::default()],
            addrs: [client, server],
            orig: 0,
            history,
            start_time: time,
            last_time: time,
            is_active: true,
            is_partial: false,
            first_seen: [false; 2],
            inactivity: 0.0,
        }
    }

    /// The originator's address: tcplab's client.
    pub fn client(&self) -> SocketAddr {
        self.addrs[self.orig]
    }

    /// The role endpoint `e` has now.
    pub(super) fn role_of(&self, e: usize) -> Role {
        if e == self.orig {
            Role::Client
        } else {
            Role::Server
        }
    }

    /// The endpoint that has `role` now.
    fn index(&self, role: Role) -> usize {
        match role {
            Role::Client => self.orig,
            Role::Server => 1 - self.orig,
        }
    }

    /// The endpoint of `role`.
    pub(super) fn end(&self, role: Role) -> &Endpoint {
        &self.ends[self.index(role)]
    }

    /// Zeek's history so far.
    pub fn history(&self) -> &History {
        &self.history
    }

    /// Zeek's byte count for `role` (`orig_bytes`, `resp_bytes`).
    pub fn bytes(&self, role: Role) -> u64 {
        let e = self.index(role);
        self.ends[e].size(&self.ends[1 - e])
    }

    /// Of [`Zeek::bytes`], those no captured segment carried: bytes the
    /// peer acknowledged, or that came before later captured ones.
    pub fn missed(&self, role: Role) -> u64 {
        let size = self.bytes(role);
        size - self.end(role).captured.covered(1, size.saturating_add(1))
    }

    /// Packets Zeek counted from `role` (`orig_pkts`, `resp_pkts`).
    pub fn packets(&self, role: Role) -> u64 {
        self.end(role).packets
    }

    /// Whether the connection was still active (Zeek's `is_active`).
    pub(super) fn is_active(&self) -> bool {
        self.is_active
    }

    /// Time of the last packet that counted (none after both ends closed).
    pub(super) fn last_time(&self) -> f64 {
        self.last_time
    }

    /// Seconds from the first packet to the last that counted: Zeek logs no
    /// byte counts for a connection that lasted 0 s.
    pub fn duration(&self) -> f64 {
        self.last_time - self.start_time
    }

    /// Makes the other end the originator (`Connection::FlipRoles`,
    /// `TCPSessionAdapter::FlipRoles`): history `^`.
    pub(super) fn flip_roles(&mut self) {
        self.orig = 1 - self.orig;
        self.first_seen.swap(0, 1);
        self.is_partial = false;
        self.history.flipped();
    }

    /// One packet of the connection; returns what it asks of the timers.
    pub fn packet(&mut self, seg: &Segment) -> Effects {
        let e = usize::from(seg.src != self.addrs[0]);
        let mut fx = Effects::default();
        self.process(e, seg, &mut fx);
        self.ends[e].packets += 1;
        fx
    }

    fn process(&mut self, e: usize, seg: &Segment, fx: &mut Effects) {
        let p = 1 - e;
        let is_orig = e == self.orig;
        let flags = seg.flags;
        let (seq, ack, len) = (seg.seq_raw.get(), seg.ack_raw.get(), seg.len);
        self.set_partial_status(is_orig, flags.syn(), flags.ack());

        // A RST's payload takes no sequence space.
        let mut seg_len = u64::from(len) + u64::from(flags.syn()) + u64::from(flags.fin());
        if flags.rst() {
            seg_len -= u64::from(len);
        }
        let end_seq = seq.wrapping_add(seg_len as u32);
        self.init_endpoint(e, flags.syn(), seq, end_seq);

        let sender = &self.ends[e];
        let (rel_seq, underflow) = sender.relative(seq, sender.last_seq, sender.seq_wraps);
        self.record_letters(e, flags, rel_seq, len);
        if seg.window == 0
            && !flags.rst()
            && self.ends[p].state != Closed
            && self.ends[e].state != Reset
        {
            self.count(e, Counted::ZeroWindow);
        }
        if !(self.ends[0].did_close && self.ends[1].did_close) {
            self.last_time = seg.time;
        }
        if flags.fin() {
            self.ends[e].fin_count += 1;
            self.ends[e].fin_seq = rel_seq.wrapping_add(seg_len);
        }

        let rel_ack = if flags.ack() {
            self.take_ack(p, ack, flags.rst())
        } else {
            0
        };
        let delta_last = self.update_last_seq(e, end_seq, flags, len);
        let (close, announce) = self.state_machine(e, is_orig, seg, delta_last, fx);
        if flags.ack() {
            self.ack_received(p, rel_ack);
        }
        // `CheckPIA_FirstPacket`, with the role the packet came in with.
        self.first_seen[usize::from(!is_orig)] = true;
        let data_seq = if flags.syn() {
            rel_seq.wrapping_add(1)
        } else {
            rel_seq
        };
        if len > 0 && !flags.rst() && !underflow {
            let data_end = data_seq.saturating_add(u64::from(len));
            self.ends[e].captured.insert(data_seq, data_end);
            self.data_sent(e, data_seq, u64::from(len));
        }
        if close {
            self.connection_closed(e, announce, fx);
        }
    }

    /// `SetPartialStatus`: the originator's first packet not a bare SYN,
    /// or the responder's first not a SYN, makes the connection partial.
    fn set_partial_status(&mut self, is_orig: bool, syn: bool, ack: bool) {
        if is_orig {
            if !self.first_seen[0] {
                self.is_partial = !syn || ack;
            }
        } else if !self.first_seen[1] && !self.is_partial {
            self.is_partial = !syn;
        }
    }

    /// `init_endpoint`: where endpoint `e`'s numbers start.
    fn init_endpoint(&mut self, e: usize, syn: bool, seq: u32, end_seq: u32) {
        let end = &mut self.ends[e];
        match end.state {
            Inactive if syn => end.restart(seq, end_seq),
            // No SYN: count as if there had been one just before, and do
            // not make the first packet a retransmission.
            Inactive => end.restart(seq.wrapping_sub(1), seq),
            SynSent | SynAckSent if syn && seq != end.start => end.restart(seq, end_seq),
            Established | Partial if syn => end.restart(seq, end_seq),
            Reset if syn && end.prev_state == Inactive => end.restart(seq, end_seq),
            _ => {}
        }
    }

    /// An ack from the peer of endpoint `p`: `p`'s relative number for it.
    fn take_ack(&mut self, p: usize, ack: u32, rst: bool) -> u64 {
        let peer = &mut self.ends[p];
        if peer.state == Inactive {
            // `init_peer`: count the silent end's numbers from this ack.
            let base = ack.wrapping_sub(1);
            peer.start = base;
            peer.ack_seq = base;
            peer.last_seq = base;
            return 1;
        }
        let (rel_ack, underflow) = peer.relative(ack, peer.ack_seq, peer.ack_wraps);
        if underflow {
            return 0;
        }
        // Acks on a RST are not trusted; an ack of 0 far ahead is broken.
        let d = seq_delta(ack, peer.ack_seq);
        let broken = ack == 0 && d > TOO_LARGE_SEQ_DELTA;
        if !rst && !broken && d > 0 {
            peer.raise_ack_seq(ack);
        }
        rel_ack
    }

    /// `update_last_seq`: raises endpoint `e`'s highest number, or counts
    /// a `T` for payload that does not pass it. Returns the distance.
    fn update_last_seq(
        &mut self,
        e: usize,
        end_seq: u32,
        flags: crate::wire::Flags,
        len: u32,
    ) -> i64 {
        let end = &mut self.ends[e];
        let d = seq_delta(end_seq, end.last_seq);
        if (flags.syn() || flags.rst()) && d.abs() > TOO_LARGE_SEQ_DELTA {
            // An untrusted SYN or RST number.
        } else if flags.fin() && end.last_seq == end.start.wrapping_add(1) {
            end.raise_last_seq(end_seq);
        } else if end.state == Reset {
            // Nothing after a RST is trusted.
        } else if d > 0 {
            end.raise_last_seq(end_seq);
        } else if len > 0 {
            self.count(e, Counted::Retransmission);
        }
        d
    }

    /// Sets endpoint `e`'s state, switching to the established inactivity
    /// timeout when the handshake ends (`TCP_Endpoint::SetState`).
    fn set_state(&mut self, e: usize, state: EndpointState, fx: &mut Effects) {
        let end = &self.ends[e];
        if state != end.state
            && !state.is_handshake()
            && end.state.is_handshake()
            && self.ends[1 - e].state.is_handshake()
        {
            fx.actions.push(Action::Inactivity(TCP_INACTIVITY_TIMEOUT));
        }
        self.ends[e].set_state(state);
    }

    /// `UpdateStateMachine`, on endpoint `e`'s state before the packet;
    /// `is_orig` is the role the packet came in with, even if the roles
    /// flipped since (as in Zeek). Returns whether `e` closes, and whether
    /// the close is one Zeek announces.
    fn state_machine(
        &mut self,
        e: usize,
        is_orig: bool,
        seg: &Segment,
        delta_last: i64,
        fx: &mut Effects,
    ) -> (bool, bool) {
        let p = 1 - e;
        let f = seg.flags;
        let (mut close, mut announce) = (false, false);
        match self.ends[e].state {
            Inactive => {
                if f.syn() {
                    if is_orig {
                        self.set_state(e, if f.ack() { SynAckSent } else { SynSent }, fx);
                        fx.schedule(seg.time + ATTEMPT_DELAY, TimerKind::Attempt);
                    } else {
                        if !f.ack()
                            && self.ends[p].state == SynAckSent
                            && seg.seq_raw.get() == self.ends[e].start
                        {
                            // SYN-ACK and SYN captured in reverse order.
                            self.is_partial = false;
                            self.flip_roles();
                            self.set_state(p, Established, fx);
                            self.first_seen[0] = true;
                        }
                        if self.ends[p].state == SynSent {
                            self.set_state(p, Established, fx);
                        }
                        self.set_state(e, Established, fx);
                        if self.ends[p].state != Partial {
                            fx.established = true;
                        }
                    }
                }
                if f.fin() {
                    self.set_state(e, Closed, fx);
                    (close, announce) = (true, true);
                }
                if f.rst() {
                    self.set_state(e, Reset, fx);
                    let rejects = if is_orig {
                        self.ends[p].state == Established
                    } else {
                        matches!(self.ends[p].state, SynSent | SynAckSent)
                    };
                    (close, announce) = (true, !rejects);
                }
                if self.ends[e].state == Inactive {
                    let orig_state = self.ends[self.orig].state;
                    if !is_orig && seg.len == 0 && orig_state == SynSent {
                        // An ack of a SYN before the SYN-ACK: still inactive.
                    } else if f.ack() && self.ends[p].state == Established {
                        // The SYN was missed, the SYN-ACK was not.
                        self.set_state(e, Established, fx);
                        self.is_partial = false;
                        self.first_seen[usize::from(!is_orig)] = true;
                    } else {
                        self.set_state(e, Partial, fx);
                    }
                }
            }
            SynSent | SynAckSent => {
                if f.fin() {
                    self.set_state(e, Closed, fx);
                    (close, announce) = (true, true);
                }
                if f.rst() {
                    self.set_state(e, Reset, fx);
                    self.is_active = false;
                    close = true;
                }
            }
            Established | Partial => {
                if f.syn()
                    && !f.ack()
                    && self.ends[e].state == Partial
                    && self.ends[p].state == Inactive
                {
                    self.set_state(e, SynSent, fx);
                }
                if f.fin() && !f.rst() {
                    self.set_state(e, Closed, fx);
                    // A FIN then a RST from the peer was a normal close.
                    if self.ends[p].state == Reset && self.ends[p].prev_state == Closed {
                        self.set_state(p, Closed, fx);
                    }
                    (close, announce) = (true, true);
                }
                if f.rst() {
                    self.set_state(e, Reset, fx);
                    close = true;
                    if self.ends[p].state != Reset || self.ends[p].prev_state != Established {
                        self.is_active = false;
                    }
                }
            }
            Closed => {
                // A RST after both FINs changes nothing: the close was
                // orderly (`UpdateClosedState`).
                let _ = delta_last;
                if f.rst() && self.ends[p].state != Closed {
                    self.set_state(e, Reset, fx);
                    close = !self.ends[e].did_close;
                }
            }
            Reset => {}
        }
        (close, announce)
    }

    /// `ConnectionClosed`: endpoint `e` closed (FIN or RST). Once the close
    /// is complete the connection is forgotten [`CLOSE_DELAY`] after its
    /// last packet; until then it is checked again every
    /// [`SESSION_TIMER`].
    fn connection_closed(&mut self, e: usize, announce: bool, fx: &mut Effects) {
        let p = 1 - e;
        if self.ends[e].did_close {
            return;
        }
        self.ends[e].did_close = true;
        let complete =
            self.ends[e].state == Reset || self.ends[p].did_close || self.ends[p].state == Inactive;
        if complete {
            if announce && (self.ends[e].prev_state != Inactive || self.ends[p].state != Inactive) {
                self.is_active = false;
            }
            fx.actions.push(Action::CancelTimers);
            fx.schedule(self.last_time + CLOSE_DELAY, TimerKind::Delete);
        } else if self.ends[e].prev_state != Inactive {
            fx.schedule(self.last_time + SESSION_TIMER, TimerKind::Expire);
        }
    }

    /// Whether a SYN (or SYN-ACK) on this 4-tuple starts a new connection
    /// (`TCPSessionAdapter::IsReuse`): once either end has closed, any SYN
    /// does; before, a SYN with another initial sequence number than the
    /// one its sender used does (a resent SYN does not, nor a SYN answering
    /// a SYN-ACK captured first).
    pub fn is_reuse(&self, seg: &Segment) -> bool {
        let f = seg.flags;
        if !f.syn() {
            return false;
        }
        let resp = 1 - self.orig;
        let mut sender = self.orig;
        if f.ack() {
            if self.ends[self.orig].state != Inactive {
                return false;
            }
            sender = resp;
        }
        if self.ends[0].did_close || self.ends[1].did_close {
            return true;
        }
        let seq = seg.seq_raw.get();
        if seq == self.ends[sender].start {
            return false;
        }
        let reversal = !f.ack()
            && self.ends[sender].state == SynAckSent
            && self.ends[resp].state == Inactive
            && seq == self.ends[resp].start;
        !reversal
    }

    /// The endpoints, originator first.
    pub(super) fn states(&self) -> (&Endpoint, &Endpoint) {
        (self.end(Role::Client), self.end(Role::Server))
    }

    /// The address of `role`.
    pub(super) fn addr(&self, role: Role) -> SocketAddr {
        self.addrs[self.index(role)]
    }

    /// Marks the connection no longer active (Zeek's `is_active = 0`).
    pub(super) fn deactivate(&mut self) {
        self.is_active = false;
    }
}
