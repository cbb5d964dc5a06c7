//! Helpers shared by the integration tests that run the `tcplab` binary.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::thread::JoinHandle;

use assert_cmd::cargo::CommandCargoExt;

/// Runs tcplab; returns (exit code, stdout, stderr).
pub fn tcplab(args: &[&str]) -> (i32, String, String) {
    let out = Command::cargo_bin("tcplab")
        .unwrap()
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().expect("tcplab exited by a signal"),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A TCP port on 127.0.0.1 that was free a moment ago.
pub fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// `tcplab serve` on `port`, returned once it says it listens; its further
/// output is drained so it never writes to a closed pipe.
pub struct Serve {
    child: Child,
    drain: Option<JoinHandle<std::io::Result<u64>>>,
}

impl Serve {
    /// Starts it with the given close delay in milliseconds.
    pub fn start(port: u16, close_delay_ms: &str) -> Serve {
        let mut child = Command::cargo_bin("tcplab")
            .unwrap()
            .args([
                "serve",
                "--port",
                &port.to_string(),
                "--close-delay",
                close_delay_ms,
            ])
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut said = BufReader::new(child.stderr.take().unwrap());
        let mut line = String::new();
        said.read_line(&mut line).unwrap();
        assert!(line.contains("echoing on"), "tcplab serve said: {line}");
        let drain = Some(std::thread::spawn(move || {
            std::io::copy(&mut said, &mut std::io::sink())
        }));
        Serve { child, drain }
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some(d) = self.drain.take() {
            let _ = d.join();
        }
    }
}
