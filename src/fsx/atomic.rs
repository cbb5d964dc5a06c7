//! Output files written all or nothing, never through a link.
//!
//! An [`AtomicFile`] is written in the target's own folder, as an unnamed
//! `O_TMPFILE` where the filesystem has them (nothing to clean up, even
//! after SIGKILL), else as a hidden `.tcplab-XXXXXXXXXX` file created with
//! `O_EXCL | O_NOFOLLOW` and removed when dropped. Nothing has the target's
//! name until [`AtomicFile::commit`] has found no write error and flushed
//! the file to disk; then `rename` (or `link`) puts it in place, which
//! replaces or refuses a directory entry but never follows a symbolic link
//! found there. Dropped without a commit, it leaves nothing.
//!
//! Everything after opening the folder is done relative to the folder's
//! descriptor (`openat`, `linkat`, `renameat`), so a link planted *inside*
//! the folder, or the folder renamed meanwhile, cannot send a byte
//! elsewhere. The folder's own path is followed as given: it is the
//! user's choice.

use std::ffi::{OsStr, OsString};
use std::fmt;
use std::fs::File;
use std::hash::{BuildHasher, Hasher};
use std::io::{self, Write};
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use nix::errno::Errno;
use nix::fcntl::{AT_FDCWD, AtFlags, OFlag, RenameFlags, openat, renameat, renameat2};
use nix::sys::stat::Mode;
use nix::unistd::{UnlinkatFlags, linkat, unlinkat};

use super::names::shown;

/// The step of writing an output file that failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// Creating the folder (and its parents).
    CreatingFolder,
    /// Opening the folder.
    OpeningFolder,
    /// Creating the temporary file in the folder.
    CreatingTemporary,
    /// Writing the data.
    Writing,
    /// Flushing the file to disk (where a full disk may show only now).
    Flushing,
    /// Giving the file its name.
    PuttingInPlace,
    /// Flushing the folder to disk, after the file was in place.
    FlushingFolder,
}

impl fmt::Display for Step {
    /// `while writing`, `while flushing it to disk`, ...
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Step::CreatingFolder => "while creating its folder",
            Step::OpeningFolder => "while opening its folder",
            Step::CreatingTemporary => "while creating a temporary file beside it",
            Step::Writing => "while writing",
            Step::Flushing => "while flushing it to disk",
            Step::PuttingInPlace => "while putting it in place",
            Step::FlushingFolder => "while flushing its folder to disk",
        })
    }
}

/// Why an output file could not be written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OutError {
    /// A name that is not one plain file name.
    #[error("`{name}` is not a plain file name ({why})")]
    BadName {
        /// The name, escaped with [`shown`].
        name: String,
        /// What is wrong with it.
        why: &'static str,
    },
    /// [`Existing::Refuse`], and the name is taken (by anything, a link too).
    #[error("`{name}` already exists")]
    Exists {
        /// The name, escaped with [`shown`].
        name: String,
    },
    /// The operating system refused a step.
    #[error("{source} {step}")]
    Io {
        /// The step that failed.
        step: Step,
        /// The operating system's reason.
        #[source]
        source: io::Error,
    },
}

fn io_err(step: Step) -> impl FnOnce(Errno) -> OutError {
    move |e| OutError::Io {
        step,
        source: io::Error::from(e),
    }
}

/// What to do when the final name is already taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Existing {
    /// Replace the directory entry (a file, or a link itself: never its target).
    Replace,
    /// Fail with [`OutError::Exists`], leaving it alone.
    Refuse,
}

/// How the temporary file is held.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Temp {
    /// An unnamed `O_TMPFILE` when the filesystem supports it, else [`Temp::Named`].
    Auto,
    /// A hidden `.tcplab-XXXXXXXXXX` file in the target's folder.
    Named,
}

/// Checks that `name` is one plain file name: not empty, not `.` or `..`,
/// no `/`, no NUL byte, at most 255 bytes.
pub fn check_name(name: &OsStr) -> Result<(), OutError> {
    let b = name.as_bytes();
    let why = if b.is_empty() {
        "it is empty"
    } else if b == b"." || b == b".." {
        "it names a folder"
    } else if b.contains(&b'/') {
        "it contains `/`"
    } else if b.contains(&0) {
        "it contains a NUL byte"
    } else if b.len() > NAME_MAX {
        "it is longer than 255 bytes"
    } else {
        return Ok(());
    };
    Err(OutError::BadName {
        name: shown(Path::new(name)),
        why,
    })
}

