//! Files and file names at the system's edge: the bottom layer, which
//! imports nothing else of tcplab.
//!
//! - [`atomic`]: output files written all or nothing, in the target's own
//!   folder, never through a symbolic link found there; and the
//!   `/proc/<pid>/fd/<n>` names by which a child (tshark) opens a
//!   descriptor tcplab holds;
//! - [`names`]: file names as a person sees them (escaped, so that no two
//!   print alike and none can drive a terminal), as JSON carries them, and
//!   CSV cells a spreadsheet never evaluates.

pub mod atomic;
pub mod names;

pub use atomic::{AtomicFile, Existing, OutDir, OutError, fd_path};
pub use names::{csv_cell, shown};
