//! What the Parley Lambda functions share: configuration read once per cold start, the wire
//! protocol, the one error type, token verification, and the AWS adapters.

pub mod auth;
pub mod batch;
pub mod clock;
pub mod config;
pub mod connections;
pub mod cursor;
pub mod delivery;
pub mod devices;
pub mod error;
pub mod expiry;
pub mod identity;
pub mod message;
pub mod rate_limit;
pub mod rules;
pub mod store;
pub mod users;
pub mod websocket;

pub use config::Config;
pub use error::Error;
