//! tcplab against Zeek on captures of real networks: Zeek's own test traces
//! (`tests/fixtures/zeek/`, from zeek/zeek at a13de64f, BSD licence in
//! `COPYING` beside them) and the `conn.log` rows Zeek's test suite expects
//! for them (`expected.json`).
//!
//! `tcplab check tests/fixtures/zeek --json` judges all 32 traces; each
//! Zeek TCP row is matched with tcplab's connection of the same 4-tuple
//! (the n-th row of a 4-tuple with its n-th connection: Zeek splits some
//! 4-tuples, and so does tcplab). Per connection, unless it is one of the
//! definitional differences below (README, "Where tcplab and Zeek differ by
//! definition"): the history is Zeek's letter for letter, with the client
//! Zeek's originator; `conn_state` is Zeek's and fits tcplab's
//! `termination`; packets and payload bytes per direction are Zeek's.
//! The test prints one line,
//! `zeek: N connections, history exact H/N, state S/N, bytes B/N`,
//! and fails on any other disagreement, or below 95% of histories exact.

use std::collections::HashMap;
use std::path::Path;

use serde_json::Value;

mod common;
use common::tcplab;

/// Connections where tcplab differs from Zeek by definition: trace, Zeek's
/// originator, and why.
const DEFINITIONAL: &[(&str, &str, &str)] = &[
    (
        "auth_change_session_keys.pcap",
        "192.168.1.2:49159",
        "checksums: the responder's packets carry an IPv4 header checksum of 0; Zeek (run without -C) dropped them, tcplab does not verify checksums",
    ),
    (
        "globus-url-copy.pcap",
        "192.168.57.103:35391",
        "application analysis: Zeek's GridFTP script stopped analysing the data channel (skip_further_processing) after 13 packets; tcplab has no application analyzers",
    ),
    (
        "vntag_vlan_sandwich_clean.pcap",
        "10.10.10.1:443",
        "a TCP header cut by the snapshot length: Zeek ignores the packet (history -, 0 packets), tcplab reads the flags and numbers that were captured",
    ),
];

fn host_port(s: &str) -> (String, u16) {
    let (h, p) = s.rsplit_once(':').expect("ip:port");
    let ip: std::net::IpAddr = h.trim_matches(['[', ']']).parse().expect("an address");
    (ip.to_string(), p.parse().expect("a port"))
}

fn tuple(a: &str, b: &str) -> Vec<(String, u16)> {
    let mut v = vec![host_port(a), host_port(b)];
    v.sort();
    v
}

fn count(v: &Value) -> Option<u64> {
    match v {
        Value::String(s) => s.parse().ok(),
        v => v.as_u64(),
    }
}

/// Letters before the first RST letter.
fn before_rst(history: &str) -> &str {
    history.split(['R', 'r']).next().unwrap_or("")
}

/// Whether tcplab's `termination` fits Zeek's `conn_state`, as the README
/// maps them: SF is an orderly close, or by definition a reset after both
/// FINs, or incomplete when a FIN was never acknowledged; REJ is refused;
/// RSTO, RSTR, RSTOS0, RSTRH a reset; OTH midstream traffic, incomplete or
/// a reset; the others incomplete.
fn fits(termination: &str, state: &str, history: &str) -> bool {
    let fins = |h: &str| h.contains('F') && h.contains('f');
    match (state, termination) {
        ("SF", "four_segment" | "three_segment" | "simultaneous") => true,
        ("SF", "reset") => fins(before_rst(history)),
        ("SF", "incomplete") => fins(history),
        ("REJ", "refused") => true,
        ("RSTO" | "RSTR" | "RSTOS0" | "RSTRH", "reset") => true,
        ("OTH", "incomplete" | "reset") => true,
        ("S0" | "S1" | "S2" | "S3" | "SH" | "SHR", "incomplete") => true,
        _ => false,
    }
}

