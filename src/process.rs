//! Child processes that never outlive tcplab.
//!
//! Every child (tcpdump, a watched [`Program`]) is started with
//! `PR_SET_PDEATHSIG`, so the kernel signals it when tcplab ends, however
//! it ends: also by SIGKILL or the OOM killer, when no cleanup code of
//! tcplab's runs. The kernel sends that signal when the *thread* that
//! started the child ends, not the process, so every child is started by
//! one thread that lives as long as the process: `spawn_tied` hands the
//! command to it. A watched program also leads a process group of its own,
//! so that ending it ends everything it started.

use std::ffi::OsStr;
use std::io;
use std::os::fd::AsFd;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::Mutex;
use std::sync::mpsc::{Sender, channel};

use nix::sys::signal::{Signal, killpg};
use nix::unistd::{Pid, User};

type Request = (Command, Sender<io::Result<Child>>);

/// The spawner thread's inbox, started on first use.
static SPAWNER: Mutex<Option<Sender<Request>>> = Mutex::new(None);

/// Starts `cmd` so that it receives `signal` when tcplab ends (see the
/// module documentation).
pub(crate) fn spawn_tied(mut cmd: Command, signal: Signal) -> io::Result<Child> {
    crate::sys::die_with_parent(&mut cmd, signal);
    let (reply, answer) = channel();
    {
        let mut inbox = SPAWNER.lock().unwrap_or_else(|e| e.into_inner());
        let sender = match inbox.as_ref() {
            Some(s) => s.clone(),
            None => {
                let (tx, rx) = channel::<Request>();
                std::thread::Builder::new()
                    .name("tcplab-spawner".into())
                    .spawn(move || {
                        // Never ends while the process lives: its end would
                        // signal every child it started.
                        for (mut cmd, reply) in rx {
                            let _ = reply.send(cmd.spawn());
                        }
                    })?;
                *inbox = Some(tx.clone());
                tx
            }
        };
        sender
            .send((cmd, reply))
            .map_err(|_| io::Error::other("the spawner thread has gone"))?;
    }
    answer
        .recv()
        .map_err(|_| io::Error::other("the spawner thread has gone"))?
}

/// Sends `signal` to every process of the process group `pgid` (a child
/// started with `process_group(0)` leads its own group, whose id is its pid).
fn signal_group(pgid: u32, signal: Signal) {
    let _ = killpg(Pid::from_raw(pgid as i32), signal);
}

/// Why a program could not be started.
#[derive(thiserror::Error)]
#[non_exhaustive]
pub enum ProgramError {
    /// The program is not on the PATH.
    #[error("cannot run `{shown}`: `{program}` was not found; check the command and your PATH")]
    NotFound {
        /// The command line, for the message.
        shown: String,
        /// The program.
        program: String,
    },
    /// The user to run it as does not exist.
    #[error(
        "there is no user named `{0}` to run the program as: give an existing user (e.g. nobody)"
    )]
    NoSuchUser(String),
    /// Anything else that kept it from starting.
    #[error("cannot run `{shown}`: {cause}")]
    Spawn {
        /// The command line, for the message.
        shown: String,
        /// The operating system's reason.
        cause: io::Error,
    },
}

/// A program to run under a watch: in a process group of its own, tied to
/// tcplab, optionally as another user and with a clean environment.
#[derive(Debug)]
pub struct Program {
    command: Command,
    shown: String,
    program: String,
    user: Option<String>,
}

impl Program {
    /// `program` with `args`; its standard output goes to tcplab's stderr,
    /// so that tcplab's stdout holds only the report.
    pub fn new<S: AsRef<OsStr>>(program: S, args: impl IntoIterator<Item = S>) -> Program {
        let program_text = program.as_ref().to_string_lossy().into_owned();
        let mut command = Command::new(program);
        let mut shown = program_text.clone();
        for a in args {
            shown.push(' ');
            shown.push_str(&a.as_ref().to_string_lossy());
            command.arg(a);
        }
        let out = std::io::stderr()
            .as_fd()
            .try_clone_to_owned()
            .map_or_else(|_| Stdio::inherit(), Stdio::from);
        command.stdin(Stdio::null()).stdout(out).process_group(0);
        Program {
            command,
            shown,
            program: program_text,
            user: None,
        }
    }

