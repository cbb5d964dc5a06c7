//! Command-line arguments and one function per subcommand. Everything here
//! is glue: arguments become library values, results become reports and an
//! exit code.

use std::io::Write;
use std::net::{Ipv4Addr, SocketAddr};
use std::os::fd::AsFd;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand, ValueEnum};
use tcplab::capture::{LiveCapture, LiveConfig, TcpFilter};
use tcplab::connection::Connection;
use tcplab::grade::{self, FileResult, GradeConfig, Grades, Status};
use tcplab::lab::{self, ClientStyle, Lab, LinkRun, ServerClose};
use tcplab::link::LinkConfig;
use tcplab::report::{Judged, json, text};
use tcplab::verdict::{CloseExpectation, Expectations, TerminationKind};

/// Every lab check passed.
pub const EXIT_PASS: u8 = 0;
/// A lab check failed: the TCP behaviour is not what the lab expects.
pub const EXIT_FAIL: u8 = 1;
/// The input could not be used.
pub const EXIT_UNUSABLE: u8 = 2;

#[derive(Parser, Debug)]
#[command(
    name = "tcplab",
    version,
    about = "Prove, from a real capture, how TCP behaves on the wire.",
    after_help = "Exit codes: 0 every lab check passed; 1 a check failed; 2 the input could not be used."
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run the echo lab in process, capture it live and judge it (the default).
    Run(RunArgs),
    /// Run the echo server alone (the seed's server.py), for your own client.
    Serve(ServeArgs),
    /// Capture a port, optionally start COMMAND, and judge every connection.
    Watch(WatchArgs),
    /// Judge every TCP connection in capture files, or in every capture below folders.
    Check(CheckArgs),
    /// Run one lab per payload size in one shared capture and tabulate the wire.
    Sweep(SweepArgs),
}

#[derive(Args, Debug)]
struct SweepArgs {
    /// Sizes: `1,479,1380`, `1..=70000:1000`, `64k..=4m:*2` (k, m, g are powers of 1024).
    #[arg(long, value_name = "SPEC")]
    sizes: tcplab::sweep::SizeSpec,
    /// Messages per lab, each echoed in full before the next.
    #[arg(long, value_name = "K", default_value_t = 1)]
    messages: u32,
    /// How the server closes; the sweep expects the matching termination.
    #[arg(long, value_enum, default_value = "linger")]
    close: CloseStyle,
    /// Labs running at once.
    #[arg(long, value_name = "N", default_value_t = 8)]
    jobs: usize,
    /// One capture per lab, one lab at a time (the slow baseline, for comparison).
    #[arg(long)]
    isolated: bool,
    /// Write the rows as CSV (with a header row).
    #[arg(long, value_name = "FILE")]
    csv: Option<PathBuf>,
    /// Plot the main columns against payload size as SVG.
    #[arg(long, value_name = "FILE")]
    svg: Option<PathBuf>,
    /// Print JSON (rows, summary, stats) instead of text.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    link: LinkArgs,
}

