//! Reading a user's mailbox in position order (the pages of a sync), and marking a copy for
//! push after the fact.

use aws_sdk_dynamodb::types::AttributeValue;

use super::Store;
use crate::clock::now_ms;
use crate::cursor::{Cursor, END};
use crate::message::{expired, Message, OFFLINE};
use crate::Error;

use parley_protocol::limits::MAX_PAGE;

/// One page of a sync.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    pub messages: Vec<Message>,
    /// Where the next sync starts.
    pub cursor: Cursor,
    /// Whether more messages may follow right away.
    pub more: bool,
}

impl Store {
    /// The messages of `user` after `after`, oldest first, at most `limit`.
    pub async fn mailbox_page(
        &self,
        user: &str,
        after: &Cursor,
        limit: u32,
    ) -> Result<Page, Error> {
        let output = self
            .db
            .query()
            .table_name(&self.messages_table)
            .key_condition_expression("userId = :user AND sk BETWEEN :after AND :end")
            .expression_attribute_values(":user", AttributeValue::S(user.to_owned()))
            .expression_attribute_values(":after", AttributeValue::S(after.position().to_owned()))
            .expression_attribute_values(":end", AttributeValue::S(END.to_owned()))
            .consistent_read(true)
            // One more than asked: BETWEEN includes the cursor's own position.
            .limit(limit.clamp(1, MAX_PAGE) as i32 + 1)
            .send()
            .await
            .map_err(Error::aws)?;
        let now = now_ms();
        // What the page scanned, the expired too: the cursor and `more` move past them.
        let mut scanned: Vec<_> = output
            .items()
            .iter()
            .filter(|item| {
                item.get("sk")
                    .and_then(|v| v.as_s().ok())
                    .map(String::as_str)
                    != Some(after.position())
            })
            .filter_map(|item| Some((Message::from_item(item)?, expired(item, now))))
            .collect();
        let limit = limit.clamp(1, MAX_PAGE) as usize;
        let more = scanned.len() > limit
            || (output.last_evaluated_key().is_some() && scanned.len() == limit);
        scanned.truncate(limit);
        let cursor = match scanned.last() {
            // Mid-sync pages move exactly, so every page makes progress.
            Some((last, _)) if more => Cursor::at(&last.position()),
            // The last page's cursor stays behind writes that may still commit.
            Some((last, _)) => Cursor::settled(&last.position(), now),
            None => Cursor::settled(after.position(), now),
        };
        // An expired copy (a disappearing message past its time) is gone for the reader,
        // whether or not DynamoDB's TTL deleted it yet.
        let messages = scanned
            .into_iter()
            .filter(|(_, expired)| !expired)
            .map(|(message, _)| message)
            .collect();
        Ok(Page {
            messages,
            cursor,
            more,
        })
    }

    /// Marks `message`'s copies of `users` offline ([`OFFLINE`]): their devices all turned
    /// out gone when it was posted, so the push function is to wake them after all (the
    /// stream's MODIFY passes its filter). A copy that is not there is left alone.
    pub async fn mark_offline(&self, message: &Message, users: &[String]) -> Result<(), Error> {
        for user in users {
            let result = self
                .db
                .update_item()
                .table_name(&self.messages_table)
                .key("userId", AttributeValue::S(user.clone()))
                .key("sk", AttributeValue::S(message.position()))
                .update_expression("SET #offline = :offline")
                .condition_expression("attribute_exists(userId) AND attribute_not_exists(#offline)")
                .expression_attribute_names("#offline", OFFLINE)
                .expression_attribute_values(":offline", AttributeValue::Bool(true))
                .send()
                .await;
            if let Err(error) = result {
                let lost_condition = error
                    .as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception());
                if !lost_condition {
                    return Err(Error::aws(error));
                }
            }
        }
        Ok(())
    }
}
