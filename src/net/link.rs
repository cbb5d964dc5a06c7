//! A real two-host link on one machine: two network namespaces joined by a
//! veth pair, MTU 1500 by default, with loss made by nftables (this kernel
//! has no netem) and an optional rate limit made by `tc tbf`.
//!
//! ```text
//!   client namespace                        server namespace
//!   198.18.0.2 cli0  <====== veth ======>  srv0 198.18.0.1   <- the capture taps srv0
//!   drops server->client after the tap      drops client->server after the tap
//! ```
//!
//! **Where the loss happens.** The capture taps the server's end, like a
//! wire tap in front of the server's NIC. Segments are dropped *after* the
//! tap in both directions (in the receiving namespace's `prerouting`), so a
//! lost segment is still on the capture once, and its retransmission a
//! second time: Wireshark's retransmission analysis sees both, as it would
//! on a real wire.
//!
//! **Real segments.** veth hands whole GSO packets over unless told not to;
//! both ends get `gso_max_segs 1`, so every segment on the capture is at
//! most one MSS (1448 bytes of payload at MTU 1500 with timestamps).
//!
//! **Nothing left behind.** The namespaces are [`Namespace`]s, held only by
//! this value: dropping it (also in a panic) removes the veth pair, the
//! addresses and every nftables rule with them. Labs in parallel each get
//! their own pair of namespaces, so the fixed names `srv0`/`cli0` and the
//! addresses never clash.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

use super::netns::{Namespace, NetnsError, thread_id};
use super::rate::Rate;

/// The server's address (RFC 2544's benchmarking range, which exists only
/// inside the lab's namespaces).
pub const SERVER_ADDR: Ipv4Addr = Ipv4Addr::new(198, 18, 0, 1);
/// The client's address.
pub const CLIENT_ADDR: Ipv4Addr = Ipv4Addr::new(198, 18, 0, 2);
/// The server's end of the veth pair, where the capture runs.
const SERVER_IF: &str = "srv0";
/// The client's end of the veth pair.
const CLIENT_IF: &str = "cli0";

/// The smallest MTU at which the lab's segments are not fragmented: the
/// kernel never sends a TCP segment of less than `tcp_min_snd_mss` (48)
/// bytes of payload, plus 40 bytes of IPv4 and TCP headers. Measured on
/// veth: at MTU 87 the kernel locks the route's MTU, clears DF and
/// fragments every segment (for 10 minutes in that namespace); at 88
/// nothing is fragmented, with or without timestamps.
pub const MIN_MTU: u32 = 88;

/// What the link is like.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkConfig {
    /// The MTU of both veth ends (1500 by default).
    pub mtu: u32,
    /// Per cent of the client's segments dropped at random on the way to the server.
    pub loss_to_server: u8,
    /// Per cent of the server's segments dropped at random on the way to the client.
    pub loss_to_client: u8,
    /// Drop the client's Nth data segment (counting from 1) once, so that
    /// exactly one retransmission can be asserted.
    pub drop_nth: Option<u32>,
    /// A `tc tbf` rate limit on both ends, e.g. `10mbit`.
    pub rate: Option<Rate>,
}

impl Default for LinkConfig {
    fn default() -> Self {
        LinkConfig {
            mtu: 1500,
            loss_to_server: 0,
            loss_to_client: 0,
            drop_nth: None,
            rate: None,
        }
    }
}

impl LinkConfig {
    /// The same random loss in both directions.
    pub fn loss(mut self, percent: u8) -> LinkConfig {
        self.loss_to_server = percent;
        self.loss_to_client = percent;
        self
    }

    /// One line for reports: `veth, MTU 1500, loss 5% / 5%, drop the client's 3rd data segment`.
    pub fn describe(&self) -> String {
        let mut s = format!("veth {SERVER_ADDR} <-> {CLIENT_ADDR}, MTU {}", self.mtu);
        if self.loss_to_server > 0 || self.loss_to_client > 0 {
            s += &format!(
                ", random loss {}% to the server and {}% to the client",
                self.loss_to_server, self.loss_to_client
            );
        }
        if let Some(n) = self.drop_nth {
            s += &format!(", the client's data segment {n} dropped once");
        }
        if let Some(r) = &self.rate {
            s += &format!(", rate {r}");
        }
        s
    }

    /// Checks that every setting can work, each refusal one sentence: an
    /// MTU of [`MIN_MTU`] to 65535, loss below 100% (all segments lost is
    /// no connection), `drop_nth` from 1.
    pub fn check(&self) -> Result<(), LinkError> {
        if !(MIN_MTU..=65535).contains(&self.mtu) {
            return Err(LinkError::Invalid(format!(
                "an MTU of {} is not possible for the lab: below {MIN_MTU} the kernel fragments every TCP segment (its smallest segment, 48 bytes, plus 40 bytes of headers), and 65535 is the most; give {MIN_MTU} to 65535 (1500 is Ethernet's)",
                self.mtu
            )));
        }
        for (loss, way) in [
            (self.loss_to_server, "to the server"),
            (self.loss_to_client, "to the client"),
        ] {
            if loss >= 100 {
                return Err(LinkError::Invalid(format!(
                    "a loss of {loss}% {way} drops every segment, so no connection can be made: give 0% to 99%"
                )));
            }
        }
        if self.drop_nth == Some(0) {
            return Err(LinkError::Invalid(
                "--drop-nth counts from 1 (the client's first data segment)".to_owned(),
            ));
        }
        Ok(())
    }

