//! Wireshark's expert analysis of TCP (`tcp.analysis.*`), computed by
//! tcplab from the segments themselves, per direction in capture order, as
//! Wireshark's `tcp_analyze_sequence_number` does; and tcplab's own test
//! for a retransmission: sequence numbers already seen on the capture.
//!
//! tshark could print these flags, but asking for any field with two dots
//! (`tcp.analysis.retransmission`) makes it print every field of every
//! packet, some twenty times the text; so the connection computes them.
//!
//! Wireshark keeps, per direction, the next expected sequence number
//! ("nextseq": the highest `seq + len`, plus one for SYN or FIN, and when
//! it was reached), the ack and window the direction sent last, and how many
//! duplicate ACKs it sent in a row. tcplab keeps the same over its unwrapped
//! relative numbers, so the facts hold past 4 GiB too.

use std::time::Duration;

use super::Role;
use super::ranges::Ranges;
use crate::wire::Segment;

/// How Wireshark classifies a segment that carries sequence numbers its
/// sender had already passed (or that the peer had already acknowledged):
/// exactly one of these, tried in this order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Resend {
    /// `tcp.analysis.spurious_retransmission`: the peer had already
    /// acknowledged every byte of it.
    Spurious,
    /// `tcp.analysis.fast_retransmission`: it starts at the peer's last
    /// ack, after two or more duplicate ACKs of it, the last one less than
    /// [`FAST_RETRANSMISSION_WITHIN`] before.
    Fast,
    /// `tcp.analysis.out_of_order`: it came within one round trip of the
    /// handshake (or [`OUT_OF_ORDER_WITHIN`] when unknown) after the
    /// segment that reached the next expected number, and does not end there.
    OutOfOrder,
    /// `tcp.analysis.retransmission`: any other segment that starts before
    /// the next expected number.
    Retransmission,
}

/// Wireshark's window for a fast retransmission after the last duplicate ACK.
pub const FAST_RETRANSMISSION_WITHIN: Duration = Duration::from_millis(20);

/// Wireshark's out-of-order window when the handshake's round trip is unknown.
pub const OUT_OF_ORDER_WITHIN: Duration = Duration::from_millis(3);

/// What the analysis says of one segment of a connection.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Analysis {
    /// Some of its sequence numbers (payload, SYN or FIN) were already on
    /// the capture: a retransmission whatever Wireshark's timing heuristics
    /// call it (on a fast link it calls a quick resend "out of order").
    /// Never set for a keep-alive, which resends one old byte on purpose,
    /// and a zero window probe's byte does not count as seen.
    pub resent: bool,
    /// Wireshark's class for a segment behind its sender's numbers.
    pub resend: Option<Resend>,
    /// `tcp.analysis.lost_segment`: it starts past the next expected
    /// number, so the capture missed what came before it.
    pub lost_segment: bool,
    /// `tcp.analysis.duplicate_ack`: an empty segment repeating its
    /// direction's last ack, window and next sequence number.
    pub duplicate_ack: bool,
    /// `tcp.analysis.zero_window`: the window field is 0 (and no SYN, FIN or RST).
    pub zero_window: bool,
    /// `tcp.analysis.keep_alive`: 0 or 1 byte one number before the next
    /// expected one (and no SYN, FIN or RST).
    pub keep_alive: bool,
    /// `tcp.analysis.zero_window_probe`: 1 byte at the next expected number
    /// while the peer's window is 0.
    pub zero_window_probe: bool,
}

impl Analysis {
    /// Whether the segment is a retransmission: tcplab saw its sequence
    /// numbers before, or Wireshark would call it a retransmission (plain,
    /// fast or spurious; not out of order).
    pub fn is_retransmission(&self) -> bool {
        self.resent
            || matches!(
                self.resend,
                Some(Resend::Retransmission | Resend::Fast | Resend::Spurious)
            )
    }
}

/// The analysis state of one connection: one [`Flow`] per direction and the
/// handshake's round trip.
#[derive(Clone, Debug, Default, PartialEq)]
pub(super) struct Analyzer {
    client: Flow,
    server: Flow,
    /// When the client's most recent SYN was captured.
    syn_time: Option<f64>,
    /// From that SYN to the first ACK after it, without SYN.
    first_rtt: Option<f64>,
}

/// What Wireshark remembers of one direction.
#[derive(Clone, Debug, Default, PartialEq)]
struct Flow {
    /// The next expected relative sequence number, and when it was reached.
    next_seq: Option<(u64, f64)>,
    /// The ack this direction sent last (`None` when that segment had no
    /// ACK), and when.
    last_ack: Option<(u64, f64)>,
    /// The window field this direction sent last.
    window: Option<u16>,
    /// Duplicate ACKs this direction sent in a row.
    duplicate_acks: u32,
    /// The last segment was a keep-alive.
    last_keep_alive: bool,
    /// Relative sequence ranges seen from this direction.
    seen: Ranges,
}

impl Flow {
    fn next_seq(&self) -> Option<u64> {
        self.next_seq.map(|(n, _)| n)
    }

