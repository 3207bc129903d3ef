//! Writing a group message's copies into its members' mailboxes, after the transaction that
//! stored it in the conversation's log ([`super::log`]) has committed.
//!
//! A copy is a Put by key (the member's id, the message's position), so writing it twice
//! stores it once: a retried send that finishes an interrupted fan-out simply writes every
//! copy again. BatchWriteItem
//! takes 25 items at a time; a few batches are in flight at once, and what DynamoDB leaves
//! unprocessed (throttling) is written again after a pause.

use aws_sdk_dynamodb::types::{AttributeValue, PutRequest, WriteRequest};
use futures_util::stream::{self, StreamExt, TryStreamExt};
use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use super::Store;
use crate::message::Message;
use crate::Error;

type Item = HashMap<String, AttributeValue>;

/// DynamoDB's limit on the items of one BatchWriteItem.
const BATCH_ITEMS: usize = 25;
/// Batches in flight at once for one message (1024 members: 41 batches, about 6 rounds).
const MAX_CONCURRENT_BATCHES: usize = 8;
/// How often one batch's unprocessed items are written again before the fan-out fails.
const MAX_ATTEMPTS: u32 = 10;

impl Store {
    /// Writes `message` into the mailbox of each of `members`; `reachable` as in
    /// [`Message::copy_item`].
    pub async fn write_copies(
        &self,
        message: &Message,
        members: &[String],
        reachable: &BTreeSet<String>,
    ) -> Result<(), Error> {
        let items: Vec<Item> = members
            .iter()
            .map(|m| message.copy_item(m, reachable))
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
        let batches: Vec<Vec<WriteRequest>> = items
            .chunks(BATCH_ITEMS)
            .map(|chunk| {
                chunk
                    .iter()
                    .map(|item| {
                        let put = PutRequest::builder()
                            .set_item(Some(item.clone()))
                            .build()
                            .map_err(Error::internal)?;
                        Ok(WriteRequest::builder().put_request(put).build())
                    })
                    .collect::<Result<Vec<_>, Error>>()
            })
            .collect::<Result<_, _>>()?;
        stream::iter(batches)
            .map(|batch| self.write_batch(batch))
            .buffer_unordered(MAX_CONCURRENT_BATCHES)
            .try_collect::<Vec<()>>()
            .await?;
        Ok(())
    }

    async fn write_batch(&self, mut batch: Vec<WriteRequest>) -> Result<(), Error> {
        for attempt in 0..MAX_ATTEMPTS {
            let output = self
                .db
                .batch_write_item()
                .request_items(&self.messages_table, batch)
                .send()
                .await
                .map_err(Error::aws)?;
            batch = output
                .unprocessed_items()
                .and_then(|items| items.get(&self.messages_table))
                .cloned()
                .unwrap_or_default();
            if batch.is_empty() {
                return Ok(());
            }
            tracing::debug!(
                attempt,
                left = batch.len(),
                "copies left unprocessed, retrying"
            );
            tokio::time::sleep(Duration::from_millis(20 << attempt.min(5))).await;
        }
        Err(Error::internal(
            "BatchWriteItem kept leaving copies unprocessed",
        ))
    }
}
