//! Colour for the text reports, added line by line as they are written:
//! [`Highlight`] wraps any writer of tcplab's text (a connection's report,
//! a ladder, a folder's report) and paints what a reader looks for first:
//! `PASS` and `FAIL`, the client's and the server's arrows, retransmissions
//! and the other marks, notes and diagnoses, headings.
//!
//! It recognises only the shapes of lines tcplab itself writes, and paints
//! whole tokens, so the text read without the escape codes is exactly the
//! text written: with [`Palette::PLAIN`] nothing changes at all.

use std::io::{self, Write};

use super::style::{Palette, paint};

/// A writer that paints each line of tcplab's text with a palette.
pub struct Highlight<W: Write> {
    out: W,
    palette: Palette,
    line: Vec<u8>,
}

impl<W: Write> Highlight<W> {
    /// Paints what is written to `out` with `palette`.
    pub fn new(out: W, palette: Palette) -> Highlight<W> {
        Highlight {
            out,
            palette,
            line: Vec::new(),
        }
    }

    /// Writes the line held so far (without its newline, if it has none).
    fn emit(&mut self) -> io::Result<()> {
        let line = std::mem::take(&mut self.line);
        if self.palette == Palette::PLAIN {
            return self.out.write_all(&line);
        }
        let (body, newline) = match line.strip_suffix(b"\n") {
            Some(body) => (body, "\n"),
            None => (&line[..], ""),
        };
        match std::str::from_utf8(body) {
            Ok(text) => write!(self.out, "{}{newline}", paint_line(text, &self.palette)),
            Err(_) => self.out.write_all(&line),
        }
    }
}

impl<W: Write> Write for Highlight<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.palette == Palette::PLAIN {
            return self.out.write(buf);
        }
        let mut rest = buf;
        while let Some(at) = rest.iter().position(|&b| b == b'\n') {
            self.line.extend_from_slice(&rest[..=at]);
            self.emit()?;
            rest = &rest[at + 1..];
        }
        self.line.extend_from_slice(rest);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if !self.line.is_empty() {
            self.emit()?;
        }
        self.out.flush()
    }
}

impl<W: Write> Drop for Highlight<W> {
    fn drop(&mut self) {
        let _ = self.flush();
    }
}

/// Paints one line (without its newline).
pub fn paint_line(line: &str, p: &Palette) -> String {
    if let Some(painted) = ladder_row(line, p) {
        return painted;
    }
    for word in ["PASS", "FAIL", "UNUSABLE"] {
        if let Some(rest) = line.strip_prefix(word) {
            if rest.is_empty() || rest.starts_with(' ') {
                return format!("{}{rest}", paint(p.result(word), word));
            }
        }
        if let Some(rest) = line.strip_prefix(&format!("result: {word}")) {
            return format!("result: {}{rest}", paint(p.result(word), word));
        }
    }
    for label in ["note:", "diagnosis:"] {
        if let Some(rest) = line.strip_prefix(label) {
            return format!("{}{rest}", paint(p.warning, label));
        }
    }
    let heading = line
        .strip_prefix("connection ")
        .is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit()))
        || (line.starts_with("file ") && line.contains(" of ") && line.contains(": "));
    if heading {
        return paint(p.heading, line);
    }
    // `  frame 57: client resent Seq=... fast, ...`
    if line.starts_with("  frame ") && line.contains(" resent Seq=") {
        return paint(p.retransmission, line);
    }
    line.to_owned()
}

/// A ladder row: `... |--- [SYN] Seq=0 ... --->|  [mark]`, the arrow in
/// the sender's colour, the mark in the colour of what it says.
fn ladder_row(line: &str, p: &Palette) -> Option<String> {
    let (start, style) = match (line.find("|--- "), line.find("|<-- ")) {
        (Some(at), _) => (at, p.client),
        (None, Some(at)) => (at, p.server),
        (None, None) => return None,
    };
    // The arrow ends at the server's column bar, the next `|`.
    let end = start + 1 + line[start + 1..].find('|')? + 1;
    let (head, arrow, tail) = (&line[..start], &line[start..end], &line[end..]);
    let mark = tail.trim_start();
    let tail = if mark.starts_with('[') && mark.ends_with(']') {
        let mark_style = if mark.contains("retransmission") {
            p.retransmission
        } else {
            p.warning
        };
        format!(
            "{}{}",
            &tail[..tail.len() - mark.len()],
            paint(mark_style, mark)
        )
    } else {
        tail.to_owned()
    };
    Some(format!("{head}{}{tail}", paint(style, arrow)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The text with every escape sequence removed.
    fn strip(s: &str) -> String {
        let mut out = String::new();
        let mut chars = s.chars();
        while let Some(c) = chars.next() {
            if c == '\x1b' {
                for c in chars.by_ref() {
                    if c == 'm' {
                        break;
                    }
                }
            } else {
                out.push(c);
            }
        }
        out
    }

    const LINES: [&str; 9] = [
        "connection 1",
        " 0.000000     30  |--- [SYN] Seq=0 Len=0 MSS=1460 ------>|",
        " 0.000625     56  |<-- [ACK] Seq=1860 Ack=16340 Len=0 ---|  [duplicate ACK]",
        " 0.000633     57  |--- [ACK] Seq=16340 Ack=1860 Len=1448 ->|  [retransmission]",
        "PASS handshake: SYN, SYN-ACK, ACK",
        "FAIL termination: expected four_segment",
        "result: UNUSABLE (2 connection(s) read before that, 0 failed)",
        "diagnosis: the client closed before reading the whole echo",
        "  frame 57: client resent Seq=16340 Len=1448 fast, 0.000041 s after frame 50",
    ];

    #[test]
    fn colour_changes_no_character_of_the_text() {
        for line in LINES {
            let painted = paint_line(line, &Palette::COLORED);
            assert_ne!(painted, line, "{line} is not painted");
            assert_eq!(strip(&painted), line);
            assert_eq!(paint_line(line, &Palette::PLAIN), line);
        }
    }

    #[test]
    fn arrows_take_their_senders_colour_and_marks_their_own() {
        let p = Palette::COLORED;
        let client = paint_line(LINES[1], &p);
        assert!(client.contains(&paint(p.client, "|--- [SYN] Seq=0 Len=0 MSS=1460 ------>|")));
        let server = paint_line(LINES[2], &p);
        assert!(server.contains(&paint(p.server, "|<-- [ACK] Seq=1860 Ack=16340 Len=0 ---|")));
        assert!(server.ends_with(&paint(p.warning, "[duplicate ACK]")));
        let resent = paint_line(LINES[3], &p);
        assert!(resent.ends_with(&paint(p.retransmission, "[retransmission]")));
    }

    #[test]
    fn the_writer_paints_whole_lines_however_they_are_cut() {
        let text = LINES.join("\n") + "\n";
        let mut painted = Vec::new();
        {
            let mut h = Highlight::new(&mut painted, Palette::COLORED);
            for piece in text.as_bytes().chunks(7) {
                h.write_all(piece).unwrap();
            }
        }
        let painted = String::from_utf8(painted).unwrap();
        let expected: String = LINES
            .iter()
            .map(|l| paint_line(l, &Palette::COLORED) + "\n")
            .collect();
        assert_eq!(painted, expected);
    }
}
