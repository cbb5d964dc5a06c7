//! The JSON report for autograders. The schema is stable; fields are only
//! ever added.
//!
//! ```json
//! {
//!   "schema": 1,
//!   "passed": true,
//!   "connections": [
//!     {
//!       "client": "127.0.0.1:50024",
//!       "server": "127.0.0.1:8000",
//!       "handshake": { "ok": true, "why": "..." },
//!       "first_data": { "len": 479, "ack": 480 },
//!       "termination": { "kind": "four_segment", "initiator": "client", "why": "..." },
//!       "retransmissions": 0,
//!       "history": "ShADadFf",
//!       "passed": true,
//!       "segments": 13,
//!       "client_bytes": 1859,
//!       "server_bytes": 1859,
//!       "client_missed_bytes": 0,
//!       "server_missed_bytes": 0,
//!       "client_packets": 7,
//!       "server_packets": 6,
//!       "conn_state": "SF",
//!       "split": null,
//!       "checks": [ { "name": "handshake", "passed": true, "why": "..." } ],
//!       "diagnosis": [],
//!       "transfer": {
//!         "client_mss": 65495, "server_mss": 65495,
//!         "client_largest": 1380, "server_largest": 1380,
//!         "messages": [ { "from": "client", "bytes": 479, "segments": [479] } ],
//!         "retransmissions": [
//!           { "frame": 70, "original_frame": 66, "from": "client", "seq": 2897,
//!             "len": 1104, "kind": "timeout", "after": 0.21 }
//!         ],
//!         "duplicate_acks": 0,
//!         "sack_segments": 0,
//!         "timing": {
//!           "client": { "bytes": 1859, "seconds": 0.00042, "bytes_per_second": 4426190.5,
//!                       "rtt": { "method": "timestamps", "samples": 3, "min": 0.00002,
//!                                "median": 0.00004, "max": 0.00022 } },
//!           "server": { "bytes": 1859, "seconds": 0.00036, "bytes_per_second": 5163888.9,
//!                       "rtt": null }
//!         }
//!       },
//!       "tunnel": null
//!     }
//!   ],
//!   "notes": []
//! }
//! ```
//!
//! - `connections` are in order of their first segment; addresses are
//!   `ip:port`, IPv6 as `[::1]:8000`.
//! - `first_data.len` / `first_data.ack`: the client's first data segment's
//!   payload length and the relative ack with which the server acknowledged
//!   it; each `null` when there was none.
//! - `termination.kind`: `four_segment`, `three_segment`, `simultaneous`,
//!   `reset`, `refused` or `incomplete`; `termination.initiator`: `client`,
//!   `server` or `null`.
//! - `history`, `conn_state`, `client_bytes`/`server_bytes` and
//!   `client_packets`/`server_packets` are Zeek's `conn.log` fields
//!   (`orig_*` is the client's, `resp_*` the server's); the client is
//!   Zeek's originator. `client_missed_bytes`: of `client_bytes`, those no
//!   captured segment carried. `split`: why the connection ended before
//!   the next packet of its 4-tuple began another (`new_syn`,
//!   `unanswered`, `inactive`, `expired`, `closed`), else `null`.
//! - `transfer.retransmissions[].kind`: `fast` (after the peer's duplicate
//!   ACKs) or `timeout` (a timer: RTO or tail loss probe); `after` is seconds
//!   since the first transmission (frame `original_frame`); both are `null`
//!   when the capture does not hold the first transmission (the bytes still
//!   count, once).
//! - `transfer.timing.client` (the client's data; `server` the server's):
//!   `bytes` each sequence number once; `seconds` from the first payload
//!   segment to the first ACK covering all of it; `bytes_per_second` their
//!   ratio, `null` when there is no payload or no time; `rtt` round-trip
//!   times in seconds as seen from the capture point, `null` without a
//!   sample, `method` `timestamps` (TSval to its echo) or `data_ack` (a
//!   segment to the ACK that covered it, Karn's rule applied).
//! - `tunnel`: `null`, or how the connection was carried inside other
//!   packets: `{ "kind": "vxlan", "outer": ["10.1.200.131", "10.1.1.172"] }`
//!   (`kind`: `gre`, `vxlan`, `geneve`, `gtp`, `teredo`, `ayiya`,
//!   `ip_in_ip`, `6in4`, `4in6`, `6in6` or `other`; `outer`: the enclosing
//!   IP header's addresses, the client's side first); `client` and `server`
//!   are the innermost addresses.
//! - `notes` (top level): frames tcplab could not use, or used in part, one
//!   sentence each (`frame 17: the TCP header length is 16 bytes, below the
//!   minimum of 20: not judged ...`); the rest of the capture is judged.

