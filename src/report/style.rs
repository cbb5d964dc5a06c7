//! What tcplab's text looks like where it is read: one [`Palette`] of
//! [`anstyle`] styles, plain (every style empty: the text is unchanged) or
//! coloured, and on a [`Screen`] of a given width, wide tables cut to fit.
//! Whether a terminal gets colour and how wide it is are the caller's
//! decisions (the command line's `--color`, `NO_COLOR`, `COLUMNS`, whether
//! stdout is a terminal); the writers only follow the screen they are given.

use anstyle::{AnsiColor, Style};

/// A style for each kind of text tcplab highlights.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Palette {
    /// `PASS`.
    pub pass: Style,
    /// `FAIL` and `UNUSABLE`.
    pub fail: Style,
    /// The client's arrows in a ladder.
    pub client: Style,
    /// The server's arrows in a ladder.
    pub server: Style,
    /// A retransmission: its mark on the ladder and its line in the transfer.
    pub retransmission: Style,
    /// Other marks worth a look: duplicate ACK, out of order, zero window;
    /// the `note:` and `diagnosis:` labels.
    pub warning: Style,
    /// Headings: `connection 1`, `file 1 of 3: ...`.
    pub heading: Style,
}

impl Palette {
    /// No styles: text exactly as without colour.
    pub const PLAIN: Palette = Palette {
        pass: Style::new(),
        fail: Style::new(),
        client: Style::new(),
        server: Style::new(),
        retransmission: Style::new(),
        warning: Style::new(),
        heading: Style::new(),
    };

    /// The colours of a terminal (the 8 ANSI colours, which every terminal
    /// theme maps to readable ones).
    pub const COLORED: Palette = Palette {
        pass: AnsiColor::Green.on_default().bold(),
        fail: AnsiColor::Red.on_default().bold(),
        client: AnsiColor::Cyan.on_default(),
        server: AnsiColor::Magenta.on_default(),
        retransmission: AnsiColor::Red.on_default(),
        warning: AnsiColor::Yellow.on_default(),
        heading: Style::new().bold(),
    };

    /// The palette for `colored`.
    pub fn new(colored: bool) -> Palette {
        if colored {
            Palette::COLORED
        } else {
            Palette::PLAIN
        }
    }

    /// The style of a result word (`PASS`, `FAIL`, `UNUSABLE`).
    pub fn result(&self, word: &str) -> Style {
        if word == "PASS" { self.pass } else { self.fail }
    }
}

/// Where text is read: its palette, and the width lines should fit in
/// (`None`: no limit, as in a file).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Screen {
    /// The colours.
    pub palette: Palette,
    /// The number of columns, if lines must fit in them.
    pub width: Option<usize>,
}

impl Screen {
    /// A file: no colour, no width limit.
    pub const FILE: Screen = Screen {
        palette: Palette::PLAIN,
        width: None,
    };
}

/// `text` cut to at most `max` characters, ending with `…` when cut.
pub fn cut_end(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let kept: String = text.chars().take(max.saturating_sub(1)).collect();
    kept + "…"
}

/// `text` cut to at most `max` characters by replacing its middle with
/// `…`, keeping both ends (of a path: the hand-in's folder and its name).
pub fn cut_middle(text: &str, max: usize) -> String {
    let n = text.chars().count();
    if n <= max {
        return text.to_owned();
    }
    let keep = max.saturating_sub(1);
    let head = keep / 2;
    let tail = keep - head;
    let start: String = text.chars().take(head).collect();
    let end: String = text.chars().skip(n - tail).collect();
    format!("{start}…{end}")
}

/// `text` in `style`: the style's escape codes around it, or `text` alone
/// when the style is empty.
pub fn paint(style: Style, text: &str) -> String {
    if style == Style::new() {
        text.to_owned()
    } else {
        format!("{style}{text}{style:#}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_keep_to_the_width_and_say_so() {
        assert_eq!(cut_end("FAIL termination: expected", 10), "FAIL term…");
        assert_eq!(cut_end("PASS", 10), "PASS");
        assert_eq!(
            cut_middle("submissions/alice/lab.pcapng", 15),
            "submiss….pcapng"
        );
        assert_eq!(cut_middle("é".repeat(20).as_str(), 5).chars().count(), 5);
        assert_eq!(cut_middle("abc", 3), "abc");
    }

    #[test]
    fn plain_paints_nothing_and_colored_resets_after_the_text() {
        assert_eq!(paint(Palette::PLAIN.fail, "FAIL"), "FAIL");
        let red = paint(Palette::COLORED.fail, "FAIL");
        assert!(
            red.starts_with("\x1b[") && red.ends_with("\x1b[0m"),
            "{red:?}"
        );
        assert!(red.contains("FAIL"));
    }
}