#[test]
fn connections_agree_with_zeeks_conn_log() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/zeek");
    let expected: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("expected.json")).unwrap()).unwrap();
    let (_, stdout, stderr) = tcplab(&["check", dir.to_str().unwrap(), "--json"]);
    let report: Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}\n{stderr}"));
    let mut ours: HashMap<String, &Vec<Value>> = HashMap::new();
    for f in report["files"].as_array().unwrap() {
        let name = Path::new(f["file"].as_str().unwrap()).file_name().unwrap();
        assert_eq!(f["error"], Value::Null, "{f:#}");
        ours.insert(
            name.to_string_lossy().into_owned(),
            f["connections"].as_array().unwrap(),
        );
    }

    let (mut n, mut history, mut state, mut bytes) = (0, 0, 0, 0);
    let mut wrong = Vec::new();
    for (trace, entry) in expected.as_object().unwrap() {
        let conns = ours
            .get(trace)
            .unwrap_or_else(|| panic!("{trace} not checked"));
        // The n-th row of a 4-tuple goes with its n-th connection.
        let mut used: HashMap<Vec<(String, u16)>, usize> = HashMap::new();
        for z in entry["connections"].as_array().unwrap() {
            if z["proto"] != "tcp" {
                continue;
            }
            n += 1;
            let (orig, resp) = (z["orig"].as_str().unwrap(), z["resp"].as_str().unwrap());
            let key = tuple(orig, resp);
            let nth = used.entry(key.clone()).or_insert(0);
            let c = conns
                .iter()
                .filter(|c| {
                    tuple(c["client"].as_str().unwrap(), c["server"].as_str().unwrap()) == key
                })
                .nth(*nth);
            *nth += 1;
            let known = DEFINITIONAL
                .iter()
                .any(|&(t, o, _)| t == trace && host_port(o) == host_port(orig));
            let Some(c) = c else {
                wrong.push(format!("{trace} {orig} -> {resp}: no tcplab connection"));
                continue;
            };
            let mut diffs = Vec::new();
            let zeek_history = z["history"].as_str().unwrap().replace('-', "");
            let ours_history = c["history"].as_str().unwrap();
            let same_client = host_port(c["client"].as_str().unwrap()) == host_port(orig);
            if ours_history == zeek_history && same_client {
                history += 1;
            } else {
                diffs.push(format!(
                    "history {ours_history} (client {}), Zeek {zeek_history}",
                    c["client"]
                ));
            }
            let zeek_state = z["conn_state"].as_str().unwrap();
            let kind = c["termination"]["kind"].as_str().unwrap();
            if c["conn_state"] == zeek_state && fits(kind, zeek_state, ours_history) {
                state += 1;
            } else {
                diffs.push(format!(
                    "termination {kind}, conn_state {}, Zeek {zeek_state}",
                    c["conn_state"]
                ));
            }
            let (mine, theirs) = if same_client {
                ("client", "server")
            } else {
                ("server", "client")
            };
            let ours_bytes =
                [&c[format!("{mine}_bytes")], &c[format!("{theirs}_bytes")]].map(count);
            // Zeek logs no byte counts (`-`) for a connection that lasted 0 s.
            let zeek_bytes = [&z["orig_bytes"], &z["resp_bytes"]].map(count);
            if zeek_bytes.contains(&None) || ours_bytes == zeek_bytes {
                bytes += 1;
            } else {
                diffs.push(format!("bytes {ours_bytes:?}, Zeek {zeek_bytes:?}"));
            }
            let ours_packets = [
                &c[format!("{mine}_packets")],
                &c[format!("{theirs}_packets")],
            ]
            .map(count);
            let zeek_packets = [&z["orig_pkts"], &z["resp_pkts"]].map(count);
            if ours_packets != zeek_packets {
                diffs.push(format!("packets {ours_packets:?}, Zeek {zeek_packets:?}"));
            }
            if !diffs.is_empty() && !known {
                wrong.push(format!("{trace} {orig} -> {resp}: {}", diffs.join("; ")));
            }
        }
    }
    println!(
        "zeek: {n} connections, history exact {history}/{n}, state {state}/{n}, bytes {bytes}/{n}"
    );
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert!(
        history * 100 >= n * 95,
        "history exact {history}/{n}, below 95%"
    );
}

#[test]
fn the_termination_fits_zeeks_conn_state_as_the_readme_maps_them() {
    assert!(fits("three_segment", "SF", "ShAdDaFf"));
    assert!(fits("reset", "SF", "ShAdDafFr"));
    assert!(!fits("reset", "SF", "ShADadFR"));
    assert!(fits("incomplete", "SF", "ShADdtaTTFft"));
    assert!(!fits("refused", "RSTRH", "Dr"));
    assert!(fits("reset", "RSTRH", "Dr"));
    assert!(!fits("four_segment", "S1", "ShADad"));
}

/// ssh.client-side-half-duplex: only the client's side was captured, so
/// its SYN looks unanswered; 5 s on Zeek ends the attempt (`SAD`, S0) and
/// the same 4-tuple's later packets are a second connection (`DAF`, SH),
/// as in Zeek's conn.log. Both reports say why.
#[test]
fn a_4_tuple_zeek_splits_is_two_connections_that_say_why() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/zeek/ssh__ssh.client-side-half-duplex.pcap");
    let path = path.to_str().unwrap();
    let (_, stdout, _) = tcplab(&["check", path, "--json"]);
    let v: Value = serde_json::from_str(&stdout).unwrap();
    let both: Vec<&Value> = v["connections"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["client"] == "192.168.1.79:51880")
        .collect();
    let seen: Vec<[&Value; 4]> = both
        .iter()
        .map(|c| {
            [
                &c["history"],
                &c["conn_state"],
                &c["client_packets"],
                &c["split"],
            ]
        })
        .collect();
    assert_eq!(
        seen,
        [
            [
                &"SAD".into(),
                &"S0".into(),
                &19.into(),
                &"unanswered".into()
            ],
            [&"DAF".into(), &"SH".into(), &6.into(), &Value::Null]
        ]
    );
    let (_, text, _) = tcplab(&["check", path]);
    assert!(
        text.contains(
            "split:           the SYN went unanswered for 5 s, so Zeek ended the attempt"
        ),
        "{text}"
    );
}