#[derive(Args, Debug, Default)]
struct ReportArgs {
    /// Print the JSON report (schema in the README) instead of text.
    #[arg(long)]
    json: bool,
    /// Also draw the ladder diagram as an SVG picture (`check` with several files: a folder, one picture per file).
    #[arg(long, value_name = "FILE")]
    svg: Option<PathBuf>,
    /// Require this close instead of any orderly one.
    #[arg(long, value_enum, value_name = "KIND")]
    expect_close: Option<CloseArg>,
    /// Extra expectations: `no-retransmissions`.
    #[arg(long, value_enum, value_name = "WHAT")]
    expect: Vec<ExpectArg>,
    /// The client's message sizes in order, e.g. `479,1380` (its payload merged across segments up to each server reply).
    #[arg(long, value_name = "SIZES", value_delimiter = ',')]
    expect_payload: Option<Vec<u64>>,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum CloseArg {
    FourSegment,
    ThreeSegment,
    Orderly,
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
enum ExpectArg {
    NoRetransmissions,
}

impl ReportArgs {
    fn expectations(&self, messages: Option<Vec<u64>>) -> Expectations {
        Expectations {
            close: match self.expect_close {
                None | Some(CloseArg::Orderly) => CloseExpectation::Orderly,
                Some(CloseArg::FourSegment) => {
                    CloseExpectation::Exactly(TerminationKind::FourSegment)
                }
                Some(CloseArg::ThreeSegment) => {
                    CloseExpectation::Exactly(TerminationKind::ThreeSegment)
                }
            },
            no_retransmissions: self.expect.contains(&ExpectArg::NoRetransmissions),
            messages,
            first_data_ack: None,
            client_messages: self.expect_payload.clone(),
        }
    }
}

#[derive(Args, Debug)]
struct RunArgs {
    /// A message size in bytes; repeat for several (default: 479 then 1380).
    #[arg(long = "payload", value_name = "N")]
    payloads: Vec<usize>,
    /// How the server closes: linger (four segments), prompt (three), abort (RST).
    #[arg(long, value_enum, default_value = "linger")]
    close: CloseStyle,
    /// How the client reads: full (whole echo) or seed (one recv(1024), as client.py).
    #[arg(long, value_enum, default_value = "full")]
    client: ClientArg,
    /// Run over IPv6 (::1).
    #[arg(long)]
    ipv6: bool,
    /// Keep the capture as a pcapng file.
    #[arg(long, value_name = "FILE.pcapng")]
    save: Option<PathBuf>,
    #[command(flatten)]
    timeouts: TimeoutArgs,
    #[command(flatten)]
    link: LinkArgs,
    #[command(flatten)]
    report: ReportArgs,
}

#[derive(Args, Debug, Default)]
struct LinkArgs {
    /// Run over a link instead of loopback: `veth` is two network namespaces
    /// joined by a veth pair, captured on the server's end (root only).
    #[arg(long, value_enum, value_name = "KIND")]
    link: Option<LinkKind>,
    /// The link's MTU [default: 1500].
    #[arg(long, value_name = "BYTES", requires = "link")]
    mtu: Option<u32>,
    /// Random loss in each direction, e.g. `5%`.
    #[arg(long, value_name = "P%", value_parser = percent, requires = "link")]
    loss: Option<u8>,
    /// Random loss of the client's segments only (overrides --loss that way).
    #[arg(long, value_name = "P%", value_parser = percent, requires = "link")]
    loss_to_server: Option<u8>,
    /// Random loss of the server's segments only (overrides --loss that way).
    #[arg(long, value_name = "P%", value_parser = percent, requires = "link")]
    loss_to_client: Option<u8>,
    /// Drop the client's Nth data segment once (counting from 1).
    #[arg(long, value_name = "N", requires = "link")]
    drop_nth: Option<u32>,
    /// Limit the link's rate with tc tbf, e.g. `10mbit`.
    #[arg(long, value_name = "RATE", requires = "link")]
    rate: Option<String>,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum LinkKind {
    Veth,
}

impl LinkArgs {
    fn config(&self) -> Option<LinkConfig> {
        self.link?;
        let loss = self.loss.unwrap_or(0);
        Some(LinkConfig {
            mtu: self.mtu.unwrap_or(1500),
            loss_to_server: self.loss_to_server.unwrap_or(loss),
            loss_to_client: self.loss_to_client.unwrap_or(loss),
            drop_nth: self.drop_nth,
            rate: self.rate.clone(),
        })
    }
}

/// `5%` or `5`: a whole percentage from 0 to 100.
fn percent(s: &str) -> Result<u8, String> {
    s.trim_end_matches('%')
        .parse::<u8>()
        .ok()
        .filter(|p| *p <= 100)
        .ok_or_else(|| format!("`{s}` is not a percentage: give a whole number from 0% to 100%"))
}

#[derive(Args, Debug)]
struct TimeoutArgs {
    /// Seconds to wait for the capture to prove it is running.
    #[arg(long, value_name = "S", default_value_t = 10.0)]
    start_timeout: f64,
    /// Seconds to wait for the capture to deliver the last segment.
    #[arg(long, value_name = "S", default_value_t = 5.0)]
    complete_timeout: f64,
    /// Seconds the echo exchange (connect, send, read the echo, close) may take.
    #[arg(long, value_name = "S", default_value_t = 10.0)]
    io_timeout: f64,
}

#[derive(Clone, Copy, Debug, Default, ValueEnum)]
enum CloseStyle {
    #[default]
    Linger,
    Prompt,
    Abort,
}

#[derive(Clone, Copy, Debug, Default, ValueEnum)]
enum ClientArg {
    #[default]
    Full,
    Seed,
}

#[derive(Args, Debug)]
struct ServeArgs {
    /// Port on 127.0.0.1.
    #[arg(long, default_value_t = 8000)]
    port: u16,
    /// Milliseconds to wait after the client's FIN before closing (0: at once, three segments on Linux).
    #[arg(long, value_name = "MS", default_value_t = 200)]
    close_delay: u64,
}

#[derive(Args, Debug)]
struct WatchArgs {
    /// The server's TCP port to capture.
    #[arg(long)]
    port: u16,
    /// Interface to capture on.
    #[arg(long, default_value = "lo")]
    interface: String,
    /// Seconds to watch at most; connections still open then are reported as incomplete.
    #[arg(long, value_name = "S", default_value_t = 30.0)]
    timeout: f64,
    /// Seconds to wait for the capture to prove it is running, before COMMAND starts.
    #[arg(long, value_name = "S", default_value_t = 10.0)]
    start_timeout: f64,
    /// Keep the capture as a pcapng file.
    #[arg(long, value_name = "FILE")]
    save: Option<PathBuf>,
    #[command(flatten)]
    report: ReportArgs,
    /// The program to run once the capture is proven running, e.g. `python3 client.py`.
    #[arg(last = true, value_name = "COMMAND")]
    command: Vec<String>,
}

#[derive(Args, Debug)]
struct CheckArgs {
    /// pcap or pcapng files, and folders (every *.pcap, *.pcapng, *.cap below them, in sorted order).
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
    /// Only connections with this port (the server's, when the SYN is missing).
    #[arg(long)]
    port: Option<u16>,
    /// Also write the grades as CSV: one row per connection and per unusable file.
    #[arg(long, value_name = "FILE")]
    csv: Option<PathBuf>,
    /// Also write the summary table (one row per file) to FILE.
    #[arg(long, value_name = "FILE")]
    table: Option<PathBuf>,
    /// Files checked at once, each by a tshark of its own [default: the number of cores].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    jobs: Option<u32>,
    #[command(flatten)]
    report: ReportArgs,
}

/// Parses the arguments and runs the subcommand; returns the exit code.
pub fn main() -> Result<u8> {
    // `tcplab` alone, or with only options, is `tcplab run`.
    let mut args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let first = args.get(1).and_then(|a| a.to_str()).map(str::to_owned);
    let top_level = ["-h", "--help", "-V", "--version"];
    if first
        .as_deref()
        .is_none_or(|f| f.starts_with('-') && !top_level.contains(&f))
    {
        args.insert(1, "run".into());
    }
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return Ok(if e.use_stderr() {
                EXIT_UNUSABLE
            } else {
                EXIT_PASS
            });
        }
    };
    let rt = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    rt.block_on(async {
        match cli.command.context("no subcommand")? {
            Command::Run(a) => run(a).await,
            Command::Serve(a) => serve(a).await,
            Command::Watch(a) => watch(a).await,
            Command::Check(a) => check(a),
            Command::Sweep(a) => sweep(a).await,
        }
    })
}

fn seconds(s: f64, what: &str) -> Result<Duration> {
    Duration::try_from_secs_f64(s)
        .with_context(|| format!("{what} must be a positive number of seconds, not {s}"))
}

async fn run(a: RunArgs) -> Result<u8> {
    let payloads = if a.payloads.is_empty() {
        vec![479, 1380]
    } else {
        a.payloads.clone()
    };
    let client = match a.client {
        ClientArg::Full => ClientStyle::Full,
        ClientArg::Seed => ClientStyle::Seed,
    };
    let config = LiveConfig {
        start_timeout: seconds(a.timeouts.start_timeout, "--start-timeout")?,
        complete_timeout: seconds(a.timeouts.complete_timeout, "--complete-timeout")?,
        save: a.save.clone(),
        ..LiveConfig::default()
    };
    let mut lab = Lab::new()
        .payloads(payloads.clone())
        .close(a.close.server_close())
        .client(client)
        .io_timeout(seconds(a.timeouts.io_timeout, "--io-timeout")?)
        .capture(config);
    if a.ipv6 {
        lab = lab.ipv6();
    }
    if let Some(link) = a.link.config() {
        if a.ipv6 {
            bail!("--link veth runs over IPv4 (198.18.0.0/15): leave out --ipv6");
        }
        lab = lab.link(link);
    }
    // The lab knows which message plan its client makes checkable.
    let messages = lab.expectations().messages;
    let lab = lab.expect(a.report.expectations(messages));
    let run = lab.run().await?;
    if let (Some(link), false) = (&run.link, a.report.json) {
        println!(
            "link: {}; its rules dropped {} segment(s) on the way to the server and {} to the client\n",
            link.description, link.dropped.0, link.dropped.1
        );
    }
    let items = vec![Judged {
        connection: run.connection,
        verdict: run.verdict,
    }];
    report_with_link(&items, &a.report, run.link.as_ref())
}

async fn serve(a: ServeArgs) -> Result<u8> {
    let addr: SocketAddr = (Ipv4Addr::LOCALHOST, a.port).into();
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::AddrInUse => anyhow::Error::new(lab::LabError::PortInUse { addr }),
            _ => anyhow::Error::new(e).context(format!("binding {addr}")),
        })?;
    eprintln!(
        "tcplab serve: echoing on {addr}; closing {} ms after each client's FIN; Ctrl-C stops",
        a.close_delay
    );
    tokio::select! {
        r = lab::serve(listener, Duration::from_millis(a.close_delay)) => r?,
        _ = tokio::signal::ctrl_c() => {}
    }
    Ok(EXIT_PASS)
}

