//! The time-sequence graph (`--graph tsg`): drawn of the recorded lossy
//! veth lab through the library and through the binary, checked as XML:
//! every retransmission the transfer analysis counts is marked, the marks
//! stay inside their plot and reach its ends, and `--graph auto` keeps the
//! ladder for the lab's few segments.

use std::path::{Path, PathBuf};

use rstest::rstest;
use tcplab::capture::file::read_file;
use tcplab::connection::group;
use tcplab::report::Graph;
use tcplab::report::tsg::render_tsg;
use tcplab::verdict::{Expectations, Judged};

mod common;
use common::tcplab;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// Every connection of a recorded capture, judged as `tcplab check` judges it.
fn judged(name: &str) -> Vec<Judged> {
    let capture = read_file(&fixture(name), None).unwrap();
    Judged::all(capture.connections, &Expectations::default())
}

/// Parses `svg`, checks it is one SVG document, and returns it.
fn parse(svg: &str) -> roxmltree::Document<'_> {
    let doc = roxmltree::Document::parse(svg).unwrap_or_else(|e| panic!("{e}\n{svg}"));
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "svg");
    assert_eq!(
        root.tag_name().namespace(),
        Some("http://www.w3.org/2000/svg")
    );
    doc
}

fn with_class<'a>(
    node: roxmltree::Node<'a, 'a>,
    class: &'a str,
) -> impl Iterator<Item = roxmltree::Node<'a, 'a>> {
    node.descendants()
        .filter(move |n| n.attribute("class") == Some(class))
}

fn number(node: roxmltree::Node, attr: &str) -> f64 {
    node.attribute(attr).unwrap().parse().unwrap()
}

/// The points of a path made of `M`, `V`, `H` and `h` commands.
fn points(d: &str) -> Vec<(f64, f64)> {
    let mut out = Vec::new();
    let (mut x, mut y) = (0.0, 0.0);
    let mut rest = d;
    while let Some(cmd) = rest.chars().next() {
        let end = rest[1..]
            .find(|c: char| c.is_ascii_alphabetic())
            .map_or(rest.len(), |i| i + 1);
        let args: Vec<f64> = rest[1..end]
            .split_whitespace()
            .map(|a| a.parse().unwrap())
            .collect();
        match cmd {
            'M' => (x, y) = (args[0], args[1]),
            'V' => y = args[0],
            'H' => x = args[0],
            'h' => x += args[0],
            c => panic!("unexpected path command {c} in {d}"),
        }
        out.push((x, y));
        rest = &rest[end..];
    }
    out
}

#[test]
fn the_lossy_links_graph_marks_every_retransmission_in_red() {
    let items = judged("lossy-link.pcapng");
    assert_eq!(items.len(), 1);
    let expected = items[0].verdict.findings.transfer.retransmissions.len();
    assert_eq!(expected, 8, "the recorded lab resent 8 segments");
    let svg = render_tsg(&items);
    let doc = parse(&svg);
    let root = doc.root_element();
    let marks: Vec<_> = with_class(root, "retransmission").collect();
    assert_eq!(marks.len(), expected, "{svg}");
    for m in &marks {
        assert_eq!(m.attribute("stroke"), Some(tcplab::report::svgkit::RED));
    }
    // Both ends sent payload and resent some of it: one graph each, with
    // the ends' own retransmissions in their own graph.
    let directions: Vec<_> = with_class(root, "direction").collect();
    assert_eq!(directions.len(), 2);
    for d in &directions {
        let from = d.attribute("data-from").unwrap();
        let resent = items[0]
            .verdict
            .findings
            .transfer
            .retransmissions
            .iter()
            .filter(|r| r.from.to_string() == from)
            .count();
        assert_eq!(with_class(*d, "retransmission").count(), resent, "{from}");
        assert_eq!(with_class(*d, "ack").count(), 1, "{from}");
    }
    assert!(
        with_class(root, "sack").count() > 0,
        "the lab's SACK blocks"
    );
    assert!(svg.contains("RTT at the capture point: min "));
    assert!(svg.contains("throughput: 21859 bytes in "));
}

#[test]
fn the_axes_cover_the_data_and_end_near_it() {
    let items = judged("lossy-link.pcapng");
    let svg = render_tsg(&items);
    let doc = parse(&svg);
    let mut rightmost: f64 = 0.0;
    let mut right_edge = 0.0;
    for d in with_class(doc.root_element(), "direction") {
        let plot = with_class(d, "plot").next().unwrap();
        let (x, y, w, h) = (
            number(plot, "x"),
            number(plot, "y"),
            number(plot, "width"),
            number(plot, "height"),
        );
        right_edge = x + w;
        let marks: Vec<(f64, f64)> = ["segments", "retransmission", "ack"]
            .into_iter()
            .flat_map(|class| with_class(d, class))
            .flat_map(|n| n.descendants().filter_map(|p| p.attribute("d")))
            .flat_map(points)
            .collect();
        assert!(marks.len() > 20);
        // Inside the plot, but for the half-width of an end tick and half
        // the shortest bar.
        for &(px, py) in &marks {
            assert!(
                px >= x - 4.5 && px <= x + w + 4.5,
                "x {px} outside {x}..{}",
                x + w
            );
            assert!(
                py >= y - 2.0 && py <= y + h + 2.0,
                "y {py} outside {y}..{}",
                y + h
            );
        }
        // The highest sequence number is at the top of the plot.
        let top = marks.iter().map(|p| p.1).fold(f64::INFINITY, f64::min);
        assert!(
            top - y < 0.02 * h,
            "the data ends {} px below the top",
            top - y
        );
        rightmost = marks.iter().map(|p| p.0).fold(rightmost, f64::max);
    }
    // The time axis ends with the connection's last segment.
    assert!(
        (right_edge - rightmost).abs() < 4.0,
        "the data ends {} px before the right edge",
        right_edge - rightmost
    );
}

