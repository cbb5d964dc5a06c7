//! `tcplab check PATH...`: judge capture files, or grade a folder of them.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Result, anyhow, bail};
use tcplab::fsx::shown;
use tcplab::grade::{self, FileResult, GradeConfig, Grades, Status};

use super::args::CheckArgs;
use super::{EXIT_FAIL, EXIT_PASS, EXIT_UNUSABLE, output, progress_bar};

pub(crate) fn check(a: CheckArgs) -> Result<u8> {
    let expect = a.report.expectations()?;
    // One file: the single-file report.
    if let [file] = a.paths.as_slice() {
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
    output::to_stdout(|out| {
        if a.report.json {
            grade::json::write_json(out, &grades)
        } else {
            grade::table::write_text(out, &grades)
        }
    })?;
    write_grade_files(&a, &grades)?;
    if let Some(dir) = &a.report.svg {
        grade::svg::write_pictures(dir, &grades).map_err(|e| {
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
