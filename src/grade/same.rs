//! Hand-ins that are the same capture: one file reached by two paths (a
//! symbolic or hard link), or two files with the same bytes (a copy). Each
//! is checked once; every path keeps its row, and the rows say so, since a
//! copied hand-in is what a teacher most wants to see.
//!
//! Files are compared by device and inode first; files of equal size are
//! then hashed, and files of equal hash compared byte by byte, so a hash
//! collision never makes two hand-ins one. Reading stays bounded: 64 KiB
//! at a time, and only files whose size another file shares.

use std::collections::HashMap;
use std::collections::hash_map::DefaultHasher;
use std::fs::File;
use std::hash::Hasher;
use std::io::{self, Read};
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use serde::{Deserialize, Serialize};

/// How two hand-ins are the same.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sameness {
    /// One file under two paths: a symbolic or hard link.
    File,
    /// Two files with the same bytes: a copy.
    Content,
}

impl Sameness {
    /// `is the same file as` or `has the same content as`.
    pub fn phrase(self) -> &'static str {
        match self {
            Sameness::File => "is the same file as",
            Sameness::Content => "has the same content as",
        }
    }

    /// `same file as` or `same content as`, for a table cell.
    pub fn short(self) -> &'static str {
        match self {
            Sameness::File => "same file as",
            Sameness::Content => "same content as",
        }
    }
}

/// What [`originals`] knows of one path.
struct Known {
    inode: (u64, u64),
    size: u64,
}

/// For each path, in order: the first earlier path that is the same
/// capture (its index), and how it is the same; `None` for a path seen
/// first, or that cannot be read (its own check then says why).
pub fn originals(paths: &[&Path]) -> Vec<Option<(usize, Sameness)>> {
    let known: Vec<Option<Known>> = paths
        .iter()
        .map(|p| {
            std::fs::metadata(p)
                .ok()
                .filter(|m| m.is_file())
                .map(|m| Known {
                    inode: (m.dev(), m.ino()),
                    size: m.len(),
                })
        })
        .collect();
    let mut out = vec![None; paths.len()];
    // The first path of each inode, then of each content.
    let mut by_inode: HashMap<(u64, u64), usize> = HashMap::new();
    let mut by_size: HashMap<u64, Vec<usize>> = HashMap::new();
    for (i, k) in known.iter().enumerate() {
        let Some(k) = k else { continue };
        match by_inode.get(&k.inode) {
            Some(&first) => out[i] = Some(first),
            None => {
                by_inode.insert(k.inode, i);
                by_size.entry(k.size).or_default().push(i);
            }
        }
    }
    let mut content: Vec<Option<usize>> = vec![None; paths.len()];
    for (size, group) in by_size {
        if group.len() < 2 || size == 0 {
            continue;
        }
        let mut by_hash: HashMap<u64, Vec<usize>> = HashMap::new();
        for &i in &group {
            if let Ok(h) = hash(paths[i]) {
                by_hash.entry(h).or_default().push(i);
            }
        }
        for same_hash in by_hash.values() {
            // Each is compared with the earlier distinct contents of its hash.
            let mut firsts: Vec<usize> = vec![];
            for &i in same_hash {
                match firsts
                    .iter()
                    .find(|&&f| same_bytes(paths[f], paths[i]).unwrap_or(false))
                {
                    Some(&f) => content[i] = Some(f),
                    None => firsts.push(i),
                }
            }
        }
    }
    // Every path points at the first path of its capture.
    let root = |i: usize| {
        let i = out[i].unwrap_or(i);
        content[i].unwrap_or(i)
    };
    (0..paths.len())
        .map(|i| {
            known[i].as_ref()?;
            let r = root(i);
            let same_inode =
                known[r].as_ref().map(|k| k.inode) == known[i].as_ref().map(|k| k.inode);
            (r != i).then_some((
                r,
                if same_inode {
                    Sameness::File
                } else {
                    Sameness::Content
                },
            ))
        })
        .collect()
}

/// How `a` and `b` are the same, if they are (for two paths already known
/// to be one capture: by inode, else by content).
pub fn how(a: &Path, b: &Path) -> Sameness {
    let inode = |p: &Path| std::fs::metadata(p).ok().map(|m| (m.dev(), m.ino()));
    if inode(a).is_some() && inode(a) == inode(b) {
        Sameness::File
    } else {
        Sameness::Content
    }
}

const CHUNK: usize = 64 * 1024;

fn hash(path: &Path) -> io::Result<u64> {
    let mut f = File::open(path)?;
    let mut h = DefaultHasher::new();
    let mut buf = vec![0; CHUNK];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            return Ok(h.finish());
        }
        h.write(&buf[..n]);
    }
}

fn same_bytes(a: &Path, b: &Path) -> io::Result<bool> {
    let (mut fa, mut fb) = (File::open(a)?, File::open(b)?);
    let (mut ba, mut bb) = (vec![0; CHUNK], vec![0; CHUNK]);
    loop {
        let na = fill(&mut fa, &mut ba)?;
        let nb = fill(&mut fb, &mut bb)?;
        if na != nb || ba[..na] != bb[..nb] {
            return Ok(false);
        }
        if na == 0 {
            return Ok(true);
        }
    }
}

fn fill(f: &mut File, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match f.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    #[test]
    fn links_and_copies_point_at_the_first_path() {
        let d = tempfile::tempdir().unwrap();
        let p = |n: &str| d.path().join(n);
        std::fs::write(p("alice"), b"capture A").unwrap();
        std::fs::write(p("bob"), b"capture B").unwrap(); // same size, other bytes
        symlink("alice", p("aaron")).unwrap();
        std::fs::write(p("carol"), b"capture A").unwrap(); // a copy
        std::fs::hard_link(p("carol"), p("dan")).unwrap();
        std::fs::write(p("empty1"), b"").unwrap();
        std::fs::write(p("empty2"), b"").unwrap();
        let names = [
            "alice", "bob", "aaron", "carol", "dan", "gone", "empty1", "empty2",
        ];
        let paths: Vec<_> = names.iter().map(|n| p(n)).collect();
        let refs: Vec<&Path> = paths.iter().map(|p| p.as_path()).collect();
        assert_eq!(
            originals(&refs),
            [
                None,
                None,
                Some((0, Sameness::File)),
                Some((0, Sameness::Content)),
                Some((0, Sameness::Content)),
                None,
                None,
                None, // empty files are unusable each on its own
            ]
        );
        assert_eq!(how(&p("carol"), &p("dan")), Sameness::File);
        assert_eq!(how(&p("alice"), &p("carol")), Sameness::Content);
    }
}
