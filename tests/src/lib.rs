//! The end-to-end test harness: the local stack started once per test binary from the real
//! `devstack` binary on free ports, users made the way a client makes them (Cognito SignUp,
//! AdminConfirmSignUp, InitiateAuth against the emulator), and a real WebSocket client.

pub mod chat;
pub mod client;
pub mod forge;
pub mod soak;
pub mod stack;
pub mod tables;
pub mod users;
