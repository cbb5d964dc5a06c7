//! Why a connection was reset, in plain words, from what the capture shows
//! before the RST; a cause is named only where the segments show it.
//!
//! - The sender had sent its FIN and data came after it: a closed socket
//!   answers data with RST (RFC 2525, 2.17).
//! - Both sides had sent FIN: the close had happened; the RST came after
//!   (Zeek calls such a connection `SF`, an orderly close).
//! - Unread data at close: the sender had received data after its own last
//!   payload and reset within [`UNREAD_DATA_WITHIN`] of it, which is what a
//!   socket closed with received data still unread does (RFC 2525, 2.17),
//!   like the seed's `client.py` after one `recv(1024)` of a longer echo.
//!   The capture cannot show an application's reads; the short delay is
//!   the evidence.
//! - Nothing of the connection's start on the capture, and the sender's
//!   first segment is the RST: a host answers a segment of a connection it
//!   does not have with RST (RFC 9293, 3.5.2).
//! - Otherwise what happened: how long the connection had been idle, and
//!   whether every byte had been acknowledged.

use std::time::Duration;

use crate::connection::{Connection, Role, Step};

/// How soon after received data a RST counts as the close of a socket with
/// that data still unread: half a second. The seed's client resets within
/// microseconds; a connection reset after a pause is described as idle.
pub const UNREAD_DATA_WITHIN: Duration = Duration::from_millis(500);

/// Explains the RST `rst` of `conn`.
pub(super) fn reset_diagnosis(conn: &Connection, rst: &Step) -> String {
    let who = rst.from;
    let peer = who.peer();
    let frame = rst.segment.frame;
    let at = conn
        .steps
        .iter()
        .position(|s| std::ptr::eq(s, rst))
        .unwrap_or(conn.steps.len());
    let before = &conn.steps[..at];
    let fin_of = |role: Role| {
        before
            .iter()
            .find(|s| s.from == role && s.segment.flags.fin())
    };
    let Some(previous) = before.last() else {
        return format!(
            "the {who} sent RST (frame {frame}), the first segment of this connection on the capture"
        );
    };
    let started = before.iter().any(|s| s.segment.flags.syn());
    if !started && !before.iter().any(|s| s.from == who) {
        let asked = before.iter().rfind(|s| s.from == peer).unwrap_or(previous);
        return format!(
            "the {who} answered the {peer}'s segment (frame {}) with RST (frame {frame}): the capture has no handshake of this connection, and a host answers a segment of a connection it does not have with RST (RFC 9293, 3.5.2)",
            asked.segment.frame
        );
    }
    let (own_fin, peer_fin) = (fin_of(who), fin_of(peer));
    if let Some(fin) = own_fin {
        return after_own_fin(before, rst, fin, peer_fin);
    }
    // Data the RST sender received after it last sent data of its own.
    let last_own_data = before
        .iter()
        .rposition(|s| s.from == who && s.segment.len > 0);
    let received: Vec<&Step> = before[last_own_data.map_or(0, |i| i + 1)..]
        .iter()
        .filter(|s| s.from == peer && s.segment.len > 0)
        .collect();
    let bytes: u64 = received.iter().map(|s| u64::from(s.segment.len)).sum();
    let since = |s: &Step| rst.segment.time - s.segment.time;
    if let Some(last) = received.last()
        && since(last) <= UNREAD_DATA_WITHIN.as_secs_f64()
    {
        let mut why = format!(
            "the {who} sent RST (frame {frame}) instead of FIN right after receiving {bytes} bytes: a socket closed with received data still unread resets the connection (RFC 2525, 2.17)"
        );
        if who == Role::Client && peer_fin.is_none() {
            why.push_str(
                "; a client that reads once with recv(1024) a longer echo, like the seed's client.py, does this",
            );
        }
        return why;
    }
    if let Some(fin) = peer_fin {
        return format!(
            "the {who} answered the {peer}'s FIN (frame {}) with RST (frame {frame}): it aborted the connection instead of closing it",
            fin.segment.frame
        );
    }
    let idle = since(previous);
    if idle > UNREAD_DATA_WITHIN.as_secs_f64() {
        return format!(
            "the {who} reset the connection (frame {frame}) after {} without traffic; {}",
            seconds(idle),
            acknowledged(before)
        );
    }
    format!(
        "the {who} aborted the connection with RST (frame {frame}); {}",
        acknowledged(before)
    )
}

