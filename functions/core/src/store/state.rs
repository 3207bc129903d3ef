//! A message's state after the changes made to it (issue 16): one item per changed message
//! in the conversation's partition (`userId` = the conversation, `sk` = `x#<seq, 12
//! digits>`), beside its log item (`s#`, [`super::log`]). The first change to a message
//! creates it; every change rewrites it whole in the transaction that stores the change
//! entry, on condition that it is still the version the change was checked against (so a
//! lost race reads again and the rules are asked again). It expires with the message.
//!
//! `sync` attaches the state to the messages of a page ([`Store::states`]): one Query of the
//! `x#` range per conversation in the page, which reads nothing (half a read unit) when none
//! of its messages changed.

use aws_sdk_dynamodb::types::AttributeValue;
use futures_util::stream::{self, StreamExt, TryStreamExt};
use std::collections::{BTreeMap, HashMap};

use super::Store;
use crate::message::Message;
use crate::Error;
use parley_protocol::{ConversationId, MessageState};

const PREFIX: &str = "x#";
/// The attribute holding a deleted message's attachment key.
pub(crate) const FILE: &str = "file";
/// Conversations of one sync page whose states are read at once.
const MAX_CONCURRENT_QUERIES: usize = 8;

/// What the store keeps of a message's changes: the state clients see, the edit entries
/// (seq, ts) a delete for everyone must scrub, and once deleted the key of the message's
/// attachment (its log item no longer has it), whose object a retried delete removes.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StateRecord {
    pub state: MessageState,
    pub edits: Vec<(u64, i64)>,
    pub attachment: Option<String>,
}

pub(crate) fn state_key(seq: u64) -> String {
    format!("{PREFIX}{seq:012}")
}

impl StateRecord {
    /// The item of the message at `target` of `conversation`, expiring at `ttl`.
    pub(crate) fn to_item(
        &self,
        conversation: &ConversationId,
        target: u64,
        ttl: i64,
    ) -> HashMap<String, AttributeValue> {
        let mut item = HashMap::from([
            (
                "userId".to_owned(),
                AttributeValue::S(conversation.to_string()),
            ),
            ("sk".to_owned(), AttributeValue::S(state_key(target))),
            (
                "version".to_owned(),
                AttributeValue::N(self.state.version.to_string()),
            ),
            (
                "state".to_owned(),
                AttributeValue::S(serde_json::to_string(&self.state).unwrap_or_default()),
            ),
            (
                "edits".to_owned(),
                AttributeValue::S(serde_json::to_string(&self.edits).unwrap_or_default()),
            ),
            ("ttl".to_owned(), AttributeValue::N(ttl.to_string())),
        ]);
        if let Some(key) = &self.attachment {
            item.insert(FILE.to_owned(), AttributeValue::S(key.clone()));
        }
        item
    }

    pub(crate) fn from_item(item: &HashMap<String, AttributeValue>) -> Option<Self> {
        let json = |name: &str| item.get(name).and_then(|v| v.as_s().ok());
        Some(Self {
            state: serde_json::from_str(json("state")?).ok()?,
            edits: json("edits")
                .and_then(|edits| serde_json::from_str(edits).ok())
                .unwrap_or_default(),
            attachment: item.get(FILE).and_then(|v| v.as_s().ok()).cloned(),
        })
    }

    /// The target seq an `x#` key names.
    fn target_of(item: &HashMap<String, AttributeValue>) -> Option<u64> {
        item.get("sk")?
            .as_s()
            .ok()?
            .strip_prefix(PREFIX)?
            .parse()
            .ok()
    }
}

impl Store {
    /// The current state of each of `messages` that was changed, by (conversation, seq):
    /// one Query per conversation over the `x#` range of its messages in the list.
    pub async fn states(
        &self,
        messages: &[Message],
    ) -> Result<HashMap<(ConversationId, u64), MessageState>, Error> {
        let mut ranges: BTreeMap<&ConversationId, (u64, u64)> = BTreeMap::new();
        for message in messages.iter().filter(|m| m.is_original()) {
            let range = ranges
                .entry(&message.conversation)
                .or_insert((message.seq, message.seq));
            range.0 = range.0.min(message.seq);
            range.1 = range.1.max(message.seq);
        }
        let found: Vec<Vec<((ConversationId, u64), MessageState)>> = stream::iter(ranges)
            .map(|(conversation, (low, high))| self.states_between(conversation, low, high))
            .buffer_unordered(MAX_CONCURRENT_QUERIES)
            .try_collect()
            .await?;
        Ok(found.into_iter().flatten().collect())
    }

    async fn states_between(
        &self,
        conversation: &ConversationId,
        low: u64,
        high: u64,
    ) -> Result<Vec<((ConversationId, u64), MessageState)>, Error> {
        let mut states = Vec::new();
        let mut start = None;
        loop {
            let output = self
                .db
                .query()
                .table_name(&self.messages_table)
                .key_condition_expression("userId = :conversation AND sk BETWEEN :low AND :high")
                .expression_attribute_values(
                    ":conversation",
                    AttributeValue::S(conversation.to_string()),
                )
                .expression_attribute_values(":low", AttributeValue::S(state_key(low)))
                .expression_attribute_values(":high", AttributeValue::S(state_key(high)))
                // The states are at least as new as the page's entries.
                .consistent_read(true)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(Error::aws)?;
            states.extend(output.items().iter().filter_map(|item| {
                let target = StateRecord::target_of(item)?;
                let record = StateRecord::from_item(item)?;
                Some(((conversation.clone(), target), record.state))
            }));
            start = output.last_evaluated_key().cloned();
            if start.is_none() {
                return Ok(states);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use parley_protocol::changes::Edited;

    #[test]
    fn state_items_round_trip_beside_the_log() {
        let record = StateRecord {
            state: MessageState {
                version: 12,
                edited: Some(Edited {
                    seq: 12,
                    ts: 5,
                    body: "new".into(),
                    encrypted: None,
                }),
                ..MessageState::default()
            },
            edits: vec![(12, 5)],
            attachment: Some("c/g/k/f.txt".into()),
        };
        let conversation = ConversationId::direct("a", "b");
        let item = record.to_item(&conversation, 7, 99);
        assert_eq!(item["userId"].as_s().unwrap(), conversation.as_str());
        assert_eq!(item["sk"].as_s().unwrap(), "x#000000000007");
        assert_eq!(item["version"].as_n().unwrap(), "12");
        assert_eq!(StateRecord::from_item(&item).unwrap(), record);
        assert_eq!(StateRecord::target_of(&item), Some(7));
        // Outside a user's positions and after the log's keys.
        assert!(state_key(1).as_str() > "s#999999999999");
        assert!(!state_key(1).starts_with("p#"));
    }
}
