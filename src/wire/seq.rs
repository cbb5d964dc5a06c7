//! TCP sequence numbers: 32-bit values on a circle (RFC 9293, 3.4).
//!
//! [`SeqNumber`] wraps a `u32` so that arithmetic wraps modulo 2^32 and
//! comparisons are sequence-space comparisons: `a < b` means "b is ahead of
//! a by less than 2^31". Plain `u32` comparison is wrong across the wrap
//! (`0xffff_fff0 < 0x10` is false as integers, true as sequence numbers),
//! and this type does not offer it.
//!
//! A connection that moves more than 4 GiB uses every number more than
//! once, so tcplab counts positions on a line instead: a relative number is
//! a `u64`, the bytes since the initial sequence number, recovered from a
//! raw number with [`SeqNumber::unwrap_from`].

use std::cmp::Ordering;
use std::fmt;
use std::ops::{Add, AddAssign, Sub};

/// A TCP sequence or acknowledgment number as on the wire.
///
/// # Comparison caveat
///
/// Sequence space is a circle, so its order is only local:
///
/// * `a < b` holds when `b - a` (modulo 2^32) is in `1..2^31`;
/// * two numbers exactly 2^31 apart are unordered: `partial_cmp` gives `None`
///   and `<`, `>`, `<=`, `>=` are all false (RFC 1982 leaves this undefined);
/// * the order is not transitive once numbers spread over 2^31 or more:
///   with `a = 0`, `b = 0x5000_0000`, `c = 0xa000_0000`, `a < b`, `b < c`
///   and `c < a`.
///
/// So comparisons are meaningful only among numbers within one window
/// (< 2^31) of each other, which is what RFC 9293 requires of live
/// connections. `SeqNumber` therefore implements `PartialOrd` but not `Ord`,
/// and cannot be sorted or used as a `BTreeMap` key by accident.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct SeqNumber(pub u32);

impl SeqNumber {
    /// The number as on the wire.
    pub const fn get(self) -> u32 {
        self.0
    }

    /// Signed distance from `other` to `self`: positive when `self` is
    /// ahead, in `-2^31..2^31`. The same as `self - other`.
    pub const fn distance(self, other: SeqNumber) -> i64 {
        self.0.wrapping_sub(other.0) as i32 as i64
    }

    /// How far `self` is past `base`, counting forward only, modulo 2^32:
    /// what Wireshark shows as a relative number (`tcp.seq`) once it knows
    /// the initial sequence number `base`.
    pub const fn offset_from(self, base: SeqNumber) -> u32 {
        self.0.wrapping_sub(base.0)
    }

    /// The position of `self` on the line of numbers counted from `base`,
    /// taking the one of its positions (all 2^32 apart) that lies within
    /// 2^31 of `near`, another position on that line. `None` when that
    /// position would come before `base`.
    ///
    /// This is how relative numbers past 4 GiB are recovered: `near` is the
    /// relative number seen last in the same direction, and a real
    /// connection never jumps by 2^31 or more between two segments.
    pub fn unwrap_from(self, base: SeqNumber, near: u64) -> Option<u64> {
        // Truncating `near` is reducing it modulo 2^32: its place on the circle.
        let near_on_circle = base + near as u32;
        near.checked_add_signed(self - near_on_circle)
    }
}

impl PartialOrd for SeqNumber {
    /// Sequence-space order; `None` for two numbers exactly 2^31 apart.
    /// See the type's documentation for why this is not a total order.
    fn partial_cmp(&self, other: &SeqNumber) -> Option<Ordering> {
        match self.0.wrapping_sub(other.0) {
            0 => Some(Ordering::Equal),
            0x8000_0000 => None,
            d if d < 0x8000_0000 => Some(Ordering::Greater),
            _ => Some(Ordering::Less),
        }
    }
}

impl From<u32> for SeqNumber {
    fn from(n: u32) -> SeqNumber {
        SeqNumber(n)
    }
}

impl fmt::Display for SeqNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl Add<u32> for SeqNumber {
    type Output = SeqNumber;
    /// Moves forward `rhs` numbers, wrapping modulo 2^32.
    fn add(self, rhs: u32) -> SeqNumber {
        SeqNumber(self.0.wrapping_add(rhs))
    }
}

impl AddAssign<u32> for SeqNumber {
    fn add_assign(&mut self, rhs: u32) {
        *self = *self + rhs;
    }
}

impl Sub<u32> for SeqNumber {
    type Output = SeqNumber;
    /// Moves back `rhs` numbers, wrapping modulo 2^32.
    fn sub(self, rhs: u32) -> SeqNumber {
        SeqNumber(self.0.wrapping_sub(rhs))
    }
}

