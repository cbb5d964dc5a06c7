//! One end of a connection as Zeek keeps it (`TCP_Endpoint`, in
//! `src/analyzer/protocol/tcp/TCP_Endpoint.{h,cc}`): its state, and its
//! sequence numbers as raw 32-bit values with a count of wraps, from which
//! Zeek reads its byte counts (`orig_bytes`, `resp_bytes`).
//!
//! tcplab's own relative numbers ([`super::Step::seq`]) do not need this;
//! the history letters, the states and the byte counts do, because Zeek's
//! rules are written over these values, quirks included.

use super::gaps::Reassembly;
use super::history::Scaled;
use super::ranges::Ranges;
use crate::wire::seq::SeqNumber;

/// An endpoint's state (`EndpointState`, `TCP_Endpoint.h`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EndpointState {
    /// Nothing seen from it yet.
    Inactive,
    /// It sent a SYN.
    SynSent,
    /// It sent a SYN-ACK as the originator (a capture that starts with one).
    SynAckSent,
    /// It sent something other than a SYN first: the capture missed its start.
    Partial,
    /// Past the handshake.
    Established,
    /// It sent a FIN.
    Closed,
    /// It sent a RST.
    Reset,
}

impl EndpointState {
    /// Still in the handshake: inactive, SYN sent or SYN-ACK sent.
    pub fn is_handshake(self) -> bool {
        matches!(
            self,
            EndpointState::Inactive | EndpointState::SynSent | EndpointState::SynAckSent
        )
    }

    /// Inactive or partial, what Zeek's `conn_state` calls inactive
    /// (`scripts/base/protocols/conn/main.zeek`).
    pub fn is_inactive(self) -> bool {
        matches!(self, EndpointState::Inactive | EndpointState::Partial)
    }
}

/// Zeek's largest trusted jump of a SYN's or RST's sequence number, and of
/// an ack of 0 (`TOO_LARGE_SEQ_DELTA`, `TCPSessionAdapter.cc`).
pub(crate) const TOO_LARGE_SEQ_DELTA: i64 = 1_048_576;

/// One end of a connection as Zeek keeps it. See the module documentation.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Endpoint {
    pub state: EndpointState,
    pub prev_state: EndpointState,
    /// The raw number Zeek counts from: the ISN, or the first sequence
    /// number seen minus one.
    pub start: u32,
    /// One past the highest sequence number it sent.
    pub last_seq: u32,
    /// The highest ack the peer sent for its data.
    pub ack_seq: u32,
    pub seq_wraps: u32,
    pub ack_wraps: u32,
    pub fin_count: u32,
    /// Relative number just past its first FIN.
    pub fin_seq: u64,
    pub did_close: bool,
    /// The relative numbers of its last SYN, FIN and RST, for the rule
    /// that writes S, H, F or R again when the number changes.
    pub last_syn: u64,
    pub last_fin: u64,
    pub last_rst: u64,
    pub retransmissions: Scaled,
    pub zero_windows: Scaled,
    pub gaps: Scaled,
    pub reassembly: Reassembly,
    /// The relative numbers of the payload captured from it.
    pub captured: Ranges,
    /// Packets Zeek counted from it (`orig_pkts`/`resp_pkts`).
    pub packets: u64,
}

impl Default for Endpoint {
    fn default() -> Endpoint {
        Endpoint {
            state: EndpointState::Inactive,
            prev_state: EndpointState::Inactive,
            start: 0,
            last_seq: 0,
            ack_seq: 0,
            seq_wraps: 0,
            ack_wraps: 0,
            fin_count: 0,
            fin_seq: 0,
            did_close: false,
            last_syn: 0,
            last_fin: 0,
            last_rst: 0,
            retransmissions: Scaled::default(),
            zero_windows: Scaled::default(),
            gaps: Scaled::default(),
            reassembly: Reassembly::default(),
            captured: Ranges::default(),
            packets: 0,
        }
    }
}

/// Signed distance from `b` to `a` on the sequence circle (`seq_delta`,
/// `src/net_util.h`).
pub(crate) fn seq_delta(a: u32, b: u32) -> i64 {
    SeqNumber(a) - SeqNumber(b)
}

/// A raw number with its wrap count, as a 64-bit position.
fn full(value: u32, wraps: u32) -> u64 {
    (u64::from(wraps) << 32) + u64::from(value)
}

impl Endpoint {
    /// Changes the state, remembering the previous one (`SetState`).
    pub fn set_state(&mut self, state: EndpointState) {
        if state != self.state {
            self.prev_state = self.state;
            self.state = state;
        }
    }

    /// Counts from `seq`, with `last_seq` at `end` (a SYN, or a SYN that
    /// starts the endpoint again).
    pub fn restart(&mut self, seq: u32, end: u32) {
        self.start = seq;
        self.ack_seq = seq;
        self.last_seq = end;
    }

