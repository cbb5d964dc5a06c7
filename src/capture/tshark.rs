//! tshark through rtshark: which fields to ask for, how to read a dissected
//! packet, and the reader thread that drains tshark's output.

use std::path::Path;
use std::thread::JoinHandle;

use rtshark::{RTShark, RTSharkBuilder};

use super::CaptureError;
use super::probe::probe_token;
use crate::wire::{FIELDS, FieldError, FieldSource, Packet};

/// A packet dissected by rtshark, seen through tshark field names.
///
/// With `-e`, rtshark files each field into a layer named after the
/// field's prefix, and starts a new layer whenever the prefix changes, so a
/// protocol's fields may be spread over several layers of that name.
pub(crate) struct PacketFields<'a>(pub &'a rtshark::Packet);

impl FieldSource for PacketFields<'_> {
    fn all(&self, name: &str) -> Vec<&str> {
        let proto = name.split('.').next().unwrap_or(name);
        self.0
            .iter()
            .filter(|layer| layer.name() == proto)
            .flat_map(|layer| layer.iter())
            .filter(|m| m.name() == name)
            .map(|m| m.value())
            .collect()
    }
}

/// What one packet of the capture is to tcplab.
#[derive(Debug)]
pub(crate) enum Item {
    /// One of tcplab's own UDP probes, with its token.
    Probe(u64),
    /// Any other packet: a segment, a broken TCP header, anything else.
    Packet(Box<Packet>),
}

/// Classifies one dissected packet; `probe_port` is the UDP port of the
/// probes, if this capture sends any.
pub(crate) fn classify<S: FieldSource + ?Sized>(
    p: &S,
    probe_port: Option<u16>,
) -> Result<Item, FieldError> {
    let packet = Packet::from_fields(p)?;
    if let Packet::Datagram(d) = &packet {
        if Some(d.dst_port) == probe_port {
            if let Some(token) = probe_token(&d.payload) {
                return Ok(Item::Probe(token));
            }
        }
    }
    Ok(Item::Packet(Box::new(packet)))
}

/// tshark preferences tcplab sets: Teredo on any UDP port, not only 3544
/// (a cheap heuristic, run on UDP only), so IPv6 over Teredo is seen as
/// such and the segment inside it is found.
pub(crate) const PREFERENCES: &[&str] = &["teredo.heuristic_teredo:TRUE"];

/// Starts tshark on `input`, asking for tcplab's fields, and writing what
/// it reads to `save` when given. Both are `/proc/<pid>/fd/<n>` names of
/// descriptors tcplab holds, which are UTF-8 whatever the files' names.
pub(crate) fn spawn(input: &Path, save: Option<&Path>) -> Result<RTShark, CaptureError> {
    let utf8 = |p: &Path| {
        p.to_str().map(str::to_owned).ok_or_else(|| {
            CaptureError::io("starting tshark")(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("`{}` is not UTF-8", crate::fsx::shown(p)),
            ))
        })
    };
    let input = utf8(input)?;
    let save = save.map(utf8).transpose()?;
    let mut b = RTSharkBuilder::builder().input_path(&input);
    for f in FIELDS {
        b = b.metadata_whitelist(f);
    }
    for preference in PREFERENCES {
        b = b.option(preference);
    }
    if let Some(save) = save.as_deref() {
        b = b.output_path(save);
    }
    b.spawn().map_err(|e| {
        // rtshark says "Unable to find tshark" when the program is missing,
        // and "Unable to find <input>" when the input is.
        if e.kind() == std::io::ErrorKind::NotFound
            && e.to_string().starts_with("Unable to find tshark")
        {
            CaptureError::TsharkMissing
        } else {
            CaptureError::io("starting tshark")(e)
        }
    })
}

/// Whether a line tshark wrote on stderr is no error: nothing, or exactly
/// the warning it prints whenever it runs with root's real or effective
/// ids (`Running as user "root" and group "root". This could be
/// dangerous.`). rtshark reports only the first line, so an error after
/// that warning is lost here: [`super::file`] counts frames for that.
pub(crate) fn is_benign_stderr(text: &str) -> bool {
    let line = text.trim_end_matches(['\n', '\r']);
    if line.trim().is_empty() {
        return true;
    }
    let quoted = |s: &str| -> Option<usize> {
        let rest = s.strip_prefix('"')?;
        let end = rest.find('"')?;
        Some(end + 2)
    };
    let Some(rest) = line.strip_prefix("Running as user ") else {
        return false;
    };
    let Some(user) = quoted(rest) else {
        return false;
    };
    let Some(rest) = rest[user..].strip_prefix(" and group ") else {
        return false;
    };
    let Some(group) = quoted(rest) else {
        return false;
    };
    &rest[group..] == ". This could be dangerous."
}

/// What the reader thread reports.
#[derive(Debug)]
pub(crate) enum Event {
    /// One packet, classified.
    Item(Result<Item, FieldError>),
    /// tshark ended: cleanly, or with what it said.
    End(Result<(), String>),
}

