//! The command line as a user meets it next to cargo and ripgrep: shell
//! completions and manual pages generated from the same definitions that
//! parse it, `--version` naming the tools it runs, usage errors about the
//! command typed, and help that describes the subcommand asked about.

use std::path::Path;
use std::process::Command;

use assert_cmd::cargo::CommandCargoExt;
use rstest::rstest;

mod common;
use common::tcplab;

const SUBCOMMANDS: [&str; 7] = [
    "run",
    "serve",
    "watch",
    "check",
    "sweep",
    "completions",
    "man",
];

#[rstest]
#[case::bash("bash", "complete -F _tcplab")]
#[case::zsh("zsh", "#compdef tcplab")]
#[case::fish("fish", "complete -c tcplab")]
#[case::elvish("elvish", "edit:completion:arg-completer[tcplab]")]
#[case::powershell("powershell", "Register-ArgumentCompleter")]
fn completions_know_every_subcommand_and_option(#[case] shell: &str, #[case] hook: &str) {
    let (code, script, err) = tcplab(&["completions", shell]);
    assert_eq!(code, 0, "{err}");
    assert!(script.contains(hook), "{script}");
    // fish writes long options as `-l expect-close`.
    for word in SUBCOMMANDS
        .iter()
        .chain(&["expect-close", "expect-ladder", "sizes"])
    {
        assert!(script.contains(word), "{shell}: no `{word}` in\n{script}");
    }
}