#[rstest]
#[case::lab("four-segment.pcapng", Graph::Ladder)]
#[case::lossy_lab("lossy-link.pcapng", Graph::Ladder)]
fn auto_keeps_the_ladder_for_a_few_segments(#[case] file: &str, #[case] picture: Graph) {
    let items = judged(file);
    assert!(items[0].connection.steps.len() <= Graph::LADDER_MAX_SEGMENTS);
    assert_eq!(Graph::Auto.chosen(&items), picture);
    let svg = Graph::Auto.render(&items);
    parse(&svg);
    assert!(svg.contains("<title>TCP ladder diagram (tcplab)</title>"));
}

#[test]
fn auto_draws_the_graph_for_a_long_transfer() {
    // 1,000,000 bytes in 1448-byte segments, each acknowledged: 1,390 segments.
    let connections = group(tcplab::testing::upload(1_000_000, 1448), None);
    let items = Judged::all(connections, &Expectations::default());
    assert!(items[0].connection.steps.len() > Graph::LADDER_MAX_SEGMENTS);
    assert_eq!(Graph::Auto.chosen(&items), Graph::TimeSequence);
    let svg = Graph::Auto.render(&items);
    let doc = parse(&svg);
    assert!(svg.contains("<title>TCP time-sequence graph (tcplab)</title>"));
    // Only the client sent payload: one graph.
    assert_eq!(with_class(doc.root_element(), "direction").count(), 1);
    assert!(svg.contains("sequence number (bytes, k = 1024)"));
    // A picture, not a ladder's worth of rows: the same width as the lab's
    // graph, and a few hundred KB at most.
    assert!(svg.len() < 400_000, "{} bytes", svg.len());
}

#[rstest]
#[case::tsg("tsg", "TCP time-sequence graph", 8)]
#[case::ladder("ladder", "TCP ladder diagram", 0)]
#[case::auto("auto", "TCP ladder diagram", 0)]
fn check_draws_what_graph_asks_for(#[case] graph: &str, #[case] title: &str, #[case] marks: usize) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("lossy.svg");
    let (code, stdout, stderr) = tcplab(&[
        "check",
        fixture("lossy-link.pcapng").to_str().unwrap(),
        "--svg",
        out.to_str().unwrap(),
        "--graph",
        graph,
    ]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let svg = std::fs::read_to_string(&out).unwrap();
    let doc = parse(&svg);
    assert!(svg.contains(&format!("<title>{title} (tcplab)</title>")));
    assert_eq!(
        with_class(doc.root_element(), "retransmission").count(),
        marks
    );
}

#[test]
fn a_folder_gets_one_graph_per_file() {
    let input = tempfile::tempdir().unwrap();
    for name in ["four-segment.pcapng", "lossy-link.pcapng"] {
        std::fs::copy(fixture(name), input.path().join(name)).unwrap();
    }
    let pictures = tempfile::tempdir().unwrap();
    let (code, stdout, stderr) = tcplab(&[
        "check",
        input.path().to_str().unwrap(),
        "--svg",
        pictures.path().to_str().unwrap(),
        "--graph",
        "tsg",
    ]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    for (name, marks) in [("four-segment.pcapng.svg", 0), ("lossy-link.pcapng.svg", 8)] {
        let svg = std::fs::read_to_string(pictures.path().join(name)).unwrap();
        let doc = parse(&svg);
        assert!(svg.contains("<title>TCP time-sequence graph (tcplab)</title>"));
        assert_eq!(
            with_class(doc.root_element(), "retransmission").count(),
            marks,
            "{name}"
        );
    }
}

#[rstest]
#[case::an_unknown_graph_with_the_choices("stevens", &["auto", "tsg"])]
#[case::a_graph_without_svg("tsg", &["--svg"])]
fn graph_options_that_cannot_work_are_refused(#[case] graph: &str, #[case] says: &[&str]) {
    let (code, _, stderr) = tcplab(&[
        "check",
        fixture("four-segment.pcapng").to_str().unwrap(),
        "--graph",
        graph,
    ]);
    assert_eq!(code, 2, "{stderr}");
    assert!(says.iter().all(|s| stderr.contains(s)), "{stderr}");
}
