//! A payload-size sweep as a picture: small-multiple plots of a sweep's
//! main columns against the payload size, stacked top to bottom and sharing
//! one x axis, to see at a glance how TCP segments, acknowledges and closes
//! as the payload grows.
//!
//! The panels, top to bottom:
//!
//! 1. segments sent by the client and by the server;
//! 2. the largest segment, in bytes;
//! 3. pure ACKs and segments with PSH (both directions);
//! 4. the duration from the SYN to the last segment, in milliseconds;
//! 5. how each connection ended: one lane per termination kind present,
//!    named at its left, one mark per size in the kind's colour.
//!
//! Sizes whose row failed (`passed == false`) get a red ring in the
//! termination strip and a faint red line across every other panel; the
//! key under the x axis explains the ring, and is there only then (the
//! lanes name the kinds themselves).
//!
//! The x axis is chosen from the data (`XAxis::fit`): linear when the
//! sizes are evenly stepped, logarithmic (base 2) when they grow
//! geometrically, whichever spreads them more evenly; it ends at the data,
//! at the first round tick at or past the largest size (linear) or the
//! power of two at or past it (log). Sizes are written as `--sizes` reads
//! them ([`super::spec`]): in bytes, or a whole number of k = 1024, M =
//! 1024² or G = 1024³ bytes, said in the axis title. Counts and
//! milliseconds are written in full; k, M and G never mean 1000 here.
//! Every y axis starts at 0.
//!
//! Like the ladder picture, it is drawn with [`crate::report::svgkit`].

use std::io::{self, Write};

use super::row::SweepRow;
use super::spec::{UNITS, fmt_size};
use crate::report::svgkit::{
    GREY, RED, decimal, esc, nice_step, open_document, render, sans_width,
};
use crate::verdict::TerminationKind;

/// Font size of panel titles, legends and lane labels, in pixels.
const FONT: f64 = 13.0;
/// Font size of tick labels.
const TICK_FONT: f64 = 12.0;
/// Font size of the document's title.
const TITLE_FONT: f64 = 18.0;

/// Width of the picture.
const WIDTH: f64 = 900.0;
/// Outer margin, left, top and bottom.
const PAD: f64 = 20.0;
/// Right margin (room for half the last x tick label).
const RIGHT: f64 = 30.0;
/// Gap between the y tick labels and a plot area.
const LABEL_GAP: f64 = 8.0;
/// Room for the title and subtitle above the first panel.
const HEADING: f64 = 62.0;
/// Height of a panel's title line, above its plot area (room for the
/// title to clear the top tick label).
const HEAD: f64 = 30.0;
/// From the top of a panel to its title's baseline.
const TITLE_BASE: f64 = 16.0;
/// The failed sizes listed under the key, at most.
const MAX_LISTED: usize = 8;
/// The picture's `<title>`.
const TITLE: &str = "tcplab payload-size sweep";
/// Height of a numeric panel's plot area.
const PLOT_H: f64 = 104.0;
/// Space below a plot area, before the next panel's title.
const GAP: f64 = 18.0;
/// Height of one lane of the termination strip.
const LANE: f64 = 24.0;
/// Inner padding of plot areas along x, so edge points are not cut.
const INSET: f64 = 10.0;
/// Height of one line of the key under the x axis.
const KEY_LINE: f64 = 22.0;

const FRAME: &str = "#9a9a9a";
const GRID: &str = "#e2e2e2";
const MINOR_GRID: &str = "#f1f1f1";
/// The line across the numeric panels at a failed size.
const FAIL_LINE: &str = "#f1b5b5";

const BLUE: &str = "#0072b2";
const ORANGE: &str = "#e69f00";
const GREEN: &str = "#009e73";
const PURPLE: &str = "#cc79a7";

/// Every termination kind, in the order of the strip's lanes and its key.
const KINDS: [TerminationKind; 6] = [
    TerminationKind::FourSegment,
    TerminationKind::ThreeSegment,
    TerminationKind::Simultaneous,
    TerminationKind::Reset,
    TerminationKind::Refused,
    TerminationKind::Incomplete,
];

/// The colour of a termination kind's marks.
fn kind_colour(kind: TerminationKind) -> &'static str {
    match kind {
        TerminationKind::FourSegment => BLUE,
        TerminationKind::ThreeSegment => GREEN,
        TerminationKind::Simultaneous => PURPLE,
        TerminationKind::Reset => ORANGE,
        TerminationKind::Refused => "#8c510a",
        TerminationKind::Incomplete => "#8a8a8a",
    }
}

