//! Sets of sequence numbers as sorted, disjoint ranges `[lo, hi)`: which
//! numbers one end was seen to send, which the reassembly holds.

/// Sorted, disjoint ranges `[lo, hi)` that do not touch, over relative
/// sequence numbers.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Ranges(Vec<(u64, u64)>);

impl Ranges {
    /// Adds `[lo, hi)` and says whether any of it was there before.
    pub fn insert(&mut self, lo: u64, hi: u64) -> bool {
        if lo >= hi {
            return false;
        }
        // The ranges before `lo` that do not touch it, and those after `hi`.
        let first = self.0.partition_point(|&(_, b)| b < lo);
        let last = self.0.partition_point(|&(a, _)| a <= hi);
        let overlaps = self.0[first..last].iter().any(|&(a, b)| a < hi && lo < b);
        let merged = self.0[first..last]
            .iter()
            .fold((lo, hi), |(l, h), &(a, b)| (l.min(a), h.max(b)));
        self.0.splice(first..last, [merged]);
        overlaps
    }

    /// The ranges, in order.
    pub fn as_slice(&self) -> &[(u64, u64)] {
        &self.0
    }

    /// Numbers held.
    pub fn len(&self) -> u64 {
        self.0.iter().map(|(a, b)| b - a).sum()
    }

    /// Numbers held within `[lo, hi)`.
    pub fn covered(&self, lo: u64, hi: u64) -> u64 {
        self.0
            .iter()
            .map(|&(a, b)| b.min(hi).saturating_sub(a.max(lo)))
            .sum()
    }

    /// Forgets every number below `to`.
    pub fn trim(&mut self, to: u64) {
        self.0.retain(|&(_, b)| b > to);
        if let Some(first) = self.0.first_mut() {
            first.0 = first.0.max(to);
        }
    }

    /// Forgets everything.
    pub fn clear(&mut self) {
        self.0.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_merge_when_they_overlap_or_touch() {
        let mut r = Ranges::default();
        assert!(!r.insert(10, 20));
        assert!(!r.insert(30, 40));
        assert!(!r.insert(20, 25));
        assert_eq!(r.as_slice(), [(10, 25), (30, 40)]);
        assert!(r.insert(24, 31));
        assert_eq!(r.as_slice(), [(10, 40)]);
        assert!(!r.insert(5, 5));
        assert_eq!(r.len(), 30);
        assert_eq!(r.covered(0, 15), 5);
        r.trim(12);
        assert_eq!(r.as_slice(), [(12, 40)]);
    }
}
