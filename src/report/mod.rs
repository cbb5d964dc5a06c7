//! Reports of judged connections ([`crate::verdict::Judged`]), one module
//! per format, each writing to any `io::Write`:
//!
//! - [`text`]: the full text report (ladder, history, transfer, checks, diagnosis);
//! - [`json`]: the JSON report for autograders, schema in its docs, readable back;
//! - [`svg`]: the ladder as a picture, drawn with the shared [`svgkit`];
//! - [`tsg`]: the time-sequence graph, the picture of a long transfer;
//!   [`Graph`] chooses between the two;
//! - [`style`] and [`highlight`]: the colours and width of the screen text
//!   is read on, and the colour added to text as it is written.
//!
//! The text ladder itself is the connection's own `Display`
//! ([`crate::connection::ladder`]).

pub mod highlight;
pub mod json;
pub mod style;
pub mod svg;
pub mod svgkit;
pub mod text;
pub mod tsg;

use std::io::{self, Write};

use crate::verdict::Judged;

/// Which picture to draw of judged connections (`--graph`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Graph {
    /// The ladder while every connection has at most
    /// [`Graph::LADDER_MAX_SEGMENTS`] segments, else the time-sequence graph.
    #[default]
    Auto,
    /// The ladder diagram ([`svg`]).
    Ladder,
    /// The time-sequence graph ([`tsg`]).
    TimeSequence,
}

impl Graph {
    /// The most segments of one connection [`Graph::Auto`] draws as a
    /// ladder: 100 rows are some 4,000 pixels tall.
    pub const LADDER_MAX_SEGMENTS: usize = 100;

    /// The picture drawn of `items`: never [`Graph::Auto`].
    pub fn chosen(self, items: &[Judged]) -> Graph {
        match self {
            Graph::Auto => {
                let long = items
                    .iter()
                    .any(|j| j.connection.steps.len() > Graph::LADDER_MAX_SEGMENTS);
                if long {
                    Graph::TimeSequence
                } else {
                    Graph::Ladder
                }
            }
            g => g,
        }
    }

    /// Writes the chosen picture of `items`.
    pub fn write(self, out: &mut dyn Write, items: &[Judged]) -> io::Result<()> {
        match self.chosen(items) {
            Graph::TimeSequence => tsg::write_tsg(out, items),
            _ => svg::write_svg(out, items),
        }
    }

    /// The same, as a String.
    pub fn render(self, items: &[Judged]) -> String {
        svgkit::render(|out| self.write(out, items))
    }
}

/// Parses `svg` as XML and checks that it is one standalone `<svg>`
/// document; returns the element names in document order.
#[cfg(test)]
pub(crate) fn assert_well_formed(svg: &str) -> Vec<String> {
    let doc = roxmltree::Document::parse(svg).unwrap_or_else(|e| panic!("{e}\n{svg}"));
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "svg", "{svg}");
    assert_eq!(
        root.tag_name().namespace(),
        Some("http://www.w3.org/2000/svg"),
        "{svg}"
    );
    doc.descendants()
        .filter(|n| n.is_element())
        .map(|n| n.tag_name().name().to_owned())
        .collect()
}
