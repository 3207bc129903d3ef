//! The registry of live connections: what `@connections` reaches and what a session removes
//! when its connection ends. A connection is in the registry from its upgrade until the
//! moment the gateway decides it is closed, so posts after that answer 410.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::mpsc;

use super::events::ConnectionContext;

/// A frame for the session's writer.
#[derive(Debug, Clone, PartialEq)]
pub enum Outbound {
    Text(String),
    Binary(Vec<u8>),
    /// Send a close frame, then write nothing more.
    Close(CloseCause),
    /// Write nothing more (the close handshake is the client's or the socket is gone).
    Stop,
}

/// Why a connection ends: the close code and reason, as the client's close frame (when the
/// gateway closes) and `$disconnect`'s `disconnectStatusCode` / `disconnectReason` carry them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloseCause {
    pub code: u16,
    pub reason: String,
}

impl CloseCause {
    pub fn new(code: u16, reason: &str) -> Self {
        Self {
            code,
            reason: reason.to_owned(),
        }
    }
}

/// One live connection as the rest of the gateway sees it.
#[derive(Debug)]
pub struct LiveConnection {
    pub context: Arc<ConnectionContext>,
    last_active_ms: AtomicI64,
    outbound: mpsc::UnboundedSender<Outbound>,
    close_requests: mpsc::UnboundedSender<CloseCause>,
}

impl LiveConnection {
    pub fn new(
        context: Arc<ConnectionContext>,
        outbound: mpsc::UnboundedSender<Outbound>,
        close_requests: mpsc::UnboundedSender<CloseCause>,
    ) -> Self {
        let connected_at = context.connected_at_ms;
        Self {
            context,
            last_active_ms: AtomicI64::new(connected_at),
            outbound,
            close_requests,
        }
    }

    pub fn id(&self) -> &str {
        &self.context.connection_id
    }

    pub fn last_active_ms(&self) -> i64 {
        self.last_active_ms.load(Ordering::Relaxed)
    }

    pub fn touch(&self, epoch_ms: i64) {
        self.last_active_ms.fetch_max(epoch_ms, Ordering::Relaxed);
    }

    /// Queues a frame for the client; false when the connection's writer is gone.
    pub fn send(&self, frame: Outbound) -> bool {
        self.outbound.send(frame).is_ok()
    }

    /// Asks the connection's session to close it; false when the session is gone.
    pub fn request_close(&self, cause: CloseCause) -> bool {
        self.close_requests.send(cause).is_ok()
    }
}

/// Live connections by id.
#[derive(Debug, Default)]
pub struct ConnectionRegistry {
    live: Mutex<HashMap<String, Arc<LiveConnection>>>,
}

impl ConnectionRegistry {
    fn lock(&self) -> MutexGuard<'_, HashMap<String, Arc<LiveConnection>>> {
        // A panic while holding the lock leaves the map itself consistent.
        self.live
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn insert(&self, connection: Arc<LiveConnection>) {
        self.lock().insert(connection.id().to_owned(), connection);
    }

    pub fn get(&self, id: &str) -> Option<Arc<LiveConnection>> {
        self.lock().get(id).cloned()
    }

    /// Removes and returns the connection; `None` if it was not (or no longer) live.
    pub fn remove(&self, id: &str) -> Option<Arc<LiveConnection>> {
        self.lock().remove(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context(id: &str) -> Arc<ConnectionContext> {
        Arc::new(ConnectionContext {
            connection_id: id.into(),
            connected_at_ms: 1_000,
            source_ip: "127.0.0.1".into(),
            user_agent: None,
            domain_name: "localhost".into(),
            authorizer: None,
        })
    }

    #[test]
    fn insert_get_remove() {
        let registry = ConnectionRegistry::default();
        let (out_tx, mut out_rx) = mpsc::unbounded_channel();
        let (close_tx, _close_rx) = mpsc::unbounded_channel();
        registry.insert(Arc::new(LiveConnection::new(
            context("a="),
            out_tx,
            close_tx,
        )));
        let live = registry.get("a=").expect("live");
        assert!(live.send(Outbound::Text("hi".into())));
        assert_eq!(out_rx.try_recv().ok(), Some(Outbound::Text("hi".into())));
        live.touch(5_000);
        live.touch(4_000);
        assert_eq!(live.last_active_ms(), 5_000);
        assert!(registry.remove("a=").is_some());
        assert!(registry.get("a=").is_none());
        assert!(registry.remove("a=").is_none());
    }
}
