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
