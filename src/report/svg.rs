//! The ladder diagram as an SVG picture, for a lab report: the picture
//! Wireshark's flow graph (Statistics > Flow Graph) draws of a TCP stream,
//! with the lab's phases shaded and its checks written underneath.
//!
//! Each connection gets its own ladder, stacked top to bottom:
//!
//! - a heading: PASS or FAIL, `client <-> server`, then Zeek's history
//!   string and how the connection ended;
//! - the client's and the server's lifelines, one sloped arrow per segment
//!   in capture order, labelled as in [`ladder::label`], with the relative
//!   time and frame number in the left margin; segments Wireshark remarks
//!   on ([`ladder::remark`]: retransmissions, duplicate ACKs, ...) in red;
//! - shaded bands for the handshake, the data and the termination;
//! - one line per check of the [`Verdict`], green or red.
//!
//! The picture is sized so that labels do not overlap in the usual
//! sans-serif and monospace fonts (see [`super::svgkit`] for the shared
//! palette, fonts and text widths).

use std::io::{self, Write};

use super::svgkit::{
    self, BLUE, GREEN, GREY, INK, MONO, PURPLE, RED, badge, esc, mono_width, sans_width, wrap_words,
};
use crate::connection::{Connection, Role, ladder};
use crate::transfer::RetransmissionKind;
use crate::verdict::{Judged, Verdict};

/// Font size of all body text, in pixels.
pub(super) const FONT: f64 = 13.0;
/// Font size of a ladder's heading.
const TITLE_FONT: f64 = 15.0;

/// Outer margin.
pub(super) const PAD: f64 = 20.0;
/// Height of one segment's row.
const ROW: f64 = 40.0;
/// How far an arrow drops from its sender to its receiver.
const SLOPE: f64 = 10.0;
/// Height of the heading (badge and title, then the details line).
pub(super) const HEAD: f64 = 58.0;
/// Room for the PASS/FAIL badge before the title.
const BADGE: f64 = 58.0;
/// Height of the boxes naming the two ends.
const BOX: f64 = 40.0;
/// From the bottom of the boxes to the first row (the column headers sit here).
const COLUMNS: f64 = 30.0;
/// From the last row to the first check (the `checks` heading sits here).
const TAIL: f64 = 40.0;
/// Continuation lines of a check are indented by this many characters.
const INDENT: usize = 5;
/// Line height of the checks.
pub(super) const LINE: f64 = 18.0;
/// Checks wrap at this many characters, unless the ladder is wider.
pub(super) const WRAP: usize = 96;

const LIFELINE: &str = "#444444";
const ARROW: &str = "#1a1a1a";

/// A phase of the connection, drawn as a shaded band behind its rows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    Handshake,
    Data,
    Termination,
}

impl Phase {
    fn name(self) -> &'static str {
        match self {
            Phase::Handshake => "handshake",
            Phase::Data => "data",
            Phase::Termination => "termination",
        }
    }

    /// (band fill, label colour)
    fn colours(self) -> (&'static str, &'static str) {
        match self {
            Phase::Handshake => ("#e4effb", BLUE),
            Phase::Data => ("#fbf4d9", "#7a5f00"),
            Phase::Termination => ("#f5e5f3", PURPLE),
        }
    }
}

/// Writes the SVG document for these connections (one ladder per connection, stacked vertically).
pub fn write_svg(out: &mut dyn Write, items: &[Judged]) -> io::Result<()> {
    let mut blocks: Vec<Block> = items
        .iter()
        .enumerate()
        .map(|(i, j)| Block::new(i, items.len(), &j.connection, &j.verdict))
        .collect();
    let cols = Columns::fit(&mut blocks);
    let heights: Vec<f64> = blocks.iter().map(|b| b.height).collect();
    svgkit::write_stack(
        out,
        "TCP ladder diagram (tcplab)",
        cols.width.ceil(),
        PAD,
        FONT,
        &heights,
        |out, i, top| blocks[i].write(out, top, &cols),
    )
}

/// The same, as a String.
pub fn render_svg(items: &[Judged]) -> String {
    svgkit::render(|out| write_svg(out, items))
}

