//! The only `unsafe` code of tcplab: hooks that run in a child process
//! between `fork` and `exec`. Registering such a hook is unsafe because
//! only async-signal-safe calls may run there; each hook below makes one
//! such system call and nothing else.

use std::os::fd::{AsRawFd, BorrowedFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::process::Command;

use nix::sched::{CloneFlags, setns};
use nix::sys::signal::Signal;

/// Makes the child enter the network namespace `ns` before it runs.
pub(crate) fn enter_netns_before_exec(cmd: &mut Command, ns: &OwnedFd) {
    let fd = ns.as_raw_fd();
    // SAFETY: setns(2) is async-signal-safe. The descriptor stays open in
    // the child until exec (it is close-on-exec, so it does not leak into
    // the program), and the borrow ends before the closure returns.
    unsafe {
        cmd.pre_exec(move || {
            let ns = BorrowedFd::borrow_raw(fd);
            setns(ns, CloneFlags::CLONE_NEWNET).map_err(std::io::Error::from)
        });
    }
}

/// Makes the kernel send `signal` to the child when the thread that
/// started it ends (`PR_SET_PDEATHSIG`): also when tcplab is killed with
/// SIGKILL and no cleanup code of its own runs.
pub(crate) fn die_with_parent(cmd: &mut Command, signal: Signal) {
    // SAFETY: prctl(2) is async-signal-safe, and this closure does nothing else.
    unsafe {
        cmd.pre_exec(move || nix::sys::prctl::set_pdeathsig(signal).map_err(std::io::Error::from));
    }
}

/// Runs `f` when the process exits through `exit()` (as a test binary
/// does, without running destructors).
pub(crate) fn run_at_exit(f: extern "C" fn()) {
    unsafe extern "C" {
        fn atexit(f: extern "C" fn()) -> std::ffi::c_int;
    }
    // SAFETY: atexit(3) only records the function pointer; `f` is a plain
    // `extern "C" fn` with no captured state.
    unsafe {
        atexit(f);
    }
}