impl Sub for SeqNumber {
    type Output = i64;
    /// The signed distance [`SeqNumber::distance`]: `(a + n) - a == n` for
    /// every `n < 2^31`, across the wrap.
    fn sub(self, rhs: SeqNumber) -> i64 {
        self.distance(rhs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rstest::rstest;

    const HALF: u32 = 1 << 31;

    #[rstest]
    #[case(0xffff_fff0, 0x10, Some(Ordering::Less))]
    #[case(0x10, 0xffff_fff0, Some(Ordering::Greater))]
    #[case(5, 5, Some(Ordering::Equal))]
    #[case(0, HALF - 1, Some(Ordering::Less))]
    #[case(0, HALF, None)]
    #[case(0, HALF + 1, Some(Ordering::Greater))]
    fn pinned_comparisons(#[case] a: u32, #[case] b: u32, #[case] want: Option<Ordering>) {
        assert_eq!(SeqNumber(a).partial_cmp(&SeqNumber(b)), want);
    }

    #[test]
    #[allow(clippy::neg_cmp_op_on_partial_ord)] // the point of the test
    fn numbers_half_the_circle_apart_are_unordered() {
        let (a, b) = (SeqNumber(7), SeqNumber(7 + HALF));
        assert!(!(a < b) && !(a > b) && !(a <= b) && !(a >= b));
    }

    #[test]
    fn the_order_is_not_transitive_over_half_the_circle() {
        let (a, b, c) = (SeqNumber(0), SeqNumber(0x5000_0000), SeqNumber(0xa000_0000));
        assert!(a < b && b < c && c < a);
    }

    #[test]
    fn arithmetic_wraps() {
        let s = SeqNumber(u32::MAX - 1);
        assert_eq!(s + 3, SeqNumber(1));
        assert_eq!(SeqNumber(1) - 3u32, s);
        assert_eq!(SeqNumber(1) - s, 3);
        assert_eq!(s - SeqNumber(1), -3);
        assert_eq!(SeqNumber(0) - SeqNumber(HALF), -(1i64 << 31));
        let mut t = s;
        t += 2;
        assert_eq!(t, SeqNumber(0));
    }

    /// The seed's ISN (4,000,000,000) wraps within its first 300 MB: a
    /// number after the wrap is still far along the line, not near its start.
    #[rstest]
    #[case::before_the_wrap(4_000_000_000, 4_000_000_480, 0, Some(480))]
    #[case::after_the_wrap(4_000_000_000, 5, 294_967_000, Some(294_967_301))]
    #[case::second_lap(7, 7, (1 << 32) + 100, Some(1 << 32))]
    #[case::just_behind_near(1000, 1000 + 10, 20, Some(10))]
    #[case::before_the_base(1000, 990, 5, None)]
    fn unwrapping_finds_the_position_near_the_last_one(
        #[case] base: u32,
        #[case] raw: u32,
        #[case] near: u64,
        #[case] want: Option<u64>,
    ) {
        assert_eq!(SeqNumber(raw).unwrap_from(SeqNumber(base), near), want);
    }

    proptest! {
        #[test]
        fn adding_then_subtracting_is_the_distance(a: u32, n in 0u32..HALF) {
            let a = SeqNumber(a);
            prop_assert_eq!((a + n) - a, i64::from(n));
            prop_assert_eq!(a - (a + n), -i64::from(n));
            prop_assert_eq!((a + n).offset_from(a), n);
            prop_assert_eq!((a + n) - n, a);
        }

        #[test]
        fn ahead_by_less_than_half_is_greater(a: u32, n in 1u32..HALF) {
            let (a, b) = (SeqNumber(a), SeqNumber(a) + n);
            prop_assert!(a < b);
            prop_assert!(b > a);
            prop_assert!(a <= b);
        }

        #[test]
        fn order_is_the_same_after_any_shift(a: u32, b: u32, k: u32) {
            let (a, b) = (SeqNumber(a), SeqNumber(b));
            prop_assert_eq!(a.partial_cmp(&b), (a + k).partial_cmp(&(b + k)));
        }

        #[test]
        fn order_is_antisymmetric(a: u32, b: u32) {
            let (a, b) = (SeqNumber(a), SeqNumber(b));
            prop_assert_eq!(a.partial_cmp(&b), b.partial_cmp(&a).map(Ordering::reverse));
            prop_assert_eq!(a.partial_cmp(&b).is_none(), a.0.wrapping_sub(b.0) == HALF);
        }

        #[test]
        fn distance_sign_agrees_with_order(a: u32, b: u32) {
            let (a, b) = (SeqNumber(a), SeqNumber(b));
            prop_assume!(a.partial_cmp(&b).is_some());
            prop_assert_eq!(a.partial_cmp(&b), Some((a - b).cmp(&0)));
        }

        /// Any position on the line comes back from its number on the
        /// circle, given a position less than 2^31 away from it.
        #[test]
        fn unwrapping_recovers_any_position_near_the_last(
            base: u32,
            position in 0u64..(1 << 40),
            step in -(i64::from(HALF) - 1)..i64::from(HALF),
        ) {
            let near = position.saturating_add_signed(step);
            prop_assume!(near.abs_diff(position) < u64::from(HALF));
            let base = SeqNumber(base);
            let raw = base + position as u32;
            prop_assert_eq!(raw.unwrap_from(base, near), Some(position));
        }
    }
}
