//! The shape of a capture file, checked before tshark reads it, so that an
//! empty, foreign, truncated or damaged file gets its own sentence, and so
//! that tcplab knows how many frames tshark must deliver.
//!
//! [`open_capture`] opens a file without ever blocking (a FIFO or a device
//! is refused before anything is read from it); [`check_file`] then walks
//! it record by record in bounded memory (64 KiB buffers, whatever the
//! file's size, payloads skipped unread). It accepts
//!
//! * pcap, little- or big-endian, microsecond or nanosecond timestamps;
//! * pcapng, with any number of sections, each in its own byte order (every
//!   Section Header Block sets the byte order of the blocks after it);
//! * either of those compressed with gzip, as tshark reads them (offsets
//!   are then in the *decompressed* data).
//!
//! It counts the records tshark turns into frames ([`Shape::frames`]):
//! pcap records; pcapng Enhanced, Simple and (obsolete) Packet Blocks, and
//! the custom and systemd journal blocks tshark 4.0 also shows as frames.
//! Damage is named by byte offset and by the number (from 1) of the frame
//! that would have come next: tshark delivers exactly the frames before it
//! and then fails (measured for every kind of damage below, with tshark
//! 4.0). What it refuses, this check refuses: a block whose trailing length
//! differs from its leading one, lengths below a block type's least or not
//! a multiple of 4, a packet longer than its block or than 262144 bytes, a
//! block over 134348832 bytes, a section version other than 1.0 and 1.2,
//! an unknown byte-order magic, a packet on an undescribed interface, a
//! Simple Packet Block of the wrong size, a corrupt gzip stream.
//!
//! [`walk_into`] walks the same way while copying the data tshark reads
//! (decompressed) to a writer, and a pcap's [`PcapQuirk`] says what in it a
//! pcapng stream would not repeat: both serve reading many files through
//! one tshark (`capture::batch`).

mod damage;
mod input;
mod quirk;
mod walk;

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::os::fd::AsFd;
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::Path;

use nix::fcntl::{FcntlArg, OFlag, fcntl};

pub use damage::{Damage, MAX_PACKET, PCAPNG_MAX_BLOCK};
use input::{BUFFER, Gz, Plain, PositionedReader, Stream, Tee};
pub use quirk::PcapQuirk;
pub(crate) use walk::PcapKind;

/// The container format of a capture file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// libpcap, either byte order, microsecond or nanosecond timestamps.
    Pcap,
    /// pcapng, Wireshark's default, in one or more sections.
    Pcapng,
}

/// What a well-formed capture file holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shape {
    /// Its container format.
    pub format: Format,
    /// It was compressed with gzip.
    pub gzip: bool,
    /// Records tshark turns into frames.
    pub frames: u64,
    /// Bytes of capture data (after decompression).
    pub bytes: u64,
    /// For a pcap file, the first thing about it that a pcapng stream
    /// would not repeat exactly (see [`PcapQuirk`]); `None` for pcapng.
    pub pcap_quirk: Option<PcapQuirk>,
}

impl Shape {
    /// The first frame tshark did not deliver, if it delivered fewer than
    /// [`Shape::frames`]: it stopped early, whatever it printed and
    /// whichever user it ran as. More than counted is no early stop: block
    /// types this check does not know may be frames to tshark.
    pub fn first_missing(&self, delivered: u64) -> Option<u64> {
        (delivered < self.frames).then_some(delivered + 1)
    }
}