use std::io::{self, Write};

use serde::{Deserialize, Serialize};

use crate::connection::{ConnState, Role, Split};
use crate::net::link::LinkRun;
use crate::transfer::Transfer;
use crate::verdict::{CheckOutcome, Judged, LadderComparison, TerminationKind};
use crate::wire::{Tunnel, TunnelKind};

/// The whole report. Written by [`JsonStream`], connection by connection,
/// so `passed` and `notes` come after `connections`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JsonReport {
    /// Schema version (1).
    pub schema: u32,
    /// One entry per connection.
    pub connections: Vec<JsonConnection>,
    /// Every connection passed every check (and the file was read to its end).
    pub passed: bool,
    /// Frames that could not be used, or were used in part, one sentence each.
    #[serde(default)]
    pub notes: Vec<String>,
    /// The link a lab ran over (`tcplab run --link`), absent on loopback.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<LinkRun>,
    /// Why the capture could not be read to its end, when that showed only
    /// after some connections were reported; absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// One connection in the JSON report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JsonConnection {
    /// `ip:port` of the client.
    pub client: String,
    /// `ip:port` of the server.
    pub server: String,
    /// The handshake check.
    pub handshake: JsonHandshake,
    /// The client's first data segment.
    pub first_data: JsonFirstData,
    /// How it ended.
    pub termination: JsonTermination,
    /// Retransmitted segments.
    pub retransmissions: usize,
    /// Zeek's history string.
    pub history: String,
    /// Every check passed.
    pub passed: bool,
    /// Segments in the connection.
    pub segments: usize,
    /// Payload bytes the client sent.
    pub client_bytes: u64,
    /// Payload bytes the server sent.
    pub server_bytes: u64,
    /// Of `client_bytes`, those no captured segment carried.
    #[serde(default)]
    pub client_missed_bytes: u64,
    /// Of `server_bytes`, those no captured segment carried.
    #[serde(default)]
    pub server_missed_bytes: u64,
    /// Segments the client sent (Zeek's `orig_pkts`).
    #[serde(default)]
    pub client_packets: u64,
    /// Segments the server sent (Zeek's `resp_pkts`).
    #[serde(default)]
    pub server_packets: u64,
    /// Zeek's `conn_state` (`SF`, `REJ`, ...).
    #[serde(default)]
    pub conn_state: Option<ConnState>,
    /// Why the connection ended before the next packet of its 4-tuple,
    /// which began another connection; `null` if it did not.
    #[serde(default)]
    pub split: Option<Split>,
    /// Every check.
    pub checks: Vec<CheckOutcome>,
    /// Plain-words causes of failures.
    pub diagnosis: Vec<String>,
    /// Segment sizes, messages, each retransmission, duplicate ACKs, SACK.
    pub transfer: Transfer,
    /// The connection side by side with the expected ladder (`--expect-ladder`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ladder: Option<LadderComparison>,
    /// How the connection was carried inside other packets, if it was.
    #[serde(default)]
    pub tunnel: Option<JsonTunnel>,
}

/// `tunnel` in the JSON report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JsonTunnel {
    /// The kind of tunnel: `vxlan`, `gre`, ...
    pub kind: TunnelKind,
    /// The enclosing IP header's addresses, the client's side first.
    pub outer: [String; 2],
}

