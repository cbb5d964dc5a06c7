//! How a connection ended: the four-segment close (RFC 9293, 3.6, figure
//! 12), the three-segment one where the ACK of the first FIN rides on the
//! second FIN, a simultaneous close (figure 13), a reset, a refused SYN, or
//! no end on the capture.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::reset::reset_diagnosis;
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
    /// The client's SYN, on the capture, was answered with RST before any
    /// SYN-ACK: nobody listening (RFC 9293, 3.5.2).
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
        if is_refused(&steps, rst) {
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
        let frames = format!("frames {} and {}", a.segment.frame, b.segment.frame);
        let why = match (a_acked, b_acked) {
            (true, true) => format!(
                "both sides sent FIN before seeing the other's ({frames}), and each acknowledged the other's"
            ),
            (false, false) => format!(
                "both sides sent FIN ({frames}), and neither FIN was acknowledged on the capture"
            ),
            (true, false) => format!(
                "both sides sent FIN before seeing the other's ({frames}); the {}'s FIN was never acknowledged",
                b.from
            ),
            (false, true) => format!(
                "both sides sent FIN before seeing the other's ({frames}); the {}'s FIN was never acknowledged",
                a.from
            ),
        };
        return result(kind, None, vec![a.segment.frame, b.segment.frame], why);
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

/// A refused connection attempt (RFC 9293, 3.5.2): the client's SYN is on
/// the capture, and the server answered it with RST before any SYN-ACK. A
/// server's RST without a captured SYN refuses nothing.
fn is_refused(steps: &[&Step], rst: &Step) -> bool {
    let before = steps
        .iter()
        .take_while(|s| !std::ptr::eq(**s, rst))
        .copied();
    let mut syn = false;
    for s in before {
        let f = s.segment.flags;
        if f.syn() && f.ack() && s.from == Role::Server {
            return false;
        }
        syn |= f.syn() && !f.ack() && s.from == Role::Client;
    }
    syn && rst.from == Role::Server
}
