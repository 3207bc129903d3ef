//! What the local store keeps, as plain serde types: each is written as JSON under its key,
//! so a field added later reads back from an older file (serde defaults).

use parley_protocol::client::Send;
use parley_protocol::{Attachment, ConversationId, ErrorCode, System};
use serde::{Deserialize, Serialize};

/// A message of a conversation, as the server stored it: what the application is handed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    pub conversation: ConversationId,
    pub seq: u64,
    pub message_id: String,
    /// The sender's client id (for this device's own sends, the id `send_text` returned).
    pub id: String,
    pub from: String,
    /// The server's time of the send, ms since the Unix epoch.
    pub ts: i64,
    pub body: Option<String>,
    pub attachment: Option<Attachment>,
    /// A group's membership change.
    pub system: Option<System>,
    /// A `timer` entry (disappearing messages): the conversation's new timer, in seconds
    /// (0: off).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timer: Option<u64>,
    /// Sent under a disappearing-messages timer: when it expires, ms since the Unix epoch.
    /// From then on the store no longer returns it and deletes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<i64>,
}

impl Message {
    /// Whether it expired by `now_ms` (a disappearing message past its time).
    pub fn expired(&self, now_ms: i64) -> bool {
        self.expires_at.is_some_and(|at| at <= now_ms)
    }
}

/// A send waiting in the outbox: stored before it is first sent, so it survives a restart,
/// and sent again with the same id until the server answers `sent` or refuses it for good.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxEntry {
    pub frame: Send,
    /// Times it was put on a socket.
    pub attempts: u32,
    /// `None` while it is still to be sent; the refusal once the server refused it for good
    /// (kept so the application can show it, never sent again).
    pub failed: Option<Refusal>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refusal {
    pub code: ErrorCode,
    pub message: String,
}

/// How far one of this device's own messages got. Only ever moves up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tick {
    /// In the outbox: not yet stored by the server.
    Pending,
    /// Stored by the server (`sent`).
    Sent,
    /// Every other member's device got it.
    Delivered,
    /// Every other member read it.
    Read,
}

/// One of this device's own stored messages, for its ticks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnMessage {
    pub id: String,
    pub tick: Tick,
    /// The other members of a group when it was sent (a member added later never gets it,
    /// so never acks it); empty for a direct chat, where the one other member decides.
    pub audience: Vec<String>,
}

/// How far another member acknowledged a conversation (cumulative `receipt`s).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Marks {
    pub delivered: u64,
    pub read: u64,
}

/// This device's place in one conversation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConversationState {
    /// The highest seq handed to the application (in order: every one before it was too).
    pub delivered: u64,
    /// What this user last acknowledged to the server.
    pub acked_delivered: u64,
    pub acked_read: u64,
}

/// A group as this device knows it, from `group` replies and `system` messages.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Group {
    pub name: String,
    pub members: Vec<String>,
    /// Known from `group` replies only (system messages do not name admins).
    pub admins: Vec<String>,
}
