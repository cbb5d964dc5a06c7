//! Expectations written as a ladder: a text a teacher writes by hand, one
//! segment per line, matched against a connection.
//!
//! ```text
//! # handshake, 479 bytes acknowledged with 480, four-segment close
//! client [SYN]        Seq=0
//! server [SYN, ACK]   Seq=0 Ack=1
//! client [ACK]        Seq=1 Ack=1
//! client [PSH, ACK]   Seq=1 Ack=1 Len=479
//! server [ACK]        Ack=480
//! ...
//! client [FIN, ACK]
//! server [ACK]
//! server [FIN, ACK]
//! client [ACK]
//! ```
//!
//! Each line is the sender (`client` or `server`), the flags in brackets as
//! Wireshark writes them (exactly these flags, no others), then any of
//! `Seq=`, `Ack=`, `Len=`, `Win=` and `MSS=` with relative numbers as the
//! ladder diagram shows them. A field left out is not checked; `*` matches
//! any value the segment has (`Ack=*` needs an ACK, `MSS=*` an MSS option).
//! A line `...` matches any number of segments, none included; `#` starts a
//! comment. Without `...` at its ends, the ladder must match the whole
//! connection, from its first segment to its last.

use std::fmt;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::connection::{Connection, Role, Step, ladder};
use crate::wire::Flags;

/// A ladder of expected segments, parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExpectedLadder {
    /// Where it came from (a file name), for messages.
    source: String,
    lines: Vec<Line>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Line {
    /// 1-based line number in the source.
    number: usize,
    /// The line as written, trimmed, without its comment.
    text: String,
    pattern: Option<Pattern>,
}

/// One expected segment; `None` fields are not checked.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Pattern {
    from: Role,
    flags: Flags,
    seq: Option<Value>,
    ack: Option<Value>,
    len: Option<Value>,
    win: Option<Value>,
    mss: Option<Value>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Value {
    Any,
    Is(u64),
}

impl Value {
    fn matches(self, seen: Option<u64>) -> bool {
        match self {
            Value::Any => seen.is_some(),
            Value::Is(v) => seen == Some(v),
        }
    }
}

/// A ladder that could not be read: the line and what is wrong with it.
#[derive(Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{file}` line {line}: {why}{}", if text.is_empty() { String::new() } else { format!(" (`{text}`)") })]
pub struct LadderError {
    /// The file (or name) the ladder came from.
    pub file: String,
    /// The 1-based line number; 0 when the file could not be read at all.
    pub line: usize,
    /// The line as written.
    pub text: String,
    /// What is wrong.
    pub why: String,
}

debug_as_display!(LadderError);

