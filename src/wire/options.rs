//! TCP options (RFC 9293 MSS, RFC 7323 window scale and timestamps, RFC 2018 SACK).

/// The TCP options tcplab reports.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TcpOptions {
    /// Maximum segment size the sender can receive (SYN only).
    pub mss: Option<u16>,
    /// Window scale shift count (SYN only).
    pub window_scale: Option<u8>,
    /// SACK permitted (SYN only).
    pub sack_permitted: bool,
    /// Timestamps option: (TSval, TSecr).
    pub timestamps: Option<(u32, u32)>,
    /// SACK blocks, as raw (left edge, right edge).
    pub sack_blocks: Vec<(u32, u32)>,
}
