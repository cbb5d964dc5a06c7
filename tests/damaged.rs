//! Capture files tshark reads in part or in forms tcplab did not: a grade
//! never rests on what tshark says on stderr (as root its first line is
//! always a warning, and rtshark reports only that line), so a damaged
//! file gets the same sentence whoever runs tcplab, a tshark that stops
//! early is an error, and what tshark reads (gzip, sections of either byte
//! order) is judged.

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use assert_cmd::cargo::CommandCargoExt;
use rstest::rstest;
use tcplab::testing::captures::{EPB, frame_offset, gzip, two_byte_orders};

mod common;
use common::{kill9, tcplab, tcplab_as_nobody};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn recorded(name: &str) -> Vec<u8> {
    std::fs::read(fixture(name)).unwrap()
}

/// A folder and a file that `nobody` may read.
fn readable_by_all(bytes: &[u8]) -> (tempfile::TempDir, PathBuf) {
    let d = tempfile::tempdir().unwrap();
    std::fs::set_permissions(d.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let f = d.path().join("lab.pcapng");
    std::fs::write(&f, bytes).unwrap();
    std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o644)).unwrap();
    (d, f)
}

/// The lab's recorded four-segment close, with the trailing length of
/// frame `frame`'s block damaged, or its length field.
fn damaged(frame: usize, field: &str) -> Vec<u8> {
    let mut b = recorded("four-segment.pcapng");
    let at = frame_offset(&b, frame);
    let len = u32::from_le_bytes(b[at + 4..at + 8].try_into().unwrap()) as usize;
    match field {
        "trailer" => b[at + len - 4] ^= 0x40,
        "length" => b[at + 4..at + 8].copy_from_slice(&62u32.to_le_bytes()),
        "captured" => b[at + 20..at + 24].copy_from_slice(&500u32.to_le_bytes()),
        _ => unreachable!(),
    }
    b
}

/// Root's tshark says `Running as user "root"...` first, nobody's says
/// the damage: tcplab's answer must not depend on which.
#[rstest]
#[case::trailer_before_the_close(50, "trailer", "the block's trailing length")]
#[case::length_not_a_multiple_of_4(
    30,
    "length",
    "block type 0x00000006 has length 62, which is not a multiple of 4"
)]
#[case::packet_longer_than_its_block(50, "captured", "the packet claims 500 captured bytes")]
fn a_damaged_file_gets_one_answer_whoever_runs_tcplab(
    #[case] frame: usize,
    #[case] field: &str,
    #[case] why: &str,
) {
    let (_d, file) = readable_by_all(&damaged(frame, field));
    let path = file.to_str().unwrap();
    let (code, out, err) = tcplab(&["check", path]);
    assert_eq!(code, 2, "{out}\n{err}");
    let offset = frame_offset(&damaged(frame, field), frame);
    let start = format!(
        "tcplab: `{path}` is damaged at byte {offset}, where frame {frame} would begin ({why}"
    );
    assert_eq!(err.lines().count(), 1, "one sentence: {err}");
    assert!(err.starts_with(&start), "{err}");
    let Some((nobody_code, nobody_err)) = tcplab_as_nobody(&["check", path]) else {
        return;
    };
    assert_eq!((nobody_code, nobody_err.as_str()), (code, err.as_str()));
}

/// Compressed captures and a capture whose second section is big-endian
/// are what tshark reads; tcplab judges them like the plain file.
#[rstest]
#[case::gzip_pcapng(gzip(&recorded("four-segment.pcapng")))]
#[case::two_byte_orders(two_byte_orders(&recorded("four-segment.pcapng"), 20))]
#[case::gzip_two_byte_orders(gzip(&two_byte_orders(&recorded("four-segment.pcapng"), 40)))]
fn captures_tshark_reads_are_judged(#[case] bytes: Vec<u8>) {
    let (_d, file) = readable_by_all(&bytes);
    let (code, out, err) = tcplab(&["check", file.to_str().unwrap(), "--json"]);
    let (_, plain, _) = tcplab(&[
        "check",
        fixture("four-segment.pcapng").to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(code, 0, "{out}\n{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let p: serde_json::Value = serde_json::from_str(&plain).unwrap();
    assert_eq!(v["connections"][0]["termination"]["kind"], "four_segment");
    assert_eq!(
        v["connections"][0]["history"],
        p["connections"][0]["history"]
    );
    assert_eq!(
        v["connections"][0]["segments"],
        p["connections"][0]["segments"]
    );
}

/// tshark killed while it reads a large file: it printed no error, but it
/// delivered fewer frames than the file holds, so the file is not judged
/// on the part it read.
#[test]
fn a_tshark_that_stops_early_is_an_error_not_a_grade() {
    // The recorded lab's frames, over and over: 56 x 4000 frames.
    let one = recorded("four-segment.pcapng");
    let first = frame_offset(&one, 1);
    let mut big = one[..first].to_vec();
    let frames: Vec<&[u8]> = (1..=56)
        .map(|k| {
            let at = frame_offset(&one, k);
            let len = u32::from_le_bytes(one[at + 4..at + 8].try_into().unwrap()) as usize;
            assert_eq!(u32::from_le_bytes(one[at..at + 4].try_into().unwrap()), EPB);
            &one[at..at + len]
        })
        .collect();
    for _ in 0..4000 {
        for f in &frames {
            big.extend_from_slice(f);
        }
    }
    let d = tempfile::tempdir().unwrap();
    let file = d.path().join("big.pcapng");
    std::fs::File::create(&file)
        .unwrap()
        .write_all(&big)
        .unwrap();
    let mut child = Command::cargo_bin("tcplab")
        .unwrap()
        .arg("check")
        .arg(&file)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let tshark = loop {
        if let Some(pid) = child_named(child.id(), "tshark") {
            break pid;
        }
        assert!(Instant::now() < deadline, "tcplab never started tshark");
        assert!(child.try_wait().unwrap().is_none(), "tcplab ended first");
        std::thread::sleep(Duration::from_millis(10));
    };
    // tshark needs about a second to start: kill it while it reads.
    std::thread::sleep(Duration::from_millis(1500));
    kill9(tshark);
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.starts_with(&format!(
            "tcplab: tshark stopped reading `{}` before frame ",
            file.display()
        )) && err.contains(" of 224000"),
        "{err}"
    );
}

/// The child of `parent` whose name is `name`.
fn child_named(parent: u32, name: &str) -> Option<u32> {
    std::fs::read_dir("/proc").ok()?.flatten().find_map(|e| {
        let stat = std::fs::read_to_string(e.path().join("stat")).ok()?;
        let (pid, rest) = stat.split_once(" (")?;
        let (comm, rest) = rest.rsplit_once(") ")?;
        let ppid: u32 = rest.split_whitespace().nth(1)?.parse().ok()?;
        (comm == name && ppid == parent).then(|| pid.parse().ok())?
    })
}