/// The longest file name Linux filesystems take, in bytes.
pub const NAME_MAX: usize = 255;

/// A folder that output files are put in, held open: every name is looked
/// up relative to it.
#[derive(Debug)]
pub struct OutDir {
    fd: OwnedFd,
}

impl OutDir {
    /// Opens the folder `path` (following links in `path` itself).
    pub fn open(path: &Path) -> Result<OutDir, OutError> {
        let flags = OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC;
        let fd =
            openat(AT_FDCWD, path, flags, Mode::empty()).map_err(io_err(Step::OpeningFolder))?;
        Ok(OutDir { fd })
    }

    /// Creates the folder `path` and its parents if missing, then opens it.
    pub fn create(path: &Path) -> Result<OutDir, OutError> {
        std::fs::create_dir_all(path).map_err(|source| OutError::Io {
            step: Step::CreatingFolder,
            source,
        })?;
        OutDir::open(path)
    }

    /// Starts writing the file `name` in this folder; `name` must pass
    /// [`check_name`].
    pub fn file(&self, name: &OsStr, existing: Existing) -> Result<AtomicFile, OutError> {
        self.file_with(name, existing, Temp::Auto)
    }

    /// [`OutDir::file`], choosing how the temporary file is held.
    pub fn file_with(
        &self,
        name: &OsStr,
        existing: Existing,
        temp: Temp,
    ) -> Result<AtomicFile, OutError> {
        check_name(name)?;
        let dir = self.fd.try_clone().map_err(|source| OutError::Io {
            step: Step::OpeningFolder,
            source,
        })?;
        AtomicFile::start(dir, name.to_owned(), existing, temp)
    }
}

/// An output file being written; see the module documentation.
#[derive(Debug)]
pub struct AtomicFile {
    file: File,
    dir: OwnedFd,
    name: OsString,
    existing: Existing,
    /// The hidden name while it has one.
    temp_name: Option<OsString>,
    /// The first write error, so that the commit fails even if it was ignored.
    failed: Option<io::Error>,
}

impl AtomicFile {
    /// Starts writing `target`, to replace whatever has that name when
    /// committed (a symbolic link there is replaced, not followed).
    pub fn create(target: &Path) -> Result<AtomicFile, OutError> {
        AtomicFile::create_with(target, Temp::Auto)
    }

    /// [`AtomicFile::create`], choosing how the temporary file is held.
    pub fn create_with(target: &Path, temp: Temp) -> Result<AtomicFile, OutError> {
        let (dir, name) = split(target)?;
        OutDir::open(dir)?.file_with(name, Existing::Replace, temp)
    }

    fn start(
        dir: OwnedFd,
        name: OsString,
        existing: Existing,
        temp: Temp,
    ) -> Result<AtomicFile, OutError> {
        let mode = Mode::from_bits_truncate(0o666);
        let held = |fd: OwnedFd, temp_name| AtomicFile {
            file: File::from(fd),
            dir: dir
                .try_clone()
                .expect("a folder descriptor can be duplicated"),
            name: name.clone(),
            existing,
            temp_name,
            failed: None,
        };
        if temp == Temp::Auto {
            let flags = OFlag::O_TMPFILE | OFlag::O_RDWR | OFlag::O_CLOEXEC;
            match openat(&dir, ".", flags, mode) {
                Ok(fd) => return Ok(held(fd, None)),
                // No O_TMPFILE on this filesystem (EISDIR: a kernel without it).
                Err(Errno::EOPNOTSUPP | Errno::EISDIR | Errno::EINVAL) => {}
                Err(e) => return Err(io_err(Step::CreatingTemporary)(e)),
            }
        }
        let flags =
            OFlag::O_CREAT | OFlag::O_EXCL | OFlag::O_NOFOLLOW | OFlag::O_RDWR | OFlag::O_CLOEXEC;
        let (fd, temp_name) =
            with_fresh_name(|n| openat(&dir, n, flags, mode).map(|fd| (fd, n.to_owned())))
                .map_err(io_err(Step::CreatingTemporary))?;
        Ok(held(fd, Some(temp_name)))
    }

    /// The file being written, for reading it back (`pread` keeps the
    /// write position). Writes made through it escape the error tracking:
    /// write through the `AtomicFile` itself.
    pub fn file(&self) -> &File {
        &self.file
    }

    /// Whether the file has no name yet (`O_TMPFILE`).
    pub fn is_unnamed(&self) -> bool {
        self.temp_name.is_none()
    }

