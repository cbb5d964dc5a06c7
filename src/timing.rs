//! How fast each end's data crossed, and how long a round trip took, read
//! off the capture: the throughput of each direction and its round-trip
//! times (RTT), the numbers Wireshark's time-sequence and RTT graphs show.
//!
//! An RTT sample of one end's data is the time from one of its segments to
//! the peer's answer to it:
//!
//! - **from TCP timestamps** (RFC 7323) when the connection carries them:
//!   from the first segment with a given TSval to the first segment of the
//!   peer that echoes it as TSecr, when that first segment takes sequence
//!   space (payload, SYN or FIN): the peer answers those at once, a pure
//!   ACK only with its next segment. A retransmission carries a TSval of
//!   its own, so no sample is ambiguous;
//! - **else from data and ACK pairs**: each ACK that moves the cumulative
//!   acknowledgment forward is paired with the latest segment it covers
//!   whole; an ACK that covers bytes sent more than once gives no sample
//!   (Karn's rule, RFC 6298 section 3), and a retransmission is never the
//!   segment of a pair.
//!
//! Times are capture times, so an RTT is the round trip *as seen from the
//! capture point*: a capture at the server's end sees the client's data
//! acknowledged almost at once, and the server's data after a whole round
//! trip through the link.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::connection::{Connection, Role, Step};

/// The timing of both directions of one connection.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Timing {
    /// The client's data and the server's answers to it.
    pub client: Direction,
    /// The server's data and the client's answers to it.
    pub server: Direction,
}

impl Timing {
    /// Reads the timing of both directions off a connection.
    pub fn of(conn: &Connection) -> Timing {
        Timing {
            client: Direction::of(conn, Role::Client),
            server: Direction::of(conn, Role::Server),
        }
    }

    /// The direction in which `role` sends data.
    pub fn from(&self, role: Role) -> &Direction {
        match role {
            Role::Client => &self.client,
            Role::Server => &self.server,
        }
    }
}

/// The timing of one end's data.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Direction {
    /// Payload bytes, each sequence number once ([`Connection::bytes_sent`]).
    pub bytes: u64,
    /// Seconds from the end's first payload segment to the first ACK that
    /// covered all of its payload (to its last payload segment when no ACK
    /// did); 0 without payload.
    pub seconds: f64,
    /// `bytes / seconds`, in bytes per second; `None` without payload or
    /// when all of it took no measurable time.
    pub bytes_per_second: Option<f64>,
    /// Round-trip times of this end's segments; `None` without a sample.
    pub rtt: Option<Rtt>,
}

/// Round-trip times, in seconds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Rtt {
    /// Where the samples came from.
    pub method: RttMethod,
    /// How many samples there were (at least one).
    pub samples: usize,
    /// The shortest.
    pub min: f64,
    /// The median (the mean of the middle two of an even count).
    pub median: f64,
    /// The longest.
    pub max: f64,
}

/// Where RTT samples came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RttMethod {
    /// TSval sent, TSecr echoed (RFC 7323).
    Timestamps,
    /// A segment and the ACK that covered it, Karn's rule applied.
    DataAck,
}

impl fmt::Display for RttMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RttMethod::Timestamps => "from timestamps",
            RttMethod::DataAck => "from data/ACK pairs",
        })
    }
}

impl Rtt {
    /// The summary of `samples` (seconds, any order); `None` when empty.
    pub fn of(method: RttMethod, mut samples: Vec<f64>) -> Option<Rtt> {
        samples.retain(|s| s.is_finite());
        samples.sort_by(f64::total_cmp);
        let n = samples.len();
        let (&min, &max) = (samples.first()?, samples.last()?);
        let median = if n % 2 == 1 {
            samples[n / 2]
        } else {
            (samples[n / 2 - 1] + samples[n / 2]) / 2.0
        };
        Some(Rtt {
            method,
            samples: n,
            min,
            median,
            max,
        })
    }
}

impl Direction {
    /// Reads the timing of `role`'s data off a connection.
    pub fn of(conn: &Connection, role: Role) -> Direction {
        let bytes = conn.bytes_sent(role);
        let seconds = transfer_seconds(conn, role);
        let bytes_per_second = (bytes > 0 && seconds > 0.0).then(|| bytes as f64 / seconds);
        let rtt = Rtt::of(RttMethod::Timestamps, timestamp_samples(conn, role))
            .or_else(|| Rtt::of(RttMethod::DataAck, ack_samples(conn, role)));
        Direction {
            bytes,
            seconds,
            bytes_per_second,
            rtt,
        }
    }
}

/// A segment of `role`'s data stream: payload, SYN or FIN, not a RST.
fn takes_sequence_space(s: &Step) -> bool {
    s.segment.seq_len() > 0 && !s.segment.flags.rst()
}

