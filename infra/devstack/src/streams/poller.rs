//! Reading one shard as Lambda's event source mapping does, and handing batches to the
//! function:
//!
//! - a batch is up to `BatchSize` records, gathered for at most the batching window;
//! - with `ReportBatchItemFailures`, the response's `batchItemFailures` checkpoint the
//!   batch: what comes before the lowest failed sequence number is done, the rest is
//!   retried (an unknown or empty identifier fails the whole batch, as in Lambda);
//! - a function error retries the whole batch, halved first when `BisectBatchOnFunctionError`
//!   is on (each half with its own count), so that a poison record ends up alone;
//! - after `MaximumRetryAttempts` retries, or once a record is older than
//!   `MaximumRecordAgeInSeconds`, what is left goes to the on-failure destination (here: the
//!   log, with the JSON Lambda would send) and the shard moves on.
//!
//! Records of a shard are handed over in order, one batch at a time; records the mapping's
//! filters do not admit are skipped before batching, as Lambda does.

use std::collections::VecDeque;
use std::time::{Duration, SystemTime};

use aws_sdk_dynamodbstreams::error::DisplayErrorContext;
use aws_sdk_dynamodbstreams::types::{Record, ShardIteratorType};
use serde_json::{json, Value as Json};

use super::event::{batch_event, lambda_record, sequence_number};
use super::filter::admits;
use super::mapping::{StartingPosition, StreamMapping};
use crate::lambda::{Functions, Invoke};

/// How often an idle shard is read (Lambda reads each shard about four times a second).
const POLL_INTERVAL: Duration = Duration::from_millis(250);
/// The pause before a retry.
const RETRY_PAUSE: Duration = Duration::from_millis(250);

/// What became of one invocation.
enum Delivered {
    /// Every record is done.
    All,
    /// These records, from the first failed one on, are to be retried.
    Retry(Vec<Record>),
    /// The function failed: everything is to be retried (bisected, when configured).
    Failed,
}

pub(super) struct ShardPoller {
    pub mapping: StreamMapping,
    pub shard_id: String,
    pub client: aws_sdk_dynamodbstreams::Client,
    pub functions: Functions,
}

impl ShardPoller {
    /// Reads the shard until the task is aborted.
    pub async fn run(self) {
        let mut iterator = loop {
            match self.iterator().await {
                Ok(iterator) => break iterator,
                Err(error) => {
                    tracing::warn!(mapping = %self.mapping.name, %error, "cannot read the stream yet");
                    tokio::time::sleep(POLL_INTERVAL * 4).await;
                }
            }
        };
        let mut pending: VecDeque<Record> = VecDeque::new();
        loop {
            match self.fetch(&iterator).await {
                Ok((records, next)) => {
                    pending.extend(self.admitted(records));
                    match next {
                        Some(next) => iterator = next,
                        None => {
                            tracing::info!(mapping = %self.mapping.name, shard = %self.shard_id, "shard closed");
                            return;
                        }
                    }
                }
                Err(error) => {
                    tracing::warn!(mapping = %self.mapping.name, %error, "GetRecords failed");
                    tokio::time::sleep(POLL_INTERVAL).await;
                    continue;
                }
            }
            if pending.is_empty() {
                tokio::time::sleep(POLL_INTERVAL).await;
                continue;
            }
            // The batching window: wait for more records until the batch is full or the
            // window since the first record has passed.
            let window_ends = tokio::time::Instant::now() + self.mapping.batching_window;
            while pending.len() < self.mapping.batch_size
                && tokio::time::Instant::now() < window_ends
            {
                tokio::time::sleep(POLL_INTERVAL.min(window_ends - tokio::time::Instant::now()))
                    .await;
                if let Ok((records, Some(next))) = self.fetch(&iterator).await {
                    pending.extend(self.admitted(records));
                    iterator = next;
                }
            }
            let take = pending.len().min(self.mapping.batch_size);
            let batch: Vec<Record> = pending.drain(..take).collect();
            self.deliver(batch).await;
        }
    }

