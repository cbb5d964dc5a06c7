//! Faults: the capture's tools dying, peers dying, no privileges, a port in
//! use. Each gives a clear error or verdict and a documented exit code, and
//! nothing hangs.

use std::process::Command;
use std::time::{Duration, Instant};

use assert_cmd::cargo::CommandCargoExt;
use tcplab::capture::{CaptureError, LiveCapture, LiveConfig, TcpFilter};

mod common;
use common::{free_port, kill9};

#[tokio::test]
async fn tshark_killed_mid_capture_is_reported_not_waited_for() {
    let mut cap = LiveCapture::start(LiveConfig::default(), &TcpFilter::Ports(vec![9]))
        .await
        .expect("capture starts");
    let tshark = cap.pids().1.unwrap();
    kill9(tshark);
    let t = Instant::now();
    let err = cap
        .wait_until("nothing", Some(Duration::from_secs(20)), |_| false)
        .await
        .expect_err("tshark is gone");
    assert!(
        matches!(err, CaptureError::ToolDied { tool: "tshark", .. }),
        "{err}"
    );
    assert!(
        err.to_string().starts_with("tshark stopped unexpectedly"),
        "{err}"
    );
    assert!(
        t.elapsed() < Duration::from_secs(5),
        "took {:?}",
        t.elapsed()
    );
    let tcpdump = cap.pids().0.unwrap();
    drop(cap);
    assert!(!std::path::Path::new(&format!("/proc/{tcpdump}")).exists());
}

#[tokio::test]
async fn tcpdump_killed_mid_capture_is_reported_not_waited_for() {
    let mut cap = LiveCapture::start(LiveConfig::default(), &TcpFilter::Ports(vec![9]))
        .await
        .expect("capture starts");
    kill9(cap.pids().0.unwrap());
    let err = cap
        .wait_until("nothing", Some(Duration::from_secs(20)), |_| false)
        .await
        .expect_err("tcpdump is gone");
    assert!(
        matches!(
            err,
            CaptureError::ToolDied {
                tool: "tcpdump",
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("signal: 9"), "{err}");
}

/// A client killed right after sending, with its echo unread: its kernel
/// resets the connection; the verdict says `reset`, the watch says the
/// command failed (exit 2), and nothing hangs.
#[test]
fn a_client_that_dies_mid_exchange_gives_reset() {
    let port = free_port();
    let server = common::Serve::start(port, "0");
    let client = format!(
        "import os, socket, signal\ns = socket.create_connection(('127.0.0.1', {port}))\n\
         s.sendall(b'A' * 479)\nwhile not s.recv(1, socket.MSG_PEEK): pass\n\
         os.kill(os.getpid(), signal.SIGKILL)\n"
    );
    let t = Instant::now();
    let (code, stdout, stderr) = common::watch_python(port, &client);
    drop(server);
    let v: serde_json::Value =
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}\n{stderr}"));
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("exited with signal: 9"), "{stderr}");
    let c = &v["connections"][0];
    assert_eq!(c["termination"]["kind"], "reset", "{c:#}");
    assert_eq!(c["termination"]["initiator"], "client", "{c:#}");
    assert!(
        t.elapsed() < Duration::from_secs(10),
        "took {:?}",
        t.elapsed()
    );
}

#[test]
fn serve_on_a_port_in_use_exits_2() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let out = Command::cargo_bin("tcplab")
        .unwrap()
        .args(["serve", "--port", &port.to_string()])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!("127.0.0.1:{port} is already in use")),
        "{stderr}"
    );
}

/// As an unprivileged user, the capture cannot start: the error says how to
/// grant capture rights. Needs root (to drop to `nobody`) and setpriv.
#[test]
fn without_capture_rights_the_error_says_how_to_get_them() {
    let Some((code, stderr)) = common::tcplab_as_nobody(&["run"]) else {
        return;
    };
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("is not permitted"), "{stderr}");
    assert!(
        stderr.contains("setcap cap_net_raw,cap_net_admin=eip"),
        "{stderr}"
    );
    assert!(stderr.contains("wireshark"), "{stderr}");
}

