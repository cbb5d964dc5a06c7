//! Grouping segments into connections, incrementally, in capture order, as
//! Zeek groups packets into `conn.log` rows (`IPBasedAnalyzer`,
//! `src/packet_analysis/protocol/ip/IPBasedAnalyzer.cc`).
//!
//! A 4-tuple holds one connection at a time. A packet joins its 4-tuple's
//! current connection unless that one has ended: a SYN that reuses the
//! 4-tuple ([`Split::NewSyn`]), or one of Zeek's timers, run on the
//! capture's clock ([`super::timers`]). Then it begins a new connection,
//! whose client is chosen by [`super::ports::roles`]. So tcplab's
//! connections are Zeek's, one for each `conn.log` row: a SYN unanswered
//! for 5 s and the same 4-tuple's later traffic are two connections, as
//! are a connection and a packet of it that comes 5 s after its close.
//!
//! **Judge and forget.** Made with [`Connections::forgetting`], the tracker
//! hands out each connection once Zeek's rules have ended it
//! ([`Connections::drain_ended`]), in order of first segment, and keeps no
//! more of it than the numbering its 4-tuple's next connection may need
//! (for the [`FORGOTTEN_KEPT`] most recent). So reading a capture takes
//! memory for the connections open at once, plus the ended ones that
//! began after the oldest connection still open (they wait to be handed out
//! in order), not for the whole file.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;

use super::timers::{Action, Effects, Fired, Split, TimerKind, Timers};
use super::{Connection, Continuation, ports};
use crate::wire::Segment;

/// How many handed-out connections' numbering a forgetting tracker keeps
/// for their 4-tuples' next connections (a 4-tuple going on without a SYN
/// after one of Zeek's timers ended its connection).
pub const FORGOTTEN_KEPT: usize = 4096;

type Key = (SocketAddr, SocketAddr);

fn key(a: SocketAddr, b: SocketAddr) -> Key {
    if a <= b { (a, b) } else { (b, a) }
}

/// Groups segments into connections, incrementally, in capture order.
#[derive(Clone, Debug, Default)]
pub struct Connections {
    /// The connections not handed out yet; `list[0]` is connection `first`.
    list: VecDeque<Connection>,
    first: usize,
    /// Hand out ended connections and forget them.
    forgetting: bool,
    /// The numbering of handed-out connections' 4-tuples, newest last.
    forgotten: VecDeque<(Key, Continuation)>,
    /// Each 4-tuple's current connection.
    current: HashMap<Key, usize>,
    /// Each 4-tuple's latest connection, current or ended.
    latest: HashMap<Key, usize>,
    timers: Timers,
    /// The capture's clock: the latest segment time so far.
    now: f64,
    server_port: Option<u16>,
}

impl Connections {
    /// An empty set. `server_port` names the server's port for connections
    /// whose SYN was not captured.
    pub fn new(server_port: Option<u16>) -> Connections {
        Connections {
            server_port,
            ..Connections::default()
        }
    }

    /// An empty set that hands out ended connections and forgets them
    /// ([`Connections::drain_ended`]; see the module documentation).
    pub fn forgetting(server_port: Option<u16>) -> Connections {
        Connections {
            forgetting: true,
            ..Connections::new(server_port)
        }
    }

    fn get(&self, index: usize) -> Option<&Connection> {
        self.list.get(index.checked_sub(self.first)?)
    }

    fn get_mut(&mut self, index: usize) -> Option<&mut Connection> {
        self.list.get_mut(index.checked_sub(self.first)?)
    }

    fn at(&mut self, index: usize) -> &mut Connection {
        self.get_mut(index).expect("a connection not handed out")
    }

    /// Adds one segment; returns the index of the connection it joined.
    pub fn push(&mut self, segment: Segment) -> usize {
        if segment.time > self.now {
            self.now = segment.time;
            self.run_timers();
        }
        let k = key(segment.src, segment.dst);
        let index = match self.current.get(&k).copied() {
            Some(i) if !self.at(i).zeek.is_reuse(&segment) => i,
            Some(i) => {
                self.end(i, Split::NewSyn);
                self.begin(&segment)
            }
            None => self.begin(&segment),
        };
        let effects = self.at(index).push(segment);
        self.apply(index, effects);
        index
    }

