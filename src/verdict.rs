//! Judging a connection against what the lab expects: the three-way
//! handshake, the data acknowledged, and how the connection ended.
//!
//! [`Findings`] are the facts read off the wire (no opinion); [`Verdict`]
//! holds the [`Check`]s that compare them with [`Expectations`]. TCP that
//! behaves differently from the lab's expectation is a failed check, never
//! an `Err`: [`Verdict::ensure`] turns a failed verdict into a
//! [`VerdictError`] whose message carries the ladder diagram.
//!
//! Retransmissions (Wireshark's `tcp.analysis.*retransmission`) are counted
//! and left out of every classification, so a retransmitted FIN does not
//! turn a four-segment close into five.

use std::fmt;

use serde::Serialize;

use crate::connection::{Connection, Role, Step, seq_ge};
use crate::transfer::Transfer;

/// How a connection ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
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

    /// Whether the close is orderly (every byte delivered, both FINs acknowledged).
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

/// The client's first data segment and the server's acknowledgment of it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FirstData {
    /// Payload length.
    pub len: u32,
    /// Relative sequence number (1 after a normal handshake).
    pub seq: u32,
    /// Relative ack of the first server segment that covers it; `None` if never acknowledged.
    pub ack: Option<u32>,
    /// Frame of the data segment.
    pub frame: u64,
    /// Frame of the acknowledging segment.
    pub ack_frame: Option<u64>,
    /// Whether that acknowledgment was a pure ACK (no data, no FIN).
    pub pure_ack: bool,
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

/// Facts read off one connection, before any expectation is applied.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Findings {
    /// The handshake.
    pub handshake: Handshake,
    /// The client's first data segment, if it sent any.
    pub first_data: Option<FirstData>,
    /// Payload bytes the client sent (each sequence number once).
    pub client_bytes: u64,
    /// Payload bytes the server sent.
    pub server_bytes: u64,
    /// Whether the server acknowledged every byte the client sent.
    pub client_data_acked: bool,
    /// Whether the client acknowledged every byte the server sent.
    pub server_data_acked: bool,
    /// Every distinct relative ack the server sent, in order.
    pub server_acks: Vec<u32>,
    /// How it ended.
    pub termination: Termination,
    /// Retransmitted segments (seen twice on the capture, or marked by Wireshark).
    pub retransmissions: usize,
    /// Zeek's history string.
    pub history: String,
    /// Frames where tcplab's relative numbers and tshark's disagree.
    pub relative_mismatches: usize,
    /// Segment sizes, messages, retransmissions, duplicate ACKs, SACK.
    pub transfer: Transfer,
}

impl Findings {
    /// Reads the facts off a connection.
    pub fn of(conn: &Connection) -> Findings {
        Findings {
            handshake: handshake(conn),
            first_data: first_data(conn),
            client_bytes: conn.bytes_sent(Role::Client),
            server_bytes: conn.bytes_sent(Role::Server),
            client_data_acked: all_acked(conn, Role::Client),
            server_data_acked: all_acked(conn, Role::Server),
            server_acks: conn.acks_from(Role::Server),
            termination: termination(conn),
            retransmissions: conn.retransmissions(),
            history: conn.history(),
            relative_mismatches: conn.relative_mismatches().len(),
            transfer: Transfer::of(conn),
        }
    }
}

/// What the lab expects of the close.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CloseExpectation {
    /// Four- or three-segment (or simultaneous): FINs both ways, all acknowledged.
    #[default]
    Orderly,
    /// Exactly this kind.
    Exactly(TerminationKind),
}

/// What the lab expects of a connection. The default is the lab sheet:
/// handshake, data acknowledged, orderly close.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Expectations {
    /// The close.
    pub close: CloseExpectation,
    /// Fail on any retransmission.
    pub no_retransmissions: bool,
    /// The client's messages in bytes: the server must acknowledge each
    /// message's end exactly (relative ack 1 + bytes so far).
    pub messages: Option<Vec<u64>>,
    /// The relative ack the server must use for the client's first data
    /// segment (480 after 479 bytes in the seed).
    pub first_data_ack: Option<u32>,
    /// The sizes of the client's messages, in order, as
    /// [`Transfer::message_sizes`] reads them off the wire (`--expect-payload`).
    pub client_messages: Option<Vec<u64>>,
}

