//! Closing your own sockets the way the lab sheet draws it.
//!
//! When one end closes, the other end's kernel acknowledges the FIN after
//! its delayed-ACK time (about 40 ms on Linux). A program that closes its
//! own socket within that time makes Linux fold that ACK into its own FIN:
//! three segments (FIN, FIN+ACK, ACK) instead of the sheet's four (FIN,
//! ACK, FIN, ACK). [`close_after_eof`] sends the ACK at once
//! (`TCP_QUICKACK`), then closes: four segments, every time, with no delay.
//!
//! Call it on the end that *answers* a close, once a read has returned
//! end-of-file: a server whose client closed first (the seed's lab), or a
//! client whose server closed first (the close the seed's text describes).
//! The end that closes first needs nothing: closing is its FIN.
//!
//! It takes any socket that owns a descriptor: `std::net::TcpStream`,
//! `tokio::net::TcpStream` (std::os::fd::AsFd), `socket2::Socket`.
//!
//! ```no_run
//! use std::io::Read;
//! let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
//! let (mut stream, _) = listener.accept()?;
//! let mut buf = [0u8; 4096];
//! while stream.read(&mut buf)? > 0 {}
//! // The client's FIN has arrived: ACK it now, then send ours.
//! tcplab::lab::close::close_after_eof(stream)?;
//! # Ok::<(), std::io::Error>(())
//! ```

use std::io;
use std::os::fd::AsFd;

/// Acknowledges the peer's FIN at once, then closes `stream`: the peer sees
/// this end's ACK, then its FIN (the four-segment close). Call it after a
/// read returned end-of-file; see the module documentation.
pub fn close_after_eof<S: AsFd>(stream: S) -> io::Result<()> {
    socket2::SockRef::from(&stream).set_quickack(true)?;
    drop(stream);
    Ok(())
}