    /// The nftables ruleset of the server's namespace (client-to-server
    /// drops), or `None` when nothing is dropped that way.
    pub(crate) fn server_rules(&self) -> Option<String> {
        let mut rules = Vec::new();
        if let Some(n) = self.drop_nth {
            // `@ih` is the transport payload: loading it fails, and the rule
            // does not match, when there is none. `numgen inc` then counts
            // data segments only (retransmissions too, so the drop happens once).
            rules.push(format!(
                "iifname \"{SERVER_IF}\" meta l4proto tcp @ih,0,8 >= 0 numgen inc mod 1000000000 == {} counter name dropped drop",
                n.saturating_sub(1)
            ));
        }
        if self.loss_to_server > 0 {
            rules.push(random_loss(SERVER_IF, self.loss_to_server));
        }
        (!rules.is_empty()).then(|| ruleset(&rules))
    }

    /// The nftables ruleset of the client's namespace (server-to-client drops).
    pub(crate) fn client_rules(&self) -> Option<String> {
        (self.loss_to_client > 0).then(|| ruleset(&[random_loss(CLIENT_IF, self.loss_to_client)]))
    }
}

/// Drops `percent` (1 to 99, see [`LinkConfig::check`]) of the TCP
/// segments arriving on `interface`; nft takes `< N` for N up to 99 only.
fn random_loss(interface: &str, percent: u8) -> String {
    format!(
        "iifname \"{interface}\" meta l4proto tcp numgen random mod 100 < {} counter name dropped drop",
        percent.min(99)
    )
}

fn ruleset(rules: &[String]) -> String {
    let mut s = String::from(
        "table inet tcplab {\n  counter dropped {}\n  chain prerouting {\n    type filter hook prerouting priority raw; policy accept;\n",
    );
    for r in rules {
        s += &format!("    {r}\n");
    }
    s += "  }\n}\n";
    s
}

/// What a link did during a lab: its description and what its rules dropped.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LinkRun {
    /// The link, in words ([`LinkConfig::describe`]).
    pub description: String,
    /// Segments its rules dropped: (on the way to the server, to the client).
    pub dropped: (u64, u64),
}

/// Why a link could not be built.
#[derive(thiserror::Error)]
#[non_exhaustive]
pub enum LinkError {
    /// Namespaces, interfaces or rules could not be made.
    #[error(transparent)]
    Netns(#[from] NetnsError),
    /// nftables is missing.
    #[error(
        "nft is not installed, and the link's loss is made with nftables: install it with `apt-get install -y nftables` (or run ci/install)"
    )]
    NftMissing,
    /// A setting is out of range.
    #[error("{0}")]
    Invalid(String),
}

/// A two-namespace veth link, alive while this value is. See the module
/// documentation.
#[derive(Debug)]
pub struct VethLink {
    config: LinkConfig,
    server: Arc<Namespace>,
    client: Arc<Namespace>,
}

impl VethLink {
    /// Creates the namespaces, the veth pair, the addresses and the rules.
    pub fn create(config: &LinkConfig) -> Result<VethLink, LinkError> {
        config.check()?;
        let server = Arc::new(Namespace::new()?);
        let client = Arc::new(Namespace::new()?);
        let mtu = config.mtu.to_string();
        // `ip` names the peer's namespace by a task in it: a thread of ours
        // that entered the client's namespace, for the duration of the call.
        client.run(|| {
            let tid = thread_id().to_string();
            server.exec(
                "ip",
                &[
                    "link", "add", SERVER_IF, "mtu", &mtu, "type", "veth", "peer", "name",
                    CLIENT_IF, "mtu", &mtu, "netns", &tid,
                ],
                None,
            )
        })??;
        for (ns, dev, addr) in [
            (&server, SERVER_IF, SERVER_ADDR),
            (&client, CLIENT_IF, CLIENT_ADDR),
        ] {
            ns.exec(
                "ip",
                &["-batch", "-"],
                Some(&format!(
                    "link set lo up\nlink set {dev} gso_max_segs 1\naddr add {addr}/30 dev {dev}\nlink set {dev} up\n"
                )),
            )?;
            if let Some(rate) = &config.rate {
                ns.exec(
                    "tc",
                    &[
                        "qdisc",
                        "add",
                        "dev",
                        dev,
                        "root",
                        "tbf",
                        "rate",
                        &rate.tc_value(),
                        "burst",
                        "32kbit",
                        "latency",
                        "400ms",
                    ],
                    None,
                )
                .map_err(|e| match e {
                    NetnsError::Io { cause, .. } => LinkError::Invalid(format!(
                        "`tc` refused the rate `{rate}` ({cause}): give a rate like 10mbit or 500kbit"
                    )),
                    other => other.into(),
                })?;
            }
        }
        for (ns, rules) in [
            (&server, config.server_rules()),
            (&client, config.client_rules()),
        ] {
            if let Some(rules) = rules {
                ns.exec("nft", &["-f", "-"], Some(&rules))
                    .map_err(|e| match e {
                        NetnsError::Io { what, .. } if what.starts_with("nft is not installed") => {
                            LinkError::NftMissing
                        }
                        other => other.into(),
                    })?;
            }
        }
        Ok(VethLink {
            config: config.clone(),
            server,
            client,
        })
    }