async fn watch(a: WatchArgs) -> Result<u8> {
    let timeout = seconds(a.timeout, "--timeout")?;
    let config = LiveConfig {
        interface: a.interface.clone(),
        save: a.save.clone(),
        start_timeout: seconds(a.start_timeout, "--start-timeout")?,
        ..LiveConfig::default()
    };
    let mut cap = LiveCapture::start(config, &TcpFilter::Ports(vec![a.port])).await?;
    let deadline = tokio::time::Instant::now() + timeout;
    let mut command_failed = None;
    if let Some((program, args)) = a.command.split_first() {
        let shown = a.command.join(" ");
        // The command's output goes to stderr, so that stdout holds only the report.
        let stderr = std::io::stderr()
            .as_fd()
            .try_clone_to_owned()
            .context("duplicating stderr")?;
        let mut child = tokio::process::Command::new(program)
            .args(args)
            .stdout(std::process::Stdio::from(stderr))
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| match e.kind() {
                std::io::ErrorKind::NotFound => anyhow::anyhow!("cannot run `{shown}`: `{program}` was not found; check the command and your PATH"),
                _ => anyhow::Error::new(e).context(format!("cannot run `{shown}`")),
            })?;
        let status = loop {
            tokio::select! {
                s = child.wait() => break Some(s.with_context(|| format!("waiting for `{shown}`"))?),
                r = cap.next_packet() => r?,
                _ = tokio::time::sleep_until(deadline) => break None,
                _ = tokio::signal::ctrl_c() => break None,
            }
        };
        match status {
            Some(s) if !s.success() => {
                command_failed = Some(format!("the watched command `{shown}` exited with {s}"))
            }
            Some(_) => {}
            None => {
                let _ = child.kill().await;
                command_failed = Some(format!(
                    "the watched command `{shown}` was still running after {timeout:?} and was stopped"
                ));
            }
        }
        // Every connection seen must end (bounded by what is left of --timeout).
        let left = deadline
            .saturating_duration_since(tokio::time::Instant::now())
            .max(Duration::from_millis(500));
        let _ = cap
            .wait_until("the end of every watched connection", Some(left), |c| {
                c.as_slice().iter().all(Connection::is_over)
            })
            .await;
    } else {
        eprintln!(
            "tcplab watch: capturing TCP port {} on {}; Ctrl-C or {:?} ends the watch",
            a.port, a.interface, timeout
        );
        loop {
            tokio::select! {
                r = cap.next_packet() => r?,
                _ = tokio::time::sleep_until(deadline) => break,
                _ = tokio::signal::ctrl_c() => break,
            }
        }
    }
    let captured = cap.stop().await?;
    let connections = captured.connections.into_vec();
    let expect = a.report.expectations(None);
    let items = Judged::all(connections, &expect);
    if items.is_empty() {
        bail!(
            "no TCP connection on port {} was seen on {} during the watch: is the program using that port?",
            a.port,
            a.interface
        );
    }
    let code = report(&items, &a.report)?;
    if let Some(why) = command_failed {
        eprintln!("tcplab: {why}");
        return Ok(EXIT_UNUSABLE);
    }
    Ok(code)
}

