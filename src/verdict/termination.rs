//! How a connection ended: the four-segment close (RFC 9293, 3.6, figure
//! 12), the three-segment one where the ACK of the first FIN rides on the
//! second FIN, a simultaneous close (figure 13), a reset, a refused SYN, or
//! no end on the capture.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::connection::{Connection, Role, Step};

/// How a connection ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TerminationKind {
    /// FIN, ACK, FIN, ACK: the other side acknowledged the first FIN on its
    /// own before sending its FIN (RFC 9293, 3.6, figure 12).
    FourSegment,
    /// FIN, FIN+ACK, ACK: the other side folded its ACK of the first FIN
    /// into its own FIN.
    ThreeSegment,
    /// Both sides sent FIN before seeing the other's (RFC 9293, 3.6, figure 13).
    Simultaneous,
    /// A RST ended an established (or half-open) connection.
    Reset,
    /// The SYN was answered with RST: nobody listening.
    Refused,
    /// No end seen: still open, or the close is missing segments.
    Incomplete,
}

impl TerminationKind {
    /// The name used in JSON and on the command line (`four_segment`, ...).
    pub fn name(self) -> &'static str {
        match self {
            TerminationKind::FourSegment => "four_segment",
            TerminationKind::ThreeSegment => "three_segment",
            TerminationKind::Simultaneous => "simultaneous",
            TerminationKind::Reset => "reset",
            TerminationKind::Refused => "refused",
            TerminationKind::Incomplete => "incomplete",
        }
    }

    /// Whether the close is orderly: both FINs sent and each acknowledged,
    /// in four segments, three, or crossing (RFC 9293, 3.6, figures 12 and 13).
    pub fn is_orderly(self) -> bool {
        matches!(
            self,
            TerminationKind::FourSegment
                | TerminationKind::ThreeSegment
                | TerminationKind::Simultaneous
        )
    }
}

impl fmt::Display for TerminationKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How the connection ended, and who started the ending.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Termination {
    /// The classification.
    pub kind: TerminationKind,
    /// The sender of the first FIN (or of the RST, for `reset` and `refused`).
    pub initiator: Option<Role>,
    /// Frames of the segments that make up the close, in order.
    pub frames: Vec<u64>,
    /// One line describing the close.
    pub why: String,
}

