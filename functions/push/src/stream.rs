//! The messages table's stream: which records are new message copies in a user's mailbox,
//! and the batch response that names the records to retry.
//!
//! Only `p#` items in a user's partition marked offline notify: the messages function marks
//! the copy of a member who had no live device when the message was stored
//! ([`parley_core::message::OFFLINE`]; an INSERT), or whose devices all turned out gone when
//! it was posted (a MODIFY), and the event source mapping's filter (template) invokes this
//! function for those alone. Copies that reached a device, the sender's own, send records
//! (`id#`), acks (`ack#`), conversation logs (partitions `d:…`/`g:…`, which no user id can
//! be), other updates and TTL deletions do not notify. A copy that cannot be read is
//! reported failed: retried, then sent to the on-failure destination where someone can look
//! at it, never silently dropped.
//!
//! A copy in a conversation its owner muted is not pushed (one GetItem of the owner's
//! `chat#<conversation>`, only here, on the path that pays an SNS publish anyway), unless
//! the copy mentions them: a copy carrying `mention: true` ([`MENTION`]) skips the check.

use aws_lambda_events::event::dynamodb::{Event, EventRecord};
use aws_lambda_events::event::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use aws_sdk_dynamodb::types::AttributeValue;
use futures_util::stream::{self, StreamExt};
use parley_core::clock::now_ms;
use parley_core::message::{Message, OFFLINE};
use parley_protocol::is_valid_user_id;
use parley_protocol::server::is_muted;
use std::collections::HashMap;

use crate::notify::{notify, Outcome};
use crate::payload::Notice;
use crate::services::Services;

/// Records handled at once.
const MAX_CONCURRENT_RECORDS: usize = 16;
/// The sort-key prefix of message copies ([`parley_core::cursor`]).
const COPY_PREFIX: &str = "p#";
/// The copy's flag saying the message mentions its owner: pushed through a mute. The send
/// path sets it on a mentioned member's copy (`mentions` on `send`); a copy without it is
/// an unmentioned one.
pub const MENTION: &str = "mention";

/// What a stream record means for push.
#[derive(Debug, Clone, PartialEq)]
pub enum Relevance {
    /// A new message copy in `owner`'s mailbox; `mentioned`: it mentions them.
    Copy {
        owner: String,
        notice: Notice,
        mentioned: bool,
    },
    /// Nothing to notify.
    Ignored,
    /// A message copy this code cannot read.
    Unreadable(String),
}

pub fn classify(record: &EventRecord) -> Relevance {
    // MODIFY: a copy marked offline after the fact (the member's devices were all gone).
    // Checked here only: a DynamoDB mapping's filter cannot name `eventName` (it filters
    // under the `dynamodb` key alone). Today's filter on NewImage lets no REMOVE through (a
    // NEW_IMAGE stream's REMOVE has none), but a filter on the keys would.
    if record.event_name != "INSERT" && record.event_name != "MODIFY" {
        return Relevance::Ignored;
    }
    let item: HashMap<String, AttributeValue> = record.change.new_image.clone().into();
    let text = |name: &str| item.get(name).and_then(|v| v.as_s().ok());
    let (Some(owner), Some(sk)) = (text("userId"), text("sk")) else {
        return Relevance::Unreadable("no userId or sk in the new image".into());
    };
    if !sk.starts_with(COPY_PREFIX) || !is_valid_user_id(owner) {
        return Relevance::Ignored;
    }
    // Checked here too: the filter is the template's, and a stack without it stays correct.
    if item.get(OFFLINE).and_then(|v| v.as_bool().ok()) != Some(&true) {
        return Relevance::Ignored;
    }
    match Message::from_item(&item) {
        Some(message) => Relevance::Copy {
            owner: owner.clone(),
            notice: Notice::of(&message),
            mentioned: item.get(MENTION).and_then(|v| v.as_bool().ok()) == Some(&true),
        },
        None => Relevance::Unreadable(format!("message copy {sk} of {owner} is malformed")),
    }
}

/// Handles a batch; every record that may still owe a notification is named in the
/// response, so only those are retried.
pub async fn handle(services: &Services, event: Event) -> DynamoDbEventResponse {
    if services.sns.is_off() {
        return DynamoDbEventResponse::default();
    }
    let outcomes: Vec<Option<String>> = stream::iter(&event.records)
        .map(|record| handle_record(services, record))
        .buffer_unordered(MAX_CONCURRENT_RECORDS)
        .collect()
        .await;
    report(outcomes.into_iter().flatten())
}

/// The response naming `failed` sequence numbers (Lambda retries from the lowest).
pub fn report(failed: impl IntoIterator<Item = String>) -> DynamoDbEventResponse {
    let mut response = DynamoDbEventResponse::default();
    response.batch_item_failures = failed
        .into_iter()
        .map(|sequence_number| {
            let mut failure = DynamoDbBatchItemFailure::default();
            failure.item_identifier = Some(sequence_number);
            failure
        })
        .collect();
    response
}