/// A RST from a side that had sent its FIN (`fin`).
fn after_own_fin(before: &[Step], rst: &Step, fin: &Step, peer_fin: Option<&Step>) -> String {
    let (who, frame) = (rst.from, rst.segment.frame);
    let peer = who.peer();
    let late: Vec<&Step> = before
        .iter()
        .filter(|s| s.from == peer && s.segment.len > 0 && s.segment.frame > fin.segment.frame)
        .collect();
    let both = peer_fin.map_or(String::new(), |p| {
        format!(
            "; both sides had sent FIN (frames {} and {}), which Zeek counts as an orderly close (SF)",
            fin.segment.frame.min(p.segment.frame),
            fin.segment.frame.max(p.segment.frame)
        )
    });
    if let Some(first) = late.first() {
        let bytes: u64 = late.iter().map(|s| u64::from(s.segment.len)).sum();
        return format!(
            "the {who} sent RST (frame {frame}) after its own FIN: {bytes} bytes arrived after it had closed its socket (from frame {}), and a closed socket answers data with RST (RFC 2525, 2.17){both}",
            first.segment.frame
        );
    }
    if peer_fin.is_some() {
        return format!(
            "the {who} sent RST (frame {frame}) after the close{both}; {}",
            acknowledged(before)
        );
    }
    format!(
        "the {who} sent RST (frame {frame}) {} after its own FIN (frame {}), without waiting for the {peer}'s FIN",
        seconds(rst.segment.time - fin.segment.time),
        fin.segment.frame
    )
}

/// Whether every byte each side sent before the RST was acknowledged
/// before it (the ack a RST carries is not trusted, RFC 9293 3.10.7.4).
fn acknowledged(before: &[Step]) -> String {
    let acked = |role: Role| {
        let end = before
            .iter()
            .filter(|s| s.from == role && s.segment.len > 0)
            .map(|s| s.seq + u64::from(s.segment.len))
            .max();
        end.is_none_or(|end| {
            before
                .iter()
                .any(|s| s.from == role.peer() && s.ack.is_some_and(|a| a >= end))
        })
    };
    let unacked: Vec<Role> = [Role::Client, Role::Server]
        .into_iter()
        .filter(|&r| !acked(r))
        .collect();
    match unacked[..] {
        [] => "every byte sent had been acknowledged".to_owned(),
        [r] => format!("the {r}'s last bytes were never acknowledged"),
        _ => "neither side's last bytes were acknowledged".to_owned(),
    }
}

