//! The text report of a batch: one block per file (the single-file text
//! report, or the sentence that says why the file is unusable), then the
//! summary table, one row per file:
//!
//! ```text
//! file                    connections  handshake  first data  termination   retransmissions  result
//! subs/alice/lab.pcapng             1  ok         479/480     four_segment                0  PASS
//! subs/bob/lab.pcapng               1  ok         479/480     reset                       0  FAIL termination: expected ...
//! subs/carol/lab.pcapng             -  -          -           -                           -  UNUSABLE `subs/carol/lab.pcapng` holds ...
//! result: UNUSABLE (3 file(s): 1 PASS, 1 FAIL, 1 UNUSABLE)
//! ```
//!
//! Names are escaped ([`crate::fsx::shown`]): no control character reaches
//! the terminal, and names that are not UTF-8 stay apart. A file that is
//! the same capture as another says so after its result
//! (`PASS (same content as subs/bob/lab.pcapng)`).
//!
//! `first data` is the client's first data segment's length and the ack
//! that acknowledged it. A file with several connections shows each
//! distinct value once (`four_segment x3, reset`), the retransmissions
//! summed, and the first failed connection's reason.

use std::io::{self, Write};

use super::{FileResult, Grades};
use crate::fsx::shown;
use crate::report::text;
use crate::verdict::Judged;

/// Writes one block per file, then the summary table.
pub fn write_text(out: &mut dyn Write, grades: &Grades) -> io::Result<()> {
    let n = grades.files.len();
    for (i, f) in grades.files.iter().enumerate() {
        writeln!(out, "file {} of {n}: {}", i + 1, shown(&f.file))?;
        if let Some(same) = f.same_note() {
            writeln!(out, "the same capture: {same} (checked once)")?;
        }
        match &f.outcome {
            Ok(checked) => text::write_text(out, &checked.connections, &checked.notes)?,
            Err(e) => writeln!(out, "UNUSABLE {e}")?,
        }
        writeln!(out)?;
    }
    write_table(out, grades)
}

/// The header of the summary table.
pub const COLUMNS: [&str; 7] = [
    "file",
    "connections",
    "handshake",
    "first data",
    "termination",
    "retransmissions",
    "result",
];

/// Writes the summary table and the result line.
pub fn write_table(out: &mut dyn Write, grades: &Grades) -> io::Result<()> {
    let mut rows = vec![COLUMNS.map(str::to_owned)];
    rows.extend(grades.files.iter().map(row));
    let mut widths = [0; COLUMNS.len()];
    for r in &rows {
        for (w, cell) in widths.iter_mut().zip(r) {
            *w = (*w).max(cell.chars().count());
        }
    }
    for (i, r) in rows.iter().enumerate() {
        let mut line = String::new();
        for (k, (cell, w)) in r.iter().zip(widths).enumerate() {
            // Counts are right-aligned under their header; the result is last.
            if k + 1 == COLUMNS.len() {
                line.push_str(cell);
            } else if i > 0 && (k == 1 || k == 5) {
                line.push_str(&format!("{cell:>w$}  "));
            } else {
                line.push_str(&format!("{cell:<w$}  "));
            }
        }
        writeln!(out, "{}", line.trim_end())?;
    }
    let (pass, fail, unusable) = grades.counts();
    writeln!(
        out,
        "result: {} ({} file(s): {pass} PASS, {fail} FAIL, {unusable} UNUSABLE)",
        grades.status(),
        grades.files.len()
    )
}

