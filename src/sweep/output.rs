//! A sweep's reports: text (one line per size, the summary, what it cost),
//! JSON, and CSV with a header row. The picture is in [`super::plot`].

use std::io::{self, Write};

use serde::{Deserialize, Serialize};

use super::SweepStats;
use super::row::{SweepRow, summary};
use crate::fsx::csv_cell;
use crate::verdict::TerminationKind;

/// The text report: one line per size, the summary, wall time and memory.
pub fn write_text(out: &mut dyn Write, rows: &[SweepRow], stats: &SweepStats) -> io::Result<()> {
    for r in rows {
        writeln!(out, "{r}")?;
    }
    writeln!(out)?;
    for l in summary(rows) {
        writeln!(out, "{l}")?;
    }
    writeln!(
        out,
        "wall time {:.3} s; peak RSS: tcplab {} MiB, largest child (tshark) {} MiB",
        stats.wall.as_secs_f64(),
        stats.peak_rss_kib / 1024,
        stats.child_peak_rss_kib / 1024
    )
}

/// The JSON report of a sweep.
#[derive(Clone, Debug, Serialize)]
pub struct JsonSweep<'a> {
    /// Schema version (1).
    pub schema: u32,
    /// Every row passed.
    pub passed: bool,
    /// The summary lines of the text report.
    pub summary: Vec<String>,
    /// Wall time and memory.
    pub stats: &'a SweepStats,
    /// One row per size.
    pub rows: &'a [SweepRow],
}

/// Writes the JSON report, pretty-printed, with a final newline.
pub fn write_json(out: &mut dyn Write, rows: &[SweepRow], stats: &SweepStats) -> io::Result<()> {
    let report = JsonSweep {
        schema: 1,
        passed: rows.iter().all(|r| r.passed),
        summary: summary(rows),
        stats,
        rows,
    };
    serde_json::to_writer_pretty(&mut *out, &report)?;
    writeln!(out)
}

/// One CSV row: the columns of [`SweepRow`], the duration in seconds with
/// six decimals. Its one text cell is guarded against formula injection
/// ([`csv_cell`]), as every cell of every CSV tcplab writes; the others
/// are numbers that are never negative, booleans and snake_case names.
#[derive(Debug, Serialize, Deserialize)]
pub struct CsvRow {
    /// Bytes in each message.
    pub size: u64,
    /// Messages sent.
    pub messages: u32,
    /// Segments the client sent.
    pub client_segments: u32,
    /// Segments the server sent.
    pub server_segments: u32,
    /// The largest payload of any one segment.
    pub largest_segment: u32,
    /// The server's relative ack of the client's last data byte.
    pub final_ack: u64,
    /// 1 + bytes the client sent.
    pub expected_ack: u64,
    /// Pure ACKs, both directions.
    pub pure_acks: u32,
    /// Segments with PSH, both directions.
    pub psh: u32,
    /// How the connection ended.
    pub termination: TerminationKind,
    /// Retransmitted segments.
    pub retransmissions: u32,
    /// From the SYN to the last segment, in seconds.
    pub duration_s: String,
    /// The row passed.
    pub passed: bool,
}

impl From<&SweepRow> for CsvRow {
    fn from(r: &SweepRow) -> CsvRow {
        CsvRow {
            size: r.size,
            messages: r.messages,
            client_segments: r.client_segments,
            server_segments: r.server_segments,
            largest_segment: r.largest_segment,
            final_ack: r.final_ack,
            expected_ack: r.expected_ack,
            pure_acks: r.pure_acks,
            psh: r.psh,
            termination: r.termination,
            retransmissions: r.retransmissions,
            duration_s: csv_cell(&format!("{:.6}", r.duration)).into_owned(),
            passed: r.passed,
        }
    }
}

/// Writes the rows as CSV, with a header row.
pub fn write_csv(out: &mut dyn Write, rows: &[SweepRow]) -> io::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    for r in rows {
        w.serialize(CsvRow::from(r)).map_err(io::Error::other)?;
    }
    w.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_json_wall_time_is_a_number_of_seconds() {
        let stats = SweepStats {
            wall: std::time::Duration::from_millis(1500),
            peak_rss_kib: 1,
            child_peak_rss_kib: 2,
            interrupted: false,
        };
        let mut out = Vec::new();
        write_json(&mut out, &[], &stats).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["stats"]["wall"], 1.5, "{v:#}");
    }

    #[test]
    fn a_cell_that_would_be_a_formula_is_guarded() {
        // A duration below zero (a capture whose clock stepped back) reads
        // as a formula to a spreadsheet.
        let row = SweepRow {
            size: 1,
            messages: 1,
            client_segments: 1,
            server_segments: 1,
            largest_segment: 1,
            final_ack: 2,
            expected_ack: 2,
            pure_acks: 0,
            psh: 0,
            termination: TerminationKind::FourSegment,
            retransmissions: 0,
            duration: -0.5,
            passed: true,
        };
        let mut buf = Vec::new();
        write_csv(&mut buf, &[row]).unwrap();
        let text = String::from_utf8(buf).unwrap();
        assert!(
            text.lines().nth(1).unwrap().contains(",'-0.500000,"),
            "{text}"
        );
    }

    #[test]
    fn csv_has_a_header_and_reads_back() {
        let row = SweepRow {
            size: 479,
            messages: 1,
            client_segments: 6,
            server_segments: 5,
            largest_segment: 479,
            final_ack: 480,
            expected_ack: 480,
            pure_acks: 4,
            psh: 2,
            termination: TerminationKind::FourSegment,
            retransmissions: 0,
            duration: 0.000_321,
            passed: true,
        };
        let mut buf = Vec::new();
        write_csv(&mut buf, &[row]).unwrap();
        let text = String::from_utf8(buf.clone()).unwrap();
        assert_eq!(
            text,
            "size,messages,client_segments,server_segments,largest_segment,final_ack,expected_ack,pure_acks,psh,termination,retransmissions,duration_s,passed\n\
             479,1,6,5,479,480,480,4,2,four_segment,0,0.000321,true\n"
        );
        let back: Vec<CsvRow> = csv::Reader::from_reader(buf.as_slice())
            .deserialize()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(back[0].termination, TerminationKind::FourSegment);
    }
}
