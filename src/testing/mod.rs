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
use crate::wire::{Flags, Segment};

/// The client's address in the built segments.
pub const CLIENT: &str = "127.0.0.1:53202";
/// The server's address in the built segments.
pub const SERVER: &str = "127.0.0.1:8000";
/// The client's initial sequence number: close enough to 2^32 that the
/// seed's exchange wraps it.
pub const CLIENT_ISN: u32 = 4_000_000_000;
/// The server's initial sequence number.
pub const SERVER_ISN: u32 = 1_000;

/// A segment from `from` with relative numbers (as a ladder shows them)
/// turned into raw ones; frame `n` is captured at 1000 + n ms. tshark's
/// relative numbers are set to the same values.
pub fn seg(frame: u64, from: Role, flags: Flags, seq: u32, ack: u32, len: u32) -> Segment {
    let (src, dst, own, peer) = match from {
        Role::Client => (CLIENT, SERVER, CLIENT_ISN, SERVER_ISN),
        Role::Server => (SERVER, CLIENT, SERVER_ISN, CLIENT_ISN),
    };
    Segment {
        frame,
        time: 1000.0 + frame as f64 * 0.001,
        src: src.parse().expect("a socket address"),
        dst: dst.parse().expect("a socket address"),
        flags,
        seq_raw: own.wrapping_add(seq),
        ack_raw: if flags.ack() {
            peer.wrapping_add(ack)
        } else {
            0
        },
        tshark_seq: Some(seq),
        tshark_ack: flags.ack().then_some(ack),
        stream: Some(0),
        len,
        window: 512,
        window_scaled: Some(65536),
        options: Default::default(),
        analysis: Default::default(),
    }
}

/// The seed's lab (479 then 1380 bytes, each echoed) up to the close,
/// followed by the given closing segments `(from, flags, seq, ack)`, all
/// without payload; frames count from 1.
pub fn lab(close: &[(Role, Flags, u32, u32)]) -> Vec<Segment> {
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
