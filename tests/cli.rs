//! `tcplab` as people run it: on the project's own recorded captures, on bad
//! input, and watching the seed's Python client and server.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use assert_cmd::cargo::CommandCargoExt;

mod common;
use rstest::rstest;
use serde_json::Value;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

use common::tcplab;

fn check_json(file: &str) -> (i32, Value) {
    let path = fixture(file);
    let (code, stdout, stderr) = tcplab(&["check", path.to_str().unwrap(), "--json"]);
    let v = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}\n{stderr}"));
    (code, v)
}

#[rstest]
#[case::four_segment("four-segment.pcapng", 0, "four_segment", Some("client"), Some((479, 480)), "ShADadFf")]
#[case::three_segment("three-segment.pcapng", 0, "three_segment", Some("client"), Some((479, 480)), "ShADadFf")]
#[case::seed_client_rst("seed-client-rst.pcapng", 1, "reset", Some("client"), Some((479, 480)), "ShADadR")]
#[case::ipv6("ipv6.pcapng", 0, "four_segment", Some("client"), Some((479, 480)), "ShADadFf")]
#[case::refused("refused.pcapng", 1, "refused", Some("server"), None, "Sr")]
fn recorded_captures_are_judged(
    #[case] file: &str,
    #[case] code: i32,
    #[case] kind: &str,
    #[case] initiator: Option<&str>,
    #[case] first_data: Option<(u64, u64)>,
    #[case] history: &str,
) {
    let (got, v) = check_json(file);
    assert_eq!(got, code, "{v:#}");
    assert_eq!(v["passed"], code == 0);
    let conns = v["connections"].as_array().unwrap();
    assert_eq!(conns.len(), 1, "{v:#}");
    let c = &conns[0];
    assert_eq!(c["termination"]["kind"], kind, "{c:#}");
    assert_eq!(
        c["termination"]["initiator"],
        initiator.map_or(Value::Null, Value::from)
    );
    match first_data {
        Some((len, ack)) => {
            assert_eq!(c["first_data"]["len"], len);
            assert_eq!(c["first_data"]["ack"], ack);
        }
        None => {
            assert_eq!(c["first_data"]["len"], Value::Null);
            assert_eq!(c["first_data"]["ack"], Value::Null);
        }
    }
    assert_eq!(c["history"], history);
    assert_eq!(c["handshake"]["ok"], kind != "refused");
    assert_eq!(c["retransmissions"], 0);
    let addr = c["client"].as_str().unwrap();
    assert!(addr.parse::<std::net::SocketAddr>().is_ok(), "{addr}");
}