fn check(a: CheckArgs) -> Result<u8> {
    let expect = a.report.expectations(None);
    // One file: the single-file report, exactly as before.
    if let [file] = a.paths.as_slice() {
        if !file.is_dir() {
            let outcome = grade::check_file(file, a.port, &expect);
            let mut grades = Grades {
                files: vec![FileResult {
                    file: file.clone(),
                    outcome,
                }],
                notes: vec![],
            };
            write_grade_files(&a, &grades)?;
            let only = grades.files.pop().expect("one file");
            return report(&only.outcome?, &a.report);
        }
    }
    if let Some(svg) = &a.report.svg {
        let svg_name = svg
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("svg"));
        if svg.is_file() || (svg_name && !svg.is_dir()) {
            bail!(
                "with several files --svg takes a folder for one picture per file, and `{}` is a file name: give a folder, e.g. --svg pictures",
                svg.display()
            );
        }
    }
    let inputs = grade::expand(&a.paths);
    let config = GradeConfig {
        port: a.port,
        expect,
        jobs: a
            .jobs
            .map_or_else(|| GradeConfig::default().jobs, |j| j as usize),
    };
    // Drawn only on a terminal: indicatif hides it otherwise.
    let bar = indicatif::ProgressBar::new(inputs.entries.len() as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{elapsed_precise} [{bar:40}] {pos}/{len} files")
            .expect("a valid template")
            .progress_chars("=> "),
    );
    let grades = grade::grade(inputs, &config, &|done| bar.set_position(done as u64));
    bar.finish_and_clear();
    for note in &grades.notes {
        eprintln!("tcplab: {note}");
    }
    for f in &grades.files {
        if let Err(e) = &f.outcome {
            eprintln!("tcplab: {e}");
        }
    }
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let written = if a.report.json {
        grade::json::write_json(&mut out, &grades)
    } else {
        grade::table::write_text(&mut out, &grades)
    };
    match written {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
        r => r.context("writing the report")?,
    }
    let _ = out.flush();
    write_grade_files(&a, &grades)?;
    if let Some(dir) = &a.report.svg {
        grade::svg::write_pictures(dir, &grades)
            .with_context(|| format!("writing the SVG pictures into `{}`", dir.display()))?;
    }
    Ok(match grades.status() {
        Status::Pass => EXIT_PASS,
        Status::Fail => EXIT_FAIL,
        Status::Unusable => EXIT_UNUSABLE,
    })
}

