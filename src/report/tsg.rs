//! The time-sequence graph (Stevens'), as an SVG picture: the picture
//! Wireshark draws of a long transfer (Statistics > TCP Stream Graphs >
//! Time Sequence (tcptrace)), where a ladder would be hundreds of rows.
//!
//! Each connection gets a block, stacked top to bottom as the ladder's are,
//! with the ladder's heading (PASS or FAIL, `client <-> server`, history,
//! termination) and a key, then one graph per direction that carried
//! payload (both when neither did), and the checks underneath:
//!
//! - x is the time since the connection's first segment, in s or ms;
//! - y is the sender's relative sequence number, in bytes (k = 1024, as
//!   `--sizes` counts);
//! - each segment that takes sequence space is a short vertical bar from its
//!   first sequence number to the one past it (SYN and FIN take one), with a
//!   tick at each end (left out where the bars stand too close for them); a
//!   retransmission is red, thicker and ringed, one element of
//!   `class="retransmission"` each (every one is drawn, even one of no
//!   length);
//! - the other end's cumulative ACK is a blue step line, and each SACK block
//!   it sent a purple bar at the time of its segment (raw SACK edges are
//!   turned into relative numbers modulo 2^32 from the segment's own ACK);
//! - under each graph: the throughput, the round-trip times and the counts
//!   of retransmissions and of SACK segments ([`crate::timing`]).
//!
//! Like the ladder ([`super::svg`]) it is plain SVG 1.1 with presentation
//! attributes only, drawn with [`super::svgkit`].

use std::fmt::Write as _;
use std::io::{self, Write};

use super::svg::{
    FONT, HEAD, LINE, PAD, WRAP, checks_width, heading_width, wrap_checks, write_checks,
    write_heading,
};
use super::svgkit::{
    self, AXIS, BLUE, GREY, GRID, INK, MONO, PURPLE, RED, decimal, esc, mono_width, nice_step,
    sans_width,
};
use crate::connection::{Connection, Role, Step};
use crate::timing::Direction;
use crate::transfer::RetransmissionKind;
use crate::verdict::{Judged, Verdict};

/// Font size of tick labels.
const TICK_FONT: f64 = 11.0;
/// Height of the key's row, under the heading.
const KEY: f64 = 26.0;
/// Height of a graph's title line, above its plot area.
const TITLE: f64 = 28.0;
/// Width of a plot area.
const PLOT_W: f64 = 760.0;
/// Height of a plot area.
const PLOT_H: f64 = 280.0;
/// From the plot area's left edge to the picture's: the y axis' title and
/// tick labels.
const LEFT: f64 = 84.0;
/// Right of the plot area: room for half the last x tick label.
const RIGHT: f64 = 30.0;
/// Below the plot area: the x tick labels and the axis title.
const BELOW: f64 = 46.0;
/// Between a graph's last line of numbers and the next graph.
const GAP: f64 = 18.0;
/// From the last graph to the `checks` heading's baseline.
const TAIL: f64 = 36.0;
/// Half the width of a segment's end ticks.
const TICK: f64 = 2.5;
/// The same for a retransmission, drawn larger to stand out.
const RESENT_TICK: f64 = 4.0;
/// The least radius of the ring around a retransmission.
const RING: f64 = 7.0;
/// The shortest bar drawn, in pixels, so that a one-byte FIN or a
/// retransmission of no length still shows.
const MIN_BAR: f64 = 3.0;

/// Writes the SVG document for these connections (one block per
/// connection, stacked vertically).
pub fn write_tsg(out: &mut dyn Write, items: &[Judged]) -> io::Result<()> {
    let blocks: Vec<Block> = items
        .iter()
        .enumerate()
        .map(|(i, j)| Block::new(i, items.len(), &j.connection, &j.verdict))
        .collect();
    let min_width = LEFT + PLOT_W + RIGHT;
    let width = blocks
        .iter()
        .map(|b| b.width)
        .fold(min_width, f64::max)
        .ceil();
    let wrap_at = (((width - 2.0 * PAD) / mono_width("x", FONT)) as usize).max(WRAP);
    let blocks: Vec<Block> = blocks.into_iter().map(|b| b.wrap(wrap_at)).collect();
    let heights: Vec<f64> = blocks.iter().map(|b| b.height).collect();
    svgkit::write_stack(
        out,
        "TCP time-sequence graph (tcplab)",
        width,
        PAD,
        FONT,
        &heights,
        |out, i, top| blocks[i].write(out, top),
    )
}