/// One connection's ladder, measured before it is drawn.
struct Block<'a> {
    conn: &'a Connection,
    verdict: &'a Verdict,
    /// `Connection 2 of 3: ` when there are several, else empty.
    prefix: String,
    labels: Vec<String>,
    times: Vec<String>,
    frames: Vec<String>,
    /// (phase, first row, last row), in order.
    bands: Vec<(Phase, usize, usize)>,
    /// Per check: whether it passed, and its text wrapped into lines
    /// (filled in by [`Columns::fit`]).
    checks: Vec<(bool, Vec<String>)>,
    /// Widths this ladder needs: the time and frame columns, the two boxes,
    /// the longest arrow label, the heading.
    time_w: f64,
    frame_w: f64,
    box_w: [f64; 2],
    label_w: f64,
    head_w: f64,
    height: f64,
}

/// Where the columns go, shared by every ladder of the picture so that
/// stacked ladders line up.
struct Columns {
    /// Right edge of the time column.
    x_time: f64,
    /// Right edge of the frame column.
    x_frame: f64,
    /// The client's lifeline.
    cx: f64,
    /// The server's lifeline.
    sx: f64,
    /// The whole picture.
    width: f64,
}

impl Columns {
    /// Places the columns so every ladder fits, then wraps every ladder's
    /// checks to the picture's width and sets its height.
    fn fit(blocks: &mut [Block]) -> Columns {
        let max = |f: &dyn Fn(&Block) -> f64| blocks.iter().map(f).fold(0.0, f64::max);
        let x_time = PAD + max(&|b| b.time_w).max(sans_width("time (s)", FONT, true));
        let x_frame = x_time + 14.0 + max(&|b| b.frame_w).max(sans_width("frame", FONT, true));
        let cx = (x_frame + 28.0).max(PAD + max(&|b| b.box_w[0]) / 2.0);
        let span =
            max(&|b| (b.label_w + 64.0).max(b.box_w[0] / 2.0 + b.box_w[1] / 2.0 + 24.0)).max(240.0);
        let sx = cx + span;
        let ladder_right = (sx + 16.0 + sans_width("termination", FONT, true))
            .max(sx + max(&|b| b.box_w[1]) / 2.0)
            + PAD;
        let mut width = ladder_right.max(max(&|b| b.head_w));
        let wrap_at = (((width - 2.0 * PAD) / mono_width("x", FONT)) as usize).max(WRAP);
        for b in blocks.iter_mut() {
            b.checks = wrap_checks(b.verdict, wrap_at);
            width = width.max(checks_width(&b.checks));
            let lines: usize = b.checks.iter().map(|(_, l)| l.len()).sum();
            b.height = PAD
                + HEAD
                + BOX
                + COLUMNS
                + ROW * b.labels.len() as f64
                + TAIL
                + LINE * lines as f64
                + PAD;
        }
        Columns {
            x_time,
            x_frame,
            cx,
            sx,
            width,
        }
    }
}

/// The text of a row's arrow: the label, and Wireshark's remark if any.
fn arrow_text(label: &str, remark: Option<&str>) -> String {
    match remark {
        Some(r) => format!("{label} [{r}]"),
        None => label.to_owned(),
    }
}