/// Why a file is not a usable capture. It names no path: the caller does.
/// Offsets are byte offsets in the capture data (decompressed when `gzip`);
/// `frame` is the number (from 1) of the frame that would have come next.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ShapeError {
    /// The file, or its decompressed data, holds no byte.
    #[error("is empty")]
    Empty {
        /// The file was gzip-compressed.
        gzip: bool,
    },
    /// Neither pcap nor pcapng.
    #[error("is not a pcap or pcapng capture (it starts with bytes {magic}{})", gz(*.gzip))]
    NotACapture {
        /// The first (up to four) bytes, in hex.
        magic: String,
        /// The bytes are those after decompression.
        gzip: bool,
    },
    /// The data ends in the middle of a header, record or block.
    #[error(
        "is cut short: the record at byte {offset}{} (frame {frame}) runs past the end of the data ({size} bytes)",
        gz(*.gzip)
    )]
    Truncated {
        /// Where the incomplete record starts.
        offset: u64,
        /// Bytes of capture data there are.
        size: u64,
        /// The frame the incomplete record would have been.
        frame: u64,
        /// Offsets and size are in decompressed data.
        gzip: bool,
    },
    /// A record or block whose lengths or fields contradict each other.
    #[error("is damaged at byte {offset}{} (frame {frame} would be next): {why}", gz(*.gzip))]
    Damaged {
        /// Where the damaged record or block starts.
        offset: u64,
        /// The frame that would have come next.
        frame: u64,
        /// What is wrong there.
        why: Damage,
        /// The offset is in decompressed data.
        gzip: bool,
    },
    /// Not a regular file: never read, never waited on.
    #[error("is a {kind}, not a capture file")]
    NotAFile {
        /// `FIFO (named pipe)`, `socket`, `device`, `directory` or `special file`.
        kind: &'static str,
    },
    /// The operating system refused to open or read it.
    #[error("cannot be read: {0}")]
    Unreadable(#[source] io::Error),
}

fn gz(gzip: bool) -> &'static str {
    if gzip {
        " of the decompressed data"
    } else {
        ""
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// What a non-regular file is, in words.
pub fn kind_of(t: std::fs::FileType) -> &'static str {
    if t.is_fifo() {
        "FIFO (named pipe)"
    } else if t.is_socket() {
        "socket"
    } else if t.is_block_device() || t.is_char_device() {
        "device"
    } else if t.is_dir() {
        "directory"
    } else {
        "special file"
    }
}

/// Opens `path` for reading without ever blocking: `O_NONBLOCK` (a FIFO
/// without a writer does not hang) and `O_NOCTTY`, then `fstat` decides;
/// anything but a regular file is refused before a byte is read. The file
/// is returned in blocking mode, close-on-exec, at offset 0. A device is
/// not even opened (opening some has effects): a look at the path comes
/// first, and the opened file is checked again.
pub fn open_capture(path: &Path) -> Result<File, ShapeError> {
    if let Ok(m) = std::fs::metadata(path) {
        if !m.is_file() {
            return Err(ShapeError::NotAFile {
                kind: kind_of(m.file_type()),
            });
        }
    }
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags((OFlag::O_NONBLOCK | OFlag::O_NOCTTY).bits())
        .open(path)
        .map_err(ShapeError::Unreadable)?;
    let meta = file.metadata().map_err(ShapeError::Unreadable)?;
    if !meta.is_file() {
        return Err(ShapeError::NotAFile {
            kind: kind_of(meta.file_type()),
        });
    }
    let errno = |e| ShapeError::Unreadable(io::Error::from(e));
    let flags = fcntl(file.as_fd(), FcntlArg::F_GETFL).map_err(errno)?;
    let flags = OFlag::from_bits_truncate(flags) & !OFlag::O_NONBLOCK;
    fcntl(file.as_fd(), FcntlArg::F_SETFL(flags)).map_err(errno)?;
    Ok(file)
}

/// Checks the regular file `file` from its first byte, whatever its
/// position: it is read with `pread`, so its offset is left alone and it
/// can be handed to tshark afterwards.
pub fn check_file(file: &File) -> Result<Shape, ShapeError> {
    let meta = file.metadata().map_err(ShapeError::Unreadable)?;
    if !meta.is_file() {
        return Err(ShapeError::NotAFile {
            kind: kind_of(meta.file_type()),
        });
    }
    let size = meta.len();
    if size == 0 {
        return Err(ShapeError::Empty { gzip: false });
    }
    let at = PositionedReader { file, pos: 0, size };
    let mut r = BufReader::with_capacity(BUFFER, at);
    if is_gzip(&mut r)? {
        walk::walk(&mut Gz::new(r), true)
    } else {
        walk::walk(&mut Plain { r, got: 0 }, false)
    }
}

