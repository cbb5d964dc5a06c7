//! Property tests: whatever tshark prints, turning fields into segments and
//! segments into connections, verdicts and reports never panics.

use proptest::prelude::*;
use tcplab::connection::group;
use tcplab::report::json::JsonReport;
use tcplab::report::text;
use tcplab::verdict::{CloseExpectation, Expectations, Judged, TerminationKind};
use tcplab::wire::seq::SeqNumber;
use tcplab::wire::{FIELDS, Flags, Segment};

/// Field values: mostly plausible numbers and addresses, sometimes junk.
fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<u32>().prop_map(|n| n.to_string()),
        any::<u16>().prop_map(|n| format!("0x{n:04x}")),
        Just("127.0.0.1".to_owned()),
        Just("::1".to_owned()),
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
        0..40,
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
            }
        })
}

proptest! {
    #[test]
    fn any_fields_give_a_segment_or_an_error(fields in fields()) {
        let table: Vec<(&str, &str)> = fields.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
        let _ = Segment::from_fields(table.as_slice());
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
                let expect = Expectations { close, no_retransmissions: true, messages: Some(vec![479, 1380]), first_data_ack: Some(480), ..Default::default() };
                let _ = Judged::new(c.clone(), &expect).ensure();
            }
        }
        let items = Judged::all(conns, &Expectations::default());
        let mut sink = Vec::new();
        text::write_text(&mut sink, &items).unwrap();
        JsonReport::new(&items).write(&mut sink).unwrap();
        let _ = tcplab::report::svg::render_svg(&items);
    }
}
