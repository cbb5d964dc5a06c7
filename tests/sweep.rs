//! Payload-size experiments in the normal suite: one shared capture for the
//! whole test process, one lab per size, every size asserted.

use rstest::rstest;
use tcplab::capture::Session;
use tcplab::connection::Role;
use tcplab::lab::{Lab, ServerClose};
use tcplab::verdict::TerminationKind;

/// Every byte of two messages of `n` bytes is acknowledged cumulatively, and
/// the close is the four-segment one, from 1 byte to past two loopback MSS.
#[rstest]
#[tokio::test]
async fn cumulative_ack_and_close_for_every_size(
    #[values(
        1, 2, 100, 479, 536, 1000, 1380, 1448, 4096, 16384, 32768, 65483, 65484, 65535, 65536,
        100000, 130966, 131072, 200000, 262144
    )]
    n: u64,
) {
    let session = Session::shared().expect("capture session");
    let run = Lab::new()
        .payloads([n, n])
        .run_in(session)
        .await
        .expect("lab runs");
    let c = &run.connection;
    let acks = c.acks_from(Role::Server);
    assert!(
        acks.contains(&(1 + n)),
        "no Ack={} after the first message\n{c}",
        1 + n
    );
    assert!(
        acks.contains(&(1 + 2 * n)),
        "no Ack={} after the second\n{c}",
        1 + 2 * n
    );
    assert_eq!(
        run.verdict.findings.termination.kind,
        TerminationKind::FourSegment,
        "{c}"
    );
    assert_eq!(c.bytes_sent(Role::Client), 2 * n, "{c}");
    run.ensure().expect("the lab sheet holds");
}

/// Labs sharing the session run at the same time and each gets only its own
/// connection.
#[tokio::test]
async fn concurrent_labs_get_only_their_own_connection() {
    let session = Session::shared().expect("capture session");
    let mut set = tokio::task::JoinSet::new();
    for i in 0..8 {
        let lab = Lab::new()
            .payloads([100 + i])
            .close(ServerClose::ALL[i as usize % 3]);
        set.spawn(async move { (i, lab.run_in(session).await) });
    }
    while let Some(joined) = set.join_next().await {
        let (i, run) = joined.expect("the lab task ends");
        let run = run.expect("lab runs");
        let c = &run.connection;
        assert_eq!((c.client, c.server), (run.client, run.server));
        assert_eq!(c.bytes_sent(Role::Client), 100 + i, "{c}");
        assert_eq!(
            run.verdict.findings.termination.kind,
            ServerClose::ALL[i as usize % 3].expected_termination(),
            "{c}"
        );
    }
}

// The plot of a sweep, read back as SVG: what the x axis spans and what the
// key holds, for the kinds of size list `--sizes` takes.

use tcplab::sweep::plot::render_plot;
use tcplab::sweep::{SizeSpec, SweepRow};

/// A passing row of `size` bytes, roughly as loopback shows it.
fn plot_row(size: u64) -> SweepRow {
    let data = 1 + (size / 65483) as u32;
    SweepRow {
        size,
        messages: 1,
        client_segments: 4 + data,
        server_segments: 3 + data,
        largest_segment: size.min(65483) as u32,
        final_ack: 1 + size,
        expected_ack: 1 + size,
        pure_acks: 4,
        psh: 2 * data,
        termination: TerminationKind::FourSegment,
        retransmissions: 0,
        duration: 0.0003 + size as f64 * 2e-8,
        passed: true,
    }
}

/// What the plot of a size list shows along x.
struct Plotted {
    /// The x axis's labels, as sizes (each read back as `--sizes` would),
    /// with their x positions.
    ticks: Vec<(u64, f64)>,
    /// The axis title.
    title: String,
    /// The x positions of the termination strip's marks, one per size.
    marks: Vec<f64>,
    /// The texts of the key.
    key: Vec<String>,
}

fn plot(spec: &str) -> Plotted {
    let sizes = spec.parse::<SizeSpec>().expect("a size list").0;
    let rows: Vec<SweepRow> = sizes.into_iter().map(plot_row).collect();
    let svg = render_plot(&rows);
    let doc = roxmltree::Document::parse(&svg).unwrap_or_else(|e| panic!("{e}\n{svg}"));
    assert!(!svg.contains("NaN") && !svg.contains("inf"), "{svg}");
    let group = |id: &str| {
        doc.descendants()
            .find(|n| n.attribute("id") == Some(id))
            .unwrap_or_else(|| panic!("no group {id}\n{svg}"))
    };
    let num = |n: roxmltree::Node, a: &str| -> f64 { n.attribute(a).unwrap().parse().unwrap() };
    let texts: Vec<roxmltree::Node> = group("x-axis")
        .children()
        .filter(|n| n.has_tag_name("text"))
        .collect();
    let (title, labels) = texts.split_last().expect("the axis has a title");
    let ticks = labels
        .iter()
        .map(|t| {
            let label = t.text().unwrap();
            let size = label
                .parse::<SizeSpec>()
                .unwrap_or_else(|e| panic!("{e}"))
                .0;
            assert_eq!(size.len(), 1, "{label}");
            (size[0], num(*t, "x"))
        })
        .collect();
    let marks = group("termination")
        .children()
        .filter(|n| n.has_tag_name("circle") && n.attribute("r") == Some("4"))
        .map(|c| num(c, "cx"))
        .collect();
    let key = doc
        .descendants()
        .filter(|n| n.attribute("id") == Some("key"))
        .flat_map(|g| g.descendants().filter(|n| n.has_tag_name("text")))
        .map(|t| t.text().unwrap().to_owned())
        .collect();
    Plotted {
        ticks,
        title: title.text().unwrap().to_owned(),
        marks,
        key,
    }
}

