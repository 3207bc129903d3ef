//! Acknowledgements: how far each user has received and read each conversation. Cumulative
//! and monotone: an ack below what is stored changes nothing and notifies no one.

use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};

use super::Store;
use crate::clock::now_ms;
use crate::message::RETENTION_SECS;
use crate::Error;
use parley_protocol::AckStatus;
use parley_protocol::ConversationId;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Acknowledged {
    /// The stored mark moved up to the new seq from `from` (0: none before): tell the
    /// senders of `from + 1 ..= seq`.
    Advanced { from: u64 },
    /// It was already there or beyond.
    Unchanged,
}

impl Store {
    /// Records that `user` has `status` everything up to `seq` in `conversation`.
    pub async fn acknowledge(
        &self,
        user: &str,
        conversation: &ConversationId,
        seq: u64,
        status: AckStatus,
    ) -> Result<Acknowledged, Error> {
        let result = self
            .db
            .update_item()
            .table_name(&self.messages_table)
            .key("userId", AttributeValue::S(user.to_owned()))
            .key("sk", AttributeValue::S(format!("ack#{conversation}")))
            .update_expression("SET #mark = :seq, #ttl = :ttl")
            .condition_expression("attribute_not_exists(#mark) OR #mark < :seq")
            .expression_attribute_names("#mark", status.as_str())
            .expression_attribute_names("#ttl", "ttl")
            .expression_attribute_values(":seq", AttributeValue::N(seq.to_string()))
            .expression_attribute_values(
                ":ttl",
                AttributeValue::N((now_ms() / 1000 + RETENTION_SECS).to_string()),
            )
            .return_values(ReturnValue::UpdatedOld)
            .send()
            .await;
        match result {
            Ok(output) => Ok(Acknowledged::Advanced {
                from: output
                    .attributes()
                    .and_then(|old| old.get(status.as_str()))
                    .and_then(|mark| mark.as_n().ok())
                    .and_then(|mark| mark.parse().ok())
                    .unwrap_or(0),
            }),
            Err(error) => match error.as_service_error() {
                Some(UpdateItemError::ConditionalCheckFailedException(_)) => {
                    Ok(Acknowledged::Unchanged)
                }
                _ => Err(Error::aws(error)),
            },
        }
    }
}
