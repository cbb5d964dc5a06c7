//! Expectations written as a ladder (labs/*.ladder): the seed's ladder
//! passes the recorded four-segment lab and fails the three-segment and
//! reset ones with the side-by-side view; the server-first and half-close
//! ladders pass exchanges made here with real sockets, watched in the
//! test process's shared capture session; a bad ladder is exit 2 naming
//! its line.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::time::Duration;

use rstest::rstest;
use serde_json::Value;
use tcplab::capture::{Session, Watch};
use tcplab::lab::close::close_after_eof;
use tcplab::verdict::{Check, Expectations, ExpectedLadder};

mod common;
use common::tcplab;

fn root(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

#[rstest]
#[case::four_segment("four-segment.pcapng", 0, None)]
#[case::three_segment(
    "three-segment.pcapng",
    1,
    Some("server [FIN, ACK] Seq=1860 Ack=1861 Len=0")
)]
#[case::reset(
    "seed-client-rst.pcapng",
    1,
    Some("client [RST, ACK] Seq=1860 Ack=1860 Len=0")
)]
fn the_seed_ladder_judges_the_recorded_labs(
    #[case] file: &str,
    #[case] code: i32,
    #[case] first_difference: Option<&str>,
) {
    let capture = root("tests/fixtures").join(file);
    let ladder = root("labs/seed.ladder");
    let args = [
        "check",
        capture.to_str().unwrap(),
        "--expect-ladder",
        ladder.to_str().unwrap(),
    ];
    let (got, text, err) = tcplab(&args);
    assert_eq!(got, code, "{text}{err}");
    let marked: Vec<&str> = text.lines().filter(|l| l.starts_with(">> ")).collect();
    match first_difference {
        None => {
            assert!(
                text.contains("PASS ladder: the connection follows"),
                "{text}"
            );
            assert!(marked.is_empty(), "{text}");
        }
        Some(seen) => {
            assert!(text.contains("FAIL ladder: segment"), "{text}");
            assert_eq!(marked.len(), 1, "{text}");
            assert!(marked[0].ends_with(seen), "{text}");
            assert!(text.contains("   expected ("), "{text}");
        }
    }
    let mut json_args = args.to_vec();
    json_args.push("--json");
    let (_, out, _) = tcplab(&json_args);
    let v: Value = serde_json::from_str(&out).unwrap();
    let c = &v["connections"][0];
    assert_eq!(c["ladder"]["passed"], first_difference.is_none(), "{c:#}");
    let check = c["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["name"] == "ladder")
        .unwrap();
    assert_eq!(check["passed"], first_difference.is_none());
}

#[test]
fn a_ladder_that_does_not_parse_is_exit_2_naming_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.ladder");
    std::fs::write(
        &bad,
        "# a comment\nclient [SYN] Seq=0\nserver [SYN, ACCK]\n",
    )
    .unwrap();
    let capture = root("tests/fixtures/four-segment.pcapng");
    let (code, _, err) = tcplab(&[
        "check",
        capture.to_str().unwrap(),
        "--expect-ladder",
        bad.to_str().unwrap(),
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("bad.ladder` line 3: `ACCK` is not a TCP flag"),
        "{err}"
    );
}

/// The server closes first; the client acknowledges the server's FIN at
/// once (`close_after_eof`), then closes: four segments, server first.
fn server_first(listener: TcpListener, addr: SocketAddr) {
    let server = std::thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        let mut buf = [0u8; 479];
        s.read_exact(&mut buf).unwrap();
        s.write_all(&buf).unwrap();
        // The client's "done" comes once it has read the echo.
        s.read_exact(&mut buf[..4]).unwrap();
        drop(s);
    });
    let mut c = TcpStream::connect(addr).unwrap();
    c.write_all(&[b'A'; 479]).unwrap();
    let mut echo = [0u8; 479];
    c.read_exact(&mut echo).unwrap();
    c.write_all(b"done").unwrap();
    let mut rest = Vec::new();
    c.read_to_end(&mut rest).unwrap(); // the server's FIN
    close_after_eof(c).unwrap();
    server.join().unwrap();
}

/// The client sends its request and shuts its sending side; the server
/// reads to the end, still replies, then closes.
fn half_close(listener: TcpListener, addr: SocketAddr) {
    let server = std::thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        let mut request = Vec::new();
        s.read_to_end(&mut request).unwrap(); // up to the client's FIN
        s.write_all(&vec![b'R'; 1000]).unwrap();
        drop(s);
    });
    let mut c = TcpStream::connect(addr).unwrap();
    c.write_all(&[b'Q'; 100]).unwrap();
    c.shutdown(Shutdown::Write).unwrap();
    let mut reply = Vec::new();
    c.read_to_end(&mut reply).unwrap();
    assert_eq!(reply.len(), 1000);
    close_after_eof(c).unwrap();
    server.join().unwrap();
}

#[rstest]
#[case::server_first("labs/server-first.ladder", server_first)]
#[case::half_close("labs/half-close.ladder", half_close)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_example_ladders_pass_their_exchanges(
    #[case] file: &str,
    #[case] exchange: fn(TcpListener, SocketAddr),
) {
    let session = Session::shared().expect("a capture session");
    let ladder = ExpectedLadder::read(&root(file)).unwrap();
    let listener = TcpListener::bind((session.addr(), 0)).unwrap();
    let addr = listener.local_addr().unwrap();
    let watched = Watch::addr(addr)
        .timeout(Duration::from_secs(10))
        .expect(Expectations {
            ladder: Some(ladder),
            ..Expectations::default()
        })
        .run_in(
            session,
            tokio::task::spawn_blocking(move || exchange(listener, addr)),
        )
        .await
        .unwrap();
    assert_eq!(watched.connections.len(), 1);
    let j = &watched.connections[0];
    let check = j.verdict.check(Check::Ladder).unwrap();
    assert!(
        check.passed,
        "{}\n{}\n{}",
        check.why,
        j.verdict.ladder.as_ref().unwrap(),
        j.connection
    );
    j.ensure().unwrap();
}
