//! Writing reports: to stdout (a closed pipe is not an error), and to the
//! files named by `--svg`, `--csv` and `--table`, each written all or
//! nothing ([`write_file`]).

use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result, anyhow};
use tcplab::fsx::{AtomicFile, shown};
use tcplab::net::link::LinkRun;
use tcplab::report::highlight::Highlight;
use tcplab::report::json::JsonReport;
use tcplab::report::style::{Palette, Screen};
use tcplab::report::text;
use tcplab::verdict::Judged;

use super::args::ReportArgs;
use super::{EXIT_FAIL, EXIT_PASS};

/// Writes with `write` to stdout; a reader that went away is not an error.
///
/// Through a buffer: stdout alone is line-buffered, and a report of a long
/// capture has tens of thousands of lines (49,000 writes for Zeek's
/// 8,317-frame FTP trace as JSON, one system call each).
pub(crate) fn to_stdout(write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>) -> Result<()> {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::with_capacity(64 * 1024, stdout.lock());
    match write(&mut out).and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        r => r.context("writing the report"),
    }
}

/// The screen stdout is read on: coloured as `--color` says (under `auto`:
/// a terminal, and neither `NO_COLOR` nor `TERM=dumb`; or `CLICOLOR_FORCE`),
/// and as wide as `COLUMNS` says, or as the terminal is; a pipe or a file
/// without `COLUMNS` has no width limit.
pub(crate) fn screen() -> Screen {
    let stdout = std::io::stdout();
    let colored = anstream::AutoStream::choice(&stdout) != anstream::ColorChoice::Never;
    let width = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<usize>().ok())
        .filter(|&c| c > 0)
        .or_else(|| terminal_size::terminal_size_of(&stdout).map(|(w, _)| usize::from(w.0)));
    Screen {
        palette: Palette::new(colored),
        width,
    }
}

/// Writes text with `write` to stdout ([`to_stdout`]), painted for the
/// [`screen`].
pub(crate) fn text_to_stdout(
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<()> {
    let palette = screen().palette;
    to_stdout(|out| {
        let mut painted = Highlight::new(out, palette);
        write(&mut painted)?;
        painted.flush()
    })
}

/// The report of judged connections with notes on frames that could not be
/// used (a lab over a link adds what the link did to the JSON), the `--svg`
/// picture, and the exit code.
pub(crate) fn report(
    items: &[Judged],
    notes: &[String],
    a: &ReportArgs,
    link: Option<&LinkRun>,
) -> Result<u8> {
    if a.json {
        to_stdout(|out| {
            let mut report = JsonReport::new(items);
            report.link = link.cloned();
            report.notes = notes.to_vec();
            report.write(out)
        })?;
    } else {
        text_to_stdout(|out| text::write_text(out, items, notes))?;
    }
    if let Some(path) = &a.svg {
        let graph = a.graph.graph();
        write_file(path, |out| graph.write(out, items))?;
    }
    Ok(if Judged::all_passed(items) {
        EXIT_PASS
    } else {
        EXIT_FAIL
    })
}

/// Writes `path` all or nothing: `write` fills a temporary file in the
/// same folder, which replaces `path` (a file, or a symbolic link itself:
/// never its target) only once every byte is on disk. Any failure (a full
/// disk, no permission) is one sentence, and leaves no partial file and
/// the old one, if any, as it was.
pub(crate) fn write_file(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<()> {
    let failed = |why: String| {
        anyhow!(
            "cannot write `{}`: {why}; no partial file was left",
            shown(path)
        )
    };
    let mut bytes = Vec::new();
    write(&mut bytes).map_err(|e| failed(e.to_string()))?;
    let mut file = AtomicFile::create(path).map_err(|e| failed(e.to_string()))?;
    // A write error is kept by the file and reported by the commit.
    let _ = file.write_all(&bytes);
    file.commit().map_err(|e| failed(e.to_string()))
}
