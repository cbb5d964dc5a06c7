//! The lab over a real two-namespace veth link (root only): segmentation at
//! MTU 1500, a deterministic loss and its retransmission, random loss.

mod common;

use common::tcplab;
use rstest::rstest;
use tcplab::connection::Role;
use tcplab::lab::{Lab, LabRun};
use tcplab::net::link::{LinkConfig, VethLink};
use tcplab::transfer::RetransmissionKind;
use tcplab::verdict::TerminationKind;

/// Whether this process may create network namespaces; if not, says why the
/// test is skipped (never silently).
fn namespaces_permitted() -> bool {
    match tcplab::net::netns::Namespace::new() {
        Ok(_) => true,
        Err(e) => {
            eprintln!("SKIPPED: {e}");
            false
        }
    }
}

/// Runs the lab over a link, or says why the test is skipped.
async fn over_link(lab: Lab, link: LinkConfig) -> Option<LabRun> {
    if !namespaces_permitted() {
        return None;
    }
    Some(
        lab.link(link)
            .run()
            .await
            .expect("the lab over the link runs"),
    )
}

/// The client's data segments as first sent (retransmissions left out).
fn client_data(run: &LabRun) -> Vec<(u64, u32)> {
    run.connection
        .steps
        .iter()
        .filter(|s| s.from == Role::Client && s.segment.len > 0)
        .filter(|s| !s.is_retransmission())
        .map(|s| (s.seq, s.segment.len))
        .collect()
}

#[rstest]
#[case::lab_sheet(vec![479, 1380], vec![vec![479], vec![1380]])]
#[case::four_thousand(vec![4000], vec![vec![1448, 1448, 1104]])]
#[case::exactly_one_mss(vec![1448, 1449], vec![vec![1448], vec![1448, 1]])]
#[tokio::test]
async fn mtu_1500_cuts_messages_into_segments_of_at_most_1448(
    #[case] payloads: Vec<u64>,
    #[case] segments: Vec<Vec<u32>>,
) {
    let Some(run) = over_link(Lab::new().payloads(payloads.clone()), LinkConfig::default()).await
    else {
        return;
    };
    run.ensure().unwrap();
    let f = &run.verdict.findings;
    let seen: Vec<u32> = client_data(&run).iter().map(|&(_, len)| len).collect();
    assert_eq!(seen, segments.concat(), "{}", run.connection);
    let t = &f.transfer;
    let cut: Vec<Vec<u32>> = t
        .messages
        .iter()
        .filter(|m| m.from == Role::Client)
        .map(|m| m.segments.clone())
        .collect();
    assert_eq!(cut, segments);
    // MTU 1500 - 20 (IP) - 20 (TCP) = MSS 1460; timestamps take 12 more.
    assert_eq!((t.client_mss, t.server_mss), (Some(1460), Some(1460)));
    assert!(
        t.client_largest <= 1448 && t.server_largest <= 1448,
        "{t:?}"
    );
    assert_eq!(
        t.message_sizes(Role::Server),
        t.message_sizes(Role::Client),
        "the echo"
    );
    assert!(t.retransmissions.is_empty() && t.duplicate_acks == 0);
    let total: u64 = payloads.iter().sum();
    assert_eq!(f.client_bytes, total);
    // The cumulative ack still covers every byte: 1 + total.
    let last_ack = run
        .connection
        .steps
        .iter()
        .filter(|s| s.from == Role::Server && s.segment.flags.ack())
        .filter_map(|s| s.ack)
        .max()
        .unwrap();
    assert_eq!(last_ack, total + 2, "data plus the client's FIN");
    assert_eq!(f.termination.kind, TerminationKind::FourSegment);
    assert_eq!(run.link.as_ref().unwrap().dropped, (0, 0));
}

#[rstest]
// The last segment of a flight: nothing follows to draw duplicate ACKs, a timer resends it.
#[case::third_of_4000(vec![4000], 3, (2897, 1104), RetransmissionKind::Timeout)]
// A segment followed by another: the receiver's duplicate ACK (with SACK) asks for it at once.
#[case::second_of_4000(vec![4000], 2, (1449, 1448), RetransmissionKind::Fast)]
#[case::the_1380_message(vec![479, 1380], 2, (480, 1380), RetransmissionKind::Timeout)]
#[tokio::test]
async fn dropping_the_nth_data_segment_costs_exactly_one_retransmission(
    #[case] payloads: Vec<u64>,
    #[case] nth: u32,
    #[case] dropped: (u64, u32),
    #[case] kind: RetransmissionKind,
) {
    let link = LinkConfig {
        drop_nth: Some(nth),
        ..LinkConfig::default()
    };
    let Some(run) = over_link(Lab::new().payloads(payloads), link).await else {
        return;
    };
    assert_eq!(run.link.as_ref().unwrap().dropped, (1, 0));
    let again: Vec<(u64, u32)> = run
        .connection
        .steps
        .iter()
        .filter(|s| s.is_retransmission())
        .map(|s| (s.seq, s.segment.len))
        .collect();
    assert_eq!(again, vec![dropped], "{}", run.connection);
    let t = &run.verdict.findings.transfer;
    assert_eq!(t.retransmissions.len(), 1);
    assert_eq!(t.retransmissions[0].kind, kind, "{}", run.connection);
    assert_eq!(t.retransmissions[0].from, Role::Client);
    assert_eq!(client_data(&run)[nth as usize - 1], dropped);
    assert_eq!(run.verdict.findings.retransmissions, 1);
    // The data is still all acknowledged, and the close still four segments.
    run.ensure().unwrap();
    assert_eq!(
        run.verdict.findings.termination.kind,
        TerminationKind::FourSegment
    );
}