/// `0.6 ms`, `181.5 s`.
fn seconds(s: f64) -> String {
    if s < 1.0 {
        format!("{:.1} ms", s * 1000.0)
    } else {
        format!("{s:.1} s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connection::group;
    use crate::testing::{lab, seed_client_reset, seg, three_segment};
    use crate::verdict::termination::termination;
    use crate::wire::{Flags, Segment};
    use Role::{Client as C, Server as S};
    use rstest::rstest;

    const ACK: Flags = Flags::ACK;
    const FIN: Flags = Flags::FIN;
    const RST: Flags = Flags::RST;
    const PSH: Flags = Flags::PSH;

    fn why(segs: Vec<Segment>) -> String {
        let c = group(segs, None).remove(0);
        termination(&c).why
    }

    /// The lab up to the echo, then a RST from the client `after` seconds later.
    fn client_rst_after(after: f64) -> Vec<Segment> {
        let mut segs = seed_client_reset();
        segs[9].time = segs[8].time + after;
        segs
    }

    #[test]
    fn the_seeds_client_resets_with_the_echo_unread() {
        assert_eq!(
            why(seed_client_reset()),
            "the client sent RST (frame 10) instead of FIN right after receiving 1380 bytes: a socket closed with received data still unread resets the connection (RFC 2525, 2.17); a client that reads once with recv(1024) a longer echo, like the seed's client.py, does this"
        );
    }

    /// ldap/simpleauth: the client resets 181 s after the last segment,
    /// every byte acknowledged: an idle connection, not unread data.
    #[test]
    fn a_reset_long_after_the_data_is_an_idle_connection() {
        let mut segs = lab(&[(C, ACK, 1860, 1860)]);
        segs.push(seg(11, C, RST | ACK, 1860, 1860, 0));
        segs[10].time = segs[9].time + 181.5;
        let w = why(segs);
        assert_eq!(
            w,
            "the client reset the connection (frame 11) after 181.5 s without traffic; every byte sent had been acknowledged"
        );
        let w = why(client_rst_after(0.6));
        assert!(w.starts_with("the client reset the connection (frame 10) after 600.0 ms without traffic; the server's last bytes were never acknowledged"), "{w}");
        assert!(why(client_rst_after(0.4)).contains("like the seed's client.py"));
    }

    /// A server that resets right after data is not the seed's client.
    #[test]
    fn the_seed_is_named_only_for_a_client() {
        let segs = lab(&[(S, RST | ACK, 1860, 1860)]);
        let w = why(segs);
        assert!(w.starts_with("the server aborted"), "{w}");
        let mut segs = lab(&[]);
        segs.push(seg(10, C, PSH | ACK, 1860, 1860, 12));
        segs.push(seg(11, S, RST | ACK, 1860, 1872, 0));
        let w = why(segs);
        assert!(w.contains("right after receiving 12 bytes"), "{w}");
        assert!(!w.contains("seed"), "{w}");
    }

    #[rstest]
    // tls/imap-starttls: the server closed, the client sent data then FIN.
    #[case::data_after_own_fin(lab(&[(S, FIN | ACK, 1860, 1860), (C, ACK, 1860, 1861)]).into_iter().chain([seg(12, C, PSH | ACK, 1860, 1861, 31), seg(13, C, FIN | ACK, 1891, 1861, 0), seg(14, S, RST, 1861, 0, 0)]).collect(), "the server sent RST (frame 14) after its own FIN: 31 bytes arrived after it had closed its socket (from frame 12), and a closed socket answers data with RST (RFC 2525, 2.17); both sides had sent FIN (frames 10 and 13), which Zeek counts as an orderly close (SF)")]
    #[case::after_the_close(three_segment().into_iter().chain([seg(13, S, RST, 1861, 0, 0)]).collect(), "the server sent RST (frame 13) after the close; both sides had sent FIN (frames 10 and 11), which Zeek counts as an orderly close (SF); every byte sent had been acknowledged")]
    #[case::answering_a_fin(lab(&[(C, ACK, 1860, 1860), (C, FIN | ACK, 1860, 1860), (S, RST | ACK, 1860, 1861)]), "the server answered the client's FIN (frame 11) with RST (frame 12): it aborted the connection instead of closing it")]
    fn the_words_fit_the_facts(#[case] segs: Vec<Segment>, #[case] want: &str) {
        assert_eq!(why(segs), want);
    }

    /// modbus: the client's data on a connection the capture never saw
    /// begin, answered by the server's RST: not a refused SYN.
    #[test]
    fn a_rst_answering_a_segment_without_a_handshake_says_so() {
        let segs = vec![seg(1, C, PSH | ACK, 1, 1, 109), seg(2, S, RST, 1, 0, 0)];
        let c = group(segs, None).remove(0);
        let t = termination(&c);
        assert_eq!(t.kind, crate::verdict::TerminationKind::Reset);
        assert_eq!(
            t.why,
            "the server answered the client's segment (frame 1) with RST (frame 2): the capture has no handshake of this connection, and a host answers a segment of a connection it does not have with RST (RFC 9293, 3.5.2)"
        );
    }
}
