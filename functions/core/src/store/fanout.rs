//! Writing a group message's copies into its members' mailboxes, after the transaction that
//! stored it in the conversation's log ([`super::log`]) has committed.
//!
//! A copy is a Put by key (the member's id, the message's position), so writing it twice
//! stores it once: a retried send that finishes an interrupted fan-out simply writes every
//! copy again ([`crate::batch`]: 25 a request, unprocessed items written again).

use aws_sdk_dynamodb::types::AttributeValue;
use std::collections::{BTreeSet, HashMap};

use super::Store;
use crate::batch::{self, Item};
use crate::message::Message;
use crate::Error;

impl Store {
    /// Writes `message` into the mailbox of each of `members`; `reachable` as in
    /// [`Message::copy_item`]; `hidden` (who blocks the sender) get a placeholder
    /// ([`Message::skip_item`]).
    pub async fn write_copies(
        &self,
        message: &Message,
        members: &[String],
        reachable: &BTreeSet<String>,
        hidden: &BTreeSet<String>,
    ) -> Result<(), Error> {
        let items: Vec<Item> = members
            .iter()
            .map(|m| {
                if hidden.contains(m) {
                    message.skip_item(m)
                } else {
                    message.copy_item(m, reachable)
                }
            })
            .collect();
        self.write_items(items).await
    }

    /// Starts the acknowledgement marks of members who join with `message` just below it, so
    /// that their first `ack` covers (and sends receipts for) only what they could have seen.
    /// Their marks of an earlier membership are lower still: marks stay monotone.
    pub async fn write_join_marks(
        &self,
        message: &Message,
        joined: &[String],
    ) -> Result<(), Error> {
        let below = AttributeValue::N((message.seq - 1).to_string());
        let items: Vec<Item> = joined
            .iter()
            .map(|member| {
                HashMap::from([
                    ("userId".to_owned(), AttributeValue::S(member.clone())),
                    (
                        "sk".to_owned(),
                        AttributeValue::S(format!("ack#{}", message.conversation)),
                    ),
                    ("delivered".to_owned(), below.clone()),
                    ("read".to_owned(), below.clone()),
                    (
                        "ttl".to_owned(),
                        AttributeValue::N(message.expires_at().to_string()),
                    ),
                ])
            })
            .collect();
        self.write_items(items).await
    }

    async fn write_items(&self, items: Vec<Item>) -> Result<(), Error> {
        let writes = items
            .into_iter()
            .map(batch::put)
            .collect::<Result<_, _>>()?;
        batch::write_all(&self.db, &self.messages_table, writes).await
    }
}