#[test]
fn the_bash_completion_script_is_valid_bash() {
    let (_, script, _) = tcplab(&["completions", "bash"]);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("tcplab.bash");
    std::fs::write(&file, script).unwrap();
    let out = Command::new("bash").arg("-n").arg(&file).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn an_unknown_shell_is_a_usage_error() {
    let (code, _, err) = tcplab(&["completions", "tcsh"]);
    assert_eq!(code, 2);
    assert!(err.contains("invalid value 'tcsh'"), "{err}");
}

#[test]
fn the_manual_page_is_roff_with_every_subcommand() {
    let (code, page, err) = tcplab(&["man"]);
    assert_eq!(code, 0, "{err}");
    assert!(page.contains(".TH tcplab 1"), "{page}");
    assert!(page.contains(env!("CARGO_PKG_VERSION")), "{page}");
    for sub in SUBCOMMANDS {
        assert!(
            page.contains(&format!("tcplab\\-{sub}(1)")),
            "no {sub} in\n{page}"
        );
    }
}

#[test]
fn man_out_dir_writes_one_page_per_subcommand() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("man1");
    let (code, stdout, err) = tcplab(&["man", "--out-dir", out.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(stdout, "");
    let mut names: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    let mut expected: Vec<String> = SUBCOMMANDS
        .iter()
        .map(|s| format!("tcplab-{s}.1"))
        .collect();
    expected.push("tcplab.1".into());
    expected.sort();
    assert_eq!(names, expected);
    let check = std::fs::read_to_string(out.join("tcplab-check.1")).unwrap();
    assert!(check.contains(".TH tcplab-check 1"), "{check}");
    assert!(check.contains("\\-\\-expect\\-close"), "{check}");
    assert!(
        check.contains("tcplab check"),
        "the synopsis names the command typed:\n{check}"
    );
}

/// A folder holding an executable `name` that prints `says`.
fn fake_tool(dir: &Path, name: &str, says: &str) {
    use std::os::unix::fs::PermissionsExt;
    let file = dir.join(name);
    std::fs::write(&file, format!("#!/bin/sh\necho '{says}'\n")).unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[rstest]
#[case::both_found(&["tshark", "tcpdump"], &["tshark: TShark (Wireshark) 9.9.9 (", "tcpdump: tcpdump version 9.9 ("])]
#[case::tcpdump_missing(&["tshark"], &["tshark: TShark (Wireshark) 9.9.9 (", "tcpdump: not found on PATH"])]
#[case::both_missing(&[], &["tshark: not found on PATH", "tcpdump: not found on PATH"])]
fn version_names_the_tools_it_would_run(#[case] present: &[&str], #[case] says: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    for tool in present {
        let version = match *tool {
            "tshark" => "TShark (Wireshark) 9.9.9",
            _ => "tcpdump version 9.9",
        };
        fake_tool(dir.path(), tool, version);
    }
    for flag in ["--version", "-V"] {
        let out = Command::cargo_bin("tcplab")
            .unwrap()
            .env("PATH", dir.path())
            .arg(flag)
            .output()
            .unwrap();
        let text = String::from_utf8(out.stdout).unwrap();
        assert_eq!(out.status.code(), Some(0), "{text}");
        let mut lines = text.lines();
        assert_eq!(
            lines.next(),
            Some(concat!("tcplab ", env!("CARGO_PKG_VERSION")))
        );
        for (line, said) in lines.zip(says) {
            assert!(
                line.starts_with(said),
                "{line:?} does not start with {said:?}"
            );
        }
        if present.contains(&"tshark") {
            assert!(
                text.contains(&dir.path().join("tshark").display().to_string()),
                "{text}"
            );
        }
    }
}

#[rstest]
#[case::top_level(&["--bogus"], "Usage: tcplab [RUN OPTIONS]")]
#[case::subcommand(&["check", "--bogus", "x.pcap"], "Usage: tcplab check")]
fn an_unknown_option_is_told_about_the_command_typed(#[case] args: &[&str], #[case] usage: &str) {
    let (code, out, err) = tcplab(args);
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains("unexpected argument '--bogus'"), "{err}");
    assert!(err.contains(usage), "{err}");
    if args[0] == "--bogus" {
        assert!(
            !err.contains("tcplab run"),
            "the usage of `run` for a top-level typo:\n{err}"
        );
    }
}

#[test]
fn top_level_help_lists_the_subcommands_not_runs_options() {
    let (code, help, _) = tcplab(&["--help"]);
    assert_eq!(code, 0);
    for sub in SUBCOMMANDS {
        assert!(help.contains(&format!("  {sub} ")), "{help}");
    }
    assert!(!help.contains("--payload"), "{help}");
    assert!(help.contains("tcplab run --help"), "{help}");
}

#[rstest]
#[case::run("run")]
#[case::watch("watch")]
fn svg_help_of_run_and_watch_says_nothing_of_folders(#[case] sub: &str) {
    let (_, help, _) = tcplab(&[sub, "--help"]);
    let svg = help
        .split("\n      --")
        .find(|option| option.starts_with("svg"))
        .unwrap_or_else(|| panic!("no --svg in\n{help}"));
    assert!(!svg.contains("folder"), "{svg}");
    let (_, check, _) = tcplab(&["check", "--help"]);
    assert!(check.contains("one picture per capture"), "{check}");
}

// ---- colour and width ----

fn fixture(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

/// tcplab's stdout through a pipe, with `env` set and `COLUMNS`,
/// `NO_COLOR` and `CLICOLOR_FORCE` otherwise unset.
fn piped(args: &[&str], env: &[(&str, &str)]) -> String {
    let mut command = Command::cargo_bin("tcplab").unwrap();
    for var in ["COLUMNS", "NO_COLOR", "CLICOLOR_FORCE", "CLICOLOR"] {
        command.env_remove(var);
    }
    let out = command
        .envs(env.iter().copied())
        .args(args)
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap()
}

#[rstest]
#[case::piped_auto(&[], &[], false)]
#[case::always(&["--color", "always"], &[], true)]
#[case::never(&["--color", "never"], &[], false)]
#[case::no_color_env(&[], &[("NO_COLOR", "1")], false)]
#[case::always_beats_no_color(&["--color", "always"], &[("NO_COLOR", "1")], true)]
#[case::forced_by_env(&[], &[("CLICOLOR_FORCE", "1")], true)]
#[case::never_beats_force(&["--color", "never"], &[("CLICOLOR_FORCE", "1")], false)]
#[case::before_the_subcommand(&["--color=always", "@"], &[], true)]
fn colour_only_where_asked_for(
    #[case] flags: &[&str],
    #[case] env: &[(&str, &str)],
    #[case] colored: bool,
) {
    // A failing capture: red FAIL, arrows, the reset's diagnosis.
    let file = fixture("seed-client-rst.pcapng");
    let args: Vec<&str> = if flags.last() == Some(&"@") {
        [flags[0], "check", &file].to_vec()
    } else {
        [&["check", &file][..], flags].concat()
    };
    let text = piped(&args, env);
    assert!(text.contains("FAIL"), "{text}");
    assert_eq!(text.contains('\x1b'), colored, "{text}");
    if colored {
        assert!(text.contains("\x1b[1m\x1b[31mFAIL\x1b[0m"), "{text}");
    }
}

#[rstest]
#[case::one_file(&["check", "--json", "--color", "always", "@four-segment.pcapng"])]
#[case::folder(&["check", "--json", "--color", "always", "@four-segment.pcapng", "@three-segment.pcapng"])]
#[case::completions(&["--color", "always", "completions", "bash"])]
fn machine_output_is_never_coloured(#[case] args: &[&str]) {
    let args: Vec<String> = args
        .iter()
        .map(|a| a.strip_prefix('@').map_or_else(|| a.to_string(), fixture))
        .collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = piped(&args, &[]);
    assert!(!out.is_empty());
    assert!(!out.contains('\x1b'), "{out}");
}

/// A folder of three hand-ins whose summary lines are long: a reset's
/// reason runs to about 400 characters.
fn handins() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, fixture_name) in [
        ("alice", "four-segment.pcapng"),
        ("bob", "seed-client-rst.pcapng"),
        ("carol", "udp-only.pcapng"),
    ] {
        std::fs::create_dir(dir.path().join(name)).unwrap();
        std::fs::copy(
            fixture(fixture_name),
            dir.path().join(name).join("lab.pcapng"),
        )
        .unwrap();
    }
    dir
}

