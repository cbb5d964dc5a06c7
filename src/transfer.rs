//! How the data crossed the link: the segment size each end announced and
//! used, how each message was cut into segments, and what loss cost:
//! retransmissions (after duplicate ACKs or after a timer), duplicate ACKs
//! and SACK blocks; and each direction's throughput and round-trip times
//! ([`crate::timing`]).
//!
//! On loopback this is dull (MSS 65495, no loss); over a veth link with MTU
//! 1500 a 4000-byte message becomes 1448 + 1448 + 1104 bytes, and a dropped
//! segment shows how TCP recovers.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::connection::{Connection, Resend, Role, Step};
use crate::timing::Timing;

/// What made a sender retransmit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RetransmissionKind {
    /// The peer's duplicate ACKs or SACK blocks had said the bytes were
    /// missing: fast retransmit, or SACK-based recovery of further holes.
    Fast,
    /// No duplicate ACK came first: a timer fired (retransmission timeout,
    /// or Linux's tail loss probe).
    Timeout,
}

impl fmt::Display for RetransmissionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RetransmissionKind::Fast => "fast (after duplicate ACKs or SACK)",
            RetransmissionKind::Timeout => "after a timeout",
        })
    }
}

/// One retransmitted segment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Retransmission {
    /// Its frame.
    pub frame: u64,
    /// The frame of the first transmission of these sequence numbers;
    /// `None` when the capture does not hold it (lost before the capture
    /// point, or sent before the capture began): the segment is still
    /// counted in the byte counts and messages.
    pub original_frame: Option<u64>,
    /// Who resent.
    pub from: Role,
    /// Relative sequence number.
    pub seq: u64,
    /// Payload length.
    pub len: u32,
    /// What made the sender resend.
    pub kind: RetransmissionKind,
    /// Seconds since the first transmission; `None` when the capture does
    /// not hold it.
    pub after: Option<f64>,
}

/// One message: a run of one end's payload not interrupted by the other
/// end's payload, each byte counted once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    /// Who sent it.
    pub from: Role,
    /// Its size in bytes.
    pub bytes: u64,
    /// The payload lengths of its segments, as first sent.
    pub segments: Vec<u32>,
}

/// The transfer facts of one connection.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Transfer {
    /// MSS the client announced in its SYN.
    pub client_mss: Option<u16>,
    /// MSS the server announced in its SYN-ACK.
    pub server_mss: Option<u16>,
    /// The client's largest payload in one segment.
    pub client_largest: u32,
    /// The server's largest payload in one segment.
    pub server_largest: u32,
    /// The messages, in order.
    pub messages: Vec<Message>,
    /// Every retransmitted segment.
    pub retransmissions: Vec<Retransmission>,
    /// Duplicate ACKs as Wireshark counts them: empty segments that repeat
    /// their sender's last ack, window and sequence number.
    pub duplicate_acks: usize,
    /// Segments carrying SACK blocks.
    pub sack_segments: usize,
    /// Throughput and round-trip times of each direction.
    #[serde(default)]
    pub timing: Timing,
}

impl Transfer {
    /// Reads the transfer facts off a connection.
    pub fn of(conn: &Connection) -> Transfer {
        let syn_mss = |role: Role| {
            conn.steps
                .iter()
                .find(|s| s.from == role && s.segment.flags.syn())
                .and_then(|s| s.segment.options.mss)
        };
        let largest = |role: Role| {
            conn.steps
                .iter()
                .filter(|s| s.from == role)
                .map(|s| s.segment.len)
                .max()
                .unwrap_or(0)
        };
        let dups = duplicate_acks(conn);
        Transfer {
            client_mss: syn_mss(Role::Client),
            server_mss: syn_mss(Role::Server),
            client_largest: largest(Role::Client),
            server_largest: largest(Role::Server),
            messages: messages(conn),
            retransmissions: retransmissions(conn, &dups),
            duplicate_acks: dups.len(),
            sack_segments: conn
                .steps
                .iter()
                .filter(|s| !s.segment.options.sack_blocks.is_empty())
                .count(),
            timing: Timing::of(conn),
        }
    }