impl<'a> Block<'a> {
    fn new(index: usize, count: usize, conn: &'a Connection, verdict: &'a Verdict) -> Block<'a> {
        let t0 = conn.start_time();
        let labels: Vec<String> = conn
            .steps
            .iter()
            .map(|s| arrow_text(&ladder::label(s), ladder::remark(s)))
            .collect();
        let times: Vec<String> = conn
            .steps
            .iter()
            .map(|s| format!("{:.6}", s.segment.time - t0))
            .collect();
        let frames: Vec<String> = conn
            .steps
            .iter()
            .map(|s| s.segment.frame.to_string())
            .collect();
        let widest = |v: &[String]| v.iter().map(|s| mono_width(s, FONT)).fold(0.0, f64::max);
        let box_w = [Role::Client, Role::Server].map(|r| {
            mono_width(&conn.addr(r).to_string(), FONT).max(sans_width("client", FONT, true)) + 20.0
        });
        let prefix = if count > 1 {
            format!("Connection {} of {count}: ", index + 1)
        } else {
            String::new()
        };
        let head_w = heading_width(&prefix, conn, verdict);
        Block {
            conn,
            verdict,
            prefix,
            bands: bands(conn, verdict),
            time_w: widest(&times),
            frame_w: widest(&frames),
            label_w: widest(&labels),
            labels,
            times,
            frames,
            checks: Vec::new(),
            box_w,
            head_w,
            height: 0.0,
        }
    }

    fn write(&self, out: &mut dyn Write, top: f64, c: &Columns) -> io::Result<()> {
        let conn = self.conn;
        let verdict = self.verdict;

        writeln!(out, "<g>")?;
        write_heading(out, top, &self.prefix, conn, verdict)?;

        let box_top = top + PAD + HEAD;
        let rows_top = box_top + BOX + COLUMNS;
        let rows_end = rows_top + ROW * self.labels.len() as f64;
        // Phase bands first, behind everything else.
        for &(phase, first, last) in &self.bands {
            let (fill, ink) = phase.colours();
            let y0 = rows_top + ROW * first as f64;
            let h = ROW * (last - first + 1) as f64;
            writeln!(
                out,
                r#"<rect x="{:.1}" y="{y0:.1}" width="{:.1}" height="{h:.1}" fill="{fill}"/>"#,
                PAD / 2.0,
                c.width - PAD
            )?;
            writeln!(
                out,
                r#"<text x="{:.1}" y="{:.1}" font-weight="bold" font-style="italic" fill="{ink}">{}</text>"#,
                c.sx + 16.0,
                y0 + 18.0,
                phase.name()
            )?;
        }

        // The two ends, in boxes above their lifelines.
        for (i, role) in [Role::Client, Role::Server].into_iter().enumerate() {
            let x = if i == 0 { c.cx } else { c.sx };
            let w = self.box_w[i];
            writeln!(
                out,
                r##"<line x1="{x:.1}" y1="{:.1}" x2="{x:.1}" y2="{:.1}" stroke="{LIFELINE}" stroke-width="2"/>"##,
                box_top + BOX,
                rows_end + 12.0
            )?;
            writeln!(
                out,
                r##"<rect x="{:.1}" y="{box_top:.1}" width="{w:.1}" height="{BOX}" rx="4" fill="#f4f4f4" stroke="{LIFELINE}" stroke-width="1.5"/>"##,
                x - w / 2.0
            )?;
            writeln!(
                out,
                r#"<text x="{x:.1}" y="{:.1}" text-anchor="middle" font-weight="bold">{role}</text>"#,
                box_top + 16.0
            )?;
            writeln!(
                out,
                r#"<text x="{x:.1}" y="{:.1}" text-anchor="middle" font-family="{MONO}">{}</text>"#,
                box_top + 33.0,
                esc(&conn.addr(role).to_string())
            )?;
        }
        writeln!(
            out,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="end" font-weight="bold" fill="{GREY}">time (s)</text>"#,
            c.x_time,
            rows_top - 8.0
        )?;
        writeln!(
            out,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="end" font-weight="bold" fill="{GREY}">frame</text>"#,
            c.x_frame,
            rows_top - 8.0
        )?;

        // One arrow per segment.
        let mid = (c.cx + c.sx) / 2.0;
        for (i, step) in conn.steps.iter().enumerate() {
            let row = rows_top + ROW * i as f64;
            let y1 = row + 24.0;
            let (x1, x2) = match step.from {
                Role::Client => (c.cx, c.sx),
                Role::Server => (c.sx, c.cx),
            };
            let colour = if ladder::remark(step).is_some() {
                RED
            } else {
                ARROW
            };
            writeln!(
                out,
                r#"<text x="{:.1}" y="{:.1}" text-anchor="end" font-family="{MONO}" fill="{GREY}">{}</text>"#,
                c.x_time,
                y1 + 5.0,
                self.times[i]
            )?;
            writeln!(
                out,
                r#"<text x="{:.1}" y="{:.1}" text-anchor="end" font-family="{MONO}" fill="{GREY}">{}</text>"#,
                c.x_frame,
                y1 + 5.0,
                self.frames[i]
            )?;
            arrow(out, x1, y1, x2, y1 + SLOPE, colour)?;
            writeln!(
                out,
                r#"<text x="{mid:.1}" y="{:.1}" text-anchor="middle" font-family="{MONO}" fill="{colour}">{}</text>"#,
                y1 - 5.0,
                esc(&self.labels[i])
            )?;
        }

        write_checks(out, rows_end + 36.0, &self.checks)?;
        writeln!(out, "</g>")
    }
}

