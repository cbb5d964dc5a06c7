//! `tcplab check PATH...` as a teacher runs it: a folder of hand-ins made of
//! the project's recorded captures and of files that are not captures at
//! all, graded in one command.

use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};

use rstest::rstest;
use serde_json::Value;

mod common;
use common::tcplab;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn put(root: &Path, name: &str, fixture_name: &str) {
    let to = root.join(name);
    std::fs::create_dir_all(to.parent().unwrap()).unwrap();
    std::fs::copy(fixture(fixture_name), to).unwrap();
}

fn mkfifo(path: &Path) {
    nix::unistd::mkfifo(path, nix::sys::stat::Mode::S_IRWXU).unwrap();
}

/// Bytes that are no capture format (a fixed xorshift sequence).
fn noise() -> Vec<u8> {
    let mut x: u32 = 0x2545_f491;
    (0..100)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect()
}

/// What each hand-in of [`handins`] must give, in the order of the report.
struct Want {
    file: &'static str,
    passed: bool,
    /// Part of the error sentence, for an unusable file.
    error: Option<&'static str>,
    /// Each connection's termination.
    kinds: &'static [&'static str],
}

const WANT: [Want; 12] = [
    Want {
        file: "alice/lab.pcapng",
        passed: true,
        error: None,
        kinds: &["four_segment"],
    },
    Want {
        file: "bob/lab.pcapng",
        passed: false,
        error: None,
        kinds: &["reset"],
    },
    Want {
        file: "carol/lab.pcapng",
        passed: true,
        error: None,
        kinds: &["three_segment"],
    },
    Want {
        file: "dave/lab.pcapng",
        passed: false,
        error: None,
        kinds: &["reset", "reset"],
    },
    Want {
        file: "erin/lab.pcapng",
        passed: false,
        error: Some("holds 41 packet(s) but no TCP"),
        kinds: &[],
    },
    Want {
        file: "frank/lab.pcapng",
        passed: false,
        error: Some("is empty: it is not a capture"),
        kinds: &[],
    },
    Want {
        file: "grace/lab.pcap",
        passed: false,
        error: Some("is not a pcap or pcapng capture"),
        kinds: &[],
    },
    Want {
        file: "heidi/lab.pcapng",
        passed: false,
        error: Some("No such file or directory"),
        kinds: &[],
    },
    Want {
        file: "ivan/lab.pcapng",
        passed: false,
        error: Some("is a symbolic link loop"),
        kinds: &[],
    },
    Want {
        file: "judy/copy.pcapng",
        passed: true,
        error: None,
        kinds: &["four_segment"],
    },
    Want {
        file: "judy/lab.cap",
        passed: true,
        error: None,
        kinds: &["four_segment"],
    },
    Want {
        file: "oscar/lab.pcap",
        passed: false,
        error: Some("is a FIFO (named pipe), not a capture file"),
        kinds: &[],
    },
];

/// Eleven students' folders: recorded captures (passing and failing), a
/// capture without TCP, an empty file, noise, a dangling link, a link
/// loop, a FIFO; plus a copy of alice's file, a link back to the top and a
/// report that is not a capture.
fn handins() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    let r = d.path();
    put(r, "alice/lab.pcapng", "four-segment.pcapng");
    put(r, "bob/lab.pcapng", "seed-client-rst.pcapng");
    put(r, "carol/lab.pcapng", "three-segment.pcapng");
    put(r, "dave/lab.pcapng", "two-connections.pcapng");
    put(r, "erin/lab.pcapng", "udp-only.pcapng");
    std::fs::create_dir(r.join("frank")).unwrap();
    std::fs::write(r.join("frank/lab.pcapng"), b"").unwrap();
    std::fs::create_dir(r.join("grace")).unwrap();
    std::fs::write(r.join("grace/lab.pcap"), noise()).unwrap();
    std::fs::create_dir(r.join("heidi")).unwrap();
    symlink("/nonexistent/lab.pcapng", r.join("heidi/lab.pcapng")).unwrap();
    std::fs::create_dir(r.join("ivan")).unwrap();
    symlink("lab.pcapng", r.join("ivan/lab.pcapng")).unwrap();
    put(r, "judy/lab.cap", "ipv6.pcapng");
    symlink("../alice/lab.pcapng", r.join("judy/copy.pcapng")).unwrap();
    symlink("..", r.join("judy/back")).unwrap();
    std::fs::write(r.join("judy/report.txt"), b"my lab report").unwrap();
    std::fs::create_dir(r.join("oscar")).unwrap();
    mkfifo(&r.join("oscar/lab.pcap"));
    d
}

