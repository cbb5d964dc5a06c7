//! What the SVG pictures share: the palette, the fonts, text escaping, and
//! text widths estimated from character counts (there is no font metrics
//! library, so estimates are generous).
//!
//! Every picture is plain SVG 1.1 (UTF-8, no XML declaration) with
//! presentation attributes only: no CSS, no scripts, no markers, which keeps
//! it portable to browsers, Inkscape and word processors.

/// Text colour.
pub const INK: &str = "#222222";
/// Secondary text colour.
pub const GREY: &str = "#555555";
/// Failures.
pub const RED: &str = "#c62828";
/// Passes.
pub const GREEN: &str = "#2e7d32";
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
