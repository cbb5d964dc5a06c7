//! Testing your own server with tcplab: start it on the shared capture
//! session's address, talk to it while the session watches, and assert
//! what TCP did on the wire.

use std::time::Duration;

use rstest::rstest;
use tcplab::capture::{Session, Watch};
use tcplab::verdict::TerminationKind;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Sends 479 bytes, reads whatever comes back, closes.
async fn client(addr: std::net::SocketAddr) {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(&[b'A'; 479]).await.unwrap();
    let mut buf = [0u8; 479];
    let _ = stream.read(&mut buf).await;
}

#[rstest]
#[case::echo(own_server::echo, TerminationKind::FourSegment)]
#[case::reads_once(own_server::reads_once, TerminationKind::Reset)]
#[case::never_closes(own_server::never_closes, TerminationKind::Incomplete)]
#[tokio::test]
async fn the_server_ends_the_connection_as_expected<
    F: Future<Output = std::io::Result<()>> + Send + 'static,
>(
    #[case] server: fn(TcpListener) -> F,
    #[case] ending: TerminationKind,
) {
    let session = Session::shared().unwrap();
    let listener = TcpListener::bind((session.addr(), 0)).await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(server(listener));
    let watched = Watch::addr(addr)
        .timeout(Duration::from_secs(2))
        .run_in(session, client(addr))
        .await
        .unwrap();
    let judged = &watched.connections[0];
    let kind = judged.verdict.findings.termination.kind;
    assert_eq!(kind, ending, "{}", judged.connection);
    if ending == TerminationKind::FourSegment {
        judged.ensure().unwrap();
    }
}