impl ExpectedLadder {
    /// Reads a ladder file.
    pub fn read(path: &Path) -> Result<ExpectedLadder, LadderError> {
        let source = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| LadderError {
            file: source.clone(),
            line: 0,
            text: String::new(),
            why: format!("cannot read it: {e}"),
        })?;
        ExpectedLadder::parse(&source, &text)
    }

    /// Parses a ladder; `source` names it in messages.
    pub fn parse(source: &str, text: &str) -> Result<ExpectedLadder, LadderError> {
        let mut lines = Vec::new();
        for (i, raw) in text.lines().enumerate() {
            let body = raw.split('#').next().unwrap_or("").trim();
            if body.is_empty() {
                continue;
            }
            let err = |why: String| LadderError {
                file: source.to_owned(),
                line: i + 1,
                text: body.to_owned(),
                why,
            };
            let pattern = if body == "..." {
                None
            } else {
                Some(parse_pattern(body).map_err(err)?)
            };
            lines.push(Line {
                number: i + 1,
                text: body.to_owned(),
                pattern,
            });
        }
        if lines.is_empty() {
            return Err(LadderError {
                file: source.to_owned(),
                line: 0,
                text: String::new(),
                why: "it holds no segment line: write one line per segment, e.g. `client [SYN] Seq=0`".to_owned(),
            });
        }
        Ok(ExpectedLadder {
            source: source.to_owned(),
            lines,
        })
    }

    /// Where the ladder came from.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Matches the ladder against every segment of `conn`, in capture order.
    pub fn compare(&self, conn: &Connection) -> LadderComparison {
        let steps = &conn.steps;
        let (p_len, s_len) = (self.lines.len(), steps.len());
        // reached[p][s]: the first p lines can match the first s segments;
        // `from` remembers the state each was reached from.
        let mut from: Vec<Vec<Option<(usize, usize)>>> = vec![vec![None; s_len + 1]; p_len + 1];
        let mut reached = vec![vec![false; s_len + 1]; p_len + 1];
        reached[0][0] = true;
        for p in 0..=p_len {
            for s in 0..=s_len {
                if !reached[p][s] || p == p_len {
                    continue;
                }
                match &self.lines[p].pattern {
                    None => {
                        for (np, ns) in [(p + 1, s), (p, s + 1)] {
                            if ns <= s_len && !reached[np][ns] {
                                reached[np][ns] = true;
                                from[np][ns] = Some((p, s));
                            }
                        }
                    }
                    Some(pat) => {
                        if s < s_len && pat.matches(&steps[s]) && !reached[p + 1][s + 1] {
                            reached[p + 1][s + 1] = true;
                            from[p + 1][s + 1] = Some((p, s));
                        }
                    }
                }
            }
        }
        let passed = reached[p_len][s_len];
        // The end of the path: the whole match, or the state that got
        // furthest into the ladder, blaming the last segment it could be
        // compared with (the end of the connection only if none is left).
        let end = if passed {
            (p_len, s_len)
        } else {
            (0..=p_len)
                .flat_map(|p| (0..=s_len).map(move |s| (p, s)))
                .filter(|&(p, s)| reached[p][s])
                .max_by_key(|&(p, s)| (p, s < s_len, s))
                .unwrap_or((0, 0))
        };
        let mut path = vec![end];
        while let Some(prev) = from[path[path.len() - 1].0][path[path.len() - 1].1] {
            path.push(prev);
        }
        path.reverse();
        let seen = |s: usize| seen_line(&steps[s]);
        let mut rows = Vec::new();
        let mut last_line = None;
        for w in path.windows(2) {
            let ((p0, s0), (p1, s1)) = (w[0], w[1]);
            if p1 == p0 {
                // A `...` absorbed segment s0.
                rows.push(Row::new(None, Some(seen(s0)), true));
            } else if s1 == s0 {
                // A `...` that absorbed nothing more.
                if last_line != Some(p0) {
                    rows.push(Row::new(Some(self.lines[p0].text.clone()), None, true));
                }
            } else {
                rows.push(Row::new(
                    Some(self.lines[p0].text.clone()),
                    Some(seen(s0)),
                    true,
                ));
            }
            // Show a `...` line once, where it starts absorbing.
            if p1 == p0 && last_line != Some(p0) {
                let i = rows.len() - 1;
                rows[i].expected = Some(self.lines[p0].text.clone());
            }
            last_line = Some(p0);
        }
        let why;
        let mut first_difference = None;
        if passed {
            why = format!(
                "the connection follows `{}` ({} segment(s))",
                self.source, s_len
            );
        } else {
            let (p, s) = end;
            first_difference = Some(rows.len());
            let expected = self.lines.get(p);
            why = match (expected, steps.get(s)) {
                (Some(line), Some(step)) => format!(
                    "segment {} (frame {}: {}) is not line {} of `{}` ({})",
                    s + 1,
                    step.segment.frame,
                    seen(s),
                    line.number,
                    self.source,
                    line.text
                ),
                (Some(line), None) => format!(
                    "the connection ended ({s_len} segment(s)) before line {} of `{}` ({})",
                    line.number, self.source, line.text
                ),
                (None, Some(step)) => format!(
                    "segment {} (frame {}: {}) is past the end of `{}`",
                    s + 1,
                    step.segment.frame,
                    seen(s),
                    self.source
                ),
                (None, None) => "no difference".to_owned(),
            };
            rows.push(Row::new(
                expected
                    .map(|l| l.text.clone())
                    .or(Some("(end of the ladder)".to_owned())),
                Some(
                    steps
                        .get(s)
                        .map_or("(no more segments)".to_owned(), |_| seen(s)),
                ),
                false,
            ));
            // The rest of each side, for context.
            let rest_expected = self.lines.iter().skip(p + 1).map(|l| l.text.clone());
            let rest_seen = (s + 1..s_len).map(seen);
            let mut rest_expected = rest_expected.peekable();
            let mut rest_seen = rest_seen.peekable();
            while rest_expected.peek().is_some() || rest_seen.peek().is_some() {
                rows.push(Row {
                    expected: rest_expected.next(),
                    seen: rest_seen.next(),
                    matches: true,
                });
            }
        }
        LadderComparison {
            source: self.source.clone(),
            passed,
            why,
            first_difference,
            rows,
        }
    }
}

/// A segment as a ladder line would describe it: `client [PSH, ACK] Seq=1 Ack=1 Len=479`.
fn seen_line(step: &Step) -> String {
    format!("{} {}", step.from, ladder::label(step))
}

