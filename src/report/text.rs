//! The text report: per connection the ladder, Zeek's history, how it
//! ended, the transfer, each check with PASS or FAIL and one line of why,
//! and a diagnosis where the cause of a failure is known.

use std::io::{self, Write};

use crate::connection::Role;
use crate::transfer::{RetransmissionKind, Transfer};
use crate::verdict::Judged;

/// Writes the text report for judged connections, and `notes` on frames
/// that could not be used (`note: frame 17: ...`) before the result line.
pub fn write_text(out: &mut dyn Write, items: &[Judged], notes: &[String]) -> io::Result<()> {
    let mut report = TextReport::new(out);
    for j in items {
        report.connection(j)?;
    }
    report.finish(notes)
}

/// The text report written connection by connection, as they are judged
/// one by one (a capture read as it is judged).
pub struct TextReport<W: Write> {
    out: W,
    count: usize,
    failed: usize,
}

impl<W: Write> TextReport<W> {
    /// A report writing to `out`.
    pub fn new(out: W) -> TextReport<W> {
        TextReport {
            out,
            count: 0,
            failed: 0,
        }
    }

    /// Writes one connection's block.
    pub fn connection(&mut self, j: &Judged) -> io::Result<()> {
        self.count += 1;
        self.failed += usize::from(!j.verdict.passed());
        write_connection(&mut self.out, self.count, j)
    }

    /// Writes the notes and the result line.
    pub fn finish(mut self, notes: &[String]) -> io::Result<()> {
        for note in notes {
            writeln!(self.out, "note: {note}")?;
        }
        writeln!(
            self.out,
            "result: {} ({} connection(s), {} failed)",
            if self.failed == 0 { "PASS" } else { "FAIL" },
            self.count,
            self.failed
        )?;
        self.out.flush()
    }

    /// Ends the report of a capture that could not be read to its end: the
    /// notes, the sentence saying why, and a result that is not a pass.
    pub fn fail(mut self, notes: &[String], why: &str) -> io::Result<()> {
        for note in notes {
            writeln!(self.out, "note: {note}")?;
        }
        writeln!(self.out, "UNUSABLE {why}")?;
        writeln!(
            self.out,
            "result: UNUSABLE ({} connection(s) read before that, {} failed)",
            self.count, self.failed
        )?;
        self.out.flush()
    }
}

/// One connection's block: `connection N`, the ladder, what it showed,
/// the checks.
fn write_connection(out: &mut dyn Write, n: usize, j: &Judged) -> io::Result<()> {
    let (c, v) = (&j.connection, &j.verdict);
    let f = &v.findings;
    writeln!(out, "connection {n}")?;
    write!(out, "{c}")?;
    writeln!(out)?;
    if let Some(t) = c.tunnel() {
        writeln!(out, "tunnelled:       {t}")?;
    }
    writeln!(out, "history:         {}", f.history)?;
    if let Some(split) = c.split() {
        writeln!(out, "split:           {split}")?;
    }
    writeln!(
        out,
        "termination:     {}{}",
        f.termination.kind,
        f.termination
            .initiator
            .map(|r| format!(" (started by the {r})"))
            .unwrap_or_default()
    )?;
    write_transfer(out, &f.transfer)?;
    write!(out, "{v}")?;
    if let Some(l) = v.ladder.as_ref().filter(|l| !l.passed) {
        write!(out, "{l}")?;
    }
    for d in v.diagnosis() {
        writeln!(out, "diagnosis: {d}")?;
    }
    writeln!(out, "{}\n", if v.passed() { "PASS" } else { "FAIL" })
}

/// The transfer lines: sizes, messages, what loss cost.
fn write_transfer(out: &mut dyn Write, t: &Transfer) -> io::Result<()> {
    let mss = |m: Option<u16>| m.map_or("no MSS".to_owned(), |m| format!("MSS {m}"));
    writeln!(
        out,
        "segment sizes:   client {}, largest {}; server {}, largest {}",
        mss(t.client_mss),
        t.client_largest,
        mss(t.server_mss),
        t.server_largest
    )?;
    let show = |role: Role| {
        let m: Vec<String> = t
            .messages
            .iter()
            .filter(|m| m.from == role)
            .map(|m| match m.segments.as_slice() {
                [_] => m.bytes.to_string(),
                segs => format!(
                    "{} ({})",
                    m.bytes,
                    segs.iter()
                        .map(u32::to_string)
                        .collect::<Vec<_>>()
                        .join("+")
                ),
            })
            .collect();
        if m.is_empty() {
            "none".to_owned()
        } else {
            m.join(", ")
        }
    };
    writeln!(
        out,
        "messages:        client {}; server {}",
        show(Role::Client),
        show(Role::Server)
    )?;
    writeln!(
        out,
        "retransmissions: {} ({} fast, {} after a timeout); duplicate ACKs: {}; segments with SACK blocks: {}",
        t.retransmissions.len(),
        t.count(RetransmissionKind::Fast),
        t.count(RetransmissionKind::Timeout),
        t.duplicate_acks,
        t.sack_segments
    )?;
    for r in &t.retransmissions {
        writeln!(
            out,
            "  frame {}: {} resent Seq={} Len={} {}{}",
            r.frame,
            r.from,
            r.seq,
            r.len,
            r.kind,
            match (r.original_frame, r.after) {
                (Some(o), Some(after)) => format!(", {after:.6} s after frame {o}"),
                _ => " (first transmission not captured)".to_owned(),
            }
        )?;
    }
    Ok(())
}
