//! Property tests: whatever tshark prints, turning fields into packets and
//! segments into connections, verdicts and reports never panics; whatever
//! the option bytes, parsing them never panics, and options written read
//! back as they were.

use proptest::prelude::*;
use tcplab::connection::group;
use tcplab::report::json::JsonReport;
use tcplab::report::text;
use tcplab::verdict::{CloseExpectation, Expectations, Judged, TerminationKind};
use tcplab::wire::options::{self, SackBlock, TcpOption};
use tcplab::wire::seq::SeqNumber;
use tcplab::wire::{FIELDS, Flags, Packet, Segment};

/// Field values: mostly plausible numbers and addresses, sometimes junk.
fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<u32>().prop_map(|n| n.to_string()),
        any::<u16>().prop_map(|n| format!("0x{n:04x}")),
        Just("127.0.0.1".to_owned()),
        Just("::1".to_owned()),
        Just("eth:ethertype:ip:tcp".to_owned()),
        Just("eth:ethertype:ip:udp:vxlan:eth:ethertype:ip:tcp".to_owned()),
        Just("eth:ethertype:ip:icmp:ip:tcp".to_owned()),
        Just("020405b40402080ab78dd6b80000000001030307".to_owned()),
        "[0-9a-f]{0,40}",
        Just(String::new()),
        ".{0,12}",
    ]
}

fn fields() -> impl Strategy<Value = Vec<(String, String)>> {
    prop::collection::vec(
        (
            prop::sample::select(FIELDS.to_vec()).prop_map(str::to_owned),
            value(),
        ),
        0..60,
    )
}

/// A segment between two fixed endpoints with arbitrary numbers and flags.
fn segment() -> impl Strategy<Value = Segment> {
    (
        any::<bool>(),
        any::<u8>(),
        // Mostly near each other, sometimes anywhere on the circle.
        prop_oneof![0u32..5000, any::<u32>()],
        prop_oneof![0u32..5000, any::<u32>()],
        prop_oneof![0u32..70000, any::<u32>()],
        // A zero window now and then, and repeated windows for duplicate ACKs.
        prop_oneof![Just(0u16), Just(512u16), any::<u16>()],
    )
        .prop_map(|(from_client, flags, seq, ack, len, window)| {
            let (a, b) = ("127.0.0.1:40000", "127.0.0.1:8000");
            let (src, dst) = if from_client { (a, b) } else { (b, a) };
            Segment {
                frame: 0,
                time: 0.0,
                src: src.parse().unwrap(),
                dst: dst.parse().unwrap(),
                tunnel: None,
                flags: Flags::from_bits(u16::from(flags)),
                seq_raw: SeqNumber(seq),
                ack_raw: SeqNumber(ack),
                tshark_seq: None,
                tshark_ack: None,
                stream: None,
                len,
                window,
                window_scaled: None,
                options: Default::default(),
                malformed: Vec::new(),
            }
        })
}

proptest! {
    #[test]
    fn any_fields_give_a_packet_or_an_error(fields in fields()) {
        let table: Vec<(&str, &str)> = fields.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
        let _ = Packet::from_fields(table.as_slice());
    }

    #[test]
    fn any_segments_give_connections_verdicts_and_reports(mut segs in prop::collection::vec(segment(), 0..40)) {
        for (i, s) in segs.iter_mut().enumerate() {
            s.frame = i as u64 + 1;
            s.time = i as f64 * 0.001;
        }
        let conns = group(segs, None);
        for c in &conns {
            let _ = c.history();
            let _ = c.to_string();
            let _ = c.is_over();
            for close in [CloseExpectation::Orderly, CloseExpectation::Exactly(TerminationKind::FourSegment)] {
                let expect = Expectations { close, no_retransmissions: true, client_messages: Some(vec![479, 1380]), first_data_ack: Some(480), ..Default::default() };
                let _ = Judged::new(c.clone(), &expect).ensure();
            }
        }
        let items = Judged::all(conns, &Expectations::default());
        let mut sink = Vec::new();
        text::write_text(&mut sink, &items, &[]).unwrap();
        JsonReport::new(&items).write(&mut sink).unwrap();
        let _ = tcplab::report::svg::render_svg(&items);
    }
}

fn block(left: u32, right: u32) -> SackBlock {
    SackBlock {
        left: SeqNumber(left),
        right: SeqNumber(right),
    }
}

/// Any option tcplab knows, or one of a kind it does not.
fn option() -> impl Strategy<Value = TcpOption> {
    prop_oneof![
        Just(TcpOption::Nop),
        any::<u16>().prop_map(TcpOption::Mss),
        any::<u8>().prop_map(TcpOption::WindowScale),
        Just(TcpOption::SackPermitted),
        prop::collection::vec((any::<u32>(), any::<u32>()), 1..=4)
            .prop_map(|v| TcpOption::Sack(v.into_iter().map(|(l, r)| block(l, r)).collect())),
        (any::<u32>(), any::<u32>())
            .prop_map(|(tsval, tsecr)| TcpOption::Timestamps { tsval, tsecr }),
        (
            prop::sample::select(vec![6u8, 7, 9, 19, 28, 29, 30, 34, 253, 254]),
            2u8..=40
        )
            .prop_map(|(kind, len)| TcpOption::Unknown { kind, len }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn any_option_bytes_parse_or_fail_without_panicking(bytes in prop::collection::vec(any::<u8>(), 0..64)) {
        for item in options::parse(&bytes) {
            if let Err(e) = item {
                prop_assert!(e.offset() < bytes.len());
            }
        }
        // Whatever parsed, and holds no unknown kinds, writes back to the
        // bytes it came from (up to an end of option list: padding follows).
        if let Ok(all) = options::parse_all(&bytes) {
            if !all.iter().any(|o| matches!(o, TcpOption::Unknown { .. })) {
                let mut out = Vec::new();
                all.iter().for_each(|o| o.write(&mut out));
                prop_assert_eq!(&out[..], &bytes[..out.len()]);
                if all.last() != Some(&TcpOption::Eol) {
                    prop_assert_eq!(out.len(), bytes.len());
                }
            }
        }
    }

    #[test]
    fn any_option_text_parses_or_fails_without_panicking(text in ".{0,40}") {
        let _ = options::parse_hex(&text);
    }

    #[test]
    fn written_options_read_back(mut opts in prop::collection::vec(option(), 0..6), eol: bool) {
        if eol {
            opts.push(TcpOption::Eol);
        }
        let bytes = options::to_bytes(&opts);
        prop_assert_eq!(bytes.len() % 4, 0);
        let mut back = options::parse_all(&bytes).unwrap();
        // Padding reads as one end of option list, when there is any.
        if !eol && back.len() == opts.len() + 1 {
            prop_assert_eq!(back.pop(), Some(TcpOption::Eol));
        }
        prop_assert_eq!(back, opts);
    }
}