    /// What the link is like.
    pub fn config(&self) -> &LinkConfig {
        &self.config
    }

    /// The server's namespace.
    pub fn server_ns(&self) -> &Arc<Namespace> {
        &self.server
    }

    /// The client's namespace.
    pub fn client_ns(&self) -> &Arc<Namespace> {
        &self.client
    }

    /// The server's end of the veth pair, in the server's namespace: where
    /// a capture taps the link.
    pub fn server_interface(&self) -> &'static str {
        SERVER_IF
    }

    /// The server's address.
    pub fn server_addr(&self) -> IpAddr {
        IpAddr::V4(SERVER_ADDR)
    }

    /// The client's address.
    pub fn client_addr(&self) -> IpAddr {
        IpAddr::V4(CLIENT_ADDR)
    }

    /// Segments the link's rules have dropped so far: (to the server, to the client).
    pub fn dropped(&self) -> Result<(u64, u64), LinkError> {
        let count = |ns: &Namespace, rules: Option<String>| -> Result<u64, LinkError> {
            if rules.is_none() {
                return Ok(0);
            }
            let text = ns.exec(
                "nft",
                &["list", "counter", "inet", "tcplab", "dropped"],
                None,
            )?;
            Ok(text
                .split_whitespace()
                .skip_while(|w| *w != "packets")
                .nth(1)
                .and_then(|n| n.parse().ok())
                .unwrap_or(0))
        };
        Ok((
            count(&self.server, self.config.server_rules())?,
            count(&self.client, self.config.client_rules())?,
        ))
    }
}

debug_as_display!(LinkError);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drop_nth_counts_data_segments_from_one() {
        let c = LinkConfig {
            drop_nth: Some(3),
            ..LinkConfig::default()
        };
        let rules = c.server_rules().unwrap();
        assert!(
            rules.contains("@ih,0,8 >= 0 numgen inc mod 1000000000 == 2 counter name dropped drop"),
            "{rules}"
        );
        assert!(rules.contains("iifname \"srv0\""), "{rules}");
        assert_eq!(c.client_rules(), None);
    }

    #[test]
    fn loss_applies_to_each_direction_in_the_receiving_namespace() {
        let c = LinkConfig::default().loss(15);
        assert!(
            c.server_rules()
                .unwrap()
                .contains("iifname \"srv0\" meta l4proto tcp numgen random mod 100 < 15")
        );
        assert!(
            c.client_rules()
                .unwrap()
                .contains("iifname \"cli0\" meta l4proto tcp numgen random mod 100 < 15")
        );
        assert_eq!(LinkConfig::default().server_rules(), None);
    }

    #[rstest::rstest]
    #[case::below_the_floor(LinkConfig { mtu: 87, ..LinkConfig::default() }, "an MTU of 87 is not possible for the lab: below 88 the kernel fragments")]
    #[case::ip_minimum(LinkConfig { mtu: 68, ..LinkConfig::default() }, "an MTU of 68 is not possible")]
    #[case::all_lost(LinkConfig::default().loss(100), "a loss of 100% to the server drops every segment")]
    #[case::all_lost_one_way(LinkConfig { loss_to_client: 100, ..LinkConfig::default() }, "a loss of 100% to the client")]
    #[case::drop_zero(LinkConfig { drop_nth: Some(0), ..LinkConfig::default() }, "--drop-nth counts from 1")]
    fn settings_that_cannot_work_are_one_sentence(#[case] c: LinkConfig, #[case] says: &str) {
        let e = c.check().unwrap_err().to_string();
        assert!(e.starts_with(says), "{e}");
        assert!(!e.contains('\n'));
    }

    #[test]
    fn the_floor_and_almost_all_loss_are_accepted() {
        let c = LinkConfig {
            mtu: MIN_MTU,
            ..LinkConfig::default().loss(99)
        };
        c.check().unwrap();
        assert!(c.server_rules().unwrap().contains("mod 100 < 99 counter"));
    }

    #[test]
    fn the_description_names_every_impairment() {
        let c = LinkConfig {
            drop_nth: Some(3),
            rate: Some("10mbit".parse().unwrap()),
            ..LinkConfig::default().loss(5)
        };
        assert_eq!(
            c.describe(),
            "veth 198.18.0.1 <-> 198.18.0.2, MTU 1500, random loss 5% to the server and 5% to the client, the client's data segment 3 dropped once, rate 10mbit"
        );
    }
}