/// One file's row of the summary table.
fn row(f: &FileResult) -> [String; 7] {
    let file = shown(&f.file);
    let mut result = f.status().to_string();
    if let Some(same) = f.same_note() {
        result += &format!(" ({same})");
    }
    if let Some(why) = f.reason() {
        result += &format!(" {why}");
    }
    let items = match &f.outcome {
        Ok(checked) => &checked.connections,
        Err(_) => {
            let dash = || "-".to_owned();
            return [file, dash(), dash(), dash(), dash(), dash(), result];
        }
    };
    let handshake = distinct(items.iter().map(|j| {
        if j.verdict.findings.handshake.ok {
            "ok".to_owned()
        } else {
            "FAIL".to_owned()
        }
    }));
    let first_data = distinct(items.iter().map(first_data));
    let termination = distinct(
        items
            .iter()
            .map(|j| j.verdict.findings.termination.kind.to_string()),
    );
    let retransmissions: usize = items
        .iter()
        .map(|j| j.verdict.findings.retransmissions)
        .sum();
    [
        file,
        items.len().to_string(),
        handshake,
        first_data,
        termination,
        retransmissions.to_string(),
        result,
    ]
}

/// `len/ack` of the client's first data segment; `-` for what is missing.
fn first_data(j: &Judged) -> String {
    match &j.verdict.findings.first_data {
        Some(d) => format!(
            "{}/{}",
            d.len,
            d.ack.map_or_else(|| "-".to_owned(), |a| a.to_string())
        ),
        None => "-".to_owned(),
    }
}

/// Each distinct value once, in order of appearance, counted when there
/// are several distinct ones: `four_segment x3, reset`.
fn distinct(values: impl Iterator<Item = String>) -> String {
    let mut seen: Vec<(String, usize)> = Vec::new();
    for v in values {
        match seen.iter_mut().find(|(s, _)| *s == v) {
            Some((_, n)) => *n += 1,
            None => seen.push((v, 1)),
        }
    }
    if seen.len() == 1 {
        return seen.remove(0).0;
    }
    seen.iter()
        .map(|(v, n)| {
            if *n > 1 {
                format!("{v} x{n}")
            } else {
                v.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grade::tests::three_files;

    #[test]
    fn the_table_has_one_aligned_row_per_file_and_a_result() {
        let mut buf = Vec::new();
        write_table(&mut buf, &three_files()).unwrap();
        let text = String::from_utf8(buf).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 5, "{text}");
        assert!(lines[0].starts_with("file  "), "{text}");
        let col = lines[0].find("termination").unwrap();
        for l in &lines[1..4] {
            assert!(l[..col].ends_with("  "), "columns are aligned: {text}");
        }
        assert!(lines[1].starts_with("subs/alice/lab.pcapng"), "{text}");
        assert!(lines[1].contains(" 479/480 "), "{text}");
        assert!(lines[1].contains("four_segment"), "{text}");
        assert!(lines[1].ends_with("  PASS"), "{text}");
        assert!(lines[2].contains("reset"), "{text}");
        assert!(
            lines[2].contains("FAIL termination: expected an orderly"),
            "{text}"
        );
        assert!(
            lines[3].contains("UNUSABLE `subs/carol/lab.pcapng` holds 41 packet(s) but no TCP"),
            "{text}"
        );
        assert_eq!(
            lines[4],
            "result: UNUSABLE (3 file(s): 1 PASS, 1 FAIL, 1 UNUSABLE)"
        );
    }

    #[test]
    fn the_text_report_has_a_block_per_file_then_the_table() {
        let mut buf = Vec::new();
        write_text(&mut buf, &three_files()).unwrap();
        let text = String::from_utf8(buf).unwrap();
        let at = |s: &str| text.find(s).unwrap_or_else(|| panic!("no {s} in {text}"));
        assert!(at("file 1 of 3: subs/alice/lab.pcapng\nconnection 1\n") < at("file 2 of 3"));
        assert!(at("result: PASS (1 connection(s), 0 failed)\n\nfile 2 of 3") > 0);
        assert!(at("file 3 of 3: subs/carol/lab.pcapng\nUNUSABLE `subs/carol") > at("file 2 of 3"));
        assert!(at("\nfile  ") > at("file 3 of 3"));
    }

    #[test]
    fn several_values_are_listed_once_each() {
        let v = |s: &[&str]| distinct(s.iter().map(|s| s.to_string()));
        assert_eq!(v(&["reset", "reset"]), "reset");
        assert_eq!(
            v(&["four_segment", "reset", "four_segment", "four_segment"]),
            "four_segment x3, reset"
        );
    }
}
