//! Payload-size experiments: many labs, one capture, one row per size.
//!
//! A [`SizeSpec`] lists sizes (`1,479,1380`, `1..=70000:1000`,
//! `64k..=4m:*2`); [`run_sweep`] runs one lab per size concurrently in a
//! shared [`crate::capture::Session`] and turns each connection into a
//! [`SweepRow`]; [`write_csv`] and [`summary`] report them.

use std::fmt;
use std::time::Duration;

use serde::Serialize;

use crate::connection::{Connection, Role};
use crate::verdict::{TerminationKind, Verdict};

/// One size of a sweep: what the wire showed for that payload.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SweepRow {
    /// Bytes in each message.
    pub size: u64,
    /// Messages sent (each echoed in full before the next).
    pub messages: u32,
    /// Segments the client sent (all kinds).
    pub client_segments: u32,
    /// Segments the server sent (all kinds).
    pub server_segments: u32,
    /// The largest payload of any one segment.
    pub largest_segment: u32,
    /// The server's relative ack of the client's last data byte.
    pub final_ack: u64,
    /// What it must be: 1 + bytes the client sent.
    pub expected_ack: u64,
    /// Segments with no payload, SYN, FIN or RST, both directions.
    pub pure_acks: u32,
    /// Segments with PSH, both directions.
    pub psh: u32,
    /// How the connection ended.
    pub termination: TerminationKind,
    /// Retransmitted segments.
    pub retransmissions: u32,
    /// From the SYN to the last segment, in seconds (capture timestamps).
    pub duration: f64,
    /// Every lab check passed and the final ack is right.
    pub passed: bool,
}

impl SweepRow {
    /// Reads a row off a judged connection of a lab that sent `messages`
    /// messages of `size` bytes.
    pub fn new(size: u64, messages: u32, conn: &Connection, verdict: &Verdict) -> SweepRow {
        let count = |role: Role| conn.steps.iter().filter(|s| s.from == role).count() as u32;
        let bytes = conn.bytes_sent(Role::Client);
        let data_end = 1 + bytes;
        let final_ack = conn
            .steps
            .iter()
            .filter(|s| s.from == Role::Server)
            .filter_map(|s| s.ack)
            .map(u64::from)
            .filter(|&a| a <= data_end)
            .max()
            .unwrap_or(0);
        let expected_ack = 1 + size * u64::from(messages);
        let t0 = conn.start_time();
        SweepRow {
            size,
            messages,
            client_segments: count(Role::Client),
            server_segments: count(Role::Server),
            largest_segment: conn.steps.iter().map(|s| s.segment.len).max().unwrap_or(0),
            final_ack,
            expected_ack,
            pure_acks: conn
                .steps
                .iter()
                .filter(|s| s.segment.is_pure_ack())
                .count() as u32,
            psh: conn.steps.iter().filter(|s| s.segment.flags.psh()).count() as u32,
            termination: verdict.findings.termination.kind,
            retransmissions: verdict.findings.retransmissions as u32,
            duration: conn.steps.last().map_or(0.0, |s| s.segment.time - t0),
            passed: verdict.passed() && final_ack == expected_ack,
        }
    }

    /// The header of [`write_csv`].
    pub const CSV_HEADER: &'static str = "size,messages,client_segments,server_segments,largest_segment,final_ack,expected_ack,pure_acks,psh,termination,retransmissions,duration_s,passed";
}

/// Writes rows as CSV with a header row.
pub fn write_csv(out: &mut dyn std::io::Write, rows: &[SweepRow]) -> std::io::Result<()> {
    writeln!(out, "{}", SweepRow::CSV_HEADER)?;
    for r in rows {
        writeln!(
            out,
            "{},{},{},{},{},{},{},{},{},{},{},{:.6},{}",
            r.size,
            r.messages,
            r.client_segments,
            r.server_segments,
            r.largest_segment,
            r.final_ack,
            r.expected_ack,
            r.pure_acks,
            r.psh,
            r.termination,
            r.retransmissions,
            r.duration,
            r.passed
        )?;
    }
    Ok(())
}

/// A list of payload sizes, parsed from the command line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SizeSpec(pub Vec<u64>);