    /// Begins a connection with `first`.
    fn begin(&mut self, first: &Segment) -> usize {
        let (client, server, flipped) = ports::roles(first, self.server_port);
        let index = self.first + self.list.len();
        let mut c = Connection::new(first, client, server, flipped);
        let k = key(client, server);
        // A timer ended the one before, and no SYN begins this one: tshark
        // still sees one stream.
        if !first.flags.syn() {
            let earlier = match self.latest.get(&k).and_then(|&i| self.get(i)) {
                Some(e) if e.ended.is_some_and(|s| s != Split::NewSyn) => Some(e.continuation()),
                Some(_) => None,
                None => self
                    .forgotten
                    .iter()
                    .rev()
                    .find(|(fk, _)| *fk == k)
                    .map(|(_, cont)| cont.clone()),
            };
            if let Some(earlier) = earlier {
                c.continue_from(&earlier);
            }
        }
        self.list.push_back(c);
        self.current.insert(k, index);
        self.latest.insert(k, index);
        // Zeek's first inactivity timeout, and its first check that
        // anything happened (`tcp_SYN_timeout`).
        let effects = Effects {
            actions: vec![
                Action::Inactivity(super::timers::INITIAL_INACTIVITY_TIMEOUT),
                Action::Schedule(first.time + super::zeek::SYN_TIMEOUT, TimerKind::Expire),
            ],
            established: false,
        };
        self.apply(index, effects);
        index
    }

    /// Ends connection `index`: its 4-tuple's next packet begins another.
    fn end(&mut self, index: usize, why: Split) {
        let c = self.at(index);
        c.ended = Some(why);
        // Forgetting a closed connection 5 s on is routine, not a split.
        c.split = (why != Split::Closed).then_some(why);
        c.pending.clear();
        let k = key(c.client, c.server);
        if self.current.get(&k) == Some(&index) {
            self.current.remove(&k);
        }
    }

    /// Fires every timer due by the capture's clock.
    fn run_timers(&mut self) {
        let now = self.now;
        while let Some(due) = self.timers.next_due(now) {
            let Some(slot) = due.conn.checked_sub(self.first) else {
                continue; // handed out and forgotten
            };
            let Some(c) = self.list.get_mut(slot) else {
                continue;
            };
            if c.ended.is_some() || !c.pending.fire(&due) {
                continue;
            }
            match c.zeek.on_timer(due.kind, now) {
                Fired::End(why) => self.end(due.conn, why),
                Fired::Again(at, kind) => {
                    self.timers.schedule(due.conn, &mut c.pending, at, kind);
                }
                Fired::Nothing => {}
            }
        }
    }

    /// Carries out what a packet asked of connection `index`'s timers.
    fn apply(&mut self, index: usize, effects: Effects) {
        for action in effects.actions {
            self.act(index, action);
        }
        if effects.established {
            // `connection_established` in `conn/inactivity.zeek`.
            if let Some(t) = self
                .at(index)
                .zeek
                .service_timeout(ports::is_likely_server_port)
            {
                self.act(index, Action::Inactivity(t));
            }
        }
    }

    fn act(&mut self, index: usize, action: Action) {
        let first = self.first;
        let c = &mut self.list[index - first];
        match action {
            Action::Schedule(at, kind) => self.timers.schedule(index, &mut c.pending, at, kind),
            Action::CancelTimers => c.pending.cancel_analyzer(),
            Action::Inactivity(timeout) => {
                if timeout == c.zeek.inactivity {
                    return;
                }
                c.pending.cancel_inactivity();
                c.zeek.inactivity = timeout;
                let at = c.zeek.last_time() + timeout;
                self.timers
                    .schedule(index, &mut c.pending, at, TimerKind::Inactivity);
            }
        }
    }

