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
use crate::report::highlight::Highlight;
use crate::report::style::{Screen, cut_end, cut_middle, paint};
use crate::report::text;
use crate::verdict::Judged;

/// Writes one block per file, then the summary table, for a file.
pub fn write_text(out: &mut dyn Write, grades: &Grades) -> io::Result<()> {
    write_text_on(out, grades, Screen::FILE)
}

/// Writes one block per file, painted with the screen's palette, then the
/// summary table fitted to it ([`write_table_on`]).
pub fn write_text_on(out: &mut dyn Write, grades: &Grades, screen: Screen) -> io::Result<()> {
    {
        let mut blocks = Highlight::new(&mut *out, screen.palette);
        write_blocks(&mut blocks, grades)?;
        blocks.flush()?;
    }
    write_table_on(out, grades, screen)
}

/// One block per file: its name, and its report or why it is unusable.
fn write_blocks(out: &mut dyn Write, grades: &Grades) -> io::Result<()> {
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
    Ok(())
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

/// The header on a screen too narrow for [`COLUMNS`]: the same columns,
/// the long names of two counts shortened.
pub const SHORT_COLUMNS: [&str; 7] = [
    "file",
    "conns",
    "handshake",
    "first data",
    "termination",
    "resent",
    "result",
];

/// The narrowest the file column is cut to on a narrow screen.
const FILE_MIN: usize = 12;
/// The narrowest the result column is cut to: `UNUSABLE` and a little of why.
const RESULT_MIN: usize = 12;

/// Writes the summary table and the result line, full width and plain
/// (for `--table FILE`).
pub fn write_table(out: &mut dyn Write, grades: &Grades) -> io::Result<()> {
    write_table_on(out, grades, Screen::FILE)
}

/// Writes the summary table and the result line on `screen`: with a width,
/// a row that would be wider has its result's reason cut with `…` (the
/// full text is in `--csv`, `--json` and `--table`), then, if still too
/// wide, its file name's middle; the result words are painted.
pub fn write_table_on(out: &mut dyn Write, grades: &Grades, screen: Screen) -> io::Result<()> {
    let mut rows = vec![COLUMNS.map(str::to_owned)];
    rows.extend(grades.files.iter().map(row));
    let mut widths = [0; COLUMNS.len()];
    for r in &rows {
        for (w, cell) in widths.iter_mut().zip(r) {
            *w = (*w).max(cell.chars().count());
        }
    }
    if let Some(width) = screen.width {
        fit(&mut rows, &mut widths, width);
    }
    let last = COLUMNS.len() - 1;
    for (i, r) in rows.iter().enumerate() {
        let mut line = String::new();
        for (k, (cell, w)) in r.iter().zip(widths).enumerate() {
            // Counts are right-aligned under their header; the result is last.
            if k == last {
                line.push_str(cell);
            } else if i > 0 && (k == 1 || k == 5) {
                line.push_str(&format!("{cell:>w$}  "));
            } else {
                line.push_str(&format!("{cell:<w$}  "));
            }
        }
        let line = line.trim_end();
        if i == 0 {
            writeln!(out, "{}", paint(screen.palette.heading, line))?;
            continue;
        }
        // The result cell starts with its word: PASS, FAIL or UNUSABLE.
        let at = line.len() - r[last].len();
        let (head, result) = line.split_at(at);
        let word = result.split(' ').next().unwrap_or_default();
        let style = screen.palette.result(word);
        writeln!(out, "{head}{}{}", paint(style, word), &result[word.len()..])?;
    }
    let (pass, fail, unusable) = grades.counts();
    let status = grades.status().to_string();
    writeln!(
        out,
        "result: {} ({} file(s): {pass} PASS, {fail} FAIL, {unusable} UNUSABLE)",
        paint(screen.palette.result(&status), &status),
        grades.files.len()
    )
}

/// Cuts the rows to `width` columns: the headers of two counts first, then
/// the results' reasons, then the file names' middles; the other columns
/// are short and kept whole. 80 columns always fit; a narrower screen gets
/// the narrowest table, which may still be wider.
fn fit(rows: &mut [[String; 7]], widths: &mut [usize; 7], width: usize) {
    let last = COLUMNS.len() - 1;
    let total = widths.iter().map(|w| w + 2).sum::<usize>() - 2;
    if total <= width {
        return;
    }
    rows[0] = SHORT_COLUMNS.map(str::to_owned);
    for (w, k) in widths.iter_mut().zip(0..) {
        *w = rows.iter().map(|r| r[k].chars().count()).max().unwrap_or(0);
    }
    let others: usize = widths[1..last].iter().map(|w| w + 2).sum();
    let file = widths[0].min(width.saturating_sub(others + 2 + RESULT_MIN).max(FILE_MIN));
    if file < widths[0] {
        for r in rows.iter_mut() {
            r[0] = cut_middle(&r[0], file);
        }
        widths[0] = file;
    }
    let result = width.saturating_sub(others + file + 2).max(RESULT_MIN);
    for r in rows.iter_mut() {
        r[last] = cut_end(&r[last], result);
    }
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

    #[rstest::rstest]
    fn on_a_narrow_screen_every_row_fits_and_says_it_was_cut(#[values(80, 100, 120)] width: usize) {
        let grades = three_files();
        let mut full = Vec::new();
        write_table(&mut full, &grades).unwrap();
        let full = String::from_utf8(full).unwrap();
        assert!(full.lines().any(|l| l.chars().count() > width), "{full}");
        let mut buf = Vec::new();
        let screen = Screen {
            width: Some(width),
            ..Screen::FILE
        };
        write_table_on(&mut buf, &grades, screen).unwrap();
        let text = String::from_utf8(buf).unwrap();
        for line in text.lines() {
            assert!(
                line.chars().count() <= width,
                "{} > {width}: {line}",
                line.chars().count()
            );
        }
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[2].contains("  FAIL term"), "{text}");
        assert!(lines[2].ends_with('…'), "{text}");
        assert!(lines[3].contains("  UNUSABLE"), "{text}");
        assert!(lines[1].ends_with("  PASS"), "{text}");
    }

    #[test]
    fn a_screen_narrower_than_any_table_still_gets_every_row() {
        let screen = Screen {
            width: Some(20),
            ..Screen::FILE
        };
        let mut buf = Vec::new();
        write_table_on(&mut buf, &three_files(), screen).unwrap();
        let text = String::from_utf8(buf).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 5, "{text}");
        assert!(
            lines[0].starts_with("file") && lines[0].contains("resent"),
            "{text}"
        );
        for (line, word) in lines[1..4].iter().zip(["PASS", "FAIL", "UNUSABLE"]) {
            assert!(line.contains(&format!("  {word}")), "{text}");
        }
    }

    #[test]
    fn colour_paints_the_result_words_only() {
        use crate::report::style::Palette;
        let grades = three_files();
        let mut plain = Vec::new();
        write_table(&mut plain, &grades).unwrap();
        let mut painted = Vec::new();
        let screen = Screen {
            palette: Palette::COLORED,
            width: None,
        };
        write_table_on(&mut painted, &grades, screen).unwrap();
        let painted = String::from_utf8(painted).unwrap();
        assert!(
            painted.contains(&paint(Palette::COLORED.fail, "FAIL")),
            "{painted}"
        );
        assert!(
            painted.contains(&paint(Palette::COLORED.pass, "PASS")),
            "{painted}"
        );
        let stripped = painted
            .replace(&format!("{}", Palette::COLORED.fail), "")
            .replace(&format!("{}", Palette::COLORED.pass), "")
            .replace(&format!("{}", Palette::COLORED.heading), "")
            .replace("\x1b[0m", "");
        assert_eq!(stripped, String::from_utf8(plain).unwrap());
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