/// Drains an already started tshark in a thread of its own and sends
/// every packet to `tx` as it is dissected, so tshark's output never stalls.
///
/// With `last_packet`, the end comes once that many packets have come: a
/// file's packets, counted beforehand. rtshark learns of the end only when
/// tshark has exited, and polls for that every 100 ms; tshark, still
/// freeing its memory after its last packet, is then killed instead.
pub(crate) fn reader_thread(
    mut shark: RTShark,
    probe_port: Option<u16>,
    last_packet: Option<u64>,
    tx: impl Fn(Event) + Send + 'static,
) -> JoinHandle<()> {
    std::thread::Builder::new()
        .name("tcplab-tshark".into())
        .spawn(move || {
            let mut packets = 0;
            loop {
                if last_packet == Some(packets) {
                    break tx(Event::End(Ok(())));
                }
                match shark.read() {
                    Ok(Some(p)) => {
                        packets += 1;
                        tx(Event::Item(classify(&PacketFields(&p), probe_port)));
                    }
                    Ok(None) => break tx(Event::End(Ok(()))),
                    Err(e) if is_benign_stderr(&e.to_string()) => break tx(Event::End(Ok(()))),
                    Err(e) => break tx(Event::End(Err(e.to_string().trim().to_owned()))),
                }
            }
            shark.kill();
        })
        .expect("the OS refused to start a thread")
}

/// Why reading a file ([`super::rows::read_all`]) failed.
pub(crate) enum ReadError {
    /// tshark did not start.
    Spawn(CaptureError),
    /// tshark said this.
    Tshark(String),
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::capture::probe::probe_payload;
    use rstest::rstest;

    #[rstest]
    #[case("", true)]
    #[case("\n", true)]
    #[case(
        "Running as user \"root\" and group \"root\". This could be dangerous.\n",
        true
    )]
    #[case(
        "Running as user \"nobody\" and group \"root\". This could be dangerous.",
        true
    )]
    #[case(
        "Running as user \"root\" and group \"root\". This could be dangerous. tshark: The file is damaged",
        false
    )]
    #[case("Running as user root", false)]
    #[case("tshark: The file \"x\" appears to be damaged or corrupt.\n", false)]
    fn only_the_exact_root_warning_is_benign(#[case] line: &str, #[case] benign: bool) {
        assert_eq!(is_benign_stderr(line), benign, "{line:?}");
    }

    /// A pcap of one IPv4 UDP probe (token 7) per port, loopback to loopback.
    pub(crate) fn probes_pcap(ports: &[u16]) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
        out.extend_from_slice(&[
            2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 0, 0, 0,
        ]);
        for &port in ports {
            let payload = probe_payload(7);
            let mut udp = Vec::new();
            for v in [port, port, 8 + payload.len() as u16, 0] {
                udp.extend_from_slice(&v.to_be_bytes());
            }
            udp.extend_from_slice(&payload);
            let mut ip = vec![0x45, 0];
            ip.extend_from_slice(&(20 + udp.len() as u16).to_be_bytes());
            ip.extend_from_slice(&[0, 0, 0, 0, 64, 17, 0, 0, 127, 0, 0, 1, 127, 0, 0, 1]);
            let sum = ip
                .chunks(2)
                .map(|w| u32::from(u16::from_be_bytes([w[0], w[1]])))
                .sum::<u32>();
            let sum = !((sum & 0xffff) + (sum >> 16)) as u16;
            ip[10..12].copy_from_slice(&sum.to_be_bytes());
            let mut frame = vec![0u8; 12];
            frame.extend_from_slice(&[0x08, 0x00]);
            frame.extend_from_slice(&ip);
            frame.extend_from_slice(&udp);
            for v in [0u32, 0, frame.len() as u32, frame.len() as u32] {
                out.extend_from_slice(&v.to_le_bytes());
            }
            out.extend_from_slice(&frame);
        }
        out
    }

    /// rtshark must really pass the fields as `-e` options (so tshark prints
    /// only them): tshark's command line, read from /proc while it runs,
    /// shows them. Enough packets that tshark is still there to be looked at.
    #[test]
    fn tshark_runs_with_the_fields_as_e_options() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("many.pcap");
        std::fs::write(&path, probes_pcap(&[40000; 3000])).unwrap();
        let mut shark = spawn(&path, None).unwrap();
        assert!(shark.read().unwrap().is_some());
        let pid = shark.pid().unwrap();
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap();
        shark.kill();
        let args: Vec<String> = cmdline
            .split(|&b| b == 0)
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect();
        let e_fields: Vec<&str> = args
            .windows(2)
            .filter(|w| w[0] == "-e")
            .map(|w| w[1].as_str())
            .collect();
        assert_eq!(e_fields, FIELDS, "{args:?}");
    }

    /// A probe whose ephemeral port a dissector claims (DNS, mDNS, SSDP)
    /// has no `data.data`: it once went unrecognised, and the capture never
    /// "started". `udp.payload` is there whatever the port.
    #[test]
    fn probes_are_recognised_on_ports_that_dissectors_claim() {
        let ports = [53, 5353, 1900, 40000];
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("probes.pcap");
        std::fs::write(&path, probes_pcap(&ports)).unwrap();
        let mut shark = spawn(&path, None).unwrap();
        let mut seen = Vec::new();
        while let Ok(Some(p)) = shark.read() {
            let port = ports[seen.len()];
            seen.push(match classify(&PacketFields(&p), Some(port)) {
                Ok(Item::Probe(t)) => Some(t),
                _ => None,
            });
        }
        assert_eq!(seen, vec![Some(7); ports.len()]);
    }
}
