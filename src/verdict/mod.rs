//! Judging a connection against what the lab expects, one module per
//! question the lab sheet asks:
//!
//! - [`handshake`]: was the three-way handshake first and right?
//! - [`data`]: was the first data acknowledged as expected, and every byte?
//! - [`termination`]: how did the connection end?
//! - [`diagnosis`]: in plain words, why a check failed, where tcplab knows.
//!
//! [`Findings`] are the facts read off the wire (no opinion); a [`Verdict`]
//! holds the [`CheckOutcome`]s that compare them with [`Expectations`], and
//! a [`Judged`] is a connection with its verdict, what every report shows.
//! TCP that behaves differently from the lab's expectation is a failed
//! check, never an `Err`: [`Judged::ensure`] turns a failed verdict into a
//! [`VerdictError`] whose message carries the ladder diagram.
//!
//! Retransmissions are counted and left out of every classification, so a
//! retransmitted FIN does not turn a four-segment close into five.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::connection::{ConnState, Connection, Role};
use crate::transfer::Transfer;

pub mod data;
pub mod diagnosis;
pub mod expected_ladder;
pub mod handshake;
pub mod reset;
pub mod termination;

pub use data::FirstData;
pub use expected_ladder::{ExpectedLadder, LadderComparison, LadderError};
pub use handshake::Handshake;
pub use termination::{Termination, TerminationKind};

/// Facts read off one connection, before any expectation is applied.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Findings {
    /// The handshake.
    pub handshake: Handshake,
    /// The client's first data segment, if it sent any.
    pub first_data: Option<FirstData>,
    /// Payload bytes the client sent, each sequence number once, as Zeek
    /// counts them ([`Connection::bytes_sent`]).
    pub client_bytes: u64,
    /// Payload bytes the server sent.
    pub server_bytes: u64,
    /// Of `client_bytes`, those the capture missed ([`Connection::missed_bytes`]).
    pub client_missed_bytes: u64,
    /// Of `server_bytes`, those the capture missed.
    pub server_missed_bytes: u64,
    /// Segments the client sent, resent ones included.
    pub client_packets: u64,
    /// Segments the server sent.
    pub server_packets: u64,
    /// Whether the server acknowledged every byte the client sent.
    pub client_data_acked: bool,
    /// Whether the client acknowledged every byte the server sent.
    pub server_data_acked: bool,
    /// Every distinct relative ack the server sent, in order.
    pub server_acks: Vec<u64>,
    /// How it ended.
    pub termination: Termination,
    /// Retransmitted segments (seen twice on the capture, or what Wireshark
    /// would call a retransmission).
    pub retransmissions: usize,
    /// Zeek's history string.
    pub history: String,
    /// Zeek's `conn_state`.
    pub conn_state: ConnState,
    /// Frames where tcplab's relative numbers and tshark's disagree.
    pub relative_mismatches: usize,
    /// Segment sizes, messages, retransmissions, duplicate ACKs, SACK.
    pub transfer: Transfer,
}

impl Findings {
    /// Reads the facts off a connection.
    pub fn of(conn: &Connection) -> Findings {
        Findings {
            handshake: handshake::handshake(conn),
            first_data: data::first_data(conn),
            client_bytes: conn.bytes_sent(Role::Client),
            server_bytes: conn.bytes_sent(Role::Server),
            client_missed_bytes: conn.missed_bytes(Role::Client),
            server_missed_bytes: conn.missed_bytes(Role::Server),
            client_packets: conn.packets(Role::Client),
            server_packets: conn.packets(Role::Server),
            client_data_acked: data::all_acked(conn, Role::Client),
            server_data_acked: data::all_acked(conn, Role::Server),
            server_acks: conn.acks_from(Role::Server),
            termination: termination::termination(conn),
            retransmissions: conn.retransmissions(),
            history: conn.history().to_string(),
            conn_state: conn.conn_state(),
            relative_mismatches: conn.relative_mismatches().len(),
            transfer: Transfer::of(conn),
        }
    }
}

/// What the lab expects of the close.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CloseExpectation {
    /// Any orderly close: FINs both ways, each acknowledged, in four
    /// segments, three, or crossing (simultaneous, RFC 9293 3.6 case 3).
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
    /// The relative ack the server must use for the client's first data
    /// segment (480 after 479 bytes in the seed).
    pub first_data_ack: Option<u64>,
    /// The client's messages in bytes, in order (`--expect-payload`; a lab
    /// sets its payload plan): the server must acknowledge each message's
    /// end exactly (relative ack 1 + bytes so far), and the client send
    /// nothing more ([`Check::ClientMessages`]).
    pub client_messages: Option<Vec<u64>>,
    /// The whole connection, segment by segment, as a ladder a teacher wrote
    /// ([`expected_ladder`], `--expect-ladder`).
    pub ladder: Option<ExpectedLadder>,
}

