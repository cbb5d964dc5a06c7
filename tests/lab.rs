//! The seed's lab, run live: real sockets, real kernel TCP, real tshark.
//!
//! Each test gets its own lab (its own server and port) from the `lab`
//! fixture, so the tests run in parallel. They share one capture session per
//! test process (tshark starts once), and each still gets only its own
//! connection; the IPv6 case and the 50-labs case use their own captures.

use rstest::{fixture, rstest};
use tcplab::capture::Session;
use tcplab::connection::{Connection, Role};
use tcplab::lab::{ClientStyle, Lab, LabRun, ServerClose};
use tcplab::verdict::{CloseExpectation, Expectations, TerminationKind};

/// A fresh lab with the seed's plan: 479 then 1380 bytes, four-segment close.
#[fixture]
fn lab() -> Lab {
    Lab::new()
}

/// Runs the lab in the test process's shared capture session.
async fn run(lab: Lab) -> LabRun {
    let session = Session::shared().unwrap_or_else(|e| panic!("no capture session: {e}"));
    lab.run_in(session)
        .await
        .unwrap_or_else(|e| panic!("the lab could not run: {e}"))
}

/// Runs the lab with a capture of its own.
async fn run_alone(lab: Lab) -> LabRun {
    lab.run()
        .await
        .unwrap_or_else(|e| panic!("the lab could not run: {e}"))
}

/// Panics with the ladder, so a failure shows what was on the wire.
fn ladder_unless(ok: bool, what: &str, conn: &Connection) {
    assert!(ok, "{what}\n\n{conn}");
}

// ---- the seed's three assertions ----

#[rstest]
#[tokio::test]
async fn steps_1_to_3_are_the_three_way_handshake(lab: Lab) {
    let run = run(lab).await;
    let c = &run.connection;
    let hs: Vec<(Role, String, u64, Option<u64>)> = c.steps[..3]
        .iter()
        .map(|s| (s.from, s.segment.flags.to_string(), s.seq, s.ack))
        .collect();
    ladder_unless(
        hs == vec![
            (Role::Client, "SYN".into(), 0, None),
            (Role::Server, "SYN, ACK".into(), 0, Some(1)),
            (Role::Client, "ACK".into(), 1, Some(1)),
        ],
        &format!("handshake was {hs:?}"),
        c,
    );
    ladder_unless(
        run.verdict.findings.handshake.ok,
        "handshake check failed",
        c,
    );
    // MSS on the loopback interface (MTU 65536).
    assert_eq!(c.steps[0].segment.options.mss, Some(65495), "{c}");
}

#[rstest]
#[tokio::test]
async fn the_server_acks_480_after_the_first_479_bytes(lab: Lab) {
    let run = run(lab).await;
    let c = &run.connection;
    let first = run
        .verdict
        .findings
        .first_data
        .clone()
        .expect("the client sent data");
    ladder_unless(
        (first.seq, first.len, first.ack) == (1, 479, Some(480)),
        &format!("first data was {first:?}"),
        c,
    );
    // Quick-ack at connection start: a pure ACK, before the echo.
    ladder_unless(first.pure_ack, "the ACK of the first data carried data", c);
}

#[rstest]
#[tokio::test]
async fn the_connection_ends_with_four_segments(lab: Lab) {
    let run = run(lab).await;
    let t = &run.verdict.findings.termination;
    ladder_unless(
        t.kind == TerminationKind::FourSegment && t.initiator == Some(Role::Client),
        &format!("termination was {t:?}"),
        &run.connection,
    );
    assert_eq!(
        run.verdict.findings.history, "ShADadFf",
        "{}",
        run.connection
    );
    run.ensure().expect("the whole lab sheet passes");
}

/// The seed's lab draws the same ladder every run on this kernel: a
/// snapshot (tests/snapshots/) of the ladder without times, frames or ports.
#[rstest]
#[tokio::test]
async fn the_seed_lab_draws_the_same_ladder_every_run(lab: Lab) {
    let run = run(lab).await;
    insta::assert_snapshot!(tcplab::connection::ladder::render_stable(&run.connection));
}

// ---- payload sizes ----

/// 65483 bytes is the largest segment on `lo` (MSS 65495 less 12 bytes of
/// timestamps); 65484 needs a second segment.
#[rstest]
#[case(1)]
#[case(479)]
#[case(1380)]
#[case(65483)]
#[case(65484)]
#[case(100000)]
#[tokio::test]
async fn every_byte_is_acknowledged_cumulatively(lab: Lab, #[case] n: u64) {
    let run = run(lab.payloads([n, 7])).await;
    let c = &run.connection;
    let f = &run.verdict.findings;
    ladder_unless(
        f.server_acks.contains(&(1 + n)),
        &format!("no Ack={}", 1 + n),
        c,
    );
    ladder_unless(
        f.server_acks.contains(&(1 + n + 7)),
        &format!("no Ack={}", 1 + n + 7),
        c,
    );
    assert_eq!(f.client_bytes, n + 7, "{c}");
    let largest = c.steps.iter().map(|s| s.segment.len).max().unwrap();
    assert!(largest <= 65483, "a segment of {largest} bytes on lo\n{c}");
    run.ensure().expect("the lab sheet passes for every size");
}

