//! The JSON report of a batch. Each connection has exactly the fields of
//! the single-file schema ([`crate::report::json::JsonConnection`]); fields
//! are only ever added.
//!
//! ```json
//! {
//!   "schema": 1,
//!   "passed": false,
//!   "files": [
//!     { "file": "subs/alice/lab.pcapng", "passed": true, "error": null, "connections": [ ... ],
//!       "same_as": [ { "file": "subs/aaron/lab.pcapng", "same": "file" } ] },
//!     { "file": "subs/aaron/lab.pcapng", "passed": true, "error": null, "connections": [ ... ],
//!       "same_as": [ { "file": "subs/alice/lab.pcapng", "same": "file" } ] },
//!     { "file": "subs/carol/lab.pcapng", "passed": false,
//!       "error": "`subs/carol/lab.pcapng` is empty: ...", "connections": [], "same_as": [] }
//!   ],
//!   "notes": [ "`subs/aaron/lab.pcapng` is the same file as `subs/alice/lab.pcapng`: checked once, each keeps its row" ]
//! }
//! ```
//!
//! `notes` holds the notes about the input, then each file's notes on
//! frames it could not use, prefixed with the file (`subs/dave/lab.pcapng:
//! frame 17: ...`).
//!
//! Names are as given when they are UTF-8 (JSON escapes control
//! characters itself; no CSV guard applies), else escaped as
//! [`crate::fsx::shown`] does.

use serde::{Deserialize, Serialize};

use super::{FileResult, Grades, Sameness, Status};
use crate::fsx::names::text;
use crate::report::json::JsonConnection;

/// The whole report of a batch.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JsonGrades {
    /// Schema version (1).
    pub schema: u32,
    /// Every file passed.
    pub passed: bool,
    /// One entry per file, in the order of [`super::expand`].
    pub files: Vec<JsonFile>,
    /// Sentences about the input that change no grade, then each file's
    /// notes on frames it could not use, prefixed with the file.
    pub notes: Vec<String>,
}

/// One file in the batch report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JsonFile {
    /// The file as given or found.
    pub file: String,
    /// Every check of every connection passed.
    pub passed: bool,
    /// Why the file could not be used (one sentence), or `null`.
    pub error: Option<String>,
    /// Its connections, in the single-file schema; empty when unusable.
    pub connections: Vec<JsonConnection>,
    /// The other hand-ins that are the same capture (checked once for all).
    pub same_as: Vec<JsonSameAs>,
}

/// Another hand-in that is the same capture.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JsonSameAs {
    /// Its path.
    pub file: String,
    /// `file` (a link to the same file) or `content` (a copy).
    pub same: Sameness,
}

impl JsonFile {
    /// One file's entry.
    pub fn new(f: &FileResult) -> JsonFile {
        let (error, connections) = match &f.outcome {
            Ok(checked) => (
                None,
                checked
                    .connections
                    .iter()
                    .map(JsonConnection::new)
                    .collect(),
            ),
            Err(e) => (Some(e.to_string()), vec![]),
        };
        JsonFile {
            file: text(&f.file).into_owned(),
            passed: f.status() == Status::Pass,
            error,
            connections,
            same_as: f
                .same_as
                .iter()
                .map(|s| JsonSameAs {
                    file: text(&s.file).into_owned(),
                    same: s.how,
                })
                .collect(),
        }
    }
}

impl JsonGrades {
    /// Builds the report.
    pub fn new(grades: &Grades) -> JsonGrades {
        JsonGrades {
            schema: 1,
            passed: grades.passed(),
            files: grades.files.iter().map(JsonFile::new).collect(),
            notes: grades
                .notes
                .iter()
                .cloned()
                .chain(grades.files.iter().flat_map(|f| {
                    f.notes()
                        .iter()
                        .map(|n| format!("{}: {n}", f.file.display()))
                }))
                .collect(),
        }
    }
}

/// Writes the batch report, pretty-printed, with a final newline.
pub fn write_json(out: &mut dyn std::io::Write, grades: &Grades) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, &JsonGrades::new(grades))?;
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grade::tests::three_files;
    use crate::report::json::JsonReport;

    #[test]
    fn files_carry_the_single_file_connection_schema() {
        let g = three_files();
        let mut buf = Vec::new();
        write_json(&mut buf, &g).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&buf).unwrap();
        assert_eq!(v["schema"], 1);
        assert_eq!(v["passed"], false);
        assert_eq!(v["notes"], serde_json::json!(["a note"]));
        let files = v["files"].as_array().unwrap();
        let keys = |o: &serde_json::Value| {
            let mut k: Vec<String> = o.as_object().unwrap().keys().cloned().collect();
            k.sort();
            k
        };
        for f in files {
            assert_eq!(
                keys(f),
                ["connections", "error", "file", "passed", "same_as"]
            );
        }
        assert_eq!(files[0]["file"], "subs/alice/lab.pcapng");
        assert_eq!(files[0]["passed"], true);
        assert_eq!(files[0]["error"], serde_json::Value::Null);
        assert_eq!(files[1]["passed"], false);
        assert_eq!(files[1]["connections"][0]["termination"]["kind"], "reset");
        assert_eq!(files[2]["connections"], serde_json::json!([]));
        assert!(files[2]["error"].as_str().unwrap().contains("but no TCP"));
        // The same connection object as `tcplab check FILE --json` prints.
        let Ok(checked) = &g.files[0].outcome else {
            unreachable!()
        };
        let single = serde_json::to_value(JsonReport::new(&checked.connections)).unwrap();
        // And the whole report reads back.
        let back: JsonGrades = serde_json::from_slice(&buf).unwrap();
        assert_eq!(back, JsonGrades::new(&g));
        assert_eq!(files[0]["connections"], single["connections"]);
    }
}