/// Walks the regular file `file` again from its first byte, as
/// [`check_file`] does, writing every byte of its capture data (after
/// decompression) to `out` in order: what tshark reads. Fails like
/// [`check_file`], and as [`ShapeError::Unreadable`] when `out` does.
pub fn walk_into(file: &File, out: &mut dyn io::Write) -> Result<Shape, ShapeError> {
    let size = file.metadata().map_err(ShapeError::Unreadable)?.len();
    if size == 0 {
        return Err(ShapeError::Empty { gzip: false });
    }
    let at = PositionedReader { file, pos: 0, size };
    let mut r = BufReader::with_capacity(BUFFER, at);
    if is_gzip(&mut r)? {
        walk::walk(&mut Tee::new(Gz::new(r), out), true)
    } else {
        walk::walk(&mut Tee::new(Plain { r, got: 0 }, out), false)
    }
}

/// Checks capture data from any reader, decompressing it when it starts
/// with the gzip magic.
pub fn check_reader(r: impl Read) -> Result<Shape, ShapeError> {
    let mut r = BufReader::with_capacity(BUFFER, r);
    if is_gzip(&mut r)? {
        walk::walk(&mut Gz::new(r), true)
    } else {
        walk::walk(&mut Stream { r, got: 0 }, false)
    }
}

