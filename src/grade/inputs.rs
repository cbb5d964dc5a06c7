//! Which files a list of paths names. A file is taken whatever its name; a
//! folder means every `*.pcap`, `*.pcapng` and `*.cap` below it (any case),
//! depth first in sorted order, except hidden files and folders (names
//! starting with `.`, as git and ripgrep skip them: editors' and tcplab's
//! own temporary files among them), counted in a note. Every path keeps
//! its place, also when it leads to the same file as another (a link):
//! [`super::grade`] checks such files once. Only the very same path met
//! again (named twice, or a folder given inside one given before) is
//! taken once, with a note. Symbolic links are followed, except one that
//! leads back to a folder it is in (a loop: a note, not a hang). A path
//! that cannot be used becomes an [`Entry::Unusable`] with its sentence,
//! in its place in the order.

use std::collections::HashSet;
use std::fs::{self, Metadata};
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use super::CheckError;
use crate::capture::CaptureError;
use crate::capture::shape::kind_of;
use crate::fsx::shown;

/// The extensions of the files a folder contributes (compared without case).
pub const CAPTURE_EXTENSIONS: [&str; 3] = ["pcap", "pcapng", "cap"];

/// One file to grade, in order.
#[derive(Debug)]
pub enum Entry {
    /// A regular file, to be read with tshark.
    Check(PathBuf),
    /// A path that cannot be graded, and why.
    Unusable(PathBuf, CheckError),
}

impl Entry {
    /// The path, as given or as found below a folder.
    pub fn path(&self) -> &Path {
        match self {
            Entry::Check(p) | Entry::Unusable(p, _) => p,
        }
    }
}

/// The expanded input of a batch.
#[derive(Debug, Default)]
pub struct Inputs {
    /// The files, in order, each once.
    pub entries: Vec<Entry>,
    /// Sentences about names left out: paths named twice, link loops,
    /// hidden files.
    pub notes: Vec<String>,
}

/// Whether a name ends in one of [`CAPTURE_EXTENSIONS`].
pub fn is_capture_name(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| CAPTURE_EXTENSIONS.iter().any(|c| c.eq_ignore_ascii_case(e)))
}

/// Expands files and folders into the ordered list of files to grade.
pub fn expand(paths: &[PathBuf]) -> Inputs {
    let mut x = Expander::default();
    for p in paths {
        match fs::metadata(p) {
            Err(e) => x.unusable(p, unreadable(p, e)),
            Ok(m) if m.is_dir() => x.folder(p),
            Ok(m) if m.is_file() => x.file(p),
            Ok(m) => x.unusable(p, not_a_file(p, &m)),
        }
    }
    if x.hidden > 0 {
        let n = x.hidden;
        x.note(format!(
            "{n} hidden file(s) or folder(s) (names starting with `.`) were skipped, as git and ripgrep skip them: name one on the command line to check it"
        ));
    }
    x.inputs
}

#[derive(Default)]
struct Expander {
    inputs: Inputs,
    /// Every file and folder taken, as an absolute path (links not
    /// resolved: a link is a path of its own).
    taken: HashSet<PathBuf>,
    /// Capture names met while walking, duplicates included.
    seen: usize,
    /// Hidden files and folders skipped while walking.
    hidden: usize,
}

/// `path` made absolute without resolving links, so that `a.pcap`,
/// `./a.pcap` and `$PWD/a.pcap` are one path.
fn key(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_owned())
}

impl Expander {
    fn unusable(&mut self, path: &Path, error: CheckError) {
        self.inputs
            .entries
            .push(Entry::Unusable(path.to_owned(), error));
    }

    fn note(&mut self, sentence: String) {
        self.inputs.notes.push(sentence);
    }

    fn file(&mut self, path: &Path) {
        if !self.taken.insert(key(path)) {
            let sentence = twice(path, "checked");
            return self.note(sentence);
        }
        self.inputs.entries.push(Entry::Check(path.to_owned()));
    }

    fn folder(&mut self, path: &Path) {
        if self.taken.contains(&key(path)) {
            let sentence = twice(path, "walked");
            return self.note(sentence);
        }
        let canonical = match fs::canonicalize(path) {
            Ok(c) => c,
            Err(cause) => return self.unusable(path, folder_unreadable(path, cause)),
        };
        let before = self.seen;
        let mut ancestors = vec![];
        self.walk(path, canonical, &mut ancestors);
        if self.seen == before {
            self.unusable(
                path,
                CheckError::NoCaptures {
                    path: path.to_owned(),
                },
            );
        }
    }