/// One question the lab asks of a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Check {
    /// The three-way handshake came first and was right ([`handshake`]).
    Handshake,
    /// The first data was acknowledged as expected, and every byte ([`data`]).
    DataAcknowledged,
    /// The connection ended as expected ([`termination`]).
    Termination,
    /// Nothing was retransmitted (asked for with [`Expectations::no_retransmissions`]).
    NoRetransmissions,
    /// Each of the client's messages was acknowledged at its end ([`Expectations::client_messages`]).
    ClientMessages,
    /// tcplab's relative sequence and ack numbers agree with tshark's.
    RelativeNumbers,
    /// The connection follows an expected ladder ([`Expectations::ladder`]).
    Ladder,
}

impl Check {
    /// The name used in reports and JSON: `handshake`, `data_acknowledged`, ...
    pub fn name(self) -> &'static str {
        match self {
            Check::Handshake => "handshake",
            Check::DataAcknowledged => "data_acknowledged",
            Check::Termination => "termination",
            Check::NoRetransmissions => "no_retransmissions",
            Check::ClientMessages => "client_messages",
            Check::RelativeNumbers => "relative_numbers",
            Check::Ladder => "ladder",
        }
    }
}

impl fmt::Display for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One check's result.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckOutcome {
    /// Which check (`name` in JSON).
    #[serde(rename = "name")]
    pub check: Check,
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
    pub checks: Vec<CheckOutcome>,
    /// The connection compared with the expected ladder, when there was one.
    pub ladder: Option<LadderComparison>,
}

impl Verdict {
    /// Judges `conn` against `expect`.
    pub fn judge(conn: &Connection, expect: &Expectations) -> Verdict {
        let f = Findings::of(conn);
        let mut checks = vec![CheckOutcome {
            check: Check::Handshake,
            passed: f.handshake.ok,
            why: f.handshake.why.clone(),
        }];
        checks.push(data::data_check(&f, expect));
        let t = &f.termination;
        let (passed, wanted) = match expect.close {
            CloseExpectation::Orderly => (
                t.kind.is_orderly(),
                "an orderly close (four-segment, three-segment or simultaneous)".to_owned(),
            ),
            CloseExpectation::Exactly(k) => (t.kind == k, format!("a {k} close")),
        };
        checks.push(CheckOutcome {
            check: Check::Termination,
            passed,
            why: if passed {
                t.why.clone()
            } else {
                format!("expected {wanted}, saw {}: {}", t.kind, t.why)
            },
        });
        if expect.no_retransmissions {
            checks.push(CheckOutcome {
                check: Check::NoRetransmissions,
                passed: f.retransmissions == 0,
                why: format!("{} retransmitted segment(s)", f.retransmissions),
            });
        }
        if let Some(want) = &expect.client_messages {
            checks.push(data::client_messages_check(&f, want));
        }
        let ladder = expect.ladder.as_ref().map(|l| l.compare(conn));
        if let Some(c) = &ladder {
            checks.push(CheckOutcome {
                check: Check::Ladder,
                passed: c.passed,
                why: c.why.clone(),
            });
        }
        checks.push(CheckOutcome {
            check: Check::RelativeNumbers,
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
            ladder,
        }
    }

    /// Whether every check passed.
    pub fn passed(&self) -> bool {
        self.checks.iter().all(|c| c.passed)
    }

    /// The outcome of one check, if the verdict made it.
    pub fn check(&self, check: Check) -> Option<&CheckOutcome> {
        self.checks.iter().find(|c| c.check == check)
    }

    /// The first check that failed, in the lab's order.
    pub fn first_failed(&self) -> Option<&CheckOutcome> {
        self.checks.iter().find(|c| !c.passed)
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
                c.check,
                c.why
            )?;
        }
        Ok(())
    }
}

/// A connection that did not behave as the lab expects.
#[derive(Clone, PartialEq, Eq, thiserror::Error)]
pub struct VerdictError {
    /// The checks that failed.
    pub failed: Vec<CheckOutcome>,
    /// The connection as a ladder diagram.
    pub ladder: String,
}

impl fmt::Display for VerdictError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "the connection did not behave as the lab expects:")?;
        for c in &self.failed {
            writeln!(f, "  FAIL {}: {}", c.check, c.why)?;
        }
        write!(f, "\n{}", self.ladder)
    }
}

