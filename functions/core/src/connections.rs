//! The connections table: one item per live WebSocket connection, keyed by user
//! (`userId` HASH, `connectionId` RANGE) so that a user's devices are one Query away and no
//! request path ever Scans.

use aws_sdk_dynamodb::types::AttributeValue;
use std::collections::HashMap;

use crate::identity::Identity;
use crate::Error;

/// API Gateway closes every connection after 2 hours; a record whose `$disconnect` never
/// arrived is dropped by TTL a little after that.
pub const MAX_CONNECTION_SECS: i64 = 2 * 60 * 60;
const TTL_GRACE_SECS: i64 = 10 * 60;

/// One device of a user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection {
    pub user_id: String,
    pub connection_id: String,
    /// When the token that opened it expires (epoch seconds).
    pub token_expires_at: i64,
    /// When it was opened (epoch milliseconds, as API Gateway reports it).
    pub connected_at_ms: i64,
}

impl Connection {
    pub fn new(identity: &Identity, connection_id: &str, connected_at_ms: i64) -> Self {
        Self {
            user_id: identity.user_id.clone(),
            connection_id: connection_id.to_owned(),
            token_expires_at: identity.token_expires_at,
            connected_at_ms,
        }
    }

    /// Epoch seconds after which DynamoDB may delete the record.
    pub fn ttl(&self) -> i64 {
        self.connected_at_ms / 1000 + MAX_CONNECTION_SECS + TTL_GRACE_SECS
    }

    fn to_item(&self) -> HashMap<String, AttributeValue> {
        HashMap::from([
            ("userId".into(), AttributeValue::S(self.user_id.clone())),
            (
                "connectionId".into(),
                AttributeValue::S(self.connection_id.clone()),
            ),
            (
                "tokenExpiresAt".into(),
                AttributeValue::N(self.token_expires_at.to_string()),
            ),
            (
                "connectedAt".into(),
                AttributeValue::N(self.connected_at_ms.to_string()),
            ),
            ("ttl".into(), AttributeValue::N(self.ttl().to_string())),
        ])
    }

    fn from_item(item: &HashMap<String, AttributeValue>) -> Option<Self> {
        let s = |k: &str| item.get(k)?.as_s().ok().cloned();
        let n = |k: &str| item.get(k)?.as_n().ok()?.parse().ok();
        Some(Self {
            user_id: s("userId")?,
            connection_id: s("connectionId")?,
            token_expires_at: n("tokenExpiresAt")?,
            connected_at_ms: n("connectedAt")?,
        })
    }
}

/// The connections table, through a client built once per cold start.
#[derive(Debug, Clone)]
pub struct Connections {
    client: aws_sdk_dynamodb::Client,
    table: String,
}

impl Connections {
    pub fn new(client: aws_sdk_dynamodb::Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    /// Records a connection (one PutItem).
    pub async fn put(&self, connection: &Connection) -> Result<(), Error> {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(connection.to_item()))
            .send()
            .await
            .map_err(Error::aws)?;
        Ok(())
    }

    /// Forgets a connection (one DeleteItem). Deleting an absent record is not an error:
    /// `$disconnect` and a 410 cleanup may both try.
    pub async fn delete(&self, user_id: &str, connection_id: &str) -> Result<(), Error> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .key("userId", AttributeValue::S(user_id.to_owned()))
            .key("connectionId", AttributeValue::S(connection_id.to_owned()))
            .send()
            .await
            .map_err(Error::aws)?;
        Ok(())
    }

    /// Every live connection of a user (one Query; TTL deletion is lazy, so records past
    /// their TTL are skipped here).
    pub async fn of_user(&self, user_id: &str, now_secs: i64) -> Result<Vec<Connection>, Error> {
        let pages = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("userId = :u")
            .expression_attribute_values(":u", AttributeValue::S(user_id.to_owned()))
            .into_paginator()
            .items()
            .send();
        let items: Vec<_> = pages.try_collect().await.map_err(Error::aws)?;
        Ok(items
            .iter()
            .filter_map(Connection::from_item)
            .filter(|c| c.ttl() > now_secs)
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn item_round_trip_and_ttl() {
        let identity = Identity {
            user_id: "u1".into(),
            token_expires_at: 1_700_003_600,
        };
        let connection = Connection::new(&identity, "c1=", 1_700_000_000_123);
        let item = connection.to_item();
        assert_eq!(
            item["ttl"].as_n().unwrap(),
            &(1_700_000_000 + 7200 + 600).to_string()
        );
        assert_eq!(Connection::from_item(&item).unwrap(), connection);
    }
}
