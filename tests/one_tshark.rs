//! A folder is read through one tshark (a pcapng stream of all its files),
//! and every file's report is what `tcplab check FILE` gives: the same
//! connections, frame numbers, notes and errors, for every fixture, gzip,
//! multi-section, pcap of either precision, damaged files, and files that
//! share a connection with another (read alone then).

mod common;

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use common::pcap::{IPV4, Tcp, eth, frame_of, pcap};
use common::tcplab;
use serde_json::Value;
use tcplab::testing::captures::{EPB, gzip, two_byte_orders};
use tcplab::testing::{four_segment, seed_client_reset};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// Every capture of the project's: `tests/fixtures/*` and the Zeek ones.
fn fixture_files() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = [fixtures(), fixtures().join("zeek")]
        .iter()
        .flat_map(|d| std::fs::read_dir(d).unwrap().flatten())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "pcap" || x == "pcapng"))
        .collect();
    v.sort();
    v
}

fn recorded(name: &str) -> Vec<u8> {
    std::fs::read(fixtures().join(name)).unwrap()
}

/// A little-endian Ethernet pcapng with every TCP and UDP port from 1024
/// up moved by `by`: the same lab, on other connections.
fn moved(pcapng: &[u8], by: u16) -> Vec<u8> {
    let mut b = pcapng.to_vec();
    let u32_at = |b: &[u8], i: usize| u32::from_le_bytes(b[i..i + 4].try_into().unwrap());
    let mut at = 0;
    while at + 8 <= b.len() {
        let len = u32_at(&b, at + 4) as usize;
        if u32_at(&b, at) == EPB {
            let frame = at + 28;
            let ip = frame + 14;
            let l4 = match (b[frame + 12], b[frame + 13]) {
                (0x08, 0x00) => Some((b[ip + 9], ip + usize::from(b[ip] & 15) * 4)),
                (0x86, 0xdd) => Some((b[ip + 6], ip + 40)),
                _ => None,
            };
            if let Some((6 | 17, l4)) = l4 {
                for port in [l4, l4 + 2] {
                    let p = u16::from_be_bytes([b[port], b[port + 1]]);
                    if p >= 1024 {
                        let q = (p - 1024 + by) % 64512 + 1024;
                        b[port..port + 2].copy_from_slice(&q.to_be_bytes());
                    }
                }
            }
        }
        at += len;
    }
    b
}

/// A big-endian nanosecond pcap of `frames`, 1 ms apart.
fn nanosecond_pcap(frames: Vec<Vec<u8>>) -> Vec<u8> {
    let mut out = Vec::new();
    for v in [0xa1b2_3c4d, 0x0002_0004, 0, 0, 65535, 1] {
        out.extend(u32::to_be_bytes(v));
    }
    for (i, f) in frames.into_iter().enumerate() {
        let len = f.len() as u32;
        for v in [1_700_000_000, 1_000_000 * i as u32 + 7, len, len] {
            out.extend(v.to_be_bytes());
        }
        out.extend(f);
    }
    out
}

/// The seed's lab from client port `port`, frames as Ethernet.
fn lab_from(port: u16, failing: bool) -> Vec<Vec<u8>> {
    let segments = if failing {
        seed_client_reset()
    } else {
        four_segment()
    };
    let client = segments[0].src.port();
    segments
        .into_iter()
        .map(|mut s| {
            if s.src.port() == client {
                s.src.set_port(port);
            } else {
                s.dst.set_port(port);
            }
            frame_of(&s)
        })
        .collect()
}

/// The lab with, as frame 5, a segment whose header is 16 bytes: a note.
fn with_a_bad_header(mut frames: Vec<Vec<u8>>, port: u16) -> Vec<Vec<u8>> {
    let s = &four_segment()[3];
    let bad = Tcp {
        data_offset: Some(4),
        src_port: port,
        ..Tcp::of(s)
    };
    let (src, dst): (IpAddr, IpAddr) = (s.src.ip(), s.dst.ip());
    frames.insert(4, eth(IPV4, &bad.in_ip(src, dst)));
    frames
}

/// A folder of every fixture and of captures in every form tshark reads,
/// most of them on connections of their own.
fn folder() -> tempfile::TempDir {
    folder_of(&fixture_files())
}

/// The project's recorded captures, four of Zeek's traces, and the made
/// ones: a set in which exactly three files share a connection with an
/// earlier one (Zeek's other traces share conversations among themselves).
fn small_folder() -> tempfile::TempDir {
    let zeek = [
        "ftp__cwd-navigation.pcap",
        "tcp__retransmit-timeout.pcapng",
        "tunnels__gre-sample.pcap",
        "tunnels__vxlan-encapsulated-http.pcap",
    ];
    let files: Vec<PathBuf> = fixture_files()
        .into_iter()
        .filter(|p| {
            p.parent() == Some(&fixtures())
                || zeek
                    .iter()
                    .any(|z| p.file_name() == Some(std::ffi::OsStr::new(z)))
        })
        .collect();
    folder_of(&files)
}

