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
