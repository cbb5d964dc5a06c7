//! tshark through rtshark: which fields to ask for, how to read a dissected
//! packet, and the reader thread that drains tshark's output.

use std::path::Path;
use std::sync::mpsc as std_mpsc;
use std::thread::JoinHandle;

use rtshark::{Packet, RTShark, RTSharkBuilder};

use crate::segment::{FIELDS, FieldError, FieldSource, Segment};

/// A dissected packet seen through tshark field names.
pub(crate) struct PacketFields<'a>(pub &'a Packet);

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
    /// A TCP segment.
    Segment(Segment),
    /// One of tcplab's own UDP probes, with its token.
    Probe(u64),
    /// Anything else (UDP, ICMP, other protocols): counted, not judged.
    Other,
}

/// The payload prefix of tcplab's probes.
pub(crate) const PROBE_PREFIX: &[u8] = b"tcplab-probe:";

/// Classifies one dissected packet; `probe_port` is the UDP port of the
/// probes, if this capture sends any.
pub(crate) fn classify(p: &Packet, probe_port: Option<u16>) -> Result<Item, FieldError> {
    let fields = PacketFields(p);
    // ICMP errors quote a TCP header: not a segment of the connection.
    if p.layer_name("icmp").is_some() || p.layer_name("icmpv6").is_some() {
        return Ok(Item::Other);
    }
    if let Some(port) = probe_port {
        if fields.get("udp.dstport") == Some(port.to_string().as_str()) {
            return Ok(match fields.get("data.data").and_then(probe_token) {
                Some(t) => Item::Probe(t),
                None => Item::Other,
            });
        }
    }
    if p.layer_name("tcp").is_some() {
        return Segment::from_fields(&fields).map(Item::Segment);
    }
    Ok(Item::Other)
}

/// Reads a probe token back from tshark's hex display of the UDP payload.
fn probe_token(hex: &str) -> Option<u64> {
    let digits: String = hex.chars().filter(|c| c.is_ascii_hexdigit()).collect();
    let bytes: Vec<u8> = (0..digits.len() / 2)
        .map(|i| u8::from_str_radix(&digits[2 * i..2 * i + 2], 16))
        .collect::<Result<_, _>>()
        .ok()?;
    let rest = bytes.strip_prefix(PROBE_PREFIX)?;
    std::str::from_utf8(rest).ok()?.parse().ok()
}

/// The probe payload for `token`.
pub(crate) fn probe_payload(token: u64) -> Vec<u8> {
    let mut v = PROBE_PREFIX.to_vec();
    v.extend_from_slice(token.to_string().as_bytes());
    v
}

/// Starts tshark on `input` (a file or a FIFO), asking for tcplab's fields.
pub(crate) fn spawn(input: &Path, save: Option<&Path>) -> std::io::Result<RTShark> {
    let input = input.to_string_lossy().into_owned();
    let save = save.map(|p| p.to_string_lossy().into_owned());
    let mut b = RTSharkBuilder::builder().input_path(&input);
    for f in FIELDS {
        b = b.metadata_whitelist(f);
    }
    if let Some(save) = save.as_deref() {
        b = b.output_path(save);
    }
    b.spawn()
}

/// tshark as root warns about it on stderr; rtshark reports that line as an
/// error when tshark ends. It is not one.
pub(crate) fn is_benign_stderr(text: &str) -> bool {
    text.trim().is_empty() || text.starts_with("Running as user")
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
pub(crate) fn reader_thread(
    mut shark: RTShark,
    probe_port: Option<u16>,
    tx: impl Fn(Event) + Send + 'static,
) -> JoinHandle<()> {
    std::thread::Builder::new()
        .name("tcplab-tshark".into())
        .spawn(move || {
            loop {
                match shark.read() {
                    Ok(Some(p)) => tx(Event::Item(classify(&p, probe_port))),
                    Ok(None) => break tx(Event::End(Ok(()))),
                    Err(e) if is_benign_stderr(&e.to_string()) => break tx(Event::End(Ok(()))),
                    Err(e) => break tx(Event::End(Err(e.to_string().trim().to_owned()))),
                }
            }
            shark.kill();
        })
        .expect("the OS refused to start a thread")
}

/// Reads a whole file through tshark in this thread, calling `each` per packet.
pub(crate) fn read_all(
    input: &Path,
    mut each: impl FnMut(Result<Item, FieldError>),
) -> Result<(), ReadError> {
    let shark = spawn(input, None).map_err(ReadError::Spawn)?;
    let (tx, rx) = std_mpsc::channel();
    let handle = reader_thread(shark, None, move |e| {
        let _ = tx.send(e);
    });
    let mut result = Ok(());
    for event in rx {
        match event {
            Event::Item(i) => each(i),
            Event::End(Err(e)) => result = Err(ReadError::Tshark(e)),
            Event::End(Ok(())) => {}
        }
    }
    let _ = handle.join();
    result
}

/// Why [`read_all`] failed.
pub(crate) enum ReadError {
    /// tshark did not start.
    Spawn(std::io::Error),
    /// tshark said this.
    Tshark(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probe_tokens_round_trip_through_tshark_hex() {
        let hex: Vec<String> = probe_payload(42)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(probe_token(&hex.join(":")), Some(42));
        assert_eq!(probe_token(&hex.concat()), Some(42));
        assert_eq!(probe_token("41:41"), None);
    }
}
