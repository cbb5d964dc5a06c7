//! The CI recipes: both workflows are valid YAML whose steps only call
//! standard actions and scripts under `ci/`, the project's CI runs what
//! `.ci/run` runs, and `ci/grade` grades a folder for real.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use rstest::rstest;
use serde_json::Value;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn workflow(file: &str) -> Value {
    let text = std::fs::read_to_string(root().join(file)).unwrap();
    serde_yaml_ng::from_str(&text).unwrap_or_else(|e| panic!("{file} is not valid YAML: {e}"))
}

fn steps(wf: &Value) -> Vec<&Value> {
    let jobs = wf["jobs"].as_object().expect("jobs");
    assert!(!jobs.is_empty());
    jobs.values()
        .flat_map(|j| {
            assert!(j["runs-on"].is_string(), "{j:#}");
            j["steps"].as_array().expect("steps")
        })
        .collect()
}

fn runs(wf: &Value) -> Vec<&str> {
    steps(wf)
        .iter()
        .filter_map(|s| s["run"].as_str())
        .map(str::trim)
        .collect()
}

#[rstest]
#[case::project(".github/workflows/ci.yml")]
#[case::course("examples/course-ci.yml")]
fn workflows_only_call_standard_actions_and_ci_scripts(#[case] file: &str) {
    let wf = workflow(file);
    assert!(wf["name"].is_string(), "{file}");
    assert!(
        wf["on"].is_object(),
        "{file}: `on` must be read as a key, not as true"
    );
    for step in steps(&wf) {
        match (step["uses"].as_str(), step["run"].as_str()) {
            (Some(action), None) => assert!(
                action.starts_with("actions/checkout@")
                    || action.starts_with("actions/upload-artifact@")
                    || action.starts_with("actions/cache@")
                    || action.starts_with("actions/cache/"),
                "{file}: {action} is not a standard action"
            ),
            (None, Some(run)) => {
                assert_eq!(
                    run.trim().lines().count(),
                    1,
                    "{file}: one command per step: {run}"
                );
                let words: Vec<&str> = run.split_whitespace().collect();
                assert_eq!(words[0], "bash", "{file}: {run}");
                let script = words[1];
                let at = script
                    .find("ci/")
                    .unwrap_or_else(|| panic!("{file}: {script} is not under ci/"));
                let local = root().join(&script[at..]);
                let meta = std::fs::metadata(&local)
                    .unwrap_or_else(|_| panic!("{file}: {script} does not exist here"));
                assert!(
                    meta.permissions().mode() & 0o111 != 0,
                    "{} is not executable",
                    local.display()
                );
            }
            _ => panic!("{file}: a step must either use an action or run a script: {step:#}"),
        }
    }
}

#[rstest]
#[case::project(".github/workflows/ci.yml")]
#[case::course("examples/course-ci.yml")]
fn workflows_read_only_bounded_in_time_and_cached(#[case] file: &str) {
    let wf = workflow(file);
    assert_eq!(
        wf["permissions"],
        serde_json::json!({"contents": "read"}),
        "{file}: the token may only read"
    );
    for (name, job) in wf["jobs"].as_object().unwrap() {
        let minutes = job["timeout-minutes"].as_u64();
        assert!(
            minutes.is_some_and(|m| (1..=120).contains(&m)),
            "{file}: job {name} has no timeout-minutes of at most 2 hours"
        );
        let cache_steps: Vec<&str> = job["steps"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["with"]["key"].is_string())
            .filter_map(|s| s["uses"].as_str())
            .collect();
        let cached = cache_steps.iter().any(|u| u.starts_with("actions/cache@"))
            || (cache_steps
                .iter()
                .any(|u| u.starts_with("actions/cache/restore@"))
                && cache_steps
                    .iter()
                    .any(|u| u.starts_with("actions/cache/save@")));
        assert!(cached, "{file}: job {name} rebuilds tcplab from nothing");
    }
}

/// A course's grades must not change because tcplab's main moved on: the
/// workflow names a commit of tcplab's history whose `ci/grade` honours the
/// binary cache the workflow keeps.
#[test]
fn the_course_workflow_pins_a_commit_of_tcplab() {
    let wf = workflow("examples/course-ci.yml");
    let pinned = wf["env"]["TCPLAB_REF"].as_str().expect("TCPLAB_REF");
    assert!(
        pinned.len() == 40 && pinned.bytes().all(|b| b.is_ascii_hexdigit()),
        "TCPLAB_REF is `{pinned}`, not a full commit id"
    );
    if !root().join(".git").exists() {
        eprintln!("SKIPPED: no git history here to find {pinned} in");
        return;
    }
    let grade = Command::new("git")
        .arg("-C")
        .arg(root())
        .args(["show", &format!("{pinned}:ci/grade")])
        .output()
        .unwrap();
    assert!(
        grade.status.success(),
        "{pinned} is not a commit of tcplab with ci/grade: {}",
        String::from_utf8_lossy(&grade.stderr)
    );
    let script = String::from_utf8_lossy(&grade.stdout);
    let cache = wf["env"]["TCPLAB_BIN_CACHE"].as_str().unwrap();
    assert!(!cache.is_empty());
    assert!(
        script.contains("TCPLAB_BIN_CACHE"),
        "the pinned ci/grade ignores the binary cache"
    );
}