    /// A path by which a child process can open this file while this
    /// `AtomicFile` lives: see [`fd_path`].
    pub fn proc_path(&self) -> PathBuf {
        fd_path(&self.file)
    }

    /// Checks that every write made through the `AtomicFile` succeeded,
    /// flushes the file to disk (`fsync`: a delayed write error or a full
    /// disk shows here), then gives it its name and flushes the folder. On
    /// an error before the naming, nothing has the name (the old file, if
    /// any, is still there) and the temporary file is gone.
    pub fn commit(mut self) -> Result<(), OutError> {
        if let Some(source) = self.failed.take() {
            return Err(OutError::Io {
                step: Step::Writing,
                source,
            });
        }
        self.file.sync_all().map_err(|source| OutError::Io {
            step: Step::Flushing,
            source,
        })?;
        let name = self.name.clone();
        match self.temp_name.clone() {
            None => self.link_unnamed(&name)?,
            Some(temp) => {
                let r = match self.existing {
                    Existing::Replace => {
                        renameat(&self.dir, temp.as_os_str(), &self.dir, name.as_os_str())
                    }
                    Existing::Refuse => rename_noreplace(&self.dir, &temp, &name),
                };
                r.map_err(|e| self.put_in_place_error(e))?;
                self.temp_name = None;
            }
        }
        nix::unistd::fsync(&self.dir).map_err(io_err(Step::FlushingFolder))
    }

    /// Gives the unnamed file a name: directly when refusing an existing
    /// one (`linkat` never replaces), else a hidden name first, then
    /// `rename` over the target.
    fn link_unnamed(&mut self, name: &OsStr) -> Result<(), OutError> {
        if self.existing == Existing::Refuse {
            return self.link_to(name).map_err(|e| self.put_in_place_error(e));
        }
        let temp = with_fresh_name(|n| self.link_to(n).map(|()| n.to_owned()))
            .map_err(io_err(Step::PuttingInPlace))?;
        self.temp_name = Some(temp.clone());
        renameat(&self.dir, temp.as_os_str(), &self.dir, name)
            .map_err(|e| self.put_in_place_error(e))?;
        self.temp_name = None;
        Ok(())
    }

    /// Links the open file under `name` in the folder: through
    /// `/proc/self/fd` (any user), else with `AT_EMPTY_PATH` (which needs
    /// `CAP_DAC_READ_SEARCH`), for when /proc is not mounted.
    fn link_to(&self, name: &OsStr) -> nix::Result<()> {
        let proc = format!("/proc/self/fd/{}", self.file.as_raw_fd());
        match linkat(
            AT_FDCWD,
            proc.as_str(),
            &self.dir,
            name,
            AtFlags::AT_SYMLINK_FOLLOW,
        ) {
            Err(Errno::ENOENT) if !Path::new("/proc/self/fd").exists() => {
                linkat(&self.file, "", &self.dir, name, AtFlags::AT_EMPTY_PATH)
            }
            r => r,
        }
    }

    fn put_in_place_error(&self, e: Errno) -> OutError {
        if e == Errno::EEXIST && self.existing == Existing::Refuse {
            OutError::Exists {
                name: shown(Path::new(&self.name)),
            }
        } else {
            io_err(Step::PuttingInPlace)(e)
        }
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let r = self.file.write(buf);
        if let Err(e) = &r {
            if e.kind() != io::ErrorKind::Interrupted && self.failed.is_none() {
                self.failed = Some(match e.raw_os_error() {
                    Some(code) => io::Error::from_raw_os_error(code),
                    None => io::Error::from(e.kind()),
                });
            }
        }
        r
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if let Some(temp) = &self.temp_name {
            let _ = unlinkat(&self.dir, temp.as_os_str(), UnlinkatFlags::NoRemoveDir);
        }
    }
}

/// `renameat2(RENAME_NOREPLACE)`, or, on a filesystem without it, `linkat`
/// (which never replaces) then `unlinkat` of the old name.
fn rename_noreplace(dir: &OwnedFd, from: &OsStr, to: &OsStr) -> nix::Result<()> {
    match renameat2(dir, from, dir, to, RenameFlags::RENAME_NOREPLACE) {
        Err(Errno::EINVAL | Errno::ENOSYS) => {
            linkat(dir, from, dir, to, AtFlags::empty())?;
            unlinkat(dir, from, UnlinkatFlags::NoRemoveDir)
        }
        r => r,
    }
}