/// Seconds from `role`'s first payload segment to the first ACK of the
/// peer that covered all of its payload, or to its last payload segment.
fn transfer_seconds(conn: &Connection, role: Role) -> f64 {
    let payload = || {
        conn.steps
            .iter()
            .filter(|s| s.from == role && s.segment.len > 0 && !s.segment.flags.rst())
    };
    let Some(first) = payload().next() else {
        return 0.0;
    };
    let end = payload()
        .map(|s| s.seq + u64::from(s.segment.len))
        .max()
        .unwrap_or(first.seq);
    let last = payload()
        .map(|s| s.segment.time)
        .fold(first.segment.time, f64::max);
    let acked = conn
        .steps
        .iter()
        .find(|s| {
            s.from == role.peer()
                && s.segment.time >= first.segment.time
                && s.ack.is_some_and(|a| a >= end)
        })
        .map(|s| s.segment.time);
    (acked.unwrap_or(last) - first.segment.time).max(0.0)
}

/// RTT samples of `role`'s segments from TCP timestamps, in capture order
/// (see the module's documentation).
pub fn timestamp_samples(conn: &Connection, role: Role) -> Vec<f64> {
    // Each TSval's first segment: its time, and whether it takes sequence
    // space. A TSval first carried by a pure ACK is left out: the peer may
    // echo it for that ACK, before any data carrying it arrived (TSval
    // ticks once a millisecond on Linux, so many segments share one).
    let mut sent: HashMap<u32, (f64, bool)> = HashMap::new();
    let mut echoed: HashSet<u32> = HashSet::new();
    let mut samples = Vec::new();
    for s in &conn.steps {
        let Some((tsval, tsecr)) = s.segment.options.timestamps else {
            continue;
        };
        if s.from == role {
            sent.entry(tsval)
                .or_insert((s.segment.time, takes_sequence_space(s)));
        } else if s.segment.flags.ack() && tsecr != 0 {
            if let Some(&(t, true)) = sent.get(&tsecr) {
                if echoed.insert(tsecr) && s.segment.time >= t {
                    samples.push(s.segment.time - t);
                }
            }
        }
    }
    samples
}

