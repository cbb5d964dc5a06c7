//! Which header a field's value belongs to. With `-e`, tshark prints every
//! occurrence of a field in packet order (two `ip.src` for a tunnelled
//! packet), and `frame.protocols` lists the packet's protocols outermost
//! first: the `k`-th `ip.src` belongs to the `k`-th `ip` in that list.
//! From these [`locate`] finds the TCP header that travels on its own, the
//! innermost IP header that carries it, and the tunnel around it.

use std::net::IpAddr;

use super::fields::{FIELDS, FieldError, FieldSource};
use super::tunnel::{Tunnel, TunnelKind};

/// What a packet's protocol stack holds, from tcplab's point of view.
#[derive(Clone, Debug, PartialEq)]
pub enum Located<'a> {
    /// A TCP segment on the wire: its innermost IP header and last TCP layer.
    Tcp(InnerTcp<'a>),
    /// A TCP header quoted inside an ICMP or ICMPv6 error (named here): not
    /// a segment of any connection.
    QuotedByIcmp(&'static str),
    /// No TCP header.
    NotTcp,
}

/// The TCP header that travels on its own and the IP header that carries it.
#[derive(Clone, Debug, PartialEq)]
pub struct InnerTcp<'a> {
    /// Source address of the innermost IP header.
    pub src: IpAddr,
    /// Destination address of the innermost IP header.
    pub dst: IpAddr,
    /// How it was tunnelled, if it was.
    pub tunnel: Option<Tunnel>,
    /// The last TCP layer's value of each `tcp.*` field of [`FIELDS`] it has.
    tcp: Vec<(&'static str, &'a str)>,
}

impl<'a> InnerTcp<'a> {
    /// The last TCP layer's value of `field`.
    pub fn get(&self, field: &str) -> Option<&'a str> {
        self.tcp.iter().find(|(n, _)| *n == field).map(|(_, v)| *v)
    }
}

fn is_ip(protocol: &&str) -> bool {
    *protocol == "ip" || *protocol == "ipv6"
}

/// The ICMP layer before `at` in `stack`, if any.
pub fn icmp_before(stack: &[&str], at: usize) -> Option<&'static str> {
    stack[..at]
        .iter()
        .find_map(|&s| ["icmp", "icmpv6"].into_iter().find(|&i| i == s))
}

/// Finds, in frame `frame` whose `frame.protocols` is `protocols`, the last
/// TCP layer and the innermost IP header that carries it, and how it was
/// tunnelled. A TCP header after an `icmp` or `icmpv6` layer is a quote in
/// an ICMP error, not a segment.
///
/// A `tcp.*` field that does not occur once per TCP layer is taken only when
/// there is one TCP layer, except `tcp.options`, which occurs once per TCP
/// layer whose `tcp.hdr_len` exceeds 20.
pub fn locate<'a, S: FieldSource + ?Sized>(
    frame: u64,
    protocols: &str,
    p: &'a S,
) -> Result<Located<'a>, FieldError> {
    let stack: Vec<&str> = protocols.split(':').collect();
    let Some(last_tcp) = stack.iter().rposition(|&s| s == "tcp") else {
        return Ok(Located::NotTcp);
    };
    if let Some(icmp) = icmp_before(&stack, last_tcp) {
        return Ok(Located::QuotedByIcmp(icmp));
    }
    let Some(inner) = stack[..last_tcp].iter().rposition(is_ip) else {
        return Err(FieldError::Missing {
            frame,
            field: "ip.src",
        });
    };
    let (src, dst) = ip_pair(frame, &stack, inner, p)?;
    let tunnel = match stack[..inner].iter().rposition(is_ip) {
        None => None,
        Some(outer) => {
            let (outer_src, outer_dst) = ip_pair(frame, &stack, outer, p)?;
            Some(Tunnel {
                kind: TunnelKind::classify(stack[outer], &stack[outer + 1..inner], stack[inner]),
                outer_src,
                outer_dst,
                depth: stack[..inner].iter().filter(|s| is_ip(s)).count(),
            })
        }
    };
    let tcp_layers = stack.iter().filter(|&&s| s == "tcp").count();
    let hdr_lens = p.all("tcp.hdr_len");
    let has_options = |h: &str| h.parse::<u8>().is_ok_and(|h| h > 20);
    let mut tcp = Vec::new();
    for &field in FIELDS.iter().filter(|f| f.starts_with("tcp.")) {
        let values = p.all(field);
        let value = if tcp_layers == 1 {
            values.first()
        } else if values.len() == tcp_layers {
            // One per layer: the last is ours.
            values.last()
        } else if field == "tcp.options" && hdr_lens.len() == tcp_layers {
            let with_options = hdr_lens.iter().filter(|h| has_options(h)).count();
            let ours = hdr_lens.last().is_some_and(|h| has_options(h));
            (ours && values.len() == with_options)
                .then(|| values.last())
                .flatten()
        } else {
            None
        };
        if let Some(&v) = value {
            tcp.push((field, v));
        }
    }
    Ok(Located::Tcp(InnerTcp {
        src,
        dst,
        tunnel,
        tcp,
    }))
}

