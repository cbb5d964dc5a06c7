//! Sequence numbers: 32-bit, compared modulo 2^32 (RFC 9293, 3.4).

/// `a >= b` in sequence space (RFC 9293, 3.4: comparisons are modulo 2^32).
pub fn seq_ge(a: u32, b: u32) -> bool {
    a.wrapping_sub(b) < 1 << 31
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequence_comparison_wraps() {
        assert!(seq_ge(5, u32::MAX - 5));
        assert!(!seq_ge(u32::MAX - 5, 5));
        assert!(seq_ge(7, 7));
    }
}
