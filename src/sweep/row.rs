//! One row per size of a sweep: what the wire showed for that payload, and
//! the thresholds a sweep's rows show, in words.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::connection::{Connection, Role};
use crate::verdict::{TerminationKind, Verdict};

/// One size of a sweep: what the wire showed for that payload.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SweepRow {
    /// Bytes in each message.
    pub size: u64,
    /// Messages sent (each echoed in full before the next).
    pub messages: u32,
    /// Segments the client sent (all kinds).
    pub client_segments: u32,
    /// Segments the server sent (all kinds).
    pub server_segments: u32,
    /// The largest payload of any one segment.
    pub largest_segment: u32,
    /// The server's relative ack of the client's last data byte.
    pub final_ack: u64,
    /// What it must be: 1 + bytes the client sent.
    pub expected_ack: u64,
    /// Segments with no payload, SYN, FIN or RST, both directions.
    pub pure_acks: u32,
    /// Segments with PSH, both directions.
    pub psh: u32,
    /// How the connection ended.
    pub termination: TerminationKind,
    /// Retransmitted segments.
    pub retransmissions: u32,
    /// From the SYN to the last segment, in seconds (capture timestamps).
    pub duration: f64,
    /// Every lab check passed and the final ack is right.
    pub passed: bool,
}

impl SweepRow {
    /// Reads a row off a judged connection of a lab that sent `messages`
    /// messages of `size` bytes.
    pub fn new(size: u64, messages: u32, conn: &Connection, verdict: &Verdict) -> SweepRow {
        let count = |role: Role| conn.steps.iter().filter(|s| s.from == role).count() as u32;
        let bytes = conn.bytes_sent(Role::Client);
        let data_end = 1 + bytes;
        let final_ack = conn
            .steps
            .iter()
            .filter(|s| s.from == Role::Server)
            .filter_map(|s| s.ack)
            .filter(|&a| a <= data_end)
            .max()
            .unwrap_or(0);
        let expected_ack = 1 + size * u64::from(messages);
        let t0 = conn.start_time();
        SweepRow {
            size,
            messages,
            client_segments: count(Role::Client),
            server_segments: count(Role::Server),
            largest_segment: conn.steps.iter().map(|s| s.segment.len).max().unwrap_or(0),
            final_ack,
            expected_ack,
            pure_acks: conn
                .steps
                .iter()
                .filter(|s| s.segment.is_pure_ack())
                .count() as u32,
            psh: conn.steps.iter().filter(|s| s.segment.flags.psh()).count() as u32,
            termination: verdict.findings.termination.kind,
            retransmissions: verdict.findings.retransmissions as u32,
            duration: conn.steps.last().map_or(0.0, |s| s.segment.time - t0),
            passed: verdict.passed() && final_ack == expected_ack,
        }
    }
}

impl fmt::Display for SweepRow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:>9} B x{}: {:>3} client / {:>3} server segments, largest {:>6}, final ack {:>9}, {} pure ACKs, {} PSH, {}, {} retrans, {:.3} ms{}",
            self.size,
            self.messages,
            self.client_segments,
            self.server_segments,
            self.largest_segment,
            self.final_ack,
            self.pure_acks,
            self.psh,
            self.termination,
            self.retransmissions,
            self.duration * 1e3,
            if self.passed { "" } else { "  FAIL" }
        )
    }
}

/// Thresholds seen in a sweep, in words: where a message first spans two
/// segments, where the close or the retransmission count changes.
pub fn summary(rows: &[SweepRow]) -> Vec<String> {
    let mut out = Vec::new();
    if rows.is_empty() {
        return out;
    }
    let failed = rows.iter().filter(|r| !r.passed).count();
    out.push(format!(
        "{} size(s) from {} to {} bytes; {} passed, {} failed",
        rows.len(),
        rows.iter().map(|r| r.size).min().unwrap_or(0),
        rows.iter().map(|r| r.size).max().unwrap_or(0),
        rows.len() - failed,
        failed
    ));
    let largest = rows.iter().map(|r| r.largest_segment).max().unwrap_or(0);
    out.push(format!("largest segment seen: {largest} bytes"));
    let mut sorted: Vec<&SweepRow> = rows.iter().collect();
    sorted.sort_by_key(|r| r.size);
    // Data segments the client needs per message, from its segment count.
    let data_segments =
        |r: &SweepRow| r.largest_segment > 0 && r.size > u64::from(r.largest_segment);
    if let Some(first) = sorted.iter().find(|r| data_segments(r)) {
        let before = sorted
            .iter()
            .rev()
            .find(|r| r.size < first.size && !data_segments(r));
        out.push(match before {
            Some(b) => format!(
                "a message first spans two segments between {} and {} bytes (largest segment {} bytes)",
                b.size, first.size, first.largest_segment
            ),
            None => format!("every message of {} bytes or more spans several segments", first.size),
        });
    } else {
        out.push("every message fit in one segment".to_owned());
    }
    let mut kinds: Vec<(TerminationKind, usize)> = Vec::new();
    for r in &sorted {
        match kinds.iter_mut().find(|(k, _)| *k == r.termination) {
            Some((_, n)) => *n += 1,
            None => kinds.push((r.termination, 1)),
        }
    }
    out.push(format!(
        "terminations: {}",
        kinds
            .iter()
            .map(|(k, n)| format!("{k} x{n}"))
            .collect::<Vec<_>>()
            .join(", ")
    ));
    let retrans: u32 = rows.iter().map(|r| r.retransmissions).sum();
    out.push(format!("retransmissions: {retrans}"));
    for r in sorted.iter().filter(|r| r.final_ack != r.expected_ack) {
        out.push(format!(
            "size {}: final ack {} but {} bytes were sent (expected {})",
            r.size,
            r.final_ack,
            r.expected_ack - 1,
            r.expected_ack
        ));
    }
    out
}