#[test]
fn ci_grade_takes_tcplab_from_the_binary_cache() {
    use std::os::unix::fs::PermissionsExt;
    let d = tempfile::tempdir().unwrap();
    let cache = d.path().join("bin");
    std::fs::create_dir(&cache).unwrap();
    // A stand-in that says it was run and writes the three outputs' JSON.
    let fake = cache.join("tcplab");
    std::fs::write(&fake, "#!/bin/sh\necho '{\"from\": \"cache\"}'\n").unwrap();
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    let subs = d.path().join("submissions");
    put(&subs, "alice/lab.pcapng", "four-segment.pcapng");
    let out = d.path().join("grades");
    let o = Command::new("bash")
        .arg(root().join("ci/grade"))
        .arg(&subs)
        .arg(&out)
        .env_remove("TCPLAB")
        .env("TCPLAB_BIN_CACHE", &cache)
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let json = std::fs::read_to_string(out.join("grades.json")).unwrap();
    assert_eq!(json.trim(), r#"{"from": "cache"}"#);
}

#[test]
fn the_project_ci_runs_what_ci_run_runs() {
    let script = std::fs::read_to_string(root().join(".ci/run")).unwrap();
    let commands: Vec<&str> = script
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter(|l| !l.starts_with("set ") && !l.starts_with("cd "))
        .collect();
    let wf = workflow(".github/workflows/ci.yml");
    assert_eq!(runs(&wf), commands);
    let triggers = wf["on"].as_object().unwrap();
    assert!(
        triggers.contains_key("push") && triggers.contains_key("pull_request"),
        "{wf:#}"
    );
    // The tests capture live on lo (NET_RAW, NET_ADMIN) and build veth links
    // between network namespaces (SYS_ADMIN): a privileged container, or all three.
    let job = wf["jobs"].as_object().unwrap().values().next().unwrap();
    let options = job["container"]["options"].as_str().unwrap_or_default();
    assert!(
        options.contains("--privileged")
            || ["NET_RAW", "NET_ADMIN", "SYS_ADMIN"]
                .iter()
                .all(|c| options.contains(c)),
        "{job:#}"
    );
}

#[test]
fn the_course_workflow_grades_submissions_and_uploads_the_grades() {
    let wf = workflow("examples/course-ci.yml");
    let paths = wf["on"]["push"]["paths"].as_array().unwrap();
    assert!(paths.contains(&Value::from("submissions/**")), "{wf:#}");
    let steps = steps(&wf);
    let tcplab = steps
        .iter()
        .find(|s| s["with"]["repository"].is_string())
        .expect("a checkout of tcplab");
    let checkout = tcplab["with"]["path"].as_str().unwrap();
    let run = runs(&wf)[0];
    let words: Vec<&str> = run.split_whitespace().collect();
    assert_eq!(words[1], format!("{checkout}/ci/grade"), "{run}");
    assert_eq!(words[2..4], ["submissions", "grades"], "{run}");
    let upload = steps
        .iter()
        .find(|s| {
            s["uses"]
                .as_str()
                .is_some_and(|u| u.starts_with("actions/upload-artifact@"))
        })
        .expect("an upload step");
    assert_eq!(
        upload["if"], "always()",
        "grades are uploaded when a hand-in fails too"
    );
    assert_eq!(upload["with"]["path"], "grades/");
}

fn put(dir: &Path, name: &str, fixture: &str) {
    std::fs::create_dir_all(dir.join(name).parent().unwrap()).unwrap();
    std::fs::copy(root().join("tests/fixtures").join(fixture), dir.join(name)).unwrap();
}

fn grade(subs: &Path, out: &Path, extra: &[&str]) -> (i32, String, String) {
    let o = Command::new("bash")
        .arg(root().join("ci/grade"))
        .arg(subs)
        .arg(out)
        .args(extra)
        .env("TCPLAB", assert_cmd::cargo::cargo_bin("tcplab"))
        .output()
        .unwrap();
    (
        o.status.code().unwrap(),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[rstest]
#[case::all_pass(&[("alice/lab.pcapng", "four-segment.pcapng")], &[], 0)]
#[case::one_fails(&[("alice/lab.pcapng", "four-segment.pcapng"), ("bob/lab.pcapng", "three-segment.pcapng")], &["--expect-close", "four-segment"], 1)]
#[case::one_unusable(&[("alice/lab.pcapng", "four-segment.pcapng"), ("carol/lab.pcapng", "udp-only.pcapng")], &[], 2)]
fn ci_grade_writes_the_grades_and_exits_with_tcplabs_code(
    #[case] handins: &[(&str, &str)],
    #[case] extra: &[&str],
    #[case] want: i32,
) {
    let d = tempfile::tempdir().unwrap();
    let subs = d.path().join("submissions");
    for (name, fixture) in handins {
        put(&subs, name, fixture);
    }
    let out: PathBuf = d.path().join("grades");
    let (code, stdout, stderr) = grade(&subs, &out, extra);
    assert_eq!(code, want, "{stdout}{stderr}");
    let table = std::fs::read_to_string(out.join("grades.txt")).unwrap();
    assert_eq!(stdout, table, "ci/grade prints the summary table");
    assert_eq!(table.lines().count(), handins.len() + 2, "{table}");
    let v: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("grades.json")).unwrap()).unwrap();
    assert_eq!(v["passed"], want == 0);
    assert_eq!(v["files"].as_array().unwrap().len(), handins.len());
    let csv = std::fs::read_to_string(out.join("grades.csv")).unwrap();
    assert_eq!(csv.lines().count(), handins.len() + 1, "{csv}");
    assert!(
        csv.lines()
            .skip(1)
            .all(|l| l.starts_with(subs.to_str().unwrap())),
        "{csv}"
    );
}

#[test]
fn ci_grade_without_arguments_says_how_to_use_it() {
    let o = Command::new("bash")
        .arg(root().join("ci/grade"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("usage: ci/grade DIR OUTDIR"));
}