/// Writes a connection's heading from `top` on (it takes `HEAD` below
/// `PAD`): a PASS/FAIL badge, `prefix` and the two ends, then the details
/// line (history, termination, segments, retransmissions). Shared with the
/// time-sequence graph ([`super::tsg`]).
pub(super) fn write_heading(
    out: &mut dyn Write,
    top: f64,
    prefix: &str,
    conn: &Connection,
    verdict: &Verdict,
) -> io::Result<()> {
    let y = top + PAD;
    badge(out, PAD, y, verdict.passed(), FONT)?;
    writeln!(
        out,
        r#"<text x="{:.1}" y="{:.1}" font-weight="bold" font-size="{TITLE_FONT}">{}</text>"#,
        PAD + BADGE,
        y + 16.5,
        esc(&(prefix.to_owned() + &title(conn)))
    )?;
    let f = &verdict.findings;
    let mut line = format!(
        r#"<text x="{PAD}" y="{:.1}" fill="{GREY}">history <tspan font-family="{MONO}" font-weight="bold" fill="{INK}">{}</tspan><tspan dx="18">termination</tspan> <tspan font-weight="bold" fill="{INK}">{}</tspan>"#,
        y + 42.0,
        esc(&f.history),
        esc(f.termination.kind.name())
    );
    if let Some(by) = f.termination.initiator {
        line += &format!(" (by the {by})");
    }
    line += &format!(
        r#"<tspan dx="18">{} segments, {} retransmitted</tspan>"#,
        conn.steps.len(),
        f.retransmissions
    );
    // Short, to fit the header: the text report has the details.
    let t = &f.transfer;
    let kinds: Vec<String> = [
        (t.count(RetransmissionKind::Fast), "fast"),
        (t.count(RetransmissionKind::Timeout), "timeout"),
    ]
    .iter()
    .filter(|(n, _)| *n > 0)
    .map(|(n, k)| format!("{n} {k}"))
    .collect();
    if !kinds.is_empty() {
        line += &format!(" ({})", kinds.join(", "));
    }
    if !conn.roles_from_syn {
        line += r#"<tspan dx="18">no SYN captured: roles guessed from the ports</tspan>"#;
    }
    writeln!(out, "{line}</text>")?;
    Ok(())
}

/// The width a connection's heading needs.
pub(super) fn heading_width(prefix: &str, conn: &Connection, verdict: &Verdict) -> f64 {
    (PAD + BADGE + sans_width(&(prefix.to_owned() + &title(conn)), TITLE_FONT, true))
        .max(PAD + sans_width(&details(conn, verdict), FONT, false))
        + PAD
}

/// Each check of `verdict` as `PASS name: why`, wrapped at `wrap_at`
/// characters, with whether it passed.
pub(super) fn wrap_checks(verdict: &Verdict, wrap_at: usize) -> Vec<(bool, Vec<String>)> {
    verdict
        .checks
        .iter()
        .map(|c| {
            let text = format!(
                "{} {}: {}",
                if c.passed { "PASS" } else { "FAIL" },
                c.check,
                c.why
            );
            (c.passed, wrap_words(&text, wrap_at, INDENT))
        })
        .collect()
}

/// The width the wrapped checks need.
pub(super) fn checks_width(checks: &[(bool, Vec<String>)]) -> f64 {
    let mut width: f64 = 0.0;
    for (_, lines) in checks {
        for (i, l) in lines.iter().enumerate() {
            let indent = if i > 0 {
                INDENT as f64 * mono_width("x", FONT)
            } else {
                0.0
            };
            width = width.max(2.0 * PAD + indent + mono_width(l, FONT));
        }
    }
    width
}

