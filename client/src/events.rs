//! What the client tells the application, on its events channel.

use parley_protocol::{ConversationId, ErrorCode};

use crate::store::{Group, Message, Tick};

#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// A message of a conversation: each exactly once, in seq order per conversation
    /// (this device's own sends included, once stored, with the id `send_text` returned).
    Message(Message),
    /// One of this device's sends moved on (`Sent`, `Delivered`, `Read`; never backwards).
    Tick {
        id: String,
        conversation: ConversationId,
        seq: u64,
        tick: Tick,
    },
    /// A send the server refused for good: it stays in the outbox, marked failed.
    SendFailed {
        id: String,
        code: ErrorCode,
        message: String,
    },
    Typing {
        conversation: ConversationId,
        from: String,
    },
    /// A group's name or members changed (from a reply or a `system` message).
    Group {
        conversation: ConversationId,
        group: Group,
    },
    Connection(ConnectionState),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnectionState {
    Connecting,
    /// Connected, and the catch-up sync is under way.
    Connected,
    /// The catch-up sync is done: everything stored for this user so far was delivered.
    Synced,
    /// Closed; the client reconnects after `retry_in`.
    Disconnected {
        retry_in: std::time::Duration,
    },
}
