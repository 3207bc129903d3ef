//! BatchWriteItem over any number of writes: 25 a request (DynamoDB's limit), a few requests
//! in flight at once, and what DynamoDB leaves unprocessed (throttling) written again after a
//! pause. Each write is a Put or Delete by key, so writing one twice changes nothing.

use aws_sdk_dynamodb::types::{AttributeValue, DeleteRequest, PutRequest, WriteRequest};
use futures_util::stream::{self, StreamExt, TryStreamExt};
use std::collections::HashMap;
use std::time::Duration;

use crate::Error;

pub type Item = HashMap<String, AttributeValue>;

/// DynamoDB's limit on the items of one BatchWriteItem.
const BATCH_ITEMS: usize = 25;
/// Batches in flight at once (1024 members: 41 batches, about 6 rounds).
const MAX_CONCURRENT_BATCHES: usize = 8;
/// How often one batch's unprocessed items are written again before the write fails.
const MAX_ATTEMPTS: u32 = 10;

/// A Put of `item`.
pub fn put(item: Item) -> Result<WriteRequest, Error> {
    let put = PutRequest::builder()
        .set_item(Some(item))
        .build()
        .map_err(Error::internal)?;
    Ok(WriteRequest::builder().put_request(put).build())
}

/// A Delete of the item with `key`.
pub fn delete(key: Item) -> Result<WriteRequest, Error> {
    let delete = DeleteRequest::builder()
        .set_key(Some(key))
        .build()
        .map_err(Error::internal)?;
    Ok(WriteRequest::builder().delete_request(delete).build())
}

/// Performs every write of `writes` in `table`.
pub async fn write_all(
    db: &aws_sdk_dynamodb::Client,
    table: &str,
    writes: Vec<WriteRequest>,
) -> Result<(), Error> {
    let batches: Vec<Vec<WriteRequest>> = writes.chunks(BATCH_ITEMS).map(<[_]>::to_vec).collect();
    stream::iter(batches)
        .map(|batch| write_batch(db, table, batch))
        .buffer_unordered(MAX_CONCURRENT_BATCHES)
        .try_collect::<Vec<()>>()
        .await?;
    Ok(())
}

async fn write_batch(
    db: &aws_sdk_dynamodb::Client,
    table: &str,
    mut batch: Vec<WriteRequest>,
) -> Result<(), Error> {
    for attempt in 0..MAX_ATTEMPTS {
        let output = db
            .batch_write_item()
            .request_items(table, batch)
            .send()
            .await
            .map_err(Error::aws)?;
        batch = output
            .unprocessed_items()
            .and_then(|items| items.get(table))
            .cloned()
            .unwrap_or_default();
        if batch.is_empty() {
            return Ok(());
        }
        tracing::debug!(
            attempt,
            left = batch.len(),
            "writes left unprocessed, retrying"
        );
        tokio::time::sleep(Duration::from_millis(20 << attempt.min(5))).await;
    }
    Err(Error::internal(
        "BatchWriteItem kept leaving writes unprocessed",
    ))
}
