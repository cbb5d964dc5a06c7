//! `tcplab --version`: tcplab's version, and the tshark and tcpdump it
//! would run (their paths and versions), or that they are missing.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// How long a tool may take to say its version before it is reported as
/// not answering.
const ANSWER_WITHIN: Duration = Duration::from_secs(5);

/// The long version text, one line per program.
pub(crate) fn long_version() -> String {
    let mut text = format!("tcplab {}\n", env!("CARGO_PKG_VERSION"));
    for (tool, install) in [
        ("tshark", "apt-get install -y tshark"),
        ("tcpdump", "apt-get install -y tcpdump"),
    ] {
        let line = match on_path(tool) {
            None => {
                format!("{tool}: not found on PATH (install it: `{install}`, or run ci/install)")
            }
            Some(path) => match first_line_of_version(&path) {
                Some(version) => format!("{tool}: {version} ({})", path.display()),
                None => format!(
                    "{tool}: {} did not say its version within {} s",
                    path.display(),
                    ANSWER_WITHIN.as_secs()
                ),
            },
        };
        text.push_str(&line);
        text.push('\n');
    }
    text
}

/// The first executable file named `tool` in the folders of `PATH`.
fn on_path(tool: &str) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(tool))
        .find(|file| {
            file.metadata()
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
}

/// The first line `program --version` prints, waiting at most
/// [`ANSWER_WITHIN`]; a program that does not answer is killed.
fn first_line_of_version(program: &Path) -> Option<String> {
    let child = Command::new(program)
        .arg(OsStr::new("--version"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .ok()?;
    let pid = child.id();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    let output = match rx.recv_timeout(ANSWER_WITHIN) {
        Ok(output) => output.ok()?,
        Err(_) => {
            let pid = nix::unistd::Pid::from_raw(i32::try_from(pid).ok()?);
            let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGKILL);
            return None;
        }
    };
    // tcpdump prints its version on stderr (older ones), tshark on stdout.
    [output.stdout, output.stderr]
        .iter()
        .flat_map(|bytes| {
            String::from_utf8_lossy(bytes)
                .lines()
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .map(|line| line.trim().to_owned())
        .find(|line| !line.is_empty())
}
