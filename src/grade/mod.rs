//! Grading a batch of hand-ins: many capture files, one verdict per file.
//!
//! [`expand`] turns the paths a teacher gives (files and folders) into an
//! ordered list of files, one per path; [`grade`] reads them through one
//! tshark per share of files ([`crate::capture::read_files`]: a pcapng
//! stream of many files, each report the same as [`check_file`]'s), a
//! capture that several paths lead to (a link, a copy: [`same`]) once, and
//! returns
//! [`Grades`]: per path the judged connections or the one sentence that
//! says why the file could not be used. One bad hand-in never hides the
//! others, and no hand-in hides behind another. The reports of a batch:
//!
//! - [`table`]: one text block per file, then the summary table;
//! - [`json`]: the `files` array, each connection in the single-file schema;
//! - [`csv`]: one row per connection (and per unusable file);
//! - [`svg`]: one ladder picture per file, into a folder.

pub mod csv;
pub mod inputs;
pub mod json;
pub mod same;
pub mod svg;
pub mod table;

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

pub use inputs::{Entry, Inputs, expand};
pub use same::Sameness;

use crate::capture::{self, CaptureError};
use crate::connection::Connection;
use crate::fsx::shown;
use crate::verdict::{CheckOutcome, Expectations, Judged};

/// Why a path could not be graded. Each message is one sentence saying what
/// happened and what to do.
#[derive(thiserror::Error)]
#[non_exhaustive]
pub enum CheckError {
    /// The file could not be read as a capture (missing, empty, foreign,
    /// truncated; tshark missing or failing).
    #[error(transparent)]
    Capture(#[from] CaptureError),
    /// The capture holds packets, none of them a TCP segment tcplab could read.
    #[error(
        "`{}` holds {packets} packet(s) but no TCP{}: capture the lab's TCP traffic (e.g. filter `tcp port 8000`)",
        shown(path),
        first_note.as_ref().map(|n| format!(" segment tcplab could read ({n})")).unwrap_or_default()
    )]
    NoTcp {
        /// The file.
        path: PathBuf,
        /// Packets tshark dissected.
        packets: u64,
        /// Why the first TCP packet could not be read, if there was one.
        first_note: Option<String>,
    },
    /// No connection uses the port asked for.
    #[error(
        "`{}` has no TCP connection on port {port}: check the port (list the conversations with `tshark -r FILE -q -z conv,tcp`)",
        shown(path)
    )]
    NoConnectionOnPort {
        /// The file.
        path: PathBuf,
        /// The port.
        port: u16,
    },
    /// A folder without any capture file below it.
    #[error(
        "the folder `{}` holds no capture (no *.pcap, *.pcapng or *.cap file below it): hand-ins must be saved as pcap or pcapng",
        shown(path)
    )]
    NoCaptures {
        /// The folder.
        path: PathBuf,
    },
    /// A folder that cannot be listed.
    #[error("cannot read the folder `{}`: {cause}", shown(path))]
    FolderUnreadable {
        /// The folder.
        path: PathBuf,
        /// The operating system's reason.
        cause: std::io::Error,
    },
    /// A symbolic link that leads back to itself through other links.
    #[error(
        "`{}` is a symbolic link loop (it leads back to itself, never to a file): replace the link with the capture itself",
        shown(path)
    )]
    SymlinkLoop {
        /// The link.
        path: PathBuf,
    },
    /// Something that is neither a file nor a folder (a FIFO, a socket, a device).
    #[error(
        "`{}` is a {kind}, not a capture file: hand in the saved capture itself",
        shown(path)
    )]
    NotAFile {
        /// The path.
        path: PathBuf,
        /// What it is.
        kind: &'static str,
    },
    /// The same capture as an earlier hand-in that could not be used.
    #[error("`{}` {} `{}`, which cannot be used: {why}", shown(path), how.phrase(), shown(first))]
    SameAsUnusable {
        /// This hand-in.
        path: PathBuf,
        /// The hand-in that was checked.
        first: PathBuf,
        /// How the two are the same.
        how: Sameness,
        /// Why the first cannot be used.
        why: String,
    },
}

