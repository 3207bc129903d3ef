//! Parley's client library: what every serious chat client must get right, done once.
//!
//! - [`stack`]: where a Parley stack is (the local one's `.devstack/stack.json`, or a
//!   deployed stack's CloudFormation outputs).
//! - [`account`]: sign up, confirm, sign in (SRP, or USER_PASSWORD_AUTH where the pool
//!   allows it) and token refresh against the stack's Cognito user pool.
//! - [`store`]: the one local database file (tokens, cursor, messages, outbox, ticks).
//! - [`client`]: what an application holds: [`Client::start`] spawns the connection worker
//!   (one task owns the socket and talks to the application over channels) and answers
//!   the handle and the [`Event`] receiver. Files go up and down streamed (`files`).
//! - [`chat`]: the chat state without sockets (outbox, sync, ordering, ticks, changes to
//!   messages, presence watches), which the worker drives.
//! - [`mentions`]: `@` names resolved to a group's members, and a reply's quote preview.
//! - [`socket`]: one WebSocket connection, low level (protocol frames out, within API
//!   Gateway's frame limit; the server's frames in, read through the protocol crate). The
//!   worker uses it, and so do the end-to-end tests and the benchmark.
//! - [`crypto`]: end-to-end encryption (Olm/Megolm through Matrix's OlmMachine): this
//!   device's keys and sessions, key requests as plain data, encrypt and decrypt; `e2e`
//!   wires it into the connection (on by default, see [`Options`]).

pub mod account;
mod backoff;
pub mod chat;
pub mod client;
mod connection;
pub mod crypto;
mod e2e;
pub mod events;
mod files;
mod flight;
pub mod mentions;
pub mod socket;
pub mod stack;
pub mod store;
pub mod token_source;
pub mod tokens;
mod verify;

pub use client::{
    ChatChange, Client, ClientError, GroupReply, Options, PresenceState, SendOptions, To,
};
pub use events::{ConnectionState, Event};
pub use files::{SEALED_FILE_NAME, SEALED_FILE_TYPE};
pub use store::Store;
pub use token_source::{KeepTokens, TokenError, TokenSource};
pub use tokens::Tokens;