    /// Runs it with `name`'s user and group ids and no supplementary groups.
    pub fn user(mut self, name: &str) -> Result<Program, ProgramError> {
        let user = User::from_name(name)
            .ok()
            .flatten()
            .ok_or_else(|| ProgramError::NoSuchUser(name.to_owned()))?;
        // std drops the supplementary groups when it changes the user as root.
        self.command.uid(user.uid.as_raw()).gid(user.gid.as_raw());
        self.command
            .env("HOME", &user.dir)
            .env("USER", name)
            .env("LOGNAME", name);
        self.user = Some(name.to_owned());
        Ok(self)
    }

    /// Runs it with an empty environment but for `PATH`, `LANG` and, with
    /// [`Program::user`], `HOME`, `USER` and `LOGNAME`.
    pub fn clean_env(mut self) -> Program {
        self.command.env_clear();
        self.command
            .env("PATH", "/usr/local/bin:/usr/bin:/bin")
            .env("LANG", "C.UTF-8");
        if let Some(name) = self.user.clone() {
            if let Ok(Some(user)) = User::from_name(&name) {
                self.command
                    .env("HOME", &user.dir)
                    .env("USER", &name)
                    .env("LOGNAME", &name);
            }
        }
        self
    }

    /// The command line, for messages.
    pub fn shown(&self) -> &str {
        &self.shown
    }

    /// Whether it will run with root's rights.
    pub fn runs_as_root(&self) -> bool {
        self.user.is_none() && nix::unistd::geteuid().is_root()
    }

    /// Starts it and waits for it to exit. Dropping the returned future
    /// (a deadline, an interruption) kills its whole process group.
    pub async fn run(self) -> Result<ExitStatus, ProgramError> {
        let Program {
            command,
            shown,
            program,
            ..
        } = self;
        let mut child = spawn_tied(command, Signal::SIGKILL).map_err(|cause| {
            if cause.kind() == io::ErrorKind::NotFound {
                ProgramError::NotFound {
                    shown: shown.clone(),
                    program,
                }
            } else {
                ProgramError::Spawn {
                    shown: shown.clone(),
                    cause,
                }
            }
        })?;
        let group = GroupGuard(child.id());
        let status = tokio::task::spawn_blocking(move || child.wait())
            .await
            .map_err(|e| ProgramError::Spawn {
                shown: shown.clone(),
                cause: io::Error::other(e),
            })?
            .map_err(|cause| ProgramError::Spawn { shown, cause })?;
        // It has exited; what it started may live on: end that too.
        drop(group);
        Ok(status)
    }
}

/// Kills a process group when dropped.
struct GroupGuard(u32);

impl Drop for GroupGuard {
    fn drop(&mut self) {
        signal_group(self.0, Signal::SIGKILL);
    }
}

debug_as_display!(ProgramError);

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Stdio;

    /// A child started from a short-lived thread still runs after that
    /// thread ended: it was started by the spawner thread.
    #[test]
    fn a_child_outlives_the_thread_that_asked_for_it() {
        let mut child = std::thread::spawn(|| {
            let mut cmd = Command::new("sleep");
            cmd.arg("30").stdout(Stdio::null());
            spawn_tied(cmd, Signal::SIGKILL).unwrap()
        })
        .join()
        .unwrap();
        // The asking thread has ended; the child must not have been signalled.
        std::thread::sleep(std::time::Duration::from_millis(100));
        assert!(
            child.try_wait().unwrap().is_none(),
            "the child died with its asking thread"
        );
        child.kill().unwrap();
        child.wait().unwrap();
    }
}
