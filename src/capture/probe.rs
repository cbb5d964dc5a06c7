//! The capture's probes: UDP datagrams that tcplab sends to a socket of its
//! own, which the capture filter admits, to prove the capture is running
//! (the first one back) and complete (a fence sent after the exchange).
//! Over a link, probes cross it from the client's namespace to the server's.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use tokio::net::UdpSocket;

use super::CaptureError;
use super::live::LiveConfig;
use crate::net::netns::Namespace;

/// The payload prefix of tcplab's probes.
const PROBE_PREFIX: &[u8] = b"tcplab-probe:";

/// Reads a probe token back from a UDP payload.
pub(crate) fn probe_token(payload: &[u8]) -> Option<u64> {
    let rest = payload.strip_prefix(PROBE_PREFIX)?;
    std::str::from_utf8(rest).ok()?.parse().ok()
}

/// The probe payload for `token`.
pub(crate) fn probe_payload(token: u64) -> Vec<u8> {
    let mut v = PROBE_PREFIX.to_vec();
    v.extend_from_slice(token.to_string().as_bytes());
    v
}

/// How probes cross a link between two namespaces: sent from `from_addr`
/// in `from` to a socket on `to_addr` in `to`.
#[derive(Clone, Debug)]
pub(crate) struct ProbeRoute {
    /// The sending side's namespace.
    pub(crate) from: Arc<Namespace>,
    /// The sender's address.
    pub(crate) from_addr: IpAddr,
    /// The receiving side's namespace.
    pub(crate) to: Arc<Namespace>,
    /// The receiver's address.
    pub(crate) to_addr: IpAddr,
}

/// The probe sender, where it sends, and the receiving socket when that is
/// not the sender itself.
pub(crate) async fn probe_sockets(
    config: &LiveConfig,
) -> Result<(UdpSocket, SocketAddr, Option<UdpSocket>), CaptureError> {
    let Some(route) = config.tap.as_ref().map(|t| &t.probes) else {
        let probe = UdpSocket::bind((config.probe_addr, 0))
            .await
            .map_err(CaptureError::io("binding the capture's probe socket"))?;
        let target = probe
            .local_addr()
            .map_err(CaptureError::io("reading the probe socket's address"))?;
        return Ok((probe, target, None));
    };
    let bind_in = |ns: &Namespace, addr: IpAddr| {
        ns.run(|| {
            let s = std::net::UdpSocket::bind((addr, 0))?;
            s.set_nonblocking(true)?;
            Ok::<_, std::io::Error>(s)
        })
        .map_err(|e| {
            CaptureError::io("entering a namespace for the probes")(std::io::Error::other(e))
        })?
        .map_err(CaptureError::io("binding the capture's probe socket"))
        .and_then(|s| {
            UdpSocket::from_std(s).map_err(CaptureError::io("registering the probe socket"))
        })
    };
    let sink = bind_in(&route.to, route.to_addr)?;
    let sender = bind_in(&route.from, route.from_addr)?;
    let target = sink
        .local_addr()
        .map_err(CaptureError::io("reading the probe socket's address"))?;
    Ok((sender, target, Some(sink)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probe_tokens_round_trip() {
        assert_eq!(probe_token(&probe_payload(42)), Some(42));
        assert_eq!(probe_token(b"AA"), None);
        assert_eq!(probe_token(b"tcplab-probe:x"), None);
    }
}
