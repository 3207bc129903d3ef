//! The messages function's pure parts as a library: reading a frame into a [`command::Command`]
//! needs no AWS client, so the fuzzers (fuzz/) and tests can drive it directly. The binary
//! (main.rs) uses these modules from here: parsing modules belong in this file, not main.rs.

pub mod command;
pub mod group_command;
