//! `tcplab serve`: the echo server alone, like the seed's `server.py`.

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use anyhow::Result;
use tcplab::lab::{LabError, echo};

use super::EXIT_PASS;
use super::args::ServeArgs;

pub(crate) async fn serve(a: ServeArgs) -> Result<u8> {
    let addr: SocketAddr = (Ipv4Addr::LOCALHOST, a.port).into();
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::AddrInUse => anyhow::Error::new(LabError::PortInUse { addr }),
            _ => anyhow::Error::new(e).context(format!("binding {addr}")),
        })?;
    // With --port 0 the system picks the port: say the one really bound.
    let addr = listener.local_addr().unwrap_or(addr);
    eprintln!(
        "tcplab serve: echoing on {addr}; closing {} ms after each client's FIN; Ctrl-C stops",
        a.close_delay
    );
    tokio::select! {
        r = echo::serve(listener, Duration::from_millis(a.close_delay)) => r?,
        _ = tokio::signal::ctrl_c() => {}
    }
    Ok(EXIT_PASS)
}
