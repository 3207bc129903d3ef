//! The API Gateway WebSocket emulator: one port serving the WebSocket API at `/{stage}`
//! (authorizer, `$connect`, route selection, `$disconnect`, API Gateway's limits) and the
//! `@connections` management API, in front of any [`Invoke`](crate::lambda::Invoke).
//!
//! ```no_run
//! # async fn example(spec: parley_devstack::stack_spec::WebSocketApiSpec,
//! #                  functions: std::sync::Arc<impl parley_devstack::lambda::Invoke>) -> std::io::Result<()> {
//! use parley_devstack::gateway::{Gateway, GatewayConfig};
//! let gateway = Gateway::bind(GatewayConfig::new(spec, "eu-west-1"), functions, "127.0.0.1:0").await?;
//! println!("clients connect to {}?token=JWT", gateway.websocket_url());
//! println!("functions post to {}", gateway.management_endpoint());
//! gateway.shutdown().await?;
//! # Ok(()) }
//! ```

pub mod access_log;
mod authorizer;
mod clock;
mod connections;
mod events;
mod handshake;
mod ids;
mod integration;
pub mod limits;
mod management_api;
pub mod post_recorder;
mod routes;
mod server;
mod session;
mod state;

#[cfg(test)]
mod tests;

pub use limits::GatewayLimits;
pub use post_recorder::PostRecorder;
pub use server::{Gateway, GatewayConfig};
