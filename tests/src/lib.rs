//! The end-to-end test harness: the local stack started once per test binary from the real
//! `devstack` binary on free ports, users made the way a client makes them (through the
//! client library's account: sign-up, an admin confirmation, sign-in), and each device the
//! client library's socket, every server frame checked against parley-protocol.

pub mod bucket;
pub mod canary;
pub mod chat;
pub mod client;
pub mod forge;
pub mod library;
pub mod sns;
pub mod soak;
pub mod stack;
pub mod tables;
pub mod users;