impl From<Tunnel> for JsonTunnel {
    fn from(t: Tunnel) -> JsonTunnel {
        JsonTunnel {
            kind: t.kind,
            outer: [t.outer_src.to_string(), t.outer_dst.to_string()],
        }
    }
}

/// `handshake` in the JSON report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JsonHandshake {
    /// SYN, SYN-ACK, ACK in order with the right numbers.
    pub ok: bool,
    /// One line of why.
    pub why: String,
}

/// `first_data` in the JSON report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JsonFirstData {
    /// Payload length of the client's first data segment.
    pub len: Option<u32>,
    /// Relative ack of the server's acknowledgment of it.
    pub ack: Option<u64>,
}

/// `termination` in the JSON report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JsonTermination {
    /// The classification.
    pub kind: TerminationKind,
    /// Who started it.
    pub initiator: Option<Role>,
    /// One line of why.
    pub why: String,
}

impl JsonReport {
    /// Builds the report from judged connections.
    pub fn new(items: &[Judged]) -> JsonReport {
        JsonReport {
            schema: 1,
            connections: items.iter().map(JsonConnection::new).collect(),
            passed: items.iter().all(|j| j.verdict.passed()),
            notes: Vec::new(),
            link: None,
            error: None,
        }
    }
}

impl JsonConnection {
    /// One connection's entry.
    pub fn new(j: &Judged) -> JsonConnection {
        let f = &j.verdict.findings;
        JsonConnection {
            client: j.connection.client.to_string(),
            server: j.connection.server.to_string(),
            handshake: JsonHandshake {
                ok: f.handshake.ok,
                why: f.handshake.why.clone(),
            },
            first_data: JsonFirstData {
                len: f.first_data.as_ref().map(|d| d.len),
                ack: f.first_data.as_ref().and_then(|d| d.ack),
            },
            termination: JsonTermination {
                kind: f.termination.kind,
                initiator: f.termination.initiator,
                why: f.termination.why.clone(),
            },
            retransmissions: f.retransmissions,
            history: f.history.clone(),
            passed: j.verdict.passed(),
            segments: j.connection.steps.len(),
            client_bytes: f.client_bytes,
            server_bytes: f.server_bytes,
            client_missed_bytes: f.client_missed_bytes,
            server_missed_bytes: f.server_missed_bytes,
            client_packets: f.client_packets,
            server_packets: f.server_packets,
            conn_state: Some(f.conn_state),
            split: j.connection.split(),
            checks: j.verdict.checks.clone(),
            diagnosis: j.verdict.diagnosis(),
            transfer: f.transfer.clone(),
            ladder: j.verdict.ladder.clone(),
            tunnel: j.connection.tunnel().map(JsonTunnel::from),
        }
    }
}

impl JsonReport {
    /// Writes the report, pretty-printed, with a final newline.
    pub fn write(&self, out: &mut dyn Write) -> io::Result<()> {
        let mut stream = JsonStream::new(out)?;
        for c in &self.connections {
            stream.entry(c)?;
        }
        stream.passed = self.passed;
        stream.finish(&self.notes, self.link.as_ref(), self.error.as_deref())
    }
}

/// The JSON report written connection by connection, as they are judged
/// one by one (a capture read as it is judged): the same
/// document as [`JsonReport::write`] prints, so memory does not grow with
/// the connections.
pub struct JsonStream<W: Write> {
    out: W,
    count: usize,
    passed: bool,
}

/// The fields after `connections`, for [`JsonStream::finish`].
#[derive(Serialize)]
struct Tail<'a> {
    passed: bool,
    notes: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    link: Option<&'a LinkRun>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a str>,
}

impl<W: Write> JsonStream<W> {
    /// Starts the document on `out`.
    pub fn new(mut out: W) -> io::Result<JsonStream<W>> {
        write!(out, "{{\n  \"schema\": 1,\n  \"connections\": [")?;
        Ok(JsonStream {
            out,
            count: 0,
            passed: true,
        })
    }

