//! `tcplab sweep`: one lab per payload size in one shared capture.

use anyhow::Result;
use tcplab::sweep::{SweepConfig, output, plot, run_sweep_until};

use super::args::SweepArgs;
use super::interrupt::Interrupt;
use super::output::write_file;
use super::{EXIT_FAIL, EXIT_PASS, EXIT_UNUSABLE, progress_bar};

pub(crate) async fn sweep(a: SweepArgs) -> Result<u8> {
    let config = SweepConfig {
        sizes: a.sizes.0.clone(),
        messages: a.messages,
        close: a.close.server_close(),
        jobs: a.jobs,
        isolated: a.isolated,
        link: a.link.config()?,
        ..SweepConfig::default()
    };
    let bar = progress_bar(config.sizes.len(), "labs");
    let interrupt = Interrupt::listen()?;
    let (rows, stats) = run_sweep_until(
        &config,
        |done| bar.set_position(done as u64),
        interrupt.clone().wait(),
    )
    .await?;
    bar.finish_and_clear();
    if a.json {
        super::output::to_stdout(|out| output::write_json(out, &rows, &stats))?;
    } else {
        super::output::text_to_stdout(|out| output::write_text(out, &rows, &stats))?;
    }
    if let Some(path) = &a.csv {
        write_file(path, |out| output::write_csv(out, &rows))?;
    }
    if let Some(path) = &a.svg {
        write_file(path, |out| {
            out.write_all(plot::render_plot(&rows).as_bytes())
        })?;
    }
    if stats.interrupted {
        eprintln!(
            "tcplab: {}: {} of {} size(s) ran; the report shows them",
            interrupt.describe(),
            rows.len(),
            config.sizes.len()
        );
        return Ok(EXIT_UNUSABLE);
    }
    Ok(if rows.iter().all(|r| r.passed) {
        EXIT_PASS
    } else {
        EXIT_FAIL
    })
}
