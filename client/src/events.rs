//! What the client tells the application, on its events channel.

use parley_protocol::{ChatSettings, ConversationId, ErrorCode};

use crate::crypto::Verification;
use crate::store::{Group, Message, Tick};

// Most events are messages: boxing them would cost an allocation each to spare the rare
// small event a few hundred bytes of a channel slot.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// A message of a conversation: each exactly once, in seq order per conversation
    /// (this device's own sends included, once stored, with the id `send_text` returned).
    /// Change entries (edit, delete, react, unreact) are never handed out as messages: they
    /// come as [`Event::Changed`] of the message they change.
    /// An encrypted one says how it went in `encryption`: one still waiting for its key
    /// has no body yet, and comes again as [`Event::Decrypted`] once its key arrives.
    Message(Message),
    /// A message already handed out changed: `message` as it now stands (its `state`: the
    /// edited text, deleted, reactions). `change` is the entry that did it (in seq order
    /// with the messages), or `None` when a `sync` brought the state.
    Changed {
        message: Box<Message>,
        change: Option<Box<Message>>,
    },
    /// A message that waited for its key, now decrypted (same conversation and seq).
    Decrypted(Message),
    /// A member of a conversation this device encrypts for has a device that was not there
    /// before: it gets the conversation's keys from now on.
    NewDevice {
        user: String,
        device_id: String,
    },
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
    /// A watched user's presence (see [`crate::Client::watch_presence`]): `online`, or
    /// offline since `last_seen` (ms since the epoch; absent if never seen). Neither when
    /// their privacy, or the user's own, hides it.
    Presence {
        user: String,
        online: Option<bool>,
        last_seen: Option<i64>,
    },
    /// The user blocked (`blocked: true`) or unblocked `user`, on this device (the reply
    /// to [`crate::Client::block`]) or on another of theirs (live).
    Blocked {
        user: String,
        blocked: bool,
    },
    /// A device verification moved on (see [`crate::Client::verify`]): another device asks
    /// to verify ([`crate::crypto::VerificationState::Incoming`]: "X's device D wants to
    /// verify"), the code to compare, done (the device is now verified), or cancelled (with
    /// the reason).
    Verification(Verification),
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