/// What checking one capture file gives.
#[derive(Clone, Debug)]
pub struct CheckedFile {
    /// Its connections, judged, in order of their first segment.
    pub connections: Vec<Judged>,
    /// Frames that could not be used, or were used in part, one sentence
    /// each: one malformed packet is a note, not an unusable file.
    pub notes: Vec<String>,
}

/// Judges every TCP connection of one capture file, as `tcplab check FILE`
/// does: `port` keeps only the connections on that port (and names the
/// server's side where a SYN is missing).
pub fn check_file(
    path: &Path,
    port: Option<u16>,
    expect: &Expectations,
) -> Result<CheckedFile, CheckError> {
    let mut connections = Vec::new();
    let notes = check_file_each(path, port, expect, |j| connections.push(j))?;
    Ok(CheckedFile { connections, notes })
}

/// Judges the connections of one capture file as [`check_file`] does,
/// handing each to `each` as soon as it has ended, and keeping none (see
/// [`capture::read_file_each`]); returns the file's notes. An error that
/// only the end of the file shows (tshark stopping early, no TCP at all, no
/// connection on `port`) comes after the connections judged until then.
pub fn check_file_each(
    path: &Path,
    port: Option<u16>,
    expect: &Expectations,
    mut each: impl FnMut(Judged),
) -> Result<Vec<String>, CheckError> {
    refuse_special(path)?;
    let on_port =
        |c: &Connection| port.is_none_or(|p| c.server.port() == p || c.client.port() == p);
    let mut judged = 0usize;
    let file = capture::read_file_each(path, port, |c| {
        if on_port(&c) {
            judged += 1;
            each(Judged::new(c, expect));
        }
    })?;
    if file.tcp_segments == 0 {
        return Err(CheckError::NoTcp {
            path: path.to_owned(),
            packets: file.packets,
            first_note: file.notes.into_iter().next(),
        });
    }
    if let (Some(p), 0) = (port, judged) {
        return Err(CheckError::NoConnectionOnPort {
            path: path.to_owned(),
            port: p,
        });
    }
    Ok(file.notes)
}

/// Refuses a path that is neither a file nor a folder before anything
/// opens it: opening a FIFO would wait for a writer forever.
fn refuse_special(path: &Path) -> Result<(), CheckError> {
    if let Ok(m) = std::fs::metadata(path) {
        if !m.is_file() && !m.is_dir() {
            return Err(inputs::not_a_file(path, &m));
        }
    }
    Ok(())
}

/// Judges what reading the capture file `path` in a batch gave, as
/// [`check_file`] judges a file read alone.
fn judge_file(
    path: &Path,
    file: capture::FileCapture,
    port: Option<u16>,
    expect: &Expectations,
) -> Result<CheckedFile, CheckError> {
    if file.tcp_segments == 0 {
        return Err(CheckError::NoTcp {
            path: path.to_owned(),
            packets: file.packets,
            first_note: file.notes.into_iter().next(),
        });
    }
    let mut connections = file.connections;
    if let Some(p) = port {
        connections.retain(|c| c.server.port() == p || c.client.port() == p);
        if connections.is_empty() {
            return Err(CheckError::NoConnectionOnPort {
                path: path.to_owned(),
                port: p,
            });
        }
    }
    Ok(CheckedFile {
        connections: Judged::all(connections, expect),
        notes: file.notes,
    })
}

/// How one file (or a whole batch) fared, from best to worst: the worst of
/// several is their maximum.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Status {
    /// Every check of every connection passed.
    Pass,
    /// A check failed.
    Fail,
    /// The file could not be used.
    Unusable,
}

impl fmt::Display for Status {
    /// `PASS`, `FAIL` or `UNUSABLE`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Status::Pass => "PASS",
            Status::Fail => "FAIL",
            Status::Unusable => "UNUSABLE",
        })
    }
}

