//! A capture of over 200 MB, made up in the test (100 loopback connections,
//! 16 full-size segments each way): `tcplab check` judges every connection
//! and its own memory stays bounded, because it keeps segment headers only.

use std::io::Write;

mod common;

const CONNECTIONS: u16 = 100;
const SEGMENTS: u32 = 16;
const MSS: u32 = 65483;

/// Writes pcap records of full IPv4/TCP frames on Linux's `lo` (Ethernet).
struct Pcap<W: Write> {
    out: W,
    time_us: u64,
    /// Microseconds between two packets.
    step_us: u64,
    written: u64,
}

impl<W: Write> Pcap<W> {
    fn new(mut out: W) -> Pcap<W> {
        out.write_all(&0xa1b2_c3d4u32.to_le_bytes()).unwrap();
        out.write_all(&[2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0])
            .unwrap();
        out.write_all(&262_144u32.to_le_bytes()).unwrap();
        out.write_all(&1u32.to_le_bytes()).unwrap();
        Pcap {
            out,
            time_us: 1_700_000_000_000_000,
            step_us: 10,
            written: 24,
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn segment(
        &mut self,
        src: u16,
        dst: u16,
        flags: u8,
        seq: u32,
        ack: u32,
        len: u32,
        payload: &[u8],
    ) {
        let mut tcp = Vec::with_capacity(20);
        tcp.extend_from_slice(&src.to_be_bytes());
        tcp.extend_from_slice(&dst.to_be_bytes());
        tcp.extend_from_slice(&seq.to_be_bytes());
        tcp.extend_from_slice(&ack.to_be_bytes());
        tcp.extend_from_slice(&[0x50, flags, 0xff, 0xff, 0, 0, 0, 0]);
        let total = 20 + 20 + len as usize;
        let mut ip = vec![0x45, 0];
        ip.extend_from_slice(&(total as u16).to_be_bytes());
        ip.extend_from_slice(&[0, 0, 0x40, 0, 64, 6, 0, 0, 127, 0, 0, 1, 127, 0, 0, 1]);
        let sum: u32 = ip
            .chunks(2)
            .map(|w| u32::from(u16::from_be_bytes([w[0], w[1]])))
            .sum();
        let sum = !((sum & 0xffff) + (sum >> 16)) as u16;
        ip[10..12].copy_from_slice(&sum.to_be_bytes());
        let frame_len = 14 + total as u32;
        self.time_us += self.step_us;
        let (s, us) = (self.time_us / 1_000_000, self.time_us % 1_000_000);
        for v in [s as u32, us as u32, frame_len, frame_len] {
            self.out.write_all(&v.to_le_bytes()).unwrap();
        }
        self.out.write_all(&[0u8; 12]).unwrap();
        self.out.write_all(&[0x08, 0x00]).unwrap();
        self.out.write_all(&ip).unwrap();
        self.out.write_all(&tcp).unwrap();
        self.out.write_all(&payload[..len as usize]).unwrap();
        self.written += 16 + u64::from(frame_len);
    }

    /// One echo connection: handshake, SEGMENTS full segments each way, four-segment close.
    fn connection(&mut self, client: u16, server: u16, payload: &[u8]) {
        self.echo(client, server, SEGMENTS, MSS, payload);
    }

    /// One echo connection: handshake, `segments` of `mss` bytes each way,
    /// four-segment close.
    fn echo(&mut self, client: u16, server: u16, segments: u32, mss: u32, payload: &[u8]) {
        const SYN: u8 = 0x02;
        const ACK: u8 = 0x10;
        const PSH: u8 = 0x08;
        const FIN: u8 = 0x01;
        let (c, s) = (1000u32 + u32::from(client), 5000u32 + u32::from(client));
        self.segment(client, server, SYN, c, 0, 0, payload);
        self.segment(server, client, SYN | ACK, s, c + 1, 0, payload);
        self.segment(client, server, ACK, c + 1, s + 1, 0, payload);
        for i in 0..segments {
            let off = i * mss;
            self.segment(
                client,
                server,
                PSH | ACK,
                c + 1 + off,
                s + 1 + off,
                mss,
                payload,
            );
            self.segment(
                server,
                client,
                PSH | ACK,
                s + 1 + off,
                c + 1 + off + mss,
                mss,
                payload,
            );
        }
        let end = segments * mss;
        self.segment(client, server, ACK, c + 1 + end, s + 1 + end, 0, payload);
        self.segment(
            client,
            server,
            FIN | ACK,
            c + 1 + end,
            s + 1 + end,
            0,
            payload,
        );
        self.segment(server, client, ACK, s + 1 + end, c + 2 + end, 0, payload);
        self.segment(
            server,
            client,
            FIN | ACK,
            s + 1 + end,
            c + 2 + end,
            0,
            payload,
        );
        self.segment(client, server, ACK, c + 2 + end, s + 2 + end, 0, payload);
    }
}

#[test]
fn a_200_mb_capture_is_judged_in_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.pcap");
    let payload = vec![b'x'; MSS as usize];
    let mut pcap = Pcap::new(std::io::BufWriter::new(
        std::fs::File::create(&path).unwrap(),
    ));
    for i in 0..CONNECTIONS {
        pcap.connection(40000 + i, 8000, &payload);
    }
    let size = pcap.written;
    pcap.out.flush().unwrap();
    drop(pcap);
    assert!(size > 200 * 1024 * 1024, "{size}");

    let (code, json, peak) = common::tcplab_peak_rss(&["check", path.to_str().unwrap(), "--json"]);
    assert_eq!(code, 0, "{json}");
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let conns = v["connections"].as_array().unwrap();
    assert_eq!(conns.len(), usize::from(CONNECTIONS));
    for c in conns {
        assert_eq!(c["termination"]["kind"], "four_segment");
        assert_eq!(c["client_bytes"], u64::from(SEGMENTS * MSS));
        assert_eq!(c["segments"], 3 + 2 * SEGMENTS + 5);
    }
    eprintln!(
        "{} MB capture: tcplab peak RSS {} MiB",
        size / 1_000_000,
        peak / 1024
    );
    // Headers only: tens of MiB at most for 3,700 segments, not the 200 MB.
    assert!(peak > 0 && peak < 64 * 1024, "tcplab peak RSS {peak} KiB");
}

/// Many short connections, a millisecond apart: tcplab judges each once it
/// has ended (5 s after its close, by Zeek's rules) and forgets it, so its
/// memory follows the connections open at once (about 500 here), not the
/// 20,000 in the file (over 120 MiB if all were kept).
#[test]
fn many_short_connections_are_judged_and_forgotten() {
    const SHORT: u16 = 20_000;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("short.pcap");
    let mut pcap = Pcap::new(std::io::BufWriter::new(
        std::fs::File::create(&path).unwrap(),
    ));
    pcap.step_us = 1000;
    for i in 0..SHORT {
        pcap.echo(10_000 + i, 8000, 1, 100, &[b'x'; 100]);
    }
    pcap.out.flush().unwrap();
    drop(pcap);
    let (code, json, peak) = common::tcplab_peak_rss(&["check", path.to_str().unwrap(), "--json"]);
    assert_eq!(code, 0, "{}", &json[..json.len().min(2000)]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let conns = v["connections"].as_array().unwrap();
    assert_eq!(conns.len(), usize::from(SHORT));
    assert!(
        conns
            .iter()
            .all(|c| c["termination"]["kind"] == "four_segment")
    );
    eprintln!(
        "{SHORT} short connections: tcplab peak RSS {} MiB",
        peak / 1024
    );
    assert!(peak > 0 && peak < 48 * 1024, "tcplab peak RSS {peak} KiB");
}