fn is_gzip(r: &mut impl BufRead) -> Result<bool, ShapeError> {
    let head = r.fill_buf().map_err(ShapeError::Unreadable)?;
    Ok(head.starts_with(&[0x1f, 0x8b]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::captures::*;
    use rstest::rstest;
    use std::io::{Seek, Write};

    /// Checks `bytes` as a file and as a stream: both must agree.
    fn check(bytes: &[u8]) -> Result<Shape, ShapeError> {
        let mut f = tempfile::tempfile().unwrap();
        f.write_all(bytes).unwrap();
        let via_file = check_file(&f);
        let via_reader = check_reader(bytes);
        assert_eq!(format!("{via_file:?}"), format!("{via_reader:?}"));
        via_file
    }

    fn damage(r: Result<Shape, ShapeError>) -> (u64, u64, Damage) {
        match r {
            Err(ShapeError::Damaged {
                offset, frame, why, ..
            }) => (offset, frame, why),
            other => panic!("expected damage, got {other:?}"),
        }
    }

    fn truncated(r: Result<Shape, ShapeError>) -> (u64, u64, u64) {
        match r {
            Err(ShapeError::Truncated {
                offset,
                size,
                frame,
                ..
            }) => (offset, size, frame),
            other => panic!("expected truncation, got {other:?}"),
        }
    }

    #[rstest]
    fn pcap_in_every_byte_order_and_precision(
        #[values(false, true)] big_endian: bool,
        #[values(false, true)] nanoseconds: bool,
    ) {
        let s = check(&pcap(3, big_endian, nanoseconds)).unwrap();
        assert_eq!((s.format, s.frames, s.gzip), (Format::Pcap, 3, false));
        assert_eq!(check(&pcap(0, big_endian, nanoseconds)).unwrap().frames, 0);
    }

    #[test]
    fn pcapng_counts_every_kind_of_packet_block() {
        let mut ng = Ng::new();
        ng.section(false)
            .interface()
            .packet()
            .simple_packet()
            .old_packet();
        ng.block(5, &[1, 2, 3, 4]); // statistics: not a frame
        ng.block(0x0bad, b"\0\0\x7e\xd9data"); // custom: a frame to tshark
        ng.block(9, b"MESSAGE=hi\n"); // journal export: a frame to tshark
        let s = check(&ng.bytes).unwrap();
        assert_eq!(s.frames, 5);
        assert_eq!(s.bytes, ng.bytes.len() as u64);
    }

    #[test]
    fn sections_of_either_byte_order_follow_each_other() {
        let s = check(&two_sections()).unwrap();
        assert_eq!((s.format, s.frames), (Format::Pcapng, 5));
        let mut be_first = Ng::new();
        be_first.section(true).interface().packet();
        be_first.section(false).interface().packet();
        assert_eq!(check(&be_first.bytes).unwrap().frames, 2);
    }

    #[rstest]
    #[case::pcap(pcap(4, false, true), 4)]
    #[case::pcapng(pcapng(2), 2)]
    #[case::two_sections(two_sections(), 5)]
    fn gzip_is_looked_through(#[case] plain: Vec<u8>, #[case] frames: u64) {
        let s = check(&gzip(&plain)).unwrap();
        assert!(s.gzip);
        assert_eq!((s.frames, s.bytes), (frames, plain.len() as u64));
        // Concatenated gzip members are one stream, as tshark reads them.
        let (a, b) = plain.split_at(plain.len() / 2);
        let mut two = gzip(a);
        two.extend(gzip(b));
        assert_eq!(check(&two).unwrap().frames, frames);
    }

    #[test]
    fn a_trailing_length_that_differs_is_damage_at_its_block() {
        let mut b = pcapng(4);
        // Blocks: SHB, IDB, EPB1..EPB4. Damage the trailer of EPB2.
        let (at, end) = (block_offset(&b, 3), block_offset(&b, 4));
        b[end - 4] ^= 0x40;
        let (offset, frame, why) = damage(check(&b));
        assert_eq!((offset, frame), (at as u64, 2));
        assert!(matches!(why, Damage::LengthMismatch { .. }), "{why}");
    }

    #[test]
    fn a_wrong_leading_length_is_caught_by_the_trailer() {
        let mut b = pcapng(3);
        let at = block_offset(&b, 3);
        let len = u32::from_le_bytes(b[at + 4..at + 8].try_into().unwrap()) + 8;
        b[at + 4..at + 8].copy_from_slice(&len.to_le_bytes());
        let (offset, frame, why) = damage(check(&b));
        assert_eq!((offset, frame), (at as u64, 2));
        assert!(matches!(why, Damage::LengthMismatch { .. }), "{why}");
    }

    #[rstest]
    #[case::not_multiple_of_4(62)]
    #[case::below_12(8)]
    #[case::epb_below_32(28)]
    fn bad_block_lengths(#[case] len: u32) {
        let mut b = pcapng(2);
        let at = block_offset(&b, 2);
        b[at + 4..at + 8].copy_from_slice(&len.to_le_bytes());
        let (offset, frame, why) = damage(check(&b));
        assert_eq!((offset, frame), (at as u64, 1));
        assert!(
            matches!(why, Damage::BadLength { length, .. } if length == len),
            "{why}"
        );
    }

    #[test]
    fn a_captured_length_beyond_its_block() {
        let mut b = pcapng(2);
        let at = block_offset(&b, 3);
        b[at + 20..at + 24].copy_from_slice(&500u32.to_le_bytes());
        let (offset, frame, why) = damage(check(&b));
        assert_eq!((offset, frame), (at as u64, 2));
        assert!(
            matches!(why, Damage::CapturedTooLong { captured: 500, .. }),
            "{why}"
        );
    }

    #[test]
    fn an_unknown_byte_order_magic_in_a_later_section() {
        let mut b = two_sections();
        // SHB, IDB, EPB, EPB, SHB ...
        let at = block_offset(&b, 4);
        b[at + 8..at + 12].copy_from_slice(b"abcd");
        let (offset, frame, why) = damage(check(&b));
        assert_eq!((offset, frame), (at as u64, 3));
        assert_eq!(
            why.to_string(),
            "a section header has byte-order magic 61 62 63 64, neither 1a 2b 3c 4d nor 4d 3c 2b 1a"
        );
    }

    #[test]
    fn a_packet_before_any_interface_of_its_section() {
        let mut ng = Ng::new();
        ng.section(false).interface().packet();
        ng.section(true).packet(); // a new section forgets the interfaces
        assert!(matches!(
            damage(check(&ng.bytes)),
            (
                _,
                2,
                Damage::UnknownInterface {
                    interface: 0,
                    described: 0
                }
            )
        ));
    }

    #[rstest]
    #[case(1, 0, true)]
    #[case(1, 1, false)]
    #[case(1, 2, true)]
    #[case(1, 3, false)]
    #[case(2, 0, false)]
    fn section_versions_tshark_reads(#[case] major: u16, #[case] minor: u16, #[case] ok: bool) {
        let mut b = pcapng(1);
        b[12..14].copy_from_slice(&major.to_le_bytes());
        b[14..16].copy_from_slice(&minor.to_le_bytes());
        assert_eq!(check(&b).is_ok(), ok);
    }

    #[test]
    fn packets_larger_than_tshark_reads() {
        let mut b = pcap(2, false, false);
        b[83 + 8..83 + 12].copy_from_slice(&300_000u32.to_le_bytes());
        assert!(matches!(
            damage(check(&b)),
            (83, 2, Damage::RecordTooLarge { captured: 300_000 })
        ));
        let mut huge = pcapng(0);
        huge.extend(0x1234u32.to_le_bytes());
        huge.extend((PCAPNG_MAX_BLOCK + 4).to_le_bytes());
        assert!(matches!(
            damage(check(&huge)).2,
            Damage::BlockTooLarge { .. }
        ));
    }

    #[test]
    fn cut_short_anywhere_names_the_record_and_frame() {
        let p = pcap(3, false, false);
        // Header, then records of 16 + 43 bytes at 24, 83, 142.
        for cut in 4..p.len() {
            let want = match cut {
                24 | 83 | 142 => continue, // ends between records: whole
                c if c < 24 => (0, 1),
                c if c < 83 => (24, 1),
                c if c < 142 => (83, 2),
                _ => (142, 3),
            };
            let (offset, size, frame) = truncated(check(&p[..cut]));
            assert_eq!(
                (offset, frame, size),
                (want.0, want.1, cut as u64),
                "cut at {cut}"
            );
        }
        let n = pcapng(2);
        let ends: Vec<usize> = (1..=4).map(|k| block_offset(&n, k)).collect();
        for cut in 4..n.len() {
            if ends.contains(&cut) {
                continue;
            }
            let (offset, _, frame) = truncated(check(&n[..cut]));
            let k = ends.iter().filter(|&&e| e <= cut).count();
            assert_eq!(offset, block_offset(&n, k) as u64, "cut at {cut}");
            // Blocks 0 and 1 are the section and interface: no frame before them.
            assert_eq!(frame, k.saturating_sub(2) as u64 + 1, "cut at {cut}");
        }
    }

    #[test]
    fn a_cut_gzip_stream_is_truncation_a_bad_checksum_damage() {
        let z = gzip(&pcapng(40));
        assert!(matches!(
            check(&z[..z.len() * 6 / 10]),
            Err(ShapeError::Truncated { gzip: true, .. })
        ));
        let mut crc = z.clone();
        let l = crc.len();
        crc[l - 8] ^= 1;
        assert!(matches!(damage(check(&crc)).2, Damage::Gzip(_)));
    }

    #[rstest]
    #[case::empty(vec![], "is empty")]
    #[case::text(b"hello, this is not a capture\n".to_vec(), "starts with bytes 68 65 6c 6c)")]
    #[case::one_byte(vec![b'x'], "starts with bytes 78)")]
    #[case::gzipped_text(
        gzip(b"hello"),
        "starts with bytes 68 65 6c 6c of the decompressed data"
    )]
    #[case::gzipped_nothing(gzip(b""), "is empty")]
    fn not_captures_are_named(#[case] bytes: Vec<u8>, #[case] text: &str) {
        let err = check(&bytes).unwrap_err().to_string();
        assert!(err.contains(text), "{err}");
    }

    #[test]
    fn fifos_and_devices_are_refused_without_blocking() {
        let d = tempfile::tempdir().unwrap();
        let fifo = d.path().join("lab.pcap");
        nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::S_IRWXU).unwrap();
        // No writer: a blocking open would hang here forever.
        let kind = |p: &Path| match open_capture(p) {
            Err(ShapeError::NotAFile { kind }) => kind,
            other => panic!("{other:?}"),
        };
        assert_eq!(kind(&fifo), "FIFO (named pipe)");
        assert_eq!(kind(Path::new("/dev/zero")), "device");
        assert_eq!(kind(d.path()), "directory");
        assert!(matches!(
            open_capture(&d.path().join("missing")),
            Err(ShapeError::Unreadable(_))
        ));
    }

    /// Sets the `u32` at `at` of a little-endian pcap.
    fn set32(b: &mut [u8], at: usize, v: u32) {
        b[at..at + 4].copy_from_slice(&v.to_le_bytes());
    }

    #[rstest]
    #[case::plain(|_: &mut Vec<u8>| {}, None)]
    #[case::version(|b: &mut Vec<u8>| b[6] = 3, Some(PcapQuirk::Version { major: 2, minor: 3 }))]
    #[case::time_zone(|b: &mut Vec<u8>| set32(b, 8, 3600), Some(PcapQuirk::TimeZone(3600)))]
    #[case::fcs_bits(|b: &mut Vec<u8>| set32(b, 20, 0x1000_0001), Some(PcapQuirk::LinkTypeFlags(0x1000_0001)))]
    // Records of 16 + 43 bytes from 24: the second one's fields.
    #[case::fraction(|b: &mut Vec<u8>| set32(b, 83 + 4, 1_000_000), Some(PcapQuirk::Fraction { frame: 2 }))]
    #[case::past_length(|b: &mut Vec<u8>| set32(b, 83 + 12, 42), Some(PcapQuirk::CapturedPastLength { frame: 2 }))]
    #[case::past_snaplen(|b: &mut Vec<u8>| set32(b, 16, 40), Some(PcapQuirk::CapturedPastSnaplen { frame: 1 }))]
    fn pcap_quirks_are_found(#[case] change: fn(&mut Vec<u8>), #[case] want: Option<PcapQuirk>) {
        let mut b = pcap(3, false, false);
        change(&mut b);
        assert_eq!(check(&b).unwrap().pcap_quirk, want);
    }

    #[test]
    fn a_nanosecond_fraction_below_a_second_is_no_quirk() {
        let mut b = pcap(2, false, true);
        set32(&mut b, 24 + 4, 999_999_999);
        assert_eq!(check(&b).unwrap().pcap_quirk, None);
        assert_eq!(check(&pcapng(2)).unwrap().pcap_quirk, None);
    }

    #[rstest]
    #[case::pcap(pcap(3, true, false), pcap(3, true, false))]
    #[case::two_sections(two_sections(), two_sections())]
    #[case::gzip(gzip(&pcapng(5)), pcapng(5))]
    fn walking_into_writes_what_tshark_reads(#[case] file: Vec<u8>, #[case] want: Vec<u8>) {
        let mut f = tempfile::tempfile().unwrap();
        f.write_all(&file).unwrap();
        let mut out = Vec::new();
        let shape = walk_into(&f, &mut out).unwrap();
        assert_eq!(shape, check_file(&f).unwrap());
        assert_eq!(out, want);
    }

    #[test]
    fn walking_into_a_writer_that_fails_is_an_error() {
        let mut f = tempfile::tempfile().unwrap();
        f.write_all(&pcapng(3)).unwrap();
        let mut full = [0u8; 40];
        let mut out: &mut [u8] = &mut full;
        assert!(matches!(
            walk_into(&f, &mut out),
            Err(ShapeError::Unreadable(_))
        ));
    }

    #[test]
    fn an_early_stop_is_named_by_its_first_missing_frame() {
        let s = check(&pcapng(3)).unwrap();
        assert_eq!(s.first_missing(3), None);
        assert_eq!(s.first_missing(4), None);
        assert_eq!(s.first_missing(1), Some(2));
        assert_eq!(s.first_missing(0), Some(1));
    }

    #[test]
    fn the_checked_descriptor_keeps_its_offset() {
        let mut f = tempfile::tempfile().unwrap();
        f.write_all(&pcapng(2)).unwrap();
        let before = f.stream_position().unwrap();
        assert_eq!(check_file(&f).unwrap().frames, 2);
        assert_eq!(f.stream_position().unwrap(), before);
    }

    #[test]
    fn a_large_file_is_walked_without_reading_its_payloads() {
        // 64 MiB of pcap, mostly holes: skipped by seeks, never held.
        let mut f = tempfile::tempfile().unwrap();
        f.write_all(&pcap(0, false, false)).unwrap();
        let big = 65_535u32;
        for _ in 0..1024 {
            let mut rec = vec![0; 8];
            rec.extend(big.to_le_bytes());
            rec.extend(big.to_le_bytes());
            f.write_all(&rec).unwrap();
            let end = f.stream_position().unwrap() + u64::from(big);
            f.set_len(end).unwrap();
            f.seek(io::SeekFrom::End(0)).unwrap();
        }
        assert_eq!(check_file(&f).unwrap().frames, 1024);
    }
}