/// Another hand-in that is the same capture as this one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SameAs {
    /// Its path.
    pub file: PathBuf,
    /// How the two are the same.
    pub how: Sameness,
}

/// One file's grade.
#[derive(Debug)]
pub struct FileResult {
    /// The file as given, or as found below a folder that was given.
    pub file: PathBuf,
    /// Its judged connections and notes, or why it could not be used.
    pub outcome: Result<CheckedFile, CheckError>,
    /// The other hand-ins that are the same capture (checked once for all).
    pub same_as: Vec<SameAs>,
}

impl FileResult {
    /// A file's result, the same capture as no other.
    pub fn new(file: PathBuf, outcome: Result<CheckedFile, CheckError>) -> FileResult {
        FileResult {
            file,
            outcome,
            same_as: vec![],
        }
    }

    /// `same file as a; same content as b, c` for the other hand-ins that
    /// are the same capture; `None` when there are none.
    pub fn same_note(&self) -> Option<String> {
        let parts: Vec<String> = [Sameness::File, Sameness::Content]
            .into_iter()
            .filter_map(|how| {
                let files: Vec<String> = self
                    .same_as
                    .iter()
                    .filter(|s| s.how == how)
                    .map(|s| shown(&s.file))
                    .collect();
                (!files.is_empty()).then(|| format!("{} {}", how.short(), files.join(", ")))
            })
            .collect();
        (!parts.is_empty()).then(|| parts.join("; "))
    }

    /// Pass, fail or unusable.
    pub fn status(&self) -> Status {
        match &self.outcome {
            Err(_) => Status::Unusable,
            Ok(checked) if Judged::all_passed(&checked.connections) => Status::Pass,
            Ok(_) => Status::Fail,
        }
    }

    /// The one sentence that says why the file did not pass: the error, or
    /// the first failed check of the first failed connection; `None` when it
    /// passed.
    pub fn reason(&self) -> Option<String> {
        let items = match &self.outcome {
            Err(e) => return Some(e.to_string()),
            Ok(checked) => &checked.connections,
        };
        let (i, check) = items
            .iter()
            .enumerate()
            .find_map(|(i, j)| j.verdict.first_failed().map(|c: &CheckOutcome| (i, c)))?;
        Some(if items.len() == 1 {
            format!("{}: {}", check.check, check.why)
        } else {
            format!(
                "connection {} of {}: {}: {}",
                i + 1,
                items.len(),
                check.check,
                check.why
            )
        })
    }
}

/// The grades of a batch, in the order of [`expand`].
#[derive(Debug, Default)]
pub struct Grades {
    /// One result per file.
    pub files: Vec<FileResult>,
    /// Sentences about the input that change no grade: a path given twice
    /// and checked once, a symbolic link loop not followed, hidden files
    /// skipped, links and copies checked once.
    pub notes: Vec<String>,
}

impl FileResult {
    /// The notes on frames of this file that could not be used.
    pub fn notes(&self) -> &[String] {
        match &self.outcome {
            Ok(checked) => &checked.notes,
            Err(_) => &[],
        }
    }
}

impl Grades {
    /// The worst status over the files; `Unusable` when there are none.
    pub fn status(&self) -> Status {
        self.files
            .iter()
            .map(FileResult::status)
            .max()
            .unwrap_or(Status::Unusable)
    }

    /// Whether every file passed.
    pub fn passed(&self) -> bool {
        self.status() == Status::Pass
    }

    /// How many files have each status: (pass, fail, unusable).
    pub fn counts(&self) -> (usize, usize, usize) {
        let count = |s| self.files.iter().filter(|f| f.status() == s).count();
        (
            count(Status::Pass),
            count(Status::Fail),
            count(Status::Unusable),
        )
    }
}