/// Random loss both ways: every byte still arrives once, and the close is
/// still the four-segment one (a resent FIN or ACK does not change it).
#[rstest]
#[tokio::test]
async fn random_loss_is_recovered_and_the_close_stays_four_segments(#[values(5, 10)] percent: u8) {
    let payloads = vec![479, 1380, 20000];
    let lab = Lab::new()
        .payloads(payloads.clone())
        // A lost SYN waits 1 s, then 2 s, 4 s...: leave room for three.
        .io_timeout(std::time::Duration::from_secs(30));
    let Some(run) = over_link(lab, LinkConfig::default().loss(percent)).await else {
        return;
    };
    let (to_server, to_client) = run.link.as_ref().unwrap().dropped;
    eprintln!("{percent}%: dropped {to_server} + {to_client}");
    // ensure() holds the check `client_messages`: the server acknowledged
    // the end of each message exactly. How the sender cut the messages
    // into segments (and where the echo began) is not asserted.
    run.ensure().unwrap();
    let t = &run.verdict.findings.transfer;
    let sent: u64 = payloads.iter().sum();
    let f = &run.verdict.findings;
    assert_eq!(
        (f.client_bytes, f.server_bytes),
        (sent, sent),
        "{}",
        run.connection
    );
    assert!(
        f.client_data_acked && f.server_data_acked,
        "{}",
        run.connection
    );
    assert_eq!(
        run.verdict.findings.termination.kind,
        TerminationKind::FourSegment
    );
    assert_eq!(
        t.retransmissions.len(),
        run.verdict.findings.retransmissions
    );
}

/// Every process and thread still in one of these network namespaces (by inode).
fn holders_of(namespaces: &[u64]) -> Vec<String> {
    use std::os::unix::fs::MetadataExt;
    let mut out = Vec::new();
    for proc_dir in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(tasks) = std::fs::read_dir(proc_dir.path().join("task")) else {
            continue;
        };
        for task in tasks.flatten() {
            let Ok(meta) = std::fs::metadata(task.path().join("ns/net")) else {
                continue;
            };
            if namespaces.contains(&meta.ino()) {
                out.push(task.path().display().to_string());
            }
        }
    }
    out
}

/// The namespaces, and with them the veth pair and the rules, are gone
/// after a lab, and after a panic while the link and its capture ran.
#[tokio::test]
async fn nothing_of_the_link_outlives_it_not_even_after_a_panic() {
    if !namespaces_permitted() {
        return;
    }
    let link = VethLink::create(&LinkConfig {
        drop_nth: Some(1),
        ..LinkConfig::default()
    })
    .unwrap();
    let ids = vec![
        link.server_ns().id().unwrap(),
        link.client_ns().id().unwrap(),
    ];
    let capture = tcplab::capture::LiveCapture::start(
        tcplab::capture::LiveConfig::default().over(&link),
        &tcplab::capture::TcpFilter::All,
    )
    .await
    .unwrap();
    let tcpdump = capture.pids().0.unwrap();
    assert!(
        holders_of(&ids)
            .iter()
            .any(|t| t.starts_with(&format!("/proc/{tcpdump}/")))
    );
    let panicked = std::thread::spawn(move || {
        let _owned = (link, capture);
        panic!("a test failing while the link runs");
    })
    .join();
    assert!(panicked.is_err());
    assert_eq!(holders_of(&ids), Vec::<String>::new());
    assert!(!std::path::Path::new(&format!("/proc/{tcpdump}")).exists());
    // And a whole `tcplab run --link` leaves nothing in any namespace of its own.
    let (code, out, err) = tcplab(&["run", "--link", "veth", "--json"]);
    assert_eq!(code, 0, "{out}{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        v["connections"][0]["server"]
            .as_str()
            .unwrap()
            .split(':')
            .next(),
        Some("198.18.0.1")
    );
}

