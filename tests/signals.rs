//! Signals sent to tcplab's pid alone, as an autograder's timeout or the
//! OOM killer send them: whatever the signal and the moment, nothing tcplab
//! started is left behind, and SIGINT, SIGTERM and SIGHUP end a lab, a
//! watch or a sweep with the report of what was captured and exit code 2.
//!
//! The test process makes itself a child subreaper, so that whatever
//! tcplab's children leave behind becomes its own child and can be counted.
//! One test function runs every case in turn, so that no other test's
//! processes are counted.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use assert_cmd::cargo::CommandCargoExt;
use nix::sys::signal::{Signal, kill};
use nix::sys::wait::{WaitPidFlag, waitpid};
use nix::unistd::Pid;

/// This process's children (and orphans reparented to it): (pid, name).
fn descendants() -> Vec<(i32, String)> {
    let me = std::process::id().to_string();
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| std::fs::read_to_string(e.path().join("stat")).ok())
        .filter_map(|stat| {
            let (pid, rest) = stat.split_once(" (")?;
            let (comm, rest) = rest.rsplit_once(") ")?;
            let ppid = rest.split_whitespace().nth(1)?;
            (ppid == me).then(|| Some((pid.parse().ok()?, comm.to_owned())))?
        })
        .collect()
}

/// Children of `pid` named `name`.
fn children_of(pid: u32, name: &str) -> Vec<i32> {
    let parent = pid.to_string();
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| std::fs::read_to_string(e.path().join("stat")).ok())
        .filter_map(|stat| {
            let (pid, rest) = stat.split_once(" (")?;
            let (comm, rest) = rest.rsplit_once(") ")?;
            let ppid = rest.split_whitespace().nth(1)?;
            (ppid == parent && comm == name).then(|| pid.parse().ok())?
        })
        .collect()
}

/// Whether `pid` holds an established TCP connection.
fn connected(pid: u32) -> bool {
    let inodes: Vec<String> = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .map(|d| {
            d.flatten()
                .filter_map(|e| std::fs::read_link(e.path()).ok())
                .filter_map(|l| {
                    l.to_str()?
                        .strip_prefix("socket:[")?
                        .strip_suffix(']')
                        .map(str::to_owned)
                })
                .collect()
        })
        .unwrap_or_default();
    std::fs::read_to_string("/proc/net/tcp")
        .unwrap_or_default()
        .lines()
        .skip(1)
        .any(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            f.len() > 9 && f[3] == "01" && inodes.iter().any(|i| i == f[9])
        })
}

/// Waits at most 20 s for `ready`; panics naming `what` otherwise.
fn wait_for(what: &str, child: &mut Child, mut ready: impl FnMut(u32) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !ready(child.id()) {
        assert!(
            child.try_wait().unwrap().is_none(),
            "tcplab ended before {what}"
        );
        assert!(Instant::now() < deadline, "never {what}");
        std::thread::yield_now();
    }
}

/// Reaps what is reparented to this process, and returns what is still
/// running after at most 5 s.
fn left_behind() -> Vec<(i32, String)> {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        while let Ok(status) = waitpid(Pid::from_raw(-1), Some(WaitPidFlag::WNOHANG)) {
            if status.pid().is_none() {
                break;
            }
        }
        let left = descendants();
        if left.is_empty() || Instant::now() > deadline {
            return left;
        }
        std::thread::park_timeout(Duration::from_millis(10));
    }
}

