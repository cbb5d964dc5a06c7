#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let run = tcplab::lab::Lab::new().run().await?;
    println!("{}", run.connection);
    println!("{}", run.verdict);
    println!("{:?}", run.timings);
    tcplab::capture::reap_stopped();
    Ok(())
}
