//! The wire: one TCP segment as tshark dissected it, and the small types it
//! is made of. Nothing here knows about connections.
//!
//! - [`flags`]: the control bits;
//! - [`seq`]: sequence-number comparison modulo 2^32;
//! - [`options`]: the TCP options tcplab reports;
//! - [`fields`]: the tshark fields tcplab reads, and where their values come from;
//! - [`segment`]: one segment, from those fields.

pub mod fields;
pub mod flags;
pub mod options;
pub mod segment;
pub mod seq;

pub use fields::{FIELDS, FieldError, FieldSource};
pub use flags::Flags;
pub use options::TcpOptions;
pub use segment::Segment;
