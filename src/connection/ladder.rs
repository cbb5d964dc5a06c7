//! The ladder diagram: one row per segment, relative time, an arrow between
//! the client and server columns, flags and relative Seq/Ack/Len, as
//! Wireshark's flow graph (Statistics > Flow Graph) shows a TCP stream.
//!
//! ```text
//! 127.0.0.1:53202 (client) <-> 127.0.0.1:8000 (server)
//!     time  frame  client                                           server
//! 0.000000      1  |--- [SYN] Seq=0 Len=0 MSS=65495 --------------->|
//! 0.000012      2  |<-- [SYN, ACK] Seq=0 Ack=1 Len=0 MSS=65495 -----|
//! ```

use std::fmt::Write;

use super::{Connection, Resend, Role, Step};

/// The label drawn on a step's arrow: `[PSH, ACK] Seq=1 Ack=1 Len=479`.
pub fn label(step: &Step) -> String {
    let mut s = format!("[{}] Seq={}", step.segment.flags, step.seq);
    if let Some(ack) = step.ack {
        let _ = write!(s, " Ack={ack}");
    }
    let _ = write!(s, " Len={}", step.segment.len);
    if let Some(mss) = step.segment.options.mss {
        let _ = write!(s, " MSS={mss}");
    }
    s
}

/// What the analysis says of a step, if anything worth a mark.
pub fn remark(step: &Step) -> Option<&'static str> {
    let a = &step.analysis;
    match a.resend {
        Some(Resend::Fast) => return Some("fast retransmission"),
        Some(Resend::Spurious) => return Some("spurious retransmission"),
        Some(Resend::Retransmission) => return Some("retransmission"),
        Some(Resend::OutOfOrder) | None => {}
    }
    if a.resent {
        // Wireshark calls a quick resend on a fast link "out of order";
        // tcplab saw the same sequence numbers twice.
        Some("retransmission")
    } else if a.duplicate_ack {
        Some("duplicate ACK")
    } else if a.resend == Some(Resend::OutOfOrder) {
        Some("out of order")
    } else if a.zero_window {
        Some("zero window")
    } else {
        None
    }
}

/// Draws the whole connection as a ladder, with the relative time and the
/// frame number of every segment.
pub fn render(conn: &Connection) -> String {
    draw(conn, true)
}

/// The ladder without what changes from run to run (addresses and ports,
/// times, frame numbers): the same exchange on the same kernel draws the
/// same text, for snapshot tests (e.g. `insta::assert_snapshot!`).
pub fn render_stable(conn: &Connection) -> String {
    draw(conn, false)
}

fn draw(conn: &Connection, timed: bool) -> String {
    let labels: Vec<String> = conn.steps.iter().map(label).collect();
    let width = labels
        .iter()
        .map(|l| l.chars().count())
        .max()
        .unwrap_or(0)
        .max(40)
        + 8;
    let t0 = conn.start_time();
    let mut out = String::new();
    if timed {
        let _ = writeln!(out, "{} (client) <-> {} (server)", conn.client, conn.server);
    }
    if !conn.roles_from_syn {
        let _ = writeln!(out, "(no SYN captured: roles guessed from the ports)");
    }
    if timed {
        let _ = write!(out, "{:>9}  {:>5}  ", "time", "frame");
    }
    let _ = writeln!(out, "{:<w$}server", "client", w = width + 1);
    for (step, label) in conn.steps.iter().zip(&labels) {
        let pad = width - label.chars().count();
        if timed {
            let _ = write!(
                out,
                "{:>9.6}  {:>5}  ",
                step.segment.time - t0,
                step.segment.frame
            );
        }
        let _ = match step.from {
            Role::Client => write!(out, "|--- {label} {}>|", "-".repeat(pad.saturating_sub(5))),
            Role::Server => write!(out, "|<-- {label} {}|", "-".repeat(pad.saturating_sub(4))),
        };
        if let Some(r) = remark(step) {
            let _ = write!(out, "  [{r}]");
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::connection::group;
    use crate::testing::{four_segment, resend};

    #[test]
    fn ladder_shows_direction_flags_and_relative_numbers() {
        // The client's 1380 bytes (frame 8) are sent again as frame 9.
        let segs = resend(four_segment(), 7);
        let text = super::render(&group(segs, None)[0]);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            "127.0.0.1:53202 (client) <-> 127.0.0.1:8000 (server)"
        );
        assert!(lines[2].contains("|--- [SYN] Seq=0 Len=0 "), "{text}");
        assert!(lines[2].ends_with(">|"), "{text}");
        assert!(
            lines[3].contains("|<-- [SYN, ACK] Seq=0 Ack=1 Len=0 "),
            "{text}"
        );
        assert!(lines[6].contains("[ACK] Seq=1 Ack=480 Len=0"), "{text}");
        assert!(!lines[9].ends_with("]"), "{text}");
        assert!(lines[10].ends_with("[retransmission]"), "{text}");
        // Every arrow has the same length, so the server column lines up.
        let bars: Vec<usize> = lines[2..].iter().map(|l| l.rfind('|').unwrap()).collect();
        assert!(bars.iter().all(|&b| b == bars[0]), "{text}");
    }

    #[test]
    fn the_stable_ladder_has_no_times_frames_or_ports() {
        let c = &group(four_segment(), None)[0];
        let stable = super::render_stable(c);
        assert!(
            !stable.contains("53202") && !stable.contains("frame"),
            "{stable}"
        );
        let first = stable.lines().nth(1).unwrap();
        assert!(first.starts_with("|--- [SYN] Seq=0 Len=0 "), "{stable}");
        // The same arrows as the timed ladder, without its two columns.
        let timed = super::render(c);
        for (t, s) in timed.lines().skip(2).zip(stable.lines().skip(1)) {
            assert!(t.ends_with(s), "{t}\n{s}");
        }
    }
}
