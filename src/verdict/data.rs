//! The data: the client's first data segment and the server's
//! acknowledgment of it (the seed's `Ack=480` after 479 bytes), every
//! message acknowledged exactly at its end, and every byte acknowledged in
//! the end. Acknowledgments are cumulative (RFC 9293, 3.4): an ack of N
//! says every byte before N arrived.

use serde::Serialize;

use super::{Check, CheckOutcome, Expectations, Findings};
use crate::connection::{Connection, Role};

/// The client's first data segment and the server's acknowledgment of it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FirstData {
    /// Payload length.
    pub len: u32,
    /// Relative sequence number (1 after a normal handshake).
    pub seq: u64,
    /// Relative ack of the first server segment that covers it; `None` if never acknowledged.
    pub ack: Option<u64>,
    /// Frame of the data segment.
    pub frame: u64,
    /// Frame of the acknowledging segment.
    pub ack_frame: Option<u64>,
    /// Whether that acknowledgment was a pure ACK (no data, no FIN).
    pub pure_ack: bool,
}

/// The client's first data segment that is not a retransmission, and the
/// first server segment whose ack covers it.
pub fn first_data(conn: &Connection) -> Option<FirstData> {
    let (i, data) = conn
        .steps
        .iter()
        .enumerate()
        .find(|(_, s)| s.from == Role::Client && s.segment.len > 0 && !s.is_retransmission())?;
    let end = data.seq + u64::from(data.segment.len);
    let acker = conn.steps[i + 1..]
        .iter()
        .find(|s| s.from == Role::Server && s.ack.is_some_and(|a| a >= end));
    Some(FirstData {
        len: data.segment.len,
        seq: data.seq,
        ack: acker.and_then(|s| s.ack),
        frame: data.segment.frame,
        ack_frame: acker.map(|s| s.segment.frame),
        pure_ack: acker.is_some_and(|s| s.segment.is_pure_ack()),
    })
}

/// Whether the peer acknowledged every byte `role` sent.
pub fn all_acked(conn: &Connection, role: Role) -> bool {
    let Some(end) = conn
        .originals()
        .filter(|s| s.from == role && s.segment.len > 0)
        .map(|s| s.seq + u64::from(s.segment.len))
        .max()
    else {
        return true;
    };
    conn.steps
        .iter()
        .any(|s| s.from == role.peer() && s.ack.is_some_and(|a| a >= end))
}

/// The `data_acknowledged` check.
pub(super) fn data_check(f: &Findings, expect: &Expectations) -> CheckOutcome {
    let fail = |why: String| CheckOutcome {
        check: Check::DataAcknowledged,
        passed: false,
        why,
    };
    let Some(first) = &f.first_data else {
        return if expect
            .client_messages
            .as_ref()
            .is_some_and(|m| m.iter().any(|&n| n > 0))
        {
            fail("the client sent no data".to_owned())
        } else {
            CheckOutcome {
                check: Check::DataAcknowledged,
                passed: true,
                why: "no data sent, nothing to acknowledge".to_owned(),
            }
        };
    };
    let end = first.seq + u64::from(first.len);
    let Some(ack) = first.ack else {
        return fail(format!(
            "the server never acknowledged the client's first {} bytes (Seq={}, frame {})",
            first.len, first.seq, first.frame
        ));
    };
    if let Some(want) = expect.first_data_ack {
        if ack != want {
            return fail(format!(
                "the server acknowledged the client's first {} bytes with Ack={ack}, expected Ack={want}",
                first.len
            ));
        }
    }
    if !f.client_data_acked {
        return fail(format!(
            "the server did not acknowledge all {} bytes the client sent",
            f.client_bytes
        ));
    }
    CheckOutcome {
        check: Check::DataAcknowledged,
        passed: true,
        why: format!(
            "first data Seq={} Len={} acknowledged with Ack={ack}{}; all {} client bytes acknowledged",
            first.seq,
            first.len,
            if ack == end { "" } else { " (cumulatively)" },
            f.client_bytes
        ),
    }
}

/// The `client_messages` check: the server acknowledged the end of each
/// expected message exactly (relative ack 1 + the bytes up to it). TCP
/// carries a byte stream: a message's end is visible only in the acks,
/// whatever segments the sender cut. The messages as read off the wire
/// (payload up to the server's next payload) are shown for comparison.
pub(super) fn client_messages_check(f: &Findings, want: &[u64]) -> CheckOutcome {
    let seen = f.transfer.message_sizes(Role::Client);
    let mut boundary: u64 = 1;
    for (i, &n) in want.iter().enumerate() {
        boundary += n;
        // An ack past the client's data acknowledges its FIN, not a message.
        if boundary > 1 + f.client_bytes || !f.server_acks.contains(&boundary) {
            return CheckOutcome {
                check: Check::ClientMessages,
                passed: false,
                why: format!(
                    "expected client messages of {want:?} bytes, but the server never sent Ack={boundary}, the end of message {} ({n} bytes); its acks were {:?}; on the wire the client's messages were {seen:?}",
                    i + 1,
                    f.server_acks
                ),
            };
        }
    }
    if boundary != 1 + f.client_bytes {
        return CheckOutcome {
            check: Check::ClientMessages,
            passed: false,
            why: format!(
                "expected client messages of {want:?} bytes ({} in all), but the client sent {} bytes; on the wire its messages were {seen:?}",
                boundary - 1,
                f.client_bytes
            ),
        };
    }
    let acks: Vec<String> = want
        .iter()
        .scan(1u64, |end, &n| {
            *end += n;
            Some(format!("Ack={end}"))
        })
        .collect();
    CheckOutcome {
        check: Check::ClientMessages,
        passed: true,
        why: format!(
            "the server acknowledged the end of each of the client's messages of {want:?} bytes ({})",
            acks.join(", ")
        ),
    }
}
