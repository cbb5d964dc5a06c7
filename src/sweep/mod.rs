//! Payload-size experiments: many labs, one capture, one row per size.
//!
//! A [`SizeSpec`] lists sizes (`1,479,1380`, `1..=70000:1000`,
//! `64k..=4m:*2`); [`run_sweep`] runs one lab per size concurrently in a
//! shared [`crate::capture::Session`] and turns each connection into a
//! [`SweepRow`]. A sweep's outputs live here too: [`output`] (text, JSON,
//! CSV) and [`plot`] (SVG).
//!
//! Sizes mean one thing throughout: `k`, `M` and `G` are 1024, 1024² and
//! 1024³ bytes ([`spec::UNITS`]) when a size list is read and whenever a
//! size is abbreviated (the plot's axes); the text report, JSON and CSV
//! give sizes in bytes.

use std::time::Duration;

use serde::Serialize;

pub mod output;
pub mod plot;
pub mod row;
pub mod spec;

pub use row::{SweepRow, summary};
pub use spec::{SizeSpec, SizeSpecError};

/// How long a sweep took and what it cost.
#[derive(Clone, Debug, Serialize)]
pub struct SweepStats {
    /// Wall time of the whole sweep, capture start to stop; in JSON, in
    /// seconds (a number, as every duration tcplab writes).
    #[serde(serialize_with = "as_seconds")]
    pub wall: Duration,
    /// Peak resident memory of tcplab itself, KiB.
    pub peak_rss_kib: u64,
    /// Peak resident memory of the largest reaped child (tshark), KiB.
    pub child_peak_rss_kib: u64,
    /// The sweep was stopped before every lab ran ([`run_sweep_until`]).
    pub interrupted: bool,
}

/// Serialises a duration as a number of seconds.
fn as_seconds<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(d.as_secs_f64())
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
    pub link: Option<crate::net::link::LinkConfig>,
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
            .payloads((0..self.messages).map(|_| size))
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
    run_sweep_until(config, progress, std::future::pending()).await
}

/// [`run_sweep`], unless `stop` completes first (Ctrl-C, SIGTERM): then
/// the labs still running are abandoned, the capture is stopped, and the
/// rows of the labs that ended are returned, with
/// [`SweepStats::interrupted`] set.
pub async fn run_sweep_until(
    config: &SweepConfig,
    progress: impl Fn(usize),
    stop: impl std::future::Future<Output = ()>,
) -> Result<(Vec<SweepRow>, SweepStats), crate::lab::LabError> {
    use std::sync::Arc;
    let mut stop = std::pin::pin!(stop);
    let mut interrupted = false;
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
    loop {
        let joined = tokio::select! {
            j = set.join_next() => match j {
                Some(j) => j,
                None => break,
            },
            () = &mut stop, if !interrupted => {
                interrupted = true;
                set.abort_all();
                continue;
            }
        };
        match joined {
            Ok(Ok(row)) => rows.push(row),
            Ok(Err(e)) => {
                first_error.get_or_insert(e);
            }
            Err(e) if e.is_cancelled() => {}
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
            interrupted,
        },
    ))
}

/// Peak resident memory of this process and of its largest reaped child, KiB.
fn peak_rss() -> (u64, u64) {
    use nix::sys::resource::{UsageWho, getrusage};
    let get = |who| getrusage(who).map_or(0, |u| u.max_rss() as u64);
    (get(UsageWho::RUSAGE_SELF), get(UsageWho::RUSAGE_CHILDREN))
}
