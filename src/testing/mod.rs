//! Builders for tests: the seed's lab as a list of segments, single
//! segments written with relative numbers, as a ladder shows them, and
//! capture files byte by byte ([`captures`]).
//!
//! Available to tcplab's own tests and, with the `test-support` feature, to
//! anyone's:
//!
//! ```
//! # #[cfg(feature = "test-support")] {
//! use tcplab::connection::{Role, group};
//! use tcplab::testing::four_segment;
//! let conn = group(four_segment(), None).remove(0);
//! assert_eq!(conn.history(), "ShADadFf");
//! # }
//! ```

pub mod captures;

use crate::connection::Role;
use crate::wire::seq::SeqNumber;
use crate::wire::{Flags, Segment};

/// The client's address in the built segments.
pub const CLIENT: &str = "127.0.0.1:53202";
/// The server's address in the built segments.
pub const SERVER: &str = "127.0.0.1:8000";
/// The client's initial sequence number: close enough to 2^32 that the
/// seed's exchange wraps it.
pub const CLIENT_ISN: SeqNumber = SeqNumber(4_000_000_000);
/// The server's initial sequence number.
pub const SERVER_ISN: SeqNumber = SeqNumber(1_000);

/// The raw number `relative` positions past `isn`, wrapping modulo 2^32
/// as the wire does.
fn raw(isn: SeqNumber, relative: u64) -> SeqNumber {
    // Truncation is reduction modulo 2^32.
    isn + relative as u32
}

/// A segment from `from` with relative numbers (as a ladder shows them)
/// turned into raw ones; frame `n` is captured at 1000 + n ms. tshark's
/// relative numbers are set to the same values, wrapped at 2^32 as tshark
/// wraps them.
pub fn seg(frame: u64, from: Role, flags: Flags, seq: u64, ack: u64, len: u32) -> Segment {
    let (src, dst, own, peer) = match from {
        Role::Client => (CLIENT, SERVER, CLIENT_ISN, SERVER_ISN),
        Role::Server => (SERVER, CLIENT, SERVER_ISN, CLIENT_ISN),
    };
    Segment {
        frame,
        time: 1000.0 + frame as f64 * 0.001,
        src: src.parse().expect("a socket address"),
        dst: dst.parse().expect("a socket address"),
        tunnel: None,
        flags,
        seq_raw: raw(own, seq),
        ack_raw: if flags.ack() {
            raw(peer, ack)
        } else {
            SeqNumber(0)
        },
        // Truncation is tshark's wrap at 2^32.
        tshark_seq: Some(seq as u32),
        tshark_ack: flags.ack().then_some(ack as u32),
        stream: Some(0),
        len,
        window: 512,
        window_scaled: Some(65536),
        options: Default::default(),
        malformed: Vec::new(),
    }
}

/// `segments` with a copy of the one at `index` sent again right after it:
/// a retransmission. Frames are numbered again from 1, each captured at
/// 1000 + frame ms.
pub fn resend(mut segments: Vec<Segment>, index: usize) -> Vec<Segment> {
    let again = segments[index].clone();
    segments.insert(index + 1, again);
    for (i, s) in segments.iter_mut().enumerate() {
        s.frame = i as u64 + 1;
        s.time = 1000.0 + s.frame as f64 * 0.001;
    }
    segments
}

/// The seed's lab (479 then 1380 bytes, each echoed) up to the close,
/// followed by the given closing segments `(from, flags, seq, ack)`, all
/// without payload; frames count from 1.
pub fn lab(close: &[(Role, Flags, u64, u64)]) -> Vec<Segment> {
    use Role::{Client as C, Server as S};
    let (syn, ack, psh) = (Flags::SYN, Flags::ACK, Flags::PSH);
    let mut v = vec![
        seg(1, C, syn, 0, 0, 0),
        seg(2, S, syn | ack, 0, 1, 0),
        seg(3, C, ack, 1, 1, 0),
        seg(4, C, psh | ack, 1, 1, 479),
        seg(5, S, ack, 1, 480, 0),
        seg(6, S, psh | ack, 1, 480, 479),
        seg(7, C, ack, 480, 480, 0),
        seg(8, C, psh | ack, 480, 480, 1380),
        seg(9, S, psh | ack, 480, 1860, 1380),
    ];
    for (i, &(from, flags, seq, ack)) in close.iter().enumerate() {
        v.push(seg(10 + i as u64, from, flags, seq, ack, 0));
    }
    v
}

/// The seed's lab with the four-segment close: client FIN, server ACK,
/// server FIN, client ACK (frames 10 to 13).
pub fn four_segment() -> Vec<Segment> {
    use Role::{Client as C, Server as S};
    let (ack, fin) = (Flags::ACK, Flags::FIN);
    lab(&[
        (C, fin | ack, 1860, 1860),
        (S, ack, 1860, 1861),
        (S, fin | ack, 1860, 1861),
        (C, ack, 1861, 1861),
    ])
}

/// The seed's lab with the three-segment close: client FIN, server FIN+ACK,
/// client ACK (frames 10 to 12).
pub fn three_segment() -> Vec<Segment> {
    use Role::{Client as C, Server as S};
    let (ack, fin) = (Flags::ACK, Flags::FIN);
    lab(&[
        (C, fin | ack, 1860, 1860),
        (S, fin | ack, 1860, 1861),
        (C, ack, 1861, 1861),
    ])
}

/// The seed's own client: it resets the connection after reading 1024 of
/// the 1380 bytes echoed (frame 10).
pub fn seed_client_reset() -> Vec<Segment> {
    lab(&[(Role::Client, Flags::RST | Flags::ACK, 1860, 1860)])
}

/// A bulk upload: the handshake, then the client sends `bytes` bytes in
/// segments of `segment_len` (the last one shorter), each acknowledged by
/// the server at once, then the four-segment close. With the client's ISN
/// near 2^32 its numbers wrap after some 295 MB, and again every 4 GiB.
pub fn upload(bytes: u64, segment_len: u32) -> Vec<Segment> {
    use Role::{Client as C, Server as S};
    let (syn, ack, psh, fin) = (Flags::SYN, Flags::ACK, Flags::PSH, Flags::FIN);
    let mut v = vec![
        seg(1, C, syn, 0, 0, 0),
        seg(2, S, syn | ack, 0, 1, 0),
        seg(3, C, ack, 1, 1, 0),
    ];
    let mut sent = 0;
    while sent < bytes {
        let len = u32::try_from(bytes - sent).map_or(segment_len, |left| left.min(segment_len));
        let frame = v.len() as u64 + 1;
        v.push(seg(frame, C, psh | ack, 1 + sent, 1, len));
        sent += u64::from(len);
        v.push(seg(frame + 1, S, ack, 1, 1 + sent, 0));
    }
    let end = 1 + bytes;
    let frame = v.len() as u64 + 1;
    v.extend([
        seg(frame, C, fin | ack, end, 1, 0),
        seg(frame + 1, S, ack, 1, end + 1, 0),
        seg(frame + 2, S, fin | ack, 1, end + 1, 0),
        seg(frame + 3, C, ack, end + 1, 2, 0),
    ]);
    v
}
