//! The shape of a capture file, checked before tshark reads it, so that an
//! empty, foreign or truncated file gets its own sentence: the pcap or
//! pcapng container is walked record by record, without reading payloads.
//! The walk also counts the records that can be packets, so that reading
//! the file can stop at the last one instead of waiting for tshark to exit.

use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use super::CaptureError;

/// The container format of a capture file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// libpcap, microsecond or nanosecond timestamps.
    Pcap,
    /// pcapng, Wireshark's default.
    Pcapng,
}

/// What the walk over a capture file found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shape {
    /// The container format.
    pub format: Format,
    /// Records that tshark may show as packets: every pcap record; pcapng's
    /// packet blocks (enhanced, simple, obsolete) and the block kinds some
    /// versions show as packets (systemd journal export, custom). Never
    /// fewer than tshark's packets; more only with those other kinds.
    pub packets: u64,
}

/// pcapng block types that may be shown as packets.
const PCAPNG_PACKET_BLOCKS: [u32; 6] = [
    0x0000_0002, // packet block (obsolete)
    0x0000_0003, // simple packet block
    0x0000_0006, // enhanced packet block
    0x0000_0009, // systemd journal export block
    0x0000_0BAD, // custom block, copyable
    0x4000_0BAD, // custom block, not copyable
];

/// Checks that `path` is a complete pcap or pcapng file and returns its
/// format and how many of its records may be packets.
pub fn check_shape(path: &Path) -> Result<Shape, CaptureError> {
    let unreadable = |cause| CaptureError::FileUnreadable {
        path: path.to_owned(),
        cause,
    };
    let file = File::open(path).map_err(unreadable)?;
    let size = file.metadata().map_err(unreadable)?.len();
    if size == 0 {
        return Err(CaptureError::FileEmpty {
            path: path.to_owned(),
        });
    }
    let mut r = BufReader::new(file);
    let mut head = [0u8; 12];
    let n = read_up_to(&mut r, &mut head).map_err(unreadable)?;
    let magic = &head[..n.min(4)];
    let not_a_capture = || CaptureError::NotACapture {
        path: path.to_owned(),
        magic: magic
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<Vec<_>>()
            .join(" "),
    };
    let truncated = |offset| CaptureError::Truncated {
        path: path.to_owned(),
        offset,
        size,
    };
    let pcap_le = [[0xd4, 0xc3, 0xb2, 0xa1], [0x4d, 0x3c, 0xb2, 0xa1]];
    let pcap_be = [[0xa1, 0xb2, 0xc3, 0xd4], [0xa1, 0xb2, 0x3c, 0x4d]];
    if n >= 4 && (pcap_le.iter().any(|m| m == magic) || pcap_be.iter().any(|m| m == magic)) {
        let le = pcap_le.iter().any(|m| m == magic);
        if size < 24 {
            return Err(truncated(0));
        }
        let mut offset = 24u64;
        let mut packets = 0;
        r.seek(SeekFrom::Start(offset)).map_err(unreadable)?;
        let mut rec = [0u8; 16];
        while offset < size {
            if size - offset < 16 {
                return Err(truncated(offset));
            }
            r.read_exact(&mut rec).map_err(unreadable)?;
            let b = [rec[8], rec[9], rec[10], rec[11]];
            let incl = u64::from(if le {
                u32::from_le_bytes(b)
            } else {
                u32::from_be_bytes(b)
            });
            if offset + 16 + incl > size {
                return Err(truncated(offset));
            }
            r.seek_relative(incl as i64).map_err(unreadable)?;
            offset += 16 + incl;
            packets += 1;
        }
        return Ok(Shape {
            format: Format::Pcap,
            packets,
        });
    }
    if n >= 4 && magic == [0x0a, 0x0d, 0x0d, 0x0a] {
        if n < 12 {
            return Err(truncated(0));
        }
        let le = match head[8..12] {
            [0x4d, 0x3c, 0x2b, 0x1a] => true,
            [0x1a, 0x2b, 0x3c, 0x4d] => false,
            _ => return Err(not_a_capture()),
        };
        let mut offset = 0u64;
        let mut packets = 0;
        let mut block = [0u8; 8];
        r.seek(SeekFrom::Start(0)).map_err(unreadable)?;
        while offset < size {
            if size - offset < 12 {
                return Err(truncated(offset));
            }
            r.read_exact(&mut block).map_err(unreadable)?;
            let word = |b: [u8; 4]| {
                if le {
                    u32::from_le_bytes(b)
                } else {
                    u32::from_be_bytes(b)
                }
            };
            let kind = word([block[0], block[1], block[2], block[3]]);
            let len = u64::from(word([block[4], block[5], block[6], block[7]]));
            if len < 12 || len % 4 != 0 {
                return Err(truncated(offset));
            }
            if offset + len > size {
                return Err(truncated(offset));
            }
            r.seek_relative(len as i64 - 8).map_err(unreadable)?;
            offset += len;
            packets += u64::from(PCAPNG_PACKET_BLOCKS.contains(&kind));
        }
        return Ok(Shape {
            format: Format::Pcapng,
            packets,
        });
    }
    Err(not_a_capture())
}

fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;
    use std::io::Write;

    fn pcap(records: &[&[u8]]) -> Vec<u8> {
        let mut v = vec![0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0];
        v.extend([0; 8]);
        v.extend(65535u32.to_le_bytes());
        v.extend(1u32.to_le_bytes());
        for r in records {
            v.extend([0; 8]);
            v.extend((r.len() as u32).to_le_bytes());
            v.extend((r.len() as u32).to_le_bytes());
            v.extend(*r);
        }
        v
    }

    fn write(bytes: &[u8]) -> tempfile::NamedTempFile {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(bytes).unwrap();
        f
    }

    #[test]
    fn complete_pcap_is_accepted() {
        let f = write(&pcap(&[&[1, 2, 3], &[4; 60]]));
        assert_eq!(
            check_shape(f.path()).unwrap(),
            Shape {
                format: Format::Pcap,
                packets: 2
            }
        );
    }

    #[rstest]
    #[case::empty(vec![], "is empty")]
    #[case::text(b"hello, this is not a capture\n".to_vec(), "is not a pcap or pcapng capture")]
    #[case::cut_in_record(pcap(&[&[1, 2, 3], &[4; 60]])[..70].to_vec(), "cut short")]
    #[case::cut_in_header(pcap(&[&[1, 2, 3]])[..30].to_vec(), "cut short")]
    #[case::pcapng_cut(vec![0x0a, 0x0d, 0x0d, 0x0a, 28, 0, 0, 0, 0x4d, 0x3c, 0x2b, 0x1a, 1, 0], "cut short")]
    fn bad_files_are_named(#[case] bytes: Vec<u8>, #[case] text: &str) {
        let f = write(&bytes);
        let err = check_shape(f.path()).unwrap_err().to_string();
        assert!(err.contains(text), "{err}");
    }

    #[test]
    fn a_missing_file_is_named() {
        let err = check_shape(Path::new("/nonexistent/lab.pcapng"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("/nonexistent/lab.pcapng"), "{err}");
    }
}
