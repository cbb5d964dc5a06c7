//! tshark's `-T fields` output, read by tcplab itself: one tab-separated
//! row per packet, the fields of [`FIELDS`] in order, each field's
//! occurrences joined by commas (`10.1.200.131,172.16.11.201` for a
//! tunnelled packet's two `ip.src`).
//!
//! **Why not rtshark here.** rtshark reads tshark's PDML (`-T pdml -e`), an
//! XML element per field, and builds an error string for every attribute a
//! field lacks (`show`, `pos`, `size`, `showname`: four per field with
//! `-e`), then clones the whole packet. Profiled on Zeek's 8,317-frame FTP
//! trace, rtshark's reader thread took two thirds of tshark's own CPU, and
//! tshark printed 12 MB of XML (with `-l`, one write per packet) instead
//! of 1.35 MB of text. A file does not need a packet's latency, so files
//! are read here, from the text tshark prints for `tshark -T fields`
//! itself; the values are the same (tshark writes both from the same
//! field values), and a packet costs tcplab one split of a line. A live
//! capture still reads through rtshark ([`super::tshark`]).
//!
//! None of tcplab's fields holds a tab, a comma or a newline: numbers,
//! addresses, hex bytes without separators, and `frame.protocols` (joined
//! by `:`).

use std::io::{BufRead, BufReader, Read};
use std::ops::Range;
use std::path::Path;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::thread::JoinHandle;

use nix::sys::signal::Signal;

use super::CaptureError;
use super::tshark::{Item, PREFERENCES, ReadError, classify, is_benign_stderr};
use crate::wire::{FIELDS, FieldError, FieldSource};

/// How many fields a row has.
const COLUMNS: usize = FIELDS.len();

/// The most of tshark's stderr kept for an error message.
const SAID_MAX: usize = 4096;

/// A tshark printing [`FIELDS`] as text, one row per packet.
pub(crate) struct FieldsTshark {
    child: Child,
    out: BufReader<ChildStdout>,
    /// Drains stderr as tshark writes it, so that tshark never blocks on it.
    err: Option<JoinHandle<String>>,
    line: Vec<u8>,
}

impl FieldsTshark {
    /// Starts tshark on `input`, a `/proc/<pid>/fd/<n>` name of a file or
    /// pipe tcplab holds (UTF-8 whatever the file's own name). tshark is
    /// killed by the kernel if tcplab ends first.
    pub fn spawn(input: &Path) -> Result<FieldsTshark, CaptureError> {
        let mut cmd = Command::new("tshark");
        cmd.arg("-r").arg(input);
        // No name resolution; `-Q`: only true errors on stderr.
        cmd.args(["-n", "-Q", "-T", "fields"]);
        for e in ["header=n", "separator=/t", "occurrence=a", "aggregator=,"] {
            cmd.args(["-E", e]);
        }
        for preference in PREFERENCES {
            cmd.args(["-o", preference]);
        }
        for f in FIELDS {
            cmd.args(["-e", f]);
        }
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = crate::process::spawn_tied(cmd, Signal::SIGKILL).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                CaptureError::TsharkMissing
            } else {
                CaptureError::io("starting tshark")(e)
            }
        })?;
        let out = BufReader::with_capacity(64 * 1024, child.stdout.take().expect("piped"));
        let mut stderr = child.stderr.take().expect("piped");
        let err = std::thread::Builder::new()
            .name("tcplab-tshark-err".into())
            .spawn(move || {
                let mut all = Vec::new();
                let _ = stderr.read_to_end(&mut all);
                String::from_utf8_lossy(&all).into_owned()
            })
            .map_err(CaptureError::io("starting a thread"))?;
        Ok(FieldsTshark {
            child,
            out,
            err: Some(err),
            line: Vec::with_capacity(512),
        })
    }

    /// The next packet's row; `None` at the end of tshark's output.
    pub fn next_row(&mut self) -> std::io::Result<Option<Row<'_>>> {
        self.line.clear();
        if self.out.read_until(b'\n', &mut self.line)? == 0 {
            return Ok(None);
        }
        if self.line.last() == Some(&b'\n') {
            self.line.pop();
        }
        if std::str::from_utf8(&self.line).is_err() {
            // Not one of tcplab's fields: make it text all the same.
            self.line = String::from_utf8_lossy(&self.line)
                .into_owned()
                .into_bytes();
        }
        let text = std::str::from_utf8(&self.line).expect("made UTF-8");
        Ok(Some(Row::new(text)))
    }

    /// Waits for tshark to end; returns what it said on stderr that is an
    /// error (its warning for root removed), if anything.
    pub fn finish(mut self) -> Option<String> {
        let _ = self.child.wait();
        let said = self.err.take().and_then(|h| h.join().ok())?;
        errors_in(&said)
    }

    /// Ends tshark now, saying nothing: it is only freeing its memory once
    /// its last packet has come.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some(h) = self.err.take() {
            let _ = h.join();
        }
    }
}