/// The record's sequence number if it failed.
async fn handle_record(services: &Services, record: &EventRecord) -> Option<String> {
    let sequence_number = record.change.sequence_number.clone().unwrap_or_default();
    let failed = match classify(record) {
        Relevance::Ignored => false,
        Relevance::Unreadable(why) => {
            tracing::error!(event_id = %record.event_id, %sequence_number, why, "unreadable stream record");
            true
        }
        Relevance::Copy {
            owner,
            notice,
            mentioned,
        } => match muted(services, &owner, &notice, mentioned).await {
            Ok(true) => {
                tracing::debug!(message = %notice.message_id, owner, "muted: not pushed");
                false
            }
            Err(error) => {
                tracing::warn!(%error, message = %notice.message_id, owner, "could not read the mute; the record will be retried");
                true
            }
            Ok(false) => match notify(&services.devices, &services.sns, &owner, &notice).await {
                Ok(Outcome::NotNeeded) => false,
                Ok(Outcome::Done { published }) => {
                    if published > 0 {
                        tracing::info!(message = %notice.message_id, owner, published, "notified");
                    }
                    false
                }
                Err(error) => {
                    tracing::warn!(%error, message = %notice.message_id, owner, "notification failed; the record will be retried");
                    true
                }
            },
        },
    };
    failed.then_some(sequence_number)
}

/// Whether `owner` muted the conversation of `notice` (read only for a copy that does not
/// mention them, and not for the sender's own).
async fn muted(
    services: &Services,
    owner: &str,
    notice: &Notice,
    mentioned: bool,
) -> Result<bool, parley_core::Error> {
    if !skips_mute_check(owner, notice, mentioned) {
        let until = services
            .store
            .muted_until(owner, &notice.conversation)
            .await?;
        return Ok(is_muted(until, now_ms()));
    }
    Ok(false)
}

/// A mention goes through a mute; the sender's own copy is never pushed anyway.
fn skips_mute_check(owner: &str, notice: &Notice, mentioned: bool) -> bool {
    mentioned || owner == notice.from
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn record(event_name: &str, new_image: Value) -> EventRecord {
        serde_json::from_value(json!({
            "eventID": "e1",
            "eventName": event_name,
            "eventVersion": "1.1",
            "eventSource": "aws:dynamodb",
            "awsRegion": "us-east-1",
            "dynamodb": {
                "ApproximateCreationDateTime": 1700000000,
                "Keys": {"userId": new_image["userId"].clone(), "sk": new_image["sk"].clone()},
                "NewImage": new_image,
                "SequenceNumber": "100",
                "SizeBytes": 10,
                "StreamViewType": "NEW_IMAGE"
            },
            "eventSourceARN": "arn:aws:dynamodb:us-east-1:000000000000:table/m/stream/x"
        }))
        .unwrap()
    }

    fn copy(owner: &str) -> Value {
        json!({
            "userId": {"S": owner},
            "sk": {"S": "p#1700000000000#d:alice:bob#000000000007"},
            "conversation": {"S": "d:alice:bob"},
            "seq": {"N": "7"},
            "messageId": {"S": "m-7"},
            "clientId": {"S": "c-7"},
            "from": {"S": "alice"},
            "ts": {"N": "1700000000000"},
            "ttl": {"N": "1702592000"},
            "body": {"S": "secret text"},
            "offline": {"BOOL": true}
        })
    }

    #[test]
    fn a_new_copy_in_a_users_mailbox_notifies_its_owner() {
        assert_eq!(
            classify(&record("INSERT", copy("bob"))),
            Relevance::Copy {
                owner: "bob".into(),
                notice: Notice {
                    conversation: "d:alice:bob".into(),
                    from: "alice".into(),
                    message_id: "m-7".into(),
                    seq: 7,
                    reaction: false,
                },
                mentioned: false,
            }
        );
    }

    #[test]
    fn a_mention_goes_through_a_mute_without_reading_it() {
        let mut mentioning = copy("bob");
        mentioning[MENTION] = json!({"BOOL": true});
        let Relevance::Copy {
            owner,
            notice,
            mentioned,
        } = classify(&record("INSERT", mentioning))
        else {
            panic!("a copy")
        };
        assert!(mentioned);
        assert!(skips_mute_check(&owner, &notice, mentioned));
        // An unmentioned copy of someone else's message: the mute is read.
        assert!(!skips_mute_check(&owner, &notice, false));
    }

    #[test]
    fn everything_else_is_ignored() {
        assert!(
            matches!(
                classify(&record("MODIFY", copy("bob"))),
                Relevance::Copy { .. }
            ),
            "marked offline after the fact"
        );
        assert_eq!(classify(&record("REMOVE", copy("bob"))), Relevance::Ignored);
        let mut conversation_log = copy("g:team");
        conversation_log["userId"] = json!({"S": "g:team"});
        assert_eq!(
            classify(&record("INSERT", conversation_log)),
            Relevance::Ignored
        );
        let mut reached = copy("bob");
        reached.as_object_mut().unwrap().remove("offline");
        assert_eq!(
            classify(&record("INSERT", reached)),
            Relevance::Ignored,
            "a copy not marked offline reached a device"
        );
        for sk in ["id#c-7", "ack#d:alice:bob", "push#x"] {
            let mut other = copy("bob");
            other["sk"] = json!({"S": sk});
            assert_eq!(
                classify(&record("INSERT", other)),
                Relevance::Ignored,
                "{sk}"
            );
        }
    }

    #[test]
    fn failures_are_reported_by_sequence_number() {
        assert_eq!(
            serde_json::to_value(report(["100".to_owned(), "104".to_owned()])).unwrap(),
            json!({"batchItemFailures": [{"itemIdentifier": "100"}, {"itemIdentifier": "104"}]})
        );
        assert_eq!(
            serde_json::to_value(report(Vec::new())).unwrap(),
            json!({"batchItemFailures": []})
        );
    }

    #[test]
    fn a_malformed_copy_is_unreadable_not_ignored() {
        let mut broken = copy("bob");
        broken.as_object_mut().unwrap().remove("messageId");
        assert!(matches!(
            classify(&record("INSERT", broken)),
            Relevance::Unreadable(_)
        ));
    }
}
