//! Content gaps: bytes a peer acknowledged that were never on the capture,
//! found as Zeek's reassembler finds them (`TCP_Reassembler::DataSent`,
//! `AckReceived`, `Undelivered` and `Gap` in
//! `src/analyzer/protocol/tcp/TCP_Reassembler.cc`, the block list in
//! `src/Reassem.cc`), for the history's `G` and Zeek's `missed_bytes`.
//!
//! Only sequence ranges are kept, never payload. Per direction, in numbers
//! relative to the endpoint's start (data begins at 1): how far the stream
//! was delivered in order, how far the peer's acks trimmed it, and the
//! ranges captured beyond. An ack past the delivered point reports every
//! hole below it as a gap, but only while both ends are established (or
//! closed straight from established): a capture that missed the handshake,
//! or a RST, never makes a gap (`report_gaps_for_partial = F`,
//! `scripts/base/init-bare.zeek`).
//!
//! tcplab takes a segment's payload as captured even when the capture's
//! snapshot length cut it (the length comes from the IP header), so unlike
//! Zeek it reports no gap for payload cut by the snapshot length.

use super::history::Counted;
use super::ranges::Ranges;
use super::zeek::Zeek;

/// Zeek's `tcp_max_initial_window`: past this many bytes sent with none
/// acknowledged, delivered data is no longer held.
const MAX_INITIAL_WINDOW: u64 = 16_384;
/// Zeek's `tcp_max_above_hole_without_any_acks`.
const MAX_ABOVE_HOLE_WITHOUT_ACKS: u64 = 16_384;
/// Zeek's `tcp_excessive_data_without_further_acks`: 10 MiB.
const EXCESSIVE_DATA_WITHOUT_ACKS: u64 = 10 * 1024 * 1024;

/// One direction's reassembly state, ranges only.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Reassembly {
    /// Delivered in order up to here.
    delivered: u64,
    /// Trimmed by acks up to here.
    trimmed: u64,
    /// Captured ranges `[lo, hi)` not yet trimmed: sorted, disjoint, not
    /// touching.
    ranges: Ranges,
    /// Zeek gave up on this direction (too much unacknowledged data).
    skipping: bool,
}

impl Default for Reassembly {
    fn default() -> Reassembly {
        Reassembly {
            delivered: 1,
            trimmed: 1,
            ranges: Ranges::default(),
            skipping: false,
        }
    }
}

impl Reassembly {
    /// Delivers what is contiguous with the delivered point.
    fn advance(&mut self) {
        if let Some(&(a, b)) = self
            .ranges
            .as_slice()
            .iter()
            .find(|&&(_, b)| b > self.delivered)
        {
            if a <= self.delivered {
                self.delivered = b;
            }
        }
    }

    /// Bytes held above the delivered point, to the highest one.
    fn undelivered(&self) -> u64 {
        match self.ranges.as_slice().last() {
            Some(&(_, b)) if b > self.delivered => b - self.delivered,
            _ => 0,
        }
    }

    /// The start of the first range at or past the delivered point.
    fn next_above_delivered(&self) -> Option<u64> {
        self.ranges
            .as_slice()
            .iter()
            .map(|&(a, _)| a)
            .find(|&a| a >= self.delivered)
    }
}

impl Zeek {
    /// Endpoint `e` sent `len` bytes at relative number `seq`
    /// (`TCP_Reassembler::DataSent`).
    pub(super) fn data_sent(&mut self, e: usize, seq: u64, len: u64) {
        let end = &self.ends[e];
        if end.reassembly.skipping {
            return;
        }
        let (mut lo, hi) = (seq, seq.saturating_add(len));
        // Bytes already acknowledged were delivered before.
        let acked = end.relative_to_start(end.ack_seq, end.ack_wraps);
        if lo < acked {
            if hi <= acked {
                return;
            }
            lo = acked;
        }
        let r = &mut self.ends[e].reassembly;
        if hi <= r.trimmed {
            return;
        }
        lo = lo.max(r.trimmed);
        let before = r.delivered;
        r.ranges.insert(lo, hi);
        r.advance();
        let filled_hole = r.delivered > before;
        // `BlockInserted`: nothing of ours acknowledged after more than an
        // initial window: the peer's acks are not on the capture, so do not
        // hold what was delivered.
        if filled_hole
            && self.ends[e].no_data_acked()
            && self.ends[e].size(&self.ends[1 - e]) > MAX_INITIAL_WINDOW
        {
            let to = self.ends[e].reassembly.delivered;
            self.trim(e, to);
        }
        let end = &mut self.ends[e];
        let none_acked = end.no_data_acked();
        let r = &mut end.reassembly;
        if (none_acked && r.undelivered() > MAX_ABOVE_HOLE_WITHOUT_ACKS)
            || r.ranges.len() > EXCESSIVE_DATA_WITHOUT_ACKS
        {
            r.ranges.clear();
            r.skipping = true;
        }
    }

