//! End-to-end tests of the gateway over real sockets on 127.0.0.1.

mod access_log;
mod handshake;
mod lifecycle;
mod management;
mod messages;
mod support;
