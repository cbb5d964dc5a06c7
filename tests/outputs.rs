//! Every file tcplab writes is written all or nothing: on a full disk the
//! command says so in one sentence, exits 2 and leaves no partial file (the
//! old one, if any, untouched); a capture kept with `--save` exists only
//! once it holds every packet that was judged, and nothing of it survives
//! tcplab being killed; pictures never follow a link planted among them.

use std::io::{BufRead, BufReader};
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use assert_cmd::cargo::CommandCargoExt;
use rstest::rstest;

mod common;
use common::{Serve, Tmpfs, free_port, kill9, tcplab};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// What a case writes, and where `@` in its arguments stands for the
/// output's path on the full filesystem.
#[rstest]
#[case::check_csv(&["check", "@four-segment.pcapng", "--csv", "@"], 0)]
#[case::check_table(&["check", "@four-segment.pcapng", "--table", "@"], 0)]
#[case::check_svg(&["check", "@four-segment.pcapng", "--svg", "@"], 0)]
#[case::batch_csv(&["check", "@four-segment.pcapng", "@three-segment.pcapng", "--csv", "@"], 0)]
#[case::batch_pictures(&["check", "@four-segment.pcapng", "@three-segment.pcapng", "--svg", "@/pictures"], 0)]
#[case::run_svg(&["run", "--svg", "@"], 0)]
#[case::run_save(&["run", "--save", "@"], 4096)]
#[case::watch_svg(&["watch", "--svg", "@"], 0)]
#[case::watch_save(&["watch", "--save", "@"], 4096)]
#[case::sweep_csv(&["sweep", "--sizes", "1,479", "--csv", "@"], 0)]
#[case::sweep_svg(&["sweep", "--sizes", "1,479", "--svg", "@"], 0)]
fn a_full_disk_is_one_sentence_exit_2_and_no_partial_file(
    #[case] args: &[&str],
    #[case] leave: u64,
) {
    let Some(fs) = Tmpfs::mount("64k") else {
        return;
    };
    let out = fs.at.join("out");
    std::fs::write(&out, "old").unwrap();
    let pictures = args.last() == Some(&"@/pictures");
    fs.fill(leave);
    let port = free_port();
    let _server = (args[0] == "watch").then(|| Serve::start(port, "200"));
    let mut args: Vec<String> = args
        .iter()
        .map(|a| match a.strip_prefix('@') {
            Some("") => out.to_str().unwrap().to_owned(),
            Some("/pictures") => fs.at.join("pictures").to_str().unwrap().to_owned(),
            Some(f) => fixture(f).to_str().unwrap().to_owned(),
            None => a.to_string(),
        })
        .collect();
    if args[0] == "watch" {
        let client = format!(
            "import socket; s = socket.create_connection(('127.0.0.1', {port})); s.sendall(b'x' * 479); s.recv(1024); s.close()"
        );
        let more = [
            "--port",
            &port.to_string(),
            "--timeout",
            "10",
            "--",
            "python3",
            "-c",
            &client,
        ];
        args.extend(more.iter().map(|s| s.to_string()));
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (code, _, err) = tcplab(&args);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.lines().all(|l| l.starts_with("tcplab: ")),
        "one sentence per line: {err}"
    );
    if leave > 0 {
        // tshark filled what was left: the file is short of packets.
        assert!(
            err.contains("the capture saved for `")
                && err.contains("packets tshark delivered (is the disk full?): nothing was kept"),
            "{err}"
        );
    } else {
        assert!(err.contains("No space left on device"), "{err}");
        assert!(err.contains("no partial"), "{err}");
    }
    let mut left = vec!["filler", "out"];
    if pictures {
        left.push("pictures");
        let inside = std::fs::read_dir(fs.at.join("pictures")).unwrap().count();
        assert_eq!(inside, 0, "no partial picture");
    }
    assert_eq!(fs.names(), left, "no partial or temporary file: {err}");
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        "old",
        "the old file is kept"
    );
}

/// `--save` writes into an unnamed file: tcplab killed mid-capture (no
/// cleanup code of its own runs) leaves nothing in the target's folder.
#[test]
fn a_killed_capture_leaves_no_temporary_file() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port().to_string();
    let save = dir.path().join("lab.pcapng");
    let mut child = Command::cargo_bin("tcplab")
        .unwrap()
        .args(["watch", "--port", &port, "--timeout", "30", "--save"])
        .arg(&save)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut said = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    said.read_line(&mut line).unwrap();
    assert!(line.contains("capturing TCP port"), "{line}");
    kill9(child.id());
    child.wait().unwrap();
    // tshark sees the end of its input and exits; then nothing holds the file.
    std::thread::sleep(Duration::from_millis(500));
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

/// A link planted in the picture folder, pointing at a file outside it or
/// at nothing, is replaced by the picture: root never writes through it.
#[test]
fn pictures_never_write_through_a_planted_link() {
    let d = tempfile::tempdir().unwrap();
    let r = d.path();
    for (who, f) in [
        ("alice", "four-segment.pcapng"),
        ("bob", "three-segment.pcapng"),
    ] {
        std::fs::create_dir_all(r.join("subs").join(who)).unwrap();
        std::fs::copy(fixture(f), r.join("subs").join(who).join("lab.pcapng")).unwrap();
    }
    let pictures = r.join("pictures");
    std::fs::create_dir(&pictures).unwrap();
    std::fs::write(r.join("victim.txt"), "precious").unwrap();
    symlink("../victim.txt", pictures.join("alice_lab.pcapng.svg")).unwrap();
    symlink("../created.txt", pictures.join("bob_lab.pcapng.svg")).unwrap();
    let (code, _, err) = tcplab(&[
        "check",
        r.join("subs").to_str().unwrap(),
        "--svg",
        pictures.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        std::fs::read_to_string(r.join("victim.txt")).unwrap(),
        "precious"
    );
    assert!(
        !r.join("created.txt").exists(),
        "nothing is created outside the folder"
    );
    for name in ["alice_lab.pcapng.svg", "bob_lab.pcapng.svg"] {
        let p = pictures.join(name);
        assert!(std::fs::symlink_metadata(&p).unwrap().is_file(), "{name}");
        assert!(std::fs::read_to_string(&p).unwrap().starts_with("<svg"));
    }
}
