//! What the client tells the application, on its events channel.

use parley_protocol::{ChatSettings, ConversationId, ErrorCode};

use crate::store::{Group, Message, Tick};

// `Message` is much the largest variant; events are made, sent once over the channel and
// dropped, never held in bulk, so boxing it would buy nothing but an API change.
#[allow(clippy::large_enum_variant)]
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
    /// The user's settings of one conversation, as they now stand: changed on this device
    /// (the reply) or on another of theirs (live).
    ChatSettings(ChatSettings),
    /// The user's settings of every conversation that has any, asked after each connect's
    /// catch-up sync: they replace what the application held (the rest are defaults).
    ChatList(Vec<ChatSettings>),
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