    /// The connections held (all of them, unless forgetting), in order of
    /// their first segment.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &Connection> + ExactSizeIterator {
        self.list.iter()
    }

    /// The latest connection between `a` and `b`, in either direction, if
    /// it is still held.
    pub fn find(&self, a: SocketAddr, b: SocketAddr) -> Option<&Connection> {
        self.latest.get(&key(a, b)).and_then(|&i| self.get(i))
    }

    /// Hands out, in order of first segment, every connection Zeek's rules
    /// have ended that began before any connection still open, and forgets
    /// it (with a forgetting tracker; none otherwise).
    pub fn drain_ended(&mut self) -> Vec<Connection> {
        let mut out = Vec::new();
        while self.forgetting && self.list.front().is_some_and(Connection::has_ended) {
            let c = self.list.pop_front().expect("a front connection");
            let k = key(c.client, c.server);
            if self.latest.get(&k) == Some(&self.first) {
                self.latest.remove(&k);
                if c.ended != Some(Split::NewSyn) {
                    if self.forgotten.len() == FORGOTTEN_KEPT {
                        self.forgotten.pop_front();
                    }
                    self.forgotten.push_back((k, c.continuation()));
                }
            }
            self.first += 1;
            out.push(c);
        }
        out
    }

    /// The connections held, in order of their first segment.
    pub fn into_vec(self) -> Vec<Connection> {
        self.list.into()
    }
}