/// An even-step sweep gets a linear axis from 0 to the first round tick at
/// or past its largest size; a geometric one a log axis from the power of
/// two at or below its smallest size to the one at or past its largest.
#[rstest]
#[case::even_steps("1..=195001:1000", false, 0, 192 << 10)]
#[case::readme("1..=100000:1000", false, 0, 100 << 10)]
#[case::geometric("64..=4m:*2", true, 64, 4 << 20)]
#[case::geometric_off_powers("1000..=1000000:*10", true, 512, 1 << 20)]
#[case::default_sizes("1,479,1380", false, 0, 1400)]
fn the_x_axis_ends_at_the_data(
    #[case] spec: &str,
    #[case] log: bool,
    #[case] first: u64,
    #[case] last: u64,
) {
    let p = plot(spec);
    let sizes = spec.parse::<SizeSpec>().unwrap().0;
    let (min, max) = (sizes[0], sizes[sizes.len() - 1]);
    let values: Vec<u64> = p.ticks.iter().map(|t| t.0).collect();
    assert_eq!(
        (values[0], values[values.len() - 1]),
        (first, last),
        "{values:?}"
    );
    assert_eq!(p.title.contains("log scale"), log, "{}", p.title);
    // Equal steps on screen are equal steps in bytes (linear) or equal
    // ratios (log), between the labels at least.
    let step = |i: usize| {
        let (a, b) = (p.ticks[i], p.ticks[i + 1]);
        let dv = if log {
            (b.0 as f64 / a.0 as f64).log2()
        } else {
            (b.0 - a.0) as f64
        };
        (b.1 - a.1) / dv
    };
    for i in 1..p.ticks.len() - 1 {
        assert!((step(i) - step(0)).abs() < 0.1, "{:?}", p.ticks);
    }
    // Tight: one step less at either end would cut a size off.
    if log {
        assert!(first <= min && first * 2 > min, "{values:?}");
        assert!(last >= max && last / 2 < max, "{values:?}");
    } else {
        let step = values[1] - values[0];
        assert!(last >= max && last - step < max, "{values:?}");
        assert!(first <= min && (first == 0 || first + step > min));
    }
    // On screen: the marks lie between the end labels, the last one past
    // the last label but one.
    let (left, right) = (p.ticks[0].1, p.ticks[p.ticks.len() - 1].1);
    assert_eq!(p.marks.len(), sizes.len());
    assert!(
        p.marks
            .iter()
            .all(|&m| (left - 0.05..=right + 0.05).contains(&m))
    );
    let rightmost = p.marks.iter().copied().fold(f64::MIN, f64::max);
    assert!(
        rightmost > p.ticks[p.ticks.len() - 2].1,
        "{rightmost} {:?}",
        p.ticks
    );
}

/// Sizes are written as `--sizes` reads them: k is 1024 on the axis too.
#[test]
fn the_axis_counts_k_as_1024() {
    let p = plot("1..=195001:1000");
    assert_eq!(p.title, "payload size (bytes; k = 1024)");
    assert!(p.ticks.iter().any(|&(v, _)| v == 32 << 10), "{:?}", p.ticks);
    let p = plot("64..=4m:*2");
    assert_eq!(
        p.title,
        "payload size (bytes, log scale; k = 1024, M = 1024²)"
    );
}

/// One or two sizes, 0 among them, draw a picture with its marks on the
/// axis and no key (nothing failed; the lanes name the kinds).
#[rstest]
#[case("1")]
#[case("0")]
#[case("65483")]
#[case("0,1")]
#[case("1,4g")]
#[case("479,1380")]
fn a_tiny_sweep_is_a_picture(#[case] spec: &str) {
    let p = plot(spec);
    let n = spec.split(',').count();
    assert_eq!(p.marks.len(), n);
    assert!(p.ticks.len() >= 2, "{:?}", p.ticks);
    assert!(
        p.ticks
            .windows(2)
            .all(|w| w[0].0 < w[1].0 && w[0].1 < w[1].1)
    );
    let (left, right) = (p.ticks[0].1, p.ticks[p.ticks.len() - 1].1);
    assert!(
        p.marks.iter().all(|&m| (left..=right).contains(&m)),
        "{:?}",
        p.marks
    );
    assert!(p.key.is_empty(), "{:?}", p.key);
}
