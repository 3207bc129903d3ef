//! Reading a conversation's record: its counter and, for groups, who is in it.

use aws_sdk_dynamodb::types::AttributeValue;
use std::collections::HashMap;

use super::turns::Queue;
use super::Store;
use crate::Error;
use parley_protocol::{ConversationId, Kind};

/// A direct chat record's set of the users who have written in it (presence's contacts).
pub const WRITERS: &str = "writers";
/// A group record's set of its former members ([`ConversationRecord::former`]).
pub const FORMER: &str = "former";
/// The counter's disappearing-messages timer, in seconds (absent: off).
pub const TIMER: &str = "timer";

/// What the conversations table holds for one conversation.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ConversationRecord {
    /// The seq of the newest message; 0 before the first.
    pub last_seq: u64,
    /// Group members (empty for direct chats: their members are in the id).
    pub members: Vec<String>,
    pub admins: Vec<String>,
    /// Everyone who left a group or was removed from it (some may be back): whose mailboxes
    /// may hold its older messages, which a delete for everyone scrubs.
    pub former: Vec<String>,
    pub name: Option<String>,
    /// Where the queue of sends waiting for their turn stands ([`super::turns`]).
    pub queue: Queue,
    /// The disappearing-messages timer, in seconds (none: off): every message sent while
    /// it is set expires that long after it was sent.
    pub timer: Option<u64>,
}

impl ConversationRecord {
    pub(crate) fn from_item(item: &HashMap<String, AttributeValue>) -> Self {
        let set = |k: &str| {
            item.get(k)
                .and_then(|v| v.as_ss().ok())
                .cloned()
                .unwrap_or_default()
        };
        Self {
            last_seq: item
                .get("lastSeq")
                .and_then(|v| v.as_n().ok())
                .and_then(|n| n.parse().ok())
                .unwrap_or(0),
            members: set("members"),
            admins: set("admins"),
            former: set(FORMER),
            name: item.get("name").and_then(|v| v.as_s().ok()).cloned(),
            queue: Queue::from_item(item),
            timer: item
                .get(TIMER)
                .and_then(|v| v.as_n().ok())
                .and_then(|n| n.parse().ok())
                .filter(|&seconds| seconds > 0),
        }
    }
}

impl Store {
    /// The conversation's record, if it has one (a direct chat has none before its first
    /// message).
    pub async fn conversation(
        &self,
        conversation: &ConversationId,
    ) -> Result<Option<ConversationRecord>, Error> {
        let output = self
            .db
            .get_item()
            .table_name(&self.conversations_table)
            .key(
                "conversationId",
                AttributeValue::S(conversation.to_string()),
            )
            .consistent_read(true)
            .send()
            .await
            .map_err(Error::aws)?;
        Ok(output.item().map(ConversationRecord::from_item))
    }

    /// Who is in a conversation. A direct chat's members come from its id without a read; a
    /// group that does not exist has none.
    pub async fn members(&self, conversation: &ConversationId) -> Result<Vec<String>, Error> {
        Ok(match conversation.kind() {
            Kind::Direct => conversation.direct_members(),
            Kind::Group => self
                .conversation(conversation)
                .await?
                .map(|record| record.members)
                .unwrap_or_default(),
        })
    }
}
