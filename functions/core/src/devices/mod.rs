//! The devices table: the key directory of end-to-end encryption and each device's inbox
//! (docs/encryption.md). The server keeps public keys and opaque messages; it never runs
//! cryptography. Items, all in the owner's partition (`userId`, `sk`):
//! - `list`: `devices`, the set of the user's registered device ids (at most
//!   [`MAX_DEVICES_PER_USER`], kept by the condition of the UpdateItem that adds one);
//! - `dev#<device>`: the device's identity keys as uploaded (`deviceKeys`), its `curve25519`
//!   and `ed25519` keys (never replaced: a device's identity does not change), `createdAt`;
//! - `otk#<device>#<key name>`: one one-time key each (`key`, the entry's JSON), handed out
//!   once by a conditional delete ([`Devices::claim`]);
//! - `fb#<device>`: the fallback key (`key`) and whether it was handed out (`used`);
//! - `td#<device>#<inbox id>`: a to-device message waiting for the device (`from`,
//!   `fromDevice`, `eventType`, `content`, `ts`), until it acknowledges it or `ttl` passes;
//! - `td-id#<device>#<frame id>`: a `sendToDevice` the device made, so a retry stores nothing
//!   again (kept a day);
//! - `gone#<device>`: a removed device (`removedAt`): its id never registers again;
//! - `dl#<other user>`: the other user's device list changed at `at` (`ttl` 30 days), for a
//!   device of this user that was offline ([`list`]).
//!
//! Every request reads by key or by a key prefix within one partition; nothing Scans.

mod directory;
mod inbox;
mod list;

pub use directory::KeyCounts;
pub use inbox::{inbox_id, InboxMessage};
pub use list::{Changes, SETTLE_MS};

use aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder;
use aws_sdk_dynamodb::types::AttributeValue;
use std::collections::HashMap;

use crate::error::condition_failed;
use crate::Error;

pub use parley_protocol::limits::MAX_DEVICES_PER_USER;

type Item = HashMap<String, AttributeValue>;

/// The devices table, through a client built once per cold start.
#[derive(Debug, Clone)]
pub struct Devices {
    db: aws_sdk_dynamodb::Client,
    table: String,
}

impl Devices {
    pub fn new(db: aws_sdk_dynamodb::Client, table: impl Into<String>) -> Self {
        Self {
            db,
            table: table.into(),
        }
    }

    fn key(user: &str, sk: String) -> Item {
        HashMap::from([
            ("userId".to_owned(), AttributeValue::S(user.to_owned())),
            ("sk".to_owned(), AttributeValue::S(sk)),
        ])
    }

    /// The item `sk` of `user` (a consistent read).
    async fn get(&self, user: &str, sk: String) -> Result<Option<Item>, Error> {
        let output = self
            .db
            .get_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(user, sk)))
            .consistent_read(true)
            .send()
            .await
            .map_err(Error::aws)?;
        Ok(output.item)
    }

    /// A Query of `user`'s items whose `sk` starts with `prefix`, to finish and send.
    fn query_prefix(&self, user: &str, prefix: String) -> QueryFluentBuilder {
        self.db
            .query()
            .table_name(&self.table)
            .key_condition_expression("userId = :u AND begins_with(sk, :p)")
            .expression_attribute_values(":u", AttributeValue::S(user.to_owned()))
            .expression_attribute_values(":p", AttributeValue::S(prefix))
    }

    /// Puts `item` unless an item with its key exists (`false` then).
    async fn put_new(&self, item: Item) -> Result<bool, Error> {
        let result = self
            .db
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(sk)")
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(error) if condition_failed(&error) => Ok(false),
            Err(error) => Err(Error::aws(error)),
        }
    }
}

/// A string attribute of `item`.
fn string(item: &Item, name: &str) -> Option<String> {
    item.get(name)?.as_s().ok().cloned()
}
