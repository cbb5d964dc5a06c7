//! Helpers shared by the integration tests that run the `tcplab` binary.
//! Each test binary compiles this module and uses some of it.
#![allow(dead_code)]

pub mod pcap;

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

/// Runs a copy of tcplab as `nobody` (uid 65534, through setpriv) and
/// returns (exit code, stderr); `None`, saying why, where that is not
/// possible (not root, no setpriv).
pub fn tcplab_as_nobody(args: &[&str]) -> Option<(i32, String)> {
    if !nix::unistd::geteuid().is_root()
        || Command::new("setpriv").arg("--version").output().is_err()
    {
        eprintln!("SKIPPED: needs root and setpriv to run tcplab as nobody");
        return None;
    }
    // A copy nobody can reach, whatever the permissions of the checkout.
    let dir = tempfile::tempdir().unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let bin = dir.path().join("tcplab");
    std::fs::copy(assert_cmd::cargo::cargo_bin("tcplab"), &bin).unwrap();
    let out = Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
        .arg(&bin)
        .args(args)
        .env("HOME", "/tmp")
        .output()
        .unwrap();
    Some((
        out.status.code().expect("tcplab exited by a signal"),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    ))
}

/// `tcplab watch --port PORT --timeout 10 --json -- python3 -c SCRIPT`.
pub fn watch_python(port: u16, script: &str) -> (i32, String, String) {
    tcplab(&[
        "watch",
        "--port",
        &port.to_string(),
        "--timeout",
        "10",
        "--json",
        "--",
        "python3",
        "-c",
        script,
    ])
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

/// Sends SIGKILL to `pid`.
pub fn kill9(pid: u32) {
    let _ = nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pid as i32),
        nix::sys::signal::Signal::SIGKILL,
    );
}

/// Runs tcplab in the folder `dir`; returns (exit code, stdout, stderr).
pub fn tcplab_in(dir: &std::path::Path, args: &[&std::ffi::OsStr]) -> (i32, String, String) {
    let out = Command::cargo_bin("tcplab")
        .unwrap()
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().expect("tcplab exited by a signal"),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A small tmpfs mounted for one test in a folder of its own, unmounted
/// (lazily, so also while a file is still open) when dropped.
pub struct Tmpfs {
    /// Where it is mounted.
    pub at: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

impl Tmpfs {
    /// Mounts a tmpfs of `size` (e.g. `64k`); `None`, printing SKIPPED and
    /// why, when that is not possible (not root).
    pub fn mount(size: &str) -> Option<Tmpfs> {
        if !nix::unistd::geteuid().is_root() {
            eprintln!("SKIPPED: mounting a tmpfs needs root");
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let at = dir.path().join("mnt");
        std::fs::create_dir(&at).unwrap();
        let ok = Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size},mode=0755"),
                "tmpfs",
            ])
            .arg(&at)
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            eprintln!("SKIPPED: cannot mount a tmpfs here");
            return None;
        }
        Some(Tmpfs { at, _dir: dir })
    }

    /// Fills it up with a file named `filler`, leaving at most `leave`
    /// bytes free.
    pub fn fill(&self, leave: u64) {
        use std::io::Write;
        let st = nix::sys::statvfs::statvfs(&self.at).unwrap();
        let free = st.blocks_available() * st.fragment_size();
        let mut f = std::fs::File::create(self.at.join("filler")).unwrap();
        let mut left = free.saturating_sub(leave);
        let chunk = vec![b'x'; 4096];
        while left > 0 {
            let n = left.min(4096) as usize;
            if f.write_all(&chunk[..n]).is_err() {
                break;
            }
            left -= n as u64;
        }
        let _ = f.sync_all();
    }

    /// The names in it, sorted.
    pub fn names(&self) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(&self.at)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.at).status();
    }
}

/// Runs tcplab with `args` and returns (exit code, stdout, its peak resident
/// memory in KiB). VmHWM only grows: the last reading before exit is the
/// peak, up to its last few milliseconds.
pub fn tcplab_peak_rss(args: &[&str]) -> (i32, String, u64) {
    let mut child = Command::cargo_bin("tcplab")
        .unwrap()
        .args(args)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let out = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || std::io::read_to_string(out).unwrap());
    let mut peak = 0;
    while child.try_wait().unwrap().is_none() {
        peak = peak.max(peak_kib(pid).unwrap_or(0));
        std::thread::park_timeout(std::time::Duration::from_millis(5));
    }
    let status = child.wait().unwrap();
    let stdout = reader.join().unwrap();
    (
        status.code().expect("tcplab exited by a signal"),
        stdout,
        peak,
    )
}

/// Peak resident memory (VmHWM) of a process, in KiB.
fn peak_kib(pid: u32) -> Option<u64> {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()?
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}
