//! What the SVG pictures share: the palette, the fonts, the PASS/FAIL
//! badge, round tick steps, text escaping, and text widths estimated from
//! character counts (there is no font metrics library, so estimates are
//! generous).
//!
//! Every picture is plain SVG 1.1 (UTF-8, no XML declaration) with
//! presentation attributes only: no CSS, no scripts, no markers, which keeps
//! it portable to browsers, Inkscape and word processors.

use std::io::{self, Write};

/// Text colour.
pub const INK: &str = "#222222";
/// Secondary text colour.
pub const GREY: &str = "#555555";
/// Failures.
pub const RED: &str = "#c62828";
/// Passes.
pub const GREEN: &str = "#2e7d32";
/// Acknowledgments: the time-sequence graph's ACK line, the ladder's
/// handshake label.
pub const BLUE: &str = "#1d5a94";
/// SACK blocks in the time-sequence graph, the ladder's termination label.
pub const PURPLE: &str = "#7d2a72";
/// Axes and plot frames.
pub const AXIS: &str = "#444444";
/// Grid lines.
pub const GRID: &str = "#e6e6e6";
/// The monospace font stack (ladder labels).
pub const MONO: &str = "DejaVu Sans Mono, Menlo, Consolas, Liberation Mono, monospace";
/// The sans-serif font stack (everything else).
pub const SANS: &str = "DejaVu Sans, Helvetica, Arial, Liberation Sans, sans-serif";
/// Advance of one monospace character, in ems.
const MONO_EM: f64 = 0.61;
/// Average advance of one sans-serif character, in ems (generous).
const SANS_EM: f64 = 0.6;
/// The same for bold text.
const SANS_BOLD_EM: f64 = 0.7;

/// The PASS or FAIL badge, `font` pixels high text in a 48 by 22 box
/// whose top left corner is `(x, y)`.
pub fn badge(out: &mut dyn Write, x: f64, y: f64, passed: bool, font: f64) -> io::Result<()> {
    let (word, colour) = if passed {
        ("PASS", GREEN)
    } else {
        ("FAIL", RED)
    };
    writeln!(
        out,
        r#"<rect x="{x}" y="{y:.1}" width="48" height="22" rx="4" fill="{colour}"/>"#
    )?;
    writeln!(
        out,
        r#"<text x="{:.1}" y="{:.1}" text-anchor="middle" font-weight="bold" font-size="{font}" fill="white">{word}</text>"#,
        x + 24.0,
        y + 15.5
    )
}

/// The smallest step of 1, 2, 2.5 or 5 times a power of ten that is at
/// least `raw`; a whole number when `integer`.
pub fn nice_step(raw: f64, integer: bool) -> f64 {
    if raw.is_nan() || raw <= 0.0 || raw.is_infinite() {
        return 1.0;
    }
    let mut exp = raw.log10().floor() as i32 - 1;
    loop {
        for m in [1.0, 2.0, 2.5, 5.0] {
            let step = m * 10f64.powi(exp);
            if step >= raw * (1.0 - 1e-9) && (!integer || (step >= 1.0 && step.fract() == 0.0)) {
                return step;
            }
        }
        exp += 1;
    }
}

/// Opens a picture: the `<svg>` element `width` by `height` pixels in the
/// sans-serif font at `font` pixels and ink colour, its `title`, and a white
/// background. The caller draws, then writes `</svg>`.
pub fn open_document(
    out: &mut dyn Write,
    width: f64,
    height: f64,
    font: f64,
    title: &str,
) -> io::Result<()> {
    writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="{SANS}" font-size="{font}" fill="{INK}">"#
    )?;
    writeln!(out, "<title>{}</title>", esc(title))?;
    writeln!(
        out,
        r#"<rect x="0" y="0" width="{width}" height="{height}" fill="white"/>"#
    )
}

/// Writes a whole picture of blocks stacked top to bottom, one per
/// connection, `heights[i]` pixels each, parted by dashed lines (`pad` is
/// the page's margin), or `no connections` when there are none: the frame
/// the ladder and the time-sequence graph share. `draw(out, i, top)` draws
/// block `i` from `top` down.
pub fn write_stack(
    out: &mut dyn Write,
    title: &str,
    width: f64,
    pad: f64,
    font: f64,
    heights: &[f64],
    mut draw: impl FnMut(&mut dyn Write, usize, f64) -> io::Result<()>,
) -> io::Result<()> {
    let height = heights.iter().sum::<f64>().max(2.0 * pad + font).ceil();
    open_document(out, width, height, font, title)?;
    if heights.is_empty() {
        writeln!(
            out,
            r#"<text x="{pad}" y="{:.1}" fill="{GREY}">no connections</text>"#,
            pad + font
        )?;
    }
    let mut top = 0.0;
    for (i, block_height) in heights.iter().enumerate() {
        if i > 0 {
            writeln!(
                out,
                r##"<line x1="{:.1}" y1="{top:.1}" x2="{:.1}" y2="{top:.1}" stroke="#999999" stroke-width="1" stroke-dasharray="6 4"/>"##,
                pad / 2.0,
                width - pad / 2.0
            )?;
        }
        draw(out, i, top)?;
        top += block_height;
    }
    writeln!(out, "</svg>")
}

/// What `write` writes, as a String (writing to memory cannot fail).
pub fn render(write: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> String {
    let mut buf = Vec::new();
    write(&mut buf).expect("writing to a Vec cannot fail");
    String::from_utf8_lossy(&buf).into_owned()
}

/// A tick label: `v` with at most `places` decimals, trailing zeros and a
/// trailing point left out, and never `-0`: `0.25`, `200`, `1500`.
pub fn decimal(v: f64, places: usize) -> String {
    let mut s = format!("{v:.places$}");
    if s.contains('.') {
        while s.ends_with('0') {
            s.pop();
        }
    }
    if s.ends_with('.') {
        s.pop();
    }
    if s == "-0" { "0".to_owned() } else { s }
}

/// Escapes the XML special characters of text or an attribute value.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// Estimated width of monospace text at `size` pixels.
pub fn mono_width(s: &str, size: f64) -> f64 {
    s.chars().count() as f64 * size * MONO_EM
}

/// Estimated width of sans-serif text at `size` pixels.
pub fn sans_width(s: &str, size: f64, bold: bool) -> f64 {
    let em = if bold { SANS_BOLD_EM } else { SANS_EM };
    s.chars().count() as f64 * size * em
}

/// Splits `text` at spaces into lines of at most `width` characters; lines
/// after the first get `indent` characters less (they are drawn indented).
/// A word longer than a line gets a line of its own.
pub fn wrap_words(text: &str, width: usize, indent: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let room = if lines.is_empty() {
            width
        } else {
            width.saturating_sub(indent).max(1)
        };
        let needed = line.chars().count() + usize::from(!line.is_empty()) + word.chars().count();
        if !line.is_empty() && needed > room {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}