fn parse_pattern(body: &str) -> Result<Pattern, String> {
    let (who, rest) = body.split_once(char::is_whitespace).unwrap_or((body, ""));
    let from = match who {
        "client" => Role::Client,
        "server" => Role::Server,
        other => {
            return Err(format!(
                "`{other}` is not a sender: a line starts with `client`, `server` or is `...`"
            ));
        }
    };
    let rest = rest.trim_start();
    let Some(rest) = rest.strip_prefix('[') else {
        return Err(
            "the flags are missing: write them in brackets after the sender, e.g. `[SYN, ACK]`"
                .to_owned(),
        );
    };
    let Some((flags_text, fields)) = rest.split_once(']') else {
        return Err("the flags' `[` is never closed with `]`".to_owned());
    };
    let mut flags = Flags::NONE;
    for name in flags_text
        .split(',')
        .map(str::trim)
        .filter(|n| !n.is_empty())
    {
        flags = flags
            | Flags::from_name(name).ok_or_else(|| {
                format!("`{name}` is not a TCP flag (SYN, ACK, FIN, RST, PSH, URG, ECE, CWR)")
            })?;
    }
    let mut pattern = Pattern {
        from,
        flags,
        seq: None,
        ack: None,
        len: None,
        win: None,
        mss: None,
    };
    for field in fields.split_whitespace() {
        let Some((name, value)) = field.split_once('=') else {
            return Err(format!(
                "`{field}` is not a field: write `Seq=`, `Ack=`, `Len=`, `Win=` or `MSS=` with a number or `*`"
            ));
        };
        let value = match value {
            "*" => Value::Any,
            v => Value::Is(
                v.parse()
                    .map_err(|_| format!("`{field}`: `{v}` is not a number or `*`"))?,
            ),
        };
        let slot = match name {
            "Seq" => &mut pattern.seq,
            "Ack" => &mut pattern.ack,
            "Len" => &mut pattern.len,
            "Win" => &mut pattern.win,
            "MSS" => &mut pattern.mss,
            other => {
                return Err(format!(
                    "`{other}` is not a field this format knows (Seq, Ack, Len, Win, MSS)"
                ));
            }
        };
        if slot.replace(value).is_some() {
            return Err(format!("`{name}=` is given twice"));
        }
    }
    Ok(pattern)
}

impl Pattern {
    fn matches(&self, step: &Step) -> bool {
        let seg = &step.segment;
        let check = |want: Option<Value>, seen: Option<u64>| want.is_none_or(|w| w.matches(seen));
        step.from == self.from
            && seg.flags == self.flags
            && check(self.seq, Some(step.seq))
            && check(self.ack, step.ack)
            && check(self.len, Some(u64::from(seg.len)))
            && check(
                self.win,
                Some(u64::from(
                    seg.window_scaled.unwrap_or(u32::from(seg.window)),
                )),
            )
            && check(self.mss, seg.options.mss.map(u64::from))
    }
}

/// A connection compared with an expected ladder: whether it matched, and
/// both sides row by row, for the side-by-side view.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LadderComparison {
    /// The ladder's file.
    pub source: String,
    /// Whether the connection follows the ladder.
    pub passed: bool,
    /// One line: which segment differs from which line, or that all match.
    pub why: String,
    /// The row of the first difference, when there is one.
    pub first_difference: Option<usize>,
    /// The rows: an expected line and the segment seen against it.
    pub rows: Vec<Row>,
}

/// One row of the side-by-side view.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Row {
    /// The ladder's line, if this row has one.
    pub expected: Option<String>,
    /// The segment seen, in the ladder's notation, if this row has one.
    pub seen: Option<String>,
    /// False on the first differing row.
    pub matches: bool,
}

impl Row {
    fn new(expected: Option<String>, seen: Option<String>, matches: bool) -> Row {
        Row {
            expected,
            seen,
            matches,
        }
    }
}