/// One expectation checked against the findings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Check {
    /// Short name: `handshake`, `data_acknowledged`, `termination`, ...
    pub name: &'static str,
    /// Whether it held.
    pub passed: bool,
    /// One line saying why.
    pub why: String,
}

/// The judgement of one connection.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Verdict {
    /// The facts.
    pub findings: Findings,
    /// The checks, in the lab's order.
    pub checks: Vec<Check>,
}

impl Verdict {
    /// Judges `conn` against `expect`.
    pub fn judge(conn: &Connection, expect: &Expectations) -> Verdict {
        let f = Findings::of(conn);
        let mut checks = vec![Check {
            name: "handshake",
            passed: f.handshake.ok,
            why: f.handshake.why.clone(),
        }];
        checks.push(data_check(&f, expect));
        let t = &f.termination;
        let (passed, wanted) = match expect.close {
            CloseExpectation::Orderly => (
                matches!(
                    t.kind,
                    TerminationKind::FourSegment | TerminationKind::ThreeSegment
                ),
                "an orderly four- or three-segment close".to_owned(),
            ),
            CloseExpectation::Exactly(k) => (t.kind == k, format!("a {k} close")),
        };
        checks.push(Check {
            name: "termination",
            passed,
            why: if passed {
                t.why.clone()
            } else {
                format!("expected {wanted}, saw {}: {}", t.kind, t.why)
            },
        });
        if expect.no_retransmissions {
            checks.push(Check {
                name: "no_retransmissions",
                passed: f.retransmissions == 0,
                why: format!("{} retransmitted segment(s)", f.retransmissions),
            });
        }
        if let Some(want) = &expect.client_messages {
            checks.push(client_messages_check(&f, want));
        }
        checks.push(Check {
            name: "relative_numbers",
            passed: f.relative_mismatches == 0,
            why: if f.relative_mismatches == 0 {
                "tcplab's relative seq/ack agree with tshark's".to_owned()
            } else {
                format!(
                    "{} frame(s) where tcplab's relative seq/ack differ from tshark's",
                    f.relative_mismatches
                )
            },
        });
        Verdict {
            findings: f,
            checks,
        }
    }

    /// Whether every check passed.
    pub fn passed(&self) -> bool {
        self.checks.iter().all(|c| c.passed)
    }

    /// The verdict if it passed, else an error that shows the failed checks
    /// and the connection's ladder diagram.
    pub fn ensure(self, conn: &Connection) -> Result<Verdict, VerdictError> {
        if self.passed() {
            Ok(self)
        } else {
            Err(VerdictError {
                failed: self.checks.into_iter().filter(|c| !c.passed).collect(),
                ladder: conn.ladder(),
            })
        }
    }
}

impl fmt::Display for Verdict {
    /// One line per check: `PASS handshake: ...`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for c in &self.checks {
            writeln!(
                f,
                "{} {}: {}",
                if c.passed { "PASS" } else { "FAIL" },
                c.name,
                c.why
            )?;
        }
        Ok(())
    }
}

/// A connection that did not behave as the lab expects.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct VerdictError {
    /// The checks that failed.
    pub failed: Vec<Check>,
    /// The connection as a ladder diagram.
    pub ladder: String,
}

impl fmt::Display for VerdictError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "the connection did not behave as the lab expects:")?;
        for c in &self.failed {
            writeln!(f, "  FAIL {}: {}", c.name, c.why)?;
        }
        write!(f, "\n{}", self.ladder)
    }
}