/// Reads how `conn` ended off its segments; retransmissions are left out.
pub fn termination(conn: &Connection) -> Termination {
    let steps: Vec<&Step> = conn.originals().collect();
    let result = |kind, initiator, frames: Vec<u64>, why: String| Termination {
        kind,
        initiator,
        frames,
        why,
    };
    if let Some(rst) = steps.iter().find(|s| s.segment.flags.rst()) {
        let established = steps
            .iter()
            .any(|s| s.from == Role::Server && s.segment.flags.syn() && s.segment.flags.ack());
        if !established && rst.from == Role::Server {
            return result(
                TerminationKind::Refused,
                Some(Role::Server),
                vec![rst.segment.frame],
                format!(
                    "the server answered the SYN with RST (frame {}): nothing was listening on {}",
                    rst.segment.frame, conn.server
                ),
            );
        }
        return result(
            TerminationKind::Reset,
            Some(rst.from),
            vec![rst.segment.frame],
            reset_diagnosis(conn, rst),
        );
    }
    let first_fin = |role: Role| {
        steps
            .iter()
            .copied()
            .find(|s| s.from == role && s.segment.flags.fin())
    };
    let (a, b) = match (first_fin(Role::Client), first_fin(Role::Server)) {
        (None, None) => {
            return result(
                TerminationKind::Incomplete,
                None,
                vec![],
                "no FIN and no RST: the connection was still open when the capture ended"
                    .to_owned(),
            );
        }
        (Some(f), None) | (None, Some(f)) => {
            return result(
                TerminationKind::Incomplete,
                Some(f.from),
                vec![f.segment.frame],
                format!(
                    "the {} sent FIN (frame {}) but the {} never did",
                    f.from,
                    f.segment.frame,
                    f.from.peer()
                ),
            );
        }
        (Some(c), Some(s)) => {
            if c.segment.frame <= s.segment.frame {
                (c, s)
            } else {
                (s, c)
            }
        }
    };
    // `a` closed first; `b` answered.
    let a_fin_end = a.next_seq();
    let b_fin_end = b.next_seq();
    let final_ack = steps.iter().find(|s| {
        s.from == a.from
            && s.segment.frame > b.segment.frame
            && s.ack.is_some_and(|x| x >= b_fin_end)
    });
    let simultaneous = b.ack.is_none_or(|x| x < a_fin_end);
    if simultaneous {
        let b_acked = steps
            .iter()
            .any(|s| s.from == a.from && s.ack.is_some_and(|x| x >= b_fin_end));
        let a_acked = steps
            .iter()
            .any(|s| s.from == b.from && s.ack.is_some_and(|x| x >= a_fin_end));
        let kind = if a_acked && b_acked {
            TerminationKind::Simultaneous
        } else {
            TerminationKind::Incomplete
        };
        return result(
            kind,
            None,
            vec![a.segment.frame, b.segment.frame],
            format!(
                "both sides sent FIN before seeing the other's (frames {} and {})",
                a.segment.frame, b.segment.frame
            ),
        );
    }
    // Did `b` acknowledge `a`'s FIN on its own before its FIN?
    let lone_ack = steps.iter().find(|s| {
        s.from == b.from
            && s.segment.frame > a.segment.frame
            && s.segment.frame < b.segment.frame
            && s.ack.is_some_and(|x| x >= a_fin_end)
    });
    let Some(final_ack) = final_ack else {
        return result(
            TerminationKind::Incomplete,
            Some(a.from),
            vec![a.segment.frame, b.segment.frame],
            format!(
                "the {}'s FIN (frame {}) was never acknowledged",
                b.from, b.segment.frame
            ),
        );
    };
    match lone_ack {
        Some(ack) => result(
            TerminationKind::FourSegment,
            Some(a.from),
            vec![
                a.segment.frame,
                ack.segment.frame,
                b.segment.frame,
                final_ack.segment.frame,
            ],
            format!(
                "{} FIN, {} ACK, {} FIN, {} ACK (frames {}, {}, {}, {})",
                a.from,
                b.from,
                b.from,
                a.from,
                a.segment.frame,
                ack.segment.frame,
                b.segment.frame,
                final_ack.segment.frame
            ),
        ),
        None => result(
            TerminationKind::ThreeSegment,
            Some(a.from),
            vec![a.segment.frame, b.segment.frame, final_ack.segment.frame],
            format!(
                "{} FIN, {} FIN+ACK, {} ACK (frames {}, {}, {}): the {} folded its ACK of the FIN into its own FIN, as Linux does when it closes within the delayed-ACK time",
                a.from,
                b.from,
                a.from,
                a.segment.frame,
                b.segment.frame,
                final_ack.segment.frame,
                b.from
            ),
        ),
    }
}

/// Explains a RST in plain words where the cause is known.
fn reset_diagnosis(conn: &Connection, rst: &Step) -> String {
    let who = rst.from;
    let frame = rst.segment.frame;
    let before: Vec<&Step> = conn
        .steps
        .iter()
        .take_while(|s| s.segment.frame < frame)
        .collect();
    let own_fin = before
        .iter()
        .any(|s| s.from == who && s.segment.flags.fin());
    let peer_fin = before
        .iter()
        .any(|s| s.from == who.peer() && s.segment.flags.fin());
    // Data the RST sender received after it last sent data of its own.
    let last_own_data = before
        .iter()
        .rposition(|s| s.from == who && s.segment.len > 0);
    let received_after: u64 = before
        .iter()
        .skip(last_own_data.map_or(0, |i| i + 1))
        .filter(|s| s.from == who.peer())
        .map(|s| u64::from(s.segment.len))
        .sum();
    if own_fin {
        return format!(
            "the {who} sent RST (frame {frame}) after its own FIN: data arrived after it had closed its socket, and a closed socket answers data with RST (RFC 2525, 2.17)"
        );
    }
    if received_after > 0 && !peer_fin {
        return format!(
            "the {who} sent RST (frame {frame}) instead of FIN right after receiving {received_after} bytes: \
             a socket closed with received data still unread resets the connection (RFC 2525, 2.17); \
             a client that reads once with recv(1024) a longer echo, like the seed's client.py, does this"
        );
    }
    if peer_fin {
        return format!(
            "the {who} answered the {}'s FIN with RST (frame {frame}): it aborted the connection (SO_LINGER 0, or unread data) instead of closing it",
            who.peer()
        );
    }
    format!("the {who} aborted the connection with RST (frame {frame})")
}
