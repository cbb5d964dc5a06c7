//! Grades as CSV, for a spreadsheet: a header row, then one row per
//! connection, and one row per unusable file (its connection columns
//! empty). Columns: see [`HEADER`]. `result` is `PASS`, `FAIL` or
//! `UNUSABLE`; `reason` is the first failed check (`name: why`) or the
//! file's error sentence, empty for a pass; `same_as` lists the other
//! hand-ins that are the same capture (`same file as x; same content as
//! y, z`). File names are escaped as [`crate::fsx::shown`] does. Fields
//! holding a comma, a quote or a line break are quoted (RFC 4180), and a
//! cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return
//! gets a leading `'`, so that no spreadsheet evaluates it as a formula
//! (OWASP's advice against CSV injection).

use std::io::{self, Write};

use serde::{Deserialize, Serialize};

use super::{Grades, Status};
use crate::fsx::{csv_cell, shown};
use crate::verdict::Judged;

/// The header row.
pub const HEADER: &str = "file,connection,client,server,handshake,first_data_len,first_data_ack,termination,initiator,retransmissions,history,result,reason,same_as";

/// One row: a connection of a file, or an unusable file (its connection
/// columns empty).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GradeRow {
    /// The file as given or found.
    pub file: String,
    /// 1, 2, ... within the file; empty for an unusable file.
    pub connection: Option<usize>,
    /// `ip:port` of the client.
    pub client: String,
    /// `ip:port` of the server.
    pub server: String,
    /// The handshake check passed.
    pub handshake: Option<bool>,
    /// The client's first data segment's length.
    pub first_data_len: Option<u32>,
    /// The ack that acknowledged it.
    pub first_data_ack: Option<u64>,
    /// How the connection ended.
    pub termination: String,
    /// Who started the ending.
    pub initiator: String,
    /// Retransmitted segments.
    pub retransmissions: Option<usize>,
    /// Zeek's history string.
    pub history: String,
    /// `PASS`, `FAIL` or `UNUSABLE`.
    pub result: String,
    /// The first failed check as `name: why`, or the file's error; empty for a pass.
    pub reason: String,
    /// The other hand-ins that are the same capture: `same file as x; same content as y, z`.
    pub same_as: String,
}

impl GradeRow {
    /// The row with every text cell guarded by [`csv_cell`].
    fn guarded(self) -> GradeRow {
        let g = |s: String| csv_cell(&s).into_owned();
        GradeRow {
            file: g(self.file),
            client: g(self.client),
            server: g(self.server),
            termination: g(self.termination),
            initiator: g(self.initiator),
            history: g(self.history),
            result: g(self.result),
            reason: g(self.reason),
            same_as: g(self.same_as),
            ..self
        }
    }
}

/// Writes the header and the rows.
pub fn write_csv(out: &mut dyn Write, grades: &Grades) -> io::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    for f in &grades.files {
        let file = shown(&f.file);
        let same_as = f.same_note().unwrap_or_default();
        let rows = match &f.outcome {
            Err(e) => vec![GradeRow {
                file,
                result: Status::Unusable.to_string(),
                reason: e.to_string(),
                same_as,
                ..GradeRow::default()
            }],
            Ok(checked) => checked
                .connections
                .iter()
                .enumerate()
                .map(|(i, j)| GradeRow {
                    same_as: same_as.clone(),
                    ..connection_row(&file, i + 1, j)
                })
                .collect(),
        };
        for row in rows {
            w.serialize(row.guarded()).map_err(io::Error::other)?;
        }
    }
    if grades.files.is_empty() {
        w.write_record(HEADER.split(','))
            .map_err(io::Error::other)?;
    }
    w.flush()
}

fn connection_row(file: &str, index: usize, j: &Judged) -> GradeRow {
    let f = &j.verdict.findings;
    let (result, reason) = match j.verdict.first_failed() {
        None => (Status::Pass, String::new()),
        Some(c) => (Status::Fail, format!("{}: {}", c.check, c.why)),
    };
    GradeRow {
        file: file.to_owned(),
        connection: Some(index),
        client: j.connection.client.to_string(),
        server: j.connection.server.to_string(),
        handshake: Some(f.handshake.ok),
        first_data_len: f.first_data.as_ref().map(|d| d.len),
        first_data_ack: f.first_data.as_ref().and_then(|d| d.ack),
        termination: f.termination.kind.to_string(),
        initiator: f
            .termination
            .initiator
            .map(|r| r.to_string())
            .unwrap_or_default(),
        retransmissions: Some(f.retransmissions),
        history: f.history.clone(),
        result: result.to_string(),
        reason,
        same_as: String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grade::tests::three_files;

    #[test]
    fn one_row_per_connection_and_per_unusable_file() {
        let mut buf = Vec::new();
        write_csv(&mut buf, &three_files()).unwrap();
        let text = String::from_utf8(buf).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 4, "{text}");
        assert_eq!(lines[0], HEADER);
        assert_eq!(
            lines[1],
            "subs/alice/lab.pcapng,1,127.0.0.1:53202,127.0.0.1:8000,true,479,480,four_segment,client,0,ShADadFf,PASS,,"
        );
        assert!(
            lines[2].starts_with("subs/bob/lab.pcapng,1,127.0.0.1:53202,127.0.0.1:8000,true,479,480,reset,client,0,ShADadR,FAIL,\"termination: expected an orderly close (four-segment, three-segment or simultaneous), saw reset:"),
            "{}",
            lines[2]
        );
        assert!(
            lines[3].starts_with("subs/carol/lab.pcapng,,,,,,,,,,,UNUSABLE,`subs/carol/lab.pcapng` holds 41 packet(s)"),
            "{}",
            lines[3]
        );
    }

    #[test]
    fn rows_read_back_with_quotes_and_commas() {
        let mut buf = Vec::new();
        write_csv(&mut buf, &three_files()).unwrap();
        let rows: Vec<GradeRow> = csv::Reader::from_reader(buf.as_slice())
            .deserialize()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0].connection, Some(1));
        assert!(
            rows[1].reason.contains(", saw reset:"),
            "{}",
            rows[1].reason
        );
        assert_eq!(rows[2].connection, None);
        assert_eq!(rows[2].result, "UNUSABLE");
    }
}