/// A size list that could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
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
    let mult = match unit.to_ascii_lowercase().as_str() {
        "" => 1,
        "k" => 1 << 10,
        "m" => 1 << 20,
        "g" => 1 << 30,
        _ => {
            return Err(format!(
                "`{s}` has the unknown unit `{unit}` (use k, m or g)"
            ));
        }
    };
    n.checked_mul(mult)
        .ok_or_else(|| format!("`{s}` is too large"))
}

/// Thresholds seen in a sweep, in words: where a message first spans two
/// segments, where the close or the retransmission count changes.
pub fn summary(rows: &[SweepRow]) -> Vec<String> {
    let mut out = Vec::new();
    if rows.is_empty() {
        return out;
    }
    let failed = rows.iter().filter(|r| !r.passed).count();
    out.push(format!(
        "{} size(s) from {} to {} bytes; {} passed, {} failed",
        rows.len(),
        rows.iter().map(|r| r.size).min().unwrap_or(0),
        rows.iter().map(|r| r.size).max().unwrap_or(0),
        rows.len() - failed,
        failed
    ));
    let largest = rows.iter().map(|r| r.largest_segment).max().unwrap_or(0);
    out.push(format!("largest segment seen: {largest} bytes"));
    let mut sorted: Vec<&SweepRow> = rows.iter().collect();
    sorted.sort_by_key(|r| r.size);
    // Data segments the client needs per message, from its segment count.
    let data_segments =
        |r: &SweepRow| r.largest_segment > 0 && r.size > u64::from(r.largest_segment);
    if let Some(first) = sorted.iter().find(|r| data_segments(r)) {
        let before = sorted
            .iter()
            .rev()
            .find(|r| r.size < first.size && !data_segments(r));
        out.push(match before {
            Some(b) => format!(
                "a message first spans two segments between {} and {} bytes (largest segment {} bytes)",
                b.size, first.size, first.largest_segment
            ),
            None => format!("every message of {} bytes or more spans several segments", first.size),
        });
    } else {
        out.push("every message fit in one segment".to_owned());
    }
    let mut kinds: Vec<(TerminationKind, usize)> = Vec::new();
    for r in &sorted {
        match kinds.iter_mut().find(|(k, _)| *k == r.termination) {
            Some((_, n)) => *n += 1,
            None => kinds.push((r.termination, 1)),
        }
    }
    out.push(format!(
        "terminations: {}",
        kinds
            .iter()
            .map(|(k, n)| format!("{k} x{n}"))
            .collect::<Vec<_>>()
            .join(", ")
    ));
    let retrans: u32 = rows.iter().map(|r| r.retransmissions).sum();
    out.push(format!("retransmissions: {retrans}"));
    for r in sorted.iter().filter(|r| r.final_ack != r.expected_ack) {
        out.push(format!(
            "size {}: final ack {} but {} bytes were sent (expected {})",
            r.size,
            r.final_ack,
            r.expected_ack - 1,
            r.expected_ack
        ));
    }
    out
}

impl fmt::Display for SweepRow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:>9} B x{}: {:>3} client / {:>3} server segments, largest {:>6}, final ack {:>9}, {} pure ACKs, {} PSH, {}, {} retrans, {:.3} ms{}",
            self.size,
            self.messages,
            self.client_segments,
            self.server_segments,
            self.largest_segment,
            self.final_ack,
            self.pure_acks,
            self.psh,
            self.termination,
            self.retransmissions,
            self.duration * 1e3,
            if self.passed { "" } else { "  FAIL" }
        )
    }
}

/// How long a sweep took and what it cost.
#[derive(Clone, Debug, Serialize)]
pub struct SweepStats {
    /// Wall time of the whole sweep, capture start to stop.
    pub wall: Duration,
    /// Peak resident memory of tcplab itself, KiB.
    pub peak_rss_kib: u64,
    /// Peak resident memory of the largest reaped child (tshark), KiB.
    pub child_peak_rss_kib: u64,
}

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

/// What to sweep.
#[derive(Clone, Debug)]
pub struct SweepConfig {
    /// Message sizes, one lab each.
    pub sizes: Vec<u64>,
    /// Messages per lab.
    pub messages: u32,
    /// How the server closes.
    pub close: crate::lab::ServerClose,
    /// Labs running at once.
    pub jobs: usize,
    /// One capture per lab (the slow baseline) instead of one shared session.
    pub isolated: bool,
    /// Capture settings (timeouts).
    pub capture: crate::capture::LiveConfig,
    /// Run every lab over its own veth link (and capture) instead of loopback.
    pub link: Option<crate::link::LinkConfig>,
}

