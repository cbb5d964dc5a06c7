//! Grades as CSV, for a spreadsheet: a header row, then one row per
//! connection, and one row per unusable file (its connection columns
//! empty). Columns: see [`HEADER`]. `result` is `PASS`, `FAIL` or
//! `UNUSABLE`; `reason` is the first failed check (`name: why`) or the
//! file's error sentence, empty for a pass. Fields holding a comma, a quote
//! or a line break are quoted (RFC 4180).

use std::io::{self, Write};

use super::{Grades, Status, first_failed};
use crate::report::Judged;

/// The header row.
pub const HEADER: &str = "file,connection,client,server,handshake,first_data_len,first_data_ack,termination,initiator,retransmissions,history,result,reason";

/// Writes the header and the rows.
pub fn write_csv(out: &mut dyn Write, grades: &Grades) -> io::Result<()> {
    writeln!(out, "{HEADER}")?;
    for f in &grades.files {
        let file = f.file.to_string_lossy();
        match &f.outcome {
            Err(e) => {
                let mut row = vec![file.into_owned()];
                row.extend(std::iter::repeat_n(String::new(), 10));
                row.push(Status::Unusable.to_string());
                row.push(e.to_string());
                write_row(out, &row)?;
            }
            Ok(items) => {
                for (i, j) in items.iter().enumerate() {
                    write_row(out, &connection_row(&file, i + 1, j))?;
                }
            }
        }
    }
    Ok(())
}

fn connection_row(file: &str, index: usize, j: &Judged) -> Vec<String> {
    let f = &j.verdict.findings;
    let opt = |v: Option<u32>| v.map(|v| v.to_string()).unwrap_or_default();
    let (result, reason) = match first_failed(j) {
        None => (Status::Pass, String::new()),
        Some(c) => (Status::Fail, format!("{}: {}", c.name, c.why)),
    };
    vec![
        file.to_owned(),
        index.to_string(),
        j.connection.client.to_string(),
        j.connection.server.to_string(),
        f.handshake.ok.to_string(),
        opt(f.first_data.as_ref().map(|d| d.len)),
        opt(f.first_data.as_ref().and_then(|d| d.ack)),
        f.termination.kind.to_string(),
        f.termination
            .initiator
            .map(|r| r.to_string())
            .unwrap_or_default(),
        f.retransmissions.to_string(),
        f.history.clone(),
        result.to_string(),
        reason,
    ]
}

fn write_row(out: &mut dyn Write, fields: &[String]) -> io::Result<()> {
    let cells: Vec<String> = fields.iter().map(|f| field(f)).collect();
    writeln!(out, "{}", cells.join(","))
}

/// One CSV field, quoted when it must be.
pub fn field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
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
            "subs/alice/lab.pcapng,1,127.0.0.1:53202,127.0.0.1:8000,true,479,480,four_segment,client,0,ShADadFf,PASS,"
        );
        assert!(
            lines[2].starts_with("subs/bob/lab.pcapng,1,127.0.0.1:53202,127.0.0.1:8000,true,479,480,reset,client,0,ShADadR,FAIL,\"termination: expected an orderly four- or three-segment close, saw reset:"),
            "{}",
            lines[2]
        );
        assert!(
            lines[3].starts_with("subs/carol/lab.pcapng,,,,,,,,,,,UNUSABLE,`subs/carol/lab.pcapng` holds 41 packet(s)"),
            "{}",
            lines[3]
        );
        // Every row has as many fields as the header, once quotes are read.
        for l in &lines {
            assert_eq!(split(l).len(), HEADER.split(',').count(), "{l}");
        }
    }

    /// Splits one CSV line, honouring quotes.
    fn split(line: &str) -> Vec<String> {
        let (mut fields, mut cur, mut quoted) = (vec![], String::new(), false);
        let mut chars = line.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '"' if quoted && chars.peek() == Some(&'"') => {
                    cur.push('"');
                    chars.next();
                }
                '"' => quoted = !quoted,
                ',' if !quoted => fields.push(std::mem::take(&mut cur)),
                c => cur.push(c),
            }
        }
        fields.push(cur);
        fields
    }

    #[test]
    fn fields_are_quoted_only_when_needed() {
        assert_eq!(field("plain"), "plain");
        assert_eq!(field("a, b"), "\"a, b\"");
        assert_eq!(field("say \"x\""), "\"say \"\"x\"\"\"");
        assert_eq!(split(&field("a,\"b\"")), ["a,\"b\""]);
    }
}
