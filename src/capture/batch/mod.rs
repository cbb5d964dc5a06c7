//! Many capture files through one tshark: each file's shape is checked,
//! then its data goes into one pcapng stream written into a pipe that
//! tshark reads as `/proc/<tcplab's pid>/fd/<n>` (`encode`: pcapng as it
//! is, pcap re-encoded, gzip decompressed, a marker after each file), and
//! tshark's rows are split back into files at the markers, each frame
//! numbered as in its own file (`split`).
//!
//! tshark's start-up (about a quarter of a second, most of checking a
//! small file) is then paid once per stream instead of once per file.
//!
//! **The same as reading each file alone.** A file whose shape check fails
//! never enters the stream (its error is the one [`read_file`] gives); a
//! pcap file with a [`PcapQuirk`](crate::capture::shape::PcapQuirk), a file
//! whose frames come out more or fewer than it holds, and a file that
//! shares a connection's 4-tuple or a tshark conversation with an earlier
//! file of its stream are read by a tshark of their own ([`read_file`]);
//! so is every file of a stream when tshark says an error, and every file
//! after the point where a stream broke.
//!
//! Up to `jobs` streams run at once (one per [`BYTES_PER_STREAM`] of
//! files), each with its own tshark, taking the next file from a shared
//! queue as their pipe drains.

mod encode;
mod split;

use std::collections::VecDeque;
use std::fs::File;
use std::hash::{BuildHasher, RandomState};
use std::io::{BufWriter, Write};
use std::os::fd::OwnedFd;
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{Sender, channel};

use super::rows::FieldsTshark;
use super::shape::{self, Shape};
use super::{CaptureError, FileCapture, read_file};
use crate::fsx::fd_path;
use split::{Msg, Outcome, Splitter};

/// Called once per file with its index in the list given and what reading
/// it gave, from the threads that read them.
pub type Done<'a> = dyn Fn(usize, Result<FileCapture, CaptureError>) + Sync + 'a;

/// Called once per file with its index as soon as it has been read, for a
/// progress bar: a stream hands its files to [`Done`] only when its tshark
/// has ended (what tshark says at its end may send them all to be read
/// alone).
pub type Read<'a> = dyn Fn(usize) + Sync + 'a;

/// Capture data per stream: a tshark more costs its start-up, about what
/// reading a MiB of small packets costs it, so a folder of small hand-ins
/// is one stream, and a larger one is spread over the `jobs` allowed.
pub const BYTES_PER_STREAM: u64 = 1 << 20;

/// How a [`read_files`] went.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReadStats {
    /// tshark processes that read streams of files.
    pub streams: usize,
    /// Files read again by a tshark of their own (see the module
    /// documentation for why).
    pub alone: usize,
}

/// Reads every file of `paths` as [`read_file`] would, through up to
/// `jobs` tsharks at a time (one per [`BYTES_PER_STREAM`] of files), each
/// reading a stream of many files; calls `read` and then `done` once per
/// file, in no particular order.
pub fn read_files(
    paths: &[&Path],
    server_port: Option<u16>,
    jobs: usize,
    read: &Read<'_>,
    done: &Done<'_>,
) -> ReadStats {
    let queue = Mutex::new((0..paths.len()).collect::<VecDeque<_>>());
    let bytes: u64 = paths
        .iter()
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| m.len())
        .sum();
    let workers = jobs
        .min(paths.len())
        .min(bytes.div_ceil(BYTES_PER_STREAM) as usize)
        .max(1);
    let reader = Reader {
        paths,
        server_port,
        queue: &queue,
        done,
        read,
        told: paths.iter().map(|_| AtomicBool::new(false)).collect(),
        streams: AtomicUsize::new(0),
        alone: AtomicUsize::new(0),
    };
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| reader.work());
        }
    });
    ReadStats {
        streams: reader.streams.into_inner(),
        alone: reader.alone.into_inner(),
    }
}

/// A file opened and found well-formed, ready to go into a stream.
struct Ready {
    index: usize,
    file: File,
    shape: Shape,
}

/// What each worker shares.
struct Reader<'a> {
    paths: &'a [&'a Path],
    server_port: Option<u16>,
    queue: &'a Mutex<VecDeque<usize>>,
    done: &'a Done<'a>,
    read: &'a Read<'a>,
    /// Which files `read` was called for.
    told: Vec<AtomicBool>,
    streams: AtomicUsize,
    alone: AtomicUsize,
}

