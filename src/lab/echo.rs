//! The lab's two peers on tokio: the echo server (one connection, or a
//! service for `tcplab serve`) and the client that sends a payload plan and
//! reads the echo.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::{ClientStyle, LabError, ServerClose, io};

/// How the server's side ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum ServerEnd {
    /// Read EOF and closed as configured.
    Closed,
    /// The peer reset the connection.
    Reset,
}

/// Accepts one connection, echoes until EOF, then closes as told.
pub(crate) async fn serve_one(
    listener: TcpListener,
    close: ServerClose,
) -> Result<ServerEnd, LabError> {
    let (stream, _) = listener
        .accept()
        .await
        .map_err(io("accepting the client"))?;
    echo(stream, close).await
}

/// Echoes everything read on `stream` until EOF, then closes as told.
async fn echo(mut stream: TcpStream, close: ServerClose) -> Result<ServerEnd, LabError> {
    if echo_until_eof(&mut stream).await? == ServerEnd::Reset {
        return Ok(ServerEnd::Reset);
    }
    match close {
        // Pushes out the pending ACK of the client's FIN before our FIN.
        ServerClose::Linger => {
            super::close::close_after_eof(stream).map_err(io("setting TCP_QUICKACK"))?
        }
        ServerClose::Prompt => drop(stream),
        ServerClose::Abort => {
            socket2::SockRef::from(&stream)
                .set_linger(Some(Duration::ZERO))
                .map_err(io("setting SO_LINGER 0"))?;
            drop(stream);
        }
    }
    Ok(ServerEnd::Closed)
}

/// Echoes until the peer's FIN (EOF) or a reset.
async fn echo_until_eof(stream: &mut TcpStream) -> Result<ServerEnd, LabError> {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match stream.read(&mut buf).await {
            Ok(0) => return Ok(ServerEnd::Closed),
            Ok(n) => n,
            Err(e) if is_reset(&e) => return Ok(ServerEnd::Reset),
            Err(e) => return Err(io("reading on the server")(e)),
        };
        match stream.write_all(&buf[..n]).await {
            Ok(()) => {}
            Err(e) if is_reset(&e) => return Ok(ServerEnd::Reset),
            Err(e) => return Err(io("echoing on the server")(e)),
        }
    }
}

/// The seed's `server.py` as a service: accepts connections one after the
/// other, echoes each until EOF, waits `close_delay`, then closes.
///
/// The delay is the server's linger, not a guess: with 0 Linux folds its ACK
/// of the client's FIN into its own FIN (three segments); with more than the
/// delayed-ACK time (about 40 ms on `lo`) the ACK goes out alone first (four).
pub async fn serve(listener: TcpListener, close_delay: Duration) -> Result<(), LabError> {
    loop {
        let (mut stream, peer) = listener.accept().await.map_err(io("accepting a client"))?;
        tokio::spawn(async move {
            let end = echo_until_eof(&mut stream).await;
            if matches!(end, Ok(ServerEnd::Closed)) && !close_delay.is_zero() {
                tokio::time::sleep(close_delay).await;
            }
            eprintln!("tcplab serve: {peer} done ({end:?})");
        });
    }
}

fn is_reset(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::BrokenPipe
    )
}

/// The client's part on a connected stream.
pub(crate) async fn client_on(
    stream: TcpStream,
    payloads: &[u64],
    style: ClientStyle,
) -> Result<SocketAddr, LabError> {
    let local = stream
        .local_addr()
        .map_err(io("reading the client's address"))?;
    let (mut rd, mut wr) = stream.into_split();
    // Messages are written and read through one buffer of at most CHUNK
    // bytes each way, so any payload size runs in bounded memory; a message
    // up to CHUNK bytes is still one write, as the seed's sendall.
    let mut out = Vec::new();
    let mut echo = Vec::new();
    for (i, &n) in payloads.iter().enumerate() {
        out.clear();
        out.resize(chunk_for(n), b'A' + (i % 26) as u8);
        match style {
            ClientStyle::Full => {
                echo.resize(chunk_for(n), 0);
                let (w, r) = tokio::join!(send(&mut wr, &out, n), receive(&mut rd, &mut echo, n));
                w.map_err(io("sending a message"))?;
                r.map_err(io("reading the echo"))?;
            }
            ClientStyle::Seed => {
                send(&mut wr, &out, n)
                    .await
                    .map_err(io("sending a message"))?;
                let mut buf = [0u8; 1024];
                rd.read(&mut buf).await.map_err(io("reading the echo"))?;
            }
        }
    }
    drop(wr.reunite(rd).expect("halves of one stream"));
    Ok(local)
}

/// The most bytes a peer holds of one message at a time.
const CHUNK: usize = 1 << 20;

/// The buffer for a message of `n` bytes: all of it, up to [`CHUNK`].
fn chunk_for(n: u64) -> usize {
    usize::try_from(n).map_or(CHUNK, |n| n.min(CHUNK))
}

/// Bytes to move next: what is left, up to a buffer of `buf_len`.
fn next_piece(left: u64, buf_len: usize) -> usize {
    usize::try_from(left).map_or(buf_len, |l| l.min(buf_len))
}

/// Writes `n` bytes, `chunk` (at most [`CHUNK`] long) again and again.
async fn send(
    wr: &mut tokio::net::tcp::OwnedWriteHalf,
    chunk: &[u8],
    n: u64,
) -> std::io::Result<()> {
    let mut left = n;
    while left > 0 {
        let k = next_piece(left, chunk.len());
        wr.write_all(&chunk[..k]).await?;
        left -= k as u64;
    }
    Ok(())
}

/// Reads exactly `n` bytes through `buf`.
async fn receive(
    rd: &mut tokio::net::tcp::OwnedReadHalf,
    buf: &mut [u8],
    n: u64,
) -> std::io::Result<()> {
    let mut left = n;
    while left > 0 {
        let k = next_piece(left, buf.len());
        rd.read_exact(&mut buf[..k]).await?;
        left -= k as u64;
    }
    Ok(())
}