/// A connection with its verdict: what a lab run, a watched connection and
/// a checked file give, and what every report shows.
#[derive(Clone, Debug)]
pub struct Judged {
    /// The connection.
    pub connection: Connection,
    /// Its verdict.
    pub verdict: Verdict,
}

impl Judged {
    /// Judges `connection` against `expect`.
    pub fn new(connection: Connection, expect: &Expectations) -> Judged {
        Judged {
            verdict: Verdict::judge(&connection, expect),
            connection,
        }
    }

    /// Judges every connection against the same expectations.
    pub fn all(connections: Vec<Connection>, expect: &Expectations) -> Vec<Judged> {
        connections
            .into_iter()
            .map(|c| Judged::new(c, expect))
            .collect()
    }

    /// Whether every check passed.
    pub fn passed(&self) -> bool {
        self.verdict.passed()
    }

    /// Whether every connection passed.
    pub fn all_passed(items: &[Judged]) -> bool {
        items.iter().all(Judged::passed)
    }

    /// The verdict if every check passed, else an error showing the failed
    /// checks and the connection's ladder diagram.
    pub fn ensure(&self) -> Result<&Verdict, VerdictError> {
        if self.passed() {
            return Ok(&self.verdict);
        }
        Err(VerdictError {
            failed: self
                .verdict
                .checks
                .iter()
                .filter(|c| !c.passed)
                .cloned()
                .collect(),
            ladder: self.connection.to_string(),
        })
    }
}

debug_as_display!(VerdictError);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connection::group;
    use crate::testing::{four_segment, lab, resend, seg};
    use crate::transfer::Transfer;
    use crate::wire::{Flags, Segment};
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

    fn ensure(v: Verdict, c: Connection) -> Result<(), VerdictError> {
        Judged {
            connection: c,
            verdict: v,
        }
        .ensure()
        .map(|_| ())
    }

    // ---- the seed's three assertions ----

    #[test]
    fn seed_lab_passes_with_480_after_479() {
        let (v, _) = judge(
            four_segment(),
            &Expectations {
                close: CloseExpectation::Exactly(TerminationKind::FourSegment),
                client_messages: Some(vec![479, 1380]),
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
        let err = ensure(v, c).unwrap_err().to_string();
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
            TerminationKind::FourSegment
                | TerminationKind::ThreeSegment
                | TerminationKind::Simultaneous
        );
        assert_eq!(v.check(Check::Termination).unwrap().passed, orderly_pass);
    }

    #[test]
    fn a_retransmitted_fin_does_not_change_the_close() {
        let mut segs = four_segment();
        let mut again = segs[9].clone();
        again.frame = 99;
        segs.insert(10, again);
        for (i, s) in segs.iter_mut().enumerate() {
            s.frame = i as u64 + 1;
        }
        let (v, _) = judge(segs, &Expectations::default());
        assert_eq!(v.findings.termination.kind, TerminationKind::FourSegment);
        assert_eq!(v.findings.retransmissions, 1);
        // Zeek's history: a resent FIN with the same number adds no `F`,
        // and carries no payload, so no `T`.
        assert_eq!(v.findings.history, "ShADadFf");
        let strict = Expectations {
            no_retransmissions: true,
            ..Default::default()
        };
        let (v, _) = judge(v_segs_with_retransmission(), &strict);
        assert!(!v.passed());
    }

    fn v_segs_with_retransmission() -> Vec<Segment> {
        resend(four_segment(), 3)
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
    #[case::synack_wrong_ack(2, |s: &mut Segment| s.ack_raw += 1, "not the client's ISN+1")]
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

    /// A message's end is visible only in the acks: TCP carries a byte
    /// stream, whatever segments the sender cut.
    #[rstest]
    #[case::exact(vec![479, 1380], true, "of [479, 1380] bytes (Ack=480, Ack=1860)")]
    #[case::other_sizes(vec![479, 1381], false, "expected client messages of [479, 1381] bytes, but the server never sent Ack=1861, the end of message 2 (1381 bytes); its acks were [1, 480, 1860, 1861]; on the wire the client's messages were [479, 1380]")]
    #[case::ends_acked(vec![1859], true, "of [1859] bytes (Ack=1860)")]
    #[case::an_end_never_acked(vec![400, 1459], false, "never sent Ack=401")]
    #[case::too_few_bytes(vec![479], false, "of [479] bytes (479 in all), but the client sent 1859 bytes")]
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
        let check = v.check(Check::ClientMessages).unwrap();
        assert_eq!(check.passed, passed, "{}", check.why);
        assert!(check.why.contains(why), "{}", check.why);
        assert_eq!(v.passed(), passed);
        let (v, _) = judge(four_segment(), &Expectations::default());
        assert!(v.check(Check::ClientMessages).is_none());
    }
}