    /// The peer acknowledged endpoint `e`'s data up to relative number
    /// `ack` (`TCP_Reassembler::AckReceived`).
    pub(super) fn ack_received(&mut self, e: usize, ack: u64) {
        let end = &self.ends[e];
        // An ack of the FIN is not an ack of data.
        let ack = if end.fin_count > 0 && ack >= end.fin_seq {
            end.fin_seq.wrapping_sub(1)
        } else {
            ack
        };
        if ack <= end.reassembly.trimmed {
            return;
        }
        self.trim(e, ack);
    }

    /// Forgets endpoint `e`'s data below `to`, reporting what was never
    /// delivered below it (`DataBlockList::Trim`).
    fn trim(&mut self, e: usize, to: u64) {
        if to > self.ends[e].reassembly.delivered {
            self.undelivered(e, to);
        }
        let r = &mut self.ends[e].reassembly;
        r.ranges.trim(to);
        r.advance();
        r.trimmed = to;
    }

    /// Reports every hole in endpoint `e`'s data below `to`
    /// (`TCP_Reassembler::Undelivered`).
    fn undelivered(&mut self, e: usize, to: u64) {
        // A connection that missed its start faked its first numbers: a
        // first ack right there is no hole.
        if to <= 2 && self.is_partial {
            return;
        }
        if !self.ends[e].reassembly.skipping {
            while let Some(a) = self.ends[e].reassembly.next_above_delivered() {
                if a >= to {
                    break;
                }
                let delivered = self.ends[e].reassembly.delivered;
                self.gap(e, a - delivered);
                let r = &mut self.ends[e].reassembly;
                r.delivered = a;
                r.advance();
            }
            let delivered = self.ends[e].reassembly.delivered;
            if to > delivered {
                self.gap(e, to - delivered);
            }
        }
        let r = &mut self.ends[e].reassembly;
        r.delivered = r.delivered.max(to);
    }

    /// `len` bytes of endpoint `e` were never captured
    /// (`TCP_Reassembler::Gap`): a `G`, if both ends are established.
    fn gap(&mut self, e: usize, len: u64) {
        if len > 0 && self.ends[e].is_clean() && self.ends[1 - e].is_clean() {
            self.count(e, Counted::Gap);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connection::{Role, group};
    use crate::testing::seg;
    use crate::wire::Flags;
    use Role::{Client as C, Server as S};

    const SYN: Flags = Flags::SYN;
    const ACK: Flags = Flags::ACK;

    /// The handshake, then 100 client bytes of which the capture missed
    /// the 40 at 21..61; the server acknowledges all 100.
    fn with_a_hole(ack_all: bool) -> Vec<crate::wire::Segment> {
        let mut v = vec![
            seg(1, C, SYN, 0, 0, 0),
            seg(2, S, SYN | ACK, 0, 1, 0),
            seg(3, C, ACK, 1, 1, 0),
            seg(4, C, ACK, 1, 1, 20),
            seg(5, C, ACK, 61, 1, 40),
        ];
        if ack_all {
            v.push(seg(6, S, ACK, 1, 101, 0));
        }
        v
    }

    #[test]
    fn bytes_acknowledged_but_never_captured_are_a_gap() {
        let c = &group(with_a_hole(true), None)[0];
        assert_eq!(c.history(), "ShADaG");
        assert_eq!(c.bytes_sent(Role::Client), 100);
        assert_eq!(c.missed_bytes(Role::Client), 40);
        assert_eq!(c.packets(Role::Client), 4);
    }

    #[test]
    fn a_hole_not_acknowledged_yet_is_no_gap_but_is_missed() {
        let c = &group(with_a_hole(false), None)[0];
        assert_eq!(c.history(), "ShAD");
        assert_eq!(c.bytes_sent(Role::Client), 100);
        assert_eq!(c.missed_bytes(Role::Client), 40);
    }

    /// A capture that missed the handshake reports no gap (Zeek's
    /// `report_gaps_for_partial = F`), though the bytes still count.
    #[test]
    fn a_partial_connection_reports_no_gap() {
        let segs: Vec<_> = with_a_hole(true).into_iter().skip(3).collect();
        let c = &group(segs, None)[0];
        assert!(
            !c.history().as_str().contains(['g', 'G']),
            "{}",
            c.history()
        );
        assert_eq!(c.missed_bytes(Role::Client), 40);
    }

    #[test]
    fn ranges_deliver_in_order() {
        let mut r = Reassembly::default();
        r.ranges.insert(11, 21);
        r.advance();
        assert_eq!((r.delivered, r.undelivered()), (1, 20));
        assert_eq!(r.next_above_delivered(), Some(11));
        r.ranges.insert(1, 11);
        r.advance();
        assert_eq!((r.delivered, r.undelivered()), (21, 0));
    }
}
