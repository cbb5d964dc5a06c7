//! Reports of judged connections, one module per format, each writing to
//! any `io::Write`.
//!
//! - [`ladder`]: the text ladder diagram, like Wireshark's flow graph;
//! - [`text`]: the full text report (ladder, history, checks, diagnosis);
//! - [`json`]: the JSON report for autograders, schema in its docs;
//! - [`svg`]: the ladder as a picture.

pub mod json;
pub mod ladder;
pub mod plot;
pub mod svg;
pub mod text;

use crate::connection::Connection;
use crate::verdict::{Expectations, Verdict};

/// A connection with its verdict: what every report shows.
#[derive(Clone, Debug)]
pub struct Judged {
    /// The connection.
    pub connection: Connection,
    /// Its verdict.
    pub verdict: Verdict,
}

impl Judged {
    /// Judges every connection against the same expectations.
    pub fn all(connections: Vec<Connection>, expect: &Expectations) -> Vec<Judged> {
        connections
            .into_iter()
            .map(|connection| Judged {
                verdict: Verdict::judge(&connection, expect),
                connection,
            })
            .collect()
    }

    /// Whether every connection passed.
    pub fn all_passed(items: &[Judged]) -> bool {
        items.iter().all(|j| j.verdict.passed())
    }
}

/// Text colour of the SVG reports.
pub(crate) const INK: &str = "#222222";
/// Secondary text colour of the SVG reports.
pub(crate) const GREY: &str = "#555555";
/// Failures, in both SVG reports.
pub(crate) const RED: &str = "#c62828";

/// Escapes the XML special characters of text or an attribute value.
pub(crate) fn esc(s: &str) -> String {
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

#[cfg(test)]
/// Checks that every tag is closed in order, that no text holds a raw
/// `<`, and that every `&` starts an entity; returns the tag names seen.
pub(crate) fn assert_well_formed(svg: &str) -> Vec<String> {
    let body = svg.trim();
    assert!(body.starts_with("<svg "), "{svg}");
    assert!(body.ends_with("</svg>"), "{svg}");
    let mut stack: Vec<String> = Vec::new();
    let mut names = Vec::new();
    let mut rest = body;
    while let Some(open) = rest.find('<') {
        let text = &rest[..open];
        assert!(!text.contains('>'), "raw > in text: {text}");
        for (i, _) in text.match_indices('&') {
            let entity = &text[i..text[i..].find(';').map_or(text.len(), |e| i + e + 1)];
            assert!(
                ["&amp;", "&lt;", "&gt;", "&quot;", "&apos;"].contains(&entity),
                "bad entity {entity}"
            );
        }
        let close = rest[open..].find('>').expect("unclosed tag") + open;
        let tag = &rest[open + 1..close];
        assert!(!tag.contains('<'), "< inside a tag: {tag}");
        assert_eq!(tag.matches('"').count() % 2, 0, "unbalanced quotes: {tag}");
        if let Some(name) = tag.strip_prefix('/') {
            assert_eq!(stack.pop().as_deref(), Some(name), "</{name}> out of order");
        } else if !tag.ends_with('/') {
            let name = tag.split_whitespace().next().unwrap().to_owned();
            names.push(name.clone());
            stack.push(name);
        } else {
            names.push(tag.split_whitespace().next().unwrap().to_owned());
        }
        rest = &rest[close + 1..];
    }
    assert!(stack.is_empty(), "unclosed: {stack:?}");
    names
}