    fn last_ack(&self) -> Option<u64> {
        self.last_ack.map(|(a, _)| a)
    }
}

impl Analyzer {
    /// Swaps what it knows of the two directions, when the roles flip.
    pub(super) fn swap_roles(&mut self) {
        std::mem::swap(&mut self.client, &mut self.server);
    }

    /// Analyses the next segment of the connection, sent by `from` with
    /// the relative numbers `seq` and `ack`, and remembers it.
    pub(super) fn analyze(
        &mut self,
        from: Role,
        segment: &Segment,
        seq: u64,
        ack: Option<u64>,
    ) -> Analysis {
        let flags = segment.flags;
        let time = segment.time;
        let len = u64::from(segment.len);
        let window = segment.window;
        let control = flags.syn() || flags.fin() || flags.rst();
        if flags.syn() && !flags.ack() {
            self.syn_time = Some(time);
        }
        if flags.ack() && !flags.syn() && self.first_rtt.is_none() {
            self.first_rtt = self.syn_time.map(|syn| time - syn);
        }
        let out_of_order_within = self.first_rtt.unwrap_or(OUT_OF_ORDER_WITHIN.as_secs_f64());
        let (fwd, rev) = match from {
            Role::Client => (&mut self.client, &self.server),
            Role::Server => (&mut self.server, &self.client),
        };
        let mut a = Analysis::default();
        let next_seq = fwd.next_seq();
        // Repeats this direction's last ack, window and next number.
        let repeats =
            len == 0 && !control && Some(seq) == next_seq && ack == fwd.last_ack() && window != 0;
        a.zero_window_probe = len == 1 && Some(seq) == next_seq && rev.window == Some(0);
        if !a.zero_window_probe {
            a.zero_window = window == 0 && !control;
            a.lost_segment = next_seq.is_some_and(|n| seq > n) && !flags.rst();
            a.keep_alive = len <= 1 && !control && next_seq.is_some_and(|n| n > 0 && seq == n - 1);
            // The answer to a keep-alive repeats the last ack: no duplicate.
            let answers_keep_alive = repeats && Some(window) == fwd.window && rev.last_keep_alive;
            if repeats && Some(window) == fwd.window && !answers_keep_alive {
                fwd.duplicate_acks += 1;
                a.duplicate_ack = true;
            }
        }
        if ack != fwd.last_ack() {
            fwd.duplicate_acks = 0;
        }
        let seq_len = segment.seq_len();
        if (len > 0 || flags.syn() || flags.fin()) && !a.keep_alive {
            // More than one byte one number before the next expected: new
            // data after a zero window probe, not a step back.
            let behind = next_seq.is_some_and(|n| seq < n && !(len > 1 && seq + 1 == n));
            let since = |at: Option<(u64, f64)>| at.map_or(f64::INFINITY, |(_, t)| time - t);
            a.resend = if len > 0 && rev.last_ack().is_some_and(|acked| seq + len <= acked) {
                Some(Resend::Spurious)
            } else if behind
                && rev.duplicate_acks >= 2
                && rev.last_ack() == Some(seq)
                && since(rev.last_ack) < FAST_RETRANSMISSION_WITHIN.as_secs_f64()
            {
                Some(Resend::Fast)
            } else if behind
                && since(fwd.next_seq) < out_of_order_within
                && next_seq != Some(seq + seq_len)
            {
                Some(Resend::OutOfOrder)
            } else if behind {
                Some(Resend::Retransmission)
            } else {
                None
            };
        }
        let end = seq + seq_len;
        if next_seq.is_none_or(|n| end > n) && !a.zero_window_probe {
            fwd.next_seq = Some((end, time));
        }
        fwd.window = Some(window);
        fwd.last_ack = ack.map(|a| (a, time));
        fwd.last_keep_alive = a.keep_alive;
        // A keep-alive resends one old byte on purpose, and the byte of a
        // zero window probe is sent again once the window opens: neither
        // is a retransmission.
        a.resent = !a.keep_alive && !a.zero_window_probe && fwd.seen.insert(seq, end);
        a
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connection::group;
    use crate::testing::{lab, seg};
    use crate::wire::Flags;
    use Role::{Client as C, Server as S};
    use rstest::rstest;

    const ACK: Flags = Flags::ACK;
    const PSH: Flags = Flags::PSH;
    const SYN: Flags = Flags::SYN;

    /// The seed's exchange up to frame 9 (each side has sent its 1859
    /// bytes; the server acked all of the client's, the client 479 of the
    /// server's), then `more`, frame n at 1000 + n ms unless changed.
    fn after_the_exchange(more: Vec<crate::wire::Segment>) -> Vec<Analysis> {
        let mut segs = lab(&[]);
        segs.extend(more);
        group(segs, None)
            .remove(0)
            .steps
            .iter()
            .map(|s| s.analysis)
            .collect()
    }

    fn at(mut s: crate::wire::Segment, ms: f64) -> crate::wire::Segment {
        s.time = 1000.0 + ms / 1000.0;
        s
    }

    fn window(mut s: crate::wire::Segment, window: u16) -> crate::wire::Segment {
        s.window = window;
        s
    }

    #[test]
    fn the_seed_exchange_has_nothing_to_remark() {
        assert!(
            after_the_exchange(vec![])
                .iter()
                .all(|a| *a == Analysis::default())
        );
    }

    #[rstest]
    // One old byte, one number before the next: a keep-alive, not a resend.
    #[case::keep_alive_with_a_byte(seg(10, C, ACK, 1859, 1860, 1), Analysis { keep_alive: true, ..Default::default() }, false)]
    #[case::keep_alive_empty(seg(10, C, ACK, 1859, 1860, 0), Analysis { keep_alive: true, ..Default::default() }, false)]
    #[case::zero_window(window(seg(10, S, ACK, 1860, 1860, 0), 0), Analysis { zero_window: true, ..Default::default() }, false)]
    #[case::a_gap_before_it(seg(10, C, PSH | ACK, 2000, 1860, 100), Analysis { lost_segment: true, ..Default::default() }, false)]
    #[case::duplicate_ack(seg(10, S, ACK, 1860, 1860, 0), Analysis { duplicate_ack: true, ..Default::default() }, false)]
    // The server had acknowledged all 1380 bytes in frame 9.
    #[case::spurious(at(seg(10, C, ACK, 480, 1860, 1380), 300.0), Analysis { resent: true, resend: Some(Resend::Spurious), ..Default::default() }, true)]
    // The client has not acknowledged the server's 1380 bytes: sent again
    // after 300 ms, a retransmission.
    #[case::retransmission(at(seg(10, S, ACK, 480, 1860, 1380), 300.0), Analysis { resent: true, resend: Some(Resend::Retransmission), ..Default::default() }, true)]
    // Part of them again 1 ms later, within the handshake's 2 ms round
    // trip: Wireshark says out of order, tcplab saw the bytes before.
    #[case::out_of_order(seg(10, S, ACK, 480, 1860, 100), Analysis { resent: true, resend: Some(Resend::OutOfOrder), ..Default::default() }, true)]
    fn one_more_segment_is_analysed(
        #[case] more: crate::wire::Segment,
        #[case] want: Analysis,
        #[case] retransmission: bool,
    ) {
        let all = after_the_exchange(vec![more]);
        assert_eq!(all[9], want);
        assert_eq!(all[9].is_retransmission(), retransmission);
    }

    #[test]
    fn the_answer_to_a_keep_alive_is_no_duplicate_ack() {
        let all = after_the_exchange(vec![
            seg(10, C, ACK, 1859, 1860, 1),
            seg(11, S, ACK, 1860, 1860, 0),
        ]);
        assert!(all[9].keep_alive && !all[9].is_retransmission());
        assert_eq!(all[10], Analysis::default());
    }

    #[test]
    fn a_zero_window_probe_byte_sent_again_is_no_retransmission() {
        let all = after_the_exchange(vec![
            window(seg(10, S, ACK, 1860, 1860, 0), 0),
            seg(11, C, ACK, 1860, 1860, 1),
            seg(12, S, ACK, 1860, 1860, 0),
            seg(13, C, PSH | ACK, 1860, 1860, 100),
        ]);
        assert!(all[9].zero_window);
        assert!(all[10].zero_window_probe && !all[10].is_retransmission());
        assert_eq!(all[12], Analysis::default());
    }

    /// A 4000-byte message whose second segment is lost: the receiver
    /// acks 1449 three times (two duplicates) and the sender resends at once.
    #[test]
    fn a_resend_after_two_duplicate_acks_is_fast() {
        let segs = vec![
            seg(1, C, SYN, 0, 0, 0),
            seg(2, S, SYN | ACK, 0, 1, 0),
            seg(3, C, ACK, 1, 1, 0),
            seg(4, C, ACK, 1, 1, 1448),
            seg(5, S, ACK, 1, 1449, 0),
            seg(6, C, ACK, 1449, 1, 1448),
            seg(7, C, PSH | ACK, 2897, 1, 1104),
            seg(8, S, ACK, 1, 1449, 0),
            seg(9, S, ACK, 1, 1449, 0),
            seg(10, C, ACK, 1449, 1, 1448),
        ];
        let all: Vec<Analysis> = group(segs.clone(), None)
            .remove(0)
            .steps
            .iter()
            .map(|s| s.analysis)
            .collect();
        assert!(all[7].duplicate_ack && all[8].duplicate_ack && !all[4].duplicate_ack);
        assert_eq!(all[9].resend, Some(Resend::Fast));
        assert!(all[9].resent && all[9].is_retransmission());
        // After 20 ms it is a retransmission by timer, as Wireshark sees it.
        let mut late = segs;
        late[9].time += 0.021;
        let all: Vec<Analysis> = group(late, None)
            .remove(0)
            .steps
            .iter()
            .map(|s| s.analysis)
            .collect();
        assert_eq!(all[9].resend, Some(Resend::Retransmission));
    }
}