/// How to grade a batch.
#[derive(Clone, Debug)]
pub struct GradeConfig {
    /// Only connections on this port, in every file.
    pub port: Option<u16>,
    /// What every connection must show.
    pub expect: Expectations,
    /// tsharks run at once, each reading a share of the files; at least 1.
    pub jobs: usize,
}

impl Default for GradeConfig {
    /// No port, the lab sheet's expectations, one job per core.
    fn default() -> GradeConfig {
        GradeConfig {
            port: None,
            expect: Expectations::default(),
            jobs: std::thread::available_parallelism().map_or(1, usize::from),
        }
    }
}

/// Checks every file of `inputs` and returns one result per entry in the
/// same order: read through `config.jobs` tsharks, each reading a stream
/// of many files ([`capture::read_files`]), with verdicts identical to
/// checking each file alone. Entries that are the same capture
/// ([`same::originals`]) are checked once: each keeps its row, with the
/// first one's grade and [`FileResult::same_as`] naming the others, and a
/// note says so. `progress` is called with the number of files done after
/// each one, from the worker threads.
pub fn grade(inputs: Inputs, config: &GradeConfig, progress: &(dyn Fn(usize) + Sync)) -> Grades {
    let total = inputs.entries.len();
    let checked: Vec<Option<&Path>> = inputs
        .entries
        .iter()
        .map(|e| match e {
            Entry::Check(p) => Some(p.as_path()),
            Entry::Unusable(..) => None,
        })
        .collect();
    let paths: Vec<&Path> = checked.iter().map(|p| p.unwrap_or(Path::new(""))).collect();
    let originals: Vec<Option<(usize, Sameness)>> = same::originals(&paths)
        .into_iter()
        .zip(&checked)
        .map(|(o, c)| o.filter(|_| c.is_some()))
        .collect();
    let mut notes = inputs.notes;
    for (i, o) in originals.iter().enumerate() {
        if let Some((first, how)) = o {
            notes.push(format!(
                "`{}` {} `{}`: checked once, each keeps its row",
                shown(paths[i]),
                how.phrase(),
                shown(paths[*first])
            ));
        }
    }
    let results: Mutex<Vec<Option<FileResult>>> =
        Mutex::new(std::iter::repeat_with(|| None).take(total).collect());
    let done = AtomicUsize::new(0);
    let tick = || progress(done.fetch_add(1, Ordering::SeqCst) + 1);
    let keep = |i: usize, result: FileResult| {
        results.lock().expect("no worker panics")[i] = Some(result);
    };
    let record = |i: usize, result: FileResult| {
        keep(i, result);
        tick();
    };
    // The files to read: each capture once, nothing special.
    let mut to_read: Vec<(usize, PathBuf)> = Vec::new();
    for (i, entry) in inputs.entries.into_iter().enumerate() {
        match entry {
            // Filled in from its original below.
            Entry::Check(file) if originals[i].is_some() => record(
                i,
                FileResult::new(
                    file,
                    Ok(CheckedFile {
                        connections: vec![],
                        notes: vec![],
                    }),
                ),
            ),
            Entry::Check(file) => match refuse_special(&file) {
                Err(e) => record(i, FileResult::new(file, Err(e))),
                Ok(()) => to_read.push((i, file)),
            },
            Entry::Unusable(file, error) => record(i, FileResult::new(file, Err(error))),
        }
    }
    let paths: Vec<&Path> = to_read.iter().map(|(_, p)| p.as_path()).collect();
    // Progress as each file is read; its grade once its tshark has ended.
    capture::read_files(&paths, config.port, config.jobs, &|_| tick(), &|k, read| {
        let (i, path) = &to_read[k];
        let outcome = read
            .map_err(CheckError::from)
            .and_then(|file| judge_file(path, file, config.port, &config.expect));
        keep(*i, FileResult::new(path.clone(), outcome));
    });
    let mut files: Vec<FileResult> = results
        .into_inner()
        .expect("no worker panics")
        .into_iter()
        .map(|r| r.expect("every entry was graded"))
        .collect();
    share_grades(&mut files, &originals);
    Grades { files, notes }
}

