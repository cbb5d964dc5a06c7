//! The reader's side of a stream: tshark's rows split back into files at
//! the markers, each frame numbered as in its own file, and each file
//! judged clean, or read again alone.
//!
//! A file is read again by a tshark of its own when its frames between two
//! markers are not exactly the frames it was counted to hold, and when
//! tshark's state from an earlier file of the stream could have reached it:
//! a TCP connection's 4-tuple that an earlier file also has (tshark's
//! relative `tcp.seq`/`tcp.ack` and the window scale would then be
//! shared), or a packet in a TCP or UDP conversation (`tcp.stream`,
//! `udp.stream`) that tshark began in an earlier file or in a marker.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::path::Path;

use super::encode::{MARKER_PORT, marker_payload};
use crate::capture::rows::Row;
use crate::capture::shape::Shape;
use crate::capture::tshark::{Item, classify};
use crate::capture::{CaptureError, FileCapture, Intake};
use crate::wire::Packet;

/// What the writer tells the reader, in the order it happens.
#[derive(Debug)]
pub(super) enum Msg {
    /// File `index` went into the stream as number `seq`: checked as
    /// `shape`, written as `written` (`None`: writing failed, and the
    /// stream ends here). Sent before its marker is written.
    Sent {
        index: usize,
        seq: u64,
        shape: Shape,
        written: Option<Shape>,
    },
    /// File `index` never entered the stream: it is unusable as it is.
    Unusable(usize, CaptureError),
    /// File `index` never entered the stream: it is read alone.
    Alone(usize),
}

impl Msg {
    /// What becomes of the file, told nothing else: a file sent into a
    /// stream that ended before its marker is read alone.
    pub fn into_outcome(self) -> (usize, Outcome) {
        match self {
            Msg::Sent { index, .. } | Msg::Alone(index) => (index, Outcome::Alone),
            Msg::Unusable(index, e) => (index, Outcome::Done(Err(e))),
        }
    }
}

/// What became of one file.
#[derive(Debug)]
pub(super) enum Outcome {
    /// Read (or found unusable) as reading it alone would.
    Done(Result<FileCapture, CaptureError>),
    /// To be read by a tshark of its own.
    Alone,
}

/// Conversations and connections seen so far in the stream.
#[derive(Debug, Default)]
struct Seen {
    tcp: HashSet<u64>,
    udp: HashSet<u64>,
    tuples: HashSet<(SocketAddr, SocketAddr)>,
}

/// The file whose frames are coming.
#[derive(Debug)]
struct Current {
    intake: Intake,
    frames: u64,
    tcp: HashSet<u64>,
    udp: HashSet<u64>,
}

/// Splits one stream's rows into files.
pub(super) struct Splitter<'a> {
    paths: &'a [&'a Path],
    server_port: Option<u16>,
    nonce: u64,
    /// The number of the file whose frames are coming.
    seq: u64,
    current: Current,
    seen: Seen,
    /// The UDP conversations of the marker that closed the current file:
    /// seen once that file is judged (the marker came after it).
    marker_udp: Vec<u64>,
    /// Told the index of each file read clean from the stream.
    read: &'a dyn Fn(usize),
    /// Every file's outcome, in the order it became known.
    pub outcomes: Vec<(usize, Outcome)>,
}

fn normal(a: SocketAddr, b: SocketAddr) -> (SocketAddr, SocketAddr) {
    if a <= b { (a, b) } else { (b, a) }
}

