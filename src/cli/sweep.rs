//! `tcplab sweep`: one lab per payload size in one shared capture.

use anyhow::{Context, Result};
use tcplab::sweep::{SweepConfig, output, plot, run_sweep};

use super::args::SweepArgs;
use super::{EXIT_FAIL, EXIT_PASS, progress_bar};

pub(crate) async fn sweep(a: SweepArgs) -> Result<u8> {
    let config = SweepConfig {
        sizes: a.sizes.0.clone(),
        messages: a.messages,
        close: a.close.server_close(),
        jobs: a.jobs,
        isolated: a.isolated,
        link: a.link.config(),
        ..SweepConfig::default()
    };
    let bar = progress_bar(config.sizes.len(), "labs");
    let (rows, stats) = run_sweep(&config, |done| bar.set_position(done as u64)).await?;
    bar.finish_and_clear();
    super::output::to_stdout(|out| {
        if a.json {
            output::write_json(out, &rows, &stats)
        } else {
            output::write_text(out, &rows, &stats)
        }
    })?;
    if let Some(path) = &a.csv {
        let mut f = std::fs::File::create(path)
            .with_context(|| format!("creating `{}`", path.display()))?;
        output::write_csv(&mut f, &rows)
            .with_context(|| format!("writing `{}`", path.display()))?;
    }
    if let Some(path) = &a.svg {
        std::fs::write(path, plot::render_plot(&rows))
            .with_context(|| format!("writing the plot to `{}`", path.display()))?;
    }
    Ok(if rows.iter().all(|r| r.passed) {
        EXIT_PASS
    } else {
        EXIT_FAIL
    })
}