/// The same, as a String.
pub fn render_tsg(items: &[Judged]) -> String {
    svgkit::render(|out| write_tsg(out, items))
}

/// One connection's graphs, measured before they are drawn.
struct Block<'a> {
    conn: &'a Connection,
    verdict: &'a Verdict,
    /// `Connection 2 of 3: ` when there are several, else empty.
    prefix: String,
    panels: Vec<Panel>,
    /// The time axis, shared by the connection's graphs.
    time: Axis,
    checks: Vec<(bool, Vec<String>)>,
    width: f64,
    height: f64,
}

/// One direction's graph.
struct Panel {
    /// The sender.
    from: Role,
    /// `client → server`, and the addresses.
    title: (String, String),
    /// Seconds since the connection's first segment, first and past
    /// sequence number, retransmitted.
    bars: Vec<(f64, u64, u64, bool)>,
    /// The peer's cumulative ACK where it changed: (seconds, ack).
    acks: Vec<(f64, u64)>,
    /// The peer's SACK blocks: (seconds, left, right), relative.
    sacks: Vec<(f64, u64, u64)>,
    seq: Axis,
    /// The numbers under the graph: (text, red).
    lines: Vec<(String, bool)>,
}

impl Panel {
    fn height(&self) -> f64 {
        TITLE + PLOT_H + BELOW + LINE * self.lines.len() as f64 + GAP
    }
}

impl<'a> Block<'a> {
    fn new(index: usize, count: usize, conn: &'a Connection, verdict: &'a Verdict) -> Block<'a> {
        let prefix = if count > 1 {
            format!("Connection {} of {count}: ", index + 1)
        } else {
            String::new()
        };
        let t0 = conn.start_time();
        let span = conn
            .steps
            .iter()
            .map(|s| s.segment.time - t0)
            .fold(0.0, f64::max);
        let time = Axis::time(span);
        let panels: Vec<Panel> = directions(conn)
            .into_iter()
            .map(|role| Panel::new(conn, verdict, role))
            .collect();
        let text_w = panels
            .iter()
            .flat_map(|p| p.lines.iter())
            .map(|(l, _)| PAD + sans_width(l, FONT, false) + PAD)
            .fold(0.0, f64::max);
        let width = heading_width(&prefix, conn, verdict).max(text_w);
        Block {
            conn,
            verdict,
            prefix,
            panels,
            time,
            checks: Vec::new(),
            width,
            height: 0.0,
        }
    }

    /// Wraps the checks at `wrap_at` characters and sets the height.
    fn wrap(mut self, wrap_at: usize) -> Block<'a> {
        self.checks = wrap_checks(self.verdict, wrap_at);
        self.width = self.width.max(checks_width(&self.checks));
        let lines: usize = self.checks.iter().map(|(_, l)| l.len()).sum();
        self.height = PAD
            + HEAD
            + KEY
            + self.panels.iter().map(Panel::height).sum::<f64>()
            + TAIL
            + LINE * lines as f64
            + PAD;
        self
    }

    fn write(&self, out: &mut dyn Write, top: f64) -> io::Result<()> {
        writeln!(out, "<g>")?;
        write_heading(out, top, &self.prefix, self.conn, self.verdict)?;
        write_key(out, top + PAD + HEAD + 4.0)?;
        let mut y = top + PAD + HEAD + KEY;
        for panel in &self.panels {
            panel.write(out, y, &self.time)?;
            y += panel.height();
        }
        write_checks(out, y + TAIL - GAP, &self.checks)?;
        writeln!(out, "</g>")
    }
}

