//! The command line, as clap reads it: one struct per subcommand, and the
//! conversions from arguments to library values.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use tcplab::lab::{ClientStyle, ServerClose};
use tcplab::net::link::LinkConfig;
use tcplab::net::rate::Rate;
use tcplab::verdict::{CloseExpectation, Expectations, ExpectedLadder, TerminationKind};

#[derive(Parser, Debug)]
#[command(
    name = "tcplab",
    version,
    disable_version_flag = true,
    override_usage = "tcplab [RUN OPTIONS]\n       tcplab <COMMAND> [OPTIONS]",
    about = "Prove, from a real capture, how TCP behaves on the wire.",
    after_help = "`tcplab` with no subcommand is `tcplab run`, and takes run's options (see `tcplab run --help`).\n\nExit codes: 0 every lab check passed; 1 a check failed; 2 the input could not be used.",
    subcommand_precedence_over_arg = true
)]
pub(crate) struct Cli {
    /// Print the version, and the tshark and tcpdump tcplab would run.
    #[arg(short = 'V', long)]
    pub(crate) version: bool,
    /// Colour: auto (on a terminal, unless NO_COLOR is set), always, never.
    #[arg(
        long,
        value_enum,
        value_name = "WHEN",
        default_value = "auto",
        global = true
    )]
    pub(crate) color: ColorArg,
    #[command(subcommand)]
    pub(crate) command: Option<Command>,
    /// `tcplab` with no subcommand is `tcplab run`: these are run's options
    /// (hidden in `tcplab --help`, see [`super::parse`]).
    #[command(flatten)]
    pub(crate) run: RunArgs,
}

#[derive(Subcommand, Debug)]
pub(crate) enum Command {
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
    /// Print the completion script for SHELL (see the README for where it goes).
    Completions {
        /// bash, zsh, fish, elvish or powershell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page tcplab(1) as roff, or write every page into a folder.
    Man {
        /// Write tcplab.1 and one page per subcommand (tcplab-check.1, ...) into DIR.
        #[arg(long, value_name = "DIR")]
        out_dir: Option<PathBuf>,
    },
}

#[derive(Args, Debug)]
pub(crate) struct SweepArgs {
    /// Sizes: `1,479,1380`, `1..=70000:1000`, `64k..=4m:*2` (k, m, g are powers of 1024).
    #[arg(long, value_name = "SPEC")]
    pub(crate) sizes: tcplab::sweep::SizeSpec,
    /// Messages per lab, each echoed in full before the next.
    #[arg(long, value_name = "K", default_value_t = 1)]
    pub(crate) messages: u32,
    /// How the server closes; the sweep expects the matching termination.
    #[arg(long, value_enum, default_value = "linger")]
    pub(crate) close: CloseStyle,
    /// Labs running at once.
    #[arg(long, value_name = "N", default_value_t = 8)]
    pub(crate) jobs: usize,
    /// One capture per lab, one lab at a time (the slow baseline, for comparison).
    #[arg(long)]
    pub(crate) isolated: bool,
    /// Write the rows as CSV (with a header row).
    #[arg(long, value_name = "FILE")]
    pub(crate) csv: Option<PathBuf>,
    /// Plot the main columns against payload size as SVG.
    #[arg(long, value_name = "FILE")]
    pub(crate) svg: Option<PathBuf>,
    /// Print JSON (rows, summary, stats) instead of text.
    #[arg(long)]
    pub(crate) json: bool,
    #[command(flatten)]
    pub(crate) link: LinkArgs,
}

#[derive(Args, Debug, Default)]
pub(crate) struct ReportArgs {
    /// Print the JSON report (schema in the README) instead of text.
    #[arg(long)]
    pub(crate) json: bool,
    /// Also draw a picture as SVG: the ladder diagram or the time-sequence graph (see --graph).
    #[arg(long, value_name = "FILE")]
    pub(crate) svg: Option<PathBuf>,
    /// What --svg draws: the ladder, the time-sequence graph (`tsg`: sequence
    /// numbers against time, for long transfers), or `auto`: the ladder up
    /// to 100 segments in every connection, the graph past that.
    #[arg(
        long,
        value_enum,
        value_name = "KIND",
        default_value = "auto",
        requires = "svg"
    )]
    pub(crate) graph: GraphArg,
    /// Require this close instead of any orderly one.
    #[arg(long, value_enum, value_name = "KIND")]
    pub(crate) expect_close: Option<CloseArg>,
    /// Extra expectations: `no-retransmissions`.
    #[arg(long, value_enum, value_name = "WHAT")]
    pub(crate) expect: Vec<ExpectArg>,
    /// The client's message sizes in order, e.g. `479,1380` (its payload merged across segments up to each server reply).
    #[arg(long, value_name = "SIZES", value_delimiter = ',')]
    pub(crate) expect_payload: Option<Vec<u64>>,
    /// Every connection must follow this ladder file: one segment per line,
    /// e.g. `client [SYN] Seq=0` (see labs/seed.ladder).
    #[arg(long, value_name = "FILE")]
    pub(crate) expect_ladder: Option<PathBuf>,
}

