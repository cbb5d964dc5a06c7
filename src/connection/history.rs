//! Zeek's connection history (`conn.log`'s `history` field).

use super::{Connection, Role};

impl Connection {
    /// Zeek's connection history: one letter per event, upper case from the
    /// client, lower case from the server, each letter once per direction.
    ///
    /// `S` SYN, `H` SYN-ACK, `A` pure ACK, `D` payload, `F` FIN, `R` RST,
    /// `T` retransmission, `W` zero window. The seed's orderly lab reads `ShADadFf`.
    pub fn history(&self) -> String {
        let mut out = String::new();
        let mut seen: Vec<char> = Vec::new();
        let mut note = |c: char, role: Role| {
            let c = match role {
                Role::Client => c.to_ascii_uppercase(),
                Role::Server => c.to_ascii_lowercase(),
            };
            if !seen.contains(&c) {
                seen.push(c);
                out.push(c);
            }
        };
        for s in &self.steps {
            let f = s.segment.flags;
            if f.syn() && !f.ack() {
                note('S', s.from);
            }
            if f.syn() && f.ack() {
                note('H', s.from);
            }
            if s.segment.is_pure_ack() {
                note('A', s.from);
            }
            if s.segment.len > 0 {
                note('D', s.from);
            }
            if f.fin() {
                note('F', s.from);
            }
            if f.rst() {
                note('R', s.from);
            }
            if s.is_retransmission() {
                note('T', s.from);
            }
            if s.analysis.zero_window {
                note('W', s.from);
            }
        }
        out
    }
}