    /// Walks `dir` (canonically `canonical`), below `ancestors`.
    fn walk(&mut self, dir: &Path, canonical: PathBuf, ancestors: &mut Vec<(PathBuf, PathBuf)>) {
        if let Some((_, shown_as)) = ancestors.iter().find(|(c, _)| *c == canonical) {
            let sentence = format!(
                "`{}` leads back to `{}`, a folder it is in (a symbolic link loop): not followed",
                shown(dir),
                shown(shown_as)
            );
            return self.note(sentence);
        }
        if !self.taken.insert(key(dir)) {
            // Its captures were taken when it was walked.
            self.seen += 1;
            let sentence = twice(dir, "walked");
            return self.note(sentence);
        }
        let mut names: Vec<PathBuf> = match fs::read_dir(dir)
            .and_then(|rd| rd.map(|e| e.map(|e| e.path())).collect::<io::Result<_>>())
        {
            Ok(names) => names,
            Err(cause) => return self.unusable(dir, folder_unreadable(dir, cause)),
        };
        names.sort();
        ancestors.push((canonical, dir.to_owned()));
        for path in names {
            if is_hidden(&path) {
                self.hidden += 1;
                continue;
            }
            if is_capture_name(&path) {
                self.seen += 1;
            }
            match fs::metadata(&path) {
                Ok(m) if m.is_dir() => match fs::canonicalize(&path) {
                    Ok(c) => self.walk(&path, c, ancestors),
                    Err(cause) => self.unusable(&path, folder_unreadable(&path, cause)),
                },
                Ok(m) if is_capture_name(&path) && m.is_file() => self.file(&path),
                Ok(m) if is_capture_name(&path) => self.unusable(&path, not_a_file(&path, &m)),
                Ok(_) => {}
                Err(e) if is_capture_name(&path) => self.unusable(&path, unreadable(&path, e)),
                Err(e) if is_loop(&e) => self.note(format!(
                    "`{}` is a symbolic link loop (it leads back to itself): skipped",
                    shown(&path)
                )),
                // A folder too deep to name, or unreadable: its own error.
                Err(e) if e.raw_os_error() == Some(nix::errno::Errno::ENAMETOOLONG as i32) => {
                    self.unusable(&path, folder_unreadable(&path, e))
                }
                // A broken link that does not look like a capture: not a hand-in.
                Err(_) => {}
            }
        }
        ancestors.pop();
    }
}

/// Whether a name found in a folder is hidden (starts with `.`).
fn is_hidden(path: &Path) -> bool {
    path.file_name()
        .is_some_and(|n| n.as_bytes().first() == Some(&b'.'))
}

/// The note for a file or folder met again under the same path.
fn twice(path: &Path, done: &str) -> String {
    format!("`{}` is named twice: {done} once", shown(path))
}

fn is_loop(e: &io::Error) -> bool {
    e.raw_os_error() == Some(nix::errno::Errno::ELOOP as i32)
}

fn unreadable(path: &Path, cause: io::Error) -> CheckError {
    if is_loop(&cause) {
        CheckError::SymlinkLoop {
            path: path.to_owned(),
        }
    } else {
        CheckError::Capture(CaptureError::FileUnreadable {
            path: path.to_owned(),
            cause,
        })
    }
}

fn folder_unreadable(path: &Path, cause: io::Error) -> CheckError {
    CheckError::FolderUnreadable {
        path: path.to_owned(),
        cause,
    }
}

