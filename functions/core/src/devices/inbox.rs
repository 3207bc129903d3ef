//! Each device's inbox of to-device messages: written by `sendToDevice` into the recipient's
//! partition, read oldest first by `toDeviceSync`, deleted by `toDeviceAck`, and expired by
//! `ttl` after [`TO_DEVICE_RETENTION_SECS`] (readers skip an expired item DynamoDB has not
//! deleted yet). A sender's record of each frame makes its retries store nothing again.

use aws_sdk_dynamodb::types::AttributeValue;

use super::{string, Devices, Item};
use crate::batch;
use crate::Error;
use parley_protocol::limits::TO_DEVICE_RETENTION_SECS;
use parley_protocol::ToDeviceMessage;

/// How long a sender's record of a `sendToDevice` is kept: far past any retry.
const SENT_RECORD_SECS: i64 = 24 * 60 * 60;

fn inbox_prefix(device: &str) -> String {
    format!("td#{device}#")
}

fn sent_sk(device: &str, frame_id: &str) -> String {
    format!("td-id#{device}#{frame_id}")
}

/// A new inbox id: the time (so the inbox reads oldest first) and a random part, 30
/// characters of `[0-9a-f-]`, a valid frame id for `toDeviceAck`.
pub fn inbox_id(now_ms: i64) -> String {
    let random = uuid::Uuid::new_v4().simple().to_string();
    format!("{now_ms:013}-{}", &random[..16])
}

/// A message for one device, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboxMessage {
    pub to_user: String,
    pub to_device: String,
    pub message: ToDeviceMessage,
}

impl InboxMessage {
    fn item(&self, now_ms: i64) -> Item {
        let m = &self.message;
        let mut item = Devices::key(
            &self.to_user,
            format!("{}{}", inbox_prefix(&self.to_device), m.id),
        );
        for (name, value) in [
            ("from", &m.from),
            ("fromDevice", &m.from_device),
            ("eventType", &m.event_type),
            ("content", &m.content),
        ] {
            item.insert(name.to_owned(), AttributeValue::S(value.clone()));
        }
        item.insert("ts".into(), AttributeValue::N(now_ms.to_string()));
        item.insert(
            "ttl".into(),
            AttributeValue::N((now_ms / 1000 + TO_DEVICE_RETENTION_SECS).to_string()),
        );
        item
    }
}

/// A stored message back, unless it expired by `now_secs`.
fn read_message(item: &Item, prefix: &str, now_secs: i64) -> Option<ToDeviceMessage> {
    let ttl: i64 = item.get("ttl")?.as_n().ok()?.parse().ok()?;
    if ttl <= now_secs {
        return None;
    }
    Some(ToDeviceMessage {
        id: string(item, "sk")?.strip_prefix(prefix)?.to_owned(),
        from: string(item, "from")?,
        from_device: string(item, "fromDevice")?,
        event_type: string(item, "eventType")?,
        content: string(item, "content")?,
    })
}

impl Devices {
    /// Whether `device` of `user` already stored its `sendToDevice` `frame_id`.
    pub async fn sent_before(
        &self,
        user: &str,
        device: &str,
        frame_id: &str,
    ) -> Result<bool, Error> {
        Ok(self.get(user, sent_sk(device, frame_id)).await?.is_some())
    }

    /// Records that `frame_id` is stored (after its messages are).
    pub async fn record_sent(
        &self,
        user: &str,
        device: &str,
        frame_id: &str,
        now_ms: i64,
    ) -> Result<(), Error> {
        let mut item = Self::key(user, sent_sk(device, frame_id));
        item.insert(
            "ttl".into(),
            AttributeValue::N((now_ms / 1000 + SENT_RECORD_SECS).to_string()),
        );
        // False: a concurrent retry stored it.
        self.put_new(item).await?;
        Ok(())
    }

    /// Stores each message in its recipient device's inbox.
    pub async fn deliver(&self, messages: &[InboxMessage], now_ms: i64) -> Result<(), Error> {
        let writes = messages
            .iter()
            .map(|m| batch::put(m.item(now_ms)))
            .collect::<Result<_, _>>()?;
        batch::write_all(&self.db, &self.table, writes).await
    }

    /// The oldest `limit` messages waiting for `device` of `user`, and whether more wait.
    pub async fn inbox(
        &self,
        user: &str,
        device: &str,
        limit: u32,
        now_ms: i64,
    ) -> Result<(Vec<ToDeviceMessage>, bool), Error> {
        let prefix = inbox_prefix(device);
        let output = self
            .query_prefix(user, prefix.clone())
            .limit(limit as i32)
            .consistent_read(true)
            .send()
            .await
            .map_err(Error::aws)?;
        let messages = output
            .items()
            .iter()
            .filter_map(|item| read_message(item, &prefix, now_ms / 1000))
            .collect();
        Ok((messages, output.last_evaluated_key().is_some()))
    }

    /// Deletes the messages `ids` of `device`'s inbox (ids no longer there are no error).
    pub async fn acknowledge(&self, user: &str, device: &str, ids: &[String]) -> Result<(), Error> {
        let writes = ids
            .iter()
            .map(|id| batch::delete(Self::key(user, format!("{}{id}", inbox_prefix(device)))))
            .collect::<Result<_, _>>()?;
        batch::write_all(&self.db, &self.table, writes).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message() -> InboxMessage {
        InboxMessage {
            to_user: "u2".into(),
            to_device: "PHONE".into(),
            message: ToDeviceMessage {
                id: inbox_id(1_700_000_000_000),
                from: "u1".into(),
                from_device: "LAPTOP".into(),
                event_type: "m.room.encrypted".into(),
                content: "{\"ciphertext\":\"…\"}".into(),
            },
        }
    }

    #[test]
    fn a_stored_message_reads_back_until_it_expires() {
        let m = message();
        assert!(parley_protocol::is_valid_id(&m.message.id));
        assert!(m.message.id.starts_with("1700000000000-"));
        let item = m.item(1_700_000_000_000);
        let expires = 1_700_000_000 + TO_DEVICE_RETENTION_SECS;
        assert_eq!(
            read_message(&item, "td#PHONE#", expires - 1),
            Some(m.message)
        );
        assert_eq!(read_message(&item, "td#PHONE#", expires), None);
    }

    #[test]
    fn inbox_ids_sort_by_time() {
        assert!(inbox_id(999) < inbox_id(1_000));
        assert_eq!(inbox_id(1).len(), 30);
    }
}