/// Children of this process named `name` whose command line, or a file
/// they hold open, mentions `marker`: other tests of this binary run
/// captures of their own at the same time, so a test counts only the
/// processes it started.
fn children_named(name: &str, marker: &str) -> Vec<i32> {
    let me = std::process::id().to_string();
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| {
            let stat = std::fs::read_to_string(e.path().join("stat")).ok()?;
            let cmdline = std::fs::read(e.path().join("cmdline")).ok()?;
            let mut said = String::from_utf8_lossy(&cmdline).replace('\0', " ");
            for fd in std::fs::read_dir(e.path().join("fd"))
                .into_iter()
                .flatten()
                .flatten()
            {
                if let Ok(target) = std::fs::read_link(fd.path()) {
                    said += &format!(" {}", target.display());
                }
            }
            Some((stat, said))
        })
        .filter_map(|(stat, cmdline)| {
            // pid (comm) state ppid ...
            let (pid, rest) = stat.split_once(" (")?;
            let (comm, rest) = rest.rsplit_once(") ")?;
            let ppid = rest.split_whitespace().nth(1)?;
            (comm == name && ppid == me && cmdline.contains(marker)).then(|| pid.parse().ok())?
        })
        .collect()
}

/// TCP sockets on `port` in /proc/net/tcp, other than TIME_WAIT (state 06).
fn open_sockets_on(port: u16) -> Vec<String> {
    let hex = format!(":{port:04X}");
    std::fs::read_to_string("/proc/net/tcp")
        .unwrap()
        .lines()
        .skip(1)
        .filter(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (f[1].ends_with(&hex) || f[2].ends_with(&hex)) && f[3] != "06"
        })
        .map(str::to_owned)
        .collect()
}

/// tshark killed while a lab's exchange runs: the lab ends with the error
/// naming tshark, its listener and both ends of its connection are closed,
/// and no capture tool is left.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lab_whose_tshark_dies_closes_its_sockets_and_says_so() {
    let port = free_port();
    // The capture is saved into a folder of this test's own, where tshark
    // holds the file it writes: so the test finds its own tshark, and
    // tcpdump by its filter on this test's port.
    let dir = tempfile::tempdir().unwrap();
    let tshark_marker = dir.path().to_str().unwrap().to_owned();
    let tcpdump_marker = format!("tcp port {port}");
    // 64 messages of 1 MiB, each echoed in full: long enough to kill tshark mid-exchange.
    let lab = tcplab::lab::Lab::new()
        .bind(([127, 0, 0, 1], port).into())
        .payloads(vec![1 << 20; 64])
        .save(dir.path().join("lab.pcapng"))
        .io_timeout(Duration::from_secs(60));
    let running = tokio::spawn(async move { lab.run().await });
    // The exchange has begun (so the capture was proven running) once the
    // connection is established.
    let deadline = Instant::now() + Duration::from_secs(20);
    while !open_sockets_on(port)
        .iter()
        .any(|l| l.split_whitespace().nth(3) == Some("01"))
    {
        assert!(Instant::now() < deadline, "the lab never connected");
        assert!(!running.is_finished(), "the lab ended before it connected");
        tokio::task::yield_now().await;
    }
    let tsharks = children_named("tshark", &tshark_marker);
    assert_eq!(tsharks.len(), 1, "{tsharks:?}");
    kill9(tsharks[0] as u32);
    let err = tokio::time::timeout(Duration::from_secs(60), running)
        .await
        .expect("the lab does not hang")
        .unwrap()
        .expect_err("the capture is gone");
    assert!(
        err.to_string().starts_with("tshark stopped unexpectedly"),
        "{err}"
    );
    assert_eq!(open_sockets_on(port), Vec::<String>::new());
    assert_eq!(children_named("tshark", &tshark_marker), Vec::<i32>::new());
    assert_eq!(
        children_named("tcpdump", &tcpdump_marker),
        Vec::<i32>::new()
    );
}

/// The lab's peers stream each message: a payload of more than 1 GiB runs
/// in bounded memory, with every byte acknowledged.
#[test]
fn a_gibibyte_payload_runs_in_bounded_memory() {
    const PAYLOAD: u64 = 1_100_000_000;
    let (code, json, peak) = common::tcplab_peak_rss(&[
        "run",
        "--payload",
        &PAYLOAD.to_string(),
        "--io-timeout",
        "300",
        "--json",
    ]);
    assert_eq!(code, 0, "{json}");
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["connections"][0]["client_bytes"], PAYLOAD);
    assert_eq!(v["connections"][0]["server_bytes"], PAYLOAD);
    eprintln!(
        "{PAYLOAD} bytes each way: tcplab peak RSS {} MiB",
        peak / 1024
    );
    assert!(peak > 0 && peak < 64 * 1024, "tcplab peak RSS {peak} KiB");
}
