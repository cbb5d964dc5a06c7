//! The wire: one packet as tshark dissected it, and the small types it is
//! made of. Nothing here knows about connections.
//!
//! - [`fields`]: the tshark fields tcplab reads (none with two dots), and
//!   where their values come from;
//! - [`layers`]: which header a field's value belongs to, from `frame.protocols`;
//! - [`flags`]: the control bits;
//! - [`seq`]: sequence numbers, modulo 2^32, and their place on a line;
//! - [`options`]: TCP options parsed from their raw bytes;
//! - [`tunnel`]: the tunnel a segment came through, if any;
//! - [`malformed`]: what can be wrong with a TCP or IP header;
//! - [`segment`]: one TCP segment;
//! - [`packet`]: one packet: a segment, a broken TCP header, a datagram, ...

pub mod fields;
pub mod flags;
pub mod layers;
pub mod malformed;
pub mod options;
pub mod packet;
pub mod segment;
pub mod seq;
pub mod tunnel;

pub use fields::{FIELDS, FieldError, FieldSource};
pub use flags::Flags;
pub use malformed::Malformed;
pub use options::TcpOptions;
pub use packet::Packet;
pub use segment::Segment;
pub use tunnel::{Tunnel, TunnelKind};