fn json(args: &[&str]) -> (i32, Value, String) {
    let (code, out, err) = tcplab(args);
    let v = serde_json::from_str(&out).unwrap_or_else(|e| panic!("not JSON ({e}): {out}\n{err}"));
    (code, v, err)
}

#[test]
fn a_folder_of_hand_ins_is_graded_file_by_file() {
    let d = handins();
    let r = d.path();
    let (code, v, err) = json(&["check", s(r), "--json"]);
    assert_eq!(code, 2, "unusable files make the batch unusable: {err}");
    assert_eq!(v["schema"], 1);
    assert_eq!(v["passed"], false);
    let files = v["files"].as_array().unwrap();
    let names: Vec<&str> = files.iter().map(|f| f["file"].as_str().unwrap()).collect();
    let want: Vec<String> = WANT.iter().map(|w| s(&r.join(w.file)).to_owned()).collect();
    assert_eq!(names, want, "every file once, in sorted order");
    for (f, w) in files.iter().zip(&WANT) {
        assert_eq!(f["passed"], w.passed, "{f:#}");
        match w.error {
            Some(e) => {
                let got = f["error"].as_str().unwrap_or_else(|| panic!("{f:#}"));
                assert!(got.contains(e), "{got}");
                assert!(got.contains(&format!("`{}`", s(&r.join(w.file)))), "{got}");
                assert!(err.contains(&format!("tcplab: {got}\n")), "{err}");
            }
            None => assert_eq!(f["error"], Value::Null, "{f:#}"),
        }
        let kinds: Vec<&str> = f["connections"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["termination"]["kind"].as_str().unwrap())
            .collect();
        assert_eq!(kinds, w.kinds, "{}", w.file);
    }
    let notes: Vec<&str> = v["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect();
    assert_eq!(
        notes,
        [
            format!(
                "`{}` leads back to `{}`, a folder it is in (a symbolic link loop): not followed",
                s(&r.join("judy/back")),
                s(r)
            ),
            format!(
                "`{}` is the same file as `{}`: checked once, each keeps its row",
                s(&r.join("judy/copy.pcapng")),
                s(&r.join("alice/lab.pcapng"))
            ),
        ]
    );
    // Each connection is exactly the single-file report's.
    let (_, single, _) = json(&["check", s(&fixture("four-segment.pcapng")), "--json"]);
    assert_eq!(files[0]["connections"], single["connections"]);
}

/// Splits one CSV line, honouring quotes.
fn csv_fields(line: &str) -> Vec<String> {
    let (mut fields, mut cur, mut quoted) = (vec![], String::new(), false);
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            ',' if !quoted => fields.push(std::mem::take(&mut cur)),
            c => cur.push(c),
        }
    }
    fields.push(cur);
    fields
}

#[test]
fn csv_has_a_row_per_connection_and_per_unusable_file() {
    let d = handins();
    let r = d.path();
    let csv = tempfile::NamedTempFile::new().unwrap();
    let (code, _, err) = tcplab(&["check", s(r), "--csv", s(csv.path())]);
    assert_eq!(code, 2, "{err}");
    let text = std::fs::read_to_string(csv.path()).unwrap();
    let mut lines = text.lines();
    let header: Vec<String> = csv_fields(lines.next().unwrap());
    assert_eq!(
        header,
        [
            "file",
            "connection",
            "client",
            "server",
            "handshake",
            "first_data_len",
            "first_data_ack",
            "termination",
            "initiator",
            "retransmissions",
            "history",
            "result",
            "reason",
            "same_as"
        ]
    );
    let rows: Vec<Vec<String>> = lines.map(csv_fields).collect();
    for row in &rows {
        assert_eq!(row.len(), header.len(), "{row:?}");
    }
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let summary: Vec<(String, String, String, String)> = rows
        .iter()
        .map(|row| {
            let file = row[col("file")].strip_prefix(s(r)).unwrap()[1..].to_owned();
            (
                file,
                row[col("connection")].clone(),
                row[col("termination")].clone(),
                row[col("result")].clone(),
            )
        })
        .collect();
    let t = |f: &str, c: &str, k: &str, res: &str| {
        (f.to_owned(), c.to_owned(), k.to_owned(), res.to_owned())
    };
    assert_eq!(
        summary,
        [
            t("alice/lab.pcapng", "1", "four_segment", "PASS"),
            t("bob/lab.pcapng", "1", "reset", "FAIL"),
            t("carol/lab.pcapng", "1", "three_segment", "PASS"),
            t("dave/lab.pcapng", "1", "reset", "FAIL"),
            t("dave/lab.pcapng", "2", "reset", "FAIL"),
            t("erin/lab.pcapng", "", "", "UNUSABLE"),
            t("frank/lab.pcapng", "", "", "UNUSABLE"),
            t("grace/lab.pcap", "", "", "UNUSABLE"),
            t("heidi/lab.pcapng", "", "", "UNUSABLE"),
            t("ivan/lab.pcapng", "", "", "UNUSABLE"),
            t("judy/copy.pcapng", "1", "four_segment", "PASS"),
            t("judy/lab.cap", "1", "four_segment", "PASS"),
            t("oscar/lab.pcap", "", "", "UNUSABLE"),
        ]
    );
    let alice = &rows[0];
    assert_eq!(alice[col("first_data_len")], "479");
    assert_eq!(alice[col("first_data_ack")], "480");
    assert_eq!(alice[col("initiator")], "client");
    assert_eq!(alice[col("history")], "ShADadFf");
    assert_eq!(alice[col("reason")], "");
    assert!(
        rows[1][col("reason")].starts_with("termination: expected an orderly"),
        "{:?}",
        rows[1]
    );
    assert!(
        rows[5][col("reason")].contains("but no TCP"),
        "{:?}",
        rows[5]
    );
    assert_eq!(
        rows[10][col("same_as")],
        format!("same file as {}", s(&r.join("alice/lab.pcapng")))
    );
    assert_eq!(
        alice[col("same_as")],
        format!("same file as {}", s(&r.join("judy/copy.pcapng")))
    );
    assert!(
        rows[11][col("client")].starts_with("[::1]:"),
        "{:?}",
        rows[11]
    );
}

