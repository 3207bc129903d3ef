//! Parley's client library: what every serious chat client must get right, done once.
//!
//! - [`stack`]: where a Parley stack is (the local one's `.devstack/stack.json`, or a
//!   deployed stack's CloudFormation outputs).
//! - [`account`]: sign up, confirm, sign in (SRP, or USER_PASSWORD_AUTH where the pool
//!   allows it) and token refresh against the stack's Cognito user pool.
//! - The connection worker, outbox, sync, ticks and local store: one task owns the socket
//!   and talks to the application over channels.

pub mod account;
pub mod stack;
pub mod tokens;

pub use tokens::Tokens;