fn data_check(f: &Findings, expect: &Expectations) -> Check {
    let fail = |why: String| Check {
        name: "data_acknowledged",
        passed: false,
        why,
    };
    let Some(first) = &f.first_data else {
        return if expect
            .messages
            .as_ref()
            .is_some_and(|m| m.iter().any(|&n| n > 0))
        {
            fail("the client sent no data".to_owned())
        } else {
            Check {
                name: "data_acknowledged",
                passed: true,
                why: "no data sent, nothing to acknowledge".to_owned(),
            }
        };
    };
    let end = first.seq.wrapping_add(first.len);
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
    if let Some(messages) = &expect.messages {
        let mut total: u64 = 1;
        for (i, &n) in messages.iter().enumerate() {
            total += n;
            let boundary = total as u32;
            // An ack past the client's data acknowledges its FIN, not a message.
            if total > 1 + f.client_bytes || !f.server_acks.contains(&boundary) {
                return fail(format!(
                    "the server never sent Ack={boundary}, the end of message {} ({n} bytes); its acks were {:?}",
                    i + 1,
                    f.server_acks
                ));
            }
        }
    }
    if !f.client_data_acked {
        return fail(format!(
            "the server did not acknowledge all {} bytes the client sent",
            f.client_bytes
        ));
    }
    Check {
        name: "data_acknowledged",
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

/// Compares the client's messages with the expected sizes.
fn client_messages_check(f: &Findings, want: &[u64]) -> Check {
    let seen = f.transfer.message_sizes(Role::Client);
    let passed = seen == want;
    Check {
        name: "client_messages",
        passed,
        why: if passed {
            format!("the client sent messages of {seen:?} bytes, as expected")
        } else {
            format!("expected client messages of {want:?} bytes, saw {seen:?}")
        },
    }
}

fn handshake(conn: &Connection) -> Handshake {
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

fn first_data(conn: &Connection) -> Option<FirstData> {
    let (i, data) = conn
        .steps
        .iter()
        .enumerate()
        .find(|(_, s)| s.from == Role::Client && s.segment.len > 0 && !s.is_retransmission())?;
    let end = data.seq.wrapping_add(data.segment.len);
    let acker = conn.steps[i + 1..]
        .iter()
        .find(|s| s.from == Role::Server && s.ack.is_some_and(|a| seq_ge(a, end)));
    Some(FirstData {
        len: data.segment.len,
        seq: data.seq,
        ack: acker.and_then(|s| s.ack),
        frame: data.segment.frame,
        ack_frame: acker.map(|s| s.segment.frame),
        pure_ack: acker.is_some_and(|s| s.segment.is_pure_ack()),
    })
}

fn all_acked(conn: &Connection, role: Role) -> bool {
    let Some(end) = conn
        .originals()
        .filter(|s| s.from == role && s.segment.len > 0)
        .map(|s| s.seq.wrapping_add(s.segment.len))
        .max_by(|a, b| {
            if seq_ge(*a, *b) {
                std::cmp::Ordering::Greater
            } else {
                std::cmp::Ordering::Less
            }
        })
    else {
        return true;
    };
    conn.steps
        .iter()
        .any(|s| s.from == role.peer() && s.ack.is_some_and(|a| seq_ge(a, end)))
}

fn termination(conn: &Connection) -> Termination {
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
            && s.ack.is_some_and(|x| seq_ge(x, b_fin_end))
    });
    let simultaneous = !b.ack.is_some_and(|x| seq_ge(x, a_fin_end));
    if simultaneous {
        let b_acked = steps
            .iter()
            .any(|s| s.from == a.from && s.ack.is_some_and(|x| seq_ge(x, b_fin_end)));
        let a_acked = steps
            .iter()
            .any(|s| s.from == b.from && s.ack.is_some_and(|x| seq_ge(x, a_fin_end)));
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
            && s.ack.is_some_and(|x| seq_ge(x, a_fin_end))
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connection::group;
    use crate::connection::tests::{four_segment, lab, seg};
    use crate::segment::{Flags, Segment};
    use Role::{Client as C, Server as S};
    use rstest::rstest;

    const ACK: Flags = Flags::ACK;
    const FIN: Flags = Flags::FIN;
    const RST: Flags = Flags::RST;
    const SYN: Flags = Flags::SYN;

    fn judge(segs: Vec<Segment>, expect: &Expectations) -> (Verdict, Connection) {
        let c = group(segs, None).remove(0);
        (Verdict::judge(&c, expect), c)
    }

    // ---- the seed's three assertions ----

    #[test]
    fn seed_lab_passes_with_480_after_479() {
        let (v, _) = judge(
            four_segment(),
            &Expectations {
                close: CloseExpectation::Exactly(TerminationKind::FourSegment),
                messages: Some(vec![479, 1380]),
                first_data_ack: Some(480),
                ..Default::default()
            },
        );
        assert!(v.passed(), "{v}");
        let fd = v.findings.first_data.clone().unwrap();
        assert_eq!(
            (fd.seq, fd.len, fd.ack, fd.pure_ack),
            (1, 479, Some(480), true)
        );
        assert_eq!(v.findings.termination.initiator, Some(C));
        assert_eq!(v.findings.termination.frames, vec![10, 11, 12, 13]);
    }

    #[test]
    fn a_wrong_expected_ack_fails_with_the_ladder() {
        let (v, c) = judge(
            four_segment(),
            &Expectations {
                first_data_ack: Some(481),
                ..Default::default()
            },
        );
        let err = v.ensure(&c).unwrap_err().to_string();
        assert!(err.contains("expected Ack=481"), "{err}");
        assert!(err.contains("Ack=480"), "{err}");
        assert!(err.contains("SYN"), "the ladder is in the message: {err}");
    }

    // ---- termination ----

    #[rstest]
    #[case::four(four_segment(), TerminationKind::FourSegment, Some(C))]
    #[case::three(lab(&[(C, FIN | ACK, 1860, 1860), (S, FIN | ACK, 1860, 1861), (C, ACK, 1861, 1861)]), TerminationKind::ThreeSegment, Some(C))]
    #[case::server_first(lab(&[(S, FIN | ACK, 1860, 1860), (C, FIN | ACK, 1860, 1861), (S, ACK, 1861, 1861)]), TerminationKind::ThreeSegment, Some(S))]
    #[case::simultaneous(lab(&[(C, FIN | ACK, 1860, 1860), (S, FIN | ACK, 1860, 1860), (C, ACK, 1861, 1861), (S, ACK, 1861, 1861)]), TerminationKind::Simultaneous, None)]
    #[case::reset(lab(&[(C, RST | ACK, 1860, 1860)]), TerminationKind::Reset, Some(C))]
    #[case::half_closed(lab(&[(C, FIN | ACK, 1860, 1860), (S, ACK, 1860, 1861)]), TerminationKind::Incomplete, Some(C))]
    #[case::final_ack_missing(lab(&[(C, FIN | ACK, 1860, 1860), (S, FIN | ACK, 1860, 1861)]), TerminationKind::Incomplete, Some(C))]
    #[case::open(lab(&[]), TerminationKind::Incomplete, None)]
    #[case::refused(vec![seg(1, C, SYN, 0, 0, 0), seg(2, S, RST | ACK, 0, 1, 0)], TerminationKind::Refused, Some(S))]
    fn termination_is_classified(
        #[case] segs: Vec<Segment>,
        #[case] kind: TerminationKind,
        #[case] initiator: Option<Role>,
    ) {
        let (v, c) = judge(segs, &Expectations::default());
        assert_eq!(v.findings.termination.kind, kind, "{c}");
        assert_eq!(v.findings.termination.initiator, initiator);
        let orderly_pass = matches!(
            kind,
            TerminationKind::FourSegment | TerminationKind::ThreeSegment
        );
        assert_eq!(
            v.checks
                .iter()
                .find(|c| c.name == "termination")
                .unwrap()
                .passed,
            orderly_pass
        );
    }

    #[test]
    fn a_retransmitted_fin_does_not_change_the_close() {
        let mut segs = four_segment();
        let mut again = segs[9].clone();
        again.frame = 99;
        again.analysis.retransmission = true;
        segs.insert(10, again);
        for (i, s) in segs.iter_mut().enumerate() {
            s.frame = i as u64 + 1;
        }
        let (v, _) = judge(segs, &Expectations::default());
        assert_eq!(v.findings.termination.kind, TerminationKind::FourSegment);
        assert_eq!(v.findings.retransmissions, 1);
        assert!(v.findings.history.contains('T'));
        let strict = Expectations {
            no_retransmissions: true,
            ..Default::default()
        };
        let (v, _) = judge(v_segs_with_retransmission(), &strict);
        assert!(!v.passed());
    }

    fn v_segs_with_retransmission() -> Vec<Segment> {
        let mut segs = four_segment();
        segs[3].analysis.retransmission = true;
        segs.insert(3, four_segment()[3].clone());
        segs
    }

    #[test]
    fn seed_client_reset_is_explained() {
        let (v, _) = judge(lab(&[(C, RST | ACK, 1860, 1860)]), &Expectations::default());
        assert!(!v.passed());
        let why = &v.findings.termination.why;
        assert!(why.contains("1380 bytes"), "{why}");
        assert!(why.contains("unread"), "{why}");
    }

    // ---- handshake ----

    #[rstest]
    #[case::synack_wrong_ack(2, |s: &mut Segment| s.ack_raw = s.ack_raw.wrapping_add(1), "not the client's ISN+1")]
    #[case::third_is_not_ack(3, |s: &mut Segment| s.flags = Flags::RST, "not the client's ACK")]
    #[case::no_syn(1, |s: &mut Segment| s.flags = Flags::ACK, "mid-connection")]
    fn broken_handshakes_are_named(
        #[case] frame: usize,
        #[case] spoil: fn(&mut Segment),
        #[case] text: &str,
    ) {
        let mut segs = four_segment();
        spoil(&mut segs[frame - 1]);
        for s in &mut segs {
            s.tshark_ack = None;
        }
        let (v, _) = judge(segs, &Expectations::default());
        assert!(!v.findings.handshake.ok);
        assert!(
            v.findings.handshake.why.contains(text),
            "{}",
            v.findings.handshake.why
        );
    }

    // ---- the client's messages ----

    /// The seed's exchange split into more segments, with a retransmission.
    fn split_with_retransmission() -> Vec<Segment> {
        let mut v = vec![
            seg(1, C, SYN, 0, 0, 0),
            seg(2, S, SYN | ACK, 0, 1, 0),
            seg(3, C, ACK, 1, 1, 0),
            seg(4, C, ACK, 1, 1, 200),
            seg(5, C, ACK, 201, 1, 279),
            seg(6, C, ACK, 201, 1, 279), // sent again, not marked
            seg(7, S, ACK, 1, 480, 479),
            seg(8, C, ACK, 480, 480, 1000),
            seg(9, C, ACK, 1480, 480, 380),
            seg(10, S, ACK, 480, 1860, 1380),
        ];
        v.extend([
            seg(11, C, FIN | ACK, 1860, 1860, 0),
            seg(12, S, ACK, 1860, 1861, 0),
            seg(13, S, FIN | ACK, 1860, 1861, 0),
            seg(14, C, ACK, 1861, 1861, 0),
        ]);
        v
    }

    #[rstest]
    #[case::seed(four_segment(), vec![479, 1380])]
    #[case::merged_across_segments(split_with_retransmission(), vec![479, 1380])]
    #[case::no_data(lab(&[]).into_iter().take(3).collect(), vec![])]
    fn client_messages_are_read_off_the_wire(#[case] segs: Vec<Segment>, #[case] want: Vec<u64>) {
        let c = group(segs, None).remove(0);
        assert_eq!(Transfer::of(&c).message_sizes(Role::Client), want, "{c}");
    }

    #[rstest]
    #[case::exact(vec![479, 1380], true, "[479, 1380] bytes, as expected")]
    #[case::other_sizes(vec![479, 1381], false, "expected client messages of [479, 1381] bytes, saw [479, 1380]")]
    #[case::one_message(vec![1859], false, "saw [479, 1380]")]
    fn expected_payload_is_checked(
        #[case] want: Vec<u64>,
        #[case] passed: bool,
        #[case] why: &str,
    ) {
        let expect = Expectations {
            client_messages: Some(want),
            ..Default::default()
        };
        let (v, _) = judge(four_segment(), &expect);
        let check = v
            .checks
            .iter()
            .find(|c| c.name == "client_messages")
            .unwrap();
        assert_eq!(check.passed, passed, "{}", check.why);
        assert!(check.why.contains(why), "{}", check.why);
        assert_eq!(v.passed(), passed);
        let (v, _) = judge(four_segment(), &Expectations::default());
        assert!(v.checks.iter().all(|c| c.name != "client_messages"));
    }

    #[test]
    fn unacknowledged_message_fails_data_check() {
        let (v, _) = judge(
            four_segment(),
            &Expectations {
                messages: Some(vec![479, 1381]),
                ..Default::default()
            },
        );
        let check = v
            .checks
            .iter()
            .find(|c| c.name == "data_acknowledged")
            .unwrap();
        assert!(!check.passed);
        assert!(check.why.contains("Ack=1861"), "{}", check.why);
    }
}
