//! The key exchanges that need the server: one task per client carries out what the crypto
//! engine asks (key uploads when the server runs low, key queries) through the connection,
//! after each connect (then it syncs the to-device inbox) and whenever the worker's
//! [`inbox`](super::inbox) fed the engine new key counts; it also takes device verification
//! messages to the [`Verifier`]. It runs beside the worker, since its requests await
//! replies the worker reads.

use parley_protocol::client::ToDeviceSync;
use parley_protocol::ClientFrame;
use std::sync::Arc;
use tokio::sync::mpsc;

use super::transport::SocketTransport;
use super::verification::Verifier;
use crate::connection::Command;
use crate::crypto::{Crypto, ToDeviceMessage};

/// What the worker asks of the task.
#[derive(Debug)]
pub(crate) enum KeyEvent {
    /// A connection opened: ask for every known user's devices again, upload what is due,
    /// then sync the inbox.
    Connected,
    /// The engine was fed key counts or messages: send what it now wants sent.
    Exchange,
    /// `m.key.verification.*` messages came (see [`Verifier`]).
    Verification(Vec<ToDeviceMessage>),
}

pub(crate) async fn run(
    crypto: Arc<Crypto>,
    mut transport: SocketTransport,
    mut events: mpsc::UnboundedReceiver<KeyEvent>,
    verifier: Arc<Verifier>,
) {
    while let Some(event) = events.recv().await {
        if let KeyEvent::Verification(messages) = event {
            if let Err(error) = verifier.receive(messages).await {
                tracing::warn!(%error, "a device verification step failed");
            }
            continue;
        }
        if let KeyEvent::Connected = event {
            if let Err(error) = crypto.mark_all_devices_stale().await {
                tracing::warn!(%error, "could not mark devices for a new query");
            }
        }
        if let Err(error) = crypto.process_outgoing(&mut transport).await {
            tracing::warn!(%error, "the key exchange with the server failed");
        }
        if let KeyEvent::Connected = event {
            let sync = ClientFrame::ToDeviceSync(ToDeviceSync::default());
            transport.command(Command::Frame(sync));
        }
    }
}