impl Default for SweepConfig {
    fn default() -> Self {
        SweepConfig {
            sizes: vec![1, 479, 1380],
            messages: 1,
            close: crate::lab::ServerClose::Linger,
            jobs: 8,
            isolated: false,
            capture: crate::capture::LiveConfig::default(),
            link: None,
        }
    }
}

impl SweepConfig {
    fn lab(&self, size: u64) -> crate::lab::Lab {
        let mut lab = crate::lab::Lab::new()
            .payloads(std::iter::repeat_n(size as usize, self.messages as usize))
            .close(self.close)
            .capture(self.capture.clone());
        if let Some(link) = &self.link {
            lab = lab.link(link.clone());
        }
        let expect = crate::verdict::Expectations {
            close: crate::verdict::CloseExpectation::Exactly(self.close.expected_termination()),
            ..lab.expectations()
        };
        lab.expect(expect)
    }
}

/// Runs one lab per size, `jobs` at a time, in one shared capture (or one
/// capture each when `isolated`), and returns the rows in size order.
/// `progress` is called after each lab with the number done.
pub async fn run_sweep(
    config: &SweepConfig,
    progress: impl Fn(usize),
) -> Result<(Vec<SweepRow>, SweepStats), crate::lab::LabError> {
    use std::sync::Arc;
    let t0 = std::time::Instant::now();
    // A link's rules (drop the Nth segment) are per lab: one link and one
    // capture each, `jobs` at a time.
    let session = if config.isolated || config.link.is_some() {
        None
    } else {
        let capture = config.capture.clone();
        let s = tokio::task::spawn_blocking(move || crate::capture::Session::start(capture))
            .await
            .map_err(|e| crate::lab::LabError::Io {
                what: "starting the capture session".to_owned(),
                cause: std::io::Error::other(e),
            })??;
        Some(Arc::new(s))
    };
    let jobs = if config.isolated {
        1
    } else {
        config.jobs.max(1)
    };
    let gate = Arc::new(tokio::sync::Semaphore::new(jobs));
    let mut set = tokio::task::JoinSet::new();
    for &size in &config.sizes {
        let lab = config.lab(size);
        let session = session.clone();
        let gate = Arc::clone(&gate);
        let messages = config.messages;
        set.spawn(async move {
            let _permit = gate
                .acquire_owned()
                .await
                .expect("the gate is never closed");
            let run = match &session {
                Some(s) => lab.run_in(s).await?,
                None => lab.run().await?,
            };
            Ok::<_, crate::lab::LabError>(SweepRow::new(
                size,
                messages,
                &run.connection,
                &run.verdict,
            ))
        });
    }
    let mut rows = Vec::with_capacity(config.sizes.len());
    let mut first_error = None;
    while let Some(joined) = set.join_next().await {
        match joined {
            Ok(Ok(row)) => rows.push(row),
            Ok(Err(e)) => {
                first_error.get_or_insert(e);
            }
            Err(e) => {
                first_error.get_or_insert(crate::lab::LabError::Io {
                    what: "running a lab of the sweep".to_owned(),
                    cause: std::io::Error::other(e),
                });
            }
        }
        progress(rows.len());
    }
    if let Some(s) = session {
        let s = Arc::try_unwrap(s).ok().expect("every lab has ended");
        let stopped = s.stop().await;
        if first_error.is_none() {
            stopped?;
        }
    }
    crate::capture::reap_stopped();
    if let Some(e) = first_error {
        return Err(e);
    }
    rows.sort_by_key(|r| r.size);
    let wall = t0.elapsed();
    let (own, children) = peak_rss();
    Ok((
        rows,
        SweepStats {
            wall,
            peak_rss_kib: own,
            child_peak_rss_kib: children,
        },
    ))
}

/// Peak resident memory of this process and of its largest reaped child, KiB.
fn peak_rss() -> (u64, u64) {
    let get = |who| {
        let mut u: libc::rusage = unsafe { std::mem::zeroed() };
        if unsafe { libc::getrusage(who, &mut u) } == 0 {
            u.ru_maxrss as u64
        } else {
            0
        }
    };
    (get(libc::RUSAGE_SELF), get(libc::RUSAGE_CHILDREN))
}
