//! Parley's client library: what every serious chat client must get right, done once.
//!
//! - [`stack`]: where a Parley stack is (the local one's `.devstack/stack.json`, or a
//!   deployed stack's CloudFormation outputs).
//! - [`account`]: sign up, confirm, sign in (SRP, or USER_PASSWORD_AUTH where the pool
//!   allows it) and token refresh against the stack's Cognito user pool.
//! - [`store`]: the one local database file (tokens, cursor, messages, outbox, ticks).
//! - The connection worker, outbox, sync, ticks: one task owns the socket and talks to the
//!   application over channels.

pub mod account;
pub mod backoff;
pub mod chat;
pub mod client;
mod connection;
pub mod events;
pub mod files;
pub mod flight;
mod socket;
pub mod stack;
pub mod store;
pub mod token_source;
pub mod tokens;

pub use client::{Client, ClientError, GroupReply, To};
pub use events::{ConnectionState, Event};
pub use store::Store;
pub use token_source::{KeepTokens, TokenError, TokenSource};
pub use tokens::Tokens;
