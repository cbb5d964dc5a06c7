//! Sequence numbers on the line, not the circle: a connection whose raw
//! numbers wrap, and that moves more than 4 GiB so that every raw number
//! is used twice, is judged with the right byte counts and no
//! retransmission that never happened.

use tcplab::connection::{Role, group};
use tcplab::testing::{CLIENT_ISN, upload};
use tcplab::transfer::Transfer;
use tcplab::verdict::{Expectations, Judged, TerminationKind};

/// 4 GiB and a little more: the raw numbers of the last segments were
/// already used by the first ones.
const BYTES: u64 = (1 << 32) + 3_000_000;
const SEGMENT: u32 = 65_000;

#[test]
fn a_transfer_past_4_gib_has_no_false_retransmission() {
    let conn = group(upload(BYTES, SEGMENT), None).remove(0);
    // The client's raw numbers wrap near the start (its ISN is 4e9) and
    // again after 4 GiB; its relative numbers keep counting.
    assert!(CLIENT_ISN.get() > u32::MAX - 300_000_000);
    let last_data = conn
        .steps
        .iter()
        .rev()
        .find(|s| s.from == Role::Client && s.segment.len > 0)
        .unwrap();
    assert_eq!(last_data.next_seq(), 1 + BYTES);
    assert!(last_data.seq > 1 << 32);
    assert!(conn.relative_mismatches().is_empty());

    assert_eq!(conn.retransmissions(), 0);
    // Zeek's count wraps too: no T, every byte once.
    assert_eq!(conn.history(), "ShADaFf");
    assert_eq!(conn.bytes_sent(Role::Client), BYTES);
    assert_eq!(conn.acks_from(Role::Server).last(), Some(&(BYTES + 2)));

    let transfer = Transfer::of(&conn);
    assert_eq!(transfer.message_sizes(Role::Client), [BYTES]);
    assert!(transfer.retransmissions.is_empty());
    assert_eq!(transfer.duplicate_acks, 0);

    let judged = Judged::new(
        conn,
        &Expectations {
            client_messages: Some(vec![BYTES]),
            ..Expectations::default()
        },
    );
    let f = &judged.verdict.findings;
    assert_eq!((f.client_bytes, f.server_bytes), (BYTES, 0));
    assert!(f.client_data_acked);
    assert_eq!(f.termination.kind, TerminationKind::FourSegment);
    assert!(judged.passed(), "{}", judged.verdict);
}
