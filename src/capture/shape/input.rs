//! Where the shape walk reads from: a regular file (skips are seeks, the
//! descriptor's own offset untouched), any reader (skips read and
//! discard), or gzip-compressed data (a decoder error is damage, not an
//! unreadable file). Each knows how many bytes it has consumed.

use std::fmt;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Seek};
use std::os::unix::fs::FileExt;

use flate2::bufread::MultiGzDecoder;

/// What the walk needs of its input.
pub(super) trait Input {
    /// Reads until `buf` is full or the data ends; returns the bytes read.
    fn fill(&mut self, buf: &mut [u8]) -> io::Result<usize>;
    /// Skips up to `n` bytes; returns how many were skipped (fewer at the end).
    fn skip(&mut self, n: u64) -> io::Result<u64>;
    /// Bytes consumed so far.
    fn got(&self) -> u64;
    /// Bytes there are, once the data has ended.
    fn size(&self) -> u64 {
        self.got()
    }
}

/// The buffer size: the walk's memory is bounded by two of these (and the
/// gzip decoder's window), whatever the file's size.
pub(super) const BUFFER: usize = 64 * 1024;

fn fill_from(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// Reads a file with `pread`, never moving the descriptor's own offset, so
/// that the same descriptor can be handed to tshark afterwards.
pub(super) struct PositionedReader<'a> {
    pub file: &'a File,
    pub pos: u64,
    pub size: u64,
}

impl Read for PositionedReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.file.read_at(buf, self.pos)?;
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for PositionedReader<'_> {
    fn seek(&mut self, to: io::SeekFrom) -> io::Result<u64> {
        self.pos = match to {
            io::SeekFrom::Start(p) => p,
            io::SeekFrom::Current(d) => self.pos.saturating_add_signed(d),
            io::SeekFrom::End(d) => self.size.saturating_add_signed(d),
        };
        Ok(self.pos)
    }
}

/// An uncompressed regular file: skips are seeks, bounded by its size.
pub(super) struct Plain<'a> {
    pub r: BufReader<PositionedReader<'a>>,
    pub got: u64,
}

impl Input for Plain<'_> {
    fn fill(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = fill_from(&mut self.r, buf)?;
        self.got += n as u64;
        Ok(n)
    }
    fn skip(&mut self, n: u64) -> io::Result<u64> {
        let k = n.min(self.size().saturating_sub(self.got));
        // Block lengths are u32, so k fits an i64.
        self.r.seek_relative(k as i64)?;
        self.got += k;
        Ok(k)
    }
    fn got(&self) -> u64 {
        self.got
    }
    fn size(&self) -> u64 {
        self.r.get_ref().size
    }
}

/// Any uncompressed reader: skips read and discard.
pub(super) struct Stream<R> {
    pub r: BufReader<R>,
    pub got: u64,
}

impl<R: Read> Input for Stream<R> {
    fn fill(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = fill_from(&mut self.r, buf)?;
        self.got += n as u64;
        Ok(n)
    }
    fn skip(&mut self, n: u64) -> io::Result<u64> {
        let k = io::copy(&mut (&mut self.r).take(n), &mut io::sink())?;
        self.got += k;
        Ok(k)
    }
    fn got(&self) -> u64 {
        self.got
    }
}

/// Another input whose bytes are all also written to `out`, in order:
/// skipped bytes are read and written, never sought over.
pub(super) struct Tee<'w, I> {
    inner: I,
    out: &'w mut dyn io::Write,
    scratch: Vec<u8>,
}

impl<'w, I: Input> Tee<'w, I> {
    /// Copies what is read of `inner` to `out`.
    pub fn new(inner: I, out: &'w mut dyn io::Write) -> Tee<'w, I> {
        Tee {
            inner,
            out,
            scratch: vec![0; BUFFER],
        }
    }
}

impl<I: Input> Input for Tee<'_, I> {
    fn fill(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.fill(buf)?;
        self.out.write_all(&buf[..n])?;
        Ok(n)
    }
    fn skip(&mut self, n: u64) -> io::Result<u64> {
        let mut done = 0;
        while done < n {
            let want = (n - done).min(self.scratch.len() as u64) as usize;
            let got = self.inner.fill(&mut self.scratch[..want])?;
            self.out.write_all(&self.scratch[..got])?;
            done += got as u64;
            if got < want {
                break;
            }
        }
        Ok(done)
    }
    fn got(&self) -> u64 {
        self.inner.got()
    }
    fn size(&self) -> u64 {
        self.inner.size()
    }
}

/// Gzip-compressed data, concatenated members included (as tshark reads them).
pub(super) struct Gz<R: BufRead> {
    r: BufReader<MultiGzDecoder<R>>,
    got: u64,
}

impl<R: BufRead> Gz<R> {
    /// Decompresses `r`.
    pub fn new(r: R) -> Gz<R> {
        Gz {
            r: BufReader::with_capacity(BUFFER, MultiGzDecoder::new(r)),
            got: 0,
        }
    }
}

impl<R: BufRead> Input for Gz<R> {
    fn fill(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = fill_from(&mut self.r, buf).map_err(gzip_error)?;
        self.got += n as u64;
        Ok(n)
    }
    fn skip(&mut self, n: u64) -> io::Result<u64> {
        let k = io::copy(&mut (&mut self.r).take(n), &mut io::sink()).map_err(gzip_error)?;
        self.got += k;
        Ok(k)
    }
    fn got(&self) -> u64 {
        self.got
    }
}

/// A decoder error, marked so that the walk tells it from an I/O error:
/// the decoder's words, and whether the compressed stream just stopped.
#[derive(Debug)]
pub(super) struct GzipCorrupt {
    pub why: String,
    pub cut: bool,
}

impl fmt::Display for GzipCorrupt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.why)
    }
}

impl std::error::Error for GzipCorrupt {}

fn gzip_error(e: io::Error) -> io::Error {
    match e.kind() {
        io::ErrorKind::InvalidInput | io::ErrorKind::InvalidData | io::ErrorKind::UnexpectedEof => {
            io::Error::other(GzipCorrupt {
                why: e.to_string(),
                cut: e.kind() == io::ErrorKind::UnexpectedEof,
            })
        }
        _ => e,
    }
}
