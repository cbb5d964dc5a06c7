//! Network namespaces without names: each [`Namespace`] is held by an open
//! file descriptor, so it disappears with its interfaces and nftables rules
//! as soon as the last holder closes it, also when tcplab panics or is
//! killed. Nothing is left in `ip netns list` to clean up, and two labs can
//! never pick the same name.
//!
//! Code runs inside a namespace on a thread of its own
//! ([`Namespace::run`]): a socket made there stays in the namespace when it
//! is handed to tokio. Programs (`ip`, `nft`, `tc`, `tcpdump`) are started
//! inside with [`Namespace::command`].

use std::fs::File;
use std::os::fd::OwnedFd;
use std::process::Command;

use nix::sched::{CloneFlags, setns, unshare};

/// Why a namespace could not be made or entered.
#[derive(thiserror::Error)]
#[non_exhaustive]
pub enum NetnsError {
    /// The kernel refused: tcplab is not root (CAP_SYS_ADMIN and CAP_NET_ADMIN).
    #[error(
        "a two-host link needs network namespaces, which only root may create ({cause}): run tcplab as root (e.g. with sudo), or use the loopback lab without --link"
    )]
    NotPermitted {
        /// The operating system's words.
        cause: std::io::Error,
    },
    /// Something else failed.
    #[error("{what}: {cause}")]
    Io {
        /// What was being done.
        what: String,
        /// The operating system's reason.
        cause: std::io::Error,
    },
}

impl NetnsError {
    fn from_os(what: &str, cause: std::io::Error) -> NetnsError {
        if cause.kind() == std::io::ErrorKind::PermissionDenied {
            NetnsError::NotPermitted { cause }
        } else {
            NetnsError::Io {
                what: what.to_owned(),
                cause,
            }
        }
    }
}

/// An anonymous network namespace, alive while this value (or a socket or
/// process inside it) is.
#[derive(Debug)]
pub struct Namespace {
    fd: OwnedFd,
}

impl Namespace {
    /// Creates a fresh namespace (only its own `lo`, down).
    pub fn new() -> Result<Namespace, NetnsError> {
        let made = std::thread::spawn(|| {
            // Only this short-lived thread moves into the new namespace.
            unshare(CloneFlags::CLONE_NEWNET).map_err(|e| {
                NetnsError::from_os("creating a network namespace", std::io::Error::from(e))
            })?;
            File::open("/proc/thread-self/ns/net")
                .map(OwnedFd::from)
                .map_err(|e| NetnsError::from_os("opening the new network namespace", e))
        })
        .join()
        .map_err(|_| NetnsError::Io {
            what: "creating a network namespace".to_owned(),
            cause: std::io::Error::other("the thread panicked"),
        })??;
        Ok(Namespace { fd: made })
    }

    /// Runs `f` on a new thread that has entered this namespace, and returns
    /// its result. Sockets made by `f` belong to the namespace for good.
    pub fn run<T: Send>(&self, f: impl FnOnce() -> T + Send) -> Result<T, NetnsError> {
        let fd = &self.fd;
        std::thread::scope(|s| {
            s.spawn(move || {
                setns(fd, CloneFlags::CLONE_NEWNET).map_err(|e| {
                    NetnsError::from_os("entering a network namespace", std::io::Error::from(e))
                })?;
                Ok(f())
            })
            .join()
            .unwrap_or_else(|p| std::panic::resume_unwind(p))
        })
    }

    /// A command that runs inside this namespace.
    pub fn command(&self, program: &str) -> Command {
        let mut cmd = Command::new(program);
        crate::sys::enter_netns_before_exec(&mut cmd, &self.fd);
        cmd
    }

    /// Runs `program args...` inside the namespace, with `stdin` as its
    /// input; returns what it printed on stdout, or fails with what it said.
    pub fn exec(
        &self,
        program: &str,
        args: &[&str],
        stdin: Option<&str>,
    ) -> Result<String, NetnsError> {
        use std::io::Write;
        use std::process::Stdio;
        let shown = format!("`{program} {}`", args.join(" "));
        let mut child = self
            .command(program)
            .args(args)
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| NetnsError::Io {
                what: if e.kind() == std::io::ErrorKind::NotFound {
                    format!("{program} is not installed (run ci/install)")
                } else {
                    format!("starting {shown}")
                },
                cause: e,
            })?;
        if let (Some(text), Some(mut pipe)) = (stdin, child.stdin.take()) {
            pipe.write_all(text.as_bytes())
                .map_err(|e| NetnsError::from_os(&format!("writing to {shown}"), e))?;
        }
        let out = child
            .wait_with_output()
            .map_err(|e| NetnsError::from_os(&format!("waiting for {shown}"), e))?;
        if out.status.success() {
            return Ok(String::from_utf8_lossy(&out.stdout).into_owned());
        }
        let said = String::from_utf8_lossy(&out.stderr).trim().to_owned();
        let cause = std::io::Error::other(format!("{said} ({})", out.status));
        if said.contains("Operation not permitted") {
            return Err(NetnsError::NotPermitted { cause });
        }
        Err(NetnsError::Io {
            what: format!("{shown} failed"),
            cause,
        })
    }

    /// The kernel's identity of this namespace (its inode number), to tell
    /// namespaces apart in tests.
    pub fn id(&self) -> Result<u64, NetnsError> {
        use std::os::unix::fs::MetadataExt;
        let f = File::from(
            self.fd
                .try_clone()
                .map_err(|e| NetnsError::from_os("duplicating a namespace handle", e))?,
        );
        f.metadata()
            .map(|m| m.ino())
            .map_err(|e| NetnsError::from_os("reading a namespace's identity", e))
    }
}

/// The thread id of the calling thread, which `ip link ... netns` accepts
/// as the namespace of that thread.
pub(crate) fn thread_id() -> i32 {
    nix::unistd::gettid().as_raw()
}

debug_as_display!(NetnsError);

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether namespaces may be made here; if not, says so.
    fn permitted() -> bool {
        match Namespace::new() {
            Ok(_) => true,
            Err(e) => {
                eprintln!("SKIPPED: {e}");
                false
            }
        }
    }

    #[test]
    fn a_namespace_is_its_own_network() {
        if !permitted() {
            return;
        }
        let a = Namespace::new().unwrap();
        let b = Namespace::new().unwrap();
        assert_ne!(a.id().unwrap(), b.id().unwrap());
        let here = std::fs::metadata("/proc/thread-self/ns/net").unwrap();
        use std::os::unix::fs::MetadataExt;
        assert_ne!(a.id().unwrap(), here.ino());
        // Inside, only a down `lo`: binding 127.0.0.1 fails until it is up.
        let inside = a
            .run(|| std::fs::metadata("/proc/thread-self/ns/net").unwrap().ino())
            .unwrap();
        assert_eq!(inside, a.id().unwrap());
        a.exec("ip", &["link", "set", "lo", "up"], None).unwrap();
        let bound = a
            .run(|| std::net::TcpListener::bind("127.0.0.1:0").map(|l| l.local_addr().unwrap()))
            .unwrap();
        assert!(bound.is_ok(), "{bound:?}");
    }

    #[test]
    fn a_failing_command_says_what_it_said() {
        if !permitted() {
            return;
        }
        let a = Namespace::new().unwrap();
        let e = a
            .exec("ip", &["link", "set", "nope0", "up"], None)
            .unwrap_err()
            .to_string();
        assert!(e.contains("`ip link set nope0 up` failed"), "{e}");
        assert!(e.contains("nope0"), "{e}");
    }
}