    /// The sizes of one end's messages, in order.
    pub fn message_sizes(&self, from: Role) -> Vec<u64> {
        self.messages
            .iter()
            .filter(|m| m.from == from)
            .map(|m| m.bytes)
            .collect()
    }

    /// Retransmissions of one kind.
    pub fn count(&self, kind: RetransmissionKind) -> usize {
        self.retransmissions
            .iter()
            .filter(|r| r.kind == kind)
            .count()
    }
}

/// The messages: every payload segment that carries sequence numbers not
/// seen before on the capture, including one Wireshark calls a
/// retransmission because the capture missed its first copy.
fn messages(conn: &Connection) -> Vec<Message> {
    let mut out: Vec<Message> = Vec::new();
    let first_copies = conn
        .steps
        .iter()
        .filter(|s| s.segment.len > 0 && !s.analysis.resent);
    for s in first_copies {
        match out.last_mut() {
            Some(m) if m.from == s.from => {
                m.bytes += u64::from(s.segment.len);
                m.segments.push(s.segment.len);
            }
            _ => out.push(Message {
                from: s.from,
                bytes: u64::from(s.segment.len),
                segments: vec![s.segment.len],
            }),
        }
    }
    out
}

/// Indices of the steps that are duplicate ACKs (see [`crate::connection::Analysis::duplicate_ack`]).
fn duplicate_acks(conn: &Connection) -> Vec<usize> {
    conn.steps
        .iter()
        .enumerate()
        .filter(|(_, s)| s.analysis.duplicate_ack)
        .map(|(i, _)| i)
        .collect()
}

