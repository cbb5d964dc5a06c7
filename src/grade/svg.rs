//! The ladder pictures of a batch: one SVG per usable file, into a folder.
//! Each picture is named after its file's path below the folder all the
//! files share, separators turned into `_`, plus `.svg`
//! (`subs/alice/lab.pcapng` and `subs/bob/lab.pcapng` give
//! `alice_lab.pcapng.svg` and `bob_lab.pcapng.svg`); a name taken twice
//! gets `-2`, `-3`, ... before `.svg`.

use std::collections::HashSet;
use std::io;
use std::path::{Component, Path, PathBuf};

use super::Grades;
use crate::report::svg::render_svg;

/// The picture's file name for each file (in order).
pub fn picture_names(files: &[&Path]) -> Vec<String> {
    let parts: Vec<Vec<String>> = files
        .iter()
        .map(|p| {
            p.components()
                .filter_map(|c| match c {
                    Component::Normal(s) => Some(s.to_string_lossy().into_owned()),
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
            let stem = p[shared.min(p.len().saturating_sub(1))..].join("_");
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

/// Writes one ladder picture per usable file into `dir` (created if
/// missing); returns the pictures written.
pub fn write_pictures(dir: &Path, grades: &Grades) -> io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let usable: Vec<_> = grades
        .files
        .iter()
        .filter_map(|f| f.outcome.as_ref().ok().map(|c| (f, &c.connections)))
        .collect();
    let paths: Vec<&Path> = usable.iter().map(|(f, _)| f.file.as_path()).collect();
    let mut written = Vec::new();
    for ((_, items), name) in usable.iter().zip(picture_names(&paths)) {
        let path = dir.join(name);
        std::fs::write(&path, render_svg(items))?;
        written.push(path);
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
    fn names_are_unique_and_stay_in_the_folder(#[case] files: &[&str], #[case] want: &[&str]) {
        let paths: Vec<&Path> = files.iter().map(Path::new).collect();
        assert_eq!(picture_names(&paths), want);
    }

    #[test]
    fn one_picture_per_usable_file() {
        let d = tempfile::tempdir().unwrap();
        let out = d.path().join("pictures");
        let written = write_pictures(&out, &crate::grade::tests::three_files()).unwrap();
        let names: Vec<String> = written
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["alice_lab.pcapng.svg", "bob_lab.pcapng.svg"]);
        let svg = std::fs::read_to_string(&written[0]).unwrap();
        crate::report::assert_well_formed(&svg);
    }
}
