//! Grouping segments into connections by 4-tuple, incrementally, in
//! capture order.

use std::collections::HashMap;
use std::net::SocketAddr;

use super::Connection;
use crate::wire::Segment;

/// Groups segments into connections, incrementally, in capture order.
#[derive(Clone, Debug, Default)]
pub struct Connections {
    list: Vec<Connection>,
    by_tuple: HashMap<(SocketAddr, SocketAddr), usize>,
    server_port: Option<u16>,
}

impl Connections {
    /// An empty set. `server_port` names the server's port for connections
    /// whose SYN was not captured.
    pub fn new(server_port: Option<u16>) -> Connections {
        Connections {
            server_port,
            ..Connections::default()
        }
    }

    /// Adds one segment; returns the index of the connection it joined.
    ///
    /// A fresh SYN on a 4-tuple whose connection is over, or whose ISN
    /// differs, starts a new connection (the port was reused).
    pub fn push(&mut self, segment: Segment) -> usize {
        let key = if segment.src <= segment.dst {
            (segment.src, segment.dst)
        } else {
            (segment.dst, segment.src)
        };
        let fresh_syn = segment.flags.syn() && !segment.flags.ack();
        let index = match self.by_tuple.get(&key) {
            Some(&i) if !(fresh_syn && self.is_new_incarnation(i, &segment)) => i,
            _ => {
                self.list.push(Connection::new(&segment, self.server_port));
                self.by_tuple.insert(key, self.list.len() - 1);
                self.list.len() - 1
            }
        };
        self.list[index].push(segment);
        index
    }

    fn is_new_incarnation(&self, index: usize, syn: &Segment) -> bool {
        let c = &self.list[index];
        c.client_isn.is_some_and(|isn| isn != syn.seq_raw) || c.client_isn.is_none() && c.is_over()
    }

    /// The connections so far, in order of their first segment.
    pub fn as_slice(&self) -> &[Connection] {
        &self.list
    }

    /// The connection a 4-tuple belongs to (the most recent one on it).
    pub fn find(&self, a: SocketAddr, b: SocketAddr) -> Option<&Connection> {
        let key = if a <= b { (a, b) } else { (b, a) };
        self.by_tuple.get(&key).map(|&i| &self.list[i])
    }

    /// The connections, in order of their first segment.
    pub fn into_vec(self) -> Vec<Connection> {
        self.list
    }
}

/// Groups a whole list of segments into connections.
pub fn group(
    segments: impl IntoIterator<Item = Segment>,
    server_port: Option<u16>,
) -> Vec<Connection> {
    let mut c = Connections::new(server_port);
    for s in segments {
        c.push(s);
    }
    c.into_vec()
}