/// Writes an SVG document plotting the sweep's main columns against payload size.
pub fn write_plot(out: &mut dyn Write, rows: &[SweepRow]) -> io::Result<()> {
    if rows.is_empty() {
        return write_empty(out);
    }
    let mut sorted: Vec<&SweepRow> = rows.iter().collect();
    sorted.sort_by_key(|r| r.size);
    let panels = panels(&sorted);
    let kinds: Vec<TerminationKind> = KINDS
        .into_iter()
        .filter(|&k| sorted.iter().any(|r| r.termination == k))
        .collect();
    let failed: Vec<&SweepRow> = sorted.iter().copied().filter(|r| !r.passed).collect();

    // The left margin fits the widest y tick label and lane label.
    let axes: Vec<YAxis> = panels
        .iter()
        .map(|p| {
            let max = p
                .series
                .iter()
                .flat_map(|s| s.points.iter().map(|&(_, v)| v))
                .fold(0.0, f64::max);
            YAxis::fit(max, p.scale)
        })
        .collect();
    let label_w = axes
        .iter()
        .flat_map(|a| a.ticks())
        .map(|(_, label)| sans_width(&label, TICK_FONT, false))
        .chain(kinds.iter().map(|k| sans_width(k.name(), FONT, false)))
        .fold(0.0, f64::max);
    let left = (PAD + label_w + LABEL_GAP).ceil();
    let right = WIDTH - RIGHT;
    let (min, max) = (sorted[0].size, sorted[sorted.len() - 1].size);
    let sizes: Vec<u64> = sorted.iter().map(|r| r.size).collect();
    let x = XAxis::fit(&sizes, left, right);

    // Measure the key and the list of failures before writing anything.
    // The lanes name the kinds, so the key holds only the failure ring.
    let key_lines = usize::from(!failed.is_empty());
    let fail_lines = if failed.is_empty() {
        Vec::new()
    } else {
        let mut list: Vec<String> = failed
            .iter()
            .take(MAX_LISTED)
            .map(|r| format!("{} bytes ({})", r.size, r.termination.name()))
            .collect();
        if failed.len() > MAX_LISTED {
            list.push(format!("and {} more", failed.len() - MAX_LISTED));
        }
        list[0].insert_str(0, "failed: ");
        let chars = ((right - left) / sans_width("x", FONT, false)) as usize;
        wrap(&list, chars.max(20))
    };

    let strip_top = HEADING + PAD + panels.len() as f64 * (HEAD + PLOT_H + GAP);
    let strip_plot_top = strip_top + HEAD;
    let strip_bottom = strip_plot_top + LANE * kinds.len() as f64;
    let axis_title_y = strip_bottom + 40.0;
    let key_top = axis_title_y + 12.0;
    let fails_top = key_top + KEY_LINE * key_lines as f64;
    let height = (fails_top + 20.0 * fail_lines.len() as f64 + PAD).ceil();

    open_document(out, WIDTH, height, FONT, TITLE)?;

    // Title and subtitle.
    let n = sorted.len();
    let title = if n == 1 {
        format!("tcplab sweep: 1 size, {min} bytes")
    } else {
        format!("tcplab sweep: {n} sizes from {min} to {max} bytes")
    };
    writeln!(
        out,
        r#"<text x="{PAD}" y="{:.1}" font-size="{TITLE_FONT}" font-weight="bold">{}</text>"#,
        PAD + TITLE_FONT,
        esc(&title)
    )?;
    let retransmissions: u64 = sorted.iter().map(|r| u64::from(r.retransmissions)).sum();
    let outcome = match (failed.len(), n) {
        (0, 1) => "it passed".to_owned(),
        (0, _) => format!("all {n} passed"),
        (f, _) => format!("{f} of {n} failed"),
    };
    let subtitle = format!(
        "{retransmissions} {} in total; {outcome}",
        if retransmissions == 1 {
            "retransmission"
        } else {
            "retransmissions"
        }
    );
    writeln!(
        out,
        r#"<text x="{PAD}" y="{:.1}" fill="{GREY}">{}</text>"#,
        PAD + TITLE_FONT + 22.0,
        esc(&subtitle)
    )?;

    // The numeric panels.
    let fail_sizes: Vec<u64> = failed.iter().map(|r| r.size).collect();
    let mut top = HEADING + PAD;
    for (panel, axis) in panels.iter().zip(&axes) {
        panel.write(out, &x, axis, top, &fail_sizes)?;
        top += HEAD + PLOT_H + GAP;
    }

    // The termination strip.
    writeln!(out, r#"<g id="termination">"#)?;
    panel_title(out, "termination", &x, strip_top)?;
    x.grid(out, strip_plot_top, strip_bottom)?;
    for (i, &kind) in kinds.iter().enumerate() {
        let y = strip_plot_top + LANE * (i as f64 + 0.5);
        if i > 0 {
            writeln!(
                out,
                r#"<line x1="{:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="{GRID}" stroke-width="1"/>"#,
                x.left,
                y - LANE / 2.0,
                x.right,
                y - LANE / 2.0
            )?;
        }
        writeln!(
            out,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"#,
            x.left - LABEL_GAP,
            y + FONT * 0.35,
            esc(kind.name())
        )?;
    }
    frame(out, &x, strip_plot_top, strip_bottom)?;
    for r in &sorted {
        let Some(lane) = kinds.iter().position(|&k| k == r.termination) else {
            continue;
        };
        let cx = x.pos(r.size as f64);
        let cy = strip_plot_top + LANE * (lane as f64 + 0.5);
        writeln!(
            out,
            r#"<circle cx="{cx:.1}" cy="{cy:.1}" r="4" fill="{}"/>"#,
            kind_colour(r.termination)
        )?;
    }
    for r in &failed {
        let Some(lane) = kinds.iter().position(|&k| k == r.termination) else {
            continue;
        };
        let cx = x.pos(r.size as f64);
        let cy = strip_plot_top + LANE * (lane as f64 + 0.5);
        fail_ring(out, cx, cy)?;
    }
    writeln!(out, "</g>")?;

    // The shared x axis, under the strip.
    writeln!(out, r#"<g id="x-axis">"#)?;
    for (v, label) in &x.ticks {
        writeln!(
            out,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="middle" font-size="{TICK_FONT}" fill="{GREY}">{}</text>"#,
            x.pos(*v),
            strip_bottom + 17.0,
            esc(label)
        )?;
    }
    let axis_title = x.title();
    writeln!(
        out,
        r#"<text x="{:.1}" y="{axis_title_y:.1}" text-anchor="middle" font-weight="bold">{}</text>"#,
        (x.left + x.right) / 2.0,
        esc(&axis_title)
    )?;
    writeln!(out, "</g>")?;

    // The key of the strip, and the failed sizes.
    if key_lines > 0 {
        let (at, y) = (x.left, key_top + KEY_LINE * 0.5);
        writeln!(out, r#"<g id="key">"#)?;
        fail_ring(out, at + 8.0, y)?;
        writeln!(
            out,
            r#"<text x="{:.1}" y="{:.1}">failed (passed = false)</text>"#,
            at + 22.0,
            y + FONT * 0.35
        )?;
        writeln!(out, "</g>")?;
    }
    for (i, line) in fail_lines.iter().enumerate() {
        writeln!(
            out,
            r#"<text x="{:.1}" y="{:.1}" fill="{RED}">{}</text>"#,
            x.left,
            fails_top + 20.0 * i as f64 + 14.0,
            esc(line)
        )?;
    }
    writeln!(out, "</svg>")
}

/// The same, as a String.
pub fn render_plot(rows: &[SweepRow]) -> String {
    render(|out| write_plot(out, rows))
}

/// The picture of an empty sweep.
fn write_empty(out: &mut dyn Write) -> io::Result<()> {
    let (w, h) = (360.0, 60.0);
    open_document(out, w, h, FONT, TITLE)?;
    writeln!(
        out,
        r#"<text x="{PAD}" y="{:.1}" fill="{GREY}">tcplab sweep: no data</text>"#,
        h / 2.0 + FONT * 0.35
    )?;
    writeln!(out, "</svg>")
}

/// One line of a numeric panel: (size, value) pairs in size order.
struct Series {
    name: &'static str,
    colour: &'static str,
    points: Vec<(u64, f64)>,
}

/// A numeric panel: a title, what its values are, its series.
struct Panel {
    title: &'static str,
    scale: Scale,
    series: Vec<Series>,
}

/// The numeric panels of sorted rows.
fn panels(rows: &[&SweepRow]) -> Vec<Panel> {
    let series = |name, colour, value: fn(&SweepRow) -> f64| Series {
        name,
        colour,
        points: rows
            .iter()
            .map(|r| (r.size, value(r)))
            .filter(|(_, v)| v.is_finite())
            .collect(),
    };
    vec![
        Panel {
            title: "segments sent",
            scale: Scale::Count,
            series: vec![
                series("client", BLUE, |r| f64::from(r.client_segments)),
                series("server", ORANGE, |r| f64::from(r.server_segments)),
            ],
        },
        Panel {
            title: "largest segment (bytes of payload)",
            scale: Scale::Bytes,
            series: vec![series("largest", BLUE, |r| f64::from(r.largest_segment))],
        },
        Panel {
            title: "pure ACKs and PSH segments (both directions)",
            scale: Scale::Count,
            series: vec![
                series("pure ACKs", GREEN, |r| f64::from(r.pure_acks)),
                series("PSH", PURPLE, |r| f64::from(r.psh)),
            ],
        },
        Panel {
            title: "duration, SYN to last segment (ms)",
            scale: Scale::Millis,
            series: vec![series("duration", BLUE, |r| r.duration * 1000.0)],
        },
    ]
}

impl Panel {
    /// Draws the panel with its title line at `top`, failed sizes marked.
    fn write(
        &self,
        out: &mut dyn Write,
        x: &XAxis,
        y: &YAxis,
        top: f64,
        failed: &[u64],
    ) -> io::Result<()> {
        // A byte axis says what its units mean, as the x axis does.
        let ticks = y.ticks();
        let notes = unit_notes(ticks.iter().map(|(_, l)| l.as_str()));
        let title = match self.title.strip_suffix(')') {
            Some(open) if !notes.is_empty() => format!("{open}; {notes})"),
            _ => self.title.to_owned(),
        };
        panel_title(out, &title, x, top)?;
        let (y0, y1) = (top + HEAD, top + HEAD + PLOT_H);
        let ypos = |v: f64| y1 - v / y.top * PLOT_H;
        x.grid(out, y0, y1)?;
        for (v, label) in ticks {
            let yy = ypos(v);
            if v > 0.0 {
                writeln!(
                    out,
                    r#"<line x1="{:.1}" y1="{yy:.1}" x2="{:.1}" y2="{yy:.1}" stroke="{GRID}" stroke-width="1"/>"#,
                    x.left, x.right
                )?;
            }
            writeln!(
                out,
                r#"<text x="{:.1}" y="{:.1}" text-anchor="end" font-size="{TICK_FONT}" fill="{GREY}">{}</text>"#,
                x.left - LABEL_GAP,
                yy + TICK_FONT * 0.35,
                esc(&label)
            )?;
        }
        for &size in failed {
            let xx = x.pos(size as f64);
            writeln!(
                out,
                r#"<line x1="{xx:.1}" y1="{y0:.1}" x2="{xx:.1}" y2="{y1:.1}" stroke="{FAIL_LINE}" stroke-width="2"/>"#
            )?;
        }
        frame(out, x, y0, y1)?;
        for s in &self.series {
            if s.points.len() > 1 {
                let points: Vec<String> = s
                    .points
                    .iter()
                    .map(|&(size, v)| format!("{:.1},{:.1}", x.pos(size as f64), ypos(v)))
                    .collect();
                writeln!(
                    out,
                    r#"<polyline points="{}" fill="none" stroke="{}" stroke-width="1.5" stroke-linejoin="round"/>"#,
                    points.join(" "),
                    s.colour
                )?;
            }
            for &(size, v) in &s.points {
                writeln!(
                    out,
                    r#"<circle cx="{:.1}" cy="{:.1}" r="2.5" fill="{}"/>"#,
                    x.pos(size as f64),
                    ypos(v),
                    s.colour
                )?;
            }
        }
        if self.series.len() > 1 {
            // The legend, right-aligned on the title line.
            let widths: Vec<f64> = self
                .series
                .iter()
                .map(|s| 26.0 + sans_width(s.name, FONT, true))
                .collect();
            let mut at = x.right - widths.iter().sum::<f64>() - 14.0 * (widths.len() - 1) as f64;
            let y = top + TITLE_BASE - FONT * 0.35;
            for (s, w) in self.series.iter().zip(widths) {
                writeln!(
                    out,
                    r#"<line x1="{at:.1}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="{}" stroke-width="2"/>"#,
                    at + 20.0,
                    s.colour
                )?;
                writeln!(
                    out,
                    r#"<circle cx="{:.1}" cy="{y:.1}" r="3" fill="{}"/>"#,
                    at + 10.0,
                    s.colour
                )?;
                writeln!(
                    out,
                    r#"<text x="{:.1}" y="{:.1}">{}</text>"#,
                    at + 26.0,
                    y + FONT * 0.35,
                    esc(s.name)
                )?;
                at += w + 14.0;
            }
        }
        Ok(())
    }
}

/// A panel's title, bold, on the line above its plot area.
fn panel_title(out: &mut dyn Write, title: &str, x: &XAxis, top: f64) -> io::Result<()> {
    writeln!(
        out,
        r#"<text x="{:.1}" y="{:.1}" font-weight="bold">{}</text>"#,
        x.left,
        top + TITLE_BASE,
        esc(title)
    )
}

/// The outline of a plot area.
fn frame(out: &mut dyn Write, x: &XAxis, y0: f64, y1: f64) -> io::Result<()> {
    writeln!(
        out,
        r#"<rect x="{:.1}" y="{y0:.1}" width="{:.1}" height="{:.1}" fill="none" stroke="{FRAME}" stroke-width="1"/>"#,
        x.left,
        x.right - x.left,
        y1 - y0
    )
}

/// The red ring around a failed row's mark.
fn fail_ring(out: &mut dyn Write, cx: f64, cy: f64) -> io::Result<()> {
    writeln!(
        out,
        r#"<circle cx="{cx:.1}" cy="{cy:.1}" r="7.5" fill="none" stroke="{RED}" stroke-width="2"/>"#
    )
}

/// The x axis shared by every panel.
struct XAxis {
    /// Logarithmic (base 2: `lo` and `hi` are powers of two) or linear.
    log: bool,
    /// The ends of the axis, in bytes.
    lo: f64,
    hi: f64,
    /// Values with a label and a grid line, in bytes, with their labels.
    ticks: Vec<(f64, String)>,
    /// Values with a grid line only (the powers of two between the labelled
    /// ones, on a log axis whose labels would not fit at every power).
    minor: Vec<f64>,
    /// The plot areas' left and right edges.
    left: f64,
    right: f64,
}

impl XAxis {
    /// Fits an axis to `sizes` (in any order, repeats allowed) between
    /// `left` and `right`: logarithmic when [`log_is_more_even`], else
    /// linear; either way it ends at the data.
    fn fit(sizes: &[u64], left: f64, right: f64) -> XAxis {
        let mut sizes = sizes.to_vec();
        sizes.sort_unstable();
        sizes.dedup();
        let (min, max) = match (sizes.first(), sizes.last()) {
            (Some(&min), Some(&max)) => (min, max),
            _ => (0, 0),
        };
        let mut axis = XAxis {
            log: false,
            lo: 0.0,
            hi: 1.0,
            ticks: Vec::new(),
            minor: Vec::new(),
            left,
            right,
        };
        if log_is_more_even(&sizes) {
            axis.fit_log(min, max);
        } else {
            axis.fit_linear(min, max);
        }
        axis
    }

    /// From the power of two at or below `min` to the one at or above
    /// `max`; a label at each end and at every `s`-th power of two between
    /// (`s` of 1, 2, 5 or 10, the least whose labels do not touch), the
    /// other powers of two a grid line only.
    fn fit_log(&mut self, min: u64, max: u64) {
        let lo = min.max(1).ilog2();
        let hi = if max.is_power_of_two() {
            max.ilog2()
        } else {
            max.ilog2() + 1
        }
        .max(lo + 1);
        self.log = true;
        self.lo = 2f64.powi(lo as i32);
        self.hi = 2f64.powi(hi as i32);
        let per_power = (self.right - self.left - 2.0 * INSET) / f64::from(hi - lo);
        let widest = (lo..=hi)
            .map(|e| sans_width(&fmt_power_of_two(e), TICK_FONT, false))
            .fold(0.0, f64::max);
        // Powers of two between two labels, at least.
        let gap = ((widest + 12.0) / per_power).ceil().max(1.0) as u32;
        let every = [1, 2, 5, 10].into_iter().find(|&s| s >= gap).unwrap_or(gap);
        for e in lo..=hi {
            let v = 2f64.powi(e as i32);
            let labelled = e == lo || e == hi || (e % every == 0 && e - lo >= gap && hi - e >= gap);
            if labelled {
                self.ticks.push((v, fmt_power_of_two(e)));
            } else {
                self.minor.push(v);
            }
        }
    }

    /// From a round value at or below `min` (0 when it is near) to the
    /// first round value at or above `max`: see [`linear_ticks`]. One size
    /// alone sits in the middle of an axis from 0.
    fn fit_linear(&mut self, min: u64, max: u64) {
        let (min, max) = if min == max {
            (0.0, (2.0 * max as f64).max(2.0))
        } else {
            (min as f64, max as f64)
        };
        let (step, lo, hi) = linear_ticks(min, max);
        self.lo = lo;
        self.hi = hi;
        let unit = common_unit(step, lo);
        let n = ((hi - lo) / step).round() as usize;
        let ticks: Vec<(f64, String)> = (0..=n)
            .map(|i| {
                let v = lo + step * i as f64;
                (v, fmt_in(v, unit))
            })
            .collect();
        // Label fewer ticks if the widest label would touch its neighbours,
        // always both ends.
        let spacing = (self.right - self.left - 2.0 * INSET) / n as f64;
        let widest = ticks
            .iter()
            .map(|(_, l)| sans_width(l, TICK_FONT, false))
            .fold(0.0, f64::max);
        let every = ((widest + 12.0) / spacing.max(1.0)).ceil().max(1.0) as usize;
        for (i, (v, label)) in ticks.into_iter().enumerate() {
            if i == n || (i % every == 0 && n - i >= every) {
                self.ticks.push((v, label));
            } else {
                self.minor.push(v);
            }
        }
    }

    /// Where `bytes` goes, in pixels from the left of the picture.
    fn pos(&self, bytes: f64) -> f64 {
        let t = if self.log {
            (bytes.max(1.0).log2() - self.lo.log2()) / (self.hi.log2() - self.lo.log2())
        } else {
            (bytes - self.lo) / (self.hi - self.lo)
        };
        self.left + INSET + t * (self.right - self.left - 2.0 * INSET)
    }

    /// The axis title: bytes, the scale, and the units the labels use.
    fn title(&self) -> String {
        let notes = unit_notes(self.ticks.iter().map(|(_, l)| l.as_str()));
        let mut title = String::from("payload size (bytes");
        if self.log {
            title.push_str(", log scale");
        }
        if !notes.is_empty() {
            title.push_str("; ");
            title.push_str(&notes);
        }
        title.push(')');
        title
    }

    /// The vertical grid lines of a plot area from `y0` down to `y1`.
    fn grid(&self, out: &mut dyn Write, y0: f64, y1: f64) -> io::Result<()> {
        let ticks = self.ticks.iter().map(|&(v, _)| v);
        for (values, colour) in [
            (self.minor.clone(), MINOR_GRID),
            (ticks.collect::<Vec<f64>>(), GRID),
        ] {
            for v in values {
                let xx = self.pos(v);
                writeln!(
                    out,
                    r#"<line x1="{xx:.1}" y1="{y0:.1}" x2="{xx:.1}" y2="{y1:.1}" stroke="{colour}" stroke-width="1"/>"#
                )?;
            }
        }
        Ok(())
    }
}

/// Whether a logarithmic x axis spreads `sizes` (sorted, distinct) more
/// evenly than a linear one: whether the widest gap between neighbouring
/// sizes is a smaller share of the axis on it. An even-step sweep
/// (`1..=195001:1000`) has all its gaps equal on a linear axis and gets
/// one; a geometric sweep (`64..=4m:*2`) has them equal on a log axis and
/// gets that. A tie (one or two sizes) and a size of 0 are linear.
fn log_is_more_even(sizes: &[u64]) -> bool {
    if sizes.len() < 3 || sizes[0] == 0 {
        return false;
    }
    let widest_gap = |f: fn(f64) -> f64| {
        let (a, b) = (f(sizes[0] as f64), f(sizes[sizes.len() - 1] as f64));
        sizes
            .windows(2)
            .map(|w| (f(w[1] as f64) - f(w[0] as f64)) / (b - a))
            .fold(0.0, f64::max)
    };
    widest_gap(f64::log2) < widest_gap(|v| v) * (1.0 - 1e-9)
}

/// The multiples of a unit that make a round step in it: round in tens
/// and in powers of two.
const ROUND: [f64; 19] = [
    1.0, 2.0, 4.0, 5.0, 8.0, 10.0, 16.0, 20.0, 25.0, 32.0, 50.0, 64.0, 100.0, 128.0, 200.0, 250.0,
    256.0, 500.0, 512.0,
];

/// Every round step in bytes, smallest first: [`ROUND`] times 1, 1024, 1024²
/// and so on.
fn byte_steps() -> impl Iterator<Item = f64> {
    (0..7).flat_map(|j| ROUND.map(|m| m * 1024f64.powi(j)))
}

/// The round step in bytes ([`byte_steps`]) for an axis from `lo` to `hi`,
/// and the ends rounded out to it: of the steps giving 4 to 7 intervals,
/// the one whose ends lie closest to `lo` and `hi` (the smaller on a tie),
/// else the smallest giving at most 7.
fn linear_ticks(lo: f64, hi: f64) -> (f64, f64, f64) {
    let ends = |step: f64| {
        let a = (lo / step).floor() * step;
        let b = ((hi / step).ceil() * step).max(a + step);
        (a, b, ((b - a) / step).round())
    };
    let mut best: Option<(f64, f64, f64, f64)> = None;
    for step in byte_steps() {
        let (a, b, n) = ends(step);
        if (4.0..=7.0).contains(&n) {
            let waste = (b - hi) + (lo - a);
            if best.is_none_or(|(w, ..)| waste < w) {
                best = Some((waste, step, a, b));
            }
        }
    }
    if let Some((_, step, a, b)) = best {
        return (step, a, b);
    }
    let step = byte_steps().find(|&s| ends(s).2 <= 7.0).unwrap_or(f64::MAX);
    let (a, b, _) = ends(step);
    (step, a, b)
}

/// The largest unit of [`UNITS`] (or 1 byte) that divides `step` and `lo`,
/// hence every tick of a linear axis: the one its labels are written in.
fn common_unit(step: f64, lo: f64) -> (&'static str, f64) {
    UNITS
        .iter()
        .rev()
        .map(|&(name, unit)| (name, unit as f64))
        .find(|&(_, unit)| step % unit == 0.0 && lo % unit == 0.0)
        .unwrap_or(("", 1.0))
}

/// Bytes in `unit`: `0`, `512`, `192k`, `1536k`.
fn fmt_in(v: f64, (name, unit): (&str, f64)) -> String {
    if v == 0.0 {
        "0".to_owned()
    } else {
        format!("{:.0}{name}", v / unit)
    }
}

/// 2^`e` bytes as [`fmt_size`] writes them (`512`, `1k`, `4M`), and 2^64
/// in G.
fn fmt_power_of_two(e: u32) -> String {
    match 1u64.checked_shl(e) {
        Some(bytes) => fmt_size(bytes),
        None => format!("{}G", 1u64 << (e - 30)),
    }
}

/// What the units among `labels` mean, for an axis title: `k = 1024,
/// M = 1024²`; empty when the labels are all in bytes.
fn unit_notes<'a>(labels: impl Iterator<Item = &'a str> + Clone) -> String {
    UNITS
        .iter()
        .zip(["k = 1024", "M = 1024²", "G = 1024³"])
        .filter(|((name, _), _)| labels.clone().any(|l| l.ends_with(name)))
        .map(|(_, note)| note)
        .collect::<Vec<_>>()
        .join(", ")
}

/// What a y axis counts, which decides its steps and labels.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Scale {
    /// Whole numbers, written in full.
    Count,
    /// Bytes: round steps of [`byte_steps`], written as the x axis writes sizes.
    Bytes,
    /// Milliseconds: steps of 1, 2, 2.5 or 5 times a power of ten, in full.
    Millis,
}

/// A y axis from 0 to a round top.
struct YAxis {
    top: f64,
    step: f64,
    scale: Scale,
}

impl YAxis {
    /// At most 5 round ticks from 0 to at least `max`.
    fn fit(max: f64, scale: Scale) -> YAxis {
        let max = if max.is_finite() && max > 0.0 {
            max
        } else {
            0.0
        };
        let step = match scale {
            Scale::Count => nice_step(max / 4.0, true),
            Scale::Millis => nice_step(max / 4.0, false),
            Scale::Bytes => byte_steps()
                .find(|&s| s >= max / 4.0 * (1.0 - 1e-9))
                .unwrap_or(f64::MAX),
        };
        let top = ((max / step - 1e-9).ceil().max(1.0)) * step;
        YAxis { top, step, scale }
    }

    /// The ticks, from 0 up, with their labels.
    fn ticks(&self) -> Vec<(f64, String)> {
        let n = (self.top / self.step).round() as usize;
        let unit = common_unit(self.step, 0.0);
        (0..=n)
            .map(|i| {
                let v = self.step * i as f64;
                let label = match self.scale {
                    Scale::Bytes => fmt_in(v, unit),
                    // A count or a duration in full, without a unit (k, M and G
                    // are for bytes only, and mean powers of 1024).
                    Scale::Count | Scale::Millis => decimal(v, 4),
                };
                (v, label)
            })
            .collect()
    }
}

/// Joins `items` with commas into lines of at most `width` characters,
/// breaking only between items (an item longer than a line gets its own).
fn wrap(items: &[String], width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for (i, item) in items.iter().enumerate() {
        let piece = if i + 1 < items.len() {
            format!("{item},")
        } else {
            item.clone()
        };
        if !line.is_empty() && line.chars().count() + 1 + piece.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(&piece);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    /// The shared well-formedness check, and no NaN or infinity in coordinates.
    fn assert_well_formed(svg: &str) -> Vec<String> {
        let names = crate::report::assert_well_formed(svg);
        assert!(!svg.contains("NaN") && !svg.contains("inf"), "{svg}");
        names
    }

    /// A plausible row: `messages` echoes of `size` bytes on loopback.
    fn row(size: u64, termination: TerminationKind, passed: bool) -> SweepRow {
        let messages = 3;
        let data = messages * (1 + (size / 65483) as u32);
        SweepRow {
            size,
            messages,
            client_segments: 4 + data + messages,
            server_segments: 3 + data + messages,
            largest_segment: size.min(65483) as u32,
            final_ack: 1 + size * u64::from(messages),
            expected_ack: 1 + size * u64::from(messages),
            pure_acks: 2 + 2 * messages,
            psh: 2 * data,
            termination,
            retransmissions: u32::from(!passed),
            duration: 0.0003 + size as f64 * 2e-8,
            passed,
        }
    }

    fn sweep(sizes: impl IntoIterator<Item = u64>) -> Vec<SweepRow> {
        sizes
            .into_iter()
            .map(|s| row(s, TerminationKind::FourSegment, true))
            .collect()
    }

    /// The text of every `<text>` element, in order.
    fn texts(svg: &str) -> Vec<&str> {
        svg.match_indices("<text")
            .map(|(at, _)| {
                let start = svg[at..].find('>').unwrap() + at + 1;
                &svg[start..start + svg[start..].find("</text>").unwrap()]
            })
            .collect()
    }

    fn attr(svg: &str, name: &str) -> f64 {
        let at = svg.find(&format!(" {name}=\"")).unwrap() + name.len() + 3;
        svg[at..at + svg[at..].find('"').unwrap()].parse().unwrap()
    }

    #[test]
    fn a_sweep_is_a_well_formed_standalone_svg() {
        let mut rows = sweep((1..=100_000).step_by(1000));
        rows[45].termination = TerminationKind::Reset;
        rows[45].passed = false;
        let svg = render_plot(&rows);
        let names = assert_well_formed(&svg);
        assert_eq!(names[0], "svg");
        assert!(svg.contains(r#"xmlns="http://www.w3.org/2000/svg""#));
        assert!(svg.contains(r#"viewBox="0 0 900 "#));
        assert_eq!(attr(&svg, "width"), WIDTH);
        assert!(attr(&svg, "height") > 600.0);
        assert!(svg.contains(r#"fill="white""#));
        // Two series in two panels, one in two: six lines, one point per row each.
        assert_eq!(names.iter().filter(|n| *n == "polyline").count(), 6);
        let mut written = Vec::new();
        write_plot(&mut written, &rows).unwrap();
        assert_eq!(String::from_utf8(written).unwrap(), svg);
    }

    #[test]
    fn title_and_subtitle_count_sizes_and_retransmissions() {
        let mut rows = sweep([479, 1, 1380]);
        rows[0].retransmissions = 2;
        rows[2].retransmissions = 3;
        let svg = render_plot(&rows);
        let texts = texts(&svg);
        assert_eq!(texts[0], "tcplab sweep: 3 sizes from 1 to 1380 bytes");
        assert_eq!(texts[1], "5 retransmissions in total; all 3 passed");
    }

    #[test]
    fn every_panel_has_its_title_and_legend() {
        let svg = render_plot(&sweep([1, 100, 10_000]));
        let texts = texts(&svg);
        for title in [
            "segments sent",
            "largest segment (bytes of payload; k = 1024)",
            "pure ACKs and PSH segments (both directions)",
            "duration, SYN to last segment (ms)",
            "termination",
            "client",
            "server",
            "pure ACKs",
            "PSH",
        ] {
            assert!(texts.contains(&title), "{title}: {texts:?}");
        }
    }

    /// The labels of an axis fitted to `sizes` on the standard width.
    fn x_labels(sizes: &[u64]) -> (XAxis, Vec<String>) {
        let x = XAxis::fit(sizes, 100.0, 870.0);
        let labels = x.ticks.iter().map(|(_, l)| l.clone()).collect();
        (x, labels)
    }

    #[test]
    fn a_geometric_sweep_gets_a_log_axis_from_power_to_power() {
        // `64..=4m:*2`: every power of two labelled, the ends on the data.
        let sizes: Vec<u64> = (6..=22).map(|e| 1 << e).collect();
        let (x, labels) = x_labels(&sizes);
        assert!(x.log);
        assert_eq!((x.lo, x.hi), (64.0, f64::from(4 << 20)));
        assert_eq!(labels[..6], ["64", "128", "256", "512", "1k", "2k"]);
        assert_eq!(labels.last().unwrap(), "4M");
        assert_eq!(x.pos(64.0), 100.0 + INSET);
        assert_eq!(x.pos(f64::from(4 << 20)), 870.0 - INSET);
        // 1k is four doublings of sixteen in.
        assert!((x.pos(1024.0) - (110.0 + 0.25 * 750.0)).abs() < 1e-9);
        assert_eq!(
            x.title(),
            "payload size (bytes, log scale; k = 1024, M = 1024²)"
        );

        // Not powers of two: the powers of two around them.
        let (x, labels) = x_labels(&[1000, 10_000, 100_000, 1_000_000]);
        assert!(x.log);
        assert_eq!((x.lo, x.hi), (512.0, 1_048_576.0));
        assert_eq!(labels.first().unwrap(), "512");
        assert_eq!(labels.last().unwrap(), "1M");
        // Too many powers to label each: every other one, the rest grid lines.
        let (x, labels) = x_labels(&[1, 100, 10_000, 1 << 22]);
        assert!(x.log);
        assert_eq!(
            labels,
            [
                "1", "4", "16", "64", "256", "1k", "4k", "16k", "64k", "256k", "1M", "4M"
            ]
        );
        assert_eq!(x.minor.len(), 11, "the odd powers of two");
    }

    #[rstest]
    #[case::even_steps((1..=195_001).step_by(1000).collect(), "0", "192k")]
    #[case::readme((1..=100_000).step_by(1000).collect(), "0", "100k")]
    #[case::from_1k(vec![1000, 3000, 5000], "0", "5k")]
    #[case::two_sizes(vec![1, 4 << 20], "0", "4M")]
    #[case::mixed(vec![1, 479, 1380], "0", "1400")]
    #[case::bytes(vec![3, 5, 7], "3", "7")]
    #[case::high(vec![60_000, 65_000, 70_000], "58k", "70k")]
    fn an_even_sweep_gets_a_linear_axis_ending_at_the_data(
        #[case] sizes: Vec<u64>,
        #[case] first: &str,
        #[case] last: &str,
    ) {
        let (x, labels) = x_labels(&sizes);
        assert!(!x.log);
        assert_eq!(labels.first().unwrap(), first, "{labels:?}");
        assert_eq!(labels.last().unwrap(), last, "{labels:?}");
        let (min, max) = (sizes[0] as f64, sizes[sizes.len() - 1] as f64);
        assert!(x.lo <= min && x.hi >= max);
        // The last tick is the first at or past the data: one step less
        // would not reach it.
        let step = x.ticks[1].0 - x.ticks[0].0;
        assert!(x.hi - step < max, "{labels:?}");
        assert!((5..=8).contains(&x.ticks.len()), "{labels:?}");
        assert!(x.ticks.iter().all(|(v, _)| v.fract() == 0.0));
        // Every label is a size `--sizes` reads back as the tick's value.
        for (v, label) in &x.ticks {
            let back = label.parse::<super::super::SizeSpec>().unwrap().0;
            assert_eq!(back, [*v as u64], "{label}");
        }
        assert!(!x.title().contains("log"));
    }

    #[test]
    fn the_scale_follows_the_spacing_of_the_sizes() {
        assert!(!log_is_more_even(&[7]));
        assert!(!log_is_more_even(&[1, 1 << 30]), "two sizes tie: linear");
        assert!(!log_is_more_even(&[0, 1, 1000, 1_000_000]), "0 has no log");
        assert!(log_is_more_even(&[1, 1000, 1_000_000]));
        assert!(log_is_more_even(&[64, 128, 256, 512, 1024]));
        let even: Vec<u64> = (1..=195_001).step_by(1000).collect();
        assert!(!log_is_more_even(&even));
        assert_eq!(
            XAxis::fit(&[1000, 3000, 5000], 100.0, 870.0).title(),
            "payload size (bytes; k = 1024)"
        );
        assert_eq!(
            XAxis::fit(&[3, 5, 7], 100.0, 870.0).title(),
            "payload size (bytes)"
        );
    }

    #[rstest]
    #[case(vec![1, 100_000])]
    #[case(vec![1, u64::MAX])]
    #[case(vec![1, 1 << 20, u64::MAX])]
    #[case(vec![1000, 5000])]
    #[case(vec![1, 7])]
    #[case(vec![7])]
    #[case(vec![0])]
    #[case((0..64).map(|e| 1 << e).collect())]
    #[case((0..20).map(|e| 3 << e).collect())]
    fn x_labels_do_not_overlap(#[case] sizes: Vec<u64>) {
        let (x, labels) = x_labels(&sizes);
        assert!(labels.len() >= 2, "{labels:?}");
        for pair in x.ticks.windows(2) {
            let gap = x.pos(pair[1].0) - x.pos(pair[0].0);
            let half = |l: &str| sans_width(l, TICK_FONT, false) / 2.0;
            assert!(gap >= half(&pair[0].1) + half(&pair[1].1) + 8.0, "{pair:?}");
        }
        // Both ends are labelled, and every size is on the axis.
        assert_eq!(x.pos(x.ticks[0].0), 100.0 + INSET);
        assert_eq!(x.pos(x.ticks[x.ticks.len() - 1].0), 870.0 - INSET);
        for &s in &sizes {
            let at = x.pos(s as f64);
            assert!((100.0 + INSET..=870.0 - INSET).contains(&at), "{s}: {at}");
        }
    }

    #[test]
    fn y_axes_start_at_zero_with_round_ticks() {
        let labels = |y: YAxis| -> Vec<String> { y.ticks().into_iter().map(|(_, l)| l).collect() };
        // Bytes in the units of the x axis: 65483 fits under 64k = 65536.
        assert_eq!(
            labels(YAxis::fit(65483.0, Scale::Bytes)),
            ["0", "16k", "32k", "48k", "64k"]
        );
        assert_eq!(
            labels(YAxis::fit(1380.0, Scale::Bytes)),
            ["0", "500", "1000", "1500"]
        );
        // Counts and milliseconds in full, never with k.
        assert_eq!(
            labels(YAxis::fit(6000.0, Scale::Count)),
            ["0", "2000", "4000", "6000"]
        );
        assert_eq!(
            YAxis::fit(13.0, Scale::Count).ticks().last().unwrap().0,
            15.0
        );
        assert_eq!(
            labels(YAxis::fit(0.42, Scale::Millis)),
            ["0", "0.2", "0.4", "0.6"]
        );
        for scale in [Scale::Count, Scale::Bytes] {
            for max in [0.0, 1.0, 3.0, 7.0, 999.0, f64::NAN] {
                let y = YAxis::fit(max, scale);
                assert!(y.top >= 1.0 && (max.is_nan() || y.top >= max));
                assert!((2..=5).contains(&y.ticks().len()), "{max}");
                assert!(y.ticks().iter().all(|(v, _)| v.fract() == 0.0));
            }
        }
        assert_eq!(decimal(1500.0, 4), "1500");
        assert_eq!(decimal(0.25, 4), "0.25");
        assert_eq!(decimal(1e6, 4), "1000000");
    }

    /// No k in the picture means 1000: counts and milliseconds are written
    /// in full, and a byte axis that uses k says it is 1024.
    #[test]
    fn k_means_1024_throughout_the_picture() {
        let mut rows = sweep([1, 200, 400, 600]);
        rows[3].client_segments = 6000;
        rows[3].duration = 1.5;
        let svg = render_plot(&rows);
        let texts = texts(&svg);
        assert!(texts.contains(&"6000"), "segments in full: {texts:?}");
        assert!(texts.contains(&"1500"), "milliseconds in full: {texts:?}");
        assert!(texts.contains(&"payload size (bytes)"), "{texts:?}");
        let abbreviated = |t: &&str| {
            t.strip_suffix(['k', 'M', 'G'])
                .is_some_and(|n| n.parse::<f64>().is_ok())
        };
        assert!(!texts.iter().any(abbreviated), "{texts:?}");

        let svg = render_plot(&sweep([1, 40_000, 80_000]));
        let texts = super::tests::texts(&svg);
        assert!(
            texts.contains(&"largest segment (bytes of payload; k = 1024)"),
            "{texts:?}"
        );
        assert!(
            texts.contains(&"payload size (bytes; k = 1024)"),
            "{texts:?}"
        );
        assert!(texts.contains(&"64k"), "65483 under 64 KiB: {texts:?}");
        assert!(!svg.contains("1000"), "no k = 1000 anywhere");
    }

    /// The texts of the key under the x axis.
    fn key_entries(svg: &str) -> Vec<String> {
        let doc = roxmltree::Document::parse(svg).unwrap();
        doc.descendants()
            .filter(|n| n.attribute("id") == Some("key"))
            .flat_map(|g| g.descendants().filter(|n| n.has_tag_name("text")))
            .map(|t| t.text().unwrap_or("").to_owned())
            .collect()
    }

    /// Each kind is named once, by its lane; the key holds only what the
    /// lanes do not say (the failure ring), and is absent when nothing failed.
    #[rstest]
    #[case::all_passed(false, 0)]
    #[case::one_failed(true, 1)]
    fn the_lanes_name_the_kinds_and_the_key_only_the_ring(
        #[case] fail: bool,
        #[case] entries: usize,
    ) {
        let rows = vec![
            row(1, TerminationKind::FourSegment, true),
            row(100, TerminationKind::ThreeSegment, true),
            row(10_000, TerminationKind::Reset, !fail),
        ];
        let svg = render_plot(&rows);
        let texts = texts(&svg);
        for kind in KINDS {
            let present = rows.iter().any(|r| r.termination == kind);
            let count = texts.iter().filter(|t| **t == kind.name()).count();
            assert_eq!(count, usize::from(present), "{kind}: {texts:?}");
        }
        let key = key_entries(&svg);
        assert_eq!(key.len(), entries, "{key:?}");
        assert!(
            key.iter().all(|t| t == "failed (passed = false)"),
            "{key:?}"
        );
        assert!(svg.contains(&format!(
            r#"fill="{}""#,
            kind_colour(TerminationKind::Reset)
        )));
        assert_eq!(svg.contains(RED), fail);
        assert_eq!(texts.iter().any(|t| t.starts_with("failed:")), fail);
    }

    #[test]
    fn a_failed_row_is_marked_red() {
        let rows = vec![
            row(1, TerminationKind::FourSegment, true),
            row(45_001, TerminationKind::Reset, false),
            row(100_000, TerminationKind::FourSegment, true),
        ];
        let svg = render_plot(&rows);
        assert_well_formed(&svg);
        let rings: Vec<&str> = svg
            .lines()
            .filter(|l| l.starts_with("<circle") && l.contains(&format!(r#"stroke="{RED}""#)))
            .collect();
        // One around the mark, one in the key.
        assert_eq!(rings.len(), 2, "{rings:?}");
        let at = rings[0].find("cx=\"").unwrap();
        let x = &rings[0][at..at + rings[0][at + 4..].find('"').unwrap() + 5];
        // The ring sits on the reset mark.
        let mark = svg.lines().find(|l| {
            l.contains(x)
                && l.contains(&format!(
                    r#"fill="{}""#,
                    kind_colour(TerminationKind::Reset)
                ))
        });
        assert!(mark.is_some(), "{svg}");
        // A faint line across each of the four numeric panels.
        assert_eq!(svg.matches(&format!(r#"stroke="{FAIL_LINE}""#)).count(), 4);
        let texts = texts(&svg);
        assert!(texts.contains(&"failed (passed = false)"));
        assert!(texts.contains(&"failed: 45001 bytes (reset)"));
        assert!(texts.contains(&"1 retransmission in total; 1 of 3 failed"));
    }

    #[test]
    fn many_failures_are_listed_briefly() {
        let rows: Vec<SweepRow> = (1..=30)
            .map(|i| row(i * 1000, TerminationKind::Incomplete, false))
            .collect();
        let svg = render_plot(&rows);
        assert_well_formed(&svg);
        let listed = texts(&svg)
            .into_iter()
            .filter(|t| t.contains("bytes ("))
            .collect::<Vec<_>>()
            .join(" ");
        assert!(listed.ends_with("and 22 more"), "{listed}");
        assert!(listed.contains("8000 bytes (incomplete)"));
        assert!(!listed.contains("9000 bytes"));
    }

    #[test]
    fn one_row_is_still_a_picture() {
        let svg = render_plot(&[row(65483, TerminationKind::FourSegment, true)]);
        assert_well_formed(&svg);
        let texts = texts(&svg);
        assert_eq!(texts[0], "tcplab sweep: 1 size, 65483 bytes");
        assert_eq!(texts[1], "0 retransmissions in total; it passed");
        assert!(!svg.contains("<polyline"), "no line through one point");
        // Six points, four legend marks and the strip's mark; no key.
        assert_eq!(svg.matches("<circle").count(), 6 + 4 + 1);
        // The point is near the middle of the axis.
        let x = XAxis::fit(&[65483], 100.0, 900.0);
        assert!(
            (400.0..=600.0).contains(&x.pos(65483.0)),
            "{}",
            x.pos(65483.0)
        );
        // Size 1 on its own too.
        assert_well_formed(&render_plot(&[row(1, TerminationKind::Refused, false)]));
    }

    #[test]
    fn all_zero_columns_do_not_divide_by_zero() {
        let mut r = row(1, TerminationKind::Refused, false);
        r.client_segments = 0;
        r.server_segments = 0;
        r.largest_segment = 0;
        r.pure_acks = 0;
        r.psh = 0;
        r.duration = f64::NAN;
        let mut s = r.clone();
        s.size = 10;
        assert_well_formed(&render_plot(&[r, s]));
    }

    #[test]
    fn no_rows_say_no_data() {
        let svg = render_plot(&[]);
        assert_well_formed(&svg);
        assert!(svg.contains(">tcplab sweep: no data</text>"));
        assert!(svg.contains(r#"fill="white""#));
        assert!(attr(&svg, "width") < WIDTH);
    }

    #[test]
    fn text_is_escaped_and_long_lists_wrap_between_items() {
        assert_eq!(
            esc(r#"<a> & "b" 'c'"#),
            "&lt;a&gt; &amp; &quot;b&quot; &apos;c&apos;"
        );
        let items: Vec<String> = ["aaa bbb", "ccc", "dddd eeee"].map(String::from).to_vec();
        assert_eq!(wrap(&items, 12), ["aaa bbb,", "ccc,", "dddd eeee"]);
        assert_eq!(wrap(&items, 80), ["aaa bbb, ccc, dddd eeee"]);
    }

    #[test]
    fn fonts_are_at_least_12px() {
        let svg = render_plot(&sweep([1, 10, 100]));
        for (at, _) in svg.match_indices("font-size=\"") {
            let v: f64 = svg[at + 11..at + 11 + svg[at + 11..].find('"').unwrap()]
                .parse()
                .unwrap();
            assert!(v >= 12.0, "{v}");
        }
    }
}
