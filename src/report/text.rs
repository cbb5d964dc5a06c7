//! The text report: per connection the ladder, Zeek's history, each check
//! with PASS or FAIL and one line of why, and a diagnosis where the cause of
//! a failure is known.

use std::io::{self, Write};

use super::Judged;
use crate::verdict::TerminationKind;

/// Writes the text report for judged connections.
pub fn write_text(out: &mut dyn Write, items: &[Judged]) -> io::Result<()> {
    for (i, j) in items.iter().enumerate() {
        let (c, v) = (&j.connection, &j.verdict);
        let f = &v.findings;
        writeln!(out, "connection {} of {}", i + 1, items.len())?;
        write!(out, "{}", c.ladder())?;
        writeln!(out)?;
        writeln!(out, "history:         {}", f.history)?;
        writeln!(
            out,
            "termination:     {}{}",
            f.termination.kind,
            f.termination
                .initiator
                .map(|r| format!(" (started by the {r})"))
                .unwrap_or_default()
        )?;
        writeln!(out, "retransmissions: {}", f.retransmissions)?;
        write!(out, "{v}")?;
        for d in diagnosis(j) {
            writeln!(out, "diagnosis: {d}")?;
        }
        writeln!(out, "{}\n", if v.passed() { "PASS" } else { "FAIL" })?;
    }
    let failed = items.iter().filter(|j| !j.verdict.passed()).count();
    writeln!(
        out,
        "result: {} ({} connection(s), {} failed)",
        if failed == 0 { "PASS" } else { "FAIL" },
        items.len(),
        failed
    )
}

/// Plain-words causes of failed checks, where tcplab knows them.
pub fn diagnosis(j: &Judged) -> Vec<String> {
    let v = &j.verdict;
    if v.passed() {
        return vec![];
    }
    let f = &v.findings;
    let mut out = Vec::new();
    let failed = |name: &str| v.checks.iter().any(|c| c.name == name && !c.passed);
    if failed("termination") {
        out.push(match f.termination.kind {
            TerminationKind::Reset | TerminationKind::Refused | TerminationKind::Incomplete => {
                f.termination.why.clone()
            }
            TerminationKind::ThreeSegment => "the server closed within Linux's delayed-ACK time (about 40 ms), so its ACK of the client's FIN rode on its own FIN: three segments, not four; make the server acknowledge first (TCP_QUICKACK after reading EOF) or close later".to_owned(),
            TerminationKind::FourSegment => "the close was the four-segment one; the expectation asked for another".to_owned(),
            TerminationKind::Simultaneous => "both ends closed at the same moment".to_owned(),
        });
    }
    if f.retransmissions > 0 {
        out.push(format!(
            "{} segment(s) were retransmitted (Wireshark's tcp.analysis.retransmission): the network lost or delayed them, or the capture missed the originals",
            f.retransmissions
        ));
    }
    if failed("handshake") && f.termination.kind != TerminationKind::Refused {
        out.push(f.handshake.why.clone());
    }
    if failed("relative_numbers") {
        out.push("tcplab's relative sequence numbers disagree with tshark's: please report this with the capture".to_owned());
    }
    out
}