pub(crate) fn not_a_file(path: &Path, m: &Metadata) -> CheckError {
    CheckError::NotAFile {
        path: path.to_owned(),
        kind: kind_of(m.file_type()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    fn touch(p: &Path) {
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, b"x").unwrap();
    }

    fn shown(inputs: &Inputs, root: &Path) -> Vec<String> {
        inputs
            .entries
            .iter()
            .map(|e| {
                let p = e.path().strip_prefix(root).unwrap().display().to_string();
                match e {
                    Entry::Check(_) => p,
                    Entry::Unusable(_, err) => format!("{p} !{err}"),
                }
            })
            .collect()
    }

    #[test]
    fn folders_give_captures_depth_first_in_sorted_order() {
        let d = tempfile::tempdir().unwrap();
        let r = d.path();
        for f in [
            "b.pcap",
            "a.PCAPNG",
            "sub/z.cap",
            "sub-x.pcap",
            "notes.txt",
            "sub/deeper/c.pcapng",
        ] {
            touch(&r.join(f));
        }
        let got = expand(&[r.to_owned()]);
        assert_eq!(
            shown(&got, r),
            [
                "a.PCAPNG",
                "b.pcap",
                "sub/deeper/c.pcapng",
                "sub/z.cap",
                "sub-x.pcap"
            ]
        );
        assert!(got.notes.is_empty(), "{:?}", got.notes);
    }

    #[test]
    fn a_path_named_twice_is_taken_once_and_a_link_keeps_its_place() {
        let d = tempfile::tempdir().unwrap();
        let r = d.path();
        touch(&r.join("a.pcap"));
        symlink(r.join("a.pcap"), r.join("link.pcap")).unwrap();
        let got = expand(&[r.join("a.pcap"), r.to_owned(), r.join("./a.pcap")]);
        assert_eq!(shown(&got, r), ["a.pcap", "link.pcap"]);
        let a = r.join("a.pcap").display().to_string();
        assert_eq!(
            got.notes,
            [
                format!("`{a}` is named twice: checked once"),
                format!(
                    "`{}` is named twice: checked once",
                    r.join("./a.pcap").display()
                ),
            ]
        );
    }

    #[test]
    fn hidden_files_and_folders_are_skipped_and_counted() {
        let d = tempfile::tempdir().unwrap();
        let r = d.path();
        for f in [
            "a.pcap",
            ".tcplab-x1y2z3.pcapng",
            ".git/objects/b.pcap",
            "sub/.hidden.pcap",
            "sub/c.pcap",
        ] {
            touch(&r.join(f));
        }
        let got = expand(&[r.to_owned(), r.join(".tcplab-x1y2z3.pcapng")]);
        assert_eq!(
            shown(&got, r),
            ["a.pcap", "sub/c.pcap", ".tcplab-x1y2z3.pcapng"],
            "a hidden file named on the command line is checked"
        );
        assert_eq!(
            got.notes,
            [
                "3 hidden file(s) or folder(s) (names starting with `.`) were skipped, as git and ripgrep skip them: name one on the command line to check it"
            ]
        );
    }

    #[test]
    fn a_folder_inside_one_given_before_is_walked_once() {
        let d = tempfile::tempdir().unwrap();
        let r = d.path();
        touch(&r.join("alice/a.pcap"));
        touch(&r.join("bob/b.pcap"));
        let got = expand(&[r.join("alice"), r.to_owned(), r.join("bob")]);
        assert_eq!(shown(&got, r), ["alice/a.pcap", "bob/b.pcap"]);
        assert_eq!(got.notes.len(), 2, "{:?}", got.notes);
        assert!(
            got.notes
                .iter()
                .all(|n| n.ends_with("is named twice: walked once")),
            "{:?}",
            got.notes
        );
    }

    #[test]
    fn a_link_back_to_an_ancestor_is_a_note_not_a_hang() {
        let d = tempfile::tempdir().unwrap();
        let r = d.path();
        touch(&r.join("sub/a.pcap"));
        symlink("..", r.join("sub/back")).unwrap();
        symlink("self.pcap", r.join("self.pcap")).unwrap();
        symlink("loop", r.join("loop")).unwrap();
        let got = expand(&[r.to_owned()]);
        assert_eq!(
            shown(&got, r),
            [format!(
                "self.pcap !`{}` is a symbolic link loop (it leads back to itself, never to a file): replace the link with the capture itself",
                r.join("self.pcap").display()
            )
            .as_str(), "sub/a.pcap"]
        );
        assert_eq!(got.notes.len(), 2, "{:?}", got.notes);
        assert!(
            got.notes[0].contains("loop` is a symbolic link loop"),
            "{:?}",
            got.notes
        );
        assert!(
            got.notes[1].contains("back` leads back to"),
            "{:?}",
            got.notes
        );
        assert!(got.notes[1].contains("not followed"), "{:?}", got.notes);
    }

    #[test]
    fn bad_paths_keep_their_place_with_a_sentence() {
        let d = tempfile::tempdir().unwrap();
        let r = d.path();
        fs::create_dir(r.join("empty")).unwrap();
        touch(&r.join("ok.pcap"));
        let fifo = r.join("pipe.pcap");
        nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::S_IRWXU).unwrap();
        symlink("/nonexistent/gone", r.join("gone.pcapng")).unwrap();
        let got = expand(&[
            r.join("empty"),
            r.join("missing.pcap"),
            fifo.clone(),
            r.join("gone.pcapng"),
            r.join("ok.pcap"),
        ]);
        let s = shown(&got, r);
        assert_eq!(s.len(), 5, "{s:?}");
        assert!(
            s[0].starts_with("empty !the folder `") && s[0].contains("holds no capture"),
            "{s:?}"
        );
        assert!(s[1].starts_with("missing.pcap !cannot read `"), "{s:?}");
        assert!(
            s[2].contains("is a FIFO (named pipe), not a capture file"),
            "{s:?}"
        );
        assert!(s[3].contains("No such file or directory"), "{s:?}");
        assert_eq!(s[4], "ok.pcap");
    }
}