/// Groups a whole list of segments into connections.
pub fn group(
    segments: impl IntoIterator<Item = Segment>,
    server_port: Option<u16>,
) -> Vec<Connection> {
    let mut c = Connections::new(server_port);
    for s in segments {
        c.push(s);
    }
    c.into_vec()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connection::Role::{Client as C, Server as S};
    use crate::testing::{four_segment, seg};
    use crate::wire::Flags;
    use rstest::rstest;

    const SYN: Flags = Flags::SYN;
    const ACK: Flags = Flags::ACK;
    const PSH: Flags = Flags::PSH;

    /// `s` captured `secs` seconds after 1000.
    fn at(mut s: Segment, secs: f64) -> Segment {
        s.time = 1000.0 + secs;
        s
    }

    /// The segments with the server on `port` instead of 8000.
    fn on_port(mut segs: Vec<Segment>, port: u16) -> Vec<Segment> {
        for s in &mut segs {
            for a in [&mut s.src, &mut s.dst] {
                if a.port() == 8000 {
                    a.set_port(port);
                }
            }
        }
        segs
    }

    fn histories(segs: Vec<Segment>) -> Vec<(String, Option<Split>)> {
        group(segs, None)
            .iter()
            .map(|c| (c.history().to_string(), c.split()))
            .collect()
    }

    #[test]
    fn the_lab_is_one_connection() {
        assert_eq!(histories(four_segment()), [("ShADadFf".into(), None)]);
    }

    #[rstest]
    // A SYN sent again with the same ISN is the same attempt.
    #[case::a_resent_syn(vec![at(seg(1, C, SYN, 0, 0, 0), 0.0), at(seg(2, C, SYN, 0, 0, 0), 3.0)], &[("S", None)])]
    // Another ISN while the first is open: a new connection (`IsReuse`).
    #[case::a_new_isn(vec![at(seg(1, C, SYN, 0, 0, 0), 0.0), at(seg(2, C, SYN, 77, 0, 0), 1.0)], &[("S", Some(Split::NewSyn)), ("S", None)])]
    // A SYN unanswered for 5 s ends the attempt: the client's later data
    // is another connection (ssh.client-side-half-duplex: `SAD` + `DAF`).
    #[case::unanswered_for_5_s(vec![at(seg(1, C, SYN, 0, 0, 0), 0.0), at(seg(2, C, ACK, 1, 1, 0), 0.1), at(seg(3, C, PSH | ACK, 1, 1, 10), 4.0), at(seg(4, C, PSH | ACK, 11, 1, 10), 6.0)], &[("SAD", Some(Split::Unanswered)), ("D", None)])]
    #[case::answered_within_5_s(vec![at(seg(1, C, SYN, 0, 0, 0), 0.0), at(seg(2, S, SYN | ACK, 0, 1, 0), 4.9), at(seg(3, C, PSH | ACK, 1, 1, 10), 6.0)], &[("ShD", None)])]
    // Five minutes without a packet, once established.
    #[case::inactive_for_5_min(vec![at(seg(1, C, PSH | ACK, 1, 1, 10), 0.0), at(seg(2, S, ACK, 1, 11, 0), 0.1), at(seg(3, C, PSH | ACK, 1, 1, 10), 300.2)], &[("Da", Some(Split::Inactive)), ("D", None)])]
    #[case::silent_for_4_min(vec![at(seg(1, C, PSH | ACK, 1, 1, 10), 0.0), at(seg(2, S, ACK, 1, 11, 0), 0.1), at(seg(3, C, PSH | ACK, 1, 1, 10), 240.0)], &[("DaT", None)])]
    fn zeek_splits_a_4_tuple(#[case] segs: Vec<Segment>, #[case] want: &[(&str, Option<Split>)]) {
        let want: Vec<(String, Option<Split>)> =
            want.iter().map(|&(h, s)| (h.to_owned(), s)).collect();
        assert_eq!(histories(on_port(segs, 9000)), want);
    }

    /// Interactive services (port 22) wait an hour, not five minutes.
    #[test]
    fn ssh_waits_an_hour() {
        let segs = vec![
            at(seg(1, C, SYN, 0, 0, 0), 0.0),
            at(seg(2, S, SYN | ACK, 0, 1, 0), 0.1),
            at(seg(3, C, ACK, 1, 1, 0), 0.2),
            at(seg(4, C, PSH | ACK, 1, 1, 10), 1000.0),
            at(seg(5, C, PSH | ACK, 11, 1, 10), 4700.0),
        ];
        let h = |port| histories(on_port(segs.clone(), port));
        assert_eq!(
            h(22),
            [("ShAD".into(), Some(Split::Inactive)), ("D".into(), None)]
        );
        assert_eq!(h(9000).len(), 3);
    }

    /// After the close, the connection is forgotten 5 s after its last
    /// packet: a late ACK then begins another connection, a SYN at once.
    #[test]
    fn a_closed_connection_is_forgotten_after_5_s() {
        let mut segs = four_segment();
        let mut late = segs[12].clone();
        late.time += 5.5;
        segs.push(late);
        // Forgetting a closed connection is routine: no split.
        assert_eq!(
            histories(on_port(segs.clone(), 9000)),
            [("ShADadFf".into(), None), ("A".into(), None)]
        );
        let mut again = four_segment();
        for s in &mut again {
            s.time += 1.0;
        }
        let mut segs = four_segment();
        segs.extend(again);
        let h = histories(segs);
        assert_eq!(h.len(), 2);
        assert_eq!(h[0].1, Some(Split::NewSyn));
    }

    /// A handshake, 10 bytes, and the same 10 bytes again 5 minutes later,
    /// past Zeek's inactivity timeout.
    fn resent_after_five_minutes() -> Vec<Segment> {
        on_port(
            vec![
                at(seg(1, C, SYN, 0, 0, 0), 0.0),
                at(seg(2, S, SYN | ACK, 0, 1, 0), 0.1),
                at(seg(3, C, PSH | ACK, 1, 1, 10), 0.2),
                at(seg(4, C, PSH | ACK, 1, 1, 10), 301.0),
            ],
            9000,
        )
    }

    /// Zeek splits after 5 minutes of silence; tshark keeps one stream, so
    /// the second connection goes on with tcplab's relative numbers and
    /// Wireshark's analysis: its first segment, the same bytes again, is a
    /// retransmission (tcp/retransmit-timeout).
    #[test]
    fn after_a_timer_split_numbers_and_analysis_go_on() {
        let segs = resent_after_five_minutes();
        let conns = group(segs, None);
        assert_eq!(conns.len(), 2);
        let resent = &conns[1].steps[0];
        assert_eq!(resent.seq, 1);
        assert!(resent.is_retransmission());
        assert_eq!(conns[1].history(), "D");
        assert!(conns[1].relative_mismatches().is_empty());
    }

    /// A timer that ends a connection says so when it ends, whether or not
    /// its 4-tuple goes on: another 4-tuple's packet 10 minutes later ends
    /// it by inactivity (the tracker cannot wait for what may never come
    /// before it hands the connection out).
    #[test]
    fn a_connection_ended_by_a_timer_says_why_when_it_ends() {
        let mut other = at(seg(5, C, PSH | ACK, 1, 1, 10), 600.0);
        other.src.set_port(40000);
        let segs = vec![
            at(seg(1, C, PSH | ACK, 1, 1, 10), 0.0),
            at(seg(2, S, ACK, 1, 11, 0), 0.1),
            other,
        ];
        let h = histories(on_port(segs, 9000));
        assert_eq!(
            h,
            [("Da".into(), Some(Split::Inactive)), ("D".into(), None)]
        );
    }

    /// A forgetting tracker hands out ended connections in order of first
    /// segment and keeps none of them; a connection still open holds back
    /// the ended ones that began after it.
    #[test]
    fn ended_connections_are_handed_out_in_order_and_forgotten() {
        let mut c = Connections::forgetting(None);
        // Connection A on port 9000 stays open.
        c.push(at(
            on_port(vec![seg(1, C, SYN, 0, 0, 0)], 9000).remove(0),
            0.0,
        ));
        c.push(at(
            on_port(vec![seg(2, S, SYN | ACK, 0, 1, 0)], 9000).remove(0),
            0.1,
        ));
        // Connection B, the lab on port 8000, closes at once.
        for s in four_segment() {
            c.push(at(s, 0.2));
        }
        // 6 s later (another 4-tuple's packet moves the clock): B was
        // forgotten 5 s after its close, but A began first and is open.
        let mut other = at(seg(20, C, SYN, 0, 0, 0), 6.5);
        other.src.set_port(40001);
        c.push(other);
        assert!(c.drain_ended().is_empty());
        // 5 minutes of silence end A too: both come out, A first.
        let mut late = at(seg(21, C, SYN, 0, 0, 0), 700.0);
        late.src.set_port(40002);
        c.push(late);
        let out: Vec<(u16, String)> = c
            .drain_ended()
            .iter()
            .map(|c| (c.server.port(), c.history().to_string()))
            .collect();
        assert_eq!(out[..2], [(9000, "Sh".into()), (8000, "ShADadFf".into())]);
        assert!(
            c.iter().all(|c| !c.has_ended()),
            "the ended ones were handed out"
        );
        assert!(
            c.find(
                crate::testing::CLIENT.parse().unwrap(),
                crate::testing::SERVER.parse().unwrap()
            )
            .is_none()
        );
    }

    /// A 4-tuple that goes on without a SYN after its connection was handed
    /// out still gets tshark's numbering.
    #[test]
    fn a_forgotten_connection_lends_its_numbering_to_the_next() {
        let segs = resent_after_five_minutes();
        let mut c = Connections::forgetting(None);
        let mut out = Vec::new();
        for s in segs {
            c.push(s);
            out.extend(c.drain_ended());
        }
        out.extend(c.into_vec());
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].split(), Some(Split::Inactive));
        let resent = &out[1].steps[0];
        assert_eq!(resent.seq, 1);
        assert!(resent.is_retransmission());
        assert!(out[1].relative_mismatches().is_empty());
    }

    #[test]
    fn find_gives_the_latest_connection_of_a_4_tuple() {
        let mut segs = four_segment();
        segs.push(at(seg(20, C, SYN, 500, 0, 0), 1.0));
        let mut c = Connections::new(None);
        for s in segs {
            c.push(s);
        }
        let (a, b) = (
            crate::testing::CLIENT.parse().unwrap(),
            crate::testing::SERVER.parse().unwrap(),
        );
        assert_eq!(c.find(b, a).unwrap().steps.len(), 1);
        assert_eq!(c.iter().len(), 2);
    }
}