    /// The records the mapping's filters let through; the others are skipped, as done.
    fn admitted(&self, records: Vec<Record>) -> Vec<Record> {
        let read = records.len() as u64;
        let admitted: Vec<Record> = records
            .into_iter()
            .filter(|record| {
                admits(
                    &self.mapping.filters,
                    &lambda_record(record, &self.mapping.stream_arn),
                )
            })
            .collect();
        super::counts::record(&self.mapping.name, read, admitted.len() as u64);
        admitted
    }

    async fn iterator(&self) -> Result<String, String> {
        let kind = match self.mapping.starting_position {
            StartingPosition::Latest => ShardIteratorType::Latest,
            StartingPosition::TrimHorizon => ShardIteratorType::TrimHorizon,
        };
        self.client
            .get_shard_iterator()
            .stream_arn(&self.mapping.stream_arn)
            .shard_id(&self.shard_id)
            .shard_iterator_type(kind)
            .send()
            .await
            .map_err(|e| DisplayErrorContext(&e).to_string())?
            .shard_iterator
            .ok_or_else(|| "GetShardIterator returned no iterator".to_owned())
    }

    async fn fetch(&self, iterator: &str) -> Result<(Vec<Record>, Option<String>), String> {
        let output = self
            .client
            .get_records()
            .shard_iterator(iterator)
            .limit(self.mapping.batch_size.min(1000) as i32)
            .send()
            .await
            .map_err(|e| DisplayErrorContext(&e).to_string())?;
        Ok((
            output.records.unwrap_or_default(),
            output.next_shard_iterator,
        ))
    }

    /// Hands `batch` to the function until every record is done or given up on.
    async fn deliver(&self, batch: Vec<Record>) {
        let mut queue: VecDeque<(Vec<Record>, u32)> = VecDeque::from([(batch, 0)]);
        while let Some((records, retries)) = queue.pop_front() {
            let (left, bisect) = match self.invoke(&records, retries).await {
                Delivered::All => continue,
                Delivered::Retry(left) => (left, false),
                Delivered::Failed => (records, self.mapping.bisect_on_error),
            };
            let too_old = self.mapping.max_record_age.is_some_and(|age| {
                left.iter()
                    .any(|record| record_age(record).is_some_and(|a| a > age))
            });
            if too_old || self.mapping.max_retries.is_some_and(|max| retries >= max) {
                let condition = if too_old {
                    "RecordAgeExceeded"
                } else {
                    "RetryAttemptsExhausted"
                };
                self.on_failure(&left, condition, retries + 1);
                continue;
            }
            tokio::time::sleep(RETRY_PAUSE).await;
            if bisect && left.len() > 1 {
                let mut first = left;
                let second = first.split_off(first.len() / 2);
                queue.push_front((second, 0));
                queue.push_front((first, retries + 1));
            } else {
                queue.push_front((left, retries + 1));
            }
        }
    }

    async fn invoke(&self, records: &[Record], retries: u32) -> Delivered {
        let event = batch_event(records, &self.mapping.stream_arn);
        if retries > 0 {
            tracing::info!(
                mapping = %self.mapping.name,
                records = records.len(),
                first = sequence_number(&records[0]),
                retry = retries,
                "retrying stream records"
            );
        }
        let response = match self.functions.invoke(&self.mapping.function, event).await {
            Ok(response) => response,
            Err(error) => {
                tracing::warn!(mapping = %self.mapping.name, records = records.len(), %error, "stream batch failed");
                return Delivered::Failed;
            }
        };
        if !self.mapping.report_item_failures {
            return Delivered::All;
        }
        match first_failure(records, &response) {
            Ok(None) => Delivered::All,
            Ok(Some(index)) => {
                tracing::info!(
                    mapping = %self.mapping.name,
                    failed = sequence_number(&records[index]),
                    retried = records.len() - index,
                    "stream records reported failed"
                );
                Delivered::Retry(records[index..].to_vec())
            }
            Err(why) => {
                tracing::warn!(mapping = %self.mapping.name, why, "unusable batch response: the whole batch is retried");
                Delivered::Failed
            }
        }
    }