/// The lines of tshark's stderr that are errors, joined: all but blank
/// lines and its warning for root ([`is_benign_stderr`]), at most
/// [`SAID_MAX`] bytes.
fn errors_in(stderr: &str) -> Option<String> {
    let mut said = stderr
        .lines()
        .filter(|l| !is_benign_stderr(l))
        .map(str::trim)
        .collect::<Vec<_>>()
        .join(" ");
    if said.is_empty() {
        return None;
    }
    if said.len() > SAID_MAX {
        let mut end = SAID_MAX;
        while !said.is_char_boundary(end) {
            end -= 1;
        }
        said.truncate(end);
        said.push_str(" ...");
    }
    Some(said)
}

/// One packet's row: the text of each field of [`FIELDS`], by position.
pub(crate) struct Row<'a> {
    text: &'a str,
    columns: [Range<usize>; COLUMNS],
    /// `frame.number` told again, when it is not tshark's own (a file's
    /// frame number in a stream of several files).
    frame: Option<String>,
}

impl<'a> Row<'a> {
    /// Splits one line of tshark's output. Missing columns are empty.
    pub fn new(text: &'a str) -> Row<'a> {
        let mut columns: [Range<usize>; COLUMNS] = std::array::from_fn(|_| 0..0);
        let mut start = 0;
        for (i, part) in text.split('\t').take(COLUMNS).enumerate() {
            columns[i] = start..start + part.len();
            start += part.len() + 1;
        }
        Row {
            text,
            columns,
            frame: None,
        }
    }

    /// The text of the field at `index` of [`FIELDS`]: empty if absent.
    fn column(&self, index: usize) -> &str {
        &self.text[self.columns[index].clone()]
    }

    /// Every number tshark printed for `field` (one per occurrence).
    pub fn numbers(&self, field: &str) -> impl Iterator<Item = u64> + '_ {
        self.all(field).into_iter().filter_map(|v| v.parse().ok())
    }

    /// Tells frames by `number` instead of tshark's own.
    pub fn renumber(&mut self, number: u64) {
        self.frame = Some(number.to_string());
    }
}

/// Where `frame.number` is in [`FIELDS`].
const FRAME_NUMBER: usize = 0;
const _: () = assert!(matches!(FIELDS[FRAME_NUMBER].as_bytes(), b"frame.number"));

/// Where `name` is in [`FIELDS`].
fn index_of(name: &str) -> Option<usize> {
    FIELDS.iter().position(|f| *f == name)
}

impl FieldSource for Row<'_> {
    fn all(&self, name: &str) -> Vec<&str> {
        let Some(i) = index_of(name) else {
            return vec![];
        };
        match (&self.frame, self.column(i)) {
            (Some(f), _) if i == FRAME_NUMBER => vec![f.as_str()],
            (_, "") => vec![],
            (_, text) => text.split(',').collect(),
        }
    }

    fn get(&self, name: &str) -> Option<&str> {
        let i = index_of(name)?;
        match (&self.frame, self.column(i)) {
            (Some(f), _) if i == FRAME_NUMBER => Some(f.as_str()),
            (_, "") => None,
            (_, text) => text.split(',').next(),
        }
    }
}

