//! `tcplab run`: the in-process lab, captured live and judged.

use anyhow::{Result, bail};
use tcplab::capture::LiveConfig;
use tcplab::lab::{Lab, LabError};

use super::args::RunArgs;
use super::interrupt::Interrupt;
use super::{EXIT_UNUSABLE, output, seconds};

pub(crate) async fn run(a: RunArgs) -> Result<u8> {
    let payloads = if a.payloads.is_empty() {
        vec![479, 1380]
    } else {
        a.payloads.clone()
    };
    let config = LiveConfig {
        start_timeout: seconds(a.timeouts.start_timeout, "--start-timeout")?,
        complete_timeout: seconds(a.timeouts.complete_timeout, "--complete-timeout")?,
        save: a.save.clone(),
        ..LiveConfig::default()
    };
    let mut lab = Lab::new()
        .payloads(payloads)
        .close(a.close.server_close())
        .client(a.client.style())
        .io_timeout(seconds(a.timeouts.io_timeout, "--io-timeout")?)
        .capture(config);
    if a.ipv6 {
        lab = lab.ipv6();
    }
    if let Some(link) = a.link.config()? {
        if a.ipv6 {
            bail!("--link veth runs over IPv4 (198.18.0.0/15): leave out --ipv6");
        }
        lab = lab.link(link);
    }
    let lab = lab.expect(a.report.expectations()?);
    let interrupt = Interrupt::listen()?;
    let run = match lab.run_until(interrupt.clone().wait()).await {
        Err(e @ LabError::Interrupted { .. }) => {
            bail!("{}: {e}", interrupt.describe())
        }
        r => r?,
    };
    if let (Some(link), false) = (&run.link, a.report.json) {
        println!(
            "link: {}; its rules dropped {} segment(s) on the way to the server and {} to the client\n",
            link.description, link.dropped.0, link.dropped.1
        );
    }
    let code = output::report(
        std::slice::from_ref(&run.judged),
        &[],
        &a.report,
        run.link.as_ref(),
    )?;
    if run.interrupted {
        eprintln!(
            "tcplab: {}: the report shows what was captured until then",
            interrupt.describe()
        );
        return Ok(EXIT_UNUSABLE);
    }
    Ok(code)
}
