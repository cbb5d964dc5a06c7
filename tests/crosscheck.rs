//! What tcplab computes instead of asking tshark for two-dot fields (one
//! such field would cost full PDML): the TCP options, parsed from the raw
//! `tcp.options` bytes, and Wireshark's `tcp.analysis.*` flags. Here both
//! are checked against tshark's own two-dot fields, frame by frame, on every
//! capture under `tests/fixtures/`: the loopback labs, a lossy veth lab
//! (`lossy-link.pcapng`: SACK, out of order, retransmissions, duplicate
//! ACKs, fast retransmissions), a capture with a gap, and Zeek's 32 traces
//! of real networks (`zeek/`: a spurious retransmission, tunnels, SSH, FTP,
//! HTTP, ...). tshark runs once per capture and check: some 20 s in all.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use tcplab::connection::{Analysis, Resend};
use tcplab::wire::{Malformed, Segment};

const FLAGS: [&str; 9] = [
    "tcp.analysis.retransmission",
    "tcp.analysis.fast_retransmission",
    "tcp.analysis.spurious_retransmission",
    "tcp.analysis.out_of_order",
    "tcp.analysis.duplicate_ack",
    "tcp.analysis.lost_segment",
    "tcp.analysis.zero_window",
    "tcp.analysis.keep_alive",
    "tcp.analysis.zero_window_probe",
];

/// The flags tshark sets on each frame, in the order of [`FLAGS`].
fn tsharks(path: &Path) -> HashMap<u64, [bool; 9]> {
    let mut cmd = Command::new("tshark");
    cmd.arg("-r")
        .arg(path)
        .args(["-n", "-T", "fields", "-e", "frame.number"]);
    for f in FLAGS {
        cmd.args(["-e", f]);
    }
    let out = cmd.output().unwrap();
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let cols: Vec<&str> = l.split('\t').collect();
            let mut flags = [false; 9];
            for (i, f) in flags.iter_mut().enumerate() {
                *f = cols.get(i + 1).is_some_and(|c| !c.is_empty());
            }
            (cols[0].parse().unwrap(), flags)
        })
        .collect()
}

/// tcplab's analysis in tshark's terms: a fast or spurious retransmission
/// is also a retransmission there.
fn ours(a: &Analysis) -> [bool; 9] {
    let r = a.resend;
    [
        matches!(
            r,
            Some(Resend::Retransmission | Resend::Fast | Resend::Spurious)
        ),
        r == Some(Resend::Fast),
        r == Some(Resend::Spurious),
        r == Some(Resend::OutOfOrder),
        a.duplicate_ack,
        a.lost_segment,
        a.zero_window,
        a.keep_alive,
        a.zero_window_probe,
    ]
}

/// Every capture under `tests/fixtures/` and `tests/fixtures/zeek/`.
fn captures() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut v: Vec<PathBuf> = [root.clone(), root.join("zeek")]
        .iter()
        .flat_map(|dir| std::fs::read_dir(dir).unwrap().flatten())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "pcap" || x == "pcapng"))
        .collect();
    v.sort();
    v
}

#[test]
fn analysis_agrees_with_tsharks_on_every_fixture() {
    let mut bad = Vec::new();
    // How often tshark set each flag, to be sure the captures exercise them.
    let mut seen = [0usize; 9];
    for path in captures() {
        // Not a capture, truncated, no TCP: the CLI tests cover those.
        let Ok(file) = tcplab::capture::read_file(&path, None) else {
            continue;
        };
        let theirs = tsharks(&path);
        for c in &file.connections {
            // A header tshark read whole but found short (its framing took a
            // trailer for an FCS, after Cisco FabricPath) stops tshark's
            // dissection before its analysis: nothing to compare with.
            let analysed = c
                .steps
                .iter()
                .filter(|s| !s.segment.malformed.contains(&Malformed::ShortSegment));
            for s in analysed {
                let o = ours(&s.analysis);
                let t = theirs[&s.segment.frame];
                for (n, &flag) in seen.iter_mut().zip(&t) {
                    *n += usize::from(flag);
                }
                if o != t {
                    bad.push(format!(
                        "{} frame {}: ours {:?} tshark {:?}",
                        path.file_name().unwrap().to_string_lossy(),
                        s.segment.frame,
                        FLAGS
                            .iter()
                            .zip(o)
                            .filter(|x| x.1)
                            .map(|x| x.0)
                            .collect::<Vec<_>>(),
                        FLAGS
                            .iter()
                            .zip(t)
                            .filter(|x| x.1)
                            .map(|x| x.0)
                            .collect::<Vec<_>>()
                    ));
                }
            }
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
    // Retransmissions of every kind, out of order, duplicate ACKs and a gap
    // were all compared; no fixture has a keep-alive or a zero window (the
    // unit tests in src/connection/analysis.rs cover those).
    let [
        retransmission,
        fast,
        spurious,
        out_of_order,
        duplicate_ack,
        lost,
        ..,
    ] = seen;
    assert!(
        [
            retransmission,
            fast,
            spurious,
            out_of_order,
            duplicate_ack,
            lost
        ]
        .iter()
        .all(|&n| n > 0),
        "{seen:?}"
    );
}

/// One row per frame of `tshark -T fields` for `fields`, each occurrence
/// comma-joined, with raw (not relative) sequence numbers.
fn tshark_columns(path: &Path, fields: &[&str]) -> HashMap<u64, Vec<String>> {
    let mut cmd = Command::new("tshark");
    cmd.arg("-r").arg(path).args([
        "-n",
        "-o",
        "tcp.relative_sequence_numbers:FALSE",
        "-T",
        "fields",
        "-E",
        "occurrence=a",
        "-E",
        "aggregator=,",
        "-e",
        "frame.number",
    ]);
    for f in fields {
        cmd.args(["-e", f]);
    }
    let out = cmd.output().unwrap();
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let mut cols = l.split('\t').map(str::to_owned);
            let frame = cols.next().unwrap().parse().unwrap();
            (frame, cols.collect())
        })
        .collect()
}