    /// Raises `last_seq` to `seq`, counting a wrap when it goes down.
    pub fn raise_last_seq(&mut self, seq: u32) {
        if seq < self.last_seq {
            self.seq_wraps += 1;
        }
        self.last_seq = seq;
    }

    /// Raises `ack_seq` to `ack`, counting a wrap when it goes down.
    pub fn raise_ack_seq(&mut self, ack: u32) {
        if ack < self.ack_seq {
            self.ack_wraps += 1;
        }
        self.ack_seq = ack;
    }

    /// A position counted from `start` (`ToRelativeSeqSpace`).
    pub fn relative_to_start(&self, value: u32, wraps: u32) -> u64 {
        full(value, wraps).wrapping_sub(u64::from(self.start))
    }

    /// The relative number of `value`, read near `last` with `wraps` wraps
    /// (`get_relative_seq`, `TCPSessionAdapter.cc`), and whether it fell
    /// before `start` without a wrap (an underflow: Zeek then treats it as
    /// no data). Without a wrap the number is the signed distance from
    /// `start`, so, as in Zeek, data more than 2^31 past the ISN of a
    /// connection that never wrapped reads as an underflow.
    pub fn relative(&self, value: u32, last: u32, wraps: u32) -> (u64, bool) {
        let d = seq_delta(value, last);
        let mut w = wraps;
        if d < 0 {
            if w > 0 && value > last {
                w -= 1;
            }
        } else if d > 0 && value < last {
            w += 1;
        }
        if w == 0 {
            let from_start = seq_delta(value, self.start);
            (from_start as u64, from_start < 0)
        } else {
            (self.relative_to_start(value, w), false)
        }
    }

    /// Whether the peer acknowledged none of its data yet (`NoDataAcked`).
    pub fn no_data_acked(&self) -> bool {
        let acked = full(self.ack_seq, self.ack_wraps);
        let start = u64::from(self.start);
        acked == start || acked == start + 1
    }

    /// Zeek's byte count for this end (`TCP_Endpoint::Size`): from `start`
    /// to the highest number it sent or the peer acknowledged, less the SYN
    /// and the FIN. Bytes sent again count once, bytes the capture missed
    /// but the peer acknowledged count, and data on a RST does not (it takes
    /// no sequence space). A half-open connection aborted at once counts 0.
    pub fn size(&self, peer: &Endpoint) -> u64 {
        if self.prev_state == EndpointState::SynSent
            && self.state == EndpointState::Reset
            && peer.state == EndpointState::Inactive
            && !self.no_data_acked()
        {
            return 0;
        }
        let top = full(self.last_seq, self.seq_wraps).max(full(self.ack_seq, self.ack_wraps));
        // Less the SYN (counted as though there was one), and the FIN.
        let size = top.wrapping_sub(u64::from(self.start)).saturating_sub(1);
        if self.fin_count > 0 {
            size.saturating_sub(1)
        } else {
            size
        }
    }

    /// Established, or closed straight from established: an endpoint whose
    /// missing bytes Zeek reports as content gaps (`TCP_Reassembler::Gap`).
    pub fn is_clean(&self) -> bool {
        self.state == EndpointState::Established
            || (self.state == EndpointState::Closed
                && self.prev_state == EndpointState::Established)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_relative_number_behind_the_start_is_an_underflow() {
        let e = Endpoint {
            start: 1000,
            last_seq: 1500,
            ..Endpoint::default()
        };
        assert_eq!(e.relative(1200, e.last_seq, 0), (200, false));
        assert!(e.relative(900, e.last_seq, 0).1);
    }

    #[test]
    fn a_number_past_the_wrap_counts_the_wrap() {
        let e = Endpoint {
            start: 0xffff_ff00,
            last_seq: 0xffff_fff0,
            ..Endpoint::default()
        };
        // 0x20 is 0x30 past 0xffff_fff0: one wrap ahead of the start.
        assert_eq!(e.relative(0x20, e.last_seq, 0), (0x120, false));
    }

    #[test]
    fn the_size_leaves_out_syn_and_fin_and_counts_acknowledged_bytes() {
        let mut e = Endpoint {
            start: 100,
            last_seq: 111,
            ack_seq: 111,
            ..Endpoint::default()
        };
        assert_eq!(e.size(&Endpoint::default()), 10);
        e.fin_count = 1;
        e.last_seq = 112;
        assert_eq!(e.size(&Endpoint::default()), 10);
        // The peer acknowledged 50 bytes more than were seen.
        e.ack_seq = 162;
        assert_eq!(e.size(&Endpoint::default()), 60);
    }
}
