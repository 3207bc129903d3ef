//! A user's device list and how its changes travel (issue 15): a device is added when it
//! first registers its keys ([`Devices::register`]) and removed by [`Devices::remove`] (its
//! keys and inbox deleted, a tombstone kept so that its id is never registered again). Each
//! change is recorded as `dl#<changed user>` (`at`, `ttl` 30 days) in the partition of every
//! user who shares a conversation with the changed one, so a device that was offline asks
//! [`Devices::changes_since`] which users' lists to fetch again.

use aws_sdk_dynamodb::types::AttributeValue;
use std::collections::BTreeSet;

use super::{string, Devices, Item};
use crate::batch;
use crate::Error;
use parley_protocol::limits::DEVICE_CHANGES_RETENTION_SECS;

/// How long before a reply's time its `until` is: a change stamped just before a query
/// whose write had not landed yet is still found by the next one.
pub const SETTLE_MS: i64 = 30_000;

/// The prefixes of the items one device owns, besides `dev#` and `fb#`.
const OWNED_PREFIXES: [&str; 3] = ["otk#", "td#", "td-id#"];

pub(super) fn tombstone_sk(device: &str) -> String {
    format!("gone#{device}")
}

fn change_sk(user: &str) -> String {
    format!("dl#{user}")
}

/// What [`Devices::changes_since`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Changes {
    pub users: Vec<String>,
    /// Where the next ask starts (`since`).
    pub until: i64,
    /// `since` was older than the changes kept: every list may have changed.
    pub reset: bool,
}

impl Devices {
    /// Whether `device` of `user` was removed (its id may not register again).
    pub async fn is_removed(&self, user: &str, device: &str) -> Result<bool, Error> {
        Ok(self.get(user, tombstone_sk(device)).await?.is_some())
    }

    /// Removes `device` of `user`: a tombstone first (so a concurrent upload cannot bring
    /// it back), then its identity, one-time and fallback keys, its inbox and send records,
    /// and its place in the list. `false` when the user has no such registered device.
    pub async fn remove(&self, user: &str, device: &str, now_ms: i64) -> Result<bool, Error> {
        if !self.is_registered(user, device).await? {
            return Ok(false);
        }
        let mut tombstone = Self::key(user, tombstone_sk(device));
        tombstone.insert("removedAt".into(), AttributeValue::N(now_ms.to_string()));
        self.db
            .put_item()
            .table_name(&self.table)
            .set_item(Some(tombstone))
            .send()
            .await
            .map_err(Error::aws)?;
        let mut keys = vec![format!("dev#{device}"), format!("fb#{device}")];
        for prefix in OWNED_PREFIXES {
            keys.extend(self.keys_under(user, format!("{prefix}{device}#")).await?);
        }
        let deletes = keys
            .into_iter()
            .map(|sk| batch::delete(Self::key(user, sk)))
            .collect::<Result<_, _>>()?;
        batch::write_all(&self.db, &self.table, deletes).await?;
        self.db
            .update_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(user, "list".to_owned())))
            .update_expression("DELETE devices :d")
            .expression_attribute_values(":d", AttributeValue::Ss(vec![device.to_owned()]))
            .send()
            .await
            .map_err(Error::aws)?;
        Ok(true)
    }

    /// The sort keys of `user`'s items under `prefix`, every page.
    async fn keys_under(&self, user: &str, prefix: String) -> Result<Vec<String>, Error> {
        let mut keys = Vec::new();
        let mut start = None;
        loop {
            let output = self
                .query_prefix(user, prefix.clone())
                .projection_expression("sk")
                .consistent_read(true)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(Error::aws)?;
            keys.extend(output.items().iter().filter_map(|item| string(item, "sk")));
            start = output.last_evaluated_key;
            if start.is_none() {
                return Ok(keys);
            }
        }
    }

    /// Records, for each of `contacts`, that `user`'s device list changed at `now_ms` (one
    /// item per pair, overwritten by the next change: bounded by the number of contacts).
    pub async fn record_change(
        &self,
        user: &str,
        contacts: &BTreeSet<String>,
        now_ms: i64,
    ) -> Result<(), Error> {
        let ttl = now_ms / 1000 + DEVICE_CHANGES_RETENTION_SECS;
        let writes = contacts
            .iter()
            .map(|contact| {
                let mut item: Item = Self::key(contact, change_sk(user));
                item.insert("at".into(), AttributeValue::N(now_ms.to_string()));
                item.insert("ttl".into(), AttributeValue::N(ttl.to_string()));
                batch::put(item)
            })
            .collect::<Result<_, _>>()?;
        batch::write_all(&self.db, &self.table, writes).await
    }

    /// The users whose device list changed after `since` as told to `user` (all that are
    /// kept when `since` is absent).
    pub async fn changes_since(
        &self,
        user: &str,
        since: Option<i64>,
        now_ms: i64,
    ) -> Result<Changes, Error> {
        let oldest_kept = now_ms - DEVICE_CHANGES_RETENTION_SECS * 1000;
        let after = since.unwrap_or(0).max(oldest_kept);
        let mut users = Vec::new();
        let mut start = None;
        loop {
            let output = self
                .query_prefix(user, "dl#".to_owned())
                .filter_expression("#at > :after AND #ttl > :now")
                .expression_attribute_names("#at", "at")
                .expression_attribute_names("#ttl", "ttl")
                .expression_attribute_values(":after", AttributeValue::N(after.to_string()))
                .expression_attribute_values(":now", AttributeValue::N((now_ms / 1000).to_string()))
                .consistent_read(true)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(Error::aws)?;
            users.extend(
                output
                    .items()
                    .iter()
                    .filter_map(|item| string(item, "sk")?.strip_prefix("dl#").map(str::to_owned)),
            );
            start = output.last_evaluated_key;
            if start.is_none() {
                break;
            }
        }
        Ok(Changes {
            users,
            until: now_ms - SETTLE_MS,
            reset: since.is_some_and(|since| since < oldest_kept),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn change_and_tombstone_keys_stay_out_of_the_devices_prefixes() {
        assert_eq!(change_sk("u1"), "dl#u1");
        assert_eq!(tombstone_sk("PHONE"), "gone#PHONE");
        for owned in OWNED_PREFIXES.iter().chain(&["dev#", "fb#"]) {
            assert!(!change_sk("u1").starts_with(owned));
            assert!(!tombstone_sk("PHONE").starts_with(owned));
        }
    }
}
