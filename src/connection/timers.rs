//! Zeek's connection timers, which end a connection so that the next packet
//! of its 4-tuple begins another (`Session::InactivityTimer` in
//! `src/session/Session.cc`; `AttemptTimer`, `ExpireTimer` and the delete
//! timer in `src/packet_analysis/protocol/tcp/TCPSessionAdapter.cc`).
//!
//! Time is the capture's: before each packet every timer due by the
//! packet's time fires, in order of time (`src/RunState.cc`,
//! `src/Timer.cc`), so a capture's last connections simply end with it.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use serde::{Deserialize, Serialize};

use super::zeek::{CONNECTION_LINGER, SESSION_TIMER, Zeek};
use super::{EndpointState, Role};

/// The inactivity timeout before either end left the handshake (Zeek sets
/// `udp_inactivity_timeout` first, `src/packet_analysis/protocol/tcp/TCP.cc`).
pub(crate) const INITIAL_INACTIVITY_TIMEOUT: f64 = 60.0;
/// Zeek's `tcp_inactivity_timeout`, once an end left the handshake.
pub(crate) const TCP_INACTIVITY_TIMEOUT: f64 = 300.0;
/// The inactivity timeout of interactive services, by port
/// (`port_inactivity_timeouts`, `scripts/base/protocols/conn/inactivity.zeek`).
pub(crate) const SERVICE_INACTIVITY_TIMEOUTS: &[(u16, f64)] =
    &[(21, 3600.0), (22, 3600.0), (23, 3600.0), (513, 3600.0)];

/// Why a connection ended before the next packet of its 4-tuple, which then
/// began another connection (Zeek logs the two as two `conn.log` rows).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Split {
    /// A SYN with a new initial sequence number, or any SYN after either end
    /// closed (`IsReuse`).
    NewSyn,
    /// The SYN went unanswered for 5 s (`tcp_attempt_delay`).
    Unanswered,
    /// No packet for the inactivity timeout: 1 minute during the
    /// handshake, then 5 minutes, or 1 hour to ports 21, 22, 23 and 513.
    Inactive,
    /// One end closed or reset and nothing came for 5 s after
    /// (`tcp_connection_linger`).
    Expired,
    /// 5 s after both ends closed or one reset (`tcp_close_delay`).
    Closed,
}

impl std::fmt::Display for Split {
    /// Why, in words, with what follows: the 4-tuple's next packets are
    /// another connection.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Split::NewSyn => "a new SYN on the same ends began the next connection",
            Split::Unanswered => {
                "the SYN went unanswered for 5 s, so Zeek ended the attempt; the same ends' later packets are the next connection"
            }
            Split::Inactive => {
                "no packet for Zeek's inactivity timeout; the same ends' later packets are the next connection"
            }
            Split::Expired => {
                "no packet for 5 s after a close or reset; the same ends' later packets are the next connection"
            }
            Split::Closed => {
                "closed more than 5 s before; the same ends' later packets are the next connection"
            }
        })
    }
}

/// A Zeek timer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TimerKind {
    Inactivity,
    Attempt,
    Expire,
    Delete,
}

/// What one packet asks of a connection's timers, in order.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Effects {
    pub actions: Vec<Action>,
    /// Zeek raised `connection_established` (the service inactivity
    /// timeout follows, after the packet).
    pub established: bool,
}

/// One thing a packet asks of the timers.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Action {
    Schedule(f64, TimerKind),
    /// Cancel the analyzer's timers (all but inactivity).
    CancelTimers,
    /// Set the inactivity timeout.
    Inactivity(f64),
}

impl Effects {
    /// Asks for timer `kind` at `at`.
    pub fn schedule(&mut self, at: f64, kind: TimerKind) {
        self.actions.push(Action::Schedule(at, kind));
    }
}

/// A connection's pending timers, by id.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Pending {
    analyzer: Vec<u64>,
    inactivity: Option<u64>,
}

impl Pending {
    /// Takes timer `id` off the list; whether it was on it.
    fn take(&mut self, id: u64) -> bool {
        if self.inactivity == Some(id) {
            self.inactivity = None;
            return true;
        }
        match self.analyzer.iter().position(|&x| x == id) {
            Some(i) => {
                self.analyzer.swap_remove(i);
                true
            }
            None => false,
        }
    }

    /// Takes the due timer off the list, if it was still pending.
    pub fn fire(&mut self, due: &Due) -> bool {
        self.take(due.id)
    }

    /// Cancels the inactivity timer, when the timeout changes.
    pub fn cancel_inactivity(&mut self) {
        self.inactivity = None;
    }

    /// Cancels every timer but inactivity (`Analyzer::CancelTimers`).
    pub fn cancel_analyzer(&mut self) {
        self.analyzer.clear();
    }