/// Which occurrence of its protocol the layer at `at` is.
fn index_among(stack: &[&str], at: usize) -> usize {
    stack[..at].iter().filter(|&&s| s == stack[at]).count()
}

/// The source and destination of the IP header at `at` in the stack.
fn ip_pair<S: FieldSource + ?Sized>(
    frame: u64,
    stack: &[&str],
    at: usize,
    p: &S,
) -> Result<(IpAddr, IpAddr), FieldError> {
    let (proto, src, dst) = if stack[at] == "ip" {
        ("ip", "ip.src", "ip.dst")
    } else {
        ("ipv6", "ipv6.src", "ipv6.dst")
    };
    let k = index_among(stack, at);
    let headers = stack.iter().filter(|&&s| s == proto).count();
    let one = |field: &'static str| -> Result<IpAddr, FieldError> {
        let values = p.all(field);
        if values.len() != headers {
            return Err(FieldError::Misaligned {
                frame,
                field,
                count: values.len(),
                proto,
                headers,
            });
        }
        super::fields::parse(frame, field, values[k])
    };
    Ok((one(src)?, one(dst)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    /// Frame 1 of Zeek's tunnels/vxlan-encapsulated-http.pcap, as tshark
    /// 4.0.17 printed it with `-e`.
    const VXLAN_SYN: &[(&str, &str)] = &[
        (
            "frame.protocols",
            "eth:ethertype:ip:udp:vxlan:eth:ethertype:ip:tcp",
        ),
        ("ip.src", "10.1.200.131"),
        ("ip.src", "172.16.11.201"),
        ("ip.dst", "10.1.1.172"),
        ("ip.dst", "54.86.237.188"),
        ("tcp.srcport", "40354"),
        ("tcp.hdr_len", "40"),
        ("tcp.options", "020405b40402080ab78dd6b80000000001030307"),
    ];

    fn addr(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn tcp_of<'a>(fields: &'a [(&'a str, &'a str)]) -> InnerTcp<'a> {
        let protocols = FieldSource::get(fields, "frame.protocols").unwrap();
        match locate(1, protocols, fields).unwrap() {
            Located::Tcp(t) => t,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn vxlan_gives_the_inner_addresses_and_the_outer_ones() {
        let t = tcp_of(VXLAN_SYN);
        assert_eq!(
            (t.src, t.dst),
            (addr("172.16.11.201"), addr("54.86.237.188"))
        );
        assert_eq!(t.get("tcp.srcport"), Some("40354"));
        let tunnel = t.tunnel.unwrap();
        assert_eq!(tunnel.kind, TunnelKind::Vxlan);
        assert_eq!(
            (tunnel.outer_src, tunnel.outer_dst),
            (addr("10.1.200.131"), addr("10.1.1.172"))
        );
        assert_eq!(tunnel.depth, 1);
    }

    #[rstest]
    #[case("eth:ethertype:ip:gre:ip:tcp", TunnelKind::Gre)]
    #[case("eth:ethertype:ip:ip:tcp", TunnelKind::IpInIp)]
    #[case("eth:ethertype:ip:udp:geneve:eth:ethertype:ip:tcp", TunnelKind::Geneve)]
    #[case("eth:ethertype:ip:udp:gtp:ip:tcp", TunnelKind::Gtp)]
    #[case("eth:ethertype:ip:udp:ayiya:ip:tcp", TunnelKind::Ayiya)]
    fn ipv4_in_ipv4_tunnels(#[case] protocols: &str, #[case] kind: TunnelKind) {
        let f = [
            ("frame.protocols", protocols),
            ("ip.src", "192.0.2.1"),
            ("ip.src", "10.0.0.1"),
            ("ip.dst", "192.0.2.2"),
            ("ip.dst", "10.0.0.2"),
        ];
        let t = tcp_of(&f);
        assert_eq!(t.src, addr("10.0.0.1"));
        assert_eq!(t.tunnel.unwrap().kind, kind);
    }

    #[rstest]
    #[case("eth:ethertype:ip:ipv6:tcp", TunnelKind::SixInFour)]
    #[case("eth:ethertype:ip:udp:teredo:ipv6:tcp", TunnelKind::Teredo)]
    fn ipv6_in_ipv4(#[case] protocols: &str, #[case] kind: TunnelKind) {
        let f = [
            ("frame.protocols", protocols),
            ("ip.src", "192.0.2.1"),
            ("ip.dst", "192.0.2.2"),
            ("ipv6.src", "2001:db8::1"),
            ("ipv6.dst", "2001:db8::2"),
        ];
        let t = tcp_of(&f);
        assert_eq!(t.src, addr("2001:db8::1"));
        let tunnel = t.tunnel.unwrap();
        assert_eq!((tunnel.kind, tunnel.outer_src), (kind, addr("192.0.2.1")));
    }

    #[test]
    fn nested_tunnels_report_the_enclosing_header_and_depth() {
        let t = tcp_of(&[
            (
                "frame.protocols",
                "eth:ethertype:ip:gre:ip:udp:vxlan:eth:ethertype:ipv6:tcp",
            ),
            ("ip.src", "192.0.2.1"),
            ("ip.src", "198.51.100.1"),
            ("ip.dst", "192.0.2.2"),
            ("ip.dst", "198.51.100.2"),
            ("ipv6.src", "2001:db8::1"),
            ("ipv6.dst", "2001:db8::2"),
        ]);
        let tunnel = t.tunnel.unwrap();
        assert_eq!(tunnel.kind, TunnelKind::Vxlan);
        assert_eq!(tunnel.outer_src, addr("198.51.100.1"));
        assert_eq!(tunnel.depth, 2);
    }

    #[rstest]
    #[case("eth:ethertype:ip:icmp:ip:tcp", "icmp")]
    #[case("eth:ethertype:ipv6:icmpv6:ipv6:tcp", "icmpv6")]
    #[case("eth:ethertype:ip:gre:ip:icmp:ip:tcp", "icmp")]
    fn tcp_quoted_by_icmp_is_not_a_segment(#[case] protocols: &str, #[case] icmp: &'static str) {
        let f: &[(&str, &str)] = &[("tcp.srcport", "1")];
        assert_eq!(locate(3, protocols, f), Ok(Located::QuotedByIcmp(icmp)));
    }

    #[test]
    fn packets_without_tcp() {
        let f: &[(&str, &str)] = &[];
        for protocols in ["eth:ethertype:ip:udp:data", "eth:ethertype:arp", ""] {
            assert_eq!(locate(1, protocols, f), Ok(Located::NotTcp));
        }
    }

    /// A VPN over TCP: the segment is the inner one, and the outer layer's
    /// options are not taken for it.
    #[rstest]
    #[case::inner_has_options(["20", "32"], Some("0101080a0000000100000002"))]
    #[case::only_outer_has_options(["32", "20"], None)]
    fn tcp_in_tcp_takes_the_last_layer(#[case] hdr_lens: [&str; 2], #[case] options: Option<&str>) {
        let fields = [
            ("frame.protocols", "eth:ethertype:ip:tcp:openvpn:ip:tcp"),
            ("ip.src", "192.0.2.1"),
            ("ip.src", "10.0.0.1"),
            ("ip.dst", "192.0.2.2"),
            ("ip.dst", "10.0.0.2"),
            ("tcp.srcport", "1194"),
            ("tcp.srcport", "40000"),
            ("tcp.hdr_len", hdr_lens[0]),
            ("tcp.hdr_len", hdr_lens[1]),
            ("tcp.options", "0101080a0000000100000002"),
        ];
        let t = tcp_of(&fields);
        assert_eq!(t.get("tcp.srcport"), Some("40000"));
        assert_eq!(t.get("tcp.options"), options);
    }

    #[test]
    fn addresses_that_do_not_match_the_headers_are_named() {
        let f: &[(&str, &str)] = &[("ip.src", "10.0.0.1"), ("ip.dst", "10.0.0.2")];
        let err = locate(9, "eth:ethertype:ip:ip:tcp", f).unwrap_err();
        assert!(
            matches!(
                err,
                FieldError::Misaligned {
                    frame: 9,
                    field: "ip.src",
                    ..
                }
            ),
            "{err}"
        );
        assert!(
            err.to_string()
                .starts_with("frame 9: `ip.src` occurs 1 time(s) for 2 `ip` header(s)"),
            "{err}"
        );
    }
}