/// Reads a whole file through tshark in this thread, calling `each` per
/// packet, up to `last_packet` packets if given (tshark is then killed:
/// it would only free its memory); fails with what tshark said if it ended
/// with an error.
pub(crate) fn read_all(
    input: &Path,
    last_packet: Option<u64>,
    mut each: impl FnMut(Result<Item, FieldError>),
) -> Result<(), ReadError> {
    let mut shark = FieldsTshark::spawn(input).map_err(ReadError::Spawn)?;
    let mut packets = 0;
    loop {
        if last_packet == Some(packets) {
            shark.kill();
            return Ok(());
        }
        match shark.next_row() {
            Ok(Some(row)) => {
                packets += 1;
                each(classify(&row, None));
            }
            Ok(None) | Err(_) => break,
        }
    }
    match shark.finish() {
        Some(said) => Err(ReadError::Tshark(said)),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::tshark::tests::probes_pcap;
    use rstest::rstest;

    fn line(values: &[(&str, &str)]) -> String {
        FIELDS
            .iter()
            .map(|f| values.iter().find(|(n, _)| n == f).map_or("", |(_, v)| *v))
            .collect::<Vec<_>>()
            .join("\t")
    }

    #[test]
    fn a_row_gives_each_field_and_each_occurrence() {
        let text = line(&[
            ("frame.number", "7"),
            ("ip.src", "10.1.200.131,172.16.11.201"),
            ("tcp.srcport", "40354"),
        ]);
        let row = Row::new(&text);
        assert_eq!(row.get("frame.number"), Some("7"));
        assert_eq!(row.all("ip.src"), ["10.1.200.131", "172.16.11.201"]);
        assert_eq!(row.get("ip.src"), Some("10.1.200.131"));
        assert_eq!(row.get("tcp.srcport"), Some("40354"));
        assert_eq!(row.get("tcp.dstport"), None);
        assert!(row.all("udp.payload").is_empty());
        assert_eq!(row.get("not.a_field"), None);
    }

    #[rstest]
    #[case::empty("")]
    #[case::one_column("12")]
    #[case::too_many(&"1\t".repeat(COLUMNS + 5))]
    fn short_or_long_lines_are_read_without_panic(#[case] text: &str) {
        let row = Row::new(text);
        for f in FIELDS {
            let _ = row.all(f);
        }
    }

    #[test]
    fn a_row_renumbered_tells_the_new_frame_number() {
        let text = line(&[("frame.number", "1007"), ("tcp.stream", "3")]);
        let mut row = Row::new(&text);
        row.renumber(7);
        assert_eq!(row.get("frame.number"), Some("7"));
        assert_eq!(row.all("frame.number"), ["7"]);
        assert_eq!(row.numbers("tcp.stream").collect::<Vec<_>>(), [3]);
    }

    /// Given the number of packets, reading ends at the last one (tshark is
    /// then killed) without waiting for tshark to exit.
    #[rstest]
    #[case::to_the_end(None, 5)]
    #[case::up_to_a_count(Some(3), 3)]
    #[case::nothing(Some(0), 0)]
    fn reading_ends_at_the_packet_count_given(
        #[case] last_packet: Option<u64>,
        #[case] read: usize,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("five.pcap");
        std::fs::write(&path, probes_pcap(&[40000; 5])).unwrap();
        let mut items = 0;
        assert!(read_all(&path, last_packet, |i| items += usize::from(i.is_ok())).is_ok());
        assert_eq!(items, read);
    }

    /// Every fixture read as text gives the packets rtshark read from
    /// tshark's PDML: the same fields, the same values.
    #[test]
    fn text_and_pdml_give_the_same_packets() {
        let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
        let mut files: Vec<_> = ["", "zeek"]
            .iter()
            .flat_map(|d| std::fs::read_dir(fixtures.join(d)).unwrap())
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "pcap" || e == "pcapng"))
            .collect();
        files.sort();
        assert!(files.len() >= 10, "{files:?}");
        for file in files {
            let mut text = Vec::new();
            let _ = read_all(&file, None, |i| text.push(i));
            let mut pdml = Vec::new();
            if let Ok(mut shark) = crate::capture::tshark::spawn(&file, None) {
                while let Ok(Some(p)) = shark.read() {
                    pdml.push(classify(&crate::capture::tshark::PacketFields(&p), None));
                }
            }
            assert_eq!(
                format!("{text:?}"),
                format!("{pdml:?}"),
                "{}",
                file.display()
            );
        }
    }

    #[rstest]
    #[case::nothing("", None)]
    #[case::root_only(
        "Running as user \"root\" and group \"root\". This could be dangerous.\n",
        None
    )]
    #[case::root_then_error(
        "Running as user \"root\" and group \"root\". This could be dangerous.\ntshark: The file \"x\" appears to be damaged or corrupt.\n(pcapng: bad block)\n",
        Some("tshark: The file \"x\" appears to be damaged or corrupt. (pcapng: bad block)")
    )]
    fn errors_are_every_line_but_roots_warning(#[case] stderr: &str, #[case] want: Option<&str>) {
        assert_eq!(errors_in(stderr).as_deref(), want);
    }
}