    /// Cancels every timer: the connection ended.
    pub fn clear(&mut self) {
        *self = Pending::default();
    }
}

/// One timer due at `at`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Due {
    pub at: f64,
    pub id: u64,
    pub conn: usize,
    pub kind: TimerKind,
}

impl Eq for Due {}

impl PartialOrd for Due {
    fn partial_cmp(&self, other: &Due) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Due {
    /// Earliest first in a max-heap: the order reversed.
    fn cmp(&self, other: &Due) -> Ordering {
        other.at.total_cmp(&self.at).then(other.id.cmp(&self.id))
    }
}

/// Every pending timer of a capture, earliest first.
#[derive(Clone, Debug, Default)]
pub(crate) struct Timers {
    heap: BinaryHeap<Due>,
    next_id: u64,
}

impl Timers {
    /// Schedules `kind` for connection `conn` at `at`, noting it in `pending`.
    pub fn schedule(&mut self, conn: usize, pending: &mut Pending, at: f64, kind: TimerKind) {
        let id = self.next_id;
        self.next_id += 1;
        self.heap.push(Due { at, id, conn, kind });
        match kind {
            TimerKind::Inactivity => pending.inactivity = Some(id),
            _ => pending.analyzer.push(id),
        }
    }

    /// The next timer due by `now`, cancelled or not: the connection's
    /// [`Pending`] says whether it still counts.
    pub fn next_due(&mut self, now: f64) -> Option<Due> {
        if self.heap.peek().is_some_and(|d| d.at <= now) {
            self.heap.pop()
        } else {
            None
        }
    }
}

/// What a timer does when it fires.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Fired {
    /// Forget the connection: its 4-tuple's next packet begins another.
    End(Split),
    /// Check again at this time.
    Again(f64, TimerKind),
    Nothing,
}

impl Zeek {
    /// Decides what timer `kind` does at network time `now`.
    pub(super) fn on_timer(&mut self, kind: TimerKind, now: f64) -> Fired {
        match kind {
            TimerKind::Inactivity => {
                let at = self.last_time() + self.inactivity;
                if at <= now {
                    Fired::End(Split::Inactive)
                } else {
                    Fired::Again(at, TimerKind::Inactivity)
                }
            }
            TimerKind::Attempt if self.is_active() => {
                let (o, r) = self.states();
                if matches!(o.state, EndpointState::SynSent | EndpointState::SynAckSent)
                    && r.state == EndpointState::Inactive
                {
                    self.deactivate();
                    Fired::End(Split::Unanswered)
                } else {
                    Fired::Nothing
                }
            }
            TimerKind::Expire if self.is_active() => {
                if self.last_time() + CONNECTION_LINGER < now {
                    let (o, r) = self.states();
                    let closing = (o.did_close && r.did_close)
                        || [o.state, r.state]
                            .iter()
                            .any(|s| matches!(s, EndpointState::Reset | EndpointState::Inactive));
                    if (o.did_close || r.did_close) && closing {
                        self.deactivate();
                        return Fired::End(Split::Expired);
                    }
                    if o.state == EndpointState::Inactive && r.state == EndpointState::Inactive {
                        return Fired::End(Split::Expired);
                    }
                }
                Fired::Again(now + SESSION_TIMER, TimerKind::Expire)
            }
            TimerKind::Attempt | TimerKind::Expire => Fired::Nothing,
            TimerKind::Delete => Fired::End(Split::Closed),
        }
    }

    /// The service inactivity timeout for a connection Zeek just called
    /// established: by the responder's port, or by the originator's when
    /// only it is a likely server port and the originator sent nothing yet.
    pub(super) fn service_timeout(&self, likely: impl Fn(u16) -> bool) -> Option<f64> {
        let mut port = self.addr(Role::Server).port();
        let orig_port = self.addr(Role::Client).port();
        if self.end(Role::Client).state == EndpointState::Inactive
            && !likely(port)
            && likely(orig_port)
        {
            port = orig_port;
        }
        SERVICE_INACTIVITY_TIMEOUTS
            .iter()
            .find(|(p, _)| *p == port)
            .map(|&(_, t)| t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timers_come_due_in_time_order_and_cancelled_ones_never() {
        let mut t = Timers::default();
        let mut a = Pending::default();
        let mut b = Pending::default();
        t.schedule(0, &mut a, 10.0, TimerKind::Expire);
        t.schedule(1, &mut b, 5.0, TimerKind::Attempt);
        t.schedule(0, &mut a, 7.0, TimerKind::Inactivity);
        a.cancel_inactivity();
        let mut fired = vec![];
        while let Some(d) = t.next_due(20.0) {
            let p = if d.conn == 0 { &mut a } else { &mut b };
            if p.fire(&d) {
                fired.push((d.conn, d.at));
            }
        }
        assert_eq!(fired, vec![(1, 5.0), (0, 10.0)]);
    }
}