/// RTT samples of `role`'s segments from data and ACK pairs, Karn's rule
/// applied, in capture order (see the module's documentation).
pub fn ack_samples(conn: &Connection, role: Role) -> Vec<f64> {
    // First transmissions not yet covered: (sequence number just past, time).
    let mut pending: VecDeque<(u64, f64)> = VecDeque::new();
    // Resent ranges not yet covered, by first sequence number: the end.
    let mut resent: BTreeMap<u64, u64> = BTreeMap::new();
    let mut acked: Option<u64> = None;
    let mut samples = Vec::new();
    for s in &conn.steps {
        if s.from == role {
            if !takes_sequence_space(s) {
                continue;
            }
            if s.is_retransmission() {
                let end = resent.entry(s.seq).or_insert(s.next_seq());
                *end = (*end).max(s.next_seq());
            } else {
                pending.push_back((s.next_seq(), s.segment.time));
            }
            continue;
        }
        let Some(ack) = s.ack else { continue };
        let from = match acked {
            Some(a) if ack <= a => continue,
            Some(a) => a,
            None => 0,
        };
        acked = Some(ack);
        let mut latest = None;
        while let Some(&(next, t)) = pending.front() {
            if next > ack {
                break;
            }
            latest = Some(t);
            pending.pop_front();
        }
        let karn = resent.range(..ack).any(|(_, &end)| end > from);
        resent.retain(|_, end| *end > ack);
        if let Some(t) = latest.filter(|_| !karn) {
            if s.segment.time >= t {
                samples.push(s.segment.time - t);
            }
        }
    }
    samples
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connection::group;
    use crate::testing::{four_segment, seg};
    use crate::wire::{Flags, Segment};
    use Role::{Client as C, Server as S};

    fn with_ts(mut s: Segment, tsval: u32, tsecr: u32) -> Segment {
        s.options.timestamps = Some((tsval, tsecr));
        s
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn the_lab_sheet_pairs_each_ack_with_the_segment_it_covers() {
        // Frames 1 ms apart; each ACK answers the segment just before it,
        // the handshake's and the echoes' included.
        let conn = group(four_segment(), None).remove(0);
        let t = Timing::of(&conn);
        let c = &t.client;
        assert_eq!(c.bytes, 1859);
        let rtt = c.rtt.as_ref().unwrap();
        assert_eq!(rtt.method, RttMethod::DataAck);
        // SYN/SYN-ACK, 479/Ack=480, 1380/Ack=1860 (the echo), FIN/ACK.
        assert_eq!(rtt.samples, 4);
        assert!(close(rtt.min, 0.001) && close(rtt.max, 0.001), "{rtt:?}");
        // From frame 4 (the first payload) to frame 9 (Ack=1860).
        assert!(close(c.seconds, 0.005), "{}", c.seconds);
        assert!((c.bytes_per_second.unwrap() / (1859.0 / 0.005) - 1.0).abs() < 1e-6);
        assert!(t.server.rtt.is_some());
    }

    #[test]
    fn an_ack_of_resent_bytes_gives_no_sample() {
        let (syn, ack) = (Flags::SYN, Flags::ACK);
        let segs = vec![
            seg(1, C, syn, 0, 0, 0),
            seg(2, S, syn | ack, 0, 1, 0),
            seg(3, C, ack, 1, 1, 0),
            seg(4, C, ack, 1, 1, 100),
            seg(5, C, ack, 101, 1, 100),
            // The first is lost; the second SACKed, then the first resent
            // 100 ms later and acked with the second.
            seg(6, S, ack, 1, 1, 0),
            seg(7, C, ack, 1, 1, 100),
            seg(8, S, ack, 1, 201, 0),
            seg(9, C, ack, 201, 1, 100),
            seg(10, S, ack, 1, 301, 0),
        ];
        let mut segs = segs;
        for s in &mut segs[6..] {
            s.time += 0.1;
        }
        let conn = group(segs, None).remove(0);
        assert!(conn.steps[6].is_retransmission());
        // The handshake's and frame 9's; frame 8 covers resent bytes.
        let samples = ack_samples(&conn, C);
        assert_eq!(samples.len(), 2, "{samples:?}");
        assert!(samples.iter().all(|&s| close(s, 0.001)), "{samples:?}");
    }

    #[test]
    fn timestamps_pair_a_tsval_with_its_first_echo() {
        let (syn, ack, psh) = (Flags::SYN, Flags::ACK, Flags::PSH);
        let mut segs = vec![
            with_ts(seg(1, C, syn, 0, 0, 0), 100, 0),
            with_ts(seg(2, S, syn | ack, 0, 1, 0), 900, 100),
            with_ts(seg(3, C, ack, 1, 1, 0), 101, 900),
            with_ts(seg(4, C, psh | ack, 1, 1, 10), 103, 900),
            with_ts(seg(5, C, psh | ack, 11, 1, 10), 103, 900),
            // A delayed ACK 40 ms after frame 5, echoing 103 (frame 4's).
            with_ts(seg(6, S, ack, 1, 21, 0), 950, 103),
            with_ts(seg(7, S, ack, 1, 21, 0), 951, 103),
        ];
        segs[5].time += 0.040;
        segs[6].time += 0.040;
        let conn = group(segs, None).remove(0);
        let samples = timestamp_samples(&conn, C);
        // 100 echoed by the SYN-ACK, 103 by frame 6 (42 ms after frame 4);
        // frame 7's echo is not a second sample, and frame 3 (a pure ACK)
        // has no echo to wait for.
        assert_eq!(samples.len(), 2, "{samples:?}");
        // A pure ACK first with the TSval: its echo may answer the ACK.
        let mut early = conn.clone();
        early.steps[2].segment.options.timestamps = Some((103, 900));
        assert_eq!(timestamp_samples(&early, C).len(), 1);
        assert!(close(samples[0], 0.001));
        assert!(close(samples[1], 0.042), "{samples:?}");
        let rtt = Timing::of(&conn).client.rtt.unwrap();
        assert_eq!(rtt.method, RttMethod::Timestamps);
        assert!(close(rtt.median, (0.001 + 0.042) / 2.0));
        assert_eq!(rtt.samples, 2);
    }

    #[test]
    fn odd_connections_give_no_numbers_and_no_panic() {
        let (syn, ack, rst) = (Flags::SYN, Flags::ACK, Flags::RST);
        let cases: Vec<Vec<Segment>> = vec![
            // One SYN, unanswered.
            vec![seg(1, C, syn, 0, 0, 0)],
            // Refused.
            vec![seg(1, C, syn, 0, 0, 0), seg(2, S, rst | ack, 0, 1, 0)],
            // A RST alone.
            vec![seg(1, S, rst, 5, 0, 0)],
            // One data segment, never acknowledged.
            vec![seg(1, C, ack, 1, 1, 500)],
        ];
        for segs in cases {
            for conn in group(segs, None) {
                let t = Timing::of(&conn);
                for d in [&t.client, &t.server] {
                    assert!(d.bytes_per_second.is_none(), "{d:?}");
                    assert!(d.seconds == 0.0, "{d:?}");
                }
                assert!(t.server.rtt.is_none());
                serde_json::to_string(&t).unwrap();
            }
        }
    }

    #[test]
    fn the_median_of_an_even_count_is_the_mean_of_the_middle_two() {
        let r = Rtt::of(RttMethod::DataAck, vec![4.0, 1.0, 3.0, 2.0]).unwrap();
        assert_eq!((r.min, r.median, r.max, r.samples), (1.0, 2.5, 4.0, 4));
        let r = Rtt::of(RttMethod::DataAck, vec![5.0, f64::NAN, 1.0, 3.0]).unwrap();
        assert_eq!((r.min, r.median, r.max, r.samples), (1.0, 3.0, 5.0, 3));
        assert!(Rtt::of(RttMethod::DataAck, vec![]).is_none());
    }
}
