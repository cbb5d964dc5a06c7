//! Everyday programs watched as they are: a clean exchange with a real
//! HTTP or TLS server and client passes the default expectations, whatever
//! orderly close the two kernels happened to make (four segments, three, or
//! both FINs crossing).

use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rstest::rstest;

mod common;
use common::{free_port, tcplab};

/// A server started for one test, killed when dropped.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Server {
    /// Starts `args` and returns once `port` accepts connections (at most 10 s).
    fn start(args: &[String], port: u16) -> Server {
        let child = Command::new(&args[0])
            .args(&args[1..])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("{}: {e}", args[0]));
        let server = Server(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "{args:?} never listened");
            std::thread::park_timeout(Duration::from_millis(10));
        }
        server
    }
}

fn have(program: &str) -> bool {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        eprintln!("SKIPPED: {program} is not installed (ci/install installs it)");
    }
    found
}

const HTTP_1_1_SERVER: &str = "import sys\nfrom http.server import ThreadingHTTPServer, SimpleHTTPRequestHandler\nSimpleHTTPRequestHandler.protocol_version = 'HTTP/1.1'\nThreadingHTTPServer(('127.0.0.1', int(sys.argv[1])), SimpleHTTPRequestHandler).serve_forever()\n";
const HTTP_CLIENT: &str = "import http.client, sys\nc = http.client.HTTPConnection('127.0.0.1', int(sys.argv[1]))\nc.request('GET', '/')\nc.getresponse().read()\nc.close()\n";
const TLS_CLIENT: &str = "import socket, ssl, sys\nctx = ssl.create_default_context()\nctx.check_hostname = False\nctx.verify_mode = ssl.CERT_NONE\ns = ctx.wrap_socket(socket.create_connection(('127.0.0.1', int(sys.argv[1]))))\ns.sendall(b'GET / HTTP/1.0\\r\\n\\r\\n')\nwhile s.recv(4096):\n    pass\ns.close()\n";

#[derive(Clone, Copy, Debug)]
enum Case {
    /// `python3 -m http.server` (HTTP/1.0) and curl, one request.
    CurlHttp10,
    /// An HTTP/1.1 keep-alive server and curl, two requests on one connection.
    CurlKeepAlive,
    /// `python3 -m http.server` and Python's http.client.
    PythonHttpClient,
    /// `openssl s_server -www` and a Python TLS client.
    Tls,
}

/// One connection each (the keep-alive case carries two requests on it).
#[rstest]
#[case(Case::CurlHttp10)]
#[case(Case::CurlKeepAlive)]
#[case(Case::PythonHttpClient)]
#[case(Case::Tls)]
fn a_clean_exchange_of_everyday_programs_passes(#[case] case: Case) {
    let needs: &[&str] = match case {
        Case::CurlHttp10 | Case::CurlKeepAlive => &["curl"],
        Case::PythonHttpClient => &[],
        Case::Tls => &["openssl"],
    };
    if !needs.iter().all(|p| have(p)) {
        return;
    }
    let port = free_port();
    let p = port.to_string();
    let url = format!("http://127.0.0.1:{port}/");
    let dir = tempfile::tempdir().unwrap();
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    let (server, client) = match case {
        Case::CurlHttp10 => (
            s(&["python3", "-m", "http.server", &p, "--bind", "127.0.0.1"]),
            s(&["curl", "-s", "-o", "/dev/null", &url]),
        ),
        Case::CurlKeepAlive => (
            s(&["python3", "-c", HTTP_1_1_SERVER, &p]),
            s(&[
                "curl",
                "-s",
                "-o",
                "/dev/null",
                "-o",
                "/dev/null",
                &url,
                &url,
            ]),
        ),
        Case::PythonHttpClient => (
            s(&["python3", "-m", "http.server", &p, "--bind", "127.0.0.1"]),
            s(&["python3", "-c", HTTP_CLIENT, &p]),
        ),
        Case::Tls => {
            let (key, cert) = (dir.path().join("key.pem"), dir.path().join("cert.pem"));
            let made = Command::new("openssl")
                .args([
                    "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                ])
                .args(["-subj", "/CN=localhost", "-keyout"])
                .arg(&key)
                .arg("-out")
                .arg(&cert)
                .output()
                .unwrap();
            assert!(made.status.success(), "{made:?}");
            (
                s(&[
                    "openssl",
                    "s_server",
                    "-accept",
                    &p,
                    "-key",
                    key.to_str().unwrap(),
                    "-cert",
                    cert.to_str().unwrap(),
                    "-www",
                    "-quiet",
                ]),
                s(&["python3", "-c", TLS_CLIENT, &p]),
            )
        }
    };
    let _server = Server::start(&server, port);
    let mut args = vec!["watch", "--port", &p, "--timeout", "20", "--json", "--"];
    args.extend(client.iter().map(String::as_str));
    let (code, out, err) = tcplab(&args);
    let v: serde_json::Value =
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}\n{err}"));
    let conns = v["connections"].as_array().unwrap();
    assert_eq!(conns.len(), 1, "{v:#}");
    for c in conns {
        let kind = c["termination"]["kind"].as_str().unwrap();
        assert!(
            ["four_segment", "three_segment", "simultaneous"].contains(&kind),
            "{case:?}: {c:#}"
        );
        assert_eq!(c["passed"], true, "{case:?}: {c:#}");
    }
    assert_eq!(code, 0, "{case:?}: {err}");
}

/// A student's program runs as the user named, without root's rights and
/// with a clean environment when asked; without `--user`, tcplab says that
/// the program is about to run as root.
#[rstest]
#[case::as_nobody(&["--user", "nobody", "--clean-env"], "uid 65534 gid 65534 groups [] env ['HOME', 'LANG', 'LOGNAME', 'PATH', 'USER']", false)]
#[case::as_root(&[], "uid 0 gid 0", true)]
fn a_watched_program_runs_as_the_user_named(
    #[case] options: &[&str],
    #[case] says: &str,
    #[case] warned: bool,
) {
    if !nix::unistd::geteuid().is_root() {
        eprintln!("SKIPPED: running a program as another user needs root");
        return;
    }
    let script = "import os, sys\nprint(f'uid {os.getuid()} gid {os.getgid()} groups {os.getgroups()} env {sorted(os.environ)}', file=sys.stderr)";
    let port = free_port().to_string();
    let mut args = vec!["watch", "--port", &port, "--timeout", "10"];
    args.extend(options);
    args.extend(["--", "python3", "-c", script]);
    let (code, _, err) = tcplab(&args);
    // The program makes no connection: the watch says so (exit 2).
    assert_eq!(code, 2, "{err}");
    assert!(err.contains(says), "{err}");
    assert_eq!(
        err.contains("will run as root: pass --user NAME"),
        warned,
        "{err}"
    );
}
