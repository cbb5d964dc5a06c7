//! The lab over a real two-namespace veth link (root only): segmentation at
//! MTU 1500, a deterministic loss and its retransmission, random loss.

use rstest::rstest;
use tcplab::connection::Role;
use tcplab::lab::{Lab, LabRun};
use tcplab::link::LinkConfig;
use tcplab::transfer::RetransmissionKind;
use tcplab::verdict::TerminationKind;

/// Runs the lab over a link, or says why the test is skipped (never silently).
async fn over_link(lab: Lab, link: LinkConfig) -> Option<LabRun> {
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("SKIPPED: a veth link needs root (network namespaces); run the tests as root");
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
fn client_data(run: &LabRun) -> Vec<(u32, u32)> {
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
    #[case] payloads: Vec<usize>,
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
    let total: u64 = payloads.iter().map(|&n| n as u64).sum();
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
    assert_eq!(last_ack, total as u32 + 2, "data plus the client's FIN");
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
    #[case] payloads: Vec<usize>,
    #[case] nth: u32,
    #[case] dropped: (u32, u32),
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
    let again: Vec<(u32, u32)> = run
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
    run.ensure().unwrap();
    let t = &run.verdict.findings.transfer;
    let sizes: Vec<u64> = payloads.iter().map(|&n| n as u64).collect();
    assert_eq!(t.message_sizes(Role::Client), sizes, "{}", run.connection);
    assert_eq!(t.message_sizes(Role::Server), sizes, "the echo");
    assert_eq!(
        run.verdict.findings.termination.kind,
        TerminationKind::FourSegment
    );
    assert_eq!(
        t.retransmissions.len(),
        run.verdict.findings.retransmissions
    );
}