#[test]
fn text_shows_a_block_per_file_then_the_summary_table() {
    let d = handins();
    let r = d.path();
    let table = tempfile::NamedTempFile::new().unwrap();
    let (code, out, err) = tcplab(&["check", s(r), "--table", s(table.path())]);
    assert_eq!(code, 2, "{err}");
    let at = |needle: &str| {
        out.find(needle)
            .unwrap_or_else(|| panic!("no {needle:?} in {out}"))
    };
    let first = at(&format!(
        "file 1 of 12: {}\nthe same capture: same file as {} (checked once)\nconnection 1\n",
        s(&r.join("alice/lab.pcapng")),
        s(&r.join("judy/copy.pcapng"))
    ));
    let bob = at(&format!("file 2 of 12: {}\n", s(&r.join("bob/lab.pcapng"))));
    assert!(first < bob);
    assert!(out[bob..].starts_with(&format!(
        "file 2 of 12: {}\nconnection 1\n",
        s(&r.join("bob/lab.pcapng"))
    )));
    assert!(out.contains("diagnosis: the client sent RST"), "{out}");
    at(&format!(
        "file 6 of 12: {0}\nUNUSABLE `{0}` is empty",
        s(&r.join("frank/lab.pcapng"))
    ));
    // The table: the --table file is the end of the report.
    let table = std::fs::read_to_string(table.path()).unwrap();
    assert!(out.ends_with(&format!("\n{table}")), "{out}\n---\n{table}");
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 14, "{table}");
    let header: Vec<&str> = lines[0]
        .split("  ")
        .filter(|c| !c.is_empty())
        .map(str::trim)
        .collect();
    assert_eq!(
        header,
        [
            "file",
            "connections",
            "handshake",
            "first data",
            "termination",
            "retransmissions",
            "result"
        ]
    );
    let row = |i: usize| -> Vec<&str> { lines[i].split_whitespace().collect() };
    assert_eq!(
        row(1)[1..],
        [
            "1",
            "ok",
            "479/480",
            "four_segment",
            "0",
            "PASS",
            "(same",
            "file",
            "as",
            &format!("{})", s(&r.join("judy/copy.pcapng")))
        ]
    );
    assert_eq!(row(2)[1..7], ["1", "ok", "479/480", "reset", "0", "FAIL"]);
    assert_eq!(row(2)[7..9], ["termination:", "expected"]);
    assert_eq!(row(4)[1..7], ["2", "ok", "479/480", "reset", "0", "FAIL"]);
    assert_eq!(row(4)[7..10], ["connection", "1", "of"]);
    assert_eq!(row(5)[1..7], ["-", "-", "-", "-", "-", "UNUSABLE"]);
    assert_eq!(
        lines[13],
        "result: UNUSABLE (12 file(s): 4 PASS, 2 FAIL, 6 UNUSABLE)"
    );
    // Columns line up: every row has the termination column where the header has it.
    let col = lines[0].find("termination").unwrap();
    for l in &lines[1..13] {
        assert!(
            l[..col].ends_with("  ") && !l[col..].starts_with(' '),
            "{table}"
        );
    }
}

