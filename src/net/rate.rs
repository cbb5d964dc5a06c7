//! A link's rate, checked before `tc` sees it.
//!
//! tc reads a rate with `strtod` and a unit, then keeps whole bytes per
//! second, so it takes values no one means (`-5mbit` becomes 18446744
//! Tbit/s, `nan` 0 bit/s, `0x10kbit` 16 kbit/s) and refuses others with a
//! misleading usage text (`1bit`: `tbf: the "rate" parameter is
//! mandatory.`). A [`Rate`] is only a plain decimal number and one of tc's
//! units, at least 8 bit/s and at most 100 Tbit/s; anything else is one
//! sentence ([`RateError`]).

use std::fmt;
use std::str::FromStr;

/// tc's rate units (compared without case) and their bits per second; a
/// bare number is bits per second. `bps` is *bytes* per second, as in tc.
pub const UNITS: [(&str, f64); 18] = [
    ("bit", 1.),
    ("kibit", 1024.),
    ("kbit", 1e3),
    ("mibit", 1024. * 1024.),
    ("mbit", 1e6),
    ("gibit", 1024. * 1024. * 1024.),
    ("gbit", 1e9),
    ("tibit", 1024. * 1024. * 1024. * 1024.),
    ("tbit", 1e12),
    ("bps", 8.),
    ("kibps", 8. * 1024.),
    ("kbps", 8e3),
    ("mibps", 8. * 1024. * 1024.),
    ("mbps", 8e6),
    ("gibps", 8. * 1024. * 1024. * 1024.),
    ("gbps", 8e9),
    ("tibps", 8. * 1024. * 1024. * 1024. * 1024.),
    ("tbps", 8e12),
];

/// The fastest rate accepted: 100 Tbit/s.
pub const MOST_BITS: f64 = 1e14;

/// A rate tc sets as given: its text, and the whole bytes per second tc
/// keeps of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rate {
    text: String,
    bytes_per_second: u64,
}

impl Rate {
    /// Whole bytes per second: what tc keeps.
    pub fn bytes_per_second(&self) -> u64 {
        self.bytes_per_second
    }

    /// The value for `tc ... tbf rate`: bits per second, unambiguous.
    pub fn tc_value(&self) -> String {
        format!("{}bit", self.bytes_per_second * 8)
    }
}

impl fmt::Display for Rate {
    /// As it was given, e.g. `10mbit`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// Why a rate is refused: one sentence naming it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the rate `{}` {why}: give a number and a unit, like 10mbit or 500kbit", given.escape_debug())]
pub struct RateError {
    /// The rate as given.
    pub given: String,
    /// What is wrong with it.
    pub why: &'static str,
}

impl FromStr for Rate {
    type Err = RateError;

    /// Reads a rate as tc would, refusing what tc would misread.
    fn from_str(s: &str) -> Result<Rate, RateError> {
        let err = |why| RateError {
            given: s.to_owned(),
            why,
        };
        let split = s
            .find(|c: char| !c.is_ascii_digit() && c != '.')
            .unwrap_or(s.len());
        let (number, unit) = s.split_at(split);
        let well_formed = !number.is_empty()
            && !number.starts_with('.')
            && !number.ends_with('.')
            && number.matches('.').count() <= 1;
        if !well_formed {
            return Err(err("does not start with a plain decimal number"));
        }
        let scale = if unit.is_empty() {
            1.
        } else {
            match UNITS.iter().find(|(u, _)| u.eq_ignore_ascii_case(unit)) {
                Some((_, scale)) => *scale,
                None => return Err(err("has a unit tc does not know")),
            }
        };
        let bits = number.parse::<f64>().map_err(|_| err("is not a number"))? * scale;
        if bits > MOST_BITS {
            return Err(err("is faster than 100tbit, the fastest tcplab sets"));
        }
        let bytes = (bits / 8.).floor() as u64;
        if bytes == 0 {
            return Err(err("is below 8bit, the slowest rate tc can set"));
        }
        Ok(Rate {
            text: s.to_owned(),
            bytes_per_second: bytes,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    /// What tc 6.1 set after `tc qdisc add ... tbf rate X`.
    #[rstest]
    #[case("10mbit", 10_000_000)]
    #[case("10MBIT", 10_000_000)]
    #[case("1.5mbit", 1_500_000)]
    #[case("10mibit", 10_485_760)]
    #[case("10mbps", 80_000_000)]
    #[case("1000", 1_000)]
    #[case("15bit", 8)]
    #[case("1Bps", 8)]
    #[case("100tbit", 100_000_000_000_000)]
    fn rates_tc_sets(#[case] s: &str, #[case] bits: u64) {
        let r: Rate = s.parse().unwrap();
        assert_eq!(r.bytes_per_second() * 8, bits);
        assert_eq!(r.tc_value(), format!("{bits}bit"));
        assert_eq!(r.to_string(), s);
    }

    #[rstest]
    #[case("1bit", "below 8bit")]
    #[case("0", "below 8bit")]
    #[case("0.1bit", "below 8bit")]
    #[case("-5mbit", "plain decimal")]
    #[case("nan", "plain decimal")]
    #[case("0x10kbit", "unit tc does not know")]
    #[case("1e3kbit", "unit tc does not know")]
    #[case("10%", "unit tc does not know")]
    #[case("fast", "plain decimal")]
    #[case("", "plain decimal")]
    #[case("5.mbit", "plain decimal")]
    #[case("18446744073709551615bit", "faster than")]
    fn rates_refused_in_one_sentence(#[case] s: &str, #[case] why: &str) {
        let e = s.parse::<Rate>().unwrap_err().to_string();
        assert!(e.contains(why), "{e}");
        assert!(e.ends_with("like 10mbit or 500kbit"), "{e}");
        assert!(!e.contains('\n'), "{e}");
    }
}
