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
//!    one coloured mark per size, and a key of the kinds underneath.
//!
//! Sizes whose row failed (`passed == false`) get a red ring in the
//! termination strip and a faint red line across every other panel.
//!
//! The x axis is logarithmic (one labelled tick per decade) when the largest
//! size is at least 100 times the smallest, else linear with 5 to 8 round
//! ticks; labels use k, M and G for powers of 1000. Every y axis starts at 0.
//!
//! Like the ladder picture, it is drawn with [`crate::report::svgkit`].

use std::io::{self, Write};

use super::row::SweepRow;
use crate::report::svgkit::{GREY, INK, RED, SANS, esc, nice_step, sans_width};
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
            YAxis::fit(max, p.integer)
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
    let x = XAxis::fit(min, max, left, right);

    // Measure the key and the list of failures before writing anything.
    let mut key: Vec<KeyItem> = kinds.iter().map(|&k| KeyItem::Kind(k)).collect();
    if !failed.is_empty() {
        key.push(KeyItem::Failed);
    }
    let key_lines = lay_out_key(&key, left, right);
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
    let fails_top = key_top + KEY_LINE * key_lines.len() as f64;
    let height = (fails_top + 20.0 * fail_lines.len() as f64 + PAD).ceil();

    writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" font-family="{SANS}" font-size="{FONT}" fill="{INK}">"#
    )?;
    writeln!(out, "<title>tcplab payload-size sweep</title>")?;
    writeln!(
        out,
        r#"<rect x="0" y="0" width="{WIDTH}" height="{height}" fill="white"/>"#
    )?;

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

    // The shared x axis, under the strip.
    for (v, label) in x.labelled() {
        writeln!(
            out,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="middle" font-size="{TICK_FONT}" fill="{GREY}">{}</text>"#,
            x.pos(v),
            strip_bottom + 17.0,
            esc(&label)
        )?;
    }
    let axis_title = x.title();
    writeln!(
        out,
        r#"<text x="{:.1}" y="{axis_title_y:.1}" text-anchor="middle" font-weight="bold">{}</text>"#,
        (x.left + x.right) / 2.0,
        esc(&axis_title)
    )?;

    // The key of the strip, and the failed sizes.
    for (line, items) in key_lines.iter().enumerate() {
        let y = key_top + KEY_LINE * (line as f64 + 0.5);
        for &(at, item) in items {
            item.write(out, at, y)?;
        }
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
    let mut buf = Vec::new();
    write_plot(&mut buf, rows).expect("writing to a Vec cannot fail");
    String::from_utf8_lossy(&buf).into_owned()
}

/// The picture of an empty sweep.
fn write_empty(out: &mut dyn Write) -> io::Result<()> {
    let (w, h) = (360.0, 60.0);
    writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="{SANS}" font-size="{FONT}" fill="{INK}">"#
    )?;
    writeln!(out, "<title>tcplab payload-size sweep</title>")?;
    writeln!(
        out,
        r#"<rect x="0" y="0" width="{w}" height="{h}" fill="white"/>"#
    )?;
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

