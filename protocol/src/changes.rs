//! Changes to messages (issue 16): every change is a new entry of its conversation, sent as
//! a `send` with a [`ChangeKind`] that names the message it changes (`target`, a seq), so it
//! is ordered, stored, synced and delivered like a message. The server reads the kind, the
//! target, the author and the time; what a change carries (new text, an emoji) is opaque
//! content in `body`, or end-to-end encrypted in `encrypted`. A message may also quote
//! another ([`ReplyTo`], [`Reply`]), mention members and be marked forwarded. `sync` gives each message with its current state
//! ([`MessageState`]), so a client need not replay the changes from the start of retention.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What a change entry does to its target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(test, derive(ts_rs::TS))]
pub enum ChangeKind {
    /// New text for the author's own message (within 15 minutes of sending): `body`
    /// or `encrypted`.
    Edit,
    /// Delete for everyone: the author's own message (within 60 hours), or, in a group, any
    /// message for an admin. The stored text and attachment are removed.
    Delete,
    /// The sender's reaction (an emoji in `body`, or `encrypted`), replacing their earlier one.
    React,
    /// Removes the sender's reaction.
    Unreact,
    /// Sets the conversation's disappearing-messages timer to `seconds` (0: off; see
    /// [`crate::limits::TIMER_SECONDS`]): any member of a direct chat, an admin of a group.
    /// It names no target: it is an announcement entry, and every message sent after it
    /// expires `seconds` after it was sent.
    Timer,
}

impl ChangeKind {
    /// Every kind, as on the wire.
    pub const ALL: [Self; 5] = [
        Self::Edit,
        Self::Delete,
        Self::React,
        Self::Unreact,
        Self::Timer,
    ];

    /// The wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Edit => "edit",
            Self::Delete => "delete",
            Self::React => "react",
            Self::Unreact => "unreact",
            Self::Timer => "timer",
        }
    }

    /// Reads the wire spelling.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == text)
    }
}

/// In a `send`: the message this one answers (a seq of the same conversation), with a short
/// preview of it for the quote. The preview is the client's and opaque to the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct ReplyTo {
    #[cfg_attr(test, ts(type = "number"))]
    pub seq: u64,
    /// At most 256 bytes of UTF-8.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub preview: Option<String>,
}

/// In a `message`: the quoted message's seq, its author (the server's record of it) and the
/// sender's preview.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct Reply {
    #[cfg_attr(test, ts(type = "number"))]
    pub seq: u64,
    pub from: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub preview: Option<String>,
}

/// A message's state after every change to it so far, attached by `sync` to the message it
/// describes. Absent when nothing changed it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct MessageState {
    /// The seq of the newest change folded in: a change entry with a seq at or below it is
    /// already part of this state.
    #[cfg_attr(test, ts(type = "number"))]
    pub version: u64,
    /// The newest edit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub edited: Option<Edited>,
    /// Deleted for everyone: then there is no edit, no reaction, and the message's `body`
    /// and `attachment` are gone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub deleted: Option<Deleted>,
    /// One reaction per user, by user id.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[cfg_attr(test, ts(as = "Option<BTreeMap<String, Reaction>>", optional))]
    pub reactions: BTreeMap<String, Reaction>,
}

/// The newest edit of a message: the edit entry's seq and time, and its text: `body`, or,
/// for an encrypted edit, `encrypted` (and then `body` is empty).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct Edited {
    #[cfg_attr(test, ts(type = "number"))]
    pub seq: u64,
    #[cfg_attr(test, ts(type = "number"))]
    pub ts: i64,
    pub body: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub encrypted: Option<String>,
}

/// Who deleted a message for everyone, by which entry, when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct Deleted {
    #[cfg_attr(test, ts(type = "number"))]
    pub seq: u64,
    #[cfg_attr(test, ts(type = "number"))]
    pub ts: i64,
    pub by: String,
}

/// One user's reaction: the react entry's seq and its emoji: `body`, or, for an encrypted
/// reaction, `encrypted` (and then `body` is empty).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct Reaction {
    #[cfg_attr(test, ts(type = "number"))]
    pub seq: u64,
    pub body: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub encrypted: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn kinds_read_and_write_their_wire_spelling() {
        for kind in ChangeKind::ALL {
            assert_eq!(ChangeKind::parse(kind.as_str()), Some(kind));
            assert_eq!(serde_json::to_value(kind).unwrap(), json!(kind.as_str()));
        }
        assert_eq!(ChangeKind::parse("expire"), None);
    }

    #[test]
    fn an_unchanged_state_part_is_left_out() {
        let state = MessageState {
            version: 7,
            reactions: [(
                "b".to_owned(),
                Reaction {
                    seq: 7,
                    body: "👍".into(),
                    encrypted: None,
                },
            )]
            .into(),
            ..MessageState::default()
        };
        let value = serde_json::to_value(&state).unwrap();
        assert_eq!(
            value,
            json!({"version": 7, "reactions": {"b": {"seq": 7, "body": "👍"}}})
        );
        assert_eq!(
            serde_json::from_value::<MessageState>(value).unwrap(),
            state
        );
    }
}