/// Tries `f` with fresh hidden names `.tcplab-XXXXXXXXXX` until one is not
/// taken (a hundred tries).
fn with_fresh_name<T>(mut f: impl FnMut(&OsStr) -> nix::Result<T>) -> nix::Result<T> {
    for _ in 0..100 {
        match f(OsStr::new(&fresh_name())) {
            Err(Errno::EEXIST) => {}
            r => return r,
        }
    }
    Err(Errno::EEXIST)
}

/// `.tcplab-` and ten random lowercase letters and digits.
fn fresh_name() -> String {
    // RandomState is seeded from the OS; a counter keeps calls apart.
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let mut h = std::hash::RandomState::new().build_hasher();
    h.write_u64(COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed));
    h.write_u32(std::process::id());
    let mut x = h.finish();
    let alphabet = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut s = String::from(".tcplab-");
    for _ in 0..10 {
        s.push(alphabet[(x % 36) as usize] as char);
        x /= 36;
    }
    s
}

/// The folder and the file name of `target`; the name must pass
/// [`check_name`] (so `x/..` and `/` are refused); a bare name is in `.`.
fn split(target: &Path) -> Result<(&Path, &OsStr), OutError> {
    let bytes = target.as_os_str().as_bytes();
    if bytes.ends_with(b"/") {
        return Err(OutError::BadName {
            name: shown(target),
            why: "it ends with `/`",
        });
    }
    let name = match bytes.iter().rposition(|&b| b == b'/') {
        Some(i) => OsStr::from_bytes(&bytes[i + 1..]),
        None => target.as_os_str(),
    };
    check_name(name)?;
    let dir = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    Ok((dir, name))
}