/// A writer of one report of a batch.
type GradesWriter = fn(&mut dyn Write, &Grades) -> std::io::Result<()>;

/// Writes `--csv` and `--table`, when asked for.
fn write_grade_files(a: &CheckArgs, grades: &Grades) -> Result<()> {
    let writers: [(&Option<PathBuf>, GradesWriter); 2] = [
        (&a.csv, grade::csv::write_csv),
        (&a.table, grade::table::write_table),
    ];
    for (path, write) in writers {
        if let Some(path) = path {
            let mut f = std::io::BufWriter::new(
                std::fs::File::create(path)
                    .with_context(|| format!("creating `{}`", path.display()))?,
            );
            write(&mut f, grades)
                .and_then(|()| f.flush())
                .with_context(|| format!("writing `{}`", path.display()))?;
        }
    }
    Ok(())
}

impl CloseStyle {
    fn server_close(self) -> ServerClose {
        match self {
            CloseStyle::Linger => ServerClose::Linger,
            CloseStyle::Prompt => ServerClose::Prompt,
            CloseStyle::Abort => ServerClose::Abort,
        }
    }
}

async fn sweep(a: SweepArgs) -> Result<u8> {
    use tcplab::sweep::{SweepConfig, run_sweep, summary, write_csv};
    let config = SweepConfig {
        sizes: a.sizes.0.clone(),
        messages: a.messages,
        close: a.close.server_close(),
        jobs: a.jobs,
        isolated: a.isolated,
        link: a.link.config(),
        ..SweepConfig::default()
    };
    // Drawn only on a terminal: indicatif hides it otherwise.
    let bar = indicatif::ProgressBar::new(config.sizes.len() as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{elapsed_precise} [{bar:40}] {pos}/{len} labs")
            .expect("a valid template")
            .progress_chars("=> "),
    );
    let (rows, stats) = run_sweep(&config, |done| bar.set_position(done as u64)).await?;
    bar.finish_and_clear();
    let lines = summary(&rows);
    let passed = rows.iter().all(|r| r.passed);
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if a.json {
        let v = serde_json::json!({ "schema": 1, "passed": passed, "summary": lines, "stats": stats, "rows": rows });
        serde_json::to_writer_pretty(&mut out, &v).context("writing JSON")?;
        writeln!(out)?;
    } else {
        for r in &rows {
            writeln!(out, "{r}")?;
        }
        writeln!(out)?;
        for l in &lines {
            writeln!(out, "{l}")?;
        }
        writeln!(
            out,
            "wall time {:.3} s; peak RSS: tcplab {} MiB, largest child (tshark) {} MiB",
            stats.wall.as_secs_f64(),
            stats.peak_rss_kib / 1024,
            stats.child_peak_rss_kib / 1024
        )?;
    }
    if let Some(path) = &a.csv {
        let mut f = std::fs::File::create(path)
            .with_context(|| format!("creating `{}`", path.display()))?;
        write_csv(&mut f, &rows).with_context(|| format!("writing `{}`", path.display()))?;
    }
    if let Some(path) = &a.svg {
        std::fs::write(path, tcplab::report::plot::render_plot(&rows))
            .with_context(|| format!("writing the plot to `{}`", path.display()))?;
    }
    Ok(if passed { EXIT_PASS } else { EXIT_FAIL })
}

fn report(items: &[Judged], a: &ReportArgs) -> Result<u8> {
    report_with_link(items, a, None)
}

/// The report; a lab over a link adds what the link did to the JSON.
fn report_with_link(items: &[Judged], a: &ReportArgs, link: Option<&LinkRun>) -> Result<u8> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let written = if a.json {
        json::write_json_with_link(&mut out, items, link)
    } else {
        text::write_text(&mut out, items)
    };
    match written {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
        r => r.context("writing the report")?,
    }
    let _ = out.flush();
    if let Some(path) = &a.svg {
        write_svg(path, items)?;
    }
    Ok(if Judged::all_passed(items) {
        EXIT_PASS
    } else {
        EXIT_FAIL
    })
}

fn write_svg(path: &std::path::Path, items: &[Judged]) -> Result<()> {
    let pairs: Vec<_> = items.iter().map(|j| (&j.connection, &j.verdict)).collect();
    std::fs::write(path, tcplab::report::svg::render_svg(&pairs))
        .with_context(|| format!("writing the SVG picture to `{}`", path.display()))
}
