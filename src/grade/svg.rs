//! The pictures of a batch (ladders or time-sequence graphs, see
//! [`crate::report::Graph`]): one SVG per usable file, into a folder.
//! Each picture is named after its file's path below the folder all the
//! files share, separators turned into `_`, plus `.svg`
//! (`subs/alice/lab.pcapng` and `subs/bob/lab.pcapng` give
//! `alice_lab.pcapng.svg` and `bob_lab.pcapng.svg`); a name taken twice
//! gets `-2`, `-3`, ... before `.svg`.
//!
//! Names are made safe: control characters and bytes that are not UTF-8
//! are escaped as [`crate::fsx::shown`] does, and a name too long for the
//! filesystem is cut, with a hash of the whole name to keep it unique.
//! Pictures never leave the folder: each is written to a temporary file
//! in it, then renamed over its name, so a symbolic link planted there is
//! replaced, never followed.

use std::collections::HashSet;
use std::ffi::OsStr;
use std::io::Write;
use std::path::{Component, Path, PathBuf};

use super::Grades;
use crate::fsx::atomic::NAME_MAX;
use crate::fsx::{Existing, OutDir, OutError, shown};
use crate::report::Graph;

/// The picture's file name for each file (in order).
pub fn picture_names(files: &[&Path]) -> Vec<String> {
    let parts: Vec<Vec<String>> = files
        .iter()
        .map(|p| {
            p.components()
                .filter_map(|c| match c {
                    Component::Normal(s) => Some(shown(Path::new(s))),
                    _ => None,
                })
                .collect()
        })
        .collect();
    // Folders every file shares (never the file name itself).
    let shared = (0..)
        .take_while(|&k| {
            parts.iter().all(|p| k + 1 < p.len()) && parts.iter().all(|p| p[k] == parts[0][k])
        })
        .count();
    let mut taken = HashSet::new();
    parts
        .iter()
        .map(|p| {
            let stem = short(&p[shared.min(p.len().saturating_sub(1))..].join("_"));
            let mut name = format!("{stem}.svg");
            let mut k = 2;
            while !taken.insert(name.clone()) {
                name = format!("{stem}-{k}.svg");
                k += 1;
            }
            name
        })
        .collect()
}

/// The longest stem kept whole: room for `-NNN.svg` within [`NAME_MAX`].
const STEM_MAX: usize = NAME_MAX - 16;

/// `stem`, or, when it is too long for a file name, its first bytes (up
/// to a character) and `~` with a hash of the whole (FNV-1a, so that the
/// name is the same on every run).
fn short(stem: &str) -> String {
    if stem.len() <= STEM_MAX {
        return stem.to_owned();
    }
    let hash = stem.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    let mut cut = STEM_MAX - 17;
    while !stem.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}~{hash:016x}", &stem[..cut])
}

/// Writes one picture per usable file into `dir` (created if missing),
/// the `graph` chosen for each file on its own; returns the pictures
/// written.
pub fn write_pictures(dir: &Path, grades: &Grades, graph: Graph) -> Result<Vec<PathBuf>, OutError> {
    let out = OutDir::create(dir)?;
    let usable: Vec<_> = grades
        .files
        .iter()
        .filter_map(|f| f.outcome.as_ref().ok().map(|c| (f, &c.connections)))
        .collect();
    let paths: Vec<&Path> = usable.iter().map(|(f, _)| f.file.as_path()).collect();
    let mut written = Vec::new();
    for ((_, items), name) in usable.iter().zip(picture_names(&paths)) {
        let mut file = out.file(OsStr::new(&name), Existing::Replace)?;
        // A write error is kept by the file and reported by the commit.
        let _ = file.write_all(graph.render(items).as_bytes());
        file.commit()?;
        written.push(dir.join(name));
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case::students(&["subs/alice/lab.pcapng", "subs/bob/lab.pcapng"], &["alice_lab.pcapng.svg", "bob_lab.pcapng.svg"])]
    #[case::one_folder(&["/tmp/x/a.pcap", "/tmp/x/b.pcap"], &["a.pcap.svg", "b.pcap.svg"])]
    #[case::one_file(&["/tmp/x/a.pcap"], &["a.pcap.svg"])]
    #[case::nothing_shared(&["a.pcap", "../b/a.pcap"], &["a.pcap.svg", "b_a.pcap.svg"])]
    #[case::clash(&["x/a_b.pcap", "x/a/b.pcap"], &["a_b.pcap.svg", "a_b.pcap-2.svg"])]
    #[case::controls(&["x/a\nb\x1b[2J.pcap", "x/c.pcap"], &["a\\nb\\x1b[2J.pcap.svg", "c.pcap.svg"])]
    fn names_are_unique_and_stay_in_the_folder(#[case] files: &[&str], #[case] want: &[&str]) {
        let paths: Vec<&Path> = files.iter().map(Path::new).collect();
        assert_eq!(picture_names(&paths), want);
    }

    #[test]
    fn names_not_utf8_stay_apart_and_long_ones_are_cut() {
        use std::os::unix::ffi::OsStrExt;
        let latin1 = |b: &[u8]| Path::new(OsStr::from_bytes(b)).to_owned();
        let long = "x".repeat(250);
        let long2 = format!("{long}y");
        let files = [
            latin1(b"s/M\xfcller.pcapng"),
            latin1(b"s/M\xfdller.pcapng"),
            Path::new("s").join(&long),
            Path::new("s").join(&long2),
        ];
        let paths: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
        let names = picture_names(&paths);
        assert_eq!(
            names[..2],
            ["M\\xfcller.pcapng.svg", "M\\xfdller.pcapng.svg"]
        );
        assert!(names[2..].iter().all(|n| n.len() <= NAME_MAX), "{names:?}");
        assert_ne!(names[2], names[3], "the hash keeps them apart");
        assert!(names[2].starts_with("xxxx") && names[2].ends_with(".svg"));
    }

    #[test]
    fn a_link_planted_in_the_folder_is_replaced_not_followed() {
        let d = tempfile::tempdir().unwrap();
        let out = d.path().join("pictures");
        std::fs::create_dir(&out).unwrap();
        let victim = d.path().join("victim.txt");
        std::fs::write(&victim, "precious").unwrap();
        std::os::unix::fs::symlink("../victim.txt", out.join("alice_lab.pcapng.svg")).unwrap();
        std::os::unix::fs::symlink("../created.txt", out.join("bob_lab.pcapng.svg")).unwrap();
        write_pictures(&out, &crate::grade::tests::three_files(), Graph::Auto).unwrap();
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
        assert!(!d.path().join("created.txt").exists());
        for name in ["alice_lab.pcapng.svg", "bob_lab.pcapng.svg"] {
            assert!(std::fs::symlink_metadata(out.join(name)).unwrap().is_file());
        }
    }

    #[test]
    fn one_picture_per_usable_file() {
        let d = tempfile::tempdir().unwrap();
        let out = d.path().join("pictures");
        let written =
            write_pictures(&out, &crate::grade::tests::three_files(), Graph::Auto).unwrap();
        let names: Vec<String> = written
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["alice_lab.pcapng.svg", "bob_lab.pcapng.svg"]);
        let svg = std::fs::read_to_string(&written[0]).unwrap();
        crate::report::assert_well_formed(&svg);
    }
}