    /// What Lambda would send to the on-failure destination: the batch's place in the
    /// shard, not the records (those stay in the stream for 24 hours).
    fn on_failure(&self, records: &[Record], condition: &str, invocations: u32) {
        let first = records.first().map(sequence_number).unwrap_or_default();
        let last = records.last().map(sequence_number).unwrap_or_default();
        let description = json!({
            "requestContext": {
                "functionArn": self.mapping.function,
                "condition": condition,
                "approximateInvokeCount": invocations,
            },
            "version": "1.0",
            "DDBStreamBatchInfo": {
                "shardId": self.shard_id,
                "startSequenceNumber": first,
                "endSequenceNumber": last,
                "batchSize": records.len(),
                "streamArn": self.mapping.stream_arn,
            }
        });
        tracing::warn!(
            mapping = %self.mapping.name,
            destination = self.mapping.on_failure.as_deref().unwrap_or("(none: discarded)"),
            records = records.len(),
            first,
            last,
            %description,
            "stream records sent to the on-failure destination"
        );
    }
}

/// The index of the lowest failed record the response names, `None` if none failed.
fn first_failure(records: &[Record], response: &Json) -> Result<Option<usize>, String> {
    let failures = match response.get("batchItemFailures") {
        None | Some(Json::Null) => return Ok(None),
        Some(Json::Array(failures)) => failures,
        Some(other) => return Err(format!("batchItemFailures is not a list: {other}")),
    };
    let mut lowest: Option<usize> = None;
    for failure in failures {
        let identifier = failure
            .get("itemIdentifier")
            .and_then(Json::as_str)
            .filter(|id| !id.is_empty())
            .ok_or_else(|| format!("a failure without an itemIdentifier: {failure}"))?;
        let index = records
            .iter()
            .position(|record| sequence_number(record) == identifier)
            .ok_or_else(|| format!("itemIdentifier {identifier} is not in the batch"))?;
        lowest = Some(lowest.map_or(index, |l| l.min(index)));
    }
    Ok(lowest)
}

fn record_age(record: &Record) -> Option<Duration> {
    let created = record.dynamodb()?.approximate_creation_date_time()?;
    let created = SystemTime::UNIX_EPOCH + Duration::from_secs(created.secs().max(0) as u64);
    SystemTime::now().duration_since(created).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_dynamodbstreams::types::StreamRecord;

    fn records(numbers: &[&str]) -> Vec<Record> {
        numbers
            .iter()
            .map(|n| {
                Record::builder()
                    .dynamodb(StreamRecord::builder().sequence_number(*n).build())
                    .build()
            })
            .collect()
    }

    #[test]
    fn the_lowest_reported_failure_is_the_checkpoint() {
        let batch = records(&["10", "11", "12", "13"]);
        let response =
            json!({"batchItemFailures": [{"itemIdentifier": "13"}, {"itemIdentifier": "11"}]});
        assert_eq!(first_failure(&batch, &response), Ok(Some(1)));
        assert_eq!(
            first_failure(&batch, &json!({"batchItemFailures": []})),
            Ok(None)
        );
        assert_eq!(first_failure(&batch, &json!(null)), Ok(None));
    }

    #[test]
    fn an_unusable_response_fails_the_batch() {
        let batch = records(&["10", "11"]);
        for response in [
            json!({"batchItemFailures": [{"itemIdentifier": "99"}]}),
            json!({"batchItemFailures": [{"itemIdentifier": ""}]}),
            json!({"batchItemFailures": [{}]}),
            json!({"batchItemFailures": "11"}),
        ] {
            assert!(first_failure(&batch, &response).is_err(), "{response}");
        }
    }
}
