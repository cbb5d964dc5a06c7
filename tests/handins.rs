//! Hand-ins as students really hand them in: copies and links of each
//! other, names from a Windows zip, names with control characters, names
//! that start a spreadsheet formula, names too long, and tcplab's own
//! hidden leftovers beside them. Every hand-in keeps its row, every name
//! prints safely, and nothing but a hand-in is graded.

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStringExt;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

mod common;
use common::{tcplab, tcplab_in};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn put(to: &Path, fixture_name: &str) {
    std::fs::create_dir_all(to.parent().unwrap()).unwrap();
    std::fs::copy(fixture(fixture_name), to).unwrap();
}

fn json(out: &str, err: &str) -> Value {
    serde_json::from_str(out).unwrap_or_else(|e| panic!("not JSON ({e}): {out}\n{err}"))
}

/// `subs/aaron/lab.pcapng -> ../alice/lab.pcapng`, and bob's a byte-for-byte
/// copy of alice's: three rows, one check, and every row says which
/// others are the same capture.
#[test]
fn every_hand_in_keeps_its_row_and_copies_are_named() {
    let d = tempfile::tempdir().unwrap();
    let subs = d.path().join("subs");
    put(&subs.join("alice/lab.pcapng"), "four-segment.pcapng");
    put(&subs.join("bob/lab.pcapng"), "four-segment.pcapng");
    put(&subs.join("carol/lab.pcapng"), "three-segment.pcapng");
    std::fs::create_dir(subs.join("aaron")).unwrap();
    symlink("../alice/lab.pcapng", subs.join("aaron/lab.pcapng")).unwrap();
    let p = |who: &str| subs.join(who).join("lab.pcapng");
    let csv = d.path().join("grades.csv");
    let (code, out, err) = tcplab(&["check", s(&subs), "--json", "--csv", s(&csv)]);
    assert_eq!(code, 0, "{err}");
    let v = json(&out, &err);
    let files = v["files"].as_array().unwrap();
    let names: Vec<&str> = files.iter().map(|f| f["file"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        [s(&p("aaron")), s(&p("alice")), s(&p("bob")), s(&p("carol"))]
    );
    let same = |f: &Value| -> Vec<(String, String)> {
        f["same_as"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| {
                (
                    x["file"].as_str().unwrap().to_owned(),
                    x["same"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };
    let pair = |who: &str, how: &str| (s(&p(who)).to_owned(), how.to_owned());
    assert_eq!(
        same(&files[0]),
        [pair("alice", "file"), pair("bob", "content")]
    );
    assert_eq!(
        same(&files[1]),
        [pair("aaron", "file"), pair("bob", "content")]
    );
    assert_eq!(
        same(&files[2]),
        [pair("aaron", "content"), pair("alice", "content")]
    );
    assert_eq!(same(&files[3]), []);
    for f in &files[..3] {
        assert_eq!(f["passed"], true);
        assert_eq!(
            f["connections"], files[0]["connections"],
            "one grade for one capture"
        );
    }
    assert_eq!(
        v["notes"],
        serde_json::json!([
            format!(
                "`{}` is the same file as `{}`: checked once, each keeps its row",
                s(&p("alice")),
                s(&p("aaron"))
            ),
            format!(
                "`{}` has the same content as `{}`: checked once, each keeps its row",
                s(&p("bob")),
                s(&p("aaron"))
            ),
        ])
    );
    for n in v["notes"].as_array().unwrap() {
        assert!(
            err.contains(&format!("tcplab: {}\n", n.as_str().unwrap())),
            "{err}"
        );
    }
    let csv = std::fs::read_to_string(&csv).unwrap();
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(rows.len(), 5, "{csv}");
    assert!(rows[0].ends_with(",result,reason,same_as"), "{csv}");
    assert!(
        rows[2].starts_with(s(&p("alice")))
            && rows[2].ends_with(&format!(
                ",PASS,,same file as {}; same content as {}",
                s(&p("aaron")),
                s(&p("bob"))
            )),
        "{csv}"
    );
    // The table shows it too.
    let (_, text, _) = tcplab(&["check", s(&subs)]);
    let row = text
        .lines()
        .find(|l| l.starts_with(s(&p("bob"))))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        row.ends_with(&format!(
            "PASS (same content as {}, {})",
            s(&p("aaron")),
            s(&p("alice"))
        )),
        "{row}"
    );
}

/// Hidden files and folders (tcplab's own `.tcplab-*` leftovers, `.git`)
/// are not hand-ins: skipped, with the count in a note.
#[test]
fn hidden_files_and_folders_are_not_graded() {
    let d = tempfile::tempdir().unwrap();
    let r = d.path();
    put(&r.join("alice/lab.pcapng"), "four-segment.pcapng");
    put(
        &r.join("alice/.tcplab-k2j4h5g6f7.pcapng"),
        "truncated.pcapng",
    );
    put(&r.join(".git/objects/lab.pcapng"), "seed-client-rst.pcapng");
    let (code, out, err) = tcplab(&["check", s(r), "--json"]);
    assert_eq!(code, 0, "{out}\n{err}");
    let v = json(&out, &err);
    assert_eq!(v["files"].as_array().unwrap().len(), 1, "{v:#}");
    let note = "2 hidden file(s) or folder(s) (names starting with `.`) were skipped, as git and ripgrep skip them: name one on the command line to check it";
    assert_eq!(v["notes"], serde_json::json!([note]));
    assert!(err.contains(note), "{err}");
}

/// Names a spreadsheet would evaluate get a leading `'` in the CSV; the
/// JSON keeps them as they are.
#[test]
fn csv_cells_never_start_a_formula() {
    let d = tempfile::tempdir().unwrap();
    let names = [
        "=HYPERLINK(\"http://x.example\",\"x\").pcapng",
        "+1+2.pcapng",
        "-2.pcapng",
        "@SUM(A1).pcapng",
    ];
    for n in names {
        put(&d.path().join(n), "four-segment.pcapng");
    }
    std::fs::write(d.path().join("\tx.pcap"), b"not a capture").unwrap();
    let mut args: Vec<&OsStr> = ["check", "--csv", "grades.csv", "--json", "--"]
        .iter()
        .map(OsStr::new)
        .collect();
    args.extend(names.iter().map(OsStr::new));
    args.push(OsStr::new("\tx.pcap"));
    let (code, out, err) = tcplab_in(d.path(), &args);
    assert_eq!(code, 2, "{err}");
    let csv = std::fs::read_to_string(d.path().join("grades.csv")).unwrap();
    let firsts: Vec<String> = csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap().to_owned())
        .collect();
    assert_eq!(
        firsts,
        [
            "\"'=HYPERLINK(\"\"http://x.example\"\"",
            "'+1+2.pcapng",
            "'-2.pcapng",
            "'@SUM(A1).pcapng",
            // Escaped, so the tab never reaches the cell.
            "\\tx.pcap",
        ],
        "{csv}"
    );
    let v = json(&out, &err);
    let json_names: Vec<&str> = v["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["file"].as_str().unwrap())
        .collect();
    assert_eq!(json_names[..4], names);
    assert_eq!(json_names[4], "\tx.pcap");
}

fn latin1(dir: &Path, name: &[u8]) -> PathBuf {
    dir.join(OsString::from_vec(name.to_vec()))
}

/// Two hand-ins from a Windows zip, `M\xfcller` and `M\xfdller` in
/// Latin-1: both judged, and told apart wherever they are shown.
#[test]
fn names_that_are_not_utf8_are_judged_and_told_apart() {
    let d = tempfile::tempdir().unwrap();
    std::fs::copy(
        fixture("four-segment.pcapng"),
        latin1(d.path(), b"M\xfcller.pcapng"),
    )
    .unwrap();
    std::fs::copy(
        fixture("three-segment.pcapng"),
        latin1(d.path(), b"M\xfdller.pcapng"),
    )
    .unwrap();
    let (code, out, err) = tcplab(&["check", s(d.path())]);
    assert_eq!(code, 0, "{out}\n{err}");
    let table: Vec<&str> = out.lines().filter(|l| l.contains("ller.pcapng ")).collect();
    assert_eq!(table.len(), 2, "{out}");
    assert!(
        table[0].starts_with(&format!("{}/M\\xfcller.pcapng ", s(d.path()))),
        "{out}"
    );
    assert!(
        table[1].starts_with(&format!("{}/M\\xfdller.pcapng ", s(d.path()))),
        "{out}"
    );
    assert!(table.iter().all(|l| l.ends_with("PASS")), "{out}");
    // One such file alone, as the single-file report.
    let one = latin1(d.path(), b"M\xfcller.pcapng");
    let out = Command::new(assert_cmd::cargo::cargo_bin("tcplab"))
        .arg("check")
        .arg(&one)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A newline, a carriage return and an escape sequence in a name reach
/// neither the terminal nor the table raw.
#[test]
fn control_characters_in_names_are_escaped() {
    let d = tempfile::tempdir().unwrap();
    let evil = d.path().join("evil\n\r\x1b[2J.pcapng");
    std::fs::write(&evil, b"not a capture").unwrap();
    put(&d.path().join("good.pcapng"), "four-segment.pcapng");
    let (code, out, err) = tcplab(&["check", s(d.path())]);
    assert_eq!(code, 2, "{err}");
    for text in [&out, &err] {
        assert!(!text.contains('\x1b') && !text.contains('\r'), "{text:?}");
    }
    let shown = format!("{}/evil\\n\\r\\x1b[2J.pcapng", s(d.path()));
    assert!(
        err.contains(&format!(
            "tcplab: `{shown}` is not a pcap or pcapng capture"
        )),
        "{err}"
    );
    let rows: Vec<&str> = out.lines().filter(|l| l.starts_with(s(d.path()))).collect();
    assert_eq!(rows.len(), 2, "one line per row: {out}");
    assert!(rows[0].starts_with(&format!("{shown} ")), "{out}");
}

/// A name too long for a picture, a name too long for the filesystem, a
/// folder too deep for a path: each is its own file's business, and the
/// batch goes on.
#[test]
fn over_long_names_are_one_files_error_not_the_batchs() {
    let d = tempfile::tempdir().unwrap();
    let subs = d.path().join("subs");
    let long = format!("{}.pcapng", "x".repeat(248));
    put(&subs.join(&long), "four-segment.pcapng");
    put(&subs.join("alice.pcapng"), "three-segment.pcapng");
    // A capture below a path longer than PATH_MAX (4096 bytes), made one
    // folder at a time relative to the last.
    std::fs::create_dir(subs.join("deep")).unwrap();
    let mut dir = nix::fcntl::open(
        &subs.join("deep"),
        nix::fcntl::OFlag::O_DIRECTORY,
        nix::sys::stat::Mode::empty(),
    )
    .unwrap();
    let deep = "d".repeat(250);
    for _ in 0..20 {
        nix::sys::stat::mkdirat(&dir, deep.as_str(), nix::sys::stat::Mode::S_IRWXU).unwrap();
        dir = nix::fcntl::openat(
            &dir,
            deep.as_str(),
            nix::fcntl::OFlag::O_DIRECTORY,
            nix::sys::stat::Mode::empty(),
        )
        .unwrap();
    }
    let lab = nix::fcntl::openat(
        &dir,
        "lab.pcapng",
        nix::fcntl::OFlag::O_CREAT | nix::fcntl::OFlag::O_WRONLY,
        nix::sys::stat::Mode::S_IRWXU,
    )
    .unwrap();
    std::io::Write::write_all(
        &mut std::fs::File::from(lab),
        &std::fs::read(fixture("four-segment.pcapng")).unwrap(),
    )
    .unwrap();
    let too_long = subs.join(format!("{}.pcap", "y".repeat(300)));
    let pictures = d.path().join("pictures");
    let (code, out, err) = tcplab(&[
        "check",
        s(&subs),
        s(&too_long),
        "--svg",
        s(&pictures),
        "--json",
    ]);
    assert_eq!(code, 2, "{err}");
    let v = json(&out, &err);
    let files = v["files"].as_array().unwrap();
    let verdicts: Vec<(bool, Option<&str>)> = files
        .iter()
        .map(|f| (f["passed"].as_bool().unwrap(), f["error"].as_str()))
        .collect();
    assert_eq!(verdicts.len(), 4, "{v:#}");
    assert_eq!(verdicts[0], (true, None), "alice");
    assert!(
        verdicts[1].1.unwrap().contains("File name too long"),
        "{v:#}"
    );
    assert!(
        files[1]["file"]
            .as_str()
            .unwrap()
            .starts_with(s(&subs.join("deep")))
    );
    assert_eq!(verdicts[2], (true, None), "the 255-byte name");
    assert!(
        verdicts[3].1.unwrap().contains("File name too long"),
        "{v:#}"
    );
    let mut drawn: Vec<String> = std::fs::read_dir(&pictures)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_vec())
        .map(|n| String::from_utf8(n).unwrap())
        .collect();
    drawn.sort();
    assert_eq!(drawn.len(), 2, "{drawn:?}");
    assert_eq!(drawn[0], "alice.pcapng.svg");
    assert!(
        drawn[1].starts_with("xxxx") && drawn[1].len() <= 255,
        "{drawn:?}"
    );
    assert!(!err.contains("SVG"), "{err}");
}
