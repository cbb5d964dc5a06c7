//! File names as people and programs see them. A hand-in's name is bytes a
//! student chose (or a Windows zip made: Latin-1, not UTF-8), and it reaches
//! a terminal, a text report, JSON and a spreadsheet.
//!
//! - [`shown`]: printable text that cannot move the cursor, change colours,
//!   end a line or reorder what follows, and that tells any two different
//!   paths apart; for the terminal, the text reports and CSV.
//! - [`text`]: the name unchanged when it is UTF-8, for JSON (which escapes
//!   control characters itself).
//! - [`csv_cell`]: a cell that a spreadsheet never evaluates as a formula.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// The path as printable text, escaped so that nothing raw reaches a
/// terminal and no two different paths print alike:
///
/// * `\` becomes `\\` (so that an escape in the output is always one);
/// * newline, carriage return and tab become `\n`, `\r`, `\t`;
/// * every other C0 control and DEL becomes `\xNN` (`NN` below `80`);
/// * every byte that is not part of valid UTF-8 becomes `\xNN` (`NN` from
///   `80` up, so never confused with the controls above);
/// * C1 controls (U+0080 to U+009F), the bidirectional controls (U+061C,
///   U+200E, U+200F, U+202A to U+202E, U+2066 to U+2069) and the line and
///   paragraph separators U+2028, U+2029 become `\u{N}`.
///
/// Everything else, any other non-ASCII text included, is kept.
pub fn shown(path: &Path) -> String {
    let bytes = path.as_os_str().as_bytes();
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '\\' => out.push_str("\\\\"),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                c if (c as u32) < 0x20 || c == '\x7f' => {
                    let _ = write!(out, "\\x{:02x}", c as u32);
                }
                c if is_escaped_unicode(c) => {
                    let _ = write!(out, "\\u{{{:x}}}", c as u32);
                }
                c => out.push(c),
            }
        }
        for b in chunk.invalid() {
            let _ = write!(out, "\\x{b:02x}");
        }
    }
    out
}

/// Characters of valid UTF-8 that [`shown`] writes as `\u{N}`.
fn is_escaped_unicode(c: char) -> bool {
    matches!(c,
        '\u{80}'..='\u{9f}'
        | '\u{61c}'
        | '\u{200e}' | '\u{200f}'
        | '\u{2028}' | '\u{2029}'
        | '\u{202a}'..='\u{202e}'
        | '\u{2066}'..='\u{2069}')
}

/// The path as JSON carries it: unchanged when it is valid UTF-8 (JSON
/// escapes control characters itself), else as [`shown`] writes it.
pub fn text(path: &Path) -> Cow<'_, str> {
    match path.to_str() {
        Some(s) => Cow::Borrowed(s),
        None => Cow::Owned(shown(path)),
    }
}

/// A text cell for a CSV file, guarded against formula injection as OWASP
/// recommends: a cell that starts with `=`, `+`, `-`, `@`, a tab or a
/// carriage return gets a leading `'`, so that a spreadsheet shows it as
/// text instead of evaluating it. Quoting for CSV itself (commas, quotes,
/// line breaks) is the CSV writer's, after this.
pub fn csv_cell(s: &str) -> Cow<'_, str> {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{s}"))
    } else {
        Cow::Borrowed(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rstest::rstest;
    use std::ffi::OsStr;

    fn path(bytes: &[u8]) -> &Path {
        Path::new(OsStr::from_bytes(bytes))
    }

    #[rstest]
    #[case(b"subs/alice/lab.pcapng", "subs/alice/lab.pcapng")]
    #[case(b"caf\xc3\xa9.pcap", "caf\u{e9}.pcap")]
    #[case(b"a\nb\rc\td", "a\\nb\\rc\\td")]
    #[case(b"\x1b[31mred", "\\x1b[31mred")]
    #[case(b"del\x7f", "del\\x7f")]
    #[case(b"c1\xc2\x85next", "c1\\u{85}next")]
    #[case(b"bidi\xe2\x80\xaegnp.exe", "bidi\\u{202e}gnp.exe")]
    #[case(b"M\xfcller.pcapng", "M\\xfcller.pcapng")]
    #[case(b"back\\slash", "back\\\\slash")]
    fn names_are_escaped(#[case] raw: &[u8], #[case] want: &str) {
        assert_eq!(shown(path(raw)), want);
    }

    #[test]
    fn two_latin1_names_print_differently_where_lossy_text_does_not() {
        let (a, b) = (path(b"M\xfcller.pcapng"), path(b"M\xfdller.pcapng"));
        assert_ne!(shown(a), shown(b));
        assert_ne!(text(a), text(b));
        assert_eq!(a.to_string_lossy(), b.to_string_lossy());
    }

    #[test]
    fn json_text_keeps_utf8_names() {
        assert_eq!(text(path(b"=a\nb.pcap")), "=a\nb.pcap");
        assert_eq!(text(path(b"\xff.pcap")), "\\xff.pcap");
    }

    /// Reads [`shown`]'s output back into the bytes: it loses nothing, so
    /// different paths never print alike.
    fn unshown(s: &str) -> Vec<u8> {
        let mut out = Vec::new();
        let mut chars = s.chars();
        while let Some(c) = chars.next() {
            let mut buf = [0; 4];
            if c != '\\' {
                out.extend(c.encode_utf8(&mut buf).as_bytes());
                continue;
            }
            match chars.next().unwrap() {
                '\\' => out.push(b'\\'),
                'n' => out.push(b'\n'),
                'r' => out.push(b'\r'),
                't' => out.push(b'\t'),
                'x' => {
                    let h: String = chars.by_ref().take(2).collect();
                    out.push(u8::from_str_radix(&h, 16).unwrap());
                }
                'u' => {
                    assert_eq!(chars.next(), Some('{'));
                    let h: String = chars.by_ref().take_while(|&c| c != '}').collect();
                    let c = char::from_u32(u32::from_str_radix(&h, 16).unwrap()).unwrap();
                    out.extend(c.encode_utf8(&mut buf).as_bytes());
                }
                other => panic!("unknown escape \\{other}"),
            }
        }
        out
    }

    proptest! {
        #[test]
        fn shown_has_no_control_and_reads_back(raw in proptest::collection::vec(any::<u8>(), 0..64)) {
            let s = shown(path(&raw));
            prop_assert!(!s.chars().any(|c| c.is_control() || is_escaped_unicode(c)), "{s:?}");
            prop_assert_eq!(unshown(&s), raw);
        }
    }

    #[rstest]
    #[case("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")")]
    #[case("+1+2", "'+1+2")]
    #[case("-2+3", "'-2+3")]
    #[case("@SUM(A1)", "'@SUM(A1)")]
    #[case("\tx", "'\tx")]
    #[case("\rx", "'\rx")]
    #[case("subs/alice/lab.pcapng", "subs/alice/lab.pcapng")]
    #[case("a=b", "a=b")]
    #[case("", "")]
    fn csv_cells_never_start_a_formula(#[case] cell: &str, #[case] want: &str) {
        assert_eq!(csv_cell(cell), want);
    }
}