impl<'a> Splitter<'a> {
    /// A splitter for a stream whose markers carry `nonce`; `read` is told
    /// each file read clean, as soon as it is.
    pub fn new(
        paths: &'a [&'a Path],
        server_port: Option<u16>,
        nonce: u64,
        read: &'a dyn Fn(usize),
    ) -> Splitter<'a> {
        Splitter {
            paths,
            server_port,
            nonce,
            seq: 0,
            current: Splitter::fresh(server_port),
            seen: Seen::default(),
            marker_udp: Vec::new(),
            read,
            outcomes: Vec::new(),
        }
    }

    fn fresh(server_port: Option<u16>) -> Current {
        Current {
            intake: Intake::new(server_port),
            frames: 0,
            tcp: HashSet::new(),
            udp: HashSet::new(),
        }
    }

    /// Takes one row of tshark's. Returns `true` when it was the marker
    /// that closes the current file: `next_sent` must then give the
    /// writer's messages until that file's [`Msg::Sent`].
    pub fn take(&mut self, mut row: Row<'_>) -> bool {
        let tcp: Vec<u64> = row.numbers("tcp.stream").collect();
        let udp: Vec<u64> = row.numbers("udp.stream").collect();
        self.current.frames += 1;
        row.renumber(self.current.frames);
        let item = classify(&row, None);
        if self.is_marker(&item) {
            self.current.frames -= 1;
            self.marker_udp = udp;
            return true;
        }
        self.current.tcp.extend(tcp);
        self.current.udp.extend(udp);
        self.current.intake.take(item);
        false
    }

    /// Whether `item` is the marker after file number `self.seq`.
    fn is_marker(&self, item: &Result<Item, crate::wire::FieldError>) -> bool {
        matches!(item, Ok(Item::Packet(p)) if matches!(&**p, Packet::Datagram(d)
            if d.dst_port == MARKER_PORT && d.payload == marker_payload(self.nonce, self.seq)))
    }

    /// Takes one message of the writer's; returns whether it was the
    /// [`Msg::Sent`] of the file the last marker closed, which is then
    /// judged.
    pub fn message(&mut self, msg: Msg) -> bool {
        match msg {
            Msg::Unusable(..) | Msg::Alone(_) => self.outcomes.push(msg.into_outcome()),
            Msg::Sent {
                index,
                seq,
                shape,
                written,
            } => {
                debug_assert_eq!(seq, self.seq);
                let done = std::mem::replace(&mut self.current, Splitter::fresh(self.server_port));
                let outcome = self.close(index, shape, written, done);
                if matches!(outcome, Outcome::Done(_)) {
                    (self.read)(index);
                }
                self.outcomes.push((index, outcome));
                self.seen.udp.extend(self.marker_udp.drain(..));
                self.seq += 1;
                return true;
            }
        }
        false
    }

    /// The outcome of file `index`, all its frames come.
    fn close(&mut self, index: usize, shape: Shape, written: Option<Shape>, c: Current) -> Outcome {
        let Current {
            intake,
            frames,
            tcp,
            udp,
        } = c;
        let tuples: Vec<_> = intake
            .connections
            .iter()
            .map(|c| normal(c.client, c.server))
            .collect();
        let whole = written.is_some_and(|w| w.frames == shape.frames) && frames == shape.frames;
        let shared = tcp.iter().any(|s| self.seen.tcp.contains(s))
            || udp.iter().any(|s| self.seen.udp.contains(s))
            || tuples.iter().any(|t| self.seen.tuples.contains(t));
        self.seen.tcp.extend(tcp);
        self.seen.udp.extend(udp);
        self.seen.tuples.extend(tuples);
        if !whole || shared {
            return Outcome::Alone;
        }
        Outcome::Done(Ok(FileCapture {
            path: self.paths[index].to_owned(),
            format: shape.format,
            gzip: shape.gzip,
            packets: intake.packets,
            tcp_segments: intake.tcp_segments,
            connections: intake.connections.into_vec(),
            notes: intake.notes.into_vec(),
        }))
    }

    /// The stream ended (tshark's output, then the writer): every message
    /// left, a file without its marker read alone; and if tshark said an
    /// error, every file it delivered is read alone too, since what it
    /// said belongs to no file in particular.
    pub fn end(
        mut self,
        rest: impl IntoIterator<Item = Msg>,
        tshark_said: bool,
    ) -> Vec<(usize, Outcome)> {
        self.outcomes
            .extend(rest.into_iter().map(Msg::into_outcome));
        if tshark_said {
            for (_, o) in &mut self.outcomes {
                if matches!(o, Outcome::Done(Ok(_))) {
                    *o = Outcome::Alone;
                }
            }
        }
        self.outcomes
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::shape::Format;
    use crate::wire::FIELDS;
    use rstest::rstest;

    const NONCE: u64 = 0x5eed;

    /// A row of tshark's as text, the fields given, the others empty.
    fn line(values: &[(&str, String)]) -> String {
        FIELDS
            .iter()
            .map(|f| {
                values
                    .iter()
                    .find(|(n, _)| n == f)
                    .map_or("", |(_, v)| v.as_str())
            })
            .collect::<Vec<_>>()
            .join("\t")
    }

    /// A SYN from `port` to 80 in tshark's conversation `stream`.
    fn syn(frame: u64, port: u16, stream: u64) -> String {
        line(&[
            ("frame.number", frame.to_string()),
            ("frame.protocols", "eth:ethertype:ip:tcp".into()),
            ("ip.src", "10.0.0.1".into()),
            ("ip.dst", "10.0.0.2".into()),
            ("tcp.srcport", port.to_string()),
            ("tcp.dstport", "80".into()),
            ("tcp.stream", stream.to_string()),
            ("tcp.seq_raw", "1000".into()),
            ("tcp.ack_raw", "0".into()),
            ("tcp.len", "0".into()),
            ("tcp.hdr_len", "20".into()),
            ("tcp.flags", "0x0002".into()),
            ("tcp.window_size_value", "512".into()),
        ])
    }

    /// The marker after file `seq`, in tshark's UDP conversation `stream`.
    fn marker(frame: u64, seq: u64, stream: u64) -> String {
        let hex: String = marker_payload(NONCE, seq)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        line(&[
            ("frame.number", frame.to_string()),
            ("frame.protocols", "eth:ethertype:ip:udp:data".into()),
            ("ip.src", "192.0.2.1".into()),
            ("ip.dst", "192.0.2.2".into()),
            ("udp.dstport", MARKER_PORT.to_string()),
            ("udp.payload", hex),
            ("udp.stream", stream.to_string()),
        ])
    }

    fn shape(frames: u64) -> Shape {
        Shape {
            format: Format::Pcapng,
            gzip: false,
            frames,
            bytes: 0,
            pcap_quirk: None,
        }
    }

    /// Feeds `rows` and, at each marker, file `seq`'s message saying it
    /// was counted and written with `frames[seq]` frames.
    fn split(rows: &[String], frames: &[u64]) -> Vec<(usize, Outcome)> {
        let paths = [
            Path::new("a.pcapng"),
            Path::new("b.pcapng"),
            Path::new("c.pcapng"),
        ];
        let mut s = Splitter::new(&paths, None, NONCE, &|_| {});
        let mut seq = 0;
        for r in rows {
            if s.take(Row::new(r)) {
                let n = frames[seq];
                assert!(s.message(Msg::Sent {
                    index: seq,
                    seq: seq as u64,
                    shape: shape(n),
                    written: Some(shape(n)),
                }));
                seq += 1;
            }
        }
        s.end([], false)
    }

    /// Each file's first segment's frame number, or `None` when read alone.
    fn first_frames(outcomes: &[(usize, Outcome)]) -> Vec<Option<u64>> {
        outcomes
            .iter()
            .map(|(_, o)| match o {
                Outcome::Done(Ok(f)) => Some(f.connections[0].steps[0].segment.frame),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn files_split_at_their_markers_keep_their_own_frame_numbers() {
        let rows = [
            syn(1, 1000, 0),
            syn(2, 1000, 0),
            marker(3, 0, 0),
            syn(4, 2000, 1),
            marker(5, 1, 0),
        ];
        let out = split(&rows, &[2, 1]);
        assert_eq!(first_frames(&out), [Some(1), Some(1)]);
        let Outcome::Done(Ok(a)) = &out[0].1 else {
            panic!()
        };
        assert_eq!((a.packets, a.tcp_segments), (2, 2));
        assert_eq!(a.connections[0].steps[1].segment.frame, 2);
    }

    #[rstest]
    // tshark put the second file's SYN in the first file's conversation.
    #[case::a_shared_tcp_conversation(syn(3, 2000, 0))]
    // A new conversation, but the same 4-tuple: relative numbers would mix.
    #[case::the_same_4_tuple(syn(3, 1000, 1))]
    fn a_file_that_shares_with_an_earlier_one_is_read_alone(#[case] second: String) {
        let rows = [syn(1, 1000, 0), marker(2, 0, 1), second, marker(4, 1, 1)];
        assert_eq!(first_frames(&split(&rows, &[1, 1])), [Some(1), None]);
    }

    #[test]
    fn a_file_in_the_markers_conversation_is_read_alone() {
        let mut in_marker = marker(3, 7, 1);
        in_marker = in_marker.replace("7463706c6162", "0000");
        let rows = [
            syn(1, 1000, 0),
            marker(2, 0, 1),
            syn(3, 2000, 2),
            in_marker,
            marker(5, 1, 1),
        ];
        let out = split(&rows, &[1, 2]);
        assert_eq!(first_frames(&out), [Some(1), None]);
    }

    #[rstest]
    #[case::one_frame_more(&[1, 1])]
    #[case::one_frame_fewer(&[1, 3])]
    fn a_file_whose_frames_are_not_those_counted_is_read_alone(#[case] frames: &[u64]) {
        let rows = [
            syn(1, 1000, 0),
            marker(2, 0, 1),
            syn(3, 2000, 2),
            syn(4, 2000, 2),
            marker(5, 1, 1),
        ];
        assert_eq!(first_frames(&split(&rows, frames)), [Some(1), None]);
    }

    #[test]
    fn a_marker_of_another_stream_is_a_frame_like_any_other() {
        let hex = |s: &str| s.bytes().map(|b| format!("{b:02x}")).collect::<String>();
        let other = marker(2, 0, 1).replace(&hex(&format!("{NONCE:016x}")), &hex(&"0".repeat(16)));
        let rows = [syn(1, 1000, 0), other, marker(3, 0, 1)];
        let out = split(&rows, &[2]);
        let Outcome::Done(Ok(a)) = &out[0].1 else {
            panic!("{out:?}")
        };
        assert_eq!(a.packets, 2);
    }

    #[test]
    fn what_the_stream_left_is_read_alone_and_an_error_of_tsharks_undoes_it_all() {
        let paths = [
            Path::new("a.pcapng"),
            Path::new("b.pcapng"),
            Path::new("c.pcapng"),
        ];
        let run = |said: bool| {
            let mut s = Splitter::new(&paths, None, NONCE, &|_| {});
            assert!(!s.take(Row::new(&syn(1, 1000, 0))));
            assert!(s.take(Row::new(&marker(2, 0, 1))));
            assert!(s.message(Msg::Sent {
                index: 0,
                seq: 0,
                shape: shape(1),
                written: Some(shape(1)),
            }));
            s.end(
                [
                    Msg::Unusable(1, CaptureError::FileEmpty { path: "b".into() }),
                    Msg::Sent {
                        index: 2,
                        seq: 1,
                        shape: shape(1),
                        written: None,
                    },
                ],
                said,
            )
        };
        let kinds = |out: Vec<(usize, Outcome)>| -> Vec<(usize, &'static str)> {
            out.into_iter()
                .map(|(i, o)| {
                    (
                        i,
                        match o {
                            Outcome::Done(Ok(_)) => "ok",
                            Outcome::Done(Err(_)) => "unusable",
                            Outcome::Alone => "alone",
                        },
                    )
                })
                .collect()
        };
        assert_eq!(
            kinds(run(false)),
            [(0, "ok"), (1, "unusable"), (2, "alone")]
        );
        assert_eq!(
            kinds(run(true)),
            [(0, "alone"), (1, "unusable"), (2, "alone")]
        );
    }
}