/// The senders whose graphs are drawn: each end that sent payload or
/// resent anything; when none did, each end that sent anything.
fn directions(conn: &Connection) -> Vec<Role> {
    let sent =
        |role: Role, f: &dyn Fn(&Step) -> bool| conn.steps.iter().any(|s| s.from == role && f(s));
    let roles = [Role::Client, Role::Server];
    let busy: Vec<Role> = roles
        .into_iter()
        .filter(|&r| sent(r, &|s| s.segment.len > 0 || s.is_retransmission()))
        .collect();
    if !busy.is_empty() {
        return busy;
    }
    roles.into_iter().filter(|&r| sent(r, &|_| true)).collect()
}

/// The relative number of a raw sequence number `raw` that a segment with
/// relative acknowledgment `ack` and raw acknowledgment `ack_raw` names
/// (a SACK edge), by their distance modulo 2^32.
fn relative_edge(
    ack: u64,
    ack_raw: crate::wire::seq::SeqNumber,
    raw: crate::wire::seq::SeqNumber,
) -> Option<u64> {
    ack.checked_add_signed(raw - ack_raw)
}

impl Panel {
    fn new(conn: &Connection, verdict: &Verdict, from: Role) -> Panel {
        let t0 = conn.start_time();
        let bars: Vec<(f64, u64, u64, bool)> = conn
            .steps
            .iter()
            .filter(|s| s.from == from)
            .filter(|s| {
                s.is_retransmission() || (s.segment.seq_len() > 0 && !s.segment.flags.rst())
            })
            .map(|s| {
                (
                    s.segment.time - t0,
                    s.seq,
                    s.next_seq(),
                    s.is_retransmission(),
                )
            })
            .collect();
        let mut acks: Vec<(f64, u64)> = Vec::new();
        let mut sacks = Vec::new();
        for s in conn.steps.iter().filter(|s| s.from == from.peer()) {
            let Some(ack) = s.ack else { continue };
            let t = s.segment.time - t0;
            if acks.last().is_none_or(|&(_, a)| a != ack) {
                acks.push((t, ack));
            }
            for b in &s.segment.options.sack_blocks {
                let left = relative_edge(ack, s.segment.ack_raw, b.left);
                let right = relative_edge(ack, s.segment.ack_raw, b.right);
                if let (Some(l), Some(r)) = (left, right) {
                    if l < r {
                        sacks.push((t, l, r));
                    }
                }
            }
        }
        let lo = bars
            .iter()
            .map(|b| b.1)
            .chain(acks.iter().map(|a| a.1))
            .chain(sacks.iter().map(|s| s.1))
            .min()
            .unwrap_or(0);
        let hi = bars
            .iter()
            .map(|b| b.2)
            .chain(acks.iter().map(|a| a.1))
            .chain(sacks.iter().map(|s| s.2))
            .max()
            .unwrap_or(0);
        let seq = Axis::bytes(lo, hi);
        let title = (
            format!("{from} \u{2192} {}", from.peer()),
            format!("{} \u{2192} {}", conn.addr(from), conn.addr(from.peer())),
        );
        Panel {
            from,
            title,
            bars,
            acks,
            sacks,
            seq,
            lines: numbers(conn, verdict, from),
        }
    }