#[rstest]
#[case::loss_needs_a_link(&["run", "--loss", "5%"], "--link")]
#[case::not_a_percentage(&["run", "--link", "veth", "--loss", "150%"], "not a percentage")]
#[case::drop_nth_counts_from_one(&["run", "--link", "veth", "--drop-nth", "0"], "counts from 1")]
#[case::impossible_mtu(&["run", "--link", "veth", "--mtu", "20"], "MTU of 20 is not possible")]
#[case::no_ipv6_link(&["run", "--link", "veth", "--ipv6"], "leave out --ipv6")]
#[case::bad_rate(&["run", "--link", "veth", "--rate", "fast"], "give a number and a unit, like 10mbit")]
fn bad_link_options_are_one_sentence_and_exit_2(#[case] args: &[&str], #[case] says: &str) {
    if args.len() > 3 && !namespaces_permitted() {
        return;
    }
    let (code, out, err) = tcplab(args);
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains(says), "{err}");
}

/// Settings that cannot work are refused before anything starts, in one
/// sentence of tcplab's own (not nft's range error, not tc's usage text,
/// not a lab whose every segment is fragmented); no root needed to hear it.
#[rstest]
#[case::mtu_that_fragments(&["--mtu", "87"], "an MTU of 87 is not possible for the lab: below 88 the kernel fragments every TCP segment")]
#[case::all_lost(&["--loss", "100%"], "a loss of 100% to the server drops every segment, so no connection can be made: give 0% to 99%")]
#[case::all_lost_to_the_client(&["--loss-to-client", "100"], "a loss of 100% to the client drops every segment")]
#[case::rate_below_a_byte(&["--rate", "1bit"], "the rate `1bit` is below 8bit, the slowest rate tc can set: give a number and a unit, like 10mbit or 500kbit")]
#[case::rate_tc_misreads(&["--rate=-5mbit"], "the rate `-5mbit` does not start with a plain decimal number")]
fn link_options_that_cannot_work_say_so_in_one_sentence(
    #[case] options: &[&str],
    #[case] says: &str,
) {
    let mut args = vec!["run", "--link", "veth"];
    args.extend_from_slice(options);
    let (code, out, err) = tcplab(&args);
    assert_eq!(code, 2, "{out}{err}");
    assert!(out.is_empty(), "{out}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with(&format!("tcplab: {says}")), "{err}");
}

/// The JSON report of a lossy run says what the link did and how TCP recovered.
#[test]
fn the_json_of_a_link_run_has_the_link_and_the_transfer() {
    if !namespaces_permitted() {
        return;
    }
    let (code, out, err) = tcplab(&[
        "run",
        "--link",
        "veth",
        "--drop-nth",
        "3",
        "--payload",
        "4000",
        "--json",
    ]);
    assert_eq!(code, 0, "{out}{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["link"]["dropped"], serde_json::json!([1, 0]));
    assert!(
        v["link"]["description"]
            .as_str()
            .unwrap()
            .contains("MTU 1500")
    );
    let t = &v["connections"][0]["transfer"];
    assert_eq!(t["client_mss"], 1460);
    // What TCP guarantees, not how the sender happened to cut the message
    // on a busy machine: every byte once, no segment over the MSS less the
    // timestamps option, the dropped segment sent again, an orderly close.
    let segments: Vec<u64> = t["messages"][0]["segments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_u64().unwrap())
        .collect();
    assert_eq!(segments.iter().sum::<u64>(), 4000, "{t:#}");
    assert!(segments.iter().all(|&n| n <= 1448), "{t:#}");
    let resent = t["retransmissions"].as_array().unwrap();
    assert!(!resent.is_empty(), "{t:#}");
    for r in resent {
        assert_eq!(r["from"], "client", "{t:#}");
        assert!(
            ["fast", "timeout"].contains(&r["kind"].as_str().unwrap()),
            "{t:#}"
        );
        let (seq, len) = (r["seq"].as_u64().unwrap(), r["len"].as_u64().unwrap());
        assert!(seq >= 1 && seq + len <= 4001, "{t:#}");
    }
    assert_eq!(v["connections"][0]["client_bytes"], 4000);
    assert_eq!(v["connections"][0]["termination"]["kind"], "four_segment");
}

/// A sweep over the link: one link and capture per size, in parallel.
#[test]
fn a_sweep_over_the_link_segments_every_size() {
    if !namespaces_permitted() {
        return;
    }
    let (code, out, err) = tcplab(&[
        "sweep",
        "--link",
        "veth",
        "--sizes",
        "1000,1448,1449,4000",
        "--jobs",
        "4",
        "--json",
    ]);
    assert_eq!(code, 0, "{out}{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let largest: Vec<u64> = v["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["largest_segment"].as_u64().unwrap())
        .collect();
    assert_eq!(largest, vec![1000, 1448, 1448, 1448]);
}

/// Without root, one sentence and exit code 2 (run as `nobody`).
#[test]
fn without_root_the_link_says_so() {
    let Some((code, stderr)) = common::tcplab_as_nobody(&["run", "--link", "veth"]) else {
        return;
    };
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("only root may create"), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
}