/// Every segment of a capture, as tcplab read it.
fn segments(path: &Path) -> Option<Vec<Segment>> {
    let file = tcplab::capture::read_file(path, None).ok()?;
    Some(
        file.connections
            .into_iter()
            .flat_map(|c| c.steps.into_iter().map(|s| s.segment))
            .collect(),
    )
}

/// The options parsed from `tcp.options` against tshark's option fields.
#[test]
fn parsed_options_agree_with_tsharks_option_fields() {
    let fields = [
        "tcp.options.mss_val",
        "tcp.options.wscale.shift",
        "tcp.options.sack_perm",
        "tcp.options.timestamp.tsval",
        "tcp.options.timestamp.tsecr",
        "tcp.options.sack_le",
        "tcp.options.sack_re",
    ];
    // How many segments carried each, to be sure the captures exercise them.
    let mut seen = [0usize; 5];
    for path in captures() {
        let Some(segments) = segments(&path) else {
            continue;
        };
        let theirs = tshark_columns(&path, &fields);
        for s in segments {
            let name = format!("{} frame {}", path.display(), s.frame);
            let t = &theirs[&s.frame];
            let col = |i: usize| t.get(i).map(String::as_str).unwrap_or("");
            let o = &s.options;
            let shown = |v: Option<String>| v.unwrap_or_default();
            assert_eq!(shown(o.mss.map(|m| m.to_string())), col(0), "{name}");
            assert_eq!(
                shown(o.window_scale.map(|w| w.to_string())),
                col(1),
                "{name}"
            );
            assert_eq!(o.sack_permitted, !col(2).is_empty(), "{name}");
            assert_eq!(
                shown(o.timestamps.map(|(v, _)| v.to_string())),
                col(3),
                "{name}"
            );
            assert_eq!(
                shown(o.timestamps.map(|(_, e)| e.to_string())),
                col(4),
                "{name}"
            );
            let edges = |edge: fn(&tcplab::wire::options::SackBlock) -> u32| {
                let v: Vec<String> = o.sack_blocks.iter().map(|b| edge(b).to_string()).collect();
                v.join(",")
            };
            assert_eq!(edges(|b| b.left.get()), col(5), "{name}");
            assert_eq!(edges(|b| b.right.get()), col(6), "{name}");
            let present = [
                o.mss.is_some(),
                o.window_scale.is_some(),
                o.sack_permitted,
                o.timestamps.is_some(),
                !o.sack_blocks.is_empty(),
            ];
            for (n, p) in seen.iter_mut().zip(present) {
                *n += usize::from(p);
            }
        }
    }
    // MSS, window scale, SACK permitted, timestamps and SACK blocks were all compared.
    assert!(seen.iter().all(|&n| n > 0), "{seen:?}");
}

/// Reading a file stops at the packet count its shape check found, so that
/// count must never be below the packets tshark shows.
#[test]
fn the_shape_check_counts_every_packet_tshark_shows() {
    for path in captures() {
        let Ok(file) = tcplab::capture::shape::open_capture(&path) else {
            continue;
        };
        let Ok(shape) = tcplab::capture::shape::check_file(&file) else {
            continue;
        };
        let frames = tshark_columns(&path, &[]).len() as u64;
        assert_eq!(shape.frames, frames, "{}", path.display());
    }
}