    /// Writes one judged connection.
    pub fn connection(&mut self, j: &Judged) -> io::Result<()> {
        self.passed &= j.verdict.passed();
        self.entry(&JsonConnection::new(j))
    }

    fn entry(&mut self, c: &JsonConnection) -> io::Result<()> {
        let text = serde_json::to_string_pretty(c)?;
        let sep = if self.count == 0 { "" } else { "," };
        self.count += 1;
        writeln!(self.out, "{sep}")?;
        // Strings hold no raw line breaks (JSON escapes them): indenting
        // every line indents the object.
        for (i, line) in text.lines().enumerate() {
            if i > 0 {
                self.out.write_all(b"\n")?;
            }
            write!(self.out, "    {line}")?;
        }
        Ok(())
    }

    /// Writes the fields after `connections` and ends the document: an
    /// `error` (when the capture could not be read to its end) makes
    /// `passed` false.
    pub fn finish(
        mut self,
        notes: &[String],
        link: Option<&LinkRun>,
        error: Option<&str>,
    ) -> io::Result<()> {
        let close = if self.count == 0 { "]" } else { "\n  ]" };
        write!(self.out, "{close}")?;
        let tail = serde_json::to_string_pretty(&Tail {
            passed: self.passed && error.is_none(),
            notes,
            link,
            error,
        })?;
        // `{\n  "passed": ...\n}`: its inner lines, already indented.
        let inner = tail
            .trim_start_matches('{')
            .trim_end_matches('}')
            .trim_matches('\n');
        writeln!(self.out, ",\n{inner}\n}}")?;
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connection::group;
    use crate::testing::four_segment;
    use crate::verdict::Expectations;

    #[test]
    fn the_schema_has_the_documented_fields() {
        let items = Judged::all(group(four_segment(), None), &Expectations::default());
        let mut buf = Vec::new();
        JsonReport::new(&items).write(&mut buf).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&buf).unwrap();
        assert_eq!(v["passed"], true);
        let c = &v["connections"][0];
        assert_eq!(c["client"], "127.0.0.1:53202");
        assert_eq!(c["server"], "127.0.0.1:8000");
        assert_eq!(c["handshake"]["ok"], true);
        assert_eq!(c["first_data"]["len"], 479);
        assert_eq!(c["first_data"]["ack"], 480);
        assert_eq!(c["termination"]["kind"], "four_segment");
        assert_eq!(c["termination"]["initiator"], "client");
        assert_eq!(c["retransmissions"], 0);
        assert_eq!(c["history"], "ShADadFf");
        assert_eq!(c["conn_state"], "SF");
        assert_eq!([&c["client_packets"], &c["server_packets"]], [7, 6]);
        assert_eq!([&c["client_bytes"], &c["server_bytes"]], [1859, 1859]);
        assert_eq!(
            [&c["client_missed_bytes"], &c["server_missed_bytes"]],
            [0, 0]
        );
        assert_eq!(c["split"], serde_json::Value::Null);
        assert_eq!(c["passed"], true);
        assert_eq!(c["tunnel"], serde_json::Value::Null);
        assert_eq!(v["notes"], serde_json::json!([]));
    }

    #[test]
    fn the_report_reads_back_as_written() {
        let items = Judged::all(group(four_segment(), None), &Expectations::default());
        let mut report = JsonReport::new(&items);
        report.link = Some(LinkRun {
            description: "veth".to_owned(),
            dropped: (1, 0),
        });
        report.notes = vec!["frame 17: bad TCP options".to_owned()];
        report.connections[0].tunnel = Some(JsonTunnel {
            kind: TunnelKind::Vxlan,
            outer: ["10.1.200.131".to_owned(), "10.1.1.172".to_owned()],
        });
        let mut buf = Vec::new();
        report.write(&mut buf).unwrap();
        let back: JsonReport = serde_json::from_slice(&buf).unwrap();
        assert_eq!(back, report);
    }
}
