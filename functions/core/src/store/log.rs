//! A conversation's own log: one item per message in the conversation's partition of the
//! messages table (`userId` = the conversation id, `sk` = `s#<seq, 12 digits>`), written in
//! the transaction that allocates the seq. For a group it is the durable copy `sent`
//! promises; the members' mailbox copies are written from it ([`super::fanout`]) and can be
//! rewritten from it. Keyed by seq, a range of it names the senders an `ack` covers, and
//! the entry a change to a message names (its `target`) is read from it, in direct chats
//! too (issue 16: before it, a direct chat had no log, and its older messages cannot be
//! changed or quoted).
//!
//! The partition is a conversation id (`g:…`, `d:…`), which no user id can equal (user ids
//! have no `:`), and no sync ever reads it.

use aws_sdk_dynamodb::types::AttributeValue;
use std::collections::{BTreeSet, HashMap};

use super::Store;
use crate::message::Message;
use crate::Error;
use parley_protocol::ConversationId;

const PREFIX: &str = "s#";
/// Pages of the log an `ack` reads to find senders (each up to 1 MB): an ack covering more
/// than that sends receipts to the senders of the newest pages only.
const MAX_RECEIPT_PAGES: usize = 4;

pub(crate) fn log_key(seq: u64) -> String {
    format!("{PREFIX}{seq:012}")
}

/// The log item of a message.
pub(crate) fn log_item(message: &Message) -> HashMap<String, AttributeValue> {
    let mut item = message.to_item(message.conversation.as_str());
    item.insert("sk".into(), AttributeValue::S(log_key(message.seq)));
    item
}

impl Store {
    /// The group message at `seq`, from the log.
    pub async fn logged(
        &self,
        conversation: &ConversationId,
        seq: u64,
    ) -> Result<Option<Message>, Error> {
        let output = self
            .db
            .get_item()
            .table_name(&self.messages_table)
            .key("userId", AttributeValue::S(conversation.to_string()))
            .key("sk", AttributeValue::S(log_key(seq)))
            .consistent_read(true)
            .send()
            .await
            .map_err(Error::aws)?;
        Ok(output.item().and_then(Message::from_item))
    }

    /// Who sent the group messages with seq in `after + 1 ..= up_to` (membership changes
    /// and changes to messages are nobody's message: they get no receipts).
    pub async fn senders_between(
        &self,
        conversation: &ConversationId,
        after: u64,
        up_to: u64,
    ) -> Result<BTreeSet<String>, Error> {
        let mut senders = BTreeSet::new();
        if up_to <= after {
            return Ok(senders);
        }
        let mut start = None;
        for _ in 0..MAX_RECEIPT_PAGES {
            let output = self
                .db
                .query()
                .table_name(&self.messages_table)
                .key_condition_expression("userId = :log AND sk BETWEEN :low AND :high")
                .expression_attribute_values(":log", AttributeValue::S(conversation.to_string()))
                .expression_attribute_values(":low", AttributeValue::S(log_key(after + 1)))
                .expression_attribute_values(":high", AttributeValue::S(log_key(up_to)))
                .projection_expression("#from, #system, #kind")
                .expression_attribute_names("#from", "from")
                .expression_attribute_names("#system", "system")
                .expression_attribute_names("#kind", "kind")
                // Newest first: a huge range reaches the most recent senders.
                .scan_index_forward(false)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(Error::aws)?;
            senders.extend(
                output
                    .items()
                    .iter()
                    .filter(|item| !item.contains_key("system") && !item.contains_key("kind"))
                    .filter_map(|item| item.get("from")?.as_s().ok().cloned()),
            );
            start = output.last_evaluated_key().cloned();
            if start.is_none() {
                break;
            }
        }
        Ok(senders)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_items_are_keyed_by_seq_in_the_group_partition() {
        let message = Message {
            conversation: parley_protocol::ConversationId::parse(
                "g:0123456789abcdef0123456789abcdef",
            )
            .unwrap(),
            seq: 42,
            message_id: "m".into(),
            client_id: "c".into(),
            from: "a".into(),
            ts: 1_700_000_000_000,
            body: Some("hi".into()),
            attachment: None,
            system: None,
            kind: None,
            target: None,
            reply_to: None,
            mentions: Vec::new(),
            forwarded: false,
            wakes: None,
            encrypted: None,
            seconds: None,
            lifetime: None,
        };
        let item = log_item(&message);
        assert_eq!(
            item["userId"].as_s().unwrap(),
            message.conversation.as_str()
        );
        assert_eq!(item["sk"].as_s().unwrap(), "s#000000000042");
        assert!(log_key(9) < log_key(10));
        assert_eq!(Message::from_item(&item).unwrap(), message);
    }
}