/// A folder of copies of the given fixtures.
fn folder_of(files: &[&str]) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    for f in files {
        put(d.path(), f, f);
    }
    d
}

#[rstest]
#[case::all_pass(&["four-segment.pcapng", "three-segment.pcapng", "ipv6.pcapng"], &[], 0)]
#[case::one_fails(&["four-segment.pcapng", "seed-client-rst.pcapng"], &[], 1)]
#[case::one_unusable(&["seed-client-rst.pcapng", "udp-only.pcapng"], &[], 2)]
#[case::four_segments_required(&["four-segment.pcapng", "three-segment.pcapng"], &["--expect-close", "four-segment"], 1)]
#[case::no_retransmissions(&["four-segment.pcapng", "ipv6.pcapng"], &["--expect", "no-retransmissions"], 0)]
#[case::the_seeds_exchange(&["four-segment.pcapng", "three-segment.pcapng", "ipv6.pcapng"], &["--expect-payload", "479,1380"], 0)]
#[case::another_exchange(&["four-segment.pcapng", "three-segment.pcapng"], &["--expect-payload", "479,1381"], 1)]
#[case::no_connection_on_the_port(&["four-segment.pcapng", "three-segment.pcapng"], &["--port", "1"], 2)]
fn the_exit_code_is_the_worst_over_the_files(
    #[case] files: &[&str],
    #[case] options: &[&str],
    #[case] want: i32,
) {
    let d = folder_of(files);
    let mut args = vec!["check", s(d.path()), "--json"];
    args.extend_from_slice(options);
    let (code, v, err) = json(&args);
    assert_eq!(code, want, "{v:#}\n{err}");
    assert_eq!(v["passed"], want == 0);
    let graded = v["files"].as_array().unwrap();
    assert_eq!(
        graded.len(),
        files.len(),
        "every file is still judged: {v:#}"
    );
    let worst = graded
        .iter()
        .map(|f| match (&f["error"], &f["passed"]) {
            (Value::String(_), _) => 2,
            (_, Value::Bool(true)) => 0,
            _ => 1,
        })
        .max()
        .unwrap();
    assert_eq!(worst, want, "{v:#}");
}

#[test]
fn the_expected_payload_check_says_expected_and_seen() {
    let (code, v, _) = json(&[
        "check",
        s(&fixture("four-segment.pcapng")),
        s(&fixture("three-segment.pcapng")),
        "--json",
        "--expect-payload",
        "479,1381",
    ]);
    assert_eq!(code, 1);
    for f in v["files"].as_array().unwrap() {
        let checks = f["connections"][0]["checks"].as_array().unwrap();
        let c = checks
            .iter()
            .find(|c| c["name"] == "client_messages")
            .unwrap();
        assert_eq!(c["passed"], false);
        assert_eq!(
            c["why"],
            "expected client messages of [479, 1381] bytes, but the server never sent Ack=1861, the end of message 2 (1381 bytes); its acks were [1, 480, 1860, 1861]; on the wire the client's messages were [479, 1380]"
        );
    }
}