#[derive(Clone, Copy, Debug, Default, ValueEnum, PartialEq, Eq)]
pub(crate) enum ColorArg {
    /// On a terminal, unless `NO_COLOR` is set (`CLICOLOR_FORCE` forces it).
    #[default]
    Auto,
    Always,
    Never,
}

impl ColorArg {
    /// The choice for anstream, which applies `NO_COLOR`, `CLICOLOR_FORCE`,
    /// `TERM=dumb` and the terminal test under `auto`.
    pub(crate) fn choice(self) -> anstream::ColorChoice {
        match self {
            ColorArg::Auto => anstream::ColorChoice::Auto,
            ColorArg::Always => anstream::ColorChoice::Always,
            ColorArg::Never => anstream::ColorChoice::Never,
        }
    }
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub(crate) enum CloseArg {
    /// Accepted as every report spells it, too: `four_segment`.
    #[value(alias = "four_segment")]
    FourSegment,
    #[value(alias = "three_segment")]
    ThreeSegment,
    Orderly,
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub(crate) enum ExpectArg {
    NoRetransmissions,
}

/// `--graph`: what `--svg` draws.
#[derive(Clone, Copy, Debug, Default, ValueEnum, PartialEq, Eq)]
pub(crate) enum GraphArg {
    #[default]
    Auto,
    Ladder,
    Tsg,
}

impl GraphArg {
    pub(crate) fn graph(self) -> tcplab::report::Graph {
        use tcplab::report::Graph;
        match self {
            GraphArg::Auto => Graph::Auto,
            GraphArg::Ladder => Graph::Ladder,
            GraphArg::Tsg => Graph::TimeSequence,
        }
    }
}

impl ReportArgs {
    /// The expectations these options ask for; reads the `--expect-ladder` file.
    pub(crate) fn expectations(&self) -> anyhow::Result<Expectations> {
        let ladder = match &self.expect_ladder {
            Some(path) => Some(ExpectedLadder::read(path)?),
            None => None,
        };
        Ok(Expectations {
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
            first_data_ack: None,
            client_messages: self.expect_payload.clone(),
            ladder,
        })
    }
}

#[derive(Args, Debug)]
pub(crate) struct RunArgs {
    /// A message size in bytes; repeat for several (default: 479 then 1380).
    #[arg(long = "payload", value_name = "N")]
    pub(crate) payloads: Vec<u64>,
    /// How the server closes: linger (four segments), prompt (three), abort (RST).
    #[arg(long, value_enum, default_value = "linger")]
    pub(crate) close: CloseStyle,
    /// How the client reads: full (whole echo) or seed (one recv(1024), as client.py).
    #[arg(long, value_enum, default_value = "full")]
    pub(crate) client: ClientArg,
    /// Run over IPv6 (::1).
    #[arg(long)]
    pub(crate) ipv6: bool,
    /// Keep the capture as a pcapng file.
    #[arg(long, value_name = "FILE.pcapng")]
    pub(crate) save: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) timeouts: TimeoutArgs,
    #[command(flatten)]
    pub(crate) link: LinkArgs,
    #[command(flatten)]
    pub(crate) report: ReportArgs,
}

#[derive(Args, Debug, Default)]
pub(crate) struct LinkArgs {
    /// Run over a link instead of loopback: `veth` is two network namespaces
    /// joined by a veth pair, captured on the server's end (root only).
    #[arg(long, value_enum, value_name = "KIND")]
    pub(crate) link: Option<LinkKind>,
    /// The link's MTU [default: 1500].
    #[arg(long, value_name = "BYTES", requires = "link")]
    pub(crate) mtu: Option<u32>,
    /// Random loss in each direction, e.g. `5%`.
    #[arg(long, value_name = "P%", value_parser = percent, requires = "link")]
    pub(crate) loss: Option<u8>,
    /// Random loss of the client's segments only (overrides --loss that way).
    #[arg(long, value_name = "P%", value_parser = percent, requires = "link")]
    pub(crate) loss_to_server: Option<u8>,
    /// Random loss of the server's segments only (overrides --loss that way).
    #[arg(long, value_name = "P%", value_parser = percent, requires = "link")]
    pub(crate) loss_to_client: Option<u8>,
    /// Drop the client's Nth data segment once (counting from 1).
    #[arg(long, value_name = "N", requires = "link")]
    pub(crate) drop_nth: Option<u32>,
    /// Limit the link's rate with tc tbf, e.g. `10mbit`.
    #[arg(long, value_name = "RATE", requires = "link")]
    pub(crate) rate: Option<String>,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub(crate) enum LinkKind {
    Veth,
}

impl LinkArgs {
    /// The link asked for, checked: a setting that cannot work (an MTU
    /// that fragments, 100% loss, a rate tc cannot set) is one sentence
    /// before anything starts.
    pub(crate) fn config(&self) -> anyhow::Result<Option<LinkConfig>> {
        if self.link.is_none() {
            return Ok(None);
        }
        let loss = self.loss.unwrap_or(0);
        let config = LinkConfig {
            mtu: self.mtu.unwrap_or(1500),
            loss_to_server: self.loss_to_server.unwrap_or(loss),
            loss_to_client: self.loss_to_client.unwrap_or(loss),
            drop_nth: self.drop_nth,
            rate: self.rate.as_deref().map(str::parse::<Rate>).transpose()?,
        };
        config.check()?;
        Ok(Some(config))
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
pub(crate) struct TimeoutArgs {
    /// Seconds to wait for the capture to prove it is running.
    #[arg(long, value_name = "S", default_value_t = 10.0)]
    pub(crate) start_timeout: f64,
    /// Seconds to wait for the capture to deliver the last segment.
    #[arg(long, value_name = "S", default_value_t = 5.0)]
    pub(crate) complete_timeout: f64,
    /// Seconds the echo exchange (connect, send, read the echo, close) may take.
    #[arg(long, value_name = "S", default_value_t = 10.0)]
    pub(crate) io_timeout: f64,
}

#[derive(Clone, Copy, Debug, Default, ValueEnum)]
pub(crate) enum CloseStyle {
    #[default]
    Linger,
    Prompt,
    Abort,
}

#[derive(Clone, Copy, Debug, Default, ValueEnum)]
pub(crate) enum ClientArg {
    #[default]
    Full,
    Seed,
}

#[derive(Args, Debug)]
pub(crate) struct ServeArgs {
    /// Port on 127.0.0.1 (0: any free port, printed once bound).
    #[arg(long, default_value_t = 8000)]
    pub(crate) port: u16,
    /// Milliseconds to wait after the client's FIN before closing (0: at once, three segments on Linux).
    #[arg(long, value_name = "MS", default_value_t = 200)]
    pub(crate) close_delay: u64,
}

#[derive(Args, Debug)]
pub(crate) struct WatchArgs {
    /// The server's TCP port to capture.
    #[arg(long)]
    pub(crate) port: u16,
    /// Interface to capture on.
    #[arg(long, default_value = "lo")]
    pub(crate) interface: String,
    /// Seconds to watch at most; connections still open then are reported as incomplete.
    #[arg(long, value_name = "S", default_value_t = 30.0)]
    pub(crate) timeout: f64,
    /// Seconds to wait for the capture to prove it is running, before COMMAND starts.
    #[arg(long, value_name = "S", default_value_t = 10.0)]
    pub(crate) start_timeout: f64,
    /// Keep the capture as a pcapng file.
    #[arg(long, value_name = "FILE")]
    pub(crate) save: Option<PathBuf>,
    /// Run COMMAND as this user (its uid and gid, no supplementary groups),
    /// not with tcplab's rights; the capture keeps its own.
    #[arg(long, value_name = "NAME", requires = "command")]
    pub(crate) user: Option<String>,
    /// Run COMMAND with an empty environment but for PATH and LANG (and
    /// HOME, USER, LOGNAME with --user).
    #[arg(long, requires = "command")]
    pub(crate) clean_env: bool,
    #[command(flatten)]
    pub(crate) report: ReportArgs,
    /// The program to run once the capture is proven running, e.g. `python3 client.py`.
    #[arg(last = true, value_name = "COMMAND")]
    pub(crate) command: Vec<String>,
}

#[derive(Args, Debug)]
#[command(mut_arg("svg", |arg| arg.help(
    "Also draw a picture as SVG: the ladder diagram or the time-sequence graph (see --graph); with several files, FILE is a folder with one picture per capture"
)))]
pub(crate) struct CheckArgs {
    /// pcap or pcapng files, and folders (every *.pcap, *.pcapng, *.cap below them, in sorted order).
    #[arg(required = true, value_name = "PATH")]
    pub(crate) paths: Vec<PathBuf>,
    /// Only connections with this port (the server's, when the SYN is missing).
    #[arg(long)]
    pub(crate) port: Option<u16>,
    /// Also write the grades as CSV: one row per connection and per unusable file.
    #[arg(long, value_name = "FILE")]
    pub(crate) csv: Option<PathBuf>,
    /// Also write the summary table (one row per file) to FILE.
    #[arg(long, value_name = "FILE")]
    pub(crate) table: Option<PathBuf>,
    /// tsharks at once, each reading a stream of many files (one per MiB of captures) [default: the number of cores].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub(crate) jobs: Option<u32>,
    #[command(flatten)]
    pub(crate) report: ReportArgs,
}

impl CloseStyle {
    pub(crate) fn server_close(self) -> ServerClose {
        match self {
            CloseStyle::Linger => ServerClose::Linger,
            CloseStyle::Prompt => ServerClose::Prompt,
            CloseStyle::Abort => ServerClose::Abort,
        }
    }
}

impl ClientArg {
    pub(crate) fn style(self) -> ClientStyle {
        match self {
            ClientArg::Full => ClientStyle::Full,
            ClientArg::Seed => ClientStyle::Seed,
        }
    }
}
