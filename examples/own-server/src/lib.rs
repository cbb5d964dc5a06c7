//! Three echo servers, as a student might write them, to show how to test
//! your own server with tcplab (see `tests/servers.rs`):
//!
//! - [`echo`] echoes until the client closes, then closes too, in the
//!   four segments of the lab sheet;
//! - [`reads_once`] reads once and closes with data still unread, so its
//!   kernel resets the connection;
//! - [`never_closes`] echoes but never closes its side.

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// Echoes one client until it closes, then closes: ACK of the client's
/// FIN first, then its own FIN (`tcplab::lab::close::close_after_eof`).
pub async fn echo(listener: TcpListener) -> std::io::Result<()> {
    let (mut stream, _) = listener.accept().await?;
    let mut buf = [0u8; 4096];
    loop {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            return tcplab::lab::close::close_after_eof(stream);
        }
        stream.write_all(&buf[..n]).await?;
    }
}

/// Reads once, echoes that, and closes, whatever else the client sent.
pub async fn reads_once(listener: TcpListener) -> std::io::Result<()> {
    let (mut stream, _) = listener.accept().await?;
    let mut buf = [0u8; 100];
    let n = stream.read(&mut buf).await?;
    stream.write_all(&buf[..n]).await?;
    Ok(())
}

/// Echoes until the client closes, then keeps its side open for ever.
pub async fn never_closes(listener: TcpListener) -> std::io::Result<()> {
    let (mut stream, _) = listener.accept().await?;
    let mut buf = [0u8; 4096];
    loop {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            std::future::pending::<()>().await;
        }
        stream.write_all(&buf[..n]).await?;
    }
}