/// The summary table: from its header to the result line.
fn table(text: &str) -> Vec<&str> {
    let start = text.rfind("\nfile ").expect("a table") + 1;
    text[start..].lines().collect()
}

#[rstest]
#[case::eighty(80)]
#[case::hundred(100)]
#[case::wide(132)]
fn the_summary_table_fits_columns(#[case] width: usize) {
    let dir = handins();
    let folder = dir.path().to_str().unwrap();
    let full = piped(&["check", folder], &[]);
    assert!(
        table(&full).iter().any(|l| l.chars().count() > 300),
        "{full}"
    );
    let fitted = piped(&["check", folder], &[("COLUMNS", &width.to_string())]);
    let rows = table(&fitted);
    assert_eq!(rows.len(), 5, "{fitted}");
    for row in &rows {
        assert!(
            row.chars().count() <= width,
            "{} > {width}: {row}",
            row.chars().count()
        );
    }
    assert!(
        rows[2].contains("FAIL") && rows[2].ends_with('…'),
        "{fitted}"
    );
    // The blocks above the table, and --table FILE, keep every word.
    assert!(
        fitted.contains("like the seed's client.py, does this"),
        "{fitted}"
    );
    let file = dir.path().join("table.txt");
    piped(
        &["check", folder, "--table", file.to_str().unwrap()],
        &[("COLUMNS", "80")],
    );
    let kept = std::fs::read_to_string(file).unwrap();
    assert_eq!(table(&format!("\n{kept}")), table(&full), "{kept}");
}

/// tcplab run on a terminal (a pseudo-terminal `cols` wide, made by
/// Python's pty module), without `COLUMNS`: what the terminal showed.
fn on_a_terminal(args: &[&str], cols: u16) -> String {
    let script = r#"
import fcntl, os, pty, struct, sys, termios
cols = int(sys.argv[1])
pid, fd = pty.fork()
if pid == 0:
    fcntl.ioctl(1, termios.TIOCSWINSZ, struct.pack("HHHH", 50, cols, 0, 0))
    os.execv(sys.argv[2], sys.argv[2:])
out = b""
while True:
    try:
        chunk = os.read(fd, 65536)
    except OSError:
        break
    if not chunk:
        break
    out += chunk
os.waitpid(pid, 0)
sys.stdout.buffer.write(out)
"#;
    let bin = assert_cmd::cargo::cargo_bin("tcplab");
    let out = Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(cols.to_string())
        .arg(bin)
        .args(args)
        .env_remove("COLUMNS")
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .env("TERM", "xterm")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).replace("\r\n", "\n")
}

#[test]
fn a_terminal_gets_colour_and_a_table_its_width() {
    let dir = handins();
    let shown = on_a_terminal(&["check", dir.path().to_str().unwrap()], 90);
    assert!(shown.contains("\x1b[1m\x1b[31mFAIL\x1b[0m"), "{shown}");
    let visible = strip_escapes(&shown);
    let rows = table(&visible);
    assert_eq!(rows.len(), 5, "{visible}");
    for row in rows {
        assert!(row.chars().count() <= 90, "{row}");
    }
}

/// `text` without its escape sequences.
fn strip_escapes(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            chars.by_ref().find(|&c| c == 'm');
        } else {
            out.push(c);
        }
    }
    out
}