/// Gives every copy the grade of its original, and every member of a
/// group of the same capture the list of the others.
fn share_grades(files: &mut [FileResult], originals: &[Option<(usize, Sameness)>]) {
    for i in 0..files.len() {
        let Some((first, how)) = originals[i] else {
            continue;
        };
        files[i].outcome = match &files[first].outcome {
            Ok(items) => Ok(items.clone()),
            Err(e) => Err(CheckError::SameAsUnusable {
                path: files[i].file.clone(),
                first: files[first].file.clone(),
                how,
                why: e.to_string(),
            }),
        };
    }
    let mut groups: HashMap<usize, Vec<usize>> = HashMap::new();
    for (i, o) in originals.iter().enumerate() {
        if let Some((r, _)) = o {
            groups.entry(*r).or_insert_with(|| vec![*r]).push(i);
        }
    }
    for members in groups.values() {
        for &i in members {
            files[i].same_as = members
                .iter()
                .filter(|&&j| j != i)
                .map(|&j| SameAs {
                    file: files[j].file.clone(),
                    how: same::how(&files[i].file, &files[j].file),
                })
                .collect();
        }
    }
}

debug_as_display!(CheckError);

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::connection::group;
    use crate::testing::{four_segment, seed_client_reset};
    use crate::verdict::Expectations;
    use rstest::rstest;

    /// A passing file, a failing one (the seed's RST) and an unusable one.
    pub fn three_files() -> Grades {
        let judged = |segs| CheckedFile {
            connections: Judged::all(group(segs, None), &Expectations::default()),
            notes: vec![],
        };
        let rst = seed_client_reset();
        Grades {
            files: vec![
                FileResult::new("subs/alice/lab.pcapng".into(), Ok(judged(four_segment()))),
                FileResult::new("subs/bob/lab.pcapng".into(), Ok(judged(rst))),
                FileResult::new(
                    "subs/carol/lab.pcapng".into(),
                    Err(CheckError::NoTcp {
                        path: "subs/carol/lab.pcapng".into(),
                        packets: 41,
                        first_note: None,
                    }),
                ),
            ],
            notes: vec!["a note".to_owned()],
        }
    }

    #[test]
    fn statuses_and_reasons() {
        let g = three_files();
        let s: Vec<Status> = g.files.iter().map(FileResult::status).collect();
        assert_eq!(s, [Status::Pass, Status::Fail, Status::Unusable]);
        assert_eq!(g.files[0].reason(), None);
        let why = g.files[1].reason().unwrap();
        assert!(why.starts_with("termination: expected an orderly"), "{why}");
        assert!(
            g.files[2]
                .reason()
                .unwrap()
                .contains("holds 41 packet(s) but no TCP")
        );
        assert_eq!(g.counts(), (1, 1, 1));
    }

    #[rstest]
    #[case::all_pass(&[0], Status::Pass)]
    #[case::one_fails(&[0, 1], Status::Fail)]
    #[case::one_unusable(&[0, 2], Status::Unusable)]
    #[case::unusable_beats_failed(&[2, 1], Status::Unusable)]
    #[case::nothing(&[], Status::Unusable)]
    fn the_batch_is_as_bad_as_its_worst_file(#[case] keep: &[usize], #[case] want: Status) {
        let mut all: Vec<Option<FileResult>> = three_files().files.into_iter().map(Some).collect();
        let g = Grades {
            files: keep.iter().map(|&i| all[i].take().unwrap()).collect(),
            notes: vec![],
        };
        assert_eq!(g.status(), want);
        assert_eq!(g.passed(), want == Status::Pass);
    }

    #[test]
    fn several_connections_name_the_failed_one() {
        let mut items = Judged::all(group(four_segment(), None), &Expectations::default());
        let failing = Judged::all(group(seed_client_reset(), None), &Expectations::default());
        items.extend(failing);
        let r = FileResult::new(
            "x".into(),
            Ok(CheckedFile {
                connections: items,
                notes: vec![],
            }),
        );
        let why = r.reason().unwrap();
        assert!(why.starts_with("connection 2 of 2: termination:"), "{why}");
    }

    #[test]
    fn the_same_capture_is_checked_once_and_every_path_keeps_its_row() {
        let d = tempfile::tempdir().unwrap();
        let p = |n: &str| d.path().join(n);
        std::fs::write(p("alice.pcap"), b"not a capture").unwrap();
        std::os::unix::fs::symlink("alice.pcap", p("aaron.pcap")).unwrap();
        std::fs::write(p("carol.pcap"), b"not a capture").unwrap();
        std::fs::write(p("dave.pcap"), b"not a capture either").unwrap();
        let inputs = expand(&[d.path().to_owned()]);
        let g = grade(inputs, &GradeConfig::default(), &|_| {});
        let names: Vec<String> = g
            .files
            .iter()
            .map(|f| f.file.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            names,
            ["aaron.pcap", "alice.pcap", "carol.pcap", "dave.pcap"]
        );
        let same: Vec<Vec<(String, Sameness)>> = g
            .files
            .iter()
            .map(|f| {
                f.same_as
                    .iter()
                    .map(|s| {
                        (
                            s.file.file_name().unwrap().to_string_lossy().into_owned(),
                            s.how,
                        )
                    })
                    .collect()
            })
            .collect();
        assert_eq!(
            same,
            [
                vec![
                    ("alice.pcap".into(), Sameness::File),
                    ("carol.pcap".into(), Sameness::Content)
                ],
                vec![
                    ("aaron.pcap".into(), Sameness::File),
                    ("carol.pcap".into(), Sameness::Content)
                ],
                vec![
                    ("aaron.pcap".into(), Sameness::Content),
                    ("alice.pcap".into(), Sameness::Content)
                ],
                vec![],
            ]
        );
        let why: Vec<String> = g.files.iter().map(|f| f.reason().unwrap()).collect();
        assert!(
            why[0].contains("is not a pcap or pcapng capture"),
            "{why:?}"
        );
        assert!(
            why[1].contains("alice.pcap` is the same file as `")
                && why[1].contains("aaron.pcap`, which cannot be used: `"),
            "{why:?}"
        );
        assert!(
            why[2].contains("carol.pcap` has the same content as `"),
            "{why:?}"
        );
        assert_eq!(g.notes.len(), 2, "{:?}", g.notes);
        assert!(
            g.notes[0].ends_with("aaron.pcap`: checked once, each keeps its row"),
            "{:?}",
            g.notes
        );
    }

    #[rstest]
    #[case::one_job(1)]
    #[case::more_jobs_than_entries(8)]
    fn grade_keeps_the_order_and_reports_progress(#[case] jobs: usize) {
        // Entries that need no tshark: each is already unusable.
        let entries: Vec<Entry> = (0..5)
            .map(|i| {
                let p = PathBuf::from(format!("f{i}.pcap"));
                Entry::Unusable(p.clone(), CheckError::NoCaptures { path: p })
            })
            .collect();
        let inputs = Inputs {
            entries,
            notes: vec!["kept".to_owned()],
        };
        let calls = Mutex::new(Vec::new());
        let config = GradeConfig {
            jobs,
            ..GradeConfig::default()
        };
        let g = grade(inputs, &config, &|n| calls.lock().unwrap().push(n));
        let files: Vec<String> = g
            .files
            .iter()
            .map(|f| f.file.display().to_string())
            .collect();
        assert_eq!(
            files,
            ["f0.pcap", "f1.pcap", "f2.pcap", "f3.pcap", "f4.pcap"]
        );
        let mut calls = calls.into_inner().unwrap();
        calls.sort();
        assert_eq!(calls, [1, 2, 3, 4, 5]);
        assert_eq!(g.notes, ["kept"]);
    }
}