fn folder_of(files: &[PathBuf]) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    for f in files {
        std::fs::copy(f, d.path().join(f.file_name().unwrap())).unwrap();
    }
    let four = recorded("four-segment.pcapng");
    let made: Vec<(&str, Vec<u8>)> = vec![
        ("m-gzip.pcapng", gzip(&moved(&four, 101))),
        (
            "m-two-orders.pcapng",
            two_byte_orders(&moved(&four, 202), 20),
        ),
        (
            "m-gzip-two-orders.pcapng",
            gzip(&two_byte_orders(&moved(&four, 303), 40)),
        ),
        ("m-ipv6.pcapng", moved(&recorded("ipv6.pcapng"), 404)),
        (
            "m-rst.pcapng",
            moved(&recorded("seed-client-rst.pcapng"), 505),
        ),
        (
            "m-nanoseconds.pcap",
            nanosecond_pcap(lab_from(41000, false)),
        ),
        ("m-pcap-rst.pcap", pcap(lab_from(42000, true))),
        (
            "m-note.pcap",
            pcap(with_a_bad_header(lab_from(43000, false), 43000)),
        ),
        ("m-gzip.pcap", gzip(&pcap(lab_from(44000, false)))),
        // The same connection as four-segment.pcapng: read alone.
        ("m-same-connection.pcapng", gzip(&four)),
        ("m-empty.pcap", vec![]),
    ];
    for (name, bytes) in made {
        std::fs::write(d.path().join(name), bytes).unwrap();
    }
    d
}

/// The batch's connections, notes and error for each file, against
/// `tcplab check FILE` run on it alone, with the same options.
fn assert_each_file_as_alone(dir: &Path, options: &[&str]) {
    let mut args = vec!["check", dir.to_str().unwrap(), "--json"];
    args.extend(options);
    let (_, out, err) = tcplab(&args);
    let batch: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}\n{err}"));
    let files = batch["files"].as_array().unwrap();
    assert!(files.len() >= 25, "{}", files.len());
    let batch_notes: Vec<&str> = batch["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect();
    for f in files {
        let file = f["file"].as_str().unwrap();
        let mut alone = vec!["check", file, "--json"];
        alone.extend(options);
        let (code, out, err) = tcplab(&alone);
        if code == 2 {
            let sentence = err.trim_end().strip_prefix("tcplab: ").unwrap();
            assert_eq!(f["error"], sentence, "{file}");
            continue;
        }
        let single: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(f["error"], Value::Null, "{file}");
        assert_eq!(f["connections"], single["connections"], "{file}");
        let prefix = format!("{file}: ");
        let notes: Vec<String> = batch_notes
            .iter()
            .filter_map(|n| n.strip_prefix(&prefix).map(str::to_owned))
            .collect();
        assert_eq!(Value::from(notes), single["notes"], "{file}");
    }
}

#[test]
fn every_file_of_a_folder_is_judged_as_if_checked_alone() {
    let d = folder();
    assert_each_file_as_alone(d.path(), &[]);
    assert_each_file_as_alone(d.path(), &["--jobs", "1"]);
    // The fixtures' lab server port: elsewhere no connection on it.
    assert_each_file_as_alone(
        d.path(),
        &["--port", "45917", "--expect-close", "four-segment"],
    );
}

/// One tshark reads the folder; only the files that share a connection
/// with an earlier one are read again, alone.
#[test]
fn a_folder_is_one_stream_and_only_files_sharing_a_connection_are_read_alone() {
    let d = small_folder();
    let mut paths: Vec<PathBuf> = std::fs::read_dir(d.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    paths.sort();
    let refs: Vec<&Path> = paths.iter().map(PathBuf::as_path).collect();
    let results = std::sync::Mutex::new(vec![None; refs.len()]);
    let read = std::sync::Mutex::new(vec![0; refs.len()]);
    let stats = tcplab::capture::read_files(
        &refs,
        None,
        1,
        &|i| read.lock().unwrap()[i] += 1,
        &|i, r| {
            // Told read first, once.
            assert_eq!(read.lock().unwrap()[i], 1);
            results.lock().unwrap()[i] = Some(r.map(|f| f.packets).map_err(|e| e.to_string()));
        },
    );
    assert!(read.into_inner().unwrap().iter().all(|&n| n == 1));
    // Sorted, four-segment.pcapng comes first of those that share its
    // connection: gap.pcapng, midstream.pcapng and m-same-connection.pcapng.
    assert_eq!(
        stats,
        tcplab::capture::ReadStats {
            streams: 1,
            alone: 3
        }
    );
    let results = results.into_inner().unwrap();
    for (path, r) in paths.iter().zip(&results) {
        let alone = tcplab::capture::read_file(path, None)
            .map(|f| f.packets)
            .map_err(|e| e.to_string());
        assert_eq!(r.as_ref(), Some(&alone), "{}", path.display());
    }
}