fn tcplab(args: &[&str]) -> Child {
    Command::cargo_bin("tcplab")
        .unwrap()
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// The moments at which a case sends its signal.
#[derive(Clone, Copy, Debug)]
enum Moment {
    /// As soon as tcplab is started.
    AtOnce,
    /// Once tcpdump runs, before tshark does (the capture has not started).
    TcpdumpRunning,
    /// Once tshark runs too.
    TsharkRunning,
    /// While the lab's connection is established.
    Exchanging,
}

impl Moment {
    fn wait(self, child: &mut Child) {
        match self {
            Moment::AtOnce => {}
            Moment::TcpdumpRunning => wait_for("tcpdump ran", child, |p| {
                !children_of(p, "tcpdump").is_empty()
            }),
            Moment::TsharkRunning => wait_for("tshark ran", child, |p| {
                !children_of(p, "tshark").is_empty()
            }),
            Moment::Exchanging => wait_for("the lab connected", child, connected),
        }
    }
}

#[test]
fn signals_to_the_pid_alone_leave_nothing_and_stop_cleanly() {
    nix::sys::prctl::set_child_subreaper(true).unwrap();
    assert_eq!(descendants(), vec![], "a clean start");
    let temp_before = tcplab_temp_folders();
    let signals = [
        Signal::SIGINT,
        Signal::SIGTERM,
        Signal::SIGHUP,
        Signal::SIGKILL,
    ];
    let moments = [
        Moment::AtOnce,
        Moment::TcpdumpRunning,
        Moment::TsharkRunning,
        Moment::Exchanging,
    ];

    // 1. `run`, killed by pid at every moment with every signal: nothing left.
    for moment in moments {
        for signal in signals {
            let mut child = tcplab(&["run", "--payload", "300000000", "--io-timeout", "60"]);
            moment.wait(&mut child);
            kill(Pid::from_raw(child.id() as i32), signal).unwrap();
            let out = child.wait_with_output().unwrap();
            let left = left_behind();
            assert_eq!(left, vec![], "{signal} {moment:?} left processes behind");
            if signal == Signal::SIGKILL {
                continue;
            }
            let stderr = String::from_utf8_lossy(&out.stderr);
            match moment {
                // Before the handlers are installed, the default action ends tcplab.
                Moment::AtOnce => {}
                Moment::TcpdumpRunning => {
                    assert_eq!(out.status.code(), Some(2), "{signal}: {stderr}");
                    assert!(
                        stderr.contains(&format!(
                            "interrupted by {signal}: the lab was interrupted before its capture had started"
                        )),
                        "{stderr}"
                    );
                }
                Moment::TsharkRunning | Moment::Exchanging => {
                    assert_eq!(out.status.code(), Some(2), "{signal}: {stderr}");
                    assert!(
                        stderr.contains(&format!("interrupted by {signal}")),
                        "{stderr}"
                    );
                }
            }
            if let Moment::Exchanging = moment {
                // What was captured is judged: the connection, not closed.
                let stdout = String::from_utf8_lossy(&out.stdout);
                assert!(stdout.contains("|--- [SYN] Seq=0"), "{stdout}");
                assert!(stdout.contains("result: FAIL"), "{stdout}");
                assert!(
                    stderr.contains("the report shows what was captured until then"),
                    "{stderr}"
                );
            }
        }
    }

    // 2. `watch` ends its command, and everything the command started, on
    // a signal and at its deadline.
    for signal in [Signal::SIGINT, Signal::SIGTERM, Signal::SIGHUP] {
        let mut child = tcplab(&[
            "watch",
            "--port",
            "9",
            "--timeout",
            "60",
            "--",
            "sh",
            "-c",
            "sleep 60 & sleep 60",
        ]);
        wait_for("the command ran", &mut child, |p| {
            !children_of(p, "sh").is_empty()
        });
        kill(Pid::from_raw(child.id() as i32), signal).unwrap();
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(left_behind(), vec![], "watch, {signal}: {stderr}");
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        // No connection on port 9: the watch says so.
        assert!(stderr.contains("no TCP connection on port 9"), "{stderr}");
    }
    let out = tcplab(&[
        "watch",
        "--port",
        "9",
        "--timeout",
        "1",
        "--",
        "sh",
        "-c",
        "sleep 60 & sleep 60",
    ])
    .wait_with_output()
    .unwrap();
    assert_eq!(left_behind(), vec![], "watch at its deadline");
    assert_eq!(out.status.code(), Some(2));

    // 3. `sweep` stops on a signal and reports the sizes that ran.
    let mut child = tcplab(&["sweep", "--sizes", "1..=100000:1", "--jobs", "2"]);
    Moment::TsharkRunning.wait(&mut child);
    kill(Pid::from_raw(child.id() as i32), Signal::SIGTERM).unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(left_behind(), vec![], "sweep: {stderr}");
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("interrupted by SIGTERM:") && stderr.contains("of 100000 size(s) ran"),
        "{stderr}"
    );
    // No temporary folder of tcplab's was left in the temp dir.
    let new: Vec<_> = tcplab_temp_folders()
        .into_iter()
        .filter(|f| !temp_before.contains(f))
        .collect();
    assert!(new.is_empty(), "{new:?}");
}

/// The `tcplab-*` entries of the temp dir.
fn tcplab_temp_folders() -> Vec<std::ffi::OsString> {
    std::fs::read_dir(std::env::temp_dir())
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .filter(|n| n.to_string_lossy().starts_with("tcplab-"))
        .collect()
}