impl Reader<'_> {
    /// Runs streams until the queue is empty.
    fn work(&self) {
        loop {
            let mut skipped = Vec::new();
            let first = self.next_ready(&mut |m| skipped.push(m.into_outcome()));
            self.settle(skipped);
            let Some(first) = first else { return };
            let outcomes = self.stream(first);
            self.settle(outcomes);
        }
    }

    /// Hands each outcome to `done`, reading alone the files that need it.
    fn settle(&self, outcomes: Vec<(usize, Outcome)>) {
        for (index, outcome) in outcomes {
            let result = match outcome {
                Outcome::Done(r) => r,
                Outcome::Alone => {
                    self.alone.fetch_add(1, Ordering::Relaxed);
                    read_file(self.paths[index], self.server_port)
                }
            };
            self.tell_read(index);
            (self.done)(index, result);
        }
    }

    /// Calls `read` for file `index`, unless it was called already.
    fn tell_read(&self, index: usize) {
        if !self.told[index].swap(true, Ordering::Relaxed) {
            (self.read)(index);
        }
    }

    /// The next file of the queue that can go into a stream; every file
    /// passed over on the way is told to `skip` (unusable, or to be read
    /// alone).
    fn next_ready(&self, skip: &mut dyn FnMut(Msg)) -> Option<Ready> {
        loop {
            let index = self.queue.lock().expect("no worker panics").pop_front()?;
            let path = self.paths[index];
            let checked = shape::open_capture(path)
                .and_then(|file| shape::check_file(&file).map(|shape| (file, shape)));
            match checked {
                Err(e) => skip(Msg::Unusable(index, CaptureError::shape(path, e))),
                Ok((_, shape)) if shape.pcap_quirk.is_some() => skip(Msg::Alone(index)),
                Ok((file, shape)) => return Some(Ready { index, file, shape }),
            }
        }
    }

    /// One tshark reading a stream that starts with `first`, and the
    /// outcome of every file it took.
    fn stream(&self, first: Ready) -> Vec<(usize, Outcome)> {
        let alone = |r: Ready| vec![(r.index, Outcome::Alone)];
        let Ok((pipe_out, pipe_in)) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC) else {
            return alone(first);
        };
        let Ok(mut shark) = FieldsTshark::spawn(&fd_path(&pipe_out)) else {
            return alone(first);
        };
        self.streams.fetch_add(1, Ordering::Relaxed);
        let nonce = RandomState::new().hash_one(std::process::id());
        let tell = |index| self.tell_read(index);
        let mut splitter = Splitter::new(self.paths, self.server_port, nonce, &tell);
        let (tx, rx) = channel();
        std::thread::scope(|s| {
            let writer = s.spawn(move || self.write(first, pipe_in, nonce, tx));
            // Held until tshark has surely opened it: a first row came.
            let mut pipe_out = Some(pipe_out);
            while let Ok(Some(row)) = shark.next_row() {
                pipe_out = None;
                if splitter.take(row) {
                    while let Ok(m) = rx.recv() {
                        if splitter.message(m) {
                            break;
                        }
                    }
                }
            }
            // tshark is gone: a writer still writing now fails at once.
            drop(pipe_out);
            let _ = writer.join();
        });
        let said = shark.finish();
        splitter.end(rx.try_iter(), said.is_some())
    }

    /// The writer of a stream: `first`, then files from the queue, each
    /// followed by its marker, until the queue is empty or writing fails.
    fn write(&self, first: Ready, pipe_in: OwnedFd, nonce: u64, tx: Sender<Msg>) {
        let mut out = BufWriter::with_capacity(256 * 1024, File::from(pipe_in));
        let mut next = Some(first);
        let mut seq = 0;
        while let Some(Ready { index, file, shape }) = next {
            let mut pcapng = encode::ToPcapng::new(&mut out);
            let written = shape::walk_into(&file, &mut pcapng)
                .ok()
                .filter(|_| pcapng.is_whole());
            drop(file);
            let whole = written.is_some();
            let _ = tx.send(Msg::Sent {
                index,
                seq,
                shape,
                written,
            });
            if !whole || out.write_all(&encode::marker(nonce, seq)).is_err() {
                return;
            }
            seq += 1;
            next = self.next_ready(&mut |m| {
                let _ = tx.send(m);
            });
        }
        let _ = out.flush();
    }
}
