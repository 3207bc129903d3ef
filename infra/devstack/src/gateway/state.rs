//! What every handler and session of one gateway shares, and the count of running sessions
//! that shutdown waits on (upgraded sockets leave the HTTP server's own bookkeeping).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

use tokio::sync::{watch, Notify};

use super::access_log::AccessLogFormat;
use super::connections::ConnectionRegistry;
use super::events::ApiContext;
use super::limits::GatewayLimits;
use super::post_recorder::PostRecorder;
use super::routes::RouteTable;
use crate::lambda::{Invoke, InvokeError};

pub(crate) struct Shared<I> {
    pub invoker: Arc<I>,
    pub api: ApiContext,
    pub routes: RouteTable,
    pub registry: ConnectionRegistry,
    pub limits: GatewayLimits,
    /// Every post body is appended here when set (`--record-posts`).
    pub post_recorder: Option<Arc<PostRecorder>>,
    /// The stage's access log format (plain text lines without one).
    pub access_log: Option<AccessLogFormat>,
    pub sessions: Arc<SessionTracker>,
    /// Becomes `true` (or is dropped) when the gateway shuts down.
    pub shutdown: watch::Receiver<bool>,
}

/// A function's result and how long it took, for the access log.
pub(crate) struct Invocation {
    pub result: Result<serde_json::Value, InvokeError>,
    pub started: Instant,
}

impl<I: Invoke> Shared<I> {
    pub async fn invoke(&self, function: &str, event: serde_json::Value) -> Invocation {
        let started = Instant::now();
        let result = self.invoker.invoke(function, event).await;
        if let Err(error) = &result {
            tracing::warn!(target: "parley_devstack::gateway", function, failure = %failure_summary(error), "integration failed");
        }
        Invocation { result, started }
    }
}

/// What went wrong, without a function error's message: an authorizer may well quote the
/// token it rejects there, and the function's own log has the message anyway.
fn failure_summary(error: &InvokeError) -> String {
    match error {
        InvokeError::Function { error_type, .. } => format!("function error {error_type}"),
        other => other.to_string(),
    }
}

/// Counts sessions (upgrade to `$disconnect` done) so shutdown can wait for them.
#[derive(Debug, Default)]
pub(crate) struct SessionTracker {
    running: AtomicUsize,
    all_done: Notify,
}

/// Held by a session while it runs.
pub(crate) struct SessionGuard(Arc<SessionTracker>);

impl SessionTracker {
    pub fn start(self: &Arc<Self>) -> SessionGuard {
        self.running.fetch_add(1, Ordering::SeqCst);
        SessionGuard(Arc::clone(self))
    }

    pub async fn wait_all_done(&self) {
        loop {
            let notified = self.all_done.notified();
            tokio::pin!(notified);
            // Register interest before checking, so a wake-up in between is not lost.
            notified.as_mut().enable();
            if self.running.load(Ordering::SeqCst) == 0 {
                return;
            }
            notified.await;
        }
    }
}

impl Drop for SessionGuard {
    fn drop(&mut self) {
        if self.0.running.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.0.all_done.notify_waiters();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failure_summary_leaves_function_messages_out() {
        let error = InvokeError::Function {
            error_type: "Error".into(),
            message: "bad token eyJhbGciOi".into(),
        };
        assert_eq!(failure_summary(&error), "function error Error");
    }
}