/// A capture that starts after the handshake and ends before the close: the
/// connection is `incomplete`, the client is the side that spoke first, and
/// tcplab's relative numbers still agree with tshark's.
#[test]
fn a_capture_without_syn_is_incomplete_with_right_relative_numbers() {
    let (code, v) = check_json("midstream.pcapng");
    assert_eq!(code, 1, "{v:#}");
    let c = &v["connections"][0];
    assert_eq!(c["termination"]["kind"], "incomplete", "{c:#}");
    assert_eq!(c["handshake"]["ok"], false);
    assert_eq!(c["first_data"]["len"], 479);
    assert_eq!(c["first_data"]["ack"], 480);
    let relative = c["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["name"] == "relative_numbers")
        .unwrap();
    assert_eq!(relative["passed"], true, "{relative:#}");
    assert_eq!(c["history"], "Dd");
}

/// Zeek's traces of TCP inside VXLAN and GRE: the connection is the inner
/// one, judged, with the tunnel and its outer addresses beside it. The GRE
/// trace also carries ICMP errors quoting TCP, which are not segments.
#[rstest]
#[case::vxlan("zeek/tunnels__vxlan-encapsulated-http.pcap", "vxlan", ["172.16.11.201:40354", "54.86.237.188:80"], ["10.1.200.131", "10.1.1.172"])]
#[case::gre("zeek/tunnels__gre-sample.pcap", "gre", ["66.59.111.190:40264", "172.28.2.3:22"], ["172.27.1.66", "66.59.109.137"])]
fn tunnelled_captures_are_judged_with_the_inner_addresses(
    #[case] file: &str,
    #[case] kind: &str,
    #[case] ends: [&str; 2],
    #[case] outer: [&str; 2],
) {
    let (code, v) = check_json(file);
    assert_eq!(code, 0, "{v:#}");
    let conns = v["connections"].as_array().unwrap();
    assert_eq!(conns.len(), 1, "{v:#}");
    let c = &conns[0];
    assert_eq!([&c["client"], &c["server"]], ends);
    assert_eq!(c["termination"]["kind"], "three_segment", "{c:#}");
    assert_eq!(c["handshake"]["ok"], true);
    assert_eq!(c["tunnel"]["kind"], kind);
    assert_eq!(c["tunnel"]["outer"], serde_json::json!(outer));
    assert_eq!(v["notes"], serde_json::json!([]));
    let path = fixture(file);
    let (_, out, _) = tcplab(&["check", path.to_str().unwrap()]);
    let line = format!(
        "tunnelled:       {kind}, outer {} <-> {}",
        outer[0], outer[1]
    );
    assert!(out.contains(&line), "{out}");
}

#[test]
fn two_connections_are_listed_in_order() {
    let (code, v) = check_json("two-connections.pcapng");
    assert_eq!(code, 1, "the seed's client resets both");
    let conns = v["connections"].as_array().unwrap();
    assert_eq!(conns.len(), 2, "{v:#}");
    assert_eq!(conns[0]["server"], conns[1]["server"]);
    assert_ne!(conns[0]["client"], conns[1]["client"]);
    for c in conns {
        assert_eq!(c["termination"]["kind"], "reset");
        assert_eq!(c["passed"], false);
    }
}

#[test]
fn text_report_shows_ladder_history_checks_and_diagnosis() {
    let path = fixture("seed-client-rst.pcapng");
    let (code, out, _) = tcplab(&["check", path.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(out.contains("|--- [SYN] Seq=0 Len=0"), "{out}");
    assert!(out.contains("|<-- [ACK] Seq=1 Ack=480 Len=0"), "{out}");
    assert!(out.contains("history:         ShADadR"), "{out}");
    assert!(out.contains("PASS handshake"), "{out}");
    assert!(out.contains("FAIL termination"), "{out}");
    assert!(out.contains("diagnosis: the client sent RST"), "{out}");
    assert!(out.contains("unread"), "{out}");
}

#[rstest]
#[case::four_required("three-segment.pcapng", &["--expect-close", "four-segment"], 1)]
#[case::four_given("four-segment.pcapng", &["--expect-close", "four-segment"], 0)]
#[case::four_required_as_reports_spell_it("three-segment.pcapng", &["--expect-close", "four_segment"], 1)]
#[case::three_given_as_reports_spell_it("three-segment.pcapng", &["--expect-close", "three_segment"], 0)]
#[case::no_retransmissions("four-segment.pcapng", &["--expect", "no-retransmissions"], 0)]
fn expectations_change_the_exit_code(
    #[case] file: &str,
    #[case] extra: &[&str],
    #[case] code: i32,
) {
    let path = fixture(file);
    let mut args = vec!["check", path.to_str().unwrap()];
    args.extend_from_slice(extra);
    let (got, out, err) = tcplab(&args);
    assert_eq!(got, code, "{out}{err}");
}

// ---- bad input: one sentence, exit code 2 ----

#[rstest]
#[case::missing(&["check", "/nonexistent/lab.pcapng"], "cannot read `/nonexistent/lab.pcapng`")]
#[case::not_a_capture(&["check", "@not-a-capture.pcapng"], "is not a pcap or pcapng capture")]
#[case::truncated(&["check", "@truncated.pcapng"], "is cut short in the middle of a packet")]
#[case::no_tcp(&["check", "@udp-only.pcapng"], "but no TCP")]
#[case::unused_port(&["check", "@four-segment.pcapng", "--port", "1"], "has no TCP connection on port 1")]
#[case::bad_argument(&["check"], "required")]
#[case::device(&["check", "/dev/zero"], "is a device, not a capture file")]
#[case::no_such_command(&["watch", "--port", "9", "--timeout", "5", "--", "/nonexistent/client"], "cannot run `/nonexistent/client`")]
#[case::no_such_interface(&["watch", "--port", "9", "--interface", "nope0"], "no network interface named `nope0`")]
#[case::start_timeout(&["watch", "--port", "9", "--start-timeout", "0.000001", "--", "true"], "did not start within 1")]
#[case::bad_start_timeout(&["watch", "--port", "9", "--start-timeout=-1", "--", "true"], "--start-timeout must be a positive number")]
fn unusable_input_exits_2_with_one_sentence(#[case] args: &[&str], #[case] says: &str) {
    let args: Vec<String> = args
        .iter()
        .map(|a| match a.strip_prefix('@') {
            Some(f) => fixture(f).to_string_lossy().into_owned(),
            None => a.to_string(),
        })
        .collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (code, out, err) = tcplab(&args);
    assert_eq!(code, 2, "stdout: {out}\nstderr: {err}");
    assert!(err.contains(says), "stderr: {err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn an_empty_file_is_named() {
    let f = tempfile::NamedTempFile::new().unwrap();
    let (code, _, err) = tcplab(&["check", f.path().to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("is empty"), "{err}");
}

#[test]
fn a_missing_tshark_is_named() {
    // A PATH with tcpdump and python but no tshark.
    let dir = tempfile::tempdir().unwrap();
    let (code, _, err) = Command::cargo_bin("tcplab")
        .unwrap()
        .env("PATH", dir.path())
        .args(["check", fixture("four-segment.pcapng").to_str().unwrap()])
        .output()
        .map(|o| {
            (
                o.status.code().unwrap(),
                (),
                String::from_utf8_lossy(&o.stderr).into_owned(),
            )
        })
        .unwrap();
    assert_eq!(code, 2);
    assert!(err.contains("tshark is not installed"), "{err}");
    assert!(err.contains("apt-get install -y tshark"), "{err}");
}

// ---- watching the seed's own scripts ----

#[test]
fn watch_judges_the_seeds_python_client_and_server() {
    let seed = fixture("seed");
    let port = common::free_port();
    let mut server = Command::new("python3")
        .arg("-u")
        .arg(seed.join("server.py"))
        .arg(port.to_string())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 runs");
    // server.py prints this once it listens.
    let mut lines = BufReader::new(server.stdout.take().unwrap());
    let mut line = String::new();
    lines.read_line(&mut line).unwrap();
    assert_eq!(line.trim(), "Waiting for connection...");
    // Keep reading what server.py prints, so its prints never hit a closed pipe.
    let drain = std::thread::spawn(move || std::io::copy(&mut lines, &mut std::io::sink()));
    let client = seed.join("client.py");
    let (code, out, err) = tcplab(&[
        "watch",
        "--port",
        &port.to_string(),
        "--timeout",
        "20",
        "--json",
        "--",
        "python3",
        client.to_str().unwrap(),
        &port.to_string(),
    ]);
    server.wait().unwrap();
    let _ = drain.join();
    let v: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}\n{err}"));
    assert_eq!(code, 1, "the seed's client resets: {v:#}\n{err}");
    let c = &v["connections"][0];
    assert_eq!(v["connections"].as_array().unwrap().len(), 1, "{v:#}");
    assert_eq!(c["handshake"]["ok"], true);
    assert_eq!(c["first_data"]["len"], 479);
    assert_eq!(c["first_data"]["ack"], 480);
    assert_eq!(c["termination"]["kind"], "reset", "{c:#}");
    assert_eq!(c["termination"]["initiator"], "client");
}

#[test]
fn a_watched_command_that_fails_exits_2() {
    let (code, _, err) = tcplab(&[
        "watch",
        "--port",
        "9",
        "--timeout",
        "5",
        "--",
        "sh",
        "-c",
        "exit 3",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("no TCP connection on port 9") || err.contains("exited with"),
        "{err}"
    );
}

#[test]
fn run_passes_and_says_so() {
    let (code, out, err) = tcplab(&["run", "--json"]);
    assert_eq!(code, 0, "{out}{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["connections"][0]["first_data"]["ack"], 480);
    assert_eq!(v["connections"][0]["termination"]["kind"], "four_segment");
}

#[test]
fn svg_picture_is_written_next_to_the_report() {
    let dir = tempfile::tempdir().unwrap();
    let svg = dir.path().join("ladder.svg");
    let path = fixture("four-segment.pcapng");
    let (code, _, err) = tcplab(&[
        "check",
        path.to_str().unwrap(),
        "--svg",
        svg.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let text = std::fs::read_to_string(&svg).unwrap();
    assert!(text.starts_with("<svg") && text.trim_end().ends_with("</svg>"));
    for phase in ["handshake", "data", "termination", "Ack=480"] {
        assert!(text.contains(phase), "no {phase} in the picture");
    }
}

/// `tcplab serve` closes at once (three segments) or after a delay longer
/// than the delayed-ACK time (four), for a client that reads its whole echo.
#[rstest]
#[case::at_once("0", "three_segment")]
#[case::after_200_ms("200", "four_segment")]
fn serve_close_delay_decides_the_close(#[case] delay: &str, #[case] kind: &str) {
    let port = common::free_port();
    let server = common::Serve::start(port, delay);
    let client = format!(
        "import socket\ns = socket.create_connection(('127.0.0.1', {port}))\n\
         for n in (479, 1380):\n    s.sendall(b'A' * n)\n    got = 0\n    \
         while got < n:\n        got += len(s.recv(65536))\ns.close()\n"
    );
    let (code, out, err) = common::watch_python(port, &client);
    drop(server);
    let v: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}\n{err}"));
    assert_eq!(code, 0, "{v:#}\n{err}");
    assert_eq!(v["connections"][0]["termination"]["kind"], kind, "{v:#}");
    assert_eq!(v["connections"][0]["first_data"]["ack"], 480);
}

/// `serve --port 0` lets the system pick a port and says which one.
#[test]
fn serve_on_port_0_prints_the_port_it_bound() {
    use std::io::{BufRead, BufReader, Read, Write};
    /// Ends the server however the test ends.
    struct Killed(std::process::Child);
    impl Drop for Killed {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let mut child = Killed(
        Command::cargo_bin("tcplab")
            .unwrap()
            .args(["serve", "--port", "0", "--close-delay", "0"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let mut line = String::new();
    BufReader::new(child.0.stderr.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr: std::net::SocketAddr = line
        .strip_prefix("tcplab serve: echoing on ")
        .and_then(|l| l.split(';').next())
        .unwrap_or_else(|| panic!("{line}"))
        .parse()
        .unwrap();
    assert_ne!(addr.port(), 0, "{line}");
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.write_all(b"hello").unwrap();
    s.shutdown(std::net::Shutdown::Write).unwrap();
    let mut echo = String::new();
    s.read_to_string(&mut echo).unwrap();
    assert_eq!(echo, "hello");
}