// ---- close behaviours ----

#[rstest]
#[tokio::test]
async fn the_server_close_decides_the_termination(
    lab: Lab,
    #[values(ServerClose::Linger, ServerClose::Prompt, ServerClose::Abort)] close: ServerClose,
) {
    let run = run(lab.close(close)).await;
    let t = &run.verdict.findings.termination;
    ladder_unless(
        t.kind == close.expected_termination(),
        &format!("{close:?} gave {t:?}"),
        &run.connection,
    );
    let initiator = match close {
        ServerClose::Abort => Role::Server,
        _ => Role::Client,
    };
    assert_eq!(t.initiator, Some(initiator), "{}", run.connection);
}

#[rstest]
#[tokio::test]
async fn the_seeds_own_client_ends_in_reset(lab: Lab) {
    let run = run(lab.client(ClientStyle::Seed)).await;
    let f = &run.verdict.findings;
    ladder_unless(
        f.termination.kind == TerminationKind::Reset
            && f.termination.initiator == Some(Role::Client),
        &format!("termination was {:?}", f.termination),
        &run.connection,
    );
    assert!(
        f.termination.why.contains("unread"),
        "{}",
        f.termination.why
    );
    let err = run
        .ensure()
        .expect_err("a reset is not the orderly close the lab expects");
    assert!(err.to_string().contains("FAIL termination"), "{err}");
}

#[rstest]
#[tokio::test]
async fn ipv6_loopback_gives_the_same_lab(lab: Lab) {
    let run = run_alone(lab.ipv6()).await;
    assert!(run.server.is_ipv6());
    let c = &run.connection;
    assert!(c.client.is_ipv6(), "{c}");
    // MSS on lo over IPv6: 65536 - 40 - 20 - 1 (Linux rounds down) = 65476.
    assert_eq!(c.steps[0].segment.options.mss, Some(65476), "{c}");
    run.ensure().expect("the lab passes over IPv6");
}

// ---- assertions can fail ----

#[rstest]
#[tokio::test]
async fn expecting_ack_481_fails_and_shows_the_ladder(lab: Lab) {
    let run = run(lab.expect(Expectations {
        first_data_ack: Some(481),
        close: CloseExpectation::Orderly,
        ..Expectations::default()
    }))
    .await;
    let err = run
        .ensure()
        .expect_err("481 is wrong: the server acks 480")
        .to_string();
    assert!(err.contains("with Ack=480, expected Ack=481"), "{err}");
    assert!(
        err.contains("|--- [SYN] Seq=0 Len=0"),
        "the ladder is in the message:\n{err}"
    );
    assert!(err.contains("|<-- [ACK] Seq=1 Ack=480 Len=0"), "{err}");
}

// ---- errors that point at the cause ----

/// A server bound to 127.0.0.1 instead of the session's address is named
/// as outside the capture, not reported as a timeout.
#[tokio::test]
async fn a_server_outside_the_session_is_named_as_such() {
    let session = Session::shared().unwrap();
    let wrong: std::net::SocketAddr = "127.0.0.1:8000".parse().unwrap();
    let err = tcplab::capture::Watch::addr(wrong)
        .run_in(session, async {})
        .await
        .expect_err("127.0.0.1 is not the session's address");
    let said = err.to_string();
    assert!(
        said.starts_with("127.0.0.1:8000 is outside the capture: this session captures only 127."),
        "{said}"
    );
    assert!(
        said.contains("bind your server to `session.addr()`"),
        "{said}"
    );
    let err = session
        .connection(wrong, wrong, std::time::Duration::from_secs(1))
        .await
        .expect_err("outside");
    assert!(err.to_string().contains("is outside the capture"), "{err}");
}

/// Errors print through `unwrap()` and `expect()` as they read: `Debug`
/// is the sentence and the ladder, with real line breaks.
#[rstest]
#[tokio::test]
async fn a_failed_lab_prints_readably_through_unwrap(lab: Lab) {
    let run = run(lab.client(ClientStyle::Seed)).await;
    let err = run.ensure().expect_err("the seed's client resets");
    let debug = format!("{err:?}");
    assert_eq!(debug, err.to_string());
    assert!(debug.lines().count() > 10, "{debug}");
    assert!(debug.contains("|--- [SYN] Seq=0"), "{debug}");
    assert!(!debug.contains("\\n"), "{debug}");
}

// ---- many labs ----

/// 50 labs back to back in one process: every capture holds the first SYN
/// and the final ACK, and nothing is retransmitted.
#[tokio::test]
async fn fifty_labs_back_to_back_miss_no_segment() {
    for i in 0..50 {
        let run = run_alone(Lab::new()).await;
        let c = &run.connection;
        let first = &c.steps[0];
        let last = c.steps.last().unwrap();
        assert!(
            first.segment.flags.syn() && !first.segment.flags.ack(),
            "lab {i}: first segment is not the SYN\n{c}"
        );
        assert!(
            last.from == Role::Client && last.segment.is_pure_ack() && last.ack == Some(1861),
            "lab {i}: last segment is not the final ACK\n{c}"
        );
        assert_eq!(c.steps.len(), 13, "lab {i}\n{c}");
        assert_eq!(c.retransmissions(), 0, "lab {i}\n{c}");
    }
}
