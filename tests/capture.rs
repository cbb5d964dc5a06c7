//! The capture's own promises: clear errors when it cannot start, and no
//! tcpdump or tshark left behind, also when a test panics mid-capture.

use std::path::Path;
use std::time::{Duration, Instant};

use rstest::rstest;
use tcplab::capture::{CaptureError, LiveCapture, LiveConfig, TcpFilter};
use tcplab::lab::{Lab, LabError};

fn alive(pid: u32) -> bool {
    // A zombie still has a /proc entry; a reaped process has none.
    Path::new(&format!("/proc/{pid}")).exists()
}

/// Whether `pid` is gone (reaped) within 5 s: a stopped capture's tshark is
/// reaped by its reader thread in the background.
fn reaped_soon(pid: u32) -> bool {
    let deadline = Instant::now() + Duration::from_secs(5);
    while alive(pid) {
        if Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    true
}

#[tokio::test]
async fn a_missing_interface_is_named_within_the_start_timeout() {
    let config = LiveConfig {
        interface: "nope0".to_owned(),
        start_timeout: Duration::from_secs(5),
        ..LiveConfig::default()
    };
    let t = Instant::now();
    let err = LiveCapture::start(config, &TcpFilter::Ports(vec![9]))
        .await
        .err()
        .expect("no such interface");
    assert!(matches!(err, CaptureError::NoSuchInterface { .. }), "{err}");
    assert!(err.to_string().contains("ip link"), "{err}");
    assert!(
        t.elapsed() < Duration::from_secs(5),
        "took {:?}",
        t.elapsed()
    );
}

#[tokio::test]
async fn a_port_in_use_is_named() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap();
    let err = Lab::new()
        .bind(addr)
        .run()
        .await
        .expect_err("the port is taken");
    assert!(matches!(err, LabError::PortInUse { .. }), "{err}");
    assert_eq!(
        err.to_string(),
        format!("{addr} is already in use: stop the program listening there, or pick another port")
    );
}

#[rstest]
#[case::dropped_while_running(false)]
#[case::dropped_by_a_panic(true)]
#[tokio::test]
async fn tcpdump_and_tshark_are_reaped_when_a_capture_is_dropped(#[case] panic: bool) {
    let cap = LiveCapture::start(LiveConfig::default(), &TcpFilter::Ports(vec![9]))
        .await
        .expect("capture starts");
    let pids = [cap.pids().0.unwrap(), cap.pids().1.unwrap()];
    assert!(pids.iter().all(|&p| alive(p)));
    if panic {
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || {
            let _cap = cap;
            panic!("a test fails while its capture runs");
        }));
        assert!(r.is_err());
    } else {
        drop(cap);
    }
    for p in pids {
        assert!(
            !alive(p),
            "process {p} is still there after the capture was dropped"
        );
    }
}

#[tokio::test]
async fn a_stopped_capture_leaves_no_process() {
    let cap = LiveCapture::start(LiveConfig::default(), &TcpFilter::Ports(vec![9]))
        .await
        .expect("capture starts");
    let pids = [cap.pids().0.unwrap(), cap.pids().1.unwrap()];
    cap.stop().await.expect("capture stops");
    for p in pids {
        assert!(reaped_soon(p), "process {p} is still there 5 s after stop");
    }
}

#[tokio::test]
async fn a_saved_capture_reads_back_as_the_same_connection() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("lab.pcapng");
    let run = Lab::new().save(&path).run().await.expect("lab runs");
    let file = tcplab::capture::read_file(&path, None).expect("the saved file reads back");
    assert_eq!(file.format, tcplab::capture::Format::Pcapng);
    let conns: Vec<_> = file
        .connections
        .iter()
        .filter(|c| c.server == run.server)
        .collect();
    assert_eq!(conns.len(), 1);
    assert_eq!(conns[0].steps.len(), run.connection.steps.len());
    assert_eq!(conns[0].history(), run.connection.history());
}

#[tokio::test]
async fn a_capture_that_does_not_start_in_time_says_so_and_leaves_nothing() {
    let config = LiveConfig {
        start_timeout: Duration::from_millis(1),
        ..LiveConfig::default()
    };
    let err = LiveCapture::start(config, &TcpFilter::Ports(vec![9]))
        .await
        .err()
        .expect("1 ms is too short for tshark");
    assert!(matches!(err, CaptureError::StartTimeout { .. }), "{err}");
    assert!(
        err.to_string().contains("did not start within 1ms"),
        "{err}"
    );
}

#[tokio::test]
async fn a_failed_save_leaves_no_file_behind() {
    let dir = tempfile::tempdir().unwrap();
    let config = LiveConfig {
        save: Some(dir.path().join("lab.pcapng")),
        ..LiveConfig::default()
    };
    let cap = LiveCapture::start(config, &TcpFilter::Ports(vec![9]))
        .await
        .expect("capture starts");
    drop(cap); // as when a lab fails mid-way
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert!(left.is_empty(), "{left:?}");
}