    fn write(&self, out: &mut dyn Write, top: f64, time: &Axis) -> io::Result<()> {
        let x0 = LEFT;
        let y0 = top + TITLE;
        let x = |t: f64| x0 + time.fraction(t) * PLOT_W;
        let y = |v: f64| y0 + PLOT_H - self.seq.fraction(v) * PLOT_H;
        writeln!(out, r#"<g class="direction" data-from="{}">"#, self.from)?;
        writeln!(
            out,
            r#"<text x="{PAD}" y="{:.1}"><tspan font-weight="bold">{}</tspan><tspan dx="12" font-family="{MONO}" fill="{GREY}">{}</tspan></text>"#,
            top + 18.0,
            esc(&self.title.0),
            esc(&self.title.1)
        )?;
        // Grid and ticks, then the frame.
        for (v, label) in time.ticks() {
            let px = x(v);
            writeln!(
                out,
                r#"<line x1="{px:.1}" y1="{y0:.1}" x2="{px:.1}" y2="{:.1}" stroke="{GRID}" stroke-width="1"/>"#,
                y0 + PLOT_H
            )?;
            writeln!(
                out,
                r#"<text x="{px:.1}" y="{:.1}" text-anchor="middle" font-size="{TICK_FONT}" fill="{GREY}">{label}</text>"#,
                y0 + PLOT_H + 15.0
            )?;
        }
        for (v, label) in self.seq.ticks() {
            let py = y(v);
            writeln!(
                out,
                r#"<line x1="{x0:.1}" y1="{py:.1}" x2="{:.1}" y2="{py:.1}" stroke="{GRID}" stroke-width="1"/>"#,
                x0 + PLOT_W
            )?;
            writeln!(
                out,
                r#"<text x="{:.1}" y="{:.1}" text-anchor="end" font-size="{TICK_FONT}" fill="{GREY}">{label}</text>"#,
                x0 - 6.0,
                py + 4.0
            )?;
        }
        writeln!(
            out,
            r#"<rect class="plot" x="{x0:.1}" y="{y0:.1}" width="{PLOT_W}" height="{PLOT_H}" fill="none" stroke="{AXIS}" stroke-width="1"/>"#
        )?;
        writeln!(
            out,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="middle" fill="{GREY}">time since the first segment ({})</text>"#,
            x0 + PLOT_W / 2.0,
            y0 + PLOT_H + 34.0,
            time.unit
        )?;
        let (cx, cy) = (PAD + 6.0, y0 + PLOT_H / 2.0);
        writeln!(
            out,
            r#"<text x="{cx:.1}" y="{cy:.1}" text-anchor="middle" transform="rotate(-90 {cx:.1} {cy:.1})" fill="{GREY}">sequence number ({})</text>"#,
            self.seq.unit
        )?;

        // The peer's cumulative ACK, a step line, under the segments.
        if let Some(&(t, a)) = self.acks.first() {
            let mut d = format!("M{:.1} {:.1}", x(t), y(a as f64));
            for &(t, a) in &self.acks[1..] {
                let _ = write!(d, "H{:.1}V{:.1}", x(t), y(a as f64));
            }
            writeln!(
                out,
                r#"<path class="ack" d="{d}" fill="none" stroke="{BLUE}" stroke-width="1.2"/>"#
            )?;
        }
        // Segments: the first copies in one path, their end ticks left out
        // where bars stand closer than a tick's width; then SACK blocks,
        // then the retransmissions on top, thicker.
        let dense = self.bars.len() as f64 * 2.0 * TICK > PLOT_W;
        let tick = if dense { 0.0 } else { TICK };
        let mut d = String::new();
        for &(t, lo, hi, _) in self.bars.iter().filter(|b| !b.3) {
            ibeam(&mut d, x(t), y(lo as f64), y(hi as f64), tick);
        }
        if !d.is_empty() {
            writeln!(
                out,
                r#"<path class="segments" d="{d}" fill="none" stroke="{INK}" stroke-width="1"/>"#
            )?;
        }
        for &(t, l, r) in &self.sacks {
            let px = x(t) + 1.5;
            let (top, bottom) = bar_ends(y(l as f64), y(r as f64));
            writeln!(
                out,
                r#"<line class="sack" x1="{px:.1}" y1="{bottom:.1}" x2="{px:.1}" y2="{top:.1}" stroke="{PURPLE}" stroke-width="2.5"/>"#
            )?;
        }
        for &(t, lo, hi, _) in self.bars.iter().filter(|b| b.3) {
            resent_mark(out, x(t), y(lo as f64), y(hi as f64))?;
        }

        // The numbers.
        let mut ly = y0 + PLOT_H + BELOW;
        for (line, red) in &self.lines {
            ly += LINE;
            let colour = if *red { RED } else { INK };
            writeln!(
                out,
                r#"<text x="{PAD}" y="{:.1}" fill="{colour}">{}</text>"#,
                ly - 4.0,
                esc(line)
            )?;
        }
        writeln!(out, "</g>")
    }
}

/// The top and bottom of a bar between `a` and `b` (pixels, either order),
/// at least [`MIN_BAR`] apart.
fn bar_ends(a: f64, b: f64) -> (f64, f64) {
    let (top, bottom) = (a.min(b), a.max(b));
    if bottom - top >= MIN_BAR {
        (top, bottom)
    } else {
        let mid = (top + bottom) / 2.0;
        (mid - MIN_BAR / 2.0, mid + MIN_BAR / 2.0)
    }
}

/// Appends to the path `d` a Stevens bar at `x` from `y1` to `y2`: a
/// vertical line with a tick `tick` wide each side at each end (none for 0).
fn ibeam(d: &mut String, x: f64, y1: f64, y2: f64, tick: f64) {
    let (top, bottom) = bar_ends(y1, y2);
    let _ = write!(d, "M{x:.1} {bottom:.1}V{top:.1}");
    if tick > 0.0 {
        let _ = write!(
            d,
            "M{:.1} {top:.1}h{:.1}M{:.1} {bottom:.1}h{:.1}",
            x - tick,
            2.0 * tick,
            x - tick,
            2.0 * tick
        );
    }
}

/// A retransmission: a thick red bar from `y1` to `y2` at `x` in a red
/// ring, so that it shows among a thousand bars; one element of
/// `class="retransmission"`.
fn resent_mark(out: &mut dyn Write, x: f64, y1: f64, y2: f64) -> io::Result<()> {
    resent_mark_of(out, x, y1, y2, r#" class="retransmission""#)
}

/// [`resent_mark`] with the given attributes (none for the key).
fn resent_mark_of(out: &mut dyn Write, x: f64, y1: f64, y2: f64, class: &str) -> io::Result<()> {
    let mut d = String::new();
    ibeam(&mut d, x, y1, y2, RESENT_TICK);
    let (top, bottom) = bar_ends(y1, y2);
    writeln!(
        out,
        r#"<g{class} fill="none" stroke="{RED}"><path d="{d}" stroke-width="2"/><circle cx="{x:.1}" cy="{:.1}" r="{:.1}" stroke-width="1.2"/></g>"#,
        (top + bottom) / 2.0,
        ((bottom - top) / 2.0).max(RING)
    )
}

/// The key: what each mark means.
fn write_key(out: &mut dyn Write, y: f64) -> io::Result<()> {
    let mid = y + 8.0;
    let mut x = PAD;
    writeln!(out, r#"<g class="key" font-size="{FONT}">"#)?;
    let entries: [(&str, &str); 4] = [
        (INK, "segment (first to last sequence number)"),
        (RED, "retransmission"),
        (BLUE, "the other end's cumulative ACK"),
        (PURPLE, "SACK block"),
    ];
    for (i, (colour, label)) in entries.into_iter().enumerate() {
        match i {
            2 => writeln!(
                out,
                r#"<path d="M{x:.1} {:.1}H{:.1}V{:.1}H{:.1}" fill="none" stroke="{colour}" stroke-width="1.2"/>"#,
                mid + 6.0,
                x + 8.0,
                mid - 6.0,
                x + 16.0
            )?,
            3 => writeln!(
                out,
                r#"<line x1="{:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="{colour}" stroke-width="2.5"/>"#,
                x + 8.0,
                mid - 7.0,
                x + 8.0,
                mid + 7.0
            )?,
            1 => resent_mark_of(out, x + 8.0, mid - 3.0, mid + 3.0, "")?,
            _ => {
                let mut d = String::new();
                ibeam(&mut d, x + 8.0, mid - 7.0, mid + 7.0, TICK);
                writeln!(
                    out,
                    r#"<path d="{d}" fill="none" stroke="{colour}" stroke-width="1"/>"#
                )?;
            }
        }
        writeln!(
            out,
            r#"<text x="{:.1}" y="{:.1}" fill="{GREY}">{}</text>"#,
            x + 22.0,
            mid + 4.5,
            esc(label)
        )?;
        x += 22.0 + sans_width(label, FONT, false) * 0.85 + 20.0;
    }
    writeln!(out, "</g>")
}

/// The lines under `from`'s graph: throughput, RTT, retransmissions and
/// SACK, each with whether it is red.
fn numbers(conn: &Connection, verdict: &Verdict, from: Role) -> Vec<(String, bool)> {
    let t = &verdict.findings.transfer;
    let d: &Direction = t.timing.from(from);
    let throughput = match d.bytes_per_second {
        Some(rate) => format!(
            "throughput: {} bytes in {}: {} ({:.1} Mbit/s)",
            d.bytes,
            duration(d.seconds),
            per_second(rate),
            rate * 8.0 / 1e6
        ),
        None if d.bytes > 0 => format!("throughput: {} bytes, in no measurable time", d.bytes),
        None => "throughput: no payload".to_owned(),
    };
    let rtt = match &d.rtt {
        Some(r) => format!(
            "RTT at the capture point: min {}, median {}, max {} ({} sample{} {})",
            duration(r.min),
            duration(r.median),
            duration(r.max),
            r.samples,
            if r.samples == 1 { "" } else { "s" },
            r.method
        ),
        None => "RTT: no sample (nothing acknowledged)".to_owned(),
    };
    let resent: Vec<_> = t
        .retransmissions
        .iter()
        .filter(|r| r.from == from)
        .collect();
    let fast = resent
        .iter()
        .filter(|r| r.kind == RetransmissionKind::Fast)
        .count();
    let sacks = conn
        .steps
        .iter()
        .filter(|s| s.from == from.peer() && !s.segment.options.sack_blocks.is_empty())
        .count();
    let loss = format!(
        "retransmissions: {} ({fast} fast, {} after a timeout); segments with SACK blocks from the {}: {sacks}",
        resent.len(),
        resent.len() - fast,
        from.peer()
    );
    vec![
        (throughput, false),
        (rtt, false),
        (loss, !resent.is_empty()),
    ]
}

/// Seconds as `1.234 s`, `12.345 ms` or `56.7 µs`.
fn duration(s: f64) -> String {
    if s >= 1.0 {
        format!("{s:.3} s")
    } else if s >= 1e-3 {
        format!("{:.3} ms", s * 1e3)
    } else {
        format!("{:.1} \u{b5}s", s * 1e6)
    }
}

/// Bytes per second with k = 1024: `512 bytes/s`, `3.2 KiB/s`, `2.31 MiB/s`.
fn per_second(rate: f64) -> String {
    const K: f64 = 1024.0;
    if rate >= K * K * K {
        format!("{:.2} GiB/s", rate / (K * K * K))
    } else if rate >= K * K {
        format!("{:.2} MiB/s", rate / (K * K))
    } else if rate >= K {
        format!("{:.1} KiB/s", rate / K)
    } else {
        format!("{rate:.0} bytes/s")
    }
}

/// A linear axis from `lo` to `hi` with round ticks in a unit.
#[derive(Clone, Debug, PartialEq)]
struct Axis {
    lo: f64,
    hi: f64,
    /// The distance between ticks, in the axis' values.
    step: f64,
    /// A tick's value is divided by this for its label.
    scale: f64,
    /// Appended to a tick's label (`k`) or empty.
    suffix: &'static str,
    /// The unit, for the axis' title.
    unit: &'static str,
}

impl Axis {
    /// Seconds from 0 to `span` (1 ms at least): ticks in ms below 1 s.
    fn time(span: f64) -> Axis {
        let span = if span.is_finite() && span > 1e-3 {
            span
        } else {
            1e-3
        };
        let (scale, unit) = if span < 1.0 { (1e-3, "ms") } else { (1.0, "s") };
        Axis {
            lo: 0.0,
            hi: span,
            step: nice_step(span / scale / 6.0, false) * scale,
            scale,
            suffix: "",
            unit,
        }
    }

    /// Sequence numbers from `lo` to `hi` (a span of 10 at least), the
    /// start rounded down to a tick: bytes, k or m (powers of 1024).
    fn bytes(lo: u64, hi: u64) -> Axis {
        let span = hi.saturating_sub(lo).max(10) as f64;
        let (scale, suffix, unit) = if span < 4096.0 {
            (1.0, "", "bytes")
        } else if span < 4.0 * 1024.0 * 1024.0 {
            (1024.0, "k", "bytes, k = 1024")
        } else {
            (1024.0 * 1024.0, "m", "bytes, m = 1024 \u{d7} 1024")
        };
        let step = nice_step(span / scale / 5.0, scale == 1.0) * scale;
        let lo = (lo as f64 / step).floor() * step;
        Axis {
            lo,
            hi: lo.max(hi as f64).max(lo + 10.0),
            step,
            scale,
            suffix,
            unit,
        }
    }

    /// Where `v` lies from `lo` (0) to `hi` (1).
    fn fraction(&self, v: f64) -> f64 {
        (v - self.lo) / (self.hi - self.lo)
    }

    /// Ticks from the first multiple of the step at or above `lo` up to
    /// `hi`, with their labels.
    fn ticks(&self) -> Vec<(f64, String)> {
        let first = (self.lo / self.step - 1e-9).ceil() as i64;
        let last = (self.hi / self.step + 1e-9).floor() as i64;
        (first..=last)
            .map(|k| {
                let v = k as f64 * self.step;
                let text = decimal(v / self.scale, 3);
                let text = if text == "0" {
                    text
                } else {
                    text + self.suffix
                };
                (v, text)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connection::group;
    use crate::report::assert_well_formed;
    use crate::testing::{four_segment, resend, seg, upload};
    use crate::verdict::Verdict;
    use crate::wire::options::SackBlock;
    use crate::wire::{Flags, Segment};

    fn judged(segs: Vec<Segment>) -> Vec<Judged> {
        group(segs, None)
            .into_iter()
            .map(|c| Judged {
                verdict: Verdict::judge(&c, &Default::default()),
                connection: c,
            })
            .collect()
    }

    fn count(svg: &str, class: &str) -> usize {
        roxmltree::Document::parse(svg)
            .unwrap()
            .descendants()
            .filter(|n| n.attribute("class") == Some(class))
            .count()
    }

    #[test]
    fn the_seed_lab_has_both_directions_and_no_retransmission() {
        let items = judged(four_segment());
        let svg = render_tsg(&items);
        assert_well_formed(&svg);
        assert_eq!(count(&svg, "direction"), 2);
        assert_eq!(count(&svg, "retransmission"), 0);
        assert_eq!(count(&svg, "ack"), 2);
        assert!(svg.contains("client \u{2192} server"));
        assert!(svg.contains("throughput: 1859 bytes in 5.000 ms"), "{svg}");
        assert!(svg.contains("sequence number (bytes)"));
        assert!(svg.contains("time since the first segment (ms)"));
        let mut written = Vec::new();
        write_tsg(&mut written, &items).unwrap();
        assert_eq!(String::from_utf8(written).unwrap(), svg);
    }

    #[test]
    fn a_retransmission_is_red_and_counted() {
        let items = judged(resend(four_segment(), 7));
        assert_eq!(items[0].verdict.findings.transfer.retransmissions.len(), 1);
        let svg = render_tsg(&items);
        assert_well_formed(&svg);
        assert_eq!(count(&svg, "retransmission"), 1);
        let at = svg.find(r#"class="retransmission""#).unwrap();
        let end = svg[at..].find("/>").unwrap();
        assert!(svg[at..at + end].contains(&format!(r#"stroke="{RED}""#)));
        assert!(svg.contains("retransmissions: 1 (0 fast, 1 after a timeout)"));
    }

    #[test]
    fn sack_blocks_are_drawn_at_their_relative_numbers() {
        use Role::{Client as C, Server as S};
        let (syn, ack) = (Flags::SYN, Flags::ACK);
        let mut dup = seg(6, S, ack, 1, 1, 0);
        // The client's ISN is near 2^32: the edges wrap, the block does not.
        let isn = crate::testing::CLIENT_ISN;
        dup.options.sack_blocks = vec![SackBlock {
            left: isn + 1001,
            right: isn + 2001,
        }];
        let segs = vec![
            seg(1, C, syn, 0, 0, 0),
            seg(2, S, syn | ack, 0, 1, 0),
            seg(3, C, ack, 1, 1, 0),
            seg(4, C, ack, 1, 1, 1000),
            seg(5, C, ack, 1001, 1, 1000),
            dup,
            seg(7, C, ack, 1, 1, 1000),
            seg(8, S, ack, 1, 2001, 0),
        ];
        let conn = group(segs, None).remove(0);
        let verdict = Verdict::judge(&conn, &Default::default());
        let p = Panel::new(&conn, &verdict, C);
        assert_eq!(p.sacks.len(), 1);
        assert_eq!((p.sacks[0].1, p.sacks[0].2), (1001, 2001));
        assert!((p.sacks[0].0 - 0.005).abs() < 1e-9);
        assert_eq!(p.bars.iter().filter(|b| b.3).count(), 1);
        // Only the client sent payload.
        assert_eq!(directions(&conn), vec![C]);
        let svg = render_tsg(&[Judged {
            connection: conn,
            verdict,
        }]);
        assert_eq!(count(&svg, "sack"), 1);
        assert_eq!(count(&svg, "direction"), 1);
    }

    #[test]
    fn a_long_upload_ends_its_axes_near_its_data() {
        let items = judged(upload(1_000_000, 1448));
        let conn = &items[0].connection;
        let p = Panel::new(conn, &items[0].verdict, Role::Client);
        // 1,000,000 bytes after the SYN and before the FIN: k = 1024 ticks.
        assert_eq!(p.seq.unit, "bytes, k = 1024");
        assert_eq!(p.seq.lo, 0.0);
        assert!(p.seq.hi >= 1_000_002.0 && p.seq.hi < 1_000_010.0);
        let ticks = p.seq.ticks();
        assert_eq!(ticks[1], (200.0 * 1024.0, "200k".to_owned()));
        assert!(ticks.last().unwrap().0 <= p.seq.hi);
        let span = conn.steps.last().unwrap().segment.time - conn.start_time();
        let time = Axis::time(span);
        assert_eq!(time.hi, span);
        assert_eq!(time.unit, "s");
        assert!(time.ticks().len() >= 4 && time.ticks().len() <= 8);
        assert_well_formed(&render_tsg(&items));
    }

    #[rstest::rstest]
    #[case::one_syn(vec![seg(1, Role::Client, Flags::SYN, 0, 0, 0)])]
    #[case::rst_only(vec![seg(1, Role::Server, Flags::RST, 5, 0, 0)])]
    #[case::refused(vec![
        seg(1, Role::Client, Flags::SYN, 0, 0, 0),
        seg(2, Role::Server, Flags::RST | Flags::ACK, 0, 1, 0),
    ])]
    #[case::one_segment_no_ack(vec![seg(1, Role::Client, Flags::PSH, 1, 0, 100)])]
    #[case::no_payload(crate::testing::lab(&[]).into_iter().take(3).collect())]
    fn odd_connections_are_still_pictures(#[case] segs: Vec<Segment>) {
        let items = judged(segs);
        let svg = render_tsg(&items);
        assert_well_formed(&svg);
        assert!(count(&svg, "direction") >= 1, "{svg}");
        assert!(!svg.contains("NaN") && !svg.contains("inf"), "{svg}");
    }

    #[test]
    fn no_connections_is_still_a_picture() {
        let svg = render_tsg(&[]);
        assert_well_formed(&svg);
        assert!(svg.contains("no connections"));
    }

    #[test]
    fn tick_labels_are_short() {
        assert_eq!(decimal(0.25, 3), "0.25");
        assert_eq!(decimal(200.0, 3), "200");
        assert_eq!(decimal(-0.0, 3), "0");
        let a = Axis::bytes(0, 1859);
        assert_eq!((a.step, a.unit), (500.0, "bytes"));
        assert_eq!(
            a.ticks().iter().map(|t| t.1.as_str()).collect::<Vec<_>>(),
            ["0", "500", "1000", "1500"]
        );
        let t = Axis::time(0.0123);
        assert_eq!(t.ticks()[1].1, "2.5");
        assert_eq!(duration(0.0000421), "42.1 \u{b5}s");
        assert_eq!(per_second(3.0 * 1024.0 * 1024.0), "3.00 MiB/s");
    }
}