/// Every retransmission; `dups` are the indices of the duplicate ACKs.
fn retransmissions(conn: &Connection, dups: &[usize]) -> Vec<Retransmission> {
    let steps = &conn.steps;
    let overlaps = |a: &Step, b: &Step| a.seq < b.next_seq() && b.seq < a.next_seq();
    steps
        .iter()
        .enumerate()
        .filter(|(_, s)| s.is_retransmission())
        .map(|(i, s)| {
            let original = steps[..i]
                .iter()
                .position(|o| o.from == s.from && overlaps(o, s));
            let since = original.unwrap_or(0);
            // The peer signalled a hole between the first transmission and
            // this one: a duplicate ACK still short of these bytes, or SACK
            // blocks for data past them (fast retransmit and SACK recovery).
            let signalled = |d: usize| {
                let p = &steps[d];
                let dup = dups.contains(&d) && p.ack.is_some_and(|a| s.seq >= a);
                let sacked_past = p
                    .segment
                    .options
                    .sack_blocks
                    .iter()
                    .any(|block| block.right > s.segment.seq_raw);
                dup || sacked_past
            };
            let fast = (since + 1..i).any(|d| steps[d].from == s.from.peer() && signalled(d));
            Retransmission {
                frame: s.segment.frame,
                original_frame: original.map(|o| steps[o].segment.frame),
                from: s.from,
                seq: s.seq,
                len: s.segment.len,
                kind: if fast || s.analysis.resend == Some(Resend::Fast) {
                    RetransmissionKind::Fast
                } else {
                    RetransmissionKind::Timeout
                },
                after: original.map(|o| s.segment.time - steps[o].segment.time),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connection::group;
    use crate::testing::{four_segment, seg};
    use crate::wire::Flags;

    #[test]
    fn the_lab_sheet_has_two_messages_each_way_and_no_loss() {
        let conn = group(four_segment(), None).remove(0);
        let t = Transfer::of(&conn);
        assert_eq!(t.message_sizes(Role::Client), vec![479, 1380]);
        assert_eq!(t.message_sizes(Role::Server), vec![479, 1380]);
        assert_eq!(t.client_largest, 1380);
        assert!(t.retransmissions.is_empty());
        assert_eq!(t.duplicate_acks, 0);
        assert_eq!(t.sack_segments, 0);
    }

    /// A 4000-byte message whose second segment is lost: the receiver
    /// acks 1449 twice, the sender resends at once.
    #[test]
    fn a_resend_after_a_duplicate_ack_is_fast_and_one_without_is_a_timeout() {
        use Role::{Client as C, Server as S};
        let (syn, ack, psh) = (Flags::SYN, Flags::ACK, Flags::PSH);
        let base = vec![
            seg(1, C, syn, 0, 0, 0),
            seg(2, S, syn | ack, 0, 1, 0),
            seg(3, C, ack, 1, 1, 0),
            seg(4, C, ack, 1, 1, 1448),
            seg(5, S, ack, 1, 1449, 0),
            seg(6, C, ack, 1449, 1, 1448),
            seg(7, C, psh | ack, 2897, 1, 1104),
            seg(8, S, ack, 1, 1449, 0),
            seg(9, C, ack, 1449, 1, 1448),
            seg(10, S, ack, 1, 4001, 0),
        ];
        let conn = group(base.clone(), None).remove(0);
        let t = Transfer::of(&conn);
        assert_eq!(t.duplicate_acks, 1);
        assert_eq!(t.retransmissions.len(), 1);
        let r = &t.retransmissions[0];
        assert_eq!(
            (r.seq, r.len, r.kind, r.from),
            (1449, 1448, RetransmissionKind::Fast, Role::Client)
        );
        assert_eq!(r.original_frame, Some(6));
        // Each byte counted once: one 4000-byte message in three segments.
        assert_eq!(t.messages[0].segments, vec![1448, 1448, 1104]);

        // Without the duplicate ACK the same resend is a timer's.
        let mut no_dup = base;
        no_dup.remove(7);
        assert_eq!(no_dup[6].frame, 7);
        let t = Transfer::of(&group(no_dup, None).remove(0));
        assert_eq!(t.duplicate_acks, 0);
        assert_eq!(t.retransmissions[0].kind, RetransmissionKind::Timeout);
    }

    /// http/connect-with-smtp: the capture missed the client's 20 bytes at
    /// 104 (lost before the capture point); its next segment came first,
    /// then the 20 bytes again, which Wireshark calls a retransmission. They
    /// still count, once, and the entry says the first copy is not on the
    /// capture.
    #[test]
    fn a_first_copy_missing_from_the_capture_still_counts() {
        use Role::{Client as C, Server as S};
        let (syn, ack, psh) = (Flags::SYN, Flags::ACK, Flags::PSH);
        let segs = vec![
            seg(1, C, syn, 0, 0, 0),
            seg(2, S, syn | ack, 0, 1, 0),
            seg(3, C, ack, 1, 1, 0),
            seg(4, C, psh | ack, 1, 1, 103),
            seg(5, C, psh | ack, 124, 1, 10),
            seg(6, C, psh | ack, 104, 1, 20),
            seg(7, S, ack, 1, 134, 0),
        ];
        // Sent again a round trip later: what Wireshark calls a retransmission.
        let mut segs = segs;
        segs[5].time += 0.5;
        segs[6].time += 0.5;
        let conn = group(segs, None).remove(0);
        assert_eq!(conn.bytes_sent(Role::Client), 133);
        assert_eq!(conn.missed_bytes(Role::Client), 0);
        let t = Transfer::of(&conn);
        assert_eq!(t.message_sizes(Role::Client), vec![133]);
        let r = &t.retransmissions[0];
        assert_eq!((r.frame, r.original_frame, r.after), (6, None, None));
        let json = serde_json::to_value(r).unwrap();
        assert_eq!(json["after"], serde_json::Value::Null);
    }
}