/// Writes the heading `checks` with its baseline at `y`, then one line per
/// check line, green or red; returns the height taken below `y`.
pub(super) fn write_checks(
    out: &mut dyn Write,
    y: f64,
    checks: &[(bool, Vec<String>)],
) -> io::Result<f64> {
    let top = y;
    let mut y = y;
    writeln!(
        out,
        r#"<text x="{PAD}" y="{y:.1}" font-weight="bold">checks</text>"#
    )?;
    for (passed, lines) in checks {
        let colour = if *passed { GREEN } else { RED };
        let mut text = format!(r#"<text font-family="{MONO}" fill="{colour}">"#);
        for (i, l) in lines.iter().enumerate() {
            y += LINE;
            if i == 0 {
                // `PASS` or `FAIL` in bold, then the rest of the line.
                let (word, rest) = l.split_once(' ').unwrap_or((l, ""));
                text += &format!(
                    r#"<tspan x="{PAD}" y="{y:.1}"><tspan font-weight="bold">{}</tspan> {}</tspan>"#,
                    esc(word),
                    esc(rest)
                );
            } else {
                text += &format!(
                    r#"<tspan x="{:.1}" y="{y:.1}">{}</tspan>"#,
                    PAD + INDENT as f64 * mono_width("x", FONT),
                    esc(l)
                );
            }
        }
        writeln!(out, "{text}</text>")?;
    }
    Ok(y - top)
}

/// `127.0.0.1:53202 <-> 127.0.0.1:8000`.
fn title(conn: &Connection) -> String {
    format!("{} <-> {}", conn.client, conn.server)
}

/// The details line as plain text, to measure it.
fn details(conn: &Connection, verdict: &Verdict) -> String {
    let f = &verdict.findings;
    let mut s = format!("history {}   termination {}", f.history, f.termination.kind);
    if let Some(by) = f.termination.initiator {
        s += &format!(" (by the {by})");
    }
    s += &format!(
        "   {} segments, {} retransmitted",
        conn.steps.len(),
        f.retransmissions
    );
    if !conn.roles_from_syn {
        s += "   no SYN captured: roles guessed from the ports";
    }
    s
}

/// The phases as row ranges: the handshake up to its last frame, the
/// termination from its first frame on, the data in between.
fn bands(conn: &Connection, verdict: &Verdict) -> Vec<(Phase, usize, usize)> {
    let n = conn.steps.len();
    if n == 0 {
        return Vec::new();
    }
    let row_of = |frame: u64| conn.steps.iter().position(|s| s.segment.frame == frame);
    let f = &verdict.findings;
    let term_start = f
        .termination
        .frames
        .first()
        .and_then(|&fr| row_of(fr))
        .unwrap_or(n);
    let hs_end = f
        .handshake
        .frames
        .iter()
        .filter_map(|&fr| row_of(fr))
        .max()
        .map(|last| last.min(term_start.saturating_sub(1)));
    let mut out = Vec::new();
    let data_start = match hs_end {
        Some(last) if term_start > 0 => {
            out.push((Phase::Handshake, 0, last));
            last + 1
        }
        _ => 0,
    };
    if data_start < term_start {
        out.push((Phase::Data, data_start, term_start - 1));
    }
    if term_start < n {
        out.push((Phase::Termination, term_start, n - 1));
    }
    out
}

/// A straight arrow from `(x1, y1)` to `(x2, y2)` with a filled head.
fn arrow(out: &mut dyn Write, x1: f64, y1: f64, x2: f64, y2: f64, colour: &str) -> io::Result<()> {
    let (dx, dy) = (x2 - x1, y2 - y1);
    let len = dx.hypot(dy).max(1.0);
    let (ux, uy) = (dx / len, dy / len);
    let (head, half) = (11.0, 4.5);
    let (bx, by) = (x2 - ux * head, y2 - uy * head);
    writeln!(
        out,
        r#"<line x1="{x1:.1}" y1="{y1:.1}" x2="{bx:.1}" y2="{by:.1}" stroke="{colour}" stroke-width="1.5"/>"#
    )?;
    writeln!(
        out,
        r#"<polygon points="{x2:.1},{y2:.1} {:.1},{:.1} {:.1},{:.1}" fill="{colour}"/>"#,
        bx - uy * half,
        by + ux * half,
        bx + uy * half,
        by - ux * half
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connection::group;
    use crate::report::assert_well_formed;
    use crate::testing::{four_segment, lab, resend};
    use crate::verdict::Expectations;
    use crate::wire::Flags;

    /// The picture of these connections with their verdicts.
    fn render(items: &[(&Connection, &Verdict)]) -> String {
        let judged: Vec<Judged> = items
            .iter()
            .map(|&(c, v)| Judged {
                connection: c.clone(),
                verdict: v.clone(),
            })
            .collect();
        render_svg(&judged)
    }

    fn seed() -> (Connection, Verdict) {
        let conn = group(four_segment(), None).remove(0);
        let verdict = Verdict::judge(&conn, &Default::default());
        (conn, verdict)
    }

    /// The text of the `<text>` element around byte `at`, with its opening tag.
    fn text_element_at(svg: &str, at: usize) -> &str {
        let start = svg[..at].rfind("<text").unwrap();
        let end = svg[at..].find("</text>").unwrap() + at;
        &svg[start..end]
    }

    #[test]
    fn the_seed_lab_is_a_well_formed_standalone_svg() {
        let (conn, verdict) = seed();
        let svg = render(&[(&conn, &verdict)]);
        let names = assert_well_formed(&svg);
        assert_eq!(names[0], "svg");
        assert!(svg.contains(r#"xmlns="http://www.w3.org/2000/svg""#));
        assert!(svg.contains(r#"viewBox="0 0 "#));
        assert!(svg.contains(r#"fill="white""#));
        // 13 arrows: a line and a head each.
        assert_eq!(names.iter().filter(|n| *n == "polygon").count(), 13);
        let mut written = Vec::new();
        let judged = [Judged {
            connection: conn.clone(),
            verdict: verdict.clone(),
        }];
        write_svg(&mut written, &judged).unwrap();
        assert_eq!(String::from_utf8(written).unwrap(), svg);
    }

    #[test]
    fn every_step_label_and_time_is_drawn() {
        let (conn, verdict) = seed();
        let svg = render(&[(&conn, &verdict)]);
        for step in &conn.steps {
            let label = esc(&ladder::label(step));
            assert!(svg.contains(&format!(">{label}</text>")), "{label}");
            let time = format!(">{:.6}</text>", step.segment.time - conn.start_time());
            assert!(svg.contains(&time), "{time}");
            assert!(svg.contains(&format!(">{}</text>", step.segment.frame)));
        }
        assert!(svg.contains(">[PSH, ACK] Seq=1 Ack=1 Len=479</text>"));
        assert!(svg.contains(">0.012000</text>"), "frame 13, 12 ms in");
    }

    #[test]
    fn heading_names_the_ends_history_termination_and_verdict() {
        let (conn, verdict) = seed();
        let svg = render(&[(&conn, &verdict)]);
        assert!(svg.contains("127.0.0.1:53202 &lt;-&gt; 127.0.0.1:8000"));
        assert!(!svg.contains("<->"));
        assert!(svg.contains(">ShADadFf<"));
        assert!(svg.contains(">four_segment<"));
        assert!(svg.contains(">PASS</text>"));
        assert!(svg.contains(">client</text>") && svg.contains(">server</text>"));
    }

    #[test]
    fn the_three_phases_are_shaded_and_labelled() {
        let (conn, verdict) = seed();
        let svg = render(&[(&conn, &verdict)]);
        for phase in ["handshake", "data", "termination"] {
            assert!(svg.contains(&format!(">{phase}</text>")), "{phase}");
        }
        assert_eq!(
            bands(&conn, &verdict),
            vec![
                (Phase::Handshake, 0, 2),
                (Phase::Data, 3, 8),
                (Phase::Termination, 9, 12)
            ]
        );
        for phase in [Phase::Handshake, Phase::Data, Phase::Termination] {
            assert!(svg.contains(phase.colours().0));
        }
    }

    #[test]
    fn an_open_connection_has_no_termination_band() {
        let conn = group(lab(&[]), None).remove(0);
        let verdict = Verdict::judge(&conn, &Default::default());
        assert_eq!(
            bands(&conn, &verdict),
            vec![(Phase::Handshake, 0, 2), (Phase::Data, 3, 8)]
        );
        let svg = render(&[(&conn, &verdict)]);
        assert!(!svg.contains(">termination</text>"));
    }

    #[test]
    fn a_refused_connection_has_no_data_band() {
        let segs = vec![
            crate::testing::seg(1, Role::Client, Flags::SYN, 0, 0, 0),
            crate::testing::seg(2, Role::Server, Flags::RST | Flags::ACK, 0, 1, 0),
        ];
        let conn = group(segs, None).remove(0);
        let verdict = Verdict::judge(&conn, &Default::default());
        assert_eq!(
            bands(&conn, &verdict),
            vec![(Phase::Handshake, 0, 0), (Phase::Termination, 1, 1)]
        );
        assert_well_formed(&render(&[(&conn, &verdict)]));
    }

    #[test]
    fn special_characters_are_escaped() {
        assert_eq!(
            esc(r#"<client> & "server" 'x'"#),
            "&lt;client&gt; &amp; &quot;server&quot; &apos;x&apos;"
        );
        // A segment with no flags is labelled `[<none>]`.
        let mut segs = four_segment();
        segs[6].flags = Flags::NONE;
        let conn = group(segs, None).remove(0);
        let verdict = Verdict::judge(&conn, &Default::default());
        let svg = render(&[(&conn, &verdict)]);
        assert!(svg.contains("[&lt;none&gt;]"), "{svg}");
        assert_well_formed(&svg);
    }

    #[test]
    fn a_failed_check_and_a_retransmission_are_red() {
        let segs = resend(four_segment(), 7);
        let conn = group(segs, None).remove(0);
        let verdict = Verdict::judge(
            &conn,
            &Expectations {
                first_data_ack: Some(481),
                no_retransmissions: true,
                ..Default::default()
            },
        );
        assert!(!verdict.passed());
        let svg = render(&[(&conn, &verdict)]);
        assert_well_formed(&svg);
        assert!(svg.contains(">FAIL</text>"));

        let at = svg.find("FAIL</tspan> data_acknowledged:").unwrap();
        let element = text_element_at(&svg, at);
        assert!(element.contains(&format!(r#"fill="{RED}""#)), "{element}");
        assert!(element.contains("Ack=481"), "{element}");

        let at = svg.find("PASS</tspan> handshake:").unwrap();
        let element = text_element_at(&svg, at);
        assert!(element.contains(&format!(r#"fill="{GREEN}""#)), "{element}");

        let at = svg.find("[retransmission]").unwrap();
        let element = text_element_at(&svg, at);
        assert!(element.contains(&format!(r#"fill="{RED}""#)), "{element}");
        assert!(element.contains("[PSH, ACK] Seq=480 Ack=480 Len=1380 [retransmission]"));
    }

    #[test]
    fn connections_stack_and_the_picture_fits_its_text() {
        let (conn, verdict) = seed();
        let one = render(&[(&conn, &verdict)]);
        let two = render(&[(&conn, &verdict), (&conn, &verdict)]);
        assert_well_formed(&two);
        assert!(two.contains("Connection 2 of 2: "));
        let size = |svg: &str, attr: &str| -> f64 {
            let at = svg.find(&format!(" {attr}=\"")).unwrap() + attr.len() + 3;
            svg[at..at + svg[at..].find('"').unwrap()].parse().unwrap()
        };
        assert_eq!(size(&one, "width"), size(&two, "width"));
        assert!(size(&two, "height") > 1.9 * size(&one, "height"));

        // The arrows are wide enough for the longest label, and the picture
        // for the checks.
        let mut blocks = vec![Block::new(0, 1, &conn, &verdict)];
        let cols = Columns::fit(&mut blocks);
        let longest = blocks[0]
            .labels
            .iter()
            .map(|l| mono_width(l, FONT))
            .fold(0.0, f64::max);
        assert!(cols.sx - cols.cx >= longest + 40.0);
        assert!(!blocks[0].checks.is_empty());
        for (_, lines) in &blocks[0].checks {
            for (i, l) in lines.iter().enumerate() {
                let indent = if i > 0 {
                    INDENT as f64 * mono_width("x", FONT)
                } else {
                    0.0
                };
                assert!(
                    2.0 * PAD + indent + mono_width(l, FONT) <= cols.width,
                    "{l}"
                );
            }
        }
    }

    #[test]
    fn no_connections_is_still_a_picture() {
        let svg = render(&[]);
        assert_well_formed(&svg);
        assert!(svg.contains("no connections"));
    }

    #[test]
    fn long_lines_wrap_at_spaces() {
        assert_eq!(
            wrap_words("PASS a: one two three four", 12, 5),
            vec!["PASS a: one", "two", "three", "four"]
        );
        assert_eq!(wrap_words("short", 80, 5), vec!["short"]);
        assert_eq!(wrap_words("", 80, 5), vec![""]);
        assert_eq!(
            wrap_words("abcdefghijkl x", 4, 1),
            vec!["abcdefghijkl", "x"]
        );
    }
}
