//! Payload-size experiments in the normal suite: one shared capture for the
//! whole test process, one lab per size, every size asserted.

use rstest::rstest;
use tcplab::capture::Session;
use tcplab::connection::Role;
use tcplab::lab::{Lab, ServerClose};
use tcplab::verdict::TerminationKind;

/// Every byte of two messages of `n` bytes is acknowledged cumulatively, and
/// the close is the four-segment one, from 1 byte to past two loopback MSS.
#[rstest]
#[tokio::test]
async fn cumulative_ack_and_close_for_every_size(
    #[values(
        1, 2, 100, 479, 536, 1000, 1380, 1448, 4096, 16384, 32768, 65483, 65484, 65535, 65536,
        100000, 130966, 131072, 200000, 262144
    )]
    n: u64,
) {
    let session = Session::shared().expect("capture session");
    let run = Lab::new()
        .payloads([n, n])
        .run_in(session)
        .await
        .expect("lab runs");
    let c = &run.connection;
    let acks = c.acks_from(Role::Server);
    assert!(
        acks.contains(&(1 + n)),
        "no Ack={} after the first message\n{c}",
        1 + n
    );
    assert!(
        acks.contains(&(1 + 2 * n)),
        "no Ack={} after the second\n{c}",
        1 + 2 * n
    );
    assert_eq!(
        run.verdict.findings.termination.kind,
        TerminationKind::FourSegment,
        "{c}"
    );
    assert_eq!(c.bytes_sent(Role::Client), 2 * n, "{c}");
    run.ensure().expect("the lab sheet holds");
}

/// Labs sharing the session run at the same time and each gets only its own
/// connection.
#[tokio::test]
async fn concurrent_labs_get_only_their_own_connection() {
    let session = Session::shared().expect("capture session");
    let mut set = tokio::task::JoinSet::new();
    for i in 0..8 {
        let lab = Lab::new()
            .payloads([100 + i])
            .close(ServerClose::ALL[i as usize % 3]);
        set.spawn(async move { (i, lab.run_in(session).await) });
    }
    while let Some(joined) = set.join_next().await {
        let (i, run) = joined.expect("the lab task ends");
        let run = run.expect("lab runs");
        let c = &run.connection;
        assert_eq!((c.client, c.server), (run.client, run.server));
        assert_eq!(c.bytes_sent(Role::Client), 100 + i, "{c}");
        assert_eq!(
            run.verdict.findings.termination.kind,
            ServerClose::ALL[i as usize % 3].expected_termination(),
            "{c}"
        );
    }
}