impl fmt::Display for LadderComparison {
    /// Expected and seen side by side, aligned, the first difference
    /// marked with `>>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let head = format!("expected ({})", self.source);
        let width = self
            .rows
            .iter()
            .filter_map(|r| r.expected.as_deref())
            .map(|e| e.chars().count())
            .chain([head.chars().count()])
            .max()
            .unwrap_or(0);
        writeln!(f, "   {head:<width$}   seen")?;
        for (i, r) in self.rows.iter().enumerate() {
            let mark = if Some(i) == self.first_difference {
                ">>"
            } else {
                "  "
            };
            let line = format!(
                "{mark} {:<width$}   {}",
                r.expected.as_deref().unwrap_or(""),
                r.seen.as_deref().unwrap_or("")
            );
            writeln!(f, "{}", line.trim_end())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connection::group;
    use crate::testing::{four_segment, seed_client_reset, three_segment};
    use rstest::rstest;

    const SEED: &str = "\
# handshake, 479 bytes acknowledged with 480, four-segment close
client [SYN]        Seq=0
server [SYN, ACK]   Seq=0 Ack=1
client [ACK]        Seq=1 Ack=1
client [PSH, ACK]   Seq=1 Ack=1 Len=479
server [ACK]        Ack=480
...
client [FIN, ACK]
server [ACK]
server [FIN, ACK]
client [ACK]
";

    fn seed() -> ExpectedLadder {
        ExpectedLadder::parse("seed.ladder", SEED).unwrap()
    }

    #[test]
    fn the_seed_ladder_matches_the_four_segment_lab() {
        let c = seed().compare(&group(four_segment(), None)[0]);
        assert!(c.passed, "{c}");
        assert_eq!(
            c.why,
            "the connection follows `seed.ladder` (13 segment(s))"
        );
        assert_eq!(c.first_difference, None);
    }

    #[rstest]
    #[case::three_segment(
        three_segment(),
        "segment 11 (frame 11: server [FIN, ACK] Seq=1860 Ack=1861 Len=0) is not line 9 of `seed.ladder` (server [ACK])"
    )]
    #[case::reset(
        seed_client_reset(),
        "segment 10 (frame 10: client [RST, ACK] Seq=1860 Ack=1860 Len=0) is not line 8 of `seed.ladder` (client [FIN, ACK])"
    )]
    fn other_closes_fail_at_their_first_difference(
        #[case] segs: Vec<crate::wire::Segment>,
        #[case] why: &str,
    ) {
        let c = seed().compare(&group(segs, None)[0]);
        assert!(!c.passed);
        assert_eq!(c.why, why);
        let shown = c.to_string();
        let marked: Vec<&str> = shown.lines().filter(|l| l.starts_with(">>")).collect();
        assert_eq!(marked.len(), 1, "{shown}");
        // Expected and seen are aligned: the seen column starts at one place.
        let col = shown.lines().next().unwrap().find("seen").unwrap();
        for l in shown.lines().skip(1) {
            if l.len() > col {
                assert_eq!(&l[col - 3..col], "   ", "{shown}");
            }
        }
    }

    #[test]
    fn a_ladder_too_short_or_too_long_says_where() {
        let conn = &group(four_segment(), None)[0];
        let short = ExpectedLadder::parse("x", "client [SYN] Seq=0\n").unwrap();
        let c = short.compare(conn);
        assert!(!c.passed);
        assert!(
            c.why.contains(
                "segment 2 (frame 2: server [SYN, ACK] Seq=0 Ack=1 Len=0) is past the end of `x`"
            ),
            "{}",
            c.why
        );
        let long = ExpectedLadder::parse("x", &format!("{SEED}server [ACK]\n")).unwrap();
        let c = long.compare(conn);
        assert!(
            c.why
                .starts_with("the connection ended (13 segment(s)) before line 12"),
            "{}",
            c.why
        );
    }

    #[rstest]
    #[case("* any\nclient [SYN]", 1, "`*` is not a sender")]
    #[case("client SYN", 1, "the flags are missing")]
    #[case("\n\nclient [SYN, ACK", 3, "never closed")]
    #[case("client [SYN, NOPE]", 1, "`NOPE` is not a TCP flag")]
    #[case("client [SYN] Seq=zero", 1, "`zero` is not a number or `*`")]
    #[case("client [SYN] Foo=1", 1, "`Foo` is not a field")]
    #[case("client [SYN] Seq=1 Seq=2", 1, "`Seq=` is given twice")]
    #[case("# only a comment\n", 0, "holds no segment line")]
    fn a_bad_ladder_names_its_line(#[case] text: &str, #[case] line: usize, #[case] why: &str) {
        let e = ExpectedLadder::parse("bad.ladder", text).unwrap_err();
        assert_eq!(e.line, line, "{e}");
        assert!(e.to_string().contains(why), "{e}");
        assert!(e.to_string().starts_with("`bad.ladder` line"), "{e}");
    }

    #[test]
    fn stars_match_any_value_the_segment_has() {
        let conn = &group(four_segment(), None)[0];
        let any_ack = ExpectedLadder::parse("x", "client [SYN] Ack=*\n...\n").unwrap();
        assert!(!any_ack.compare(conn).passed, "a SYN has no ack");
        let any_mss = ExpectedLadder::parse("x", "client [SYN] Seq=* Len=0 Win=*\n...\n").unwrap();
        assert!(any_mss.compare(conn).passed);
    }
}
