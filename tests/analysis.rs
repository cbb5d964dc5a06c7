//! tcplab computes Wireshark's `tcp.analysis.*` flags itself (asking tshark
//! for them would cost full PDML). Here they are checked against tshark's
//! own, frame by frame, on every capture under `tests/fixtures/`: the
//! loopback labs, a lossy veth lab (`lossy-link.pcapng`: out of order,
//! retransmissions, duplicate ACKs, fast retransmissions) and Zeek's traces
//! (`zeek/`: a spurious retransmission, tunnels).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use tcplab::connection::{Analysis, Resend};

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
            for s in &c.steps {
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
