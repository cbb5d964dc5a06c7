//! The tshark fields tcplab reads from each packet, and where their values
//! come from: a dissected packet, or a table in a test.

/// The tshark fields tcplab reads from each packet.
///
/// Names follow `tshark -G fields`; the project's reference sheet on TCP on
/// the wire explains each one.
pub const FIELDS: &[&str] = &[
    "frame.number",
    "frame.time_epoch",
    "ip.src",
    "ip.dst",
    "ipv6.src",
    "ipv6.dst",
    "tcp.srcport",
    "tcp.dstport",
    "tcp.stream",
    "tcp.seq",
    "tcp.ack",
    "tcp.seq_raw",
    "tcp.ack_raw",
    "tcp.len",
    "tcp.flags",
    "tcp.window_size_value",
    "tcp.window_size",
    "tcp.options.mss_val",
    "tcp.options.wscale.shift",
    "tcp.options.sack_perm",
    "tcp.options.sack_le",
    "tcp.options.sack_re",
    "tcp.options.timestamp.tsval",
    "tcp.options.timestamp.tsecr",
    "udp.srcport",
    "udp.dstport",
    // The probes' payload. Not `data.data`: that exists only when no
    // dissector claims the port, and a few ephemeral ports are claimed.
    "udp.payload",
];

/// Where named field values come from: a dissected packet, or a table in a test.
///
/// A field may occur several times in one packet (SACK blocks); `all`
/// returns every occurrence in packet order, `get` the first.
pub trait FieldSource {
    /// Every value of the field `name`, in the order tshark printed them.
    fn all(&self, name: &str) -> Vec<&str>;

    /// The first value of the field `name`, if the packet has it.
    fn get(&self, name: &str) -> Option<&str> {
        self.all(name).into_iter().next()
    }

    /// Whether the packet carries the field `name` at all.
    fn has(&self, name: &str) -> bool {
        self.get(name).is_some()
    }
}

impl FieldSource for [(&str, &str)] {
    fn all(&self, name: &str) -> Vec<&str> {
        self.iter()
            .filter(|(n, _)| *n == name)
            .map(|(_, v)| *v)
            .collect()
    }
}

/// A field tshark gave that tcplab could not use.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FieldError {
    /// A field every TCP segment has is absent.
    #[error("frame {frame}: field `{field}` is missing")]
    Missing {
        /// The frame number, or 0 when unknown.
        frame: u64,
        /// The tshark field name.
        field: &'static str,
    },
    /// A field is present but its text is not what its type allows.
    #[error("frame {frame}: field `{field}` has the unreadable value `{value}`")]
    Invalid {
        /// The frame number, or 0 when unknown.
        frame: u64,
        /// The tshark field name.
        field: &'static str,
        /// The text tshark printed.
        value: String,
    },
}

/// Parses one field's text.
pub(crate) fn parse<T: std::str::FromStr>(
    frame: u64,
    field: &'static str,
    s: &str,
) -> Result<T, FieldError> {
    s.trim().parse().map_err(|_| FieldError::Invalid {
        frame,
        field,
        value: s.to_owned(),
    })
}

/// The first value of `field`, parsed, if present.
pub(crate) fn opt<T: std::str::FromStr>(
    p: &(impl FieldSource + ?Sized),
    frame: u64,
    field: &'static str,
) -> Result<Option<T>, FieldError> {
    p.get(field).map(|s| parse(frame, field, s)).transpose()
}

/// The first value of `field`, parsed; missing is an error.
pub(crate) fn req<T: std::str::FromStr>(
    p: &(impl FieldSource + ?Sized),
    frame: u64,
    field: &'static str,
) -> Result<T, FieldError> {
    opt(p, frame, field)?.ok_or(FieldError::Missing { frame, field })
}

/// The first value of `field`, a hexadecimal number (`0x0018`); missing is an error.
pub(crate) fn req_hex(
    p: &(impl FieldSource + ?Sized),
    frame: u64,
    field: &'static str,
) -> Result<u16, FieldError> {
    let s = p.get(field).ok_or(FieldError::Missing { frame, field })?;
    let digits = s.trim().trim_start_matches("0x").trim_start_matches("0X");
    u16::from_str_radix(digits, 16).map_err(|_| FieldError::Invalid {
        frame,
        field,
        value: s.to_owned(),
    })
}