/// A path by which a child process can open the descriptor `fd` that this
/// process holds: `/proc/<pid>/fd/<n>`. (`/proc/self/fd/<n>` would name
/// the child's own descriptor, and Rust opens every descriptor
/// close-on-exec, so the child does not have it.) It is valid while `fd`
/// stays open, for a child that may read this process's /proc entries
/// (the same user, or root); opening it checks the file's own permissions
/// again. It is always UTF-8, whatever the file's name.
pub fn fd_path(fd: &impl AsFd) -> PathBuf {
    PathBuf::from(format!(
        "/proc/{}/fd/{}",
        std::process::id(),
        fd.as_fd().as_raw_fd()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;
    use std::io::Read;
    use std::os::unix::fs::symlink;

    fn names_in(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[rstest]
    fn a_committed_file_replaces_the_old_one(#[values(Temp::Auto, Temp::Named)] temp: Temp) {
        let d = tempfile::tempdir().unwrap();
        let target = d.path().join("out.csv");
        std::fs::write(&target, "old").unwrap();
        let mut f = AtomicFile::create_with(&target, temp).unwrap();
        assert_eq!(
            f.is_unnamed(),
            temp == Temp::Auto,
            "ext4 and tmpfs have O_TMPFILE"
        );
        f.write_all(b"new").unwrap();
        assert_eq!(
            std::fs::read_to_string(&target).unwrap(),
            "old",
            "not before the commit"
        );
        f.commit().unwrap();
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "new");
        assert_eq!(names_in(d.path()), ["out.csv"]);
    }

    #[rstest]
    fn dropped_without_commit_leaves_nothing(#[values(Temp::Auto, Temp::Named)] temp: Temp) {
        let d = tempfile::tempdir().unwrap();
        let mut f = AtomicFile::create_with(&d.path().join("out.csv"), temp).unwrap();
        f.write_all(b"half").unwrap();
        drop(f);
        assert!(names_in(d.path()).is_empty());
    }

    #[rstest]
    fn a_link_planted_at_the_target_is_replaced_not_followed(
        #[values(Temp::Auto, Temp::Named)] temp: Temp,
    ) {
        let d = tempfile::tempdir().unwrap();
        let victim = d.path().join("victim");
        std::fs::write(&victim, "precious").unwrap();
        let target = d.path().join("out.csv");
        symlink(&victim, &target).unwrap();
        let mut f = AtomicFile::create_with(&target, temp).unwrap();
        f.write_all(b"report").unwrap();
        f.commit().unwrap();
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
        assert!(std::fs::symlink_metadata(&target).unwrap().is_file());
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "report");
    }

    #[rstest]
    fn a_dangling_link_is_replaced_and_creates_nothing_elsewhere(
        #[values(Temp::Auto, Temp::Named)] temp: Temp,
    ) {
        let d = tempfile::tempdir().unwrap();
        let elsewhere = d.path().join("elsewhere");
        std::fs::create_dir(&elsewhere).unwrap();
        let target = d.path().join("out.csv");
        symlink(elsewhere.join("planted"), &target).unwrap();
        let mut f = AtomicFile::create_with(&target, temp).unwrap();
        f.write_all(b"report").unwrap();
        f.commit().unwrap();
        assert!(names_in(&elsewhere).is_empty());
        assert!(std::fs::symlink_metadata(&target).unwrap().is_file());
    }

    #[rstest]
    fn refuse_keeps_a_taken_name_even_a_link(#[values(Temp::Auto, Temp::Named)] temp: Temp) {
        let d = tempfile::tempdir().unwrap();
        let out = OutDir::open(d.path()).unwrap();
        let elsewhere = tempfile::tempdir().unwrap();
        symlink(elsewhere.path().join("x.svg"), d.path().join("planted.svg")).unwrap();
        let mut f = out
            .file_with(OsStr::new("planted.svg"), Existing::Refuse, temp)
            .unwrap();
        f.write_all(b"<svg/>").unwrap();
        let err = f.commit().unwrap_err();
        assert!(matches!(err, OutError::Exists { .. }), "{err}");
        assert!(names_in(elsewhere.path()).is_empty());
        assert_eq!(names_in(d.path()), ["planted.svg"], "no temporary left");
    }

    #[test]
    fn a_folder_that_is_moved_meanwhile_keeps_its_files() {
        // The folder is held open: swapping its path for a link to another
        // folder does not redirect the file.
        let d = tempfile::tempdir().unwrap();
        let pics = d.path().join("pics");
        std::fs::create_dir(&pics).unwrap();
        let out = OutDir::open(&pics).unwrap();
        let decoy = d.path().join("decoy");
        std::fs::create_dir(&decoy).unwrap();
        std::fs::rename(&pics, d.path().join("moved")).unwrap();
        symlink(&decoy, &pics).unwrap();
        let mut f = out.file(OsStr::new("a.svg"), Existing::Replace).unwrap();
        f.write_all(b"x").unwrap();
        f.commit().unwrap();
        assert!(names_in(&decoy).is_empty());
        assert_eq!(names_in(&d.path().join("moved")), ["a.svg"]);
    }

    #[rstest]
    #[case(b"", false)]
    #[case(b".", false)]
    #[case(b"..", false)]
    #[case(b"../x.svg", false)]
    #[case(b"a/b.svg", false)]
    #[case(b"nul\0.svg", false)]
    #[case(&[b'a'; 256], false)]
    #[case(&[b'a'; 255], true)]
    #[case(b"a..b.svg", true)]
    #[case(b"\xff\n.svg", true)]
    fn names_are_checked(#[case] name: &[u8], #[case] ok: bool) {
        let r = check_name(OsStr::from_bytes(name));
        assert_eq!(r.is_ok(), ok, "{r:?}");
        if let Err(e) = r {
            assert!(!e.to_string().contains(['\0', '\n']), "{e}");
        }
    }

    #[rstest]
    #[case("/")]
    #[case("x/..")]
    #[case("x/")]
    #[case("")]
    fn targets_must_end_in_a_file_name(#[case] t: &str) {
        assert!(matches!(
            AtomicFile::create(Path::new(t)),
            Err(OutError::BadName { .. })
        ));
    }

    #[test]
    fn a_write_error_that_was_ignored_still_fails_the_commit() {
        let d = tempfile::tempdir().unwrap();
        let mut f = AtomicFile::create(&d.path().join("x")).unwrap();
        f.failed = Some(io::Error::from_raw_os_error(nix::libc::ENOSPC));
        let err = f.commit().unwrap_err();
        assert!(
            matches!(
                err,
                OutError::Io {
                    step: Step::Writing,
                    ..
                }
            ),
            "{err}"
        );
        assert_eq!(
            err.to_string(),
            "No space left on device (os error 28) while writing"
        );
        assert!(names_in(d.path()).is_empty());
    }

    #[test]
    fn another_process_reads_a_descriptor_by_its_proc_path() {
        let mut f = tempfile::tempfile().unwrap();
        f.write_all(b"held").unwrap();
        let p = fd_path(&f);
        assert!(p.starts_with(format!("/proc/{}/fd", std::process::id())));
        let out = std::process::Command::new("cat").arg(&p).output().unwrap();
        assert_eq!(out.stdout, b"held");
        let mut again = String::new();
        File::open(&p).unwrap().read_to_string(&mut again).unwrap();
        assert_eq!(again, "held");
    }
}
