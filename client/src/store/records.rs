//! What the local store keeps, as plain serde types: each is written as JSON under its key,
//! so a field added later reads back from an older file (serde defaults).

use parley_protocol::client::Send;
use parley_protocol::{Attachment, ChangeKind, ConversationId, ErrorCode, Reply, System};
use serde::{Deserialize, Serialize};

use super::state::MessageState;

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
    /// A change entry (edit, delete, react, unreact) of the message at `target`: applied
    /// to it, never shown as a message of its own. `timer` marks a disappearing-messages
    /// announcement (see `timer`), which is shown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<ChangeKind>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<u64>,
    /// The message this one quotes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<Reply>,
    /// The members it mentions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mentions: Vec<String>,
    #[serde(default)]
    pub forwarded: bool,
    /// Its state after the changes to it this device knows of (edited text, deleted,
    /// reactions).
    #[serde(default)]
    pub state: MessageState,
    /// How an end-to-end encrypted message came out (absent: it was sent in the clear).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encryption: Option<Encryption>,
    /// An end-to-end encrypted file's key, from inside the ciphertext (the library's
    /// `MediaEncryptionInfo` JSON: `v`, `key`, `iv`, `hashes`); `attachment` is then the
    /// file as its sender described it, and [`crate::Client::download`] decrypts its bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<serde_json::Value>,
    /// A placeholder for an entry from someone this user blocks (the server's `skip`): it
    /// fills its seq, so the conversation has no gap, and is never handed out.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub skipped: bool,
    /// A `timer` entry (disappearing messages): the conversation's new timer, in seconds
    /// (0: off).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timer: Option<u64>,
    /// Sent under a disappearing-messages timer (in the clear or end-to-end encrypted
    /// alike): when it expires, ms since the Unix epoch. From then on it is never handed
    /// out, and the end of a sync deletes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<i64>,
}

/// An encrypted file this device can read: the attachment as its sender described it
/// (name, type, size; the server has the neutral ones) and the key to its bytes. Kept by
/// the object's key, for [`crate::Client::send_attachment`] and [`crate::Client::download`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SealedFile {
    pub attachment: Attachment,
    /// The library's `MediaEncryptionInfo` JSON.
    pub file: serde_json::Value,
}

/// What became of an end-to-end encrypted message on this device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "state")]
pub enum Encryption {
    /// Decrypted: `body` (and `attachment`) are what the sender encrypted. `sender_device`
    /// is the sending device, when known; `verified` when this device marked it verified.
    Decrypted {
        sender_device: Option<String>,
        verified: bool,
    },
    /// Its key has not arrived (yet): kept as it came, decrypted when the key arrives
    /// (then the application gets [`crate::Event::Decrypted`]).
    WaitingForKey {
        encrypted: String,
        session_id: Option<String>,
    },
    /// It will not decrypt with any key this device can get (tampered, or its key is not
    /// its sender's).
    Undecryptable { encrypted: String, reason: String },
}

impl Message {
    /// Whether the message's key has not arrived yet.
    pub fn is_waiting_for_key(&self) -> bool {
        matches!(self.encryption, Some(Encryption::WaitingForKey { .. }))
    }

    /// Whether an edit or reaction folded into its state still waits for its key (from a
    /// `sync` state): it is not shown until it decrypts.
    pub fn has_sealed_changes(&self) -> bool {
        self.state.is_sealed()
    }

    /// Whether this message (or a change in its state) waits for a key: the store keeps it
    /// on the list that arriving room keys are tried on.
    pub(crate) fn awaits_key(&self) -> bool {
        self.is_waiting_for_key() || self.has_sealed_changes()
    }

    /// The placeholder for a `skip`: its seq, and nothing else.
    pub fn skip(conversation: ConversationId, seq: u64) -> Self {
        Self {
            conversation,
            seq,
            message_id: String::new(),
            id: String::new(),
            from: String::new(),
            ts: 0,
            body: None,
            attachment: None,
            system: None,
            kind: None,
            target: None,
            reply_to: None,
            mentions: Vec::new(),
            forwarded: false,
            state: MessageState::default(),
            encryption: None,
            file: None,
            skipped: true,
            timer: None,
            expires_at: None,
        }
    }

    /// Whether this entry changes another message rather than being one. A `timer` entry
    /// is not: it changes the conversation, and is handed out as an announcement.
    pub fn is_change(&self) -> bool {
        self.kind.is_some_and(|kind| kind != ChangeKind::Timer)
    }

    /// Whether it expired by `now_ms` (a disappearing message past its time).
    pub fn expired(&self, now_ms: i64) -> bool {
        self.expires_at.is_some_and(|at| at <= now_ms)
    }

    /// The text to show: the newest edit's, else the body; none once deleted.
    pub fn text(&self) -> Option<&str> {
        if self.state.is_deleted() {
            return None;
        }
        match &self.state.edited {
            // An edit still waiting for its key shows nothing of itself yet.
            Some(edited) if edited.encrypted.is_none() => Some(&edited.body),
            _ => self.body.as_deref(),
        }
    }

    pub fn is_edited(&self) -> bool {
        self.state.edited.is_some()
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
    /// To be end-to-end encrypted before it goes: the frame still holds the text in `body`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub seal: bool,
    /// The text of an encrypted send (the frame now carries only the ciphertext, sent again
    /// byte for byte on every retry): this device's own copy of the message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plaintext: Option<String>,
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
