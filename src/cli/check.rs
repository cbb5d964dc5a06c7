//! `tcplab check PATH...`: judge capture files, or grade a folder of them.

use std::io::Write;
use std::path::PathBuf;

use std::path::Path;

use anyhow::{Context, Result, anyhow, bail};
use tcplab::fsx::shown;
use tcplab::grade::{self, FileResult, GradeConfig, Grades, Status};
use tcplab::report::highlight::Highlight;
use tcplab::report::json::JsonStream;
use tcplab::report::style::Palette;
use tcplab::report::text::TextReport;
use tcplab::verdict::{Expectations, Judged};

use super::args::CheckArgs;
use super::{EXIT_FAIL, EXIT_PASS, EXIT_UNUSABLE, output, progress_bar};

pub(crate) fn check(a: CheckArgs) -> Result<u8> {
    let expect = a.report.expectations()?;
    // One file: the single-file report.
    if let [file] = a.paths.as_slice() {
        if !file.is_dir() && a.csv.is_none() && a.table.is_none() && a.report.svg.is_none() {
            return check_streaming(file, &a, &expect);
        }
        if !file.is_dir() {
            let outcome = grade::check_file(file, a.port, &expect);
            let mut grades = Grades {
                files: vec![FileResult::new(file.clone(), outcome)],
                notes: vec![],
            };
            write_grade_files(&a, &grades)?;
            let only = grades.files.pop().expect("one file").outcome?;
            return output::report(&only.connections, &only.notes, &a.report, None);
        }
    }
    if let Some(svg) = &a.report.svg {
        let svg_name = svg
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("svg"));
        if svg.is_file() || (svg_name && !svg.is_dir()) {
            bail!(
                "with several files --svg takes a folder for one picture per file, and `{}` is a file name: give a folder, e.g. --svg pictures",
                shown(svg)
            );
        }
    }
    let inputs = grade::expand(&a.paths);
    let config = GradeConfig {
        port: a.port,
        expect,
        jobs: a
            .jobs
            .map_or_else(|| GradeConfig::default().jobs, |j| j as usize),
    };
    let bar = progress_bar(inputs.entries.len(), "files");
    let grades = grade::grade(inputs, &config, &|done| bar.set_position(done as u64));
    bar.finish_and_clear();
    for note in &grades.notes {
        eprintln!("tcplab: {note}");
    }
    for f in &grades.files {
        if let Err(e) = &f.outcome {
            eprintln!("tcplab: {e}");
        }
    }
    if a.report.json {
        output::to_stdout(|out| grade::json::write_json(out, &grades))?;
    } else {
        let screen = output::screen();
        output::to_stdout(|out| grade::table::write_text_on(out, &grades, screen))?;
    }
    write_grade_files(&a, &grades)?;
    if let Some(dir) = &a.report.svg {
        grade::svg::write_pictures(dir, &grades, a.report.graph.graph()).map_err(|e| {
            anyhow!(
                "cannot write the SVG pictures into `{}`: {e}; no partial picture was left",
                shown(dir)
            )
        })?;
    }
    Ok(match grades.status() {
        Status::Pass => EXIT_PASS,
        Status::Fail => EXIT_FAIL,
        Status::Unusable => EXIT_UNUSABLE,
    })
}

/// A writer of one report of a batch.
type GradesWriter = fn(&mut dyn Write, &Grades) -> std::io::Result<()>;

/// Writes `--csv` and `--table`, when asked for.
fn write_grade_files(a: &CheckArgs, grades: &Grades) -> Result<()> {
    let writers: [(&Option<PathBuf>, GradesWriter); 2] = [
        (&a.csv, grade::csv::write_csv),
        (&a.table, grade::table::write_table),
    ];
    for (path, write) in writers {
        if let Some(path) = path {
            output::write_file(path, |out| write(out, grades))?;
        }
    }
    Ok(())
}

/// `tcplab check FILE` with a report on stdout only: each connection is
/// written once it has ended and then forgotten, so a capture of any size
/// is checked in memory for the connections open at once. (`--csv`,
/// `--table` and `--svg` need every connection at the end: they take the
/// path above.)
fn check_streaming(file: &Path, a: &CheckArgs, expect: &Expectations) -> Result<u8> {
    let mut sink = StreamSink::new(a.report.json);
    let result = grade::check_file_each(file, a.port, expect, |j| sink.connection(&j));
    sink.end(result)
}

/// The stdout report of [`check_streaming`], started at its first
/// connection, so that a file unusable from the start prints only its
/// sentence on stderr, as before.
struct StreamSink {
    json: bool,
    report: Option<Stream>,
    failed: bool,
    error: Option<std::io::Error>,
}

type Out = Highlight<std::io::BufWriter<std::io::StdoutLock<'static>>>;

enum Stream {
    Text(TextReport<Out>),
    Json(JsonStream<Out>),
}

impl StreamSink {
    fn new(json: bool) -> StreamSink {
        StreamSink {
            json,
            report: None,
            failed: false,
            error: None,
        }
    }

    fn connection(&mut self, j: &Judged) {
        self.failed |= !j.passed();
        if self.error.is_some() {
            return;
        }
        if self.report.is_none() {
            let palette = if self.json {
                Palette::PLAIN
            } else {
                output::screen().palette
            };
            let out = Highlight::new(std::io::BufWriter::new(std::io::stdout().lock()), palette);
            let started = if self.json {
                JsonStream::new(out).map(Stream::Json)
            } else {
                Ok(Stream::Text(TextReport::new(out)))
            };
            match started {
                Ok(s) => self.report = Some(s),
                Err(e) => return self.error = Some(e),
            }
        }
        let written = match self.report.as_mut() {
            Some(Stream::Text(r)) => r.connection(j),
            Some(Stream::Json(r)) => r.connection(j),
            None => Ok(()),
        };
        if let Err(e) = written {
            self.error = Some(e);
        }
    }

    /// Ends the report with the file's notes, or with the error found at
    /// its end; returns the exit code.
    fn end(self, result: Result<Vec<String>, grade::CheckError>) -> Result<u8> {
        let Some(report) = self.report else {
            // Nothing was judged: the error alone, as for any unusable file.
            result?;
            return Ok(EXIT_PASS);
        };
        let (notes, error) = match &result {
            Ok(notes) => (notes.as_slice(), None),
            Err(e) => (&[][..], Some(e.to_string())),
        };
        let finished = match report {
            Stream::Text(r) => match &error {
                None => r.finish(notes),
                Some(why) => r.fail(notes, why),
            },
            Stream::Json(r) => r.finish(notes, None, error.as_deref()),
        };
        match self.error.map_or(finished, Err) {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
            r => r.context("writing the report")?,
        }
        if let Err(e) = result {
            return Err(e.into());
        }
        Ok(if self.failed { EXIT_FAIL } else { EXIT_PASS })
    }
}
