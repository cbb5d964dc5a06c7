//! The three-way handshake (RFC 9293, 3.5, figure 6): the client's SYN,
//! the server's SYN-ACK acknowledging the client's ISN + 1, and the client's
//! ACK of the server's ISN + 1, first on the capture and in that order.

use serde::Serialize;

use crate::connection::{Connection, Role, Step};

/// The three-way handshake as captured (RFC 9293, 3.5, figure 6).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Handshake {
    /// SYN, SYN-ACK acking the client's ISN+1, ACK acking the server's ISN+1, in order, no RST.
    pub ok: bool,
    /// One line: what was seen, or what was wrong.
    pub why: String,
    /// Frames of the SYN, SYN-ACK and ACK that were found.
    pub frames: Vec<u64>,
}

/// Reads the handshake off the first three original segments of `conn`.
pub fn handshake(conn: &Connection) -> Handshake {
    let bad = |why: String, frames: Vec<u64>| Handshake {
        ok: false,
        why,
        frames,
    };
    let steps: Vec<&Step> = conn.originals().collect();
    let Some(syn) = steps.first() else {
        return bad("no segments".to_owned(), vec![]);
    };
    let f = syn.segment.flags;
    if !(f.syn() && !f.ack() && syn.from == Role::Client) {
        return bad(
            format!(
                "the capture starts mid-connection: first segment is [{}] from the {}, not a SYN",
                f, syn.from
            ),
            vec![],
        );
    }
    let mut frames = vec![syn.segment.frame];
    let Some(synack) = steps.get(1) else {
        return bad("the SYN was never answered".to_owned(), frames);
    };
    let sa = synack.segment.flags;
    if synack.from != Role::Server || !(sa.syn() && sa.ack()) {
        let what = if sa.rst() {
            "the server answered the SYN with RST (nobody listening)".to_owned()
        } else {
            format!(
                "the second segment is [{sa}] from the {}, not the server's SYN-ACK",
                synack.from
            )
        };
        return bad(what, frames);
    }
    frames.push(synack.segment.frame);
    if synack.ack != Some(1) {
        return bad(
            format!(
                "the SYN-ACK acknowledges relative {:?}, not the client's ISN+1 (1)",
                synack.ack
            ),
            frames,
        );
    }
    let Some(ack) = steps.get(2) else {
        return bad(
            "the client never acknowledged the SYN-ACK".to_owned(),
            frames,
        );
    };
    let af = ack.segment.flags;
    if ack.from != Role::Client || !af.ack() || af.syn() || af.rst() {
        return bad(
            format!(
                "the third segment is [{af}] from the {}, not the client's ACK",
                ack.from
            ),
            frames,
        );
    }
    frames.push(ack.segment.frame);
    if ack.ack != Some(1) || ack.seq != 1 {
        return bad(
            format!(
                "the client's ACK has Seq={} Ack={:?}, expected Seq=1 Ack=1",
                ack.seq, ack.ack
            ),
            frames,
        );
    }
    let mss = |s: &Step| {
        s.segment
            .options
            .mss
            .map(|m| format!(" MSS={m}"))
            .unwrap_or_default()
    };
    Handshake {
        ok: true,
        why: format!(
            "SYN (Seq=0{}), SYN-ACK (Seq=0 Ack=1{}), ACK (Seq=1 Ack=1), frames {}, {}, {}",
            mss(syn),
            mss(synack),
            frames[0],
            frames[1],
            frames[2]
        ),
        frames,
    }
}