/// A numeric panel: a title, whether its values are counts, its series.
struct Panel {
    title: &'static str,
    integer: bool,
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
            integer: true,
            series: vec![
                series("client", BLUE, |r| f64::from(r.client_segments)),
                series("server", ORANGE, |r| f64::from(r.server_segments)),
            ],
        },
        Panel {
            title: "largest segment (bytes of payload)",
            integer: true,
            series: vec![series("largest", BLUE, |r| f64::from(r.largest_segment))],
        },
        Panel {
            title: "pure ACKs and PSH segments (both directions)",
            integer: true,
            series: vec![
                series("pure ACKs", GREEN, |r| f64::from(r.pure_acks)),
                series("PSH", PURPLE, |r| f64::from(r.psh)),
            ],
        },
        Panel {
            title: "duration, SYN to last segment (ms)",
            integer: false,
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
        panel_title(out, self.title, x, top)?;
        let (y0, y1) = (top + HEAD, top + HEAD + PLOT_H);
        let ypos = |v: f64| y1 - v / y.top * PLOT_H;
        x.grid(out, y0, y1)?;
        for (v, label) in y.ticks() {
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
    /// Logarithmic (then `lo` and `hi` are powers of ten) or linear.
    log: bool,
    /// The ends of the axis, in bytes.
    lo: f64,
    hi: f64,
    /// Round values with a label and a grid line, in bytes.
    ticks: Vec<f64>,
    /// Values with a grid line only (2 to 9 times each decade, on a log axis).
    minor: Vec<f64>,
    /// Label every `every`-th tick, so labels do not overlap.
    every: usize,
    /// The plot areas' left and right edges.
    left: f64,
    right: f64,
}

impl XAxis {
    /// Fits an axis from the smallest to the largest size between `left` and `right`.
    fn fit(min: u64, max: u64, left: f64, right: f64) -> XAxis {
        let (min, max) = (min.max(1) as f64, max.max(1) as f64);
        let mut axis = if max / min >= 100.0 {
            let lo = min.log10().floor() as i32;
            let hi = (max.log10().ceil() as i32).max(lo + 1);
            let ticks = (lo..=hi).map(|e| 10f64.powi(e)).collect();
            let minor = if hi - lo <= 10 {
                (lo..hi)
                    .flat_map(|e| (2..10).map(move |m| f64::from(m) * 10f64.powi(e)))
                    .collect()
            } else {
                Vec::new()
            };
            XAxis {
                log: true,
                lo: 10f64.powi(lo),
                hi: 10f64.powi(hi),
                ticks,
                minor,
                every: 1,
                left,
                right,
            }
        } else {
            let (lo, hi) = if min == max {
                (0.0, (2.0 * max).max(2.0))
            } else {
                (min, max)
            };
            let (step, lo, hi) = linear_ticks(lo, hi);
            let n = ((hi - lo) / step).round() as usize;
            XAxis {
                log: false,
                lo,
                hi,
                ticks: (0..=n).map(|i| lo + step * i as f64).collect(),
                minor: Vec::new(),
                every: 1,
                left,
                right,
            }
        };
        // Thin the labels if the widest would touch its neighbours.
        if axis.ticks.len() > 1 {
            let spacing = axis.pos(axis.ticks[1]) - axis.pos(axis.ticks[0]);
            let widest = axis
                .ticks
                .iter()
                .map(|&v| sans_width(&fmt_value(v), TICK_FONT, false))
                .fold(0.0, f64::max);
            axis.every = ((widest + 12.0) / spacing.max(1.0)).ceil().max(1.0) as usize;
        }
        axis
    }

    /// Where `bytes` goes, in pixels from the left of the picture.
    fn pos(&self, bytes: f64) -> f64 {
        let t = if self.log {
            (bytes.max(1.0).log10() - self.lo.log10()) / (self.hi.log10() - self.lo.log10())
        } else {
            (bytes - self.lo) / (self.hi - self.lo)
        };
        self.left + INSET + t * (self.right - self.left - 2.0 * INSET)
    }

    /// The ticks that get a label, with their labels.
    fn labelled(&self) -> Vec<(f64, String)> {
        self.ticks
            .iter()
            .step_by(self.every)
            .map(|&v| (v, fmt_value(v)))
            .collect()
    }

    /// The axis title: bytes, the scale, and the suffixes the labels use.
    fn title(&self) -> String {
        let labels: Vec<String> = self.labelled().into_iter().map(|(_, l)| l).collect();
        let suffixes: Vec<&str> = [("k", "k = 1000"), ("M", "M = 10⁶"), ("G", "G = 10⁹")]
            .into_iter()
            .filter(|(s, _)| labels.iter().any(|l| l.ends_with(s)))
            .map(|(_, meaning)| meaning)
            .collect();
        let mut title = String::from("payload size (bytes");
        if self.log {
            title.push_str(", log scale");
        }
        if !suffixes.is_empty() {
            title.push_str("; ");
            title.push_str(&suffixes.join(", "));
        }
        title.push(')');
        title
    }

    /// The vertical grid lines of a plot area from `y0` down to `y1`.
    fn grid(&self, out: &mut dyn Write, y0: f64, y1: f64) -> io::Result<()> {
        for (values, colour) in [(&self.minor, MINOR_GRID), (&self.ticks, GRID)] {
            for &v in values {
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

/// The round step (1, 2, 2.5 or 5 times a power of ten, at least 1) giving
/// at most 8 ticks from `lo` to `hi`, and the ends rounded out to it.
fn linear_ticks(lo: f64, hi: f64) -> (f64, f64, f64) {
    let mut exp = ((hi - lo) / 10.0).log10().floor() as i32;
    loop {
        for m in [1.0, 2.0, 2.5, 5.0] {
            let step = m * 10f64.powi(exp);
            if step < 1.0 || step.fract() != 0.0 {
                continue;
            }
            let (a, b) = ((lo / step).floor() * step, (hi / step).ceil() * step);
            if ((b - a) / step).round() <= 7.0 {
                return (step, a, b);
            }
        }
        exp += 1;
    }
}

/// A y axis from 0 to a round top.
struct YAxis {
    top: f64,
    step: f64,
}

impl YAxis {
    /// At most 5 round ticks from 0 to at least `max`; whole steps for counts.
    fn fit(max: f64, integer: bool) -> YAxis {
        let max = if max.is_finite() && max > 0.0 {
            max
        } else {
            0.0
        };
        let step = nice_step(max / 4.0, integer);
        let top = ((max / step - 1e-9).ceil().max(1.0)) * step;
        YAxis { top, step }
    }

    /// The ticks, from 0 up, with their labels.
    fn ticks(&self) -> Vec<(f64, String)> {
        let n = (self.top / self.step).round() as usize;
        (0..=n)
            .map(|i| {
                let v = self.step * i as f64;
                (v, fmt_value(v))
            })
            .collect()
    }
}

/// A tick value, shortened with k, M or G (powers of 1000): `0.25`, `500`,
/// `1.5k`, `100k`, `1M`.
fn fmt_value(v: f64) -> String {
    let (scaled, suffix) = match v.abs() {
        a if a >= 1e9 => (v / 1e9, "G"),
        a if a >= 1e6 => (v / 1e6, "M"),
        a if a >= 1e3 => (v / 1e3, "k"),
        _ => (v, ""),
    };
    let mut s = format!("{scaled:.4}");
    while s.ends_with('0') {
        s.pop();
    }
    if s.ends_with('.') {
        s.pop();
    }
    if s == "-0" {
        s = "0".to_owned();
    }
    s + suffix
}

/// One entry of the key under the x axis.
#[derive(Clone, Copy, Debug, PartialEq)]
enum KeyItem {
    Kind(TerminationKind),
    Failed,
}

impl KeyItem {
    fn text(self) -> &'static str {
        match self {
            KeyItem::Kind(k) => k.name(),
            KeyItem::Failed => "failed (passed = false)",
        }
    }

    /// Its width: a mark, a space and the text.
    fn width(self) -> f64 {
        22.0 + sans_width(self.text(), FONT, false)
    }

    /// Draws it with its mark centred on `(at + 8, y)`.
    fn write(self, out: &mut dyn Write, at: f64, y: f64) -> io::Result<()> {
        let cx = at + 8.0;
        match self {
            KeyItem::Kind(k) => writeln!(
                out,
                r#"<circle cx="{cx:.1}" cy="{y:.1}" r="4" fill="{}"/>"#,
                kind_colour(k)
            )?,
            KeyItem::Failed => fail_ring(out, cx, y)?,
        }
        writeln!(
            out,
            r#"<text x="{:.1}" y="{:.1}">{}</text>"#,
            at + 22.0,
            y + FONT * 0.35,
            esc(self.text())
        )
    }
}

/// Places the key's items left to right from `left`, starting a new line
/// when one would pass `right`.
fn lay_out_key(items: &[KeyItem], left: f64, right: f64) -> Vec<Vec<(f64, KeyItem)>> {
    let mut lines: Vec<Vec<(f64, KeyItem)>> = Vec::new();
    let mut at = left;
    for &item in items {
        if at > left && at + item.width() > right {
            at = left;
        }
        if at == left {
            lines.push(Vec::new());
        }
        if let Some(line) = lines.last_mut() {
            line.push((at, item));
        }
        at += item.width() + 24.0;
    }
    lines
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
            "largest segment (bytes of payload)",
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

    #[test]
    fn a_wide_range_gets_a_log_axis_with_decades() {
        let x = XAxis::fit(1, 100_000, 100.0, 870.0);
        assert!(x.log);
        let labels: Vec<String> = x.labelled().into_iter().map(|(_, l)| l).collect();
        assert_eq!(labels, ["1", "10", "100", "1k", "10k", "100k"]);
        assert_eq!(x.pos(1.0), 100.0 + INSET);
        assert_eq!(x.pos(100_000.0), 870.0 - INSET);
        // 1000 is three decades of five in.
        assert!((x.pos(1000.0) - (110.0 + 0.6 * 750.0)).abs() < 1e-9);
        assert_eq!(x.minor.len(), 5 * 8);

        let svg = render_plot(&sweep([1, 50_000, 100_000]));
        assert!(svg.contains(">payload size (bytes, log scale; k = 1000)</text>"));
        assert!(svg.contains(">100k</text>"));
        // Just under a ratio of 100: linear.
        assert!(!XAxis::fit(10, 999, 100.0, 870.0).log);
        assert!(XAxis::fit(10, 1000, 100.0, 870.0).log);
        assert!(
            XAxis::fit(1, 4 << 20, 100.0, 870.0)
                .title()
                .contains("M = 10⁶")
        );
    }

    #[test]
    fn a_narrow_range_gets_a_linear_axis_with_round_ticks() {
        let x = XAxis::fit(1000, 5000, 100.0, 870.0);
        assert!(!x.log);
        let labels: Vec<String> = x.labelled().into_iter().map(|(_, l)| l).collect();
        assert_eq!(labels, ["1k", "2k", "3k", "4k", "5k"]);
        for (lo, hi) in [(1, 50), (1001, 4001), (479, 1380), (60_000, 70_000), (3, 7)] {
            let x = XAxis::fit(lo, hi, 100.0, 870.0);
            assert!(!x.log);
            assert!(
                (5..=8).contains(&x.ticks.len()),
                "{lo}..{hi}: {:?}",
                x.ticks
            );
            assert!(x.lo <= lo as f64 && x.hi >= hi as f64);
            assert!(x.ticks.iter().all(|t| t.fract() == 0.0));
        }
        let svg = render_plot(&sweep([1000, 3000, 5000]));
        assert!(svg.contains(">payload size (bytes; k = 1000)</text>"));
        assert!(!svg.contains("log scale"));
    }

    #[test]
    fn x_labels_do_not_overlap() {
        for (lo, hi) in [(1, 100_000), (1, u64::MAX), (1000, 5000), (1, 7), (7, 7)] {
            let x = XAxis::fit(lo, hi, 120.0, 870.0);
            let labelled = x.labelled();
            for pair in labelled.windows(2) {
                let gap = x.pos(pair[1].0) - x.pos(pair[0].0);
                let half = |l: &str| sans_width(l, TICK_FONT, false) / 2.0;
                assert!(gap >= half(&pair[0].1) + half(&pair[1].1) + 8.0, "{pair:?}");
            }
        }
    }

    #[test]
    fn y_axes_start_at_zero_with_round_ticks() {
        let y = YAxis::fit(65483.0, true);
        let labels: Vec<String> = y.ticks().into_iter().map(|(_, l)| l).collect();
        assert_eq!(labels, ["0", "20k", "40k", "60k", "80k"]);
        let y = YAxis::fit(13.0, true);
        assert_eq!(y.ticks().last().unwrap().0, 15.0);
        let y = YAxis::fit(0.42, false);
        let labels: Vec<String> = y.ticks().into_iter().map(|(_, l)| l).collect();
        assert_eq!(labels, ["0", "0.2", "0.4", "0.6"]);
        for max in [0.0, 1.0, 3.0, 7.0, 999.0, f64::NAN] {
            let y = YAxis::fit(max, true);
            assert!(y.top >= 1.0 && (max.is_nan() || y.top >= max));
            assert!((2..=5).contains(&y.ticks().len()), "{max}");
            assert!(y.ticks().iter().all(|(v, _)| v.fract() == 0.0));
        }
        assert_eq!(fmt_value(1500.0), "1.5k");
        assert_eq!(fmt_value(0.25), "0.25");
        assert_eq!(fmt_value(1e6), "1M");
    }

    #[test]
    fn rows_in_any_order_draw_the_same_picture() {
        let rows = sweep([1, 479, 1380, 65483, 100_000]);
        let mut shuffled = rows.clone();
        shuffled.swap(0, 3);
        shuffled.swap(1, 4);
        assert_eq!(render_plot(&rows), render_plot(&shuffled));
        // The lines run left to right.
        let svg = render_plot(&shuffled);
        let at = svg.find("<polyline points=\"").unwrap() + 18;
        let xs: Vec<f64> = svg[at..at + svg[at..].find('"').unwrap()]
            .split(' ')
            .map(|p| p.split(',').next().unwrap().parse().unwrap())
            .collect();
        assert_eq!(xs.len(), 5);
        assert!(xs.windows(2).all(|w| w[0] < w[1]), "{xs:?}");
    }

    #[test]
    fn the_key_lists_only_the_kinds_present() {
        let rows = vec![
            row(1, TerminationKind::FourSegment, true),
            row(100, TerminationKind::ThreeSegment, true),
            row(10_000, TerminationKind::Reset, true),
        ];
        let svg = render_plot(&rows);
        let texts = texts(&svg);
        for kind in KINDS {
            // A lane label and a key entry for each kind present.
            let expected = if [
                TerminationKind::FourSegment,
                TerminationKind::ThreeSegment,
                TerminationKind::Reset,
            ]
            .contains(&kind)
            {
                2
            } else {
                0
            };
            let count = texts.iter().filter(|t| **t == kind.name()).count();
            assert_eq!(count, expected, "{kind}");
        }
        assert!(svg.contains(&format!(
            r#"fill="{}""#,
            kind_colour(TerminationKind::Reset)
        )));
        assert!(!svg.contains(RED), "nothing failed");
        assert!(!texts.iter().any(|t| t.starts_with("failed")));
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
        // Six points, four legend marks, the strip's mark and the key's.
        assert_eq!(svg.matches("<circle").count(), 6 + 4 + 1 + 1);
        // The point is near the middle of the axis.
        let x = XAxis::fit(65483, 65483, 100.0, 900.0);
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
