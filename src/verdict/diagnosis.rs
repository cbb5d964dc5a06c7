//! Plain-words causes of failed checks, where tcplab knows them.

use super::{Check, TerminationKind, Verdict};

impl Verdict {
    /// Why the failed checks failed, in plain words, where tcplab knows;
    /// empty when every check passed.
    pub fn diagnosis(&self) -> Vec<String> {
        if self.passed() {
            return vec![];
        }
        let f = &self.findings;
        let mut out = Vec::new();
        let failed = |check: Check| self.check(check).is_some_and(|c| !c.passed);
        if failed(Check::Termination) {
            out.push(match f.termination.kind {
                TerminationKind::Reset | TerminationKind::Refused | TerminationKind::Incomplete => {
                    f.termination.why.clone()
                }
                TerminationKind::ThreeSegment => "the server closed within Linux's delayed-ACK time (about 40 ms), so its ACK of the client's FIN rode on its own FIN: three segments, not four; make the server acknowledge first (TCP_QUICKACK after reading EOF) or close later".to_owned(),
                TerminationKind::FourSegment => "the close was the four-segment one; the expectation asked for another".to_owned(),
                TerminationKind::Simultaneous => "both ends closed at the same moment".to_owned(),
            });
        }
        if f.retransmissions > 0 {
            out.push(format!(
                "{} segment(s) were retransmitted (sent twice on the capture, or what Wireshark calls a retransmission): the network lost or delayed them, or the capture missed the originals",
                f.retransmissions
            ));
        }
        if failed(Check::Handshake) && f.termination.kind != TerminationKind::Refused {
            out.push(f.handshake.why.clone());
        }
        if failed(Check::RelativeNumbers) {
            out.push("tcplab's relative sequence numbers disagree with tshark's: please report this with the capture".to_owned());
        }
        out
    }
}
