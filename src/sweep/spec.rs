//! Size lists for sweeps: `1,479,1380`, `1..=70000:1000`, `64k..=4m:*2`.
//!
//! One meaning of `k`, `M` and `G` for the whole sweep: they are powers of
//! 1024 ([`UNITS`]), read that way here and written that way wherever a
//! sweep abbreviates a size ([`fmt_size`], the plot's axes). A size is
//! either written in full, in bytes, or as a whole number of one unit, so
//! every size a sweep prints can be given back to `--sizes`.

/// A list of payload sizes, parsed from the command line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SizeSpec(pub Vec<u64>);

/// A size list that could not be read.
#[derive(Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "cannot read the size list `{spec}`: {why} (examples: `1,479,1380`, `1..=70000:1000`, `64k..=4m:*2`)"
)]
pub struct SizeSpecError {
    /// The text given.
    pub spec: String,
    /// What is wrong with it.
    pub why: String,
}

impl std::str::FromStr for SizeSpec {
    type Err = SizeSpecError;

    /// Comma-separated items; each a size (`479`, `64k`, `4m`, `1g`: powers
    /// of 1024) or a range `A..=B` (or `A..B`, end excluded) with an optional
    /// step `:N` (add N) or `:*N` (multiply by N). Sizes are kept in order,
    /// without repeats.
    fn from_str(spec: &str) -> Result<SizeSpec, SizeSpecError> {
        let err = |why: String| SizeSpecError {
            spec: spec.to_owned(),
            why,
        };
        let mut sizes: Vec<u64> = Vec::new();
        for item in spec.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let (range, step) = match item.split_once(':') {
                Some((r, s)) => (r, Some(s)),
                None => (item, None),
            };
            let Some((a, b, inclusive)) = range
                .split_once("..=")
                .map(|(a, b)| (a, b, true))
                .or_else(|| range.split_once("..").map(|(a, b)| (a, b, false)))
            else {
                if step.is_some() {
                    return Err(err(format!("`{item}` has a step but no range")));
                }
                sizes.push(parse_size(item).map_err(err)?);
                continue;
            };
            let (a, b) = (parse_size(a).map_err(err)?, parse_size(b).map_err(err)?);
            let step = match step {
                None => Step::Add(1),
                Some(s) => match s.strip_prefix('*') {
                    Some(m) => Step::Mul(
                        m.trim()
                            .parse()
                            .map_err(|_| err(format!("`{s}` is not a factor")))?,
                    ),
                    None => Step::Add(parse_size(s).map_err(err)?),
                },
            };
            match step {
                Step::Add(0) => return Err(err("a step of 0 never ends".to_owned())),
                Step::Mul(m) if m < 2 || a == 0 => {
                    return Err(err(
                        "a multiplicative step needs a factor of at least 2 and a start above 0"
                            .to_owned(),
                    ));
                }
                _ => {}
            }
            let mut x = a;
            while x < b || (inclusive && x == b) {
                sizes.push(x);
                if sizes.len() > 100_000 {
                    return Err(err("more than 100000 sizes".to_owned()));
                }
                x = match step {
                    Step::Add(n) => x.checked_add(n),
                    Step::Mul(m) => x.checked_mul(m),
                }
                .unwrap_or(u64::MAX);
                if x == u64::MAX {
                    break;
                }
            }
        }
        let mut seen = std::collections::HashSet::new();
        sizes.retain(|s| seen.insert(*s));
        if sizes.is_empty() {
            return Err(err("it names no size".to_owned()));
        }
        Ok(SizeSpec(sizes))
    }
}

/// The units of a size, smallest first: `k` = 1024, `M` = 1024², `G` =
/// 1024³ bytes. Read in either case; written as here.
pub const UNITS: [(&str, u64); 3] = [("k", 1 << 10), ("M", 1 << 20), ("G", 1 << 30)];

/// A size the way `--sizes` reads it: in the largest unit of [`UNITS`] that
/// divides it exactly (`64k`, `4M`, `1536k`), else in bytes (`479`, `195001`).
pub fn fmt_size(bytes: u64) -> String {
    match UNITS
        .iter()
        .rev()
        .find(|&&(_, unit)| bytes > 0 && bytes % unit == 0)
    {
        Some(&(name, unit)) => format!("{}{name}", bytes / unit),
        None => bytes.to_string(),
    }
}

enum Step {
    Add(u64),
    Mul(u64),
}

fn parse_size(s: &str) -> Result<u64, String> {
    let s = s.trim();
    let (digits, unit) = match s.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((i, _)) => s.split_at(i),
        None => (s, ""),
    };
    let n: u64 = digits.parse().map_err(|_| format!("`{s}` is not a size"))?;
    let mult = if unit.is_empty() {
        1
    } else {
        match UNITS
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(unit))
        {
            Some(&(_, mult)) => mult,
            None => {
                return Err(format!(
                    "`{s}` has the unknown unit `{unit}` (use k, m or g)"
                ));
            }
        }
    };
    n.checked_mul(mult)
        .ok_or_else(|| format!("`{s}` is too large"))
}

debug_as_display!(SizeSpecError);

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case("1,479,1380", vec![1, 479, 1380])]
    #[case("1..=5", vec![1, 2, 3, 4, 5])]
    #[case("1..5", vec![1, 2, 3, 4])]
    #[case("1..=3001:1000", vec![1, 1001, 2001, 3001])]
    #[case("64k..=256k:*2", vec![65536, 131072, 262144])]
    #[case("1k, 1024, 2k", vec![1024, 2048])]
    #[case("4m", vec![4 << 20])]
    fn size_lists_are_read(#[case] spec: &str, #[case] sizes: Vec<u64>) {
        assert_eq!(spec.parse::<SizeSpec>().unwrap().0, sizes);
    }

    /// What a sweep prints reads back as the same size, in the same units.
    #[rstest]
    #[case(0, "0")]
    #[case(479, "479")]
    #[case(1000, "1000")]
    #[case(195_001, "195001")]
    #[case(1024, "1k")]
    #[case(1536, "1536")]
    #[case(192 << 10, "192k")]
    #[case(1536 << 10, "1536k")]
    #[case(4 << 20, "4M")]
    #[case(1 << 30, "1G")]
    #[case(1 << 40, "1024G")]
    fn sizes_are_written_as_they_are_read(#[case] bytes: u64, #[case] text: &str) {
        assert_eq!(fmt_size(bytes), text);
        assert_eq!(text.parse::<SizeSpec>().unwrap().0, vec![bytes]);
    }

    #[rstest]
    #[case("", "names no size")]
    #[case("abc", "not a size")]
    #[case("1..=10:0", "step of 0")]
    #[case("0..=10:*2", "multiplicative")]
    #[case("5x", "unknown unit")]
    #[case("3:2", "step but no range")]
    fn bad_size_lists_are_named(#[case] spec: &str, #[case] why: &str) {
        let e = spec.parse::<SizeSpec>().unwrap_err().to_string();
        assert!(e.contains(why), "{e}");
    }
}
