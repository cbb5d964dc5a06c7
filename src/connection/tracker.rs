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

use std::collections::HashMap;
use std::net::SocketAddr;

use super::timers::{Action, Effects, Fired, Split, TimerKind, Timers};
use super::{Connection, ports};
use crate::wire::Segment;

type Key = (SocketAddr, SocketAddr);

fn key(a: SocketAddr, b: SocketAddr) -> Key {
    if a <= b { (a, b) } else { (b, a) }
}

/// Groups segments into connections, incrementally, in capture order.
#[derive(Clone, Debug, Default)]
pub struct Connections {
    list: Vec<Connection>,
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

    /// Adds one segment; returns the index of the connection it joined.
    pub fn push(&mut self, segment: Segment) -> usize {
        if segment.time > self.now {
            self.now = segment.time;
            self.run_timers();
        }
        let k = key(segment.src, segment.dst);
        let index = match self.current.get(&k) {
            Some(&i) if !self.list[i].zeek.is_reuse(&segment) => i,
            Some(&i) => {
                self.end(i, Split::NewSyn);
                self.begin(&segment)
            }
            None => self.begin(&segment),
        };
        let effects = self.list[index].push(segment);
        self.apply(index, effects);
        index
    }

    /// Begins a connection with `first`.
    fn begin(&mut self, first: &Segment) -> usize {
        let (client, server, flipped) = ports::roles(first, self.server_port);
        let index = self.list.len();
        let mut c = Connection::new(first, client, server, flipped);
        let k = key(client, server);
        if let Some(&before) = self.latest.get(&k) {
            let earlier = &mut self.list[before];
            earlier.split = earlier.ended;
            // A timer ended the one before, and no SYN begins this one:
            // tshark still sees one stream.
            if !first.flags.syn() && earlier.ended.is_some_and(|s| s != Split::NewSyn) {
                c.continue_from(earlier);
            }
        }
        self.list.push(c);
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
        let c = &mut self.list[index];
        c.ended = Some(why);
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
            let c = &mut self.list[due.conn];
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
            if let Some(t) = self.list[index]
                .zeek
                .service_timeout(ports::is_likely_server_port)
            {
                self.act(index, Action::Inactivity(t));
            }
        }
    }

    fn act(&mut self, index: usize, action: Action) {
        let c = &mut self.list[index];
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

    /// The connections so far, in order of their first segment.
    pub fn as_slice(&self) -> &[Connection] {
        &self.list
    }

    /// The latest connection between `a` and `b`, in either direction.
    pub fn find(&self, a: SocketAddr, b: SocketAddr) -> Option<&Connection> {
        self.latest.get(&key(a, b)).map(|&i| &self.list[i])
    }

    /// The connections, in order of their first segment.
    pub fn into_vec(self) -> Vec<Connection> {
        self.list
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
        assert_eq!(
            histories(on_port(segs.clone(), 9000)),
            [("ShADadFf".into(), Some(Split::Closed)), ("A".into(), None)]
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

    /// Zeek splits after 5 minutes of silence; tshark keeps one stream, so
    /// the second connection goes on with tcplab's relative numbers and
    /// Wireshark's analysis: its first segment, the same bytes again, is a
    /// retransmission (tcp/retransmit-timeout).
    #[test]
    fn after_a_timer_split_numbers_and_analysis_go_on() {
        let segs = on_port(
            vec![
                at(seg(1, C, SYN, 0, 0, 0), 0.0),
                at(seg(2, S, SYN | ACK, 0, 1, 0), 0.1),
                at(seg(3, C, PSH | ACK, 1, 1, 10), 0.2),
                at(seg(4, C, PSH | ACK, 1, 1, 10), 301.0),
            ],
            9000,
        );
        let conns = group(segs, None);
        assert_eq!(conns.len(), 2);
        let resent = &conns[1].steps[0];
        assert_eq!(resent.seq, 1);
        assert!(resent.is_retransmission());
        assert_eq!(conns[1].history(), "D");
        assert!(conns[1].relative_mismatches().is_empty());
    }

    /// A timer that ends a connection splits nothing unless its 4-tuple
    /// goes on: another 4-tuple's packet 10 minutes later leaves it whole.
    #[test]
    fn a_connection_no_packet_follows_was_not_split() {
        let mut other = at(seg(5, C, PSH | ACK, 1, 1, 10), 600.0);
        other.src.set_port(40000);
        let segs = vec![
            at(seg(1, C, PSH | ACK, 1, 1, 10), 0.0),
            at(seg(2, S, ACK, 1, 11, 0), 0.1),
            other,
        ];
        let h = histories(on_port(segs, 9000));
        assert_eq!(h, [("Da".into(), None), ("D".into(), None)]);
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
        assert_eq!(c.as_slice().len(), 2);
    }
}