/// Each bad input next to a good file: one sentence, exit code 2 (or 0 for
/// a file given twice), and the good file still judged.
#[rstest]
#[case::folder_without_captures(
    "empty-folder",
    2,
    "holds no capture (no *.pcap, *.pcapng or *.cap file below it)"
)]
#[case::folder_named_like_a_capture("x.pcap", 2, "the folder")]
#[case::missing("missing.pcapng", 2, "cannot read `")]
#[case::dangling_link("dangling.pcapng", 2, "No such file or directory")]
#[case::no_tcp("udp-only.pcapng", 2, "holds 41 packet(s) but no TCP")]
#[case::symlink_loop("loop.pcapng", 2, "is a symbolic link loop")]
#[case::fifo("fifo.pcap", 2, "is a FIFO (named pipe), not a capture file")]
#[case::given_twice("good.pcapng", 0, "is named twice: checked once")]
fn bad_input_is_one_sentence_and_hides_nothing(
    #[case] bad: &str,
    #[case] want: i32,
    #[case] says: &str,
) {
    let d = tempfile::tempdir().unwrap();
    let r = d.path();
    put(r, "good.pcapng", "four-segment.pcapng");
    put(r, "udp-only.pcapng", "udp-only.pcapng");
    std::fs::create_dir(r.join("empty-folder")).unwrap();
    std::fs::create_dir(r.join("x.pcap")).unwrap();
    symlink("/nonexistent/x", r.join("dangling.pcapng")).unwrap();
    symlink("loop.pcapng", r.join("loop.pcapng")).unwrap();
    mkfifo(&r.join("fifo.pcap"));
    let (bad, good) = (r.join(bad), r.join("good.pcapng"));
    let (code, v, err) = json(&["check", s(&bad), s(&good), "--json"]);
    assert_eq!(code, want, "{v:#}\n{err}");
    assert!(err.contains(says), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(
        err.lines().all(|l| l.starts_with("tcplab: ")),
        "one sentence per line: {err}"
    );
    let files = v["files"].as_array().unwrap();
    let last = files.last().unwrap();
    assert_eq!(last["file"], s(&good));
    assert_eq!(last["passed"], true, "{v:#}");
    if want == 2 {
        assert_eq!(files.len(), 2);
        assert_eq!(files[0]["file"], s(&bad));
        assert!(files[0]["error"].as_str().unwrap().contains(says), "{v:#}");
    } else {
        assert_eq!(files.len(), 1, "checked once: {v:#}");
        assert!(v["notes"][0].as_str().unwrap().contains(says), "{v:#}");
    }
}

#[test]
fn the_order_does_not_depend_on_the_jobs() {
    let d = handins();
    let (_, one, _) = json(&["check", s(d.path()), "--json", "--jobs", "1"]);
    let (_, four, _) = json(&["check", s(d.path()), "--json", "--jobs", "4"]);
    assert_eq!(one, four);
}

#[rstest]
#[case::zero(&["--jobs", "0"], "0 is not in 1..")]
#[case::svg_file_name(&["--svg", "ladder.svg"], "--svg takes a folder")]
fn bad_batch_options_exit_2(#[case] options: &[&str], #[case] says: &str) {
    let d = folder_of(&["four-segment.pcapng", "three-segment.pcapng"]);
    let mut args = vec!["check", s(d.path())];
    args.extend_from_slice(options);
    let (code, out, err) = tcplab(&args);
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains(says), "{err}");
    assert!(out.is_empty(), "nothing is checked: {out}");
}

#[test]
fn svg_with_several_files_draws_one_picture_per_usable_file_into_a_folder() {
    let d = handins();
    let pictures = tempfile::tempdir().unwrap();
    let dir = pictures.path().join("ladders");
    let (code, _, err) = tcplab(&["check", s(d.path()), "--svg", s(&dir)]);
    assert_eq!(code, 2, "{err}");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "alice_lab.pcapng.svg",
            "bob_lab.pcapng.svg",
            "carol_lab.pcapng.svg",
            "dave_lab.pcapng.svg",
            "judy_copy.pcapng.svg",
            "judy_lab.cap.svg"
        ]
    );
    let svg = std::fs::read_to_string(dir.join("bob_lab.pcapng.svg")).unwrap();
    assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
    assert!(svg.contains("RST"), "bob's picture shows his reset");
}

#[test]
fn one_folder_is_a_batch_and_one_file_is_not() {
    let d = folder_of(&["four-segment.pcapng"]);
    let (code, batch, _) = json(&["check", s(d.path()), "--json"]);
    assert_eq!(code, 0);
    assert_eq!(batch["files"].as_array().unwrap().len(), 1);
    let file = d.path().join("four-segment.pcapng");
    let (code, single, _) = json(&["check", s(&file), "--json"]);
    assert_eq!(code, 0);
    assert!(single.get("files").is_none(), "{single:#}");
    assert_eq!(batch["files"][0]["connections"], single["connections"]);
}

#[test]
fn csv_and_table_also_work_for_one_file() {
    let d = tempfile::tempdir().unwrap();
    let (csv, table) = (d.path().join("g.csv"), d.path().join("g.txt"));
    let udp = fixture("udp-only.pcapng");
    let (code, out, err) = tcplab(&["check", s(&udp), "--csv", s(&csv), "--table", s(&table)]);
    assert_eq!(code, 2);
    assert!(out.is_empty(), "{out}");
    assert!(
        err.starts_with("tcplab: `") && err.contains("but no TCP"),
        "{err}"
    );
    let csv = std::fs::read_to_string(csv).unwrap();
    assert_eq!(csv.lines().count(), 2, "{csv}");
    assert!(csv.lines().nth(1).unwrap().contains(",UNUSABLE,"), "{csv}");
    let table = std::fs::read_to_string(table).unwrap();
    assert!(
        table.ends_with("result: UNUSABLE (1 file(s): 0 PASS, 0 FAIL, 1 UNUSABLE)\n"),
        "{table}"
    );
}
