//! Reports of judged connections, one module per format, each writing text
//! a person or a program reads.
//!
//! - [`ladder`]: the text ladder diagram, like Wireshark's flow graph.

pub mod ladder;
