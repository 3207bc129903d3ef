//! File reservations: `uploadUrl` records, in the uploader's partition (`sk` = `f#<key>`),
//! which conversation a server-made key belongs to and what was declared for it, so that a
//! `send` may attach only a key its sender reserved for that same conversation. They expire
//! with the messages (and the bucket's objects) after 30 days.

use aws_sdk_dynamodb::types::AttributeValue;

use super::Store;
use crate::clock::now_ms;
use crate::message::RETENTION_SECS;
use crate::Error;
use parley_protocol::Attachment;

const PREFIX: &str = "f#";

/// The sort key of the reservation of `key`.
pub(crate) fn key_of(key: &str) -> String {
    format!("{PREFIX}{key}")
}

/// What `uploadUrl` reserved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reservation {
    pub conversation: String,
    pub file: Attachment,
}

impl Store {
    /// Records that `user` reserved `reservation.file.key`.
    pub async fn reserve(&self, user: &str, reservation: &Reservation) -> Result<(), Error> {
        let file = &reservation.file;
        self.db
            .put_item()
            .table_name(&self.messages_table)
            .item("userId", AttributeValue::S(user.to_owned()))
            .item("sk", AttributeValue::S(key_of(&file.key)))
            .item(
                "conversation",
                AttributeValue::S(reservation.conversation.clone()),
            )
            .item("name", AttributeValue::S(file.name.clone()))
            .item("contentType", AttributeValue::S(file.content_type.clone()))
            .item("size", AttributeValue::N(file.size.to_string()))
            .item(
                "ttl",
                AttributeValue::N((now_ms() / 1000 + RETENTION_SECS).to_string()),
            )
            .send()
            .await
            .map_err(Error::aws)?;
        Ok(())
    }

    /// What `user` reserved under `key`, if they did.
    pub async fn reservation(&self, user: &str, key: &str) -> Result<Option<Reservation>, Error> {
        let output = self
            .db
            .get_item()
            .table_name(&self.messages_table)
            .key("userId", AttributeValue::S(user.to_owned()))
            .key("sk", AttributeValue::S(key_of(key)))
            .consistent_read(true)
            .send()
            .await
            .map_err(Error::aws)?;
        let Some(item) = output.item() else {
            return Ok(None);
        };
        let s = |k: &str| item.get(k).and_then(|v| v.as_s().ok()).cloned();
        let size = item
            .get("size")
            .and_then(|v| v.as_n().ok())
            .and_then(|n| n.parse().ok());
        Ok(
            match (s("conversation"), s("name"), s("contentType"), size) {
                (Some(conversation), Some(name), Some(content_type), Some(size)) => {
                    Some(Reservation {
                        conversation,
                        file: Attachment {
                            key: key.to_owned(),
                            name,
                            content_type,
                            size,
                        },
                    })
                }
                _ => None,
            },
        )
    }
}
