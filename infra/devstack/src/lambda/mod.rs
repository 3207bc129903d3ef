//! The Lambda side of the local stack: function processes driven through an emulated
//! Runtime API, one invocation per process at a time, more processes under concurrency.

mod environment;
mod functions;
mod health;
mod ids;
mod logs;
mod memory;
mod pool;
mod process;
mod runtime_api;
mod stall;
mod supervisor;
#[cfg(test)]
mod tests;

pub use functions::{Functions, FunctionsConfig};

use std::future::Future;
use std::time::Duration;

/// Why an invocation produced no response.
#[derive(Debug, thiserror::Error)]
pub enum InvokeError {
    /// The handler returned an error (`/invocation/{id}/error`).
    #[error("function error {error_type}: {message}")]
    Function { error_type: String, message: String },
    /// The process exited, or reported an init error, before responding.
    #[error("function process failed: {0}")]
    Crashed(String),
    #[error("function timed out after {0:?}")]
    Timeout(Duration),
    #[error("no function named {0}")]
    Unknown(String),
}

/// Hands an event to a function and waits for its response, as Lambda's Invoke does.
/// The gateway depends on this seam so its logic can be tested without processes.
pub trait Invoke: Send + Sync + 'static {
    fn invoke(
        &self,
        function: &str,
        event: serde_json::Value,
    ) -> impl Future<Output = Result<serde_json::Value, InvokeError>> + Send;
}
