//! Reports of judged connections ([`crate::verdict::Judged`]), one module
//! per format, each writing to any `io::Write`:
//!
//! - [`text`]: the full text report (ladder, history, transfer, checks, diagnosis);
//! - [`json`]: the JSON report for autograders, schema in its docs, readable back;
//! - [`svg`]: the ladder as a picture, drawn with the shared [`svgkit`];
//! - [`highlight`]: colour for the text on a terminal, with a [`style::Palette`].
//!
//! The text ladder itself is the connection's own `Display`
//! ([`crate::connection::ladder`]).

pub mod highlight;
pub mod json;
pub mod style;
pub mod svg;
pub mod svgkit;
pub mod text;

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
